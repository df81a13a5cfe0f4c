use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{Req, spawn_app};

#[tokio::test]
async fn health_answers() {
    let app = spawn_app().await;
    let r = app
        .send(Req {
            method: Method::GET,
            uri: "/health".into(),
            cookie: None,
            till_token: None,
            body: None,
            from: None,
        })
        .await;
    assert_eq!(r.expect(StatusCode::OK).body["status"], "ok");
}

#[tokio::test]
async fn the_openapi_document_is_3_1_and_covers_every_route() {
    let app = spawn_app().await;
    let r = app
        .send(Req {
            method: Method::GET,
            uri: "/api/v1/openapi.json".into(),
            cookie: None,
            till_token: None,
            body: None,
            from: None,
        })
        .await
        .expect(StatusCode::OK);
    assert!(r.body["openapi"].as_str().expect("version").starts_with("3.1"));
    let paths = r.body["paths"].as_object().expect("paths");
    let expected = [
        ("/health", "get"),
        ("/api/v1/openapi.json", "get"),
        ("/api/v1/session", "post"),
        ("/api/v1/session", "get"),
        ("/api/v1/session", "delete"),
        ("/api/v1/users", "get"),
        ("/api/v1/users", "post"),
        ("/api/v1/users/{id}", "get"),
        ("/api/v1/users/{id}", "patch"),
        ("/api/v1/users/{id}/unlock", "post"),
        ("/api/v1/branches", "get"),
        ("/api/v1/branches", "post"),
        ("/api/v1/branches/{id}", "get"),
        ("/api/v1/branches/{id}", "put"),
        ("/api/v1/branches/{id}/tills", "get"),
        ("/api/v1/branches/{id}/tills", "post"),
        ("/api/v1/branches/{id}/staff", "get"),
        ("/api/v1/branches/{id}/staff", "post"),
        ("/api/v1/branches/{id}/prices", "get"),
        ("/api/v1/branches/{id}/prices/{product_id}", "put"),
        ("/api/v1/tills/{id}", "get"),
        ("/api/v1/tills/{id}/revoke", "post"),
        ("/api/v1/tills/{id}/enrolment-code", "post"),
        ("/api/v1/tills/{id}/sync", "get"),
        ("/api/v1/tills/{id}/events", "get"),
        ("/api/v1/staff/{id}", "patch"),
        ("/api/v1/categories", "get"),
        ("/api/v1/categories", "post"),
        ("/api/v1/categories/{id}", "put"),
        ("/api/v1/brands", "get"),
        ("/api/v1/brands", "post"),
        ("/api/v1/brands/{id}", "put"),
        ("/api/v1/products", "get"),
        ("/api/v1/products", "post"),
        ("/api/v1/products/{id}", "get"),
        ("/api/v1/products/{id}", "put"),
        ("/api/v1/products/{id}/delist", "post"),
        ("/api/v1/sync/enrol", "post"),
        ("/api/v1/sync/push", "post"),
        ("/api/v1/sync/pull", "get"),
        ("/api/v1/till/sales/{receipt}", "get"),
        ("/api/v1/audit", "get"),
        ("/api/v1/audit/verify", "get"),
        ("/api/v1/sales", "get"),
        ("/api/v1/till/members/lookup", "post"),
        ("/api/v1/till/holds", "post"),
        ("/api/v1/till/holds/{hold}/release", "post"),
        ("/api/v1/till/topups", "post"),
        ("/api/v1/members", "get"),
        ("/api/v1/members", "post"),
        ("/api/v1/members/export", "get"),
        ("/api/v1/members/import", "post"),
        ("/api/v1/members/daily-job", "post"),
        ("/api/v1/members/{id}", "get"),
        ("/api/v1/members/{id}", "patch"),
        ("/api/v1/members/{id}/ledger", "get"),
        ("/api/v1/members/{id}/lots", "get"),
        ("/api/v1/members/{id}/adjustments", "post"),
        ("/api/v1/members/{id}/cards", "post"),
        ("/api/v1/member-cards/{kind}/{value}", "put"),
        ("/api/v1/policies", "get"),
        ("/api/v1/policies", "post"),
        ("/api/v1/policies/current", "get"),
        ("/api/v1/policies/preview", "post"),
        ("/api/v1/reports/{kind}", "get"),
        ("/api/v1/analysis/rfm", "get"),
        ("/api/v1/analysis/rfm/members", "get"),
        ("/api/v1/analysis/rfm/runs", "get"),
        ("/api/v1/analysis/rfm/runs", "post"),
        ("/api/v1/analysis/cohorts", "get"),
        ("/api/v1/analysis/tiers", "get"),
        ("/api/v1/targets", "get"),
        ("/api/v1/targets", "put"),
        ("/api/v1/plan", "get"),
        ("/api/v1/care/birthdays", "get"),
        ("/api/v1/care/preview", "post"),
        ("/api/v1/care/campaigns", "get"),
        ("/api/v1/care/campaigns", "post"),
        ("/api/v1/care/campaigns/{id}", "get"),
        ("/api/v1/reports/pnl", "get"),
        ("/api/v1/expense-subjects", "get"),
        ("/api/v1/expense-subjects", "post"),
        ("/api/v1/expense-subjects/{code}", "put"),
        ("/api/v1/expenses", "get"),
        ("/api/v1/expenses", "post"),
        ("/api/v1/expenses/import", "post"),
        ("/api/v1/payments/statements", "get"),
        ("/api/v1/payments/statements", "post"),
        ("/api/v1/payments/reconciliation", "get"),
        ("/api/v1/complaints", "get"),
        ("/api/v1/complaints", "post"),
        ("/api/v1/complaints/report", "get"),
        ("/api/v1/complaints/{id}", "get"),
        ("/api/v1/complaints/{id}/assign", "post"),
        ("/api/v1/complaints/{id}/start", "post"),
        ("/api/v1/complaints/{id}/resolve", "post"),
        ("/api/v1/complaints/{id}/close", "post"),
        ("/api/v1/complaints/{id}/reopen", "post"),
        ("/api/v1/complaint-categories", "get"),
        ("/api/v1/complaint-categories", "post"),
        ("/api/v1/complaint-categories/{id}", "put"),
        ("/api/v1/till/complaint-categories", "get"),
        ("/api/v1/till/complaints", "post"),
        ("/api/v1/till/stock", "get"),
        ("/api/v1/till/stock-counts", "get"),
        ("/api/v1/till/stock-counts/{id}/entries", "post"),
        ("/api/v1/till/payments", "post"),
        ("/api/v1/till/payments/{order_no}", "get"),
        ("/api/v1/till/payments/{order_no}/cancel", "post"),
        ("/api/v1/till/payments/{order_no}/refunds", "post"),
        ("/api/v1/till/payments/{order_no}/refunds/{seq}", "get"),
        ("/api/v1/stock", "get"),
        ("/api/v1/stock/value", "get"),
        ("/api/v1/stock/write-offs", "post"),
        ("/api/v1/stock/{branch_id}/{product_id}", "get"),
        ("/api/v1/stock-reports/slow-movers", "get"),
        ("/api/v1/stock-reports/shrinkage", "get"),
        ("/api/v1/stock-reports/cover", "get"),
        ("/api/v1/stock-reports/reorder", "get"),
        ("/api/v1/stock-settings", "get"),
        ("/api/v1/stock-settings", "put"),
        ("/api/v1/stock-settings/import", "post"),
        ("/api/v1/stock/receipts", "post"),
        ("/api/v1/stock/counts", "get"),
        ("/api/v1/stock/counts", "post"),
        ("/api/v1/stock/counts/{id}", "get"),
        ("/api/v1/stock/counts/{id}/entries", "post"),
        ("/api/v1/stock/counts/{id}/post", "post"),
        ("/api/v1/stock/counts/{id}/cancel", "post"),
        ("/api/v1/suppliers", "get"),
        ("/api/v1/suppliers", "post"),
        ("/api/v1/purchase-orders", "get"),
        ("/api/v1/purchase-orders", "post"),
        ("/api/v1/purchase-orders/{id}", "get"),
        ("/api/v1/purchase-orders/import", "post"),
        ("/api/v1/purchase-orders/{id}/close", "post"),
        ("/api/v1/transfers", "get"),
        ("/api/v1/transfers", "post"),
        ("/api/v1/transfers/{id}", "get"),
        ("/api/v1/transfers/{id}/receive", "post"),
        ("/api/v1/promotions", "get"),
        ("/api/v1/promotions", "post"),
        ("/api/v1/promotions/set", "get"),
        ("/api/v1/promotions/preview", "post"),
        ("/api/v1/promotions/{id}", "get"),
        ("/api/v1/promotions/{id}", "put"),
        ("/api/v1/promotions/{id}/withdraw", "post"),
        ("/api/v1/promotions/{id}/effect", "get"),
        ("/api/v1/coupon-campaigns", "get"),
        ("/api/v1/coupon-campaigns", "post"),
        ("/api/v1/coupon-campaigns/{id}", "get"),
        ("/api/v1/coupon-campaigns/{id}/end", "post"),
        ("/api/v1/coupon-campaigns/{id}/issue", "post"),
        ("/api/v1/members/{id}/coupons", "get"),
        ("/api/v1/till/coupons/holds", "post"),
        ("/api/v1/till/coupons/holds/{hold}/release", "post"),
        ("/api/v1/till/members/{member_id}/coupons", "get"),
    ];
    for (path, method) in expected {
        assert!(paths.get(path).and_then(|p| p.get(method)).is_some(), "{method} {path} is not documented");
    }
    let documented: usize = paths.values().map(|p| p.as_object().map_or(0, |o| o.len())).sum();
    assert_eq!(documented, expected.len(), "a route is documented that this test does not know");
    // Every documented route answers (not the fallback's no_route).
    for (path, method) in expected {
        let uri = path
            .replace("{id}", "999999")
            .replace("{product_id}", "1")
            .replace("{receipt}", "B001-01-000001")
            .replace("{hold}", "01930000-0000-7000-8000-000000000000")
            .replace("{member_id}", "01930000-0000-7000-8000-000000000000")
            .replace("{kind}", "code")
            .replace("{value}", "0000012345");
        let method = Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
        let r = app.send(Req { method, uri, cookie: None, till_token: None, body: None, from: None }).await;
        assert_ne!(r.error_code(), "no_route", "{path} is documented but not routed");
    }
}

#[tokio::test]
async fn bad_requests_get_json_errors_and_change_nothing() {
    let app = spawn_app().await;
    let before = app.audit_count().await;
    // Not JSON.
    let r = app
        .send(Req {
            method: Method::POST,
            uri: "/api/v1/branches".into(),
            cookie: Some(&app.admin),
            till_token: None,
            body: None,
            from: None,
        })
        .await;
    r.expect(StatusCode::UNSUPPORTED_MEDIA_TYPE);
    // Wrong types.
    app.post("/api/v1/branches", &app.admin, json!({"code": 5})).await.expect(StatusCode::BAD_REQUEST);
    // A bad path parameter.
    app.get("/api/v1/branches/abc", &app.admin).await.expect(StatusCode::BAD_REQUEST);
    // A bad query parameter.
    app.get("/api/v1/products?limit=-5", &app.admin).await.expect(StatusCode::BAD_REQUEST);
    // Unknown route, wrong method.
    app.get("/api/v1/nothing-here", &app.admin).await.expect(StatusCode::NOT_FOUND);
    app.send(Req {
        method: Method::DELETE,
        uri: "/api/v1/branches".into(),
        cookie: Some(&app.admin),
        till_token: None,
        body: None,
        from: None,
    })
    .await
    .expect(StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(app.audit_count().await, before);
    // No internals leak.
    let r =
        app.post("/api/v1/branches", &app.admin, json!({"code": "B1", "name": "x", "time_zone": "Nowhere/City"})).await;
    let text = r.expect(StatusCode::UNPROCESSABLE_ENTITY).body.to_string();
    assert!(!text.contains("sqlite") && !text.contains("SELECT") && !text.contains("/tmp"), "{text}");
}

#[tokio::test]
async fn integers_may_be_float_shaped_but_page_limits_are_bounded() {
    let app = spawn_app().await;
    // JSON Schema's integer 5.0 is the integer 5; 5.5 is not.
    let r =
        app.post("/api/v1/branches", &app.admin, json!({"code": "B1", "name": "x", "pin_lockout_minutes": 5.0})).await;
    assert_eq!(r.expect(StatusCode::CREATED).body["pin_lockout_minutes"], 5);
    app.post("/api/v1/branches", &app.admin, json!({"code": "B2", "name": "x", "pin_lockout_minutes": 5.5}))
        .await
        .expect(StatusCode::BAD_REQUEST);
    app.get("/api/v1/products?limit=1000", &app.admin).await.expect(StatusCode::OK);
    app.get("/api/v1/products?limit=1001", &app.admin).await.expect(StatusCode::BAD_REQUEST);
    app.get("/api/v1/products?limit=0", &app.admin).await.expect(StatusCode::BAD_REQUEST);
}
