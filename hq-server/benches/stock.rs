//! Stock per branch at a chain's size: 50 branches × 100,000 products with 10,000,000 movements
//! (STOCK_BRANCHES, STOCK_PRODUCTS, STOCK_MOVEMENTS). Measures one product's on hand at one
//! branch, through the store and through the API (`GET /api/v1/stock/{branch}/{product}`, its
//! level and latest movements), and one branch's stock at cost (`GET /api/v1/stock/value`).
//!
//! `cargo bench -p hq-server --bench stock`. With `TILLPOINT_TEST_PG=postgres://…` HQ runs on
//! PostgreSQL, in a schema of its own.
//!
//! The ledger and the levels are written with SQL (each level is the sum of its movements, as
//! ingest keeps it); the push bench measures ingest with the movements it writes.

mod common;

use common::env;

use std::time::{Duration, Instant};

use hq_server::model::{Actor, Role};
use hq_server::store::StockStore;
use hq_server::store::sql::conn::Engine;
use shared::catalog::ProductId;
use shared::ids::BranchId;

fn percentiles(mut times: Vec<Duration>) -> String {
    times.sort();
    let n = times.len();
    format!(
        "p50 {:.3?}, p99 {:.3?}, max {:.3?} ({n} reads)",
        times[n / 2],
        times[(n * 99 / 100).min(n - 1)],
        times[n - 1]
    )
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let branches = env("STOCK_BRANCHES", 50);
    let products = env("STOCK_PRODUCTS", 100_000);
    let movements = env("STOCK_MOVEMENTS", 10_000_000);
    let reads = env("STOCK_READS", 20_000);
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let on_postgres = hq_server::testing::engine() == Engine::Postgres;
        let bench = if on_postgres { common::start_postgres().await } else { common::start().await };
        println!("== HQ on {}", if on_postgres { "PostgreSQL" } else { "SQLite" });
        let store = bench.store.clone();
        let started = Instant::now();
        tokio::task::spawn_blocking(move || {
            let actor = Actor::cli();
            for i in 2..=branches {
                let code = format!("B{i:03}");
                hq_server::admin::add_branch(&*store, &actor, hq_server::admin::default_branch(&code, &code)).expect("branch");
            }
            hq_server::admin::add_user(&*store, &actor, "bench", "Bench", Role::Finance, None, "bench password 2026").expect("user");
            // Products 1..=P; movements spread over every branch and product, each a sale of one
            // to three units or (one in ten) a receipt of 24, over the last year; each level the
            // sum of its product's movements at its branch, at an average cost of ¥1–¥50.
            let now = jiff::Timestamp::now().as_microsecond();
            let year = 365 * 86_400_000_000_i64;
            let (series, products_sql) = match store.engine() {
                Engine::Sqlite => (
                    format!("WITH RECURSIVE s(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM s WHERE n < {movements} - 1)"),
                    format!("WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < {products})"),
                ),
                Engine::Postgres => (
                    format!("WITH s(n) AS (SELECT generate_series(0::bigint, {movements} - 1))"),
                    format!("WITH s(n) AS (SELECT generate_series(1::bigint, {products}))"),
                ),
            };
            let sql = format!(
                "INSERT INTO categories (id, code, name, parent_id) VALUES (1, 'ALL', '全部', NULL);
                 {products_sql}
                 INSERT INTO products (id, code, name, short_name, category_id, unit, retail_price, member_price, vat,
                     points_eligible, discount_eligible, weighed, plu, status, updated_at)
                 SELECT n, 'P' || n, '商品' || n, '商品' || n, 1, '个', 500, NULL, 1300, 1, 1, 0, NULL, 'active', 0 FROM s;
                 {series}
                 INSERT INTO stock_movements (branch_id, product_id, kind, qty, at, business_day, unit_cost, value, source,
                     source_line, reason, note, actor, recorded_at)
                 SELECT n % {branches} + 1, (n / {branches}) % {products} + 1,
                        CASE WHEN n % 10 = 0 THEN 'receipt' ELSE 'sale' END,
                        CASE WHEN n % 10 = 0 THEN 24000 ELSE -1000 * (1 + n % 3) END,
                        {now} - {year} + (n * 7919) % {year}, '2026-01-01', 100 + n % 4900, 0, 'bench:' || n, 0, NULL, '',
                        'bench', {now}
                 FROM s;
                 INSERT INTO stock_levels (branch_id, product_id, on_hand, avg_cost, last_movement_at, last_sale_at)
                 SELECT branch_id, product_id, SUM(qty), 100 + (product_id * 37) % 4900, MAX(at), MAX(at)
                 FROM stock_movements GROUP BY branch_id, product_id;"
            );
            store.raw(|c| Ok(c.execute_batch(&sql)?)).expect("seed");
            if store.engine() == Engine::Postgres {
                store.raw(|c| Ok(c.execute_batch("ANALYZE stock_movements; ANALYZE stock_levels; ANALYZE products;")?)).expect("analyze");
            }
        })
        .await
        .expect("seed");
        println!(
            "== seeded {branches} branches × {products} products, {movements} movements in {:.1?}",
            started.elapsed()
        );

        // One product at one branch through the store, spread over the chain.
        let store = bench.store.clone();
        let times = tokio::task::spawn_blocking(move || {
            let mut times = Vec::with_capacity(reads);
            for i in 0..reads as i64 {
                let (b, p) = (BranchId(i * 7 % branches as i64 + 1), ProductId(i * 7919 % products as i64 + 1));
                let t = Instant::now();
                let level = store.stock_level(b, p).expect("level");
                times.push(t.elapsed());
                assert_eq!((level.branch_id, level.product_id), (b, p));
            }
            times
        })
        .await
        .expect("reads");
        println!("on hand, one product at one branch (store): {}", percentiles(times));

        let client = &bench.client;
        let url = bench.hq.url();
        let cookie = bench.sign_in("bench", "bench password 2026").await;
        let mut times = Vec::with_capacity(reads / 4);
        for i in 0..(reads / 4) as i64 {
            let (b, p) = (i * 7 % branches as i64 + 1, i * 7919 % products as i64 + 1);
            let t = Instant::now();
            let r = client.get(format!("{url}/api/v1/stock/{b}/{p}?limit=20")).header("cookie", &cookie).send().await.expect("level");
            assert!(r.status().is_success(), "{}", r.status());
            let _ = r.bytes().await.expect("body");
            times.push(t.elapsed());
        }
        println!("a product's level and latest 20 movements at a branch (API, loopback): {}", percentiles(times));

        let mut times = Vec::new();
        for i in 0..20 {
            let b = i % branches + 1;
            let t = Instant::now();
            let r = client.get(format!("{url}/api/v1/stock/value?branch_id={b}")).header("cookie", &cookie).send().await.expect("value");
            assert!(r.status().is_success(), "{}", r.status());
            let body: serde_json::Value = r.json().await.expect("json");
            times.push(t.elapsed());
            assert_eq!(body[0]["products"].as_u64(), Some(products as u64), "{body}");
        }
        times.sort();
        println!(
            "one branch's stock at cost ({products} products): median {:.1?}, max {:.1?} (20 runs)",
            times[10],
            times[19]
        );
    });
}
