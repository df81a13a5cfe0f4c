//! The member policy HQ versions and tills pull: tiers, earning, redemption, expiry, offline caps
//! and stored-value bonus rules. Every sale records the version it used.

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::money::{Bp, Money};
use crate::points::{EarnRules, ExpiryPolicy, PointsError, RedeemRules, earned_points};
use crate::stored_value::TopUpRule;
use crate::tiers::{Tier, TierLadder, sample_ladder};

/// What a till may do for a member without HQ, per member per day. Zero means not offline.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfflineCaps {
    pub points_per_day: i64,
    pub stored_value_per_day: Money,
}

/// One version of the member policy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberPolicy {
    pub version: u32,
    /// When this version takes effect; the version in force is the latest one at or before a sale.
    pub effective_from: Timestamp,
    pub tiers: TierLadder,
    pub earn: EarnRules,
    pub redeem: RedeemRules,
    pub expiry: ExpiryPolicy,
    pub offline: OfflineCaps,
    pub topup_rules: Vec<TopUpRule>,
    /// Whether a phone number that is not a member's may enrol itself on the member pages.
    #[serde(default)]
    pub self_enrolment: bool,
}

/// What is wrong with a policy.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("earn rate must not be negative")]
    NegativeEarnRate,
    #[error("points per yuan for redemption must be above zero")]
    RedeemRateNotPositive,
    #[error("maximum share payable with points must be between 0% and 100%")]
    ShareOutOfRange,
    #[error("minimum balance must not be negative")]
    NegativeMinimumBalance,
    #[error("campaign `{0}` ends before it starts")]
    CampaignDates(String),
    #[error("campaign `{0}` has a multiplier below 1×")]
    CampaignMultiplier(String),
    #[error("a top-up rule must have a positive minimum and a bonus that is not negative")]
    TopUpRule,
    #[error("offline caps must not be negative")]
    NegativeOfflineCap,
}

impl MemberPolicy {
    pub fn validate(&self) -> Result<(), PolicyError> {
        if self.earn.earn_per_yuan < 0 {
            return Err(PolicyError::NegativeEarnRate);
        }
        if self.redeem.points_per_yuan <= 0 {
            return Err(PolicyError::RedeemRateNotPositive);
        }
        if !(0..=10_000).contains(&self.redeem.max_share.0) {
            return Err(PolicyError::ShareOutOfRange);
        }
        if self.redeem.min_balance < 0 {
            return Err(PolicyError::NegativeMinimumBalance);
        }
        for c in &self.earn.campaigns {
            if c.to < c.from {
                return Err(PolicyError::CampaignDates(c.name.clone()));
            }
            if c.multiplier.0 < 10_000 {
                return Err(PolicyError::CampaignMultiplier(c.name.clone()));
            }
        }
        if self.topup_rules.iter().any(|r| r.min_topup.0 <= 0 || r.bonus.is_negative()) {
            return Err(PolicyError::TopUpRule);
        }
        if self.offline.points_per_day < 0 || self.offline.stored_value_per_day.is_negative() {
            return Err(PolicyError::NegativeOfflineCap);
        }
        Ok(())
    }

    /// The points a member of `tier` born on `birthday` earns for `eligible` on `day`.
    pub fn points_for(
        &self,
        eligible: Money,
        tier: &Tier,
        day: Date,
        birthday: Option<Date>,
    ) -> Result<i64, PointsError> {
        let promos = self.earn.promo_multipliers(day, birthday);
        earned_points(eligible, self.earn.earn_per_yuan, tier.points_multiplier, &promos)
    }

    /// A preview for HQ staff: what a sale of `amount` earns for each tier on `day` (no birthday).
    pub fn preview(&self, amount: Money, day: Date) -> Vec<(String, i64)> {
        self.tiers
            .tiers()
            .iter()
            .map(|t| (t.code.clone(), self.points_for(amount, t, day, None).unwrap_or(0)))
            .collect()
    }

    /// The policy a new HQ starts with: 1 point per yuan, 100 points = ¥1, rolling 12 months.
    pub fn initial(effective_from: Timestamp) -> MemberPolicy {
        MemberPolicy {
            version: 1,
            effective_from,
            tiers: sample_ladder(),
            earn: EarnRules::default(),
            redeem: RedeemRules { points_per_yuan: 100, min_balance: 100, max_share: Bp(5_000) },
            expiry: ExpiryPolicy::default(),
            offline: OfflineCaps::default(),
            topup_rules: vec![
                TopUpRule { min_topup: Money::yuan(300), bonus: Money::yuan(30) },
                TopUpRule { min_topup: Money::yuan(500), bonus: Money::yuan(60) },
            ],
            self_enrolment: true,
        }
    }
}

/// The version in force at `at` among `versions`: the latest `effective_from` not after `at`.
pub fn in_force(versions: &[MemberPolicy], at: Timestamp) -> Option<&MemberPolicy> {
    versions.iter().filter(|p| p.effective_from <= at).max_by_key(|p| (p.effective_from, p.version))
}

/// Whether a sale made at `at` may have used `version`: the version in force then, or one that
/// was in force within `grace` before it (a till that had not yet pulled a newer version, offline
/// or between pulls, prices with the newest it has).
pub fn usable_at(versions: &[MemberPolicy], version: u32, at: Timestamp, grace: jiff::SignedDuration) -> bool {
    let Some(v) = versions.iter().find(|p| p.version == version) else { return false };
    if v.effective_from > at {
        return false;
    }
    // When this version stopped being the one in force: the first later version taking over.
    let ended = versions
        .iter()
        .filter(|p| (p.effective_from, p.version) > (v.effective_from, v.version))
        .map(|p| p.effective_from)
        .min();
    match ended {
        None => true,
        Some(end) => end > at || at.checked_sub(grace).is_ok_and(|since| end > since),
    }
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;

    use super::*;

    #[test]
    fn a_superseded_version_is_usable_only_for_a_while() {
        let t0: Timestamp = "2026-01-01T00:00:00Z".parse().expect("ts");
        let t1: Timestamp = "2026-06-01T00:00:00Z".parse().expect("ts");
        let v1 = MemberPolicy::initial(t0);
        let v2 = MemberPolicy { version: 2, effective_from: t1, ..MemberPolicy::initial(t0) };
        let all = [v1, v2];
        let grace = jiff::SignedDuration::from_hours(24 * 31);
        let at = |s: &str| -> Timestamp { s.parse().expect("ts") };
        assert!(usable_at(&all, 1, at("2026-05-31T23:00:00Z"), grace));
        assert!(usable_at(&all, 1, at("2026-06-20T00:00:00Z"), grace), "a till that had not pulled v2 yet");
        assert!(!usable_at(&all, 1, at("2026-08-01T00:00:00Z"), grace), "long after v2 took over");
        assert!(usable_at(&all, 2, at("2026-08-01T00:00:00Z"), grace));
        assert!(!usable_at(&all, 2, at("2026-05-01T00:00:00Z"), grace), "before it took effect");
        assert!(!usable_at(&all, 3, at("2026-08-01T00:00:00Z"), grace), "no such version");
    }

    #[test]
    fn picks_the_version_in_force() {
        let t0: Timestamp = "2026-01-01T00:00:00Z".parse().expect("ts");
        let t1: Timestamp = "2026-06-01T00:00:00Z".parse().expect("ts");
        let v1 = MemberPolicy::initial(t0);
        let mut v2 = MemberPolicy::initial(t1);
        v2.version = 2;
        v2.earn.earn_per_yuan = 200;
        let versions = vec![v1, v2];
        let mid: Timestamp = "2026-03-01T00:00:00Z".parse().expect("ts");
        let late: Timestamp = "2026-07-01T00:00:00Z".parse().expect("ts");
        let early: Timestamp = "2025-07-01T00:00:00Z".parse().expect("ts");
        assert_eq!(in_force(&versions, mid).map(|p| p.version), Some(1));
        assert_eq!(in_force(&versions, late).map(|p| p.version), Some(2));
        assert_eq!(in_force(&versions, early), None);
    }

    #[test]
    fn preview_per_tier() {
        let p = MemberPolicy::initial(Timestamp::UNIX_EPOCH);
        assert_eq!(
            p.preview(Money::yuan(100), date(2026, 3, 3)),
            vec![("regular".into(), 100), ("silver".into(), 120), ("gold".into(), 150)]
        );
        assert_eq!(p.validate(), Ok(()));
    }

    #[test]
    fn invalid_policies() {
        let mut p = MemberPolicy::initial(Timestamp::UNIX_EPOCH);
        p.redeem.points_per_yuan = 0;
        assert_eq!(p.validate(), Err(PolicyError::RedeemRateNotPositive));
        let mut p = MemberPolicy::initial(Timestamp::UNIX_EPOCH);
        p.redeem.max_share = Bp(10_001);
        assert_eq!(p.validate(), Err(PolicyError::ShareOutOfRange));
    }
}
