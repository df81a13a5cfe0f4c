//! Ringing up sales through the engine's public API.

mod common;

use common::*;
use pos_app::TillError;
use pos_app::authority::MemberAuthority;
use pos_app::engine::ScanOutcome;
use shared::catalog::ProductId;
use shared::member::MemberIdentifier;
use shared::money::{Bp, Money, Qty};
use shared::pricing::{ManualAdjustment, OrderDiscount};
use shared::receipt::{PaperWidth, ReceiptNo};
use shared::sale::TenderKind;
use shared::staff::ApprovalAction;
use shared::sync::Event;

#[test]
fn a_member_sale_paid_in_cash_with_rounding_and_change() {
    let mut t = TestTill::ready();
    assert_eq!(ok(t.till.scan(COLA)), ScanOutcome::Added { line: 0 });
    assert_eq!(ok(t.till.scan(COLA)), ScanOutcome::Added { line: 0 }, "a second cola joins the first line");
    assert_eq!(ok(t.till.scan(CHIPS)), ScanOutcome::Added { line: 1 });
    // The member card 2900000123458 is member 0000012345, a gold member at HQ.
    assert!(matches!(ok(t.till.scan("2900000123458")), ScanOutcome::MemberAttached(_)));

    let view = ok(t.till.view()).expect("a sale is in progress");
    // Cola: member price ¥3.00 beats gold 95% (¥3.33); two of them ¥6.00.
    assert_eq!(view.lines[0].net, Money(600));
    assert_eq!(view.lines[0].priced.member_saving, Money(100));
    // Chips: branch price ¥7.50 × 95% = 7.125 → ¥7.13.
    assert_eq!(view.lines[1].net, Money(713));
    assert_eq!(view.totals.total, Money(1313));
    // Down to the jiao: ¥13.10 in cash.
    assert_eq!(view.cash_due, Money(1310));
    // 13.13 × 1 point/yuan × gold 1.5 = 19.695 → 19 points.
    assert_eq!(view.points_preview, 19);

    ok(t.till.add_cash(Money(2000)));
    let done = ok(t.till.complete(false));
    let sale = &done.sale;
    assert_eq!(sale.receipt_no, ReceiptNo::new("B001", 1, 1));
    assert_eq!(sale.totals.rounding, Money(-3));
    assert_eq!(sale.totals.due, Money(1310));
    assert_eq!(sale.change, Money(690));
    assert_eq!(sale.points_earned(), 19);
    let m = sale.member.as_ref().expect("member on the sale");
    assert_eq!(m.member_id, Some(t.member.id));
    assert_eq!(m.policy_version, 1);
    assert_eq!(sale.check(), Ok(()));

    // The receipt went to the printer after the sale was stored, and the drawer opened.
    let log = t.devices.log();
    assert_eq!(log.receipts.len(), 1);
    assert_eq!(log.drawer_opens, 1);
    let text = log.receipts[0].text(PaperWidth::Mm80);
    assert!(text.contains("B001-01-000001"), "{text}");
    assert!(text.contains("+19"), "points earned are printed: {text}");
    assert!(text.contains("金卡会员"), "{text}");
    assert!(t.till.cart().is_none());

    // The sale and its event are in the database; the event follows the shift's.
    let store = t.store();
    assert!(store.sale_by_receipt(&sale.receipt_no).expect("read").is_some());
    let events = store.all_events(10).expect("outbox");
    let kinds: Vec<&str> = events.iter().map(|e| e.envelope.event.kind()).collect();
    assert_eq!(kinds, vec!["shift_opened", "sale_completed"]);
    assert_eq!(events[1].envelope.seq, 2);
    match &events[1].envelope.event {
        Event::SaleCompleted(s) => assert_eq!(s, sale),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn scale_labels_weighed_goods_and_search() {
    let mut t = TestTill::ready();
    // 2001234012508 is PLU 01234 priced ¥12.50: apples at ¥12.80/kg.
    assert_eq!(ok(t.till.scan("2001234012508")), ScanOutcome::Added { line: 0 });
    let view = ok(t.till.view()).expect("sale");
    assert_eq!(view.lines[0].net, Money(1250), "the printed price exactly");
    assert_eq!(view.lines[0].priced.qty, Qty(977));
    assert!(view.weighed[0]);
    // A second label is a line of its own.
    let label = |plu, price| shared::catalog::scale_label_barcode(20, plu, price).expect("label");
    assert_eq!(ok(t.till.scan(&label(APPLE_PLU, 600))), ScanOutcome::Added { line: 1 });
    assert!(matches!(t.till.scan(&label(99_999, 1250)), Err(TillError::UnknownBarcode(_))));

    let names = |q: &str| -> Vec<String> { ok(t.till.search(q, 20)).into_iter().map(|h| h.name).collect() };
    assert_eq!(names("可乐"), vec!["可口可乐 330ml"]);
    assert_eq!(names("kkkl"), vec!["可口可乐 330ml"]);
    assert_eq!(names("薯片"), vec!["乐事薯片 原味 75g"]);
    assert_eq!(names("P00003"), vec!["金龙鱼 食用调和油 5L"]);
    assert_eq!(names("690123"), vec!["可口可乐 330ml"]);
    assert!(names("饼干").is_empty(), "delisted goods are not offered");
    assert!(names("\"*)(").is_empty());
    let hit = &ok(t.till.search("薯片", 5))[0];
    assert_eq!(hit.price, Money(750), "search shows the branch price");
    let line = ok(t.till.add_product(hit.id, Qty::pieces(3)));
    assert_eq!(ok(t.till.view()).expect("sale").lines[line].net, Money(2250));
}

#[test]
fn split_tender_card_then_cash() {
    let mut t = TestTill::ready();
    ok(t.till.scan(OIL));
    ok(t.till.scan(CHIPS));
    // ¥69.90 + ¥7.50 = ¥77.40: ¥50 by card, ¥27.40 due in cash → ¥30 handed, ¥2.60 change.
    ok(t.till.add_card(Money(5000), "POS-778812"));
    ok(t.till.add_cash(Money(3000)));
    let done = ok(t.till.complete(false));
    assert_eq!(done.sale.paid_by(TenderKind::BankCard), Money(5000));
    assert_eq!(done.sale.paid_by(TenderKind::Cash), Money(2740));
    assert_eq!(done.sale.change, Money(260));
    assert_eq!(done.sale.tenders[0].reference.as_deref(), Some("POS-778812"));
    let text = done.receipt.text(PaperWidth::Mm58);
    assert!(text.contains("银行卡(POS-778812)"), "{text}");
}

#[test]
fn points_and_stored_value_are_held_at_hq() {
    let mut t = TestTill::ready();
    ok(t.till.attach_member(MemberIdentifier::Phone(t.member.phone.clone().expect("phone"))));
    ok(t.till.scan(OIL));
    // Oil: member price ¥59.90. Pay ¥10 with points (1,000 points), ¥40 from stored value, rest cash.
    assert_eq!(ok(t.till.add_points(Money(1000))), 1000);
    let split = ok(t.till.add_stored_value(Money(4000)));
    assert_eq!((split.principal, split.bonus), (Money(4000), Money(0)));
    // Points may pay at most 50% of the sale under the initial policy.
    assert!(matches!(t.till.add_points(Money(2500)), Err(TillError::Points(_))));
    ok(t.till.add_cash(Money(1000)));
    let done = ok(t.till.complete(false));
    let sale = &done.sale;
    assert_eq!(sale.points_redeemed(), 1000);
    assert!(
        sale.tenders
            .iter()
            .filter(|x| x.kind != TenderKind::Cash && x.kind != TenderKind::BankCard)
            .all(|x| x.hold.is_some())
    );
    // Points are earned on what points did not pay: ¥49.90 × 1.5 = 74.85 → 74.
    assert_eq!(sale.points_earned(), 74);
    // HQ captures the holds when the event arrives.
    t.hq.ingest_sale(sale);
    let after = t.hq.member(t.member.id).expect("member");
    assert_eq!(after.points, 5_000 - 1_000 + 74);
    assert_eq!(after.stored_value.total(), Money(22_000 - 4_000));
}

#[test]
fn removing_a_tender_releases_its_hold() {
    let mut t = TestTill::ready();
    ok(t.till.scan("2900000123458"));
    ok(t.till.scan(OIL));
    ok(t.till.add_points(Money(2000)));
    let by = MemberIdentifier::Phone(t.member.phone.clone().expect("phone"));
    assert_eq!(t.hq.lookup(&by).expect("lookup").member.points, 5_000 - 2_000, "the tender holds 2,000 points");
    ok(t.till.remove_tender(0));
    // HQ has the 5,000 points available again: the hold was released, not left to expire.
    assert_eq!(t.hq.lookup(&by).expect("lookup").member.points, 5_000, "the hold was released");
    // A hold of ¥25 (the 50% limit of ¥59.90 is ¥29.95) works.
    ok(t.till.add_points(Money(2500)));
    assert_eq!(t.hq.lookup(&by).expect("lookup").member.points, 5_000 - 2_500);
    assert!(matches!(t.till.remove_tender(3), Err(TillError::NoSuchTender(3))));
}

#[test]
fn the_sale_in_progress_survives_a_restart() {
    let mut t = TestTill::ready();
    ok(t.till.scan(COLA));
    ok(t.till.scan(CHIPS));
    ok(t.till.scan("2900000123458"));
    let before = ok(t.till.view()).expect("sale");
    t.restart();
    ok(t.till.login(CASHIER, CASHIER_PIN));
    let after = ok(t.till.view()).expect("the cart came back");
    assert_eq!(before, after);
    ok(t.till.add_cash(Money(5000)));
    ok(t.till.complete(false));
}

#[test]
fn hold_and_recall() {
    let mut t = TestTill::ready();
    ok(t.till.scan(COLA));
    let held = ok(t.till.hold_sale("红衣服顾客"));
    assert!(t.till.cart().is_none());
    ok(t.till.scan(CHIPS));
    assert!(matches!(t.till.recall_sale(&held), Err(TillError::SaleInProgress)));
    ok(t.till.add_cash(Money(1000)));
    ok(t.till.complete(false));
    let list = ok(t.till.held_sales());
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].label, "红衣服顾客");
    ok(t.till.recall_sale(&held));
    assert_eq!(ok(t.till.view()).expect("recalled").lines[0].item.name, "可口可乐 330ml");
    assert!(ok(t.till.held_sales()).is_empty());
}

#[test]
fn reprints_say_so() {
    let mut t = TestTill::ready();
    ok(t.till.scan(COLA));
    ok(t.till.add_cash(Money(500)));
    let done = ok(t.till.complete(false));
    let again = ok(t.till.reprint(&done.sale.receipt_no));
    assert!(again.reprint);
    assert!(again.text(PaperWidth::Mm80).contains("重印"));
    assert_eq!(t.devices.log().receipts.len(), 2);
    assert!(matches!(t.till.reprint(&ReceiptNo::new("B001", 1, 99)), Err(TillError::ReceiptNotFound(_))));
}

#[test]
fn discounts_beyond_the_cashier_limit_need_a_manager() {
    let mut t = TestTill::ready();
    ok(t.till.scan(OIL));
    ok(t.till.scan(COLA));
    // 10% off the order: the cashier's limit is 5%.
    let ten = Some(OrderDiscount::Percent(Bp(1000)));
    assert!(matches!(
        t.till.set_order_discount(ten, None),
        Err(TillError::ApprovalRequired(ApprovalAction::OrderDiscount))
    ));
    let approval = t.approve(ApprovalAction::OrderDiscount);
    ok(t.till.set_order_discount(ten, Some(approval)));
    assert_eq!(ok(t.till.view()).expect("sale").totals.order_discount, Money(734));
    // A 5% line discount is within the 10% line limit; 20% is not.
    ok(t.till.adjust_line(1, Some(ManualAdjustment::DiscountPercent(Bp(500))), None));
    let twenty = Some(ManualAdjustment::DiscountPercent(Bp(2000)));
    assert!(matches!(
        t.till.adjust_line(1, twenty, None),
        Err(TillError::ApprovalRequired(ApprovalAction::LineDiscount))
    ));
    // An approval for something else does not do.
    let wrong = t.approve(ApprovalAction::PaidOut);
    assert!(matches!(t.till.adjust_line(1, twenty, Some(wrong)), Err(TillError::WrongApproval)));
    // A cashier cannot approve.
    assert!(matches!(t.till.approve(ApprovalAction::LineDiscount, CASHIER2, CASHIER_PIN), Err(TillError::NotAManager)));
    // Each approval is an audit entry naming both people, with its event.
    let audit = t.store().audit_entries(10).expect("audit");
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].action, "order_discount");
    assert_eq!((audit[0].actor.0, audit[0].approver.map(|a| a.0)), (1, Some(9)));
}

#[test]
fn a_member_known_only_by_card_still_earns_offline() {
    let mut t = TestTill::ready();
    t.hq.set_online(false);
    // Member 0000099999 is not in the till's cache and HQ cannot be asked.
    ok(t.till.scan(&ean("290000099999")));
    let view = ok(t.till.view());
    assert!(view.is_none() || view.as_ref().is_some_and(|v| v.member.as_ref().is_some_and(|m| m.snapshot.is_none())));
    ok(t.till.scan(OIL));
    // No points or stored value without a member HQ knows.
    assert!(matches!(t.till.add_points(Money(100)), Err(TillError::MemberNotIdentified)));
    ok(t.till.add_cash(Money(10_000)));
    let done = ok(t.till.complete(false));
    let m = done.sale.member.as_ref().expect("the identifier is on the sale");
    assert_eq!(m.member_id, None);
    assert_eq!(m.identifier, MemberIdentifier::Code(shared::catalog::MemberCode::parse("0000099999").expect("code")));
    // Earned at the entry tier (no member price either): ¥69.90 → 69 points, for HQ to credit.
    assert_eq!(m.points_earned, 69);
}

#[test]
fn a_cached_member_gets_their_benefits_offline() {
    let mut t = TestTill::ready();
    // Looked up once online, the member is cached.
    ok(t.till.scan("2900000123458"));
    ok(t.till.void_sale_in_progress(None));
    t.hq.set_online(false);
    ok(t.till.scan(OIL));
    let m = ok(t.till.attach_member(MemberIdentifier::Uid(shared::member::CardUid::parse("04a1b2c3").expect("uid"))));
    assert!(!m.online);
    assert_eq!(m.snapshot.as_ref().map(|s| s.tier.as_str()), Some("gold"));
    assert_eq!(ok(t.till.view()).expect("sale").lines[0].net, Money(5990));
    // Redemption needs HQ: the initial policy allows nothing offline.
    assert!(matches!(t.till.add_points(Money(100)), Err(TillError::HqUnavailable(_))));
}

#[test]
fn change_can_go_onto_stored_value() {
    let mut t = TestTill::ready();
    ok(t.till.scan("2900000123458"));
    ok(t.till.scan(COLA));
    ok(t.till.add_cash(Money(1000)));
    let done = ok(t.till.complete(true));
    assert_eq!(done.sale.change, Money(700));
    assert_eq!(done.sale.change_to_stored_value, Money(700));
    assert_eq!(t.hq.member(t.member.id).expect("member").stored_value.total(), Money(22_700));
    let x = ok(t.till.x_report());
    assert_eq!(x.cash_topups, Money(700), "change put on stored value is a cash top-up");
    assert_eq!(x.expected, Money(50_000 + 300 + 700));
}

#[test]
fn product_by_id_and_quantities() {
    let mut t = TestTill::ready();
    let line = ok(t.till.add_product(ProductId(1), Qty::pieces(2)));
    ok(t.till.set_qty(line, Qty::pieces(5)));
    assert_eq!(ok(t.till.view()).expect("sale").totals.total, Money(1750));
    ok(t.till.remove_line(line));
    assert!(ok(t.till.view()).expect("sale").lines.is_empty());
}

#[test]
fn past_sales_by_receipt_day_and_member() {
    let mut t = TestTill::ready();
    ok(t.till.scan(COLA));
    ok(t.till.add_cash(Money(500)));
    let first = ok(t.till.complete(false)).sale;
    ok(t.till.scan("2900000123458"));
    ok(t.till.scan(OIL));
    ok(t.till.add_cash(Money(10_000)));
    let second = ok(t.till.complete(false)).sale;

    let day = ok(t.till.business_day());
    let all = ok(t.till.find_sales(None, Some(day), None, 50));
    assert_eq!(
        all.iter().map(|s| s.receipt_no.clone()).collect::<Vec<_>>(),
        vec![second.receipt_no.clone(), first.receipt_no.clone()]
    );
    let by_no = ok(t.till.find_sales(Some(&first.receipt_no), None, None, 50));
    assert_eq!(by_no.len(), 1);
    assert_eq!(by_no[0].due, Money(350));
    let by_member = ok(t.till.find_sales(None, None, Some("0000012345"), 50));
    assert_eq!(by_member.len(), 1);
    assert_eq!(by_member[0].member.as_deref(), Some("******2345"));
    let by_id = ok(t.till.find_sales(None, None, Some(&t.member.id.to_string()), 50));
    assert_eq!(by_id.len(), 1);
    let other_day = day.tomorrow().expect("date");
    assert!(ok(t.till.find_sales(None, Some(other_day), None, 50)).is_empty());
}
