//! Barcode scanners: serial scanners through [`Scanner`], keyboard-wedge scanners through the
//! pure [`wedge::WedgeDetector`] the sale screen feeds with keystrokes.

pub mod protocol;
pub mod wedge;

use std::time::Instant;

use serde::{Deserialize, Serialize};

pub use protocol::{
    AimIds, Misread, MisreadReason, Scan, ScanOutcome, ScannerOptions, ScannerParser, Symbology, Terminator,
};
pub use wedge::{WedgeDetector, WedgeKey, WedgeOptions};

use crate::config::{Reconnect, SerialSettings};
use crate::runtime::{self, ByteParser, Events, Link, ReaderDevice, StopFlag};
use crate::transport::TransportError;

/// A serial scanner's configuration, as the till's config file has it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct ScannerConfig {
    pub port: SerialSettings,
    pub protocol: ScannerOptions,
    pub reconnect: Reconnect,
}

/// What a serial scanner reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScannerEvent {
    Connected { port: String },
    Disconnected { reason: TransportError },
    Scan(Scan),
    Misread(Misread),
}

impl From<Link> for ScannerEvent {
    fn from(l: Link) -> Self {
        match l {
            Link::Up { port } => ScannerEvent::Connected { port },
            Link::Down { reason } => ScannerEvent::Disconnected { reason },
        }
    }
}

impl ByteParser for ScannerParser {
    type Event = ScannerEvent;
    fn feed(&mut self, bytes: &[u8], now: Instant) -> Vec<ScannerEvent> {
        ScannerParser::feed(self, bytes, now)
            .into_iter()
            .map(|o| match o {
                ScanOutcome::Scan(s) => ScannerEvent::Scan(s),
                ScanOutcome::Misread(m) => ScannerEvent::Misread(m),
            })
            .collect()
    }
    fn expire(&mut self, now: Instant) -> Vec<ScannerEvent> {
        ScannerParser::expire(self, now)
            .into_iter()
            .map(|o| match o {
                ScanOutcome::Scan(s) => ScannerEvent::Scan(s),
                ScanOutcome::Misread(m) => ScannerEvent::Misread(m),
            })
            .collect()
    }
    fn reset(&mut self) {
        *self = ScannerParser::new(*self.options());
    }
}

/// A serial scanner running on its own thread. Dropping it stops the thread.
pub struct Scanner {
    stop: StopFlag,
}

impl Scanner {
    /// Starts reading the scanner in the background and returns at once. The port is opened on
    /// the scanner's thread: `Connected` comes on the events channel when it is open,
    /// `Disconnected` when it cannot be (it is retried with backoff).
    pub fn open(config: ScannerConfig) -> (Scanner, Events<ScannerEvent>) {
        let stop = StopFlag::default();
        let device =
            ReaderDevice { settings: config.port, parser: ScannerParser::new(config.protocol), stop: stop.clone() };
        let events = runtime::spawn("scanner", device, config.reconnect);
        (Scanner { stop }, events)
    }

    /// Stops the scanner's thread (also done on drop).
    pub fn close(self) {}
}

impl Drop for Scanner {
    fn drop(&mut self) {
        self.stop.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_loads_from_json_with_defaults() {
        let c: ScannerConfig = serde_json::from_str(
            r#"{"port":{"path":"/dev/ttyACM0","baud":115200},"protocol":{"terminator":"cr","aim_ids":"required"}}"#,
        )
        .expect("valid config");
        assert_eq!(c.port.path, "/dev/ttyACM0");
        assert_eq!(c.port.baud.get(), 115_200);
        assert_eq!(c.protocol.terminator, Terminator::Cr);
        assert_eq!(c.protocol.aim_ids, AimIds::Required);
        assert_eq!(c.protocol.duplicate_window_ms, 300);
        assert_eq!(c.reconnect, Reconnect::default());
        let d: ScannerConfig = serde_json::from_str("{}").expect("all defaults");
        assert_eq!(d, ScannerConfig::default());
        assert_eq!(d.protocol.terminator, Terminator::CrLf);
    }
}
