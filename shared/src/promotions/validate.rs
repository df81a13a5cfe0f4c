//! What HQ must refuse to publish. Each error names the field that is wrong.

use super::{Audience, Branches, Promotion, PromotionKind};
use crate::money::{Bp, Money};

/// Why a promotion is not valid.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PromotionError {
    #[error("name: a promotion needs a name")]
    EmptyName,
    #[error("branches: the list of branches is empty")]
    NoBranches,
    #[error("schedule.to: {to} is before schedule.from {from}")]
    EndBeforeStart { from: jiff::civil::Date, to: jiff::civil::Date },
    #[error("schedule.weekdays: {0} is not an ISO weekday (1 = Monday … 7 = Sunday)")]
    BadWeekday(u8),
    #[error("schedule.weekdays: the list is empty")]
    NoWeekdays,
    #[error("schedule.time_window: the end must be after the start (a window does not wrap past midnight)")]
    EmptyTimeWindow,
    #[error("audience.tiers: the list of tiers is empty")]
    NoTiers,
    #[error("scope: a promotion needs products, categories, brands or all products")]
    EmptyScope,
    #[error("kind.{field}: {value} is negative")]
    NegativeAmount { field: &'static str, value: Money },
    #[error("kind.{field}: a threshold must be above zero")]
    ZeroThreshold { field: &'static str },
    #[error("kind.{field}: an amount off must be above zero")]
    ZeroOff { field: &'static str },
    #[error("kind.bp: a percentage must be above 0% and at most 100%, not {}", .0.display_percent())]
    PercentOutOfRange(Bp),
    #[error("kind.{field}: must be at least 1")]
    ZeroCount { field: &'static str },
    #[error("kind.slabs: there are no slabs")]
    NoSlabs,
    #[error("kind.slabs: two slabs share the threshold {0}")]
    DuplicateSlab(Money),
    #[error("kind.cap: a cap must be above zero")]
    ZeroCap,
    #[error("limits.{field}: a limit of 0 never applies")]
    ZeroLimit { field: &'static str },
}

impl Promotion {
    /// Checks what the engine relies on; HQ refuses to publish a promotion that fails.
    pub fn validate(&self) -> Result<(), PromotionError> {
        if self.name.trim().is_empty() {
            return Err(PromotionError::EmptyName);
        }
        if matches!(&self.branches, Branches::Only(list) if list.is_empty()) {
            return Err(PromotionError::NoBranches);
        }
        let s = &self.schedule;
        if s.to < s.from {
            return Err(PromotionError::EndBeforeStart { from: s.from, to: s.to });
        }
        if let Some(days) = &s.weekdays {
            if days.is_empty() {
                return Err(PromotionError::NoWeekdays);
            }
            if let Some(bad) = days.iter().find(|d| !(1..=7).contains(*d)) {
                return Err(PromotionError::BadWeekday(*bad));
            }
        }
        if s.time_window.is_some_and(|w| w.end <= w.start) {
            return Err(PromotionError::EmptyTimeWindow);
        }
        if matches!(&self.audience, Audience::Tiers(t) if t.is_empty()) {
            return Err(PromotionError::NoTiers);
        }
        if self.scope.is_empty() {
            return Err(PromotionError::EmptyScope);
        }
        if self.limits.per_sale == Some(0) {
            return Err(PromotionError::ZeroLimit { field: "per_sale" });
        }
        if self.limits.per_member == Some(0) {
            return Err(PromotionError::ZeroLimit { field: "per_member" });
        }
        validate_kind(&self.kind)
    }
}

fn not_negative(field: &'static str, value: Money) -> Result<(), PromotionError> {
    if value.is_negative() { Err(PromotionError::NegativeAmount { field, value }) } else { Ok(()) }
}

fn positive_threshold(field: &'static str, value: Money) -> Result<(), PromotionError> {
    not_negative(field, value)?;
    if value.is_zero() { Err(PromotionError::ZeroThreshold { field }) } else { Ok(()) }
}

fn positive_off(field: &'static str, value: Money) -> Result<(), PromotionError> {
    not_negative(field, value)?;
    if value.is_zero() { Err(PromotionError::ZeroOff { field }) } else { Ok(()) }
}

fn percent(bp: Bp) -> Result<(), PromotionError> {
    if bp.0 <= 0 || bp.0 > 10_000 { Err(PromotionError::PercentOutOfRange(bp)) } else { Ok(()) }
}

fn count(field: &'static str, n: u32) -> Result<(), PromotionError> {
    if n == 0 { Err(PromotionError::ZeroCount { field }) } else { Ok(()) }
}

fn validate_kind(kind: &PromotionKind) -> Result<(), PromotionError> {
    match kind {
        PromotionKind::FixedPrice { price } => not_negative("price", *price),
        PromotionKind::AmountOff { off } => positive_off("off", *off),
        PromotionKind::PercentOff { bp, .. } => percent(*bp),
        PromotionKind::BuyNGetMFree { n, m } => count("n", *n).and_then(|()| count("m", *m)),
        PromotionKind::NthPercentOff { n, bp } => count("n", *n).and_then(|()| percent(*bp)),
        PromotionKind::NForPrice { n, price } => count("n", *n).and_then(|()| not_negative("price", *price)),
        PromotionKind::Slabs { slabs } => {
            if slabs.is_empty() {
                return Err(PromotionError::NoSlabs);
            }
            for slab in slabs {
                positive_threshold("slabs.threshold", slab.threshold)?;
                positive_off("slabs.off", slab.off)?;
            }
            let mut thresholds: Vec<Money> = slabs.iter().map(|s| s.threshold).collect();
            thresholds.sort_unstable();
            match thresholds.windows(2).find(|w| w[0] == w[1]) {
                Some(w) => Err(PromotionError::DuplicateSlab(w[0])),
                None => Ok(()),
            }
        }
        PromotionKind::Repeating { every, off, cap } => {
            positive_threshold("every", *every)?;
            positive_off("off", *off)?;
            match cap {
                Some(c) if c.0 <= 0 => Err(PromotionError::ZeroCap),
                _ => Ok(()),
            }
        }
        PromotionKind::ThresholdPercent { threshold, bp } => {
            positive_threshold("threshold", *threshold).and_then(|()| percent(*bp))
        }
        PromotionKind::Gift { threshold, .. } => positive_threshold("threshold", *threshold),
    }
}
