//! Stock reports: slow movers (on the shelf, not selling), shrinkage (gone without a sale, in
//! money), days of cover (how long what is on hand lasts). A branch manager sees their branch's
//! only: another branch's answers 404.

use axum::Json;
use axum::extract::State;
use jiff::civil::Date;
use serde::Deserialize;
use shared::ids::BranchId;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::stock::scoped;
use super::{AppState, CurrentUser, ErrorBody};
use crate::error::{ApiQuery, AppError};
use crate::model::{CoverRow, ShrinkageRow, SlowMover};

/// The longest window a report looks back over, in days (ten years).
const MAX_DAYS: u32 = 3650;

fn window(days: Option<u32>, default: u32) -> Result<u32, AppError> {
    match days.unwrap_or(default) {
        d @ 1..=MAX_DAYS => Ok(d),
        d => Err(AppError::Validation(format!("days: {d} is not between 1 and {MAX_DAYS}"))),
    }
}

/// Which slow movers.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SlowQuery {
    /// Only this branch (a branch manager always sees only their own).
    pub branch_id: Option<i64>,
    /// Not sold for at least this many days (default 90).
    #[param(minimum = 1, maximum = 3650)]
    pub days: Option<u32>,
    /// At most this many (default 100, at most 1,000).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
}

/// Products on hand that have not sold for `days` days (or never sold there), the most money
/// tied up first.
#[utoipa::path(get, path = "/api/v1/stock-reports/slow-movers", tag = "stock", security(("session" = [])),
    params(SlowQuery), responses((status = 200, body = Vec<SlowMover>), (status = 422, body = ErrorBody)))]
async fn slow_movers(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiQuery(q): ApiQuery<SlowQuery>,
) -> Result<Json<Vec<SlowMover>>, AppError> {
    let branch = scoped(&me, q.branch_id)?;
    let days = window(q.days, 90)?;
    let limit = super::schema::page_limit(q.limit, 100, 1000)?;
    Ok(Json(state.db(move |s| s.slow_movers(branch, days, limit)).await?))
}

/// Which shrinkage.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ShrinkageQuery {
    /// Only this branch (a branch manager always sees only their own).
    pub branch_id: Option<i64>,
    /// First business day (default: the first of `to`'s month).
    #[param(value_type = Option<String>, format = Date)]
    pub from: Option<Date>,
    /// Last business day (default: the chain's today).
    #[param(value_type = Option<String>, format = Date)]
    pub to: Option<Date>,
}

/// What went without a sale over a period, per branch and cause (damage, expiry, theft, other
/// write-offs; count adjustments), in money at the cost the goods moved at.
#[utoipa::path(get, path = "/api/v1/stock-reports/shrinkage", tag = "stock", security(("session" = [])),
    params(ShrinkageQuery), responses((status = 200, body = Vec<ShrinkageRow>), (status = 422, body = ErrorBody)))]
async fn shrinkage(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiQuery(q): ApiQuery<ShrinkageQuery>,
) -> Result<Json<Vec<ShrinkageRow>>, AppError> {
    let branch = scoped(&me, q.branch_id)?;
    let to = q.to.unwrap_or_else(|| crate::calendar::hq_day(state.now()));
    let from = q.from.unwrap_or_else(|| to.first_of_month());
    if from > to {
        return Err(AppError::Validation("from: after to".into()));
    }
    Ok(Json(state.db(move |s| s.shrinkage(branch, from, to)).await?))
}

/// Which branch's cover.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CoverQuery {
    /// The branch (a branch manager's own when left out; required of others).
    pub branch_id: Option<i64>,
    /// The window the rate of sale is taken over, in days (default 28).
    #[param(minimum = 1, maximum = 3650)]
    pub days: Option<u32>,
    /// At most this many (default 100, at most 1,000).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
}

/// How many days each product's stock at a branch lasts at the rate it sold over the window:
/// what runs out first first, then what did not sell in the window.
#[utoipa::path(get, path = "/api/v1/stock-reports/cover", tag = "stock", security(("session" = [])),
    params(CoverQuery), responses((status = 200, body = Vec<CoverRow>), (status = 422, body = ErrorBody)))]
async fn cover(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiQuery(q): ApiQuery<CoverQuery>,
) -> Result<Json<Vec<CoverRow>>, AppError> {
    let branch: BranchId = scoped(&me, q.branch_id)?
        .ok_or_else(|| AppError::Validation("branch_id: required (days of cover are a branch's)".into()))?;
    let days = window(q.days, 28)?;
    let limit = super::schema::page_limit(q.limit, 100, 1000)?;
    Ok(Json(state.db(move |s| s.stock_cover(branch, days, limit)).await?))
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(slow_movers)).routes(routes!(shrinkage)).routes(routes!(cover))
}
