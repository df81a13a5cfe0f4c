//! Member card readers: magnetic stripe (member code on track 2) and contactless UID readers.
//! Bank cards are rejected by the pure [`protocol`]; see there for what is kept of them (nothing).

pub mod protocol;

use std::time::Instant;

use serde::{Deserialize, Serialize};
use shared::catalog::MemberCode;
use shared::member::CardUid;

pub use protocol::{BANK_CARD_MESSAGE, BankCardRejected, CardRead, CardReaderOptions, CardReaderParser, Unreadable};

use crate::config::{Reconnect, SerialSettings};
use crate::runtime::{self, ByteParser, Events, Link, ReaderDevice, StopFlag};
use crate::transport::TransportError;

/// A card reader's configuration, as the till's config file has it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct CardReaderConfig {
    pub port: SerialSettings,
    pub protocol: CardReaderOptions,
    pub reconnect: Reconnect,
}

/// What a card reader reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CardEvent {
    Connected {
        port: String,
    },
    Disconnected {
        reason: TransportError,
    },
    MemberCard(MemberCode),
    Uid(CardUid),
    /// Show [`BankCardRejected`]'s `Display` to the cashier; nothing else of the card exists.
    BankCardRejected(BankCardRejected),
    Unreadable(Unreadable),
}

impl From<Link> for CardEvent {
    fn from(l: Link) -> Self {
        match l {
            Link::Up { port } => CardEvent::Connected { port },
            Link::Down { reason } => CardEvent::Disconnected { reason },
        }
    }
}

impl From<CardRead> for CardEvent {
    fn from(r: CardRead) -> Self {
        match r {
            CardRead::MemberCard(c) => CardEvent::MemberCard(c),
            CardRead::Uid(u) => CardEvent::Uid(u),
            CardRead::BankCardRejected(b) => CardEvent::BankCardRejected(b),
            CardRead::Unreadable(u) => CardEvent::Unreadable(u),
        }
    }
}

impl ByteParser for CardReaderParser {
    type Event = CardEvent;
    fn feed(&mut self, bytes: &[u8], now: Instant) -> Vec<CardEvent> {
        CardReaderParser::feed_at(self, bytes, now).into_iter().map(CardEvent::from).collect()
    }
    fn expire(&mut self, now: Instant) -> Vec<CardEvent> {
        CardReaderParser::expire(self, now).into_iter().map(CardEvent::from).collect()
    }
    fn reset(&mut self) {
        CardReaderParser::reset(self);
    }
}

/// A card reader running on its own thread. Dropping it stops the thread.
pub struct CardReader {
    stop: StopFlag,
}

impl CardReader {
    /// Starts reading in the background and returns at once; see [`crate::scanner::Scanner::open`].
    pub fn open(config: CardReaderConfig) -> (CardReader, Events<CardEvent>) {
        let stop = StopFlag::default();
        let device = ReaderDevice {
            settings: config.port,
            parser: CardReaderParser::with_options(config.protocol),
            stop: stop.clone(),
        };
        let events = runtime::spawn("card-reader", device, config.reconnect);
        (CardReader { stop }, events)
    }

    /// Stops the reader's thread (also done on drop).
    pub fn close(self) {}
}

impl Drop for CardReader {
    fn drop(&mut self) {
        self.stop.stop();
    }
}
