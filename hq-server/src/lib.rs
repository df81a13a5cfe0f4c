//! Tillpoint head office: the tills' sync API, console users and roles, branches, tills and
//! staff, the catalog, the audit log, and the CLI.
//!
//! Start an HQ in-process (the till's demo mode, end-to-end tests):
//!
//! ```no_run
//! # async fn f() -> Result<(), Box<dyn std::error::Error>> {
//! use hq_server::{Application, Config};
//! let app = Application::build(Config::loopback("/tmp/hq.sqlite")).await?;
//! let summary = hq_server::demo::seed(&*app.store(), &hq_server::demo::DemoOptions::small())?;
//! let hq = app.spawn();
//! println!("HQ at {}; enrol with {}", hq.url(), summary.branches[0].tills[0].enrolment_code);
//! # Ok(()) }
//! ```
//!
//! Map: [`startup`] builds and serves; [`http`] holds one module per resource; [`store`] is the
//! storage interface split by area, with [`store::sql`] behind it; [`admin`] is what staff do
//! (shared by the CLI and the API); [`rules`] and [`event_checks`] check input; [`audit`] is
//! the hash chain; [`import`] and [`demo`] fill the catalog.

pub mod admin;
pub mod analysis;
pub mod analysis_runs;
pub mod audit;
pub mod auth;
pub mod authz;
pub mod calendar;
pub mod care;
pub mod cli;
pub mod clock;
pub mod complaints;
pub mod config;
pub mod console;
pub mod demo;
pub mod demo_complaints;
pub mod demo_finance;
pub mod demo_history;
pub mod demo_payments;
pub mod demo_stock;
pub mod error;
pub mod event_checks;
pub mod expenses;
pub mod fixtures;
pub mod gateway;
pub mod http;
pub mod import;
pub mod member_import;
pub mod member_pages;
pub mod model;
pub mod plans;
pub mod pnl;
pub mod push;
pub mod reconciliation;
pub mod reports;
pub mod rules;
pub mod sms;
pub mod startup;
pub mod store;
pub mod testing;

pub use clock::Clock;
pub use config::Config;
pub use startup::{Application, RunningHq, StartError};
pub use store::Store;
pub use store::sql::{Location, SqlStore};
