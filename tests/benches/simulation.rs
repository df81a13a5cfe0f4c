//! The long campaign of the deterministic simulation: many seeds with every fault on.
//! `SIM_CAMPAIGN=N` seeds from `SIM_FIRST` (default 1,000 from 1); prints the totals and the
//! rate, and stops at the first violation with its seed (replay it with `SIM_SEEDS=<seed>
//! cargo test -p tests --test simulation`).

use std::time::Instant;

use tests::sim::{self, SimConfig, SimReport};

fn main() {
    let n: u64 = std::env::var("SIM_CAMPAIGN").ok().and_then(|s| s.parse().ok()).unwrap_or(1_000);
    let first: u64 = std::env::var("SIM_FIRST").ok().and_then(|s| s.parse().ok()).unwrap_or(1);
    let started = Instant::now();
    let mut total = SimReport::default();
    for seed in first..first + n {
        match sim::run(SimConfig::new(seed)) {
            Ok(r) => {
                total.sales += r.sales;
                total.refunds += r.refunds;
                total.pushes += r.pushes;
                total.dropped_requests += r.dropped_requests;
                total.dropped_answers += r.dropped_answers;
                total.duplicates += r.duplicates;
                total.hq_crashes += r.hq_crashes;
                total.hq_restarts += r.hq_restarts;
                total.till_crashes += r.till_crashes;
                total.disk_full += r.disk_full;
                total.rejected += r.rejected;
            }
            Err(v) => {
                eprintln!("{v}");
                std::process::exit(1);
            }
        }
        if (seed - first + 1).is_multiple_of(50) {
            eprintln!("{} seeds, {:.0} s", seed - first + 1, started.elapsed().as_secs_f64());
        }
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "simulation campaign: {n} seeds ({first}..{}), 0 violations, {:.1} s ({:.2} seeds/s)",
        first + n - 1,
        secs,
        n as f64 / secs
    );
    println!(
        "  {} sales, {} refunds, {} pushes; faults: {} requests lost, {} answers lost, {} duplicates, \
         {} HQ crashes mid-commit, {} HQ restarts, {} till crashes mid-sale, {} full disks; {} events rejected",
        total.sales,
        total.refunds,
        total.pushes,
        total.dropped_requests,
        total.dropped_answers,
        total.duplicates,
        total.hq_crashes,
        total.hq_restarts,
        total.till_crashes,
        total.disk_full,
        total.rejected
    );
}
