//! Complaints as HQ keeps them (the rule is `crate::complaints`): categories with their due time,
//! complaints with where they stand, every change to one with who made it and when, and what the
//! store is asked for.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use shared::ids::{BranchId, MemberId};
use utoipa::ToSchema;

use crate::complaints::{Action, ComplaintState, ResolveTimes};

/// A kind of complaint (商品质量, 服务态度, …) and how many hours one has to be resolved.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ComplaintCategory {
    pub id: i64,
    pub name: String,
    pub due_hours: u32,
    /// An inactive category keeps its complaints but takes no new ones.
    pub active: bool,
}

/// Where a complaint came in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ComplaintSource {
    /// A console user (the console or the API).
    Staff,
    /// A till, from the manager's menu.
    Till,
    /// The member, on the member pages.
    Member,
}

impl ComplaintSource {
    pub fn code(self) -> &'static str {
        match self {
            ComplaintSource::Staff => "staff",
            ComplaintSource::Till => "till",
            ComplaintSource::Member => "member",
        }
    }

    pub fn parse(code: &str) -> Option<ComplaintSource> {
        [ComplaintSource::Staff, ComplaintSource::Till, ComplaintSource::Member].into_iter().find(|s| s.code() == code)
    }
}

/// A complaint to record. The store checks what it names (member, branch, category) and the
/// texts' bounds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewComplaint {
    pub member: Option<MemberId>,
    pub branch: BranchId,
    pub receipt_no: Option<String>,
    /// `None` is refused: every complaint has a category (it sets the due time).
    pub category: Option<i64>,
    pub text: String,
    pub source: ComplaintSource,
    /// A till's id for the request, so a complaint sent again is recorded once.
    pub request_id: Option<String>,
}

/// A complaint and where it stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Complaint {
    pub id: i64,
    #[schema(value_type = Option<String>)]
    pub member_id: Option<MemberId>,
    pub member_code: Option<String>,
    pub member_name: Option<String>,
    #[schema(value_type = i64)]
    pub branch_id: BranchId,
    pub branch_code: String,
    pub receipt_no: Option<String>,
    pub category_id: i64,
    pub category_name: String,
    pub text: String,
    pub state: ComplaintState,
    /// The console user it is assigned to.
    pub assignee_id: Option<i64>,
    pub assignee_name: Option<String>,
    pub resolution: Option<String>,
    pub source: ComplaintSource,
    /// Who recorded it (`user:3:alice`, `till:7`, `member:…`).
    pub created_by: String,
    pub created_at: Timestamp,
    pub due_at: Timestamp,
    /// When it was last resolved (cleared when reopened).
    pub resolved_at: Option<Timestamp>,
    pub updated_at: Timestamp,
    /// Past its due time and not resolved, at the time of the answer.
    pub overdue: bool,
}

/// One change to a complaint: who, when, what, from which state to which.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ComplaintEntry {
    pub at: Timestamp,
    pub actor: String,
    /// `create`, or an action's code.
    pub action: String,
    pub from_state: Option<ComplaintState>,
    pub to_state: ComplaintState,
    /// The resolution, the assignee's name, a note.
    pub note: String,
}

/// A complaint with every change made to it, oldest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ComplaintDetail {
    pub complaint: Complaint,
    pub history: Vec<ComplaintEntry>,
}

/// Which complaints a list shows, newest first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ComplaintFilter {
    pub state: Option<ComplaintState>,
    pub branch: Option<BranchId>,
    pub category: Option<i64>,
    pub member: Option<MemberId>,
    /// Only those past their due time and not resolved.
    pub overdue: bool,
    /// Only ids below this (paging).
    pub before: Option<i64>,
    pub limit: u32,
}

/// A change to make to a complaint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ComplaintChange {
    /// To this console user.
    Assign {
        user: i64,
    },
    Start,
    Resolve {
        resolution: String,
    },
    Confirm,
    Close,
    Reopen {
        note: String,
    },
}

impl ComplaintChange {
    pub fn action(&self) -> Action {
        match self {
            ComplaintChange::Assign { .. } => Action::Assign,
            ComplaintChange::Start => Action::Start,
            ComplaintChange::Resolve { .. } => Action::Resolve,
            ComplaintChange::Confirm => Action::Confirm,
            ComplaintChange::Close => Action::Close,
            ComplaintChange::Reopen { .. } => Action::Reopen,
        }
    }
}

/// A complaint as the report counts it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ComplaintFact {
    pub branch_id: BranchId,
    pub branch_code: String,
    pub category_id: i64,
    pub category_name: String,
    pub state: ComplaintState,
    pub created_at: Timestamp,
    pub due_at: Timestamp,
    pub resolved_at: Option<Timestamp>,
}

/// Complaints filed in a period, counted by category and by branch, with their times to resolve.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ComplaintReport {
    #[schema(value_type = String, format = Date)]
    pub from: jiff::civil::Date,
    #[schema(value_type = String, format = Date)]
    pub to: jiff::civil::Date,
    pub total: ComplaintCounts,
    pub by_category: Vec<ComplaintCounts>,
    pub by_branch: Vec<ComplaintCounts>,
}

/// One row of the report.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ComplaintCounts {
    /// The category's or branch's id (0 for the total).
    pub id: i64,
    /// The category's name or the branch's code (empty for the total).
    pub name: String,
    pub filed: u64,
    /// Open or in progress now.
    pub unresolved: u64,
    /// Unresolved and past their due time now.
    pub overdue: u64,
    /// Resolved, confirmed or closed now, with the times from filing to the last resolution.
    pub times: ResolveTimes,
}
