//! The member pages (会员 手机版) through the real router, on both stores: signing in by phone
//! and a one-time code from the log sender, limits and locks, self-enrolment, balances and
//! history equal to the ledger, the rotating member code checked by a till's lookup, profile,
//! lost card, signing out everywhere.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use hq_server::clock::Clock;
use hq_server::sms::LogSender;
use hq_server::store::MemberStore;
use jiff::{SignedDuration, Timestamp};
use serde_json::json;
use shared::member::Phone;
use tower::ServiceExt;

use crate::helpers::{Reply, TestApp};
use crate::member_pages_content::inside;
use crate::members::{PHONE, member_with, till_post};

/// HQ on a manual clock, with a log sender the test reads the codes from.
pub(crate) async fn app_with_sms() -> (TestApp, LogSender, Clock) {
    let sms = LogSender::default();
    let clock = Clock::manual("2026-11-30T02:00:00Z".parse::<Timestamp>().expect("time"));
    let (s, c) = (sms.clone(), clock.clone());
    let app = crate::helpers::spawn_app_clocked(move |cfg| cfg.sms = hq_server::sms::SmsConfig::Log(s), c).await;
    (app, sms, clock)
}

/// A form post (or a get, without fields) as a phone's browser sends it, from `from`.
pub(crate) async fn form(
    app: &TestApp,
    method: Method,
    uri: &str,
    cookie: &str,
    fields: &[(&str, &str)],
    from: [u8; 4],
) -> Reply {
    form_with(app, method, uri, cookie, fields, std::net::SocketAddr::from((from, 40000)), &[]).await
}

/// The same from any address, with more headers.
async fn form_with(
    app: &TestApp,
    method: Method,
    uri: &str,
    cookie: &str,
    fields: &[(&str, &str)],
    from: std::net::SocketAddr,
    headers: &[(&str, &str)],
) -> Reply {
    let body = fields.iter().map(|(k, v)| format!("{k}={}", url_escape(v))).collect::<Vec<_>>().join("&");
    let mut b = Request::builder().method(method).uri(uri).header("content-type", "application/x-www-form-urlencoded");
    if !cookie.is_empty() {
        b = b.header("cookie", cookie);
    }
    for (name, value) in headers {
        b = b.header(*name, *value);
    }
    let mut req = b.body(Body::from(body)).expect("request");
    req.extensions_mut().insert(axum::extract::ConnectInfo(from));
    let resp = app.router.clone().oneshot(req).await.expect("response");
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX).await.expect("body");
    let text = String::from_utf8_lossy(&bytes).into_owned();
    Reply { status, headers, body: serde_json::Value::Null, text }
}

fn url_escape(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub(crate) const HOME: [u8; 4] = [10, 0, 0, 7];

fn session_of(r: &Reply) -> String {
    let set = r.headers.get("set-cookie").and_then(|v| v.to_str().ok()).expect("a session cookie");
    assert!(set.contains("HttpOnly") && set.contains("SameSite=Strict") && set.contains("Path=/m"), "{set}");
    set.split(';').next().expect("name=value").to_owned()
}

pub(crate) fn location(r: &Reply) -> &str {
    r.headers.get("location").and_then(|v| v.to_str().ok()).unwrap_or("")
}

pub(crate) fn csrf_in(page: &str) -> String {
    let at = page.find("name=\"_csrf\" value=\"").expect("a CSRF field") + "name=\"_csrf\" value=\"".len();
    page[at..].split('"').next().expect("value").to_owned()
}

/// Asks for a code and signs in with it: the session cookie and where the sign-in led.
pub(crate) async fn sign_in(app: &TestApp, sms: &LogSender, phone: &str) -> (String, String) {
    form(app, Method::POST, "/m/sign-in/code", "", &[("phone", phone)], HOME).await;
    let code = sms.last_code_to(phone).expect("a code was sent");
    let r = form(app, Method::POST, "/m/sign-in", "", &[("phone", phone), ("code", &code)], HOME).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    (session_of(&r), location(&r).to_owned())
}

#[tokio::test]
async fn a_member_signs_in_with_the_code_texted_to_them_and_sees_the_ledgers_balances() {
    let (app, sms, _) = app_with_sms().await;
    let (id, _) = member_with(&app, PHONE, 1_234).await;
    let asked = form(&app, Method::POST, "/m/sign-in/code", "", &[("phone", PHONE)], HOME).await;
    assert_eq!(asked.status, StatusCode::OK);
    assert!(asked.text.contains("139****1111"), "the page names the number masked");
    let code = sms.last_code_to(PHONE).expect("a code was texted");
    assert!(!asked.text.contains(&code), "the page never shows the code");
    // A wrong code first: refused, nothing opened.
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let r = form(&app, Method::POST, "/m/sign-in", "", &[("phone", PHONE), ("code", wrong)], HOME).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.headers.get("set-cookie").is_none());
    let r = form(&app, Method::POST, "/m/sign-in", "", &[("phone", PHONE), ("code", &code)], HOME).await;
    assert_eq!((r.status, location(&r)), (StatusCode::SEE_OTHER, "/m/home"));
    let cookie = session_of(&r);
    // The code was single use.
    let again = form(&app, Method::POST, "/m/sign-in", "", &[("phone", PHONE), ("code", &code)], HOME).await;
    assert_eq!(again.status, StatusCode::UNAUTHORIZED);

    let home = form(&app, Method::GET, "/m/home", &cookie, &[], HOME).await;
    assert_eq!(home.status, StatusCode::OK);
    let member = app.store.get_member(id).expect("member");
    assert!(home.text.contains(&format!("id=\"points-balance\">{}<", member.points)), "{}", home.text);
    assert!(home.text.contains("id=\"sv-principal\">¥200.00<") && home.text.contains("id=\"sv-bonus\">¥20.00<"));
    let csp = home.headers.get("content-security-policy").and_then(|v| v.to_str().ok()).unwrap_or("");
    assert!(csp.contains("default-src 'self'") && csp.contains("script-src 'self'"), "{csp}");
    assert!(!home.text.contains("src=\"http") && !home.text.contains("href=\"http"), "nothing from another host");
    assert!(home.text.len() < 100_000);

    let history = form(&app, Method::GET, "/m/history", &cookie, &[], HOME).await;
    let ledger = app.store.ledger(id, 100).expect("ledger");
    assert_eq!(history.text.matches("class=\"entry\"").count(), ledger.len(), "every ledger entry, once");
    assert!(history.text.contains("+1234"), "the adjustment's points");
    // The text log records what was sent to whom, not the code.
    let log = hq_server::store::MemberPagesStore::sms_log(&*app.store, None, 10).expect("log");
    assert_eq!((log[0].phone.as_str(), log[0].purpose.as_str(), log[0].outcome.as_str()), (PHONE, "sign_in", "sent"));
}

#[tokio::test]
async fn an_unknown_number_gets_the_same_page_as_a_members_and_may_join() {
    let (app, sms, _) = app_with_sms().await;
    member_with(&app, PHONE, 0).await;
    let known = form(&app, Method::POST, "/m/sign-in/code", "", &[("phone", PHONE)], HOME).await;
    let stranger = "13700002222";
    let unknown = form(&app, Method::POST, "/m/sign-in/code", "", &[("phone", stranger)], HOME).await;
    assert_eq!(known.status, unknown.status);
    assert_eq!(known.headers.len(), unknown.headers.len());
    assert_eq!(
        known.text.replace("139****1111", "X").replace(PHONE, "N"),
        unknown.text.replace("137****2222", "X").replace(stranger, "N")
    );
    // The right code opens a new number's session, which may only join.
    let code = sms.last_code_to(stranger).expect("a code to the stranger too");
    let r = form(&app, Method::POST, "/m/sign-in", "", &[("phone", stranger), ("code", &code)], HOME).await;
    assert_eq!(location(&r), "/m/join");
    let cookie = session_of(&r);
    assert_eq!(location(&form(&app, Method::GET, "/m/home", &cookie, &[], HOME).await), "/m/join");
    let page = form(&app, Method::GET, "/m/join", &cookie, &[], HOME).await;
    let csrf = csrf_in(&page.text);
    let no_terms = form(&app, Method::POST, "/m/join", &cookie, &[("_csrf", &csrf), ("name", "林先生")], HOME).await;
    assert_eq!(no_terms.status, StatusCode::UNPROCESSABLE_ENTITY);
    let no_csrf = form(&app, Method::POST, "/m/join", &cookie, &[("name", "林先生"), ("terms", "yes")], HOME).await;
    assert_eq!(no_csrf.status, StatusCode::FORBIDDEN);
    let joined = form(
        &app,
        Method::POST,
        "/m/join",
        &cookie,
        &[("_csrf", &csrf), ("name", "林先生"), ("birthday", "1990-05-01"), ("terms", "yes"), ("marketing", "yes")],
        HOME,
    )
    .await;
    assert_eq!(location(&joined), "/m/home");
    let member = app
        .store
        .find_member(&shared::member::MemberIdentifier::Phone(Phone::parse(stranger).expect("phone")))
        .expect("find")
        .expect("no refusal")
        .expect("the new member");
    assert_eq!((member.name.as_str(), member.marketing_consent), ("林先生", Some(true)));
    assert_eq!(member.birthday.map(|b| b.to_string()).as_deref(), Some("1990-05-01"));
    assert_eq!(form(&app, Method::GET, "/m/home", &cookie, &[], HOME).await.status, StatusCode::OK);
}

#[tokio::test]
async fn five_wrong_codes_lock_the_number_for_the_hour() {
    let (app, sms, clock) = app_with_sms().await;
    member_with(&app, PHONE, 0).await;
    form(&app, Method::POST, "/m/sign-in/code", "", &[("phone", PHONE)], HOME).await;
    let code = sms.last_code_to(PHONE).expect("code");
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for _ in 0..5 {
        let r = form(&app, Method::POST, "/m/sign-in", "", &[("phone", PHONE), ("code", wrong)], HOME).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    // Locked: even the right code, and from another address, and a new code is not sent.
    let r = form(&app, Method::POST, "/m/sign-in", "", &[("phone", PHONE), ("code", &code)], [10, 9, 9, 9]).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    let sent_before = sms.sent().len();
    let r = form(&app, Method::POST, "/m/sign-in/code", "", &[("phone", PHONE)], HOME).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(sms.sent().len(), sent_before);
    // An hour later the number may sign in again.
    clock.advance(SignedDuration::from_mins(61));
    let (_, to) = sign_in(&app, &sms, PHONE).await;
    assert_eq!(to, "/m/home");
}

#[tokio::test]
async fn codes_are_limited_per_number_and_per_address_an_hour() {
    let (app, sms, _) = app_with_sms().await;
    for _ in 0..5 {
        let r = form(&app, Method::POST, "/m/sign-in/code", "", &[("phone", PHONE)], HOME).await;
        assert_eq!(r.status, StatusCode::OK);
    }
    let r = form(&app, Method::POST, "/m/sign-in/code", "", &[("phone", PHONE)], [10, 1, 1, 1]).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "a sixth code for one number");
    assert_eq!(sms.sent().len(), 5);
    // One address asking for many numbers stops at 20 an hour.
    let mut refused = 0;
    for n in 0..25 {
        let phone = format!("1360000{n:04}");
        let r = form(&app, Method::POST, "/m/sign-in/code", "", &[("phone", &phone)], [10, 2, 2, 2]).await;
        if r.status == StatusCode::TOO_MANY_REQUESTS {
            refused += 1;
        }
    }
    assert_eq!(refused, 5);
    // A garbled number is a clear error, and nothing is sent.
    let r = form(&app, Method::POST, "/m/sign-in/code", "", &[("phone", "12345<script>")], HOME).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!r.text.contains("<script>"), "what was typed comes back escaped");
}

#[tokio::test]
async fn the_rotating_code_is_checked_by_a_tills_lookup_and_dies_with_sign_out_everywhere() {
    let (app, sms, clock) = app_with_sms().await;
    let branch = app.branch("B001").await;
    let (id, number) = member_with(&app, PHONE, 500).await;
    let (cookie, _) = sign_in(&app, &sms, PHONE).await;
    let page = form(&app, Method::GET, "/m/code", &cookie, &[], HOME).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("<noscript><meta http-equiv=\"refresh\""), "without script the page reloads");
    assert!(page.headers.get("refresh").is_none(), "with script it does not: the script swaps the code in");
    let code_of = |text: &str| {
        let at = text.find("data-code=\"").expect("a code") + "data-code=\"".len();
        text[at..at + 18].to_owned()
    };
    let code = code_of(&page.text);
    assert!(code.starts_with("88") && code[2..12] == number, "{code}");
    assert!(page.text.contains("<svg"), "QR and barcode drawn inline");
    let secret = app.store.get_member(id).expect("member").code_secret;
    assert!(secret.is_some(), "the secret was made for the page");
    assert!(!page.text.contains(&secret.expect("secret").to_hex()), "the secret is never on a page");

    let (_, token) = app.enrolled_till(branch).await;
    let lookup = |c: String| {
        let token = token.clone();
        let number = number.clone();
        let app = &app;
        async move {
            till_post(
                app,
                &token,
                "/api/v1/till/members/lookup",
                json!({"by": {"by": "code", "value": number}, "rotating_code": c}),
            )
            .await
        }
    };
    let found = lookup(code.clone()).await.expect(StatusCode::OK);
    assert_eq!(found.body["member"]["id"], id.to_string());
    assert_eq!(found.body["code_checked"], true, "HQ says it checked the code");
    assert_eq!(found.body["member"]["code_secret"].as_str().map(str::len), Some(40), "the till gets the secret");
    // The page's script fetches the same code within the step.
    let now = form(&app, Method::GET, "/m/code/now", &cookie, &[], HOME).await;
    assert!(now.text.contains(&code));
    // 61 seconds later the code is two steps old: expired. (31–59 s later it is one step old and
    // still accepted: spec/domain.md, "A member's rotating code", allows ±1 step.)
    clock.advance(SignedDuration::from_secs(61));
    assert_eq!(lookup(code.clone()).await.expect(StatusCode::CONFLICT).error_code(), "member_code_expired");
    let mut forged = code.clone();
    forged.replace_range(12.., if &code[12..] == "000000" { "111111" } else { "000000" });
    assert_eq!(lookup(forged).await.expect(StatusCode::CONFLICT).error_code(), "member_code_not_valid");
    // Signing out everywhere ends the sessions and kills every code made before.
    let fresh = code_of(&form(&app, Method::GET, "/m/code", &cookie, &[], HOME).await.text);
    lookup(fresh.clone()).await.expect(StatusCode::OK);
    let profile = form(&app, Method::GET, "/m/profile", &cookie, &[], HOME).await;
    let r =
        form(&app, Method::POST, "/m/sign-out-everywhere", &cookie, &[("_csrf", &csrf_in(&profile.text))], HOME).await;
    assert_eq!(location(&r), "/m/sign-in");
    assert_eq!(location(&form(&app, Method::GET, "/m/home", &cookie, &[], HOME).await), "/m/sign-in");
    assert_eq!(lookup(fresh).await.expect(StatusCode::CONFLICT).error_code(), "member_code_not_valid");
    // A rotating code that names another number than `by` is a clear error.
    let r = till_post(
        &app,
        &token,
        "/api/v1/till/members/lookup",
        json!({"by": {"by": "code", "value": "8000000999"}, "rotating_code": code}),
    )
    .await;
    r.expect(StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn a_member_sets_a_birthday_once_reports_the_card_lost_and_the_phone_code_still_works() {
    let (app, sms, _) = app_with_sms().await;
    let branch = app.branch("B001").await;
    let (id, number) = member_with(&app, PHONE, 0).await;
    let (cookie, _) = sign_in(&app, &sms, PHONE).await;
    let page = form(&app, Method::GET, "/m/profile", &cookie, &[], HOME).await;
    let csrf = csrf_in(&page.text);
    let saved = form(
        &app,
        Method::POST,
        "/m/profile",
        &cookie,
        &[("_csrf", &csrf), ("name", "陈小姐"), ("birthday", "1988-02-29"), ("marketing_shown", "yes")],
        HOME,
    )
    .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.text);
    let m = app.store.get_member(id).expect("member");
    assert_eq!((m.birthday.map(|b| b.to_string()), m.marketing_consent), (Some("1988-02-29".into()), Some(false)));
    // A second birthday goes through the staff.
    let again = form(
        &app,
        Method::POST,
        "/m/profile",
        &cookie,
        &[
            ("_csrf", &csrf),
            ("name", "陈小姐"),
            ("birthday", "1989-01-01"),
            ("marketing_shown", "yes"),
            ("marketing", "yes"),
        ],
        HOME,
    )
    .await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        app.store.get_member(id).expect("member").birthday.map(|b| b.to_string()).as_deref(),
        Some("1988-02-29")
    );
    // Lost card: the card is refused at a till, the phone's code is not.
    let lost = form(&app, Method::POST, "/m/lost-card", &cookie, &[("_csrf", &csrf)], HOME).await;
    assert_eq!(lost.status, StatusCode::OK);
    let (_, token) = app.enrolled_till(branch).await;
    let by_card =
        till_post(&app, &token, "/api/v1/till/members/lookup", json!({"by": {"by": "code", "value": number}})).await;
    assert_eq!(by_card.expect(StatusCode::CONFLICT).error_code(), "card_not_active");
    let code = {
        let text = form(&app, Method::GET, "/m/code", &cookie, &[], HOME).await.text;
        let at = text.find("data-code=\"").expect("a code") + "data-code=\"".len();
        text[at..at + 18].to_owned()
    };
    till_post(
        &app,
        &token,
        "/api/v1/till/members/lookup",
        json!({"by": {"by": "code", "value": number}, "rotating_code": code}),
    )
    .await
    .expect(StatusCode::OK);
    // A form without its CSRF token changes nothing.
    let r = form(&app, Method::POST, "/m/profile", &cookie, &[("name", "别人")], HOME).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(app.store.get_member(id).expect("member").name, "陈小姐");
}

#[tokio::test]
async fn anyone_sees_the_branches_with_their_opening_hours() {
    let (app, _, _) = app_with_sms().await;
    let branch = app.branch("B001").await;
    app.put(
        &format!("/api/v1/branches/{}", branch.0),
        &app.admin,
        json!({"code": "B001", "name": "人民路店", "address": "人民路 1 号", "opening_hours": "08:00–22:00"}),
    )
    .await
    .expect(StatusCode::OK);
    let page = form(&app, Method::GET, "/m/branches", "", &[], HOME).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("人民路店") && page.text.contains("人民路 1 号") && page.text.contains("08:00–22:00"));
    // English on request.
    let en = form(&app, Method::GET, "/m/branches", "tp_lang=en", &[], HOME).await;
    assert!(en.text.contains("Opening hours"));
}

/// A loopback SMS gateway that keeps what it was posted and answers `status`.
async fn gateway(status: StatusCode) -> (String, std::sync::Arc<std::sync::Mutex<Vec<(String, String)>>>) {
    let got: std::sync::Arc<std::sync::Mutex<Vec<(String, String)>>> = Default::default();
    let keep = got.clone();
    let app = axum::Router::new().route(
        "/send",
        axum::routing::post(move |headers: axum::http::HeaderMap, body: String| {
            let keep = keep.clone();
            async move {
                let key = headers.get("x-api-key").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
                keep.lock().expect("lock").push((key, body));
                status
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}/send", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await.expect("gateway") });
    (url, got)
}

#[tokio::test]
async fn texts_go_through_a_configured_gateway_and_a_failure_is_said_and_logged() {
    let (url, got) = gateway(StatusCode::OK).await;
    let sms = hq_server::cli::sms_config(
        "http",
        Some(&url),
        r#"{"mobile":"{phone}","content":"{text}"}"#,
        "application/json",
        &["X-Api-Key: k-123".to_owned()],
    )
    .expect("an HTTP sender");
    let app = crate::helpers::spawn_app_with(move |cfg| cfg.sms = sms).await;
    member_with(&app, PHONE, 0).await;
    let r = form(&app, Method::POST, "/m/sign-in/code", "", &[("phone", PHONE)], HOME).await;
    assert_eq!(r.status, StatusCode::OK);
    let (key, body) = got.lock().expect("lock").last().cloned().expect("the gateway was called");
    assert_eq!(key, "k-123");
    let posted: serde_json::Value = serde_json::from_str(&body).expect("the template's JSON");
    assert_eq!(posted["mobile"], PHONE);
    let text = posted["content"].as_str().expect("text");
    let code: String = text.chars().filter(char::is_ascii_digit).take(6).collect();
    let r = form(&app, Method::POST, "/m/sign-in", "", &[("phone", PHONE), ("code", &code)], HOME).await;
    assert_eq!(location(&r), "/m/home", "the gateway's code signs in");

    let (url, _) = gateway(StatusCode::INTERNAL_SERVER_ERROR).await;
    let sms = hq_server::cli::sms_config(
        "http",
        Some(&url),
        "to={phone}&msg={text}",
        "application/x-www-form-urlencoded",
        &[],
    )
    .expect("an HTTP sender");
    let app = crate::helpers::spawn_app_with(move |cfg| cfg.sms = sms).await;
    let r = form(&app, Method::POST, "/m/sign-in/code", "", &[("phone", PHONE)], HOME).await;
    assert_eq!(r.status, StatusCode::BAD_GATEWAY);
    let log = hq_server::store::MemberPagesStore::sms_log(&*app.store, None, 1).expect("log");
    assert!(log[0].outcome.starts_with("failed: "), "{}", log[0].outcome);
    // A gateway misconfigured is refused at start.
    assert!(hq_server::cli::sms_config("http", None, "{phone}{text}", "text/plain", &[]).is_err());
    assert!(hq_server::cli::sms_config("smoke", None, "{phone}{text}", "text/plain", &[]).is_err());
}

#[tokio::test]
async fn the_history_pages_newest_first_and_a_bad_cursor_starts_over() {
    let (app, sms, _) = app_with_sms().await;
    let (id, _) = member_with(&app, PHONE, 0).await;
    for i in 0..24 {
        app.post(
            &format!("/api/v1/members/{id}/adjustments"),
            &app.admin,
            json!({"points": i + 1, "reason": format!("adjustment {i}")}),
        )
        .await
        .expect(StatusCode::OK);
    }
    let (cookie, _) = sign_in(&app, &sms, PHONE).await;
    let ledger = app.store.ledger(id, 100).expect("ledger");
    assert_eq!(ledger.len(), 25, "the opening adjustment and 24 more");
    let first = form(&app, Method::GET, "/m/history", &cookie, &[], HOME).await;
    assert_eq!(first.text.matches("class=\"entry\"").count(), 20);
    assert!(first.text.contains("+24 "), "the newest first");
    let at = first.text.find("id=\"older\" href=\"").expect("a link to older entries") + "id=\"older\" href=\"".len();
    let older = first.text[at..].split('"').next().expect("href").replace("&amp;", "&");
    let second = form(&app, Method::GET, &older, &cookie, &[], HOME).await;
    assert_eq!(second.text.matches("class=\"entry\"").count(), 5);
    assert!(!second.text.contains("id=\"older\""), "the last page");
    let bad = form(&app, Method::GET, "/m/history?before=nonsense", &cookie, &[], HOME).await;
    assert_eq!(location(&bad), "/m/history");
    // Another member's session sees only their own.
    let other = "13600001111";
    member_with(&app, other, 7).await;
    let (theirs, _) = sign_in(&app, &sms, other).await;
    let page = form(&app, Method::GET, "/m/history", &theirs, &[], HOME).await;
    assert_eq!(page.text.matches("class=\"entry\"").count(), 1);
}

#[tokio::test]
async fn without_self_enrolment_a_new_number_is_told_to_join_at_a_branch() {
    use hq_server::store::PolicyStore;
    let (app, sms, clock) = app_with_sms().await;
    let mut policy = app.store.current_policy().expect("policy");
    assert!(policy.self_enrolment, "the initial policy lets members join on their phones");
    policy.self_enrolment = false;
    policy.version += 1;
    policy.effective_from = clock.now();
    app.store.create_policy(&hq_server::model::Actor::system(), policy).expect("a new version");
    let (cookie, to) = sign_in(&app, &sms, "13500002222").await;
    assert_eq!(to, "/m/join");
    let page = form(&app, Method::GET, "/m/join", &cookie, &[], HOME).await;
    assert!(page.text.contains("id=\"join-closed\""));
    let r = form(
        &app,
        Method::POST,
        "/m/join",
        &cookie,
        &[("_csrf", &csrf_in(&page.text)), ("name", "林先生"), ("terms", "yes")],
        HOME,
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(app.store.count_members().expect("count"), 0, "nobody joined");
}

#[tokio::test]
async fn a_new_phone_number_ends_the_old_handsets_session_and_its_codes() {
    let (app, sms, _) = app_with_sms().await;
    let branch = app.branch("B001").await;
    let (id, number) = member_with(&app, PHONE, 0).await;
    let (cookie, _) = sign_in(&app, &sms, PHONE).await;
    let text = form(&app, Method::GET, "/m/code", &cookie, &[], HOME).await.text;
    let at = text.find("data-code=\"").expect("a code") + "data-code=\"".len();
    let code = text[at..at + 18].to_owned();
    // The phone was stolen: a branch gives the member their new number.
    app.patch(&format!("/api/v1/members/{id}"), &app.admin, json!({"phone": "13900002222"}))
        .await
        .expect(StatusCode::OK);
    assert_eq!(location(&form(&app, Method::GET, "/m/home", &cookie, &[], HOME).await), "/m/sign-in");
    let (_, token) = app.enrolled_till(branch).await;
    let r = till_post(
        &app,
        &token,
        "/api/v1/till/members/lookup",
        json!({"by": {"by": "code", "value": number}, "rotating_code": code}),
    )
    .await;
    assert_eq!(r.expect(StatusCode::CONFLICT).error_code(), "member_code_not_valid");
}

#[tokio::test]
async fn forms_from_another_site_or_without_their_token_change_nothing() {
    let (app, sms, _) = app_with_sms().await;
    let (id, _) = member_with(&app, PHONE, 0).await;
    let from = std::net::SocketAddr::from(([10, 0, 0, 8], 40000));
    for headers in
        [&[("sec-fetch-site", "cross-site")][..], &[("origin", "https://evil.example"), ("host", "hq.example")][..]]
    {
        let r = form_with(&app, Method::POST, "/m/sign-in/code", "", &[("phone", PHONE)], from, headers).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{headers:?}");
    }
    assert!(sms.sent().is_empty(), "nothing was sent for another site");
    let same = [("origin", "http://hq.example"), ("host", "hq.example"), ("sec-fetch-site", "same-origin")];
    let r = form_with(&app, Method::POST, "/m/sign-in/code", "", &[("phone", PHONE)], from, &same).await;
    assert_eq!(r.status, StatusCode::OK);
    let (cookie, _) = sign_in(&app, &sms, PHONE).await;
    for uri in ["/m/sign-out", "/m/lost-card", "/m/sign-out-everywhere", "/m/profile"] {
        let r = form(&app, Method::POST, uri, &cookie, &[("name", "x")], HOME).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{uri} without its token");
    }
    let m = app.store.get_member(id).expect("member");
    assert!(m.cards.iter().all(|c| c.status == hq_server::model::CardStatus::Active), "no card reported lost");
    assert_eq!(form(&app, Method::GET, "/m/home", &cookie, &[], HOME).await.status, StatusCode::OK, "still signed in");
}

#[tokio::test]
async fn codes_are_limited_per_number_prefix_and_per_ipv6_network() {
    let sms = LogSender::default();
    let s = sms.clone();
    let app = crate::helpers::spawn_app_with(move |cfg| {
        cfg.sms = hq_server::sms::SmsConfig::Log(s);
        cfg.member_sign_in.codes_per_prefix = 3;
        cfg.member_sign_in.codes_per_address = 2;
    })
    .await;
    // Three numbers of one block, from three addresses: the fourth is refused.
    for (i, n) in ["13512340001", "13512340002", "13512340003", "13512340004"].into_iter().enumerate() {
        let r = form(&app, Method::POST, "/m/sign-in/code", "", &[("phone", n)], [10, 3, 0, i as u8]).await;
        assert_eq!(r.status == StatusCode::OK, i < 3, "{n}");
    }
    // Two addresses of one IPv6 /64 are one address.
    let v6 =
        |last: u16| std::net::SocketAddr::from((std::net::Ipv6Addr::new(0x2408, 0x8207, 1, 2, 0, 0, 0, last), 40000));
    for (i, n) in ["13600000001", "13700000002", "13800000003"].into_iter().enumerate() {
        let r = form_with(&app, Method::POST, "/m/sign-in/code", "", &[("phone", n)], v6(i as u16 + 1), &[]).await;
        assert_eq!(r.status == StatusCode::OK, i < 2, "{n}");
    }
}

#[tokio::test]
async fn behind_a_trusted_balancer_the_forwarded_client_is_counted() {
    let balancer = std::net::IpAddr::from([10, 0, 0, 1]);
    let sms = LogSender::default();
    let s = sms.clone();
    let app = crate::helpers::spawn_app_with(move |cfg| {
        cfg.sms = hq_server::sms::SmsConfig::Log(s);
        cfg.member_sign_in.codes_per_address = 2;
        cfg.trusted_proxies = vec![balancer];
    })
    .await;
    let via = std::net::SocketAddr::from((balancer, 40000));
    // Different clients behind the balancer are counted apart...
    for (i, n) in ["13600000011", "13600000012", "13600000013"].into_iter().enumerate() {
        let client = format!("203.0.113.{i}");
        let r =
            form_with(&app, Method::POST, "/m/sign-in/code", "", &[("phone", n)], via, &[("x-forwarded-for", &client)])
                .await;
        assert_eq!(r.status, StatusCode::OK, "{n}");
    }
    // ...and one client cannot pose as others by writing its own X-Forwarded-For.
    for (i, n) in ["13700000011", "13700000012", "13700000013"].into_iter().enumerate() {
        let forged = format!("198.51.100.{i}, 203.0.113.9");
        let r =
            form_with(&app, Method::POST, "/m/sign-in/code", "", &[("phone", n)], via, &[("x-forwarded-for", &forged)])
                .await;
        assert_eq!(r.status == StatusCode::OK, i < 2, "{n}");
    }
}

#[tokio::test]
async fn without_a_configured_gateway_no_code_is_sent_and_the_page_says_so() {
    let app = crate::helpers::spawn_app().await;
    let r = form(&app, Method::POST, "/m/sign-in/code", "", &[("phone", PHONE)], HOME).await;
    assert_eq!(r.status, StatusCode::BAD_GATEWAY);
    let log = hq_server::store::MemberPagesStore::sms_log(&*app.store, None, 1).expect("log");
    assert!(log[0].outcome.contains("no SMS gateway"), "{}", log[0].outcome);
}

#[tokio::test]
async fn the_tier_bar_shows_the_share_of_the_next_tiers_spend_reached() {
    let (app, sms, _) = app_with_sms().await;
    member_with(&app, PHONE, 0).await;
    let (cookie, _) = sign_in(&app, &sms, PHONE).await;
    let home = form(&app, Method::GET, "/m/home", &cookie, &[], HOME).await;
    assert!(home.text.contains("<progress class=\"tier\" value=\"0\" max=\"100\">"), "no spend yet: {}", home.text);
    assert!(home.text.contains("id=\"to-next\""), "what the next tier takes");
}

/// The inside of the element `id` of a page: from its opening tag's end to the first `</end>` after it.
#[tokio::test]
async fn a_sign_in_code_lives_five_minutes_and_only_the_newest_code_signs_in() {
    let (app, sms, clock) = app_with_sms().await;
    member_with(&app, PHONE, 0).await;
    let sign_in_with = |code: String| {
        let app = &app;
        async move { form(app, Method::POST, "/m/sign-in", "", &[("phone", PHONE), ("code", &code)], HOME).await }
    };
    // A code 4 min 59 s old still signs in.
    form(&app, Method::POST, "/m/sign-in/code", "", &[("phone", PHONE)], HOME).await;
    let code = sms.last_code_to(PHONE).expect("code");
    clock.advance(SignedDuration::from_secs(299));
    let r = sign_in_with(code).await;
    assert_eq!((r.status, location(&r)), (StatusCode::SEE_OTHER, "/m/home"));
    // One 5 min 1 s old is refused, opens nothing, and is not good later either.
    form(&app, Method::POST, "/m/sign-in/code", "", &[("phone", PHONE)], HOME).await;
    let code = sms.last_code_to(PHONE).expect("code");
    clock.advance(SignedDuration::from_secs(301));
    let r = sign_in_with(code.clone()).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.headers.get("set-cookie").is_none(), "no session");
    assert!(r.text.contains("id=\"code-problem\""), "{}", r.text);

    // Two codes asked for: the first is ended by the second, which signs in.
    form(&app, Method::POST, "/m/sign-in/code", "", &[("phone", PHONE)], HOME).await;
    let first = sms.last_code_to(PHONE).expect("code");
    let mut second = first.clone();
    while second == first {
        // One chance in a million that both are the same: ask again (within the hour's five).
        form(&app, Method::POST, "/m/sign-in/code", "", &[("phone", PHONE)], HOME).await;
        second = sms.last_code_to(PHONE).expect("code");
    }
    let r = sign_in_with(first).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "the earlier code no longer signs in");
    assert!(r.headers.get("set-cookie").is_none());
    let r = sign_in_with(second.clone()).await;
    assert_eq!((r.status, location(&r)), (StatusCode::SEE_OTHER, "/m/home"), "the newest does");
    assert_eq!(sign_in_with(second).await.status, StatusCode::UNAUTHORIZED, "once");
}

#[tokio::test]
async fn joining_needs_the_terms_ticked_and_the_consent_is_audited_with_their_version() {
    let (app, sms, _) = app_with_sms().await;
    let stranger = "13700004444";
    let (cookie, to) = sign_in(&app, &sms, stranger).await;
    assert_eq!(to, "/m/join");
    let page = form(&app, Method::GET, "/m/join", &cookie, &[], HOME).await;
    assert!(page.text.contains("<a id=\"terms-link\" href=\"/m/terms\">"), "the form links the terms");
    // The terms, for anyone, in Chinese first and in English, with their version.
    let terms = form(&app, Method::GET, "/m/terms", "", &[], HOME).await;
    assert_eq!(terms.status, StatusCode::OK);
    let version = hq_server::member_pages::terms::VERSION;
    assert_eq!(version, "2026-11");
    assert_eq!(inside(&terms.text, "terms-version", "p"), format!("版本 {version}"));
    for words in ["我们保存的信息", "退出所有设备", "会员卡挂失", "手机号"] {
        assert!(terms.text.contains(words), "{words}");
    }
    let en = form(&app, Method::GET, "/m/terms", "tp_lang=en", &[], HOME).await;
    assert_eq!(inside(&en.text, "terms-version", "p"), format!("Version {version}"));
    for words in ["What we keep", "Sign out everywhere", "Report my card lost"] {
        assert!(en.text.contains(words), "{words}");
    }

    // Unticked: refused, and nothing is written.
    let audit = app.audit_count().await;
    let csrf = csrf_in(&page.text);
    for ticked in [None, Some("no"), Some("")] {
        let mut fields = vec![("_csrf", csrf.as_str()), ("name", "林先生"), ("marketing", "yes")];
        if let Some(t) = ticked {
            fields.push(("terms", t));
        }
        let r = form(&app, Method::POST, "/m/join", &cookie, &fields, HOME).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{ticked:?}");
        assert!(r.text.contains("请先同意会员章程"), "the page says why");
    }
    assert_eq!(app.store.count_members().expect("count"), 0, "nobody joined");
    assert_eq!(app.audit_count().await, audit, "nothing audited");
    assert_eq!(location(&form(&app, Method::GET, "/m/home", &cookie, &[], HOME).await), "/m/join", "still joining");

    // Ticked: the member, and the consent to this version of the terms beside their creation.
    let r = form(
        &app,
        Method::POST,
        "/m/join",
        &cookie,
        &[("_csrf", &csrf), ("name", "林先生"), ("terms", "yes"), ("marketing", "yes")],
        HOME,
    )
    .await;
    assert_eq!(location(&r), "/m/home");
    let member = app
        .store
        .find_member(&shared::member::MemberIdentifier::Phone(Phone::parse(stranger).expect("phone")))
        .expect("find")
        .expect("no refusal")
        .expect("the new member");
    let log = app.get("/api/v1/audit?limit=1000", &app.admin).await.expect(StatusCode::OK).body;
    let entity = format!("member:{}", member.id);
    let mine: Vec<&serde_json::Value> =
        log.as_array().expect("entries").iter().filter(|e| e["entity"] == entity.as_str()).collect();
    let actions: Vec<&str> = mine.iter().filter_map(|e| e["action"].as_str()).collect();
    assert_eq!(actions, ["create", "accept_terms"], "{mine:?}");
    let consent = mine[1];
    assert_eq!(consent["after"]["terms_version"], "2026-11");
    assert_eq!(consent["after"]["terms_accepted"], true);
    assert_eq!(consent["after"]["marketing_consent"], true);
    assert_eq!(consent["actor"], format!("member:{}", member.id));
    assert_eq!(consent["at"], mine[0]["at"], "in the enrolment's own transaction");
    assert_eq!(app.audit_count().await, audit + 2);
    let verified = app.get("/api/v1/audit/verify", &app.admin).await.expect(StatusCode::OK);
    assert_eq!(verified.body["problems"], json!([]), "the chain holds");
}
