use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use crate::error::AppError;

#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `ok` when the database answers.
    pub status: String,
    pub version: String,
}

/// For load balancers: 200 when HQ and its database answer.
#[utoipa::path(get, path = "/health", tag = "health",
    responses((status = 200, body = Health), (status = 500, body = super::ErrorBody)))]
async fn health(State(state): State<AppState>) -> Result<Json<Health>, AppError> {
    state.db(|s| s.count_users()).await?;
    Ok(Json(Health { status: "ok".into(), version: env!("CARGO_PKG_VERSION").into() }))
}

pub fn router() -> OpenApiRouter<super::AppState> {
    OpenApiRouter::new().routes(routes!(health))
}
