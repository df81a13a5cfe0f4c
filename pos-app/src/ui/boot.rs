//! Starting an enrolled till: its store, HQ's member services, its devices from the config
//! file, the sync task and the engine thread. Used by the binary and by the first-start setup.

use std::path::Path;
use std::time::Duration;

use device_drivers::Events;
use device_drivers::card_reader::{CardEvent, CardReader};
use device_drivers::printer::{Printer, PrinterEvent};
use device_drivers::scanner::{Scanner, ScannerEvent};
use device_drivers::transport::PortInfo;

use crate::Till;
use crate::clock::SystemClock;
use crate::config::TillConfig;
use crate::engine::Store;
use crate::peripherals::DriverDevices;
use crate::sync::{HqAuthority, SyncConfig, SyncHandle};
use crate::ui::worker::{Engine, Replies};

/// A till that is up: what the app needs to run it, and what must stay alive while it runs.
pub struct Running {
    pub db: std::path::PathBuf,
    pub engine: Engine,
    pub replies: Replies,
    pub sync: SyncHandle,
    pub scans: Option<Events<ScannerEvent>>,
    pub cards: Option<Events<CardEvent>>,
    pub printer_events: Option<Events<PrinterEvent>>,
    pub scanner: Option<Scanner>,
    pub card_reader: Option<CardReader>,
}

impl std::fmt::Debug for Running {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Running").finish_non_exhaustive()
    }
}

/// Opens an enrolled till with the devices of its config file. Blocking (SQLite, device threads):
/// call it off the UI thread.
pub fn open_enrolled(db: &Path, config: &TillConfig) -> Result<Running, String> {
    let store = Store::open(db).map_err(|e| e.to_string())?;
    let authority = HqAuthority::for_store(&store).map_err(|e| e.to_string())?;
    let (printer, printer_events) = match &config.printer {
        Some(c) => {
            let (p, e) = Printer::open(c.clone());
            let e = crate::printing::watch(p.clone(), e);
            (Some(p), Some(e))
        }
        None => (None, None),
    };
    let (scanner, scans) = match &config.scanner {
        Some(c) => {
            let (s, e) = Scanner::open(c.clone());
            (Some(s), Some(e))
        }
        None => (None, None),
    };
    let (card_reader, cards) = match &config.card_reader {
        Some(c) => {
            let (r, e) = CardReader::open(c.clone());
            (Some(r), Some(e))
        }
        None => (None, None),
    };
    let display = config.display.as_ref().map(|c| device_drivers::display::CustomerDisplay::open(c.clone()).0);
    let devices = DriverDevices { printer, display };
    let mut till =
        Till::open(store, Box::new(SystemClock), Box::new(authority), Box::new(devices)).map_err(|e| e.to_string())?;
    if let Some(c) = &config.payment_terminal {
        till.set_card_terminal(Some(Box::new(crate::peripherals::DriverTerminal::open(c.clone()))));
    }
    let sync = crate::sync::start(SyncConfig::new(db)).map_err(|e| e.to_string())?;
    let (engine, replies) = Engine::spawn(till);
    Ok(Running { db: db.to_path_buf(), engine, replies, sync, scans, cards, printer_events, scanner, card_reader })
}

/// The serial ports of this machine, for the device setup screen.
pub fn ports() -> Vec<PortInfo> {
    device_drivers::transport::list_serial_ports().unwrap_or_default()
}

/// Prints the test page on a printer config; `Ok` with what the printer said, within 20 s.
pub fn test_print(config: device_drivers::printer::PrinterConfig) -> Result<String, String> {
    let paper = config.print.paper;
    let (printer, mut events) = Printer::open(config);
    let job =
        printer.print_blocks(&device_drivers::printer::test_page(paper), "test page").map_err(|e| e.to_string())?;
    wait(&mut events, Duration::from_secs(20), |e| match e {
        PrinterEvent::Printed { job: j } if j == job => Some(Ok(format!("{} columns", paper.columns()))),
        PrinterEvent::Failed { job: j, reason } if j == job => Some(Err(reason.to_string())),
        _ => None,
    })
}

/// Waits up to 15 s for one scan on a scanner config; the code read.
pub fn test_scan(config: device_drivers::scanner::ScannerConfig) -> Result<String, String> {
    let (_scanner, mut events) = Scanner::open(config);
    wait(&mut events, Duration::from_secs(15), |e| match e {
        ScannerEvent::Scan(s) => Some(Ok(s.code)),
        ScannerEvent::Misread(m) => Some(Err(format!("{m:?}"))),
        _ => None,
    })
}

fn wait<E, T>(
    events: &mut Events<E>,
    limit: Duration,
    mut pick: impl FnMut(E) -> Option<Result<T, String>>,
) -> Result<T, String> {
    let until = std::time::Instant::now() + limit;
    while std::time::Instant::now() < until {
        match events.try_recv() {
            Ok(e) => {
                if let Some(r) = pick(e) {
                    return r;
                }
            }
            Err(tokio::sync::mpsc::error::TryRecvError::Empty) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => return Err(e.to_string()),
        }
    }
    Err("no answer".into())
}
