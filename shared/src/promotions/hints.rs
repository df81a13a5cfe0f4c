//! What the sale screen tells a customer near an order threshold: "再买 ¥X 可享 满100减10".
//!
//! Decisions where the spec is silent:
//! - A threshold is "near" when what is missing is at most a fifth of it ([`NEAR_SHARE_BP`]).
//! - The total measured is the one the engine measures: the scope lines' nets after layers 1–2
//!   (the outcome's `net_before` less its layer-1 and layer-2 allocations).
//! - The next threshold is the lowest slab above the total, the next whole multiple of a repeating
//!   discount that still adds something under its cap, the threshold of a 满折 or 满赠 not reached.
//! - Of several, the smallest gap wins; a tie goes to the lower promotion id.

use serde::{Deserialize, Serialize};

use super::evaluate::prepare_lines;
use super::{Layer, PromotionCart, PromotionEngine, PromotionId, PromotionKind, PromotionOutcome};
use crate::money::Money;

/// How near a threshold must be to be worth saying, as a share of it (2000 = 20 %).
pub const NEAR_SHARE_BP: i64 = 2000;

/// A threshold the cart is near.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThresholdHint {
    pub promotion: PromotionId,
    pub name: String,
    /// What the scope must reach.
    pub threshold: Money,
    /// What is missing: `threshold − total`.
    pub missing: Money,
}

impl PromotionEngine {
    /// The order threshold `cart` is nearest to and has not reached, if one is near (see the module
    /// documentation); `outcome` is the engine's answer for the same cart.
    pub fn nearest_threshold(&self, cart: &PromotionCart, outcome: &PromotionOutcome) -> Option<ThresholdHint> {
        let lines = prepare_lines(cart).ok()?;
        let line_level = |id: PromotionId| outcome.promotions.iter().any(|p| p.id == id && p.layer != Layer::Threshold);
        let mut best: Option<ThresholdHint> = None;
        for (p, named) in self.hits(cart) {
            if p.layer() != Layer::Threshold {
                continue;
            }
            let total: Money = named
                .iter()
                .filter(|&&pos| {
                    let l = &cart.lines[pos];
                    !l.manual_override && l.discount_eligible && p.scope.covers(l.product, l.category, l.brand)
                })
                .filter_map(|&pos| outcome.lines.get(pos).map(|o| (pos, o)))
                .map(|(pos, o)| {
                    let taken: Money = o.allocations.iter().filter(|(id, _)| line_level(*id)).map(|a| a.1).sum();
                    lines[pos].net_before - taken
                })
                .sum();
            let next = match &p.kind {
                PromotionKind::Slabs { slabs } => slabs.iter().map(|s| s.threshold).filter(|t| *t > total).min(),
                PromotionKind::Repeating { every, off, cap } if every.0 > 0 => {
                    let times = total.0 / every.0;
                    let more = cap.is_none_or(|c| off.0.saturating_mul(times) < c.0);
                    more.then(|| Money(every.0.saturating_mul(times + 1)))
                }
                PromotionKind::ThresholdPercent { threshold, .. } | PromotionKind::Gift { threshold, .. } => {
                    (total < *threshold).then_some(*threshold)
                }
                _ => None,
            };
            let Some(threshold) = next else { continue };
            let missing = threshold - total;
            if missing.0 <= 0 || i128::from(missing.0) * 10_000 > i128::from(threshold.0) * i128::from(NEAR_SHARE_BP) {
                continue;
            }
            let better = best.as_ref().is_none_or(|b| (missing, p.id) < (b.missing, b.promotion));
            if better {
                best = Some(ThresholdHint { promotion: p.id, name: p.name.clone(), threshold, missing });
            }
        }
        best
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{cart, everything, line, promo};
    use super::super::{PromotionSet, Slab};
    use super::*;
    use crate::catalog::{CategoryId, ProductId};

    fn engine(kind: PromotionKind) -> PromotionEngine {
        PromotionEngine::new(PromotionSet { version: 1, promotions: vec![promo(9, "满100减10", everything(), kind)] })
    }

    fn hint(e: &PromotionEngine, unit: i64, pieces: i64) -> Option<(i64, i64)> {
        let c = cart(vec![line(0, ProductId(1), CategoryId(1), unit, pieces)]);
        let o = e.price(&c).expect("priced");
        e.nearest_threshold(&c, &o).map(|h| (h.threshold.0, h.missing.0))
    }

    #[test]
    fn a_near_slab_is_said_with_what_is_missing() {
        let e = engine(PromotionKind::Slabs {
            slabs: vec![
                Slab { threshold: Money::yuan(100), off: Money::yuan(10) },
                Slab { threshold: Money::yuan(200), off: Money::yuan(30) },
            ],
        });
        assert_eq!(hint(&e, 8500, 1), Some((10_000, 1500)), "¥85: ¥15 from ¥100");
        assert_eq!(hint(&e, 7000, 1), None, "¥70 is not near ¥100");
        assert_eq!(hint(&e, 18_000, 1), Some((20_000, 2000)), "¥180 reached ¥100, ¥20 from ¥200");
        assert_eq!(hint(&e, 20_000, 1), None, "the top slab reached");
    }

    #[test]
    fn repeating_until_the_cap_and_gifts() {
        let e = engine(PromotionKind::Repeating {
            every: Money::yuan(100),
            off: Money::yuan(10),
            cap: Some(Money::yuan(20)),
        });
        assert_eq!(hint(&e, 9000, 1), Some((10_000, 1000)));
        assert_eq!(hint(&e, 19_000, 1), Some((20_000, 1000)));
        assert_eq!(hint(&e, 29_000, 1), None, "the cap is reached: a third ¥100 adds nothing");
        let e = engine(PromotionKind::Gift { threshold: Money::yuan(50), product: ProductId(7) });
        assert_eq!(hint(&e, 4500, 1), Some((5000, 500)));
    }

    #[test]
    fn the_total_is_measured_after_line_promotions() {
        // ¥100 of goods at 特价 ¥9.00 instead of ¥10.00: ¥90 measured, ¥10 missing.
        let mut set = vec![promo(
            9,
            "满100减10",
            everything(),
            PromotionKind::Slabs { slabs: vec![Slab { threshold: Money::yuan(100), off: Money::yuan(10) }] },
        )];
        set.push(promo(1, "特价", everything(), PromotionKind::FixedPrice { price: Money(900) }));
        let e = PromotionEngine::new(PromotionSet { version: 1, promotions: set });
        assert_eq!(hint(&e, 1000, 10), Some((10_000, 1000)));
    }
}
