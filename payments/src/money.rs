//! Amounts on the wire: WeChat Pay sends integer fen (`total_fee`), Alipay and both statements
//! send yuan as decimal text (`"12.34"`).
//! The conversion is exact, on integers: never through a float.

/// A yuan text that is not an exact amount in fen
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    #[error("`{0}` is not an amount in yuan like 12.34")]
    NotYuan(String),
    #[error("`{0}` has more than two decimals, finer than a fen")]
    FinerThanFen(String),
    #[error("`{0}` is too large")]
    TooLarge(String),
}

/// Fen as yuan text with two decimals: `1234` → `"12.34"`, `-5` → `"-0.05"`
pub fn fen_to_yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let abs = fen.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

/// Yuan text (`"12.34"`, `"12.3"`, `"12"`, `"-0.05"`) as fen.
///
/// At least one digit before the point, at most two after it, an optional leading `-`;
/// nothing else (no `+`, spaces, exponents or thousands separators).
pub fn yuan_to_fen(text: &str) -> Result<i64, AmountError> {
    let not_yuan = || AmountError::NotYuan(text.to_owned());
    let (negative, unsigned) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (whole, frac) = match unsigned.split_once('.') {
        Some((whole, frac)) => (whole, Some(frac)),
        None => (unsigned, None),
    };
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return Err(not_yuan());
    }
    let frac_fen = match frac {
        None => 0,
        Some(frac) => {
            if frac.is_empty() || !frac.bytes().all(|b| b.is_ascii_digit()) {
                return Err(not_yuan());
            }
            if frac.len() > 2 {
                return Err(AmountError::FinerThanFen(text.to_owned()));
            }
            let digits: i64 = frac.bytes().fold(0, |acc, b| acc * 10 + i64::from(b - b'0'));
            if frac.len() == 1 { digits * 10 } else { digits }
        }
    };
    let too_large = || AmountError::TooLarge(text.to_owned());
    let mut whole_value: i64 = 0;
    for b in whole.bytes() {
        whole_value =
            whole_value.checked_mul(10).and_then(|v| v.checked_add(i64::from(b - b'0'))).ok_or_else(too_large)?;
    }
    let fen = whole_value.checked_mul(100).and_then(|v| v.checked_add(frac_fen)).ok_or_else(too_large)?;
    Ok(if negative { -fen } else { fen })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, expected: Result<i64, AmountError>) {
        assert_eq!(yuan_to_fen(text), expected, "{text}");
    }

    #[test]
    fn yuan_text_reads_as_exact_fen() {
        check("12.34", Ok(1234));
        check("12.3", Ok(1230));
        check("12", Ok(1200));
        check("0.01", Ok(1));
        check("0.0", Ok(0));
        check("-3000.00", Ok(-300_000));
        check("-0.05", Ok(-5));
        check("007.10", Ok(710));
        check("92233720368547758.07", Ok(i64::MAX));
    }

    #[test]
    fn anything_else_is_refused() {
        for text in ["", "-", ".5", "1.", "1.2.3", "+1", " 1", "1 ", "1e3", "1,000", "¥1", "--1", "0x10"] {
            assert_eq!(yuan_to_fen(text), Err(AmountError::NotYuan(text.into())), "{text:?}");
        }
        check("1.234", Err(AmountError::FinerThanFen("1.234".into())));
        check("92233720368547758.08", Err(AmountError::TooLarge("92233720368547758.08".into())));
        check("99999999999999999999", Err(AmountError::TooLarge("99999999999999999999".into())));
    }

    #[test]
    fn fen_prints_with_two_decimals() {
        assert_eq!(fen_to_yuan(1234), "12.34");
        assert_eq!(fen_to_yuan(1), "0.01");
        assert_eq!(fen_to_yuan(0), "0.00");
        assert_eq!(fen_to_yuan(-5), "-0.05");
        assert_eq!(fen_to_yuan(-300_000), "-3000.00");
        assert_eq!(fen_to_yuan(i64::MIN), "-92233720368547758.08");
    }
}
