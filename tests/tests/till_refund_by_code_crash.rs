//! A till killed with SIGKILL in the middle of a refund by code (issue 23), against a real HQ on
//! loopback and the payment simulator: once the refund is written and before it is sent, and once
//! HQ has refunded and before the till wrote the answer. At the restart the till resumes the
//! return under the same refund number: it completes once, prints once, the provider's ledger has
//! exactly one refund for it, and HQ accepts the refund event.
//!
//! The till runs in a child process (this test binary again, `child_refunds_by_code`, which runs
//! only when `TILLPOINT_REFUND_CRASH` is set): it stops at the step named, says so in a file, and
//! waits to be killed.

use std::time::Duration;

use payments::ProviderKind;
use pos_app::engine::{CodePayment, Paid, PaymentStep};
use pos_app::peripherals::RecordingDevices;
use pos_app::store::Store;
use shared::receipt::ReceiptNo;
use shared::sale::{ReturnPick, TenderKind};
use shared::staff::ApprovalAction;
use tests::*;

const VAR: &str = "TILLPOINT_REFUND_CRASH";

#[test]
#[ignore = "runs only as the child of killed_in_the_middle_of_a_refund_by_code"]
fn child_refunds_by_code() {
    let Ok(spec) = std::env::var(VAR) else { return };
    let mut parts = spec.splitn(4, '|');
    let mut part = || parts.next().expect("path|step|receipt|line");
    let (path, step, receipt, line) = (part(), part(), part(), part());
    let target = if step == "recorded" { PaymentStep::RefundRecorded } else { PaymentStep::RefundAnswered };
    let mut till = open_till(std::path::Path::new(path), Box::new(pos_app::peripherals::NoDevices));
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

#[test]
fn killed_in_the_middle_of_a_refund_by_code() {
    let hq = Hq::start_paying(hq_server::gateway::GatewaySettings {
        answer_within: Duration::from_secs(2),
        poll_every: Duration::from_millis(100),
        lease: Duration::from_secs(2),
        max_backoff: Duration::from_millis(500),
        provider_timeout: Duration::from_millis(400),
        ..hq_server::gateway::GatewaySettings::default()
    });
    let sim = hq.payments.simulator.clone().expect("the simulator");
    let mut t = TestTill::enrol(&hq, &hq.code(0, 0));
    t.open_shift(CASHIER);
    // A sale of two products paid whole by an Alipay code.
    t.till.scan(&t.barcode(0)).expect("scan");
    t.till.scan(&t.barcode(1)).expect("scan");
    let out = t.till.pay_by_code("281234567890120001", None).expect("pay");
    let CodePayment::Paid { paid: Paid::Completed(done), attempt } = out else { panic!("{out:?}") };
    let (sale, order_no) = (done.sale, attempt.order_no);
    t.till.logout();
    let TestTill { dir, path, till, .. } = t;
    drop(till);

    for (n, (step, line)) in [("recorded", 0usize), ("answered", 1usize)].into_iter().enumerate() {
        let stderr = dir.path().join(format!("child{n}.err"));
        let value = format!("{}|{step}|{}|{line}", path.display(), sale.receipt_no);
        kill_child_at_step("child_refunds_by_code", VAR, &value, &path, &stderr, step);
        let refunded_before_restart = sim.refunds().len();
        assert_eq!(refunded_before_restart, if step == "answered" { n + 1 } else { n }, "case {step}");

        // The restart: no one signed in; the open return is resumed under its refund number.
        let devices = RecordingDevices::default();
        let mut till = open_till(&path, Box::new(devices.clone()));
        let resumed = till.resume_code_returns(false).expect("resumed");
        assert_eq!(resumed.len(), 1, "case {step}: {resumed:?}");
        let (refund, _) = *resumed[0].completed.clone().unwrap_or_else(|| panic!("case {step}: {resumed:?}"));
        let seq = n + 1;
        assert_eq!(refund.tenders[0].kind, TenderKind::Alipay);
        assert_eq!(refund.tenders[0].reference.as_deref(), Some(format!("{order_no}-R{seq}").as_str()));
        assert_eq!(devices.log().receipts.len(), 1, "case {step}: printed once");
        assert!(till.resume_code_returns(false).expect("again").is_empty(), "case {step}: nothing left open");
        let ledger = sim.refunds();
        assert_eq!(ledger.len(), seq, "case {step}: one refund each: {ledger:?}");
        assert_eq!(ledger[n].out_refund_no.as_deref(), Some(format!("{order_no}-R{seq}").as_str()));
        assert_eq!(ledger[n].amount, refund.total.0);
        assert_eq!(till.store().count_rows("refunds").expect("refunds"), seq as i64);
    }
    assert_eq!(sim.refunded(ProviderKind::Alipay, &order_no), sale.totals.due.0, "the whole payment, once");

    // HQ accepts both refund events.
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
