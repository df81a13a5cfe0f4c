//! Customer displays: the 2×20 VFD pole display and the 8-digit LED price display.
//!
//! [`CustomerDisplay::open`] starts the display's thread and returns at once; what to show is sent
//! without waiting. The display keeps the last screen and shows it again after a reconnect.

pub mod protocol;

use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use shared::Money;

pub use protocol::{DisplayCharset, DisplayError, Lamp, Screen};

use crate::config::{Reconnect, SerialSettings};
use crate::runtime::{self, Device, Ended, EventSink, Events, Link, READ_SLICE};
use crate::transport::{SerialTransport, Transport, TransportError};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DisplayKind {
    /// 2×20 VFD, CD5220 commands.
    #[default]
    Vfd,
    /// 8-digit LED price display with lamps.
    Led,
}

/// A customer display's configuration, as the till's config file has it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct DisplayConfig {
    pub port: SerialSettings,
    pub kind: DisplayKind,
    pub charset: DisplayCharset,
    pub reconnect: Reconnect,
}

/// What a customer display reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DisplayEvent {
    Connected {
        port: String,
    },
    Disconnected {
        reason: TransportError,
    },
    /// What was asked cannot be shown (an amount too long for the LED digits).
    Refused(DisplayError),
}

impl From<Link> for DisplayEvent {
    fn from(l: Link) -> Self {
        match l {
            Link::Up { port } => DisplayEvent::Connected { port },
            Link::Down { reason } => DisplayEvent::Disconnected { reason },
        }
    }
}

/// A customer display running on its own thread. Cheap to clone; the thread stops when the last
/// clone is dropped.
#[derive(Clone)]
pub struct CustomerDisplay {
    commands: mpsc::Sender<Vec<u8>>,
    config: DisplayConfig,
    refusals: mpsc::Sender<DisplayError>,
}

impl CustomerDisplay {
    pub fn open(config: DisplayConfig) -> (CustomerDisplay, Events<DisplayEvent>) {
        let (commands, rx) = mpsc::channel();
        let (refusals, refused) = mpsc::channel();
        let device = DisplayDevice { port: config.port.clone(), commands: rx, refused, screen: None };
        let events = runtime::spawn("customer-display", device, config.reconnect);
        (CustomerDisplay { commands, config, refusals }, events)
    }

    fn send(&self, bytes: Vec<u8>) {
        let _ = self.commands.send(bytes);
    }

    fn send_amount(&self, lamp: Lamp, label: &str, amount: Money) {
        match self.config.kind {
            DisplayKind::Vfd => self.show_lines(label, &amount.plain()),
            DisplayKind::Led => match protocol::led_amount(lamp, amount) {
                Ok(b) => self.send(b),
                Err(e) => {
                    let _ = self.refusals.send(e);
                    // wake the thread so it reports the refusal
                    self.send(Vec::new());
                }
            },
        }
    }

    /// Two lines of text (VFD); an LED display ignores text.
    pub fn show_lines(&self, upper: &str, lower: &str) {
        if self.config.kind == DisplayKind::Vfd {
            self.send(protocol::vfd_lines(upper, lower, self.config.charset));
        }
    }

    /// The item just scanned and the running total.
    pub fn show_item(&self, name: &str, price: Money, total: Money) {
        match self.config.kind {
            DisplayKind::Vfd => self.show_lines(
                &protocol::left_right(name, &price.plain(), protocol::VFD_COLUMNS),
                &protocol::left_right("TOTAL", &total.plain(), protocol::VFD_COLUMNS),
            ),
            DisplayKind::Led => self.send_amount(Lamp::Price, "", price),
        }
    }

    pub fn show_total(&self, total: Money) {
        self.send_amount(Lamp::Total, "TOTAL", total);
    }

    pub fn show_paid(&self, paid: Money) {
        self.send_amount(Lamp::Paid, "PAID", paid);
    }

    pub fn show_change(&self, change: Money) {
        self.send_amount(Lamp::Change, "CHANGE", change);
    }

    /// After a sale: what the customer handed over and their change (an LED display has room for
    /// the change only). It stays until the next item is shown.
    pub fn show_paid_and_change(&self, paid: Money, change: Money) {
        match self.config.kind {
            DisplayKind::Vfd => self.show_lines(
                &protocol::left_right("PAID", &paid.plain(), protocol::VFD_COLUMNS),
                &protocol::left_right("CHANGE", &change.plain(), protocol::VFD_COLUMNS),
            ),
            DisplayKind::Led => self.show_change(change),
        }
    }

    pub fn clear(&self) {
        let mut b = protocol::clear();
        if self.config.kind == DisplayKind::Led {
            b.extend([protocol::ESC, b's', Lamp::None.code()]);
        }
        self.send(b);
    }
}

struct DisplayDevice {
    port: SerialSettings,
    commands: mpsc::Receiver<Vec<u8>>,
    refused: mpsc::Receiver<DisplayError>,
    /// The last bytes that set the screen, shown again after a reconnect.
    screen: Option<Vec<u8>>,
}

impl DisplayDevice {
    fn take(&mut self, bytes: Vec<u8>, sink: &EventSink<DisplayEvent>) -> Option<Vec<u8>> {
        while let Ok(e) = self.refused.try_recv() {
            sink.send(DisplayEvent::Refused(e));
        }
        if bytes.is_empty() {
            return None;
        }
        self.screen = Some(bytes.clone());
        Some(bytes)
    }
}

impl Device for DisplayDevice {
    type Event = DisplayEvent;

    fn open(&mut self) -> Result<Box<dyn Transport>, TransportError> {
        Ok(Box::new(SerialTransport::open(&self.port)?))
    }

    fn serve(&mut self, link: &mut dyn Transport, sink: &EventSink<DisplayEvent>) -> Ended {
        let mut first = protocol::init();
        if let Some(s) = &self.screen {
            first.extend_from_slice(s);
        }
        if let Err(e) = link.write_all(&first) {
            return Ended::Lost(e);
        }
        let mut probe = [0u8; 64];
        loop {
            let result = match self.commands.recv_timeout(READ_SLICE) {
                Ok(bytes) => match self.take(bytes, sink) {
                    Some(b) => link.write_all(&b),
                    None => Ok(()),
                },
                Err(mpsc::RecvTimeoutError::Timeout) => link.read(&mut probe, Duration::from_millis(1)).map(|_| ()),
                Err(mpsc::RecvTimeoutError::Disconnected) => return Ended::Stopped,
            };
            if let Err(e) = result {
                return Ended::Lost(e);
            }
            if sink.is_closed() {
                return Ended::Stopped;
            }
        }
    }

    fn wait_offline(&mut self, delay: Duration, sink: &EventSink<DisplayEvent>) -> bool {
        let until = Instant::now() + delay;
        loop {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return !sink.is_closed();
            }
            match self.commands.recv_timeout(left) {
                // Kept, and shown when the display is back.
                Ok(bytes) => {
                    self.take(bytes, sink);
                }
                Err(mpsc::RecvTimeoutError::Timeout) => return !sink.is_closed(),
                Err(mpsc::RecvTimeoutError::Disconnected) => return false,
            }
        }
    }
}
