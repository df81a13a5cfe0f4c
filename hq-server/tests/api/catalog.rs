use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{Req, spawn_app};

#[tokio::test]
async fn products_are_checked_before_they_are_stored() {
    let app = spawn_app().await;
    let id = app.product("P1", "6901234567892").await;
    let cat = app.get("/api/v1/categories", &app.admin).await.body[0]["id"].as_i64().expect("category");
    let audit = app.audit_count().await;
    let base = json!({"code": "P2", "barcodes": ["4006381333931"], "name": "雪碧", "category_id": cat,
                      "unit": "瓶", "retail_price": 300, "vat_bp": 1300});
    for (change, needle) in [
        (json!({"barcodes": ["6901234567893"]}), "check digit"),
        (json!({"barcodes": ["6901234567892"]}), "belongs to product"),
        (json!({"barcodes": ["4006381333931", "4006381333931"]}), "twice"),
        (json!({"vat_bp": 1700}), "VAT"),
        (json!({"retail_price": -1}), "negative"),
        (json!({"member_price": 400}), "above the retail price"),
        (json!({"code": "P1"}), "already used"),
        (json!({"name": ""}), "name"),
        (json!({"category_id": 999}), "category"),
    ] {
        let mut body = base.clone();
        for (k, v) in change.as_object().expect("object") {
            body[k] = v.clone();
        }
        let conflict = matches!(needle, "belongs to product" | "already used");
        let want = if conflict { StatusCode::CONFLICT } else { StatusCode::UNPROCESSABLE_ENTITY };
        let r = app.post("/api/v1/products", &app.admin, body).await.expect(want);
        assert!(r.body["message"].as_str().expect("message").contains(needle), "{needle}: {}", r.body);
    }
    assert_eq!(app.audit_count().await, audit);
    // UPC-A is stored as its EAN-13; several barcodes per product.
    let mut body = base.clone();
    body["barcodes"] = json!(["036000291452", "4006381333931"]);
    let r = app.post("/api/v1/products", &app.admin, body).await.expect(StatusCode::CREATED);
    assert_eq!(r.body["barcodes"], json!(["0036000291452", "4006381333931"]));
    // Search by barcode and by name.
    let found = app.get("/api/v1/products?q=0036000291452", &app.admin).await.expect(StatusCode::OK);
    assert_eq!(found.body[0]["code"], "P2");
    let found = app.get("/api/v1/products?q=%E9%9B%AA", &app.admin).await.expect(StatusCode::OK);
    assert_eq!(found.body.as_array().expect("list").len(), 1);
    // Delisting keeps the product.
    let r = app.post(&format!("/api/v1/products/{id}/delist"), &app.admin, json!({})).await.expect(StatusCode::OK);
    assert_eq!(r.body["status"], "delisted");
    app.get(&format!("/api/v1/products/{id}"), &app.admin).await.expect(StatusCode::OK);
}

#[tokio::test]
async fn branch_prices_belong_to_their_branch() {
    let app = spawn_app().await;
    let b1 = app.branch("B001").await;
    let b2 = app.branch("B002").await;
    let p = app.product("P1", "6901234567892").await;
    let mgr = app.user("mgr1", "branch_manager", Some(b1)).await;
    let r = app.put(&format!("/api/v1/branches/{}/prices/{p}", b1.0), &mgr, json!({"price": 320})).await;
    assert_eq!(r.expect(StatusCode::OK).body["price"], 320);
    app.put(&format!("/api/v1/branches/{}/prices/{p}", b2.0), &mgr, json!({"price": 320}))
        .await
        .expect(StatusCode::NOT_FOUND);
    app.put(&format!("/api/v1/branches/{}/prices/{p}", b1.0), &mgr, json!({"price": -5}))
        .await
        .expect(StatusCode::UNPROCESSABLE_ENTITY);
    app.put(&format!("/api/v1/branches/{}/prices/999", b1.0), &mgr, json!({"price": 5}))
        .await
        .expect(StatusCode::NOT_FOUND);
    let list = app.get(&format!("/api/v1/branches/{}/prices", b1.0), &mgr).await.expect(StatusCode::OK);
    assert_eq!(list.body, json!([{"product_id": p, "price": 320, "member_price": null}]));
    // Back to retail.
    app.put(&format!("/api/v1/branches/{}/prices/{p}", b1.0), &mgr, json!({"price": null}))
        .await
        .expect(StatusCode::OK);
    let list = app.get(&format!("/api/v1/branches/{}/prices", b1.0), &mgr).await.expect(StatusCode::OK);
    assert_eq!(list.body, json!([]));
}

#[tokio::test]
async fn every_change_is_audited_with_who_where_before_and_after() {
    let app = spawn_app().await;
    let p = app.product("P1", "6901234567892").await;
    let cat = app.get("/api/v1/categories", &app.admin).await.body[0]["id"].as_i64().expect("category");
    let body = json!({"code": "P1", "barcodes": ["6901234567892"], "name": "可口可乐 500ml", "category_id": cat,
                      "unit": "瓶", "retail_price": 450, "vat_bp": 1300});
    app.send(Req {
        method: Method::PUT,
        uri: format!("/api/v1/products/{p}"),
        cookie: Some(&app.admin),
        till_token: None,
        body: Some(body),
        from: Some("198.51.100.20:443".parse().expect("addr")),
    })
    .await
    .expect(StatusCode::OK);
    let log = app.get("/api/v1/audit?limit=1000", &app.admin).await.expect(StatusCode::OK);
    let entry = log.body.as_array().expect("entries").last().expect("entry").clone();
    assert_eq!(entry["entity"], format!("product:{p}"));
    assert_eq!(entry["action"], "update");
    assert!(entry["actor"].as_str().expect("actor").ends_with(":root"));
    assert_eq!(entry["from"], "198.51.100.20");
    assert_eq!(entry["before"]["retail_price"], 350);
    assert_eq!(entry["after"]["retail_price"], 450);
    assert!(entry["at"].is_string());
}
