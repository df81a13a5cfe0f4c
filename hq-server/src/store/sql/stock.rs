//! Stock per branch in the database: the append-only movement ledger and each branch and
//! product's level (`schema_stock.rs`).
//!
//! Every movement goes through [`record`], in the caller's transaction: it checks the movement
//! against `shared::stock`'s rules, moves the level with one upsert (which on PostgreSQL holds the
//! level's row until the transaction ends, so two processes moving one product never lose an
//! update) and appends the movement at the average cost the upsert returned. Ingest calls it for
//! every line of a sale and of a refund, dated when the till made them.

use jiff::Timestamp;
use jiff::civil::Date;
use shared::catalog::ProductId;
use shared::ids::BranchId;
use shared::money::{Money, Qty};
use shared::stock::{self, MovementKind, WriteOffReason};

use super::conn::{Conn, OptionalExtension, Row, Value, params};
use super::stock_orders as orders;
use super::{SqlStore, append_audit, from_micros, micros};
use crate::calendar::hq_day;
use crate::model::{
    Actor, CostLine, NewOrderRow, NewReceipt, NewWriteOff, OrderState, PurchaseOrder, ReceiptRecord, StockFilter,
    StockLevel, StockMovement, StockValue, Supplier, Transfer, TransferArrival, TransferState,
};
use crate::store::{StockStore, StoreError, StoreResult};

/// Whether ingest moves stock: always, but for the push benchmark's run without it, which
/// measures what the movements cost ingest in the same run ([`set_stock_movements_for_benchmarks`]).
static INGEST_MOVES_STOCK: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(true);

/// Turns ingest's stock movements off (or back on) in this process. Only for the push benchmark.
#[doc(hidden)]
pub fn set_stock_movements_for_benchmarks(on: bool) {
    INGEST_MOVES_STOCK.store(on, std::sync::atomic::Ordering::Relaxed);
}

/// Whether ingest writes stock movements (see [`set_stock_movements_for_benchmarks`]).
pub(crate) fn ingest_moves_stock() -> bool {
    INGEST_MOVES_STOCK.load(std::sync::atomic::Ordering::Relaxed)
}

/// The most rows one read returns.
const MAX_PAGE: u32 = 1000;

/// A movement to append.
pub(crate) struct Movement<'a> {
    pub branch: i64,
    pub product: i64,
    pub kind: MovementKind,
    /// Signed: negative takes stock out.
    pub qty: Qty,
    pub at: Timestamp,
    pub business_day: Date,
    /// What made it (`sale:<id>`, …) and the line within it.
    pub source: &'a str,
    pub source_line: i64,
    pub reason: Option<WriteOffReason>,
    pub note: &'a str,
    pub actor: &'a str,
    /// What goods coming in cost (fen per selling unit): a receipt's, or a transfer's at the
    /// sender's average. It moves the level's average cost; `None` moves at the average.
    pub cost: Option<Money>,
}

/// The version a level written now takes (`schema_till_stock.rs`): one more than the largest
/// movement id there is. Every level write appends its movement in the same transaction (at an id
/// at least this), and writes are serialised, so a later transaction's stamp is larger than every
/// stamp committed before: what a till's pull of on hand pages by.
pub(super) const NEXT_LEVEL_VERSION: &str = "(SELECT COALESCE(MAX(id), 0) + 1 FROM stock_movements)";

/// What a movement does to a level that exists: on hand moves by the movement, and the last
/// movement and last sale are the latest of theirs and its (an offline till's sale may be older);
/// the level takes the write's version.
pub(super) const LEVEL_MOVED_SET: &str =
    "on_hand = stock_levels.on_hand + excluded.on_hand, version = excluded.version,
    last_movement_at = CASE WHEN excluded.last_movement_at > stock_levels.last_movement_at
        THEN excluded.last_movement_at ELSE stock_levels.last_movement_at END,
    last_sale_at = CASE WHEN excluded.last_sale_at IS NOT NULL
        AND (stock_levels.last_sale_at IS NULL OR excluded.last_sale_at > stock_levels.last_sale_at)
        THEN excluded.last_sale_at ELSE stock_levels.last_sale_at END";

/// Appends a movement and moves its level, in the caller's transaction; returns the movement's
/// id and the average cost it moved at. A movement the rules refuse is `Invalid` with the reason.
pub(crate) fn record(c: &Conn<'_>, m: &Movement<'_>, recorded_at: Timestamp) -> StoreResult<(i64, Money)> {
    stock::check(m.kind, m.qty).map_err(|e| StoreError::Invalid(format!("qty: {e}")))?;
    let at = micros(m.at);
    let sale_at = (m.kind == MovementKind::Sale).then_some(at);
    // Goods in at a cost move the average (the write transaction is the only writer: SQLite's
    // one, PostgreSQL's advisory lock, so the level read here is the one the upsert moves).
    let average = match m.cost {
        Some(cost) if m.qty.0 > 0 => {
            let (on_hand, avg) = c
                .prepare_cached("SELECT on_hand, avg_cost FROM stock_levels WHERE branch_id = ?1 AND product_id = ?2")?
                .query_row(params![m.branch, m.product], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))
                .optional()?
                .unwrap_or((0, 0));
            Some(stock::average_cost(Qty(on_hand), Money(avg), m.qty, cost).0)
        }
        _ => None,
    };
    let avg: i64 = c
        .prepare_cached(&format!(
            "INSERT INTO stock_levels (branch_id, product_id, on_hand, avg_cost, last_movement_at, last_sale_at, version)
             VALUES (?1, ?2, ?3, COALESCE(CAST(?6 AS BIGINT), 0), ?4, ?5, {NEXT_LEVEL_VERSION})
             ON CONFLICT (branch_id, product_id) DO UPDATE SET
                 avg_cost = COALESCE(CAST(?6 AS BIGINT), stock_levels.avg_cost), {LEVEL_MOVED_SET}
             RETURNING avg_cost"
        ))?
        .query_row(params![m.branch, m.product, m.qty.0, at, sale_at, average], |r| r.get(0))?;
    let unit_cost = m.cost.unwrap_or(Money(avg));
    let id: i64 = c
        .prepare_cached(
            "INSERT INTO stock_movements (branch_id, product_id, kind, qty, at, business_day, unit_cost, value, source,
             source_line, reason, note, actor, recorded_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14) RETURNING id",
        )?
        .query_row(
            params![
                m.branch,
                m.product,
                m.kind.code(),
                m.qty.0,
                at,
                m.business_day.to_string(),
                unit_cost.0,
                stock::value_at(m.qty, unit_cost).0,
                m.source,
                m.source_line,
                m.reason.map(WriteOffReason::code),
                m.note,
                m.actor,
                micros(recorded_at)
            ],
            |r| r.get(0),
        )?;
    Ok((id, unit_cost))
}

/// The movement of a sale's line: what was sold leaves the shelf (a line of a negative quantity,
/// One line of a sale or a refund that moves stock: goods out, or back, at the average cost.
pub(crate) struct LineMove {
    pub line: i64,
    pub product: i64,
    pub kind: MovementKind,
    pub qty: Qty,
}

/// The most lines one statement moves (a sale's lines seldom pass it; each count of lines is a
/// statement of its own in the connection's cache).
const LINES_A_STATEMENT: usize = 8;

/// The movements of one sale's or refund's lines, in the caller's transaction, at the average
/// costs ingest read for its batch (`costs`, by product; 0 for one without a level): one insert
/// of up to [`LINES_A_STATEMENT`] lines, queued ([`Conn::execute_later`]). The levels they move
/// are summed for the batch and written at its end (`ingest_rollups`). Ingest runs it for every
/// sale and refund, so its cost is ingest's. Lines carry no cost, so no line moves the average.
#[allow(clippy::too_many_arguments)] // the columns every line of one event shares
pub(crate) fn record_lines(
    c: &Conn<'_>,
    branch: i64,
    at: Timestamp,
    business_day: Date,
    source: &str,
    actor: &str,
    lines: &[LineMove],
    recorded_at: Timestamp,
    costs: &std::collections::HashMap<(i64, i64), i64>,
) -> StoreResult<()> {
    for l in lines {
        stock::check(l.kind, l.qty).map_err(|e| StoreError::Invalid(format!("line {}: qty: {e}", l.line)))?;
    }
    let at = micros(at);
    for chunk in lines.chunks(LINES_A_STATEMENT) {
        let mut values = vec![
            Value::Int(branch),
            Value::Int(at),
            Value::Text(business_day.to_string()),
            Value::Text(source.to_owned()),
            Value::Text(actor.to_owned()),
            Value::Int(micros(recorded_at)),
        ];
        let mut rows = Vec::with_capacity(chunk.len());
        for l in chunk {
            let cost = Money(costs.get(&(branch, l.product)).copied().unwrap_or(0));
            let k = values.len() + 1;
            values.extend([
                Value::Int(l.product),
                Value::Text(l.kind.code().to_owned()),
                Value::Int(l.qty.0),
                Value::Int(cost.0),
                Value::Int(stock::value_at(l.qty, cost).0),
                Value::Int(l.line),
            ]);
            rows.push(format!(
                "(?1, ?{k}, ?{}, ?{}, ?2, ?3, ?{}, ?{}, ?4, ?{}, NULL, '', ?5, ?6)",
                k + 1,
                k + 2,
                k + 3,
                k + 4,
                k + 5
            ));
        }
        // Nothing here needs its answer: it goes with the caller's next statement (one round trip
        // fewer for each sale ingested on PostgreSQL).
        c.execute_later(
            &format!(
                "INSERT INTO stock_movements (branch_id, product_id, kind, qty, at, business_day, unit_cost, value,
                 source, source_line, reason, note, actor, recorded_at) VALUES {}",
                rows.join(", ")
            ),
            values,
            None,
        )?;
    }
    Ok(())
}

/// which a till may ring as an exchange, comes back).
pub(crate) fn sale_line(qty: Qty) -> Option<(MovementKind, Qty)> {
    match qty.0 {
        0 => None,
        q if q > 0 => Some((MovementKind::Sale, Qty(-q))),
        q => Some((MovementKind::Return, Qty(-q))),
    }
}

/// The movement of a refund's line: what is brought back returns to the shelf of the branch
/// that took it back.
pub(crate) fn refund_line(qty: Qty) -> Option<(MovementKind, Qty)> {
    match qty.0 {
        0 => None,
        q if q > 0 => Some((MovementKind::Return, Qty(q))),
        q => Some((MovementKind::Sale, Qty(q))),
    }
}

pub(super) const LEVEL: &str = "SELECT l.branch_id, b.code, l.product_id, COALESCE(p.code, ''), COALESCE(p.name, ''),
        COALESCE(p.unit, ''), l.on_hand, l.avg_cost, l.last_movement_at, l.last_sale_at
    FROM stock_levels l JOIN branches b ON b.id = l.branch_id LEFT JOIN products p ON p.id = l.product_id";

pub(super) fn level_row(r: &Row<'_>) -> super::conn::Result<StockLevel> {
    let on_hand = Qty(r.get(6)?);
    let avg_cost = Money(r.get(7)?);
    Ok(StockLevel {
        branch_id: BranchId(r.get(0)?),
        branch_code: r.get(1)?,
        product_id: ProductId(r.get(2)?),
        product_code: r.get(3)?,
        product_name: r.get(4)?,
        unit: r.get(5)?,
        on_hand,
        avg_cost,
        value: stock::value_at(on_hand, avg_cost),
        last_movement_at: from_micros(r.get(8)?),
        last_sale_at: r.get::<_, Option<i64>>(9)?.map(from_micros),
    })
}

const MOVEMENT: &str = "SELECT id, branch_id, product_id, kind, qty, at, business_day, unit_cost, value, source,
        source_line, reason, note, actor, recorded_at FROM stock_movements";

fn movement_row(r: &Row<'_>) -> super::conn::Result<StockMovement> {
    let bad = |what: &str, v: String| super::conn::Error::Conversion(0, format!("{what}: {v}"));
    let kind: String = r.get(3)?;
    let day: String = r.get(6)?;
    let reason: Option<String> = r.get(11)?;
    Ok(StockMovement {
        id: r.get(0)?,
        branch_id: BranchId(r.get(1)?),
        product_id: ProductId(r.get(2)?),
        kind: MovementKind::parse(&kind).ok_or_else(|| bad("kind", kind.clone()))?,
        qty: Qty(r.get(4)?),
        at: from_micros(r.get(5)?),
        business_day: day.parse().map_err(|_| bad("business_day", day.clone()))?,
        unit_cost: Money(r.get(7)?),
        value: Money(r.get(8)?),
        source: r.get(9)?,
        source_line: r.get(10)?,
        reason: reason.map(|x| WriteOffReason::parse(&x).ok_or_else(|| bad("reason", x.clone()))).transpose()?,
        note: r.get(12)?,
        actor: r.get(13)?,
        recorded_at: from_micros(r.get(14)?),
    })
}

pub(super) fn movement_tx(c: &Conn<'_>, id: i64) -> StoreResult<StockMovement> {
    c.prepare_cached(&format!("{MOVEMENT} WHERE id = ?1"))?
        .query_row([id], movement_row)
        .optional()?
        .ok_or_else(|| StoreError::NotFound(format!("stock movement {id}")))
}

fn exists(c: &Conn<'_>, sql: &str, id: i64) -> StoreResult<bool> {
    Ok(c.prepare_cached(sql)?.query_row([id], |_| Ok(())).optional()?.is_some())
}

impl StockStore for SqlStore {
    fn stock_level(&self, branch: BranchId, product: ProductId) -> StoreResult<StockLevel> {
        self.read_one(|c| {
            c.prepare_cached(&format!("{LEVEL} WHERE l.branch_id = ?1 AND l.product_id = ?2"))?
                .query_row(params![branch.0, product.0], level_row)
                .optional()?
                .ok_or_else(|| StoreError::NotFound(format!("stock of product {} at branch {}", product.0, branch.0)))
        })
    }

    fn stock_levels(&self, f: &StockFilter) -> StoreResult<Vec<StockLevel>> {
        self.read(|c| {
            let mut sql = format!("{LEVEL} WHERE 1 = 1");
            let mut args: Vec<Value> = Vec::new();
            let mut arg = |v: Value| {
                args.push(v);
                args.len()
            };
            if let Some(b) = f.branch {
                sql += &format!(" AND l.branch_id = ?{}", arg(Value::Int(b.0)));
            }
            if let Some(q) = f.search.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
                let pattern = format!("%{}%", q.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
                let n = arg(Value::Text(pattern));
                sql += &format!(
                    " AND (p.code {like} ?{n} ESCAPE '\\' OR p.name {like} ?{n} ESCAPE '\\')",
                    like = c.like()
                );
            }
            if let Some(k) = f.category {
                sql += &format!(" AND p.category_id = ?{}", arg(Value::Int(k.0)));
            }
            if f.negative_only {
                sql += " AND l.on_hand < 0";
            }
            if let Some((b, p)) = f.after {
                let (nb, np) = (arg(Value::Int(b.0)), arg(Value::Int(p.0)));
                sql += &format!(" AND (l.branch_id > ?{nb} OR (l.branch_id = ?{nb} AND l.product_id > ?{np}))");
            }
            let limit = f.limit.clamp(1, MAX_PAGE);
            sql += &format!(" ORDER BY l.branch_id, l.product_id LIMIT {limit}");
            Ok(c.prepare(&sql)?.query_map(args, level_row)?.collect::<Result<_, _>>()?)
        })
    }

    fn stock_movements(
        &self,
        branch: BranchId,
        product: ProductId,
        before: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<StockMovement>> {
        self.read(|c| {
            let limit = i64::from(limit.clamp(1, MAX_PAGE));
            let rows = match before {
                None => c
                    .prepare_cached(&format!(
                        "{MOVEMENT} WHERE branch_id = ?1 AND product_id = ?2 ORDER BY at DESC, id DESC LIMIT ?3"
                    ))?
                    .query_map(params![branch.0, product.0, limit], movement_row)?
                    .collect::<Result<_, _>>()?,
                Some(id) => {
                    let Some(at) = c
                        .prepare_cached("SELECT at FROM stock_movements WHERE id = ?1")?
                        .query_row([id], |r| r.get::<_, i64>(0))
                        .optional()?
                    else {
                        return Err(StoreError::Invalid(format!("before: no stock movement {id}")));
                    };
                    c.prepare_cached(&format!(
                        "{MOVEMENT} WHERE branch_id = ?1 AND product_id = ?2 AND (at < ?3 OR (at = ?3 AND id < ?4))
                         ORDER BY at DESC, id DESC LIMIT ?5"
                    ))?
                    .query_map(params![branch.0, product.0, at, id, limit], movement_row)?
                    .collect::<Result<_, _>>()?
                }
            };
            Ok(rows)
        })
    }

    fn write_off(&self, actor: &Actor, w: NewWriteOff) -> StoreResult<StockMovement> {
        let now = self.now();
        let at = w.at.unwrap_or(now);
        if at > now {
            return Err(StoreError::Invalid(format!("at: {at} is in the future")));
        }
        if w.qty.0 <= 0 {
            return Err(StoreError::Invalid(format!(
                "qty: what is written off must be above zero, not {}",
                w.qty.display()
            )));
        }
        let note = w.note.trim();
        if w.reason == WriteOffReason::Other && note.is_empty() {
            return Err(StoreError::Invalid("note: say what happened to goods written off for another reason".into()));
        }
        if note.chars().count() > 500 {
            return Err(StoreError::Invalid("note: at most 500 characters".into()));
        }
        self.write(|tx| {
            if !exists(tx, "SELECT 1 FROM branches WHERE id = ?1", w.branch.0)? {
                return Err(StoreError::Invalid(format!("branch_id: no branch {}", w.branch.0)));
            }
            if !exists(tx, "SELECT 1 FROM products WHERE id = ?1", w.product.0)? {
                return Err(StoreError::Invalid(format!("product_id: no product {}", w.product.0)));
            }
            let source = format!("write_off:{}", uuid::Uuid::now_v7());
            let (id, _) = record(
                tx,
                &Movement {
                    branch: w.branch.0,
                    product: w.product.0,
                    kind: MovementKind::WriteOff,
                    qty: Qty(-w.qty.0),
                    at,
                    business_day: hq_day(at),
                    source: &source,
                    source_line: 0,
                    reason: Some(w.reason),
                    note,
                    actor: &actor.who,
                    cost: None,
                },
                now,
            )?;
            let movement = movement_tx(tx, id)?;
            append_audit(
                tx,
                &self.audit_key,
                actor,
                now,
                "stock_write_off",
                &format!("stock:{}:{}", w.branch.0, w.product.0),
                None::<&()>,
                Some(&movement),
            )?;
            Ok(movement)
        })
    }

    fn stock_value(&self, branch: Option<BranchId>) -> StoreResult<Vec<StockValue>> {
        self.read(|c| {
            // Summed in fen per level (value_at rounds each), as the levels' page shows them.
            let mut totals: Vec<StockValue> = Vec::new();
            let mut q = c.prepare_cached(
                "SELECT l.branch_id, b.code, l.on_hand, l.avg_cost FROM stock_levels l JOIN branches b ON b.id = l.branch_id
                 WHERE (CAST(?1 AS BIGINT) IS NULL OR l.branch_id = ?1) AND l.on_hand <> 0
                 ORDER BY l.branch_id",
            )?;
            let mut rows = q.query(params![branch.map(|b| b.0)])?;
            while let Some(r) = rows.next_row()? {
                let id = BranchId(r.get(0)?);
                let on_hand = Qty(r.get(2)?);
                let value = if on_hand.0 > 0 { stock::value_at(on_hand, Money(r.get(3)?)) } else { Money(0) };
                match totals.last_mut() {
                    Some(t) if t.branch_id == id => {
                        t.products += 1;
                        t.negative += i64::from(on_hand.0 < 0);
                        t.value += value;
                    }
                    _ => totals.push(StockValue {
                        branch_id: id,
                        branch_code: r.get(1)?,
                        products: 1,
                        negative: i64::from(on_hand.0 < 0),
                        value,
                    }),
                }
            }
            Ok(totals)
        })
    }

    fn suppliers(&self) -> StoreResult<Vec<Supplier>> {
        orders::suppliers(self)
    }

    fn create_supplier(&self, actor: &Actor, code: &str, name: &str) -> StoreResult<Supplier> {
        orders::create_supplier(self, actor, code, name)
    }

    fn create_purchase_order(
        &self,
        actor: &Actor,
        supplier: i64,
        branch: BranchId,
        lines: Vec<CostLine>,
        note: &str,
    ) -> StoreResult<PurchaseOrder> {
        orders::create_purchase_order(self, actor, supplier, branch, lines, note)
    }

    fn import_purchase_orders(
        &self,
        actor: &Actor,
        scope: Option<BranchId>,
        rows: Vec<NewOrderRow>,
        note: &str,
    ) -> StoreResult<Vec<PurchaseOrder>> {
        orders::import_purchase_orders(self, actor, scope, rows, note)
    }

    fn purchase_order(&self, id: i64) -> StoreResult<PurchaseOrder> {
        orders::purchase_order(self, id)
    }

    fn purchase_orders(
        &self,
        branch: Option<BranchId>,
        state: Option<OrderState>,
        limit: u32,
    ) -> StoreResult<Vec<PurchaseOrder>> {
        orders::purchase_orders(self, branch, state, limit)
    }

    fn close_purchase_order(&self, actor: &Actor, id: i64) -> StoreResult<PurchaseOrder> {
        orders::close_purchase_order(self, actor, id)
    }

    fn receive(&self, actor: &Actor, receipt: NewReceipt) -> StoreResult<ReceiptRecord> {
        orders::receive(self, actor, receipt)
    }

    fn send_transfer(
        &self,
        actor: &Actor,
        from: BranchId,
        to: BranchId,
        lines: Vec<(ProductId, Qty)>,
        note: &str,
    ) -> StoreResult<Transfer> {
        orders::send_transfer(self, actor, from, to, lines, note)
    }

    fn transfer(&self, id: i64) -> StoreResult<Transfer> {
        orders::transfer(self, id)
    }

    fn transfers(
        &self,
        branch: Option<BranchId>,
        state: Option<TransferState>,
        limit: u32,
    ) -> StoreResult<Vec<Transfer>> {
        orders::transfers(self, branch, state, limit)
    }

    fn receive_transfer(&self, actor: &Actor, id: i64, arrivals: Vec<TransferArrival>) -> StoreResult<Transfer> {
        orders::receive_transfer(self, actor, id, arrivals)
    }
}
