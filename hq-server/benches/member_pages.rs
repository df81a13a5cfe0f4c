//! The member pages' home and history for a member with 10,000 ledger entries (and as many
//! points lots), through a real HQ on loopback: each request's time from send to the last byte
//! (an upper bound of HQ's own time), p50 / p99 / max, and each page's weight.
//!
//! `cargo bench -p hq-server --bench member_pages` (ENTRIES=10000, REQUESTS=2000). With
//! `TILLPOINT_TEST_PG=postgres://…` HQ runs on PostgreSQL, in a schema of its own.

mod common;

use std::time::Instant;

use hdrhistogram::Histogram;
use hq_server::model::{Actor, Adjustment, NewMember};
use hq_server::store::{MemberPagesStore, MemberStore};
use shared::member::Phone;
use shared::money::Money;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let entries = env("ENTRIES", 10_000);
    let requests = env("REQUESTS", 2_000);
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let on_postgres = hq_server::testing::engine() == hq_server::store::sql::conn::Engine::Postgres;
        let bench = if on_postgres { common::start_postgres().await } else { common::start().await };
        println!("== HQ on {}", if on_postgres { "PostgreSQL" } else { "SQLite" });
        let store = bench.store.clone();
        let branch = bench.branch;
        let seeded = Instant::now();
        let (member, token) = tokio::task::spawn_blocking(move || {
            let phone = Phone::parse("13812345678").expect("phone");
            let m = store
                .create_member(
                    &Actor::cli(),
                    NewMember {
                        phone: Some(phone.clone()),
                        name: "陈小姐".into(),
                        home_branch: Some(branch),
                        ..NewMember::default()
                    },
                )
                .expect("member");
            for i in 0..entries {
                // Points in and out, and stored value now and then: every entry a ledger row.
                let a = Adjustment {
                    points: if i % 3 == 2 { -5 } else { 10 },
                    principal: Money(if i % 10 == 0 { 100 } else { 0 }),
                    bonus: Money::ZERO,
                    reason: format!("bench {i}"),
                };
                store.adjust(&Actor::cli(), m.id, a).expect("stored").expect("adjusted");
            }
            let token = "tpm_bench";
            let expires = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(1);
            store
                .open_member_session(&hq_server::auth::token_hash(token), &phone, Some(m.id), expires)
                .expect("session");
            (m.id, token.to_owned())
        })
        .await
        .expect("seed");
        let ledger = bench.store.ledger(member, 100_000).expect("ledger").len();
        println!("seeded a member with {ledger} ledger entries in {:.1?}", seeded.elapsed());
        let cookie = format!("tp_member={token}");
        for page in ["/m/home", "/m/history"] {
            let url = format!("{}{page}", bench.hq.url());
            let mut h = Histogram::<u64>::new(3).expect("histogram");
            let mut bytes = 0;
            // Warm the connection and the caches first.
            for _ in 0..50 {
                bench
                    .client
                    .get(&url)
                    .header("cookie", &cookie)
                    .send()
                    .await
                    .expect("get")
                    .bytes()
                    .await
                    .expect("body");
            }
            for _ in 0..requests {
                let t = Instant::now();
                let r = bench.client.get(&url).header("cookie", &cookie).send().await.expect("get");
                assert!(r.status().is_success(), "{page}: {}", r.status());
                bytes = r.bytes().await.expect("body").len();
                h.record(t.elapsed().as_micros() as u64).expect("record");
            }
            println!(
                "{page}: {requests} requests, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms; {:.1} kB",
                h.value_at_quantile(0.5) as f64 / 1000.0,
                h.value_at_quantile(0.99) as f64 / 1000.0,
                h.max() as f64 / 1000.0,
                bytes as f64 / 1000.0
            );
        }
    });
}
