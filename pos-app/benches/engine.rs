//! The till engine's performance figures: `cargo bench -p pos-app --bench engine`.
//!
//! - a catalog of 1,000,000 products with 1,200,000 barcodes: time from opening the database to the
//!   first line on the sale through `Till::scan`, PIN login included (warm and, where the machine
//!   allows dropping the page cache, cold; the output says when the cold figure is missing), barcode
//!   lookup latency, name search latency for the first 20 matches, resident memory;
//! - completing a 10-line sale with one tender (durable, with its outbox event) against one
//!   fsync'd single-row SQLite transaction on the same disk, measured in the same run.
//!
//! The generated catalog is kept in the target directory and reused by later runs.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use argon2::{Argon2, PasswordHasher};
use hdrhistogram::Histogram;
use jiff::Timestamp;
use jiff::civil::time;
use pos_app::Till;
use pos_app::authority::Offline;
use pos_app::clock::SystemClock;
use pos_app::engine::TillIdentity;
use pos_app::peripherals::NoDevices;
use pos_app::store::Store;
use rand::RngExt;
use shared::branch::{BranchSettings, CashierLimits};
use shared::catalog::{BarcodeRules, CategoryId, Product, ProductId, ProductStatus, with_check_digit};
use shared::ids::{BranchId, StaffId, TillId};
use shared::money::{Bp, Money};
use shared::policy::MemberPolicy;
use shared::pricing::CashRounding;
use shared::receipt::PaperWidth;
use shared::shift::{CashCount, Denomination};
use shared::staff::{StaffMember, StaffRole};
use shared::sync::Change;

const PRODUCTS: i64 = 1_000_000;
/// Every fifth product has a second barcode: 1,200,000 in all.
const SECOND_BARCODE_EVERY: i64 = 5;
const CATALOG_FILE: &str = "till-catalog-1m-v3.sqlite";

const BRANDS: &[&str] = &[
    "康师傅",
    "统一",
    "伊利",
    "蒙牛",
    "农夫山泉",
    "可口可乐",
    "百事",
    "旺旺",
    "达利园",
    "徐福记",
    "金龙鱼",
    "海天",
    "李锦记",
    "双汇",
    "雀巢",
    "乐事",
    "奥利奥",
    "德芙",
    "好丽友",
    "三只松鼠",
    "良品铺子",
    "洽洽",
    "王老吉",
    "加多宝",
    "娃哈哈",
    "光明",
    "五粮液",
    "青岛",
    "雪花",
    "燕京",
    "立白",
    "蓝月亮",
    "舒肤佳",
    "海飞丝",
    "高露洁",
    "云南白药",
];
const ITEMS: &[&str] = &[
    "红烧牛肉面",
    "冰红茶",
    "纯牛奶",
    "酸奶",
    "矿泉水",
    "薯片",
    "饼干",
    "火腿肠",
    "巧克力",
    "洗发水",
    "牙膏",
    "洗衣液",
    "酱油",
    "食用油",
    "大米",
    "面粉",
    "啤酒",
    "白酒",
    "绿茶",
    "果汁",
    "咖啡",
    "方便面",
    "瓜子",
    "蛋糕",
    "面包",
    "香皂",
    "纸巾",
    "糖果",
    "坚果",
    "饮用水",
    "凉茶",
    "奶粉",
    "醋",
    "料酒",
    "挂面",
    "饺子",
];
const SPECS: &[&str] = &["330ml", "500ml", "1L", "1.5L", "75g", "150g", "250g", "500g", "1kg", "5L", "6连包", "12瓶装"];

fn ean(n: i64, prefix: &str) -> String {
    with_check_digit(&format!("{prefix}{n:010}")).expect("digits")
}

fn product(i: i64) -> Product {
    let b = BRANDS[(i as usize * 7) % BRANDS.len()];
    let it = ITEMS[(i as usize / 3) % ITEMS.len()];
    let spec = SPECS[(i as usize / 11) % SPECS.len()];
    let mut barcodes = vec![ean(i, "69")];
    if i % SECOND_BARCODE_EVERY == 0 {
        barcodes.push(ean(i, "68"));
    }
    Product {
        brand: None,
        id: ProductId(i),
        code: format!("P{i:07}"),
        barcodes,
        name: format!("{b}{it} {spec} {}号", i % 997),
        short_name: String::new(),
        category: CategoryId(1 + i % 40),
        unit: "件".into(),
        retail_price: Money(100 + (i * 37) % 20_000),
        member_price: (i % 4 == 0).then(|| Money(90 + (i * 37) % 18_000)),
        vat: Bp(if i % 3 == 0 { 900 } else { 1300 }),
        points_eligible: i % 10 != 0,
        discount_eligible: true,
        weighed: false,
        plu: None,
        status: ProductStatus::Active,
    }
}

fn branch() -> BranchSettings {
    BranchSettings {
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
    }
}

fn seed_till(store: &mut Store) {
    TillIdentity { till: TillId(1), number: 1, branch_code: "B001".into() }.save(store).expect("identity");
    let pin_hash = Argon2::default().hash_password(b"1234").expect("hash").to_string();
    store
        .apply_changes(&[
            Change::Branch(branch()),
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
        ])
        .expect("seed");
}

fn catalog_db(dir: &Path) -> PathBuf {
    let path = dir.join(CATALOG_FILE);
    if path.exists() {
        return path;
    }
    let partial = dir.join(format!("{CATALOG_FILE}.partial"));
    let _ = std::fs::remove_file(&partial);
    let mut store = Store::open(&partial).expect("create catalog");
    seed_till(&mut store);
    let started = Instant::now();
    let chunk = 20_000;
    for start in (1..=PRODUCTS).step_by(chunk) {
        let changes: Vec<Change> =
            (start..(start + chunk as i64).min(PRODUCTS + 1)).map(|i| Change::Product(product(i))).collect();
        store.apply_changes(&changes).expect("products");
        eprint!("\r  generating the catalog: {} / {PRODUCTS}", start - 1 + changes.len() as i64);
    }
    eprintln!(" ({:.0?})", started.elapsed());
    drop(store);
    std::fs::rename(&partial, &path).expect("keep catalog");
    path
}

fn drop_page_cache() -> bool {
    std::process::Command::new("sync").status().is_ok_and(|s| s.success())
        && std::fs::write("/proc/sys/vm/drop_caches", "1").is_ok()
}

fn open_till(path: &Path) -> Till {
    let store = Store::open(path).expect("open");
    Till::open(store, Box::new(SystemClock), Box::new(Offline), Box::new(NoDevices)).expect("till")
}

/// From nothing to the first line on the sale: open the database and the engine, the cashier's
/// PIN (argon2id), the shift (open already, as after a restart mid-shift), and the first barcode
/// scanned through `Till::scan` (classify, look up, price the cart, save it). Returns the whole and
/// the part that is the PIN check, which is argon2's cost by design. The line is taken off after.
fn time_to_ready(path: &Path) -> (Duration, Duration) {
    let started = Instant::now();
    let mut till = open_till(path);
    let login = Instant::now();
    till.login("1001", "1234").expect("login");
    let login = login.elapsed();
    assert!(till.current_shift().expect("shift").is_some(), "a shift is open");
    let added = till.scan(&ean(777_777, "69")).expect("scan");
    assert!(matches!(added, pos_app::engine::ScanOutcome::Added { .. }), "{added:?}");
    let took = started.elapsed();
    let pos_app::engine::ScanOutcome::Added { line } = added else { unreachable!() };
    till.remove_line(line).expect("take the line off again");
    (took, login)
}

/// Leaves a shift open in the catalog database, as a till restarted mid-shift has one.
fn open_a_shift(path: &Path) {
    let mut till = open_till(path);
    till.login("1001", "1234").expect("login");
    if till.current_shift().expect("shift").is_none() {
        till.open_shift(CashCount::new([(Denomination::Yuan100, 5)])).expect("shift");
    }
}

fn rss_kb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

fn micros(h: &Histogram<u64>, q: f64) -> f64 {
    h.value_at_quantile(q) as f64 / 1000.0
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs us too: keep that quick.
    if !std::env::args().any(|a| a == "--bench") {
        println!("engine bench: run with `cargo bench -p pos-app --bench engine`");
        return;
    }
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    std::fs::create_dir_all(&dir).expect("bench dir");
    // `-- --bench shift` runs only the shift close (no catalog to build).
    if std::env::args().any(|a| a == "shift") {
        shift_close(&dir);
        return;
    }
    let path = catalog_db(&dir);
    let mut rng = rand::rng();

    println!(
        "== till engine, catalog of {PRODUCTS} products / {} barcodes",
        PRODUCTS + PRODUCTS / SECOND_BARCODE_EVERY
    );
    open_a_shift(&path);
    let cold = if drop_page_cache() { Some(time_to_ready(&path)) } else { None };
    let warm: Vec<(Duration, Duration)> = (0..5).map(|_| time_to_ready(&path)).collect();
    let (warm_max, login_max) = warm.iter().copied().max().unwrap_or_default();
    let what = "ready to sell (open, PIN login, first barcode through Till::scan)";
    match cold {
        Some((c, l)) => println!(
            "{what}: cold page cache {c:.1?} (of which PIN check {l:.1?}), warm max of 5 {warm_max:.1?} (PIN check {login_max:.1?})"
        ),
        None => println!(
            "{what}: warm max of 5 {warm_max:.1?} (PIN check {login_max:.1?}); NO COLD FIGURE: the page cache could not be dropped (needs root and a writable /proc/sys/vm/drop_caches)"
        ),
    }

    let till = open_till(&path);
    let store = till.store();
    let codes: Vec<String> = (0..100_000)
        .map(|_| {
            let i = rng.random_range(1..=PRODUCTS);
            if i % SECOND_BARCODE_EVERY == 0 && rng.random_bool(0.5) { ean(i, "68") } else { ean(i, "69") }
        })
        .collect();
    // The first pass right after start reads pages from disk; the second is the till in service.
    for pass in ["just after start", "in service"] {
        let mut lookups = Histogram::<u64>::new(3).expect("histogram");
        for code in &codes {
            let t = Instant::now();
            let p = store.product_by_barcode(code).expect("lookup");
            lookups.record(t.elapsed().as_nanos() as u64).expect("record");
            assert!(p.is_some(), "{code}");
        }
        println!(
            "barcode lookup, {} random, {pass}: p50 {:.1} µs, p99 {:.1} µs, max {:.1} µs",
            codes.len(),
            micros(&lookups, 0.5),
            micros(&lookups, 0.99),
            lookups.max() as f64 / 1000.0
        );
    }

    if std::env::var("ENGINE_BENCH_ONLY").as_deref() == Ok("lookups") {
        return;
    }
    let mut queries: Vec<String> = Vec::new();
    for _ in 0..300 {
        let name = product(rng.random_range(1..=PRODUCTS)).name;
        let chars: Vec<char> = name.chars().collect();
        let at = rng.random_range(0..chars.len().saturating_sub(2).max(1));
        queries.push(chars[at..(at + 2).min(chars.len())].iter().collect());
    }
    queries.extend(["ksf", "kkkl", "nfsq", "hsnrm", "bhc"].iter().map(|s| s.to_string()));
    for _ in 0..100 {
        queries.push(format!("P{:04}", rng.random_range(0..10_000)));
    }
    queries.extend(["可乐", "牛奶", "洗发", "方便面", "薯片 75g", "6900000"].iter().map(|s| s.to_string()));
    let mut searches = Histogram::<u64>::new(3).expect("histogram");
    let mut empty = 0;
    let mut slowest: Vec<(Duration, &str)> = Vec::new();
    for q in &queries {
        let t = Instant::now();
        let hits = store.search_products(q, 20).expect("search");
        let took = t.elapsed();
        searches.record(took.as_nanos() as u64).expect("record");
        slowest.push((took, q));
        if hits.is_empty() {
            empty += 1;
        }
    }
    slowest.sort();
    let worst: Vec<String> = slowest.iter().rev().take(5).map(|(d, q)| format!("{q:?} {d:.1?}")).collect();
    println!(
        "name search, first 20 matches ({} queries: Chinese, pinyin initials, codes; {empty} empty): p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        queries.len(),
        micros(&searches, 0.5) / 1000.0,
        micros(&searches, 0.99) / 1000.0,
        searches.max() as f64 / 1_000_000.0
    );
    println!("slowest searches: {}", worst.join(", "));
    println!("resident memory after the lookups: {} MB (peak {} MB)", rss_kb("VmRSS:") / 1024, rss_kb("VmHWM:") / 1024);
    drop(till);

    sale_completion(&dir);
    shift_close(&dir);
    scan_to_line(&path);
}

/// From a scanner's frame arriving on the serial port to the sale state holding the new line, as
/// the app gets it: the frame is written whole to a pseudo-terminal (the serial port), the real
/// driver reads and parses it, the engine thread (`ui::worker`) adds the line and answers with the
/// new snapshot. Against the 1,000,000-product catalog; a sale is completed every 20 lines, outside
/// the timing. (The wire time of the frame itself, 14 bytes = 14.6 ms at 9600 baud, comes before.)
fn scan_to_line(catalog: &Path) {
    use std::io::Write;

    use device_drivers::config::SerialSettings;
    use device_drivers::scanner::{Scanner, ScannerConfig, ScannerEvent};
    use pos_app::ui::worker::{Command, Engine};
    use serialport::SerialPort;

    let copy = catalog.with_file_name("till-scan-bench.sqlite");
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", copy.display()));
    }
    std::fs::copy(catalog, &copy).expect("copy the catalog");
    let mut till = open_till(&copy);
    till.login("1001", "1234").expect("login");
    if till.current_shift().expect("shift").is_none() {
        till.open_shift(CashCount::new([(Denomination::Yuan100, 5)])).expect("shift");
    }
    let (mut port, slave) = serialport::TTYPort::pair().expect("pseudo-terminal");
    let name = slave.name().expect("pty name");
    let (_scanner, mut scans) =
        Scanner::open(ScannerConfig { port: SerialSettings::new(name), ..ScannerConfig::default() });
    while !matches!(scans.blocking_recv(), Some(ScannerEvent::Connected { .. })) {}
    let (engine, mut replies) = Engine::spawn(till);
    let mut next_scan = || loop {
        match scans.blocking_recv().expect("scanner events") {
            ScannerEvent::Scan(s) => return s.code,
            ScannerEvent::Misread(m) => panic!("misread {m:?}"),
            _ => {}
        }
    };
    let mut rng = rand::rng();
    let rounds = 3_000;
    let mut h = Histogram::<u64>::new(3).expect("histogram");
    for n in 0..rounds {
        let code = ean(rng.random_range(1..=PRODUCTS), "69");
        let t = Instant::now();
        port.write_all(format!("{code}\r").as_bytes()).expect("frame");
        let read = next_scan();
        engine.send(Command::Scan(read));
        let reply = replies.blocking_recv().expect("reply");
        let elapsed = t.elapsed();
        assert!(reply.result.is_ok(), "{:?}", reply.result);
        assert!(reply.snapshot.cart.as_ref().is_some_and(|c| !c.lines.is_empty()));
        if n > 50 {
            h.record(elapsed.as_nanos() as u64).expect("record");
        }
        if reply.snapshot.cart.as_ref().is_some_and(|c| c.lines.len() >= 20) {
            engine.send(Command::Pay(pos_app::engine::Payment::Cash(Money(100_000_000))));
            let r = replies.blocking_recv().expect("reply");
            assert!(r.result.is_ok(), "{:?}", r.result);
        }
    }
    println!(
        "scanner frame on the port -> sale state with the line ({} scans): p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms",
        h.len(),
        micros(&h, 0.5) / 1000.0,
        micros(&h, 0.99) / 1000.0,
        h.max() as f64 / 1_000_000.0
    );
    drop(slave);
}

/// A 10-line sale with one cash tender, completed durably, against one fsync'd single-row
/// transaction on the same disk; interleaved so both see the same machine.
/// The X report and the blind close with the Z report of a shift of 2,000 sales (Odoo takes over
/// 15 minutes to close a session of 1,000 orders, odoo#31548).
fn shift_close(dir: &Path) {
    let db = dir.join("till-shift-bench.sqlite");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    let mut store = Store::open(&db).expect("shift db");
    seed_till(&mut store);
    let products: Vec<Change> = (1..=50).map(|i| Change::Product(product(i))).collect();
    store.apply_changes(&products).expect("products");
    let mut till = Till::open(store, Box::new(SystemClock), Box::new(Offline), Box::new(NoDevices)).expect("till");
    till.login("1001", "1234").expect("login");
    till.open_shift(CashCount::new([(Denomination::Yuan100, 5)])).expect("shift");
    let sales = 2_000;
    for i in 0..sales {
        for j in 1..=5 {
            till.scan(&ean((i + j) % 50 + 1, "69")).expect("scan");
        }
        till.add_cash(Money(1_000_000)).expect("cash");
        till.complete(false).expect("complete");
    }
    let mut x = Vec::new();
    for _ in 0..20 {
        let t = Instant::now();
        let report = till.x_report().expect("x report");
        x.push(t.elapsed());
        assert_eq!(report.sales_count, sales as u32);
    }
    x.sort();
    let t = Instant::now();
    let z = till.close_shift(CashCount::new([(Denomination::Yuan100, 5)])).expect("close");
    let close = t.elapsed();
    assert_eq!(z.report.sales_count, sales as u32);
    println!(
        "shift of {sales} sales: X report median {:.1?} (max {:.1?}); blind close with the Z report, durable, printed {close:.1?}",
        x[x.len() / 2],
        x[x.len() - 1]
    );
}

fn sale_completion(dir: &Path) {
    let sales_db = dir.join("till-sales-bench.sqlite");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", sales_db.display()));
    }
    let mut store = Store::open(&sales_db).expect("sales db");
    seed_till(&mut store);
    let products: Vec<Change> = (1..=50).map(|i| Change::Product(product(i))).collect();
    store.apply_changes(&products).expect("products");
    let mut till = Till::open(store, Box::new(SystemClock), Box::new(Offline), Box::new(NoDevices)).expect("till");
    till.login("1001", "1234").expect("login");
    till.open_shift(CashCount::new([(Denomination::Yuan100, 5)])).expect("shift");

    let baseline_db = dir.join("fsync-baseline.sqlite");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", baseline_db.display()));
    }
    let base = rusqlite::Connection::open(&baseline_db).expect("baseline db");
    base.pragma_update(None, "journal_mode", "WAL").expect("wal");
    base.pragma_update(None, "synchronous", "FULL").expect("full");
    base.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)", []).expect("table");

    let rounds = 300;
    let mut sales = Vec::with_capacity(rounds);
    let mut fsyncs = Vec::with_capacity(rounds);
    for n in 0..rounds {
        for i in 1..=10 {
            till.scan(&ean(i * 3, "69")).expect("scan");
        }
        till.add_cash(Money(1_000_000)).expect("cash");
        let t = Instant::now();
        till.complete(false).expect("complete");
        sales.push(t.elapsed());

        let t = Instant::now();
        base.execute_batch(&format!("BEGIN IMMEDIATE; INSERT INTO t (v) VALUES ('row {n}'); COMMIT;")).expect("insert");
        fsyncs.push(t.elapsed());
    }
    sales.sort();
    fsyncs.sort();
    let median = |v: &[Duration]| v[v.len() / 2];
    let (s, f) = (median(&sales), median(&fsyncs));
    println!(
        "complete a 10-line sale, one tender, durable with its event: median {s:.2?} (p90 {:.2?}); one fsync'd single-row transaction: median {f:.2?}; ratio {:.2}",
        sales[sales.len() * 9 / 10],
        s.as_secs_f64() / f.as_secs_f64()
    );
}
