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

async fn count(app: &TestApp) -> usize {
    let r = app.get("/api/v1/purchase-orders", &app.admin).await.expect(StatusCode::OK);
    r.body.as_array().map_or(0, Vec::len)
}

/// An order as (branch code, supplier code, [(product code, qty, cost)]).
type Shape = (String, String, Vec<(String, i64, i64)>);

/// The lines of a list of orders.
fn orders_of(v: &Value) -> Vec<Shape> {
    v.as_array()
        .expect("orders")
        .iter()
        .map(|o| {
            let lines = o["lines"]
                .as_array()
                .expect("lines")
                .iter()
                .map(|l| {
                    (
                        l["product_code"].as_str().expect("code").to_owned(),
                        l["qty"].as_i64().expect("qty"),
                        l["unit_cost"].as_i64().expect("cost"),
                    )
                })
                .collect();
            (
                o["branch_code"].as_str().expect("branch").to_owned(),
                o["supplier_code"].as_str().expect("supplier").to_owned(),
                lines,
            )
        })
        .collect()
}

#[tokio::test]
async fn a_sheet_orders_all_or_nothing_and_an_order_exports_as_a_sheet_that_imports_back() {
    let app = spawn_app().await;
    let b1 = app.branch("B001").await;
    let b2 = app.branch("B002").await;
    for (code, barcode) in [("COLA", "6901234567892"), ("TEA", "6920152400012"), ("WATER", "6902083881405")] {
        app.product(code, barcode).await;
    }
    for (code, name) in [("S1", "饮料批发"), ("S2", "水厂")] {
        app.post("/api/v1/suppliers", &app.admin, json!({"code": code, "name": name}))
            .await
            .expect(StatusCode::CREATED);
    }

    // The suggested order's CSV (extra columns and all) is a sheet: rows of one branch and
    // supplier make one order, in the order they first appear.
    let sheet = "branch,supplier,product,name,on_hand,min,max,pack,qty,unit_cost,cost\n\
                 B001,S1,COLA,可口可乐,5,10,48,12,48,1.00,48.00\n\
                 B001,S2,WATER,水,0,6,24,6,24,0.55,13.20\n\
                 B002,S1,COLA,可口可乐,0,1,2,1,2,1.05,2.10\n\
                 B001,S1,TEA,茶,0,6,24,6,24,3,72.00\n";
    let r = app.post_csv("/api/v1/purchase-orders/import?note=weekly", &app.admin, sheet).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(
        orders_of(&r.body["orders"]),
        vec![
            ("B001".into(), "S1".into(), vec![("COLA".into(), 48_000, 100), ("TEA".into(), 24_000, 300)]),
            ("B001".into(), "S2".into(), vec![("WATER".into(), 24_000, 55)]),
            ("B002".into(), "S1".into(), vec![("COLA".into(), 2_000, 105)]),
        ]
    );
    assert_eq!(r.body["orders"][0]["note"], "weekly");
    let first = r.body["orders"][0]["id"].as_i64().expect("id");

    // One order as the sheet, with what has arrived; imported back it is the same order again.
    app.post(
        "/api/v1/stock/receipts",
        &app.admin,
        json!({"branch_id": b1.0, "order_id": first, "lines": [{"product_id": 1, "qty": 12_000, "unit_cost": 100}]}),
    )
    .await
    .expect(StatusCode::CREATED);
    let r = app.get(&format!("/api/v1/purchase-orders/{first}?format=csv"), &app.admin).await.expect(StatusCode::OK);
    assert_eq!(r.headers["content-type"], "text/csv; charset=utf-8");
    assert_eq!(
        r.text,
        "branch,supplier,product,name,qty,unit_cost,received\n\
         B001,S1,COLA,可口可乐 330ml,48,1.00,12\n\
         B001,S1,TEA,可口可乐 330ml,24,3.00,0\n"
    );
    let again = app.post_csv("/api/v1/purchase-orders/import", &app.admin, &r.text).await;
    assert_eq!(again.status, StatusCode::CREATED, "{}", again.text);
    assert_eq!(
        orders_of(&again.body["orders"]),
        vec![("B001".into(), "S1".into(), vec![("COLA".into(), 48_000, 100), ("TEA".into(), 24_000, 300)])]
    );
    app.get(&format!("/api/v1/purchase-orders/{first}?format=xml"), &app.admin).await.expect(StatusCode::BAD_REQUEST);

    // A bad row is named and nothing is ordered.
    let mgr2 = app.user("mgr2", "branch_manager", Some(b2)).await;
    let (orders, audit) = (count(&app).await, app.audit_count().await);
    for (sheet, words) in [
        (
            "branch,supplier,product,qty,unit_cost\nB001,S1,COLA,1,1\nB001,S1,FANTA,1,1\n",
            "row 3: product: HQ has no product `FANTA`",
        ),
        ("branch,supplier,product,qty,unit_cost\nB001,S1,COLA,1,1\nB009,S1,COLA,1,1\n", "row 3: branch"),
        ("branch,supplier,product,qty,unit_cost\nB001,S9,COLA,1,1\n", "row 2: supplier"),
        (
            "branch,supplier,product,qty,unit_cost\nB001,S1,COLA,1,1\nB001,S1,COLA,2,1\n",
            "row 3: product: already on row 2",
        ),
        ("branch,supplier,product,qty,unit_cost\nB001,S1,COLA,-1,1\n", "row 2: qty"),
        ("branch,supplier,product,qty,unit_cost\nB001,S1,COLA,1,1.234\n", "row 2: unit_cost"),
        ("branch,supplier,product,qty,unit_cost\nB001,S1,COLA,many,1\n", "row 2: qty"),
        ("branch,supplier,product,qty\nB001,S1,COLA,1\n", "row 1: the header"),
        ("branch,supplier,product,qty,unit_cost\n", "no rows"),
    ] {
        let r = app.post_csv("/api/v1/purchase-orders/import", &app.admin, sheet).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{sheet}: {}", r.text);
        assert!(r.body["message"].as_str().expect("message").contains(words), "{words}: {}", r.text);
    }
    let r = app.post("/api/v1/purchase-orders/import", &app.admin, json!({"rows": []})).await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{}", r.text);

    // A branch manager orders for their branch only.
    let r = app
        .post_csv(
            "/api/v1/purchase-orders/import",
            &mgr2,
            "branch,supplier,product,qty,unit_cost\nB002,S2,WATER,6,0.5\nB001,S2,WATER,6,0.5\n",
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.text.contains("row 3: branch: not your branch"), "{}", r.text);
    assert_eq!((count(&app).await, app.audit_count().await), (orders, audit), "nothing written");
    let r = app
        .post_csv(
            "/api/v1/purchase-orders/import",
            &mgr2,
            "branch,supplier,product,qty,unit_cost\nB002,S2,WATER,6,0.5\n",
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    app.get(&format!("/api/v1/purchase-orders/{first}?format=csv"), &mgr2).await.expect(StatusCode::NOT_FOUND);
}
