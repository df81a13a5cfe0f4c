//! Stock counts (盘点): a snapshot at the start, counters' entries (blind, several counters, a
//! recount), goods sold during the count that are no variance, posting once with a variance
//! report in money, bad lines refused with nothing written, a category's count, one open count
//! per branch and scope. On both stores.

use axum::http::StatusCode;
use serde_json::{Value, json};
use shared::sync::Event;

use crate::helpers::{TestApp, spawn_app};
use crate::members::push_one;

/// The fixture sale's product 1 (COLA, a drink) and 2 (TEA, a drink); ids 1 and 2.
async fn drinks(app: &TestApp) -> (i64, i64) {
    let cola = app.product("COLA", "6901234567892").await;
    let tea = app.product("TEA", "6920152400012").await;
    assert_eq!((cola, tea), (1, 2), "the fixture sale's products");
    (cola, tea)
}

/// A product of a category of its own (snacks); returns (category, product).
async fn snack(app: &TestApp) -> (i64, i64) {
    let cat = app
        .post("/api/v1/categories", &app.admin, json!({"code": "SNACK", "name": "零食"}))
        .await
        .expect(StatusCode::CREATED)
        .body["id"]
        .as_i64()
        .expect("category");
    let p = app
        .post(
            "/api/v1/products",
            &app.admin,
            json!({"code": "CHIPS", "barcodes": ["6924743919211"], "name": "薯片", "category_id": cat,
                   "unit": "袋", "retail_price": 650, "vat_bp": 1300}),
        )
        .await
        .expect(StatusCode::CREATED)
        .body["id"]
        .as_i64()
        .expect("product");
    (cat, p)
}

async fn receive(app: &TestApp, branch: i64, product: i64, qty: i64, cost: i64) {
    app.post(
        "/api/v1/stock/receipts",
        &app.admin,
        json!({"branch_id": branch, "lines": [{"product_id": product, "qty": qty, "unit_cost": cost}]}),
    )
    .await
    .expect(StatusCode::CREATED);
}

async fn on_hand(app: &TestApp, branch: i64, product: i64) -> i64 {
    let r = app.get(&format!("/api/v1/stock/{branch}/{product}"), &app.admin).await.expect(StatusCode::OK);
    r.body["level"]["on_hand"].as_i64().expect("on hand")
}

async fn start(app: &TestApp, body: Value) -> i64 {
    let r = app.post("/api/v1/stock/counts", &app.admin, body).await.expect(StatusCode::CREATED);
    assert_eq!(r.body["status"], "open");
    r.body["id"].as_i64().expect("id")
}

fn line(sheet: &Value, product: i64) -> &Value {
    sheet["lines"].as_array().expect("lines").iter().find(|l| l["product_id"] == product).expect("the product's line")
}

async fn refused(app: &TestApp, uri: &str, body: Value, status: StatusCode, words: &str) {
    let r = app.post(uri, &app.admin, body.clone()).await;
    assert_eq!(r.status, status, "{body}: {}", r.body);
    assert!(r.body["message"].as_str().expect("message").contains(words), "{body}: {}", r.body);
}

/// A CSV sheet of entries as the admin.
async fn post_csv(app: &TestApp, uri: &str, csv: &str) -> (StatusCode, Value) {
    let r = app.post_csv(uri, &app.admin, csv).await;
    (r.status, r.body)
}

/// The shelf held 20 when the count began; a till sold 3 before the counter reached it, the
/// counter saw 16, and 1 more sold after: one is missing, not four, and after posting on hand is
/// what is on the shelf (15).
#[tokio::test]
async fn goods_sold_during_the_count_are_no_variance_and_a_count_posts_once() {
    let app = spawn_app().await;
    let (cola, tea) = drinks(&app).await;
    let b1 = app.branch("B001").await;
    let (till, token) = app.enrolled_till(b1).await;
    receive(&app, b1.0, cola, 20_000, 200).await;
    receive(&app, b1.0, tea, 10_000, 500).await;

    let id = start(&app, json!({"branch_id": b1.0, "note": "月末盘点"})).await;
    refused(&app, "/api/v1/stock/counts", json!({"branch_id": b1.0}), StatusCode::CONFLICT, "open").await;
    let count = app.get(&format!("/api/v1/stock/counts/{id}"), &app.admin).await.expect(StatusCode::OK);
    assert_eq!(
        (count.body["count"]["products"].as_i64(), count.body["count"]["scope"].as_str()),
        (Some(2), Some("full"))
    );

    // Three sold at the till while the counter works towards the shelf (one piece of product 1 a sale).
    for seq in 1..=3 {
        push_one(&app, &till, &token, seq, Event::SaleCompleted(hq_server::fixtures::sale(&till, seq as u32, 1, 1)))
            .await;
    }
    let entries = format!("/api/v1/stock/counts/{id}/entries");
    let r = app
        .post(&entries, &app.admin, json!({"counter": "张三", "lines": [{"barcode": "6901234567892", "qty": 16_000}]}))
        .await
        .expect(StatusCode::OK);
    assert_eq!(r.body["counted"].as_i64(), Some(1));
    // One more sold after the shelf was counted: not the counter's business.
    push_one(&app, &till, &token, 4, Event::SaleCompleted(hq_server::fixtures::sale(&till, 4, 1, 1))).await;
    assert_eq!(on_hand(&app, b1.0, cola).await, 16_000);

    // Blind, as the counters see it: what was counted, nothing expected.
    let blind = app.get(&format!("/api/v1/stock/counts/{id}"), &app.admin).await.expect(StatusCode::OK);
    let l = line(&blind.body, cola);
    assert_eq!(
        (l["counted"].as_i64(), l["counter"].as_str(), l["recount"].as_bool()),
        (Some(16_000), Some("张三"), Some(false))
    );
    for hidden in ["snapshot", "expected", "variance", "variance_value"] {
        assert!(l.get(hidden).is_none(), "a blind sheet shows no {hidden}: {l}");
    }
    assert!(line(&blind.body, tea)["counted"].is_null());
    let open = app.get(&format!("/api/v1/stock/counts/{id}?blind=false"), &app.admin).await.expect(StatusCode::OK);
    let l = line(&open.body, cola);
    assert_eq!(
        [&l["snapshot"], &l["moved_since"], &l["expected"], &l["variance"], &l["variance_value"]].map(Value::as_i64),
        [Some(20_000), Some(-3_000), Some(17_000), Some(-1_000), Some(-200)],
        "{l}"
    );

    let r = app.post(&format!("/api/v1/stock/counts/{id}/post"), &app.admin, json!({})).await.expect(StatusCode::OK);
    let report = &r.body;
    assert_eq!(report["count"]["status"], "posted");
    assert_eq!(
        [&report["adjustments"], &report["gained_value"], &report["lost_value"], &report["net_value"]]
            .map(Value::as_i64),
        [Some(1), Some(0), Some(-200), Some(-200)],
        "{report}"
    );
    assert_eq!(report["lines"][0]["variance"].as_i64(), Some(-1_000));
    assert_eq!(report["uncounted"][0]["product_id"].as_i64(), Some(tea), "left alone");
    assert_eq!(on_hand(&app, b1.0, cola).await, 15_000, "what is on the shelf: 16 counted, 1 sold since");
    assert_eq!(on_hand(&app, b1.0, tea).await, 10_000);
    let moves = app.get(&format!("/api/v1/stock/{}/{cola}", b1.0), &app.admin).await.expect(StatusCode::OK);
    let adj = moves.body["movements"]
        .as_array()
        .expect("movements")
        .iter()
        .find(|m| m["kind"] == "count_adjustment")
        .expect("an adjustment");
    assert_eq!((adj["qty"].as_i64(), adj["value"].as_i64()), (Some(-1_000), Some(-200)));
    assert_eq!(adj["source"], format!("count:{id}"));

    // Posted twice: refused, nothing written; nor does it take entries any more.
    let audit = app.audit_count().await;
    refused(&app, &format!("/api/v1/stock/counts/{id}/post"), json!({}), StatusCode::CONFLICT, "posted").await;
    refused(
        &app,
        &entries,
        json!({"counter": "张三", "lines": [{"product_id": cola, "qty": 1_000}]}),
        StatusCode::CONFLICT,
        "posted",
    )
    .await;
    refused(&app, &format!("/api/v1/stock/counts/{id}/cancel"), json!({}), StatusCode::CONFLICT, "posted").await;
    assert_eq!(app.audit_count().await, audit, "nothing written");
    assert_eq!(on_hand(&app, b1.0, cola).await, 15_000);
    // A new count of the branch may start now.
    let list = app.get(&format!("/api/v1/stock/counts?branch_id={}", b1.0), &app.admin).await.expect(StatusCode::OK);
    assert_eq!(list.body[0]["id"].as_i64(), Some(id));
    start(&app, json!({"branch_id": b1.0})).await;
}

#[tokio::test]
async fn bad_lines_change_nothing_recounts_are_flagged_and_a_category_is_counted_alone() {
    let app = spawn_app().await;
    let (cola, tea) = drinks(&app).await;
    let drink = app.get("/api/v1/categories", &app.admin).await.body[0]["id"].as_i64().expect("category");
    let (_, chips) = snack(&app).await;
    let b1 = app.branch("B001").await;
    let b2 = app.branch("B002").await;
    receive(&app, b1.0, cola, 12_000, 300).await;
    receive(&app, b1.0, chips, 5_000, 400).await;

    // Drinks and the whole branch are counted apart; one open count of each at a time.
    let id = start(&app, json!({"branch_id": b1.0, "category_id": drink})).await;
    refused(
        &app,
        "/api/v1/stock/counts",
        json!({"branch_id": b1.0, "category_id": drink}),
        StatusCode::CONFLICT,
        "open",
    )
    .await;
    refused(
        &app,
        "/api/v1/stock/counts",
        json!({"branch_id": b1.0, "category_id": 999}),
        StatusCode::UNPROCESSABLE_ENTITY,
        "category_id",
    )
    .await;
    let full = start(&app, json!({"branch_id": b1.0})).await;
    let r =
        app.post(&format!("/api/v1/stock/counts/{full}/cancel"), &app.admin, json!({})).await.expect(StatusCode::OK);
    assert_eq!(r.body["status"], "cancelled");
    let sheet = app.get(&format!("/api/v1/stock/counts/{id}?blind=false"), &app.admin).await.expect(StatusCode::OK);
    let products: Vec<i64> =
        sheet.body["lines"].as_array().expect("lines").iter().map(|l| l["product_id"].as_i64().expect("id")).collect();
    assert_eq!(products, [cola], "the drinks with stock at the branch: {}", sheet.body);

    // Every bad line refused with its reason; with a good line beside it, nothing entered.
    let entries = format!("/api/v1/stock/counts/{id}/entries");
    let audit = app.audit_count().await;
    for (bad, words) in [
        (json!({"barcode": "6900000000000", "qty": 1_000}), "barcode"),
        (json!({"product_id": 999, "qty": 1_000}), "product_id"),
        (json!({"product_id": tea, "qty": -1_000}), "qty"),
        (json!({"product_id": chips, "qty": 5_000}), "outside"),
        (json!({"product_id": tea, "barcode": "6920152400012", "qty": 1_000}), "one of them"),
        (json!({"product_id": tea, "qty": 1_000, "counted_at": "2020-01-01T00:00:00Z"}), "snapshot"),
    ] {
        let body = json!({"counter": "李四", "lines": [{"product_id": cola, "qty": 12_000}, bad]});
        refused(&app, &entries, body, StatusCode::UNPROCESSABLE_ENTITY, words).await;
    }
    refused(
        &app,
        &entries,
        json!({"counter": " ", "lines": [{"product_id": cola, "qty": 1}]}),
        StatusCode::UNPROCESSABLE_ENTITY,
        "counter",
    )
    .await;
    assert_eq!(app.audit_count().await, audit, "nothing written");
    let sheet = app.get(&format!("/api/v1/stock/counts/{id}"), &app.admin).await.expect(StatusCode::OK);
    assert_eq!(sheet.body["count"]["counted"].as_i64(), Some(0));

    // Two counters disagree: the line is flagged; the latest figure stands; a recount that
    // agrees clears it, and every figure is kept.
    let enter = |who: &str, qty: i64| json!({"counter": who, "lines": [{"product_id": cola, "qty": qty}]});
    app.post(&entries, &app.admin, enter("李四", 12_000)).await.expect(StatusCode::OK);
    app.post(&entries, &app.admin, enter("王五", 11_000)).await.expect(StatusCode::OK);
    let sheet = app.get(&format!("/api/v1/stock/counts/{id}"), &app.admin).await.expect(StatusCode::OK);
    let l = line(&sheet.body, cola);
    assert_eq!(
        (l["counted"].as_i64(), l["recount"].as_bool(), l["entries"].as_i64()),
        (Some(11_000), Some(true), Some(2))
    );
    app.post(&entries, &app.admin, enter("李四", 11_000)).await.expect(StatusCode::OK);
    let sheet = app.get(&format!("/api/v1/stock/counts/{id}?blind=false"), &app.admin).await.expect(StatusCode::OK);
    let l = line(&sheet.body, cola);
    assert_eq!(
        (l["counted"].as_i64(), l["recount"].as_bool(), l["entries"].as_i64(), l["variance"].as_i64()),
        (Some(11_000), Some(false), Some(3), Some(-1_000))
    );

    // A CSV sheet: a malformed row is named and nothing is entered; then a good one.
    let (status, body) =
        post_csv(&app, &format!("{entries}?counter=zhao6"), "barcode,qty\n6901234567892,11\n6901234567892,abc\n").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["message"].as_str().expect("message").contains("row 3"), "{body}");
    let (status, body) = post_csv(&app, &format!("{entries}?counter=zhao6"), "barcode,qty\n6901234567892,12\n").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let sheet = app.get(&format!("/api/v1/stock/counts/{id}"), &app.admin).await.expect(StatusCode::OK);
    let l = line(&sheet.body, cola);
    assert_eq!(
        (l["counted"].as_i64(), l["entries"].as_i64(), l["recount"].as_bool()),
        (Some(12_000), Some(4), Some(true))
    );

    // Another branch's manager does not see it; the branch's own manager posts it.
    let mgr2 = app.user("mgr2", "branch_manager", Some(b2)).await;
    app.get(&format!("/api/v1/stock/counts/{id}"), &mgr2).await.expect(StatusCode::NOT_FOUND);
    app.post(&format!("/api/v1/stock/counts/{id}/post"), &mgr2, json!({})).await.expect(StatusCode::NOT_FOUND);
    let mgr1 = app.user("mgr1", "branch_manager", Some(b1)).await;
    let r = app.post(&format!("/api/v1/stock/counts/{id}/post"), &mgr1, json!({})).await.expect(StatusCode::OK);
    assert_eq!((r.body["adjustments"].as_i64(), r.body["net_value"].as_i64()), (Some(0), Some(0)), "{}", r.body);
    assert_eq!(on_hand(&app, b1.0, cola).await, 12_000);
    assert_eq!(on_hand(&app, b1.0, chips).await, 5_000, "snacks were not in this count");
}

/// A till offline when the count began pushes a sale it made before the snapshot, and another
/// made during the count before the shelf was counted arrives after the line was entered: the
/// snapshot does not hold either, both happened before the counter looked, so neither is a
/// variance.
#[tokio::test]
async fn an_offline_till_catching_up_during_the_count_is_no_variance() {
    let app = spawn_app().await;
    let (cola, _) = drinks(&app).await;
    let b1 = app.branch("B001").await;
    let (till, token) = app.enrolled_till(b1).await;
    receive(&app, b1.0, cola, 10_000, 250).await;
    let id = start(&app, json!({"branch_id": b1.0})).await;

    let mut before = hq_server::fixtures::sale(&till, 1, 1, 1);
    before.completed_at = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(1);
    push_one(&app, &till, &token, 1, Event::SaleCompleted(before)).await;
    let during = hq_server::fixtures::sale(&till, 2, 1, 1);
    app.post(
        &format!("/api/v1/stock/counts/{id}/entries"),
        &app.admin,
        json!({"counter": "张三", "lines": [{"product_id": cola, "qty": 8_000}]}),
    )
    .await
    .expect(StatusCode::OK);
    push_one(&app, &till, &token, 2, Event::SaleCompleted(during)).await;

    let sheet = app.get(&format!("/api/v1/stock/counts/{id}?blind=false"), &app.admin).await.expect(StatusCode::OK);
    let l = line(&sheet.body, cola);
    assert_eq!(
        [&l["snapshot"], &l["moved_since"], &l["expected"], &l["variance"]].map(Value::as_i64),
        [Some(10_000), Some(-2_000), Some(8_000), Some(0)],
        "{l}"
    );
    let r = app.post(&format!("/api/v1/stock/counts/{id}/post"), &app.admin, json!({})).await.expect(StatusCode::OK);
    assert_eq!((r.body["adjustments"].as_i64(), r.body["net_value"].as_i64()), (Some(0), Some(0)), "{}", r.body);
    assert_eq!(on_hand(&app, b1.0, cola).await, 8_000);
}

/// The blind sheet as CSV is the paper counters fill in: imported back with the rows they left
/// blank skipped, by product code; the open sheet's CSV shows what was expected.
#[tokio::test]
async fn a_blind_sheet_exported_as_csv_comes_back_filled_in() {
    let app = spawn_app().await;
    let (cola, tea) = drinks(&app).await;
    let b1 = app.branch("B001").await;
    receive(&app, b1.0, cola, 20_000, 200).await;
    receive(&app, b1.0, tea, 10_000, 500).await;
    let id = start(&app, json!({"branch_id": b1.0})).await;

    let r = app.get(&format!("/api/v1/stock/counts/{id}?format=csv"), &app.admin).await.expect(StatusCode::OK);
    assert_eq!(r.headers["content-type"], "text/csv; charset=utf-8");
    assert_eq!(
        r.text,
        "product,name,unit,qty,counter,counted_at,entries,recount\n\
         COLA,可口可乐 330ml,瓶,,,,0,\n\
         TEA,可口可乐 330ml,瓶,,,,0,\n"
    );
    let filled = r.text.replacen("COLA,可口可乐 330ml,瓶,,", "COLA,可口可乐 330ml,瓶,18,", 1);
    let entries = format!("/api/v1/stock/counts/{id}/entries?counter=李四");
    let (status, body) = post_csv(&app, &entries, &filled).await;
    assert_eq!((status, body["counted"].as_i64()), (StatusCode::OK, Some(1)), "{body}");

    let r = app.get(&format!("/api/v1/stock/counts/{id}?format=csv&blind=false"), &app.admin).await;
    let r = r.expect(StatusCode::OK);
    let mut rows = r.text.lines();
    assert_eq!(
        rows.next(),
        Some(
            "product,name,unit,qty,counter,counted_at,entries,recount,snapshot,moved_since,expected,variance,unit_cost,variance_value"
        )
    );
    let cola_row: Vec<&str> = rows.next().expect("cola").split(',').collect();
    assert_eq!((cola_row[0], cola_row[3], cola_row[4], cola_row[6]), ("COLA", "18", "李四", "1"), "{}", r.text);
    assert_eq!(&cola_row[8..], ["20", "0", "20", "-2", "2.00", "-4.00"], "{}", r.text);

    // An unknown code is named by its row, and nothing is entered.
    let audit = app.audit_count().await;
    let (status, body) = post_csv(&app, &entries, "product,qty\nTEA,10\nFANTA,3\n").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["message"].as_str().expect("message").contains("row 3: product: HQ has no product `FANTA`"), "{body}");
    let (status, body) = post_csv(&app, &entries, "name,qty\nTEA,10\n").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = post_csv(&app, &entries, "product,qty\nTEA,\n").await;
    assert!(status == StatusCode::UNPROCESSABLE_ENTITY && body.to_string().contains("no counted rows"), "{body}");
    assert_eq!(app.audit_count().await, audit, "nothing written");
    let sheet = app.get(&format!("/api/v1/stock/counts/{id}"), &app.admin).await.expect(StatusCode::OK);
    assert!(line(&sheet.body, tea)["counted"].is_null());
}
