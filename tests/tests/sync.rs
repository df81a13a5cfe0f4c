//! Till ↔ HQ sync end to end: enrolment, push and pull, HQ down for a while, a batch sent twice,
//! revoked tills, another till's id, malformed pushes.

use std::time::Duration;

use hq_server::model::Actor;
use hq_server::reports::{ReportKind, ReportQuery};
use hq_server::store::{BranchStore as _, ReportStore as _, SyncStore as _};
use pos_app::sync::{HqClient, SyncError, Timeouts};
use shared::money::Money;
use shared::sync::{EventOutcome, PROTOCOL_VERSION, PushRequest};
use tests::*;

/// Sells `n` cash sales of two items each; returns what they were due in all.
fn sell(t: &mut TestTill, n: usize) -> Money {
    let (a, b) = (t.barcode(0), t.barcode(1));
    let mut due = Money::ZERO;
    for _ in 0..n {
        t.till.scan(&a).expect("scan");
        t.till.scan(&b).expect("scan");
        t.till.add_cash(Money(100_000)).expect("cash");
        due += t.till.complete(false).expect("complete").sale.totals.due;
    }
    due
}

fn hq_sales(hq: &Hq, branch: usize) -> Vec<hq_server::model::SaleSummary> {
    hq.store().list_sales(Some(hq.demo.branches[branch].id), None, 100_000).expect("HQ sales")
}

#[test]
fn a_till_enrols_sells_and_hq_has_each_sale_once() {
    let hq = Hq::start();
    let mut t = TestTill::enrol(&hq, &hq.code(0, 0));
    assert!(t.till.store().product_count().expect("count") > 100, "the catalog was pulled");
    assert!(t.till.store().staff_by_login(CASHIER.0).expect("staff").is_some(), "PIN hashes were pulled");
    // A used code cannot enrol a second till.
    let again =
        hq.rt.block_on(pos_app::sync::enrol(&hq.url(), &hq.code(0, 0), "x", &t.dir.path().join("b.sqlite"), |_, _| {}));
    assert!(matches!(again, Err(SyncError::Unauthorized(_))), "{again:?}");

    t.open_shift(CASHIER);
    sell(&mut t, 3);
    t.start_sync();
    t.wait_pushed(Duration::from_secs(30));
    wait_until("the status to show online", Duration::from_secs(10), || t.status().online);

    let sales = hq_sales(&hq, 0);
    assert_eq!(sales.len(), 3);
    let till_id = t.till.identity().till;
    let status = hq.store().sync_status(till_id).expect("till status");
    assert_eq!(status.events_accepted, 4, "shift opened + 3 sales");
    assert_eq!(status.next_seq, 5);
    assert!(status.open_gaps.is_empty());
    let s = t.status();
    assert_eq!(s.pending_events, 0);
    assert!(s.clock_skew_seconds.is_some_and(|k| k.abs() < 60));
}

#[test]
fn hq_down_the_tills_keep_selling_and_catch_up_by_themselves() {
    let mut hq = Hq::start();
    let mut a = TestTill::enrol(&hq, &hq.code(0, 0));
    let mut b = TestTill::enrol(&hq, &hq.code(0, 1));
    a.open_shift(CASHIER);
    b.open_shift(CASHIER2);
    a.start_sync();
    b.start_sync();
    hq.stop();
    let due = sell(&mut a, 500) + sell(&mut b, 500);
    // Waits on each sync task's status channel: the first round after the sales finds HQ gone.
    for t in [&a, &b] {
        let s = t.wait_status("the till to notice HQ is down", Duration::from_secs(30), |s| {
            !s.online && s.pending_events > 0
        });
        assert!(s.offline_since.is_some());
    }

    hq.restart();
    a.wait_pushed(Duration::from_secs(120));
    b.wait_pushed(Duration::from_secs(120));
    let sales = hq_sales(&hq, 0);
    assert_eq!(sales.len(), 1000, "every sale is at HQ exactly once");
    let mut receipts: Vec<&str> = sales.iter().map(|s| s.receipt_no.as_str()).collect();
    receipts.sort_unstable();
    receipts.dedup();
    assert_eq!(receipts.len(), 1000);
    // And the reports match what the tills took, fen for fen.
    let day = a.till.business_day().expect("day");
    let report = hq
        .store()
        .report(&ReportQuery { kind: ReportKind::SalesByBranch, from: day, to: day, branch: None })
        .expect("report");
    assert_eq!(report.totals[report.col("sales").expect("sales")].int(), 1000);
    assert_eq!(report.totals[report.col("due").expect("due")].int(), due.0);
    wait_until("the tills to be online again", Duration::from_secs(10), || a.status().online && b.status().online);
    for t in [&a, &b] {
        let status = hq.store().sync_status(t.till.identity().till).expect("status");
        assert_eq!(status.events_accepted, 501);
        assert!(status.open_gaps.is_empty());
    }
}

#[test]
fn a_batch_sent_twice_is_applied_once() {
    let hq = Hq::start();
    let mut t = TestTill::enrol(&hq, &hq.code(0, 0));
    t.open_shift(CASHIER);
    sell(&mut t, 5);
    // The till sends a batch; HQ commits it, but the till dies before it hears the answer.
    let client = pos_app::sync::client_for(t.till.store(), Timeouts::default()).expect("client");
    let batch = PushRequest {
        protocol: PROTOCOL_VERSION,
        till: t.till.identity().till,
        events: t.till.store().pending_events(100).expect("pending").into_iter().map(|e| e.envelope).collect(),
        sent_at: None,
    };
    let first = hq.rt.block_on(client.push(&batch)).expect("first push");
    assert!(first.results.iter().all(|r| r.outcome == EventOutcome::Accepted));
    // Restarted, it sends the same batch again (its outbox still says pending).
    let second = hq.rt.block_on(client.push(&batch)).expect("second push");
    assert!(second.results.iter().all(|r| r.outcome == EventOutcome::Duplicate), "{second:?}");
    t.start_sync();
    t.wait_pushed(Duration::from_secs(30));
    assert_eq!(hq_sales(&hq, 0).len(), 5);
    let status = hq.store().sync_status(t.till.identity().till).expect("status");
    assert_eq!(status.events_accepted, 6);
}

#[test]
fn a_revoked_till_stops_syncing_and_says_why() {
    let hq = Hq::start();
    let mut t = TestTill::enrol(&hq, &hq.code(0, 0));
    t.open_shift(CASHIER);
    let till = hq.store().get_till(t.till.identity().till).expect("till");
    hq.store().revoke_till(&Actor::system(), till.id).expect("revoke");
    sell(&mut t, 1);
    t.start_sync();
    wait_until("the till to learn it was revoked", Duration::from_secs(20), || t.status().revoked.is_some());
    assert!(!t.status().online);
    assert!(hq_sales(&hq, 0).is_empty(), "nothing from a revoked till is applied");
    // The sale is still safe at the till.
    assert_eq!(t.till.store().pending_count().expect("pending"), 2);
}

#[test]
fn another_tills_id_and_malformed_pushes_are_refused_and_change_nothing() {
    let hq = Hq::start();
    let mut a = TestTill::enrol(&hq, &hq.code(0, 0));
    let b = TestTill::enrol(&hq, &hq.code(0, 1));
    a.open_shift(CASHIER);
    sell(&mut a, 1);
    let client = pos_app::sync::client_for(a.till.store(), Timeouts::default()).expect("client");
    let events: Vec<_> = a.till.store().pending_events(100).expect("pending").into_iter().map(|e| e.envelope).collect();

    // Till A's token, claiming to be till B.
    let as_b =
        PushRequest { protocol: PROTOCOL_VERSION, till: b.till.identity().till, events: events.clone(), sent_at: None };
    let refused = hq.rt.block_on(client.push(&as_b));
    assert!(matches!(refused, Err(SyncError::Refused { status: 403, .. })), "{refused:?}");
    // Events stamped with another till's id inside A's own batch are rejected one by one.
    let mut forged = events.clone();
    for e in &mut forged {
        e.till = b.till.identity().till;
    }
    let answer = hq
        .rt
        .block_on(client.push(&PushRequest {
            protocol: PROTOCOL_VERSION,
            till: a.till.identity().till,
            events: forged,
            sent_at: None,
        }))
        .expect("answered");
    assert!(answer.results.iter().all(|r| matches!(r.outcome, EventOutcome::Rejected { .. })), "{answer:?}");
    // A protocol HQ does not speak, and bodies that are not a push at all.
    let wrong_protocol = PushRequest { protocol: 99, till: a.till.identity().till, events, sent_at: None };
    assert!(matches!(hq.rt.block_on(client.push(&wrong_protocol)), Err(SyncError::Refused { status: 400, .. })));
    let token = a.till.store().meta(pos_app::sync::META_TOKEN).expect("meta").expect("token");
    let http = reqwest::Client::new();
    for body in ["{", "{\"protocol\":1}", "[]", "{\"protocol\":1,\"till\":\"x\",\"events\":[]}"] {
        let resp = hq
            .rt
            .block_on(
                http.post(format!("{}/api/v1/sync/push", hq.url()))
                    .header("x-till-token", &token)
                    .header("content-type", "application/json")
                    .body(body)
                    .send(),
            )
            .expect("answered");
        assert!(resp.status().is_client_error(), "{body}: {}", resp.status());
        let err: shared::sync::ErrorBody = hq.rt.block_on(resp.json()).expect("an error body");
        assert!(!err.message.is_empty());
    }
    // No token at all.
    let anonymous = HqClient::new(&hq.url(), None, Timeouts::default()).expect("client");
    assert!(matches!(hq.rt.block_on(anonymous.pull(0, 10)), Err(SyncError::Unauthorized(_))));
    assert!(hq_sales(&hq, 0).is_empty(), "nothing was applied");
}
