//! VAT included in shelf prices, computed per rate group on the whole sale.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::money::{Bp, Money, div_round_half_up};

/// The VAT rates a product may carry in China.
pub const STANDARD_RATES: [Bp; 4] = [Bp(1300), Bp(900), Bp(600), Bp(0)];

/// Whether a rate is one of the standard VAT rates.
pub fn is_standard_rate(rate: Bp) -> bool {
    STANDARD_RATES.contains(&rate)
}

/// The VAT contained in a tax-inclusive amount: `round_half_up(gross * rate / (10000 + rate))`.
pub fn included_tax(gross: Money, rate: Bp) -> Money {
    let num = i128::from(gross.0) * i128::from(rate.0);
    let den = 10_000 + i128::from(rate.0);
    // A gross amount in i64 times a rate below 10000 always fits back into i64.
    Money(div_round_half_up(num, den) as i64)
}

/// One rate group of a sale: the sum of its lines' nets and the tax contained in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaxGroup {
    pub rate: Bp,
    pub gross: Money,
    pub tax: Money,
}

impl TaxGroup {
    pub fn net_of_tax(&self) -> Money {
        self.gross - self.tax
    }
}

/// Groups line nets (after every discount) by rate and computes each group's tax once.
/// Groups come out highest rate first, the order receipts print them in.
pub fn tax_groups(lines: impl IntoIterator<Item = (Bp, Money)>) -> Vec<TaxGroup> {
    let mut by_rate: BTreeMap<Bp, Money> = BTreeMap::new();
    for (rate, net) in lines {
        *by_rate.entry(rate).or_default() += net;
    }
    by_rate.into_iter().rev().map(|(rate, gross)| TaxGroup { rate, gross, tax: included_tax(gross, rate) }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(gross_fen: i64, rate: i64, expected_tax_fen: i64) {
        assert_eq!(included_tax(Money(gross_fen), Bp(rate)), Money(expected_tax_fen), "tax in {gross_fen} at {rate}bp");
    }

    #[test]
    fn domain_examples() {
        // domain.md: 13% goods netting ¥113.00 → tax ¥13.00
        check(11300, 1300, 1300);
        // domain.md: ¥10.00 at 13% → tax ¥1.15 (1000*1300/11300 = 115.04)
        check(1000, 1300, 115);
    }

    #[test]
    fn other_rates() {
        check(10900, 900, 900);
        check(10600, 600, 600);
        check(12345, 0, 0);
        check(-1000, 1300, -115);
    }

    #[test]
    fn tax_is_per_group_not_per_line() {
        // Three ¥3.33 lines at 13%: per line 0.38 each (1.14), per group round(999*1300/11300)=115.
        let groups = tax_groups([(Bp(1300), Money(333)); 3]);
        assert_eq!(groups.len(), 1);
        assert_eq!(groups[0].gross, Money(999));
        assert_eq!(groups[0].tax, Money(115));
    }

    #[test]
    fn groups_are_ordered_highest_rate_first() {
        let groups = tax_groups([(Bp(0), Money(100)), (Bp(1300), Money(1130)), (Bp(900), Money(109))]);
        let rates: Vec<i64> = groups.iter().map(|g| g.rate.0).collect();
        assert_eq!(rates, vec![1300, 900, 0]);
        assert_eq!(groups[0].tax, Money(130));
        assert_eq!(groups[1].tax, Money(9));
    }
}
