//! Plan against actual for a chain of 500 branches over a year, as the console and the API ask
//! for it: every branch's net sales (or members' share, or new members) for the period against
//! its targets, the month's pace and the ranking.
//!
//! `cargo bench -p hq-server --bench plan` (BRANCHES=500, RUNS=20). With
//! `TILLPOINT_TEST_PG=postgres://…` HQ runs on PostgreSQL, in a schema of its own.
//!
//! The plan reads each branch's business days (`branch_days`, one row a branch and day, kept by
//! ingest as it stores each sale and refund; the push bench measures that). The bench writes
//! those rows directly, 1 January last year to today for every branch (about 350,000 rows), with
//! every branch's targets for this year, and 100,000 members at their home branches.

mod common;

use common::env;

use std::time::{Duration, Instant};

use hq_server::model::{Actor, NewMember, Role};
use hq_server::plans::TargetInput;
use hq_server::store::sql::conn::Engine;
use hq_server::store::{BranchStore, MemberStore, PlanStore};
use shared::ids::BranchId;
use shared::member::Phone;

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let branches = env("BRANCHES", 500);
    let runs = env("RUNS", 20);
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let on_postgres = hq_server::testing::engine() == Engine::Postgres;
        let bench = if on_postgres { common::start_postgres().await } else { common::start().await };
        println!("== HQ on {}", if on_postgres { "PostgreSQL" } else { "SQLite" });
        let store = bench.store.clone();
        let today = hq_server::calendar::hq_day(jiff::Timestamp::now());
        let started = Instant::now();
        let ids: Vec<BranchId> = tokio::task::spawn_blocking(move || {
            let actor = Actor::cli();
            let mut ids = vec![store.branch_by_code("B001").expect("read").expect("the bench's branch").id];
            for i in ids.len() + 1..=branches {
                let code = format!("B{i:04}");
                ids.push(hq_server::admin::add_branch(&*store, &actor, hq_server::admin::default_branch(&code, &code)).expect("branch").id);
            }
            // Each branch's days from 1 January last year to today: a day's sales of ¥20,000 to
            // ¥70,000, six tenths of it members', a hundredth refunded.
            let first = jiff::civil::date(today.year() - 1, 1, 1);
            let days = first.until(today).expect("span").get_days();
            let days = days.to_string();
            let rows = match store.engine() {
                Engine::Sqlite => format!(
                    "WITH RECURSIVE d(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM d WHERE n < {days})
                     INSERT INTO branch_days (branch_id, business_day, sales, due, member_due, refunded)
                     SELECT b.id, date('{first}', '+' || d.n || ' days'), 300,
                            2000000 + (b.id * 7919 + d.n * 104729) % 5000000, 0, 0
                     FROM branches b CROSS JOIN d"
                ),
                Engine::Postgres => format!(
                    "INSERT INTO branch_days (branch_id, business_day, sales, due, member_due, refunded)
                     SELECT b.id, to_char(DATE '{first}' + d.n, 'YYYY-MM-DD'), 300,
                            2000000 + (b.id * 7919 + d.n * 104729) % 5000000, 0, 0
                     FROM branches b CROSS JOIN generate_series(0, {days}) AS d(n)"
                ),
            };
            let sql = format!("{rows}; UPDATE branch_days SET member_due = due * 6 / 10, refunded = due / 100;");
            store.raw(|c| Ok(c.execute_batch(&sql)?)).expect("branch days");
            for (i, b) in ids.iter().enumerate() {
                for (metric, total) in [("sales", 1_500_000_000 + i as i64 * 1_000_000), ("member_share", 6_000), ("new_members", 200)] {
                    let input = TargetInput {
                        branch_id: b.0,
                        year: today.year(),
                        metric: metric.into(),
                        category_id: None,
                        split: "even".into(),
                        total: Some(total),
                        months: None,
                    };
                    let target = hq_server::plans::target_of(&*store, &input).expect("target");
                    store.set_target(&actor, &target).expect("set");
                }
            }
            for chunk in 0..10 {
                let members: Vec<NewMember> = (chunk * 10_000..(chunk + 1) * 10_000)
                    .map(|i| NewMember {
                        phone: Some(Phone::parse(&format!("15{i:09}")).expect("phone")),
                        name: format!("会员{i}"),
                        home_branch: Some(ids[i % ids.len()]),
                        ..NewMember::default()
                    })
                    .collect();
                store.import_members(&actor, members, &|_| {}).expect("members");
            }
            hq_server::admin::add_user(&*store, &actor, "bench", "Bench", Role::Finance, None, "bench password 2026").expect("user");
            ids
        })
        .await
        .expect("seed");
        println!("== seeded {} branches, their days since last January, targets, 100,000 members in {:.1?}", ids.len(), started.elapsed());

        let client = &bench.client;
        let url = bench.hq.url();
        let cookie = bench.sign_in("bench", "bench password 2026").await;
        let year_start = jiff::civil::date(today.year(), 1, 1);
        for metric in ["sales", "member_share", "new_members"] {
            let uri = format!("{url}/api/v1/plan?from={year_start}&to={today}&metric={metric}");
            let mut times: Vec<Duration> = Vec::with_capacity(runs);
            let mut rows = 0;
            for _ in 0..runs {
                let t = Instant::now();
                let r = client.get(&uri).header("cookie", &cookie).send().await.expect("plan");
                assert!(r.status().is_success(), "{}", r.status());
                let body: serde_json::Value = r.json().await.expect("json");
                times.push(t.elapsed());
                rows = body["rows"].as_array().map_or(0, Vec::len);
            }
            times.sort();
            println!(
                "plan {metric:>12} {year_start}..{today}, {rows} branches: median {:.1?}, p95 {:.1?}, max {:.1?} ({runs} runs)",
                times[runs / 2],
                times[(runs * 95 / 100).min(runs - 1)],
                times[runs - 1]
            );
        }
    });
}
