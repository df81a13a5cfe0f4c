//! Nothing acknowledged is lost in a power cut: a sale the till said was complete, and an event HQ
//! answered `accepted` for (the till then marks it sent and never sends it again).
//!
//! SIGKILL (pos-app/tests/crash.rs) leaves the page cache to the kernel, which writes it out later,
//! so it passes even with `synchronous=OFF`. Here every SQLite file goes through the power-cut VFS
//! (`tests::powercut`): at the moment of the cut, each database is copied as a disk would hold it,
//! the synced content alone and then with a seeded random part of the unsynced writes, and opened
//! again. Without an fsync on commit, the last commits are not in the first copy.
//!
//! `POWERCUT_SEED=n` replays a run (the seed is printed).

use std::path::Path;
use std::time::Duration;

use pos_app::engine::ScanOutcome;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use shared::money::Money;
use tests::{CASHIER, Hq, TestTill, powercut};

fn open_read_only(path: &Path) -> rusqlite::Connection {
    let c = rusqlite::Connection::open(path).expect("open the copy");
    let check: String = c.query_row("PRAGMA integrity_check", [], |r| r.get(0)).expect("integrity_check");
    assert_eq!(check, "ok", "{} after the cut", path.display());
    c
}

#[test]
fn acknowledged_sales_survive_a_power_cut_at_the_till_and_at_hq() {
    // The power cut is simulated under SQLite's files (the till's and HQ's): HQ on PostgreSQL
    // relies on PostgreSQL's own synchronous commit, and the PostgreSQL pass skips this.
    if hq_server::testing::engine() == hq_server::store::sql::conn::Engine::Postgres {
        eprintln!("SQLite's files only: runs in the SQLite pass");
        return;
    }
    powercut::install();
    let seed = std::env::var("POWERCUT_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(24);
    println!("POWERCUT_SEED={seed}");
    let mut rng = StdRng::seed_from_u64(seed);
    let hq = Hq::start();
    let mut t = TestTill::enrol(&hq, &hq.code(0, 0));
    t.open_shift(CASHIER);
    let codes: Vec<String> = (0..20).map(|n| t.barcode(n)).collect();

    // A few sales of a few products each; each one is complete when `complete` returns.
    let mut sales = Vec::new();
    for _ in 0..rng.random_range(2..=6) {
        for _ in 0..rng.random_range(1..=3) {
            let code = &codes[rng.random_range(0..codes.len())];
            assert!(matches!(t.till.scan(code).expect("scan"), ScanOutcome::Added { .. }), "{code}");
        }
        let due = t.till.view().expect("view").expect("sale").cash_due;
        t.till.add_cash(due + Money(rng.random_range(0..5_000))).expect("cash");
        sales.push(t.till.complete(false).expect("complete").sale);
    }

    // The power goes at the till the moment the last sale returned.
    let cuts = tempfile::tempdir().expect("temp dir");
    for dir in powercut::cut(t.dir.path(), &cuts.path().join("till"), 3, seed) {
        let c = open_read_only(&dir.join("till.sqlite"));
        for s in &sales {
            let found: i64 = c
                .query_row(
                    "SELECT (SELECT COUNT(*) FROM sales WHERE id = ?1 AND receipt_no = ?2)
                          + (SELECT COUNT(*) FROM outbox WHERE kind = 'sale_completed' AND payload LIKE '%' || ?1 || '%')",
                    [s.id.to_string(), s.receipt_no.to_string()],
                    |r| r.get(0),
                )
                .expect("query");
            assert_eq!(found, 2, "sale {} and its event in {} (seed {seed})", s.receipt_no, dir.display());
        }
    }

    // The till pushes; once its outbox is drained HQ has answered for every event. The power goes
    // at HQ then.
    t.start_sync();
    t.wait_pushed(Duration::from_secs(60));
    let sent: Vec<String> = {
        let c = rusqlite::Connection::open(&t.path).expect("till db");
        let mut q = c.prepare("SELECT event_id FROM outbox WHERE status = 'accepted' ORDER BY seq").expect("prepare");
        q.query_map([], |r| r.get(0)).expect("query").collect::<Result<_, _>>().expect("rows")
    };
    assert!(sent.len() > sales.len(), "the shift and every sale were accepted: {}", sent.len());
    let hq_dir = hq.db_path().parent().expect("HQ's directory").to_owned();
    for dir in powercut::cut(&hq_dir, &cuts.path().join("hq"), 3, seed) {
        let c = open_read_only(&dir.join("hq.sqlite"));
        for id in &sent {
            let status: Option<String> =
                c.query_row("SELECT status FROM events WHERE id = ?1", [id], |r| r.get(0)).map(Some).unwrap_or(None);
            assert_eq!(
                status.as_deref(),
                Some("accepted"),
                "event {id} HQ acknowledged, in {} (seed {seed})",
                dir.display()
            );
        }
    }
    println!("{} syncs reached the disk", powercut::syncs());
}
