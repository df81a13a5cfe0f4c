//! A realistic demo chain for an empty database: branches with tills, cashiers and managers
//! with known PINs, console users with known passwords, categories, and a few thousand products
//! with Chinese names, their brands and valid EAN-13s. Deterministic: the same options give the same catalog.
//!
//! Credentials (all documented in the README):
//! - console users: `admin` / `tillpoint-admin`, `finance` / `tillpoint-finance`,
//!   `marketing` / `tillpoint-marketing`, and per branch `mgr-b001` … / `tillpoint-manager`;
//! - staff at every branch: manager `9001` PIN `9999`, cashiers `1001` PIN `1111` and `1002` PIN `2222`.

use std::fmt::Write as _;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use shared::Money;
use shared::catalog::{Category, CategoryId, Product, ProductId, ProductStatus, with_check_digit};
use shared::money::Bp;
use shared::pricing::CashRounding;
use shared::staff::StaffRole;
use shared::sync::BranchPrice;

use crate::admin;
use crate::model::{Actor, Adjustment, NewMember, Role};
use crate::store::{Store, StoreError, StoreResult};

pub const ADMIN_PASSWORD: &str = "tillpoint-admin";
pub const MANAGER_PASSWORD: &str = "tillpoint-manager";
/// `(login, name, role, PIN)` of the staff at every demo branch.
pub const STAFF: [(&str, &str, StaffRole, &str); 3] = [
    ("9001", "王店长", StaffRole::Manager, "9999"),
    ("1001", "李收银", StaffRole::Cashier, "1111"),
    ("1002", "张收银", StaffRole::Cashier, "2222"),
];

#[derive(Clone, Debug)]
pub struct DemoOptions {
    pub branches: usize,
    pub tills_per_branch: usize,
    pub products: u32,
    pub seed: u64,
    /// How many members besides the named demo members.
    pub members: u32,
    /// How long the printed enrolment codes stay valid.
    pub code_ttl: Duration,
    /// Business days of past sales to generate (for the dashboard and reports).
    pub history_days: u32,
    /// Publish a week's promotions (特价, 第二件半价, 买二赠一, 满减, a member day) after the history.
    pub promotions: bool,
    /// Two coupon campaigns (满50减5 usable offline, 20 a till a day; 9折 on fresh food, online
    /// only) issued to every member, so the till's demo has coupons to pick.
    pub coupons: bool,
    /// Every branch's expenses (rent, wages, utilities, some promotion costs, a correction) for
    /// this month and the thirteen before it, so the P&L has a month before and a last year.
    pub expenses: bool,
    /// Every branch's opening stock of the products the history sells, an open purchase order, a
    /// transfer in transit and reorder levels (`demo_stock`).
    pub stock: bool,
    /// Yesterday's payments by WeChat Pay and Alipay code at every branch, through the gateway's
    /// records, and both providers' statements of the day imported, with one difference
    /// (`demo_payments`).
    pub payments: bool,
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions {
            branches: 5,
            tills_per_branch: 3,
            products: 3000,
            seed: 2026,
            members: 500,
            code_ttl: Duration::from_secs(3600),
            history_days: 14,
            promotions: true,
            coupons: true,
            expenses: true,
            stock: true,
            payments: true,
        }
    }
}

impl DemoOptions {
    /// Two branches, two tills each, 200 products: quick enough for tests and the till's demo mode.
    pub fn small() -> DemoOptions {
        DemoOptions {
            branches: 2,
            tills_per_branch: 2,
            products: 200,
            members: 20,
            history_days: 0,
            promotions: false,
            coupons: false,
            expenses: false,
            stock: false,
            payments: false,
            ..DemoOptions::default()
        }
    }
}

#[derive(Clone, Debug)]
pub struct DemoTill {
    pub id: shared::ids::TillId,
    pub number: u16,
    pub enrolment_code: String,
}

#[derive(Clone, Debug)]
pub struct DemoBranch {
    pub id: shared::ids::BranchId,
    pub code: String,
    pub name: String,
    pub tills: Vec<DemoTill>,
    pub manager_username: String,
}

#[derive(Clone, Debug)]
pub struct DemoSummary {
    pub branches: Vec<DemoBranch>,
    pub categories: usize,
    pub products: u64,
    /// A few members to swipe at the tills (the first ones of the demo members).
    pub members: Vec<DemoMember>,
    /// Past sales generated for the dashboard.
    pub history_sales: u64,
}

/// A demo member and how to find them at a till.
#[derive(Clone, Debug)]
pub struct DemoMember {
    pub id: shared::ids::MemberId,
    /// The code on the card (track 2, and the EAN-13 `29` + code + check digit).
    pub code: String,
    pub phone: String,
    pub name: String,
    pub tier: String,
    /// A contactless card UID, when the member has one.
    pub uid: Option<String>,
    pub points: i64,
}

/// A demo member to try: code, phone, name, tier, UID, opening points, opening stored value
/// (principal, bonus) in fen.
type DemoMemberRow = (&'static str, &'static str, &'static str, &'static str, Option<&'static str>, i64, i64, i64);

const MEMBERS: [DemoMemberRow; 4] = [
    ("0000012345", "13812345678", "陈小姐", "gold", Some("04A1B2C3"), 5_000, 20_000, 2_000),
    ("0000023456", "13923456789", "王先生", "silver", Some("04D5E6F7"), 1_200, 5_000, 0),
    ("0000034567", "13734567890", "李女士", "regular", None, 300, 0, 0),
    ("0000045678", "13645678901", "张先生", "regular", None, 0, 0, 0),
];

impl DemoSummary {
    /// What `hq-server demo-data` prints.
    pub fn describe(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "demo chain: {} branches, {} categories, {} products, {} past sales",
            self.branches.len(),
            self.categories,
            self.products,
            self.history_sales
        );
        let _ = writeln!(s, "console users (username / password):");
        let _ =
            writeln!(s, "  admin / {ADMIN_PASSWORD}   finance / tillpoint-finance   marketing / tillpoint-marketing");
        for b in &self.branches {
            let _ = writeln!(
                s,
                "branch {} {} (id {}): manager user {} / {MANAGER_PASSWORD}",
                b.code, b.name, b.id, b.manager_username
            );
            for t in &b.tills {
                let _ = writeln!(s, "  till {:02} (id {}): enrolment code {}", t.number, t.id, t.enrolment_code);
            }
        }
        let _ = writeln!(s, "staff at every branch (login / PIN):");
        for (login, name, role, pin) in STAFF {
            let _ = writeln!(
                s,
                "  {login} / {pin}  {name} ({})",
                if role == StaffRole::Manager { "manager" } else { "cashier" }
            );
        }
        let _ = writeln!(s, "members to try (card code / phone / UID):");
        for m in &self.members {
            let _ = writeln!(
                s,
                "  {} / {} / {}  {} ({}, {} points)",
                m.code,
                m.phone,
                m.uid.as_deref().unwrap_or("-"),
                m.name,
                m.tier,
                m.points
            );
        }
        let _ = writeln!(s, "enrolment codes expire; `hq-server till code --till ID` prints a fresh one");
        s
    }
}

const BRANCHES: [(&str, &str, &str, &str, CashRounding); 6] = [
    ("B001", "上海南京路店", "上海市黄浦区南京东路 300 号", "021-63210001", CashRounding::None),
    ("B002", "北京王府井店", "北京市东城区王府井大街 88 号", "010-65120002", CashRounding::DownToJiao),
    ("B003", "杭州西湖店", "杭州市上城区湖滨路 12 号", "0571-87010003", CashRounding::HalfUpToJiao),
    ("B004", "广州天河店", "广州市天河区天河路 208 号", "020-38880004", CashRounding::DownToJiao),
    ("B005", "成都春熙路店", "成都市锦江区春熙路 66 号", "028-86660005", CashRounding::None),
    ("B006", "南京新街口店", "南京市秦淮区中山南路 1 号", "025-84510006", CashRounding::DownToYuan),
];

/// A category: code, name, unit, price range in fen, VAT, weighed, and the words names are made of.
struct Kind {
    code: &'static str,
    name: &'static str,
    unit: &'static str,
    price: (i64, i64),
    vat: i64,
    weighed: bool,
    brands: &'static [&'static str],
    items: &'static [&'static str],
    specs: &'static [&'static str],
}

const KINDS: &[Kind] = &[
    Kind {
        code: "DRINK",
        name: "饮料",
        unit: "瓶",
        price: (200, 1500),
        vat: 1300,
        weighed: false,
        brands: &["农夫山泉", "康师傅", "统一", "可口可乐", "百事", "元气森林", "王老吉", "娃哈哈", "怡宝", "东方树叶"],
        items: &["矿泉水", "绿茶", "冰红茶", "可乐", "雪碧", "苏打水", "凉茶", "橙汁", "乌龙茶", "柠檬茶"],
        specs: &["330ml", "500ml", "550ml", "1.5L", "2L"],
    },
    Kind {
        code: "SNACK",
        name: "休闲零食",
        unit: "袋",
        price: (350, 3500),
        vat: 1300,
        weighed: false,
        brands: &["三只松鼠", "良品铺子", "乐事", "旺旺", "好丽友", "卫龙", "盼盼", "徐福记", "百草味", "奥利奥"],
        items: &["薯片", "坚果", "饼干", "辣条", "牛肉干", "海苔", "瓜子", "威化饼", "蛋黄派", "雪饼"],
        specs: &["50g", "100g", "150g", "200g", "500g"],
    },
    Kind {
        code: "DAIRY",
        name: "乳制品",
        unit: "盒",
        price: (300, 6900),
        vat: 900,
        weighed: false,
        brands: &["伊利", "蒙牛", "光明", "君乐宝", "三元", "安慕希", "特仑苏", "简爱"],
        items: &["纯牛奶", "酸奶", "低脂牛奶", "奶酪棒", "风味发酵乳", "早餐奶"],
        specs: &["200ml", "250ml", "1L", "6盒装", "12盒装"],
    },
    Kind {
        code: "GRAIN",
        name: "粮油米面",
        unit: "袋",
        price: (590, 12900),
        vat: 900,
        weighed: false,
        brands: &["金龙鱼", "福临门", "鲁花", "五常", "中粮", "陈克明", "香满园"],
        items: &["大米", "花生油", "菜籽油", "挂面", "面粉", "玉米油", "糯米"],
        specs: &["1kg", "2.5kg", "5kg", "900ml", "5L"],
    },
    Kind {
        code: "SEASON",
        name: "调味品",
        unit: "瓶",
        price: (350, 3900),
        vat: 1300,
        weighed: false,
        brands: &["海天", "李锦记", "老干妈", "太太乐", "千禾", "恒顺", "厨邦"],
        items: &["生抽", "老抽", "蚝油", "香醋", "辣椒酱", "鸡精", "料酒", "豆瓣酱"],
        specs: &["250ml", "500ml", "1.28L", "280g", "1kg"],
    },
    Kind {
        code: "FROZEN",
        name: "冷冻食品",
        unit: "袋",
        price: (990, 4990),
        vat: 1300,
        weighed: false,
        brands: &["思念", "三全", "湾仔码头", "安井", "海霸王"],
        items: &["水饺", "汤圆", "馄饨", "鱼丸", "手抓饼", "包子"],
        specs: &["300g", "500g", "1kg", "20只装"],
    },
    Kind {
        code: "FRESH",
        name: "生鲜果蔬",
        unit: "kg",
        price: (198, 3998),
        vat: 900,
        weighed: true,
        brands: &["本地", "山东", "云南", "新疆", "海南", "进口"],
        items: &["苹果", "香蕉", "橙子", "西红柿", "黄瓜", "土豆", "白菜", "葡萄", "芒果", "西兰花"],
        specs: &["散装"],
    },
    Kind {
        code: "MEAT",
        name: "肉禽蛋",
        unit: "kg",
        price: (1598, 8998),
        vat: 900,
        weighed: true,
        brands: &["双汇", "雨润", "正大", "圣农", "本地"],
        items: &["猪里脊", "五花肉", "鸡胸肉", "鸡翅中", "牛腩", "排骨", "鸡蛋"],
        specs: &["散装"],
    },
    Kind {
        code: "WINE",
        name: "酒类",
        unit: "瓶",
        price: (500, 59900),
        vat: 1300,
        weighed: false,
        brands: &["青岛", "雪花", "燕京", "茅台", "五粮液", "洋河", "张裕", "长城"],
        items: &["啤酒", "白酒", "红酒", "黄酒", "米酒"],
        specs: &["330ml", "500ml", "750ml", "6罐装"],
    },
    Kind {
        code: "DAILY",
        name: "日用百货",
        unit: "个",
        price: (290, 9900),
        vat: 1300,
        weighed: false,
        brands: &["维达", "清风", "心相印", "妙洁", "茶花", "乐扣"],
        items: &["抽纸", "卷纸", "保鲜袋", "垃圾袋", "收纳盒", "水杯", "湿巾"],
        specs: &["3包", "10卷", "100只", "1个", "80抽"],
    },
    Kind {
        code: "CARE",
        name: "个人护理",
        unit: "支",
        price: (690, 8900),
        vat: 1300,
        weighed: false,
        brands: &["高露洁", "佳洁士", "云南白药", "海飞丝", "潘婷", "舒肤佳", "六神", "大宝"],
        items: &["牙膏", "牙刷", "洗发水", "沐浴露", "香皂", "护手霜", "花露水"],
        specs: &["120g", "200ml", "400ml", "750ml", "2支装"],
    },
    Kind {
        code: "CLEAN",
        name: "清洁用品",
        unit: "瓶",
        price: (590, 5990),
        vat: 1300,
        weighed: false,
        brands: &["蓝月亮", "立白", "奥妙", "汰渍", "威猛先生", "超能"],
        items: &["洗衣液", "洗洁精", "洗衣粉", "消毒液", "厨房清洁剂"],
        specs: &["500g", "1kg", "2kg", "3kg"],
    },
    Kind {
        code: "BABY",
        name: "母婴用品",
        unit: "包",
        price: (1990, 29900),
        vat: 1300,
        weighed: false,
        brands: &["帮宝适", "好奇", "花王", "飞鹤", "贝因美"],
        items: &["纸尿裤", "拉拉裤", "婴儿湿巾", "奶粉", "米粉"],
        specs: &["S码", "M码", "L码", "800g", "80片"],
    },
    Kind {
        code: "STATION",
        name: "文具",
        unit: "个",
        price: (150, 3900),
        vat: 1300,
        weighed: false,
        brands: &["晨光", "得力", "真彩", "百乐"],
        items: &["中性笔", "笔记本", "铅笔", "橡皮", "胶水", "文件夹"],
        specs: &["0.5mm", "A5", "B5", "10支装", "1个"],
    },
];

/// Fills an empty database with the demo chain.
pub fn seed(store: &dyn Store, options: &DemoOptions) -> StoreResult<DemoSummary> {
    if !store.list_branches()?.is_empty() {
        return Err(StoreError::Invalid("the database already has branches; demo data goes into an empty one".into()));
    }
    let actor = Actor { who: "demo-data".into(), from: "local".into() };
    let mut rng = StdRng::seed_from_u64(options.seed);

    for (username, display, role, password) in [
        ("admin", "系统管理员", Role::Admin, ADMIN_PASSWORD),
        ("finance", "财务 Finance", Role::Finance, "tillpoint-finance"),
        ("marketing", "市场部 Marketing", Role::Marketing, "tillpoint-marketing"),
    ] {
        if store.user_for_login(username)?.is_none() {
            admin::add_user(store, &actor, username, display, role, None, password)?;
        }
    }

    let mut branches = Vec::new();
    for (code, name, address, phone, rounding) in BRANCHES.iter().take(options.branches.clamp(1, BRANCHES.len())) {
        let mut b = admin::default_branch(code, name);
        b.address = (*address).into();
        b.phone = (*phone).into();
        b.cash_rounding = *rounding;
        b.receipt_header = vec!["会员积分 全国通用".into()];
        b.receipt_footer = vec!["谢谢惠顾 欢迎再次光临".into(), "Thank you for shopping".into()];
        let b = admin::add_branch(store, &actor, b)?;
        let mut tills = Vec::new();
        for t in 0..options.tills_per_branch.clamp(1, 99) {
            let (till, code) = admin::add_till(store, &actor, b.id, &format!("收银台 {}", t + 1), options.code_ttl)?;
            tills.push(DemoTill { id: till.id, number: till.number, enrolment_code: code });
        }
        for (login, staff_name, role, pin) in STAFF {
            admin::add_staff(store, &actor, b.id, login, staff_name, role, pin)?;
        }
        let manager_username = format!("mgr-{}", code.to_lowercase());
        admin::add_user(
            store,
            &actor,
            &manager_username,
            &format!("{name}店长"),
            Role::BranchManager,
            Some(b.id),
            MANAGER_PASSWORD,
        )?;
        branches.push(DemoBranch { id: b.id, code: b.code.clone(), name: b.name.clone(), tills, manager_username });
    }

    let food = admin::add_category(
        store,
        &actor,
        Category { id: CategoryId(0), code: "FOOD".into(), name: "食品".into(), parent: None },
    )?;
    let mut category_ids = Vec::new();
    for k in KINDS {
        let parent = if matches!(k.code, "DRINK" | "SNACK" | "DAIRY" | "GRAIN" | "SEASON" | "FROZEN" | "FRESH" | "MEAT")
        {
            Some(food.id)
        } else {
            None
        };
        let c = admin::add_category(
            store,
            &actor,
            Category { id: CategoryId(0), code: k.code.into(), name: k.name.into(), parent },
        )?;
        category_ids.push(c.id);
    }

    // Every brand the kinds name, once, coded B001… in the order the kinds list them.
    let mut brand_ids: std::collections::HashMap<&str, shared::catalog::BrandId> = std::collections::HashMap::new();
    for name in KINDS.iter().flat_map(|k| k.brands.iter().copied()) {
        if !brand_ids.contains_key(name) {
            let code = format!("B{:03}", brand_ids.len() + 1);
            brand_ids.insert(name, admin::add_brand(store, &actor, &code, name)?.id);
        }
    }

    let mut products = Vec::with_capacity(options.products as usize);
    let mut next_plu = 1001u32;
    for i in 0..options.products {
        let k_index = i as usize % KINDS.len();
        let k = &KINDS[k_index];
        let brand = k.brands[rng.random_range(0..k.brands.len())];
        let item = k.items[rng.random_range(0..k.items.len())];
        let spec = k.specs[rng.random_range(0..k.specs.len())];
        let name = if k.weighed { format!("{brand}{item}") } else { format!("{brand}{item} {spec}") };
        // Prices end in 0 or 9 jiao/fen like shelf prices do.
        let raw = rng.random_range(k.price.0..=k.price.1);
        let retail = (raw / 10) * 10 + if rng.random_range(0..3) == 0 { 9 } else { 0 };
        let member_price = (rng.random_range(0..10) < 3).then(|| Money((retail * 9 / 10) / 10 * 10));
        let (barcodes, plu) = if k.weighed {
            let plu = next_plu;
            next_plu += 1;
            (Vec::new(), Some(plu))
        } else {
            let mut codes = vec![with_check_digit(&format!("69{:010}", 10_000_000 + u64::from(i))).unwrap_or_default()];
            if i % 7 == 0 {
                codes.push(with_check_digit(&format!("69{:010}", 90_000_000 + u64::from(i))).unwrap_or_default());
            }
            (codes, None)
        };
        products.push(Product {
            brand: brand_ids.get(brand).copied(),
            id: ProductId(0),
            code: format!("P{:06}", i + 1),
            barcodes,
            short_name: format!("{brand}{item}"),
            name,
            category: category_ids[k_index],
            unit: k.unit.into(),
            retail_price: Money(retail.max(10)),
            member_price,
            vat: Bp(k.vat),
            points_eligible: k.code != "BABY" || i % 2 == 0,
            discount_eligible: k.code != "WINE",
            weighed: k.weighed,
            plu,
            status: if i % 97 == 96 { ProductStatus::Delisted } else { ProductStatus::Active },
        });
    }
    let summary = store.import_products(&actor, products, &|_| {})?;

    // Beijing sells some drinks a little dearer.
    if let Some(bj) = branches.get(1) {
        for p in store.list_products(0, 20, None)? {
            let price = Money((p.retail_price.0 * 105 / 100) / 10 * 10);
            admin::set_branch_price(
                store,
                &actor,
                bj.id,
                BranchPrice { product: p.id, price: Some(price), member_price: None },
            )?;
        }
    }
    // Members: the named ones to try, then more with a little history of points.
    let mut members = Vec::new();
    for (i, (code, phone, name, tier, uid, points, principal, bonus)) in MEMBERS.iter().enumerate() {
        let home = branches.get(i % branches.len().max(1)).map(|b| b.id);
        let m = store.create_member(
            &actor,
            NewMember {
                id: None,
                code: Some(shared::catalog::MemberCode::parse(code).map_err(|e| StoreError::Internal(e.to_string()))?),
                phone: Some(shared::member::Phone::parse(phone).map_err(|e| StoreError::Internal(e.to_string()))?),
                name: (*name).into(),
                birthday: None,
                tier: Some((*tier).into()),
                home_branch: home,
                uid: uid
                    .map(shared::member::CardUid::parse)
                    .transpose()
                    .map_err(|e| StoreError::Internal(e.to_string()))?,
            },
        )?;
        if *points != 0 || *principal != 0 || *bonus != 0 {
            store
                .adjust(
                    &actor,
                    m.id,
                    Adjustment {
                        points: *points,
                        principal: Money(*principal),
                        bonus: Money(*bonus),
                        reason: "demo opening balance".into(),
                    },
                )?
                .map_err(|e| StoreError::Internal(e.to_string()))?;
        }
        members.push(DemoMember {
            id: m.id,
            code: (*code).into(),
            phone: (*phone).into(),
            name: (*name).into(),
            tier: (*tier).into(),
            uid: uid.map(str::to_owned),
            points: *points,
        });
    }
    let surnames = ["赵", "钱", "孙", "周", "吴", "郑", "冯", "陈", "褚", "卫"];
    let mut more = Vec::new();
    for i in 0..options.members {
        more.push(NewMember {
            id: None,
            code: None,
            phone: Some(
                shared::member::Phone::parse(&format!("15{:09}", 100_000_000 + u64::from(i)))
                    .map_err(|e| StoreError::Internal(e.to_string()))?,
            ),
            name: format!("{}{}", surnames[i as usize % surnames.len()], ["先生", "女士"][rng.random_range(0..2)]),
            birthday: jiff::civil::Date::new(1960 + (i % 45) as i16, 1 + (i % 12) as i8, 1 + (i % 28) as i8).ok(),
            tier: None,
            home_branch: branches.get(i as usize % branches.len().max(1)).map(|b| b.id),
            uid: None,
        });
    }
    store.import_members(&actor, more, &|_| {})?;
    // Who shops in the past sales: every member, the named ones (who are tried at the tills and
    // on the member pages) about a third of the time, so the member analysis has a chain's worth
    // of members and the named ones a history to show.
    let others: Vec<DemoMember> = store
        .list_members("", options.members + 10)?
        .into_iter()
        .filter(|m| !members.iter().any(|n| n.id == m.id))
        .map(|m| DemoMember {
            id: m.id,
            code: m.code.as_str().to_owned(),
            phone: m.phone.map(|p| p.as_str().to_owned()).unwrap_or_default(),
            name: m.name,
            tier: m.tier,
            uid: None,
            points: 0,
        })
        .collect();
    let repeat = (others.len() / (2 * members.len().max(1))).max(1);
    let shoppers: Vec<DemoMember> =
        members.iter().flat_map(|m| std::iter::repeat_n(m.clone(), repeat)).chain(others).collect();
    let history_sales =
        crate::demo_history::seed(store, &actor, &branches, &shoppers, options.history_days, options.seed)?;
    if options.history_days > 0 {
        crate::demo_finance::seed_targets(store, &actor, &branches, options.history_days)?;
    }
    if options.promotions {
        seed_promotions(store, &actor, &category_ids)?;
    }
    if options.coupons {
        seed_coupons(store, &actor, &category_ids)?;
    }
    if options.expenses {
        crate::demo_finance::seed_expenses(store, &actor, &branches, options.seed)?;
    }
    crate::demo_complaints::seed(store, &actor, &branches, &members)?;
    if options.stock {
        crate::demo_stock::seed(store, &actor, &branches, options.seed)?;
    }
    if options.payments {
        crate::demo_payments::seed(store, &actor, &branches, options.seed)?;
    }
    Ok(DemoSummary { branches, categories: KINDS.len() + 1, products: summary.created, members, history_sales })
}

/// Two coupon campaigns valid for 30 days from their issue, issued to every member (by tier):
/// 满50减5 on everything, usable offline up to 20 a till a day, and 9折 on fresh food, online only.
fn seed_coupons(store: &dyn Store, actor: &Actor, category_ids: &[CategoryId]) -> StoreResult<()> {
    use crate::model::{CouponAudience, CouponValidity, IssueRequest, NewCampaign};
    use shared::promotions::Scope;
    use shared::promotions::coupons::CouponKind;
    let fresh = KINDS.iter().position(|k| k.code == "FRESH").and_then(|i| category_ids.get(i)).copied();
    let mut campaigns = vec![NewCampaign {
        name: "满50减5".into(),
        kind: CouponKind::AmountOff {
            scope: Scope { all_products: true, ..Scope::default() },
            min_spend: Money::yuan(50),
            off: Money::yuan(5),
        },
        offline_cap: Some(20),
        validity: CouponValidity::Days { days: 30 },
    }];
    if let Some(fresh) = fresh {
        campaigns.push(NewCampaign {
            name: "生鲜9折券".into(),
            kind: CouponKind::PercentOff {
                scope: Scope { categories: vec![fresh], ..Scope::default() },
                bp: shared::money::Bp(1000),
            },
            offline_cap: None,
            validity: CouponValidity::Days { days: 30 },
        });
    }
    let tiers: Vec<String> = store.current_policy()?.tiers.tiers().iter().map(|t| t.code.clone()).collect();
    for new in campaigns {
        let c = store.create_campaign(actor, new)?;
        for tier in &tiers {
            let request =
                IssueRequest { batch: format!("demo-{tier}"), audience: CouponAudience::Tier { tier: tier.clone() } };
            store.issue_coupons(actor, c.campaign.id, &request)?;
        }
    }
    Ok(())
}

/// A supermarket's week of promotions, from HQ's today for two months: 特价 on the first drink, 零食
/// 第二件半价, 乳品买二赠一, 满100减10 / 满200减30 on everything, and a Wednesday member day (9折 on
/// fresh food for members). Published through the store like the console does, so the tills pull them.
fn seed_promotions(store: &dyn Store, actor: &Actor, category_ids: &[CategoryId]) -> StoreResult<()> {
    use shared::promotions::{
        Audience, Branches, Limits, Promotion, PromotionId, PromotionKind, Schedule, Scope, Slab,
    };
    let category = |code: &str| KINDS.iter().position(|k| k.code == code).and_then(|i| category_ids.get(i)).copied();
    let today = crate::calendar::hq_day(store.now());
    let schedule = Schedule {
        from: today.checked_sub(jiff::Span::new().days(1)).unwrap_or(today),
        to: today.checked_add(jiff::Span::new().days(60)).unwrap_or(today),
        weekdays: None,
        time_window: None,
    };
    let promotion = |name: &str, scope: Scope, kind: PromotionKind| Promotion {
        id: PromotionId(0),
        name: name.into(),
        branches: Branches::All,
        schedule: schedule.clone(),
        audience: Audience::Everyone,
        scope,
        kind,
        exclusivity_group: None,
        priority: 0,
        limits: Limits::default(),
        threshold_clawback: false,
    };
    let categories = |code: &str| Scope { categories: category(code).into_iter().collect(), ..Scope::default() };
    let mut list = Vec::new();
    // The first drink of the catalog at 80 % of its price, rounded to the jiao.
    let first_drink = KINDS.iter().position(|k| k.code == "DRINK").map(|i| format!("P{:06}", i + 1));
    if let Some(code) = first_drink
        && let Some((_, id)) = store.product_ids_by_code(std::slice::from_ref(&code))?.into_iter().next()
    {
        let p = store.get_product(id)?;
        let price = Money((p.retail_price.0 * 8 / 10) / 10 * 10).max(Money(10));
        list.push(promotion(
            &format!("{}特价 ¥{}", p.short_name, price.plain()),
            Scope { products: vec![id], ..Scope::default() },
            PromotionKind::FixedPrice { price },
        ));
    }
    list.push(promotion(
        "零食第二件半价",
        categories("SNACK"),
        PromotionKind::NthPercentOff { n: 2, bp: shared::money::Bp(5000) },
    ));
    list.push(promotion("乳品买二赠一", categories("DAIRY"), PromotionKind::BuyNGetMFree { n: 2, m: 1 }));
    let mut spend = promotion(
        "满100减10 满200减30",
        Scope { all_products: true, ..Scope::default() },
        PromotionKind::Slabs {
            slabs: vec![
                Slab { threshold: Money::yuan(100), off: Money::yuan(10) },
                Slab { threshold: Money::yuan(200), off: Money::yuan(30) },
            ],
        },
    );
    spend.threshold_clawback = true;
    list.push(spend);
    let mut member_day = promotion(
        "周三会员日 生鲜9折",
        categories("FRESH"),
        PromotionKind::PercentOff { bp: shared::money::Bp(1000), on_member_price: false },
    );
    member_day.audience = Audience::Members;
    member_day.schedule.weekdays = Some(vec![3]);
    list.push(member_day);
    let has_scope = |s: &Scope| s.all_products || !s.products.is_empty() || !s.categories.is_empty();
    for p in list.into_iter().filter(|p| has_scope(&p.scope)) {
        store.create_promotion(actor, p)?;
    }
    Ok(())
}
