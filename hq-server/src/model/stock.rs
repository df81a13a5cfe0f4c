//! Stock as HQ keeps it (the rules are `shared::stock`): a branch and product's level, the
//! movements that made it, and what the store is asked for.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use shared::catalog::ProductId;
use shared::ids::BranchId;
use shared::money::{Money, Qty};
use shared::stock::{MovementKind, WriteOffReason};
use utoipa::ToSchema;

/// A branch and product's stock: the sum of its movements and what it is worth.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct StockLevel {
    #[schema(value_type = i64)]
    pub branch_id: BranchId,
    pub branch_code: String,
    #[schema(value_type = i64)]
    pub product_id: ProductId,
    /// The product's code and name, empty for a product HQ's catalog does not have (a till sold
    /// a line HQ never defined).
    pub product_code: String,
    pub product_name: String,
    pub unit: String,
    /// On hand in thousandths of the selling unit (grams of a weighed good); negative when more
    /// was sold than HQ knows arrived.
    #[schema(value_type = i64)]
    pub on_hand: Qty,
    /// The moving average cost, fen per selling unit.
    #[schema(value_type = i64)]
    pub avg_cost: Money,
    /// On hand at that cost, fen.
    #[schema(value_type = i64)]
    pub value: Money,
    #[schema(value_type = String)]
    pub last_movement_at: Timestamp,
    #[schema(value_type = Option<String>)]
    pub last_sale_at: Option<Timestamp>,
}

/// One movement of the ledger.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct StockMovement {
    pub id: i64,
    #[schema(value_type = i64)]
    pub branch_id: BranchId,
    #[schema(value_type = i64)]
    pub product_id: ProductId,
    #[schema(value_type = String)]
    pub kind: MovementKind,
    /// Signed thousandths: negative took stock out.
    #[schema(value_type = i64)]
    pub qty: Qty,
    /// When it happened (a sale's completion, not when its till pushed it).
    #[schema(value_type = String)]
    pub at: Timestamp,
    #[schema(value_type = String)]
    pub business_day: jiff::civil::Date,
    /// Fen per selling unit it moved at.
    #[schema(value_type = i64)]
    pub unit_cost: Money,
    /// Signed fen at that cost.
    #[schema(value_type = i64)]
    pub value: Money,
    /// `sale:<id>`, `refund:<id>`, `write_off:<id>`.
    pub source: String,
    pub source_line: i64,
    /// A write-off's reason.
    #[schema(value_type = Option<String>)]
    pub reason: Option<WriteOffReason>,
    pub note: String,
    pub actor: String,
    #[schema(value_type = String)]
    pub recorded_at: Timestamp,
}

/// Goods written off at a branch: damaged, expired, stolen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewWriteOff {
    pub branch: BranchId,
    pub product: ProductId,
    /// How much went, positive (thousandths of the selling unit).
    pub qty: Qty,
    pub reason: WriteOffReason,
    /// What happened (required for `other`).
    pub note: String,
    /// When it was found (defaults to now); never in the future.
    pub at: Option<Timestamp>,
}

/// Which levels to list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StockFilter {
    /// One branch, or every branch.
    pub branch: Option<BranchId>,
    /// Part of the product's code or name.
    pub search: Option<String>,
    pub category: Option<shared::catalog::CategoryId>,
    /// Only what is below zero (sold more than HQ knows arrived).
    pub negative_only: bool,
    /// Levels after this (branch, product), for the next page.
    pub after: Option<(BranchId, ProductId)>,
    pub limit: u32,
}

/// A branch's stock at cost: what the stock-value report shows per branch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct StockValue {
    #[schema(value_type = i64)]
    pub branch_id: BranchId,
    pub branch_code: String,
    /// Products with stock (on hand not zero).
    pub products: i64,
    /// Products below zero.
    pub negative: i64,
    /// On hand at average cost, fen (what is below zero counts as nothing).
    #[schema(value_type = i64)]
    pub value: Money,
}

/// A supplier goods are ordered from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Supplier {
    pub id: i64,
    pub code: String,
    pub name: String,
}

/// Where a purchase order stands: open until every line has arrived or it is closed by hand.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrderState {
    Open,
    Closed,
}

impl OrderState {
    pub fn code(self) -> &'static str {
        match self {
            OrderState::Open => "open",
            OrderState::Closed => "closed",
        }
    }

    pub fn parse(code: &str) -> Option<OrderState> {
        [OrderState::Open, OrderState::Closed].into_iter().find(|s| s.code() == code)
    }
}

/// A line of goods with its cost: what is ordered, received or sent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CostLine {
    #[schema(value_type = i64)]
    pub product_id: ProductId,
    /// Thousandths of the selling unit, above zero.
    #[schema(value_type = i64)]
    pub qty: Qty,
    /// Fen per selling unit.
    #[schema(value_type = i64)]
    pub unit_cost: Money,
}

/// A purchase order line with what has arrived of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct OrderLine {
    pub line_no: i64,
    #[schema(value_type = i64)]
    pub product_id: ProductId,
    pub product_code: String,
    pub product_name: String,
    #[schema(value_type = i64)]
    pub qty: Qty,
    #[schema(value_type = i64)]
    pub unit_cost: Money,
    #[schema(value_type = i64)]
    pub received: Qty,
}

/// A purchase order to a supplier for one branch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PurchaseOrder {
    pub id: i64,
    pub supplier_id: i64,
    pub supplier_code: String,
    pub supplier_name: String,
    #[schema(value_type = i64)]
    pub branch_id: BranchId,
    pub branch_code: String,
    pub state: OrderState,
    pub note: String,
    pub created_by: String,
    #[schema(value_type = String)]
    pub created_at: Timestamp,
    pub lines: Vec<OrderLine>,
}

/// One row of a purchase-order sheet: a branch orders so much of a product from a supplier at a
/// cost. Rows of one branch and supplier make one order; `row` names a row in a refusal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewOrderRow {
    pub row: usize,
    pub branch: super::StockKey,
    pub supplier: super::StockKey,
    pub product: super::StockKey,
    pub qty: Qty,
    pub unit_cost: Money,
}

/// A delivery to receive at a branch: against an open order (its supplier's), or without one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewReceipt {
    pub branch: BranchId,
    pub order: Option<i64>,
    /// Without an order, who delivered (optional).
    pub supplier: Option<i64>,
    pub lines: Vec<CostLine>,
    /// A manager accepts lines the order does not have (refused otherwise).
    pub accept_unordered: bool,
    pub note: String,
}

/// A delivery received: its id and the movements it wrote.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReceiptRecord {
    pub id: i64,
    #[schema(value_type = i64)]
    pub branch_id: BranchId,
    pub order_id: Option<i64>,
    pub supplier_id: Option<i64>,
    /// Whether the order it was received against is now closed (everything arrived).
    pub order_closed: bool,
    pub movements: Vec<StockMovement>,
}

/// Where a transfer stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TransferState {
    /// Left the sending branch; in transit.
    Sent,
    /// Arrived (with what was short or damaged).
    Received,
}

impl TransferState {
    pub fn code(self) -> &'static str {
        match self {
            TransferState::Sent => "sent",
            TransferState::Received => "received",
        }
    }

    pub fn parse(code: &str) -> Option<TransferState> {
        [TransferState::Sent, TransferState::Received].into_iter().find(|s| s.code() == code)
    }
}

/// A line of a transfer: what was sent, at the sender's average cost, and what arrived.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TransferLine {
    pub line_no: i64,
    #[schema(value_type = i64)]
    pub product_id: ProductId,
    pub product_code: String,
    pub product_name: String,
    #[schema(value_type = i64)]
    pub qty: Qty,
    #[schema(value_type = i64)]
    pub unit_cost: Money,
    /// Arrived in good order, once received.
    #[schema(value_type = Option<i64>)]
    pub received: Option<Qty>,
    /// Arrived damaged (written off at the receiving branch), once received.
    #[schema(value_type = Option<i64>)]
    pub damaged: Option<Qty>,
}

/// Goods sent from one branch to another.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Transfer {
    pub id: i64,
    #[schema(value_type = i64)]
    pub from_branch: BranchId,
    pub from_code: String,
    #[schema(value_type = i64)]
    pub to_branch: BranchId,
    pub to_code: String,
    pub state: TransferState,
    pub note: String,
    pub sent_by: String,
    #[schema(value_type = String)]
    pub sent_at: Timestamp,
    pub received_by: Option<String>,
    #[schema(value_type = Option<String>)]
    pub received_at: Option<Timestamp>,
    pub lines: Vec<TransferLine>,
}

/// What arrived of one line of a transfer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TransferArrival {
    pub line_no: i64,
    /// In good order.
    #[schema(value_type = i64)]
    pub received: Qty,
    /// Damaged in transit.
    #[schema(value_type = i64)]
    pub damaged: Qty,
}
