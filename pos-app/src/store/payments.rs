//! Payments by code (WeChat Pay, Alipay) as the till keeps them: every attempt is written before
//! its collect request leaves for HQ, and updated with each answer, so a till killed anywhere
//! knows at restart which attempts to ask HQ about.

use jiff::Timestamp;
use rusqlite::{OptionalExtension, Transaction, params};
use serde::{Deserialize, Serialize};
use shared::ids::{SaleId, ShiftId, StaffId};
use shared::money::Money;
use shared::payment::AttemptState;
use shared::payment_code::Provider;
use shared::receipt::ReceiptNo;

use super::{Store, StoreResult, from_json, to_json};

/// One attempt to collect a payment code's amount for a sale, as the till knows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TillAttempt {
    /// `{receipt_no}-{attempt}`: HQ's and the provider's name for it.
    pub order_no: String,
    pub sale: SaleId,
    pub receipt_no: ReceiptNo,
    pub attempt: u32,
    pub provider: Provider,
    /// The code's first and last four digits (the full code is never written).
    pub code_masked: String,
    pub amount: Money,
    pub state: AttemptState,
    pub transaction_id: Option<String>,
    pub failure_code: Option<String>,
    /// The provider's words (a refusal's reason), or what HQ did.
    pub message: Option<String>,
    pub shift: ShiftId,
    pub cashier: StaffId,
    pub started_at: Timestamp,
    pub updated_at: Timestamp,
    /// Settled by the recovery at a restart (the cashier is told which way).
    #[serde(default)]
    pub recovered: bool,
}

pub(crate) fn insert_attempt(tx: &Transaction<'_>, a: &TillAttempt) -> StoreResult<()> {
    tx.execute(
        "INSERT INTO payment_attempts (order_no, sale_id, receipt_no, attempt, state, json)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![a.order_no, a.sale.to_string(), a.receipt_no.to_string(), a.attempt, a.state.code(), to_json(a)?],
    )?;
    Ok(())
}

pub(crate) fn update_attempt(tx: &Transaction<'_>, a: &TillAttempt) -> StoreResult<()> {
    tx.execute(
        "UPDATE payment_attempts SET state = ?2, json = ?3 WHERE order_no = ?1",
        params![a.order_no, a.state.code(), to_json(a)?],
    )?;
    Ok(())
}

impl Store {
    /// The attempts not final yet (HQ must be asked), oldest first.
    pub fn unsettled_attempts(&self) -> StoreResult<Vec<TillAttempt>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT json FROM payment_attempts WHERE state NOT IN ('paid', 'failed', 'cancelled') ORDER BY rowid",
        )?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?.collect::<Result<Vec<_>, _>>()?;
        rows.iter().map(|j| from_json(j)).collect()
    }

    /// A sale's attempts, in order.
    pub fn attempts_of(&self, receipt_no: &ReceiptNo) -> StoreResult<Vec<TillAttempt>> {
        let mut stmt =
            self.conn().prepare_cached("SELECT json FROM payment_attempts WHERE receipt_no = ?1 ORDER BY attempt")?;
        let rows =
            stmt.query_map([receipt_no.to_string()], |r| r.get::<_, String>(0))?.collect::<Result<Vec<_>, _>>()?;
        rows.iter().map(|j| from_json(j)).collect()
    }

    /// One attempt by its order number.
    pub fn attempt(&self, order_no: &str) -> StoreResult<Option<TillAttempt>> {
        let json: Option<String> = self
            .conn()
            .query_row("SELECT json FROM payment_attempts WHERE order_no = ?1", [order_no], |r| r.get(0))
            .optional()?;
        json.map(|j| from_json(&j)).transpose()
    }
}
