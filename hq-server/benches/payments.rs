//! A payment round trip through HQ: a till's collect request (`POST /api/v1/till/payments`, real
//! HTTP on loopback) → HQ records the attempt → the provider's pay call to the simulator (real
//! HTTP, signed and verified) → HQ records the answer → the till's answer. Beside it, in the same
//! run, the same pay call straight to the simulator: the difference is what HQ adds to the wait
//! the customer feels.
//!
//! `cargo bench -p hq-server --bench payments` (PAY_ROUNDS, PAY_CLIENTS); with
//! `TILLPOINT_TEST_PG=postgres://…` HQ runs on PostgreSQL.

mod common;

use common::env;

use std::time::{Duration, Instant};

use hq_server::gateway::{GatewaySettings, PaymentsConfig};
use hq_server::store::sql::conn::Engine;

fn percentiles(what: &str, mut times: Vec<Duration>) {
    times.sort();
    let n = times.len();
    println!(
        "{what}: p50 {:.2?}, p99 {:.2?}, max {:.2?} ({n} payments)",
        times[n / 2],
        times[(n * 99 / 100).min(n - 1)],
        times[n - 1]
    );
}

/// A WeChat Pay code (18 digits beginning 13) or an Alipay one (18 digits beginning 28).
fn code(i: usize) -> String {
    if i.is_multiple_of(2) { format!("13{:016}", i) } else { format!("28{:016}", i) }
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let rounds = env("PAY_ROUNDS", 2_000);
    let clients = env("PAY_CLIENTS", 8);
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let payments = PaymentsConfig::start_simulator(GatewaySettings::default()).await.expect("simulator");
        let direct = payments.wechat.clone().expect("wechat");
        let config = payments.clone();
        let bench = common::start_configured(move |c| c.payments = config).await;
        println!("== HQ on {}", if bench.store.engine() == Engine::Postgres { "PostgreSQL" } else { "SQLite" });
        let url = format!("{}/api/v1/till/payments", bench.hq.url());

        // The provider alone: the same pay call, straight to the simulator.
        let mut times = Vec::with_capacity(rounds);
        for i in 0..rounds {
            let request = payments::PayRequest {
                out_trade_no: format!("DIRECT-01-{i:06}-1"),
                auth_code: format!("13{:016}", i),
                amount: 1 + (i as i64 % 50_000),
                subject: "Tillpoint".into(),
                terminal: None,
            };
            let t = Instant::now();
            let outcome = direct.pay(&request).await.expect("paid");
            times.push(t.elapsed());
            assert!(matches!(outcome, payments::PayOutcome::Paid(_)), "{outcome:?}");
        }
        percentiles("pay, straight to the simulator", times);

        // Through HQ, one till at a time: the wait one customer feels.
        let (till, token) = bench.till().await;
        let mut times = Vec::with_capacity(rounds);
        for i in 0..rounds {
            let body = serde_json::json!({
                "receipt_no": format!("{}-{:02}-{:06}", till.branch_code, till.number, i + 1),
                "attempt": 1, "code": code(i), "amount": 1 + (i % 50_000),
            });
            let t = Instant::now();
            let r = bench.client.post(&url).header("x-till-token", &token).json(&body).send().await.expect("sent");
            let answer: serde_json::Value = r.json().await.expect("answer");
            times.push(t.elapsed());
            assert_eq!(answer["state"], "paid", "{answer}");
        }
        percentiles("collect through HQ, one till", times);

        // Through HQ, several tills at once.
        let mut tills = Vec::new();
        for _ in 0..clients {
            tills.push(bench.till().await);
        }
        let started = Instant::now();
        let each = rounds / clients;
        let mut tasks = Vec::new();
        for (till, token) in tills {
            let (client, url) = (bench.client.clone(), url.clone());
            tasks.push(tokio::spawn(async move {
                let mut times = Vec::with_capacity(each);
                for i in 0..each {
                    let body = serde_json::json!({
                        "receipt_no": format!("{}-{:02}-{:06}", till.branch_code, till.number, i + 1),
                        "attempt": 1, "code": code(i), "amount": 100,
                    });
                    let t = Instant::now();
                    let r = client.post(&url).header("x-till-token", &token).json(&body).send().await.expect("sent");
                    let answer: serde_json::Value = r.json().await.expect("answer");
                    times.push(t.elapsed());
                    assert_eq!(answer["state"], "paid", "{answer}");
                }
                times
            }));
        }
        let mut times = Vec::new();
        for t in tasks {
            times.extend(t.await.expect("till"));
        }
        let elapsed = started.elapsed();
        percentiles(&format!("collect through HQ, {clients} tills at once"), times);
        println!("  {:.0} payments/s", (each * clients) as f64 / elapsed.as_secs_f64());
    });
}
