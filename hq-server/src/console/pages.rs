//! The console's pages: the dashboard and its drill-down, branches and tills, the catalog,
//! members, the member policy, finance reports and the audit log.

use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use maud::{Markup, PreEscaped, html};
use serde::Deserialize;
use shared::ids::{BranchId, MemberId, TillId};
use shared::money::Money;

use super::chart;
use super::jobs::{JobKind, JobOutcome};
use super::{C, ConsoleError, CsrfForm, Menu, Page, PageResult, from_code, layout, redirect, yuan};
use crate::http::AppState;
use crate::model::{Adjustment, Role, TillStatus};
use crate::reports::{Cell, Report, ReportKind, ReportQuery, Unit};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console", get(dashboard))
        .route("/console/branches", get(branches).post(add_branch))
        .route("/console/branches/{id}", get(branch).post(save_branch))
        .route("/console/branches/{id}/tills", post(register_till))
        .route("/console/tills/{id}", get(till_page))
        .route("/console/tills/{id}/revoke", post(revoke_till))
        .route("/console/branches/{id}/days", get(branch_days))
        .route("/console/branches/{id}/days/{day}", get(branch_day))
        .route("/console/sales/{branch}/{receipt}", get(sale))
        .route("/console/catalog", get(catalog))
        .route("/console/catalog/import", post(import_catalog).layer(DefaultBodyLimit::max(IMPORT_BYTES)))
        .route("/console/catalog/export", get(export_catalog))
        .route("/console/products/{id}", get(product).post(save_product))
        .route("/console/products/{id}/price", post(branch_price))
        .route("/console/members", get(members))
        .route("/console/members/import", post(import_members).layer(DefaultBodyLimit::max(IMPORT_BYTES)))
        .route("/console/members/{id}", get(member).post(adjust_member))
        .route("/console/policy", get(policy).post(save_policy))
        .route("/console/finance", get(finance))
        .route("/console/audit", get(audit))
        .route("/console/users", get(users).post(add_user))
        .route("/console/users/{id}", post(toggle_user))
        .route("/console/members/{id}/cards", post(member_card))
        .route("/console/jobs/{id}", get(job))
}

const EVERYONE: &[Role] = &[Role::Admin, Role::Finance, Role::Marketing, Role::BranchManager];
const HQ: &[Role] = &[Role::Admin, Role::Finance, Role::Marketing];

fn today() -> Date {
    crate::reports::hq_today()
}

#[derive(Deserialize, Default)]
struct Range {
    from: Option<Date>,
    to: Option<Date>,
    branch: Option<i64>,
}

impl Range {
    /// The dates (today by default; at most a year), and the branch a user may look at.
    fn resolve(&self, page: &Page) -> Result<(Date, Date, Option<BranchId>), ConsoleError> {
        let to = self.to.unwrap_or_else(today);
        let from = self.from.unwrap_or(to);
        if from > to || to.since(from).map(|s| s.get_days()).unwrap_or(0) > 366 {
            return Err(page.invalid("choose up to a year, from before to"));
        }
        let branch = match (page.me.user.role, self.branch) {
            (Role::BranchManager, _) => page.me.user.branch_id,
            (_, b) => b.map(BranchId),
        };
        if let Some(b) = branch {
            see(page, b)?;
        }
        Ok((from, to, branch))
    }
}

fn see(page: &Page, branch: BranchId) -> Result<(), ConsoleError> {
    if page.me.user.sees_branch(branch) { Ok(()) } else { Err(ConsoleError::NotFound(page.lang)) }
}

async fn report(
    state: &AppState,
    kind: ReportKind,
    from: Date,
    to: Date,
    branch: Option<BranchId>,
) -> Result<Report, ConsoleError> {
    let q = ReportQuery { kind, from, to, branch };
    Ok(state.db(move |s| s.report(&q)).await?)
}

fn col(r: &Report, name: &str) -> usize {
    r.col(name).unwrap_or(0)
}

fn total(r: &Report, name: &str) -> i64 {
    r.totals.get(col(r, name)).map_or(0, Cell::int)
}

fn cell_text(c: &Cell) -> String {
    match c {
        Cell::Text(s) => s.clone(),
        Cell::Int(i) => i.to_string(),
    }
}

fn fmt_count(n: i64) -> String {
    n.to_string()
}

/// A report as a table, in its columns' units, with its totals.
fn table(page: &Page, r: &Report) -> Markup {
    let show = |unit: Unit, c: &Cell| match (unit, c) {
        (Unit::Money, Cell::Int(i)) => yuan(*i),
        (Unit::Bp, Cell::Int(i)) => format!("{}.{:02}%", i / 100, i % 100),
        (_, c) => cell_text(c),
    };
    html! {
        table {
            thead { tr { @for c in &r.columns { th.n[c.unit != Unit::Text] { (c.name) } } } }
            tbody {
                @for row in &r.rows {
                    tr { @for (c, cell) in r.columns.iter().zip(row) { td.n[c.unit != Unit::Text] { (show(c.unit, cell)) } } }
                }
            }
            tfoot { tr { @for (c, cell) in r.columns.iter().zip(&r.totals) { td.n[c.unit != Unit::Text] { @if c.summed || c.unit == Unit::Text { (show(c.unit, cell)) } } } } }
        }
        @if !r.notes.is_empty() {
            p.muted { @for (k, v) in &r.notes { (k) ": " (cell_text(v)) "  " } (page.t(C::Totals)) }
        }
    }
}

fn range_form(
    page: &Page,
    action: &str,
    from: Date,
    to: Date,
    branch: Option<BranchId>,
    branches: &[(BranchId, String)],
) -> Markup {
    html! {
        form.inline method="get" action=(action) {
            label { (page.t(C::From)) input type="date" name="from" value=(from); }
            label { (page.t(C::To)) input type="date" name="to" value=(to); }
            @if page.me.user.role != Role::BranchManager {
                label { (page.t(C::Branch))
                    select name="branch" {
                        option value="" { (page.t(C::AllBranches)) }
                        @for (id, name) in branches { option value=(id.0) selected[Some(*id) == branch] { (name) } }
                    }
                }
            }
            button type="submit" { (page.t(C::Show)) }
        }
    }
}

async fn branch_names(state: &AppState, page: &Page) -> Result<Vec<(BranchId, String)>, ConsoleError> {
    let all = state.db(|s| s.list_branches()).await?;
    Ok(all
        .into_iter()
        .filter(|b| page.me.user.sees_branch(b.id))
        .map(|b| (b.id, format!("{} {}", b.code, b.name)))
        .collect())
}

async fn dashboard(State(state): State<AppState>, page: Page, Query(range): Query<Range>) -> PageResult {
    page.require(EVERYONE)?;
    let (from, to, branch) = range.resolve(&page)?;
    let names = branch_names(&state, &page).await?;
    let by_branch = report(&state, ReportKind::SalesByBranch, from, to, branch).await?;
    let by_day = report(&state, ReportKind::SalesByDay, from, to, branch).await?;
    let tenders = report(&state, ReportKind::Tenders, from, to, branch).await?;
    let members = report(&state, ReportKind::Members, from, to, branch).await?;
    let points = report(&state, ReportKind::Points, from, to, branch).await?;
    let tiers = report(&state, ReportKind::MembersByTier, from, to, None).await?;
    let stored = report(&state, ReportKind::StoredValue, from, to, None).await?;

    let due = total(&by_branch, "due");
    let count = total(&by_branch, "sales");
    let basket = if count > 0 { due / count } else { 0 };
    let member_due = total(&members, "member_due");
    let share = if due > 0 { member_due * 10_000 / due } else { 0 };
    let kind_points = |kind: &str| {
        points
            .rows
            .iter()
            .find(|r| r.first().map(cell_text).as_deref() == Some(kind))
            .map_or(0, |r| r[col(&points, "points")].int())
    };
    let sv_out = stored.notes.iter().find(|(k, _)| k == "stored_value_outstanding_fen").map_or(0, |(_, v)| v.int());
    let code_to_id = |code: &str| names.iter().find(|(_, n)| n.split(' ').next() == Some(code)).map(|(id, _)| *id);
    let days: Vec<(String, i64, Option<String>)> = {
        let mut per_day: std::collections::BTreeMap<String, i64> = Default::default();
        for r in &by_day.rows {
            *per_day.entry(cell_text(&r[0])).or_default() += r[col(&by_day, "due")].int();
        }
        per_day.into_iter().map(|(d, v)| (d.get(5..).unwrap_or(&d).to_owned(), v, None)).collect()
    };
    let branches_chart: Vec<(String, i64, Option<String>)> = by_branch
        .rows
        .iter()
        .map(|r| {
            let code = cell_text(&r[0]);
            let link = code_to_id(&code).map(|id| format!("/console/branches/{}/days?from={from}&to={to}", id.0));
            (code, r[col(&by_branch, "due")].int(), link)
        })
        .collect();
    let tender_mix: Vec<(String, i64)> =
        tenders.rows.iter().map(|r| (cell_text(&r[0]), r[col(&tenders, "net")].int())).collect();
    let tier_mix: Vec<(String, i64)> =
        tiers.rows.iter().map(|r| (cell_text(&r[0]), r[col(&tiers, "members")].int())).collect();

    let body = html! {
        (range_form(&page, "/console", from, to, branch, &names))
        div.cards {
            div.card #card-sales { (page.t(C::Sales)) b { (yuan(due)) } }
            div.card #card-count { (page.t(C::Transactions)) b { (count) } }
            div.card { (page.t(C::AvgBasket)) b { (yuan(basket)) } }
            div.card { (page.t(C::MemberShare)) b { (share / 100) "." (format!("{:02}", share % 100)) "%" } }
            div.card { (page.t(C::PointsIssued)) b { (kind_points("earn")) } }
            div.card { (page.t(C::PointsRedeemed)) b { (-kind_points("redeem")) } }
            div.card { (page.t(C::StoredValue)) b { (yuan(sv_out)) } }
        }
        p.muted { (page.t(C::Drill)) }
        table #branches {
            thead { tr { th { (page.t(C::Branch)) } th.n { (page.t(C::Transactions)) } th.n { (page.t(C::Sales)) } th.n { (page.t(C::AvgBasket)) } } }
            tbody {
                @for r in &by_branch.rows {
                    @let code = cell_text(&r[0]);
                    @let n = r[col(&by_branch, "sales")].int();
                    @let d = r[col(&by_branch, "due")].int();
                    tr {
                        td { @if let Some(id) = code_to_id(&code) { a href={ "/console/branches/" (id.0) "/days?from=" (from) "&to=" (to) } { (code) " " (cell_text(&r[1])) } } @else { (code) } }
                        td.n { (n) } td.n { (yuan(d)) } td.n { (yuan(if n > 0 { d / n } else { 0 })) }
                    }
                }
            }
        }
        div.charts {
            (chart::bars(page.t(C::TrendByDay), &days, yuan))
            (chart::bars(page.t(C::BranchComparison), &branches_chart, yuan))
            (chart::shares(page.t(C::TenderMix), &tender_mix, yuan))
            (chart::shares(page.t(C::TierMix), &tier_mix, fmt_count))
        }
    };
    Ok(layout(&page, Menu::Dashboard, page.t(C::Dashboard), body))
}

async fn branch_days(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    Query(range): Query<Range>,
) -> PageResult {
    page.require(EVERYONE)?;
    let b = BranchId(id);
    see(&page, b)?;
    let r = Range { branch: Some(id), ..range };
    let (from, to, _) = r.resolve(&page)?;
    let settings = state.db(move |s| s.get_branch(b)).await.map_err(|_| ConsoleError::NotFound(page.lang))?;
    let by_day = report(&state, ReportKind::SalesByDay, from, to, Some(b)).await?;
    let body = html! {
        form.inline method="get" {
            label { (page.t(C::From)) input type="date" name="from" value=(from); }
            label { (page.t(C::To)) input type="date" name="to" value=(to); }
            button type="submit" { (page.t(C::Show)) }
        }
        table #days {
            thead { tr { th { (page.t(C::Day)) } th.n { (page.t(C::Transactions)) } th.n { (page.t(C::Sales)) } } }
            tbody {
                @for row in &by_day.rows {
                    @let day = cell_text(&row[0]);
                    tr {
                        td { a href={ "/console/branches/" (id) "/days/" (day) } { (day) } }
                        td.n { (row[col(&by_day, "sales")].int()) }
                        td.n { (yuan(row[col(&by_day, "due")].int())) }
                    }
                }
            }
        }
    };
    Ok(layout(&page, Menu::Dashboard, &format!("{} {}", settings.code, settings.name), body))
}

async fn branch_day(State(state): State<AppState>, page: Page, Path((id, day)): Path<(i64, Date)>) -> PageResult {
    page.require(EVERYONE)?;
    let b = BranchId(id);
    see(&page, b)?;
    let settings = state.db(move |s| s.get_branch(b)).await.map_err(|_| ConsoleError::NotFound(page.lang))?;
    let by_till = report(&state, ReportKind::SalesByTill, day, day, Some(b)).await?;
    let shifts = report(&state, ReportKind::Shifts, day, day, Some(b)).await?;
    // The day's sales, read by the (branch, business day) index; a very busy day shows its newest.
    const SHOWN: u32 = 5_000;
    let sales = state.db(move |s| s.list_sales(Some(b), Some(day), SHOWN)).await?;
    let tills = state.db(move |s| s.list_tills(b)).await?;
    let till_no = |t: TillId| tills.iter().find(|x| x.id == t).map_or(0, |x| x.number);
    let body = html! {
        h2 { (page.t(C::Till)) }
        (table(&page, &by_till))
        h2 { (page.t(C::Shifts)) }
        (table(&page, &shifts))
        h2 { (page.t(C::Sales)) " (" (sales.len()) ")" }
        @if sales.len() as u32 == SHOWN { p.muted { (page.t(C::NewestShown)) (SHOWN) } }
        table #sales {
            thead { tr { th { (page.t(C::Receipt)) } th { (page.t(C::Till)) } th { (page.t(C::Time)) } th.n { (page.t(C::Lines)) } th.n { (page.t(C::Amount)) } th { (page.t(C::Member)) } } }
            tbody {
                @for s in &sales {
                    tr {
                        td { a href={ "/console/sales/" (id) "/" (s.receipt_no) } { (s.receipt_no) } }
                        td { (format!("{:02}", till_no(s.till_id))) }
                        td { (s.completed_at.strftime("%H:%M:%S")) }
                        td.n { (s.lines) }
                        td.n { (yuan(s.due)) }
                        td { @if s.member_id.is_some() { "✓" } }
                    }
                }
            }
        }
    };
    Ok(layout(&page, Menu::Dashboard, &format!("{} {} · {day}", settings.code, settings.name), body))
}

async fn sale(State(state): State<AppState>, page: Page, Path((branch, receipt)): Path<(i64, String)>) -> PageResult {
    page.require(EVERYONE)?;
    let b = BranchId(branch);
    see(&page, b)?;
    let r = receipt.clone();
    let history = state.db(move |s| s.sale_history(b, &r)).await?.ok_or(ConsoleError::NotFound(page.lang))?;
    let sale = &history.sale;
    let body = html! {
        p { (page.t(C::Day)) " " (sale.business_day) " · " (sale.completed_at.strftime("%Y-%m-%d %H:%M:%S UTC")) }
        table #lines {
            thead { tr { th { (page.t(C::Item)) } th.n { (page.t(C::Qty)) } th.n { (page.t(C::Price)) } th.n { (page.t(C::Net)) } } }
            tbody {
                @for l in &sale.lines {
                    tr { td { (l.item.name) } td.n { (l.priced.qty.display()) } td.n { (l.priced.unit) } td.n { (l.net) } }
                }
            }
            tfoot { tr { td { (page.t(C::Totals)) } td {} td {} td.n #sale-due { (sale.totals.due) } } }
        }
        h2 { (page.t(C::Tenders)) }
        table {
            tbody { @for t in &sale.tenders { tr { td { (t.kind.code()) } td.n { (t.amount) } td.n { @if t.points != 0 { (t.points) " " (page.t(C::Points)) } } } } }
        }
        @if let Some(m) = &sale.member {
            h2 { (page.t(C::Member)) }
            p #sale-points {
                (m.identifier.masked()) " · " (m.tier.clone().unwrap_or_default()) " · "
                (page.t(C::Points)) " +" (m.points_earned) " · v" (m.policy_version)
            }
        }
        @if !history.refunds.is_empty() {
            h2 { (page.t(C::Refunds)) }
            table { tbody { @for r in &history.refunds { tr { td { (r.receipt_no) } td { (r.reason) } td.n { (r.total + r.rounding) } td.n { "-" (r.points_taken_back) } } } } }
        }
    };
    Ok(layout(&page, Menu::Dashboard, &format!("{} {receipt}", page.t(C::Receipt)), body))
}

async fn branches(State(state): State<AppState>, page: Page) -> PageResult {
    branches_page(&state, &page, None).await
}

#[derive(Deserialize)]
struct NewBranchForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    code: String,
    name: String,
}

async fn add_branch(State(state): State<AppState>, page: Page, axum::Form(f): axum::Form<NewBranchForm>) -> PageResult {
    page.check_csrf(&f.csrf)?;
    page.require(&[Role::Admin])?;
    let actor = page.me.actor();
    let settings = crate::admin::default_branch(f.code.trim(), f.name.trim());
    let flash = match state.db(move |s| crate::admin::add_branch(s, &actor, settings)).await {
        Ok(b) => html! { p.ok { (page.t(C::Saved)) ": " (b.code) } },
        Err(e) => html! { p.error #branch-error { (e.to_string()) } },
    };
    branches_page(&state, &page, Some(flash)).await
}

async fn branches_page(state: &AppState, page: &Page, flash: Option<Markup>) -> PageResult {
    page.require(EVERYONE)?;
    let all = state.db(|s| s.list_branches()).await?;
    let body = html! {
        @if let Some(f) = flash { (f) }
        table #branch-list {
            thead { tr { th { (page.t(C::Code)) } th { (page.t(C::Name)) } th { (page.t(C::Address)) } th { (page.t(C::CashRounding)) } } }
            tbody {
                @for b in all.iter().filter(|b| page.me.user.sees_branch(b.id)) {
                    tr { td { a href={ "/console/branches/" (b.id.0) } { (b.code) } } td { (b.name) } td { (b.address) } td { (format!("{:?}", b.cash_rounding)) } }
                }
            }
        }
        @if page.me.user.role == Role::Admin {
            form.inline #add-branch method="post" action="/console/branches" {
                (page.csrf_field())
                label { (page.t(C::Code)) input name="code" required placeholder="B006"; }
                label { (page.t(C::Name)) input name="name" required; }
                button type="submit" { "+" }
            }
        }
    };
    Ok(layout(page, Menu::Branches, page.t(C::Branches), body))
}

async fn branch(State(state): State<AppState>, page: Page, Path(id): Path<i64>) -> PageResult {
    branch_page(&state, &page, id, None).await
}

async fn branch_page(state: &AppState, page: &Page, id: i64, flash: Option<Markup>) -> PageResult {
    page.require(EVERYONE)?;
    let b = BranchId(id);
    see(page, b)?;
    let settings = state.db(move |s| s.get_branch(b)).await.map_err(|_| ConsoleError::NotFound(page.lang))?;
    let tills = state.db(move |s| s.list_tills(b)).await?;
    let ids: Vec<TillId> = tills.iter().map(|t| t.id).collect();
    let sync = state.db(move |s| ids.iter().map(|t| s.sync_status(*t)).collect::<Result<Vec<_>, _>>()).await?;
    let admin = page.me.user.role == Role::Admin;
    let managers = matches!(page.me.user.role, Role::Admin | Role::BranchManager);
    let roundings = ["None", "DownToJiao", "HalfUpToJiao", "DownToYuan", "HalfUpToYuan"];
    let current = format!("{:?}", settings.cash_rounding);
    let body = html! {
        @if let Some(f) = flash { (f) }
        form.box method="post" action={ "/console/branches/" (id) } {
            (page.csrf_field())
            label { (page.t(C::Name)) input name="name" value=(settings.name) disabled[!admin]; }
            label { (page.t(C::Address)) input name="address" value=(settings.address) disabled[!admin]; }
            label { (page.t(C::Phone)) input name="phone" value=(settings.phone) disabled[!admin]; }
            label { (page.t(C::ReceiptHeader)) textarea name="header" rows="3" cols="50" disabled[!admin] { (settings.receipt_header.join("\n")) } }
            label { (page.t(C::ReceiptFooter)) textarea name="footer" rows="3" cols="50" disabled[!admin] { (settings.receipt_footer.join("\n")) } }
            label { (page.t(C::CashRounding))
                select name="rounding" disabled[!admin] { @for r in roundings { option value=(r) selected[current == r] { (r) } } }
            }
            @if admin { br; button type="submit" { (page.t(C::Save)) } }
        }
        h2 { (page.t(C::Till)) }
        table #tills {
            thead { tr {
                th { "#" } th { (page.t(C::Name)) } th { (page.t(C::Status)) } th { (page.t(C::LastSync)) }
                th.n { (page.t(C::Waiting)) } th.n { (page.t(C::Rejected)) } th.n { (page.t(C::ClockSkew)) } th {}
            } }
            tbody {
                @for (t, s) in tills.iter().zip(&sync) {
                    tr {
                        td { a href={ "/console/tills/" (t.id.0) } { (format!("{:02}", t.number)) } }
                        td { (t.name) " " (t.device_name.clone().unwrap_or_default()) }
                        td { (format!("{:?}", t.status)) }
                        td { (s.last_push_at.map(|a| a.strftime("%Y-%m-%d %H:%M").to_string()).unwrap_or_else(|| "—".into())) }
                        td.n { (s.open_gaps.len()) }
                        td.n { @if s.events_rejected > 0 {
                            a.error href={ "/console/tills/" (t.id.0) "?rejected=1" } { (s.events_rejected) }
                        } @else { "0" } }
                        td.n { (skew_text(s.clock_skew_seconds)) }
                        td { @if managers && t.status != TillStatus::Revoked {
                            form method="post" action={ "/console/tills/" (t.id.0) "/revoke" } { (page.csrf_field()) button.danger type="submit" { (page.t(C::Revoke)) } }
                        } }
                    }
                }
            }
        }
        @if managers {
            form.inline method="post" action={ "/console/branches/" (id) "/tills" } {
                (page.csrf_field())
                label { (page.t(C::Name)) input name="name"; }
                button #register-till type="submit" { (page.t(C::RegisterTill)) }
            }
        }
    };
    Ok(layout(page, Menu::Branches, &format!("{} {}", settings.code, settings.name), body))
}

/// A till's clock skew at its last push, marked when beyond the five minutes HQ warns about.
fn skew_text(skew: Option<i64>) -> Markup {
    match skew {
        None => html! { "—" },
        Some(s) if s.abs() > 300 => html! { span.error { (format!("{s:+} s")) } },
        Some(s) => html! { (format!("{s:+} s")) },
    }
}

#[derive(Deserialize)]
struct TillEventsQuery {
    rejected: Option<u8>,
}

/// A till's sync health and its latest events; every rejected event with HQ's reason.
async fn till_page(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    Query(q): Query<TillEventsQuery>,
) -> PageResult {
    page.require(EVERYONE)?;
    let till = TillId(id);
    let t = state.db(move |s| s.get_till(till)).await.map_err(|_| ConsoleError::NotFound(page.lang))?;
    see(&page, t.branch_id)?;
    let rejected_only = q.rejected == Some(1);
    let (sync, events) =
        state.db(move |s| Ok((s.sync_status(till)?, s.list_events(till, rejected_only, 500)?))).await?;
    let body = html! {
        p { a href={ "/console/branches/" (t.branch_id.0) } { (t.branch_code) } " · " (t.name) " " (t.device_name.clone().unwrap_or_default()) " · " (format!("{:?}", t.status)) }
        div.cards {
            div.card { (page.t(C::LastSync)) b { (sync.last_push_at.map(|a| a.strftime("%m-%d %H:%M").to_string()).unwrap_or_else(|| "—".into())) } }
            div.card #accepted { (page.t(C::Accepted)) b { (sync.events_accepted) } }
            div.card #rejected { (page.t(C::Rejected)) b { (sync.events_rejected) } }
            div.card { (page.t(C::ClockSkew)) b { (skew_text(sync.clock_skew_seconds)) } }
            div.card { (page.t(C::NextSeq)) b { (sync.next_seq) } }
        }
        @if !sync.open_gaps.is_empty() {
            h2 { (page.t(C::Waiting)) }
            table #gaps { tbody { @for g in &sync.open_gaps { tr { td { (page.t(C::ExpectedSeq)) " " (g.expected) } td { (page.t(C::Received)) " " (g.received) } } } } }
        }
        h2 { (page.t(C::Events)) }
        p { @if rejected_only {
            a href={ "/console/tills/" (id) } { (page.t(C::AllEvents)) }
        } @else {
            a #only-rejected href={ "/console/tills/" (id) "?rejected=1" } { (page.t(C::OnlyRejected)) }
        } }
        table #events {
            thead { tr { th.n { "#" } th { (page.t(C::Kind)) } th { (page.t(C::TillTime)) } th { (page.t(C::Received)) } th { (page.t(C::Status)) } th { (page.t(C::Reason)) } } }
            tbody { @for e in &events { tr {
                td.n { (e.seq) } td { (e.kind) }
                td { (e.till_at.strftime("%Y-%m-%d %H:%M:%S")) } td { (e.received_at.strftime("%Y-%m-%d %H:%M:%S")) }
                td { @if e.status == "rejected" { span.error { (page.t(C::Rejected)) } } @else { (page.t(C::Accepted)) } }
                td { (e.reason.clone().unwrap_or_default()) }
            } } }
        }
    };
    Ok(layout(&page, Menu::Branches, &format!("{} {} · {:02}", page.t(C::Till), t.branch_code, t.number), body))
}

#[derive(Deserialize)]
struct BranchForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    name: String,
    address: String,
    phone: String,
    header: String,
    footer: String,
    rounding: String,
}

async fn save_branch(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<BranchForm>,
) -> PageResult {
    page.check_csrf(&f.csrf)?;
    page.require(&[Role::Admin])?;
    let b = BranchId(id);
    let mut settings = state.db(move |s| s.get_branch(b)).await.map_err(|_| ConsoleError::NotFound(page.lang))?;
    settings.name = f.name.trim().to_owned();
    settings.address = f.address.trim().to_owned();
    settings.phone = f.phone.trim().to_owned();
    settings.receipt_header = f.header.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect();
    settings.receipt_footer = f.footer.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect();
    settings.cash_rounding = from_code(&f.rounding).ok_or_else(|| page.invalid("unknown cash rounding"))?;
    if settings.name.is_empty() {
        return Err(page.invalid("a branch needs a name"));
    }
    let actor = page.me.actor();
    state.db(move |s| crate::admin::update_branch(s, &actor, settings)).await?;
    branch_page(&state, &page, id, Some(html! { p.ok { (page.t(C::Saved)) } })).await
}

#[derive(Deserialize)]
struct TillForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    name: String,
}

async fn register_till(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<TillForm>,
) -> PageResult {
    page.check_csrf(&f.csrf)?;
    page.require(&[Role::Admin, Role::BranchManager])?;
    let b = BranchId(id);
    see(&page, b)?;
    let actor = page.me.actor();
    let ttl = state.config.enrolment_code_ttl;
    let (till, code) = state.db(move |s| crate::admin::add_till(s, &actor, b, f.name.trim(), ttl)).await?;
    let flash = html! {
        p.ok #enrolment-code { (page.t(C::EnrolmentCode)) " · " (page.t(C::Till)) " " (format!("{:02}", till.number)) ": " strong { (code) } }
    };
    branch_page(&state, &page, id, Some(flash)).await
}

async fn revoke_till(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<CsrfForm>,
) -> PageResult {
    page.check_csrf(&f.csrf)?;
    page.require(&[Role::Admin, Role::BranchManager])?;
    let t = TillId(id);
    let till = state.db(move |s| s.get_till(t)).await.map_err(|_| ConsoleError::NotFound(page.lang))?;
    see(&page, till.branch_id)?;
    let actor = page.me.actor();
    state.db(move |s| s.revoke_till(&actor, t)).await?;
    Ok(redirect(&format!("/console/branches/{}", till.branch_id.0)))
}

#[derive(Deserialize, Default)]
struct Search {
    q: Option<String>,
}

async fn catalog(State(state): State<AppState>, page: Page, Query(q): Query<Search>) -> PageResult {
    page.require(HQ)?;
    catalog_page(&state, &page, q.q.unwrap_or_default(), None).await
}

async fn catalog_page(state: &AppState, page: &Page, q: String, flash: Option<Markup>) -> PageResult {
    let query = q.clone();
    let (products, count) = state
        .db(move |s| {
            let query = query.trim();
            Ok((s.list_products(0, 100, (!query.is_empty()).then_some(query))?, s.count_products()?))
        })
        .await?;
    let body = html! {
        @if let Some(f) = flash { (f) }
        form.inline method="get" { label { (page.t(C::Search)) input name="q" value=(q); } button type="submit" { (page.t(C::Search)) } }
        @if page.me.user.role == Role::Admin {
            form.inline #import method="post" action="/console/catalog/import" enctype="multipart/form-data"
                onsubmit="this.querySelector('progress').hidden=false" {
                (page.csrf_field())
                label { (page.t(C::Import)) input type="file" name="file" accept=".csv,text/csv" required; }
                button type="submit" { (page.t(C::Import)) }
                progress hidden;
            }
        }
        p { (count) " · " a #export href="/console/catalog/export" { (page.t(C::Export)) } }
        table #products {
            thead { tr { th { (page.t(C::Code)) } th { (page.t(C::Name)) } th.n { (page.t(C::RetailPrice)) } th.n { (page.t(C::MemberPrice)) } th { (page.t(C::Status)) } } }
            tbody {
                @for p in &products {
                    tr {
                        td { a href={ "/console/products/" (p.id.0) } { (p.code) } } td { (p.name) } td.n { (p.retail_price) }
                        td.n { (p.member_price.map(|m| m.to_string()).unwrap_or_default()) }
                        td { (if p.status == shared::catalog::ProductStatus::Active { page.t(C::Active) } else { page.t(C::Delisted) }) }
                    }
                }
            }
        }
    };
    Ok(layout(page, Menu::Catalog, page.t(C::Catalog), body))
}

/// A CSV upload: the CSRF token checked, the file's bytes.
async fn read_upload(page: &Page, mut form: Multipart) -> Result<Vec<u8>, ConsoleError> {
    let bad = |e: String| ConsoleError::App(crate::error::AppError::BadRequest(e), page.lang);
    let mut csrf = String::new();
    let mut file: Option<Vec<u8>> = None;
    while let Some(field) = form.next_field().await.map_err(|e| bad(e.to_string()))? {
        match field.name() {
            Some("_csrf") => csrf = field.text().await.unwrap_or_default(),
            Some("file") => file = field.bytes().await.ok().map(|b| b.to_vec()),
            _ => {}
        }
    }
    page.check_csrf(&csrf)?;
    file.ok_or_else(|| bad("no file".into()))
}

/// What an all-or-nothing CSV import did, for the page.
fn import_flash(page: &Page, outcome: &JobOutcome) -> Markup {
    match outcome {
        Ok(Ok(summary)) => html! {
            p.ok #import-result { (page.t(C::ImportDone).replace("{0}", &summary.created.to_string()).replace("{1}", &summary.updated.to_string())) }
        },
        Ok(Err(rows)) => html! {
            div #import-result {
                p.error { (page.t(C::ImportBad)) }
                table #bad-rows { thead { tr { th { (page.t(C::Line)) } th { (page.t(C::Reason)) } } }
                    tbody { @for r in rows { tr { td { (r.line) } td { (r.reason) } } } } }
            }
        },
        Err(message) => html! { p.error #import-result { (message) } },
    }
}

/// A failed import as the user should read it: what was wrong with the file, or, for a failure
/// of HQ itself, that it failed (the details go to the log, as for the API).
fn import_failure(e: crate::import::CsvError) -> String {
    match e {
        crate::import::CsvError::Store(crate::store::StoreError::Internal(detail)) => {
            tracing::error!(%detail, "console import failed");
            "the import failed on the server; nothing was imported".into()
        }
        other => format!("{other}; nothing was imported"),
    }
}

/// The largest CSV file the console takes (a catalog of about two million products); the API's
/// other requests keep the configured limit.
const IMPORT_BYTES: usize = 256 * 1024 * 1024;

/// Starts an import as a job and sends the user to its page.
fn start_import(
    state: &AppState,
    page: &Page,
    kind: JobKind,
    import: impl FnOnce(&dyn crate::store::Store, &indicatif::ProgressBar) -> Result<JobOutcome, crate::import::CsvError>
    + Send
    + 'static,
) -> Response {
    let store = state.store.clone();
    let id = state.jobs.start(page.me.user.id, kind, move |progress| {
        import(&*store, progress).unwrap_or_else(|e| Err(import_failure(e)))
    });
    redirect(&format!("/console/jobs/{id}"))
}

async fn import_catalog(State(state): State<AppState>, page: Page, form: Multipart) -> Result<Response, ConsoleError> {
    let bytes = read_upload(&page, form).await?;
    page.require(&[Role::Admin])?;
    let actor = page.me.actor();
    Ok(start_import(&state, &page, JobKind::CatalogImport, move |s, progress| {
        Ok(Ok(crate::import::import_products(s, &actor, &bytes, progress)?))
    }))
}

async fn import_members(State(state): State<AppState>, page: Page, form: Multipart) -> Result<Response, ConsoleError> {
    let bytes = read_upload(&page, form).await?;
    page.require(&[Role::Admin, Role::Marketing])?;
    let actor = page.me.actor();
    Ok(start_import(&state, &page, JobKind::MemberImport, move |s, progress| {
        Ok(Ok(crate::member_import::import_members(s, &actor, &bytes, progress)?))
    }))
}

/// A job's page: its progress while it runs (the page reloads itself), then what it did.
async fn job(State(state): State<AppState>, page: Page, Path(id): Path<String>) -> PageResult {
    let view = state.jobs.view(&id, page.me.user.id).ok_or(ConsoleError::NotFound(page.lang))?;
    let (menu, title, back) = match view.kind {
        JobKind::CatalogImport => (Menu::Catalog, page.t(C::Catalog), "/console/catalog"),
        JobKind::MemberImport => (Menu::Members, page.t(C::Members), "/console/members"),
    };
    let phase = match view.phase.as_str() {
        "checking" => page.t(C::Checking),
        "importing" => page.t(C::Importing),
        _ => page.t(C::Starting),
    };
    let body = html! {
        @match &view.outcome {
            None => {
                p #job-phase { (phase) " " @if let Some(n) = view.steps { (view.done) " / " (n) } }
                @if let Some(n) = view.steps { progress #job-progress value=(view.done) max=(n) {} } @else { progress #job-progress {} }
                script { (PreEscaped("setTimeout(function () { location.reload(); }, 700);")) }
            }
            Some(outcome) => {
                (import_flash(&page, outcome))
                p { a #back href=(back) { (page.t(C::Back)) } }
            }
        }
    };
    Ok(layout(&page, menu, &format!("{title} · {}", page.t(C::Import)), body))
}

async fn members(State(state): State<AppState>, page: Page, Query(q): Query<Search>) -> PageResult {
    members_page(&state, &page, q.q.unwrap_or_default(), None).await
}

async fn members_page(state: &AppState, page: &Page, query: String, flash: Option<Markup>) -> PageResult {
    page.require(HQ)?;
    let qq = query.clone();
    let found =
        if qq.trim().is_empty() { Vec::new() } else { state.db(move |s| s.search_members(qq.trim(), 50)).await? };
    let body = html! {
        form.inline method="get" { label { (page.t(C::Search)) input name="q" value=(query) placeholder="0000012345 / 138… / 陈"; } button type="submit" { (page.t(C::Search)) } }
        @if let Some(f) = flash { (f) }
        p { a href="/api/v1/members/export" { (page.t(C::Export)) } }
        @if matches!(page.me.user.role, Role::Admin | Role::Marketing) {
            form.inline #import method="post" action="/console/members/import" enctype="multipart/form-data"
                onsubmit="this.querySelector('progress').hidden=false" {
                (page.csrf_field())
                label { (page.t(C::Import)) " (code, phone, name, birthday, tier, home_branch, uid)" input type="file" name="file" accept=".csv,text/csv" required; }
                button type="submit" { (page.t(C::Import)) }
                progress hidden;
            }
        }
        table #members {
            thead { tr { th { (page.t(C::Code)) } th { (page.t(C::Name)) } th { (page.t(C::Phone)) } th { (page.t(C::Tier)) } th.n { (page.t(C::Points)) } th.n { (page.t(C::StoredValue)) } } }
            tbody {
                @for m in &found {
                    tr {
                        td { a href={ "/console/members/" (m.id) } { (m.code.as_str()) } } td { (m.name) }
                        td { (m.phone.as_ref().map(|p| p.as_str().to_owned()).unwrap_or_default()) } td { (m.tier) }
                        td.n { (m.points) } td.n { (m.stored_value.total()) }
                    }
                }
            }
        }
    };
    Ok(layout(page, Menu::Members, page.t(C::Members), body))
}

async fn member(State(state): State<AppState>, page: Page, Path(id): Path<String>) -> PageResult {
    member_page(&state, &page, &id, None).await
}

async fn member_page(state: &AppState, page: &Page, id: &str, flash: Option<Markup>) -> PageResult {
    page.require(HQ)?;
    let id = MemberId::parse(id).map_err(|_| ConsoleError::NotFound(page.lang))?;
    let (m, lots, ledger) = state
        .db(move |s| Ok((s.get_member(id)?, s.lots(id)?, s.ledger(id, 100)?)))
        .await
        .map_err(|_| ConsoleError::NotFound(page.lang))?;
    let may_adjust = matches!(page.me.user.role, Role::Admin | Role::Marketing);
    let body = html! {
        @if let Some(f) = flash { (f) }
        div.cards {
            div.card { (page.t(C::Tier)) b { (m.tier) } }
            div.card { (page.t(C::Points)) b #member-points { (m.points) } }
            div.card { (page.t(C::StoredValue)) b { (m.stored_value.total()) } span.muted { (m.stored_value.principal) " + " (m.stored_value.bonus) } }
            div.card { (page.t(C::Phone)) b { (m.phone.as_ref().map(|p| p.as_str().to_owned()).unwrap_or_default()) } }
        }
        h2 { (page.t(C::Lots)) }
        table { thead { tr { th { (page.t(C::Day)) } th.n { (page.t(C::Points)) } th.n { (page.t(C::Balance)) } th { (page.t(C::Expires)) } } }
            tbody { @for l in &lots { tr { td { (l.earned_on) } td.n { (l.points) } td.n { (l.remaining) } td { (l.expires_on.map(|d| d.to_string()).unwrap_or_else(|| "—".into())) } } } } }
        @if may_adjust {
            h2 { (page.t(C::Adjust)) }
            form.inline method="post" action={ "/console/members/" (m.id) } {
                (page.csrf_field())
                label { (page.t(C::PointsDelta)) input name="points" type="number" required; }
                label { (page.t(C::Reason)) input name="reason" required minlength="2"; }
                button type="submit" { (page.t(C::Save)) }
            }
        }
        h2 { (page.t(C::Cards)) }
        table #cards { tbody { @for c in &m.cards { tr {
            td { (format!("{:?}", c.kind)) } td { (c.value) } td { (format!("{:?}", c.status)) }
            td { @if may_adjust {
                form.inline method="post" action={ "/console/members/" (m.id) "/cards" } {
                    (page.csrf_field())
                    input type="hidden" name="kind" value=(serde_json::to_value(c.kind).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default());
                    input type="hidden" name="value" value=(c.value);
                    select name="status" { @for st in ["active", "lost", "replaced", "blocked"] { option value=(st) { (st) } } }
                    button type="submit" { (page.t(C::Save)) }
                }
            } }
        } } } }
        @if may_adjust {
            form.inline method="post" action={ "/console/members/" (m.id) "/cards" } {
                (page.csrf_field())
                input type="hidden" name="status" value="new";
                label { "Kind" select name="kind" { option value="code" { "code" } option value="uid" { "uid" } } }
                label { "No." input name="value" required; }
                button type="submit" { "+" }
            }
        }
        h2 { (page.t(C::Ledger)) }
        table #ledger { thead { tr { th { (page.t(C::Time)) } th { (page.t(C::Kind)) } th.n { (page.t(C::Points)) } th.n { (page.t(C::StoredValue)) } th { (page.t(C::Reason)) } th { (page.t(C::Who)) } } }
            tbody { @for e in &ledger { tr {
                td { (e.at.strftime("%Y-%m-%d %H:%M")) } td { (format!("{:?}", e.kind)) } td.n { (e.points) }
                td.n { (yuan(e.principal + e.bonus)) } td { (e.reason.clone().unwrap_or_else(|| e.source.clone())) } td { (e.actor) }
            } } } }
    };
    Ok(layout(page, Menu::Members, &format!("{} {}", m.code.as_str(), m.name), body))
}

#[derive(Deserialize)]
struct AdjustForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    points: i64,
    reason: String,
}

async fn adjust_member(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    axum::Form(f): axum::Form<AdjustForm>,
) -> PageResult {
    page.check_csrf(&f.csrf)?;
    page.require(&[Role::Admin, Role::Marketing])?;
    let mid = MemberId::parse(&id).map_err(|_| ConsoleError::NotFound(page.lang))?;
    let actor = page.me.actor();
    let adj =
        Adjustment { points: f.points, principal: Money::ZERO, bonus: Money::ZERO, reason: f.reason.trim().to_owned() };
    let flash = match state.db(move |s| s.adjust(&actor, mid, adj)).await? {
        Ok(_) => html! { p.ok { (page.t(C::Saved)) } },
        Err(refusal) => html! { p.error { (refusal.to_string()) } },
    };
    member_page(&state, &page, &id, Some(flash)).await
}

/// The policy form as typed: every field a string, so a rejected form comes back as it was.
#[derive(Default, Clone, Debug)]
struct PolicyForm {
    csrf: String,
    earn_per_yuan: String,
    birthday_bp: String,
    points_per_yuan: String,
    min_balance: String,
    max_share_bp: String,
    expiry: String,
    expiry_n: String,
    offline_points: String,
    offline_sv: String,
    tiers: Vec<[String; 6]>,
    campaigns: Vec<[String; 4]>,
    topups: Vec<[String; 2]>,
    action: String,
}

/// The form fields of a tier row, a campaign row and a top-up bonus row, in column order. A
/// row's fields share a name and are matched by position; a row left all blank is dropped, which
/// is how one is removed, and every table has a blank row to add one.
const TIER_FIELDS: [&str; 6] =
    ["tier_code", "tier_name", "tier_threshold", "tier_discount", "tier_multiplier", "tier_member_prices"];
const CAMPAIGN_FIELDS: [&str; 4] = ["campaign_name", "campaign_from", "campaign_to", "campaign_multiplier"];
const TOPUP_FIELDS: [&str; 2] = ["topup_min", "topup_bonus"];

/// Rows of `N` fields from the posted pairs, blank rows dropped.
fn rows<const N: usize>(pairs: &[(String, String)], names: [&str; N]) -> Vec<[String; N]> {
    let columns: Vec<Vec<&str>> =
        names.iter().map(|n| pairs.iter().filter(|(k, _)| k == n).map(|(_, v)| v.as_str()).collect()).collect();
    let len = columns.iter().map(Vec::len).max().unwrap_or(0);
    (0..len)
        .map(|i| std::array::from_fn(|c| columns[c].get(i).map_or(String::new(), |v| v.trim().to_owned())))
        .filter(|row: &[String; N]| row.iter().any(|v| !v.is_empty()))
        .collect()
}

/// ¥ as typed in a form: `2000.00`.
fn yuan_field(m: Money) -> String {
    shared::money::Currency::CNY.format_plain(m)
}

impl PolicyForm {
    fn of(p: &shared::policy::MemberPolicy) -> PolicyForm {
        use shared::points::ExpiryPolicy;
        let (expiry, n) = match p.expiry {
            ExpiryPolicy::Rolling { months } => ("rolling", months),
            ExpiryPolicy::Annual { years } => ("annual", years),
            ExpiryPolicy::Never => ("never", 0),
        };
        PolicyForm {
            csrf: String::new(),
            earn_per_yuan: p.earn.earn_per_yuan.to_string(),
            birthday_bp: p.earn.birthday_multiplier.map_or(0, |b| b.0).to_string(),
            points_per_yuan: p.redeem.points_per_yuan.to_string(),
            min_balance: p.redeem.min_balance.to_string(),
            max_share_bp: p.redeem.max_share.0.to_string(),
            expiry: expiry.into(),
            expiry_n: n.to_string(),
            offline_points: p.offline.points_per_day.to_string(),
            offline_sv: yuan_field(p.offline.stored_value_per_day),
            tiers: p
                .tiers
                .tiers()
                .iter()
                .map(|t| {
                    [
                        t.code.clone(),
                        t.name.clone(),
                        yuan_field(t.threshold),
                        t.discount.0.to_string(),
                        t.points_multiplier.0.to_string(),
                        if t.member_prices { "yes" } else { "no" }.into(),
                    ]
                })
                .collect(),
            campaigns: p
                .earn
                .campaigns
                .iter()
                .map(|c| [c.name.clone(), c.from.to_string(), c.to.to_string(), c.multiplier.0.to_string()])
                .collect(),
            topups: p.topup_rules.iter().map(|r| [yuan_field(r.min_topup), yuan_field(r.bonus)]).collect(),
            action: String::new(),
        }
    }

    /// The form as posted: `name=value` pairs, the rows' fields repeated once per row.
    fn from_pairs(pairs: &[(String, String)]) -> PolicyForm {
        let one = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default();
        PolicyForm {
            csrf: one("_csrf"),
            earn_per_yuan: one("earn_per_yuan"),
            birthday_bp: one("birthday_bp"),
            points_per_yuan: one("points_per_yuan"),
            min_balance: one("min_balance"),
            max_share_bp: one("max_share_bp"),
            expiry: one("expiry"),
            expiry_n: one("expiry_n"),
            offline_points: one("offline_points"),
            offline_sv: one("offline_sv"),
            tiers: rows(pairs, TIER_FIELDS),
            campaigns: rows(pairs, CAMPAIGN_FIELDS),
            topups: rows(pairs, TOPUP_FIELDS),
            action: one("action"),
        }
    }

    /// The policy this form describes, on top of `base`; or what is wrong with it.
    fn apply(&self, base: &shared::policy::MemberPolicy) -> Result<shared::policy::MemberPolicy, String> {
        use shared::money::{Bp, Currency};
        use shared::points::{Campaign, ExpiryPolicy};
        use shared::stored_value::TopUpRule;
        use shared::tiers::{Tier, TierLadder};
        let int = |name: &str, v: &str| v.trim().parse::<i64>().map_err(|_| format!("{name}: a whole number, please"));
        let yuan = |name: &str, v: &str| Currency::CNY.parse(v.trim()).map_err(|e| format!("{name}: {e}"));
        let mut p = base.clone();
        p.earn.earn_per_yuan = int("earn rate", &self.earn_per_yuan)?;
        let birthday = int("birthday multiplier", &self.birthday_bp)?;
        p.earn.birthday_multiplier = (birthday > 0).then_some(Bp(birthday));
        p.redeem.points_per_yuan = int("points per yuan", &self.points_per_yuan)?;
        p.redeem.min_balance = int("minimum balance", &self.min_balance)?;
        p.redeem.max_share = Bp(int("maximum share", &self.max_share_bp)?);
        let n = u32::try_from(int("expiry", &self.expiry_n)?).map_err(|_| "expiry: not negative".to_string())?;
        p.expiry = match self.expiry.as_str() {
            "rolling" => ExpiryPolicy::Rolling { months: n },
            "annual" => ExpiryPolicy::Annual { years: n },
            _ => ExpiryPolicy::Never,
        };
        p.offline.points_per_day = int("offline points per day", &self.offline_points)?;
        p.offline.stored_value_per_day = yuan("offline stored value per day", &self.offline_sv)?;
        let tiers = self
            .tiers
            .iter()
            .enumerate()
            .map(|(i, [code, name, threshold, discount, multiplier, member_prices])| {
                let at = |field: &str| format!("tier {} ({code}), {field}", i + 1);
                if code.is_empty() || name.is_empty() {
                    return Err(format!("tier {}: a code and a name, please", i + 1));
                }
                Ok(Tier {
                    code: code.clone(),
                    name: name.clone(),
                    threshold: yuan(&at("threshold"), threshold)?,
                    discount: Bp(int(&at("discount"), discount)?),
                    points_multiplier: Bp(int(&at("points multiplier"), multiplier)?),
                    member_prices: member_prices == "yes",
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        p.tiers = TierLadder::new(tiers).map_err(|e| format!("tiers: {e}"))?;
        p.earn.campaigns = self
            .campaigns
            .iter()
            .enumerate()
            .map(|(i, [name, from, to, multiplier])| {
                let at = |field: &str| format!("campaign {} ({name}), {field}", i + 1);
                let date = |field: &str, v: &str| {
                    v.parse::<Date>().map_err(|_| format!("{}: a date like 2026-12-01, please", at(field)))
                };
                if name.is_empty() {
                    return Err(format!("campaign {}: a name, please", i + 1));
                }
                Ok(Campaign {
                    name: name.clone(),
                    from: date("from", from)?,
                    to: date("to", to)?,
                    multiplier: Bp(int(&at("multiplier"), multiplier)?),
                })
            })
            .collect::<Result<_, String>>()?;
        p.topup_rules = self
            .topups
            .iter()
            .enumerate()
            .map(|(i, [min, bonus])| {
                Ok(TopUpRule {
                    min_topup: yuan(&format!("top-up bonus {}, from", i + 1), min)?,
                    bonus: yuan(&format!("top-up bonus {}, bonus", i + 1), bonus)?,
                })
            })
            .collect::<Result<_, String>>()?;
        p.validate().map_err(|e| e.to_string())?;
        Ok(p)
    }
}

async fn policy(State(state): State<AppState>, page: Page) -> PageResult {
    page.require(HQ)?;
    let current = state.db(|s| s.current_policy()).await?;
    policy_page(&state, &page, PolicyForm::of(&current), None).await
}

async fn policy_page(state: &AppState, page: &Page, form: PolicyForm, flash: Option<Markup>) -> PageResult {
    let current = state.db(|s| s.current_policy()).await?;
    let versions = state.db(|s| s.list_policies()).await?;
    let (proposed, error) = match form.apply(&current) {
        Ok(p) => (p, None),
        Err(e) => (current.clone(), Some(e)),
    };
    let preview = crate::http::policy::preview_tiers(&proposed, Money::yuan(100), today());
    let may_edit = matches!(page.me.user.role, Role::Admin | Role::Marketing);
    let field = |name: &'static str, label: &str, value: &str| {
        html! { label { (label) input name=(name) value=(value) disabled[!may_edit]; } }
    };
    let body = html! {
        @if let Some(f) = flash { (f) }
        @if let Some(e) = &error { p.error #policy-error { (e) } }
        form.box #policy-form method="post" action="/console/policy" {
            (page.csrf_field())
            div.inline {
                label { (page.t(C::EarnRate)) input #earn name="earn_per_yuan" type="number" min="0" max="100000" value=(form.earn_per_yuan) disabled[!may_edit]; }
                (field("birthday_bp", page.t(C::BirthdayBp), &form.birthday_bp))
            }
            div.inline {
                (field("points_per_yuan", page.t(C::PointsPerYuan), &form.points_per_yuan))
                (field("min_balance", page.t(C::MinBalance), &form.min_balance))
                (field("max_share_bp", page.t(C::MaxShareBp), &form.max_share_bp))
            }
            div.inline {
                label { (page.t(C::Expiry))
                    select name="expiry" disabled[!may_edit] {
                        @for (v, l) in [("rolling", C::ExpiryRolling), ("annual", C::ExpiryAnnual), ("never", C::ExpiryNever)] {
                            option value=(v) selected[form.expiry == v] { (page.t(l)) }
                        }
                    }
                }
                (field("expiry_n", page.t(C::ExpiryN), &form.expiry_n))
                (field("offline_points", page.t(C::OfflinePoints), &form.offline_points))
                (field("offline_sv", page.t(C::OfflineSv), &form.offline_sv))
            }
            p.muted { (page.t(C::RowsHint)) }
            h3 { (page.t(C::Tiers)) }
            table #tiers {
                thead { tr {
                    th { (page.t(C::Code)) } th { (page.t(C::Name)) } th { (page.t(C::TierThreshold)) }
                    th { (page.t(C::TierDiscount)) } th { (page.t(C::TierMultiplier)) } th { (page.t(C::MemberPrice)) }
                } }
                tbody { @for row in form.tiers.iter().cloned().chain([Default::default()]) { tr {
                    @for (i, name) in TIER_FIELDS.iter().enumerate().take(5) {
                        td { input name=(name) value=(row[i]) size=(if i == 1 { 12 } else { 8 }) disabled[!may_edit]; }
                    }
                    // The blank row's choice is blank too, so an untouched blank row stays blank.
                    td { select name=(TIER_FIELDS[5]) disabled[!may_edit] {
                        @if row[5].is_empty() { option value="" selected {} }
                        @for (v, l) in [("yes", C::Yes), ("no", C::No)] { option value=(v) selected[row[5] == v] { (page.t(l)) } }
                    } }
                } } }
            }
            h3 { (page.t(C::Campaigns)) }
            table #campaigns {
                thead { tr {
                    th { (page.t(C::Name)) } th { (page.t(C::From)) } th { (page.t(C::To)) } th { (page.t(C::CampaignMultiplier)) }
                } }
                tbody { @for row in form.campaigns.iter().cloned().chain([Default::default()]) { tr {
                    td { input name=(CAMPAIGN_FIELDS[0]) value=(row[0]) disabled[!may_edit]; }
                    td { input name=(CAMPAIGN_FIELDS[1]) type="date" value=(row[1]) disabled[!may_edit]; }
                    td { input name=(CAMPAIGN_FIELDS[2]) type="date" value=(row[2]) disabled[!may_edit]; }
                    td { input name=(CAMPAIGN_FIELDS[3]) value=(row[3]) size="8" disabled[!may_edit]; }
                } } }
            }
            h3 { (page.t(C::TopUpBonuses)) }
            table #topups {
                thead { tr { th { (page.t(C::TopUpFrom)) } th { (page.t(C::TopUpBonus)) } } }
                tbody { @for row in form.topups.iter().cloned().chain([Default::default()]) { tr {
                    td { input name=(TOPUP_FIELDS[0]) value=(row[0]) size="10" disabled[!may_edit]; }
                    td { input name=(TOPUP_FIELDS[1]) value=(row[1]) size="10" disabled[!may_edit]; }
                } } }
            }
            @if may_edit {
                br;
                button #preview name="action" value="preview" type="submit" { (page.t(C::PreviewButton)) } " "
                button #save name="action" value="save" type="submit" { (page.t(C::Save)) }
            }
        }
        h2 { (page.t(C::PreviewTitle)) }
        table #preview-table {
            thead { tr { th { (page.t(C::Tier)) } th.n { (page.t(C::Points)) } th.n { (page.t(C::BirthdayMonth)) } } }
            tbody { @for p in &preview { tr { td { (p.name) " (" (p.tier) ")" } td.n { (p.points) } td.n { (p.birthday_points) } } } }
        }
        h2 { (page.t(C::Version)) }
        table #versions {
            thead { tr {
                th { (page.t(C::Version)) } th { (page.t(C::EffectiveFrom)) } th.n { (page.t(C::EarnRate)) }
                th { (page.t(C::Redemption)) } th { (page.t(C::Expiry)) } th { (page.t(C::Tiers)) }
                th { (page.t(C::Campaigns)) } th { (page.t(C::TopUpBonuses)) } th { (page.t(C::Who)) }
            } }
            tbody { @for v in &versions { @let p = &v.policy; tr {
                td { (p.version) }
                td { (p.effective_from.strftime("%Y-%m-%d %H:%M")) }
                td.n { (p.earn.earn_per_yuan) }
                td { (p.redeem.points_per_yuan) " = ¥1, ≥ " (p.redeem.min_balance) ", ≤ " (p.redeem.max_share.display_percent()) }
                td { (expiry_text(page, &p.expiry)) }
                td { @for (i, t) in p.tiers.tiers().iter().enumerate() { @if i > 0 { " · " } (t.name) " " (t.threshold) } }
                td { @for c in &p.earn.campaigns { (c.name) " " (c.from) "–" (c.to) " " (c.multiplier.display_multiplier()) br; } }
                td { @for r in &p.topup_rules { (r.min_topup) " +" (r.bonus) br; } }
                td { (v.created_by) }
            } } }
        }
    };
    Ok(layout(page, Menu::Policy, page.t(C::Policy), body))
}

fn expiry_text(page: &Page, e: &shared::points::ExpiryPolicy) -> String {
    use shared::points::ExpiryPolicy;
    match e {
        ExpiryPolicy::Rolling { months } => format!("{} {months}", page.t(C::ExpiryRolling)),
        ExpiryPolicy::Annual { years } => format!("{} {years}", page.t(C::ExpiryAnnual)),
        ExpiryPolicy::Never => page.t(C::ExpiryNever).to_owned(),
    }
}

async fn save_policy(
    State(state): State<AppState>,
    page: Page,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> PageResult {
    let f = PolicyForm::from_pairs(&pairs);
    page.check_csrf(&f.csrf)?;
    page.require(&[Role::Admin, Role::Marketing])?;
    if f.action != "save" {
        return policy_page(&state, &page, f, None).await;
    }
    let current = state.db(|s| s.current_policy()).await?;
    let mut next = match f.apply(&current) {
        Ok(p) => p,
        // The form comes back as typed, with the reason.
        Err(_) => return policy_page(&state, &page, f, None).await,
    };
    next.effective_from = Timestamp::now() + SignedDuration::from_secs(1);
    let actor = page.me.actor();
    state.db(move |s| s.create_policy(&actor, next)).await?;
    policy_page(&state, &page, f, Some(html! { p.ok #saved { (page.t(C::Saved)) } })).await
}

#[derive(Deserialize, Default)]
struct FinanceQuery {
    kind: Option<String>,
    from: Option<Date>,
    to: Option<Date>,
    branch: Option<i64>,
}

async fn finance(State(state): State<AppState>, page: Page, Query(q): Query<FinanceQuery>) -> PageResult {
    page.require(&[Role::Admin, Role::Finance, Role::BranchManager])?;
    let kind = q.kind.as_deref().and_then(ReportKind::parse).unwrap_or(ReportKind::SalesByBranch);
    let (from, to, branch) = Range { from: q.from, to: q.to, branch: q.branch }.resolve(&page)?;
    let names = branch_names(&state, &page).await?;
    let r = report(&state, kind, from, to, branch).await?;
    let csv = format!(
        "/api/v1/reports/{}?format=csv&from={from}&to={to}{}",
        kind.code(),
        branch.map(|b| format!("&branch_id={}", b.0)).unwrap_or_default()
    );
    let body = html! {
        form.inline method="get" {
            label { (page.t(C::Report)) select name="kind" { @for k in ReportKind::ALL { option value=(k.code()) selected[k == kind] { (k.code()) } } } }
            label { (page.t(C::From)) input type="date" name="from" value=(from); }
            label { (page.t(C::To)) input type="date" name="to" value=(to); }
            @if page.me.user.role != Role::BranchManager {
                label { (page.t(C::Branch)) select name="branch" { option value="" { (page.t(C::AllBranches)) }
                    @for (id, n) in &names { option value=(id.0) selected[Some(*id) == branch] { (n) } } } }
            }
            button type="submit" { (page.t(C::Show)) }
        }
        p { a href=(csv) { (page.t(C::DownloadCsv)) } }
        (table(&page, &r))
    };
    Ok(layout(&page, Menu::Finance, page.t(C::Finance), body))
}

async fn audit(State(state): State<AppState>, page: Page, Query(q): Query<Search>) -> PageResult {
    page.require(&[Role::Admin, Role::Finance])?;
    let query = q.q.unwrap_or_default();
    let all = state.db(|s| s.list_audit(0, 100_000)).await?;
    let needle = query.trim().to_lowercase();
    let shown: Vec<_> = all
        .iter()
        .rev()
        .filter(|a| {
            needle.is_empty()
                || format!("{} {} {} {}", a.actor, a.action, a.entity, a.from).to_lowercase().contains(&needle)
        })
        .take(200)
        .collect();
    let body = html! {
        form.inline method="get" { label { (page.t(C::Search)) input name="q" value=(query); } button type="submit" { (page.t(C::Search)) } }
        table #audit { thead { tr { th { (page.t(C::Time)) } th { (page.t(C::Who)) } th { (page.t(C::Action)) } th { (page.t(C::Entity)) } } }
            tbody { @for a in &shown { tr { td { (a.at.strftime("%Y-%m-%d %H:%M:%S")) } td { (a.actor) " @" (a.from) } td { (a.action) } td { (a.entity) } } } } }
    };
    Ok(layout(&page, Menu::Audit, page.t(C::Audit), body))
}

async fn users(State(state): State<AppState>, page: Page) -> PageResult {
    users_page(&state, &page, None).await
}

async fn users_page(state: &AppState, page: &Page, flash: Option<Markup>) -> PageResult {
    page.require(&[Role::Admin])?;
    let all = state.db(|s| s.list_users()).await?;
    let names = branch_names(state, page).await?;
    let branch_of = |b: Option<BranchId>| b.and_then(|b| names.iter().find(|(id, _)| *id == b)).map(|(_, n)| n.clone());
    let roles = [
        ("admin", Role::Admin),
        ("finance", Role::Finance),
        ("marketing", Role::Marketing),
        ("branch_manager", Role::BranchManager),
    ];
    let body = html! {
        @if let Some(f) = flash { (f) }
        table #users {
            thead { tr { th { (page.t(C::Username)) } th { (page.t(C::Name)) } th { (page.t(C::Role)) } th { (page.t(C::Branch)) } th { (page.t(C::Status)) } th {} } }
            tbody { @for u in &all { tr {
                td { (u.username) } td { (u.display_name) } td { (format!("{:?}", u.role)) }
                td { (branch_of(u.branch_id).unwrap_or_default()) }
                td { (if u.active { page.t(C::Active) } else { page.t(C::Revoked) }) }
                td { @if u.id != page.me.user.id {
                    form method="post" action={ "/console/users/" (u.id) } { (page.csrf_field())
                        button.danger[u.active] type="submit" { (if u.active { page.t(C::Revoke) } else { page.t(C::Active) }) } }
                } }
            } } }
        }
        h2 { "+" }
        form.inline #add-user method="post" action="/console/users" {
            (page.csrf_field())
            label { (page.t(C::Username)) input name="username" required; }
            label { (page.t(C::Name)) input name="display_name" required; }
            label { (page.t(C::Role)) select name="role" { @for (v, _) in roles { option value=(v) { (v) } } } }
            label { (page.t(C::Branch)) select name="branch" { option value="" { "—" } @for (id, n) in &names { option value=(id.0) { (n) } } } }
            label { (page.t(C::Password)) input name="password" type="password" required minlength="12"; }
            button type="submit" { (page.t(C::Save)) }
        }
    };
    Ok(layout(page, Menu::Users, page.t(C::Users), body))
}

#[derive(Deserialize)]
struct UserForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    username: String,
    display_name: String,
    role: String,
    #[serde(default)]
    branch: String,
    password: String,
}

async fn add_user(State(state): State<AppState>, page: Page, axum::Form(f): axum::Form<UserForm>) -> PageResult {
    page.check_csrf(&f.csrf)?;
    page.require(&[Role::Admin])?;
    let role: Role = from_code(&f.role).ok_or_else(|| page.invalid("unknown role"))?;
    let branch = f.branch.trim().parse::<i64>().ok().map(BranchId);
    let actor = page.me.actor();
    let outcome = state
        .db(move |s| crate::admin::add_user(s, &actor, f.username.trim(), &f.display_name, role, branch, &f.password))
        .await;
    let flash = match outcome {
        Ok(u) => html! { p.ok { (page.t(C::Saved)) ": " (u.username) } },
        Err(e) => html! { p.error #user-error { (e.to_string()) } },
    };
    users_page(&state, &page, Some(flash)).await
}

async fn toggle_user(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<CsrfForm>,
) -> PageResult {
    page.check_csrf(&f.csrf)?;
    page.require(&[Role::Admin])?;
    if id == page.me.user.id {
        return Err(ConsoleError::Forbidden(page.lang));
    }
    let active = state
        .db(move |s| Ok(s.list_users()?.into_iter().find(|u| u.id == id).map(|u| u.active)))
        .await?
        .ok_or(ConsoleError::NotFound(page.lang))?;
    let actor = page.me.actor();
    let change = crate::admin::UserChange { active: Some(!active), ..Default::default() };
    state.db(move |s| crate::admin::update_user(s, &actor, id, change)).await?;
    users_page(&state, &page, Some(html! { p.ok { (page.t(C::Saved)) } })).await
}

#[derive(Deserialize)]
struct CardForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    kind: String,
    value: String,
    /// `active`, `lost`, `replaced`, `blocked`; or `new` to add the card.
    status: String,
}

async fn member_card(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    axum::Form(f): axum::Form<CardForm>,
) -> PageResult {
    page.check_csrf(&f.csrf)?;
    page.require(&[Role::Admin, Role::Marketing])?;
    let mid = MemberId::parse(&id).map_err(|_| ConsoleError::NotFound(page.lang))?;
    let kind: crate::model::CardKind = from_code(&f.kind).ok_or_else(|| page.invalid("unknown card kind"))?;
    let actor = page.me.actor();
    let value = f.value.trim().to_owned();
    let outcome = if f.status == "new" {
        state.db(move |s| s.add_card(&actor, mid, kind, &value)).await
    } else {
        let status: crate::model::CardStatus =
            from_code(&f.status).ok_or_else(|| page.invalid("unknown card status"))?;
        // Only this member's own cards.
        let member = state.db(move |s| s.get_member(mid)).await.map_err(|_| ConsoleError::NotFound(page.lang))?;
        if !member.cards.iter().any(|c| c.kind == kind && c.value == value) {
            return Err(ConsoleError::NotFound(page.lang));
        }
        state.db(move |s| s.set_card_status(&actor, kind, &value, status)).await
    };
    let flash = match outcome {
        Ok(_) => html! { p.ok { (page.t(C::Saved)) } },
        Err(e) => html! { p.error { (e.to_string()) } },
    };
    member_page(&state, &page, &id, Some(flash)).await
}

/// Every product as CSV, in the format the import reads.
async fn export_catalog(State(state): State<AppState>, page: Page) -> PageResult {
    page.require(HQ)?;
    let csv = state
        .db(|s| {
            let mut out = Vec::new();
            crate::import::export_products(s, &mut out)
                .map_err(|e| crate::store::StoreError::Internal(e.to_string()))?;
            Ok(out)
        })
        .await?;
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (axum::http::header::CONTENT_DISPOSITION, "attachment; filename=\"products.csv\""),
        ],
        csv,
    )
        .into_response())
}

async fn product(State(state): State<AppState>, page: Page, Path(id): Path<i64>) -> PageResult {
    product_page(&state, &page, id, None).await
}

async fn product_page(state: &AppState, page: &Page, id: i64, flash: Option<Markup>) -> PageResult {
    page.require(HQ)?;
    let pid = shared::catalog::ProductId(id);
    let p = state.db(move |s| s.get_product(pid)).await.map_err(|_| ConsoleError::NotFound(page.lang))?;
    let names = branch_names(state, page).await?;
    let ids: Vec<BranchId> = names.iter().map(|(b, _)| *b).collect();
    let prices = state
        .db(move |s| {
            ids.iter()
                .map(|b| Ok((*b, s.list_branch_prices(*b)?.into_iter().find(|bp| bp.product == pid))))
                .collect::<Result<Vec<_>, crate::store::StoreError>>()
        })
        .await?;
    let admin = page.me.user.role == Role::Admin;
    let body = html! {
        @if let Some(f) = flash { (f) }
        form.box #product-form method="post" action={ "/console/products/" (id) } {
            (page.csrf_field())
            label { (page.t(C::Name)) input name="name" value=(p.name) disabled[!admin]; }
            label { (page.t(C::RetailPrice)) input name="retail_price" value=(yuan_field(p.retail_price)) disabled[!admin]; }
            label { (page.t(C::MemberPrice)) input name="member_price" value=(p.member_price.map(yuan_field).unwrap_or_default()) disabled[!admin]; }
            label { (page.t(C::Status))
                select name="status" disabled[!admin] {
                    option value="active" selected[p.status == shared::catalog::ProductStatus::Active] { (page.t(C::Active)) }
                    option value="delisted" selected[p.status == shared::catalog::ProductStatus::Delisted] { (page.t(C::Delisted)) }
                }
            }
            @if admin { br; button type="submit" { (page.t(C::Save)) } }
        }
        h2 { (page.t(C::Branch)) " " (page.t(C::RetailPrice)) }
        table #branch-prices {
            tbody { @for ((b, name), (_, bp)) in names.iter().zip(&prices) { tr {
                td { (name) }
                td.n { (bp.as_ref().and_then(|x| x.price).map(|m| m.to_string()).unwrap_or_else(|| "—".into())) }
                td { @if admin {
                    form.inline method="post" action={ "/console/products/" (id) "/price" } {
                        (page.csrf_field())
                        input type="hidden" name="branch" value=(b.0);
                        input name="price" placeholder="12.50" size="8";
                        button type="submit" { (page.t(C::Save)) }
                    }
                } }
            } } }
        }
    };
    Ok(layout(page, Menu::Catalog, &format!("{} {}", p.code, p.name), body))
}

#[derive(Deserialize)]
struct ProductForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    name: String,
    retail_price: String,
    #[serde(default)]
    member_price: String,
    status: String,
}

fn money_field(page: &Page, what: &str, text: &str) -> Result<Money, ConsoleError> {
    shared::money::Currency::CNY.parse(text.trim()).map_err(|e| page.invalid(format!("{what}: {e}")))
}

async fn save_product(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<ProductForm>,
) -> PageResult {
    page.check_csrf(&f.csrf)?;
    page.require(&[Role::Admin])?;
    let pid = shared::catalog::ProductId(id);
    let mut p = state.db(move |s| s.get_product(pid)).await.map_err(|_| ConsoleError::NotFound(page.lang))?;
    p.name = f.name.trim().to_owned();
    p.retail_price = money_field(&page, "retail price", &f.retail_price)?;
    p.member_price = if f.member_price.trim().is_empty() {
        None
    } else {
        Some(money_field(&page, "member price", &f.member_price)?)
    };
    p.status = if f.status == "delisted" {
        shared::catalog::ProductStatus::Delisted
    } else {
        shared::catalog::ProductStatus::Active
    };
    let actor = page.me.actor();
    let flash = match state.db(move |s| crate::admin::update_product(s, &actor, p)).await {
        Ok(_) => html! { p.ok #saved { (page.t(C::Saved)) } },
        Err(e) => html! { p.error { (e.to_string()) } },
    };
    product_page(&state, &page, id, Some(flash)).await
}

#[derive(Deserialize)]
struct PriceForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    branch: i64,
    price: String,
}

async fn branch_price(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<PriceForm>,
) -> PageResult {
    page.check_csrf(&f.csrf)?;
    page.require(&[Role::Admin])?;
    let price = if f.price.trim().is_empty() { None } else { Some(money_field(&page, "price", &f.price)?) };
    let bp = shared::sync::BranchPrice { product: shared::catalog::ProductId(id), price, member_price: None };
    let actor = page.me.actor();
    let flash = match state.db(move |s| crate::admin::set_branch_price(s, &actor, BranchId(f.branch), bp)).await {
        Ok(_) => html! { p.ok { (page.t(C::Saved)) } },
        Err(e) => html! { p.error { (e.to_string()) } },
    };
    product_page(&state, &page, id, Some(flash)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(kv: &[(&str, &str)]) -> Vec<(String, String)> {
        kv.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn row_fields_pair_up_by_position_and_blank_rows_drop_out() {
        let posted = pairs(&[
            ("topup_min", "300.00"),
            ("topup_bonus", "30.00"),
            ("topup_min", " "),
            ("topup_bonus", ""),
            ("topup_min", "500"),
            ("topup_bonus", "60"),
        ]);
        assert_eq!(rows(&posted, TOPUP_FIELDS), vec![["300.00", "30.00"], ["500", "60"]]);
    }

    #[test]
    fn every_policy_comes_back_unchanged_through_its_form() {
        let mut policy = shared::policy::MemberPolicy::initial(Timestamp::now());
        policy.earn.campaigns.push(shared::points::Campaign {
            name: "双倍积分日".into(),
            from: jiff::civil::date(2026, 12, 5),
            to: jiff::civil::date(2026, 12, 6),
            multiplier: shared::money::Bp(20_000),
        });
        let form = PolicyForm::of(&policy);
        assert_eq!(form.apply(&policy), Ok(policy.clone()));
        // What the browser posts: the rows' fields repeated, then the blank row of each table.
        let mut posted = pairs(&[("_csrf", "t"), ("action", "save")]);
        let one = |name: &str, v: &String| (name.to_owned(), v.clone());
        for (name, v) in [
            ("earn_per_yuan", &form.earn_per_yuan),
            ("birthday_bp", &form.birthday_bp),
            ("points_per_yuan", &form.points_per_yuan),
            ("min_balance", &form.min_balance),
            ("max_share_bp", &form.max_share_bp),
            ("expiry", &form.expiry),
            ("expiry_n", &form.expiry_n),
            ("offline_points", &form.offline_points),
            ("offline_sv", &form.offline_sv),
        ] {
            posted.push(one(name, v));
        }
        for row in form.tiers.iter().chain([&Default::default()]) {
            posted.extend(TIER_FIELDS.iter().zip(row).map(|(n, v)| one(n, v)));
        }
        for row in form.campaigns.iter().chain([&Default::default()]) {
            posted.extend(CAMPAIGN_FIELDS.iter().zip(row).map(|(n, v)| one(n, v)));
        }
        for row in form.topups.iter().chain([&Default::default()]) {
            posted.extend(TOPUP_FIELDS.iter().zip(row).map(|(n, v)| one(n, v)));
        }
        assert_eq!(PolicyForm::from_pairs(&posted).apply(&policy), Ok(policy));
    }

    #[test]
    fn a_bad_row_is_named_and_nothing_is_made_of_it() {
        let policy = shared::policy::MemberPolicy::initial(Timestamp::now());
        let mut form = PolicyForm::of(&policy);
        form.campaigns.push(["周年庆".into(), "2026-12-31".into(), "2026-12-01".into(), "20000".into()]);
        assert!(form.apply(&policy).is_err_and(|e| e.contains("周年庆")), "dates the wrong way round");
        form.campaigns[0][1] = "12/01/2026".into();
        assert!(form.apply(&policy).is_err_and(|e| e.contains("campaign 1 (周年庆), from")));
        let mut form = PolicyForm::of(&policy);
        form.tiers[0][2] = "100.00".into();
        assert!(form.apply(&policy).is_err_and(|e| e.starts_with("tiers:")), "the first tier starts at ¥0");
        let mut form = PolicyForm::of(&policy);
        form.topups.push(["abc".into(), "1".into()]);
        assert!(form.apply(&policy).is_err_and(|e| e.contains("top-up bonus")));
    }
}
