//! Member coupons at the till: a code scanned or typed, or picked from the member's coupons, is held
//! at HQ for the sale (one hold across tills), applied last, recorded with its hold and printed; a
//! coupon the sale does not use is given back; a wrong, unknown, used, held, expired or another
//! member's coupon is refused with its reason and changes nothing; offline, only a campaign HQ allows
//! offline is taken, up to its cap per till and day, and never the same coupon twice.

mod common;

use common::*;
use jiff::{SignedDuration, Timestamp};
use pos_app::TillError;
use pos_app::engine::CouponProblem;
use shared::ids::MemberId;
use shared::money::Money;
use shared::promotions::Scope;
use shared::promotions::coupons::{
    CampaignId, Coupon, CouponCode, CouponCodeError, CouponId, CouponKind, OfflineCouponRefusal,
};
use shared::receipt::PaperWidth;
use shared::sync::Change;

/// ¥5 off a sale of ¥50 or more, of campaign 3.
fn five_off(id: u64) -> Coupon {
    Coupon {
        id: CouponId(id),
        name: "满50减5".into(),
        kind: CouponKind::AmountOff {
            scope: Scope { all_products: true, ..Scope::default() },
            min_spend: Money::yuan(50),
            off: Money::yuan(5),
        },
        offline_allowed: false,
    }
}

fn code(id: u64) -> CouponCode {
    CouponCode::new(CampaignId(3), CouponId(id), &[id as u8, 9, 17, 4, 30])
}

/// Issues coupon `id` (¥5 off from ¥50) to `member` at the in-memory HQ, valid now.
fn issue(t: &TestTill, id: u64, member: MemberId) -> String {
    let now = Timestamp::now();
    t.hq.add_coupon(
        code(id),
        five_off(id),
        member,
        now - SignedDuration::from_hours(24),
        now + SignedDuration::from_hours(24 * 30),
    );
    code(id).to_string()
}

fn refused(r: Result<impl std::fmt::Debug, TillError>) -> CouponProblem {
    match r {
        Err(TillError::Coupon(p)) => p,
        other => panic!("expected a coupon refusal, got {other:?}"),
    }
}

#[test]
fn a_coupon_is_held_applied_last_recorded_printed_and_then_used() {
    let mut t = TestTill::ready();
    let member = t.member.id;
    let text = issue(&t, 11, member);
    ok(t.till.scan(OIL));
    // Scanned like any code: HQ holds it for this sale.
    let added = match ok(t.till.scan(&text)) {
        pos_app::engine::ScanOutcome::Coupon(c) => c,
        other => panic!("not read as a coupon: {other:?}"),
    };
    assert_eq!((added.name.as_str(), added.discount, added.offline), ("满50减5", Money(500), false));
    assert!(t.hq.coupon_held(CouponId(11)));
    let view = ok(t.till.view()).expect("a cart");
    assert_eq!(view.totals.coupon_discounts, Money(500));
    assert_eq!(view.totals.total, Money(6490), "¥69.90 less ¥5");
    assert_eq!(view.coupons.len(), 1);
    ok(t.till.add_cash(Money::yuan(70)));
    let done = ok(t.till.complete(false));
    let sale = &done.sale;
    sale.check().expect("a consistent record");
    assert_eq!(sale.coupons.len(), 1);
    assert_eq!(sale.coupons[0].discount, Money(500));
    assert!(sale.coupons[0].hold.is_some(), "taken online: HQ's hold is captured by the event");
    assert_eq!(sale.lines[0].coupons, vec![(CouponId(11), Money(500))]);
    let paper = done.receipt.text(PaperWidth::Mm80);
    assert!(paper.contains("优惠券") && paper.contains(&text), "{paper}");
    assert!(paper.contains("本单共优惠"), "{paper}");
    // HQ captures it with the sale: the coupon is used; a second sale cannot use it again.
    t.hq.ingest_sale(sale);
    assert!(t.hq.coupon_used(CouponId(11)));
    ok(t.till.scan(OIL));
    let before = footprint(&t.store());
    assert_eq!(refused(t.till.add_coupon(&text)), CouponProblem::Used);
    assert_eq!(footprint(&t.store()), before, "a refused coupon changes nothing");
}

#[test]
fn a_coupon_the_sale_does_not_use_goes_back_to_the_member() {
    let mut t = TestTill::ready();
    let text = issue(&t, 12, t.member.id);
    ok(t.till.scan(COLA));
    let added = ok(t.till.add_coupon(&text));
    // ¥3.50 is far from ¥50: on the sale, taking nothing yet.
    assert_eq!(added.discount, Money::ZERO);
    ok(t.till.add_cash(Money::yuan(5)));
    let done = ok(t.till.complete(false));
    assert!(done.sale.coupons.is_empty());
    assert!(!t.hq.coupon_held(CouponId(12)), "its hold was given back");
    t.hq.ingest_sale(&done.sale);
    assert!(!t.hq.coupon_used(CouponId(12)));
    // Taken off by hand: the hold goes back too.
    ok(t.till.scan(OIL));
    ok(t.till.add_coupon(&text));
    assert!(t.hq.coupon_held(CouponId(12)));
    ok(t.till.remove_coupon(&text));
    assert!(!t.hq.coupon_held(CouponId(12)));
    assert_eq!(ok(t.till.view()).expect("cart").totals.coupon_discounts, Money::ZERO);
}

#[test]
fn one_coupon_at_two_tills_gets_one_hold() {
    let mut a = TestTill::ready();
    let text = issue(&a, 13, a.member.id);
    // A second till of the same HQ.
    let dir = tempfile::tempdir().expect("dir");
    seed(&db_path(dir.path()));
    let mut b = open(dir.path(), &a.hq, &a.devices, &a.clock);
    ok(b.login(CASHIER2, CASHIER_PIN));
    ok(b.open_shift(float()));
    ok(a.till.scan(OIL));
    ok(b.scan(OIL));
    ok(a.till.add_coupon(&text));
    assert_eq!(refused(b.add_coupon(&text)), CouponProblem::Held);
    // Till A voids its sale: the coupon is free for till B.
    let approval = a.approve(shared::staff::ApprovalAction::VoidCart);
    ok(a.till.void_sale_in_progress(Some(approval)));
    ok(b.add_coupon(&text));
    assert_eq!(refused(a.till.scan(OIL).and_then(|_| a.till.add_coupon(&text))), CouponProblem::Held);
}

#[test]
fn wrong_unknown_twice_and_another_members_coupons_are_refused_and_change_nothing() {
    let mut t = TestTill::ready();
    let mine = issue(&t, 14, t.member.id);
    let theirs = issue(&t, 15, MemberId::new());
    ok(t.till.scan(OIL));
    let before = footprint(&t.store());
    // One character wrong: caught by the code's check, before HQ is asked.
    let mut typo = mine.clone().into_bytes();
    let last = typo.len() - 2;
    typo[last] = if typo[last] == b'A' { b'B' } else { b'A' };
    let typo = String::from_utf8(typo).expect("ascii");
    assert_eq!(refused(t.till.scan(&typo)), CouponProblem::Code(CouponCodeError::Check));
    assert_eq!(refused(t.till.add_coupon("CP3-99")), CouponProblem::Code(CouponCodeError::Form));
    // A well-formed code HQ never issued.
    assert_eq!(refused(t.till.add_coupon(&code(77).to_string())), CouponProblem::Unknown);
    assert_eq!(footprint(&t.store()), before);
    // With the member on the sale, another member's coupon is refused; mine is taken once.
    ok(t.till.attach_member(shared::member::MemberIdentifier::Code(t.member.code.clone())));
    assert_eq!(refused(t.till.add_coupon(&theirs)), CouponProblem::OtherMember);
    ok(t.till.add_coupon(&mine));
    assert_eq!(refused(t.till.add_coupon(&mine.to_lowercase())), CouponProblem::AlreadyOnSale);
    // The member's coupon stays with its member: another member cannot be attached instead.
    ok(t.till.detach_member());
    let phone = shared::member::Phone::parse("13900000000").expect("phone");
    let mut someone = gold_member();
    someone.id = MemberId::new();
    someone.code = shared::catalog::MemberCode::parse("0000099999").expect("digits");
    someone.phone = Some(phone.clone());
    someone.card_uids.clear();
    t.hq.add_member(someone);
    let other = shared::member::MemberIdentifier::Phone(phone);
    assert!(matches!(t.till.attach_member(other), Err(TillError::Coupon(CouponProblem::OtherMember))));
}

#[test]
fn the_member_s_coupons_are_listed_to_pick_from() {
    let mut t = TestTill::ready();
    let first = issue(&t, 16, t.member.id);
    issue(&t, 17, t.member.id);
    issue(&t, 18, MemberId::new());
    ok(t.till.scan(OIL));
    assert!(matches!(t.till.member_coupons(), Err(TillError::NoMember)));
    ok(t.till.attach_member(shared::member::MemberIdentifier::Code(t.member.code.clone())));
    let listed: Vec<u64> = ok(t.till.member_coupons()).iter().map(|c| c.coupon.id.0).collect();
    assert_eq!(listed, vec![16, 17]);
    ok(t.till.add_coupon(&first));
    let listed: Vec<u64> = ok(t.till.member_coupons()).iter().map(|c| c.coupon.id.0).collect();
    assert_eq!(listed, vec![17], "the one on the sale is not offered again");
}

#[test]
fn offline_only_a_campaign_hq_allows_up_to_its_cap_and_never_one_coupon_twice() {
    let mut t = TestTill::ready();
    t.hq.set_online(false);
    ok(t.till.scan(OIL));
    // No campaign pulled yet: the till cannot know what the code gives.
    assert_eq!(
        refused(t.till.add_coupon(&code(21).to_string())),
        CouponProblem::Offline(OfflineCouponRefusal::UnknownCampaign(CampaignId(3)))
    );
    let campaign = |cap: Option<u32>| shared::promotions::coupons::CouponCampaign {
        id: CampaignId(3),
        name: "满50减5".into(),
        kind: five_off(0).kind,
        offline_cap: cap,
        active: true,
    };
    t.till.store_mut().apply_changes(&[Change::CouponCampaign(campaign(None))]).expect("pulled");
    assert_eq!(
        refused(t.till.add_coupon(&code(21).to_string())),
        CouponProblem::Offline(OfflineCouponRefusal::NotOffline("满50减5".into()))
    );
    t.till.store_mut().apply_changes(&[Change::CouponCampaign(campaign(Some(1)))]).expect("pulled");
    let taken = ok(t.till.add_coupon(&code(21).to_string()));
    assert_eq!((taken.discount, taken.offline), (Money(500), true));
    ok(t.till.add_cash(Money::yuan(70)));
    let done = ok(t.till.complete(false));
    assert_eq!(done.sale.coupons.len(), 1);
    assert_eq!(done.sale.coupons[0].hold, None, "taken offline: HQ checks the code when the sale arrives");
    // The cap is one a day at this till; and this coupon was taken here already.
    ok(t.till.scan(OIL));
    assert_eq!(refused(t.till.add_coupon(&code(21).to_string())), CouponProblem::AlreadyTakenHere);
    assert_eq!(
        refused(t.till.add_coupon(&code(22).to_string())),
        CouponProblem::Offline(OfflineCouponRefusal::CapReached { name: "满50减5".into(), used: 1, cap: 1 })
    );
    // An ended campaign is refused offline too.
    let mut ended = campaign(Some(5));
    ended.active = false;
    t.till.store_mut().apply_changes(&[Change::CouponCampaign(ended)]).expect("pulled");
    assert_eq!(
        refused(t.till.add_coupon(&code(23).to_string())),
        CouponProblem::Offline(OfflineCouponRefusal::Ended("满50减5".into()))
    );
}

#[test]
fn a_coupon_on_the_sale_survives_a_restart_and_a_held_sale_gives_it_back() {
    let mut t = TestTill::ready();
    let text = issue(&t, 24, t.member.id);
    ok(t.till.scan(OIL));
    ok(t.till.add_coupon(&text));
    t.restart();
    ok(t.till.login(CASHIER, CASHIER_PIN));
    let view = ok(t.till.view()).expect("the sale came back");
    assert_eq!(view.totals.coupon_discounts, Money(500));
    // Put on hold: the coupon goes back to the member (presented again on recall).
    let id = ok(t.till.hold_sale("coupon"));
    assert!(!t.hq.coupon_held(CouponId(24)));
    ok(t.till.recall_sale(&id));
    assert_eq!(ok(t.till.view()).expect("recalled").totals.coupon_discounts, Money::ZERO);
    ok(t.till.add_coupon(&text));
    assert!(t.hq.coupon_held(CouponId(24)));
}

#[test]
fn a_return_pays_back_what_each_line_paid_after_the_coupon_and_keeps_the_coupon_used() {
    let mut t = TestTill::ready();
    let text = issue(&t, 25, t.member.id);
    ok(t.till.scan(OIL));
    ok(t.till.scan(CHIPS));
    ok(t.till.add_coupon(&text));
    ok(t.till.add_cash(Money::yuan(80)));
    let sale = ok(t.till.complete(false)).sale;
    // ¥69.90 + ¥7.50 = ¥77.40, ¥5 off by what each costs: 4.52 and 0.48.
    let taken: Vec<Money> = sale.lines.iter().map(|l| l.priced.coupon_discount).collect();
    assert_eq!(taken, vec![Money(452), Money(48)]);
    assert_eq!(sale.totals.due, Money(7240));
    t.hq.ingest_sale(&sale);
    let a = t.approve(shared::staff::ApprovalAction::Refund);
    let picks = [shared::sale::ReturnPick { line: 1, qty: shared::money::Qty::ONE }];
    let (refund, _) = ok(t.till.complete_return(&sale.receipt_no, &picks, "不要了", Some(a)));
    assert_eq!(refund.total, Money(750 - 48), "the chips paid ¥7.02");
    let a = t.approve(shared::staff::ApprovalAction::Refund);
    let picks = [shared::sale::ReturnPick { line: 0, qty: shared::money::Qty::ONE }];
    let (rest, _) = ok(t.till.complete_return(&sale.receipt_no, &picks, "不要了", Some(a)));
    assert_eq!(refund.total + rest.total, sale.totals.due, "everything back is exactly what was paid");
    // The coupon is not given back by a return (one use).
    assert!(t.hq.coupon_used(CouponId(25)));
}

#[test]
fn a_lost_answer_is_retried_as_the_same_hold_and_a_coupon_scanned_first_is_held_for_its_sale() {
    let mut t = TestTill::ready();
    let text = issue(&t, 31, t.member.id);
    // Scanned before any goods: the hold names the sale the coupon goes on.
    t.hq.lose_next_hold_answer();
    assert!(matches!(t.till.add_coupon(&text), Err(TillError::Coupon(CouponProblem::Offline(_)))));
    assert!(t.till.cart().is_none(), "a refused coupon leaves no sale behind");
    assert!(t.hq.coupon_held(CouponId(31)), "HQ made the hold; its answer was lost");
    // Asked again: the same hold, so HQ answers it, not "in use by another sale".
    let taken = ok(t.till.add_coupon(&text));
    assert!(!taken.offline);
    let cart = t.till.cart().expect("the sale the coupon started").clone();
    assert_eq!(t.hq.coupon_hold_sale(CouponId(31)), Some(cart.id));
}

#[test]
fn offline_the_campaign_s_cap_counts_the_coupons_already_on_the_sale() {
    let mut t = TestTill::ready();
    t.hq.set_online(false);
    let campaign = shared::promotions::coupons::CouponCampaign {
        id: CampaignId(3),
        name: "满50减5".into(),
        kind: five_off(0).kind,
        offline_cap: Some(1),
        active: true,
    };
    t.till.store_mut().apply_changes(&[Change::CouponCampaign(campaign)]).expect("pulled");
    for _ in 0..4 {
        ok(t.till.scan(OIL));
    }
    ok(t.till.add_coupon(&code(41).to_string()));
    assert_eq!(
        refused(t.till.add_coupon(&code(42).to_string())),
        CouponProblem::Offline(OfflineCouponRefusal::CapReached { name: "满50减5".into(), used: 1, cap: 1 })
    );
}
