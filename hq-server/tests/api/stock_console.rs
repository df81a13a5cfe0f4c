//! The stock pages of the console, through their forms: a supplier added, an order typed (a bad
//! line refused as typed, nothing ordered), a delivery received against it line by line (too much
//! refused) and the order closed; a transfer sent and received with one damaged; what is below
//! its minimum ordered with one button; a branch counted and posted. On both stores.

use axum::http::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, console_as_admin, form, spawn_app};

/// The CSRF token of the admin's console session.
async fn csrf(app: &TestApp) -> String {
    let (_, _, page) = console_as_admin(app, "GET", "/console/stock/orders", None).await;
    let at = page.find("name=\"_csrf\" value=\"").expect("a CSRF field") + 20;
    page[at..at + 32].to_owned()
}

async fn post(app: &TestApp, uri: &str, fields: &[(&str, &str)]) -> (StatusCode, Option<String>, String) {
    console_as_admin(app, "POST", uri, Some(form(fields))).await
}

/// The id at the end of a redirect.
fn id_in(location: Option<String>) -> i64 {
    let l = location.expect("a redirect");
    l.rsplit('/').next().and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("{l}"))
}

async fn on_hand(app: &TestApp, branch: i64, product: i64) -> (i64, i64) {
    let r = app.get(&format!("/api/v1/stock/{branch}/{product}"), &app.admin).await.expect(StatusCode::OK);
    (r.body["level"]["on_hand"].as_i64().expect("on hand"), r.body["level"]["avg_cost"].as_i64().expect("cost"))
}

#[tokio::test]
async fn the_console_orders_receives_transfers_reorders_and_counts() {
    let app = spawn_app().await;
    let (b1, b2) = (app.branch("B001").await, app.branch("B002").await);
    let (cola, tea) = (app.product("COLA", "6901234567892").await, app.product("TEA", "6920152400012").await);
    let t = csrf(&app).await;
    let (b1s, b2s) = (b1.0.to_string(), b2.0.to_string());

    let (status, to, _) =
        post(&app, "/console/stock/suppliers", &[("_csrf", &t), ("code", "S1"), ("name", "饮料批发")]).await;
    assert_eq!((status, to.as_deref()), (StatusCode::SEE_OTHER, Some("/console/stock/orders")));
    let (status, _, page) =
        post(&app, "/console/stock/suppliers", &[("_csrf", &t), ("code", "S1"), ("name", "again")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    let s1 = app.get("/api/v1/suppliers", &app.admin).await.expect(StatusCode::OK).body[0]["id"].as_i64().expect("id");
    let s1s = s1.to_string();

    // A line naming no product: refused as typed, nothing ordered.
    let typed = "COLA 24 2.00\nFANTA 6 1.50";
    let order = |lines: &'static str| {
        [
            ("_csrf", t.as_str()),
            ("branch", b1s.as_str()),
            ("supplier", s1s.as_str()),
            ("lines", lines),
            ("note", "周一"),
        ]
    };
    let (status, _, page) = post(&app, "/console/stock/orders", &order(typed)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("line 2: HQ has no product with the code or barcode `FANTA`"), "{page}");
    assert!(page.contains("COLA 24 2.00\nFANTA 6 1.50</textarea>"), "the form comes back as typed");
    assert_eq!(app.get("/api/v1/purchase-orders", &app.admin).await.body, json!([]));
    // By code and by barcode.
    let (status, to, _) = post(&app, "/console/stock/orders", &order("COLA 24 2.00\n6920152400012 10 5")).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let id = id_in(to);
    let (status, _, page) = console_as_admin(&app, "GET", &format!("/console/stock/orders/{id}"), None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("id=\"receive-order\"") && page.contains("name=\"q1\" value=\"24\""), "{page}");

    // 20 colas arrive at ¥2.10; then too many teas: refused, nothing received.
    let receive = format!("/console/stock/orders/{id}/receive");
    let (status, _, _) = post(&app, &receive, &[("_csrf", &t), ("q1", "20"), ("c1", "2.10"), ("q2", "0")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(on_hand(&app, b1.0, cola).await, (20_000, 210));
    let (status, _, page) = post(&app, &receive, &[("_csrf", &t), ("q1", ""), ("q2", "12")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("over the order"), "{page}");
    let (status, _, page) = post(&app, &receive, &[("_csrf", &t), ("q1", "lots")]).await;
    assert!(status == StatusCode::UNPROCESSABLE_ENTITY && page.contains("`lots` is not a quantity"), "{page}");
    app.get(&format!("/api/v1/stock/{}/{tea}", b1.0), &app.admin).await.expect(StatusCode::NOT_FOUND);
    let (status, _, _) = post(&app, &format!("/console/stock/orders/{id}/close"), &[("_csrf", &t)]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let o = app.get(&format!("/api/v1/purchase-orders/{id}"), &app.admin).await.expect(StatusCode::OK);
    assert_eq!(o.body["state"], "closed");

    // Five colas to the other branch, one arriving damaged; to the same branch is refused.
    let send =
        |to: &str| [("_csrf", t.clone()), ("from", b1s.clone()), ("to", to.to_owned()), ("lines", "COLA 5".into())];
    let fields = send(&b1s);
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, _, page) = post(&app, "/console/stock/transfers", &fields).await;
    assert!(status == StatusCode::UNPROCESSABLE_ENTITY && page.contains("id=\"form-error\""), "{page}");
    let fields = send(&b2s);
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, to, _) = post(&app, "/console/stock/transfers", &fields).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let tid = id_in(to);
    let (_, _, page) = console_as_admin(&app, "GET", "/console/stock/transfers", None).await;
    assert!(page.contains(&format!("class=\"in-transit\" data-transfer=\"{tid}\"")), "in transit: {page}");
    let (status, _, _) =
        post(&app, &format!("/console/stock/transfers/{tid}/receive"), &[("_csrf", &t), ("r1", "4"), ("d1", "1")])
            .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(on_hand(&app, b2.0, cola).await.0, 4_000);
    assert_eq!(on_hand(&app, b1.0, cola).await.0, 15_000);

    // Tea is below its minimum at B001: one button orders it from its supplier.
    let settings = json!({"settings": [{"branch_id": b1.0, "product_id": tea, "min": 6_000, "max": 24_000, "pack": 6_000, "supplier_id": s1}]});
    app.put("/api/v1/stock-settings", &app.admin, settings).await.expect(StatusCode::OK);
    let (_, _, page) = console_as_admin(&app, "GET", "/console/stock/reorder", None).await;
    assert!(page.contains(&format!("data-product=\"{tea}\"")), "{page}");
    let (status, _, page) = post(&app, "/console/stock/reorder/order", &[("_csrf", &t), ("branch", "")]).await;
    assert!(status == StatusCode::OK && page.contains("id=\"ordered\""), "{page}");
    let orders = app.get("/api/v1/purchase-orders?state=open", &app.admin).await.expect(StatusCode::OK).body;
    assert_eq!(
        (
            orders[0]["supplier_code"].as_str(),
            orders[0]["lines"][0]["product_id"].as_i64(),
            orders[0]["lines"][0]["qty"].as_i64()
        ),
        (Some("S1"), Some(tea), Some(24_000)),
        "{orders}"
    );

    // The branch counted: 14 colas on the shelf, one missing.
    let (status, to, _) =
        post(&app, "/console/stock/counts", &[("_csrf", &t), ("branch", &b1s), ("category", "")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let cid = id_in(to);
    let (status, _, page) = post(
        &app,
        &format!("/console/stock/counts/{cid}/entries"),
        &[("_csrf", &t), ("counter", "张三"), ("lines", "COLA 14")],
    )
    .await;
    assert!(status == StatusCode::OK && page.contains("id=\"entered\""), "{page}");
    assert!(!page.contains("class=\"n expected\""), "a blind sheet: {page}");
    let (_, _, page) = console_as_admin(&app, "GET", &format!("/console/stock/counts/{cid}?expected=yes"), None).await;
    assert!(page.contains("<td class=\"n variance\">-1</td>"), "{page}");
    let (status, _, page) = post(&app, &format!("/console/stock/counts/{cid}/post"), &[("_csrf", &t)]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("id=\"report-net\">-¥2.10<"), "one cola at ¥2.10: {page}");
    assert_eq!(on_hand(&app, b1.0, cola).await.0, 14_000);
    let (status, _, _) = post(&app, &format!("/console/stock/counts/{cid}/post"), &[("_csrf", &t)]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "posted once");
}

/// The demo chain has stock to show: every branch's opening delivery covers what its history
/// sold, an order is open, a transfer is on its way, and some shelves are below their minimum.
#[tokio::test]
async fn the_demo_chain_has_stock_an_open_order_a_transfer_and_a_suggested_order() {
    let dir = tempfile::tempdir().expect("dir");
    let db = hq_server::testing::TestDb::new(dir.path());
    let app = hq_server::startup::Application::build(db.config()).await.expect("build");
    let store = app.store();
    let options = hq_server::demo::DemoOptions {
        history_days: 3,
        products: 60,
        stock: true,
        ..hq_server::demo::DemoOptions::small()
    };
    let (values, orders, transfers, suggested) = tokio::task::spawn_blocking(move || {
        use hq_server::store::{ReorderStore as _, StockStore as _};
        hq_server::demo::seed(&*store, &options).expect("seed");
        let filter = hq_server::model::StockFilter { negative_only: true, limit: 1000, ..Default::default() };
        assert_eq!(store.stock_levels(&filter).expect("levels"), vec![], "no shelf below zero");
        (
            store.stock_value(None).expect("value"),
            store.purchase_orders(None, None, 10).expect("orders"),
            store.transfers(None, None, 10).expect("transfers"),
            store.reorder_suggestions(None).expect("suggested"),
        )
    })
    .await
    .expect("join");
    assert_eq!(values.len(), 2, "both branches hold stock");
    assert!(values.iter().all(|v| v.products > 0 && v.value.0 > 0), "{values:?}");
    assert_eq!(orders.len(), 1);
    assert_eq!((transfers.len(), transfers[0].state.code()), (1, "sent"));
    assert_eq!(suggested.len(), 8, "{suggested:?}");
    assert!(suggested.iter().all(|l| l.supplier_code.as_deref() == Some("S01") && l.qty.0 > 0));
}
