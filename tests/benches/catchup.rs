//! Catch-up after an outage: 10 tills that were offline for a simulated 72 hours (60 sales an hour
//! each, 43,200 sales in all) reconnect at once. How long until HQ has everything, and HQ's ingest
//! rate meanwhile. `cargo bench -p tests --bench catchup`.

use std::time::{Duration, Instant};

use hq_server::demo::DemoOptions;
use hq_server::store::SyncStore as _;
use jiff::SignedDuration;
use pos_app::clock::ManualClock;
use pos_app::peripherals::NoDevices;
use pos_app::store::Store;
use pos_app::sync::SyncConfig;
use shared::money::Money;
use tests::*;

const TILLS: usize = 10;
const HOURS: i64 = 72;
const PER_HOUR: i64 = 60;

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("catch-up bench: run with `cargo bench -p tests --bench catchup`");
        return;
    }
    let hq = Hq::start_with(DemoOptions {
        branches: 2,
        tills_per_branch: TILLS / 2,
        products: 300,
        history_days: 0,
        ..DemoOptions::default()
    });
    let start_of_outage = jiff::Timestamp::now() - SignedDuration::from_hours(HOURS);
    let mut paths = Vec::new();
    let mut dirs = Vec::new();
    let generating = Instant::now();
    for i in 0..TILLS {
        let code = hq.code(i / (TILLS / 2), i % (TILLS / 2));
        let t = TestTill::enrol(&hq, &code);
        let (dir, path) = (t.dir, t.path);
        drop(t.till);
        let clock = ManualClock::new(start_of_outage);
        let mut till = open_till_with(&path, Box::new(NoDevices), Box::new(clock.clone()));
        till.login(CASHIER.0, CASHIER.1).expect("login");
        till.open_shift(float()).expect("shift");
        let codes: Vec<String> = (0..5).map(|n| barcode(&path, n)).collect();
        for n in 0..HOURS * PER_HOUR {
            clock.advance(SignedDuration::from_secs(3600 / PER_HOUR));
            for c in codes.iter().take(1 + (n as usize % 5)) {
                till.scan(c).expect("scan");
            }
            till.add_cash(Money(1_000_000)).expect("cash");
            till.complete(false).expect("sale");
        }
        paths.push(path);
        dirs.push(dir);
    }
    let events: u64 = paths.iter().map(|p| Store::open(p).expect("open").pending_count().expect("count")).sum();
    println!(
        "== catch-up: {TILLS} tills × {HOURS} h × {PER_HOUR} sales/h = {} sales ({events} events) made offline in {:.1?}",
        TILLS as i64 * HOURS * PER_HOUR,
        generating.elapsed()
    );

    // Everyone reconnects at once.
    let started = Instant::now();
    let handles: Vec<_> = paths
        .iter()
        .map(|p| {
            let mut c = SyncConfig::new(p);
            c.interval = Duration::from_millis(200);
            pos_app::sync::start(c).expect("sync")
        })
        .collect();
    let stores: Vec<Store> = paths.iter().map(|p| Store::open(p).expect("open")).collect();
    let mut last_report = Instant::now();
    loop {
        let left: u64 = stores.iter().map(|s| s.pending_count().expect("count")).sum();
        if left == 0 {
            break;
        }
        if last_report.elapsed() > Duration::from_secs(2) {
            eprintln!("  {left} events still waiting after {:.1?}", started.elapsed());
            last_report = Instant::now();
        }
        assert!(started.elapsed() < Duration::from_secs(600), "catch-up did not finish");
        std::thread::sleep(Duration::from_millis(10));
    }
    let took = started.elapsed();
    let hq_sales = hq.store().list_sales(None, None, 1_000_000).expect("sales").len();
    assert_eq!(hq_sales as i64, TILLS as i64 * HOURS * PER_HOUR, "HQ has every sale once");
    println!(
        "HQ has all {hq_sales} sales after {took:.2?}: {:.0} events/s, {:.0} sales/s ingested",
        events as f64 / took.as_secs_f64(),
        hq_sales as f64 / took.as_secs_f64()
    );
    drop(handles);
}
