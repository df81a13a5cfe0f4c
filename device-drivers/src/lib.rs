//! Tillpoint's devices: barcode scanners, card readers, ESC/POS receipt printers with their cash
//! drawer, and customer displays, with a simulator for each.
//!
//! Each device has two halves:
//! - a **protocol** module, pure code (bytes in → events out, commands → bytes out), tested byte
//!   for byte: [`scanner::protocol`], [`scanner::wedge`], [`card_reader::protocol`],
//!   [`printer::protocol`], [`printer::paper`], [`display::protocol`];
//! - a **driver** that runs the device on its own thread over a [`transport::Transport`] (serial
//!   port, TCP, file), reports `Connected` / `Disconnected { reason }`, reopens a lost device with
//!   backoff, and delivers events on a tokio channel ([`Events`]) that a tokio task or an iced
//!   subscription consumes: [`scanner::Scanner`], [`card_reader::CardReader`],
//!   [`printer::Printer`], [`display::CustomerDisplay`].
//!
//! [`simulator`] plays each device's side of a pseudo-terminal for tests and the till's demo mode.
//!
//! This crate depends on `shared` for the domain (barcodes, member codes, the receipt document),
//! never on the till or HQ.

pub mod card_reader;
pub mod config;
pub mod display;
pub mod printer;
mod runtime;
pub mod scanner;
pub mod simulator;
pub mod transport;

pub use runtime::{EVENT_CAPACITY, Events, Link};
