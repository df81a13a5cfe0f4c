//! One combination of promotions run through layers 1 to 3, in order, each on the prices the previous
//! layer left (domain.md "Layers are applied in order"). [`super::choose`] calls this for every
//! combination it compares, so it works on indices prepared once per cart.

use std::cmp::Reverse;

use super::schedule::applications_left;
use super::{CartError, CartLine, Layer, Promotion, PromotionCart, groups, line_price, thresholds};
use crate::money::{Money, Qty};
use crate::pricing::extend;

/// A cart line prepared for the layers.
#[derive(Clone, Debug)]
pub(super) struct Line {
    pub index: usize,
    pub base_unit: Money,
    pub member_unit: Money,
    pub qty: Qty,
    /// `round_half_up(member_unit × qty / 1000)`.
    pub net_before: Money,
    /// Whole units layer 2 may count (0 for weighed, manual or not discount-eligible lines).
    pub units: i64,
}

/// Checks the cart and prepares its lines.
pub(super) fn prepare_lines(cart: &PromotionCart) -> Result<Vec<Line>, CartError> {
    cart.lines
        .iter()
        .map(|l| {
            let index = l.index;
            if l.qty.0 <= 0 {
                return Err(CartError::QtyNotPositive { index });
            }
            if l.base_unit.is_negative() || l.member_unit.is_negative() {
                return Err(CartError::NegativePrice { index });
            }
            let net_before = extend(l.member_unit, l.qty).map_err(|_| CartError::Overflow { index })?;
            extend(l.base_unit, l.qty).map_err(|_| CartError::Overflow { index })?;
            let units = if l.weighed || l.manual_override || !l.discount_eligible { 0 } else { l.qty.0 / 1000 };
            Ok(Line { index, base_unit: l.base_unit, member_unit: l.member_unit, qty: l.qty, net_before, units })
        })
        .collect()
}

/// An active promotion and the cart lines it can take.
#[derive(Clone, Debug)]
pub(super) struct Candidate<'a> {
    pub promotion: &'a Promotion,
    pub layer: Layer,
    /// Cart positions it can take, in cart order.
    pub lines: Vec<usize>,
    /// Applications left (see [`applications_left`]).
    pub left: Option<u32>,
}

/// Whether `p` can take `line`: never a manual line; a line not discount-eligible only from a layer-1
/// promotion naming its product; layer 2 only lines with whole units.
fn takes(p: &Promotion, line: &CartLine, prepared: &Line) -> bool {
    if line.manual_override {
        return false;
    }
    if !line.discount_eligible {
        return p.layer() == Layer::LinePrice && p.scope.names(line.product);
    }
    if p.layer() == Layer::ItemGroup && prepared.units == 0 {
        return false;
    }
    p.scope.covers(line.product, line.category, line.brand)
}

/// The candidates in rank order: by layer, then priority (high first), then id (low first), from the
/// active promotions and the cart positions that named them. Promotions that can take no line are left
/// out.
pub(super) fn candidates<'a>(
    active: &[(&'a Promotion, Vec<usize>)],
    cart: &PromotionCart,
    lines: &[Line],
) -> Vec<Candidate<'a>> {
    // Each with its place in the set, so that equal ids (a set HQ should not publish) still sort one way.
    let mut out: Vec<(usize, Candidate<'a>)> = active
        .iter()
        .enumerate()
        .filter_map(|(i, (p, named))| {
            let taken: Vec<usize> =
                named.iter().copied().filter(|pos| takes(p, &cart.lines[*pos], &lines[*pos])).collect();
            (!taken.is_empty()).then(|| {
                (
                    i,
                    Candidate {
                        promotion: p,
                        layer: p.layer(),
                        lines: taken,
                        left: applications_left(p, &cart.customer),
                    },
                )
            })
        })
        .collect();
    out.sort_unstable_by_key(|(i, c)| (c.layer, Reverse(c.promotion.priority), c.promotion.id, *i));
    out.into_iter().map(|(_, c)| c).collect()
}

/// A combination priced.
#[derive(Clone, Debug)]
pub(super) struct Priced {
    /// Per line, the unit after layer 1.
    pub units: Vec<Money>,
    /// Per line, the candidate that set its layer-1 unit.
    pub winners: Vec<Option<usize>>,
    /// Per line, `(candidate, fen)` in the order applied, only above zero.
    pub allocations: Vec<Vec<(usize, Money)>>,
    /// Per line, what it costs after every layer.
    pub nets: Vec<i64>,
    /// Candidates whose gift was reached.
    pub gifts: Vec<usize>,
    /// Per line, units layer 2 left free, and the net after layers 1–2 (what thresholds measure).
    pub free: Vec<i64>,
    pub after_groups: Vec<i64>,
    pub saving: i64,
    /// Candidates that gave something (fen or a gift), in rank order.
    pub effective: Vec<usize>,
}

/// Runs `selected` (candidate indices) through layers 1 to 3. Layers 1 and 3 take them in rank order;
/// layer-2 promotions take units in the order `selected` lists them.
pub(super) fn evaluate(lines: &[Line], cands: &[Candidate<'_>], selected: &[usize]) -> Priced {
    let by_layer =
        |layer: Layer| -> Vec<usize> { selected.iter().copied().filter(|c| cands[*c].layer == layer).collect() };
    let mut allocations: Vec<Vec<(usize, Money)>> = vec![Vec::new(); lines.len()];
    let mut nets: Vec<i64> = lines.iter().map(|l| l.net_before.0).collect();
    let mut given: Vec<bool> = vec![false; cands.len()];
    // Layer 1.
    let mut first = by_layer(Layer::LinePrice);
    first.sort_unstable();
    let (units, winners) = line_price::apply(lines, cands, &first);
    for (pos, winner) in winners.iter().enumerate() {
        if let Some(c) = *winner {
            // The promoted unit is below the member unit, so this extension fits too.
            let after = extend(units[pos], lines[pos].qty).map_or(0, |m| m.0);
            let off = nets[pos] - after;
            if off > 0 {
                allocations[pos].push((c, Money(off)));
                nets[pos] -= off;
                given[c] = true;
            }
        }
    }
    // Layer 2.
    let mut free: Vec<i64> = lines.iter().map(|l| l.units).collect();
    for c in by_layer(Layer::ItemGroup) {
        for (pos, off) in groups::apply(&cands[c], lines, &units, &mut free) {
            allocations[pos].push((c, off));
            nets[pos] -= off.0;
            given[c] = true;
        }
    }
    // Layer 3: every threshold measures the total after layers 1–2.
    let after_groups = nets.clone();
    let mut gifts = Vec::new();
    let mut third = by_layer(Layer::Threshold);
    third.sort_unstable();
    for c in third {
        let cand = &cands[c];
        let total = Money(cand.lines.iter().map(|p| after_groups[*p]).sum());
        match thresholds::reward(&cand.promotion.kind, total, cand.left) {
            thresholds::Reward::Nothing => {}
            thresholds::Reward::Gift => {
                gifts.push(c);
                given[c] = true;
            }
            thresholds::Reward::Off(off) => {
                let current: Vec<i64> = cand.lines.iter().map(|p| nets[*p]).collect();
                for (pos, part) in cand.lines.iter().zip(thresholds::spread(off, &current)) {
                    if part > 0 {
                        allocations[*pos].push((c, Money(part)));
                        nets[*pos] -= part;
                        given[c] = true;
                    }
                }
            }
        }
    }
    let saving = lines.iter().zip(&nets).map(|(l, n)| l.net_before.0 - n).sum();
    let mut effective: Vec<usize> = selected.iter().copied().filter(|c| given[*c]).collect();
    effective.sort_unstable();
    Priced { units, winners, allocations, nets, gifts, free, after_groups, saving, effective }
}
