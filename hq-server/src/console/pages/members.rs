//! Members: search, a member's page, manual adjustments, cards.

use crate::console::FormQuery;
use crate::console::{C, ConsoleError, Menu, Page, PageResult, from_code, layout, yuan};
use crate::http::AppState;
use crate::model::{Adjustment, Role};
use axum::extract::{Path, State};
use maud::{Markup, html};
use serde::Deserialize;
use shared::ids::MemberId;
use shared::money::Money;

use super::*;

pub(super) async fn members(State(state): State<AppState>, page: Page, FormQuery(q): FormQuery<Search>) -> PageResult {
    members_page(&state, &page, q.q.unwrap_or_default(), None).await
}

pub(super) async fn members_page(state: &AppState, page: &Page, query: String, flash: Option<Markup>) -> PageResult {
    let qq = query.clone();
    let found =
        if qq.trim().is_empty() { Vec::new() } else { state.db(move |s| s.search_members(qq.trim(), 50)).await? };
    let tiers = Tiers::load(state).await?;
    let body = html! {
        form.inline method="get" { label { (page.t(C::Search)) input name="q" value=(query) placeholder="0000012345 / 138… / 陈"; } button type="submit" { (page.t(C::Search)) } }
        @if let Some(f) = flash { (f) }
        p { a href="/api/v1/members/export" { (page.t(C::Export)) } }
        @if matches!(page.me.user.role, Role::Admin | Role::Marketing) {
            form.inline #import method="post" action={ "/console/members/import?_csrf=" (page.csrf) } enctype="multipart/form-data"
                onsubmit="this.querySelector('progress').hidden=false" {

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
                        td { (m.phone.as_ref().map(|p| p.as_str().to_owned()).unwrap_or_default()) } td { (tiers.name(&m.tier)) }
                        td.n { (m.points) } td.n { (m.stored_value.total()) }
                    }
                }
            }
        }
    };
    Ok(layout(page, Menu::Members, page.t(C::Members), body))
}

pub(super) async fn member(State(state): State<AppState>, page: Page, Path(id): Path<String>) -> PageResult {
    member_page(&state, &page, &id, None).await
}

pub(super) async fn member_page(state: &AppState, page: &Page, id: &str, flash: Option<Markup>) -> PageResult {
    let id = MemberId::parse(id).map_err(|_| ConsoleError::NotFound(page.lang))?;
    let (m, lots, ledger, coupons) = state
        .db(move |s| Ok((s.get_member(id)?, s.lots(id)?, s.ledger(id, 100)?, s.member_coupons(id)?)))
        .await
        .map_err(|_| ConsoleError::NotFound(page.lang))?;
    let may_adjust = matches!(page.me.user.role, Role::Admin | Role::Marketing);
    let tiers = Tiers::load(state).await?;
    let body = html! {
        @if let Some(f) = flash { (f) }
        div.cards {
            div.card { (page.t(C::Tier)) b { (tiers.name(&m.tier)) } }
            div.card { (page.t(C::Points)) b #member-points { (m.points) } }
            div.card { (page.t(C::StoredValue)) b { (m.stored_value.total()) } span.muted { (m.stored_value.principal) " + " (m.stored_value.bonus) } }
            div.card { (page.t(C::Phone)) b { (m.phone.as_ref().map(|p| p.as_str().to_owned()).unwrap_or_default()) } }
            div.card #member-self-service {
                (page.t(C::MarketingConsent))
                b { @match m.marketing_consent { Some(true) => (page.t(C::Yes)), Some(false) => (page.t(C::No)), None => "—" } }
                span.muted { @if m.code_secret.is_some() { (page.t(C::PhoneCodeActive)) } @else { (page.t(C::PhoneCodeNone)) } }
            }
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
            td { (words::value(page.lang, "card_kind", c.kind.code())) } td { (c.value) } td { (words::value(page.lang, "card_status", &code_of(&c.status))) }
            td { @if may_adjust {
                form.inline method="post" action={ "/console/members/" (m.id) "/cards" } {
                    (page.csrf_field())
                    input type="hidden" name="kind" value=(serde_json::to_value(c.kind).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default());
                    input type="hidden" name="value" value=(c.value);
                    select name="status" { @for st in ["active", "lost", "replaced", "blocked"] { option value=(st) { (words::value(page.lang, "card_status", st)) } } }
                    button type="submit" { (page.t(C::Save)) }
                }
            } }
        } } } }
        @if may_adjust {
            form.inline method="post" action={ "/console/members/" (m.id) "/cards" } {
                (page.csrf_field())
                input type="hidden" name="status" value="new";
                label { (page.t(C::Kind)) select name="kind" { @for k in ["code", "uid"] { option value=(k) { (words::value(page.lang, "card_kind", k)) } } } }
                label { "No." input name="value" required; }
                button type="submit" { "+" }
            }
        }
        (super::coupons::member_coupons(page, &coupons))
        h2 { (page.t(C::Ledger)) }
        p.muted { (page.t(C::TimesIn)) " " (crate::calendar::HQ_TIME_ZONE) }
        table #ledger { thead { tr { th { (page.t(C::Time)) } th { (page.t(C::Kind)) } th.n { (page.t(C::Points)) } th.n { (page.t(C::StoredValue)) } th { (page.t(C::Reason)) } th { (page.t(C::Who)) } } }
            tbody { @for e in &ledger { tr {
                td { (hq_time(e.at, "%Y-%m-%d %H:%M")) } td { (words::value(page.lang, "kind", e.kind.code())) } td.n { (e.points) }
                td.n { (yuan(e.principal + e.bonus)) } td { (e.reason.clone().unwrap_or_else(|| words::value(page.lang, "source", &e.source))) } td { (e.actor) }
            } } } }
    };
    Ok(layout(page, Menu::Members, &format!("{} {}", m.code.as_str(), m.name), body))
}

#[derive(Deserialize)]
pub(super) struct AdjustForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    points: i64,
    reason: String,
}

pub(super) async fn adjust_member(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    axum::Form(f): axum::Form<AdjustForm>,
) -> PageResult {
    page.check_csrf(&f.csrf)?;
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

#[derive(Deserialize)]
pub(super) struct CardForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    kind: String,
    value: String,
    /// `active`, `lost`, `replaced`, `blocked`; or `new` to add the card.
    status: String,
}

pub(super) async fn member_card(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    axum::Form(f): axum::Form<CardForm>,
) -> PageResult {
    page.check_csrf(&f.csrf)?;
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
