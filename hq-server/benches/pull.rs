//! HQ's side of a new till's first sync: a 1,000,000-product catalog pulled from a real HQ over
//! loopback, page by page, each page parsed, with progress. Nothing is applied to a till database
//! here; the whole first sync a new till waits for (download and apply) is
//! `cargo bench -p tests --bench first_sync`.
//!
//! `cargo bench -p hq-server --bench pull` (PULL_PRODUCTS=1000000, PULL_PAGE=5000 by default).

mod common;

use common::env;

use std::time::Instant;

use hq_server::model::Actor;
use hq_server::store::CatalogStore;
use shared::Money;
use shared::catalog::{Category, CategoryId, Product, ProductId, ProductStatus, with_check_digit};
use shared::money::Bp;
use shared::sync::{Change, PullResponse};

fn main() {
    let n = env("PULL_PRODUCTS", 1_000_000);
    let page = env("PULL_PAGE", 5000);
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let bench = common::start().await;
        let store = bench.store.clone();
        let seeded = tokio::task::spawn_blocking(move || {
            let actor = Actor::cli();
            let cat = store
                .create_category(&actor, Category { id: CategoryId(0), code: "ALL".into(), name: "全部".into(), parent: None })
                .expect("category");
            let products: Vec<Product> = (0..n as u64)
                .map(|i| Product {
                    brand: None,
                    id: ProductId(0),
                    code: format!("P{i:07}"),
                    barcodes: vec![with_check_digit(&format!("69{:010}", i)).expect("ean")],
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
            let summary = store
                .import_products(&actor, products, &|done| {
                    if done % 100_000 == 0 {
                        eprintln!("  seeded {done} products");
                    }
                })
                .expect("import");
            (summary.created, start.elapsed().as_secs_f64())
        })
        .await
        .expect("seed");
        println!("seeded {} products into HQ in {:.1} s (import with audit entries and change feed)", seeded.0, seeded.1);

        let (_, token) = bench.till().await;
        let start = Instant::now();
        let mut cursor = 0u64;
        let mut products = 0usize;
        let mut pages = 0usize;
        let mut bytes = 0usize;
        let mut next_report = 10;
        loop {
            let body = bench
                .client
                .get(format!("{}/api/v1/sync/pull?cursor={cursor}&limit={page}", bench.hq.url()))
                .header("x-till-token", &token)
                .send()
                .await
                .expect("pull")
                .bytes()
                .await
                .expect("body");
            bytes += body.len();
            let r: PullResponse = serde_json::from_slice(&body).expect("a PullResponse");
            products += r.changes.iter().filter(|c| matches!(c.change, Change::Product(_))).count();
            pages += 1;
            cursor = r.next_cursor;
            let pct = (cursor * 100).checked_div(r.latest.max(1)).unwrap_or(100);
            if pct >= next_report {
                eprintln!("  pulled {pct}% ({products} products, {pages} pages)");
                next_report += 10;
            }
            if !r.has_more {
                break;
            }
        }
        let secs = start.elapsed().as_secs_f64();
        assert_eq!(products, n, "every product pulled");
        println!(
            "new till pulled {products} products in {pages} pages of {page} ({:.0} MB) in {secs:.1} s = {:.0} products/s",
            bytes as f64 / 1e6,
            products as f64 / secs
        );
        bench.hq.stop().await.expect("stop");
    });
}
