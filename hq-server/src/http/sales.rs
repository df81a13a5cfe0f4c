use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use shared::ids::BranchId;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ErrorBody;
use super::{AppState, CurrentUser};
use crate::error::{ApiQuery, AppError};
use crate::model::SaleSummary;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SalesQuery {
    /// Only this branch (a branch manager always sees only their own).
    pub branch_id: Option<i64>,
    /// Only this business day (`2026-11-27`).
    #[param(value_type = Option<String>, format = Date)]
    pub business_day: Option<jiff::civil::Date>,
    /// At most this many, newest first (default 100, at most 1000).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
}

/// Sales ingested from the tills, newest first (HQ admin, finance, branch manager for their branch).
#[utoipa::path(get, path = "/api/v1/sales", tag = "sales", security(("session" = [])), params(SalesQuery),
    responses((status = 200, body = Vec<SaleSummary>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn list_sales(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiQuery(q): ApiQuery<SalesQuery>,
) -> Result<Json<Vec<SaleSummary>>, AppError> {
    let branch = match (me.user.branch_scope(), q.branch_id.map(BranchId)) {
        (Some(own), Some(asked)) if own != asked => return Err(AppError::NotFound(format!("branch {asked}"))),
        (Some(own), _) => Some(own),
        (None, asked) => asked,
    };
    let limit = super::schema::page_limit(q.limit, 100, 1000)?;
    let day = q.business_day;
    Ok(Json(state.db(move |s| s.list_sales(branch, day, limit)).await?))
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_sales))
}
