//! Member care (客户关怀): the coming week's birthdays, campaigns (birthday, holiday, win-back) made
//! and sent through the text-message gateway, and each campaign's record of what was sent to whom.

use axum::extract::{Path, State};
use maud::{Markup, html};
use serde::Deserialize;
use shared::care::CareKind;
use shared::ids::BranchId;

use crate::authz::can;
use crate::console::FormQuery;
use crate::console::{C, ConsoleError, Menu, Page, PageResult, layout, redirect};
use crate::http::AppState;
use crate::model::NewCare;

fn kind_word(kind: &str) -> C {
    match CareKind::parse(kind) {
        Some(CareKind::Birthday) => C::CareBirthday,
        Some(CareKind::Holiday) => C::CareHoliday,
        _ => C::CareWinBack,
    }
}

fn decision_word(d: &str) -> C {
    match d {
        "send" => C::CareSend,
        "refused" => C::CareRefused,
        "capped" => C::CareCapped,
        "no_phone" => C::CareNoPhone,
        _ => C::CareInactive,
    }
}

fn status_word(s: &str) -> C {
    match s {
        "queued" | "sending" => C::CareQueued,
        "sent" => C::CareSent,
        "failed" => C::CareFailed,
        _ => C::CareSkipped,
    }
}

#[derive(Deserialize, Default)]
pub(super) struct CareQuery {
    branch_id: Option<i64>,
}

pub(super) async fn care(State(state): State<AppState>, page: Page, FormQuery(q): FormQuery<CareQuery>) -> PageResult {
    care_page(&state, &page, q.branch_id, None).await
}

async fn care_page(state: &AppState, page: &Page, branch: Option<i64>, flash: Option<Markup>) -> PageResult {
    let today = crate::care::today(state);
    let cap = state.config.care_monthly_cap;
    let week = NewCare {
        kind: CareKind::Birthday,
        name: "birthdays".into(),
        template: "{name}".into(),
        branch_id: branch.map(BranchId),
        tier: None,
        days_ahead: Some(7),
        inactive_days: None,
    };
    let (birthdays, campaigns, branches) = state
        .db(move |s| Ok((s.care_audience(&week, today, cap)?, s.list_care_campaigns(50)?, s.list_branches()?)))
        .await?;
    let mut birthdays = birthdays;
    birthdays.sort_by(|a, b| a.birthday_on.cmp(&b.birthday_on).then_with(|| a.code.cmp(&b.code)));
    let may_send = can::CARE.contains(&page.me.user.role);
    let body = html! {
        @if let Some(f) = flash { (f) }
        h2 { (page.t(C::BirthdaysThisWeek)) }
        form.inline method="get" {
            label { (page.t(C::Branch)) select name="branch_id" {
                option value="" { (page.t(C::AllBranches)) }
                @for b in &branches { option value=(b.id.0) selected[branch == Some(b.id.0)] { (b.code) " " (b.name) } }
            } }
            button type="submit" { (page.t(C::Show)) }
        }
        table #birthdays {
            thead { tr { th { (page.t(C::CareBirthdayOn)) } th { (page.t(C::Code)) } th { (page.t(C::Name)) } th { (page.t(C::Phone)) } th { (page.t(C::Branch)) } th { (page.t(C::CareDecision)) } } }
            tbody { @for m in &birthdays { tr {
                td { @if let Some(d) = m.birthday_on { (d) } } td { (m.code) } td { (m.name) }
                td { (m.phone.clone().unwrap_or_default()) } td { (m.branch) } td { (page.t(decision_word(&m.decision))) }
            } } }
        }
        @if may_send {
            h2 { (page.t(C::NewCareCampaign)) }
            p.muted { (page.t(C::CareHelp)) " " (cap) }
            form #new-care method="post" action="/console/care" {
                (page.csrf_field())
                label { (page.t(C::CareKind)) select name="kind" {
                    @for k in CareKind::ALL { option value=(k.code()) { (page.t(kind_word(k.code()))) } }
                } }
                label { (page.t(C::Name)) input type="text" name="name" required maxlength="100"; }
                label { (page.t(C::CareTemplate)) textarea name="template" rows="3" cols="60" required { "{name}，" } }
                label { (page.t(C::Branch)) select name="branch_id" {
                    option value="" { (page.t(C::AllBranches)) }
                    @for b in &branches { option value=(b.id.0) { (b.code) " " (b.name) } }
                } }
                label { (page.t(C::CareDaysAhead)) input type="number" name="days_ahead" min="1" max="31" value="7"; }
                label { (page.t(C::InactiveDays)) input type="number" name="inactive_days" min="14" max="3650" value="90"; }
                button type="submit" { (page.t(C::CareSendNow)) }
            }
        }
        h2 { (page.t(C::CareCampaigns)) }
        table #care-campaigns {
            thead { tr { th { "#" } th { (page.t(C::CareKind)) } th { (page.t(C::Name)) } th.n { (page.t(C::CareSent)) } th.n { (page.t(C::CareFailed)) } th.n { (page.t(C::CareQueued)) } th.n { (page.t(C::CareSkipped)) } } }
            tbody { @for c in &campaigns { tr {
                td { a href={ "/console/care/" (c.id) } { (c.id) } }
                td { (page.t(kind_word(&c.kind))) } td { (c.name) }
                td.n { (c.counts.sent) } td.n { (c.counts.failed) } td.n { (c.counts.queued + c.counts.sending) } td.n { (c.counts.skipped) }
            } } }
        }
    };
    Ok(layout(page, Menu::Care, page.t(C::Care), body))
}

#[derive(Deserialize)]
pub(super) struct CareForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    kind: String,
    name: String,
    template: String,
    #[serde(default)]
    branch_id: String,
    #[serde(default)]
    days_ahead: String,
    #[serde(default)]
    inactive_days: String,
}

pub(super) async fn create(
    State(state): State<AppState>,
    page: Page,
    axum::Form(f): axum::Form<CareForm>,
) -> PageResult {
    page.check_csrf(&f.csrf)?;
    page.require(can::CARE)?;
    let kind =
        CareKind::parse(&f.kind).ok_or_else(|| page.invalid(format!("{}: `{}`", page.t(C::CareKind), f.kind)))?;
    let number = |what: C, v: &str| -> Result<Option<u32>, ConsoleError> {
        match v.trim() {
            "" => Ok(None),
            v => v.parse().map(Some).map_err(|_| page.invalid(format!("{}: `{v}`", page.t(what)))),
        }
    };
    let branch_id = number(C::Branch, &f.branch_id)?.map(|b| BranchId(i64::from(b)));
    let days_ahead = number(C::CareDaysAhead, &f.days_ahead)?.map(|d| u16::try_from(d).unwrap_or(u16::MAX));
    let inactive_days = number(C::InactiveDays, &f.inactive_days)?;
    let new = NewCare {
        kind,
        name: f.name,
        template: f.template,
        branch_id,
        tier: None,
        days_ahead: (kind == CareKind::Birthday).then_some(days_ahead).flatten(),
        inactive_days: (kind == CareKind::WinBack).then_some(inactive_days).flatten(),
    };
    match crate::http::care::create_campaign(&state, &page.me, new).await {
        Ok(c) => Ok(redirect(&format!("/console/care/{}", c.id))),
        Err(e) => {
            let flash = html! { p.error #care-error { (e.to_string()) } };
            care_page(&state, &page, None, Some(flash)).await
        }
    }
}

pub(super) async fn campaign(State(state): State<AppState>, page: Page, Path(id): Path<i64>) -> PageResult {
    let (c, messages) = state.db(move |s| s.care_campaign(id)).await.map_err(|_| ConsoleError::NotFound(page.lang))?;
    let body = html! {
        p { a href="/console/care" { (page.t(C::Care)) } }
        p #care-summary {
            (page.t(kind_word(&c.kind))) " · " (c.template) " · "
            (page.t(C::CareSent)) " " (c.counts.sent) " · " (page.t(C::CareFailed)) " " (c.counts.failed) " · "
            (page.t(C::CareQueued)) " " (c.counts.queued + c.counts.sending) " · " (page.t(C::CareSkipped)) " " (c.counts.skipped)
        }
        table #care-log {
            thead { tr { th { (page.t(C::Code)) } th { (page.t(C::Name)) } th { (page.t(C::Phone)) } th { (page.t(C::CareDecision)) } th { (page.t(C::Status)) } th { (page.t(C::CareText)) } } }
            tbody { @for m in &messages { tr data-status=(m.status) {
                td { (m.code) } td { (m.name) } td { (m.phone.clone().unwrap_or_default()) }
                td { (page.t(decision_word(&m.decision))) } td { (page.t(status_word(&m.status))) @if let Some(d) = &m.detail { " · " (d) } }
                td { (m.text.clone().unwrap_or_default()) }
            } } }
        }
    };
    Ok(layout(&page, Menu::Care, &format!("{} #{} · {}", page.t(C::Care), c.id, c.name), body))
}
