//! The dashboard and its drill-down: a branch's days, a day's tills, shifts and sales, a sale.

use super::super::chart;
use crate::console::FormQuery;
use crate::console::{C, ConsoleError, Menu, Page, PageResult, layout, words, yuan};
use crate::http::AppState;
use crate::reports::ReportKind;
use axum::extract::{Path, State};
use jiff::civil::Date;
use maud::html;
use shared::ids::{BranchId, TillId};

use super::*;

pub(super) async fn dashboard(
    State(state): State<AppState>,
    page: Page,
    FormQuery(range): FormQuery<Range>,
) -> PageResult {
    let Resolved { from, to, branch, today_note } = range.resolve(&state, &page).await?;
    let names = branch_names(&state, &page).await?;
    let by_branch = report(&state, ReportKind::SalesByBranch, from, to, branch).await?;
    let by_day = report(&state, ReportKind::SalesByDay, from, to, branch).await?;
    let tenders = report(&state, ReportKind::Tenders, from, to, branch).await?;
    let members = report(&state, ReportKind::Members, from, to, branch).await?;
    let points = report(&state, ReportKind::Points, from, to, branch).await?;
    let tiers = report(&state, ReportKind::MembersByTier, from, to, None).await?;
    let refunds = report(&state, ReportKind::RefundsAndVoids, from, to, branch).await?;
    let tier_names = Tiers::load(&state).await?;
    let stored = report(&state, ReportKind::StoredValue, from, to, None).await?;
    let progress = super::plans::progress(&state, &page).await?;
    let overdue = super::complaints::overdue_box(&state, &page).await?;

    // Sales are before refunds (a sale's day); refunds are those paid back in the period, with or
    // without a receipt, whichever day their sale was; net is what the tills kept, as the tender
    // mix (taken less paid back) shows it.
    let due = total(&by_branch, "due");
    let refunded = total(&refunds, "paid_back");
    let net = due - refunded;
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
    let tender_mix: Vec<(String, i64)> = tenders
        .rows
        .iter()
        .map(|r| (words::value(page.lang, "tender", &cell_text(&r[0])), r[col(&tenders, "net")].int()))
        .collect();
    let tier_mix: Vec<(String, i64)> = tiers
        .rows
        .iter()
        .map(|r| (tier_names.name(&cell_text(&r[0])).to_owned(), r[col(&tiers, "members")].int()))
        .collect();

    let body = html! {
        (range_form(&page, "/console", from, to, branch, &names))
        p.muted #today-note { (today_note) }
        div.cards {
            div.card #card-sales { (page.t(C::SalesBeforeRefunds)) b { (yuan(due)) } }
            div.card #card-refunds { (page.t(C::RefundsPaidBack)) b { (yuan(refunded)) } }
            div.card #card-net { (page.t(C::NetSales)) b { (yuan(net)) } }
            div.card #card-count { (page.t(C::Transactions)) b { (count) } }
            div.card { (page.t(C::AvgBasketBeforeRefunds)) b { (yuan(basket)) } }
            div.card { (page.t(C::MemberShareBeforeRefunds)) b { (share / 100) "." (format!("{:02}", share % 100)) "%" } }
            div.card { (page.t(C::PointsIssued)) b { (kind_points("earn")) } }
            div.card { (page.t(C::PointsRedeemed)) b { (-kind_points("redeem")) } }
            div.card { (page.t(C::StoredValue)) b { (yuan(sv_out)) } }
        }
        (progress)
        div #dashboard-complaints { (overdue) }
        p.muted { (page.t(C::Drill)) }
        table #branches {
            thead { tr { th { (page.t(C::Branch)) } th.n { (page.t(C::Transactions)) } th.n { (page.t(C::SalesBeforeRefunds)) } th.n { (page.t(C::AvgBasketBeforeRefunds)) } } }
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
            (chart::bars("trend", page.t(C::TrendByDay), &days, yuan))
            (chart::bars("branches-chart", page.t(C::BranchComparison), &branches_chart, yuan))
            (chart::shares("tender-mix", page.t(C::TenderMix), page.t(C::NetSales), &tender_mix, yuan))
            (chart::shares("tier-mix", page.t(C::TierMix), page.t(C::MembersCount), &tier_mix, fmt_count))
        }
    };
    Ok(layout(&page, Menu::Dashboard, page.t(C::Dashboard), body))
}

pub(super) async fn branch_days(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    FormQuery(range): FormQuery<Range>,
) -> PageResult {
    let b = BranchId(id);
    see(&page, b)?;
    let r = Range { branch: Some(id), ..range };
    let Resolved { from, to, today_note, .. } = r.resolve(&state, &page).await?;
    let settings = state.db(move |s| s.get_branch(b)).await.map_err(|_| ConsoleError::NotFound(page.lang))?;
    let by_day = report(&state, ReportKind::SalesByDay, from, to, Some(b)).await?;
    let body = html! {
        form.inline method="get" {
            label { (page.t(C::From)) input type="date" name="from" value=(from); }
            label { (page.t(C::To)) input type="date" name="to" value=(to); }
            button type="submit" { (page.t(C::Show)) }
        }
        p.muted #today-note { (today_note) }
        table #days {
            thead { tr { th { (page.t(C::Day)) } th.n { (page.t(C::Transactions)) } th.n { (page.t(C::SalesBeforeRefunds)) } } }
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

pub(super) async fn branch_day(
    State(state): State<AppState>,
    page: Page,
    Path((id, day)): Path<(i64, Date)>,
) -> PageResult {
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
        (table(&page, &by_till, &Tiers::default()))
        h2 { (page.t(C::Shifts)) }
        (table(&page, &shifts, &Tiers::default()))
        h2 { (page.t(C::Sales)) " (" (sales.len()) ")" }
        p.muted #time-zone { (page.t(C::TimesIn)) " " (settings.time_zone) }
        @if sales.len() as u32 == SHOWN { p.muted { (page.t(C::NewestShown)) (SHOWN) } }
        table #sales {
            thead { tr { th { (page.t(C::Receipt)) } th { (page.t(C::Till)) } th { (page.t(C::Time)) } th.n { (page.t(C::Lines)) } th.n { (page.t(C::Amount)) } th { (page.t(C::Member)) } } }
            tbody {
                @for s in &sales {
                    tr {
                        td { a href={ "/console/sales/" (id) "/" (s.receipt_no) } { (s.receipt_no) } }
                        td { (format!("{:02}", till_no(s.till_id))) }
                        td { (settings.local(s.completed_at).strftime("%H:%M:%S")) }
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

pub(super) async fn sale(
    State(state): State<AppState>,
    page: Page,
    Path((branch, receipt)): Path<(i64, String)>,
) -> PageResult {
    let b = BranchId(branch);
    see(&page, b)?;
    let r = receipt.clone();
    let history = state.db(move |s| s.sale_history(b, &r)).await?.ok_or(ConsoleError::NotFound(page.lang))?;
    let sale = &history.sale;
    let tiers = Tiers::load(&state).await?;
    let settings = state.db(move |s| s.get_branch(b)).await.map_err(|_| ConsoleError::NotFound(page.lang))?;
    let body = html! {
        p #sale-time { (page.t(C::Day)) " " (sale.business_day) " · " (crate::calendar::branch_time(&settings, sale.completed_at, "%Y-%m-%d %H:%M:%S")) }
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
            tbody { @for t in &sale.tenders { tr { td { (words::value(page.lang, "tender", t.kind.code())) } td.n { (t.amount) } td.n { @if t.points != 0 { (t.points) " " (page.t(C::Points)) } } } } }
        }
        @if let Some(m) = &sale.member {
            h2 { (page.t(C::Member)) }
            p #sale-points {
                (m.identifier.masked()) " · " (tiers.name(m.tier.as_deref().unwrap_or_default())) " · "
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
