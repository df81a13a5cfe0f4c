//! The `Provider` trait HQ's payment gateway calls, and the outcomes it acts on.
//!
//! Every outcome says exactly what the gateway may do next:
//!
//! | outcome | the money | the gateway |
//! |---|---|---|
//! | `Paid` | taken, once | completes the sale |
//! | `UserPaying` | not yet | polls `query` |
//! | `Failed` | not taken | tells the till (`retryable`: a new attempt with a fresh code may work) |
//! | `NotPaid`, `Closed`, `NotFound` | not taken | (query answers) cancels `NotPaid`; nothing for the others |
//! | `Unknown` | cannot be told | queries (and cancels what did not complete) |
//! | `Err(ProviderError::BadSignature)` | cannot be told | logs and queries again, never takes it as paid |

use std::future::Future;
use std::pin::Pin;

/// Which provider
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProviderKind {
    WeChat,
    Alipay,
}

impl std::fmt::Display for ProviderKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ProviderKind::WeChat => "WeChat Pay",
            ProviderKind::Alipay => "Alipay",
        })
    }
}

/// Collect `amount` fen from the customer whose payment code (付款码) was scanned
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayRequest {
    /// The attempt's order number (`crate::order_no`)
    pub out_trade_no: String,
    /// The scanned payment code
    pub auth_code: String,
    /// Fen, at least 1
    pub amount: i64,
    /// What the customer's app shows (WeChat `body`, Alipay `subject`), e.g. the shop's name
    pub subject: String,
    /// The till (WeChat `device_info`, Alipay `terminal_id`)
    pub terminal: Option<String>,
}

/// Refund `amount` fen of the paid order `out_trade_no` (whose whole amount was `total`)
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundRequest {
    pub out_trade_no: String,
    /// This refund's number (`OrderNo::refund_no`); the same number again is the same refund
    pub out_refund_no: String,
    /// Fen, at least 1
    pub amount: i64,
    /// The order's whole amount in fen (WeChat's `total_fee`)
    pub total: i64,
    pub reason: Option<String>,
}

/// A payment the provider says is complete
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paid {
    /// The provider's id (WeChat `transaction_id`, Alipay `trade_no`), printed on the receipt
    pub transaction_id: String,
    /// Fen taken
    pub amount: i64,
    /// When the provider took it, if it said
    pub paid_at: Option<jiff::Timestamp>,
}

/// A refusal: the money was not taken (or refunded)
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The provider's code (WeChat `err_code`, Alipay `sub_code` or `code`)
    pub code: String,
    /// The provider's words (WeChat `err_code_des`, Alipay `sub_msg`)
    pub message: String,
    /// True when a new attempt may succeed (another code, another funding source, later);
    /// false when the request itself is wrong and repeating it cannot help
    pub retryable: bool,
}

/// What a payment (or a query of one) came to
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PayOutcome {
    Paid(Paid),
    /// The customer must confirm on the phone (password): poll `query`
    UserPaying,
    Failed(Failure),
    /// (query) The order exists and is not paid: cancel it before giving up
    NotPaid,
    /// (query) The order is closed or reversed: nothing was (or remains) taken.
    /// Alipay also calls a fully refunded trade closed
    Closed,
    /// (query) The provider has no such order: nothing was taken
    NotFound,
    /// No answer, or an answer that says the provider does not know yet: query
    Unknown {
        reason: String,
    },
}

/// A pay answer before the client acts on it: an outcome, or "this order was paid already"
/// (WeChat `ORDERPAID`, Alipay `ACQ.TRADE_HAS_SUCCESS`), which the client turns into the query's
/// answer (the transaction id and amount come only from there)
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PayAnswer {
    Outcome(PayOutcome),
    AlreadyPaid,
}

/// What a cancel (WeChat 撤销 reverse, Alipay 撤销 cancel) came to
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CancelOutcome {
    /// Nothing remains taken (`refunded`: money had been taken and went back; false when the
    /// order was just closed, or when the provider does not say)
    Cancelled {
        refunded: bool,
    },
    /// The provider asks for the cancel to be called again (WeChat `recall=Y`, Alipay `retry_flag=Y`)
    CallAgain,
    Failed(Failure),
    /// No such order: nothing was taken
    NotFound,
    Unknown {
        reason: String,
    },
}

/// A refund the provider has made
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refunded {
    /// The provider's refund id (WeChat `refund_id`); Alipay has none besides the merchant's number
    pub refund_id: Option<String>,
    /// Fen of this refund
    pub amount: i64,
    /// Fen refunded on the order so far, when the provider says (Alipay `refund_fee`)
    pub refunded_total: Option<i64>,
    pub refunded_at: Option<jiff::Timestamp>,
}

/// What a refund (or a query of one) came to
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefundOutcome {
    Refunded(Refunded),
    /// Accepted but not confirmed yet (WeChat always; Alipay when `fund_change=N`, which is also
    /// what a repeated request says): query the refund
    Pending {
        refund_id: Option<String>,
    },
    Failed(Failure),
    /// (query) No such refund: nothing was refunded under that number
    NotFound,
    Unknown {
        reason: String,
    },
}

/// An answer the gateway cannot act on as an outcome
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    /// The answer's signature does not verify: it is refused, logged, and the attempt queried again
    #[error("{provider} answer's signature does not verify ({detail})")]
    BadSignature { provider: ProviderKind, detail: String },
    /// The answer is not the provider's answer shape (or is for another order or merchant)
    #[error("{provider} answer cannot be read: {detail}")]
    Malformed { provider: ProviderKind, detail: String },
    /// The request was not sent: it cannot be made (e.g. an amount of zero)
    #[error("{provider} request not sent: {detail}")]
    InvalidRequest { provider: ProviderKind, detail: String },
}

/// The future a provider's call returns (boxed so the gateway can hold `Arc<dyn Provider>`)
pub type ProviderFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, ProviderError>> + Send + 'a>>;

/// A payment provider as the gateway sees it
pub trait Provider: Send + Sync {
    fn kind(&self) -> ProviderKind;
    /// Charge a scanned payment code. An answer that the order was paid already is turned into
    /// the query's `Paid`, so a retry with the same order number is answered as the first was.
    fn pay<'a>(&'a self, request: &'a PayRequest) -> ProviderFuture<'a, PayOutcome>;
    fn query<'a>(&'a self, out_trade_no: &'a str) -> ProviderFuture<'a, PayOutcome>;
    /// Reverse an order: close it if unpaid, give the money back if paid
    fn cancel<'a>(&'a self, out_trade_no: &'a str) -> ProviderFuture<'a, CancelOutcome>;
    fn refund<'a>(&'a self, request: &'a RefundRequest) -> ProviderFuture<'a, RefundOutcome>;
    fn refund_query<'a>(&'a self, out_trade_no: &'a str, out_refund_no: &'a str) -> ProviderFuture<'a, RefundOutcome>;
}

/// A provider time in Beijing time (WeChat `20141030133525`, Alipay `2014-11-27 15:45:57`)
pub(crate) fn beijing_time(text: &str) -> Option<jiff::Timestamp> {
    let format = if text.len() == 14 { "%Y%m%d%H%M%S" } else { "%Y-%m-%d %H:%M:%S" };
    let civil = jiff::civil::DateTime::strptime(format, text).ok()?;
    civil.in_tz("Asia/Shanghai").ok().map(|zoned| zoned.timestamp())
}

/// A moment as the providers write it, Beijing time, `%Y-%m-%d %H:%M:%S` or `%Y%m%d%H%M%S`
pub(crate) fn beijing_text(at: jiff::Timestamp, compact: bool) -> String {
    let zoned = at.to_zoned(jiff::tz::TimeZone::get("Asia/Shanghai").unwrap_or(jiff::tz::TimeZone::UTC));
    let format = if compact { "%Y%m%d%H%M%S" } else { "%Y-%m-%d %H:%M:%S" };
    zoned.strftime(format).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_times_are_beijing_time() {
        let at = beijing_time("20141030133525").unwrap_or_else(|| panic!("reads"));
        assert_eq!(at.to_string(), "2014-10-30T05:35:25Z");
        assert_eq!(beijing_time("2014-10-30 13:35:25"), Some(at));
        assert_eq!(beijing_text(at, true), "20141030133525");
        assert_eq!(beijing_text(at, false), "2014-10-30 13:35:25");
        assert_eq!(beijing_time("2014-13-30 13:35:25"), None);
        assert_eq!(beijing_time(""), None);
    }
}
