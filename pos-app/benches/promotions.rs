//! The till's promotions figures: `cargo bench -p pos-app --bench promotions`.
//!
//! A till with 5,000 products pulls a set of 10,000 active promotions (mostly single products, some
//! categories, a few whole-store ones; layer 1, 2 and 3 kinds mixed), about a tenth of them naming
//! the products a cart is made of. Measured:
//! - applying the 10,000 pulled promotions (pages of 500 through `Store::apply_pull_page`, as the
//!   sync task does) and building the engine from the stored set (what the first sale after a pull
//!   pays once);
//! - adding the 51st line to a 50-line cart through `Till::scan` (classify, look up, price the whole
//!   cart through the engine, save the cart), and `Till::view` of it (price again, with the hint);
//!   the line is taken off again after each scan. Target (issue 18): p99 < 1 ms.

use std::time::{Duration, Instant};

use argon2::{Argon2, PasswordHasher};
use hdrhistogram::Histogram;
use jiff::Timestamp;
use jiff::civil::{date, time};
use pos_app::Till;
use pos_app::authority::Offline;
use pos_app::clock::SystemClock;
use pos_app::engine::{ScanOutcome, TillIdentity};
use pos_app::peripherals::NoDevices;
use pos_app::store::Store;
use shared::branch::{BranchSettings, CashierLimits};
use shared::catalog::{BarcodeRules, CategoryId, Product, ProductId, ProductStatus, with_check_digit};
use shared::ids::{BranchId, StaffId, TillId};
use shared::money::{Bp, Money};
use shared::policy::MemberPolicy;
use shared::pricing::CashRounding;
use shared::promotions::{Audience, Branches, Limits, Promotion, PromotionId, PromotionKind, Schedule, Scope, Slab};
use shared::receipt::PaperWidth;
use shared::shift::{CashCount, Denomination};
use shared::staff::{StaffMember, StaffRole};
use shared::sync::{Change, ChangeEnvelope, PromotionChange, PullResponse};

const PRODUCTS: i64 = 5_000;
const CATEGORIES: i64 = 200;
const PROMOTIONS: u64 = 10_000;
const PAGE: usize = 500;
const CART_LINES: i64 = 50;
const RUNS: usize = 2_000;

/// A small deterministic generator: the same set every run.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: i64) -> i64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) % n.unsigned_abs()) as i64
    }
}

fn ean(n: i64) -> String {
    with_check_digit(&format!("69{n:010}")).expect("digits")
}

fn product(i: i64) -> Product {
    Product {
        brand: None,
        id: ProductId(i),
        code: format!("P{i:05}"),
        barcodes: vec![ean(i)],
        name: format!("商品{i}"),
        short_name: String::new(),
        category: CategoryId(1 + i % CATEGORIES),
        unit: "件".into(),
        retail_price: Money(300 + (i * 37) % 5_000),
        member_price: None,
        vat: Bp(1300),
        points_eligible: true,
        discount_eligible: true,
        weighed: false,
        plu: None,
        status: ProductStatus::Active,
    }
}

fn kind(rng: &mut Lcg) -> PromotionKind {
    match rng.below(10) {
        0..=3 => PromotionKind::FixedPrice { price: Money(100 + rng.below(900)) },
        4 => PromotionKind::AmountOff { off: Money(10 + rng.below(100)) },
        5 => PromotionKind::PercentOff { bp: Bp(500 + rng.below(2000)), on_member_price: false },
        6 => PromotionKind::BuyNGetMFree { n: 2, m: 1 },
        7 => PromotionKind::NthPercentOff { n: 2, bp: Bp(5000) },
        8 => PromotionKind::NForPrice { n: 3, price: Money(1000 + rng.below(1000)) },
        _ => PromotionKind::Slabs {
            slabs: vec![
                Slab { threshold: Money(5000 + rng.below(5000)), off: Money(500) },
                Slab { threshold: Money(20_000 + rng.below(10_000)), off: Money(3000) },
            ],
        },
    }
}

/// 10,000 promotions; about a tenth name the cart's products (1..=50) or their categories.
fn promotion(id: u64, rng: &mut Lcg) -> Promotion {
    let for_cart = rng.below(10) == 0;
    let kind = kind(rng);
    let scope = match (rng.below(20), for_cart) {
        (0, _) if id.is_multiple_of(500) => Scope { all_products: true, ..Scope::default() },
        (1..=2, true) => {
            Scope { categories: vec![CategoryId(1 + (1 + rng.below(CART_LINES)) % CATEGORIES)], ..Scope::default() }
        }
        (1..=2, false) => Scope { categories: vec![CategoryId(1 + rng.below(CATEGORIES))], ..Scope::default() },
        (_, true) => Scope { products: vec![ProductId(1 + rng.below(CART_LINES))], ..Scope::default() },
        (_, false) => {
            Scope { products: vec![ProductId(CART_LINES + 1 + rng.below(PRODUCTS - CART_LINES))], ..Scope::default() }
        }
    };
    Promotion {
        id: PromotionId(id),
        name: format!("促销{id}"),
        branches: Branches::All,
        schedule: Schedule { from: date(2020, 1, 1), to: date(2099, 12, 31), weekdays: None, time_window: None },
        audience: Audience::Everyone,
        scope,
        kind,
        exclusivity_group: (rng.below(4) == 0).then(|| format!("g{}", rng.below(50))),
        priority: rng.below(5) as i32,
        limits: Limits::default(),
        threshold_clawback: false,
    }
}

fn seed(store: &mut Store) {
    TillIdentity { till: TillId(1), number: 1, branch_code: "B001".into() }.save(store).expect("identity");
    let pin_hash = Argon2::default().hash_password(b"1234").expect("hash").to_string();
    let mut changes = vec![
        Change::Branch(BranchSettings {
            id: BranchId(1),
            code: "B001".into(),
            name: "基准测试店".into(),
            address: String::new(),
            phone: String::new(),
            opening_hours: String::new(),
            receipt_header: vec![],
            receipt_footer: vec![],
            cash_rounding: CashRounding::DownToJiao,
            business_day_cutoff: time(4, 0, 0, 0),
            time_zone: "Asia/Shanghai".into(),
            barcode_rules: BarcodeRules::default(),
            cashier_limits: CashierLimits::default(),
            pin_lockout_minutes: 15,
            paper: PaperWidth::Mm80,
            no_receipt_refund_cap: shared::branch::default_no_receipt_refund_cap(),
            quick_keys: Vec::new(),
            closed_on: None,
        }),
        Change::Staff(StaffMember {
            id: StaffId(1),
            branch: BranchId(1),
            login: "1001".into(),
            name: "基准".into(),
            role: StaffRole::Cashier,
            pin_hash,
            active: true,
        }),
        Change::Policy(MemberPolicy::initial(Timestamp::UNIX_EPOCH)),
    ];
    changes.extend((1..=PRODUCTS).map(|i| Change::Product(product(i))));
    store.apply_changes(&changes).expect("seed");
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn report(what: &str, h: &Histogram<u64>) {
    let ms = |nanos: u64| nanos as f64 / 1e6;
    println!(
        "{what} ({} runs): p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms",
        h.len(),
        ms(h.value_at_quantile(0.5)),
        ms(h.value_at_quantile(0.99)),
        ms(h.max())
    );
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs us too: keep that quick.
    let full = std::env::args().any(|a| a == "--bench");
    let runs = if full { RUNS } else { 20 };
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("till.sqlite");
    let mut store = Store::open(&path).expect("create");
    seed(&mut store);

    // The pull: 10,000 promotions in pages, then the engine built from the stored set.
    let mut rng = Lcg(18);
    let changes: Vec<ChangeEnvelope> = (1..=PROMOTIONS)
        .map(|id| ChangeEnvelope {
            seq: id,
            change: Change::Promotion(PromotionChange {
                version: id,
                id: PromotionId(id),
                promotion: Some(promotion(id, &mut rng)),
            }),
        })
        .collect();
    let started = Instant::now();
    for page in changes.chunks(PAGE) {
        let next_cursor = page.last().map_or(0, |c| c.seq);
        let response = PullResponse {
            changes: page.to_vec(),
            next_cursor,
            has_more: next_cursor < PROMOTIONS,
            latest: PROMOTIONS,
        };
        store.apply_pull_page(&response).expect("page");
    }
    let applied = started.elapsed();
    let started = Instant::now();
    let set = store.promotion_set().expect("set");
    let engine = shared::promotions::PromotionEngine::new(set);
    let built = started.elapsed();
    assert_eq!(engine.set().promotions.len(), PROMOTIONS as usize);
    println!(
        "pull {PROMOTIONS} promotions into the till ({} pages of {PAGE}, JSON already decoded): {:.0} ms; engine from the stored set: {:.0} ms",
        changes.len().div_ceil(PAGE),
        ms(applied),
        ms(built)
    );
    let cart = shared::promotions::PromotionCart {
        branch: BranchId(1),
        at: date(2026, 11, 30).at(10, 0, 0, 0),
        customer: shared::promotions::Customer::default(),
        lines: (1..=CART_LINES)
            .map(|i| {
                let p = product(i);
                shared::promotions::CartLine {
                    index: i as usize - 1,
                    product: p.id,
                    category: p.category,
                    brand: None,
                    base_unit: p.retail_price,
                    member_unit: p.retail_price,
                    qty: shared::money::Qty::ONE,
                    discount_eligible: true,
                    manual_override: false,
                    weighed: false,
                }
            })
            .collect(),
        coupons: Vec::new(),
    };
    let applicable = engine.applicable_count(&cart);
    drop(engine);
    drop(store);

    let store = Store::open(&path).expect("open");
    let mut till = Till::open(store, Box::new(SystemClock), Box::new(Offline), Box::new(NoDevices)).expect("till");
    till.login("1001", "1234").expect("login");
    till.open_shift(CashCount::new([(Denomination::Yuan100, 5)])).expect("shift");
    for i in 1..=CART_LINES {
        till.scan(&ean(i)).expect("line");
    }
    let view = till.view().expect("view").expect("a cart");
    println!(
        "the 50-line cart: {applicable} promotions of the set can touch it, {} applied, {} off",
        view.promotions.as_ref().map_or(0, |p| p.applied.len()),
        view.totals.promotion_discounts,
    );
    let mut scan = Histogram::<u64>::new(3).expect("histogram");
    let mut shown = Histogram::<u64>::new(3).expect("histogram");
    for run in 0..runs {
        let code = ean(CART_LINES + 1 + (run as i64 % 500));
        let t = Instant::now();
        let added = till.scan(&code).expect("scan");
        scan.record(t.elapsed().as_nanos() as u64).expect("record");
        let t = Instant::now();
        let v = till.view().expect("view").expect("a cart");
        shown.record(t.elapsed().as_nanos() as u64).expect("record");
        assert_eq!(
            v.lines.len() as i64,
            CART_LINES + 1 + v.lines.iter().filter(|l| l.gift_of.is_some()).count() as i64
        );
        let ScanOutcome::Added { line } = added else { panic!("{added:?}") };
        till.remove_line(line).expect("off again");
    }
    report("scan the 51st line into a 50-line cart (Till::scan: look up, price through the engine, save)", &scan);
    report("show it (Till::view: price again, with the threshold hint)", &shown);
}
