//! HQ's HTTP API as the till calls it: enrolment, push, pull and the online member services.
//! Every call has a short timeout; a connection failure or timeout is [`SyncError::Unreachable`].

use std::time::Duration;

use reqwest::StatusCode;
use serde::Serialize;
use serde::de::DeserializeOwned;
use shared::ids::{HoldId, MemberId};
use shared::receipt::ReceiptNo;
use shared::sync::{
    CouponHoldRequest, CouponHoldResponse, EnrolRequest, EnrolResponse, ErrorBody, HoldRequest, HoldResponse,
    MemberCouponsResponse, MemberLookupRequest, MemberLookupResponse, PROTOCOL_VERSION, PullResponse, PushRequest,
    PushResponse, SaleHistory, TILL_TOKEN_HEADER, TopUpRequest, TopUpResponse,
};

use crate::store::StoreError;

/// What went wrong talking to HQ.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// HQ did not answer (connection refused, timeout, network down).
    #[error("HQ is not reachable: {0}")]
    Unreachable(String),
    /// HQ revoked this till: it must stop syncing.
    #[error("this till was revoked at HQ: {0}")]
    Revoked(String),
    /// HQ does not accept this till's token, or the enrolment code.
    #[error("HQ refused this till: {0}")]
    Unauthorized(String),
    /// HQ answered with an error (its code and message).
    #[error("HQ answered {status}: {message}")]
    Refused { status: u16, code: String, message: String },
    /// HQ's answer could not be understood.
    #[error("HQ's answer could not be read: {0}")]
    BadAnswer(String),
    #[error("the HQ address `{0}` is not a valid http(s) URL")]
    BadUrl(String),
    #[error("the till is not enrolled")]
    NotEnrolled,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl SyncError {
    pub fn is_unreachable(&self) -> bool {
        matches!(self, SyncError::Unreachable(_))
    }
}

/// Timeouts for HQ calls.
#[derive(Clone, Copy, Debug)]
pub struct Timeouts {
    pub connect: Duration,
    /// Push and pull (large bodies).
    pub bulk: Duration,
    /// Online member calls a cashier waits for.
    pub online: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts { connect: Duration::from_secs(2), bulk: Duration::from_secs(30), online: Duration::from_secs(3) }
    }
}

/// A client of one HQ, for one till (its token, once enrolled).
#[derive(Clone)]
pub struct HqClient {
    base: String,
    token: Option<String>,
    http: reqwest::Client,
    timeouts: Timeouts,
}

/// Checks an HQ address and returns it without a trailing slash.
pub fn normalise_url(url: &str) -> Result<String, SyncError> {
    let trimmed = url.trim().trim_end_matches('/');
    let ok =
        reqwest::Url::parse(trimmed).ok().is_some_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some());
    if ok { Ok(trimmed.to_owned()) } else { Err(SyncError::BadUrl(url.to_owned())) }
}

impl HqClient {
    pub fn new(base_url: &str, token: Option<String>, timeouts: Timeouts) -> Result<HqClient, SyncError> {
        let base = normalise_url(base_url)?;
        let http = reqwest::Client::builder()
            .connect_timeout(timeouts.connect)
            .user_agent(concat!("tillpoint-till/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| SyncError::Unreachable(e.to_string()))?;
        Ok(HqClient { base, token, http, timeouts })
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    pub fn with_token(&self, token: String) -> HqClient {
        HqClient { token: Some(token), ..self.clone() }
    }

    fn request(&self, method: reqwest::Method, path: &str, timeout: Duration) -> reqwest::RequestBuilder {
        let mut r = self.http.request(method, format!("{}{path}", self.base)).timeout(timeout);
        if let Some(t) = &self.token {
            r = r.header(TILL_TOKEN_HEADER, t);
        }
        r
    }

    async fn send<T: DeserializeOwned>(&self, req: reqwest::RequestBuilder) -> Result<T, SyncError> {
        let resp = req.send().await.map_err(|e| SyncError::Unreachable(describe(&e)))?;
        let status = resp.status();
        if status.is_success() {
            return resp.json::<T>().await.map_err(|e| {
                if e.is_timeout() { SyncError::Unreachable(describe(&e)) } else { SyncError::BadAnswer(e.to_string()) }
            });
        }
        Err(error_of(status, resp.text().await.unwrap_or_default()))
    }

    async fn send_empty(&self, req: reqwest::RequestBuilder) -> Result<(), SyncError> {
        let resp = req.send().await.map_err(|e| SyncError::Unreachable(describe(&e)))?;
        let status = resp.status();
        if status.is_success() {
            return Ok(());
        }
        Err(error_of(status, resp.text().await.unwrap_or_default()))
    }

    fn post<B: Serialize>(&self, path: &str, body: &B, timeout: Duration) -> reqwest::RequestBuilder {
        self.request(reqwest::Method::POST, path, timeout).json(body)
    }

    /// Exchanges a one-time enrolment code for the till's id and token.
    pub async fn enrol(&self, code: &str, device_name: &str) -> Result<EnrolResponse, SyncError> {
        let body = EnrolRequest {
            protocol: PROTOCOL_VERSION,
            code: code.trim().to_owned(),
            device_name: device_name.to_owned(),
        };
        self.send(self.post("/api/v1/sync/enrol", &body, self.timeouts.online)).await
    }

    pub async fn push(&self, batch: &PushRequest) -> Result<PushResponse, SyncError> {
        self.send(self.post("/api/v1/sync/push", batch, self.timeouts.bulk)).await
    }

    pub async fn pull(&self, cursor: u64, limit: u32) -> Result<PullResponse, SyncError> {
        let req = self.request(reqwest::Method::GET, "/api/v1/sync/pull", self.timeouts.bulk).query(&[
            ("cursor", cursor.to_string()),
            ("limit", limit.to_string()),
            ("protocol", PROTOCOL_VERSION.to_string()),
        ]);
        self.send(req).await
    }

    pub async fn lookup_member(&self, req: &MemberLookupRequest) -> Result<MemberLookupResponse, SyncError> {
        self.send(self.post("/api/v1/till/members/lookup", req, self.timeouts.online)).await
    }

    pub async fn hold(&self, req: &HoldRequest) -> Result<HoldResponse, SyncError> {
        self.send(self.post("/api/v1/till/holds", req, self.timeouts.online)).await
    }

    pub async fn release(&self, hold: HoldId) -> Result<(), SyncError> {
        let path = format!("/api/v1/till/holds/{hold}/release");
        self.send_empty(self.request(reqwest::Method::POST, &path, self.timeouts.online)).await
    }

    pub async fn top_up(&self, req: &TopUpRequest) -> Result<TopUpResponse, SyncError> {
        self.send(self.post("/api/v1/till/topups", req, self.timeouts.online)).await
    }

    pub async fn hold_coupon(&self, req: &CouponHoldRequest) -> Result<CouponHoldResponse, SyncError> {
        self.send(self.post("/api/v1/till/coupons/holds", req, self.timeouts.online)).await
    }

    pub async fn release_coupon(&self, hold: HoldId) -> Result<(), SyncError> {
        let path = format!("/api/v1/till/coupons/holds/{hold}/release");
        self.send_empty(self.request(reqwest::Method::POST, &path, self.timeouts.online)).await
    }

    pub async fn member_coupons(&self, member: MemberId) -> Result<MemberCouponsResponse, SyncError> {
        let path = format!("/api/v1/till/members/{member}/coupons");
        self.send(self.request(reqwest::Method::GET, &path, self.timeouts.online)).await
    }

    /// The complaint categories HQ offers tills (the active ones).
    pub async fn complaint_categories(&self) -> Result<Vec<shared::complaints::Category>, SyncError> {
        let path = "/api/v1/till/complaint-categories";
        self.send(self.request(reqwest::Method::GET, path, self.timeouts.online)).await
    }

    /// Sends a complaint taken at the till; HQ's id for it (the same for a complaint sent again).
    pub async fn send_complaint(&self, complaint: &shared::complaints::TillComplaint) -> Result<i64, SyncError> {
        #[derive(serde::Deserialize)]
        struct Recorded {
            id: i64,
        }
        let recorded: Recorded = self.send(self.post("/api/v1/till/complaints", complaint, self.timeouts.bulk)).await?;
        Ok(recorded.id)
    }

    /// A page of the branch's on hand written after `cursor` (none: from the start).
    pub async fn stock(
        &self,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<shared::till_stock::TillStockPage, SyncError> {
        let mut query = vec![("limit", limit.to_string())];
        if let Some(c) = cursor {
            query.push(("cursor", c.to_owned()));
        }
        self.send(self.request(reqwest::Method::GET, "/api/v1/till/stock", self.timeouts.bulk).query(&query)).await
    }

    /// The branch's open counts.
    pub async fn open_counts(&self) -> Result<Vec<shared::till_stock::TillCount>, SyncError> {
        self.send(self.request(reqwest::Method::GET, "/api/v1/till/stock-counts", self.timeouts.online)).await
    }

    /// Sends a batch of lines counted here; HQ answers the same for a batch sent again.
    pub async fn send_count_lines(
        &self,
        count: i64,
        body: &shared::till_stock::TillCountEntries,
    ) -> Result<shared::till_stock::TillCountAnswer, SyncError> {
        let path = format!("/api/v1/till/stock-counts/{count}/entries");
        self.send(self.post(&path, body, self.timeouts.bulk)).await
    }

    /// Asks HQ's payment gateway to collect a payment code's amount (HQ answers within its
    /// `answer_within`, then the till polls).
    pub async fn collect_payment(
        &self,
        req: &shared::payment::CollectRequest,
        wait: Duration,
    ) -> Result<shared::payment::PaymentAttempt, SyncError> {
        self.send(self.post("/api/v1/till/payments", req, wait)).await
    }

    pub async fn payment_status(&self, order_no: &str) -> Result<shared::payment::PaymentAttempt, SyncError> {
        let path = format!("/api/v1/till/payments/{}", path_segment(order_no));
        self.send(self.request(reqwest::Method::GET, &path, self.timeouts.online)).await
    }

    pub async fn cancel_payment(
        &self,
        order_no: &str,
        wait: Duration,
    ) -> Result<shared::payment::PaymentAttempt, SyncError> {
        let path = format!("/api/v1/till/payments/{}/cancel", path_segment(order_no));
        self.send(self.request(reqwest::Method::POST, &path, wait)).await
    }

    pub async fn refund_payment(
        &self,
        order_no: &str,
        req: &shared::payment::RefundRequest,
        wait: Duration,
    ) -> Result<shared::payment::PaymentRefund, SyncError> {
        let path = format!("/api/v1/till/payments/{}/refunds", path_segment(order_no));
        self.send(self.post(&path, req, wait)).await
    }

    pub async fn refund_status(&self, order_no: &str, seq: u32) -> Result<shared::payment::PaymentRefund, SyncError> {
        let path = format!("/api/v1/till/payments/{}/refunds/{seq}", path_segment(order_no));
        self.send(self.request(reqwest::Method::GET, &path, self.timeouts.online)).await
    }

    pub async fn sale_history(&self, receipt: &ReceiptNo) -> Result<SaleHistory, SyncError> {
        let path = format!("/api/v1/till/sales/{receipt}");
        self.send(self.request(reqwest::Method::GET, &path, self.timeouts.online)).await
    }
}

fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "HQ did not answer in time".into()
    } else if e.is_connect() {
        "cannot connect to HQ".into()
    } else {
        e.to_string()
    }
}

fn error_of(status: StatusCode, body: String) -> SyncError {
    let parsed: Option<ErrorBody> = serde_json::from_str(&body).ok();
    let (code, message) = match parsed {
        Some(b) => (b.error, b.message),
        None => (String::new(), format!("HTTP {status}")),
    };
    match (status, code.as_str()) {
        (_, "till_revoked") => SyncError::Revoked(message),
        (StatusCode::UNAUTHORIZED, _) => SyncError::Unauthorized(message),
        // A proxy or load balancer without HQ behind it.
        (StatusCode::BAD_GATEWAY | StatusCode::SERVICE_UNAVAILABLE | StatusCode::GATEWAY_TIMEOUT, _) => {
            SyncError::Unreachable(message)
        }
        _ => SyncError::Refused { status: status.as_u16(), code, message },
    }
}

/// An order number as one path segment: only what an order number holds (letters, digits, `-`)
/// passes; anything else is dropped, so a path can never be steered elsewhere.
fn path_segment(s: &str) -> String {
    s.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(normalise_url(" http://127.0.0.1:8080/ ").ok().as_deref(), Some("http://127.0.0.1:8080"));
        assert!(normalise_url("ftp://hq").is_err());
        assert!(normalise_url("hq.example").is_err());
        assert!(normalise_url("").is_err());
    }

    #[test]
    fn errors_by_code() {
        let body = |code: &str| format!("{{\"error\":\"{code}\",\"message\":\"m\"}}");
        assert!(matches!(error_of(StatusCode::UNAUTHORIZED, body("till_revoked")), SyncError::Revoked(_)));
        assert!(matches!(error_of(StatusCode::UNAUTHORIZED, body("till_unauthenticated")), SyncError::Unauthorized(_)));
        assert!(matches!(error_of(StatusCode::BAD_GATEWAY, String::new()), SyncError::Unreachable(_)));
        assert!(matches!(
            error_of(StatusCode::UNPROCESSABLE_ENTITY, body("validation")),
            SyncError::Refused { status: 422, .. }
        ));
    }
}
