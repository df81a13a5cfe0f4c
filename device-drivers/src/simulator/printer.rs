use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use shared::receipt::{LineFormat, PaperWidth, barcode_caption, qr_caption};

use crate::config::SerialSettings;
use crate::printer::paper::{CutKind, PaperEvent, PaperLine, PaperReader};
use crate::printer::status::{PrinterStatus, status_answer};
use crate::printer::{DrawerPin, PrintOptions, PrinterConfig};
use crate::transport::Endpoint;

use super::{Sim, SimDevice, SimulatorError, lock, wait_until};

/// A receipt as the simulated printer printed it, up to its cut.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrintedReceipt {
    /// One line per printed line, each ended by `\n`; a barcode as `barcode_caption`, a QR code as
    /// `qr_caption` (from `shared::receipt`), so it compares equal to `Receipt::text`.
    pub text: String,
    pub lines: Vec<PaperLine>,
    pub barcodes: Vec<String>,
    pub qr_codes: Vec<String>,
    /// `None` for what is printed but not cut yet.
    pub cut: Option<CutKind>,
}

/// A drawer kick the printer fired.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrawerKick {
    pub pin: DrawerPin,
    pub on_ms: u16,
    pub off_ms: u16,
}

struct Paper {
    reader: PaperReader,
    format: LineFormat,
    status: PrinterStatus,
    answering: bool,
    receipts: Vec<PrintedReceipt>,
    current: PrintedReceipt,
    kicks: Vec<DrawerKick>,
    status_queries: usize,
    unknown: Vec<Vec<u8>>,
    /// Print commands dropped because the printer could not print.
    dropped: usize,
}

impl Paper {
    fn apply(&mut self, event: PaperEvent, answer: &mut Vec<u8>) {
        // Paper out or cover open stops printing; the drawer still fires unless the printer is in
        // error or switched offline.
        let prints = self.status.ready();
        let kicks = !self.status.error && (prints || self.status.paper_end || self.status.cover_open);
        match event {
            PaperEvent::StatusQuery(q) => {
                self.status_queries += 1;
                if self.answering {
                    answer.push(status_answer(&self.status, q));
                }
            }
            PaperEvent::DrawerKick { pin, on_ms, off_ms } if kicks => {
                self.kicks.push(DrawerKick { pin, on_ms, off_ms });
                // The drawer springs open; its switch drives pin 3 high until it is closed.
                self.status.drawer_open = Some(true);
            }
            PaperEvent::Init => {}
            PaperEvent::Unknown(bytes) => self.unknown.push(bytes),
            _ if !prints => self.dropped += 1,
            PaperEvent::Line(line) => {
                self.current.text.push_str(&line.text);
                self.current.text.push('\n');
                self.current.lines.push(line);
            }
            PaperEvent::Barcode { data, .. } => {
                self.current.text.push_str(&barcode_caption(&data, self.format));
                self.current.text.push('\n');
                self.current.barcodes.push(data);
            }
            PaperEvent::Qr(data) => {
                self.current.text.push_str(&qr_caption(&data, self.format));
                self.current.text.push('\n');
                self.current.qr_codes.push(data);
            }
            PaperEvent::Cut(kind) => {
                let mut done = std::mem::take(&mut self.current);
                done.cut = Some(kind);
                self.receipts.push(done);
            }
            PaperEvent::DrawerKick { .. } => self.dropped += 1,
        }
    }
}

struct Mechanism(Arc<Mutex<Paper>>);

impl SimDevice for Mechanism {
    fn on_bytes(&mut self, bytes: &[u8]) -> Vec<u8> {
        let mut paper = lock(&self.0);
        let events = paper.reader.feed(bytes);
        let mut answer = Vec::new();
        for e in events {
            paper.apply(e, &mut answer);
        }
        answer
    }
}

/// An ESC/POS receipt printer with a cash drawer, on a pseudo-terminal.
///
/// ```no_run
/// # use device_drivers::simulator::PrinterSimulator;
/// # use device_drivers::printer::Printer;
/// # use std::time::Duration;
/// let sim = PrinterSimulator::start()?;
/// let (printer, _events) = Printer::open(sim.config());
/// printer.open_drawer();
/// sim.wait_for_drawer_kicks(1, Duration::from_secs(10));
/// # Ok::<(), device_drivers::simulator::SimulatorError>(())
/// ```
pub struct PrinterSimulator {
    sim: Sim,
    paper: Arc<Mutex<Paper>>,
    options: PrintOptions,
}

impl PrinterSimulator {
    /// An 80 mm printer.
    pub fn start() -> Result<PrinterSimulator, SimulatorError> {
        PrinterSimulator::start_with(PaperWidth::Mm80)
    }

    /// A printer with the usual columns of `width` (32 or 48, Chinese).
    pub fn start_with(width: PaperWidth) -> Result<PrinterSimulator, SimulatorError> {
        PrinterSimulator::start_for(PrintOptions { paper: width, ..PrintOptions::default() })
    }

    /// A printer whose print width, font, columns and characters are those of `options` (the
    /// driver config it gives prints with the same).
    pub fn start_for(options: PrintOptions) -> Result<PrinterSimulator, SimulatorError> {
        let paper = Arc::new(Mutex::new(Paper {
            reader: PaperReader::new(),
            format: options.line_format(),
            status: PrinterStatus::default(),
            answering: true,
            receipts: Vec::new(),
            current: PrintedReceipt::default(),
            kicks: Vec::new(),
            status_queries: 0,
            unknown: Vec::new(),
            dropped: 0,
        }));
        let sim = Sim::start("printer", Mechanism(paper.clone()))?;
        Ok(PrinterSimulator { sim, paper, options })
    }

    pub fn port_path(&self) -> PathBuf {
        self.sim.port_path()
    }

    /// A driver configuration for this simulator (serial, its print options, status checked).
    pub fn config(&self) -> PrinterConfig {
        PrinterConfig {
            endpoint: Endpoint::Serial(SerialSettings::new(self.port_path().display().to_string())),
            print: self.options,
            ..PrinterConfig::default()
        }
    }

    /// The receipts printed and cut so far.
    pub fn receipts(&self) -> Vec<PrintedReceipt> {
        lock(&self.paper).receipts.clone()
    }

    /// What is printed since the last cut.
    pub fn unfinished(&self) -> PrintedReceipt {
        let p = lock(&self.paper);
        let mut r = p.current.clone();
        let line = p.reader.unfinished_line();
        if !line.is_empty() {
            r.text.push_str(&line);
        }
        r
    }

    pub fn drawer_kicks(&self) -> Vec<DrawerKick> {
        lock(&self.paper).kicks.clone()
    }

    pub fn status(&self) -> PrinterStatus {
        lock(&self.paper).status
    }

    pub fn set_status(&self, status: PrinterStatus) {
        lock(&self.paper).status = status;
    }

    pub fn set_paper_end(&self, on: bool) {
        lock(&self.paper).status.paper_end = on;
    }

    pub fn set_paper_near_end(&self, on: bool) {
        lock(&self.paper).status.paper_near_end = on;
    }

    pub fn set_cover_open(&self, on: bool) {
        lock(&self.paper).status.cover_open = on;
    }

    pub fn set_offline(&self, on: bool) {
        lock(&self.paper).status.offline = on;
    }

    /// Opens (`true`) or closes the cash drawer by hand; a drawer kick opens it too.
    pub fn set_drawer_open(&self, open: bool) {
        lock(&self.paper).status.drawer_open = Some(open);
    }

    /// Jams the autocutter (`DLE EOT 3` bit 3), or clears the jam.
    pub fn set_cutter_error(&self, on: bool) {
        lock(&self.paper).status.cutter_error = on;
    }

    /// `false`: the printer stops answering status queries (switched off behind its adapter).
    pub fn set_answering(&self, on: bool) {
        lock(&self.paper).answering = on;
    }

    /// How many `DLE EOT` queries the printer was sent.
    pub fn status_queries(&self) -> usize {
        lock(&self.paper).status_queries
    }

    /// Commands the printer did not know (their first bytes). Empty for what the drivers send.
    pub fn unknown_commands(&self) -> Vec<Vec<u8>> {
        lock(&self.paper).unknown.clone()
    }

    /// Print commands dropped while the printer could not print.
    pub fn dropped(&self) -> usize {
        lock(&self.paper).dropped
    }

    /// Waits until at least `n` receipts are cut; `None` after `timeout`.
    pub fn wait_for_receipts(&self, n: usize, timeout: Duration) -> Option<Vec<PrintedReceipt>> {
        wait_until(timeout, || {
            let r = self.receipts();
            (r.len() >= n).then_some(r)
        })
    }

    /// Waits until at least `n` drawer kicks; `None` after `timeout`.
    pub fn wait_for_drawer_kicks(&self, n: usize, timeout: Duration) -> Option<Vec<DrawerKick>> {
        wait_until(timeout, || {
            let k = self.drawer_kicks();
            (k.len() >= n).then_some(k)
        })
    }

    /// Unplugs the printer.
    pub fn close(&self) {
        self.sim.close();
    }

    /// Plugs it back in behind the same path.
    pub fn reopen(&self) -> Result<(), SimulatorError> {
        self.sim.reopen()
    }
}
