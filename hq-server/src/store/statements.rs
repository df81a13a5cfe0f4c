//! The providers' daily statements as HQ imported them, and what reconciliation reads of HQ's
//! own side of a day (`store/sql/statements.rs`). Reconciliation itself is `crate::reconciliation`
//! (what to compare) and `payments::reconcile` (how).

use jiff::Timestamp;
use jiff::civil::Date;
use payments::reconcile::StatementLine;
use shared::ids::{BranchId, TillId};
use shared::payment_code::Provider;

use super::StoreResult;
use crate::model::Actor;

/// A statement checked and read, to be stored (replacing the same provider's statement of the
/// same day, if there was one).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewStatement {
    pub provider: Provider,
    /// The provider's day (Beijing time) the statement covers.
    pub day: Date,
    pub file_name: String,
    /// The file's SHA-256, hex.
    pub sha256: String,
    pub lines: Vec<StatementLine>,
}

/// A statement as stored, without its lines.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct StatementInfo {
    pub id: i64,
    /// `wechat` or `alipay`.
    pub provider: String,
    #[schema(value_type = String, format = Date)]
    pub day: Date,
    pub file_name: String,
    pub sha256: String,
    /// Rows that moved money (payments, reversals, refunds).
    pub lines: u32,
    /// Fen the provider kept: payments less reversals.
    pub paid: i64,
    /// Fen given back by refunds.
    pub refunded: i64,
    #[schema(value_type = String)]
    pub imported_at: Timestamp,
    pub imported_by: String,
    /// Whether it replaced an earlier import of the same day.
    pub replaced: bool,
}

/// A statement file that was refused, and why (nothing of it was imported).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct RejectedStatement {
    pub provider: String,
    #[schema(value_type = String, format = Date)]
    pub day: Date,
    pub file_name: String,
    pub sha256: String,
    pub reason: String,
    #[schema(value_type = String)]
    pub at: Timestamp,
    pub by: String,
}

/// A payment attempt the gateway saw paid, with what the tills' sales claim of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaidAttempt {
    pub order_no: String,
    pub branch: BranchId,
    pub till: TillId,
    pub receipt_no: String,
    pub transaction_id: Option<String>,
    pub amount: i64,
    pub paid_at: Timestamp,
    /// The sum of the sale tenders HQ holds that this payment backs (`None`: no sale claims it).
    pub claimed: Option<i64>,
}

/// A refund the gateway made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GatewayRefund {
    pub order_no: String,
    pub out_refund_no: String,
    pub branch: BranchId,
    pub amount: i64,
    /// `pending`, `refunded` or `failed`.
    pub state: String,
    pub made_at: Timestamp,
}

/// The statements and HQ's side of reconciliation.
pub trait StatementStore {
    /// Stores a statement all at once, replacing the same provider's statement of the same day,
    /// with an audit entry.
    fn import_statement(&self, actor: &Actor, statement: &NewStatement) -> StoreResult<StatementInfo>;

    /// Keeps a refused file's name, hash and reason.
    fn reject_statement(&self, actor: &Actor, rejected: &RejectedStatement) -> StoreResult<()>;

    /// A provider's statement of a day, with its lines in file order.
    fn statement(&self, provider: Provider, day: Date) -> StoreResult<Option<(StatementInfo, Vec<StatementLine>)>>;

    /// The statements of days `from..=to`, by day then provider.
    fn statements(&self, from: Date, to: Date) -> StoreResult<Vec<StatementInfo>>;

    /// The files refused, newest first (at most `limit`).
    fn statement_rejections(&self, limit: u32) -> StoreResult<Vec<RejectedStatement>>;

    /// The provider's payments the gateway saw paid at `from..to`, with what the sales HQ holds
    /// claim of each, in one snapshot.
    fn paid_attempts(&self, provider: Provider, from: Timestamp, to: Timestamp) -> StoreResult<Vec<PaidAttempt>>;

    /// The provider's refunds the gateway made at `from..to`.
    fn gateway_refunds(&self, provider: Provider, from: Timestamp, to: Timestamp) -> StoreResult<Vec<GatewayRefund>>;
}
