//! Payments by code (付款码): a WeChat Pay or Alipay payment code scanned on the payment screen is
//! collected through HQ's payment gateway (the till holds no merchant key).
//!
//! Exactness: the sale takes its receipt number at its first attempt (kept on the saved cart; the
//! sale completes under it), so every attempt has HQ's order number `{receipt_no}-{attempt}`. The
//! attempt is written durably before its collect request leaves, and updated with each answer.
//! Paid: the tender joins the sale in the same transaction as the attempt's update, and a sale
//! the tenders cover completes as any other. Failed or cancelled: nothing is tendered; the
//! cashier reads the provider's reason. Not final: the till polls, and the cashier may cancel.
//! At a start, [`Till::recover_payments`] asks HQ about every attempt not final, cancels what is
//! still open (HQ reverses it), completes the sale an attempt paid, and says which way each went.

use shared::money::Money;
use shared::payment::{AttemptState, CollectRequest, PaymentAttempt};
use shared::payment_code::{PaymentCode, PaymentScan, classify};
use shared::sale::{TenderInput, TenderKind};

use super::tender::{Completed, Paid};
use super::{Till, TillError, TillResult};
use crate::authority::AuthorityError;
use crate::store::TillAttempt;
use crate::store::payments::{insert_attempt, update_attempt};

/// A step of a payment by code, for fault injection (a test kills the till there).
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PaymentStep {
    /// The attempt is on disk; its collect request has not left.
    Recorded,
    /// HQ answered; the answer is not written yet.
    Answered,
    /// The answer is written (a paid one's tender is on the sale); the sale is not completed.
    Written,
    /// A return's refunds by code are on disk (its receipt number taken); none has been sent.
    RefundRecorded,
    /// HQ answered a refund (or a refund's status); the answer is not written yet.
    RefundAnswered,
    /// A card request is on disk; it has not gone to the terminal.
    CardRecorded,
    /// The terminal answered a card request; the answer is not written yet.
    CardAnswered,
}

/// What a payment by code came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CodePayment {
    /// Paid: the tender is on the sale, which completed if it is covered.
    Paid { attempt: TillAttempt, paid: Paid },
    /// Not settled yet (the customer confirms on the phone, or HQ cannot tell yet): poll with
    /// [`Till::poll_code_payment`], or give up with [`Till::cancel_code_payment`].
    Waiting(TillAttempt),
    /// Not paid (refused, or cancelled/reversed): nothing was tendered; the attempt carries the
    /// provider's reason.
    NotPaid(TillAttempt),
}

/// An attempt the recovery at a start settled (or could not: HQ unreachable).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recovered {
    pub attempt: TillAttempt,
    /// The sale it paid, completed now (its receipt printed).
    pub completed: Option<Box<Completed>>,
}

impl Till {
    /// Fault injection for tests: `hook` is called at each [`PaymentStep`].
    #[doc(hidden)]
    pub fn set_payment_hook(&mut self, hook: Option<Box<dyn FnMut(PaymentStep) + Send>>) {
        self.payment_hook = hook;
    }

    pub(crate) fn step(&mut self, step: PaymentStep) {
        if let Some(hook) = self.payment_hook.as_mut() {
            hook(step);
        }
    }

    /// Takes a payment code scanned (or typed) on the payment screen for `amount` (the amount
    /// typed first, for a split tender), or what is due. Refused before anything is sent: not a
    /// payment code, a misread one (scan again), an amount of zero or more than is due, another
    /// payment by code of this sale not settled yet. HQ unreachable: nothing can be taken; the
    /// attempt stays on record and is settled when HQ is back.
    pub fn pay_by_code(&mut self, text: &str, amount: Option<Money>) -> TillResult<CodePayment> {
        let shift = self.my_shift()?;
        let cashier = self.cashier()?.id;
        let code = match classify(text) {
            PaymentScan::Wechat(c) | PaymentScan::Alipay(c) => c,
            PaymentScan::Misread(m) => return Err(TillError::PaymentMisread(m.to_string())),
            PaymentScan::NotAPaymentCode => {
                return Err(TillError::Invalid("not a WeChat Pay or Alipay payment code".into()));
            }
        };
        let view = self.view()?.ok_or(TillError::NoSale)?;
        if view.lines.is_empty() {
            return Err(TillError::NoSale);
        }
        // An earlier attempt not settled may still take money: it is settled first.
        self.settle_open_attempts()?;
        let view = self.view()?.ok_or(TillError::NoSale)?;
        let amount = amount.unwrap_or(view.remaining);
        if amount.0 <= 0 {
            return Err(shared::sale::TenderError::NotPositive.into());
        }
        let kind = TenderKind::of_provider(code.provider());
        if amount > view.remaining {
            return Err(shared::sale::TenderError::Overpaid { kind, amount, remaining: view.remaining }.into());
        }

        // The attempt on disk (and the sale's receipt number with the cart) before it is sent.
        let mut cart = self.cart.clone().ok_or(TillError::NoSale)?;
        let stamp = self.stamp();
        let existing = cart.receipt_no.clone();
        let attempts = match &existing {
            Some(no) => self.store.attempts_of(no)?.len() as u32,
            None => 0,
        };
        let sale = cart.id;
        let masked = code.masked();
        let attempt = self.store.durable(|tx| {
            let receipt_no = match existing {
                Some(no) => no,
                None => stamp.next_receipt_no(tx)?,
            };
            let number = attempts + 1;
            let attempt = TillAttempt {
                order_no: format!("{receipt_no}-{number}"),
                sale,
                receipt_no: receipt_no.clone(),
                attempt: number,
                provider: code.provider(),
                code_masked: masked,
                amount,
                state: AttemptState::Sending,
                transaction_id: None,
                failure_code: None,
                message: None,
                shift: shift.id,
                cashier,
                started_at: stamp.at,
                updated_at: stamp.at,
                recovered: false,
            };
            insert_attempt(tx, &attempt)?;
            cart.receipt_no = Some(receipt_no);
            crate::store::write_cart(tx, Some(&crate::store::to_json(&cart)?))?;
            Ok(attempt)
        })?;
        self.cart = Some(cart);
        self.payment_codes.insert(attempt.order_no.clone(), code.clone());
        self.step(PaymentStep::Recorded);
        self.send_collect(attempt, &code)
    }

    fn send_collect(&mut self, attempt: TillAttempt, code: &PaymentCode) -> TillResult<CodePayment> {
        let request = CollectRequest {
            receipt_no: attempt.receipt_no.to_string(),
            attempt: attempt.attempt,
            code: code.reveal().to_owned(),
            amount: attempt.amount,
        };
        match self.authority.collect_payment(&request) {
            Ok(answer) => {
                self.step(PaymentStep::Answered);
                self.absorb(attempt, &answer, false)
            }
            // Refused before anything was sent to the provider (HQ's validation): not paid.
            Err(AuthorityError::Refused { code, message }) => {
                self.step(PaymentStep::Answered);
                self.mark_not_paid(attempt, AttemptState::Failed, Some(code), message)
            }
            Err(AuthorityError::NotFound) => {
                self.mark_not_paid(attempt, AttemptState::Failed, None, "HQ has no payment gateway".into())
            }
            Err(AuthorityError::Unavailable(why)) => Err(TillError::HqUnavailable(format!(
                "a WeChat Pay / Alipay code cannot be taken without HQ ({why}); take another payment. \
                 The attempt {} is kept and settled with HQ when it is back",
                attempt.order_no
            ))),
        }
    }

    fn mark_not_paid(
        &mut self,
        mut attempt: TillAttempt,
        state: AttemptState,
        code: Option<String>,
        message: String,
    ) -> TillResult<CodePayment> {
        attempt.state = state;
        attempt.failure_code = code;
        attempt.message = Some(message);
        attempt.updated_at = self.now();
        self.store.durable(|tx| update_attempt(tx, &attempt))?;
        self.payment_codes.remove(&attempt.order_no);
        Ok(CodePayment::NotPaid(attempt))
    }

    /// Writes HQ's answer about `attempt`; a paid one's tender joins its sale in the same
    /// transaction, and the sale completes if its tenders cover it.
    fn absorb(
        &mut self,
        mut attempt: TillAttempt,
        answer: &PaymentAttempt,
        recovered: bool,
    ) -> TillResult<CodePayment> {
        attempt.state = answer.state;
        attempt.transaction_id = answer.transaction_id.clone();
        attempt.failure_code = answer.failure_code.clone();
        attempt.message = answer.message.clone();
        attempt.updated_at = self.now();
        attempt.recovered |= recovered && answer.state.is_final();
        let mut cart = self.cart.clone();
        let joins = answer.state == AttemptState::Paid
            && cart.as_ref().is_some_and(|c| {
                c.receipt_no.as_ref() == Some(&attempt.receipt_no) && !has_tender(c, &attempt.order_no)
            });
        if answer.state == AttemptState::Paid
            && !joins
            && cart.as_ref().is_none_or(|c| c.receipt_no.as_ref() != Some(&attempt.receipt_no))
            && self.store.sale_by_receipt(&attempt.receipt_no)?.is_none()
        {
            // Money taken for a sale that is neither open nor completed here: a refund is owed.
            tracing::error!(order_no = %attempt.order_no, "a paid payment by code has no sale at this till");
        }
        if joins && let Some(c) = cart.as_mut() {
            let kind = TenderKind::of_provider(attempt.provider);
            let txn = answer.transaction_id.clone().unwrap_or_default();
            c.tenders.push(TenderInput::mobile(kind, attempt.amount, &txn, &attempt.order_no));
        }
        self.store.durable(|tx| {
            update_attempt(tx, &attempt)?;
            if joins {
                let json = cart.as_ref().map(crate::store::to_json).transpose()?;
                crate::store::write_cart(tx, json.as_deref())?;
            }
            Ok(())
        })?;
        self.cart = cart;
        if answer.state.is_final() {
            self.payment_codes.remove(&attempt.order_no);
        }
        self.step(PaymentStep::Written);
        match answer.state {
            AttemptState::Paid => {
                let paid = self.complete_if_covered(&attempt)?;
                Ok(CodePayment::Paid { attempt, paid })
            }
            AttemptState::Failed | AttemptState::Cancelled => Ok(CodePayment::NotPaid(attempt)),
            AttemptState::Sending | AttemptState::UserPaying | AttemptState::Unknown | AttemptState::Cancelling => {
                Ok(CodePayment::Waiting(attempt))
            }
        }
    }

    /// Completes the sale once its tenders cover it: by the session's cashier, or (at a restart,
    /// no one signed in) by the cashier of the open shift.
    fn complete_if_covered(&mut self, attempt: &TillAttempt) -> TillResult<Paid> {
        self.complete_covered(attempt.shift, attempt.cashier)
    }

    /// Completes the sale once its tenders cover it, by the session's cashier, or with no one
    /// signed in by `cashier` when the open shift is `shift` (else the open shift's cashier).
    pub(crate) fn complete_covered(
        &mut self,
        shift_of: shared::ids::ShiftId,
        cashier_of: shared::ids::StaffId,
    ) -> TillResult<Paid> {
        let Some(view) = self.view()? else {
            return Ok(Paid::Part { outstanding: Money::ZERO });
        };
        if view.outstanding.0 > 0 {
            return Ok(Paid::Part { outstanding: view.outstanding });
        }
        let (shift, cashier) = match (self.my_shift(), self.cashier()) {
            (Ok(shift), Ok(me)) => (shift, me.id),
            _ => {
                let shift = self.store.open_shift()?.ok_or(TillError::NoOpenShift)?;
                let cashier = if shift.id == shift_of { cashier_of } else { shift.cashier };
                (shift, cashier)
            }
        };
        let done = self.complete_in(shift, cashier, false)?;
        Ok(Paid::Completed(Box::new(done)))
    }

    /// The sale in progress's attempt not settled yet, if any.
    pub fn code_payment_pending(&self) -> TillResult<Option<TillAttempt>> {
        let Some(no) = self.cart.as_ref().and_then(|c| c.receipt_no.clone()) else { return Ok(None) };
        Ok(self.store.attempts_of(&no)?.into_iter().find(|a| !a.state.is_final()))
    }

    /// Asks HQ where the sale's open attempt stands (HQ queries the provider when due).
    pub fn poll_code_payment(&mut self) -> TillResult<Option<CodePayment>> {
        let Some(attempt) = self.code_payment_pending()? else { return Ok(None) };
        self.ask(attempt, false).map(Some)
    }

    /// The cashier gives up on the open attempt: HQ cancels it at the provider (reversing it if the
    /// customer paid after all). A paid answer joins the sale as any paid one does.
    pub fn cancel_code_payment(&mut self) -> TillResult<Option<CodePayment>> {
        self.cashier()?;
        let Some(attempt) = self.code_payment_pending()? else { return Ok(None) };
        match self.authority.cancel_payment(&attempt.order_no) {
            Ok(answer) => self.absorb(attempt, &answer, false).map(Some),
            // HQ never received it: nothing was charged.
            Err(AuthorityError::NotFound) => self.never_received(attempt, false).map(Some),
            Err(e) => Err(e.into()),
        }
    }

    fn never_received(&mut self, attempt: TillAttempt, recovered: bool) -> TillResult<CodePayment> {
        let mut attempt = attempt;
        attempt.recovered = recovered;
        self.mark_not_paid(
            attempt,
            AttemptState::Failed,
            Some("not_received".into()),
            "HQ never received this payment: nothing was charged".into(),
        )
    }

    /// One question to HQ about `attempt`. A status HQ has not heard of: the collect request never
    /// arrived; sent again (the same attempt, never a second charge) when the till still holds the
    /// code, else the attempt is settled as not paid.
    fn ask(&mut self, attempt: TillAttempt, recovered: bool) -> TillResult<CodePayment> {
        match self.authority.payment_status(&attempt.order_no) {
            Ok(answer) => self.absorb(attempt, &answer, recovered),
            Err(AuthorityError::NotFound) => match self.payment_codes.get(&attempt.order_no).cloned() {
                Some(code) => self.send_collect(attempt, &code),
                None => self.never_received(attempt, recovered),
            },
            Err(e) => Err(e.into()),
        }
    }

    /// Settles the sale's earlier attempts before a new one: refused while one stays open.
    fn settle_open_attempts(&mut self) -> TillResult<()> {
        if let Some(attempt) = self.code_payment_pending()? {
            match self.ask(attempt, false)? {
                CodePayment::Waiting(_) => return Err(TillError::PaymentPending),
                CodePayment::Paid { .. } | CodePayment::NotPaid(_) => {}
            }
        }
        Ok(())
    }

    /// At a start: every attempt not final is asked of HQ; one still open is cancelled (HQ
    /// reverses it); a paid one's tender joins its sale, which completes and prints when its
    /// tenders cover it. Also completes a sale whose paid tenders were on disk when the till
    /// stopped. Attempts HQ could not be asked about stay open (asked again at the next call).
    pub fn recover_payments(&mut self) -> TillResult<Vec<Recovered>> {
        let mut out = Vec::new();
        for attempt in self.store.unsettled_attempts()? {
            let settled = match self.authority.payment_status(&attempt.order_no) {
                Ok(answer) if answer.state.is_final() => self.absorb(attempt.clone(), &answer, true),
                Ok(_) => match self.authority.cancel_payment(&attempt.order_no) {
                    Ok(answer) => self.absorb(attempt.clone(), &answer, true),
                    Err(e) => Err(e.into()),
                },
                Err(AuthorityError::NotFound) => self.never_received(attempt.clone(), true),
                Err(e) => Err(e.into()),
            };
            match settled {
                Ok(CodePayment::Paid { attempt, paid }) => out.push(Recovered {
                    attempt,
                    completed: match paid {
                        Paid::Completed(c) => Some(c),
                        Paid::Part { .. } => None,
                    },
                }),
                Ok(CodePayment::NotPaid(attempt) | CodePayment::Waiting(attempt)) => {
                    out.push(Recovered { attempt, completed: None })
                }
                Err(TillError::HqUnavailable(why)) => {
                    tracing::warn!(order_no = %attempt.order_no, %why, "HQ unreachable: the attempt stays open");
                    out.push(Recovered { attempt, completed: None });
                }
                Err(e) => return Err(e),
            }
        }
        // Paid tenders on the saved cart that cover it (the till stopped before completing).
        if let Some(cart) = self.cart.clone()
            && let Some(no) = cart.receipt_no.clone()
            && cart.tenders.iter().any(|t| t.kind.is_mobile())
            && self.code_payment_pending()?.is_none()
            && let Some(paid) = self.store.attempts_of(&no)?.into_iter().rfind(|a| a.state == AttemptState::Paid)
            && let Paid::Completed(done) = self.complete_if_covered(&paid)?
        {
            out.push(Recovered { attempt: paid, completed: Some(done) });
        }
        Ok(out)
    }

    /// Refused while the sale has a payment by code taken or not settled: the money is the
    /// customer's until the sale completes (or the attempt is cancelled).
    pub(crate) fn check_no_code_payment(&self) -> TillResult<()> {
        let Some(cart) = self.cart.as_ref() else { return Ok(()) };
        if cart.tenders.iter().any(|t| t.kind.is_mobile()) {
            return Err(TillError::PaidByCode);
        }
        if cart.tenders.iter().any(super::card_pay::from_terminal) {
            return Err(TillError::CardTaken);
        }
        if self.code_payment_pending()?.is_some() || self.card_payment_pending()?.is_some() {
            return Err(TillError::PaymentPending);
        }
        Ok(())
    }
}

fn has_tender(cart: &super::Cart, order_no: &str) -> bool {
    cart.tenders.iter().any(|t| t.authorization.as_ref().and_then(|a| a.order_no.as_deref()) == Some(order_no))
}
