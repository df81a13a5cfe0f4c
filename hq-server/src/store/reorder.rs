//! Reorder settings and suggestions: the store's side (`store/sql/stock_reorder.rs`).

use shared::catalog::ProductId;
use shared::ids::BranchId;

use super::StoreResult;
use crate::model::{Actor, NewStockSetting, ReorderLine, StockSetting};

/// Each branch and product's minimum, maximum and pack, and the supplier it comes from; the
/// order suggested for every shelf below its minimum.
pub trait ReorderStore {
    /// Sets the settings of every row, all or none: each row's branch (within `scope` when
    /// given: a branch manager's own), product and supplier must exist, the minimum not below
    /// zero, the maximum not below the minimum, the pack above zero, and no branch and product
    /// twice; otherwise `Invalid`, naming the row, and nothing is written. Returns how many were set.
    fn set_stock_settings(
        &self,
        actor: &Actor,
        scope: Option<BranchId>,
        rows: Vec<NewStockSetting>,
    ) -> StoreResult<usize>;
    /// Settings in (branch, product) order, after the given pair; at most `limit` (capped at 10,000).
    fn stock_settings(
        &self,
        branch: Option<BranchId>,
        after: Option<(BranchId, ProductId)>,
        limit: u32,
    ) -> StoreResult<Vec<StockSetting>>;
    /// The suggested order of a branch (or every branch): each shelf below its minimum, to its
    /// maximum in whole packs (`shared::stock::reorder`), by branch, then supplier (none last),
    /// then product code.
    fn reorder_suggestions(&self, branch: Option<BranchId>) -> StoreResult<Vec<ReorderLine>>;
}
