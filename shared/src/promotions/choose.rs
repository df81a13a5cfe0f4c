//! Choosing among competing promotions (domain.md "Choosing": "inside one exclusivity group only one
//! promotion applies; across groups they combine by layer. Where promotions compete (same group, or a
//! unit wanted by two layer-2 promotions), the engine picks the combination with the largest total
//! saving for the customer; ties go to the higher priority, then the lower id. The search is exact for
//! up to 12 competing promotions").
//!
//! How:
//! - Promotions compete when they share an exclusivity group, or are layer-2 promotions that can take
//!   the same line; competing is transitive, which splits them into competing sets ([`components`]).
//!   The others are independent and always apply.
//! - A cart with at most [`EXACT_SEARCH_LIMIT`] promotions able to apply compares every allowed
//!   combination of all of them (at most one per group): scored by [`super::search`] when that score is
//!   the saving exactly ([`super::search::scores_exactly`]); else, when the score can only overstate
//!   (stacking thresholds), priced in full from the highest score down until no score can beat the
//!   best saving found ([`super::search::search_bounded`]); else (a limited layer-1 promotion) every
//!   combination priced in full. Leaving a promotion
//!   out is then always among the options, so adding a promotion to the set never raises the amount
//!   due, even where a layer-1 or layer-2 price drops a total below a layer-3 threshold.
//! - Otherwise, with at most [`EXACT_SEARCH_LIMIT`] competing promotions in all: every allowed
//!   combination of those, the independent ones always on, scored by [`super::search`] on the lines
//!   they can change.
//! - More than that, but no competing set above [`EXACT_SEARCH_LIMIT`] (decision): each set searched
//!   exactly in turn, with the choices already made for the others in place.
//! - A competing set above [`EXACT_SEARCH_LIMIT`] (decision): greedily, see [`greedy`].
//! - Decision: an independent promotion stays on even where, on a big cart, a layer-1 or layer-2 price
//!   of it drops a total below a layer-3 threshold; only the small-cart search above weighs that.
//! - Within a combination, layer-2 promotions take units in rank order (priority, then id).
//! - Ties between combinations of equal saving: the one with the higher-ranked promotion (priority,
//!   then lower id) at the first difference of their ranked lists of promotions that gave something;
//!   when one list extends the other, the longer (it gives the customer a gift or more at no cost).

use std::cmp::{Ordering, Reverse};
use std::collections::BTreeMap;

use super::evaluate::{Candidate, Line, Priced, candidates, evaluate};
use super::line_price::promoted_unit;
use super::thresholds::{Reward, reward};
use super::{
    AppliedPromotion, EXACT_SEARCH_LIMIT, GiftLine, Layer, LineOutcome, Promotion, PromotionCart, PromotionKind,
    PromotionOutcome,
};
use super::{groups, search};
use crate::money::{Money, Qty};
use crate::pricing::extend;

/// Chooses the combination and prices it.
pub(super) fn choose_and_price(
    version: u64,
    active: &[(&Promotion, Vec<usize>)],
    cart: &PromotionCart,
    lines: &[Line],
) -> PromotionOutcome {
    let cands = candidates(active, cart, lines);
    let all: Vec<usize> = (0..cands.len()).collect();
    let priced = if cands.len() <= EXACT_SEARCH_LIMIT {
        if search::scores_exactly(&cands, lines.len()) {
            search::search(lines, &cands, &[], &all)
        } else if cands.iter().all(|c| c.layer != Layer::LinePrice || c.left.is_none()) {
            search::search_bounded(lines, &cands, &all)
        } else {
            search(lines, &cands, &[], &all)
        }
    } else {
        let components = components(&cands, lines.len());
        let open: Vec<usize> = components.iter().flatten().copied().collect();
        let mut fixed: Vec<usize> = all.iter().copied().filter(|c| !open.contains(c)).collect();
        fixed.sort_unstable();
        if open.len() <= EXACT_SEARCH_LIMIT {
            search::search(lines, &cands, &fixed, &open)
        } else if components.iter().all(|c| c.len() <= EXACT_SEARCH_LIMIT) {
            by_components(lines, &cands, &fixed, &components)
        } else {
            greedy(lines, &cands, &fixed, &open)
        }
    };
    outcome(version, lines, &cands, &priced)
}

/// The sets of candidates that compete (share a group, or a line wanted by two layer-2 promotions),
/// each closed under competing, each sorted; candidates competing with nobody are in none.
pub(super) fn components(cands: &[Candidate<'_>], line_count: usize) -> Vec<Vec<usize>> {
    let mut parent: Vec<usize> = (0..cands.len()).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    let mut competing = vec![false; cands.len()];
    let mut join = |members: &[usize]| {
        if members.len() < 2 {
            return;
        }
        for &m in members {
            competing[m] = true;
            let (a, b) = (root(&mut parent, members[0]), root(&mut parent, m));
            parent[b.max(a)] = a.min(b);
        }
    };
    let mut by_group: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    let mut by_line: Vec<Vec<usize>> = vec![Vec::new(); line_count];
    for (i, c) in cands.iter().enumerate() {
        if let Some(g) = &c.promotion.exclusivity_group {
            by_group.entry(g.as_str()).or_default().push(i);
        }
        if c.layer == Layer::ItemGroup {
            for &pos in &c.lines {
                by_line[pos].push(i);
            }
        }
    }
    by_group.values().for_each(|m| join(m));
    by_line.iter().for_each(|m| join(m));
    let mut sets: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for i in (0..cands.len()).filter(|i| competing[*i]) {
        let r = root(&mut parent, i);
        sets.entry(r).or_default().push(i);
    }
    sets.into_values().collect()
}

/// Each competing set searched exactly in turn (in the rank order of their first promotion), the
/// others' choices in place (at first: none of them).
fn by_components(lines: &[Line], cands: &[Candidate<'_>], fixed: &[usize], components: &[Vec<usize>]) -> Priced {
    let mut chosen: Vec<Vec<usize>> = vec![Vec::new(); components.len()];
    let mut best = evaluate(lines, cands, fixed);
    for (i, open) in components.iter().enumerate() {
        let mut others: Vec<usize> = fixed.to_vec();
        for (j, c) in chosen.iter().enumerate() {
            if j != i {
                others.extend_from_slice(c);
            }
        }
        others.sort_unstable();
        let priced = search::search(lines, cands, &others, open);
        chosen[i] = priced.effective.iter().copied().filter(|c| open.contains(c)).collect();
        best = priced;
    }
    best
}

/// Whether `a` is better for the customer than `b` (see the module documentation).
pub(super) fn better(a: &Priced, b: &Priced, cands: &[Candidate<'_>]) -> bool {
    match a.saving.cmp(&b.saving) {
        Ordering::Greater => return true,
        Ordering::Less => return false,
        Ordering::Equal => {}
    }
    let ranked = |p: &Priced| {
        let mut keys: Vec<(Reverse<i32>, u64)> =
            p.effective.iter().map(|c| (Reverse(cands[*c].promotion.priority), cands[*c].promotion.id.0)).collect();
        keys.sort_unstable();
        keys
    };
    ranks_before(&ranked(a), &ranked(b))
}

/// Between two ranked lists of promotions that gave something: the one with the higher-ranked promotion
/// at the first difference, or the longer.
pub(super) fn ranks_before(a: &[(Reverse<i32>, u64)], b: &[(Reverse<i32>, u64)]) -> bool {
    for (x, y) in a.iter().zip(b) {
        if x != y {
            return x < y;
        }
    }
    a.len() > b.len()
}

/// Group numbers of `open`'s candidates (`None` when ungrouped), for the one-per-group rule.
pub(super) fn group_masks(cands: &[Candidate<'_>], open: &[usize]) -> Vec<u32> {
    let mut masks: BTreeMap<&str, u32> = BTreeMap::new();
    for (bit, &c) in open.iter().enumerate() {
        if let Some(g) = &cands[c].promotion.exclusivity_group {
            *masks.entry(g.as_str()).or_default() |= 1 << bit;
        }
    }
    masks.into_values().filter(|m| m.count_ones() > 1).collect()
}

/// Every allowed combination of `open` (at most [`EXACT_SEARCH_LIMIT`]) with `fixed` always on.
pub(super) fn search(lines: &[Line], cands: &[Candidate<'_>], fixed: &[usize], open: &[usize]) -> Priced {
    let groups = group_masks(cands, open);
    let mut best: Option<Priced> = None;
    for mask in 0u32..(1u32 << open.len()) {
        if groups.iter().any(|g| (mask & g).count_ones() > 1) {
            continue;
        }
        let mut selected: Vec<usize> = fixed.to_vec();
        selected.extend(open.iter().enumerate().filter(|(bit, _)| mask & (1 << bit) != 0).map(|(_, c)| *c));
        selected.sort_unstable();
        let priced = evaluate(lines, cands, &selected);
        if best.as_ref().is_none_or(|b| better(&priced, b, cands)) {
            best = Some(priced);
        }
    }
    best.unwrap_or_else(|| evaluate(lines, cands, fixed))
}

/// The greedy fallback above [`EXACT_SEARCH_LIMIT`] promotions in one competing set: each competing
/// promotion's saving is estimated on its own against the independent ones; they are taken by that
/// estimate (then priority, then id), one per group, the layer-2 ones taking units in that order; the
/// result is kept if it beats the independent promotions alone.
fn greedy(lines: &[Line], cands: &[Candidate<'_>], fixed: &[usize], open: &[usize]) -> Priced {
    let base = evaluate(lines, cands, fixed);
    let mut ranked: Vec<(i64, bool, usize)> = open
        .iter()
        .map(|&c| {
            let (gain, gift) = estimate(lines, &cands[c], &base);
            (gain, gift, c)
        })
        .collect();
    ranked.sort_by_key(|(gain, _, c)| (Reverse(*gain), Reverse(cands[*c].promotion.priority), cands[*c].promotion.id));
    let mut selected = fixed.to_vec();
    let mut groups_taken: Vec<&str> = Vec::new();
    for (gain, gift, c) in ranked {
        let group = cands[c].promotion.exclusivity_group.as_deref();
        if (gain <= 0 && !gift) || group.is_some_and(|g| groups_taken.contains(&g)) {
            continue;
        }
        selected.push(c);
        groups_taken.extend(group);
    }
    let priced = evaluate(lines, cands, &selected);
    if better(&priced, &base, cands) { priced } else { base }
}

/// What candidate `c` alone would save on top of `base`, and whether it would give a gift.
fn estimate(lines: &[Line], cand: &Candidate<'_>, base: &Priced) -> (i64, bool) {
    match cand.layer {
        Layer::LinePrice => {
            let gain = cand
                .lines
                .iter()
                .filter_map(|&pos| {
                    let unit = promoted_unit(&cand.promotion.kind, &lines[pos])?;
                    let now = base.units[pos];
                    (unit < now).then(|| {
                        let cost = |u: Money| extend(u, lines[pos].qty).map_or(0, |m| m.0);
                        cost(now) - cost(unit)
                    })
                })
                .sum();
            (gain, false)
        }
        Layer::ItemGroup => {
            let mut free = base.free.clone();
            (groups::apply(cand, lines, &base.units, &mut free).iter().map(|(_, m)| m.0).sum(), false)
        }
        Layer::Threshold => {
            let total = Money(cand.lines.iter().map(|p| base.after_groups[*p]).sum());
            let room: i64 = cand.lines.iter().map(|p| base.nets[*p]).sum();
            match reward(&cand.promotion.kind, total, cand.left) {
                Reward::Off(m) => (m.0.min(room), false),
                Reward::Gift => (0, true),
                Reward::Nothing => (0, false),
            }
        }
    }
}

/// The outcome of the chosen combination.
fn outcome(version: u64, lines: &[Line], cands: &[Candidate<'_>], priced: &Priced) -> PromotionOutcome {
    let mut discounts: BTreeMap<usize, Money> = BTreeMap::new();
    let out_lines: Vec<LineOutcome> = lines
        .iter()
        .enumerate()
        .map(|(pos, line)| {
            let allocations = priced.allocations[pos]
                .iter()
                .map(|(c, m)| {
                    *discounts.entry(*c).or_default() += *m;
                    (cands[*c].promotion.id, *m)
                })
                .collect();
            LineOutcome {
                index: line.index,
                unit: priced.units[pos],
                net_before: line.net_before,
                allocations,
                coupon_allocations: Vec::new(),
                net: Money(priced.nets[pos]),
            }
        })
        .collect();
    let promotions: Vec<AppliedPromotion> = priced
        .effective
        .iter()
        .map(|&c| {
            let p = cands[c].promotion;
            AppliedPromotion {
                id: p.id,
                name: p.name.clone(),
                layer: cands[c].layer,
                discount: discounts.get(&c).copied().unwrap_or_default(),
                lines: cands[c].lines.clone(),
                lowest_threshold: p.kind.lowest_threshold(),
                threshold_clawback: p.threshold_clawback,
            }
        })
        .collect();
    let gifts = priced
        .gifts
        .iter()
        .filter_map(|&c| match cands[c].promotion.kind {
            PromotionKind::Gift { product, .. } => {
                Some(GiftLine { promotion: cands[c].promotion.id, product, qty: Qty::ONE, price: Money::ZERO })
            }
            _ => None,
        })
        .collect();
    PromotionOutcome {
        version,
        lines: out_lines,
        promotions,
        gifts,
        coupons: Vec::new(),
        unused_coupons: Vec::new(),
        total_saving: Money(priced.saving),
    }
}
