//! The till against an HQ that misbehaves on the way: a proxy (`tests::faulty`) in front of the
//! real HQ answers 5xx, cuts a push answer short, never answers, or lets HQ do the work and loses
//! the answer. Whatever happens, HQ ends with each event once, the till resends exactly what HQ
//! has not answered for, keeps what HQ rejected without sending it again, and a top-up HQ applied
//! but did not confirm in time is never credited twice.

use std::time::Duration;

use hq_server::store::MemberStore as _;
use pos_app::TillError;
use shared::member::{MemberIdentifier, Phone};
use shared::money::Money;
use shared::sale::TenderKind;
use tests::faulty::{Fault, FaultyProxy};
use tests::*;

const LIMIT: Duration = Duration::from_secs(60);
const PUSH: &str = "/api/v1/sync/push";

fn sell(t: &mut TestTill, n: usize) -> Vec<String> {
    let (a, b) = (t.barcode(0), t.barcode(1));
    (0..n)
        .map(|_| {
            t.till.scan(&a).expect("scan");
            t.till.scan(&b).expect("scan");
            t.till.add_cash(Money(100_000)).expect("cash");
            t.till.complete(false).expect("complete").sale.id.to_string()
        })
        .collect()
}

/// The till's outbox: (event id, status), in order.
fn outbox(t: &TestTill) -> Vec<(String, String)> {
    let c = rusqlite::Connection::open(&t.path).expect("till db");
    let mut q = c.prepare("SELECT event_id, status FROM outbox ORDER BY seq").expect("prepare");
    q.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).expect("query").collect::<Result<_, _>>().expect("rows")
}

/// How many times HQ stored each sale (by the sale's id in its payload).
fn hq_copies(hq: &Hq, sale: &str) -> i64 {
    hq.store()
        .raw(|c| Ok(c.query_row("SELECT COUNT(*) FROM sales WHERE id = ?1", [sale], |r| r.get(0))?))
        .expect("count")
}

#[test]
fn five_hundreds_short_answers_and_a_silent_hq_lose_and_double_nothing() {
    let hq = Hq::start();
    let proxy = FaultyProxy::start(&hq.rt, &hq.url());
    let mut t = TestTill::enrol_via(&hq, &proxy.url, &hq.code(0, 0), Duration::from_secs(3));
    t.open_shift(CASHIER);
    let sales = sell(&mut t, 5);

    // HQ's side answers 503: nothing is marked, nothing reaches HQ, the till says why.
    proxy.set(PUSH, Fault::Status(503));
    t.start_sync_with(|c| {
        c.batch_size = 3;
        c.timeouts.bulk = Duration::from_millis(500);
    });
    let s =
        t.wait_status("the 503 to be reported", LIMIT, |s| s.last_error.as_deref().is_some_and(|e| e.contains("503")));
    assert_eq!(s.pending_events, 6, "the shift and 5 sales wait");
    assert!(outbox(&t).iter().all(|(_, st)| st == "pending"));
    assert_eq!(proxy.forwarded(PUSH), 0);

    // HQ answers for only the first 2 of each batch of 3: those are marked, the third is sent
    // again in the next batch (HQ has it already: `duplicate`), until all are answered.
    proxy.set(PUSH, Fault::KeepResults(2));
    t.wait_status("the outbox to drain through short answers", LIMIT, |s| {
        s.pending_events == 0 && s.last_error.is_some()
    });
    let first = outbox(&t);
    assert!(first.iter().all(|(_, st)| st == "accepted"), "{first:?}");
    // Batches [1 2 3] (3 unanswered), [3 4 5] (5 unanswered), [5 6]: events 3 and 5 went twice.
    let times: Vec<u32> = first.iter().map(|(id, _)| proxy.times_pushed(id)).collect();
    assert_eq!(times, vec![1, 1, 2, 1, 2, 1], "exactly the unanswered events were sent again");
    for s in &sales {
        assert_eq!(hq_copies(&hq, s), 1, "sale {s} once at HQ");
    }

    // HQ takes the connection and never answers: the push times out and the sale waits.
    proxy.set(PUSH, Fault::Hang);
    let late = sell(&mut t, 1).remove(0);
    t.wait_status("the silent HQ to time out", LIMIT, |s| {
        s.pending_events == 1 && s.last_error.as_deref().is_some_and(|e| e.contains("time") || e.contains("reach"))
    });
    assert_eq!(hq_copies(&hq, &late), 0);
    // HQ answers again: the sale goes, once.
    proxy.heal();
    t.wait_status("the last sale to be accepted", LIMIT, |s| s.pending_events == 0 && s.last_error.is_none());
    assert_eq!(hq_copies(&hq, &late), 1);
    assert!(hq.store().check_balances().expect("balances").is_empty());
}

#[test]
fn a_rejected_event_is_kept_with_its_reason_and_never_sent_again() {
    let hq = Hq::start();
    let proxy = FaultyProxy::start(&hq.rt, &hq.url());
    let mut t = TestTill::enrol_via(&hq, &proxy.url, &hq.code(0, 0), Duration::from_secs(3));
    t.open_shift(CASHIER);
    let sales = sell(&mut t, 2);
    // The first sale's event no longer adds up (as a till bug would leave it): HQ must refuse it.
    let bad: String = {
        let c = rusqlite::Connection::open(&t.path).expect("till db");
        let (id, payload): (String, String) = c
            .query_row(
                "SELECT event_id, payload FROM outbox WHERE kind = 'sale_completed' ORDER BY seq LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .expect("the first sale's event");
        let mut v: serde_json::Value = serde_json::from_str(&payload).expect("json");
        let sale = v.as_object_mut().expect("object").values_mut().next().expect("the sale");
        let due = sale["totals"]["due"].as_i64().expect("due");
        sale["totals"]["due"] = serde_json::json!(due + 1);
        c.execute("UPDATE outbox SET payload = ?1 WHERE event_id = ?2", [v.to_string(), id.clone()]).expect("edit");
        id
    };
    t.start_sync();
    let s = t.wait_status("HQ to answer for both sales", LIMIT, |s| s.pending_events == 0 && s.rejected_events == 1);
    assert!(s.last_error.is_none(), "{s:?}");
    let c = rusqlite::Connection::open(&t.path).expect("till db");
    let (status, reason): (String, Option<String>) = c
        .query_row("SELECT status, reason FROM outbox WHERE event_id = ?1", [&bad], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("the bad event");
    assert_eq!(status, "rejected");
    assert!(reason.as_deref().is_some_and(|r| !r.is_empty()), "the reason is kept for the manager");
    assert_eq!(hq_copies(&hq, &sales[0]), 0, "the refused sale is not in HQ's sales");
    assert_eq!(hq_copies(&hq, &sales[1]), 1, "the next sale went through");
    // HQ keeps the refused event with its reason too.
    let (status, reason): (String, Option<String>) = hq
        .store()
        .raw(|c| {
            Ok(c.query_row("SELECT status, reason FROM events WHERE id = ?1", [&bad], |r| Ok((r.get(0)?, r.get(1)?)))?)
        })
        .expect("HQ keeps the refused event");
    assert_eq!(status, "rejected");
    assert!(reason.is_some_and(|r| !r.is_empty()));
    // Later rounds never send it again.
    let pushed = s.last_push;
    let later = sell(&mut t, 1).remove(0);
    t.sync.as_ref().expect("sync").push_now();
    t.wait_status("the next sale to go", LIMIT, |s| s.last_push > pushed && s.pending_events == 0);
    assert_eq!(hq_copies(&hq, &later), 1);
    assert_eq!(proxy.times_pushed(&bad), 1, "a rejected event is not resent");
}

#[test]
fn a_top_up_hq_applied_but_did_not_confirm_in_time_is_credited_once() {
    let hq = Hq::start();
    let proxy = FaultyProxy::start(&hq.rt, &hq.url());
    let mut t = TestTill::enrol_via(&hq, &proxy.url, &hq.code(0, 0), Duration::from_millis(300));
    t.open_shift(CASHIER);
    let member = hq.demo.members[0].clone();
    let by = MemberIdentifier::Phone(Phone::parse(&member.phone).expect("phone"));
    let before = hq.store().get_member(member.id).expect("member").stored_value;

    // HQ applies the top-up; its answer never reaches the till, which gives up after 300 ms.
    proxy.set("/api/v1/till/topups", Fault::HangAfterHq);
    let r = t.till.top_up(&by, Money(10_000), TenderKind::Cash);
    assert!(matches!(r, Err(TillError::HqUnavailable(_))), "{r:?}");
    assert_eq!(proxy.forwarded("/api/v1/till/topups"), 1, "HQ got it");
    let applied = hq.store().get_member(member.id).expect("member").stored_value;
    assert_eq!(applied.principal, before.principal + Money(10_000), "HQ applied it");
    assert_eq!(t.till.x_report().expect("X").cash_topups, Money::ZERO, "the till has not taken the cash");

    // The cashier tries again once HQ answers: HQ recognises the same top-up and does not credit
    // it again; the till records the cash once.
    proxy.heal();
    let done = t.till.top_up(&by, Money(10_000), TenderKind::Cash).expect("top-up");
    assert_eq!(done.balance, applied, "the first top-up's balance, not a second credit");
    assert_eq!(hq.store().get_member(member.id).expect("member").stored_value, applied);
    assert_eq!(t.till.x_report().expect("X").cash_topups, Money(10_000));
    // A new top-up after that is a new one.
    let next = t.till.top_up(&by, Money(10_000), TenderKind::Cash).expect("top-up");
    assert_eq!(next.balance.principal, applied.principal + Money(10_000));
    assert_eq!(t.till.x_report().expect("X").cash_topups, Money(20_000));
}

#[test]
fn a_pull_page_that_cannot_be_applied_moves_nothing_and_is_applied_later_once() {
    use hq_server::store::CatalogStore as _;
    let hq = Hq::start();
    let mut t = TestTill::enrol(&hq, &hq.code(0, 0));
    t.start_sync();
    t.wait_status("the first round", LIMIT, |s| s.last_pull.is_some() && s.last_error.is_none());
    let cursor = |c: &rusqlite::Connection| -> u64 {
        let v: String =
            c.query_row("SELECT value FROM meta WHERE key = 'pull_cursor'", [], |r| r.get(0)).expect("cursor");
        v.parse().expect("a number")
    };
    // Another writer holds the till's database (as a stuck process or a full disk would make the
    // write fail): the next page cannot be applied.
    let other = rusqlite::Connection::open(&t.path).expect("till db");
    other.execute_batch("BEGIN IMMEDIATE").expect("lock");
    let before = cursor(&other);
    let category = hq.store().list_categories().expect("categories")[0].code.clone();
    let code = shared::catalog::with_check_digit("690888000001").expect("EAN");
    let csv = format!(
        "code,barcodes,name,unit,category,retail_price,member_price,vat,points_eligible\n\
         E2E-NEW,{code},新到商品,个,{category},9.90,,13,yes\n"
    );
    hq_server::import::import_products(
        &*hq.store(),
        &hq_server::model::Actor::system(),
        csv.as_bytes(),
        &hq_server::import::ProgressBar::hidden(),
    )
    .expect("import")
    .expect("no bad rows");
    t.sync.as_ref().expect("sync").push_now();
    let s = t.wait_status("the page to fail", LIMIT, |s| s.last_error.as_deref().is_some_and(|e| e.contains("locked")));
    assert_eq!(cursor(&other), before, "the cursor did not move past the page");
    let product: Option<i64> = rusqlite::OptionalExtension::optional(other.query_row(
        "SELECT product_id FROM barcodes WHERE code = ?1",
        [&code],
        |r| r.get(0),
    ))
    .expect("query");
    assert!(product.is_none(), "nothing of the page was applied");
    // The writer lets go: the next round applies the page, once, and moves the cursor on.
    other.execute_batch("COMMIT").expect("unlock");
    let failed_at = s.last_pull;
    t.sync.as_ref().expect("sync").push_now();
    t.wait_status("the page to be applied", LIMIT, |s| s.last_error.is_none() && s.last_pull > failed_at);
    let c = rusqlite::Connection::open(&t.path).expect("till db");
    let n: i64 = c.query_row("SELECT COUNT(*) FROM barcodes WHERE code = ?1", [&code], |r| r.get(0)).expect("count");
    assert_eq!(n, 1);
    assert!(cursor(&c) > before);
}
