//! What member analysis reads: each member's purchases in a period (last day, count, spend net of
//! what was paid back), from the sales and refunds the tills pushed.
#![allow(clippy::type_complexity)] // SQL rows read as tuples

use std::collections::HashMap;

use jiff::civil::Date;
use shared::analysis::MemberActivity;
use shared::ids::BranchId;
use shared::money::Money;

use super::SqlStore;
use super::conn::params;
use crate::store::{ActivityRow, AnalysisStore, StoreError, StoreResult};

impl AnalysisStore for SqlStore {
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
                    "SELECT s.member_id, MAX(s.business_day), COUNT(*), SUM(s.due), m.code, m.name
                     FROM sales s JOIN members m ON m.id = s.member_id
                     WHERE s.member_id IS NOT NULL AND s.business_day BETWEEN ?1 AND ?2 AND s.branch_id {op} ?3
                     GROUP BY s.member_id, m.code, m.name"
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
}
