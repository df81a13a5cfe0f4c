//! Stock reports: the store's side (`store/sql/stock_reports.rs`).

use jiff::civil::Date;
use shared::ids::BranchId;

use super::StoreResult;
use crate::model::{CoverRow, ShrinkageRow, SlowMover};

/// Reports over stock per branch: read from the levels and the movement ledger, never stored.
pub trait StockReportStore {
    /// Products on hand (above zero) at a branch, or at every branch, that have not sold there
    /// in the last `days` days or never did: the most money tied up first; at most `limit`
    /// (capped at 1,000).
    fn slow_movers(&self, branch: Option<BranchId>, days: u32, limit: u32) -> StoreResult<Vec<SlowMover>>;
    /// What went without a sale between two business days (both included): write-offs by reason
    /// and count adjustments, per branch (one or all) and cause, at the cost they moved at.
    fn shrinkage(&self, branch: Option<BranchId>, from: Date, to: Date) -> StoreResult<Vec<ShrinkageRow>>;
    /// How many days each product's stock at a branch lasts at the rate it sold over the last
    /// `days` days: what runs out first first (what is gone and still selling heads the list),
    /// then what did not sell in the window; at most `limit` (capped at 1,000).
    fn stock_cover(&self, branch: BranchId, days: u32, limit: u32) -> StoreResult<Vec<CoverRow>>;
}
