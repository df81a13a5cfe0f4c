//! Complaints (投诉): the list with its filters and the form for a new one; a complaint's page with
//! every change made to it and the buttons for the changes its state allows; the categories
//! (admin) and the report. A branch manager sees and handles only their branch's complaints.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use maud::{Markup, html};
use serde::Deserialize;
use shared::ids::BranchId;
use shared::lang::Lang;

use super::{branch_names, hq_time};
use crate::complaints::{self, Action, ComplaintState, Party};
use crate::console::FormQuery;
use crate::console::{C, ConsoleError, Menu, Page, PageResult, layout, redirect};
use crate::error::AppError;
use crate::http::AppState;
use crate::model::{
    Complaint, ComplaintCategory, ComplaintChange, ComplaintCounts, ComplaintDetail, ComplaintFilter, ComplaintSource,
    NewComplaint, Role,
};

pub(super) fn state_word(s: ComplaintState) -> C {
    match s {
        ComplaintState::Open => C::StateOpen,
        ComplaintState::InProgress => C::StateInProgress,
        ComplaintState::Resolved => C::StateResolved,
        ComplaintState::Confirmed => C::StateConfirmed,
        ComplaintState::Closed => C::StateClosed,
    }
}

fn action_word(a: &str) -> C {
    match Action::parse(a) {
        Some(Action::Assign) => C::ActionAssign,
        Some(Action::Start) => C::ActionStart,
        Some(Action::Resolve) => C::ActionResolve,
        Some(Action::Confirm) => C::ActionConfirm,
        Some(Action::Close) => C::ActionClose,
        Some(Action::Reopen) => C::ActionReopen,
        None => C::ActionCreate,
    }
}

fn source_word(s: ComplaintSource) -> C {
    match s {
        ComplaintSource::Staff => C::SourceStaff,
        ComplaintSource::Till => C::SourceTill,
        ComplaintSource::Member => C::SourceMember,
    }
}

/// Minutes as "3 小时 20 分" / "3 h 20 min".
fn duration(lang: Lang, minutes: Option<i64>) -> String {
    match minutes {
        None => "—".into(),
        Some(m) if lang == Lang::ZhCn => format!("{} 小时 {} 分", m / 60, m % 60),
        Some(m) => format!("{} h {} min", m / 60, m % 60),
    }
}

fn time(t: jiff::Timestamp) -> String {
    hq_time(t, "%Y-%m-%d %H:%M")
}

fn may_handle(page: &Page) -> bool {
    crate::authz::can::HANDLE_COMPLAINTS.contains(&page.me.user.role)
}

#[derive(Deserialize, Default)]
pub(crate) struct ListQuery {
    #[serde(default)]
    state: String,
    #[serde(default)]
    branch: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    overdue: Option<String>,
}

/// The new-complaint form as typed (kept when it comes back refused).
#[derive(Deserialize, Default, Clone)]
pub(crate) struct ComplaintForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    member: String,
    #[serde(default)]
    branch: String,
    #[serde(default)]
    receipt_no: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    text: String,
}

fn complaints_table(page: &Page, id: &str, list: &[Complaint]) -> Markup {
    html! {
        table id=(id) {
            thead { tr {
                th { "#" } th { (page.t(C::FiledAt)) } th { (page.t(C::Branch)) } th { (page.t(C::ComplaintCategory)) }
                th { (page.t(C::Member)) } th { (page.t(C::Status)) } th { (page.t(C::Assignee)) } th { (page.t(C::DueAt)) }
            } }
            tbody {
                @for c in list {
                    tr.complaint {
                        td { a href={ "/console/complaints/" (c.id) } { (c.id) } }
                        td { (time(c.created_at)) }
                        td { (c.branch_code) }
                        td { (c.category_name) }
                        td { @if let Some(n) = &c.member_name { (n) " " (c.member_code.as_deref().unwrap_or("")) } }
                        td.state { (page.t(state_word(c.state))) }
                        td { (c.assignee_name.as_deref().unwrap_or(page.t(C::Unassigned))) }
                        td { (time(c.due_at)) @if c.overdue { " " strong.error.overdue { (page.t(C::Overdue)) } } }
                    }
                }
            }
        }
    }
}

/// The list, its filters and the new-complaint form.
pub(crate) async fn complaints(
    State(state): State<AppState>,
    page: Page,
    FormQuery(q): FormQuery<ListQuery>,
) -> PageResult {
    list_page(&state, &page, &q, &ComplaintForm::default(), None).await
}

async fn list_page(
    state: &AppState,
    page: &Page,
    q: &ListQuery,
    form: &ComplaintForm,
    error: Option<String>,
) -> PageResult {
    let names = branch_names(state, page).await?;
    let categories = state.db(|s| s.complaint_categories()).await?;
    let branch = match (page.me.user.branch_scope(), q.branch.parse::<i64>().ok().map(BranchId)) {
        (Some(own), Some(asked)) if own != asked => return Err(ConsoleError::NotFound(page.lang)),
        (Some(own), _) => Some(own),
        (None, asked) => asked,
    };
    let filter = ComplaintFilter {
        state: ComplaintState::parse(&q.state),
        branch,
        category: q.category.parse().ok(),
        member: None,
        overdue: q.overdue.is_some(),
        before: None,
        limit: 200,
    };
    let now = state.now();
    let list = state.db(move |s| s.list_complaints(&filter, now)).await?;
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let body = html! {
        p { a href="/console/complaints/report" { (page.t(C::ComplaintReport)) }
            @if page.me.user.role == Role::Admin { " · " a href="/console/complaints/categories" { (page.t(C::ComplaintCategories)) } } }
        form.inline #complaint-filter method="get" action="/console/complaints" {
            label { (page.t(C::Status))
                select name="state" {
                    option value="" { (page.t(C::AllStates)) }
                    @for s in ComplaintState::ALL { option value=(s.code()) selected[q.state == s.code()] { (page.t(state_word(s))) } }
                }
            }
            @if page.me.user.role != Role::BranchManager {
                label { (page.t(C::Branch))
                    select name="branch" {
                        option value="" { (page.t(C::AllBranches)) }
                        @for (id, name) in &names { option value=(id.0) selected[Some(*id) == branch] { (name) } }
                    }
                }
            }
            label { (page.t(C::ComplaintCategory))
                select name="category" {
                    option value="" { (page.t(C::AllCategories)) }
                    @for k in &categories { option value=(k.id) selected[q.category == k.id.to_string()] { (k.name) } }
                }
            }
            label { (page.t(C::OnlyOverdue)) input type="checkbox" name="overdue" value="1" checked[q.overdue.is_some()]; }
            button type="submit" { (page.t(C::Show)) }
        }
        p.muted { (page.t(C::ComplaintTimesIn)) }
        (complaints_table(page, "complaints", &list))
        @if may_handle(page) {
            h2 { (page.t(C::NewComplaint)) }
            @if let Some(e) = &error { p.error #complaint-error { (e) } }
            form.box #new-complaint method="post" action="/console/complaints" {
                (page.csrf_field())
                div.inline {
                    label { (page.t(C::MemberCodeOrPhone)) input name="member" value=(form.member) maxlength="20"; }
                    label { (page.t(C::Branch))
                        select name="branch" {
                            @for (id, name) in &names { option value=(id.0) selected[form.branch == id.0.to_string()] { (name) } }
                        }
                    }
                    label { (page.t(C::ReceiptOptional)) input name="receipt_no" value=(form.receipt_no) maxlength="32"; }
                    label { (page.t(C::ComplaintCategory))
                        select name="category" {
                            option value="" { "—" }
                            @for k in categories.iter().filter(|k| k.active) {
                                option value=(k.id) selected[form.category == k.id.to_string()] { (k.name) " (" (k.due_hours) "h)" }
                            }
                        }
                    }
                }
                label { (page.t(C::ComplaintText)) textarea name="text" rows="3" cols="80" maxlength="1000" { (form.text) } }
                button #record-complaint type="submit" { (page.t(C::RecordComplaint)) }
            }
        }
    };
    let mut r = layout(page, Menu::Complaints, page.t(C::Complaints), body);
    *r.status_mut() = status;
    Ok(r)
}

/// Records a complaint from the form; refused, the form comes back as typed with the reason.
pub(crate) async fn create(
    State(state): State<AppState>,
    page: Page,
    axum::Form(f): axum::Form<ComplaintForm>,
) -> PageResult {
    page.check_csrf(&f.csrf)?;
    page.require(crate::authz::can::HANDLE_COMPLAINTS)?;
    let branch = match f.branch.trim().parse::<i64>() {
        Ok(b) => BranchId(b),
        Err(_) => {
            return list_page(&state, &page, &ListQuery::default(), &f, Some("branch: choose a branch".into())).await;
        }
    };
    if !page.me.user.sees_branch(branch) {
        return Err(ConsoleError::NotFound(page.lang));
    }
    let new = NewComplaint {
        member: None,
        branch,
        receipt_no: Some(f.receipt_no.trim().to_owned()).filter(|r| !r.is_empty()),
        category: f.category.trim().parse().ok(),
        text: f.text.clone(),
        source: ComplaintSource::Staff,
        request_id: None,
    };
    let (actor, at, member) = (page.me.actor(), state.now(), f.member.clone());
    match state.db(move |s| crate::http::complaints::record(s, &actor, Some(&member), new, at)).await {
        Ok(c) => Ok(redirect(&format!("/console/complaints/{}", c.id))),
        Err(AppError::Validation(why) | AppError::Conflict(why)) => {
            list_page(&state, &page, &ListQuery::default(), &f, Some(why)).await
        }
        Err(e) => Err(ConsoleError::App(e, page.lang)),
    }
}

/// A change asked for by a button on a complaint's page.
#[derive(Deserialize, Default)]
pub(crate) struct ChangeForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    resolution: String,
    #[serde(default)]
    assignee: String,
    #[serde(default)]
    note: String,
}

/// A complaint with its history and the changes its state allows.
pub(crate) async fn complaint(State(state): State<AppState>, page: Page, Path(id): Path<i64>) -> PageResult {
    let d = crate::http::complaints::visible(&state, &page.me, id).await?;
    detail_page(&state, &page, &d, None, "").await
}

async fn detail_page(
    state: &AppState,
    page: &Page,
    d: &ComplaintDetail,
    error: Option<String>,
    resolution: &str,
) -> PageResult {
    let c = &d.complaint;
    let branch = c.branch_id;
    let users: Vec<(i64, String)> = if may_handle(page) {
        state
            .db(|s| s.list_users())
            .await?
            .into_iter()
            .filter(|u| u.active && crate::authz::can::HANDLE_COMPLAINTS.contains(&u.role))
            .filter(|u| u.role != Role::BranchManager || u.branch_id == Some(branch))
            .map(|u| (u.id, u.display_name))
            .collect()
    } else {
        Vec::new()
    };
    let actions = if may_handle(page) { complaints::actions(c.state, Party::Staff) } else { Vec::new() };
    let body = html! {
        p { a href="/console/complaints" { "← " (page.t(C::Complaints)) } }
        @if let Some(e) = &error { p.error #complaint-error { (e) } }
        div.box #complaint {
            p { strong { (page.t(C::Status)) ": " } span #complaint-state { (page.t(state_word(c.state))) }
                @if c.overdue { " " strong.error #complaint-overdue { (page.t(C::Overdue)) } } }
            p { (page.t(C::Branch)) ": " (c.branch_code) " · " (page.t(C::ComplaintCategory)) ": " (c.category_name)
                " · " (page.t(C::Source)) ": " (page.t(source_word(c.source))) }
            @if let Some(m) = &c.member_id {
                p { (page.t(C::Member)) ": " a href={ "/console/members/" (m) } { (c.member_name.as_deref().unwrap_or("")) " " (c.member_code.as_deref().unwrap_or("")) } }
            }
            @if let Some(r) = &c.receipt_no { p { (page.t(C::Receipt)) ": " a href={ "/console/sales/" (c.branch_id.0) "/" (r) } { (r) } } }
            p { (page.t(C::FiledAt)) ": " (time(c.created_at)) " · " (page.t(C::DueAt)) ": " (time(c.due_at))
                " · " (page.t(C::Assignee)) ": " span #complaint-assignee { (c.assignee_name.as_deref().unwrap_or(page.t(C::Unassigned))) } }
            p #complaint-text { (c.text) }
            @if let Some(r) = &c.resolution { p { strong { (page.t(C::Resolution)) ": " } span #complaint-resolution { (r) } } }
        }
        @for a in &actions {
            form.inline.action method="post" action={ "/console/complaints/" (c.id) } {
                (page.csrf_field())
                input type="hidden" name="action" value=(a.code());
                @match a {
                    Action::Assign => {
                        label { (page.t(C::Assignee))
                            select name="assignee" { @for (uid, name) in &users { option value=(uid) selected[Some(*uid) == c.assignee_id] { (name) } } }
                        }
                    }
                    Action::Resolve => {
                        label { (page.t(C::Resolution)) textarea name="resolution" rows="2" cols="60" maxlength="1000" { (resolution) } }
                    }
                    Action::Reopen => { label { (page.t(C::ReopenNote)) input name="note" maxlength="1000"; } }
                    _ => {}
                }
                button id={ "action-" (a.code()) } type="submit" class=[(*a == Action::Close).then_some("danger")] { (page.t(action_word(a.code()))) }
            }
        }
        h2 { (page.t(C::ComplaintHistory)) }
        p.muted { (page.t(C::ComplaintTimesIn)) }
        table #complaint-history {
            thead { tr { th { (page.t(C::Time)) } th { (page.t(C::Who)) } th { (page.t(C::ChangeMade)) } th { (page.t(C::Status)) } th { (page.t(C::ComplaintNote)) } } }
            tbody {
                @for e in &d.history {
                    tr {
                        td { (time(e.at)) } td { (e.actor) } td { (page.t(action_word(&e.action))) }
                        td { @if let Some(f) = e.from_state { (page.t(state_word(f))) " → " } (page.t(state_word(e.to_state))) }
                        td { (e.note) }
                    }
                }
            }
        }
    };
    let mut r = layout(page, Menu::Complaints, &format!("{} #{}", page.t(C::Complaints), c.id), body);
    if error.is_some() {
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(r)
}

/// Makes the change a button asked for; refused, the page says why and keeps what was typed.
pub(crate) async fn change(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<ChangeForm>,
) -> PageResult {
    page.check_csrf(&f.csrf)?;
    let d = crate::http::complaints::visible(&state, &page.me, id).await?;
    let change = match Action::parse(&f.action) {
        Some(Action::Assign) => match f.assignee.trim().parse() {
            Ok(user) => ComplaintChange::Assign { user },
            Err(_) => ComplaintChange::Assign { user: page.me.user.id },
        },
        Some(Action::Start) => ComplaintChange::Start,
        Some(Action::Resolve) => ComplaintChange::Resolve { resolution: f.resolution.clone() },
        Some(Action::Close) => ComplaintChange::Close,
        Some(Action::Reopen) => ComplaintChange::Reopen { note: f.note.clone() },
        Some(Action::Confirm) | None => {
            return detail_page(&state, &page, &d, Some(format!("action: `{}` is not a staff change", f.action)), "")
                .await;
        }
    };
    match crate::http::complaints::change(&state, &page.me, id, change).await {
        Ok(_) => Ok(redirect(&format!("/console/complaints/{id}"))),
        Err(AppError::Validation(why) | AppError::Conflict(why)) => {
            detail_page(&state, &page, &d, Some(why), &f.resolution).await
        }
        Err(e) => Err(ConsoleError::App(e, page.lang)),
    }
}

#[derive(Deserialize, Default)]
pub(crate) struct CategoryForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    due_hours: String,
    #[serde(default)]
    active: Option<String>,
}

/// The categories and their due times (admin).
pub(crate) async fn categories(State(state): State<AppState>, page: Page) -> PageResult {
    categories_page(&state, &page, None).await
}

async fn categories_page(state: &AppState, page: &Page, error: Option<String>) -> PageResult {
    let all = state.db(|s| s.complaint_categories()).await?;
    let body = html! {
        p { a href="/console/complaints" { "← " (page.t(C::Complaints)) } }
        @if let Some(e) = &error { p.error #category-error { (e) } }
        table #complaint-categories {
            thead { tr { th { (page.t(C::Name)) } th { (page.t(C::DueHours)) } th { (page.t(C::CategoryActive)) } th {} } }
            tbody {
                @for k in &all {
                    tr { td colspan="4" {
                        form.inline method="post" action={ "/console/complaints/categories/" (k.id) } {
                            (page.csrf_field())
                            input name="name" value=(k.name) maxlength="40" required;
                            input name="due_hours" type="number" min="1" max="720" value=(k.due_hours) required;
                            label { (page.t(C::CategoryActive)) input type="checkbox" name="active" value="1" checked[k.active]; }
                            button type="submit" { (page.t(C::Save)) }
                        }
                    } }
                }
            }
        }
        h2 { (page.t(C::AddCategory)) }
        form.inline #new-category method="post" action="/console/complaints/categories" {
            (page.csrf_field())
            label { (page.t(C::Name)) input name="name" maxlength="40" required; }
            label { (page.t(C::DueHours)) input name="due_hours" type="number" min="1" max="720" required; }
            input type="hidden" name="active" value="1";
            button #add-category type="submit" { (page.t(C::AddCategory)) }
        }
    };
    let mut r = layout(page, Menu::Complaints, page.t(C::ComplaintCategories), body);
    if error.is_some() {
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(r)
}

fn category_of(f: &CategoryForm, id: i64) -> Result<ComplaintCategory, String> {
    let hours = f.due_hours.trim().parse::<i64>().map_err(|_| "due_hours: a whole number of hours".to_owned())?;
    Ok(ComplaintCategory {
        id,
        name: f.name.clone(),
        due_hours: complaints::due_hours(hours)?,
        active: f.active.is_some(),
    })
}

async fn save_category(state: &AppState, page: &Page, f: &CategoryForm, id: Option<i64>) -> PageResult {
    page.check_csrf(&f.csrf)?;
    let k = match category_of(f, id.unwrap_or(0)) {
        Ok(k) => k,
        Err(why) => return categories_page(state, page, Some(why)).await,
    };
    let actor = page.me.actor();
    let saved = state
        .db(move |s| match id {
            None => s.create_complaint_category(&actor, &k.name, k.due_hours),
            Some(_) => s.update_complaint_category(&actor, k),
        })
        .await;
    match saved {
        Ok(_) => Ok(redirect("/console/complaints/categories")),
        Err(AppError::Validation(why) | AppError::Conflict(why)) => categories_page(state, page, Some(why)).await,
        Err(e) => Err(ConsoleError::App(e, page.lang)),
    }
}

pub(crate) async fn add_category(
    State(state): State<AppState>,
    page: Page,
    axum::Form(f): axum::Form<CategoryForm>,
) -> PageResult {
    save_category(&state, &page, &f, None).await
}

pub(crate) async fn update_category(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<CategoryForm>,
) -> PageResult {
    save_category(&state, &page, &f, Some(id)).await
}

#[derive(Deserialize, Default)]
pub(crate) struct ReportQuery {
    from: Option<jiff::civil::Date>,
    to: Option<jiff::civil::Date>,
    #[serde(default)]
    branch: String,
}

fn counts_table(page: &Page, id: &str, first: C, rows: &[ComplaintCounts], total: &ComplaintCounts) -> Markup {
    let row = |name: &str, r: &ComplaintCounts| {
        html! {
            tr {
                td { (name) } td.n { (r.filed) } td.n { (r.unresolved) } td.n { (r.overdue) } td.n { (r.times.resolved) }
                td.n { (duration(page.lang, r.times.median_minutes)) } td.n { (duration(page.lang, r.times.mean_minutes)) }
            }
        }
    };
    html! {
        table id=(id) {
            thead { tr {
                th { (page.t(first)) } th.n { (page.t(C::Filed)) } th.n { (page.t(C::Unresolved)) } th.n { (page.t(C::Overdue)) }
                th.n { (page.t(C::ResolvedCount)) } th.n { (page.t(C::MedianResolve)) } th.n { (page.t(C::MeanResolve)) }
            } }
            tbody { @for r in rows { (row(&r.name, r)) } }
            tfoot { (row(page.t(C::AllComplaints), total)) }
        }
    }
}

/// Counts and times to resolve by category and by branch, for complaints filed in a period.
pub(crate) async fn report(
    State(state): State<AppState>,
    page: Page,
    FormQuery(q): FormQuery<ReportQuery>,
) -> PageResult {
    let params =
        crate::http::complaints::ReportParams { from: q.from, to: q.to, branch_id: q.branch.trim().parse().ok() };
    let (from, to, branch) =
        crate::http::complaints::period(&page.me, &params, state.now()).map_err(|e| ConsoleError::App(e, page.lang))?;
    let r = crate::http::complaints::build_report(&state, from, to, branch)
        .await
        .map_err(|e| ConsoleError::App(e, page.lang))?;
    let names = branch_names(&state, &page).await?;
    let body = html! {
        p { a href="/console/complaints" { "← " (page.t(C::Complaints)) } }
        (super::range_form(&page, "/console/complaints/report", from, to, branch, &names))
        p.muted { (page.t(C::ComplaintTimesIn)) }
        h2 { (page.t(C::ByCategory)) }
        (counts_table(&page, "report-by-category", C::ComplaintCategory, &r.by_category, &r.total))
        h2 { (page.t(C::ByBranch)) }
        (counts_table(&page, "report-by-branch", C::Branch, &r.by_branch, &r.total))
    };
    Ok(layout(&page, Menu::Complaints, page.t(C::ComplaintReport), body))
}

/// The dashboard's box: the overdue complaints the user may see, most overdue first.
pub(super) async fn overdue_box(state: &AppState, page: &Page) -> Result<Markup, ConsoleError> {
    let filter =
        ComplaintFilter { overdue: true, branch: page.me.user.branch_scope(), limit: 50, ..ComplaintFilter::default() };
    let now = state.now();
    let mut list = state.db(move |s| s.list_complaints(&filter, now)).await?;
    list.sort_by_key(|c| (c.due_at, c.id));
    list.truncate(10);
    Ok(html! {
        h2 { a href="/console/complaints?overdue=1" { (page.t(C::OverdueComplaints)) } }
        @if list.is_empty() { p.muted #no-overdue { (page.t(C::NoOverdue)) } }
        @else { (complaints_table(page, "overdue-complaints", &list)) }
    })
}
