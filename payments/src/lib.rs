//! The provider side of HQ's payment gateway (issue 23): WeChat Pay micropay and Alipay barcode
//! pay behind one `Provider` trait, a loopback simulator of both, and parsers of both providers'
//! daily statements for reconciliation.
//!
//! - `provider`: the trait and the outcomes the gateway acts on; `order_no`: order numbers derived
//!   from the receipt number and the attempt; `money`: yuan text ↔ integer fen, exactly.
//! - `wechat`, `alipay`: pure request building, answer parsing and signing (`api`, `sign`), and
//!   the HTTP half (`client`, reqwest, a configurable base URL and timeout).
//! - `sim`: the simulator (axum on a loopback port) with scripted outcomes and its own ledger.
//! - `statement`: the providers' daily statements (对账单), parsed and (for the simulator) written;
//!   `reconcile`: a day's statement against HQ's records, what matches and what differs (pure).
//!
//! Money is integer fen (`i64`) everywhere; yuan exists only as text on the wire.

pub mod alipay;
pub mod money;
pub mod order_no;
pub mod provider;
pub mod reconcile;
pub mod sim;
pub mod statement;
pub mod wechat;

pub use order_no::{OrderNo, OrderNoError, order_no};
pub use provider::{
    CancelOutcome, Failure, Paid, PayOutcome, PayRequest, Provider, ProviderError, ProviderKind, RefundOutcome,
    RefundRequest, Refunded,
};
