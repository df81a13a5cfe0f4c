//! Targets (计划) and plan against actual. HQ's finance and admins set each branch's year per
//! metric (split into months evenly, by last year's shape, or typed); everyone who reads figures
//! sees plan against actual, a branch manager only for their own branch.

use axum::Json;
use axum::extract::State;
use jiff::civil::Date;
use serde::Deserialize;
use shared::ids::BranchId;
use shared::plans::Metric;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{AppState, CurrentUser};
use crate::error::{ApiJson, ApiQuery, AppError};
use crate::model::{TargetYear, User};
use crate::plans::{PlanReport, TargetInput};

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TargetsParams {
    /// The year, 2000–2100 (default: this year in the chain's calendar).
    #[param(minimum = 2000, maximum = 2100)]
    pub year: Option<i16>,
    /// Only this branch (a branch manager always sees only their own).
    pub branch_id: Option<i64>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PlanParams {
    /// First business day (default: the first of the month of `to`).
    #[param(value_type = Option<String>, format = Date)]
    pub from: Option<Date>,
    /// Last business day (default: the chain's today).
    #[param(value_type = Option<String>, format = Date)]
    pub to: Option<Date>,
    /// Only this branch (a branch manager always sees only their own).
    pub branch_id: Option<i64>,
    /// `sales` (default), `new_members` or `member_share`.
    #[param(pattern = "^(sales|new_members|member_share)$")]
    pub metric: Option<String>,
    /// A category's sales (with `metric=sales`).
    pub category_id: Option<i64>,
}

/// The branch a user asks for, within what they may see (another branch is "not found").
pub(crate) fn scope(user: &User, asked: Option<i64>) -> Result<Option<BranchId>, AppError> {
    match (user.branch_scope(), asked.map(BranchId)) {
        (Some(own), Some(asked)) if own != asked => Err(AppError::NotFound(format!("branch {asked}"))),
        (Some(own), _) => Ok(Some(own)),
        (None, asked) => Ok(asked),
    }
}

/// The years set for a year, by branch, metric and category.
#[utoipa::path(get, path = "/api/v1/targets", tag = "plans", security(("session" = [])),
    params(TargetsParams),
    responses((status = 200, body = Vec<TargetYear>), (status = 401, body = super::ErrorBody),
              (status = 404, body = super::ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiQuery(p): ApiQuery<TargetsParams>,
) -> Result<Json<Vec<TargetYear>>, AppError> {
    let branch = scope(&me.user, p.branch_id)?;
    let year = p.year.unwrap_or_else(|| crate::calendar::hq_day(state.now()).year());
    if !(2000..=2100).contains(&year) {
        return Err(AppError::Validation(format!("year {year} is not between 2000 and 2100")));
    }
    Ok(Json(state.db(move |s| s.list_targets(year, branch)).await?))
}

/// Sets a branch's year for one metric (and for sales, optionally one category): the twelve
/// months replace what was set before, with an audit entry.
#[utoipa::path(put, path = "/api/v1/targets", tag = "plans", security(("session" = [])),
    request_body = TargetInput,
    responses((status = 200, body = TargetYear), (status = 401, body = super::ErrorBody),
              (status = 404, body = super::ErrorBody, description = "No such branch or category"),
              (status = 422, body = super::ErrorBody)))]
async fn set(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiJson(input): ApiJson<TargetInput>,
) -> Result<Json<TargetYear>, AppError> {
    let actor = me.actor();
    let saved = state
        .db(move |s| {
            let target = crate::plans::target_of(s, &input)?;
            s.set_target(&actor, &target)
        })
        .await?;
    Ok(Json(saved))
}

/// The period and metric a plan query asks for, checked.
pub(crate) async fn period(state: &AppState, p: &PlanParams) -> Result<(Date, Date, Metric, i64), AppError> {
    let to = match p.to {
        Some(d) => d,
        None => state.chain_day().await?.day,
    };
    let from = p.from.unwrap_or_else(|| to.first_of_month());
    if to < from {
        return Err(AppError::Validation("`to` is before `from`".into()));
    }
    if from.until(to).map(|s| s.get_days()).unwrap_or(0) > 3_700 {
        return Err(AppError::Validation("a plan covers at most ten years".into()));
    }
    let metric = match p.metric.as_deref() {
        None => Metric::Sales,
        Some(m) => Metric::parse(m)
            .ok_or_else(|| AppError::Validation(format!("metric `{m}` is not sales, new_members or member_share")))?,
    };
    let category = p.category_id.unwrap_or(0);
    if category < 0 || (category != 0 && metric != Metric::Sales) {
        return Err(AppError::Validation("a category's plan is of its sales only".into()));
    }
    Ok((from, to, metric, category))
}

/// The plan report for `user` (a branch manager: their branch only).
pub(crate) async fn report(state: &AppState, user: &User, p: &PlanParams) -> Result<PlanReport, AppError> {
    let branch = scope(user, p.branch_id)?;
    let (from, to, metric, category) = period(state, p).await?;
    let today = state.chain_day().await?.day;
    state
        .db(move |s| {
            let mut branches = s.list_branches()?;
            if let Some(b) = branch {
                branches.retain(|x| x.id == b);
                if branches.is_empty() {
                    return Err(crate::store::StoreError::NotFound(format!("branch {b}")));
                }
            }
            crate::plans::plan(s, &branches, from, to, today, metric, category)
        })
        .await
}

/// Plan against actual for a period: each branch's target, actual, attainment and rank, and at
/// this pace how the month of `to` ends; the chain's sums.
#[utoipa::path(get, path = "/api/v1/plan", tag = "plans", security(("session" = [])),
    params(PlanParams),
    responses((status = 200, body = PlanReport), (status = 401, body = super::ErrorBody),
              (status = 404, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
async fn plan(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiQuery(p): ApiQuery<PlanParams>,
) -> Result<Json<PlanReport>, AppError> {
    Ok(Json(report(&state, &me.user, &p).await?))
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list, set)).routes(routes!(plan))
}
