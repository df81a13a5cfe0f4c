use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use shared::ids::{BranchId, TillId};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ErrorBody;
use super::{AppState, CurrentUser};
use crate::admin;
use crate::error::{ApiJson, ApiPath, ApiQuery, AppError};
use crate::model::{StoredEvent, Till, TillSyncStatus};

#[derive(Deserialize, ToSchema, Default)]
pub struct RegisterTillInput {
    /// Shown at HQ; default `Till NN`.
    #[schema(max_length = 50, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    pub name: Option<String>,
}

/// A till and the one-time code that enrols it. The code is shown once; HQ keeps only its hash.
#[derive(Serialize, ToSchema)]
pub struct TillWithCode {
    pub till: Till,
    /// Type it at the till within the validity period: single use.
    pub enrolment_code: String,
    pub expires_at: Timestamp,
}

impl TillWithCode {
    fn new(till: Till, code: String) -> TillWithCode {
        let expires_at = till.enrolment_code_expires_at.unwrap_or(Timestamp::UNIX_EPOCH);
        TillWithCode { till, enrolment_code: code, expires_at }
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// Only the rejected events (default false).
    pub rejected_only: Option<bool>,
    /// At most this many, newest first (default 100, at most 1000).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
}

/// Loads a till the user may see (another branch's till is "not found").
async fn visible_till(state: &AppState, me: &CurrentUser, id: i64) -> Result<Till, AppError> {
    let till = state.db(move |s| s.get_till(TillId(id))).await?;
    if !me.user.sees_branch(till.branch_id) {
        return Err(AppError::NotFound(format!("till {id}")));
    }
    Ok(till)
}

/// A branch's tills.
#[utoipa::path(get, path = "/api/v1/branches/{id}/tills", tag = "tills", security(("session" = [])),
    params(("id" = i64, Path, description = "Branch id")),
    responses((status = 200, body = Vec<Till>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
async fn list_tills(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<Till>>, AppError> {
    me.see_branch(BranchId(id))?;
    Ok(Json(state.db(move |s| s.list_tills(BranchId(id))).await?))
}

/// Registers a till at a branch (HQ admin, or the branch's manager) and shows its enrolment code.
#[utoipa::path(post, path = "/api/v1/branches/{id}/tills", tag = "tills", security(("session" = [])),
    params(("id" = i64, Path, description = "Branch id")), request_body = RegisterTillInput,
    responses((status = 201, body = TillWithCode), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn register_till(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<RegisterTillInput>,
) -> Result<(StatusCode, Json<TillWithCode>), AppError> {
    me.see_branch(BranchId(id))?;
    let actor = me.actor();
    let ttl = state.config.enrolment_code_ttl;
    let name = input.name.unwrap_or_default();
    let (till, code) = state.db(move |s| admin::add_till(s, &actor, BranchId(id), &name, ttl)).await?;
    Ok((StatusCode::CREATED, Json(TillWithCode::new(till, code))))
}

/// One till.
#[utoipa::path(get, path = "/api/v1/tills/{id}", tag = "tills", security(("session" = [])),
    params(("id" = i64, Path, description = "Till id")),
    responses((status = 200, body = Till), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_till(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Till>, AppError> {
    Ok(Json(visible_till(&state, &me, id).await?))
}

/// Revokes a till: its token is refused from the next request on.
#[utoipa::path(post, path = "/api/v1/tills/{id}/revoke", tag = "tills", security(("session" = [])),
    params(("id" = i64, Path, description = "Till id")),
    responses((status = 200, body = Till), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
async fn revoke_till(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Till>, AppError> {
    visible_till(&state, &me, id).await?;
    let actor = me.actor();
    Ok(Json(state.db(move |s| s.revoke_till(&actor, TillId(id))).await?))
}

/// A new one-time enrolment code for a till that is not revoked (its machine was replaced, or
/// the first code expired). Enrolling with it replaces the till's token.
#[utoipa::path(post, path = "/api/v1/tills/{id}/enrolment-code", tag = "tills", security(("session" = [])),
    params(("id" = i64, Path, description = "Till id")),
    responses((status = 200, body = TillWithCode), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn renew_code(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<TillWithCode>, AppError> {
    visible_till(&state, &me, id).await?;
    let actor = me.actor();
    let ttl = state.config.enrolment_code_ttl;
    let (till, code) = state.db(move |s| admin::renew_code(s, &actor, TillId(id), ttl)).await?;
    Ok(Json(TillWithCode::new(till, code)))
}

/// A till's sync health: next expected sequence number, open sequence gaps, last push and clock skew.
#[utoipa::path(get, path = "/api/v1/tills/{id}/sync", tag = "tills", security(("session" = [])),
    params(("id" = i64, Path, description = "Till id")),
    responses((status = 200, body = TillSyncStatus), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
async fn sync_status(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<TillSyncStatus>, AppError> {
    visible_till(&state, &me, id).await?;
    Ok(Json(state.db(move |s| s.sync_status(TillId(id))).await?))
}

/// The events a till pushed, newest first, with the reason of each rejected one.
#[utoipa::path(get, path = "/api/v1/tills/{id}/events", tag = "tills", security(("session" = [])),
    params(("id" = i64, Path, description = "Till id"), EventsQuery),
    responses((status = 200, body = Vec<StoredEvent>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn list_events(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<EventsQuery>,
) -> Result<Json<Vec<StoredEvent>>, AppError> {
    visible_till(&state, &me, id).await?;
    let limit = super::schema::page_limit(q.limit, 100, 1000)?;
    let rejected = q.rejected_only.unwrap_or(false);
    Ok(Json(state.db(move |s| s.list_events(TillId(id), rejected, limit)).await?))
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_tills, register_till))
        .routes(routes!(get_till))
        .routes(routes!(revoke_till))
        .routes(routes!(renew_code))
        .routes(routes!(sync_status))
        .routes(routes!(list_events))
}
