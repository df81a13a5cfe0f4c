//! Stock (库存): each branch's stock at cost, the levels with search and filters (a branch, part
//! of a code or name, only what is below zero), and a product's level at a branch with its
//! movements and a form to write goods off (a refused one comes back with its reason, nothing
//! written). A branch manager sees and moves only their branch's stock.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use maud::{Markup, html};
use serde::Deserialize;
use shared::catalog::ProductId;
use shared::ids::BranchId;
use shared::money::Qty;
use shared::stock::{MovementKind, WriteOffReason};

use crate::console::FormQuery;
use crate::console::{C, Menu, Page, PageResult, layout, yuan};
use crate::http::AppState;
use crate::model::{NewWriteOff, StockFilter, StockLevel};

use super::*;

/// The list's filter, every field as typed.
#[derive(Deserialize, Default)]
pub(super) struct StockQuery {
    #[serde(default)]
    branch: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    negative: Option<String>,
}

/// The write-off form as typed.
#[derive(Deserialize, Default)]
pub(super) struct WriteOffForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    qty: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    note: String,
}

/// The levels shown at most.
const SHOWN: u32 = 500;

fn kind_word(k: MovementKind) -> C {
    match k {
        MovementKind::Sale => C::StockSale,
        MovementKind::Return => C::StockReturn,
        MovementKind::Receipt => C::StockReceipt,
        MovementKind::TransferOut => C::StockTransferOut,
        MovementKind::TransferIn => C::StockTransferIn,
        MovementKind::CountAdjustment => C::StockCountAdjustment,
        MovementKind::WriteOff => C::StockWriteOff,
    }
}

pub(super) fn reason_word(r: WriteOffReason) -> C {
    match r {
        WriteOffReason::Damage => C::WriteOffDamage,
        WriteOffReason::Expiry => C::WriteOffExpiry,
        WriteOffReason::Theft => C::WriteOffTheft,
        WriteOffReason::Other => C::WriteOffOther,
    }
}

/// The stock pages' own menu: levels, goods in, transfers, counts, reorder, reports.
pub(super) fn stock_nav(page: &Page) -> Markup {
    html! {
        nav.sub #stock-nav {
            a href="/console/stock" { (page.t(C::Stock)) } " · "
            a href="/console/stock/orders" { (page.t(C::PurchaseOrders)) } " · "
            a href="/console/stock/transfers" { (page.t(C::Transfers)) } " · "
            a href="/console/stock/counts" { (page.t(C::StockCounts)) } " · "
            a href="/console/stock/reorder" { (page.t(C::Reorder)) } " · "
            a href="/console/stock/reports" { (page.t(C::StockReports)) }
        }
    }
}

/// A quantity with its unit: `-2 瓶`, `0.532 kg`.
pub(super) fn qty(q: Qty, unit: &str) -> String {
    format!("{} {unit}", q.display())
}

pub(super) async fn stock(
    State(state): State<AppState>,
    page: Page,
    FormQuery(q): FormQuery<StockQuery>,
) -> PageResult {
    let branch = chosen_branch(&page, &q.branch);
    if let Some(b) = branch {
        see(&page, b)?;
    }
    let names = branch_names(&state, &page).await?;
    let filter = StockFilter {
        branch,
        search: Some(q.q.trim().to_owned()).filter(|s| !s.is_empty()),
        category: None,
        negative_only: q.negative.is_some(),
        after: None,
        limit: SHOWN,
    };
    let levels = state.db(move |s| s.stock_levels(&filter)).await?;
    let values = state.db(move |s| s.stock_value(branch)).await?;
    let body = html! {
        (stock_nav(&page))
        table #stock-value {
            thead { tr { th { (page.t(C::Branch)) } th.n { (page.t(C::StockProducts)) } th.n { (page.t(C::StockNegative)) } th.n { (page.t(C::StockValueAtCost)) } } }
            tbody { @for v in &values { tr data-branch=(v.branch_id.0) {
                td { (v.branch_code) } td.n { (v.products) } td.n { (v.negative) } td.n { (yuan(v.value.0)) }
            } } }
        }
        p.muted { (page.t(C::StockValueHint)) " " a #stock-reports-link href="/console/stock/reports" { (page.t(C::StockReports)) } }
        form.inline #stock-filter method="get" action="/console/stock" {
            @if page.me.user.branch_id.is_none() {
                label { (page.t(C::Branch)) select name="branch" { option value="" { (page.t(C::AllBranches)) }
                    @for (id, n) in &names { option value=(id.0) selected[Some(*id) == branch] { (n) } } } }
            }
            label { (page.t(C::Search)) input #stock-q name="q" value=(q.q) maxlength="60"; }
            label { input #stock-negative type="checkbox" name="negative" value="yes" checked[q.negative.is_some()]; (page.t(C::StockNegativeOnly)) }
            button type="submit" { (page.t(C::Show)) }
        }
        (levels_table(&page, &levels))
        @if levels.len() as u32 >= SHOWN { p.muted { (page.t(C::NewestShown)) (SHOWN) } }
    };
    Ok(layout(&page, Menu::Stock, page.t(C::Stock), body))
}

fn levels_table(page: &Page, levels: &[StockLevel]) -> Markup {
    html! {
        table #stock-levels {
            thead { tr {
                th { (page.t(C::Branch)) } th { (page.t(C::Code)) } th { (page.t(C::Name)) }
                th.n { (page.t(C::StockOnHand)) } th.n { (page.t(C::StockAvgCost)) } th.n { (page.t(C::StockValueAtCost)) }
                th { (page.t(C::StockLastSale)) }
            } }
            tbody { @for l in levels { tr data-product=(l.product_id.0) .negative[l.on_hand.0 < 0] {
                td { (l.branch_code) }
                td { a href={ "/console/stock/" (l.branch_id.0) "/" (l.product_id.0) } { (l.product_code) } }
                td { (l.product_name) }
                td.n { (qty(l.on_hand, &l.unit)) } td.n { (yuan(l.avg_cost.0)) } td.n { (yuan(l.value.0)) }
                td { @if let Some(t) = l.last_sale_at { (hq_time(t, "%Y-%m-%d %H:%M")) } }
            } } }
        }
    }
}

pub(super) async fn level(
    State(state): State<AppState>,
    page: Page,
    Path((branch, product)): Path<(i64, i64)>,
) -> PageResult {
    level_page(&state, &page, BranchId(branch), ProductId(product), None, None).await
}

async fn level_page(
    state: &AppState,
    page: &Page,
    branch: BranchId,
    product: ProductId,
    form: Option<&WriteOffForm>,
    flash: Option<(StatusCode, Markup)>,
) -> PageResult {
    see(page, branch)?;
    let found =
        state.db(move |s| Ok((s.stock_level(branch, product)?, s.stock_movements(branch, product, None, 200)?))).await;
    let (level, movements) = match found {
        Ok(x) => x,
        Err(crate::error::AppError::NotFound(_)) => return Err(ConsoleError::NotFound(page.lang)),
        Err(e) => return Err(e.into()),
    };
    let empty = WriteOffForm::default();
    let f = form.unwrap_or(&empty);
    let may_move = page.me.user.role != crate::model::Role::Finance;
    let (status, flash) = flash.map_or((StatusCode::OK, None), |(s, m)| (s, Some(m)));
    let body = html! {
        @if let Some(f) = flash { (f) }
        p { a href="/console/stock" { (page.t(C::Stock)) } }
        (levels_table(page, std::slice::from_ref(&level)))
        @if may_move {
            h2 { (page.t(C::StockWriteOff)) }
            form.inline #write-off method="post" action={ "/console/stock/" (branch.0) "/" (product.0) } {
                (page.csrf_field())
                label { (page.t(C::Qty)) " (" (level.unit) ")" input #write-off-qty name="qty" value=(f.qty) required inputmode="decimal"; }
                label { (page.t(C::Reason)) select #write-off-reason name="reason" {
                    @for r in WriteOffReason::ALL { option value=(r.code()) selected[f.reason == r.code()] { (page.t(reason_word(r))) } } } }
                label { (page.t(C::Note)) input #write-off-note name="note" value=(f.note) maxlength="500"; }
                button #write-off-submit type="submit" { (page.t(C::StockWriteOff)) }
            }
        }
        h2 { (page.t(C::StockMovements)) }
        table #stock-movements {
            thead { tr {
                th { (page.t(C::Time)) } th { (page.t(C::Kind)) } th.n { (page.t(C::Qty)) } th.n { (page.t(C::StockValueAtCost)) }
                th { (page.t(C::StockSource)) } th { (page.t(C::Reason)) } th { (page.t(C::Who)) }
            } }
            tbody { @for m in &movements { tr data-movement=(m.id) {
                td { (hq_time(m.at, "%Y-%m-%d %H:%M")) }
                td { (page.t(kind_word(m.kind))) }
                td.n { (qty(m.qty, &level.unit)) }
                td.n { (yuan(m.value.0)) }
                td { (m.source) }
                td { @if let Some(r) = m.reason { (page.t(reason_word(r))) } @if !m.note.is_empty() { " " (m.note) } }
                td { (m.actor) }
            } } }
        }
        p.muted { (page.t(C::StockAppendOnly)) }
    };
    let mut r = layout(page, Menu::Stock, page.t(C::Stock), body);
    *r.status_mut() = status;
    Ok(r)
}

pub(super) async fn write_off(
    State(state): State<AppState>,
    page: Page,
    Path((branch, product)): Path<(i64, i64)>,
    axum::Form(f): axum::Form<WriteOffForm>,
) -> PageResult {
    page.check_csrf(&f.csrf)?;
    let (branch, product) = (BranchId(branch), ProductId(product));
    see(&page, branch)?;
    let parsed = Qty::parse(f.qty.trim()).map_err(|e| format!("qty: {e}")).and_then(|q| {
        WriteOffReason::parse(&f.reason).map(|r| (q, r)).ok_or_else(|| format!("reason: `{}` is not one", f.reason))
    });
    let done = match parsed {
        Ok((qty, reason)) => {
            let actor = page.me.actor();
            let new = NewWriteOff { branch, product, qty, reason, note: f.note.clone(), at: None };
            state.db(move |s| s.write_off(&actor, new)).await.map_err(|e| e.to_string())
        }
        Err(why) => Err(why),
    };
    match done {
        Ok(m) => {
            let flash = html! { p.ok #write-off-done { (page.t(C::StockWrittenOff)) " " (m.qty.display()) } };
            level_page(&state, &page, branch, product, None, Some((StatusCode::OK, flash))).await
        }
        Err(why) => {
            let flash = html! { p.error #write-off-error { (why) } };
            level_page(&state, &page, branch, product, Some(&f), Some((StatusCode::UNPROCESSABLE_ENTITY, flash))).await
        }
    }
}
