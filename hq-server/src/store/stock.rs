//! Stock per branch: the store's side (`store/sql/stock.rs`, `store/sql/stock_orders.rs`).

use shared::catalog::ProductId;
use shared::ids::BranchId;
use shared::money::Qty;

use super::StoreResult;
use crate::model::{
    Actor, CostLine, NewReceipt, NewWriteOff, OrderState, PurchaseOrder, ReceiptRecord, StockFilter, StockLevel,
    StockMovement, StockValue, Supplier, Transfer, TransferArrival, TransferState,
};

/// Stock per branch (`shared::stock`'s rules): an append-only ledger of movements per branch and
/// product, and each one's level (on hand, moving average cost) kept with every movement. Sales
/// and refunds move stock when they are ingested ([`super::SyncStore::ingest`]), dated when they were
/// made.
pub trait StockStore {
    /// A branch and product's level; a product that never moved there is `NotFound`.
    fn stock_level(&self, branch: BranchId, product: ProductId) -> StoreResult<StockLevel>;
    /// Levels in (branch, product) order, filtered; at most `filter.limit` (capped at 1,000).
    fn stock_levels(&self, filter: &StockFilter) -> StoreResult<Vec<StockLevel>>;
    /// A branch and product's movements, newest first (by when they happened), before the
    /// movement `before` when given; at most `limit` (capped at 1,000).
    fn stock_movements(
        &self,
        branch: BranchId,
        product: ProductId,
        before: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<StockMovement>>;
    /// Writes goods off, at the branch's average cost. Refused (`Invalid`, naming the field)
    /// for an unknown branch or product, a quantity not above zero or above one movement's
    /// largest, a time in the future, `other` without a note; nothing is written then.
    fn write_off(&self, actor: &Actor, write_off: NewWriteOff) -> StoreResult<StockMovement>;
    /// Each branch's stock at cost (one branch, or all), in branch order.
    fn stock_value(&self, branch: Option<BranchId>) -> StoreResult<Vec<StockValue>>;
    /// Every supplier, by code.
    fn suppliers(&self) -> StoreResult<Vec<Supplier>>;
    /// A code another supplier has is a conflict; a blank code or name is `Invalid`.
    fn create_supplier(&self, actor: &Actor, code: &str, name: &str) -> StoreResult<Supplier>;
    /// An open order to `supplier` for `branch`. Refused (`Invalid`, naming the field) for an
    /// unknown supplier, branch or product, no lines, a quantity not above zero, a negative cost.
    fn create_purchase_order(
        &self,
        actor: &Actor,
        supplier: i64,
        branch: BranchId,
        lines: Vec<CostLine>,
        note: &str,
    ) -> StoreResult<PurchaseOrder>;
    fn purchase_order(&self, id: i64) -> StoreResult<PurchaseOrder>;
    /// Orders newest first, of one branch or all, in one state or any.
    fn purchase_orders(
        &self,
        branch: Option<BranchId>,
        state: Option<OrderState>,
        limit: u32,
    ) -> StoreResult<Vec<PurchaseOrder>>;
    /// Closes an open order (what has not arrived will not); a closed one is a `Conflict`.
    fn close_purchase_order(&self, actor: &Actor, id: i64) -> StoreResult<PurchaseOrder>;
    /// Receives a delivery: a `receipt` movement per line at its cost, moving the average cost.
    /// Against an order: the order's branch, open (a closed one is a `Conflict`), each line of a
    /// product it orders within 10 % over (`shared::stock::check_receipt`), a product it does not
    /// order only when `accept_unordered`; the order closes when every line has arrived. Every
    /// line is checked before anything is written.
    fn receive(&self, actor: &Actor, receipt: NewReceipt) -> StoreResult<ReceiptRecord>;
    /// Sends goods from one branch to another: a `transfer_out` movement per line at the
    /// sender's average cost; they are in transit until received. The same branch at both ends,
    /// an unknown branch or product, no lines or a quantity not above zero is `Invalid`.
    fn send_transfer(
        &self,
        actor: &Actor,
        from: BranchId,
        to: BranchId,
        lines: Vec<(ProductId, Qty)>,
        note: &str,
    ) -> StoreResult<Transfer>;
    fn transfer(&self, id: i64) -> StoreResult<Transfer>;
    /// Transfers newest first: those from or to `branch` (or all), in one state or any.
    fn transfers(
        &self,
        branch: Option<BranchId>,
        state: Option<TransferState>,
        limit: u32,
    ) -> StoreResult<Vec<Transfer>>;
    /// Receives a sent transfer: a `transfer_in` movement of what arrived (good and damaged) at
    /// the sent cost, then a damage write-off of what arrived damaged; what is missing is short.
    /// One arrival for every line (`shared::stock::check_arrival`); a received transfer is a
    /// `Conflict`.
    fn receive_transfer(&self, actor: &Actor, id: i64, arrivals: Vec<TransferArrival>) -> StoreResult<Transfer>;
}
