//! Staff at the till and the life of a shift, through the engine's public API.

mod common;

use common::*;
use jiff::SignedDuration;
use pos_app::TillError;
use shared::money::Money;
use shared::sale::TenderKind;
use shared::shift::{CashCount, Denomination};
use shared::staff::ApprovalAction;
use shared::sync::Event;

#[test]
fn login_lock_and_unlock() {
    let mut t = TestTill::new();
    assert!(matches!(t.till.scan(COLA), Err(TillError::NotLoggedIn)));
    assert!(matches!(t.till.login(CASHIER, "0000"), Err(TillError::WrongPin { attempts_left: Some(4) })));
    assert!(matches!(t.till.login("4242", "1234"), Err(TillError::WrongPin { attempts_left: None })));
    let me = ok(t.till.login(CASHIER, CASHIER_PIN));
    assert_eq!(me.name, "张三");
    ok(t.till.lock());
    assert!(matches!(t.till.open_shift(float()), Err(TillError::Locked)));
    assert!(matches!(t.till.unlock("1111"), Err(TillError::WrongPin { .. })));
    ok(t.till.unlock(CASHIER_PIN));
    ok(t.till.open_shift(float()));
}

#[test]
fn five_wrong_pins_lock_out_until_a_manager_unlocks_or_time_passes() {
    let mut t = TestTill::new();
    for left in (1..=4).rev() {
        assert!(
            matches!(t.till.login(CASHIER, "0000"), Err(TillError::WrongPin { attempts_left: Some(n) }) if n == left)
        );
    }
    assert!(matches!(t.till.login(CASHIER, "0000"), Err(TillError::LockedOut { until: Some(_) })));
    // Even the right PIN is refused now.
    assert!(matches!(t.till.login(CASHIER, CASHIER_PIN), Err(TillError::LockedOut { .. })));
    // A manager unlocks.
    let approval = t.approve(ApprovalAction::UnlockCashier);
    ok(t.till.unlock_staff(CASHIER, approval));
    ok(t.till.login(CASHIER, CASHIER_PIN));
    t.till.logout();

    // Locked out again, the configured 15 minutes let them back in.
    for _ in 0..5 {
        let _ = t.till.login(CASHIER, "0000");
    }
    assert!(matches!(t.till.login(CASHIER, CASHIER_PIN), Err(TillError::LockedOut { .. })));
    t.clock.advance(SignedDuration::from_mins(16));
    ok(t.till.login(CASHIER, CASHIER_PIN));
    // The lock-outs and the unlock are audited.
    let audit = t.store().audit_entries(10).expect("audit");
    assert_eq!(audit.iter().filter(|a| a.action == "unlock_cashier").count(), 3);
}

#[test]
fn a_lockout_survives_a_restart() {
    let mut t = TestTill::new();
    for _ in 0..5 {
        let _ = t.till.login(CASHIER, "0000");
    }
    t.restart();
    assert!(matches!(t.till.login(CASHIER, CASHIER_PIN), Err(TillError::LockedOut { .. })));
}

#[test]
fn a_shift_from_float_to_z_report() {
    let mut t = TestTill::ready();
    assert!(matches!(t.till.open_shift(float()), Err(TillError::ShiftAlreadyOpen)));

    // A cash sale: ¥69.90 + ¥3.50 = ¥73.40 in cash (¥100 handed).
    ok(t.till.scan(OIL));
    ok(t.till.scan(COLA));
    ok(t.till.add_cash(Money(10_000)));
    ok(t.till.complete(false));
    // A card sale of ¥7.50.
    ok(t.till.scan(CHIPS));
    ok(t.till.add_card(Money(750), "T0001"));
    ok(t.till.complete(false));

    // Paid in and out need a manager.
    assert!(matches!(
        t.till.paid_out(Money(2000), "快递费", None),
        Err(TillError::ApprovalRequired(ApprovalAction::PaidOut))
    ));
    let a = t.approve(ApprovalAction::PaidOut);
    ok(t.till.paid_out(Money(2000), "快递费", Some(a)));
    let a = t.approve(ApprovalAction::PaidIn);
    ok(t.till.paid_in(Money(10_000), "零钱", Some(a)));
    let a = t.approve(ApprovalAction::NoSaleDrawerOpen);
    ok(t.till.no_sale("换零钱", Some(a)));

    let x = ok(t.till.x_report());
    assert_eq!(x.sales_count, 2);
    assert_eq!(x.gross, Money(7340 + 750));
    assert_eq!(x.tenders.get(&TenderKind::Cash), Some(&Money(7340)));
    assert_eq!(x.tenders.get(&TenderKind::BankCard), Some(&Money(750)));
    assert_eq!(x.no_sale_opens, 1);
    // 500 + 73.40 - 20 + 100 = 653.40
    assert_eq!(x.expected, Money(65_340));
    assert_eq!(x.counted, None);

    // The blind count: ¥653.00 in the drawer: 40 fen short.
    let count = CashCount::new([(Denomination::Yuan100, 6), (Denomination::Yuan50, 1), (Denomination::Yuan1, 3)]);
    let z = ok(t.till.close_shift(count));
    assert_eq!(z.number, 1);
    assert_eq!(z.report.counted, Some(Money(65_300)));
    assert_eq!(z.report.over_short, Some(Money(-40)));
    assert!(matches!(t.till.scan(COLA), Err(TillError::NoOpenShift)));

    // The next shift's Z report has the next number, even after a restart.
    t.restart();
    ok(t.till.login(CASHIER2, CASHIER_PIN));
    ok(t.till.open_shift(float()));
    let z2 = ok(t.till.close_shift(float()));
    assert_eq!(z2.number, 2);
    assert_eq!(z2.report.over_short, Some(Money(0)));

    // Day end by the manager: both shifts closed.
    t.till.logout();
    ok(t.till.login(MANAGER, MANAGER_PIN));
    let day = ok(t.till.business_day());
    assert_eq!(day.to_string(), "2026-11-23");
    let summary = ok(t.till.day_end(day, None));
    assert_eq!(summary.shifts, 2);
    assert_eq!(summary.sales_count, 2);
    assert_eq!(summary.over_short, Money(-40));
    assert!(matches!(t.till.day_end(day, None), Err(TillError::DayAlreadyClosed(_))));

    let events = t.store().all_events(100).expect("outbox");
    let kinds: Vec<&str> = events.iter().map(|e| e.envelope.event.kind()).collect();
    assert_eq!(
        kinds,
        vec![
            "shift_opened",
            "sale_completed",
            "sale_completed",
            "cash_movement",
            "audit",
            "cash_movement",
            "audit",
            "cash_movement",
            "audit",
            "shift_closed",
            "shift_opened",
            "shift_closed",
            "day_closed",
            "audit",
        ]
    );
    let seqs: Vec<u64> = events.iter().map(|e| e.envelope.seq).collect();
    assert_eq!(seqs, (1..=14).collect::<Vec<u64>>(), "event sequence numbers have no gaps");
    match &events[9].envelope.event {
        Event::ShiftClosed(c) => assert_eq!(c.report.over_short, Some(Money(-40))),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn day_end_needs_every_shift_closed_and_a_manager() {
    let mut t = TestTill::ready();
    let day = ok(t.till.business_day());
    assert!(matches!(t.till.day_end(day, None), Err(TillError::ApprovalRequired(ApprovalAction::DayEnd))));
    let a = t.approve(ApprovalAction::DayEnd);
    assert!(matches!(t.till.day_end(day, Some(a)), Err(TillError::ShiftsOpen(1))));
}

#[test]
fn the_business_day_follows_the_branch_cut_off() {
    let t = TestTill::new();
    // 03:30 in Shanghai is still the previous business day (cut-off 04:00).
    t.clock.set("2026-11-23T19:30:00Z".parse().expect("ts"));
    assert_eq!(ok(t.till.business_day()).to_string(), "2026-11-23");
    t.clock.set("2026-11-23T20:30:00Z".parse().expect("ts"));
    assert_eq!(ok(t.till.business_day()).to_string(), "2026-11-24");
}

#[test]
fn another_cashier_cannot_sell_on_an_open_shift() {
    let mut t = TestTill::ready();
    t.till.logout();
    ok(t.till.login(CASHIER2, CASHIER_PIN));
    assert!(matches!(t.till.scan(COLA), Err(TillError::NotYourShift)));
    assert!(matches!(t.till.open_shift(float()), Err(TillError::ShiftAlreadyOpen)));
}
