//! HQ as the payment gateway (issue 23): a till asks HQ to collect an amount for a sale from a
//! scanned payment code; HQ calls the provider (WeChat Pay micropay, Alipay barcode pay, or the
//! simulator: `payments::Provider`) with the merchant's keys, which never leave HQ, and answers
//! with the attempt's state (`shared::payment`).
//!
//! The shell around [`decide`]: every attempt is written (`sending`) before the provider is
//! called, every answer is written before the next call, and the next call (a query, a cancel)
//! is made when it falls due, by whichever HQ process holds the attempt's lease:
//!
//! - the till's request drives its attempt until it is final or `answer_within` has passed (the
//!   till then polls `GET /api/v1/till/payments/{order_no}`, which drives it again);
//! - [`Gateway::run_due`], every second in each HQ process, drives attempts no till is waiting
//!   on: those of an HQ killed in the middle, of a till that went away, or a cancel to repeat.
//!
//! So an attempt always ends paid, failed or cancelled, and a till that asks again after any
//! crash is answered with where it stands: a retry is never a second charge.

pub mod config;
pub mod decide;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use shared::payment::{AttemptState, CollectRequest, PaymentAttempt, PaymentRefund, RefundRequest, RefundState};
use shared::payment_code::{PaymentScan, Provider, classify};
use shared::receipt::ReceiptNo;

use crate::model::Till;
use crate::store::payments::{Begun, CallRecord, NewAttempt, NewRefund, RefundRecord, StoredAttempt};
use crate::store::{Store, StoreError};
pub use config::{GatewaySettings, PaymentsConfig};
use decide::{Decision, Next};

/// Why the gateway did not take a request.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    /// The request breaks a rule (an amount of zero, a misread code, another till's receipt).
    #[error("{0}")]
    Invalid(String),
    /// The provider the code belongs to is not set up at HQ.
    #[error("{0} is not set up at HQ")]
    NotConfigured(&'static str),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The payment gateway: the providers HQ is set up with, and the store it records in.
pub struct Gateway {
    store: Arc<dyn Store>,
    providers: HashMap<Provider, Arc<dyn payments::Provider>>,
    settings: GatewaySettings,
}

impl std::fmt::Debug for Gateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gateway").field("providers", &self.providers.keys().collect::<Vec<_>>()).finish()
    }
}

/// The shop's name as the customer's app shows it, at most this many characters.
const SUBJECT_MAX: usize = 32;

impl Gateway {
    pub fn new(store: Arc<dyn Store>, config: &PaymentsConfig) -> Gateway {
        Gateway { store, providers: config.providers(), settings: config.settings.clone() }
    }

    /// Whether any provider is set up.
    pub fn offers_any(&self) -> bool {
        !self.providers.is_empty()
    }

    /// Whether a provider is set up.
    pub fn offers(&self, provider: Provider) -> bool {
        self.providers.contains_key(&provider)
    }

    async fn db<T: Send + 'static>(
        &self,
        f: impl FnOnce(&dyn Store) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || f(&*store))
            .await
            .map_err(|e| StoreError::Internal(format!("a store call panicked: {e}")))?
    }

    fn now(&self) -> Timestamp {
        self.store.now()
    }

    fn lease_until(&self) -> Timestamp {
        self.now() + self.settings.lease
    }

    /// Collects `req.amount` for the sale `req.receipt_no` at `till` from the scanned code:
    /// answers once the attempt is final or `answer_within` has passed, with the attempt as it
    /// stands. The same receipt number and attempt again is the same attempt (driven on, never
    /// charged twice).
    pub async fn collect(&self, till: &Till, req: CollectRequest) -> Result<PaymentAttempt, GatewayError> {
        if req.amount.0 <= 0 {
            return Err(GatewayError::Invalid("amount: a payment must be above zero".into()));
        }
        if req.amount > shared::limits::MAX_AMOUNT {
            return Err(GatewayError::Invalid(format!("amount: at most {}", shared::limits::MAX_AMOUNT)));
        }
        let code = match classify(&req.code) {
            PaymentScan::Wechat(code) | PaymentScan::Alipay(code) => code,
            PaymentScan::Misread(m) => {
                return Err(GatewayError::Invalid(format!(
                    "code: a misread {} payment code ({m}): scan it again",
                    m.provider
                )));
            }
            PaymentScan::NotAPaymentCode => {
                return Err(GatewayError::Invalid("code: not a WeChat Pay or Alipay payment code".into()));
            }
        };
        let receipt =
            ReceiptNo::parse(&req.receipt_no).map_err(|e| GatewayError::Invalid(format!("receipt_no: {e}")))?;
        if receipt.branch != till.branch_code || receipt.till != till.number {
            return Err(GatewayError::Invalid(format!(
                "receipt_no: {} is not a receipt of this till ({}-{:02})",
                req.receipt_no, till.branch_code, till.number
            )));
        }
        let order_no = payments::order_no(&req.receipt_no, req.attempt)
            .map_err(|e| GatewayError::Invalid(format!("attempt: {e}")))?;
        if !self.offers(code.provider()) {
            return Err(GatewayError::NotConfigured(code.provider().name()));
        }
        let new = NewAttempt {
            order_no: order_no.to_string(),
            provider: code.provider(),
            branch: till.branch_id,
            till: till.id,
            receipt_no: req.receipt_no.clone(),
            attempt: req.attempt,
            amount: req.amount,
            code_masked: code.masked(),
        };
        let lease_until = self.lease_until();
        let begun = self.db(move |s| s.begin_payment(&new, lease_until)).await?;
        let started = tokio::time::Instant::now();
        let mut attempt = match begun {
            Begun::New(a) => self.pay(a, code.reveal(), format!("{}{:02}", till.branch_code, till.number)).await?,
            Begun::Existing(a) => a,
        };
        // Drive it until it is final or the till has waited long enough.
        while !attempt.attempt.state.is_final() && started.elapsed() < self.settings.answer_within {
            attempt = self.drive_when_due(attempt, started).await?;
        }
        Ok(attempt.attempt)
    }

    /// Where a till's attempt stands, driven on if a call is due and no one else holds it.
    pub async fn status(&self, till: &Till, order_no: &str) -> Result<PaymentAttempt, GatewayError> {
        let a = self.own(till, order_no).await?;
        if a.attempt.state.is_final() || a.next_at.is_some_and(|at| at > self.now()) {
            return Ok(a.attempt);
        }
        Ok(self.step_if_free(a).await?.attempt)
    }

    /// The cashier gives up on an attempt that is not final: it is cancelled (reversed if it was
    /// paid after all), and answered once the provider confirms or `answer_within` has passed.
    /// A final attempt is answered as it is: a paid one is given back by a refund, never here.
    pub async fn cancel(&self, till: &Till, order_no: &str) -> Result<PaymentAttempt, GatewayError> {
        let a = self.own(till, order_no).await?;
        if a.attempt.state.is_final() {
            return Ok(a.attempt);
        }
        let order = order_no.to_owned();
        let record = CallRecord {
            call: "cashier_cancel",
            state: AttemptState::Cancelling,
            paid: None,
            failure: Some(("CASHIER_CANCELLED".into(), "the cashier cancelled the payment".into(), true)),
            next_at: Some(self.now()),
            note: "the cashier cancelled: cancelling at the provider".into(),
        };
        let mut a = self.db(move |s| s.record_payment_call(&order, &record)).await?;
        let started = tokio::time::Instant::now();
        while !a.attempt.state.is_final() && started.elapsed() < self.settings.answer_within {
            a = self.drive_when_due(a, started).await?;
        }
        Ok(a.attempt)
    }

    /// Gives `req.amount` of a paid attempt back to where it came from, once per `req.seq`.
    pub async fn refund(&self, till: &Till, order_no: &str, req: RefundRequest) -> Result<PaymentRefund, GatewayError> {
        if req.amount.0 <= 0 {
            return Err(GatewayError::Invalid("amount: a refund must be above zero".into()));
        }
        if req.seq == 0 || req.seq > 999 {
            return Err(GatewayError::Invalid("seq: refunds are numbered 1 to 999".into()));
        }
        if req.refund_receipt_no.trim().is_empty() || req.refund_receipt_no.len() > 40 {
            return Err(GatewayError::Invalid("refund_receipt_no: the refund's receipt number".into()));
        }
        if req.reason.as_deref().is_some_and(|r| r.chars().count() > 80) {
            return Err(GatewayError::Invalid("reason: at most 80 characters".into()));
        }
        let a = self.own(till, order_no).await?;
        let provider = self.provider(a.attempt.provider)?;
        let new = NewRefund {
            order_no: order_no.to_owned(),
            seq: req.seq,
            amount: req.amount,
            refund_receipt_no: req.refund_receipt_no.clone(),
            reason: req.reason.clone(),
        };
        let mut r = match self.db(move |s| s.begin_refund(&new)).await? {
            Begun::New(r) => {
                let request = payments::RefundRequest {
                    out_trade_no: order_no.to_owned(),
                    out_refund_no: r.out_refund_no.clone(),
                    amount: r.amount.0,
                    total: a.attempt.amount.0,
                    reason: req.reason.clone(),
                };
                let answer = provider.refund(&request).await;
                self.record_refund(&r, "refund", decide::after_refund(&answer)).await?
            }
            Begun::Existing(r) => r,
        };
        let started = tokio::time::Instant::now();
        while r.state == RefundState::Pending && started.elapsed() < self.settings.answer_within {
            tokio::time::sleep(self.settings.poll_every).await;
            r = self.query_refund(&r).await?;
        }
        Ok(r)
    }

    /// A till's refund by its seq, queried at the provider if still pending.
    pub async fn refund_status(&self, till: &Till, order_no: &str, seq: u32) -> Result<PaymentRefund, GatewayError> {
        self.own(till, order_no).await?;
        let order = order_no.to_owned();
        let refunds = self.db(move |s| s.payment_refunds(&order)).await?;
        let r = refunds
            .into_iter()
            .find(|r| r.seq == seq)
            .ok_or_else(|| StoreError::NotFound(format!("refund {seq} of payment {order_no}")))?;
        if r.state == RefundState::Pending { Ok(self.query_refund(&r).await?) } else { Ok(r) }
    }

    /// Drives every attempt whose next call is due and that no one holds, and queries pending
    /// refunds: what a crash, a till gone away or a cancel to repeat left. How many were driven.
    pub async fn run_due(self: &Arc<Self>) -> Result<usize, GatewayError> {
        let (now, lease_until) = (self.now(), self.lease_until());
        let due = self.db(move |s| s.claim_due_payments(now, lease_until, 100)).await?;
        let n = due.len();
        let mut steps = tokio::task::JoinSet::new();
        for a in due {
            let gateway = self.clone();
            steps.spawn(async move {
                let order_no = a.attempt.order_no.clone();
                if let Err(e) = gateway.step(a).await {
                    tracing::warn!(%order_no, error = %e, "driving a payment attempt failed; tried again later");
                }
            });
        }
        steps.join_all().await;
        let refunds = self.db(move |s| s.due_refunds(now, 100)).await?;
        let m = refunds.len();
        for r in refunds {
            if let Err(e) = self.query_refund(&r).await {
                tracing::warn!(refund = %r.out_refund_no, error = %e, "querying a refund failed; tried again later");
            }
        }
        Ok(n + m)
    }

    /// Runs [`Gateway::run_due`] every `every` for as long as HQ runs.
    pub fn spawn_recovery(self: &Arc<Self>, every: Duration) -> tokio::task::JoinHandle<()> {
        let gateway = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                if let Err(e) = gateway.run_due().await {
                    tracing::warn!(error = %e, "the payment gateway's round failed; tried again next second");
                }
            }
        })
    }

    fn provider(&self, p: Provider) -> Result<Arc<dyn payments::Provider>, GatewayError> {
        self.providers.get(&p).cloned().ok_or(GatewayError::NotConfigured(p.name()))
    }

    /// The till's own attempt: another till's is "not found", as if it did not exist.
    async fn own(&self, till: &Till, order_no: &str) -> Result<StoredAttempt, GatewayError> {
        let order = order_no.to_owned();
        let a = self.db(move |s| s.payment(&order)).await?;
        if a.till != till.id {
            return Err(StoreError::NotFound(format!("payment {order_no}")).into());
        }
        Ok(a)
    }

    /// The pay call of a new attempt (held by the caller since `begin_payment`).
    async fn pay(&self, a: StoredAttempt, code: &str, terminal: String) -> Result<StoredAttempt, GatewayError> {
        let provider = self.provider(a.attempt.provider)?;
        let request = payments::PayRequest {
            out_trade_no: a.attempt.order_no.clone(),
            auth_code: code.to_owned(),
            amount: a.attempt.amount.0,
            subject: self.settings.subject.chars().take(SUBJECT_MAX).collect(),
            terminal: Some(terminal.chars().filter(char::is_ascii_alphanumeric).take(32).collect()),
        };
        let answer = provider.pay(&request).await;
        self.log_refusal(&a, "pay", &answer);
        let decision = decide::after_pay(&answer, a.attempt.amount.0);
        self.record(&a, "pay", decision).await
    }

    /// Waits until the attempt's next call is due (or the till's wait is over), then makes it
    /// if no one else holds the attempt; otherwise reads where it stands.
    async fn drive_when_due(
        &self,
        a: StoredAttempt,
        started: tokio::time::Instant,
    ) -> Result<StoredAttempt, GatewayError> {
        let wait = a
            .next_at
            .map_or(Duration::ZERO, |at| Duration::try_from(at.duration_since(self.now())).unwrap_or(Duration::ZERO));
        let left = self.settings.answer_within.saturating_sub(started.elapsed());
        tokio::time::sleep(wait.min(left).min(self.settings.poll_every)).await;
        if started.elapsed() >= self.settings.answer_within {
            return Ok(a);
        }
        let order = a.attempt.order_no.clone();
        let fresh = self.db(move |s| s.payment(&order)).await?;
        if fresh.attempt.state.is_final() || fresh.next_at.is_some_and(|at| at > self.now()) {
            return Ok(fresh);
        }
        self.step_if_free(fresh).await
    }

    /// Makes the due call if the attempt's lease can be taken; else it stands as read.
    async fn step_if_free(&self, a: StoredAttempt) -> Result<StoredAttempt, GatewayError> {
        let order = a.attempt.order_no.clone();
        let (now, lease_until) = (self.now(), self.lease_until());
        if self.db(move |s| s.lease_payment(&order, now, lease_until)).await? { self.step(a).await } else { Ok(a) }
    }

    /// One call for an attempt that is not final (held by the caller): a query, or a cancel.
    async fn step(&self, a: StoredAttempt) -> Result<StoredAttempt, GatewayError> {
        let provider = self.provider(a.attempt.provider)?;
        let order_no = a.attempt.order_no.as_str();
        if a.attempt.state == AttemptState::Cancelling {
            let answer = provider.cancel(order_no).await;
            self.log_refusal(&a, "cancel", &answer);
            return self.record(&a, "cancel", decide::after_cancel(&answer)).await;
        }
        let past_deadline = self.now().duration_since(a.created_at)
            >= jiff::SignedDuration::try_from(self.settings.confirm_within).unwrap_or(jiff::SignedDuration::MAX);
        let answer = provider.query(order_no).await;
        self.log_refusal(&a, "query", &answer);
        let decision = decide::after_query(&answer, a.attempt.amount.0, a.attempt.state, past_deadline);
        self.record(&a, "query", decision).await
    }

    /// A provider's answer refused (a bad signature, an unreadable answer) goes to HQ's log as
    /// well as the attempt's.
    fn log_refusal<T>(&self, a: &StoredAttempt, call: &str, answer: &Result<T, payments::ProviderError>) {
        if let Err(e) = answer {
            tracing::warn!(order_no = %a.attempt.order_no, call, error = %e, "a payment provider's answer was refused");
        }
    }

    async fn record(&self, a: &StoredAttempt, call: &'static str, d: Decision) -> Result<StoredAttempt, GatewayError> {
        let next_at = match d.next {
            Next::Done => None,
            _ => Some(self.now() + self.backoff(d.state, a.calls + 1)),
        };
        let record = CallRecord {
            call,
            state: d.state,
            paid: d.paid,
            failure: d.failure.map(|f| (f.code, f.message, f.retryable)),
            next_at,
            note: d.note,
        };
        let order = a.attempt.order_no.clone();
        Ok(self.db(move |s| s.record_payment_call(&order, &record)).await?)
    }

    /// How long before the next call: `poll_every` while the customer confirms and for the first
    /// calls; doubling every three calls after, up to `max_backoff` (an attempt no one can tell
    /// keeps being asked, less often).
    fn backoff(&self, state: AttemptState, calls: u32) -> Duration {
        let poll = self.settings.poll_every;
        if state == AttemptState::UserPaying || calls <= 3 {
            return poll;
        }
        let doublings = ((calls - 3) / 3).min(10);
        poll.saturating_mul(1 << doublings).min(self.settings.max_backoff)
    }

    async fn query_refund(&self, r: &PaymentRefund) -> Result<PaymentRefund, GatewayError> {
        let order = r.order_no.clone();
        let a = self.db(move |s| s.payment(&order)).await?;
        let provider = self.provider(a.attempt.provider)?;
        let answer = provider.refund_query(&r.order_no, &r.out_refund_no).await;
        let decision = decide::after_refund_query(&answer);
        if decision.resend {
            // The provider never had it: the same number again (it cannot refund twice).
            let request = payments::RefundRequest {
                out_trade_no: r.order_no.clone(),
                out_refund_no: r.out_refund_no.clone(),
                amount: r.amount.0,
                total: a.attempt.amount.0,
                reason: None,
            };
            let answer = provider.refund(&request).await;
            return self.record_refund(r, "refund", decide::after_refund(&answer)).await;
        }
        self.record_refund(r, "refund_query", decision).await
    }

    async fn record_refund(
        &self,
        r: &PaymentRefund,
        call: &'static str,
        d: decide::RefundDecision,
    ) -> Result<PaymentRefund, GatewayError> {
        if let Some(detail) = &d.refused {
            tracing::warn!(refund = %r.out_refund_no, call, detail, "a payment provider's refund answer was refused");
        }
        let record = RefundRecord {
            call,
            state: d.state,
            refund_id: d.refund_id,
            failure: d.failure.map(|f| (f.code, f.message)),
            next_at: (d.state == RefundState::Pending).then(|| self.now() + self.settings.poll_every),
            note: d.note,
        };
        let out = r.out_refund_no.clone();
        Ok(self.db(move |s| s.record_refund_call(&out, &record)).await?)
    }
}
