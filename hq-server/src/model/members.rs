//! The member side of HQ's records: members and their cards, ledger entries, points lots, holds,
//! and what the member stores return. The rules themselves are `shared`'s.

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use shared::catalog::MemberCode;
use shared::ids::{BranchId, MemberId};
use shared::ledger::LedgerKind;
use shared::member::{CardUid, MemberStatus, Phone};
use shared::money::Money;
use shared::stored_value::StoredValue;
use utoipa::ToSchema;

/// A kind of member card.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CardKind {
    /// The printed member number (EAN-13 barcode and track 2).
    Code,
    /// A contactless card's UID.
    Uid,
}

impl CardKind {
    pub fn code(self) -> &'static str {
        match self {
            CardKind::Code => "code",
            CardKind::Uid => "uid",
        }
    }

    pub fn parse(s: &str) -> Option<CardKind> {
        match s {
            "code" => Some(CardKind::Code),
            "uid" => Some(CardKind::Uid),
            _ => None,
        }
    }
}

/// What happened to a card.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CardStatus {
    Active,
    /// Reported lost: refused at the tills.
    Lost,
    /// Replaced by a new card.
    Replaced,
    /// Blocked by HQ.
    Blocked,
}

impl CardStatus {
    pub fn code(self) -> &'static str {
        match self {
            CardStatus::Active => "active",
            CardStatus::Lost => "lost",
            CardStatus::Replaced => "replaced",
            CardStatus::Blocked => "blocked",
        }
    }

    pub fn parse(s: &str) -> Option<CardStatus> {
        [CardStatus::Active, CardStatus::Lost, CardStatus::Replaced, CardStatus::Blocked]
            .into_iter()
            .find(|c| c.code() == s)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CardRecord {
    pub kind: CardKind,
    pub value: String,
    pub status: CardStatus,
    pub created_at: Timestamp,
}

/// A member as HQ keeps them. Balances are the sums of their ledger entries.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MemberRecord {
    #[schema(value_type = String)]
    pub id: MemberId,
    #[schema(value_type = String)]
    pub code: MemberCode,
    #[schema(value_type = Option<String>)]
    pub phone: Option<Phone>,
    pub name: String,
    #[schema(value_type = Option<String>, format = Date)]
    pub birthday: Option<Date>,
    pub tier: String,
    #[schema(value_type = String)]
    pub status: MemberStatus,
    #[schema(value_type = Option<String>)]
    pub merged_into: Option<MemberId>,
    #[schema(value_type = Option<i64>)]
    pub home_branch: Option<BranchId>,
    pub enrolled_at: Timestamp,
    /// Points balance (may be negative after a refund).
    pub points: i64,
    /// What refunds took back beyond the member's lots.
    pub points_deficit: i64,
    #[schema(value_type = Object)]
    pub stored_value: StoredValue,
    pub cards: Vec<CardRecord>,
    /// Whether the member agreed to marketing messages (`None`: never asked).
    pub marketing_consent: Option<bool>,
    /// The secret of the member's rotating code, once they signed in to the member pages. Never
    /// serialised: not in the API, the console or the audit log; the tills get it in the snapshot.
    #[serde(skip)]
    #[schema(ignore)]
    pub code_secret: Option<shared::member_code::MemberSecret>,
}

/// A new member. Without a code one is assigned; without a tier the entry tier.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NewMember {
    /// Kept when given (a member enrolled at a till offline keeps the till's provisional id).
    pub id: Option<MemberId>,
    pub code: Option<MemberCode>,
    pub phone: Option<Phone>,
    pub name: String,
    pub birthday: Option<Date>,
    pub tier: Option<String>,
    pub home_branch: Option<BranchId>,
    pub uid: Option<CardUid>,
}

/// A change to a member; `None` leaves a field as it is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemberPatch {
    pub name: Option<String>,
    /// `Some(None)` removes the phone number.
    pub phone: Option<Option<Phone>>,
    pub birthday: Option<Option<Date>>,
    /// Active or blocked.
    pub status: Option<MemberStatus>,
    pub home_branch: Option<Option<BranchId>>,
}

/// One ledger entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct LedgerRow {
    pub id: String,
    #[schema(value_type = String)]
    pub kind: LedgerKind,
    pub points: i64,
    /// Fen.
    pub principal: i64,
    /// Fen.
    pub bonus: i64,
    pub at: Timestamp,
    #[schema(value_type = String, format = Date)]
    pub business_day: Date,
    #[schema(value_type = Option<i64>)]
    pub branch_id: Option<BranchId>,
    /// What caused it: `sale:<id>`, `refund:<id>`, `topup:<id>`, `adjust:<id>`, `expire:<lot>`.
    pub source: String,
    pub lot_id: Option<String>,
    pub reason: Option<String>,
    pub actor: String,
}

/// A points lot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct LotRow {
    pub id: String,
    #[schema(value_type = String, format = Date)]
    pub earned_on: Date,
    pub points: i64,
    pub remaining: i64,
    /// The last day it can be used (`None`: never expires).
    #[schema(value_type = Option<String>, format = Date)]
    pub expires_on: Option<Date>,
    pub sale_id: Option<String>,
}

/// A manual adjustment by HQ staff: points and/or stored value, either sign, with a reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Adjustment {
    pub points: i64,
    pub principal: Money,
    pub bonus: Money,
    pub reason: String,
}

/// What a till's member lookup found (`MemberStore::till_member_lookup`).
#[derive(Clone, Debug)]
pub enum TillMemberLookup {
    /// The till's token is not HQ's: nothing was looked up.
    UnknownTill,
    /// The till was revoked: nothing was looked up.
    RevokedTill,
    NoSuchMember,
    Refused(MemberRefusal),
    /// The member as the till may see them, and the policy version in force.
    /// The member, the policy version, and the member's sales with each per-member-limited
    /// promotion of the current set.
    Found(Box<shared::member::MemberSnapshot>, u32, std::collections::BTreeMap<shared::promotions::PromotionId, u32>),
}

/// Why HQ refused a member request from a till or the console.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MemberRefusal {
    #[error("the member is blocked")]
    Blocked,
    #[error("this card was reported {0}; ask for the member's phone number or new card")]
    CardNotActive(&'static str),
    #[error("{available} points are available, {asked} were asked")]
    InsufficientPoints { available: i64, asked: i64 },
    #[error("{available} of stored value is available, {asked} was asked")]
    InsufficientStoredValue { available: Money, asked: Money },
    #[error("the member needs at least {minimum} points before using any ({balance} now)")]
    BelowMinimumBalance { balance: i64, minimum: i64 },
    #[error("this hold was already used by a completed sale")]
    Captured,
    #[error("this hold belongs to another till")]
    OtherTill,
    #[error("{0}")]
    Invalid(String),
}

impl MemberRefusal {
    /// The stable code the tills understand.
    pub fn code(&self) -> &'static str {
        match self {
            MemberRefusal::Blocked => "member_blocked",
            MemberRefusal::CardNotActive(_) => "card_not_active",
            MemberRefusal::InsufficientPoints { .. } => "insufficient_points",
            MemberRefusal::InsufficientStoredValue { .. } => "insufficient_stored_value",
            MemberRefusal::BelowMinimumBalance { .. } => "below_minimum_balance",
            MemberRefusal::Captured => "hold_captured",
            MemberRefusal::OtherTill => "forbidden",
            MemberRefusal::Invalid(_) => "validation",
        }
    }
}

/// What the daily job did for a date.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DailyRun {
    #[schema(value_type = String, format = Date)]
    pub day: Date,
    /// True when the job had already run for this date (nothing was done again).
    pub already_ran: bool,
    pub lots_expired: u64,
    pub points_expired: i64,
    pub tier_changes: u64,
    pub holds_expired: u64,
}

/// A member policy version as HQ keeps it, with who made it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PolicyVersion {
    #[schema(value_type = Object)]
    pub policy: shared::policy::MemberPolicy,
    pub created_at: Timestamp,
    pub created_by: String,
}
