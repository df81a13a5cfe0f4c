//! Member coupons at HQ: campaigns (created, refused, ended, on the feed), issues to every kind of
//! audience, a member's coupons, the tills' holds (every refusal, retries, one hold between
//! concurrent tills), capture at ingest (by hold, offline, twice), and the coupons report. On both
//! stores (`TILLPOINT_TEST_PG`).

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use hq_server::fixtures::{TillRef, envelope};
use serde_json::{Value, json};
use shared::Money;
use shared::ids::{HoldId, SaleId};
use shared::pricing::CashRounding;
use shared::promotions::coupons::{Coupon, CouponCode};
use shared::promotions::{Customer, PromotionEngine, PromotionSet};
use shared::sale::{CompletedSale, PromotionContext, RedeemedCoupon, SaleTotals, TenderInput, price_sale_with, settle};
use shared::sync::Event;
use tower::ServiceExt;

use crate::helpers::{Reply, Req, TestApp, spawn_app};

/// 满50减5 on everything, 30 days from issue, 20 a till a day offline.
fn amount_off(name: &str) -> Value {
    json!({
        "name": name,
        "kind": {"kind": "amount_off", "scope": {"all_products": true}, "min_spend": 5000, "off": 500},
        "offline_cap": 20,
        "validity": {"kind": "days", "days": 30},
    })
}

async fn campaign(app: &TestApp, body: Value) -> u64 {
    let r = app.post("/api/v1/coupon-campaigns", &app.admin, body).await.expect(StatusCode::CREATED);
    r.body["campaign"]["id"].as_u64().expect("id")
}

/// Enrols a member by phone; returns (id, code).
async fn member(app: &TestApp, phone: &str, extra: Value) -> (String, String) {
    let mut body = json!({"phone": phone, "name": "测试会员"});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    let r = app.post("/api/v1/members", &app.admin, body).await.expect(StatusCode::OK);
    (r.body["id"].as_str().expect("id").to_owned(), r.body["code"].as_str().expect("code").to_owned())
}

async fn issue(app: &TestApp, campaign: u64, batch: &str, audience: Value) -> Value {
    let r = app
        .post(
            &format!("/api/v1/coupon-campaigns/{campaign}/issue"),
            &app.admin,
            json!({"batch": batch, "audience": audience}),
        )
        .await
        .expect(StatusCode::OK);
    r.body
}

/// The member's coupons as HQ staff see them.
async fn coupons_of(app: &TestApp, member: &str) -> Vec<Value> {
    let r = app.get(&format!("/api/v1/members/{member}/coupons"), &app.admin).await.expect(StatusCode::OK);
    r.body.as_array().expect("list").clone()
}

async fn till_send(app: &TestApp, token: &str, method: Method, uri: &str, body: Option<Value>) -> Reply {
    app.send(Req { method, uri: uri.into(), cookie: None, till_token: Some(token), body, from: None }).await
}

async fn hold(app: &TestApp, token: &str, hold: HoldId, code: &str, member: Option<&str>) -> Reply {
    let body = json!({"hold": hold, "sale": SaleId::new(), "code": code, "member": member});
    till_send(app, token, Method::POST, "/api/v1/till/coupons/holds", Some(body)).await
}

async fn release(app: &TestApp, token: &str, hold: HoldId) -> Reply {
    till_send(app, token, Method::POST, &format!("/api/v1/till/coupons/holds/{hold}/release"), None).await
}

/// A campaign issued to one new member: (campaign, member id, the coupon's code).
async fn one_coupon(app: &TestApp, phone: &str, body: Value) -> (u64, String, String) {
    let id = campaign(app, body).await;
    let (m, code) = member(app, phone, json!({})).await;
    let out = issue(app, id, "b1", json!({"kind": "members", "members": [code]})).await;
    assert_eq!(out["issued"], 1, "{out}");
    let list = coupons_of(app, &m).await;
    (id, m, list[0]["code"].as_str().expect("code").to_owned())
}

#[tokio::test]
async fn campaigns_are_created_on_the_feed_refused_naming_the_field_and_ended() {
    let app = spawn_app().await;
    let branch = app.branch("B001").await;
    let (_, token) = app.enrolled_till(branch).await;
    let audit = app.audit_count().await;
    let cases: Vec<(&str, Value)> = vec![
        ("kind.bp", json!({"kind": "percent_off", "scope": {"all_products": true}, "bp": 10_001})),
        ("kind.bp", json!({"kind": "percent_off", "scope": {"all_products": true}, "bp": 0})),
        ("kind.scope", json!({"kind": "percent_off", "scope": {}, "bp": 1000})),
        ("kind.off", json!({"kind": "amount_off", "scope": {"all_products": true}, "min_spend": 0, "off": 0})),
        ("kind.scope.products", json!({"kind": "amount_off", "scope": {"products": [987_654]}, "off": 100})),
        ("kind.scope.categories", json!({"kind": "percent_off", "scope": {"categories": [987_654]}, "bp": 100})),
        ("kind.product", json!({"kind": "fixed_price_item", "product": 987_654, "price": 100})),
    ];
    for (field, kind) in cases {
        let mut body = amount_off("坏券");
        body["kind"] = kind;
        let r = app.post("/api/v1/coupon-campaigns", &app.admin, body).await;
        assert!(r.status.is_client_error(), "{field}: {}", r.body);
        assert!(r.body["message"].as_str().unwrap_or("").contains(field), "{field}: {}", r.body);
    }
    let mut zero_cap = amount_off("坏券");
    zero_cap["offline_cap"] = json!(0);
    let r = app.post("/api/v1/coupon-campaigns", &app.admin, zero_cap).await;
    assert!(
        r.status.is_client_error() && r.body["message"].as_str().unwrap_or("").contains("offline_cap"),
        "{}",
        r.body
    );
    let mut backwards = amount_off("坏券");
    backwards["validity"] = json!({"kind": "dates", "from": "2026-12-31", "to": "2026-12-01"});
    app.post("/api/v1/coupon-campaigns", &app.admin, backwards).await.expect(StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .send(Req {
            method: Method::POST,
            uri: "/api/v1/coupon-campaigns".into(),
            cookie: Some(&app.admin),
            till_token: None,
            body: Some(json!("not a campaign")),
            from: None,
        })
        .await;
    assert!(r.status.is_client_error(), "{}", r.body);
    assert_eq!(app.audit_count().await, audit, "nothing refused was written");
    assert!(app.get("/api/v1/coupon-campaigns", &app.admin).await.body.as_array().is_some_and(Vec::is_empty));

    let id = campaign(&app, amount_off("满50减5")).await;
    let feed: Vec<Value> =
        app.pull_all(&token).await.into_iter().filter(|c| c["change"]["type"] == "coupon_campaign").collect();
    assert_eq!(feed.len(), 1, "{feed:?}");
    let pulled: shared::promotions::coupons::CouponCampaign =
        serde_json::from_value(feed[0]["change"]["data"].clone()).expect("a CouponCampaign");
    assert_eq!((pulled.name.as_str(), pulled.offline_cap, pulled.active), ("满50减5", Some(20), true));

    let one = app.get(&format!("/api/v1/coupon-campaigns/{id}"), &app.admin).await.expect(StatusCode::OK);
    assert_eq!(one.body["counts"]["issued"], 0);
    app.get("/api/v1/coupon-campaigns/999", &app.admin).await.expect(StatusCode::NOT_FOUND);
    let ended =
        app.post(&format!("/api/v1/coupon-campaigns/{id}/end"), &app.admin, json!({})).await.expect(StatusCode::OK);
    assert_eq!(ended.body["campaign"]["active"], false);
    app.post(&format!("/api/v1/coupon-campaigns/{id}/end"), &app.admin, json!({})).await.expect(StatusCode::CONFLICT);
    let feed: Vec<Value> =
        app.pull_all(&token).await.into_iter().filter(|c| c["change"]["type"] == "coupon_campaign").collect();
    assert_eq!((feed.len(), &feed[0]["change"]["data"]["active"]), (1, &json!(false)));
    // An ended campaign issues nothing.
    let r = app
        .post(
            &format!("/api/v1/coupon-campaigns/{id}/issue"),
            &app.admin,
            json!({"batch": "x", "audience": {"kind": "tier", "tier": "NORMAL"}}),
        )
        .await;
    r.expect(StatusCode::CONFLICT);
}

#[tokio::test]
async fn coupons_are_issued_to_each_audience_once_per_batch_with_bad_rows_reported() {
    let app = spawn_app().await;
    let id = campaign(&app, amount_off("满50减5")).await;
    let (a, a_code) = member(&app, "13800000001", json!({"birthday": "1990-05-17"})).await;
    let (b, _) = member(&app, "13800000002", json!({"birthday": "1985-11-02"})).await;
    let tier =
        app.get(&format!("/api/v1/members/{a}"), &app.admin).await.body["tier"].as_str().expect("a tier").to_owned();

    let out = issue(&app, id, "tier", json!({"kind": "tier", "tier": tier})).await;
    assert_eq!((out["issued"].as_u64(), out["already"].as_u64()), (Some(2), Some(0)));
    // The same batch again issues nothing twice.
    let again = issue(&app, id, "tier", json!({"kind": "tier", "tier": tier})).await;
    assert_eq!((again["issued"].as_u64(), again["already"].as_u64()), (Some(0), Some(2)));
    let out = issue(&app, id, "may", json!({"kind": "birthday_month", "month": 5})).await;
    assert_eq!(out["issued"], 1);
    let out = issue(&app, id, "quiet", json!({"kind": "inactive_days", "days": 30})).await;
    assert_eq!(out["issued"], 2, "neither has bought anything");
    app.post(
        &format!("/api/v1/coupon-campaigns/{id}/issue"),
        &app.admin,
        json!({"batch": "bad", "audience": {"kind": "birthday_month", "month": 13}}),
    )
    .await
    .expect(StatusCode::UNPROCESSABLE_ENTITY);
    app.post(
        &format!("/api/v1/coupon-campaigns/{id}/issue"),
        &app.admin,
        json!({"batch": "bad", "audience": {"kind": "tier", "tier": "NOSUCH"}}),
    )
    .await
    .expect(StatusCode::UNPROCESSABLE_ENTITY);

    // A CSV of codes and phones: bad rows come back with their reasons, the rest are issued.
    let csv = format!("member\n{a_code}\n13800000002\n99999999\n\n{a_code}\n");
    let send_csv = |batch: &'static str, body: String| {
        let req = Request::builder()
            .method(Method::POST)
            .uri(format!("/api/v1/coupon-campaigns/{id}/issue?batch={batch}"))
            .header("cookie", app.admin.clone())
            .header("content-type", "text/csv")
            .body(Body::from(body))
            .expect("request");
        let router = app.router.clone();
        async move {
            let resp = router.oneshot(req).await.expect("response");
            let status = resp.status();
            let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX).await.expect("body");
            (status, serde_json::from_slice::<Value>(&bytes).unwrap_or(Value::Null))
        }
    };
    let (status, out) = send_csv("csv", csv.clone()).await;
    assert_eq!(status, StatusCode::OK, "{out}");
    assert_eq!(out["issued"], 2, "{out}");
    let refused: Vec<(u64, String)> = out["refused"]
        .as_array()
        .expect("refused")
        .iter()
        .map(|r| (r["row"].as_u64().unwrap_or(0), r["reason"].as_str().unwrap_or("").to_owned()))
        .collect();
    assert_eq!(refused.len(), 2, "{out}");
    assert_eq!(refused[0].0, 3);
    assert!(refused[0].1.contains("no member"), "{refused:?}");
    assert!(refused[1].1.contains("twice"), "{refused:?}");
    let (_, again) = send_csv("csv", csv).await;
    assert_eq!((again["issued"].as_u64(), again["already"].as_u64()), (Some(0), Some(2)), "{again}");
    let (status, _) = send_csv("empty", String::new()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // A: tier, May, inactive, CSV; B: tier, inactive, CSV.
    assert_eq!(coupons_of(&app, &a).await.len(), 4);
    let bs = coupons_of(&app, &b).await;
    assert_eq!(bs.len(), 3);
    assert!(bs.iter().all(|c| c["status"] == "issued" && c["campaign_name"] == "满50减5"), "{bs:?}");
    let counts = app.get(&format!("/api/v1/coupon-campaigns/{id}"), &app.admin).await.body["counts"].clone();
    assert_eq!((counts["issued"].as_u64(), counts["outstanding"].as_u64()), (Some(7), Some(7)));
    app.get("/api/v1/members/not-a-uuid/coupons", &app.admin).await.expect(StatusCode::BAD_REQUEST);
    // An unknown campaign, a blank batch, a hostile list: refused, nothing issued.
    let audit = app.audit_count().await;
    app.post(
        "/api/v1/coupon-campaigns/999/issue",
        &app.admin,
        json!({"batch": "x", "audience": {"kind": "members", "members": ["13800000001"]}}),
    )
    .await
    .expect(StatusCode::NOT_FOUND);
    app.post(
        &format!("/api/v1/coupon-campaigns/{id}/issue"),
        &app.admin,
        json!({"batch": "  ", "audience": {"kind": "members", "members": ["13800000001"]}}),
    )
    .await
    .expect(StatusCode::UNPROCESSABLE_ENTITY);
    app.post(
        &format!("/api/v1/coupon-campaigns/{id}/issue"),
        &app.admin,
        json!({"batch": "x", "audience": {"kind": "members", "members": 7}}),
    )
    .await
    .expect(StatusCode::BAD_REQUEST);
    assert_eq!(app.audit_count().await, audit);
    assert_eq!(coupons_of(&app, &a).await.len(), 4);
}

#[tokio::test]
async fn a_hold_is_retry_safe_exclusive_released_and_refused_with_each_code() {
    let app = spawn_app().await;
    let branch = app.branch("B001").await;
    let (_, token) = app.enrolled_till(branch).await;
    let (_, other_token) = app.enrolled_till(branch).await;
    let (_, m, code) = one_coupon(&app, "13800000001", amount_off("满50减5")).await;
    let (stranger, _) = member(&app, "13800000009", json!({})).await;

    // The till lists it for the member, soonest to expire first.
    let usable = till_send(&app, &token, Method::GET, &format!("/api/v1/till/members/{m}/coupons"), None).await;
    let usable = usable.expect(StatusCode::OK);
    assert_eq!(usable.body["coupons"][0]["code"], code.as_str());
    let listed: shared::sync::MemberCouponsResponse = serde_json::from_value(usable.body).expect("response");
    assert_eq!(listed.coupons.len(), 1);

    let h = HoldId::new();
    let first = hold(&app, &token, h, &code.to_lowercase(), Some(&m)).await.expect(StatusCode::OK);
    let answer: shared::sync::CouponHoldResponse = serde_json::from_value(first.body.clone()).expect("answer");
    assert_eq!((answer.code.as_str(), answer.member.to_string()), (code.as_str(), m.clone()));
    let again = hold(&app, &token, h, &code, Some(&m)).await.expect(StatusCode::OK);
    assert_eq!(again.body, first.body, "a retry gets the same answer");
    // Held: not listed, and another till is refused.
    let usable = till_send(&app, &token, Method::GET, &format!("/api/v1/till/members/{m}/coupons"), None).await;
    assert!(usable.body["coupons"].as_array().is_some_and(Vec::is_empty));
    let r = hold(&app, &other_token, HoldId::new(), &code, None).await.expect(StatusCode::CONFLICT);
    assert_eq!(r.error_code(), shared::sync::coupon_refusal::HELD);
    release(&app, &other_token, h).await.expect(StatusCode::FORBIDDEN);
    release(&app, &token, h).await.expect(StatusCode::NO_CONTENT);
    release(&app, &token, h).await.expect(StatusCode::NO_CONTENT);
    release(&app, &token, HoldId::new()).await.expect(StatusCode::NO_CONTENT);
    let taken = HoldId::new();
    hold(&app, &other_token, taken, &code, None).await.expect(StatusCode::OK);
    // A hold whose time has passed may be taken over by another sale.
    let id1 = parsed_id(&code);
    app.store.raw(|c| Ok(c.execute("UPDATE coupons SET hold_expires_at = 1 WHERE id = ?1", [id1])?)).expect("lapse");
    hold(&app, &token, HoldId::new(), &code, Some(&m)).await.expect(StatusCode::OK);
    release(&app, &other_token, taken).await.expect(StatusCode::NO_CONTENT);
    let r = hold(&app, &other_token, HoldId::new(), &code, None).await.expect(StatusCode::CONFLICT);
    assert_eq!(r.error_code(), shared::sync::coupon_refusal::HELD, "releasing a lapsed hold frees nothing");

    // Each refusal.
    let refused = |r: Reply, code: &str| {
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
        assert_eq!(r.error_code(), code, "{}", r.body);
    };
    use shared::sync::coupon_refusal as c;
    let parsed = CouponCode::parse(&code).expect("code");
    let wrong_secret =
        CouponCode { secret: if parsed.secret == "00000" { "11111".into() } else { "00000".into() }, ..parsed.clone() };
    refused(hold(&app, &token, HoldId::new(), &wrong_secret.to_string(), None).await, c::UNKNOWN);
    let no_such = CouponCode { coupon: shared::promotions::coupons::CouponId(999_999), ..parsed.clone() };
    refused(hold(&app, &token, HoldId::new(), &no_such.to_string(), None).await, c::UNKNOWN);
    let (_, m2, code2) = one_coupon(&app, "13800000002", amount_off("另一券")).await;
    refused(hold(&app, &token, HoldId::new(), &code2, Some(&stranger)).await, c::OTHER_MEMBER);
    hold(&app, &token, HoldId::new(), "not a coupon", None).await.expect(StatusCode::UNPROCESSABLE_ENTITY);
    let typo = format!("{}{}", &code2[..code2.len() - 1], if code2.ends_with('0') { '1' } else { '0' });
    hold(&app, &token, HoldId::new(), &typo, None).await.expect(StatusCode::UNPROCESSABLE_ENTITY);

    let mut later = amount_off("明年券");
    later["validity"] = json!({"kind": "dates", "from": "2099-01-01", "to": "2099-12-31"});
    let (_, _, code3) = one_coupon(&app, "13800000003", later).await;
    refused(hold(&app, &token, HoldId::new(), &code3, None).await, c::NOT_YET_VALID);

    let (id4, _, code4) = one_coupon(&app, "13800000004", amount_off("将结束")).await;
    app.post(&format!("/api/v1/coupon-campaigns/{id4}/end"), &app.admin, json!({})).await.expect(StatusCode::OK);
    refused(hold(&app, &token, HoldId::new(), &code4, None).await, c::CAMPAIGN_ENDED);

    // Expired and used: the coupon's row as time and a sale leave it.
    let id2: i64 = parsed_id(&code2);
    app.store.raw(|c| Ok(c.execute("UPDATE coupons SET valid_until = 1 WHERE id = ?1", [id2])?)).expect("expire");
    refused(hold(&app, &token, HoldId::new(), &code2, Some(&m2)).await, c::EXPIRED);
    assert_eq!(coupons_of(&app, &m2).await[0]["status"], "expired");
    app.store
        .raw(|c| {
            Ok(c.execute(
                "UPDATE coupons SET valid_until = 9000000000000000, status = 'redeemed' WHERE id = ?1",
                [id2],
            )?)
        })
        .expect("use");
    refused(hold(&app, &token, HoldId::new(), &code2, Some(&m2)).await, c::USED);
}

fn parsed_id(code: &str) -> i64 {
    CouponCode::parse(code).expect("code").coupon.0 as i64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_holds_of_one_coupon_give_exactly_one() {
    let app = spawn_app().await;
    let branch = app.branch("B001").await;
    let mut tokens = Vec::new();
    for _ in 0..4 {
        tokens.push(app.enrolled_till(branch).await.1);
    }
    let (_, _, code) = one_coupon(&app, "13800000001", amount_off("满50减5")).await;
    let mut tasks = Vec::new();
    for i in 0..8 {
        let token = tokens[i % tokens.len()].clone();
        let router = app.router.clone();
        let body = json!({"hold": HoldId::new(), "sale": SaleId::new(), "code": code, "member": null});
        tasks.push(tokio::spawn(async move {
            let req = Request::builder()
                .method(Method::POST)
                .uri("/api/v1/till/coupons/holds")
                .header("x-till-token", token)
                .header("content-type", "application/json")
                .body(Body::from(serde_json::to_vec(&body).expect("json")))
                .expect("request");
            router.oneshot(req).await.expect("response").status()
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.expect("task"));
    }
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::OK).count(), 1, "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == StatusCode::OK || *s == StatusCode::CONFLICT), "{statuses:?}");

    // Two stores on one database (as two HQ processes), each with threads, on a fresh coupon.
    let (_, _, code) = one_coupon(&app, "13800000002", amount_off("另一券")).await;
    let parsed = CouponCode::parse(&code).expect("code");
    let (till, _) = app.enrolled_till(branch).await;
    let second = std::sync::Arc::new(app.db.open(hq_server::Clock::system()).expect("a second store"));
    let first = app.store.clone();
    let wins = tokio::task::spawn_blocking(move || {
        use hq_server::store::{BranchStore, CouponStore};
        let till = first.get_till(till.till).expect("till");
        let threads: Vec<_> = (0..8)
            .map(|i| {
                let store: std::sync::Arc<hq_server::SqlStore> =
                    if i % 2 == 0 { first.clone() } else { second.clone() };
                let (till, parsed, code) = (till.clone(), parsed.clone(), code.clone());
                std::thread::spawn(move || {
                    let req = shared::sync::CouponHoldRequest {
                        hold: HoldId::new(),
                        sale: SaleId::new(),
                        code,
                        member: None,
                    };
                    store.hold_coupon(&till, &req, &parsed, jiff::Timestamp::now()).expect("stored").is_ok()
                })
            })
            .collect();
        threads.into_iter().map(|t| t.join().expect("thread")).filter(|won| *won).count()
    })
    .await
    .expect("join");
    assert_eq!(wins, 1, "exactly one hold across stores and threads");
}

/// A sale of the fixture's goods priced with `coupon` (through the empty promotion set, as a till
/// without promotions prices coupons), paid in cash, recording the coupon with `hold`.
fn sale_with(till: &TillRef, seq: u32, coupon: &Coupon, code: &str, hold: Option<HoldId>) -> CompletedSale {
    sale_with_coupons(till, seq, &[(coupon.clone(), code.to_owned(), hold)])
}

/// [`sale_with`] with several coupons, each taking effect.
fn sale_with_coupons(till: &TillRef, seq: u32, taken: &[(Coupon, String, Option<HoldId>)]) -> CompletedSale {
    let base = hq_server::fixtures::sale(till, seq, 2, 1);
    let items: Vec<_> = base.lines.iter().map(|l| l.item.clone()).collect();
    let engine = PromotionEngine::new(PromotionSet { version: 0, promotions: Vec::new() });
    let at = base.completed_at.to_zoned(jiff::tz::TimeZone::get("Asia/Shanghai").expect("zone")).datetime();
    let coupons: Vec<Coupon> = taken.iter().map(|t| t.0.clone()).collect();
    let ctx = PromotionContext {
        engine: &engine,
        branch: till.branch,
        at,
        customer: Customer::default(),
        gifts: &[],
        coupons: &coupons,
    };
    let priced = price_sale_with(&items, None, None, Some(&ctx)).expect("priced");
    assert_eq!(priced.coupons.len(), taken.len(), "every coupon took effect");
    let total = priced.totals.total;
    let settled =
        settle(total, &[TenderInput::cash(Money((total.0 + 99) / 100 * 100))], CashRounding::None).expect("settled");
    let sale = CompletedSale {
        lines: priced.lines,
        totals: SaleTotals { rounding: settled.rounding, due: settled.due, ..priced.totals },
        tax: priced.tax,
        points_eligible_net: priced.points_eligible_net,
        promotions: priced.promotions,
        coupons: taken
            .iter()
            .zip(&priced.coupons)
            .map(|((coupon, code, hold), applied)| RedeemedCoupon {
                code: code.clone(),
                coupon: coupon.clone(),
                hold: *hold,
                discount: applied.discount,
            })
            .collect(),
        tenders: settled.tenders,
        change: settled.change,
        ..base
    };
    sale.check().expect("the sale adds up");
    sale
}

fn coupon_flags(app: &TestApp) -> Vec<String> {
    use hq_server::store::SyncStore;
    app.store
        .flagged_sales(hq_server::store::sql::coupons::COUPON_FLAG, None, 100)
        .expect("flags")
        .into_iter()
        .map(|f| f.flag)
        .collect()
}

fn repriced_flags(app: &TestApp) -> Vec<String> {
    use hq_server::store::SyncStore;
    app.store
        .flagged_sales(hq_server::event_checks::value::REPRICED_FLAG, None, 100)
        .expect("flags")
        .into_iter()
        .map(|f| f.flag)
        .collect()
}

#[tokio::test]
async fn sales_capture_their_coupons_once_offline_ones_by_code_and_a_reused_one_is_flagged() {
    let app = spawn_app().await;
    let branch = app.branch("B001").await;
    let (till, token) = app.enrolled_till(branch).await;
    let (id, m, code) = one_coupon(&app, "13800000001", amount_off("满50减5")).await;
    let usable = till_send(&app, &token, Method::GET, &format!("/api/v1/till/members/{m}/coupons"), None).await;
    let coupon: Coupon = serde_json::from_value(usable.body["coupons"][0]["coupon"].clone()).expect("coupon");

    // Held, then captured by the sale's event; the same event again captures nothing more.
    let h = HoldId::new();
    hold(&app, &token, h, &code, None).await.expect(StatusCode::OK);
    let sale = sale_with(&till, 1, &coupon, &code, Some(h));
    let discount = sale.totals.coupon_discounts;
    assert_eq!(discount, Money(500));
    let env = envelope(till.till, 1, Event::SaleCompleted(sale.clone()));
    let r = app.push(&token, till.till, vec![env.clone()]).await.expect(StatusCode::OK);
    assert_eq!(r.body["results"][0]["outcome"]["status"], "accepted", "{}", r.body);
    let r = app.push(&token, till.till, vec![env]).await.expect(StatusCode::OK);
    assert_eq!(r.body["results"][0]["outcome"]["status"], "duplicate", "{}", r.body);
    assert!(coupon_flags(&app).is_empty(), "{:?}", coupon_flags(&app));
    assert!(repriced_flags(&app).is_empty(), "an honest sale priced with set version 0: {:?}", repriced_flags(&app));
    let mine = coupons_of(&app, &m).await;
    assert_eq!(mine[0]["status"], "redeemed");
    assert_eq!(mine[0]["receipt_no"], sale.receipt_no.to_string());
    assert_eq!(mine[0]["discount"], 500);
    release(&app, &token, h).await.expect(StatusCode::CONFLICT);
    let r = hold(&app, &token, HoldId::new(), &code, None).await.expect(StatusCode::CONFLICT);
    assert_eq!(r.error_code(), shared::sync::coupon_refusal::USED);

    // The same coupon again, offline: the sale stands, flagged as used twice.
    let again = sale_with(&till, 2, &coupon, &code, None);
    let r = app.push(&token, till.till, vec![envelope(till.till, 2, Event::SaleCompleted(again))]).await;
    assert_eq!(r.expect(StatusCode::OK).body["results"][0]["outcome"]["status"], "accepted");
    let flags = coupon_flags(&app);
    assert_eq!(flags.len(), 1, "{flags:?}");
    assert!(flags[0].contains("used twice") && flags[0].contains(&sale.receipt_no.to_string()), "{flags:?}");

    // Another genuine coupon taken offline is redeemed by its code.
    let out = issue(&app, id, "b2", json!({"kind": "members", "members": ["13800000001"]})).await;
    assert_eq!(out["issued"], 1);
    let second = coupons_of(&app, &m).await.into_iter().find(|c| c["status"] == "issued").expect("a new coupon");
    let code2 = second["code"].as_str().expect("code").to_owned();
    let coupon2 = Coupon { id: CouponCode::parse(&code2).expect("code").coupon, ..coupon.clone() };
    let offline = sale_with(&till, 3, &coupon2, &code2, None);
    let r = app.push(&token, till.till, vec![envelope(till.till, 3, Event::SaleCompleted(offline.clone()))]).await;
    assert_eq!(r.expect(StatusCode::OK).body["results"][0]["outcome"]["status"], "accepted");
    assert_eq!(coupon_flags(&app).len(), 1, "{:?}", coupon_flags(&app));
    let redeemed = coupons_of(&app, &m).await.into_iter().find(|c| c["code"] == code2.as_str()).expect("coupon");
    assert_eq!(
        (redeemed["status"].as_str(), redeemed["receipt_no"].as_str()),
        (Some("redeemed"), Some(offline.receipt_no.to_string().as_str()))
    );

    // A code HQ never issued, and a bigger coupon than HQ's: accepted, flagged.
    let fake = CouponCode { secret: "ZZZZZ".into(), ..CouponCode::parse(&code2).expect("code") };
    let bigger = Coupon {
        kind: shared::promotions::coupons::CouponKind::AmountOff {
            scope: shared::promotions::Scope { all_products: true, ..Default::default() },
            min_spend: Money(0),
            off: Money(5000),
        },
        ..coupon2.clone()
    };
    let forged = sale_with(&till, 4, &bigger, &fake.to_string(), None);
    let r = app.push(&token, till.till, vec![envelope(till.till, 4, Event::SaleCompleted(forged))]).await;
    assert_eq!(r.expect(StatusCode::OK).body["results"][0]["outcome"]["status"], "accepted");
    let flags = coupon_flags(&app);
    assert!(flags.iter().any(|f| f.contains("HQ has no coupon with this code")), "{flags:?}");
    let repriced = repriced_flags(&app);
    assert_eq!(repriced.len(), 1, "HQ re-prices with its own 满50减5: {repriced:?}");

    // The report: HQ redeemed two coupons for ¥5 each, at B001; the sales report's coupons column
    // has every coupon the sales used, and gross less every discount is net.
    let day = sale.business_day;
    let q = |kind: &str| format!("/api/v1/reports/{kind}?from={day}&to={day}");
    let report = app.get(&q("coupons"), &app.admin).await.expect(StatusCode::OK).body;
    let col = |r: &Value, name: &str| -> usize {
        r["columns"].as_array().expect("columns").iter().position(|c| c["name"] == name).expect(name)
    };
    let rows = report["rows"].as_array().expect("rows").clone();
    let branch_row = rows
        .iter()
        .find(|r| r[2] == "B001" && r[0].as_str().and_then(|s| s.parse::<u64>().ok()) == Some(id))
        .expect("the branch's row");
    assert_eq!(
        (branch_row[col(&report, "redeemed")].as_i64(), branch_row[col(&report, "discount")].as_i64()),
        (Some(2), Some(1000))
    );
    let campaign_row = rows
        .iter()
        .find(|r| r[0].as_str().and_then(|s| s.parse::<u64>().ok()) == Some(id) && r[2] == "")
        .expect("the campaign's row");
    assert_eq!(campaign_row[col(&report, "issued")], 2);
    assert_eq!(campaign_row[col(&report, "outstanding")], 0);
    let sales = app.get(&q("sales_by_branch"), &app.admin).await.expect(StatusCode::OK).body;
    let row = &sales["rows"][0];
    let get = |name: &str| row[col(&sales, name)].as_i64().expect(name);
    assert_eq!(get("coupon_discounts"), 500 + 500 + 500 + 5000);
    // Redeemed and flagged together are the sales' coupons: the coupons report ties out.
    let (redeemed, flagged): (i64, i64) = rows
        .iter()
        .filter(|r| r[2] != "")
        .map(|r| {
            (
                r[col(&report, "discount")].as_i64().unwrap_or(0),
                r[col(&report, "flagged_discount")].as_i64().unwrap_or(0),
            )
        })
        .fold((0, 0), |(a, b), (x, y)| (a + x, b + y));
    assert_eq!(redeemed + flagged, get("coupon_discounts"), "{report}");
    assert!(flagged > 0, "the doubtful coupons are counted apart: {report}");
    assert_eq!(
        get("gross") - get("member_savings") - get("promotion_discounts") - get("coupon_discounts") - get("discounts"),
        get("net")
    );
    let discounts = app.get(&q("discounts"), &app.admin).await.expect(StatusCode::OK).body;
    let d = &discounts["rows"][0];
    let dget = |name: &str| d[col(&discounts, name)].as_i64().expect(name);
    assert_eq!(dget("coupon_discounts"), get("coupon_discounts"));
    assert_eq!(
        dget("all_discounts"),
        dget("member_savings")
            + dget("promotion_discounts")
            + dget("coupon_discounts")
            + dget("manual_discounts")
            + dget("order_discounts")
    );
}

#[tokio::test]
async fn offline_use_against_the_campaigns_rule_redeems_and_flags_and_a_lapsed_hold_still_captures() {
    let app = spawn_app().await;
    let branch = app.branch("B001").await;
    let (till, token) = app.enrolled_till(branch).await;
    let usable_coupon = |m: String| {
        let (app, token) = (&app, &token);
        async move {
            let r = till_send(app, token, Method::GET, &format!("/api/v1/till/members/{m}/coupons"), None).await;
            let c = &r.expect(StatusCode::OK).body["coupons"][0];
            let coupon: Coupon = serde_json::from_value(c["coupon"].clone()).expect("coupon");
            (coupon, c["code"].as_str().expect("code").to_owned())
        }
    };
    // One a till a day offline: the second is redeemed and flagged.
    let mut capped = amount_off("每日一张");
    capped["offline_cap"] = json!(1);
    let (id, m, _) = one_coupon(&app, "13800000001", capped).await;
    issue(&app, id, "b2", json!({"kind": "members", "members": ["13800000001"]})).await;
    for seq in 1..=2u32 {
        let (coupon, code) = usable_coupon(m.clone()).await;
        let sale = sale_with(&till, seq, &coupon, &code, None);
        let r =
            app.push(&token, till.till, vec![envelope(till.till, u64::from(seq), Event::SaleCompleted(sale))]).await;
        assert_eq!(r.expect(StatusCode::OK).body["results"][0]["outcome"]["status"], "accepted");
    }
    let flags = coupon_flags(&app);
    assert_eq!(flags.len(), 1, "{flags:?}");
    assert!(flags[0].contains("beyond the cap"), "{flags:?}");
    assert!(coupons_of(&app, &m).await.iter().all(|c| c["status"] == "redeemed"));

    // Online only: taken offline anyway, redeemed and flagged.
    let mut online = amount_off("仅在线");
    online["offline_cap"] = Value::Null;
    let (_, m2, _) = one_coupon(&app, "13800000002", online).await;
    let (coupon, code) = usable_coupon(m2.clone()).await;
    let sale = sale_with(&till, 3, &coupon, &code, None);
    app.push(&token, till.till, vec![envelope(till.till, 3, Event::SaleCompleted(sale))]).await.expect(StatusCode::OK);
    let flags = coupon_flags(&app);
    assert!(flags.iter().any(|f| f.contains("online use only")), "{flags:?}");
    assert_eq!(coupons_of(&app, &m2).await[0]["status"], "redeemed");

    // A hold that lapsed with nobody else taking the coupon is still captured, unflagged.
    let (_, m3, _) = one_coupon(&app, "13800000003", amount_off("慢慢付")).await;
    let (coupon, code) = usable_coupon(m3.clone()).await;
    let h = HoldId::new();
    hold(&app, &token, h, &code, Some(&m3)).await.expect(StatusCode::OK);
    let id3 = parsed_id(&code);
    app.store.raw(|c| Ok(c.execute("UPDATE coupons SET hold_expires_at = 1 WHERE id = ?1", [id3])?)).expect("lapse");
    let sale = sale_with(&till, 4, &coupon, &code, Some(h));
    app.push(&token, till.till, vec![envelope(till.till, 4, Event::SaleCompleted(sale))]).await.expect(StatusCode::OK);
    assert_eq!(coupons_of(&app, &m3).await[0]["status"], "redeemed");
    assert_eq!(coupon_flags(&app).len(), 2, "{:?}", coupon_flags(&app));

    // The console lists the flagged sales beside the campaigns.
    let (_, _, page) = console(&app, "GET", "/console/coupons", None).await;
    assert!(page.contains("flagged-coupons") && page.contains("beyond the cap"), "{page}");
}

#[tokio::test]
async fn a_sale_with_coupons_but_no_promotion_record_is_flagged() {
    let app = spawn_app().await;
    let branch = app.branch("B001").await;
    let (till, token) = app.enrolled_till(branch).await;
    let (_, m, code) = one_coupon(&app, "13800000001", amount_off("满50减5")).await;
    let usable = till_send(&app, &token, Method::GET, &format!("/api/v1/till/members/{m}/coupons"), None).await;
    let coupon: Coupon = serde_json::from_value(usable.body["coupons"][0]["coupon"].clone()).expect("coupon");
    let mut sale = sale_with(&till, 1, &coupon, &code, None);
    sale.promotions = None;
    let r = app.push(&token, till.till, vec![envelope(till.till, 1, Event::SaleCompleted(sale))]).await;
    assert_eq!(r.expect(StatusCode::OK).body["results"][0]["outcome"]["status"], "accepted");
    assert_eq!(repriced_flags(&app).len(), 1, "{:?}", repriced_flags(&app));
}

/// A console page or form post as the admin, in Chinese: (status, redirect, body).
async fn console(app: &TestApp, method: &str, uri: &str, form: Option<String>) -> (StatusCode, Option<String>, String) {
    let mut b =
        Request::builder().method(method).uri(uri).header("cookie", &app.admin).header("accept-language", "zh-CN");
    let body = match form {
        Some(f) => {
            b = b.header("content-type", "application/x-www-form-urlencoded");
            Body::from(f)
        }
        None => Body::empty(),
    };
    let resp = app.router.clone().oneshot(b.body(body).expect("request")).await.expect("response");
    let status = resp.status();
    let location = resp.headers().get("location").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX).await.expect("body");
    (status, location, String::from_utf8_lossy(&bytes).into_owned())
}

#[tokio::test]
async fn the_console_creates_issues_ends_and_shows_a_members_coupons() {
    let app = spawn_app().await;
    let (m, m_code) = member(&app, "13800000001", json!({})).await;
    let (status, _, list) = console(&app, "GET", "/console/coupons", None).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let at = list.find("name=\"_csrf\" value=\"").expect("a CSRF field") + 20;
    let csrf = list[at..at + 32].to_owned();
    let form = |off: &str| {
        format!(
            "_csrf={csrf}&name=%E6%BB%A150%E5%87%8F5&kind=amount_off&min_spend=50&off={off}&all_products=1&days=30&offline_cap=20"
        )
    };
    // Zero off: refused naming the field, nothing created.
    let (status, location, body) = console(&app, "POST", "/console/coupons", Some(form("0"))).await;
    assert_eq!((status, location), (StatusCode::UNPROCESSABLE_ENTITY, None));
    assert!(body.contains("kind.off"), "{body}");
    assert!(app.get("/api/v1/coupon-campaigns", &app.admin).await.body.as_array().is_some_and(Vec::is_empty));
    let (_, location, _) = console(&app, "POST", "/console/coupons", Some(form("5"))).await;
    let location = location.expect("created, then sent to its page");
    let (_, _, page) = console(&app, "GET", &location, None).await;
    assert!(page.contains("满 ¥50.00 减 ¥5.00"), "{page}");

    // Issue from a pasted CSV: one good row, one unknown.
    let members = format!("member%0A{m_code}%0A99999999");
    let issue = format!("_csrf={csrf}&batch=console-1&audience=members&members={members}");
    let (status, _, page) = console(&app, "POST", &format!("{location}/issue"), Some(issue.clone())).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("本次发放 1 张") && page.contains("99999999"), "{page}");
    let (_, _, page) = console(&app, "POST", &format!("{location}/issue"), Some(issue)).await;
    assert!(page.contains("本次发放 0 张；1 位会员此批次已发过"), "a resubmitted form issues nothing twice: {page}");
    let (_, _, list) = console(&app, "GET", "/console/coupons", None).await;
    assert!(list.contains("满50减5"), "{list}");

    // The member's page lists the coupon with its code and status.
    let code = coupons_of(&app, &m).await[0]["code"].as_str().expect("code").to_owned();
    let (status, _, page) = console(&app, "GET", &format!("/console/members/{m}"), None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(&code) && page.contains("未使用"), "{page}");

    // Ended from its page.
    let (_, location2, _) = console(&app, "POST", &format!("{location}/end"), Some(format!("_csrf={csrf}"))).await;
    assert_eq!(location2.as_deref(), Some(location.as_str()));
    let (_, _, page) = console(&app, "GET", &location, None).await;
    assert!(page.contains("已结束") && !page.contains("id=\"issue\""), "{page}");
    let (status, _, _) = console(&app, "POST", &format!("{location}/end"), Some("_csrf=forged".into())).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

/// What the review of the coupon work found: a hold captures only for the till HQ gave it to and
/// for the coupon's own member, and a campaign's offline cap counts a sale's own earlier coupons.
#[tokio::test]
async fn a_hold_captures_for_its_own_till_and_member_and_the_cap_counts_a_sales_own_coupons() {
    let app = spawn_app().await;
    let branch = app.branch("B001").await;
    let (till, token) = app.enrolled_till(branch).await;
    let (other_till, other_token) = app.enrolled_till(branch).await;
    let usable = |m: String| {
        let (app, token) = (&app, &token);
        async move {
            let r = till_send(app, token, Method::GET, &format!("/api/v1/till/members/{m}/coupons"), None).await;
            let list = r.expect(StatusCode::OK).body["coupons"].as_array().expect("coupons").clone();
            list.iter()
                .map(|c| {
                    let coupon: Coupon = serde_json::from_value(c["coupon"].clone()).expect("coupon");
                    (coupon, c["code"].as_str().expect("code").to_owned())
                })
                .collect::<Vec<_>>()
        }
    };

    // Held without a member on the sale, the sale then names another member: not redeemed, flagged.
    let (_, owner, _) = one_coupon(&app, "13800000011", amount_off("本人专用")).await;
    let (someone, _) = member(&app, "13800000012", json!({})).await;
    let (coupon, code) = usable(owner.clone()).await.remove(0);
    let h = HoldId::new();
    hold(&app, &token, h, &code, None).await.expect(StatusCode::OK);
    let mut sale = sale_with(&till, 1, &coupon, &code, Some(h));
    let points_base = sale.points_eligible_net;
    sale.member = Some(shared::sale::SaleMember {
        member_id: Some(shared::ids::MemberId::parse(&someone).expect("id")),
        identifier: shared::member::MemberIdentifier::Phone(
            shared::member::Phone::parse("13800000012").expect("phone"),
        ),
        tier: None,
        points_base,
        points_earned: 0,
        policy_version: 1,
    });
    let r = app.push(&token, till.till, vec![envelope(till.till, 1, Event::SaleCompleted(sale))]).await;
    let body = r.expect(StatusCode::OK).body;
    assert_eq!(body["results"][0]["outcome"]["status"], "accepted", "{body}");
    assert!(coupon_flags(&app).iter().any(|f| f.contains("another member")), "{:?}", coupon_flags(&app));
    assert_ne!(coupons_of(&app, &owner).await[0]["status"], "redeemed");

    // Another till's hold id does not capture: the coupon is checked as taken offline.
    let (_, m2, _) = one_coupon(&app, "13800000013", amount_off("别的收银台")).await;
    let (coupon, code) = usable(m2.clone()).await.remove(0);
    let h = HoldId::new();
    hold(&app, &token, h, &code, None).await.expect(StatusCode::OK);
    let sale = sale_with(&other_till, 1, &coupon, &code, Some(h));
    let r =
        app.push(&other_token, other_till.till, vec![envelope(other_till.till, 1, Event::SaleCompleted(sale))]).await;
    assert_eq!(r.expect(StatusCode::OK).body["results"][0]["outcome"]["status"], "accepted");
    assert!(coupon_flags(&app).iter().any(|f| f.contains("for this till")), "{:?}", coupon_flags(&app));

    // Two coupons of a campaign allowing one a till a day, both on one sale taken offline.
    let mut capped = amount_off("每日一张");
    capped["offline_cap"] = json!(1);
    let (id, m3, _) = one_coupon(&app, "13800000014", capped).await;
    issue(&app, id, "b2", json!({"kind": "members", "members": ["13800000014"]})).await;
    let two: Vec<(Coupon, String, Option<HoldId>)> =
        usable(m3.clone()).await.into_iter().map(|(c, code)| (c, code, None)).collect();
    assert_eq!(two.len(), 2);
    let before = coupon_flags(&app).len();
    let sale = sale_with_coupons(&till, 2, &two);
    let r = app.push(&token, till.till, vec![envelope(till.till, 2, Event::SaleCompleted(sale))]).await;
    assert_eq!(r.expect(StatusCode::OK).body["results"][0]["outcome"]["status"], "accepted");
    let flags = coupon_flags(&app);
    assert_eq!(flags.len(), before + 1, "{flags:?}");
    assert!(flags.iter().any(|f| f.contains("beyond the cap")), "{flags:?}");
}
