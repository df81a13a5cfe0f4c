//! The member policy: its versions (tiers, earning, redemption, expiry, offline caps, top-up
//! bonuses), a new version with an effective date, and a preview of what a sale earns per tier.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use shared::money::Money;
use shared::policy::MemberPolicy;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{AppState, CurrentUser};
use crate::error::{ApiJson, AppError};
use crate::model::PolicyVersion;

/// Every version of the member policy, newest first, with who made it (any console role).
#[utoipa::path(get, path = "/api/v1/policies", tag = "policy", security(("session" = [])),
    responses((status = 200, body = Vec<PolicyVersion>)))]
async fn list(State(state): State<AppState>, _me: CurrentUser) -> Result<Json<Vec<PolicyVersion>>, AppError> {
    Ok(Json(state.db(|s| s.list_policies()).await?))
}

/// The version in force now.
#[utoipa::path(get, path = "/api/v1/policies/current", tag = "policy", security(("session" = [])),
    responses((status = 200, description = "A `shared::policy::MemberPolicy`", body = Object)))]
async fn current(State(state): State<AppState>, _me: CurrentUser) -> Result<Json<MemberPolicy>, AppError> {
    Ok(Json(state.db(|s| s.policy_in_force(s.now())).await?))
}

/// Adds a new version, effective from its `effective_from`; its `version` is assigned. Tills
/// receive it by pull; sales record the version they used (HQ admin, marketing).
#[utoipa::path(post, path = "/api/v1/policies", tag = "policy", security(("session" = [])),
    request_body(content = Object, description = "A `shared::policy::MemberPolicy`"),
    responses((status = 200, description = "The new version", body = Object)))]
async fn create(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiJson(policy): ApiJson<MemberPolicy>,
) -> Result<Json<MemberPolicy>, AppError> {
    policy.validate().map_err(|e| AppError::Validation(e.to_string()))?;
    let actor = me.actor();
    Ok(Json(state.db(move |s| s.create_policy(&actor, policy)).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct PreviewInput {
    #[schema(value_type = Object)]
    pub policy: MemberPolicy,
    /// The sale to preview, in fen (default ¥100).
    #[serde(default, deserialize_with = "super::int::opt")]
    #[schema(minimum = 0, maximum = 100000000)]
    pub amount: Option<i64>,
    /// The day of the sale (campaigns); default the chain's business day today.
    #[schema(value_type = Option<String>, format = Date)]
    pub day: Option<jiff::civil::Date>,
}

#[derive(Serialize, ToSchema)]
pub struct TierPreview {
    pub tier: String,
    pub name: String,
    pub points: i64,
    /// Points in the member's birthday month.
    pub birthday_points: i64,
}

/// What a sale earns for each tier under a policy (before saving it). Any console role.
#[utoipa::path(post, path = "/api/v1/policies/preview", tag = "policy", security(("session" = [])),
    request_body = PreviewInput, responses((status = 200, body = Vec<TierPreview>)))]
async fn preview(
    State(state): State<AppState>,
    _me: CurrentUser,
    ApiJson(input): ApiJson<PreviewInput>,
) -> Result<Json<Vec<TierPreview>>, AppError> {
    input.policy.validate().map_err(|e| AppError::Validation(e.to_string()))?;
    let amount = Money(input.amount.unwrap_or(10_000));
    if !(0..=100_000_000).contains(&amount.0) {
        return Err(AppError::Validation("amount must be between 0 and ¥1,000,000".into()));
    }
    let day = match input.day {
        Some(d) => d,
        None => state.chain_day().await?.day,
    };
    Ok(Json(preview_tiers(&input.policy, amount, day)))
}

/// The preview itself (the web console calls it too).
pub fn preview_tiers(policy: &MemberPolicy, amount: Money, day: jiff::civil::Date) -> Vec<TierPreview> {
    policy
        .tiers
        .tiers()
        .iter()
        .map(|t| TierPreview {
            tier: t.code.clone(),
            name: t.name.clone(),
            points: policy.points_for(amount, t, day, None).unwrap_or(0),
            birthday_points: policy.points_for(amount, t, day, Some(day)).unwrap_or(0),
        })
        .collect()
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list, create)).routes(routes!(current)).routes(routes!(preview))
}
