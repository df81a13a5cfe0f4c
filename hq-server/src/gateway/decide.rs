//! What the gateway does after each answer of a provider: pure, so every path of a payment
//! attempt is a table test. The shell (`super`) calls the provider, stores the decision and,
//! while the attempt is not final, makes the call the decision names when it falls due.
//!
//! The rules, in short: only the provider's `Paid` of exactly the amount asked makes an attempt
//! paid; an answer that cannot be told (no answer, a bad signature, a system error) is queried;
//! an order that exists but is not paid is cancelled (reversed) before the attempt gives up; a
//! customer who does not confirm within the deadline is cancelled; a cancel is repeated until the
//! provider confirms it.

use payments::{CancelOutcome, Failure, PayOutcome, ProviderError, RefundOutcome};
use shared::payment::{AttemptState, RefundState};

/// The call the gateway makes next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    /// Nothing: the attempt is final.
    Done,
    Query,
    Cancel,
}

/// What became of an attempt after one answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    pub state: AttemptState,
    pub next: Next,
    /// The provider's transaction id and when it took the money (paid).
    pub paid: Option<(String, Option<jiff::Timestamp>)>,
    /// The provider's code and words, or HQ's (failed, cancelled, or why it is being cancelled).
    pub failure: Option<Failure>,
    /// What the answer was, for the attempt's log.
    pub note: String,
}

impl Decision {
    fn new(state: AttemptState, next: Next, note: impl Into<String>) -> Decision {
        Decision { state, next, paid: None, failure: None, note: note.into() }
    }

    fn failing(mut self, code: &str, message: impl Into<String>, retryable: bool) -> Decision {
        self.failure = Some(Failure { code: code.into(), message: message.into(), retryable });
        self
    }
}

/// Paid: the sale completes, unless the provider took another amount than was asked, which is
/// reversed (a sale is never completed on a payment that does not match it).
fn paid(p: &payments::Paid, amount: i64) -> Decision {
    if p.amount == amount {
        let mut d = Decision::new(AttemptState::Paid, Next::Done, format!("paid: {}", p.transaction_id));
        d.paid = Some((p.transaction_id.clone(), p.paid_at));
        d
    } else {
        Decision::new(
            AttemptState::Cancelling,
            Next::Cancel,
            format!("paid {} fen, not the {amount} asked: reversing", p.amount),
        )
        .failing(
            "AMOUNT_MISMATCH",
            format!("the provider took {} fen, not {amount}: reversed", p.amount),
            true,
        )
    }
}

fn unreadable(e: &ProviderError, state: AttemptState) -> Decision {
    // A bad signature or an answer that cannot be read is refused, never taken as paid: the
    // attempt is queried again (a cancelling one is cancelled again).
    let next = if state == AttemptState::Cancelling { Next::Cancel } else { Next::Query };
    let state = if state == AttemptState::Sending { AttemptState::Unknown } else { state };
    Decision::new(state, next, format!("refused: {e}"))
}

/// After the pay call.
pub fn after_pay(answer: &Result<PayOutcome, ProviderError>, amount: i64) -> Decision {
    match answer {
        Ok(PayOutcome::Paid(p)) => paid(p, amount),
        Ok(PayOutcome::UserPaying) => {
            Decision::new(AttemptState::UserPaying, Next::Query, "the customer confirms on the phone")
        }
        Ok(PayOutcome::Failed(f)) => Decision {
            failure: Some(f.clone()),
            ..Decision::new(AttemptState::Failed, Next::Done, format!("refused: {} {}", f.code, f.message))
        },
        Ok(PayOutcome::Unknown { reason }) => {
            Decision::new(AttemptState::Unknown, Next::Query, format!("no answer: {reason}"))
        }
        Ok(other @ (PayOutcome::NotPaid | PayOutcome::Closed | PayOutcome::NotFound)) => {
            Decision::new(AttemptState::Unknown, Next::Query, format!("a pay answered as a query ({other:?})"))
        }
        Err(ProviderError::InvalidRequest { detail, .. }) => Decision::new(
            AttemptState::Failed,
            Next::Done,
            format!("not sent: {detail}"),
        )
        .failing("INVALID_REQUEST", detail.clone(), false),
        Err(e) => unreadable(e, AttemptState::Sending),
    }
}

/// After a query of an attempt in `state` (sending, user paying or unknown); `past_deadline`:
/// the customer has had the whole time allowed to confirm.
pub fn after_query(
    answer: &Result<PayOutcome, ProviderError>,
    amount: i64,
    state: AttemptState,
    past_deadline: bool,
) -> Decision {
    let waiting = if state == AttemptState::Sending { AttemptState::Unknown } else { state };
    match answer {
        Ok(PayOutcome::Paid(p)) => paid(p, amount),
        Ok(PayOutcome::UserPaying) | Ok(PayOutcome::NotPaid) if !past_deadline && state == AttemptState::UserPaying => {
            Decision::new(AttemptState::UserPaying, Next::Query, "not confirmed yet")
        }
        Ok(PayOutcome::UserPaying) if !past_deadline => {
            Decision::new(AttemptState::UserPaying, Next::Query, "the customer confirms on the phone")
        }
        Ok(PayOutcome::UserPaying) => Decision::new(
            AttemptState::Cancelling,
            Next::Cancel,
            "not confirmed in time: cancelling",
        )
        .failing("USER_TIMEOUT", "the customer did not confirm in time", true),
        Ok(PayOutcome::NotPaid) => Decision::new(AttemptState::Cancelling, Next::Cancel, "not paid: cancelling")
            .failing("NOT_PAID", "the payment did not go through", true),
        Ok(PayOutcome::Closed) => Decision::new(AttemptState::Cancelled, Next::Done, "closed at the provider").failing(
            "CLOSED",
            "the order was closed at the provider: nothing was taken",
            true,
        ),
        Ok(PayOutcome::NotFound) => Decision::new(AttemptState::Failed, Next::Done, "the provider has no such order")
            .failing("NOT_FOUND", "the provider never received the payment: nothing was taken", true),
        Ok(PayOutcome::Failed(f)) => Decision {
            failure: Some(f.clone()),
            ..Decision::new(AttemptState::Failed, Next::Done, format!("failed: {} {}", f.code, f.message))
        },
        Ok(PayOutcome::Unknown { reason }) => Decision::new(waiting, Next::Query, format!("no answer: {reason}")),
        Err(e) => unreadable(e, waiting),
    }
}

/// After a cancel (reverse).
pub fn after_cancel(answer: &Result<CancelOutcome, ProviderError>) -> Decision {
    match answer {
        Ok(CancelOutcome::Cancelled { refunded: true }) => {
            Decision::new(AttemptState::Cancelled, Next::Done, "reversed: the money went back")
        }
        Ok(CancelOutcome::Cancelled { refunded: false }) => {
            Decision::new(AttemptState::Cancelled, Next::Done, "cancelled: nothing was taken")
        }
        Ok(CancelOutcome::NotFound) => {
            Decision::new(AttemptState::Cancelled, Next::Done, "the provider has no such order: nothing was taken")
        }
        Ok(CancelOutcome::CallAgain) => {
            Decision::new(AttemptState::Cancelling, Next::Cancel, "the provider asks for the cancel again")
        }
        Ok(CancelOutcome::Failed(f)) => Decision::new(
            AttemptState::Cancelling,
            Next::Cancel,
            format!("cancel refused: {} {} (tried again later)", f.code, f.message),
        ),
        Ok(CancelOutcome::Unknown { reason }) => {
            Decision::new(AttemptState::Cancelling, Next::Cancel, format!("no answer to the cancel: {reason}"))
        }
        Err(e) => unreadable(e, AttemptState::Cancelling),
    }
}

/// What became of a refund after one answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefundDecision {
    pub state: RefundState,
    pub refund_id: Option<String>,
    /// The provider's refusal (a failed refund is shown to the cashier, never paid in cash).
    pub failure: Option<Failure>,
    /// An answer that was refused (bad signature, unreadable), for HQ's log.
    pub refused: Option<String>,
    /// (a query) The provider has no such refund: send it again under the same number.
    pub resend: bool,
    pub note: String,
}

impl RefundDecision {
    fn new(state: RefundState, note: impl Into<String>) -> RefundDecision {
        RefundDecision { state, refund_id: None, failure: None, refused: None, resend: false, note: note.into() }
    }
}

/// After a refund call.
pub fn after_refund(answer: &Result<RefundOutcome, ProviderError>) -> RefundDecision {
    match answer {
        Ok(RefundOutcome::Refunded(r)) => RefundDecision {
            refund_id: r.refund_id.clone(),
            ..RefundDecision::new(RefundState::Refunded, format!("refunded {} fen", r.amount))
        },
        Ok(RefundOutcome::Pending { refund_id }) => RefundDecision {
            refund_id: refund_id.clone(),
            ..RefundDecision::new(RefundState::Pending, "accepted, not confirmed yet")
        },
        Ok(RefundOutcome::Failed(f)) => RefundDecision {
            failure: Some(f.clone()),
            ..RefundDecision::new(RefundState::Failed, format!("refused: {} {}", f.code, f.message))
        },
        Ok(RefundOutcome::NotFound) => RefundDecision::new(RefundState::Pending, "answered as not found: queried"),
        Ok(RefundOutcome::Unknown { reason }) => {
            RefundDecision::new(RefundState::Pending, format!("no answer: {reason}"))
        }
        Err(e) => RefundDecision {
            refused: Some(e.to_string()),
            ..RefundDecision::new(RefundState::Pending, format!("refused: {e}"))
        },
    }
}

/// After a refund query: as a refund's answer, except that a refund the provider does not have
/// is sent again (under its number, so it cannot be made twice).
pub fn after_refund_query(answer: &Result<RefundOutcome, ProviderError>) -> RefundDecision {
    match answer {
        Ok(RefundOutcome::NotFound) => RefundDecision {
            resend: true,
            ..RefundDecision::new(RefundState::Pending, "the provider has no such refund: sent again")
        },
        other => after_refund(other),
    }
}

#[cfg(test)]
mod tests {
    use payments::{Paid, ProviderKind};

    use super::*;

    fn paid_of(amount: i64) -> PayOutcome {
        PayOutcome::Paid(Paid { transaction_id: "4200001".into(), amount, paid_at: None })
    }

    fn failure(code: &str) -> Failure {
        Failure { code: code.into(), message: "余额不足".into(), retryable: true }
    }

    fn bad_signature() -> ProviderError {
        ProviderError::BadSignature { provider: ProviderKind::WeChat, detail: "sign".into() }
    }

    #[test]
    fn a_pay_answer_decides_the_state_and_the_next_call() {
        use AttemptState as S;
        let cases: Vec<(Result<PayOutcome, ProviderError>, S, Next)> = vec![
            (Ok(paid_of(1000)), S::Paid, Next::Done),
            (Ok(paid_of(999)), S::Cancelling, Next::Cancel),
            (Ok(PayOutcome::UserPaying), S::UserPaying, Next::Query),
            (Ok(PayOutcome::Failed(failure("NOTENOUGH"))), S::Failed, Next::Done),
            (Ok(PayOutcome::Unknown { reason: "timeout".into() }), S::Unknown, Next::Query),
            (Ok(PayOutcome::NotFound), S::Unknown, Next::Query),
            (Err(bad_signature()), S::Unknown, Next::Query),
            (
                Err(ProviderError::InvalidRequest { provider: ProviderKind::Alipay, detail: "zero".into() }),
                S::Failed,
                Next::Done,
            ),
        ];
        for (answer, state, next) in cases {
            let d = after_pay(&answer, 1000);
            assert_eq!((d.state, d.next), (state, next), "{answer:?}");
            assert_eq!(d.paid.is_some(), state == S::Paid, "{answer:?}");
        }
        assert_eq!(after_pay(&Ok(PayOutcome::Failed(failure("NOTENOUGH"))), 1000).failure, Some(failure("NOTENOUGH")));
        let mismatch = after_pay(&Ok(paid_of(999)), 1000);
        assert_eq!(mismatch.failure.map(|f| f.code), Some("AMOUNT_MISMATCH".into()));
    }

    #[test]
    fn a_query_answer_waits_for_the_customer_until_the_deadline_then_cancels() {
        use AttemptState as S;
        let q = |answer: Result<PayOutcome, ProviderError>, state, late| {
            let d = after_query(&answer, 1000, state, late);
            (d.state, d.next)
        };
        assert_eq!(q(Ok(paid_of(1000)), S::UserPaying, true), (S::Paid, Next::Done), "paid late is still paid");
        assert_eq!(q(Ok(PayOutcome::UserPaying), S::UserPaying, false), (S::UserPaying, Next::Query));
        assert_eq!(q(Ok(PayOutcome::NotPaid), S::UserPaying, false), (S::UserPaying, Next::Query));
        assert_eq!(q(Ok(PayOutcome::UserPaying), S::UserPaying, true), (S::Cancelling, Next::Cancel));
        assert_eq!(q(Ok(PayOutcome::NotPaid), S::UserPaying, true), (S::Cancelling, Next::Cancel));
        // After a timeout: an order that exists unpaid is cancelled at once.
        assert_eq!(q(Ok(PayOutcome::NotPaid), S::Unknown, false), (S::Cancelling, Next::Cancel));
        assert_eq!(q(Ok(PayOutcome::UserPaying), S::Unknown, false), (S::UserPaying, Next::Query));
        assert_eq!(q(Ok(PayOutcome::NotFound), S::Sending, false), (S::Failed, Next::Done));
        assert_eq!(q(Ok(PayOutcome::Closed), S::Unknown, false), (S::Cancelled, Next::Done));
        assert_eq!(q(Ok(PayOutcome::Failed(failure("PAYERROR"))), S::Unknown, false), (S::Failed, Next::Done));
        // What cannot be told is asked again, never taken as paid or unpaid.
        assert_eq!(q(Ok(PayOutcome::Unknown { reason: "503".into() }), S::Sending, true), (S::Unknown, Next::Query));
        assert_eq!(q(Err(bad_signature()), S::UserPaying, false), (S::UserPaying, Next::Query));
        assert_eq!(q(Ok(paid_of(10)), S::Unknown, false), (S::Cancelling, Next::Cancel));
    }

    #[test]
    fn a_cancel_is_repeated_until_the_provider_confirms_it() {
        use AttemptState as S;
        let c = |answer: Result<CancelOutcome, ProviderError>| {
            let d = after_cancel(&answer);
            (d.state, d.next)
        };
        assert_eq!(c(Ok(CancelOutcome::Cancelled { refunded: true })), (S::Cancelled, Next::Done));
        assert_eq!(c(Ok(CancelOutcome::Cancelled { refunded: false })), (S::Cancelled, Next::Done));
        assert_eq!(c(Ok(CancelOutcome::NotFound)), (S::Cancelled, Next::Done));
        assert_eq!(c(Ok(CancelOutcome::CallAgain)), (S::Cancelling, Next::Cancel));
        assert_eq!(c(Ok(CancelOutcome::Failed(failure("SYSTEMERROR")))), (S::Cancelling, Next::Cancel));
        assert_eq!(c(Ok(CancelOutcome::Unknown { reason: "timeout".into() })), (S::Cancelling, Next::Cancel));
        assert_eq!(c(Err(bad_signature())), (S::Cancelling, Next::Cancel));
    }

    #[test]
    fn a_refund_is_final_only_when_the_provider_says_so_and_one_it_lost_is_sent_again() {
        let refunded = Ok(RefundOutcome::Refunded(payments::Refunded {
            refund_id: Some("50000001".into()),
            amount: 300,
            refunded_total: Some(300),
            refunded_at: None,
        }));
        let d = after_refund(&refunded);
        assert_eq!((d.state, d.refund_id.as_deref()), (RefundState::Refunded, Some("50000001")));
        assert_eq!(after_refund(&Ok(RefundOutcome::Pending { refund_id: None })).state, RefundState::Pending);
        let refused = after_refund(&Ok(RefundOutcome::Failed(failure("NOTENOUGH"))));
        assert_eq!((refused.state, refused.failure.map(|f| f.code)), (RefundState::Failed, Some("NOTENOUGH".into())));
        let bad = after_refund(&Err(bad_signature()));
        assert_eq!((bad.state, bad.refused.is_some(), bad.resend), (RefundState::Pending, true, false));
        assert!(after_refund_query(&Ok(RefundOutcome::NotFound)).resend);
        assert!(!after_refund(&Ok(RefundOutcome::NotFound)).resend);
    }
}
