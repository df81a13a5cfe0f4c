//! Bank cards on the payment terminal (issue 23), the till engine against the terminal simulator
//! on a pseudo-terminal through the real driver: approved (the tender carries the terminal's
//! reference, the masked card and the auth code, never the full number), declined (its reason,
//! nothing tendered), an answer lost (queried), and a till killed before the request went out
//! and after the terminal approved: at restart the request is queried, and the sale completes
//! once and prints, or nothing was taken.

#![cfg(unix)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use device_drivers::payment_terminal::{Outcome, PaymentTerminalConfig, TerminalOptions};
use device_drivers::simulator::{PaymentTerminalSimulator, Script, TEST_CARD};
use pos_app::TillError;
use pos_app::engine::{CardPayment, CardState, Paid, PaymentStep};
use pos_app::peripherals::DriverTerminal;
use shared::money::Money;
use shared::receipt::PaperWidth;
use shared::sale::TenderKind;

/// One pseudo-terminal at a time (opening pairs races in parallel tests).
fn pty_lock() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// The simulator and a driver on it whose customer has `answer_ms` to pay (short, so a lost
/// answer shows quickly).
fn terminal(answer_ms: u64) -> (PaymentTerminalSimulator, Arc<DriverTerminal>) {
    let sim = PaymentTerminalSimulator::start().expect("simulator");
    let config = PaymentTerminalConfig {
        protocol: TerminalOptions {
            answer_timeout_ms: answer_ms,
            query_timeout_ms: 2_000,
            ..TerminalOptions::default()
        },
        ..sim.config()
    };
    let (t, connected) = DriverTerminal::open_connected(config, Duration::from_secs(5));
    assert!(connected, "the terminal's port opens");
    (sim, Arc::new(t))
}

fn approved(out: CardPayment) -> Box<pos_app::engine::Completed> {
    match out {
        CardPayment::Approved { paid: Paid::Completed(c), .. } => c,
        other => panic!("expected a completed sale, got {other:?}"),
    }
}

#[test]
fn approved_declined_and_an_answer_lost() {
    let _pty = pty_lock();
    let (sim, terminal) = terminal(1_500);
    let mut t = TestTill::ready();
    assert!(matches!(t.till.pay_by_card(None), Err(TillError::Invalid(_))), "no terminal yet");
    t.till.set_card_terminal(Some(Box::new(terminal.clone())));

    // Approved: the tender is the terminal's answer, the card masked, the receipt printed.
    ok(t.till.scan(OIL));
    let done = approved(ok(t.till.pay_by_card(None)));
    let tender = &done.sale.tenders[0];
    assert_eq!(tender.kind, TenderKind::BankCard);
    assert_eq!(tender.amount, Money(6990));
    let sim_tx = sim.transactions();
    let Outcome::Approved(approval) = sim_tx[0].outcome.clone() else { panic!("approved at the terminal") };
    assert_eq!(tender.reference.as_deref(), Some(approval.reference.as_str()));
    let auth = tender.authorization.as_ref().expect("authorization");
    assert_eq!(auth.card.as_deref(), Some(approval.card.as_str()));
    assert_eq!(auth.card.as_deref(), Some(format!("{}*********{}", &TEST_CARD[..6], &TEST_CARD[15..]).as_str()));
    assert_eq!(auth.order_no, None);
    let json = serde_json::to_string(&done.sale).expect("json");
    assert!(!json.contains(TEST_CARD), "the full card number never reaches the till");
    assert!(done.receipt.text(PaperWidth::Mm80).contains(approval.reference.as_str()));

    // Declined: its reason, nothing tendered, the sale still open; then approved.
    ok(t.till.scan(COLA));
    sim.script(Script::decline("51", "余额不足"));
    let out = ok(t.till.pay_by_card(None));
    let CardPayment::NotPaid(declined) = out else { panic!("{out:?}") };
    assert_eq!(declined.state, CardState::Declined);
    assert_eq!((declined.failure_code.as_deref(), declined.message.as_deref()), (Some("51"), Some("余额不足")));
    assert!(t.till.cart().expect("sale").tenders.is_empty());
    let done = approved(ok(t.till.pay_by_card(None)));
    assert_eq!(done.sale.receipt_no, declined.receipt_no, "the same sale");

    // The answer lost, the card charged: the query finds the approval; one charge.
    ok(t.till.scan(COLA));
    sim.script(Script::NoAnswer { approved: true });
    let done = approved(ok(t.till.pay_by_card(None)));
    assert_eq!(done.sale.tenders.len(), 1);
    // A split: part by card, the rest in cash. A card payment taken cannot be held or voided
    // with the sale; removed, it is voided on the terminal first.
    ok(t.till.scan(OIL));
    let out = ok(t.till.pay_by_card(Some(Money(5000))));
    assert!(matches!(out, CardPayment::Approved { paid: Paid::Part { .. }, .. }), "{out:?}");
    assert!(matches!(t.till.hold_sale("x"), Err(TillError::CardTaken)));
    assert!(matches!(t.till.void_sale_in_progress(None), Err(TillError::CardTaken)));
    let charged = sim.net_charged();
    ok(t.till.remove_tender(0));
    assert!(t.till.cart().expect("sale").tenders.is_empty());
    assert_eq!(sim.net_charged(), Money(charged.0 - 5000), "voided on the terminal");
    let out = ok(t.till.pay_by_card(Some(Money(5000))));
    assert!(matches!(out, CardPayment::Approved { paid: Paid::Part { .. }, .. }), "{out:?}");
    let Paid::Completed(done) = ok(t.till.pay(&pos_app::engine::Payment::Cash(Money(2000)))) else {
        panic!("the cash completes it")
    };
    assert_eq!(done.sale.tenders.len(), 2);
    assert_eq!(sim.net_charged(), Money(6990 + 350 + 350 + 5000));
}

#[test]
fn a_till_killed_mid_card_payment_settles_it_at_restart() {
    let _pty = pty_lock();
    let (sim, terminal) = terminal(1_500);
    let mut t = TestTill::ready();
    t.till.set_card_terminal(Some(Box::new(terminal.clone())));

    // Killed after the request was written, before it went out: nothing was taken.
    ok(t.till.scan(COLA));
    t.till.set_payment_hook(Some(Box::new(|step| assert!(step != PaymentStep::CardRecorded, "killed"))));
    let till = &mut t.till;
    assert!(std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| till.pay_by_card(None))).is_err());
    t.restart();
    t.till.set_card_terminal(Some(Box::new(terminal.clone())));
    let recovered = ok(t.till.recover_card_payments());
    assert_eq!(recovered.len(), 1);
    assert_eq!(recovered[0].attempt.state, CardState::NotDone);
    assert!(recovered[0].completed.is_none());
    assert!(sim.transactions().is_empty());
    assert!(t.till.cart().expect("the sale is still open").tenders.is_empty());

    // Killed after the terminal approved, before the till wrote it: completed once at restart.
    ok(t.till.login(CASHIER, CASHIER_PIN));
    let printed = t.devices.log().receipts.len();
    t.till.set_payment_hook(Some(Box::new(|step| assert!(step != PaymentStep::CardAnswered, "killed"))));
    let till = &mut t.till;
    assert!(std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| till.pay_by_card(None))).is_err());
    assert_eq!(sim.net_charged(), Money(350), "the card was charged");
    t.restart();
    t.till.set_card_terminal(Some(Box::new(terminal.clone())));
    let recovered = ok(t.till.recover_card_payments());
    assert_eq!(recovered.len(), 1, "{recovered:?}");
    assert_eq!(recovered[0].attempt.state, CardState::Approved);
    assert!(recovered[0].attempt.recovered);
    let done = recovered[0].completed.as_ref().expect("the sale completed");
    assert_eq!(done.sale.tenders[0].kind, TenderKind::BankCard);
    assert!(t.till.cart().is_none());
    assert_eq!(t.devices.log().receipts.len(), printed + 1, "printed once");
    assert!(ok(t.till.recover_card_payments()).is_empty(), "nothing left to settle");
    assert_eq!(sim.net_charged(), Money(350), "charged once");
    assert_eq!(t.till.store().count_rows("sales").expect("sales"), 1);
}
