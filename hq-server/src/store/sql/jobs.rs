//! The console's long jobs: one row each, written by the process running the job and read by any.
#![allow(clippy::type_complexity)] // SQL rows read as tuples

use super::conn::{OptionalExtension, params};
use super::{SqlStore, from_micros, micros};
use crate::store::{JobRow, JobStore, StoreResult};

/// How long an ended job's row is kept.
const KEPT_MICROS: i64 = 3_600_000_000;

impl JobStore for SqlStore {
    fn create_job(&self, id: &str, owner: i64, kind: &str) -> StoreResult<()> {
        self.write(|tx| {
            let now = micros(self.now());
            tx.execute("DELETE FROM console_jobs WHERE ended_at < ?1", [now - KEPT_MICROS])?;
            tx.prepare_cached(
                "INSERT INTO console_jobs (id, owner, kind, phase, done, steps, outcome, started_at, updated_at, ended_at)
                 VALUES (?1, ?2, ?3, '', 0, NULL, NULL, ?4, ?4, NULL)",
            )?
            .execute(params![id, owner, kind, now])?;
            Ok(())
        })
    }

    fn job_progress(&self, id: &str, phase: &str, done: u64, steps: Option<u64>) -> StoreResult<()> {
        self.write(|tx| {
            tx.prepare_cached(
                "UPDATE console_jobs SET phase = ?2, done = ?3, steps = ?4, updated_at = ?5 WHERE id = ?1 AND ended_at IS NULL",
            )?
            .execute(params![
                id,
                phase,
                i64::try_from(done).unwrap_or(i64::MAX),
                steps.map(|s| i64::try_from(s).unwrap_or(i64::MAX)),
                micros(self.now())
            ])?;
            Ok(())
        })
    }

    fn finish_job(&self, id: &str, outcome: &str) -> StoreResult<()> {
        self.write(|tx| {
            let now = micros(self.now());
            tx.prepare_cached("UPDATE console_jobs SET outcome = ?2, updated_at = ?3, ended_at = ?3 WHERE id = ?1")?
                .execute(params![id, outcome, now])?;
            Ok(())
        })
    }

    fn job(&self, id: &str, owner: i64) -> StoreResult<Option<JobRow>> {
        self.read(|c| {
            let row: Option<(String, String, i64, Option<i64>, Option<String>, i64)> = c
                .prepare_cached(
                    "SELECT kind, phase, done, steps, outcome, updated_at FROM console_jobs WHERE id = ?1 AND owner = ?2",
                )?
                .query_row(params![id, owner], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)))
                .optional()?;
            Ok(row.map(|(kind, phase, done, steps, outcome, updated)| JobRow {
                kind,
                phase,
                done: u64::try_from(done).unwrap_or(0),
                steps: steps.and_then(|s| u64::try_from(s).ok()),
                outcome,
                updated_at: from_micros(updated),
            }))
        })
    }
}
