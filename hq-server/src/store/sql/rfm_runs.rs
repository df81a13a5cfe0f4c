//! Stored RFM runs (the nightly member analysis): a run's row with its progress, its members
//! written in batches, the newest done run read back. The same SQL on both stores.
#![allow(clippy::type_complexity)] // SQL rows read as tuples

use jiff::Timestamp;
use jiff::civil::Date;

use super::conn::{OptionalExtension, Row, Value, params};
use super::{SqlStore, from_micros, micros};
use crate::analysis::{RfmRun, ScoredMember};
use crate::store::{StoreError, StoreResult};

/// Members per `INSERT`: 12 values a member, under SQLite's 32,766 and PostgreSQL's 65,535
/// parameters a statement.
const ROWS_PER_INSERT: usize = 2_000;

const RUN_COLUMNS: &str =
    "id, from_day, to_day, state, phase, done, steps, started_by, started_at, finished_at, members, error";

fn day(text: &str) -> StoreResult<Date> {
    text.parse().map_err(|e: jiff::Error| StoreError::Internal(format!("a stored day `{text}`: {e}")))
}

fn count(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

fn run_row(
    r: &Row<'_>,
) -> super::conn::Result<(
    i64,
    String,
    String,
    String,
    String,
    i64,
    Option<i64>,
    String,
    i64,
    Option<i64>,
    Option<i64>,
    Option<String>,
)> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
        r.get(8)?,
        r.get(9)?,
        r.get(10)?,
        r.get(11)?,
    ))
}

fn to_run(
    (id, from, to, state, phase, done, steps, by, started, finished, members, error): (
        i64,
        String,
        String,
        String,
        String,
        i64,
        Option<i64>,
        String,
        i64,
        Option<i64>,
        Option<i64>,
        Option<String>,
    ),
) -> StoreResult<RfmRun> {
    Ok(RfmRun {
        id,
        from: day(&from)?,
        to: day(&to)?,
        state,
        phase,
        done: count(done),
        steps: steps.map(count),
        started_by: by,
        started_at: from_micros(started),
        finished_at: finished.map(from_micros),
        members: members.map(count),
        error,
    })
}

fn big(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl SqlStore {
    pub(super) fn start_rfm_run_(
        &self,
        from: Date,
        to: Date,
        by: &str,
        now: Timestamp,
        stale_before: Timestamp,
    ) -> StoreResult<Option<i64>> {
        self.write(|tx| {
            tx.execute(
                "UPDATE rfm_runs SET state = 'failed', finished_at = ?1,
                        error = 'its HQ process stopped before the run ended'
                 WHERE state = 'running' AND alive_at < ?2",
                params![micros(now), micros(stale_before)],
            )?;
            // The partial unique index lets one run be running: a second is not inserted.
            Ok(tx
                .query_row(
                    "INSERT INTO rfm_runs (from_day, to_day, state, phase, done, steps, started_by, started_at, alive_at)
                     VALUES (?1, ?2, 'running', 'reading', 0, NULL, ?3, ?4, ?4)
                     ON CONFLICT DO NOTHING RETURNING id",
                    params![from.to_string(), to.to_string(), by, micros(now)],
                    |r| r.get::<_, i64>(0),
                )
                .optional()?)
        })
    }

    pub(super) fn rfm_progress_(
        &self,
        run: i64,
        phase: &str,
        done: u64,
        steps: Option<u64>,
        now: Timestamp,
    ) -> StoreResult<()> {
        self.write(|tx| {
            tx.prepare_cached(
                "UPDATE rfm_runs SET phase = ?2, done = ?3, steps = ?4, alive_at = ?5 WHERE id = ?1 AND state = 'running'",
            )?
            .execute(params![run, phase, big(done), steps.map(big), micros(now)])?;
            Ok(())
        })
    }

    pub(super) fn add_rfm_members_(
        &self,
        run: i64,
        first_rank: u64,
        members: &[ScoredMember],
        now: Timestamp,
    ) -> StoreResult<()> {
        self.write(|tx| {
            for (k, chunk) in members.chunks(ROWS_PER_INSERT).enumerate() {
                let mut values: Vec<Value> = Vec::with_capacity(chunk.len() * 12);
                let mut rows: Vec<String> = Vec::with_capacity(chunk.len());
                for (i, m) in chunk.iter().enumerate() {
                    let rank = first_rank + (k * ROWS_PER_INSERT + i) as u64;
                    let at = values.len();
                    rows.push(format!(
                        "({})",
                        (1..=12).map(|p| format!("?{}", at + p)).collect::<Vec<_>>().join(", ")
                    ));
                    values.extend([
                        Value::Int(run),
                        Value::Int(big(rank)),
                        Value::Text(m.member_id.clone()),
                        Value::Text(m.code.clone()),
                        Value::Text(m.name.clone()),
                        Value::Text(m.segment.clone()),
                        Value::Int(i64::from(m.r)),
                        Value::Int(i64::from(m.f)),
                        Value::Int(i64::from(m.m)),
                        Value::Text(m.last_day.to_string()),
                        Value::Int(i64::from(m.orders)),
                        Value::Int(m.spend),
                    ]);
                }
                tx.execute(
                    &format!(
                        "INSERT INTO rfm_members (run_id, rank, member_id, code, name, segment, r, f, m, last_day, orders, spend)
                         VALUES {}",
                        rows.join(", ")
                    ),
                    values,
                )?;
            }
            let written = first_rank - 1 + members.len() as u64;
            tx.prepare_cached("UPDATE rfm_runs SET done = ?2, alive_at = ?3 WHERE id = ?1 AND state = 'running'")?
                .execute(params![run, big(written), micros(now)])?;
            Ok(())
        })
    }

    pub(super) fn finish_rfm_run_(
        &self,
        run: i64,
        outcome: Result<(u64, &str), &str>,
        keep: u32,
        now: Timestamp,
    ) -> StoreResult<()> {
        self.write(|tx| {
            match outcome {
                Ok((members, report)) => {
                    let n = tx.execute(
                        "UPDATE rfm_runs SET state = 'done', phase = '', finished_at = ?2, alive_at = ?2, members = ?3, report = ?4
                         WHERE id = ?1 AND state = 'running'",
                        params![run, micros(now), big(members), report],
                    )?;
                    if n == 0 {
                        return Err(StoreError::Conflict(format!(
                            "RFM run {run} is no longer running (taken for lost after a long silence)"
                        )));
                    }
                    // Older runs' members go: the newest `keep` done runs stay readable.
                    let old: Vec<i64> = tx
                        .prepare(
                            "SELECT id FROM rfm_runs WHERE state = 'failed'
                             OR (state = 'done' AND id NOT IN
                                 (SELECT id FROM rfm_runs WHERE state = 'done' ORDER BY id DESC LIMIT ?1))",
                        )?
                        .query_map([i64::from(keep.max(1))], |r| r.get(0))?
                        .collect::<Result<_, _>>()?;
                    for id in old {
                        tx.execute("DELETE FROM rfm_members WHERE run_id = ?1", [id])?;
                        tx.execute("UPDATE rfm_runs SET report = NULL WHERE id = ?1", [id])?;
                    }
                }
                Err(why) => {
                    tx.execute(
                        "UPDATE rfm_runs SET state = 'failed', finished_at = ?2, error = ?3 WHERE id = ?1 AND state = 'running'",
                        params![run, micros(now), why],
                    )?;
                    tx.execute("DELETE FROM rfm_members WHERE run_id = ?1", [run])?;
                }
            }
            Ok(())
        })
    }

    pub(super) fn rfm_runs_(&self, limit: u32) -> StoreResult<Vec<RfmRun>> {
        self.read(|c| {
            let rows = c
                .prepare(&format!("SELECT {RUN_COLUMNS} FROM rfm_runs ORDER BY id DESC LIMIT ?1"))?
                .query_map([i64::from(limit)], run_row)?
                .collect::<Result<Vec<_>, _>>()?;
            rows.into_iter().map(to_run).collect()
        })
    }

    pub(super) fn latest_rfm_report_(&self) -> StoreResult<Option<(RfmRun, String)>> {
        self.read(|c| {
            let found = c
                .query_row(
                    &format!(
                        "SELECT {RUN_COLUMNS}, report FROM rfm_runs
                         WHERE state = 'done' AND report IS NOT NULL ORDER BY id DESC LIMIT 1"
                    ),
                    [],
                    |r| Ok((run_row(r)?, r.get::<_, String>(12)?)),
                )
                .optional()?;
            found.map(|(row, report)| Ok((to_run(row)?, report))).transpose()
        })
    }

    pub(super) fn rfm_members_(
        &self,
        run: i64,
        segment: Option<&str>,
        limit: Option<u64>,
    ) -> StoreResult<Vec<ScoredMember>> {
        self.read(|c| {
            // One statement for a segment or every one (`segment >= ''`), each with its plan.
            let (op, seg) = match segment {
                Some(s) => ("=", s.to_owned()),
                None => (">=", String::new()),
            };
            let rows: Vec<(String, String, String, String, i64, i64, i64, String, i64, i64)> = c
                .prepare_cached(&format!(
                    "SELECT member_id, code, name, segment, r, f, m, last_day, orders, spend FROM rfm_members
                     WHERE run_id = ?1 AND segment {op} ?2 ORDER BY rank LIMIT ?3"
                ))?
                .query_map(params![run, seg, limit.map_or(i64::MAX, big)], |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                        r.get(6)?,
                        r.get(7)?,
                        r.get(8)?,
                        r.get(9)?,
                    ))
                })?
                .collect::<Result<_, _>>()?;
            rows.into_iter()
                .map(|(member_id, code, name, segment, r, f, m, last, orders, spend)| {
                    Ok(ScoredMember {
                        member_id,
                        code,
                        name,
                        segment,
                        r: u8::try_from(r).unwrap_or(0),
                        f: u8::try_from(f).unwrap_or(0),
                        m: u8::try_from(m).unwrap_or(0),
                        last_day: day(&last)?,
                        orders: u32::try_from(orders).unwrap_or(u32::MAX),
                        spend,
                    })
                })
                .collect()
        })
    }
}
