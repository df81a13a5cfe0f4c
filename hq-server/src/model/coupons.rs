//! Member coupons as HQ keeps them (domain.md "Promotions", layer 4): campaigns with their
//! counts, the audiences a campaign issues to, what an issue did, and a member's coupons.

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// How long a campaign's coupons are valid: a number of days from each coupon's issue, or the
/// same fixed dates for all (branch-local days in the chain's zone, both included).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CouponValidity {
    /// From the moment of issue for `days` days (1 … 3660).
    Days { days: u32 },
    /// From the start of `from` to the end of `to`.
    Dates {
        #[schema(value_type = String, format = Date)]
        from: Date,
        #[schema(value_type = String, format = Date)]
        to: Date,
    },
}

/// A campaign to create: what its coupons give, the offline rule and their validity.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewCampaign {
    pub name: String,
    pub kind: shared::promotions::coupons::CouponKind,
    /// `None`: online only; `Some(n)`: a till may take `n` a business day while offline (n ≥ 1).
    pub offline_cap: Option<u32>,
    pub validity: CouponValidity,
}

/// A campaign's coupons by where they stand now.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CampaignCounts {
    pub issued: u64,
    pub redeemed: u64,
    /// Fen the redeemed coupons took off.
    pub redeemed_discount: i64,
    /// Past their last moment unused.
    pub expired: u64,
    /// Still usable (issued or held, within their validity).
    pub outstanding: u64,
}

/// A campaign as HQ keeps it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CampaignRecord {
    /// As the tills receive it (`shared::promotions::coupons::CouponCampaign`).
    #[schema(value_type = Object)]
    pub campaign: shared::promotions::coupons::CouponCampaign,
    pub validity: CouponValidity,
    pub created_at: Timestamp,
    pub created_by: String,
    pub ended_at: Option<Timestamp>,
    pub ended_by: Option<String>,
    pub counts: CampaignCounts,
}

/// Who an issue is for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CouponAudience {
    /// Every active member of a tier (its code in the member policy).
    Tier { tier: String },
    /// Every active member born in `month` (1 … 12).
    BirthdayMonth { month: u8 },
    /// Every active member with no sale in the last `days` days (1 … 3660), counting from now.
    InactiveDays { days: u32 },
    /// These members, by member code or phone number, one a row (a CSV's first column).
    Members { members: Vec<String> },
}

/// An issue: to an audience, once per `batch` (a retried request with the same batch issues
/// nothing twice).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct IssueRequest {
    /// Chosen by the caller: the same key again adds only members the batch does not have yet.
    #[schema(min_length = 1, max_length = 64)]
    pub batch: String,
    pub audience: CouponAudience,
}

/// A listed member an issue refused.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct IssueRefusal {
    /// The row in the list (1 is the first member; a CSV's header is not counted).
    pub row: u64,
    pub value: String,
    pub reason: String,
}

/// What an issue did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct IssueOutcome {
    pub batch: String,
    /// Coupons issued now.
    pub issued: u64,
    /// Members the batch had already issued to (a retry).
    pub already: u64,
    pub refused: Vec<IssueRefusal>,
}

/// Where a coupon stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CouponStatus {
    Issued,
    /// Held for a sale at a till (a hold that has expired counts as issued again).
    Held,
    Redeemed,
    /// Past its last moment, unused.
    Expired,
}

impl CouponStatus {
    pub fn code(self) -> &'static str {
        match self {
            CouponStatus::Issued => "issued",
            CouponStatus::Held => "held",
            CouponStatus::Redeemed => "redeemed",
            CouponStatus::Expired => "expired",
        }
    }
}

/// One of a member's coupons, for HQ's staff.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MemberCouponRecord {
    pub id: u64,
    pub code: String,
    pub campaign_id: u64,
    pub campaign_name: String,
    pub status: CouponStatus,
    pub issued_at: Timestamp,
    pub valid_from: Timestamp,
    pub valid_until: Timestamp,
    /// The receipt it was used on, and what it took off (fen).
    pub receipt_no: Option<String>,
    pub redeemed_at: Option<Timestamp>,
    pub discount: Option<i64>,
}

/// Where a member's pages put a coupon: still to use (issued, held, or not yet valid), used, or
/// lapsed unused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CouponShelf {
    Valid,
    Used,
    Expired,
}

impl CouponShelf {
    /// The shelf of a coupon whose status was taken at the moment the page is drawn.
    pub fn of(status: CouponStatus) -> Self {
        match status {
            CouponStatus::Redeemed => CouponShelf::Used,
            CouponStatus::Expired => CouponShelf::Expired,
            CouponStatus::Issued | CouponStatus::Held => CouponShelf::Valid,
        }
    }
}

/// The first coupons of one shelf, in the order the pages show them, and how many the shelf holds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CouponList {
    pub shown: Vec<MemberCouponRecord>,
    pub total: usize,
}

/// A member's coupons by shelf: the valid ones soonest to lapse first, the used ones and the
/// expired ones newest first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemberCoupons {
    pub valid: CouponList,
    pub used: CouponList,
    pub expired: CouponList,
}

impl MemberCoupons {
    /// The order a shelf shows its coupons in, as a key to sort by.
    pub fn order_key(
        shelf: CouponShelf,
        valid_until: Timestamp,
        redeemed_at: Option<Timestamp>,
        id: u64,
    ) -> (i128, i128) {
        let t = |t: Timestamp| i128::from(t.as_microsecond());
        let id = i128::from(id);
        match shelf {
            CouponShelf::Valid => (t(valid_until), id),
            CouponShelf::Used => (-redeemed_at.map_or(i128::MIN / 2, t), -id),
            CouponShelf::Expired => (-t(valid_until), -id),
        }
    }

    /// Every one of `all` on its shelf, each shelf in its order and cut at `cap` (none: all shown).
    pub fn sorted(all: Vec<MemberCouponRecord>, cap: Option<usize>) -> Self {
        let mut out = MemberCoupons::default();
        for c in all {
            out.shelf_mut(CouponShelf::of(c.status)).shown.push(c);
        }
        for shelf in [CouponShelf::Valid, CouponShelf::Used, CouponShelf::Expired] {
            let list = out.shelf_mut(shelf);
            list.total = list.shown.len();
            list.shown.sort_by_key(|c| Self::order_key(shelf, c.valid_until, c.redeemed_at, c.id));
            list.shown.truncate(cap.unwrap_or(usize::MAX));
        }
        out
    }

    pub fn shelf_mut(&mut self, shelf: CouponShelf) -> &mut CouponList {
        match shelf {
            CouponShelf::Valid => &mut self.valid,
            CouponShelf::Used => &mut self.used,
            CouponShelf::Expired => &mut self.expired,
        }
    }
}

/// Why HQ refuses a till's coupon hold or release.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CouponRefusal {
    #[error("no coupon has this code")]
    Unknown,
    #[error("this coupon expired at {0}")]
    Expired(Timestamp),
    #[error("this coupon is valid from {0}")]
    NotYetValid(Timestamp),
    #[error("this coupon has already been used")]
    Used,
    #[error("this coupon is held for another sale until {0}")]
    Held(Timestamp),
    #[error("this coupon belongs to another member")]
    OtherMember,
    #[error("the campaign “{0}” has ended")]
    CampaignEnded(String),
    #[error("this hold belongs to another till")]
    OtherTill,
    #[error("this hold was already captured by a sale")]
    Captured,
}

impl CouponRefusal {
    /// The stable code of the JSON error body (`shared::sync::coupon_refusal`).
    pub fn code(&self) -> &'static str {
        use shared::sync::coupon_refusal as c;
        match self {
            CouponRefusal::Unknown => c::UNKNOWN,
            CouponRefusal::Expired(_) => c::EXPIRED,
            CouponRefusal::NotYetValid(_) => c::NOT_YET_VALID,
            CouponRefusal::Used => c::USED,
            CouponRefusal::Held(_) => c::HELD,
            CouponRefusal::OtherMember => c::OTHER_MEMBER,
            CouponRefusal::CampaignEnded(_) => c::CAMPAIGN_ENDED,
            CouponRefusal::OtherTill => "forbidden",
            CouponRefusal::Captured => "hold_captured",
        }
    }
}
