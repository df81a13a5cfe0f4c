//! The merchant's order number of a payment attempt (`out_trade_no`) and of a refund
//! (`out_refund_no` / `out_request_no`).
//!
//! An attempt's number is derived from the sale's receipt number and the attempt (1, 2, …), so a
//! retry of the same attempt reuses the same number and the provider answers it as the same order
//! (never a second charge), and a new attempt (a fresh payment code after a decline) gets a new one.
//!
//! Limits: WeChat Pay's `out_trade_no` is at most 32 characters of `[A-Za-z0-9_\-|*]`; Alipay's at
//! most 64 of letters, digits and underscores (dashes are accepted in practice). The derivation
//! keeps to the stricter: at most 32 characters of `[A-Za-z0-9-]`, and refuses a receipt number it
//! cannot carry whole, rather than shortening it (two receipts must never share an order number).

use std::fmt;

/// WeChat Pay's limit for `out_trade_no`, the stricter of the two providers
pub const MAX_ORDER_NO_LEN: usize = 32;
/// Both providers' limit for a refund's number
pub const MAX_REFUND_NO_LEN: usize = 64;

/// An attempt's order number: `{receipt_no}-{attempt}`, e.g. `B001-01-000042-1`
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OrderNo(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrderNoError {
    #[error("attempt numbers start at 1")]
    AttemptZero,
    #[error("receipt number `{0}` has a character an order number cannot carry (only A-Z, a-z, 0-9 and -)")]
    Character(String),
    #[error("receipt number `{0}` is empty")]
    Empty(String),
    #[error("order number `{0}` is longer than {MAX_ORDER_NO_LEN} characters")]
    TooLong(String),
}

/// The order number of attempt `attempt` (1, 2, …) to pay the sale with receipt `receipt_no`
pub fn order_no(receipt_no: &str, attempt: u32) -> Result<OrderNo, OrderNoError> {
    if attempt == 0 {
        return Err(OrderNoError::AttemptZero);
    }
    if receipt_no.is_empty() {
        return Err(OrderNoError::Empty(receipt_no.to_owned()));
    }
    if !receipt_no.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return Err(OrderNoError::Character(receipt_no.to_owned()));
    }
    let no = format!("{receipt_no}-{attempt}");
    if no.len() > MAX_ORDER_NO_LEN {
        return Err(OrderNoError::TooLong(no));
    }
    Ok(OrderNo(no))
}

impl OrderNo {
    /// Reads an order number back into the receipt number and the attempt (for reconciliation:
    /// a statement's `out_trade_no` names the sale); `None` for a number this crate did not make
    pub fn parse(text: &str) -> Option<(String, u32)> {
        let (receipt, attempt) = text.rsplit_once('-')?;
        if attempt.starts_with('0') || !attempt.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let attempt: u32 = attempt.parse().ok()?;
        let again = order_no(receipt, attempt).ok()?;
        (again.0 == text).then(|| (receipt.to_owned(), attempt))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The number of this order's `seq`-th refund (1, 2, …): `{order_no}-R{seq}`, at most
    /// 32 + 11 characters, within both providers' 64. A retried refund reuses its number, so the
    /// provider answers it as the same refund (never a second one).
    pub fn refund_no(&self, seq: u32) -> String {
        format!("{}-R{seq}", self.0)
    }
}

impl fmt::Display for OrderNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for OrderNo {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(receipt: &str, attempt: u32, expected: Result<&str, OrderNoError>) {
        assert_eq!(order_no(receipt, attempt).map(|o| o.0), expected.map(str::to_owned), "{receipt} {attempt}");
    }

    #[test]
    fn an_attempt_number_is_the_receipt_and_the_attempt() {
        check("B001-01-000042", 1, Ok("B001-01-000042-1"));
        check("B001-01-000042", 2, Ok("B001-01-000042-2"));
        check("B001-01-000042", u32::MAX, Ok("B001-01-000042-4294967295"));
        check("SH0001-12-123456", 17, Ok("SH0001-12-123456-17"));
    }

    #[test]
    fn what_cannot_be_carried_whole_is_refused() {
        check("B001-01-000042", 0, Err(OrderNoError::AttemptZero));
        check("", 1, Err(OrderNoError::Empty(String::new())));
        check("B001 01", 1, Err(OrderNoError::Character("B001 01".into())));
        check("B001_01", 1, Err(OrderNoError::Character("B001_01".into())));
        check("店-01", 1, Err(OrderNoError::Character("店-01".into())));
        let long = "B".repeat(31);
        check(&long, 1, Err(OrderNoError::TooLong(format!("{long}-1"))));
        check(&"B".repeat(30), 1, Ok(&format!("{}-1", "B".repeat(30))));
    }

    #[test]
    fn every_derived_number_fits_both_providers() {
        for (receipt, attempt) in [("B001-01-000042", 1), ("X", 999_999), (&*"9".repeat(20), 4_000_000_000)] {
            let Ok(no) = order_no(receipt, attempt) else { continue };
            assert!(no.as_str().len() <= MAX_ORDER_NO_LEN);
            assert!(no.as_str().bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
            assert!(no.refund_no(u32::MAX).len() <= MAX_REFUND_NO_LEN);
            assert_eq!(OrderNo::parse(no.as_str()), Some((receipt.to_owned(), attempt)));
        }
    }

    #[test]
    fn only_derived_numbers_read_back() {
        assert_eq!(OrderNo::parse("B001-01-000042-3"), Some(("B001-01-000042".into(), 3)));
        assert_eq!(OrderNo::parse("B001-01-000042-03"), None);
        assert_eq!(OrderNo::parse("B001-01-000042-0"), None);
        assert_eq!(OrderNo::parse("B001-01-000042-"), None);
        assert_eq!(OrderNo::parse("1415640626"), None);
        assert_eq!(OrderNo::parse("-1"), None);
    }

    #[test]
    fn a_refund_number_is_the_order_and_the_refund() {
        let no = order_no("B001-01-000042", 1).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(no.refund_no(1), "B001-01-000042-1-R1");
        assert_eq!(no.refund_no(12), "B001-01-000042-1-R12");
    }
}
