//! Promotions at the till: the pulled set prices every change of the cart offline, the sale screen's
//! view says each promotion and a near threshold, the sale records the set version and every line's
//! allocations, the receipt prints each promotion and 本单共优惠, and returns pay back from the record,
//! whatever the set says later.

mod common;

use common::*;
use jiff::civil::date;
use pos_app::TillError;
use shared::catalog::ProductId;
use shared::money::{Bp, Money, Qty};
use shared::pricing::ManualAdjustment;
use shared::promotions::{Audience, Branches, Limits, Promotion, PromotionId, PromotionKind, Schedule, Scope, Slab};
use shared::receipt::PaperWidth;
use shared::sale::{RefundError, ReturnPick};
use shared::staff::ApprovalAction;
use shared::sync::{Change, PromotionChange};

fn promo(id: u64, name: &str, scope: Scope, kind: PromotionKind) -> Promotion {
    Promotion {
        id: PromotionId(id),
        name: name.into(),
        branches: Branches::All,
        schedule: Schedule { from: date(2026, 11, 1), to: date(2026, 12, 31), weekdays: None, time_window: None },
        audience: Audience::Everyone,
        scope,
        kind,
        exclusivity_group: None,
        priority: 0,
        limits: Limits::default(),
        threshold_clawback: false,
    }
}

fn product(id: i64) -> Scope {
    Scope { products: vec![ProductId(id)], ..Scope::default() }
}

/// 可乐特价 ¥2.50 (cola is ¥3.50), 薯片第二件半价 (chips are ¥7.50 at this branch), 满30减5 on
/// everything with the clawback on, at set version 1.
fn publish(t: &mut TestTill) {
    let mut threshold = promo(
        3,
        "满30减5",
        Scope { all_products: true, ..Scope::default() },
        PromotionKind::Slabs { slabs: vec![Slab { threshold: Money::yuan(30), off: Money::yuan(5) }] },
    );
    threshold.threshold_clawback = true;
    let changes: Vec<Change> = [
        promo(1, "可乐特价", product(1), PromotionKind::FixedPrice { price: Money(250) }),
        promo(2, "薯片第二件半价", product(2), PromotionKind::NthPercentOff { n: 2, bp: Bp(5000) }),
        threshold,
    ]
    .into_iter()
    .map(|p| Change::Promotion(PromotionChange { version: 1, id: p.id, promotion: Some(p) }))
    .collect();
    t.till.store_mut().apply_changes(&changes).expect("pulled");
}

/// Six colas, two chips and the oil, paid with ¥100: every promotion of `publish` applies.
fn sell_under_all_three(t: &mut TestTill) -> pos_app::engine::Completed {
    for _ in 0..6 {
        ok(t.till.scan(COLA));
    }
    ok(t.till.scan(CHIPS));
    ok(t.till.scan(CHIPS));
    ok(t.till.scan(OIL));
    ok(t.till.add_cash(Money::yuan(100)));
    ok(t.till.complete(false))
}

fn names(view: &pos_app::engine::CartView) -> Vec<(String, i64)> {
    view.promotions.iter().flat_map(|p| &p.applied).map(|p| (p.name.clone(), p.discount.0)).collect()
}

#[test]
fn the_cart_is_priced_with_the_pulled_set_and_says_a_near_threshold() {
    let mut t = TestTill::ready();
    publish(&mut t);
    for _ in 0..4 {
        ok(t.till.scan(COLA));
    }
    ok(t.till.scan(CHIPS));
    ok(t.till.scan(CHIPS));
    let view = ok(t.till.view()).expect("a cart");
    // 4 × (3.50 → 2.50) and 7.50 + 3.75: ¥21.25, too far from ¥30 to say.
    assert_eq!(view.lines[0].priced.unit, Money(250));
    assert_eq!(names(&view), vec![("可乐特价".into(), 400), ("薯片第二件半价".into(), 375)]);
    assert_eq!(view.totals.total, Money(2125));
    assert_eq!(view.threshold_hint, None);
    // Without the chips, ten colas: ¥25.00, ¥5.00 from 满30减5 (leaving 可乐特价 out to reach it
    // would cost the customer more).
    ok(t.till.remove_line(1));
    for _ in 0..6 {
        ok(t.till.scan(COLA));
    }
    let view = ok(t.till.view()).expect("a cart");
    assert_eq!(view.totals.total, Money(2500));
    let hint = view.threshold_hint.expect("near 满30减5");
    assert_eq!((hint.name.as_str(), hint.missing), ("满30减5", Money(500)));
    // The oil reaches it: ¥94.90 less ¥5.00.
    ok(t.till.scan(OIL));
    let view = ok(t.till.view()).expect("a cart");
    assert_eq!(names(&view), vec![("可乐特价".into(), 1000), ("满30减5".into(), 500)]);
    assert_eq!(view.totals.promotion_discounts, Money(1500));
    assert_eq!(view.totals.total, Money(8990));
    assert_eq!(view.totals.discounts(), Money(1500), "本单共优惠");
    assert_eq!(view.threshold_hint, None);
}

#[test]
fn a_promotion_sale_records_its_version_prints_each_promotion_and_returns_from_the_record() {
    let mut t = TestTill::ready();
    publish(&mut t);
    let done = sell_under_all_three(&mut t);
    let sale = done.sale;
    sale.check().expect("a consistent record");
    let record = sale.promotions.as_ref().expect("priced with the set");
    assert_eq!(record.version, 1);
    assert_eq!(record.at, date(2026, 11, 23).at(10, 0, 0, 0), "the business time the cart started");
    let allocated: Vec<Vec<(u64, i64)>> =
        sale.lines.iter().map(|l| l.promotions.iter().map(|(id, m)| (id.0, m.0)).collect()).collect();
    // 满30减5 spread by what each line still cost after layers 1–2: 15.00 / 11.25 / 69.90.
    assert_eq!(allocated, vec![vec![(1, 600), (3, 78)], vec![(2, 375), (3, 59)], vec![(3, 363)]]);
    let text = done.receipt.text(PaperWidth::Mm80);
    for said in ["可乐特价", "薯片第二件半价", "满30减5", "本单共优惠"] {
        assert!(text.contains(said), "the receipt says {said}:\n{text}");
    }

    // HQ withdraws 满30减5 afterwards: the return still follows what the sale recorded.
    t.till
        .store_mut()
        .apply_changes(&[Change::Promotion(PromotionChange { version: 2, id: PromotionId(3), promotion: None })])
        .expect("pulled");
    assert_eq!(t.till.store().promotion_set().expect("set").version, 2);
    // Returning the oil leaves ¥26.25 < ¥30: the kept lines' ¥0.78 + ¥0.59 are kept back.
    let oil = [ReturnPick { line: 2, qty: Qty::ONE }];
    let ctx = ok(t.till.start_return(&sale.receipt_no));
    let plan = ok(t.till.preview_return(&ctx, &oil));
    assert_eq!(plan.clawback, Money(137));
    assert_eq!(plan.lines[0].amount, Money(6990 - 363));
    // A manager may waive it, with a second approval of its own.
    let a = t.approve(ApprovalAction::Refund);
    let wrong = t.approve(ApprovalAction::Refund);
    assert!(matches!(
        t.till.complete_return_waiving_clawback(&sale.receipt_no, &oil, "不要了", Some(a), Some(wrong)),
        Err(TillError::WrongApproval)
    ));
    let a = t.approve(ApprovalAction::Refund);
    let waiver = t.approve(ApprovalAction::WaiveClawback);
    let (refund, receipt) =
        ok(t.till.complete_return_waiving_clawback(&sale.receipt_no, &oil, "不要了", Some(a), Some(waiver)));
    assert_eq!(refund.clawback, Money::ZERO);
    assert_eq!(refund.lines[0].amount, Money(6627));
    assert!(!receipt.text(PaperWidth::Mm80).contains("促销扣回"));
}

#[test]
fn a_clawback_is_printed_on_the_return() {
    let mut t = TestTill::ready();
    publish(&mut t);
    let sale = sell_under_all_three(&mut t).sale;
    let a = t.approve(ApprovalAction::Refund);
    let (refund, receipt) =
        ok(t.till.complete_return(&sale.receipt_no, &[ReturnPick { line: 2, qty: Qty::ONE }], "不要了", Some(a)));
    assert_eq!(refund.clawback, Money(137));
    assert!(receipt.text(PaperWidth::Mm80).contains("促销扣回"));
}

#[test]
fn a_manual_price_takes_no_promotion_and_no_set_means_no_record() {
    let mut t = TestTill::ready();
    ok(t.till.scan(COLA));
    let view = ok(t.till.view()).expect("a cart");
    assert_eq!(view.promotions, None, "no set pulled: nothing recorded");
    publish(&mut t);
    let a = t.approve(ApprovalAction::PriceOverride);
    ok(t.till.adjust_line(0, Some(ManualAdjustment::PriceOverride(Money(300))), Some(a)));
    let view = ok(t.till.view()).expect("a cart");
    assert!(view.lines[0].promotions.is_empty());
    assert_eq!(view.lines[0].priced.unit, Money(300));
}

#[test]
fn a_clawback_the_refund_cannot_cover_is_refused_and_changes_nothing() {
    // 满70减5 with the clawback on over a ¥3.50 cola and ¥69.90 oil (¥0.24 and ¥4.76 of it): returning
    // the cola leaves ¥69.90 < ¥70, and keeping back the oil's ¥4.76 from the cola's ¥3.26 would
    // leave the customer owing ¥1.50.
    let mut t = TestTill::ready();
    let mut threshold = promo(
        4,
        "满70减5",
        Scope { all_products: true, ..Scope::default() },
        PromotionKind::Slabs { slabs: vec![Slab { threshold: Money::yuan(70), off: Money::yuan(5) }] },
    );
    threshold.threshold_clawback = true;
    t.till
        .store_mut()
        .apply_changes(&[Change::Promotion(PromotionChange {
            version: 1,
            id: threshold.id,
            promotion: Some(threshold),
        })])
        .expect("pulled");
    ok(t.till.scan(COLA));
    ok(t.till.scan(OIL));
    ok(t.till.add_cash(Money::yuan(100)));
    let sale = ok(t.till.complete(false)).sale;
    assert_eq!((sale.lines[0].promotions[0].1, sale.lines[1].promotions[0].1), (Money(24), Money(476)));
    let before = footprint(&t.store());
    let a = t.approve(ApprovalAction::Refund);
    let refused = t.till.complete_return(&sale.receipt_no, &[ReturnPick { line: 0, qty: Qty::ONE }], "x", Some(a));
    assert!(
        matches!(refused, Err(TillError::Refund(RefundError::ClawbackExceedsRefund { owed })) if owed == Money(150)),
        "{refused:?}"
    );
    assert_eq!(footprint(&t.store()), before, "a refused return changes nothing");
}

#[test]
fn a_line_discount_on_a_promoted_line_is_judged_against_what_it_costs_with_the_promotion() {
    // 可乐 at 特价 ¥2.50: 20 % off it is ¥0.50, a fifth of what the customer pays: beyond the
    // cashier's limit, whatever the line would have cost without the promotion.
    let mut t = TestTill::ready();
    publish(&mut t);
    ok(t.till.scan(COLA));
    let twenty = Some(ManualAdjustment::DiscountPercent(Bp(2000)));
    assert!(matches!(
        t.till.adjust_line(0, twenty, None),
        Err(TillError::ApprovalRequired(ApprovalAction::LineDiscount))
    ));
    let a = t.approve(ApprovalAction::LineDiscount);
    ok(t.till.adjust_line(0, twenty, Some(a)));
    let view = ok(t.till.view()).expect("a cart");
    assert_eq!(view.lines[0].promotions.len(), 1, "the 特价 stays");
    assert_eq!(view.lines[0].net, Money(200));
}

#[test]
fn a_promotion_by_brand_prices_the_brand_s_goods_offline_and_the_sale_records_the_brand() {
    let mut t = TestTill::ready();
    // HQ names the oil's brand (7) and publishes 10 % off that brand.
    let store = t.till.store_mut();
    let mut oil = store.product_by_barcode(OIL).expect("lookup").expect("oil").product;
    oil.brand = Some(shared::catalog::BrandId(7));
    oil.barcodes = vec![OIL.to_owned()];
    let by_brand = promo(
        9,
        "金龙鱼品牌日 9折",
        Scope { brands: vec![shared::catalog::BrandId(7)], ..Scope::default() },
        PromotionKind::PercentOff { bp: Bp(1000), on_member_price: false },
    );
    store
        .apply_changes(&[
            Change::Product(oil),
            Change::Promotion(PromotionChange { version: 1, id: by_brand.id, promotion: Some(by_brand) }),
        ])
        .expect("pulled");
    t.hq.set_online(false);
    ok(t.till.scan(OIL));
    ok(t.till.scan(COLA));
    let view = ok(t.till.view()).expect("a cart");
    assert_eq!(names(&view), vec![("金龙鱼品牌日 9折".into(), 699)], "¥69.90 less 10 %, the cola has no brand");
    ok(t.till.add_cash(Money::yuan(100)));
    let sale = ok(t.till.complete(false)).sale;
    assert_eq!(sale.lines[0].item.brand, Some(shared::catalog::BrandId(7)), "HQ re-prices with the brand sold");
    assert_eq!(sale.lines[1].item.brand, None);
    // A restart reads the brand back from the till's database.
    t.restart();
    let oil = t.till.store().product_by_barcode(OIL).expect("lookup").expect("oil");
    assert_eq!(oil.product.brand, Some(shared::catalog::BrandId(7)));
}

#[test]
fn a_per_member_limit_takes_hq_s_count_from_the_lookup_and_the_sale_records_it() {
    let mut t = TestTill::ready();
    let mut once = promo(
        8,
        "会员专享 9折 每人限1次",
        product(3),
        PromotionKind::PercentOff { bp: Bp(1000), on_member_price: true },
    );
    once.limits = Limits { per_sale: None, per_member: Some(1) };
    t.till
        .store_mut()
        .apply_changes(&[Change::Promotion(PromotionChange { version: 1, id: once.id, promotion: Some(once) })])
        .expect("pulled");
    let member = shared::member::MemberIdentifier::Code(t.member.code.clone());
    // HQ counts one earlier sale with it: the member does not get it again.
    t.hq.set_promotion_uses(t.member.id, [(PromotionId(8), 1)].into_iter().collect());
    ok(t.till.attach_member(member.clone()));
    ok(t.till.scan(OIL));
    let view = ok(t.till.view()).expect("a cart");
    assert!(names(&view).is_empty(), "{:?}", names(&view));
    ok(t.till.add_cash(Money::yuan(100)));
    let sale = ok(t.till.complete(false)).sale;
    assert_eq!(sale.promotions.as_ref().expect("record").member_uses, vec![(PromotionId(8), 1)]);
    // None yet: the member gets it.
    t.hq.set_promotion_uses(t.member.id, Default::default());
    ok(t.till.attach_member(member));
    ok(t.till.scan(OIL));
    let view = ok(t.till.view()).expect("a cart");
    assert_eq!(names(&view), vec![("会员专享 9折 每人限1次".into(), 599)], "10 % of the member price ¥59.90");
}
