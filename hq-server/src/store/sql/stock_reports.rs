//! Stock reports from the levels and the movement ledger (`schema_stock.rs`): slow movers,
//! shrinkage, days of cover. Each is one read; nothing is stored.

#![allow(clippy::type_complexity)] // SQL rows read as tuples

use std::collections::HashMap;

use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use shared::ids::BranchId;
use shared::money::{Money, Qty};
use shared::stock;

use super::conn::{Value, params};
use super::stock::{LEVEL, level_row};
use super::{SqlStore, in_chunks, micros};
use crate::model::{CoverRow, ShrinkageCause, ShrinkageRow, SlowMover, StockLevel};
use crate::store::{StockReportStore, StoreError, StoreResult};

/// The most rows a report returns.
const MAX_ROWS: u32 = 1000;

/// The moment `days` whole days before `now`.
fn days_before(now: Timestamp, days: u32) -> i64 {
    micros(now) - SignedDuration::from_hours(24 * i64::from(days)).as_micros() as i64
}

impl StockReportStore for SqlStore {
    fn slow_movers(&self, branch: Option<BranchId>, days: u32, limit: u32) -> StoreResult<Vec<SlowMover>> {
        let limit = limit.clamp(1, MAX_ROWS);
        self.read(|c| {
            let now = self.now();
            let levels: Vec<StockLevel> = c
                .prepare_cached(&format!(
                    "{LEVEL} WHERE l.on_hand > 0 AND (CAST(?1 AS BIGINT) IS NULL OR l.branch_id = ?1)
                       AND (l.last_sale_at IS NULL OR l.last_sale_at < ?2)
                     ORDER BY l.on_hand * l.avg_cost DESC, l.branch_id, l.product_id LIMIT ?3"
                ))?
                .query_map(params![branch.map(|b| b.0), days_before(now, days), i64::from(limit)], level_row)?
                .collect::<Result<_, _>>()?;
            Ok(levels
                .into_iter()
                .map(|level| {
                    let days_since_sale = level.last_sale_at.map(|at| now.duration_since(at).as_hours().max(0) / 24);
                    SlowMover { level, days_since_sale }
                })
                .collect())
        })
    }

    fn shrinkage(&self, branch: Option<BranchId>, from: Date, to: Date) -> StoreResult<Vec<ShrinkageRow>> {
        if from > to {
            return Err(StoreError::Invalid("from: after to".into()));
        }
        self.read(|c| {
            let rows: Vec<(i64, String, String, Option<String>, i64, i64, i64)> = c
                .prepare_cached(
                    "SELECT m.branch_id, b.code, m.kind, m.reason, COUNT(*),
                            SUM(CASE WHEN m.value < 0 THEN -m.value ELSE 0 END),
                            SUM(CASE WHEN m.value > 0 THEN m.value ELSE 0 END)
                     FROM stock_movements m JOIN branches b ON b.id = m.branch_id
                     WHERE m.kind IN ('write_off', 'count_adjustment') AND m.business_day BETWEEN ?2 AND ?3
                       AND (CAST(?1 AS BIGINT) IS NULL OR m.branch_id = ?1)
                     GROUP BY m.branch_id, b.code, m.kind, m.reason",
                )?
                .query_map(params![branch.map(|b| b.0), from.to_string(), to.to_string()], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?))
                })?
                .collect::<Result<_, _>>()?;
            let mut out = Vec::with_capacity(rows.len());
            for (branch_id, branch_code, kind, reason, movements, lost, found) in rows {
                let cause = match (kind.as_str(), reason.as_deref()) {
                    ("count_adjustment", _) => ShrinkageCause::Count,
                    (_, Some("damage")) => ShrinkageCause::Damage,
                    (_, Some("expiry")) => ShrinkageCause::Expiry,
                    (_, Some("theft")) => ShrinkageCause::Theft,
                    (_, Some("other")) => ShrinkageCause::Other,
                    (k, r) => return Err(StoreError::Internal(format!("a {k} movement with the reason {r:?}"))),
                };
                out.push(ShrinkageRow {
                    branch_id: BranchId(branch_id),
                    branch_code,
                    cause,
                    movements,
                    lost: Money(lost),
                    found: Money(found),
                });
            }
            out.sort_by_key(|r| (r.branch_id, r.cause));
            Ok(out)
        })
    }

    fn stock_cover(&self, branch: BranchId, days: u32, limit: u32) -> StoreResult<Vec<CoverRow>> {
        if days == 0 {
            return Err(StoreError::Invalid("days: at least one".into()));
        }
        let limit = limit.clamp(1, MAX_ROWS) as usize;
        self.read(|c| {
            let now = self.now();
            // What each product sold at the branch in the window (its sale movements are out,
            // so negative).
            let sold: HashMap<i64, i64> = c
                .prepare_cached(
                    "SELECT product_id, SUM(qty) FROM stock_movements
                     WHERE branch_id = ?1 AND kind = 'sale' AND at >= ?2 GROUP BY product_id",
                )?
                .query_map(params![branch.0, days_before(now, days)], |r| Ok((r.get(0)?, -r.get::<_, i64>(1)?)))?
                .collect::<Result<_, _>>()?;
            let ids: Vec<Value> = sold.keys().map(|&p| Value::Int(p)).collect();
            let selling = in_chunks(
                c,
                &format!("{LEVEL} WHERE l.branch_id = {} AND l.product_id IN", branch.0),
                &ids,
                level_row,
            )?;
            let mut rows: Vec<CoverRow> = selling
                .into_iter()
                .map(|level| {
                    let sold = Qty(sold.get(&level.product_id.0).copied().unwrap_or(0));
                    CoverRow { cover_days: stock::days_of_cover(level.on_hand, sold, days), sold, level }
                })
                .collect();
            rows.sort_by_key(|r| (r.cover_days.unwrap_or(i64::MAX), std::cmp::Reverse(r.sold), r.level.product_id));
            rows.truncate(limit);
            if rows.len() < limit {
                // Then what did not sell in the window, the most money on the shelf first.
                let more = limit - rows.len() + sold.len();
                let idle: Vec<StockLevel> = c
                    .prepare_cached(&format!(
                        "{LEVEL} WHERE l.branch_id = ?1 AND l.on_hand > 0
                         ORDER BY l.on_hand * l.avg_cost DESC, l.product_id LIMIT ?2"
                    ))?
                    .query_map(params![branch.0, more as i64], level_row)?
                    .collect::<Result<_, _>>()?;
                let room = limit - rows.len();
                rows.extend(
                    idle.into_iter().filter(|l| !sold.contains_key(&l.product_id.0)).take(room).map(|level| CoverRow {
                        level,
                        sold: Qty(0),
                        cover_days: None,
                    }),
                );
            }
            Ok(rows)
        })
    }
}
