//! Member care (客户关怀) campaigns: the coming days' birthdays, a campaign's audience previewed
//! with what is decided for each member, a campaign made and sent, and the record of what was sent
//! to whom. Member-level, so for those who may see members; made by admin and marketing.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use shared::care::CareKind;
use shared::ids::BranchId;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{AppState, CurrentUser};
use crate::error::{ApiJson, ApiPath, ApiQuery, AppError};
use crate::model::{CareCampaign, CareCandidate, CareMessage, NewCare};

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BirthdayParams {
    /// Days ahead from today, 1–31 (default 7).
    #[param(minimum = 1, maximum = 31)]
    pub days: Option<u16>,
    /// Members of this home branch only.
    pub branch_id: Option<i64>,
}

/// A campaign with the record of each member's message.
#[derive(Serialize, ToSchema)]
pub struct CareDetail {
    pub campaign: CareCampaign,
    pub messages: Vec<CareMessage>,
}

/// The members whose birthday falls in the coming days (by home branch), with whether a care
/// message may be sent to them.
#[utoipa::path(get, path = "/api/v1/care/birthdays", tag = "care", security(("session" = [])),
    params(BirthdayParams),
    responses((status = 200, body = Vec<CareCandidate>), (status = 401, body = super::ErrorBody),
              (status = 404, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
async fn birthdays(
    State(state): State<AppState>,
    ApiQuery(p): ApiQuery<BirthdayParams>,
) -> Result<Json<Vec<CareCandidate>>, AppError> {
    let new = NewCare {
        kind: CareKind::Birthday,
        name: "birthdays".into(),
        template: "{name}".into(),
        branch_id: p.branch_id.map(BranchId),
        tier: None,
        days_ahead: Some(p.days.unwrap_or(7)),
        inactive_days: None,
    };
    audience(&state, new).await.map(Json)
}

async fn audience(state: &AppState, new: NewCare) -> Result<Vec<CareCandidate>, AppError> {
    let (today, cap) = (crate::care::today(state), state.config.care_monthly_cap);
    state
        .db(move |s| {
            crate::care::check(&new)?;
            if let Some(b) = new.branch_id {
                s.get_branch(b)?;
            }
            let mut list = s.care_audience(&new, today, cap)?;
            list.sort_by(|a, b| a.birthday_on.cmp(&b.birthday_on).then_with(|| a.code.cmp(&b.code)));
            Ok(list)
        })
        .await
}

/// Whom a campaign would reach today, and for each whether they are sent a message or why not
/// (refused marketing, over the month's cap, no phone, not active). Nothing is written.
#[utoipa::path(post, path = "/api/v1/care/preview", tag = "care", security(("session" = [])),
    request_body = NewCare,
    responses((status = 200, body = Vec<CareCandidate>), (status = 401, body = super::ErrorBody),
              (status = 404, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
async fn preview(
    State(state): State<AppState>,
    ApiJson(new): ApiJson<NewCare>,
) -> Result<Json<Vec<CareCandidate>>, AppError> {
    audience(&state, new).await.map(Json)
}

/// Makes a campaign and sends it: whom it reaches and what is decided for each are recorded
/// at once; the messages then go out in the background. A campaign with nobody to send to is
/// refused and nothing is written.
#[utoipa::path(post, path = "/api/v1/care/campaigns", tag = "care", security(("session" = [])),
    request_body = NewCare,
    responses((status = 201, body = CareCampaign), (status = 401, body = super::ErrorBody),
              (status = 404, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
async fn create(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiJson(new): ApiJson<NewCare>,
) -> Result<(StatusCode, Json<CareCampaign>), AppError> {
    let campaign = create_campaign(&state, &me, new).await?;
    Ok((StatusCode::CREATED, Json(campaign)))
}

/// Makes and starts sending a campaign (the API's and the console's).
pub(crate) async fn create_campaign(
    state: &AppState,
    me: &CurrentUser,
    new: NewCare,
) -> Result<CareCampaign, AppError> {
    let (today, cap, actor) = (crate::care::today(state), state.config.care_monthly_cap, me.actor());
    let campaign = state
        .db(move |s| {
            crate::care::check(&new)?;
            if let Some(b) = new.branch_id {
                s.get_branch(b)?;
            }
            s.create_care_campaign(&actor, &new, today, cap)
        })
        .await?;
    tokio::spawn(crate::care::deliver(state.clone()));
    Ok(campaign)
}

/// The newest campaigns with what became of their messages.
#[utoipa::path(get, path = "/api/v1/care/campaigns", tag = "care", security(("session" = [])),
    responses((status = 200, body = Vec<CareCampaign>), (status = 401, body = super::ErrorBody)))]
async fn list(State(state): State<AppState>) -> Result<Json<Vec<CareCampaign>>, AppError> {
    Ok(Json(state.db(|s| s.list_care_campaigns(200)).await?))
}

/// A campaign and the record of each member's message: decided, sent, failed, or skipped and why.
#[utoipa::path(get, path = "/api/v1/care/campaigns/{id}", tag = "care", security(("session" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = CareDetail), (status = 401, body = super::ErrorBody),
              (status = 404, body = super::ErrorBody)))]
async fn one(State(state): State<AppState>, ApiPath(id): ApiPath<i64>) -> Result<Json<CareDetail>, AppError> {
    let (campaign, messages) = state.db(move |s| s.care_campaign(id)).await?;
    Ok(Json(CareDetail { campaign, messages }))
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(birthdays))
        .routes(routes!(preview))
        .routes(routes!(create, list))
        .routes(routes!(one))
}
