//! A new till pulling a set of 10,000 promotions (issue 18: "under 2 s"): the real HQ on loopback
//! with 1,000 products, the till's own `pos_app::sync::enrol` (enrolment, every page downloaded and
//! applied to its SQLite file), then the engine built from the pulled set, as the first sale after
//! the pull does. Measured twice, before and after HQ publishes the promotions, so the promotions'
//! share is the difference.
//!
//! `cargo bench -p tests --bench promotion_pull` (PROMOTION_PULL_PROMOTIONS=10000 by default).

use std::time::{Duration, Instant};

use hq_server::model::Actor;
use hq_server::store::{CatalogStore, PromotionStore};
use hq_server::{Application, Config, admin};
use jiff::civil::date;
use shared::Money;
use shared::catalog::{Category, CategoryId, Product, ProductId, ProductStatus, with_check_digit};
use shared::money::Bp;
use shared::promotions::{Audience, Branches, Limits, Promotion, PromotionId, PromotionKind, Schedule, Scope, Slab};

const PRODUCTS: u64 = 1_000;

fn promotion(i: u64, products: &[ProductId]) -> Promotion {
    let product = products[(i as usize * 7) % products.len()];
    let kind = match i % 5 {
        0 | 1 => PromotionKind::FixedPrice { price: Money(100 + (i % 300) as i64) },
        2 => PromotionKind::NthPercentOff { n: 2, bp: Bp(5000) },
        3 => PromotionKind::BuyNGetMFree { n: 2, m: 1 },
        _ => PromotionKind::Slabs {
            slabs: vec![Slab { threshold: Money(5000 + (i % 50) as i64 * 100), off: Money(500) }],
        },
    };
    Promotion {
        id: PromotionId(0),
        name: format!("促销 {i} 号 本周特惠"),
        branches: Branches::All,
        schedule: Schedule { from: date(2026, 1, 1), to: date(2030, 12, 31), weekdays: None, time_window: None },
        audience: Audience::Everyone,
        scope: Scope { products: vec![product], ..Scope::default() },
        kind,
        exclusivity_group: i.is_multiple_of(4).then(|| format!("组{}", i % 40)),
        priority: (i % 3) as i32,
        limits: Limits::default(),
        threshold_clawback: i.is_multiple_of(10),
    }
}

/// Enrols a new till and pulls everything; returns the time and the till's promotion count.
async fn first_sync(url: &str, code: &str, path: &std::path::Path) -> (Duration, usize, Duration) {
    let start = Instant::now();
    pos_app::sync::enrol(url, code, "bench", path, |_, _| {}).await.expect("first sync");
    let took = start.elapsed();
    let till = pos_app::store::Store::open(path).expect("till store");
    let built = Instant::now();
    let engine = shared::promotions::PromotionEngine::new(till.promotion_set().expect("set"));
    (took, engine.set().promotions.len(), built.elapsed())
}

fn main() {
    let n: u64 = std::env::var("PROMOTION_PULL_PROMOTIONS").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let app = Application::build(Config::loopback(dir.path().join("hq.sqlite"))).await.expect("HQ");
        let store = app.store();
        let hq = app.spawn();
        let seeding = store.clone();
        let (branch, ids) = tokio::task::spawn_blocking(move || {
            let actor = Actor::cli();
            let branch = admin::add_branch(&*seeding, &actor, admin::default_branch("B001", "基准店")).expect("branch").id;
            let cat = seeding
                .create_category(&actor, Category { id: CategoryId(0), code: "ALL".into(), name: "全部".into(), parent: None })
                .expect("category");
            let products: Vec<Product> = (0..PRODUCTS)
                .map(|i| Product {
                    brand: None,
                    id: ProductId(0),
                    code: format!("P{i:07}"),
                    barcodes: vec![with_check_digit(&format!("69{i:010}")).expect("ean")],
                    name: format!("康师傅红烧牛肉面 第{i}号"),
                    short_name: String::new(),
                    category: cat.id,
                    unit: "袋".into(),
                    retail_price: Money(350 + (i % 1000) as i64),
                    member_price: None,
                    vat: Bp(1300),
                    points_eligible: true,
                    discount_eligible: true,
                    weighed: false,
                    plu: None,
                    status: ProductStatus::Active,
                })
                .collect();
            seeding.import_products(&actor, products, &|_| {}).expect("import");
            let codes: Vec<String> = (0..PRODUCTS).map(|i| format!("P{i:07}")).collect();
            let ids: Vec<ProductId> = seeding.product_ids_by_code(&codes).expect("ids").into_iter().map(|(_, id)| id).collect();
            (branch, ids)
        })
        .await
        .expect("seed");

        let add_till = || admin::add_till(&*store, &Actor::cli(), branch, "", Duration::from_secs(600)).expect("till").1;
        let (before, none, _) = first_sync(&hq.url(), &add_till(), &dir.path().join("till-a.sqlite")).await;
        assert_eq!(none, 0);

        let publishing = store.clone();
        let published = tokio::task::spawn_blocking(move || {
            let start = Instant::now();
            for i in 0..n {
                publishing.create_promotion(&Actor::cli(), promotion(i, &ids)).expect("publish");
            }
            start.elapsed()
        })
        .await
        .expect("publish");
        println!("HQ published {n} promotions one by one (each its own version and audit entry) in {:.1} s", published.as_secs_f64());

        let (after, pulled, built) = first_sync(&hq.url(), &add_till(), &dir.path().join("till-b.sqlite")).await;
        assert_eq!(pulled as u64, n, "every promotion reached the till");
        println!(
            "a new till's first sync: {PRODUCTS} products {:.2} s; with {n} promotions {:.2} s: the promotions {:.2} s; \
             the engine from the pulled set {:.0} ms",
            before.as_secs_f64(),
            after.as_secs_f64(),
            (after.saturating_sub(before)).as_secs_f64(),
            built.as_secs_f64() * 1000.0
        );
        hq.stop().await.expect("stop");
    });
}
