//! Goods coming in and moving between branches: purchase orders and the deliveries received
//! against them (the average cost moving with each), and transfers sent and received with what
//! was short or damaged. Refused requests write nothing. On both stores.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};

async fn level(app: &TestApp, branch: i64, product: i64) -> (i64, i64) {
    let r = app.get(&format!("/api/v1/stock/{branch}/{product}"), &app.admin).await.expect(StatusCode::OK);
    (r.body["level"]["on_hand"].as_i64().expect("on hand"), r.body["level"]["avg_cost"].as_i64().expect("cost"))
}

async fn refused(app: &TestApp, uri: &str, body: Value, status: StatusCode, words: &str) {
    let r = app.post(uri, &app.admin, body.clone()).await;
    assert_eq!(r.status, status, "{body}: {}", r.body);
    assert!(r.body["message"].as_str().expect("message").contains(words), "{body}: {}", r.body);
}

#[tokio::test]
async fn deliveries_against_an_order_move_stock_and_the_average_cost_and_close_it() {
    let app = spawn_app().await;
    let b1 = app.branch("B001").await;
    let (cola, tea, water) = (
        app.product("COLA", "6901234567892").await,
        app.product("TEA", "6920152400012").await,
        app.product("WATER", "6902083881405").await,
    );
    let supplier = app
        .post("/api/v1/suppliers", &app.admin, json!({"code": "S1", "name": "可口可乐装瓶厂"}))
        .await
        .expect(StatusCode::CREATED);
    let supplier = supplier.body["id"].as_i64().expect("id");
    refused(&app, "/api/v1/suppliers", json!({"code": "S1", "name": "again"}), StatusCode::CONFLICT, "S1").await;
    let order = app
        .post(
            "/api/v1/purchase-orders",
            &app.admin,
            json!({"supplier_id": supplier, "branch_id": b1.0, "lines": [
                {"product_id": cola, "qty": 24000, "unit_cost": 200},
                {"product_id": tea, "qty": 10000, "unit_cost": 500}]}),
        )
        .await
        .expect(StatusCode::CREATED);
    let order = order.body["id"].as_i64().expect("order");
    let receive = |lines: Value, accept: bool| json!({"branch_id": b1.0, "order_id": order, "lines": lines, "accept_unordered": accept});

    // 20 of the 24 at ¥2.00, then 6 more at ¥2.30 (26: within a tenth over): (40.00 + 13.80) / 26 = ¥2.07.
    let r = app
        .post(
            "/api/v1/stock/receipts",
            &app.admin,
            receive(json!([{"product_id": cola, "qty": 20000, "unit_cost": 200}]), false),
        )
        .await;
    let r = r.expect(StatusCode::CREATED);
    assert_eq!(
        (r.body["order_closed"].as_bool(), r.body["movements"][0]["kind"].as_str()),
        (Some(false), Some("receipt"))
    );
    assert_eq!(level(&app, b1.0, cola).await, (20_000, 200));
    app.post(
        "/api/v1/stock/receipts",
        &app.admin,
        receive(json!([{"product_id": cola, "qty": 6000, "unit_cost": 230}]), false),
    )
    .await
    .expect(StatusCode::CREATED);
    assert_eq!(level(&app, b1.0, cola).await, (26_000, 207));

    let audit = app.audit_count().await;
    for (lines, words) in [
        (json!([{"product_id": cola, "qty": 1000, "unit_cost": 200}]), "over the order"),
        (
            json!([{"product_id": tea, "qty": 1000, "unit_cost": 500}, {"product_id": water, "qty": 1000, "unit_cost": 100}]),
            "does not order product",
        ),
        (json!([{"product_id": tea, "qty": -1000, "unit_cost": 500}]), "qty"),
        (json!([{"product_id": 999, "qty": 1000, "unit_cost": 500}]), "product_id"),
    ] {
        refused(&app, "/api/v1/stock/receipts", receive(lines, false), StatusCode::UNPROCESSABLE_ENTITY, words).await;
    }
    assert_eq!(app.audit_count().await, audit, "nothing written");
    app.get(&format!("/api/v1/stock/{}/{tea}", b1.0), &app.admin).await.expect(StatusCode::NOT_FOUND);

    // A manager accepts water the order does not have; the tea arrives, and the order closes.
    let r = app
        .post(
            "/api/v1/stock/receipts",
            &app.admin,
            receive(json!([{"product_id": tea, "qty": 10000, "unit_cost": 500}, {"product_id": water, "qty": 12000, "unit_cost": 80}]), true),
        )
        .await
        .expect(StatusCode::CREATED);
    assert_eq!(r.body["order_closed"], true);
    assert_eq!(level(&app, b1.0, water).await, (12_000, 80));
    let o = app.get(&format!("/api/v1/purchase-orders/{order}"), &app.admin).await.expect(StatusCode::OK);
    assert_eq!((o.body["state"].as_str(), o.body["lines"][0]["received"].as_i64()), (Some("closed"), Some(26_000)));
    refused(
        &app,
        "/api/v1/stock/receipts",
        receive(json!([{"product_id": cola, "qty": 1000, "unit_cost": 200}]), false),
        StatusCode::CONFLICT,
        "closed",
    )
    .await;
    refused(&app, &format!("/api/v1/purchase-orders/{order}/close"), json!({}), StatusCode::CONFLICT, "closed").await;

    // Without an order; stock at cost adds up: 26 × 2.07 + 10 × 5.00 + 12 × 0.80 + 2 × 3.00.
    app.post(
        "/api/v1/stock/receipts",
        &app.admin,
        json!({"branch_id": b1.0, "supplier_id": supplier, "lines": [{"product_id": water, "qty": 2000, "unit_cost": 300}]}),
    )
    .await
    .expect(StatusCode::CREATED);
    assert_eq!(level(&app, b1.0, water).await, (14_000, 111), "(9.60 + 6.00) / 14 = ¥1.114");
    let v = app.get("/api/v1/stock/value", &app.admin).await.expect(StatusCode::OK);
    assert_eq!(v.body[0]["value"].as_i64(), Some(26 * 207 + 10 * 500 + 14 * 111));
}

#[tokio::test]
async fn a_transfer_leaves_one_branch_and_arrives_at_the_other_with_what_was_short_or_damaged() {
    let app = spawn_app().await;
    let b1 = app.branch("B001").await;
    let b2 = app.branch("B002").await;
    let cola = app.product("COLA", "6901234567892").await;
    app.post(
        "/api/v1/stock/receipts",
        &app.admin,
        json!({"branch_id": b1.0, "lines": [{"product_id": cola, "qty": 26000, "unit_cost": 207}]}),
    )
    .await
    .expect(StatusCode::CREATED);

    refused(
        &app,
        "/api/v1/transfers",
        json!({"from_branch": b1.0, "to_branch": b1.0, "lines": [{"product_id": cola, "qty": 1000}]}),
        StatusCode::UNPROCESSABLE_ENTITY,
        "another branch",
    )
    .await;
    let t = app
        .post(
            "/api/v1/transfers",
            &app.admin,
            json!({"from_branch": b1.0, "to_branch": b2.0, "lines": [{"product_id": cola, "qty": 10000}]}),
        )
        .await
        .expect(StatusCode::CREATED);
    let id = t.body["id"].as_i64().expect("id");
    assert_eq!((t.body["state"].as_str(), t.body["lines"][0]["unit_cost"].as_i64()), (Some("sent"), Some(207)));
    assert_eq!(level(&app, b1.0, cola).await, (16_000, 207));
    // In transit, at both ends.
    for b in [b1, b2] {
        let list = app
            .get(&format!("/api/v1/transfers?branch_id={}&state=sent", b.0), &app.admin)
            .await
            .expect(StatusCode::OK);
        assert_eq!(list.body[0]["id"].as_i64(), Some(id), "{}", list.body);
    }
    let mgr2 = app.user("mgr2", "branch_manager", Some(b2)).await;
    app.post(
        &format!("/api/v1/transfers/{id}/receive"),
        &mgr2,
        json!({"lines": [{"line_no": 1, "received": 10000, "damaged": 1000}]}),
    )
    .await
    .expect(StatusCode::UNPROCESSABLE_ENTITY);
    app.post(&format!("/api/v1/transfers/{id}/receive"), &mgr2, json!({"lines": [{"line_no": 2, "received": 1000}]}))
        .await
        .expect(StatusCode::UNPROCESSABLE_ENTITY);
    // 8 in good order, 1 damaged (written off there), 1 short.
    let r = app
        .post(
            &format!("/api/v1/transfers/{id}/receive"),
            &mgr2,
            json!({"lines": [{"line_no": 1, "received": 8000, "damaged": 1000}]}),
        )
        .await
        .expect(StatusCode::OK);
    assert_eq!(
        (r.body["state"].as_str(), r.body["received_by"].as_str().map(|w| w.contains("mgr2"))),
        (Some("received"), Some(true))
    );
    assert_eq!(level(&app, b2.0, cola).await, (8_000, 207));
    let moves = app.get(&format!("/api/v1/stock/{}/{cola}", b2.0), &app.admin).await.expect(StatusCode::OK);
    let kinds: Vec<(&str, i64)> = moves.body["movements"]
        .as_array()
        .expect("list")
        .iter()
        .map(|m| (m["kind"].as_str().expect("kind"), m["qty"].as_i64().expect("qty")))
        .collect();
    assert!(kinds.contains(&("transfer_in", 9000)) && kinds.contains(&("write_off", -1000)), "{kinds:?}");
    refused(
        &app,
        &format!("/api/v1/transfers/{id}/receive"),
        json!({"lines": [{"line_no": 1, "received": 1000}]}),
        StatusCode::CONFLICT,
        "already",
    )
    .await;
    // The sender's manager cannot receive at the other branch.
    let mgr1 = app.user("mgr1", "branch_manager", Some(b1)).await;
    let t2 = app
        .post(
            "/api/v1/transfers",
            &mgr1,
            json!({"from_branch": b1.0, "to_branch": b2.0, "lines": [{"product_id": cola, "qty": 1000}]}),
        )
        .await
        .expect(StatusCode::CREATED);
    let id2 = t2.body["id"].as_i64().expect("id");
    app.post(&format!("/api/v1/transfers/{id2}/receive"), &mgr1, json!({"lines": [{"line_no": 1, "received": 1000}]}))
        .await
        .expect(StatusCode::NOT_FOUND);
    app.post(
        "/api/v1/transfers",
        &mgr1,
        json!({"from_branch": b2.0, "to_branch": b1.0, "lines": [{"product_id": cola, "qty": 1000}]}),
    )
    .await
    .expect(StatusCode::NOT_FOUND);
    // Unit for unit: 26 received = 15 at B001 + 1 in transit + 8 at B002 + 1 damaged + 1 short.
    assert_eq!(level(&app, b1.0, cola).await.0, 15_000);
}
