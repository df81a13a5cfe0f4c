//! Tillpoint's devices: barcode scanners, card readers, ESC/POS receipt printers with their cash
//! drawer, customer displays and bank-card payment terminals, with a simulator for each.
//!
//! Each device has two halves:
//! - a **protocol** module, pure code (bytes in → events out, commands → bytes out), tested byte
//!   for byte: [`scanner::protocol`], [`scanner::wedge`], [`card_reader::protocol`],
//!   [`printer::protocol`], [`printer::paper`], [`display::protocol`], [`payment_terminal::protocol`];
//! - a **driver** that runs the device on its own thread over a [`transport::Transport`] (serial
//!   port, TCP, file), reports `Connected` / `Disconnected { reason }`, reopens a lost device with
//!   backoff, and delivers events on a tokio channel ([`Events`]) that a tokio task or an iced
//!   subscription consumes: [`scanner::Scanner`], [`card_reader::CardReader`],
//!   [`printer::Printer`], [`display::CustomerDisplay`], [`payment_terminal::PaymentTerminal`].
//!
//! [`simulator`] plays each device's side of a pseudo-terminal for tests and the till's demo mode.
//!
//! # Using a device from the till
//!
//! Every driver's `open` returns at once with a handle and an [`Events`] receiver:
//!
//! ```no_run
//! use device_drivers::scanner::{Scanner, ScannerConfig, ScannerEvent};
//! # async fn till(config: ScannerConfig) {
//! let (_scanner, mut events) = Scanner::open(config); // keep `_scanner`: dropping it stops the device
//! while let Some(event) = events.recv().await {
//!     match event {
//!         ScannerEvent::Scan(scan) => { /* shared::catalog::classify_scan(&scan.code, ..) */ }
//!         ScannerEvent::Misread(m) => { /* beep, show m */ }
//!         ScannerEvent::Connected { .. } | ScannerEvent::Disconnected { .. } => { /* status bar */ }
//!     }
//! }
//! # }
//! ```
//!
//! In iced 0.14 the same loop runs inside a subscription keyed by the (hashable) configuration:
//! `Subscription::run_with(config, |c| iced::stream::channel(64, async move |mut out| { let (_s, mut ev) =
//! Scanner::open(c.clone()); while let Some(e) = ev.recv().await { let _ = out.send(e).await; } }))`.
//! The printer and display handles are `Clone`; their methods queue work and never wait.
//!
//! This crate depends on `shared` for the domain (barcodes, member codes, the receipt document),
//! never on the till or HQ.

pub mod card_reader;
pub mod config;
pub mod display;
pub mod payment_terminal;
pub mod printer;
mod runtime;
pub mod scanner;
/// Pseudo-terminals are a Unix thing; the drivers themselves also build elsewhere.
#[cfg(unix)]
pub mod simulator;
pub mod transport;

pub use runtime::{EVENT_CAPACITY, Events, Link};
