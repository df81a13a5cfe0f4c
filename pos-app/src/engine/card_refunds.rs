//! Card parts of a return on the payment terminal (退货 / 撤销, issue 23): a sale's card payment
//! the terminal approved goes back to that card on the terminal, never in cash.
//!
//! It rides on the returns by code (`code_refunds`): the return and each card part are written
//! durably (`code_refunds`, kind `bank_card`) before the terminal hears of them, under a request id
//! fixed then: `{reference}-R{seq}` for a refund by the sale's terminal reference, or
//! `{request_id}-V{seq}` for a void (撤销) of the sale's request, which a post-void in the shift of
//! a sale paid on this till's terminal uses. The terminal never carries out a request id twice (it
//! answers one it has seen from its records), so a part whose answer was lost, or a till killed
//! after sending it, is simply sent again under the same id at the next start or return.
//!
//! Approved: the part is refunded, and the return's card tender carries the refund's terminal
//! reference, the masked card and the auth code. Declined: nothing went back, the cashier reads
//! the terminal's words, and the return is not recorded (unless another part already moved money:
//! then it stays open). No answer: the return stays open and is asked about again.

use super::mobile_pay::PaymentStep;
use super::{Till, TillError, TillResult};
use crate::peripherals::CardAnswer;
use crate::store::refunds::update_code_refund;
use crate::store::{CardState, CodeRefund, CodeRefundState, CodeReturn};
use shared::sale::{Refund, RefundKind, Tender, TenderKind};

/// How a card tender of a return goes back: a void of the sale's terminal request, or a refund by
/// its reference. Only a card the terminal approved goes back on the terminal (a reference typed
/// by the cashier is refunded by hand, as before).
pub(crate) fn on_terminal(t: &Tender) -> bool {
    t.kind == TenderKind::BankCard && t.amount.0 > 0 && t.authorization.as_ref().is_some_and(|a| a.card.is_some())
}

impl Till {
    /// What a card tender of `refund` is sent as: `(order_no, void_of)`, the sale's terminal
    /// reference and, for a post-void of a sale paid on this till's terminal, the request to void.
    pub(crate) fn card_refund_target(&self, refund: &Refund, t: &Tender) -> TillResult<(String, Option<String>)> {
        if self.card_terminal.is_none() {
            return Err(TillError::Invalid(
                "the payment terminal is not connected: a card payment taken on it goes back to the card on it".into(),
            ));
        }
        let Some(reference) = t.reference.clone().filter(|r| !r.trim().is_empty()) else {
            return Err(TillError::Invalid("the sale's card payment has no terminal reference".into()));
        };
        let mut void_of = None;
        if refund.kind == RefundKind::Void
            && let Some(original) = &refund.original_receipt
        {
            void_of = self
                .store
                .card_attempts_of(original)?
                .into_iter()
                .find(|a| {
                    a.state == CardState::Approved && a.reference.as_ref() == Some(&reference) && a.amount == t.amount
                })
                .map(|a| a.request_id);
        }
        Ok((reference, void_of))
    }

    /// One card part sent to the terminal (again, after a lost answer or a restart: the same id),
    /// an unknown outcome queried once; the answer is written. `fresh`: sent for the first time, so
    /// "nothing done" means nothing was done (otherwise an earlier send may have been carried out,
    /// and the return stays open).
    pub(crate) fn ask_card_refund(
        &mut self,
        ret: &CodeReturn,
        mut r: CodeRefund,
        fresh: bool,
    ) -> TillResult<CodeRefund> {
        let open = |why: String| TillError::RefundOpen { receipt_no: ret.refund.receipt_no.to_string(), why };
        let Some(terminal) = self.card_terminal.as_deref() else {
            return Err(open("the payment terminal is not connected".into()));
        };
        let mut answer = match &r.void_of {
            Some(original) => terminal.void(&r.out_refund_no, original),
            None => terminal.refund(&r.out_refund_no, &r.order_no, r.amount),
        };
        if let CardAnswer::Unknown { .. } = answer {
            answer = match terminal.query(&r.out_refund_no) {
                // The terminal never had it.
                CardAnswer::NotDone { why } if why.contains("no such request") => CardAnswer::NotDone { why },
                CardAnswer::NotDone { why } => CardAnswer::Unknown { why },
                other => other,
            };
        }
        self.step(PaymentStep::RefundAnswered);
        match answer {
            CardAnswer::Approved { amount, card, auth_code, reference } => {
                if amount != r.amount {
                    // What the terminal did is what the return records' money went by; logged for
                    // the branch to look at.
                    tracing::error!(request = %r.out_refund_no, %amount, asked = %r.amount, "the terminal refunded another amount");
                }
                r.state = CodeRefundState::Refunded;
                r.refund_id = Some(reference);
                r.card = Some(card);
                r.auth_code = Some(auth_code).filter(|a| !a.is_empty());
                r.failure_code = None;
                r.message = None;
            }
            CardAnswer::Declined { code, message } => return self.refused(r, &code, &message),
            CardAnswer::NotDone { why } if fresh => {
                return self.refused(r, "not_done", &format!("the payment terminal did not take it: {why}"));
            }
            CardAnswer::NotDone { why } | CardAnswer::Unknown { why } => {
                r.message = Some(why.clone());
                r.updated_at = self.now();
                self.store.durable(|tx| update_code_refund(tx, &r))?;
                return Err(open(format!(
                    "the payment terminal's answer about {} is not known: {why}",
                    r.out_refund_no
                )));
            }
        }
        r.updated_at = self.now();
        self.store.durable(|tx| update_code_refund(tx, &r))?;
        Ok(r)
    }
}
