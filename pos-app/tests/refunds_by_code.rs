//! Refunds by code (issue 23): a return or void of a sale paid by WeChat Pay / Alipay gives that
//! part back to the payment through HQ's gateway (here the in-memory HQ's), partial and repeated,
//! each refund written before it is asked, resumed under the same refund number after HQ was
//! unreachable, an answer was lost or the till died; a refusal records nothing and pays no cash.

mod common;

use common::*;
use pos_app::engine::{CodePayment, CodeRefundState, Completed, Paid, PaymentStep};
use pos_app::{Till, TillError};
use shared::money::{Money, Qty};
use shared::payment::RefundState;
use shared::receipt::PaperWidth;
use shared::sale::{Authorization, CompletedSale, RefundKind, ReturnPick, TenderKind};
use shared::staff::ApprovalAction;

/// An Alipay payment code (16–24 digits beginning 25–30).
const ALIPAY: &str = "281234567890120001";

fn paid(out: CodePayment) -> Box<Completed> {
    match out {
        CodePayment::Paid { paid: Paid::Completed(c), .. } => c,
        other => panic!("expected a completed sale, got {other:?}"),
    }
}

/// A cola (¥3.50) and chips (¥7.50), paid whole by an Alipay code.
fn alipay_sale(t: &mut TestTill) -> (CompletedSale, String) {
    ok(t.till.scan(COLA));
    ok(t.till.scan(CHIPS));
    let done = paid(ok(t.till.pay_by_code(ALIPAY, None)));
    let order_no = done.sale.tenders[0].authorization.as_ref().and_then(|a| a.order_no.clone()).expect("order");
    assert_eq!(done.sale.tenders[0].kind, TenderKind::Alipay);
    assert_eq!(done.sale.totals.due, Money(1100));
    (done.sale, order_no)
}

fn return_line(t: &mut TestTill, sale: &CompletedSale, line: usize) -> pos_app::TillResult<shared::sale::Refund> {
    let a = t.approve(ApprovalAction::Refund);
    t.till.complete_return(&sale.receipt_no, &[ReturnPick { line, qty: Qty::ONE }], "不要了", Some(a)).map(|r| r.0)
}

#[test]
fn a_partial_return_goes_back_to_alipay_and_the_next_takes_the_next_refund_number() {
    let mut t = TestTill::ready();
    let (sale, order_no) = alipay_sale(&mut t);
    let drawer = t.devices.log().drawer_opens;

    let first = return_line(&mut t, &sale, 0).expect("refunded");
    assert_eq!(first.kind, RefundKind::Return);
    assert_eq!(first.total, Money(350));
    assert_eq!(first.tenders.len(), 1);
    let back = &first.tenders[0];
    assert_eq!((back.kind, back.amount), (TenderKind::Alipay, Money(350)));
    assert_eq!(back.reference.as_deref(), Some(format!("{order_no}-R1").as_str()));
    assert_eq!(back.authorization, Some(Authorization::order(&order_no)));
    let at_hq = t.hq.payment_refunds(&order_no);
    assert_eq!(at_hq.len(), 1);
    assert_eq!((at_hq[0].seq, at_hq[0].amount, at_hq[0].state), (1, Money(350), RefundState::Refunded));
    assert_eq!(at_hq[0].refund_receipt_no, first.receipt_no.to_string());
    // The refund receipt prints the refund number; no cash, so the drawer stays shut.
    let printed = t.devices.log().receipts.last().expect("printed").text(PaperWidth::Mm80);
    assert!(printed.contains(&format!("{order_no}-R1")), "{printed}");
    assert_eq!(t.devices.log().drawer_opens, drawer);

    let second = return_line(&mut t, &sale, 1).expect("refunded");
    assert_eq!(second.tenders[0].reference.as_deref(), Some(format!("{order_no}-R2").as_str()));
    assert_eq!(second.total, Money(750));
    let at_hq = t.hq.payment_refunds(&order_no);
    assert_eq!(at_hq.iter().map(|r| r.seq).collect::<Vec<_>>(), [1, 2]);
    assert_eq!(at_hq.iter().map(|r| r.amount).sum::<Money>(), sale.totals.due, "never beyond the payment");
    // Nothing is left to return.
    assert!(matches!(return_line(&mut t, &sale, 1), Err(TillError::Refund(_))));
    assert_eq!(t.hq.payment_refunds(&order_no).len(), 2);
}

#[test]
fn a_refused_refund_records_nothing_and_pays_no_cash() {
    let mut t = TestTill::ready();
    let (sale, order_no) = alipay_sale(&mut t);
    t.hq.refuse_refunds(&order_no, Some(("ACQ.SELLER_BALANCE_NOT_ENOUGH", "卖家余额不足")));
    let before = footprint(&t.store());
    let log = t.devices.log();

    let refused = return_line(&mut t, &sale, 0);
    let Err(TillError::RefundRefused { kind, amount, code, message }) = refused else { panic!("{refused:?}") };
    assert_eq!((kind, amount), (TenderKind::Alipay, Money(350)));
    assert_eq!(code.as_deref(), Some("ACQ.SELLER_BALANCE_NOT_ENOUGH"));
    assert_eq!(message, "卖家余额不足");
    let after = footprint(&t.store());
    assert_eq!((after.refunds, after.outbox, after.audit), (before.refunds, before.outbox, before.audit));
    assert_eq!(t.devices.log().receipts.len(), log.receipts.len(), "nothing printed");
    assert_eq!(t.devices.log().drawer_opens, log.drawer_opens, "no cash");
    assert!(t.till.open_code_returns().expect("open").is_empty(), "a refusal that moved nothing is closed");

    // Once the provider takes it, the return goes through under the payment's next number.
    t.hq.refuse_refunds(&order_no, None);
    let done = return_line(&mut t, &sale, 0).expect("refunded");
    assert_eq!(done.tenders[0].reference.as_deref(), Some(format!("{order_no}-R2").as_str()));
    let at_hq = t.hq.payment_refunds(&order_no);
    assert_eq!(at_hq.iter().map(|r| r.state).collect::<Vec<_>>(), [RefundState::Failed, RefundState::Refunded]);
}

#[test]
fn hq_unreachable_keeps_the_return_open_and_it_completes_under_the_same_number() {
    let mut t = TestTill::ready();
    let (sale, order_no) = alipay_sale(&mut t);
    t.hq.set_online(false);
    let before = footprint(&t.store());
    let open = return_line(&mut t, &sale, 0);
    assert!(matches!(open, Err(TillError::RefundOpen { .. })), "{open:?}");
    assert_eq!(footprint(&t.store()).refunds, before.refunds, "not recorded yet");
    let waiting = t.till.open_code_returns().expect("open");
    assert_eq!(waiting.len(), 1);
    // Another return or a void of the same sale waits for it.
    assert!(matches!(return_line(&mut t, &sale, 1), Err(TillError::RefundOpen { .. })));
    let a = t.approve(ApprovalAction::VoidSale);
    assert!(matches!(t.till.void_sale(&sale.receipt_no, "x", Some(a)), Err(TillError::RefundOpen { .. })));

    // Nor does the shift close over it.
    assert!(matches!(t.till.close_shift(float()), Err(TillError::RefundOpen { .. })));

    t.hq.set_online(true);
    let resumed = t.till.resume_code_returns(false).expect("resumed");
    assert_eq!(resumed.len(), 1);
    let (refund, _) = *resumed[0].completed.clone().expect("completed");
    assert_eq!(refund.receipt_no, waiting[0].refund.receipt_no, "the receipt number taken before");
    assert_eq!(refund.tenders[0].reference.as_deref(), Some(format!("{order_no}-R1").as_str()));
    assert_eq!(t.hq.payment_refunds(&order_no).len(), 1);
    assert!(t.till.open_code_returns().expect("open").is_empty());
    // The other line now goes as R2.
    let second = return_line(&mut t, &sale, 1).expect("refunded");
    assert_eq!(second.tenders[0].reference.as_deref(), Some(format!("{order_no}-R2").as_str()));
}

#[test]
fn an_answer_lost_or_a_till_killed_mid_refund_is_one_refund_at_restart() {
    // The answer lost: HQ refunded, the till did not hear. At restart it asks again under R1.
    let mut t = TestTill::ready();
    let (sale, order_no) = alipay_sale(&mut t);
    t.hq.lose_next_refund_answer();
    assert!(matches!(return_line(&mut t, &sale, 0), Err(TillError::RefundOpen { .. })));
    assert_eq!(t.hq.payment_refunds(&order_no).len(), 1, "HQ has it");
    t.restart();
    let resumed = t.till.resume_code_returns(false).expect("resumed");
    let (refund, _) = *resumed[0].completed.clone().expect("completed");
    assert_eq!(refund.tenders[0].reference.as_deref(), Some(format!("{order_no}-R1").as_str()));
    assert_eq!(t.hq.payment_refunds(&order_no).len(), 1, "one refund");
    assert_eq!(t.till.store().count_rows("refunds").expect("count"), 1);

    // Killed after the refund was written, before it was sent: sent at restart, once.
    let mut t = TestTill::ready();
    let (sale, order_no) = alipay_sale(&mut t);
    t.till.set_payment_hook(Some(Box::new(|step| {
        if step == PaymentStep::RefundRecorded {
            panic!("killed");
        }
    })));
    let a = t.approve(ApprovalAction::Refund);
    let picks = [ReturnPick { line: 0, qty: Qty::ONE }];
    let till: &mut Till = &mut t.till;
    let died = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _ = till.complete_return(&sale.receipt_no, &picks, "坏了", Some(a));
    }));
    assert!(died.is_err());
    assert!(t.hq.payment_refunds(&order_no).is_empty(), "never sent");
    t.restart();
    let refunds = t.till.code_refunds_of(&t.till.open_code_returns().expect("open")[0].refund.receipt_no);
    assert_eq!(refunds.expect("refunds")[0].state, CodeRefundState::Sending);
    let resumed = t.till.resume_code_returns(false).expect("resumed");
    assert!(resumed[0].completed.is_some(), "{resumed:?}");
    assert_eq!(t.hq.payment_refunds(&order_no).len(), 1);
    assert_eq!(t.hq.payment_refunds(&order_no)[0].seq, 1);
}

#[test]
fn a_void_of_a_split_sale_gives_the_code_part_back_by_code_and_the_cash_in_cash() {
    let mut t = TestTill::ready();
    ok(t.till.scan(OIL));
    // ¥69.90: ¥50 by Alipay, the rest in cash.
    let part = ok(t.till.pay_by_code(ALIPAY, Some(Money(5000))));
    assert!(matches!(part, CodePayment::Paid { paid: Paid::Part { .. }, .. }), "{part:?}");
    let done = ok(t.till.pay(&pos_app::engine::Payment::Cash(Money(2000))));
    let Paid::Completed(done) = done else { panic!("completed") };
    let order_no = done.sale.tenders.iter().find_map(|t| t.authorization.as_ref()?.order_no.clone()).expect("order");
    let drawer = t.devices.log().drawer_opens;
    let a = t.approve(ApprovalAction::VoidSale);
    let (void, _) = ok(t.till.void_sale(&done.sale.receipt_no, "顾客不要了", Some(a)));
    assert_eq!(void.kind, RefundKind::Void);
    assert_eq!(void.paid_back_by(TenderKind::Alipay), Money(5000));
    let code_tender = void.tenders.iter().find(|t| t.kind == TenderKind::Alipay).expect("alipay");
    assert_eq!(code_tender.reference.as_deref(), Some(format!("{order_no}-R1").as_str()));
    assert_eq!(t.hq.payment_refunds(&order_no)[0].amount, Money(5000));
    assert!(void.paid_back_by(TenderKind::Cash).0 > 0);
    assert_eq!(t.devices.log().drawer_opens, drawer + 1, "the cash part opens the drawer");
}
