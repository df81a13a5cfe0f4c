//! Promotions inside a whole sale: domain.md's worked example priced by `price_sale_with`, recorded,
//! checked, and returned by `plan_refund_with` fen for fen, with and without a clawback.

use jiff::Timestamp;
use jiff::civil::date;
use proptest::prelude::*;
use shared::catalog::{CategoryId, ProductId};
use shared::ids::{BranchId, RefundId, SaleId, ShiftId, StaffId, TillId};
use shared::pricing::{CashRounding, LineInput, ManualAdjustment, MemberBenefit, OrderDiscount};
use shared::promotions::coupons::{Coupon, CouponId, CouponKind};
use shared::promotions::{
    Audience, Branches, Customer, Limits, Promotion, PromotionEngine, PromotionId, PromotionKind, PromotionSet,
    Schedule, Scope, Slab,
};
use shared::receipt::ReceiptNo;
use shared::sale::{
    CompletedSale, InconsistentSale, LineItem, PromotionContext, RedeemedCoupon, Refund, RefundError, RefundKind,
    ReturnPick, TenderInput, plan_refund, plan_refund_with, price_sale_with, settle,
};
use shared::{Bp, Money, Qty};

const COLA: i64 = 1;
const CHIPS: i64 = 2;
const MILK: i64 = 3;
const TOWEL: i64 = 4;

fn item(id: i64, name: &str, price: i64, pieces: i64) -> LineItem {
    LineItem {
        brand: None,
        product_id: ProductId(id),
        product_code: format!("P{id}"),
        barcode: None,
        name: name.into(),
        category: CategoryId(id * 10),
        unit: "个".into(),
        vat: Bp(1300),
        points_eligible: true,
        weighed: false,
        pricing: LineInput {
            base_price: Money(price),
            member_price: None,
            discount_eligible: true,
            qty: Qty::pieces(pieces),
            label_price: None,
            manual: None,
        },
    }
}

fn promo(id: u64, name: &str, scope: Scope, kind: PromotionKind) -> Promotion {
    Promotion {
        id: PromotionId(id),
        name: name.into(),
        branches: Branches::All,
        schedule: Schedule { from: date(2026, 1, 1), to: date(2026, 12, 31), weekdays: None, time_window: None },
        audience: Audience::Everyone,
        scope,
        kind,
        exclusivity_group: None,
        priority: 0,
        limits: Limits::default(),
        threshold_clawback: false,
    }
}

fn only(ids: &[i64]) -> Scope {
    Scope { products: ids.iter().map(|&i| ProductId(i)).collect(), ..Scope::default() }
}

/// domain.md's set: P1 可乐特价 ¥2.50, P2 薯片第二件半价, P3 满30减5 on everything.
fn example_set(clawback: bool) -> PromotionSet {
    let mut p3 = promo(
        3,
        "满30减5",
        Scope { all_products: true, ..Scope::default() },
        PromotionKind::Slabs { slabs: vec![Slab { threshold: Money::yuan(30), off: Money::yuan(5) }] },
    );
    p3.threshold_clawback = clawback;
    PromotionSet {
        version: 7,
        promotions: vec![
            promo(1, "可乐特价 ¥2.50", only(&[COLA]), PromotionKind::FixedPrice { price: Money(250) }),
            promo(2, "薯片第二件半价", only(&[CHIPS]), PromotionKind::NthPercentOff { n: 2, bp: Bp(5000) }),
            p3,
        ],
    }
}

/// domain.md's cart: 可乐 ×4 (¥3.00), 薯片 ×2 (¥8.00), 牛奶 ×1 (¥12.00).
fn example_items() -> Vec<LineItem> {
    vec![item(COLA, "可乐", 300, 4), item(CHIPS, "薯片", 800, 2), item(MILK, "牛奶", 1200, 1)]
}

fn context<'a>(engine: &'a PromotionEngine, gifts: &'a [LineItem], coupons: &'a [Coupon]) -> PromotionContext<'a> {
    PromotionContext {
        engine,
        branch: BranchId(1),
        at: date(2026, 11, 30).at(10, 0, 0, 0),
        customer: Customer::default(),
        gifts,
        coupons,
    }
}

fn sell(items: &[LineItem], set: PromotionSet, member: Option<&MemberBenefit>) -> CompletedSale {
    sell_with(items, set, member, None)
}

fn sell_with(
    items: &[LineItem],
    set: PromotionSet,
    member: Option<&MemberBenefit>,
    order: Option<OrderDiscount>,
) -> CompletedSale {
    sell_with_coupons(items, set, member, order, &[])
}

fn sell_with_coupons(
    items: &[LineItem],
    set: PromotionSet,
    member: Option<&MemberBenefit>,
    order: Option<OrderDiscount>,
    coupons: &[Coupon],
) -> CompletedSale {
    let engine = PromotionEngine::new(set);
    let gifts = [item(TOWEL, "毛巾", 1500, 1)];
    let priced = price_sale_with(items, member, order, Some(&context(&engine, &gifts, coupons))).expect("priced");
    let redeemed: Vec<RedeemedCoupon> = priced
        .coupons
        .iter()
        .map(|a| RedeemedCoupon {
            code: format!("CP1-{}-ABCDEF", a.id.0),
            coupon: coupons.iter().find(|c| c.id == a.id).expect("presented").clone(),
            hold: None,
            discount: a.discount,
        })
        .collect();
    let paid = settle(priced.totals.total, &[TenderInput::cash(Money::yuan(500))], CashRounding::None).expect("paid");
    let sale = CompletedSale {
        id: SaleId::new(),
        receipt_no: ReceiptNo::new("B001", 1, 1),
        branch: BranchId(1),
        till: TillId(1),
        shift: ShiftId::new(),
        cashier: StaffId(1),
        completed_at: Timestamp::UNIX_EPOCH,
        business_day: date(2026, 11, 30),
        lines: priced.lines,
        order_discount: order,
        totals: priced.totals,
        tax: priced.tax,
        points_eligible_net: priced.points_eligible_net,
        promotions: priced.promotions,
        coupons: redeemed,
        tenders: paid.tenders,
        change: paid.change,
        change_to_stored_value: Money::ZERO,
        member: None,
    };
    sale.check().expect("a consistent sale");
    sale
}

fn record(sale: &CompletedSale, plan: shared::sale::RefundPlan) -> Refund {
    Refund {
        id: RefundId::new(),
        kind: RefundKind::Return,
        sale: Some(sale.id),
        original_receipt: Some(sale.receipt_no.clone()),
        receipt_no: ReceiptNo::new("B001", 1, 2),
        branch: sale.branch,
        till: sale.till,
        shift: sale.shift,
        cashier: sale.cashier,
        approved_by: None,
        refunded_at: Timestamp::UNIX_EPOCH,
        business_day: sale.business_day,
        reason: "return".into(),
        lines: plan.lines,
        total: plan.total,
        rounding: plan.rounding,
        tenders: plan.tenders,
        points_taken_back: plan.points_taken_back,
        points_restored: plan.points_restored,
        member: None,
        tax: plan.tax,
        clawback: plan.clawback,
        clawback_waived: plan.clawback_waived,
    }
}

fn pick(line: usize, pieces: i64) -> ReturnPick {
    ReturnPick { line, qty: Qty::pieces(pieces) }
}

#[test]
fn the_worked_example_as_a_sale_fen_for_fen() {
    let sale = sell(&example_items(), example_set(false), None);
    let allocations: Vec<Vec<(u64, i64)>> =
        sale.lines.iter().map(|l| l.promotions.iter().map(|(id, m)| (id.0, m.0)).collect()).collect();
    assert_eq!(allocations, vec![vec![(1, 200), (3, 147)], vec![(2, 400), (3, 177)], vec![(3, 176)]]);
    assert_eq!(sale.lines[0].priced.unit, Money(250), "layer 1 sets the unit price");
    let nets: Vec<i64> = sale.lines.iter().map(|l| l.net.0).collect();
    assert_eq!(nets, vec![853, 1023, 1024]);
    assert_eq!(sale.totals.gross, Money::yuan(40));
    assert_eq!(sale.totals.promotion_discounts, Money::yuan(11), "本单共优惠 ¥11.00");
    assert_eq!(sale.totals.discounts(), Money::yuan(11));
    assert_eq!(sale.totals.due, Money::yuan(29));
    let record = sale.promotions.as_ref().expect("recorded");
    assert_eq!(record.version, 7);
    assert_eq!(record.total(), Money::yuan(11));
    let names: Vec<&str> = record.applied.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, vec!["可乐特价 ¥2.50", "薯片第二件半价", "满30减5"]);
}

#[test]
fn returns_pay_back_the_recorded_allocations() {
    let sale = sell(&example_items(), example_set(false), None);
    // One 可乐: floor(8.53 × 1/4) = 2.13.
    let one = plan_refund(&sale, &[], &[pick(0, 1)], CashRounding::None).expect("one cola");
    assert_eq!(one.total, Money(213));
    // The other three: 8.53 in all with the first.
    let first = record(&sale, one);
    let rest = plan_refund(&sale, std::slice::from_ref(&first), &[pick(0, 3)], CashRounding::None).expect("rest");
    assert_eq!(first.total + rest.total, Money(853));
    // The 牛奶 alone: 12.00 − 1.76 = 10.24; the customer keeps 满30减5 on what they kept.
    let milk = plan_refund(&sale, &[], &[pick(2, 1)], CashRounding::None).expect("milk");
    assert_eq!(milk.total, Money(1024));
    assert_eq!(milk.clawback, Money::ZERO);
}

#[test]
fn a_clawback_takes_back_what_the_kept_lines_got_and_a_manager_may_waive_it() {
    let sale = sell(&example_items(), example_set(true), None);
    // Kept 可乐 + 薯片 = 18.76 < 30: 10.24 − 1.47 − 1.77 = 7.00.
    let milk = plan_refund(&sale, &[], &[pick(2, 1)], CashRounding::None).expect("milk");
    assert_eq!(milk.clawback, Money(324));
    assert_eq!(milk.total, Money(700));
    let milk = record(&sale, milk);
    milk.check().expect("a consistent refund");
    // Returning everything else later pays back the rest and releases the clawback: the whole sale
    // comes back exactly.
    let rest = plan_refund(&sale, std::slice::from_ref(&milk), &[pick(0, 4), pick(1, 2)], CashRounding::None)
        .expect("the rest");
    assert_eq!(rest.clawback, Money(-324));
    assert_eq!(milk.total + rest.total, sale.totals.due);
    // A waiver takes no clawback.
    let waived = plan_refund_with(&sale, &[], &[pick(2, 1)], CashRounding::None, true).expect("waived");
    assert_eq!((waived.total, waived.clawback), (Money(1024), Money::ZERO));
}

#[test]
fn a_clawback_larger_than_the_refund_is_refused_with_what_would_be_owed() {
    // 满30减5 with clawback over a ¥29.00 and a ¥10.00 line: returning the ¥10.00 one leaves ¥29.00 <
    // ¥30, so the refund keeps back the 大件's share of the ¥5.00.
    let items = vec![item(10, "大件", 2900, 1), item(11, "小件", 1000, 1)];
    let mut set = example_set(true);
    set.promotions.retain(|p| p.id.0 == 3);
    let sale = sell(&items, set, None);
    let (big_share, small_paid) = (sale.lines[0].promotions[0].1, sale.lines[1].net);
    assert_eq!((big_share, small_paid), (Money(372), Money(872)));
    let small = plan_refund(&sale, &[], &[pick(1, 1)], CashRounding::None).expect("small");
    assert_eq!((small.total, small.clawback), (Money(500), Money(372)));
    // A ¥0.50 line against a ¥5 discount on a ¥30 line: returning the cheap line owes money.
    let items = vec![item(12, "大件", 3000, 1), item(13, "赠品级", 50, 1)];
    let mut set = example_set(true);
    set.promotions.retain(|p| p.id.0 == 3);
    set.promotions[0].kind = PromotionKind::Slabs { slabs: vec![Slab { threshold: Money(3050), off: Money(500) }] };
    let sale = sell(&items, set, None);
    let err = plan_refund(&sale, &[], &[pick(1, 1)], CashRounding::None).expect_err("owes");
    let kept_share = sale.lines[0].promotions[0].1;
    let paid_small = sale.lines[1].net;
    assert_eq!(err, RefundError::ClawbackExceedsRefund { owed: kept_share - paid_small });
}

#[test]
fn a_gift_is_a_line_at_nothing_and_returns_at_nothing() {
    let mut set = example_set(false);
    set.promotions.push(promo(
        4,
        "满30赠毛巾",
        Scope { all_products: true, ..Scope::default() },
        PromotionKind::Gift { threshold: Money::yuan(30), product: ProductId(TOWEL) },
    ));
    let sale = sell(&example_items(), set, None);
    let gift = sale.lines.last().expect("a gift line");
    assert_eq!(gift.item.product_id, ProductId(TOWEL));
    assert_eq!(gift.gift_of, Some(PromotionId(4)));
    assert_eq!((gift.priced.gross, gift.net), (Money::ZERO, Money::ZERO));
    assert!(!gift.item.points_eligible);
    assert_eq!(sale.totals.due, Money::yuan(29));
    let back = plan_refund(&sale, &[], &[pick(sale.lines.len() - 1, 1)], CashRounding::None).expect("gift back");
    assert_eq!(back.total, Money::ZERO);
}

#[test]
fn a_manual_price_takes_no_promotions() {
    let mut items = example_items();
    items[0].pricing.manual = Some(ManualAdjustment::PriceOverride(Money(280)));
    let sale = sell(&items, example_set(false), None);
    assert!(sale.lines[0].promotions.is_empty(), "no promotion on an overridden line");
    assert_eq!(sale.lines[0].priced.unit, Money(280));
}

#[test]
fn a_line_discount_comes_after_the_promotions() {
    // ¥0.50 off the 可乐 line: 特价 and 满30减5 stay as in the worked example, then the ¥0.50.
    let mut items = example_items();
    items[0].pricing.manual = Some(ManualAdjustment::DiscountAmount(Money(50)));
    let sale = sell(&items, example_set(false), None);
    let ids: Vec<u64> = sale.lines[0].promotions.iter().map(|(id, _)| id.0).collect();
    assert_eq!(ids, vec![1, 3]);
    assert_eq!(sale.lines[0].priced.manual_discount, Money(50));
    assert_eq!(sale.totals.due, Money(2850));
}

#[test]
fn the_order_discount_does_not_count_against_a_threshold_on_return() {
    // ¥100 and ¥5 under 满100减10 with the clawback on, and 10 % off the order: the ¥100 kept
    // alone still reaches ¥100, so returning the ¥5 takes nothing back.
    let items = vec![item(20, "大件", 10_000, 1), item(21, "小件", 500, 1)];
    let mut set = example_set(true);
    set.promotions.retain(|p| p.id.0 == 3);
    set.promotions[0].kind =
        PromotionKind::Slabs { slabs: vec![Slab { threshold: Money::yuan(100), off: Money::yuan(10) }] };
    let sale = sell_with(&items, set, None, Some(OrderDiscount::Percent(Bp(1000))));
    assert!(sale.totals.order_discount.0 > 0);
    let small = plan_refund(&sale, &[], &[pick(1, 1)], CashRounding::None).expect("the small one");
    assert_eq!(small.clawback, Money::ZERO);
    assert_eq!(small.total, sale.lines[1].net);
}

#[test]
fn a_waived_clawback_is_not_taken_on_a_later_return() {
    let sale = sell(&example_items(), example_set(true), None);
    let milk = plan_refund_with(&sale, &[], &[pick(2, 1)], CashRounding::None, true).expect("waived");
    assert!(milk.clawback_waived);
    let milk = record(&sale, milk);
    // One 可乐 later: what the waiver let the customer keep is not taken back now.
    let cola = plan_refund(&sale, std::slice::from_ref(&milk), &[pick(0, 1)], CashRounding::None).expect("a cola");
    assert_eq!((cola.clawback, cola.total), (Money::ZERO, Money(213)));
}

#[test]
fn member_prices_come_first_and_promotions_price_from_them() {
    // A 10 % tier discount: 可乐 2.70 → 特价 2.50 still wins; 薯片 7.20 + 3.60.
    let gold = MemberBenefit { discount: Bp(9000), member_prices: true };
    let sale = sell(&example_items(), example_set(false), Some(&gold));
    assert_eq!(sale.lines[0].priced.unit, Money(250));
    assert_eq!(sale.lines[0].priced.member_saving, Money(120));
    assert_eq!(sale.lines[0].promotions[0], (PromotionId(1), Money(80)));
    assert_eq!(sale.lines[1].promotions[0], (PromotionId(2), Money(360)));
}

#[test]
fn a_tampered_allocation_is_caught_by_the_sale_check() {
    let mut sale = sell(&example_items(), example_set(false), None);
    sale.lines[0].promotions[1].1 = Money(148);
    assert_eq!(sale.check(), Err(InconsistentSale::LinePromotions(1)));
    let mut sale = sell(&example_items(), example_set(false), None);
    sale.promotions.as_mut().expect("recorded").applied[2].discount = Money(501);
    assert_eq!(sale.check(), Err(InconsistentSale::PromotionAllocations(3)));
    let mut sale = sell(&example_items(), example_set(false), None);
    sale.promotions = None;
    assert!(matches!(sale.check(), Err(InconsistentSale::PromotionAllocations(_))));
}

proptest! {
    /// Any cart of the example's goods: the sale adds up, and returning everything piece by piece in
    /// any order pays back exactly what was paid, clawback or not.
    #[test]
    fn any_cart_adds_up_and_a_full_return_pays_back_what_was_paid(
        cola in 0i64..6, chips in 0i64..6, milk in 0i64..4, clawback: bool, order in prop::collection::vec(0usize..3, 0..20),
        off in prop::option::of(1i64..30), member: bool,
    ) {
        let items: Vec<LineItem> = [(COLA, "可乐", 300, cola), (CHIPS, "薯片", 800, chips), (MILK, "牛奶", 1200, milk)]
            .into_iter()
            .filter(|x| x.3 > 0)
            .map(|(id, name, price, n)| item(id, name, price, n))
            .collect();
        prop_assume!(!items.is_empty());
        let gold = MemberBenefit { discount: Bp(9500), member_prices: true };
        let sale = sell_with(
            &items,
            example_set(clawback),
            member.then_some(&gold),
            off.map(|p| OrderDiscount::Percent(Bp(p * 100))),
        );
        let mut refunds: Vec<Refund> = Vec::new();
        let mut left: Vec<i64> = items.iter().map(|i| i.pricing.qty.0 / 1000).collect();
        let lines = left.len();
        for line in order.into_iter().filter(|l| *l < lines) {
            if left[line] == 0 {
                continue;
            }
            match plan_refund(&sale, &refunds, &[pick(line, 1)], CashRounding::None) {
                Ok(plan) => {
                    left[line] -= 1;
                    refunds.push(record(&sale, plan));
                }
                // The kept goods would owe money back: that piece stays for now.
                Err(RefundError::ClawbackExceedsRefund { .. }) => {}
                Err(e) => panic!("{e}"),
            }
        }
        let picks: Vec<ReturnPick> =
            left.iter().enumerate().filter(|(_, n)| **n > 0).map(|(l, n)| pick(l, *n)).collect();
        if !picks.is_empty() {
            let plan = plan_refund(&sale, &refunds, &picks, CashRounding::None).expect("the rest");
            refunds.push(record(&sale, plan));
        }
        let back: Money = refunds.iter().map(|r| r.total).sum();
        prop_assert_eq!(back, sale.totals.due);
    }
}

fn five_off_from(min_yuan: i64) -> Coupon {
    Coupon {
        id: CouponId(41),
        name: "满减券".into(),
        kind: CouponKind::AmountOff {
            scope: Scope { all_products: true, ..Scope::default() },
            min_spend: Money::yuan(min_yuan),
            off: Money::yuan(5),
        },
        offline_allowed: false,
    }
}

#[test]
fn a_coupon_comes_last_and_returns_pay_back_what_each_line_paid() {
    // After the promotions the lines cost 8.53 / 10.23 / 10.24 (¥29.00); ¥5 off spread by what
    // each still costs: 1.47 / 1.76 / 1.77, so ¥24.00 is due.
    let sale = sell_with_coupons(&example_items(), example_set(false), None, None, &[five_off_from(29)]);
    sale.check().expect("a consistent sale");
    assert_eq!(sale.totals.coupon_discounts, Money::yuan(5));
    assert_eq!(sale.totals.due, Money::yuan(24));
    let coupons: Vec<Vec<(CouponId, Money)>> = sale.lines.iter().map(|l| l.coupons.clone()).collect();
    assert_eq!(
        coupons,
        vec![vec![(CouponId(41), Money(147))], vec![(CouponId(41), Money(176))], vec![(CouponId(41), Money(177))]]
    );
    assert_eq!(sale.coupons.len(), 1);
    assert_eq!(sale.coupons[0].discount, Money::yuan(5));
    // The 牛奶 back: what it paid, 10.24 − 1.77; the coupon is never given back as money.
    let milk = plan_refund(&sale, &[], &[pick(2, 1)], CashRounding::None).expect("milk");
    assert_eq!(milk.total, Money(847));
    let milk = record(&sale, milk);
    milk.check().expect("a consistent refund");
    let rest = plan_refund(&sale, std::slice::from_ref(&milk), &[pick(0, 4), pick(1, 2)], CashRounding::None)
        .expect("the rest");
    assert_eq!(milk.total + rest.total, sale.totals.due);
    // With 满30减5 clawed back: the kept goods measured after layers 1–2, not after the coupon.
    let sale = sell_with_coupons(&example_items(), example_set(true), None, None, &[five_off_from(29)]);
    let milk = plan_refund(&sale, &[], &[pick(2, 1)], CashRounding::None).expect("milk");
    assert_eq!((milk.total, milk.clawback), (Money(847 - 324), Money(324)));
}

#[test]
fn a_coupon_whose_minimum_is_not_reached_is_unused_and_the_member_keeps_it() {
    let engine = PromotionEngine::new(example_set(false));
    let coupons = [five_off_from(40)];
    let priced = price_sale_with(&example_items(), None, None, Some(&context(&engine, &[], &coupons))).expect("priced");
    assert!(priced.coupons.is_empty());
    assert_eq!(priced.unused_coupons, vec![CouponId(41)]);
    assert_eq!(priced.totals.coupon_discounts, Money::ZERO);
    assert_eq!(priced.totals.due, Money::yuan(29));
}

#[test]
fn a_tampered_coupon_record_is_caught_by_the_sale_check() {
    let sale = sell_with_coupons(&example_items(), example_set(false), None, None, &[five_off_from(29)]);
    let mut moved = sale.clone();
    moved.lines[0].coupons[0].1 = Money(148);
    assert_eq!(moved.check(), Err(InconsistentSale::CouponAllocations(41)));
    let mut claimed = sale.clone();
    claimed.coupons[0].discount = Money::yuan(6);
    assert_eq!(claimed.check(), Err(InconsistentSale::CouponAllocations(41)));
    let mut twice = sale.clone();
    twice.coupons.push(twice.coupons[0].clone());
    assert_eq!(twice.check(), Err(InconsistentSale::CouponAllocations(41)));
    let mut unrecorded = sale;
    unrecorded.coupons.clear();
    assert_eq!(unrecorded.check(), Err(InconsistentSale::CouponAllocations(41)));
}
