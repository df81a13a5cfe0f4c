//! A till for tests: a real SQLite file in a temporary directory, seeded as a pull from HQ would
//! seed it, the in-memory HQ for member calls, recording devices and a clock that moves on demand.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use argon2::{Argon2, PasswordHasher};
use jiff::Timestamp;
use jiff::civil::time;
use pos_app::authority::InMemoryAuthority;
use pos_app::clock::ManualClock;
use pos_app::engine::TillIdentity;
use pos_app::peripherals::RecordingDevices;
use pos_app::store::Store;
use pos_app::{Till, TillResult};
use shared::branch::{BranchSettings, CashierLimits};
use shared::catalog::{
    BarcodeRules, Category, CategoryId, MemberCode, Product, ProductId, ProductStatus, with_check_digit,
};
use shared::ids::{BranchId, MemberId, StaffId, TillId};
use shared::member::{CardUid, MemberSnapshot, MemberStatus, Phone};
use shared::money::{Bp, Money};
use shared::policy::MemberPolicy;
use shared::pricing::CashRounding;
use shared::receipt::PaperWidth;
use shared::shift::{CashCount, Denomination};
use shared::staff::{StaffMember, StaffRole};
use shared::stored_value::StoredValue;
use shared::sync::{BranchPrice, Change};

pub const CASHIER: &str = "1001";
pub const CASHIER_PIN: &str = "1234";
pub const CASHIER2: &str = "1002";
pub const MANAGER: &str = "9001";
pub const MANAGER_PIN: &str = "9999";

/// Cola: EAN-13 6901234567892, ¥3.50, member price ¥3.00.
pub const COLA: &str = "6901234567892";
/// Chips: ¥7.90, no member price.
pub const CHIPS: &str = "6920000000012";
/// Oil: ¥69.90, member price ¥59.90, 9% VAT.
pub const OIL: &str = "6930000000011";
/// Cigarettes: ¥25.00, neither discountable nor earning points.
pub const CIGS: &str = "6940000000010";
/// Apples: weighed, PLU 01234, ¥12.80/kg.
pub const APPLE_PLU: u32 = 1234;

fn hash(pin: &str) -> String {
    static CACHE: OnceLock<std::sync::Mutex<std::collections::HashMap<String, String>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let mut cache = cache.lock().expect("cache lock");
    cache
        .entry(pin.to_owned())
        .or_insert_with(|| Argon2::default().hash_password(pin.as_bytes()).expect("hash").to_string())
        .clone()
}

pub fn ean(body: &str) -> String {
    with_check_digit(body).expect("digits")
}

fn product(id: i64, barcode: &str, name: &str, unit: &str, price: i64, member: Option<i64>, vat: i64) -> Product {
    Product {
        brand: None,
        id: ProductId(id),
        code: format!("P{id:05}"),
        barcodes: vec![barcode.to_owned()],
        name: name.to_owned(),
        short_name: String::new(),
        category: CategoryId(1),
        unit: unit.to_owned(),
        retail_price: Money(price),
        member_price: member.map(Money),
        vat: Bp(vat),
        points_eligible: true,
        discount_eligible: true,
        weighed: false,
        plu: None,
        status: ProductStatus::Active,
    }
}

pub fn branch() -> BranchSettings {
    BranchSettings {
        id: BranchId(1),
        code: "B001".into(),
        name: "人民路店".into(),
        address: "上海市黄浦区人民路100号".into(),
        phone: "021-12345678".into(),
        opening_hours: String::new(),
        receipt_header: vec![],
        receipt_footer: vec!["谢谢惠顾".into()],
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
    }
}

/// Everything a first pull gives a till of branch B001.
pub fn seed_changes() -> Vec<Change> {
    let staff = |id: i64, login: &str, name: &str, role: StaffRole, pin: &str| {
        Change::Staff(StaffMember {
            id: StaffId(id),
            branch: BranchId(1),
            login: login.into(),
            name: name.into(),
            role,
            pin_hash: hash(pin),
            active: true,
        })
    };
    let mut apples = product(5, &ean("200000000000"), "红富士苹果", "kg", 1280, None, 900);
    apples.barcodes.clear();
    apples.weighed = true;
    apples.plu = Some(APPLE_PLU);
    let mut cigs = product(4, CIGS, "中华香烟", "包", 2500, None, 1300);
    cigs.points_eligible = false;
    cigs.discount_eligible = false;
    let mut old = product(6, &ean("695000000001"), "旧款饼干", "盒", 500, None, 1300);
    old.status = ProductStatus::Delisted;
    vec![
        Change::Branch(branch()),
        staff(1, CASHIER, "张三", StaffRole::Cashier, CASHIER_PIN),
        staff(2, CASHIER2, "李四", StaffRole::Cashier, CASHIER_PIN),
        staff(9, MANAGER, "王经理", StaffRole::Manager, MANAGER_PIN),
        Change::Category(Category { id: CategoryId(1), code: "FOOD".into(), name: "食品".into(), parent: None }),
        Change::Product(product(1, COLA, "可口可乐 330ml", "瓶", 350, Some(300), 1300)),
        Change::Product(product(2, CHIPS, "乐事薯片 原味 75g", "袋", 790, None, 1300)),
        Change::Product(product(3, OIL, "金龙鱼 食用调和油 5L", "桶", 6990, Some(5990), 900)),
        Change::Product(cigs),
        Change::Product(apples),
        Change::Product(old),
        Change::BranchPrice(BranchPrice { product: ProductId(2), price: Some(Money(750)), member_price: None }),
        Change::Policy(MemberPolicy::initial(Timestamp::UNIX_EPOCH)),
    ]
}

/// A gold member with 5,000 points and ¥200 + ¥20 of stored value.
pub fn gold_member() -> MemberSnapshot {
    MemberSnapshot {
        id: MemberId::new(),
        code: MemberCode::parse("0000012345").expect("digits"),
        phone: Some(Phone::parse("13812345678").expect("phone")),
        name: "陈小姐".into(),
        birthday: None,
        tier: "gold".into(),
        status: MemberStatus::Active,
        home_branch: Some(BranchId(1)),
        card_uids: vec![CardUid::parse("04A1B2C3").expect("uid")],
        points: 5_000,
        stored_value: StoredValue { principal: Money(20_000), bonus: Money(2_000) },
        offline_points_cap: 0,
        offline_stored_value_cap: Money::ZERO,
        code_secret: None,
    }
}

pub struct TestTill {
    pub dir: tempfile::TempDir,
    pub till: Till,
    pub hq: InMemoryAuthority,
    pub devices: RecordingDevices,
    pub clock: ManualClock,
    pub member: MemberSnapshot,
}

/// 2026-11-23 10:00 in Shanghai.
pub fn morning() -> Timestamp {
    "2026-11-23T02:00:00Z".parse().expect("timestamp")
}

pub fn db_path(dir: &Path) -> PathBuf {
    dir.join("till.sqlite")
}

/// Creates and seeds a till database at `path`.
pub fn seed(path: &Path) {
    let mut store = Store::open(path).expect("open store");
    TillIdentity { till: TillId(11), number: 1, branch_code: "B001".into() }.save(&mut store).expect("identity");
    store.apply_changes(&seed_changes()).expect("seed");
}

impl TestTill {
    pub fn new() -> TestTill {
        let dir = tempfile::tempdir().expect("temp dir");
        seed(&db_path(dir.path()));
        let hq = InMemoryAuthority::new();
        let member = gold_member();
        hq.add_member(member.clone());
        let devices = RecordingDevices::default();
        let clock = ManualClock::new(morning());
        let till = open(dir.path(), &hq, &devices, &clock);
        TestTill { dir, till, hq, devices, clock, member }
    }

    /// Stops the till (as a restart would) and opens it again over the same database.
    pub fn restart(&mut self) {
        self.till = open(self.dir.path(), &self.hq, &self.devices, &self.clock);
    }

    pub fn store(&self) -> Store {
        Store::open(db_path(self.dir.path())).expect("second connection")
    }

    /// Logged in as the cashier with a shift open on a ¥500 float.
    pub fn ready() -> TestTill {
        let mut t = TestTill::new();
        t.till.login(CASHIER, CASHIER_PIN).expect("login");
        t.till.open_shift(float()).expect("open shift");
        t
    }

    pub fn approve(&mut self, action: shared::staff::ApprovalAction) -> pos_app::engine::Approval {
        self.till.approve(action, MANAGER, MANAGER_PIN).expect("manager approves")
    }
}

pub fn open(dir: &Path, hq: &InMemoryAuthority, devices: &RecordingDevices, clock: &ManualClock) -> Till {
    let store = Store::open(db_path(dir)).expect("open store");
    Till::open(store, Box::new(clock.clone()), Box::new(hq.clone()), Box::new(devices.clone())).expect("open till")
}

/// A ¥500 float: 4 × ¥100, 1 × ¥50, 2 × ¥20, 1 × ¥10.
pub fn float() -> CashCount {
    CashCount::new([
        (Denomination::Yuan100, 4),
        (Denomination::Yuan50, 1),
        (Denomination::Yuan20, 2),
        (Denomination::Yuan10, 1),
    ])
}

/// What the database holds, to show a refused call changed nothing.
#[derive(Debug, PartialEq, Eq)]
pub struct Footprint {
    pub sales: i64,
    pub refunds: i64,
    pub outbox: i64,
    pub movements: i64,
    pub shifts: i64,
    pub audit: i64,
    pub cart: Option<String>,
    pub sequences: Vec<(String, i64)>,
}

pub fn footprint(store: &Store) -> Footprint {
    let c = |t: &str| store.count_rows(t).expect("count");
    Footprint {
        sales: c("sales"),
        refunds: c("refunds"),
        outbox: c("outbox"),
        movements: c("cash_movements"),
        shifts: c("shifts"),
        audit: c("audit"),
        cart: store.cart_json().expect("cart"),
        sequences: store.sequences().expect("sequences"),
    }
}

pub fn ok<T>(r: TillResult<T>) -> T {
    match r {
        Ok(v) => v,
        Err(e) => panic!("till refused: {e}"),
    }
}
