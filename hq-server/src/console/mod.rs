//! The web console for HQ staff and branch managers, server-rendered (maud) on the API's port
//! under `/console`. Every page checks the role on the server; every form carries a CSRF token
//! derived from the session; the language is zh-CN or English (a cookie, switched from any page).
//! No script or style is loaded from elsewhere: the console works on a branch network offline.

mod chart;
mod i18n;
mod jobs;
mod pages;
mod words;

use axum::Router;
use axum::extract::{FromRequestParts, State};
use axum::http::header::{LOCATION, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use maud::{DOCTYPE, Markup, PreEscaped, html};
use serde::Deserialize;
use shared::lang::Lang;

use crate::auth;
use crate::error::AppError;
use crate::http::extract::session_token;
use crate::http::{AppState, ClientAddr, CurrentUser};
use crate::model::Role;
pub use i18n::C;
pub use jobs::Jobs;

const LANG_COOKIE: &str = "tp_lang";

/// The console's routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { redirect("/console") }))
        .route("/console/login", get(login_page).post(login))
        .route("/console/logout", axum::routing::post(logout))
        .route("/console/lang", get(switch_lang))
        .merge(pages::router())
}

/// A signed-in console user with their language and CSRF token. A request without a session is
/// sent to the sign-in page.
pub struct Page {
    pub me: CurrentUser,
    pub lang: Lang,
    pub csrf: String,
}

impl Page {
    pub fn t(&self, c: C) -> &'static str {
        c.text(self.lang)
    }

    /// Refuses unless the user has one of `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<(), ConsoleError> {
        if roles.contains(&self.me.user.role) { Ok(()) } else { Err(ConsoleError::Forbidden(self.lang)) }
    }

    /// Checks a form's CSRF token.
    pub fn check_csrf(&self, token: &str) -> Result<(), ConsoleError> {
        if !token.is_empty() && auth::constant_time_eq(token.as_bytes(), self.csrf.as_bytes()) {
            Ok(())
        } else {
            Err(ConsoleError::Csrf)
        }
    }

    /// A form value that breaks a rule: the page says why, in a 422.
    pub fn invalid(&self, why: impl Into<String>) -> ConsoleError {
        ConsoleError::App(AppError::Validation(why.into()), self.lang)
    }

    /// The hidden field every form carries.
    pub fn csrf_field(&self) -> Markup {
        html! { input type="hidden" name="_csrf" value=(self.csrf); }
    }
}

/// The CSRF token of a session: derived from its secret token, so it needs no storage and an
/// attacker who cannot read the HttpOnly cookie cannot make it.
pub(crate) fn csrf_of(session: &str) -> String {
    auth::token_hash(&format!("csrf:{session}")).chars().take(32).collect()
}

/// The language of a page: the language cookie (the console's and the member pages'), else the
/// browser's, else Chinese.
pub(crate) fn lang_of(headers: &HeaderMap) -> Lang {
    match crate::http::extract::cookie(headers, LANG_COOKIE).as_deref() {
        Some("en") => Lang::En,
        Some("zh-CN") => Lang::ZhCn,
        _ => {
            let accept = headers.get("accept-language").and_then(|v| v.to_str().ok()).unwrap_or("zh");
            Lang::from_locale(accept)
        }
    }
}

impl FromRequestParts<AppState> for Page {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let lang = lang_of(&parts.headers);
        let token = session_token(&parts.headers).ok_or_else(|| redirect("/console/login"))?;
        let me = CurrentUser::from_request_parts(parts, state).await.map_err(|e| match e {
            AppError::Unauthenticated => redirect("/console/login"),
            other => ConsoleError::App(other, lang).into_response(),
        })?;
        Ok(Page { me, lang, csrf: csrf_of(&token) })
    }
}

/// A console page's query string. A GET form sends every field, a blank one as `name=` ("all
/// branches", a date left empty): that is a field not given, so blank pairs are dropped before the
/// query is read (axum's `Query` reads `branch_id=` as a number and refuses it). The API keeps the
/// strict reading: there an empty value is not the integer its document says.
pub struct FormQuery<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> FromRequestParts<S> for FormQuery<T> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let given: Vec<&str> = parts
            .uri
            .query()
            .unwrap_or("")
            .split('&')
            .filter(|pair| pair.split_once('=').is_some_and(|(_, v)| !v.is_empty()))
            .collect();
        let uri: axum::http::Uri =
            format!("/?{}", given.join("&")).parse().map_err(|_| StatusCode::BAD_REQUEST.into_response())?;
        axum::extract::Query::<T>::try_from_uri(&uri).map(|q| FormQuery(q.0)).map_err(|e| {
            ConsoleError::App(AppError::BadRequest(e.body_text()), lang_of(&parts.headers)).into_response()
        })
    }
}

/// What a console page can fail with, rendered as a page.
#[derive(Debug)]
pub enum ConsoleError {
    Forbidden(Lang),
    NotFound(Lang),
    Csrf,
    App(AppError, Lang),
}

impl From<AppError> for ConsoleError {
    fn from(e: AppError) -> Self {
        ConsoleError::App(e, Lang::ZhCn)
    }
}

impl IntoResponse for ConsoleError {
    fn into_response(self) -> Response {
        let (status, lang, message) = match self {
            ConsoleError::Forbidden(l) => (StatusCode::FORBIDDEN, l, C::Forbidden.text(l).to_owned()),
            ConsoleError::NotFound(l) => (StatusCode::NOT_FOUND, l, C::NotFound.text(l).to_owned()),
            ConsoleError::Csrf => {
                (StatusCode::FORBIDDEN, Lang::En, "This form is stale or forged: reload the page.".into())
            }
            ConsoleError::App(AppError::NotFound(_), l) => (StatusCode::NOT_FOUND, l, C::NotFound.text(l).to_owned()),
            ConsoleError::App(AppError::Forbidden(_), l) => (StatusCode::FORBIDDEN, l, C::Forbidden.text(l).to_owned()),
            ConsoleError::App(e @ (AppError::Validation(_) | AppError::BadRequest(_) | AppError::Conflict(_)), l) => {
                (StatusCode::UNPROCESSABLE_ENTITY, l, e.to_string())
            }
            ConsoleError::App(e, l) => {
                tracing::error!(error = %e, "console page failed");
                (StatusCode::INTERNAL_SERVER_ERROR, l, "Something went wrong at HQ; the error is logged.".into())
            }
        };
        let body = bare(
            lang,
            C::Title.text(lang),
            html! {
                main.narrow { h1 { (status.as_u16()) } p.error { (message) } p { a href="/console" { (C::Dashboard.text(lang)) } } }
            },
        );
        (status, body).into_response()
    }
}

pub type PageResult = Result<Response, ConsoleError>;

pub fn redirect(to: &str) -> Response {
    let mut r = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        r.headers_mut().insert(LOCATION, v);
    }
    r
}

const CSS: &str = r#"
*{box-sizing:border-box}body{margin:0;font:15px/1.5 system-ui,"Noto Sans CJK SC","Microsoft YaHei",sans-serif;color:#1d2433;background:#f4f6fa}
header{display:flex;gap:18px;align-items:center;background:#1f3a5f;color:#fff;padding:10px 20px}
header a{color:#dfe8f5;text-decoration:none}header a.on,header a:hover{color:#fff;text-decoration:underline}
header .who{margin-left:auto;display:flex;gap:12px;align-items:center}
header form{margin:0}header button{background:none;border:1px solid #9fb3cf;color:#fff;border-radius:4px;padding:2px 10px;cursor:pointer}
main{padding:20px;max-width:1200px;margin:0 auto}main.narrow{max-width:420px;margin-top:60px}
h1{font-size:22px;margin:0 0 14px}h2{font-size:17px;margin:22px 0 8px}
table{border-collapse:collapse;width:100%;background:#fff;margin:6px 0 14px}th,td{padding:6px 10px;border-bottom:1px solid #e3e8ef;text-align:left}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}tfoot td{font-weight:600;border-top:2px solid #1f3a5f}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(170px,1fr));gap:12px;margin-bottom:10px}
.card{background:#fff;border-radius:8px;padding:12px 14px;box-shadow:0 1px 2px #0001}.card b{display:block;font-size:22px}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(540px,1fr));gap:14px}.chart{background:#fff;border-radius:8px;padding:10px}
form.inline,div.inline{display:flex;gap:10px;align-items:end;flex-wrap:wrap;margin:8px 0}label{display:flex;flex-direction:column;font-size:13px;color:#556}
input,select,textarea{font:inherit;padding:5px 8px;border:1px solid #b8c2d1;border-radius:4px}
button{font:inherit;padding:6px 14px;border:0;border-radius:4px;background:#2d6cdf;color:#fff;cursor:pointer}button.danger{background:#c23b3b}
.error{color:#b3261e;font-weight:600}.ok{color:#137333;font-weight:600}.muted{color:#667}.box{background:#fff;border-radius:8px;padding:14px;margin:10px 0}
progress{width:300px}
tr.total td{font-weight:600}td.missing{color:#b3261e}
"#;

/// A page without the menu (sign-in, errors).
fn bare(lang: Lang, title: &str, body: Markup) -> Html<String> {
    Html(
        html! {
            (DOCTYPE)
            html lang=(lang.code()) {
                head { meta charset="utf-8"; meta name="viewport" content="width=device-width"; title { (title) } style { (PreEscaped(CSS)) } }
                body { (body) }
            }
        }
        .into_string(),
    )
}

/// Which menu entry a page belongs to.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Menu {
    Dashboard,
    Branches,
    Catalog,
    Members,
    Policy,
    Promotions,
    Coupons,
    Complaints,
    Stock,
    Finance,
    Analysis,
    Plans,
    Care,
    Audit,
    Users,
}

/// A page with the menu the user's role may use.
pub fn layout(page: &Page, on: Menu, title: &str, body: Markup) -> Response {
    let role = page.me.user.role;
    let items: Vec<(Menu, C, &str, bool)> = vec![
        (Menu::Dashboard, C::Dashboard, "/console", true),
        (Menu::Branches, C::Branches, "/console/branches", true),
        (Menu::Catalog, C::Catalog, "/console/catalog", role != Role::BranchManager),
        (Menu::Members, C::Members, "/console/members", role != Role::BranchManager),
        (Menu::Policy, C::Policy, "/console/policy", role != Role::BranchManager),
        (Menu::Promotions, C::Promotions, "/console/promotions", true),
        // Campaigns carry chain-wide counts and money: not a branch manager's page.
        (Menu::Coupons, C::CouponCampaigns, "/console/coupons", role != Role::BranchManager),
        (Menu::Complaints, C::Complaints, "/console/complaints", true),
        (Menu::Stock, C::Stock, "/console/stock", role != Role::Marketing),
        (Menu::Finance, C::Finance, "/console/finance", role != Role::Marketing),
        // Member-level: for those who may see members.
        (
            Menu::Analysis,
            C::Analysis,
            "/console/analysis",
            matches!(role, Role::Admin | Role::Finance | Role::Marketing),
        ),
        (Menu::Plans, C::Plans, "/console/plan", true),
        (Menu::Care, C::Care, "/console/care", matches!(role, Role::Admin | Role::Finance | Role::Marketing)),
        (Menu::Audit, C::Audit, "/console/audit", matches!(role, Role::Admin | Role::Finance)),
        (Menu::Users, C::Users, "/console/users", role == Role::Admin),
    ];
    let other = if page.lang == Lang::ZhCn { "en" } else { "zh-CN" };
    let body = html! {
        header {
            strong { (page.t(C::Title)) }
            @for (m, c, href, shown) in &items {
                @if *shown { a.on[*m == on] href=(href) { (page.t(*c)) } }
            }
            div.who {
                span { (page.me.user.display_name) " · " (format!("{:?}", role)) }
                a href={ "/console/lang?to=" (other) } { (page.t(C::Language)) }
                form method="post" action="/console/logout" { (page.csrf_field()) button type="submit" { (page.t(C::SignOut)) } }
            }
        }
        main { h1 { (title) } (body) }
    };
    bare(page.lang, title, body).into_response()
}

#[derive(Deserialize)]
struct LoginForm {
    username: String,
    password: String,
}

async fn login_page(headers: HeaderMap) -> Html<String> {
    login_form(lang_of(&headers), None)
}

fn login_form(lang: Lang, error: Option<&str>) -> Html<String> {
    let t = |c: C| c.text(lang);
    bare(
        lang,
        t(C::Title),
        html! {
            main.narrow {
                h1 { (t(C::Title)) }
                @if let Some(e) = error { p.error #login-error { (e) } }
                form.box method="post" action="/console/login" {
                    label { (t(C::Username)) input name="username" autocomplete="username" required autofocus; }
                    br;
                    label { (t(C::Password)) input name="password" type="password" autocomplete="current-password" required; }
                    br;
                    button #sign-in type="submit" { (t(C::SignIn)) }
                }
                p { a href={ "/console/lang?to=" (if lang == Lang::ZhCn { "en" } else { "zh-CN" }) } { (t(C::Language)) } }
            }
        },
    )
}

async fn login(
    State(state): State<AppState>,
    ClientAddr(from): ClientAddr,
    headers: HeaderMap,
    axum::Form(form): axum::Form<LoginForm>,
) -> Response {
    let lang = lang_of(&headers);
    let req = crate::http::session::LoginRequest { username: form.username, password: form.password };
    match crate::http::session::sign_in(&state, &from, req).await {
        Ok((_, token)) => {
            let mut r = redirect("/console");
            match crate::http::session::cookie(&state, &token, state.config.session_ttl.as_secs()) {
                Ok(c) => {
                    r.headers_mut().insert(SET_COOKIE, c);
                    r
                }
                Err(e) => ConsoleError::App(e, lang).into_response(),
            }
        }
        Err(AppError::RateLimited(_)) => {
            (StatusCode::TOO_MANY_REQUESTS, login_form(lang, Some(C::TooMany.text(lang)))).into_response()
        }
        Err(AppError::BadCredentials | AppError::Validation(_) | AppError::BadRequest(_)) => {
            (StatusCode::UNAUTHORIZED, login_form(lang, Some(C::BadLogin.text(lang)))).into_response()
        }
        Err(e) => ConsoleError::App(e, lang).into_response(),
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(rename = "_csrf", default)]
    pub csrf: String,
}

async fn logout(
    State(state): State<AppState>,
    page: Page,
    headers: HeaderMap,
    axum::Form(f): axum::Form<CsrfForm>,
) -> PageResult {
    page.check_csrf(&f.csrf)?;
    if let Some(token) = session_token(&headers) {
        crate::http::session::sign_out(&state, &token).await?;
    }
    let mut r = redirect("/console/login");
    r.headers_mut().insert(SET_COOKIE, crate::http::session::cookie(&state, "", 0)?);
    Ok(r)
}

#[derive(Deserialize)]
struct LangQuery {
    to: String,
}

async fn switch_lang(headers: HeaderMap, axum::extract::Query(q): axum::extract::Query<LangQuery>) -> Response {
    switch_lang_within(&headers, &q.to, "/console")
}

/// Sets the language cookie to `to` and goes back to the page it was asked from, if that page is
/// under `home` (the console's pages or the member pages), else to `home`.
pub(crate) fn switch_lang_within(headers: &HeaderMap, to: &str, home: &str) -> Response {
    let lang = if to == "en" { "en" } else { "zh-CN" };
    let back = headers
        .get("referer")
        .and_then(|v| v.to_str().ok())
        .and_then(|r| r.find(home).map(|i| r[i..].to_owned()))
        .filter(|p| !p.starts_with(&format!("{home}/lang")) && !p.contains("//"))
        .unwrap_or_else(|| home.to_owned());
    let mut r = redirect(&back);
    if let Ok(v) = HeaderValue::from_str(&format!("{LANG_COOKIE}={lang}; Path=/; SameSite=Lax; Max-Age=31536000")) {
        r.headers_mut().insert(SET_COOKIE, v);
    }
    r
}

/// An enum from its code as the API spells it (`branch_manager`, `lost`, `DownToJiao`).
pub fn from_code<T: serde::de::DeserializeOwned>(code: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(code.to_owned())).ok()
}

/// Money in fen as yuan, with the sign.
pub fn yuan(fen: i64) -> String {
    shared::money::Money(fen).to_string()
}
