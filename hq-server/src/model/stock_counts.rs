//! Stock counts (盘点) as HQ keeps them: a count of a branch's shelves (whole or one category),
//! what its counters entered, its sheet and the variance report its posting writes.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use shared::catalog::{CategoryId, ProductId};
use shared::ids::BranchId;
use shared::money::{Money, Qty};
use utoipa::ToSchema;

/// What a count covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CountScope {
    /// Every product of the branch.
    Full,
    /// The products of one category.
    Category(CategoryId),
}

/// Where a count stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CountStatus {
    /// Taking entries.
    Open,
    /// Its adjustments are written; it takes nothing more.
    Posted,
    /// Dropped without adjustments.
    Cancelled,
}

impl CountStatus {
    pub const ALL: [CountStatus; 3] = [CountStatus::Open, CountStatus::Posted, CountStatus::Cancelled];

    pub fn code(self) -> &'static str {
        match self {
            CountStatus::Open => "open",
            CountStatus::Posted => "posted",
            CountStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(code: &str) -> Option<CountStatus> {
        CountStatus::ALL.into_iter().find(|s| s.code() == code)
    }
}

/// A count's heading.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct StockCount {
    pub id: i64,
    #[schema(value_type = i64)]
    pub branch_id: BranchId,
    pub branch_code: String,
    /// `full` or `category`.
    pub scope: String,
    /// The category of a category count.
    #[schema(value_type = Option<i64>)]
    pub category_id: Option<CategoryId>,
    pub status: CountStatus,
    /// The snapshot's moment: on hand then is what each line starts from.
    #[schema(value_type = String)]
    pub started_at: Timestamp,
    pub created_by: String,
    #[schema(value_type = Option<String>)]
    pub posted_at: Option<Timestamp>,
    pub posted_by: Option<String>,
    pub note: String,
    /// Products in the snapshot.
    pub products: i64,
    /// Products counted so far.
    pub counted: i64,
}

/// What a counter entered for one product: by its id or a barcode of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CountEntry {
    pub product: Option<ProductId>,
    pub barcode: Option<String>,
    /// What is on the shelf, thousandths of the selling unit (never below zero).
    pub qty: Qty,
    /// When it was counted (defaults to now; not before the snapshot, not in the future).
    pub counted_at: Option<Timestamp>,
}

/// One product of a count: what was counted, and (unless the sheet is blind) what the ledger
/// expected then and the difference.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CountLine {
    #[schema(value_type = i64)]
    pub product_id: ProductId,
    pub product_code: String,
    pub product_name: String,
    pub unit: String,
    /// The latest entry's figure, thousandths; none when not counted yet.
    #[schema(value_type = Option<i64>)]
    pub counted: Option<Qty>,
    #[schema(value_type = Option<String>)]
    pub counted_at: Option<Timestamp>,
    /// Who entered the latest figure.
    pub counter: Option<String>,
    /// How many figures were entered (a recount adds one).
    pub entries: i64,
    /// The counters' latest figures differ: count it again.
    pub recount: bool,
    /// On hand at the snapshot (not on a blind sheet).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<i64>)]
    pub snapshot: Option<Qty>,
    /// The movements HQ learned of after the snapshot that happened before the line was counted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<i64>)]
    pub moved_since: Option<Qty>,
    /// What the ledger says was on the shelf when the line was counted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<i64>)]
    pub expected: Option<Qty>,
    /// Counted less expected (`shared::stock::variance`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<i64>)]
    pub variance: Option<Qty>,
    /// The average cost the variance is valued at (fen per selling unit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<i64>)]
    pub unit_cost: Option<Money>,
    /// The variance at that cost, fen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<i64>)]
    pub variance_value: Option<Money>,
}

/// A count's lines in product order: every product of the snapshot and any other counted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CountSheet {
    pub count: StockCount,
    /// Without the expected figures, as counters see it.
    pub blind: bool,
    pub lines: Vec<CountLine>,
}

/// What posting a count wrote: each counted line's variance, the lines left alone, and totals.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CountReport {
    pub count: StockCount,
    /// Every counted line, with its variance (an adjustment was written for each one not zero).
    pub lines: Vec<CountLine>,
    /// Products of the snapshot nobody counted: left as they are.
    pub uncounted: Vec<CountLine>,
    /// Count adjustments written.
    pub adjustments: i64,
    /// What was found over the ledger, fen at average cost.
    #[schema(value_type = i64)]
    pub gained_value: Money,
    /// What was missing, fen at average cost (not above zero).
    #[schema(value_type = i64)]
    pub lost_value: Money,
    /// Gained and lost together.
    #[schema(value_type = i64)]
    pub net_value: Money,
}
