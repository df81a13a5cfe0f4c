//! Serial-port settings and the reconnect policy shared by every device's configuration.
//!
//! Every struct here is `serde` with defaults, so the till embeds them in its own config file and
//! writes only what differs from a standard 9600 8N1 port.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// A baud rate the devices support: 4800, 9600 (default), 19200, 38400, 57600 or 115200.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct Baud(u32);

impl Baud {
    pub const B4800: Baud = Baud(4800);
    pub const B9600: Baud = Baud(9600);
    pub const B19200: Baud = Baud(19200);
    pub const B38400: Baud = Baud(38400);
    pub const B57600: Baud = Baud(57_600);
    pub const B115200: Baud = Baud(115_200);
    pub const SUPPORTED: [Baud; 6] =
        [Baud::B4800, Baud::B9600, Baud::B19200, Baud::B38400, Baud::B57600, Baud::B115200];

    pub fn get(self) -> u32 {
        self.0
    }

    /// Bytes per second with one start bit and the given framing (about 960 at 9600 8N1).
    pub fn bytes_per_second(self, framing: &Framing) -> u32 {
        let bits = 1 + u32::from(framing.data_bits.get()) + framing.parity.bits() + u32::from(framing.stop_bits.get());
        self.0 / bits
    }
}

impl Default for Baud {
    fn default() -> Self {
        Baud::B9600
    }
}

impl fmt::Display for Baud {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("baud {0} is not one of 4800, 9600, 19200, 38400, 57600, 115200")]
    Baud(u32),
    #[error("{0} data bits: only 7 or 8")]
    DataBits(u8),
    #[error("{0} stop bits: only 1 or 2")]
    StopBits(u8),
    #[error("{0}")]
    Invalid(String),
}

impl TryFrom<u32> for Baud {
    type Error = ConfigError;
    fn try_from(n: u32) -> Result<Self, Self::Error> {
        Baud::SUPPORTED.into_iter().find(|b| b.0 == n).ok_or(ConfigError::Baud(n))
    }
}

impl From<Baud> for u32 {
    fn from(b: Baud) -> u32 {
        b.0
    }
}

/// 7 or 8 data bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct DataBits(u8);

impl DataBits {
    pub const SEVEN: DataBits = DataBits(7);
    pub const EIGHT: DataBits = DataBits(8);
    pub fn get(self) -> u8 {
        self.0
    }
}

impl Default for DataBits {
    fn default() -> Self {
        DataBits::EIGHT
    }
}

impl TryFrom<u8> for DataBits {
    type Error = ConfigError;
    fn try_from(n: u8) -> Result<Self, Self::Error> {
        if n == 7 || n == 8 { Ok(DataBits(n)) } else { Err(ConfigError::DataBits(n)) }
    }
}

impl From<DataBits> for u8 {
    fn from(b: DataBits) -> u8 {
        b.0
    }
}

/// 1 or 2 stop bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct StopBits(u8);

impl StopBits {
    pub const ONE: StopBits = StopBits(1);
    pub const TWO: StopBits = StopBits(2);
    pub fn get(self) -> u8 {
        self.0
    }
}

impl Default for StopBits {
    fn default() -> Self {
        StopBits::ONE
    }
}

impl TryFrom<u8> for StopBits {
    type Error = ConfigError;
    fn try_from(n: u8) -> Result<Self, Self::Error> {
        if n == 1 || n == 2 { Ok(StopBits(n)) } else { Err(ConfigError::StopBits(n)) }
    }
}

impl From<StopBits> for u8 {
    fn from(b: StopBits) -> u8 {
        b.0
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Parity {
    #[default]
    None,
    Odd,
    Even,
}

impl Parity {
    fn bits(self) -> u32 {
        if self == Parity::None { 0 } else { 1 }
    }
}

/// Data bits, parity and stop bits: 8N1 by default.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct Framing {
    pub data_bits: DataBits,
    pub parity: Parity,
    pub stop_bits: StopBits,
}

impl fmt::Display for Framing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = match self.parity {
            Parity::None => 'N',
            Parity::Odd => 'O',
            Parity::Even => 'E',
        };
        write!(f, "{}{p}{}", self.data_bits.get(), self.stop_bits.get())
    }
}

/// How a device tells the till to wait.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlowControl {
    /// None: the device keeps up (scanners, card readers, most USB printers).
    #[default]
    None,
    /// The device drops DSR while its buffer is full (Epson serial printers' factory setting):
    /// the till raises DTR and sends only while DSR is up.
    DtrDsr,
    /// The device sends XOFF (0x13) when its buffer is full and XON (0x11) when it can take more.
    XonXoff,
    /// RTS/CTS handshake.
    RtsCts,
}

/// A serial port: its path (`/dev/ttyUSB0`, `/dev/serial/by-id/...`, `COM3`), baud, framing and
/// flow control.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct SerialSettings {
    pub path: String,
    pub baud: Baud,
    #[serde(flatten)]
    pub framing: Framing,
    pub flow_control: FlowControl,
}

impl SerialSettings {
    /// A port at 9600 8N1.
    pub fn new(path: impl Into<String>) -> SerialSettings {
        SerialSettings { path: path.into(), ..SerialSettings::default() }
    }
}

/// How a lost device is retried: the first retry after `first_retry_ms`, then doubling up to
/// `max_retry_ms`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct Reconnect {
    pub first_retry_ms: u64,
    pub max_retry_ms: u64,
}

impl Default for Reconnect {
    fn default() -> Self {
        Reconnect { first_retry_ms: 250, max_retry_ms: 5_000 }
    }
}

impl Reconnect {
    /// The wait before retry number `attempt` (0-based).
    pub fn delay(&self, attempt: u32) -> Duration {
        let first = self.first_retry_ms.max(1);
        let ms = first.saturating_mul(1u64 << attempt.min(20)).min(self.max_retry_ms.max(first));
        Duration::from_millis(ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_9600_8n1() {
        let s = SerialSettings::new("/dev/ttyUSB0");
        assert_eq!(s.baud.get(), 9600);
        assert_eq!(s.framing.to_string(), "8N1");
        assert_eq!(s.baud.bytes_per_second(&s.framing), 960);
    }

    #[test]
    fn serial_settings_load_from_json_with_defaults() {
        let s: SerialSettings =
            serde_json::from_str(r#"{"path":"/dev/ttyS0","baud":115200,"parity":"even","stop_bits":2}"#)
                .expect("valid settings");
        assert_eq!(s.baud, Baud::B115200);
        assert_eq!(s.framing.to_string(), "8E2");
        assert!(serde_json::from_str::<SerialSettings>(r#"{"path":"x","baud":2400}"#).is_err());
        for baud in [4800, 57_600] {
            let s: SerialSettings =
                serde_json::from_str(&format!(r#"{{"path":"x","baud":{baud}}}"#)).expect("supported");
            assert_eq!(s.baud.get(), baud);
        }
        assert_eq!(s.flow_control, FlowControl::None);
        let s: SerialSettings = serde_json::from_str(r#"{"path":"x","flow_control":"dtr_dsr"}"#).expect("flow control");
        assert_eq!(s.flow_control, FlowControl::DtrDsr);
        assert!(serde_json::from_str::<SerialSettings>(r#"{"path":"x","data_bits":5}"#).is_err());
        let round: SerialSettings =
            serde_json::from_str(&serde_json::to_string(&s).expect("serialises")).expect("reads back");
        assert_eq!(round, s);
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let r = Reconnect { first_retry_ms: 100, max_retry_ms: 1000 };
        let ms: Vec<u128> = (0..6).map(|a| r.delay(a).as_millis()).collect();
        assert_eq!(ms, vec![100, 200, 400, 800, 1000, 1000]);
        assert_eq!(r.delay(u32::MAX).as_millis(), 1000);
    }
}
