//! Reorder settings and the suggested order (`schema_reorder.rs`): a write of many rows checks
//! every row before the first is written; the suggestion is one read, decided per line by
//! `shared::stock::reorder`.

use std::collections::{HashMap, HashSet};

use shared::catalog::ProductId;
use shared::ids::BranchId;
use shared::money::{Money, Qty};
use shared::stock;

use super::conn::{Conn, OptionalExtension, Row, params};
use super::{SqlStore, append_audit, from_micros, micros};
use crate::model::{Actor, NewStockSetting, ReorderLine, StockKey, StockSetting};
use crate::store::{ReorderStore, StoreError, StoreResult};

/// The most rows one write sets, and one read returns.
pub const MAX_ROWS: usize = 10_000;

/// The largest quantity a setting takes (ten million selling units).
const MAX_QTY: i64 = 10_000_000_000;

/// Ids of the branches, products or suppliers a write names, each looked up once.
pub(super) struct Lookup<'a> {
    table: &'static str,
    noun: &'static str,
    found: HashMap<StockKey, Option<i64>>,
    c: &'a Conn<'a>,
}

impl<'a> Lookup<'a> {
    pub(super) fn new(c: &'a Conn<'a>, table: &'static str, noun: &'static str) -> Self {
        Lookup { table, noun, found: HashMap::new(), c }
    }

    pub(super) fn id(&mut self, row: usize, key: &StockKey) -> StoreResult<i64> {
        if let Some(found) = self.found.get(key) {
            return found.ok_or_else(|| unknown(row, self.noun, key));
        }
        let id: Option<i64> = match key {
            StockKey::Id(id) => self
                .c
                .prepare_cached(&format!("SELECT id FROM {} WHERE id = ?1", self.table))?
                .query_row([*id], |r| r.get(0))
                .optional()?,
            StockKey::Code(code) => self
                .c
                .prepare_cached(&format!("SELECT id FROM {} WHERE code = ?1", self.table))?
                .query_row([code.as_str()], |r| r.get(0))
                .optional()?,
        };
        self.found.insert(key.clone(), id);
        id.ok_or_else(|| unknown(row, self.noun, key))
    }
}

fn unknown(row: usize, noun: &str, key: &StockKey) -> StoreError {
    match key {
        StockKey::Id(id) => StoreError::Invalid(format!("row {row}: {noun}: HQ has no {noun} {id}")),
        StockKey::Code(code) => StoreError::Invalid(format!("row {row}: {noun}: HQ has no {noun} `{code}`")),
    }
}

/// A row's quantities, or why they make no sense.
fn check_quantities(r: &NewStockSetting) -> StoreResult<()> {
    let bad = |what: &str| Err(StoreError::Invalid(format!("row {}: {what}", r.row)));
    if r.min.0 < 0 || r.min.0 > MAX_QTY {
        return bad("min: from 0 to 10,000,000 units");
    }
    if r.max.0 < r.min.0 || r.max.0 > MAX_QTY {
        return bad("max: not below min, at most 10,000,000 units");
    }
    if r.pack.0 <= 0 || r.pack.0 > MAX_QTY {
        return bad("pack: above zero, at most 10,000,000 units");
    }
    Ok(())
}

const SETTING_COLUMNS: &str = "s.branch_id, b.code, s.product_id, p.code, p.name, p.unit, s.min_qty, s.max_qty,
        s.pack_qty, s.supplier_id, sp.code, s.updated_at, s.updated_by";

const SETTING_FROM: &str = "stock_settings s JOIN branches b ON b.id = s.branch_id
    JOIN products p ON p.id = s.product_id LEFT JOIN suppliers sp ON sp.id = s.supplier_id";

fn setting_row(r: &Row<'_>) -> super::conn::Result<StockSetting> {
    Ok(StockSetting {
        branch_id: BranchId(r.get(0)?),
        branch_code: r.get(1)?,
        product_id: ProductId(r.get(2)?),
        product_code: r.get(3)?,
        product_name: r.get(4)?,
        unit: r.get(5)?,
        min: Qty(r.get(6)?),
        max: Qty(r.get(7)?),
        pack: Qty(r.get(8)?),
        supplier_id: r.get(9)?,
        supplier_code: r.get(10)?,
        updated_at: from_micros(r.get(11)?),
        updated_by: r.get(12)?,
    })
}

impl ReorderStore for SqlStore {
    fn set_stock_settings(
        &self,
        actor: &Actor,
        scope: Option<BranchId>,
        rows: Vec<NewStockSetting>,
    ) -> StoreResult<usize> {
        if rows.is_empty() {
            return Err(StoreError::Invalid("settings: at least one row".into()));
        }
        if rows.len() > MAX_ROWS {
            return Err(StoreError::Invalid(format!("settings: at most {MAX_ROWS} rows at once")));
        }
        for r in &rows {
            check_quantities(r)?;
        }
        self.write(|tx| {
            let now = self.now();
            let (mut branches, mut products, mut suppliers) = (
                Lookup::new(tx, "branches", "branch"),
                Lookup::new(tx, "products", "product"),
                Lookup::new(tx, "suppliers", "supplier"),
            );
            let mut resolved = Vec::with_capacity(rows.len());
            let mut seen: HashMap<(i64, i64), usize> = HashMap::with_capacity(rows.len());
            for r in &rows {
                let branch = branches.id(r.row, &r.branch)?;
                if scope.is_some_and(|own| own.0 != branch) {
                    return Err(StoreError::Invalid(format!("row {}: branch: not your branch", r.row)));
                }
                let product = products.id(r.row, &r.product)?;
                let supplier = r.supplier.as_ref().map(|s| suppliers.id(r.row, s)).transpose()?;
                if let Some(first) = seen.insert((branch, product), r.row) {
                    return Err(StoreError::Invalid(format!(
                        "row {}: the branch and product of row {first} again",
                        r.row
                    )));
                }
                resolved.push((branch, product, r.min.0, r.max.0, r.pack.0, supplier));
            }
            let mut upsert = tx.prepare_cached(
                "INSERT INTO stock_settings (branch_id, product_id, min_qty, max_qty, pack_qty, supplier_id,
                     updated_at, updated_by)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                 ON CONFLICT (branch_id, product_id) DO UPDATE SET min_qty = excluded.min_qty,
                     max_qty = excluded.max_qty, pack_qty = excluded.pack_qty, supplier_id = excluded.supplier_id,
                     updated_at = excluded.updated_at, updated_by = excluded.updated_by",
            )?;
            let by = actor.who.clone();
            for &(branch, product, min, max, pack, supplier) in &resolved {
                upsert.execute(params![branch, product, min, max, pack, supplier, micros(now), by])?;
            }
            drop(upsert);
            let branches: HashSet<i64> = resolved.iter().map(|r| r.0).collect();
            let mut branches: Vec<i64> = branches.into_iter().collect();
            branches.sort_unstable();
            append_audit(
                tx,
                &self.audit_key,
                actor,
                now,
                "stock_settings.set",
                "stock_settings",
                None::<&()>,
                Some(&serde_json::json!({"rows": resolved.len(), "branches": branches})),
            )?;
            Ok(resolved.len())
        })
    }

    fn stock_settings(
        &self,
        branch: Option<BranchId>,
        after: Option<(BranchId, ProductId)>,
        limit: u32,
    ) -> StoreResult<Vec<StockSetting>> {
        let limit = (limit as usize).clamp(1, MAX_ROWS) as i64;
        let (after_branch, after_product) = after.map_or((-1, -1), |(b, p)| (b.0, p.0));
        self.read(|c| {
            Ok(c.prepare_cached(&format!(
                "SELECT {SETTING_COLUMNS} FROM {SETTING_FROM} WHERE (CAST(?1 AS BIGINT) IS NULL OR s.branch_id = ?1)
                   AND (s.branch_id > ?2 OR (s.branch_id = ?2 AND s.product_id > ?3))
                 ORDER BY s.branch_id, s.product_id LIMIT ?4"
            ))?
            .query_map(params![branch.map(|b| b.0), after_branch, after_product, limit], setting_row)?
            .collect::<Result<_, _>>()?)
        })
    }

    fn reorder_suggestions(&self, branch: Option<BranchId>) -> StoreResult<Vec<ReorderLine>> {
        self.read(|c| {
            let below: Vec<(StockSetting, i64, i64)> = c
                .prepare_cached(&format!(
                    "SELECT {SETTING_COLUMNS}, COALESCE(l.on_hand, 0), COALESCE(l.avg_cost, 0) FROM {SETTING_FROM}
                     LEFT JOIN stock_levels l ON l.branch_id = s.branch_id AND l.product_id = s.product_id
                     WHERE (CAST(?1 AS BIGINT) IS NULL OR s.branch_id = ?1) AND COALESCE(l.on_hand, 0) < s.min_qty"
                ))?
                .query_map(params![branch.map(|b| b.0)], |r| Ok((setting_row(r)?, r.get(13)?, r.get(14)?)))?
                .collect::<Result<_, _>>()?;
            let mut lines: Vec<ReorderLine> = below
                .into_iter()
                .filter_map(|(s, on_hand, avg)| {
                    let qty = stock::reorder(Qty(on_hand), s.min, s.max, s.pack)?;
                    let unit_cost = Money(avg);
                    Some(ReorderLine {
                        branch_id: s.branch_id,
                        branch_code: s.branch_code,
                        supplier_id: s.supplier_id,
                        supplier_code: s.supplier_code,
                        product_id: s.product_id,
                        product_code: s.product_code,
                        product_name: s.product_name,
                        unit: s.unit,
                        on_hand: Qty(on_hand),
                        min: s.min,
                        max: s.max,
                        pack: s.pack,
                        qty,
                        unit_cost,
                        cost: stock::value_at(qty, unit_cost),
                    })
                })
                .collect();
            lines.sort_by(|a, b| {
                (a.branch_id, a.supplier_code.is_none(), &a.supplier_code, &a.product_code).cmp(&(
                    b.branch_id,
                    b.supplier_code.is_none(),
                    &b.supplier_code,
                    &b.product_code,
                ))
            });
            Ok(lines)
        })
    }
}
