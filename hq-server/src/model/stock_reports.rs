//! Stock reports: what sits on the shelves without selling, what went without a sale, and how
//! long what is on hand lasts.

use serde::{Deserialize, Serialize};
use shared::ids::BranchId;
use shared::money::{Money, Qty};
use utoipa::ToSchema;

use super::StockLevel;

/// A product on hand at a branch that has not sold there for a while.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SlowMover {
    pub level: StockLevel,
    /// Whole days since it last sold there; `None`: it never sold there.
    pub days_since_sale: Option<i64>,
}

/// Why goods went without a sale: a write-off's reason, or a count that found less (or more)
/// than the ledger said.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ShrinkageCause {
    Damage,
    Expiry,
    Theft,
    Other,
    Count,
}

impl ShrinkageCause {
    pub fn code(self) -> &'static str {
        match self {
            ShrinkageCause::Damage => "damage",
            ShrinkageCause::Expiry => "expiry",
            ShrinkageCause::Theft => "theft",
            ShrinkageCause::Other => "other",
            ShrinkageCause::Count => "count",
        }
    }
}

/// A branch's shrinkage of one cause over a period, at the cost the goods moved at.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ShrinkageRow {
    #[schema(value_type = i64)]
    pub branch_id: BranchId,
    pub branch_code: String,
    pub cause: ShrinkageCause,
    /// How many movements.
    pub movements: i64,
    /// Goods gone, fen at cost.
    #[schema(value_type = i64)]
    pub lost: Money,
    /// Goods a count found beyond the ledger, fen at cost (a write-off finds none).
    #[schema(value_type = i64)]
    pub found: Money,
}

/// How long a branch's stock of a product lasts at the rate it sold.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CoverRow {
    pub level: StockLevel,
    /// Sold over the window, thousandths of the selling unit.
    #[schema(value_type = i64)]
    pub sold: Qty,
    /// Whole days what is on hand lasts (`shared::stock::days_of_cover`): zero when nothing is
    /// on hand; `None` when it did not sell in the window.
    pub cover_days: Option<i64>,
}
