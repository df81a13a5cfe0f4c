//! Posting a stock count of 100,000 lines (STOCK_COUNT_LINES): issue 19 asks for under 10 s.
//! A branch with that many products on hand, each with a receipt and a sale; a full count
//! started, a sale of every tenth product after the snapshot (HQ learning of it during the
//! count), every line entered in sheets of 10,000 (half of them one unit short), then the count
//! posted through the API. Prints how long starting, entering, reading the sheet and posting took.
//!
//! `cargo bench -p hq-server --bench stock_counts`. With `TILLPOINT_TEST_PG=postgres://…` HQ runs
//! on PostgreSQL, in a schema of its own.

mod common;

use common::env;

use std::time::Instant;

use hq_server::Store;
use hq_server::model::{Actor, CountEntry, CountScope, Role};
use hq_server::store::sql::conn::Engine;
use shared::catalog::ProductId;
use shared::money::Qty;

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let lines = env("STOCK_COUNT_LINES", 100_000);
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let on_postgres = hq_server::testing::engine() == Engine::Postgres;
        let bench = if on_postgres { common::start_postgres().await } else { common::start().await };
        println!("== HQ on {}", if on_postgres { "PostgreSQL" } else { "SQLite" });
        let store = bench.store.clone();
        let branch = bench.branch;
        let started = Instant::now();
        let count = tokio::task::spawn_blocking(move || {
            let actor = Actor::cli();
            hq_server::admin::add_user(&*store, &actor, "bench", "Bench", Role::Admin, None, "bench password 2026")
                .expect("user");
            let now = jiff::Timestamp::now().as_microsecond();
            let series = match store.engine() {
                Engine::Sqlite => {
                    format!("WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < {lines})")
                }
                Engine::Postgres => format!("WITH s(n) AS (SELECT generate_series(1::bigint, {lines}))"),
            };
            // Every product received (24) and sold (1 to 3) at the branch, its level their sum.
            let b = branch.0;
            let sql = format!(
                "INSERT INTO categories (id, code, name, parent_id) VALUES (1, 'ALL', '全部', NULL);
                 {series}
                 INSERT INTO products (id, code, name, short_name, category_id, unit, retail_price, member_price, vat,
                     points_eligible, discount_eligible, weighed, plu, status, updated_at)
                 SELECT n, 'P' || n, '商品' || n, '商品' || n, 1, '个', 500, NULL, 1300, 1, 1, 0, NULL, 'active', 0 FROM s;
                 {series}
                 INSERT INTO stock_movements (branch_id, product_id, kind, qty, at, business_day, unit_cost, value, source,
                     source_line, reason, note, actor, recorded_at)
                 SELECT {b}, n, 'receipt', 24000, {now} - 2000000, '2026-01-01', 100 + n % 4900, 0, 'bench:' || n, 0,
                     NULL, '', 'bench', {now} FROM s;
                 {series}
                 INSERT INTO stock_movements (branch_id, product_id, kind, qty, at, business_day, unit_cost, value, source,
                     source_line, reason, note, actor, recorded_at)
                 SELECT {b}, n, 'sale', -1000 * (1 + n % 3), {now} - 1000000, '2026-01-01', 100 + n % 4900, 0,
                     'bench:' || n, 1, NULL, '', 'bench', {now} FROM s;
                 INSERT INTO stock_levels (branch_id, product_id, on_hand, avg_cost, last_movement_at, last_sale_at)
                 SELECT branch_id, product_id, SUM(qty), 100 + product_id % 4900, MAX(at), MAX(at)
                 FROM stock_movements GROUP BY branch_id, product_id;"
            );
            store.raw(|c| Ok(c.execute_batch(&sql)?)).expect("seed");
            if store.engine() == Engine::Postgres {
                store
                    .raw(|c| Ok(c.execute_batch("ANALYZE stock_movements; ANALYZE stock_levels; ANALYZE products;")?))
                    .expect("analyze");
            }
            let s: &dyn Store = &*store;
            let t = Instant::now();
            let count = s.start_count(&actor, branch, CountScope::Full, "bench").expect("start");
            println!("started a count of {} products in {:.2?}", count.products, t.elapsed());
            // HQ learns of a sale of every tenth product during the count, made before its line is counted.
            let at = jiff::Timestamp::now().as_microsecond();
            let sold = format!(
                "{series}
                 INSERT INTO stock_movements (branch_id, product_id, kind, qty, at, business_day, unit_cost, value, source,
                     source_line, reason, note, actor, recorded_at)
                 SELECT {b}, n, 'sale', -1000, {at}, '2026-01-01', 100, -100, 'bench-during:' || n, 0, NULL, '', 'bench',
                     {at} FROM s WHERE n % 10 = 0"
            );
            store.raw(|c| Ok(c.execute_batch(&sold)?)).expect("sales during the count");
            let t = Instant::now();
            let products: Vec<i64> = (1..=lines as i64).collect();
            for sheet in products.chunks(10_000) {
                let entries = sheet
                    .iter()
                    .map(|&p| {
                        // On hand at the snapshot less the sale during the count; half a unit short.
                        let on_hand = 24_000 - 1000 * (1 + p % 3) - if p % 10 == 0 { 1000 } else { 0 };
                        CountEntry {
                            product: Some(ProductId(p)),
                            barcode: None,
                            qty: Qty(on_hand - if p % 2 == 0 { 1000 } else { 0 }),
                            counted_at: None,
                        }
                    })
                    .collect();
                s.count_entries(&actor, count.id, "盘点员", entries).expect("entries");
            }
            println!("entered {lines} lines in sheets of 10,000 in {:.2?}", t.elapsed());
            let t = Instant::now();
            let sheet = s.count_sheet(count.id, false).expect("sheet");
            println!("read the whole sheet (not blind) in {:.2?}", t.elapsed());
            assert_eq!(sheet.lines.len(), lines);
            count.id
        })
        .await
        .expect("seed");
        println!("== seeded and counted in {:.1?}", started.elapsed());

        let cookie = bench.sign_in("bench", "bench password 2026").await;
        let t = Instant::now();
        let r = bench
            .client
            .post(format!("{}/api/v1/stock/counts/{count}/post", bench.hq.url()))
            .header("cookie", &cookie)
            .send()
            .await
            .expect("post");
        assert!(r.status().is_success(), "{}", r.status());
        let report: serde_json::Value = r.json().await.expect("report");
        let took = t.elapsed();
        assert_eq!(report["adjustments"].as_u64(), Some(lines as u64 / 2), "half the lines one short");
        println!(
            "posted a count of {lines} lines ({} adjustments, {} fen lost) through the API in {took:.2?} (target: under 10 s)",
            report["adjustments"], report["lost_value"]
        );
    });
}
