//! What member analysis reads: each member's purchases in a period (last day, count, spend net of
//! what was paid back), from the sales and refunds the tills pushed.
#![allow(clippy::type_complexity)] // SQL rows read as tuples

use std::collections::HashMap;

use jiff::Timestamp;
use jiff::civil::Date;
use shared::analysis::{MemberActivity, TierHistory};
use shared::ids::BranchId;
use shared::money::Money;

use super::SqlStore;
use super::conn::params;
use super::{from_micros, micros};
use crate::analysis::{RfmRun, ScoredMember};
use crate::store::{ActivityRow, AnalysisStore, CohortRows, StoreError, StoreResult};

/// One home branch (`= b`) or every member, with or without one (`>= 0` over `COALESCE(.., 0)`):
/// one statement, one plan each.
fn home(branch: Option<BranchId>) -> (&'static str, i64) {
    match branch {
        Some(b) => ("=", b.0),
        None => (">=", 0),
    }
}

impl AnalysisStore for SqlStore {
    fn start_rfm_run(
        &self,
        from: Date,
        to: Date,
        by: &str,
        now: Timestamp,
        stale_before: Timestamp,
    ) -> StoreResult<Option<i64>> {
        self.start_rfm_run_(from, to, by, now, stale_before)
    }

    fn rfm_progress(&self, run: i64, phase: &str, done: u64, steps: Option<u64>, now: Timestamp) -> StoreResult<()> {
        self.rfm_progress_(run, phase, done, steps, now)
    }

    fn add_rfm_members(&self, run: i64, first_rank: u64, members: &[ScoredMember], now: Timestamp) -> StoreResult<()> {
        self.add_rfm_members_(run, first_rank, members, now)
    }

    fn finish_rfm_run(
        &self,
        run: i64,
        outcome: Result<(u64, &str), &str>,
        keep: u32,
        now: Timestamp,
    ) -> StoreResult<()> {
        self.finish_rfm_run_(run, outcome, keep, now)
    }

    fn rfm_runs(&self, limit: u32) -> StoreResult<Vec<RfmRun>> {
        self.rfm_runs_(limit)
    }

    fn latest_rfm_report(&self) -> StoreResult<Option<(RfmRun, String)>> {
        self.latest_rfm_report_()
    }

    fn rfm_members(&self, run: i64, segment: Option<&str>, limit: Option<u64>) -> StoreResult<Vec<ScoredMember>> {
        self.rfm_members_(run, segment, limit)
    }

    fn member_activity(&self, branch: Option<BranchId>, from: Date, to: Date) -> StoreResult<Vec<ActivityRow>> {
        self.read(|c| {
            let (from, to) = (from.to_string(), to.to_string());
            // Every branch is `branch_id >= 0`; one is `branch_id = b` (one statement, one plan each).
            let (op, b) = match branch {
                Some(b) => ("=", b.0),
                None => (">=", 0),
            };
            let sales: Vec<(String, String, i64, i64, String, String)> = c
                .prepare_cached(&format!(
                    "SELECT a.member_id, a.last_day, a.orders, a.due, m.code, m.name
                     FROM (SELECT member_id, MAX(business_day) AS last_day, COUNT(*) AS orders, SUM(due) AS due
                           FROM sales
                           WHERE member_id IS NOT NULL AND business_day BETWEEN ?1 AND ?2 AND branch_id {op} ?3
                           GROUP BY member_id) a
                     JOIN members m ON m.id = a.member_id"
                ))?
                .query_map(params![from, to, b], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?))
                })?
                .collect::<Result<_, _>>()?;
            // What those sales' refunds paid back, whenever they were made.
            let refunds: HashMap<String, i64> = c
                .prepare_cached(&format!(
                    "SELECT s.member_id, SUM(r.total + r.rounding) FROM refunds r JOIN sales s ON s.id = r.sale_id
                     WHERE s.member_id IS NOT NULL AND s.business_day BETWEEN ?1 AND ?2 AND s.branch_id {op} ?3
                     GROUP BY s.member_id"
                ))?
                .query_map(params![from, to, b], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<_, _>>()?;
            sales
                .into_iter()
                .map(|(member, last, orders, due, code, name)| {
                    let back = refunds.get(&member).copied().unwrap_or(0);
                    Ok(ActivityRow {
                        activity: MemberActivity {
                            member: super::ledger::parse_id(&member)?,
                            last_day: last.parse().map_err(|e: jiff::Error| StoreError::Internal(e.to_string()))?,
                            orders: u32::try_from(orders).unwrap_or(u32::MAX),
                            spend: Money(due - back),
                        },
                        code,
                        name,
                    })
                })
                .collect()
        })
    }

    fn cohort_rows(
        &self,
        branch: Option<BranchId>,
        from: Timestamp,
        until: Timestamp,
        since: Date,
    ) -> StoreResult<CohortRows> {
        let (op, b) = home(branch);
        self.read(|c| {
            let enrolled = c
                .prepare_cached(&format!(
                    "SELECT id, enrolled_at FROM members
                     WHERE merged_into IS NULL AND enrolled_at >= ?1 AND enrolled_at < ?2
                       AND COALESCE(home_branch, 0) {op} ?3"
                ))?
                .query_map(params![micros(from), micros(until), b], |r| {
                    Ok((r.get::<_, String>(0)?, from_micros(r.get(1)?)))
                })?
                .collect::<Result<_, _>>()?;
            let bought = c
                .prepare_cached(&format!(
                    "SELECT DISTINCT s.member_id, substr(s.business_day, 1, 7)
                     FROM sales s JOIN members m ON m.id = s.member_id
                     WHERE m.merged_into IS NULL AND m.enrolled_at >= ?1 AND m.enrolled_at < ?2
                       AND COALESCE(m.home_branch, 0) {op} ?3 AND s.business_day >= ?4"
                ))?
                .query_map(params![micros(from), micros(until), b, since.to_string()], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
                })?
                .collect::<Result<_, _>>()?;
            Ok(CohortRows { enrolled, bought })
        })
    }

    fn tier_histories(&self, branch: Option<BranchId>, until: Timestamp) -> StoreResult<Vec<TierHistory>> {
        let (op, b) = home(branch);
        self.read(|c| {
            let members: Vec<(String, i64, String)> = c
                .prepare_cached(&format!(
                    "SELECT id, enrolled_at, tier FROM members
                     WHERE merged_into IS NULL AND enrolled_at < ?1 AND COALESCE(home_branch, 0) {op} ?2"
                ))?
                .query_map(params![micros(until), b], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect::<Result<_, _>>()?;
            let mut changes: HashMap<String, Vec<(Timestamp, String, String)>> = HashMap::new();
            let rows: Vec<(String, i64, String, String)> = c
                .prepare_cached(&format!(
                    "SELECT t.member_id, t.at, t.from_tier, t.to_tier FROM tier_changes t
                     JOIN members m ON m.id = t.member_id
                     WHERE m.merged_into IS NULL AND m.enrolled_at < ?1 AND COALESCE(m.home_branch, 0) {op} ?2
                     ORDER BY t.member_id, t.at, t.id"
                ))?
                .query_map(params![micros(until), b], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
                .collect::<Result<_, _>>()?;
            for (member, at, from, to) in rows {
                changes.entry(member).or_default().push((from_micros(at), from, to));
            }
            Ok(members
                .into_iter()
                .map(|(id, enrolled_at, tier)| TierHistory {
                    enrolled_at: from_micros(enrolled_at),
                    current: tier,
                    changes: changes.remove(&id).unwrap_or_default(),
                })
                .collect())
        })
    }
}
