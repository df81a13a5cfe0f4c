//! A sale from lines to a completed record: pricing every line, spreading the order discount,
//! settling tenders with cash rounding and change, and the record of a completed sale that the
//! till keeps, prints and sends to HQ. Refunds and voids are new records planned from the sale.

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::catalog::{CategoryId, ProductId};
use crate::ids::{BranchId, MemberId, RefundId, SaleId, ShiftId, StaffId, TillId};
use crate::member::MemberIdentifier;
use crate::money::{Bp, Money, Qty, div_floor, div_round_half_up};
use crate::points::refund_delta;
use crate::pricing::{
    CashRounding, LineInput, LinePromotions, ManualAdjustment, MemberBenefit, MemberPricedLine, OrderDiscount,
    PricedLine, PricingError, finish_line, price_line_member, spread_largest_remainder,
};
use crate::promotions::coupons::{AppliedCoupon, Coupon, CouponId};
use crate::promotions::{
    AppliedPromotion, CartError, CartLine, Customer, PromotionCart, PromotionEngine, PromotionId, PromotionKind,
    PromotionOutcome, ThresholdHint,
};
use crate::receipt::ReceiptNo;
use crate::stored_value::{StoredValueError, SvSplit, refund_split};
use crate::tax::{TaxGroup, tax_groups};

mod refund;
mod tender;
pub use refund::*;
pub use tender::*;

/// A line as the till rang it up: the product's facts at the moment of sale, and its pricing input.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineItem {
    pub product_id: ProductId,
    pub product_code: String,
    /// The code that was scanned, if the line came from a scan.
    pub barcode: Option<String>,
    /// The name printed on the receipt.
    pub name: String,
    pub category: CategoryId,
    pub unit: String,
    pub vat: Bp,
    pub points_eligible: bool,
    /// Sold by weight (the quantity is grams): promotions that count pieces pass it by.
    #[serde(default)]
    pub weighed: bool,
    /// The product's brand when it was sold (promotions and coupons may scope by brand).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brand: Option<crate::promotions::BrandId>,
    pub pricing: LineInput,
}

/// A priced line of a sale.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaleLine {
    pub item: LineItem,
    pub priced: PricedLine,
    /// Every promotion's fen on this line (step 3), in the order the layers applied them; they sum
    /// to `priced.promotion_discount`. Returns pay back from these, never from today's promotions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub promotions: Vec<(PromotionId, Money)>,
    /// The 满赠 promotion that added this line as a gift at ¥0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gift_of: Option<PromotionId>,
    /// Every coupon's fen on this line (layer 4); they sum to `priced.coupon_discount`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub coupons: Vec<(CouponId, Money)>,
    /// This line's part of the order discount.
    pub order_discount: Money,
    /// What the line finally costs: `priced.net - order_discount`.
    pub net: Money,
}

/// The money figures of a sale.
/// `total = gross - member_savings - promotion_discounts - coupon_discounts - manual_discounts -
/// order_discount` is the sum of the lines' nets; `due = total + rounding` is what the tenders pay.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaleTotals {
    pub gross: Money,
    pub member_savings: Money,
    /// What promotions took off, all lines together.
    #[serde(default)]
    pub promotion_discounts: Money,
    /// What the member's coupons took off, all lines together.
    #[serde(default, skip_serializing_if = "Money::is_zero_ref")]
    pub coupon_discounts: Money,
    pub manual_discounts: Money,
    pub order_discount: Money,
    pub total: Money,
    /// The cash rounding adjustment (negative when rounded down).
    pub rounding: Money,
    pub due: Money,
}

impl SaleTotals {
    /// Everything taken off the gross: member savings, promotions, coupons, manual and order
    /// discounts.
    pub fn discounts(&self) -> Money {
        self.member_savings
            + self.promotion_discounts
            + self.coupon_discounts
            + self.manual_discounts
            + self.order_discount
    }
}

/// A sale priced line by line, before tenders.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PricedSale {
    pub lines: Vec<SaleLine>,
    pub totals: SaleTotals,
    pub tax: Vec<TaxGroup>,
    /// Sum of the nets of points-eligible lines after the order discount.
    pub points_eligible_net: Money,
    /// What the promotions did, when the sale was priced with a promotion set.
    pub promotions: Option<SalePromotions>,
    /// The order threshold the cart is near ("再买 ¥X 可享 …"), for the sale screen.
    pub threshold_hint: Option<ThresholdHint>,
    /// The coupons that took effect, each with its discount (the lines carry the allocations).
    pub coupons: Vec<AppliedCoupon>,
    /// Coupons presented that gave nothing on this cart (minimum spend not reached, nothing in
    /// scope): the member keeps them.
    pub unused_coupons: Vec<CouponId>,
}

/// The record of a sale's promotions: the set version it was priced with and every promotion that
/// took effect (each line's allocations are on the line). A return reads this, never today's set.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SalePromotions {
    pub version: u64,
    /// The business time (branch local) the promotions were priced for: HQ re-prices with it.
    pub at: jiff::civil::DateTime,
    pub applied: Vec<AppliedPromotion>,
    /// The member's earlier sales with each promotion that the till priced with (per-member
    /// limits: HQ's count from its online lookup; empty offline), as pairs (JSON maps key by
    /// text). HQ re-prices with the same and checks its own count apart.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub member_uses: Vec<(PromotionId, u32)>,
}

impl SalePromotions {
    /// 本单共优惠 of the promotions: the sum of their discounts.
    pub fn total(&self) -> Money {
        self.applied.iter().map(|p| p.discount).sum()
    }
}

/// What pricing needs for step 3 besides the lines: the engine at its set version, the branch, the
/// business time and who is buying, and the products a 满赠 may add as a gift line.
pub struct PromotionContext<'a> {
    pub engine: &'a PromotionEngine,
    pub branch: BranchId,
    /// The business time, branch local.
    pub at: jiff::civil::DateTime,
    pub customer: Customer,
    /// The gift products the set names (see [`PromotionContext::gift_products`]), as lines of one
    /// unit; a gift whose product is missing here is not added.
    pub gifts: &'a [LineItem],
    /// Layer 4: the coupons held for this sale, applied last in this order.
    pub coupons: &'a [Coupon],
}

impl PromotionContext<'_> {
    /// The products the set's 满赠 promotions give away: the caller looks them up for `gifts`.
    pub fn gift_products(engine: &PromotionEngine) -> Vec<ProductId> {
        let mut ids: Vec<ProductId> = engine
            .set()
            .promotions
            .iter()
            .filter_map(|p| match p.kind {
                PromotionKind::Gift { product, .. } => Some(product),
                _ => None,
            })
            .collect();
        ids.sort();
        ids.dedup();
        ids
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SaleError {
    #[error("line {}: {error}", .index + 1)]
    Line { index: usize, error: PricingError },
    #[error("order discount: {0}")]
    OrderDiscount(PricingError),
    #[error("promotions: {0}")]
    Promotions(CartError),
    #[error("the sale is too large")]
    Overflow,
}

/// Prices every line (steps 1–5) with no promotions; see [`price_sale_with`].
pub fn price_sale(
    items: &[LineItem],
    member: Option<&MemberBenefit>,
    order_discount: Option<OrderDiscount>,
) -> Result<PricedSale, SaleError> {
    price_sale_with(items, member, order_discount, None)
}

/// Prices every line: steps 1–2 line by line, step 3 (promotions) over the whole cart when a promotion
/// context is given (a 满赠's gift becomes a ¥0 line at the end), steps 4–5 line by line; then spreads
/// the order discount over the discount-eligible lines by the largest-remainder method, then groups
/// tax by rate.
///
/// Decisions: a line with a manual price override or a scale label's printed price takes no
/// promotions (the price typed or printed stands); a manual line discount applies after the
/// promotions; the order discount is spread over what the lines cost after promotions.
pub fn price_sale_with(
    items: &[LineItem],
    member: Option<&MemberBenefit>,
    order_discount: Option<OrderDiscount>,
    promotions: Option<&PromotionContext<'_>>,
) -> Result<PricedSale, SaleError> {
    let member_priced: Vec<MemberPricedLine> = items
        .iter()
        .enumerate()
        .map(|(index, item)| price_line_member(&item.pricing, member).map_err(|error| SaleError::Line { index, error }))
        .collect::<Result<_, _>>()?;
    let mut items: Vec<LineItem> = items.to_vec();
    let mut member_priced = member_priced;
    let mut threshold_hint = None;
    let (outcome, gift_of) = match promotions {
        None => (None, vec![None; items.len()]),
        Some(ctx) => {
            let (outcome, hint) = run_promotions(&items, &member_priced, ctx)?;
            threshold_hint = hint;
            let mut gift_of = vec![None; items.len()];
            for g in &outcome.gifts {
                let Some(template) = ctx.gifts.iter().find(|i| i.product_id == g.product) else { continue };
                let mut gift = template.clone();
                gift.pricing = LineInput {
                    base_price: Money::ZERO,
                    member_price: None,
                    discount_eligible: false,
                    qty: g.qty,
                    label_price: None,
                    manual: None,
                };
                gift.points_eligible = false;
                member_priced.push(
                    price_line_member(&gift.pricing, None)
                        .map_err(|error| SaleError::Line { index: items.len(), error })?,
                );
                items.push(gift);
                gift_of.push(Some(g.promotion));
            }
            (Some(outcome), gift_of)
        }
    };
    let mut priced = Vec::with_capacity(items.len());
    for (index, (item, m)) in items.iter().zip(&member_priced).enumerate() {
        let step3 = match outcome.as_ref().and_then(|o| o.lines.get(index)) {
            Some(l) => LinePromotions {
                unit: (l.unit != m.unit).then_some(l.unit),
                discount: l.allocations.iter().map(|a| a.1).sum(),
                coupons: l.coupon_allocations.iter().map(|a| a.1).sum(),
            },
            None => LinePromotions::default(),
        };
        priced.push(finish_line(&item.pricing, m, step3).map_err(|error| SaleError::Line { index, error })?);
    }
    let sum = |f: &dyn Fn(&PricedLine) -> Money| -> Result<Money, SaleError> {
        priced.iter().try_fold(Money::ZERO, |acc, p| acc.checked_add(f(p))).ok_or(SaleError::Overflow)
    };
    let gross = sum(&|p| p.gross)?;
    let member_savings = sum(&|p| p.member_saving)?;
    let promotion_discounts = sum(&|p| p.promotion_discount)?;
    let coupon_discounts = sum(&|p| p.coupon_discount)?;
    let manual_discounts = sum(&|p| p.manual_discount)?;
    let weights: Vec<i64> =
        items.iter().zip(&priced).map(|(item, p)| if item.pricing.discount_eligible { p.net.0 } else { 0 }).collect();
    let eligible = Money(weights.iter().sum());
    let order_amount = match order_discount {
        Some(d) => d.amount_of(eligible).map_err(SaleError::OrderDiscount)?,
        None => Money::ZERO,
    };
    let parts = spread_largest_remainder(order_amount.0, &weights);
    let lines: Vec<SaleLine> = items
        .iter()
        .zip(priced)
        .zip(parts)
        .zip(gift_of)
        .enumerate()
        .map(|(index, (((item, priced), part), gift_of))| SaleLine {
            item: item.clone(),
            priced,
            promotions: outcome
                .as_ref()
                .and_then(|o| o.lines.get(index))
                .map(|l| l.allocations.clone())
                .unwrap_or_default(),
            gift_of,
            coupons: outcome
                .as_ref()
                .and_then(|o| o.lines.get(index))
                .map(|l| l.coupon_allocations.clone())
                .unwrap_or_default(),
            order_discount: Money(part),
            net: priced.net - Money(part),
        })
        .collect();
    let total: Money = lines.iter().map(|l| l.net).sum();
    let points_eligible_net = lines.iter().filter(|l| l.item.points_eligible).map(|l| l.net).sum();
    let tax = tax_groups(lines.iter().map(|l| (l.item.vat, l.net)));
    Ok(PricedSale {
        lines,
        totals: SaleTotals {
            gross,
            member_savings,
            promotion_discounts,
            coupon_discounts,
            manual_discounts,
            order_discount: order_amount,
            total,
            rounding: Money::ZERO,
            due: total,
        },
        tax,
        points_eligible_net,
        threshold_hint,
        coupons: outcome.as_ref().map(|o| o.coupons.clone()).unwrap_or_default(),
        unused_coupons: outcome.as_ref().map(|o| o.unused_coupons.clone()).unwrap_or_default(),
        promotions: outcome.map(|o| SalePromotions {
            version: o.version,
            at: promotions.map_or(jiff::civil::DateTime::default(), |c| c.at),
            applied: o.promotions,
            member_uses: promotions
                .map(|c| c.customer.used_by_member.iter().map(|(id, n)| (*id, *n)).collect())
                .unwrap_or_default(),
        }),
    })
}

/// Step 3: the cart's lines after member benefit through the promotions engine, line `i` of the
/// cart being line `i` of the sale.
fn run_promotions(
    items: &[LineItem],
    member_priced: &[MemberPricedLine],
    ctx: &PromotionContext<'_>,
) -> Result<(PromotionOutcome, Option<ThresholdHint>), SaleError> {
    let cart = PromotionCart {
        branch: ctx.branch,
        at: ctx.at,
        customer: ctx.customer.clone(),
        lines: items
            .iter()
            .zip(member_priced)
            .enumerate()
            .map(|(index, (item, m))| CartLine {
                index,
                product: item.product_id,
                category: item.category,
                brand: item.brand,
                base_unit: m.base_unit,
                member_unit: m.unit,
                qty: item.pricing.qty,
                discount_eligible: item.pricing.discount_eligible,
                // A price the cashier typed, or a scale label's printed one, stands; a line discount
                // comes after the promotions (step 4).
                manual_override: matches!(item.pricing.manual, Some(ManualAdjustment::PriceOverride(_)))
                    || item.pricing.label_price.is_some(),
                weighed: item.weighed,
            })
            .collect(),
        coupons: ctx.coupons.to_vec(),
    };
    let outcome = ctx.engine.price(&cart).map_err(SaleError::Promotions)?;
    let hint = ctx.engine.nearest_threshold(&cart, &outcome);
    Ok((outcome, hint))
}

/// The member on a sale, and what the till promised them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaleMember {
    /// `None` when the till only captured an identifier (offline, or a card HQ has not seen yet).
    pub member_id: Option<MemberId>,
    pub identifier: MemberIdentifier,
    pub tier: Option<String>,
    /// The points base: eligible lines' nets minus what points paid.
    pub points_base: Money,
    /// The points the receipt says the member earned; HQ honours it.
    pub points_earned: i64,
    /// The policy version the till used.
    pub policy_version: u32,
}

/// A completed sale: never changed once written; corrected only by refunds and voids.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompletedSale {
    pub id: SaleId,
    pub receipt_no: ReceiptNo,
    pub branch: BranchId,
    pub till: TillId,
    pub shift: ShiftId,
    pub cashier: StaffId,
    pub completed_at: Timestamp,
    pub business_day: Date,
    pub lines: Vec<SaleLine>,
    pub order_discount: Option<OrderDiscount>,
    pub totals: SaleTotals,
    pub tax: Vec<TaxGroup>,
    pub points_eligible_net: Money,
    pub tenders: Vec<Tender>,
    pub change: Money,
    /// Part of the change put on the member's stored value (找零转存) instead of handed back.
    pub change_to_stored_value: Money,
    pub member: Option<SaleMember>,
    /// The promotion set version the sale was priced with and the promotions that took effect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub promotions: Option<SalePromotions>,
    /// The member's coupons the sale used (layer 4): HQ captures each (its hold, or the code when
    /// it was taken offline).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub coupons: Vec<RedeemedCoupon>,
}

/// A coupon a sale used: the code presented, the coupon as applied, the HQ hold that reserved it
/// (`None`: taken while HQ could not be reached, under the campaign's offline cap) and what it took
/// off (its allocations are on the lines).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedeemedCoupon {
    pub code: String,
    pub coupon: Coupon,
    pub hold: Option<crate::ids::HoldId>,
    pub discount: Money,
}

/// Why a sale record does not add up (HQ rejects such an event with this reason).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InconsistentSale {
    #[error("the sale has no lines")]
    NoLines,
    #[error("line {0} has a negative net")]
    NegativeLine(usize),
    #[error("line {0}: net is not its priced net minus its order discount")]
    LineNet(usize),
    #[error("the lines' nets do not sum to the total")]
    LinesVsTotal,
    #[error("the total is not gross minus discounts")]
    TotalVsDiscounts,
    #[error("due is not total plus rounding")]
    DueVsRounding,
    #[error("the tenders do not sum to what was due")]
    TendersVsDue,
    #[error("change put on stored value is more than the change, or there is no member")]
    ChangeToStoredValue,
    #[error("a tender is not above zero")]
    TenderNotPositive,
    #[error("points earned are negative")]
    NegativePoints,
    #[error(transparent)]
    OutOfBounds(#[from] crate::limits::OutOfBounds),
    #[error("a stored-value tender's principal and bonus do not add up to it")]
    StoredValueSplit,
    #[error("a points tender must spend points, and only a points tender may")]
    PointsTender,
    #[error("the points base is not the points-eligible lines' nets less what points paid")]
    PointsBase,
    #[error("the tax groups are not those of the lines")]
    Tax,
    #[error("line {0}: its promotion allocations do not sum to its promotion discount, or one is not above zero")]
    LinePromotions(usize),
    #[error("the lines' promotion discounts do not sum to the sale's")]
    PromotionTotal,
    #[error("promotion {0}: its allocations on the lines do not sum to its discount, or it is not recorded")]
    PromotionAllocations(u64),
    #[error("a gift line must cost nothing and name a promotion the sale recorded")]
    GiftLine,
    #[error("coupon {0}: its allocations on the lines do not sum to its discount, or it is not recorded")]
    CouponAllocations(u64),
}

impl CompletedSale {
    /// Checks the sums every consumer relies on.
    pub fn check(&self) -> Result<(), InconsistentSale> {
        if self.lines.is_empty() {
            return Err(InconsistentSale::NoLines);
        }
        self.check_bounds()?;
        for (i, l) in self.lines.iter().enumerate() {
            if l.net.is_negative() {
                return Err(InconsistentSale::NegativeLine(i + 1));
            }
            if l.net != l.priced.net - l.order_discount {
                return Err(InconsistentSale::LineNet(i + 1));
            }
        }
        self.check_promotions()?;
        let t = &self.totals;
        if self.lines.iter().map(|l| l.net).sum::<Money>() != t.total {
            return Err(InconsistentSale::LinesVsTotal);
        }
        if t.gross
            - t.member_savings
            - t.promotion_discounts
            - t.coupon_discounts
            - t.manual_discounts
            - t.order_discount
            != t.total
        {
            return Err(InconsistentSale::TotalVsDiscounts);
        }
        if t.total + t.rounding != t.due {
            return Err(InconsistentSale::DueVsRounding);
        }
        if self.tenders.iter().any(|x| x.amount.is_negative()) {
            return Err(InconsistentSale::TenderNotPositive);
        }
        if self.tenders.iter().map(|x| x.amount).sum::<Money>() != t.due {
            return Err(InconsistentSale::TendersVsDue);
        }
        if self.change_to_stored_value.is_negative()
            || self.change_to_stored_value > self.change
            || (self.change_to_stored_value.0 > 0 && self.member.is_none())
        {
            return Err(InconsistentSale::ChangeToStoredValue);
        }
        if self.member.as_ref().is_some_and(|m| m.points_earned < 0) {
            return Err(InconsistentSale::NegativePoints);
        }
        for x in &self.tenders {
            if x.kind == TenderKind::StoredValue && x.stored_value.is_some_and(|sv| sv.total() != x.amount) {
                return Err(InconsistentSale::StoredValueSplit);
            }
            if (x.kind == TenderKind::Points) != (x.points > 0) {
                return Err(InconsistentSale::PointsTender);
            }
        }
        let eligible: Money = self.lines.iter().filter(|l| l.item.points_eligible).map(|l| l.net).sum();
        if eligible != self.points_eligible_net {
            return Err(InconsistentSale::PointsBase);
        }
        if let Some(m) = &self.member
            && m.points_base != crate::points::eligible_base(eligible, self.paid_by(TenderKind::Points))
        {
            return Err(InconsistentSale::PointsBase);
        }
        if self.tax != tax_groups(self.lines.iter().map(|l| (l.item.vat, l.net))) {
            return Err(InconsistentSale::Tax);
        }
        Ok(())
    }

    /// Each line's allocations sum to its promotion discount; each recorded promotion's allocations
    /// over the lines sum to its discount; no allocation names a promotion the sale did not record;
    /// a gift line is a ¥0 line of a recorded promotion.
    fn check_promotions(&self) -> Result<(), InconsistentSale> {
        use crate::limits::{self, MAX_LINES};
        let applied = self.promotions.as_ref().map_or(&[][..], |p| &p.applied[..]);
        limits::count("promotions", applied.len(), MAX_LINES)?;
        for (i, l) in self.lines.iter().enumerate() {
            limits::count("a line's promotions", l.promotions.len(), MAX_LINES)?;
            for (_, m) in &l.promotions {
                limits::non_negative("a promotion allocation", *m)?;
            }
            let sum: i128 = l.promotions.iter().map(|a| i128::from(a.1.0)).sum();
            if l.promotions.iter().any(|a| a.1.0 <= 0) || sum != i128::from(l.priced.promotion_discount.0) {
                return Err(InconsistentSale::LinePromotions(i + 1));
            }
            if let Some(id) = l.gift_of
                && (l.priced.gross.0 != 0 || l.net.0 != 0 || !applied.iter().any(|p| p.id == id))
            {
                return Err(InconsistentSale::GiftLine);
            }
        }
        let sum: i128 = self.lines.iter().map(|l| i128::from(l.priced.promotion_discount.0)).sum();
        if sum != i128::from(self.totals.promotion_discounts.0) {
            return Err(InconsistentSale::PromotionTotal);
        }
        for p in applied {
            limits::non_negative("a promotion's discount", p.discount)?;
            let on_lines: i128 =
                self.lines.iter().flat_map(|l| &l.promotions).filter(|a| a.0 == p.id).map(|a| i128::from(a.1.0)).sum();
            if on_lines != i128::from(p.discount.0) || p.lines.iter().any(|&i| i >= self.lines.len()) {
                return Err(InconsistentSale::PromotionAllocations(p.id.0));
            }
        }
        if let Some(a) = self.lines.iter().flat_map(|l| &l.promotions).find(|a| !applied.iter().any(|p| p.id == a.0)) {
            return Err(InconsistentSale::PromotionAllocations(a.0.0));
        }
        self.check_coupons()
    }

    /// Layer 4 as [`CompletedSale::check_promotions`] checks layers 1–3: every line's coupon
    /// allocations sum to its coupon discount, every coupon's to its discount, each coupon once.
    fn check_coupons(&self) -> Result<(), InconsistentSale> {
        use crate::limits::{self, MAX_LINES};
        limits::count("coupons", self.coupons.len(), MAX_LINES)?;
        for l in &self.lines {
            limits::count("a line's coupons", l.coupons.len(), MAX_LINES)?;
            let sum: i128 = l.coupons.iter().map(|a| i128::from(a.1.0)).sum();
            if l.coupons.iter().any(|a| a.1.0 <= 0) || sum != i128::from(l.priced.coupon_discount.0) {
                return Err(InconsistentSale::CouponAllocations(l.coupons.first().map_or(0, |a| a.0.0)));
            }
            if l.gift_of.is_some() && !l.coupons.is_empty() {
                return Err(InconsistentSale::GiftLine);
            }
        }
        let sum: i128 = self.lines.iter().map(|l| i128::from(l.priced.coupon_discount.0)).sum();
        if sum != i128::from(self.totals.coupon_discounts.0) {
            return Err(InconsistentSale::CouponAllocations(0));
        }
        for (n, c) in self.coupons.iter().enumerate() {
            limits::non_negative("a coupon's discount", c.discount)?;
            let on_lines: i128 = self
                .lines
                .iter()
                .flat_map(|l| &l.coupons)
                .filter(|a| a.0 == c.coupon.id)
                .map(|a| i128::from(a.1.0))
                .sum();
            let twice = self.coupons[..n].iter().any(|d| d.coupon.id == c.coupon.id);
            if c.discount.0 <= 0 || on_lines != i128::from(c.discount.0) || twice {
                return Err(InconsistentSale::CouponAllocations(c.coupon.id.0));
            }
        }
        if let Some(a) =
            self.lines.iter().flat_map(|l| &l.coupons).find(|a| !self.coupons.iter().any(|c| c.coupon.id == a.0))
        {
            return Err(InconsistentSale::CouponAllocations(a.0.0));
        }
        Ok(())
    }

    /// Every figure within [`crate::limits`], checked before anything is added up.
    fn check_bounds(&self) -> Result<(), InconsistentSale> {
        use crate::limits::{self, MAX_LINES, MAX_TENDERS};
        limits::count("lines", self.lines.len(), MAX_LINES)?;
        limits::count("tenders", self.tenders.len(), MAX_TENDERS)?;
        for l in &self.lines {
            limits::qty("a line's quantity", l.priced.qty)?;
            for (what, m) in [
                ("a line's unit price", l.priced.unit),
                ("a line's base price", l.priced.base_unit),
                ("a line's gross", l.priced.gross),
                ("a line's member saving", l.priced.member_saving),
                ("a line's promotion discount", l.priced.promotion_discount),
                ("a line's coupon discount", l.priced.coupon_discount),
                ("a line's net", l.priced.net),
                ("a line's order discount", l.order_discount),
                ("a line's net", l.net),
            ] {
                limits::non_negative(what, m)?;
            }
            limits::amount("a line's manual discount", l.priced.manual_discount)?;
        }
        let t = &self.totals;
        for (what, m) in [
            ("the gross", t.gross),
            ("the member savings", t.member_savings),
            ("the promotion discounts", t.promotion_discounts),
            ("the coupon discounts", t.coupon_discounts),
            ("the order discount", t.order_discount),
            ("the total", t.total),
            ("the amount due", t.due),
            ("the points base", self.points_eligible_net),
            ("the change", self.change),
            ("the change put on stored value", self.change_to_stored_value),
        ] {
            limits::non_negative(what, m)?;
        }
        limits::amount("the manual discounts", t.manual_discounts)?;
        limits::amount("the rounding", t.rounding)?;
        for x in &self.tenders {
            limits::non_negative("a tender", x.amount)?;
            limits::non_negative("a tender's handed amount", x.tendered)?;
            limits::points("a tender's points", x.points)?;
            if let Some(sv) = x.stored_value {
                limits::non_negative("a tender's stored-value principal", sv.principal)?;
                limits::non_negative("a tender's stored-value bonus", sv.bonus)?;
            }
        }
        if let Some(m) = &self.member {
            limits::points("the points earned", m.points_earned)?;
            limits::non_negative("the member's points base", m.points_base)?;
        }
        for g in &self.tax {
            limits::amount("a tax group's gross", g.gross)?;
            limits::amount("a tax group's tax", g.tax)?;
        }
        Ok(())
    }

    /// What the tenders of `kind` paid.
    pub fn paid_by(&self, kind: TenderKind) -> Money {
        self.tenders.iter().filter(|t| t.kind == kind).map(|t| t.amount).sum()
    }

    /// Points spent as a tender.
    pub fn points_redeemed(&self) -> i64 {
        self.tenders.iter().filter(|t| t.kind == TenderKind::Points).map(|t| t.points).sum()
    }

    pub fn points_earned(&self) -> i64 {
        self.member.as_ref().map_or(0, |m| m.points_earned)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    pub(crate) fn item(id: i64, price: i64, qty: i64, vat: i64) -> LineItem {
        LineItem {
            brand: None,
            product_id: ProductId(id),
            product_code: format!("P{id}"),
            barcode: None,
            name: format!("商品{id}"),
            category: CategoryId(1),
            unit: "个".into(),
            vat: Bp(vat),
            points_eligible: true,
            weighed: false,
            pricing: LineInput {
                base_price: Money(price),
                member_price: None,
                discount_eligible: true,
                qty: Qty(qty),
                label_price: None,
                manual: None,
            },
        }
    }

    #[test]
    fn order_discount_spreads_over_eligible_lines_only() {
        let mut items = vec![item(1, 1000, 1000, 1300), item(2, 2000, 1000, 900), item(3, 500, 1000, 1300)];
        items[2].pricing.discount_eligible = false;
        let sale = price_sale(&items, None, Some(OrderDiscount::Amount(Money(301)))).expect("priced");
        let parts: Vec<i64> = sale.lines.iter().map(|l| l.order_discount.0).collect();
        assert_eq!(parts, vec![100, 201, 0]);
        assert_eq!(sale.totals.total, Money(3500 - 301));
        assert_eq!(sale.totals.total, sale.lines.iter().map(|l| l.net).sum());
    }

    #[test]
    fn tax_after_discounts() {
        // ¥113.00 of 13% goods and ¥10.00 of 13%: one group of ¥123.00 → tax round(12300*1300/11300) = 1415.
        let items = vec![item(1, 11300, 1000, 1300), item(2, 1000, 1000, 1300)];
        let sale = price_sale(&items, None, None).expect("priced");
        assert_eq!(sale.tax.len(), 1);
        assert_eq!(sale.tax[0].tax, Money(1415));
    }

    #[test]
    fn a_bad_line_names_its_position() {
        let items = vec![item(1, 100, 1000, 1300), item(2, 100, 0, 1300)];
        assert_eq!(
            price_sale(&items, None, None),
            Err(SaleError::Line { index: 1, error: PricingError::QtyNotPositive(Qty(0)) })
        );
        let mut items = vec![item(1, 100, 1000, 1300)];
        items[0].pricing.manual = Some(ManualAdjustment::DiscountAmount(Money(200)));
        assert!(matches!(price_sale(&items, None, None), Err(SaleError::Line { index: 0, .. })));
    }
}
