//! Taking money: part payments, change, refused tenders.

use super::*;

#[test]
fn a_short_cash_amount_is_a_part_payment_and_the_change_stays_up_until_the_next_sale() {
    let mut ui = Ui::new(Lang::En);
    ui.login_and_open_shift();
    for code in [OIL, OIL, COLA] {
        ui.type_slowly(code);
        ui.press(Input::Enter);
    }
    let due = ui.app.snap.cart.as_ref().expect("cart").cash_due;
    let part = Money(due.0 / 2);
    assert!(part.0 > 0 && part < due);

    // Less than is due: taken as a part payment, shown as received and still to pay; nothing
    // completes, nothing prints, the cash prompt stays up for the rest.
    ui.press(Input::F(4));
    ui.type_slowly(&part.plain());
    ui.press(Input::Enter);
    assert_eq!(ui.app.screen, Screen::Sale(Prompt::Cash));
    let cart = ui.app.snap.cart.clone().expect("the sale is still open");
    assert_eq!(cart.cash_given, part);
    assert_eq!(cart.outstanding, due - part);
    assert!(ui.devices.log().receipts.is_empty(), "nothing printed yet");
    assert!(ui.shows(&format!("Cash {part}")), "the tender is listed");
    assert!(ui.shows(&format!("Received {part}")));
    assert!(ui.shows("Still to pay"));
    assert!(ui.shows(&(due - part).to_string()));
    assert!(matches!(&ui.app.status, Some((Tone::Info, s)) if s.contains(&(due - part).to_string())));

    // Then a ¥100 note: the sale completes, change is worked out on both cash amounts.
    ui.type_slowly("100");
    ui.press(Input::Enter);
    assert_eq!(ui.app.screen, Screen::Sale(Prompt::Scan));
    let change = part + Money(10_000) - due;
    let done = ui.app.done.clone().expect("the sale is complete");
    assert_eq!(done.change, change);
    assert_eq!(done.received, part + Money(10_000));
    assert_eq!(done.tenders, vec![(TenderKind::Cash, part, 0), (TenderKind::Cash, Money(10_000), 0)]);
    let receipts = ui.devices.log().receipts;
    assert_eq!(receipts.len(), 1);
    let text = receipts[0].text(shared::receipt::PaperWidth::Mm80);
    assert!(text.contains(&change.plain()), "the receipt shows the change: {text}");
    // Change is on screen, large, and on the customer display.
    assert!(ui.shows(&change.to_string()));
    assert!(ui.shows("Change"));
    assert_eq!(ui.devices.log().change, Some((part + Money(10_000), change)));
    assert!(ui.app.status.is_none(), "not in a status line the next message overwrites: {:?}", ui.app.status);

    // A message about something else does not hide it.
    ui.press(Input::F(9));
    ui.press(Input::Escape);
    ui.type_slowly("6901234567809");
    ui.press(Input::Enter);
    assert!(matches!(&ui.app.status, Some((Tone::Bad, _))));
    assert!(ui.shows(&change.to_string()), "the change stays up");
    // The next sale's first line takes it away.
    ui.type_slowly(COLA);
    ui.press(Input::Enter);
    assert!(ui.app.done.is_none());
    assert!(!ui.shows("Change"));
}

#[test]
fn a_refused_payment_is_recorded_nowhere() {
    let mut ui = Ui::new(Lang::En);
    ui.login_and_open_shift();
    ui.type_slowly(OIL);
    ui.press(Input::Enter);
    let due = ui.app.snap.cart.as_ref().expect("cart").cash_due;
    // Stored value without a member: refused, and the sale carries no tender.
    ui.press(Input::F(14));
    ui.type_slowly("1.00");
    ui.press(Input::Enter);
    assert!(matches!(&ui.app.status, Some((Tone::Bad, _))), "{:?}", ui.app.status);
    // A card without the terminal's reference says what is missing.
    ui.press(Input::F(5));
    ui.press(Input::Enter);
    assert!(matches!(&ui.app.status, Some((Tone::Bad, s)) if s.contains("reference")), "{:?}", ui.app.status);
    let cart = ui.app.snap.cart.clone().expect("cart");
    assert!(cart.tenders.is_empty(), "{:?}", cart.tenders);
    assert_eq!(cart.outstanding, due);
    // Exact cash completes with no change.
    ui.press(Input::F(4));
    ui.press(Input::Enter);
    let done = ui.app.done.clone().expect("complete");
    assert_eq!(done.change, Money::ZERO);
    assert_eq!(done.tenders, vec![(TenderKind::Cash, due, 0)]);
}

#[test]
fn a_member_pays_with_points_and_stored_value_by_keyboard() {
    let mut ui = Ui::new(Lang::En);
    ui.login_and_open_shift();
    let phone = gold_member().phone.expect("phone").as_str().to_owned();
    ui.press(Input::F(2));
    ui.type_slowly(&phone);
    ui.press(Input::Enter);
    ui.type_slowly(OIL);
    ui.press(Input::Enter);
    let due = ui.app.snap.cart.as_ref().expect("cart").remaining;
    // Page Up: ¥1.00 by points (HQ holds 100 points).
    let _ = ui.app.update(Message::Key(
        pos_app::ui::to_input(&iced::keyboard::Key::Named(iced::keyboard::key::Named::PageUp), None).expect("a key"),
        Instant::now(),
    ));
    assert_eq!(ui.app.screen, Screen::Sale(Prompt::Points));
    ui.type_slowly("1.00");
    ui.press(Input::Enter);
    let cart = ui.app.snap.cart.clone().expect("cart");
    assert_eq!(cart.remaining, due - Money(100), "{:?}", ui.app.status);
    // Page Down, Enter alone: the rest from stored value; the sale completes.
    ui.press(Input::F(14));
    ui.press(Input::Enter);
    assert!(ui.shows("Sale complete"), "{:?}", ui.app.status);
    let receipt = ui.devices.log().receipts.last().cloned().expect("printed");
    let text = receipt.text(shared::receipt::PaperWidth::Mm80);
    // The tender lines themselves (the header's address, 人民路100号, also contains "100"):
    // 100 points paid ¥1.00, stored value the other ¥58.90 of the member price ¥59.90.
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines.contains(&"Points(100pts)                              1.00"), "{text}");
    assert!(lines.contains(&"Stored value                               58.90"), "{text}");
    // Earned on what points did not pay: ¥58.90 × 1.5 (gold) = 88.35 → 88; 5,000 − 100 + 88.
    assert!(lines.contains(&"Points used                                 -100"), "{text}");
    assert!(lines.contains(&"Points earned                                +88"), "{text}");
    assert!(lines.contains(&"Points balance                              4988"), "{text}");
}

#[test]
fn a_refused_tender_says_what_is_wrong_in_the_cashiers_language() {
    let mut ui = Ui::new(Lang::ZhCn);
    ui.login_and_open_shift();
    let phone = gold_member().phone.expect("phone").as_str().to_owned();
    ui.press(Input::F(2));
    ui.type_slowly(&phone);
    ui.press(Input::Enter);
    ui.type_slowly(OIL);
    ui.press(Input::Enter);
    let remaining = ui.app.snap.cart.as_ref().expect("cart").remaining;
    // More stored value than is due: only cash gives change, and how much may be paid.
    ui.press(Input::F(14));
    ui.type_slowly("100");
    ui.press(Input::Enter);
    let said = ui.app.status.clone().map(|(_, s)| s).unwrap_or_default();
    assert_eq!(said, format!("只有现金可以找零，最多可付 {remaining}"));
    // A card needs the terminal's reference.
    ui.press(Input::F(5));
    ui.press(Input::Enter);
    let said = ui.app.status.clone().map(|(_, s)| s).unwrap_or_default();
    assert_eq!(said, "请输入银行卡终端的参考号");
    // A card number typed as the reference is refused in Chinese, with no English in it.
    ui.press(Input::F(5));
    ui.type_slowly("4111111111111111");
    ui.press(Input::Enter);
    let said = ui.app.status.clone().map(|(_, s)| s).unwrap_or_default();
    assert!(said.starts_with("这是银行卡号"), "{said}");
    assert!(!said.chars().any(|c| c.is_ascii_alphabetic()), "no English inside Chinese: {said}");
    assert!(ui.app.snap.cart.as_ref().expect("cart").tenders.is_empty());
}

#[test]
fn login_open_shift_scan_member_and_cash_prints_the_receipt() {
    let mut ui = Ui::new(Lang::ZhCn);
    assert_eq!(ui.app.screen, Screen::Login);
    // A wrong PIN says so in the cashier's language and stays on the login screen.
    ui.type_slowly(CASHIER);
    ui.press(Input::Enter);
    ui.type_slowly("0000");
    ui.press(Input::Enter);
    assert_eq!(ui.app.screen, Screen::Login);
    assert!(matches!(&ui.app.status, Some((Tone::Bad, s)) if s.contains("密码错误")), "{:?}", ui.app.status);

    // Who is signing in is named before the PIN is typed.
    ui.type_slowly(CASHIER);
    ui.press(Input::Enter);
    assert!(ui.shows(&format!("工号: {CASHIER}  张三")), "the cashier's name");
    assert!(ui.shows("密码: "));
    ui.press(Input::Escape);
    ui.login_and_open_shift();
    let shift = ui.app.snap.shift.clone().expect("shift open");
    assert_eq!(shift.float, Money(50_000));

    // Typed barcode + Enter.
    ui.type_slowly(COLA);
    ui.press(Input::Enter);
    assert_eq!(ui.app.snap.cart.as_ref().map(|c| c.lines.len()), Some(1));
    // The member by phone number (F2).
    ui.press(Input::F(2));
    assert_eq!(ui.app.screen, Screen::Sale(Prompt::Member));
    let phone = gold_member().phone.expect("phone").as_str().to_owned();
    ui.type_slowly(&phone);
    ui.press(Input::Enter);
    let cart = ui.app.snap.cart.clone().expect("cart");
    let found = cart.member.as_ref().and_then(|m| m.snapshot.as_ref()).expect("the member HQ found");
    assert_eq!(found.phone.as_ref().map(|p| p.as_str()), Some(phone.as_str()));
    assert!(cart.points_preview > 0);

    // Cash (F4), Enter alone = exact.
    ui.press(Input::F(4));
    ui.press(Input::Enter);
    assert!(ui.app.done.is_some(), "{:?}", ui.app.status);
    assert!(ui.shows("交易完成"));
    assert!(ui.app.snap.cart.is_none() || ui.app.snap.cart.as_ref().is_some_and(|c| c.lines.is_empty()));
    let printed = ui.devices.log().receipts;
    assert_eq!(printed.len(), 1, "the receipt went to the printer");
    assert_eq!(Some(printed[0].text(shared::receipt::PaperWidth::Mm80)), ui.app.last_receipt_text());
}
