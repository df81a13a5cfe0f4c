//! The till at 1024×768, the smallest screen it supports, rendered by iced_test's simulator with
//! the app's own font: on every screen of a sale, from sign-in to the change, each text lies inside
//! the window and unclipped, and none is wider than the room it was given (an amount drawn past
//! its column, a label past its button). The sale is as large as a till sells: ¥99,999.99 lines,
//! 99,999 pieces, a total in the millions.

use std::sync::{Arc, Mutex, PoisonError};

use iced::{Rectangle, Size};
use iced_test::selector::{Candidate, Selector};
use iced_test::simulator::Simulator;
use shared::catalog::{CategoryId, Product, ProductId, ProductStatus};
use shared::money::Bp;
use shared::promotions::{Audience, Branches, Limits, Promotion, PromotionId, PromotionKind, Schedule, Scope, Slab};
use shared::sync::{Change, PromotionChange};

use super::*;

const SCREEN: Size = Size::new(1024.0, 768.0);
/// iced's line height: 1.3 times the text's size.
const LINE_HEIGHT: f32 = 1.3;

fn coupon_code() -> String {
    shared::promotions::coupons::CouponCode::new(
        shared::promotions::coupons::CampaignId(5),
        shared::promotions::coupons::CouponId(1),
        &[3, 1, 4, 1, 5],
    )
    .to_string()
}

fn caviar_barcode() -> String {
    ean("695999999999")
}

fn settings() -> iced::Settings {
    iced::Settings {
        fonts: vec![pos_app::ui::FONT.into()],
        default_font: pos_app::ui::UI_FONT,
        ..iced::Settings::default()
    }
}

/// A text as laid out: what it says, where, and what of it can be seen (`scrolls`: it is in a
/// list that scrolls up and down, where a line cut at the list's top or bottom edge is as meant).
#[derive(Clone, Debug)]
struct Shown {
    content: String,
    bounds: Rectangle,
    visible: Option<Rectangle>,
    scrolls: bool,
}

/// Every text of a view, and the scrolling lists' bounds (the selector never matches, so the
/// simulator walks the whole tree).
#[derive(Default)]
struct Found {
    texts: Vec<Shown>,
    lists: Vec<Rectangle>,
}

struct EveryText(Arc<Mutex<Found>>);

impl Selector for EveryText {
    type Output = ();

    fn select(&mut self, candidate: Candidate<'_>) -> Option<()> {
        let mut found = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        match candidate {
            Candidate::Text { bounds, visible_bounds, content, .. } => {
                found.texts.push(Shown { content: content.to_owned(), bounds, visible: visible_bounds, scrolls: false })
            }
            Candidate::Scrollable { bounds, .. } => found.lists.push(bounds),
            _ => {}
        }
        None
    }

    fn description(&self) -> String {
        "every text".into()
    }
}

fn texts<'a>(view: impl Into<iced::Element<'a, Message>>, size: Size) -> Vec<Shown> {
    let found = Arc::new(Mutex::new(Found::default()));
    let mut sim = Simulator::with_size(settings(), size, view);
    let _ = sim.find(EveryText(found.clone()));
    let mut found = found.lock().unwrap_or_else(PoisonError::into_inner);
    let lists = std::mem::take(&mut found.lists);
    let mut texts = std::mem::take(&mut found.texts);
    for t in &mut texts {
        let (x, right) = (t.bounds.x, t.bounds.x + t.bounds.width);
        t.scrolls = lists.iter().any(|l| l.x <= x + 0.5 && right <= l.x + l.width + 0.5 && t.bounds.intersects(l));
    }
    texts
}

/// How wide `content` is on one line at `size` in the app's font: laid out alone, with room.
fn natural_width(content: &str, size: f32) -> f32 {
    let alone = iced::widget::text(content.to_owned()).size(size).wrapping(iced::widget::text::Wrapping::None);
    let laid = texts(alone, Size::new(100_000.0, 2_000.0));
    laid.first().map(|t| t.bounds.width).expect("the text alone")
}

/// A character a line may break before and after: Chinese characters and punctuation.
fn breaks_around(c: char) -> bool {
    matches!(c, '\u{3000}'..='\u{303f}' | '\u{3400}'..='\u{4dbf}' | '\u{4e00}'..='\u{9fff}' | '\u{ff00}'..='\u{ffef}')
}

/// The pieces a line never breaks inside: words (`¥99,999.99` is one), and single characters of
/// Chinese.
fn unbreakable(content: &str) -> Vec<String> {
    let mut out = Vec::new();
    for word in content.split_whitespace() {
        let mut run = String::new();
        for c in word.chars() {
            if breaks_around(c) {
                if !run.is_empty() {
                    out.push(std::mem::take(&mut run));
                }
                out.push(c.to_string());
            } else {
                run.push(c);
            }
        }
        if !run.is_empty() {
            out.push(run);
        }
    }
    out
}

/// The smallest text the till shows (the demo's printed receipt).
const SMALLEST: f32 = 8.0;

/// Whether `t` is drawn outside its bounds. Its height says its size and line count (every size
/// the app uses is a whole or half number, and a text's height is its lines'): one line must fit whole;
/// on several lines, every piece that cannot break must. A text given a height of its own (a key
/// of the keypad) must fit on one line at the largest size that height holds; one squeezed below
/// the smallest line was cut short.
fn overflows(t: &Shown) -> bool {
    let h = t.bounds.height;
    for lines in 1..=6u8 {
        let size = h / (LINE_HEIGHT * f32::from(lines));
        let halves = size * 2.0;
        if size < SMALLEST || (halves - halves.round()).abs() > 0.02 {
            continue;
        }
        let size = halves.round() / 2.0;
        // Its widest line as written (lines it was given end in a newline).
        let whole = natural_width(&t.content, size);
        let written = t.content.lines().count().max(1);
        let fits = if usize::from(lines) == written {
            whole <= t.bounds.width + 0.5
        } else if usize::from(lines) < written {
            false
        } else {
            // It wrapped only if it did not fit on one line; then every piece must fit.
            whole > t.bounds.width + 0.5
                && unbreakable(&t.content).iter().all(|p| natural_width(p, size) <= t.bounds.width + 0.5)
        };
        if fits {
            return false;
        }
    }
    let size = (h / LINE_HEIGHT).floor();
    size < SMALLEST || natural_width(&t.content, size) > t.bounds.width + 0.5
}

/// What is wrong with a screen's texts: outside the window, clipped, or not fitting their room.
fn problems(texts: Vec<Shown>) -> Vec<String> {
    let window = Rectangle::new(iced::Point::ORIGIN, SCREEN);
    let mut out = Vec::new();
    for t in texts {
        if t.content.trim().is_empty() {
            continue;
        }
        let b = t.bounds;
        if b.x < -0.5 || b.y < -0.5 || b.x + b.width > window.width + 0.5 || b.y + b.height > window.height + 0.5 {
            out.push(format!("{:?} is outside the window: {b:?}", t.content));
        } else if t
            .visible
            .is_none_or(|v| (v.width - b.width).abs() > 0.5 || (!t.scrolls && (v.height - b.height).abs() > 0.5))
        {
            out.push(format!("{:?} is clipped: {b:?} shows {:?}", t.content, t.visible));
        } else if overflows(&t) {
            out.push(format!("{:?} does not fit its room: {b:?}", t.content));
        }
    }
    out
}

pub(super) fn check(ui: &Ui, what: &str) {
    let what = &format!("{what}{}", if ui.app.demo.is_some() { " beside the demo's panel" } else { "" });
    // TILL_LAYOUT_PNG=dir keeps each screen as the simulator drew it, to look at.
    if let Ok(dir) = std::env::var("TILL_LAYOUT_PNG") {
        let path = std::path::Path::new(&dir).join(format!("{:?} {what}.png", ui.app.lang));
        let _ = std::fs::remove_file(&path);
        let mut sim = Simulator::with_size(settings(), SCREEN, ui.app.view());
        let drawn = sim.snapshot(&iced::Theme::Light).expect("drawn");
        assert!(drawn.matches_image(&path).expect("saved"));
    }
    let found = problems(texts(ui.app.view(), SCREEN));
    assert!(found.is_empty(), "{what} at 1024×768: {found:#?}");
}

/// A till whose catalog also sells caviar at ¥99,999.99 a tin.
fn till_with_caviar(lang: Lang) -> Ui {
    let t = TestTill::new();
    let caviar = Product {
        brand: None,
        id: ProductId(99),
        code: "P00099".into(),
        barcodes: vec![caviar_barcode()],
        name: "鲟鱼子酱 Beluga 000 特级 125g 礼盒装".into(),
        short_name: String::new(),
        category: CategoryId(1),
        unit: "盒".into(),
        retail_price: Money(9_999_999),
        member_price: None,
        vat: Bp(1300),
        points_eligible: true,
        discount_eligible: true,
        weighed: false,
        plu: None,
        status: ProductStatus::Active,
    };
    t.store().apply_changes(&[Change::Product(caviar)]).expect("the caviar");
    // Promotions with long names: one under the oil's line, one order threshold beside the total.
    let promotion = |id: u64, name: &str, scope: Scope, kind: PromotionKind| {
        Change::Promotion(PromotionChange {
            version: id,
            id: PromotionId(id),
            promotion: Some(Promotion {
                id: PromotionId(id),
                name: name.into(),
                branches: Branches::All,
                schedule: Schedule {
                    from: jiff::civil::date(2020, 1, 1),
                    to: jiff::civil::date(2099, 12, 31),
                    weekdays: None,
                    time_window: None,
                },
                audience: Audience::Everyone,
                scope,
                kind,
                exclusivity_group: None,
                priority: 0,
                limits: Limits::default(),
                threshold_clawback: false,
            }),
        })
    };
    t.store()
        .apply_changes(&[
            promotion(
                1,
                "金龙鱼食用调和油 5L 年终会员节限时特价 每人限购",
                Scope { products: vec![ProductId(3)], ..Scope::default() },
                PromotionKind::FixedPrice { price: Money(4990) },
            ),
            promotion(
                2,
                "全场满100000减88888 年终大促 多买多减 上不封顶",
                Scope { all_products: true, ..Scope::default() },
                PromotionKind::Slabs { slabs: vec![Slab { threshold: Money::yuan(100_000), off: Money(8_888_800) }] },
            ),
        ])
        .expect("the promotions");
    // A member's coupon with a long name, which the sale takes last.
    let now = jiff::Timestamp::now();
    t.hq.add_coupon(
        shared::promotions::coupons::CouponCode::parse(&coupon_code()).expect("a code"),
        shared::promotions::coupons::Coupon {
            id: shared::promotions::coupons::CouponId(1),
            name: "会员专享 全场九五折券 年终回馈 限本人使用".into(),
            kind: shared::promotions::coupons::CouponKind::PercentOff {
                scope: Scope { all_products: true, ..Scope::default() },
                bp: Bp(500),
            },
            offline_allowed: false,
        },
        t.member.id,
        now - jiff::SignedDuration::from_hours(1),
        now + jiff::SignedDuration::from_hours(24),
    );
    let TestTill { dir, till, devices, hq, member, .. } = t;
    let (engine, replies) = Engine::spawn(till);
    let mut app = App::new(engine, replies, lang);
    let replies = app.sources.replies.take().and_then(|s| s.take()).expect("replies");
    let mut ui = Ui { app, replies, devices, hq, member, _dir: dir };
    ui.settle();
    ui
}

/// F3 on the selected line, a quantity, Enter, and Enter again if the till asks.
fn set_qty(ui: &mut Ui, qty: &str) {
    ui.press(Input::F(3));
    ui.type_slowly(qty);
    ui.press(Input::Enter);
    if ui.app.status.as_ref().is_some_and(|(tone, _)| *tone == Tone::Info) {
        ui.press(Input::Enter);
    }
}

/// The demo's simulator panel, as `pos-app --demo` fills it.
pub(super) fn demo_panel() -> pos_app::ui::DemoPanel {
    let products = [
        ("农夫山泉可乐 500ml", "6900100000006"),
        ("盼盼蛋黄派 200g", "6900100000013"),
        ("三元低脂牛奶 1L", "6900100000020"),
        ("香满园面粉 5L", "6900100000037"),
        ("厨邦料酒 250ml", "6900100000044"),
        ("海霸王水饺 300g", "6900100000051"),
    ];
    let members = [
        ("陈小姐 gold", "0000012345"),
        ("王先生 silver", "0000023456"),
        ("李女士 regular", "0000034567"),
        ("张先生 regular", "0000045678"),
    ];
    let pairs = |list: &[(&str, &str)]| list.iter().map(|(a, b)| ((*a).to_owned(), (*b).to_owned())).collect();
    // The last receipt printed, 48 columns as on 80 mm paper.
    let paper = format!("{}\n{:<24}{:>24}\n{}", "=".repeat(48), "合计 TOTAL", "1250098.80", "-".repeat(48));
    pos_app::ui::DemoPanel { products: pairs(&products), members: pairs(&members), actions: None, paper: vec![paper] }
}

#[test]
fn every_screen_of_a_large_sale_fits_1024_by_768() {
    for (lang, demo) in [(Lang::ZhCn, false), (Lang::En, false), (Lang::ZhCn, true), (Lang::En, true)] {
        let mut ui = till_with_caviar(lang);
        // The demo shows the devices' simulators beside the till.
        ui.app.demo = demo.then(demo_panel);
        check(&ui, "the sign-in screen");
        ui.type_slowly(CASHIER);
        ui.press(Input::Enter);
        ui.type_slowly(CASHIER_PIN);
        ui.press(Input::Enter);
        check(&ui, "opening the shift");
        ui.type_slowly("5");
        ui.press(Input::Enter);
        assert_eq!(ui.app.screen, Screen::Sale(Prompt::Scan));
        check(&ui, "the empty sale");

        // Nine tins of caviar, 99,999 colas, and a few small things.
        ui.type_slowly(&caviar_barcode());
        ui.press(Input::Enter);
        set_qty(&mut ui, "9");
        ui.type_slowly(COLA);
        ui.press(Input::Enter);
        set_qty(&mut ui, "99999");
        for code in [OIL, CHIPS, CIGS] {
            ui.type_slowly(code);
            ui.press(Input::Enter);
        }
        // The member's coupon, typed as its code.
        ui.type_slowly(&coupon_code());
        ui.press(Input::Enter);
        let cart = ui.app.snap.cart.clone().expect("the sale");
        assert_eq!(cart.coupons.len(), 1, "{:?}", ui.app.status);
        assert!(cart.totals.coupon_discounts.0 > 0);
        assert_eq!(cart.lines[0].priced.gross, Money(89_999_991), "9 × ¥99,999.99");
        assert_eq!(cart.totals.promotion_discounts, Money(2000 + 8_888_800), "both promotions");
        assert_eq!(cart.lines[1].priced.qty, shared::money::Qty(99_999_000));
        assert!(cart.cash_due > Money(100_000_000), "{}", cart.cash_due);
        check(&ui, "the sale's lines and totals");

        // ¥100 in cash: a part payment, the rest to pay shown large.
        ui.press(Input::F(4));
        ui.type_slowly("100");
        ui.press(Input::Enter);
        assert_eq!(ui.app.snap.cart.as_ref().expect("open").cash_given, Money(10_000));
        check(&ui, "a part payment");

        // The rest and ¥99,999.99 more: the change, largest of all.
        let rest = ui.app.snap.cart.as_ref().expect("open").outstanding;
        ui.type_slowly(&(rest + Money(9_999_999)).plain());
        ui.press(Input::Enter);
        assert_eq!(ui.app.done.as_ref().expect("complete").change, Money(9_999_999));
        check(&ui, "the change");
    }
}

#[test]
fn a_member_code_s_refusals_fit_1024_by_768_in_both_languages() {
    for (lang, demo) in [(Lang::ZhCn, false), (Lang::En, false), (Lang::ZhCn, true), (Lang::En, true)] {
        let mut ui = Ui::new(lang);
        ui.app.demo = demo.then(demo_panel);
        let phone = ui.member_with_a_phone();
        ui.login_and_open_shift();
        ui.type_slowly(COLA);
        ui.press(Input::Enter);
        ui.type_slowly(&phone(60));
        ui.press(Input::Enter);
        assert!(matches!(ui.app.status, Some((Tone::Bad, _))), "refused as expired");
        check(&ui, "a member code that has expired");
        let other = shared::member_code::MemberSecret::from_bytes([8; 20]);
        ui.type_slowly(&super::phone_code(&ui.member.code, &other, 0));
        ui.press(Input::Enter);
        check(&ui, "a member code that is not valid");
        ui.hq.set_online(false);
        let stranger = shared::catalog::MemberCode::parse("0000099999").expect("a number");
        ui.type_slowly(&super::phone_code(&stranger, &other, 0));
        ui.press(Input::Enter);
        assert!(matches!(ui.app.status, Some((Tone::Bad, _))), "cannot be checked offline");
        check(&ui, "a member code that cannot be checked offline");
    }
}

#[test]
fn the_manager_menu_and_the_complaint_screen_fit_1024_by_768_in_both_languages() {
    let names = ["商品质量", "服务态度", "价格与促销活动", "收银差错", "环境卫生", "会员积分与储值", "退换货", "其他"];
    let categories: Vec<shared::complaints::Category> = (1..)
        .zip(names)
        .map(|(id, name)| shared::complaints::Category { id, name: name.into(), due_hours: 48, active: true })
        .collect();
    for (lang, demo) in [(Lang::ZhCn, false), (Lang::En, false), (Lang::ZhCn, true), (Lang::En, true)] {
        let mut ui = Ui::new(lang);
        pos_app::store::Store::open(db_path(ui._dir.path()))
            .expect("store")
            .replace_complaint_categories(&categories)
            .expect("categories");
        ui.app.demo = demo.then(demo_panel);
        ui.login_and_open_shift();
        ui.type_slowly(COLA);
        ui.press(Input::Enter);
        ui.press(Input::F(2));
        ui.type_slowly(&ui.member.code.to_string());
        ui.press(Input::Enter);
        ui.press(Input::F(1));
        check(&ui, "the manager's menu");
        ui.press(Input::F(10));
        assert!(matches!(ui.app.screen, Screen::Complaint(_)), "{:?}", ui.app.status);
        ui.press(Input::Char('6'));
        let long = "顾客反映在本店购买的牛奶开封后发现已经变质，要求退款并赔偿。".repeat(4);
        let _ = ui.app.update(Message::Complaint(pos_app::ui::ComplaintMsg::Text(long)));
        let _ = ui.app.update(Message::Complaint(pos_app::ui::ComplaintMsg::Receipt("B001-01-000123".into())));
        ui.press(Input::Enter);
        assert!(matches!(ui.app.screen, Screen::Sale(_)), "{:?}", ui.app.status);
        // A refusal on the status line, on the screen it stays on.
        ui.press(Input::F(1));
        ui.press(Input::F(10));
        let _ = ui.app.update(Message::Complaint(pos_app::ui::ComplaintMsg::Receipt("B001-1".into())));
        ui.press(Input::Char('8'));
        let _ = ui.app.update(Message::Complaint(pos_app::ui::ComplaintMsg::Text("x".into())));
        ui.press(Input::Enter);
        assert!(matches!(ui.app.status, Some((Tone::Bad, _))), "{:?}", ui.app.status);
        check(&ui, "the complaint screen with a member, a long text and a refusal");
    }
}

/// The check can fail: an amount in a column too narrow for it, a text below the window's edge.
#[test]
fn the_layout_check_sees_an_amount_past_its_column_and_a_text_below_the_edge() {
    use iced::widget::{column, container, row, text};
    let amount = || text("¥99,999.99").size(24).wrapping(iced::widget::text::Wrapping::None);
    let narrow: iced::Element<'_, Message> = row![container(amount()).width(60)].into();
    let found = problems(texts(narrow, SCREEN));
    assert!(matches!(&found[..], [p] if p.contains("does not fit its room")), "{found:?}");
    let fits: iced::Element<'_, Message> = row![container(amount()).width(200)].into();
    assert_eq!(problems(texts(fits, SCREEN)), Vec::<String>::new());
    // Words wrap onto a second line when they must: that is not an overflow.
    let wraps: iced::Element<'_, Message> = row![container(text("Still to pay now").size(24)).width(120)].into();
    assert_eq!(problems(texts(wraps, SCREEN)), Vec::<String>::new());
    let tall: iced::Element<'_, Message> = column![container(text("")).height(760), text("状态：打印机缺纸")].into();
    let found = problems(texts(tall, SCREEN));
    assert!(matches!(&found[..], [p] if p.contains("does not fit its room")), "{found:?}");
}

/// The window opens at 1366×768; on a smaller screen with no window manager to maximize it, the
/// till fits it to the screen (never below the 1024×768 it is laid out for).
#[test]
fn the_window_is_fitted_to_a_smaller_screen() {
    use pos_app::ui::chrome::{WINDOW, fitted};
    assert_eq!(fitted(WINDOW, Some(Size::new(1024.0, 768.0))), Some(Size::new(1024.0, 768.0)));
    assert_eq!(fitted(WINDOW, Some(Size::new(1280.0, 1024.0))), Some(Size::new(1280.0, 1024.0)));
    assert_eq!(fitted(WINDOW, Some(Size::new(800.0, 600.0))), Some(Size::new(1024.0, 768.0)));
    assert_eq!(fitted(WINDOW, Some(Size::new(1920.0, 1080.0))), None);
    assert_eq!(fitted(WINDOW, Some(WINDOW)), None);
    assert_eq!(fitted(WINDOW, None), None);
}
