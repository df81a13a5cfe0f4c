//! HQ's own records: console users and their roles, tills, who did a change, and what the stores
//! return to the handlers. The shop's records (branches, staff, products, events) are `shared` types.

pub mod care;
pub mod complaints;
pub mod coupons;
pub mod member_pages;
pub mod members;
pub mod promotions;
pub mod stock;
pub mod stock_counts;
pub mod stock_reorder;
pub mod stock_reports;

pub use care::*;
pub use complaints::*;
pub use coupons::*;
pub use member_pages::*;
pub use members::*;
pub use promotions::*;
pub use stock::*;
pub use stock_counts::*;
pub use stock_reorder::*;
pub use stock_reports::*;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use shared::ids::{BranchId, TillId};
use utoipa::ToSchema;

/// What a console user may do. A branch manager is bound to one branch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything, including users.
    Admin,
    /// Reads everything; sales, audit and sync status.
    Finance,
    /// The member policy (issue 6); reads branches and the catalog.
    Marketing,
    /// Their own branch only: its tills, staff and prices.
    BranchManager,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Admin, Role::Finance, Role::Marketing, Role::BranchManager];

    pub fn code(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Finance => "finance",
            Role::Marketing => "marketing",
            Role::BranchManager => "branch_manager",
        }
    }

    pub fn parse(code: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.code() == code)
    }
}

/// A console user (never with the password hash).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// The branch of a branch manager.
    #[schema(value_type = Option<i64>)]
    pub branch_id: Option<BranchId>,
    pub active: bool,
}

impl User {
    /// Whether this user may see the data of `branch`.
    pub fn sees_branch(&self, branch: BranchId) -> bool {
        match self.role {
            Role::BranchManager => self.branch_id == Some(branch),
            _ => true,
        }
    }

    /// The only branch this user may see, if bound to one.
    pub fn branch_scope(&self) -> Option<BranchId> {
        if self.role == Role::BranchManager { self.branch_id } else { None }
    }
}

/// A new console user; the password is already hashed.
#[derive(Clone, Debug)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub branch_id: Option<BranchId>,
    pub password_hash: String,
}

/// A change to a user; `None` leaves a field as it is.
#[derive(Clone, Debug, Default)]
pub struct UserPatch {
    pub display_name: Option<String>,
    pub role: Option<Role>,
    /// `Some(None)` unbinds the branch.
    pub branch_id: Option<Option<BranchId>>,
    pub active: Option<bool>,
    pub password_hash: Option<String>,
}

/// Who made a change and from where: written to the audit log with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    /// `user:3:alice`, `till:7`, `cli:root`, `system`.
    pub who: String,
    /// The client's address, or `local` for the CLI.
    pub from: String,
}

impl Actor {
    pub fn user(user: &User, from: &str) -> Actor {
        Actor { who: format!("user:{}:{}", user.id, user.username), from: from.to_owned() }
    }

    pub fn till(till: &Till, from: &str) -> Actor {
        Actor { who: format!("till:{}", till.id), from: from.to_owned() }
    }

    pub fn cli() -> Actor {
        let name = std::env::var("USER").unwrap_or_else(|_| "unknown".into());
        Actor { who: format!("cli:{name}"), from: "local".into() }
    }

    pub fn system() -> Actor {
        Actor { who: "system".into(), from: "local".into() }
    }
}

/// Where a till is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TillStatus {
    /// Registered; waiting for its enrolment code to be used.
    AwaitingEnrolment,
    Enrolled,
    /// Refused from now on.
    Revoked,
}

/// A till as HQ knows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Till {
    #[schema(value_type = i64)]
    pub id: TillId,
    #[schema(value_type = i64)]
    pub branch_id: BranchId,
    pub branch_code: String,
    /// The till's number within its branch (the `01` of receipt `B001-01-000042`).
    pub number: u16,
    pub name: String,
    pub device_name: Option<String>,
    pub status: TillStatus,
    pub enrolment_code_expires_at: Option<Timestamp>,
    pub enrolled_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}

/// What a till's token resolves to.
#[derive(Clone, Debug)]
pub enum TokenLookup {
    Valid(Till),
    Revoked,
    Unknown,
}

/// Why an enrolment code was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EnrolRefusal {
    UnknownCode,
    Expired,
    Revoked,
}

/// A till's sync health: where its event sequence is, its clock, and the holes HQ noticed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TillSyncStatus {
    #[schema(value_type = i64)]
    pub till_id: TillId,
    #[schema(value_type = i64)]
    pub branch_id: BranchId,
    pub till_number: u16,
    /// The next sequence number HQ expects.
    pub next_seq: u64,
    pub events_accepted: u64,
    pub events_rejected: u64,
    pub last_push_at: Option<Timestamp>,
    /// Till clock minus HQ clock at the last push.
    pub clock_skew_seconds: Option<i64>,
    pub open_gaps: Vec<GapRecord>,
}

/// A hole in a till's event sequence: `expected` was due, `received` came instead.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct GapRecord {
    pub expected: u64,
    pub received: u64,
    pub detected_at: Timestamp,
    /// When the missing events arrived after all.
    pub filled_at: Option<Timestamp>,
}

/// An accepted sale HQ flagged, for the list of them across tills.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlaggedSale {
    pub till_id: shared::ids::TillId,
    pub branch_code: String,
    pub till_number: u16,
    pub receipt_no: Option<String>,
    pub received_at: Timestamp,
    pub flag: String,
}

/// An event HQ refused, kept with its reason.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct StoredEvent {
    pub id: String,
    pub seq: u64,
    pub kind: String,
    pub till_at: Timestamp,
    pub received_at: Timestamp,
    /// `accepted` or `rejected`.
    pub status: String,
    pub reason: Option<String>,
    /// What HQ's checks flagged on an accepted event for a person to look at.
    pub flags: Vec<String>,
}

/// One row of the sales list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SaleSummary {
    pub id: String,
    pub receipt_no: String,
    #[schema(value_type = i64)]
    pub branch_id: BranchId,
    #[schema(value_type = i64)]
    pub till_id: TillId,
    pub completed_at: Timestamp,
    #[schema(value_type = String, format = Date)]
    pub business_day: jiff::civil::Date,
    /// Fen.
    pub due: i64,
    pub lines: u32,
    pub tenders: u32,
    pub member_id: Option<String>,
    pub points_earned: i64,
    pub received_at: Timestamp,
}

/// One entry of the audit log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AuditRecord {
    pub id: i64,
    pub at: Timestamp,
    pub actor: String,
    /// The client's address (`local` for the CLI).
    pub from: String,
    pub action: String,
    pub entity: String,
    /// The record before the change, as JSON (an object, a list or a value), if there was one.
    #[schema(value_type = Option<serde_json::Value>)]
    pub before: Option<serde_json::Value>,
    /// The record after the change, as JSON, if there is one left.
    #[schema(value_type = Option<serde_json::Value>)]
    pub after: Option<serde_json::Value>,
    pub prev_hash: String,
    pub hash: String,
}

/// The result of checking the audit log's hash chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AuditVerdict {
    pub entries: u64,
    /// Empty when the chain is intact.
    pub problems: Vec<String>,
}

impl AuditVerdict {
    pub fn intact(&self) -> bool {
        self.problems.is_empty()
    }
}

/// A page of raw changes for a till: `(seq, Change as JSON)`.
#[derive(Clone, Debug)]
pub struct ChangePage {
    pub changes: Vec<(u64, String)>,
    pub next_cursor: u64,
    pub has_more: bool,
    pub latest: u64,
}

/// What one push did, per event, and the oldest hole still open.
#[derive(Clone, Debug)]
pub struct IngestOutcome {
    pub results: Vec<shared::sync::EventResult>,
    pub gap: Option<shared::sync::SeqGap>,
}

/// A branch's year of one metric: its months.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TargetYear {
    #[schema(value_type = i64)]
    pub branch_id: BranchId,
    pub year: i16,
    /// `sales` (fen), `new_members`, `member_share` (basis points).
    #[schema(value_type = String)]
    pub metric: shared::plans::Metric,
    /// 0: the whole branch; otherwise the sales of this category and its subcategories.
    pub category_id: i64,
    /// January to December.
    pub months: [i64; 12],
    /// `even`, `last_year` or `typed`.
    pub split: String,
}
