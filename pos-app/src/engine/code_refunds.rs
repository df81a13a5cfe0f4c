//! Refunds by code (退款到原支付方式): a return or void of a sale paid (wholly or in part) by
//! WeChat Pay or Alipay gives that part back to the payment it came from, through HQ's payment
//! gateway (`MemberAuthority::refund_payment`), never in cash.
//!
//! How the money is split over the sale's tenders is `shared::sale::plan_refund`'s (pure); this
//! is the imperative shell around it:
//!
//! 1. One durable transaction takes the return's receipt number and writes the return as it will
//!    be recorded (`code_returns`) and, per WeChat Pay / Alipay tender that gets money back, the
//!    refund to ask (`code_refunds`): `{order_no}-R{seq}`, `seq` one more than the payment's
//!    earlier refunds at this till (refused ones count).
//! 2. Each refund is asked of HQ (the same seq again is the same refund at HQ and the provider);
//!    a pending one is asked about again, briefly; each answer is written.
//! 3. Every refund accepted (pending or refunded): the return is recorded under its receipt
//!    number with its event, each mobile tender carrying the refund number as its reference and
//!    the payment's order number as its authorization, and the receipt prints the refund number.
//!    A refund refused before any money moved: nothing is recorded and the cashier reads the
//!    provider's reason ([`TillError::RefundRefused`]); the money is never moved to cash by
//!    itself. HQ unreachable (or a refund refused after another one of the return moved money):
//!    the return stays open ([`TillError::RefundOpen`]), is resumed with the same refund numbers
//!    by [`Till::resume_code_returns`] (at every start, and when the cashier asks), and blocks
//!    another return or void of the same sale until it is settled.
//!
//! A card the payment terminal charged goes back the same way, as a part of the same return
//! asked of the terminal instead of HQ (`card_refunds`).

use shared::payment::RefundRequest;
use shared::receipt::{Receipt, ReceiptNo};
use shared::sale::{Authorization, Refund, TenderKind};
use shared::sync::AuditEntry;

use super::card_refunds;
use super::mobile_pay::PaymentStep;
use super::{Till, TillError, TillResult};
use crate::authority::AuthorityError;
use crate::store::refunds::{insert_code_refund, insert_return, last_refund_seq, update_code_refund, update_return};
use crate::store::{CodeRefund, CodeRefundState, CodeReturn, CodeReturnState};

/// How many times a pending refund is asked about again before the return completes with it
/// pending (HQ accepts a pending refund; its gateway confirms it later), and how long apart.
const PENDING_POLLS: u32 = 5;
const PENDING_POLL_EVERY: std::time::Duration = std::time::Duration::from_millis(200);

/// HQ's limit on a refund's reason.
const REASON_MAX: usize = 80;

/// A return by code that [`Till::resume_code_returns`] settled, or could not.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResumedReturn {
    pub receipt_no: ReceiptNo,
    /// Recorded now, its receipt printed.
    pub completed: Option<Box<(Refund, Receipt)>>,
    /// Refused (the provider's, HQ's or the terminal's words): nothing was recorded.
    pub refused: Option<String>,
    /// Still open: why (HQ or the terminal did not answer, or a refund refused after another
    /// moved money).
    pub open: Option<String>,
}

impl ResumedReturn {
    /// Done (`Some(true)`), refused (`Some(false)`), or still open.
    pub fn how(&self) -> Option<bool> {
        if self.completed.is_some() {
            Some(true)
        } else if self.refused.is_some() {
            Some(false)
        } else {
            None
        }
    }
}

impl Till {
    /// Step 1 and on: writes the return and its refunds, then asks HQ (see the module).
    pub(crate) fn refund_by_code(
        &mut self,
        mut refund: Refund,
        audits: Vec<AuditEntry>,
    ) -> TillResult<(Refund, Receipt)> {
        let mut parts = Vec::new();
        for (i, t) in refund.tenders.iter().enumerate() {
            if t.kind.is_mobile() && t.amount.0 > 0 {
                let Some(order_no) = t.authorization.as_ref().and_then(|a| a.order_no.clone()) else {
                    return Err(TillError::Invalid(format!(
                        "the sale's {} payment has no order number: it cannot be refunded by code",
                        t.kind.code()
                    )));
                };
                parts.push((i, t.kind, t.amount, order_no, None));
            } else if card_refunds::on_terminal(t) {
                let (reference, void_of) = self.card_refund_target(&refund, t)?;
                parts.push((i, t.kind, t.amount, reference, void_of));
            }
        }
        let stamp = self.stamp();
        let ret = self.store.durable(|tx| {
            refund.receipt_no = stamp.next_receipt_no(tx)?;
            for (tender, kind, amount, order_no, void_of) in &parts {
                let seq = last_refund_seq(tx, order_no)? + 1;
                insert_code_refund(
                    tx,
                    &CodeRefund {
                        out_refund_no: refund_no(order_no, seq, void_of.as_deref()),
                        order_no: order_no.clone(),
                        seq,
                        kind: *kind,
                        tender: *tender,
                        amount: *amount,
                        receipt_no: refund.receipt_no.clone(),
                        state: CodeRefundState::Sending,
                        refund_id: None,
                        failure_code: None,
                        message: None,
                        started_at: stamp.at,
                        updated_at: stamp.at,
                        card: None,
                        auth_code: None,
                        void_of: void_of.clone(),
                    },
                )?;
            }
            let ret = CodeReturn { refund: refund.clone(), audits, state: CodeReturnState::Open };
            insert_return(tx, &ret)?;
            Ok(ret)
        })?;
        self.step(PaymentStep::RefundRecorded);
        self.drive_return(ret, false, true)
    }

    /// Asks HQ (or the payment terminal, for a card part) about each refund of `ret` not settled,
    /// then records the return, or says why not. `retry`: a refund refused in a return that stays
    /// open (another part moved money) is asked again under the next seq (the cashier's choice).
    /// `fresh`: the refunds were written just now and none has been sent.
    fn drive_return(&mut self, mut ret: CodeReturn, retry: bool, fresh: bool) -> TillResult<(Refund, Receipt)> {
        let mut refunds = latest_per_tender(self.store.code_refunds_of(&ret.refund.receipt_no)?);
        let mut unreachable = None;
        for i in 0..refunds.len() {
            let r = refunds[i].clone();
            let r = match r.state {
                CodeRefundState::Refunded => r,
                CodeRefundState::Failed if retry && ret.state == CodeReturnState::Open => {
                    match self.ask_anew(&ret, r) {
                        Ok(r) => r,
                        Err(TillError::HqUnavailable(why) | TillError::RefundOpen { why, .. }) => {
                            unreachable = Some(why);
                            break;
                        }
                        Err(e) => return Err(e),
                    }
                }
                CodeRefundState::Failed => r,
                CodeRefundState::Sending | CodeRefundState::Pending => {
                    // A refund not yet sent after another of this return was refused, with no
                    // money moved: never sent. (A card part of a resumed return may have reached
                    // the terminal before: it is sent again, which the terminal answers as before.)
                    if r.state == CodeRefundState::Sending
                        && (fresh || r.kind != TenderKind::BankCard)
                        && refunds[..i].iter().any(|x| x.state == CodeRefundState::Failed)
                        && !refunds.iter().any(|x| x.state.moved())
                    {
                        self.not_sent(r)?
                    } else {
                        match self.ask_part(&ret, r, fresh) {
                            Ok(r) => r,
                            Err(TillError::HqUnavailable(why) | TillError::RefundOpen { why, .. }) => {
                                unreachable = Some(why);
                                break;
                            }
                            Err(e) => return Err(e),
                        }
                    }
                }
            };
            refunds[i] = r;
        }
        if let Some(why) = unreachable {
            return Err(TillError::RefundOpen { receipt_no: ret.refund.receipt_no.to_string(), why });
        }
        if let Some(refused) = refunds.iter().find(|r| r.state == CodeRefundState::Failed) {
            let message = refused.message.clone().unwrap_or_else(|| "refused".into());
            let err = TillError::RefundRefused {
                kind: refused.kind,
                amount: refused.amount,
                code: refused.failure_code.clone(),
                message: message.clone(),
            };
            if refunds.iter().any(|r| r.state.moved()) {
                // Some of the money went back already: the return stays open until the refused
                // part goes back too.
                return Err(TillError::RefundOpen {
                    receipt_no: ret.refund.receipt_no.to_string(),
                    why: format!("{} refused {}: {message}", refused.kind.code(), refused.amount),
                });
            }
            ret.state = CodeReturnState::Refused;
            self.store.durable(|tx| update_return(tx, &ret))?;
            return Err(err);
        }
        // Every refund accepted: the tenders name their refunds, and the return is recorded.
        let mut refund = ret.refund.clone();
        for r in &refunds {
            if let Some(t) = refund.tenders.get_mut(r.tender) {
                if r.kind == TenderKind::BankCard {
                    // The refund's own terminal reference (what the card's statement shows).
                    t.reference = r.refund_id.clone().or_else(|| t.reference.clone());
                    t.authorization =
                        Some(Authorization { card: r.card.clone(), auth_code: r.auth_code.clone(), order_no: None });
                } else {
                    t.reference = Some(r.out_refund_no.clone());
                    t.authorization = Some(Authorization::order(&r.order_no));
                }
            }
        }
        ret.refund = refund.clone();
        ret.state = CodeReturnState::Completed;
        let audits = ret.audits.clone();
        self.commit_refund(refund, audits, Some(ret))
    }

    /// One part of a return asked: of the payment terminal for a card, of HQ otherwise.
    fn ask_part(&mut self, ret: &CodeReturn, r: CodeRefund, fresh: bool) -> TillResult<CodeRefund> {
        if r.kind == TenderKind::BankCard { self.ask_card_refund(ret, r, fresh) } else { self.ask_refund(ret, r) }
    }

    /// One refund asked of HQ (the same seq again if it was asked before), then asked about
    /// while pending, briefly. The answer is written.
    fn ask_refund(&mut self, ret: &CodeReturn, mut r: CodeRefund) -> TillResult<CodeRefund> {
        for _ in 0..3 {
            let answer = if r.state == CodeRefundState::Pending {
                self.authority.refund_status(&r.order_no, r.seq)
            } else {
                let request = RefundRequest {
                    seq: r.seq,
                    amount: r.amount,
                    refund_receipt_no: r.receipt_no.to_string(),
                    reason: Some(ret.refund.reason.chars().take(REASON_MAX).collect::<String>())
                        .filter(|s| !s.trim().is_empty()),
                };
                self.authority.refund_payment(&r.order_no, &request)
            };
            self.step(PaymentStep::RefundAnswered);
            match answer {
                Ok(a) if a.refund_receipt_no != r.receipt_no.to_string() || a.amount != r.amount => {
                    // HQ has this seq from another return (a till whose records were lost): the
                    // next seq.
                    r = self.next_seq(r, &a.refund_receipt_no)?;
                    continue;
                }
                Ok(a) => {
                    r.state = a.state.into();
                    r.refund_id = a.refund_id;
                    r.failure_code = a.failure_code;
                    r.message = a.message;
                    r.updated_at = self.now();
                    self.store.durable(|tx| update_code_refund(tx, &r))?;
                    let mut polls = 0;
                    while r.state == CodeRefundState::Pending && polls < PENDING_POLLS {
                        polls += 1;
                        std::thread::sleep(PENDING_POLL_EVERY);
                        match self.authority.refund_status(&r.order_no, r.seq) {
                            Ok(a) => {
                                r.state = a.state.into();
                                r.refund_id = a.refund_id.or(r.refund_id);
                                r.failure_code = a.failure_code;
                                r.message = a.message;
                                r.updated_at = self.now();
                                self.store.durable(|tx| update_code_refund(tx, &r))?;
                            }
                            // Pending is what HQ accepts: the gateway confirms it later.
                            Err(_) => break,
                        }
                    }
                    return Ok(r);
                }
                // HQ never had it (a status of a refund the till wrote but never sent): send it.
                Err(AuthorityError::NotFound) if r.state == CodeRefundState::Pending => {
                    r.state = CodeRefundState::Sending;
                    continue;
                }
                Err(AuthorityError::NotFound) => {
                    return self.refused(
                        r,
                        "not_found",
                        "HQ has no record of this payment at this till: it cannot be refunded from here",
                    );
                }
                Err(AuthorityError::Refused { code, message }) => return self.refused(r, &code, &message),
                Err(AuthorityError::Unavailable(why)) => return Err(TillError::HqUnavailable(why)),
            }
        }
        Err(TillError::HqUnavailable(format!("HQ keeps answering refund {} for another return", r.out_refund_no)))
    }

    pub(crate) fn refused(&mut self, mut r: CodeRefund, code: &str, message: &str) -> TillResult<CodeRefund> {
        r.state = CodeRefundState::Failed;
        r.failure_code = Some(code.to_owned());
        r.message = Some(message.to_owned());
        r.updated_at = self.now();
        self.store.durable(|tx| update_code_refund(tx, &r))?;
        Ok(r)
    }

    fn not_sent(&mut self, r: CodeRefund) -> TillResult<CodeRefund> {
        self.refused(r, "not_sent", "not sent: another refund of this return was refused")
    }

    /// `r`'s seq is another return's at HQ: `r` is closed and the same refund is written under the
    /// payment's next seq.
    fn next_seq(&mut self, r: CodeRefund, theirs: &str) -> TillResult<CodeRefund> {
        let stamp = self.stamp();
        let closed = CodeRefund {
            state: CodeRefundState::Failed,
            failure_code: Some("seq_taken".into()),
            message: Some(format!("HQ has refund {} for return {theirs}", r.out_refund_no)),
            updated_at: stamp.at,
            ..r.clone()
        };
        self.store
            .durable(|tx| {
                update_code_refund(tx, &closed)?;
                let seq = last_refund_seq(tx, &r.order_no)?.max(r.seq) + 1;
                let next = CodeRefund {
                    out_refund_no: format!("{}-R{seq}", r.order_no),
                    seq,
                    state: CodeRefundState::Sending,
                    started_at: stamp.at,
                    updated_at: stamp.at,
                    ..r
                };
                insert_code_refund(tx, &next)?;
                Ok(next)
            })
            .map_err(Into::into)
    }

    /// A refused refund asked again under the payment's next seq.
    fn ask_anew(&mut self, ret: &CodeReturn, r: CodeRefund) -> TillResult<CodeRefund> {
        let stamp = self.stamp();
        let next = self.store.durable(|tx| {
            let seq = last_refund_seq(tx, &r.order_no)? + 1;
            let next = CodeRefund {
                out_refund_no: refund_no(&r.order_no, seq, r.void_of.as_deref()),
                seq,
                state: CodeRefundState::Sending,
                refund_id: None,
                failure_code: None,
                message: None,
                card: None,
                auth_code: None,
                started_at: stamp.at,
                updated_at: stamp.at,
                ..r
            };
            insert_code_refund(tx, &next)?;
            Ok(next)
        })?;
        self.ask_part(ret, next, true)
    }

    /// Settles the open return of a sale before another return or void of it: `true` if one
    /// completed now (the caller plans against it); refused while it stays open.
    pub(crate) fn settle_open_return_of(&mut self, sale: shared::ids::SaleId) -> TillResult<bool> {
        let Some(ret) = self.store.open_code_return_of(sale)? else { return Ok(false) };
        match self.drive_return(ret, false, false) {
            Ok(_) => Ok(true),
            Err(TillError::RefundRefused { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// The returns waiting on refunds by code (for the cashier's screen).
    pub fn open_code_returns(&self) -> TillResult<Vec<CodeReturn>> {
        Ok(self.store.open_code_returns()?)
    }

    /// The refunds asked for a return by code, and where each stands.
    pub fn code_refunds_of(&self, receipt_no: &ReceiptNo) -> TillResult<Vec<CodeRefund>> {
        Ok(self.store.code_refunds_of(receipt_no)?)
    }

    /// Asks HQ again about every open return by code (at a start, and when the cashier asks):
    /// each completes and prints, is refused (nothing recorded), or stays open. `retry`: a
    /// refused part of a return that moved money already is asked again under the next seq.
    pub fn resume_code_returns(&mut self, retry: bool) -> TillResult<Vec<ResumedReturn>> {
        let mut out = Vec::new();
        for ret in self.store.open_code_returns()? {
            let receipt_no = ret.refund.receipt_no.clone();
            let mut resumed = ResumedReturn { receipt_no, completed: None, refused: None, open: None };
            match self.drive_return(ret, retry, false) {
                Ok(done) => resumed.completed = Some(Box::new(done)),
                Err(TillError::RefundRefused { message, .. }) => resumed.refused = Some(message),
                Err(TillError::RefundOpen { why, .. }) => resumed.open = Some(why),
                Err(e) => return Err(e),
            }
            out.push(resumed);
        }
        Ok(out)
    }
}

/// A part's refund number, fixed when it is written: `{order_no}-R{seq}` (HQ's and the provider's
/// refund number for a payment by code, the terminal's request id for a card refund by reference),
/// or `{request_id}-V{seq}` for a card void of request `void_of`.
fn refund_no(order_no: &str, seq: u32, void_of: Option<&str>) -> String {
    match void_of {
        Some(request) => format!("{request}-V{seq}"),
        None => format!("{order_no}-R{seq}"),
    }
}

/// A return's refunds, the last asked per tender (a refund asked again under a new seq replaces
/// the one before it).
fn latest_per_tender(mut refunds: Vec<CodeRefund>) -> Vec<CodeRefund> {
    refunds.sort_by_key(|r| (r.tender, std::cmp::Reverse(r.seq)));
    refunds.dedup_by_key(|r| r.tender);
    refunds
}
