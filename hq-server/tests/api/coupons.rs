//! Member coupons at HQ: campaigns (created, refused, ended, on the feed), issues to every kind of
//! audience, a member's coupons, the tills' holds (every refusal, retries, one hold between
//! concurrent tills), capture at ingest (by hold, offline, twice), and the coupons report. On both
//! stores (`TILLPOINT_TEST_PG`).

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use serde_json::{Value, json};
use shared::ids::{HoldId, SaleId};
use shared::promotions::coupons::CouponCode;
use tower::ServiceExt;

use crate::helpers::{Reply, Req, TestApp, console_as_admin, spawn_app};

/// 满50减5 on everything, 30 days from issue, 20 a till a day offline.
pub(crate) fn amount_off(name: &str) -> Value {
    json!({
        "name": name,
        "kind": {"kind": "amount_off", "scope": {"all_products": true}, "min_spend": 5000, "off": 500},
        "offline_cap": 20,
        "validity": {"kind": "days", "days": 30},
    })
}

pub(crate) async fn campaign(app: &TestApp, body: Value) -> u64 {
    let r = app.post("/api/v1/coupon-campaigns", &app.admin, body).await.expect(StatusCode::CREATED);
    r.body["campaign"]["id"].as_u64().expect("id")
}

/// Enrols a member by phone; returns (id, code).
pub(crate) async fn member(app: &TestApp, phone: &str, extra: Value) -> (String, String) {
    let mut body = json!({"phone": phone, "name": "测试会员"});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    let r = app.post("/api/v1/members", &app.admin, body).await.expect(StatusCode::OK);
    (r.body["id"].as_str().expect("id").to_owned(), r.body["code"].as_str().expect("code").to_owned())
}

pub(crate) async fn issue(app: &TestApp, campaign: u64, batch: &str, audience: Value) -> Value {
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
pub(crate) async fn coupons_of(app: &TestApp, member: &str) -> Vec<Value> {
    let r = app.get(&format!("/api/v1/members/{member}/coupons"), &app.admin).await.expect(StatusCode::OK);
    r.body.as_array().expect("list").clone()
}

pub(crate) async fn till_send(app: &TestApp, token: &str, method: Method, uri: &str, body: Option<Value>) -> Reply {
    app.send(Req { method, uri: uri.into(), cookie: None, till_token: Some(token), body, from: None }).await
}

pub(crate) async fn hold(app: &TestApp, token: &str, hold: HoldId, code: &str, member: Option<&str>) -> Reply {
    let body = json!({"hold": hold, "sale": SaleId::new(), "code": code, "member": member});
    till_send(app, token, Method::POST, "/api/v1/till/coupons/holds", Some(body)).await
}

pub(crate) async fn release(app: &TestApp, token: &str, hold: HoldId) -> Reply {
    till_send(app, token, Method::POST, &format!("/api/v1/till/coupons/holds/{hold}/release"), None).await
}

/// A campaign issued to one new member: (campaign, member id, the coupon's code).
pub(crate) async fn one_coupon(app: &TestApp, phone: &str, body: Value) -> (u64, String, String) {
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

pub(crate) fn parsed_id(code: &str) -> i64 {
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

#[tokio::test]
async fn the_console_creates_issues_ends_and_shows_a_members_coupons() {
    let app = spawn_app().await;
    let (m, m_code) = member(&app, "13800000001", json!({})).await;
    let (status, _, list) = console_as_admin(&app, "GET", "/console/coupons", None).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let at = list.find("name=\"_csrf\" value=\"").expect("a CSRF field") + 20;
    let csrf = list[at..at + 32].to_owned();
    let form = |off: &str| {
        format!(
            "_csrf={csrf}&name=%E6%BB%A150%E5%87%8F5&kind=amount_off&min_spend=50&off={off}&all_products=1&days=30&offline_cap=20"
        )
    };
    // Zero off: refused naming the field, nothing created.
    let (status, location, body) = console_as_admin(&app, "POST", "/console/coupons", Some(form("0"))).await;
    assert_eq!((status, location), (StatusCode::UNPROCESSABLE_ENTITY, None));
    assert!(body.contains("kind.off"), "{body}");
    assert!(app.get("/api/v1/coupon-campaigns", &app.admin).await.body.as_array().is_some_and(Vec::is_empty));
    let (_, location, _) = console_as_admin(&app, "POST", "/console/coupons", Some(form("5"))).await;
    let location = location.expect("created, then sent to its page");
    let (_, _, page) = console_as_admin(&app, "GET", &location, None).await;
    assert!(page.contains("满 ¥50.00 减 ¥5.00"), "{page}");

    // Issue from a pasted CSV: one good row, one unknown.
    let members = format!("member%0A{m_code}%0A99999999");
    let issue = format!("_csrf={csrf}&batch=console-1&audience=members&members={members}");
    let (status, _, page) = console_as_admin(&app, "POST", &format!("{location}/issue"), Some(issue.clone())).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("本次发放 1 张") && page.contains("99999999"), "{page}");
    let (_, _, page) = console_as_admin(&app, "POST", &format!("{location}/issue"), Some(issue)).await;
    assert!(page.contains("本次发放 0 张；1 位会员此批次已发过"), "a resubmitted form issues nothing twice: {page}");
    let (_, _, list) = console_as_admin(&app, "GET", "/console/coupons", None).await;
    assert!(list.contains("满50减5"), "{list}");

    // The member's page lists the coupon with its code and status.
    let code = coupons_of(&app, &m).await[0]["code"].as_str().expect("code").to_owned();
    let (status, _, page) = console_as_admin(&app, "GET", &format!("/console/members/{m}"), None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(&code) && page.contains("未使用"), "{page}");

    // Ended from its page.
    let (_, location2, _) =
        console_as_admin(&app, "POST", &format!("{location}/end"), Some(format!("_csrf={csrf}"))).await;
    assert_eq!(location2.as_deref(), Some(location.as_str()));
    let (_, _, page) = console_as_admin(&app, "GET", &location, None).await;
    assert!(page.contains("已结束") && !page.contains("id=\"issue\""), "{page}");
    let (status, _, _) = console_as_admin(&app, "POST", &format!("{location}/end"), Some("_csrf=forged".into())).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
