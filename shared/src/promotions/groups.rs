//! Layer 2, item groups (买赠, 第二件半价, N 元 M 件), over the whole units in scope, mix and match
//! across products (domain.md: "with k whole groups formed, the k·M discounted units are the cheapest
//! qualifying units of the whole cart (equal prices: the earlier line's unit counts as cheaper); 'N for
//! ¥P' never raises a price, and its saving is spread over the units used in proportion to their
//! price"; "A unit counts towards one layer-2 promotion at most").
//!
//! Decisions where the spec is silent:
//! - Units are whole pieces: `qty / 1000` of a line not sold by weight (a fraction left is not a unit).
//!   Weighed lines take no layer-2 promotion.
//! - A unit is priced at its line's unit after layer 1.
//! - The units a promotion uses up are its discounted units (the cheapest) and, for the N units paid in
//!   full in each group, the most expensive units left. Units used up are not seen by a later layer-2
//!   promotion; those apply in rank order (priority, then id).
//! - "N for ¥P" uses the cheapest k·N units (the spec's "the discounted units are always the cheapest
//!   units that qualify", every unit of the group being discounted); when they already cost no more than
//!   k·P it gives nothing.
//! - A per-sale or per-member limit counts groups.

use super::PromotionKind;
use super::allocate::spread_over_runs;
use super::evaluate::{Candidate, Line};
use super::line_price::percent_off;
use crate::money::Money;

/// One line's units still free for layer 2: `count` units at `price`.
#[derive(Clone, Copy, Debug)]
struct Run {
    pos: usize,
    price: i64,
    count: i64,
}

/// Applies one layer-2 promotion: takes units from `free` (per line, units not yet used by a layer-2
/// promotion) and returns the discount per line (`(pos, fen)`, cart order, only above zero).
pub(super) fn apply(cand: &Candidate, lines: &[Line], units: &[Money], free: &mut [i64]) -> Vec<(usize, Money)> {
    let mut out = Vec::new();
    apply_into(cand, lines, units, free, &mut out);
    out
}

/// [`apply`] writing into `out` (cleared first), so a search can reuse one buffer.
pub(super) fn apply_into(
    cand: &Candidate,
    lines: &[Line],
    units: &[Money],
    free: &mut [i64],
    out: &mut Vec<(usize, Money)>,
) {
    out.clear();
    let (group, discounted_per_group) = match cand.promotion.kind {
        PromotionKind::BuyNGetMFree { n, m } => (i64::from(n) + i64::from(m), i64::from(m)),
        PromotionKind::NthPercentOff { n, .. } => (i64::from(n), 1),
        PromotionKind::NForPrice { n, .. } => (i64::from(n), i64::from(n)),
        _ => return,
    };
    // (run, units discounted, units paid in full)
    let mut runs: Vec<(Run, i64, i64)> = cand
        .lines
        .iter()
        .filter(|&&pos| lines[pos].units > 0 && free[pos] > 0)
        .map(|&pos| (Run { pos, price: units[pos].0, count: free[pos] }, 0, 0))
        .collect();
    let total_units: i64 = runs.iter().map(|r| r.0.count).sum();
    let mut k = total_units / group.max(1);
    if let Some(left) = cand.left {
        k = k.min(i64::from(left));
    }
    if k == 0 {
        return;
    }
    // Cheapest first; equal prices: the earlier line's unit is cheaper.
    runs.sort_by(|a, b| a.0.price.cmp(&b.0.price).then(a.0.pos.cmp(&b.0.pos)));
    let mut want = k * discounted_per_group;
    for r in runs.iter_mut() {
        let t = r.0.count.min(want);
        r.1 = t;
        want -= t;
    }
    let mut want = k * (group - discounted_per_group);
    for r in runs.iter_mut().rev() {
        let t = (r.0.count - r.1).min(want);
        r.2 = t;
        want -= t;
    }
    for (r, d, p) in &runs {
        free[r.pos] -= d + p;
    }
    match cand.promotion.kind {
        PromotionKind::BuyNGetMFree { .. } => {
            out.extend(runs.iter().map(|(r, d, _)| (r.pos, Money(r.price * d))));
        }
        PromotionKind::NthPercentOff { bp, .. } => {
            out.extend(
                runs.iter().map(|(r, d, _)| (r.pos, Money((r.price - percent_off(Money(r.price), bp.0).0) * d))),
            );
        }
        PromotionKind::NForPrice { price, .. } => {
            runs.retain(|(_, d, _)| *d > 0);
            runs.sort_by_key(|r| r.0.pos);
            let worth: i128 = runs.iter().map(|(r, d, _)| i128::from(r.price) * i128::from(*d)).sum();
            let saving = worth - i128::from(k) * i128::from(price.0);
            if saving > 0 {
                let weights: Vec<(i64, i64)> = runs.iter().map(|(r, d, _)| (r.price, *d)).collect();
                // 0 < saving < worth, which is a sum of line nets: it fits in i64.
                let parts = spread_over_runs(saving as i64, &weights);
                out.extend(runs.iter().zip(parts).map(|((r, _, _), p)| (r.pos, Money(p))));
            }
        }
        _ => {}
    }
    out.retain(|(_, m)| m.0 > 0);
    out.sort_unstable_by_key(|o| o.0);
}
