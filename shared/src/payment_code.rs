//! Payment codes (付款码): the barcode a customer's WeChat Pay or Alipay app shows, which the
//! cashier scans to collect a payment. `docs/payment-codes.md` gives the rule with its sources.
//!
//! - WeChat Pay: 18 digits beginning `10`–`15`.
//! - Alipay: 16–24 digits beginning `25`–`30`.
//!
//! The length decides against product barcodes: GS1 item numbers (EAN-8, UPC-A, EAN-13, GTIN-14)
//! have at most 14 digits, and an EAN-13 beginning `10`–`13` (GS1 US) or `25`–`29` (in-store and
//! scale labels) is a product, never a payment code.
//!
//! A run of 15–25 digits that begins with a payment prefix but fits neither provider is a
//! [`Misread`]: a payment code with a digit lost or doubled (15–25 is the providers' own span,
//! 16–24, widened by one digit either way). It is never looked up as a product. A shop's own
//! internal barcodes of that length should avoid the prefixes `10`–`15` and `25`–`30`.
//!
//! A payment code is a bearer token for the customer's money until it expires (about a minute):
//! [`PaymentCode`]'s `Display` and `Debug` show the first four and last four digits only, and a
//! [`Misread`] keeps only that masked form. Its `serde` form is the full code, for the collect
//! request a till sends HQ (which passes it to the provider); nothing else should carry it.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Who issued a payment code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Provider {
    /// 微信支付: 18 digits beginning 10–15.
    Wechat,
    /// 支付宝: 16–24 digits beginning 25–30.
    Alipay,
}

impl Provider {
    /// The provider whose codes begin with the two digits `prefix` (`10`–`15` WeChat Pay,
    /// `25`–`30` Alipay).
    pub fn of_prefix(prefix: u8) -> Option<Provider> {
        match prefix {
            10..=15 => Some(Provider::Wechat),
            25..=30 => Some(Provider::Alipay),
            _ => None,
        }
    }

    /// How many digits this provider's codes have.
    pub fn lengths(self) -> std::ops::RangeInclusive<usize> {
        match self {
            Provider::Wechat => 18..=18,
            Provider::Alipay => 16..=24,
        }
    }

    /// The provider's name as cashiers know it in English.
    pub fn name(self) -> &'static str {
        match self {
            Provider::Wechat => "WeChat Pay",
            Provider::Alipay => "Alipay",
        }
    }

    /// The provider's name in Chinese.
    pub fn name_zh(self) -> &'static str {
        match self {
            Provider::Wechat => "微信支付",
            Provider::Alipay => "支付宝",
        }
    }

    fn lengths_text(self) -> &'static str {
        match self {
            Provider::Wechat => "18",
            Provider::Alipay => "16 to 24",
        }
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Shortest run of digits read as a payment code gone wrong: one longer than a GTIN-14.
pub const MISREAD_MIN_DIGITS: usize = 15;
/// Longest: one more than Alipay's longest code.
pub const MISREAD_MAX_DIGITS: usize = 25;

/// A scanned payment code, checked against its provider's rule. The full code is reached only
/// through [`PaymentCode::reveal`]; `Display` and `Debug` are masked.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PaymentCode {
    provider: Provider,
    digits: String,
}

impl PaymentCode {
    /// Reads `text` as a payment code; `None` for anything else (a misread included).
    pub fn parse(text: &str) -> Option<PaymentCode> {
        classify(text).code().cloned()
    }

    pub fn provider(&self) -> Provider {
        self.provider
    }

    /// The full code, for the collect request to the provider only: never log or show it.
    pub fn reveal(&self) -> &str {
        &self.digits
    }

    /// How many digits the code has.
    pub fn len(&self) -> usize {
        self.digits.len()
    }

    /// Always `false`: a payment code has at least 16 digits.
    pub fn is_empty(&self) -> bool {
        self.digits.is_empty()
    }

    /// The first four and last four digits, the rest `*`: `1340**********5678`.
    pub fn masked(&self) -> String {
        mask(&self.digits)
    }
}

impl fmt::Display for PaymentCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl fmt::Debug for PaymentCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PaymentCode").field("provider", &self.provider).field("code", &self.masked()).finish()
    }
}

/// Why a string is not a payment code, for `serde` (the string itself is not repeated).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("not a WeChat Pay or Alipay payment code")]
pub struct NotAPaymentCode;

impl TryFrom<String> for PaymentCode {
    type Error = NotAPaymentCode;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        PaymentCode::parse(&s).ok_or(NotAPaymentCode)
    }
}

impl From<PaymentCode> for String {
    fn from(c: PaymentCode) -> String {
        c.digits
    }
}

/// Why a read that looks like a payment code is not one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "reason")]
pub enum MisreadReason {
    /// The prefix is the provider's, the number of digits is not (a digit lost or doubled).
    WrongLength { digits: usize },
}

/// A read with a payment code's prefix and nearly its length: scan it again, never look it up as
/// a product. Keeps only the masked digits.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Misread {
    /// The provider the prefix belongs to.
    pub provider: Provider,
    pub reason: MisreadReason,
    /// First four and last four digits, the rest `*`.
    pub masked: String,
}

impl fmt::Debug for Misread {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Misread")
            .field("provider", &self.provider)
            .field("reason", &self.reason)
            .field("masked", &self.masked)
            .finish()
    }
}

impl fmt::Display for Misread {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.reason {
            MisreadReason::WrongLength { digits } => write!(
                f,
                "{} looks like a {} payment code but has {digits} digits ({} has {}): scan it again",
                self.masked,
                self.provider,
                self.provider,
                self.provider.lengths_text()
            ),
        }
    }
}

/// What a scanned or typed code is, as far as payments go.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PaymentScan {
    Wechat(PaymentCode),
    Alipay(PaymentCode),
    /// A payment code's prefix with nearly its length: never a product.
    Misread(Misread),
    /// Anything else (a product barcode, a member code, a receipt number, words).
    NotAPaymentCode,
}

impl PaymentScan {
    /// The payment code, when it is one.
    pub fn code(&self) -> Option<&PaymentCode> {
        match self {
            PaymentScan::Wechat(c) | PaymentScan::Alipay(c) => Some(c),
            PaymentScan::Misread(_) | PaymentScan::NotAPaymentCode => None,
        }
    }

    /// Whether the read belongs to payments (a code or a misread of one), so it must not be
    /// looked up as a product.
    pub fn is_payment(&self) -> bool {
        !matches!(self, PaymentScan::NotAPaymentCode)
    }
}

/// The digits of `text`: surrounding whitespace trimmed, and single spaces between groups of
/// digits dropped (the apps show the number in groups of four for typing when a scan fails).
/// `None` when anything else is in it.
fn digits_of(text: &str) -> Option<String> {
    let t = text.trim();
    let b = t.as_bytes();
    let mut out = String::with_capacity(b.len());
    for (i, &c) in b.iter().enumerate() {
        if c.is_ascii_digit() {
            out.push(char::from(c));
        } else if c == b' ' && i > 0 && b[i - 1].is_ascii_digit() && b.get(i + 1).is_some_and(u8::is_ascii_digit) {
            continue;
        } else {
            return None;
        }
    }
    Some(out)
}

/// First four and last four digits, the rest `*` (a code of eight digits or fewer is all `*`).
fn mask(digits: &str) -> String {
    let n = digits.len();
    if n <= 8 {
        return "*".repeat(n);
    }
    digits.char_indices().map(|(i, c)| if i < 4 || i + 4 >= n { c } else { '*' }).collect()
}

/// Tells a payment code from anything else a scanner reads or a cashier types.
pub fn classify(text: &str) -> PaymentScan {
    let Some(digits) = digits_of(text) else { return PaymentScan::NotAPaymentCode };
    let b = digits.as_bytes();
    if b.len() < 2 {
        return PaymentScan::NotAPaymentCode;
    }
    let Some(provider) = Provider::of_prefix((b[0] - b'0') * 10 + (b[1] - b'0')) else {
        return PaymentScan::NotAPaymentCode;
    };
    let n = b.len();
    if provider.lengths().contains(&n) {
        let code = PaymentCode { provider, digits };
        return match provider {
            Provider::Wechat => PaymentScan::Wechat(code),
            Provider::Alipay => PaymentScan::Alipay(code),
        };
    }
    if (MISREAD_MIN_DIGITS..=MISREAD_MAX_DIGITS).contains(&n) {
        return PaymentScan::Misread(Misread {
            provider,
            reason: MisreadReason::WrongLength { digits: n },
            masked: mask(&digits),
        });
    }
    PaymentScan::NotAPaymentCode
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{GtinKind, gs1_check_digit, validate_gtin};
    use proptest::prelude::*;

    fn check(text: &str, expected: PaymentScan) {
        assert_eq!(classify(text), expected, "{text:?}");
    }

    fn code(provider: Provider, digits: &str) -> PaymentCode {
        PaymentCode { provider, digits: digits.to_owned() }
    }

    fn wechat(digits: &str) -> PaymentScan {
        PaymentScan::Wechat(code(Provider::Wechat, digits))
    }

    fn alipay(digits: &str) -> PaymentScan {
        PaymentScan::Alipay(code(Provider::Alipay, digits))
    }

    fn misread(provider: Provider, digits: &str) -> PaymentScan {
        PaymentScan::Misread(Misread {
            provider,
            reason: MisreadReason::WrongLength { digits: digits.len() },
            masked: mask(digits),
        })
    }

    #[test]
    fn wechat_pay_is_18_digits_beginning_10_to_15() {
        for p in 10..=15 {
            let d = format!("{p}3456789012345678");
            check(&d, wechat(&d));
        }
        check("134567890123456789", wechat("134567890123456789"));
        // Another prefix at 18 digits is not WeChat Pay (88 is a member's rotating code).
        check("164567890123456789", PaymentScan::NotAPaymentCode);
        check("094567890123456789", PaymentScan::NotAPaymentCode);
        check("884567890123456789", PaymentScan::NotAPaymentCode);
    }

    #[test]
    fn alipay_is_16_to_24_digits_beginning_25_to_30() {
        for p in 25..=30 {
            for n in 16..=24 {
                let d = format!("{p}{}", "7".repeat(n - 2));
                check(&d, alipay(&d));
            }
        }
        check("2812345678901234", alipay("2812345678901234"));
        check("311234567890123456", PaymentScan::NotAPaymentCode);
        check("241234567890123456", PaymentScan::NotAPaymentCode);
    }

    #[test]
    fn a_payment_prefix_with_nearly_a_payment_length_is_a_misread() {
        // A digit lost or doubled.
        check("13456789012345678", misread(Provider::Wechat, "13456789012345678"));
        check("1345678901234567890", misread(Provider::Wechat, "1345678901234567890"));
        check("281234567890123", misread(Provider::Alipay, "281234567890123"));
        check("2812345678901234567890123", misread(Provider::Alipay, "2812345678901234567890123"));
        // WeChat's prefix at an Alipay length.
        check("1012345678901234", misread(Provider::Wechat, "1012345678901234"));
        // Outside 15–25 digits: something else (an internal code, a GTIN-14 case code).
        check("10123456789012", PaymentScan::NotAPaymentCode);
        check("28123456789012345678901234", PaymentScan::NotAPaymentCode);
    }

    #[test]
    fn products_and_other_codes_are_not_payment_codes() {
        for c in [
            "0012345678905",  // EAN-13 of a UPC-A
            "1234567890128",  // EAN-13 beginning 12 (GS1 US)
            "2512345000005",  // an in-store EAN-13 beginning 25 (scale label)
            "123456789012",   // UPC-A, number system 1
            "12345670",       // EAN-8 beginning 12
            "10614141000415", // GTIN-14 beginning 10
            "1001",           // a PLU
            "B001-01-000042", // a receipt number
            "CP12-34-ABCDE1",
            "",
            "  ",
            "1",
            "13 4567890123456789x",
            "１３４５６７８９０１２３４５６７８９", // full-width digits
        ] {
            check(c, PaymentScan::NotAPaymentCode);
        }
    }

    #[test]
    fn a_typed_code_may_have_spaces_between_groups() {
        check("  1345 6789 0123 4567 89 ", wechat("134567890123456789"));
        check("2812 3456 7890 1234", alipay("2812345678901234"));
        // Two spaces, a tab or a dash are not a group separator.
        check("1345  6789 0123 4567 89", PaymentScan::NotAPaymentCode);
        check("1345\t6789 0123 4567 89", PaymentScan::NotAPaymentCode);
        check("1345-6789-0123-4567-89", PaymentScan::NotAPaymentCode);
    }

    #[test]
    fn the_code_shows_masked_only() {
        let c = PaymentCode::parse("134567890123456789").expect("a WeChat Pay code");
        assert_eq!(c.provider(), Provider::Wechat);
        assert_eq!(c.reveal(), "134567890123456789");
        assert_eq!(c.to_string(), "1345**********6789");
        assert_eq!(format!("{c:?}"), r#"PaymentCode { provider: Wechat, code: "1345**********6789" }"#);
        let scan = classify("134567890123456789");
        assert!(!format!("{scan:?}").contains("4567890123456"), "{scan:?}");
        let m = classify("13456789012345678");
        assert_eq!(
            match &m {
                PaymentScan::Misread(m) => m.to_string(),
                other => panic!("{other:?}"),
            },
            "1345*********5678 looks like a WeChat Pay payment code but has 17 digits (WeChat Pay has 18): scan it again"
        );
        assert!(!format!("{m:?}").contains("567890123"), "{m:?}");
        let a = classify("2812 3456 7890 1234 5678");
        assert_eq!(a.code().map(|c| c.to_string()).as_deref(), Some("2812************5678"));
    }

    #[test]
    fn serde_carries_the_full_code_and_checks_it() {
        let c = PaymentCode::parse("134567890123456789").expect("a code");
        let json = serde_json::to_string(&c).expect("serialises");
        assert_eq!(json, r#""134567890123456789""#);
        assert_eq!(serde_json::from_str::<PaymentCode>(&json).expect("reads back"), c);
        assert!(serde_json::from_str::<PaymentCode>(r#""6901234567892""#).is_err());
        assert!(serde_json::from_str::<PaymentCode>(r#""13456789012345678""#).is_err(), "a misread");
        let e = serde_json::from_str::<PaymentCode>(r#""13456789012345678""#).expect_err("refused").to_string();
        assert!(!e.contains("13456789012345678"), "{e}");
    }

    fn digits(n: usize) -> impl Strategy<Value = Vec<u8>> {
        prop::collection::vec(0u8..10, n)
    }

    fn text(d: &[u8]) -> String {
        d.iter().map(|x| char::from(b'0' + x)).collect()
    }

    /// A valid GTIN of `len` digits (8, 12, 13 or 14) whose first two digits are `prefix`.
    fn gtin(prefix: u8, body: &[u8], len: usize) -> String {
        let mut d = vec![prefix / 10, prefix % 10];
        d.extend(&body[..len - 3]);
        d.push(gs1_check_digit(&d));
        text(&d)
    }

    fn payment_prefix() -> impl Strategy<Value = u8> {
        prop_oneof![10u8..=15, 25u8..=30]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn no_valid_ean_or_upc_is_a_payment_code(
            prefix in prop_oneof![payment_prefix(), 0u8..100],
            body in digits(11),
            len in prop::sample::select(vec![8usize, 12, 13, 14]),
        ) {
            let g = gtin(prefix, &body, len);
            if len < 14 {
                let kind = validate_gtin(&g);
                prop_assert!(matches!(kind, Ok(GtinKind::Ean13 | GtinKind::UpcA | GtinKind::Ean8 | GtinKind::UpcE)), "{} {:?}", g, kind);
            }
            prop_assert_eq!(classify(&g), PaymentScan::NotAPaymentCode, "{}", g);
            prop_assert!(PaymentCode::parse(&g).is_none());
        }

        #[test]
        fn every_code_of_the_rule_is_its_providers(prefix in payment_prefix(), body in digits(22), len in 16usize..=24) {
            let provider = Provider::of_prefix(prefix).expect("a payment prefix");
            let len = if provider == Provider::Wechat { 18 } else { len };
            let d = format!("{prefix}{}", text(&body[..len - 2]));
            let scan = classify(&d);
            let c = scan.code().expect("a payment code");
            prop_assert_eq!(c.provider(), provider);
            prop_assert_eq!(c.reveal(), d.as_str());
            // Neither form for people shows the middle digits.
            let middle = &d[4..d.len() - 4];
            let shown = format!("{scan:?}");
            prop_assert!(!shown.contains(middle));
            prop_assert!(!c.to_string().contains(middle));
        }

        #[test]
        fn classify_never_panics_and_misreads_keep_no_digits(s in "\\PC{0,40}", d in "[0-9 ]{0,30}") {
            for t in [&s, &d] {
                match classify(t) {
                    PaymentScan::Misread(m) => {
                        let all: String = t.chars().filter(char::is_ascii_digit).collect();
                        let shown = format!("{m:?} {m}");
                        prop_assert!(!shown.contains(&all[4..all.len() - 4]));
                        prop_assert!((MISREAD_MIN_DIGITS..=MISREAD_MAX_DIGITS).contains(&all.len()));
                    }
                    PaymentScan::Wechat(c) | PaymentScan::Alipay(c) => {
                        prop_assert!(c.provider().lengths().contains(&c.len()));
                    }
                    PaymentScan::NotAPaymentCode => {}
                }
            }
        }
    }
}
