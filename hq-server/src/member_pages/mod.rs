//! The member pages (会员 手机版): mobile web pages HQ serves under `/m` for the members
//! themselves — sign in by phone and a one-time code, balances, history, coupons, the rotating
//! member code a till scans, profile, branches, complaints. A module of `hq-server` with its own router
//! (ARCHITECTURE.md says why): it reads the same store as the console and the tills.
//!
//! Every page is server-rendered HTML that works without JavaScript; only the member code
//! refreshes itself with a small script of our own. Nothing is loaded from another host (the
//! Content-Security-Policy says so). zh-CN first, English second; laid out for a 360 px screen.
//! The session cookie is HttpOnly and SameSite=Strict, kept in the database (any HQ process
//! serves any page), and every form carries a CSRF token derived from it.

mod complaints;
pub mod i18n;
pub mod pages;
mod sign_in;
pub mod terms;

use axum::extract::FromRequestParts;
use axum::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Router, middleware};
use maud::{DOCTYPE, Markup, PreEscaped, html};
use shared::ids::MemberId;
use shared::lang::Lang;
use shared::member::Phone;

use self::i18n::M;
use crate::auth;
use crate::console::redirect;
use crate::error::AppError;
use crate::http::AppState;

/// The member session's cookie (distinct from the console's; path `/m`).
pub const COOKIE_NAME: &str = "tp_member";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/m", get(sign_in::start))
        .route("/m/sign-in", get(sign_in::phone_form).post(sign_in::check_code))
        .route("/m/sign-in/code", post(sign_in::send_code))
        .route("/m/join", get(sign_in::join_form).post(sign_in::join))
        .route("/m/terms", get(terms::page))
        .route("/m/sign-out", post(sign_in::sign_out))
        .route("/m/sign-out-everywhere", post(sign_in::sign_out_everywhere))
        .route("/m/home", get(pages::home))
        .route("/m/coupons", get(pages::coupons))
        .route("/m/history", get(pages::history))
        .route("/m/code", get(pages::code))
        .route("/m/code/now", get(pages::code_now))
        .route("/m/profile", get(pages::profile).post(pages::save_profile))
        .route("/m/lost-card", post(pages::lost_card))
        .route("/m/branches", get(pages::branches))
        .route("/m/complaints", get(complaints::complaints).post(complaints::create))
        .route("/m/complaints/new", get(complaints::new_complaint))
        .route("/m/complaints/{id}/confirm", post(complaints::confirm))
        .route("/m/complaints/{id}/reopen", post(complaints::reopen))
        .route("/m/lang", get(switch_lang))
        .route("/m/static/m.css", get(|| async { asset("text/css; charset=utf-8", CSS) }))
        .route("/m/static/code.js", get(|| async { asset("text/javascript; charset=utf-8", CODE_JS) }))
        .layer(middleware::map_response(secure_headers))
}

/// No script, style or image from another host; no framing by other sites; nothing cached.
async fn secure_headers(mut r: Response) -> Response {
    let h = r.headers_mut();
    h.insert(
        CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; form-action 'self'; frame-ancestors 'self'; base-uri 'none'",
        ),
    );
    h.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    h.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    if !h.contains_key(CACHE_CONTROL) {
        h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    r
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    ([(CONTENT_TYPE, content_type), (CACHE_CONTROL, "public, max-age=3600")], body).into_response()
}

/// Whether a form post came from our own pages: refused when the browser says another site sent
/// it (`Sec-Fetch-Site: cross-site`) or its `Origin` is not this host (a login CSRF, or other
/// sites' visitors made to ask for codes from their own addresses).
pub fn from_our_pages(headers: &HeaderMap) -> bool {
    if headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) == Some("cross-site") {
        return false;
    }
    match (headers.get("origin").and_then(|v| v.to_str().ok()), headers.get("host").and_then(|v| v.to_str().ok())) {
        (Some(origin), Some(host)) if origin != "null" => {
            origin.split_once("://").map(|(_, rest)| rest.trim_end_matches('/')) == Some(host)
        }
        _ => true,
    }
}

/// The session cookie with `value` (empty with max-age 0 clears it).
fn session_cookie(state: &AppState, value: &str, max_age: u64) -> HeaderValue {
    let secure = if state.config.secure_cookies { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{COOKIE_NAME}={value}; HttpOnly; SameSite=Strict; Path=/m; Max-Age={max_age}{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// Whoever opened a page: their language, and their session if they have one.
pub struct Visitor {
    pub lang: Lang,
    pub token: Option<String>,
    pub session: Option<crate::model::MemberSession>,
    pub from: String,
}

impl Visitor {
    pub fn t(&self, m: M) -> &'static str {
        m.text(self.lang)
    }

    /// The CSRF token of the session (empty without one).
    pub fn csrf(&self) -> String {
        self.token.as_deref().map(crate::console::csrf_of).unwrap_or_default()
    }

    /// Whether a form's CSRF token is this session's (compared in constant time).
    pub fn csrf_ok(&self, posted: &str) -> bool {
        let mine = self.csrf();
        !mine.is_empty() && auth::constant_time_eq(mine.as_bytes(), posted.as_bytes())
    }

    /// The answer to a form without this session's CSRF token: nothing was changed.
    pub fn bad_form(&self) -> Response {
        self.problem(StatusCode::FORBIDDEN, M::BadForm)
    }

    /// A page that says what went wrong, with a way back.
    pub fn problem(&self, status: StatusCode, what: M) -> Response {
        let body = html! {
            p.error { (self.t(what)) }
            p { a href="/m" { (self.t(M::Home)) } }
        };
        (status, layout(self, self.t(M::Title), None, body)).into_response()
    }
}

impl FromRequestParts<AppState> for Visitor {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let lang = crate::console::lang_of(&parts.headers);
        let from = crate::http::ClientAddr::from_request_parts(parts, state)
            .await
            .map(|a| a.0)
            .unwrap_or_else(|_| "unknown".into());
        let token = crate::http::extract::cookie(&parts.headers, COOKIE_NAME).filter(|t| !t.is_empty());
        let session = match &token {
            Some(t) => {
                let hash = auth::token_hash(t);
                match state.db(move |s| s.member_session(&hash)).await {
                    Ok(s) => s,
                    Err(e) => {
                        tracing::error!(error = %e, "member session lookup failed");
                        let v = Visitor { lang, token: None, session: None, from };
                        return Err(v.problem(StatusCode::SERVICE_UNAVAILABLE, M::Problem));
                    }
                }
            }
            None => None,
        };
        let token = token.filter(|_| session.is_some());
        Ok(Visitor { lang, token, session, from })
    }
}

/// A signed-in member: a page that needs one sends anyone else to the sign-in page.
pub struct Member {
    pub visitor: Visitor,
    pub id: MemberId,
    pub phone: Phone,
}

impl std::ops::Deref for Member {
    type Target = Visitor;
    fn deref(&self) -> &Visitor {
        &self.visitor
    }
}

impl FromRequestParts<AppState> for Member {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let visitor = Visitor::from_request_parts(parts, state).await?;
        match &visitor.session {
            Some(crate::model::MemberSession { member: Some(id), phone, .. }) => {
                let (id, phone) = (*id, phone.clone());
                Ok(Member { visitor, id, phone })
            }
            // A new number's session: it may only join.
            Some(_) => Err(redirect("/m/join")),
            None => Err(redirect("/m/sign-in")),
        }
    }
}

/// A store or HTTP failure on a member page: logged, and a page that says so.
pub fn failed(v: &Visitor, e: AppError) -> Response {
    match e {
        AppError::NotFound(_) => v.problem(StatusCode::NOT_FOUND, M::Problem),
        AppError::Unavailable(_) => v.problem(StatusCode::SERVICE_UNAVAILABLE, M::Problem),
        other => {
            tracing::error!(error = %other, "member page failed");
            v.problem(StatusCode::INTERNAL_SERVER_ERROR, M::Problem)
        }
    }
}

/// The page around a body: title, the language switch, and (signed in) the tabs.
pub fn layout(v: &Visitor, title: &str, tab: Option<M>, body: Markup) -> Html<String> {
    layout_with_head(v, title, tab, None, body)
}

/// The same, with more in the page's head (the member code's reload without script).
pub fn layout_with_head(v: &Visitor, title: &str, tab: Option<M>, head: Option<Markup>, body: Markup) -> Html<String> {
    let signed_in = v.session.as_ref().is_some_and(|s| s.member.is_some());
    let other = if v.lang == Lang::ZhCn { "en" } else { "zh-CN" };
    Html(html! {
        (DOCTYPE)
        html lang=(if v.lang == Lang::ZhCn { "zh-CN" } else { "en" }) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · " (v.t(M::Title)) }
                link rel="stylesheet" href="/m/static/m.css";
                @if let Some(h) = head { (h) }
            }
            body {
                header {
                    h1 { (title) }
                    a.lang href={ "/m/lang?to=" (other) } { (v.t(M::Language)) }
                }
                main { (body) }
                @if signed_in {
                    nav {
                        @for (m, href) in [(M::Home, "/m/home"), (M::MemberCode, "/m/code"), (M::History, "/m/history"), (M::Branches, "/m/branches"), (M::Profile, "/m/profile")] {
                            a href=(href) class=[(tab == Some(m)).then_some("on")] { (v.t(m)) }
                        }
                    }
                }
            }
        }
    }
    .into_string())
}

/// A hidden CSRF field for the visitor's forms.
pub fn csrf_field(v: &Visitor) -> Markup {
    html! { input type="hidden" name="_csrf" value=(v.csrf()); }
}

#[derive(serde::Deserialize)]
struct LangQuery {
    to: String,
}

async fn switch_lang(headers: HeaderMap, axum::extract::Query(q): axum::extract::Query<LangQuery>) -> Response {
    crate::console::switch_lang_within(&headers, &q.to, "/m")
}

/// Money as the pages show it: `¥12.34`.
pub fn money(fen: i64) -> String {
    shared::money::Money(fen).to_string()
}

/// A raw piece of markup we made ourselves (the SVG codes).
pub fn raw(s: String) -> PreEscaped<String> {
    PreEscaped(s)
}

const CSS: &str = r#"
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,"Noto Sans CJK SC","PingFang SC","Microsoft YaHei",sans-serif;color:#1d2433;background:#f4f6fa;padding-bottom:64px}
header{display:flex;align-items:center;justify-content:space-between;padding:12px 16px;background:#c8102e;color:#fff}
header h1{font-size:18px;margin:0}
header a{color:#fff;font-size:14px}
main{padding:12px;max-width:560px;margin:0 auto}
.card{background:#fff;border-radius:12px;padding:14px 16px;margin:0 0 12px;box-shadow:0 1px 3px rgba(0,0,0,.08)}
.card h2{font-size:15px;margin:0 0 6px;color:#5a6478;font-weight:600}
.big{font-size:28px;font-weight:700}
.muted{color:#5a6478;font-size:14px}
.error{color:#b00020;font-weight:600}
.ok{color:#1b7f3b;font-weight:600}
progress.tier{display:block;width:100%;height:8px;margin:6px 0;accent-color:#c8102e}
label{display:block;margin:10px 0 4px;font-weight:600}
select,textarea,input[type=tel],input[type=text],input[type=date],input[inputmode=numeric]{width:100%;font-size:18px;padding:10px;border:1px solid #c5ccd8;border-radius:8px}
label.check{font-weight:400;display:flex;gap:8px;align-items:flex-start}
button{width:100%;font-size:17px;padding:12px;margin-top:12px;border:0;border-radius:8px;background:#c8102e;color:#fff}
button.plain{background:#fff;color:#c8102e;border:1px solid #c8102e}
nav{position:fixed;bottom:0;left:0;right:0;display:flex;background:#fff;border-top:1px solid #dde2ea}
nav a{flex:1;text-align:center;padding:12px 0;color:#5a6478;text-decoration:none;font-size:14px}
nav a.on{color:#c8102e;font-weight:700}
ul.plain{list-style:none;margin:0;padding:0}
ul.plain li{padding:8px 0;border-bottom:1px solid #eef0f4}
ul.plain li:last-child{border-bottom:0}
ul.plain.card{padding:4px 16px}
.row{display:flex;justify-content:space-between;gap:8px}
.plus{color:#1b7f3b}.minus{color:#b00020}
details summary{cursor:pointer;color:#5a6478;font-size:14px}
.code{text-align:center}
.code svg{width:100%;height:auto;max-width:300px}
.code .bars svg{max-width:340px;height:90px}
.digits{font:20px/1.4 ui-monospace,monospace;letter-spacing:2px}
"#;

/// Replaces the member code with a fresh one at each 30-second step: the only script the member
/// pages have. Without it the page reloads itself instead (a `<noscript>` meta refresh in its head).
const CODE_JS: &str = r#"
(function () {
  var box = document.getElementById('member-code');
  if (!box) return;
  var left = document.getElementById('seconds-left');
  var secs = parseInt(box.getAttribute('data-seconds-left') || '30', 10);
  function load() {
    fetch('/m/code/now', { credentials: 'same-origin', cache: 'no-store' })
      .then(function (r) { if (!r.ok) throw r.status; return r.json(); })
      .then(function (c) {
        document.getElementById('qr').innerHTML = c.qr_svg;
        document.getElementById('bars').innerHTML = c.barcode_svg;
        document.getElementById('digits').textContent = c.text;
        box.setAttribute('data-code', c.text);
        secs = c.seconds_left;
      })
      .catch(function () { secs = 5; });
  }
  setInterval(function () {
    secs -= 1;
    if (secs <= 0) { load(); secs = 30; }
    if (left) left.textContent = String(Math.max(secs, 0));
  }, 1000);
})();
"#;
