//! The nightly member analysis at a large chain's size: RFM over 1,000,000 members and 5,000,000
//! sales of 20,000,000 lines in the year (four lines a sale; a fifth of the sales without a
//! member, one in a hundred partly refunded), run as the daily command runs it (read, score, write
//! every member's row), then the segment pages read from the stored run over real HTTP.
//!
//! `cargo bench -p hq-server --bench rfm` (MEMBERS=1000000, SALES=5000000, LINES_PER_SALE=4,
//! PAGES=200). With `TILLPOINT_TEST_PG=postgres://…` HQ runs on PostgreSQL, in a schema of its own.
//! The rows are written by SQL straight into the tables (seeding through ingest would take hours);
//! the RFM job reads them as it reads what ingest stores.

mod common;

use common::env;

use std::time::{Duration, Instant};

use hq_server::model::{Actor, Role};
use hq_server::store::sql::conn::Engine;

/// The seeding SQL for one engine: members, sales over the year to `last`, their lines, refunds.
fn seed_sql(engine: Engine, members: usize, sales: usize, lines: usize, last: jiff::civil::Date) -> Vec<String> {
    let first = hq_server::calendar::days_before(last, 364);
    #[allow(clippy::type_complexity)]
    let (series, uuid, day): (fn(usize) -> String, fn(&str, &str) -> String, String) = match engine {
        Engine::Sqlite => (
            |n: usize| format!("WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < {n})"),
            |tag: &str, e: &str| format!("printf('%08x-0000-4000-{tag}-%012x', {e}, {e})"),
            format!("date('{first}', '+' || (s.n % 365) || ' days')"),
        ),
        Engine::Postgres => (
            |_: usize| String::new(),
            |tag: &str, e: &str| {
                format!("lpad(to_hex({e}), 8, '0') || '-0000-4000-{tag}-' || lpad(to_hex({e}), 12, '0')")
            },
            format!("to_char(DATE '{first}' + (s.n % 365)::int, 'YYYY-MM-DD')"),
        ),
    };
    let from = |n: usize| match engine {
        Engine::Sqlite => "s".to_owned(),
        Engine::Postgres => format!("generate_series(1::bigint, {n}) AS s(n)"),
    };
    let member_of_sale = format!("(s.n * 7919) % {members} + 1");
    let due = "(500 + (s.n * 104729) % 30000)";
    vec![
        format!(
            "{} INSERT INTO members (id, code, phone, name, tier, status, home_branch, enrolled_at, enrolled_by, updated_at)
             SELECT {}, 'M' || s.n, NULL, '会员' || s.n, 'regular', 'active', 1, 1700000000000000, 'bench', 1700000000000000
             FROM {}",
            series(members),
            uuid("8000", "s.n"),
            from(members)
        ),
        format!(
            "{} INSERT INTO sales (id, event_id, receipt_no, branch_id, till_id, shift_id, cashier_id, completed_at,
                 business_day, gross, member_savings, manual_discounts, order_discount, total, rounding, due,
                 change_given, change_to_stored_value, points_eligible_net, member_id, member_identifier,
                 member_tier, points_earned, policy_version, received_at)
             SELECT {}, 'e' || s.n, 'R' || s.n, 1 + s.n % 50, 1, 'shift', 1, 1700000000000000, {day},
                 {due}, 0, 0, 0, {due}, 0, {due}, 0, 0, {due},
                 CASE WHEN s.n % 5 = 0 THEN NULL ELSE {} END, NULL, NULL, 0, NULL, 1700000000000000
             FROM {}",
            series(sales),
            uuid("9000", "s.n"),
            uuid("8000", &format!("({member_of_sale})")),
            from(sales)
        ),
        format!(
            "WITH k(n) AS (VALUES {}) INSERT INTO sale_lines (sale_id, line_no, product_id, product_code, barcode, name,
                 category_id, unit, vat, qty, base_unit, unit_price, gross, member_saving, manual_discount,
                 order_discount, net, points_eligible)
             SELECT s.id, k.n, k.n, 'P' || k.n, NULL, '商品', 1, 'each', 1300, 1000, 1000, s.due / {lines},
                 s.due / {lines}, 0, 0, 0, s.due / {lines}, 1
             FROM sales s CROSS JOIN k",
            (1..=lines).map(|k| format!("({k})")).collect::<Vec<_>>().join(", ")
        ),
        format!(
            "INSERT INTO refunds (id, event_id, kind, sale_id, original_receipt, receipt_no, branch_id, till_id, shift_id,
                 cashier_id, approved_by, refunded_at, business_day, reason, total, rounding, points_taken_back,
                 points_restored, member_id, received_at)
             SELECT 'f' || s.id, 'fe' || s.id, 'with_receipt', s.id, s.receipt_no, 'F' || s.receipt_no, s.branch_id, 1,
                 'shift', 1, NULL, 1700000000000000, s.business_day, 'bench', s.due / 2, 0, 0, 0, s.member_id,
                 1700000000000000
             FROM sales s WHERE s.receipt_no LIKE '%00'"
        ),
    ]
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let members = env("MEMBERS", 1_000_000);
    let sales = env("SALES", 5_000_000);
    let lines = env("LINES_PER_SALE", 4);
    let pages = env("PAGES", 200);
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let on_postgres = hq_server::testing::engine() == Engine::Postgres;
        let bench = if on_postgres { common::start_postgres().await } else { common::start().await };
        println!("== HQ on {}", if on_postgres { "PostgreSQL" } else { "SQLite" });
        let store = bench.store.clone();
        let last = hq_server::calendar::days_before(hq_server::calendar::hq_day(jiff::Timestamp::now()), 1);
        let started = Instant::now();
        tokio::task::spawn_blocking(move || {
            let actor = Actor::cli();
            for i in 2..=50 {
                let code = format!("B{i:03}");
                hq_server::admin::add_branch(&*store, &actor, hq_server::admin::default_branch(&code, &code))
                    .expect("branch");
            }
            for sql in seed_sql(store.engine(), members, sales, lines, last) {
                let t = Instant::now();
                store.raw(|c| Ok(c.execute_batch(&sql)?)).expect("seed");
                println!(
                    "   seeded in {:.1?}: {}",
                    t.elapsed(),
                    sql.split_whitespace().take(4).collect::<Vec<_>>().join(" ")
                );
            }
            store.raw(|c| Ok(c.execute_batch("ANALYZE")?)).expect("analyze");
            hq_server::admin::add_user(&*store, &actor, "bench", "Bench", Role::Marketing, None, "bench password 2026")
                .expect("user");
        })
        .await
        .expect("seed");
        println!(
            "== seeded {members} members, {sales} sales of {} lines, {} refunds in {:.1?}",
            sales * lines,
            sales / 100,
            started.elapsed()
        );

        // The nightly run, as `hq-server daily` makes it.
        let store = bench.store.clone();
        let (run, phases) = tokio::task::spawn_blocking(move || {
            let (from, to) = hq_server::analysis_runs::default_period(last);
            let t = Instant::now();
            let id = hq_server::analysis_runs::start(&*store, from, to, "bench").expect("start").expect("not running");
            let mut phases: Vec<(String, Duration)> = Vec::new();
            let scored = hq_server::analysis_runs::compute(&*store, id, (from, to), &mut |phase, _, _| {
                if phases.last().is_none_or(|(p, _)| p != phase) {
                    phases.push((phase.to_owned(), t.elapsed()));
                }
            })
            .expect("run");
            phases.push(("end".to_owned(), t.elapsed()));
            ((id, scored, t.elapsed()), phases)
        })
        .await
        .expect("run");
        let (id, scored, took) = run;
        let steps: Vec<String> =
            phases.windows(2).map(|w| format!("{} {:.1?}", w[0].0, w[1].1.saturating_sub(w[0].1))).collect();
        println!("rfm run {id}: {scored} members scored and stored in {took:.1?} ({})", steps.join(", "));

        // The segment pages, read from the run.
        let client = &bench.client;
        let url = bench.hq.url();
        let cookie = bench.sign_in("bench", "bench password 2026").await;
        let report: serde_json::Value = client
            .get(format!("{url}/api/v1/analysis/rfm"))
            .header("cookie", &cookie)
            .send()
            .await
            .expect("report")
            .json()
            .await
            .expect("json");
        assert_eq!(report["run"]["id"], id, "the report is read from the run");
        let biggest = report["segments"]
            .as_array()
            .expect("segments")
            .iter()
            .max_by_key(|s| s["members"].as_u64())
            .expect("a segment")
            .clone();
        let seg = biggest["segment"].as_str().expect("code");
        for (what, path) in [
            ("report (API)", "/api/v1/analysis/rfm".to_owned()),
            ("analysis page", "/console/analysis".to_owned()),
            ("segment page", format!("/console/analysis?segment={seg}")),
        ] {
            // The first request after the run reads cold pages of the database; it is told apart.
            let t = Instant::now();
            let r = client.get(format!("{url}{path}")).header("cookie", &cookie).send().await.expect("page");
            assert!(r.status().is_success(), "{path}: {}", r.status());
            let _ = r.bytes().await.expect("body");
            let first = t.elapsed();
            let mut times: Vec<Duration> = Vec::with_capacity(pages);
            let mut size = 0;
            for _ in 0..pages {
                let t = Instant::now();
                let r = client.get(format!("{url}{path}")).header("cookie", &cookie).send().await.expect("page");
                assert!(r.status().is_success(), "{path}: {}", r.status());
                size = r.bytes().await.expect("body").len();
                times.push(t.elapsed());
            }
            times.sort();
            println!(
                "{what:>14} {path}: first {first:.1?}; then median {:.1?}, p99 {:.1?}, max {:.1?} ({pages} requests, {size} bytes)",
                times[pages / 2],
                times[(pages * 99 / 100).min(pages - 1)],
                times[pages - 1]
            );
        }
        println!("   the segment page lists the best 500 of {} members of `{seg}`", biggest["members"]);
    });
}
