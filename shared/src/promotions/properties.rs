//! Properties of the engine over random carts and promotion sets (proptest): allocations add up, no
//! line goes below zero, a promotion added never raises the amount due, a full return pays back
//! exactly what was paid, and the same input gives the same output whatever the set's order. Sets of
//! up to 20 promotions reach the big-cart paths of `choose` (more than 12 able to apply).

use proptest::prelude::*;

use super::tests::{cart, promo};
use super::*;

fn kind() -> impl Strategy<Value = PromotionKind> {
    prop_oneof![
        (0i64..1500).prop_map(|p| PromotionKind::FixedPrice { price: Money(p) }),
        (1i64..800).prop_map(|o| PromotionKind::AmountOff { off: Money(o) }),
        (1i64..=10_000, any::<bool>())
            .prop_map(|(bp, on_member_price)| PromotionKind::PercentOff { bp: Bp(bp), on_member_price }),
        (1u32..4, 1u32..3).prop_map(|(n, m)| PromotionKind::BuyNGetMFree { n, m }),
        (1u32..4, 1i64..=10_000).prop_map(|(n, bp)| PromotionKind::NthPercentOff { n, bp: Bp(bp) }),
        (1u32..5, 0i64..3000).prop_map(|(n, p)| PromotionKind::NForPrice { n, price: Money(p) }),
        prop::collection::btree_map(1i64..8000, 1i64..3000, 1..4).prop_map(|m| PromotionKind::Slabs {
            slabs: m.into_iter().map(|(t, o)| Slab { threshold: Money(t), off: Money(o) }).collect()
        }),
        (1i64..5000, 1i64..2000, prop::option::of(1i64..4000)).prop_map(|(e, o, c)| PromotionKind::Repeating {
            every: Money(e),
            off: Money(o),
            cap: c.map(Money)
        }),
        (1i64..8000, 1i64..=10_000)
            .prop_map(|(t, bp)| PromotionKind::ThresholdPercent { threshold: Money(t), bp: Bp(bp) }),
        (1i64..8000).prop_map(|t| PromotionKind::Gift { threshold: Money(t), product: ProductId(99) }),
    ]
}

fn scope() -> impl Strategy<Value = Scope> {
    prop_oneof![
        Just(Scope { all_products: true, ..Scope::default() }),
        prop::collection::vec(1i64..6, 1..3)
            .prop_map(|p| Scope { products: p.into_iter().map(ProductId).collect(), ..Scope::default() }),
        (0i64..3).prop_map(|c| Scope { categories: vec![CategoryId(c)], ..Scope::default() }),
        (1i64..6).prop_map(|x| Scope { all_products: true, excluded: vec![ProductId(x)], ..Scope::default() }),
    ]
}

fn promotion(id: u64) -> impl Strategy<Value = Promotion> {
    (scope(), kind(), prop::option::of(0u8..2), -2i32..3, prop::option::of(1u32..3), any::<bool>()).prop_map(
        move |(scope, kind, group, priority, per_sale, clawback)| {
            let mut p = promo(id, "p", scope, kind);
            p.exclusivity_group = group.map(|g| format!("g{g}"));
            p.priority = priority;
            p.limits.per_sale = per_sale;
            p.threshold_clawback = clawback;
            p
        },
    )
}

fn promotions(max: usize) -> impl Strategy<Value = Vec<Promotion>> {
    (0..=max).prop_flat_map(|n| (0..n as u64).map(|i| promotion(i + 1)).collect::<Vec<_>>())
}

fn cart_line(index: usize) -> impl Strategy<Value = CartLine> {
    (1i64..6, 0i64..2000, 0i64..300, 1i64..5, any::<bool>(), 0u8..10, 0u8..10, 1i64..3000).prop_map(
        move |(product, base, member_off, pieces, weighed, eligible, manual, grams)| CartLine {
            index,
            product: ProductId(product),
            category: CategoryId(product % 3),
            brand: None,
            base_unit: Money(base),
            member_unit: Money((base - member_off).max(0)),
            qty: if weighed { Qty(grams) } else { Qty::pieces(pieces) },
            discount_eligible: eligible > 0,
            manual_override: manual == 0,
            weighed,
        },
    )
}

fn coupon(id: u64) -> impl Strategy<Value = coupons::Coupon> {
    let kind = prop_oneof![
        (scope(), 0i64..5000, 1i64..3000).prop_map(|(scope, m, o)| coupons::CouponKind::AmountOff {
            scope,
            min_spend: Money(m),
            off: Money(o)
        }),
        (scope(), 1i64..=10_000).prop_map(|(scope, bp)| coupons::CouponKind::PercentOff { scope, bp: Bp(bp) }),
        (1i64..6, 0i64..1000)
            .prop_map(|(p, price)| coupons::CouponKind::FixedPriceItem { product: ProductId(p), price: Money(price) }),
    ];
    kind.prop_map(move |kind| coupons::Coupon {
        id: coupons::CouponId(id),
        name: "券".into(),
        kind,
        offline_allowed: false,
    })
}

fn a_cart() -> impl Strategy<Value = PromotionCart> {
    (
        (1usize..6).prop_flat_map(|n| (0..n).map(cart_line).collect::<Vec<_>>()),
        (0u64..3).prop_flat_map(|n| (0..n).map(|i| coupon(i + 1)).collect::<Vec<_>>()),
    )
        .prop_map(|(lines, coupons)| {
            let mut c = cart(lines);
            c.coupons = coupons;
            c
        })
}

fn price(promotions: &[Promotion], cart: &PromotionCart) -> PromotionOutcome {
    price_promotions(&PromotionSet { version: 1, promotions: promotions.to_vec() }, cart).expect("priced")
}

proptest! {
    #[test]
    fn allocations_add_up_and_no_line_goes_below_zero(set in promotions(20), cart in a_cart()) {
        let o = price(&set, &cart);
        for p in &o.promotions {
            let allocated: Money = o.lines.iter().flat_map(|l| &l.allocations).filter(|a| a.0 == p.id).map(|a| a.1).sum();
            prop_assert_eq!(allocated, p.discount);
        }
        for c in &o.coupons {
            let allocated: Money =
                o.lines.iter().flat_map(|l| &l.coupon_allocations).filter(|a| a.0 == c.id).map(|a| a.1).sum();
            prop_assert_eq!(allocated, c.discount);
        }
        for l in &o.lines {
            prop_assert!(l.net.0 >= 0);
            prop_assert!(l.allocations.iter().all(|a| a.1.0 > 0));
            prop_assert!(l.coupon_allocations.iter().all(|a| a.1.0 > 0));
            let taken = l.allocations.iter().map(|a| a.1).sum::<Money>() + l.coupon_allocations.iter().map(|a| a.1).sum::<Money>();
            prop_assert_eq!(l.net, l.net_before - taken);
        }
        let discounts = o.promotions.iter().map(|p| p.discount).sum::<Money>() + o.coupons.iter().map(|c| c.discount).sum::<Money>();
        prop_assert_eq!(o.total_saving, discounts);
    }

    #[test]
    fn adding_a_promotion_never_raises_the_amount_due(set in promotions(7), extra in promotion(100), cart in a_cart()) {
        // Promotions only: coupons apply after the choice (see `coupons`).
        let mut cart = cart;
        cart.coupons.clear();
        let without = price(&set, &cart).total_net();
        let with = price(&[set, vec![extra]].concat(), &cart).total_net();
        prop_assert!(with <= without, "{} > {}", with, without);
    }

    #[test]
    fn a_full_return_pays_back_exactly_what_was_paid(set in promotions(20), cart in a_cart(), split in 0u8..5) {
        let o = price(&set, &cart);
        let lines: Vec<RecordedLine> = o.lines.iter().zip(&cart.lines).map(|(l, c)| RecordedLine::from_outcome(l, c.qty)).collect();
        let none = vec![Qty(0); lines.len()];
        let all: Vec<Qty> = cart.lines.iter().map(|l| l.qty).collect();
        let r = refund_for_return(&lines, &o.promotions, &none, &all, Money::ZERO, false).expect("full return");
        prop_assert_eq!(r.refund, o.total_net());
        // In two returns, the clawback carried between them: together exactly what was paid.
        let first: Vec<Qty> = all.iter().map(|q| Qty(q.0 * i64::from(split) / 4)).collect();
        let rest: Vec<Qty> = all.iter().zip(&first).map(|(a, f)| Qty(a.0 - f.0)).collect();
        let one = refund_for_return(&lines, &o.promotions, &none, &first, Money::ZERO, false)
            .or_else(|_| refund_for_return(&lines, &o.promotions, &none, &first, Money::ZERO, true))
            .expect("first return");
        let two = refund_for_return(&lines, &o.promotions, &first, &rest, one.clawed_back_so_far, false).expect("second return");
        prop_assert_eq!(one.refund + two.refund, o.total_net());
    }

    #[test]
    fn same_input_same_output_whatever_the_set_order(set in promotions(20), cart in a_cart()) {
        let o = price(&set, &cart);
        prop_assert_eq!(&o, &price(&set, &cart));
        let reversed: Vec<Promotion> = set.iter().rev().cloned().collect();
        prop_assert_eq!(&o, &price(&reversed, &cart));
    }
}

/// One layer-3 promotion at most and no limits: the fast search's score is then the saving exactly.
fn without_stacking(set: Vec<Promotion>) -> Vec<Promotion> {
    let mut thresholds = 0;
    set.into_iter()
        .filter(|p| {
            p.layer() != Layer::Threshold || {
                thresholds += 1;
                thresholds == 1
            }
        })
        .map(|mut p| {
            p.limits = Limits::default();
            p
        })
        .collect()
}

proptest! {
    #[test]
    fn the_fast_search_finds_the_same_saving_as_pricing_every_combination(
        set in promotions(12).prop_map(without_stacking),
        cart in a_cart(),
    ) {
        let lines = evaluate::prepare_lines(&cart).expect("lines");
        let active: Vec<(&Promotion, Vec<usize>)> = set.iter().map(|p| (p, (0..cart.lines.len()).collect())).collect();
        let cands = evaluate::candidates(&active, &cart, &lines);
        prop_assume!(cands.len() <= EXACT_SEARCH_LIMIT);
        let all: Vec<usize> = (0..cands.len()).collect();
        let slow = choose::search(&lines, &cands, &[], &all);
        prop_assert_eq!(search::search(&lines, &cands, &[], &all).saving, slow.saving);
        prop_assert_eq!(search::search_bounded(&lines, &cands, &all).saving, slow.saving);
        let open: Vec<usize> = choose::components(&cands, lines.len()).into_iter().flatten().collect();
        let fixed: Vec<usize> = all.iter().copied().filter(|c| !open.contains(c)).collect();
        let slow = choose::search(&lines, &cands, &fixed, &open);
        prop_assert_eq!(search::search(&lines, &cands, &fixed, &open).saving, slow.saving);
    }
}

/// No layer-1 limits (the bounded search's condition); layer-3 promotions may stack.
fn without_line_limits(set: Vec<Promotion>) -> Vec<Promotion> {
    set.into_iter()
        .map(|mut p| {
            if p.layer() == Layer::LinePrice {
                p.limits = Limits::default();
            }
            p
        })
        .collect()
}

proptest! {
    #[test]
    fn the_bounded_search_finds_the_same_combination_as_pricing_every_one(
        set in promotions(12).prop_map(without_line_limits),
        cart in a_cart(),
    ) {
        let lines = evaluate::prepare_lines(&cart).expect("lines");
        let active: Vec<(&Promotion, Vec<usize>)> = set.iter().map(|p| (p, (0..cart.lines.len()).collect())).collect();
        let cands = evaluate::candidates(&active, &cart, &lines);
        prop_assume!(cands.len() <= EXACT_SEARCH_LIMIT);
        let all: Vec<usize> = (0..cands.len()).collect();
        let slow = choose::search(&lines, &cands, &[], &all);
        let fast = search::search_bounded(&lines, &cands, &all);
        prop_assert_eq!((fast.saving, &fast.effective), (slow.saving, &slow.effective));
    }
}
