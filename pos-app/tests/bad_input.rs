//! Every engine call with bad input returns a typed error and changes nothing.

mod common;

use common::*;
use pos_app::{Till, TillError, TillResult};
use shared::catalog::{BarcodeError, ProductId};
use shared::money::{Money, Qty};
use shared::pricing::{ManualAdjustment, PricingError};
use shared::sale::TenderError;
use shared::staff::ApprovalAction;

/// Runs `call`, expects an error accepted by `expected`, and checks the database did not change.
fn refused<T: std::fmt::Debug>(
    t: &mut TestTill,
    call: impl FnOnce(&mut Till) -> TillResult<T>,
    expected: impl Fn(&TillError) -> bool,
) {
    let before = footprint(&t.store());
    let cart_before = t.till.cart().cloned();
    match call(&mut t.till) {
        Ok(v) => panic!("expected a refusal, got {v:?}"),
        Err(e) => assert!(expected(&e), "unexpected error: {e:?}"),
    }
    assert_eq!(footprint(&t.store()), before, "a refused call changed the database");
    assert_eq!(t.till.cart(), cart_before.as_ref(), "a refused call changed the sale in progress");
}

#[test]
fn bad_scans() {
    let mut t = TestTill::ready();
    ok(t.till.scan(COLA));
    refused(&mut t, |t| t.scan("6901234567893"), |e| matches!(e, TillError::Misread(BarcodeError::CheckDigit { .. })));
    refused(&mut t, |t| t.scan("69012345A7892"), |e| matches!(e, TillError::Misread(BarcodeError::NotDigits(_))));
    refused(&mut t, |t| t.scan(""), |e| matches!(e, TillError::Misread(BarcodeError::Empty)));
    refused(&mut t, |t| t.scan("\u{1b}@\x07"), |e| matches!(e, TillError::Misread(_)));
    refused(&mut t, |t| t.scan(&ean("697000000000")), |e| matches!(e, TillError::UnknownBarcode(_)));
    refused(&mut t, |t| t.scan(&ean("695000000001")), |e| matches!(e, TillError::Delisted(_)));
    refused(&mut t, |t| t.add_product(ProductId(404), Qty::ONE), |e| matches!(e, TillError::UnknownProduct));
}

#[test]
fn bad_quantities_and_discounts() {
    let mut t = TestTill::ready();
    ok(t.till.scan(COLA));
    refused(&mut t, |t| t.set_qty(0, Qty(-1000)), |e| matches!(e, TillError::Pricing(PricingError::QtyNotPositive(_))));
    refused(&mut t, |t| t.set_qty(0, Qty(0)), |e| matches!(e, TillError::Pricing(PricingError::QtyNotPositive(_))));
    refused(
        &mut t,
        |t| t.add_product(ProductId(1), Qty(-5)),
        |e| matches!(e, TillError::Pricing(PricingError::QtyNotPositive(_))),
    );
    refused(&mut t, |t| t.set_qty(0, Qty(i64::MAX)), |e| matches!(e, TillError::Pricing(_) | TillError::Sale(_)));
    refused(&mut t, |t| t.set_qty(7, Qty::ONE), |e| matches!(e, TillError::NoSuchLine(7)));
    refused(&mut t, |t| t.remove_line(3), |e| matches!(e, TillError::NoSuchLine(3)));
    let big = Some(ManualAdjustment::DiscountAmount(Money(351)));
    let a = t.approve(ApprovalAction::LineDiscount);
    refused(&mut t, |t| t.adjust_line(0, big, Some(a)), |e| matches!(e, TillError::Sale(_) | TillError::Pricing(_)));
    let negative = Some(ManualAdjustment::PriceOverride(Money(-1)));
    refused(
        &mut t,
        |t| t.adjust_line(0, negative, None),
        |e| matches!(e, TillError::Pricing(PricingError::NegativePrice(_))),
    );
    let override_low = Some(ManualAdjustment::PriceOverride(Money(1)));
    refused(
        &mut t,
        |t| t.adjust_line(0, override_low, None),
        |e| matches!(e, TillError::ApprovalRequired(ApprovalAction::PriceOverride)),
    );
}

#[test]
fn bad_tenders() {
    let mut t = TestTill::ready();
    refused(&mut t, |t| t.complete(false), |e| matches!(e, TillError::NoSale));
    ok(t.till.scan(OIL));
    refused(&mut t, |t| t.add_cash(Money(0)), |e| matches!(e, TillError::Tender(TenderError::NotPositive)));
    refused(&mut t, |t| t.add_cash(Money(-500)), |e| matches!(e, TillError::Tender(TenderError::NotPositive)));
    refused(&mut t, |t| t.add_card(Money(100), ""), |e| matches!(e, TillError::Tender(TenderError::MissingReference)));
    refused(
        &mut t,
        |t| t.add_card(Money(100), "4111 1111 1111 1111"),
        |e| matches!(e, TillError::Tender(TenderError::MissingReference)),
    );
    // A card number typed as the reference is never kept (PCI DSS 3.2), with or without spaces.
    for pan in ["4111111111111111", "5555555555554444", "6221-5588-1234-0005"] {
        refused(
            &mut t,
            |t| t.add_card(Money(100), pan),
            |e| matches!(e, TillError::Tender(TenderError::CardNumberInReference)),
        );
    }
    refused(
        &mut t,
        |t| t.add_card(Money(7000), "R1"),
        |e| matches!(e, TillError::Tender(TenderError::Overpaid { .. })),
    );
    refused(&mut t, |t| t.add_points(Money(100)), |e| matches!(e, TillError::NoMember));
    refused(&mut t, |t| t.add_stored_value(Money(100)), |e| matches!(e, TillError::NoMember));
    ok(t.till.add_cash(Money(5000)));
    // ¥69.90 due, ¥50 handed: short.
    refused(
        &mut t,
        |t| t.complete(false),
        |e| matches!(e, TillError::Tender(TenderError::Short { remaining: Money(1990) })),
    );
    // Tenders freeze the lines.
    refused(&mut t, |t| t.scan(COLA), |e| matches!(e, TillError::TendersPresent));
    // Change to stored value needs a member.
    ok(t.till.add_cash(Money(5000)));
    refused(&mut t, |t| t.complete(true), |e| matches!(e, TillError::NoMember));
}

#[test]
fn actions_without_approval() {
    let mut t = TestTill::ready();
    refused(
        &mut t,
        |t| t.paid_out(Money(100), "x", None),
        |e| matches!(e, TillError::ApprovalRequired(ApprovalAction::PaidOut)),
    );
    refused(
        &mut t,
        |t| t.paid_in(Money(100), "x", None),
        |e| matches!(e, TillError::ApprovalRequired(ApprovalAction::PaidIn)),
    );
    refused(
        &mut t,
        |t| t.no_sale("x", None),
        |e| matches!(e, TillError::ApprovalRequired(ApprovalAction::NoSaleDrawerOpen)),
    );
    let a = t.approve(ApprovalAction::PaidOut);
    refused(&mut t, |t| t.paid_out(Money(0), "x", Some(a)), |e| matches!(e, TillError::Invalid(_)));
    let a = t.approve(ApprovalAction::PaidOut);
    refused(&mut t, |t| t.paid_out(Money(100), "  ", Some(a)), |e| matches!(e, TillError::Invalid(_)));
    ok(t.till.scan(COLA));
    refused(
        &mut t,
        |t| t.void_sale_in_progress(None),
        |e| matches!(e, TillError::ApprovalRequired(ApprovalAction::VoidCart)),
    );
    refused(&mut t, |t| t.recall_sale("nope"), |e| matches!(e, TillError::SaleInProgress));
    refused(&mut t, |t| t.close_shift(float()), |e| matches!(e, TillError::SaleInProgress));
    let a = t.approve(ApprovalAction::VoidCart);
    ok(t.till.void_sale_in_progress(Some(a)));
    refused(&mut t, |t| t.recall_sale("nope"), |e| matches!(e, TillError::NoSuchHeldSale(_)));
    refused(&mut t, |t| t.hold_sale("x"), |e| matches!(e, TillError::NoSale));
}

#[test]
fn wrong_pins_and_no_session() {
    let mut t = TestTill::new();
    refused(&mut t, |t| t.open_shift(float()), |e| matches!(e, TillError::NotLoggedIn));
    refused(&mut t, |t| t.scan(COLA), |e| matches!(e, TillError::NotLoggedIn));
    refused(
        &mut t,
        |t| t.approve(ApprovalAction::PaidOut, MANAGER, "0000").map(|_| ()),
        |e| matches!(e, TillError::WrongPin { .. }),
    );
    ok(t.till.login(CASHIER, CASHIER_PIN));
    refused(&mut t, |t| t.scan(COLA), |e| matches!(e, TillError::NoOpenShift));
    refused(&mut t, |t| t.x_report(), |e| matches!(e, TillError::NoOpenShift));
}

#[test]
fn bad_coupon_codes() {
    let mut t = TestTill::ready();
    ok(t.till.scan(COLA));
    let coupon = |e: &TillError| matches!(e, TillError::Coupon(_));
    for text in [
        "CP1-",
        "CP-1-ABCDEF",
        "cp1-2-3",
        "CP1-2-ABCDEU",
        "CP1-2-ABCDEFG",
        "CP１-2-ABCDEF",
        "CP1-2-可乐可乐可乐",
        "CP\u{0}-1",
    ] {
        // Scanned, a text without a coupon's shape is a misread barcode; typed as a coupon, a bad code.
        refused(
            &mut t,
            |t| t.scan(text),
            |e| matches!(e, TillError::Coupon(_) | TillError::Misread(_) | TillError::UnknownBarcode(_)),
        );
        refused(&mut t, |t| t.add_coupon(text), coupon);
    }
    // A well-formed code HQ never issued.
    let unknown = shared::promotions::coupons::CouponCode::new(
        shared::promotions::coupons::CampaignId(1),
        shared::promotions::coupons::CouponId(1),
        &[1, 2, 3, 4, 5],
    );
    refused(&mut t, |t| t.add_coupon(&unknown.to_string()), coupon);
    refused(&mut t, |t| t.scan("CP1-2-ABCDEU"), coupon);
    refused(&mut t, |t| t.remove_coupon("CP1-1-00000"), coupon);
}
