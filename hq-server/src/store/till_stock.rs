//! Stock as a till sees it (`store/sql/till_stock.rs`): its branch's on hand written after its
//! cursor, and the count lines it sends, entered once per batch.

use shared::catalog::ProductId;
use shared::ids::{BranchId, TillId};
use shared::money::Qty;
use shared::till_stock::StockCursor;
use uuid::Uuid;

use super::StoreResult;
use super::stock::StockCountStore;
use crate::model::{Actor, CountEntry};

/// What a till's batch of count lines came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchEntered {
    pub count_id: i64,
    /// Lines the batch entered.
    pub lines: u32,
    /// The batch had been entered before (a till sending it again): nothing was entered now.
    pub repeated: bool,
}

/// The tills' side of stock per branch.
pub trait TillStockStore: StockCountStore {
    /// A branch's levels written after `after` (from the first without it), in the order they
    /// were written (`(version, product)`), each with its cursor; at most `limit` (capped at
    /// 5,000).
    fn till_stock_levels(
        &self,
        branch: BranchId,
        after: Option<StockCursor>,
        limit: u32,
    ) -> StoreResult<Vec<(StockCursor, ProductId, Qty)>>;

    /// Enters a till's batch of count lines into an open count of its branch, once per batch id:
    /// the batch sent again is answered as the first time (`repeated`) and enters nothing; the
    /// same id for another count is a conflict. A count of another branch (or none) is
    /// `NotFound`; a count not open is a conflict; a bad line refuses the batch (`Invalid`,
    /// naming the line), nothing entered. Lines go through the store's one way of entering
    /// counts, with a till's clock allowed [`TILL_CLOCK_SLACK`] off HQ's.
    #[allow(clippy::too_many_arguments)] // who, where and what a till's batch is
    fn till_count_entries(
        &self,
        actor: &Actor,
        branch: BranchId,
        till: TillId,
        count: i64,
        batch: Uuid,
        counter: &str,
        entries: Vec<CountEntry>,
    ) -> StoreResult<BatchEntered>;
}

/// How far a till's clock may be from HQ's when it dates the lines it counted (HQ warns a till
/// whose clock is off by more, on every push).
pub const TILL_CLOCK_SLACK: jiff::SignedDuration = jiff::SignedDuration::from_secs(300);
