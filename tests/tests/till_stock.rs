//! Stock at the till end to end, against a real HQ on loopback and a real till engine with its
//! sync task: a sale moves stock and the till's search shows the branch's on hand as of its last
//! pull, with the time; a count taken with the till's count mode, with a sale in between, gives
//! the right variance; a batch sent again after its answer was lost is entered once; an unknown
//! barcode, a count of another branch and a posted count are refused with nothing written.

use std::time::Duration;

use pos_app::TillError;
use pos_app::store::Store;
use reqwest::Method;
use serde_json::{Value, json};
use shared::money::Money;
use tests::*;

const LIMIT: Duration = Duration::from_secs(60);

fn product_id(hq: &Hq, cookie: &str, barcode: &str) -> i64 {
    let (status, found) = hq.api(cookie, Method::GET, &format!("/api/v1/products?q={barcode}"), None);
    assert_eq!(status, 200, "{found}");
    found[0]["id"].as_i64().unwrap_or_else(|| panic!("a product with barcode {barcode}: {found}"))
}

fn on_hand(hq: &Hq, cookie: &str, branch: i64, product: i64) -> i64 {
    let (status, r) = hq.api(cookie, Method::GET, &format!("/api/v1/stock/{branch}/{product}"), None);
    if status == 404 {
        return 0;
    }
    assert_eq!(status, 200, "{r}");
    r["level"]["on_hand"].as_i64().expect("on hand")
}

fn post(hq: &Hq, cookie: &str, path: &str, body: Value) -> Value {
    let (status, r) = hq.api(cookie, Method::POST, path, Some(body));
    assert!((200..300).contains(&status), "{path}: {status} {r}");
    r
}

/// One piece of `code` sold at the till, paid in cash, by the cashier (who signs out after).
fn sell(t: &mut TestTill, code: &str) {
    t.open_shift(CASHIER);
    t.till.scan(code).expect("scan");
    t.till.add_cash(Money(100_000)).expect("cash");
    t.till.complete(false).expect("complete");
    t.till.logout();
}

/// A count's sheet line for a product (entries, latest figure), as HQ has it.
fn sheet_line(hq: &Hq, cookie: &str, count: i64, product: i64) -> Option<(i64, i64)> {
    let (status, sheet) = hq.api(cookie, Method::GET, &format!("/api/v1/stock/counts/{count}"), None);
    assert_eq!(status, 200, "{sheet}");
    sheet["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .find(|l| l["product_id"] == product)
        .and_then(|l| Some((l["entries"].as_i64()?, l["counted"].as_i64()?)))
}

#[test]
fn the_till_sees_on_hand_and_counts_with_its_scanner() {
    let hq = Hq::start();
    let admin = hq.sign_in("admin", hq_server::demo::ADMIN_PASSWORD);
    let (b0, b1) = (hq.demo.branches[0].id.0, hq.demo.branches[1].id.0);
    let mut t = TestTill::enrol(&hq, &hq.code(0, 0));
    let code = t.barcode(0);
    let a = product_id(&hq, &admin, &code);
    post(
        &hq,
        &admin,
        "/api/v1/stock/receipts",
        json!({"branch_id": b0, "lines": [{"product_id": a, "qty": 24_000, "unit_cost": 150}]}),
    );

    // A sale moves stock at HQ; the till pulls its branch's on hand and its search shows it, as
    // of HQ's time at the pull.
    t.start_sync();
    sell(&mut t, &code);
    t.wait_pushed(LIMIT);
    let at_hq = on_hand(&hq, &admin, b0, a);
    wait_until("the till to pull on hand after its sale", LIMIT, || {
        t.till
            .search(&code, 5)
            .expect("search")
            .first()
            .and_then(|h| h.on_hand.as_ref())
            .is_some_and(|o| o.qty.0 == at_hq)
    });
    let hit = t.till.search(&code, 5).expect("search").remove(0);
    let shown = hit.on_hand.expect("on hand");
    let as_of = t.status().stock_as_of.expect("the sync status says when");
    assert!(shown.as_of <= as_of && shown.label.len() == 5 && shown.label.as_bytes()[2] == b':', "{shown:?}");

    // A count of the branch is opened at HQ; the till offers it to a manager.
    let count = post(&hq, &admin, "/api/v1/stock/counts", json!({"branch_id": b0, "note": "盘点"}));
    let count = count["id"].as_i64().expect("count");
    t.till.login(MANAGER.0, MANAGER.1).expect("manager");
    wait_until("the till to pull the open count", LIMIT, || {
        t.till.open_counts().map(|c| c.iter().any(|k| k.id == count)).unwrap_or(false)
    });
    t.till.logout();

    // One more sold before the shelf is counted: the snapshot's figure less one is expected.
    sell(&mut t, &code);
    t.wait_pushed(LIMIT);
    let snapshot_then_sold = on_hand(&hq, &admin, b0, a);
    assert_eq!(snapshot_then_sold, at_hq - 1_000);

    // The sync task stops (HQ will not hear of the count until we say), and the manager counts:
    // one piece is missing from the shelf. The scanner's code goes to the count, not a sale.
    t.sync.take().expect("syncing").stop();
    t.till.login(MANAGER.0, MANAGER.1).expect("manager");
    let shelf = snapshot_then_sold - 1_000;
    let item = t.till.count_scan(count, &code).expect("scan in count mode");
    let view = t.till.record_count(&item, &(shelf / 1000).to_string()).expect("counted");
    assert_eq!((view.waiting, view.last[0].total.0), (1, shelf));
    assert!(t.till.cart().is_none(), "nothing went on a sale");
    // An unknown barcode is refused at the till and kept nowhere.
    let unknown = "6900000000014";
    assert!(matches!(t.till.count_scan(count, unknown), Err(TillError::UnknownBarcode(_))));
    assert_eq!(t.till.count_lines_waiting().expect("waiting"), 1);

    // The batch goes to HQ and its answer is lost: the till sends it again under the same id
    // when it syncs, and HQ enters it once.
    let mut store = Store::open(&t.path).expect("second connection");
    let batch = store.next_count_batch(1000).expect("batch").expect("one batch");
    let client = pos_app::sync::client_for(&store, pos_app::sync::Timeouts::default()).expect("client");
    let body = shared::till_stock::TillCountEntries {
        batch_id: batch.batch_id,
        counter: batch.counter.clone(),
        lines: batch.lines.clone(),
    };
    let first = hq.rt.block_on(client.send_count_lines(count, &body)).expect("entered");
    assert!(!first.repeated);
    t.till.logout();
    t.start_sync();
    t.wait_status("the counted line to be sent", LIMIT, |s| s.count_lines_waiting == 0);
    assert_eq!(sheet_line(&hq, &admin, count, a), Some((1, shelf)), "entered once, by the manager");
    let again = hq.rt.block_on(client.send_count_lines(count, &body)).expect("answered");
    assert!(again.repeated);

    // Sold after the shelf was counted: not the counter's business.
    sell(&mut t, &code);
    t.wait_pushed(LIMIT);

    // Another branch's count is not this till's: refused, nothing entered.
    let other = post(&hq, &admin, "/api/v1/stock/counts", json!({"branch_id": b1}));
    let other = other["id"].as_i64().expect("count");
    let fresh = |lines| shared::till_stock::TillCountEntries {
        batch_id: uuid::Uuid::now_v7(),
        counter: "王经理".into(),
        lines,
    };
    let refused = hq.rt.block_on(client.send_count_lines(other, &fresh(body.lines.clone())));
    assert!(matches!(refused, Err(pos_app::sync::SyncError::Refused { status: 404, .. })), "{refused:?}");
    assert_eq!(sheet_line(&hq, &admin, other, a).map(|l| l.0).unwrap_or(0), 0);

    // Posted: one missing, the sales during the count no variance, and on hand is the shelf.
    let report = post(&hq, &admin, &format!("/api/v1/stock/counts/{count}/post"), json!({}));
    let line = report["lines"].as_array().expect("lines").iter().find(|l| l["product_id"] == a).expect("A").clone();
    assert_eq!(
        (line["expected"].as_i64(), line["variance"].as_i64()),
        (Some(snapshot_then_sold), Some(-1_000)),
        "{line}"
    );
    assert_eq!(on_hand(&hq, &admin, b0, a), shelf - 1_000, "the shelf, less the sale after the count");
    // A posted count takes no more, and writes nothing.
    let refused = hq.rt.block_on(client.send_count_lines(count, &fresh(body.lines.clone())));
    assert!(matches!(refused, Err(pos_app::sync::SyncError::Refused { status: 409, .. })), "{refused:?}");
    assert_eq!(sheet_line(&hq, &admin, count, a), Some((1, shelf)));
    // The till drops it from its list at its next pull, and its search shows the new figure.
    wait_until("the till to pull the posted count's adjustment", LIMIT, || {
        t.till
            .search(&code, 5)
            .expect("search")
            .first()
            .and_then(|h| h.on_hand.as_ref())
            .is_some_and(|o| o.qty.0 == shelf - 1_000)
    });
}
