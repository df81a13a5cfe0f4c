//! The till's own SQLite database: what it pulled from HQ, what it did, and the outbox of events
//! for HQ.
//!
//! One file per till, WAL mode. Transactions that commit money (sales, refunds, shift closes, cash
//! movements) run with `synchronous=FULL`, so they are on disk when the commit returns; everything
//! else (the cart in progress, pulled pages) runs with `synchronous=NORMAL`, which survives a crash
//! of the process but not a power cut. Every state change and its outbox event are written in one
//! transaction.

pub(crate) mod cards;
pub(crate) mod catalog;
pub(crate) mod complaints;
pub(crate) mod payments;
pub(crate) mod records;
pub(crate) mod refunds;
pub mod schema;
pub(crate) mod search;
mod state;
pub(crate) mod stock;

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};
use serde::Serialize;
use serde::de::DeserializeOwned;

pub use cards::{CardAttempt, CardState};
pub use catalog::{ProductHit, TillProduct};
pub use complaints::{ComplaintStatus, StoredComplaint};
pub use payments::TillAttempt;
pub use records::{AuditRow, OutboxEntry, OutboxStatus, SaleSummary, ShiftRow};
pub use refunds::{CodeRefund, CodeRefundState, CodeReturn, CodeReturnState};
pub use state::HeldSale;
pub use stock::{CountBatch, CountLineStatus, OnHand, StoredCountLine};

/// What can go wrong in the store. These are faults of the machine (disk, corruption), never of
/// what a cashier typed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Sqlite(rusqlite::Error),
    /// SQLite could not grow the database (`SQLITE_FULL`): the write was rolled back whole.
    #[error("the till's disk is full: nothing of this step was written; free space, then try again")]
    DiskFull,
    #[error("stored data could not be read: {0}")]
    Json(#[from] serde_json::Error),
    #[error("stored data is not valid: {0}")]
    Corrupt(String),
    #[error("the database was made by a newer version of Tillpoint (schema {found}, this build knows {known})")]
    TooNew { found: u32, known: u32 },
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DiskFull) {
            StoreError::DiskFull
        } else {
            StoreError::Sqlite(e)
        }
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// A connection to a till database.
pub struct Store {
    conn: Connection,
    path: PathBuf,
    /// Bumped whenever this connection applies pulled data (other connections' changes show in
    /// `PRAGMA data_version`).
    pulled: std::cell::Cell<u64>,
}

impl Store {
    /// Opens (creating if needed) and migrates the till database at `path`.
    pub fn open(path: impl AsRef<Path>) -> StoreResult<Store> {
        Store::open_at_version(path, schema::latest_version())
    }

    /// Opens and migrates only up to `version` (tests use it to make an old database).
    #[doc(hidden)]
    pub fn open_at_version(path: impl AsRef<Path>, version: u32) -> StoreResult<Store> {
        let path = path.as_ref().to_path_buf();
        let mut conn = Connection::open(&path)?;
        conn.busy_timeout(Duration::from_secs(5))?;
        // The query planner stability guarantee: a cached statement keeps its plan whatever is
        // bound to it. Without it SQLite may re-prepare a statement on every new binding to look
        // for a better plan, which made a barcode lookup spend most of its time in the parser.
        conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        // 64 MB of page cache keeps the barcode index and the upper levels of the product table in
        // memory for a million-product catalog, within the till's memory budget.
        conn.pragma_update(None, "cache_size", -65_536)?;
        conn.pragma_update(None, "temp_store", "MEMORY")?;
        let found = schema::version(&conn)?;
        if found > schema::latest_version() {
            return Err(StoreError::TooNew { found, known: schema::latest_version() });
        }
        schema::migrate_to(&mut conn, version)?;
        Ok(Store { conn, path, pulled: std::cell::Cell::new(0) })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Changes whenever pulled data (branch, staff, catalog, policy) may have changed, on this
    /// connection or another: what caches of it key on.
    pub fn settings_version(&self) -> StoreResult<(i64, u64)> {
        let data_version: i64 = self.conn.query_row("PRAGMA data_version", [], |r| r.get(0))?;
        Ok((data_version, self.pulled.get()))
    }

    pub(crate) fn note_pulled(&self) {
        self.pulled.set(self.pulled.get() + 1);
    }

    pub fn schema_version(&self) -> StoreResult<u32> {
        Ok(schema::version(&self.conn)?)
    }

    /// Runs `f` in a transaction whose commit is on disk when this returns (`synchronous=FULL`).
    pub(crate) fn durable<T>(&mut self, f: impl FnOnce(&Transaction<'_>) -> StoreResult<T>) -> StoreResult<T> {
        self.conn.pragma_update(None, "synchronous", "FULL")?;
        let result = (|| {
            let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let value = f(&tx)?;
            tx.commit()?;
            Ok(value)
        })();
        self.conn.pragma_update(None, "synchronous", "NORMAL")?;
        result
    }

    /// Runs `f` in an ordinary transaction (survives a crash, not a power cut).
    pub(crate) fn tx<T>(&mut self, f: impl FnOnce(&Transaction<'_>) -> StoreResult<T>) -> StoreResult<T> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let value = f(&tx)?;
        tx.commit()?;
        Ok(value)
    }

    /// Fault injection for tests: caps the database at its present size (`PRAGMA max_page_count`),
    /// so any write that needs a new page fails as on a full disk, with SQLite's own
    /// `SQLITE_FULL`; `false` lifts the cap.
    #[doc(hidden)]
    pub fn fault_disk_full(&self, full: bool) -> StoreResult<()> {
        if full {
            let pages: i64 = self.conn.query_row("PRAGMA page_count", [], |r| r.get(0))?;
            self.conn.pragma_update(None, "max_page_count", pages)?;
        } else {
            self.conn.pragma_update(None, "max_page_count", 4_294_967_294_i64)?;
        }
        Ok(())
    }

    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    // --- meta: who this till is ---------------------------------------------------------------

    pub fn meta(&self, key: &str) -> StoreResult<Option<String>> {
        Ok(self.conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0)).optional()?)
    }

    pub fn set_meta(&mut self, key: &str, value: &str) -> StoreResult<()> {
        self.conn.execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        Ok(())
    }

    // --- diagnostics ---------------------------------------------------------------------------

    /// Rows in one of the till's tables (diagnostics and tests).
    pub fn count_rows(&self, table: &str) -> StoreResult<i64> {
        const TABLES: &[&str] = &[
            "sales",
            "sale_lines",
            "sale_tenders",
            "refunds",
            "outbox",
            "cash_movements",
            "shifts",
            "audit",
            "day_closes",
            "held_carts",
            "products",
            "barcodes",
            "members",
            "staff",
            "complaints",
            "complaint_categories",
            "stock_on_hand",
            "open_counts",
            "count_lines",
            "payment_attempts",
            "code_returns",
            "code_refunds",
            "card_attempts",
        ];
        if !TABLES.contains(&table) {
            return Err(StoreError::Corrupt(format!("no table {table}")));
        }
        Ok(self.conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))?)
    }

    /// The saved cart, as stored.
    pub fn cart_json(&self) -> StoreResult<Option<String>> {
        Ok(self.conn.query_row("SELECT json FROM cart WHERE id = 1", [], |r| r.get(0)).optional()?)
    }

    /// Every sequence and its value.
    pub fn sequences(&self) -> StoreResult<Vec<(String, i64)>> {
        let mut stmt = self.conn.prepare("SELECT name, value FROM sequences ORDER BY name")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    // --- the cart in progress --------------------------------------------------------------------

    pub(crate) fn load_cart<T: DeserializeOwned>(&self) -> StoreResult<Option<T>> {
        let json: Option<String> =
            self.conn.query_row("SELECT json FROM cart WHERE id = 1", [], |r| r.get(0)).optional()?;
        json.map(|j| serde_json::from_str(&j)).transpose().map_err(Into::into)
    }
}

/// Saves the cart in progress (`None`: no sale in progress) inside `tx`.
pub(crate) fn write_cart(tx: &Transaction<'_>, json: Option<&str>) -> StoreResult<()> {
    match json {
        Some(j) => tx.execute(
            "INSERT INTO cart (id, json) VALUES (1, ?1) ON CONFLICT (id) DO UPDATE SET json = excluded.json",
            [j],
        )?,
        None => tx.execute("DELETE FROM cart", [])?,
    };
    Ok(())
}

/// Takes the next value of a named sequence inside `tx`. Sequences only ever go up, and the value
/// is committed with whatever uses it, so a number is never handed out twice.
pub(crate) fn next_in_sequence(tx: &Transaction<'_>, name: &str) -> StoreResult<u32> {
    let v: i64 = tx.query_row(
        "INSERT INTO sequences (name, value) VALUES (?1, 1)
         ON CONFLICT (name) DO UPDATE SET value = value + 1 RETURNING value",
        [name],
        |r| r.get(0),
    )?;
    u32::try_from(v).map_err(|_| StoreError::Corrupt(format!("sequence {name} overflowed")))
}

pub fn to_json<T: Serialize>(v: &T) -> StoreResult<String> {
    Ok(serde_json::to_string(v)?)
}

pub fn from_json<T: DeserializeOwned>(s: &str) -> StoreResult<T> {
    Ok(serde_json::from_str(s)?)
}
