//! The payment gateway's API for tills (issue 23; `crate::gateway`): collect a payment code's
//! payment for a sale, ask where an attempt stands, cancel one the customer gave up on, and refund
//! a paid one to where it came from. A till sees only its own attempts: another's is "not found".
//! Every answer is the attempt (or refund) as HQ recorded it, whatever its state: a till that
//! asks again after a lost answer, a crash or a restart learns where it stands.

use axum::Json;
use axum::extract::State;
use shared::payment::{CollectRequest, PaymentAttempt, PaymentRefund, RefundRequest};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{AppState, CurrentTill, ErrorBody};
use crate::error::{ApiJson, ApiPath, AppError};
use crate::gateway::GatewayError;

impl From<GatewayError> for AppError {
    fn from(e: GatewayError) -> Self {
        match e {
            GatewayError::Invalid(m) => AppError::Validation(m),
            GatewayError::NotConfigured(_) => {
                AppError::Refused { code: "provider_not_configured", message: e.to_string() }
            }
            GatewayError::Store(s) => s.into(),
        }
    }
}

/// A payment code scanned at the till, to collect from (`shared::payment::CollectRequest`).
#[allow(dead_code)]
#[derive(ToSchema)]
pub struct CollectBody {
    /// The sale's receipt number, this till's: `B001-01-000042`.
    #[schema(pattern = "^[A-Za-z0-9]{1,12}-[0-9]{2}-[0-9]{6,}$", max_length = 28)]
    pub receipt_no: String,
    /// 1 for the sale's first attempt, one more for each new code.
    #[schema(minimum = 1, maximum = 999)]
    pub attempt: u32,
    /// The payment code as scanned: WeChat Pay 18 digits beginning 10–15, Alipay 16–24 beginning
    /// 25–30.
    #[schema(pattern = "^[0-9]{16,24}$")]
    pub code: String,
    /// Fen, above zero (at most what the sale still has due).
    #[schema(minimum = 1, maximum = 10_000_000_000_i64)]
    pub amount: i64,
}

/// An attempt as HQ knows it (`shared::payment::PaymentAttempt`).
#[allow(dead_code)]
#[derive(ToSchema)]
pub struct PaymentAttemptBody {
    /// `{receipt_no}-{attempt}`: the merchant's order number at the provider.
    pub order_no: String,
    /// `wechat` or `alipay`.
    pub provider: String,
    pub receipt_no: String,
    pub attempt: u32,
    pub amount: i64,
    /// The code's first and last four digits.
    pub code_masked: String,
    /// `sending`, `user_paying`, `unknown`, `cancelling` (HQ goes on), or final: `paid`,
    /// `failed`, `cancelled`.
    pub state: String,
    /// The provider's transaction id, once paid (the receipt prints it).
    pub transaction_id: Option<String>,
    #[schema(format = DateTime)]
    pub paid_at: Option<String>,
    /// The provider's code for a refusal (`NOTENOUGH`, `AUTHCODEEXPIRE`, …) or HQ's
    /// (`USER_TIMEOUT`, `CASHIER_CANCELLED`, `AMOUNT_MISMATCH`, `NOT_FOUND`).
    pub failure_code: Option<String>,
    /// What the cashier reads.
    pub message: Option<String>,
    /// Another code (or later) may work.
    pub retryable: bool,
    /// Fen refunded so far.
    pub refunded: i64,
}

/// A refund of a paid attempt (`shared::payment::RefundRequest`).
#[allow(dead_code)]
#[derive(ToSchema)]
pub struct RefundBody {
    /// 1 for the payment's first refund, one more for each; the same seq again is the same refund.
    #[schema(minimum = 1, maximum = 999)]
    pub seq: u32,
    #[schema(minimum = 1, maximum = 10_000_000_000_i64)]
    pub amount: i64,
    /// The till's refund receipt.
    #[schema(min_length = 1, max_length = 40)]
    pub refund_receipt_no: String,
    #[schema(max_length = 80)]
    pub reason: Option<String>,
}

/// A refund as HQ knows it (`shared::payment::PaymentRefund`).
#[allow(dead_code)]
#[derive(ToSchema)]
pub struct PaymentRefundBody {
    pub order_no: String,
    /// `{order_no}-R{seq}`.
    pub out_refund_no: String,
    pub seq: u32,
    pub amount: i64,
    pub refund_receipt_no: String,
    /// `pending` (HQ queries it), `refunded`, or `failed` (the provider refused: nothing went
    /// back; the till shows it and never pays it in cash on its own).
    pub state: String,
    pub refund_id: Option<String>,
    pub failure_code: Option<String>,
    pub message: Option<String>,
}

/// Collects `amount` for the sale `receipt_no` from the scanned payment code. HQ records the
/// attempt before it calls the provider, and answers once it is final (`paid`, `failed`,
/// `cancelled`) or after some 20 s with the state it is in (the till then polls). The same
/// `receipt_no` and `attempt` again is the same attempt: never a second charge. Refused,
/// nothing sent: an amount of zero, a code that is not a payment code or a misread one, another
/// till's receipt number (422); the same attempt with another code or amount (409); a provider
/// HQ is not set up with (409, `provider_not_configured`).
#[utoipa::path(post, path = "/api/v1/till/payments", tag = "payments", security(("till_token" = [])),
    request_body = CollectBody,
    responses((status = 200, body = PaymentAttemptBody), (status = 400, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn collect(
    State(state): State<AppState>,
    till: CurrentTill,
    ApiJson(req): ApiJson<CollectRequest>,
) -> Result<Json<PaymentAttempt>, AppError> {
    Ok(Json(state.payments.collect(&till.till, req).await?))
}

/// Where one of the till's attempts stands; one that is not final is asked of the provider
/// when its next query is due.
#[utoipa::path(get, path = "/api/v1/till/payments/{order_no}", tag = "payments", security(("till_token" = [])),
    params(("order_no" = String, Path, description = "The attempt's order number")),
    responses((status = 200, body = PaymentAttemptBody), (status = 404, body = ErrorBody)))]
async fn status(
    State(state): State<AppState>,
    till: CurrentTill,
    ApiPath(order_no): ApiPath<String>,
) -> Result<Json<PaymentAttempt>, AppError> {
    Ok(Json(state.payments.status(&till.till, &order_no).await?))
}

/// The cashier gives up on an attempt that is not final: HQ cancels it at the provider
/// (reversing it if the customer paid after all) and answers once that is confirmed or after
/// some 20 s. A final attempt is answered as it is (a paid one goes back by a refund).
#[utoipa::path(post, path = "/api/v1/till/payments/{order_no}/cancel", tag = "payments", security(("till_token" = [])),
    params(("order_no" = String, Path, description = "The attempt's order number")),
    responses((status = 200, body = PaymentAttemptBody), (status = 404, body = ErrorBody)))]
async fn cancel(
    State(state): State<AppState>,
    till: CurrentTill,
    ApiPath(order_no): ApiPath<String>,
) -> Result<Json<PaymentAttempt>, AppError> {
    Ok(Json(state.payments.cancel(&till.till, &order_no).await?))
}

/// Refunds part or all of a paid attempt to where it came from, once per `seq`. Refused,
/// nothing sent: an attempt not paid, more than is left unrefunded, the same seq with another
/// amount (409); a bad amount or seq (422). A refund the provider refuses comes back `failed`
/// with its reason.
#[utoipa::path(post, path = "/api/v1/till/payments/{order_no}/refunds", tag = "payments", security(("till_token" = [])),
    params(("order_no" = String, Path, description = "The attempt's order number")),
    request_body = RefundBody,
    responses((status = 200, body = PaymentRefundBody), (status = 400, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn refund(
    State(state): State<AppState>,
    till: CurrentTill,
    ApiPath(order_no): ApiPath<String>,
    ApiJson(req): ApiJson<RefundRequest>,
) -> Result<Json<PaymentRefund>, AppError> {
    Ok(Json(state.payments.refund(&till.till, &order_no, req).await?))
}

/// Where one of the till's refunds stands (a pending one is asked of the provider).
#[utoipa::path(get, path = "/api/v1/till/payments/{order_no}/refunds/{seq}", tag = "payments", security(("till_token" = [])),
    params(("order_no" = String, Path, description = "The attempt's order number"),
           ("seq" = u32, Path, description = "The refund's seq")),
    responses((status = 200, body = PaymentRefundBody), (status = 404, body = ErrorBody)))]
async fn refund_status(
    State(state): State<AppState>,
    till: CurrentTill,
    ApiPath((order_no, seq)): ApiPath<(String, u32)>,
) -> Result<Json<PaymentRefund>, AppError> {
    Ok(Json(state.payments.refund_status(&till.till, &order_no, seq).await?))
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(collect))
        .routes(routes!(status))
        .routes(routes!(cancel))
        .routes(routes!(refund))
        .routes(routes!(refund_status))
}
