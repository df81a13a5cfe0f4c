//! [`MemberAuthority`] over HTTP: the engine's online member calls made against HQ, each bounded by
//! a short timeout so a cashier never waits long for an HQ that does not answer.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use shared::ids::{HoldId, MemberId};
use shared::member::MemberIdentifier;
use shared::member_code::RotatingCode;
use shared::payment::{CollectRequest, PaymentAttempt, PaymentRefund, RefundRequest};
use shared::receipt::ReceiptNo;
use shared::sale::{CompletedSale, Refund};
use shared::sync::{
    CouponHoldRequest, CouponHoldResponse, HoldRequest, HoldResponse, MemberCoupon, MemberLookupRequest,
    MemberLookupResponse, TopUpRequest, TopUpResponse,
};

use super::client::{HqClient, SyncError};
use crate::authority::{AuthorityError, MemberAuthority};
use crate::store::Store;

/// A runtime that is shut down without blocking when dropped (dropping a runtime inside another
/// runtime's task would panic).
struct Runtime(Option<tokio::runtime::Runtime>);

impl Drop for Runtime {
    fn drop(&mut self) {
        if let Some(rt) = self.0.take() {
            rt.shutdown_background();
        }
    }
}

/// HQ's online member services, for the engine. Calls block the calling thread (never a UI
/// thread: the app runs engine calls off it) for at most the client's online timeout.
#[derive(Clone)]
pub struct HqAuthority {
    client: HqClient,
    runtime: Arc<Runtime>,
    limit: Duration,
    /// How long a collect, cancel or refund waits for HQ's answer: longer than HQ's own
    /// `answer_within` (some 20 s), after which HQ answers with the attempt as it stands.
    payment_wait: Duration,
}

/// How long a payment call waits for HQ by default (HQ answers within some 20 s).
pub const PAYMENT_WAIT: Duration = Duration::from_secs(25);

impl HqAuthority {
    pub fn new(client: HqClient, timeout: Duration) -> Result<HqAuthority, SyncError> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("till-hq-calls")
            .enable_all()
            .build()
            .map_err(|e| SyncError::BadAnswer(format!("cannot start the HQ call runtime: {e}")))?;
        Ok(HqAuthority { client, runtime: Arc::new(Runtime(Some(rt))), limit: timeout, payment_wait: PAYMENT_WAIT })
    }

    /// The authority of an enrolled till, from what its database holds.
    pub fn for_store(store: &Store) -> Result<HqAuthority, SyncError> {
        let timeouts = super::Timeouts::default();
        HqAuthority::new(super::client_for(store, timeouts)?, timeouts.online)
    }

    /// The same, with payment calls waiting `wait` for HQ's answer.
    pub fn with_payment_wait(mut self, wait: Duration) -> HqAuthority {
        self.payment_wait = wait;
        self
    }

    fn call<T: Send + 'static>(
        &self,
        f: impl FnOnce(HqClient) -> std::pin::Pin<Box<dyn Future<Output = Result<T, SyncError>> + Send>>,
    ) -> Result<T, AuthorityError> {
        self.call_within(self.limit, f)
    }

    fn call_within<T: Send + 'static>(
        &self,
        limit: Duration,
        f: impl FnOnce(HqClient) -> std::pin::Pin<Box<dyn Future<Output = Result<T, SyncError>> + Send>>,
    ) -> Result<T, AuthorityError> {
        let Some(rt) = self.runtime.0.as_ref() else {
            return Err(AuthorityError::Unavailable("shutting down".into()));
        };
        let (tx, rx) = std::sync::mpsc::channel();
        let fut = f(self.client.clone());
        rt.spawn(async move {
            let _ = tx.send(fut.await);
        });
        match rx.recv_timeout(limit + Duration::from_millis(500)) {
            Ok(result) => result.map_err(to_authority),
            Err(_) => Err(AuthorityError::Unavailable("HQ did not answer in time".into())),
        }
    }
}

fn to_authority(e: SyncError) -> AuthorityError {
    match e {
        SyncError::Refused { status: 404, .. } => AuthorityError::NotFound,
        SyncError::Refused { code, message, .. } => AuthorityError::Refused { code, message },
        SyncError::Revoked(m) => AuthorityError::Refused { code: "till_revoked".into(), message: m },
        SyncError::Unauthorized(m) => AuthorityError::Refused { code: "till_unauthenticated".into(), message: m },
        other => AuthorityError::Unavailable(other.to_string()),
    }
}

impl MemberAuthority for HqAuthority {
    fn lookup(&self, by: &MemberIdentifier) -> Result<MemberLookupResponse, AuthorityError> {
        let req = MemberLookupRequest { by: by.clone(), rotating_code: None };
        self.call(move |c| Box::pin(async move { c.lookup_member(&req).await }))
    }

    fn lookup_rotating(&self, code: &RotatingCode) -> Result<MemberLookupResponse, AuthorityError> {
        // By the member number the code carries, with the code for HQ to check (409 if it is not
        // the member's code of now).
        let req =
            MemberLookupRequest { by: MemberIdentifier::Code(code.member.clone()), rotating_code: Some(code.text()) };
        let found = self.call(move |c| Box::pin(async move { c.lookup_member(&req).await }))?;
        // An HQ that did not say it checked the code (one from before rotating codes) would have
        // answered by the number alone: the code is not taken on its word.
        if !found.code_checked {
            return Err(AuthorityError::Refused {
                code: shared::sync::member_code_refusal::NOT_VALID.into(),
                message: "HQ did not check this member code; scan the card or enter the phone number".into(),
            });
        }
        Ok(found)
    }

    fn hold(&self, request: &HoldRequest) -> Result<HoldResponse, AuthorityError> {
        let req = request.clone();
        self.call(move |c| Box::pin(async move { c.hold(&req).await }))
    }

    fn release(&self, hold: HoldId) -> Result<(), AuthorityError> {
        self.call(move |c| Box::pin(async move { c.release(hold).await }))
    }

    fn top_up(&self, request: &TopUpRequest) -> Result<TopUpResponse, AuthorityError> {
        let req = request.clone();
        self.call(move |c| Box::pin(async move { c.top_up(&req).await }))
    }

    fn sale_history(&self, receipt: &ReceiptNo) -> Result<(CompletedSale, Vec<Refund>), AuthorityError> {
        let no = receipt.clone();
        self.call(move |c| Box::pin(async move { c.sale_history(&no).await })).map(|h| (h.sale, h.refunds))
    }

    fn hold_coupon(&self, request: &CouponHoldRequest) -> Result<CouponHoldResponse, AuthorityError> {
        let req = request.clone();
        self.call(move |c| Box::pin(async move { c.hold_coupon(&req).await }))
    }

    fn release_coupon(&self, hold: HoldId) -> Result<(), AuthorityError> {
        self.call(move |c| Box::pin(async move { c.release_coupon(hold).await }))
    }

    fn member_coupons(&self, member: MemberId) -> Result<Vec<MemberCoupon>, AuthorityError> {
        self.call(move |c| Box::pin(async move { c.member_coupons(member).await })).map(|r| r.coupons)
    }

    fn collect_payment(&self, request: &CollectRequest) -> Result<PaymentAttempt, AuthorityError> {
        let (req, wait) = (request.clone(), self.payment_wait);
        self.call_within(wait, move |c| Box::pin(async move { c.collect_payment(&req, wait).await }))
    }

    fn payment_status(&self, order_no: &str) -> Result<PaymentAttempt, AuthorityError> {
        let no = order_no.to_owned();
        self.call(move |c| Box::pin(async move { c.payment_status(&no).await }))
    }

    fn cancel_payment(&self, order_no: &str) -> Result<PaymentAttempt, AuthorityError> {
        let (no, wait) = (order_no.to_owned(), self.payment_wait);
        self.call_within(wait, move |c| Box::pin(async move { c.cancel_payment(&no, wait).await }))
    }

    fn refund_payment(&self, order_no: &str, request: &RefundRequest) -> Result<PaymentRefund, AuthorityError> {
        let (no, req, wait) = (order_no.to_owned(), request.clone(), self.payment_wait);
        self.call_within(wait, move |c| Box::pin(async move { c.refund_payment(&no, &req, wait).await }))
    }

    fn refund_status(&self, order_no: &str, seq: u32) -> Result<PaymentRefund, AuthorityError> {
        let no = order_no.to_owned();
        self.call(move |c| Box::pin(async move { c.refund_status(&no, seq).await }))
    }
}
