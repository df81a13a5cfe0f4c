//! Largest-remainder spreading (domain.md "Pricing": "the parts sum exactly to the discount. A tie
//! between remainders goes to the earlier line"). Lines use [`crate::pricing::spread_largest_remainder`];
//! layer 2 spreads over units, which come in runs of equal units (one run per line), so it needs the
//! same rule without listing a million units one by one.

use crate::money::div_floor;

/// Splits `total` over runs of units, each `(weight of one unit, number of units)`, in cart order, as if
/// every unit were listed: each unit gets the floor of its exact share, the fen left go one at a time
/// to the largest remainders, a tie to the earlier unit. Returns each run's total.
///
/// Weights and counts must not be negative; with all weights zero, everything is zero. The parts sum
/// exactly to `total`, and when `0 ≤ total ≤ Σ weight × count` no run gets more than its weight × count.
pub fn spread_over_runs(total: i64, runs: &[(i64, i64)]) -> Vec<i64> {
    let sum: i128 = runs.iter().map(|(w, c)| i128::from((*w).max(0)) * i128::from((*c).max(0))).sum();
    if sum == 0 {
        return vec![0; runs.len()];
    }
    let total_i = i128::from(total);
    let mut parts: Vec<i128> = Vec::with_capacity(runs.len());
    let mut remainders: Vec<(i128, usize)> = Vec::with_capacity(runs.len());
    for (i, (w, c)) in runs.iter().enumerate() {
        let exact = total_i * i128::from((*w).max(0));
        let per_unit = div_floor(exact, sum);
        parts.push(per_unit * i128::from((*c).max(0)));
        remainders.push((exact - per_unit * sum, i));
    }
    let mut left = total_i - parts.iter().sum::<i128>();
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for (_, i) in remainders {
        if left <= 0 {
            break;
        }
        let (w, c) = runs[i];
        if w <= 0 || c <= 0 {
            continue;
        }
        let extra = left.min(i128::from(c));
        parts[i] += extra;
        left -= extra;
    }
    // Every part lies between 0 and total, which fits in i64.
    parts.into_iter().map(|p| p as i64).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pricing::spread_largest_remainder;

    #[test]
    fn runs_spread_as_if_units_were_listed() {
        let check = |total: i64, runs: &[(i64, i64)]| {
            let units: Vec<i64> = runs.iter().flat_map(|(w, c)| std::iter::repeat_n(*w, *c as usize)).collect();
            let by_unit = spread_largest_remainder(total, &units);
            let mut expected = Vec::new();
            let mut at = 0;
            for (_, c) in runs {
                expected.push(by_unit[at..at + *c as usize].iter().sum::<i64>());
                at += *c as usize;
            }
            assert_eq!(spread_over_runs(total, runs), expected, "{total} over {runs:?}");
        };
        check(500, &[(300, 4), (800, 2)]);
        check(7, &[(100, 3), (100, 3)]);
        check(1, &[(5, 2), (5, 1)]);
        check(1001, &[(333, 3), (0, 4), (334, 1)]);
        check(0, &[(1, 1)]);
    }

    #[test]
    fn zero_weights_get_nothing() {
        assert_eq!(spread_over_runs(5, &[(0, 3)]), vec![0]);
        assert_eq!(spread_over_runs(5, &[(0, 3), (1, 5)]), vec![0, 5]);
    }
}
