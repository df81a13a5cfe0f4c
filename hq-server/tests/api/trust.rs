//! HQ trusts no till's arithmetic: events a stolen, buggy or tampered till could push, each of
//! which HQ used to accept (or answer with a 500 that blocked the till for good). Each is now
//! rejected with its reason and kept, changes no balance, and the till's next event goes through.

use axum::http::StatusCode;
use hq_server::fixtures::TillRef;
use hq_server::model::Actor;
use hq_server::store::{MemberStore, PolicyStore, SyncStore};
use jiff::Timestamp;
use serde_json::{Value, json};
use shared::Money;
use shared::catalog::MemberCode;
use shared::ids::{HoldId, MemberId, RefundId, SaleId, StaffId};
use shared::member::MemberIdentifier;
use shared::money::Qty;
use shared::pricing::CashRounding;
use shared::receipt::ReceiptNo;
use shared::sale::{
    CompletedSale, Refund, RefundKind, RefundLine, ReturnPick, SaleMember, Tender, TenderInput, TenderKind,
    plan_refund, settle,
};
use shared::staff::StaffRole;
use shared::stored_value::SvSplit;
use shared::sync::Event;

use crate::helpers::{TestApp, spawn_app};

/// A member with 1,000 points and ¥200 + ¥20 of stored value.
async fn member(app: &TestApp, phone: &str) -> (MemberId, MemberIdentifier) {
    let r =
        app.post("/api/v1/members", &app.admin, json!({"phone": phone, "name": "陈小姐"})).await.expect(StatusCode::OK);
    let id = MemberId::parse(r.body["id"].as_str().expect("id")).expect("uuid");
    let code = MemberCode::parse(r.body["code"].as_str().expect("code")).expect("code");
    app.post(
        &format!("/api/v1/members/{id}/adjustments"),
        &app.admin,
        json!({"points": 1_000, "principal": 20_000, "bonus": 2_000, "reason": "opening balance"}),
    )
    .await
    .expect(StatusCode::OK);
    (id, MemberIdentifier::Code(code))
}

/// The fixture sale of receipt `seq` (three lines, ¥900.00 for `seq` 1) for `member`, claiming
/// `points`, paid by `tenders` and cash for the rest.
fn sale_for(
    till: &TillRef,
    seq: u32,
    member: MemberId,
    by: &MemberIdentifier,
    tenders: Vec<TenderInput>,
    points: i64,
) -> CompletedSale {
    let mut s = hq_server::fixtures::sale(till, seq, 3, 1);
    let mut inputs = tenders;
    let paid: Money = inputs.iter().map(|t| t.amount).sum();
    inputs.push(TenderInput::cash(s.totals.total - paid));
    let settled = settle(s.totals.total, &inputs, CashRounding::None).expect("settles");
    s.tenders = settled.tenders;
    s.change = settled.change;
    s.member = Some(SaleMember {
        member_id: Some(member),
        identifier: by.clone(),
        tier: Some("regular".into()),
        points_base: shared::points::eligible_base(s.points_eligible_net, s.paid_by(TenderKind::Points)),
        points_earned: points,
        policy_version: 1,
    });
    s
}

/// Pushes one event; returns its outcome (`accepted`, or the rejection's reason).
async fn push(app: &TestApp, till: &TillRef, token: &str, seq: u64, event: Event) -> String {
    let r = app.push(token, till.till, vec![hq_server::fixtures::envelope(till.till, seq, event)]).await;
    let r = r.expect(StatusCode::OK);
    let outcome = &r.body["results"][0]["outcome"];
    match outcome["status"].as_str() {
        Some("accepted") => "accepted".into(),
        _ => outcome["reason"].as_str().unwrap_or("?").to_owned(),
    }
}

fn balance(app: &TestApp, id: MemberId) -> (i64, Money, Money) {
    let m = app.store.get_member(id).expect("member");
    (m.points, m.stored_value.principal, m.stored_value.bonus)
}

#[tokio::test]
async fn a_sale_earns_no_more_points_than_its_policy_gives() {
    let app = spawn_app().await;
    let (till, token) = app.enrolled_till(app.branch("B001").await).await;
    let (id, by) = member(&app, "13900001111").await;
    // ¥900.00 of points-eligible goods, a regular member, 1 point per yuan: 900 points at most.
    let tampered = sale_for(&till, 1, id, &by, vec![], 5_000_000);
    assert_eq!(tampered.points_eligible_net, Money(90_000));
    let why = push(&app, &till, &token, 1, Event::SaleCompleted(tampered)).await;
    assert!(why.contains("gives a 普通会员 member 900"), "{why}");
    assert_eq!(balance(&app, id).0, 1_000, "nothing was credited");
    let why = push(&app, &till, &token, 2, Event::SaleCompleted(sale_for(&till, 1, id, &by, vec![], 901))).await;
    assert!(
        why.contains("says 901 points were earned; policy version 1 gives a 普通会员 member 900"),
        "one point over is refused too: {why}"
    );
    // A tier the member never held, and a policy version that does not exist.
    let mut gold = sale_for(&till, 3, id, &by, vec![], 10);
    gold.member.as_mut().expect("member").tier = Some("gold".into());
    let why = push(&app, &till, &token, 3, Event::SaleCompleted(gold)).await;
    assert!(why.contains("has not held lately"), "{why}");
    let mut v9 = sale_for(&till, 4, id, &by, vec![], 10);
    v9.member.as_mut().expect("member").policy_version = 9;
    let why = push(&app, &till, &token, 4, Event::SaleCompleted(v9)).await;
    assert!(why.contains("policy version 9"), "{why}");
    // What the rules give is credited.
    assert_eq!(
        push(&app, &till, &token, 5, Event::SaleCompleted(sale_for(&till, 1, id, &by, vec![], 900))).await,
        "accepted"
    );
    assert_eq!(balance(&app, id).0, 1_900);
    assert!(app.store.check_balances().expect("check").is_empty());
}

#[tokio::test]
async fn a_return_without_a_receipt_cannot_mint_stored_value_or_points() {
    let app = spawn_app().await;
    let b1 = app.branch("B001").await;
    let b2 = app.branch("B002").await;
    let (till, token) = app.enrolled_till(b1).await;
    let product = app.product("P1", "6901234567892").await;
    let s = app.store.clone();
    let manager = tokio::task::spawn_blocking(move || {
        hq_server::admin::add_staff(&*s, &Actor::system(), b1, "9001", "王店长", StaffRole::Manager, "9999")
    })
    .await
    .expect("join")
    .expect("manager");
    // A member of the other branch.
    let r = app
        .post("/api/v1/members", &app.admin, json!({"phone": "13900002222", "name": "李", "home_branch": b2.0}))
        .await
        .expect(StatusCode::OK);
    let id = MemberId::parse(r.body["id"].as_str().expect("id")).expect("uuid");
    let by = MemberIdentifier::Code(MemberCode::parse(r.body["code"].as_str().expect("code")).expect("code"));
    let refund = |seq: u32, amount: i64, qty: i64, sv: i64, points: i64, approved: Option<StaffId>| Refund {
        id: RefundId::new(),
        kind: RefundKind::NoReceipt,
        sale: None,
        original_receipt: None,
        receipt_no: ReceiptNo::new(&till.branch_code, till.number, seq),
        branch: till.branch,
        till: till.till,
        shift: shared::ids::ShiftId::new(),
        cashier: StaffId(1),
        approved_by: approved,
        refunded_at: Timestamp::now(),
        business_day: hq_server::admin::default_branch("B001", "").business_day(Timestamp::now()),
        reason: "无小票退货".into(),
        lines: vec![RefundLine {
            sale_line: None,
            product_id: shared::catalog::ProductId(product),
            name: "可口可乐 330ml".into(),
            vat: shared::money::Bp(1300),
            qty: Qty::pieces(qty),
            amount: Money(amount),
            points_eligible: true,
        }],
        total: Money(sv),
        rounding: Money::ZERO,
        tenders: vec![Tender {
            kind: TenderKind::StoredValue,
            amount: Money(sv),
            tendered: Money(sv),
            reference: None,
            points: 0,
            stored_value: Some(SvSplit { principal: Money(sv), bonus: Money::ZERO }),
            hold: None,
            authorization: None,
        }],
        points_taken_back: 0,
        points_restored: points,
        member: Some(SaleMember {
            member_id: Some(id),
            identifier: by.clone(),
            tier: None,
            points_base: Money::ZERO,
            points_earned: 0,
            policy_version: 1,
        }),
        tax: vec![],
        clawback: Money::ZERO,
        clawback_waived: false,
    };
    // The attack as tried: ¥1 of goods, ¥100,000 to stored value and 1,000,000 points restored.
    let why =
        push(&app, &till, &token, 1, Event::SaleRefunded(refund(1, 100, 1, 10_000_000, 1_000_000, Some(manager.id))))
            .await;
    assert!(why.contains("does not add up"), "{why}");
    // Well formed, but ¥100,000 back for one ¥3.50 bottle.
    let why =
        push(&app, &till, &token, 2, Event::SaleRefunded(refund(2, 10_000_000, 1, 10_000_000, 0, Some(manager.id))))
            .await;
    assert!(why.contains("more than today's price ¥3.50"), "{why}");
    // Today's price, but 20,000 bottles to stored value: over the branch's ¥200 limit.
    let why =
        push(&app, &till, &token, 3, Event::SaleRefunded(refund(3, 7_000_000, 20_000, 7_000_000, 0, Some(manager.id))))
            .await;
    assert!(why.contains("more than this branch's limit of ¥200.00"), "{why}");
    // Without a manager's approval.
    let why = push(&app, &till, &token, 4, Event::SaleRefunded(refund(4, 350, 1, 350, 0, None))).await;
    assert!(why.contains("approval of a manager"), "{why}");
    assert_eq!(balance(&app, id), (0, Money::ZERO, Money::ZERO), "nothing reached the member");
    // One bottle at today's price, approved, within the limit: the member gets ¥3.50.
    assert_eq!(
        push(&app, &till, &token, 5, Event::SaleRefunded(refund(5, 350, 1, 350, 0, Some(manager.id)))).await,
        "accepted"
    );
    assert_eq!(balance(&app, id), (0, Money(350), Money::ZERO));
    // Goods bought with money go back as principal: a receipt-less refund that says bonus is refused…
    let mut as_bonus = refund(6, 350, 1, 350, 0, Some(manager.id));
    as_bonus.tenders[0].stored_value = Some(SvSplit { principal: Money::ZERO, bonus: Money(350) });
    let why = push(&app, &till, &token, 6, Event::SaleRefunded(as_bonus)).await;
    assert!(why.contains("principal only, not as bonus"), "{why}");
    assert_eq!(balance(&app, id), (0, Money(350), Money::ZERO));
    // …and one that states no split is credited as principal, by decision, not by a fallback.
    let mut unstated = refund(7, 350, 1, 350, 0, Some(manager.id));
    unstated.tenders[0].stored_value = None;
    assert_eq!(push(&app, &till, &token, 7, Event::SaleRefunded(unstated)).await, "accepted");
    assert_eq!(balance(&app, id), (0, Money(700), Money::ZERO));
    assert!(app.store.check_balances().expect("check").is_empty());
}

/// Stored value taken offline (no hold): a split the till states must fit each side of HQ's
/// balance, and a tender without one is divided by HQ, principal first (spec: "Spending takes
/// principal first, then bonus").
#[tokio::test]
async fn stored_value_taken_offline_keeps_each_side_of_the_balance() {
    let app = spawn_app().await;
    let (till, token) = app.enrolled_till(app.branch("B001").await).await;
    let (id, by) = member(&app, "13900004444").await;
    let mut policy = app.store.current_policy().expect("policy");
    policy.offline.stored_value_per_day = Money(100_000);
    policy.effective_from = Timestamp::now() - jiff::SignedDuration::from_mins(1);
    let r = app.post("/api/v1/policies", &app.admin, serde_json::to_value(&policy).expect("json")).await;
    let version = u32::try_from(r.expect(StatusCode::OK).body["version"].as_u64().expect("version")).expect("u32");
    let offline = |amount: i64, split: Option<(i64, i64)>| TenderInput {
        kind: TenderKind::StoredValue,
        amount: Money(amount),
        reference: None,
        points: 0,
        stored_value: split.map(|(p, b)| SvSplit { principal: Money(p), bonus: Money(b) }),
        hold: None,
        authorization: None,
    };
    let sale = |seq: u32, tenders: Vec<TenderInput>| {
        let mut s = sale_for(&till, seq, id, &by, tenders, 0);
        s.member.as_mut().expect("member").policy_version = version;
        Event::SaleCompleted(s)
    };
    // ¥50.00 said to be all bonus, of ¥20.00 bonus: within the ¥220.00 in all, but not on that side.
    let why = push(&app, &till, &token, 1, sale(1, vec![offline(5_000, Some((0, 5_000)))])).await;
    assert!(
        why.contains(
            "paid offline as ¥0.00 principal and ¥50.00 bonus; the member has ¥200.00 principal and ¥20.00 bonus"
        ),
        "{why}"
    );
    assert_eq!(balance(&app, id), (1_000, Money(20_000), Money(2_000)), "nothing was taken");
    // ¥210.00 with no split: HQ takes ¥200.00 principal, then ¥10.00 bonus.
    assert_eq!(push(&app, &till, &token, 2, sale(2, vec![offline(21_000, None)])).await, "accepted");
    assert_eq!(balance(&app, id), (1_000, Money::ZERO, Money(1_000)));
    // ¥5.00 said to be ¥3.00 principal and ¥2.00 bonus, with no principal left: refused.
    let why = push(&app, &till, &token, 3, sale(3, vec![offline(500, Some((300, 200)))])).await;
    assert!(why.contains("the member has ¥0.00 principal and ¥10.00 bonus"), "{why}");
    // Two tenders without a split in one sale: the second is divided from what the first left.
    assert_eq!(push(&app, &till, &token, 4, sale(4, vec![offline(600, None), offline(400, None)])).await, "accepted");
    assert_eq!(balance(&app, id), (1_000, Money::ZERO, Money::ZERO));
    assert!(app.store.check_balances().expect("check").is_empty());
}

#[tokio::test]
async fn a_broken_stored_value_split_is_rejected_and_the_till_goes_on() {
    let app = spawn_app().await;
    let (till, token) = app.enrolled_till(app.branch("B001").await).await;
    let (id, by) = member(&app, "13900003333").await;
    // Principal −¥10,000.00, bonus +¥10,015.40: ¥15.40 in all, which used to answer 500 for good.
    let sv = TenderInput {
        kind: TenderKind::StoredValue,
        amount: Money(1_540),
        reference: None,
        points: 0,
        stored_value: Some(SvSplit { principal: Money(-1_000_000), bonus: Money(1_001_540) }),
        hold: None,
        authorization: None,
    };
    let why = push(&app, &till, &token, 1, Event::SaleCompleted(sale_for(&till, 1, id, &by, vec![sv], 0))).await;
    assert!(why.contains("principal"), "{why}");
    assert_eq!(balance(&app, id), (1_000, Money(20_000), Money(2_000)));
    assert_eq!(
        push(&app, &till, &token, 2, Event::SaleCompleted(sale_for(&till, 2, id, &by, vec![], 0))).await,
        "accepted"
    );
}

#[tokio::test]
async fn integers_at_their_limits_are_refused_not_a_panic_and_reports_still_answer() {
    let app = spawn_app().await;
    let (till, token) = app.enrolled_till(app.branch("B001").await).await;
    // Two lines whose nets overflow an i64 when added.
    let mut overflow = hq_server::fixtures::sale(&till, 1, 2, 1);
    for l in &mut overflow.lines {
        l.net = Money(i64::MAX - 1);
        l.priced.net = l.net;
    }
    let why = push(&app, &till, &token, 1, Event::SaleCompleted(overflow)).await;
    assert!(why.contains("outside"), "{why}");
    // A sale of 5×10¹⁸ fen, consistent in itself.
    let mut huge = hq_server::fixtures::sale(&till, 2, 1, 1);
    let big = Money(5_000_000_000_000_000_000);
    huge.lines[0].priced.gross = big;
    huge.lines[0].priced.net = big;
    huge.lines[0].net = big;
    huge.totals.gross = big;
    huge.totals.total = big;
    huge.totals.due = big;
    huge.points_eligible_net = big;
    huge.tenders[0].amount = big;
    let why = push(&app, &till, &token, 2, Event::SaleCompleted(huge)).await;
    assert!(why.contains("outside"), "{why}");
    assert_eq!(
        push(&app, &till, &token, 3, Event::SaleCompleted(hq_server::fixtures::sale(&till, 3, 2, 1))).await,
        "accepted"
    );
    for kind in hq_server::reports::ReportKind::ALL {
        app.get(&format!("/api/v1/reports/{}", kind.code()), &app.admin).await.expect(StatusCode::OK);
    }
    app.get("/console", &app.admin).await.expect(StatusCode::OK);
}

#[tokio::test]
async fn two_tills_refunding_one_sale_offline_the_second_is_caught() {
    let app = spawn_app().await;
    let branch = app.branch("B001").await;
    let (a, a_token) = app.enrolled_till(branch).await;
    let (b, b_token) = app.enrolled_till(branch).await;
    let (id, by) = member(&app, "13900004444").await;
    let sale = sale_for(&a, 1, id, &by, vec![], 900);
    assert_eq!(push(&app, &a, &a_token, 1, Event::SaleCompleted(sale.clone())).await, "accepted");
    let all: Vec<ReturnPick> =
        sale.lines.iter().enumerate().map(|(line, l)| ReturnPick { line, qty: l.priced.qty }).collect();
    // Each till plans the full return knowing only its own refunds (both offline).
    let full = |till: &TillRef, seq: u32| {
        hq_server::fixtures::refund(&sale, till, seq, plan_refund(&sale, &[], &all, CashRounding::None).expect("plan"))
    };
    let first = full(&a, 2);
    assert_eq!(push(&app, &a, &a_token, 2, Event::SaleRefunded(first.clone())).await, "accepted");
    let why = push(&app, &b, &b_token, 1, Event::SaleRefunded(full(&b, 1))).await;
    assert!(why.contains(&format!("refunded before by {}", first.receipt_no)), "{why}");
    assert_eq!(balance(&app, id).0, 1_000, "the points came back once");
}

#[tokio::test]
async fn a_hold_backs_only_its_own_sale_once() {
    let app = spawn_app().await;
    let (till, token) = app.enrolled_till(app.branch("B001").await).await;
    let (id, by) = member(&app, "13900005555").await;
    let (other, _) = member(&app, "13900006666").await;
    let hold = |hold: HoldId, member: MemberId, sale: SaleId, points: i64| json!({"hold": hold, "member": member, "sale": sale, "amount": {"kind": "points", "points": points, "value": points}});
    let till_post = |body: Value| {
        let app = &app;
        let token = token.clone();
        async move {
            app.send(crate::helpers::Req {
                method: axum::http::Method::POST,
                uri: "/api/v1/till/holds".into(),
                cookie: None,
                till_token: Some(&token),
                body: Some(body),
                from: None,
            })
            .await
            .expect(StatusCode::OK);
        }
    };
    let points = |h: HoldId, p: i64| TenderInput {
        kind: TenderKind::Points,
        amount: Money(p),
        reference: None,
        points: p,
        stored_value: None,
        hold: Some(h),
        authorization: None,
    };
    let (h1, s1) = (HoldId::new(), SaleId::new());
    till_post(hold(h1, id, s1, 200)).await;
    // The hold for another sale, and for more than it reserved.
    let mut wrong_sale = sale_for(&till, 1, id, &by, vec![points(h1, 200)], 0);
    wrong_sale.id = SaleId::new();
    let why = push(&app, &till, &token, 1, Event::SaleCompleted(wrong_sale)).await;
    assert!(why.contains("given for another sale"), "{why}");
    let mut more = sale_for(&till, 2, id, &by, vec![points(h1, 300)], 0);
    more.id = s1;
    let why = push(&app, &till, &token, 2, Event::SaleCompleted(more)).await;
    assert!(why.contains("not what the tender says"), "{why}");
    // Its own sale captures it; a second sale with the same hold is refused.
    let mut own = sale_for(&till, 3, id, &by, vec![points(h1, 200)], 0);
    own.id = s1;
    assert_eq!(push(&app, &till, &token, 3, Event::SaleCompleted(own)).await, "accepted");
    let mut again = sale_for(&till, 4, id, &by, vec![points(h1, 200)], 0);
    again.id = s1;
    again.receipt_no = ReceiptNo::new(&till.branch_code, till.number, 4);
    let why = push(&app, &till, &token, 4, Event::SaleCompleted(again)).await;
    assert!(why.contains("HQ could not record") || why.contains("already used"), "{why}");
    // Another member's hold.
    let (h2, s2) = (HoldId::new(), SaleId::new());
    till_post(hold(h2, other, s2, 100)).await;
    let mut theirs = sale_for(&till, 5, id, &by, vec![points(h2, 100)], 0);
    theirs.id = s2;
    let why = push(&app, &till, &token, 5, Event::SaleCompleted(theirs)).await;
    assert!(why.contains("on another member"), "{why}");
    assert_eq!(balance(&app, id).0, 800);
    assert_eq!(balance(&app, other).0, 1_000);
}

/// The other refusals of a tender's hold: released before the sale, given to another till, of
/// the other kind (stored value for a points tender). None of them moves the balance.
#[tokio::test]
async fn a_released_a_foreign_or_a_mismatched_hold_is_refused() {
    let app = spawn_app().await;
    let branch = app.branch("B001").await;
    let (till, token) = app.enrolled_till(branch).await;
    let (_, other_token) = app.enrolled_till(branch).await;
    let (id, by) = member(&app, "13900007777").await;
    let post = |token: String, uri: String, body: Option<Value>| {
        let app = &app;
        async move {
            let r = app
                .send(crate::helpers::Req {
                    method: axum::http::Method::POST,
                    uri,
                    cookie: None,
                    till_token: Some(&token),
                    body,
                    from: None,
                })
                .await;
            assert!(r.status.is_success(), "{} {}", r.status, r.body);
        }
    };
    let points_hold = |hold: HoldId, sale: SaleId| {
        Some(
            json!({"hold": hold, "member": id, "sale": sale, "amount": {"kind": "points", "points": 100, "value": 100}}),
        )
    };
    let points = |h: HoldId| TenderInput {
        kind: TenderKind::Points,
        amount: Money(100),
        reference: None,
        points: 100,
        stored_value: None,
        hold: Some(h),
        authorization: None,
    };
    // Released by the till before the sale's event came.
    let (h, s) = (HoldId::new(), SaleId::new());
    post(token.clone(), "/api/v1/till/holds".into(), points_hold(h, s)).await;
    post(token.clone(), format!("/api/v1/till/holds/{h}/release"), None).await;
    let mut sale = sale_for(&till, 1, id, &by, vec![points(h)], 0);
    sale.id = s;
    let why = push(&app, &till, &token, 1, Event::SaleCompleted(sale)).await;
    assert!(why.contains("was released before the sale"), "{why}");
    // Held by another till of the branch.
    let (h, s) = (HoldId::new(), SaleId::new());
    post(other_token.clone(), "/api/v1/till/holds".into(), points_hold(h, s)).await;
    let mut sale = sale_for(&till, 2, id, &by, vec![points(h)], 0);
    sale.id = s;
    let why = push(&app, &till, &token, 2, Event::SaleCompleted(sale)).await;
    assert!(why.contains("was given to another till"), "{why}");
    // A stored-value hold behind a points tender.
    let (h, s) = (HoldId::new(), SaleId::new());
    let body = json!({"hold": h, "member": id, "sale": s, "amount": {"kind": "stored_value", "amount": 100}});
    post(token.clone(), "/api/v1/till/holds".into(), Some(body)).await;
    let mut sale = sale_for(&till, 3, id, &by, vec![points(h)], 0);
    sale.id = s;
    let why = push(&app, &till, &token, 3, Event::SaleCompleted(sale)).await;
    assert!(why.contains("is for stored_value, not points"), "{why}");
    assert_eq!(balance(&app, id).0, 1_000, "no refused sale moved the points");
}

#[tokio::test]
async fn a_card_number_in_a_tender_reference_is_never_stored() {
    let app = spawn_app().await;
    let branch = app.branch("B001").await;
    let (till, token) = app.enrolled_till(branch).await;
    let mut sale = hq_server::fixtures::sale(&till, 1, 2, 2);
    let card = sale.tenders.iter_mut().find(|t| t.kind == TenderKind::BankCard).expect("a card tender");
    card.reference = Some("5555 5555 5555 4444".into());
    assert_eq!(push(&app, &till, &token, 1, Event::SaleCompleted(sale.clone())).await, "accepted");
    let history = app.store.sale_history(branch, &sale.receipt_no.to_string()).expect("read").expect("the sale");
    let kept: Vec<_> = history.sale.tenders.iter().filter_map(|t| t.reference.clone()).collect();
    assert_eq!(kept, vec!["555555******4444".to_owned()]);
    let events = app.store.list_events(till.till, false, 10).expect("events");
    assert!(events[0].flags.iter().any(|f| f.contains("card number")), "{:?}", events[0].flags);
    // A till reading the sale back for a return sees the masked number only.
    let r = app
        .send(crate::helpers::Req {
            method: axum::http::Method::GET,
            uri: format!("/api/v1/till/sales/{}", sale.receipt_no),
            cookie: None,
            till_token: Some(&token),
            body: None,
            from: None,
        })
        .await
        .expect(StatusCode::OK);
    assert!(!r.text.contains("5555 5555") && r.text.contains("555555******4444"), "{}", r.text);
}
