//! Expenses (费用) at HQ: what finance books to each branch, month and subject, typed or read from
//! a CSV file, and what the store keeps of them. The rules of one entry are `shared::expenses`;
//! the P&L they feed is [`crate::pnl`].
//!
//! The CSV (a header names the columns; order is free): `branch` (a branch code), `month`
//! (`YYYY-MM`), `subject` (a subject code), `amount` (yuan, `1234.50`), `note` (optional),
//! `correction` (optional: `yes` for a correction, the only kind that may be negative). Every line
//! is checked first and each bad one listed with its line number and reason; only a file without a
//! bad line is booked, in one transaction.

use std::collections::HashMap;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use shared::expenses::{ExpenseFields, Month, parse_expense_row};
use shared::ids::BranchId;
use shared::money::Money;
use utoipa::ToSchema;

use crate::import::{CsvError, CsvFile, RowError, open_csv, phase};
use crate::model::Actor;
use crate::store::{ImportSummary, Store};

/// What an expense is booked to (rent, wages, …): a code that never changes, a name finance edits.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ExpenseSubject {
    pub code: String,
    pub name: String,
}

/// Where an entry came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExpenseSource {
    /// The console's form or the API.
    Typed,
    /// A CSV file.
    Import,
}

impl ExpenseSource {
    pub fn code(self) -> &'static str {
        match self {
            ExpenseSource::Typed => "typed",
            ExpenseSource::Import => "import",
        }
    }
}

/// An entry to book.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewExpense {
    pub branch: BranchId,
    pub month: Month,
    pub subject: String,
    pub amount: Money,
    pub note: String,
    /// A correction of an earlier entry: it may be negative.
    pub correction: bool,
    /// The entry it corrects, if it names one (same branch, month and subject).
    pub corrects: Option<i64>,
}

/// A booked entry, as listed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ExpenseRecord {
    pub id: i64,
    pub branch_id: i64,
    pub branch_code: String,
    /// `YYYY-MM`.
    #[schema(value_type = String, example = "2026-11")]
    pub month: Month,
    pub subject: String,
    pub subject_name: String,
    /// Fen; negative only in a correction.
    pub amount: i64,
    pub note: String,
    pub correction: bool,
    pub corrects: Option<i64>,
    pub source: ExpenseSource,
    /// Who booked it (`user:3:finance`).
    pub created_by: String,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
}

/// Which entries to list: months `from..=to`, one branch or all, one subject or all.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExpenseFilter {
    pub branch: Option<BranchId>,
    pub from: Month,
    pub to: Month,
    pub subject: Option<String>,
    /// At most this many, newest first.
    pub limit: u32,
}

/// A subject's code: 1–32 lower-case ASCII letters, digits, `_` or `-`, as a file names it.
pub fn check_subject_code(code: &str) -> Result<(), String> {
    let ok = (1..=32).contains(&code.len())
        && code.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(format!("subject code `{}` must be 1–32 of a–z, 0–9, _ and -", code.escape_debug()))
    }
}

/// A subject's name: 1–100 printable characters.
pub fn check_subject_name(name: &str) -> Result<(), String> {
    crate::rules::expense_subject_name(name)
}

/// The columns of the expense CSV.
pub const COLUMNS: [&str; 6] = ["branch", "month", "subject", "amount", "note", "correction"];
const REQUIRED: [&str; 4] = ["branch", "month", "subject", "amount"];

/// Reads and checks every line: `Ok(entries)` only when no line is bad; each bad one is named
/// with its line number (the header is line 1) and why.
pub fn parse_expenses(store: &dyn Store, csv_bytes: &[u8]) -> Result<Result<Vec<NewExpense>, Vec<RowError>>, CsvError> {
    let CsvFile { mut reader, index, .. } = match open_csv(csv_bytes, &COLUMNS, &REQUIRED)? {
        Ok(file) => file,
        Err(errors) => return Ok(Err(errors)),
    };
    let mut errors = Vec::new();
    let branches: HashMap<String, BranchId> =
        store.list_branches()?.into_iter().map(|b| (b.code.to_lowercase(), b.id)).collect();
    let subjects: Vec<String> = store.expense_subjects()?.into_iter().map(|s| s.code).collect();
    let mut entries = Vec::new();
    for record in reader.records() {
        let line = match &record {
            Ok(r) => r.position().map_or(0, |p| p.line()),
            Err(e) => e.position().map_or(0, |p| p.line()),
        };
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                errors.push(RowError { line, reason: format!("unreadable line: {e}") });
                continue;
            }
        };
        if record.iter().all(str::is_empty) {
            continue;
        }
        let get = |col: &str| index.get(col).and_then(|&i| record.get(i)).unwrap_or("");
        let fields = ExpenseFields {
            branch: get("branch"),
            month: get("month"),
            subject: get("subject"),
            amount: get("amount"),
            note: get("note"),
            correction: get("correction"),
        };
        let row = match parse_expense_row(&fields) {
            Ok(row) => row,
            Err(e) => {
                errors.push(RowError { line, reason: e.to_string() });
                continue;
            }
        };
        let Some(&branch) = branches.get(&row.branch.to_lowercase()) else {
            errors.push(RowError { line, reason: format!("there is no branch `{}`", row.branch) });
            continue;
        };
        if !subjects.contains(&row.subject) {
            errors.push(RowError { line, reason: format!("there is no expense subject `{}`", row.subject) });
            continue;
        }
        entries.push(NewExpense {
            branch,
            month: row.month,
            subject: row.subject,
            amount: row.amount,
            note: row.note,
            correction: row.correction,
            corrects: None,
        });
    }
    if entries.is_empty() && errors.is_empty() {
        errors.push(RowError { line: 1, reason: "the file has no expense lines".into() });
    }
    Ok(if errors.is_empty() { Ok(entries) } else { Err(errors) })
}

/// Checks a file and books it whole, or names its bad lines and books nothing.
pub fn import_expenses(
    store: &dyn Store,
    actor: &Actor,
    csv_bytes: &[u8],
    progress: &indicatif::ProgressBar,
) -> Result<Result<ImportSummary, Vec<RowError>>, CsvError> {
    phase(progress, "checking", 1);
    let entries = match parse_expenses(store, csv_bytes)? {
        Ok(entries) => entries,
        Err(rows) => return Ok(Err(rows)),
    };
    phase(progress, "importing", entries.len() as u64);
    let booked = store.book_expenses(actor, &entries, ExpenseSource::Import)?;
    progress.set_position(booked.len() as u64);
    Ok(Ok(ImportSummary { created: booked.len() as u64, updated: 0 }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subject_codes_and_names() {
        assert!(check_subject_code("rent").is_ok());
        assert!(check_subject_code("store-cleaning_2").is_ok());
        for bad in ["", "Rent", "房租", "a b", &"x".repeat(33)] {
            assert!(check_subject_code(bad).is_err(), "{bad}");
        }
        assert!(check_subject_name("保洁费 Cleaning").is_ok());
        assert!(check_subject_name(" ").is_err());
    }
}
