//! Pricing one line, spreading an order discount, and cash rounding.
//!
//! The line pipeline, in the order of domain.md:
//! 1. `base` = branch price if set, else retail price;
//! 2. member benefit: the better of member price and tier discount, never both;
//! 3. promotions (reserved: a later issue inserts them here, between 2 and 4);
//! 4. a manual price override or line discount;
//! 5. `line_net = round_half_up(unit * qty / 1000)`.

use serde::{Deserialize, Serialize};

use crate::money::{Bp, Money, Qty, div_floor, div_round_half_up, narrow};

/// Largest quantity on one line: 1,000,000 units (or kilograms).
pub const MAX_QTY: Qty = Qty(1_000_000_000);

/// What can go wrong pricing a line or a sale.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PricingError {
    #[error("quantity must be above zero, not {0}")]
    QtyNotPositive(Qty),
    #[error("quantity {0} is above the maximum of one million")]
    QtyTooLarge(Qty),
    #[error("price {0} is negative")]
    NegativePrice(Money),
    #[error("price × quantity is too large")]
    Overflow,
    #[error("discount {discount} is larger than the line's {line}")]
    DiscountExceedsLine { discount: Money, line: Money },
    #[error("discount {discount} is larger than the {eligible} of discountable goods")]
    DiscountExceedsOrder { discount: Money, eligible: Money },
    #[error("a discount must be above zero")]
    DiscountNotPositive,
    #[error("a percentage must be between 0% and 100%, not {}", .0.display_percent())]
    PercentOutOfRange(Bp),
    #[error("a base price of zero cannot derive a quantity from a price label")]
    ZeroBasePrice,
}

/// `base` of step 1: the branch's own price when HQ set one, else the retail price.
pub fn base_price(retail: Money, branch_price: Option<Money>) -> Money {
    branch_price.unwrap_or(retail)
}

/// The member benefit of the attached member's tier.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberBenefit {
    /// The tier's discount as the share of the price paid (9500 = pay 95 %).
    pub discount: Bp,
    /// Whether products' member prices apply to this tier.
    pub member_prices: bool,
}

/// A manual change a cashier (or a manager) makes to one line: step 4.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum ManualAdjustment {
    /// A new unit price replacing the one after member benefits.
    PriceOverride(Money),
    /// An amount off the line.
    DiscountAmount(Money),
    /// A percentage off the line (1000 = 10 % off).
    DiscountPercent(Bp),
}

/// Everything step 1–5 need about one line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineInput {
    /// Step 1's result (see [`base_price`]).
    pub base_price: Money,
    pub member_price: Option<Money>,
    pub discount_eligible: bool,
    pub qty: Qty,
    /// A price label's printed price: the line's net before member benefits, exactly.
    pub label_price: Option<Money>,
    pub manual: Option<ManualAdjustment>,
}

/// One priced line, with each step's effect kept for the receipt and the reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PricedLine {
    pub qty: Qty,
    /// The base unit price (step 1).
    pub base_unit: Money,
    /// The unit price after member benefits, a layer-1 promotion and any override.
    pub unit: Money,
    /// `base × qty`, or the label price: what the line costs without any benefit.
    pub gross: Money,
    /// What the member benefit saved on this line (≥ 0).
    pub member_saving: Money,
    /// What promotions (step 3) took off this line, in all layers (≥ 0).
    #[serde(default)]
    pub promotion_discount: Money,
    /// What the member's coupons (layer 4) took off this line (≥ 0).
    #[serde(default, skip_serializing_if = "Money::is_zero_ref")]
    pub coupon_discount: Money,
    /// What the manual override or discount took off (negative if an override raised the price).
    pub manual_discount: Money,
    /// The line's net before any order discount.
    pub net: Money,
}

/// `round_half_up(unit * qty / 1000)`, with overflow as an error.
pub fn extend(unit: Money, qty: Qty) -> Result<Money, PricingError> {
    let v = div_round_half_up(i128::from(unit.0) * i128::from(qty.0), 1000);
    narrow(v).map(Money).ok_or(PricingError::Overflow)
}

fn check_qty(qty: Qty) -> Result<(), PricingError> {
    if qty.0 <= 0 {
        Err(PricingError::QtyNotPositive(qty))
    } else if qty > MAX_QTY {
        Err(PricingError::QtyTooLarge(qty))
    } else {
        Ok(())
    }
}

fn check_percent(p: Bp) -> Result<(), PricingError> {
    if (0..=10_000).contains(&p.0) { Ok(()) } else { Err(PricingError::PercentOutOfRange(p)) }
}

/// The member unit price of step 2: `min(member_price, round_half_up(base * discount / 10000))`.
pub fn member_unit(base: Money, member_price: Option<Money>, benefit: &MemberBenefit) -> Money {
    let by_tier = Money(div_round_half_up(i128::from(base.0) * i128::from(benefit.discount.0), 10_000) as i64);
    match member_price {
        Some(mp) if benefit.member_prices => by_tier.min(mp),
        _ => by_tier,
    }
}

/// The quantity a price label stands for: its price divided by the unit price, in thousandths.
pub fn qty_from_label_price(label: Money, base_unit: Money) -> Result<Qty, PricingError> {
    if base_unit.0 <= 0 {
        return Err(PricingError::ZeroBasePrice);
    }
    let q = div_round_half_up(i128::from(label.0) * 1000, i128::from(base_unit.0));
    Ok(Qty(narrow(q).ok_or(PricingError::Overflow)?.max(1)))
}

/// A line after steps 1–2 (base and member benefit): what the promotions engine starts from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemberPricedLine {
    pub qty: Qty,
    pub base_unit: Money,
    /// The unit after member benefit (the base unit without one).
    pub unit: Money,
    pub gross: Money,
    pub member_saving: Money,
    /// `gross − member_saving`: the line before promotions and manual changes.
    pub after_member: Money,
}

/// Steps 1–2 of one line: the base price and the member benefit.
pub fn price_line_member(input: &LineInput, member: Option<&MemberBenefit>) -> Result<MemberPricedLine, PricingError> {
    check_qty(input.qty)?;
    for price in [Some(input.base_price), input.member_price, input.label_price].into_iter().flatten() {
        if price.is_negative() {
            return Err(PricingError::NegativePrice(price));
        }
    }
    let base_unit = input.base_price;
    // Step 1 (with a price label, the printed price is the gross exactly).
    let gross = match input.label_price {
        Some(label) => label,
        None => extend(base_unit, input.qty)?,
    };
    // Step 2: member benefit.
    let (unit, after_member) = match member {
        Some(benefit) if input.discount_eligible => {
            let unit = member_unit(base_unit, input.member_price, benefit);
            let net = match input.label_price {
                // Scale the printed price by the member's share of the base price.
                Some(label) if base_unit.0 > 0 => Money(
                    narrow(div_round_half_up(i128::from(label.0) * i128::from(unit.0), i128::from(base_unit.0)))
                        .ok_or(PricingError::Overflow)?,
                ),
                Some(label) => label,
                None => extend(unit, input.qty)?,
            };
            (unit, net)
        }
        _ => (base_unit, gross),
    };
    let member_saving = (gross - after_member).max(Money::ZERO);
    Ok(MemberPricedLine { qty: input.qty, base_unit, unit, gross, member_saving, after_member: gross - member_saving })
}

/// What step 3 (promotions) did to one line: the unit after a layer-1 promotion and everything the
/// promotions took off the line in all layers. A line with a manual change takes none.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LinePromotions {
    /// The unit after layer 1, when a layer-1 promotion beat the member unit.
    pub unit: Option<Money>,
    /// The sum of the line's promotion allocations (≤ the line before promotions).
    pub discount: Money,
    /// The sum of the line's coupon allocations (layer 4), after the promotions.
    pub coupons: Money,
}

/// Steps 4–5 of one line, after steps 1–2 (`m`) and step 3 (`promotions`).
pub fn finish_line(
    input: &LineInput,
    m: &MemberPricedLine,
    promotions: LinePromotions,
) -> Result<PricedLine, PricingError> {
    let off = promotions.discount.checked_add(promotions.coupons).ok_or(PricingError::Overflow)?;
    if promotions.discount.is_negative() || promotions.coupons.is_negative() || off > m.after_member {
        return Err(PricingError::DiscountExceedsLine { discount: off, line: m.after_member });
    }
    let after_promotions = m.after_member - off;
    let unit = promotions.unit.unwrap_or(m.unit);
    // Step 4: manual override or line discount.
    let (unit, net) = match input.manual {
        None => (unit, after_promotions),
        Some(ManualAdjustment::PriceOverride(p)) => {
            if p.is_negative() {
                return Err(PricingError::NegativePrice(p));
            }
            (p, extend(p, input.qty)?)
        }
        Some(ManualAdjustment::DiscountAmount(d)) => {
            if d.0 <= 0 {
                return Err(PricingError::DiscountNotPositive);
            }
            if d > after_promotions {
                return Err(PricingError::DiscountExceedsLine { discount: d, line: after_promotions });
            }
            (unit, after_promotions - d)
        }
        Some(ManualAdjustment::DiscountPercent(p)) => {
            check_percent(p)?;
            if p.0 == 0 {
                return Err(PricingError::DiscountNotPositive);
            }
            let off = Money(div_round_half_up(i128::from(after_promotions.0) * i128::from(p.0), 10_000) as i64);
            (unit, after_promotions - off)
        }
    };
    // Step 5 is `extend` above.
    Ok(PricedLine {
        qty: m.qty,
        base_unit: m.base_unit,
        unit,
        gross: m.gross,
        member_saving: m.member_saving,
        promotion_discount: promotions.discount,
        coupon_discount: promotions.coupons,
        manual_discount: after_promotions - net,
        net,
    })
}

/// Prices one line through steps 1–5 with no promotions.
pub fn price_line(input: &LineInput, member: Option<&MemberBenefit>) -> Result<PricedLine, PricingError> {
    finish_line(input, &price_line_member(input, member)?, LinePromotions::default())
}

/// How much a manual adjustment reduced a line, as a share of what it cost before (bp, rounded up).
/// Compared against the cashier's limit to decide whether a manager must approve.
pub fn reduction_share(before: Money, after: Money) -> Bp {
    if before.0 <= 0 || after >= before {
        return Bp(0);
    }
    let off = i128::from((before - after).0);
    Bp(crate::money::div_ceil(off * 10_000, i128::from(before.0)) as i64)
}

/// An order-level discount.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum OrderDiscount {
    Amount(Money),
    /// Percentage off (1000 = 10 % off) of the discount-eligible lines.
    Percent(Bp),
}

impl OrderDiscount {
    /// The amount this discount takes off `eligible` worth of discountable goods.
    pub fn amount_of(&self, eligible: Money) -> Result<Money, PricingError> {
        let amount = match *self {
            OrderDiscount::Amount(a) => {
                if a.0 <= 0 {
                    return Err(PricingError::DiscountNotPositive);
                }
                a
            }
            OrderDiscount::Percent(p) => {
                check_percent(p)?;
                if p.0 == 0 {
                    return Err(PricingError::DiscountNotPositive);
                }
                Money(div_round_half_up(i128::from(eligible.0) * i128::from(p.0), 10_000) as i64)
            }
        };
        if amount > eligible {
            return Err(PricingError::DiscountExceedsOrder { discount: amount, eligible });
        }
        Ok(amount)
    }
}

/// Splits `total` over `weights` pro rata with the largest-remainder method: every part is the floor
/// of its exact share, and what is left goes one unit at a time to the largest remainders (earlier
/// positions first on a tie). The parts sum exactly to `total`.
///
/// Weights must not be negative; with all weights zero, everything is zero.
pub fn spread_largest_remainder(total: i64, weights: &[i64]) -> Vec<i64> {
    let sum: i128 = weights.iter().map(|w| i128::from((*w).max(0))).sum();
    if sum == 0 {
        return vec![0; weights.len()];
    }
    let total_i = i128::from(total);
    let mut parts: Vec<i128> = Vec::with_capacity(weights.len());
    let mut remainders: Vec<(i128, usize)> = Vec::with_capacity(weights.len());
    for (i, w) in weights.iter().enumerate() {
        let exact = total_i * i128::from((*w).max(0));
        let part = div_floor(exact, sum);
        parts.push(part);
        remainders.push((exact - part * sum, i));
    }
    let mut left = total_i - parts.iter().sum::<i128>();
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for (_, i) in remainders.iter().filter(|(_, i)| weights[*i] > 0) {
        if left == 0 {
            break;
        }
        parts[*i] += 1;
        left -= 1;
    }
    // |total| fits in i64 and every part lies between 0 and total.
    parts.into_iter().map(|p| p as i64).collect()
}

/// Cash rounding (抹零), per branch, applied to the amount due in cash only.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CashRounding {
    #[default]
    None,
    /// ¥12.34 → ¥12.30.
    DownToJiao,
    /// ¥12.34 → ¥12.30, ¥12.35 → ¥12.40.
    HalfUpToJiao,
    /// ¥12.34 → ¥12.00.
    DownToYuan,
}

impl CashRounding {
    /// The amount to ask in cash for `due`. Refunds (negative) are rounded the same way in size.
    pub fn apply(self, due: Money) -> Money {
        let sign = due.0.signum();
        let abs = i128::from(due.0.abs());
        let rounded = match self {
            CashRounding::None => abs,
            CashRounding::DownToJiao => div_floor(abs, 10) * 10,
            CashRounding::HalfUpToJiao => div_round_half_up(abs, 10) * 10,
            CashRounding::DownToYuan => div_floor(abs, 100) * 100,
        };
        Money(sign * rounded as i64)
    }

    /// The rounding adjustment recorded on the sale: `apply(due) - due`.
    pub fn adjustment(self, due: Money) -> Money {
        self.apply(due) - due
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(base: i64, qty: i64) -> LineInput {
        LineInput {
            base_price: Money(base),
            member_price: None,
            discount_eligible: true,
            qty: Qty(qty),
            label_price: None,
            manual: None,
        }
    }

    const GOLD: MemberBenefit = MemberBenefit { discount: Bp(9500), member_prices: true };

    #[test]
    fn base_price_prefers_branch_price() {
        assert_eq!(base_price(Money(1000), Some(Money(900))), Money(900));
        assert_eq!(base_price(Money(1000), None), Money(1000));
    }

    #[test]
    fn plain_line() {
        let p = price_line(&line(350, 2000), None).expect("priced");
        assert_eq!(p.net, Money(700));
        assert_eq!(p.member_saving, Money::ZERO);
        // 0.532 kg at ¥39.80/kg = 21.1736 → ¥21.17
        let p = price_line(&line(3980, 532), None).expect("priced");
        assert_eq!(p.net, Money(2117));
    }

    #[test]
    fn member_price_and_tier_discount_never_stack() {
        // base ¥10.00, member price ¥9.00, tier 95% → ¥9.50: member price wins at ¥9.00.
        let mut input = line(1000, 1000);
        input.member_price = Some(Money(900));
        let p = price_line(&input, Some(&GOLD)).expect("priced");
        assert_eq!(p.unit, Money(900));
        assert_eq!(p.member_saving, Money(100));
        // member price ¥9.80 is worse than 95% (¥9.50): tier wins.
        input.member_price = Some(Money(980));
        let p = price_line(&input, Some(&GOLD)).expect("priced");
        assert_eq!(p.unit, Money(950));
        // A tier where member prices do not apply only gets the tier discount.
        let silver = MemberBenefit { discount: Bp(10_000), member_prices: false };
        input.member_price = Some(Money(900));
        let p = price_line(&input, Some(&silver)).expect("priced");
        assert_eq!(p.unit, Money(1000));
        // Not discount-eligible: no benefit at all.
        input.discount_eligible = false;
        let p = price_line(&input, Some(&GOLD)).expect("priced");
        assert_eq!(p.unit, Money(1000));
    }

    #[test]
    fn tier_discount_rounds_half_up_per_unit() {
        // ¥3.33 × 95% = 3.1635 → ¥3.16; 3 of them = ¥9.48.
        let p = price_line(&line(333, 3000), Some(&GOLD)).expect("priced");
        assert_eq!(p.unit, Money(316));
        assert_eq!(p.net, Money(948));
        assert_eq!(p.member_saving, Money(999 - 948));
    }

    #[test]
    fn price_label_net_is_the_printed_price() {
        // domain.md: a price label's net is the printed price exactly, before member benefits.
        let mut input = line(3980, 0);
        input.label_price = Some(Money(1250));
        input.qty = qty_from_label_price(Money(1250), Money(3980)).expect("qty");
        assert_eq!(input.qty, Qty(314));
        let p = price_line(&input, None).expect("priced");
        assert_eq!(p.net, Money(1250));
        // With a 95% member the printed price is scaled: 1250 × 3781/3980 = 1187.5 → 1188.
        let p = price_line(&input, Some(&GOLD)).expect("priced");
        assert_eq!(p.net, Money(1188));
        assert_eq!(p.member_saving, Money(62));
    }

    #[test]
    fn manual_adjustments() {
        let mut input = line(1000, 2000);
        input.manual = Some(ManualAdjustment::PriceOverride(Money(800)));
        let p = price_line(&input, None).expect("priced");
        assert_eq!((p.unit, p.net, p.manual_discount), (Money(800), Money(1600), Money(400)));
        input.manual = Some(ManualAdjustment::DiscountAmount(Money(150)));
        assert_eq!(price_line(&input, None).expect("priced").net, Money(1850));
        input.manual = Some(ManualAdjustment::DiscountPercent(Bp(1000)));
        assert_eq!(price_line(&input, None).expect("priced").net, Money(1800));
        assert_eq!(reduction_share(Money(2000), Money(1800)), Bp(1000));
    }

    #[test]
    fn bad_lines_are_typed_errors() {
        assert_eq!(price_line(&line(100, 0), None), Err(PricingError::QtyNotPositive(Qty(0))));
        assert_eq!(price_line(&line(100, -1000), None), Err(PricingError::QtyNotPositive(Qty(-1000))));
        assert_eq!(price_line(&line(-100, 1000), None), Err(PricingError::NegativePrice(Money(-100))));
        assert_eq!(price_line(&line(i64::MAX, 900_000_000), None), Err(PricingError::Overflow));
        let mut input = line(1000, 1000);
        input.manual = Some(ManualAdjustment::DiscountAmount(Money(1001)));
        assert_eq!(
            price_line(&input, None),
            Err(PricingError::DiscountExceedsLine { discount: Money(1001), line: Money(1000) })
        );
        input.manual = Some(ManualAdjustment::DiscountPercent(Bp(12_000)));
        assert_eq!(price_line(&input, None), Err(PricingError::PercentOutOfRange(Bp(12_000))));
    }

    #[test]
    fn largest_remainder_spread() {
        // ¥10.00 over three equal lines: 3.34 + 3.33 + 3.33 (the first gets the extra fen).
        assert_eq!(spread_largest_remainder(1000, &[100, 100, 100]), vec![334, 333, 333]);
        // Pro rata by net: 500 over 1000/3000 → 125/375.
        assert_eq!(spread_largest_remainder(500, &[1000, 3000]), vec![125, 375]);
        // Largest remainder wins: 100 over 1,1,1,7 → exact 10,10,10,70.
        assert_eq!(spread_largest_remainder(100, &[1, 1, 1, 7]), vec![10, 10, 10, 70]);
        // 10 over 333/333/334: exact 3.33/3.33/3.34 → floors 3,3,3 → the 0.34 remainder gets it.
        assert_eq!(spread_largest_remainder(10, &[333, 333, 334]), vec![3, 3, 4]);
        // A zero-weight line gets nothing.
        assert_eq!(spread_largest_remainder(7, &[0, 5, 5]), vec![0, 4, 3]);
        assert_eq!(spread_largest_remainder(7, &[0, 0]), vec![0, 0]);
    }

    #[test]
    fn order_discount_limits() {
        assert_eq!(OrderDiscount::Percent(Bp(1000)).amount_of(Money(12345)), Ok(Money(1235)));
        assert_eq!(
            OrderDiscount::Amount(Money(200)).amount_of(Money(100)),
            Err(PricingError::DiscountExceedsOrder { discount: Money(200), eligible: Money(100) })
        );
        assert_eq!(OrderDiscount::Amount(Money(0)).amount_of(Money(100)), Err(PricingError::DiscountNotPositive));
    }

    #[test]
    fn cash_rounding_modes() {
        let check = |mode: CashRounding, due: i64, expected: i64| {
            assert_eq!(mode.apply(Money(due)), Money(expected), "{mode:?} {due}");
        };
        check(CashRounding::None, 1234, 1234);
        check(CashRounding::DownToJiao, 1234, 1230);
        check(CashRounding::DownToJiao, 1239, 1230);
        check(CashRounding::HalfUpToJiao, 1234, 1230);
        check(CashRounding::HalfUpToJiao, 1235, 1240);
        check(CashRounding::DownToYuan, 1299, 1200);
        check(CashRounding::DownToYuan, -1299, -1200);
        assert_eq!(CashRounding::DownToJiao.adjustment(Money(1234)), Money(-4));
    }
}
