//! Bank cards on the payment terminal as the till keeps them: every sale request is written
//! before it is sent to the terminal and updated with the answer, so a till killed while the
//! customer pays knows at restart which request to query.

use jiff::Timestamp;
use rusqlite::{Transaction, params};
use serde::{Deserialize, Serialize};
use shared::ids::{SaleId, ShiftId, StaffId};
use shared::money::Money;
use shared::receipt::ReceiptNo;

use super::{Store, StoreResult, from_json, to_json};

/// Where a card request stands at the till.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CardState {
    /// Written; the terminal has not answered.
    Sending,
    /// No answer, and a query could not tell: queried again at the next start.
    Unknown,
    /// Approved: the tender is on the sale.
    Approved,
    /// Declined by the bank or the terminal: nothing taken.
    Declined,
    /// Never carried out (terminal not connected, busy, or it has no such request): nothing taken.
    NotDone,
    /// Approved, then taken back on the terminal (the sale it was for was gone): nothing kept.
    Voided,
}

impl CardState {
    pub fn code(self) -> &'static str {
        match self {
            CardState::Sending => "sending",
            CardState::Unknown => "unknown",
            CardState::Approved => "approved",
            CardState::Declined => "declined",
            CardState::NotDone => "not_done",
            CardState::Voided => "voided",
        }
    }

    pub fn is_final(self) -> bool {
        !matches!(self, CardState::Sending | CardState::Unknown)
    }
}

/// One request to take a sale's amount from a bank card on the terminal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardAttempt {
    /// `{receipt_no}-C{attempt}`: the terminal's request id.
    pub request_id: String,
    pub sale: SaleId,
    pub receipt_no: ReceiptNo,
    pub attempt: u32,
    pub amount: Money,
    pub state: CardState,
    /// The card as the terminal masked it (first 6, last 4), once approved.
    pub card: Option<String>,
    pub auth_code: Option<String>,
    /// The terminal's reference number, once approved.
    pub reference: Option<String>,
    pub failure_code: Option<String>,
    /// The terminal's words (a decline's reason), or what the till did.
    pub message: Option<String>,
    pub shift: ShiftId,
    pub cashier: StaffId,
    pub started_at: Timestamp,
    pub updated_at: Timestamp,
    /// Settled by the recovery at a start (the cashier is told which way).
    #[serde(default)]
    pub recovered: bool,
}

pub(crate) fn insert_card_attempt(tx: &Transaction<'_>, a: &CardAttempt) -> StoreResult<()> {
    tx.execute(
        "INSERT INTO card_attempts (request_id, receipt_no, attempt, state, json) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![a.request_id, a.receipt_no.to_string(), a.attempt, a.state.code(), to_json(a)?],
    )?;
    Ok(())
}

pub(crate) fn update_card_attempt(tx: &Transaction<'_>, a: &CardAttempt) -> StoreResult<()> {
    tx.execute(
        "UPDATE card_attempts SET state = ?2, json = ?3 WHERE request_id = ?1",
        params![a.request_id, a.state.code(), to_json(a)?],
    )?;
    Ok(())
}

impl Store {
    /// The card requests not settled (the terminal must be asked), oldest first.
    pub fn unsettled_card_attempts(&self) -> StoreResult<Vec<CardAttempt>> {
        let mut stmt = self
            .conn()
            .prepare_cached("SELECT json FROM card_attempts WHERE state IN ('sending', 'unknown') ORDER BY rowid")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?.collect::<Result<Vec<_>, _>>()?;
        rows.iter().map(|j| from_json(j)).collect()
    }

    /// A sale's card requests, in order.
    pub fn card_attempts_of(&self, receipt_no: &ReceiptNo) -> StoreResult<Vec<CardAttempt>> {
        let mut stmt =
            self.conn().prepare_cached("SELECT json FROM card_attempts WHERE receipt_no = ?1 ORDER BY attempt")?;
        let rows =
            stmt.query_map([receipt_no.to_string()], |r| r.get::<_, String>(0))?.collect::<Result<Vec<_>, _>>()?;
        rows.iter().map(|j| from_json(j)).collect()
    }
}
