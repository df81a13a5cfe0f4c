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
