//! The payment gateway's records (`store/sql/payments.rs`): each attempt to collect a payment
//! code's payment, written before its provider is called, every call made for it, and refunds.
//!
//! Two rules make an attempt safe to drive from any HQ process, after any crash:
//! - a final attempt (paid, failed, cancelled) never changes again: a late answer written by
//!   another process after it is ignored, and the final row is what the caller gets back;
//! - an attempt is driven by whoever holds its lease (`claim_due_payments`, `lease_payment`),
//!   so two processes do not call the provider for it at once.

use jiff::Timestamp;
use shared::ids::{BranchId, TillId};
use shared::money::Money;
use shared::payment::{AttemptState, PaymentAttempt, PaymentRefund, RefundState};
use shared::payment_code::Provider;

use super::StoreResult;

/// An attempt about to be sent to its provider.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewAttempt {
    pub order_no: String,
    pub provider: Provider,
    pub branch: BranchId,
    pub till: TillId,
    pub receipt_no: String,
    pub attempt: u32,
    pub amount: Money,
    pub code_masked: String,
}

/// An attempt with what only HQ needs of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredAttempt {
    pub attempt: PaymentAttempt,
    pub branch: BranchId,
    pub till: TillId,
    pub created_at: Timestamp,
    /// When the next call to the provider falls due (not final).
    pub next_at: Option<Timestamp>,
    /// Calls made to the provider so far.
    pub calls: u32,
}

/// Whether a record was made now or was there already.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Begun<T> {
    /// Made now: the caller (holding it) calls the provider.
    New(T),
    /// The same request was made before: this is where it stands.
    Existing(T),
}

/// One call to the provider and what the gateway made of its answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallRecord {
    /// `pay`, `query`, `cancel`, `refund`, `refund_query`, or `cashier_cancel`.
    pub call: &'static str,
    pub state: AttemptState,
    /// The provider's transaction id and when it took the money (paid).
    pub paid: Option<(String, Option<Timestamp>)>,
    /// The reason shown for a refusal or a cancel: (code, message, retryable). `None` keeps
    /// the one recorded before (a cancel's answer keeps why it was cancelled).
    pub failure: Option<(String, String, bool)>,
    /// When the next call falls due (ignored when the state is final).
    pub next_at: Option<Timestamp>,
    pub note: String,
}

/// A call in an attempt's log.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PaymentCall {
    pub call: String,
    pub at: Timestamp,
    /// The attempt's state after it (a refund's: the refund's state).
    pub state: String,
    pub note: String,
}

/// A refund about to be sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewRefund {
    pub order_no: String,
    pub seq: u32,
    pub amount: Money,
    pub refund_receipt_no: String,
    pub reason: Option<String>,
}

/// A refund call's result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefundRecord {
    pub call: &'static str,
    pub state: RefundState,
    pub refund_id: Option<String>,
    pub failure: Option<(String, String)>,
    pub next_at: Option<Timestamp>,
    pub note: String,
}

/// Which attempts to list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PaymentFilter {
    pub branch: Option<BranchId>,
    pub till: Option<TillId>,
    pub receipt_no: Option<String>,
    /// Made at or after.
    pub from: Option<Timestamp>,
    /// Made before.
    pub to: Option<Timestamp>,
    /// Only those not final.
    pub open: bool,
    pub limit: u32,
}

/// The payment gateway's records.
pub trait PaymentStore {
    /// Records an attempt before its provider is called, held by the caller until
    /// `lease_until`. The same receipt number and attempt again is `Existing` (as it stands);
    /// with another amount or code it is a conflict. The till must exist at the branch.
    fn begin_payment(&self, new: &NewAttempt, lease_until: Timestamp) -> StoreResult<Begun<StoredAttempt>>;

    /// An attempt by its order number (`NotFound` if none).
    fn payment(&self, order_no: &str) -> StoreResult<StoredAttempt>;

    /// Records a call and its outcome, and lets go of the lease. A final attempt does not change:
    /// it comes back as it is. One being cancelled moves on only by a cancel's answer (a query
    /// answered meanwhile is logged, and the cancel falls due at once).
    fn record_payment_call(&self, order_no: &str, record: &CallRecord) -> StoreResult<StoredAttempt>;

    /// Holds an attempt that is not final until `lease_until`, if no one else holds it at `now`;
    /// whether it was taken.
    fn lease_payment(&self, order_no: &str, now: Timestamp, lease_until: Timestamp) -> StoreResult<bool>;

    /// Takes hold of up to `limit` attempts that are not final, whose next call is due at `now`
    /// and that no one holds, until `lease_until`: the gateway's recovery after a crash and its
    /// polling of attempts no till is waiting on.
    fn claim_due_payments(&self, now: Timestamp, lease_until: Timestamp, limit: u32)
    -> StoreResult<Vec<StoredAttempt>>;

    /// An attempt's calls, oldest first.
    fn payment_calls(&self, order_no: &str) -> StoreResult<Vec<PaymentCall>>;

    /// Attempts by the filter, newest first (at most `limit`, capped at 1,000).
    fn payments(&self, filter: &PaymentFilter) -> StoreResult<Vec<StoredAttempt>>;

    /// Records a refund before it is sent. The attempt must be paid, and its refunds (all but the
    /// failed) may not come to more than it paid (a conflict saying how much is left). The same
    /// seq again is `Existing`; with another amount, a conflict.
    fn begin_refund(&self, new: &NewRefund) -> StoreResult<Begun<PaymentRefund>>;

    /// Records a refund call's outcome; a final refund (refunded, failed) does not change.
    fn record_refund_call(&self, out_refund_no: &str, record: &RefundRecord) -> StoreResult<PaymentRefund>;

    /// A payment's refunds, by seq.
    fn payment_refunds(&self, order_no: &str) -> StoreResult<Vec<PaymentRefund>>;

    /// Refunds still pending whose next query is due at `now` (at most `limit`).
    fn due_refunds(&self, now: Timestamp, limit: u32) -> StoreResult<Vec<PaymentRefund>>;
}
