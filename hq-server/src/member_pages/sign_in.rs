//! Signing in by phone and a one-time code, a new number enrolling itself, signing out.
//!
//! A known and an unknown number get the same pages and the same code (no enumeration): only
//! after the right code does the page say whether the number is a member's. Codes are limited per
//! number, per client address and per number prefix an hour; wrong codes per number an hour,
//! after which the number is locked for the rest of the hour. The limits are counted in the
//! database (`AccountStore::reserve_attempt`), so every HQ process counts the same.

use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::SET_COOKIE;
use axum::response::{Html, IntoResponse, Response};
use jiff::{SignedDuration, Timestamp};
use maud::html;
use serde::Deserialize;
use shared::member::Phone;

use super::i18n::M;
use super::{Visitor, csrf_field, layout, session_cookie};
use crate::auth;
use crate::console::redirect;
use crate::http::AppState;
use crate::model::SignInCheck;

/// `/m`: home when signed in, else the sign-in page.
pub(super) async fn start(v: Visitor) -> Response {
    match &v.session {
        Some(s) if s.member.is_some() => redirect("/m/home"),
        Some(_) => redirect("/m/join"),
        None => redirect("/m/sign-in"),
    }
}

fn phone_page(v: &Visitor, typed: &str, problem: Option<M>) -> Html<String> {
    let body = html! {
        form.card method="post" action="/m/sign-in/code" {
            @if let Some(p) = problem { p.error { (v.t(p)) } }
            label for="phone" { (v.t(M::Phone)) }
            input #phone type="tel" name="phone" inputmode="tel" autocomplete="tel" maxlength="20" value=(typed) required;
            button #send-code type="submit" { (v.t(M::SendCode)) }
        }
        p.muted { a href="/m/branches" { (v.t(M::Branches)) } }
    };
    layout(v, v.t(M::SignInTitle), None, body)
}

fn code_page(v: &Visitor, phone: &Phone, problem: Option<(M, Option<u32>)>) -> Html<String> {
    let body = html! {
        form.card method="post" action="/m/sign-in" {
            p #code-sent { (v.t(M::CodeSent)) " " (phone.masked()) }
            p.muted { (v.t(M::CodeValid)) }
            @if let Some((p, left)) = problem {
                p.error #code-problem { (v.t(p)) @if let Some(n) = left { " · " (v.t(M::TriesLeft)) " " (n) } }
            }
            input type="hidden" name="phone" value=(phone.as_str());
            label for="code" { (v.t(M::Code)) }
            input #code type="text" name="code" inputmode="numeric" autocomplete="one-time-code" maxlength="6" pattern="[0-9]{6}" required;
            button #sign-in type="submit" { (v.t(M::SignIn)) }
        }
        p.muted { a href="/m/sign-in" { (v.t(M::OtherNumber)) } }
    };
    layout(v, v.t(M::SignInTitle), None, body)
}

pub(super) async fn phone_form(v: Visitor) -> Response {
    if v.session.as_ref().is_some_and(|s| s.member.is_some()) {
        return redirect("/m/home");
    }
    phone_page(&v, "", None).into_response()
}

#[derive(Deserialize)]
pub(super) struct PhoneForm {
    #[serde(default)]
    phone: String,
}

fn window_start(state: &AppState) -> Timestamp {
    let window = SignedDuration::try_from(state.config.member_sign_in.window).unwrap_or(SignedDuration::from_hours(1));
    state.now().checked_sub(window).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// Sends a code to the number (member or not, the same), within the hourly limits.
pub(super) async fn send_code(
    State(state): State<AppState>,
    v: Visitor,
    headers: axum::http::HeaderMap,
    axum::Form(f): axum::Form<PhoneForm>,
) -> Response {
    if !super::from_our_pages(&headers) {
        return v.bad_form();
    }
    let Ok(phone) = Phone::parse(&f.phone) else {
        let typed: String = f.phone.chars().take(20).collect();
        return (StatusCode::UNPROCESSABLE_ENTITY, phone_page(&v, &typed, Some(M::BadPhone))).into_response();
    };
    let limits = state.config.member_sign_in.clone();
    let since = window_start(&state);
    // A locked number gets no more codes this hour.
    let lock_key = wrong_key(&phone);
    let locked = state
        .db(move |s| {
            let r = s.reserve_attempt(&[(lock_key, limits.wrong_codes_per_phone)], since, s.now())?;
            if let Ok(reservation) = &r {
                s.release_attempt(reservation)?;
            }
            Ok(r.is_err())
        })
        .await;
    match locked {
        Ok(true) => {
            return (StatusCode::TOO_MANY_REQUESTS, phone_page(&v, phone.as_str(), Some(M::Locked))).into_response();
        }
        Ok(false) => {}
        Err(e) => return super::failed(&v, e),
    }
    let limits = state.config.member_sign_in.clone();
    let keys = vec![
        (format!("sms-phone:{phone}"), limits.codes_per_phone),
        (format!("sms-ip:{}", address_key(&v.from)), limits.codes_per_address),
        (format!("sms-prefix:{}", &phone.as_str()[..7]), limits.codes_per_prefix),
    ];
    match state.db(move |s| s.reserve_attempt(&keys, since, s.now())).await {
        Ok(Ok(_)) => {}
        Ok(Err(_)) => {
            return (StatusCode::TOO_MANY_REQUESTS, phone_page(&v, phone.as_str(), Some(M::TooManyCodes)))
                .into_response();
        }
        Err(e) => return super::failed(&v, e),
    }
    let code = format!("{:06}", rand::random_range(0..1_000_000u32));
    let hash = code_hash(&phone, &code);
    let expires = state
        .now()
        .checked_add(SignedDuration::try_from(limits.code_ttl).unwrap_or(SignedDuration::from_mins(5)))
        .unwrap_or(Timestamp::MAX);
    let p = phone.clone();
    if let Err(e) = state.db(move |s| s.put_sign_in_code(&p, &hash, expires)).await {
        return super::failed(&v, e);
    }
    let text = match v.lang {
        shared::lang::Lang::ZhCn => format!("【Tillpoint】您的登录验证码 {code}，5 分钟内有效。请勿告诉他人。"),
        shared::lang::Lang::En => format!("Tillpoint: your sign-in code is {code}, valid for 5 minutes. Tell no one."),
    };
    let sent = state.sms.send(&phone, &text).await;
    let outcome = match &sent {
        Ok(()) => "sent".to_owned(),
        Err(e) => format!("failed: {e}"),
    };
    let p = phone.clone();
    if let Err(e) = state.db(move |s| s.log_sms(&p, "sign_in", &outcome)).await {
        tracing::error!(error = %e, "could not record a text message");
    }
    if let Err(e) = sent {
        tracing::warn!(error = %e, "a sign-in code could not be sent");
        return (StatusCode::BAD_GATEWAY, phone_page(&v, phone.as_str(), Some(M::NotSent))).into_response();
    }
    code_page(&v, &phone, None).into_response()
}

/// The address codes are counted under: an IPv4 address, or an IPv6 address's /64 (one
/// subscriber's network, which holds 2^64 addresses).
fn address_key(from: &str) -> String {
    match from.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V6(a)) => match a.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = a.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
        _ => from.to_owned(),
    }
}

/// How a code is kept: the hash of the number and the code.
fn code_hash(phone: &Phone, code: &str) -> String {
    auth::token_hash(&format!("member-sign-in:{phone}:{code}"))
}

fn wrong_key(phone: &Phone) -> String {
    format!("otp-fail:{phone}")
}

#[derive(Deserialize)]
pub(super) struct CodeForm {
    #[serde(default)]
    phone: String,
    #[serde(default)]
    code: String,
}

/// Checks the code: the right one opens a session (a member's, or a new number's that may join).
pub(super) async fn check_code(
    State(state): State<AppState>,
    v: Visitor,
    headers: axum::http::HeaderMap,
    axum::Form(f): axum::Form<CodeForm>,
) -> Response {
    if !super::from_our_pages(&headers) {
        return v.bad_form();
    }
    let Ok(phone) = Phone::parse(&f.phone) else {
        return (StatusCode::UNPROCESSABLE_ENTITY, phone_page(&v, "", Some(M::BadPhone))).into_response();
    };
    let limits = state.config.member_sign_in.clone();
    let since = window_start(&state);
    let keys = vec![(wrong_key(&phone), limits.wrong_codes_per_phone)];
    // Every try is counted before it is checked (parallel guesses count as many), and given back if right.
    let reservation = match state.db(move |s| s.reserve_attempt(&keys, since, s.now())).await {
        Ok(Ok(r)) => r,
        Ok(Err(_)) => {
            return (StatusCode::TOO_MANY_REQUESTS, code_page(&v, &phone, Some((M::Locked, None)))).into_response();
        }
        Err(e) => return super::failed(&v, e),
    };
    let code: String = f.code.trim().chars().take(12).collect();
    let hash = code_hash(&phone, &code);
    let p = phone.clone();
    let checked = match state.db(move |s| s.check_sign_in_code(&p, &hash)).await {
        Ok(c) => c,
        Err(e) => return super::failed(&v, e),
    };
    let member = match checked {
        SignInCheck::Wrong { tries_left } => {
            let status = StatusCode::UNAUTHORIZED;
            let left = Some(tries_left.min(reservation_left(&state, &reservation)));
            return (status, code_page(&v, &phone, Some((M::WrongCode, left)))).into_response();
        }
        SignInCheck::Right(member) => member,
    };
    let token = auth::random_token("tpm_");
    let hash = auth::token_hash(&token);
    let ttl = limits.session_ttl;
    let expires = state
        .now()
        .checked_add(SignedDuration::try_from(ttl).unwrap_or(SignedDuration::from_hours(24 * 30)))
        .unwrap_or(Timestamp::MAX);
    let p = phone.clone();
    let opened = state
        .db(move |s| {
            s.release_attempt(&reservation)?;
            s.open_member_session(&hash, &p, member, expires)
        })
        .await;
    if let Err(e) = opened {
        return super::failed(&v, e);
    }
    let mut r = redirect(if member.is_some() { "/m/home" } else { "/m/join" });
    r.headers_mut().insert(SET_COOKIE, session_cookie(&state, &token, ttl.as_secs()));
    r
}

/// Tries left before the number is locked, from the hourly count.
fn reservation_left(state: &AppState, r: &crate::store::AttemptReservation) -> u32 {
    let used = r.earlier.first().copied().unwrap_or(0) + 1;
    state.config.member_sign_in.wrong_codes_per_phone.saturating_sub(used).min(u64::from(u32::MAX)) as u32
}

fn join_page(v: &Visitor, open: bool, problem: Option<M>) -> Html<String> {
    let body = html! {
        @if open {
            form.card method="post" action="/m/join" {
                (csrf_field(v))
                @if let Some(p) = problem { p.error { (v.t(p)) } }
                @if let Some(s) = &v.session { p.muted { (v.t(M::Phone)) " " (s.phone.masked()) } }
                label for="name" { (v.t(M::Name)) }
                input #name type="text" name="name" maxlength="100" required;
                label for="birthday" { (v.t(M::Birthday)) " (" (v.t(M::Optional)) ")" }
                input #birthday type="date" name="birthday";
                p.muted { a #terms-link href="/m/terms" { (v.t(M::ReadTerms)) } }
                label.check { input #terms type="checkbox" name="terms" value="yes"; (v.t(M::AgreeTerms)) }
                label.check { input #marketing type="checkbox" name="marketing" value="yes"; (v.t(M::MarketingConsent)) }
                button #join type="submit" { (v.t(M::Join)) }
            }
        } @else {
            p.card #join-closed { (v.t(M::JoinNotOpen)) }
        }
        form method="post" action="/m/sign-out" { (csrf_field(v)) button.plain type="submit" { (v.t(M::SignOut)) } }
    };
    layout(v, v.t(M::JoinTitle), None, body)
}

async fn self_enrolment_open(state: &AppState) -> Result<bool, crate::error::AppError> {
    state.db(|s| Ok(s.policy_in_force(s.now())?.self_enrolment)).await
}

pub(super) async fn join_form(State(state): State<AppState>, v: Visitor) -> Response {
    match &v.session {
        None => return redirect("/m/sign-in"),
        Some(s) if s.member.is_some() => return redirect("/m/home"),
        Some(_) => {}
    }
    match self_enrolment_open(&state).await {
        Ok(open) => join_page(&v, open, None).into_response(),
        Err(e) => super::failed(&v, e),
    }
}

#[derive(Deserialize)]
pub(super) struct JoinForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    birthday: String,
    #[serde(default)]
    terms: Option<String>,
    #[serde(default)]
    marketing: Option<String>,
}

pub(super) async fn join(State(state): State<AppState>, v: Visitor, axum::Form(f): axum::Form<JoinForm>) -> Response {
    let Some(token) = v.token.clone() else { return redirect("/m/sign-in") };
    if !v.csrf_ok(&f.csrf) {
        return v.bad_form();
    }
    if v.session.as_ref().is_some_and(|s| s.member.is_some()) {
        return redirect("/m/home");
    }
    let open = match self_enrolment_open(&state).await {
        Ok(o) => o,
        Err(e) => return super::failed(&v, e),
    };
    if !open {
        return (StatusCode::FORBIDDEN, join_page(&v, false, None)).into_response();
    }
    if f.terms.as_deref() != Some("yes") {
        return (StatusCode::UNPROCESSABLE_ENTITY, join_page(&v, true, Some(M::MustAgree))).into_response();
    }
    let name = f.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return (StatusCode::UNPROCESSABLE_ENTITY, join_page(&v, true, Some(M::Name))).into_response();
    }
    let birthday = match f.birthday.trim() {
        "" => None,
        b => match b.parse::<jiff::civil::Date>() {
            Ok(d) => Some(d),
            Err(_) => {
                return (StatusCode::UNPROCESSABLE_ENTITY, join_page(&v, true, Some(M::Birthday))).into_response();
            }
        },
    };
    let marketing = f.marketing.as_deref() == Some("yes");
    let hash = auth::token_hash(&token);
    match state.db(move |s| s.enrol_self(&hash, &name, birthday, marketing)).await {
        Ok(_) => redirect("/m/home"),
        Err(crate::error::AppError::Validation(_) | crate::error::AppError::Conflict(_)) => {
            (StatusCode::UNPROCESSABLE_ENTITY, join_page(&v, true, Some(M::Problem))).into_response()
        }
        Err(e) => super::failed(&v, e),
    }
}

#[derive(Deserialize)]
pub(super) struct CsrfOnly {
    #[serde(rename = "_csrf", default)]
    csrf: String,
}

/// Ends this phone's session.
pub(super) async fn sign_out(
    State(state): State<AppState>,
    v: Visitor,
    axum::Form(f): axum::Form<CsrfOnly>,
) -> Response {
    let Some(token) = v.token.clone() else { return redirect("/m/sign-in") };
    if !v.csrf_ok(&f.csrf) {
        return v.bad_form();
    }
    let hash = auth::token_hash(&token);
    if let Err(e) = state.db(move |s| s.end_member_session(&hash)).await {
        return super::failed(&v, e);
    }
    let mut r = redirect("/m/sign-in");
    r.headers_mut().insert(SET_COOKIE, session_cookie(&state, "", 0));
    r
}

/// Ends every session of the member and replaces the secret of their code.
pub(super) async fn sign_out_everywhere(
    State(state): State<AppState>,
    m: super::Member,
    axum::Form(f): axum::Form<CsrfOnly>,
) -> Response {
    if !m.csrf_ok(&f.csrf) {
        return m.bad_form();
    }
    let id = m.id;
    if let Err(e) = state.db(move |s| s.sign_out_everywhere(id)).await {
        return super::failed(&m, e);
    }
    let mut r = redirect("/m/sign-in");
    r.headers_mut().insert(SET_COOKIE, session_cookie(&state, "", 0));
    r
}
