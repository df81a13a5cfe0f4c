//! What the engine asks of the till's devices once a sale is on disk: print the receipt, open the
//! drawer, show the customer the last item and the total. The app connects these to the device
//! drivers' print queue and display; the calls must not block (a queue takes the work).

use std::sync::{Arc, Mutex};

use shared::money::Money;
use shared::receipt::{Receipt, ReportSlip};

pub trait Peripherals: Send {
    /// Queues a receipt for printing. Called only after the sale or refund is durable.
    fn print(&self, receipt: &Receipt);
    /// Kicks the cash drawer open.
    fn open_drawer(&self);
    /// Shows the customer the last line and the total (customer display).
    fn show_customer(&self, _last_item: Option<(&str, Money)>, _total: Money) {}
    /// Shows the customer what they handed over and their change once the sale is complete; it
    /// stays until the next item.
    fn show_change(&self, _paid: Money, _change: Money) {}
    /// Queues a shift report (the Z report at a shift's close).
    fn print_report(&self, _report: &ReportSlip) {}
}

/// A till with no devices attached.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoDevices;

impl Peripherals for NoDevices {
    fn print(&self, _: &Receipt) {}
    fn open_drawer(&self) {}
}

/// What the engine asked of the devices, kept for tests and the demo's paper view.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeviceLog {
    pub receipts: Vec<Receipt>,
    pub reports: Vec<ReportSlip>,
    pub drawer_opens: u32,
    pub display: Option<(Option<(String, Money)>, Money)>,
    /// The last sale's paid and change, as the customer display shows them.
    pub change: Option<(Money, Money)>,
}

/// Records every device request (shared between clones).
#[derive(Clone, Debug, Default)]
pub struct RecordingDevices(pub Arc<Mutex<DeviceLog>>);

impl RecordingDevices {
    pub fn log(&self) -> DeviceLog {
        self.0.lock().map(|l| l.clone()).unwrap_or_default()
    }
}

impl Peripherals for RecordingDevices {
    fn print(&self, receipt: &Receipt) {
        if let Ok(mut l) = self.0.lock() {
            l.receipts.push(receipt.clone());
        }
    }
    fn open_drawer(&self) {
        if let Ok(mut l) = self.0.lock() {
            l.drawer_opens += 1;
        }
    }
    fn show_customer(&self, last_item: Option<(&str, Money)>, total: Money) {
        if let Ok(mut l) = self.0.lock() {
            l.display = Some((last_item.map(|(n, m)| (n.to_owned(), m)), total));
            l.change = None;
        }
    }
    fn show_change(&self, paid: Money, change: Money) {
        if let Ok(mut l) = self.0.lock() {
            l.change = Some((paid, change));
        }
    }
    fn print_report(&self, report: &ReportSlip) {
        if let Ok(mut l) = self.0.lock() {
            l.reports.push(report.clone());
        }
    }
}

/// The till's real devices, through their drivers: the receipt printer (whose print queue never
/// blocks the caller and keeps a failed job for reprint) and the customer display.
#[derive(Clone, Default)]
pub struct DriverDevices {
    pub printer: Option<device_drivers::printer::Printer>,
    pub display: Option<device_drivers::display::CustomerDisplay>,
}

impl Peripherals for DriverDevices {
    fn print(&self, receipt: &Receipt) {
        if let Some(p) = &self.printer
            && let Err(e) = p.print_receipt(receipt)
        {
            tracing::error!(error = %e, receipt = %receipt.receipt_no, "the receipt could not be rendered");
        }
    }

    fn open_drawer(&self) {
        if let Some(p) = &self.printer {
            p.open_drawer();
        }
    }

    fn show_customer(&self, last_item: Option<(&str, Money)>, total: Money) {
        if let Some(d) = &self.display {
            match last_item {
                Some((name, price)) => d.show_item(name, price, total),
                None => d.show_total(total),
            }
        }
    }

    fn show_change(&self, paid: Money, change: Money) {
        if let Some(d) = &self.display {
            d.show_paid_and_change(paid, change);
        }
    }

    fn print_report(&self, report: &ReportSlip) {
        if let Some(p) = &self.printer
            && let Err(e) = p.print_blocks(&report.layout(p.line_format()), &report.title)
        {
            tracing::error!(error = %e, report = %report.title, "the report could not be rendered");
        }
    }
}

/// The bank-card payment terminal as the engine uses it: one request at a time, each call
/// blocking until the terminal answers or its time is up (a sale waits for the customer's card and
/// PIN). Request ids are the till's (`{receipt_no}-C{attempt}`); the terminal never carries out an
/// id twice, so asking again after a lost answer never charges twice.
pub trait CardTerminal: Send {
    /// Takes `amount` from the customer's card.
    fn sale(&self, id: &str, amount: Money) -> CardAnswer;
    /// What became of request `id`.
    fn query(&self, id: &str) -> CardAnswer;
    /// Takes back the approved sale `original` (same day, in full).
    fn void(&self, id: &str, original: &str) -> CardAnswer;
    /// Pays `amount` back to the card of the approved sale with terminal reference
    /// `original_reference` (退货: any day, partial and repeated up to the sale's amount).
    fn refund(&self, id: &str, original_reference: &str, amount: Money) -> CardAnswer;
}

/// A terminal's answer, as the engine acts on it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CardAnswer {
    /// Approved: the card masked (first 6, last 4), the issuer's auth code (may be empty), the
    /// terminal's reference number.
    Approved {
        amount: Money,
        card: String,
        auth_code: String,
        reference: String,
    },
    Declined {
        code: String,
        message: String,
    },
    /// Nothing was done: not connected, busy, or (to a query) no such request.
    NotDone {
        why: String,
    },
    /// No answer: the terminal may have carried it out (query it).
    Unknown {
        why: String,
    },
}

/// The terminal through its driver (`device_drivers::payment_terminal`), on its own thread; the
/// engine's calls wait on its events for the answer to their request.
pub struct DriverTerminal {
    terminal: device_drivers::payment_terminal::PaymentTerminal,
    events: Mutex<device_drivers::Events<device_drivers::payment_terminal::TerminalEvent>>,
    /// How long a sale (or void) may take, and a query: the protocol's own limits and a margin.
    answer_within: std::time::Duration,
    query_within: std::time::Duration,
}

impl DriverTerminal {
    pub fn open(config: device_drivers::payment_terminal::PaymentTerminalConfig) -> DriverTerminal {
        let margin = std::time::Duration::from_secs(10);
        let answer_within = std::time::Duration::from_millis(config.protocol.answer_timeout_ms) + margin;
        let query_within = std::time::Duration::from_millis(config.protocol.query_timeout_ms) + margin;
        let (terminal, events) = device_drivers::payment_terminal::PaymentTerminal::open(config);
        DriverTerminal { terminal, events: Mutex::new(events), answer_within, query_within }
    }

    /// [`DriverTerminal::open`], then waits up to `within` for the port to open (`false` with the
    /// terminal all the same when it did not: it keeps trying in the background).
    pub fn open_connected(
        config: device_drivers::payment_terminal::PaymentTerminalConfig,
        within: std::time::Duration,
    ) -> (DriverTerminal, bool) {
        let t = DriverTerminal::open(config);
        let until = std::time::Instant::now() + within;
        let mut connected = false;
        if let Ok(mut events) = t.events.lock() {
            while !connected && std::time::Instant::now() < until {
                match events.try_recv() {
                    Ok(device_drivers::payment_terminal::TerminalEvent::Connected { .. }) => connected = true,
                    Ok(_) => {}
                    Err(_) => std::thread::sleep(std::time::Duration::from_millis(5)),
                }
            }
        }
        (t, connected)
    }

    fn ask(
        &self,
        request: Result<device_drivers::payment_terminal::Request, device_drivers::payment_terminal::ProtocolError>,
        within: std::time::Duration,
    ) -> CardAnswer {
        use device_drivers::payment_terminal::{Outcome, TerminalEvent};
        let request = match request {
            Ok(r) => r,
            Err(e) => return CardAnswer::NotDone { why: e.to_string() },
        };
        let id = request.id().clone();
        let Ok(mut events) = self.events.lock() else {
            return CardAnswer::NotDone { why: "the terminal's events are lost".into() };
        };
        // What an earlier call left (a late answer, link events): not this request's.
        while events.try_recv().is_ok() {}
        if let Err(e) = self.terminal.send(request) {
            return CardAnswer::NotDone { why: e.to_string() };
        }
        let until = std::time::Instant::now() + within;
        while std::time::Instant::now() < until {
            match events.try_recv() {
                Ok(TerminalEvent::Answered(a)) if a.id == id => {
                    return match a.outcome {
                        Outcome::Approved(ap) => CardAnswer::Approved {
                            amount: ap.amount,
                            card: ap.card.as_str().to_owned(),
                            auth_code: ap.auth_code.trim().to_owned(),
                            reference: ap.reference.as_str().to_owned(),
                        },
                        Outcome::Declined(d) => CardAnswer::Declined { code: d.code, message: d.message },
                        Outcome::Busy => CardAnswer::NotDone { why: "the terminal is busy".into() },
                        Outcome::NotFound => CardAnswer::NotDone { why: "the terminal has no such request".into() },
                    };
                }
                Ok(TerminalEvent::Failed { id: failed, failure }) if failed == id => {
                    return if failure.outcome_unknown() {
                        CardAnswer::Unknown { why: failure.to_string() }
                    } else {
                        CardAnswer::NotDone { why: failure.to_string() }
                    };
                }
                Ok(_) => {}
                Err(tokio::sync::mpsc::error::TryRecvError::Empty) => {
                    std::thread::sleep(std::time::Duration::from_millis(5));
                }
                Err(e) => return CardAnswer::NotDone { why: e.to_string() },
            }
        }
        CardAnswer::Unknown { why: "the terminal did not answer in time".into() }
    }
}

impl CardTerminal for DriverTerminal {
    fn sale(&self, id: &str, amount: Money) -> CardAnswer {
        use device_drivers::payment_terminal::{Request, RequestId};
        let request = RequestId::parse(id).and_then(|id| Request::sale(id, amount));
        self.ask(request, self.answer_within)
    }

    fn query(&self, id: &str) -> CardAnswer {
        use device_drivers::payment_terminal::{Request, RequestId};
        self.ask(RequestId::parse(id).map(|id| Request::Query { id }), self.query_within)
    }

    fn void(&self, id: &str, original: &str) -> CardAnswer {
        use device_drivers::payment_terminal::{Request, RequestId};
        let request =
            RequestId::parse(id).and_then(|id| Ok(Request::Void { id, original: RequestId::parse(original)? }));
        self.ask(request, self.answer_within)
    }

    fn refund(&self, id: &str, original_reference: &str, amount: Money) -> CardAnswer {
        use device_drivers::payment_terminal::{ReferenceNo, Request, RequestId};
        let request =
            RequestId::parse(id).and_then(|id| Request::refund(id, ReferenceNo::parse(original_reference)?, amount));
        self.ask(request, self.answer_within)
    }
}

/// One terminal shared by several tills in turn (a test restarting its till keeps the port open).
impl<T: CardTerminal + Sync> CardTerminal for Arc<T> {
    fn sale(&self, id: &str, amount: Money) -> CardAnswer {
        (**self).sale(id, amount)
    }
    fn query(&self, id: &str) -> CardAnswer {
        (**self).query(id)
    }
    fn void(&self, id: &str, original: &str) -> CardAnswer {
        (**self).void(id, original)
    }
    fn refund(&self, id: &str, original_reference: &str, amount: Money) -> CardAnswer {
        (**self).refund(id, original_reference, amount)
    }
}
