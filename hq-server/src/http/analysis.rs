//! Member analysis (会员分析) for marketing: RFM segments and the 80/20 curve over the members who
//! bought in a period, and each segment's members as JSON or as the CSV a coupon campaign's
//! issue takes. Member-level, so for those who may see members (not branch managers).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use jiff::civil::Date;
use serde::Deserialize;
use shared::analysis::Segment;
use shared::expenses::Month;
use shared::ids::BranchId;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{AppState, CurrentUser};
use crate::analysis::{CohortReport, RfmReport, RfmRun, RunStamp, ScoredMember, TierReport};
use crate::error::{ApiJson, ApiQuery, AppError};

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

/// An analysis as a request gets it: read from the newest stored run when that covers what is
/// asked (the chain, over the run's period or no period given), otherwise computed for the
/// request from the period's sales.
pub(crate) struct Analysis {
    pub from: Date,
    pub to: Date,
    pub report: RfmReport,
    /// The stored run's id, or the members scored for the request.
    members: Result<i64, Vec<ScoredMember>>,
}

impl Analysis {
    /// The members of a segment (or all), best spenders first, at most `limit`.
    pub(crate) async fn members(
        self,
        state: &AppState,
        segment: Option<Segment>,
        limit: Option<u64>,
    ) -> Result<Vec<ScoredMember>, AppError> {
        match self.members {
            Ok(run) => state.db(move |s| s.rfm_members(run, segment.map(Segment::code), limit)).await,
            Err(mut all) => {
                crate::analysis_runs::ranked(&mut all);
                Ok(all
                    .into_iter()
                    .filter(|m| segment.is_none_or(|s| m.segment == s.code()))
                    .take(limit.map_or(usize::MAX, |l| usize::try_from(l).unwrap_or(usize::MAX)))
                    .collect())
            }
        }
    }
}

/// The analysis `p` asks for (see [`Analysis`]).
pub(crate) async fn analysis(state: &AppState, p: &PeriodParams) -> Result<Analysis, AppError> {
    if p.branch_id.is_none() {
        let latest = state.db(|s| s.latest_rfm_report()).await?;
        if let Some((run, json)) = latest {
            let asked = (p.from.unwrap_or(run.from), p.to.unwrap_or(run.to));
            if asked == (run.from, run.to) {
                let mut report: RfmReport = serde_json::from_str(&json)
                    .map_err(|e| AppError::Internal(format!("RFM run {}'s stored report: {e}", run.id)))?;
                report.run = run.finished_at.map(|finished_at| RunStamp { id: run.id, finished_at });
                return Ok(Analysis { from: run.from, to: run.to, report, members: Ok(run.id) });
            }
        }
    }
    let (from, to) = period(state, p).await?;
    let branch = p.branch_id.map(BranchId);
    if let Some(b) = branch {
        state.db(move |s| s.get_branch(b)).await?;
    }
    let rows = state.db(move |s| s.member_activity(branch, from, to)).await?;
    let members = crate::analysis::scored(&rows, to);
    let report = crate::analysis::report(&members, from, to);
    Ok(Analysis { from, to, report, members: Err(members) })
}

/// The period asked for, checked: by default the year of business days to the chain's today.
async fn period(state: &AppState, p: &PeriodParams) -> Result<(Date, Date), AppError> {
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
    Ok((from, to))
}

/// RFM segments (recency, frequency, monetary in quintiles) of the members who bought in the
/// period, with what each segment spent, and the 80/20 curve. For the chain over the newest
/// stored run's period (the default once a run is stored) it is that run's report, with `run`
/// saying which and when it was computed; otherwise it is computed for the request.
#[utoipa::path(get, path = "/api/v1/analysis/rfm", tag = "analysis", security(("session" = [])),
    params(PeriodParams),
    responses((status = 200, body = RfmReport), (status = 401, body = super::ErrorBody),
              (status = 404, body = super::ErrorBody, description = "No such branch"),
              (status = 422, body = super::ErrorBody)))]
async fn rfm(State(state): State<AppState>, ApiQuery(p): ApiQuery<PeriodParams>) -> Result<Json<RfmReport>, AppError> {
    Ok(Json(analysis(&state, &p).await?.report))
}

/// The members of a segment (or all), best spenders first: JSON, or with `format=csv` a file
/// whose `code` column a coupon campaign's issue takes. Read from the same source as the report.
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
    if let Some(other) = p.format.as_deref().filter(|f| !matches!(*f, "json" | "csv")) {
        return Err(AppError::BadRequest(format!("format `{other}` is not json or csv")));
    }
    let found = analysis(&state, &PeriodParams::from(&p)).await?;
    let (from, to) = (found.from, found.to);
    let chosen = found.members(&state, segment, None).await?;
    match p.format.as_deref() {
        Some("csv") => {
            let name = format!("rfm_{}_{from}_{to}.csv", segment.map_or("all", Segment::code));
            Ok(super::csv_file(&name, crate::analysis::members_csv(&chosen.iter().collect::<Vec<_>>())))
        }
        _ => Ok(Json(chosen).into_response()),
    }
}

/// What starts a stored run: its period (default: the year of business days to yesterday, the
/// chain's last whole day).
#[derive(Deserialize, ToSchema, Default)]
#[serde(try_from = "serde_json::Map<String, serde_json::Value>")]
pub struct RunBody {
    #[schema(value_type = Option<String>, format = Date)]
    pub from: Option<Date>,
    #[schema(value_type = Option<String>, format = Date)]
    pub to: Option<Date>,
}

/// The body's fields as JSON names them (an object only: serde would also read a list).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RunFields {
    from: Option<Date>,
    to: Option<Date>,
}

impl TryFrom<serde_json::Map<String, serde_json::Value>> for RunBody {
    type Error = serde_json::Error;

    fn try_from(fields: serde_json::Map<String, serde_json::Value>) -> Result<RunBody, serde_json::Error> {
        let f: RunFields = serde_json::from_value(serde_json::Value::Object(fields))?;
        Ok(RunBody { from: f.from, to: f.to })
    }
}

/// Starts a stored run for `by` on the blocking pool: its id, or a conflict when one is running.
pub(crate) async fn start_run(state: &AppState, body: RunBody, by: String) -> Result<i64, AppError> {
    let to = match body.to {
        Some(d) => d,
        None => crate::calendar::days_before(state.chain_day().await?.day, 1),
    };
    let p = PeriodParams { from: body.from, to: Some(to), branch_id: None };
    let (from, to) = period(state, &p).await?;
    let started = state.db(move |s| crate::analysis_runs::start(s, from, to, &by)).await?;
    let Some(id) = started else {
        return Err(AppError::Conflict("an RFM run is already running; its progress is in the list of runs".into()));
    };
    let store = state.store.clone();
    tokio::task::spawn_blocking(move || {
        if let Err(e) = crate::analysis_runs::compute(&*store, id, (from, to), &mut |_, _, _| {}) {
            tracing::warn!(run = id, "RFM run failed: {e}");
        }
    });
    Ok(id)
}

/// Starts a stored RFM run of the chain (what the nightly job does), which the report and the
/// segment lists then read. It runs in the background: its progress is in the list of runs.
#[utoipa::path(post, path = "/api/v1/analysis/rfm/runs", tag = "analysis", security(("session" = [])),
    request_body = RunBody,
    responses((status = 202, body = RfmRun, description = "Started"), (status = 401, body = super::ErrorBody),
              (status = 409, body = super::ErrorBody, description = "A run is already running"),
              (status = 422, body = super::ErrorBody)))]
async fn start_rfm_run(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiJson(body): ApiJson<RunBody>,
) -> Result<(StatusCode, Json<RfmRun>), AppError> {
    let id = start_run(&state, body, me.user.username.clone()).await?;
    let runs = state.db(|s| s.rfm_runs(20)).await?;
    let run = runs.into_iter().find(|r| r.id == id).ok_or_else(|| AppError::Internal(format!("run {id} not found")))?;
    Ok((StatusCode::ACCEPTED, Json(run)))
}

/// The latest stored RFM runs, newest first, with the progress of one running.
#[utoipa::path(get, path = "/api/v1/analysis/rfm/runs", tag = "analysis", security(("session" = [])),
    responses((status = 200, body = Vec<RfmRun>), (status = 401, body = super::ErrorBody)))]
async fn rfm_runs(State(state): State<AppState>) -> Result<Json<Vec<RfmRun>>, AppError> {
    Ok(Json(state.db(|s| s.rfm_runs(20)).await?))
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
    OpenApiRouter::new()
        .routes(routes!(rfm))
        .routes(routes!(members))
        .routes(routes!(start_rfm_run, rfm_runs))
        .routes(routes!(cohorts))
        .routes(routes!(tiers))
}
