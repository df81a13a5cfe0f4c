//! A new till's whole first sync against a 1,000,000-product catalog: enrolment with the one-time
//! code, then every page downloaded *and applied* to the till's SQLite file (products, barcodes,
//! the full-text index), which is what a new till waits for before it can sell. The real HQ on
//! loopback, the till's own `pos_app::sync::enrol`, a real file for each.
//!
//! `cargo bench -p tests --bench first_sync` (FIRST_SYNC_PRODUCTS=1000000 by default).

use std::time::Instant;

use hq_server::model::Actor;
use hq_server::store::CatalogStore;
use hq_server::{Application, Config, admin};
use shared::Money;
use shared::catalog::{Category, CategoryId, Product, ProductId, ProductStatus, with_check_digit};
use shared::money::Bp;

fn main() {
    let n: usize = std::env::var("FIRST_SYNC_PRODUCTS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let app = Application::build(Config::loopback(dir.path().join("hq.sqlite"))).await.expect("HQ");
        let store = app.store();
        let hq = app.spawn();
        let seeding = store.clone();
        let (branch, seeded) = tokio::task::spawn_blocking(move || {
            let actor = Actor::cli();
            let branch = admin::add_branch(&*seeding, &actor, admin::default_branch("B001", "基准店")).expect("branch").id;
            let cat = seeding
                .create_category(&actor, Category { id: CategoryId(0), code: "ALL".into(), name: "全部".into(), parent: None })
                .expect("category");
            let products: Vec<Product> = (0..n as u64)
                .map(|i| Product {
                    brand: None,
                    id: ProductId(0),
                    code: format!("P{i:07}"),
                    barcodes: vec![with_check_digit(&format!("69{i:010}")).expect("ean")],
                    name: format!("康师傅红烧牛肉面 第{i}号 五连包"),
                    short_name: format!("红烧牛肉面{i}"),
                    category: cat.id,
                    unit: "袋".into(),
                    retail_price: Money(350 + (i % 1000) as i64),
                    member_price: (i % 3 == 0).then_some(Money(300)),
                    vat: Bp(1300),
                    points_eligible: true,
                    discount_eligible: true,
                    weighed: false,
                    plu: None,
                    status: ProductStatus::Active,
                })
                .collect();
            let start = Instant::now();
            seeding.import_products(&actor, products, &|_| {}).expect("import");
            (branch, start.elapsed().as_secs_f64())
        })
        .await
        .expect("seed");
        println!("seeded {n} products into HQ in {seeded:.1} s");

        let (_, code) = admin::add_till(&*store, &Actor::cli(), branch, "", std::time::Duration::from_secs(600)).expect("till");
        let till_path = dir.path().join("till.sqlite");
        let mut next_report = 10;
        let start = Instant::now();
        pos_app::sync::enrol(&hq.url(), &code, "bench", &till_path, |cursor, latest| {
            let pct = (cursor * 100).checked_div(latest.max(1)).unwrap_or(100);
            if pct >= next_report {
                eprintln!("  {pct}% after {:.1} s", start.elapsed().as_secs_f64());
                next_report += 10;
            }
        })
        .await
        .expect("first sync");
        let secs = start.elapsed().as_secs_f64();
        let till = pos_app::store::Store::open(&till_path).expect("till store");
        let last = with_check_digit(&format!("69{:010}", n - 1)).expect("ean");
        assert!(till.product_by_barcode(&last).expect("lookup").is_some(), "the last product is at the till");
        let size: u64 = std::fs::read_dir(dir.path())
            .expect("dir")
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().starts_with("till.sqlite"))
            .map(|e| e.metadata().map(|m| m.len()).unwrap_or(0))
            .sum();
        println!(
            "first sync of a new till: {n} products downloaded and applied in {secs:.1} s = {:.0} products/s; till database {:.0} MB",
            n as f64 / secs,
            size as f64 / 1e6
        );
        hq.stop().await.expect("stop");
    });
}
