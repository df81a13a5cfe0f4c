//! Layer 1, line price (特价, 直降): domain.md "A line takes the lowest of its member-benefit unit and
//! each layer-1 promotion's unit; layer-1 promotions never stack with each other", and "Percent off
//! gives a new unit price rounded half up (not the discount). Fixed price and amount off start from the
//! base price (amount off stops at zero)".

use super::PromotionKind;
use super::evaluate::{Candidate, Line};
use crate::money::{Money, div_round_half_up};

/// The unit a layer-1 promotion gives `line`, before comparing with the member unit; `None` for a
/// promotion of another layer.
pub(super) fn promoted_unit(kind: &PromotionKind, line: &Line) -> Option<Money> {
    match *kind {
        PromotionKind::FixedPrice { price } => Some(price),
        PromotionKind::AmountOff { off } => Some((line.base_unit - off).max(Money::ZERO)),
        PromotionKind::PercentOff { bp, on_member_price } => {
            let from = if on_member_price { line.member_unit } else { line.base_unit };
            Some(percent_off(from, bp.0))
        }
        _ => None,
    }
}

/// `round_half_up(unit × (10000 − bp) / 10000)`: the unit after `bp` off (bp is 0..=10000).
pub(super) fn percent_off(unit: Money, bp: i64) -> Money {
    Money(div_round_half_up(i128::from(unit.0) * i128::from(10_000 - bp), 10_000) as i64)
}

/// The units after layer 1 and, per line, the selected candidate that set it.
///
/// `selected` lists candidates in rank order (priority high to low, then id); a tie between two units
/// goes to the earlier, i.e. the higher ranked. A promotion with a per-sale limit takes the lines in
/// cart order until its applications (lines) run out; a line it can no longer take falls to the next
/// best promotion. Decision: a limit counts lines, not units, because a layer-1 price is a line's.
pub(super) fn apply(lines: &[Line], candidates: &[Candidate], selected: &[usize]) -> (Vec<Money>, Vec<Option<usize>>) {
    let mut units: Vec<Money> = lines.iter().map(|l| l.member_unit).collect();
    let mut winners: Vec<Option<usize>> = vec![None; lines.len()];
    let mut left: Vec<Option<u32>> = selected.iter().map(|c| candidates[*c].left).collect();
    // Per line, the selected promotions that can take it, in rank order.
    let mut per_line: Vec<Vec<usize>> = vec![Vec::new(); lines.len()];
    for (k, &c) in selected.iter().enumerate() {
        for &pos in &candidates[c].lines {
            per_line[pos].push(k);
        }
    }
    for (pos, line) in lines.iter().enumerate() {
        let mut best: Option<(Money, usize)> = None;
        for &k in &per_line[pos] {
            if left[k] == Some(0) {
                continue;
            }
            let Some(unit) = promoted_unit(&candidates[selected[k]].promotion.kind, line) else { continue };
            if unit < units[pos] && best.is_none_or(|(b, _)| unit < b) {
                best = Some((unit, k));
            }
        }
        if let Some((unit, k)) = best {
            units[pos] = unit;
            winners[pos] = Some(selected[k]);
            if let Some(n) = left[k].as_mut() {
                *n -= 1;
            }
        }
    }
    (units, winners)
}
