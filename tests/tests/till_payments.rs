//! Payments by code (issue 23) at a real till engine against a real HQ on loopback, whose payment
//! gateway speaks to the payment simulator over HTTP: paid at once, refused for insufficient funds
//! and then paid with another code, confirmed on the phone after a few queries, a provider that
//! times out (HQ queries until it knows), a collect whose answer the till never got (asked again:
//! charged once), the cashier cancelling, a split with cash, HQ unreachable, and bad input (a zero
//! or too large amount, a misread code, a product barcode) refused with nothing written.
//!
//! Runs on SQLite, and on PostgreSQL with `TILLPOINT_TEST_PG`.

use std::time::Duration;

use payments::ProviderKind;
use payments::sim::Script;
use pos_app::engine::{CodePayment, Paid};
use pos_app::sync::HqAuthority;
use pos_app::{Till, TillError};
use shared::money::Money;
use shared::payment::AttemptState;
use shared::sale::TenderKind;
use tests::*;

/// WeChat Pay codes are 18 digits beginning 10–15; Alipay 16–24 beginning 25–30.
const WECHAT: &str = "134567890123450001";
const ALIPAY: &str = "281234567890120001";

/// Another code of the same provider: the `n`-th.
fn code(base: &str, n: u32) -> String {
    format!("{}{n:04}", &base[..base.len() - 4])
}

/// Polls until the attempt is settled (no wall-clock limit: HQ settles every attempt).
fn settle(till: &mut Till, mut outcome: CodePayment) -> CodePayment {
    while let CodePayment::Waiting(_) = outcome {
        std::thread::sleep(Duration::from_millis(50));
        outcome = till.poll_code_payment().expect("poll").expect("an open attempt");
    }
    outcome
}

fn completed(outcome: &CodePayment) -> &pos_app::engine::Completed {
    match outcome {
        CodePayment::Paid { paid: Paid::Completed(c), .. } => c,
        other => panic!("expected a completed sale, got {other:?}"),
    }
}

fn attempts(t: &TestTill) -> i64 {
    t.till.store().count_rows("payment_attempts").expect("count")
}

#[test]
fn payment_codes_at_a_till_with_hq_and_the_simulator() {
    let hq = Hq::start_paying(Hq::quick_payments());
    let sim = hq.payments.simulator.clone().expect("the simulator");
    let mut t = TestTill::enrol(&hq, &hq.code(0, 0));
    t.open_shift(CASHIER);
    let item = t.barcode(0);

    // Paid at once: the sale completes under the receipt number HQ's order number names, with
    // the provider's transaction id on the tender and the receipt.
    t.till.scan(&item).expect("scan");
    let due = t.till.view().expect("view").expect("sale").remaining;
    let out = t.till.pay_by_code(&code(WECHAT, 1), None).expect("pay");
    let done = completed(&out);
    let CodePayment::Paid { attempt, .. } = &out else { unreachable!() };
    assert_eq!(attempt.order_no, format!("{}-1", done.sale.receipt_no));
    assert_eq!(done.sale.tenders.len(), 1);
    assert_eq!(done.sale.tenders[0].kind, TenderKind::WechatPay);
    assert_eq!(done.sale.tenders[0].amount, due);
    assert_eq!(done.sale.tenders[0].reference, attempt.transaction_id);
    assert_eq!(sim.times_charged(ProviderKind::WeChat, &attempt.order_no), 1);
    assert!(t.till.cart().is_none());

    // Insufficient funds: the provider's words, nothing tendered; another code is attempt 2.
    t.till.scan(&item).expect("scan");
    sim.script_code(&code(ALIPAY, 2), Script::InsufficientFunds);
    let out = t.till.pay_by_code(&code(ALIPAY, 2), None).expect("answered");
    let CodePayment::NotPaid(refused) = out else { panic!("{out:?}") };
    assert_eq!(refused.state, AttemptState::Failed);
    assert!(refused.message.as_deref().is_some_and(|m| !m.is_empty()), "{refused:?}");
    assert!(t.till.cart().expect("sale").tenders.is_empty());
    let out = t.till.pay_by_code(&code(ALIPAY, 3), None).expect("pay");
    let done = completed(&out);
    assert_eq!(done.sale.receipt_no, refused.receipt_no);
    assert_eq!(done.sale.tenders[0].kind, TenderKind::Alipay);
    assert_eq!(sim.times_charged(ProviderKind::Alipay, &refused.order_no), 0);
    assert_eq!(sim.times_charged(ProviderKind::Alipay, &format!("{}-2", refused.receipt_no)), 1);

    // The customer confirms on the phone: waiting, polled, then paid.
    t.till.scan(&item).expect("scan");
    sim.script_code(&code(WECHAT, 4), Script::UserPaying { paid_after_queries: Some(3) });
    let out = t.till.pay_by_code(&code(WECHAT, 4), None).expect("pay");
    let out = settle(&mut t.till, out);
    completed(&out);

    // The provider times out (the money taken all the same): HQ queries until it knows.
    t.till.scan(&item).expect("scan");
    sim.script_code(&code(WECHAT, 5), Script::Timeout { delay_ms: 1_500, charged: true });
    let out = t.till.pay_by_code(&code(WECHAT, 5), None).expect("pay");
    let out = settle(&mut t.till, out);
    let CodePayment::Paid { attempt, .. } = &out else { panic!("{out:?}") };
    assert_eq!(sim.times_charged(ProviderKind::WeChat, &attempt.order_no), 1);

    // The cashier gives up while the customer has not confirmed: cancelled, nothing tendered.
    t.till.scan(&item).expect("scan");
    sim.script_code(&code(WECHAT, 6), Script::UserPaying { paid_after_queries: None });
    let out = t.till.pay_by_code(&code(WECHAT, 6), None).expect("pay");
    assert!(matches!(out, CodePayment::Waiting(_)), "{out:?}");
    // Nothing else may start, and the sale cannot be voided or held, while it is open.
    assert!(matches!(t.till.pay_by_code(&code(WECHAT, 7), None), Err(TillError::PaymentPending)));
    assert!(matches!(t.till.hold_sale("x"), Err(TillError::PaymentPending)));
    let mut out = t.till.cancel_code_payment().expect("cancel").expect("an open attempt");
    while let CodePayment::Waiting(_) = out {
        std::thread::sleep(Duration::from_millis(50));
        out = t.till.cancel_code_payment().expect("cancel").expect("an open attempt");
    }
    let CodePayment::NotPaid(cancelled) = out else { panic!("{out:?}") };
    assert_eq!(cancelled.state, AttemptState::Cancelled);
    assert!(t.till.cart().expect("sale").tenders.is_empty());
    assert_eq!(sim.times_charged(ProviderKind::WeChat, &cancelled.order_no), 0);

    // Split: an amount typed first goes by code, the rest in cash. A paid code cannot be taken
    // off the sale.
    let due = t.till.view().expect("view").expect("sale").remaining;
    let part = Money(due.0 / 2);
    let out = t.till.pay_by_code(&code(ALIPAY, 8), Some(part)).expect("pay");
    let CodePayment::Paid { paid: Paid::Part { outstanding }, .. } = out else { panic!("{out:?}") };
    assert_eq!(outstanding, Money(due.0 - part.0));
    assert!(matches!(t.till.remove_tender(0), Err(TillError::PaidByCode)));
    assert!(matches!(t.till.void_sale_in_progress(None), Err(TillError::PaidByCode)));
    let Paid::Completed(done) = t.till.pay(&pos_app::engine::Payment::Cash(outstanding)).expect("cash") else {
        panic!("the cash completes the sale")
    };
    assert_eq!(done.sale.tenders.len(), 2);

    // Bad input: refused before anything is sent, nothing written.
    t.till.scan(&item).expect("scan");
    let before = attempts(&t);
    let due = t.till.view().expect("view").expect("sale").remaining;
    assert!(matches!(t.till.pay_by_code(&code(WECHAT, 9), Some(Money::ZERO)), Err(TillError::Tender(_))));
    assert!(matches!(t.till.pay_by_code(&code(WECHAT, 9), Some(Money(due.0 + 1))), Err(TillError::Tender(_))));
    let misread = &code(WECHAT, 9)[..17];
    assert!(matches!(t.till.pay_by_code(misread, None), Err(TillError::PaymentMisread(_))));
    assert!(matches!(t.till.pay_by_code(&item, None), Err(TillError::Invalid(_))));
    assert_eq!(attempts(&t), before);
    let cart = t.till.cart().expect("sale");
    assert_eq!((cart.lines.len(), cart.tenders.len()), (1, 0), "nothing changed on the sale");
    t.till.void_sale_in_progress(None).ok();
}

#[test]
fn an_answer_lost_is_asked_again_and_charged_once() {
    let hq = Hq::start_paying(Hq::quick_payments());
    let sim = hq.payments.simulator.clone().expect("the simulator");
    let mut t = TestTill::enrol(&hq, &hq.code(0, 0));
    // The till waits less for a collect than the provider takes: the answer is lost.
    let store = pos_app::store::Store::open(&t.path).expect("store");
    let authority = HqAuthority::for_store(&store).expect("authority").with_payment_wait(Duration::from_millis(300));
    t.till.set_authority(Box::new(authority));
    t.open_shift(CASHIER);
    t.till.scan(&t.barcode(0)).expect("scan");
    sim.script_code(&code(WECHAT, 11), Script::Timeout { delay_ms: 1_200, charged: true });
    let lost = t.till.pay_by_code(&code(WECHAT, 11), None);
    assert!(matches!(lost, Err(TillError::HqUnavailable(_))), "{lost:?}");
    let open = t.till.code_payment_pending().expect("pending").expect("the attempt is kept");
    // Asked again (status, and the same collect again): one charge.
    let mut out = t.till.poll_code_payment().expect("poll").expect("open");
    out = settle(&mut t.till, out);
    completed(&out);
    let client = pos_app::sync::client_for(&store, pos_app::sync::Timeouts::default()).expect("client");
    let again = shared::payment::CollectRequest {
        receipt_no: open.receipt_no.to_string(),
        attempt: 1,
        code: code(WECHAT, 11),
        amount: open.amount,
    };
    let answer = hq.rt.block_on(client.collect_payment(&again, Duration::from_secs(10))).expect("answered");
    assert_eq!(answer.state, AttemptState::Paid);
    assert_eq!(sim.times_charged(ProviderKind::WeChat, &open.order_no), 1);
}

#[test]
fn hq_unreachable_a_code_cannot_be_taken_and_the_attempt_is_settled_when_it_is_back() {
    let mut hq = Hq::start_paying(Hq::quick_payments());
    let sim = hq.payments.simulator.clone().expect("the simulator");
    let mut t = TestTill::enrol(&hq, &hq.code(0, 0));
    t.open_shift(CASHIER);
    t.till.scan(&t.barcode(0)).expect("scan");
    hq.stop();
    let refused = t.till.pay_by_code(&code(WECHAT, 21), None);
    assert!(matches!(refused, Err(TillError::HqUnavailable(_))), "{refused:?}");
    assert!(t.till.cart().expect("sale").tenders.is_empty());
    let open = t.till.code_payment_pending().expect("pending").expect("kept");
    hq.restart();
    let recovered = t.till.recover_payments().expect("recovered");
    assert_eq!(recovered.len(), 1);
    assert_eq!(recovered[0].attempt.order_no, open.order_no);
    assert_eq!(recovered[0].attempt.state, AttemptState::Failed, "HQ never received it");
    assert!(recovered[0].completed.is_none());
    assert_eq!(sim.times_charged(ProviderKind::WeChat, &open.order_no), 0);
    // The sale goes on: the next code is attempt 2 and pays.
    let out = t.till.pay_by_code(&code(WECHAT, 22), None).expect("pay");
    let done = completed(&out);
    assert_eq!(done.sale.receipt_no, open.receipt_no);
}
