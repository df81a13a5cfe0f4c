//! Refunds by code (WeChat Pay, Alipay) as the till keeps them: a return that gives money back to
//! a payment code waits for HQ's gateway, so the return (its receipt number taken) and each refund
//! asked of HQ are written before the request leaves, and updated with each answer. A till killed
//! anywhere knows at restart which refunds to ask HQ about again, under the same refund numbers.
//! A card part of a return (kind `bank_card`) is kept the same way and asked of the payment
//! terminal instead, under its terminal request id (`engine::card_refunds`).

use jiff::Timestamp;
use rusqlite::{OptionalExtension, Transaction, params};
use serde::{Deserialize, Serialize};
use shared::ids::SaleId;
use shared::money::Money;
use shared::receipt::ReceiptNo;
use shared::sale::{Refund, TenderKind};
use shared::sync::AuditEntry;

use super::{Store, StoreResult, from_json, to_json};

/// Where one refund asked of HQ's gateway stands at the till.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CodeRefundState {
    /// Written; HQ has not answered (it may or may not have the request).
    Sending,
    /// HQ's gateway has it and the provider accepted it; not confirmed yet.
    Pending,
    Refunded,
    /// The provider (or HQ) refused it: nothing went back.
    Failed,
}

impl CodeRefundState {
    pub fn code(self) -> &'static str {
        match self {
            CodeRefundState::Sending => "sending",
            CodeRefundState::Pending => "pending",
            CodeRefundState::Refunded => "refunded",
            CodeRefundState::Failed => "failed",
        }
    }

    /// The money is on its way back or back: what HQ accepts a refund event for.
    pub fn moved(self) -> bool {
        matches!(self, CodeRefundState::Pending | CodeRefundState::Refunded)
    }
}

impl From<shared::payment::RefundState> for CodeRefundState {
    fn from(s: shared::payment::RefundState) -> Self {
        match s {
            shared::payment::RefundState::Pending => CodeRefundState::Pending,
            shared::payment::RefundState::Refunded => CodeRefundState::Refunded,
            shared::payment::RefundState::Failed => CodeRefundState::Failed,
        }
    }
}

/// One refund of a payment by code, asked of HQ for a return.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeRefund {
    /// `{order_no}-R{seq}`: the refund number at HQ and the provider, which the refund's tender
    /// carries as its reference and the refund receipt prints.
    pub out_refund_no: String,
    /// The payment it gives back to.
    pub order_no: String,
    /// 1 for the payment's first refund, one more for each (failed ones count).
    pub seq: u32,
    pub kind: TenderKind,
    /// The sale's tender it gives back to (its index in the sale's and the refund's tenders).
    pub tender: usize,
    pub amount: Money,
    /// The return's receipt number.
    pub receipt_no: ReceiptNo,
    pub state: CodeRefundState,
    /// The provider's refund id (WeChat Pay).
    pub refund_id: Option<String>,
    pub failure_code: Option<String>,
    /// The provider's words for a refusal (what the cashier reads).
    pub message: Option<String>,
    pub started_at: Timestamp,
    pub updated_at: Timestamp,
    /// A bank-card refund on the payment terminal: the card's approval carried the masked card
    /// (first 6, last 4), and this is the refund approval's auth code (`refund_id` is its
    /// terminal reference).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_code: Option<String>,
    /// A bank-card void (撤销) of the sale's terminal request `void_of` rather than a refund by
    /// reference (退货): a post-void in the shift of a sale paid in full by card on this till.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub void_of: Option<String>,
}

/// Where a return waiting on its refunds by code stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CodeReturnState {
    /// Refunds asked, not all answered (or one refused after another moved money).
    Open,
    /// Every refund accepted: the return is recorded under its receipt number.
    Completed,
    /// Refused before any money moved: nothing was recorded (the receipt number stays unused).
    Refused,
}

impl CodeReturnState {
    pub fn code(self) -> &'static str {
        match self {
            CodeReturnState::Open => "open",
            CodeReturnState::Completed => "completed",
            CodeReturnState::Refused => "refused",
        }
    }
}

/// A return (or void) that gives money back by code, as it will be recorded once HQ's gateway
/// has accepted every refund.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeReturn {
    /// The refund record, its receipt number taken; its mobile tenders still name the payment's
    /// transaction id until their refunds are accepted.
    pub refund: Refund,
    /// The approvals (and a clawback waiver) written with it.
    pub audits: Vec<AuditEntry>,
    pub state: CodeReturnState,
}

pub(crate) fn insert_return(tx: &Transaction<'_>, r: &CodeReturn) -> StoreResult<()> {
    tx.execute(
        "INSERT INTO code_returns (receipt_no, sale_id, state, json) VALUES (?1, ?2, ?3, ?4)",
        params![
            r.refund.receipt_no.to_string(),
            r.refund.sale.map(|s| s.to_string()).unwrap_or_default(),
            r.state.code(),
            to_json(r)?
        ],
    )?;
    Ok(())
}

pub(crate) fn update_return(tx: &Transaction<'_>, r: &CodeReturn) -> StoreResult<()> {
    tx.execute(
        "UPDATE code_returns SET state = ?2, json = ?3 WHERE receipt_no = ?1",
        params![r.refund.receipt_no.to_string(), r.state.code(), to_json(r)?],
    )?;
    Ok(())
}

pub(crate) fn insert_code_refund(tx: &Transaction<'_>, r: &CodeRefund) -> StoreResult<()> {
    tx.execute(
        "INSERT INTO code_refunds (out_refund_no, order_no, seq, receipt_no, state, json)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![r.out_refund_no, r.order_no, r.seq, r.receipt_no.to_string(), r.state.code(), to_json(r)?],
    )?;
    Ok(())
}

pub(crate) fn update_code_refund(tx: &Transaction<'_>, r: &CodeRefund) -> StoreResult<()> {
    tx.execute(
        "UPDATE code_refunds SET state = ?2, json = ?3 WHERE out_refund_no = ?1",
        params![r.out_refund_no, r.state.code(), to_json(r)?],
    )?;
    Ok(())
}

/// The highest refund number this till gave a payment so far (0 for none), inside `tx`.
pub(crate) fn last_refund_seq(tx: &Transaction<'_>, order_no: &str) -> StoreResult<u32> {
    Ok(tx.query_row("SELECT COALESCE(MAX(seq), 0) FROM code_refunds WHERE order_no = ?1", [order_no], |r| r.get(0))?)
}

impl Store {
    fn code_returns_where(&self, sql: &str, arg: &str) -> StoreResult<Vec<CodeReturn>> {
        let mut stmt = self.conn().prepare_cached(sql)?;
        let rows = stmt.query_map([arg], |r| r.get::<_, String>(0))?.collect::<Result<Vec<_>, _>>()?;
        rows.iter().map(|j| from_json(j)).collect()
    }

    /// The returns still waiting on refunds by code, oldest first.
    pub fn open_code_returns(&self) -> StoreResult<Vec<CodeReturn>> {
        self.code_returns_where("SELECT json FROM code_returns WHERE state = ?1 ORDER BY rowid", "open")
    }

    /// The open return of a sale, if one waits on its refunds by code.
    pub fn open_code_return_of(&self, sale: SaleId) -> StoreResult<Option<CodeReturn>> {
        let rows = self.code_returns_where(
            "SELECT json FROM code_returns WHERE sale_id = ?1 AND state = 'open' ORDER BY rowid",
            &sale.to_string(),
        )?;
        Ok(rows.into_iter().next())
    }

    /// A return by code by its receipt number.
    pub fn code_return(&self, receipt_no: &ReceiptNo) -> StoreResult<Option<CodeReturn>> {
        let json: Option<String> = self
            .conn()
            .query_row("SELECT json FROM code_returns WHERE receipt_no = ?1", [receipt_no.to_string()], |r| r.get(0))
            .optional()?;
        json.map(|j| from_json(&j)).transpose()
    }

    /// The refunds asked for a return, in the order of the sale's tenders.
    pub fn code_refunds_of(&self, receipt_no: &ReceiptNo) -> StoreResult<Vec<CodeRefund>> {
        let mut stmt =
            self.conn().prepare_cached("SELECT json FROM code_refunds WHERE receipt_no = ?1 ORDER BY rowid")?;
        let rows =
            stmt.query_map([receipt_no.to_string()], |r| r.get::<_, String>(0))?.collect::<Result<Vec<_>, _>>()?;
        let mut out: Vec<CodeRefund> = rows.iter().map(|j| from_json(j)).collect::<StoreResult<_>>()?;
        out.sort_by_key(|r| (r.tender, r.seq));
        Ok(out)
    }

    /// Every refund this till asked of a payment, by seq.
    pub fn code_refunds_of_payment(&self, order_no: &str) -> StoreResult<Vec<CodeRefund>> {
        let mut stmt = self.conn().prepare_cached("SELECT json FROM code_refunds WHERE order_no = ?1 ORDER BY seq")?;
        let rows = stmt.query_map([order_no], |r| r.get::<_, String>(0))?.collect::<Result<Vec<_>, _>>()?;
        rows.iter().map(|j| from_json(j)).collect()
    }
}
