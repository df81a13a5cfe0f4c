//! HQ's online member services for the tills (spec/sync.md, online calls): lookup, holds on points
//! and stored value, their release, and top-ups. Till-token authenticated; each answer is fast and
//! small, so a till never waits long.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use shared::ids::HoldId;
use shared::sync::{HoldRequest, HoldResponse, MemberLookupRequest, MemberLookupResponse, TopUpRequest, TopUpResponse};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ErrorBody;
use super::{AppState, CurrentTill, TillToken};
use crate::error::{ApiJson, ApiPath, AppError};
use crate::model::TillMemberLookup;

/// A member by card code, contactless UID or phone number, with what they may use now (points
/// and stored value after holds, never expired points) and the policy version in force.
#[utoipa::path(post, path = "/api/v1/till/members/lookup", tag = "till members", security(("till_token" = [])),
    request_body = doc::LookupRequest,
    responses((status = 200, body = doc::LookupResponse), (status = 404, body = ErrorBody, description = "No such member"),
              (status = 409, body = ErrorBody, description = "The card was reported lost, replaced or blocked")))]
async fn lookup(
    State(state): State<AppState>,
    token: TillToken,
    ApiJson(req): ApiJson<MemberLookupRequest>,
) -> Result<Json<MemberLookupResponse>, AppError> {
    let now = state.now();
    if let Some(text) = &req.rotating_code {
        return lookup_rotating(state, token, &req.by, text, now).await;
    }
    // Two indexed reads of tens of microseconds: done here on the async worker when a reader
    // connection is free, sparing two thread hand-offs per lookup (BENCHMARKS.md); on the
    // blocking pool when every reader is busy, so the worker never waits on a lock.
    let found = match state.store.try_till_member_lookup(&token.hash, &req.by, now) {
        Some(found) => found?,
        None => state.db(move |s| s.till_member_lookup(&token.hash, &req.by, now)).await?,
    };
    answer(found, false)
}

/// A lookup by the rotating code the member's phone shows (`shared::member_code`): the member of
/// its number, answered only if the code was made with the member's secret for now (one step
/// either side); an older code of theirs is refused as expired, any other as not valid.
async fn lookup_rotating(
    state: AppState,
    token: TillToken,
    by: &shared::member::MemberIdentifier,
    text: &str,
    now: jiff::Timestamp,
) -> Result<Json<MemberLookupResponse>, AppError> {
    use shared::member_code::{MemberCodeError, RotatingCode};
    use shared::sync::member_code_refusal;
    let code = RotatingCode::parse(text)
        .ok_or_else(|| AppError::Validation("rotating_code: 18 digits beginning 88".into()))?;
    if *by != shared::member::MemberIdentifier::Code(code.member.clone()) {
        return Err(AppError::Validation("rotating_code: `by` must be the code's member number".into()));
    }
    let number = code.member.clone();
    let found = state.db(move |s| s.till_member_lookup_by_number(&token.hash, &number, now)).await?;
    if let TillMemberLookup::Found(member, ..) = &found {
        let unix = u64::try_from(now.as_second()).unwrap_or(0);
        let checked = match &member.code_secret {
            Some(secret) => code.verify(secret, unix).map(|_| ()),
            None => Err(MemberCodeError::NotValid),
        };
        match checked {
            Ok(()) => {}
            Err(e @ MemberCodeError::Expired) => {
                return Err(AppError::Refused { code: member_code_refusal::EXPIRED, message: e.to_string() });
            }
            Err(e) => return Err(AppError::Refused { code: member_code_refusal::NOT_VALID, message: e.to_string() }),
        }
    }
    answer(found, true)
}

fn answer(found: TillMemberLookup, code_checked: bool) -> Result<Json<MemberLookupResponse>, AppError> {
    match found {
        TillMemberLookup::Found(member, policy_version, promotion_uses) => {
            let promotion_uses = promotion_uses.into_iter().collect();
            Ok(Json(MemberLookupResponse { member: *member, policy_version, promotion_uses, code_checked }))
        }
        TillMemberLookup::NoSuchMember => Err(AppError::NotFound("member".into())),
        TillMemberLookup::Refused(refusal) => Err(refusal.into()),
        TillMemberLookup::UnknownTill => Err(AppError::TillUnauthenticated),
        TillMemberLookup::RevokedTill => Err(AppError::TillRevoked),
    }
}

/// Checks and reserves points or stored value for a sale, atomically: two tills cannot both hold
/// the same points. Idempotent by the till-chosen hold id. A hold lives 15 minutes unless the
/// sale's event captures it or the till releases it.
#[utoipa::path(post, path = "/api/v1/till/holds", tag = "till members", security(("till_token" = [])),
    request_body = doc::HoldRequest,
    responses((status = 200, body = doc::HoldResponse), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody, description = "insufficient_points, insufficient_stored_value, \\
              below_minimum_balance or member_blocked")))]
async fn hold(
    State(state): State<AppState>,
    token: TillToken,
    ApiJson(req): ApiJson<HoldRequest>,
) -> Result<Json<HoldResponse>, AppError> {
    Ok(Json(state.for_till(token, move |s, t| Ok(s.hold(t, &req, s.now())??)).await?))
}

/// Gives a hold back (the tender was removed or the sale abandoned). Idempotent; a hold already
/// captured by a sale cannot be released.
#[utoipa::path(post, path = "/api/v1/till/holds/{hold}/release", tag = "till members", security(("till_token" = [])),
    params(("hold" = String, Path, description = "The hold's id (a UUID)")),
    responses((status = 204, description = "Released (or already released or expired)"), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody, description = "Already captured by a sale")))]
async fn release(
    State(state): State<AppState>,
    till: CurrentTill,
    ApiPath(hold): ApiPath<String>,
) -> Result<StatusCode, AppError> {
    let hold = HoldId::parse(&hold).map_err(|e| AppError::BadRequest(format!("hold id: {e}")))?;
    let t = till.till;
    if state.db(move |s| s.release_hold(&t, hold, s.now())).await?? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(AppError::NotFound(format!("hold {hold}")))
    }
}

/// Tops up a member's stored value, paid at the till in cash or by bank card, with the bonus of
/// the policy's top-up rules. Idempotent by the request id: a retry returns the first answer.
#[utoipa::path(post, path = "/api/v1/till/topups", tag = "till members", security(("till_token" = [])),
    request_body = doc::TopUpRequest,
    responses((status = 200, body = doc::TopUpResponse), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn top_up(
    State(state): State<AppState>,
    till: CurrentTill,
    ApiJson(req): ApiJson<TopUpRequest>,
) -> Result<Json<TopUpResponse>, AppError> {
    let t = till.till;
    Ok(Json(state.db(move |s| s.top_up(&t, &req, s.now())).await??))
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(lookup)).routes(routes!(hold)).routes(routes!(release)).routes(routes!(top_up))
}

/// Schemas of `shared::sync`'s member messages for the OpenAPI document.
#[allow(dead_code)]
pub mod doc {
    use jiff::Timestamp;
    use utoipa::ToSchema;

    #[derive(ToSchema)]
    #[schema(rename_all = "snake_case")]
    pub enum IdentifierKind {
        Code,
        Uid,
        Phone,
    }

    /// How the cashier identified the member: `{"by": "code", "value": digits}`, `{"by": "uid",
    /// "value": 8 or 14 hex characters or 10 digits}` or `{"by": "phone", "value": 11 digits from 1}`.
    pub fn identifier() -> utoipa::openapi::Schema {
        use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Type};
        let kind = |by: &str, pattern: &str| {
            ObjectBuilder::new()
                .property("by", ObjectBuilder::new().schema_type(Type::String).enum_values(Some([by])))
                .property("value", ObjectBuilder::new().schema_type(Type::String).pattern(Some(pattern)))
                .required("by")
                .required("value")
        };
        OneOfBuilder::new()
            .item(kind("code", "^[0-9]{1,20}$"))
            .item(kind("uid", "^([0-9A-Fa-f]{8}|[0-9A-Fa-f]{14}|[0-9]{10})$"))
            .item(kind("phone", "^1[0-9]{10}$"))
            .build()
            .into()
    }

    #[derive(ToSchema)]
    pub struct LookupRequest {
        #[schema(schema_with = identifier)]
        pub by: serde_json::Value,
        /// A rotating code scanned from the member's phone (18 digits beginning 88); `by` is
        /// then its member number. Refused as `member_code_expired` or `member_code_not_valid`.
        #[schema(pattern = "^88[0-9]{16}$")]
        pub rotating_code: Option<String>,
    }

    #[derive(ToSchema)]
    pub struct StoredValue {
        /// Fen.
        pub principal: i64,
        /// Fen.
        pub bonus: i64,
    }

    #[derive(ToSchema)]
    pub struct MemberSnapshot {
        pub id: String,
        pub code: String,
        pub phone: Option<String>,
        pub name: String,
        pub birthday: Option<String>,
        pub tier: String,
        /// `active`, `blocked` or `merged`.
        pub status: String,
        pub home_branch: Option<i64>,
        pub card_uids: Vec<String>,
        /// Usable now (after holds; may be negative after a refund).
        pub points: i64,
        pub stored_value: StoredValue,
        pub offline_points_cap: i64,
        /// Fen.
        pub offline_stored_value_cap: i64,
        /// The secret of the member's rotating code (40 hex characters), once the member has
        /// signed in to the member pages; absent before.
        pub code_secret: Option<String>,
    }

    #[derive(ToSchema)]
    pub struct LookupResponse {
        pub member: MemberSnapshot,
        pub policy_version: u32,
    }

    /// `{"kind": "points", "points": 1000, "value": 1000}` or `{"kind": "stored_value", "amount": 5000}`.
    pub fn hold_amount() -> utoipa::openapi::Schema {
        use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Type};
        let fen = || ObjectBuilder::new().schema_type(Type::Integer).minimum(Some(1)).maximum(Some(10_000_000_000_i64));
        OneOfBuilder::new()
            .item(
                ObjectBuilder::new()
                    .property("kind", ObjectBuilder::new().schema_type(Type::String).enum_values(Some(["points"])))
                    .property(
                        "points",
                        ObjectBuilder::new()
                            .schema_type(Type::Integer)
                            .minimum(Some(1))
                            .maximum(Some(1_000_000_000_000_i64)),
                    )
                    .property("value", fen())
                    .required("kind")
                    .required("points")
                    .required("value"),
            )
            .item(
                ObjectBuilder::new()
                    .property(
                        "kind",
                        ObjectBuilder::new().schema_type(Type::String).enum_values(Some(["stored_value"])),
                    )
                    .property("amount", fen())
                    .required("kind")
                    .required("amount"),
            )
            .build()
            .into()
    }

    #[derive(ToSchema)]
    pub struct HoldRequest {
        /// Chosen by the till (UUID), so a retry is not held twice.
        #[schema(pattern = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")]
        pub hold: String,
        #[schema(pattern = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")]
        pub member: String,
        #[schema(pattern = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")]
        pub sale: String,
        #[schema(schema_with = hold_amount)]
        pub amount: serde_json::Value,
    }

    #[derive(ToSchema)]
    pub struct HoldResponse {
        pub hold: String,
        pub expires_at: Timestamp,
        pub split: Option<StoredValue>,
        pub points_available: i64,
        pub stored_value_available: StoredValue,
    }

    #[derive(ToSchema)]
    pub struct TopUpRequest {
        /// Chosen by the till (UUID); a retried top-up is applied once.
        #[schema(pattern = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")]
        pub id: String,
        #[schema(pattern = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")]
        pub member: String,
        /// Fen, ¥0.01 to ¥100,000.
        #[schema(minimum = 1, maximum = 10000000)]
        pub amount: i64,
        /// `cash` or `bank_card`.
        #[schema(pattern = "^(cash|bank_card)$")]
        pub tender: String,
        #[schema(pattern = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")]
        pub shift: String,
        #[schema(minimum = 1)]
        pub cashier: i64,
    }

    #[derive(ToSchema)]
    pub struct TopUpResponse {
        pub split: StoredValue,
        pub balance: StoredValue,
    }
}
