//! The tills' side of the API (spec/sync.md): enrolment, event push, change pull.

use axum::Json;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;
use shared::receipt::ReceiptNo;
use shared::sync::{EnrolRequest, EnrolResponse, PROTOCOL_VERSION, PushRequest, PushResponse, SaleHistory};
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ErrorBody;
use super::{AppState, ClientAddr, CurrentTill};
use crate::admin;
use crate::error::{ApiJson, ApiPath, ApiQuery, AppError};
use crate::model::EnrolRefusal;

/// The most changes one pull page may carry.
pub const MAX_PAGE: u32 = 10_000;

/// Exchanges a one-time enrolment code for the till's id and secret token. Needs no other
/// credentials; failures are rate limited per client address.
#[utoipa::path(post, path = "/api/v1/sync/enrol", tag = "sync", request_body = doc::EnrolRequest,
    responses((status = 200, body = doc::EnrolResponse), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody, description = "Unknown, used, expired or revoked code"),
              (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn enrol(
    State(state): State<AppState>,
    ClientAddr(from): ClientAddr,
    ApiJson(req): ApiJson<EnrolRequest>,
) -> Result<Json<EnrolResponse>, AppError> {
    if req.protocol != PROTOCOL_VERSION {
        return Err(AppError::Protocol(req.protocol));
    }
    let limits = state.config.login_limits.clone();
    let key = format!("enrol:{from}");
    let since = state
        .now()
        .checked_sub(SignedDuration::try_from(limits.window).unwrap_or(SignedDuration::from_secs(900)))
        .unwrap_or(Timestamp::UNIX_EPOCH);
    // Reserved before the code is tried, so parallel guesses count as the attempts they are.
    let keys = vec![(key, limits.per_address)];
    let Ok(reservation) = state.db(move |s| s.reserve_attempt(&keys, since, s.now())).await? else {
        return Err(AppError::RateLimited("too many failed enrolments from this address; try again later".into()));
    };
    let outcome = state.db(move |s| admin::enrol(s, &req, &from)).await?;
    if outcome.is_ok() {
        state.db(move |s| s.release_attempt(&reservation)).await?;
    }
    match outcome {
        Ok((till, token)) => Ok(Json(EnrolResponse {
            till: till.id,
            till_number: till.number,
            branch: till.branch_id,
            branch_code: till.branch_code,
            token,
        })),
        Err(refusal) => Err(AppError::Enrolment(match refusal {
            EnrolRefusal::UnknownCode => "this enrolment code is unknown or already used",
            EnrolRefusal::Expired => "this enrolment code has expired; ask HQ for a new one",
            EnrolRefusal::Revoked => "this till has been revoked",
        })),
    }
}

/// Receives a batch of a till's events, in sequence order, and applies it in one transaction.
/// Each event is accepted, a duplicate (already had: nothing applied again) or rejected with
/// its reason (kept at HQ). The answer also says HQ's receive time, the till's clock skew and
/// the oldest sequence gap still open.
#[utoipa::path(post, path = "/api/v1/sync/push", tag = "sync", security(("till_token" = [])),
    request_body = doc::PushRequest,
    responses((status = 200, body = doc::PushResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn push(
    State(state): State<AppState>,
    till: CurrentTill,
    ApiJson(req): ApiJson<PushRequest>,
) -> Result<Json<PushResponse>, AppError> {
    let till = till.till;
    let (received_at, skew_warning) = (state.now(), state.config.clock_skew_warning);
    let answer = state.db(move |s| Ok(crate::push::receive(s, &till, req, received_at, skew_warning))).await?;
    Ok(Json(answer?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PullQuery {
    /// The `next_cursor` of the last page applied (0 for a new till).
    #[param(minimum = 0)]
    pub cursor: Option<i64>,
    /// Changes per page (default 1000, at most 10000).
    #[param(minimum = 1, maximum = 10000)]
    pub limit: Option<u32>,
    /// The protocol version the till speaks (refused if not HQ's).
    #[param(minimum = 1, maximum = 1)]
    pub protocol: Option<u32>,
}

/// The changes after the till's cursor that its branch may see: its branch settings, its staff
/// (PIN hashes only), all categories and products, its branch prices, the member policy.
/// Apply a page in one local transaction with its `next_cursor`; repeat while `has_more`.
#[utoipa::path(get, path = "/api/v1/sync/pull", tag = "sync", security(("till_token" = [])), params(PullQuery),
    responses((status = 200, body = doc::PullResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
async fn pull(
    State(state): State<AppState>,
    till: CurrentTill,
    ApiQuery(q): ApiQuery<PullQuery>,
) -> Result<impl IntoResponse, AppError> {
    if let Some(p) = q.protocol
        && p != PROTOCOL_VERSION
    {
        return Err(AppError::Protocol(p));
    }
    let cursor =
        u64::try_from(q.cursor.unwrap_or(0)).map_err(|_| AppError::BadRequest("cursor must not be negative".into()))?;
    let limit = super::schema::page_limit(q.limit, 1000, MAX_PAGE)?;
    let branch = till.till.branch_id;
    let page = state.db(move |s| s.pull(branch, cursor, limit)).await?;
    let body = crate::push::pull_body(&page);
    Ok(([(CONTENT_TYPE, "application/json")], body))
}

/// A sale of the till's branch by its receipt number, with every refund and void of it, so a
/// till can take a return of a sale rung up at another till of the branch.
#[utoipa::path(get, path = "/api/v1/till/sales/{receipt}", tag = "sync", security(("till_token" = [])),
    params(("receipt" = String, Path, description = "Receipt number, e.g. B001-01-000042",
        pattern = "^[A-Za-z0-9]{1,16}-[0-9]{2,4}-[0-9]{6,9}$")),
    responses((status = 200, body = doc::SaleHistory), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn sale_history(
    State(state): State<AppState>,
    till: CurrentTill,
    ApiPath(receipt): ApiPath<String>,
) -> Result<Json<SaleHistory>, AppError> {
    let receipt = ReceiptNo::parse(&receipt).map_err(|e| AppError::BadRequest(e.to_string()))?.to_string();
    let branch = till.till.branch_id;
    let r = receipt.clone();
    let history = state.db(move |s| s.sale_history(branch, &r)).await?;
    history.map(Json).ok_or_else(|| AppError::NotFound(format!("sale {receipt}")))
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(enrol))
        .routes(routes!(push))
        .routes(routes!(pull))
        .routes(routes!(sale_history))
}

/// Schemas of the sync messages for the OpenAPI document. The types themselves are
/// `shared::sync`'s; the event and change payloads are `shared`'s domain records, described there.
#[allow(dead_code)]
pub mod doc {
    use jiff::Timestamp;
    use utoipa::ToSchema;

    #[derive(ToSchema)]
    pub struct EnrolRequest {
        /// Must be 1.
        #[schema(minimum = 1, maximum = 1)]
        pub protocol: u32,
        /// The one-time code shown at HQ, e.g. `ABCD-EFGH`.
        pub code: String,
        #[schema(
            max_length = 100,
            pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*[^\\s\\u0000-\\u001F\\u007F-\\u009F][^\\u0000-\\u001F\\u007F-\\u009F]*$"
        )]
        pub device_name: String,
    }

    #[derive(ToSchema)]
    pub struct EnrolResponse {
        pub till: i64,
        pub till_number: u16,
        pub branch: i64,
        pub branch_code: String,
        /// Send it as `x-till-token` (or `Authorization: Bearer`) with every request.
        pub token: String,
    }

    #[derive(ToSchema)]
    #[schema(rename_all = "snake_case")]
    pub enum EventType {
        SaleCompleted,
        SaleRefunded,
        SaleVoided,
        ShiftOpened,
        CashMovement,
        ShiftClosed,
        DayClosed,
        MemberEnrolled,
        Audit,
    }

    /// An event: its type and its record (`shared::sale::CompletedSale`, `shared::sale::Refund`, ...).
    #[derive(ToSchema)]
    pub struct Event {
        #[schema(rename = "type")]
        pub kind: EventType,
        #[schema(value_type = Object)]
        pub data: serde_json::Value,
    }

    #[derive(ToSchema)]
    pub struct EventEnvelope {
        /// UUIDv7; HQ deduplicates on it forever.
        #[schema(pattern = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")]
        pub id: String,
        #[schema(minimum = 1)]
        pub till: i64,
        /// 1, 2, 3, ... per till, without gaps.
        #[schema(minimum = 1)]
        pub seq: u64,
        pub at: Timestamp,
        pub event: Event,
    }

    #[derive(ToSchema)]
    pub struct PushRequest {
        /// Must be 1.
        #[schema(minimum = 1, maximum = 1)]
        pub protocol: u32,
        #[schema(minimum = 1)]
        pub till: i64,
        #[schema(max_items = 1000)]
        pub events: Vec<EventEnvelope>,
        /// The till's clock when it sent the batch (RFC 3339).
        #[schema(value_type = Option<String>, pattern = "^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]{1,9})?(Z|[+-](0[0-9]|1[0-4]):[0-5][0-9])$")]
        pub sent_at: Option<Timestamp>,
    }

    #[derive(ToSchema)]
    #[schema(rename_all = "snake_case")]
    pub enum OutcomeStatus {
        Accepted,
        Duplicate,
        Rejected,
    }

    #[derive(ToSchema)]
    pub struct EventOutcome {
        pub status: OutcomeStatus,
        /// Why, for `rejected`.
        pub reason: Option<String>,
    }

    #[derive(ToSchema)]
    pub struct EventResult {
        pub id: String,
        pub seq: u64,
        pub outcome: EventOutcome,
    }

    #[derive(ToSchema)]
    pub struct SeqGap {
        pub expected: u64,
        pub received: u64,
    }

    #[derive(ToSchema)]
    pub struct PushResponse {
        pub results: Vec<EventResult>,
        pub received_at: Timestamp,
        pub clock_skew_seconds: i64,
        pub clock_warning: Option<String>,
        pub gap: Option<SeqGap>,
    }

    /// A change: `branch`, `staff`, `category`, `product`, `branch_price`, `policy`, `member`,
    /// `member_merged`, with its record as `data`.
    #[derive(ToSchema)]
    pub struct Change {
        #[schema(rename = "type")]
        pub kind: String,
        #[schema(value_type = Object)]
        pub data: serde_json::Value,
    }

    #[derive(ToSchema)]
    pub struct ChangeEnvelope {
        pub seq: u64,
        pub change: Change,
    }

    /// A sale (`shared::sale::CompletedSale`) and its refunds and voids (`shared::sale::Refund`).
    #[derive(ToSchema)]
    pub struct SaleHistory {
        #[schema(value_type = Object)]
        pub sale: serde_json::Value,
        #[schema(value_type = Vec<Object>)]
        pub refunds: Vec<serde_json::Value>,
    }

    #[derive(ToSchema)]
    pub struct PullResponse {
        pub changes: Vec<ChangeEnvelope>,
        pub next_cursor: u64,
        pub has_more: bool,
        pub latest: u64,
    }
}
