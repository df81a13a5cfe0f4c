//! One connection API over both of HQ's databases: SQLite (rusqlite) and PostgreSQL
//! (tokio-postgres, [`super::postgres`]). The store's SQL and logic are written once against
//! [`Conn`]; what differs between the engines (placeholders, a few functions, how values are
//! typed on the wire, what an error means) is decided here and in the backend modules.
//!
//! The API follows rusqlite's (`execute`, `query_row`, `prepare_cached`, `query_map`,
//! `optional`), so the store reads like ordinary rusqlite code. SQL is written with `?1`-style
//! placeholders, which the PostgreSQL side turns into `$1`.

use std::cell::{Cell, RefCell};

use super::postgres::PgConn;

/// A value going into or coming out of a statement.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

/// Why a statement failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `query_row` found nothing.
    #[error("no rows")]
    NoRows,
    /// A uniqueness, foreign-key, check or not-null rule refused the write.
    #[error("constraint violated: {0}")]
    Constraint(String),
    /// A write queued with a reason to refuse it ([`Conn::execute_later`]) broke a constraint:
    /// the reason.
    #[error("{0}")]
    Refused(String),
    /// A column's value is not of the type asked for.
    #[error("column {0}: {1}")]
    Conversion(usize, String),
    /// The connection to the database failed: nothing of the transaction was committed, unless
    /// it failed on the commit itself.
    #[error("database connection: {0}")]
    Connection(String),
    #[error("{0}")]
    Database(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// `Ok(None)` for [`Error::NoRows`], as rusqlite's `OptionalExtension`.
pub trait OptionalExtension<T> {
    fn optional(self) -> Result<Option<T>>;
}

impl<T> OptionalExtension<T> for Result<T> {
    fn optional(self) -> Result<Option<T>> {
        match self {
            Ok(v) => Ok(Some(v)),
            Err(Error::NoRows) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// A Rust value that can be bound to a placeholder.
pub trait ToValue {
    fn to_value(&self) -> Result<Value>;
}

macro_rules! int_to_value {
    ($($t:ty),*) => {$(
        impl ToValue for $t {
            fn to_value(&self) -> Result<Value> {
                i64::try_from(*self)
                    .map(Value::Int)
                    .map_err(|_| Error::Database(format!("{self} does not fit a 64-bit integer column")))
            }
        }
    )*};
}
int_to_value!(i8, i16, i32, i64, u8, u16, u32, u64, usize);

impl ToValue for bool {
    fn to_value(&self) -> Result<Value> {
        Ok(Value::Int(i64::from(*self)))
    }
}

impl ToValue for f64 {
    fn to_value(&self) -> Result<Value> {
        Ok(Value::Real(*self))
    }
}

impl ToValue for str {
    fn to_value(&self) -> Result<Value> {
        Ok(Value::Text(self.to_owned()))
    }
}

impl ToValue for String {
    fn to_value(&self) -> Result<Value> {
        Ok(Value::Text(self.clone()))
    }
}

impl ToValue for [u8] {
    fn to_value(&self) -> Result<Value> {
        Ok(Value::Blob(self.to_vec()))
    }
}

impl ToValue for Vec<u8> {
    fn to_value(&self) -> Result<Value> {
        Ok(Value::Blob(self.clone()))
    }
}

impl ToValue for Value {
    fn to_value(&self) -> Result<Value> {
        Ok(self.clone())
    }
}

impl<T: ToValue> ToValue for Option<T> {
    fn to_value(&self) -> Result<Value> {
        self.as_ref().map_or(Ok(Value::Null), ToValue::to_value)
    }
}

impl<T: ToValue + ?Sized> ToValue for &T {
    fn to_value(&self) -> Result<Value> {
        (**self).to_value()
    }
}

/// What a statement's placeholders are bound to: `[]`, `[a]`, `[a, b]` of one type, or
/// [`params!`](crate::params) for mixed types.
pub trait Params {
    fn values(self) -> Result<Vec<Value>>;
}

impl Params for [&dyn ToValue; 0] {
    fn values(self) -> Result<Vec<Value>> {
        Ok(Vec::new())
    }
}

impl Params for &[&dyn ToValue] {
    fn values(self) -> Result<Vec<Value>> {
        self.iter().map(|v| v.to_value()).collect()
    }
}

impl Params for Vec<Value> {
    fn values(self) -> Result<Vec<Value>> {
        Ok(self)
    }
}

macro_rules! array_params {
    ($($n:literal),*) => {$(
        impl<T: ToValue> Params for [T; $n] {
            fn values(self) -> Result<Vec<Value>> {
                self.iter().map(ToValue::to_value).collect()
            }
        }
    )*};
}
array_params!(1, 2, 3, 4, 5, 6, 7, 8);

/// Mixed-type parameters, as rusqlite's `params!`.
#[macro_export]
macro_rules! params {
    () => {
        &[] as &[&dyn $crate::store::sql::conn::ToValue]
    };
    ($($p:expr),+ $(,)?) => {
        &[$(&$p as &dyn $crate::store::sql::conn::ToValue),+] as &[&dyn $crate::store::sql::conn::ToValue]
    };
}
pub use crate::params;

/// A Rust value a column can be read as.
pub trait FromValue: Sized {
    fn from_value(v: Value) -> std::result::Result<Self, String>;
}

macro_rules! int_from_value {
    ($($t:ty),*) => {$(
        impl FromValue for $t {
            fn from_value(v: Value) -> std::result::Result<Self, String> {
                match v {
                    Value::Int(i) => <$t>::try_from(i).map_err(|_| format!("{i} is out of range for {}", stringify!($t))),
                    other => Err(format!("expected an integer, found {other:?}")),
                }
            }
        }
    )*};
}
int_from_value!(i8, i16, i32, i64, u8, u16, u32, u64, usize);

impl FromValue for bool {
    fn from_value(v: Value) -> std::result::Result<Self, String> {
        match v {
            Value::Int(i) => Ok(i != 0),
            other => Err(format!("expected a boolean, found {other:?}")),
        }
    }
}

impl FromValue for f64 {
    fn from_value(v: Value) -> std::result::Result<Self, String> {
        match v {
            Value::Real(f) => Ok(f),
            #[allow(clippy::cast_precision_loss)] // a count or sum read as a ratio's operand
            Value::Int(i) => Ok(i as f64),
            other => Err(format!("expected a number, found {other:?}")),
        }
    }
}

impl FromValue for String {
    fn from_value(v: Value) -> std::result::Result<Self, String> {
        match v {
            Value::Text(s) => Ok(s),
            other => Err(format!("expected text, found {other:?}")),
        }
    }
}

impl FromValue for Vec<u8> {
    fn from_value(v: Value) -> std::result::Result<Self, String> {
        match v {
            Value::Blob(b) => Ok(b),
            Value::Text(s) => Ok(s.into_bytes()),
            other => Err(format!("expected bytes, found {other:?}")),
        }
    }
}

impl FromValue for Value {
    fn from_value(v: Value) -> std::result::Result<Self, String> {
        Ok(v)
    }
}

impl<T: FromValue> FromValue for Option<T> {
    fn from_value(v: Value) -> std::result::Result<Self, String> {
        match v {
            Value::Null => Ok(None),
            v => T::from_value(v).map(Some),
        }
    }
}

/// A column's position (columns are read by position, as in the store's SQL).
pub trait ColumnIndex {
    fn index(self) -> usize;
}

impl ColumnIndex for usize {
    fn index(self) -> usize {
        self
    }
}

/// One row of a result.
pub struct Row<'r>(RowInner<'r>);

enum RowInner<'r> {
    Sqlite(&'r rusqlite::Row<'r>),
    Pg(&'r tokio_postgres::Row),
    Owned(&'r [Value]),
}

impl Row<'_> {
    pub fn get<I: ColumnIndex, T: FromValue>(&self, idx: I) -> Result<T> {
        let i = idx.index();
        let v = self.value(i)?;
        T::from_value(v).map_err(|e| Error::Conversion(i, e))
    }

    fn value(&self, i: usize) -> Result<Value> {
        match &self.0 {
            RowInner::Sqlite(r) => {
                use rusqlite::types::ValueRef;
                Ok(match r.get_ref(i).map_err(Error::from)? {
                    ValueRef::Null => Value::Null,
                    ValueRef::Integer(v) => Value::Int(v),
                    ValueRef::Real(v) => Value::Real(v),
                    ValueRef::Text(t) => {
                        Value::Text(String::from_utf8(t.to_vec()).map_err(|e| Error::Conversion(i, e.to_string()))?)
                    }
                    ValueRef::Blob(b) => Value::Blob(b.to_vec()),
                })
            }
            RowInner::Pg(r) => super::postgres::column_value(r, i),
            RowInner::Owned(values) => {
                values.get(i).cloned().ok_or_else(|| Error::Conversion(i, "no such column".into()))
            }
        }
    }

    fn width(&self) -> usize {
        match &self.0 {
            RowInner::Sqlite(r) => r.as_ref().column_count(),
            RowInner::Pg(r) => r.len(),
            RowInner::Owned(v) => v.len(),
        }
    }
}

/// Which database a connection is to, for the few places where the SQL differs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// A connection inside a transaction (a read or a write, as the store began it).
pub struct Conn<'a> {
    inner: ConnInner<'a>,
    savepoints: Cell<u32>,
    /// The audit chain's head as this transaction has moved it and not yet written to
    /// `audit_head` (`super::append_audit`): written once before the transaction commits and
    /// before each savepoint, instead of once per entry. (On PostgreSQL every update of the one
    /// head row in a long transaction leaves a row version the next update must step over, so
    /// an import of n rows, each audited, cost O(n²).)
    pub(crate) audit_head: RefCell<Option<PendingHead>>,
    /// Every policy version, when the transaction knows it cannot change them (ingest sets it for
    /// its batch): `policy_in_force_tx` and `policy_version_tx` answer from it without a read.
    pub(crate) policies: RefCell<Option<std::sync::Arc<Vec<shared::policy::MemberPolicy>>>>,
}

/// See [`Conn::audit_head`].
#[derive(Clone, Debug)]
pub(crate) struct PendingHead {
    pub id: i64,
    pub hash: String,
    /// Whether `audit_head` holds it already.
    pub written: bool,
}

enum ConnInner<'a> {
    Sqlite(&'a rusqlite::Connection),
    Pg(&'a PgConn),
}

impl<'a> Conn<'a> {
    pub(crate) fn sqlite(c: &'a rusqlite::Connection) -> Conn<'a> {
        Conn {
            inner: ConnInner::Sqlite(c),
            savepoints: Cell::new(0),
            audit_head: RefCell::new(None),
            policies: RefCell::new(None),
        }
    }

    pub(crate) fn pg(c: &'a PgConn) -> Conn<'a> {
        Conn {
            inner: ConnInner::Pg(c),
            savepoints: Cell::new(0),
            audit_head: RefCell::new(None),
            policies: RefCell::new(None),
        }
    }

    pub fn engine(&self) -> Engine {
        match self.inner {
            ConnInner::Sqlite(_) => Engine::Sqlite,
            ConnInner::Pg(_) => Engine::Postgres,
        }
    }

    /// Case-insensitive `LIKE` (SQLite's `LIKE` is, for ASCII; PostgreSQL's is not).
    pub fn like(&self) -> &'static str {
        match self.engine() {
            Engine::Sqlite => "LIKE",
            Engine::Postgres => "ILIKE",
        }
    }

    /// `expr` as text of at least two digits, zero-padded (a till's number in "B001-01").
    pub fn two_digits(&self, expr: &str) -> String {
        match self.engine() {
            Engine::Sqlite => format!("printf('%02d', {expr})"),
            Engine::Postgres => format!("lpad(({expr})::text, 2, '0')"),
        }
    }

    /// A subquery listing the elements of the JSON array bound to placeholder `n` (as integers
    /// when `integers`), for `x IN (…)` over a list of any length in one statement.
    pub fn json_list(&self, n: u32, integers: bool) -> String {
        match (self.engine(), integers) {
            (Engine::Sqlite, _) => format!("SELECT value FROM json_each(?{n})"),
            (Engine::Postgres, false) => format!("SELECT json_array_elements_text(?{n}::text::json)"),
            (Engine::Postgres, true) => format!("SELECT json_array_elements_text(?{n}::text::json)::bigint"),
        }
    }

    /// The texts of `expr` in a group joined by newlines.
    pub fn lines_agg(&self, expr: &str) -> String {
        match self.engine() {
            Engine::Sqlite => format!("GROUP_CONCAT({expr}, char(10))"),
            Engine::Postgres => format!("string_agg({expr}, chr(10))"),
        }
    }

    pub fn execute<P: Params>(&self, sql: &str, params: P) -> Result<usize> {
        self.prepare(sql)?.execute(params)
    }

    /// Runs statements without parameters, separated by semicolons.
    pub fn execute_batch(&self, sql: &str) -> Result<()> {
        match self.inner {
            ConnInner::Sqlite(c) => Ok(c.execute_batch(sql)?),
            ConnInner::Pg(c) => c.batch(sql),
        }
    }

    pub fn query_row<T, P: Params, F: FnOnce(&Row<'_>) -> Result<T>>(&self, sql: &str, params: P, f: F) -> Result<T> {
        self.prepare(sql)?.query_row(params, f)
    }

    pub fn prepare(&self, sql: &str) -> Result<Stmt<'_>> {
        Ok(Stmt(match self.inner {
            ConnInner::Sqlite(c) => StmtInner::SqliteOnce(c.prepare(sql)?),
            ConnInner::Pg(c) => StmtInner::Pg(c, c.prepare(sql)?),
        }))
    }

    /// Prepares `sql` once per connection and reuses it.
    pub fn prepare_cached(&self, sql: &str) -> Result<Stmt<'_>> {
        Ok(Stmt(match self.inner {
            ConnInner::Sqlite(c) => StmtInner::Sqlite(c.prepare_cached(sql)?),
            ConnInner::Pg(c) => StmtInner::Pg(c, c.prepare(sql)?),
        }))
    }

    /// Runs a write whose answer is not needed now. SQLite: at once. PostgreSQL: queued, and
    /// sent in order with the next statement the store waits for or by [`Conn::flush`], all in
    /// one round trip; its failure is then that statement's. A caller that must know which
    /// write failed (an ingested event, rejected alone) flushes before it moves on.
    /// `refused`: the reason to give, as [`Error::Refused`], if the write breaks a constraint.
    pub fn execute_later<P: Params>(&self, sql: &str, params: P, refused: Option<&dyn Fn() -> String>) -> Result<()> {
        match self.inner {
            ConnInner::Sqlite(_) => match self.prepare_cached(sql)?.execute(params) {
                Err(Error::Constraint(why)) => Err(refused.map_or(Error::Constraint(why), |r| Error::Refused(r()))),
                other => other.map(drop),
            },
            ConnInner::Pg(c) => {
                let statement = c.prepare(sql)?;
                c.execute_later(&statement, params.values()?, refused.map(|r| r()));
                Ok(())
            }
        }
    }

    /// Sends the writes [`Conn::execute_later`] queued and waits for them.
    pub fn flush(&self) -> Result<()> {
        match self.inner {
            ConnInner::Sqlite(_) => Ok(()),
            ConnInner::Pg(c) => c.flush(),
        }
    }

    /// A savepoint inside the transaction: [`Savepoint::commit`] keeps what was done since,
    /// dropping it without a commit undoes it (and, on PostgreSQL, clears a failed statement).
    /// On PostgreSQL its `SAVEPOINT` and `RELEASE` are queued as [`Conn::execute_later`]'s
    /// writes are: they cost no round trip of their own.
    pub fn savepoint(&self) -> Result<Savepoint<'_, 'a>> {
        // What the savepoint may undo starts from a written head.
        super::flush_audit_head(self)?;
        let n = self.savepoints.get() + 1;
        self.savepoints.set(n);
        let name = format!("sp{n}");
        self.batch_later(&format!("SAVEPOINT {name}"))?;
        Ok(Savepoint { conn: self, name, done: false })
    }

    fn batch_later(&self, sql: &str) -> Result<()> {
        match self.inner {
            ConnInner::Sqlite(_) => self.execute_batch(sql),
            ConnInner::Pg(c) => {
                c.batch_later(sql);
                Ok(())
            }
        }
    }
}

/// See [`Conn::savepoint`].
pub struct Savepoint<'c, 'a> {
    conn: &'c Conn<'a>,
    name: String,
    done: bool,
}

impl Savepoint<'_, '_> {
    pub fn commit(mut self) -> Result<()> {
        self.done = true;
        self.conn.batch_later(&format!("RELEASE SAVEPOINT {}", self.name))
    }
}

impl<'a> std::ops::Deref for Savepoint<'_, 'a> {
    type Target = Conn<'a>;

    fn deref(&self) -> &Conn<'a> {
        self.conn
    }
}

impl Drop for Savepoint<'_, '_> {
    fn drop(&mut self) {
        if !self.done {
            let undo = format!("ROLLBACK TO SAVEPOINT {0}; RELEASE SAVEPOINT {0}", self.name);
            if let Err(e) = self.conn.execute_batch(&undo) {
                tracing::error!(error = %e, "rolling back to a savepoint failed");
            }
            // Entries appended since are undone: the head is read again from `audit_head`,
            // which was written when the savepoint began.
            self.conn.audit_head.borrow_mut().take();
        }
    }
}

/// A prepared statement.
pub struct Stmt<'c>(StmtInner<'c>);

enum StmtInner<'c> {
    Sqlite(rusqlite::CachedStatement<'c>),
    SqliteOnce(rusqlite::Statement<'c>),
    Pg(&'c PgConn, tokio_postgres::Statement),
}

fn sqlite_values(values: Vec<Value>) -> impl Iterator<Item = rusqlite::types::Value> {
    values.into_iter().map(|v| match v {
        Value::Null => rusqlite::types::Value::Null,
        Value::Int(i) => rusqlite::types::Value::Integer(i),
        Value::Real(f) => rusqlite::types::Value::Real(f),
        Value::Text(s) => rusqlite::types::Value::Text(s),
        Value::Blob(b) => rusqlite::types::Value::Blob(b),
    })
}

impl<'c> Stmt<'c> {
    fn sqlite(&mut self) -> Option<&mut rusqlite::Statement<'c>> {
        match &mut self.0 {
            StmtInner::Sqlite(s) => Some(s),
            StmtInner::SqliteOnce(s) => Some(s),
            StmtInner::Pg(..) => None,
        }
    }

    /// Runs a statement that returns no rows; how many rows it changed.
    pub fn execute<P: Params>(&mut self, params: P) -> Result<usize> {
        let values = params.values()?;
        if let StmtInner::Pg(c, st) = &self.0 {
            return c.execute(st, values);
        }
        let st = self.sqlite().expect("a SQLite statement");
        Ok(st.execute(rusqlite::params_from_iter(sqlite_values(values)))?)
    }

    /// The first row through `f`; [`Error::NoRows`] when there is none.
    pub fn query_row<T, P: Params, F: FnOnce(&Row<'_>) -> Result<T>>(&mut self, params: P, f: F) -> Result<T> {
        let values = params.values()?;
        if let StmtInner::Pg(c, st) = &self.0 {
            let rows = c.query(st, values)?;
            return rows.first().map_or(Err(Error::NoRows), |r| f(&Row(RowInner::Pg(r))));
        }
        let st = self.sqlite().expect("a SQLite statement");
        let mut rows = st.query(rusqlite::params_from_iter(sqlite_values(values)))?;
        match rows.next()? {
            Some(r) => f(&Row(RowInner::Sqlite(r))),
            None => Err(Error::NoRows),
        }
    }

    /// Every row through `f` (read at once: the store's queries are bounded by their `LIMIT`).
    pub fn query_map<T, P: Params, F: FnMut(&Row<'_>) -> Result<T>>(
        &mut self,
        params: P,
        mut f: F,
    ) -> Result<std::vec::IntoIter<Result<T>>> {
        let values = params.values()?;
        if let StmtInner::Pg(c, st) = &self.0 {
            let rows = c.query(st, values)?;
            return Ok(rows.iter().map(|r| f(&Row(RowInner::Pg(r)))).collect::<Vec<_>>().into_iter());
        }
        let st = self.sqlite().expect("a SQLite statement");
        let mut rows = st.query(rusqlite::params_from_iter(sqlite_values(values)))?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push(f(&Row(RowInner::Sqlite(r))));
        }
        Ok(out.into_iter())
    }

    /// Every row, as values.
    pub fn query<P: Params>(&mut self, params: P) -> Result<Rows> {
        let rows = self.query_map(params, |r| (0..r.width()).map(|i| r.value(i)).collect::<Result<Vec<_>>>())?;
        Ok(Rows { rows: rows.collect::<Result<_>>()?, next: 0 })
    }
}

/// Rows read by [`Stmt::query`].
pub struct Rows {
    rows: Vec<Vec<Value>>,
    next: usize,
}

impl Rows {
    #[allow(clippy::unnecessary_wraps)] // the shape of rusqlite's `Rows::next`
    pub fn next_row(&mut self) -> Result<Option<Row<'_>>> {
        let row = self.rows.get(self.next);
        self.next += 1;
        Ok(row.map(|v| Row(RowInner::Owned(v))))
    }
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        match e {
            rusqlite::Error::QueryReturnedNoRows => Error::NoRows,
            rusqlite::Error::SqliteFailure(f, msg) if f.code == rusqlite::ErrorCode::ConstraintViolation => {
                Error::Constraint(msg.unwrap_or_else(|| f.to_string()))
            }
            e => Error::Database(e.to_string()),
        }
    }
}

impl From<Error> for crate::store::StoreError {
    fn from(e: Error) -> Self {
        use crate::store::StoreError;
        match e {
            Error::NoRows => StoreError::NotFound("record".into()),
            Error::Constraint(_) => StoreError::Conflict("a record with the same key already exists".into()),
            Error::Refused(why) => StoreError::Conflict(why),
            Error::Connection(e) => StoreError::Unavailable(e),
            e => StoreError::Internal(e.to_string()),
        }
    }
}

/// Whether an error is a uniqueness or other constraint violation.
pub(crate) fn is_constraint(e: &Error) -> bool {
    matches!(e, Error::Constraint(_))
}

/// `sql` with `?N` placeholders as PostgreSQL's `$N` (a bare `?` is numbered in order); text in
/// quotes is left alone.
pub(crate) fn dollar_placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut chars = sql.chars().peekable();
    let mut quote: Option<char> = None;
    let mut bare = 0;
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => {
                quote = None;
                out.push(c);
            }
            (Some(_), c) => out.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                out.push(c);
            }
            (None, '?') => {
                out.push('$');
                if chars.peek().is_some_and(char::is_ascii_digit) {
                    while let Some(d) = chars.next_if(char::is_ascii_digit) {
                        out.push(d);
                    }
                } else {
                    bare += 1;
                    out.push_str(&bare.to_string());
                }
            }
            (None, c) => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_become_dollars_outside_quotes() {
        assert_eq!(
            dollar_placeholders("SELECT a FROM t WHERE b = ?1 AND c = ?12 AND d = '?1' AND e = ?"),
            "SELECT a FROM t WHERE b = $1 AND c = $12 AND d = '?1' AND e = $1"
        );
        assert_eq!(dollar_placeholders("x LIKE ?2 ESCAPE '\\'"), "x LIKE $2 ESCAPE '\\'");
    }

    #[test]
    fn values_convert_both_ways() {
        assert_eq!(u32::from_value(Value::Int(7)), Ok(7));
        assert!(u32::from_value(Value::Int(-1)).is_err());
        assert_eq!(Option::<String>::from_value(Value::Null), Ok(None));
        assert!(String::from_value(Value::Int(1)).is_err());
        let too_big = u64::MAX.to_value().map_err(|e| e.to_string()).expect_err("beyond i64");
        assert!(too_big.contains("64-bit"), "{too_big}");
    }
}
