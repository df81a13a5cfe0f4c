//! Layer 4, coupons (券), applied last (domain.md: "a member's coupon (amount off with a minimum
//! spend, percent off a scope, or a fixed-price item), one use, applied last. Redeeming one takes a hold
//! at HQ like points; offline use is refused unless HQ allows it for that coupon kind").
//!
//! The caller passes the coupons HQ holds for this sale ([`super::PromotionCart::coupons`]); holding,
//! one use and the offline rule are the caller's. The engine applies them after layer 3, in the order
//! given, each on the nets the layers (and the coupons before it) left.
//!
//! Decisions where the spec is silent:
//! - A coupon takes the lines a promotion would (discount-eligible, no manual override, in scope).
//! - Amount off (from the minimum spend, reached at ≥) and percent off (rounded half up) are spread over
//!   the scope's lines by what each still costs, largest remainder, never below zero.
//! - A fixed-price item takes one unit sold by the piece, the dearest unit left (its line's net per
//!   unit, floored), down to the coupon's price; never a weighed line.
//! - Coupons do not take part in choosing among promotions (a promotion can therefore take a sale
//!   below a coupon's minimum spend: the coupon is then reported unused, its hold released, and the
//!   member keeps it), and are never clawed back on a return.
//! - A coupon that gives nothing (or fails [`Coupon::validate`]) is reported unused.

use serde::{Deserialize, Serialize};

use super::{CartLine, PromotionCart, PromotionError, PromotionOutcome, Scope};
use crate::catalog::ProductId;
use crate::money::{Bp, Money, div_floor, div_round_half_up};
use crate::pricing::spread_largest_remainder;

/// A coupon's id, assigned by HQ when it issues the coupon to a member.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CouponId(pub u64);

/// What a coupon gives.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CouponKind {
    /// `off` from a sale whose goods in `scope` reach `min_spend` (at ≥).
    AmountOff { scope: Scope, min_spend: Money, off: Money },
    /// `bp` off the goods in `scope`.
    PercentOff { scope: Scope, bp: Bp },
    /// One unit of `product` for `price`.
    FixedPriceItem { product: ProductId, price: Money },
}

/// A member's coupon as the till sees it once HQ holds it for the sale.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coupon {
    pub id: CouponId,
    pub name: String,
    pub kind: CouponKind,
    /// Whether HQ allows this coupon kind to be used while the till is offline.
    pub offline_allowed: bool,
}

/// A coupon that took effect.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppliedCoupon {
    pub id: CouponId,
    pub name: String,
    /// The sum of its allocations, exactly.
    pub discount: Money,
}

impl Coupon {
    /// Checks what applying the coupon relies on.
    pub fn validate(&self) -> Result<(), PromotionError> {
        match &self.kind {
            CouponKind::AmountOff { scope, min_spend, off } => {
                if scope.is_empty() {
                    return Err(PromotionError::EmptyScope);
                }
                if min_spend.is_negative() {
                    return Err(PromotionError::NegativeAmount { field: "min_spend", value: *min_spend });
                }
                if off.0 <= 0 {
                    return Err(PromotionError::ZeroOff { field: "off" });
                }
                Ok(())
            }
            CouponKind::PercentOff { scope, bp } => {
                if scope.is_empty() {
                    return Err(PromotionError::EmptyScope);
                }
                if bp.0 <= 0 || bp.0 > 10_000 {
                    return Err(PromotionError::PercentOutOfRange(*bp));
                }
                Ok(())
            }
            CouponKind::FixedPriceItem { price, .. } if price.is_negative() => {
                Err(PromotionError::NegativeAmount { field: "price", value: *price })
            }
            CouponKind::FixedPriceItem { .. } => Ok(()),
        }
    }
}

fn takes(line: &CartLine) -> bool {
    line.discount_eligible && !line.manual_override
}

/// Applies the cart's coupons to `outcome`, after layer 3.
pub(super) fn apply(outcome: &mut PromotionOutcome, cart: &PromotionCart) {
    for coupon in &cart.coupons {
        let parts: Vec<(usize, i64)> =
            if coupon.validate().is_err() { Vec::new() } else { parts(coupon, outcome, cart) };
        let discount: i64 = parts.iter().map(|p| p.1).sum();
        if discount <= 0 {
            outcome.unused_coupons.push(coupon.id);
            continue;
        }
        for (pos, part) in parts.into_iter().filter(|p| p.1 > 0) {
            let line = &mut outcome.lines[pos];
            line.coupon_allocations.push((coupon.id, Money(part)));
            line.net -= Money(part);
        }
        outcome.coupons.push(AppliedCoupon { id: coupon.id, name: coupon.name.clone(), discount: Money(discount) });
        outcome.total_saving += Money(discount);
    }
}

/// What `coupon` takes from each line (cart position, fen).
fn parts(coupon: &Coupon, outcome: &PromotionOutcome, cart: &PromotionCart) -> Vec<(usize, i64)> {
    match &coupon.kind {
        CouponKind::AmountOff { scope, .. } | CouponKind::PercentOff { scope, .. } => {
            let positions: Vec<usize> = (0..cart.lines.len())
                .filter(|p| {
                    let l = &cart.lines[*p];
                    takes(l) && scope.covers(l.product, l.category, l.brand)
                })
                .collect();
            let nets: Vec<i64> = positions.iter().map(|p| outcome.lines[*p].net.0.max(0)).collect();
            let total: i64 = nets.iter().sum();
            let off = match coupon.kind {
                CouponKind::AmountOff { min_spend, off, .. } if total >= min_spend.0 => off.0.min(total),
                CouponKind::PercentOff { bp, .. } => {
                    div_round_half_up(i128::from(total) * i128::from(bp.0), 10_000) as i64
                }
                _ => 0,
            };
            positions.into_iter().zip(spread_largest_remainder(off, &nets)).collect()
        }
        CouponKind::FixedPriceItem { product, price } => {
            let mut best: Option<(i64, usize)> = None;
            for (pos, l) in cart.lines.iter().enumerate() {
                if !takes(l) || l.weighed || l.product != *product || l.qty.0 < 1000 {
                    continue;
                }
                let unit = div_floor(i128::from(outcome.lines[pos].net.0) * 1000, i128::from(l.qty.0)) as i64;
                if best.is_none_or(|(b, _)| unit > b) {
                    best = Some((unit, pos));
                }
            }
            match best {
                Some((unit, pos)) => vec![(pos, (unit - price.0).max(0))],
                None => Vec::new(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::CategoryId;
    use crate::promotions::tests::{CHIPS, MILK, example_cart, example_set};
    use crate::promotions::{PromotionSet, RecordedLine, price_promotions, refund_for_return};

    fn coupon(id: u64, kind: CouponKind) -> Coupon {
        Coupon { id: CouponId(id), name: format!("券{id}"), kind, offline_allowed: false }
    }

    fn everything() -> Scope {
        Scope { all_products: true, ..Scope::default() }
    }

    /// The worked example (due ¥29.00: nets 8.53 / 10.23 / 10.24) with `coupons` presented.
    fn price(coupons: Vec<Coupon>) -> PromotionOutcome {
        let mut cart = example_cart();
        cart.coupons = coupons;
        price_promotions(&PromotionSet { version: 1, promotions: example_set() }, &cart).expect("priced")
    }

    fn taken(o: &PromotionOutcome) -> Vec<i64> {
        o.lines.iter().map(|l| l.coupon_allocations.iter().map(|a| a.1.0).sum()).collect()
    }

    #[test]
    fn amount_off_from_a_minimum_spend_is_spread_by_what_lines_still_cost() {
        // ¥5 over 853 / 1023 / 1024: 147.07 / 176.38 / 176.55 → 147 / 176 / 177.
        let o = price(vec![coupon(
            1,
            CouponKind::AmountOff { scope: everything(), min_spend: Money::yuan(29), off: Money::yuan(5) },
        )]);
        assert_eq!(taken(&o), vec![147, 176, 177]);
        assert_eq!(o.total_net(), Money::yuan(24));
        assert_eq!(o.total_saving, Money::yuan(16));
        assert_eq!(o.coupons, vec![AppliedCoupon { id: CouponId(1), name: "券1".into(), discount: Money::yuan(5) }]);
        // ¥29.01 is not reached: unused.
        let o = price(vec![coupon(
            1,
            CouponKind::AmountOff { scope: everything(), min_spend: Money(2901), off: Money::yuan(5) },
        )]);
        assert_eq!((o.unused_coupons.clone(), o.total_net()), (vec![CouponId(1)], Money::yuan(29)));
    }

    #[test]
    fn percent_off_a_scope_and_a_fixed_price_item() {
        // 10 % off snacks: 薯片 10.23 → 102.3 → 1.02.
        let snacks = Scope { categories: vec![CategoryId(20)], ..Scope::default() };
        let o = price(vec![coupon(2, CouponKind::PercentOff { scope: snacks, bp: Bp(1000) })]);
        assert_eq!(taken(&o), vec![0, 102, 0]);
        // One 牛奶 for ¥1.00: its unit now costs 10.24, so 9.24 off; then one 薯片 (5.11 a unit) for ¥5.
        let o = price(vec![
            coupon(3, CouponKind::FixedPriceItem { product: MILK, price: Money::yuan(1) }),
            coupon(4, CouponKind::FixedPriceItem { product: CHIPS, price: Money::yuan(5) }),
        ]);
        assert_eq!(taken(&o), vec![0, 11, 924]);
    }

    #[test]
    fn a_return_pays_back_what_the_line_paid_after_coupons() {
        let o = price(vec![coupon(3, CouponKind::FixedPriceItem { product: MILK, price: Money::yuan(1) })]);
        let cart = example_cart();
        let lines: Vec<RecordedLine> =
            o.lines.iter().zip(&cart.lines).map(|(l, c)| RecordedLine::from_outcome(l, c.qty)).collect();
        let none = vec![crate::money::Qty(0); 3];
        let milk = vec![crate::money::Qty(0), crate::money::Qty(0), crate::money::Qty::ONE];
        let r = refund_for_return(&lines, &o.promotions, &none, &milk, Money::ZERO, false).expect("refund");
        assert_eq!(r.refund, Money(100));
    }

    #[test]
    fn validation() {
        let c = coupon(1, CouponKind::PercentOff { scope: everything(), bp: Bp(0) });
        assert_eq!(c.validate(), Err(PromotionError::PercentOutOfRange(Bp(0))));
        let c = coupon(1, CouponKind::AmountOff { scope: Scope::default(), min_spend: Money(0), off: Money(1) });
        assert_eq!(c.validate(), Err(PromotionError::EmptyScope));
        let c = coupon(1, CouponKind::FixedPriceItem { product: MILK, price: Money(-1) });
        assert_eq!(c.validate(), Err(PromotionError::NegativeAmount { field: "price", value: Money(-1) }));
    }
}
