//! No event creates value: random returns of a member's sale (paid with points, stored value and
//! cash, all held at HQ), each either the till's honest plan or that plan tampered with (fewer
//! points taken back, more restored, more money or stored value back, cheaper lines), pushed in
//! any order. Whatever HQ accepts, the member ends with no more points or stored value, and the
//! customer with no more money back, than the honest plans of the accepted returns give; every
//! answer is a verdict, never a 500; the ledger and the balances agree. Seeded (proptest), so a
//! failure repeats.

use axum::http::StatusCode;
use hq_server::store::MemberStore as _;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde_json::json;
use shared::Money;
use shared::catalog::MemberCode;
use shared::ids::{HoldId, MemberId, SaleId};
use shared::member::MemberIdentifier;
use shared::pricing::CashRounding;
use shared::sale::{CompletedSale, Refund, ReturnPick, SaleMember, TenderInput, TenderKind, plan_refund, settle};
use shared::stored_value::SvSplit;
use shared::sync::Event;

use crate::helpers::{Req, TestApp, spawn_app};

/// How a till might tamper with an honest refund plan.
#[derive(Clone, Copy, Debug)]
enum Tamper {
    Honest,
    KeepEarnedPoints,
    HalfTakenBack,
    RestoreMorePoints,
    MoreCashBack,
    MoreStoredValueBack,
    CheaperLines,
}

fn tamper() -> impl Strategy<Value = Tamper> {
    prop_oneof![
        3 => Just(Tamper::Honest),
        1 => Just(Tamper::KeepEarnedPoints),
        1 => Just(Tamper::HalfTakenBack),
        1 => Just(Tamper::RestoreMorePoints),
        1 => Just(Tamper::MoreCashBack),
        1 => Just(Tamper::MoreStoredValueBack),
        1 => Just(Tamper::CheaperLines),
    ]
}

/// One return: which lines (by index into the sale, a unit each) and how it is tampered with.
fn returns() -> impl Strategy<Value = Vec<(Vec<usize>, Tamper)>> {
    prop::collection::vec((prop::collection::vec(0usize..3, 1..4), tamper()), 1..5)
}

fn apply(t: Tamper, r: &mut Refund) {
    match t {
        Tamper::Honest => {}
        Tamper::KeepEarnedPoints => r.points_taken_back = 0,
        Tamper::HalfTakenBack => r.points_taken_back /= 2,
        Tamper::RestoreMorePoints => {
            for x in r.tenders.iter_mut().filter(|x| x.kind == TenderKind::Points) {
                x.points = x.points * 3 + 50;
            }
            r.points_restored = r.tenders.iter().map(|x| x.points).sum();
        }
        Tamper::MoreCashBack => {
            if let Some(cash) = r.tenders.iter_mut().find(|x| x.kind == TenderKind::Cash) {
                cash.amount += Money(5_000);
                cash.tendered += Money(5_000);
                r.total += Money(5_000);
            }
        }
        Tamper::MoreStoredValueBack => {
            if let Some(sv) = r.tenders.iter_mut().find(|x| x.kind == TenderKind::StoredValue) {
                sv.amount += Money(1_000);
                sv.tendered += Money(1_000);
                let split = sv.stored_value.unwrap_or(SvSplit { principal: Money::ZERO, bonus: Money::ZERO });
                sv.stored_value = Some(SvSplit { principal: split.principal + Money(1_000), bonus: split.bonus });
                r.total += Money(1_000);
            }
        }
        Tamper::CheaperLines => {
            // The lines claim less, so fewer points go back; the money back stays.
            for l in &mut r.lines {
                l.amount = Money(1);
            }
        }
    }
}

struct Member {
    id: MemberId,
    by: MemberIdentifier,
}

async fn member(app: &TestApp, n: u64) -> Member {
    let phone = format!("139{n:08}");
    let r =
        app.post("/api/v1/members", &app.admin, json!({"phone": phone, "name": "测试"})).await.expect(StatusCode::OK);
    let id = MemberId::parse(r.body["id"].as_str().expect("id")).expect("uuid");
    let code = MemberCode::parse(r.body["code"].as_str().expect("code")).expect("code");
    app.post(
        &format!("/api/v1/members/{id}/adjustments"),
        &app.admin,
        json!({"points": 1_000, "principal": 20_000, "bonus": 2_000, "reason": "opening balance"}),
    )
    .await
    .expect(StatusCode::OK);
    Member { id, by: MemberIdentifier::Code(code) }
}

async fn hold(app: &TestApp, token: &str, body: serde_json::Value) -> serde_json::Value {
    app.send(Req {
        method: axum::http::Method::POST,
        uri: "/api/v1/till/holds".into(),
        cookie: None,
        till_token: Some(token),
        body: Some(body),
        from: None,
    })
    .await
    .expect(StatusCode::OK)
    .body
}

/// The member's sale: ¥900 of goods, 300 points and ¥50 of stored value held at HQ, cash for
/// the rest, the 900 points the policy gives.
async fn sale(app: &TestApp, till: &hq_server::fixtures::TillRef, token: &str, seq: u32, m: &Member) -> CompletedSale {
    let id = SaleId::new();
    let (hp, hs) = (HoldId::new(), HoldId::new());
    hold(
        app,
        token,
        json!({"hold": hp, "member": m.id, "sale": id, "amount": {"kind": "points", "points": 300, "value": 300}}),
    )
    .await;
    let sv = hold(
        app,
        token,
        json!({"hold": hs, "member": m.id, "sale": id, "amount": {"kind": "stored_value", "amount": 5_000}}),
    )
    .await;
    let split: SvSplit = serde_json::from_value(sv["split"].clone()).expect("split");
    let mut s = hq_server::fixtures::sale(till, seq, 3, 1);
    s.id = id;
    let inputs = vec![
        TenderInput {
            kind: TenderKind::Points,
            amount: Money(300),
            reference: None,
            points: 300,
            stored_value: None,
            hold: Some(hp),
            authorization: None,
        },
        TenderInput {
            kind: TenderKind::StoredValue,
            amount: Money(5_000),
            reference: None,
            points: 0,
            stored_value: Some(split),
            hold: Some(hs),
            authorization: None,
        },
        TenderInput::cash(s.totals.total - Money(5_300)),
    ];
    let settled = settle(s.totals.total, &inputs, CashRounding::None).expect("settles");
    s.tenders = settled.tenders;
    s.change = settled.change;
    s.member = Some(SaleMember {
        member_id: Some(m.id),
        identifier: m.by.clone(),
        tier: Some("regular".into()),
        points_base: shared::points::eligible_base(s.points_eligible_net, s.paid_by(TenderKind::Points)),
        points_earned: 0,
        policy_version: 1,
    });
    let base = s.member.as_ref().map_or(Money::ZERO, |x| x.points_base);
    s.member.as_mut().expect("member").points_earned = base.0 / 100;
    s
}

#[test]
fn no_return_creates_points_stored_value_or_money() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let app = rt.block_on(spawn_app());
    let (till, token) = rt.block_on(async {
        let b = app.branch("B001").await;
        app.enrolled_till(b).await
    });
    let counter = std::cell::Cell::new(0u64);
    let seq = std::cell::Cell::new(0u64);
    let (honest_accepted, tampered_refused) = (std::cell::Cell::new(0), std::cell::Cell::new(0));
    let config = Config { cases: 64, failure_persistence: None, ..Config::default() };
    let mut runner = TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]));
    runner
        .run(&returns(), |plan| {
            counter.set(counter.get() + 1);
            let n = counter.get();
            rt.block_on(async {
                let m = member(&app, n).await;
                let s = sale(&app, &till, &token, n as u32, &m).await;
                seq.set(seq.get() + 1);
                let r = app
                    .push(
                        &token,
                        till.till,
                        vec![hq_server::fixtures::envelope(till.till, seq.get(), Event::SaleCompleted(s.clone()))],
                    )
                    .await;
                let r = r.expect(StatusCode::OK);
                assert_eq!(r.body["results"][0]["outcome"]["status"], "accepted", "{}", r.body);
                let after_sale = app.store.get_member(m.id).expect("member");

                // Push each return; keep what HQ accepted and the honest plans of those returns.
                let (mut accepted, mut honest): (Vec<Refund>, Vec<Refund>) = (Vec::new(), Vec::new());
                for (i, (lines, t)) in plan.iter().enumerate() {
                    let picks: Vec<ReturnPick> =
                        lines.iter().map(|&line| ReturnPick { line, qty: shared::money::Qty::ONE }).collect();
                    // The till plans with the returns it knows HQ took.
                    let Ok(p) = plan_refund(&s, &accepted, &picks, CashRounding::None) else { continue };
                    let mut r = hq_server::fixtures::refund(&s, &till, 10_000 + n as u32 * 10 + i as u32, p);
                    apply(*t, &mut r);
                    seq.set(seq.get() + 1);
                    let answer = app
                        .push(
                            &token,
                            till.till,
                            vec![hq_server::fixtures::envelope(till.till, seq.get(), Event::SaleRefunded(r.clone()))],
                        )
                        .await;
                    let answer = answer.expect(StatusCode::OK);
                    let ok = answer.body["results"][0]["outcome"]["status"] == "accepted";
                    if matches!(t, Tamper::Honest) {
                        assert!(ok, "an honest return is refused: {}", answer.body);
                        honest_accepted.set(honest_accepted.get() + 1);
                    } else if !ok {
                        tampered_refused.set(tampered_refused.get() + 1);
                    }
                    if ok {
                        let honest_plan = plan_refund(&s, &honest, &picks, CashRounding::None).expect("honest plan");
                        honest.push(hq_server::fixtures::refund(&s, &till, 0, honest_plan));
                        accepted.push(r);
                    }
                }
                let end = app.store.get_member(m.id).expect("member");
                let points_honest =
                    after_sale.points + honest.iter().map(|r| r.points_restored - r.points_taken_back).sum::<i64>();
                let sv_back = |rs: &[Refund]| -> Money {
                    rs.iter()
                        .flat_map(|r| &r.tenders)
                        .filter(|t| t.kind == TenderKind::StoredValue)
                        .map(|t| t.amount)
                        .sum()
                };
                let money_back = |rs: &[Refund]| -> Money { rs.iter().map(|r| r.total).sum() };
                let sv_end = end.stored_value.principal + end.stored_value.bonus;
                let sv_honest = after_sale.stored_value.principal + after_sale.stored_value.bonus + sv_back(&honest);
                let tampered: Vec<_> = plan.iter().map(|(_, t)| *t).collect();
                assert!(end.points <= points_honest, "{tampered:?}: {} points, honest {points_honest}", end.points);
                assert!(sv_end <= sv_honest, "{tampered:?}: stored value {sv_end}, honest {sv_honest}");
                assert!(
                    money_back(&accepted) <= money_back(&honest),
                    "{tampered:?}: money back {} > honest {}",
                    money_back(&accepted),
                    money_back(&honest)
                );
            });
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(app.store.check_balances().expect("check").is_empty());
    assert!(honest_accepted.get() > 10 && tampered_refused.get() > 10, "{honest_accepted:?} {tampered_refused:?}");
}
