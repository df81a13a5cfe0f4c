//! The nightly member analysis (夜间会员分析): RFM over every member who bought in the last year
//! is computed once (by the daily command at night, or when HQ staff ask from the console or the
//! API) and stored, so the segment pages read one run's rows instead of a year of sales. A run
//! writes its progress as it goes (any HQ process shows it); one runs at a time in the chain.
//!
//! The scoring is `shared::analysis`'s, put together by [`crate::analysis`]; this is the shell
//! that reads, scores and writes in batches.

use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};

use crate::analysis::{ScoredMember, report, scored};
use crate::store::{Store, StoreError, StoreResult};

/// Done runs whose members stay readable (the newest; older ones keep only their row).
pub const KEEP_RUNS: u32 = 3;
/// A running run not heard of for this long lost its process (the reading phase of a large chain
/// is one query of some seconds, well inside it).
pub const SILENT_FOR: SignedDuration = SignedDuration::from_mins(10);
/// Members written in one transaction.
const MEMBERS_PER_WRITE: usize = 10_000;
/// Who starts the nightly runs.
pub const NIGHTLY: &str = "nightly";

/// The period a run covers by default: the year of business days ending `to`.
pub fn default_period(to: Date) -> (Date, Date) {
    (crate::calendar::days_before(to, 364), to)
}

/// Starts a run of `from..=to` for `by`: its id, or `None` when another is running.
pub fn start(store: &dyn Store, from: Date, to: Date, by: &str) -> StoreResult<Option<i64>> {
    let now = store.now();
    store.start_rfm_run(from, to, by, now, now - SILENT_FOR)
}

/// Computes the started run `id` and stores it: the period's members read, scored, their report
/// and every member written. `progress(phase, done, steps)` hears each step. A failure marks the
/// run failed with its reason (nothing of it is read) and is returned.
pub fn compute(
    store: &dyn Store,
    id: i64,
    (from, to): (Date, Date),
    progress: &mut dyn FnMut(&str, u64, Option<u64>),
) -> StoreResult<u64> {
    let outcome = (|| -> StoreResult<(u64, String)> {
        progress("reading", 0, None);
        let rows = store.member_activity(None, from, to)?;
        let n = rows.len() as u64;
        store.rfm_progress(id, "scoring", 0, Some(n), store.now())?;
        progress("scoring", 0, Some(n));
        let mut members = scored(&rows, to);
        drop(rows);
        ranked(&mut members);
        let json = serde_json::to_string(&report(&members, from, to))
            .map_err(|e| StoreError::Internal(format!("the report as JSON: {e}")))?;
        store.rfm_progress(id, "writing", 0, Some(n), store.now())?;
        progress("writing", 0, Some(n));
        let mut done = 0u64;
        for chunk in members.chunks(MEMBERS_PER_WRITE) {
            store.add_rfm_members(id, done + 1, chunk, store.now())?;
            done += chunk.len() as u64;
            progress("writing", done, Some(n));
        }
        Ok((n, json))
    })();
    match outcome {
        Ok((n, json)) => {
            store.finish_rfm_run(id, Ok((n, &json)), KEEP_RUNS, store.now())?;
            Ok(n)
        }
        Err(e) => {
            let _ = store.finish_rfm_run(id, Err(&e.to_string()), KEEP_RUNS, store.now());
            Err(e)
        }
    }
}

/// Best spender first; equal spends by code, so a rank is the same every run of the same data.
pub fn ranked(members: &mut [ScoredMember]) {
    members.sort_by(|a, b| b.spend.cmp(&a.spend).then_with(|| a.code.cmp(&b.code)));
}

/// When a run was finished, for the pages ("computed at …").
pub fn finished(at: Option<Timestamp>) -> String {
    at.map(|t| t.to_zoned(crate::calendar::hq_zone()).strftime("%Y-%m-%d %H:%M").to_string()).unwrap_or_default()
}
