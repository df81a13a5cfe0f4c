//! Layer 3, order thresholds (满减, 满折, 满赠): domain.md "on the scope's total after layers 1–2 …
//! The discount is spread over the scope's lines by the largest-remainder rule"; "Thresholds are
//! reached at ≥; the highest slab reached applies; a repeating discount's cap is in fen. Several
//! layer-3 promotions in different groups each measure the total after layers 1–2, and their discounts
//! add up."
//!
//! Decisions where the spec is silent:
//! - The discount is spread over the scope's lines in proportion to what each still costs (after
//!   layers 1–2 and any layer-3 promotion ranked before it), and it never exceeds what they still
//!   cost, so no line goes below zero when several layer-3 discounts add up.
//! - A per-sale limit on a repeating discount counts repetitions.

use super::PromotionKind;
use crate::money::{Money, div_round_half_up};
use crate::pricing::spread_largest_remainder;

/// What a layer-3 promotion gives a scope totalling `total` after layers 1–2.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Reward {
    Nothing,
    Off(Money),
    Gift,
}

/// The reward of `kind` at `total`, `left` applications allowed (`None` unlimited).
pub(super) fn reward(kind: &PromotionKind, total: Money, left: Option<u32>) -> Reward {
    let off = match kind {
        PromotionKind::Slabs { slabs } => {
            slabs.iter().filter(|s| total >= s.threshold).max_by_key(|s| s.threshold).map(|s| s.off)
        }
        PromotionKind::Repeating { every, off, cap } => {
            let mut times = if every.0 > 0 { total.0 / every.0 } else { 0 };
            if let Some(left) = left {
                times = times.min(i64::from(left));
            }
            let amount = Money(i64::try_from(i128::from(times) * i128::from(off.0)).unwrap_or(i64::MAX));
            (times > 0).then(|| cap.map_or(amount, |c| amount.min(c)))
        }
        PromotionKind::ThresholdPercent { threshold, bp } => (total >= *threshold)
            .then(|| Money(div_round_half_up(i128::from(total.0) * i128::from(bp.0), 10_000) as i64)),
        PromotionKind::Gift { threshold, .. } => {
            return if total >= *threshold { Reward::Gift } else { Reward::Nothing };
        }
        _ => None,
    };
    match off {
        Some(m) if m.0 > 0 => Reward::Off(m),
        _ => Reward::Nothing,
    }
}

/// Spreads `off` over the scope lines that still cost `nets` (cart order), at most their sum.
pub(super) fn spread(off: Money, nets: &[i64]) -> Vec<i64> {
    let room: i64 = nets.iter().map(|n| (*n).max(0)).sum();
    spread_largest_remainder(off.0.min(room), nets)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::promotions::Slab;

    fn slabs() -> PromotionKind {
        PromotionKind::Slabs {
            slabs: vec![
                Slab { threshold: Money::yuan(100), off: Money::yuan(10) },
                Slab { threshold: Money::yuan(200), off: Money::yuan(30) },
            ],
        }
    }

    fn check(kind: &PromotionKind, total: i64, left: Option<u32>, expected: Reward) {
        assert_eq!(reward(kind, Money(total), left), expected, "{kind:?} at {total}");
    }

    #[test]
    fn slabs_reach_at_or_above_and_the_highest_applies() {
        check(&slabs(), 9_999, None, Reward::Nothing);
        check(&slabs(), 10_000, None, Reward::Off(Money::yuan(10)));
        check(&slabs(), 19_999, None, Reward::Off(Money::yuan(10)));
        check(&slabs(), 20_000, None, Reward::Off(Money::yuan(30)));
        check(&slabs(), 99_999, None, Reward::Off(Money::yuan(30)));
    }

    #[test]
    fn repeating_with_cap_and_limit() {
        let every = |cap| PromotionKind::Repeating { every: Money::yuan(100), off: Money::yuan(10), cap };
        check(&every(None), 9_999, None, Reward::Nothing);
        check(&every(None), 35_000, None, Reward::Off(Money::yuan(30)));
        check(&every(Some(Money::yuan(25))), 35_000, None, Reward::Off(Money::yuan(25)));
        check(&every(None), 35_000, Some(2), Reward::Off(Money::yuan(20)));
    }

    #[test]
    fn percent_and_gift() {
        let pct = PromotionKind::ThresholdPercent { threshold: Money::yuan(50), bp: crate::money::Bp(1000) };
        check(&pct, 4_999, None, Reward::Nothing);
        // 10 % of ¥50.05 = 500.5 fen → 501.
        check(&pct, 5_005, None, Reward::Off(Money(501)));
        let gift = PromotionKind::Gift { threshold: Money::yuan(50), product: crate::catalog::ProductId(9) };
        check(&gift, 5_000, None, Reward::Gift);
        check(&gift, 4_999, None, Reward::Nothing);
    }

    #[test]
    fn spread_never_takes_a_line_below_zero() {
        assert_eq!(spread(Money(500), &[1000, 1200, 1200]), vec![147, 177, 176]);
        assert_eq!(spread(Money(5000), &[100, 200]), vec![100, 200]);
    }
}
