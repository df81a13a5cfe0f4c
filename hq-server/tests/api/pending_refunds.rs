//! Refunds of a sale that waits for its member. A sale made offline for a member identifier HQ did
//! not know yet (a phone number, a new card) is kept aside and credited when that member appears.
//! A return of it before then must come off what waits: the member is credited only the points of
//! the goods they kept, and a later return takes back no more than was credited. Points are
//! neither minted (the returned goods' points credited anyway) nor lost (taken back twice, or
//! what was kept never credited).

use axum::http::StatusCode;
use hq_server::store::MemberStore as _;
use serde_json::json;
use shared::catalog::MemberCode;
use shared::ids::MemberId;
use shared::member::{CardUid, MemberIdentifier, Phone};
use shared::money::Qty;
use shared::sale::{CompletedSale, ReturnPick};
use shared::sync::Event;

use crate::helpers::{TestApp, spawn_app};
use crate::members::{member_sale, member_with, push_one, refund_of};

const NEW_PHONE: &str = "13712345678";

/// Every unit of every line of `sale`.
fn everything(sale: &CompletedSale) -> Vec<ReturnPick> {
    sale.lines.iter().enumerate().map(|(line, l)| ReturnPick { line, qty: l.priced.qty }).collect()
}

/// The member's balance, their ledger's sum, and the ledger's entries as `kind points`.
fn books(app: &TestApp, member: MemberId) -> (i64, i64, Vec<String>) {
    let m = app.store.get_member(member).expect("member");
    let ledger = app.store.ledger(member, 100).expect("ledger");
    let sum = ledger.iter().map(|e| e.points).sum();
    let mut entries: Vec<String> = ledger.iter().map(|e| format!("{} {}", e.kind.code(), e.points)).collect();
    entries.sort();
    (m.points, sum, entries)
}

#[tokio::test]
async fn a_return_before_the_member_appears_comes_off_what_waits_for_them() {
    let app = spawn_app().await;
    let branch = app.branch("B001").await;
    let (till, token) = app.enrolled_till(branch).await;
    // 90 points printed on the receipt of a phone number HQ does not know.
    let by = MemberIdentifier::Phone(Phone::parse(NEW_PHONE).expect("phone"));
    let sale = member_sale(&till, 1, None, by, vec![], 90);
    push_one(&app, &till, &token, 1, Event::SaleCompleted(sale.clone())).await;
    // One unit of the first line comes back before the member is enrolled.
    let first = refund_of(&sale, &[ReturnPick { line: 0, qty: Qty::ONE }], &[]);
    // ¥188.00 of the ¥900.00 the points were earned on: 18.8 of the 90 points, 18 taken back.
    assert_eq!(first.points_taken_back, 18);
    push_one(&app, &till, &token, 2, Event::SaleRefunded(first.clone())).await;

    // The member appears: credited what they kept, 72, not the receipt's 90.
    let r = app
        .post("/api/v1/members", &app.admin, json!({"phone": NEW_PHONE, "name": "新会员"}))
        .await
        .expect(StatusCode::OK);
    assert_eq!(r.body["points"], 72, "{}", r.body);
    let member = MemberId::parse(r.body["id"].as_str().expect("id")).expect("uuid");
    assert_eq!(books(&app, member), (72, 72, vec!["earn 72".to_owned()]));

    // The rest comes back after: what was credited is taken back, no more, no less.
    let rest: Vec<ReturnPick> = everything(&sale)
        .into_iter()
        .map(|p| if p.line == 0 { ReturnPick { line: 0, qty: Qty(p.qty.0 - 1_000) } } else { p })
        .filter(|p| p.qty.0 > 0)
        .collect();
    let second = refund_of(&sale, &rest, std::slice::from_ref(&first));
    assert_eq!(second.points_taken_back, 72);
    push_one(&app, &till, &token, 3, Event::SaleRefunded(second)).await;
    assert_eq!(books(&app, member), (0, 0, vec!["earn 72".to_owned(), "reverse -72".to_owned()]));
    assert!(app.store.check_balances().expect("check").is_empty());
}

#[tokio::test]
async fn a_sale_returned_whole_before_the_member_appears_credits_nothing_and_a_repeat_takes_nothing() {
    let app = spawn_app().await;
    let branch = app.branch("B001").await;
    let (till, token) = app.enrolled_till(branch).await;
    let by = MemberIdentifier::Phone(Phone::parse(NEW_PHONE).expect("phone"));
    let sale = member_sale(&till, 1, None, by.clone(), vec![], 90);
    push_one(&app, &till, &token, 1, Event::SaleCompleted(sale.clone())).await;
    let whole = refund_of(&sale, &everything(&sale), &[]);
    assert_eq!(whole.points_taken_back, 90);
    let envelope = hq_server::fixtures::envelope(till.till, 2, Event::SaleRefunded(whole));
    let r = app.push(&token, till.till, vec![envelope.clone()]).await.expect(StatusCode::OK);
    assert_eq!(r.body["results"][0]["outcome"]["status"], "accepted", "{}", r.body);
    let again = app.push(&token, till.till, vec![envelope]).await.expect(StatusCode::OK);
    assert_eq!(again.body["results"][0]["outcome"]["status"], "duplicate", "{}", again.body);

    let r = app
        .post("/api/v1/members", &app.admin, json!({"phone": NEW_PHONE, "name": "新会员"}))
        .await
        .expect(StatusCode::OK);
    assert_eq!(r.body["points"], 0, "{}", r.body);
    let member = MemberId::parse(r.body["id"].as_str().expect("id")).expect("uuid");
    let (points, sum, entries) = books(&app, member);
    assert_eq!((points, sum), (0, 0));
    assert!(entries.iter().all(|e| e.ends_with(" 0")), "nothing credited or taken: {entries:?}");

    // The member's next sale earns as any other: the returned one left nothing behind.
    let code = MemberIdentifier::Code(MemberCode::parse(r.body["code"].as_str().expect("code")).expect("code"));
    let next = member_sale(&till, 3, Some(member), code, vec![], 25);
    push_one(&app, &till, &token, 3, Event::SaleCompleted(next)).await;
    assert_eq!(books(&app, member).0, 25);
    assert!(app.store.check_balances().expect("check").is_empty());
}

#[tokio::test]
async fn a_new_card_returned_in_part_then_given_to_a_member_credits_only_what_was_kept() {
    let app = spawn_app().await;
    let branch = app.branch("B001").await;
    let (till, token) = app.enrolled_till(branch).await;
    let (member, _) = member_with(&app, "13900002222", 100).await;
    // A card the till read but HQ has not given anyone yet; the first line comes back.
    let uid = "04C0FFEE";
    let by = MemberIdentifier::Uid(CardUid::parse(uid).expect("uid"));
    let sale = member_sale(&till, 1, None, by, vec![], 90);
    push_one(&app, &till, &token, 1, Event::SaleCompleted(sale.clone())).await;
    let back = refund_of(&sale, &[ReturnPick { line: 0, qty: sale.lines[0].priced.qty }], &[]);
    assert_eq!(back.points_taken_back, 18);
    push_one(&app, &till, &token, 2, Event::SaleRefunded(back)).await;
    assert_eq!(books(&app, member).0, 100, "nothing reaches the member before the card is theirs");

    app.post(&format!("/api/v1/members/{member}/cards"), &app.admin, json!({"kind": "uid", "value": uid}))
        .await
        .expect(StatusCode::OK);
    assert_eq!(books(&app, member), (172, 172, vec!["adjust 100".to_owned(), "earn 72".to_owned()]));
    // Adding another card later credits the sale no second time.
    app.post(&format!("/api/v1/members/{member}/cards"), &app.admin, json!({"kind": "uid", "value": "04BADCAB"}))
        .await
        .expect(StatusCode::OK);
    assert_eq!(books(&app, member).0, 172);
    assert!(app.store.check_balances().expect("check").is_empty());
}

/// A member's spend over the trailing year (what their tier is measured by, and the member pages'
/// "spent this year") is their sales' due less what refunds of those sales paid back, a sale put
/// under its member only when their card appeared included.
#[tokio::test]
async fn a_members_spend_is_less_what_refunds_of_their_sales_paid_back() {
    use hq_server::store::MemberPagesStore as _;
    use shared::money::Money;
    let app = spawn_app().await;
    let branch = app.branch("B001").await;
    let (till, token) = app.enrolled_till(branch).await;
    let (member, code) = member_with(&app, "13900003333", 0).await;
    let spend = |app: &TestApp| app.store.member_home(member, 5).expect("home").trailing_spend;
    let paid_back = |r: &shared::sale::Refund| r.total.0 + r.rounding.0;

    // A sale of theirs, returned in part.
    let by = MemberIdentifier::Code(MemberCode::parse(&code).expect("code"));
    let first = member_sale(&till, 1, Some(member), by, vec![], 90);
    push_one(&app, &till, &token, 1, Event::SaleCompleted(first.clone())).await;
    assert_eq!(spend(&app), first.totals.due);
    let back = refund_of(&first, &[ReturnPick { line: 0, qty: first.lines[0].priced.qty }], &[]);
    push_one(&app, &till, &token, 2, Event::SaleRefunded(back.clone())).await;
    let after_first = first.totals.due.0 - paid_back(&back);
    assert!(paid_back(&back) > 0 && after_first > 0);
    assert_eq!(spend(&app), Money(after_first));

    // A sale on a card nobody had, returned in part, then the card given to the member.
    let uid = "04FACADE";
    let second = member_sale(&till, 3, None, MemberIdentifier::Uid(CardUid::parse(uid).expect("uid")), vec![], 90);
    push_one(&app, &till, &token, 3, Event::SaleCompleted(second.clone())).await;
    let back2 = refund_of(&second, &[ReturnPick { line: 1, qty: second.lines[1].priced.qty }], &[]);
    push_one(&app, &till, &token, 4, Event::SaleRefunded(back2.clone())).await;
    assert_eq!(spend(&app), Money(after_first), "not theirs until the card is");
    app.post(&format!("/api/v1/members/{member}/cards"), &app.admin, json!({"kind": "uid", "value": uid}))
        .await
        .expect(StatusCode::OK);
    assert_eq!(spend(&app), Money(after_first + second.totals.due.0 - paid_back(&back2)));
}
