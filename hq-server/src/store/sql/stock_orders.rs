//! Goods coming into a branch and moving between branches: suppliers, purchase orders, the
//! deliveries received against them (or without one) and transfers. Every write is one
//! transaction that checks everything it names and every line before the first movement, with
//! its audit entry; the movements go through `stock::record`, so the levels and the average
//! cost move with them.

use std::collections::HashMap;

use shared::catalog::ProductId;
use shared::ids::BranchId;
use shared::money::{Money, Qty};
use shared::stock::{self as rules, MovementKind, WriteOffReason};

use super::conn::{Conn, OptionalExtension, Row, params};
use super::stock::{Movement, record};
use super::stock_reorder::Lookup;
use super::{SqlStore, append_audit, from_micros, micros};
use crate::calendar::hq_day;
use crate::model::{
    Actor, CostLine, NewOrderRow, NewReceipt, OrderLine, OrderState, PurchaseOrder, ReceiptRecord, StockMovement,
    Supplier, Transfer, TransferArrival, TransferLine, TransferState,
};
use crate::store::{StoreError, StoreResult};

/// The most lines one order, delivery or transfer takes.
const MAX_LINES: usize = 10_000;

fn invalid(why: impl Into<String>) -> StoreError {
    StoreError::Invalid(why.into())
}

fn exists(c: &Conn<'_>, sql: &str, id: i64) -> StoreResult<bool> {
    Ok(c.prepare_cached(sql)?.query_row([id], |_| Ok(())).optional()?.is_some())
}

fn branch_exists(c: &Conn<'_>, field: &str, b: BranchId) -> StoreResult<()> {
    if exists(c, "SELECT 1 FROM branches WHERE id = ?1", b.0)? {
        Ok(())
    } else {
        Err(invalid(format!("{field}: no branch {}", b.0)))
    }
}

fn product_exists(c: &Conn<'_>, line: usize, p: ProductId) -> StoreResult<()> {
    if exists(c, "SELECT 1 FROM products WHERE id = ?1", p.0)? {
        Ok(())
    } else {
        Err(invalid(format!("lines[{line}].product_id: no product {}", p.0)))
    }
}

fn check_lines(c: &Conn<'_>, lines: &[CostLine]) -> StoreResult<()> {
    if lines.is_empty() || lines.len() > MAX_LINES {
        return Err(invalid(format!("lines: 1 to {MAX_LINES} lines")));
    }
    for (i, l) in lines.iter().enumerate() {
        rules::check(MovementKind::Receipt, l.qty).map_err(|e| invalid(format!("lines[{i}].qty: {e}")))?;
        if l.unit_cost.0 < 0 || l.unit_cost.0 > 100_000_000 {
            return Err(invalid(format!("lines[{i}].unit_cost: from 0 to ¥1,000,000.00, not {}", l.unit_cost)));
        }
        product_exists(c, i, l.product_id)?;
    }
    Ok(())
}

fn check_note(note: &str) -> StoreResult<()> {
    if note.trim().chars().count() > 500 { Err(invalid("note: at most 500 characters")) } else { Ok(()) }
}

fn supplier_row(r: &Row<'_>) -> super::conn::Result<Supplier> {
    Ok(Supplier { id: r.get(0)?, code: r.get(1)?, name: r.get(2)? })
}

pub(super) fn suppliers(s: &SqlStore) -> StoreResult<Vec<Supplier>> {
    s.read(|c| {
        Ok(c.prepare_cached("SELECT id, code, name FROM suppliers ORDER BY code")?
            .query_map([], supplier_row)?
            .collect::<Result<_, _>>()?)
    })
}

pub(super) fn create_supplier(s: &SqlStore, actor: &Actor, code: &str, name: &str) -> StoreResult<Supplier> {
    let (code, name) = (code.trim(), name.trim());
    if code.is_empty() || code.chars().count() > 32 {
        return Err(invalid("code: 1 to 32 characters"));
    }
    if name.is_empty() || name.chars().count() > 100 {
        return Err(invalid("name: 1 to 100 characters"));
    }
    s.write(|tx| {
        let now = s.now();
        if tx
            .prepare_cached("SELECT 1 FROM suppliers WHERE code = ?1")?
            .query_row([code], |_| Ok(()))
            .optional()?
            .is_some()
        {
            return Err(StoreError::Conflict(format!("supplier {code} exists")));
        }
        let id: i64 = tx
            .prepare_cached("INSERT INTO suppliers (code, name, created_at) VALUES (?1, ?2, ?3) RETURNING id")?
            .query_row(params![code, name, micros(now)], |r| r.get(0))?;
        let made = Supplier { id, code: code.to_owned(), name: name.to_owned() };
        append_audit(
            tx,
            &s.audit_key,
            actor,
            now,
            "create_supplier",
            &format!("supplier:{id}"),
            None::<&()>,
            Some(&made),
        )?;
        Ok(made)
    })
}

const ORDER: &str =
    "SELECT o.id, o.supplier_id, s.code, s.name, o.branch_id, b.code, o.state, o.note, o.created_by, o.created_at
    FROM purchase_orders o JOIN suppliers s ON s.id = o.supplier_id JOIN branches b ON b.id = o.branch_id";

fn order_tx(c: &Conn<'_>, id: i64) -> StoreResult<PurchaseOrder> {
    let mut o = c
        .prepare_cached(&format!("{ORDER} WHERE o.id = ?1"))?
        .query_row([id], order_row)
        .optional()?
        .ok_or_else(|| StoreError::NotFound(format!("purchase order {id}")))?;
    o.lines = c
        .prepare_cached(
            "SELECT l.line_no, l.product_id, p.code, p.name, l.qty, l.unit_cost, l.received
             FROM purchase_order_lines l JOIN products p ON p.id = l.product_id WHERE l.order_id = ?1 ORDER BY l.line_no",
        )?
        .query_map([id], |r| {
            Ok(OrderLine {
                line_no: r.get(0)?,
                product_id: ProductId(r.get(1)?),
                product_code: r.get(2)?,
                product_name: r.get(3)?,
                qty: Qty(r.get(4)?),
                unit_cost: Money(r.get(5)?),
                received: Qty(r.get(6)?),
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(o)
}

fn order_row(r: &Row<'_>) -> super::conn::Result<PurchaseOrder> {
    let state: String = r.get(6)?;
    Ok(PurchaseOrder {
        id: r.get(0)?,
        supplier_id: r.get(1)?,
        supplier_code: r.get(2)?,
        supplier_name: r.get(3)?,
        branch_id: BranchId(r.get(4)?),
        branch_code: r.get(5)?,
        state: OrderState::parse(&state).ok_or_else(|| super::conn::Error::Conversion(6, format!("state {state}")))?,
        note: r.get(7)?,
        created_by: r.get(8)?,
        created_at: from_micros(r.get(9)?),
        lines: Vec::new(),
    })
}

pub(super) fn create_purchase_order(
    s: &SqlStore,
    actor: &Actor,
    supplier: i64,
    branch: BranchId,
    lines: Vec<CostLine>,
    note: &str,
) -> StoreResult<PurchaseOrder> {
    check_note(note)?;
    s.write(|tx| {
        if !exists(tx, "SELECT 1 FROM suppliers WHERE id = ?1", supplier)? {
            return Err(invalid(format!("supplier_id: no supplier {supplier}")));
        }
        branch_exists(tx, "branch_id", branch)?;
        check_lines(tx, &lines)?;
        insert_order(s, tx, actor, supplier, branch, &lines, note)
    })
}

/// Writes an order whose supplier, branch and lines are checked, with its audit entry.
fn insert_order(
    s: &SqlStore,
    tx: &Conn<'_>,
    actor: &Actor,
    supplier: i64,
    branch: BranchId,
    lines: &[CostLine],
    note: &str,
) -> StoreResult<PurchaseOrder> {
    let now = s.now();
    let id: i64 = tx
        .prepare_cached(
            "INSERT INTO purchase_orders (supplier_id, branch_id, state, note, created_by, created_at)
             VALUES (?1, ?2, 'open', ?3, ?4, ?5) RETURNING id",
        )?
        .query_row(params![supplier, branch.0, note.trim(), actor.who, micros(now)], |r| r.get(0))?;
    let mut line = tx.prepare_cached(
        "INSERT INTO purchase_order_lines (order_id, line_no, product_id, qty, unit_cost) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for (i, l) in lines.iter().enumerate() {
        line.execute(params![id, i as i64 + 1, l.product_id.0, l.qty.0, l.unit_cost.0])?;
    }
    let made = order_tx(tx, id)?;
    append_audit(
        tx,
        &s.audit_key,
        actor,
        now,
        "create_purchase_order",
        &format!("purchase_order:{id}"),
        None::<&()>,
        Some(&made),
    )?;
    Ok(made)
}

/// One order of a sheet: its (branch, supplier), its lines, and the row each product was first on.
struct SheetOrder {
    key: (i64, i64),
    lines: Vec<CostLine>,
    first_row: HashMap<i64, usize>,
}

/// A sheet's orders, all or none: every row is checked (its quantity and cost, then what it
/// names) before the first order is written; rows of one branch and supplier make one order.
pub(super) fn import_purchase_orders(
    s: &SqlStore,
    actor: &Actor,
    scope: Option<BranchId>,
    rows: Vec<NewOrderRow>,
    note: &str,
) -> StoreResult<Vec<PurchaseOrder>> {
    check_note(note)?;
    if rows.is_empty() || rows.len() > MAX_LINES {
        return Err(invalid(format!("rows: 1 to {MAX_LINES} rows a sheet")));
    }
    for r in &rows {
        let bad = |what: String| invalid(format!("row {}: {what}", r.row));
        rules::check(MovementKind::Receipt, r.qty).map_err(|e| bad(format!("qty: {e}")))?;
        if r.unit_cost.0 < 0 || r.unit_cost.0 > 100_000_000 {
            return Err(bad(format!("unit_cost: from 0 to ¥1,000,000.00, not {}", r.unit_cost)));
        }
    }
    s.write(|tx| {
        let mut branches = Lookup::new(tx, "branches", "branch");
        let mut suppliers = Lookup::new(tx, "suppliers", "supplier");
        let mut products = Lookup::new(tx, "products", "product");
        let mut orders: Vec<SheetOrder> = Vec::new();
        for r in &rows {
            let branch = branches.id(r.row, &r.branch)?;
            if scope.is_some_and(|own| own.0 != branch) {
                return Err(invalid(format!("row {}: branch: not your branch", r.row)));
            }
            let supplier = suppliers.id(r.row, &r.supplier)?;
            let product = products.id(r.row, &r.product)?;
            let at = match orders.iter().position(|o| o.key == (branch, supplier)) {
                Some(at) => at,
                None => {
                    orders.push(SheetOrder { key: (branch, supplier), lines: Vec::new(), first_row: HashMap::new() });
                    orders.len() - 1
                }
            };
            let o = &mut orders[at];
            if let Some(first) = o.first_row.insert(product, r.row) {
                return Err(invalid(format!(
                    "row {}: product: already on row {first}, in the same order (one line a product)",
                    r.row
                )));
            }
            o.lines.push(CostLine { product_id: ProductId(product), qty: r.qty, unit_cost: r.unit_cost });
        }
        orders.iter().map(|o| insert_order(s, tx, actor, o.key.1, BranchId(o.key.0), &o.lines, note)).collect()
    })
}

pub(super) fn purchase_order(s: &SqlStore, id: i64) -> StoreResult<PurchaseOrder> {
    s.read(|c| order_tx(c, id))
}

pub(super) fn purchase_orders(
    s: &SqlStore,
    branch: Option<BranchId>,
    state: Option<OrderState>,
    limit: u32,
) -> StoreResult<Vec<PurchaseOrder>> {
    s.read(|c| {
        let limit = limit.clamp(1, 500);
        let ids: Vec<i64> = c
            .prepare_cached(&format!(
                "SELECT id FROM purchase_orders WHERE (CAST(?1 AS BIGINT) IS NULL OR branch_id = ?1)
                 AND (CAST(?2 AS TEXT) IS NULL OR state = ?2) ORDER BY id DESC LIMIT {limit}"
            ))?
            .query_map(params![branch.map(|b| b.0), state.map(OrderState::code)], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        ids.into_iter().map(|id| order_tx(c, id)).collect()
    })
}

pub(super) fn close_purchase_order(s: &SqlStore, actor: &Actor, id: i64) -> StoreResult<PurchaseOrder> {
    s.write(|tx| {
        let now = s.now();
        let before = order_tx(tx, id)?;
        if before.state == OrderState::Closed {
            return Err(StoreError::Conflict(format!("purchase order {id} is already closed")));
        }
        tx.prepare_cached("UPDATE purchase_orders SET state = 'closed', closed_at = ?2 WHERE id = ?1")?
            .execute(params![id, micros(now)])?;
        let after = order_tx(tx, id)?;
        append_audit(
            tx,
            &s.audit_key,
            actor,
            now,
            "close_purchase_order",
            &format!("purchase_order:{id}"),
            Some(&before.state),
            Some(&after.state),
        )?;
        Ok(after)
    })
}

fn movement(c: &Conn<'_>, id: i64) -> StoreResult<StockMovement> {
    super::stock::movement_tx(c, id)
}

pub(super) fn receive(s: &SqlStore, actor: &Actor, r: NewReceipt) -> StoreResult<ReceiptRecord> {
    check_note(&r.note)?;
    s.write(|tx| {
        let now = s.now();
        branch_exists(tx, "branch_id", r.branch)?;
        check_lines(tx, &r.lines)?;
        // Against an order: what each of its products may still take.
        let order = match r.order {
            None => None,
            Some(id) => {
                let o = order_tx(tx, id).map_err(|e| match e {
                    StoreError::NotFound(_) => invalid(format!("order_id: no purchase order {id}")),
                    e => e,
                })?;
                if o.branch_id != r.branch {
                    return Err(invalid(format!("order_id: purchase order {id} is for branch {}", o.branch_code)));
                }
                if o.state == OrderState::Closed {
                    return Err(StoreError::Conflict(format!("purchase order {id} is closed: receive without it")));
                }
                Some(o)
            }
        };
        let supplier = match (&order, r.supplier) {
            (Some(o), _) => Some(o.supplier_id),
            (None, Some(sup)) => {
                if !exists(tx, "SELECT 1 FROM suppliers WHERE id = ?1", sup)? {
                    return Err(invalid(format!("supplier_id: no supplier {sup}")));
                }
                Some(sup)
            }
            (None, None) => None,
        };
        // Which order line each delivery line goes to (a product's first line with room), checked.
        let mut taken: HashMap<i64, Qty> = HashMap::new();
        if let Some(o) = &order {
            for (i, l) in r.lines.iter().enumerate() {
                let mut ordered = o.lines.iter().filter(|ol| ol.product_id == l.product_id).peekable();
                if ordered.peek().is_none() {
                    if !r.accept_unordered {
                        return Err(invalid(format!(
                            "lines[{i}].product_id: purchase order {} does not order product {} (a manager may accept it)",
                            o.id, l.product_id.0
                        )));
                    }
                    continue;
                }
                let ordered: Vec<&OrderLine> = ordered.collect();
                let room = |ol: &OrderLine| ol.qty.0 - ol.received.0 - taken.get(&ol.line_no).map_or(0, |q| q.0);
                let line = ordered.iter().find(|ol| room(ol) > 0).or(ordered.last()).copied().ok_or_else(|| invalid("no line"))?;
                let so_far = Qty(line.received.0 + taken.get(&line.line_no).map_or(0, |q| q.0));
                rules::check_receipt(line.qty, so_far, l.qty).map_err(|e| invalid(format!("lines[{i}].qty: {e}")))?;
                taken.entry(line.line_no).or_insert(Qty(0)).0 += l.qty.0;
            }
        }
        let id: i64 = tx
            .prepare_cached(
                "INSERT INTO stock_receipts (branch_id, order_id, supplier_id, note, actor, at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id",
            )?
            .query_row(params![r.branch.0, r.order, supplier, r.note.trim(), actor.who, micros(now)], |row| row.get(0))?;
        let source = format!("receipt:{id}");
        let mut movements = Vec::with_capacity(r.lines.len());
        for (i, l) in r.lines.iter().enumerate() {
            let (m, _) = record(
                tx,
                &Movement {
                    branch: r.branch.0,
                    product: l.product_id.0,
                    kind: MovementKind::Receipt,
                    qty: l.qty,
                    at: now,
                    business_day: hq_day(now),
                    source: &source,
                    source_line: i as i64 + 1,
                    reason: None,
                    note: "",
                    actor: &actor.who,
                    cost: Some(l.unit_cost),
                },
                now,
            )?;
            movements.push(movement(tx, m)?);
        }
        let mut order_closed = false;
        if let Some(o) = &order {
            for (line_no, q) in &taken {
                tx.prepare_cached("UPDATE purchase_order_lines SET received = received + ?3 WHERE order_id = ?1 AND line_no = ?2")?
                    .execute(params![o.id, line_no, q.0])?;
            }
            let open: i64 = tx
                .prepare_cached("SELECT COUNT(*) FROM purchase_order_lines WHERE order_id = ?1 AND received < qty")?
                .query_row([o.id], |row| row.get(0))?;
            if open == 0 {
                tx.prepare_cached("UPDATE purchase_orders SET state = 'closed', closed_at = ?2 WHERE id = ?1")?
                    .execute(params![o.id, micros(now)])?;
                order_closed = true;
            }
        }
        let record = ReceiptRecord { id, branch_id: r.branch, order_id: r.order, supplier_id: supplier, order_closed, movements };
        let unordered = r.accept_unordered && order.is_some();
        let action = if unordered { "receive_stock_unordered_accepted" } else { "receive_stock" };
        append_audit(tx, &s.audit_key, actor, now, action, &format!("stock_receipt:{id}"), None::<&()>, Some(&record))?;
        Ok(record)
    })
}

const TRANSFER: &str = "SELECT t.id, t.from_branch, f.code, t.to_branch, d.code, t.state, t.note, t.sent_by, t.sent_at,
        t.received_by, t.received_at
    FROM transfers t JOIN branches f ON f.id = t.from_branch JOIN branches d ON d.id = t.to_branch";

fn transfer_tx(c: &Conn<'_>, id: i64) -> StoreResult<Transfer> {
    let mut t = c
        .prepare_cached(&format!("{TRANSFER} WHERE t.id = ?1"))?
        .query_row([id], |r| {
            let state: String = r.get(5)?;
            Ok(Transfer {
                id: r.get(0)?,
                from_branch: BranchId(r.get(1)?),
                from_code: r.get(2)?,
                to_branch: BranchId(r.get(3)?),
                to_code: r.get(4)?,
                state: TransferState::parse(&state)
                    .ok_or_else(|| super::conn::Error::Conversion(5, format!("state {state}")))?,
                note: r.get(6)?,
                sent_by: r.get(7)?,
                sent_at: from_micros(r.get(8)?),
                received_by: r.get(9)?,
                received_at: r.get::<_, Option<i64>>(10)?.map(from_micros),
                lines: Vec::new(),
            })
        })
        .optional()?
        .ok_or_else(|| StoreError::NotFound(format!("transfer {id}")))?;
    t.lines = c
        .prepare_cached(
            "SELECT l.line_no, l.product_id, p.code, p.name, l.qty, l.unit_cost, l.received, l.damaged
             FROM transfer_lines l JOIN products p ON p.id = l.product_id WHERE l.transfer_id = ?1 ORDER BY l.line_no",
        )?
        .query_map([id], |r| {
            Ok(TransferLine {
                line_no: r.get(0)?,
                product_id: ProductId(r.get(1)?),
                product_code: r.get(2)?,
                product_name: r.get(3)?,
                qty: Qty(r.get(4)?),
                unit_cost: Money(r.get(5)?),
                received: r.get::<_, Option<i64>>(6)?.map(Qty),
                damaged: r.get::<_, Option<i64>>(7)?.map(Qty),
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(t)
}

pub(super) fn send_transfer(
    s: &SqlStore,
    actor: &Actor,
    from: BranchId,
    to: BranchId,
    lines: Vec<(ProductId, Qty)>,
    note: &str,
) -> StoreResult<Transfer> {
    if from == to {
        return Err(invalid("to_branch: a transfer goes to another branch, not the one sending it"));
    }
    check_note(note)?;
    s.write(|tx| {
        let now = s.now();
        branch_exists(tx, "from_branch", from)?;
        branch_exists(tx, "to_branch", to)?;
        if lines.is_empty() || lines.len() > MAX_LINES {
            return Err(invalid(format!("lines: 1 to {MAX_LINES} lines")));
        }
        for (i, (p, q)) in lines.iter().enumerate() {
            rules::check(MovementKind::TransferIn, *q).map_err(|e| invalid(format!("lines[{i}].qty: {e}")))?;
            product_exists(tx, i, *p)?;
        }
        let id: i64 = tx
            .prepare_cached(
                "INSERT INTO transfers (from_branch, to_branch, state, note, sent_by, sent_at)
                 VALUES (?1, ?2, 'sent', ?3, ?4, ?5) RETURNING id",
            )?
            .query_row(params![from.0, to.0, note.trim(), actor.who, micros(now)], |r| r.get(0))?;
        let source = format!("transfer:{id}");
        for (i, (p, q)) in lines.iter().enumerate() {
            let (_, cost) = record(
                tx,
                &Movement {
                    branch: from.0,
                    product: p.0,
                    kind: MovementKind::TransferOut,
                    qty: Qty(-q.0),
                    at: now,
                    business_day: hq_day(now),
                    source: &source,
                    source_line: i as i64 + 1,
                    reason: None,
                    note: "",
                    actor: &actor.who,
                    cost: None,
                },
                now,
            )?;
            tx.prepare_cached(
                "INSERT INTO transfer_lines (transfer_id, line_no, product_id, qty, unit_cost) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![id, i as i64 + 1, p.0, q.0, cost.0])?;
        }
        let made = transfer_tx(tx, id)?;
        append_audit(tx, &s.audit_key, actor, now, "send_transfer", &format!("transfer:{id}"), None::<&()>, Some(&made))?;
        Ok(made)
    })
}

pub(super) fn transfer(s: &SqlStore, id: i64) -> StoreResult<Transfer> {
    s.read(|c| transfer_tx(c, id))
}

pub(super) fn transfers(
    s: &SqlStore,
    branch: Option<BranchId>,
    state: Option<TransferState>,
    limit: u32,
) -> StoreResult<Vec<Transfer>> {
    s.read(|c| {
        let limit = limit.clamp(1, 500);
        let ids: Vec<i64> = c
            .prepare_cached(&format!(
                "SELECT id FROM transfers WHERE (CAST(?1 AS BIGINT) IS NULL OR from_branch = ?1 OR to_branch = ?1)
                 AND (CAST(?2 AS TEXT) IS NULL OR state = ?2) ORDER BY id DESC LIMIT {limit}"
            ))?
            .query_map(params![branch.map(|b| b.0), state.map(TransferState::code)], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        ids.into_iter().map(|id| transfer_tx(c, id)).collect()
    })
}

pub(super) fn receive_transfer(
    s: &SqlStore,
    actor: &Actor,
    id: i64,
    arrivals: Vec<TransferArrival>,
) -> StoreResult<Transfer> {
    s.write(|tx| {
        let now = s.now();
        let before = transfer_tx(tx, id)?;
        if before.state == TransferState::Received {
            return Err(StoreError::Conflict(format!("transfer {id} was already received")));
        }
        let mut by_line: HashMap<i64, &TransferArrival> = HashMap::new();
        for a in &arrivals {
            if !before.lines.iter().any(|l| l.line_no == a.line_no) {
                return Err(invalid(format!("arrivals: transfer {id} has no line {}", a.line_no)));
            }
            if by_line.insert(a.line_no, a).is_some() {
                return Err(invalid(format!("arrivals: line {} twice", a.line_no)));
            }
        }
        for l in &before.lines {
            let a = by_line
                .get(&l.line_no)
                .ok_or_else(|| invalid(format!("arrivals: say what arrived of line {}", l.line_no)))?;
            rules::check_arrival(l.qty, a.received, a.damaged)
                .map_err(|e| invalid(format!("arrivals[line {}]: {e}", l.line_no)))?;
        }
        let source = format!("transfer:{id}");
        for l in &before.lines {
            let a = by_line[&l.line_no];
            let arrived = Qty(a.received.0 + a.damaged.0);
            let movement = |kind, qty, reason, cost| Movement {
                branch: before.to_branch.0,
                product: l.product_id.0,
                kind,
                qty,
                at: now,
                business_day: hq_day(now),
                source: &source,
                source_line: l.line_no,
                reason,
                note: "",
                actor: &actor.who,
                cost,
            };
            if arrived.0 > 0 {
                record(tx, &movement(MovementKind::TransferIn, arrived, None, Some(l.unit_cost)), now)?;
            }
            if a.damaged.0 > 0 {
                let mut m = movement(MovementKind::WriteOff, Qty(-a.damaged.0), Some(WriteOffReason::Damage), None);
                m.note = "damaged in transit";
                record(tx, &m, now)?;
            }
            tx.prepare_cached(
                "UPDATE transfer_lines SET received = ?3, damaged = ?4 WHERE transfer_id = ?1 AND line_no = ?2",
            )?
            .execute(params![id, l.line_no, a.received.0, a.damaged.0])?;
        }
        tx.prepare_cached("UPDATE transfers SET state = 'received', received_by = ?2, received_at = ?3 WHERE id = ?1")?
            .execute(params![id, actor.who, micros(now)])?;
        let after = transfer_tx(tx, id)?;
        append_audit(
            tx,
            &s.audit_key,
            actor,
            now,
            "receive_transfer",
            &format!("transfer:{id}"),
            Some(&before),
            Some(&after),
        )?;
        Ok(after)
    })
}
