use std::net::SocketAddr;

use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{ADMIN_PASSWORD, Req, spawn_app, spawn_app_with};

fn login_req(username: &str, password: &str, from: SocketAddr) -> Req<'static> {
    Req {
        method: Method::POST,
        uri: "/api/v1/session".into(),
        cookie: None,
        till_token: None,
        body: Some(json!({"username": username, "password": password})),
        from: Some(from),
    }
}

#[tokio::test]
async fn login_sets_an_httponly_samesite_cookie_and_logout_ends_the_session() {
    let app = spawn_app().await;
    let r = app.send(login_req("root", ADMIN_PASSWORD, "10.0.0.1:5000".parse().expect("addr"))).await;
    let r = r.expect(StatusCode::OK);
    let cookie = r.headers.get("set-cookie").and_then(|v| v.to_str().ok()).expect("cookie").to_owned();
    assert!(cookie.starts_with("tp_session=tps_"));
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
    assert_eq!(r.body["username"], "root");
    let pair = cookie.split(';').next().expect("pair").to_owned();
    assert_eq!(app.get("/api/v1/session", &pair).await.expect(StatusCode::OK).body["role"], "admin");
    app.send(Req {
        method: Method::DELETE,
        uri: "/api/v1/session".into(),
        cookie: Some(&pair),
        till_token: None,
        body: None,
        from: None,
    })
    .await
    .expect(StatusCode::NO_CONTENT);
    app.get("/api/v1/session", &pair).await.expect(StatusCode::UNAUTHORIZED);
    // Only a hash of the session token is stored, and passwords are argon2id.
    let (_, hash) = hq_server::store::AccountStore::user_for_login(&*app.store, "root").expect("read").expect("user");
    assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
}

#[tokio::test]
async fn wrong_passwords_lock_out_that_address_not_the_right_person() {
    let app = spawn_app_with(|c| c.login_limits.per_account = 3).await;
    let attacker: SocketAddr = "10.0.0.66:1".parse().expect("addr");
    for _ in 0..3 {
        let r = app.send(login_req("root", "wrong password!", attacker)).await.expect(StatusCode::UNAUTHORIZED);
        assert_eq!(r.error_code(), "bad_credentials");
    }
    // That address may not try again, not even with the right password...
    let r = app.send(login_req("root", ADMIN_PASSWORD, attacker)).await;
    assert_eq!(r.expect(StatusCode::TOO_MANY_REQUESTS).error_code(), "rate_limited");
    // ...but the admin at their own address is not locked out by it.
    app.send(login_req("root", ADMIN_PASSWORD, "10.0.0.9:1".parse().expect("addr"))).await.expect(StatusCode::OK);
    // Unknown users answer like wrong passwords.
    let r = app.send(login_req("nobody", "whatever it is", "10.0.0.9:1".parse().expect("addr"))).await;
    assert_eq!(r.expect(StatusCode::UNAUTHORIZED).error_code(), "bad_credentials");
    // An admin lifts the lock (audited); the address may try again.
    let root = app.get("/api/v1/session", &app.admin).await.body["id"].as_i64().expect("id");
    let lifted = app.post(&format!("/api/v1/users/{root}/unlock"), &app.admin, json!({})).await.expect(StatusCode::OK);
    assert!(lifted.body["forgotten"].as_u64().expect("count") >= 3, "{}", lifted.body);
    app.send(login_req("root", ADMIN_PASSWORD, attacker)).await.expect(StatusCode::OK);
}

#[tokio::test]
async fn parallel_guesses_are_counted_one_by_one() {
    let app = spawn_app().await;
    let attacker: SocketAddr = "10.0.0.66:1".parse().expect("addr");
    let mut guesses = tokio::task::JoinSet::new();
    for i in 0..60 {
        let router = app.router.clone();
        let mut req = axum::http::Request::builder()
            .method(Method::POST)
            .uri("/api/v1/session")
            .header("content-type", "application/json")
            .body(axum::body::Body::from(
                json!({"username": "root", "password": format!("guess number {i}")}).to_string(),
            ))
            .expect("request");
        req.extensions_mut().insert(axum::extract::ConnectInfo(attacker));
        guesses.spawn(async move { tower::ServiceExt::oneshot(router, req).await.expect("answer").status() });
    }
    let answers = guesses.join_all().await;
    let checked = answers.iter().filter(|s| **s == StatusCode::UNAUTHORIZED).count();
    let refused = answers.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count();
    assert_eq!((checked, refused), (5, 55), "only the account's limit of guesses was checked: {answers:?}");
}

#[tokio::test]
async fn many_addresses_guessing_one_account_slow_down_a_known_address_and_lock_out_new_ones() {
    let app = spawn_app_with(|c| {
        c.login_limits.per_account_anywhere = 6;
        c.login_limits.slow_down = std::time::Duration::from_millis(10);
    })
    .await;
    let home: SocketAddr = "10.0.0.1:1".parse().expect("addr");
    app.send(login_req("root", ADMIN_PASSWORD, home)).await.expect(StatusCode::OK);
    for i in 0..6 {
        let from: SocketAddr = format!("198.51.100.{i}:1").parse().expect("addr");
        app.send(login_req("root", "wrong password!", from)).await.expect(StatusCode::UNAUTHORIZED);
    }
    // A new address is refused while the account is under attack; the admin's own is not.
    let r = app.send(login_req("root", ADMIN_PASSWORD, "10.0.0.2:1".parse().expect("addr"))).await;
    assert!(
        r.expect(StatusCode::TOO_MANY_REQUESTS).body["message"].as_str().unwrap_or_default().contains("many addresses")
    );
    app.send(login_req("root", ADMIN_PASSWORD, home)).await.expect(StatusCode::OK);
}

#[tokio::test]
async fn failed_logins_are_rate_limited_per_address() {
    let app = spawn_app_with(|c| c.login_limits.per_address = 3).await;
    let from: SocketAddr = "192.0.2.7:4000".parse().expect("addr");
    for name in ["ann", "bob", "cat"] {
        app.send(login_req(name, "wrong password!", from)).await.expect(StatusCode::UNAUTHORIZED);
    }
    app.send(login_req("root", ADMIN_PASSWORD, from)).await.expect(StatusCode::TOO_MANY_REQUESTS);
    // Another address is not affected.
    app.send(login_req("root", ADMIN_PASSWORD, "192.0.2.8:4000".parse().expect("addr"))).await.expect(StatusCode::OK);
}

#[tokio::test]
async fn roles_limit_what_users_may_do() {
    let app = spawn_app().await;
    let finance = app.user("fiona", "finance", None).await;
    let marketing = app.user("mark", "marketing", None).await;
    // Nobody signed in.
    app.send(Req {
        method: Method::GET,
        uri: "/api/v1/branches".into(),
        cookie: None,
        till_token: None,
        body: None,
        from: None,
    })
    .await
    .expect(StatusCode::UNAUTHORIZED);
    app.get("/api/v1/branches", "tp_session=forged").await.expect(StatusCode::UNAUTHORIZED);
    // Finance and marketing read, but do not create branches, products or users.
    app.get("/api/v1/branches", &finance).await.expect(StatusCode::OK);
    app.post("/api/v1/branches", &finance, json!({"code": "B9", "name": "x"})).await.expect(StatusCode::FORBIDDEN);
    app.post("/api/v1/categories", &marketing, json!({"code": "X", "name": "x"})).await.expect(StatusCode::FORBIDDEN);
    app.get("/api/v1/users", &finance).await.expect(StatusCode::FORBIDDEN);
    app.get("/api/v1/audit", &marketing).await.expect(StatusCode::FORBIDDEN);
    app.get("/api/v1/audit", &finance).await.expect(StatusCode::OK);
}

#[tokio::test]
async fn user_input_is_checked_and_a_refusal_changes_nothing() {
    let app = spawn_app().await;
    let before = app.get("/api/v1/users", &app.admin).await.body.as_array().expect("users").len();
    let audit = app.audit_count().await;
    for (body, needle) in [
        (
            json!({"username": "X", "display_name": "x", "role": "admin", "password": "long enough password"}),
            "username",
        ),
        (json!({"username": "xavier", "display_name": "x", "role": "admin", "password": "short"}), "10 characters"),
        (
            json!({"username": "xavier", "display_name": "x", "role": "branch_manager", "password": "long enough password"}),
            "branch",
        ),
        (
            json!({"username": "xavier", "display_name": "x", "role": "finance", "branch_id": 1, "password": "long enough password"}),
            "branch",
        ),
        (
            json!({"username": "root", "display_name": "x", "role": "admin", "password": "long enough password"}),
            "taken",
        ),
    ] {
        // A taken username conflicts with what HQ has (409); the others break a rule (422).
        let want = if needle == "taken" { StatusCode::CONFLICT } else { StatusCode::UNPROCESSABLE_ENTITY };
        let r = app.post("/api/v1/users", &app.admin, body).await.expect(want);
        assert!(r.body["message"].as_str().expect("message").contains(needle), "{}", r.body);
    }
    assert_eq!(app.get("/api/v1/users", &app.admin).await.body.as_array().expect("users").len(), before);
    assert_eq!(app.audit_count().await, audit);
}

#[tokio::test]
async fn a_deactivated_user_is_signed_out() {
    let app = spawn_app().await;
    let cookie = app.user("temp", "finance", None).await;
    let users = app.get("/api/v1/users", &app.admin).await.body;
    let id = users.as_array().expect("users").iter().find(|u| u["username"] == "temp").expect("temp")["id"]
        .as_i64()
        .expect("id");
    app.patch(&format!("/api/v1/users/{id}"), &app.admin, json!({"active": false})).await.expect(StatusCode::OK);
    app.get("/api/v1/session", &cookie).await.expect(StatusCode::UNAUTHORIZED);
}

/// A CSV upload of `size` bytes whose body is produced only as HQ reads it, and how much it read.
fn lazy_upload(
    uri: &str,
    cookie: &str,
    size: usize,
) -> (axum::http::Request<axum::body::Body>, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let read = std::sync::Arc::new(AtomicUsize::new(0));
    let counter = read.clone();
    let head = "--XYZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.csv\"\r\nContent-Type: text/csv\r\n\r\ncode,name\r\n".to_owned();
    let chunk = vec![b'x'; 64 * 1024];
    let chunks = std::iter::once(head.into_bytes()).chain(std::iter::repeat_n(chunk, size / (64 * 1024)));
    let stream = futures_util::stream::iter(chunks.map(move |c| {
        counter.fetch_add(c.len(), Ordering::SeqCst);
        Ok::<_, std::io::Error>(axum::body::Bytes::from(c))
    }));
    let req = axum::http::Request::builder()
        .method(Method::POST)
        .uri(uri)
        .header("cookie", cookie)
        .header("content-type", "multipart/form-data; boundary=XYZ")
        .body(axum::body::Body::from_stream(stream))
        .expect("request");
    (req, read)
}

#[tokio::test]
async fn a_forged_or_unauthorised_upload_is_refused_before_its_file_is_read() {
    let app = spawn_app().await;
    // 200 MB with a forged CSRF token: refused after the first field.
    let (req, read) =
        lazy_upload("/console/catalog/import?_csrf=forged-token-forged-token-forged", &app.admin, 200 << 20);
    let resp = tower::ServiceExt::oneshot(app.router.clone(), req).await.expect("answer");
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let n = read.load(std::sync::atomic::Ordering::SeqCst);
    assert!(n < 1 << 20, "HQ read {n} bytes of a forged upload");
    // A role that may not import: refused before the body is read at all.
    let finance = app.user("fiona", "finance", None).await;
    let (req, read) = lazy_upload("/console/catalog/import", &finance, 200 << 20);
    let resp = tower::ServiceExt::oneshot(app.router.clone(), req).await.expect("answer");
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert!(read.load(std::sync::atomic::Ordering::SeqCst) < 1 << 20);
}
