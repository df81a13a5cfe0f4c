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
    let (group, discounted_per_group) = match cand.promotion.kind {
        PromotionKind::BuyNGetMFree { n, m } => (i64::from(n) + i64::from(m), i64::from(m)),
        PromotionKind::NthPercentOff { n, .. } => (i64::from(n), 1),
        PromotionKind::NForPrice { n, .. } => (i64::from(n), i64::from(n)),
        _ => return Vec::new(),
    };
    let mut runs: Vec<Run> = cand
        .lines
        .iter()
        .filter(|&&pos| lines[pos].units > 0 && free[pos] > 0)
        .map(|&pos| Run { pos, price: units[pos].0, count: free[pos] })
        .collect();
    let total_units: i64 = runs.iter().map(|r| r.count).sum();
    let mut k = total_units / group.max(1);
    if let Some(left) = cand.left {
        k = k.min(i64::from(left));
    }
    if k == 0 {
        return Vec::new();
    }
    // Cheapest first; equal prices: the earlier line's unit is cheaper.
    runs.sort_by(|a, b| a.price.cmp(&b.price).then(a.pos.cmp(&b.pos)));
    let discounted = take_from(&runs, k * discounted_per_group, false);
    let mut rest = runs.clone();
    for (r, d) in rest.iter_mut().zip(&discounted) {
        r.count -= d;
    }
    let paying = take_from(&rest, k * (group - discounted_per_group), true);
    for (i, r) in runs.iter().enumerate() {
        free[r.pos] -= discounted[i] + paying[i];
    }
    let mut out: Vec<(usize, Money)> = Vec::new();
    match cand.promotion.kind {
        PromotionKind::BuyNGetMFree { .. } => {
            for (r, d) in runs.iter().zip(&discounted) {
                out.push((r.pos, Money(r.price * d)));
            }
        }
        PromotionKind::NthPercentOff { bp, .. } => {
            for (r, d) in runs.iter().zip(&discounted) {
                let off = r.price - percent_off(Money(r.price), bp.0).0;
                out.push((r.pos, Money(off * d)));
            }
        }
        PromotionKind::NForPrice { price, .. } => {
            let mut used: Vec<(usize, i64, i64)> =
                runs.iter().zip(&discounted).filter(|(_, d)| **d > 0).map(|(r, d)| (r.pos, r.price, *d)).collect();
            used.sort_by_key(|u| u.0);
            let worth: i128 = used.iter().map(|u| i128::from(u.1) * i128::from(u.2)).sum();
            let saving = worth - i128::from(k) * i128::from(price.0);
            if saving > 0 {
                let weights: Vec<(i64, i64)> = used.iter().map(|u| (u.1, u.2)).collect();
                // 0 < saving < worth, which is a sum of line nets: it fits in i64.
                let parts = spread_over_runs(saving as i64, &weights);
                out.extend(used.iter().zip(parts).map(|(u, p)| (u.0, Money(p))));
            }
        }
        _ => {}
    }
    out.retain(|(_, m)| m.0 > 0);
    out.sort_by_key(|o| o.0);
    out
}

/// How many units to take from each run to take `want` units, from the cheap end or the dear end.
fn take_from(runs: &[Run], want: i64, dear_first: bool) -> Vec<i64> {
    let mut taken = vec![0; runs.len()];
    let mut want = want;
    let order: Box<dyn Iterator<Item = usize>> =
        if dear_first { Box::new((0..runs.len()).rev()) } else { Box::new(0..runs.len()) };
    for i in order {
        if want == 0 {
            break;
        }
        let t = runs[i].count.min(want);
        taken[i] = t;
        want -= t;
    }
    taken
}
