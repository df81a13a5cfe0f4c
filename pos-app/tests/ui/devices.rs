//! What the devices say on screen: the printer's state.

use super::*;

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
