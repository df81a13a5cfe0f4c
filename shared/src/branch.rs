//! A branch's settings as HQ defines them and tills pull them.

use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;
use jiff::{Timestamp, Zoned};
use serde::{Deserialize, Serialize};

use crate::catalog::BarcodeRules;
use crate::ids::BranchId;
use crate::money::{Bp, Money, Qty};
use crate::pricing::CashRounding;
use crate::receipt::{PaperWidth, ReceiptHeader};

/// What a cashier may do without a manager's approval.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CashierLimits {
    /// The largest reduction of a line a cashier may give (1000 = 10 %).
    pub line_discount: Bp,
    /// The largest order discount a cashier may give, as a share of the discountable goods.
    pub order_discount: Bp,
    /// A quantity above this is confirmed before it is set (a digit typed twice).
    #[serde(default = "default_confirm_qty_over")]
    pub confirm_qty_over: Qty,
    /// A line above this amount is confirmed before it is set.
    #[serde(default = "default_confirm_line_over")]
    pub confirm_line_over: Money,
}

fn default_confirm_qty_over() -> Qty {
    Qty(999_000)
}

fn default_confirm_line_over() -> Money {
    Money(1_000_000)
}

impl Default for CashierLimits {
    fn default() -> Self {
        CashierLimits {
            line_discount: Bp(1_000),
            order_discount: Bp(500),
            confirm_qty_over: default_confirm_qty_over(),
            confirm_line_over: default_confirm_line_over(),
        }
    }
}

impl CashierLimits {
    /// Whether a line of `qty` at `unit` is large enough to be confirmed before it is set: more
    /// than [`Self::confirm_qty_over`] pieces, or more than [`Self::confirm_line_over`] in all.
    pub fn confirm_line(&self, qty: Qty, unit: Money) -> bool {
        let amount = i128::from(unit.0) * i128::from(qty.0) / 1_000;
        qty > self.confirm_qty_over || amount > i128::from(self.confirm_line_over.0)
    }
}

/// A branch (store) and how its tills behave.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BranchSettings {
    pub id: BranchId,
    /// Short code printed in receipt numbers, e.g. `B001`.
    pub code: String,
    pub name: String,
    pub address: String,
    pub phone: String,
    /// Opening hours as the member pages show them, e.g. `08:00–22:00` or `周一至周五 9:00–21:00`.
    #[serde(default)]
    pub opening_hours: String,
    /// Extra lines under the shop name on receipts.
    pub receipt_header: Vec<String>,
    /// Lines at the foot of receipts.
    pub receipt_footer: Vec<String>,
    pub cash_rounding: CashRounding,
    /// Before this local time, a sale belongs to the previous business day.
    pub business_day_cutoff: Time,
    /// IANA time zone of the branch, e.g. `Asia/Shanghai`.
    pub time_zone: String,
    pub barcode_rules: BarcodeRules,
    pub cashier_limits: CashierLimits,
    /// Minutes after which a cashier locked out by wrong PINs may try again (0: only a manager unlocks).
    pub pin_lockout_minutes: u32,
    pub paper: PaperWidth,
    /// The most a return without a receipt may pay back to a member's stored value (HQ rejects more).
    #[serde(default = "default_no_receipt_refund_cap")]
    pub no_receipt_refund_cap: crate::money::Money,
    /// The till's keys for goods without a barcode (bread, vegetables by weight), in order.
    #[serde(default)]
    pub quick_keys: Vec<QuickKey>,
    /// The first day the branch no longer trades (闭店), when it has closed or will close: HQ
    /// sets no targets for a closed branch. `None`: trading.
    #[serde(default)]
    pub closed_on: Option<jiff::civil::Date>,
}

/// A key on the till's sale screen that sells one product: its label and the product's code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuickKey {
    pub label: String,
    pub product_code: String,
}

/// The most quick keys a branch may have (two rows on a till's screen).
pub const MAX_QUICK_KEYS: usize = 16;

impl QuickKey {
    /// A key as HQ staff type it: a label of 1 to 16 characters and a product code without spaces.
    pub fn new(label: &str, product_code: &str) -> Result<QuickKey, String> {
        let (label, code) = (label.trim(), product_code.trim());
        if label.is_empty() || label.chars().count() > 16 || label.chars().any(char::is_control) {
            return Err(format!("`{label}` is not a key label of 1 to 16 characters"));
        }
        if code.is_empty() || code.len() > 64 || code.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(format!("`{code}` is not a product code"));
        }
        Ok(QuickKey { label: label.to_owned(), product_code: code.to_owned() })
    }

    /// A branch's keys, checked: each key, and at most [`MAX_QUICK_KEYS`].
    pub fn check_all(keys: impl IntoIterator<Item = (String, String)>) -> Result<Vec<QuickKey>, String> {
        let keys = keys.into_iter().map(|(l, c)| QuickKey::new(&l, &c)).collect::<Result<Vec<_>, _>>()?;
        if keys.len() > MAX_QUICK_KEYS {
            return Err(format!("at most {MAX_QUICK_KEYS} keys"));
        }
        Ok(keys)
    }

    /// Keys typed one a line as `label = product code` (the console's form); blank lines skipped.
    pub fn from_lines(text: &str) -> Result<Vec<QuickKey>, String> {
        let lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
        let pairs = lines
            .map(|l| match l.rsplit_once('=') {
                Some((label, code)) => Ok((label.to_owned(), code.to_owned())),
                None => Err(format!("`{l}` is not `label = product code`")),
            })
            .collect::<Result<Vec<_>, _>>()?;
        QuickKey::check_all(pairs)
    }
}

/// ¥200: what a branch may put on stored value for a return without a receipt unless HQ says otherwise.
pub fn default_no_receipt_refund_cap() -> crate::money::Money {
    crate::money::Money::yuan(200)
}

impl BranchSettings {
    /// The branch's time zone. HQ refuses a name it does not know when a branch is saved; a name
    /// that is still unknown here reads as UTC rather than stopping a till.
    pub fn zone(&self) -> TimeZone {
        zone(&self.time_zone)
    }

    /// The branch's local time at `at`.
    pub fn local(&self, at: Timestamp) -> Zoned {
        at.to_zoned(self.zone())
    }

    /// The business day `at` belongs to at this branch: the date of its local time, or the day
    /// before while it is earlier than the branch's cut-off. The one rule the tills and HQ use.
    pub fn business_day(&self, at: Timestamp) -> Date {
        crate::shift::business_day(self.local(at).datetime(), self.business_day_cutoff)
    }

    pub fn receipt_header(&self) -> ReceiptHeader {
        ReceiptHeader {
            branch_name: self.name.clone(),
            address: self.address.clone(),
            phone: self.phone.clone(),
            extra: self.receipt_header.clone(),
        }
    }
}

/// Whether a branch code may be used in receipt numbers: 1–16 ASCII letters or digits.
pub fn valid_branch_code(code: &str) -> bool {
    !code.is_empty() && code.len() <= 16 && code.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// A time zone by its IANA name, UTC when the name is unknown.
pub fn zone(name: &str) -> TimeZone {
    TimeZone::get(name).unwrap_or(TimeZone::UTC)
}

/// What "today" means for several branches at once (the chain's dashboard, a report without a
/// branch): the business day still being traded at the branch that started it last, so a
/// branch trading past midnight until its cut-off is never left out of "today". Each branch's
/// own pages use that branch's [`BranchSettings::business_day`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainDay {
    pub day: Date,
    /// The branch whose business day this is (the last to roll over), when there are branches.
    pub set_by: Option<(String, Time, String)>,
}

/// The chain's "today" at `at` over `branches` (see [`ChainDay`]); with no branches, the
/// calendar day in `fallback_zone`.
pub fn chain_day<'a>(
    branches: impl IntoIterator<Item = &'a BranchSettings>,
    at: Timestamp,
    fallback_zone: &str,
) -> ChainDay {
    branches
        .into_iter()
        .map(|b| (b.business_day(at), b))
        .min_by_key(|(day, b)| (*day, b.id))
        .map(|(day, b)| ChainDay { day, set_by: Some((b.code.clone(), b.business_day_cutoff, b.time_zone.clone())) })
        .unwrap_or_else(|| ChainDay { day: at.to_zoned(zone(fallback_zone)).date(), set_by: None })
}

#[cfg(test)]
mod tests {
    use jiff::civil::{date, time};

    use super::*;

    #[test]
    fn quick_keys_are_a_label_and_a_product_code() {
        let keys = QuickKey::from_lines("面包 = P00042\n\n 青菜 /kg=P00043 ").expect("keys");
        assert_eq!(keys[1], QuickKey { label: "青菜 /kg".into(), product_code: "P00043".into() });
        for bad in ["面包", " = P1", "面包 = P 1", "一二三四五六七八九十一二三四五六七 = P1"] {
            assert!(QuickKey::from_lines(bad).is_err(), "{bad}");
        }
        let many = (0..17).map(|i| format!("k{i} = P{i}")).collect::<Vec<_>>().join("\n");
        assert!(QuickKey::from_lines(&many).is_err());
    }

    #[test]
    fn a_large_quantity_or_line_is_confirmed_first() {
        fn check(qty: i64, unit: i64, confirm: bool) {
            assert_eq!(CashierLimits::default().confirm_line(Qty(qty), Money(unit)), confirm, "{qty} x {unit}");
        }
        check(1_000, 350, false);
        check(999_000, 100, false);
        check(1_000_000, 100, true);
        check(2_000, 500_000, false);
        check(2_000, 500_001, true);
        // 10 kg of apples at ¥12.80/kg is not large.
        check(10_000, 1_280, false);
        let old: CashierLimits = serde_json::from_str(r#"{"line_discount":1000,"order_discount":500}"#).expect("old");
        assert_eq!(old, CashierLimits::default(), "settings from before the confirmation limits");
    }

    fn branch(code: &str, cutoff: Time, tz: &str) -> BranchSettings {
        BranchSettings {
            id: BranchId(code.len() as i64),
            code: code.into(),
            name: code.into(),
            address: String::new(),
            phone: String::new(),
            opening_hours: String::new(),
            receipt_header: vec![],
            receipt_footer: vec![],
            cash_rounding: CashRounding::None,
            business_day_cutoff: cutoff,
            time_zone: tz.into(),
            barcode_rules: BarcodeRules::default(),
            cashier_limits: CashierLimits::default(),
            pin_lockout_minutes: 15,
            paper: PaperWidth::Mm80,
            no_receipt_refund_cap: default_no_receipt_refund_cap(),
            quick_keys: Vec::new(),
            closed_on: None,
        }
    }

    /// `hh:mm` on 2026-11-29 in Shanghai.
    fn shanghai(h: i8, m: i8) -> Timestamp {
        date(2026, 11, 29).at(h, m, 0, 0).in_tz("Asia/Shanghai").expect("zone").timestamp()
    }

    #[test]
    fn a_branch_business_day_follows_its_zone_and_cutoff() {
        let late = branch("B1", time(4, 0, 0, 0), "Asia/Shanghai");
        let midnight = branch("B2", time(0, 0, 0, 0), "Asia/Shanghai");
        let table = [
            ((23, 30), date(2026, 11, 29), date(2026, 11, 29)),
            ((0, 30), date(2026, 11, 28), date(2026, 11, 29)),
            ((3, 59), date(2026, 11, 28), date(2026, 11, 29)),
            ((4, 1), date(2026, 11, 29), date(2026, 11, 29)),
        ];
        for ((h, m), at_four, at_midnight) in table {
            assert_eq!(late.business_day(shanghai(h, m)), at_four, "{h}:{m} with cut-off 04:00");
            assert_eq!(midnight.business_day(shanghai(h, m)), at_midnight, "{h}:{m} with cut-off 00:00");
        }
        // 01:30 in Shanghai is 17:30 UTC the day before: the UTC date is not the business day.
        let utc = branch("B3", time(0, 0, 0, 0), "UTC");
        assert_eq!(utc.business_day(shanghai(1, 30)), date(2026, 11, 28));
        assert_eq!(midnight.business_day(shanghai(1, 30)), date(2026, 11, 29));
    }

    #[test]
    fn the_chain_day_is_the_day_still_traded_somewhere() {
        let late = branch("B1", time(4, 0, 0, 0), "Asia/Shanghai");
        let midnight = branch("B22", time(0, 0, 0, 0), "Asia/Shanghai");
        let both = [midnight.clone(), late.clone()];
        let day = chain_day(&both, shanghai(0, 30), "Asia/Shanghai");
        assert_eq!(day.day, date(2026, 11, 28));
        assert_eq!(day.set_by, Some(("B1".into(), time(4, 0, 0, 0), "Asia/Shanghai".into())));
        assert_eq!(chain_day(&both, shanghai(4, 1), "Asia/Shanghai").day, date(2026, 11, 29));
        assert_eq!(chain_day(&[midnight], shanghai(0, 30), "Asia/Shanghai").day, date(2026, 11, 29));
        let none = chain_day(&[], shanghai(0, 30), "Asia/Shanghai");
        assert_eq!((none.day, none.set_by), (date(2026, 11, 29), None));
    }

    #[test]
    fn an_unknown_zone_reads_as_utc() {
        let b = branch("B1", time(0, 0, 0, 0), "Mars/Olympus");
        assert_eq!(b.zone(), TimeZone::UTC);
    }
}
