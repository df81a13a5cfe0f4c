//! Targets and plan against actual (计划管理): the year's targets of every branch with a form to set
//! one (split evenly, by last year's shape, or typed month by month), and plan against actual for
//! any period, ranked, with the pace to the end of the month.

use axum::extract::State;
use maud::{Markup, html};
use serde::Deserialize;
use shared::money::{Currency, CurrencyRef};
use shared::plans::Metric;

use crate::authz::can;
use crate::console::FormQuery;
use crate::console::{C, ConsoleError, Menu, Page, PageResult, layout, yuan};
use crate::http::AppState;
use crate::http::plans::PlanParams;
use crate::plans::{PlanRow, TargetInput};

const PERCENT: CurrencyRef<'static> = CurrencyRef { code: "%", decimals: 2, symbol: "%" };

fn bp(b: i64) -> String {
    format!("{}.{:02} %", b / 100, b % 100)
}

/// A figure of `metric` as the page shows it.
fn shown(metric: Metric, v: i64) -> String {
    match metric {
        Metric::Sales => yuan(v),
        Metric::NewMembers => v.to_string(),
        Metric::MemberShare => bp(v),
    }
}

/// A figure of `metric` as typed: yuan, a count, or a percentage.
fn typed(page: &Page, metric: Metric, text: &str) -> Result<i64, ConsoleError> {
    let parsed = match metric {
        Metric::Sales => Currency::CNY.parse(text.trim()).map(|m| m.0),
        Metric::NewMembers => CurrencyRef { decimals: 0, ..PERCENT }.parse(text.trim()).map(|m| m.0),
        Metric::MemberShare => PERCENT.parse(text.trim()).map(|m| m.0),
    };
    parsed.map_err(|e| page.invalid(format!("{}: {e}", page.t(metric_word(metric)))))
}

fn metric_word(m: Metric) -> C {
    match m {
        Metric::Sales => C::TargetSales,
        Metric::NewMembers => C::TargetNewMembers,
        Metric::MemberShare => C::TargetMemberShare,
    }
}

#[derive(Deserialize, Default)]
pub(super) struct YearQuery {
    year: Option<i16>,
}

/// Every branch's targets of a year, and the form to set one.
pub(super) async fn targets(
    State(state): State<AppState>,
    page: Page,
    FormQuery(q): FormQuery<YearQuery>,
) -> PageResult {
    targets_page(&state, &page, q.year, None).await
}

async fn targets_page(state: &AppState, page: &Page, year: Option<i16>, flash: Option<Markup>) -> PageResult {
    let year = year.unwrap_or_else(|| crate::calendar::hq_day(state.now()).year());
    let scope = page.me.user.branch_scope();
    let (branches, years, categories) =
        state.db(move |s| Ok((s.list_branches()?, s.list_targets(year, scope)?, s.list_categories()?))).await?;
    let branches: Vec<_> = branches.into_iter().filter(|b| page.me.user.sees_branch(b.id)).collect();
    let may_set = can::SET_TARGETS.contains(&page.me.user.role);
    let category_name =
        |id: i64| categories.iter().find(|c| c.id.0 == id).map_or_else(|| id.to_string(), |c| c.name.clone());
    let body = html! {
        form.inline method="get" {
            label { (page.t(C::Year)) input type="number" name="year" min="2000" max="2100" value=(year); }
            button type="submit" { (page.t(C::Show)) }
            " " a href="/console/plan" { (page.t(C::PlanVsActual)) }
        }
        @if let Some(f) = flash { (f) }
        table #targets {
            thead { tr {
                th { (page.t(C::Branch)) } th { (page.t(C::Metric)) } th { (page.t(C::Category)) }
                th.n { (page.t(C::YearTotal)) }
                @for m in 1..=12 { th.n { (m) } }
                th { (page.t(C::Split)) }
            } }
            tbody {
                @for t in &years {
                    @let b = branches.iter().find(|b| b.id == t.branch_id);
                    tr data-branch=(t.branch_id.0) data-metric=(t.metric.code()) {
                        td { @if let Some(b) = b { (b.code) " " (b.name) } }
                        td { (page.t(metric_word(t.metric))) }
                        td { @if t.category_id != 0 { (category_name(t.category_id)) } @else { "—" } }
                        td.n { @if t.metric.is_ratio() { (bp(t.months[0])) } @else { (shown(t.metric, t.months.iter().sum())) } }
                        @for v in t.months { td.n { (shown(t.metric, v)) } }
                        td { (t.split) }
                    }
                }
            }
        }
        @if years.is_empty() { p.muted #no-targets { (page.t(C::NoTargets)) } }
        @if may_set {
            h2 { (page.t(C::SetTarget)) }
            p.muted { (page.t(C::SetTargetHelp)) }
            form #set-target method="post" action="/console/targets" {
                (page.csrf_field())
                input type="hidden" name="year" value=(year);
                label { (page.t(C::Branch)) select name="branch_id" {
                    @for b in &branches { option value=(b.id.0) { (b.code) " " (b.name) } }
                } }
                label { (page.t(C::Metric)) select name="metric" {
                    @for m in Metric::ALL { option value=(m.code()) { (page.t(metric_word(m))) } }
                } }
                label { (page.t(C::Category)) select name="category_id" {
                    option value="0" { "—" }
                    @for c in &categories { option value=(c.id.0) { (c.code) " " (c.name) } }
                } }
                label { (page.t(C::Split)) select name="split" {
                    option value="even" { (page.t(C::SplitEven)) }
                    option value="last_year" { (page.t(C::SplitLastYear)) }
                    option value="typed" { (page.t(C::SplitTyped)) }
                } }
                label { (page.t(C::YearTotal)) input type="text" name="total" inputmode="decimal"; }
                fieldset {
                    legend { (page.t(C::SplitTyped)) }
                    @for m in 1..=12 { label { (m) input type="text" name={ "m" (m) } inputmode="decimal" size="8"; } }
                }
                button type="submit" { (page.t(C::Save)) }
            }
        }
    };
    Ok(layout(page, Menu::Plans, &format!("{} · {year}", page.t(C::Targets)), body))
}

#[derive(Deserialize)]
pub(super) struct TargetForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    year: i16,
    branch_id: i64,
    metric: String,
    #[serde(default)]
    category_id: i64,
    split: String,
    #[serde(default)]
    total: String,
    #[serde(default)]
    m1: String,
    #[serde(default)]
    m2: String,
    #[serde(default)]
    m3: String,
    #[serde(default)]
    m4: String,
    #[serde(default)]
    m5: String,
    #[serde(default)]
    m6: String,
    #[serde(default)]
    m7: String,
    #[serde(default)]
    m8: String,
    #[serde(default)]
    m9: String,
    #[serde(default)]
    m10: String,
    #[serde(default)]
    m11: String,
    #[serde(default)]
    m12: String,
}

/// Sets a branch's year from the form (figures typed in yuan, members, or percent).
pub(super) async fn set_target(
    State(state): State<AppState>,
    page: Page,
    axum::Form(f): axum::Form<TargetForm>,
) -> PageResult {
    page.check_csrf(&f.csrf)?;
    page.require(can::SET_TARGETS)?;
    let metric =
        Metric::parse(&f.metric).ok_or_else(|| page.invalid(format!("{}: `{}`", page.t(C::Metric), f.metric)))?;
    let (total, months) = if f.split == "typed" {
        let typed_months = [&f.m1, &f.m2, &f.m3, &f.m4, &f.m5, &f.m6, &f.m7, &f.m8, &f.m9, &f.m10, &f.m11, &f.m12]
            .into_iter()
            .map(|v| if v.trim().is_empty() { Ok(0) } else { typed(&page, metric, v) })
            .collect::<Result<Vec<_>, _>>()?;
        (None, Some(typed_months))
    } else {
        (Some(typed(&page, metric, &f.total)?), None)
    };
    let input = TargetInput {
        branch_id: f.branch_id,
        year: f.year,
        metric: f.metric.clone(),
        category_id: (f.category_id != 0).then_some(f.category_id),
        split: f.split.clone(),
        total,
        months,
    };
    let actor = page.me.actor();
    let flash = match state
        .db(move |s| {
            let target = crate::plans::target_of(s, &input)?;
            s.set_target(&actor, &target)
        })
        .await
    {
        Ok(t) => html! { p.ok #target-saved { (page.t(C::TargetSaved)) " " (page.t(metric_word(t.metric))) } },
        Err(e) => html! { p.error #target-error { (e.to_string()) } },
    };
    targets_page(&state, &page, Some(f.year), Some(flash)).await
}

fn row_cells(metric: Metric, r: &PlanRow) -> Markup {
    let missing = || html! { span.muted { "—" } };
    html! {
        td.n { @match r.target { Some(t) => (shown(metric, t)), None => (missing()) } }
        td.n { (shown(metric, r.actual)) }
        td.n.attainment { @match r.attainment_bp { Some(a) => (bp(a)), None => (missing()) } }
        td.n { @match r.month_target { Some(t) => (shown(metric, t)), None => (missing()) } }
        td.n { (shown(metric, r.month_actual)) }
        td.n { (shown(metric, r.month_projected)) }
        td.n.pace { @match r.pace_bp { Some(p) => (bp(p)), None => (missing()) } }
    }
}

/// Plan against actual for a period, branches ranked.
pub(super) async fn plan(State(state): State<AppState>, page: Page, FormQuery(p): FormQuery<PlanParams>) -> PageResult {
    let report =
        crate::http::plans::report(&state, &page.me.user, &p).await.map_err(|e| ConsoleError::App(e, page.lang))?;
    let metric = report.metric;
    let branches = state.db(|s| s.list_branches()).await?;
    let body = html! {
        form.inline method="get" {
            label { (page.t(C::From)) input type="date" name="from" value=(report.from); }
            label { (page.t(C::To)) input type="date" name="to" value=(report.to); }
            label { (page.t(C::Metric)) select name="metric" {
                @for m in Metric::ALL { option value=(m.code()) selected[m == metric] { (page.t(metric_word(m))) } }
            } }
            @if page.me.user.branch_scope().is_none() {
                label { (page.t(C::Branch)) select name="branch_id" {
                    option value="" { (page.t(C::AllBranches)) }
                    @for b in &branches { option value=(b.id.0) selected[p.branch_id == Some(b.id.0)] { (b.code) " " (b.name) } }
                } }
            }
            button type="submit" { (page.t(C::Show)) }
            " " a href="/console/targets" { (page.t(C::Targets)) }
        }
        p.muted { (page.t(C::PlanHelp)) }
        table #plan {
            thead { tr {
                th.n { (page.t(C::Rank)) } th { (page.t(C::Branch)) }
                th.n { (page.t(C::Target)) } th.n { (page.t(C::Actual)) } th.n { (page.t(C::Attainment)) }
                th.n { (page.t(C::MonthTarget)) } th.n { (page.t(C::MonthToDate)) } th.n { (page.t(C::AtThisPace)) } th.n { (page.t(C::Pace)) }
            } }
            tbody {
                @for r in &report.rows {
                    tr data-branch=(r.branch_id.0) {
                        td.n { @if let Some(k) = r.rank { (k) } }
                        td { (r.code) " " (r.name) }
                        (row_cells(metric, r))
                    }
                }
            }
            @if report.rows.len() > 1 {
                tfoot { tr #chain {
                    td {} td { (page.t(C::Chain)) }
                    (row_cells(metric, &report.chain))
                } }
            }
        }
    };
    let title = format!("{} · {} – {}", page.t(C::PlanVsActual), report.from, report.to);
    Ok(layout(&page, Menu::Plans, &title, body))
}

/// The dashboard's progress table: today's and this month's net sales against target per branch
/// (nothing when this month has no targets).
pub(super) async fn progress(state: &AppState, page: &Page) -> Result<Markup, ConsoleError> {
    let today = state.chain_day().await.map_err(|e| ConsoleError::App(e, page.lang))?.day;
    let ask = |from| PlanParams { from: Some(from), to: Some(today), branch_id: None, metric: None, category_id: None };
    let day = crate::http::plans::report(state, &page.me.user, &ask(today))
        .await
        .map_err(|e| ConsoleError::App(e, page.lang))?;
    let month = crate::http::plans::report(state, &page.me.user, &ask(today.first_of_month()))
        .await
        .map_err(|e| ConsoleError::App(e, page.lang))?;
    if month.rows.iter().all(|r| r.month_target.is_none()) {
        return Ok(html! {});
    }
    let missing = || html! { span.muted { "—" } };
    Ok(html! {
        h2 { (page.t(C::TodayAndMonth)) " · " a href="/console/plan" { (page.t(C::PlanVsActual)) } }
        table #progress {
            thead { tr {
                th { (page.t(C::Branch)) }
                th.n { (page.t(C::Today)) " · " (page.t(C::Target)) } th.n { (page.t(C::Today)) " · " (page.t(C::Actual)) }
                th.n { (page.t(C::MonthTarget)) } th.n { (page.t(C::MonthToDate)) } th.n { (page.t(C::Attainment)) }
                th.n { (page.t(C::Pace)) }
            } }
            tbody {
                @for r in &month.rows {
                    @let d = day.rows.iter().find(|x| x.branch_id == r.branch_id);
                    tr data-branch=(r.branch_id.0) {
                        td { (r.code) " " (r.name) }
                        td.n { @match d.and_then(|d| d.target) { Some(t) => (yuan(t)), None => (missing()) } }
                        td.n { (yuan(d.map_or(0, |d| d.actual))) }
                        td.n { @match r.month_target { Some(t) => (yuan(t)), None => (missing()) } }
                        td.n { (yuan(r.month_actual)) }
                        td.n { @match r.month_target.and_then(|t| shared::plans::attainment_bp(r.month_actual, t)) { Some(a) => (bp(a)), None => (missing()) } }
                        td.n.pace { @match r.pace_bp { Some(p) => (bp(p)), None => (missing()) } }
                    }
                }
            }
        }
    })
}
