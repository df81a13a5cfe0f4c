//! Property tests of the domain's invariants.

use jiff::Timestamp;
use jiff::civil::{Date, date};
use proptest::prelude::*;
use shared::catalog::{BarcodeRules, CategoryId, MemberCode, Product, ProductId, ProductStatus, classify_scan};
use shared::ids::{BranchId, EventId, MemberId, RefundId, SaleId, ShiftId, StaffId, TillId};
use shared::lang::Lang;
use shared::member::MemberIdentifier;
use shared::points::{PointsLot, apply_draws, plan_redemption, usable_points};
use shared::pricing::{CashRounding, LineInput, ManualAdjustment, OrderDiscount, price_line, spread_largest_remainder};
use shared::receipt::{
    PaperWidth, Receipt, ReceiptContext, ReceiptHeader, ReceiptNo, center, left_right, text_width, wrap,
};
use shared::sale::{
    CompletedSale, LineItem, Refund, RefundKind, ReturnPick, SaleMember, TenderInput, TenderKind, plan_refund,
    price_sale, settle,
};
use shared::stored_value::SvSplit;
use shared::sync::{Change, ChangeEnvelope, Event, EventEnvelope, PullResponse, PushRequest};
use shared::{Bp, Money, Qty};
use uuid::Uuid;

fn line_item(id: i64, price: i64, qty: i64, eligible: bool, points: bool, vat: i64) -> LineItem {
    LineItem {
        brand: None,
        product_id: ProductId(id),
        product_code: format!("P{id}"),
        barcode: None,
        name: format!("商品 item {id}"),
        category: CategoryId(1),
        unit: "个".into(),
        vat: Bp(vat),
        points_eligible: points,
        weighed: false,
        pricing: LineInput {
            base_price: Money(price),
            member_price: None,
            discount_eligible: eligible,
            qty: Qty(qty),
            label_price: None,
            manual: None,
        },
    }
}

fn items() -> impl Strategy<Value = Vec<LineItem>> {
    prop::collection::vec(
        (1i64..200_000, 1i64..20_000, any::<bool>(), any::<bool>(), prop::sample::select(vec![1300i64, 900, 600, 0])),
        1..12,
    )
    .prop_map(|v| {
        v.into_iter()
            .enumerate()
            .map(|(i, (price, qty, elig, pts, vat))| line_item(i as i64 + 1, price, qty, elig, pts, vat))
            .collect()
    })
}

fn rounding() -> impl Strategy<Value = CashRounding> {
    prop::sample::select(vec![
        CashRounding::None,
        CashRounding::DownToJiao,
        CashRounding::HalfUpToJiao,
        CashRounding::DownToYuan,
    ])
}

/// A completed member sale paid by a card and cash (and points when the sale is large enough).
fn sale_from(
    items: &[LineItem],
    discount_pct: i64,
    card_share: i64,
    points_share: i64,
    mode: CashRounding,
) -> CompletedSale {
    let order = (discount_pct > 0).then_some(OrderDiscount::Percent(Bp(discount_pct * 100)));
    let has_eligible = items.iter().any(|i| i.pricing.discount_eligible);
    let priced = price_sale(items, None, order.filter(|_| has_eligible)).expect("priced");
    let total = priced.totals.total;
    let points_value = Money(total.0 * points_share / 100);
    let card = Money((total.0 - points_value.0) * card_share / 100);
    let mut tenders = Vec::new();
    if points_value.0 > 0 {
        tenders.push(TenderInput {
            kind: TenderKind::Points,
            amount: points_value,
            reference: None,
            points: points_value.0,
            stored_value: None,
            hold: None,
            authorization: None,
        });
    }
    if card.0 > 0 {
        tenders.push(TenderInput::card(card, "REF1"));
    }
    tenders.push(TenderInput::cash(Money(total.0 + 10_000)));
    let s = settle(total, &tenders, mode).expect("settled");
    let mut totals = priced.totals;
    totals.rounding = s.rounding;
    totals.due = s.due;
    let base = shared::points::eligible_base(priced.points_eligible_net, points_value);
    let earned = shared::points::earned_points(base, 100, Bp(15000), &[]).expect("points");
    CompletedSale {
        id: SaleId::new(),
        receipt_no: ReceiptNo::new("B001", 1, 7),
        branch: BranchId(1),
        till: TillId(1),
        shift: ShiftId::new(),
        cashier: StaffId(1),
        completed_at: Timestamp::UNIX_EPOCH,
        business_day: date(2026, 11, 23),
        lines: priced.lines,
        order_discount: order,
        totals,
        tax: priced.tax,
        points_eligible_net: priced.points_eligible_net,
        promotions: priced.promotions.clone(),
        coupons: Vec::new(),
        tenders: s.tenders,
        change: s.change,
        change_to_stored_value: Money::ZERO,
        member: Some(SaleMember {
            member_id: Some(MemberId::new()),
            identifier: MemberIdentifier::Code(MemberCode::parse("0000012345").expect("digits")),
            tier: Some("gold".into()),
            points_base: base,
            points_earned: earned,
            policy_version: 1,
        }),
    }
}

fn record(sale: &CompletedSale, plan: shared::sale::RefundPlan) -> Refund {
    Refund {
        id: RefundId::new(),
        kind: RefundKind::Return,
        sale: Some(sale.id),
        original_receipt: Some(sale.receipt_no.clone()),
        receipt_no: ReceiptNo::new("B001", 1, 8),
        branch: sale.branch,
        till: sale.till,
        shift: sale.shift,
        cashier: sale.cashier,
        approved_by: None,
        refunded_at: Timestamp::UNIX_EPOCH,
        business_day: sale.business_day,
        reason: String::new(),
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

proptest! {
    #[test]
    fn largest_remainder_parts_sum_exactly(total in -1_000_000i64..1_000_000, weights in prop::collection::vec(0i64..1_000_000, 1..30)) {
        let parts = spread_largest_remainder(total, &weights);
        prop_assert_eq!(parts.len(), weights.len());
        if weights.iter().any(|w| *w > 0) {
            prop_assert_eq!(parts.iter().sum::<i64>(), total);
        }
        for (p, w) in parts.iter().zip(&weights) {
            if *w == 0 { prop_assert_eq!(*p, 0); }
        }
    }

    #[test]
    fn order_discount_parts_sum_to_the_discount(items in items(), pct in 1i64..=100) {
        prop_assume!(items.iter().any(|i| i.pricing.discount_eligible));
        let sale = price_sale(&items, None, Some(OrderDiscount::Percent(Bp(pct * 100)))).expect("priced");
        let parts: Money = sale.lines.iter().map(|l| l.order_discount).sum();
        prop_assert_eq!(parts, sale.totals.order_discount);
        for l in &sale.lines {
            prop_assert!(l.net >= Money::ZERO);
            if !l.item.pricing.discount_eligible { prop_assert_eq!(l.order_discount, Money::ZERO); }
        }
    }

    #[test]
    fn a_sale_total_is_its_lines_and_adjustments(items in items(), pct in 0i64..=50, card in 0i64..100, mode in rounding()) {
        let sale = sale_from(&items, pct, card, 0, mode);
        prop_assert_eq!(sale.check(), Ok(()));
        let t = sale.totals;
        prop_assert_eq!(sale.lines.iter().map(|l| l.net).sum::<Money>(), t.total);
        prop_assert_eq!(t.gross - t.member_savings - t.manual_discounts - t.order_discount, t.total);
        prop_assert_eq!(sale.tenders.iter().map(|x| x.amount).sum::<Money>(), t.total + t.rounding);
        prop_assert_eq!(sale.tax.iter().map(|g| g.gross).sum::<Money>(), t.total);
    }

    #[test]
    fn partial_refunds_never_take_back_more_and_a_full_return_takes_back_all(
        items in items(),
        pct in 0i64..=30,
        card in 0i64..100,
        points in 0i64..50,
        mode in rounding(),
        seed in prop::collection::vec((0usize..12, 1i64..20_000), 1..10),
    ) {
        let sale = sale_from(&items, pct, card, points, mode);
        let earned = sale.points_earned();
        let redeemed = sale.points_redeemed();
        let mut refunds: Vec<Refund> = Vec::new();
        // Random partial returns, each within what is left.
        for (line, qty) in seed {
            let line = line % sale.lines.len();
            let sold = sale.lines[line].priced.qty.0;
            let back: i64 = refunds.iter().flat_map(|r| &r.lines).filter(|l| l.sale_line == Some(line)).map(|l| l.qty.0).sum();
            let left = sold - back;
            if left == 0 { continue; }
            let qty = (qty % left).max(1);
            let plan = plan_refund(&sale, &refunds, &[ReturnPick { line, qty: Qty(qty) }], mode).expect("within what is left");
            refunds.push(record(&sale, plan));
            prop_assert_eq!(refunds.last().map(Refund::check), Some(Ok(())), "a planned refund passes HQ's check");
            let taken: i64 = refunds.iter().map(|r| r.points_taken_back).sum();
            let restored: i64 = refunds.iter().map(|r| r.points_restored).sum();
            prop_assert!(taken <= earned && taken >= 0);
            prop_assert!(restored <= redeemed && restored >= 0);
            let money: Money = refunds.iter().map(|r| r.total).sum();
            prop_assert!(money <= sale.totals.due);
            for (i, t) in sale.tenders.iter().enumerate() {
                let back: Money = refunds.iter().map(|r| r.tenders[i].amount).sum();
                prop_assert!(back <= t.amount && back >= Money::ZERO);
            }
        }
        // Return everything that is left.
        let picks: Vec<ReturnPick> = sale.lines.iter().enumerate().filter_map(|(line, l)| {
            let back: i64 = refunds.iter().flat_map(|r| &r.lines).filter(|x| x.sale_line == Some(line)).map(|x| x.qty.0).sum();
            (l.priced.qty.0 > back).then_some(ReturnPick { line, qty: Qty(l.priced.qty.0 - back) })
        }).collect();
        if !picks.is_empty() {
            let plan = plan_refund(&sale, &refunds, &picks, CashRounding::None).expect("the rest");
            refunds.push(record(&sale, plan));
            prop_assert_eq!(refunds.last().map(Refund::check), Some(Ok(())));
        }
        prop_assert_eq!(refunds.iter().map(|r| r.points_taken_back).sum::<i64>(), earned);
        prop_assert_eq!(refunds.iter().map(|r| r.points_restored).sum::<i64>(), redeemed);
        prop_assert_eq!(refunds.iter().map(|r| r.total).sum::<Money>(), sale.totals.due);
        for (i, t) in sale.tenders.iter().enumerate() {
            prop_assert_eq!(refunds.iter().map(|r| r.tenders[i].amount).sum::<Money>(), t.amount);
        }
        // And nothing more can be returned.
        let again = plan_refund(&sale, &refunds, &[ReturnPick { line: 0, qty: Qty(1) }], CashRounding::None);
        prop_assert!(again.is_err());
    }

    #[test]
    fn fifo_redemption_never_touches_an_expired_lot_nor_drives_one_negative(
        lots in prop::collection::vec((0i64..800, 1i64..5_000, 0i64..5_000, prop::option::of(0i64..900)), 0..15),
        today in 0i64..800,
        wanted in 1i64..20_000,
    ) {
        let base = date(2025, 1, 1);
        let day = |n: i64| -> Date { base.checked_add(jiff::Span::new().days(n)).expect("in range") };
        let mut lots: Vec<PointsLot> = lots.into_iter().enumerate().map(|(i, (earned, points, used, expires))| PointsLot {
            id: Uuid::from_u128(i as u128 + 1),
            earned_on: day(earned),
            points,
            remaining: points - used.min(points),
            expires_on: expires.map(|e| day(earned + e)),
        }).collect();
        let today = day(today);
        let available = usable_points(&lots, today);
        match plan_redemption(&lots, wanted, today) {
            Ok(draws) => {
                prop_assert!(wanted <= available);
                prop_assert_eq!(draws.iter().map(|d| d.points).sum::<i64>(), wanted);
                for d in &draws {
                    let lot = lots.iter().find(|l| l.id == d.lot).expect("a drawn lot exists");
                    prop_assert!(!lot.is_expired(today), "drew from an expired lot");
                    prop_assert!(d.points > 0 && d.points <= lot.remaining);
                }
                apply_draws(&mut lots, &draws);
                prop_assert!(lots.iter().all(|l| l.remaining >= 0));
                prop_assert_eq!(usable_points(&lots, today), available - wanted);
            }
            Err(_) => prop_assert!(wanted > available),
        }
    }

    #[test]
    fn text_layout_never_exceeds_the_columns(
        left in "[a-zA-Z0-9 可口乐苹果薯片油·—“”é]{0,80}",
        right in "[0-9.\\-]{0,12}",
        paper in prop::sample::select(vec![PaperWidth::Mm58, PaperWidth::Mm80]),
    ) {
        let w = paper.columns();
        for line in wrap(&left, w).iter().chain(&left_right(&left, &right, w)).chain(&center(&left, w)) {
            prop_assert!(text_width(line) <= w, "{line:?} is {} columns", text_width(line));
        }
    }

    #[test]
    fn whole_receipts_fit_the_paper(items in items(), names in prop::collection::vec("[a-zA-Z 可口乐苹果薯片油·]{1,60}", 12), lang in prop::sample::select(vec![Lang::ZhCn, Lang::En])) {
        let mut items = items;
        for (item, name) in items.iter_mut().zip(names) { item.name = name; }
        let sale = sale_from(&items, 10, 30, 0, CashRounding::DownToJiao);
        let ctx = ReceiptContext {
            lang,
            header: ReceiptHeader { branch_name: "Tillpoint 人民路一百号旗舰店 Flagship Store Downtown".into(), address: "上海市黄浦区人民路100号".into(), phone: "021-12345678".into(), extra: vec!["营业时间 07:00-23:00".into()] },
            footer: vec!["谢谢惠顾 欢迎再次光临 Thank you for shopping with us".into()],
            cashier_name: "张三".into(),
            at: date(2026, 11, 23).at(10, 15, 0, 0),
            tier_name: Some("金卡会员".into()),
            points_balance: Some(12_345),
            stored_value_balance: Some(Money(56_000)),
            qr: Some("https://example.invalid/e-receipt/B001-01-000007".into()),
            reprint: true,
        };
        let receipt = Receipt::for_sale(&sale, &ctx, |_| false);
        for paper in [PaperWidth::Mm58, PaperWidth::Mm80] {
            for line in receipt.text(paper).lines() {
                prop_assert!(text_width(line) <= paper.columns(), "{line:?}");
            }
        }
    }

    #[test]
    fn sync_messages_survive_a_serde_round_trip(items in items(), pct in 0i64..=30, mode in rounding(), seq in 1u64..1_000_000) {
        let sale = sale_from(&items, pct, 50, 10, mode);
        let plan = plan_refund(&sale, &[], &[ReturnPick { line: 0, qty: Qty(1) }], CashRounding::None).expect("refund");
        let refund = record(&sale, plan);
        let product = Product {
            brand: None,
            id: ProductId(seq as i64),
            code: format!("P{seq}"),
            barcodes: vec![shared::catalog::with_check_digit(&format!("690{seq:09}")).expect("digits")],
            name: "可口可乐".into(),
            short_name: "可乐".into(),
            category: CategoryId(3),
            unit: "瓶".into(),
            retail_price: Money(350),
            member_price: Some(Money(300)),
            vat: Bp(1300),
            points_eligible: true,
            discount_eligible: true,
            weighed: false,
            plu: None,
            status: ProductStatus::Active,
        };
        let push = PushRequest {
            protocol: shared::sync::PROTOCOL_VERSION,
            till: TillId(1),
            sent_at: Some(Timestamp::UNIX_EPOCH),
            events: vec![
                EventEnvelope { id: EventId::new(), till: TillId(1), seq, at: Timestamp::UNIX_EPOCH, event: Event::SaleCompleted(sale) },
                EventEnvelope { id: EventId::new(), till: TillId(1), seq: seq + 1, at: Timestamp::UNIX_EPOCH, event: Event::SaleRefunded(refund) },
            ],
        };
        let json = serde_json::to_string(&push).expect("serialises");
        prop_assert_eq!(serde_json::from_str::<PushRequest>(&json).expect("deserialises"), push);
        let pull = PullResponse {
            changes: vec![
                ChangeEnvelope { seq, change: Change::Product(product) },
                ChangeEnvelope { seq: seq + 1, change: Change::Policy(shared::policy::MemberPolicy::initial(Timestamp::UNIX_EPOCH)) },
                ChangeEnvelope { seq: seq + 2, change: Change::MemberMerged { from: MemberId::new(), into: MemberId::new() } },
            ],
            next_cursor: seq + 2,
            has_more: false,
            latest: seq + 2,
        };
        let json = serde_json::to_string(&pull).expect("serialises");
        prop_assert_eq!(serde_json::from_str::<PullResponse>(&json).expect("deserialises"), pull);
    }

    #[test]
    fn scanning_never_panics(code in "\\PC{0,40}") {
        let _ = classify_scan(&code, &BarcodeRules::default());
    }

    #[test]
    fn pricing_bad_input_is_an_error_not_a_panic(
        price in any::<i64>(),
        qty in any::<i64>(),
        member in prop::option::of(any::<i64>()),
        manual in prop::option::of((0u8..3, any::<i64>())),
    ) {
        let input = LineInput {
            base_price: Money(price),
            member_price: member.map(Money),
            discount_eligible: true,
            qty: Qty(qty),
            label_price: None,
            manual: manual.map(|(k, v)| match k {
                0 => ManualAdjustment::PriceOverride(Money(v)),
                1 => ManualAdjustment::DiscountAmount(Money(v)),
                _ => ManualAdjustment::DiscountPercent(Bp(v)),
            }),
        };
        let benefit = shared::pricing::MemberBenefit { discount: Bp(9500), member_prices: true };
        if let Ok(p) = price_line(&input, Some(&benefit)) {
            prop_assert!(p.net >= Money::ZERO || matches!(input.manual, Some(ManualAdjustment::PriceOverride(_))));
        }
    }
}

#[test]
fn stored_value_tender_refunds_in_its_split() {
    // A sale of ¥70.00 paid ¥50 principal + ¥20 bonus from stored value, returned in two halves.
    let items = vec![line_item(1, 3500, 2000, true, true, 1300)];
    let priced = price_sale(&items, None, None).expect("priced");
    let sv = TenderInput {
        kind: TenderKind::StoredValue,
        amount: Money(7000),
        reference: None,
        points: 0,
        stored_value: Some(SvSplit { principal: Money(5000), bonus: Money(2000) }),
        hold: None,
        authorization: None,
    };
    let s = settle(priced.totals.total, &[sv], CashRounding::None).expect("paid");
    let mut sale = sale_from(&items, 0, 0, 0, CashRounding::None);
    sale.tenders = s.tenders;
    sale.change = Money::ZERO;
    let first = plan_refund(&sale, &[], &[ReturnPick { line: 0, qty: Qty::ONE }], CashRounding::None).expect("half");
    let split = first.tenders[0].stored_value.expect("a stored-value refund has a split");
    assert_eq!((split.principal, split.bonus), (Money(2500), Money(1000)));
}

#[test]
fn a_mobile_payment_prints_its_transaction_id_within_the_paper() {
    let items = vec![line_item(1, 1250, 2000, true, true, 1300)];
    let mut sale = sale_from(&items, 0, 0, 0, CashRounding::None);
    let due = sale.totals.due;
    let wechat = TenderInput::mobile(TenderKind::WechatPay, due, "4200002026120112345678901234", "B001-01-000007-2");
    let settled = settle(due, &[wechat], CashRounding::None).expect("settled");
    assert_eq!(settled.tenders[0].authorization.as_ref().and_then(|a| a.order_no.as_deref()), Some("B001-01-000007-2"));
    sale.tenders = settled.tenders;
    sale.change = Money::ZERO;
    for lang in [Lang::ZhCn, Lang::En] {
        let ctx = ReceiptContext {
            lang,
            header: ReceiptHeader {
                branch_name: "Tillpoint".into(),
                address: String::new(),
                phone: String::new(),
                extra: vec![],
            },
            footer: vec![],
            cashier_name: "张三".into(),
            at: date(2026, 12, 1).at(10, 15, 0, 0),
            tier_name: None,
            points_balance: None,
            stored_value_balance: None,
            qr: None,
            reprint: false,
        };
        let receipt = Receipt::for_sale(&sale, &ctx, |_| false);
        for paper in [PaperWidth::Mm58, PaperWidth::Mm80] {
            let text = receipt.text(paper);
            assert!(text.contains("4200002026120112345678901234"), "{text}");
            assert!(text.contains(if lang == Lang::ZhCn { "微信支付" } else { "WeChat Pay" }), "{text}");
            for line in text.lines() {
                assert!(text_width(line) <= paper.columns(), "{line:?}");
            }
        }
        // The refund slip names the refund's number at the provider, as a refund number.
        let plan = plan_refund(&sale, &[], &[ReturnPick { line: 0, qty: Qty::ONE }], CashRounding::None).expect("plan");
        let mut refund = record(&sale, plan);
        refund.tenders[0].reference = Some("B001-01-000007-2-R1".into());
        let slip = Receipt::for_refund(&refund, &ctx);
        for paper in [PaperWidth::Mm58, PaperWidth::Mm80] {
            let text = slip.text(paper);
            let line = text.lines().find(|l| l.contains("B001-01-000007-2-R1")).expect("the refund number");
            assert!(line.contains(if lang == Lang::ZhCn { "退款单号" } else { "Refund no" }), "{line:?}");
            assert!(text.lines().all(|l| text_width(l) <= paper.columns()), "{text}");
        }
    }
}
