//! Returns by receipt, whole or part of a line, and their refund receipts.

use super::*;

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
fn a_return_of_an_alipay_sale_goes_back_to_alipay_and_a_refusal_shows_the_providers_reason() {
    let mut ui = Ui::new(Lang::En);
    ui.login_and_open_shift();
    // Two lines paid by an Alipay code typed on the sale screen (as a scanner sends it).
    for code in [COLA, CHIPS] {
        ui.type_slowly(code);
        ui.press(Input::Enter);
    }
    ui.type_slowly("281234567890120001");
    ui.press(Input::Enter);
    let receipt = ui.app.last_receipt.clone().expect("a receipt");
    let order_no = format!("{}-1", receipt.receipt_no);

    // Line 1 back: the money goes back to Alipay; the cashier reads the refund number.
    ui.type_slowly(&receipt.receipt_no.to_string());
    ui.press(Input::Enter);
    ui.type_slowly("1");
    ui.press(Input::Enter);
    ui.type_slowly(&format!("{MANAGER} {MANAGER_PIN}"));
    ui.press(Input::Enter);
    assert!(
        matches!(&ui.app.status, Some((Tone::Good, s)) if s.contains("Alipay") && s.contains(&format!("{order_no}-R1"))),
        "{:?}",
        ui.app.status
    );
    assert_eq!(ui.hq.payment_refunds(&order_no).len(), 1);

    // The provider refuses the next: its words on screen, nothing recorded, no cash.
    ui.hq.refuse_refunds(&order_no, Some(("ACQ.SELLER_BALANCE_NOT_ENOUGH", "卖家余额不足")));
    let drawer = ui.devices.log().drawer_opens;
    ui.type_slowly(&receipt.receipt_no.to_string());
    ui.press(Input::Enter);
    ui.type_slowly("2");
    ui.press(Input::Enter);
    ui.type_slowly(&format!("{MANAGER} {MANAGER_PIN}"));
    ui.press(Input::Enter);
    assert!(
        matches!(&ui.app.status, Some((Tone::Bad, s)) if s.contains("refused the refund") && s.contains("卖家余额不足")),
        "{:?}",
        ui.app.status
    );
    assert_eq!(ui.devices.log().drawer_opens, drawer, "no cash paid instead");
    ui.type_slowly(&receipt.receipt_no.to_string());
    ui.press(Input::Enter);
    let Screen::Return(ctx) = &ui.app.screen else { panic!("{:?}", ui.app.screen) };
    assert_eq!(ctx.returnable[1], shared::money::Qty::ONE, "the chips were not returned");
}

#[test]
fn a_return_waiting_on_hq_is_listed_on_the_sync_screen_and_enter_asks_again() {
    let mut ui = Ui::new(Lang::En);
    ui.login_and_open_shift();
    ui.type_slowly(COLA);
    ui.press(Input::Enter);
    ui.type_slowly("281234567890120001");
    ui.press(Input::Enter);
    let receipt = ui.app.last_receipt.clone().expect("a receipt");
    let order_no = format!("{}-1", receipt.receipt_no);

    // HQ unreachable: the return is kept open.
    ui.hq.set_online(false);
    ui.type_slowly(&receipt.receipt_no.to_string());
    ui.press(Input::Enter);
    ui.type_slowly("1");
    ui.press(Input::Enter);
    ui.type_slowly(&format!("{MANAGER} {MANAGER_PIN}"));
    ui.press(Input::Enter);
    assert!(matches!(&ui.app.status, Some((Tone::Bad, s)) if s.contains("not confirmed")), "{:?}", ui.app.status);

    // F1 → F7: the sync screen lists it, its part waiting, and says Enter asks again.
    ui.press(Input::F(1));
    ui.press(Input::F(7));
    let Screen::Info(_, lines) = &ui.app.screen else { panic!("{:?}", ui.app.screen) };
    assert!(lines.iter().any(|l| l.contains("press Enter to ask again")), "{lines:?}");
    assert!(
        lines.iter().any(|l| l.starts_with("Return ") && l.contains("Alipay") && l.contains("waiting for an answer")),
        "{lines:?}"
    );
    ui.hq.set_online(true);
    ui.press(Input::Enter);
    let Screen::Info(_, lines) = &ui.app.screen else { panic!("{:?}", ui.app.screen) };
    assert!(lines.iter().any(|l| l.contains("return done")), "{lines:?}");
    assert_eq!(ui.hq.payment_refunds(&order_no).len(), 1, "one refund, under the number written before");
    assert!(ui.shows("Returns waiting on their refunds"));

    // Asked again with nothing waiting: the cashier is told so.
    ui.press(Input::Escape);
    ui.press(Input::F(1));
    ui.press(Input::F(7));
    ui.press(Input::Enter);
    assert!(
        matches!(&ui.app.status, Some((Tone::Good, s)) if s.contains("No return is waiting")),
        "{:?}",
        ui.app.status
    );
}
