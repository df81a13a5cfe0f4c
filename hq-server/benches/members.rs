//! Online member lookups from tills: 1,000,000 members, 64 concurrent clients on loopback, each
//! asking for a random member by phone or card code as a till does.
//!
//! `cargo bench -p hq-server --bench members` (MEMBERS=1000000, CLIENTS=64, LOOKUPS=200000,
//! PACE_MS=0; SERVE_SECS=N keeps the seeded HQ up for an outside load generator such as wrk).
//! With `TILLPOINT_TEST_PG=postgres://…` HQ runs on PostgreSQL, in a schema seeded for the run.
//!
//! `OPEN_RATES=2000,5000,10000 OPEN_SECS=10`: open loop instead. Lookups are due at a fixed
//! offered rate whatever HQ does (the i-th at start + i/rate), spread over CLIENTS connections;
//! each latency is counted from when the lookup was due, not from when a free connection sent it,
//! so a stall is charged to every lookup it delayed (no coordinated omission).

mod common;

use common::env;

use std::time::Instant;

use hdrhistogram::Histogram;
use hq_server::model::{Actor, NewMember};
use hq_server::store::MemberStore;
use rand::RngExt;
use shared::member::Phone;

fn phone(i: usize) -> String {
    format!("15{:09}", i)
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let n = env("MEMBERS", 1_000_000);
    let clients = env("CLIENTS", 64);
    let lookups = env("LOOKUPS", 200_000);
    // PACE_MS: each client waits this long between lookups (0: back to back, saturating HQ).
    let pace = std::time::Duration::from_millis(env("PACE_MS", 0) as u64);
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        // SQLite: the seeded database is kept in the target directory and reused by later runs.
        // PostgreSQL (`TILLPOINT_TEST_PG`): a schema of its own, seeded each run, dropped after.
        let on_postgres = hq_server::testing::engine() == hq_server::store::sql::conn::Engine::Postgres;
        let bench = if on_postgres {
            common::start_postgres().await
        } else {
            let path =
                std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("hq-members-{n}-v2.sqlite"));
            common::start_kept(&path).await
        };
        println!("== HQ on {}", if on_postgres { "PostgreSQL" } else { "SQLite" });
        let store = bench.store.clone();
        let started = Instant::now();
        tokio::task::spawn_blocking(move || {
            let have = store.count_members().expect("count") as usize;
            let chunk = 100_000;
            for from in (have..n).step_by(chunk) {
                let members: Vec<NewMember> = (from..(from + chunk).min(n))
                    .map(|i| NewMember {
                        phone: Some(Phone::parse(&phone(i)).expect("phone")),
                        name: format!("会员{i}"),
                        ..NewMember::default()
                    })
                    .collect();
                store.import_members(&Actor::cli(), members, &|_| {}).expect("import");
                eprintln!("  {} members", (from + chunk).min(n));
            }
        })
        .await
        .expect("seed");
        println!("== HQ members: {n} members (seeded or found in {:.1?})", started.elapsed());
        let (_, token) = bench.till().await;
        let url = format!("{}/api/v1/till/members/lookup", bench.hq.url());
        // SERVE_SECS keeps the seeded HQ up for an outside load generator (wrk) instead.
        if let Ok(secs) = std::env::var("SERVE_SECS") {
            println!("serving {url} with till token {token}");
            tokio::time::sleep(std::time::Duration::from_secs(secs.parse().unwrap_or(60))).await;
            return;
        }
        // OPEN_RATES: open loop at fixed offered rates instead (see `open_loop`).
        if let Ok(rates) = std::env::var("OPEN_RATES") {
            let secs = env("OPEN_SECS", 10) as u64;
            for rate in rates.split(',').filter_map(|r| r.trim().parse::<u64>().ok()) {
                open_loop(&bench.client, &url, &token, n, clients, rate, secs).await;
            }
            return;
        }
        let per_client = lookups / clients;
        let started = Instant::now();
        let tasks: Vec<_> = (0..clients)
            .map(|_| {
                let (client, url, token) = (bench.client.clone(), url.clone(), token.clone());
                tokio::spawn(async move {
                    let lookup = |k: usize| {
                        let i = rand::rng().random_range(0..n);
                        let body = if k.is_multiple_of(2) {
                            serde_json::json!({"by": {"by": "phone", "value": phone(i)}})
                        } else {
                            serde_json::json!({"by": {"by": "code", "value": format!("{:010}", 8_000_000_001u64 + i as u64)}})
                        };
                        let request = client.post(&url).header("x-till-token", &token).json(&body);
                        async move {
                            let t = Instant::now();
                            let r = request.send().await.expect("sent");
                            assert!(r.status().is_success(), "{}", r.status());
                            let _ = r.bytes().await.expect("body");
                            t.elapsed().as_micros() as u64
                        }
                    };
                    // A till keeps its connection; the first lookup also opens it, so it is
                    // reported on its own.
                    let first = lookup(0).await;
                    let mut h = Histogram::<u64>::new(3).expect("histogram");
                    for k in 0..per_client {
                        h.record(lookup(k).await).expect("record");
                        if !pace.is_zero() {
                            tokio::time::sleep(pace).await;
                        }
                    }
                    (h, first)
                })
            })
            .collect();
        let mut all = Histogram::<u64>::new(3).expect("histogram");
        let mut slowest_first = 0;
        for t in tasks {
            let (h, first) = t.await.expect("client");
            all.add(h).expect("merge");
            slowest_first = slowest_first.max(first);
        }
        let took = started.elapsed();
        let ms = |q: f64| all.value_at_quantile(q) as f64 / 1000.0;
        println!(
            "member lookup, {clients} concurrent clients{}, {} lookups in {took:.1?} ({:.0}/s): p50 {:.2} ms, p99 {:.2} ms, p99.9 {:.2} ms, max {:.2} ms",
            if pace.is_zero() { " back to back".to_owned() } else { format!(" pausing {pace:?} between lookups") },
            all.len(),
            all.len() as f64 / took.as_secs_f64(),
            ms(0.5),
            ms(0.99),
            ms(0.999),
            all.max() as f64 / 1000.0
        );
        println!(
            "  (each client's first lookup, which opens its connection, not counted above: slowest {:.2} ms)",
            slowest_first as f64 / 1000.0
        );
    });
}

/// One open-loop run at `rate` lookups a second for `secs` seconds over `clients` connections.
async fn open_loop(client: &reqwest::Client, url: &str, token: &str, n: usize, clients: usize, rate: u64, secs: u64) {
    let total = rate * secs;
    let interval_ns = 1_000_000_000 / rate.max(1);
    // Each connection opens before the clock starts, as a till's is open before a swipe.
    let start = tokio::time::Instant::now() + std::time::Duration::from_millis(200);
    let tasks: Vec<_> = (0..clients as u64)
        .map(|k| {
            let (client, url, token) = (client.clone(), url.to_owned(), token.to_owned());
            tokio::spawn(async move {
                let send = |i: u64| {
                    let m = rand::rng().random_range(0..n);
                    let body = if i.is_multiple_of(2) {
                        serde_json::json!({"by": {"by": "phone", "value": phone(m)}})
                    } else {
                        serde_json::json!({"by": {"by": "code", "value": format!("{:010}", 8_000_000_001u64 + m as u64)}})
                    };
                    client.post(&url).header("x-till-token", &token).json(&body).send()
                };
                let r = send(0).await.expect("warm-up");
                let _ = r.bytes().await;
                let mut h = Histogram::<u64>::new(3).expect("histogram");
                let mut service = Histogram::<u64>::new(3).expect("histogram");
                let mut i = k;
                while i < total {
                    let due = start + std::time::Duration::from_nanos(i * interval_ns);
                    tokio::time::sleep_until(due).await;
                    let sent = tokio::time::Instant::now();
                    let r = send(i).await.expect("sent");
                    assert!(r.status().is_success(), "{}", r.status());
                    let _ = r.bytes().await.expect("body");
                    h.record(due.elapsed().as_micros() as u64).expect("record");
                    service.record(sent.elapsed().as_micros() as u64).expect("record");
                    i += clients as u64;
                }
                (h, service)
            })
        })
        .collect();
    let mut all = Histogram::<u64>::new(3).expect("histogram");
    let mut service = Histogram::<u64>::new(3).expect("histogram");
    for t in tasks {
        let (h, s) = t.await.expect("client");
        all.add(h).expect("merge");
        service.add(s).expect("merge");
    }
    let took = start.elapsed();
    let ms = |h: &Histogram<u64>, q: f64| h.value_at_quantile(q) as f64 / 1000.0;
    println!(
        "open loop, offered {rate}/s for {secs} s over {clients} connections: {} lookups in {took:.1?} ({:.0}/s achieved)\n  from when each was due: p50 {:.2} ms, p99 {:.2} ms, p99.9 {:.2} ms, max {:.2} ms\n  from when each was sent: p50 {:.2} ms, p99 {:.2} ms (tokio's timer wakes up to 1 ms late, which the first line counts)",
        all.len(),
        all.len() as f64 / took.as_secs_f64(),
        ms(&all, 0.5),
        ms(&all, 0.99),
        ms(&all, 0.999),
        all.max() as f64 / 1000.0,
        ms(&service, 0.5),
        ms(&service, 0.99),
    );
}
