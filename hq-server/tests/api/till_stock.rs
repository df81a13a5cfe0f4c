//! Stock at the tills (issue 19): a till pulls its own branch's on hand written after its cursor
//! (every kind of level write, an offline sale dated before the last movement too), and enters
//! what it counted into an open count of its branch, once per batch. Bad input refused with
//! nothing written. On both stores.

use axum::http::{Method, StatusCode};
use serde_json::json;
use shared::sync::Event;

use crate::helpers::{Reply, Req, TestApp, spawn_app};
use crate::members::{push_one, till_post};

/// A GET with a till's token (the payment tests use it too).
pub(crate) async fn till_get(app: &TestApp, token: &str, uri: &str) -> Reply {
    app.send(Req {
        method: Method::GET,
        uri: uri.into(),
        cookie: None,
        till_token: Some(token),
        body: None,
        from: None,
    })
    .await
}

async fn receive(app: &TestApp, branch: i64, product: i64, qty: i64) {
    app.post(
        "/api/v1/stock/receipts",
        &app.admin,
        json!({"branch_id": branch, "lines": [{"product_id": product, "qty": qty, "unit_cost": 200}]}),
    )
    .await
    .expect(StatusCode::CREATED);
}

/// Every level of a pull from `cursor` to the end, page by page: (product, on hand) in the
/// order written, and the cursor to ask with next.
async fn pull(app: &TestApp, token: &str, cursor: &str, limit: u32) -> (Vec<(i64, i64)>, String) {
    let mut cursor = cursor.to_owned();
    let mut levels = Vec::new();
    loop {
        let uri = if cursor.is_empty() {
            format!("/api/v1/till/stock?limit={limit}")
        } else {
            format!("/api/v1/till/stock?cursor={cursor}&limit={limit}")
        };
        let r = till_get(app, token, &uri).await.expect(StatusCode::OK);
        for l in r.body["levels"].as_array().expect("levels") {
            levels.push((l["product_id"].as_i64().expect("product"), l["on_hand"].as_i64().expect("on hand")));
        }
        assert!(r.body["as_of"].is_string(), "{}", r.body);
        let next = r.body["next_cursor"].as_str().expect("cursor").to_owned();
        assert!(levels.len() as u32 <= limit || !next.is_empty());
        cursor = next;
        if !r.body["has_more"].as_bool().expect("has_more") {
            return (levels, cursor);
        }
    }
}

#[tokio::test]
async fn a_till_pulls_only_its_branch_on_hand_written_since_its_cursor() {
    let app = spawn_app().await;
    let cola = app.product("COLA", "6901234567892").await;
    let tea = app.product("TEA", "6920152400012").await;
    let (b1, b2) = (app.branch("B001").await, app.branch("B002").await);
    let (till, token) = app.enrolled_till(b1).await;
    let (_, other_token) = app.enrolled_till(b2).await;
    receive(&app, b1.0, cola, 20_000).await;
    receive(&app, b1.0, tea, 10_000).await;
    receive(&app, b2.0, cola, 5_000).await;

    // The first pull takes every level of the till's branch, and none of another's.
    let (first, cursor) = pull(&app, &token, "", 2000).await;
    assert_eq!(first, vec![(cola, 20_000), (tea, 10_000)]);
    assert_eq!(pull(&app, &other_token, "", 2000).await.0, vec![(cola, 5_000)]);
    // Page by page, the same.
    let one = till_get(&app, &token, "/api/v1/till/stock?limit=1").await.expect(StatusCode::OK);
    assert_eq!((one.body["levels"].as_array().map(Vec::len), one.body["has_more"].as_bool()), (Some(1), Some(true)));
    assert_eq!(pull(&app, &token, "", 1).await.0, first);
    // Nothing written since: nothing, and the same cursor back.
    assert_eq!(pull(&app, &token, &cursor, 2000).await, (vec![], cursor.clone()));

    // A sale the till made a while ago (offline), pushed now: dated before the receipts' last
    // movement, it is still written after the cursor.
    let mut sale = hq_server::fixtures::sale(&till, 1, 1, 1);
    sale.completed_at -= jiff::SignedDuration::from_secs(60);
    push_one(&app, &till, &token, 1, Event::SaleCompleted(sale)).await;
    let (after_sale, cursor) = pull(&app, &token, &cursor, 2000).await;
    assert_eq!(after_sale, vec![(cola, 19_000)]);

    // A write-off, a transfer out and a count's adjustment each write the level too.
    app.post(
        "/api/v1/stock/write-offs",
        &app.admin,
        json!({"branch_id": b1.0, "product_id": tea, "qty": 1000, "reason": "damage", "note": ""}),
    )
    .await
    .expect(StatusCode::CREATED);
    let (after_write_off, cursor) = pull(&app, &token, &cursor, 2000).await;
    assert_eq!(after_write_off, vec![(tea, 9_000)]);
    app.post(
        "/api/v1/transfers",
        &app.admin,
        json!({"from_branch": b1.0, "to_branch": b2.0, "lines": [{"product_id": cola, "qty": 4000}]}),
    )
    .await
    .expect(StatusCode::CREATED);
    let (after_transfer, cursor) = pull(&app, &token, &cursor, 2000).await;
    assert_eq!(after_transfer, vec![(cola, 15_000)]);
    let count =
        app.post("/api/v1/stock/counts", &app.admin, json!({"branch_id": b1.0})).await.expect(StatusCode::CREATED).body
            ["id"]
            .as_i64()
            .expect("count");
    app.post(
        &format!("/api/v1/stock/counts/{count}/entries"),
        &app.admin,
        json!({"counter": "张三", "lines": [{"product_id": tea, "qty": 8000}]}),
    )
    .await
    .expect(StatusCode::OK);
    app.post(&format!("/api/v1/stock/counts/{count}/post"), &app.admin, json!({})).await.expect(StatusCode::OK);
    let (after_count, _) = pull(&app, &token, &cursor, 2000).await;
    assert_eq!(after_count, vec![(tea, 8_000)]);

    // What is not a cursor, or a page size out of range, is refused; without a till's token, 401.
    for uri in [
        "/api/v1/till/stock?cursor=",
        "/api/v1/till/stock?cursor=abc",
        "/api/v1/till/stock?cursor=1.-2",
        "/api/v1/till/stock?limit=0",
    ] {
        let r = till_get(&app, &token, uri).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{uri}: {}", r.body);
    }
    let r = app.get("/api/v1/till/stock", &app.admin).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

/// A pushed batch writes its levels at its end, stamped with its last movement's id: the next
/// write's stamp is larger, so a till whose cursor is at the batch's last level still pulls a
/// level written next of a product ordered before it (stamped the same, it was skipped).
#[tokio::test]
async fn a_level_written_after_a_pushed_batch_is_pulled_whatever_its_product() {
    let app = spawn_app().await;
    let cola = app.product("COLA", "6901234567892").await;
    let tea = app.product("TEA", "6920152400012").await;
    let b1 = app.branch("B001").await;
    let (till, token) = app.enrolled_till(b1).await;
    receive(&app, b1.0, cola, 20_000).await;
    receive(&app, b1.0, tea, 10_000).await;
    let (_, cursor) = pull(&app, &token, "", 2000).await;
    // A sale of both (products 1 and 2: cola and tea): the cursor ends at tea's level.
    let sale = hq_server::fixtures::sale(&till, 1, 2, 1);
    let sold: Vec<i64> = sale.lines.iter().map(|l| l.priced.qty.0).collect();
    assert_eq!(sale.lines.iter().map(|l| l.item.product_id.0).collect::<Vec<_>>(), vec![cola, tea]);
    push_one(&app, &till, &token, 1, Event::SaleCompleted(sale)).await;
    let (after_sale, cursor) = pull(&app, &token, &cursor, 2000).await;
    assert_eq!(after_sale, vec![(cola, 20_000 - sold[0]), (tea, 10_000 - sold[1])]);
    // Then cola, ordered before tea, is written off.
    app.post(
        "/api/v1/stock/write-offs",
        &app.admin,
        json!({"branch_id": b1.0, "product_id": cola, "qty": 1000, "reason": "damage", "note": ""}),
    )
    .await
    .expect(StatusCode::CREATED);
    let (after_write_off, _) = pull(&app, &token, &cursor, 2000).await;
    assert_eq!(after_write_off, vec![(cola, 20_000 - sold[0] - 1000)]);
}

#[tokio::test]
async fn lines_counted_at_a_till_are_entered_once_per_batch_and_bad_ones_not_at_all() {
    let app = spawn_app().await;
    let cola = app.product("COLA", "6901234567892").await;
    let (b1, b2) = (app.branch("B001").await, app.branch("B002").await);
    let (till, token) = app.enrolled_till(b1).await;
    let (_, other_token) = app.enrolled_till(b2).await;
    receive(&app, b1.0, cola, 20_000).await;
    let count = app
        .post("/api/v1/stock/counts", &app.admin, json!({"branch_id": b1.0, "note": "月末"}))
        .await
        .expect(StatusCode::CREATED)
        .body["id"]
        .as_i64()
        .expect("count");

    // The till sees its branch's open count; another branch's till sees none.
    let open = till_get(&app, &token, "/api/v1/till/stock-counts").await.expect(StatusCode::OK);
    assert_eq!(open.body.as_array().map(Vec::len), Some(1), "{}", open.body);
    assert_eq!((open.body[0]["id"].as_i64(), open.body[0]["scope"].as_str()), (Some(count), Some("full")));
    assert_eq!(open.body[0]["note"], "月末");
    let none = till_get(&app, &other_token, "/api/v1/till/stock-counts").await.expect(StatusCode::OK);
    assert_eq!(none.body, json!([]));

    // One sold before the shelf is counted: 19 is no variance.
    push_one(&app, &till, &token, 1, Event::SaleCompleted(hq_server::fixtures::sale(&till, 1, 1, 1))).await;
    let now = jiff::Timestamp::now();
    let uri = format!("/api/v1/till/stock-counts/{count}/entries");
    let batch = "0190a000-0000-7000-8000-000000000001";
    let body = json!({"batch_id": batch, "counter": "王店长",
                      "lines": [{"product_id": cola, "qty": 19_000, "counted_at": now.to_string()}]});
    let audit_before = app.audit_count().await;
    let r = till_post(&app, &token, &uri, body.clone()).await.expect(StatusCode::OK);
    assert_eq!(r.body, json!({"count_id": count, "batch_id": batch, "lines": 1, "repeated": false}));
    // Sent again (its answer lost): answered as the first time, entered once.
    let r = till_post(&app, &token, &uri, body.clone()).await.expect(StatusCode::OK);
    assert_eq!(r.body["repeated"], true);
    assert_eq!(app.audit_count().await, audit_before + 1, "one entry, audited once");
    let sheet = app.get(&format!("/api/v1/stock/counts/{count}?blind=false"), &app.admin).await.expect(StatusCode::OK);
    let line = &sheet.body["lines"][0];
    assert_eq!((line["entries"].as_i64(), line["counter"].as_str()), (Some(1), Some("王店长")));
    assert_eq!((line["expected"].as_i64(), line["variance"].as_i64()), (Some(19_000), Some(0)), "{line}");

    // Refused, nothing entered: another branch's till (as if the count did not exist), a
    // product HQ does not have, a quantity below zero, a time long before the count, no lines,
    // no counter, the batch id again for other lines of another count.
    let fresh = |n: u32| format!("0190a000-0000-7000-8000-{n:012}");
    let line_of = |product: i64, qty: i64, at: jiff::Timestamp| json!([{"product_id": product, "qty": qty, "counted_at": at.to_string()}]);
    let r = till_post(
        &app,
        &other_token,
        &uri,
        json!({"batch_id": fresh(2), "counter": "李", "lines": line_of(cola, 1000, now)}),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    for (body, status, words) in [
        (
            json!({"batch_id": fresh(3), "counter": "王", "lines": line_of(999, 1000, now)}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "no product 999",
        ),
        (
            json!({"batch_id": fresh(4), "counter": "王", "lines": line_of(cola, -1000, now)}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "below zero",
        ),
        (
            json!({"batch_id": fresh(5), "counter": "王", "lines": line_of(cola, 1000, now - jiff::SignedDuration::from_hours(1))}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "before the count",
        ),
        (json!({"batch_id": fresh(6), "counter": "王", "lines": []}), StatusCode::UNPROCESSABLE_ENTITY, "lines"),
        (
            json!({"batch_id": fresh(7), "counter": " ", "lines": line_of(cola, 1000, now)}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "counter",
        ),
        (
            json!({"batch_id": "not-a-uuid", "counter": "王", "lines": line_of(cola, 1000, now)}),
            StatusCode::BAD_REQUEST,
            "",
        ),
    ] {
        let r = till_post(&app, &token, &uri, body.clone()).await;
        assert_eq!(r.status, status, "{body}: {}", r.body);
        assert!(r.text.contains(words), "{body}: {}", r.body);
    }
    let other =
        app.post("/api/v1/stock/counts", &app.admin, json!({"branch_id": b2.0})).await.expect(StatusCode::CREATED).body
            ["id"]
            .as_i64()
            .expect("count");
    let r = till_post(&app, &token, &format!("/api/v1/till/stock-counts/{other}/entries"), body.clone()).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "another branch's count: {}", r.body);
    let drinks = app.get("/api/v1/categories", &app.admin).await.body[0]["id"].as_i64().expect("category");
    let by_category = app
        .post("/api/v1/stock/counts", &app.admin, json!({"branch_id": b1.0, "category_id": drinks}))
        .await
        .expect(StatusCode::CREATED)
        .body["id"]
        .as_i64()
        .expect("count");
    let r = till_post(&app, &token, &format!("/api/v1/till/stock-counts/{by_category}/entries"), body.clone()).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "a batch id is one count's: {}", r.body);
    assert_eq!(app.audit_count().await, audit_before + 1 + 2, "only the other counts' starts were audited since");
    let sheet = app.get(&format!("/api/v1/stock/counts/{count}"), &app.admin).await.expect(StatusCode::OK);
    assert_eq!(sheet.body["lines"][0]["entries"].as_i64(), Some(1));

    // Posted, the count takes no more: a new batch is a conflict; the old one is still answered.
    let report =
        app.post(&format!("/api/v1/stock/counts/{count}/post"), &app.admin, json!({})).await.expect(StatusCode::OK);
    assert_eq!(report.body["adjustments"].as_i64(), Some(0), "no variance: {}", report.body);
    let r = till_post(
        &app,
        &token,
        &uri,
        json!({"batch_id": fresh(8), "counter": "王", "lines": line_of(cola, 1000, now)}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let r = till_post(&app, &token, &uri, body).await.expect(StatusCode::OK);
    assert_eq!(r.body["repeated"], true);
    let open = till_get(&app, &token, "/api/v1/till/stock-counts").await.expect(StatusCode::OK);
    let ids: Vec<i64> = open.body.as_array().expect("counts").iter().filter_map(|c| c["id"].as_i64()).collect();
    assert_eq!(ids, vec![by_category], "a posted count is not offered");
}
