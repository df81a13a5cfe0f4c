//! Which database a test's HQ runs on: one set of tests, two stores.
//!
//! By default a test's HQ keeps its data in a SQLite file in the test's temporary directory.
//! With `TILLPOINT_TEST_PG` set to a PostgreSQL URL (`.ci/run` sets it for its second pass:
//! `postgres://postgres@127.0.0.1:5432/test`), each test gets a schema of its own in that
//! database instead, so tests stay parallel; the schema is dropped when the test's [`TestDb`] is.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use crate::clock::Clock;
use crate::store::StoreResult;
use crate::store::sql::conn::Engine;
use crate::store::sql::{Location, SqlStore};

/// The variable naming the PostgreSQL database the tests run on.
pub const PG_ENV: &str = "TILLPOINT_TEST_PG";

/// The store the tests run on in this process.
pub fn engine() -> Engine {
    if pg_base().is_some() { Engine::Postgres } else { Engine::Sqlite }
}

fn pg_base() -> Option<String> {
    std::env::var(PG_ENV).ok().filter(|s| !s.trim().is_empty())
}

/// A test's database: where it is and its audit key (a file in the test's directory). Drop it
/// after every store opened on it.
#[derive(Debug)]
pub struct TestDb {
    pub location: Location,
    pub audit_key: PathBuf,
    schema: Option<(String, String)>,
}

impl TestDb {
    /// A new, empty database for a test whose files live in `dir`.
    pub fn new(dir: &Path) -> TestDb {
        let audit_key = dir.join("hq.audit-key");
        match pg_base() {
            None => TestDb { location: Location::Sqlite(dir.join("hq.sqlite")), audit_key, schema: None },
            Some(base) => {
                static NEXT: AtomicU32 = AtomicU32::new(0);
                let schema = format!(
                    "tp_test_{}_{}_{:08x}",
                    std::process::id(),
                    NEXT.fetch_add(1, Ordering::Relaxed),
                    rand::random::<u32>()
                );
                admin_sql(&base, &format!("CREATE SCHEMA {schema}"));
                let sep = if base.contains('?') { '&' } else { '?' };
                // The schema's name is also the connections' application name, so a test can find
                // (and kill: `kill_connections`) its HQ's connections and no one else's.
                let url = format!("{base}{sep}options=-c%20search_path%3D{schema}&application_name={schema}");
                TestDb { location: Location::Postgres(url), audit_key, schema: Some((base, schema)) }
            }
        }
    }

    /// Opens HQ's store on it (creating and migrating it the first time).
    pub fn open(&self, clock: Clock) -> StoreResult<SqlStore> {
        SqlStore::open_location(&self.location, clock, Some(&self.audit_key))
    }

    /// HQ's configuration for this database, listening on a free loopback port.
    pub fn config(&self) -> crate::config::Config {
        let mut config = crate::config::Config::loopback_at(self.location.clone());
        config.audit_key = Some(self.audit_key.clone());
        config
    }

    /// Terminates every PostgreSQL connection HQ has open to this test's schema, as a database
    /// restart would; how many there were. (Nothing on SQLite.)
    pub fn kill_connections(&self) -> u64 {
        let Some((base, schema)) = &self.schema else { return 0 };
        let pool = crate::store::sql::postgres::PgPool::new(base, 1).expect("PostgreSQL");
        let conn = pool.get().expect("PostgreSQL");
        let c = crate::store::sql::conn::Conn::pg(&conn);
        c.query_row(
            "SELECT COUNT(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = ?1) k",
            [schema.as_str()],
            |r| r.get(0),
        )
        .expect("terminate")
    }

    pub fn is_postgres(&self) -> bool {
        self.schema.is_some()
    }

    /// On PostgreSQL: the database's URL as the environment gave it, and this test's schema.
    pub fn postgres_schema(&self) -> Option<(&str, &str)> {
        self.schema.as_ref().map(|(base, schema)| (base.as_str(), schema.as_str()))
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((base, schema)) = self.schema.take() {
            admin_sql(&base, &format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
        }
    }
}

/// Runs `sql` on the test database's own connection.
fn admin_sql(base: &str, sql: &str) {
    let pool = crate::store::sql::postgres::PgPool::new(base, 1)
        .unwrap_or_else(|e| panic!("{PG_ENV}={base}: PostgreSQL is not reachable: {e}"));
    let conn = pool.get().unwrap_or_else(|e| panic!("PostgreSQL: {e}"));
    if let Err(e) = conn.batch(sql) {
        panic!("PostgreSQL: {sql}: {e}");
    }
}
