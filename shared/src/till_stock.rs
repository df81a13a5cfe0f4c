//! Stock at the till (issue 19): what a till pulls of its branch's on hand
//! (`GET /api/v1/till/stock`) and of its branch's open counts (`GET /api/v1/till/stock-counts`),
//! and what it sends of a count taken with its scanner (`POST /api/v1/till/stock-counts/{id}/entries`).
//!
//! On hand changes with every sale, so it is not on the catalog's change feed: HQ stamps each
//! level with a version when it writes it (every write of a later transaction takes a larger one),
//! and a till asks for the levels written after the last `(version, product)` it has, its
//! [`StockCursor`], page by page.

use std::fmt;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::catalog::{CategoryId, ProductId};
use crate::money::Qty;

/// The most count lines one request carries.
pub const MAX_COUNT_LINES: usize = 1000;
/// The longest counter's name, in characters (HQ's limit).
pub const COUNTER_MAX: usize = 60;

/// Where a till's pull of on hand stands: the last level it has, by the version HQ wrote it at
/// and its product (levels written in one transaction may share a version). Written
/// `<version>.<product>`; a till that has none pulls from the start.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StockCursor {
    pub version: i64,
    pub product: i64,
}

impl StockCursor {
    /// Reads `<version>.<product>` (both integers); `None` for anything else.
    pub fn parse(text: &str) -> Option<StockCursor> {
        let (v, p) = text.split_once('.')?;
        let digits = |s: &str| !s.is_empty() && s.len() <= 19 && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(v) || !digits(p) {
            return None;
        }
        Some(StockCursor { version: v.parse().ok()?, product: p.parse().ok()? })
    }
}

impl fmt::Display for StockCursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.version, self.product)
    }
}

/// One product's on hand at the till's branch, as HQ's ledger has it (below zero when HQ knows
/// of more sold than came in: the shelf is the truth, a till never refuses a sale for it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TillStockLevel {
    pub product_id: ProductId,
    pub on_hand: Qty,
}

/// A page of the branch's levels written after the till's cursor, oldest write first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TillStockPage {
    pub levels: Vec<TillStockLevel>,
    /// The cursor to ask with next (the same as asked when nothing changed).
    pub next_cursor: String,
    /// More levels wait after this page.
    pub has_more: bool,
    /// HQ's time when it read the page.
    pub as_of: Timestamp,
}

/// An open count of the till's branch, as the till's count mode offers it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TillCount {
    pub id: i64,
    /// `full` or `category`.
    pub scope: String,
    /// The category of a category count: only its products are counted.
    pub category_id: Option<CategoryId>,
    /// When HQ took the snapshot: nothing is counted before.
    pub started_at: Timestamp,
    pub note: String,
}

/// One product counted at the till: what the scanner named (the till resolved it in its
/// catalog) and how much is on the shelf, when it was counted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TillCountLine {
    pub product_id: ProductId,
    /// Thousandths of the selling unit (grams of a weighed good); not below zero.
    pub qty: Qty,
    /// When it was scanned, by the till's clock (as its sales are dated), so goods sold before
    /// are expected gone and goods sold after are not.
    pub counted_at: Timestamp,
}

/// Lines counted at a till, sent under a batch id chosen once: sent again (an answer lost), HQ
/// answers what it entered the first time and enters nothing twice.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TillCountEntries {
    pub batch_id: Uuid,
    /// The staff member signed in at the till when the lines were counted.
    pub counter: String,
    pub lines: Vec<TillCountLine>,
}

/// HQ's answer: the batch is entered (now, or before under the same id: `repeated`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TillCountAnswer {
    pub count_id: i64,
    pub batch_id: Uuid,
    /// Lines the batch entered.
    pub lines: u32,
    /// The batch had been entered before: nothing was entered now.
    pub repeated: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_what_is_not_one() {
        let c = StockCursor { version: 42, product: 7 };
        assert_eq!(c.to_string(), "42.7");
        assert_eq!(StockCursor::parse("42.7"), Some(c));
        assert_eq!(StockCursor::parse("0.0"), Some(StockCursor::default()));
        for bad in ["", "42", "42.", ".7", "-1.2", "1.-2", "a.b", "1.2.3", "99999999999999999999.1", " 1.2"] {
            assert_eq!(StockCursor::parse(bad), None, "{bad:?}");
        }
        assert!(StockCursor { version: 1, product: 9 } < StockCursor { version: 2, product: 1 });
    }
}
