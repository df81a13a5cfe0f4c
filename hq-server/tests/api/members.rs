//! The member side of HQ through HTTP: registry, till lookups, holds, top-ups, ingest of sales and
//! refunds into the ledger, offline attribution, merges, policy versions, reports (the daily job
//! is in `daily_job.rs`).

use axum::http::{Method, StatusCode};
use hq_server::fixtures::TillRef;
use hq_server::store::{MemberStore, PolicyStore};
use jiff::Timestamp;
use serde_json::{Value, json};
use shared::Money;
use shared::catalog::MemberCode;
use shared::ids::{EventId, HoldId, MemberId, SaleId, ShiftId, StaffId};
use shared::member::{MemberIdentifier, Phone};
use shared::money::Qty;
use shared::pricing::CashRounding;
use shared::sale::{CompletedSale, Refund, ReturnPick, SaleMember, TenderInput, TenderKind, plan_refund, settle};
use shared::stored_value::SvSplit;
use shared::sync::{Event, MemberEnrolment};

use crate::helpers::{Req, TestApp, spawn_app};

pub(crate) const PHONE: &str = "13900001111";

pub(crate) async fn till_post(app: &TestApp, token: &str, uri: &str, body: Value) -> crate::helpers::Reply {
    app.send(Req {
        method: Method::POST,
        uri: uri.into(),
        cookie: None,
        till_token: Some(token),
        body: Some(body),
        from: None,
    })
    .await
}

/// A member created at HQ with `points` (an adjustment) and ¥200 + ¥20 of stored value.
pub(crate) async fn member_with(app: &TestApp, phone: &str, points: i64) -> (MemberId, String) {
    let r =
        app.post("/api/v1/members", &app.admin, json!({"phone": phone, "name": "陈小姐"})).await.expect(StatusCode::OK);
    let id = r.body["id"].as_str().expect("id").to_owned();
    let code = r.body["code"].as_str().expect("code").to_owned();
    app.post(
        &format!("/api/v1/members/{id}/adjustments"),
        &app.admin,
        json!({"points": points, "principal": 20_000, "bonus": 2_000, "reason": "opening balance"}),
    )
    .await
    .expect(StatusCode::OK);
    (MemberId::parse(&id).expect("uuid"), code)
}

/// A member sale of ¥`lines` lines, paid with the given tenders (cash covers the rest).
pub(crate) fn member_sale(
    till: &TillRef,
    seq: u32,
    member: Option<MemberId>,
    by: MemberIdentifier,
    extra: Vec<TenderInput>,
    points: i64,
) -> CompletedSale {
    let mut s = hq_server::fixtures::sale(till, seq, 3, 1);
    let total = s.totals.total;
    let paid: Money = extra.iter().map(|t| t.amount).sum();
    let mut inputs = extra;
    inputs.push(TenderInput::cash(Money((total - paid).0 + 500)));
    let settled = settle(total, &inputs, CashRounding::None).expect("settles");
    s.tenders = settled.tenders;
    s.totals.rounding = settled.rounding;
    s.totals.due = settled.due;
    s.change = settled.change;
    s.member = Some(SaleMember {
        member_id: member,
        identifier: by,
        tier: Some("regular".into()),
        points_base: shared::points::eligible_base(s.points_eligible_net, s.paid_by(TenderKind::Points)),
        points_earned: points,
        policy_version: 1,
    });
    s.check().expect("the test sale adds up");
    s
}

pub(crate) fn refund_of(sale: &CompletedSale, picks: &[ReturnPick], previous: &[Refund]) -> Refund {
    let plan = plan_refund(sale, previous, picks, CashRounding::None).expect("plan");
    let till = TillRef {
        till: sale.till,
        number: sale.receipt_no.till,
        branch: sale.branch,
        branch_code: sale.receipt_no.branch.clone(),
    };
    hq_server::fixtures::refund(sale, &till, sale.receipt_no.seq + 500 + previous.len() as u32, plan)
}

pub(crate) async fn push_one(app: &TestApp, till: &TillRef, token: &str, seq: u64, event: Event) {
    let r = app
        .push(token, till.till, vec![hq_server::fixtures::envelope(till.till, seq, event)])
        .await
        .expect(StatusCode::OK);
    assert_eq!(r.body["results"][0]["outcome"]["status"], "accepted", "{}", r.body);
}

#[tokio::test]
async fn the_registry_through_the_console() {
    let app = spawn_app().await;
    let branch = app.branch("B001").await;
    let r = app
        .post(
            "/api/v1/members",
            &app.admin,
            json!({"phone": PHONE, "name": "陈小姐", "birthday": "1990-05-17", "uid": "04a1b2c3"}),
        )
        .await;
    let m = r.expect(StatusCode::OK).body;
    assert_eq!(m["tier"], "regular", "new members start in the entry tier");
    assert_eq!(m["code"].as_str().map(str::len), Some(10));
    let id = m["id"].as_str().expect("id");
    // Search by phone, code prefix, part of the name.
    for q in [PHONE, &m["code"].as_str().expect("code")[..6], "小姐"] {
        let found =
            app.get(&format!("/api/v1/members?q={}", urlencode(q)), &app.admin).await.expect(StatusCode::OK).body;
        assert!(found.as_array().expect("list").iter().any(|x| x["id"] == id), "search `{q}`");
    }
    // The phone is unique.
    app.post("/api/v1/members", &app.admin, json!({"phone": PHONE, "name": "另一个"}))
        .await
        .expect(StatusCode::CONFLICT);
    // Bad input changes nothing.
    app.post("/api/v1/members", &app.admin, json!({"phone": "12345", "name": "x"}))
        .await
        .expect(StatusCode::UNPROCESSABLE_ENTITY);
    app.post("/api/v1/members", &app.admin, json!({"name": ""})).await.expect(StatusCode::UNPROCESSABLE_ENTITY);
    // A bank card's number is never a member code: the card readers refuse such a swipe.
    let card = app.post("/api/v1/members", &app.admin, json!({"name": "x", "code": "4111111111111111"})).await;
    assert!(card.body["message"].as_str().is_some_and(|m| m.contains("card number")), "{}", card.body);
    card.expect(StatusCode::UNPROCESSABLE_ENTITY);
    app.post("/api/v1/members", &app.admin, json!({"name": "x", "tier": "platinum"}))
        .await
        .expect(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.store.count_members().expect("count"), 1);
    // The registry is head office's: a branch manager (who enrols members at the till) neither
    // reads nor writes it here, as in the console.
    let mgr = app.user("mgr", "branch_manager", Some(branch)).await;
    app.post("/api/v1/members", &mgr, json!({"name": "王先生"})).await.expect(StatusCode::FORBIDDEN);
    app.get(&format!("/api/v1/members/{id}"), &mgr).await.expect(StatusCode::FORBIDDEN);
    // Finance reads but does not edit; adjustments need a reason.
    let fin = app.user("fin", "finance", None).await;
    app.patch(&format!("/api/v1/members/{id}"), &fin, json!({"name": "x"})).await.expect(StatusCode::FORBIDDEN);
    app.post(&format!("/api/v1/members/{id}/adjustments"), &fin, json!({"points": 10, "reason": " "}))
        .await
        .expect(StatusCode::UNPROCESSABLE_ENTITY);
    let adjusted = app
        .post(&format!("/api/v1/members/{id}/adjustments"), &fin, json!({"points": 250, "reason": "客诉补偿"}))
        .await
        .expect(StatusCode::OK)
        .body;
    assert_eq!(adjusted["points"], 250);
    let ledger = app.get(&format!("/api/v1/members/{id}/ledger"), &app.admin).await.expect(StatusCode::OK).body;
    assert_eq!(ledger[0]["kind"], "adjust");
    assert_eq!(ledger[0]["reason"], "客诉补偿");
    let lots = app.get(&format!("/api/v1/members/{id}/lots"), &app.admin).await.expect(StatusCode::OK).body;
    assert_eq!(lots[0]["remaining"], 250);
    assert!(lots[0]["expires_on"].is_string(), "rolling 12 months gives a lot an expiry");
    // A lost card is refused at the tills; a replacement works.
    app.put("/api/v1/member-cards/uid/04A1B2C3", &app.admin, json!({"status": "lost"})).await.expect(StatusCode::OK);
    let (till, token) = app.enrolled_till(branch).await;
    let _ = till;
    let refused =
        till_post(&app, &token, "/api/v1/till/members/lookup", json!({"by": {"by": "uid", "value": "04A1B2C3"}})).await;
    assert_eq!(refused.expect(StatusCode::CONFLICT).error_code(), "card_not_active");
    app.post(&format!("/api/v1/members/{id}/cards"), &app.admin, json!({"kind": "uid", "value": "04D5E6F7"}))
        .await
        .expect(StatusCode::OK);
    let found =
        till_post(&app, &token, "/api/v1/till/members/lookup", json!({"by": {"by": "uid", "value": "04d5e6f7"}})).await;
    assert_eq!(found.expect(StatusCode::OK).body["member"]["id"], id);
    let unknown =
        till_post(&app, &token, "/api/v1/till/members/lookup", json!({"by": {"by": "phone", "value": "13800000000"}}))
            .await;
    unknown.expect(StatusCode::NOT_FOUND);
    // Every change is in the audit log; balances agree with the ledger.
    assert!(app.audit_count().await > 5);
    assert!(app.store.check_balances().expect("check").is_empty());
}

fn urlencode(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

#[tokio::test]
async fn holds_reserve_and_release_and_top_ups_apply_once() {
    let app = spawn_app().await;
    let branch = app.branch("B001").await;
    let (_, token) = app.enrolled_till(branch).await;
    let (member, _) = member_with(&app, PHONE, 1_000).await;
    let lookup =
        till_post(&app, &token, "/api/v1/till/members/lookup", json!({"by": {"by": "phone", "value": PHONE}})).await;
    let snap = lookup.expect(StatusCode::OK).body;
    assert_eq!(snap["member"]["points"], 1_000);
    assert_eq!(snap["member"]["stored_value"]["principal"], 20_000);
    assert_eq!(snap["policy_version"], 1);
    // On PostgreSQL a lookup runs statement by statement, outside a transaction: after the
    // database closed HQ's connections (a restart), the lookup is answered on a fresh one.
    if app.db.is_postgres() {
        assert!(app.db.kill_connections() > 0, "HQ had connections open");
        let again =
            till_post(&app, &token, "/api/v1/till/members/lookup", json!({"by": {"by": "phone", "value": PHONE}}))
                .await;
        assert_eq!(again.expect(StatusCode::OK).body["member"]["points"], 1_000);
    }

    let hold = |points: i64| {
        json!({"hold": HoldId::new(), "member": member, "sale": SaleId::new(),
               "amount": {"kind": "points", "points": points, "value": points}})
    };
    let first = hold(700);
    let r = till_post(&app, &token, "/api/v1/till/holds", first.clone()).await.expect(StatusCode::OK);
    assert_eq!(r.body["points_available"], 300);
    // The same request again answers the same, holding nothing more.
    till_post(&app, &token, "/api/v1/till/holds", first.clone()).await.expect(StatusCode::OK);
    let short = till_post(&app, &token, "/api/v1/till/holds", hold(400)).await;
    assert_eq!(short.expect(StatusCode::CONFLICT).error_code(), "insufficient_points");
    let id = first["hold"].as_str().expect("id");
    let release = format!("/api/v1/till/holds/{id}/release");
    app.send(Req {
        method: Method::POST,
        uri: release.clone(),
        cookie: None,
        till_token: Some(&token),
        body: None,
        from: None,
    })
    .await
    .expect(StatusCode::NO_CONTENT);
    till_post(&app, &token, "/api/v1/till/holds", hold(1_000)).await.expect(StatusCode::OK);
    // Stored value: principal first.
    let sv = json!({"hold": HoldId::new(), "member": member, "sale": SaleId::new(), "amount": {"kind": "stored_value", "amount": 20_500}});
    let r = till_post(&app, &token, "/api/v1/till/holds", sv).await.expect(StatusCode::OK);
    assert_eq!(r.body["split"], json!({"principal": 20_000, "bonus": 500}));
    // A top-up of ¥500 earns the ¥60 bonus; its retry applies nothing twice.
    let topup = json!({"id": EventId::new(), "member": member, "amount": 50_000, "tender": "cash",
                       "shift": ShiftId::new(), "cashier": 1});
    let a = till_post(&app, &token, "/api/v1/till/topups", topup.clone()).await.expect(StatusCode::OK).body;
    let b = till_post(&app, &token, "/api/v1/till/topups", topup).await.expect(StatusCode::OK).body;
    assert_eq!(a, b);
    assert_eq!(a["split"], json!({"principal": 50_000, "bonus": 6_000}));
    assert_eq!(a["balance"], json!({"principal": 70_000, "bonus": 8_000}));
    // Bad requests.
    let bad = json!({"id": EventId::new(), "member": member, "amount": 0, "tender": "cash", "shift": ShiftId::new(), "cashier": 1});
    till_post(&app, &token, "/api/v1/till/topups", bad).await.expect(StatusCode::UNPROCESSABLE_ENTITY);
    let nobody = json!({"hold": HoldId::new(), "member": MemberId::new(), "sale": SaleId::new(), "amount": {"kind": "points", "points": 1, "value": 1}});
    till_post(&app, &token, "/api/v1/till/holds", nobody).await.expect(StatusCode::NOT_FOUND);
    app.post("/api/v1/till/holds", &app.admin, hold(1)).await.expect(StatusCode::UNAUTHORIZED);
    assert!(app.store.check_balances().expect("check").is_empty());
}

#[tokio::test]
async fn a_sale_and_its_refunds_move_the_ledger_exactly() {
    let app = spawn_app().await;
    let branch = app.branch("B001").await;
    let (till, token) = app.enrolled_till(branch).await;
    let (member, code) = member_with(&app, PHONE, 1_000).await;
    // Hold 200 points (¥2) and ¥3 of stored value for the sale, then the sale's event captures them.
    let (ph, sh, sale_id) = (HoldId::new(), HoldId::new(), SaleId::new());
    till_post(&app, &token, "/api/v1/till/holds", json!({"hold": ph, "member": member, "sale": sale_id, "amount": {"kind": "points", "points": 200, "value": 200}})).await.expect(StatusCode::OK);
    till_post(
        &app,
        &token,
        "/api/v1/till/holds",
        json!({"hold": sh, "member": member, "sale": sale_id, "amount": {"kind": "stored_value", "amount": 300}}),
    )
    .await
    .expect(StatusCode::OK);
    let tenders = vec![
        TenderInput {
            kind: TenderKind::Points,
            amount: Money(200),
            reference: None,
            points: 200,
            stored_value: None,
            hold: Some(ph),
            authorization: None,
        },
        TenderInput {
            kind: TenderKind::StoredValue,
            amount: Money(300),
            reference: None,
            points: 0,
            stored_value: Some(SvSplit { principal: Money(300), bonus: Money::ZERO }),
            hold: Some(sh),
            authorization: None,
        },
    ];
    let by = MemberIdentifier::Code(MemberCode::parse(&code).expect("code"));
    let mut sale = member_sale(&till, 1, Some(member), by, tenders, 42);
    sale.id = sale_id;
    let envelope = hq_server::fixtures::envelope(till.till, 1, Event::SaleCompleted(sale.clone()));
    let r = app.push(&token, till.till, vec![envelope.clone()]).await.expect(StatusCode::OK);
    assert_eq!(r.body["results"][0]["outcome"]["status"], "accepted", "{}", r.body);
    let m = app.store.get_member(member).expect("member");
    assert_eq!(m.points, 1_000 - 200 + 42);
    assert_eq!(m.stored_value.principal, Money(20_000 - 300));
    // The holds were captured: releasing one now is refused.
    let r = app
        .send(Req {
            method: Method::POST,
            uri: format!("/api/v1/till/holds/{ph}/release"),
            cookie: None,
            till_token: Some(&token),
            body: None,
            from: None,
        })
        .await;
    assert_eq!(r.expect(StatusCode::CONFLICT).error_code(), "hold_captured");
    // Pushing the same event again is a duplicate and changes nothing.
    let ledger_before =
        app.get(&format!("/api/v1/members/{member}/ledger"), &app.admin).await.expect(StatusCode::OK).body;
    let again = app.push(&token, till.till, vec![envelope]).await.expect(StatusCode::OK);
    assert_eq!(again.body["results"][0]["outcome"]["status"], "duplicate", "{}", again.body);
    let after = app.store.get_member(member).expect("member");
    assert_eq!((after.points, after.stored_value), (m.points, m.stored_value));
    let ledger_after =
        app.get(&format!("/api/v1/members/{member}/ledger"), &app.admin).await.expect(StatusCode::OK).body;
    assert_eq!(ledger_after, ledger_before);
    // A partial return takes back part of the 42 and restores part of the 200 points.
    let first = refund_of(&sale, &[ReturnPick { line: 0, qty: Qty::ONE }], &[]);
    push_one(&app, &till, &token, 2, Event::SaleRefunded(first.clone())).await;
    let rest_picks: Vec<ReturnPick> = sale
        .lines
        .iter()
        .enumerate()
        .map(|(i, l)| ReturnPick { line: i, qty: Qty(l.priced.qty.0 - if i == 0 { 1_000 } else { 0 }) })
        .filter(|p| p.qty.0 > 0)
        .collect();
    let second = refund_of(&sale, &rest_picks, std::slice::from_ref(&first));
    push_one(&app, &till, &token, 3, Event::SaleRefunded(second.clone())).await;
    assert_eq!(first.points_taken_back + second.points_taken_back, 42);
    assert_eq!(first.points_restored + second.points_restored, 200);
    let m = app.store.get_member(member).expect("member");
    assert_eq!(m.points, 1_000, "a full return leaves the points as they were");
    assert_eq!(m.stored_value.principal, Money(20_000), "stored value is back in its split");
    let kinds: Vec<String> =
        app.store.ledger(member, 100).expect("ledger").iter().map(|e| e.kind.code().to_owned()).collect();
    for k in ["adjust", "redeem", "spend", "earn", "reverse", "restore", "refund"] {
        assert!(kinds.iter().any(|x| x == k), "{k} in {kinds:?}");
    }
    assert!(app.store.check_balances().expect("check").is_empty());
}

#[tokio::test]
async fn a_sale_for_an_unknown_member_is_credited_when_they_appear() {
    let app = spawn_app().await;
    let branch = app.branch("B001").await;
    let (till, token) = app.enrolled_till(branch).await;
    let by = MemberIdentifier::Phone(Phone::parse("13712345678").expect("phone"));
    let sale = member_sale(&till, 1, None, by, vec![], 77);
    push_one(&app, &till, &token, 1, Event::SaleCompleted(sale)).await;
    let r = app
        .post("/api/v1/members", &app.admin, json!({"phone": "13712345678", "name": "新会员"}))
        .await
        .expect(StatusCode::OK);
    assert_eq!(r.body["points"], 77, "the offline sale's points were credited on enrolment");
}

#[tokio::test]
async fn an_enrolment_with_a_known_phone_is_merged_and_the_till_learns_it() {
    let app = spawn_app().await;
    let branch = app.branch("B001").await;
    let (till, token) = app.enrolled_till(branch).await;
    let (existing, _) = member_with(&app, PHONE, 0).await;
    let provisional = MemberId::new();
    let enrol = MemberEnrolment {
        member: provisional,
        code: None,
        phone: Phone::parse(PHONE).expect("phone"),
        name: "陈小姐".into(),
        birthday: None,
        card_uid: None,
        enrolled_by: StaffId(1),
    };
    push_one(&app, &till, &token, 1, Event::MemberEnrolled(enrol)).await;
    let changes = app.pull_all(&token).await;
    let merged = changes.iter().find(|c| c["change"]["type"] == "member_merged").expect("a merge change");
    assert_eq!(merged["change"]["data"]["from"], provisional.to_string());
    assert_eq!(merged["change"]["data"]["into"], existing.to_string());
    // A sale the till made for the provisional member goes to the existing one.
    let sale =
        member_sale(&till, 1, Some(provisional), MemberIdentifier::Phone(Phone::parse(PHONE).expect("p")), vec![], 30);
    push_one(&app, &till, &token, 2, Event::SaleCompleted(sale)).await;
    assert_eq!(app.store.get_member(existing).expect("member").points, 30);
    // A new phone creates the member with the till's id, and its branch's tills get it.
    let fresh = MemberId::new();
    let enrol = MemberEnrolment {
        member: fresh,
        code: None,
        phone: Phone::parse("13600000001").expect("phone"),
        name: "李先生".into(),
        birthday: None,
        card_uid: None,
        enrolled_by: StaffId(1),
    };
    push_one(&app, &till, &token, 3, Event::MemberEnrolled(enrol)).await;
    assert_eq!(app.store.get_member(fresh).expect("created").home_branch, Some(branch));
    let changes = app.pull_all(&token).await;
    assert!(changes.iter().any(|c| c["change"]["type"] == "member" && c["change"]["data"]["id"] == fresh.to_string()));
}

#[tokio::test]
async fn policy_versions_preview_and_reach_the_tills() {
    let app = spawn_app().await;
    let branch = app.branch("B001").await;
    let (_, token) = app.enrolled_till(branch).await;
    let marketing = app.user("mkt", "marketing", None).await;
    let finance = app.user("fin", "finance", None).await;
    let mut policy = app.get("/api/v1/policies/current", &marketing).await.expect(StatusCode::OK).body;
    policy["earn"]["earn_per_yuan"] = json!(200);
    let preview = app.post("/api/v1/policies/preview", &marketing, json!({"policy": policy, "amount": 10_000})).await;
    let preview = preview.expect(StatusCode::OK).body;
    assert_eq!(preview[0]["points"], 200, "¥100 at 2 points per yuan, regular tier");
    assert_eq!(preview[2]["points"], 300, "gold 1.5×");
    assert_eq!(preview[0]["birthday_points"], 400);
    app.post("/api/v1/policies", &finance, policy.clone()).await.expect(StatusCode::FORBIDDEN);
    let mut bad = policy.clone();
    bad["redeem"]["points_per_yuan"] = json!(0);
    app.post("/api/v1/policies", &marketing, bad).await.expect(StatusCode::UNPROCESSABLE_ENTITY);
    policy["effective_from"] = json!(Timestamp::now().to_string());
    let v2 = app.post("/api/v1/policies", &marketing, policy).await.expect(StatusCode::OK).body;
    assert_eq!(v2["version"], 2);
    let list = app.get("/api/v1/policies", &finance).await.expect(StatusCode::OK).body;
    assert_eq!(list[0]["created_by"].as_str().map(|s| s.contains("mkt")), Some(true));
    let changes = app.pull_all(&token).await;
    let versions: Vec<i64> = changes
        .iter()
        .filter(|c| c["change"]["type"] == "policy")
        .filter_map(|c| c["change"]["data"]["version"].as_i64())
        .collect();
    assert_eq!(versions, vec![1, 2]);
}

#[tokio::test]
async fn reports_tie_out_to_the_events() {
    let app = spawn_app().await;
    let branch = app.branch("B001").await;
    let (till, token) = app.enrolled_till(branch).await;
    let (member, code) = member_with(&app, PHONE, 0).await;
    let mut sales = Vec::new();
    for seq in 1..=6u32 {
        let by = MemberIdentifier::Code(MemberCode::parse(&code).expect("code"));
        let s = if seq % 2 == 0 {
            member_sale(&till, seq, Some(member), by, vec![], i64::from(seq) * 10)
        } else {
            hq_server::fixtures::sale(&till, seq, 2 + seq as usize, 1 + (seq as usize % 2))
        };
        push_one(&app, &till, &token, u64::from(seq), Event::SaleCompleted(s.clone())).await;
        sales.push(s);
    }
    let refund = refund_of(&sales[1], &[ReturnPick { line: 0, qty: Qty::ONE }], &[]);
    push_one(&app, &till, &token, 7, Event::SaleRefunded(refund.clone())).await;
    let day = sales[0].business_day;
    let fin = app.user("fin", "finance", None).await;
    let report = |kind: &str| {
        let uri = format!("/api/v1/reports/{kind}?from={day}&to={day}");
        let fin = fin.clone();
        let app = &app;
        async move { app.get(&uri, &fin).await.expect(StatusCode::OK).body }
    };
    let col = |r: &Value, name: &str| {
        r["columns"].as_array().expect("columns").iter().position(|c| c["name"] == name).expect("column")
    };
    let due: i64 = sales.iter().map(|s| s.totals.due.0).sum();
    let paid_back = refund.paid_back().0;
    for kind in ["sales_by_branch", "sales_by_day", "sales_by_till", "sales_by_cashier"] {
        let r = report(kind).await;
        assert_eq!(r["totals"][col(&r, "due")], due, "{kind}");
        assert_eq!(r["totals"][col(&r, "sales")], 6, "{kind}");
        assert_eq!(r["totals"][col(&r, "refunded")], paid_back, "{kind}");
    }
    let lines_net: i64 = sales.iter().flat_map(|s| &s.lines).map(|l| l.net.0).sum();
    for kind in ["sales_by_category", "sales_by_product"] {
        let r = report(kind).await;
        assert_eq!(r["totals"][col(&r, "net")], lines_net, "{kind}");
        assert_eq!(r["totals"][col(&r, "returned")], refund.total.0, "{kind}");
    }
    let tenders = report("tenders").await;
    let taken: i64 = sales.iter().flat_map(|s| &s.tenders).map(|t| t.amount.0).sum();
    assert_eq!(tenders["totals"][col(&tenders, "taken")], taken);
    assert_eq!(tenders["totals"][col(&tenders, "net")], taken - paid_back);
    let refunds = report("refunds_and_voids").await;
    assert_eq!(refunds["totals"][col(&refunds, "paid_back")], paid_back);
    let discounts = report("discounts").await;
    let all: i64 = sales.iter().map(|s| s.totals.discounts().0).sum();
    assert_eq!(discounts["totals"][col(&discounts, "all_discounts")], all);
    let points = report("points").await;
    let earned: i64 = sales.iter().map(|s| s.points_earned()).sum();
    let earn_row = points["rows"].as_array().expect("rows").iter().find(|r| r[0] == "earn").expect("earn row");
    assert_eq!(earn_row[2], earned);
    let members = report("members").await;
    assert_eq!(members["totals"][col(&members, "member_sales")], 3);
    let top = report("top_customers").await;
    assert_eq!(top["rows"][0][0], code.as_str());
    // CSV, and branch managers see only their branch.
    let csv = app.get(&format!("/api/v1/reports/sales_by_branch?from={day}&to={day}&format=csv"), &fin).await;
    assert_eq!(csv.status, StatusCode::OK);
    let other = app.branch("B002").await;
    let mgr = app.user("mgr", "branch_manager", Some(other)).await;
    let theirs = app
        .get(&format!("/api/v1/reports/sales_by_branch?from={day}&to={day}"), &mgr)
        .await
        .expect(StatusCode::OK)
        .body;
    assert_eq!(theirs["rows"].as_array().map(Vec::len), Some(0));
    app.get(&format!("/api/v1/reports/sales_by_branch?from={day}&branch_id={}", branch.0), &mgr)
        .await
        .expect(StatusCode::NOT_FOUND);
    app.get("/api/v1/reports/nonsense", &fin).await.expect(StatusCode::NOT_FOUND);
    app.get(&format!("/api/v1/reports/tenders?from={day}&to=2000-01-01"), &fin)
        .await
        .expect(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(app.store.check_balances().expect("check").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_tills_racing_for_the_last_points_only_one_wins() {
    use hq_server::Application;
    use hq_server::model::{Actor, Adjustment, NewMember};
    use shared::sync::{EnrolRequest, EnrolResponse, PROTOCOL_VERSION};

    let dir = tempfile::tempdir().expect("dir");
    let db = hq_server::testing::TestDb::new(dir.path());
    let app = Application::build(db.config()).await.expect("build");
    let store = app.store();
    let (demo, member) = tokio::task::spawn_blocking(move || {
        let demo = hq_server::demo::seed(
            &*store,
            &hq_server::demo::DemoOptions { products: 10, ..hq_server::demo::DemoOptions::small() },
        )
        .expect("seed");
        let m = store
            .create_member(&Actor::system(), NewMember { name: "抢积分".into(), ..NewMember::default() })
            .expect("member");
        store
            .adjust(
                &Actor::system(),
                m.id,
                Adjustment { points: 100, principal: Money::ZERO, bonus: Money::ZERO, reason: "test".into() },
            )
            .expect("adjust")
            .expect("accepted");
        (demo, m.id)
    })
    .await
    .expect("join");
    let hq = app.spawn();
    let client = reqwest::Client::new();
    let mut tokens = Vec::new();
    for till in &demo.branches[0].tills {
        let e: EnrolResponse = client
            .post(format!("{}/api/v1/sync/enrol", hq.url()))
            .json(&EnrolRequest {
                protocol: PROTOCOL_VERSION,
                code: till.enrolment_code.clone(),
                device_name: "racer".into(),
            })
            .send()
            .await
            .expect("enrol")
            .json()
            .await
            .expect("enrolled");
        tokens.push(e.token);
    }
    for round in 0..5 {
        let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(20));
        let tasks: Vec<_> = (0..20)
            .map(|i| {
                let (client, url, token, barrier) =
                    (client.clone(), hq.url(), tokens[i % tokens.len()].clone(), barrier.clone());
                tokio::spawn(async move {
                    let body = json!({"hold": HoldId::new(), "member": member, "sale": SaleId::new(),
                                      "amount": {"kind": "points", "points": 100, "value": 100}});
                    barrier.wait().await;
                    let r = client
                        .post(format!("{url}/api/v1/till/holds"))
                        .header("x-till-token", token.clone())
                        .json(&body)
                        .send()
                        .await
                        .expect("sent");
                    (r.status(), r.json::<Value>().await.expect("json"), token)
                })
            })
            .collect();
        let mut winners = Vec::new();
        for t in tasks {
            let (status, body, token) = t.await.expect("task");
            match status.as_u16() {
                200 => winners.push((body["hold"].as_str().expect("hold").to_owned(), token)),
                409 => assert_eq!(body["error"], "insufficient_points", "round {round}: {body}"),
                other => panic!("round {round}: unexpected {other}: {body}"),
            }
        }
        assert_eq!(winners.len(), 1, "round {round}: exactly one till holds the last 100 points");
        let (hold, token) = &winners[0];
        let r = client
            .post(format!("{}/api/v1/till/holds/{hold}/release", hq.url()))
            .header("x-till-token", token)
            .send()
            .await
            .expect("release");
        assert_eq!(r.status().as_u16(), 204);
    }
}

#[tokio::test]
async fn member_csv_is_all_or_nothing_and_exports_balances() {
    let app = spawn_app().await;
    app.branch("B001").await;
    let send_csv = |body: &'static str| {
        let app = &app;
        async move {
            let req = axum::http::Request::builder()
                .method(Method::POST)
                .uri("/api/v1/members/import")
                .header("cookie", &app.admin)
                .header("content-type", "text/csv")
                .body(axum::body::Body::from(body))
                .expect("request");
            let resp = tower::ServiceExt::oneshot(app.router.clone(), req).await.expect("response");
            let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX).await.expect("body");
            serde_json::from_slice::<Value>(&bytes).expect("json")
        }
    };
    let bad = send_csv("code,phone,name,birthday,tier,home_branch,uid\n0000000001,13811110001,甲,1990-01-01,gold,B001,\n0000000002,1381111,乙,,,,\n0000000003,13811110003,丙,1990-13-01,,,\n0000000001,13811110004,丁,,,B009,\n").await;
    assert_eq!(bad["applied"], false);
    let lines: Vec<i64> =
        bad["errors"].as_array().expect("errors").iter().map(|e| e["line"].as_i64().expect("line")).collect();
    assert_eq!(lines, vec![3, 4, 5]);
    assert_eq!(app.store.count_members().expect("count"), 0, "nothing was imported");
    let good = send_csv("name,phone,code,tier,uid\n甲,13811110001,0000000001,gold,04AABBCC\n乙,13811110002,,,\n").await;
    assert_eq!(good["applied"], true);
    assert_eq!(good["created"], 2);
    // Codes for the rows without one come from the sequence, reserved for the whole file, past a
    // code another row of the same file claims.
    let more = send_csv("name,phone,code\n丙,13811110003,\n丁,13811110004,8000000002\n戊,13811110005,\n").await;
    assert_eq!((more["applied"].clone(), more["created"].clone()), (json!(true), json!(3)), "{more}");
    let code_of = |phone: &str| {
        let found = app.store.search_members(phone, 1).expect("search");
        found.first().map(|m| m.code.as_str().to_owned()).expect("member")
    };
    assert_eq!(code_of("13811110002"), "8000000001");
    assert_eq!(code_of("13811110003"), "8000000003");
    assert_eq!(code_of("13811110004"), "8000000002");
    assert_eq!(code_of("13811110005"), "8000000004");
    // A code the sequence would give next but a member already holds is skipped.
    let held = send_csv("name,phone,code\n己,13811110006,8000000005\n").await;
    assert_eq!(held["applied"], true, "{held}");
    let next = send_csv("name,phone,code\n庚,13811110007,\n").await;
    assert_eq!(next["applied"], true, "{next}");
    assert_eq!(code_of("13811110007"), "8000000006");
    let csv = app
        .send(Req {
            method: Method::GET,
            uri: "/api/v1/members/export".into(),
            cookie: Some(&app.admin),
            till_token: None,
            body: None,
            from: None,
        })
        .await;
    assert_eq!(csv.status, StatusCode::OK);
    // The body is CSV, not JSON; read it again as text.
    let req = axum::http::Request::builder()
        .uri("/api/v1/members/export")
        .header("cookie", &app.admin)
        .body(axum::body::Body::empty())
        .expect("request");
    let resp = tower::ServiceExt::oneshot(app.router.clone(), req).await.expect("response");
    let text = String::from_utf8(axum::body::to_bytes(resp.into_body(), usize::MAX).await.expect("body").to_vec())
        .expect("utf-8");
    assert!(
        text.starts_with("code,phone,name,birthday,tier,home_branch,uid,points,principal,bonus,status\n"),
        "{text}"
    );
    assert!(text.contains("0000000001,13811110001,甲,,gold,,04AABBCC,0,0.00,0.00,active"), "{text}");
}

#[tokio::test]
async fn refusals_offline_tenders_and_change_put_on_stored_value() {
    let app = spawn_app().await;
    let branch = app.branch("B001").await;
    let (till, token) = app.enrolled_till(branch).await;
    // Below the policy's minimum balance (100 points) nothing can be used.
    let (poor, _) = member_with(&app, "13900002222", 50).await;
    let r = till_post(&app, &token, "/api/v1/till/holds", json!({"hold": HoldId::new(), "member": poor, "sale": SaleId::new(), "amount": {"kind": "points", "points": 10, "value": 10}})).await;
    assert_eq!(r.expect(StatusCode::CONFLICT).error_code(), "below_minimum_balance");
    // A blocked member holds nothing.
    let (blocked, code) = member_with(&app, PHONE, 1_000).await;
    app.patch(&format!("/api/v1/members/{blocked}"), &app.admin, json!({"status": "blocked"}))
        .await
        .expect(StatusCode::OK);
    let r = till_post(&app, &token, "/api/v1/till/holds", json!({"hold": HoldId::new(), "member": blocked, "sale": SaleId::new(), "amount": {"kind": "points", "points": 10, "value": 10}})).await;
    assert_eq!(r.expect(StatusCode::CONFLICT).error_code(), "member_blocked");
    app.patch(&format!("/api/v1/members/{blocked}"), &app.admin, json!({"status": "active"}))
        .await
        .expect(StatusCode::OK);
    // Change put on stored value: the till tops up online with the sale's id, then pushes the sale.
    let by = MemberIdentifier::Code(MemberCode::parse(&code).expect("code"));
    let mut sale = member_sale(&till, 1, Some(blocked), by.clone(), vec![], 0);
    sale.change_to_stored_value = sale.change;
    let topup = json!({"id": EventId(sale.id.0), "member": blocked, "amount": sale.change.0, "tender": "cash", "shift": sale.shift, "cashier": 1});
    till_post(&app, &token, "/api/v1/till/topups", topup).await.expect(StatusCode::OK);
    push_one(&app, &till, &token, 1, Event::SaleCompleted(sale.clone())).await;
    let m = app.store.get_member(blocked).expect("member");
    assert_eq!(m.stored_value.principal, Money(20_000) + sale.change, "the change went on once");
    // A points tender taken offline (no hold) under a policy that allows none offline is refused.
    let offline = vec![TenderInput {
        kind: TenderKind::Points,
        amount: Money(100),
        reference: None,
        points: 100,
        stored_value: None,
        hold: None,
        authorization: None,
    }];
    let sale = member_sale(&till, 2, Some(blocked), by.clone(), offline.clone(), 0);
    let r = app
        .push(&token, till.till, vec![hq_server::fixtures::envelope(till.till, 2, Event::SaleCompleted(sale))])
        .await;
    let reason =
        r.expect(StatusCode::OK).body["results"][0]["outcome"]["reason"].as_str().unwrap_or_default().to_owned();
    assert!(reason.contains("offline limit is 0 points"), "{reason}");
    assert_eq!(app.store.get_member(blocked).expect("member").points, 1_000);
    // Under a version that allows 150 points a day offline, 100 is debited when the sale arrives,
    // and another 100 the same day is over the cap.
    let mut v2 = app.store.current_policy().expect("policy");
    v2.offline.points_per_day = 150;
    v2.effective_from = Timestamp::now() - jiff::SignedDuration::from_mins(1);
    let v2 =
        app.post("/api/v1/policies", &app.admin, serde_json::to_value(&v2).expect("json")).await.expect(StatusCode::OK);
    let version = u32::try_from(v2.body["version"].as_u64().expect("version")).expect("u32");
    let mut sale = member_sale(&till, 3, Some(blocked), by.clone(), offline.clone(), 0);
    sale.member.as_mut().expect("member").policy_version = version;
    push_one(&app, &till, &token, 3, Event::SaleCompleted(sale)).await;
    assert_eq!(app.store.get_member(blocked).expect("member").points, 900);
    let mut sale = member_sale(&till, 4, Some(blocked), by, offline, 0);
    sale.member.as_mut().expect("member").policy_version = version;
    let r = app
        .push(&token, till.till, vec![hq_server::fixtures::envelope(till.till, 4, Event::SaleCompleted(sale))])
        .await;
    let reason =
        r.expect(StatusCode::OK).body["results"][0]["outcome"]["reason"].as_str().unwrap_or_default().to_owned();
    assert!(reason.contains("100 were used"), "{reason}");
    assert_eq!(app.store.get_member(blocked).expect("member").points, 900);
    assert!(app.store.check_balances().expect("check").is_empty());
}

#[tokio::test]
async fn a_member_who_shops_at_another_branch_reaches_its_tills() {
    let app = spawn_app().await;
    let home = app.branch("B001").await;
    let away = app.branch("B002").await;
    let (_, home_token) = app.enrolled_till(home).await;
    let (away_till, away_token) = app.enrolled_till(away).await;
    let r =
        app.post("/api/v1/members", &app.admin, json!({"phone": PHONE, "name": "陈小姐", "home_branch": home.0})).await;
    let m = r.expect(StatusCode::OK).body;
    let id = m["id"].as_str().expect("id").to_owned();
    let has = |changes: &[Value]| {
        changes.iter().any(|c| c["change"]["type"] == "member" && c["change"]["data"]["id"] == id.as_str())
    };
    assert!(has(&app.pull_all(&home_token).await), "the home branch's tills have the member");
    assert!(!has(&app.pull_all(&away_token).await), "other branches look them up online");
    let by = MemberIdentifier::Phone(Phone::parse(PHONE).expect("phone"));
    let sale = member_sale(&away_till, 1, Some(MemberId::parse(&id).expect("id")), by, vec![], 5);
    push_one(&app, &away_till, &away_token, 1, Event::SaleCompleted(sale)).await;
    assert!(has(&app.pull_all(&away_token).await), "having shopped there, the member reaches that branch too");
}

/// A replacement card names the card it replaces; if that card is not the member's, nothing
/// changes (the other member's card stays active), and the answer says why.
#[tokio::test]
async fn a_replacement_for_someone_elses_card_changes_nothing() {
    let app = spawn_app().await;
    let a = app
        .post("/api/v1/members", &app.admin, json!({"name": "甲", "uid": "04AA0001"}))
        .await
        .expect(StatusCode::OK)
        .body;
    let b = app.post("/api/v1/members", &app.admin, json!({"name": "乙"})).await.expect(StatusCode::OK).body;
    let b_id = b["id"].as_str().expect("id");
    for replaces in ["04AA0001", "04FFFFFF"] {
        let r = app
            .post(
                &format!("/api/v1/members/{b_id}/cards"),
                &app.admin,
                json!({"kind": "uid", "value": "04BB0002", "replaces": replaces}),
            )
            .await;
        assert!(r.body["message"].as_str().is_some_and(|m| m.contains("is not one of this member's")), "{}", r.body);
        r.expect(StatusCode::UNPROCESSABLE_ENTITY);
    }
    let a_now = app.get(&format!("/api/v1/members/{}", a["id"].as_str().expect("id")), &app.admin).await;
    assert_eq!(a_now.expect(StatusCode::OK).body["cards"][1]["status"], "active", "甲's card is untouched");
    let b_now = app.get(&format!("/api/v1/members/{b_id}"), &app.admin).await.expect(StatusCode::OK).body;
    assert_eq!(b_now["cards"].as_array().map(Vec::len), Some(1), "乙 got no new card: {b_now}");
}
