//! Receipt printers and the cash drawer on their kick connector.
//!
//! [`Printer::open`] starts the printer's own thread and returns at once. Jobs go into a queue the
//! caller never waits on; each job's outcome comes back as an event. A job that cannot print
//! (paper end, cover open, printer offline or unplugged) is *held*: the till lists it with
//! [`Printer::held_jobs`] and the cashier reprints it with [`Printer::reprint`] or drops it.

pub mod code128;
pub mod code_page;
pub mod paper;
pub mod protocol;
pub mod status;

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, mpsc};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use shared::receipt::{Block, LineFormat, PaperWidth, Receipt};

pub use code_page::CodePage;
pub use protocol::{CutMode, DrawerPin, Font, PrintOptions, RenderError, TextEncoding, drawer_kick, receipt_bytes};
pub use status::{DrawerSensor, PrinterProblem, PrinterStatus};

use crate::config::Reconnect;
use crate::runtime::{self, Device, Ended, EventSink, Events, Link, READ_SLICE};
use crate::transport::{Endpoint, Transport, TransportError};

/// The drawer on the printer's kick connector.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct DrawerOptions {
    pub pin: DrawerPin,
    pub pulse_on_ms: u16,
    pub pulse_off_ms: u16,
    /// How the drawer's switch reads in the printer's status (`none` for a drawer without one).
    pub sensor: DrawerSensor,
}

impl Default for DrawerOptions {
    fn default() -> Self {
        DrawerOptions { pin: DrawerPin::Pin2, pulse_on_ms: 50, pulse_off_ms: 500, sensor: DrawerSensor::OpenHigh }
    }
}

/// A receipt printer's configuration, as the till's config file has it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct PrinterConfig {
    pub endpoint: Endpoint,
    pub print: PrintOptions,
    pub drawer: DrawerOptions,
    /// Ask the printer's status (`DLE EOT`) before and after each job and while idle. `false` for
    /// a send-only cable (no wire back from the printer): jobs are then sent blind and count as
    /// printed once written. A file endpoint never answers, so it is never asked.
    pub check_status: bool,
    /// How long the printer has to answer a status query.
    pub status_timeout_ms: u64,
    /// How often an idle printer's status is asked.
    pub poll_interval_ms: u64,
    pub reconnect: Reconnect,
}

impl Default for PrinterConfig {
    fn default() -> Self {
        PrinterConfig {
            endpoint: Endpoint::default(),
            print: PrintOptions::default(),
            drawer: DrawerOptions::default(),
            check_status: true,
            status_timeout_ms: 1_000,
            poll_interval_ms: 3_000,
            reconnect: Reconnect::default(),
        }
    }
}

/// A print job's number, unique per [`Printer`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct JobId(pub u64);

impl fmt::Display for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "job {}", self.0)
    }
}

/// Why a job did not print.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PrintFailure {
    #[error("{0}")]
    Printer(PrinterProblem),
    #[error("printer not connected: {0}")]
    NotConnected(TransportError),
    #[error("{0}")]
    Link(TransportError),
}

/// What a printer reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PrinterEvent {
    Connected {
        port: String,
    },
    Disconnected {
        reason: TransportError,
    },
    /// The printer's status: on connecting, when it changes, and when asked.
    Status(PrinterStatus),
    Printed {
        job: JobId,
    },
    /// The job is held for reprint.
    Failed {
        job: JobId,
        reason: PrintFailure,
    },
    /// The drawer kick was sent (every opening is worth recording).
    DrawerOpened {
        pin: DrawerPin,
    },
    DrawerFailed {
        reason: PrintFailure,
    },
}

impl From<Link> for PrinterEvent {
    fn from(l: Link) -> Self {
        match l {
            Link::Up { port } => PrinterEvent::Connected { port },
            Link::Down { reason } => PrinterEvent::Disconnected { reason },
        }
    }
}

/// A job that did not print, waiting for the cashier.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeldJob {
    pub job: JobId,
    /// What the job is, for the list on screen (the receipt number).
    pub label: String,
    pub reason: PrintFailure,
    bytes: Vec<u8>,
}

impl HeldJob {
    /// Bytes the job sends.
    pub fn size(&self) -> usize {
        self.bytes.len()
    }
}

/// Held jobs kept at most; past that the oldest is dropped.
pub const MAX_HELD: usize = 200;

struct Job {
    id: JobId,
    label: String,
    bytes: Vec<u8>,
}

enum Command {
    Print(Job),
    OpenDrawer,
    Status,
}

type Held = Arc<Mutex<Vec<HeldJob>>>;

fn lock(held: &Held) -> std::sync::MutexGuard<'_, Vec<HeldJob>> {
    held.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A test page for a printer's grid (a paper width, or [`PrintOptions::line_format`]): a column
/// ruler, Chinese and accented text, bold and tall lines, a Code128 barcode and a QR code. What a
/// technician prints to check a printer's columns and characters.
pub fn test_page(format: impl Into<LineFormat>) -> Vec<Block> {
    use shared::receipt::PrintLine;
    let f = format.into();
    let w = f.columns;
    let line = |text: String, bold: bool, tall: bool| Block::Line(PrintLine { text, bold, tall });
    let mut blocks = Vec::new();
    blocks.extend(f.center("Tillpoint 打印测试 / TEST PAGE").into_iter().map(|t| line(t, true, false)));
    blocks.push(line(f.rule('='), false, false));
    let ruler: String = (1..=w).map(|i| char::from(b'0' + (i % 10) as u8)).collect();
    blocks.push(line(ruler, false, false));
    blocks.extend(f.left_right(&format!("{w} 列 / columns"), "").into_iter().map(|t| line(t, false, false)));
    blocks.extend(f.left_right("中文 GBK 汉字 测试", "12.50 元").into_iter().map(|t| line(t, false, false)));
    blocks.extend(f.left_right("Nestlé Café €", "9.90").into_iter().map(|t| line(t, false, false)));
    blocks.extend(f.left_right("粗体 Bold", "OK").into_iter().map(|t| line(t, true, false)));
    blocks.extend(f.left_right("倍高 Tall", "OK").into_iter().map(|t| line(t, true, true)));
    blocks.push(line(f.rule('-'), false, false));
    blocks.push(Block::Barcode("TEST-01-000001".into()));
    blocks.push(Block::Qr("https://tillpoint.example/test".into()));
    blocks
}

/// A receipt printer running on its own thread. Cheap to clone; the thread stops when the last
/// clone is dropped. No method waits for the printer.
#[derive(Clone)]
pub struct Printer {
    commands: mpsc::Sender<Command>,
    held: Held,
    next_job: Arc<AtomicU64>,
    options: PrintOptions,
}

impl Printer {
    /// Starts the printer's thread and returns at once.
    pub fn open(config: PrinterConfig) -> (Printer, Events<PrinterEvent>) {
        let (commands, rx) = mpsc::channel();
        let held = Held::default();
        let printer = Printer { commands, held: held.clone(), next_job: Arc::default(), options: config.print };
        let reconnect = config.reconnect;
        let device = PrinterDevice { config, commands: rx, held, down: None, last_status: None };
        let events = runtime::spawn("printer", device, reconnect);
        (printer, events)
    }

    /// The paper width receipts are laid out for.
    pub fn paper(&self) -> PaperWidth {
        self.options.paper
    }

    /// The grid receipts are laid out on: this printer's columns and character set.
    pub fn line_format(&self) -> LineFormat {
        self.options.line_format()
    }

    /// Queues a receipt, laid out for this printer's columns and characters.
    pub fn print_receipt(&self, receipt: &Receipt) -> Result<JobId, RenderError> {
        self.print_blocks(&receipt.layout(self.line_format()), &receipt.receipt_no.to_string())
    }

    /// Queues laid-out blocks; `label` names the job in the held list.
    pub fn print_blocks(&self, blocks: &[Block], label: &str) -> Result<JobId, RenderError> {
        let bytes = receipt_bytes(blocks, &self.options)?;
        let id = JobId(self.next_job.fetch_add(1, Ordering::Relaxed) + 1);
        // A stopped thread means a dropped printer; nothing to do then.
        let _ = self.commands.send(Command::Print(Job { id, label: label.to_owned(), bytes }));
        Ok(id)
    }

    /// Kicks the drawer open (after a cash sale or an authorised no-sale).
    pub fn open_drawer(&self) {
        let _ = self.commands.send(Command::OpenDrawer);
    }

    /// Asks the printer's status; the answer comes as [`PrinterEvent::Status`].
    pub fn query_status(&self) {
        let _ = self.commands.send(Command::Status);
    }

    /// The jobs that did not print, oldest first.
    pub fn held_jobs(&self) -> Vec<HeldJob> {
        lock(&self.held).clone()
    }

    /// Puts a held job back in the queue. `false` when no such job is held.
    pub fn reprint(&self, job: JobId) -> bool {
        let taken = {
            let mut held = lock(&self.held);
            held.iter().position(|h| h.job == job).map(|i| held.remove(i))
        };
        match taken {
            Some(h) => {
                let _ = self.commands.send(Command::Print(Job { id: h.job, label: h.label, bytes: h.bytes }));
                true
            }
            None => false,
        }
    }

    /// Drops a held job (the customer left without the receipt).
    pub fn discard(&self, job: JobId) -> bool {
        let mut held = lock(&self.held);
        let before = held.len();
        held.retain(|h| h.job != job);
        held.len() != before
    }
}

struct PrinterDevice {
    config: PrinterConfig,
    commands: mpsc::Receiver<Command>,
    held: Held,
    /// Why the printer is down, for jobs that come meanwhile.
    down: Option<TransportError>,
    last_status: Option<PrinterStatus>,
}

/// Asks `DLE EOT 1, 2, 3, 4` and reads the four answers, the drawer read as `sensor` says.
pub fn query_status(
    link: &mut dyn Transport,
    timeout: Duration,
    sensor: DrawerSensor,
) -> Result<PrinterStatus, TransportError> {
    let mut buf = [0u8; 64];
    // Drop anything stale (a late answer to an earlier query).
    for _ in 0..16 {
        if link.read(&mut buf, Duration::from_millis(1))? == 0 {
            break;
        }
    }
    link.write_all(&status::status_check_bytes())?;
    let deadline = Instant::now() + timeout;
    let mut answers = Vec::with_capacity(4);
    while answers.len() < 4 {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(TransportError::NotAnswering { port: link.name().to_owned() });
        }
        let n = link.read(&mut buf, left.min(READ_SLICE))?;
        answers.extend(buf[..n].iter().copied().filter(|b| status::is_status_byte(*b)));
    }
    let four = [0, 1, 2, 3].map(|i| answers.get(i).copied().unwrap_or_default());
    status::parse_status(four, sensor)
        .map_err(|e| TransportError::Io { port: link.name().to_owned(), message: e.to_string() })
}

impl PrinterDevice {
    fn asks_status(&self, link: &dyn Transport) -> bool {
        self.config.check_status && link.can_answer()
    }

    fn status(
        &mut self,
        link: &mut dyn Transport,
        sink: &EventSink<PrinterEvent>,
        always: bool,
    ) -> Result<PrinterStatus, TransportError> {
        let s = query_status(link, Duration::from_millis(self.config.status_timeout_ms), self.config.drawer.sensor)?;
        if always || self.last_status != Some(s) {
            sink.send(PrinterEvent::Status(s));
        }
        self.last_status = Some(s);
        Ok(s)
    }

    fn hold(&self, job: Job, reason: PrintFailure, sink: &EventSink<PrinterEvent>) {
        {
            let mut held = lock(&self.held);
            if held.len() >= MAX_HELD {
                held.remove(0);
            }
            held.push(HeldJob { job: job.id, label: job.label, reason: reason.clone(), bytes: job.bytes });
        }
        sink.send(PrinterEvent::Failed { job: job.id, reason });
    }

    /// Prints one job; `Err` when the link is lost.
    fn print(
        &mut self,
        job: Job,
        link: &mut dyn Transport,
        sink: &EventSink<PrinterEvent>,
    ) -> Result<(), TransportError> {
        if self.asks_status(link) {
            match self.status(link, sink, false) {
                Err(e) => {
                    self.hold(job, PrintFailure::Link(e.clone()), sink);
                    return Err(e);
                }
                Ok(s) => {
                    if let Some(p) = s.problem() {
                        self.hold(job, PrintFailure::Printer(p), sink);
                        return Ok(());
                    }
                }
            }
        }
        if let Err(e) = link.write_all(&job.bytes) {
            self.hold(job, PrintFailure::Link(e.clone()), sink);
            return Err(e);
        }
        // Paper can run out in the middle of a receipt: ask again once the printer has read it.
        if self.asks_status(link) {
            match self.status(link, sink, false) {
                Err(e) => {
                    self.hold(job, PrintFailure::Link(e.clone()), sink);
                    return Err(e);
                }
                Ok(s) if s.paper_end || s.cover_open || s.stopped_by_error() => {
                    let p = s.problem().unwrap_or(PrinterProblem::Offline);
                    self.hold(job, PrintFailure::Printer(p), sink);
                    return Ok(());
                }
                Ok(_) => {}
            }
        }
        sink.send(PrinterEvent::Printed { job: job.id });
        Ok(())
    }

    fn open_drawer(&mut self, link: &mut dyn Transport, sink: &EventSink<PrinterEvent>) -> Result<(), TransportError> {
        let d = self.config.drawer;
        if self.asks_status(link) {
            match self.status(link, sink, false) {
                Err(e) => {
                    sink.send(PrinterEvent::DrawerFailed { reason: PrintFailure::Link(e.clone()) });
                    return Err(e);
                }
                // A printer offline for paper or cover still fires the kick, but one that is
                // offline for an error does not take commands.
                Ok(s) if s.stopped_by_error() => {
                    let problem = s.problem().unwrap_or(PrinterProblem::Error);
                    sink.send(PrinterEvent::DrawerFailed { reason: PrintFailure::Printer(problem) });
                    return Ok(());
                }
                Ok(_) => {}
            }
        }
        match link.write_all(&drawer_kick(d.pin, d.pulse_on_ms, d.pulse_off_ms)) {
            Ok(()) => {
                sink.send(PrinterEvent::DrawerOpened { pin: d.pin });
                Ok(())
            }
            Err(e) => {
                sink.send(PrinterEvent::DrawerFailed { reason: PrintFailure::Link(e.clone()) });
                Err(e)
            }
        }
    }
}

impl Device for PrinterDevice {
    type Event = PrinterEvent;

    fn open(&mut self) -> Result<Box<dyn Transport>, TransportError> {
        let opened = self.config.endpoint.open().and_then(|mut link| {
            // A serial port opens with the printer switched off: only an answer means it is there.
            if self.asks_status(link.as_ref()) {
                let timeout = Duration::from_millis(self.config.status_timeout_ms);
                query_status(link.as_mut(), timeout, self.config.drawer.sensor)?;
            }
            Ok(link)
        });
        if let Err(e) = &opened {
            self.down = Some(e.clone());
        }
        opened
    }

    fn serve(&mut self, link: &mut dyn Transport, sink: &EventSink<PrinterEvent>) -> Ended {
        self.down = None;
        self.last_status = None;
        let poll = Duration::from_millis(self.config.poll_interval_ms.max(100));
        let lost = |me: &mut Self, e: TransportError| {
            me.down = Some(e.clone());
            Ended::Lost(e)
        };
        if self.asks_status(link)
            && let Err(e) = self.status(link, sink, true)
        {
            return lost(self, e);
        }
        let mut last_poll = Instant::now();
        let mut probe = [0u8; 64];
        loop {
            let result = match self.commands.recv_timeout(READ_SLICE) {
                Ok(Command::Print(job)) => self.print(job, link, sink),
                Ok(Command::OpenDrawer) => self.open_drawer(link, sink),
                Ok(Command::Status) if self.asks_status(link) => self.status(link, sink, true).map(|_| ()),
                Ok(Command::Status) => Ok(()),
                Err(mpsc::RecvTimeoutError::Disconnected) => return Ended::Stopped,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    if self.asks_status(link) && last_poll.elapsed() >= poll {
                        last_poll = Instant::now();
                        self.status(link, sink, false).map(|_| ())
                    } else {
                        // Reading notices an unplugged port at once; stray bytes are dropped.
                        link.read(&mut probe, Duration::from_millis(1)).map(|_| ())
                    }
                }
            };
            if let Err(e) = result {
                return lost(self, e);
            }
            if sink.is_closed() {
                return Ended::Stopped;
            }
        }
    }

    fn wait_offline(&mut self, delay: Duration, sink: &EventSink<PrinterEvent>) -> bool {
        let until = Instant::now() + delay;
        let reason = || {
            PrintFailure::NotConnected(
                self.down.clone().unwrap_or_else(|| TransportError::Closed { port: self.config.endpoint.name() }),
            )
        };
        loop {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return !sink.is_closed();
            }
            match self.commands.recv_timeout(left) {
                Ok(Command::Print(job)) => self.hold(job, reason(), sink),
                Ok(Command::OpenDrawer) => {
                    sink.send(PrinterEvent::DrawerFailed { reason: reason() });
                }
                Ok(Command::Status) => {}
                Err(mpsc::RecvTimeoutError::Timeout) => return !sink.is_closed(),
                Err(mpsc::RecvTimeoutError::Disconnected) => return false,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_loads_from_json_with_defaults() {
        let c: PrinterConfig = serde_json::from_str(
            r#"{"endpoint":{"kind":"tcp","address":"192.168.1.80"},"print":{"paper":"mm58","encoding":"gb18030"},"drawer":{"pin":"pin5"}}"#,
        )
        .expect("valid config");
        assert_eq!(c.endpoint.name(), "192.168.1.80:9100");
        assert_eq!(c.print.paper, PaperWidth::Mm58);
        assert_eq!(c.print.encoding, TextEncoding::Gb18030);
        assert_eq!(c.print.cut, CutMode::Full);
        assert_eq!(c.drawer, DrawerOptions { pin: DrawerPin::Pin5, ..DrawerOptions::default() });
        assert!(c.check_status);
        let d: PrinterConfig = serde_json::from_str("{}").expect("all defaults");
        assert_eq!(d, PrinterConfig::default());
    }

    #[test]
    fn a_file_printer_prints_without_asking_status() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("receipts.bin");
        let config = PrinterConfig { endpoint: Endpoint::File { path: path.clone() }, ..PrinterConfig::default() };
        let (printer, mut events) = Printer::open(config);
        let blocks = vec![Block::Line(shared::receipt::PrintLine { text: "hello".into(), bold: false, tall: false })];
        let job = printer.print_blocks(&blocks, "test").expect("renders");
        printer.open_drawer();
        let mut seen = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline && !seen.iter().any(|e| matches!(e, PrinterEvent::DrawerOpened { .. })) {
            match events.try_recv() {
                Ok(e) => seen.push(e),
                Err(_) => std::thread::sleep(Duration::from_millis(10)),
            }
        }
        assert!(matches!(seen.first(), Some(PrinterEvent::Connected { .. })), "{seen:?}");
        assert!(seen.contains(&PrinterEvent::Printed { job }), "{seen:?}");
        let bytes = std::fs::read(&path).expect("file written");
        let mut want = receipt_bytes(&blocks, &PrintOptions::default()).expect("renders");
        want.extend(drawer_kick(DrawerPin::Pin2, 50, 500));
        assert_eq!(bytes, want);
    }
}
