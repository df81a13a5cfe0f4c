//! Returns, voids and returns without receipt.

mod common;

use common::*;
use pos_app::TillError;
use pos_app::engine::{RefundTo, ScanOutcome};
use shared::catalog::ProductId;
use shared::member::MemberIdentifier;
use shared::money::{Money, Qty};
use shared::receipt::PaperWidth;
use shared::sale::{RefundKind, ReturnPick, TenderKind};
use shared::staff::ApprovalAction;

/// A gold member buys 3 colas, oil and chips, paying ¥10 with points and the rest in cash.
fn member_sale(t: &mut TestTill) -> shared::sale::CompletedSale {
    ok(t.till.scan("2900000123458"));
    ok(t.till.scan(COLA));
    ok(t.till.scan(COLA));
    ok(t.till.scan(COLA));
    ok(t.till.scan(OIL));
    ok(t.till.scan(CHIPS));
    ok(t.till.add_points(Money(1000)));
    ok(t.till.add_cash(Money(10_000)));
    let done = ok(t.till.complete(false));
    t.hq.ingest_sale(&done.sale);
    done.sale
}

#[test]
fn partial_then_full_return_gives_back_exactly_the_sale() {
    let mut t = TestTill::ready();
    let sale = member_sale(&mut t);
    // 3 × ¥3.00 + ¥59.90 + ¥7.13 = ¥76.03; ¥10 by points; ¥66.03 → ¥66.00 cash.
    assert_eq!(sale.totals.total, Money(7603));
    assert_eq!(sale.totals.due, Money(7600));
    let earned = sale.points_earned();
    assert_eq!(earned, 99, "(76.03 - 10.00) × 1.5 = 99.045");

    // The receipt barcode starts the return.
    let scanned = ok(t.till.scan(&sale.receipt_no.to_string()));
    assert_eq!(scanned, ScanOutcome::Receipt(sale.receipt_no.clone()));
    let ctx = ok(t.till.start_return(&sale.receipt_no));
    assert_eq!(ctx.returnable[0], Qty::pieces(3));

    // One cola back: needs a manager.
    let one_cola = [ReturnPick { line: 0, qty: Qty::ONE }];
    assert!(matches!(
        t.till.complete_return(&sale.receipt_no, &one_cola, "坏了", None),
        Err(TillError::ApprovalRequired(ApprovalAction::Refund))
    ));
    let a = t.approve(ApprovalAction::Refund);
    let (first, receipt) = ok(t.till.complete_return(&sale.receipt_no, &one_cola, "坏了", Some(a)));
    assert_eq!(first.kind, RefundKind::Return);
    assert_eq!(first.lines[0].amount, Money(300));
    assert!(receipt.text(PaperWidth::Mm80).contains("退货单"));
    // More colas than are left is refused and changes nothing.
    let before = footprint(&t.store());
    let a = t.approve(ApprovalAction::Refund);
    let too_many = [ReturnPick { line: 0, qty: Qty::pieces(3) }];
    assert!(matches!(
        t.till.complete_return(&sale.receipt_no, &too_many, "", Some(a)),
        Err(TillError::Refund(shared::sale::RefundError::ExceedsSold { .. }))
    ));
    assert_eq!(footprint(&t.store()), before);

    // Everything else back.
    let rest = [
        ReturnPick { line: 0, qty: Qty::pieces(2) },
        ReturnPick { line: 1, qty: Qty::ONE },
        ReturnPick { line: 2, qty: Qty::ONE },
    ];
    let a = t.approve(ApprovalAction::Refund);
    let (second, _) = ok(t.till.complete_return(&sale.receipt_no, &rest, "不要了", Some(a)));
    let refunds = [first, second];
    assert_eq!(refunds.iter().map(|r| r.total).sum::<Money>(), sale.totals.due);
    assert_eq!(refunds.iter().map(|r| r.points_taken_back).sum::<i64>(), earned);
    assert_eq!(refunds.iter().map(|r| r.points_restored).sum::<i64>(), 1000);
    assert_eq!(refunds.iter().map(|r| r.paid_back_by(TenderKind::Points)).sum::<Money>(), Money(1000));
    let ctx = ok(t.till.start_return(&sale.receipt_no));
    assert!(ctx.returnable.iter().all(|q| q.0 == 0));

    // The shift pays the cash back out.
    let x = ok(t.till.x_report());
    let cash_back: Money =
        refunds.iter().flat_map(|r| &r.tenders).filter(|t| t.kind == TenderKind::Cash).map(|t| t.tendered).sum();
    assert_eq!(x.cash_refunds, cash_back);
    assert_eq!(x.refunds_count, 2);
}

#[test]
fn a_sale_made_at_another_till_is_returned_with_hqs_record() {
    let mut a = TestTill::ready();
    let sale = member_sale(&mut a);
    // Till B shares the same (fake) HQ but has never seen the sale.
    let mut b = TestTill::ready();
    b.hq = a.hq.clone();
    b.till.set_authority(Box::new(a.hq.clone()));
    let ctx = ok(b.till.start_return(&sale.receipt_no));
    assert_eq!(ctx.sale.id, sale.id);
    let approval = b.approve(ApprovalAction::Refund);
    let (refund, _) =
        ok(b.till.complete_return(&sale.receipt_no, &[ReturnPick { line: 1, qty: Qty::ONE }], "", Some(approval)));
    assert_eq!(refund.original_receipt.as_ref(), Some(&sale.receipt_no));
    assert_eq!(refund.lines[0].amount, Money(5990));
    a.hq.ingest_refund(&refund);
    // HQ offline and the sale unknown locally: the till says so.
    a.hq.set_online(false);
    let mut c = TestTill::ready();
    c.till.set_authority(Box::new(a.hq.clone()));
    assert!(matches!(c.till.start_return(&sale.receipt_no), Err(TillError::HqUnavailable(_))));
}

#[test]
fn void_a_sale_of_the_open_shift() {
    let mut t = TestTill::ready();
    ok(t.till.scan(OIL));
    ok(t.till.add_cash(Money(7000)));
    let done = ok(t.till.complete(false));
    assert!(matches!(t.till.void_sale(&done.sale.receipt_no, "收错", None), Err(TillError::ApprovalRequired(_))));
    let a = t.approve(ApprovalAction::VoidSale);
    let (void, _) = ok(t.till.void_sale(&done.sale.receipt_no, "收错", Some(a)));
    assert_eq!(void.kind, RefundKind::Void);
    assert_eq!(void.paid_back(), done.sale.totals.due);
    let a = t.approve(ApprovalAction::VoidSale);
    assert!(matches!(t.till.void_sale(&done.sale.receipt_no, "", Some(a)), Err(TillError::CannotVoid(..))));
    let x = ok(t.till.x_report());
    assert_eq!((x.voids_count, x.voids), (1, Money(6990)));
    assert_eq!(x.expected, Money(50_000), "the voided cash went back out");
}

#[test]
fn a_return_without_receipt_is_at_todays_price_without_points() {
    let mut t = TestTill::ready();
    let a = t.approve(ApprovalAction::ReturnWithoutReceipt);
    let (refund, _) = ok(t.till.return_without_receipt(ProductId(2), Qty::ONE, RefundTo::Cash, "无小票", Some(a)));
    // Chips sell for ¥7.50 at this branch today: ¥7.50 back in cash (rounded down to ¥7.50).
    assert_eq!(refund.total, Money(750));
    assert_eq!(refund.kind, RefundKind::NoReceipt);
    assert_eq!(refund.points_taken_back, 0);
    let a = t.approve(ApprovalAction::ReturnWithoutReceipt);
    let to_sv = RefundTo::StoredValue(MemberIdentifier::Phone(t.member.phone.clone().expect("phone")));
    let (refund, _) = ok(t.till.return_without_receipt(ProductId(1), Qty::pieces(2), to_sv, "无小票", Some(a)));
    assert_eq!(refund.paid_back_by(TenderKind::StoredValue), Money(700));
    assert_eq!(refund.member.as_ref().and_then(|m| m.member_id), Some(t.member.id));
    // The branch lets at most ¥200 go to stored value without a receipt: 60 bottles (¥210) is refused.
    let a = t.approve(ApprovalAction::ReturnWithoutReceipt);
    let to_sv = RefundTo::StoredValue(MemberIdentifier::Phone(t.member.phone.clone().expect("phone")));
    assert!(matches!(
        t.till.return_without_receipt(ProductId(1), Qty::pieces(60), to_sv, "无小票", Some(a)),
        Err(TillError::OverNoReceiptLimit(cap)) if cap == Money(20_000)
    ));
    let a = t.approve(ApprovalAction::Refund);
    assert!(matches!(
        t.till.return_without_receipt(ProductId(1), Qty::ONE, RefundTo::Cash, "", Some(a)),
        Err(TillError::WrongApproval)
    ));
}
