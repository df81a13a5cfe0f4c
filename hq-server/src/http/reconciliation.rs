//! Reconciliation (对账), HQ finance's: the providers' daily statements imported, and each
//! provider's day compared with HQ's records per branch (`crate::reconciliation`).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{AppState, CurrentUser, ErrorBody};
use crate::error::{ApiBytes, ApiQuery, AppError};
use crate::reconciliation::{DayReport, PROVIDERS, provider_of};
use crate::store::statements::{RejectedStatement, StatementInfo};

fn day(field: &str, text: &str) -> Result<Date, AppError> {
    text.trim().parse().map_err(|_| AppError::Validation(format!("{field}: `{text}` is not a day like 2026-11-30")))
}

/// A day of the providers' that can have a statement: not after today (Beijing time).
async fn past_day(state: &AppState, field: &str, text: &str) -> Result<Date, AppError> {
    let d = day(field, text)?;
    let today = crate::calendar::hq_day(state.store.now());
    if d > today {
        return Err(AppError::Validation(format!("{field}: {d} is after today ({today})")));
    }
    Ok(d)
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportParams {
    /// `wechat` or `alipay`.
    #[param(pattern = "^(wechat|alipay)$")]
    pub provider: String,
    /// The day the statement covers (Beijing time), `YYYY-MM-DD`.
    #[param(pattern = "^20[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    pub day: String,
    /// The file's name, to show (at most 200 characters).
    #[param(max_length = 200)]
    pub file_name: Option<String>,
}

/// Imports a provider's statement of a day (HQ finance, admin): WeChat Pay's `downloadbill` text
/// (UTF-8) or Alipay's 业务明细 CSV (GBK), as the provider gives it. The whole file is read
/// first: a broken row, or a row of another day, refuses it all (422, naming the row), and the
/// refusal is kept. A good one replaces the provider's statement of that day.
#[utoipa::path(post, path = "/api/v1/payments/statements", tag = "payments", security(("session" = [])),
    params(ImportParams), request_body(content = String, content_type = "text/csv"),
    responses((status = 201, body = StatementInfo), (status = 400, body = ErrorBody), (status = 415, body = ErrorBody),
              (status = 422, body = ErrorBody, description = "The file or a parameter is wrong: nothing imported")))]
async fn import(
    State(state): State<AppState>,
    me: CurrentUser,
    headers: axum::http::HeaderMap,
    ApiQuery(p): ApiQuery<ImportParams>,
    ApiBytes(body): ApiBytes,
) -> Result<(StatusCode, Json<StatementInfo>), AppError> {
    let kind = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !(kind.starts_with("text/csv") || kind.starts_with("text/plain") || kind.starts_with("application/octet-stream"))
    {
        return Err(AppError::UnsupportedMediaType);
    }
    let provider = provider_of(&p.provider).map_err(AppError::Validation)?;
    let day = past_day(&state, "day", &p.day).await?;
    if body.is_empty() {
        return Err(AppError::BadRequest("the statement is empty: send the provider's file".into()));
    }
    let actor = me.actor();
    let name = p.file_name.unwrap_or_else(|| format!("{}-{day}.csv", p.provider.trim()));
    let imported =
        state.db(move |s| crate::reconciliation::import_statement(s, &actor, provider, day, &name, &body)).await?;
    match imported {
        Ok(info) => Ok((StatusCode::CREATED, Json(info))),
        Err(why) => Err(AppError::Validation(format!("{why}; nothing was imported"))),
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatementParams {
    /// First day (default: 30 days before `to`).
    #[param(pattern = "^20[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    pub from: Option<String>,
    /// Last day (default: today, Beijing time).
    #[param(pattern = "^20[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    pub to: Option<String>,
}

/// The statements imported, and the files refused.
#[derive(Serialize, ToSchema)]
pub struct Statements {
    pub statements: Vec<StatementInfo>,
    /// The latest 50 refused, newest first.
    pub rejected: Vec<RejectedStatement>,
}

/// The statements imported for days `from..=to`, and the latest files refused with their reasons
/// (HQ finance, admin).
#[utoipa::path(get, path = "/api/v1/payments/statements", tag = "payments", security(("session" = [])),
    params(StatementParams), responses((status = 200, body = Statements), (status = 422, body = ErrorBody)))]
async fn statements(
    State(state): State<AppState>,
    ApiQuery(p): ApiQuery<StatementParams>,
) -> Result<Json<Statements>, AppError> {
    let to = match &p.to {
        Some(t) => day("to", t)?,
        None => crate::calendar::hq_day(state.store.now()),
    };
    let from = match &p.from {
        Some(f) => day("from", f)?,
        None => crate::calendar::days_before(to, 30),
    };
    if to < from {
        return Err(AppError::Validation("`to` is before `from`".into()));
    }
    let (statements, rejected) = state.db(move |s| Ok((s.statements(from, to)?, s.statement_rejections(50)?))).await?;
    Ok(Json(Statements { statements, rejected }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReconcileParams {
    /// The day (Beijing time; default: yesterday, whose statements the providers give this morning).
    #[param(pattern = "^20[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    pub day: Option<String>,
    /// Only this provider (`wechat` or `alipay`); both without it.
    #[param(pattern = "^(wechat|alipay)$")]
    pub provider: Option<String>,
}

/// A day's reconciliation (HQ finance, admin), per provider: its statement (if imported), what
/// the provider kept and gave back against what HQ's sales claim and its gateway refunded, each
/// branch's share, and every difference: missing at HQ, missing at the provider, or an amount
/// that differs, with the order, the receipt and the statement's rows.
#[utoipa::path(get, path = "/api/v1/payments/reconciliation", tag = "payments", security(("session" = [])),
    params(ReconcileParams), responses((status = 200, body = Vec<DayReport>), (status = 422, body = ErrorBody)))]
async fn reconciliation(
    State(state): State<AppState>,
    ApiQuery(p): ApiQuery<ReconcileParams>,
) -> Result<Json<Vec<DayReport>>, AppError> {
    let day = match &p.day {
        Some(d) => day("day", d)?,
        None => crate::calendar::days_before(crate::calendar::hq_day(state.store.now()), 1),
    };
    let providers = match &p.provider {
        Some(code) => vec![provider_of(code).map_err(AppError::Validation)?],
        None => PROVIDERS.to_vec(),
    };
    let reports = state
        .db(move |s| {
            providers.into_iter().map(|provider| crate::reconciliation::day_report(s, provider, day)).collect()
        })
        .await?;
    Ok(Json(reports))
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(statements, import)).routes(routes!(reconciliation))
}
