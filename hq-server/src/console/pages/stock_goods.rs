//! Goods coming in (进货): suppliers, purchase orders (typed, or a CSV sheet such as the
//! suggested order's), a delivery received against an order line by line (each line's quantity
//! and cost as it arrived, lines the order does not have only when the manager accepts them) or
//! without an order, and closing an order. A refused form comes back as typed with the reason,
//! nothing written. A branch manager orders and receives for their branch only.

use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use maud::{Markup, html};
use serde::Deserialize;
use shared::money::{Currency, Money, Qty};

use super::imports::{UploadToken, read_upload};
use super::stock::stock_nav;
use super::stock_lines::{self, TypedLine};
use super::*;
use crate::console::FormQuery;
use crate::console::{C, Menu, Page, PageResult, layout, redirect, yuan};
use crate::http::AppState;
use crate::model::{CostLine, NewReceipt, OrderState, PurchaseOrder};

/// The list's filter and the forms' fields, every one as typed.
#[derive(Deserialize, Default)]
pub(super) struct OrdersForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    branch: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    supplier: String,
    #[serde(default)]
    lines: String,
    #[serde(default)]
    note: String,
    /// A supplier to add.
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
}

/// Orders shown at most.
const SHOWN: u32 = 200;

fn state_word(s: OrderState) -> C {
    match s {
        OrderState::Open => C::OrderOpen,
        OrderState::Closed => C::OrderClosed,
    }
}

/// The branch a form names: a branch manager's own, whatever was typed.
fn ordered_value(o: &PurchaseOrder) -> i64 {
    o.lines.iter().map(|l| shared::stock::value_at(l.qty, l.unit_cost).0).sum()
}

pub(super) async fn orders(
    State(state): State<AppState>,
    page: Page,
    FormQuery(q): FormQuery<OrdersForm>,
) -> PageResult {
    orders_page(&state, &page, &q, None).await
}

/// Which of the list's forms a flash is about (so the right one keeps what was typed).
#[derive(PartialEq)]
enum Which {
    Order,
    Receipt,
    Supplier,
    Import,
}

async fn orders_page(
    state: &AppState,
    page: &Page,
    f: &OrdersForm,
    flash: Option<(StatusCode, Which, Markup)>,
) -> PageResult {
    let branch = chosen_branch(page, &f.branch);
    if let Some(b) = branch {
        see(page, b)?;
    }
    let st = OrderState::parse(f.state.trim());
    let names = branch_names(state, page).await?;
    let (orders, suppliers) = state.db(move |s| Ok((s.purchase_orders(branch, st, SHOWN)?, s.suppliers()?))).await?;
    let may_move = crate::authz::can::MOVE_STOCK.contains(&page.me.user.role);
    let may_add_supplier = crate::authz::can::EDIT_CATALOG.contains(&page.me.user.role);
    let empty = OrdersForm::default();
    let (status, which, message) = match flash {
        Some((s, w, m)) => (s, Some(w), Some(m)),
        None => (StatusCode::OK, None, None),
    };
    let kept = |w: Which| if which.as_ref() == Some(&w) { f } else { &empty };
    let branch_select = |name: &str, chosen: &str| {
        html! {
            @if page.me.user.branch_id.is_none() {
                label { (page.t(C::Branch)) select name=(name) required {
                    option value="" { "—" }
                    @for (id, n) in &names { option value=(id.0) selected[chosen == id.0.to_string()] { (n) } } } }
            }
        }
    };
    let supplier_select = |chosen: &str, required: bool| {
        html! {
            label { (page.t(C::Supplier)) select name="supplier" required[required] {
                option value="" { "—" }
                @for s in &suppliers { option value=(s.id) selected[chosen == s.id.to_string()] { (s.code) " " (s.name) } } } }
        }
    };
    let body = html! {
        (stock_nav(page))
        @if let Some(m) = message { (m) }
        form.inline #orders-filter method="get" action="/console/stock/orders" {
            @if page.me.user.branch_id.is_none() {
                label { (page.t(C::Branch)) select name="branch" { option value="" { (page.t(C::AllBranches)) }
                    @for (id, n) in &names { option value=(id.0) selected[Some(*id) == branch] { (n) } } } }
            }
            label { (page.t(C::Status)) select name="state" {
                option value="" { "—" }
                @for s in [OrderState::Open, OrderState::Closed] { option value=(s.code()) selected[st == Some(s)] { (page.t(state_word(s))) } } } }
            button type="submit" { (page.t(C::Show)) }
        }
        table #purchase-orders {
            thead { tr {
                th { "#" } th { (page.t(C::Branch)) } th { (page.t(C::Supplier)) } th { (page.t(C::Status)) }
                th.n { (page.t(C::Lines)) } th.n { (page.t(C::OrderedValue)) } th { (page.t(C::Time)) } th { (page.t(C::Who)) }
            } }
            tbody { @for o in &orders { tr data-order=(o.id) {
                td { a href={ "/console/stock/orders/" (o.id) } { (o.id) } }
                td { (o.branch_code) } td { (o.supplier_name) } td { (page.t(state_word(o.state))) }
                td.n { (o.lines.len()) } td.n { (yuan(ordered_value(o))) }
                td { (hq_time(o.created_at, "%Y-%m-%d %H:%M")) } td { (o.created_by) }
            } } }
        }
        @if may_move {
            h2 { (page.t(C::NewOrder)) }
            @let k = kept(Which::Order);
            form #new-order method="post" action="/console/stock/orders" {
                (page.csrf_field())
                (branch_select("branch", &k.branch))
                (supplier_select(&k.supplier, true))
                label { (page.t(C::LinesWithCost)) textarea #order-lines name="lines" rows="6" required placeholder="COLA 24 2.00" { (k.lines) } }
                label { (page.t(C::Note)) input name="note" value=(k.note) maxlength="500"; }
                button #create-order type="submit" { (page.t(C::NewOrder)) }
            }
            form.inline #order-import method="post" action={ "/console/stock/orders/import?_csrf=" (page.csrf) } enctype="multipart/form-data" {
                label { (page.t(C::OrderSheet)) input type="file" name="file" accept=".csv,text/csv" required; }
                button type="submit" { (page.t(C::Import)) }
            }
            p.muted { (page.t(C::OrderSheetHint)) }
            h2 { (page.t(C::ReceiveWithoutOrder)) }
            @let k = kept(Which::Receipt);
            form #receive-unordered method="post" action="/console/stock/receipts" {
                (page.csrf_field())
                (branch_select("branch", &k.branch))
                (supplier_select(&k.supplier, false))
                label { (page.t(C::LinesWithCost)) textarea #receipt-lines name="lines" rows="4" required placeholder="COLA 24 2.00" { (k.lines) } }
                label { (page.t(C::Note)) input name="note" value=(k.note) maxlength="500"; }
                button #receive-goods type="submit" { (page.t(C::Receive)) }
            }
        }
        h2 { (page.t(C::Suppliers)) }
        table #suppliers {
            thead { tr { th { (page.t(C::Code)) } th { (page.t(C::Name)) } } }
            tbody { @for s in &suppliers { tr { td { (s.code) } td { (s.name) } } } }
        }
        @if may_add_supplier {
            @let k = kept(Which::Supplier);
            form.inline #add-supplier method="post" action="/console/stock/suppliers" {
                (page.csrf_field())
                label { (page.t(C::Code)) input name="code" value=(k.code) required maxlength="32"; }
                label { (page.t(C::Name)) input name="name" value=(k.name) required maxlength="100"; }
                button type="submit" { (page.t(C::AddSupplier)) }
            }
        }
    };
    let mut r = layout(page, Menu::Stock, page.t(C::PurchaseOrders), body);
    *r.status_mut() = status;
    Ok(r)
}

fn refused(why: impl std::fmt::Display) -> Markup {
    html! { p.error #form-error { (why) } }
}

fn cost_lines(lines: Vec<TypedLine>) -> Vec<CostLine> {
    lines
        .into_iter()
        .map(|l| CostLine { product_id: l.product, qty: l.qty, unit_cost: l.cost.unwrap_or(Money(0)) })
        .collect()
}

pub(super) async fn create_order(
    State(state): State<AppState>,
    page: Page,
    axum::Form(f): axum::Form<OrdersForm>,
) -> PageResult {
    page.check_csrf(&f.csrf)?;
    let fail = |why: String| (StatusCode::UNPROCESSABLE_ENTITY, Which::Order, refused(why));
    let Some(branch) = chosen_branch(&page, &f.branch) else {
        return orders_page(&state, &page, &f, Some(fail("branch: choose one".into()))).await;
    };
    see(&page, branch)?;
    let Ok(supplier) = f.supplier.trim().parse::<i64>() else {
        return orders_page(&state, &page, &f, Some(fail("supplier: choose one".into()))).await;
    };
    let lines = match stock_lines::read(&state, &f.lines, true).await {
        Ok(l) => cost_lines(l),
        Err(why) => return orders_page(&state, &page, &f, Some(fail(why))).await,
    };
    let (actor, note) = (page.me.actor(), f.note.clone());
    match state.db(move |s| s.create_purchase_order(&actor, supplier, branch, lines, &note)).await {
        Ok(o) => Ok(redirect(&format!("/console/stock/orders/{}", o.id))),
        Err(e) => orders_page(&state, &page, &f, Some(fail(e.to_string()))).await,
    }
}

pub(super) async fn import_orders(
    State(state): State<AppState>,
    page: Page,
    FormQuery(token): FormQuery<UploadToken>,
    form: Multipart,
) -> PageResult {
    let body = read_upload(&page, &token, form).await?;
    let empty = OrdersForm::default();
    let fail = |why: String| {
        Some((StatusCode::UNPROCESSABLE_ENTITY, Which::Import, refused(format!("{why}; nothing was ordered"))))
    };
    let rows = match crate::http::stock_orders::order_rows_of_csv(&body) {
        Ok(rows) => rows,
        Err(e) => return orders_page(&state, &page, &empty, fail(e.to_string())).await,
    };
    let (actor, scope) = (page.me.actor(), page.me.user.branch_scope());
    match state.db(move |s| s.import_purchase_orders(&actor, scope, rows, "")).await {
        Ok(made) => {
            let ids: Vec<String> = made.iter().map(|o| format!("#{}", o.id)).collect();
            let ok = html! { p.ok #import-result { (page.t(C::OrdersMade)) " " (ids.join(" ")) } };
            orders_page(&state, &page, &empty, Some((StatusCode::OK, Which::Import, ok))).await
        }
        Err(e) => orders_page(&state, &page, &empty, fail(e.to_string())).await,
    }
}

pub(super) async fn receive_unordered(
    State(state): State<AppState>,
    page: Page,
    axum::Form(f): axum::Form<OrdersForm>,
) -> PageResult {
    page.check_csrf(&f.csrf)?;
    let fail = |why: String| (StatusCode::UNPROCESSABLE_ENTITY, Which::Receipt, refused(why));
    let Some(branch) = chosen_branch(&page, &f.branch) else {
        return orders_page(&state, &page, &f, Some(fail("branch: choose one".into()))).await;
    };
    see(&page, branch)?;
    let supplier = f.supplier.trim().parse::<i64>().ok();
    let lines = match stock_lines::read(&state, &f.lines, true).await {
        Ok(l) => cost_lines(l),
        Err(why) => return orders_page(&state, &page, &f, Some(fail(why))).await,
    };
    let receipt =
        NewReceipt { branch, order: None, supplier, lines, accept_unordered: false, note: f.note.trim().to_owned() };
    let actor = page.me.actor();
    match state.db(move |s| s.receive(&actor, receipt)).await {
        Ok(r) => {
            let ok = html! { p.ok #receipt-done { (page.t(C::GoodsReceived)) " " (r.movements.len()) } };
            orders_page(&state, &page, &OrdersForm::default(), Some((StatusCode::OK, Which::Receipt, ok))).await
        }
        Err(e) => orders_page(&state, &page, &f, Some(fail(e.to_string()))).await,
    }
}

pub(super) async fn add_supplier(
    State(state): State<AppState>,
    page: Page,
    axum::Form(f): axum::Form<OrdersForm>,
) -> PageResult {
    page.check_csrf(&f.csrf)?;
    let actor = page.me.actor();
    let (code, name) = (f.code.trim().to_owned(), f.name.trim().to_owned());
    match state.db(move |s| s.create_supplier(&actor, &code, &name)).await {
        Ok(_) => Ok(redirect("/console/stock/orders")),
        Err(e) => {
            let flash = (StatusCode::UNPROCESSABLE_ENTITY, Which::Supplier, refused(e));
            orders_page(&state, &page, &f, Some(flash)).await
        }
    }
}

/// A delivery against an order as typed: each line's quantity (`q{line}`) and cost (`c{line}`)
/// in selling units and yuan, lines it does not order, and whether the manager accepts them.
#[derive(Deserialize, Default)]
pub(super) struct DeliveryForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    extra: String,
    #[serde(default)]
    accept_unordered: Option<String>,
    #[serde(default)]
    note: String,
    #[serde(flatten)]
    fields: std::collections::HashMap<String, String>,
}

/// An order the user may see (another branch's is "not found").
async fn visible_order(state: &AppState, page: &Page, id: i64) -> Result<PurchaseOrder, ConsoleError> {
    let o = match state.db(move |s| s.purchase_order(id)).await {
        Ok(o) => o,
        Err(crate::error::AppError::NotFound(_)) => return Err(ConsoleError::NotFound(page.lang)),
        Err(e) => return Err(e.into()),
    };
    see(page, o.branch_id)?;
    Ok(o)
}

pub(super) async fn order(State(state): State<AppState>, page: Page, Path(id): Path<i64>) -> PageResult {
    let o = visible_order(&state, &page, id).await?;
    order_page(&page, &o, None, None)
}

fn order_page(
    page: &Page,
    o: &PurchaseOrder,
    typed: Option<&DeliveryForm>,
    flash: Option<(StatusCode, Markup)>,
) -> PageResult {
    let may_move = crate::authz::can::MOVE_STOCK.contains(&page.me.user.role);
    let (status, flash) = flash.map_or((StatusCode::OK, None), |(s, m)| (s, Some(m)));
    let field = |name: String, default: String| typed.and_then(|t| t.fields.get(&name).cloned()).unwrap_or(default);
    let body = html! {
        (stock_nav(page))
        @if let Some(f) = flash { (f) }
        p { a href="/console/stock/orders" { (page.t(C::PurchaseOrders)) } " · "
            a #order-csv href={ "/api/v1/purchase-orders/" (o.id) "?format=csv" } { (page.t(C::DownloadCsv)) } }
        dl.facts {
            dt { (page.t(C::Branch)) } dd { (o.branch_code) }
            dt { (page.t(C::Supplier)) } dd { (o.supplier_code) " " (o.supplier_name) }
            dt { (page.t(C::Status)) } dd #order-state { (page.t(state_word(o.state))) }
            dt { (page.t(C::Who)) } dd { (o.created_by) " " (hq_time(o.created_at, "%Y-%m-%d %H:%M")) }
            @if !o.note.is_empty() { dt { (page.t(C::Note)) } dd { (o.note) } }
        }
        @let receiving = may_move && o.state == OrderState::Open;
        form #receive-order method="post" action={ "/console/stock/orders/" (o.id) "/receive" } {
            (page.csrf_field())
            table #order-lines {
                thead { tr {
                    th { (page.t(C::Code)) } th { (page.t(C::Name)) } th.n { (page.t(C::Ordered)) } th.n { (page.t(C::ReceivedSoFar)) }
                    th.n { (page.t(C::UnitCost)) }
                    @if receiving { th.n { (page.t(C::ArrivedNow)) } th.n { (page.t(C::CostNow)) } }
                } }
                tbody { @for l in &o.lines { tr data-line=(l.line_no) {
                    td { (l.product_code) } td { (l.product_name) }
                    td.n { (l.qty.display()) } td.n { (l.received.display()) } td.n { (yuan(l.unit_cost.0)) }
                    @if receiving {
                        @let outstanding = Qty((l.qty.0 - l.received.0).max(0));
                        td.n { input.qty name={ "q" (l.line_no) } value=(field(format!("q{}", l.line_no), outstanding.display())) inputmode="decimal" size="8"; }
                        td.n { input.qty name={ "c" (l.line_no) } value=(field(format!("c{}", l.line_no), Currency::CNY.format_plain(l.unit_cost))) inputmode="decimal" size="8"; }
                    }
                } } }
            }
            @if receiving {
                label { (page.t(C::NotOrderedLines)) textarea name="extra" rows="3" placeholder="WATER 12 0.80" { (typed.map_or("", |t| t.extra.as_str())) } }
                label { input #accept-unordered type="checkbox" name="accept_unordered" value="yes" checked[typed.is_some_and(|t| t.accept_unordered.is_some())]; (page.t(C::AcceptUnordered)) }
                label { (page.t(C::Note)) input name="note" value=(typed.map_or("", |t| t.note.as_str())) maxlength="500"; }
                button #receive-delivery type="submit" { (page.t(C::Receive)) }
            }
        }
        @if receiving {
            form.inline #close-order method="post" action={ "/console/stock/orders/" (o.id) "/close" } {
                (page.csrf_field())
                button type="submit" onclick="return confirm(this.dataset.ask)" data-ask=(page.t(C::CloseOrderAsk)) { (page.t(C::CloseOrder)) }
            }
        }
    };
    let mut r = layout(page, Menu::Stock, &format!("{} #{}", page.t(C::PurchaseOrder), o.id), body);
    *r.status_mut() = status;
    Ok(r)
}

/// The delivery's lines as typed: each order line with a quantity above zero, at its typed cost.
fn delivery_lines(o: &PurchaseOrder, f: &DeliveryForm) -> Result<Vec<CostLine>, String> {
    let mut out = Vec::new();
    for l in &o.lines {
        let q = f.fields.get(&format!("q{}", l.line_no)).map(|s| s.trim()).unwrap_or("");
        if q.is_empty() {
            continue;
        }
        let qty = Qty::parse(q).map_err(|_| format!("{}: `{q}` is not a quantity (24, 0.5)", l.product_code))?;
        if qty.0 == 0 {
            continue;
        }
        let c = f.fields.get(&format!("c{}", l.line_no)).map(|s| s.trim()).unwrap_or("");
        let unit_cost = if c.is_empty() {
            l.unit_cost
        } else {
            Currency::CNY.parse(c).map_err(|_| format!("{}: `{c}` is not a cost in yuan (2.00)", l.product_code))?
        };
        out.push(CostLine { product_id: l.product_id, qty, unit_cost });
    }
    Ok(out)
}

pub(super) async fn receive_order(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<DeliveryForm>,
) -> PageResult {
    page.check_csrf(&f.csrf)?;
    let o = visible_order(&state, &page, id).await?;
    let fail = |why: String| Some((StatusCode::UNPROCESSABLE_ENTITY, refused(why)));
    let mut lines = match delivery_lines(&o, &f) {
        Ok(l) => l,
        Err(why) => return order_page(&page, &o, Some(&f), fail(why)),
    };
    if !f.extra.trim().is_empty() {
        match stock_lines::read(&state, &f.extra, true).await {
            Ok(extra) => lines.extend(cost_lines(extra)),
            Err(why) => return order_page(&page, &o, Some(&f), fail(why)),
        }
    }
    if lines.is_empty() {
        return order_page(&page, &o, Some(&f), fail(page.t(C::NothingArrived).to_owned()));
    }
    let receipt = NewReceipt {
        branch: o.branch_id,
        order: Some(o.id),
        supplier: None,
        lines,
        accept_unordered: f.accept_unordered.is_some(),
        note: f.note.trim().to_owned(),
    };
    let actor = page.me.actor();
    match state.db(move |s| s.receive(&actor, receipt)).await {
        Ok(_) => Ok(redirect(&format!("/console/stock/orders/{id}"))),
        Err(e) => {
            let o = visible_order(&state, &page, id).await?;
            order_page(&page, &o, Some(&f), fail(e.to_string()))
        }
    }
}

pub(super) async fn close_order(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<crate::console::CsrfForm>,
) -> PageResult {
    page.check_csrf(&f.csrf)?;
    let o = visible_order(&state, &page, id).await?;
    let actor = page.me.actor();
    match state.db(move |s| s.close_purchase_order(&actor, id)).await {
        Ok(_) => Ok(redirect(&format!("/console/stock/orders/{id}"))),
        Err(e) => order_page(&page, &o, None, Some((StatusCode::UNPROCESSABLE_ENTITY, refused(e)))),
    }
}
