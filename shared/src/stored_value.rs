//! Stored value (储值): principal and bonus kept apart, top-up bonus rules, principal-first spending
//! and refunds in the same split.

use serde::{Deserialize, Serialize};

use crate::money::Money;
use crate::points::cumulative_share;

/// A top-up bonus rule: topping up at least `min_topup` earns `bonus`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopUpRule {
    pub min_topup: Money,
    pub bonus: Money,
}

/// What can go wrong with stored value.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StoredValueError {
    #[error("the amount must be above zero")]
    NotPositive,
    #[error("{needed} is more than the stored value of {available}")]
    Insufficient { needed: Money, available: Money },
    #[error("a stored value refund of {refund} is more than the {remaining} still refundable")]
    RefundTooLarge { refund: Money, remaining: Money },
}

/// The bonus for a top-up: the rule with the highest minimum that the top-up reaches.
pub fn bonus_for(topup: Money, rules: &[TopUpRule]) -> Money {
    rules
        .iter()
        .filter(|r| topup >= r.min_topup && topup.0 > 0)
        .max_by_key(|r| r.min_topup)
        .map_or(Money::ZERO, |r| r.bonus)
}

/// A member's stored value, split into what they paid in (principal) and what they were given.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredValue {
    pub principal: Money,
    pub bonus: Money,
}

impl StoredValue {
    pub fn total(&self) -> Money {
        self.principal + self.bonus
    }

    /// The balance after a top-up of `amount` under `rules`.
    pub fn top_up(&self, amount: Money, rules: &[TopUpRule]) -> Result<(StoredValue, SvSplit), StoredValueError> {
        if amount.0 <= 0 {
            return Err(StoredValueError::NotPositive);
        }
        let split = SvSplit { principal: amount, bonus: bonus_for(amount, rules) };
        Ok((self.plus(split), split))
    }

    /// How spending `amount` divides: principal first, then bonus.
    pub fn spend_split(&self, amount: Money) -> Result<SvSplit, StoredValueError> {
        if amount.0 <= 0 {
            return Err(StoredValueError::NotPositive);
        }
        let available = self.total();
        if amount > available {
            return Err(StoredValueError::Insufficient { needed: amount, available });
        }
        let principal = amount.min(self.principal.max(Money::ZERO));
        Ok(SvSplit { principal, bonus: amount - principal })
    }

    pub fn plus(&self, s: SvSplit) -> StoredValue {
        StoredValue { principal: self.principal + s.principal, bonus: self.bonus + s.bonus }
    }

    pub fn minus(&self, s: SvSplit) -> StoredValue {
        StoredValue { principal: self.principal - s.principal, bonus: self.bonus - s.bonus }
    }
}

/// An amount of stored value divided into principal and bonus.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SvSplit {
    pub principal: Money,
    pub bonus: Money,
}

impl SvSplit {
    pub fn total(&self) -> Money {
        self.principal + self.bonus
    }
}

impl std::ops::Add for SvSplit {
    type Output = SvSplit;
    fn add(self, rhs: SvSplit) -> SvSplit {
        SvSplit { principal: self.principal + rhs.principal, bonus: self.bonus + rhs.bonus }
    }
}

impl std::ops::AddAssign for SvSplit {
    fn add_assign(&mut self, rhs: SvSplit) {
        *self = *self + rhs;
    }
}

impl std::iter::Sum for SvSplit {
    fn sum<I: Iterator<Item = SvSplit>>(iter: I) -> SvSplit {
        iter.fold(SvSplit::default(), |a, b| a + b)
    }
}

/// How one more refund of `refund_now` of a sale paid `spent` from stored value goes back, given
/// `refunded_before` already went back: in the same split as it was spent. The bonus share is the
/// cumulative floor (the member's own money is restored first); a full refund restores exactly `spent`.
pub fn refund_split(spent: SvSplit, refunded_before: Money, refund_now: Money) -> Result<SvSplit, StoredValueError> {
    if refund_now.0 <= 0 {
        return Err(StoredValueError::NotPositive);
    }
    let total = spent.total();
    let remaining = total - refunded_before;
    if refund_now > remaining {
        return Err(StoredValueError::RefundTooLarge { refund: refund_now, remaining });
    }
    let bonus_before = cumulative_share(spent.bonus.0, total, refunded_before);
    let bonus_after = cumulative_share(spent.bonus.0, total, refunded_before + refund_now);
    let bonus = Money(bonus_after - bonus_before);
    Ok(SvSplit { principal: refund_now - bonus, bonus })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> Vec<TopUpRule> {
        vec![
            TopUpRule { min_topup: Money::yuan(300), bonus: Money::yuan(30) },
            TopUpRule { min_topup: Money::yuan(500), bonus: Money::yuan(60) },
        ]
    }

    #[test]
    fn domain_example_top_up() {
        // domain.md: top up ¥500 under "≥¥300 → ¥30, ≥¥500 → ¥60" → principal 500, bonus 60
        let (after, split) = StoredValue::default().top_up(Money::yuan(500), &rules()).expect("top-up");
        assert_eq!(split.principal, Money::yuan(500));
        assert_eq!(split.bonus, Money::yuan(60));
        assert_eq!(after.total(), Money::yuan(560));
        assert_eq!(bonus_for(Money::yuan(299), &rules()), Money::ZERO);
        assert_eq!(bonus_for(Money::yuan(499), &rules()), Money::yuan(30));
        assert_eq!(bonus_for(Money::yuan(1000), &rules()), Money::yuan(60));
    }

    #[test]
    fn spending_takes_principal_first() {
        let sv = StoredValue { principal: Money::yuan(500), bonus: Money::yuan(60) };
        assert_eq!(
            sv.spend_split(Money::yuan(520)),
            Ok(SvSplit { principal: Money::yuan(500), bonus: Money::yuan(20) })
        );
        assert_eq!(sv.spend_split(Money::yuan(100)), Ok(SvSplit { principal: Money::yuan(100), bonus: Money::ZERO }));
        assert_eq!(
            sv.spend_split(Money::yuan(561)),
            Err(StoredValueError::Insufficient { needed: Money::yuan(561), available: Money::yuan(560) })
        );
        assert_eq!(sv.spend_split(Money::ZERO), Err(StoredValueError::NotPositive));
    }

    #[test]
    fn refunds_go_back_in_the_same_split() {
        let spent = SvSplit { principal: Money(5000), bonus: Money(2000) };
        let a = refund_split(spent, Money(0), Money(3500)).expect("first");
        assert_eq!(a, SvSplit { principal: Money(2500), bonus: Money(1000) });
        let b = refund_split(spent, Money(3500), Money(3500)).expect("second");
        assert_eq!(a.principal + b.principal, Money(5000));
        assert_eq!(a.bonus + b.bonus, Money(2000));
        assert!(matches!(refund_split(spent, Money(7000), Money(1)), Err(StoredValueError::RefundTooLarge { .. })));
    }
}
