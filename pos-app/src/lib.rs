//! The Tillpoint till: a headless engine ([`engine::Till`]) over the till's own SQLite database
//! ([`store::Store`]), with HQ's online member services behind [`authority::MemberAuthority`] and
//! the devices behind [`peripherals::Peripherals`]. The iced desktop app is the binary.

pub mod authority;
pub mod clock;
pub mod config;
pub mod engine;
pub mod peripherals;
pub mod printing;
pub mod store;
pub mod sync;
pub mod ui;

pub use engine::{Till, TillError, TillResult};
