//! The console's pages: the dashboard and its drill-down, branches and tills, the catalog,
//! members, the member policy, promotions, finance reports, expenses and the P&L, and the audit log.
//! members, the member policy, promotions, complaints, finance reports and the audit log.

mod analysis;
mod audit;
mod branches;
mod care;
mod catalog;
mod complaints;
mod coupons;
mod dashboard;
mod expenses;
mod finance;
mod imports;
mod members;
mod picker;
mod plans;
mod pnl;
mod policy;
mod promotions;
mod reconciliation;
mod stock;
mod stock_counts;
mod stock_goods;
mod stock_lines;
mod stock_reorder;
mod stock_reports;
mod stock_transfers;
mod users;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use jiff::civil::Date;
use maud::{Markup, html};
use serde::Deserialize;
use shared::ids::BranchId;
use shared::money::Money;

use crate::console::{C, ConsoleError, Page, words, yuan};
use crate::http::AppState;
use crate::model::Role;
use crate::reports::{Cell, Column, Report, ReportKind, ReportQuery, Unit};
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console", get(dashboard::dashboard))
        .route("/console/branches", get(branches::branches).post(branches::add_branch))
        .route("/console/branches/{id}", get(branches::branch).post(branches::save_branch))
        .route("/console/branches/{id}/tills", post(branches::register_till))
        .route("/console/tills/{id}", get(branches::till_page))
        .route("/console/tills/{id}/revoke", post(branches::revoke_till))
        .route("/console/branches/{id}/days", get(dashboard::branch_days))
        .route("/console/branches/{id}/days/{day}", get(dashboard::branch_day))
        .route("/console/sales/{branch}/{receipt}", get(dashboard::sale))
        .route("/console/catalog", get(catalog::catalog))
        .route(
            "/console/catalog/import",
            post(imports::import_catalog).layer(DefaultBodyLimit::max(imports::IMPORT_BYTES)),
        )
        .route("/console/catalog/export", get(catalog::export_catalog))
        .route("/console/catalog/brands", post(catalog::add_brand))
        .route("/console/products/{id}", get(catalog::product).post(catalog::save_product))
        .route("/console/products/{id}/price", post(catalog::branch_price))
        .route("/console/members", get(members::members))
        .route(
            "/console/members/import",
            post(imports::import_members).layer(DefaultBodyLimit::max(imports::IMPORT_BYTES)),
        )
        .route("/console/members/{id}", get(members::member).post(members::adjust_member))
        .route("/console/policy", get(policy::policy).post(policy::save_policy))
        .route("/console/promotions", get(promotions::promotions))
        .route("/console/promotions/new", get(promotions::new_promotion).post(promotions::create_promotion))
        .route("/console/promotions/preview", get(promotions::preview))
        .route("/console/promotions/{id}", get(promotions::promotion))
        .route("/console/promotions/{id}/edit", get(promotions::edit_promotion).post(promotions::update_promotion))
        .route("/console/promotions/{id}/withdraw", post(promotions::withdraw_promotion))
        .route("/console/coupons", get(coupons::coupons).post(coupons::create_campaign))
        .route("/console/coupons/{id}", get(coupons::campaign))
        .route("/console/coupons/{id}/issue", post(coupons::issue))
        .route("/console/coupons/{id}/end", post(coupons::end))
        .route("/console/complaints", get(complaints::complaints).post(complaints::create))
        .route("/console/complaints/report", get(complaints::report))
        .route("/console/complaints/categories", get(complaints::categories).post(complaints::add_category))
        .route("/console/complaints/categories/{id}", post(complaints::update_category))
        .route("/console/complaints/{id}", get(complaints::complaint).post(complaints::change))
        .route("/console/stock", get(stock::stock))
        .route("/console/stock/reports", get(stock_reports::reports))
        .route("/console/stock/orders", get(stock_goods::orders).post(stock_goods::create_order))
        .route(
            "/console/stock/orders/import",
            post(stock_goods::import_orders).layer(DefaultBodyLimit::max(imports::IMPORT_BYTES)),
        )
        .route("/console/stock/orders/{id}", get(stock_goods::order))
        .route("/console/stock/orders/{id}/receive", post(stock_goods::receive_order))
        .route("/console/stock/orders/{id}/close", post(stock_goods::close_order))
        .route("/console/stock/receipts", post(stock_goods::receive_unordered))
        .route("/console/stock/suppliers", post(stock_goods::add_supplier))
        .route("/console/stock/transfers", get(stock_transfers::transfers).post(stock_transfers::send))
        .route("/console/stock/transfers/{id}", get(stock_transfers::transfer))
        .route("/console/stock/transfers/{id}/receive", post(stock_transfers::receive))
        .route("/console/stock/counts", get(stock_counts::counts).post(stock_counts::start))
        .route("/console/stock/counts/{id}", get(stock_counts::count))
        .route("/console/stock/counts/{id}/entries", post(stock_counts::enter))
        .route("/console/stock/counts/{id}/post", post(stock_counts::post))
        .route("/console/stock/counts/{id}/cancel", post(stock_counts::cancel))
        .route("/console/stock/reorder", get(stock_reorder::reorder))
        .route("/console/stock/reorder/order", post(stock_reorder::order_suggested))
        .route(
            "/console/stock/reorder/import",
            post(stock_reorder::import_settings).layer(DefaultBodyLimit::max(imports::IMPORT_BYTES)),
        )
        .route("/console/stock/{branch_id}/{product_id}", get(stock::level).post(stock::write_off))
        .route("/console/finance", get(finance::finance))
        .route("/console/pnl", get(pnl::pnl))
        .route("/console/expenses", get(expenses::expenses).post(expenses::book_expense))
        .route(
            "/console/expenses/import",
            post(expenses::import_expenses).layer(DefaultBodyLimit::max(imports::IMPORT_BYTES)),
        )
        .route("/console/reconciliation", get(reconciliation::reconciliation))
        .route(
            "/console/reconciliation/import",
            post(reconciliation::import_statement).layer(DefaultBodyLimit::max(imports::IMPORT_BYTES)),
        )
        .route("/console/expenses/subjects", post(expenses::add_subject))
        .route("/console/expenses/subjects/{code}", post(expenses::rename_subject))
        .route("/console/analysis", get(analysis::analysis))
        .route("/console/analysis/runs", post(analysis::start_run))
        .route("/console/analysis/cohorts", get(analysis::cohorts))
        .route("/console/targets", get(plans::targets).post(plans::set_target))
        .route("/console/plan", get(plans::plan))
        .route("/console/care", get(care::care).post(care::create))
        .route("/console/care/{id}", get(care::campaign))
        .route("/console/audit", get(audit::audit))
        .route("/console/users", get(users::users).post(users::add_user))
        .route("/console/users/{id}", post(users::toggle_user))
        .route("/console/users/{id}/unlock", post(users::unlock_user))
        .route("/console/members/{id}/cards", post(members::member_card))
        .route("/console/jobs/{id}", get(imports::job))
}

#[derive(Deserialize, Default)]
struct Range {
    from: Option<Date>,
    to: Option<Date>,
    branch: Option<i64>,
}

/// A page's dates and branch, with what its "today" means.
struct Resolved {
    from: Date,
    to: Date,
    branch: Option<BranchId>,
    /// How "today" was decided: the branch's business day, or the chain's for several branches.
    today_note: String,
}

impl Range {
    /// The dates (today by default; at most a year), and the branch a user may look at. Today is
    /// the branch's business day (its zone and cut-off, as its tills file sales), or for several
    /// branches the chain's (`calendar::chain_day`), and the page says which.
    async fn resolve(&self, state: &AppState, page: &Page) -> Result<Resolved, ConsoleError> {
        let branch = match (page.me.user.role, self.branch) {
            (Role::BranchManager, _) => page.me.user.branch_id,
            (_, b) => b.map(BranchId),
        };
        if let Some(b) = branch {
            see(page, b)?;
        }
        let now = state.now();
        let (today, today_note) = match branch {
            Some(b) => {
                let settings =
                    state.db(move |s| s.get_branch(b)).await.map_err(|_| ConsoleError::NotFound(page.lang))?;
                let day = settings.business_day(now);
                (day, branch_day_note(page, &settings, day))
            }
            None => {
                let day = state.chain_day().await?;
                (day.day, crate::calendar::chain_day_note(&day, page.lang))
            }
        };
        let to = self.to.unwrap_or(today);
        let from = self.from.unwrap_or(to);
        if from > to || to.since(from).map(|s| s.get_days()).unwrap_or(0) > 366 {
            return Err(page.invalid("choose up to a year, from before to"));
        }
        Ok(Resolved { from, to, branch, today_note })
    }
}

/// What "today" is at one branch, in the page's language.
fn branch_day_note(page: &Page, b: &shared::branch::BranchSettings, day: Date) -> String {
    let cutoff = b.business_day_cutoff.strftime("%H:%M");
    match page.lang {
        shared::lang::Lang::ZhCn => {
            format!("今天 = {} 的营业日 {day}（{}，{cutoff} 换日；时间按门店时区显示）", b.code, b.time_zone)
        }
        _ => format!(
            "Today = {}'s business day {day} ({}, new day at {cutoff}; times in the branch's zone)",
            b.code, b.time_zone
        ),
    }
}

/// A time that belongs to no branch (audit, versions, ledger), in the chain's zone.
fn hq_time(at: jiff::Timestamp, format: &str) -> String {
    crate::calendar::hq_time(at).strftime(format).to_string()
}

/// An amount as a form field shows it (`12.50`).
fn yuan_field(m: Money) -> String {
    shared::money::Currency::CNY.format_plain(m)
}

/// The branch a page or form names: a branch manager's own, whatever was typed; anyone else's
/// choice as typed (none when blank).
fn chosen_branch(page: &Page, typed: &str) -> Option<BranchId> {
    page.me.user.branch_id.or_else(|| typed.trim().parse::<i64>().ok().map(BranchId))
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

/// A report as a table, in its columns' units, with its totals: headings, machine values and
/// notes in the page's language (`words`), a tier by its name in the member policy.
fn table(page: &Page, r: &Report, tiers: &Tiers) -> Markup {
    let show = |c: &Column, cell: &Cell| match (c.unit, cell) {
        (Unit::Money, Cell::Int(i)) => yuan(*i),
        (Unit::Bp, Cell::Int(i)) => format!("{}.{:02}%", i / 100, i % 100),
        (_, Cell::Int(i)) if c.name.ends_with("_milli") => milli(*i),
        (_, Cell::Text(t)) if c.name == "tier" => tiers.name(t).to_owned(),
        (_, Cell::Text(t)) => words::value(page.lang, &c.name, t),
        (_, cell) => cell_text(cell),
    };
    html! {
        table.report {
            thead { tr { @for c in &r.columns { th.n[c.unit != Unit::Text] { (words::column(page.lang, &c.name)) } } } }
            tbody {
                @for row in &r.rows {
                    tr { @for (c, cell) in r.columns.iter().zip(row) { td.n[c.unit != Unit::Text] { (show(c, cell)) } } }
                }
            }
            tfoot { tr { @for (c, cell) in r.columns.iter().zip(&r.totals) { td.n[c.unit != Unit::Text] { @if c.summed || c.unit == Unit::Text { (show(c, cell)) } } } } }
        }
        @if !r.notes.is_empty() {
            p.muted.notes {
                @for (k, v) in &r.notes {
                    (words::note(page.lang, k)) ": "
                    @if words::note_is_money(k) { (yuan(v.int())) } @else { (cell_text(v)) }
                    "  "
                }
            }
        }
    }
}

/// A quantity in thousandths (grams of weighed goods, units × 1000) as a decimal.
fn milli(q: i64) -> String {
    let sign = if q < 0 { "-" } else { "" };
    let a = q.unsigned_abs();
    match a % 1000 {
        0 => format!("{sign}{}", a / 1000),
        f => format!("{sign}{}.{}", a / 1000, format!("{f:03}").trim_end_matches('0')),
    }
}

/// An enum's code as the API spells it (`lost`, `awaiting_enrolment`).
fn code_of<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

/// The member tiers' names (from the policy in force), by code.
#[derive(Default)]
struct Tiers(Vec<(String, String)>);

impl Tiers {
    async fn load(state: &AppState) -> Result<Tiers, ConsoleError> {
        let policy = state.db(|s| s.current_policy()).await?;
        Ok(Tiers(policy.tiers.tiers().iter().map(|t| (t.code.clone(), t.name.clone())).collect()))
    }

    fn name<'a>(&'a self, code: &'a str) -> &'a str {
        self.0.iter().find(|(c, _)| c == code).map_or(code, |(_, n)| n.as_str())
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

#[derive(Deserialize, Default)]
struct Search {
    q: Option<String>,
}
