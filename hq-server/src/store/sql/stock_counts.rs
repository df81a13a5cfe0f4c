//! Stock counts (盘点) in the database (`schema_counts.rs`): a snapshot of a branch's levels,
//! the figures counters enter, and posting them as count adjustments.
//!
//! Everything a count reads or writes is set-based, so a count of 100,000 lines posts in a few
//! statements per thousand lines: the snapshot is one `INSERT … SELECT` of the branch's levels;
//! a sheet reads the snapshot, the entries (folded per product in entry order: the latest figure
//! counts, each counter's latest decides whether the line needs a recount) and, in one statement,
//! the branch's movements HQ recorded after the snapshot (each taken into a line's expected
//! figure when it happened before the line was counted); posting moves the levels and appends
//! the adjustments in multi-row statements. Every write checks every line before the first row
//! and is audited.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use shared::catalog::{CategoryId, ProductId};
use shared::ids::BranchId;
use shared::money::{Money, Qty};
use shared::stock::{self as rules, MAX_MOVEMENT, MovementKind};

use super::conn::{Conn, OptionalExtension, Row, Value, params};
use super::stock::NEXT_LEVEL_VERSION;
use super::{SqlStore, append_audit, from_micros, micros};
use crate::calendar::hq_day;
use crate::model::{Actor, CountEntry, CountLine, CountReport, CountScope, CountSheet, CountStatus, StockCount};
use crate::store::stock::StockCountStore;
use crate::store::{StoreError, StoreResult};

/// The most lines one request enters.
const MAX_LINES: usize = 10_000;
/// Rows per multi-row statement (PostgreSQL takes at most 65,535 parameters in one).
const ROWS_PER_STATEMENT: usize = 200;

fn invalid(why: impl Into<String>) -> StoreError {
    StoreError::Invalid(why.into())
}

fn exists(c: &Conn<'_>, sql: &str, id: i64) -> StoreResult<bool> {
    Ok(c.prepare_cached(sql)?.query_row([id], |_| Ok(())).optional()?.is_some())
}

/// What the store needs of a count beyond its heading.
struct Head {
    branch: i64,
    category: Option<i64>,
    status: CountStatus,
    started_at: i64,
    snapshot_movement: i64,
}

fn head_tx(c: &Conn<'_>, id: i64) -> StoreResult<Head> {
    c.prepare_cached(
        "SELECT branch_id, category_id, status, started_at, snapshot_movement_id FROM stock_counts WHERE id = ?1",
    )?
    .query_row([id], |r| {
        let status: String = r.get(2)?;
        Ok(Head {
            branch: r.get(0)?,
            category: r.get(1)?,
            status: CountStatus::parse(&status)
                .ok_or_else(|| super::conn::Error::Conversion(2, format!("status {status}")))?,
            started_at: r.get(3)?,
            snapshot_movement: r.get(4)?,
        })
    })
    .optional()?
    .ok_or_else(|| StoreError::NotFound(format!("stock count {id}")))
}

const COUNT: &str = "SELECT c.id, c.branch_id, b.code, c.scope, c.category_id, c.status, c.started_at, c.created_by,
        c.posted_at, c.posted_by, c.note,
        (SELECT COUNT(*) FROM stock_count_snapshot s WHERE s.count_id = c.id),
        (SELECT COUNT(DISTINCT e.product_id) FROM stock_count_entries e WHERE e.count_id = c.id)
    FROM stock_counts c JOIN branches b ON b.id = c.branch_id";

fn count_row(r: &Row<'_>) -> super::conn::Result<StockCount> {
    let status: String = r.get(5)?;
    Ok(StockCount {
        id: r.get(0)?,
        branch_id: BranchId(r.get(1)?),
        branch_code: r.get(2)?,
        scope: r.get(3)?,
        category_id: r.get::<_, Option<i64>>(4)?.map(CategoryId),
        status: CountStatus::parse(&status)
            .ok_or_else(|| super::conn::Error::Conversion(5, format!("status {status}")))?,
        started_at: from_micros(r.get(6)?),
        created_by: r.get(7)?,
        posted_at: r.get::<_, Option<i64>>(8)?.map(from_micros),
        posted_by: r.get(9)?,
        note: r.get(10)?,
        products: r.get(11)?,
        counted: r.get(12)?,
    })
}

fn count_tx(c: &Conn<'_>, id: i64) -> StoreResult<StockCount> {
    c.prepare_cached(&format!("{COUNT} WHERE c.id = ?1"))?
        .query_row([id], count_row)
        .optional()?
        .ok_or_else(|| StoreError::NotFound(format!("stock count {id}")))
}

fn not_open(id: i64, status: CountStatus, what: &str) -> StoreError {
    StoreError::Conflict(format!("stock count {id} is {}: {what}", status.code()))
}

/// One product of a count as read: its snapshot, what was entered, and what moved.
#[derive(Default)]
struct Tally {
    code: String,
    name: String,
    unit: String,
    /// On hand and average cost at the snapshot (none for a product without a level then).
    snapshot: Option<(i64, i64)>,
    /// The latest entry: figure, time, counter.
    latest: Option<(i64, i64, String)>,
    entries: i64,
    /// Each counter's latest figure.
    by_counter: HashMap<String, i64>,
    moved: i64,
}

/// Every line of a count, in product order, with what moved since the snapshot before each
/// counted line was counted (the count's own adjustments aside).
fn tally(c: &Conn<'_>, id: i64, head: &Head) -> StoreResult<BTreeMap<i64, Tally>> {
    let mut lines: BTreeMap<i64, Tally> = BTreeMap::new();
    let mut q = c.prepare_cached(
        "SELECT s.product_id, s.on_hand, s.avg_cost, COALESCE(p.code, ''), COALESCE(p.name, ''), COALESCE(p.unit, '')
         FROM stock_count_snapshot s LEFT JOIN products p ON p.id = s.product_id WHERE s.count_id = ?1",
    )?;
    let mut rows = q.query([id])?;
    while let Some(r) = rows.next_row()? {
        lines.insert(
            r.get(0)?,
            Tally {
                code: r.get(3)?,
                name: r.get(4)?,
                unit: r.get(5)?,
                snapshot: Some((r.get(1)?, r.get(2)?)),
                ..Tally::default()
            },
        );
    }
    let mut q = c.prepare_cached(
        "SELECT e.product_id, e.counter, e.qty, e.counted_at, COALESCE(p.code, ''), COALESCE(p.name, ''),
             COALESCE(p.unit, '')
         FROM stock_count_entries e LEFT JOIN products p ON p.id = e.product_id WHERE e.count_id = ?1 ORDER BY e.seq",
    )?;
    let mut rows = q.query([id])?;
    while let Some(r) = rows.next_row()? {
        let product: i64 = r.get(0)?;
        let counter: String = r.get(1)?;
        let qty: i64 = r.get(2)?;
        let t = match lines.entry(product) {
            std::collections::btree_map::Entry::Occupied(o) => o.into_mut(),
            std::collections::btree_map::Entry::Vacant(v) => {
                v.insert(Tally { code: r.get(4)?, name: r.get(5)?, unit: r.get(6)?, ..Tally::default() })
            }
        };
        t.entries += 1;
        t.by_counter.insert(counter.clone(), qty);
        t.latest = Some((qty, r.get(3)?, counter));
    }
    // One statement over the branch's movements recorded after the snapshot: those are what the
    // snapshot does not hold, whenever they happened (a till offline at the snapshot pushes its
    // sales, dated when it made them, later).
    let source = format!("count:{id}");
    let mut q = c.prepare_cached(
        "SELECT product_id, qty, at FROM stock_movements WHERE id > ?1 AND branch_id = ?2 AND source <> ?3",
    )?;
    let mut rows = q.query(params![head.snapshot_movement, head.branch, source])?;
    while let Some(r) = rows.next_row()? {
        let product: i64 = r.get(0)?;
        if let Some(t) = lines.get_mut(&product)
            && let Some((_, counted_at, _)) = &t.latest
        {
            let at: i64 = r.get(2)?;
            if at <= *counted_at {
                t.moved += r.get::<_, i64>(1)?;
            }
        }
    }
    Ok(lines)
}

/// The branch's average costs now (what an adjustment moves at).
fn costs(c: &Conn<'_>, branch: i64) -> StoreResult<HashMap<i64, i64>> {
    let mut out = HashMap::new();
    let mut q = c.prepare_cached("SELECT product_id, avg_cost FROM stock_levels WHERE branch_id = ?1")?;
    let mut rows = q.query([branch])?;
    while let Some(r) = rows.next_row()? {
        out.insert(r.get(0)?, r.get(1)?);
    }
    Ok(out)
}

/// A line of the sheet or the report; `costs` (the branch's average costs) unless blind.
fn line(product: i64, t: &Tally, costs: Option<&HashMap<i64, i64>>) -> CountLine {
    let counted = t.latest.as_ref().map(|(q, _, _)| Qty(*q));
    let mut figures: Vec<i64> = t.by_counter.values().copied().collect();
    figures.sort_unstable();
    figures.dedup();
    let mut l = CountLine {
        product_id: ProductId(product),
        product_code: t.code.clone(),
        product_name: t.name.clone(),
        unit: t.unit.clone(),
        counted,
        counted_at: t.latest.as_ref().map(|(_, at, _)| from_micros(*at)),
        counter: t.latest.as_ref().map(|(_, _, who)| who.clone()),
        entries: t.entries,
        recount: figures.len() > 1,
        snapshot: None,
        moved_since: None,
        expected: None,
        variance: None,
        unit_cost: None,
        variance_value: None,
    };
    if let Some(costs) = costs {
        let (snapshot, snapshot_cost) = t.snapshot.unwrap_or((0, 0));
        l.snapshot = Some(Qty(snapshot));
        if let Some(counted) = counted {
            let cost = Money(costs.get(&product).copied().unwrap_or(snapshot_cost));
            let variance = rules::variance(Qty(snapshot), Qty(t.moved), counted);
            l.moved_since = Some(Qty(t.moved));
            l.expected = Some(Qty(snapshot + t.moved));
            l.variance = Some(variance);
            l.unit_cost = Some(cost);
            l.variance_value = Some(rules::value_at(variance, cost));
        }
    }
    l
}

fn check_note(note: &str) -> StoreResult<()> {
    if note.trim().chars().count() > 500 { Err(invalid("note: at most 500 characters")) } else { Ok(()) }
}

/// The products the lines name, read in statements of [`ROWS_PER_STATEMENT`] rather than one a
/// line: each product id's category, and each barcode's product and category.
struct Named {
    ids: HashMap<i64, i64>,
    barcodes: HashMap<String, (i64, i64)>,
}

fn named(c: &Conn<'_>, entries: &[CountEntry]) -> StoreResult<Named> {
    let ids: BTreeSet<i64> = entries.iter().filter_map(|e| e.product.map(|p| p.0)).collect();
    let codes: BTreeSet<&str> = entries.iter().filter_map(|e| e.barcode.as_deref()).collect();
    let marks = |n: usize| (1..=n).map(|i| format!("?{i}")).collect::<Vec<_>>().join(", ");
    let mut out = Named { ids: HashMap::with_capacity(ids.len()), barcodes: HashMap::with_capacity(codes.len()) };
    for chunk in ids.into_iter().collect::<Vec<_>>().chunks(ROWS_PER_STATEMENT) {
        let mut q = c.prepare(&format!("SELECT id, category_id FROM products WHERE id IN ({})", marks(chunk.len())))?;
        let mut rows = q.query(chunk.iter().map(|&id| Value::Int(id)).collect::<Vec<_>>())?;
        while let Some(r) = rows.next_row()? {
            out.ids.insert(r.get(0)?, r.get(1)?);
        }
    }
    for chunk in codes.into_iter().collect::<Vec<_>>().chunks(ROWS_PER_STATEMENT) {
        let mut q = c.prepare(&format!(
            "SELECT b.barcode, p.id, p.category_id FROM product_barcodes b JOIN products p ON p.id = b.product_id
             WHERE b.barcode IN ({})",
            marks(chunk.len())
        ))?;
        let mut rows = q.query(chunk.iter().map(|&code| Value::Text(code.to_owned())).collect::<Vec<_>>())?;
        while let Some(r) = rows.next_row()? {
            out.barcodes.insert(r.get(0)?, (r.get(1)?, r.get(2)?));
        }
    }
    Ok(out)
}

/// The product a line names, checked against the count's scope: its id.
fn resolve(named: &Named, i: usize, e: &CountEntry, category: Option<i64>) -> StoreResult<i64> {
    let (product, in_category): (i64, i64) = match (e.product, e.barcode.as_deref()) {
        (Some(p), None) => named
            .ids
            .get(&p.0)
            .map(|k| (p.0, *k))
            .ok_or_else(|| invalid(format!("lines[{i}].product_id: no product {}", p.0)))?,
        (None, Some(code)) => named
            .barcodes
            .get(code)
            .copied()
            .ok_or_else(|| invalid(format!("lines[{i}].barcode: no product has the barcode {code}")))?,
        _ => return Err(invalid(format!("lines[{i}]: name the product by product_id or by barcode, one of them"))),
    };
    if let Some(k) = category
        && in_category != k
    {
        return Err(invalid(format!(
            "lines[{i}]: product {product} is in category {in_category}, outside this count of category {k}"
        )));
    }
    Ok(product)
}

/// Moves the levels by the adjustments (one multi-row upsert per [`ROWS_PER_STATEMENT`]) and
/// appends them, each at its level's average cost; what `stock::record` does for one movement.
fn write_adjustments(
    c: &Conn<'_>,
    branch: i64,
    count: i64,
    adjustments: &[(i64, Qty)],
    actor: &str,
    now: jiff::Timestamp,
) -> StoreResult<HashMap<i64, Money>> {
    let at = micros(now);
    let mut average: HashMap<i64, Money> = HashMap::with_capacity(adjustments.len());
    for chunk in adjustments.chunks(ROWS_PER_STATEMENT) {
        let mut values = vec![Value::Int(branch), Value::Int(at)];
        let rows: Vec<String> = chunk
            .iter()
            .map(|(product, qty)| {
                let k = values.len() + 1;
                values.extend([Value::Int(*product), Value::Int(qty.0)]);
                format!("(?1, ?{k}, ?{}, 0, ?2, NULL, {NEXT_LEVEL_VERSION})", k + 1)
            })
            .collect();
        let sql = format!(
            "INSERT INTO stock_levels (branch_id, product_id, on_hand, avg_cost, last_movement_at, last_sale_at, version)
             VALUES {}
             ON CONFLICT (branch_id, product_id) DO UPDATE SET on_hand = stock_levels.on_hand + excluded.on_hand,
                 version = excluded.version,
                 last_movement_at = CASE WHEN excluded.last_movement_at > stock_levels.last_movement_at
                     THEN excluded.last_movement_at ELSE stock_levels.last_movement_at END
             RETURNING product_id, avg_cost",
            rows.join(", ")
        );
        let mut q = c.prepare(&sql)?;
        let mut moved = q.query(values)?;
        while let Some(r) = moved.next_row()? {
            average.insert(r.get(0)?, Money(r.get(1)?));
        }
    }
    let source = format!("count:{count}");
    for (n, chunk) in adjustments.chunks(ROWS_PER_STATEMENT).enumerate() {
        let mut values = vec![
            Value::Int(branch),
            Value::Text(MovementKind::CountAdjustment.code().to_owned()),
            Value::Int(at),
            Value::Text(hq_day(now).to_string()),
            Value::Text(source.clone()),
            Value::Text(actor.to_owned()),
        ];
        let rows: Vec<String> = chunk
            .iter()
            .enumerate()
            .map(|(i, (product, qty))| {
                let cost = average.get(product).copied().unwrap_or(Money(0));
                let k = values.len() + 1;
                values.extend([
                    Value::Int(*product),
                    Value::Int(qty.0),
                    Value::Int(cost.0),
                    Value::Int(rules::value_at(*qty, cost).0),
                    Value::Int((n * ROWS_PER_STATEMENT + i + 1) as i64),
                ]);
                format!("(?1, ?{k}, ?2, ?{}, ?3, ?4, ?{}, ?{}, ?5, ?{}, NULL, '', ?6, ?3)", k + 1, k + 2, k + 3, k + 4)
            })
            .collect();
        c.prepare(&format!(
            "INSERT INTO stock_movements (branch_id, product_id, kind, qty, at, business_day, unit_cost, value, source,
             source_line, reason, note, actor, recorded_at) VALUES {}",
            rows.join(", ")
        ))?
        .execute(values)?;
    }
    Ok(average)
}

/// A counter's name trimmed, and the lines' number checked (before any write).
pub(super) fn check_entries<'a>(counter: &'a str, entries: &[CountEntry]) -> StoreResult<&'a str> {
    let counter = counter.trim();
    if counter.is_empty() || counter.chars().count() > 60 {
        return Err(invalid("counter: who counted, 1 to 60 characters"));
    }
    if entries.is_empty() || entries.len() > MAX_LINES {
        return Err(invalid(format!("lines: 1 to {MAX_LINES} lines")));
    }
    Ok(counter)
}

/// Who enters lines into which count, and how far their clock may be from HQ's.
pub(super) struct Entry<'a> {
    pub id: i64,
    /// The branch the count must be of (a till's own): another branch's is "not found".
    pub branch: Option<i64>,
    /// Trimmed and checked ([`check_entries`]).
    pub counter: &'a str,
    /// A till's batch id, for the audit log.
    pub batch: Option<&'a str>,
    /// How far a line's `counted_at` may be before the snapshot (entered as counted at the
    /// snapshot) or after HQ's now: a till's clock is not HQ's. Zero for HQ's own users.
    pub slack: jiff::SignedDuration,
}

/// Enters a counter's lines into an open count, in the caller's write transaction: every line
/// checked before the first is written, then the entries in multi-row statements and the audit
/// entry. The one way lines are entered (the API's and the console's, and the tills' batches).
/// Returns the first entry's seq and how many were entered.
pub(super) fn enter(
    store: &SqlStore,
    tx: &Conn<'_>,
    actor: &Actor,
    e: &Entry<'_>,
    entries: &[CountEntry],
) -> StoreResult<(i64, usize)> {
    let (id, counter) = (e.id, e.counter);
    let now = store.now();
    let head = head_tx(tx, id)?;
    if e.branch.is_some_and(|b| b != head.branch) {
        return Err(StoreError::NotFound(format!("stock count {id}")));
    }
    if head.status != CountStatus::Open {
        return Err(not_open(id, head.status, "it takes no more entries"));
    }
    let slack = e.slack.as_micros() as i64;
    // Every line checked before the first is written.
    let named = named(tx, entries)?;
    let mut rows: Vec<(i64, i64, i64)> = Vec::with_capacity(entries.len());
    for (i, line) in entries.iter().enumerate() {
        if line.barcode.as_ref().is_some_and(|b| b.chars().count() > 64) {
            return Err(invalid(format!("lines[{i}].barcode: at most 64 characters")));
        }
        let product = resolve(&named, i, line, head.category)?;
        if line.qty.0 < 0 {
            return Err(invalid(format!(
                "lines[{i}].qty: what is on the shelf is not below zero, not {}",
                line.qty.display()
            )));
        }
        if line.qty.0 > MAX_MOVEMENT.0 {
            return Err(invalid(format!("lines[{i}].qty: {} is out of range", line.qty.display())));
        }
        let at = micros(line.counted_at.unwrap_or(now));
        if at < head.started_at - slack {
            return Err(invalid(format!("lines[{i}].counted_at: before the count's snapshot")));
        }
        if at > micros(now) + slack {
            return Err(invalid(format!("lines[{i}].counted_at: in the future")));
        }
        rows.push((product, line.qty.0, at.max(head.started_at)));
    }
    let first: i64 = tx
        .prepare_cached("SELECT COALESCE(MAX(seq), 0) + 1 FROM stock_count_entries WHERE count_id = ?1")?
        .query_row([id], |r| r.get(0))?;
    for (n, chunk) in rows.chunks(ROWS_PER_STATEMENT).enumerate() {
        let mut values = vec![
            Value::Int(id),
            Value::Text(counter.to_owned()),
            Value::Text(actor.who.clone()),
            Value::Int(micros(now)),
        ];
        let sql: Vec<String> = chunk
            .iter()
            .enumerate()
            .map(|(i, (product, qty, at))| {
                let k = values.len() + 1;
                let seq = first + (n * ROWS_PER_STATEMENT + i) as i64;
                values.extend([Value::Int(seq), Value::Int(*product), Value::Int(*qty), Value::Int(*at)]);
                format!("(?1, ?{k}, ?{}, ?2, ?{}, ?{}, ?3, ?4)", k + 1, k + 2, k + 3)
            })
            .collect();
        tx.prepare(&format!(
            "INSERT INTO stock_count_entries (count_id, seq, product_id, counter, qty, counted_at, actor,
             recorded_at) VALUES {}",
            sql.join(", ")
        ))?
        .execute(values)?;
    }
    let last = first + rows.len() as i64 - 1;
    let mut detail = serde_json::json!({"counter": counter, "entries": rows.len(), "seq": [first, last]});
    if let Some(batch) = e.batch {
        detail["batch"] = serde_json::json!(batch);
    }
    append_audit(
        tx,
        &store.audit_key,
        actor,
        now,
        "enter_stock_count",
        &format!("stock_count:{id}"),
        None::<&()>,
        Some(&detail),
    )?;
    Ok((first, rows.len()))
}

/// What posting a count tells the audit log (its lines are in the ledger, by `count:<id>`).
#[derive(serde::Serialize)]
struct Posted<'a> {
    count: &'a StockCount,
    adjustments: i64,
    uncounted: usize,
    gained_value: Money,
    lost_value: Money,
}

impl StockCountStore for SqlStore {
    fn start_count(&self, actor: &Actor, branch: BranchId, scope: CountScope, note: &str) -> StoreResult<StockCount> {
        check_note(note)?;
        self.write(|tx| {
            let now = self.now();
            if !exists(tx, "SELECT 1 FROM branches WHERE id = ?1", branch.0)? {
                return Err(invalid(format!("branch_id: no branch {}", branch.0)));
            }
            let category = match scope {
                CountScope::Full => None,
                CountScope::Category(k) => {
                    if !exists(tx, "SELECT 1 FROM categories WHERE id = ?1", k.0)? {
                        return Err(invalid(format!("category_id: no category {}", k.0)));
                    }
                    Some(k.0)
                }
            };
            if let Some(open) = tx
                .prepare_cached(
                    "SELECT id FROM stock_counts WHERE branch_id = ?1 AND COALESCE(category_id, 0) = ?2 AND status = 'open'",
                )?
                .query_row(params![branch.0, category.unwrap_or(0)], |r| r.get::<_, i64>(0))
                .optional()?
            {
                return Err(StoreError::Conflict(format!(
                    "stock count {open} of this branch and scope is open: post or cancel it first"
                )));
            }
            let snapshot: i64 =
                tx.prepare_cached("SELECT COALESCE(MAX(id), 0) FROM stock_movements")?.query_row([], |r| r.get(0))?;
            let id: i64 = tx
                .prepare_cached(
                    "INSERT INTO stock_counts (branch_id, scope, category_id, status, started_at, snapshot_movement_id,
                     created_by, note) VALUES (?1, ?2, ?3, 'open', ?4, ?5, ?6, ?7) RETURNING id",
                )?
                .query_row(
                    params![
                        branch.0,
                        if category.is_some() { "category" } else { "full" },
                        category,
                        micros(now),
                        snapshot,
                        actor.who,
                        note.trim()
                    ],
                    |r| r.get(0),
                )?;
            tx.prepare_cached(
                "INSERT INTO stock_count_snapshot (count_id, product_id, on_hand, avg_cost)
                 SELECT CAST(?1 AS BIGINT), l.product_id, l.on_hand, l.avg_cost
                 FROM stock_levels l LEFT JOIN products p ON p.id = l.product_id
                 WHERE l.branch_id = ?2 AND (CAST(?3 AS BIGINT) IS NULL OR p.category_id = ?3)",
            )?
            .execute(params![id, branch.0, category])?;
            let made = count_tx(tx, id)?;
            append_audit(
                tx,
                &self.audit_key,
                actor,
                now,
                "start_stock_count",
                &format!("stock_count:{id}"),
                None::<&()>,
                Some(&made),
            )?;
            Ok(made)
        })
    }

    fn stock_count(&self, id: i64) -> StoreResult<StockCount> {
        self.read(|c| count_tx(c, id))
    }

    fn stock_counts(&self, branch: Option<BranchId>, limit: u32) -> StoreResult<Vec<StockCount>> {
        self.read(|c| {
            let limit = limit.clamp(1, 500);
            let ids: Vec<i64> = c
                .prepare_cached(&format!(
                    "SELECT id FROM stock_counts WHERE (CAST(?1 AS BIGINT) IS NULL OR branch_id = ?1)
                     ORDER BY id DESC LIMIT {limit}"
                ))?
                .query_map(params![branch.map(|b| b.0)], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            ids.into_iter().map(|id| count_tx(c, id)).collect()
        })
    }

    fn count_entries(
        &self,
        actor: &Actor,
        id: i64,
        counter: &str,
        entries: Vec<CountEntry>,
    ) -> StoreResult<StockCount> {
        let counter = check_entries(counter, &entries)?;
        self.write(|tx| {
            let entry = Entry { id, branch: None, counter, batch: None, slack: jiff::SignedDuration::ZERO };
            enter(self, tx, actor, &entry, &entries)?;
            count_tx(tx, id)
        })
    }

    fn count_sheet(&self, id: i64, blind: bool) -> StoreResult<CountSheet> {
        self.read(|c| {
            let count = count_tx(c, id)?;
            let head = head_tx(c, id)?;
            let tallies = tally(c, id, &head)?;
            let costs = if blind { None } else { Some(costs(c, head.branch)?) };
            let lines = tallies.iter().map(|(p, t)| line(*p, t, costs.as_ref())).collect();
            Ok(CountSheet { count, blind, lines })
        })
    }

    fn post_count(&self, actor: &Actor, id: i64) -> StoreResult<CountReport> {
        self.write(|tx| {
            let now = self.now();
            let head = head_tx(tx, id)?;
            if head.status != CountStatus::Open {
                return Err(not_open(id, head.status, "a count is posted once"));
            }
            let before = count_tx(tx, id)?;
            let tallies = tally(tx, id, &head)?;
            let costs = costs(tx, head.branch)?;
            let (mut lines, mut uncounted) = (Vec::new(), Vec::new());
            let mut adjustments: Vec<(i64, Qty)> = Vec::new();
            for (p, t) in &tallies {
                let l = line(*p, t, Some(&costs));
                match l.variance {
                    None => uncounted.push(l),
                    Some(v) => {
                        if v.0 != 0 {
                            rules::check(MovementKind::CountAdjustment, v)
                                .map_err(|e| invalid(format!("product {p}: the adjustment: {e}")))?;
                            adjustments.push((*p, v));
                        }
                        lines.push(l);
                    }
                }
            }
            let moved_at = write_adjustments(tx, head.branch, id, &adjustments, &actor.who, now)?;
            let (mut gained, mut lost) = (Money(0), Money(0));
            for l in &mut lines {
                if let (Some(v), Some(cost)) = (l.variance, moved_at.get(&l.product_id.0)) {
                    l.unit_cost = Some(*cost);
                    l.variance_value = Some(rules::value_at(v, *cost));
                }
                match l.variance_value {
                    Some(m) if m.0 > 0 => gained += m,
                    Some(m) if m.0 < 0 => lost += m,
                    _ => {}
                }
            }
            tx.prepare_cached(
                "UPDATE stock_counts SET status = 'posted', posted_at = ?2, posted_by = ?3 WHERE id = ?1",
            )?
            .execute(params![id, micros(now), actor.who])?;
            let count = count_tx(tx, id)?;
            let report = CountReport {
                count,
                adjustments: adjustments.len() as i64,
                gained_value: gained,
                lost_value: lost,
                net_value: gained + lost,
                lines,
                uncounted,
            };
            append_audit(
                tx,
                &self.audit_key,
                actor,
                now,
                "post_stock_count",
                &format!("stock_count:{id}"),
                Some(&before),
                Some(&Posted {
                    count: &report.count,
                    adjustments: report.adjustments,
                    uncounted: report.uncounted.len(),
                    gained_value: gained,
                    lost_value: lost,
                }),
            )?;
            Ok(report)
        })
    }

    fn cancel_count(&self, actor: &Actor, id: i64) -> StoreResult<StockCount> {
        self.write(|tx| {
            let now = self.now();
            let head = head_tx(tx, id)?;
            if head.status != CountStatus::Open {
                return Err(not_open(id, head.status, "only an open count is cancelled"));
            }
            let before = count_tx(tx, id)?;
            tx.prepare_cached("UPDATE stock_counts SET status = 'cancelled' WHERE id = ?1")?.execute([id])?;
            let after = count_tx(tx, id)?;
            append_audit(
                tx,
                &self.audit_key,
                actor,
                now,
                "cancel_stock_count",
                &format!("stock_count:{id}"),
                Some(&before),
                Some(&after),
            )?;
            Ok(after)
        })
    }
}
