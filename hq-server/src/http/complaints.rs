//! Complaints and feedback (投诉): staff record them (console users here, tills at
//! `/api/v1/till/complaints`), list and read them with every change, move them through their
//! states (`crate::complaints` is the rule), edit the categories (admin), and read the report.
//! A branch manager sees and handles only their branch's complaints: another branch's answer 404.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use jiff::civil::Date;
use serde::Deserialize;
use shared::ids::{BranchId, MemberId};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{AppState, CurrentTill, CurrentUser, ErrorBody};
use crate::complaints::{ComplaintState, Party};
use crate::error::{ApiJson, ApiPath, ApiQuery, AppError};
use crate::model::{
    Actor, Complaint, ComplaintCategory, ComplaintChange, ComplaintDetail, ComplaintFilter, ComplaintReport,
    ComplaintSource, NewComplaint,
};
use crate::store::{Store, StoreError, StoreResult};

/// A complaint to record (HQ admin, marketing, a branch manager at their branch).
#[derive(Deserialize, ToSchema)]
pub struct NewComplaintBody {
    /// The member's number or mobile number, if the complaint is a member's.
    #[schema(max_length = 20, pattern = "^[0-9]{1,20}$")]
    pub member: Option<String>,
    pub branch_id: i64,
    /// The receipt it is about (`B001-01-000123`).
    #[schema(pattern = "^[A-Za-z0-9]{1,16}-[0-9]{2}-[0-9]{6}$")]
    pub receipt_no: Option<String>,
    /// Required: the category sets the due time.
    pub category_id: Option<i64>,
    #[schema(min_length = 1, max_length = 1000)]
    pub text: String,
}

/// Which complaints, newest first.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ComplaintQuery {
    /// `open`, `in_progress`, `resolved`, `confirmed` or `closed`.
    #[param(pattern = "^(open|in_progress|resolved|confirmed|closed)$")]
    pub state: Option<String>,
    /// Only this branch (a branch manager always sees only their own).
    pub branch_id: Option<i64>,
    pub category_id: Option<i64>,
    /// Only those past their due time and not resolved.
    pub overdue: Option<bool>,
    /// Only ids below this (the next page).
    pub before: Option<i64>,
    /// At most this many (default 100, at most 500).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
}

/// Whom to give a complaint to: a console user who may handle the branch's complaints; absent,
/// the one asking.
#[derive(Deserialize, ToSchema, Default)]
pub struct AssignBody {
    pub assignee_id: Option<i64>,
}

/// What was done about the complaint.
#[derive(Deserialize, ToSchema, Default)]
pub struct ResolveBody {
    #[serde(default)]
    #[schema(min_length = 1, max_length = 1000)]
    pub resolution: String,
}

/// Why it comes back.
#[derive(Deserialize, ToSchema, Default)]
pub struct ReopenBody {
    #[schema(max_length = 1000)]
    pub note: Option<String>,
}

/// A category: its name and how many hours a complaint of it has to be resolved.
#[derive(Deserialize, ToSchema)]
pub struct CategoryBody {
    #[schema(min_length = 1, max_length = 40)]
    pub name: String,
    #[schema(minimum = 1, maximum = 720)]
    pub due_hours: i64,
    /// Whether it takes new complaints (default true).
    pub active: Option<bool>,
}

/// The period of the report: complaints filed on these days (HQ's calendar).
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportParams {
    /// First day (default: 29 days before `to`).
    #[param(value_type = Option<String>, format = Date)]
    pub from: Option<Date>,
    /// Last day (default: today in HQ's zone).
    #[param(value_type = Option<String>, format = Date)]
    pub to: Option<Date>,
    /// Only this branch (a branch manager always sees only their own).
    pub branch_id: Option<i64>,
}

/// A complaint from a till (the manager's menu): the till's branch is the complaint's. The wire
/// type is `shared::complaints::TillComplaint` (what the till sends); this is its schema for the
/// OpenAPI document.
#[allow(dead_code)]
#[derive(ToSchema)]
pub struct TillComplaintBody {
    /// The till's id for this request (a UUID): sent again, the complaint is recorded once.
    #[schema(pattern = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")]
    pub request_id: String,
    /// The member attached to the sale, if any.
    #[schema(pattern = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")]
    pub member_id: Option<String>,
    #[schema(pattern = "^[A-Za-z0-9]{1,16}-[0-9]{2}-[0-9]{6}$")]
    pub receipt_no: Option<String>,
    pub category_id: Option<i64>,
    #[schema(min_length = 1, max_length = 1000)]
    pub text: String,
}

/// A category as a till keeps it (`shared::complaints::Category`, the same fields as
/// [`ComplaintCategory`]).
fn till_category(c: ComplaintCategory) -> shared::complaints::Category {
    shared::complaints::Category { id: c.id, name: c.name, due_hours: c.due_hours, active: c.active }
}

/// A member number or mobile number as the document's pattern says (digits only).
fn member_text(m: Option<&str>) -> Result<(), AppError> {
    match m {
        Some(m) if m.is_empty() || m.len() > 20 || !m.bytes().all(|b| b.is_ascii_digit()) => {
            Err(AppError::Validation("member: a member number or mobile number, digits only".into()))
        }
        _ => Ok(()),
    }
}

/// A member by number or mobile number, as staff type it.
pub(crate) fn member_by_text(s: &dyn Store, text: &str) -> StoreResult<Option<MemberId>> {
    use shared::member::{MemberIdentifier, Phone};
    let text = text.trim();
    let mut ways = Vec::new();
    if let Ok(p) = Phone::parse(text) {
        ways.push(MemberIdentifier::Phone(p));
    }
    if let Ok(c) = shared::catalog::MemberCode::parse(text) {
        ways.push(MemberIdentifier::Code(c));
    }
    for by in ways {
        if let Ok(Some(m)) = s.find_member(&by)? {
            return Ok(Some(m.id));
        }
    }
    Ok(None)
}

/// Records a complaint for staff: the member typed (if any) must be HQ's.
pub(crate) fn record(
    s: &dyn Store,
    actor: &Actor,
    member: Option<&str>,
    complaint: NewComplaint,
    at: jiff::Timestamp,
) -> StoreResult<Complaint> {
    let member = match member.map(str::trim).filter(|m| !m.is_empty()) {
        None => None,
        Some(text) => Some(
            member_by_text(s, text)?.ok_or_else(|| StoreError::Invalid(format!("member: HQ has no member {text}")))?,
        ),
    };
    s.create_complaint(actor, NewComplaint { member, ..complaint }, at)
}

/// A complaint the user may see (another branch's is "not found").
pub(crate) async fn visible(state: &AppState, me: &CurrentUser, id: i64) -> Result<ComplaintDetail, AppError> {
    let now = state.now();
    let d = state.db(move |s| s.complaint(id, now)).await?;
    if !me.user.sees_branch(d.complaint.branch_id) {
        return Err(AppError::NotFound(format!("complaint {id}")));
    }
    Ok(d)
}

/// Makes a staff change to a complaint the user may see.
pub(crate) async fn change(
    state: &AppState,
    me: &CurrentUser,
    id: i64,
    change: ComplaintChange,
) -> Result<Complaint, AppError> {
    visible(state, me, id).await?;
    let actor = me.actor();
    let at = state.now();
    state.db(move |s| s.change_complaint(&actor, Party::Staff, id, change, at)).await
}

/// Records a complaint (HQ admin, marketing; a branch manager at their branch). Refused with the
/// field named, nothing written: no category, an unknown member, a text too long, a receipt
/// number that is not one.
#[utoipa::path(post, path = "/api/v1/complaints", tag = "complaints", security(("session" = [])),
    request_body = NewComplaintBody,
    responses((status = 201, body = Complaint), (status = 404, body = ErrorBody, description = "Another branch"),
              (status = 422, body = ErrorBody)))]
async fn create(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiJson(b): ApiJson<NewComplaintBody>,
) -> Result<(StatusCode, Json<Complaint>), AppError> {
    let branch = BranchId(b.branch_id);
    me.see_branch(branch)?;
    member_text(b.member.as_deref())?;
    let actor = me.actor();
    let at = state.now();
    let new = NewComplaint {
        member: None,
        branch,
        receipt_no: b.receipt_no,
        category: b.category_id,
        text: b.text,
        source: ComplaintSource::Staff,
        request_id: None,
    };
    let made = state.db(move |s| record(s, &actor, b.member.as_deref(), new, at)).await?;
    Ok((StatusCode::CREATED, Json(made)))
}

/// Complaints newest first, by state, branch, category, overdue.
#[utoipa::path(get, path = "/api/v1/complaints", tag = "complaints", security(("session" = [])),
    params(ComplaintQuery), responses((status = 200, body = Vec<Complaint>)))]
async fn list(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiQuery(q): ApiQuery<ComplaintQuery>,
) -> Result<Json<Vec<Complaint>>, AppError> {
    let branch = match (me.user.branch_scope(), q.branch_id.map(BranchId)) {
        (Some(own), Some(asked)) if own != asked => return Err(AppError::NotFound(format!("branch {asked}"))),
        (Some(own), _) => Some(own),
        (None, asked) => asked,
    };
    let state_filter = match q.state.as_deref() {
        None => None,
        Some(s) => {
            Some(ComplaintState::parse(s).ok_or_else(|| AppError::BadRequest(format!("state `{s}` is not one")))?)
        }
    };
    let filter = ComplaintFilter {
        state: state_filter,
        branch,
        category: q.category_id,
        member: None,
        overdue: q.overdue.unwrap_or(false),
        before: q.before,
        limit: super::schema::page_limit(q.limit, 100, 500)?,
    };
    let now = state.now();
    Ok(Json(state.db(move |s| s.list_complaints(&filter, now)).await?))
}

/// A complaint with every change made to it: who, when, from which state to which.
#[utoipa::path(get, path = "/api/v1/complaints/{id}", tag = "complaints", security(("session" = [])),
    params(("id" = i64, Path, description = "Complaint id")), responses((status = 200, body = ComplaintDetail)))]
async fn get_one(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<ComplaintDetail>, AppError> {
    Ok(Json(visible(&state, &me, id).await?))
}

/// Gives an open or in-progress complaint to a console user who may handle its branch (absent:
/// to the one asking).
#[utoipa::path(post, path = "/api/v1/complaints/{id}/assign", tag = "complaints", security(("session" = [])),
    params(("id" = i64, Path, description = "Complaint id")), request_body = AssignBody,
    responses((status = 200, body = Complaint), (status = 409, body = ErrorBody, description = "Not from its state")))]
async fn assign(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<AssignBody>,
) -> Result<Json<Complaint>, AppError> {
    let user = b.assignee_id.unwrap_or(me.user.id);
    Ok(Json(change(&state, &me, id, ComplaintChange::Assign { user }).await?))
}

/// Starts work on an open complaint.
#[utoipa::path(post, path = "/api/v1/complaints/{id}/start", tag = "complaints", security(("session" = [])),
    params(("id" = i64, Path, description = "Complaint id")),
    responses((status = 200, body = Complaint), (status = 409, body = ErrorBody, description = "Not from its state")))]
async fn start(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Complaint>, AppError> {
    Ok(Json(change(&state, &me, id, ComplaintChange::Start).await?))
}

/// Resolves an open or in-progress complaint with what was done.
#[utoipa::path(post, path = "/api/v1/complaints/{id}/resolve", tag = "complaints", security(("session" = [])),
    params(("id" = i64, Path, description = "Complaint id")), request_body = ResolveBody,
    responses((status = 200, body = Complaint), (status = 409, body = ErrorBody, description = "Not from its state")))]
async fn resolve(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<ResolveBody>,
) -> Result<Json<Complaint>, AppError> {
    Ok(Json(change(&state, &me, id, ComplaintChange::Resolve { resolution: b.resolution }).await?))
}

/// Closes a resolved complaint.
#[utoipa::path(post, path = "/api/v1/complaints/{id}/close", tag = "complaints", security(("session" = [])),
    params(("id" = i64, Path, description = "Complaint id")),
    responses((status = 200, body = Complaint), (status = 409, body = ErrorBody, description = "Not from its state")))]
async fn close(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Complaint>, AppError> {
    Ok(Json(change(&state, &me, id, ComplaintChange::Close).await?))
}

/// Takes a resolved or closed complaint back to in progress.
#[utoipa::path(post, path = "/api/v1/complaints/{id}/reopen", tag = "complaints", security(("session" = [])),
    params(("id" = i64, Path, description = "Complaint id")), request_body = ReopenBody,
    responses((status = 200, body = Complaint), (status = 409, body = ErrorBody, description = "Not from its state")))]
async fn reopen(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<ReopenBody>,
) -> Result<Json<Complaint>, AppError> {
    Ok(Json(change(&state, &me, id, ComplaintChange::Reopen { note: b.note.unwrap_or_default() }).await?))
}

/// The categories, with their due times.
#[utoipa::path(get, path = "/api/v1/complaint-categories", tag = "complaints", security(("session" = [])),
    responses((status = 200, body = Vec<ComplaintCategory>)))]
async fn categories(State(state): State<AppState>, _me: CurrentUser) -> Result<Json<Vec<ComplaintCategory>>, AppError> {
    Ok(Json(state.db(|s| s.complaint_categories()).await?))
}

/// Adds a category (HQ admin); a name another has is a conflict.
#[utoipa::path(post, path = "/api/v1/complaint-categories", tag = "complaints", security(("session" = [])),
    request_body = CategoryBody, responses((status = 201, body = ComplaintCategory)))]
async fn add_category(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiJson(b): ApiJson<CategoryBody>,
) -> Result<(StatusCode, Json<ComplaintCategory>), AppError> {
    let hours = crate::complaints::due_hours(b.due_hours).map_err(AppError::Validation)?;
    let actor = me.actor();
    let mut made = state.db(move |s| s.create_complaint_category(&actor, &b.name, hours)).await?;
    if b.active == Some(false) {
        let actor = me.actor();
        let off = ComplaintCategory { active: false, ..made };
        made = state.db(move |s| s.update_complaint_category(&actor, off)).await?;
    }
    Ok((StatusCode::CREATED, Json(made)))
}

/// Renames, re-times or (de)activates a category (HQ admin); complaints filed keep their due time.
#[utoipa::path(put, path = "/api/v1/complaint-categories/{id}", tag = "complaints", security(("session" = [])),
    params(("id" = i64, Path, description = "Category id")), request_body = CategoryBody,
    responses((status = 200, body = ComplaintCategory)))]
async fn update_category(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<CategoryBody>,
) -> Result<Json<ComplaintCategory>, AppError> {
    let due_hours = crate::complaints::due_hours(b.due_hours).map_err(AppError::Validation)?;
    let actor = me.actor();
    let category = ComplaintCategory { id, name: b.name, due_hours, active: b.active.unwrap_or(true) };
    Ok(Json(state.db(move |s| s.update_complaint_category(&actor, category)).await?))
}

/// The period, in HQ's calendar, and the branch the user may see.
pub(crate) fn period(
    me: &CurrentUser,
    p: &ReportParams,
    now: jiff::Timestamp,
) -> Result<(Date, Date, Option<BranchId>), AppError> {
    let to = p.to.unwrap_or_else(|| crate::calendar::hq_day(now));
    let from = p.from.unwrap_or_else(|| crate::calendar::days_before(to, 29));
    if to < from {
        return Err(AppError::Validation("`to` is before `from`".into()));
    }
    if from.until(to).map(|s| s.get_days()).unwrap_or(0) > 366 {
        return Err(AppError::Validation("a report covers at most a year".into()));
    }
    let branch = match (me.user.branch_scope(), p.branch_id.map(BranchId)) {
        (Some(own), Some(asked)) if own != asked => return Err(AppError::NotFound(format!("branch {asked}"))),
        (Some(own), _) => Some(own),
        (None, asked) => asked,
    };
    Ok((from, to, branch))
}

/// The report for a period's days, in HQ's calendar.
pub(crate) async fn build_report(
    state: &AppState,
    from: Date,
    to: Date,
    branch: Option<BranchId>,
) -> Result<ComplaintReport, AppError> {
    let zone = crate::calendar::hq_zone();
    let start = |d: Date| d.to_zoned(zone.clone()).map(|z| z.timestamp());
    let bad = |e: jiff::Error| AppError::Validation(e.to_string());
    let since = start(from).map_err(bad)?;
    let until = start(to.tomorrow().map_err(bad)?).map_err(bad)?;
    if let Some(b) = branch {
        state.db(move |s| s.get_branch(b)).await?;
    }
    let facts = state.db(move |s| s.complaint_facts(since, until, branch)).await?;
    Ok(crate::complaints::report(&facts, from, to, state.now()))
}

/// Complaints filed in a period counted by category and by branch (filed, still unresolved,
/// overdue now), with the median and mean time from filing to resolution, in minutes.
#[utoipa::path(get, path = "/api/v1/complaints/report", tag = "complaints", security(("session" = [])),
    params(ReportParams),
    responses((status = 200, body = ComplaintReport), (status = 404, body = ErrorBody, description = "No such branch")))]
async fn report(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiQuery(p): ApiQuery<ReportParams>,
) -> Result<Json<ComplaintReport>, AppError> {
    let (from, to, branch) = period(&me, &p, state.now())?;
    Ok(Json(build_report(&state, from, to, branch).await?))
}

/// The categories a till offers (the active ones).
#[utoipa::path(get, path = "/api/v1/till/complaint-categories", tag = "complaints", security(("till_token" = [])),
    responses((status = 200, body = Vec<ComplaintCategory>)))]
async fn till_categories(
    State(state): State<AppState>,
    _till: CurrentTill,
) -> Result<Json<Vec<shared::complaints::Category>>, AppError> {
    let all = state.db(|s| s.complaint_categories()).await?;
    Ok(Json(all.into_iter().filter(|c| c.active).map(till_category).collect()))
}

/// Records a complaint made at a till (the manager's menu), for the till's branch; idempotent by
/// the request id (sent again, it answers the complaint recorded the first time). A body that is
/// not one (a request or member id that is not a UUID) is 400; a refusal of what it says (no or
/// an inactive category, an unknown member, a text too long) is 422, nothing written.
#[utoipa::path(post, path = "/api/v1/till/complaints", tag = "complaints", security(("till_token" = [])),
    request_body = TillComplaintBody,
    responses((status = 201, body = Complaint), (status = 400, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn till_create(
    State(state): State<AppState>,
    till: CurrentTill,
    ApiJson(b): ApiJson<shared::complaints::TillComplaint>,
) -> Result<(StatusCode, Json<Complaint>), AppError> {
    let actor = Actor::till(&till.till, &till.from);
    let at = state.now();
    let new = NewComplaint {
        member: b.member_id,
        branch: till.till.branch_id,
        receipt_no: b.receipt_no,
        category: b.category_id,
        text: b.text,
        source: ComplaintSource::Till,
        request_id: Some(b.request_id.hyphenated().to_string()),
    };
    let made = state.db(move |s| s.create_complaint(&actor, new, at)).await?;
    Ok((StatusCode::CREATED, Json(made)))
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(report))
        .routes(routes!(get_one))
        .routes(routes!(assign))
        .routes(routes!(start))
        .routes(routes!(resolve))
        .routes(routes!(close))
        .routes(routes!(reopen))
        .routes(routes!(categories, add_category))
        .routes(routes!(update_category))
        .routes(routes!(till_categories))
        .routes(routes!(till_create))
}
