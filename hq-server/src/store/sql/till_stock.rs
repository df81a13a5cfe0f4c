//! Stock as a till sees it, in the database: a branch's levels by the version they were written
//! at (`schema_till_stock.rs`), and tills' batches of count lines, kept by batch id.

use shared::catalog::ProductId;
use shared::ids::{BranchId, TillId};
use shared::money::Qty;
use shared::till_stock::StockCursor;
use uuid::Uuid;

use super::conn::{OptionalExtension, params};
use super::stock_counts::{Entry, check_entries, enter};
use super::{SqlStore, micros};
use crate::model::{Actor, CountEntry};
use crate::store::till_stock::{BatchEntered, TILL_CLOCK_SLACK, TillStockStore};
use crate::store::{StoreError, StoreResult};

/// The most levels one page holds.
const MAX_PAGE: u32 = 5000;

impl TillStockStore for SqlStore {
    fn till_stock_levels(
        &self,
        branch: BranchId,
        after: Option<StockCursor>,
        limit: u32,
    ) -> StoreResult<Vec<(StockCursor, ProductId, Qty)>> {
        // Versions start at 0 (levels written before there were versions): from the start is
        // after (-1, 0). A row value, so both databases read the index `(branch_id, version,
        // product_id)` from the cursor on rather than filtering the branch's levels before it.
        let (version, product) = after.map_or((-1, 0), |c| (c.version, c.product));
        let limit = i64::from(limit.clamp(1, MAX_PAGE));
        self.read(|c| {
            Ok(c.prepare_cached(
                "SELECT version, product_id, on_hand FROM stock_levels
                 WHERE branch_id = ?1 AND (version, product_id) > (?2, ?3)
                 ORDER BY version, product_id LIMIT ?4",
            )?
            .query_map(params![branch.0, version, product, limit], |r| {
                let (version, product): (i64, i64) = (r.get(0)?, r.get(1)?);
                Ok((StockCursor { version, product }, ProductId(product), Qty(r.get(2)?)))
            })?
            .collect::<Result<_, _>>()?)
        })
    }

    fn till_count_entries(
        &self,
        actor: &Actor,
        branch: BranchId,
        till: TillId,
        count: i64,
        batch: Uuid,
        counter: &str,
        entries: Vec<CountEntry>,
    ) -> StoreResult<BatchEntered> {
        let counter = check_entries(counter, &entries)?;
        let batch_id = batch.hyphenated().to_string();
        self.write(|tx| {
            // Another branch's count is none of this till's (as if it did not exist).
            let of = tx
                .prepare_cached("SELECT branch_id FROM stock_counts WHERE id = ?1")?
                .query_row([count], |r| r.get::<_, i64>(0))
                .optional()?;
            if of != Some(branch.0) {
                return Err(StoreError::NotFound(format!("stock count {count}")));
            }
            let before = tx
                .prepare_cached("SELECT count_id, till_id, lines FROM stock_count_batches WHERE batch_id = ?1")?
                .query_row([&batch_id], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?)))
                .optional()?;
            if let Some((was_count, was_till, lines)) = before {
                if was_count != count || was_till != till.0 {
                    return Err(StoreError::Conflict(format!(
                        "batch_id: batch {batch_id} was sent for another count or by another till"
                    )));
                }
                return Ok(BatchEntered { count_id: count, lines: lines as u32, repeated: true });
            }
            let entry =
                Entry { id: count, branch: Some(branch.0), counter, batch: Some(&batch_id), slack: TILL_CLOCK_SLACK };
            let (first, lines) = enter(self, tx, actor, &entry, &entries)?;
            tx.prepare_cached(
                "INSERT INTO stock_count_batches (batch_id, count_id, till_id, counter, lines, first_seq, recorded_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                batch_id,
                count,
                till.0,
                counter,
                lines as i64,
                first,
                micros(self.now())
            ])?;
            Ok(BatchEntered { count_id: count, lines: lines as u32, repeated: false })
        })
    }
}
