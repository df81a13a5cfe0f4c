//! Stock counts (盘点) in the console: open a count of a branch (whole, or one category; the
//! snapshot is taken then), enter what counters counted (by code or barcode, lines pasted from a
//! spreadsheet work; the counter's name is kept with every figure), read the sheet blind as
//! counters do or with the expected figures, and post it: the variance report in money. Goods
//! sold while the count runs are no variance (each line's expected figure is the snapshot plus
//! what moved before that line was counted). A branch manager counts their branch only.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use maud::{Markup, html};
use serde::Deserialize;
use shared::catalog::CategoryId;
use shared::money::Qty;

use super::stock::stock_nav;
use super::stock_lines;
use super::*;
use crate::console::FormQuery;
use crate::console::{C, Menu, Page, PageResult, layout, redirect, yuan};
use crate::http::AppState;
use crate::model::{CountEntry, CountLine, CountReport, CountScope, CountSheet, CountStatus, StockCount};

/// The list's filter and the forms' fields, every one as typed.
#[derive(Deserialize, Default)]
pub(super) struct CountsForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    branch: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    note: String,
    /// The sheet: show what is expected (not blind).
    #[serde(default)]
    expected: Option<String>,
    #[serde(default)]
    counter: String,
    #[serde(default)]
    lines: String,
}

const SHOWN: u32 = 100;

fn status_word(s: CountStatus) -> C {
    match s {
        CountStatus::Open => C::CountOpen,
        CountStatus::Posted => C::CountPosted,
        CountStatus::Cancelled => C::CountCancelled,
    }
}

fn refused(why: impl std::fmt::Display) -> Option<(StatusCode, Markup)> {
    Some((StatusCode::UNPROCESSABLE_ENTITY, html! { p.error #form-error { (why) } }))
}

pub(super) async fn counts(
    State(state): State<AppState>,
    page: Page,
    FormQuery(q): FormQuery<CountsForm>,
) -> PageResult {
    counts_page(&state, &page, &q, None).await
}

async fn counts_page(state: &AppState, page: &Page, f: &CountsForm, flash: Option<(StatusCode, Markup)>) -> PageResult {
    let branch = chosen_branch(page, &f.branch);
    if let Some(b) = branch {
        see(page, b)?;
    }
    let names = branch_names(state, page).await?;
    let (list, categories) = state.db(move |s| Ok((s.stock_counts(branch, SHOWN)?, s.list_categories()?))).await?;
    let may_move = crate::authz::can::MOVE_STOCK.contains(&page.me.user.role);
    let (status, flash) = flash.map_or((StatusCode::OK, None), |(s, m)| (s, Some(m)));
    let body = html! {
        (stock_nav(page))
        @if let Some(m) = flash { (m) }
        @if page.me.user.branch_id.is_none() {
            form.inline #counts-filter method="get" action="/console/stock/counts" {
                label { (page.t(C::Branch)) select name="branch" { option value="" { (page.t(C::AllBranches)) }
                    @for (id, n) in &names { option value=(id.0) selected[Some(*id) == branch] { (n) } } } }
                button type="submit" { (page.t(C::Show)) }
            }
        }
        table #stock-counts {
            thead { tr {
                th { "#" } th { (page.t(C::Branch)) } th { (page.t(C::CountScopeWord)) } th { (page.t(C::Status)) }
                th.n { (page.t(C::StockProducts)) } th.n { (page.t(C::CountedSoFar)) } th { (page.t(C::CountStarted)) } th { (page.t(C::Who)) }
            } }
            tbody { @for c in &list { tr data-count=(c.id) {
                td { a href={ "/console/stock/counts/" (c.id) } { (c.id) } }
                td { (c.branch_code) } td { (scope_text(page, c, &categories)) } td { (page.t(status_word(c.status))) }
                td.n { (c.products) } td.n { (c.counted) }
                td { (hq_time(c.started_at, "%Y-%m-%d %H:%M")) } td { (c.created_by) }
            } } }
        }
        @if may_move {
            h2 { (page.t(C::StartCount)) }
            form.inline #start-count method="post" action="/console/stock/counts" {
                (page.csrf_field())
                @if page.me.user.branch_id.is_none() {
                    label { (page.t(C::Branch)) select name="branch" required {
                        option value="" { "—" }
                        @for (id, n) in &names { option value=(id.0) selected[f.branch == id.0.to_string()] { (n) } } } }
                }
                label { (page.t(C::CountScopeWord)) select name="category" {
                    option value="" { (page.t(C::WholeBranch)) }
                    @for c in &categories { option value=(c.id.0) selected[f.category == c.id.0.to_string()] { (c.code) " " (c.name) } } } }
                label { (page.t(C::Note)) input name="note" value=(f.note) maxlength="500"; }
                button #start type="submit" { (page.t(C::StartCount)) }
            }
            p.muted { (page.t(C::StartCountHint)) }
        }
    };
    let mut r = layout(page, Menu::Stock, page.t(C::StockCounts), body);
    *r.status_mut() = status;
    Ok(r)
}

fn scope_text(page: &Page, c: &StockCount, categories: &[shared::catalog::Category]) -> String {
    match c.category_id {
        None => page.t(C::WholeBranch).to_owned(),
        Some(id) => categories.iter().find(|x| x.id == id).map_or(id.0.to_string(), |x| x.name.clone()),
    }
}

pub(super) async fn start(
    State(state): State<AppState>,
    page: Page,
    axum::Form(f): axum::Form<CountsForm>,
) -> PageResult {
    page.check_csrf(&f.csrf)?;
    let Some(branch) = chosen_branch(&page, &f.branch) else {
        return counts_page(&state, &page, &f, refused("branch: choose one")).await;
    };
    see(&page, branch)?;
    let scope = match f.category.trim() {
        "" => CountScope::Full,
        c => match c.parse::<i64>() {
            Ok(id) => CountScope::Category(CategoryId(id)),
            Err(_) => return counts_page(&state, &page, &f, refused("category: choose one")).await,
        },
    };
    let (actor, note) = (page.me.actor(), f.note.trim().to_owned());
    match state.db(move |s| s.start_count(&actor, branch, scope, &note)).await {
        Ok(c) => Ok(redirect(&format!("/console/stock/counts/{}", c.id))),
        Err(e) => counts_page(&state, &page, &f, refused(e)).await,
    }
}

async fn visible(state: &AppState, page: &Page, id: i64) -> Result<StockCount, ConsoleError> {
    let c = match state.db(move |s| s.stock_count(id)).await {
        Ok(c) => c,
        Err(crate::error::AppError::NotFound(_)) => return Err(ConsoleError::NotFound(page.lang)),
        Err(e) => return Err(e.into()),
    };
    see(page, c.branch_id)?;
    Ok(c)
}

pub(super) async fn count(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    FormQuery(q): FormQuery<CountsForm>,
) -> PageResult {
    visible(&state, &page, id).await?;
    count_page(&state, &page, id, q.expected.is_some(), None, None).await
}

/// A count's page: its sheet (blind unless `expected`; a posted count shows its variances), the
/// entry form while it is open, and the post and cancel buttons.
async fn count_page(
    state: &AppState,
    page: &Page,
    id: i64,
    expected: bool,
    typed: Option<&CountsForm>,
    flash: Option<(StatusCode, Markup)>,
) -> PageResult {
    let c = state.db(move |s| s.stock_count(id)).await?;
    let blind = !expected && c.status == CountStatus::Open;
    let sheet = state.db(move |s| s.count_sheet(id, blind)).await?;
    let open = c.status == CountStatus::Open;
    let may_move = crate::authz::can::MOVE_STOCK.contains(&page.me.user.role);
    let (status, flash) = flash.map_or((StatusCode::OK, None), |(s, m)| (s, Some(m)));
    let counter = typed.map_or_else(|| page.me.user.display_name.clone(), |t| t.counter.clone());
    let body = html! {
        (stock_nav(page))
        @if let Some(m) = flash { (m) }
        p { a href="/console/stock/counts" { (page.t(C::StockCounts)) } " · "
            a #count-csv href={ "/api/v1/stock/counts/" (id) "?format=csv&blind=" (blind) } { (page.t(C::DownloadCsv)) }
            @if open {
                " · "
                @if blind { a #show-expected href={ "/console/stock/counts/" (id) "?expected=yes" } { (page.t(C::ShowExpected)) } }
                @else { a #hide-expected href={ "/console/stock/counts/" (id) } { (page.t(C::HideExpected)) } }
            }
        }
        dl.facts {
            dt { (page.t(C::Branch)) } dd { (c.branch_code) }
            dt { (page.t(C::Status)) } dd #count-status { (page.t(status_word(c.status))) }
            dt { (page.t(C::CountStarted)) } dd { (hq_time(c.started_at, "%Y-%m-%d %H:%M:%S")) " " (c.created_by) }
            @if let (Some(at), Some(by)) = (c.posted_at, &c.posted_by) { dt { (page.t(C::CountPosted)) } dd { (hq_time(at, "%Y-%m-%d %H:%M:%S")) " " (by) } }
            dt { (page.t(C::CountedSoFar)) } dd #count-progress { (c.counted) " / " (c.products) }
            @if !c.note.is_empty() { dt { (page.t(C::Note)) } dd { (c.note) } }
        }
        @if open && may_move {
            h2 { (page.t(C::EnterCounts)) }
            form #enter-counts method="post" action={ "/console/stock/counts/" (id) "/entries" } {
                (page.csrf_field())
                label { (page.t(C::Counter)) input #counter name="counter" value=(counter) required maxlength="60"; }
                label { (page.t(C::LinesNoCost)) textarea #count-lines name="lines" rows="6" required placeholder="6901234567892 16" { (typed.map_or("", |t| t.lines.as_str())) } }
                button #enter type="submit" { (page.t(C::EnterCounts)) }
            }
            p.muted { (page.t(C::EnterCountsHint)) }
        }
        (sheet_table(page, &sheet))
        @if open && may_move {
            form.inline #post-count method="post" action={ "/console/stock/counts/" (id) "/post" } {
                (page.csrf_field())
                button #post type="submit" onclick="return confirm(this.dataset.ask)" data-ask=(page.t(C::PostCountAsk)) { (page.t(C::PostCount)) }
            }
            form.inline #cancel-count method="post" action={ "/console/stock/counts/" (id) "/cancel" } {
                (page.csrf_field())
                button #cancel type="submit" onclick="return confirm(this.dataset.ask)" data-ask=(page.t(C::CancelCountAsk)) { (page.t(C::CancelCount)) }
            }
        }
    };
    let mut r = layout(page, Menu::Stock, &format!("{} #{id}", page.t(C::StockCount)), body);
    *r.status_mut() = status;
    Ok(r)
}

fn q(q: Option<Qty>) -> String {
    q.map(|q| q.display()).unwrap_or_default()
}

fn sheet_table(page: &Page, sheet: &CountSheet) -> Markup {
    html! {
        table #count-sheet {
            thead { tr {
                th { (page.t(C::Code)) } th { (page.t(C::Name)) } th.n { (page.t(C::CountCounted)) } th { (page.t(C::Counter)) }
                th { (page.t(C::Time)) } th.n { (page.t(C::Entries)) }
                @if !sheet.blind {
                    th.n { (page.t(C::Snapshot)) } th.n { (page.t(C::MovedSince)) } th.n { (page.t(C::CountExpected)) }
                    th.n { (page.t(C::Variance)) } th.n { (page.t(C::VarianceValue)) }
                }
            } }
            tbody { @for l in &sheet.lines { (sheet_row(page, sheet.blind, l)) } }
        }
        @if !sheet.blind { (totals(page, &sheet.lines)) }
    }
}

fn sheet_row(page: &Page, blind: bool, l: &CountLine) -> Markup {
    html! {
        tr data-product=(l.product_id.0) .recount[l.recount] .differs[l.variance.is_some_and(|v| v.0 != 0)] {
            td { (l.product_code) } td { (l.product_name) }
            td.n.counted { (q(l.counted)) " " @if l.counted.is_some() { (l.unit) } }
            td { (l.counter.as_deref().unwrap_or("")) @if l.recount { " " strong { (page.t(C::Recount)) } } }
            td { @if let Some(t) = l.counted_at { (hq_time(t, "%H:%M:%S")) } }
            td.n { (l.entries) }
            @if !blind {
                td.n { (q(l.snapshot)) } td.n { (q(l.moved_since)) } td.n.expected { (q(l.expected)) }
                td.n.variance { (q(l.variance)) } td.n { (l.variance_value.map(|m| yuan(m.0)).unwrap_or_default()) }
            }
        }
    }
}

/// Gains, losses and net of the counted lines, in money.
fn totals(page: &Page, lines: &[CountLine]) -> Markup {
    let values = lines.iter().filter_map(|l| l.variance_value.map(|m| m.0));
    let (gained, lost): (i64, i64) = values.fold((0, 0), |(g, l), v| if v > 0 { (g + v, l) } else { (g, l + v) });
    html! {
        table #count-totals {
            tbody {
                tr { th { (page.t(C::ShrinkFound)) } td.n #count-gained { (yuan(gained)) } }
                tr { th { (page.t(C::ShrinkLost)) } td.n #count-lost { (yuan(lost)) } }
                tr { th { (page.t(C::ShrinkNet)) } td.n #count-net { (yuan(gained + lost)) } }
            }
        }
    }
}

pub(super) async fn enter(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<CountsForm>,
) -> PageResult {
    page.check_csrf(&f.csrf)?;
    visible(&state, &page, id).await?;
    let lines = match stock_lines::read(&state, &f.lines, false).await {
        Ok(l) => l,
        Err(why) => return count_page(&state, &page, id, false, Some(&f), refused(why)).await,
    };
    let entries: Vec<CountEntry> = lines
        .into_iter()
        .map(|l| CountEntry { product: Some(l.product), barcode: None, qty: l.qty, counted_at: None })
        .collect();
    let (actor, counter) = (page.me.actor(), f.counter.trim().to_owned());
    match state.db(move |s| s.count_entries(&actor, id, &counter, entries)).await {
        Ok(_) => {
            let ok = html! { p.ok #entered { (page.t(C::CountsEntered)) } };
            let kept = CountsForm { counter: f.counter.clone(), ..CountsForm::default() };
            count_page(&state, &page, id, false, Some(&kept), Some((StatusCode::OK, ok))).await
        }
        Err(e) => count_page(&state, &page, id, false, Some(&f), refused(e)).await,
    }
}

pub(super) async fn post(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<crate::console::CsrfForm>,
) -> PageResult {
    page.check_csrf(&f.csrf)?;
    visible(&state, &page, id).await?;
    let actor = page.me.actor();
    match state.db(move |s| s.post_count(&actor, id)).await {
        Ok(report) => report_page(&page, &report),
        Err(e) => count_page(&state, &page, id, false, None, refused(e)).await,
    }
}

/// What posting wrote: the variance of every counted line, the lines left alone, and the money.
fn report_page(page: &Page, r: &CountReport) -> PageResult {
    let body = html! {
        (stock_nav(page))
        p.ok #count-posted { (page.t(C::CountPostedDone)) " " (r.adjustments) }
        p { a href={ "/console/stock/counts/" (r.count.id) } { (page.t(C::StockCount)) " #" (r.count.id) } }
        table #count-report {
            tbody {
                tr { th { (page.t(C::ShrinkFound)) } td.n #report-gained { (yuan(r.gained_value.0)) } }
                tr { th { (page.t(C::ShrinkLost)) } td.n #report-lost { (yuan(r.lost_value.0)) } }
                tr { th { (page.t(C::ShrinkNet)) } td.n #report-net { (yuan(r.net_value.0)) } }
            }
        }
        (sheet_table(page, &CountSheet { count: r.count.clone(), blind: false, lines: r.lines.clone() }))
        @if !r.uncounted.is_empty() {
            h2 { (page.t(C::Uncounted)) " (" (r.uncounted.len()) ")" }
            p.muted { (page.t(C::UncountedHint)) }
        }
    };
    Ok(layout(page, Menu::Stock, &format!("{} #{}", page.t(C::StockCount), r.count.id), body))
}

pub(super) async fn cancel(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<crate::console::CsrfForm>,
) -> PageResult {
    page.check_csrf(&f.csrf)?;
    visible(&state, &page, id).await?;
    let actor = page.me.actor();
    match state.db(move |s| s.cancel_count(&actor, id)).await {
        Ok(_) => Ok(redirect(&format!("/console/stock/counts/{id}"))),
        Err(e) => count_page(&state, &page, id, false, None, refused(e)).await,
    }
}
