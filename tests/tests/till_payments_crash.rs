//! A till killed with SIGKILL at each step of a payment by code, against a real HQ on loopback and
//! the payment simulator: after the restart, the till's recovery asks HQ about the attempt and
//! settles it. Paid: the sale completes once, under the attempt's receipt number, and prints; not
//! paid (never sent, refused, or cancelled at the restart): no sale, nothing charged, and the sale
//! is still open for another payment.
//!
//! The till runs in a child process (this test binary again, `child_pays_by_code`, which runs only
//! when `TILLPOINT_PAY_CRASH` is set): it stops at the step named, says so in a file, and waits to be
//! killed.

use payments::ProviderKind;
use payments::sim::Script;
use pos_app::engine::PaymentStep;
use pos_app::peripherals::RecordingDevices;
use pos_app::store::Store;
use shared::payment::AttemptState;
use tests::*;

const VAR: &str = "TILLPOINT_PAY_CRASH";

#[test]
#[ignore = "runs only as the child of killed_at_each_step_of_a_payment_by_code"]
fn child_pays_by_code() {
    let Ok(spec) = std::env::var(VAR) else { return };
    let mut parts = spec.splitn(3, '|');
    let mut part = || parts.next().expect("path|step|code");
    let (path, step, code) = (part(), part(), part());
    let target = match step {
        "recorded" => PaymentStep::Recorded,
        "answered" => PaymentStep::Answered,
        _ => PaymentStep::Written,
    };
    let mut till = open_till(std::path::Path::new(path), Box::new(pos_app::peripherals::NoDevices));
    till.login(CASHIER.0, CASHIER.1).expect("login");
    stop_at_step(&mut till, std::path::Path::new(path), target);
    let _ = till.pay_by_code(code, None);
    wait_to_be_killed(std::path::Path::new(path));
}

struct Case {
    step: &'static str,
    script: Option<Script>,
    /// After the restart: the sale paid and completed (else open, nothing charged).
    paid: bool,
}

#[test]
fn killed_at_each_step_of_a_payment_by_code() {
    let hq = Hq::start_paying(till_payments_settings());
    let sim = hq.payments.simulator.clone().expect("the simulator");
    let t = TestTill::enrol(&hq, &hq.code(0, 0));
    let TestTill { dir, path, till, .. } = t;
    drop(till);
    let item = barcode(&path, 0);

    let cases = [
        Case { step: "recorded", script: None, paid: false },
        Case { step: "answered", script: None, paid: true },
        Case { step: "written", script: None, paid: true },
        Case { step: "answered", script: Some(Script::InsufficientFunds), paid: false },
        Case { step: "answered", script: Some(Script::UserPaying { paid_after_queries: None }), paid: false },
        Case { step: "written", script: Some(Script::UserPaying { paid_after_queries: None }), paid: false },
    ];
    for (n, case) in cases.into_iter().enumerate() {
        let code = format!("1345678901234{:05}", 100 + n);
        if let Some(s) = case.script.clone() {
            sim.script_code(&code, s);
        }
        // A sale rung up, saved with the cart; then the child pays it by code and is killed.
        {
            let mut till = open_till(&path, Box::new(pos_app::peripherals::NoDevices));
            till.login(CASHIER.0, CASHIER.1).expect("login");
            if till.current_shift().expect("shift").is_none() {
                till.open_shift(float()).expect("open shift");
            }
            if till.cart().is_none() {
                till.scan(&item).expect("scan");
            }
            till.logout();
        }
        let stderr = dir.path().join(format!("child{n}.err"));
        let value = format!("{}|{}|{code}", path.display(), case.step);
        kill_child_at_step("child_pays_by_code", VAR, &value, &path, &stderr, &format!("{n} ({})", case.step));

        // The restart: no one signed in; the recovery settles the attempt.
        let devices = RecordingDevices::default();
        let mut till = open_till(&path, Box::new(devices.clone()));
        let open = Store::open(&path).expect("store").unsettled_attempts().expect("attempts");
        let mut recovered = till.recover_payments().expect("recovery");
        // An attempt HQ is still cancelling at the provider is settled by asking again.
        while let Some(open) = recovered.iter().find(|r| !r.attempt.state.is_final()).cloned() {
            std::thread::sleep(std::time::Duration::from_millis(50));
            let again = till.recover_payments().expect("recovery");
            recovered.retain(|r| r.attempt.order_no != open.attempt.order_no);
            recovered.extend(again);
        }
        let order_no =
            recovered.first().map(|r| r.attempt.order_no.clone()).or_else(|| open.first().map(|a| a.order_no.clone()));
        let receipt = till.cart().and_then(|c| c.receipt_no.clone());
        if case.paid {
            let r = recovered.iter().find(|r| r.completed.is_some()).unwrap_or_else(|| {
                panic!("case {n} ({}): the paid sale completes at the restart: {recovered:?}", case.step)
            });
            let sale = &r.completed.as_ref().expect("completed").sale;
            assert_eq!(r.attempt.state, AttemptState::Paid);
            assert_eq!(format!("{}-{}", sale.receipt_no, r.attempt.attempt), r.attempt.order_no);
            assert_eq!(sim.times_charged(ProviderKind::WeChat, &r.attempt.order_no), 1);
            assert!(till.cart().is_none(), "case {n}: the sale is no longer open");
            let found = till.store().sale_by_receipt(&sale.receipt_no).expect("read");
            assert!(found.is_some(), "case {n}: the sale is on disk once");
            assert_eq!(devices.log().receipts.len(), 1, "case {n}: its receipt printed");
        } else {
            assert!(recovered.iter().all(|r| r.completed.is_none()), "case {n}: {recovered:?}");
            assert!(recovered.iter().all(|r| r.attempt.state.is_final()), "case {n}: settled: {recovered:?}");
            assert!(recovered.iter().all(|r| r.attempt.state != AttemptState::Paid), "case {n}: {recovered:?}");
            let receipt = receipt.expect("the sale is still open, with its receipt number");
            assert!(till.store().sale_by_receipt(&receipt).expect("read").is_none(), "case {n}: no sale");
            if let Some(order_no) = &order_no {
                assert_eq!(sim.times_charged(ProviderKind::WeChat, order_no), 0, "case {n}: nothing charged");
            }
            assert!(till.cart().expect("open").tenders.is_empty(), "case {n}: nothing tendered");
        }
    }
}

/// The gateway's timings for this test: quick polls, the customer's time to confirm short, so an
/// attempt still waiting at the restart is cancelled at once.
fn till_payments_settings() -> hq_server::gateway::GatewaySettings {
    hq_server::gateway::GatewaySettings {
        answer_within: std::time::Duration::from_secs(1),
        poll_every: std::time::Duration::from_millis(100),
        lease: std::time::Duration::from_secs(2),
        max_backoff: std::time::Duration::from_millis(500),
        provider_timeout: std::time::Duration::from_millis(400),
        ..hq_server::gateway::GatewaySettings::default()
    }
}
