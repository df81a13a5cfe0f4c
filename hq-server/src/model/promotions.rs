//! Promotions as HQ keeps them: each promotion's newest revision with where it stands, and the
//! list's filter.

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Where a promotion stands on a day: by its dates, unless it was withdrawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PromotionStatus {
    /// Its first day is still to come.
    Scheduled,
    /// The day is within its dates (its weekdays and hours may still leave it out at a moment).
    Active,
    /// Its last day has passed.
    Ended,
    /// Taken out of the set; tills no longer apply it.
    Withdrawn,
}

impl PromotionStatus {
    pub const ALL: [PromotionStatus; 4] =
        [PromotionStatus::Scheduled, PromotionStatus::Active, PromotionStatus::Ended, PromotionStatus::Withdrawn];

    /// The status of a promotion running `from`–`to` (both included) on `day`.
    pub fn on(day: Date, from: Date, to: Date, withdrawn: bool) -> PromotionStatus {
        if withdrawn {
            PromotionStatus::Withdrawn
        } else if day < from {
            PromotionStatus::Scheduled
        } else if day > to {
            PromotionStatus::Ended
        } else {
            PromotionStatus::Active
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            PromotionStatus::Scheduled => "scheduled",
            PromotionStatus::Active => "active",
            PromotionStatus::Ended => "ended",
            PromotionStatus::Withdrawn => "withdrawn",
        }
    }
}

/// A promotion's newest revision, as HQ keeps it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PromotionRecord {
    /// The promotion as tills receive it (`shared::promotions::Promotion`).
    #[schema(value_type = Object)]
    pub promotion: shared::promotions::Promotion,
    /// The set version of this revision, or of the withdrawal.
    pub version: u64,
    /// Where it stands on the chain's business day today.
    pub status: PromotionStatus,
    pub updated_at: Timestamp,
    pub updated_by: String,
}

/// Which promotions a list shows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PromotionFilter {
    pub status: Option<PromotionStatus>,
    /// Part of the name.
    pub name: Option<String>,
    /// Only ids above this (paging).
    pub after: i64,
    pub limit: u32,
}

/// What sold in a promotion's scope while it ran, against the same number of days just before it
/// (sales before returns; the promotion's branches, or one branch).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PromotionEffect {
    pub promotion_id: u64,
    /// The days it ran so far: its first day to its last or today, whichever is earlier.
    pub during: EffectPeriod,
    /// As many days, ending the day before its first.
    pub before: EffectPeriod,
}

/// The goods in a promotion's scope sold over some business days.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct EffectPeriod {
    #[schema(value_type = String, format = Date)]
    pub from: jiff::civil::Date,
    #[schema(value_type = String, format = Date)]
    pub to: jiff::civil::Date,
    pub lines: i64,
    /// Units sold, in thousandths (weighed goods in grams).
    pub qty_milli: i64,
    /// What they sold for after every discount (fen).
    pub net: i64,
}
