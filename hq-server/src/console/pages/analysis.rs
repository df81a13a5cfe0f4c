//! Member analysis (会员分析): RFM segments of the members who bought in a period with what each
//! spent, the 80/20 curve, and a segment's members with their scores and a CSV of them for a
//! coupon campaign (the API's file); cohorts by month of enrolment and members by tier over time.

use axum::extract::State;
use axum::response::Redirect;
use maud::html;
use serde::Deserialize;
use shared::analysis::Segment;

use crate::authz::can;
use crate::console::FormQuery;
use crate::console::{C, ConsoleError, Menu, Page, PageResult, layout, yuan};
use crate::http::AppState;
use crate::http::analysis::{AnalysisParams, MonthsParams, RunBody};

fn bp(b: i64) -> String {
    format!("{}.{:02} %", b / 100, b % 100)
}

/// Rows of a segment's list on the page (the API's CSV has them all).
const SHOWN: u64 = 500;

pub(super) async fn analysis(
    State(state): State<AppState>,
    page: Page,
    FormQuery(p): FormQuery<AnalysisParams>,
) -> PageResult {
    let found =
        crate::http::analysis::analysis(&state, &(&p).into()).await.map_err(|e| ConsoleError::App(e, page.lang))?;
    let (from, to, report) = (found.from, found.to, found.report.clone());
    let segment = p.segment.as_deref().and_then(Segment::parse);
    let shown = match segment {
        Some(s) => found.members(&state, Some(s), Some(SHOWN)).await.map_err(|e| ConsoleError::App(e, page.lang))?,
        None => Vec::new(),
    };
    let in_segment =
        segment.and_then(|s| report.segments.iter().find(|r| r.segment == s.code())).map_or(0, |r| r.members);
    let branches = state.db(|s| s.list_branches()).await?;
    let runs = state.db(|s| s.rfm_runs(5)).await?;
    let running = runs.iter().any(|r| r.state == "running");
    let query = |seg: &str| {
        let mut q = format!("from={from}&to={to}&segment={seg}");
        if let Some(b) = p.branch_id {
            q.push_str(&format!("&branch_id={b}"));
        }
        q
    };
    let body = html! {
        p.links { strong { "RFM" } " · " a href="/console/analysis/cohorts" { (page.t(C::Cohorts)) } }
        form.inline method="get" {
            label { (page.t(C::From)) input type="date" name="from" value=(from); }
            label { (page.t(C::To)) input type="date" name="to" value=(to); }
            label { (page.t(C::Branch)) select name="branch_id" {
                option value="" { (page.t(C::AllBranches)) }
                @for b in &branches { option value=(b.id.0) selected[p.branch_id == Some(b.id.0)] { (b.code) " " (b.name) } }
            } }
            button type="submit" { (page.t(C::Show)) }
        }
        p #source .muted {
            @if let Some(run) = report.run {
                (page.t(C::RfmStored)) " #" (run.id) " · " (crate::analysis_runs::finished(Some(run.finished_at)))
            } @else {
                (page.t(C::RfmComputed))
            }
        }
        p.muted { (page.t(C::RfmHelp)) }
        table #segments {
            thead { tr { th { (page.t(C::Segment)) } th.n { (page.t(C::Members)) } th.n { (page.t(C::Spend)) } th.n { (page.t(C::Share)) } th {} } }
            tbody { @for s in &report.segments { tr data-segment=(s.segment) {
                td { a href={ "/console/analysis?" (query(&s.segment)) } { (s.name) } }
                td.n { (s.members) } td.n { (yuan(s.spend)) } td.n { (bp(s.share_bp)) }
                td { a href={ "/api/v1/analysis/rfm/members?format=csv&" (query(&s.segment)) } { "CSV" } }
            } } }
        }
        h2 { (page.t(C::Pareto)) }
        table #pareto {
            thead { tr { th { (page.t(C::TopMembers)) } @for pt in &report.pareto { th.n { (bp(pt.members_bp.0)) } } } }
            tbody { tr { td { (page.t(C::ShareOfSales)) } @for pt in &report.pareto { td.n { (bp(pt.sales_bp.0)) } } } }
        }
        @if let Some(s) = segment {
            h2 #segment-members { (s.name_zh()) " · " (in_segment) }
            @if in_segment > SHOWN { p.muted { (page.t(C::RfmFirstShown)) " " (SHOWN) } }
            table #members {
                thead { tr { th { (page.t(C::Code)) } th { (page.t(C::Name)) } th.n { "R" } th.n { "F" } th.n { "M" } th { (page.t(C::Day)) } th.n { (page.t(C::Orders)) } th.n { (page.t(C::Spend)) } } }
                tbody { @for m in &shown { tr {
                    td { (m.code) } td { (m.name) } td.n { (m.r) } td.n { (m.f) } td.n { (m.m) }
                    td { (m.last_day) } td.n { (m.orders) } td.n { (yuan(m.spend)) }
                } } }
            }
        }
        h2 { (page.t(C::RfmRuns)) }
        p.muted { (page.t(C::RfmRunsHelp)) }
        @if !running {
            form #start-run method="post" action="/console/analysis/runs" {
                (page.csrf_field())
                button type="submit" { (page.t(C::RfmRunNow)) }
            }
        }
        table #runs {
            thead { tr { th { "#" } th { (page.t(C::From)) } th { (page.t(C::To)) } th { (page.t(C::Status)) } th.n { (page.t(C::Members)) } th { (page.t(C::StartedBy)) } th { (page.t(C::FinishedAt)) } } }
            tbody { @for r in &runs { tr data-state=(r.state) {
                td { (r.id) } td { (r.from) } td { (r.to) }
                td {
                    (page.t(run_state_word(&r.state)))
                    @if r.state == "running" {
                        " · " (r.phase) " " (r.done) @if let Some(n) = r.steps { " / " (n) }
                        " · " a href="/console/analysis" { (page.t(C::Refresh)) }
                    }
                    @if let Some(e) = &r.error { " · " (e) }
                }
                td.n { @if let Some(n) = r.members { (n) } }
                td { (r.started_by) }
                td { (crate::analysis_runs::finished(r.finished_at)) }
            } } }
        }
    };
    Ok(layout(&page, Menu::Analysis, &format!("{} · {} – {}", page.t(C::Analysis), from, to), body))
}

fn run_state_word(state: &str) -> C {
    match state {
        "running" => C::RfmRunning,
        "done" => C::RfmDone,
        _ => C::RfmFailed,
    }
}

#[derive(Deserialize)]
pub(super) struct RunForm {
    #[serde(rename = "_csrf")]
    csrf: String,
}

/// Starts a stored run (as the nightly job does) and comes back to the page, which shows its
/// progress.
pub(super) async fn start_run(
    State(state): State<AppState>,
    page: Page,
    axum::Form(f): axum::Form<RunForm>,
) -> Result<Redirect, ConsoleError> {
    page.check_csrf(&f.csrf)?;
    page.require(can::SEE_MEMBERS)?;
    let by = page.me.user.username.clone();
    crate::http::analysis::start_run(&state, RunBody::default(), by)
        .await
        .map_err(|e| ConsoleError::App(e, page.lang))?;
    Ok(Redirect::to("/console/analysis"))
}

/// Cohorts by month of enrolment and members by tier at each month's end, over the same months.
pub(super) async fn cohorts(
    State(state): State<AppState>,
    page: Page,
    FormQuery(p): FormQuery<MonthsParams>,
) -> PageResult {
    let report = crate::http::analysis::cohort_report(&state, &p).await.map_err(|e| ConsoleError::App(e, page.lang))?;
    let tiers = crate::http::analysis::tier_report(&state, &p).await.map_err(|e| ConsoleError::App(e, page.lang))?;
    let branches = state.db(|s| s.list_branches()).await?;
    let width = report.cohorts.first().map_or(0, |c| c.buying.len());
    let body = html! {
        p.links { a href="/console/analysis" { "RFM" } " · " strong { (page.t(C::Cohorts)) } }
        form.inline method="get" {
            label { (page.t(C::FromMonth)) input type="month" name="from" value=(report.from); }
            label { (page.t(C::ToMonth)) input type="month" name="to" value=(report.to); }
            label { (page.t(C::Branch)) select name="branch_id" {
                option value="" { (page.t(C::AllBranches)) }
                @for b in &branches { option value=(b.id.0) selected[p.branch_id == Some(b.id.0)] { (b.code) " " (b.name) } }
            } }
            button type="submit" { (page.t(C::Show)) }
        }
        p.muted { (page.t(C::CohortHelp)) }
        table #cohorts {
            thead { tr {
                th { (page.t(C::EnrolMonth)) } th.n { (page.t(C::Members)) }
                @for k in 0..width { th.n { "+" (k) } }
            } }
            tbody { @for c in &report.cohorts { tr data-month=(c.month) {
                td { (c.month) } td.n { (c.members) }
                @for (n, share) in c.buying.iter().zip(&c.retention_bp) {
                    td.n title=(bp(*share)) { (n) br; small.muted { (bp(*share)) } }
                }
            } } }
        }
        p.muted { "+N: " (page.t(C::MonthsLater)) }
        h2 { (page.t(C::TiersOverTime)) }
        table #tiers {
            thead { tr {
                th { (page.t(C::Month)) } th.n { (page.t(C::Members)) }
                @for t in &tiers.tiers { th.n data-tier=(t.code) { (t.name) } }
            } }
            tbody { @for m in &tiers.months { tr data-month=(m.month) {
                td { (m.month) } td.n { (m.members) }
                @for n in &m.tiers { td.n { (n) } }
            } } }
        }
    };
    Ok(layout(&page, Menu::Analysis, &format!("{} · {} – {}", page.t(C::Cohorts), report.from, report.to), body))
}
