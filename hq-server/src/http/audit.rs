use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ErrorBody;
use super::{AppState, CurrentUser};
use crate::error::{ApiQuery, AppError};
use crate::model::{AuditRecord, AuditVerdict};

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Entries with an id above this (paging).
    pub after: Option<i64>,
    /// At most this many (default 100, at most 1000).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
}

/// The audit log, oldest first: who changed what, when, from where, before and after
/// (HQ admin and finance).
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", security(("session" = [])), params(AuditQuery),
    responses((status = 200, body = Vec<AuditRecord>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody)))]
async fn list_audit(
    State(state): State<AppState>,
    _me: CurrentUser,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> Result<Json<Vec<AuditRecord>>, AppError> {
    let after = q.after.unwrap_or(0);
    let limit = super::schema::page_limit(q.limit, 100, 1000)?;
    Ok(Json(state.db(move |s| s.list_audit(after, limit)).await?))
}

/// Checks the audit log's hash chain: an edited, reordered or deleted entry is reported.
#[utoipa::path(get, path = "/api/v1/audit/verify", tag = "audit", security(("session" = [])),
    responses((status = 200, body = AuditVerdict), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn verify_audit(State(state): State<AppState>, _me: CurrentUser) -> Result<Json<AuditVerdict>, AppError> {
    Ok(Json(state.db(|s| s.verify_audit()).await?))
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_audit)).routes(routes!(verify_audit))
}
