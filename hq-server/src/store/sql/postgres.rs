//! The PostgreSQL side of [`super::conn`]: a small pool of tokio-postgres connections driven by
//! the store's own runtime, and how values cross the wire.
//!
//! The store's calls are blocking (the HTTP layer runs them on the blocking pool, tests and the
//! CLI call them directly). Each connection's I/O task runs on a runtime the pool owns; a store
//! call waits for its statement with `futures_executor::block_on`, which needs no runtime
//! context, so the store can be called from any thread (a blocking-pool thread, the CLI, a test).
//!
//! Connections are checked before use: one that PostgreSQL closed (a restart,
//! `pg_terminate_backend`) is dropped and another is opened, so a restart costs no failed request
//! that began after it (the trap of pools that recycle by `is_closed()` alone is that a killed
//! connection is only seen closed after its first failed query: here `BEGIN` is that query, and
//! it is retried on a fresh connection).
//!
//! Prepared statements are kept per connection for its life, one round trip saved on every
//! later use. Behind a pooler in transaction mode (PgBouncer's `pool_mode = transaction`, before
//! its 1.21 prepared-statement support) a client's connection meets a different server
//! connection in each transaction, where its statements do not exist (or another client's of the
//! same name do). A URL with `pool_mode=transaction` makes every statement last one transaction:
//! each is closed on its own server connection before the `COMMIT` or `ROLLBACK` that ends it
//! (`hq-server/tests/api/pgbouncer.rs` runs HQ through a real PgBouncer so).

use std::collections::HashMap;
use std::error::Error as StdError;
use std::sync::{Condvar, Mutex};

use bytes::{BufMut, BytesMut};
use futures_executor::block_on;
use tokio_postgres::types::{FromSql, IsNull, ToSql, Type, to_sql_checked};
use tokio_postgres::{Client, NoTls, Statement};

use super::conn::{Error, Result, Value, dollar_placeholders};

/// One pooled connection with its prepared statements (by the store's SQL text).
pub struct PgConn {
    client: Client,
    statements: std::cell::RefCell<HashMap<String, Statement>>,
    /// Statements last one transaction (behind a pooler in transaction mode).
    per_transaction: bool,
    /// Writes queued by [`PgConn::execute_later`] and [`PgConn::batch_later`], not yet sent.
    pending: std::cell::RefCell<Vec<Pending>>,
}

/// A statement whose answer nobody waits for: sent with the next one that is waited for, all in
/// one round trip (tokio-postgres pipelines the requests it is given at once on one connection,
/// and PostgreSQL runs them in order).
enum Pending {
    Execute {
        statement: Statement,
        params: Vec<PgValue>,
        /// Why the write is refused when it breaks a constraint (see [`Error::Refused`]).
        refused: Option<String>,
    },
    Batch(String),
}

impl PgConn {
    pub(crate) fn batch(&self, sql: &str) -> Result<()> {
        let upper = sql.trim_start().to_ascii_uppercase();
        if let Some(name) = upper.strip_prefix("ROLLBACK TO SAVEPOINT ") {
            // What was queued after the savepoint began is undone unsent; what came before it
            // (the savepoint itself included) still goes, ahead of the rollback.
            let name = name.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
            let mut pending = self.pending.borrow_mut();
            let began =
                pending.iter().position(|p| matches!(p, Pending::Batch(b) if *b == format!("SAVEPOINT {name}")));
            pending.truncate(began.map_or(0, |i| i + 1));
        } else if upper.starts_with("ROLLBACK") {
            self.pending.borrow_mut().clear();
        }
        if self.per_transaction && ends_transaction(sql) {
            // What is queued goes first: it uses statements about to be closed.
            self.flush()?;
            // Dropping a statement sends its Close on this connection, ahead of the COMMIT or
            // ROLLBACK below, so it is closed on the server connection that prepared it.
            self.statements.borrow_mut().clear();
        }
        self.run(self.client.batch_execute(sql))
    }

    /// Queues statements without parameters (a savepoint's `SAVEPOINT` or `RELEASE`), sent
    /// with the next statement waited for.
    pub(crate) fn batch_later(&self, sql: &str) {
        self.pending.borrow_mut().push(Pending::Batch(sql.to_owned()));
    }

    /// Queues a write whose answer is not needed now; it is sent, in order, with the next
    /// statement the store waits for (or by [`PgConn::flush`]), and its failure is that
    /// statement's. `refused`: the reason to give if it breaks a constraint.
    pub(crate) fn execute_later(&self, statement: &Statement, values: Vec<Value>, refused: Option<String>) {
        let params = values.into_iter().map(PgValue).collect();
        self.pending.borrow_mut().push(Pending::Execute { statement: statement.clone(), params, refused });
    }

    /// Sends what is queued and waits for it.
    pub(crate) fn flush(&self) -> Result<()> {
        if self.pending.borrow().is_empty() {
            return Ok(());
        }
        self.run(std::future::ready(Ok(())))
    }

    /// Runs `then` after what is queued, in one round trip; the first failure is the answer.
    fn run<T>(&self, then: impl Future<Output = std::result::Result<T, tokio_postgres::Error>>) -> Result<T> {
        let pending = std::mem::take(&mut *self.pending.borrow_mut());
        if pending.is_empty() {
            return block_on(then).map_err(pg_error);
        }
        let queued = pending.iter().map(|p| -> std::pin::Pin<Box<dyn Future<Output = Result<()>> + '_>> {
            match p {
                Pending::Execute { statement, params, refused } => Box::pin(async move {
                    let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p as &(dyn ToSql + Sync)).collect();
                    match self.client.execute(statement, &refs).await.map_err(pg_error) {
                        Err(Error::Constraint(why)) => {
                            Err(refused.clone().map_or(Error::Constraint(why), Error::Refused))
                        }
                        other => other.map(drop),
                    }
                }),
                Pending::Batch(sql) => Box::pin(async move { self.client.batch_execute(sql).await.map_err(pg_error) }),
            }
        });
        // join_all polls each in order before waiting, so the requests go out in order.
        let (queued, then) = block_on(futures_util::future::join(futures_util::future::join_all(queued), then));
        for done in queued {
            done?;
        }
        then.map_err(pg_error)
    }

    pub(crate) fn prepare(&self, sql: &str) -> Result<Statement> {
        if let Some(st) = self.statements.borrow().get(sql) {
            return Ok(st.clone());
        }
        let st = self.run(self.client.prepare(&dollar_placeholders(sql))).map_err(|e| match e {
            // Which statement, for the log (an internal error's detail is never sent).
            Error::Database(m) => {
                Error::Database(format!("{m}, preparing: {}", sql.split_whitespace().collect::<Vec<_>>().join(" ")))
            }
            e => e,
        })?;
        self.statements.borrow_mut().insert(sql.to_owned(), st.clone());
        Ok(st)
    }

    pub(crate) fn execute(&self, st: &Statement, values: Vec<Value>) -> Result<usize> {
        let params: Vec<PgValue> = values.into_iter().map(PgValue).collect();
        let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p as &(dyn ToSql + Sync)).collect();
        let n = self.run(self.client.execute(st, &refs))?;
        usize::try_from(n).map_err(|_| Error::Database("row count out of range".into()))
    }

    pub(crate) fn query(&self, st: &Statement, values: Vec<Value>) -> Result<Vec<tokio_postgres::Row>> {
        let params: Vec<PgValue> = values.into_iter().map(PgValue).collect();
        let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p as &(dyn ToSql + Sync)).collect();
        self.run(self.client.query(st, &refs))
    }

    fn is_closed(&self) -> bool {
        self.client.is_closed()
    }
}

/// Whether `sql` ends the transaction (not a rollback to a savepoint inside it).
fn ends_transaction(sql: &str) -> bool {
    let s = sql.trim_start().to_ascii_uppercase();
    s.starts_with("COMMIT") || s.starts_with("END") || (s.starts_with("ROLLBACK") && !s.starts_with("ROLLBACK TO"))
}

/// The URL without this store's own `pool_mode` parameter (which PostgreSQL does not know), and
/// whether statements must last one transaction (`pool_mode=transaction`; `session`, the
/// default, keeps them for the connection's life).
pub(crate) fn pool_mode(url: &str) -> Result<(String, bool)> {
    let Some((base, query)) = url.split_once('?') else { return Ok((url.to_owned(), false)) };
    let mut per_transaction = false;
    let mut kept = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("pool_mode", "transaction")) => per_transaction = true,
            Some(("pool_mode", "session")) => per_transaction = false,
            Some(("pool_mode", other)) => {
                return Err(Error::Database(format!(
                    "pool_mode={other} in the PostgreSQL URL: say `transaction` (behind PgBouncer in transaction mode) or `session`"
                )));
            }
            _ => kept.push(pair),
        }
    }
    let url = if kept.is_empty() { base.to_owned() } else { format!("{base}?{}", kept.join("&")) };
    Ok((url, per_transaction))
}

/// A pool of connections to one database (and schema, by the URL's `options`).
pub struct PgPool {
    config: tokio_postgres::Config,
    per_transaction: bool,
    /// Runs the connections' I/O tasks. Shut down in the background on drop, so dropping the
    /// store inside an async context does not block it.
    runtime: Option<tokio::runtime::Runtime>,
    idle: Mutex<(Vec<PgConn>, usize)>,
    freed: Condvar,
    max: usize,
}

impl std::fmt::Debug for PgPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgPool").field("max", &self.max).finish_non_exhaustive()
    }
}

impl Drop for PgPool {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

/// A connection taken from the pool; it goes back when dropped, unless it broke.
pub struct Pooled<'p> {
    pool: &'p PgPool,
    conn: Option<PgConn>,
}

impl std::ops::Deref for Pooled<'_> {
    type Target = PgConn;

    fn deref(&self) -> &PgConn {
        self.conn.as_ref().expect("a pooled connection")
    }
}

impl Drop for Pooled<'_> {
    fn drop(&mut self) {
        let conn = self.conn.take();
        let mut idle = self.pool.idle.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        match conn {
            Some(c) if !c.is_closed() => {
                // Its transaction ended (committed or rolled back): nothing queued outlives it.
                c.pending.borrow_mut().clear();
                idle.0.push(c);
            }
            _ => idle.1 -= 1,
        }
        drop(idle);
        self.pool.freed.notify_one();
    }
}

impl PgPool {
    /// A pool for `url` (`postgres://user@host:port/db?options=...`), at most `max` connections.
    pub fn new(url: &str, max: usize) -> Result<PgPool> {
        let (url, per_transaction) = pool_mode(url)?;
        let config: tokio_postgres::Config =
            url.parse().map_err(|e| Error::Database(format!("the PostgreSQL URL: {e}")))?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("hq-postgres")
            .enable_all()
            .build()
            .map_err(|e| Error::Database(format!("the PostgreSQL client's runtime: {e}")))?;
        let pool = PgPool {
            config,
            per_transaction,
            runtime: Some(runtime),
            idle: Mutex::new((Vec::new(), 0)),
            freed: Condvar::new(),
            max: max.max(1),
        };
        // Fail now, with the reason, if the database cannot be reached.
        drop(pool.get()?);
        Ok(pool)
    }

    fn connect(&self) -> Result<PgConn> {
        let rt = self.runtime.as_ref().expect("the pool's runtime");
        let config = self.config.clone();
        let client = block_on(rt.spawn(async move {
            let (client, connection) = config.connect(NoTls).await?;
            tokio::spawn(async move {
                if let Err(e) = connection.await {
                    tracing::warn!(error = %e, "PostgreSQL connection ended");
                }
            });
            Ok::<_, tokio_postgres::Error>(client)
        }))
        .map_err(|e| Error::Connection(format!("the client's task failed: {e}")))?
        .map_err(pg_error)?;
        Ok(PgConn {
            client,
            statements: std::cell::RefCell::new(HashMap::new()),
            per_transaction: self.per_transaction,
            pending: std::cell::RefCell::new(Vec::new()),
        })
    }

    /// Whether statements last one transaction (behind a pooler in transaction mode).
    pub fn per_transaction(&self) -> bool {
        self.per_transaction
    }

    /// A connection that is open: an idle one, a new one, or the next one freed.
    pub fn get(&self) -> Result<Pooled<'_>> {
        let mut idle = self.idle.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        loop {
            while let Some(c) = idle.0.pop() {
                if c.is_closed() {
                    idle.1 -= 1;
                } else {
                    return Ok(Pooled { pool: self, conn: Some(c) });
                }
            }
            if idle.1 < self.max {
                idle.1 += 1;
                drop(idle);
                return match self.connect() {
                    Ok(c) => Ok(Pooled { pool: self, conn: Some(c) }),
                    Err(e) => {
                        let mut idle = self.idle.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                        idle.1 -= 1;
                        Err(e)
                    }
                };
            }
            idle = self.freed.wait(idle).unwrap_or_else(std::sync::PoisonError::into_inner);
        }
    }

    /// A newly opened connection, after one was found dead: the idle ones are dropped first, as
    /// whatever closed one (a restart, `pg_terminate_backend`) closed them too, and each would
    /// be seen closed only by its first failed statement.
    pub fn get_fresh(&self) -> Result<Pooled<'_>> {
        let mut idle = self.idle.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let dropped = std::mem::take(&mut idle.0);
        idle.1 -= dropped.len();
        drop(idle);
        drop(dropped);
        self.get()
    }

    /// Runs `begin` on a pooled connection, retrying once on a fresh connection if the pooled
    /// one turns out dead (nothing has been done on it yet, so a retry cannot double anything).
    pub fn begin(&self, begin: &str) -> Result<Pooled<'_>> {
        let conn = self.get()?;
        match conn.batch(begin) {
            Ok(()) => Ok(conn),
            Err(Error::Connection(e)) => {
                tracing::warn!(error = %e, "a pooled PostgreSQL connection was dead; opening another");
                drop(conn);
                let conn = self.get_fresh()?;
                conn.batch(begin)?;
                Ok(conn)
            }
            Err(e) => Err(e),
        }
    }
}

fn pg_error(e: tokio_postgres::Error) -> Error {
    use tokio_postgres::error::SqlState;
    if let Some(db) = e.as_db_error() {
        let code = db.code();
        if [
            SqlState::UNIQUE_VIOLATION,
            SqlState::FOREIGN_KEY_VIOLATION,
            SqlState::CHECK_VIOLATION,
            SqlState::NOT_NULL_VIOLATION,
        ]
        .contains(code)
        {
            return Error::Constraint(db.message().to_owned());
        }
        if [SqlState::ADMIN_SHUTDOWN, SqlState::CRASH_SHUTDOWN, SqlState::CANNOT_CONNECT_NOW].contains(code)
            || code.code().starts_with("08")
        {
            return Error::Connection(db.message().to_owned());
        }
        let mut msg = db.message().to_owned();
        if let Some(detail) = db.detail() {
            msg = format!("{msg} ({detail})");
        }
        return Error::Database(format!("PostgreSQL {}: {msg}", code.code()));
    }
    if e.is_closed() || e.source().is_some_and(|s| s.is::<std::io::Error>()) {
        return Error::Connection(e.to_string());
    }
    Error::Database(e.to_string())
}

/// A value bound to a placeholder, encoded as the type PostgreSQL inferred for it (the store's
/// SQL is shared with SQLite, whose values are loosely typed).
#[derive(Debug)]
struct PgValue(Value);

type BoxError = Box<dyn StdError + Sync + Send>;

impl ToSql for PgValue {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> std::result::Result<IsNull, BoxError> {
        let v = &self.0;
        if *v == Value::Null {
            return Ok(IsNull::Yes);
        }
        let int = || -> std::result::Result<i64, BoxError> {
            match v {
                Value::Int(i) => Ok(*i),
                Value::Text(s) => s.parse().map_err(|_| format!("{s:?} is not an integer").into()),
                other => Err(format!("{other:?} for an integer parameter").into()),
            }
        };
        match *ty {
            Type::INT8 => out.put_i64(int()?),
            Type::INT4 => out.put_i32(i32::try_from(int()?)?),
            Type::INT2 => out.put_i16(i16::try_from(int()?)?),
            Type::BOOL => out.put_u8(u8::from(int()? != 0)),
            Type::FLOAT8 => out.put_f64(match v {
                Value::Real(f) => *f,
                #[allow(clippy::cast_precision_loss)]
                _ => int()? as f64,
            }),
            Type::NUMERIC => encode_numeric(int()?, out),
            Type::BYTEA => match v {
                Value::Blob(b) => out.put_slice(b),
                Value::Text(s) => out.put_slice(s.as_bytes()),
                other => return Err(format!("{other:?} for a bytea parameter").into()),
            },
            _ => match v {
                Value::Text(s) => out.put_slice(s.as_bytes()),
                Value::Int(i) => out.put_slice(i.to_string().as_bytes()),
                Value::Real(f) => out.put_slice(f.to_string().as_bytes()),
                Value::Blob(b) => out.put_slice(b),
                Value::Null => unreachable!("handled above"),
            },
        }
        Ok(IsNull::No)
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

/// An integer in PostgreSQL's binary NUMERIC form (base-10000 digits).
fn encode_numeric(i: i64, out: &mut BytesMut) {
    let mut n = i.unsigned_abs();
    let mut digits = Vec::new();
    while n > 0 {
        digits.push(u16::try_from(n % 10_000).expect("a base-10000 digit"));
        n /= 10_000;
    }
    digits.reverse();
    let ndigits = i16::try_from(digits.len()).expect("at most 5 digits");
    out.put_i16(ndigits);
    out.put_i16(if ndigits == 0 { 0 } else { ndigits - 1 }); // weight of the first digit
    out.put_u16(if i < 0 { 0x4000 } else { 0 });
    out.put_i16(0); // display scale
    for d in digits {
        out.put_u16(d);
    }
}

/// One column of a PostgreSQL row as a [`Value`].
pub(crate) fn column_value(row: &tokio_postgres::Row, i: usize) -> Result<Value> {
    row.try_get::<_, PgCell>(i).map(|c| c.0).map_err(|e| Error::Conversion(i, e.to_string()))
}

struct PgCell(Value);

impl<'a> FromSql<'a> for PgCell {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> std::result::Result<PgCell, BoxError> {
        let v = match *ty {
            Type::INT8 => Value::Int(i64::from_sql(ty, raw)?),
            Type::INT4 => Value::Int(i64::from(i32::from_sql(ty, raw)?)),
            Type::INT2 => Value::Int(i64::from(i16::from_sql(ty, raw)?)),
            Type::OID => Value::Int(i64::from(u32::from_sql(ty, raw)?)),
            Type::BOOL => Value::Int(i64::from(bool::from_sql(ty, raw)?)),
            Type::FLOAT8 => Value::Real(f64::from_sql(ty, raw)?),
            Type::FLOAT4 => Value::Real(f64::from(f32::from_sql(ty, raw)?)),
            Type::NUMERIC => decode_numeric(raw)?,
            Type::BYTEA => Value::Blob(raw.to_vec()),
            _ => Value::Text(std::str::from_utf8(raw)?.to_owned()),
        };
        Ok(PgCell(v))
    }

    fn from_sql_null(_: &Type) -> std::result::Result<PgCell, BoxError> {
        Ok(PgCell(Value::Null))
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

/// PostgreSQL's binary NUMERIC (what `SUM` of a `BIGINT` column gives): an integer when it has
/// no fraction, else a float (an average's ratio).
fn decode_numeric(raw: &[u8]) -> std::result::Result<Value, BoxError> {
    let word = |i: usize| -> std::result::Result<u16, BoxError> {
        raw.get(i * 2..i * 2 + 2).map(|b| u16::from_be_bytes([b[0], b[1]])).ok_or_else(|| "short NUMERIC".into())
    };
    let ndigits = usize::from(word(0)?);
    let weight = i32::from(i16::from_be_bytes(word(1)?.to_be_bytes()));
    let sign = word(2)?;
    if sign == 0xC000 {
        return Err("NaN is not a number HQ stores".into());
    }
    let mut int: i128 = 0;
    let mut frac = 0f64;
    for k in 0..ndigits {
        let d = i128::from(word(4 + k)?);
        let power = weight - i32::try_from(k)?;
        if power >= 0 {
            int = 10_000i128
                .checked_pow(u32::try_from(power)?)
                .and_then(|p| d.checked_mul(p))
                .and_then(|x| int.checked_add(x))
                .ok_or("a NUMERIC beyond a 64-bit integer")?;
        } else {
            #[allow(clippy::cast_precision_loss)]
            {
                frac += d as f64 * 10_000f64.powi(power);
            }
        }
    }
    let negative = sign == 0x4000;
    if frac == 0.0 {
        let v = i64::try_from(if negative { -int } else { int })?;
        Ok(Value::Int(v))
    } else {
        #[allow(clippy::cast_precision_loss)]
        let f = int as f64 + frac;
        Ok(Value::Real(if negative { -f } else { f }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_round_trips_integers() {
        for i in [0i64, 1, -1, 9_999, 10_000, 123_456_789, -987_654_321_012, i64::MAX, i64::MIN + 1] {
            let mut buf = BytesMut::new();
            encode_numeric(i, &mut buf);
            assert_eq!(decode_numeric(&buf).expect("decodes"), Value::Int(i), "{i}");
        }
    }

    #[test]
    fn a_numeric_too_large_or_short_is_an_error_not_a_panic() {
        // One digit of weight 40 (10,000^40): beyond i128 as well as i64.
        let huge: Vec<u8> = [1i16, 40, 0, 0, 1].iter().flat_map(|w| w.to_be_bytes()).collect();
        assert!(decode_numeric(&huge).is_err());
        // Beyond i64 but within i128: refused when narrowed.
        let big: Vec<u8> = [1i16, 5, 0, 0, 1].iter().flat_map(|w| w.to_be_bytes()).collect();
        assert!(decode_numeric(&big).is_err());
        assert!(decode_numeric(&[0, 1]).is_err());
    }

    #[test]
    fn pool_mode_is_read_from_the_url_and_taken_out_of_it() {
        let base = "postgres://hq@db:6432/chain";
        assert_eq!(pool_mode(base).expect("plain"), (base.to_owned(), false));
        assert_eq!(pool_mode(&format!("{base}?pool_mode=transaction")).expect("transaction"), (base.to_owned(), true));
        assert_eq!(
            pool_mode(&format!("{base}?application_name=hq&pool_mode=transaction&connect_timeout=5")).expect("amid"),
            (format!("{base}?application_name=hq&connect_timeout=5"), true)
        );
        assert_eq!(pool_mode(&format!("{base}?pool_mode=session")).expect("session"), (base.to_owned(), false));
        let e =
            pool_mode(&format!("{base}?pool_mode=statement")).expect_err("statement mode cannot hold a transaction");
        assert!(e.to_string().contains("pool_mode=statement"), "{e}");
    }

    #[test]
    fn only_the_end_of_a_transaction_closes_its_statements() {
        for sql in ["COMMIT", "commit", " ROLLBACK", "END"] {
            assert!(ends_transaction(sql), "{sql}");
        }
        for sql in ["ROLLBACK TO SAVEPOINT sp1; RELEASE SAVEPOINT sp1", "BEGIN", "SAVEPOINT sp1", "SELECT 1"] {
            assert!(!ends_transaction(sql), "{sql}");
        }
    }
}
