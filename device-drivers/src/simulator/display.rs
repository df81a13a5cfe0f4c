use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use crate::config::SerialSettings;
use crate::display::protocol::DisplayReader;
use crate::display::{DisplayCharset, DisplayConfig, DisplayKind, Lamp, Screen};

use super::{Sim, SimDevice, SimulatorError, lock};

struct Glass(Arc<Mutex<DisplayReader>>);

impl SimDevice for Glass {
    fn on_bytes(&mut self, bytes: &[u8]) -> Vec<u8> {
        lock(&self.0).feed(bytes);
        Vec::new()
    }
}

/// A customer display on a pseudo-terminal: keeps what a customer would see.
pub struct DisplaySimulator {
    sim: Sim,
    reader: Arc<Mutex<DisplayReader>>,
    kind: DisplayKind,
    charset: DisplayCharset,
}

impl DisplaySimulator {
    /// A 2×20 ASCII VFD.
    pub fn start() -> Result<DisplaySimulator, SimulatorError> {
        DisplaySimulator::start_with(DisplayKind::Vfd, DisplayCharset::Ascii)
    }

    pub fn start_with(kind: DisplayKind, charset: DisplayCharset) -> Result<DisplaySimulator, SimulatorError> {
        let reader = Arc::new(Mutex::new(DisplayReader::new(charset)));
        let sim = Sim::start("customer-display", Glass(reader.clone()))?;
        Ok(DisplaySimulator { sim, reader, kind, charset })
    }

    pub fn port_path(&self) -> PathBuf {
        self.sim.port_path()
    }

    /// A driver configuration for this simulator.
    pub fn config(&self) -> DisplayConfig {
        DisplayConfig {
            port: SerialSettings::new(self.port_path().display().to_string()),
            kind: self.kind,
            charset: self.charset,
            ..DisplayConfig::default()
        }
    }

    pub fn screen(&self) -> Screen {
        lock(&self.reader).screen().clone()
    }

    /// The two lines, trailing spaces trimmed.
    pub fn lines(&self) -> [String; 2] {
        self.screen().lines
    }

    /// The LED display's lit lamp and digits.
    pub fn led(&self) -> (Lamp, String) {
        let s = self.screen();
        let [digits, _] = s.lines;
        (s.lamp, digits)
    }

    pub fn close(&self) {
        self.sim.close();
    }

    pub fn reopen(&self) -> Result<(), SimulatorError> {
        self.sim.reopen()
    }
}
