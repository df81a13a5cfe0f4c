//! The till's config file (`till.toml` beside `till.sqlite`): the cashier's language and the
//! devices. Written by the first-start device setup; a missing file is a till with no devices.

use std::path::{Path, PathBuf};

use device_drivers::card_reader::CardReaderConfig;
use device_drivers::display::DisplayConfig;
use device_drivers::printer::PrinterConfig;
use device_drivers::scanner::ScannerConfig;
use serde::{Deserialize, Serialize};
use shared::lang::Lang;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TillConfig {
    /// `None`: from the system locale.
    pub lang: Option<Lang>,
    pub scanner: Option<ScannerConfig>,
    pub card_reader: Option<CardReaderConfig>,
    pub printer: Option<PrinterConfig>,
    pub display: Option<DisplayConfig>,
    /// The bank-card payment terminal (`[payment_terminal.port] path = "/dev/ttyS1"`, baud…;
    /// `[payment_terminal.protocol]` its timeouts): the card tender sends the amount to it.
    /// Without one, the cashier types the terminal's reference number.
    pub payment_terminal: Option<device_drivers::payment_terminal::PaymentTerminalConfig>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: {message}")]
    Io { path: PathBuf, message: String },
    #[error("{path} is not a valid till config: {message}")]
    Invalid { path: PathBuf, message: String },
}

impl TillConfig {
    /// The config file that goes with a till database.
    pub fn path_for(db: &Path) -> PathBuf {
        db.with_extension("toml")
    }

    /// Reads the file; a missing file is the default (no devices).
    pub fn load(path: &Path) -> Result<TillConfig, ConfigError> {
        match std::fs::read_to_string(path) {
            Ok(text) => toml::from_str(&text)
                .map_err(|e| ConfigError::Invalid { path: path.to_owned(), message: e.to_string() }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(TillConfig::default()),
            Err(e) => Err(ConfigError::Io { path: path.to_owned(), message: e.to_string() }),
        }
    }

    /// Writes the file whole (a temporary file renamed over it, so a crash leaves the old one).
    pub fn save(&self, path: &Path) -> Result<(), ConfigError> {
        let io = |e: std::io::Error| ConfigError::Io { path: path.to_owned(), message: e.to_string() };
        let text = toml::to_string_pretty(self)
            .map_err(|e| ConfigError::Invalid { path: path.to_owned(), message: e.to_string() })?;
        let tmp = path.with_extension("toml.tmp");
        std::fs::write(&tmp, text).map_err(io)?;
        std::fs::rename(&tmp, path).map_err(io)
    }
}

#[cfg(test)]
mod tests {
    use device_drivers::config::SerialSettings;

    use super::*;

    #[test]
    fn a_config_round_trips_and_a_bad_one_is_refused_with_its_reason() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("till.toml");
        assert_eq!(TillConfig::load(&path).expect("missing is default"), TillConfig::default());
        let config = TillConfig {
            lang: Some(Lang::En),
            scanner: Some(ScannerConfig { port: SerialSettings::new("/dev/ttyUSB0"), ..ScannerConfig::default() }),
            printer: Some(PrinterConfig::default()),
            ..TillConfig::default()
        };
        config.save(&path).expect("save");
        assert_eq!(TillConfig::load(&path).expect("load"), config);
        std::fs::write(&path, "scanner = 3\n").expect("write");
        let err = TillConfig::load(&path).expect_err("refused");
        assert!(err.to_string().contains("not a valid till config"), "{err}");
        std::fs::write(&path, "colour = \"red\"\n").expect("write");
        assert!(TillConfig::load(&path).is_err(), "unknown keys are refused, not ignored");
    }

    #[test]
    fn the_payment_terminal_is_a_port_and_its_timeouts() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("till.toml");
        let text = "[payment_terminal.port]\npath = \"/dev/ttyS1\"\nbaud = 115200\n\n[payment_terminal.protocol]\nanswer_timeout_ms = 90000\n";
        std::fs::write(&path, text).expect("write");
        let config = TillConfig::load(&path).expect("load");
        let terminal = config.payment_terminal.expect("a terminal");
        assert_eq!(terminal.port.path, "/dev/ttyS1");
        assert_eq!(terminal.port.baud.get(), 115_200);
        assert_eq!(terminal.protocol.answer_timeout_ms, 90_000);
        config_round_trip(&TillConfig { payment_terminal: Some(terminal), ..TillConfig::default() }, &path);
    }

    fn config_round_trip(config: &TillConfig, path: &std::path::Path) {
        config.save(path).expect("save");
        assert_eq!(&TillConfig::load(path).expect("load"), config);
    }
}
