//! Members across tills and HQ, end to end: two tills racing for a member's last points, a policy
//! change reaching the tills while a sale made offline keeps the points its receipt printed, and a
//! member enrolled offline with a phone number HQ already has.

use std::time::Duration;

use hq_server::model::{Actor, Adjustment, NewMember};
use hq_server::store::{MemberStore as _, PolicyStore as _};
use pos_app::TillError;
use pos_app::engine::Enrolment;
use shared::member::{MemberIdentifier, Phone};
use shared::money::Money;
use tests::*;

/// A member of HQ with `points` and no birthday (no birthday bonus to reckon with).
fn member_with_points(hq: &Hq, phone: &str, points: i64) -> hq_server::model::MemberRecord {
    member_at(hq, 0, phone, points)
}

/// The same, with home branch `branch` of the demo chain (tills receive their branch's members).
fn member_at(hq: &Hq, branch: usize, phone: &str, points: i64) -> hq_server::model::MemberRecord {
    let store = hq.store();
    let m = store
        .create_member(
            &Actor::system(),
            NewMember {
                id: None,
                code: None,
                phone: Some(Phone::parse(phone).expect("phone")),
                name: "测试会员".into(),
                birthday: None,
                tier: None,
                home_branch: Some(hq.demo.branches[branch].id),
                uid: None,
            },
        )
        .expect("member");
    if points == 0 {
        return m;
    }
    store
        .adjust(
            &Actor::system(),
            m.id,
            Adjustment { points, principal: Money::ZERO, bonus: Money::ZERO, reason: "开卡赠送".into() },
        )
        .expect("store")
        .expect("adjusted")
}

/// Rings up `n` of the till's `k`-th product for the member, leaving the sale open for tenders.
fn ring_up(t: &mut TestTill, member: &MemberIdentifier, k: usize, n: usize) {
    let code = t.barcode(k);
    t.till.attach_member(member.clone()).expect("member");
    for _ in 0..n {
        t.till.scan(&code).expect("scan");
    }
}

#[test]
fn two_tills_redeeming_the_last_points_at_once_exactly_one_wins() {
    let hq = Hq::start();
    let m = member_with_points(&hq, "13600000001", 300);
    let who = MemberIdentifier::Phone(Phone::parse("13600000001").expect("phone"));
    let mut a = TestTill::enrol(&hq, &hq.code(0, 0));
    let mut b = TestTill::enrol(&hq, &hq.code(0, 1));
    a.open_shift(CASHIER);
    b.open_shift(CASHIER2);
    for t in [&mut a, &mut b] {
        ring_up(t, &who, 0, 10);
    }

    // Both tills ask HQ to hold the same 300 points (¥3.00) at the same moment.
    let barrier = std::sync::Barrier::new(2);
    let (ra, rb) = std::thread::scope(|s| {
        let ha = s.spawn(|| {
            barrier.wait();
            a.till.add_points(Money(300))
        });
        let hb = s.spawn(|| {
            barrier.wait();
            b.till.add_points(Money(300))
        });
        (ha.join().expect("till A"), hb.join().expect("till B"))
    });
    assert_eq!(ra.is_ok() as u8 + rb.is_ok() as u8, 1, "exactly one hold: {ra:?} / {rb:?}");
    let (winner, loser, refused) = if ra.is_ok() { (&mut a, &mut b, rb) } else { (&mut b, &mut a, ra) };
    assert!(matches!(refused, Err(TillError::HqRefused(_)) | Err(TillError::Points(_))), "{refused:?}");

    // The winner completes with its points; the loser's cashier takes cash instead.
    let due = winner.till.view().expect("view").expect("sale").cash_due;
    winner.till.add_cash(due).expect("cash");
    let won = winner.till.complete(false).expect("complete");
    assert_eq!(won.sale.points_redeemed(), 300);
    let due = loser.till.view().expect("view").expect("sale").cash_due;
    loser.till.add_cash(due).expect("cash");
    let lost = loser.till.complete(false).expect("complete");
    assert_eq!(lost.sale.points_redeemed(), 0);

    a.start_sync();
    b.start_sync();
    a.wait_pushed(Duration::from_secs(30));
    b.wait_pushed(Duration::from_secs(30));
    let after = hq.store().get_member(m.id).expect("member");
    let earned: i64 = [&won.sale, &lost.sale].iter().filter_map(|s| s.member.as_ref()).map(|x| x.points_earned).sum();
    let spent = 300;
    assert_eq!(after.points, m.points - spent + earned, "the 300 points were spent once");
    assert!(hq.store().check_balances().expect("balances").is_empty());
}

#[test]
fn a_policy_change_reaches_the_tills_and_an_offline_sale_keeps_its_printed_points() {
    let mut hq = Hq::start();
    let m = member_with_points(&hq, "13600000002", 0);
    let who = MemberIdentifier::Phone(Phone::parse("13600000002").expect("phone"));
    let mut t = TestTill::enrol(&hq, &hq.code(0, 0));
    t.open_shift(CASHIER);
    let v1 = hq.store().current_policy().expect("policy");
    // The till looks the member up online once, so it knows them when HQ is gone.
    t.till.attach_member(who.clone()).expect("online lookup");
    t.till.detach_member().expect("detach");
    t.start_sync();
    t.wait_pushed(Duration::from_secs(30));

    // HQ goes away; the till sells to the member under the policy it has (v1).
    hq.stop();
    ring_up(&mut t, &who, 1, 3);
    let due = t.till.view().expect("view").expect("sale").cash_due;
    t.till.add_cash(due).expect("cash");
    let offline = t.till.complete(false).expect("complete offline");
    let printed = offline.sale.member.clone().expect("member");
    assert_eq!(printed.policy_version, v1.version);
    assert!(printed.points_earned > 0);

    // Meanwhile marketing triples the earn rate, back-dated to just before that sale: at HQ the
    // new version was in force when the sale was made, but the till could not know it.
    let mut v2 = v1.clone();
    v2.effective_from = offline.sale.completed_at - jiff::SignedDuration::from_millis(1);
    assert!(v2.effective_from > v1.effective_from);
    v2.earn.earn_per_yuan = v1.earn.earn_per_yuan * 3;
    let v2 = hq.store().create_policy(&Actor::system(), v2).expect("new policy");
    assert!(v2.version > v1.version);

    // HQ comes back: the offline sale earns exactly what its receipt printed, under v1.
    hq.restart();
    t.wait_pushed(Duration::from_secs(60));
    let member = hq.store().get_member(m.id).expect("member");
    assert_eq!(member.points, printed.points_earned, "HQ honours the policy the sale used");

    // The till pulls v2; the next sale of the same basket earns under it.
    let path = t.path.clone();
    wait_until("the new policy to reach the till", Duration::from_secs(30), || {
        pos_app::store::Store::open(&path)
            .and_then(|s| s.policies())
            .is_ok_and(|v| v.iter().any(|p| p.version == v2.version))
    });
    ring_up(&mut t, &who, 1, 3);
    let due = t.till.view().expect("view").expect("sale").cash_due;
    t.till.add_cash(due).expect("cash");
    let online = t.till.complete(false).expect("complete");
    let now = online.sale.member.clone().expect("member");
    assert_eq!(now.policy_version, v2.version);
    assert!(
        now.points_earned >= printed.points_earned * 3 - 3 && now.points_earned <= printed.points_earned * 3 + 3,
        "triple rate: {} then {}",
        printed.points_earned,
        now.points_earned
    );
    t.wait_pushed(Duration::from_secs(30));
    let member = hq.store().get_member(m.id).expect("member");
    assert_eq!(member.points, printed.points_earned + now.points_earned);
}

#[test]
fn a_member_enrolled_offline_with_a_known_phone_is_merged_and_the_till_learns_it() {
    let mut hq = Hq::start();
    // A member of the other branch: this till has never seen them.
    let existing = member_at(&hq, 1, "13600000003", 0);
    let phone = Phone::parse("13600000003").expect("phone");
    let mut t = TestTill::enrol(&hq, &hq.code(0, 0));
    t.open_shift(CASHIER);
    t.start_sync();
    t.wait_pushed(Duration::from_secs(30));

    // Offline, the customer signs up again at the till with the same phone number and buys.
    hq.stop();
    let provisional = t
        .till
        .enrol_member(Enrolment {
            phone: phone.clone(),
            name: "张三".into(),
            birthday: None,
            code: None,
            card_uid: None,
        })
        .expect("enrolled offline");
    assert_ne!(provisional.id, existing.id);
    ring_up(&mut t, &MemberIdentifier::Phone(phone.clone()), 1, 2);
    let due = t.till.view().expect("view").expect("sale").cash_due;
    t.till.add_cash(due).expect("cash");
    let sale = t.till.complete(false).expect("complete");
    let earned = sale.sale.member.as_ref().expect("member").points_earned;

    // Back online: HQ merges the enrolment into the member it has, with the sale's points.
    hq.restart();
    t.wait_pushed(Duration::from_secs(60));
    let path = t.path.clone();
    wait_until("the till to learn the merge", Duration::from_secs(30), || {
        pos_app::store::Store::open(&path)
            .and_then(|s| s.merged_into(provisional.id))
            .is_ok_and(|into| into == Some(existing.id))
    });
    let member = hq.store().get_member(existing.id).expect("member");
    assert_eq!(member.points, earned, "the offline sale's points went to the existing member");
    assert!(hq.store().find_member(&MemberIdentifier::Phone(phone)).expect("find").expect("ok").is_some());
    // At the till the phone now finds the merged member.
    t.till.attach_member(MemberIdentifier::Code(existing.code.clone())).expect("member");
    let snap = t.till.view().expect("view").expect("sale").member.expect("member").snapshot.expect("snapshot");
    assert_eq!(snap.id, existing.id);
}

#[test]
fn a_member_known_only_by_phone_offline_gets_the_points_when_hq_hears_of_the_sale() {
    let mut hq = Hq::start();
    // A member of the other branch, unknown to this till.
    let m = member_at(&hq, 1, "13600000004", 0);
    let phone = Phone::parse("13600000004").expect("phone");
    let mut t = TestTill::enrol(&hq, &hq.code(0, 0));
    t.open_shift(CASHIER);
    t.start_sync();
    t.wait_pushed(Duration::from_secs(30));

    hq.stop();
    t.sync.as_ref().expect("sync").push_now();
    t.wait_status("the till to see HQ gone", Duration::from_secs(30), |s| !s.online);
    let attached = t.till.attach_member(MemberIdentifier::Phone(phone.clone())).expect("captured offline");
    assert!(!attached.online);
    assert!(attached.snapshot.is_none(), "only the phone number is known here");
    ring_up(&mut t, &MemberIdentifier::Phone(phone), 1, 2);
    let due = t.till.view().expect("view").expect("sale").cash_due;
    t.till.add_cash(due).expect("cash");
    let sale = t.till.complete(false).expect("complete");
    let captured = sale.sale.member.clone().expect("the identifier is on the sale");
    assert!(captured.member_id.is_none());

    hq.restart();
    t.wait_pushed(Duration::from_secs(60));
    let member = hq.store().get_member(m.id).expect("member");
    // Two of the demo catalog's second product at ¥17.29 = ¥34.58; offline the till knows no tier,
    // so the entry tier's point a yuan: 34 printed, and HQ credits exactly that.
    assert_eq!(sale.sale.totals.due, Money(3458));
    assert_eq!(captured.points_earned, 34);
    assert_eq!(member.points, 34, "HQ attributed the sale to the member and credited the printed points");
    assert!(hq.store().check_balances().expect("balances").is_empty());
}
