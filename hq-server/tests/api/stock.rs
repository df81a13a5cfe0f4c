//! Stock per branch: what the tills' sales and refunds move as HQ ingests them, goods written
//! off, the levels' filters, and stock at cost. On both stores (the suite's PostgreSQL pass).

use axum::http::StatusCode;
use hq_server::fixtures::TillRef;
use hq_server::model::Actor;
use hq_server::store::StockStore as _;
use serde_json::{Value, json};
use shared::catalog::ProductId;
use shared::ids::{RefundId, StaffId};
use shared::money::{Bp, Money, Qty};
use shared::receipt::ReceiptNo;
use shared::sale::{Refund, RefundKind, RefundLine, ReturnPick, Tender, TenderKind};
use shared::staff::StaffRole;
use shared::sync::Event;

use crate::helpers::{TestApp, spawn_app};
use crate::members::{push_one, refund_of};

/// Three products (ids 1–3, the ones `fixtures::sale` sells).
async fn catalog(app: &TestApp) -> [i64; 3] {
    let ids = [
        app.product("COLA", "6901234567892").await,
        app.product("TEA", "6920152400012").await,
        app.product("WATER", "6902083881405").await,
    ];
    assert_eq!(ids, [1, 2, 3], "the fixture sale's products");
    ids
}

/// One piece of `product` brought back without a receipt at `till`'s branch for `price`, in cash.
fn no_receipt_return(till: &TillRef, manager: StaffId, product: i64, price: i64) -> Refund {
    let now = jiff::Timestamp::now();
    Refund {
        id: RefundId::new(),
        kind: RefundKind::NoReceipt,
        sale: None,
        original_receipt: None,
        receipt_no: ReceiptNo::new(&till.branch_code, till.number, 1),
        branch: till.branch,
        till: till.till,
        shift: shared::ids::ShiftId::new(),
        cashier: StaffId(1),
        approved_by: Some(manager),
        refunded_at: now,
        business_day: hq_server::admin::default_branch(&till.branch_code, "").business_day(now),
        reason: "无小票退货".into(),
        lines: vec![RefundLine {
            sale_line: None,
            product_id: ProductId(product),
            name: "可口可乐 330ml".into(),
            vat: Bp(1300),
            qty: Qty::ONE,
            amount: Money(price),
            points_eligible: true,
        }],
        total: Money(price),
        rounding: Money::ZERO,
        tenders: vec![Tender {
            kind: TenderKind::Cash,
            amount: Money(price),
            tendered: Money(price),
            reference: None,
            points: 0,
            stored_value: None,
            hold: None,
            authorization: None,
        }],
        points_taken_back: 0,
        points_restored: 0,
        member: None,
        tax: vec![],
        clawback: Money::ZERO,
        clawback_waived: false,
    }
}

/// A branch and product's on hand, in thousandths, through the API.
async fn on_hand(app: &TestApp, branch: i64, product: i64) -> i64 {
    let r = app.get(&format!("/api/v1/stock/{branch}/{product}"), &app.admin).await.expect(StatusCode::OK);
    let movements: i64 =
        r.body["movements"].as_array().expect("movements").iter().map(|m| m["qty"].as_i64().expect("qty")).sum();
    let level = r.body["level"]["on_hand"].as_i64().expect("on hand");
    assert_eq!(level, movements, "the level is the sum of its movements: {}", r.body);
    level
}

#[tokio::test]
async fn sales_and_refunds_move_stock_as_they_are_ingested_dated_when_they_were_made() {
    let app = spawn_app().await;
    catalog(&app).await;
    let b1 = app.branch("B001").await;
    let b2 = app.branch("B002").await;
    let (till, token) = app.enrolled_till(b1).await;
    let (till2, token2) = app.enrolled_till(b2).await;

    // Three lines: product 1 ×1, 2 ×2, 3 ×1, made an hour before HQ hears of it (offline till).
    let mut sale = hq_server::fixtures::sale(&till, 1, 3, 1);
    let made = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(1);
    sale.completed_at = made;
    push_one(&app, &till, &token, 1, Event::SaleCompleted(sale.clone())).await;
    assert_eq!(on_hand(&app, b1.0, 1).await, -1000);
    assert_eq!(on_hand(&app, b1.0, 2).await, -2000);
    let r = app.get(&format!("/api/v1/stock/{}/2", b1.0), &app.admin).await.expect(StatusCode::OK);
    let m = &r.body["movements"][0];
    assert_eq!(m["kind"], "sale");
    assert_eq!(m["source"], format!("sale:{}", sale.id));
    assert_eq!(m["source_line"], 2);
    assert_eq!(m["actor"], format!("till:{}", till.till.0));
    let at = m["at"].as_str().expect("at").parse::<jiff::Timestamp>().expect("time");
    assert_eq!(at.as_microsecond(), made.as_microsecond(), "the sale's time");
    assert_eq!(m["business_day"], sale.business_day.to_string());

    // The same push again moves nothing more (the event is stored once).
    let again = hq_server::fixtures::envelope(till.till, 1, Event::SaleCompleted(sale.clone()));
    app.push(&token, till.till, vec![again]).await.expect(StatusCode::OK);
    assert_eq!(on_hand(&app, b1.0, 2).await, -2000);

    // One of the two of product 2 comes back at the branch that sold it.
    let back = refund_of(&sale, &[ReturnPick { line: 1, qty: Qty::ONE }], &[]);
    push_one(&app, &till, &token, 2, Event::SaleRefunded(back.clone())).await;
    assert_eq!(on_hand(&app, b1.0, 2).await, -1000);
    let r = app.get(&format!("/api/v1/stock/{}/2", b1.0), &app.admin).await.expect(StatusCode::OK);
    assert_eq!(r.body["movements"][0]["kind"], "return");
    assert_eq!(r.body["movements"][0]["source"], format!("refund:{}", back.id));

    // A return without a receipt at another branch (its manager approving) puts the goods on
    // that branch's shelf.
    let s = app.store.clone();
    let manager = tokio::task::spawn_blocking(move || {
        hq_server::admin::add_staff(&*s, &Actor::system(), b2, "9001", "王店长", StaffRole::Manager, "9999")
    })
    .await
    .expect("join")
    .expect("manager");
    push_one(&app, &till2, &token2, 1, Event::SaleRefunded(no_receipt_return(&till2, manager.id, 1, 350))).await;
    assert_eq!(on_hand(&app, b1.0, 1).await, -1000, "sold at B001");
    assert_eq!(on_hand(&app, b2.0, 1).await, 1000, "came back at B002");

    // A whole sale voided puts every line back.
    let mut voided = hq_server::fixtures::sale(&till, 3, 1, 1);
    voided.completed_at = jiff::Timestamp::now();
    push_one(&app, &till, &token, 3, Event::SaleCompleted(voided.clone())).await;
    assert_eq!(on_hand(&app, b1.0, 1).await, -2000);
    let mut void = refund_of(&voided, &[ReturnPick { line: 0, qty: Qty::ONE }], &[]);
    void.kind = shared::sale::RefundKind::Void;
    push_one(&app, &till, &token, 4, Event::SaleVoided(void)).await;
    assert_eq!(on_hand(&app, b1.0, 1).await, -1000);

    // Newest first by when they happened: the voided sale (now) before the hour-old one.
    let r = app.get(&format!("/api/v1/stock/{}/1", b1.0), &app.admin).await.expect(StatusCode::OK);
    let kinds: Vec<&str> =
        r.body["movements"].as_array().expect("list").iter().map(|m| m["kind"].as_str().expect("kind")).collect();
    assert_eq!(kinds, ["return", "sale", "sale"]);
    // A product that never moved at a branch is not found.
    app.get(&format!("/api/v1/stock/{}/3", b2.0), &app.admin).await.expect(StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn goods_are_written_off_with_a_reason_and_bad_write_offs_change_nothing() {
    let app = spawn_app().await;
    catalog(&app).await;
    let b1 = app.branch("B001").await;
    let b2 = app.branch("B002").await;
    let write_off = |body: Value, cookie: String| {
        let app = &app;
        async move { app.post("/api/v1/stock/write-offs", &cookie, body).await }
    };
    let r = write_off(
        json!({"branch_id": b1.0, "product_id": 1, "qty": 3000, "reason": "damage", "note": "箱子压坏"}),
        app.admin.clone(),
    )
    .await
    .expect(StatusCode::CREATED);
    assert_eq!(
        (r.body["kind"].as_str(), r.body["qty"].as_i64(), r.body["reason"].as_str()),
        (Some("write_off"), Some(-3000), Some("damage"))
    );
    assert_eq!(on_hand(&app, b1.0, 1).await, -3000);
    let audit = app.audit_count().await;

    for (body, field) in [
        (json!({"branch_id": b1.0, "product_id": 1, "qty": 0, "reason": "damage"}), "qty"),
        (json!({"branch_id": b1.0, "product_id": 1, "qty": -5, "reason": "damage"}), "qty"),
        (json!({"branch_id": b1.0, "product_id": 99, "qty": 1000, "reason": "theft"}), "product_id"),
        (json!({"branch_id": 999, "product_id": 1, "qty": 1000, "reason": "theft"}), "branch_id"),
        (json!({"branch_id": b1.0, "product_id": 1, "qty": 1000, "reason": "other"}), "note"),
        (json!({"branch_id": b1.0, "product_id": 1, "qty": 1000, "reason": "gift"}), "reason"),
    ] {
        let r = write_off(body.clone(), app.admin.clone()).await;
        assert!(
            r.status == StatusCode::UNPROCESSABLE_ENTITY || r.status == StatusCode::BAD_REQUEST,
            "{body}: {}",
            r.status
        );
        assert!(r.body["message"].as_str().expect("message").contains(field), "{body}: {}", r.body);
    }
    assert_eq!(on_hand(&app, b1.0, 1).await, -3000, "nothing written");
    assert_eq!(app.audit_count().await, audit, "nothing audited");

    // A branch manager writes off at their branch only; another branch is not theirs to see.
    let mgr = app.user("mgr1", "branch_manager", Some(b1)).await;
    write_off(json!({"branch_id": b1.0, "product_id": 2, "qty": 532, "reason": "expiry"}), mgr.clone())
        .await
        .expect(StatusCode::CREATED);
    write_off(json!({"branch_id": b2.0, "product_id": 2, "qty": 1000, "reason": "expiry"}), mgr.clone())
        .await
        .expect(StatusCode::NOT_FOUND);
    app.get(&format!("/api/v1/stock/{}/2", b2.0), &mgr).await.expect(StatusCode::NOT_FOUND);
    app.get(&format!("/api/v1/stock?branch_id={}", b2.0), &mgr).await.expect(StatusCode::NOT_FOUND);
    let mine = app.get("/api/v1/stock", &mgr).await.expect(StatusCode::OK);
    assert!(mine.body.as_array().expect("levels").iter().all(|l| l["branch_id"] == b1.0), "{}", mine.body);
    // The store keeps the write-off in the append-only ledger: it cannot be edited away.
    assert!(app.store.raw(|c| Ok(c.execute_batch("UPDATE stock_movements SET qty = 0")?)).is_err());
    assert!(app.store.raw(|c| Ok(c.execute_batch("DELETE FROM stock_movements")?)).is_err());
    assert_eq!(app.store.stock_level(b1, ProductId(2)).expect("level").on_hand, Qty(-532));

    // On PostgreSQL a point read runs outside a transaction, so the first to see a connection the
    // database closed (a restart) is the read itself: it is answered on a fresh connection.
    if app.db.is_postgres() {
        assert!(app.db.kill_connections() > 0, "HQ had connections open");
        let level = app.store.stock_level(b1, ProductId(2)).expect("read again");
        assert_eq!(level.on_hand, Qty(-532));
        let missing = app.store.stock_level(b1, ProductId(3));
        assert!(matches!(missing, Err(hq_server::store::StoreError::NotFound(_))), "{missing:?}");
    }
}

#[tokio::test]
async fn levels_filter_by_branch_search_and_below_zero_and_stock_at_cost_counts_what_is_there() {
    let app = spawn_app().await;
    catalog(&app).await;
    let b1 = app.branch("B001").await;
    let (till, token) = app.enrolled_till(b1).await;
    push_one(&app, &till, &token, 1, Event::SaleCompleted(hq_server::fixtures::sale(&till, 1, 2, 1))).await;

    let all = app.get("/api/v1/stock", &app.admin).await.expect(StatusCode::OK);
    let codes: Vec<&str> =
        all.body.as_array().expect("levels").iter().map(|l| l["product_code"].as_str().expect("code")).collect();
    assert_eq!(codes, ["COLA", "TEA"]);
    let neg = app.get("/api/v1/stock?negative=true", &app.admin).await.expect(StatusCode::OK);
    assert_eq!(neg.body.as_array().expect("levels").len(), 2, "both oversold");
    let found = app.get("/api/v1/stock?q=tea", &app.admin).await.expect(StatusCode::OK);
    assert_eq!(found.body.as_array().expect("levels").len(), 1, "case-insensitive search by code: {}", found.body);
    let page = app
        .get(&format!("/api/v1/stock?limit=1&after_branch={}&after_product=1", b1.0), &app.admin)
        .await
        .expect(StatusCode::OK);
    assert_eq!(page.body[0]["product_code"], "TEA");
    app.get("/api/v1/stock?after_branch=1", &app.admin).await.expect(StatusCode::UNPROCESSABLE_ENTITY);

    let value = app.get("/api/v1/stock/value", &app.admin).await.expect(StatusCode::OK);
    assert_eq!(value.body[0]["branch_code"], "B001");
    assert_eq!(
        (value.body[0]["products"].as_i64(), value.body[0]["negative"].as_i64(), value.body[0]["value"].as_i64()),
        (Some(2), Some(2), Some(0))
    );
}
