//! Expenses: the subjects, the entries (append-only: the table's triggers refuse an update or a
//! delete), and the P&L's columns, read from the finance reports and the entries in one snapshot.
#![allow(clippy::type_complexity)] // SQL rows read as tuples

use shared::expenses::{Month, check_amount, check_note};
use shared::ids::BranchId;

use super::conn::{Conn, OptionalExtension, params};
use super::{SqlStore, append_audit, from_micros, is_constraint, micros};
use crate::expenses::{
    ExpenseFilter, ExpenseRecord, ExpenseSource, ExpenseSubject, NewExpense, check_subject_code, check_subject_name,
};
use crate::model::Actor;
use crate::pnl::{MonthReports, PnlColumn, SubjectAmount};
use crate::reports::{ReportKind, ReportQuery};
use crate::store::{ExpenseStore, StoreError, StoreResult};

/// The subjects every chain starts with (issue 21: rent, wages, utilities, promotion costs, other),
/// in the order the P&L lists them.
const FIRST_SUBJECTS: [(&str, &str); 5] = [
    ("rent", "房租 Rent"),
    ("wages", "工资 Wages"),
    ("utilities", "水电费 Utilities"),
    ("promotion", "促销费用 Promotion costs"),
    ("other", "其他 Other"),
];

/// Puts in the first subjects when there are none (a new chain, or one just upgraded).
pub(super) fn ensure_subjects(tx: &Conn<'_>) -> StoreResult<()> {
    let n: i64 = tx.query_row("SELECT COUNT(*) FROM expense_subjects", [], |r| r.get(0))?;
    if n == 0 {
        // `created_at` orders the subjects: these come first, in this order.
        for (i, (code, name)) in FIRST_SUBJECTS.iter().enumerate() {
            tx.execute(
                "INSERT INTO expense_subjects (code, name, created_at) VALUES (?1, ?2, ?3)",
                params![code, name, i as i64],
            )?;
        }
    }
    Ok(())
}

fn subject(c: &Conn<'_>, code: &str) -> StoreResult<Option<ExpenseSubject>> {
    Ok(c.prepare_cached("SELECT code, name FROM expense_subjects WHERE code = ?1")?
        .query_row([code], |r| Ok(ExpenseSubject { code: r.get(0)?, name: r.get(1)? }))
        .optional()?)
}

const RECORD: &str = "SELECT e.id, e.branch_id, b.code, e.month, e.subject, s.name, e.amount, e.note, e.correction,
            e.corrects, e.source, e.created_by, e.created_at
     FROM expenses e JOIN branches b ON b.id = e.branch_id JOIN expense_subjects s ON s.code = e.subject";

fn record(r: &super::conn::Row<'_>) -> super::conn::Result<ExpenseRecord> {
    let month: String = r.get(3)?;
    let source: String = r.get(10)?;
    Ok(ExpenseRecord {
        id: r.get(0)?,
        branch_id: r.get(1)?,
        branch_code: r.get(2)?,
        month: Month::parse(&month).map_err(|e| super::conn::Error::Conversion(3, e.to_string()))?,
        subject: r.get(4)?,
        subject_name: r.get(5)?,
        amount: r.get(6)?,
        note: r.get(7)?,
        correction: r.get(8)?,
        corrects: r.get(9)?,
        source: if source == "import" { ExpenseSource::Import } else { ExpenseSource::Typed },
        created_by: r.get(11)?,
        created_at: from_micros(r.get(12)?),
    })
}

/// Checks one entry against the rules and what HQ has; the reason names the entry when there are
/// several (`entry 3: …`).
fn check_entry(tx: &Conn<'_>, e: &NewExpense, at: usize, of: usize) -> StoreResult<()> {
    let bad = |why: String| StoreError::Invalid(if of > 1 { format!("entry {}: {why}", at + 1) } else { why });
    check_amount(e.amount, e.correction).map_err(|err| bad(err.to_string()))?;
    check_note(&e.note).map_err(|err| bad(err.to_string()))?;
    let branch: Option<i64> =
        tx.prepare_cached("SELECT id FROM branches WHERE id = ?1")?.query_row([e.branch.0], |r| r.get(0)).optional()?;
    if branch.is_none() {
        return Err(bad(format!("there is no branch {}", e.branch.0)));
    }
    if subject(tx, &e.subject)?.is_none() {
        return Err(bad(format!("there is no expense subject `{}`", e.subject)));
    }
    if let Some(corrected) = e.corrects {
        if !e.correction {
            return Err(bad("only a correction names the entry it corrects".into()));
        }
        let original: Option<(i64, String, String)> = tx
            .prepare_cached("SELECT branch_id, month, subject FROM expenses WHERE id = ?1")?
            .query_row([corrected], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()?;
        match original {
            None => return Err(bad(format!("there is no expense {corrected} to correct"))),
            Some((b, m, s)) if b != e.branch.0 || m != e.month.to_string() || s != e.subject => {
                return Err(bad(format!(
                    "expense {corrected} is another branch's, month's or subject's: a correction books to the same"
                )));
            }
            Some(_) => {}
        }
    }
    Ok(())
}

impl ExpenseStore for SqlStore {
    fn expense_subjects(&self) -> StoreResult<Vec<ExpenseSubject>> {
        self.read(|c| {
            Ok(c.prepare_cached("SELECT code, name FROM expense_subjects ORDER BY created_at, code")?
                .query_map([], |r| Ok(ExpenseSubject { code: r.get(0)?, name: r.get(1)? }))?
                .collect::<Result<_, _>>()?)
        })
    }

    fn create_expense_subject(&self, actor: &Actor, s: ExpenseSubject) -> StoreResult<ExpenseSubject> {
        check_subject_code(&s.code).map_err(StoreError::Invalid)?;
        check_subject_name(&s.name).map_err(StoreError::Invalid)?;
        self.write(|tx| {
            if subject(tx, &s.code)?.is_some() {
                return Err(StoreError::Conflict(format!("expense subject `{}` exists already", s.code)));
            }
            tx.prepare_cached("INSERT INTO expense_subjects (code, name, created_at) VALUES (?1, ?2, ?3)")?
                .execute(params![s.code, s.name, micros(self.now())])
                .map_err(|e| {
                    if is_constraint(&e) {
                        StoreError::Conflict(format!("expense subject `{}` exists already", s.code))
                    } else {
                        e.into()
                    }
                })?;
            let entity = format!("expense_subject:{}", s.code);
            append_audit(tx, &self.audit_key, actor, self.now(), "create", &entity, None::<&()>, Some(&s))?;
            Ok(s)
        })
    }

    fn rename_expense_subject(&self, actor: &Actor, code: &str, name: &str) -> StoreResult<ExpenseSubject> {
        // A code no subject could have is none HQ has (and never reaches the database as it is).
        if check_subject_code(code).is_err() {
            return Err(StoreError::NotFound(format!("expense subject `{}`", code.escape_debug())));
        }
        check_subject_name(name).map_err(StoreError::Invalid)?;
        self.write(|tx| {
            let before = subject(tx, code)?.ok_or_else(|| StoreError::NotFound(format!("expense subject `{code}`")))?;
            if before.name == name {
                return Ok(before);
            }
            tx.prepare_cached("UPDATE expense_subjects SET name = ?2 WHERE code = ?1")?.execute(params![code, name])?;
            let after = ExpenseSubject { name: name.to_owned(), ..before.clone() };
            let entity = format!("expense_subject:{code}");
            append_audit(tx, &self.audit_key, actor, self.now(), "rename", &entity, Some(&before), Some(&after))?;
            Ok(after)
        })
    }

    fn book_expenses(
        &self,
        actor: &Actor,
        entries: &[NewExpense],
        source: ExpenseSource,
    ) -> StoreResult<Vec<ExpenseRecord>> {
        if entries.is_empty() {
            return Err(StoreError::Invalid("no expense to book".into()));
        }
        self.write(|tx| {
            for (i, e) in entries.iter().enumerate() {
                check_entry(tx, e, i, entries.len())?;
            }
            let now = self.now();
            let mut ids = Vec::with_capacity(entries.len());
            for e in entries {
                let id: i64 = tx
                    .prepare_cached(
                        "INSERT INTO expenses (branch_id, month, subject, amount, note, correction, corrects, source,
                                               created_by, created_at)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) RETURNING id",
                    )?
                    .query_row(
                        params![
                            e.branch.0,
                            e.month.to_string(),
                            e.subject,
                            e.amount.0,
                            e.note,
                            e.correction,
                            e.corrects,
                            source.code(),
                            actor.who,
                            micros(now)
                        ],
                        |r| r.get(0),
                    )?;
                ids.push(id);
            }
            let mut booked = Vec::with_capacity(ids.len());
            for id in ids {
                let e = tx.prepare_cached(&format!("{RECORD} WHERE e.id = ?1"))?.query_row([id], record)?;
                append_audit(
                    tx,
                    &self.audit_key,
                    actor,
                    now,
                    "create",
                    &format!("expense:{id}"),
                    None::<&()>,
                    Some(&e),
                )?;
                booked.push(e);
            }
            Ok(booked)
        })
    }

    fn list_expenses(&self, f: &ExpenseFilter) -> StoreResult<Vec<ExpenseRecord>> {
        self.read(|c| {
            Ok(c.prepare_cached(&format!(
                "{RECORD} WHERE e.month BETWEEN ?1 AND ?2 AND (CAST(?3 AS BIGINT) IS NULL OR e.branch_id = ?3)
                       AND (CAST(?4 AS TEXT) IS NULL OR e.subject = ?4)
                     ORDER BY e.id DESC LIMIT ?5"
            ))?
            .query_map(
                params![f.from.to_string(), f.to.to_string(), f.branch.map(|b| b.0), f.subject, i64::from(f.limit)],
                record,
            )?
            .collect::<Result<Vec<_>, _>>()?)
        })
    }

    fn pnl_columns(&self, branch: Option<BranchId>, months: &[Month]) -> StoreResult<Vec<PnlColumn>> {
        let now = self.now();
        self.read(|c| {
            months
                .iter()
                .map(|&month| {
                    let report = |kind| {
                        let q = ReportQuery { kind, from: month.first_day(), to: month.last_day(), branch };
                        super::reports::report_in(c, &q, now)
                    };
                    let sales_by_branch = report(ReportKind::SalesByBranch)?;
                    let refunds_and_voids = report(ReportKind::RefundsAndVoids)?;
                    let promotions = report(ReportKind::Promotions)?;
                    let points = report(ReportKind::Points)?;
                    let stored_value = report(ReportKind::StoredValue)?;
                    let expenses: Vec<SubjectAmount> = c
                        .prepare_cached(
                            "SELECT e.subject, MAX(s.name), CAST(SUM(e.amount) AS BIGINT), MIN(s.created_at)
                             FROM expenses e JOIN expense_subjects s ON s.code = e.subject
                             WHERE e.month = ?1 AND (CAST(?2 AS BIGINT) IS NULL OR e.branch_id = ?2)
                             GROUP BY e.subject ORDER BY 4, 1",
                        )?
                        .query_map(params![month.to_string(), branch.map(|b| b.0)], |r| {
                            Ok(SubjectAmount { subject: r.get(0)?, name: r.get(1)?, amount: r.get(2)? })
                        })?
                        .collect::<Result<_, _>>()?;
                    // The policy in force at the month's end (or now, for a month not over yet).
                    let end = month
                        .last_day()
                        .tomorrow()
                        .ok()
                        .and_then(|d| d.to_zoned(crate::calendar::hq_zone()).ok())
                        .map_or(now, |z| z.timestamp().min(now));
                    let policy = super::policy_in_force_tx(c, end)?;
                    let reports = MonthReports {
                        sales_by_branch: &sales_by_branch,
                        refunds_and_voids: &refunds_and_voids,
                        promotions: &promotions,
                        points: &points,
                        stored_value: &stored_value,
                    };
                    crate::pnl::column(month, &reports, &policy.redeem, expenses)
                        .map_err(|e| StoreError::Internal(format!("the P&L of {month}: {e}")))
                })
                .collect()
        })
    }
}
