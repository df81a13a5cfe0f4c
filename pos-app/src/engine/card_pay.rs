//! Bank cards on the payment terminal (银行卡, issue 23): the card tender sends the amount to the
//! terminal and the approved answer becomes the tender, with the terminal's reference number and
//! its authorization (the card masked to its first 6 and last 4 digits, the issuer's auth code);
//! the full card number never reaches the till (`settle` refuses anything else).
//!
//! Exactness, as for payments by code: the sale takes its receipt number at its first attempt, the
//! request (`{receipt_no}-C{attempt}`, the terminal's request id) is written durably before it is
//! sent, and an approval's tender joins the sale in the same transaction as the request's update.
//! No answer: the terminal is queried; still unknown, the request stays open and
//! [`Till::recover_card_payments`] queries it at the next start: approved and its sale still open
//! here, the sale completes once and prints; approved but its sale gone, it is voided on the
//! terminal; not done, nothing was taken. The cashier is told which.

use shared::money::Money;
use shared::sale::{Authorization, TenderInput, TenderKind};

use super::mobile_pay::PaymentStep;
use super::tender::{Completed, Paid};
use super::{Till, TillError, TillResult};
use crate::peripherals::{CardAnswer, CardTerminal};
use crate::store::cards::{insert_card_attempt, update_card_attempt};
use crate::store::{CardAttempt, CardState};

/// A card tender the terminal approved (it carries the masked card), as opposed to a reference
/// typed by the cashier.
pub(crate) fn from_terminal(t: &TenderInput) -> bool {
    t.kind == TenderKind::BankCard && t.authorization.as_ref().is_some_and(|a| a.card.is_some())
}

/// What a card payment came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CardPayment {
    /// Approved: the tender is on the sale, which completed if it is covered.
    Approved { attempt: CardAttempt, paid: Paid },
    /// Declined, or never carried out: nothing was taken; the attempt carries the reason.
    NotPaid(CardAttempt),
    /// The terminal did not answer and a query could not tell: kept and queried at the next
    /// start (or by [`Till::recover_card_payments`]); the sale cannot be paid otherwise meanwhile.
    Unknown(CardAttempt),
}

/// A card request the recovery at a start settled (or could not).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecoveredCard {
    pub attempt: CardAttempt,
    /// The sale it paid, completed now (its receipt printed).
    pub completed: Option<Box<Completed>>,
}

impl Till {
    /// Connects the bank-card payment terminal (none: the card tender takes a typed reference).
    pub fn set_card_terminal(&mut self, terminal: Option<Box<dyn CardTerminal>>) {
        self.card_terminal = terminal;
    }

    /// Whether a payment terminal is connected to the card tender.
    pub fn has_card_terminal(&self) -> bool {
        self.card_terminal.is_some()
    }

    /// Sends `amount` (or what is due) to the payment terminal. Refused before anything is sent:
    /// no terminal, no sale, an amount of zero or more than is due, a request or a payment by code
    /// of this sale not settled yet.
    pub fn pay_by_card(&mut self, amount: Option<Money>) -> TillResult<CardPayment> {
        let shift = self.my_shift()?;
        let cashier = self.cashier()?.id;
        if self.card_terminal.is_none() {
            return Err(TillError::Invalid("no payment terminal is connected: type the terminal's reference".into()));
        }
        let view = self.view()?.ok_or(TillError::NoSale)?;
        if view.lines.is_empty() {
            return Err(TillError::NoSale);
        }
        if self.code_payment_pending()?.is_some() || self.card_payment_pending()?.is_some() {
            return Err(TillError::PaymentPending);
        }
        let amount = amount.unwrap_or(view.remaining);
        if amount.0 <= 0 {
            return Err(shared::sale::TenderError::NotPositive.into());
        }
        if amount > view.remaining {
            return Err(shared::sale::TenderError::Overpaid {
                kind: TenderKind::BankCard,
                amount,
                remaining: view.remaining,
            }
            .into());
        }
        let mut cart = self.cart.clone().ok_or(TillError::NoSale)?;
        let stamp = self.stamp();
        let existing = cart.receipt_no.clone();
        let earlier = match &existing {
            Some(no) => self.store.card_attempts_of(no)?.len() as u32,
            None => 0,
        };
        let sale = cart.id;
        let attempt = self.store.durable(|tx| {
            let receipt_no = match existing {
                Some(no) => no,
                None => stamp.next_receipt_no(tx)?,
            };
            let number = earlier + 1;
            let attempt = CardAttempt {
                request_id: format!("{receipt_no}-C{number}"),
                sale,
                receipt_no: receipt_no.clone(),
                attempt: number,
                amount,
                state: CardState::Sending,
                card: None,
                auth_code: None,
                reference: None,
                failure_code: None,
                message: None,
                shift: shift.id,
                cashier,
                started_at: stamp.at,
                updated_at: stamp.at,
                recovered: false,
            };
            insert_card_attempt(tx, &attempt)?;
            cart.receipt_no = Some(receipt_no);
            crate::store::write_cart(tx, Some(&crate::store::to_json(&cart)?))?;
            Ok(attempt)
        })?;
        self.cart = Some(cart);
        self.step(PaymentStep::CardRecorded);
        let answer = self.terminal()?.sale(&attempt.request_id, attempt.amount);
        self.step(PaymentStep::CardAnswered);
        self.settle_card(attempt, answer, false)
    }

    fn terminal(&self) -> TillResult<&dyn CardTerminal> {
        self.card_terminal.as_deref().ok_or_else(|| TillError::Invalid("no payment terminal is connected".into()))
    }

    /// The sale in progress's card request not settled yet, if any.
    pub fn card_payment_pending(&self) -> TillResult<Option<CardAttempt>> {
        let Some(no) = self.cart.as_ref().and_then(|c| c.receipt_no.clone()) else { return Ok(None) };
        Ok(self.store.card_attempts_of(&no)?.into_iter().find(|a| !a.state.is_final()))
    }

    /// Acts on the terminal's answer about `attempt`: an unknown outcome is queried once.
    fn settle_card(&mut self, attempt: CardAttempt, answer: CardAnswer, recovered: bool) -> TillResult<CardPayment> {
        let answer = match answer {
            CardAnswer::Unknown { .. } => match self.terminal()?.query(&attempt.request_id) {
                // The terminal has no such request: it never carried it out.
                CardAnswer::NotDone { why } if why.contains("no such request") => CardAnswer::NotDone { why },
                CardAnswer::NotDone { why } => CardAnswer::Unknown { why },
                other => other,
            },
            other => other,
        };
        self.absorb_card(attempt, answer, recovered)
    }

    fn absorb_card(
        &mut self,
        mut attempt: CardAttempt,
        answer: CardAnswer,
        recovered: bool,
    ) -> TillResult<CardPayment> {
        attempt.updated_at = self.now();
        let mut cart = self.cart.clone();
        let mut joins = false;
        match answer {
            CardAnswer::Approved { amount, card, auth_code, reference } => {
                attempt.state = CardState::Approved;
                attempt.card = Some(card.clone());
                attempt.auth_code = Some(auth_code.clone()).filter(|a| !a.is_empty());
                attempt.reference = Some(reference.clone());
                if amount != attempt.amount {
                    // An approval of another amount is not what the cashier asked: taken back.
                    let why = format!("the terminal approved {amount}, not {}", attempt.amount);
                    return self.void_card(attempt, why);
                }
                joins = cart.as_ref().is_some_and(|c| {
                    c.receipt_no.as_ref() == Some(&attempt.receipt_no)
                        && !c.tenders.iter().any(|t| t.reference.as_deref() == Some(reference.as_str()))
                });
                if !joins {
                    // Approved for a sale that is no longer open here: taken back on the terminal.
                    attempt.recovered |= recovered;
                    return self.void_card(attempt, "approved for a sale no longer open: voided".into());
                }
                if let Some(c) = cart.as_mut() {
                    c.tenders.push(TenderInput {
                        authorization: Some(Authorization {
                            card: attempt.card.clone(),
                            auth_code: attempt.auth_code.clone(),
                            order_no: None,
                        }),
                        ..TenderInput::card(attempt.amount, &reference)
                    });
                }
            }
            CardAnswer::Declined { code, message } => {
                attempt.state = CardState::Declined;
                attempt.failure_code = Some(code);
                attempt.message = Some(message);
            }
            CardAnswer::NotDone { why } => {
                attempt.state = CardState::NotDone;
                attempt.message = Some(why);
            }
            CardAnswer::Unknown { why } => {
                attempt.state = CardState::Unknown;
                attempt.message = Some(why);
            }
        }
        attempt.recovered |= recovered && attempt.state.is_final();
        self.store.durable(|tx| {
            update_card_attempt(tx, &attempt)?;
            if joins {
                let json = cart.as_ref().map(crate::store::to_json).transpose()?;
                crate::store::write_cart(tx, json.as_deref())?;
            }
            Ok(())
        })?;
        self.cart = cart;
        match attempt.state {
            CardState::Approved => {
                let paid = self.complete_covered(attempt.shift, attempt.cashier)?;
                Ok(CardPayment::Approved { attempt, paid })
            }
            CardState::Unknown | CardState::Sending => Ok(CardPayment::Unknown(attempt)),
            CardState::Declined | CardState::NotDone | CardState::Voided => Ok(CardPayment::NotPaid(attempt)),
        }
    }

    /// Takes an approval back on the terminal (a void of the same request id's sale).
    fn void_card(&mut self, mut attempt: CardAttempt, why: String) -> TillResult<CardPayment> {
        let answer = self.terminal()?.void(&format!("{}-V", attempt.request_id), &attempt.request_id);
        match answer {
            CardAnswer::Approved { .. } => {
                attempt.state = CardState::Voided;
                attempt.message = Some(why);
            }
            other => {
                // Not voided: the approval stands at the bank and must be taken back by hand.
                tracing::error!(request = %attempt.request_id, ?other, "an approval to take back was not voided");
                attempt.state = CardState::Unknown;
                attempt.message = Some(format!("{why}; the void was not done ({other:?}): void it on the terminal"));
            }
        }
        self.store.durable(|tx| update_card_attempt(tx, &attempt))?;
        Ok(if attempt.state == CardState::Voided {
            CardPayment::NotPaid(attempt)
        } else {
            CardPayment::Unknown(attempt)
        })
    }

    /// Removes the sale's approved card tender `index` after voiding it on the terminal (撤销), in
    /// one transaction with its request's update; not voided, it stays.
    pub(crate) fn void_card_tender(&mut self, index: usize) -> TillResult<()> {
        let mut cart = self.cart.clone().ok_or(TillError::NoSale)?;
        let reference = cart.tenders.get(index).and_then(|t| t.reference.clone());
        let no = cart.receipt_no.clone().ok_or(TillError::NoSuchTender(index))?;
        let Some(mut attempt) = self
            .store
            .card_attempts_of(&no)?
            .into_iter()
            .find(|a| a.state == CardState::Approved && a.reference == reference)
        else {
            return Err(TillError::CardNotVoided("the terminal's request for it is not on record".into()));
        };
        match self.terminal()?.void(&format!("{}-V", attempt.request_id), &attempt.request_id) {
            CardAnswer::Approved { .. } => {}
            CardAnswer::Declined { code, message } => {
                return Err(TillError::CardNotVoided(format!("{message} ({code})")));
            }
            CardAnswer::NotDone { why } | CardAnswer::Unknown { why } => return Err(TillError::CardNotVoided(why)),
        }
        attempt.state = CardState::Voided;
        attempt.message = Some("removed from the sale: voided on the terminal".into());
        attempt.updated_at = self.now();
        cart.tenders.remove(index);
        self.store.durable(|tx| {
            update_card_attempt(tx, &attempt)?;
            crate::store::write_cart(tx, Some(&crate::store::to_json(&cart)?))
        })?;
        self.cart = Some(cart);
        Ok(())
    }

    /// At a start: every card request without an answer is queried on the terminal. Approved and
    /// its sale still open here: the tender joins it and the sale completes and prints (once: the
    /// terminal never carries an id out twice); approved but its sale gone: voided on the
    /// terminal; not done: nothing was taken. No terminal connected: they stay open.
    pub fn recover_card_payments(&mut self) -> TillResult<Vec<RecoveredCard>> {
        let mut out = Vec::new();
        if self.card_terminal.is_none() {
            return Ok(out);
        }
        for attempt in self.store.unsettled_card_attempts()? {
            let answer = self.terminal()?.query(&attempt.request_id);
            let answer = match answer {
                CardAnswer::NotDone { why } if !why.contains("no such request") => CardAnswer::Unknown { why },
                other => other,
            };
            let settled = self.absorb_card(attempt, answer, true)?;
            out.push(match settled {
                CardPayment::Approved { attempt, paid } => RecoveredCard {
                    attempt,
                    completed: match paid {
                        Paid::Completed(c) => Some(c),
                        Paid::Part { .. } => None,
                    },
                },
                CardPayment::NotPaid(attempt) | CardPayment::Unknown(attempt) => {
                    RecoveredCard { attempt, completed: None }
                }
            });
        }
        // An approval on the saved cart that covers it (the till stopped before completing).
        if let Some(cart) = self.cart.clone()
            && let Some(no) = cart.receipt_no.clone()
            && cart.tenders.iter().any(|t| t.kind == TenderKind::BankCard && t.authorization.is_some())
            && self.card_payment_pending()?.is_none()
            && let Some(approved) =
                self.store.card_attempts_of(&no)?.into_iter().rfind(|a| a.state == CardState::Approved)
            && let Paid::Completed(done) = self.complete_covered(approved.shift, approved.cashier)?
        {
            out.push(RecoveredCard { attempt: approved, completed: Some(done) });
        }
        Ok(out)
    }
}
