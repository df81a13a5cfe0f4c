//! Reorder (补货): each branch and product's minimum, maximum and pack, the supplier it comes
//! from, and the order suggested for what is below its minimum.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use shared::catalog::ProductId;
use shared::ids::BranchId;
use shared::money::{Money, Qty};
use utoipa::ToSchema;

/// A branch, product or supplier named by its id (the API) or its code (a CSV sheet).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum StockKey {
    Id(i64),
    Code(String),
}

/// One branch and product's reorder settings as asked for; `row` names it in a refusal (a
/// sheet's row, or the list's position).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewStockSetting {
    pub row: usize,
    pub branch: StockKey,
    pub product: StockKey,
    pub min: Qty,
    pub max: Qty,
    pub pack: Qty,
    pub supplier: Option<StockKey>,
}

/// A branch and product's reorder settings as HQ keeps them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct StockSetting {
    #[schema(value_type = i64)]
    pub branch_id: BranchId,
    pub branch_code: String,
    #[schema(value_type = i64)]
    pub product_id: ProductId,
    pub product_code: String,
    pub product_name: String,
    pub unit: String,
    /// Below this (thousandths of the selling unit) the shelf is reordered.
    #[schema(value_type = i64)]
    pub min: Qty,
    /// Reordered up to this.
    #[schema(value_type = i64)]
    pub max: Qty,
    /// The supplier ships whole packs of this.
    #[schema(value_type = i64)]
    pub pack: Qty,
    pub supplier_id: Option<i64>,
    pub supplier_code: Option<String>,
    #[schema(value_type = String)]
    pub updated_at: Timestamp,
    pub updated_by: String,
}

/// A line of the suggested order: a shelf below its minimum, filled to its maximum in packs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReorderLine {
    #[schema(value_type = i64)]
    pub branch_id: BranchId,
    pub branch_code: String,
    pub supplier_id: Option<i64>,
    pub supplier_code: Option<String>,
    #[schema(value_type = i64)]
    pub product_id: ProductId,
    pub product_code: String,
    pub product_name: String,
    pub unit: String,
    #[schema(value_type = i64)]
    pub on_hand: Qty,
    #[schema(value_type = i64)]
    pub min: Qty,
    #[schema(value_type = i64)]
    pub max: Qty,
    #[schema(value_type = i64)]
    pub pack: Qty,
    /// What to order (`shared::stock::reorder`).
    #[schema(value_type = i64)]
    pub qty: Qty,
    /// The branch's average cost, fen per unit (zero when it never had any at a cost).
    #[schema(value_type = i64)]
    pub unit_cost: Money,
    /// `qty` at that cost, fen.
    #[schema(value_type = i64)]
    pub cost: Money,
}
