//! The bounds every figure keeps where it enters the system: a till's event at HQ, a request to
//! HQ, a line rung up at a till. Inside them no sum a sale, a refund, a shift or a balance makes
//! can overflow an `i64` (a sale of [`MAX_LINES`] lines of [`MAX_AMOUNT`] each is 10¹³ fen), so
//! arithmetic past the edge may add plainly; at the edge it is checked.
//!
//! The same figures are stated in HQ's OpenAPI document.

use crate::money::{Money, Qty};

/// The largest amount one line, sale, refund, tender, cash movement, float or top-up may carry:
/// ¥100,000,000.
pub const MAX_AMOUNT: Money = Money(10_000_000_000);
/// The largest figure a report folded from many sales may carry (a shift's or a day's takings):
/// ¥10,000,000,000,000.
pub const MAX_TOTAL: Money = Money(1_000_000_000_000_000);
/// The largest quantity of one line: a million units (or a thousand tonnes by weight).
pub const MAX_QTY: Qty = crate::pricing::MAX_QTY;
/// The most lines one sale or refund may have.
pub const MAX_LINES: usize = 1_000;
/// The most tenders one sale or refund may have.
pub const MAX_TENDERS: usize = 32;
/// The most points one event may earn, take back, redeem or restore.
pub const MAX_POINTS: i64 = 1_000_000_000_000;

/// A figure outside its bounds.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum OutOfBounds {
    #[error("{what} {value} is outside -{max}..{max}", max = MAX_AMOUNT)]
    Amount { what: &'static str, value: Money },
    #[error("{what} {value} is outside 0..{max}", max = MAX_AMOUNT)]
    NotPositiveAmount { what: &'static str, value: Money },
    #[error("{what} {value} is not above zero or above {}", MAX_QTY.display())]
    Qty { what: &'static str, value: Qty },
    #[error("{what}: {count} is more than the {max} allowed")]
    Count { what: &'static str, count: usize, max: usize },
    #[error("{what} {value} is outside -{max}..{max}", max = MAX_TOTAL)]
    Total { what: &'static str, value: Money },
    #[error("{what} {value} is outside -{MAX_POINTS}..{MAX_POINTS}")]
    NetPoints { what: &'static str, value: i64 },
    #[error("{what} {value} is outside 0..{MAX_POINTS}")]
    Points { what: &'static str, value: i64 },
}

/// `value` within ±[`MAX_AMOUNT`] (a rounding, a manual discount that raised a price).
pub fn amount(what: &'static str, value: Money) -> Result<(), OutOfBounds> {
    if value.0.unsigned_abs() <= MAX_AMOUNT.0.unsigned_abs() {
        Ok(())
    } else {
        Err(OutOfBounds::Amount { what, value })
    }
}

/// `value` within 0..=[`MAX_AMOUNT`].
pub fn non_negative(what: &'static str, value: Money) -> Result<(), OutOfBounds> {
    if (0..=MAX_AMOUNT.0).contains(&value.0) { Ok(()) } else { Err(OutOfBounds::NotPositiveAmount { what, value }) }
}

/// A quantity above zero and at most [`MAX_QTY`].
pub fn qty(what: &'static str, value: Qty) -> Result<(), OutOfBounds> {
    if value.0 > 0 && value <= MAX_QTY { Ok(()) } else { Err(OutOfBounds::Qty { what, value }) }
}

/// `value` within ±[`MAX_TOTAL`]: a figure folded from many sales.
pub fn total(what: &'static str, value: Money) -> Result<(), OutOfBounds> {
    if value.0.unsigned_abs() <= MAX_TOTAL.0.unsigned_abs() { Ok(()) } else { Err(OutOfBounds::Total { what, value }) }
}

/// At most `max` items.
pub fn count(what: &'static str, count: usize, max: usize) -> Result<(), OutOfBounds> {
    if count <= max { Ok(()) } else { Err(OutOfBounds::Count { what, count, max }) }
}

/// Points within ±[`MAX_POINTS`]: a net figure of a shift or a day (refunds take points back).
pub fn net_points(what: &'static str, value: i64) -> Result<(), OutOfBounds> {
    if value.unsigned_abs() <= MAX_POINTS.unsigned_abs() { Ok(()) } else { Err(OutOfBounds::NetPoints { what, value }) }
}

/// Points within 0..=[`MAX_POINTS`].
pub fn points(what: &'static str, value: i64) -> Result<(), OutOfBounds> {
    if (0..=MAX_POINTS).contains(&value) { Ok(()) } else { Err(OutOfBounds::Points { what, value }) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_hold_at_their_edges() {
        assert!(amount("x", MAX_AMOUNT).is_ok());
        assert!(amount("x", -MAX_AMOUNT).is_ok());
        assert!(amount("x", MAX_AMOUNT + Money(1)).is_err());
        assert!(amount("x", Money(i64::MIN)).is_err());
        assert!(non_negative("x", Money(-1)).is_err());
        assert!(qty("x", Qty(0)).is_err());
        assert!(qty("x", MAX_QTY).is_ok());
        assert!(points("x", -1).is_err());
        assert!(count("x", MAX_LINES + 1, MAX_LINES).is_err());
        // Inside the bounds a whole sale cannot overflow.
        assert!(i64::try_from(MAX_LINES as i128 * i128::from(MAX_AMOUNT.0) * 4).is_ok());
    }
}
