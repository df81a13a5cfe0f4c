//! Stock per branch: the store's side (`store/sql/stock.rs`, `store/sql/stock_orders.rs`,
//! `store/sql/stock_counts.rs`).

use shared::catalog::ProductId;
use shared::ids::BranchId;
use shared::money::Qty;

use super::StoreResult;
use crate::model::{
    Actor, CostLine, CountEntry, CountReport, CountScope, CountSheet, NewOrderRow, NewReceipt, NewWriteOff, OrderState,
    PurchaseOrder, ReceiptRecord, StockCount, StockFilter, StockLevel, StockMovement, StockValue, Supplier, Transfer,
    TransferArrival, TransferState,
};

/// Stock per branch (`shared::stock`'s rules): an append-only ledger of movements per branch and
/// product, and each one's level (on hand, moving average cost) kept with every movement. Sales
/// and refunds move stock when they are ingested ([`super::SyncStore::ingest`]), dated when they were
/// made.
pub trait StockStore: StockCountStore {
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
    /// Orders from a sheet, all or none: rows of one branch and supplier make one order, in the
    /// order they first appear. Refused (`Invalid`, naming the row) for an unknown branch,
    /// supplier or product, a branch outside `scope` (a branch manager's own), a product twice
    /// in one order, a quantity not above zero, a negative cost; nothing is written then.
    fn import_purchase_orders(
        &self,
        actor: &Actor,
        scope: Option<BranchId>,
        rows: Vec<NewOrderRow>,
        note: &str,
    ) -> StoreResult<Vec<PurchaseOrder>>;
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

/// Stock counts (盘点): a snapshot of a branch's on hand (whole or one category), the figures
/// counters enter (several counters, a recount replacing a line's figure, every figure kept), and
/// posting: `shared::stock::variance` per counted line, where what moved since the snapshot is
/// every movement HQ learned of after it that happened before the line was counted, so goods
/// sold during the count (and a till's offline sales, pushed late) are no variance.
pub trait StockCountStore {
    /// Opens a count at `branch`: the snapshot of every product of the scope with a level there,
    /// taken now. Another open count of the branch and scope is a `Conflict`; an unknown branch
    /// or category is `Invalid`.
    fn start_count(&self, actor: &Actor, branch: BranchId, scope: CountScope, note: &str) -> StoreResult<StockCount>;
    fn stock_count(&self, id: i64) -> StoreResult<StockCount>;
    /// Counts newest first, of one branch or all.
    fn stock_counts(&self, branch: Option<BranchId>, limit: u32) -> StoreResult<Vec<StockCount>>;
    /// Enters what `counter` counted. Refused with the line and the reason, nothing written: a
    /// product or barcode HQ does not have, a product outside the count's scope, a quantity
    /// below zero, a time before the snapshot or in the future (`Invalid`); a count not open
    /// (`Conflict`).
    fn count_entries(&self, actor: &Actor, id: i64, counter: &str, entries: Vec<CountEntry>)
    -> StoreResult<StockCount>;
    /// The count's lines; `blind` leaves out the snapshot, expected figures and variances.
    fn count_sheet(&self, id: i64, blind: bool) -> StoreResult<CountSheet>;
    /// Posts an open count: a `count_adjustment` movement, dated now, for each counted line whose
    /// variance is not zero; uncounted lines are left alone. A count not open is a `Conflict`.
    fn post_count(&self, actor: &Actor, id: i64) -> StoreResult<CountReport>;
    /// Drops an open count without adjustments; one not open is a `Conflict`.
    fn cancel_count(&self, actor: &Actor, id: i64) -> StoreResult<StockCount>;
}
