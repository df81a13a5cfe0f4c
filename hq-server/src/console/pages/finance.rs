//! Finance: the reports with dates and branch, as tables and CSV; links to the P&L, the expenses and reconciliation.

use crate::console::FormQuery;
use crate::console::{C, Menu, Page, PageResult, layout, words};
use crate::http::AppState;
use crate::model::Role;
use crate::reports::ReportKind;
use axum::extract::State;
use jiff::civil::Date;
use maud::html;
use serde::Deserialize;

use super::*;

#[derive(Deserialize, Default)]
pub(super) struct FinanceQuery {
    kind: Option<String>,
    from: Option<Date>,
    to: Option<Date>,
    branch: Option<i64>,
}

pub(super) async fn finance(
    State(state): State<AppState>,
    page: Page,
    FormQuery(q): FormQuery<FinanceQuery>,
) -> PageResult {
    let kind = q.kind.as_deref().and_then(ReportKind::parse).unwrap_or(ReportKind::SalesByBranch);
    let Resolved { from, to, branch, today_note } =
        Range { from: q.from, to: q.to, branch: q.branch }.resolve(&state, &page).await?;
    let names = branch_names(&state, &page).await?;
    let r = report(&state, kind, from, to, branch).await?;
    let tiers = Tiers::load(&state).await?;
    let csv = format!(
        "/api/v1/reports/{}?format=csv&from={from}&to={to}{}",
        kind.code(),
        branch.map(|b| format!("&branch_id={}", b.0)).unwrap_or_default()
    );
    let body = html! {
        form.inline method="get" {
            label { (page.t(C::Report)) select name="kind" { @for k in ReportKind::ALL { option value=(k.code()) selected[k == kind] { (words::report(page.lang, k)) } } } }
            label { (page.t(C::From)) input type="date" name="from" value=(from); }
            label { (page.t(C::To)) input type="date" name="to" value=(to); }
            @if page.me.user.role != Role::BranchManager {
                label { (page.t(C::Branch)) select name="branch" { option value="" { (page.t(C::AllBranches)) }
                    @for (id, n) in &names { option value=(id.0) selected[Some(*id) == branch] { (n) } } } }
            }
            button type="submit" { (page.t(C::Show)) }
        }
        p.muted #today-note { (today_note) }
        p #finance-links {
            @if matches!(page.me.user.role, Role::Admin | Role::Finance | Role::BranchManager) { a #to-pnl href="/console/pnl" { (page.t(C::Pnl)) } }
            @if matches!(page.me.user.role, Role::Admin | Role::Finance) { " · " a #to-expenses href="/console/expenses" { (page.t(C::Expenses)) } }
            @if matches!(page.me.user.role, Role::Admin | Role::Finance) { " · " a #to-reconciliation href="/console/reconciliation" { (page.t(C::Reconciliation)) } }
        }
        p { a href=(csv) { (page.t(C::DownloadCsv)) } }
        h2 #report-name { (words::report(page.lang, kind)) }
        (table(&page, &r, &tiers))
    };
    Ok(layout(&page, Menu::Finance, page.t(C::Finance), body))
}
