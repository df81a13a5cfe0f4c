//! The complaint screen (manager's menu, F10 or 0): the category by its number, the receipt this
//! till printed last, the member on the sale, and what the customer says typed into a text field
//! (keys, and Chinese committed by the platform's input method); Enter saves it for HQ and the
//! status line says so. Keys typed into the field never reach the till's own keys.

use iced::widget::Id;
use iced_test::core::input_method;
use pos_app::store::Store;
use pos_app::ui::{ComplaintScreen, TEXT_FIELD, key_message};
use shared::complaints::Category;

use super::*;

fn with_categories(lang: Lang) -> Ui {
    let ui = Ui::new(lang);
    let categories = [
        Category { id: 3, name: "商品质量".into(), due_hours: 48, active: true },
        Category { id: 5, name: "服务态度".into(), due_hours: 24, active: true },
    ];
    Store::open(db_path(ui._dir.path())).expect("store").replace_complaint_categories(&categories).expect("categories");
    ui
}

fn complaint(ui: &Ui) -> &ComplaintScreen {
    match &ui.app.screen {
        Screen::Complaint(c) => c,
        other => panic!("not the complaint screen: {other:?}"),
    }
}

/// Types `keys` and then commits `ime` (as an input method does) into the focused text field, in
/// iced_test's simulator; applies what the field said. Every key the field took is one the till's
/// key subscription drops.
fn type_into_the_field(ui: &mut Ui, keys: &str, ime: &str) {
    let messages: Vec<Message> = {
        let mut sim = iced_test::simulator(ui.app.view());
        sim.click(Id::new(TEXT_FIELD)).expect("the text field");
        let events: Vec<iced::Event> = iced_test::simulator::typewrite(keys).collect();
        let statuses = sim.simulate(events.clone());
        for (event, status) in events.into_iter().zip(statuses) {
            if let iced::Event::Keyboard(iced::keyboard::Event::KeyPressed { .. }) = &event {
                assert_eq!(status, iced::event::Status::Captured, "the field takes {event:?}");
                assert!(key_message(event, status, iced::window::Id::unique()).is_none(), "the till's keys do not");
            }
        }
        let commit = iced::Event::InputMethod(input_method::Event::Commit(ime.into()));
        let status = sim.simulate([commit]);
        assert_eq!(status, vec![iced::event::Status::Captured], "the field takes the input method's text");
        sim.into_messages().collect()
    };
    assert!(!messages.is_empty(), "the field said nothing");
    for m in messages {
        let _ = ui.app.update(m);
    }
    ui.settle();
}

#[test]
fn a_complaint_is_typed_and_saved_from_the_managers_menu() {
    let mut ui = with_categories(Lang::ZhCn);
    ui.login_and_open_shift();
    // A sale, so the till has a last receipt; the member on the next sale.
    ui.type_slowly(COLA);
    ui.press(Input::Enter);
    ui.press(Input::F(4));
    ui.press(Input::Enter);
    let receipt = ui.app.done.as_ref().expect("the sale completed").receipt.receipt_no.to_string();
    ui.type_slowly(COLA);
    ui.press(Input::Enter);
    ui.press(Input::F(2));
    ui.type_slowly(&ui.member.code.to_string());
    ui.press(Input::Enter);
    assert!(ui.app.snap.cart.as_ref().and_then(|c| c.member.as_ref()).is_some(), "{:?}", ui.app.status);

    // Manager's menu, then 0 (F10): the complaint screen with the categories numbered.
    ui.press(Input::F(1));
    assert!(ui.shows("0  记录投诉  F10"));
    ui.type_slowly("0");
    ui.settle();
    let c = complaint(&ui);
    assert_eq!(c.receipt, receipt, "the last receipt to start with");
    assert!(c.with_member && c.form.member.as_ref().is_some_and(|(id, _)| *id == ui.member.id));
    assert!(ui.shows("1  商品质量") && ui.shows("2  服务态度"));

    // Enter before anything is picked: told what is missing, nothing sent.
    ui.press(Input::Enter);
    assert_eq!(ui.app.status.as_ref().map(|s| s.1.as_str()), Some("请先按数字选择类别"));
    // A keyboard-wedge scanner reads a receipt's barcode: its digits pick nothing, the receipt is it.
    let mut at = Instant::now() + Duration::from_secs(120);
    for c in "B001-01-000042".chars() {
        at += Duration::from_millis(5);
        let _ = ui.app.update(Message::Key(Input::Char(c), at));
    }
    let _ = ui.app.update(Message::Key(Input::Enter, at + Duration::from_millis(5)));
    ui.settle();
    assert_eq!((complaint(&ui).receipt.as_str(), complaint(&ui).category), ("B001-01-000042", None));
    let _ = ui.app.update(Message::Complaint(pos_app::ui::ComplaintMsg::Receipt(receipt.clone())));
    // 2, typed by a person, picks 服务态度 (the key goes to the screen: no field has the focus yet).
    let _ = ui.app.update(Message::Key(Input::Char('2'), at + Duration::from_secs(1)));
    assert_eq!(complaint(&ui).category, Some(5));
    type_into_the_field(&mut ui, "12 ", "找零少了五元");
    assert_eq!(complaint(&ui).text, "12 找零少了五元");
    assert_eq!(complaint(&ui).category, Some(5), "the digits typed went into the text, not the category");
    assert!(ui.app.entry.is_empty(), "nor onto the entry line");

    ui.press(Input::Enter);
    assert_eq!(ui.app.screen, Screen::Sale(Prompt::Scan));
    let (tone, said) = ui.app.status.clone().expect("the status line");
    assert_eq!((tone, said.as_str()), (Tone::Good, "投诉已保存，将随同步发送总部；待发 1"));
    let kept = Store::open(db_path(ui._dir.path())).expect("store").pending_complaints(10).expect("pending");
    assert_eq!(kept.len(), 1);
    let body = &kept[0].body;
    assert_eq!((body.category_id, body.text.as_str()), (Some(5), "12 找零少了五元"));
    assert_eq!((body.receipt_no.as_deref(), body.member_id), (Some(&*receipt), Some(ui.member.id)));
}

#[test]
fn escape_goes_back_and_a_bad_receipt_is_refused_on_the_screen() {
    let mut ui = with_categories(Lang::En);
    ui.login_and_open_shift();
    ui.press(Input::F(1));
    ui.press(Input::F(10));
    assert!(ui.shows("Record a customer complaint"));
    let c = complaint(&ui);
    assert!(c.receipt.is_empty() && c.form.member.is_none(), "no sale yet, no member");
    ui.press(Input::Char('1'));
    type_into_the_field(&mut ui, "The milk was sour", "");
    let _ = ui.app.update(Message::Complaint(pos_app::ui::ComplaintMsg::Receipt("B001-1-7".into())));
    ui.press(Input::Enter);
    assert_eq!(
        ui.app.status.as_ref().map(|s| s.1.as_str()),
        Some("That is not a receipt number (like B001-01-000123)")
    );
    assert_eq!(complaint(&ui).text, "The milk was sour", "what was typed stays");
    ui.press(Input::Escape);
    assert_eq!(ui.app.screen, Screen::Menu);
    let kept = Store::open(db_path(ui._dir.path())).expect("store").all_complaints(10).expect("complaints");
    assert!(kept.is_empty(), "nothing was saved");
}
