//! Reorder (补货) in the console: what is below its minimum, suggested to its maximum in whole
//! packs by supplier at the branch's average cost, made into purchase orders with one button (one
//! open order a branch and supplier; lines without a supplier are shown, not ordered); the
//! minimum, maximum, pack and supplier of each branch and product set from a CSV sheet (all or
//! none, a bad row named), and both as CSV to download.

use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use maud::{Markup, html};
use serde::Deserialize;

use super::imports::{UploadToken, read_upload};
use super::stock::stock_nav;
use super::*;
use crate::console::FormQuery;
use crate::console::{C, Menu, Page, PageResult, layout, yuan};
use crate::http::AppState;
use crate::model::{NewOrderRow, ReorderLine, StockKey};

/// The branch chosen (every field as typed).
#[derive(Deserialize, Default)]
pub(super) struct ReorderForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    branch: String,
}

pub(super) async fn reorder(
    State(state): State<AppState>,
    page: Page,
    FormQuery(q): FormQuery<ReorderForm>,
) -> PageResult {
    reorder_page(&state, &page, &q, None).await
}

async fn reorder_page(
    state: &AppState,
    page: &Page,
    f: &ReorderForm,
    flash: Option<(StatusCode, Markup)>,
) -> PageResult {
    let branch = chosen_branch(page, &f.branch);
    if let Some(b) = branch {
        see(page, b)?;
    }
    let names = branch_names(state, page).await?;
    let lines = state.db(move |s| s.reorder_suggestions(branch)).await?;
    let may_move = crate::authz::can::MOVE_STOCK.contains(&page.me.user.role);
    let orderable = lines.iter().filter(|l| l.supplier_id.is_some()).count();
    let total: i64 = lines.iter().map(|l| l.cost.0).sum();
    let chosen = branch.map(|b| b.0.to_string()).unwrap_or_default();
    let (status, flash) = flash.map_or((StatusCode::OK, None), |(s, m)| (s, Some(m)));
    let body = html! {
        (stock_nav(page))
        @if let Some(m) = flash { (m) }
        @if page.me.user.branch_id.is_none() {
            form.inline #reorder-filter method="get" action="/console/stock/reorder" {
                label { (page.t(C::Branch)) select name="branch" { option value="" { (page.t(C::AllBranches)) }
                    @for (id, n) in &names { option value=(id.0) selected[Some(*id) == branch] { (n) } } } }
                button type="submit" { (page.t(C::Show)) }
            }
        }
        p.muted { (page.t(C::ReorderHint)) " "
            a #reorder-csv href={ "/api/v1/stock-reports/reorder?format=csv" @if let Some(b) = branch { "&branch_id=" (b.0) } } { (page.t(C::DownloadCsv)) } }
        table #reorder {
            thead { tr {
                th { (page.t(C::Branch)) } th { (page.t(C::Supplier)) } th { (page.t(C::Code)) } th { (page.t(C::Name)) }
                th.n { (page.t(C::StockOnHand)) } th.n { (page.t(C::MinQty)) } th.n { (page.t(C::MaxQty)) } th.n { (page.t(C::Pack)) }
                th.n { (page.t(C::ToOrder)) } th.n { (page.t(C::UnitCost)) } th.n { (page.t(C::OrderedValue)) }
            } }
            tbody { @for l in &lines { (row(page, l)) } }
            tfoot { tr { td colspan="10" {} td.n #reorder-total { (yuan(total)) } } }
        }
        @if may_move && orderable > 0 {
            form.inline #order-suggested method="post" action="/console/stock/reorder/order" {
                (page.csrf_field())
                input type="hidden" name="branch" value=(chosen);
                button #order-these type="submit" { (page.t(C::OrderSuggested)) " (" (orderable) ")" }
            }
        }
        h2 { (page.t(C::ReorderSettings)) }
        p.muted { (page.t(C::ReorderSettingsHint)) " "
            a #settings-csv href={ "/api/v1/stock-settings?format=csv" @if let Some(b) = branch { "&branch_id=" (b.0) } } { (page.t(C::DownloadCsv)) } }
        @if may_move {
            form.inline #settings-import method="post" action={ "/console/stock/reorder/import?_csrf=" (page.csrf) } enctype="multipart/form-data" {
                label { (page.t(C::ReorderSettings)) input type="file" name="file" accept=".csv,text/csv" required; }
                button type="submit" { (page.t(C::Import)) }
            }
        }
    };
    let mut r = layout(page, Menu::Stock, page.t(C::Reorder), body);
    *r.status_mut() = status;
    Ok(r)
}

fn row(page: &Page, l: &ReorderLine) -> Markup {
    html! {
        tr data-product=(l.product_id.0) .no-supplier[l.supplier_id.is_none()] {
            td { (l.branch_code) }
            td { @if let Some(s) = &l.supplier_code { (s) } @else { em { (page.t(C::NoSupplier)) } } }
            td { (l.product_code) } td { (l.product_name) }
            td.n { (l.on_hand.display()) } td.n { (l.min.display()) } td.n { (l.max.display()) } td.n { (l.pack.display()) }
            td.n.to-order { (l.qty.display()) " " (l.unit) } td.n { (yuan(l.unit_cost.0)) } td.n { (yuan(l.cost.0)) }
        }
    }
}

/// Orders what is suggested now (the lines with a supplier): one open order a branch and
/// supplier, each line at the branch's average cost, all or none.
pub(super) async fn order_suggested(
    State(state): State<AppState>,
    page: Page,
    axum::Form(f): axum::Form<ReorderForm>,
) -> PageResult {
    page.check_csrf(&f.csrf)?;
    let branch = chosen_branch(&page, &f.branch);
    if let Some(b) = branch {
        see(&page, b)?;
    }
    let lines = state.db(move |s| s.reorder_suggestions(branch)).await?;
    let rows: Vec<NewOrderRow> = lines
        .into_iter()
        .filter(|l| l.supplier_id.is_some())
        .enumerate()
        .map(|(i, l)| NewOrderRow {
            row: i + 1,
            branch: StockKey::Id(l.branch_id.0),
            supplier: StockKey::Id(l.supplier_id.unwrap_or_default()),
            product: StockKey::Id(l.product_id.0),
            qty: l.qty,
            unit_cost: l.unit_cost,
        })
        .collect();
    if rows.is_empty() {
        let why = html! { p.error #form-error { (page.t(C::NothingToOrder)) } };
        return reorder_page(&state, &page, &f, Some((StatusCode::UNPROCESSABLE_ENTITY, why))).await;
    }
    let (actor, scope) = (page.me.actor(), page.me.user.branch_scope());
    let note = page.t(C::FromSuggestion).to_owned();
    match state.db(move |s| s.import_purchase_orders(&actor, scope, rows, &note)).await {
        Ok(made) => {
            let ok = html! { p.ok #ordered {
                (page.t(C::OrdersMade))
                @for o in &made { " " a href={ "/console/stock/orders/" (o.id) } { "#" (o.id) } }
            } };
            reorder_page(&state, &page, &f, Some((StatusCode::OK, ok))).await
        }
        Err(e) => {
            let why = html! { p.error #form-error { (e) } };
            reorder_page(&state, &page, &f, Some((StatusCode::UNPROCESSABLE_ENTITY, why))).await
        }
    }
}

pub(super) async fn import_settings(
    State(state): State<AppState>,
    page: Page,
    FormQuery(token): FormQuery<UploadToken>,
    form: Multipart,
) -> PageResult {
    let body = read_upload(&page, &token, form).await?;
    let empty = ReorderForm::default();
    let fail = |why: String| {
        Some((StatusCode::UNPROCESSABLE_ENTITY, html! { p.error #import-result { (why) "; nothing was set" } }))
    };
    let rows = match crate::http::stock_reorder::settings_of_csv(&body) {
        Ok(rows) => rows,
        Err(e) => return reorder_page(&state, &page, &empty, fail(e.to_string())).await,
    };
    let (actor, scope) = (page.me.actor(), page.me.user.branch_scope());
    match state.db(move |s| s.set_stock_settings(&actor, scope, rows)).await {
        Ok(n) => {
            let ok = html! { p.ok #import-result { (page.t(C::SettingsSet)) " " (n) } };
            reorder_page(&state, &page, &empty, Some((StatusCode::OK, ok))).await
        }
        Err(e) => reorder_page(&state, &page, &empty, fail(e.to_string())).await,
    }
}
