//! HQ's store, written once over [`conn::Conn`] for two databases:
//!
//! - SQLite (the embedded default: a file, no server): WAL mode, one writer connection (SQLite
//!   serialises writers anyway) and a few reader connections that read concurrently with it.
//! - PostgreSQL (`postgres://…`, for a chain that outgrows one machine, and for several HQ
//!   processes on one database): a pool of connections. Every write transaction first takes one
//!   transaction-level advisory lock, so writes are serialised across every HQ process exactly as
//!   SQLite's single writer serialises them in one: the checks a write makes (a member's
//!   available points, an event already stored, the next sequence number, the audit chain's
//!   head) stay true until it commits, and the change feed's numbers are committed in order, so
//!   a till's cursor never skips a change committed late. Reads run in `REPEATABLE READ READ
//!   ONLY` transactions: one consistent snapshot each, as SQLite's read transactions.
//!
//! Every call blocks; the HTTP layer runs them on the blocking pool.

mod accounts;
mod analysis;
mod audit_log;
mod branches;
mod care;
mod catalog;
mod complaints;
pub mod conn;
pub mod copy;
mod coupon_capture;
pub mod coupons;
mod daily;
mod expenses;
mod facts;
mod holds;
mod ingest;
mod ingest_rollups;
mod jobs;
pub(crate) mod ledger;
mod member_coupons;
pub(crate) mod member_effects;
mod member_pages;
pub(crate) use member_pages::member_actor;
pub(crate) mod members;
mod payments;
mod plans;
mod policies;
pub(crate) mod postgres;
mod promotions;
mod reports;
mod rfm_runs;
pub mod schema;
mod schema_analysis;
mod schema_care;
mod schema_complaints;
mod schema_counts;
mod schema_expenses;
mod schema_jobs;
mod schema_member_pages;
mod schema_payments;
pub mod schema_pg;
mod schema_promotions;
mod schema_refund_members;
mod schema_reorder;
mod schema_rollups;
mod schema_statements;
mod schema_stock;
mod schema_targets;
mod schema_till_stock;
mod statements;
pub mod stock;
mod stock_counts;
mod stock_orders;
pub mod stock_reorder;
mod stock_reports;
mod sync;
mod till_stock;

pub(crate) use policies::{in_force_of, policy_in_force_tx, policy_version_tx};

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use jiff::Timestamp;
use rusqlite::{Connection, OpenFlags, TransactionBehavior};
use serde::Serialize;
use shared::policy::MemberPolicy;
use shared::sync::Change;

use self::conn::{Conn, OptionalExtension, params};
use self::postgres::PgPool;
use super::{Clocked, StoreError, StoreResult};
use crate::audit::{AuditKey, EntryFields, GENESIS, entry_hash};
use crate::clock::Clock;
use crate::model::Actor;

const READERS: usize = 4;
/// How much of the database file each connection maps into memory (SQLite caps it at its
/// compile-time maximum, 2 GiB by default).
const MMAP_BYTES: i64 = 4 << 30;
/// PostgreSQL connections per HQ process.
const PG_CONNECTIONS: usize = 16;
/// The advisory lock every PostgreSQL write transaction takes first (any fixed number: "HQ").
const PG_WRITE_LOCK: i64 = 0x4851;

/// Where HQ keeps its data: a SQLite file (a path or `sqlite:` / `sqlite://` URL) or a
/// PostgreSQL database (`postgres://` / `postgresql://` URL).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    Sqlite(PathBuf),
    Postgres(String),
}

impl Location {
    /// Reads `--db`: a URL's scheme chooses the store; anything else is a SQLite file's path.
    pub fn parse(s: &str) -> Location {
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            Location::Postgres(s.to_owned())
        } else if let Some(rest) = s.strip_prefix("sqlite://").or_else(|| s.strip_prefix("sqlite:")) {
            Location::Sqlite(PathBuf::from(rest))
        } else {
            Location::Sqlite(PathBuf::from(s))
        }
    }

    /// The SQLite file, if this is one.
    pub fn sqlite_path(&self) -> Option<&Path> {
        match self {
            Location::Sqlite(p) => Some(p),
            Location::Postgres(_) => None,
        }
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::Sqlite(p) => write!(f, "{}", p.display()),
            // Never print a password that a URL may carry.
            Location::Postgres(url) => match url.split_once('@') {
                Some((_, host)) => write!(f, "postgres://…@{host}"),
                None => f.write_str(url),
            },
        }
    }
}

struct SqliteBackend {
    writer: Mutex<Connection>,
    readers: Vec<Mutex<Connection>>,
    next_reader: AtomicUsize,
}

enum Backend {
    Sqlite(SqliteBackend),
    Postgres(Box<PgPool>),
}

/// HQ's database, SQLite or PostgreSQL.
pub struct SqlStore {
    backend: Backend,
    location: Location,
    /// Every policy version, parsed once; replaced when a reader sees a newer version (`all_policies_tx`).
    policies: Mutex<Option<std::sync::Arc<Vec<MemberPolicy>>>>,
    /// The promotion set's engines at the versions priced lately, newest use last
    /// (`promotions::SqlStore::promotion_engine_tx`): a published version never changes.
    promotion_engines: Mutex<Vec<(u64, std::sync::Arc<shared::promotions::PromotionEngine>)>>,
    /// Where "now" comes from for what the store records and decides.
    clock: Clock,
    /// The secret the audit chain is keyed with (kept outside the database).
    pub(crate) audit_key: AuditKey,
}

impl Clocked for SqlStore {
    fn clock(&self) -> Clock {
        self.clock.clone()
    }
}

impl std::fmt::Debug for SqlStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqlStore").field("location", &self.location.to_string()).finish()
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        conn::Error::from(e).into()
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        StoreError::Internal(format!("stored JSON: {e}"))
    }
}

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    // Keep every cached statement's plan: without the query planner stability guarantee SQLite may
    // re-prepare a statement each time new values are bound to it.
    conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // The readers' setting; the writer's is FULL (`open_at`).
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    // Read pages straight from the OS page cache instead of copying each one through a read()
    // into SQLite's small per-connection cache: with a million members a lookup touches pages
    // that are rarely in that cache (BENCHMARKS.md, online member lookups).
    conn.pragma_update(None, "mmap_size", MMAP_BYTES)?;
    // Room for every statement ingest runs, a sale's stock movements one for each count of lines
    // up to eight (`stock::record_lines`).
    conn.set_prepared_statement_cache_capacity(128);
    Ok(())
}

impl SqlStore {
    /// Opens (creating if needed) and migrates the SQLite database at `path` to the latest
    /// schema, and makes sure HQ has a member policy. The audit key is the file beside the
    /// database (`AuditKey::default_path`), made on first use.
    pub fn open(path: &Path) -> StoreResult<SqlStore> {
        Self::open_with_clock(path, Clock::system())
    }

    /// The same, with the time from `clock` (tests that run HQ at a chosen hour).
    pub fn open_with_clock(path: &Path, clock: Clock) -> StoreResult<SqlStore> {
        Self::open_with(path, clock, None)
    }

    /// The same, with the audit key from `audit_key` (a file kept away from the database), or
    /// beside the database when `None`.
    pub fn open_with(path: &Path, clock: Clock, audit_key: Option<&Path>) -> StoreResult<SqlStore> {
        Self::open_at(path, schema::LATEST, clock, audit_key, true)
    }

    /// Opens and migrates up to `version` only: for testing upgrades from an old schema.
    pub fn open_at_version(path: &Path, version: u32) -> StoreResult<SqlStore> {
        Self::open_at(path, version, Clock::system(), None, true)
    }

    /// Opens the store at `location`. The audit key is `audit_key`, or for SQLite the file
    /// beside the database; PostgreSQL has no "beside", so it needs one.
    pub fn open_location(location: &Location, clock: Clock, audit_key: Option<&Path>) -> StoreResult<SqlStore> {
        match location {
            Location::Sqlite(path) => Self::open_with(path, clock, audit_key),
            Location::Postgres(url) => {
                let key_path = audit_key.ok_or_else(|| {
                    StoreError::Invalid(
                        "HQ on PostgreSQL needs --audit-key (the audit chain's secret, a file kept apart from the database)"
                            .into(),
                    )
                })?;
                Self::open_postgres(url, clock, key_path)
            }
        }
    }

    /// Opens (migrating if needed) the PostgreSQL database at `url`.
    pub fn open_postgres(url: &str, clock: Clock, audit_key: &Path) -> StoreResult<SqlStore> {
        let store = Self::open_postgres_schema(url, clock, audit_key)?;
        store.ensure_policy()?;
        store.write(expenses::ensure_subjects)?;
        Ok(store)
    }

    /// Opens `location` and brings its schema to the latest version, without giving it HQ's first
    /// member policy: the target of a move (`copy`), which must stay empty until it is filled.
    pub(crate) fn open_schema_only(location: &Location, clock: Clock, audit_key: &Path) -> StoreResult<SqlStore> {
        match location {
            Location::Sqlite(path) => Self::open_at(path, schema::LATEST, clock, Some(audit_key), false),
            Location::Postgres(url) => Self::open_postgres_schema(url, clock, audit_key),
        }
    }

    fn open_postgres_schema(url: &str, clock: Clock, audit_key: &Path) -> StoreResult<SqlStore> {
        let audit_key = AuditKey::load_or_create(audit_key)
            .map_err(|e| StoreError::Invalid(format!("the audit key {}: {e}", audit_key.display())))?;
        let pool = PgPool::new(url, PG_CONNECTIONS).map_err(|e| match e {
            conn::Error::Connection(e) | conn::Error::Database(e) => {
                StoreError::Unavailable(format!("PostgreSQL at {}: {e}", Location::Postgres(url.to_owned())))
            }
            e => e.into(),
        })?;
        {
            let c = pool.get()?;
            schema_pg::migrate(&Conn::pg(&c), clock.now())?;
        }
        Ok(SqlStore {
            backend: Backend::Postgres(Box::new(pool)),
            location: Location::Postgres(url.to_owned()),
            policies: Mutex::new(None),
            promotion_engines: Mutex::new(Vec::new()),
            clock,
            audit_key,
        })
    }

    fn open_at(
        path: &Path,
        version: u32,
        clock: Clock,
        audit_key: Option<&Path>,
        first_policy: bool,
    ) -> StoreResult<SqlStore> {
        let key_path = audit_key.map_or_else(|| AuditKey::default_path(path), Path::to_path_buf);
        let audit_key = AuditKey::load_or_create(&key_path)
            .map_err(|e| StoreError::Invalid(format!("the audit key {}: {e}", key_path.display())))?;
        let writer = Connection::open(path)?;
        writer.pragma_update(None, "journal_mode", "WAL")?;
        configure(&writer)?;
        // Every write HQ answers for (an accepted push, a hold, a top-up, an adjustment) must be on
        // disk before the answer: a till marks an accepted event sent and never sends it again. In
        // WAL mode `FULL` syncs the log at each commit; `NORMAL` only at checkpoints, so a power
        // cut could lose acknowledged commits (tests/tests/durability.rs). The readers never commit.
        writer.pragma_update(None, "synchronous", "FULL")?;
        let mut writer = writer;
        schema::migrate(&mut writer, version, clock.now(), &audit_key)?;
        let mut readers = Vec::with_capacity(READERS);
        for _ in 0..READERS {
            let r = Connection::open_with_flags(
                path,
                OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI,
            )?;
            configure(&r)?;
            readers.push(Mutex::new(r));
        }
        let store = SqlStore {
            backend: Backend::Sqlite(SqliteBackend {
                writer: Mutex::new(writer),
                readers,
                next_reader: AtomicUsize::new(0),
            }),
            location: Location::Sqlite(path.to_owned()),
            policies: Mutex::new(None),
            promotion_engines: Mutex::new(Vec::new()),
            clock,
            audit_key,
        };
        if version >= 1 && first_policy {
            store.ensure_policy()?;
        }
        // The expense subjects every chain starts with (not in the migration: a move's target,
        // opened without `first_policy`, must start empty).
        if version >= schema_expenses::SQLITE_VERSION && first_policy {
            store.write(expenses::ensure_subjects)?;
        }
        Ok(store)
    }

    /// Where the data is.
    pub fn location(&self) -> &Location {
        &self.location
    }

    /// The SQLite file, when the store is one.
    pub fn path(&self) -> Option<&Path> {
        self.location.sqlite_path()
    }

    /// Which database this is.
    pub fn engine(&self) -> conn::Engine {
        match &self.backend {
            Backend::Sqlite(_) => conn::Engine::Sqlite,
            Backend::Postgres(_) => conn::Engine::Postgres,
        }
    }

    /// Now, by the store's clock.
    pub(crate) fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// The schema version the database is at.
    pub fn schema_version(&self) -> StoreResult<u32> {
        self.read(|c| Ok(c.query_row("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", [], |r| r.get(0))?))
    }

    /// Sets the SQLite writer's `PRAGMA synchronous` (`FULL` from `open`). Only for the push
    /// benchmark, which measures what durable acknowledgements cost against `NORMAL` in the same run.
    #[doc(hidden)]
    pub fn set_writer_synchronous_for_benchmarks(&self, level: &str) -> StoreResult<()> {
        match &self.backend {
            Backend::Sqlite(s) => {
                let conn = s.writer.lock().map_err(|_| StoreError::Internal("writer lock poisoned".into()))?;
                Ok(conn.pragma_update(None, "synchronous", level)?)
            }
            Backend::Postgres(_) => Err(StoreError::Invalid("PRAGMA synchronous is SQLite's".into())),
        }
    }

    /// Runs `f` on a connection in one write transaction, bypassing every rule of the store:
    /// for tests that edit or read the tables directly, on either database.
    #[doc(hidden)]
    pub fn raw<T>(&self, f: impl FnOnce(&Conn<'_>) -> StoreResult<T>) -> StoreResult<T> {
        self.write(f)
    }

    /// Runs `f` in one write transaction. SQLite: begun immediately on the one writer, so it
    /// never has to upgrade a lock. PostgreSQL: the first statement takes the write lock
    /// (see the module's documentation).
    pub(crate) fn write<T>(&self, f: impl FnOnce(&Conn<'_>) -> StoreResult<T>) -> StoreResult<T> {
        match &self.backend {
            Backend::Sqlite(s) => {
                let mut conn = s.writer.lock().map_err(|_| StoreError::Internal("writer lock poisoned".into()))?;
                let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
                let out = {
                    let c = Conn::sqlite(&tx);
                    let out = f(&c)?;
                    flush_audit_head(&c)?;
                    out
                };
                tx.commit()?;
                Ok(out)
            }
            Backend::Postgres(pool) => {
                let c = pool.begin(&format!("BEGIN; SELECT pg_advisory_xact_lock({PG_WRITE_LOCK})"))?;
                let conn = Conn::pg(&c);
                let out = f(&conn).and_then(|out| {
                    flush_audit_head(&conn)?;
                    Ok(out)
                });
                drop(conn);
                finish_pg(&c, out)
            }
        }
    }

    /// Runs `f` inside one read transaction (one consistent snapshot).
    pub(crate) fn read<T>(&self, f: impl FnOnce(&Conn<'_>) -> StoreResult<T>) -> StoreResult<T> {
        match &self.backend {
            Backend::Sqlite(s) => {
                let start = s.next_reader.fetch_add(1, Ordering::Relaxed);
                // Take a free reader if there is one; otherwise wait for ours.
                if let Some(mut conn) = s.free_reader(start) {
                    return read_in_tx(&mut conn, f);
                }
                let mut conn = s.readers[start % s.readers.len()]
                    .lock()
                    .map_err(|_| StoreError::Internal("reader lock poisoned".into()))?;
                read_in_tx(&mut conn, f)
            }
            Backend::Postgres(pool) => {
                let c = pool.begin("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")?;
                finish_pg(&c, f(&Conn::pg(&c)))
            }
        }
    }

    /// Runs `f`, which reads with **one statement**, in as few round trips as the database allows.
    /// SQLite: as [`SqlStore::read`]. PostgreSQL: the statement runs on its own, outside
    /// `BEGIN … READ ONLY` / `COMMIT`; one statement is one snapshot either way, and the two
    /// statements around it were two of the three round trips of a point read (on hand of one
    /// product at one branch). A connection that PostgreSQL closed is first seen by that
    /// statement, not by a `BEGIN`, so it is run again, once, on a fresh connection: it only
    /// reads, so running it twice changes nothing. Behind a pooler in transaction mode every
    /// statement needs its transaction (its prepared statement lives in it), so there it is
    /// [`SqlStore::read`].
    pub(crate) fn read_one<T>(&self, f: impl Fn(&Conn<'_>) -> StoreResult<T>) -> StoreResult<T> {
        match &self.backend {
            Backend::Postgres(pool) if !pool.per_transaction() => {
                let c = pool.get()?;
                match f(&Conn::pg(&c)) {
                    Err(StoreError::Unavailable(e)) => {
                        tracing::warn!(error = %e, "a pooled PostgreSQL connection was dead; reading again on another");
                        drop(c);
                        let c = pool.get_fresh()?;
                        f(&Conn::pg(&c))
                    }
                    out => out,
                }
            }
            _ => self.read(f),
        }
    }

    /// Runs `f`, whose statements need not share one snapshot (each answer is consistent on its
    /// own: a till's member lookup reads the member's balances, holds and lots in one statement,
    /// and its name or cards a moment apart changes nothing), in as few round trips as the
    /// database allows: as [`SqlStore::read_one`], so on PostgreSQL each statement runs on its
    /// own, without the two round trips of `BEGIN … READ ONLY` / `COMMIT`, and `f` is run again
    /// on a fresh connection when the pooled one was dead (it only reads).
    pub(crate) fn read_apart<T>(&self, f: impl Fn(&Conn<'_>) -> StoreResult<T>) -> StoreResult<T> {
        self.read_one(f)
    }

    /// Like [`SqlStore::read`], but only if it can start at once: `None` (without running `f`)
    /// when every SQLite reader is busy. PostgreSQL's client always waits on the network, so
    /// there it is always `None` and the caller goes to the blocking pool.
    pub(crate) fn read_if_free<T>(&self, f: impl FnOnce(&Conn<'_>) -> StoreResult<T>) -> Option<StoreResult<T>> {
        match &self.backend {
            Backend::Sqlite(s) => {
                let start = s.next_reader.fetch_add(1, Ordering::Relaxed);
                s.free_reader(start).map(|mut conn| read_in_tx(&mut conn, f))
            }
            Backend::Postgres(_) => None,
        }
    }

    /// Gives HQ its first member policy if it has none, and puts it on the change feed.
    fn ensure_policy(&self) -> StoreResult<()> {
        self.write(|tx| {
            let have: i64 = tx.query_row("SELECT COUNT(*) FROM member_policies", [], |r| r.get(0))?;
            if have == 0 {
                let now = self.now();
                // In force from the start: anything sold before HQ's first change (the demo chain's
                // past weeks, a chain's history imported later) was sold under it.
                let policy = MemberPolicy::initial(Timestamp::UNIX_EPOCH);
                tx.execute(
                    "INSERT INTO member_policies (version, effective_from, policy, created_at) VALUES (?1, ?2, ?3, ?4)",
                    params![
                        policy.version,
                        micros(policy.effective_from),
                        serde_json::to_string(&policy)?,
                        micros(now)
                    ],
                )?;
                emit(tx, &format!("policy:{}", policy.version), None, &Change::Policy(policy.clone()))?;
                append_audit(
                    tx,
                    &self.audit_key,
                    &Actor::system(),
                    self.now(),
                    "create",
                    "policy:1",
                    None::<&()>,
                    Some(&policy),
                )?;
            }
            Ok(())
        })
    }
}

impl SqlStore {
    /// The SQLite reader connections (tests that hold them all).
    #[cfg(test)]
    pub(crate) fn sqlite_readers(&self) -> &[Mutex<Connection>] {
        match &self.backend {
            Backend::Sqlite(s) => &s.readers,
            Backend::Postgres(_) => &[],
        }
    }
}

impl SqliteBackend {
    fn free_reader(&self, start: usize) -> Option<std::sync::MutexGuard<'_, Connection>> {
        (0..self.readers.len()).find_map(|i| self.readers[(start + i) % self.readers.len()].try_lock().ok())
    }
}

/// Commits when `out` is a success, rolls back otherwise.
fn finish_pg<T>(c: &postgres::PgConn, out: StoreResult<T>) -> StoreResult<T> {
    match out {
        Ok(v) => {
            c.batch("COMMIT")?;
            Ok(v)
        }
        Err(e) => {
            if let Err(rollback) = c.batch("ROLLBACK") {
                tracing::warn!(error = %rollback, "rolling back failed");
            }
            Err(e)
        }
    }
}

fn read_in_tx<T>(conn: &mut Connection, f: impl FnOnce(&Conn<'_>) -> StoreResult<T>) -> StoreResult<T> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Deferred)?;
    let out = f(&Conn::sqlite(&tx))?;
    tx.finish()?;
    Ok(out)
}

/// Microseconds since the epoch: how timestamps are stored (comparable, portable).
pub(crate) fn micros(t: Timestamp) -> i64 {
    t.as_microsecond()
}

pub(crate) fn from_micros(v: i64) -> Timestamp {
    Timestamp::from_microsecond(v).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// Puts `change` on the feed under `entity`, replacing that entity's earlier change: the feed
/// holds each entity once, at the seq of its latest change. `branch` limits it to one branch's tills.
pub(crate) fn emit(tx: &Conn<'_>, entity: &str, branch: Option<i64>, change: &Change) -> StoreResult<()> {
    // Both sent with the caller's next statement (a member sale's publish is the last of its event).
    tx.execute_later("DELETE FROM changes WHERE entity = ?1", [entity], None)?;
    tx.execute_later(
        "INSERT INTO changes (entity, branch_id, payload) VALUES (?1, ?2, ?3)",
        params![entity, branch, serde_json::to_string(change)?],
        None,
    )?;
    Ok(())
}

/// Appends an audit entry, chained to the one before it, in the caller's transaction.
#[allow(clippy::too_many_arguments)] // the chain's key, then one argument per column of the entry
pub(crate) fn append_audit<B: Serialize + ?Sized, A: Serialize + ?Sized>(
    tx: &Conn<'_>,
    key: &AuditKey,
    actor: &Actor,
    at: Timestamp,
    action: &str,
    entity: &str,
    before: Option<&B>,
    after: Option<&A>,
) -> StoreResult<()> {
    let pending = tx.audit_head.borrow().clone();
    let (last_id, prev_hash) = match pending {
        Some(h) => (h.id, h.hash),
        None => tx
            .prepare_cached("SELECT last_id, last_hash FROM audit_head WHERE id = 1")?
            .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?
            .unwrap_or((0, GENESIS.to_owned())),
    };
    let before = before.map(serde_json::to_string).transpose()?.unwrap_or_default();
    let after = after.map(serde_json::to_string).transpose()?.unwrap_or_default();
    let fields = EntryFields {
        id: last_id + 1,
        at: micros(at),
        actor: &actor.who,
        from: &actor.from,
        action,
        entity,
        before: &before,
        after: &after,
    };
    let hash = entry_hash(key, &prev_hash, &fields);
    tx.prepare_cached(
        "INSERT INTO audit_log (id, at, actor, client, action, entity, before, after, prev_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
        fields.id,
        fields.at,
        fields.actor,
        fields.from,
        action,
        entity,
        before,
        after,
        prev_hash,
        hash
    ])?;
    // The head row is written before the transaction commits (or a savepoint begins).
    *tx.audit_head.borrow_mut() = Some(conn::PendingHead { id: fields.id, hash, written: false });
    Ok(())
}

/// Writes the audit chain's head as the transaction has moved it (see [`Conn::audit_head`]).
pub(crate) fn flush_audit_head(tx: &Conn<'_>) -> conn::Result<()> {
    let pending = tx.audit_head.borrow().clone();
    if let Some(h) = pending.filter(|h| !h.written) {
        tx.prepare_cached(
            "INSERT INTO audit_head (id, last_id, last_hash) VALUES (1, ?1, ?2)
             ON CONFLICT (id) DO UPDATE SET last_id = excluded.last_id, last_hash = excluded.last_hash",
        )?
        .execute(params![h.id, h.hash.as_str()])?;
        *tx.audit_head.borrow_mut() = Some(conn::PendingHead { written: true, ..h });
    }
    Ok(())
}

/// A `NotFound` naming what was looked for.
pub(crate) fn not_found(what: impl Into<String>) -> impl FnOnce(StoreError) -> StoreError {
    let what = what.into();
    move |e| match e {
        StoreError::NotFound(_) => StoreError::NotFound(what),
        e => e,
    }
}

pub(crate) use conn::is_constraint;

/// `select` (ending in `… IN`) over `values` a few hundred at a time, every row through `row`.
pub(crate) fn in_chunks<T>(
    c: &Conn<'_>,
    select: &str,
    values: &[conn::Value],
    mut row: impl FnMut(&conn::Row<'_>) -> conn::Result<T>,
) -> StoreResult<Vec<T>> {
    const PER_QUERY: usize = 500;
    let mut out = Vec::new();
    for chunk in values.chunks(PER_QUERY) {
        let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("?{i}")).collect();
        let rows = c.prepare(&format!("{select} ({})", marks.join(", ")))?.query_map(chunk.to_vec(), &mut row)?;
        for r in rows {
            out.push(r?);
        }
    }
    Ok(out)
}
