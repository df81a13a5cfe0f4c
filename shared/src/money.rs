//! Money, quantities and rates: integers only.
//!
//! * [`Money`] is an amount in minor units (fen for CNY).
//! * [`Qty`] is a quantity in thousandths ("milli-units"): one piece is 1000, 0.532 kg is 532.
//! * [`Bp`] is a rate in basis points: 13 % is 1300, a 1.5× multiplier is 15000.
//!
//! Intermediate products are computed in `i128` and rounded once, half up (四舍五入, half away from
//! zero for negative amounts) unless a rule says floor or ceiling.

use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Neg, Sub, SubAssign};

use serde::{Deserialize, Serialize};

/// An amount of money in minor units (fen). Negative amounts are refunds, discounts and change.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Money(pub i64);

impl Money {
    pub const ZERO: Money = Money(0);

    /// Whole yuan, e.g. `Money::yuan(5)` is ¥5.00.
    pub const fn yuan(y: i64) -> Money {
        Money(y * 100)
    }

    pub const fn fen(self) -> i64 {
        self.0
    }

    pub fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// [`Money::is_zero`] by reference, for serde's `skip_serializing_if`.
    pub fn is_zero_ref(&self) -> bool {
        self.0 == 0
    }

    pub fn is_negative(self) -> bool {
        self.0 < 0
    }

    pub fn abs(self) -> Money {
        Money(self.0.abs())
    }

    pub fn checked_add(self, other: Money) -> Option<Money> {
        self.0.checked_add(other.0).map(Money)
    }

    pub fn checked_sub(self, other: Money) -> Option<Money> {
        self.0.checked_sub(other.0).map(Money)
    }

    /// Formats with the default currency (CNY): `¥12.34`, `-¥0.05`.
    pub fn display(self) -> String {
        Currency::CNY.format(self)
    }

    /// Formats without a currency symbol: `12.34`, `-0.05` (used in receipt columns).
    pub fn plain(self) -> String {
        Currency::CNY.format_plain(self)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display())
    }
}

impl Add for Money {
    type Output = Money;
    fn add(self, rhs: Money) -> Money {
        Money(self.0 + rhs.0)
    }
}

impl AddAssign for Money {
    fn add_assign(&mut self, rhs: Money) {
        self.0 += rhs.0;
    }
}

impl Sub for Money {
    type Output = Money;
    fn sub(self, rhs: Money) -> Money {
        Money(self.0 - rhs.0)
    }
}

impl SubAssign for Money {
    fn sub_assign(&mut self, rhs: Money) {
        self.0 -= rhs.0;
    }
}

impl Neg for Money {
    type Output = Money;
    fn neg(self) -> Money {
        Money(-self.0)
    }
}

impl Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        Money(iter.map(|m| m.0).sum())
    }
}

impl<'a> Sum<&'a Money> for Money {
    fn sum<I: Iterator<Item = &'a Money>>(iter: I) -> Money {
        Money(iter.map(|m| m.0).sum())
    }
}

/// A currency: ISO code, number of minor-unit decimals and display symbol.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Currency {
    pub code: String,
    pub decimals: u8,
    pub symbol: String,
}

impl Currency {
    /// The default: Chinese yuan, two decimals, `¥`.
    pub const CNY: CurrencyRef<'static> = CurrencyRef { code: "CNY", decimals: 2, symbol: "¥" };
}

impl Default for Currency {
    fn default() -> Self {
        Currency {
            code: Currency::CNY.code.to_owned(),
            decimals: Currency::CNY.decimals,
            symbol: Currency::CNY.symbol.to_owned(),
        }
    }
}

impl Currency {
    pub fn as_ref(&self) -> CurrencyRef<'_> {
        CurrencyRef { code: &self.code, decimals: self.decimals, symbol: &self.symbol }
    }
}

/// A borrowed currency description, so the default can be a constant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CurrencyRef<'a> {
    pub code: &'a str,
    pub decimals: u8,
    pub symbol: &'a str,
}

impl CurrencyRef<'_> {
    /// `¥12.34`; negative amounts as `-¥12.34`.
    pub fn format(&self, m: Money) -> String {
        let sign = if m.0 < 0 { "-" } else { "" };
        format!("{sign}{}{}", self.symbol, self.format_plain(m.abs()))
    }

    /// `12.34` with the currency's decimals and no symbol.
    pub fn format_plain(&self, m: Money) -> String {
        let sign = if m.0 < 0 { "-" } else { "" };
        let abs = m.0.unsigned_abs();
        if self.decimals == 0 {
            return format!("{sign}{abs}");
        }
        let scale = 10u64.pow(u32::from(self.decimals));
        format!("{sign}{}.{:0width$}", abs / scale, abs % scale, width = usize::from(self.decimals))
    }

    /// Parses a decimal amount such as `12.5`, `12.50`, `-3`, `¥1,234.00` into minor units.
    /// More decimals than the currency has is an error, not a rounding.
    pub fn parse(&self, text: &str) -> Result<Money, ParseMoneyError> {
        parse_decimal(text, self.symbol, self.decimals).map(Money)
    }
}

/// Why a money amount could not be parsed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ParseMoneyError {
    #[error("empty amount")]
    Empty,
    #[error("`{0}` is not a number")]
    NotANumber(String),
    #[error("`{0}` has more decimals than the currency allows")]
    TooManyDecimals(String),
    #[error("`{0}` is too large")]
    Overflow(String),
}

fn parse_decimal(text: &str, symbol: &str, decimals: u8) -> Result<i64, ParseMoneyError> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(ParseMoneyError::Empty);
    }
    let (negative, rest) = match trimmed.strip_prefix('-') {
        Some(r) => (true, r.trim_start()),
        None => (false, trimmed),
    };
    let rest = rest.strip_prefix(symbol).unwrap_or(rest).trim_start();
    let rest = rest.strip_prefix('￥').unwrap_or(rest);
    let cleaned: String = rest.chars().filter(|c| *c != ',').collect();
    let not_a_number = || ParseMoneyError::NotANumber(text.to_owned());
    let (whole, frac) = match cleaned.split_once('.') {
        Some((w, f)) => (w, f),
        None => (cleaned.as_str(), ""),
    };
    if whole.is_empty() && frac.is_empty() {
        return Err(not_a_number());
    }
    if !whole.chars().all(|c| c.is_ascii_digit()) || !frac.chars().all(|c| c.is_ascii_digit()) {
        return Err(not_a_number());
    }
    if frac.len() > usize::from(decimals) {
        return Err(ParseMoneyError::TooManyDecimals(text.to_owned()));
    }
    let overflow = || ParseMoneyError::Overflow(text.to_owned());
    let scale = 10i64.pow(u32::from(decimals));
    let whole_value: i64 = if whole.is_empty() { 0 } else { whole.parse().map_err(|_| overflow())? };
    let mut frac_value: i64 = if frac.is_empty() { 0 } else { frac.parse().map_err(|_| not_a_number())? };
    for _ in frac.len()..usize::from(decimals) {
        frac_value *= 10;
    }
    let value = whole_value.checked_mul(scale).and_then(|v| v.checked_add(frac_value)).ok_or_else(overflow)?;
    Ok(if negative { -value } else { value })
}

/// A quantity in thousandths of a unit: 1 piece = 1000, 0.532 kg = 532.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Qty(pub i64);

impl Qty {
    pub const ONE: Qty = Qty(1000);

    pub const fn pieces(n: i64) -> Qty {
        Qty(n * 1000)
    }

    pub const fn milli(self) -> i64 {
        self.0
    }

    /// `2`, `0.532`, `1.5`: trailing zeros dropped.
    pub fn display(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let whole = abs / 1000;
        let frac = abs % 1000;
        if frac == 0 {
            format!("{sign}{whole}")
        } else {
            let f = format!("{frac:03}");
            format!("{sign}{whole}.{}", f.trim_end_matches('0'))
        }
    }

    /// Parses `2`, `0.532`, `1.5` into thousandths.
    pub fn parse(text: &str) -> Result<Qty, ParseMoneyError> {
        parse_decimal(text, "", 3).map(Qty)
    }
}

impl fmt::Display for Qty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display())
    }
}

/// A rate in basis points (1/100 of a percent): 13 % VAT = 1300, 95 % of price = 9500, 1.5× = 15000.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Bp(pub i64);

impl Bp {
    /// 100 %, or a multiplier of 1×.
    pub const ONE: Bp = Bp(10_000);

    pub const fn percent(p: i64) -> Bp {
        Bp(p * 100)
    }

    /// `13%`, `9.5%`.
    pub fn display_percent(self) -> String {
        let whole = self.0 / 100;
        let frac = (self.0 % 100).abs();
        if frac == 0 {
            format!("{whole}%")
        } else if frac % 10 == 0 {
            format!("{whole}.{}%", frac / 10)
        } else {
            format!("{whole}.{frac:02}%")
        }
    }

    /// As a multiplier: `2×`, `1.5×`, `1.25×`.
    pub fn display_multiplier(self) -> String {
        let whole = self.0 / 10_000;
        let frac = format!("{:04}", (self.0 % 10_000).abs());
        let frac = frac.trim_end_matches('0');
        if frac.is_empty() { format!("{whole}×") } else { format!("{whole}.{frac}×") }
    }
}

/// `numerator / denominator`, rounded half away from zero ("四舍五入").
///
/// The denominator must be positive.
pub fn div_round_half_up(numerator: i128, denominator: i128) -> i128 {
    debug_assert!(denominator > 0);
    let q = numerator / denominator;
    let r = numerator % denominator;
    if r.abs() * 2 >= denominator { q + numerator.signum() } else { q }
}

/// `numerator / denominator`, rounded toward negative infinity. The denominator must be positive.
pub fn div_floor(numerator: i128, denominator: i128) -> i128 {
    debug_assert!(denominator > 0);
    numerator.div_euclid(denominator)
}

/// `numerator / denominator`, rounded toward positive infinity. The denominator must be positive.
pub fn div_ceil(numerator: i128, denominator: i128) -> i128 {
    debug_assert!(denominator > 0);
    -((-numerator).div_euclid(denominator))
}

/// Narrows an `i128` intermediate back to `i64`, or `None` when it does not fit.
pub fn narrow(v: i128) -> Option<i64> {
    i64::try_from(v).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_cny() {
        check_display(1234, "¥12.34");
        check_display(5, "¥0.05");
        check_display(-5, "-¥0.05");
        check_display(0, "¥0.00");
        check_display(10_000_000, "¥100000.00");
    }

    fn check_display(fen: i64, expected: &str) {
        assert_eq!(Money(fen).display(), expected);
    }

    #[test]
    fn parses_amounts() {
        let cny = Currency::CNY;
        assert_eq!(cny.parse("12.34"), Ok(Money(1234)));
        assert_eq!(cny.parse("12.5"), Ok(Money(1250)));
        assert_eq!(cny.parse("12"), Ok(Money(1200)));
        assert_eq!(cny.parse("¥1,234.00"), Ok(Money(123_400)));
        assert_eq!(cny.parse("-0.05"), Ok(Money(-5)));
        assert_eq!(cny.parse(".5"), Ok(Money(50)));
        assert!(matches!(cny.parse(""), Err(ParseMoneyError::Empty)));
        assert!(matches!(cny.parse("12.345"), Err(ParseMoneyError::TooManyDecimals(_))));
        assert!(matches!(cny.parse("1e5"), Err(ParseMoneyError::NotANumber(_))));
        assert!(matches!(cny.parse("."), Err(ParseMoneyError::NotANumber(_))));
        assert!(matches!(cny.parse("99999999999999999999"), Err(ParseMoneyError::Overflow(_))));
    }

    #[test]
    fn quantities() {
        assert_eq!(Qty(532).display(), "0.532");
        assert_eq!(Qty(1500).display(), "1.5");
        assert_eq!(Qty(2000).display(), "2");
        assert_eq!(Qty::parse("0.532"), Ok(Qty(532)));
        assert_eq!(Qty::parse("3"), Ok(Qty(3000)));
    }

    #[test]
    fn rounding() {
        assert_eq!(div_round_half_up(11504, 100), 115);
        assert_eq!(div_round_half_up(11550, 100), 116);
        assert_eq!(div_round_half_up(-11550, 100), -116);
        assert_eq!(div_round_half_up(-11549, 100), -115);
        assert_eq!(div_floor(-1, 100), -1);
        assert_eq!(div_ceil(101, 100), 2);
        assert_eq!(div_ceil(-101, 100), -1);
    }

    #[test]
    fn percent_display() {
        assert_eq!(Bp(1300).display_percent(), "13%");
        assert_eq!(Bp(950).display_percent(), "9.5%");
        assert_eq!(Bp(925).display_percent(), "9.25%");
        assert_eq!(Bp(20_000).display_multiplier(), "2×");
        assert_eq!(Bp(15_000).display_multiplier(), "1.5×");
        assert_eq!(Bp(12_500).display_multiplier(), "1.25×");
        assert_eq!(Bp(10_001).display_multiplier(), "1.0001×");
    }
}
