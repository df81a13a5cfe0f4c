//! `spawn_app()`: a fresh database in a temp directory and the real router, driven with
//! `oneshot`; typed helpers for the requests the tests make.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use hq_server::clock::Clock;
use hq_server::config::Config;
use hq_server::fixtures::TillRef;
use hq_server::http::{AppState, app};
use hq_server::model::{Actor, Role};
use hq_server::store::sql::SqlStore;
use hq_server::testing::TestDb;
use hq_server::{Store, admin};
use serde_json::{Value, json};
use shared::ids::{BranchId, TillId};
use shared::sync::{Event, EventEnvelope, PROTOCOL_VERSION, PushRequest};
use tempfile::TempDir;
use tower::ServiceExt;

pub const ADMIN_PASSWORD: &str = "correct horse battery";

pub struct TestApp {
    pub router: Router,
    pub store: Arc<SqlStore>,
    /// Dropped after the store (fields drop in order).
    pub db: TestDb,
    /// Where the SQLite file and the audit key live; kept for the test's length.
    pub _dir: TempDir,
    /// The admin's session cookie (`tp_session=...`).
    pub admin: String,
}

/// The answer to a request: status, headers, JSON body (`Null` when empty or not JSON), and the
/// body as text (a console page's HTML).
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Reply {
    /// Asserts the status and that an error body has the ErrorBody shape.
    #[track_caller]
    pub fn expect(self, status: StatusCode) -> Reply {
        assert_eq!(self.status, status, "body: {}", self.body);
        if !status.is_success() {
            assert!(self.body["error"].is_string(), "error body: {}", self.body);
            assert!(self.body["message"].is_string(), "error body: {}", self.body);
        }
        self
    }

    pub fn error_code(&self) -> &str {
        self.body["error"].as_str().unwrap_or("")
    }
}

pub fn config(db: &TestDb) -> Config {
    db.config()
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(tweak: impl FnOnce(&mut Config)) -> TestApp {
    spawn_app_clocked(tweak, Clock::system()).await
}

/// HQ with a manual clock standing at `at`: the test moves it (`Clock::set`, `Clock::advance`).
pub async fn spawn_app_at(at: jiff::Timestamp) -> (TestApp, Clock) {
    let clock = Clock::manual(at);
    (spawn_app_clocked(|_| {}, clock.clone()).await, clock)
}

pub async fn spawn_app_clocked(tweak: impl FnOnce(&mut Config), clock: Clock) -> TestApp {
    // HQ's logs (an internal error's detail) beside a failing test's output.
    let _ = tracing_subscriber::fmt().with_test_writer().with_env_filter("warn").try_init();
    let dir = tempfile::tempdir().expect("temp dir");
    let db = TestDb::new(dir.path());
    let mut cfg = config(&db);
    tweak(&mut cfg);
    let store = Arc::new(db.open(clock).expect("open store"));
    let s2 = store.clone();
    tokio::task::spawn_blocking(move || {
        admin::add_user(&*s2, &Actor::system(), "root", "Root", Role::Admin, None, ADMIN_PASSWORD)
    })
    .await
    .expect("join")
    .expect("admin user");
    let shared: Arc<dyn Store> = store.clone();
    let router = app(AppState::new(shared, cfg));
    let mut t = TestApp { router, store, db, _dir: dir, admin: String::new() };
    t.admin = t.login("root", ADMIN_PASSWORD).await;
    t
}

pub struct Req<'a> {
    pub method: Method,
    pub uri: String,
    pub cookie: Option<&'a str>,
    pub till_token: Option<&'a str>,
    pub body: Option<Value>,
    pub from: Option<SocketAddr>,
}

impl TestApp {
    pub async fn send(&self, r: Req<'_>) -> Reply {
        let mut b = Request::builder().method(r.method).uri(r.uri);
        if let Some(c) = r.cookie {
            b = b.header("cookie", c);
        }
        if let Some(t) = r.till_token {
            b = b.header("x-till-token", t);
        }
        let body = match r.body {
            Some(v) => {
                b = b.header("content-type", "application/json");
                Body::from(serde_json::to_vec(&v).expect("json"))
            }
            None => Body::empty(),
        };
        let mut req = b.body(body).expect("request");
        if let Some(addr) = r.from {
            req.extensions_mut().insert(ConnectInfo(addr));
        }
        let resp = self.router.clone().oneshot(req).await.expect("response");
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX).await.expect("body");
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        let text = String::from_utf8_lossy(&bytes).into_owned();
        Reply { status, headers, body, text }
    }

    pub async fn get(&self, uri: &str, cookie: &str) -> Reply {
        self.send(Req {
            method: Method::GET,
            uri: uri.into(),
            cookie: Some(cookie),
            till_token: None,
            body: None,
            from: None,
        })
        .await
    }

    pub async fn post(&self, uri: &str, cookie: &str, body: Value) -> Reply {
        self.send(Req {
            method: Method::POST,
            uri: uri.into(),
            cookie: Some(cookie),
            till_token: None,
            body: Some(body),
            from: None,
        })
        .await
    }

    /// A `text/csv` body posted through the router (the other helpers send JSON).
    pub async fn post_csv(&self, uri: &str, cookie: &str, csv: &str) -> Reply {
        self.post_bytes(uri, cookie, "text/csv", csv.as_bytes().to_vec()).await
    }

    /// Any body, of `content_type`, posted through the router.
    pub async fn post_bytes(&self, uri: &str, cookie: &str, content_type: &str, bytes: Vec<u8>) -> Reply {
        let request = Request::builder()
            .method(Method::POST)
            .uri(uri)
            .header("cookie", cookie)
            .header("content-type", content_type)
            .body(Body::from(bytes))
            .expect("request");
        let resp = tower::ServiceExt::oneshot(self.router.clone(), request).await.expect("response");
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX).await.expect("body");
        let text = String::from_utf8_lossy(&bytes).into_owned();
        Reply { status, headers, body: serde_json::from_str(&text).unwrap_or(Value::Null), text }
    }

    pub async fn put(&self, uri: &str, cookie: &str, body: Value) -> Reply {
        self.send(Req {
            method: Method::PUT,
            uri: uri.into(),
            cookie: Some(cookie),
            till_token: None,
            body: Some(body),
            from: None,
        })
        .await
    }

    pub async fn patch(&self, uri: &str, cookie: &str, body: Value) -> Reply {
        self.send(Req {
            method: Method::PATCH,
            uri: uri.into(),
            cookie: Some(cookie),
            till_token: None,
            body: Some(body),
            from: None,
        })
        .await
    }

    /// Signs in and returns the `tp_session=...` cookie.
    pub async fn login(&self, username: &str, password: &str) -> String {
        let r = self
            .send(Req {
                method: Method::POST,
                uri: "/api/v1/session".into(),
                cookie: None,
                till_token: None,
                body: Some(json!({"username": username, "password": password})),
                from: None,
            })
            .await
            .expect(StatusCode::OK);
        let set = r.headers.get("set-cookie").and_then(|v| v.to_str().ok()).expect("set-cookie").to_owned();
        set.split(';').next().expect("cookie pair").to_owned()
    }

    /// Creates a branch through the API; returns its id.
    pub async fn branch(&self, code: &str) -> BranchId {
        let r = self.post("/api/v1/branches", &self.admin, json!({"code": code, "name": format!("{code} 店")})).await;
        BranchId(r.expect(StatusCode::CREATED).body["id"].as_i64().expect("id"))
    }

    /// Registers and enrols a till at `branch`; returns it and its token.
    pub async fn enrolled_till(&self, branch: BranchId) -> (TillRef, String) {
        let r = self.post(&format!("/api/v1/branches/{}/tills", branch.0), &self.admin, json!({})).await;
        let r = r.expect(StatusCode::CREATED);
        let code = r.body["enrolment_code"].as_str().expect("code").to_owned();
        let e = self.enrol(&code).await.expect(StatusCode::OK);
        let till = TillRef {
            till: TillId(e.body["till"].as_i64().expect("till")),
            number: e.body["till_number"].as_u64().expect("number") as u16,
            branch: BranchId(e.body["branch"].as_i64().expect("branch")),
            branch_code: e.body["branch_code"].as_str().expect("code").to_owned(),
        };
        (till, e.body["token"].as_str().expect("token").to_owned())
    }

    pub async fn enrol(&self, code: &str) -> Reply {
        self.send(Req {
            method: Method::POST,
            uri: "/api/v1/sync/enrol".into(),
            cookie: None,
            till_token: None,
            body: Some(json!({"protocol": PROTOCOL_VERSION, "code": code, "device_name": "till-pc"})),
            from: None,
        })
        .await
    }

    pub async fn push(&self, token: &str, till: TillId, events: Vec<EventEnvelope>) -> Reply {
        let req = PushRequest { protocol: PROTOCOL_VERSION, till, events, sent_at: None };
        self.push_raw(token, serde_json::to_value(&req).expect("json")).await
    }

    pub async fn push_raw(&self, token: &str, body: Value) -> Reply {
        self.send(Req {
            method: Method::POST,
            uri: "/api/v1/sync/push".into(),
            cookie: None,
            till_token: Some(token),
            body: Some(body),
            from: None,
        })
        .await
    }

    pub async fn pull(&self, token: &str, cursor: u64, limit: u32) -> Reply {
        self.send(Req {
            method: Method::GET,
            uri: format!("/api/v1/sync/pull?cursor={cursor}&limit={limit}"),
            cookie: None,
            till_token: Some(token),
            body: None,
            from: None,
        })
        .await
    }

    /// Every change a till of this token sees, pulled page by page.
    pub async fn pull_all(&self, token: &str) -> Vec<Value> {
        let mut cursor = 0;
        let mut all = Vec::new();
        loop {
            let r = self.pull(token, cursor, 50).await.expect(StatusCode::OK);
            all.extend(r.body["changes"].as_array().expect("changes").iter().cloned());
            cursor = r.body["next_cursor"].as_u64().expect("cursor");
            if !r.body["has_more"].as_bool().expect("has_more") {
                return all;
            }
        }
    }

    /// Creates a category and a product with one barcode; returns the product id.
    pub async fn product(&self, code: &str, barcode: &str) -> i64 {
        let cats = self.get("/api/v1/categories", &self.admin).await.body;
        let cat = match cats.as_array().and_then(|a| a.first()) {
            Some(c) => c["id"].as_i64().expect("id"),
            None => {
                let c = self.post("/api/v1/categories", &self.admin, json!({"code": "DRINK", "name": "饮料"})).await;
                c.expect(StatusCode::CREATED).body["id"].as_i64().expect("id")
            }
        };
        let r = self
            .post(
                "/api/v1/products",
                &self.admin,
                json!({"code": code, "barcodes": [barcode], "name": "可口可乐 330ml", "category_id": cat,
                       "unit": "瓶", "retail_price": 350, "vat_bp": 1300}),
            )
            .await;
        r.expect(StatusCode::CREATED).body["id"].as_i64().expect("id")
    }

    /// Creates a user of `role` and returns their session cookie.
    pub async fn user(&self, username: &str, role: &str, branch: Option<BranchId>) -> String {
        self.post(
            "/api/v1/users",
            &self.admin,
            json!({"username": username, "display_name": username, "role": role,
                   "branch_id": branch.map(|b| b.0), "password": "a long enough password"}),
        )
        .await
        .expect(StatusCode::CREATED);
        self.login(username, "a long enough password").await
    }

    pub async fn audit_count(&self) -> usize {
        let r = self.get("/api/v1/audit?limit=1000", &self.admin).await.expect(StatusCode::OK);
        r.body.as_array().expect("entries").len()
    }
}

pub fn sale_event(till: &TillRef, seq: u64) -> EventEnvelope {
    let sale = hq_server::fixtures::sale(till, seq as u32, 5, 1 + (seq as usize % 2));
    hq_server::fixtures::envelope(till.till, seq, Event::SaleCompleted(sale))
}

/// A form value, percent-encoded.
pub fn enc(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

/// A form body of these fields.
pub fn form(fields: &[(&str, &str)]) -> String {
    fields.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect::<Vec<_>>().join("&")
}

/// A console page or form post as the admin, in Chinese: (status, redirect, body).
pub async fn console_as_admin(
    app: &TestApp,
    method: &str,
    uri: &str,
    form: Option<String>,
) -> (axum::http::StatusCode, Option<String>, String) {
    let mut b = axum::http::Request::builder()
        .method(method)
        .uri(uri)
        .header("cookie", &app.admin)
        .header("accept-language", "zh-CN");
    let body = match form {
        Some(f) => {
            b = b.header("content-type", "application/x-www-form-urlencoded");
            axum::body::Body::from(f)
        }
        None => axum::body::Body::empty(),
    };
    let resp = tower::ServiceExt::oneshot(app.router.clone(), b.body(body).expect("request")).await.expect("response");
    let status = resp.status();
    let location = resp.headers().get("location").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX).await.expect("body");
    (status, location, String::from_utf8_lossy(&bytes).into_owned())
}
