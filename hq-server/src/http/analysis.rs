//! Member analysis (会员分析) for marketing: RFM segments and the 80/20 curve over the members who
//! bought in a period, and each segment's members as JSON or as the CSV a coupon campaign's
//! issue takes. Member-level, so for those who may see members (not branch managers).

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use jiff::civil::Date;
use serde::Deserialize;
use shared::analysis::Segment;
use shared::expenses::Month;
use shared::ids::BranchId;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use crate::analysis::{CohortReport, RfmReport, ScoredMember, TierReport};
use crate::error::{ApiQuery, AppError};

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AnalysisParams {
    /// First business day (default: 364 days before `to`).
    #[param(value_type = Option<String>, format = Date)]
    pub from: Option<Date>,
    /// Last business day, from which recency counts (default: the chain's today).
    #[param(value_type = Option<String>, format = Date)]
    pub to: Option<Date>,
    /// Only sales at this branch.
    pub branch_id: Option<i64>,
    /// A segment's members only (`important_value`, … `at_risk`).
    pub segment: Option<String>,
    /// `json` (default) or `csv`.
    #[param(pattern = "^(json|csv)$")]
    pub format: Option<String>,
}

/// The period analysed: the segments and the curve take only this.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeriodParams {
    /// First business day (default: 364 days before `to`).
    #[param(value_type = Option<String>, format = Date)]
    pub from: Option<Date>,
    /// Last business day, from which recency counts (default: the chain's today).
    #[param(value_type = Option<String>, format = Date)]
    pub to: Option<Date>,
    /// Only sales at this branch.
    pub branch_id: Option<i64>,
}

impl From<&AnalysisParams> for PeriodParams {
    fn from(p: &AnalysisParams) -> PeriodParams {
        PeriodParams { from: p.from, to: p.to, branch_id: p.branch_id }
    }
}

/// The period and the members scored in it.
pub(crate) async fn scored(state: &AppState, p: &PeriodParams) -> Result<(Date, Date, Vec<ScoredMember>), AppError> {
    let to = match p.to {
        Some(d) => d,
        None => state.chain_day().await?.day,
    };
    let from = p.from.unwrap_or_else(|| crate::calendar::days_before(to, 364));
    if to < from {
        return Err(AppError::Validation("`to` is before `from`".into()));
    }
    if from.until(to).map(|s| s.get_days()).unwrap_or(0) > 3_700 {
        return Err(AppError::Validation("an analysis covers at most ten years".into()));
    }
    let branch = p.branch_id.map(BranchId);
    if let Some(b) = branch {
        state.db(move |s| s.get_branch(b)).await?;
    }
    let rows = state.db(move |s| s.member_activity(branch, from, to)).await?;
    Ok((from, to, crate::analysis::scored(&rows, to)))
}

/// RFM segments (recency, frequency, monetary in quintiles) of the members who bought in the
/// period, with what each segment spent, and the 80/20 curve.
#[utoipa::path(get, path = "/api/v1/analysis/rfm", tag = "analysis", security(("session" = [])),
    params(PeriodParams),
    responses((status = 200, body = RfmReport), (status = 401, body = super::ErrorBody),
              (status = 404, body = super::ErrorBody, description = "No such branch"),
              (status = 422, body = super::ErrorBody)))]
async fn rfm(State(state): State<AppState>, ApiQuery(p): ApiQuery<PeriodParams>) -> Result<Json<RfmReport>, AppError> {
    let (from, to, members) = scored(&state, &p).await?;
    Ok(Json(crate::analysis::report(&members, from, to)))
}

/// The members of a segment (or all), best spenders first: JSON, or with `format=csv` a file
/// whose `code` column a coupon campaign's issue takes.
#[utoipa::path(get, path = "/api/v1/analysis/rfm/members", tag = "analysis", security(("session" = [])),
    params(AnalysisParams),
    responses((status = 200, description = "The members: JSON, or CSV with `format=csv`",
               content((Vec<ScoredMember> = "application/json"), (String = "text/csv"))),
              (status = 401, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
async fn members(State(state): State<AppState>, ApiQuery(p): ApiQuery<AnalysisParams>) -> Result<Response, AppError> {
    let segment = match p.segment.as_deref() {
        None | Some("") => None,
        Some(s) => Some(
            Segment::parse(s).ok_or_else(|| AppError::Validation(format!("segment `{s}` is not one of the eight")))?,
        ),
    };
    let (from, to, mut all) = scored(&state, &PeriodParams::from(&p)).await?;
    all.sort_by(|a, b| b.spend.cmp(&a.spend).then_with(|| a.code.cmp(&b.code)));
    let chosen: Vec<&ScoredMember> = all.iter().filter(|m| segment.is_none_or(|s| m.segment == s.code())).collect();
    match p.format.as_deref() {
        None | Some("json") => Ok(Json(chosen).into_response()),
        Some("csv") => {
            let name = format!("rfm_{}_{from}_{to}.csv", segment.map_or("all", Segment::code));
            Ok(super::csv_file(&name, crate::analysis::members_csv(&chosen)))
        }
        Some(other) => Err(AppError::BadRequest(format!("format `{other}` is not json or csv"))),
    }
}

/// A run of months for cohorts and tiers over time.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MonthsParams {
    /// First month (default: eleven months before `to`); at most 36 months in all.
    #[param(pattern = "^20[0-9]{2}-(0[1-9]|1[0-2])$")]
    pub from: Option<String>,
    /// Last month (default: this month, the chain's).
    #[param(pattern = "^20[0-9]{2}-(0[1-9]|1[0-2])$")]
    pub to: Option<String>,
    /// Only members whose home branch this is.
    pub branch_id: Option<i64>,
}

/// The longest run of months a cohort or tier report covers.
const MAX_MONTHS: i32 = 36;

/// The months asked for, checked, and the branch (which must exist).
pub(crate) async fn months(state: &AppState, p: &MonthsParams) -> Result<(Month, Month, Option<BranchId>), AppError> {
    let parse = |field: &str, text: &str| Month::parse(text).map_err(|e| AppError::Validation(format!("{field}: {e}")));
    let to = match p.to.as_deref() {
        Some(t) => parse("to", t)?,
        None => Month::of(state.chain_day().await?.day),
    };
    let from = match p.from.as_deref() {
        Some(f) => parse("from", f)?,
        None => (0..11).fold(to, |m, _| m.previous()),
    };
    if to < from {
        return Err(AppError::Validation("`to` is before `from`".into()));
    }
    if from.months_until(to) >= MAX_MONTHS {
        return Err(AppError::Validation(format!("at most {MAX_MONTHS} months at a time")));
    }
    let branch = p.branch_id.map(BranchId);
    if let Some(b) = branch {
        state.db(move |s| s.get_branch(b)).await?;
    }
    Ok((from, to, branch))
}

/// Cohorts by month of enrolment: how many of each month's new members still buy N months later.
pub(crate) async fn cohort_report(state: &AppState, p: &MonthsParams) -> Result<CohortReport, AppError> {
    let (from, to, branch) = months(state, p).await?;
    let zone = crate::calendar::hq_zone();
    let start = |m: Month| {
        m.first_day().to_zoned(zone.clone()).map(|z| z.timestamp()).map_err(|e| AppError::Validation(e.to_string()))
    };
    let (since, until) = (start(from)?, start(to.next())?);
    let first_day = from.first_day();
    let rows = state.db(move |s| s.cohort_rows(branch, since, until, first_day)).await?;
    Ok(crate::analysis::cohort_report(&rows, from, to, branch.map(|b| b.0)))
}

/// Members by tier at the end of each month (the month under way: now).
pub(crate) async fn tier_report(state: &AppState, p: &MonthsParams) -> Result<TierReport, AppError> {
    let (from, to, branch) = months(state, p).await?;
    let now = state.now();
    let policy = state.db(|s| s.current_policy()).await?;
    let tiers: Vec<(String, String)> = policy.tiers.tiers().iter().map(|t| (t.code.clone(), t.name.clone())).collect();
    let ends = crate::analysis::month_ends(from, to, now);
    let until = ends.last().map_or(now, |e| e.1);
    let histories = state.db(move |s| s.tier_histories(branch, until)).await?;
    Ok(crate::analysis::tier_report(&histories, (from, to), now, &tiers, branch.map(|b| b.0)))
}

/// Cohorts by month of enrolment (留存): of the members who enrolled in each month (at a home
/// branch, or all), how many bought in that month and in each month after it.
#[utoipa::path(get, path = "/api/v1/analysis/cohorts", tag = "analysis", security(("session" = [])),
    params(MonthsParams),
    responses((status = 200, body = CohortReport), (status = 401, body = super::ErrorBody),
              (status = 404, body = super::ErrorBody, description = "No such branch"),
              (status = 422, body = super::ErrorBody)))]
async fn cohorts(
    State(state): State<AppState>,
    ApiQuery(p): ApiQuery<MonthsParams>,
) -> Result<Json<CohortReport>, AppError> {
    Ok(Json(cohort_report(&state, &p).await?))
}

/// Members by tier over time: how many held each tier at the end of each month.
#[utoipa::path(get, path = "/api/v1/analysis/tiers", tag = "analysis", security(("session" = [])),
    params(MonthsParams),
    responses((status = 200, body = TierReport), (status = 401, body = super::ErrorBody),
              (status = 404, body = super::ErrorBody, description = "No such branch"),
              (status = 422, body = super::ErrorBody)))]
async fn tiers(
    State(state): State<AppState>,
    ApiQuery(p): ApiQuery<MonthsParams>,
) -> Result<Json<TierReport>, AppError> {
    Ok(Json(tier_report(&state, &p).await?))
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(rfm)).routes(routes!(members)).routes(routes!(cohorts)).routes(routes!(tiers))
}
