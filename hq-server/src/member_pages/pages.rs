//! The signed-in member's pages: home (tier, points, stored value, coupons), history, the member
//! code, profile; and the branches, which anyone may see.

use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use maud::html;
use serde::{Deserialize, Serialize};
use shared::ledger::LedgerKind;
use shared::member::MemberStatus;
use shared::member_code::{self, MemberSecret};

use super::i18n::M;
use super::{Member, Visitor, csrf_field, layout, layout_with_head, money, raw};
use crate::console::redirect;
use crate::http::AppState;
use crate::model::{MemberCoupons, MemberRecord, OwnProfile};

fn kind_word(kind: LedgerKind) -> M {
    match kind {
        LedgerKind::Earn => M::KindEarn,
        LedgerKind::Redeem => M::KindRedeem,
        LedgerKind::Reverse => M::KindReverse,
        LedgerKind::Restore => M::KindRestore,
        LedgerKind::Expire => M::KindExpire,
        LedgerKind::Adjust => M::KindAdjust,
        LedgerKind::TopUp => M::KindTopUp,
        LedgerKind::Spend => M::KindSpend,
        LedgerKind::Refund => M::KindRefund,
    }
}

fn signed(n: i64) -> String {
    if n > 0 { format!("+{n}") } else { n.to_string() }
}

fn signed_money(fen: i64) -> String {
    if fen > 0 { format!("+{}", money(fen)) } else { money(fen) }
}

fn hq_date(t: jiff::Timestamp) -> String {
    crate::calendar::hq_time(t).strftime("%Y-%m-%d").to_string()
}

fn hq_minute(t: jiff::Timestamp) -> String {
    crate::calendar::hq_time(t).strftime("%Y-%m-%d %H:%M").to_string()
}

pub(super) async fn home(State(state): State<AppState>, m: Member) -> Response {
    let id = m.id;
    let home = match state.db(move |s| s.member_home(id, HOME_COUPONS)).await {
        Ok(h) => h,
        Err(e) => return super::failed(&m, e),
    };
    let v: &Visitor = &m;
    let member = &home.member;
    let percent = match &home.next_tier {
        Some((_, needed)) if needed.0 > 0 => {
            let total = home.trailing_spend.0 + needed.0;
            (home.trailing_spend.0.max(0) * 100 / total.max(1)).clamp(0, 100)
        }
        _ => 100,
    };
    let body = html! {
        @if member.status == MemberStatus::Blocked { p.card.error { (v.t(M::Blocked)) } }
        section.card #tier {
            h2 { (v.t(M::Tier)) }
            div.big { (home.tier_name) }
            div.muted { (member.name) " · " (v.t(M::CardNumber)) " " (member.code.masked()) }
            progress.tier value=(percent) max="100" { (percent) "%" }
            div.muted {
                (v.t(M::Spend12)) " " (home.trailing_spend)
                br;
                @match &home.next_tier {
                    Some((name, needed)) if needed.0 > 0 => { (v.t(M::ToNextTier)) " " span #to-next { (needed) } " → " (name) }
                    Some((name, _)) => { (v.t(M::NextTierReached)) " " (name) }
                    None => { (v.t(M::TopTier)) }
                }
            }
        }
        section.card #points {
            h2 { (v.t(M::Points)) }
            div.big #points-balance { (home.points) }
            div.muted #points-expiry {
                @match home.next_expiry {
                    // Never more than the balance (a refund's deficit or a hold may take some first).
                    Some((day, n)) if n.min(home.points) > 0 => {
                        (v.t(M::ExpiresOn).replace("{n}", &n.min(home.points).to_string()).replace("{day}", &day.to_string()))
                    }
                    _ => { (v.t(M::NoExpiry)) }
                }
            }
        }
        section.card #stored-value {
            h2 { (v.t(M::StoredValue)) }
            div.big #sv-total { (money(home.stored_value.principal.0 + home.stored_value.bonus.0)) }
            div.muted {
                (v.t(M::Principal)) " " span #sv-principal { (home.stored_value.principal) }
                " · " (v.t(M::Bonus)) " " span #sv-bonus { (home.stored_value.bonus) }
            }
        }
        (coupon_sections(v, &home.coupons, true))
        p.card { a #complaints-link href="/m/complaints" { (v.t(M::Complaints)) } }
    };
    layout(v, v.t(M::Home), Some(M::Home), body).into_response()
}

/// At most this many coupons of each state on the home page: the valid ones soonest to lapse, the
/// used and the expired ones newest first. A long-time member's hundreds of spent coupons are on
/// `/m/coupons`, so the home page stays light.
pub const HOME_COUPONS: usize = 5;

/// The member's coupons under valid, used and expired; on the home page (`cut`) each shelf shows
/// its first few with a link to all.
fn coupon_sections(v: &Visitor, coupons: &MemberCoupons, cut: bool) -> maud::Markup {
    html! {
        section.card #coupons {
            h2 { (v.t(M::Coupons)) }
            @for (title, list, id) in [(M::CouponsValid, &coupons.valid, "coupons-valid"), (M::CouponsUsed, &coupons.used, "coupons-used"), (M::CouponsExpired, &coupons.expired, "coupons-expired")] {
                details open[id == "coupons-valid" || !cut] {
                    summary { (v.t(title)) " (" (list.total) ")" }
                    ul.plain id=(id) {
                        @if list.shown.is_empty() { li.muted { (v.t(M::NoCoupons)) } }
                        @for c in &list.shown {
                            li {
                                div { (c.campaign_name) }
                                div.muted {
                                    @if let (Some(no), Some(at)) = (&c.receipt_no, c.redeemed_at) {
                                        (v.t(M::UsedOn)) " " (hq_date(at)) " · " (v.t(M::Receipt)) " " (no)
                                    } @else {
                                        (v.t(M::ValidUntil)) " " (hq_date(c.valid_until))
                                    }
                                }
                            }
                        }
                    }
                    @if list.shown.len() < list.total {
                        p.muted { a.all-coupons href={ "/m/coupons#" (id) } { (v.t(M::AllCoupons)) " (" (list.total) ")" } }
                    }
                }
            }
        }
    }
}

/// `/m/coupons`: every coupon of the member, by state.
pub(super) async fn coupons(State(state): State<AppState>, m: Member) -> Response {
    let id = m.id;
    let coupons = match state.db(move |s| s.member_coupons(id)).await {
        Ok(c) => c,
        Err(e) => return super::failed(&m, e),
    };
    let v: &Visitor = &m;
    let body = html! {
        (coupon_sections(v, &MemberCoupons::sorted(coupons, None), false))
        p { a href="/m/home" { (v.t(M::Home)) } }
    };
    layout(v, v.t(M::Coupons), Some(M::Home), body).into_response()
}

#[derive(Deserialize)]
pub(super) struct HistoryQuery {
    before: Option<String>,
}

pub(super) async fn history(State(state): State<AppState>, m: Member, Query(q): Query<HistoryQuery>) -> Response {
    let id = m.id;
    let before = q.before.clone().filter(|b| !b.is_empty() && b.len() <= 80);
    let page = match state.db(move |s| s.member_history(id, before.as_deref(), 20)).await {
        Ok(p) => p,
        Err(crate::error::AppError::Validation(_)) => return redirect("/m/history"),
        Err(e) => return super::failed(&m, e),
    };
    let v: &Visitor = &m;
    let body = html! {
        ul.plain.card #history {
            @if page.entries.is_empty() { li.muted { (v.t(M::NoHistory)) } }
            @for h in &page.entries {
                li.entry data-kind=(h.entry.kind.code()) {
                    div.row {
                        strong { (v.t(kind_word(h.entry.kind))) }
                        span {
                            @if h.entry.points != 0 {
                                span class=(if h.entry.points > 0 { "plus" } else { "minus" }) { (signed(h.entry.points)) " " (v.t(M::Points)) }
                            }
                            @let sv = h.entry.principal + h.entry.bonus;
                            @if sv != 0 {
                                " " span class=(if sv > 0 { "plus" } else { "minus" }) { (signed_money(sv)) }
                            }
                        }
                    }
                    div.muted {
                        (hq_minute(h.happened_at.unwrap_or(h.entry.at)))
                        @if let Some(b) = &h.branch_name { " · " (b) }
                        @if let Some(no) = &h.receipt_no { " · " (v.t(M::Receipt)) " " span.receipt { (no) } }
                    }
                    @if !h.lines.is_empty() {
                        details {
                            summary { (v.t(M::Receipt)) }
                            ul.plain {
                                @for l in &h.lines {
                                    li.row { span { (l.name) " × " (shared::money::Qty(l.qty)) } span { (money(l.net)) } }
                                }
                            }
                        }
                    }
                }
            }
        }
        p {
            @if let Some(next) = &page.next { a #older href={ "/m/history?before=" (next) } { (v.t(M::Older)) } }
            @if q.before.is_some() { " · " a href="/m/history" { (v.t(M::Newest)) } }
        }
    };
    layout(v, v.t(M::History), Some(M::History), body).into_response()
}

/// The member code at this moment, as the page and its script show it.
#[derive(Serialize)]
pub(super) struct CodeNow {
    text: String,
    qr_svg: String,
    barcode_svg: String,
    seconds_left: u64,
}

/// The white margin each side of the member code's barcode, in modules: Code 128 asks for at
/// least 10 (ISO/IEC 15417), and a scanner that misses the code's edge reads nothing.
pub const QUIET_ZONE: usize = 10;

/// The SVG of a barcode's modules (1 dark, 0 light), with the quiet zone each side: one rectangle
/// a bar (not one a module, whose seams a browser scaling the drawing by a fraction of a pixel
/// paints grey, and a scanner then reads as gaps), drawn with crisp edges.
fn bars_svg(modules: &[u8]) -> String {
    const HEIGHT: usize = 40;
    let width = modules.len() + 2 * QUIET_ZONE;
    let mut svg = format!(
        "<svg version=\"1.1\" viewBox=\"0 0 {width} {HEIGHT}\" preserveAspectRatio=\"none\" shape-rendering=\"crispEdges\"><rect x=\"0\" y=\"0\" width=\"{width}\" height=\"{HEIGHT}\" fill=\"#fff\"/>"
    );
    let mut i = 0;
    while i < modules.len() {
        if modules[i] == 1 {
            let start = i;
            while i < modules.len() && modules[i] == 1 {
                i += 1;
            }
            svg.push_str(&format!(
                "<rect x=\"{}\" y=\"0\" width=\"{}\" height=\"{HEIGHT}\" fill=\"#000\"/>",
                QUIET_ZONE + start,
                i - start
            ));
        } else {
            i += 1;
        }
    }
    svg.push_str("</svg>");
    svg
}

fn code_now_of(number: &shared::catalog::MemberCode, secret: &MemberSecret, unix: u64) -> Option<CodeNow> {
    let code = member_code::code_at(number, secret, unix).ok()?;
    let text = code.text();
    let qr = qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M).ok()?;
    let qr_svg = qr
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(220, 220)
        .dark_color(qrcode::render::svg::Color("#000"))
        .light_color(qrcode::render::svg::Color("#fff"))
        .build();
    // Code 128, character set C (pairs of digits): the densest for 18 digits. The drawing carries
    // its own quiet zone (white, `QUIET_ZONE` modules each side), so a scanner finds the code's
    // edges whatever is drawn around it on the page.
    let encoded = barcoders::sym::code128::Code128::new(format!("Ć{text}")).ok()?.encode();
    let barcode_svg = bars_svg(&encoded);
    Some(CodeNow { text, qr_svg, barcode_svg, seconds_left: member_code::seconds_left(unix) })
}

fn unix_now(state: &AppState) -> u64 {
    u64::try_from(state.now().as_second()).unwrap_or(0)
}

pub(super) async fn code(State(state): State<AppState>, m: Member) -> Response {
    let id = m.id;
    let found = state.db(move |s| Ok((s.get_member(id)?, s.member_code_secret(id)?))).await;
    let (member, secret) = match found {
        Ok(f) => f,
        Err(e) => return super::failed(&m, e),
    };
    let v: &Visitor = &m;
    let now = match secret.as_ref().filter(|_| member.status == MemberStatus::Active) {
        Some(secret) => code_now_of(&member.code, secret, unix_now(&state)),
        None => None,
    };
    let body = html! {
        @if member.status == MemberStatus::Blocked { p.card.error { (v.t(M::Blocked)) } }
        @match &now {
            Some(c) => {
                section.card.code #member-code data-code=(c.text) data-seconds-left=(c.seconds_left) {
                    div #qr { (raw(c.qr_svg.clone())) }
                    div.bars #bars { (raw(c.barcode_svg.clone())) }
                    div.digits #digits { (c.text) }
                    p.muted { span #seconds-left { (c.seconds_left) } " " (v.t(M::SecondsLeft)) }
                    p.muted { (v.t(M::CodeHelp)) }
                    p { a href="/m/code" { (v.t(M::Refresh)) } }
                }
                script src="/m/static/code.js" {}
            }
            None => {
                p.card #no-code { (v.t(M::NoRotatingCode)) br; (v.t(M::CardNumber)) " " (member.code) }
            }
        }
    };
    // Without script, the page reloads itself when the code changes (with script, the script
    // swaps the code in place).
    let head = now.as_ref().map(|c| {
        html! { noscript { meta http-equiv="refresh" content=(c.seconds_left); } }
    });
    layout_with_head(v, v.t(M::MemberCode), Some(M::MemberCode), head, body).into_response()
}

/// The code now, for the page's script.
pub(super) async fn code_now(State(state): State<AppState>, m: Member) -> Response {
    let id = m.id;
    let found = state.db(move |s| Ok((s.get_member(id)?, s.member_code_secret(id)?))).await;
    let (member, secret) = match found {
        Ok(f) => f,
        Err(e) => return super::failed(&m, e),
    };
    if member.status != MemberStatus::Active {
        return StatusCode::FORBIDDEN.into_response();
    }
    match secret.and_then(|s| code_now_of(&member.code, &s, unix_now(&state))) {
        Some(c) => Json(c).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

fn profile_page(v: &Visitor, member: &MemberRecord, note: Option<(M, bool)>) -> Html<String> {
    let any_active = member.cards.iter().any(|c| c.status == crate::model::CardStatus::Active);
    let body = html! {
        @if let Some((n, ok)) = note { p.card class=(if ok { "ok" } else { "error" }) #profile-note { (v.t(n)) } }
        form.card method="post" action="/m/profile" {
            (csrf_field(v))
            p.muted { (v.t(M::CardNumber)) " " (member.code) " · " (v.t(M::Phone)) " " (member.phone.as_ref().map(|p| p.masked()).unwrap_or_default()) }
            label for="name" { (v.t(M::Name)) }
            input #name type="text" name="name" maxlength="100" value=(member.name) required;
            label for="birthday" { (v.t(M::Birthday)) }
            @match member.birthday {
                Some(b) => { p #birthday-set { (b) } p.muted { (v.t(M::BirthdaySet)) } }
                None => { input #birthday type="date" name="birthday"; }
            }
            label.check { input #marketing type="checkbox" name="marketing" value="yes" checked[member.marketing_consent == Some(true)]; (v.t(M::MarketingConsent)) }
            input type="hidden" name="marketing_shown" value="yes";
            button #save type="submit" { (v.t(M::Save)) }
        }
        @if any_active {
            form.card method="post" action="/m/lost-card" {
                (csrf_field(v))
                p.muted { (v.t(M::LostCardHelp)) }
                button.plain #lost-card type="submit" { (v.t(M::LostCard)) }
            }
        }
        form.card method="post" action="/m/sign-out" {
            (csrf_field(v))
            button.plain #sign-out type="submit" { (v.t(M::SignOut)) }
        }
        form.card method="post" action="/m/sign-out-everywhere" {
            (csrf_field(v))
            p.muted { (v.t(M::SignOutEverywhereHelp)) }
            button.plain #sign-out-everywhere type="submit" { (v.t(M::SignOutEverywhere)) }
        }
    };
    layout(v, v.t(M::Profile), Some(M::Profile), body)
}

pub(super) async fn profile(State(state): State<AppState>, m: Member) -> Response {
    let id = m.id;
    match state.db(move |s| s.get_member(id)).await {
        Ok(member) => profile_page(&m, &member, None).into_response(),
        Err(e) => super::failed(&m, e),
    }
}

#[derive(Deserialize)]
pub(super) struct ProfileForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    birthday: String,
    #[serde(default)]
    marketing: Option<String>,
    #[serde(default)]
    marketing_shown: Option<String>,
}

pub(super) async fn save_profile(
    State(state): State<AppState>,
    m: Member,
    axum::Form(f): axum::Form<ProfileForm>,
) -> Response {
    if !m.csrf_ok(&f.csrf) {
        return m.bad_form();
    }
    let birthday = match f.birthday.trim() {
        "" => None,
        b => match b.parse::<jiff::civil::Date>() {
            Ok(d) => Some(d),
            Err(_) => return bad_profile(&state, &m, M::Birthday).await,
        },
    };
    let patch = OwnProfile {
        name: Some(f.name.trim().to_owned()),
        birthday,
        marketing_consent: f.marketing_shown.is_some().then(|| f.marketing.as_deref() == Some("yes")),
    };
    let id = m.id;
    match state.db(move |s| s.update_own_profile(id, patch)).await {
        Ok(member) => profile_page(&m, &member, Some((M::Saved, true))).into_response(),
        Err(crate::error::AppError::Validation(_)) => bad_profile(&state, &m, M::Name).await,
        Err(crate::error::AppError::Conflict(_)) => bad_profile(&state, &m, M::BirthdaySet).await,
        Err(e) => super::failed(&m, e),
    }
}

async fn bad_profile(state: &AppState, m: &Member, what: M) -> Response {
    let id = m.id;
    match state.db(move |s| s.get_member(id)).await {
        Ok(member) => (StatusCode::UNPROCESSABLE_ENTITY, profile_page(m, &member, Some((what, false)))).into_response(),
        Err(e) => super::failed(m, e),
    }
}

#[derive(Deserialize)]
pub(super) struct CsrfOnly {
    #[serde(rename = "_csrf", default)]
    csrf: String,
}

pub(super) async fn lost_card(
    State(state): State<AppState>,
    m: Member,
    axum::Form(f): axum::Form<CsrfOnly>,
) -> Response {
    if !m.csrf_ok(&f.csrf) {
        return m.bad_form();
    }
    let id = m.id;
    match state.db(move |s| s.report_cards_lost(id)).await {
        Ok(member) => profile_page(&m, &member, Some((M::CardsLost, true))).into_response(),
        Err(e) => super::failed(&m, e),
    }
}

pub(super) async fn branches(State(state): State<AppState>, v: Visitor) -> Response {
    let list = match state.db(|s| s.list_branches()).await {
        Ok(l) => l,
        Err(e) => return super::failed(&v, e),
    };
    let body = html! {
        ul.plain #branches {
            @for b in &list {
                li.card {
                    strong { (b.name) }
                    @if !b.address.is_empty() { div.muted { (v.t(M::Address)) " " (b.address) } }
                    @if !b.opening_hours.is_empty() { div.muted { (v.t(M::OpeningHours)) " " (b.opening_hours) } }
                    @if !b.phone.is_empty() { div.muted { (v.t(M::BranchPhone)) " " a href={ "tel:" (b.phone) } { (b.phone) } } }
                }
            }
        }
        @if v.session.is_none() { p { a href="/m/sign-in" { (v.t(M::SignIn)) } } }
    };
    layout(&v, v.t(M::Branches), Some(M::Branches), body).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_barcode_has_its_quiet_zone_and_one_rectangle_a_bar() {
        let svg = bars_svg(&[1, 1, 0, 1, 0, 0, 1, 1, 1]);
        assert!(svg.starts_with("<svg version=\"1.1\" viewBox=\"0 0 29 40\""), "{svg}");
        let bars: Vec<&str> = svg.split("fill=\"#000\"").collect();
        assert_eq!(bars.len(), 4, "three bars: {svg}");
        for (x, w) in [(10, 2), (13, 1), (16, 3)] {
            assert!(
                svg.contains(&format!("<rect x=\"{x}\" y=\"0\" width=\"{w}\" height=\"40\" fill=\"#000\"/>")),
                "{svg}"
            );
        }
        // 10 light modules before the first bar and after the last (at 16 + 3 = 19 of 29).
        assert_eq!(QUIET_ZONE, 10);
    }
}
