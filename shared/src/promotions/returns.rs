//! What a return of promotion goods pays back, from what the sale recorded, never by re-pricing with
//! today's promotions (domain.md "Returns of promotion sales").
//!
//! - A line pays back what it paid, `paid = net_before − every allocation on it`, cumulatively by units:
//!   `paid_back_so_far = floor(paid × units_returned_so_far / units)`, so partial returns never pay back
//!   more and a full return pays back exactly `paid`.
//! - A promotion with `threshold_clawback`: when the lines kept no longer reach its lowest threshold
//!   (measured like the sale did, on the kept lines after layers 1–2), the refund also deducts what the
//!   kept lines got from it. A fall to a lower slab is not clawed back.
//!
//! Decisions where the spec is silent:
//! - "What the kept lines got" and "the kept lines' total" are cumulative by units like the paid-back
//!   figure: a line kept in part counts `x − floor(x × returned / units)` of each figure `x`.
//! - A clawback is cumulative too. The caller records [`ReturnRefund::clawed_back_so_far`] and passes it
//!   back with the next return of the same sale; when kept lines come back later, the clawback on them is
//!   released (the refund pays it back), so returning everything in the end nets exactly what was paid.
//! - A manager's waiver lets this return take no new clawback (what was clawed before stays clawed,
//!   and is still released as its lines come back).
//! - A gift line is recorded as a line at ¥0 and so pays back ¥0; a gift is never clawed back in money.

use serde::{Deserialize, Serialize};

use super::coupons::CouponId;
use super::{AppliedPromotion, Layer, LineOutcome, PromotionId};
use crate::money::{Money, Qty, div_floor};

/// One line of a promotion sale as it was recorded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedLine {
    pub qty: Qty,
    /// The line before promotions ([`LineOutcome::net_before`]).
    pub net_before: Money,
    pub allocations: Vec<(PromotionId, Money)>,
    /// Layer 4's allocations ([`LineOutcome::coupon_allocations`]): paid for, never clawed back.
    #[serde(default)]
    pub coupon_allocations: Vec<(CouponId, Money)>,
    /// What came off the line after the promotions (a manual line discount, its part of an order
    /// discount): it lowers what the line paid, never what it measured toward a threshold.
    #[serde(default)]
    pub after_promotions: Money,
}

impl RecordedLine {
    /// The record of an engine outcome's line sold as `qty`.
    pub fn from_outcome(line: &LineOutcome, qty: Qty) -> RecordedLine {
        RecordedLine {
            qty,
            net_before: line.net_before,
            allocations: line.allocations.clone(),
            coupon_allocations: line.coupon_allocations.clone(),
            after_promotions: Money::ZERO,
        }
    }

    /// What the line paid: its net before promotions less every allocation on it (coupons' too)
    /// and what came off it after them.
    pub fn paid(&self) -> Money {
        self.net_before
            - self.allocations.iter().map(|a| a.1).sum::<Money>()
            - self.coupon_allocations.iter().map(|a| a.1).sum::<Money>()
            - self.after_promotions
    }
}

/// What one return pays back.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnRefund {
    /// Per recorded line, what its returned units pay back (before any clawback).
    pub lines: Vec<Money>,
    /// What this return deducts for threshold clawbacks (negative when it releases an earlier one).
    pub clawback: Money,
    /// `Σ lines − clawback`: what the customer gets.
    pub refund: Money,
    /// The sale's clawback after this return; pass it as `clawed_back_before` to the next return.
    pub clawed_back_so_far: Money,
}

/// Why a return cannot be paid as asked.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReturnError {
    #[error("the return lists {given} lines but the sale has {expected}")]
    LineCount { expected: usize, given: usize },
    #[error("line {line}: a returned quantity cannot be negative")]
    NegativeQty { line: usize },
    #[error("line {line}: {returned} returned in all is more than the {sold} sold")]
    MoreThanSold { line: usize, returned: Qty, sold: Qty },
    #[error("the clawback leaves the customer owing {owed}; a manager may waive it")]
    ClawbackExceedsRefund { owed: Money },
}

/// `x × returned / sold`, floored.
fn share(x: i64, returned: Qty, sold: Qty) -> i64 {
    if sold.0 <= 0 {
        return 0;
    }
    div_floor(i128::from(x) * i128::from(returned.0), i128::from(sold.0)) as i64
}

/// What returning `returning` (per recorded line, in milli-units) pays back, given `returned_before`
/// (per line, earlier returns of the same sale) and `clawed_back_before` (the previous return's
/// [`ReturnRefund::clawed_back_so_far`], zero for the first). `promotions` is the sale's recorded
/// [`AppliedPromotion`] list; `waive_clawback` is a manager's waiver. `lines` are in the sale's cart
/// order, since [`AppliedPromotion::lines`] names lines by their place in it.
pub fn refund_for_return(
    lines: &[RecordedLine],
    promotions: &[AppliedPromotion],
    returned_before: &[Qty],
    returning: &[Qty],
    clawed_back_before: Money,
    waive_clawback: bool,
) -> Result<ReturnRefund, ReturnError> {
    for given in [returned_before.len(), returning.len()] {
        if given != lines.len() {
            return Err(ReturnError::LineCount { expected: lines.len(), given });
        }
    }
    let mut after: Vec<Qty> = Vec::with_capacity(lines.len());
    for (i, line) in lines.iter().enumerate() {
        let (before, now) = (returned_before[i], returning[i]);
        if before.0 < 0 || now.0 < 0 {
            return Err(ReturnError::NegativeQty { line: i });
        }
        let Some(total) = before.0.checked_add(now.0).map(Qty) else {
            return Err(ReturnError::MoreThanSold { line: i, returned: Qty(i64::MAX), sold: line.qty });
        };
        if total > line.qty {
            return Err(ReturnError::MoreThanSold { line: i, returned: total, sold: line.qty });
        }
        after.push(total);
    }
    let per_line: Vec<Money> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let paid = l.paid().0;
            Money(share(paid, after[i], l.qty) - share(paid, returned_before[i], l.qty))
        })
        .collect();
    let owed_now = clawback(lines, promotions, &after);
    let clawed_after = if waive_clawback { owed_now.min(clawed_back_before) } else { owed_now };
    let clawback = clawed_after - clawed_back_before;
    let refund = per_line.iter().copied().sum::<Money>() - clawback;
    if refund.is_negative() {
        return Err(ReturnError::ClawbackExceedsRefund { owed: -refund });
    }
    Ok(ReturnRefund { lines: per_line, clawback, refund, clawed_back_so_far: clawed_after })
}

/// The clawback the sale owes with `returned` units back: for every clawback promotion whose kept lines
/// (after layers 1–2) fall below its lowest threshold, what the kept lines got from it.
fn clawback(lines: &[RecordedLine], promotions: &[AppliedPromotion], returned: &[Qty]) -> Money {
    let layer_of = |id: PromotionId| promotions.iter().find(|p| p.id == id).map(|p| p.layer);
    let kept = |pos: usize, x: i64| x - share(x, returned[pos], lines[pos].qty);
    let mut owed = 0;
    for p in promotions.iter().filter(|p| p.threshold_clawback && p.layer == Layer::Threshold) {
        let Some(threshold) = p.lowest_threshold else { continue };
        let in_scope = p.lines.iter().copied().filter(|pos| *pos < lines.len());
        let kept_total: i64 = in_scope
            .clone()
            .map(|pos| {
                let line = &lines[pos];
                let before_thresholds: i64 = line
                    .allocations
                    .iter()
                    .filter(|(id, _)| matches!(layer_of(*id), Some(Layer::LinePrice | Layer::ItemGroup)))
                    .map(|(_, m)| m.0)
                    .sum();
                kept(pos, line.net_before.0 - before_thresholds)
            })
            .sum();
        if kept_total >= threshold.0 {
            continue;
        }
        owed += in_scope
            .map(|pos| {
                let got: i64 = lines[pos].allocations.iter().filter(|(id, _)| *id == p.id).map(|(_, m)| m.0).sum();
                kept(pos, got)
            })
            .sum::<i64>();
    }
    Money(owed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::promotions::tests::{example_cart, example_set};
    use crate::promotions::{PromotionOutcome, PromotionSet, price_promotions};

    /// The worked example's sale as recorded, with or without `threshold_clawback` on P3.
    fn sale(clawback: bool) -> (Vec<RecordedLine>, Vec<AppliedPromotion>) {
        let mut set = example_set();
        set[2].threshold_clawback = clawback;
        let cart = example_cart();
        let o: PromotionOutcome =
            price_promotions(&PromotionSet { version: 1, promotions: set }, &cart).expect("priced");
        let lines = o.lines.iter().zip(&cart.lines).map(|(l, c)| RecordedLine::from_outcome(l, c.qty)).collect();
        (lines, o.promotions)
    }

    fn pieces(n: &[i64]) -> Vec<Qty> {
        n.iter().map(|p| Qty::pieces(*p)).collect()
    }

    fn refund(clawback: bool, before: &[i64], now: &[i64], clawed: i64) -> Result<ReturnRefund, ReturnError> {
        let (lines, promotions) = sale(clawback);
        refund_for_return(&lines, &promotions, &pieces(before), &pieces(now), Money(clawed), false)
    }

    /// Quantities from a damaged or hostile record that overflow when added are refused, not a panic.
    #[test]
    fn quantities_that_overflow_are_refused() {
        let (lines, promotions) = sale(false);
        let before = vec![Qty(i64::MAX), Qty(0), Qty(0)];
        let r = refund_for_return(&lines, &promotions, &before, &pieces(&[1, 0, 0]), Money::ZERO, false);
        assert!(matches!(r, Err(ReturnError::MoreThanSold { line: 0, .. })), "{r:?}");
    }

    #[test]
    fn a_line_pays_back_what_it_paid_cumulatively_by_units() {
        let (lines, _) = sale(false);
        assert_eq!(lines.iter().map(|l| l.paid().0).collect::<Vec<_>>(), vec![853, 1023, 1024]);
        // One 可乐: floor(8.53 × 1/4) = 2.13.
        assert_eq!(refund(false, &[0, 0, 0], &[1, 0, 0], 0).map(|r| r.refund), Ok(Money(213)));
        // All four together: exactly 8.53; one at a time: 2.13, 2.13, 2.13, 2.14.
        assert_eq!(refund(false, &[0, 0, 0], &[4, 0, 0], 0).map(|r| r.refund), Ok(Money(853)));
        let one_by_one: Vec<i64> =
            (0..4).map(|k| refund(false, &[k, 0, 0], &[1, 0, 0], 0).map(|r| r.refund.0).expect("refund")).collect();
        assert_eq!(one_by_one, vec![213, 213, 213, 214]);
    }

    #[test]
    fn the_customer_keeps_an_order_discount_unless_it_is_clawed_back() {
        // Returning the 牛奶 pays back 12.00 − 1.76 = 10.24.
        let r = refund(false, &[0, 0, 0], &[0, 0, 1], 0).expect("refund");
        assert_eq!((r.refund, r.clawback), (Money(1024), Money::ZERO));
        // With clawback on P3 the kept 22.00 is below 30: 10.24 − 1.47 − 1.77 = 7.00.
        let r = refund(true, &[0, 0, 0], &[0, 0, 1], 0).expect("refund");
        assert_eq!((r.refund, r.clawback, r.clawed_back_so_far), (Money(700), Money(324), Money(324)));
        // Returning the rest later releases the clawback: everything nets exactly what was paid.
        let rest = refund(true, &[0, 0, 1], &[4, 2, 0], 324).expect("refund");
        assert_eq!(rest.refund, Money(853 + 1023 + 324));
        assert_eq!(rest.refund + r.refund, Money(853 + 1023 + 1024));
        // One 可乐 keeps 31.50 ≥ 30: nothing clawed back.
        assert_eq!(refund(true, &[0, 0, 0], &[1, 0, 0], 0).map(|r| r.refund), Ok(Money(213)));
    }

    #[test]
    fn a_fall_to_a_lower_slab_is_not_clawed_back() {
        let (lines, mut promotions) = sale(true);
        // Pretend P3 also had a 满20 slab: the kept 22.00 still reaches its lowest threshold.
        promotions[2].lowest_threshold = Some(Money::yuan(20));
        let r = refund_for_return(&lines, &promotions, &pieces(&[0, 0, 0]), &pieces(&[0, 0, 1]), Money::ZERO, false);
        assert_eq!(r.map(|r| r.refund), Ok(Money(1024)));
    }

    #[test]
    fn a_clawback_above_the_refund_is_refused_with_what_is_owed() {
        let (mut lines, promotions) = sale(true);
        // Make the returned 牛奶 cheap: it pays back 0.10 while 3.24 would be clawed back.
        lines[2].net_before = Money(10 + 176);
        let r = refund_for_return(&lines, &promotions, &pieces(&[0, 0, 0]), &pieces(&[0, 0, 1]), Money::ZERO, false);
        assert_eq!(r, Err(ReturnError::ClawbackExceedsRefund { owed: Money(314) }));
        // A manager's waiver pays back the line and claws back nothing.
        let r = refund_for_return(&lines, &promotions, &pieces(&[0, 0, 0]), &pieces(&[0, 0, 1]), Money::ZERO, true);
        assert_eq!(r.map(|r| (r.refund, r.clawed_back_so_far)), Ok((Money(10), Money::ZERO)));
    }

    #[test]
    fn impossible_returns_are_typed_errors() {
        assert_eq!(
            refund(false, &[3, 0, 0], &[2, 0, 0], 0),
            Err(ReturnError::MoreThanSold { line: 0, returned: Qty::pieces(5), sold: Qty::pieces(4) })
        );
        assert_eq!(refund(false, &[0, 0], &[0, 0, 0], 0), Err(ReturnError::LineCount { expected: 3, given: 2 }));
        assert_eq!(refund(false, &[0, 0, 0], &[-1, 0, 0], 0), Err(ReturnError::NegativeQty { line: 0 }));
    }
}
