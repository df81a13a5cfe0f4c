//! Refunds by code (issue 23) at a real till engine against a real HQ on loopback, whose payment
//! gateway speaks to the payment simulator over HTTP: a partial refund to Alipay (the simulator's
//! ledger has exactly that refund, HQ accepts the refund event), a second one under the next
//! refund number, never beyond the payment; and a refund the provider refuses (shown with its
//! reason, the return not recorded, no cash paid).
//!
//! Runs on SQLite, and on PostgreSQL with `TILLPOINT_TEST_PG`.

use std::time::Duration;

use hq_server::store::{PaymentStore as _, SyncStore as _};
use payments::ProviderKind;
use payments::sim::RefundScript;
use pos_app::TillError;
use pos_app::engine::{CodePayment, Paid};
use shared::money::Money;
use shared::payment::RefundState;
use shared::sale::{Authorization, CompletedSale, Refund, ReturnPick, TenderKind};
use shared::staff::ApprovalAction;
use tests::*;

/// An Alipay payment code: 16–24 digits beginning 25–30.
const ALIPAY: &str = "281234567890120001";
const LIMIT: Duration = Duration::from_secs(20);

/// Two products, paid whole by one Alipay code; the sale and the payment's order number.
fn sale_by_alipay(t: &mut TestTill, code: &str) -> (CompletedSale, String) {
    t.till.scan(&t.barcode(0)).expect("scan");
    t.till.scan(&t.barcode(1)).expect("scan");
    let out = t.till.pay_by_code(code, None).expect("pay");
    let CodePayment::Paid { paid: Paid::Completed(done), attempt } = out else { panic!("{out:?}") };
    assert_eq!(done.sale.tenders.len(), 1);
    assert_eq!(done.sale.tenders[0].kind, TenderKind::Alipay);
    assert_eq!(done.sale.lines.len(), 2);
    (done.sale, attempt.order_no)
}

fn return_line(t: &mut TestTill, sale: &CompletedSale, line: usize) -> pos_app::TillResult<Refund> {
    let approval = t.till.approve(ApprovalAction::Refund, MANAGER.0, MANAGER.1).expect("approval");
    let picks = [ReturnPick { line, qty: sale.lines[line].priced.qty }];
    t.till.complete_return(&sale.receipt_no, &picks, "顾客退货", Some(approval)).map(|(r, _)| r)
}

#[test]
fn a_partial_refund_to_alipay_then_a_second_and_never_beyond_the_payment() {
    let hq = Hq::start_paying(Hq::quick_payments());
    let sim = hq.payments.simulator.clone().expect("the simulator");
    let mut t = TestTill::enrol(&hq, &hq.code(0, 0));
    t.open_shift(CASHIER);
    let (sale, order_no) = sale_by_alipay(&mut t, ALIPAY);
    let paid = sale.tenders[0].amount;

    // The first line back: exactly that refund in the provider's ledger, under R1.
    let first = return_line(&mut t, &sale, 0).expect("refunded");
    let back = &first.tenders[0];
    assert_eq!(back.kind, TenderKind::Alipay);
    assert_eq!(back.amount, first.total);
    assert!(first.total.0 > 0 && first.total < paid, "a part: {} of {paid}", first.total);
    assert_eq!(back.reference.as_deref(), Some(format!("{order_no}-R1").as_str()));
    assert_eq!(back.authorization, Some(Authorization::order(&order_no)));
    let ledger = sim.refunds();
    assert_eq!(ledger.len(), 1, "{ledger:?}");
    assert_eq!(ledger[0].out_trade_no, order_no);
    assert_eq!(ledger[0].out_refund_no.as_deref(), Some(format!("{order_no}-R1").as_str()));
    assert_eq!(ledger[0].amount, first.total.0);
    let at_hq = hq.store().payment_refunds(&order_no).expect("HQ's refunds");
    assert_eq!(at_hq.len(), 1);
    assert_eq!(at_hq[0].refund_receipt_no, first.receipt_no.to_string());
    assert!(matches!(at_hq[0].state, RefundState::Refunded | RefundState::Pending), "{:?}", at_hq[0]);

    // The second line: R2; both together are the payment, and nothing more can go back.
    let second = return_line(&mut t, &sale, 1).expect("refunded");
    assert_eq!(second.tenders[0].reference.as_deref(), Some(format!("{order_no}-R2").as_str()));
    assert_eq!(first.total + second.total, paid);
    assert_eq!(sim.refunded(ProviderKind::Alipay, &order_no), paid.0);
    assert!(matches!(return_line(&mut t, &sale, 1), Err(TillError::Refund(_))));
    assert_eq!(sim.refunds().len(), 2);

    // HQ accepts both refund events: they are in the sale's history, none rejected.
    t.start_sync();
    t.wait_pushed(LIMIT);
    assert!(t.till.rejected_events(10).expect("rejected").is_empty(), "{:?}", t.till.rejected_events(10));
    let branch = t.till.branch().expect("branch").id;
    let history = hq.store().sale_history(branch, &sale.receipt_no.to_string()).expect("history").expect("the sale");
    let mut numbers: Vec<String> = history.refunds.iter().map(|r| r.receipt_no.to_string()).collect();
    numbers.sort();
    let mut ours = vec![first.receipt_no.to_string(), second.receipt_no.to_string()];
    ours.sort();
    assert_eq!(numbers, ours);
}

#[test]
fn a_refund_the_provider_refuses_is_shown_and_the_return_not_recorded() {
    let hq = Hq::start_paying(Hq::quick_payments());
    let sim = hq.payments.simulator.clone().expect("the simulator");
    let mut t = TestTill::enrol(&hq, &hq.code(0, 0));
    t.open_shift(CASHIER);
    let (sale, order_no) = sale_by_alipay(&mut t, ALIPAY);
    sim.script_refund(&order_no, RefundScript::balance_short(ProviderKind::Alipay));
    let refunds_before = t.till.store().count_rows("refunds").expect("count");
    let outbox_before = t.till.store().count_rows("outbox").expect("count");

    let refused = return_line(&mut t, &sale, 0);
    let Err(TillError::RefundRefused { kind, code, message, .. }) = &refused else { panic!("{refused:?}") };
    assert_eq!(*kind, TenderKind::Alipay);
    assert_eq!(code.as_deref(), Some("ACQ.SELLER_BALANCE_NOT_ENOUGH"));
    assert!(message.contains("卖家余额不足"), "{message}");
    assert!(refused.as_ref().expect_err("refused").to_string().contains("卖家余额不足"));
    // Nothing recorded (so no cash tender either), nothing in the provider's ledger.
    assert_eq!(t.till.store().count_rows("refunds").expect("count"), refunds_before);
    assert_eq!(t.till.store().count_rows("outbox").expect("count"), outbox_before);
    assert!(sim.refunds().is_empty());
    assert!(t.till.open_code_returns().expect("open").is_empty());
    let at_hq = hq.store().payment_refunds(&order_no).expect("HQ's refunds");
    assert_eq!(at_hq.iter().map(|r| r.state).collect::<Vec<_>>(), [RefundState::Failed]);

    // Once the merchant's balance is topped up, the same return goes through as R2.
    sim.script_refund(&order_no, RefundScript::Refunded);
    let done = return_line(&mut t, &sale, 0).expect("refunded");
    assert_eq!(done.tenders[0].reference.as_deref(), Some(format!("{order_no}-R2").as_str()));
    assert_eq!(
        done.tenders.iter().filter(|t| t.kind == TenderKind::Cash).map(|t| t.amount).sum::<Money>(),
        Money::ZERO
    );
    assert_eq!(sim.refunds().len(), 1);
}
