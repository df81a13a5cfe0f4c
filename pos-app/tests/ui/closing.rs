//! Shifts and the day: X and Z reports, the blind count, day end and unlocking from the login screen.

use super::*;

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

/// A denomination's line on the count screen before anything is counted (not the one in focus).
fn count_line(label: &str) -> String {
    format!("   {label:<6} × {:>5} = {}", 0, Money::ZERO)
}
