//! Targets (计划): a branch's yearly target split into months, the target of any period, and plan
//! against actual with the pace to the end of the month. Pure arithmetic over integers; HQ stores
//! the months and reads the actual figures, these decide.
//!
//! - A yearly amount is split evenly, by a shape (last year's months), or typed month by month;
//!   the months always add up to the year exactly (largest remainder).
//! - A period's target takes each month's target in proportion to the days of that month the
//!   period covers, so a week, a quarter and a year are each measured fairly.
//! - A ratio (the members' share of sales) is not split but holds for each month; a period's is
//!   the day-weighted mean of its months'.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// What a target measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// Net sales in fen: sales' amount due less what refunds paid back, by business day.
    Sales,
    /// Members enrolled at the branch (their home branch).
    NewMembers,
    /// Members' share of sales, in basis points (sales to members before refunds / all sales).
    MemberShare,
}

impl Metric {
    pub const ALL: [Metric; 3] = [Metric::Sales, Metric::NewMembers, Metric::MemberShare];

    pub fn code(self) -> &'static str {
        match self {
            Metric::Sales => "sales",
            Metric::NewMembers => "new_members",
            Metric::MemberShare => "member_share",
        }
    }

    pub fn parse(s: &str) -> Option<Metric> {
        Metric::ALL.into_iter().find(|m| m.code() == s)
    }

    /// A ratio holds for each month; an amount is split over them.
    pub fn is_ratio(self) -> bool {
        self == Metric::MemberShare
    }

    /// The most a month's figure may be: a ratio is at most 100 %.
    pub fn max(self) -> i64 {
        match self {
            Metric::MemberShare => 10_000,
            // A trillion yuan a year is beyond any chain; it keeps sums far from overflow.
            Metric::Sales => 100_000_000_000_000,
            Metric::NewMembers => 100_000_000,
        }
    }
}

/// Splits `total` over twelve months in proportion to `shape` (largest remainder: the months add
/// up to `total` exactly, and a month with a larger remainder gets the spare unit first; ties go
/// to the earlier month). A shape with nothing positive in it splits evenly; negative months of a
/// shape count as nothing.
pub fn split_year(total: i64, shape: &[i64; 12]) -> [i64; 12] {
    let weights: [i128; 12] = shape.map(|w| i128::from(w.max(0)));
    let sum: i128 = weights.iter().sum();
    if sum == 0 {
        return split_year(total, &[1; 12]);
    }
    let total = i128::from(total);
    let mut months = [0i128; 12];
    let mut remainders = [(0i128, 0usize); 12];
    for (i, w) in weights.iter().enumerate() {
        months[i] = total * w / sum;
        remainders[i] = (total * w % sum, i);
    }
    let spare = total - months.iter().sum::<i128>();
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for &(_, i) in remainders.iter().take(usize::try_from(spare).unwrap_or(0)) {
        months[i] += 1;
    }
    months.map(|m| i64::try_from(m).unwrap_or(i64::MAX))
}

/// How a yearly target becomes months.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Split {
    /// The same each month (a ratio: the year's figure each month).
    Even(i64),
    /// In proportion to a shape, e.g. last year's sales by month.
    Shaped(i64, [i64; 12]),
    /// Typed month by month.
    Typed([i64; 12]),
}

/// Why a target cannot be set.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    #[error("a target is not negative: {0}")]
    Negative(i64),
    #[error("{metric} is at most {max}: {value}")]
    TooLarge { metric: &'static str, max: i64, value: i64 },
}

/// The twelve months of a year's target for `metric`, checked: no month negative or above the
/// metric's most.
pub fn months_of(metric: Metric, split: &Split) -> Result<[i64; 12], TargetError> {
    let months = match split {
        Split::Typed(m) => *m,
        Split::Even(total) if metric.is_ratio() => [*total; 12],
        Split::Shaped(total, _) if metric.is_ratio() => [*total; 12],
        Split::Even(total) => split_year(check(metric, *total)?, &[1; 12]),
        Split::Shaped(total, shape) => split_year(check(metric, *total)?, shape),
    };
    for m in months {
        check(metric, m)?;
    }
    Ok(months)
}

fn check(metric: Metric, value: i64) -> Result<i64, TargetError> {
    if value < 0 {
        return Err(TargetError::Negative(value));
    }
    if value > metric.max() {
        return Err(TargetError::TooLarge { metric: metric.code(), max: metric.max(), value });
    }
    Ok(value)
}

/// The days of the month of `day`.
pub fn days_in_month(day: Date) -> i64 {
    i64::from(day.days_in_month())
}

/// A month's target as one of a period: `(year, month 1–12, target)`.
pub type MonthTarget = (i16, i8, i64);

/// The target of the period `from..=to` from the months' targets: each month's in proportion to
/// the days of it the period covers (rounded half up, once, over the sum). For a ratio, the
/// day-weighted mean of the months'. `None` when no month of the period has a target.
pub fn period_target(metric: Metric, months: &[MonthTarget], from: Date, to: Date) -> Option<i64> {
    // The sum of target × covered days / days in month, kept exact over a common denominator
    // (every month's length divides it) and rounded once.
    const LCM: i128 = 377_580; // lcm(28, 29, 30, 31)
    let mut numerator: i128 = 0;
    let mut covered_days: i64 = 0;
    let mut any = false;
    for &(year, month, target) in months {
        let Ok(first) = Date::new(year, month, 1) else { continue };
        let last = first.last_of_month();
        let (a, b) = (first.max(from), last.min(to));
        if a > b {
            continue;
        }
        any = true;
        let days = i64::from(b.since(a).map(|s| s.get_days()).unwrap_or(0)) + 1;
        covered_days += days;
        if metric.is_ratio() {
            numerator += i128::from(target) * i128::from(days);
        } else {
            numerator += i128::from(target) * i128::from(days) * (LCM / i128::from(days_in_month(first)));
        }
    }
    if !any {
        return None;
    }
    let denominator = if metric.is_ratio() { i128::from(covered_days.max(1)) } else { LCM };
    Some(i64::try_from((numerator * 2 + denominator) / (denominator * 2)).unwrap_or(i64::MAX))
}

/// `actual` as a share of `target` in basis points (10,000 is 100 %); none without a target.
pub fn attainment_bp(actual: i64, target: i64) -> Option<i64> {
    (target > 0).then(|| i64::try_from(i128::from(actual) * 10_000 / i128::from(target)).unwrap_or(i64::MAX))
}

/// The month's figure at this pace: what `actual` over the first `days_elapsed` days of the month
/// comes to over all of it (an amount; a ratio's pace is itself).
pub fn projected(metric: Metric, actual: i64, days_elapsed: i64, days_in_month: i64) -> i64 {
    if metric.is_ratio() || days_elapsed <= 0 {
        return actual;
    }
    let days = days_elapsed.min(days_in_month);
    i64::try_from(i128::from(actual) * i128::from(days_in_month) / i128::from(days)).unwrap_or(i64::MAX)
}

/// Ranks rows by attainment, best first; rows without a target come last, in their order. Equal
/// attainments share a rank (1, 2, 2, 4).
pub fn ranks(attainments: &[Option<i64>]) -> Vec<Option<u32>> {
    let mut order: Vec<usize> = (0..attainments.len()).filter(|&i| attainments[i].is_some()).collect();
    order.sort_by(|&a, &b| attainments[b].cmp(&attainments[a]).then(a.cmp(&b)));
    let mut ranks = vec![None; attainments.len()];
    let mut previous: Option<(Option<i64>, u32)> = None;
    for (place, &i) in order.iter().enumerate() {
        let rank = match previous {
            Some((value, rank)) if value == attainments[i] => rank,
            _ => u32::try_from(place + 1).unwrap_or(u32::MAX),
        };
        ranks[i] = Some(rank);
        previous = Some((attainments[i], rank));
    }
    ranks
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use proptest::prelude::*;

    #[test]
    fn an_even_split_adds_up_and_gives_the_spare_fen_to_the_first_months() {
        let m = split_year(1_200_005, &[1; 12]);
        assert_eq!(m.iter().sum::<i64>(), 1_200_005);
        assert_eq!(m[..5], [100_001; 5]);
        assert_eq!(m[5..], [100_000; 7]);
    }

    #[test]
    fn last_years_shape_splits_in_proportion() {
        // December sold twice what each other month did.
        let mut shape = [100; 12];
        shape[11] = 200;
        let m = split_year(1_300_000, &shape);
        assert_eq!(m[0], 100_000);
        assert_eq!(m[11], 200_000);
        // No history: even.
        assert_eq!(split_year(12, &[0; 12]), [1; 12]);
        assert_eq!(split_year(12, &[-5; 12]), [1; 12]);
    }

    #[test]
    fn a_ratio_holds_each_month_and_bad_figures_are_refused() {
        assert_eq!(months_of(Metric::MemberShare, &Split::Even(4_500)), Ok([4_500; 12]));
        assert!(matches!(
            months_of(Metric::MemberShare, &Split::Even(10_001)),
            Err(TargetError::TooLarge { max: 10_000, .. })
        ));
        assert_eq!(months_of(Metric::Sales, &Split::Even(-1)), Err(TargetError::Negative(-1)));
        let mut typed = [10; 12];
        typed[3] = -2;
        assert_eq!(months_of(Metric::NewMembers, &Split::Typed(typed)), Err(TargetError::Negative(-2)));
    }

    #[test]
    fn a_period_takes_each_month_by_the_days_it_covers() {
        let months = [(2026, 2, 280_000), (2026, 3, 310_000)];
        // The whole of February.
        assert_eq!(period_target(Metric::Sales, &months, date(2026, 2, 1), date(2026, 2, 28)), Some(280_000));
        // A week across the two months: 2 days of February (20,000) and 5 of March (50,000).
        assert_eq!(period_target(Metric::Sales, &months, date(2026, 2, 27), date(2026, 3, 5)), Some(70_000));
        // A day of a month without a target: none.
        assert_eq!(period_target(Metric::Sales, &months, date(2026, 4, 1), date(2026, 4, 1)), None);
        // A ratio: the day-weighted mean.
        let shares = [(2026, 2, 4_000), (2026, 3, 5_000)];
        assert_eq!(period_target(Metric::MemberShare, &shares, date(2026, 2, 27), date(2026, 3, 5)), Some(4_714));
    }

    #[test]
    fn pace_and_attainment() {
        // 12,000 in the first 10 days of a 30-day month comes to 36,000.
        assert_eq!(projected(Metric::Sales, 12_000, 10, 30), 36_000);
        assert_eq!(attainment_bp(36_000, 37_500), Some(9_600));
        assert_eq!(attainment_bp(1, 0), None);
        assert_eq!(projected(Metric::MemberShare, 4_200, 10, 30), 4_200);
    }

    #[test]
    fn ties_share_a_rank_and_rows_without_a_target_come_last() {
        assert_eq!(
            ranks(&[Some(9_000), None, Some(11_000), Some(9_000), Some(5_000)]),
            vec![Some(2), None, Some(1), Some(2), Some(4)]
        );
    }

    proptest! {
        #[test]
        fn every_split_adds_up_to_its_year(total in 0i64..1_000_000_000_000, shape in prop::array::uniform12(-10i64..1_000_000)) {
            let m = split_year(total, &shape);
            prop_assert_eq!(m.iter().sum::<i64>(), total);
            prop_assert!(m.iter().all(|&x| x >= 0));
        }

        #[test]
        fn a_whole_year_is_its_months(months in prop::array::uniform12(0i64..1_000_000_000)) {
            let list: Vec<MonthTarget> = (1..=12).map(|m| (2027, m as i8, months[m as usize - 1])).collect();
            let year = period_target(Metric::Sales, &list, date(2027, 1, 1), date(2027, 12, 31));
            prop_assert_eq!(year, Some(months.iter().sum::<i64>()));
        }
    }
}
