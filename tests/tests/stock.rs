//! Stock end to end, against a real HQ on loopback with two real tills of one branch: goods
//! received at HQ, sold at both tills (one offline, its sales reaching HQ only while the branch
//! is being counted), five sent to the other branch (one arrives damaged), the branch counted
//! (one item found stolen). On hand and stock at cost tie out unit for unit and fen for fen with
//! what arrived, what the tills sold and what the count found.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};
use shared::money::{Money, Qty};
use tests::*;

const LIMIT: Duration = Duration::from_secs(60);

/// A product's id at HQ by one of its barcodes.
fn product_id(hq: &Hq, cookie: &str, barcode: &str) -> i64 {
    let (status, found) = hq.api(cookie, Method::GET, &format!("/api/v1/products?q={barcode}"), None);
    assert_eq!(status, 200, "{found}");
    found[0]["id"].as_i64().unwrap_or_else(|| panic!("a product with barcode {barcode}: {found}"))
}

/// A branch and product's (on hand, average cost, value), checked against the sum of its
/// movements; a product that never moved there is (0, 0, 0).
fn level(hq: &Hq, cookie: &str, branch: i64, product: i64) -> (i64, i64, i64) {
    let (status, r) = hq.api(cookie, Method::GET, &format!("/api/v1/stock/{branch}/{product}?limit=1000"), None);
    if status == 404 {
        return (0, 0, 0);
    }
    assert_eq!(status, 200, "{r}");
    let moved: i64 =
        r["movements"].as_array().expect("movements").iter().map(|m| m["qty"].as_i64().expect("qty")).sum();
    let l = &r["level"];
    let on_hand = l["on_hand"].as_i64().expect("on hand");
    assert_eq!(on_hand, moved, "the level is the sum of its movements: {r}");
    (on_hand, l["avg_cost"].as_i64().expect("cost"), l["value"].as_i64().expect("value"))
}

/// How much of `product` a completed sale sold, thousandths.
fn sold(sale: &shared::sale::CompletedSale, product: i64) -> i64 {
    sale.lines.iter().filter(|l| l.item.product_id.0 == product).map(|l| l.priced.qty.0).sum()
}

fn post(hq: &Hq, cookie: &str, path: &str, body: Value) -> Value {
    let (status, r) = hq.api(cookie, Method::POST, path, Some(body));
    assert!((200..300).contains(&status), "{path}: {status} {r}");
    r
}

#[test]
fn received_sold_offline_transferred_and_counted_stock_ties_out() {
    let hq = Hq::start();
    let admin = hq.sign_in("admin", hq_server::demo::ADMIN_PASSWORD);
    let (b0, b1) = (hq.demo.branches[0].id.0, hq.demo.branches[1].id.0);
    let mut online = TestTill::enrol(&hq, &hq.code(0, 0));
    let mut offline = TestTill::enrol(&hq, &hq.code(0, 1));
    let (code_a, code_b) = (online.barcode(0), online.barcode(1));
    let (a, b) = (product_id(&hq, &admin, &code_a), product_id(&hq, &admin, &code_b));
    let before = [level(&hq, &admin, b0, a), level(&hq, &admin, b0, b), level(&hq, &admin, b1, a)];

    // 24 of A at ¥1.50 and 12 of B at ¥3.00 arrive at the branch.
    let lines =
        json!([{"product_id": a, "qty": 24_000, "unit_cost": 150}, {"product_id": b, "qty": 12_000, "unit_cost": 300}]);
    post(&hq, &admin, "/api/v1/stock/receipts", json!({"branch_id": b0, "lines": lines}));

    // The online till sells A, A, B; the offline one A three times, and keeps its sale.
    online.open_shift(CASHIER);
    for code in [&code_a, &code_a, &code_b] {
        online.till.scan(code).expect("scan");
    }
    online.till.add_cash(Money(100_000)).expect("cash");
    let first = online.till.complete(false).expect("complete").sale;
    offline.open_shift(CASHIER);
    for _ in 0..3 {
        offline.till.scan(&code_a).expect("scan");
    }
    offline.till.add_cash(Money(100_000)).expect("cash");
    let second = offline.till.complete(false).expect("complete").sale;
    online.start_sync();
    online.wait_pushed(LIMIT);
    assert_eq!((sold(&first, a), sold(&first, b), sold(&second, a)), (2_000, 1_000, 3_000));

    // Five of A go to the other branch; one arrives damaged.
    let sent = post(
        &hq,
        &admin,
        "/api/v1/transfers",
        json!({"from_branch": b0, "to_branch": b1, "lines": [{"product_id": a, "qty": 5_000}]}),
    );
    let id = sent["id"].as_i64().expect("transfer id");
    let line = sent["lines"][0]["line_no"].as_i64().expect("line");
    post(
        &hq,
        &admin,
        &format!("/api/v1/transfers/{id}/receive"),
        json!({"lines": [{"line_no": line, "received": 4_000, "damaged": 1_000}]}),
    );

    // The branch is counted. HQ does not know of the offline till's sale yet, but the shelf
    // does: the counter finds A as it is (HQ's figure less those three), and one B short.
    let count = post(&hq, &admin, "/api/v1/stock/counts", json!({"branch_id": b0}));
    let count = count["id"].as_i64().expect("count id");
    let shelf_a = before[0].0 + 24_000 - 2_000 - 3_000 - 5_000;
    let shelf_b = before[1].0 + 12_000 - 1_000 - 1_000;
    post(
        &hq,
        &admin,
        &format!("/api/v1/stock/counts/{count}/entries"),
        json!({"counter": "李四", "lines": [{"product_id": a, "qty": shelf_a}, {"product_id": b, "qty": shelf_b}]}),
    );
    // The offline till comes back during the count: its sale (made before the count began)
    // reaches HQ after the snapshot, and is no variance.
    offline.start_sync();
    offline.wait_pushed(LIMIT);
    let report = post(&hq, &admin, &format!("/api/v1/stock/counts/{count}/post"), json!({}));
    let variance = |p: i64| {
        report["lines"].as_array().expect("lines").iter().find(|l| l["product_id"] == p).expect("counted")["variance"]
            .as_i64()
            .expect("variance")
    };
    assert_eq!((variance(a), variance(b)), (0, -1_000), "{report}");
    assert_eq!(report["lost_value"], -300, "one B at ¥3.00");

    // Unit for unit: what arrived, less what the tills sold, what left, what the count found.
    let after = [level(&hq, &admin, b0, a), level(&hq, &admin, b0, b), level(&hq, &admin, b1, a)];
    assert_eq!(after[0].0, shelf_a, "A at the branch: the shelf");
    assert_eq!(after[1].0, shelf_b, "B at the branch: the shelf, one short of what HQ knew");
    assert_eq!(after[2].0, before[2].0 + 4_000, "A at the other branch: what arrived in good order");
    // Fen for fen: each level at its average cost, and the branch's stock value their sum.
    if before.iter().all(|l| l.0 == 0) {
        assert_eq!((after[0].1, after[1].1, after[2].1), (150, 300, 150), "costs as received and sent");
        assert_eq!((after[0].2, after[1].2, after[2].2), (14 * 150, 10 * 300, 4 * 150));
    }
    for l in after {
        assert_eq!(l.2, shared::stock::value_at(Qty(l.0.max(0)), Money(l.1)).0);
    }
    for branch in [b0, b1] {
        let (status, levels) =
            hq.api(&admin, Method::GET, &format!("/api/v1/stock?branch_id={branch}&limit=1000"), None);
        assert_eq!(status, 200);
        let levels = levels.as_array().expect("levels");
        assert!(levels.len() < 1000, "one page holds the branch");
        let sum: i64 = levels
            .iter()
            .filter(|l| l["on_hand"].as_i64() > Some(0))
            .map(|l| l["value"].as_i64().expect("value"))
            .sum();
        let (status, value) = hq.api(&admin, Method::GET, &format!("/api/v1/stock/value?branch_id={branch}"), None);
        assert_eq!(status, 200);
        assert_eq!(value[0]["value"].as_i64(), Some(sum), "branch {branch}: {value}");
    }
}
