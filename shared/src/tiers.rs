//! Member tiers: an ordered ladder by qualifying spend over the trailing 365 days.

use serde::{Deserialize, Serialize};

use crate::money::{Bp, Money};
use crate::pricing::MemberBenefit;

/// One tier of the ladder.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tier {
    pub code: String,
    pub name: String,
    /// Qualifying spend over the trailing 365 days needed to reach this tier.
    pub threshold: Money,
    /// Share of the price a member of this tier pays (9500 = 5 % off; 10000 = no discount).
    pub discount: Bp,
    /// Points multiplier (15000 = 1.5×).
    pub points_multiplier: Bp,
    /// Whether products' member prices apply.
    pub member_prices: bool,
}

impl Tier {
    pub fn benefit(&self) -> MemberBenefit {
        MemberBenefit { discount: self.discount, member_prices: self.member_prices }
    }
}

/// What is wrong with a tier ladder.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TierError {
    #[error("a ladder needs at least one tier")]
    Empty,
    #[error("the first tier must start at a threshold of zero")]
    FirstThresholdNotZero,
    #[error("tier `{0}` must have a higher threshold than the tier before it")]
    ThresholdsNotIncreasing(String),
    #[error("tier code `{0}` appears twice")]
    DuplicateCode(String),
    #[error("tier `{0}` has an empty code")]
    EmptyCode(String),
    #[error("tier `{code}`: discount must be between 0% and 100% of the price")]
    DiscountOutOfRange { code: String },
    #[error("tier `{code}`: points multiplier must be between 0 and 100×")]
    MultiplierOutOfRange { code: String },
}

/// The tiers in ascending order of threshold; the first starts at zero.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Vec<Tier>", into = "Vec<Tier>")]
pub struct TierLadder(Vec<Tier>);

impl TierLadder {
    pub fn new(tiers: Vec<Tier>) -> Result<TierLadder, TierError> {
        let first = tiers.first().ok_or(TierError::Empty)?;
        if first.threshold != Money::ZERO {
            return Err(TierError::FirstThresholdNotZero);
        }
        for (i, t) in tiers.iter().enumerate() {
            if t.code.trim().is_empty() {
                return Err(TierError::EmptyCode(t.name.clone()));
            }
            if tiers[..i].iter().any(|o| o.code == t.code) {
                return Err(TierError::DuplicateCode(t.code.clone()));
            }
            if i > 0 && t.threshold <= tiers[i - 1].threshold {
                return Err(TierError::ThresholdsNotIncreasing(t.code.clone()));
            }
            if !(0..=10_000).contains(&t.discount.0) {
                return Err(TierError::DiscountOutOfRange { code: t.code.clone() });
            }
            if !(0..=1_000_000).contains(&t.points_multiplier.0) {
                return Err(TierError::MultiplierOutOfRange { code: t.code.clone() });
            }
        }
        Ok(TierLadder(tiers))
    }

    pub fn tiers(&self) -> &[Tier] {
        &self.0
    }

    pub fn by_code(&self, code: &str) -> Option<&Tier> {
        self.0.iter().find(|t| t.code == code)
    }

    /// The lowest tier, which every new member starts in.
    pub fn entry(&self) -> &Tier {
        &self.0[0]
    }

    fn rank(&self, code: &str) -> Option<usize> {
        self.0.iter().position(|t| t.code == code)
    }

    /// The tier a trailing-365-day spend qualifies for.
    pub fn qualifying(&self, spend: Money) -> &Tier {
        self.0.iter().rev().find(|t| spend >= t.threshold).unwrap_or(&self.0[0])
    }

    /// After an ingested sale: the new tier if the spend lifts the member above their current tier.
    /// Never a downgrade (those wait for the daily evaluation).
    pub fn upgrade_after_sale(&self, current: &str, spend: Money) -> Option<&Tier> {
        let q = self.qualifying(spend);
        match self.rank(current) {
            Some(r) if self.rank(&q.code).is_some_and(|qr| qr <= r) => None,
            _ => Some(q),
        }
    }

    /// The tier above `current` and how much more trailing spend reaches it (zero once reached,
    /// until the next evaluation moves the member up); `None` at the top of the ladder.
    pub fn next_tier(&self, current: &str, spend: Money) -> Option<(&Tier, Money)> {
        let next = self.0.get(self.rank(current)? + 1)?;
        Some((next, Money((next.threshold.0 - spend.0).max(0))))
    }

    /// The daily evaluation: the tier the spend qualifies for, up or down; `None` when unchanged.
    pub fn daily_evaluation(&self, current: &str, spend: Money) -> Option<&Tier> {
        let q = self.qualifying(spend);
        (q.code != current).then_some(q)
    }
}

impl TryFrom<Vec<Tier>> for TierLadder {
    type Error = TierError;
    fn try_from(v: Vec<Tier>) -> Result<Self, Self::Error> {
        TierLadder::new(v)
    }
}

impl From<TierLadder> for Vec<Tier> {
    fn from(l: TierLadder) -> Vec<Tier> {
        l.0
    }
}

/// A typical three-tier ladder (used by demo data and tests).
pub fn sample_ladder() -> TierLadder {
    let tier = |code: &str, name: &str, threshold: i64, discount: i64, mult: i64, mp: bool| Tier {
        code: code.into(),
        name: name.into(),
        threshold: Money::yuan(threshold),
        discount: Bp(discount),
        points_multiplier: Bp(mult),
        member_prices: mp,
    };
    TierLadder(vec![
        tier("regular", "普通会员", 0, 10_000, 10_000, true),
        tier("silver", "银卡会员", 2_000, 9_800, 12_000, true),
        tier("gold", "金卡会员", 10_000, 9_500, 15_000, true),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qualifying_tier_by_spend() {
        let ladder = sample_ladder();
        assert_eq!(ladder.qualifying(Money::yuan(0)).code, "regular");
        assert_eq!(ladder.qualifying(Money::yuan(1_999)).code, "regular");
        assert_eq!(ladder.qualifying(Money::yuan(2_000)).code, "silver");
        assert_eq!(ladder.qualifying(Money::yuan(50_000)).code, "gold");
    }

    #[test]
    fn upgrades_at_once_downgrades_daily() {
        let ladder = sample_ladder();
        assert_eq!(ladder.upgrade_after_sale("regular", Money::yuan(2_500)).map(|t| t.code.as_str()), Some("silver"));
        // A lower spend never downgrades on a sale…
        assert_eq!(ladder.upgrade_after_sale("gold", Money::yuan(10)), None);
        // …but the daily evaluation does.
        assert_eq!(ladder.daily_evaluation("gold", Money::yuan(10)).map(|t| t.code.as_str()), Some("regular"));
        assert_eq!(ladder.daily_evaluation("gold", Money::yuan(20_000)), None);
    }

    #[test]
    fn invalid_ladders() {
        let mut tiers: Vec<Tier> = sample_ladder().into();
        tiers.swap(1, 2);
        assert!(matches!(TierLadder::new(tiers), Err(TierError::ThresholdsNotIncreasing(_))));
        assert_eq!(TierLadder::new(vec![]), Err(TierError::Empty));
        let mut tiers: Vec<Tier> = sample_ladder().into();
        tiers[0].threshold = Money(1);
        assert_eq!(TierLadder::new(tiers), Err(TierError::FirstThresholdNotZero));
        let mut tiers: Vec<Tier> = sample_ladder().into();
        tiers[2].code = "silver".into();
        assert_eq!(TierLadder::new(tiers), Err(TierError::DuplicateCode("silver".into())));
        // Deserialising validates too.
        let bad = r#"[{"code":"a","name":"A","threshold":5,"discount":10000,"points_multiplier":10000,"member_prices":true}]"#;
        assert!(serde_json::from_str::<TierLadder>(bad).is_err());
    }

    #[test]
    fn the_next_tier_and_what_it_takes() {
        let ladder = sample_ladder();
        let tiers = ladder.tiers();
        let (next, needed) = ladder.next_tier(&tiers[0].code, Money(1)).expect("a tier above the entry tier");
        assert_eq!(next.code, tiers[1].code);
        assert_eq!(needed, Money(tiers[1].threshold.0 - 1));
        let over = Money(tiers[1].threshold.0 + 5);
        assert_eq!(ladder.next_tier(&tiers[0].code, over).map(|(_, n)| n), Some(Money::ZERO));
        assert!(ladder.next_tier(&tiers[tiers.len() - 1].code, Money::ZERO).is_none(), "the top has no next");
        assert!(ladder.next_tier("nope", Money::ZERO).is_none());
    }
}
