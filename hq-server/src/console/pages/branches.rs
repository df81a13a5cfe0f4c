//! Branches and their tills: settings, registering and revoking a till, a till's sync health.

use crate::console::FormQuery;
use crate::console::{C, ConsoleError, CsrfForm, Menu, Page, PageResult, from_code, layout, redirect};
use crate::http::AppState;
use crate::model::{Role, TillStatus};
use axum::extract::{Path, State};
use maud::{Markup, html};
use serde::Deserialize;
use shared::ids::{BranchId, TillId};
use shared::pricing::CashRounding;

use super::*;

pub(super) async fn branches(State(state): State<AppState>, page: Page) -> PageResult {
    branches_page(&state, &page, None).await
}

#[derive(Deserialize)]
pub(super) struct NewBranchForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    code: String,
    name: String,
}

pub(super) async fn add_branch(
    State(state): State<AppState>,
    page: Page,
    axum::Form(f): axum::Form<NewBranchForm>,
) -> PageResult {
    page.check_csrf(&f.csrf)?;
    let actor = page.me.actor();
    let settings = crate::admin::default_branch(f.code.trim(), f.name.trim());
    let flash = match state.db(move |s| crate::admin::add_branch(s, &actor, settings)).await {
        Ok(b) => html! { p.ok { (page.t(C::Saved)) ": " (b.code) } },
        Err(e) => html! { p.error #branch-error { (e.to_string()) } },
    };
    branches_page(&state, &page, Some(flash)).await
}

pub(super) async fn branches_page(state: &AppState, page: &Page, flash: Option<Markup>) -> PageResult {
    let all = state.db(|s| s.list_branches()).await?;
    let body = html! {
        @if let Some(f) = flash { (f) }
        table #branch-list {
            thead { tr { th { (page.t(C::Code)) } th { (page.t(C::Name)) } th { (page.t(C::Address)) } th { (page.t(C::CashRounding)) } } }
            tbody {
                @for b in all.iter().filter(|b| page.me.user.sees_branch(b.id)) {
                    tr { td { a href={ "/console/branches/" (b.id.0) } { (b.code) } } td { (b.name) } td { (b.address) } td { (words::value(page.lang, "cash_rounding", &code_of(&b.cash_rounding))) } }
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

pub(super) async fn branch(State(state): State<AppState>, page: Page, Path(id): Path<i64>) -> PageResult {
    branch_page(&state, &page, id, None).await
}

pub(super) async fn branch_page(state: &AppState, page: &Page, id: i64, flash: Option<Markup>) -> PageResult {
    let b = BranchId(id);
    see(page, b)?;
    let settings = state.db(move |s| s.get_branch(b)).await.map_err(|_| ConsoleError::NotFound(page.lang))?;
    let tills = state.db(move |s| s.list_tills(b)).await?;
    let ids: Vec<TillId> = tills.iter().map(|t| t.id).collect();
    let sync = state.db(move |s| ids.iter().map(|t| s.sync_status(*t)).collect::<Result<Vec<_>, _>>()).await?;
    let admin = page.me.user.role == Role::Admin;
    let managers = matches!(page.me.user.role, Role::Admin | Role::BranchManager);
    // Each rounding by its API code, the value the form sends back.
    let roundings =
        [CashRounding::None, CashRounding::DownToJiao, CashRounding::HalfUpToJiao, CashRounding::DownToYuan]
            .map(|r| code_of(&r));
    let current = code_of(&settings.cash_rounding);
    let body = html! {
        @if let Some(f) = flash { (f) }
        form.box #branch-form method="post" action={ "/console/branches/" (id) } {
            (page.csrf_field())
            label { (page.t(C::Name)) input name="name" value=(settings.name) disabled[!admin]; }
            label { (page.t(C::Address)) input name="address" value=(settings.address) disabled[!admin]; }
            label { (page.t(C::Phone)) input name="phone" value=(settings.phone) disabled[!admin]; }
            label { (page.t(C::OpeningHours)) input name="opening_hours" value=(settings.opening_hours) maxlength="100" disabled[!admin]; }
            label { (page.t(C::ClosedOn)) input type="date" name="closed_on" value=(settings.closed_on.map(|d| d.to_string()).unwrap_or_default()) disabled[!admin]; }
            label { (page.t(C::ReceiptHeader)) textarea name="header" rows="3" cols="50" disabled[!admin] { (settings.receipt_header.join("\n")) } }
            label { (page.t(C::ReceiptFooter)) textarea name="footer" rows="3" cols="50" disabled[!admin] { (settings.receipt_footer.join("\n")) } }
            label { (page.t(C::QuickKeys))
                textarea name="quick_keys" rows="4" cols="50" disabled[!admin] {
                    @for k in &settings.quick_keys { (k.label) " = " (k.product_code) "\n" }
                }
            }
            label { (page.t(C::ConfirmQtyOver))
                input name="confirm_qty_over" inputmode="decimal" value=(settings.cashier_limits.confirm_qty_over) disabled[!admin];
            }
            label { (page.t(C::ConfirmLineOver))
                input name="confirm_line_over" inputmode="decimal" value=(yuan_field(settings.cashier_limits.confirm_line_over)) disabled[!admin];
            }
            label { (page.t(C::TimeZone)) input name="time_zone" value=(settings.time_zone) disabled[!admin]; }
            label { (page.t(C::DayStartsAt)) input name="cutoff" type="time" value=(settings.business_day_cutoff.strftime("%H:%M")) disabled[!admin]; }
            label { (page.t(C::CashRounding))
                select name="rounding" disabled[!admin] {
                    @for r in &roundings { option value=(r) selected[&current == r] { (words::value(page.lang, "cash_rounding", r)) } }
                }
            }
            @if admin { br; button type="submit" { (page.t(C::Save)) } }
        }
        h2 { (page.t(C::Till)) }
        p.muted #time-zone { (page.t(C::TimesIn)) " " (settings.time_zone) }
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
                        td { (words::value(page.lang, "till_status", &code_of(&t.status))) }
                        td { (s.last_push_at.map(|a| settings.local(a).strftime("%Y-%m-%d %H:%M").to_string()).unwrap_or_else(|| "—".into())) }
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
pub(super) fn skew_text(skew: Option<i64>) -> Markup {
    match skew {
        None => html! { "—" },
        Some(s) if s.abs() > 300 => html! { span.error { (format!("{s:+} s")) } },
        Some(s) => html! { (format!("{s:+} s")) },
    }
}

#[derive(Deserialize)]
pub(super) struct TillEventsQuery {
    rejected: Option<u8>,
}

/// A till's sync health and its latest events; every rejected event with HQ's reason.
pub(super) async fn till_page(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    FormQuery(q): FormQuery<TillEventsQuery>,
) -> PageResult {
    let till = TillId(id);
    let t = state.db(move |s| s.get_till(till)).await.map_err(|_| ConsoleError::NotFound(page.lang))?;
    see(&page, t.branch_id)?;
    let branch = t.branch_id;
    let settings = state.db(move |s| s.get_branch(branch)).await?;
    let rejected_only = q.rejected == Some(1);
    let (sync, events) =
        state.db(move |s| Ok((s.sync_status(till)?, s.list_events(till, rejected_only, 500)?))).await?;
    let body = html! {
        p { a href={ "/console/branches/" (t.branch_id.0) } { (t.branch_code) } " · " (t.name) " " (t.device_name.clone().unwrap_or_default()) " · " (words::value(page.lang, "till_status", &code_of(&t.status))) }
        div.cards {
            div.card { (page.t(C::LastSync)) b { (sync.last_push_at.map(|a| settings.local(a).strftime("%m-%d %H:%M").to_string()).unwrap_or_else(|| "—".into())) } }
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
        p.muted #time-zone { (page.t(C::TimesIn)) " " (settings.time_zone) }
        table #events {
            thead { tr { th.n { "#" } th { (page.t(C::Kind)) } th { (page.t(C::TillTime)) } th { (page.t(C::Received)) } th { (page.t(C::Status)) } th { (page.t(C::Reason)) } } }
            tbody { @for e in &events { tr {
                td.n { (e.seq) } td { (words::value(page.lang, "event", &e.kind)) }
                td { (settings.local(e.till_at).strftime("%Y-%m-%d %H:%M:%S")) } td { (settings.local(e.received_at).strftime("%Y-%m-%d %H:%M:%S")) }
                td { @if e.status == "rejected" { span.error { (page.t(C::Rejected)) } } @else { (page.t(C::Accepted)) } }
                td { (e.reason.clone().unwrap_or_default()) @for f in &e.flags { br; span.flag { "⚑ " (f) } } }
            } } }
        }
    };
    Ok(layout(&page, Menu::Branches, &format!("{} {} · {:02}", page.t(C::Till), t.branch_code, t.number), body))
}

#[derive(Deserialize)]
pub(super) struct BranchForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    name: String,
    address: String,
    phone: String,
    #[serde(default)]
    opening_hours: String,
    header: String,
    footer: String,
    rounding: String,
    time_zone: String,
    cutoff: String,
    #[serde(default)]
    quick_keys: String,
    #[serde(default)]
    confirm_qty_over: Option<String>,
    #[serde(default)]
    confirm_line_over: Option<String>,
    /// Blank: trading; a date: the first day it no longer trades. Absent keeps it.
    #[serde(default)]
    closed_on: Option<String>,
}

pub(super) async fn save_branch(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<BranchForm>,
) -> PageResult {
    page.check_csrf(&f.csrf)?;
    let b = BranchId(id);
    let mut settings = state.db(move |s| s.get_branch(b)).await.map_err(|_| ConsoleError::NotFound(page.lang))?;
    settings.name = f.name.trim().to_owned();
    settings.address = f.address.trim().to_owned();
    settings.phone = f.phone.trim().to_owned();
    let hours = f.opening_hours.trim();
    if hours.chars().count() > 100 || hours.chars().any(char::is_control) {
        return Err(page.invalid(format!("{}: ≤ 100", page.t(C::OpeningHours))));
    }
    settings.opening_hours = hours.to_owned();
    match f.closed_on.as_deref().map(str::trim) {
        None => {}
        Some("") => settings.closed_on = None,
        Some(d) => {
            settings.closed_on = Some(d.parse().map_err(|_| page.invalid(format!("{}: `{d}`", page.t(C::ClosedOn))))?);
        }
    }
    settings.receipt_header = f.header.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect();
    settings.receipt_footer = f.footer.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect();
    settings.quick_keys = shared::branch::QuickKey::from_lines(&f.quick_keys).map_err(|e| page.invalid(&e))?;
    if let Some(q) = f.confirm_qty_over.as_deref().filter(|q| !q.trim().is_empty()) {
        settings.cashier_limits.confirm_qty_over = shared::money::Qty::parse(q.trim())
            .map_err(|e| page.invalid(format!("{}: {e}", page.t(C::ConfirmQtyOver))))?;
    }
    if let Some(m) = f.confirm_line_over.as_deref().filter(|m| !m.trim().is_empty()) {
        settings.cashier_limits.confirm_line_over = super::catalog::money_field(&page, page.t(C::ConfirmLineOver), m)?;
    }
    settings.cash_rounding = from_code(&f.rounding).ok_or_else(|| page.invalid("unknown cash rounding"))?;
    settings.time_zone = f.time_zone.trim().to_owned();
    settings.business_day_cutoff = jiff::civil::Time::strptime("%H:%M", f.cutoff.trim())
        .map_err(|_| page.invalid("the new business day's time must be like 04:00"))?;
    if settings.name.is_empty() {
        return Err(page.invalid("a branch needs a name"));
    }
    let actor = page.me.actor();
    state.db(move |s| crate::admin::update_branch(s, &actor, settings)).await?;
    branch_page(&state, &page, id, Some(html! { p.ok { (page.t(C::Saved)) } })).await
}

#[derive(Deserialize)]
pub(super) struct TillForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    name: String,
}

pub(super) async fn register_till(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<TillForm>,
) -> PageResult {
    page.check_csrf(&f.csrf)?;
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

pub(super) async fn revoke_till(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<CsrfForm>,
) -> PageResult {
    page.check_csrf(&f.csrf)?;
    let t = TillId(id);
    let till = state.db(move |s| s.get_till(t)).await.map_err(|_| ConsoleError::NotFound(page.lang))?;
    see(&page, till.branch_id)?;
    let actor = page.me.actor();
    state.db(move |s| s.revoke_till(&actor, t)).await?;
    Ok(redirect(&format!("/console/branches/{}", till.branch_id.0)))
}
