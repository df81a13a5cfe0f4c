//! The in-memory authority the till's own tests use (`pos_app::authority::InMemoryAuthority`)
//! against the real thing: the same calls to it and to a real HQ through the till's `HqAuthority`
//! must give the same answers, so tests written against the fake cannot drift from HQ's rules
//! (available balances after holds, refusals with HQ's codes, blocked members, top-ups once by id).

use hq_server::model::{Actor, Adjustment, MemberPatch, NewMember};
use hq_server::store::MemberStore as _;
use pos_app::authority::{AuthorityError, InMemoryAuthority, MemberAuthority};
use pos_app::store::Store;
use pos_app::sync::HqAuthority;
use shared::ids::{EventId, HoldId, SaleId, ShiftId, StaffId};
use shared::member::{MemberIdentifier, MemberSnapshot, MemberStatus, Phone};
use shared::money::Money;
use shared::sale::TenderKind;
use shared::sync::{HoldAmount, HoldRequest, TopUpRequest};
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
