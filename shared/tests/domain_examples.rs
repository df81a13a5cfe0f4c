//! Every worked example of `spec/domain.md`, in the order the spec gives them, with the expected
//! figure written out.

use jiff::Timestamp;
use jiff::civil::date;
use shared::catalog::{BarcodeRules, LabelValue, MemberCode, ScaleLabel, ScannedCode, classify_scan};
use shared::ids::{BranchId, RefundId, SaleId, ShiftId, StaffId, TillId};
use shared::member::MemberIdentifier;
use shared::money::Currency;
use shared::points::{ExpiryPolicy, RedeemRules, earned_points, eligible_base, refund_delta};
use shared::pricing::{CashRounding, LineInput, MemberBenefit, OrderDiscount, price_line};
use shared::receipt::{PaperWidth, ReceiptNo, text_width};
use shared::sale::{
    CompletedSale, LineItem, Refund, RefundKind, ReturnPick, SaleMember, TenderInput, plan_refund, price_sale, settle,
};
use shared::shift::{CashCount, Denomination, MovementKind, ShiftReport};
use shared::stored_value::{StoredValue, TopUpRule};
use shared::tax::included_tax;
use shared::{Bp, Money, Qty};

// ## Numbers

#[test]
fn numbers_are_integers_in_minor_units_thousandths_and_basis_points() {
    assert_eq!(Money(1234).display(), "¥12.34");
    assert_eq!(Currency::CNY.decimals, 2);
    assert_eq!(Qty::parse("1"), Ok(Qty(1000)), "1 piece = 1000");
    assert_eq!(Qty::parse("0.532"), Ok(Qty(532)), "0.532 kg = 532");
    assert_eq!(Bp::percent(13), Bp(1300), "13% VAT = 1300");
    assert_eq!(Bp::percent(95), Bp(9500), "95%-of-price member discount = 9500");
    assert_eq!(Bp(15000).display_percent(), "150%", "a 1.5x multiplier = 15000");
}

// ## Tax

#[test]
fn tax_is_per_rate_group() {
    // 13% goods netting ¥113.00 → tax ¥13.00
    assert_eq!(included_tax(Money(11300), Bp(1300)), Money(1300));
    // ¥10.00 → tax ¥1.15 (1000*1300/11300 = 115.04)
    assert_eq!(included_tax(Money(1000), Bp(1300)), Money(115));
}

// ## Products and barcodes

#[test]
fn scale_label_with_price() {
    // 2001234012508 = PLU 01234, ¥12.50
    assert_eq!(
        classify_scan("2001234012508", &BarcodeRules::default()),
        Ok(ScannedCode::ScaleLabel(ScaleLabel { flag: 20, plu: 1234, value: LabelValue::Price(Money(1250)) }))
    );
}

#[test]
fn member_card_code() {
    // 2900000123458 is member 0000012345
    assert_eq!(
        classify_scan("2900000123458", &BarcodeRules::default()),
        Ok(ScannedCode::MemberCard(MemberCode::parse("0000012345").expect("digits")))
    );
}

#[test]
fn a_members_rotating_code() {
    // `88 0000012345 TTTTTT`: member 0000012345, the TOTP of the member's secret now (RFC 6238,
    // SHA-1, 30 s): here the RFC's own secret at T = 59 s, whose six digits are 287082.
    use shared::member_code::{MemberSecret, RotatingCode, code_at};
    let secret = MemberSecret::from_hex("3132333435363738393031323334353637383930").expect("hex");
    let member = MemberCode::parse("0000012345").expect("digits");
    let code = code_at(&member, &secret, 59).expect("a ten-digit number has a code");
    assert_eq!(code.text(), "880000012345287082");
    // Scanned, it is a member code, never a product to look up.
    assert_eq!(
        classify_scan("880000012345287082", &BarcodeRules::default()),
        Ok(ScannedCode::MemberRotating(RotatingCode { member, otp: "287082".into() }))
    );
    // The current step and one either side are accepted; older is refused as expired.
    assert!(code.verify(&secret, 59 + 30).is_ok());
    assert_eq!(code.verify(&secret, 59 + 61), Err(shared::member_code::MemberCodeError::Expired));
}

#[test]
fn a_bad_check_digit_is_a_misread_not_a_lookup() {
    assert!(classify_scan("2001234012509", &BarcodeRules::default()).is_err());
}

// ## Pricing one line

#[test]
fn member_price_and_tier_discount_never_stack() {
    // base ¥10.00; member price ¥9.20; tier 95% → ¥9.50: the better one, ¥9.20, wins.
    let line = LineInput {
        base_price: Money(1000),
        member_price: Some(Money(920)),
        discount_eligible: true,
        qty: Qty(2000),
        label_price: None,
        manual: None,
    };
    let gold = MemberBenefit { discount: Bp(9500), member_prices: true };
    let priced = price_line(&line, Some(&gold)).expect("priced");
    assert_eq!(priced.unit, Money(920));
    assert_eq!(priced.net, Money(1840));
}

#[test]
fn line_net_is_unit_times_quantity_rounded_half_up() {
    // 0.532 kg at ¥39.80 = 21.1736 → ¥21.17
    let line = LineInput {
        base_price: Money(3980),
        member_price: None,
        discount_eligible: true,
        qty: Qty(532),
        label_price: None,
        manual: None,
    };
    assert_eq!(price_line(&line, None).expect("priced").net, Money(2117));
}

#[test]
fn cash_rounding_modes() {
    let due = Money(1235);
    assert_eq!(CashRounding::None.apply(due), Money(1235));
    assert_eq!(CashRounding::DownToJiao.apply(due), Money(1230));
    assert_eq!(CashRounding::HalfUpToJiao.apply(due), Money(1240));
    assert_eq!(CashRounding::DownToYuan.apply(due), Money(1200));
}

// ## Points

#[test]
fn earning_example() {
    // eligible ¥128.50, 1 point/yuan, gold 1.5x, birthday month 2x → 385.5 → 385 points
    assert_eq!(earned_points(Money(12850), 100, Bp(15000), &[Bp(20000)]), Ok(385));
}

#[test]
fn points_never_earn_points_and_eligible_is_never_negative() {
    assert_eq!(eligible_base(Money(12850), Money(2000)), Money(10850));
    assert_eq!(eligible_base(Money(1000), Money(2000)), Money(0));
}

#[test]
fn redemption_cost() {
    // default 100 points = ¥1: paying ¥12.34 costs ceil(1234 * 100 / 100) = 1234 points
    let rules = RedeemRules::default();
    assert_eq!(rules.cost(Money(1234)), 1234);
}

#[test]
fn rolling_expiry_example() {
    // earned 2026-03-15 with N = 12 → expires at the end of 2027-03-31
    assert_eq!(ExpiryPolicy::Rolling { months: 12 }.expires_on(date(2026, 3, 15)), Some(date(2027, 3, 31)));
}

#[test]
fn annual_expiry_example() {
    // 积分年底清零: Y = 0 → end of 31 December of the same year; Y = 1 → of the next.
    assert_eq!(ExpiryPolicy::Annual { years: 0 }.expires_on(date(2026, 3, 15)), Some(date(2026, 12, 31)));
    assert_eq!(ExpiryPolicy::Annual { years: 1 }.expires_on(date(2026, 3, 15)), Some(date(2027, 12, 31)));
}

#[test]
fn refund_take_back_is_the_cumulative_floor() {
    // taken_back_so_far = floor(original * refunded_base_so_far / original_base)
    // 385 points on ¥128.50: refunding ¥50.00 then the rest takes back 149 then 236.
    assert_eq!(refund_delta(385, Money(12850), Money(0), Money(5000)), 149);
    assert_eq!(refund_delta(385, Money(12850), Money(5000), Money(7850)), 236);
}

// ## Stored value

#[test]
fn top_up_bonus_example() {
    // top up ¥500 under "≥¥300 → ¥30, ≥¥500 → ¥60" → principal 500, bonus 60
    let rules = [
        TopUpRule { min_topup: Money::yuan(300), bonus: Money::yuan(30) },
        TopUpRule { min_topup: Money::yuan(500), bonus: Money::yuan(60) },
    ];
    let (balance, split) = StoredValue::default().top_up(Money::yuan(500), &rules).expect("top-up");
    assert_eq!((split.principal, split.bonus), (Money::yuan(500), Money::yuan(60)));
    assert_eq!(balance.total(), Money::yuan(560));
}

#[test]
fn spending_takes_principal_first_then_bonus() {
    let sv = StoredValue { principal: Money::yuan(20), bonus: Money::yuan(6) };
    let split = sv.spend_split(Money::yuan(25)).expect("enough");
    assert_eq!((split.principal, split.bonus), (Money::yuan(20), Money::yuan(5)));
}

// ## Shifts and day end

#[test]
fn expected_cash_and_blind_count() {
    // expected = float + cash_sales - cash_refunds + cash_topups + paid_in - paid_out
    let mut report = ShiftReport::new(Money::yuan(500));
    report.add_movement(MovementKind::CashTopUp, Money::yuan(300));
    report.add_movement(MovementKind::PaidIn, Money::yuan(50));
    report.add_movement(MovementKind::PaidOut, Money::yuan(80));
    assert_eq!(report.expected, Money::yuan(770));
    // counted by denomination: 7 × ¥100 + 1 × ¥50 + 1 × ¥20 − ... = ¥769.50 → 50 fen short
    let count = CashCount::new([
        (Denomination::Yuan100, 7),
        (Denomination::Yuan50, 1),
        (Denomination::Yuan10, 1),
        (Denomination::Yuan5, 1),
        (Denomination::Yuan1, 4),
        (Denomination::Jiao5, 1),
    ]);
    report.close(&count);
    assert_eq!(report.counted, Some(Money(76_950)));
    assert_eq!(report.over_short, Some(Money(-50)));
}

// ## Receipts

#[test]
fn receipt_number_and_paper_widths() {
    assert_eq!(ReceiptNo::new("B001", 1, 42).to_string(), "B001-01-000042");
    assert_eq!(PaperWidth::Mm58.columns(), 32);
    assert_eq!(PaperWidth::Mm80.columns(), 48);
    assert_eq!(text_width("可口可乐"), 8, "Chinese characters take two columns");
}

// ## A whole sale and its refunds

fn item(id: i64, price: i64, qty: Qty) -> LineItem {
    LineItem {
        brand: None,
        product_id: shared::catalog::ProductId(id),
        product_code: format!("P{id}"),
        barcode: None,
        name: format!("商品{id}"),
        category: shared::catalog::CategoryId(1),
        unit: "个".into(),
        vat: Bp(1300),
        points_eligible: true,
        weighed: false,
        pricing: LineInput {
            base_price: Money(price),
            member_price: None,
            discount_eligible: true,
            qty,
            label_price: None,
            manual: None,
        },
    }
}

#[test]
fn a_member_sale_then_two_partial_returns_take_back_exactly_what_was_earned() {
    // ¥128.50 of goods for a gold member in their birthday month: 385 points (the earning example).
    let items = vec![item(1, 5000, Qty::pieces(2)), item(2, 2850, Qty::ONE)];
    let priced = price_sale(&items, None, None).expect("priced");
    assert_eq!(priced.totals.total, Money(12850));
    let points = earned_points(priced.points_eligible_net, 100, Bp(15000), &[Bp(20000)]).expect("points");
    assert_eq!(points, 385);
    let settlement = settle(priced.totals.total, &[TenderInput::cash(Money(13000))], CashRounding::None).expect("paid");
    assert_eq!(settlement.change, Money(150));
    let sale = CompletedSale {
        id: SaleId::new(),
        receipt_no: ReceiptNo::new("B001", 1, 1),
        branch: BranchId(1),
        till: TillId(1),
        shift: ShiftId::new(),
        cashier: StaffId(1),
        completed_at: Timestamp::UNIX_EPOCH,
        business_day: date(2026, 11, 23),
        lines: priced.lines,
        order_discount: None,
        totals: priced.totals,
        tax: priced.tax,
        points_eligible_net: priced.points_eligible_net,
        promotions: priced.promotions.clone(),
        coupons: Vec::new(),
        tenders: settlement.tenders,
        change: settlement.change,
        change_to_stored_value: Money::ZERO,
        member: Some(SaleMember {
            member_id: None,
            identifier: MemberIdentifier::Code(MemberCode::parse("0000012345").expect("digits")),
            tier: Some("gold".into()),
            points_base: priced.points_eligible_net,
            points_earned: points,
            policy_version: 1,
        }),
    };
    sale.check().expect("consistent");

    // Return one of the two ¥50 items: ¥50.00 back, floor(385 × 5000 / 12850) = 149 points taken back.
    let first = plan_refund(&sale, &[], &[ReturnPick { line: 0, qty: Qty::ONE }], CashRounding::None).expect("first");
    assert_eq!(first.total, Money(5000));
    assert_eq!(first.points_taken_back, 149);
    let first = record(&sale, first);
    // Return the rest: ¥78.50 and the remaining 236 points.
    let second = plan_refund(
        &sale,
        std::slice::from_ref(&first),
        &[ReturnPick { line: 0, qty: Qty::ONE }, ReturnPick { line: 1, qty: Qty::ONE }],
        CashRounding::None,
    )
    .expect("second");
    assert_eq!(second.total, Money(7850));
    assert_eq!(second.points_taken_back, 236);
    // Nothing is left to return.
    let second = record(&sale, second);
    assert!(
        plan_refund(&sale, &[first, second], &[ReturnPick { line: 1, qty: Qty::ONE }], CashRounding::None).is_err()
    );
}

fn record(sale: &CompletedSale, plan: shared::sale::RefundPlan) -> Refund {
    Refund {
        id: RefundId::new(),
        kind: RefundKind::Return,
        sale: Some(sale.id),
        original_receipt: Some(sale.receipt_no.clone()),
        receipt_no: ReceiptNo::new("B001", 1, 99),
        branch: sale.branch,
        till: sale.till,
        shift: sale.shift,
        cashier: sale.cashier,
        approved_by: None,
        refunded_at: Timestamp::UNIX_EPOCH,
        business_day: sale.business_day,
        reason: "customer return".into(),
        lines: plan.lines,
        total: plan.total,
        rounding: plan.rounding,
        tenders: plan.tenders,
        points_taken_back: plan.points_taken_back,
        points_restored: plan.points_restored,
        member: sale.member.clone(),
        tax: plan.tax,
        clawback: plan.clawback,
        clawback_waived: plan.clawback_waived,
    }
}

#[test]
fn order_discount_is_spread_so_the_parts_sum_exactly() {
    // ¥10.00 off three equal ¥10.00 lines: 3.34 + 3.33 + 3.33
    let items = vec![item(1, 1000, Qty::ONE), item(2, 1000, Qty::ONE), item(3, 1000, Qty::ONE)];
    let priced = price_sale(&items, None, Some(OrderDiscount::Amount(Money(1000)))).expect("priced");
    let parts: Vec<Money> = priced.lines.iter().map(|l| l.order_discount).collect();
    assert_eq!(parts, vec![Money(334), Money(333), Money(333)]);
    assert_eq!(priced.totals.total, Money(2000));
}
