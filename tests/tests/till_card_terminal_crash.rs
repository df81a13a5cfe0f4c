//! A till killed with SIGKILL in the middle of a bank-card payment on the terminal (issue 23): the
//! terminal simulator on a pseudo-terminal, the real driver in the till (a child process, this
//! test binary again), a real HQ on loopback. Killed once the request is written (before it went
//! out): at the restart the terminal is queried, has no such request, and nothing was taken; the
//! sale is still open. Killed once the terminal approved (before the till wrote it): at the
//! restart the query finds the approval and the sale completes once, prints once, the card is
//! charged once, and HQ accepts the sale with the masked card on its tender.
//!
//! The same for a return of a card sale given back to the card on the terminal (退货): killed once
//! the return and its card part are written (not sent), and once the terminal refunded (the till
//! had not written it): at the restart the part is sent again under the same request id, which the
//! terminal answers as before; the return completes once, prints once, the card gets the money
//! back once, and HQ accepts the refund events.

#![cfg(unix)]

use std::time::Duration;

use device_drivers::payment_terminal::{PaymentTerminalConfig, TerminalOptions};
use device_drivers::payment_terminal::{Request, TransactionKind};
use device_drivers::simulator::{PaymentTerminalSimulator, TEST_CARD};
use pos_app::engine::{CardPayment, CardState, Paid, PaymentStep};
use pos_app::peripherals::{DriverTerminal, RecordingDevices};
use pos_app::store::Store;
use shared::money::Money;
use shared::receipt::ReceiptNo;
use shared::sale::{ReturnPick, TenderKind};
use shared::staff::ApprovalAction;
use tests::*;

const VAR: &str = "TILLPOINT_CARD_CRASH";
const REFUND_VAR: &str = "TILLPOINT_CARD_REFUND_CRASH";

fn terminal_config(port: &str) -> PaymentTerminalConfig {
    let mut config = PaymentTerminalConfig::default();
    config.port.path = port.to_owned();
    config.protocol =
        TerminalOptions { answer_timeout_ms: 3_000, query_timeout_ms: 2_000, ..TerminalOptions::default() };
    config
}

#[test]
#[ignore = "runs only as the child of killed_in_the_middle_of_a_card_payment"]
fn child_pays_by_card() {
    let Ok(spec) = std::env::var(VAR) else { return };
    let mut parts = spec.splitn(3, '|');
    let mut part = || parts.next().expect("path|step|port");
    let (path, step, port) = (part(), part(), part());
    let target = if step == "recorded" { PaymentStep::CardRecorded } else { PaymentStep::CardAnswered };
    let mut till = open_till(std::path::Path::new(path), Box::new(pos_app::peripherals::NoDevices));
    let (terminal, connected) = DriverTerminal::open_connected(terminal_config(port), Duration::from_secs(5));
    assert!(connected, "the terminal's port opens");
    till.set_card_terminal(Some(Box::new(terminal)));
    till.login(CASHIER.0, CASHIER.1).expect("login");
    stop_at_step(&mut till, std::path::Path::new(path), target);
    let _ = till.pay_by_card(None);
    wait_to_be_killed(std::path::Path::new(path));
}

#[test]
fn killed_in_the_middle_of_a_card_payment() {
    let _pty = devices_lock();
    let sim = PaymentTerminalSimulator::start().expect("terminal simulator");
    let port = sim.port_path().display().to_string();
    let hq = Hq::start();
    let mut t = TestTill::enrol(&hq, &hq.code(0, 0));
    t.open_shift(CASHIER);
    t.till.scan(&t.barcode(0)).expect("scan");
    let due = t.till.view().expect("view").expect("sale").remaining;
    t.till.logout();
    let TestTill { dir, path, till, .. } = t;
    drop(till);

    for (n, step) in ["recorded", "answered"].into_iter().enumerate() {
        let stderr = dir.path().join(format!("child{n}.err"));
        let value = format!("{}|{step}|{port}", path.display());
        kill_child_at_step("child_pays_by_card", VAR, &value, &path, &stderr, step);

        // The restart: no one signed in; the open request is queried on the terminal.
        let devices = RecordingDevices::default();
        let mut till = open_till(&path, Box::new(devices.clone()));
        // The port is this till's alone now (the killed one's driver is gone with it).
        let (terminal, connected) = DriverTerminal::open_connected(terminal_config(&port), Duration::from_secs(5));
        assert!(connected, "case {step}: the terminal's port opens");
        till.set_card_terminal(Some(Box::new(terminal)));
        let recovered = till.recover_card_payments().expect("recovery");
        assert_eq!(recovered.len(), 1, "case {step}: {recovered:?}");
        let r = &recovered[0];
        assert!(r.attempt.recovered, "case {step}: the cashier is told");
        if step == "recorded" {
            assert_eq!(r.attempt.state, CardState::NotDone, "case {step}");
            assert!(r.completed.is_none());
            assert_eq!(sim.net_charged(), Money::ZERO, "case {step}: nothing taken");
            assert!(till.cart().expect("the sale is still open").tenders.is_empty());
            assert!(devices.log().receipts.is_empty());
        } else {
            assert_eq!(r.attempt.state, CardState::Approved, "case {step}");
            let done = r.completed.as_ref().unwrap_or_else(|| panic!("case {step}: completed: {r:?}"));
            let tender = &done.sale.tenders[0];
            assert_eq!((tender.kind, tender.amount), (TenderKind::BankCard, due));
            assert_eq!(tender.reference, r.attempt.reference);
            let card = tender.authorization.as_ref().and_then(|a| a.card.clone()).expect("masked card");
            assert_eq!(card, format!("{}*********{}", &TEST_CARD[..6], &TEST_CARD[15..]));
            assert_eq!(devices.log().receipts.len(), 1, "printed once");
            assert!(till.cart().is_none());
            assert!(till.recover_card_payments().expect("again").is_empty(), "nothing left to settle");
            assert_eq!(sim.net_charged(), due, "charged once");
            assert_eq!(till.store().count_rows("sales").expect("sales"), 1);
        }
        // The next child has the port to itself.
        drop(till);
        std::thread::sleep(Duration::from_millis(200));
    }

    // HQ accepts the sale.
    let mut config = pos_app::sync::SyncConfig::new(&path);
    config.interval = Duration::from_millis(200);
    config.min_backoff = Duration::from_millis(100);
    let sync = pos_app::sync::start(config).expect("sync starts");
    let store = Store::open(&path).expect("store");
    wait_until("the outbox to drain", Duration::from_secs(20), || store.pending_count().is_ok_and(|n| n == 0));
    sync.stop();
    let till = open_till(&path, Box::new(pos_app::peripherals::NoDevices));
    assert!(till.rejected_events(10).expect("rejected").is_empty(), "{:?}", till.rejected_events(10));
}

#[test]
#[ignore = "runs only as the child of killed_in_the_middle_of_a_card_refund"]
fn child_refunds_to_card() {
    let Ok(spec) = std::env::var(REFUND_VAR) else { return };
    let mut parts = spec.splitn(5, '|');
    let mut part = || parts.next().expect("path|step|port|receipt|line");
    let (path, step, port, receipt, line) = (part(), part(), part(), part(), part());
    let target = if step == "recorded" { PaymentStep::RefundRecorded } else { PaymentStep::RefundAnswered };
    let mut till = open_till(std::path::Path::new(path), Box::new(pos_app::peripherals::NoDevices));
    let (terminal, connected) = DriverTerminal::open_connected(terminal_config(port), Duration::from_secs(5));
    assert!(connected, "the terminal's port opens");
    till.set_card_terminal(Some(Box::new(terminal)));
    till.login(CASHIER.0, CASHIER.1).expect("login");
    stop_at_step(&mut till, std::path::Path::new(path), target);
    let receipt = ReceiptNo::parse(receipt).expect("receipt");
    let line: usize = line.parse().expect("line");
    let sale = till.store().sale_by_receipt(&receipt).expect("read").expect("the sale");
    let approval = till.approve(ApprovalAction::Refund, MANAGER.0, MANAGER.1).expect("approval");
    let picks = [ReturnPick { line, qty: sale.lines[line].priced.qty }];
    let _ = till.complete_return(&receipt, &picks, "顾客退货", Some(approval));
    wait_to_be_killed(std::path::Path::new(path));
}

/// What the terminal paid back to cards, per request id.
fn card_refunds(sim: &PaymentTerminalSimulator) -> Vec<(String, Money)> {
    sim.transactions()
        .into_iter()
        .filter(|t| t.kind == TransactionKind::Refund)
        .map(|t| (t.id.as_str().to_owned(), t.amount))
        .collect()
}

#[test]
fn killed_in_the_middle_of_a_card_refund() {
    let _pty = devices_lock();
    let sim = PaymentTerminalSimulator::start().expect("terminal simulator");
    let port = sim.port_path().display().to_string();
    let hq = Hq::start();
    let mut t = TestTill::enrol(&hq, &hq.code(0, 0));
    t.open_shift(CASHIER);
    // A sale of two products paid whole by card on the terminal.
    let (terminal, connected) = DriverTerminal::open_connected(terminal_config(&port), Duration::from_secs(5));
    assert!(connected, "the terminal's port opens");
    t.till.set_card_terminal(Some(Box::new(terminal)));
    t.till.scan(&t.barcode(0)).expect("scan");
    t.till.scan(&t.barcode(1)).expect("scan");
    let out = t.till.pay_by_card(None).expect("pay");
    let CardPayment::Approved { paid: Paid::Completed(done), attempt } = out else { panic!("{out:?}") };
    let (sale, reference) = (done.sale, attempt.reference.expect("reference"));
    t.till.logout();
    let TestTill { dir, path, till, .. } = t;
    drop(till);
    std::thread::sleep(Duration::from_millis(200));

    for (n, (step, line)) in [("recorded", 0usize), ("answered", 1usize)].into_iter().enumerate() {
        let stderr = dir.path().join(format!("refund{n}.err"));
        let value = format!("{}|{step}|{port}|{}|{line}", path.display(), sale.receipt_no);
        kill_child_at_step("child_refunds_to_card", REFUND_VAR, &value, &path, &stderr, step);
        let seq = n + 1;
        let id = format!("{reference}-R{seq}");
        let done_before = card_refunds(&sim).len();
        assert_eq!(done_before, if step == "answered" { seq } else { n }, "case {step}");

        // The restart: no one signed in; the open return is resumed under its request id.
        let devices = RecordingDevices::default();
        let mut till = open_till(&path, Box::new(devices.clone()));
        let (terminal, connected) = DriverTerminal::open_connected(terminal_config(&port), Duration::from_secs(5));
        assert!(connected, "case {step}: the terminal's port opens");
        till.set_card_terminal(Some(Box::new(terminal)));
        let resumed = till.resume_code_returns(false).expect("resumed");
        assert_eq!(resumed.len(), 1, "case {step}: {resumed:?}");
        let (refund, _) = *resumed[0].completed.clone().unwrap_or_else(|| panic!("case {step}: {resumed:?}"));
        let back = &refund.tenders[0];
        assert_eq!((back.kind, back.amount), (TenderKind::BankCard, refund.total));
        assert!(back.authorization.as_ref().and_then(|a| a.card.clone()).is_some(), "case {step}: the masked card");
        assert_eq!(devices.log().receipts.len(), 1, "case {step}: printed once");
        assert!(till.resume_code_returns(false).expect("again").is_empty(), "case {step}: nothing left open");
        let done = card_refunds(&sim);
        assert_eq!(done.len(), seq, "case {step}: one refund each: {done:?}");
        assert_eq!(done[n], (id.clone(), refund.total), "case {step}");
        let sent = sim.requests().iter().filter(|r| matches!(r, Request::Refund { .. })).count();
        assert!(sent >= seq, "case {step}");
        assert_eq!(till.store().count_rows("refunds").expect("refunds"), seq as i64);
        drop(till);
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(sim.net_charged(), Money::ZERO, "the whole payment back to the card, once");

    // HQ accepts the sale and both refund events.
    let mut config = pos_app::sync::SyncConfig::new(&path);
    config.interval = Duration::from_millis(200);
    config.min_backoff = Duration::from_millis(100);
    let sync = pos_app::sync::start(config).expect("sync starts");
    let store = Store::open(&path).expect("store");
    wait_until("the outbox to drain", Duration::from_secs(20), || store.pending_count().is_ok_and(|n| n == 0));
    sync.stop();
    let till = open_till(&path, Box::new(pos_app::peripherals::NoDevices));
    assert!(till.rejected_events(10).expect("rejected").is_empty(), "{:?}", till.rejected_events(10));
}
