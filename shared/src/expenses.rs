//! Expenses (费用) and a branch's profit and loss for a month (损益表).
//!
//! An expense is an amount in fen booked to a branch, a month and a subject (rent, wages, …).
//! Entries are never edited: a mistake is put right by a correction, a further entry marked as
//! one, which alone may be negative. [`parse_expense_row`] reads one line of an expense CSV;
//! [`Pnl::from_inputs`] is the P&L's arithmetic, with the cost of goods sold an `Option`: until HQ
//! has stock costs it is missing, and so are the figures that need it (never guessed).

use std::fmt;

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::limits::MAX_AMOUNT;
use crate::money::{Currency, Money};
use crate::points::RedeemRules;

/// A calendar month, `YYYY-MM`: the period an expense is booked to and a P&L covers (its business
/// days, first to last).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    year: i16,
    month: i8,
}

impl Month {
    /// `2026-11`; the year 2000–2099 (a typo such as `0226-11` is refused rather than booked
    /// to antiquity).
    pub fn parse(text: &str) -> Result<Month, ExpenseError> {
        let bad = || ExpenseError::Month(text.to_owned());
        let t = text.trim();
        let (y, m) = t.split_once('-').ok_or_else(bad)?;
        if y.len() != 4 || m.len() != 2 || !y.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let year: i16 = y.parse().map_err(|_| bad())?;
        let month: i8 = m.parse().map_err(|_| bad())?;
        if !(2000..=2099).contains(&year) || !(1..=12).contains(&month) {
            return Err(bad());
        }
        Ok(Month { year, month })
    }

    /// The month a day belongs to.
    pub fn of(day: Date) -> Month {
        Month { year: day.year(), month: day.month() }
    }

    pub fn year(self) -> i16 {
        self.year
    }

    pub fn month(self) -> i8 {
        self.month
    }

    /// Its first day.
    pub fn first_day(self) -> Date {
        // Always valid: the year and month were checked when the month was made.
        Date::new(self.year, self.month, 1).unwrap_or(Date::MIN)
    }

    /// Its last day.
    pub fn last_day(self) -> Date {
        self.first_day().last_of_month()
    }

    /// The month before (January's is December of the year before).
    pub fn previous(self) -> Month {
        if self.month == 1 { Month { year: self.year - 1, month: 12 } } else { Month { month: self.month - 1, ..self } }
    }

    /// The month after (December's is January of the year after).
    pub fn next(self) -> Month {
        if self.month == 12 { Month { year: self.year + 1, month: 1 } } else { Month { month: self.month + 1, ..self } }
    }

    /// How many months `later` is after this one (negative when it is before).
    pub fn months_until(self, later: Month) -> i32 {
        (i32::from(later.year) * 12 + i32::from(later.month)) - (i32::from(self.year) * 12 + i32::from(self.month))
    }

    /// The same month a year earlier.
    pub fn year_before(self) -> Month {
        Month { year: self.year - 1, ..self }
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl Serialize for Month {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Month {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Month, D::Error> {
        let text = String::deserialize(d)?;
        Month::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// Why an expense cannot be booked.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ExpenseError {
    #[error("month `{0}` is not a month like 2026-11")]
    Month(String),
    #[error("amount `{0}` is not an amount in yuan like 1234.50")]
    Amount(String),
    #[error("an expense of ¥0.00 books nothing")]
    Zero,
    #[error("amount {0} is negative: only a correction may be negative (mark it as one)")]
    NegativeNotCorrection(Money),
    #[error("amount {0} is beyond ¥100,000,000")]
    TooLarge(Money),
    #[error("{0} is required")]
    Missing(&'static str),
    #[error("correction `{0}` is not yes or no")]
    Correction(String),
    #[error("note is longer than 200 characters or has control characters")]
    Note,
}

/// Checks an expense's amount: not zero, at most ¥100,000,000 either way, and negative only in a
/// correction.
pub fn check_amount(amount: Money, correction: bool) -> Result<(), ExpenseError> {
    if amount.is_zero() {
        return Err(ExpenseError::Zero);
    }
    if amount.0.unsigned_abs() > MAX_AMOUNT.0.unsigned_abs() {
        return Err(ExpenseError::TooLarge(amount));
    }
    if amount.is_negative() && !correction {
        return Err(ExpenseError::NegativeNotCorrection(amount));
    }
    Ok(())
}

/// Reads an amount in yuan exactly: `1234.50`, `1234.5`, `1234`, `-80.00` (no more than two
/// decimals: a third is refused, never rounded).
pub fn parse_yuan(text: &str) -> Result<Money, ExpenseError> {
    let t = text.trim();
    // Digits, an optional sign and one point; the shelf's `¥` and thousands commas are the
    // console's own formats, not a file's.
    let plain = t.strip_prefix('-').unwrap_or(t);
    if plain.is_empty() || !plain.bytes().all(|b| b.is_ascii_digit() || b == b'.') || plain.starts_with('.') {
        return Err(ExpenseError::Amount(text.to_owned()));
    }
    Currency::CNY.parse(t).map_err(|_| ExpenseError::Amount(text.to_owned()))
}

/// A note: up to 200 characters, none of them control characters.
pub fn check_note(note: &str) -> Result<(), ExpenseError> {
    if note.chars().count() > 200 || note.chars().any(char::is_control) {
        return Err(ExpenseError::Note);
    }
    Ok(())
}

/// One line of an expense CSV as read, before HQ has looked up its branch and subject codes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExpenseRow {
    pub branch: String,
    pub month: Month,
    pub subject: String,
    pub amount: Money,
    pub note: String,
    pub correction: bool,
}

/// The fields of one CSV line, by column (`branch`, `month`, `subject`, `amount`, `note`,
/// `correction`); a missing column is empty.
#[derive(Clone, Copy, Debug, Default)]
pub struct ExpenseFields<'a> {
    pub branch: &'a str,
    pub month: &'a str,
    pub subject: &'a str,
    pub amount: &'a str,
    pub note: &'a str,
    pub correction: &'a str,
}

/// Reads and checks one expense line: codes present, the month, the amount in yuan to the fen,
/// the correction flag (`yes`/`no`, `1`/`0`, `true`/`false`, `是`/`否`; empty is no), the note.
pub fn parse_expense_row(f: &ExpenseFields<'_>) -> Result<ExpenseRow, ExpenseError> {
    let branch = f.branch.trim();
    if branch.is_empty() {
        return Err(ExpenseError::Missing("branch"));
    }
    let subject = f.subject.trim();
    if subject.is_empty() {
        return Err(ExpenseError::Missing("subject"));
    }
    if f.month.trim().is_empty() {
        return Err(ExpenseError::Missing("month"));
    }
    let month = Month::parse(f.month)?;
    if f.amount.trim().is_empty() {
        return Err(ExpenseError::Missing("amount"));
    }
    let amount = parse_yuan(f.amount)?;
    let correction = match f.correction.trim().to_lowercase().as_str() {
        "" | "0" | "no" | "n" | "false" | "否" => false,
        "1" | "yes" | "y" | "true" | "是" => true,
        other => return Err(ExpenseError::Correction(other.to_owned())),
    };
    check_amount(amount, correction)?;
    let note = f.note.trim();
    check_note(note)?;
    Ok(ExpenseRow {
        branch: branch.to_owned(),
        month,
        subject: subject.to_owned(),
        amount,
        note: note.to_owned(),
        correction,
    })
}

/// What a change of the points liability is worth in money: the points' value at the policy's
/// redemption rate, the same either way (a fall is worth what the same rise would cost, so a
/// month's gain and loss cancel exactly).
pub fn points_value(change: i64, redeem: &RedeemRules) -> Money {
    let value = redeem.value_of(change.saturating_abs());
    if change < 0 { -value } else { value }
}

/// The figures a P&L is made of, each from HQ's own reports for the month.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PnlInputs {
    /// Sales due less refunds paid back (the dashboard's net sales; VAT included, as every
    /// finance report keeps it).
    pub net_sales: Money,
    /// What promotions gave away on the month's sales, less what came back with returns (the
    /// promotion report's cost): already taken off `net_sales`.
    pub promotion_cost: Money,
    /// The cost of the goods sold, when HQ has stock costs; `None` until then.
    pub cogs: Option<Money>,
    /// The money value of the points liability's change in the month.
    pub points_cost: Money,
    /// The change of the stored-value bonus liability in the month.
    pub bonus_cost: Money,
    /// The month's expense entries, corrections included.
    pub expenses: Money,
}

/// A month's profit and loss.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pnl {
    /// Net sales with the promotions' cost added back: what the goods sold for before promotions.
    pub sales_before_promotions: Money,
    pub promotion_cost: Money,
    pub net_sales: Money,
    pub cogs: Option<Money>,
    /// Net sales less the cost of goods sold; missing while that is.
    pub gross_margin: Option<Money>,
    pub points_cost: Money,
    pub bonus_cost: Money,
    pub expenses: Money,
    /// Net sales less the points and bonus cost and the expenses: the contribution before the
    /// cost of goods, which is all HQ can state without stock costs.
    pub contribution_before_cogs: Money,
    /// Gross margin less the points and bonus cost and the expenses; missing while COGS is.
    pub contribution: Option<Money>,
}

/// A P&L figure beyond what an `i64` of fen holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the P&L's figures are beyond what can be added up")]
pub struct PnlOverflow;

impl Pnl {
    /// The arithmetic, every step checked.
    pub fn from_inputs(i: &PnlInputs) -> Result<Pnl, PnlOverflow> {
        let add = |a: Money, b: Money| a.checked_add(b).ok_or(PnlOverflow);
        let sub = |a: Money, b: Money| a.checked_sub(b).ok_or(PnlOverflow);
        let costs = add(add(i.points_cost, i.bonus_cost)?, i.expenses)?;
        let gross_margin = i.cogs.map(|c| sub(i.net_sales, c)).transpose()?;
        Ok(Pnl {
            sales_before_promotions: add(i.net_sales, i.promotion_cost)?,
            promotion_cost: i.promotion_cost,
            net_sales: i.net_sales,
            cogs: i.cogs,
            gross_margin,
            points_cost: i.points_cost,
            bonus_cost: i.bonus_cost,
            expenses: i.expenses,
            contribution_before_cogs: sub(i.net_sales, costs)?,
            contribution: gross_margin.map(|g| sub(g, costs)).transpose()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields<'a>(amount: &'a str, correction: &'a str) -> ExpenseFields<'a> {
        ExpenseFields { branch: "B001", month: "2026-11", subject: "rent", amount, note: "十一月房租", correction }
    }

    #[test]
    fn months_read_and_step() {
        let m = Month::parse("2026-03").expect("month");
        assert_eq!(
            (m.to_string(), m.first_day().to_string(), m.last_day().to_string()),
            ("2026-03".into(), "2026-03-01".into(), "2026-03-31".into())
        );
        assert_eq!(Month::parse("2024-02").expect("leap").last_day().day(), 29);
        assert_eq!(Month::parse("2026-01").expect("jan").previous().to_string(), "2025-12");
        assert_eq!(m.previous().to_string(), "2026-02");
        assert_eq!(m.year_before().to_string(), "2025-03");
        assert_eq!(Month::parse("2026-12").expect("month").next().to_string(), "2027-01");
        assert_eq!(m.months_until(Month::parse("2027-02").expect("month")), 11);
        assert_eq!(Month::parse("2027-02").expect("month").months_until(m), -11);
        assert_eq!(Month::of(jiff::civil::date(2026, 11, 30)).to_string(), "2026-11");
        for bad in ["2026-13", "2026-00", "2026-3", "26-03", "2026/03", "0226-03", "2026-03-01", "", "２０２６-03"]
        {
            assert!(Month::parse(bad).is_err(), "{bad}");
        }
        let json = serde_json::to_string(&m).expect("json");
        assert_eq!(json, "\"2026-03\"");
        assert_eq!(serde_json::from_str::<Month>(&json).expect("back"), m);
        assert!(serde_json::from_str::<Month>("\"2026-3\"").is_err());
    }

    #[test]
    fn amounts_are_read_to_the_fen_and_never_rounded() {
        let check = |text: &str, fen: Option<i64>| assert_eq!(parse_yuan(text).ok().map(|m| m.0), fen, "{text}");
        check("1234.50", Some(123_450));
        check("1234.5", Some(123_450));
        check("1234", Some(123_400));
        check("0.01", Some(1));
        check(" 12.00 ", Some(1_200));
        check("-80.00", Some(-8_000));
        check("1234.505", None);
        check("12.3.4", None);
        check("1,234.00", None);
        check("¥12", None);
        check(".5", None);
        check("abc", None);
        check("", None);
        check("99999999999999999999", None);
    }

    #[test]
    fn a_row_is_read_whole_and_a_negative_one_only_as_a_correction() {
        let row = parse_expense_row(&fields("12000.00", "")).expect("row");
        assert_eq!(row.amount, Money(1_200_000));
        assert_eq!((row.branch.as_str(), row.subject.as_str(), row.correction), ("B001", "rent", false));
        assert_eq!(row.month.to_string(), "2026-11");
        assert_eq!(row.note, "十一月房租");
        assert_eq!(
            parse_expense_row(&fields("-300.00", "no")),
            Err(ExpenseError::NegativeNotCorrection(Money(-30_000)))
        );
        let fixed = parse_expense_row(&fields("-300.00", "是")).expect("a correction");
        assert_eq!((fixed.amount, fixed.correction), (Money(-30_000), true));
        assert_eq!(parse_expense_row(&fields("0", "yes")), Err(ExpenseError::Zero));
        assert_eq!(parse_expense_row(&fields("100000000.01", "")), Err(ExpenseError::TooLarge(Money(10_000_000_001))));
        assert!(matches!(parse_expense_row(&fields("1", "maybe")), Err(ExpenseError::Correction(_))));
        assert_eq!(
            parse_expense_row(&ExpenseFields { branch: " ", ..fields("1", "") }),
            Err(ExpenseError::Missing("branch"))
        );
        assert_eq!(
            parse_expense_row(&ExpenseFields { month: "", ..fields("1", "") }),
            Err(ExpenseError::Missing("month"))
        );
        assert_eq!(parse_expense_row(&ExpenseFields { note: "a\u{7}b", ..fields("1", "") }), Err(ExpenseError::Note));
    }

    #[test]
    fn the_pnl_adds_up_and_says_what_is_missing() {
        let i = PnlInputs {
            net_sales: Money(1_000_000),
            promotion_cost: Money(50_000),
            cogs: None,
            points_cost: Money(12_000),
            bonus_cost: Money(-3_000),
            expenses: Money(600_000),
        };
        let p = Pnl::from_inputs(&i).expect("pnl");
        assert_eq!(p.sales_before_promotions, Money(1_050_000));
        assert_eq!(p.contribution_before_cogs, Money(1_000_000 - 12_000 + 3_000 - 600_000));
        assert_eq!((p.gross_margin, p.contribution), (None, None), "no stock costs: missing, never guessed");
        let p = Pnl::from_inputs(&PnlInputs { cogs: Some(Money(700_000)), ..i }).expect("pnl");
        assert_eq!(p.gross_margin, Some(Money(300_000)));
        assert_eq!(p.contribution, Some(Money(300_000 - 12_000 + 3_000 - 600_000)));
        let huge = PnlInputs { net_sales: Money(i64::MAX), promotion_cost: Money(1), ..i };
        assert_eq!(Pnl::from_inputs(&huge), Err(PnlOverflow));
        let huge = PnlInputs { net_sales: Money(i64::MIN), ..i };
        assert_eq!(Pnl::from_inputs(&huge), Err(PnlOverflow));
    }

    #[test]
    fn points_are_worth_the_same_up_or_down() {
        let rules = RedeemRules::default();
        assert_eq!(points_value(1_234, &rules), Money(1_234));
        assert_eq!(points_value(-1_234, &rules), Money(-1_234));
        let dear = RedeemRules { points_per_yuan: 300, ..RedeemRules::default() };
        assert_eq!(points_value(1_000, &dear), Money(333));
        assert_eq!(points_value(-1_000, &dear), Money(-333));
        assert_eq!(points_value(i64::MIN, &dear), -dear.value_of(i64::MAX));
    }
}
