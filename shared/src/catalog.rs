//! Products, categories and the codes a scanner reads: EAN-13 / EAN-8 / UPC-A / UPC-E with their
//! check digits, variable-measure scale labels, member cards and receipt numbers.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::money::{Bp, Money};
use crate::receipt::ReceiptNo;
use crate::tax;

/// The highest shelf price a product may have: ¥10,000,000.00. Keeps every line product in range.
pub const MAX_PRICE: Money = Money(1_000_000_000);

/// A product's id, assigned by HQ.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ProductId(pub i64);

/// A category's id, assigned by HQ.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CategoryId(pub i64);

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Category {
    pub id: CategoryId,
    pub code: String,
    pub name: String,
    pub parent: Option<CategoryId>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProductStatus {
    #[default]
    Active,
    /// No longer sold; kept so old receipts and returns still resolve.
    Delisted,
}

pub use crate::promotions::BrandId;

/// A brand (品牌) as HQ keeps it: products name their brand, promotions and coupons scope by it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Brand {
    pub id: BrandId,
    /// A short code staff type in CSV files and forms (unique).
    pub code: String,
    pub name: String,
}

/// A product as HQ defines it. Prices include VAT.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Product {
    pub id: ProductId,
    /// The product code (SKU) staff type or search by.
    pub code: String,
    /// Barcodes, canonical form (see [`canonical_barcode`]).
    pub barcodes: Vec<String>,
    /// Full name (zh).
    pub name: String,
    /// The short name printed on receipts.
    pub short_name: String,
    pub category: CategoryId,
    /// Selling unit shown after the quantity: 个, 瓶, kg.
    pub unit: String,
    pub retail_price: Money,
    pub member_price: Option<Money>,
    pub vat: Bp,
    pub points_eligible: bool,
    pub discount_eligible: bool,
    /// Sold by weight: quantities are thousandths of a kilogram and come from the scale label.
    pub weighed: bool,
    /// Scale PLU (five digits) when the product is sold with variable-measure labels.
    pub plu: Option<u32>,
    pub status: ProductStatus,
    /// Its brand, when HQ names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brand: Option<BrandId>,
}

/// What is wrong with a product definition.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProductError {
    #[error("product code is empty")]
    EmptyCode,
    #[error("product name is empty")]
    EmptyName,
    #[error("price {0} is negative")]
    NegativePrice(Money),
    #[error("price {0} is above the maximum of {max}", max = MAX_PRICE)]
    PriceTooHigh(Money),
    #[error("VAT rate {} is not one of 13%, 9%, 6%, 0%", .0.display_percent())]
    UnknownVatRate(Bp),
    #[error("PLU {0} is not a five-digit number")]
    BadPlu(u32),
    #[error("barcode {code}: {reason}")]
    BadBarcode { code: String, reason: BarcodeError },
}

impl Product {
    /// Checks everything a till relies on. Import and HQ edits call this before storing.
    pub fn validate(&self) -> Result<(), ProductError> {
        if self.code.trim().is_empty() {
            return Err(ProductError::EmptyCode);
        }
        if self.name.trim().is_empty() {
            return Err(ProductError::EmptyName);
        }
        for price in std::iter::once(self.retail_price).chain(self.member_price) {
            check_price(price)?;
        }
        if !tax::is_standard_rate(self.vat) {
            return Err(ProductError::UnknownVatRate(self.vat));
        }
        if let Some(plu) = self.plu
            && plu > 99_999
        {
            return Err(ProductError::BadPlu(plu));
        }
        for code in &self.barcodes {
            validate_product_barcode(code).map_err(|reason| ProductError::BadBarcode { code: code.clone(), reason })?;
        }
        Ok(())
    }

    /// The name to print: the short name when there is one.
    pub fn receipt_name(&self) -> &str {
        if self.short_name.trim().is_empty() { &self.name } else { &self.short_name }
    }
}

/// Checks a shelf price is in range.
pub fn check_price(price: Money) -> Result<(), ProductError> {
    if price.is_negative() {
        Err(ProductError::NegativePrice(price))
    } else if price > MAX_PRICE {
        Err(ProductError::PriceTooHigh(price))
    } else {
        Ok(())
    }
}

/// Why a scanned or typed code was not accepted.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BarcodeError {
    #[error("empty code")]
    Empty,
    #[error("`{0}` contains characters other than digits")]
    NotDigits(String),
    #[error("`{code}` has {len} digits; EAN-13 has 13, UPC-A 12, EAN-8 and UPC-E 8")]
    WrongLength { code: String, len: usize },
    #[error("`{code}` fails its check digit (expected {expected})")]
    CheckDigit { code: String, expected: u8 },
    #[error("`{0}` is too long to be a barcode")]
    TooLong(String),
    #[error("`{0}` is not a UPC-E: its number system must be 0 or 1")]
    NotUpcE(String),
    #[error(
        "a code of {0} digits that passes the bank cards' Luhn check looks like a card number: member codes never do"
    )]
    LooksLikeCardNumber(usize),
}

/// The GS1 barcode types validated on scan.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum GtinKind {
    Ean13,
    Ean8,
    UpcA,
    /// Eight digits: number system 0 or 1, six digits, the check digit of the UPC-A it stands for.
    UpcE,
}

/// The GS1 mod-10 check digit for the digits that precede it.
///
/// Digits are weighted 3, 1, 3, ... from the right (the digit next to the check digit weighs 3).
pub fn gs1_check_digit(body: &[u8]) -> u8 {
    let sum: u32 = body.iter().rev().enumerate().map(|(i, d)| u32::from(*d) * if i % 2 == 0 { 3 } else { 1 }).sum();
    ((10 - sum % 10) % 10) as u8
}

/// Validates an EAN-13, UPC-A, EAN-8 or UPC-E code (digits only, right length, right check digit).
///
/// Eight digits are UPC-E when they read as one (number system 0 or 1 and the check digit of the
/// UPC-A they expand to), else EAN-8. Number system 0 is what US and Canadian goods carry; an EAN-8
/// starting with 0 is a company's internal number, and one that fails as UPC-E is still read as
/// EAN-8, so no code accepted as EAN-8 before is refused now. When the scanner says which
/// symbology it read, [`validate_gtin_as`] checks that one only.
pub fn validate_gtin(code: &str) -> Result<GtinKind, BarcodeError> {
    let digits = digits_of(code)?;
    let kind = match digits.len() {
        13 => GtinKind::Ean13,
        12 => GtinKind::UpcA,
        8 if matches!(digits[0], 0 | 1) => {
            return match check_kind(code, &digits, GtinKind::UpcE) {
                Ok(()) => Ok(GtinKind::UpcE),
                Err(upc_e) => check_kind(code, &digits, GtinKind::Ean8).map(|()| GtinKind::Ean8).map_err(|_| upc_e),
            };
        }
        8 => GtinKind::Ean8,
        len => {
            return Err(BarcodeError::WrongLength { code: code.to_owned(), len });
        }
    };
    check_kind(code, &digits, kind).map(|()| kind)
}

/// Validates `code` as the given kind only (a scanner that reported EAN-8 read an EAN-8).
pub fn validate_gtin_as(code: &str, kind: GtinKind) -> Result<(), BarcodeError> {
    let digits = digits_of(code)?;
    check_kind(code, &digits, kind)
}

fn check_kind(code: &str, digits: &[u8], kind: GtinKind) -> Result<(), BarcodeError> {
    let len = match kind {
        GtinKind::Ean13 => 13,
        GtinKind::UpcA => 12,
        GtinKind::Ean8 | GtinKind::UpcE => 8,
    };
    if digits.len() != len {
        return Err(BarcodeError::WrongLength { code: code.to_owned(), len: digits.len() });
    }
    let (body, check) = if kind == GtinKind::UpcE {
        let upc_a = expand_upc_e(digits).ok_or_else(|| BarcodeError::NotUpcE(code.to_owned()))?;
        (upc_a[..11].to_vec(), digits[7])
    } else {
        (digits[..len - 1].to_vec(), digits[len - 1])
    };
    let expected = gs1_check_digit(&body);
    if check != expected {
        return Err(BarcodeError::CheckDigit { code: code.to_owned(), expected });
    }
    Ok(())
}

/// The twelve digits of the UPC-A a UPC-E stands for (zero suppression undone), check digit
/// included; `None` when the digits are not eight or the number system is not 0 or 1.
fn expand_upc_e(d: &[u8]) -> Option<[u8; 12]> {
    let &[ns, x1, x2, x3, x4, x5, x6, check] = d else { return None };
    if ns > 1 {
        return None;
    }
    let (manufacturer, product) = match x6 {
        0..=2 => ([x1, x2, x6, 0, 0], [0, 0, x3, x4, x5]),
        3 => ([x1, x2, x3, 0, 0], [0, 0, 0, x4, x5]),
        4 => ([x1, x2, x3, x4, 0], [0, 0, 0, 0, x5]),
        _ => ([x1, x2, x3, x4, x5], [0, 0, 0, 0, x6]),
    };
    let mut a = [0u8; 12];
    a[0] = ns;
    a[1..6].copy_from_slice(&manufacturer);
    a[6..11].copy_from_slice(&product);
    a[11] = check;
    Some(a)
}

/// The UPC-A a valid UPC-E stands for: `"04252614"` → `"042100005264"`.
pub fn upc_e_to_upc_a(code: &str) -> Option<String> {
    validate_gtin_as(code, GtinKind::UpcE).ok()?;
    let digits = digits_of(code).ok()?;
    let a = expand_upc_e(&digits)?;
    Some(a.iter().map(|d| char::from(b'0' + d)).collect())
}

/// Completes a code body with its check digit: `"690123456789"` → `"6901234567892"`.
pub fn with_check_digit(body: &str) -> Result<String, BarcodeError> {
    let digits = digits_of(body)?;
    Ok(format!("{body}{}", gs1_check_digit(&digits)))
}

fn digits_of(code: &str) -> Result<Vec<u8>, BarcodeError> {
    if code.is_empty() {
        return Err(BarcodeError::Empty);
    }
    code.bytes()
        .map(|b| if b.is_ascii_digit() { Ok(b - b'0') } else { Err(BarcodeError::NotDigits(code.to_owned())) })
        .collect()
}

/// The form barcodes are stored and looked up in: a UPC-A becomes the EAN-13 with a leading zero
/// (they are the same GS1 number), and so does the UPC-A a UPC-E stands for; everything else is
/// unchanged.
pub fn canonical_barcode(code: &str) -> String {
    if code.len() == 12 && code.bytes().all(|b| b.is_ascii_digit()) {
        format!("0{code}")
    } else if code.len() == 8
        && validate_gtin(code) == Ok(GtinKind::UpcE)
        && let Some(upc_a) = upc_e_to_upc_a(code)
    {
        format!("0{upc_a}")
    } else {
        code.to_owned()
    }
}

/// Longest code accepted as a product's own (internal) barcode.
pub const MAX_CODE_LEN: usize = 24;

/// A barcode HQ may attach to a product: a valid GTIN, or an internal numeric code of another length.
pub fn validate_product_barcode(code: &str) -> Result<(), BarcodeError> {
    let digits = digits_of(code)?;
    match digits.len() {
        8 | 12 | 13 => validate_gtin(code).map(|_| ()),
        n if n > MAX_CODE_LEN => Err(BarcodeError::TooLong(code.to_owned())),
        _ => Ok(()),
    }
}

/// A member's number, as printed on the card and carried on track 2 (digits only).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MemberCode(String);

impl MemberCode {
    pub fn parse(code: &str) -> Result<MemberCode, BarcodeError> {
        let code = code.trim();
        digits_of(code)?;
        if code.len() > 20 {
            return Err(BarcodeError::TooLong(code.to_owned()));
        }
        // A card reader refuses such a swipe as a bank card (PCI DSS): no member may carry one.
        if crate::card_data::is_card_number(code.as_bytes()) {
            return Err(BarcodeError::LooksLikeCardNumber(code.len()));
        }
        Ok(MemberCode(code.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The number as it may be shown or printed: all but the last four digits masked.
    pub fn masked(&self) -> String {
        mask_tail(&self.0, 4)
    }

    /// The EAN-13 printed on a member card: flag, ten digits, check digit.
    /// Only ten-digit codes have a card barcode.
    pub fn card_barcode(&self, flag: &str) -> Option<String> {
        if self.0.len() != 10 || flag.len() != 2 {
            return None;
        }
        with_check_digit(&format!("{flag}{}", self.0)).ok()
    }
}

impl TryFrom<String> for MemberCode {
    type Error = BarcodeError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        MemberCode::parse(&s)
    }
}

impl From<MemberCode> for String {
    fn from(c: MemberCode) -> String {
        c.0
    }
}

impl fmt::Display for MemberCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Masks all but the last `keep` characters with `*`.
pub fn mask_tail(s: &str, keep: usize) -> String {
    let n = s.chars().count();
    s.chars().enumerate().map(|(i, c)| if i + keep < n { '*' } else { c }).collect()
}

/// What the value digits of a scale label mean.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LabelValueKind {
    /// The price in fen.
    Price,
    /// The weight in grams.
    Weight,
}

/// One flag of variable-measure labels and what its value digits mean.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScaleFlag {
    pub flag: u8,
    pub value: LabelValueKind,
}

/// How the till reads in-store EAN-13 codes: scale labels and member cards. Configured at HQ.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BarcodeRules {
    /// Scale-label flags (default 20–28, all price labels).
    pub scale_flags: Vec<ScaleFlag>,
    /// The flag of member-card codes (default 29).
    pub member_card_flag: u8,
}

impl Default for BarcodeRules {
    fn default() -> Self {
        BarcodeRules {
            scale_flags: (20..=28).map(|flag| ScaleFlag { flag, value: LabelValueKind::Price }).collect(),
            member_card_flag: 29,
        }
    }
}

/// The value a scale label carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LabelValue {
    Price(Money),
    /// Grams, which are also the quantity in thousandths of a kilogram.
    WeightGrams(i64),
}

/// A decoded variable-measure label `FF PPPPP VVVVV C`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScaleLabel {
    pub flag: u8,
    pub plu: u32,
    pub value: LabelValue,
}

/// What a scanned code is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ScannedCode {
    /// A product barcode, canonical form, to look up.
    Product(String),
    ScaleLabel(ScaleLabel),
    MemberCard(MemberCode),
    /// A member's rotating code from the member pages (`member_code`): checked, never looked up as a product.
    MemberRotating(crate::member_code::RotatingCode),
    Receipt(ReceiptNo),
}

/// Classifies a code read by a scanner or typed in the barcode field.
///
/// EAN-13 / UPC-A / EAN-8 / UPC-E shapes are check-digit validated: a failure is an error (a misread), never
/// a lookup. Numeric codes of other lengths are internal codes, looked up as they are.
pub fn classify_scan(code: &str, rules: &BarcodeRules) -> Result<ScannedCode, BarcodeError> {
    let code = code.trim();
    if code.is_empty() {
        return Err(BarcodeError::Empty);
    }
    if let Ok(receipt) = ReceiptNo::parse(code) {
        return Ok(ScannedCode::Receipt(receipt));
    }
    if let Some(rotating) = crate::member_code::RotatingCode::parse(code) {
        return Ok(ScannedCode::MemberRotating(rotating));
    }
    let digits = digits_of(code)?;
    match digits.len() {
        8 | 12 | 13 => {
            validate_gtin(code)?;
        }
        n if n > MAX_CODE_LEN => return Err(BarcodeError::TooLong(code.to_owned())),
        _ => return Ok(ScannedCode::Product(code.to_owned())),
    }
    if digits.len() == 13 {
        let flag = digits[0] * 10 + digits[1];
        if flag == rules.member_card_flag {
            return Ok(ScannedCode::MemberCard(MemberCode(code[2..12].to_owned())));
        }
        if let Some(rule) = rules.scale_flags.iter().find(|r| r.flag == flag) {
            let number =
                |range: std::ops::Range<usize>| digits[range].iter().fold(0u32, |acc, d| acc * 10 + u32::from(*d));
            let plu = number(2..7);
            let v = i64::from(number(7..12));
            let value = match rule.value {
                LabelValueKind::Price => LabelValue::Price(Money(v)),
                LabelValueKind::Weight => LabelValue::WeightGrams(v),
            };
            return Ok(ScannedCode::ScaleLabel(ScaleLabel { flag, plu, value }));
        }
    }
    Ok(ScannedCode::Product(canonical_barcode(code)))
}

/// Whether what a cashier typed on the sale screen is a code to scan (a barcode's length: 8, 12
/// or 13 digits, a receipt number, a coupon code or a member's rotating code) rather than words to search the catalog by (a name, pinyin
/// initials, a PLU or a product code). Letters are never read as a bad barcode.
pub fn typed_is_code(text: &str) -> bool {
    let text = text.trim();
    ReceiptNo::parse(text).is_ok()
        || crate::promotions::coupons::CouponCode::looks_like(text)
        || crate::member_code::RotatingCode::looks_like(text)
        || (matches!(text.len(), 8 | 12 | 13) && text.bytes().all(|b| b.is_ascii_digit()))
}

/// Builds the EAN-13 of a scale label (used by the simulators and tests).
pub fn scale_label_barcode(flag: u8, plu: u32, value: i64) -> Option<String> {
    if !(10..=99).contains(&flag) || plu > 99_999 || !(0..=99_999).contains(&value) {
        return None;
    }
    with_check_digit(&format!("{flag:02}{plu:05}{value:05}")).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_words_are_searched_and_codes_scanned() {
        for code in
            ["6901234567892", "69012345", "012345678905", "B001-01-000042", "CP12-3456-ABCDE7", "880000012345287082"]
        {
            assert!(typed_is_code(code), "{code}");
        }
        for words in ["kkkl", "可乐", "1234", "cola 330", "690123456789x", "P0001"] {
            assert!(!typed_is_code(words), "{words}");
        }
    }

    #[test]
    fn check_digits() {
        assert_eq!(validate_gtin("6901234567892"), Ok(GtinKind::Ean13));
        assert_eq!(validate_gtin("4006381333931"), Ok(GtinKind::Ean13));
        assert_eq!(validate_gtin("96385074"), Ok(GtinKind::Ean8));
        assert_eq!(validate_gtin("036000291452"), Ok(GtinKind::UpcA));
        assert_eq!(with_check_digit("690123456789").as_deref(), Ok("6901234567892"));
    }

    #[test]
    fn bad_codes_are_typed_errors() {
        assert_eq!(
            validate_gtin("6901234567893"),
            Err(BarcodeError::CheckDigit { code: "6901234567893".into(), expected: 2 })
        );
        assert_eq!(validate_gtin("69012345678A2"), Err(BarcodeError::NotDigits("69012345678A2".into())));
        assert_eq!(validate_gtin("12345"), Err(BarcodeError::WrongLength { code: "12345".into(), len: 5 }));
        assert_eq!(validate_gtin(""), Err(BarcodeError::Empty));
        let rules = BarcodeRules::default();
        assert!(matches!(classify_scan("ABC-123", &rules), Err(BarcodeError::NotDigits(_))));
        assert!(matches!(classify_scan("6901234567893", &rules), Err(BarcodeError::CheckDigit { .. })));
        assert!(matches!(classify_scan(&"1".repeat(40), &rules), Err(BarcodeError::TooLong(_))));
    }

    #[test]
    fn domain_example_scale_label() {
        // domain.md: 2001234012508 = PLU 01234, ¥12.50
        let scanned = classify_scan("2001234012508", &BarcodeRules::default());
        assert_eq!(
            scanned,
            Ok(ScannedCode::ScaleLabel(ScaleLabel { flag: 20, plu: 1234, value: LabelValue::Price(Money(1250)) }))
        );
        assert_eq!(scale_label_barcode(20, 1234, 1250).as_deref(), Some("2001234012508"));
    }

    #[test]
    fn weight_labels_by_configuration() {
        let rules = BarcodeRules {
            scale_flags: vec![ScaleFlag { flag: 21, value: LabelValueKind::Weight }],
            member_card_flag: 29,
        };
        let code = scale_label_barcode(21, 42, 532).expect("valid label");
        assert_eq!(
            classify_scan(&code, &rules),
            Ok(ScannedCode::ScaleLabel(ScaleLabel { flag: 21, plu: 42, value: LabelValue::WeightGrams(532) }))
        );
        // With that configuration, flag 20 is an ordinary EAN-13.
        assert_eq!(classify_scan("2001234012508", &rules), Ok(ScannedCode::Product("2001234012508".into())));
    }

    #[test]
    fn domain_example_member_card() {
        // domain.md: 2900000123458 is member 0000012345
        let scanned = classify_scan("2900000123458", &BarcodeRules::default());
        let code = MemberCode::parse("0000012345").expect("digits");
        assert_eq!(scanned, Ok(ScannedCode::MemberCard(code.clone())));
        assert_eq!(code.card_barcode("29").as_deref(), Some("2900000123458"));
        assert_eq!(code.masked(), "******2345");
    }

    #[test]
    fn no_member_code_is_a_card_number() {
        assert_eq!(MemberCode::parse("4111111111111111"), Err(BarcodeError::LooksLikeCardNumber(16)));
        assert_eq!(MemberCode::parse("6222021234567890128").map_err(|_| ()), Err(()), "19-digit UnionPay");
        // Failing Luhn, or outside 13–19 digits: a member code as any other.
        assert!(MemberCode::parse("4111111111111112").is_ok());
        assert!(MemberCode::parse("79927398713").is_ok());
    }

    #[test]
    fn upc_a_is_looked_up_as_ean13() {
        assert_eq!(
            classify_scan("036000291452", &BarcodeRules::default()),
            Ok(ScannedCode::Product("0036000291452".into()))
        );
        assert_eq!(classify_scan("96385074", &BarcodeRules::default()), Ok(ScannedCode::Product("96385074".into())));
    }

    #[test]
    fn upc_e_is_checked_as_upc_e_and_looked_up_as_its_upc_a() {
        let rules = BarcodeRules::default();
        for (upc_e, upc_a) in [("04252614", "042100005264"), ("06543217", "065100004327"), ("02468139", "024600000819")]
        {
            assert_eq!(validate_gtin(upc_e), Ok(GtinKind::UpcE), "{upc_e}");
            assert_eq!(validate_gtin(upc_a), Ok(GtinKind::UpcA), "{upc_a}");
            assert_eq!(upc_e_to_upc_a(upc_e).as_deref(), Some(upc_a));
            assert_eq!(classify_scan(upc_e, &rules), Ok(ScannedCode::Product(format!("0{upc_a}"))));
            // Scanning the UPC-E or the UPC-A finds the same product.
            assert_eq!(canonical_barcode(upc_e), canonical_barcode(upc_a));
            assert_eq!(validate_product_barcode(upc_e), Ok(()));
        }
        // A wrong UPC-E check digit is a misread, with the UPC-E's expected digit.
        assert_eq!(
            classify_scan("04252615", &rules),
            Err(BarcodeError::CheckDigit { code: "04252615".into(), expected: 4 })
        );
        // EAN-8 codes read as before, including an EAN-8 with a leading 0 that is no UPC-E.
        assert_eq!(validate_gtin("96385074"), Ok(GtinKind::Ean8));
        assert_eq!(validate_gtin(&with_check_digit("0765432").expect("digits")), Ok(GtinKind::Ean8));
        // What the scanner said it read is checked as that.
        assert!(matches!(validate_gtin_as("04252614", GtinKind::Ean8), Err(BarcodeError::CheckDigit { .. })));
        assert_eq!(validate_gtin_as("96385074", GtinKind::UpcE), Err(BarcodeError::NotUpcE("96385074".into())));
    }

    #[test]
    fn internal_codes_and_receipts() {
        let rules = BarcodeRules::default();
        assert_eq!(classify_scan("1001", &rules), Ok(ScannedCode::Product("1001".into())));
        assert!(matches!(classify_scan("B001-01-000042", &rules), Ok(ScannedCode::Receipt(_))));
    }

    fn product() -> Product {
        Product {
            brand: None,
            id: ProductId(1),
            code: "P1".into(),
            barcodes: vec!["6901234567892".into()],
            name: "可口可乐 330ml".into(),
            short_name: "可乐".into(),
            category: CategoryId(1),
            unit: "瓶".into(),
            retail_price: Money(350),
            member_price: Some(Money(300)),
            vat: Bp(1300),
            points_eligible: true,
            discount_eligible: true,
            weighed: false,
            plu: None,
            status: ProductStatus::Active,
        }
    }

    #[test]
    fn product_validation() {
        assert_eq!(product().validate(), Ok(()));
        let mut p = product();
        p.retail_price = Money(-1);
        assert_eq!(p.validate(), Err(ProductError::NegativePrice(Money(-1))));
        let mut p = product();
        p.vat = Bp(1700);
        assert_eq!(p.validate(), Err(ProductError::UnknownVatRate(Bp(1700))));
        let mut p = product();
        p.barcodes.push("6901234567893".into());
        assert!(matches!(p.validate(), Err(ProductError::BadBarcode { .. })));
        let mut p = product();
        p.name = " ".into();
        assert_eq!(p.validate(), Err(ProductError::EmptyName));
    }
}
