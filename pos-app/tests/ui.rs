//! The till app's flows, driven through `App::update` with the keys a cashier presses, over the
//! real engine thread and a real SQLite file (HQ is the in-memory fake of the engine's tests).
//! Replies from the engine thread are fed back into `update` as the iced runtime would.

mod common;

use std::time::{Duration, Instant};

use shared::sale::TenderKind;

use common::*;
use device_drivers::card_reader::{CardEvent, CardRead, CardReaderParser};
use pos_app::peripherals::RecordingDevices;
use pos_app::ui::worker::{Engine, Replies};
use pos_app::ui::{App, Input, Message, Prompt, Screen, Tone};
use shared::lang::Lang;
use shared::money::Money;

struct Ui {
    app: App,
    replies: Replies,
    devices: RecordingDevices,
    _dir: tempfile::TempDir,
}

impl Ui {
    fn new(lang: Lang) -> Ui {
        Ui::with_branch(lang, |_| {})
    }

    /// A till whose branch settings were changed by `change` (as HQ would send them).
    fn with_branch(lang: Lang, change: impl FnOnce(&mut shared::branch::BranchSettings)) -> Ui {
        let t = TestTill::new();
        let mut b = branch();
        change(&mut b);
        t.store().apply_changes(&[shared::sync::Change::Branch(b)]).expect("the branch's settings");
        let TestTill { dir, till, devices, .. } = t;
        let (engine, replies) = Engine::spawn(till);
        let mut app = App::new(engine, replies, lang);
        // The test reads the replies itself instead of the iced subscription.
        let replies = app.sources.replies.take().and_then(|s| s.take()).expect("replies");
        let mut ui = Ui { app, replies, devices, _dir: dir };
        ui.settle();
        ui
    }

    /// Feeds the engine's replies into `update` until every command sent has its answer.
    fn settle(&mut self) {
        while self.app.pending > 0 {
            let r = self.replies.blocking_recv().expect("the engine stopped");
            let _ = self.app.update(Message::Engine(Box::new(r)));
        }
    }

    /// Types like a person: a pause between keys, so no burst looks like a scanner.
    fn type_slowly(&mut self, s: &str) {
        let mut at = Instant::now();
        for c in s.chars() {
            at += Duration::from_millis(200);
            let _ = self.app.update(Message::Key(Input::Char(c), at));
        }
    }

    fn press(&mut self, input: Input) {
        let _ = self.app.update(Message::Key(input, Instant::now() + Duration::from_secs(60)));
        self.settle();
    }

    /// Clicks the button labelled `label` in the rendered view (iced_test's simulator), and
    /// applies what it produced.
    fn click(&mut self, label: &str) {
        let messages: Vec<Message> = {
            let mut sim = iced_test::simulator(self.app.view());
            sim.click(label).unwrap_or_else(|e| panic!("no button {label:?} on {:?}: {e}", self.app.screen));
            sim.into_messages().collect()
        };
        assert!(!messages.is_empty(), "{label:?} did nothing");
        for m in messages {
            let _ = self.app.update(m);
        }
        self.settle();
    }

    /// Whether the rendered view shows `text` exactly.
    fn shows(&self, text: &str) -> bool {
        iced_test::simulator(self.app.view()).find(text).is_ok()
    }

    fn login_and_open_shift(&mut self) {
        self.type_slowly(CASHIER);
        self.press(Input::Enter);
        self.type_slowly(CASHIER_PIN);
        self.press(Input::Enter);
        assert_eq!(self.app.screen, Screen::OpenShift);
        // 5 × ¥100 on the first field, Enter opens.
        self.type_slowly("5");
        self.press(Input::Enter);
        assert_eq!(self.app.screen, Screen::Sale(Prompt::Scan));
    }
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

#[test]
fn a_wedge_scanner_burst_is_a_scan_even_while_the_cash_prompt_is_up() {
    let mut ui = Ui::new(Lang::En);
    ui.login_and_open_shift();
    ui.press(Input::F(4));
    assert_eq!(ui.app.screen, Screen::Sale(Prompt::Cash));
    // A scanner types 13 digits and Enter within milliseconds.
    let mut at = Instant::now() + Duration::from_secs(120);
    for c in CHIPS.chars() {
        at += Duration::from_millis(3);
        let _ = ui.app.update(Message::Key(Input::Char(c), at));
    }
    at += Duration::from_millis(3);
    let _ = ui.app.update(Message::Key(Input::Enter, at));
    ui.settle();
    assert_eq!(ui.app.snap.cart.as_ref().map(|c| c.lines.len()), Some(1), "the burst became a line");
    assert_eq!(ui.app.entry, "", "and its digits did not stay in the cash entry");
}

#[test]
fn an_unknown_barcode_and_a_bank_card_are_explained_and_change_nothing() {
    let mut ui = Ui::new(Lang::En);
    ui.login_and_open_shift();
    ui.type_slowly("6901234567809");
    ui.press(Input::Enter);
    assert!(matches!(&ui.app.status, Some((Tone::Bad, s)) if s.contains("No product has this barcode")));
    assert!(ui.app.snap.cart.as_ref().is_none_or(|c| c.lines.is_empty()));
    // A bank card swiped on the member reader, as the reader's parser reads it.
    let read = CardReaderParser::new().feed(b";4111111111111111=2512101000000000?\r");
    let Some(CardRead::BankCardRejected(rejected)) = read.into_iter().next() else { panic!("a bank card") };
    let _ = ui.app.update(Message::Card(CardEvent::BankCardRejected(rejected)));
    assert!(
        matches!(&ui.app.status, Some((Tone::Bad, s)) if s.contains("payment terminal") && s.contains("411111******1111")),
        "{:?}",
        ui.app.status
    );
    assert!(ui.app.snap.cart.as_ref().is_none_or(|c| c.member.is_none()));
}

#[test]
fn blind_close_shows_the_z_report_and_f12_switches_language() {
    let mut ui = Ui::new(Lang::ZhCn);
    ui.login_and_open_shift();
    ui.type_slowly(OIL);
    ui.press(Input::Enter);
    ui.press(Input::F(4));
    ui.type_slowly("100");
    ui.press(Input::Enter);
    // English from here.
    ui.press(Input::F(12));
    assert_eq!(ui.app.lang, Lang::En);
    ui.press(Input::F(10));
    assert_eq!(ui.app.screen, Screen::CloseShift);
    // Count 5 × ¥100 and nothing else: short by what the sale took in.
    ui.type_slowly("5");
    ui.press(Input::Enter);
    let Screen::ZReport(report, number) = ui.app.screen.clone() else { panic!("{:?}", ui.app.screen) };
    assert!(number > 0);
    assert_eq!(report.counted, Some(Money(50_000)));
    assert_eq!(report.over_short, Some(Money(50_000) - report.expected));
    assert!(report.expected > Money(50_000));
    ui.press(Input::Enter);
    assert_eq!(ui.app.screen, Screen::Login);
}

#[test]
fn a_return_by_receipt_hold_and_recall_and_a_paid_out_from_the_manager_menu() {
    let mut ui = Ui::new(Lang::En);
    ui.login_and_open_shift();
    // A sale of two lines, paid in cash.
    for code in [COLA, CHIPS] {
        ui.type_slowly(code);
        ui.press(Input::Enter);
    }
    ui.press(Input::F(4));
    ui.press(Input::Enter);
    let receipt = ui.app.last_receipt.clone().expect("a receipt");

    // Hold a sale and bring it back.
    ui.type_slowly(OIL);
    ui.press(Input::Enter);
    ui.press(Input::F(8));
    assert!(ui.app.snap.cart.as_ref().is_none_or(|c| c.lines.is_empty()), "held");
    ui.press(Input::F(8));
    let Screen::Held(list) = &ui.app.screen else { panic!("{:?}", ui.app.screen) };
    assert_eq!(list.len(), 1);
    ui.type_slowly("1");
    ui.press(Input::Enter);
    assert_eq!(ui.app.snap.cart.as_ref().map(|c| c.lines.len()), Some(1), "recalled");
    ui.press(Input::F(7));
    assert_eq!(ui.app.screen, Screen::Sale(Prompt::Manager));
    ui.type_slowly(&format!("{MANAGER} {MANAGER_PIN}"));
    ui.press(Input::Enter);
    assert!(ui.app.snap.cart.as_ref().is_none_or(|c| c.lines.is_empty()), "voided with approval");

    // The receipt's barcode scanned on the sale screen starts a return; line 2 goes back.
    ui.type_slowly(&receipt.receipt_no.to_string());
    ui.press(Input::Enter);
    let Screen::Return(ctx) = &ui.app.screen else { panic!("{:?} {:?}", ui.app.screen, ui.app.status) };
    assert_eq!(ctx.sale.lines.len(), 2);
    let chips = ctx.sale.lines[1].net;
    ui.type_slowly("2");
    ui.press(Input::Enter);
    assert_eq!(ui.app.screen, Screen::Sale(Prompt::Manager));
    // A cashier's own PIN is not a manager's approval.
    ui.type_slowly(&format!("{CASHIER} {CASHIER_PIN}"));
    ui.press(Input::Enter);
    assert!(matches!(&ui.app.status, Some((Tone::Bad, _))), "{:?}", ui.app.status);
    ui.type_slowly(&receipt.receipt_no.to_string());
    ui.press(Input::Enter);
    ui.type_slowly("2");
    ui.press(Input::Enter);
    ui.type_slowly(&format!("{MANAGER} {MANAGER_PIN}"));
    ui.press(Input::Enter);
    assert!(
        matches!(&ui.app.status, Some((Tone::Good, s)) if s.contains("Refund done") && s.contains(&chips.to_string())),
        "{:?}",
        ui.app.status
    );

    // Paid-out from the manager menu: F1, 2, amount, manager.
    ui.press(Input::F(1));
    assert_eq!(ui.app.screen, Screen::Menu);
    ui.type_slowly("2");
    assert_eq!(ui.app.screen, Screen::Sale(Prompt::PaidOut));
    ui.type_slowly("12.50");
    ui.press(Input::Enter);
    ui.type_slowly(&format!("{MANAGER} {MANAGER_PIN}"));
    ui.press(Input::Enter);
    ui.press(Input::F(9));
    let Screen::XReport(x) = &ui.app.screen else { panic!("{:?}", ui.app.screen) };
    assert_eq!(x.paid_out, Money(1250));
    assert_eq!(x.refunds_count, 1);
}

#[test]
fn the_rendered_screens_work_by_mouse_and_touch_too() {
    let mut ui = Ui::new(Lang::En);
    assert!(ui.shows("Cashier login"));
    // The PIN pad: 1001, Enter, 1234, Enter.
    for digit in CASHIER.chars() {
        ui.click(&digit.to_string());
    }
    ui.click("Sign in  Enter");
    for digit in CASHIER_PIN.chars() {
        ui.click(&digit.to_string());
    }
    ui.click("Sign in  Enter");
    assert_eq!(ui.app.screen, Screen::OpenShift);
    assert!(ui.shows("Open shift: count the float"));
    ui.type_slowly("3");
    ui.click("Open shift  Enter");
    assert!(ui.shows("Waiting for the first item"));

    ui.type_slowly(OIL);
    ui.press(Input::Enter);
    let due = ui.app.snap.cart.as_ref().expect("cart").cash_due;
    assert!(ui.shows(&format!("Due {due}")));
    ui.click("Cash  F4");
    assert!(ui.shows("Type the cash handed over, Enter to finish (Enter alone = exact)"));
    ui.press(Input::Enter);
    assert_eq!(ui.devices.log().receipts.len(), 1, "printed");

    // A return: the receipt's number, the return screen lists its lines, * takes them all back.
    let receipt = ui.app.last_receipt.clone().expect("receipt").receipt_no.to_string();
    ui.type_slowly(&receipt);
    ui.press(Input::Enter);
    assert!(ui.shows(&format!("Return: receipt {receipt}")), "{:?}", ui.app.screen);
    ui.type_slowly("*");
    ui.press(Input::Enter);
    assert!(ui.shows("A manager must approve: type login, space, PIN, then Enter"));
    ui.type_slowly(&format!("{MANAGER} {MANAGER_PIN}"));
    ui.press(Input::Enter);
    assert!(matches!(&ui.app.status, Some((Tone::Good, s)) if s.contains("Refund done")), "{:?}", ui.app.status);
    assert_eq!(ui.devices.log().receipts.len(), 2, "the refund printed");

    ui.click("X report  F9");
    assert!(ui.shows("X report (shift stays open)"));
    ui.click("Back  Esc");
    ui.click("Close shift  F10");
    assert!(ui.shows("Close shift: blind cash count"));
    ui.type_slowly("3");
    ui.press(Input::Enter);
    assert!(matches!(ui.app.screen, Screen::ZReport(..)), "{:?}", ui.app.screen);
    // The Z report's figures are on screen.
    let Screen::ZReport(z, _) = ui.app.screen.clone() else { unreachable!() };
    assert!(ui.shows(&format!("Over / short: {}", z.over_short.expect("counted"))));
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
    assert!(text.contains("100"), "the points used are on the receipt: {text}");
}

#[test]
fn the_settings_of_a_till_without_a_config_file_say_so() {
    let mut ui = Ui::new(Lang::En);
    ui.login_and_open_shift();
    ui.press(Input::F(1));
    assert!(ui.shows("8  Settings: devices  F8"));
    ui.type_slowly("8");
    // This app was handed an engine, not a till database (as in the demo): nothing to set.
    assert!(matches!(&ui.app.status, Some((Tone::Info, s)) if s.contains("simulated")), "{:?}", ui.app.status);
    assert_eq!(ui.app.screen, Screen::Sale(Prompt::Scan));
}

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
fn the_z_report_prints_and_a_manager_closes_the_day_from_the_login_screen() {
    let mut ui = Ui::new(Lang::En);
    ui.login_and_open_shift();
    ui.type_slowly(OIL);
    ui.press(Input::Enter);
    ui.press(Input::F(4));
    ui.press(Input::Enter);
    // A cashier's X report has every figure but the expected cash: they count blind.
    ui.press(Input::F(9));
    let Screen::XReport(x) = ui.app.screen.clone() else { panic!("{:?}", ui.app.screen) };
    assert!(ui.shows("Sales: 1"));
    assert!(ui.shows(&format!("Net: {}", x.net)));
    assert!(ui.shows("No-sale drawer opens: 0"));
    assert!(!ui.shows(&format!("Expected cash: {}", x.expected)), "a cashier sees no expected cash");
    ui.press(Input::Escape);

    // The close prints the Z report with what the spec lists.
    ui.press(Input::F(10));
    ui.type_slowly("5");
    ui.press(Input::Enter);
    let Screen::ZReport(z, number) = ui.app.screen.clone() else { panic!("{:?}", ui.app.screen) };
    let reports = ui.devices.log().reports;
    assert_eq!(reports.len(), 1, "the Z report went to the printer");
    assert_eq!(reports[0].title, format!("Z report #{number}"));
    let over_short = ("Over / short".to_owned(), z.over_short.expect("counted").to_string());
    assert!(reports[0].rows.contains(&over_short), "{:?}", reports[0].rows);
    assert!(ui.shows("Z report printed: done  Enter"));
    ui.press(Input::Enter);
    assert_eq!(ui.app.screen, Screen::Login);

    // F1 on the login screen: a manager signs in to the menu, no shift opened.
    ui.press(Input::F(1));
    assert!(ui.shows("Manager login: the manager menu"));
    ui.type_slowly(MANAGER);
    ui.press(Input::Enter);
    ui.type_slowly(MANAGER_PIN);
    ui.press(Input::Enter);
    assert_eq!(ui.app.screen, Screen::Menu, "{:?}", ui.app.status);
    assert!(ui.app.snap.shift.is_none());
    ui.type_slowly("6");
    ui.settle();
    let Screen::Info(_, lines) = ui.app.screen.clone() else { panic!("{:?} {:?}", ui.app.screen, ui.app.status) };
    assert!(lines.iter().any(|l| l.ends_with(": 1")), "one sale that day: {lines:?}");
    // Done twice is refused, in words.
    ui.press(Input::Escape);
    assert_eq!(ui.app.screen, Screen::Menu);
    ui.type_slowly("6");
    ui.settle();
    assert!(
        matches!(&ui.app.status, Some((Tone::Bad, s)) if s == "That business day is already closed"),
        "{:?}",
        ui.app.status
    );
    ui.press(Input::Escape);
    ui.press(Input::Escape);
    assert_eq!(ui.app.screen, Screen::Login);
    assert!(ui.app.snap.staff.is_none(), "the manager is signed out");
}

#[test]
fn a_locked_out_cashier_is_told_until_when_and_a_manager_unlocks_them_at_the_till() {
    let mut ui = Ui::new(Lang::En);
    for _ in 0..5 {
        ui.type_slowly(CASHIER);
        ui.press(Input::Enter);
        ui.type_slowly("0000");
        ui.press(Input::Enter);
    }
    assert!(
        matches!(&ui.app.status, Some((Tone::Bad, s)) if s.contains("locked until ") && s.contains(':')),
        "{:?}",
        ui.app.status
    );
    // A cashier cannot use the manager's way in.
    ui.press(Input::F(1));
    ui.type_slowly(CASHIER2);
    ui.press(Input::Enter);
    ui.type_slowly(CASHIER_PIN);
    ui.press(Input::Enter);
    assert_eq!(ui.app.screen, Screen::Login);
    assert!(ui.app.snap.staff.is_none());

    ui.press(Input::F(1));
    ui.type_slowly(MANAGER);
    ui.press(Input::Enter);
    ui.type_slowly(MANAGER_PIN);
    ui.press(Input::Enter);
    assert_eq!(ui.app.screen, Screen::Menu);
    ui.type_slowly("9");
    assert_eq!(ui.app.screen, Screen::Sale(Prompt::UnlockWho));
    ui.type_slowly(CASHIER);
    ui.press(Input::Enter);
    assert!(matches!(&ui.app.status, Some((Tone::Good, s)) if s.contains(CASHIER)), "{:?}", ui.app.status);
    assert_eq!(ui.app.screen, Screen::Menu);
    ui.press(Input::Escape);
    assert_eq!(ui.app.screen, Screen::Login);
    ui.login_and_open_shift();
}

#[test]
fn a_branch_that_does_not_round_cash_counts_its_drawer_to_the_fen() {
    let mut ui = Ui::with_branch(Lang::En, |b| b.cash_rounding = shared::pricing::CashRounding::None);
    ui.login_and_open_shift();
    ui.type_slowly(OIL);
    ui.press(Input::Enter);
    let due = ui.app.snap.cart.as_ref().expect("cart").cash_due;
    ui.press(Input::F(4));
    ui.press(Input::Enter);
    assert_eq!(ui.app.done.as_ref().map(|d| d.change), Some(Money::ZERO));
    ui.press(Input::F(10));
    assert!(ui.shows(&count_line("¥0.01")), "fen coins are on the count");
    // The drawer: the ¥500 float and the sale, counted note by note down to the fen.
    let mut left = Money(50_000) + due;
    for d in shared::shift::Denomination::ALL {
        let n = left.0 / d.value().0;
        left = Money(left.0 - n * d.value().0);
        ui.type_slowly(&n.to_string());
        ui.press(Input::Tab);
    }
    assert_eq!(left, Money::ZERO);
    ui.press(Input::Enter);
    let Screen::ZReport(z, _) = ui.app.screen.clone() else { panic!("{:?} {:?}", ui.app.screen, ui.app.status) };
    assert_eq!(z.over_short, Some(Money::ZERO), "not a fen short");
}

#[test]
fn a_branch_that_rounds_cash_counts_to_the_jiao() {
    let mut ui = Ui::new(Lang::En);
    ui.login_and_open_shift();
    ui.press(Input::F(10));
    assert_eq!(ui.app.screen, Screen::CloseShift);
    assert!(ui.shows(&count_line("¥0.1")));
    assert!(!ui.shows(&count_line("¥0.01")), "no fen coins where cash is rounded to the jiao");
}

/// A denomination's line on the count screen before anything is counted (not the one in focus).
fn count_line(label: &str) -> String {
    format!("   {label:<6} × {:>5} = {}", 0, Money::ZERO)
}

#[test]
fn the_header_says_the_printer_is_out_of_paper_and_the_change_stays_up() {
    use device_drivers::printer::{JobId, PrintFailure, PrinterEvent, PrinterProblem, PrinterStatus};
    let mut ui = Ui::new(Lang::En);
    ui.login_and_open_shift();
    let _ = ui.app.update(Message::Printer(PrinterEvent::Connected { port: "/dev/ttyS0".into() }));
    assert!(ui.shows("Printer connected"));
    ui.type_slowly(OIL);
    ui.press(Input::Enter);
    ui.press(Input::F(4));
    ui.type_slowly("100");
    ui.press(Input::Enter);
    let change = ui.app.done.as_ref().expect("complete").change;
    // The paper ran out while the receipt printed: said once, and the header says so.
    let paper_out = PrinterStatus { paper_end: true, ..PrinterStatus::default() };
    let _ = ui.app.update(Message::Printer(PrinterEvent::Status(paper_out)));
    let failed = PrinterEvent::Failed { job: JobId(1), reason: PrintFailure::Printer(PrinterProblem::PaperEnd) };
    let _ = ui.app.update(Message::Printer(failed));
    assert!(ui.shows("Printer out of paper"), "not \"connected\" with no paper");
    assert!(matches!(&ui.app.status, Some((Tone::Bad, s)) if s.contains("prints again by itself")));
    assert!(ui.shows(&change.to_string()), "the change is not hidden by the printer's message");
    // Paper loaded: the header is back and the cashier is told the receipt is printing.
    let _ = ui.app.update(Message::Printer(PrinterEvent::Status(PrinterStatus::default())));
    assert!(ui.shows("Printer connected"));
    assert!(matches!(&ui.app.status, Some((Tone::Good, s)) if s.contains("held receipt is printing")));
}

#[test]
fn lines_are_picked_with_the_arrows_or_by_touch_and_removing_one_asks_once() {
    let mut ui = Ui::new(Lang::En);
    ui.login_and_open_shift();
    for code in [COLA, CHIPS, OIL] {
        ui.type_slowly(code);
        ui.press(Input::Enter);
    }
    let names: Vec<String> =
        ui.app.snap.cart.as_ref().expect("cart").lines.iter().map(|l| l.item.name.clone()).collect();
    assert_eq!(ui.app.selected_line(), Some(2), "the line just scanned");
    ui.press(Input::Up);
    assert_eq!(ui.app.selected_line(), Some(1));
    // F3 sets the picked line's quantity, not the last line's.
    ui.press(Input::F(3));
    ui.type_slowly("2");
    ui.press(Input::Enter);
    let qty = |ui: &Ui, i: usize| ui.app.snap.cart.as_ref().expect("cart").lines[i].priced.qty;
    assert_eq!(qty(&ui, 1), shared::money::Qty(2_000));
    assert_eq!(qty(&ui, 2), shared::money::Qty(1_000));

    // F6 asks; another key keeps the line; F6 twice removes the picked one.
    ui.press(Input::F(6));
    assert!(matches!(&ui.app.status, Some((Tone::Info, s)) if s.contains(&names[1])), "{:?}", ui.app.status);
    ui.press(Input::Down);
    ui.press(Input::F(6));
    assert_eq!(ui.app.snap.cart.as_ref().expect("cart").lines.len(), 3, "asked, not removed");
    ui.press(Input::F(6));
    let left: Vec<String> =
        ui.app.snap.cart.as_ref().expect("cart").lines.iter().map(|l| l.item.name.clone()).collect();
    assert_eq!(left, vec![names[0].clone(), names[1].clone()], "the picked line (the third) went");

    // By touch: the first line.
    ui.click(&names[0]);
    assert_eq!(ui.app.selected_line(), Some(0));

    // A quantity above the branch's limit is confirmed first.
    ui.press(Input::F(3));
    ui.type_slowly("1000");
    ui.press(Input::Enter);
    assert_eq!(qty(&ui, 0), shared::money::Qty(1_000), "not set yet");
    assert!(matches!(&ui.app.status, Some((Tone::Info, s)) if s.contains("Enter again")), "{:?}", ui.app.status);
    ui.press(Input::Enter);
    assert_eq!(qty(&ui, 0), shared::money::Qty(1_000_000));
    // The amount keeps to its column: it is on screen, whole.
    let net = ui.app.snap.cart.as_ref().expect("cart").lines[0].net;
    assert!(ui.shows(&net.to_string()));
}

#[test]
fn a_product_is_found_by_name_pinyin_initials_or_plu_from_the_sale_screen() {
    let mut ui = Ui::new(Lang::En);
    ui.login_and_open_shift();
    let names = |ui: &Ui| -> Vec<String> {
        ui.app.snap.cart.as_ref().map(|c| c.lines.iter().map(|l| l.item.name.clone()).collect()).unwrap_or_default()
    };
    // Pinyin initials: one product, added at once; letters are not a bad barcode.
    ui.type_slowly("kkkl");
    ui.press(Input::Enter);
    assert_eq!(names(&ui), vec!["可口可乐 330ml".to_owned()], "{:?}", ui.app.status);
    assert!(ui.app.status.is_none(), "{:?}", ui.app.status);
    // A PLU: the apples, by the kilo.
    ui.type_slowly(&APPLE_PLU.to_string());
    ui.press(Input::Enter);
    assert_eq!(names(&ui).len(), 2, "{:?}", ui.app.status);
    // A name that two products share: a list to pick from.
    ui.type_slowly("乐");
    ui.press(Input::Enter);
    let Screen::Search(hits) = ui.app.screen.clone() else { panic!("{:?} {:?}", ui.app.screen, ui.app.status) };
    assert_eq!(hits.len(), 2);
    let chips = hits.iter().position(|h| h.name.contains("薯片")).expect("the chips are listed");
    assert!(ui.shows(&format!(
        "{}. {}  {} / {}  {}",
        chips + 1,
        hits[chips].name,
        hits[chips].price,
        hits[chips].unit,
        hits[chips].code
    )));
    ui.type_slowly(&(chips + 1).to_string());
    ui.press(Input::Enter);
    assert_eq!(ui.app.screen, Screen::Sale(Prompt::Scan));
    assert_eq!(names(&ui).last().map(String::as_str), Some("乐事薯片 原味 75g"));
    // Nothing found says so.
    ui.type_slowly("zzzz");
    ui.press(Input::Enter);
    assert!(matches!(&ui.app.status, Some((Tone::Bad, s)) if s.contains("zzzz")), "{:?}", ui.app.status);
    assert_eq!(names(&ui).len(), 3);
}

#[test]
fn one_of_two_is_returned_and_the_refund_receipt_says_one_thing_per_tender() {
    let mut ui = Ui::new(Lang::En);
    ui.login_and_open_shift();
    // A member's sale of two colas, paid in two cash amounts.
    let phone = gold_member().phone.expect("phone").as_str().to_owned();
    ui.press(Input::F(2));
    ui.type_slowly(&phone);
    ui.press(Input::Enter);
    ui.type_slowly(COLA);
    ui.press(Input::Enter);
    ui.press(Input::F(3));
    ui.type_slowly("2");
    ui.press(Input::Enter);
    let due = ui.app.snap.cart.as_ref().expect("cart").cash_due;
    ui.press(Input::F(4));
    ui.type_slowly(&Money(due.0 / 2).plain());
    ui.press(Input::Enter);
    ui.press(Input::Enter);
    let sale = ui.app.done.clone().expect("complete");
    assert_eq!(sale.tenders.len(), 2);

    // One of the two comes back.
    ui.type_slowly(&sale.receipt.receipt_no.to_string());
    ui.press(Input::Enter);
    assert!(
        ui.shows("Type the lines to return (1 3; 2x1 = one of line 2) or * for all; Enter, then a manager approves")
    );
    ui.type_slowly("1x3");
    ui.press(Input::Enter);
    assert!(matches!(ui.app.screen, Screen::Return(_)), "more than was bought is not a pick");
    assert!(matches!(&ui.app.status, Some((Tone::Bad, _))));
    ui.type_slowly("1x1");
    ui.press(Input::Enter);
    ui.type_slowly(&format!("{MANAGER} {MANAGER_PIN}"));
    ui.press(Input::Enter);
    assert!(matches!(&ui.app.status, Some((Tone::Good, s)) if s.contains("Refund done")), "{:?}", ui.app.status);
    let refund = ui.devices.log().receipts.last().cloned().expect("the refund printed");
    let text = refund.text(shared::receipt::PaperWidth::Mm80);
    assert_eq!(text.lines().filter(|l| l.trim_start().starts_with("Cash")).count(), 1, "one cash line: {text}");
    assert!(text.contains("Points taken back"), "{text}");
    assert!(!text.contains("Points earned"), "{text}");

    // The other one is still returnable.
    ui.type_slowly(&sale.receipt.receipt_no.to_string());
    ui.press(Input::Enter);
    let Screen::Return(ctx) = &ui.app.screen else { panic!("{:?}", ui.app.screen) };
    assert_eq!(ctx.returnable[0], shared::money::Qty(1_000));
}

#[test]
fn hold_and_void_confirm_the_tier_is_in_words_and_f11_locks_to_the_same_cashier_pin() {
    let mut ui = Ui::new(Lang::ZhCn);
    ui.login_and_open_shift();
    let phone = gold_member().phone.expect("phone").as_str().to_owned();
    ui.press(Input::F(2));
    ui.type_slowly(&phone);
    ui.press(Input::Enter);
    ui.type_slowly(COLA);
    ui.press(Input::Enter);
    assert!(
        ui.shows(&format!("会员: 陈小姐 · 金卡会员 · 积分 5000 · 储值余额 {}", Money(22_000))),
        "the tier in words"
    );
    ui.press(Input::F(8));
    assert!(matches!(&ui.app.status, Some((Tone::Good, s)) if s.contains("已挂单")), "{:?}", ui.app.status);
    // The next action clears it.
    ui.press(Input::F(8));
    ui.press(Input::Escape);
    assert!(ui.app.status.is_none(), "{:?}", ui.app.status);
    ui.type_slowly(OIL);
    ui.press(Input::Enter);
    ui.press(Input::F(7));
    ui.type_slowly(&format!("{MANAGER} {MANAGER_PIN}"));
    ui.press(Input::Enter);
    assert!(matches!(&ui.app.status, Some((Tone::Good, s)) if s.contains("本单已取消")), "{:?}", ui.app.status);

    // F11: a PIN-only screen; another PIN does not open it, the cashier's own does.
    ui.press(Input::F(11));
    assert_eq!(ui.app.screen, Screen::Locked);
    ui.type_slowly(MANAGER_PIN);
    ui.press(Input::Enter);
    assert_eq!(ui.app.screen, Screen::Locked);
    ui.type_slowly(CASHIER_PIN);
    ui.press(Input::Enter);
    assert_eq!(ui.app.screen, Screen::Sale(Prompt::Scan));
    assert_eq!(ui.app.snap.staff.as_ref().map(|s| s.login.as_str()), Some(CASHIER));
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
fn quick_keys_set_for_the_branch_sell_goods_without_a_barcode() {
    use shared::branch::QuickKey;
    let key = |label: &str, code: &str| QuickKey { label: label.into(), product_code: code.into() };
    let mut ui = Ui::with_branch(Lang::En, |b| {
        b.quick_keys = vec![key("Apples /kg", "P00005"), key("Cola", "P00001"), key("Old biscuits", "P00006")];
    });
    ui.login_and_open_shift();
    assert!(ui.shows("Apples /kg") && ui.shows("Cola"));
    assert!(!ui.shows("Old biscuits"), "a delisted product has no key");
    ui.click("Cola");
    let cart = ui.app.snap.cart.clone().expect("cart");
    assert_eq!(cart.lines.last().map(|l| l.item.name.as_str()), Some("可口可乐 330ml"));
    // Sold by weight: the weight is asked next.
    ui.click("Apples /kg");
    assert_eq!(ui.app.screen, Screen::Sale(Prompt::Qty));
    ui.type_slowly("0.75");
    ui.press(Input::Enter);
    let line = ui.app.snap.cart.as_ref().expect("cart").lines.last().cloned().expect("apples");
    assert_eq!(line.item.name, "红富士苹果");
    assert_eq!(line.priced.qty, shared::money::Qty(750));
}
