//! Bank cards on the payment terminal (issue 23), the till engine against the terminal simulator
//! on a pseudo-terminal through the real driver: approved (the tender carries the terminal's
//! reference, the masked card and the auth code, never the full number), declined (its reason,
//! nothing tendered), an answer lost (queried), and a till killed before the request went out
//! and after the terminal approved: at restart the request is queried, and the sale completes
//! once and prints, or nothing was taken. Returns give a card sale back to the card on the
//! terminal (退货 by its reference, partly and again; a post-void as 撤销); a decline, an
//! unplugged terminal or none records nothing and pays no cash; a late answer or a till killed
//! mid-refund is one refund, under the request id written before.

#![cfg(unix)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use device_drivers::payment_terminal::{Outcome, PaymentTerminalConfig, TerminalOptions};
use device_drivers::payment_terminal::{Request, TransactionKind};
use device_drivers::simulator::{PaymentTerminalSimulator, Script, TEST_CARD};
use pos_app::TillError;
use pos_app::engine::{CardPayment, CardState, Paid, PaymentStep};
use pos_app::peripherals::DriverTerminal;
use shared::money::{Money, Qty};
use shared::receipt::PaperWidth;
use shared::sale::{RefundKind, ReturnPick, TenderKind};
use shared::staff::ApprovalAction;

/// One pseudo-terminal at a time (opening pairs races in parallel tests).
fn pty_lock() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// The simulator and a driver on it whose customer has `answer_ms` to pay (short, so a lost
/// answer shows quickly).
fn terminal(answer_ms: u64) -> (PaymentTerminalSimulator, Arc<DriverTerminal>) {
    let sim = PaymentTerminalSimulator::start().expect("simulator");
    let t = driver(&sim, answer_ms);
    (sim, t)
}

/// A driver on the simulator's port.
fn driver(sim: &PaymentTerminalSimulator, answer_ms: u64) -> Arc<DriverTerminal> {
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
    Arc::new(t)
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

/// A cola (¥3.50) and chips (¥7.50), paid whole by card on the terminal; its terminal reference.
fn card_sale(t: &mut TestTill) -> (shared::sale::CompletedSale, String) {
    ok(t.till.scan(COLA));
    ok(t.till.scan(CHIPS));
    let done = approved(ok(t.till.pay_by_card(None)));
    assert_eq!(done.sale.totals.due, Money(1100));
    let reference = done.sale.tenders[0].reference.clone().expect("the terminal's reference");
    (done.sale, reference)
}

fn return_line(
    t: &mut TestTill,
    sale: &shared::sale::CompletedSale,
    line: usize,
) -> pos_app::TillResult<shared::sale::Refund> {
    let a = t.approve(ApprovalAction::Refund);
    t.till.complete_return(&sale.receipt_no, &[ReturnPick { line, qty: Qty::ONE }], "不要了", Some(a)).map(|r| r.0)
}

/// The terminal's refund requests, as (request id, original reference, amount).
fn refunds_sent(sim: &PaymentTerminalSimulator) -> Vec<(String, String, Money)> {
    sim.requests()
        .into_iter()
        .filter_map(|r| match r {
            Request::Refund { id, original_reference, amount } => {
                Some((id.as_str().to_owned(), original_reference.as_str().to_owned(), amount))
            }
            _ => None,
        })
        .collect()
}

#[test]
fn a_card_sale_goes_back_to_the_card_on_the_terminal_partly_and_again() {
    let _pty = pty_lock();
    let (sim, terminal) = terminal(1_500);
    let mut t = TestTill::ready();
    t.till.set_card_terminal(Some(Box::new(terminal.clone())));
    let (sale, reference) = card_sale(&mut t);
    let drawer = t.devices.log().drawer_opens;

    let first = return_line(&mut t, &sale, 0).expect("refunded to the card");
    assert_eq!(first.tenders.len(), 1);
    let back = &first.tenders[0];
    assert_eq!((back.kind, back.amount), (TenderKind::BankCard, Money(350)));
    assert_eq!(sim.net_charged(), Money(750), "¥3.50 went back to the card");
    assert_eq!(refunds_sent(&sim), [(format!("{reference}-R1"), reference.clone(), Money(350))]);
    // The tender carries the refund's own terminal reference, the masked card and its auth code.
    let Some(refund_tx) = sim.transactions().into_iter().rfind(|x| x.kind == TransactionKind::Refund) else {
        panic!("a refund at the terminal")
    };
    let Outcome::Approved(approval) = refund_tx.outcome else { panic!("approved") };
    assert_eq!(back.reference.as_deref(), Some(approval.reference.as_str()));
    assert_ne!(back.reference.as_deref(), Some(reference.as_str()));
    let auth = back.authorization.as_ref().expect("authorization");
    assert_eq!(auth.card.as_deref(), Some(approval.card.as_str()));
    assert_eq!(auth.auth_code.as_deref(), Some(approval.auth_code.as_str()));
    let printed = t.devices.log().receipts.last().expect("printed").text(PaperWidth::Mm80);
    assert!(printed.contains(approval.reference.as_str()), "{printed}");
    assert!(!serde_json::to_string(&first).expect("json").contains(TEST_CARD));
    assert_eq!(t.devices.log().drawer_opens, drawer, "no cash: the drawer stays shut");

    // The rest, under the sale's next number; then nothing is left to give back.
    let second = return_line(&mut t, &sale, 1).expect("refunded to the card");
    assert_eq!(second.paid_back_by(TenderKind::BankCard), Money(750));
    assert_eq!(sim.net_charged(), Money::ZERO);
    assert_eq!(refunds_sent(&sim).last().map(|r| r.0.clone()), Some(format!("{reference}-R2")));
    assert!(matches!(return_line(&mut t, &sale, 1), Err(TillError::Refund(_))));
    assert_eq!(refunds_sent(&sim).len(), 2, "never beyond the payment");
    assert!(t.till.open_code_returns().expect("open").is_empty());
}

#[test]
fn a_declined_card_refund_or_no_terminal_records_nothing_and_pays_no_cash() {
    let _pty = pty_lock();
    let (sim, terminal) = terminal(1_500);
    let mut t = TestTill::ready();
    // The till holds the only driver, so unplugging below drops it.
    t.till.set_card_terminal(Some(Box::new(terminal)));
    let (sale, reference) = card_sale(&mut t);
    let before = footprint(&t.store());
    let log = t.devices.log();

    sim.script(Script::decline("13", "退货金额超限"));
    let refused = return_line(&mut t, &sale, 0);
    let Err(TillError::RefundRefused { kind, amount, code, message }) = refused else { panic!("{refused:?}") };
    assert_eq!((kind, amount), (TenderKind::BankCard, Money(350)));
    assert_eq!((code.as_deref(), message.as_str()), (Some("13"), "退货金额超限"));
    let after = footprint(&t.store());
    assert_eq!((after.refunds, after.outbox, after.audit), (before.refunds, before.outbox, before.audit));
    assert_eq!(t.devices.log().receipts.len(), log.receipts.len(), "nothing printed");
    assert_eq!(t.devices.log().drawer_opens, log.drawer_opens, "no cash");
    assert!(t.till.open_code_returns().expect("open").is_empty(), "a refusal that moved nothing is closed");
    assert_eq!(sim.net_charged(), Money(1100));

    // The terminal unplugged: nothing sent, nothing recorded, the cashier told why.
    sim.close();
    let unplugged = return_line(&mut t, &sale, 0);
    let Err(TillError::RefundRefused { code, .. }) = &unplugged else { panic!("{unplugged:?}") };
    assert_eq!(code.as_deref(), Some("not_done"));
    assert_eq!(footprint(&t.store()).refunds, before.refunds);
    // No terminal at all: refused before anything is written.
    t.till.set_card_terminal(None);
    let none = return_line(&mut t, &sale, 0);
    assert!(matches!(none, Err(TillError::Invalid(_))), "{none:?}");
    assert_eq!(footprint(&t.store()).refunds, before.refunds);

    // Plugged in again, it goes through under the payment's next number (refused ones count).
    std::thread::sleep(Duration::from_millis(300));
    sim.reopen().expect("reopen");
    t.till.set_card_terminal(Some(Box::new(driver(&sim, 1_500))));
    let done = return_line(&mut t, &sale, 0).expect("refunded");
    assert_eq!(done.paid_back_by(TenderKind::BankCard), Money(350));
    assert_eq!(refunds_sent(&sim).last().map(|r| r.0.clone()), Some(format!("{reference}-R3")));
    assert_eq!(sim.net_charged(), Money(750));
}

#[test]
fn a_post_void_of_a_card_sale_voids_it_on_the_terminal() {
    let _pty = pty_lock();
    let (sim, terminal) = terminal(1_500);
    let mut t = TestTill::ready();
    t.till.set_card_terminal(Some(Box::new(terminal.clone())));
    let (sale, _) = card_sale(&mut t);
    let request = sim.transactions()[0].id.as_str().to_owned();
    let a = t.approve(ApprovalAction::VoidSale);
    let (void, _) = ok(t.till.void_sale(&sale.receipt_no, "顾客不要了", Some(a)));
    assert_eq!(void.kind, RefundKind::Void);
    assert_eq!(void.paid_back_by(TenderKind::BankCard), Money(1100));
    let voids: Vec<_> = sim
        .requests()
        .into_iter()
        .filter_map(|r| match r {
            Request::Void { id, original } => Some((id.as_str().to_owned(), original.as_str().to_owned())),
            _ => None,
        })
        .collect();
    assert_eq!(voids, [(format!("{request}-V1"), request.clone())], "撤销, not 退货");
    assert!(refunds_sent(&sim).is_empty());
    assert!(sim.transactions()[0].voided);
    assert_eq!(sim.net_charged(), Money::ZERO);
}

#[test]
fn a_card_refund_whose_answer_is_late_or_a_till_killed_mid_refund_is_one_refund() {
    let _pty = pty_lock();
    let (sim, terminal) = terminal(1_000);
    let mut t = TestTill::ready();
    t.till.set_card_terminal(Some(Box::new(terminal.clone())));
    let (sale, reference) = card_sale(&mut t);

    // The answer comes after the till stopped waiting, and the query finds it still running:
    // the return stays open, and blocks another return of the sale.
    sim.set_answer_delay(Duration::from_millis(2_500));
    let open = return_line(&mut t, &sale, 0);
    assert!(matches!(open, Err(TillError::RefundOpen { .. })), "{open:?}");
    assert_eq!(t.till.open_code_returns().expect("open").len(), 1);
    assert_eq!(t.till.store().count_rows("refunds").expect("count"), 0, "not recorded yet");
    sim.set_answer_delay(Duration::ZERO);
    std::thread::sleep(Duration::from_millis(2_000));
    // At the next start it is sent again under the same id, which the terminal answers as before.
    t.restart();
    t.till.set_card_terminal(Some(Box::new(terminal.clone())));
    let resumed = ok(t.till.resume_code_returns(false));
    assert_eq!(resumed.len(), 1, "{resumed:?}");
    let (refund, _) = *resumed[0].completed.clone().unwrap_or_else(|| panic!("completed: {resumed:?}"));
    assert_eq!(refund.paid_back_by(TenderKind::BankCard), Money(350));
    assert_eq!(sim.net_charged(), Money(750), "refunded once");
    assert!(refunds_sent(&sim).iter().all(|r| r.0 == format!("{reference}-R1")));
    assert_eq!(t.till.store().count_rows("refunds").expect("count"), 1);

    // Killed once the part is written (not sent), and once the terminal refunded (not written):
    // each is one refund at restart, under the number written before.
    for step in [PaymentStep::RefundRecorded, PaymentStep::RefundAnswered] {
        ok(t.till.login(CASHIER, CASHIER_PIN));
        let (sale, reference) = card_sale(&mut t);
        let charged = sim.net_charged();
        let recorded = t.till.store().count_rows("refunds").expect("count");
        t.till.set_payment_hook(Some(Box::new(move |s| assert!(s != step, "killed"))));
        let a = t.approve(ApprovalAction::Refund);
        let picks = [ReturnPick { line: 1, qty: Qty::ONE }];
        let till = &mut t.till;
        let died = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _ = till.complete_return(&sale.receipt_no, &picks, "坏了", Some(a));
        }));
        assert!(died.is_err(), "{step:?}");
        let sent = if step == PaymentStep::RefundRecorded { 0 } else { 750 };
        assert_eq!(sim.net_charged(), Money(charged.0 - sent), "{step:?}");
        t.restart();
        t.till.set_card_terminal(Some(Box::new(terminal.clone())));
        let resumed = ok(t.till.resume_code_returns(false));
        assert!(resumed.len() == 1 && resumed[0].completed.is_some(), "{step:?}: {resumed:?}");
        assert_eq!(sim.net_charged(), Money(charged.0 - 750), "{step:?}: refunded once");
        assert_eq!(refunds_sent(&sim).last().map(|r| r.0.clone()), Some(format!("{reference}-R1")));
        assert_eq!(t.till.store().count_rows("refunds").expect("count"), recorded + 1, "{step:?}");
        assert!(ok(t.till.resume_code_returns(false)).is_empty());
    }
}
