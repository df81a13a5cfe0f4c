use std::path::PathBuf;

use shared::catalog::{GtinKind, validate_gtin};

use crate::config::SerialSettings;
use crate::scanner::protocol::{STX, encode_frame};
use crate::scanner::{ScannerConfig, ScannerOptions, Symbology};

use super::{Sim, SimDevice, SimulatorError};

struct Silent;

impl SimDevice for Silent {
    fn on_bytes(&mut self, _bytes: &[u8]) -> Vec<u8> {
        Vec::new()
    }
}

/// A serial barcode scanner on a pseudo-terminal.
///
/// ```no_run
/// # use device_drivers::simulator::ScannerSimulator;
/// # use device_drivers::scanner::Scanner;
/// let sim = ScannerSimulator::start()?;
/// let (_scanner, _events) = Scanner::open(sim.config());
/// sim.scan("6901234567892")?;
/// # Ok::<(), device_drivers::simulator::SimulatorError>(())
/// ```
pub struct ScannerSimulator {
    sim: Sim,
    options: ScannerOptions,
}

impl ScannerSimulator {
    /// A scanner sending AIM identifiers and CRLF, the drivers' defaults.
    pub fn start() -> Result<ScannerSimulator, SimulatorError> {
        ScannerSimulator::start_with(ScannerOptions::default())
    }

    /// A scanner set up with `options` (terminator, STX, AIM identifiers).
    pub fn start_with(options: ScannerOptions) -> Result<ScannerSimulator, SimulatorError> {
        Ok(ScannerSimulator { sim: Sim::start("scanner", Silent)?, options })
    }

    /// The port a driver opens.
    pub fn port_path(&self) -> PathBuf {
        self.sim.port_path()
    }

    /// A driver configuration for this simulator.
    pub fn config(&self) -> ScannerConfig {
        ScannerConfig {
            port: SerialSettings::new(self.port_path().display().to_string()),
            protocol: self.options,
            ..ScannerConfig::default()
        }
    }

    /// Reads `code`: EAN-13 / UPC-A / UPC-E (`]E0`) and EAN-8 (`]E4`) by their digits, Code 128
    /// otherwise.
    pub fn scan(&self, code: &str) -> Result<(), SimulatorError> {
        let digits = code.bytes().all(|b| b.is_ascii_digit());
        let symbology = match code.len() {
            12 | 13 if digits => Symbology::Ean13,
            8 if digits && validate_gtin(code) == Ok(GtinKind::UpcE) => Symbology::Ean13,
            8 if digits => Symbology::Ean8,
            _ => Symbology::Code128,
        };
        self.scan_as(code, &symbology)
    }

    pub fn scan_as(&self, code: &str, symbology: &Symbology) -> Result<(), SimulatorError> {
        self.sim.write(&encode_frame(code, symbology, &self.options))
    }

    /// A read whose EAN-13 check digit is wrong.
    pub fn misread(&self) -> Result<(), SimulatorError> {
        self.scan_as("6901234567893", &Symbology::Ean13)
    }

    /// Line noise: bytes that are not a frame, then a terminator.
    pub fn noise(&self) -> Result<(), SimulatorError> {
        let mut b = vec![STX, 0xFF, 0x00, 0x1B, b'x', 0x80];
        b.extend_from_slice(self.options.terminator.bytes());
        self.send_raw(&b)
    }

    /// Writes bytes as they are.
    pub fn send_raw(&self, bytes: &[u8]) -> Result<(), SimulatorError> {
        self.sim.write(bytes)
    }

    /// Unplugs the scanner: the pseudo-terminal hangs up and the port path disappears.
    pub fn close(&self) {
        self.sim.close();
    }

    /// Plugs it back in behind the same port path.
    pub fn reopen(&self) -> Result<(), SimulatorError> {
        self.sim.reopen()
    }
}
