//! The deterministic simulation of tills and HQ (`tests::sim`): a few seeds with every fault on,
//! checked for exactly-once sales, outcomes agreed at both ends, no open sequence gap, points
//! neither created nor lost, and converged member copies. The long campaign is a bench
//! (`cargo bench -p tests --bench simulation`). `SIM_SEEDS=a,b,c` runs chosen seeds (a failure
//! prints its seed; the same seed replays the same run).

use tests::sim::{self, Faults, SimConfig};

fn seeds() -> Vec<u64> {
    match std::env::var("SIM_SEEDS") {
        Ok(s) => s.split(',').filter_map(|x| x.trim().parse().ok()).collect(),
        Err(_) => vec![1, 2, 3],
    }
}

#[test]
fn tills_and_hq_under_faults_agree_exactly() {
    for seed in seeds() {
        let report = sim::run(SimConfig::new(seed)).unwrap_or_else(|v| panic!("{v}"));
        // The run did what it is about: sales, member sales, refunds and every kind of fault.
        assert!(report.sales >= 20 && report.member_sales > 0 && report.refunds > 0, "seed {seed}: {report:?}");
        assert!(
            report.dropped_requests > 0 && report.dropped_answers > 0 && report.duplicates > 0,
            "seed {seed}: the network faults did not happen: {report:?}"
        );
        assert!(
            report.hq_crashes + report.till_crashes + report.disk_full > 0,
            "seed {seed}: no process fault happened: {report:?}"
        );
    }
}

#[test]
fn a_seed_replays_the_same_run() {
    let a = sim::run(SimConfig { steps: 150, ..SimConfig::new(7) }).unwrap_or_else(|v| panic!("{v}"));
    let b = sim::run(SimConfig { steps: 150, ..SimConfig::new(7) }).unwrap_or_else(|v| panic!("{v}"));
    assert_eq!(a.trace, b.trace);
    assert_eq!(a, b);
    let c = sim::run(SimConfig { steps: 150, ..SimConfig::new(8) }).unwrap_or_else(|v| panic!("{v}"));
    assert_ne!(a.trace, c.trace, "another seed, another run");
}

/// Without faults everything is accepted: the checker is not satisfied by rejections.
#[test]
fn without_faults_every_event_is_accepted() {
    let report = sim::run(SimConfig { steps: 200, faults: Faults::none(), ..SimConfig::new(11) })
        .unwrap_or_else(|v| panic!("{v}"));
    assert_eq!(report.rejected, 0, "{report:?}");
    assert!(report.sales > 10);
}

/// The checker fails when HQ is wrong: a sale stored for less than the till took, points credited from nothing, an event's
/// outcome changed behind the till's back.
#[test]
fn the_checker_sees_a_broken_hq() {
    let config = SimConfig { steps: 120, faults: Faults::none(), ..SimConfig::new(5) };
    let cases: [(&str, &str); 3] = [
        ("UPDATE sales SET due = due - 1 WHERE id = (SELECT MIN(id) FROM sales)", "HQ holds"),
        ("UPDATE members SET points = points + 1 WHERE id = (SELECT MIN(member_id) FROM sales)", "points"),
        ("UPDATE events SET status = 'rejected', reason = 'x' WHERE id = (SELECT MIN(id) FROM events)", "at HQ"),
    ];
    for (sql, expect) in cases {
        let broken = sim::run_then(config, |hq| {
            hq.raw(|c| Ok(c.execute_batch(sql)?)).expect("tamper");
        });
        let v = broken.expect_err(sql);
        assert!(v.what.contains(expect), "{sql}: {v}");
    }
}
