//! Expenses (费用) and the P&L (损益表): subjects, entries typed or imported from CSV (HQ finance
//! and admins), and a branch's or the chain's P&L for a month beside the month before and the same
//! month last year (a branch manager their own branch's only; another's is "not found").

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use shared::expenses::Month;
use shared::ids::BranchId;
use shared::money::Money;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::members::{ImportRefused, ImportReport};
use super::{AppState, CurrentUser, ErrorBody};
use crate::error::{ApiBytes, ApiJson, ApiPath, ApiQuery, AppError};
use crate::expenses::{ExpenseFilter, ExpenseRecord, ExpenseSource, ExpenseSubject, NewExpense};
use crate::pnl::{NO_STOCK_COSTS, PnlReport};

fn month(field: &str, text: &str) -> Result<Month, AppError> {
    Month::parse(text).map_err(|e| AppError::Validation(format!("{field}: {e}")))
}

/// A new subject.
#[derive(Deserialize, ToSchema)]
pub struct SubjectInput {
    /// 1–32 of a–z, 0–9, `_` and `-`; never changes.
    #[schema(pattern = "^[a-z0-9_-]{1,32}$")]
    pub code: String,
    #[schema(
        max_length = 100,
        pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*[^\\s\\u0000-\\u001F\\u007F-\\u009F][^\\u0000-\\u001F\\u007F-\\u009F]*$"
    )]
    pub name: String,
}

/// A subject's new name.
#[derive(Deserialize, ToSchema)]
pub struct SubjectRename {
    #[schema(
        max_length = 100,
        pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*[^\\s\\u0000-\\u001F\\u007F-\\u009F][^\\u0000-\\u001F\\u007F-\\u009F]*$"
    )]
    pub name: String,
}

/// Every expense subject (rent, wages, utilities, promotion costs, other, and those finance added).
#[utoipa::path(get, path = "/api/v1/expense-subjects", tag = "expenses", security(("session" = [])),
    responses((status = 200, body = Vec<ExpenseSubject>), (status = 401, body = ErrorBody)))]
async fn subjects(State(state): State<AppState>) -> Result<Json<Vec<ExpenseSubject>>, AppError> {
    Ok(Json(state.db(|s| s.expense_subjects()).await?))
}

/// Adds a subject (HQ finance, admin); a code already used is refused (409).
#[utoipa::path(post, path = "/api/v1/expense-subjects", tag = "expenses", security(("session" = [])),
    request_body = SubjectInput,
    responses((status = 201, body = ExpenseSubject), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_subject(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiJson(input): ApiJson<SubjectInput>,
) -> Result<(StatusCode, Json<ExpenseSubject>), AppError> {
    let actor = me.actor();
    let subject = ExpenseSubject { code: input.code, name: input.name };
    let created = state.db(move |s| s.create_expense_subject(&actor, subject)).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// Renames a subject (HQ finance, admin); its code and entries stay.
#[utoipa::path(put, path = "/api/v1/expense-subjects/{code}", tag = "expenses", security(("session" = [])),
    params(("code" = String, Path, description = "The subject's code")), request_body = SubjectRename,
    responses((status = 200, body = ExpenseSubject), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn rename_subject(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(code): ApiPath<String>,
    ApiJson(input): ApiJson<SubjectRename>,
) -> Result<Json<ExpenseSubject>, AppError> {
    let actor = me.actor();
    Ok(Json(state.db(move |s| s.rename_expense_subject(&actor, &code, &input.name)).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExpenseParams {
    /// First month (default: eleven months before `to`).
    #[param(pattern = "^20[0-9]{2}-(0[1-9]|1[0-2])$")]
    pub from: Option<String>,
    /// Last month (default: this month, the chain's).
    #[param(pattern = "^20[0-9]{2}-(0[1-9]|1[0-2])$")]
    pub to: Option<String>,
    /// Only this branch.
    pub branch_id: Option<i64>,
    /// Only this subject (its code).
    #[param(pattern = "^[a-z0-9_-]{1,32}$")]
    pub subject: Option<String>,
    /// At most this many, newest first (default 200).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
}

/// Expense entries newest first, corrections included (HQ finance, admin).
#[utoipa::path(get, path = "/api/v1/expenses", tag = "expenses", security(("session" = [])), params(ExpenseParams),
    responses((status = 200, body = Vec<ExpenseRecord>), (status = 404, body = ErrorBody, description = "No such branch"),
              (status = 422, body = ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    ApiQuery(p): ApiQuery<ExpenseParams>,
) -> Result<Json<Vec<ExpenseRecord>>, AppError> {
    let limit = super::schema::page_limit(p.limit, 200, 1000)?;
    let to = match &p.to {
        Some(t) => month("to", t)?,
        None => Month::of(state.chain_day().await?.day),
    };
    let from = match &p.from {
        Some(f) => month("from", f)?,
        None => (0..11).fold(to, |m, _| m.previous()),
    };
    if to < from {
        return Err(AppError::Validation("`to` is before `from`".into()));
    }
    let branch = p.branch_id.map(BranchId);
    if let Some(b) = branch {
        state.db(move |s| s.get_branch(b)).await?;
    }
    let subject = p.subject;
    if let Some(code) = &subject {
        crate::expenses::check_subject_code(code).map_err(AppError::Validation)?;
    }
    let filter = ExpenseFilter { branch, from, to, subject, limit };
    Ok(Json(state.db(move |s| s.list_expenses(&filter)).await?))
}

/// An expense to book.
#[derive(Deserialize, ToSchema)]
pub struct ExpenseInput {
    pub branch_id: i64,
    /// `YYYY-MM`.
    #[schema(pattern = "^20[0-9]{2}-(0[1-9]|1[0-2])$")]
    pub month: String,
    /// A subject's code.
    #[schema(pattern = "^[a-z0-9_-]{1,32}$")]
    pub subject: String,
    /// Fen, not zero; negative only in a correction.
    #[schema(minimum = -10_000_000_000_i64, maximum = 10_000_000_000_i64)]
    pub amount: i64,
    #[serde(default)]
    #[schema(max_length = 200, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    pub note: String,
    /// A correction of an earlier entry (the only kind that may be negative).
    #[serde(default)]
    pub correction: bool,
    /// The entry it corrects (same branch, month and subject), if it names one.
    pub corrects: Option<i64>,
}

/// Books an expense (HQ finance, admin). Entries are never edited: a mistake is put right by a
/// correction, which alone may be negative. A refused one writes nothing (422, the reason).
#[utoipa::path(post, path = "/api/v1/expenses", tag = "expenses", security(("session" = [])),
    request_body = ExpenseInput,
    responses((status = 201, body = ExpenseRecord), (status = 422, body = ErrorBody)))]
async fn create(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiJson(input): ApiJson<ExpenseInput>,
) -> Result<(StatusCode, Json<ExpenseRecord>), AppError> {
    let entry = NewExpense {
        branch: BranchId(input.branch_id),
        month: month("month", &input.month)?,
        subject: input.subject,
        amount: Money(input.amount),
        note: input.note.trim().to_owned(),
        correction: input.correction,
        corrects: input.corrects,
    };
    let actor = me.actor();
    let mut booked = state.db(move |s| s.book_expenses(&actor, &[entry], ExpenseSource::Typed)).await?;
    let record = booked.pop().ok_or_else(|| AppError::Internal("an expense booked but not returned".into()))?;
    Ok((StatusCode::CREATED, Json(record)))
}

/// Books expenses from CSV (the body; columns `branch`, `month`, `subject`, `amount` in yuan,
/// optional `note` and `correction`): every line is checked first; all or nothing, each bad line
/// named with its number (HQ finance, admin).
#[utoipa::path(post, path = "/api/v1/expenses/import", tag = "expenses", security(("session" = [])),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = ImportReport), (status = 415, body = ErrorBody),
               (status = 422, body = ImportRefused, description = "A line or the header is wrong: nothing booked")))]
async fn import(
    State(state): State<AppState>,
    me: CurrentUser,
    headers: axum::http::HeaderMap,
    ApiBytes(body): ApiBytes,
) -> Result<Response, AppError> {
    let csv = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|t| t.starts_with("text/csv"));
    if !csv {
        return Err(AppError::UnsupportedMediaType);
    }
    if body.is_empty() {
        return Err(AppError::BadRequest("the CSV is empty: send a header line and the expenses".into()));
    }
    let actor = me.actor();
    let outcome = state
        .db(move |s| {
            crate::expenses::import_expenses(s, &actor, &body, &indicatif::ProgressBar::hidden()).map_err(|e| match e {
                crate::import::CsvError::Store(e) => e,
                other => crate::store::StoreError::Invalid(other.to_string()),
            })
        })
        .await?;
    Ok(super::members::import_answer(outcome, "booked"))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PnlParams {
    /// The month (default: this month: the branch's business day's, or the chain's).
    #[param(pattern = "^20[0-9]{2}-(0[1-9]|1[0-2])$")]
    pub month: Option<String>,
    /// One branch (a branch manager always sees only their own), or the chain without it.
    pub branch_id: Option<i64>,
    /// `json` (default) or `csv`.
    #[param(pattern = "^(json|csv)$")]
    pub format: Option<String>,
}

/// The P&L for `month`, the month before and the same month last year: net sales, the promotion
/// cost (already out of net sales), cost of goods sold and gross margin (missing: no stock costs
/// yet), points and stored-value bonus cost, expenses by subject, contribution.
pub(crate) async fn pnl_report(
    state: &AppState,
    me: &CurrentUser,
    month: Option<Month>,
    branch: Option<BranchId>,
) -> Result<PnlReport, AppError> {
    let branch = match (me.user.branch_scope(), branch) {
        (Some(own), Some(asked)) if own != asked => return Err(AppError::NotFound(format!("branch {}", asked.0))),
        (Some(own), _) => Some(own),
        (None, asked) => asked,
    };
    let code = match branch {
        Some(b) => state.db(move |s| s.get_branch(b)).await?.code,
        None => "chain".to_owned(),
    };
    let month = match month {
        Some(m) => m,
        None => Month::of(state.today(branch).await?),
    };
    let columns = state.db(move |s| s.pnl_columns(branch, &crate::pnl::months(month))).await?;
    Ok(PnlReport { branch_id: branch.map(|b| b.0), branch: code, month, missing: Some(NO_STOCK_COSTS.into()), columns })
}

/// A P&L (损益表) of a branch or the chain for a month, with the month before and the same month
/// last year; every figure ties out to the finance reports for those months.
#[utoipa::path(get, path = "/api/v1/reports/pnl", tag = "reports", security(("session" = [])), params(PnlParams),
    responses((status = 200, description = "The P&L: JSON, or CSV with `format=csv`",
               content((PnlReport = "application/json"), (String = "text/csv"))),
              (status = 404, body = ErrorBody, description = "No such branch, or not yours"),
              (status = 422, body = ErrorBody)))]
async fn pnl(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiQuery(p): ApiQuery<PnlParams>,
) -> Result<Response, AppError> {
    let month = p.month.as_deref().map(|m| month("month", m)).transpose()?;
    if let Some(other) = p.format.as_deref().filter(|f| !matches!(*f, "json" | "csv")) {
        return Err(AppError::BadRequest(format!("format `{other}` is not json or csv")));
    }
    let report = pnl_report(&state, &me, month, p.branch_id.map(BranchId)).await?;
    match p.format.as_deref() {
        Some("csv") => {
            let name = format!("pnl_{}_{}.csv", report.branch, report.month);
            Ok(super::csv_file(&name, crate::pnl::to_csv(&report)))
        }
        _ => Ok(Json(report).into_response()),
    }
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(subjects, create_subject))
        .routes(routes!(rename_subject))
        .routes(routes!(list, create))
        .routes(routes!(import))
        .routes(routes!(pnl))
}
