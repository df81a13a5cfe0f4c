//! Shared set-up of the HQ benchmarks: a real HQ on a loopback port with one branch.

use std::sync::Arc;

use hq_server::fixtures::TillRef;
use hq_server::model::Actor;
use hq_server::{Application, Config, RunningHq, SqlStore, admin};
use shared::sync::{EnrolRequest, EnrolResponse, PROTOCOL_VERSION};

pub struct Bench {
    pub hq: RunningHq,
    pub store: Arc<SqlStore>,
    pub branch: shared::ids::BranchId,
    pub client: reqwest::Client,
    /// A PostgreSQL schema of its own (dropped after), when the bench runs on PostgreSQL.
    pub _db: Option<hq_server::testing::TestDb>,
    pub _dir: tempfile::TempDir,
}

#[allow(dead_code)]
pub async fn start() -> Bench {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("hq.sqlite");
    start_at(&path, dir).await
}

/// An HQ over the database at `path`, kept between runs (its branch B001 is made once).
#[allow(dead_code)]
pub async fn start_kept(path: &std::path::Path) -> Bench {
    start_at(path, tempfile::tempdir().expect("temp dir")).await
}

/// An HQ on PostgreSQL (`TILLPOINT_TEST_PG`), in a schema of its own.
#[allow(dead_code)]
pub async fn start_postgres() -> Bench {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = hq_server::testing::TestDb::new(dir.path());
    assert!(db.is_postgres(), "set {} to a PostgreSQL URL", hq_server::testing::PG_ENV);
    let mut bench = start_with(db.config(), tempfile::tempdir().expect("temp dir")).await;
    bench._db = Some(db);
    bench._dir = dir;
    bench
}

/// An HQ on a fresh database (PostgreSQL when `TILLPOINT_TEST_PG` is set), its configuration
/// changed by `tweak` first.
#[allow(dead_code)]
pub async fn start_configured(tweak: impl FnOnce(&mut Config)) -> Bench {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = hq_server::testing::TestDb::new(dir.path());
    let mut config = db.config();
    tweak(&mut config);
    let mut bench = start_with(config, tempfile::tempdir().expect("temp dir")).await;
    bench._db = Some(db);
    bench._dir = dir;
    bench
}

async fn start_at(path: &std::path::Path, dir: tempfile::TempDir) -> Bench {
    start_with(Config::loopback(path), dir).await
}

async fn start_with(config: Config, dir: tempfile::TempDir) -> Bench {
    use hq_server::store::BranchStore;
    let app = Application::build(config).await.expect("HQ");
    let store = app.store();
    let branch = match store.branch_by_code("B001").expect("branch lookup") {
        Some(b) => b.id,
        None => admin::add_branch(&*store, &Actor::cli(), admin::default_branch("B001", "基准店")).expect("branch").id,
    };
    Bench { hq: app.spawn(), store, branch, client: reqwest::Client::new(), _db: None, _dir: dir }
}

impl Bench {
    /// Signs a console user in over HTTP; returns the session cookie (`name=value`).
    #[allow(dead_code)]
    pub async fn sign_in(&self, username: &str, password: &str) -> String {
        let login = self
            .client
            .post(format!("{}/api/v1/session", self.hq.url()))
            .json(&serde_json::json!({"username": username, "password": password}))
            .send()
            .await
            .expect("sign in");
        let set = login.headers().get("set-cookie").and_then(|v| v.to_str().ok()).expect("cookie");
        set.split(';').next().expect("pair").to_owned()
    }

    /// Registers and enrols a till over HTTP; returns it and its token.
    #[allow(dead_code)]
    pub async fn till(&self) -> (TillRef, String) {
        let (_, code) =
            admin::add_till(&*self.store, &Actor::cli(), self.branch, "", std::time::Duration::from_secs(600))
                .expect("till");
        let e: EnrolResponse = self
            .client
            .post(format!("{}/api/v1/sync/enrol", self.hq.url()))
            .json(&EnrolRequest { protocol: PROTOCOL_VERSION, code, device_name: "bench".into() })
            .send()
            .await
            .expect("enrol")
            .json()
            .await
            .expect("enrol body");
        let till = TillRef { till: e.till, number: e.till_number, branch: e.branch, branch_code: e.branch_code };
        (till, e.token)
    }
}

/// A bench's size from the environment (`PUSH_SALES=…`), or its default.
pub fn env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}
