//! [`MemberAuthority`] over HTTP: the engine's online member calls made against HQ, each bounded by
//! a short timeout so a cashier never waits long for an HQ that does not answer.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use shared::ids::{HoldId, MemberId};
use shared::member::MemberIdentifier;
use shared::member_code::RotatingCode;
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
}

impl HqAuthority {
    pub fn new(client: HqClient, timeout: Duration) -> Result<HqAuthority, SyncError> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("till-hq-calls")
            .enable_all()
            .build()
            .map_err(|e| SyncError::BadAnswer(format!("cannot start the HQ call runtime: {e}")))?;
        Ok(HqAuthority { client, runtime: Arc::new(Runtime(Some(rt))), limit: timeout })
    }

    /// The authority of an enrolled till, from what its database holds.
    pub fn for_store(store: &Store) -> Result<HqAuthority, SyncError> {
        let timeouts = super::Timeouts::default();
        HqAuthority::new(super::client_for(store, timeouts)?, timeouts.online)
    }

    fn call<T: Send + 'static>(
        &self,
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
        match rx.recv_timeout(self.limit + Duration::from_millis(500)) {
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
}
