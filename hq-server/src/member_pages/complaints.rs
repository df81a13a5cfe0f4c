//! A member's complaints (投诉与建议): the form for a new one (category, branch, receipt, what
//! happened), the list of theirs with where each stands, and the answer to a resolution: confirm
//! it, or say it is not resolved (back to in progress). No script; every form has its CSRF token.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use maud::html;
use serde::Deserialize;
use shared::ids::BranchId;

use super::i18n::M;
use super::{Member, Visitor, csrf_field, layout};
use crate::complaints::{ComplaintState, Party};
use crate::console::redirect;
use crate::error::AppError;
use crate::http::AppState;
use crate::model::{Complaint, ComplaintCategory, ComplaintChange, ComplaintFilter, ComplaintSource, NewComplaint};

fn state_word(s: ComplaintState) -> M {
    match s {
        ComplaintState::Open => M::ComplaintOpen,
        ComplaintState::InProgress => M::ComplaintInProgress,
        ComplaintState::Resolved => M::ComplaintResolved,
        ComplaintState::Confirmed => M::ComplaintConfirmed,
        ComplaintState::Closed => M::ComplaintClosed,
    }
}

fn hq_minute(t: jiff::Timestamp) -> String {
    crate::calendar::hq_time(t).strftime("%Y-%m-%d %H:%M").to_string()
}

/// The form as typed.
#[derive(Deserialize, Default)]
pub(super) struct ComplaintForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    branch: String,
    #[serde(default)]
    receipt_no: String,
    #[serde(default)]
    text: String,
}

/// What is wrong with a refused form, in the member's words (the store names the field first).
fn refusal(message: &str) -> M {
    match message.split(':').next().unwrap_or_default() {
        "category" => M::ChooseCategory,
        "branch_id" => M::ChooseBranch,
        "receipt_no" => M::ReceiptProblem,
        _ => M::TextProblem,
    }
}

async fn choices(state: &AppState) -> Result<(Vec<ComplaintCategory>, Vec<(BranchId, String)>), AppError> {
    state
        .db(|s| {
            let categories = s.complaint_categories()?.into_iter().filter(|k| k.active).collect();
            let branches = s.list_branches()?.into_iter().map(|b| (b.id, b.name)).collect();
            Ok((categories, branches))
        })
        .await
}

fn form_page(
    v: &Visitor,
    categories: &[ComplaintCategory],
    branches: &[(BranchId, String)],
    f: &ComplaintForm,
    problem: Option<M>,
) -> Html<String> {
    let body = html! {
        @if let Some(p) = problem { p.card.error #complaint-problem { (v.t(p)) } }
        form.card #new-complaint method="post" action="/m/complaints" {
            (csrf_field(v))
            label for="category" { (v.t(M::ComplaintCategory)) }
            select #category name="category" required {
                option value="" { "—" }
                @for k in categories { option value=(k.id) selected[f.category == k.id.to_string()] { (k.name) } }
            }
            label for="branch" { (v.t(M::ComplaintBranch)) }
            select #branch name="branch" required {
                @for (id, name) in branches { option value=(id.0) selected[f.branch == id.0.to_string()] { (name) } }
            }
            label for="receipt_no" { (v.t(M::Receipt)) " (" (v.t(M::Optional)) ")" }
            input #receipt_no type="text" name="receipt_no" maxlength="32" placeholder="B001-01-000123" value=(f.receipt_no);
            label for="text" { (v.t(M::ComplaintText)) }
            textarea #text name="text" rows="5" maxlength="1000" required { (f.text) }
            button #send-complaint type="submit" { (v.t(M::SendComplaint)) }
        }
    };
    layout(v, v.t(M::NewComplaint), None, body)
}

pub(super) async fn new_complaint(State(state): State<AppState>, m: Member) -> Response {
    match choices(&state).await {
        Ok((categories, branches)) => {
            form_page(&m, &categories, &branches, &ComplaintForm::default(), None).into_response()
        }
        Err(e) => super::failed(&m, e),
    }
}

pub(super) async fn create(
    State(state): State<AppState>,
    m: Member,
    axum::Form(f): axum::Form<ComplaintForm>,
) -> Response {
    if !m.csrf_ok(&f.csrf) {
        return m.bad_form();
    }
    let (categories, branches) = match choices(&state).await {
        Ok(c) => c,
        Err(e) => return super::failed(&m, e),
    };
    let Ok(branch) = f.branch.trim().parse::<i64>() else {
        let page = form_page(&m, &categories, &branches, &f, Some(M::ChooseBranch));
        return (StatusCode::UNPROCESSABLE_ENTITY, page).into_response();
    };
    let new = NewComplaint {
        member: Some(m.id),
        branch: BranchId(branch),
        receipt_no: Some(f.receipt_no.trim().to_owned()).filter(|r| !r.is_empty()),
        category: f.category.trim().parse().ok(),
        text: f.text.clone(),
        source: ComplaintSource::Member,
        request_id: None,
    };
    let (actor, at) = (crate::store::sql::member_actor(&m.id.to_string(), &m.phone), state.now());
    match state.db(move |s| s.create_complaint(&actor, new, at)).await {
        Ok(_) => redirect("/m/complaints?sent=1"),
        Err(AppError::Validation(why) | AppError::Conflict(why)) => {
            let page = form_page(&m, &categories, &branches, &f, Some(refusal(&why)));
            (StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
        }
        Err(e) => super::failed(&m, e),
    }
}

#[derive(Deserialize, Default)]
pub(super) struct ListQuery {
    sent: Option<String>,
}

fn list_page(v: &Visitor, list: &[Complaint], note: Option<(M, bool)>) -> Html<String> {
    let body = html! {
        @if let Some((n, ok)) = note { p.card class=(if ok { "ok" } else { "error" }) #complaint-note { (v.t(n)) } }
        p { a href="/m/complaints/new" #new-complaint-link { (v.t(M::NewComplaint)) } }
        @if list.is_empty() { p.card.muted { (v.t(M::NoComplaints)) } }
        ul.plain #complaints {
            @for c in list {
                li.card.complaint id={ "complaint-" (c.id) } {
                    div.row { strong { (c.category_name) } span.state { (v.t(state_word(c.state))) } }
                    div.muted { (hq_minute(c.created_at)) " · " (c.branch_code) @if let Some(r) = &c.receipt_no { " · " (v.t(M::Receipt)) " " (r) } }
                    p { (c.text) }
                    @if let Some(r) = &c.resolution { p { strong { (v.t(M::Resolution)) ": " } (r) } }
                    @if c.state == ComplaintState::Resolved {
                        form method="post" action={ "/m/complaints/" (c.id) "/confirm" } {
                            (csrf_field(v))
                            button.confirm type="submit" { (v.t(M::ConfirmResolved)) }
                        }
                        form method="post" action={ "/m/complaints/" (c.id) "/reopen" } {
                            (csrf_field(v))
                            button.plain type="submit" { (v.t(M::NotResolved)) }
                        }
                    }
                }
            }
        }
    };
    layout(v, v.t(M::Complaints), None, body)
}

async fn mine(state: &AppState, m: &Member) -> Result<Vec<Complaint>, AppError> {
    let filter = ComplaintFilter { member: Some(m.id), limit: 100, ..ComplaintFilter::default() };
    let now = state.now();
    state.db(move |s| s.list_complaints(&filter, now)).await
}

pub(super) async fn complaints(
    State(state): State<AppState>,
    m: Member,
    axum::extract::Query(q): axum::extract::Query<ListQuery>,
) -> Response {
    match mine(&state, &m).await {
        Ok(list) => list_page(&m, &list, q.sent.map(|_| (M::ComplaintSent, true))).into_response(),
        Err(e) => super::failed(&m, e),
    }
}

#[derive(Deserialize)]
pub(super) struct CsrfOnly {
    #[serde(rename = "_csrf", default)]
    csrf: String,
}

async fn answer(state: AppState, m: Member, id: i64, csrf: &str, change: ComplaintChange) -> Response {
    if !m.csrf_ok(csrf) {
        return m.bad_form();
    }
    let now = state.now();
    // Only the member's own complaint: another's is "not found".
    match state.db(move |s| s.complaint(id, now)).await {
        Ok(d) if d.complaint.member_id == Some(m.id) => {}
        Ok(_) => return m.problem(StatusCode::NOT_FOUND, M::Problem),
        Err(e) => return super::failed(&m, e),
    }
    let actor = crate::store::sql::member_actor(&m.id.to_string(), &m.phone);
    match state.db(move |s| s.change_complaint(&actor, Party::Member, id, change, now)).await {
        Ok(_) => redirect("/m/complaints"),
        Err(AppError::Conflict(_) | AppError::Validation(_)) => match mine(&state, &m).await {
            Ok(list) => {
                (StatusCode::CONFLICT, list_page(&m, &list, Some((M::ComplaintChanged, false)))).into_response()
            }
            Err(e) => super::failed(&m, e),
        },
        Err(e) => super::failed(&m, e),
    }
}

pub(super) async fn confirm(
    State(state): State<AppState>,
    m: Member,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<CsrfOnly>,
) -> Response {
    answer(state, m, id, &f.csrf, ComplaintChange::Confirm).await
}

pub(super) async fn reopen(
    State(state): State<AppState>,
    m: Member,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<CsrfOnly>,
) -> Response {
    answer(state, m, id, &f.csrf, ComplaintChange::Reopen { note: String::new() }).await
}
