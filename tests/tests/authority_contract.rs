//! The in-memory authority the till's own tests use (`pos_app::authority::InMemoryAuthority`)
//! against the real thing: the same calls to it and to a real HQ through the till's `HqAuthority`
//! must give the same answers, so tests written against the fake cannot drift from HQ's rules
//! (available balances after holds, refusals with HQ's codes, blocked members, top-ups once by id).

use hq_server::model::{Actor, Adjustment, MemberPatch, NewMember};
use hq_server::store::MemberStore as _;
use pos_app::authority::{AuthorityError, InMemoryAuthority, MemberAuthority};
use pos_app::store::Store;
use pos_app::sync::HqAuthority;
use shared::ids::{EventId, HoldId, MemberId, SaleId, ShiftId, StaffId};
use shared::member::{MemberIdentifier, MemberSnapshot, MemberStatus, Phone};
use shared::money::Money;
use shared::sale::TenderKind;
use shared::sync::{CouponHoldRequest, HoldAmount, HoldRequest, TopUpRequest};
use tests::*;

/// The calls, and each answer as a line of text. `block` blocks the member where it lives.
fn transcript(a: &dyn MemberAuthority, m: &MemberSnapshot, block: &dyn Fn()) -> Vec<String> {
    let by = MemberIdentifier::Phone(m.phone.clone().expect("phone"));
    let mut out = Vec::new();
    let lookup = |out: &mut Vec<String>| match a.lookup(&by) {
        Ok(r) => out.push(format!(
            "lookup: {} points, {} + {} stored value, {:?}",
            r.member.points, r.member.stored_value.principal, r.member.stored_value.bonus, r.member.status
        )),
        Err(e) => out.push(format!("lookup: {}", refusal(&e))),
    };
    let hold = |out: &mut Vec<String>, id: u128, amount: HoldAmount| {
        let r = a.hold(&HoldRequest { hold: HoldId(uuid(id)), member: m.id, sale: SaleId(uuid(99)), amount });
        out.push(match r {
            Ok(h) => format!(
                "hold {id}: {} points and {} stored value left, split {:?}",
                h.points_available,
                h.stored_value_available.total(),
                h.split.map(|s| (s.principal, s.bonus))
            ),
            Err(e) => format!("hold {id}: {}", refusal(&e)),
        });
    };
    lookup(&mut out);
    hold(&mut out, 1, HoldAmount::Points { points: 600, value: Money(600) });
    hold(&mut out, 2, HoldAmount::Points { points: 600, value: Money(600) });
    hold(&mut out, 1, HoldAmount::Points { points: 600, value: Money(600) }); // the same hold again
    hold(&mut out, 3, HoldAmount::StoredValue { amount: Money(21_000) });
    hold(&mut out, 4, HoldAmount::StoredValue { amount: Money(30_000) });
    lookup(&mut out);
    out.push(format!("release 1: {:?}", a.release(HoldId(uuid(1))).map_err(|e| refusal(&e))));
    lookup(&mut out);
    let top_up = TopUpRequest {
        id: EventId(uuid(7)),
        member: m.id,
        amount: Money(10_000),
        tender: TenderKind::Cash,
        shift: ShiftId(uuid(8)),
        cashier: StaffId(1),
    };
    for _ in 0..2 {
        out.push(match a.top_up(&top_up) {
            Ok(r) => format!("top-up: {} + {}", r.balance.principal, r.balance.bonus),
            Err(e) => format!("top-up: {}", refusal(&e)),
        });
    }
    lookup(&mut out);
    block();
    lookup(&mut out);
    hold(&mut out, 5, HoldAmount::Points { points: 100, value: Money(100) });
    out
}

fn refusal(e: &AuthorityError) -> String {
    match e {
        AuthorityError::Refused { code, .. } => format!("refused {code}"),
        other => format!("{other:?}"),
    }
}

fn uuid(n: u128) -> uuid::Uuid {
    uuid::Uuid::from_u128(0x01a2_2900_0000_7000_8000_0000_0000_0000 | n)
}

#[test]
fn the_in_memory_authority_answers_as_hq_does() {
    let hq = Hq::start();
    let t = TestTill::enrol(&hq, &hq.code(0, 0));
    let store = hq.store();
    let m = store
        .create_member(
            &Actor::system(),
            NewMember {
                phone: Some(Phone::parse("13700000042").expect("phone")),
                name: "合同".into(),
                ..NewMember::default()
            },
        )
        .expect("member");
    store
        .adjust(
            &Actor::system(),
            m.id,
            Adjustment { points: 1_000, principal: Money(20_000), bonus: Money(2_000), reason: "opening".into() },
        )
        .expect("adjust")
        .expect("adjusted");
    let real = HqAuthority::for_store(&Store::open(&t.path).expect("till db")).expect("authority");
    // The fake starts from what HQ says of the member.
    let snapshot =
        real.lookup(&MemberIdentifier::Phone(Phone::parse("13700000042").expect("phone"))).expect("lookup").member;
    let fake = InMemoryAuthority::new();
    fake.add_member(snapshot.clone());

    let at_hq = transcript(&real, &snapshot, &|| {
        store
            .update_member(
                &Actor::system(),
                m.id,
                MemberPatch { status: Some(MemberStatus::Blocked), ..MemberPatch::default() },
            )
            .expect("block");
    });
    let in_memory = transcript(&fake, &snapshot, &|| {
        let mut blocked = fake.member(snapshot.id).expect("member");
        blocked.status = MemberStatus::Blocked;
        fake.add_member(blocked);
    });
    for (i, (h, f)) in at_hq.iter().zip(&in_memory).enumerate() {
        println!("{i:2} HQ:        {h}\n   in memory: {f}");
    }
    assert_eq!(in_memory, at_hq);
}

/// The coupon calls, each answer as a line: the member's list, a hold, its retry, a second sale's
/// refusal, another member's refusal, a release, the list again, a mistyped and an unknown code.
fn coupon_transcript(a: &dyn MemberAuthority, owner: MemberId, code: &str, unknown: &str) -> Vec<String> {
    let mut out = Vec::new();
    let list = |out: &mut Vec<String>| match a.member_coupons(owner) {
        Ok(list) => out.push(format!(
            "list: {:?}",
            list.iter().map(|c| (c.code.clone(), c.coupon.name.clone(), c.coupon.kind.clone())).collect::<Vec<_>>()
        )),
        Err(e) => out.push(format!("list: {}", refusal(&e))),
    };
    let hold = |out: &mut Vec<String>, id: u128, sale: u128, code: &str, member: Option<MemberId>| {
        let r = a.hold_coupon(&CouponHoldRequest {
            hold: HoldId(uuid(id)),
            sale: SaleId(uuid(sale)),
            code: code.to_owned(),
            member,
        });
        out.push(match r {
            Ok(h) => format!("hold {id}: {} {} of {}", h.code, h.coupon.name, h.member == owner),
            Err(e) => format!("hold {id}: {}", refusal(&e)),
        });
    };
    list(&mut out);
    hold(&mut out, 1, 10, code, Some(owner));
    hold(&mut out, 1, 10, code, Some(owner)); // the same hold again
    hold(&mut out, 2, 11, code, None); // another sale
    hold(&mut out, 3, 12, code, Some(MemberId(uuid(77))));
    out.push(format!("release 1: {:?}", a.release_coupon(HoldId(uuid(1))).map_err(|e| refusal(&e))));
    list(&mut out);
    hold(&mut out, 4, 13, code, None);
    let mut typo = code.to_owned();
    typo.pop();
    typo.push(if code.ends_with('0') { '1' } else { '0' });
    hold(&mut out, 5, 14, &typo, None);
    hold(&mut out, 6, 15, unknown, None);
    out
}

#[test]
fn the_in_memory_authority_holds_coupons_as_hq_does() {
    use hq_server::model::{CouponAudience, CouponValidity, IssueRequest, NewCampaign};
    use hq_server::store::CouponStore as _;
    use shared::promotions::Scope;
    use shared::promotions::coupons::{Coupon, CouponCode, CouponKind};

    let hq = Hq::start();
    let t = TestTill::enrol(&hq, &hq.code(0, 0));
    let store = hq.store();
    let owner = hq.demo.members[0].clone();
    let kind = CouponKind::AmountOff {
        scope: Scope { all_products: true, ..Scope::default() },
        min_spend: Money::yuan(50),
        off: Money::yuan(5),
    };
    let campaign = store
        .create_campaign(
            &Actor::system(),
            NewCampaign {
                name: "满50减5".into(),
                kind: kind.clone(),
                offline_cap: None,
                validity: CouponValidity::Days { days: 30 },
            },
        )
        .expect("campaign");
    let id = campaign.campaign.id;
    let request = IssueRequest {
        batch: "contract".into(),
        audience: CouponAudience::Members { members: vec![owner.code.clone()] },
    };
    assert_eq!(store.issue_coupons(&Actor::system(), id, &request).expect("issued").issued, 1);
    let issued =
        store.member_coupons(owner.id).expect("coupons").into_iter().find(|c| c.campaign_id == id.0).expect("one");
    let code = CouponCode::parse(&issued.code).expect("HQ's code reads");
    let unknown = CouponCode::new(id, shared::promotions::coupons::CouponId(code.coupon.0 + 1000), &[1, 2, 3, 4, 5]);

    let real = HqAuthority::for_store(&Store::open(&t.path).expect("till db")).expect("authority");
    let fake = InMemoryAuthority::new();
    let now = jiff::Timestamp::now();
    fake.add_coupon(
        code.clone(),
        Coupon { id: code.coupon, name: "满50减5".into(), kind, offline_allowed: false },
        owner.id,
        now - jiff::SignedDuration::from_hours(1),
        now + jiff::SignedDuration::from_hours(24 * 30),
    );
    let at_hq = coupon_transcript(&real, owner.id, &issued.code, &unknown.to_string());
    let in_memory = coupon_transcript(&fake, owner.id, &issued.code, &unknown.to_string());
    for (i, (h, f)) in at_hq.iter().zip(&in_memory).enumerate() {
        println!("{i:2} HQ:        {h}\n   in memory: {f}");
    }
    assert_eq!(in_memory, at_hq);
}

/// A rotating code's lookup, each answer as a line: a code of now, of the step before, of two
/// steps before, a forged one, one naming a number nobody has, and after the secret is replaced
/// (the member signed out everywhere) the code that was good a moment before.
fn rotating_transcript(
    a: &dyn MemberAuthority,
    m: &MemberSnapshot,
    secret: &dyn Fn() -> shared::member_code::MemberSecret,
    now: jiff::Timestamp,
    rotate: &dyn Fn(),
) -> Vec<String> {
    use shared::member_code::{RotatingCode, code_at};
    let unix = |t: jiff::Timestamp| u64::try_from(t.as_second()).expect("after 1970");
    let mut out = Vec::new();
    let look = |out: &mut Vec<String>, what: &str, code: &RotatingCode| {
        out.push(match a.lookup_rotating(code) {
            Ok(r) => format!("{what}: {} checked {}", r.member.id == m.id, r.code_checked),
            Err(e) => format!("{what}: {}", refusal(&e)),
        })
    };
    let at = |secs: i64| code_at(&m.code, &secret(), unix(now - jiff::SignedDuration::from_secs(secs))).expect("code");
    look(&mut out, "now", &at(0));
    look(&mut out, "a step before", &at(30));
    look(&mut out, "two steps before", &at(61));
    let mut forged = at(0);
    forged.otp = if forged.otp == "000000" { "111111".into() } else { "000000".into() };
    look(&mut out, "forged", &forged);
    let nobody =
        RotatingCode { member: shared::catalog::MemberCode::parse("8999999999").expect("number"), otp: at(0).otp };
    look(&mut out, "nobody's number", &nobody);
    let before = at(0);
    rotate();
    look(&mut out, "after signing out everywhere", &before);
    look(&mut out, "the new secret's", &at(0));
    out
}

#[test]
fn the_in_memory_authority_checks_rotating_codes_as_hq_does() {
    use hq_server::store::MemberPagesStore as _;
    let clock = hq_server::clock::Clock::manual(jiff::Timestamp::now());
    let hq = Hq::start_at(hq_server::demo::DemoOptions::small(), clock.clone());
    let t = TestTill::enrol(&hq, &hq.code(0, 0));
    let store = hq.store();
    let owner = hq.demo.members[0].clone();
    store.member_code_secret(owner.id).expect("a secret");
    let real = HqAuthority::for_store(&Store::open(&t.path).expect("till db")).expect("authority");
    let snapshot =
        real.lookup(&MemberIdentifier::Phone(Phone::parse(&owner.phone).expect("phone"))).expect("lookup").member;
    assert!(snapshot.code_secret.is_some(), "HQ sends the secret with the member");
    let fake = InMemoryAuthority::new();
    fake.set_clock(HqClock(clock.clone()));
    fake.add_member(snapshot.clone());
    let now = clock.now();

    let hq_secret = || store.get_member(owner.id).expect("member").code_secret.expect("secret");
    let at_hq = rotating_transcript(&real, &snapshot, &hq_secret, now, &|| {
        store.sign_out_everywhere(owner.id).expect("signed out");
    });
    let fake_secret = || fake.member(snapshot.id).and_then(|m| m.code_secret).expect("secret");
    let in_memory = rotating_transcript(&fake, &snapshot, &fake_secret, now, &|| {
        let mut rotated = fake.member(snapshot.id).expect("member");
        rotated.code_secret = Some(shared::member_code::MemberSecret::from_bytes([9; 20]));
        fake.add_member(rotated);
    });
    for (i, (h, f)) in at_hq.iter().zip(&in_memory).enumerate() {
        println!("{i:2} HQ:        {h}\n   in memory: {f}");
    }
    assert_eq!(in_memory, at_hq);
    assert_eq!(at_hq[0], "now: true checked true");
}
