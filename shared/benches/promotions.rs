//! How long the promotions engine takes to price a 50-line cart against 10,000 active promotions, of
//! which about 1,000 can touch the cart's products (domain.md: "The search is exact for up to 12
//! competing promotions on a cart and must stay within the benchmark's time"; target p99 < 1 ms).
//!
//! Three scenarios: hundreds of promotions competing for the cart's units (the greedy choice), 12
//! competing among the 1,000 (the exact search), and a set of only 12, all applicable (the exact search
//! over every combination, independent promotions included).
//!
//! Run: `cargo bench -p shared --bench promotions`. Prints p50, p99 and max per pricing.

use std::time::{Duration, Instant};

use jiff::civil::date;
use shared::catalog::{CategoryId, ProductId};
use shared::ids::BranchId;
use shared::money::{Bp, Money, Qty};
use shared::promotions::{
    Audience, Branches, BrandId, CartLine, Customer, Limits, Promotion, PromotionCart, PromotionEngine, PromotionId,
    PromotionKind, PromotionSet, Schedule, Scope, Slab,
};

const PROMOTIONS: usize = 10_000;
const PRODUCTS: i64 = 5_000;
const CATEGORIES: i64 = 200;
const BRANDS: i64 = 100;
const CART_LINES: usize = 50;
const WARM_UP: usize = 200;
const RUNS: usize = 2_000;

/// A small deterministic generator (no dependency, same figures every run).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    fn below(&mut self, n: i64) -> i64 {
        (self.next() % n.unsigned_abs()) as i64
    }
}

fn category_of(product: i64) -> i64 {
    product % CATEGORIES
}

fn brand_of(product: i64) -> i64 {
    product % BRANDS
}

fn kind(rng: &mut Lcg) -> PromotionKind {
    match rng.below(10) {
        0..=3 => PromotionKind::FixedPrice { price: Money(100 + rng.below(900)) },
        4 => PromotionKind::AmountOff { off: Money(10 + rng.below(100)) },
        5 => PromotionKind::PercentOff { bp: Bp(500 + rng.below(2000)), on_member_price: rng.below(2) == 0 },
        6 => PromotionKind::BuyNGetMFree { n: 2, m: 1 },
        7 => PromotionKind::NthPercentOff { n: 2, bp: Bp(5000) },
        8 => PromotionKind::NForPrice { n: 3, price: Money(1000 + rng.below(1000)) },
        _ => PromotionKind::Slabs {
            slabs: vec![
                Slab { threshold: Money(5000 + rng.below(5000)), off: Money(500) },
                Slab { threshold: Money(20_000 + rng.below(10_000)), off: Money(3000) },
            ],
        },
    }
}

/// 10,000 promotions: mostly single products, some categories and brands, a few whole-store ones;
/// about a tenth name the cart's products, categories or brands.
///
/// `competing`: `None` lets layer-2 promotions and exclusivity groups fall where they may (hundreds
/// compete: the greedy choice); `Some(k)` keeps the cart's promotions apart except `k` layer-2
/// promotions, two on each of `k / 2` products (the exact search over all `k` together), with no
/// other layer-2 promotion or group in the set.
fn promotion_set(cart_products: &[i64], competing: Option<usize>, rng: &mut Lcg) -> PromotionSet {
    let mut promotions = Vec::with_capacity(PROMOTIONS);
    for i in 0..PROMOTIONS {
        let for_cart = rng.below(10) == 0;
        let mut kind = kind(rng);
        let mut group = rng.below(50);
        if let Some(k) = competing {
            group = 50;
            while matches!(
                kind,
                PromotionKind::BuyNGetMFree { .. }
                    | PromotionKind::NthPercentOff { .. }
                    | PromotionKind::NForPrice { .. }
            ) {
                kind = self::kind(rng);
            }
            if i < k {
                kind = if i % 2 == 0 {
                    PromotionKind::BuyNGetMFree { n: 1, m: 1 }
                } else {
                    PromotionKind::NthPercentOff { n: 2, bp: Bp(5000) }
                };
            }
        }
        let product = if for_cart {
            cart_products[rng.below(cart_products.len() as i64) as usize]
        } else {
            CART_LINES as i64 + 1 + rng.below(PRODUCTS - CART_LINES as i64)
        };
        let scope = match rng.below(20) {
            _ if competing.is_some_and(|k| i < k) => {
                Scope { products: vec![ProductId(i as i64 / 2 + 1)], ..Scope::default() }
            }
            0 => Scope { categories: vec![CategoryId(category_of(product))], ..Scope::default() },
            1 => Scope { brands: vec![BrandId(brand_of(product))], ..Scope::default() },
            _ if i % 2_000 == 0 => Scope { all_products: true, ..Scope::default() },
            _ => Scope { products: vec![ProductId(product)], ..Scope::default() },
        };
        promotions.push(Promotion {
            id: PromotionId(i as u64 + 1),
            name: format!("促销 {i}"),
            branches: Branches::All,
            schedule: Schedule { from: date(2026, 1, 1), to: date(2026, 12, 31), weekdays: None, time_window: None },
            audience: Audience::Everyone,
            scope,
            kind,
            exclusivity_group: (group < 5).then(|| format!("group {group}")),
            priority: rng.below(5) as i32,
            limits: Limits::default(),
            threshold_clawback: false,
        });
    }
    PromotionSet { version: 1, promotions }
}

fn cart(products: &[i64], rng: &mut Lcg) -> PromotionCart {
    let lines = products
        .iter()
        .enumerate()
        .map(|(index, &p)| {
            let base = 200 + rng.below(3000);
            let weighed = rng.below(10) == 0;
            CartLine {
                index,
                product: ProductId(p),
                category: CategoryId(category_of(p)),
                brand: Some(BrandId(brand_of(p))),
                base_unit: Money(base),
                member_unit: Money(base - base / 20),
                qty: if weighed { Qty(200 + rng.below(1500)) } else { Qty::pieces(1 + rng.below(4)) },
                discount_eligible: rng.below(20) != 0,
                manual_override: false,
                weighed,
            }
        })
        .collect();
    PromotionCart {
        branch: BranchId(1),
        at: date(2026, 11, 30).at(10, 0, 0, 0),
        customer: Customer { member: true, tier: Some("gold".into()), ..Customer::default() },
        lines,
        coupons: Vec::new(),
    }
}

fn percentile(sorted: &[Duration], p: usize) -> Duration {
    sorted[(sorted.len() * p / 100).min(sorted.len() - 1)]
}

fn main() {
    run("hundreds competing (greedy)", None, PROMOTIONS);
    run("12 competing (exact search)", Some(12), PROMOTIONS);
    run("12 promotions in all, all applicable (exact search of every combination)", Some(12), 12);
}

fn run(scenario: &str, competing: Option<usize>, promotions: usize) {
    let mut rng = Lcg(20_261_130);
    let cart_products: Vec<i64> = (1..=CART_LINES as i64).collect();
    let mut set = promotion_set(&cart_products, competing, &mut rng);
    set.promotions.truncate(promotions);
    let carts: Vec<PromotionCart> = (0..16).map(|_| cart(&cart_products, &mut rng)).collect();
    let started = Instant::now();
    let engine = PromotionEngine::new(set);
    let indexed = started.elapsed();
    let mut times = Vec::with_capacity(RUNS);
    let mut per_cart: Vec<Vec<Duration>> = vec![Vec::new(); carts.len()];
    let mut applied = 0;
    for i in 0..WARM_UP + RUNS {
        let cart = &carts[i % carts.len()];
        let t = Instant::now();
        let outcome = engine.price(cart).expect("priced");
        let took = t.elapsed();
        if i >= WARM_UP {
            times.push(took);
            per_cart[i % carts.len()].push(took);
            applied += outcome.promotions.len();
        }
        std::hint::black_box(outcome);
    }
    times.sort_unstable();
    let slowest_cart = per_cart
        .iter_mut()
        .map(|t| {
            t.sort_unstable();
            percentile(t, 50)
        })
        .max()
        .unwrap_or_default();
    let candidates = engine.applicable_count(&carts[0]);
    println!("{scenario}:");
    println!(
        "  promotions: {promotions} active, {candidates} applicable to the {CART_LINES}-line cart, \
         {} applied on average; index built in {indexed:?}",
        applied / RUNS
    );
    println!(
        "  pricing, {RUNS} runs over {} carts: p50 {:?}, p99 {:?}, max {:?}, slowest cart's median {slowest_cart:?} \
         (target p99 < 1 ms)",
        carts.len(),
        percentile(&times, 50),
        percentile(&times, 99),
        times[times.len() - 1]
    );
}
