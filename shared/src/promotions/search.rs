//! The exact search on a big cart, fast: every allowed combination of the competing promotions is
//! scored on the lines they can change, with everything else priced once.
//!
//! The independent promotions are priced once (the base). A combination can only change the lines
//! its promotions take (closed under the independent layer-2 promotions that share them, whose groups
//! it may re-form) and the layer-3 promotions measuring those lines. So a combination's score is the
//! layer 1–2 saving on those lines plus the layer-3 discounts that measure them, each from the base's
//! figure for the lines it does not change plus the combination's figure for those it does. The best
//! combination is then priced in full.
//!
//! Decision: the score does not model a layer-3 discount reduced because earlier layer-3 discounts
//! already took the lines it measures to zero, nor per-sale limits of layer-1 promotions across
//! lines; the full pricing of the chosen combination applies both.

use std::cmp::Reverse;

use super::choose::group_masks;
use super::evaluate::{Candidate, Line, Priced, evaluate};
use super::line_price::promoted_unit;
use super::thresholds::{Reward, reward};
use super::{Layer, groups};
use crate::money::Money;
use crate::pricing::extend;

/// The ranked list of promotions that gave something, for ties (see [`super::choose::ranks_before`]).
type RankKey = Vec<(Reverse<i32>, u64)>;

/// A layer-3 promotion that measures lines a combination can change.
struct Measuring {
    cand: usize,
    /// What its other lines contribute after layers 1–2, from the base.
    frozen: i64,
    /// Its lines a combination can change.
    changing: Vec<usize>,
}

/// The best combination of `open` with `fixed` always on, priced in full.
pub(super) fn search(lines: &[Line], cands: &[Candidate<'_>], fixed: &[usize], open: &[usize]) -> Priced {
    let base = evaluate(lines, cands, fixed);
    // The lines a combination can change.
    let mut changing = vec![false; lines.len()];
    for &c in open {
        for &pos in &cands[c].lines {
            changing[pos] = true;
        }
    }
    let fixed_groups: Vec<usize> = fixed
        .iter()
        .copied()
        .filter(|c| cands[*c].layer == Layer::ItemGroup && cands[*c].lines.iter().any(|p| changing[*p]))
        .collect();
    for &c in &fixed_groups {
        for &pos in &cands[c].lines {
            changing[pos] = true;
        }
    }
    let changed: Vec<usize> = (0..lines.len()).filter(|p| changing[*p]).collect();
    let measuring = |c: usize| Measuring {
        cand: c,
        frozen: cands[c].lines.iter().filter(|p| !changing[**p]).map(|p| base.after_groups[*p]).sum(),
        changing: cands[c].lines.iter().copied().filter(|p| changing[*p]).collect(),
    };
    let fixed_thresholds: Vec<Measuring> = fixed
        .iter()
        .copied()
        .filter(|c| cands[*c].layer == Layer::Threshold && cands[*c].lines.iter().any(|p| changing[*p]))
        .map(measuring)
        .collect();
    let open_thresholds: Vec<(usize, Measuring)> = open
        .iter()
        .enumerate()
        .filter(|(_, c)| cands[**c].layer == Layer::Threshold)
        .map(|(bit, c)| (bit, measuring(*c)))
        .collect();
    let mut open_first: Vec<Vec<(usize, usize)>> = vec![Vec::new(); lines.len()];
    for (bit, &c) in open.iter().enumerate().filter(|(_, c)| cands[**c].layer == Layer::LinePrice) {
        for &pos in &cands[c].lines {
            open_first[pos].push((bit, c));
        }
    }
    let open_groups: Vec<(usize, usize)> =
        open.iter().copied().enumerate().filter(|(_, c)| cands[*c].layer == Layer::ItemGroup).collect();

    let exclusive = group_masks(cands, open);
    let mut units = base.units.clone();
    let mut free = base.free.clone();
    let mut after = base.after_groups.clone();
    let mut best: Option<(i64, RankKey, u32)> = None;
    let (mut givers, mut second, mut key, mut offs) = (Vec::new(), Vec::new(), RankKey::new(), Vec::new());
    for mask in 0u32..(1u32 << open.len()) {
        if exclusive.iter().any(|g| (mask & g).count_ones() > 1) {
            continue;
        }
        let on = |bit: usize| mask & (1 << bit) != 0;
        givers.clear();
        // Layer 1 on the changing lines: the base's unit, or a selected promotion's lower one.
        for &pos in &changed {
            let (mut unit, mut winner) = (base.units[pos], base.winners[pos]);
            for &(bit, c) in &open_first[pos] {
                if !on(bit) {
                    continue;
                }
                let Some(u) = promoted_unit(&cands[c].promotion.kind, &lines[pos]) else { continue };
                if u < unit || (u == unit && winner.is_some_and(|w| c < w)) {
                    unit = u;
                    winner = Some(c);
                }
            }
            units[pos] = unit;
            free[pos] = lines[pos].units;
            after[pos] = extend(unit, lines[pos].qty).map_or(0, |m| m.0);
            givers.extend(winner);
        }
        // Layer 2: the independent groups on those lines and the selected ones, in rank order.
        second.clear();
        second.extend_from_slice(&fixed_groups);
        second.extend(open_groups.iter().filter(|(bit, _)| on(*bit)).map(|(_, c)| *c));
        second.sort_unstable();
        for &c in &second {
            groups::apply_into(&cands[c], lines, &units, &mut free, &mut offs);
            for &(pos, off) in &offs {
                after[pos] -= off.0;
                givers.push(c);
            }
        }
        let mut score: i64 = changed.iter().map(|p| lines[*p].net_before.0 - after[*p]).sum();
        // Layer 3: every threshold measuring those lines.
        let selected_thresholds = open_thresholds.iter().filter(|(bit, _)| on(*bit)).map(|(_, m)| m);
        for m in fixed_thresholds.iter().chain(selected_thresholds) {
            let total = m.frozen + m.changing.iter().map(|p| after[*p]).sum::<i64>();
            match reward(&cands[m.cand].promotion.kind, Money(total), cands[m.cand].left) {
                Reward::Off(off) => {
                    score += off.0.min(total);
                    givers.push(m.cand);
                }
                Reward::Gift => givers.push(m.cand),
                Reward::Nothing => {}
            }
        }
        let wins = match &best {
            None => true,
            Some((s, _, _)) if score != *s => score > *s,
            Some((_, k, _)) => {
                key.clear();
                key.extend(givers.iter().map(|c| (Reverse(cands[*c].promotion.priority), cands[*c].promotion.id.0)));
                key.sort_unstable();
                key.dedup();
                super::choose::ranks_before(&key, k)
            }
        };
        if wins {
            key.clear();
            key.extend(givers.iter().map(|c| (Reverse(cands[*c].promotion.priority), cands[*c].promotion.id.0)));
            key.sort_unstable();
            key.dedup();
            best = Some((score, key.clone(), mask));
        }
    }
    let Some((_, _, mask)) = best else { return base };
    let mut selected: Vec<usize> = fixed.to_vec();
    selected.extend(open.iter().enumerate().filter(|(bit, _)| mask & (1 << bit) != 0).map(|(_, c)| *c));
    selected.sort_unstable();
    evaluate(lines, cands, &selected)
}
