//! Stock reports: slow movers, shrinkage, days of cover, from goods received, sold by a till
//! (one sale with a product on two lines) and written off. On both stores.

use axum::http::StatusCode;
use serde_json::{Value, json};
use shared::sync::Event;

use crate::helpers::{TestApp, spawn_app};
use crate::members::push_one;

/// `product`'s row of a report's list.
fn row(list: &Value, product: i64) -> &Value {
    list.as_array()
        .expect("list")
        .iter()
        .find(|r| r["level"]["product_id"] == product)
        .unwrap_or_else(|| panic!("product {product} in {list}"))
}

/// `sale` with its line `line`'s item sold again on a line of its own, priced and paid in cash.
fn with_a_line_again(sale: shared::sale::CompletedSale, line: usize) -> shared::sale::CompletedSale {
    use shared::sale::{SaleTotals, TenderInput, price_sale, settle};
    let mut items: Vec<_> = sale.lines.iter().map(|l| l.item.clone()).collect();
    items.push(items[line].clone());
    let priced = price_sale(&items, None, None).expect("priced");
    let cash = TenderInput::cash(shared::Money((priced.totals.total.0 + 99) / 100 * 100));
    let settled = settle(priced.totals.total, &[cash], shared::pricing::CashRounding::None).expect("settled");
    let sale = shared::sale::CompletedSale {
        lines: priced.lines,
        totals: SaleTotals { rounding: settled.rounding, due: settled.due, ..priced.totals },
        tax: priced.tax,
        points_eligible_net: priced.points_eligible_net,
        tenders: settled.tenders,
        change: settled.change,
        ..sale
    };
    sale.check().expect("the sale adds up");
    sale
}

async fn products(app: &TestApp) -> [i64; 3] {
    let ids = [
        app.product("COLA", "6901234567892").await,
        app.product("TEA", "6920152400012").await,
        app.product("WATER", "6902083881405").await,
    ];
    assert_eq!(ids, [1, 2, 3], "the fixture sale's products");
    ids
}

#[tokio::test]
async fn slow_movers_shrinkage_and_days_of_cover_follow_what_arrived_sold_and_went() {
    let app = spawn_app().await;
    let [cola, tea, water] = products(&app).await;
    let b1 = app.branch("B001").await;
    let b2 = app.branch("B002").await;
    let (till, token) = app.enrolled_till(b1).await;
    // Ten of each at B001: cola at ¥1.00, tea at ¥2.00, water at ¥0.50.
    let lines = json!([
        {"product_id": cola, "qty": 10_000, "unit_cost": 100},
        {"product_id": tea, "qty": 10_000, "unit_cost": 200},
        {"product_id": water, "qty": 10_000, "unit_cost": 50},
    ]);
    app.post("/api/v1/stock/receipts", &app.admin, json!({"branch_id": b1.0, "lines": lines}))
        .await
        .expect(StatusCode::CREATED);
    // A till sells cola ×1 and tea ×2, and the cola again on a line of its own: two movements
    // of one product in one sale, its level moved by both.
    let sale = with_a_line_again(hq_server::fixtures::sale(&till, 1, 2, 1), 0);
    push_one(&app, &till, &token, 1, Event::SaleCompleted(sale)).await;
    let level = app.get(&format!("/api/v1/stock/{}/{cola}", b1.0), &app.admin).await.expect(StatusCode::OK);
    assert_eq!(level.body["level"]["on_hand"], 8_000, "{}", level.body);
    let sold: Vec<(i64, i64)> = level.body["movements"]
        .as_array()
        .expect("movements")
        .iter()
        .filter(|m| m["kind"] == "sale")
        .map(|m| (m["qty"].as_i64().expect("qty"), m["unit_cost"].as_i64().expect("cost")))
        .collect();
    assert_eq!(sold, vec![(-1000, 100), (-1000, 100)], "a movement a line, each at the average cost");

    // Water never sold: the only slow mover, ¥5.00 on the shelf.
    let slow = app.get("/api/v1/stock-reports/slow-movers?days=30", &app.admin).await.expect(StatusCode::OK);
    assert_eq!(slow.body.as_array().expect("list").len(), 1, "{}", slow.body);
    assert_eq!(row(&slow.body, water)["days_since_sale"], Value::Null);
    assert_eq!(row(&slow.body, water)["level"]["value"], 500);

    // Over 28 days cola sold 2 and has 8 (112 days), tea sold 2 and has 8 too: the same cover,
    // then water, which did not sell.
    let cover = app
        .get(&format!("/api/v1/stock-reports/cover?branch_id={}&days=28", b1.0), &app.admin)
        .await
        .expect(StatusCode::OK);
    let order: Vec<(i64, Value)> = cover
        .body
        .as_array()
        .expect("list")
        .iter()
        .map(|r| (r["level"]["product_id"].as_i64().expect("id"), r["cover_days"].clone()))
        .collect();
    assert_eq!(order, vec![(cola, json!(112)), (tea, json!(112)), (water, Value::Null)], "{}", cover.body);
    assert_eq!(row(&cover.body, cola)["sold"], 2000);

    // Goods gone without a sale: a water damaged, two colas stolen.
    for (product, qty, reason) in [(water, 1000, "damage"), (cola, 2000, "theft")] {
        let body = json!({"branch_id": b1.0, "product_id": product, "qty": qty, "reason": reason});
        app.post("/api/v1/stock/write-offs", &app.admin, body).await.expect(StatusCode::CREATED);
    }
    let shrink = app.get("/api/v1/stock-reports/shrinkage", &app.admin).await.expect(StatusCode::OK);
    let causes: Vec<(i64, &str, i64, i64, i64)> = shrink
        .body
        .as_array()
        .expect("list")
        .iter()
        .map(|r| {
            (
                r["branch_id"].as_i64().expect("branch"),
                r["cause"].as_str().expect("cause"),
                r["movements"].as_i64().expect("n"),
                r["lost"].as_i64().expect("lost"),
                r["found"].as_i64().expect("found"),
            )
        })
        .collect();
    assert_eq!(causes, vec![(b1.0, "damage", 1, 50, 0), (b1.0, "theft", 1, 200, 0)], "{}", shrink.body);
    // Cover after the theft: cola has 6 left, 84 days.
    let cover =
        app.get(&format!("/api/v1/stock-reports/cover?branch_id={}", b1.0), &app.admin).await.expect(StatusCode::OK);
    assert_eq!(row(&cover.body, cola)["cover_days"], 84);

    // The console's page shows the same three reports.
    let (status, _, page) =
        crate::helpers::console_as_admin(&app, "GET", &format!("/console/stock/reports?branch={}", b1.0), None).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let slow = crate::member_pages_content::inside(&page, "slow-movers", "table");
    assert!(slow.contains("data-product=\"3\"") && !slow.contains("data-product=\"1\""), "{slow}");
    assert!(slow.contains("从未销售"), "{slow}");
    let shrink = crate::member_pages_content::inside(&page, "shrinkage", "table");
    assert!(shrink.contains("data-cause=\"theft\"") && shrink.contains("data-cause=\"damage\""), "{shrink}");
    assert!(page.contains(&format!("id=\"shrink-lost\">{}<", shared::Money(250))), "lost in all: ¥2.50");
    let cover = crate::member_pages_content::inside(&page, "cover", "table");
    let at = |p: &str| cover.find(&format!("data-product=\"{p}\"")).unwrap_or_else(|| panic!("{p} in {cover}"));
    assert!(at("1") < at("2") && at("2") < at("3"), "what runs out first first: {cover}");
    let (status, _, chain) = crate::helpers::console_as_admin(&app, "GET", "/console/stock/reports", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(chain.contains("id=\"cover-pick\""), "days of cover need a branch");

    // Another branch's manager sees their branch's (nothing), and never B001's.
    let mgr2 = app.user("mgr2", "branch_manager", Some(b2)).await;
    let theirs = app.get("/api/v1/stock-reports/slow-movers", &mgr2).await.expect(StatusCode::OK);
    assert_eq!(theirs.body, json!([]));
    let theirs = app.get("/api/v1/stock-reports/shrinkage", &mgr2).await.expect(StatusCode::OK);
    assert_eq!(theirs.body, json!([]));
    app.get("/api/v1/stock-reports/cover", &mgr2).await.expect(StatusCode::OK);
    for uri in [
        format!("/api/v1/stock-reports/slow-movers?branch_id={}", b1.0),
        format!("/api/v1/stock-reports/shrinkage?branch_id={}", b1.0),
        format!("/api/v1/stock-reports/cover?branch_id={}", b1.0),
    ] {
        app.get(&uri, &mgr2).await.expect(StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn stock_reports_refuse_what_they_cannot_answer() {
    let app = spawn_app().await;
    let b1 = app.branch("B001").await;
    for (uri, words) in [
        ("/api/v1/stock-reports/cover".to_owned(), "branch_id"),
        (format!("/api/v1/stock-reports/cover?branch_id={}&days=0", b1.0), "days"),
        ("/api/v1/stock-reports/slow-movers?days=3651".to_owned(), "days"),
        ("/api/v1/stock-reports/shrinkage?from=2026-11-30&to=2026-11-01".to_owned(), "from"),
    ] {
        let r = app.get(&uri, &app.admin).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{uri}: {}", r.body);
        assert!(r.body["message"].as_str().expect("message").contains(words), "{uri}: {}", r.body);
    }
}
