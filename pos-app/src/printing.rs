//! The receipt printer as the till follows it: its real state for the status bar (paper out is
//! not "connected"), and recovery: receipts held because the printer could not print are printed
//! again by themselves once it can.
//!
//! [`follow`] is the decision, a pure function of the last state and an event; [`watch`] is the
//! thread that applies it to a driver and hands every event on to the UI.

use device_drivers::Events;
use device_drivers::printer::{PrintFailure, Printer, PrinterEvent, PrinterProblem};

/// What the till knows of its printer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PrinterState {
    /// Nothing heard yet.
    #[default]
    Unknown,
    Ready,
    /// Connected but cannot print (out of paper, cover open, ...).
    Problem(PrinterProblem),
    Disconnected,
}

/// What the till should do after a printer event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Followed {
    pub state: PrinterState,
    /// The printer can print again after it could not: print the held receipts now.
    pub reprint_held: bool,
}

/// The printer's state after `event`, and whether the held receipts should print again.
pub fn follow(state: PrinterState, event: &PrinterEvent) -> Followed {
    let down = matches!(state, PrinterState::Problem(_) | PrinterState::Disconnected);
    let next = match event {
        PrinterEvent::Connected { .. } => PrinterState::Ready,
        PrinterEvent::Disconnected { .. } => PrinterState::Disconnected,
        PrinterEvent::Status(s) => s.problem().map_or(PrinterState::Ready, PrinterState::Problem),
        PrinterEvent::Printed { .. } => PrinterState::Ready,
        PrinterEvent::Failed { reason, .. } | PrinterEvent::DrawerFailed { reason } => match reason {
            PrintFailure::Printer(p) => PrinterState::Problem(*p),
            PrintFailure::NotConnected(_) | PrintFailure::Link(_) => PrinterState::Disconnected,
        },
        PrinterEvent::DrawerOpened { .. } => state,
    };
    Followed { state: next, reprint_held: down && next == PrinterState::Ready }
}

/// Follows `printer`'s events on a thread of its own: held receipts are put back in the queue
/// when the printer recovers, and every event goes on to the returned receiver (the UI's).
pub fn watch(printer: Printer, mut events: Events<PrinterEvent>) -> Events<PrinterEvent> {
    let (tx, rx) = tokio::sync::mpsc::channel(device_drivers::EVENT_CAPACITY);
    std::thread::Builder::new()
        .name("printer-watch".into())
        .spawn(move || {
            let mut state = PrinterState::Unknown;
            while let Some(event) = events.blocking_recv() {
                let followed = follow(state, &event);
                state = followed.state;
                if followed.reprint_held {
                    for held in printer.held_jobs() {
                        tracing::info!(job = %held.job, label = %held.label, "printing a held receipt again");
                        printer.reprint(held.job);
                    }
                }
                if tx.blocking_send(event).is_err() {
                    return;
                }
            }
        })
        .expect("spawn the printer watch");
    rx
}

#[cfg(test)]
mod tests {
    use device_drivers::printer::{JobId, PrinterStatus};
    use device_drivers::transport::TransportError;

    use super::*;

    fn check(state: PrinterState, event: PrinterEvent, expected: PrinterState, reprint: bool) {
        assert_eq!(follow(state, &event), Followed { state: expected, reprint_held: reprint }, "{event:?}");
    }

    #[test]
    fn held_receipts_print_again_when_the_printer_can_print_again() {
        let paper_out = PrinterStatus { paper_end: true, ..PrinterStatus::default() };
        let out = PrinterState::Problem(PrinterProblem::PaperEnd);
        use PrinterState::*;
        check(Unknown, PrinterEvent::Status(PrinterStatus::default()), Ready, false);
        check(Ready, PrinterEvent::Status(paper_out), out, false);
        check(out, PrinterEvent::Status(paper_out), out, false);
        // Paper loaded: the status poll says so, the held receipt goes back in the queue.
        check(out, PrinterEvent::Status(PrinterStatus::default()), Ready, true);
        check(Ready, PrinterEvent::Status(PrinterStatus::default()), Ready, false);
        let failed = PrinterEvent::Failed { job: JobId(3), reason: PrintFailure::Printer(PrinterProblem::PaperEnd) };
        check(Ready, failed, out, false);
        let gone = TransportError::Closed { port: "p".into() };
        check(Ready, PrinterEvent::Disconnected { reason: gone }, Disconnected, false);
        check(Disconnected, PrinterEvent::Connected { port: "p".into() }, Ready, true);
        check(out, PrinterEvent::Printed { job: JobId(4) }, Ready, true);
    }
}
