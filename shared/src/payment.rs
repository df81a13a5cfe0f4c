//! A payment code's payment as the till and HQ's payment gateway speak of it
//! (`/api/v1/till/payments`): the till asks HQ to collect an amount for a sale, HQ calls the
//! provider (the till never holds a merchant key) and answers with the attempt's state.
//!
//! An attempt is named by its order number, derived from the sale's receipt number and the
//! attempt (1, 2, …): `{receipt_no}-{attempt}`. Asking again with the same receipt number and
//! attempt is the same attempt (never a second charge); a new attempt (another code after a
//! decline) takes the next number.
//!
//! | state | the money | what follows |
//! |---|---|---|
//! | `sending` | cannot be told yet | HQ queries the provider |
//! | `user_paying` | not yet | the customer confirms on the phone; HQ polls, cancels at the deadline |
//! | `unknown` | cannot be told | HQ queries (a timeout, a bad signature) |
//! | `cancelling` | being given back | HQ cancels (reverses) until the provider confirms |
//! | `paid` | taken, once | the sale completes with the transaction id |
//! | `failed` | not taken | the cashier sees the provider's reason |
//! | `cancelled` | not taken, or given back | the cashier sees it was reversed |

use serde::{Deserialize, Serialize};

use crate::money::Money;
use crate::payment_code::Provider;

/// Where an attempt stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttemptState {
    Sending,
    UserPaying,
    Unknown,
    Cancelling,
    Paid,
    Failed,
    Cancelled,
}

impl AttemptState {
    pub const ALL: [AttemptState; 7] = [
        AttemptState::Sending,
        AttemptState::UserPaying,
        AttemptState::Unknown,
        AttemptState::Cancelling,
        AttemptState::Paid,
        AttemptState::Failed,
        AttemptState::Cancelled,
    ];

    pub fn code(self) -> &'static str {
        match self {
            AttemptState::Sending => "sending",
            AttemptState::UserPaying => "user_paying",
            AttemptState::Unknown => "unknown",
            AttemptState::Cancelling => "cancelling",
            AttemptState::Paid => "paid",
            AttemptState::Failed => "failed",
            AttemptState::Cancelled => "cancelled",
        }
    }

    pub fn from_code(code: &str) -> Option<AttemptState> {
        AttemptState::ALL.into_iter().find(|s| s.code() == code)
    }

    /// Nothing more will happen to it: paid, failed or cancelled.
    pub fn is_final(self) -> bool {
        matches!(self, AttemptState::Paid | AttemptState::Failed | AttemptState::Cancelled)
    }
}

/// `POST /api/v1/till/payments`: collect `amount` for the sale `receipt_no` from the customer
/// whose payment code was scanned.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CollectRequest {
    pub receipt_no: String,
    /// 1 for the sale's first attempt, one more for each new code.
    pub attempt: u32,
    /// The scanned code, all its digits (HQ passes it to the provider and keeps only its mask).
    pub code: String,
    /// Fen, above zero and at most what is due (the till checks what is due).
    pub amount: Money,
}

/// An attempt as HQ knows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentAttempt {
    pub order_no: String,
    pub provider: Provider,
    pub receipt_no: String,
    pub attempt: u32,
    pub amount: Money,
    /// The code, first four and last four digits.
    pub code_masked: String,
    pub state: AttemptState,
    /// The provider's transaction id, once paid (printed on the receipt).
    pub transaction_id: Option<String>,
    /// When the provider took the money, once paid.
    pub paid_at: Option<jiff::Timestamp>,
    /// The provider's code for a refusal, or why it was cancelled.
    pub failure_code: Option<String>,
    /// The provider's words for a refusal (what the cashier reads), or what HQ did.
    pub message: Option<String>,
    /// A new attempt (another code, or later) may succeed.
    pub retryable: bool,
    /// Refunded so far (fen), by refunds the provider confirmed.
    pub refunded: Money,
}

/// `POST /api/v1/till/payments/{order_no}/refunds`: give `amount` back to where it came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundRequest {
    /// 1 for the payment's first refund, one more for each; the same number again is the same
    /// refund (never a second one).
    pub seq: u32,
    pub amount: Money,
    /// The till's refund receipt number.
    pub refund_receipt_no: String,
    pub reason: Option<String>,
}

/// Where a refund stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundState {
    /// Accepted by the provider, not confirmed yet (HQ queries it).
    Pending,
    Refunded,
    /// The provider refused it: nothing went back (shown to the cashier, never paid in cash
    /// silently).
    Failed,
}

impl RefundState {
    pub fn code(self) -> &'static str {
        match self {
            RefundState::Pending => "pending",
            RefundState::Refunded => "refunded",
            RefundState::Failed => "failed",
        }
    }

    pub fn from_code(code: &str) -> Option<RefundState> {
        [RefundState::Pending, RefundState::Refunded, RefundState::Failed].into_iter().find(|s| s.code() == code)
    }
}

/// A refund as HQ knows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentRefund {
    pub order_no: String,
    /// `{order_no}-R{seq}`: the merchant's refund number at the provider.
    pub out_refund_no: String,
    pub seq: u32,
    pub amount: Money,
    pub refund_receipt_no: String,
    pub state: RefundState,
    /// The provider's refund id (WeChat Pay; Alipay has only the merchant's number).
    pub refund_id: Option<String>,
    pub failure_code: Option<String>,
    pub message: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_round_trip_their_codes_and_only_three_are_final() {
        for s in AttemptState::ALL {
            assert_eq!(AttemptState::from_code(s.code()), Some(s));
            let json = serde_json::to_string(&s).expect("json");
            assert_eq!(json, format!("\"{}\"", s.code()));
        }
        let finals: Vec<_> = AttemptState::ALL.into_iter().filter(|s| s.is_final()).collect();
        assert_eq!(finals, [AttemptState::Paid, AttemptState::Failed, AttemptState::Cancelled]);
        assert_eq!(AttemptState::from_code("settled"), None);
        for s in [RefundState::Pending, RefundState::Refunded, RefundState::Failed] {
            assert_eq!(RefundState::from_code(s.code()), Some(s));
        }
    }
}
