//! What a pushed batch adds to rows many of its events touch, summed in memory and written once
//! at the batch's end: a branch's business day (`branch_days`: sales, due, members' due,
//! refunded) and a product's level at a branch (`stock_levels`: on hand, last movement, last
//! sale). A till's batch is a hundred sales of one branch and day, many of them of the same
//! products: written event by event, each of those rows was updated a hundred times in one
//! transaction, and on PostgreSQL every update of a row leaves a version the next must step
//! over (and a new entry in the levels' version index). Summed, each is written once.
//!
//! An event's sums join the batch's only when the event is kept (its savepoint committed); nothing
//! in the batch reads these rows before they are written (the checks read sales, holds, the
//! ledger), and the batch is one transaction, so no one else sees them half written either.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::conn::{Conn, Value};
use super::stock::LEVEL_MOVED_SET;
use crate::store::StoreResult;

/// A business day's figures moved by one or more events.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct DayDelta {
    pub sales: i64,
    pub due: i64,
    pub member_due: i64,
    pub refunded: i64,
}

/// A level moved by one or more movements.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct LevelDelta {
    qty: i64,
    last_movement_at: i64,
    last_sale_at: Option<i64>,
}

/// The sums of an event or of a batch.
#[derive(Debug, Default)]
pub(crate) struct Rollups {
    days: BTreeMap<(i64, String), DayDelta>,
    levels: BTreeMap<(i64, i64), LevelDelta>,
}

impl Rollups {
    /// Adds to a branch's business day.
    pub fn day(&mut self, branch: i64, day: String, d: DayDelta) {
        let e = self.days.entry((branch, day)).or_default();
        e.sales += d.sales;
        e.due += d.due;
        e.member_due += d.member_due;
        e.refunded += d.refunded;
    }

    /// Moves a product's level at a branch by `qty` at `at` (a sale when `sold`).
    pub fn level(&mut self, branch: i64, product: i64, qty: i64, at: i64, sold: bool) {
        let sale = sold.then_some(at);
        self.levels
            .entry((branch, product))
            .and_modify(|l| {
                l.qty += qty;
                l.last_movement_at = l.last_movement_at.max(at);
                l.last_sale_at = l.last_sale_at.max(sale);
            })
            .or_insert(LevelDelta { qty, last_movement_at: at, last_sale_at: sale });
    }

    /// Adds an event's sums (kept) to the batch's.
    pub fn merge(&mut self, other: Rollups) {
        for ((branch, day), d) in other.days {
            self.day(branch, day, d);
        }
        for ((branch, product), l) in other.levels {
            let e = self.levels.entry((branch, product)).or_insert(LevelDelta { qty: 0, ..l });
            e.qty += l.qty;
            e.last_movement_at = e.last_movement_at.max(l.last_movement_at);
            e.last_sale_at = e.last_sale_at.max(l.last_sale_at);
        }
    }

    /// Writes the sums: one upsert per day and per level, many rows to a statement (queued with
    /// [`Conn::execute_later`]; the commit sends them).
    pub fn write(self, c: &Conn<'_>) -> StoreResult<()> {
        let days: Vec<Vec<Value>> = self
            .days
            .into_iter()
            .map(|((branch, day), d)| {
                vec![
                    Value::Int(branch),
                    Value::Text(day),
                    Value::Int(d.sales),
                    Value::Int(d.due),
                    Value::Int(d.member_due),
                    Value::Int(d.refunded),
                ]
            })
            .collect();
        write_rows(
            c,
            "INSERT INTO branch_days (branch_id, business_day, sales, due, member_due, refunded)",
            "",
            days,
            "ON CONFLICT (branch_id, business_day) DO UPDATE SET sales = branch_days.sales + excluded.sales,
             due = branch_days.due + excluded.due, member_due = branch_days.member_due + excluded.member_due,
             refunded = branch_days.refunded + excluded.refunded",
        )?;
        let levels: Vec<Vec<Value>> = self
            .levels
            .into_iter()
            .map(|((branch, product), l)| {
                vec![
                    Value::Int(branch),
                    Value::Int(product),
                    Value::Int(l.qty),
                    Value::Int(0),
                    Value::Int(l.last_movement_at),
                    l.last_sale_at.map_or(Value::Null, Value::Int),
                ]
            })
            .collect();
        // A level the batch creates starts at average cost 0, as a movement without a cost does.
        write_rows(
            c,
            "INSERT INTO stock_levels (branch_id, product_id, on_hand, avg_cost, last_movement_at, last_sale_at, version)",
            BATCH_LEVEL_VERSION,
            levels,
            &format!("ON CONFLICT (branch_id, product_id) DO UPDATE SET {LEVEL_MOVED_SET}"),
        )
    }
}

/// The version the batch's levels take (`schema_till_stock.rs`): the id of the batch's last
/// movement, written before them. A level written one at a time takes one more than the largest
/// id *before* its movement is appended, that is its movement's id at most; written after the
/// batch's movements, one more would be the id the next transaction's first movement gets, so
/// that transaction's levels could take the same version and a till paging past this batch's
/// would miss them. Every earlier stamp is at most an earlier movement's id, so this one is
/// larger than all of them and smaller than any later one.
const BATCH_LEVEL_VERSION: &str = "(SELECT COALESCE(MAX(id), 0) FROM stock_movements)";

/// `rows` as `head VALUES (…, extra), … tail`, queued ([`Conn::execute_later`]) in statements of
/// 64, 32, … 1 rows (so a connection keeps at most seven of each): ingest's multi-row writes.
pub(super) fn write_rows(c: &Conn<'_>, head: &str, extra: &str, rows: Vec<Vec<Value>>, tail: &str) -> StoreResult<()> {
    let mut rows = rows.into_iter().peekable();
    let mut size = 64;
    while rows.peek().is_some() {
        let left = rows.len();
        while size > left {
            size /= 2;
        }
        let chunk: Vec<Vec<Value>> = rows.by_ref().take(size).collect();
        let mut values = Vec::with_capacity(chunk.iter().map(Vec::len).sum());
        let mut tuples = Vec::with_capacity(chunk.len());
        for row in chunk {
            let first = values.len() + 1;
            let mut marks: Vec<String> = (first..first + row.len()).map(|k| format!("?{k}")).collect();
            if !extra.is_empty() {
                marks.push(extra.to_owned());
            }
            tuples.push(format!("({})", marks.join(", ")));
            values.extend(row);
        }
        c.execute_later(&format!("{head} VALUES {} {tail}", tuples.join(", ")), values, None)?;
    }
    Ok(())
}

/// The average cost of each product a batch moves at its branch, read once for the batch (ingest
/// moves no average: its movements carry no cost). A product without a level is at 0.
pub(crate) fn average_costs(c: &Conn<'_>, moved: &BTreeSet<(i64, i64)>) -> StoreResult<HashMap<(i64, i64), i64>> {
    let mut by_branch: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for &(branch, product) in moved {
        by_branch.entry(branch).or_default().push(product);
    }
    let listed = c.json_list(2, true);
    let mut costs = HashMap::with_capacity(moved.len());
    for (branch, products) in by_branch {
        let rows = c
            .prepare_cached(&format!(
                "SELECT product_id, avg_cost FROM stock_levels WHERE branch_id = ?1 AND product_id IN ({listed})"
            ))?
            .query_map(crate::params![branch, serde_json::to_string(&products)?], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?))
            })?;
        for row in rows {
            let (product, cost) = row?;
            costs.insert((branch, product), cost);
        }
    }
    Ok(costs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_events_sums_add_to_the_batch_and_keep_the_latest_times() {
        let mut batch = Rollups::default();
        let mut a = Rollups::default();
        a.day(1, "2026-12-01".into(), DayDelta { sales: 1, due: 500, member_due: 500, refunded: 0 });
        a.level(1, 7, -2, 100, true);
        a.level(1, 7, -1, 90, true);
        batch.merge(a);
        let mut b = Rollups::default();
        b.day(1, "2026-12-01".into(), DayDelta { refunded: 200, ..DayDelta::default() });
        b.level(1, 7, 1, 120, false);
        b.level(2, 7, -1, 50, true);
        batch.merge(b);
        assert_eq!(
            batch.days.get(&(1, "2026-12-01".to_owned())),
            Some(&DayDelta { sales: 1, due: 500, member_due: 500, refunded: 200 })
        );
        // Sold twice (the later sale counts), then a return later still (a movement, not a sale).
        assert_eq!(
            batch.levels.get(&(1, 7)),
            Some(&LevelDelta { qty: -2, last_movement_at: 120, last_sale_at: Some(100) })
        );
        assert_eq!(
            batch.levels.get(&(2, 7)),
            Some(&LevelDelta { qty: -1, last_movement_at: 50, last_sale_at: Some(50) })
        );
    }
}
