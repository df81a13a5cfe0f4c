//! Member coupons (券): campaigns HQ staff create, end and issue to audiences, a member's coupons,
//! and the tills' calls: hold a coupon for a sale, release the hold, list what a member can use.
//!
//! A till's hold is refused with 409 and one of `shared::sync::coupon_refusal`'s codes; a text
//! that is not a coupon code at all is 422 `validation`. A wrong secret is `coupon_unknown`, like
//! a code HQ never issued.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use shared::Money;
use shared::catalog::{CategoryId, ProductId};
use shared::ids::{HoldId, MemberId};
use shared::money::Bp;
use shared::promotions::coupons::{CampaignId, CouponCode, CouponKind};
use shared::promotions::{BrandId, Scope};
use shared::sync::{CouponHoldRequest, CouponHoldResponse, MemberCouponsResponse};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::promotions::ScopeInput;
use super::{AppState, CurrentTill, CurrentUser, ErrorBody, TillToken};
use crate::error::{ApiBytes, ApiJson, ApiPath, ApiQuery, AppError};
use crate::model::{
    CampaignRecord, CouponAudience, CouponValidity, IssueOutcome, IssueRequest, MemberCouponRecord, NewCampaign,
};

/// What a campaign's coupons give. Money in fen; `bp` in basis points (1 … 10000).
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CouponKindInput {
    /// 满减券: `off` from a sale whose goods in `scope` reach `min_spend`.
    AmountOff {
        scope: ScopeInput,
        #[serde(default, deserialize_with = "super::int::de")]
        #[schema(minimum = 0, maximum = 1000000000)]
        min_spend: i64,
        #[serde(deserialize_with = "super::int::de")]
        #[schema(minimum = 1, maximum = 1000000000)]
        off: i64,
    },
    /// 折扣券: `bp` off the goods in `scope`.
    PercentOff {
        scope: ScopeInput,
        #[serde(deserialize_with = "super::int::de")]
        #[schema(minimum = 1, maximum = 10000)]
        bp: i64,
    },
    /// 特价券: one unit of `product` for `price`.
    FixedPriceItem {
        #[serde(deserialize_with = "super::int::de")]
        product: i64,
        #[serde(deserialize_with = "super::int::de")]
        #[schema(minimum = 0, maximum = 1000000000)]
        price: i64,
    },
}

fn scope_of(s: ScopeInput) -> Scope {
    Scope {
        all_products: s.all_products,
        products: s.products.into_iter().map(ProductId).collect(),
        categories: s.categories.into_iter().map(CategoryId).collect(),
        brands: s.brands.into_iter().map(BrandId).collect(),
        excluded: s.excluded.into_iter().map(ProductId).collect(),
    }
}

impl CouponKindInput {
    pub fn into_kind(self) -> CouponKind {
        match self {
            CouponKindInput::AmountOff { scope, min_spend, off } => {
                CouponKind::AmountOff { scope: scope_of(scope), min_spend: Money(min_spend), off: Money(off) }
            }
            CouponKindInput::PercentOff { scope, bp } => CouponKind::PercentOff { scope: scope_of(scope), bp: Bp(bp) },
            CouponKindInput::FixedPriceItem { product, price } => {
                CouponKind::FixedPriceItem { product: ProductId(product), price: Money(price) }
            }
        }
    }
}

/// A campaign to create.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
pub struct CampaignInput {
    #[schema(
        max_length = 100,
        pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*[^\\s\\u0000-\\u001F\\u007F-\\u009F][^\\u0000-\\u001F\\u007F-\\u009F]*$"
    )]
    pub name: String,
    pub kind: CouponKindInput,
    /// Coupons a till may take offline a business day (1 … 100000); `null` for online only.
    #[serde(default, deserialize_with = "super::int::opt")]
    #[schema(minimum = 1, maximum = 100000)]
    pub offline_cap: Option<u32>,
    pub validity: CouponValidity,
}

impl CampaignInput {
    pub fn into_new(self) -> NewCampaign {
        NewCampaign {
            name: self.name,
            kind: self.kind.into_kind(),
            offline_cap: self.offline_cap,
            validity: self.validity,
        }
    }
}

fn campaign_id(id: i64) -> Result<CampaignId, AppError> {
    u64::try_from(id).map(CampaignId).map_err(|_| AppError::NotFound(format!("coupon campaign {id}")))
}

fn member_id(id: &str) -> Result<MemberId, AppError> {
    MemberId::parse(id).map_err(|e| AppError::BadRequest(format!("member id: {e}")))
}

/// Every coupon campaign, newest first, with its counts.
#[utoipa::path(get, path = "/api/v1/coupon-campaigns", tag = "coupons", security(("session" = [])),
    responses((status = 200, body = Vec<CampaignRecord>)))]
async fn list(State(state): State<AppState>, _me: CurrentUser) -> Result<Json<Vec<CampaignRecord>>, AppError> {
    Ok(Json(state.db(|s| s.list_campaigns()).await?))
}

/// Creates a campaign and puts it on every till's feed. A broken rule is 422 naming the field.
#[utoipa::path(post, path = "/api/v1/coupon-campaigns", tag = "coupons", security(("session" = [])),
    request_body = CampaignInput, responses((status = 201, body = CampaignRecord)))]
async fn create(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiJson(input): ApiJson<CampaignInput>,
) -> Result<(StatusCode, Json<CampaignRecord>), AppError> {
    let actor = me.actor();
    let new = input.into_new();
    Ok((StatusCode::CREATED, Json(state.db(move |s| s.create_campaign(&actor, new)).await?)))
}

/// A campaign with its counts: issued, redeemed (and what they took off), expired, outstanding.
#[utoipa::path(get, path = "/api/v1/coupon-campaigns/{id}", tag = "coupons", security(("session" = [])),
    params(("id" = i64, Path, description = "Campaign id")), responses((status = 200, body = CampaignRecord)))]
async fn get_one(
    State(state): State<AppState>,
    _me: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<CampaignRecord>, AppError> {
    let id = campaign_id(id)?;
    Ok(Json(state.db(move |s| s.coupon_campaign(id)).await?))
}

/// Ends a campaign: its coupons are refused from now on, online and offline (409 if already ended).
#[utoipa::path(post, path = "/api/v1/coupon-campaigns/{id}/end", tag = "coupons", security(("session" = [])),
    params(("id" = i64, Path, description = "Campaign id")), responses((status = 200, body = CampaignRecord)))]
async fn end(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<CampaignRecord>, AppError> {
    let id = campaign_id(id)?;
    let actor = me.actor();
    Ok(Json(state.db(move |s| s.end_campaign(&actor, id)).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct IssueQuery {
    /// The batch key of a CSV issue (a JSON body carries its own).
    #[param(min_length = 1, max_length = 64)]
    pub batch: Option<String>,
}

/// The member codes or phone numbers of a CSV: the first column of every row after the header.
pub fn members_of_csv(body: &[u8]) -> Result<Vec<String>, AppError> {
    let mut reader = csv::ReaderBuilder::new().has_headers(true).flexible(true).from_reader(body);
    let mut out = Vec::new();
    for row in reader.records() {
        let row = row.map_err(|e| AppError::BadRequest(format!("the CSV cannot be read: {e}")))?;
        out.push(row.get(0).unwrap_or("").to_owned());
        if out.len() > crate::store::sql::coupons::MAX_LISTED {
            return Err(AppError::Validation(format!(
                "audience.members: at most {} members",
                crate::store::sql::coupons::MAX_LISTED
            )));
        }
    }
    Ok(out)
}

/// Issues the campaign's coupons to an audience, once per batch: a JSON `IssueRequest`, or a
/// `text/csv` body of member codes or phone numbers (first column, after a header line) with the
/// batch in the query. Listed members HQ cannot issue to come back with their row and reason.
#[utoipa::path(post, path = "/api/v1/coupon-campaigns/{id}/issue", tag = "coupons", security(("session" = [])),
    params(("id" = i64, Path, description = "Campaign id"), IssueQuery),
    request_body(content((IssueRequest = "application/json"), (String = "text/csv"))),
    responses((status = 200, body = IssueOutcome)))]
async fn issue(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<IssueQuery>,
    headers: axum::http::HeaderMap,
    ApiBytes(body): ApiBytes,
) -> Result<Json<IssueOutcome>, AppError> {
    let id = campaign_id(id)?;
    let kind = headers.get(axum::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let request = if kind.starts_with("text/csv") {
        if body.is_empty() {
            return Err(AppError::BadRequest("the CSV is empty: send a header line and the members".into()));
        }
        let batch =
            q.batch.ok_or_else(|| AppError::Validation("batch: a CSV issue names its batch in the query".into()))?;
        IssueRequest { batch, audience: CouponAudience::Members { members: members_of_csv(&body)? } }
    } else if kind.starts_with("application/json") {
        serde_json::from_slice(&body)
            .map_err(|e| AppError::BadRequest(format!("the body is not an issue request: {e}")))?
    } else {
        return Err(AppError::UnsupportedMediaType);
    };
    let actor = me.actor();
    Ok(Json(state.db(move |s| s.issue_coupons(&actor, id, &request)).await?))
}

/// A member's coupons (after merges), soonest to expire first, with where each stands and the
/// receipt it was used on.
#[utoipa::path(get, path = "/api/v1/members/{id}/coupons", tag = "coupons", security(("session" = [])),
    params(("id" = String, Path, description = "The member's id (a UUID)")),
    responses((status = 200, body = Vec<MemberCouponRecord>)))]
async fn member_coupons(
    State(state): State<AppState>,
    _me: CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Vec<MemberCouponRecord>>, AppError> {
    let id = member_id(&id)?;
    Ok(Json(state.db(move |s| s.member_coupons(id)).await?))
}

/// Checks a coupon code and holds the coupon for the sale, atomically: of two tills presenting
/// one coupon one gets it. Idempotent by the till's hold id. The hold lives 15 minutes unless the
/// sale's event captures it or the till releases it.
#[utoipa::path(post, path = "/api/v1/till/coupons/holds", tag = "till members", security(("till_token" = [])),
    request_body = doc::CouponHoldRequest,
    responses((status = 200, body = doc::CouponHoldResponse), (status = 403, body = ErrorBody, description = "Another till's hold"),
              (status = 409, body = ErrorBody, description = "coupon_unknown, coupon_expired, coupon_not_yet_valid, \\
              coupon_used, coupon_held, coupon_other_member or coupon_campaign_ended"),
              (status = 422, body = ErrorBody, description = "The text is not a coupon code")))]
async fn hold(
    State(state): State<AppState>,
    token: TillToken,
    ApiJson(req): ApiJson<CouponHoldRequest>,
) -> Result<Json<CouponHoldResponse>, AppError> {
    if req.code.chars().count() > 64 {
        return Err(AppError::Validation("code: not a coupon code".into()));
    }
    let code = CouponCode::parse(&req.code).map_err(|e| AppError::Validation(format!("code: {e}")))?;
    Ok(Json(state.for_till(token, move |s, t| Ok(s.hold_coupon(t, &req, &code, s.now())??)).await?))
}

/// Gives a coupon hold back: the coupon is usable again. A hold HQ does not know is fine too; a
/// hold a sale captured cannot be released (409 `hold_captured`).
#[utoipa::path(post, path = "/api/v1/till/coupons/holds/{hold}/release", tag = "till members",
    security(("till_token" = [])),
    params(("hold" = String, Path, description = "The hold's id (a UUID)")),
    responses((status = 204, description = "Released (or already released, expired or never held)"),
              (status = 403, body = ErrorBody, description = "Another till's hold"),
              (status = 409, body = ErrorBody, description = "Already captured by a sale")))]
async fn release(
    State(state): State<AppState>,
    till: CurrentTill,
    ApiPath(hold): ApiPath<String>,
) -> Result<StatusCode, AppError> {
    let hold = HoldId::parse(&hold).map_err(|e| AppError::BadRequest(format!("hold id: {e}")))?;
    let t = till.till;
    state.db(move |s| s.release_coupon_hold(&t, hold, s.now())).await??;
    Ok(StatusCode::NO_CONTENT)
}

/// The coupons a member can use now (issued, within their validity, not used, not held by another
/// sale), soonest to expire first.
#[utoipa::path(get, path = "/api/v1/till/members/{member_id}/coupons", tag = "till members",
    security(("till_token" = [])),
    params(("member_id" = String, Path, description = "The member's id (a UUID)")),
    responses((status = 200, body = doc::MemberCouponsResponse), (status = 404, body = ErrorBody)))]
async fn usable(
    State(state): State<AppState>,
    till: CurrentTill,
    ApiPath(member): ApiPath<String>,
) -> Result<Json<MemberCouponsResponse>, AppError> {
    let _ = till;
    let id = member_id(&member)?;
    Ok(Json(state.db(move |s| s.usable_coupons(id, s.now())).await?))
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(get_one))
        .routes(routes!(end))
        .routes(routes!(issue))
        .routes(routes!(member_coupons))
        .routes(routes!(hold))
        .routes(routes!(release))
        .routes(routes!(usable))
}

/// Schemas of `shared::sync`'s coupon messages for the OpenAPI document.
#[allow(dead_code)]
pub mod doc {
    use jiff::Timestamp;
    use utoipa::ToSchema;

    #[derive(ToSchema)]
    pub struct CouponHoldRequest {
        /// Chosen by the till (UUID), so a retry is not held twice.
        #[schema(pattern = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")]
        pub hold: String,
        #[schema(pattern = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")]
        pub sale: String,
        /// The code as scanned or typed (`CP<campaign>-<coupon>-<six characters>`).
        #[schema(max_length = 64)]
        pub code: String,
        /// The member on the sale, if any (UUID).
        #[schema(pattern = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")]
        pub member: Option<String>,
    }

    #[derive(ToSchema)]
    pub struct CouponHoldResponse {
        pub hold: String,
        pub code: String,
        /// A `shared::promotions::coupons::Coupon`.
        #[schema(value_type = Object)]
        pub coupon: serde_json::Value,
        pub member: String,
        pub valid_until: Timestamp,
        pub expires_at: Timestamp,
    }

    #[derive(ToSchema)]
    pub struct MemberCoupon {
        pub code: String,
        /// A `shared::promotions::coupons::Coupon`.
        #[schema(value_type = Object)]
        pub coupon: serde_json::Value,
        pub valid_until: Timestamp,
    }

    #[derive(ToSchema)]
    pub struct MemberCouponsResponse {
        pub coupons: Vec<MemberCoupon>,
    }
}
