//! The exact search on a big cart, fast: every allowed combination of the competing promotions is
//! scored on the lines they can change, with everything else priced once.
//!
//! The independent promotions are priced once (the base). A combination can only change the lines
//! its layer-1 and layer-2 promotions take (with the independent layer-2 promotions sharing those
//! lines, whose groups it may re-form), and the discounts of the layer-3 promotions measuring those
//! lines. The competing promotions split into blocks that share no such line (nor an exclusivity
//! group); each block's own combinations are priced once on its lines, giving its layer 1–2 saving and
//! its part of every measuring layer-3 total. A combination of the whole is then one choice per block,
//! scored by adding those figures and working out the layer-3 discounts from the totals. The best
//! combination is priced in full.
//!
//! Decision: the score does not model a layer-3 discount reduced because earlier layer-3 discounts
//! already took the lines it measures to zero, nor per-sale limits of layer-1 promotions across
//! lines; the full pricing of the chosen combination applies both.

use std::cmp::Reverse;

use super::choose::{group_masks, ranks_before};
use super::evaluate::{Candidate, Line, Priced, evaluate};
use super::line_price::promoted_unit;
use super::thresholds::{Reward, reward};
use super::{Layer, groups};
use crate::money::Money;
use crate::pricing::extend;

/// The ranked list of promotions that gave something, for ties (see [`ranks_before`]).
type RankKey = Vec<(Reverse<i32>, u64)>;

/// A layer-3 promotion measuring lines a combination can change.
struct Measure {
    cand: usize,
    /// What its unchanging lines contribute after layers 1–2, from the base.
    frozen: i64,
    /// The bit of `open` that selects it; `None` when it always applies.
    bit: Option<usize>,
    /// The one block it depends on, if only one: that block's options score it themselves.
    local: Option<usize>,
}

/// Competing promotions sharing lines or a group, and the independent layer-2 ones on those lines.
#[derive(Default)]
struct Block {
    bits: Vec<usize>,
    fixed_groups: Vec<usize>,
    lines: Vec<usize>,
}

/// One combination of a block's own promotions, priced on its lines.
struct BlockOption {
    mask: u32,
    saving: i64,
    /// Per measure, the block's lines' part of its total.
    partial: Vec<i64>,
    givers: Vec<usize>,
}

fn root(parent: &mut [usize], mut i: usize) -> usize {
    while parent[i] != i {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    i
}

fn join(parent: &mut [usize], a: usize, b: usize) {
    let (ra, rb) = (root(parent, a), root(parent, b));
    parent[ra.max(rb)] = ra.min(rb);
}

/// Whether the score of [`search`] is the saving exactly for these candidates: no layer-1 promotion
/// has a limit, and no line is measured by two layer-3 promotions (so none can find its lines already
/// taken to zero by another).
pub(super) fn scores_exactly(cands: &[Candidate<'_>], line_count: usize) -> bool {
    let mut measured = vec![false; line_count];
    for c in cands {
        match c.layer {
            Layer::LinePrice if c.left.is_some() => return false,
            Layer::Threshold => {
                for &pos in &c.lines {
                    if measured[pos] {
                        return false;
                    }
                    measured[pos] = true;
                }
            }
            _ => {}
        }
    }
    true
}

/// The best combination of `open` (at most 32) with `fixed` always on, priced in full.
pub(super) fn search(lines: &[Line], cands: &[Candidate<'_>], fixed: &[usize], open: &[usize]) -> Priced {
    let (base, best, _) = score(lines, cands, fixed, open, false);
    match best {
        Some(mask) => evaluate(lines, cands, &with_mask(fixed, open, mask)),
        None => base,
    }
}

/// `fixed` and the promotions of `open` that `mask` selects, in rank order.
fn with_mask(fixed: &[usize], open: &[usize], mask: u32) -> Vec<usize> {
    let mut selected: Vec<usize> = fixed.to_vec();
    selected.extend(open.iter().enumerate().filter(|(bit, _)| mask & (1 << bit) != 0).map(|(_, c)| *c));
    selected.sort_unstable();
    selected
}

/// The exact search where the score may overstate a combination's saving but never understates it
/// (no layer-1 promotion has a limit; layer-3 discounts may stack): combinations are priced in full
/// from the highest score down, until the next score falls below the best saving found.
pub(super) fn search_bounded(lines: &[Line], cands: &[Candidate<'_>], open: &[usize]) -> Priced {
    let (base, _, mut all) = score(lines, cands, &[], open, true);
    all.sort_unstable_by_key(|(s, mask)| (Reverse(*s), *mask));
    let mut best: Option<Priced> = None;
    for (score, mask) in all {
        if best.as_ref().is_some_and(|b| score < b.saving) {
            break;
        }
        let priced = evaluate(lines, cands, &with_mask(&[], open, mask));
        if best.as_ref().is_none_or(|b| super::choose::better(&priced, b, cands)) {
            best = Some(priced);
        }
    }
    best.unwrap_or(base)
}

/// What [`score`] finds: the base (`fixed` alone), the best combination's mask, and, when asked,
/// every combination's `(score, mask)`.
type Scored = (Priced, Option<u32>, Vec<(i64, u32)>);

/// Scores every allowed combination of `open` with `fixed` always on.
fn score(lines: &[Line], cands: &[Candidate<'_>], fixed: &[usize], open: &[usize], collect: bool) -> Scored {
    let base = evaluate(lines, cands, fixed);
    let changes = |c: usize| cands[c].layer != Layer::Threshold;
    let mut changing = vec![false; lines.len()];
    for &c in open.iter().filter(|c| changes(**c)) {
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
    // Members: the open promotions (by bit), then the independent layer-2 ones on changing lines.
    let members: Vec<usize> = open.iter().chain(&fixed_groups).copied().collect();
    let mut parent: Vec<usize> = (0..members.len()).collect();
    let mut owner: Vec<Option<usize>> = vec![None; lines.len()];
    for (m, &c) in members.iter().enumerate().filter(|(_, c)| changes(**c)) {
        for &pos in &cands[c].lines {
            match owner[pos] {
                Some(o) => join(&mut parent, o, m),
                None => owner[pos] = Some(m),
            }
        }
    }
    let exclusive = group_masks(cands, open);
    for g in &exclusive {
        let bits: Vec<usize> = (0..open.len()).filter(|b| g & (1 << b) != 0).collect();
        for w in bits.windows(2) {
            join(&mut parent, w[0], w[1]);
        }
    }
    let mut blocks: Vec<Block> = Vec::new();
    let mut block_of: Vec<Option<usize>> = vec![None; members.len()];
    for m in 0..members.len() {
        let r = root(&mut parent, m);
        let b = *block_of[r].get_or_insert_with(|| {
            blocks.push(Block::default());
            blocks.len() - 1
        });
        if m < open.len() {
            blocks[b].bits.push(m);
        } else {
            blocks[b].fixed_groups.push(members[m]);
        }
        if changes(members[m]) {
            blocks[b].lines.extend_from_slice(&cands[members[m]].lines);
        }
    }
    let mut line_block: Vec<Option<usize>> = vec![None; lines.len()];
    let mut bit_block: Vec<usize> = vec![0; open.len()];
    for (i, b) in blocks.iter_mut().enumerate() {
        b.lines.sort_unstable();
        b.lines.dedup();
        for &pos in &b.lines {
            line_block[pos] = Some(i);
        }
        for &bit in &b.bits {
            bit_block[bit] = i;
        }
    }
    // The layer-3 promotions measuring changing lines, and which measure each changing line feeds.
    let mut measures: Vec<Measure> = Vec::new();
    let mut feeds: Vec<Vec<usize>> = vec![Vec::new(); lines.len()];
    let thresholds = fixed.iter().map(|c| (*c, None)).chain(open.iter().enumerate().map(|(bit, c)| (*c, Some(bit))));
    for (c, bit) in thresholds.filter(|(c, _)| cands[*c].layer == Layer::Threshold) {
        if bit.is_none() && !cands[c].lines.iter().any(|p| changing[*p]) {
            continue;
        }
        // The blocks it depends on: those feeding its total, and the one selecting it.
        let mut involved: Vec<usize> = cands[c].lines.iter().filter_map(|p| line_block[*p]).collect();
        involved.extend(bit.map(|b| bit_block[b]));
        involved.sort_unstable();
        involved.dedup();
        let local = match involved.as_slice() {
            [only] => Some(*only),
            _ => None,
        };
        for &pos in cands[c].lines.iter().filter(|p| changing[**p]) {
            feeds[pos].push(measures.len());
        }
        let frozen = cands[c].lines.iter().filter(|p| !changing[**p]).map(|p| base.after_groups[*p]).sum();
        measures.push(Measure { cand: c, frozen, bit, local });
    }
    let mut open_first: Vec<Vec<(usize, usize)>> = vec![Vec::new(); lines.len()];
    for (bit, &c) in open.iter().enumerate().filter(|(_, c)| cands[**c].layer == Layer::LinePrice) {
        for &pos in &cands[c].lines {
            open_first[pos].push((bit, c));
        }
    }

    // Every block's own combinations, priced on its lines.
    let mut units = base.units.clone();
    let mut free = base.free.clone();
    let mut after = base.after_groups.clone();
    let mut offs = Vec::new();
    let mut options: Vec<Vec<BlockOption>> = Vec::with_capacity(blocks.len());
    for (b, block) in blocks.iter().enumerate() {
        let mut block_options = Vec::new();
        for local in 0u32..(1u32 << block.bits.len()) {
            let mask: u32 =
                block.bits.iter().enumerate().filter(|(i, _)| local & (1 << i) != 0).map(|(_, b)| 1 << b).sum();
            if exclusive.iter().any(|g| (mask & g).count_ones() > 1) {
                continue;
            }
            let on = |bit: usize| mask & (1 << bit) != 0;
            let mut givers = Vec::new();
            for &pos in &block.lines {
                let (mut unit, mut winner) = (base.units[pos], base.winners[pos]);
                for &(bit, c) in &open_first[pos] {
                    let Some(u) = promoted_unit(&cands[c].promotion.kind, &lines[pos]).filter(|_| on(bit)) else {
                        continue;
                    };
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
            let mut second: Vec<usize> = block.fixed_groups.clone();
            second.extend(
                block.bits.iter().filter(|b| on(**b) && cands[open[**b]].layer == Layer::ItemGroup).map(|b| open[*b]),
            );
            second.sort_unstable();
            for &c in &second {
                groups::apply_into(&cands[c], lines, &units, &mut free, &mut offs);
                for &(pos, off) in &offs {
                    after[pos] -= off.0;
                    givers.push(c);
                }
            }
            let mut saving: i64 = block.lines.iter().map(|p| lines[*p].net_before.0 - after[*p]).sum();
            let mut partial = vec![0; measures.len()];
            for &pos in &block.lines {
                for &m in &feeds[pos] {
                    partial[m] += after[pos];
                }
            }
            // The measures depending on this block alone are scored here, once per option.
            for (m, measure) in measures.iter().enumerate().filter(|(_, m)| m.local == Some(b)) {
                if measure.bit.is_some_and(|bit| !on(bit)) {
                    continue;
                }
                let total = measure.frozen + partial[m];
                match reward(&cands[measure.cand].promotion.kind, Money(total), cands[measure.cand].left) {
                    Reward::Off(off) => {
                        saving += off.0.min(total);
                        givers.push(measure.cand);
                    }
                    Reward::Gift => givers.push(measure.cand),
                    Reward::Nothing => {}
                }
            }
            block_options.push(BlockOption { mask, saving, partial, givers });
        }
        options.push(block_options);
    }

    // Every combination of the blocks' options.
    let key_of = |givers: &[usize]| -> RankKey {
        let mut key: RankKey =
            givers.iter().map(|c| (Reverse(cands[*c].promotion.priority), cands[*c].promotion.id.0)).collect();
        key.sort_unstable();
        key.dedup();
        key
    };
    let mut pick = vec![0usize; options.len()];
    let mut best: Option<(i64, RankKey, u32)> = None;
    let mut reached: Vec<usize> = Vec::new();
    let mut all: Vec<(i64, u32)> = Vec::new();
    loop {
        let chosen = || pick.iter().zip(&options).map(|(i, o)| &o[*i]);
        let mask: u32 = chosen().fold(0, |m, o| m | o.mask);
        let mut score: i64 = chosen().map(|o| o.saving).sum();
        reached.clear();
        for (m, measure) in measures.iter().enumerate().filter(|(_, m)| m.local.is_none()) {
            if measure.bit.is_some_and(|b| mask & (1 << b) == 0) {
                continue;
            }
            let total = measure.frozen + chosen().map(|o| o.partial[m]).sum::<i64>();
            match reward(&cands[measure.cand].promotion.kind, Money(total), cands[measure.cand].left) {
                Reward::Off(off) => {
                    score += off.0.min(total);
                    reached.push(measure.cand);
                }
                Reward::Gift => reached.push(measure.cand),
                Reward::Nothing => {}
            }
        }
        let key = || {
            let mut givers: Vec<usize> = chosen().flat_map(|o| o.givers.iter().copied()).collect();
            givers.extend_from_slice(&reached);
            key_of(&givers)
        };
        if collect {
            all.push((score, mask));
        }
        match &best {
            Some((s, _, _)) if score < *s => {}
            Some((s, k, _)) if score == *s => {
                let key = key();
                if ranks_before(&key, k) {
                    best = Some((score, key, mask));
                }
            }
            _ => best = Some((score, key(), mask)),
        }
        // The next combination, odometer-wise.
        let mut i = 0;
        while i < pick.len() {
            pick[i] += 1;
            if pick[i] < options[i].len() {
                break;
            }
            pick[i] = 0;
            i += 1;
        }
        if i == pick.len() {
            break;
        }
    }
    (base, best.map(|b| b.2), all)
}
