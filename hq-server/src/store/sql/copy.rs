//! `hq-server migrate --from … --to …`: moves a chain's data from one store to another (SQLite to
//! PostgreSQL when a chain outgrows one machine; PostgreSQL to SQLite works the same way, for a
//! copy to inspect). The source is read in one snapshot, so HQ may keep serving from it while the
//! copy runs (what it writes after the snapshot is not moved: stop the tills' pushes, or run it
//! again into a fresh target, before switching over). The target must be empty; everything is
//! written in one transaction; afterwards every table's count is compared with the snapshot's
//! and the audit chain is verified on the target with the same key.

use std::path::Path;

use super::conn::{Conn, Engine, Value};
use super::{Location, SqlStore};
use crate::clock::Clock;
use crate::store::{AuditStore, StoreError, StoreResult};

/// Every table HQ keeps, parents before children (the order the schema creates them in).
/// `schema_migrations` is each store's own and is not moved.
pub const TABLES: &[&str] = &[
    "branches",
    "users",
    "sessions",
    "login_failures",
    "tills",
    "staff",
    "categories",
    "brands",
    "products",
    "product_barcodes",
    "branch_prices",
    "member_policies",
    "changes",
    "audit_log",
    "audit_head",
    "events",
    "till_sync",
    "seq_gaps",
    "sales",
    "sale_lines",
    "sale_tenders",
    "refunds",
    "refund_lines",
    "refund_tenders",
    "shifts",
    "z_reports",
    "cash_movements",
    "day_closes",
    "member_enrolments",
    "till_audit",
    "members",
    "member_cards",
    "ledger_entries",
    "points_lots",
    "holds",
    "topups",
    "pending_attributions",
    "member_merges",
    "tier_changes",
    "member_daily_runs",
    "member_code_seq",
    "member_visits",
    "event_flags",
    "login_known",
    "promotion_set_version",
    "promotions",
    "promotion_revisions",
    "sale_line_promotions",
    "coupon_campaigns",
    "coupons",
    "coupon_holds",
    "sale_coupons",
    "member_sessions",
    "sign_in_codes",
    "sms_log",
    "console_jobs",
    "targets",
    "care_campaigns",
    "care_messages",
    "expense_subjects",
    "expenses",
    "complaint_categories",
    "complaints",
    "complaint_history",
    "branch_days",
    "rfm_runs",
    "rfm_members",
    "stock_movements",
    "stock_levels",
    "suppliers",
    "purchase_orders",
    "purchase_order_lines",
    "stock_receipts",
    "transfers",
    "transfer_lines",
    "stock_counts",
    "stock_count_snapshot",
    "stock_count_entries",
    "stock_settings",
    "stock_count_batches",
    "payment_attempts",
    "payment_calls",
    "payment_refunds",
    "payment_statements",
    "payment_statement_lines",
    "payment_statement_rejections",
];

/// Rows per `INSERT` (PostgreSQL takes at most 65,535 parameters in one statement).
const ROWS_PER_INSERT: usize = 200;

/// What a move did: each table's rows, and the audit chain's length on the target.
#[derive(Debug, Default)]
pub struct MoveReport {
    pub tables: Vec<(&'static str, u64)>,
    pub audit_entries: u64,
}

impl MoveReport {
    pub fn rows(&self) -> u64 {
        self.tables.iter().map(|(_, n)| n).sum()
    }
}

/// Moves everything from `from` to `to` (see the module's documentation). `audit_key` is the
/// chain's key file (for a SQLite source, by default the file beside it).
pub fn move_data(from: &Location, to: &Location, audit_key: Option<&Path>) -> StoreResult<MoveReport> {
    if from == to {
        return Err(StoreError::Invalid("the source and the target are the same database".into()));
    }
    let key = match (audit_key, from) {
        (Some(k), _) => k.to_path_buf(),
        (None, Location::Sqlite(path)) => crate::audit::AuditKey::default_path(path),
        (None, Location::Postgres(_)) => {
            return Err(StoreError::Invalid("name the audit key file (--audit-key) of the PostgreSQL source".into()));
        }
    };
    if !key.exists() {
        return Err(StoreError::Invalid(format!(
            "the audit key {} does not exist: the source's chain could not be verified after the move",
            key.display()
        )));
    }
    let source = SqlStore::open_location(from, Clock::system(), Some(&key))?;
    let target = SqlStore::open_schema_only(to, Clock::system(), &key)?;
    let mut report = MoveReport::default();
    source.read(|src| {
        target.write(|dst| {
            for table in TABLES {
                let n: i64 = dst.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))?;
                if n > 0 {
                    return Err(StoreError::Conflict(format!(
                        "the target is not empty ({table} has {n} rows): HQ moves a chain only into an empty database"
                    )));
                }
            }
            for table in TABLES {
                let copied = copy_table(src, dst, table)?;
                report.tables.push((table, copied));
            }
            if dst.engine() == Engine::Postgres {
                restart_identities(dst)?;
            }
            Ok(())
        })?;
        // The target against the same snapshot.
        target.read(|dst| {
            for (table, copied) in &report.tables {
                let n: u64 = dst.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))?;
                if n != *copied {
                    return Err(StoreError::Internal(format!("{table}: {copied} rows copied but {n} in the target")));
                }
            }
            Ok(())
        })
    })?;
    let verdict = target.verify_audit()?;
    if !verdict.intact() {
        return Err(StoreError::Internal(format!(
            "the audit chain does not verify on the target: {}",
            verdict.problems.join("; ")
        )));
    }
    if source.audit_head()? != target.audit_head()? {
        return Err(StoreError::Internal("the audit chain's head differs between source and target".into()));
    }
    report.audit_entries = verdict.entries;
    Ok(report)
}

/// The columns both stores have for `table` (the target's PostgreSQL `rowid` of
/// `product_barcodes` is its own: rows go in the source's order, so it follows).
fn columns(c: &Conn<'_>, table: &str) -> StoreResult<Vec<String>> {
    let names: Vec<String> = match c.engine() {
        Engine::Sqlite => c
            .prepare(&format!("SELECT name FROM pragma_table_info('{table}') ORDER BY cid"))?
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?,
        Engine::Postgres => c
            .prepare(
                "SELECT column_name::text FROM information_schema.columns
                 WHERE table_schema = current_schema() AND table_name = ?1 ORDER BY ordinal_position",
            )?
            .query_map([table], |r| r.get(0))?
            .collect::<Result<_, _>>()?,
    };
    Ok(names.into_iter().filter(|n| n != "rowid").collect())
}

fn copy_table(src: &Conn<'_>, dst: &Conn<'_>, table: &str) -> StoreResult<u64> {
    let cols = columns(src, table)?;
    let theirs = columns(dst, table)?;
    if cols != theirs {
        return Err(StoreError::Internal(format!(
            "{table}: the stores' columns differ ({} / {}); are both at the latest schema?",
            cols.join(","),
            theirs.join(",")
        )));
    }
    let order = match (src.engine(), table) {
        (Engine::Sqlite, _) => "rowid",
        (Engine::Postgres, "product_barcodes") => "rowid",
        (Engine::Postgres, _) => "1",
    };
    let list = cols.join(", ");
    let mut rows = src.prepare(&format!("SELECT {list} FROM {table} ORDER BY {order}"))?.query([])?;
    let mut batch: Vec<Value> = Vec::with_capacity(ROWS_PER_INSERT * cols.len());
    let mut copied = 0u64;
    let flush = |batch: &mut Vec<Value>| -> StoreResult<()> {
        if batch.is_empty() {
            return Ok(());
        }
        let n = batch.len() / cols.len();
        let values = (0..n)
            .map(|r| {
                let ps: Vec<String> = (1..=cols.len()).map(|k| format!("?{}", r * cols.len() + k)).collect();
                format!("({})", ps.join(", "))
            })
            .collect::<Vec<_>>()
            .join(", ");
        dst.execute(&format!("INSERT INTO {table} ({list}) VALUES {values}"), std::mem::take(batch))?;
        Ok(())
    };
    while let Some(row) = rows.next_row()? {
        for i in 0..cols.len() {
            batch.push(row.get::<_, Value>(i)?);
        }
        copied += 1;
        if batch.len() >= ROWS_PER_INSERT * cols.len() {
            flush(&mut batch)?;
        }
    }
    flush(&mut batch)?;
    Ok(copied)
}

/// Moves every identity column's sequence past the ids copied into it.
fn restart_identities(dst: &Conn<'_>) -> StoreResult<()> {
    let identities: Vec<(String, String)> = dst
        .prepare(
            "SELECT table_name::text, column_name::text FROM information_schema.columns
             WHERE table_schema = current_schema() AND is_identity = 'YES' AND column_name <> 'rowid'",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    for (table, column) in identities {
        dst.execute_batch(&format!(
            "SELECT setval(pg_get_serial_sequence('{table}', '{column}'), COALESCE((SELECT MAX({column}) FROM {table}), 0) + 1, false)"
        ))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_table_of_the_schema_is_moved() {
        let dir = tempfile::tempdir().expect("dir");
        let store = super::SqlStore::open(&dir.path().join("hq.sqlite")).expect("store");
        let mut tables: Vec<String> = store
            .read(|c| {
                Ok(c.prepare(
                    "SELECT name FROM sqlite_master WHERE type = 'table'
                     AND name NOT IN ('schema_migrations', 'sqlite_sequence') ORDER BY rowid",
                )?
                .query_map([], |r| r.get(0))?
                .collect::<Result<_, _>>()?)
            })
            .expect("tables");
        // The schema's order, but for a table a later version made that an older one's new column
        // refers to (`brands`, for `products.brand_id`): it goes before the table referring to it.
        let schema_order: Vec<&str> = tables.iter().map(String::as_str).filter(|t| *t != "brands").collect();
        let listed: Vec<&str> = super::TABLES.iter().copied().filter(|t| *t != "brands").collect();
        assert_eq!(listed, schema_order, "TABLES lists every table, in the schema's order");
        for (i, table) in super::TABLES.iter().enumerate() {
            let parents: Vec<String> = store
                .read(|c| {
                    Ok(c.prepare(&format!("SELECT \"table\" FROM pragma_foreign_key_list('{table}')"))?
                        .query_map([], |r| r.get(0))?
                        .collect::<Result<_, _>>()?)
                })
                .expect("foreign keys");
            for p in parents.iter().filter(|p| p.as_str() != *table) {
                let at = super::TABLES.iter().position(|t| t == p).expect("a parent is moved too");
                assert!(at < i, "{p} is moved before {table}, which refers to it");
            }
        }
        tables.sort();
        tables.dedup();
        assert_eq!(tables.len(), super::TABLES.len());
    }
}
