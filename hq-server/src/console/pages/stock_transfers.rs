//! Transfers between branches (调拨): sent from one branch (the goods leave at its average cost
//! and are in transit, shown at both ends), received at the other line by line with what arrived
//! in good order and damaged (what is missing is short). A branch manager sends from their branch
//! and receives into it; a refused form comes back as typed with the reason, nothing written.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use maud::{Markup, html};
use serde::Deserialize;
use shared::catalog::ProductId;
use shared::ids::BranchId;
use shared::money::Qty;

use super::stock::stock_nav;
use super::stock_lines;
use super::*;
use crate::console::FormQuery;
use crate::console::{C, Menu, Page, PageResult, layout, redirect, yuan};
use crate::http::AppState;
use crate::model::{Transfer, TransferArrival, TransferState};

/// The list's filter and the send form, every field as typed.
#[derive(Deserialize, Default)]
pub(super) struct TransfersForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    branch: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    lines: String,
    #[serde(default)]
    note: String,
}

const SHOWN: u32 = 200;

fn state_word(s: TransferState) -> C {
    match s {
        TransferState::Sent => C::InTransit,
        TransferState::Received => C::TransferReceived,
    }
}

fn sent_value(t: &Transfer) -> i64 {
    t.lines.iter().map(|l| shared::stock::value_at(l.qty, l.unit_cost).0).sum()
}

pub(super) async fn transfers(
    State(state): State<AppState>,
    page: Page,
    FormQuery(q): FormQuery<TransfersForm>,
) -> PageResult {
    transfers_page(&state, &page, &q, None).await
}

async fn transfers_page(
    state: &AppState,
    page: &Page,
    f: &TransfersForm,
    flash: Option<(StatusCode, Markup)>,
) -> PageResult {
    let branch = chosen_branch(page, &f.branch);
    if let Some(b) = branch {
        see(page, b)?;
    }
    let st = TransferState::parse(f.state.trim());
    let mine = branch_names(state, page).await?;
    let all = state.db(|s| s.list_branches()).await?;
    let list = state.db(move |s| s.transfers(branch, st, SHOWN)).await?;
    let may_move = crate::authz::can::MOVE_STOCK.contains(&page.me.user.role);
    let (status, flash) = flash.map_or((StatusCode::OK, None), |(s, m)| (s, Some(m)));
    let body = html! {
        (stock_nav(page))
        @if let Some(m) = flash { (m) }
        form.inline #transfers-filter method="get" action="/console/stock/transfers" {
            @if page.me.user.branch_id.is_none() {
                label { (page.t(C::Branch)) select name="branch" { option value="" { (page.t(C::AllBranches)) }
                    @for (id, n) in &mine { option value=(id.0) selected[Some(*id) == branch] { (n) } } } }
            }
            label { (page.t(C::Status)) select name="state" {
                option value="" { "—" }
                @for s in [TransferState::Sent, TransferState::Received] { option value=(s.code()) selected[st == Some(s)] { (page.t(state_word(s))) } } } }
            button type="submit" { (page.t(C::Show)) }
        }
        table #transfers {
            thead { tr {
                th { "#" } th { (page.t(C::FromBranch)) } th { (page.t(C::ToBranch)) } th { (page.t(C::Status)) }
                th.n { (page.t(C::Lines)) } th.n { (page.t(C::StockValueAtCost)) } th { (page.t(C::Time)) } th { (page.t(C::Who)) }
            } }
            tbody { @for t in &list { tr data-transfer=(t.id) .in-transit[t.state == TransferState::Sent] {
                td { a href={ "/console/stock/transfers/" (t.id) } { (t.id) } }
                td { (t.from_code) } td { (t.to_code) } td { (page.t(state_word(t.state))) }
                td.n { (t.lines.len()) } td.n { (yuan(sent_value(t))) }
                td { (hq_time(t.sent_at, "%Y-%m-%d %H:%M")) } td { (t.sent_by) }
            } } }
        }
        @if may_move {
            h2 { (page.t(C::SendTransfer)) }
            form #send-transfer method="post" action="/console/stock/transfers" {
                (page.csrf_field())
                @if page.me.user.branch_id.is_none() {
                    label { (page.t(C::FromBranch)) select name="from" required {
                        option value="" { "—" }
                        @for (id, n) in &mine { option value=(id.0) selected[f.from == id.0.to_string()] { (n) } } } }
                }
                label { (page.t(C::ToBranch)) select name="to" required {
                    option value="" { "—" }
                    @for b in &all { option value=(b.id.0) selected[f.to == b.id.0.to_string()] { (b.code) " " (b.name) } } } }
                label { (page.t(C::LinesNoCost)) textarea #transfer-lines name="lines" rows="5" required placeholder="COLA 12" { (f.lines) } }
                label { (page.t(C::Note)) input name="note" value=(f.note) maxlength="500"; }
                button #send type="submit" { (page.t(C::SendTransfer)) }
            }
        }
    };
    let mut r = layout(page, Menu::Stock, page.t(C::Transfers), body);
    *r.status_mut() = status;
    Ok(r)
}

fn refused(why: impl std::fmt::Display) -> Option<(StatusCode, Markup)> {
    Some((StatusCode::UNPROCESSABLE_ENTITY, html! { p.error #form-error { (why) } }))
}

pub(super) async fn send(
    State(state): State<AppState>,
    page: Page,
    axum::Form(f): axum::Form<TransfersForm>,
) -> PageResult {
    page.check_csrf(&f.csrf)?;
    let from = chosen_branch(&page, &f.from);
    let (Some(from), Ok(to)) = (from, f.to.trim().parse::<i64>()) else {
        return transfers_page(&state, &page, &f, refused("from, to: choose both branches")).await;
    };
    see(&page, from)?;
    let lines: Vec<(ProductId, Qty)> = match stock_lines::read(&state, &f.lines, false).await {
        Ok(l) => l.into_iter().map(|l| (l.product, l.qty)).collect(),
        Err(why) => return transfers_page(&state, &page, &f, refused(why)).await,
    };
    let (actor, note) = (page.me.actor(), f.note.trim().to_owned());
    match state.db(move |s| s.send_transfer(&actor, from, BranchId(to), lines, &note)).await {
        Ok(t) => Ok(redirect(&format!("/console/stock/transfers/{}", t.id))),
        Err(e) => transfers_page(&state, &page, &f, refused(e)).await,
    }
}

/// What arrived as typed: `r{line}` in good order and `d{line}` damaged, in selling units.
#[derive(Deserialize, Default)]
pub(super) struct ArrivalForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(flatten)]
    fields: std::collections::HashMap<String, String>,
}

async fn visible(state: &AppState, page: &Page, id: i64) -> Result<Transfer, ConsoleError> {
    let t = match state.db(move |s| s.transfer(id)).await {
        Ok(t) => t,
        Err(crate::error::AppError::NotFound(_)) => return Err(ConsoleError::NotFound(page.lang)),
        Err(e) => return Err(e.into()),
    };
    if !page.me.user.sees_branch(t.from_branch) && !page.me.user.sees_branch(t.to_branch) {
        return Err(ConsoleError::NotFound(page.lang));
    }
    Ok(t)
}

pub(super) async fn transfer(State(state): State<AppState>, page: Page, Path(id): Path<i64>) -> PageResult {
    let t = visible(&state, &page, id).await?;
    transfer_page(&page, &t, None, None)
}

fn transfer_page(
    page: &Page,
    t: &Transfer,
    typed: Option<&ArrivalForm>,
    flash: Option<(StatusCode, Markup)>,
) -> PageResult {
    let receiving = t.state == TransferState::Sent
        && crate::authz::can::MOVE_STOCK.contains(&page.me.user.role)
        && page.me.user.sees_branch(t.to_branch);
    let field = |name: String, default: String| typed.and_then(|f| f.fields.get(&name).cloned()).unwrap_or(default);
    let (status, flash) = flash.map_or((StatusCode::OK, None), |(s, m)| (s, Some(m)));
    let body = html! {
        (stock_nav(page))
        @if let Some(m) = flash { (m) }
        p { a href="/console/stock/transfers" { (page.t(C::Transfers)) } }
        dl.facts {
            dt { (page.t(C::FromBranch)) } dd { (t.from_code) }
            dt { (page.t(C::ToBranch)) } dd { (t.to_code) }
            dt { (page.t(C::Status)) } dd #transfer-state { (page.t(state_word(t.state))) }
            dt { (page.t(C::Who)) } dd { (t.sent_by) " " (hq_time(t.sent_at, "%Y-%m-%d %H:%M")) }
            @if let (Some(by), Some(at)) = (&t.received_by, t.received_at) {
                dt { (page.t(C::TransferReceived)) } dd { (by) " " (hq_time(at, "%Y-%m-%d %H:%M")) }
            }
            @if !t.note.is_empty() { dt { (page.t(C::Note)) } dd { (t.note) } }
        }
        form #receive-transfer method="post" action={ "/console/stock/transfers/" (t.id) "/receive" } {
            (page.csrf_field())
            table #transfer-lines {
                thead { tr {
                    th { (page.t(C::Code)) } th { (page.t(C::Name)) } th.n { (page.t(C::Sent)) } th.n { (page.t(C::UnitCost)) }
                    th.n { (page.t(C::ArrivedGood)) } th.n { (page.t(C::ArrivedDamaged)) } th.n { (page.t(C::Short)) }
                } }
                tbody { @for l in &t.lines { tr data-line=(l.line_no) {
                    td { (l.product_code) } td { (l.product_name) }
                    td.n { (l.qty.display()) } td.n { (yuan(l.unit_cost.0)) }
                    @if receiving {
                        td.n { input.qty name={ "r" (l.line_no) } value=(field(format!("r{}", l.line_no), l.qty.display())) inputmode="decimal" size="8"; }
                        td.n { input.qty name={ "d" (l.line_no) } value=(field(format!("d{}", l.line_no), "0".into())) inputmode="decimal" size="8"; }
                        td.n {}
                    } @else {
                        td.n { (l.received.map(|q| q.display()).unwrap_or_default()) }
                        td.n { (l.damaged.map(|q| q.display()).unwrap_or_default()) }
                        td.n { @if let (Some(r), Some(d)) = (l.received, l.damaged) { (Qty(l.qty.0 - r.0 - d.0).display()) } }
                    }
                } } }
            }
            @if receiving { button #receive type="submit" { (page.t(C::Receive)) } }
        }
    };
    let mut r = layout(page, Menu::Stock, &format!("{} #{}", page.t(C::Transfer), t.id), body);
    *r.status_mut() = status;
    Ok(r)
}

pub(super) async fn receive(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<ArrivalForm>,
) -> PageResult {
    page.check_csrf(&f.csrf)?;
    let t = visible(&state, &page, id).await?;
    if !page.me.user.sees_branch(t.to_branch) {
        return Err(ConsoleError::NotFound(page.lang));
    }
    // Every line says what arrived: a blank is not taken for "nothing" (that is 0).
    let read = |name: String, code: &str| -> Result<Qty, String> {
        let text = f.fields.get(&name).map(|s| s.trim()).unwrap_or("");
        if text.is_empty() {
            return Err(format!("{code}: say what arrived, 0 if nothing"));
        }
        Qty::parse(text).map_err(|_| format!("{code}: `{text}` is not a quantity (12, 0.5)"))
    };
    let mut arrivals = Vec::with_capacity(t.lines.len());
    for l in &t.lines {
        let got = read(format!("r{}", l.line_no), &l.product_code)
            .and_then(|r| read(format!("d{}", l.line_no), &l.product_code).map(|d| (r, d)));
        match got {
            Ok((received, damaged)) => arrivals.push(TransferArrival { line_no: l.line_no, received, damaged }),
            Err(why) => return transfer_page(&page, &t, Some(&f), refused(why)),
        }
    }
    let actor = page.me.actor();
    match state.db(move |s| s.receive_transfer(&actor, id, arrivals)).await {
        Ok(_) => Ok(redirect(&format!("/console/stock/transfers/{id}"))),
        Err(e) => transfer_page(&page, &t, Some(&f), refused(e)),
    }
}
