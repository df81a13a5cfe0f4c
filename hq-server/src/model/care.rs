//! Member care (客户关怀): campaigns of care messages and what became of each.

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use shared::care::CareKind;
use shared::ids::BranchId;
use utoipa::ToSchema;

/// A care campaign as HQ staff ask for it.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
pub struct NewCare {
    /// `birthday`, `holiday` or `win_back`.
    #[schema(value_type = String)]
    pub kind: CareKind,
    /// 1–100 characters, e.g. `十二月生日关怀`.
    pub name: String,
    /// The message: `{name}` and `{branch}` are filled in; the opt-out (拒收请回复R) is added.
    pub template: String,
    /// Members of this home branch only (absent: every branch).
    #[schema(value_type = Option<i64>)]
    pub branch_id: Option<BranchId>,
    /// Members of this tier only (absent: every tier).
    pub tier: Option<String>,
    /// Birthdays: the days ahead from today, 1–31 (default 7).
    pub days_ahead: Option<u16>,
    /// Win-back: members whose last purchase is at least this many days ago, 14–3650 (default 90).
    pub inactive_days: Option<u32>,
}

/// A member a care campaign would reach, and what their record says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct CareCandidate {
    pub member_id: String,
    pub code: String,
    pub name: String,
    /// Masked (138****5678).
    pub phone: Option<String>,
    #[serde(skip)]
    pub full_phone: Option<String>,
    /// The home branch's name (for `{branch}`).
    pub branch: String,
    /// The day their birthday falls on, for a birthday campaign.
    #[schema(value_type = Option<String>, format = Date)]
    pub birthday_on: Option<Date>,
    /// The day of their last purchase, for a win-back campaign.
    #[schema(value_type = Option<String>, format = Date)]
    pub last_purchase: Option<Date>,
    /// `send`, or why not: `refused`, `capped`, `no_phone`, `inactive`.
    pub decision: String,
}

/// What became of a campaign's messages.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct CareCounts {
    pub queued: u64,
    pub sending: u64,
    pub sent: u64,
    pub failed: u64,
    /// Decided not to send: refused marketing, over the month's cap, no phone, not active.
    pub skipped: u64,
}

/// A care campaign.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct CareCampaign {
    pub id: i64,
    pub kind: String,
    pub name: String,
    pub template: String,
    #[schema(value_type = Option<i64>)]
    pub branch_id: Option<BranchId>,
    #[schema(value_type = Object)]
    pub audience: serde_json::Value,
    pub created_by: String,
    #[schema(value_type = String)]
    pub created_at: Timestamp,
    pub counts: CareCounts,
}

/// One member's message of a campaign: the record of what was sent to whom.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct CareMessage {
    pub member_id: String,
    pub code: String,
    pub name: String,
    /// Masked.
    pub phone: Option<String>,
    pub decision: String,
    /// `queued`, `sending`, `sent`, `failed`, `skipped`.
    pub status: String,
    pub text: Option<String>,
    pub detail: Option<String>,
    #[schema(value_type = String)]
    pub updated_at: Timestamp,
}

/// A message claimed for sending by one HQ process.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CareSend {
    pub campaign: i64,
    pub member_id: String,
    pub phone: String,
    pub text: String,
}
