//! A faulty network between a till and a real HQ: an HTTP proxy on a loopback port that passes
//! requests to HQ and, for the paths a test names, answers 5xx, never answers (before or after HQ
//! did the work), or cuts the results of a push answer short. It counts how often each event id
//! was pushed through it. HQ behind it is the real server with its real store.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

/// What the proxy does to a request whose path starts with the fault's prefix.
#[derive(Clone, Debug)]
pub enum Fault {
    /// Answers this status with an empty body; HQ never sees the request.
    Status(u16),
    /// Never answers; HQ never sees the request.
    Hang,
    /// Passes the request to HQ (which does the work) and never answers the till.
    HangAfterHq,
    /// Passes a push to HQ and keeps only the first `n` of the answer's results.
    KeepResults(usize),
}

#[derive(Default)]
struct Inner {
    faults: Vec<(String, Fault)>,
    pushed: HashMap<String, u32>,
    /// Requests that reached HQ, by path.
    forwarded: HashMap<String, u32>,
}

#[derive(Clone)]
pub struct FaultyProxy {
    inner: Arc<Mutex<Inner>>,
    upstream: String,
    client: reqwest::Client,
    pub url: String,
}

impl FaultyProxy {
    /// Starts a proxy to `upstream` on `rt`.
    pub fn start(rt: &tokio::runtime::Runtime, upstream: &str) -> FaultyProxy {
        let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let proxy = FaultyProxy {
            inner: Arc::default(),
            upstream: upstream.trim_end_matches('/').to_owned(),
            client: reqwest::Client::new(),
            url,
        };
        let app = Router::new().fallback(handle).with_state(proxy.clone());
        rt.spawn(async move { axum::serve(listener, app).await });
        proxy
    }

    fn state(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// From now on, requests whose path starts with `prefix` meet `fault`.
    pub fn set(&self, prefix: &str, fault: Fault) {
        let mut s = self.state();
        s.faults.retain(|(p, _)| p != prefix);
        s.faults.push((prefix.to_owned(), fault));
    }

    /// Every request passes again.
    pub fn heal(&self) {
        self.state().faults.clear();
    }

    /// How many pushes that reached HQ carried the event `id` (answered or not).
    pub fn times_pushed(&self, id: &str) -> u32 {
        self.state().pushed.get(id).copied().unwrap_or(0)
    }

    /// How many requests to `path` reached HQ.
    pub fn forwarded(&self, path: &str) -> u32 {
        self.state().forwarded.get(path).copied().unwrap_or(0)
    }
}

async fn handle(State(p): State<FaultyProxy>, method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let path = uri.path().to_owned();
    let fault = p.state().faults.iter().find(|(prefix, _)| path.starts_with(prefix.as_str())).map(|(_, f)| f.clone());
    match fault {
        Some(Fault::Status(code)) => {
            return StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR).into_response();
        }
        Some(Fault::Hang) => return std::future::pending().await,
        _ => {}
    }
    if path == "/api/v1/sync/push"
        && let Ok(v) = serde_json::from_slice::<serde_json::Value>(&body)
    {
        let mut s = p.state();
        for e in v["events"].as_array().into_iter().flatten() {
            if let Some(id) = e["id"].as_str() {
                *s.pushed.entry(id.to_owned()).or_default() += 1;
            }
        }
    }
    let target = format!("{}{}", p.upstream, uri.path_and_query().map_or("", |q| q.as_str()));
    let mut req = p.client.request(method, target).body(body);
    for (name, value) in &headers {
        if name != "host" && name != "content-length" {
            req = req.header(name, value);
        }
    }
    let answer = match req.send().await {
        Ok(a) => a,
        Err(_) => return StatusCode::BAD_GATEWAY.into_response(),
    };
    *p.state().forwarded.entry(path).or_default() += 1;
    let status = answer.status();
    let headers = answer.headers().clone();
    let bytes = answer.bytes().await.unwrap_or_default();
    let bytes = match fault {
        Some(Fault::HangAfterHq) => return std::future::pending().await,
        Some(Fault::KeepResults(n)) => {
            let mut v: serde_json::Value = serde_json::from_slice(&bytes).expect("a push answer");
            if let Some(results) = v["results"].as_array_mut() {
                results.truncate(n);
            }
            Bytes::from(serde_json::to_vec(&v).expect("json"))
        }
        _ => bytes,
    };
    let mut out = Response::new(Body::from(bytes));
    *out.status_mut() = status;
    for (name, value) in &headers {
        if name != "content-length" && name != "transfer-encoding" {
            out.headers_mut().insert(name, value.clone());
        }
    }
    out
}
