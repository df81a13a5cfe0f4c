//! Stock reports (库存报表): slow movers (on the shelf, not selling), shrinkage (gone without a
//! sale, in money) and days of cover of one branch. A branch manager sees their branch's only.

use axum::extract::State;
use jiff::civil::Date;
use maud::html;
use serde::Deserialize;
use shared::stock::WriteOffReason;

use super::stock::{qty, reason_word};
use super::*;
use crate::console::FormQuery;
use crate::console::{C, Menu, Page, PageResult, layout, yuan};
use crate::http::AppState;
use crate::model::ShrinkageCause;

/// The reports' choices, every field as typed.
#[derive(Deserialize, Default)]
pub(super) struct ReportsQuery {
    #[serde(default)]
    branch: String,
    /// Slow movers: not sold for this many days.
    #[serde(default)]
    days: String,
    /// Days of cover: the rate of sale over this many days.
    #[serde(default)]
    window: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

/// Rows each report shows at most.
const SHOWN: u32 = 100;

/// A number of days as typed, within 1 to ten years, or the default.
fn days(typed: &str, default: u32) -> u32 {
    typed.trim().parse::<u32>().ok().filter(|d| (1..=3650).contains(d)).unwrap_or(default)
}

fn cause_word(c: ShrinkageCause) -> C {
    match c {
        ShrinkageCause::Damage => reason_word(WriteOffReason::Damage),
        ShrinkageCause::Expiry => reason_word(WriteOffReason::Expiry),
        ShrinkageCause::Theft => reason_word(WriteOffReason::Theft),
        ShrinkageCause::Other => reason_word(WriteOffReason::Other),
        ShrinkageCause::Count => C::StockCountAdjustment,
    }
}

pub(super) async fn reports(
    State(state): State<AppState>,
    page: Page,
    FormQuery(q): FormQuery<ReportsQuery>,
) -> PageResult {
    let branch = chosen_branch(&page, &q.branch);
    if let Some(b) = branch {
        see(&page, b)?;
    }
    let names = branch_names(&state, &page).await?;
    let (slow_days, window) = (days(&q.days, 90), days(&q.window, 28));
    let to = q.to.trim().parse::<Date>().unwrap_or_else(|_| crate::calendar::hq_day(state.now()));
    let from = q.from.trim().parse::<Date>().ok().filter(|f| *f <= to).unwrap_or_else(|| to.first_of_month());
    let slow = state.db(move |s| s.slow_movers(branch, slow_days, SHOWN)).await?;
    let shrinkage = state.db(move |s| s.shrinkage(branch, from, to)).await?;
    let cover = match branch {
        Some(b) => Some(state.db(move |s| s.stock_cover(b, window, SHOWN)).await?),
        None => None,
    };
    let body = html! {
        form.inline #stock-reports-filter method="get" action="/console/stock/reports" {
            @if page.me.user.branch_id.is_none() {
                label { (page.t(C::Branch)) select name="branch" { option value="" { (page.t(C::AllBranches)) }
                    @for (id, n) in &names { option value=(id.0) selected[Some(*id) == branch] { (n) } } } }
            }
            label { (page.t(C::SlowDays)) input name="days" type="number" min="1" max="3650" value=(slow_days); }
            label { (page.t(C::CoverWindow)) input name="window" type="number" min="1" max="3650" value=(window); }
            label { (page.t(C::From)) input name="from" type="date" value=(from); }
            label { (page.t(C::To)) input name="to" type="date" value=(to); }
            button type="submit" { (page.t(C::Show)) }
        }
        h2 { (page.t(C::SlowMovers)) }
        p.muted { (page.t(C::SlowMoversHint)) }
        table #slow-movers {
            thead { tr {
                th { (page.t(C::Branch)) } th { (page.t(C::Code)) } th { (page.t(C::Name)) }
                th.n { (page.t(C::StockOnHand)) } th.n { (page.t(C::StockValueAtCost)) } th.n { (page.t(C::DaysSinceSale)) }
            } }
            tbody { @for s in &slow { tr data-product=(s.level.product_id.0) {
                td { (s.level.branch_code) }
                td { a href={ "/console/stock/" (s.level.branch_id.0) "/" (s.level.product_id.0) } { (s.level.product_code) } }
                td { (s.level.product_name) }
                td.n { (qty(s.level.on_hand, &s.level.unit)) } td.n { (yuan(s.level.value.0)) }
                td.n { @match s.days_since_sale { Some(d) => (d), None => (page.t(C::NeverSold)) } }
            } } }
        }
        h2 { (page.t(C::Shrinkage)) }
        p.muted { (page.t(C::ShrinkageHint)) }
        table #shrinkage {
            thead { tr {
                th { (page.t(C::Branch)) } th { (page.t(C::Reason)) } th.n { (page.t(C::StockMovements)) }
                th.n { (page.t(C::ShrinkLost)) } th.n { (page.t(C::ShrinkFound)) } th.n { (page.t(C::ShrinkNet)) }
            } }
            tbody { @for r in &shrinkage { tr data-cause=(r.cause.code()) {
                td { (r.branch_code) } td { (page.t(cause_word(r.cause))) } td.n { (r.movements) }
                td.n { (yuan(r.lost.0)) } td.n { (yuan(r.found.0)) } td.n { (yuan(r.lost.0 - r.found.0)) }
            } } }
            tfoot { tr {
                td colspan="3" { (page.t(C::ShrinkTotal)) }
                td.n #shrink-lost { (yuan(shrinkage.iter().map(|r| r.lost.0).sum())) }
                td.n { (yuan(shrinkage.iter().map(|r| r.found.0).sum())) }
                td.n { (yuan(shrinkage.iter().map(|r| r.lost.0 - r.found.0).sum())) }
            } }
        }
        h2 { (page.t(C::DaysOfCover)) }
        @match &cover {
            None => p.muted #cover-pick { (page.t(C::CoverPickBranch)) },
            Some(rows) => {
                p.muted { (page.t(C::CoverHint)) }
                table #cover {
                    thead { tr {
                        th { (page.t(C::Code)) } th { (page.t(C::Name)) } th.n { (page.t(C::StockOnHand)) }
                        th.n { (page.t(C::SoldInWindow)) } th.n { (page.t(C::DaysOfCover)) }
                    } }
                    tbody { @for r in rows { tr data-product=(r.level.product_id.0) .negative[r.level.on_hand.0 <= 0] {
                        td { a href={ "/console/stock/" (r.level.branch_id.0) "/" (r.level.product_id.0) } { (r.level.product_code) } }
                        td { (r.level.product_name) }
                        td.n { (qty(r.level.on_hand, &r.level.unit)) } td.n { (qty(r.sold, &r.level.unit)) }
                        td.n { @match r.cover_days { Some(d) => (d), None => "—" } }
                    } } }
                }
            }
        }
    };
    Ok(layout(&page, Menu::Stock, page.t(C::StockReports), body))
}
