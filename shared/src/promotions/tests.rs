//! The engine against domain.md's worked figures and the rules of "Promotions", one rule per test.

use jiff::civil::date;

use super::*;
use crate::money::Bp;

pub(super) const COLA: ProductId = ProductId(1);
pub(super) const CHIPS: ProductId = ProductId(2);
pub(super) const MILK: ProductId = ProductId(3);
const DRINKS: CategoryId = CategoryId(10);
const SNACKS: CategoryId = CategoryId(20);
const DAIRY: CategoryId = CategoryId(30);

pub(super) fn promo(id: u64, name: &str, scope: Scope, kind: PromotionKind) -> Promotion {
    Promotion {
        id: PromotionId(id),
        name: name.to_owned(),
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

pub(super) fn products(ids: &[ProductId]) -> Scope {
    Scope { products: ids.to_vec(), ..Scope::default() }
}

pub(super) fn everything() -> Scope {
    Scope { all_products: true, ..Scope::default() }
}

pub(super) fn line(index: usize, product: ProductId, category: CategoryId, unit: i64, pieces: i64) -> CartLine {
    CartLine {
        index,
        product,
        category,
        brand: None,
        base_unit: Money(unit),
        member_unit: Money(unit),
        qty: Qty::pieces(pieces),
        discount_eligible: true,
        manual_override: false,
        weighed: false,
    }
}

pub(super) fn cart(lines: Vec<CartLine>) -> PromotionCart {
    PromotionCart {
        branch: BranchId(1),
        at: date(2026, 11, 30).at(10, 0, 0, 0),
        customer: Customer::default(),
        lines,
        coupons: Vec::new(),
    }
}

fn price(promotions: Vec<Promotion>, cart: &PromotionCart) -> PromotionOutcome {
    price_promotions(&PromotionSet { version: 7, promotions }, cart).expect("priced")
}

/// domain.md's promotion set: P1 可乐特价 ¥2.50, P2 薯片第二件半价, P3 满30减5 on everything.
pub(super) fn example_set() -> Vec<Promotion> {
    vec![
        promo(1, "可乐特价 ¥2.50", products(&[COLA]), PromotionKind::FixedPrice { price: Money(250) }),
        promo(2, "薯片第二件半价", products(&[CHIPS]), PromotionKind::NthPercentOff { n: 2, bp: Bp(5000) }),
        promo(
            3,
            "满30减5",
            everything(),
            PromotionKind::Slabs { slabs: vec![Slab { threshold: Money::yuan(30), off: Money::yuan(5) }] },
        ),
    ]
}

/// domain.md's cart: 可乐 ×4 (¥3.00), 薯片 ×2 (¥8.00), 牛奶 ×1 (¥12.00).
pub(super) fn example_cart() -> PromotionCart {
    cart(vec![line(0, COLA, DRINKS, 300, 4), line(1, CHIPS, SNACKS, 800, 2), line(2, MILK, DAIRY, 1200, 1)])
}

fn allocations(o: &PromotionOutcome, pos: usize) -> Vec<(u64, i64)> {
    o.lines[pos].allocations.iter().map(|(id, m)| (id.0, m.0)).collect()
}

#[test]
fn the_worked_example_fen_for_fen() {
    let o = price(example_set(), &example_cart());
    assert_eq!(o.version, 7);
    // Layer 1: 可乐 4 × 2.50 = 10.00, P1 takes 2.00.
    assert_eq!(o.lines[0].unit, Money(250));
    // Layer 2: 薯片 8.00 + 4.00, P2 takes 4.00. Layer 3: P3 takes 1.47 / 1.77 / 1.76.
    assert_eq!(allocations(&o, 0), vec![(1, 200), (3, 147)]);
    assert_eq!(allocations(&o, 1), vec![(2, 400), (3, 177)]);
    assert_eq!(allocations(&o, 2), vec![(3, 176)]);
    let by_promo: Vec<(u64, &str, Layer, i64)> =
        o.promotions.iter().map(|p| (p.id.0, p.name.as_str(), p.layer, p.discount.0)).collect();
    assert_eq!(
        by_promo,
        vec![
            (1, "可乐特价 ¥2.50", Layer::LinePrice, 200),
            (2, "薯片第二件半价", Layer::ItemGroup, 400),
            (3, "满30减5", Layer::Threshold, 500)
        ]
    );
    assert_eq!(o.total_net(), Money::yuan(29));
    assert_eq!(o.total_saving, Money::yuan(11));
    assert!(o.gifts.is_empty());
}

#[test]
fn layer_one_takes_the_lowest_unit_and_never_stacks() {
    let c = cart(vec![line(0, COLA, DRINKS, 300, 2)]);
    let set = vec![
        promo(1, "特价", products(&[COLA]), PromotionKind::FixedPrice { price: Money(260) }),
        promo(2, "直降", products(&[COLA]), PromotionKind::AmountOff { off: Money(50) }),
        promo(3, "九折", products(&[COLA]), PromotionKind::PercentOff { bp: Bp(1000), on_member_price: false }),
    ];
    let o = price(set, &c);
    assert_eq!(o.lines[0].unit, Money(250));
    assert_eq!(allocations(&o, 0), vec![(2, 100)]);
    // Amount off stops at zero.
    let o = price(vec![promo(1, "直降", products(&[COLA]), PromotionKind::AmountOff { off: Money(500) })], &c);
    assert_eq!((o.lines[0].unit, o.lines[0].net), (Money::ZERO, Money::ZERO));
}

#[test]
fn percent_off_rounds_the_new_unit_half_up() {
    // ¥3.33 at 15 % off = 283.05 → ¥2.83; on the member unit ¥3.16: 268.6 → ¥2.69.
    let mut l = line(0, COLA, DRINKS, 333, 3);
    l.member_unit = Money(316);
    let c = cart(vec![l]);
    let pct = |on_member_price| {
        vec![promo(1, "85折", products(&[COLA]), PromotionKind::PercentOff { bp: Bp(1500), on_member_price })]
    };
    assert_eq!(price(pct(false), &c).lines[0].unit, Money(283));
    assert_eq!(price(pct(true), &c).lines[0].unit, Money(269));
    // A promotion unit above the member unit gives nothing.
    let o = price(vec![promo(1, "特价", products(&[COLA]), PromotionKind::FixedPrice { price: Money(320) })], &c);
    assert_eq!(o.lines[0].unit, Money(316));
    assert!(o.promotions.is_empty());
}

#[test]
fn manual_and_not_discount_eligible_lines() {
    let mut manual = line(0, COLA, DRINKS, 300, 1);
    manual.manual_override = true;
    let mut plain = line(1, CHIPS, SNACKS, 800, 1);
    plain.discount_eligible = false;
    let c = cart(vec![manual, plain]);
    let set = vec![
        promo(1, "可乐特价", products(&[COLA]), PromotionKind::FixedPrice { price: Money(100) }),
        promo(2, "零食九折", Scope { categories: vec![SNACKS], ..Scope::default() }, {
            PromotionKind::PercentOff { bp: Bp(1000), on_member_price: false }
        }),
        promo(3, "全场九折", everything(), PromotionKind::ThresholdPercent { threshold: Money(1), bp: Bp(1000) }),
    ];
    let o = price(set.clone(), &c);
    assert_eq!(o.total_saving, Money::ZERO);
    // Naming the product lets a layer-1 promotion reach a line that is not discount-eligible.
    let named = promo(4, "薯片特价", products(&[CHIPS]), PromotionKind::FixedPrice { price: Money(700) });
    let o = price([set, vec![named]].concat(), &c);
    assert_eq!(allocations(&o, 1), vec![(4, 100)]);
    assert!(allocations(&o, 0).is_empty());
}

#[test]
fn buy_n_get_m_frees_the_cheapest_units_of_the_whole_cart() {
    // 买二赠一 on drinks: 3 units at ¥5 (line 0), 2 at ¥3 (line 1), 1 at ¥3 (line 2) → k = 2,
    // the 2 cheapest units are free: line 1's two ¥3 units (earlier than line 2's).
    let drinks = Scope { categories: vec![DRINKS], ..Scope::default() };
    let set = vec![promo(1, "买二赠一", drinks, PromotionKind::BuyNGetMFree { n: 2, m: 1 })];
    let c = cart(vec![
        line(0, COLA, DRINKS, 500, 3),
        line(1, ProductId(5), DRINKS, 300, 2),
        line(2, ProductId(6), DRINKS, 300, 1),
    ]);
    let o = price(set, &c);
    assert_eq!(o.total_saving, Money(600));
    assert_eq!(allocations(&o, 1), vec![(1, 600)]);
    assert!(allocations(&o, 2).is_empty());
}

#[test]
fn n_for_price_spreads_its_saving_by_price_and_never_raises() {
    // 3 for ¥10 over units ¥4, ¥4, ¥4.50: saving 2.50 spread 4/4/4.5 → 80/80/90 (exact 80, 80, 90).
    let scope = products(&[COLA, CHIPS]);
    let set = vec![promo(1, "3件10元", scope.clone(), PromotionKind::NForPrice { n: 3, price: Money(1000) })];
    let c = cart(vec![line(0, COLA, DRINKS, 400, 2), line(1, CHIPS, SNACKS, 450, 1)]);
    let o = price(set, &c);
    assert_eq!((allocations(&o, 0), allocations(&o, 1)), (vec![(1, 160)], vec![(1, 90)]));
    // Units already cheaper than the deal: nothing.
    let set = vec![promo(1, "3件10元", scope, PromotionKind::NForPrice { n: 3, price: Money(1000) })];
    let o = price(set, &cart(vec![line(0, COLA, DRINKS, 300, 3)]));
    assert_eq!(o.total_saving, Money::ZERO);
}

#[test]
fn a_unit_counts_towards_one_layer_two_promotion_and_the_best_combination_wins() {
    // 薯片 ×2 at ¥8: 第二件半价 (saves 4.00) or 买一赠一 (saves 8.00); both want the same units.
    let set = vec![
        promo(1, "第二件半价", products(&[CHIPS]), PromotionKind::NthPercentOff { n: 2, bp: Bp(5000) }),
        promo(2, "买一赠一", products(&[CHIPS]), PromotionKind::BuyNGetMFree { n: 1, m: 1 }),
    ];
    let o = price(set, &cart(vec![line(0, CHIPS, SNACKS, 800, 2)]));
    assert_eq!(allocations(&o, 0), vec![(2, 800)]);
}

#[test]
fn one_promotion_per_group_ties_to_priority_then_id() {
    let c = cart(vec![line(0, MILK, DAIRY, 1200, 3)]);
    let grouped = |id, priority, off| {
        let mut p = promo(
            id,
            "减",
            everything(),
            PromotionKind::Slabs { slabs: vec![Slab { threshold: Money::yuan(30), off: Money(off) }] },
        );
        p.exclusivity_group = Some("店庆".into());
        p.priority = priority;
        p
    };
    // The larger saving wins inside the group.
    let o = price(vec![grouped(1, 9, 300), grouped(2, 0, 500)], &c);
    assert_eq!(o.promotions.iter().map(|p| p.id.0).collect::<Vec<_>>(), vec![2]);
    // Equal savings: the higher priority, then the lower id.
    let o = price(vec![grouped(1, 0, 500), grouped(2, 5, 500)], &c);
    assert_eq!(o.promotions[0].id, PromotionId(2));
    let o = price(vec![grouped(3, 5, 500), grouped(2, 5, 500)], &c);
    assert_eq!(o.promotions[0].id, PromotionId(2));
    // Ungrouped layer-3 promotions add up.
    let mut a = grouped(1, 0, 300);
    a.exclusivity_group = None;
    let mut b = grouped(2, 0, 500);
    b.exclusivity_group = None;
    assert_eq!(price(vec![a, b], &c).total_saving, Money(800));
}

#[test]
fn a_gift_line_is_not_a_discount() {
    let set = vec![promo(
        1,
        "满30赠",
        everything(),
        PromotionKind::Gift { threshold: Money::yuan(30), product: ProductId(99) },
    )];
    let o = price(set.clone(), &example_cart());
    assert_eq!(
        o.gifts,
        vec![GiftLine { promotion: PromotionId(1), product: ProductId(99), qty: Qty::ONE, price: Money::ZERO }]
    );
    assert_eq!(o.total_saving, Money::ZERO);
    assert_eq!(o.promotions.len(), 1);
    let o = price(set, &cart(vec![line(0, COLA, DRINKS, 300, 1)]));
    assert!(o.gifts.is_empty() && o.promotions.is_empty());
}

#[test]
fn limits_branches_audience_and_schedule() {
    let c = example_cart();
    let mut p = promo(1, "买一赠一", products(&[COLA]), PromotionKind::BuyNGetMFree { n: 1, m: 1 });
    p.limits.per_sale = Some(1);
    assert_eq!(price(vec![p.clone()], &c).total_saving, Money(300));
    // Three sales per member: a member with two behind them gets it in full this time (both
    // groups of the four colas), with three behind them not at all; a non-member is not limited.
    p.limits = Limits { per_sale: None, per_member: Some(3) };
    let mut member = c.clone();
    member.customer = Customer { member: true, tier: Some("gold".into()), ..Customer::default() };
    member.customer.used_by_member.insert(PromotionId(1), 2);
    assert_eq!(price(vec![p.clone()], &member).total_saving, Money(600));
    member.customer.used_by_member.insert(PromotionId(1), 3);
    assert_eq!(price(vec![p.clone()], &member).total_saving, Money::ZERO);
    p.limits.per_sale = Some(1);
    member.customer.used_by_member.insert(PromotionId(1), 2);
    assert_eq!(price(vec![p.clone()], &member).total_saving, Money(300), "the per-sale limit still holds");
    member.customer.member = false;
    member.customer.used_by_member.insert(PromotionId(1), 9);
    assert_eq!(price(vec![p.clone()], &member).total_saving, Money(300));
    p.limits.per_sale = None;
    let mut elsewhere = p.clone();
    elsewhere.branches = Branches::Only(vec![BranchId(2)]);
    assert_eq!(price(vec![elsewhere], &c).total_saving, Money::ZERO);
    let mut members_only = p.clone();
    members_only.audience = Audience::Members;
    assert_eq!(price(vec![members_only], &c).total_saving, Money::ZERO);
    let mut over = p;
    over.schedule.to = date(2026, 11, 29);
    assert_eq!(price(vec![over], &c).total_saving, Money::ZERO);
}

#[test]
fn weighed_lines_take_layers_one_and_three_only() {
    let mut beef = line(0, ProductId(7), DAIRY, 6980, 0);
    beef.weighed = true;
    beef.qty = Qty(1532);
    let set = vec![
        promo(1, "牛肉特价", products(&[ProductId(7)]), PromotionKind::FixedPrice { price: Money(5980) }),
        promo(2, "买一赠一", products(&[ProductId(7)]), PromotionKind::BuyNGetMFree { n: 1, m: 1 }),
    ];
    let o = price(set, &cart(vec![beef]));
    // 1.532 kg: 69.80 → 106.93, 59.80 → 91.61.
    assert_eq!((o.lines[0].net_before, o.lines[0].net), (Money(10693), Money(9161)));
    assert_eq!(allocations(&o, 0), vec![(1, 1532)]);
}

#[test]
fn a_threshold_lost_to_a_line_price_is_not_forced_on_the_customer() {
    // 牛奶 ¥30.00 reaches 满30减10; a ¥0.50 直降 would drop it to 29.50: the engine keeps the ¥10.
    let set = vec![
        promo(1, "直降", products(&[MILK]), PromotionKind::AmountOff { off: Money(50) }),
        promo(
            2,
            "满30减10",
            everything(),
            PromotionKind::Slabs { slabs: vec![Slab { threshold: Money::yuan(30), off: Money::yuan(10) }] },
        ),
    ];
    let o = price(set, &cart(vec![line(0, MILK, DAIRY, 3000, 1)]));
    assert_eq!(o.total_saving, Money::yuan(10));
    assert_eq!(allocations(&o, 0), vec![(2, 1000)]);
}

#[test]
fn validation_names_the_field() {
    let ok = promo(1, "ok", everything(), PromotionKind::AmountOff { off: Money(1) });
    assert_eq!(ok.validate(), Ok(()));
    let check = |f: &dyn Fn(&mut Promotion), expected: PromotionError| {
        let mut p = ok.clone();
        f(&mut p);
        assert_eq!(p.validate(), Err(expected));
    };
    check(
        &|p| p.kind = PromotionKind::PercentOff { bp: Bp(10_001), on_member_price: false },
        PromotionError::PercentOutOfRange(Bp(10_001)),
    );
    check(
        &|p| p.kind = PromotionKind::ThresholdPercent { threshold: Money::ZERO, bp: Bp(100) },
        PromotionError::ZeroThreshold { field: "threshold" },
    );
    check(
        &|p| p.schedule.to = date(2025, 12, 31),
        PromotionError::EndBeforeStart { from: date(2026, 1, 1), to: date(2025, 12, 31) },
    );
    check(&|p| p.scope = Scope::default(), PromotionError::EmptyScope);
    check(&|p| p.kind = PromotionKind::BuyNGetMFree { n: 0, m: 1 }, PromotionError::ZeroCount { field: "n" });
    check(&|p| p.kind = PromotionKind::BuyNGetMFree { n: 1, m: 0 }, PromotionError::ZeroCount { field: "m" });
    check(&|p| p.kind = PromotionKind::Slabs { slabs: vec![] }, PromotionError::NoSlabs);
    check(&|p| p.schedule.weekdays = Some(vec![8]), PromotionError::BadWeekday(8));
    check(&|p| p.limits.per_sale = Some(0), PromotionError::ZeroLimit { field: "per_sale" });
    check(&|p| p.name = " ".into(), PromotionError::EmptyName);
}

#[test]
fn a_promotion_set_round_trips_through_json() {
    let set = PromotionSet { version: 3, promotions: example_set() };
    let json = serde_json::to_string(&set).expect("json");
    assert_eq!(serde_json::from_str::<PromotionSet>(&json).expect("parsed"), set);
}

/// Fillers that apply but compete with nothing: layer-1 prices on products of their own, so a cart
/// has more than 12 promotions able to apply and takes the big-cart paths.
fn fillers(from_id: u64, count: u64) -> (Vec<Promotion>, Vec<CartLine>) {
    let promotions = (0..count)
        .map(|i| {
            let product = ProductId(1000 + i as i64);
            promo(from_id + i, "特价", products(&[product]), PromotionKind::FixedPrice { price: Money(90) })
        })
        .collect();
    let lines = (0..count).map(|i| line(100 + i as usize, ProductId(1000 + i as i64), DAIRY, 100, 1)).collect();
    (promotions, lines)
}

#[test]
fn a_big_cart_still_picks_the_best_of_the_competing_promotions() {
    let (mut set, mut lines) = fillers(100, 14);
    set.extend([
        promo(1, "第二件半价", products(&[CHIPS]), PromotionKind::NthPercentOff { n: 2, bp: Bp(5000) }),
        promo(2, "买一赠一", products(&[CHIPS]), PromotionKind::BuyNGetMFree { n: 1, m: 1 }),
    ]);
    lines.insert(0, line(0, CHIPS, SNACKS, 800, 2));
    let o = price(set, &cart(lines));
    assert_eq!(allocations(&o, 0), vec![(2, 800)]);
    assert_eq!(o.total_saving, Money(800 + 14 * 10));
}

#[test]
fn a_big_cart_with_many_competing_sets_searches_them_in_turn() {
    // 7 products, each with two layer-2 promotions wanting its units: 14 competing in 7 sets.
    let (mut set, mut lines) = fillers(100, 2);
    for k in 0..7u64 {
        let product = ProductId(10 + k as i64);
        set.push(promo(
            2 * k + 1,
            "第二件半价",
            products(&[product]),
            PromotionKind::NthPercentOff { n: 2, bp: Bp(5000) },
        ));
        set.push(promo(2 * k + 2, "买一赠一", products(&[product]), PromotionKind::BuyNGetMFree { n: 1, m: 1 }));
        lines.push(line(k as usize, product, SNACKS, 800, 2));
    }
    let o = price(set, &cart(lines));
    assert_eq!(o.total_saving, Money(7 * 800 + 2 * 10));
    assert!(o.promotions.iter().filter(|p| p.layer == Layer::ItemGroup).all(|p| p.id.0 % 2 == 0));
}

#[test]
fn a_big_competing_set_falls_back_to_the_greedy_choice() {
    // 14 layer-2 promotions on the same product: the greedy choice takes the best one first.
    let mut set: Vec<Promotion> = (1..=13)
        .map(|id| {
            promo(id, "第N件", products(&[CHIPS]), PromotionKind::NthPercentOff { n: 2, bp: Bp(100 * id as i64) })
        })
        .collect();
    set.push(promo(14, "买一赠一", products(&[CHIPS]), PromotionKind::BuyNGetMFree { n: 1, m: 1 }));
    let o = price(set, &cart(vec![line(0, CHIPS, SNACKS, 800, 2)]));
    assert_eq!(allocations(&o, 0), vec![(14, 800)]);
}

#[test]
fn a_promotion_not_for_this_cart_is_skipped_on_every_line() {
    let mut elsewhere =
        promo(1, "别店满减", everything(), PromotionKind::ThresholdPercent { threshold: Money(1), bp: Bp(5000) });
    elsewhere.branches = Branches::Only(vec![BranchId(9)]);
    let here = promo(2, "可乐特价", products(&[COLA]), PromotionKind::FixedPrice { price: Money(250) });
    let engine = PromotionEngine::new(PromotionSet { version: 1, promotions: vec![elsewhere, here] });
    let c = example_cart();
    assert_eq!(engine.applicable_count(&c), 1);
    let o = engine.price(&c).expect("priced");
    assert_eq!(o.total_saving, Money(200));
}

#[test]
fn bad_lines_are_refused() {
    let mut l = line(4, COLA, DRINKS, 300, 1);
    l.qty = Qty(0);
    let r = price_promotions(&PromotionSet::default(), &cart(vec![l.clone()]));
    assert_eq!(r, Err(CartError::QtyNotPositive { index: 4 }));
    l.qty = Qty::ONE;
    l.member_unit = Money(-1);
    let r = price_promotions(&PromotionSet::default(), &cart(vec![l]));
    assert_eq!(r, Err(CartError::NegativePrice { index: 4 }));
}

/// A promotion that fails validation (here: 满30减5 with its one slab at ¥0) is left out of the
/// pricing, and the engine says which and why, so the till can log it rather than drop it silently.
#[test]
fn an_invalid_promotion_is_left_out_and_named() {
    let mut set = example_set();
    if let PromotionKind::Slabs { slabs } = &mut set[2].kind {
        slabs[0].threshold = Money::ZERO;
    }
    let engine = PromotionEngine::new(PromotionSet { version: 8, promotions: set });
    assert_eq!(engine.left_out().len(), 1);
    assert_eq!(engine.left_out()[0].0, PromotionId(3));
    assert!(engine.left_out()[0].1.to_string().contains("threshold"), "{}", engine.left_out()[0].1);
    let o = engine.price(&example_cart()).expect("priced");
    assert!(o.promotions.iter().all(|p| p.id != PromotionId(3)), "the invalid promotion took nothing");
    assert_eq!(o.total_saving, Money(600), "P1 ¥2.00 and P2 ¥4.00 still apply");
}
