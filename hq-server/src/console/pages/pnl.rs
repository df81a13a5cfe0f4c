//! The P&L page (损益表): a month and a branch (or the chain; a branch manager only their own),
//! the month before and the same month last year beside it, every line as `crate::pnl` reads
//! it from the finance reports, and what is missing said plainly.

use axum::extract::State;
use maud::html;
use serde::Deserialize;
use shared::expenses::Month;
use shared::ids::BranchId;

use crate::console::FormQuery;
use crate::console::{C, ConsoleError, Menu, Page, PageResult, layout, yuan};
use crate::http::AppState;
use crate::model::Role;
use crate::pnl::PnlColumn;

use super::*;

#[derive(Deserialize, Default)]
pub(super) struct PnlQuery {
    #[serde(default)]
    month: String,
    #[serde(default)]
    branch: String,
}

pub(super) async fn pnl(State(state): State<AppState>, page: Page, FormQuery(q): FormQuery<PnlQuery>) -> PageResult {
    let month = match q.month.trim() {
        "" => None,
        m => Some(Month::parse(m).map_err(|e| page.invalid(e.to_string()))?),
    };
    let branch = q.branch.trim().parse::<i64>().ok().map(BranchId);
    let report = crate::http::expenses::pnl_report(&state, &page.me, month, branch)
        .await
        .map_err(|e| ConsoleError::App(e, page.lang))?;
    let names = branch_names(&state, &page).await?;
    let shown = report.branch_id.map(BranchId);
    let csv = format!(
        "/api/v1/reports/pnl?format=csv&month={}{}",
        report.month,
        shown.map(|b| format!("&branch_id={}", b.0)).unwrap_or_default()
    );
    let heads = [C::ThisMonth, C::MonthBefore, C::YearBefore];
    // Every subject any column has, in the order met.
    let mut subjects: Vec<(String, String)> = Vec::new();
    for c in &report.columns {
        for s in &c.expenses_by_subject {
            if !subjects.iter().any(|(code, _)| *code == s.subject) {
                subjects.push((s.subject.clone(), s.name.clone()));
            }
        }
    }
    let money = |v: Option<i64>| v.map_or_else(|| page.t(C::NoStockCosts).to_owned(), yuan);
    let line = |id: &str, label: &str, strong: bool, f: &dyn Fn(&PnlColumn) -> Option<i64>| {
        html! {
            tr.total[strong] id=(format!("pnl-{id}")) {
                td { (label) }
                @for (i, c) in report.columns.iter().enumerate() {
                    @let v = f(c);
                    td.n.missing[v.is_none()] id=(format!("{id}-{i}")) { (money(v)) }
                }
            }
        }
    };
    let body = html! {
        form.inline #pnl-form method="get" action="/console/pnl" {
            label { (page.t(C::Month)) input #pnl-month type="month" name="month" value=(report.month); }
            @if page.me.user.role != Role::BranchManager {
                label { (page.t(C::Branch)) select #pnl-branch name="branch" { option value="" { (page.t(C::TheChain)) }
                    @for (id, n) in &names { option value=(id.0) selected[Some(*id) == shown] { (n) } } } }
            }
            button #show-pnl type="submit" { (page.t(C::Show)) }
        }
        p #pnl-of {
            @match shown.and_then(|b| names.iter().find(|(id, _)| *id == b)) {
                Some((_, n)) => { (n) }
                None => { (page.t(C::TheChain)) }
            }
            " · " (report.month)
        }
        @if report.missing.is_some() { p.error #pnl-missing { (page.t(C::PnlMissing)) } }
        p { a href=(csv) { (page.t(C::DownloadCsv)) }
            @if matches!(page.me.user.role, Role::Admin | Role::Finance) { " · " a #to-expenses href="/console/expenses" { (page.t(C::Expenses)) } } }
        table.report #pnl {
            thead { tr {
                th {}
                @for (i, c) in report.columns.iter().enumerate() { th.n { (page.t(heads[i.min(2)])) br; (c.month) } }
            } }
            tbody {
                (line("sales_due", page.t(C::PnlSalesDue), false, &|c: &PnlColumn| Some(c.sales_due)))
                (line("refunds_paid_back", page.t(C::RefundsPaidBack), false, &|c: &PnlColumn| Some(-c.refunds_paid_back)))
                (line("net_sales", page.t(C::PnlNetSales), true, &|c: &PnlColumn| Some(c.net_sales)))
                (line("promotion_cost", page.t(C::PnlPromotionCost), false, &|c: &PnlColumn| Some(c.promotion_cost)))
                (line("cogs", page.t(C::Cogs), false, &|c: &PnlColumn| c.cogs.map(|v| -v)))
                (line("gross_margin", page.t(C::GrossMargin), true, &|c: &PnlColumn| c.gross_margin))
                (line("points_cost", page.t(C::PointsCost), false, &|c: &PnlColumn| Some(-c.points_cost)))
                (line("bonus_cost", page.t(C::BonusCost), false, &|c: &PnlColumn| Some(-c.bonus_cost)))
                @for (code, name) in &subjects {
                    (line(&format!("expense-{code}"), name, false, &|c: &PnlColumn| {
                        Some(-c.expenses_by_subject.iter().find(|s| s.subject == *code).map_or(0, |s| s.amount))
                    }))
                }
                (line("expenses", page.t(C::ExpensesTotal), false, &|c: &PnlColumn| Some(-c.expenses)))
                (line("contribution_before_cogs", page.t(C::ContributionBeforeCogs), true, &|c: &PnlColumn| Some(c.contribution_before_cogs)))
                (line("contribution", page.t(C::Contribution), true, &|c: &PnlColumn| c.contribution))
                tr #pnl-points_change {
                    td.muted { (page.t(C::PointsChange)) }
                    @for (i, c) in report.columns.iter().enumerate() { td.n.muted id=(format!("points_change-{i}")) { (c.points_change) } }
                }
            }
        }
        p.muted #pnl-how { (page.t(C::PnlHow)) }
    };
    Ok(layout(&page, Menu::Finance, page.t(C::Pnl), body))
}
