//! `hq-server migrate`: the demo chain, with history, members and its audit chain, moved from its
//! SQLite file into an empty database (a PostgreSQL schema when `TILLPOINT_TEST_PG` is set, else
//! another SQLite file), and found the same there.

use std::process::Command;

use hq_server::demo::{DemoOptions, seed};
use hq_server::reports::{ReportKind, ReportQuery};
use hq_server::store::{AuditStore, BranchStore, Clocked, MemberStore, ReportStore, SyncStore};
use hq_server::testing::TestDb;
use hq_server::{Clock, Location, SqlStore};

fn migrate(from: &Location, to: &Location, key: &std::path::Path) -> (bool, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_hq-server"))
        .args(["migrate", "--from", &url(from), "--to", &url(to), "--audit-key"])
        .arg(key)
        .output()
        .expect("run hq-server");
    (o.status.success(), format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr)))
}

fn url(l: &Location) -> String {
    match l {
        Location::Sqlite(p) => format!("sqlite:{}", p.display()),
        Location::Postgres(u) => u.clone(),
    }
}

#[test]
fn the_demo_chain_moves_whole_and_the_target_carries_on() {
    let dir = tempfile::tempdir().expect("dir");
    let source_path = dir.path().join("source.sqlite");
    let key = hq_server::audit::AuditKey::default_path(&source_path);
    let source = SqlStore::open(&source_path).expect("source");
    seed(&source, &DemoOptions { history_days: 3, coupons: true, ..DemoOptions::small() }).expect("demo chain");
    let target_dir = tempfile::tempdir().expect("dir");
    let target_db = TestDb::new(target_dir.path());

    let (ok, out) = migrate(&Location::Sqlite(source_path.clone()), &target_db.location, &key);
    assert!(ok, "{out}");
    assert!(out.contains("counts match") && out.contains("audit chain verifies"), "{out}");

    let target = SqlStore::open_location(&target_db.location, Clock::system(), Some(&key)).expect("target");
    assert_eq!(target.list_branches().expect("branches"), source.list_branches().expect("branches"));
    assert_eq!(target.count_members().expect("members"), source.count_members().expect("members"));
    assert!(target.count_members().expect("members") > 0);
    assert!(target.check_balances().expect("balances").is_empty());
    assert_eq!(target.audit_head().expect("head"), source.audit_head().expect("head"));
    assert!(target.verify_audit().expect("verify").intact());
    let today = source.now().in_tz("Asia/Shanghai").expect("tz").date();
    for kind in [
        ReportKind::SalesByBranch,
        ReportKind::Tenders,
        ReportKind::Points,
        ReportKind::StoredValue,
        ReportKind::Coupons,
    ] {
        let q = ReportQuery { kind, from: today.saturating_sub(jiff::Span::new().days(7)), to: today, branch: None };
        let (a, b) = (source.report(&q).expect("report"), target.report(&q).expect("report"));
        assert_eq!(
            serde_json::to_value(&a.rows).expect("json"),
            serde_json::to_value(&b.rows).expect("json"),
            "{kind:?}"
        );
    }
    let sales = source.list_sales(None, None, 1000).expect("sales");
    assert!(!sales.is_empty());
    assert_eq!(target.list_sales(None, None, 1000).expect("sales").len(), sales.len());

    // The target carries on: new ids follow the moved ones, and its chain grows from the moved head.
    let branch = hq_server::admin::add_branch(
        &target,
        &hq_server::model::Actor::cli(),
        hq_server::admin::default_branch("B900", "新店"),
    )
    .expect("branch");
    assert!(source.list_branches().expect("branches").iter().all(|b| b.id < branch.id));
    {
        use hq_server::store::CouponStore;
        let moved = source.list_campaigns().expect("campaigns");
        assert!(!moved.is_empty() && moved.iter().all(|c| c.counts.issued > 0), "the demo issued coupons");
        let kind = moved[0].campaign.kind.clone();
        let new = hq_server::model::NewCampaign {
            name: "新券".into(),
            kind,
            offline_cap: None,
            validity: hq_server::model::CouponValidity::Days { days: 7 },
        };
        let c = target.create_campaign(&hq_server::model::Actor::cli(), new).expect("campaign");
        assert!(moved.iter().all(|m| m.campaign.id < c.campaign.id));
    }
    assert!(target.verify_audit().expect("verify").intact());

    // A database that is not empty is refused, and left as it was.
    let before = target.list_branches().expect("branches").len();
    let (ok, out) = migrate(&Location::Sqlite(source_path), &target_db.location, &key);
    assert!(!ok && out.contains("not empty"), "{out}");
    assert_eq!(target.list_branches().expect("branches").len(), before);
}
