//! Expenses (费用), HQ finance's: the entries by month, branch and subject, a form to book one (a
//! refused one comes back as typed with its reason, nothing booked), a CSV upload run as a job,
//! and the subjects with their names.

use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};
use serde::Deserialize;
use shared::expenses::{Month, parse_yuan};
use shared::ids::BranchId;

use super::super::jobs::JobKind;
use super::imports::{UploadToken, read_upload, start_import};
use crate::console::FormQuery;
use crate::console::{C, ConsoleError, Menu, Page, PageResult, layout, yuan};
use crate::expenses::{ExpenseFilter, ExpenseSource, ExpenseSubject, NewExpense};
use crate::http::AppState;

use super::*;

/// The list's filter, every field as typed.
#[derive(Deserialize, Default)]
pub(super) struct ExpenseQuery {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    branch: String,
    #[serde(default)]
    subject: String,
}

/// The booking form as typed.
#[derive(Deserialize, Default)]
pub(super) struct ExpenseForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    branch: String,
    #[serde(default)]
    month: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    correction: Option<String>,
    #[serde(default)]
    corrects: String,
}

pub(super) async fn expenses(
    State(state): State<AppState>,
    page: Page,
    FormQuery(q): FormQuery<ExpenseQuery>,
) -> PageResult {
    expenses_page(&state, &page, &q, None, None).await
}

/// The page: the filter, the entries, the booking form (as typed, when it came back), the upload,
/// the subjects. `flash` says what the last post did.
async fn expenses_page(
    state: &AppState,
    page: &Page,
    q: &ExpenseQuery,
    form: Option<&ExpenseForm>,
    flash: Option<(StatusCode, Markup)>,
) -> PageResult {
    let this_month = Month::of(state.chain_day().await?.day);
    let to = Month::parse(&q.to).unwrap_or(this_month);
    let from = Month::parse(&q.from).unwrap_or_else(|_| to.previous().previous());
    if from > to {
        return Err(page.invalid("choose months from before to"));
    }
    let branch = q.branch.trim().parse::<i64>().ok().map(BranchId);
    let subject = Some(q.subject.trim().to_owned()).filter(|s| crate::expenses::check_subject_code(s).is_ok());
    let names = branch_names(state, page).await?;
    let subjects = state.db(|s| s.expense_subjects()).await?;
    let filter = ExpenseFilter { branch, from, to, subject: subject.clone(), limit: 500 };
    let entries = state.db(move |s| s.list_expenses(&filter)).await?;
    let total: i64 = entries.iter().map(|e| e.amount).sum();
    let empty = ExpenseForm { month: this_month.to_string(), ..ExpenseForm::default() };
    let f = form.unwrap_or(&empty);
    let (status, flash) = flash.map_or((StatusCode::OK, None), |(s, m)| (s, Some(m)));
    let body = html! {
        @if let Some(f) = flash { (f) }
        p {
            a #to-pnl href="/console/pnl" { (page.t(C::Pnl)) } " · "
            a href="/console/finance" { (page.t(C::Finance)) }
        }
        form.inline #expense-filter method="get" action="/console/expenses" {
            label { (page.t(C::From)) input type="month" name="from" value=(from); }
            label { (page.t(C::To)) input type="month" name="to" value=(to); }
            label { (page.t(C::Branch)) select name="branch" { option value="" { (page.t(C::AllBranches)) }
                @for (id, n) in &names { option value=(id.0) selected[Some(*id) == branch] { (n) } } } }
            label { (page.t(C::Subject)) select name="subject" { option value="" { (page.t(C::AllSubjects)) }
                @for s in &subjects { option value=(s.code) selected[subject.as_deref() == Some(s.code.as_str())] { (s.name) } } } }
            button type="submit" { (page.t(C::Show)) }
        }
        table #expenses {
            thead { tr {
                th { (page.t(C::EntryNo)) } th { (page.t(C::Month)) } th { (page.t(C::Branch)) } th { (page.t(C::Subject)) }
                th.n { (page.t(C::Amount)) } th { (page.t(C::Note)) } th { (page.t(C::CorrectionShort)) } th { (page.t(C::BookedBy)) } th { (page.t(C::Time)) }
            } }
            tbody { @for e in &entries { tr data-expense=(e.id) {
                td { (e.id) } td { (e.month) } td { (e.branch_code) } td { (e.subject_name) }
                td.n { (yuan(e.amount)) } td { (e.note) }
                td { @if e.correction { (page.t(C::CorrectionShort)) @if let Some(c) = e.corrects { " → " (c) } } }
                td { (e.created_by) } td { (hq_time(e.created_at, "%Y-%m-%d %H:%M")) }
            } } }
            tfoot { tr { td colspan="4" { (page.t(C::Totals)) } td.n #expenses-total { (yuan(total)) } td colspan="4" {} } }
        }
        p.muted { (page.t(C::ExpensesAppendOnly)) }
        h2 { (page.t(C::BookExpense)) }
        form.inline #expense-form method="post" action="/console/expenses" {
            (page.csrf_field())
            label { (page.t(C::Branch)) select #expense-branch name="branch" required {
                @for (id, n) in &names { option value=(id.0) selected[f.branch == id.0.to_string()] { (n) } } } }
            label { (page.t(C::Month)) input #expense-month type="month" name="month" value=(f.month) required; }
            label { (page.t(C::Subject)) select #expense-subject name="subject" {
                @for s in &subjects { option value=(s.code) selected[f.subject == s.code] { (s.name) } } } }
            label { (page.t(C::AmountYuan)) input #expense-amount name="amount" value=(f.amount) required; }
            label { (page.t(C::Note)) input #expense-note name="note" value=(f.note) maxlength="200"; }
            label { (page.t(C::Correction)) input #expense-correction type="checkbox" name="correction" value="yes" checked[f.correction.is_some()]; }
            label { (page.t(C::Corrects)) input #expense-corrects name="corrects" value=(f.corrects) inputmode="numeric"; }
            button #book-expense type="submit" { (page.t(C::BookExpense)) }
        }
        form.inline #expense-import method="post" action={ "/console/expenses/import?_csrf=" (page.csrf) } enctype="multipart/form-data"
            onsubmit="this.querySelector('progress').hidden=false" {
            label { (page.t(C::Import)) input #expense-file type="file" name="file" accept=".csv,text/csv" required; }
            button #import-expenses type="submit" { (page.t(C::Import)) }
            progress hidden;
        }
        p.muted { (page.t(C::ExpensesCsvHint)) }
        h2 { (page.t(C::Subjects)) }
        (subjects_table(page, &subjects))
    };
    let mut r = layout(page, Menu::Finance, page.t(C::Expenses), body);
    *r.status_mut() = status;
    Ok(r)
}

fn subjects_table(page: &Page, subjects: &[ExpenseSubject]) -> Markup {
    html! {
        table #subjects {
            thead { tr { th { (page.t(C::Code)) } th { (page.t(C::Name)) } th {} } }
            tbody { @for s in subjects { tr data-subject=(s.code) {
                td { (s.code) }
                td { (s.name) }
                td { form.inline method="post" action={ "/console/expenses/subjects/" (s.code) } {
                    (page.csrf_field())
                    input name="name" value=(s.name) required maxlength="100";
                    button type="submit" { (page.t(C::Rename)) }
                } }
            } } }
        }
        form.inline #subject-form method="post" action="/console/expenses/subjects" {
            (page.csrf_field())
            label { (page.t(C::Code)) input #subject-code name="code" required pattern="[a-z0-9_-]{1,32}"; }
            label { (page.t(C::Name)) input #subject-name name="name" required maxlength="100"; }
            button #add-subject type="submit" { (page.t(C::AddSubject)) }
        }
    }
}

/// Reads the form into an entry: the amount in yuan exactly, the month, the correction; what
/// the store checks (the branch, the subject, a negative amount only in a correction) it checks.
fn entry(f: &ExpenseForm) -> Result<NewExpense, String> {
    let branch = f.branch.trim().parse::<i64>().map_err(|_| "choose a branch".to_owned())?;
    let month = Month::parse(&f.month).map_err(|e| e.to_string())?;
    let amount = parse_yuan(&f.amount).map_err(|e| e.to_string())?;
    let corrects = match f.corrects.trim() {
        "" => None,
        c => Some(c.parse::<i64>().map_err(|_| format!("entry no. `{c}` is not a number"))?),
    };
    Ok(NewExpense {
        branch: BranchId(branch),
        month,
        subject: f.subject.trim().to_owned(),
        amount,
        note: f.note.trim().to_owned(),
        correction: f.correction.is_some(),
        corrects,
    })
}

pub(super) async fn book_expense(
    State(state): State<AppState>,
    page: Page,
    axum::Form(f): axum::Form<ExpenseForm>,
) -> PageResult {
    page.check_csrf(&f.csrf)?;
    let q = ExpenseQuery { from: f.month.clone(), to: f.month.clone(), ..ExpenseQuery::default() };
    let booked = match entry(&f) {
        Ok(e) => {
            let actor = page.me.actor();
            state.db(move |s| s.book_expenses(&actor, &[e], ExpenseSource::Typed)).await.map_err(|e| e.to_string())
        }
        Err(why) => Err(why),
    };
    match booked {
        Ok(records) => {
            let no: Vec<String> = records.iter().map(|r| r.id.to_string()).collect();
            let flash = html! { p.ok #expense-booked { (page.t(C::ExpenseBooked)) " " (no.join(", ")) } };
            expenses_page(&state, &page, &q, None, Some((StatusCode::OK, flash))).await
        }
        Err(why) => {
            let flash = html! { p.error #expense-error { (why) } };
            expenses_page(&state, &page, &q, Some(&f), Some((StatusCode::UNPROCESSABLE_ENTITY, flash))).await
        }
    }
}

pub(super) async fn import_expenses(
    State(state): State<AppState>,
    page: Page,
    FormQuery(token): FormQuery<UploadToken>,
    form: Multipart,
) -> Result<Response, ConsoleError> {
    let bytes = read_upload(&page, &token, form).await?;
    let actor = page.me.actor();
    start_import(&state, &page, JobKind::ExpenseImport, move |s, progress| {
        crate::expenses::import_expenses(s, &actor, &bytes, progress).map(Ok)
    })
    .await
}

#[derive(Deserialize)]
pub(super) struct SubjectForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
}

pub(super) async fn add_subject(
    State(state): State<AppState>,
    page: Page,
    axum::Form(f): axum::Form<SubjectForm>,
) -> PageResult {
    page.check_csrf(&f.csrf)?;
    let actor = page.me.actor();
    let subject = ExpenseSubject { code: f.code.trim().to_owned(), name: f.name.trim().to_owned() };
    let flash = match state.db(move |s| s.create_expense_subject(&actor, subject)).await {
        Ok(s) => {
            (StatusCode::OK, html! { p.ok #subject-added { (page.t(C::SubjectAdded)) " " (s.code) " " (s.name) } })
        }
        Err(e) => (StatusCode::UNPROCESSABLE_ENTITY, html! { p.error #subject-error { (e.to_string()) } }),
    };
    expenses_page(&state, &page, &ExpenseQuery::default(), None, Some(flash)).await
}

pub(super) async fn rename_subject(
    State(state): State<AppState>,
    page: Page,
    Path(code): Path<String>,
    axum::Form(f): axum::Form<SubjectForm>,
) -> PageResult {
    page.check_csrf(&f.csrf)?;
    let actor = page.me.actor();
    let name = f.name.trim().to_owned();
    let flash = match state.db(move |s| s.rename_expense_subject(&actor, &code, &name)).await {
        Ok(s) => (StatusCode::OK, html! { p.ok #subject-renamed { (page.t(C::Saved)) " " (s.code) " " (s.name) } }),
        Err(crate::error::AppError::NotFound(_)) => return Err(ConsoleError::NotFound(page.lang)),
        Err(e) => (StatusCode::UNPROCESSABLE_ENTITY, html! { p.error #subject-error { (e.to_string()) } }),
    };
    expenses_page(&state, &page, &ExpenseQuery::default(), None, Some(flash)).await
}
