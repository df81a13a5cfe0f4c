//! Stock at the till's screens: the search list shows each product's on hand as of the last pull
//! with its time; the count screen (manager's menu, F11) takes a scan, then the quantity, then
//! the next, lists what was counted and where it stands, and sends a scanner's code to the count,
//! never to a sale. Both fit 1024×768 in both languages.

use device_drivers::scanner::{Scan, ScannerEvent, Symbology};
use pos_app::store::Store;
use pos_app::ui::CountScreen;
use shared::catalog::{CategoryId, ProductId};
use shared::money::Qty;
use shared::till_stock::{TillCount, TillStockLevel, TillStockPage};

use super::*;

/// A till whose last pull of on hand said cola 12, chips −3 (at 14:05 in Shanghai), with one
/// open count of the whole branch.
fn with_stock(lang: Lang) -> Ui {
    let ui = Ui::new(lang);
    let mut store = Store::open(db_path(ui._dir.path())).expect("store");
    let level = |p: i64, q: i64| TillStockLevel { product_id: ProductId(p), on_hand: Qty(q) };
    store
        .apply_stock_page(&TillStockPage {
            levels: vec![level(1, 12_000), level(2, -3_000), level(3, 40_000)],
            next_cursor: "9.3".into(),
            has_more: false,
            as_of: "2026-11-23T06:05:00Z".parse().expect("time"),
        })
        .expect("on hand");
    store
        .replace_open_counts(&[TillCount {
            id: 41,
            scope: "full".into(),
            category_id: None::<CategoryId>,
            started_at: "2026-11-23T01:30:00Z".parse().expect("time"),
            note: "月末盘点".into(),
        }])
        .expect("counts");
    ui
}

/// Signs a manager in from the login screen (F1) to the menu, without a shift.
fn manager_in_the_back_office(ui: &mut Ui) {
    ui.press(Input::F(1));
    ui.type_slowly(MANAGER);
    ui.press(Input::Enter);
    ui.type_slowly(MANAGER_PIN);
    ui.press(Input::Enter);
    assert_eq!(ui.app.screen, Screen::Menu, "{:?}", ui.app.status);
}

fn counting(ui: &Ui) -> (&pos_app::engine::CountView, Option<&pos_app::engine::CountItem>) {
    match &ui.app.screen {
        Screen::Count(c) => match &**c {
            CountScreen::Counting { view, item } => (view, item.as_deref()),
            other => panic!("not counting: {other:?}"),
        },
        other => panic!("not the count screen: {other:?}"),
    }
}

fn scanner(ui: &mut Ui, code: &str) {
    let scan = Scan { code: code.into(), symbology: Symbology::Ean13, gtin: None };
    let _ = ui.app.update(Message::Scanner(ScannerEvent::Scan(scan)));
    ui.settle();
}

#[test]
fn a_manager_counts_with_the_scanner_scan_quantity_next() {
    let mut ui = with_stock(Lang::ZhCn);
    manager_in_the_back_office(&mut ui);
    ui.press(Input::F(11));
    let (view, item) = counting(&ui);
    assert_eq!((view.count.id, item), (41, None), "the one open count opens at once");

    // Scan: the item waits for its quantity; Enter counts one.
    scanner(&mut ui, COLA);
    assert_eq!(counting(&ui).1.map(|i| i.name.as_str()), Some("可口可乐 330ml"));
    ui.press(Input::Enter);
    let (view, item) = counting(&ui);
    assert_eq!((item, view.waiting, view.last[0].total), (None, 1, Qty(1_000)));
    assert!(matches!(ui.app.status, Some((Tone::Good, _))), "{:?}", ui.app.status);
    // Scan, type 11, Enter: twelve.
    scanner(&mut ui, COLA);
    ui.type_slowly("11");
    ui.press(Input::Enter);
    assert_eq!(counting(&ui).0.last[0].total, Qty(12_000));
    assert!(ui.shows("待上传"), "what waits for HQ is said");
    // A code the till does not know is refused, nothing kept; Escape drops a scanned item.
    scanner(&mut ui, &ean("690000000001"));
    assert!(matches!(ui.app.status, Some((Tone::Bad, _))), "{:?}", ui.app.status);
    scanner(&mut ui, CHIPS);
    assert!(counting(&ui).1.is_some());
    ui.press(Input::Escape);
    assert!(counting(&ui).1.is_none());
    assert_eq!(counting(&ui).0.waiting, 2);
    // Nothing went on a sale; Escape leaves to the menu.
    ui.press(Input::Escape);
    assert_eq!(ui.app.screen, Screen::Menu);
    assert!(ui.app.snap.cart.is_none());
    let store = Store::open(db_path(ui._dir.path())).expect("store");
    assert_eq!(store.pending_count_lines().expect("lines"), 2);
}

#[test]
fn a_cashier_cannot_count() {
    let mut ui = with_stock(Lang::ZhCn);
    ui.login_and_open_shift();
    ui.press(Input::F(1));
    ui.press(Input::F(11));
    assert!(matches!(ui.app.status, Some((Tone::Bad, _))), "{:?}", ui.app.status);
    assert!(!matches!(ui.app.screen, Screen::Count(_)));
}

#[test]
fn the_search_with_on_hand_and_the_count_screen_fit_1024_by_768_in_both_languages() {
    for (lang, demo) in [(Lang::ZhCn, false), (Lang::En, false), (Lang::ZhCn, true), (Lang::En, true)] {
        let mut ui = with_stock(lang);
        ui.app.demo = demo.then(super::layout::demo_panel);
        ui.login_and_open_shift();
        ui.type_slowly("p0000");
        ui.press(Input::Enter);
        let Screen::Search(hits) = &ui.app.screen else { panic!("a list: {:?}", ui.app.screen) };
        assert!(hits.len() > 2);
        let on_hand = if lang == Lang::ZhCn { "库存 12 · 14:05" } else { "12 on hand · 14:05" };
        let list = hits.iter().enumerate().map(|(i, h)| format!("{i}{:?}", h.on_hand)).collect::<String>();
        assert!(ui.shows(&format!("1. 可口可乐 330ml  ¥3.50 / 瓶  P00001  · {on_hand}")), "{list}");
        assert!(hits.iter().any(|h| h.on_hand.as_ref().is_some_and(|o| o.qty.0 == -3_000)));
        super::layout::check(&ui, "the search list with on hand");

        let mut ui = with_stock(lang);
        ui.app.demo = demo.then(super::layout::demo_panel);
        manager_in_the_back_office(&mut ui);
        ui.press(Input::F(11));
        scanner(&mut ui, COLA);
        ui.type_slowly("11");
        ui.press(Input::Enter);
        scanner(&mut ui, OIL);
        ui.press(Input::Enter);
        scanner(&mut ui, COLA);
        super::layout::check(&ui, "the count screen with a scanned item");
    }
}
