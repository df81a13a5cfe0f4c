//! A real HQ on port 0, driven over loopback like a till would.

use hq_server::Application;
use hq_server::demo::{DemoOptions, seed};
use shared::sync::{EnrolRequest, EnrolResponse, PROTOCOL_VERSION, PullResponse, PushRequest, PushResponse};

#[tokio::test]
async fn a_till_enrols_pushes_and_pulls_over_loopback() {
    let dir = tempfile::tempdir().expect("dir");
    let db = hq_server::testing::TestDb::new(dir.path());
    let app = Application::build(db.config()).await.expect("build");
    assert_ne!(app.port(), 0);
    let store = app.store();
    let demo =
        tokio::task::spawn_blocking(move || seed(&*store, &DemoOptions::small())).await.expect("join").expect("seed");
    let hq = app.spawn();
    let client = reqwest::Client::new();
    let health = client.get(format!("{}/health", hq.url())).send().await.expect("health");
    assert!(health.status().is_success());

    let code = demo.branches[0].tills[0].enrolment_code.clone();
    let enrol: EnrolResponse = client
        .post(format!("{}/api/v1/sync/enrol", hq.url()))
        .json(&EnrolRequest { protocol: PROTOCOL_VERSION, code, device_name: "pos-1".into() })
        .send()
        .await
        .expect("enrol")
        .json()
        .await
        .expect("enrol body");
    let till = hq_server::fixtures::TillRef {
        till: enrol.till,
        number: enrol.till_number,
        branch: enrol.branch,
        branch_code: enrol.branch_code.clone(),
    };
    let events: Vec<_> = (1..=20).map(|s| crate::helpers::sale_event(&till, s)).collect();
    let push =
        PushRequest { protocol: PROTOCOL_VERSION, till: till.till, events, sent_at: Some(jiff::Timestamp::now()) };
    let resp: PushResponse = client
        .post(format!("{}/api/v1/sync/push", hq.url()))
        .header("authorization", format!("Bearer {}", enrol.token))
        .json(&push)
        .send()
        .await
        .expect("push")
        .json()
        .await
        .expect("push body");
    assert_eq!(resp.results.len(), 20);
    assert!(resp.results.iter().all(|r| r.outcome == shared::sync::EventOutcome::Accepted));
    assert!(resp.clock_warning.is_none());

    let mut cursor = 0;
    let mut products = 0;
    loop {
        let page: PullResponse = client
            .get(format!("{}/api/v1/sync/pull?cursor={cursor}&limit=64", hq.url()))
            .header("x-till-token", &enrol.token)
            .send()
            .await
            .expect("pull")
            .json()
            .await
            .expect("a PullResponse");
        products += page.changes.iter().filter(|c| matches!(c.change, shared::sync::Change::Product(_))).count();
        cursor = page.next_cursor;
        if !page.has_more {
            assert_eq!(cursor, page.latest);
            break;
        }
    }
    assert_eq!(products, 200);
    hq.stop().await.expect("stopped");
}

/// The demo chain's past weeks pass HQ's own checks of what tills send: every sale accepted, the
/// members' ones with their points (they were rejected once, sold before the first policy's date).
#[tokio::test]
async fn the_demo_chains_history_is_accepted_whole() {
    use hq_server::reports::{ReportKind, ReportQuery};
    use hq_server::store::{BranchStore as _, Clocked as _, ReportStore as _, SyncStore as _};
    let dir = tempfile::tempdir().expect("dir");
    let db = hq_server::testing::TestDb::new(dir.path());
    let app = Application::build(db.config()).await.expect("build");
    let store = app.store();
    let options = DemoOptions { history_days: 3, ..DemoOptions::small() };
    let demo = tokio::task::spawn_blocking(move || {
        let demo = seed(&*store, &options).expect("seed");
        let mut rejected = Vec::new();
        for b in &demo.branches {
            for t in store.list_tills(b.id).expect("tills") {
                rejected.extend(store.list_events(t.id, true, 10).expect("events").into_iter().map(|e| e.reason));
            }
        }
        assert!(rejected.is_empty(), "{rejected:?}");
        let to = hq_server::calendar::hq_day(store.now());
        let from = to - jiff::SignedDuration::from_hours(24 * 4);
        let members = store.report(&ReportQuery { kind: ReportKind::Members, from, to, branch: None }).expect("report");
        let member_due = members.totals[members.col("member_due").expect("column")].int();
        assert!(member_due > 0, "members bought in the demo's past: {members:?}");
        demo
    })
    .await
    .expect("join");
    assert!(demo.history_sales > 0);
}
