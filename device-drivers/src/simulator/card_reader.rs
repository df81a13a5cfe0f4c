use std::path::PathBuf;

use crate::card_reader::CardReaderConfig;
use crate::config::SerialSettings;

use super::{Sim, SimDevice, SimulatorError};

struct Silent;

impl SimDevice for Silent {
    fn on_bytes(&mut self, _bytes: &[u8]) -> Vec<u8> {
        Vec::new()
    }
}

/// A test card number (Visa's documented test PAN), Luhn-valid.
pub const TEST_BANK_PAN: &str = "4111111111111111";

/// A serial magnetic-stripe / UID card reader on a pseudo-terminal.
pub struct CardReaderSimulator {
    sim: Sim,
}

impl CardReaderSimulator {
    pub fn start() -> Result<CardReaderSimulator, SimulatorError> {
        Ok(CardReaderSimulator { sim: Sim::start("card-reader", Silent)? })
    }

    pub fn port_path(&self) -> PathBuf {
        self.sim.port_path()
    }

    /// A driver configuration for this simulator.
    pub fn config(&self) -> CardReaderConfig {
        CardReaderConfig {
            port: SerialSettings::new(self.port_path().display().to_string()),
            ..CardReaderConfig::default()
        }
    }

    /// Swipes a member card: the member code on track 2 (no `=`), a label on track 1.
    pub fn swipe_member(&self, code: &str) -> Result<(), SimulatorError> {
        self.send_raw(format!("%AMEMBER {code}?;{code}?\r").as_bytes())
    }

    /// Swipes a bank card with both tracks, as a real one reads (`pan`, or a test number).
    pub fn swipe_bank_card(&self, pan: Option<&str>) -> Result<(), SimulatorError> {
        let pan = pan.unwrap_or(TEST_BANK_PAN);
        self.send_raw(format!("%B{pan}^TEST/CARDHOLDER^3012101000000000000?;{pan}=30121010000000000000?\r").as_bytes())
    }

    /// A swipe the reader could not read (`E` on track 2).
    pub fn swipe_unreadable(&self) -> Result<(), SimulatorError> {
        self.send_raw(b"%E?;E?\r")
    }

    /// Taps a contactless card on a UID reader.
    pub fn tap_uid(&self, uid: &str) -> Result<(), SimulatorError> {
        self.send_raw(format!("{uid}\r").as_bytes())
    }

    pub fn send_raw(&self, bytes: &[u8]) -> Result<(), SimulatorError> {
        self.sim.write(bytes)
    }

    pub fn close(&self) {
        self.sim.close();
    }

    pub fn reopen(&self) -> Result<(), SimulatorError> {
        self.sim.reopen()
    }
}
