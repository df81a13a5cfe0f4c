//! Promotions (促销), layers 1–4 of domain.md "Promotions": one pure engine that the till runs when it
//! prices and HQ runs when it checks an ingested sale. Same input, same output: no clock, no I/O, no
//! floats, no hash-map iteration order in any result.
//!
//! The map of this module:
//! - here: the promotion set ([`Promotion`], [`PromotionSet`]), the cart ([`PromotionCart`]) and the
//!   outcome ([`PromotionOutcome`]); the entry points [`PromotionEngine::price`] and [`price_promotions`];
//! - [`schedule`]: who and when a promotion is for (branches, dates, weekdays, time window, audience);
//! - `validate`: what HQ must refuse to publish ([`Promotion::validate`]);
//! - `line_price` (layer 1), `groups` (layer 2), `thresholds` (layer 3): one layer each;
//! - `evaluate`: one combination of promotions through layers 1 to 3;
//! - `choose`: which promotions apply where they compete; `search`: the exact search on a big cart;
//! - `allocate`: the largest-remainder spreading the layers share;
//! - [`returns`]: what a return of promotion goods pays back, from the recorded allocations;
//! - [`coupons`]: layer 4, the member's coupons, applied last;
//! - `hints`: the order threshold a cart is near, for the sale screen ([`PromotionEngine::nearest_threshold`]).
//!
//! The caller ([`crate::sale::price_sale`] later) gives each line's unit after member benefit (step 2
//! of "Pricing one line"); the engine answers with the unit after layer 1 and every promotion's fen on
//! every line; step 4 (manual changes) and the order discount stay outside.
//!
//! Decisions where the spec is silent (each explained where it is made):
//! - a line's net before promotions is `round_half_up(member_unit × qty / 1000)` (step 5 on the member
//!   unit); a layer-1 promotion takes that less the same on its unit ([`CartLine`]);
//! - layer 2 counts whole pieces; weighed lines take layers 1 and 3 only; a group's paying units are
//!   the dearest left; "N for ¥P" uses the cheapest units too (`groups`);
//! - a layer-3 discount is spread by what each scope line still costs and never exceeds it
//!   (`thresholds`);
//! - limits count lines (layer 1), groups (layer 2) and repetitions (每满减); a per-member limit binds
//!   members only ([`Limits`]);
//! - ties between combinations and the search above 12 (`choose`, `search`);
//! - clawbacks are cumulative across returns and a waiver takes no new one ([`returns`]);
//! - coupons apply after the choice among promotions, in the order presented ([`coupons`]);
//! - a promotion that fails [`Promotion::validate`] is left out by [`PromotionEngine::new`], which
//!   lists it with its reason ([`PromotionEngine::left_out`]).

use std::collections::BTreeMap;

use jiff::civil::{Date, DateTime, Time};
use serde::{Deserialize, Serialize};

use crate::catalog::{CategoryId, ProductId};
use crate::ids::BranchId;
use crate::money::{Bp, Money, Qty};

mod allocate;
mod choose;
pub mod coupons;
mod evaluate;
mod groups;
mod hints;
mod line_price;
pub mod returns;
pub mod schedule;
mod search;
mod thresholds;
mod validate;

pub use allocate::spread_over_runs;
pub use hints::{NEAR_SHARE_BP, ThresholdHint};
pub use returns::{RecordedLine, ReturnError, ReturnRefund, refund_for_return};
pub use validate::PromotionError;

/// The most promotions the engine compares exhaustively (domain.md: "exact for up to 12").
pub const EXACT_SEARCH_LIMIT: usize = 12;

/// A promotion's id, assigned by HQ.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PromotionId(pub u64);

/// A brand's id, assigned by HQ (`crate::catalog::Brand`; a product names its brand, and promotions
/// and coupons scope by them).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct BrandId(pub i64);

/// Where a promotion runs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "branches", rename_all = "snake_case")]
pub enum Branches {
    All,
    Only(Vec<BranchId>),
}

/// A time of day window `[start, end)` in branch local time; it does not wrap past midnight.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeWindow {
    pub start: Time,
    pub end: Time,
}

/// When a promotion runs, in the branch's local civil time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schedule {
    /// First day, included.
    pub from: Date,
    /// Last day, included.
    pub to: Date,
    /// ISO weekday numbers (1 = Monday … 7 = Sunday); `None` for every day.
    pub weekdays: Option<Vec<u8>>,
    pub time_window: Option<TimeWindow>,
}

/// Who a promotion is for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "tiers", rename_all = "snake_case")]
pub enum Audience {
    Everyone,
    Members,
    /// Members of these tiers, by tier code.
    Tiers(Vec<String>),
}

/// Which goods a promotion covers: everything (`all_products`) or the listed products, categories and
/// brands, minus the excluded products.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scope {
    pub all_products: bool,
    pub products: Vec<ProductId>,
    pub categories: Vec<CategoryId>,
    pub brands: Vec<BrandId>,
    pub excluded: Vec<ProductId>,
}

impl Scope {
    /// Whether a line of `product` (in `category`, of `brand`) is in scope.
    pub fn covers(&self, product: ProductId, category: CategoryId, brand: Option<BrandId>) -> bool {
        if self.excluded.contains(&product) {
            return false;
        }
        self.all_products
            || self.products.contains(&product)
            || self.categories.contains(&category)
            || brand.is_some_and(|b| self.brands.contains(&b))
    }

    /// Whether the scope names `product` itself (what a non-discount-eligible product needs).
    pub fn names(&self, product: ProductId) -> bool {
        self.products.contains(&product) && !self.excluded.contains(&product)
    }

    pub(crate) fn is_empty(&self) -> bool {
        !self.all_products && self.products.is_empty() && self.categories.is_empty() && self.brands.is_empty()
    }
}

/// One slab of a 满减: from `threshold` (reached at ≥) the order takes `off`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Slab {
    pub threshold: Money,
    pub off: Money,
}

/// What a promotion does; the kind decides the layer ([`PromotionKind::layer`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PromotionKind {
    /// Layer 1, 特价: the unit costs this (from the base price).
    FixedPrice { price: Money },
    /// Layer 1, 直降: this much off the base unit price, stopping at zero.
    AmountOff { off: Money },
    /// Layer 1: `bp` off the base unit (or the member-benefit unit), the new unit rounded half up.
    PercentOff { bp: Bp, on_member_price: bool },
    /// Layer 2, 买 N 赠 M: in every group of N + M units in scope, the M cheapest are free.
    BuyNGetMFree { n: u32, m: u32 },
    /// Layer 2, 第 N 件 X 折: in every group of N units, the cheapest takes `bp` off.
    NthPercentOff { n: u32, bp: Bp },
    /// Layer 2, N 元 M 件: every N units cost `price` together (never more than they did).
    NForPrice { n: u32, price: Money },
    /// Layer 3, 满减 by slabs: the highest slab reached applies.
    Slabs { slabs: Vec<Slab> },
    /// Layer 3, 每满减: `off` for every whole `every`, at most `cap` in all.
    Repeating { every: Money, off: Money, cap: Option<Money> },
    /// Layer 3, 满折: from `threshold`, `bp` off the scope's total (rounded half up).
    ThresholdPercent { threshold: Money, bp: Bp },
    /// Layer 3, 满赠: from `threshold`, one unit of `product` is added at ¥0.
    Gift { threshold: Money, product: ProductId },
}

/// The layers of domain.md, applied in this order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Layer {
    LinePrice,
    ItemGroup,
    Threshold,
}

impl PromotionKind {
    pub fn layer(&self) -> Layer {
        match self {
            PromotionKind::FixedPrice { .. } | PromotionKind::AmountOff { .. } | PromotionKind::PercentOff { .. } => {
                Layer::LinePrice
            }
            PromotionKind::BuyNGetMFree { .. }
            | PromotionKind::NthPercentOff { .. }
            | PromotionKind::NForPrice { .. } => Layer::ItemGroup,
            PromotionKind::Slabs { .. }
            | PromotionKind::Repeating { .. }
            | PromotionKind::ThresholdPercent { .. }
            | PromotionKind::Gift { .. } => Layer::Threshold,
        }
    }

    /// The lowest total at which a layer-3 promotion gives anything (what a clawback compares with).
    pub fn lowest_threshold(&self) -> Option<Money> {
        match self {
            PromotionKind::Slabs { slabs } => slabs.iter().map(|s| s.threshold).min(),
            PromotionKind::Repeating { every, .. } => Some(*every),
            PromotionKind::ThresholdPercent { threshold, .. } | PromotionKind::Gift { threshold, .. } => {
                Some(*threshold)
            }
            _ => None,
        }
    }
}

/// How often a promotion may apply.
///
/// Per sale, an "application" is, by layer: a line (layer 1), a group formed (layer 2), a
/// repetition of a repeating 每满减 (layer 3; other layer-3 kinds apply once per sale anyway).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    pub per_sale: Option<u32>,
    /// Sales per member over the promotion's life (每位会员限参加 N 次): a member's sale that
    /// received the promotion uses one, however often it applied in that sale (the per-sale limit
    /// governs that). The caller counts the member's earlier sales with it and passes
    /// [`Customer::used_by_member`]; a non-member is not limited by it.
    pub per_member: Option<u32>,
}

/// A promotion as HQ publishes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Promotion {
    pub id: PromotionId,
    pub name: String,
    pub branches: Branches,
    pub schedule: Schedule,
    pub audience: Audience,
    pub scope: Scope,
    pub kind: PromotionKind,
    /// Only one promotion of a group applies to a sale.
    pub exclusivity_group: Option<String>,
    /// A larger number is higher.
    pub priority: i32,
    pub limits: Limits,
    /// A return that leaves the kept lines below the lowest threshold takes back what they got.
    pub threshold_clawback: bool,
}

impl Promotion {
    pub fn layer(&self) -> Layer {
        self.kind.layer()
    }
}

/// HQ's whole promotion set at a version; every sale records the version it was priced with.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromotionSet {
    pub version: u64,
    pub promotions: Vec<Promotion>,
}

/// One line of the cart, after member benefit (steps 1–2 of "Pricing one line").
///
/// Decision: the engine prices the line as `round_half_up(unit × qty / 1000)` before and after layer 1.
/// A scale-label line whose printed price is its net (domain.md) may differ from that by a fen; the
/// integration should pass it with the unit that label implies, or as `manual_override` when the
/// label's price must stand.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CartLine {
    /// The caller's line number, echoed in the outcome. The order of the cart's lines decides "earlier".
    pub index: usize,
    pub product: ProductId,
    pub category: CategoryId,
    pub brand: Option<BrandId>,
    /// Step 1's base unit price.
    pub base_unit: Money,
    /// The unit after member benefit (the base unit when there is none).
    pub member_unit: Money,
    pub qty: Qty,
    pub discount_eligible: bool,
    /// A manual price override or line discount: the line takes no promotions.
    pub manual_override: bool,
    /// Sold by weight: takes layers 1 and 3, never layer 2 (it has no units to count).
    pub weighed: bool,
}

/// Who is buying.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    pub member: bool,
    /// The member's tier code.
    pub tier: Option<String>,
    /// The member's earlier sales that received each promotion (see [`Limits::per_member`]).
    pub used_by_member: BTreeMap<PromotionId, u32>,
}

/// Everything the engine prices.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromotionCart {
    pub branch: BranchId,
    /// The business time, branch local.
    pub at: DateTime,
    pub customer: Customer,
    pub lines: Vec<CartLine>,
    /// Layer 4: the coupons HQ holds for this sale, applied in this order.
    #[serde(default)]
    pub coupons: Vec<coupons::Coupon>,
}

/// What the promotions did to one line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineOutcome {
    pub index: usize,
    /// The unit price after layer 1 (the member unit when no layer-1 promotion beat it).
    pub unit: Money,
    /// `round_half_up(member_unit × qty / 1000)`: the line before any promotion.
    pub net_before: Money,
    /// Every promotion's fen on this line, in the order the layers applied them; never zero entries.
    pub allocations: Vec<(PromotionId, Money)>,
    /// Every coupon's fen on this line (layer 4), in the order applied; never zero entries.
    #[serde(default)]
    pub coupon_allocations: Vec<(coupons::CouponId, Money)>,
    /// `net_before` less every allocation and coupon allocation; never below zero.
    pub net: Money,
}

/// One promotion that took effect, for the receipt and the record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppliedPromotion {
    pub id: PromotionId,
    pub name: String,
    pub layer: Layer,
    /// The sum of its allocations, exactly.
    pub discount: Money,
    /// The cart positions of the lines it measured (its scope in this cart), for returns.
    pub lines: Vec<usize>,
    /// [`PromotionKind::lowest_threshold`], kept so a return needs no promotion set.
    pub lowest_threshold: Option<Money>,
    pub threshold_clawback: bool,
}

/// A 满赠 gift: a line at ¥0, not a discount.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GiftLine {
    pub promotion: PromotionId,
    pub product: ProductId,
    pub qty: Qty,
    pub price: Money,
}

/// The engine's answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromotionOutcome {
    /// The promotion set's version, recorded with the sale.
    pub version: u64,
    /// One per cart line, in cart order.
    pub lines: Vec<LineOutcome>,
    /// In the order they applied (layer, then priority high to low, then id).
    pub promotions: Vec<AppliedPromotion>,
    pub gifts: Vec<GiftLine>,
    /// Layer 4, in the order applied.
    #[serde(default)]
    pub coupons: Vec<coupons::AppliedCoupon>,
    /// Coupons presented that gave nothing (minimum spend not reached, nothing in scope, invalid).
    #[serde(default)]
    pub unused_coupons: Vec<coupons::CouponId>,
    /// 本单共优惠: the sum of every promotion's and coupon's discount.
    pub total_saving: Money,
}

impl PromotionOutcome {
    /// What the lines cost after promotions.
    pub fn total_net(&self) -> Money {
        self.lines.iter().map(|l| l.net).sum()
    }
}

/// What the engine refuses to price.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CartError {
    #[error("line {index}: quantity must be above zero")]
    QtyNotPositive { index: usize },
    #[error("line {index}: a price is negative")]
    NegativePrice { index: usize },
    #[error("line {index}: price × quantity is too large")]
    Overflow { index: usize },
}

/// A promotion set indexed by product, category and brand, so a cart only looks at the promotions
/// that can touch its lines. Build it once per set version and price many carts with it.
#[derive(Clone, Debug)]
pub struct PromotionEngine {
    set: PromotionSet,
    by_product: BTreeMap<ProductId, Vec<usize>>,
    by_category: BTreeMap<CategoryId, Vec<usize>>,
    by_brand: BTreeMap<BrandId, Vec<usize>>,
    everything: Vec<usize>,
    /// The promotions left out, with why (see [`PromotionEngine::left_out`]).
    left_out: Vec<(PromotionId, PromotionError)>,
}

impl PromotionEngine {
    /// Indexes `set`. Promotions that fail [`Promotion::validate`] are left out (HQ refuses to publish
    /// them; a till that received one anyway prices as if it did not exist, and says so: see
    /// [`PromotionEngine::left_out`]).
    pub fn new(set: PromotionSet) -> PromotionEngine {
        let mut engine = PromotionEngine {
            set,
            by_product: BTreeMap::new(),
            by_category: BTreeMap::new(),
            by_brand: BTreeMap::new(),
            everything: Vec::new(),
            left_out: Vec::new(),
        };
        for (i, p) in engine.set.promotions.iter().enumerate() {
            if let Err(why) = p.validate() {
                engine.left_out.push((p.id, why));
                continue;
            }
            if p.scope.all_products {
                engine.everything.push(i);
                continue;
            }
            for id in &p.scope.products {
                engine.by_product.entry(*id).or_default().push(i);
            }
            for id in &p.scope.categories {
                engine.by_category.entry(*id).or_default().push(i);
            }
            for id in &p.scope.brands {
                engine.by_brand.entry(*id).or_default().push(i);
            }
        }
        engine
    }

    /// The promotions of the set that fail [`Promotion::validate`] and so never apply, with the
    /// reason: for the till's log and HQ's check of what it publishes.
    pub fn left_out(&self) -> &[(PromotionId, PromotionError)] {
        &self.left_out
    }

    pub fn set(&self) -> &PromotionSet {
        &self.set
    }

    /// The active promotions that name the cart's products, categories or brands (or everything), in
    /// set order, each with the cart positions that named it (cart order, each once).
    fn hits(&self, cart: &PromotionCart) -> Vec<(&Promotion, Vec<usize>)> {
        let mut pairs: Vec<(usize, usize)> = Vec::new();
        for (pos, line) in cart.lines.iter().enumerate() {
            let named = [
                Some(&self.everything),
                self.by_product.get(&line.product),
                self.by_category.get(&line.category),
                line.brand.and_then(|b| self.by_brand.get(&b)),
            ];
            for list in named.into_iter().flatten() {
                pairs.extend(list.iter().map(|&i| (i, pos)));
            }
        }
        pairs.sort_unstable();
        pairs.dedup();
        let mut out: Vec<(&Promotion, Vec<usize>)> = Vec::new();
        // The promotion of the previous pair, and whether it is for this cart.
        let mut last: Option<(usize, bool)> = None;
        for (i, pos) in pairs {
            let is_for = match last {
                Some((j, is_for)) if j == i => is_for,
                _ => {
                    let is_for = schedule::is_for(&self.set.promotions[i], cart);
                    last = Some((i, is_for));
                    if is_for {
                        out.push((&self.set.promotions[i], Vec::new()));
                    }
                    is_for
                }
            };
            if is_for && let Some((_, positions)) = out.last_mut() {
                positions.push(pos);
            }
        }
        out
    }

    /// How many promotions of the set are active for `cart` and name its products, categories or
    /// brands (or everything): the ones pricing it looks at.
    pub fn applicable_count(&self, cart: &PromotionCart) -> usize {
        self.hits(cart).len()
    }

    /// Prices `cart` with layers 1–4 (see the module documentation and domain.md "Promotions").
    pub fn price(&self, cart: &PromotionCart) -> Result<PromotionOutcome, CartError> {
        let lines = evaluate::prepare_lines(cart)?;
        let mut outcome = choose::choose_and_price(self.set.version, &self.hits(cart), cart, &lines);
        coupons::apply(&mut outcome, cart);
        Ok(outcome)
    }
}

/// Prices `cart` against `set` (indexes the set first; keep a [`PromotionEngine`] to price many carts).
pub fn price_promotions(set: &PromotionSet, cart: &PromotionCart) -> Result<PromotionOutcome, CartError> {
    PromotionEngine::new(set.clone()).price(cart)
}

#[cfg(test)]
mod properties;
#[cfg(test)]
mod tests;
