//! Shifts and day end: expected cash, the blind count by CNY denomination, over/short, and the
//! figures of the X and Z reports, folded from what happened during the shift.

use std::collections::BTreeMap;

use jiff::civil::{Date, DateTime, Time};
use serde::{Deserialize, Serialize};

use crate::money::Money;
use crate::pricing::CashRounding;
use crate::sale::{CompletedSale, Refund, RefundKind, TenderKind};

/// CNY notes and coins counted at a blind close.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Denomination {
    #[serde(rename = "100")]
    Yuan100,
    #[serde(rename = "50")]
    Yuan50,
    #[serde(rename = "20")]
    Yuan20,
    #[serde(rename = "10")]
    Yuan10,
    #[serde(rename = "5")]
    Yuan5,
    #[serde(rename = "1")]
    Yuan1,
    #[serde(rename = "0.5")]
    Jiao5,
    #[serde(rename = "0.1")]
    Jiao1,
    /// Fen coins: counted only where the branch does not round cash.
    #[serde(rename = "0.05")]
    Fen5,
    #[serde(rename = "0.02")]
    Fen2,
    #[serde(rename = "0.01")]
    Fen1,
}

impl Denomination {
    pub const ALL: [Denomination; 11] = [
        Denomination::Yuan100,
        Denomination::Yuan50,
        Denomination::Yuan20,
        Denomination::Yuan10,
        Denomination::Yuan5,
        Denomination::Yuan1,
        Denomination::Jiao5,
        Denomination::Jiao1,
        Denomination::Fen5,
        Denomination::Fen2,
        Denomination::Fen1,
    ];

    /// What a drawer is counted in at a branch with this cash rounding: down to the fen where
    /// cash is taken to the fen, else down to the jiao.
    pub fn counted_at(rounding: CashRounding) -> &'static [Denomination] {
        match rounding {
            CashRounding::None => &Denomination::ALL,
            _ => &Denomination::ALL[..8],
        }
    }

    pub fn value(self) -> Money {
        Money(match self {
            Denomination::Yuan100 => 10_000,
            Denomination::Yuan50 => 5_000,
            Denomination::Yuan20 => 2_000,
            Denomination::Yuan10 => 1_000,
            Denomination::Yuan5 => 500,
            Denomination::Yuan1 => 100,
            Denomination::Jiao5 => 50,
            Denomination::Jiao1 => 10,
            Denomination::Fen5 => 5,
            Denomination::Fen2 => 2,
            Denomination::Fen1 => 1,
        })
    }

    /// `¥100`, `¥0.5`.
    pub fn label(self) -> &'static str {
        match self {
            Denomination::Yuan100 => "¥100",
            Denomination::Yuan50 => "¥50",
            Denomination::Yuan20 => "¥20",
            Denomination::Yuan10 => "¥10",
            Denomination::Yuan5 => "¥5",
            Denomination::Yuan1 => "¥1",
            Denomination::Jiao5 => "¥0.5",
            Denomination::Jiao1 => "¥0.1",
            Denomination::Fen5 => "¥0.05",
            Denomination::Fen2 => "¥0.02",
            Denomination::Fen1 => "¥0.01",
        }
    }
}

/// A count of notes and coins by denomination.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CashCount(pub BTreeMap<Denomination, u32>);

impl CashCount {
    pub fn new(counts: impl IntoIterator<Item = (Denomination, u32)>) -> CashCount {
        let mut map = BTreeMap::new();
        for (d, n) in counts {
            *map.entry(d).or_insert(0) += n;
        }
        CashCount(map)
    }

    pub fn total(&self) -> Money {
        self.0.iter().map(|(d, n)| Money(d.value().0 * i64::from(*n))).sum()
    }
}

/// A cash movement other than a sale or refund.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MovementKind {
    PaidIn,
    PaidOut,
    /// A stored-value top-up paid in cash at the till.
    CashTopUp,
    /// A stored-value top-up paid by bank card at the till (no cash moves).
    CardTopUp,
    /// The drawer opened without a sale (amount zero).
    NoSale,
}

/// The figures of an X or Z report, folded from the shift's activity.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShiftReport {
    pub float: Money,
    pub sales_count: u32,
    /// Sales at full price, before any benefit or discount.
    pub gross: Money,
    /// Member savings, manual and order discounts.
    pub discounts: Money,
    /// Sales after discounts and cash rounding, before refunds and voids.
    pub net: Money,
    pub refunds_count: u32,
    pub refunds: Money,
    pub voids_count: u32,
    pub voids: Money,
    /// Per tender kind: taken in by sales, minus paid back by refunds and voids.
    pub tenders: BTreeMap<TenderKind, Money>,
    pub points_earned: i64,
    pub points_redeemed: i64,
    pub stored_value_topped_up: Money,
    pub stored_value_spent: Money,
    pub no_sale_opens: u32,
    pub paid_in: Money,
    pub paid_out: Money,
    pub cash_sales: Money,
    pub cash_refunds: Money,
    pub cash_topups: Money,
    /// Cash expected in the drawer.
    pub expected: Money,
    /// The blind count (Z report only).
    pub counted: Option<Money>,
    pub over_short: Option<Money>,
}

impl ShiftReport {
    pub fn new(float: Money) -> ShiftReport {
        let mut r = ShiftReport { float, ..ShiftReport::default() };
        r.recompute();
        r
    }

    /// `expected = float + cash_sales - cash_refunds + cash_topups + paid_in - paid_out`.
    fn recompute(&mut self) {
        self.expected =
            self.float + self.cash_sales - self.cash_refunds + self.cash_topups + self.paid_in - self.paid_out;
        if let Some(c) = self.counted {
            self.over_short = Some(c - self.expected);
        }
    }

    pub fn add_sale(&mut self, sale: &CompletedSale) {
        self.sales_count += 1;
        self.gross += sale.totals.gross;
        self.discounts += sale.totals.discounts();
        self.net += sale.totals.due;
        for t in &sale.tenders {
            *self.tenders.entry(t.kind).or_default() += t.amount;
        }
        self.cash_sales += sale.paid_by(TenderKind::Cash);
        // Change put on stored value is cash the customer left in the drawer: a cash top-up.
        self.cash_topups += sale.change_to_stored_value;
        self.stored_value_topped_up += sale.change_to_stored_value;
        self.stored_value_spent += sale.paid_by(TenderKind::StoredValue);
        self.points_earned += sale.points_earned();
        self.points_redeemed += sale.points_redeemed();
        self.recompute();
    }

    pub fn add_refund(&mut self, refund: &Refund) {
        let paid_back = refund.paid_back();
        if refund.kind == RefundKind::Void {
            self.voids_count += 1;
            self.voids += paid_back;
        } else {
            self.refunds_count += 1;
            self.refunds += paid_back;
        }
        for t in &refund.tenders {
            let amount = if t.kind == TenderKind::Cash { t.tendered } else { t.amount };
            *self.tenders.entry(t.kind).or_default() -= amount;
        }
        let cash_back = refund.tenders.iter().filter(|t| t.kind == TenderKind::Cash).map(|t| t.tendered).sum::<Money>();
        self.cash_refunds += cash_back;
        self.stored_value_spent -= refund.paid_back_by(TenderKind::StoredValue);
        self.points_earned -= refund.points_taken_back;
        self.points_redeemed -= refund.points_restored;
        self.recompute();
    }

    pub fn add_movement(&mut self, kind: MovementKind, amount: Money) {
        match kind {
            MovementKind::PaidIn => self.paid_in += amount,
            MovementKind::PaidOut => self.paid_out += amount,
            MovementKind::CashTopUp => {
                self.cash_topups += amount;
                self.stored_value_topped_up += amount;
            }
            MovementKind::CardTopUp => {
                *self.tenders.entry(TenderKind::BankCard).or_default() += amount;
                self.stored_value_topped_up += amount;
            }
            MovementKind::NoSale => self.no_sale_opens += 1,
        }
        self.recompute();
    }

    /// Every figure within [`crate::limits`]: what HQ checks of a report a till sends.
    pub fn check_bounds(&self) -> Result<(), crate::limits::OutOfBounds> {
        use crate::limits::{net_points as points, total};
        for (what, m) in [
            ("the float", self.float),
            ("the gross", self.gross),
            ("the discounts", self.discounts),
            ("the net", self.net),
            ("the refunds", self.refunds),
            ("the voids", self.voids),
            ("stored value topped up", self.stored_value_topped_up),
            ("stored value spent", self.stored_value_spent),
            ("paid in", self.paid_in),
            ("paid out", self.paid_out),
            ("cash sales", self.cash_sales),
            ("cash refunds", self.cash_refunds),
            ("cash top-ups", self.cash_topups),
            ("the expected cash", self.expected),
            ("the counted cash", self.counted.unwrap_or_default()),
            ("over/short", self.over_short.unwrap_or_default()),
        ] {
            total(what, m)?;
        }
        for m in self.tenders.values() {
            total("a tender's takings", *m)?;
        }
        points("points earned", self.points_earned)?;
        points("points redeemed", self.points_redeemed)
    }

    /// Closes the report with the blind count: `over_short = counted - expected`.
    pub fn close(&mut self, counted: &CashCount) {
        self.counted = Some(counted.total());
        self.recompute();
    }
}

/// The business day a moment belongs to: before the branch's cut-off time it is still the
/// previous day (a store closing at 02:00 with cut-off 04:00 books the night to the day before).
pub fn business_day(local: DateTime, cutoff: Time) -> Date {
    if local.time() < cutoff { local.date().yesterday().unwrap_or(local.date()) } else { local.date() }
}

/// A branch's summary of a business day, from the Z reports of its shifts.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DaySummary {
    pub shifts: u32,
    pub sales_count: u32,
    pub gross: Money,
    pub discounts: Money,
    pub net: Money,
    pub refunds: Money,
    pub voids: Money,
    pub tenders: BTreeMap<TenderKind, Money>,
    pub points_earned: i64,
    pub points_redeemed: i64,
    pub stored_value_topped_up: Money,
    pub stored_value_spent: Money,
    pub expected: Money,
    pub counted: Money,
    pub over_short: Money,
}

impl DaySummary {
    /// Every figure within [`crate::limits`]: what HQ checks of a day close a till sends.
    pub fn check_bounds(&self) -> Result<(), crate::limits::OutOfBounds> {
        use crate::limits::{net_points as points, total};
        for (what, m) in [
            ("the gross", self.gross),
            ("the discounts", self.discounts),
            ("the net", self.net),
            ("the refunds", self.refunds),
            ("the voids", self.voids),
            ("stored value topped up", self.stored_value_topped_up),
            ("stored value spent", self.stored_value_spent),
            ("the expected cash", self.expected),
            ("the counted cash", self.counted),
            ("over/short", self.over_short),
        ] {
            total(what, m)?;
        }
        for m in self.tenders.values() {
            total("a tender's takings", *m)?;
        }
        points("points earned", self.points_earned)?;
        points("points redeemed", self.points_redeemed)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DayEndError {
    #[error("{0} shift(s) of this business day are still open")]
    OpenShifts(usize),
}

/// Sums the Z reports of a day. Every shift must be closed (have a count).
pub fn day_summary(z_reports: &[ShiftReport], open_shifts: usize) -> Result<DaySummary, DayEndError> {
    if open_shifts > 0 {
        return Err(DayEndError::OpenShifts(open_shifts));
    }
    let mut d = DaySummary::default();
    for z in z_reports {
        d.shifts += 1;
        d.sales_count += z.sales_count;
        d.gross += z.gross;
        d.discounts += z.discounts;
        d.net += z.net;
        d.refunds += z.refunds;
        d.voids += z.voids;
        for (k, v) in &z.tenders {
            *d.tenders.entry(*k).or_default() += *v;
        }
        d.points_earned += z.points_earned;
        d.points_redeemed += z.points_redeemed;
        d.stored_value_topped_up += z.stored_value_topped_up;
        d.stored_value_spent += z.stored_value_spent;
        d.expected += z.expected;
        d.counted += z.counted.unwrap_or_default();
        d.over_short += z.over_short.unwrap_or_default();
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use jiff::civil::{date, time};

    use super::*;

    #[test]
    fn blind_count_totals() {
        let count = CashCount::new([
            (Denomination::Yuan100, 3),
            (Denomination::Yuan20, 2),
            (Denomination::Yuan1, 7),
            (Denomination::Jiao5, 1),
            (Denomination::Jiao1, 3),
        ]);
        assert_eq!(count.total(), Money(34_780));
    }

    #[test]
    fn a_branch_that_takes_cash_to_the_fen_counts_fen_coins() {
        let fen = [Denomination::Fen5, Denomination::Fen2, Denomination::Fen1];
        assert!(fen.iter().all(|d| Denomination::counted_at(CashRounding::None).contains(d)));
        for rounding in [CashRounding::DownToJiao, CashRounding::HalfUpToJiao, CashRounding::DownToYuan] {
            let counted = Denomination::counted_at(rounding);
            assert_eq!(counted.last(), Some(&Denomination::Jiao1), "{rounding:?}");
        }
        // ¥0.06 short no more: 1 × 5 fen + 1 × 1 fen is counted.
        let count = CashCount::new([(Denomination::Yuan1, 2), (Denomination::Fen5, 1), (Denomination::Fen1, 1)]);
        assert_eq!(count.total(), Money(206));
        let json = serde_json::to_string(&count).expect("json");
        assert_eq!(json, r#"{"1":2,"0.05":1,"0.01":1}"#);
    }

    #[test]
    fn expected_cash_and_over_short() {
        // float 500 + cash sales 1,234.50 - cash refunds 20 + cash top-ups 300 + paid in 50 - paid out 80
        let mut r = ShiftReport::new(Money::yuan(500));
        r.cash_sales = Money(123_450);
        r.cash_refunds = Money::yuan(20);
        r.add_movement(MovementKind::CashTopUp, Money::yuan(300));
        r.add_movement(MovementKind::PaidIn, Money::yuan(50));
        r.add_movement(MovementKind::PaidOut, Money::yuan(80));
        r.add_movement(MovementKind::NoSale, Money::ZERO);
        assert_eq!(r.expected, Money(198_450));
        assert_eq!(r.no_sale_opens, 1);
        // Counted ¥1,984.00: 50 fen short.
        r.close(&CashCount::new([
            (Denomination::Yuan100, 19),
            (Denomination::Yuan50, 1),
            (Denomination::Yuan20, 1),
            (Denomination::Yuan10, 1),
            (Denomination::Yuan1, 4),
        ]));
        assert_eq!(r.counted, Some(Money(198_400)));
        assert_eq!(r.over_short, Some(Money(-50)));
    }

    #[test]
    fn business_day_cutoff() {
        let cutoff = time(4, 0, 0, 0);
        assert_eq!(business_day(date(2026, 11, 23).at(1, 30, 0, 0), cutoff), date(2026, 11, 22));
        assert_eq!(business_day(date(2026, 11, 23).at(4, 0, 0, 0), cutoff), date(2026, 11, 23));
        assert_eq!(business_day(date(2026, 11, 23).at(23, 59, 0, 0), cutoff), date(2026, 11, 23));
    }

    #[test]
    fn day_end_needs_every_shift_closed() {
        assert_eq!(day_summary(&[], 1), Err(DayEndError::OpenShifts(1)));
        let mut a = ShiftReport::new(Money::yuan(500));
        a.close(&CashCount::new([(Denomination::Yuan100, 5)]));
        let d = day_summary(&[a.clone(), a], 0).expect("closed");
        assert_eq!(d.shifts, 2);
        assert_eq!(d.counted, Money::yuan(1000));
        assert_eq!(d.over_short, Money::ZERO);
    }
}
