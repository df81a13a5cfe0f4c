//! Online member services as a till sees them: the till's own `HqAuthority` (reqwest with its
//! short timeouts, the till token) against a real HQ on loopback. A member lookup by card code,
//! and a points hold followed by its release, one after another as a cashier's till makes them.
//!
//! `cargo bench -p tests --bench member_roundtrip` (ROUNDS=2000).

use std::time::Instant;

use hdrhistogram::Histogram;
use pos_app::authority::MemberAuthority;
use pos_app::store::Store;
use pos_app::sync::HqAuthority;
use shared::catalog::MemberCode;
use shared::ids::{HoldId, SaleId};
use shared::member::MemberIdentifier;
use shared::money::Money;
use shared::sync::{HoldAmount, HoldRequest};
use tests::*;

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("member round-trip bench: run with `cargo bench -p tests --bench member_roundtrip`");
        return;
    }
    let rounds: u64 = std::env::var("ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(2000);
    let hq = Hq::start();
    let t = TestTill::enrol(&hq, &hq.code(0, 0));
    let store = Store::open(&t.path).expect("store");
    let authority = HqAuthority::for_store(&store).expect("authority");
    let gold = &hq.demo.members[0];
    let by = MemberIdentifier::Code(MemberCode::parse(&gold.code).expect("code"));

    // Warm the connection as a till that has been running does.
    for _ in 0..50 {
        authority.lookup(&by).expect("lookup");
    }
    let mut lookup = Histogram::<u64>::new(3).expect("histogram");
    let mut hold = Histogram::<u64>::new(3).expect("histogram");
    let mut release = Histogram::<u64>::new(3).expect("histogram");
    let started = Instant::now();
    for _ in 0..rounds {
        let t0 = Instant::now();
        let found = authority.lookup(&by).expect("lookup");
        lookup.record(t0.elapsed().as_micros() as u64).expect("record");
        let member = found.member.id;

        let request = HoldRequest {
            hold: HoldId::new(),
            member,
            sale: SaleId::new(),
            amount: HoldAmount::Points { points: 100, value: Money(100) },
        };
        let t1 = Instant::now();
        let held = authority.hold(&request).expect("hold");
        hold.record(t1.elapsed().as_micros() as u64).expect("record");
        let t2 = Instant::now();
        authority.release(held.hold).expect("release");
        release.record(t2.elapsed().as_micros() as u64).expect("record");
    }
    let took = started.elapsed();
    let ms = |h: &Histogram<u64>, q: f64| h.value_at_quantile(q) as f64 / 1000.0;
    println!("{rounds} rounds (lookup, hold, release) from one till in {took:.2?}");
    for (name, h) in [("lookup", &lookup), ("hold", &hold), ("release", &release)] {
        println!(
            "{name:>8}: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            ms(h, 0.5),
            ms(h, 0.99),
            h.max() as f64 / 1000.0
        );
    }
}
