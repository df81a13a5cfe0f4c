//! The till ↔ HQ protocol of sync.md as serde types: till→HQ events (push), HQ→till changes (pull),
//! enrolment, and the online member calls. Every request carries [`PROTOCOL_VERSION`].

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::branch::BranchSettings;
use crate::catalog::{Category, MemberCode, Product, ProductId};
use crate::ids::{BranchId, EventId, HoldId, MemberId, MovementId, SaleId, ShiftId, StaffId, TillId};
use crate::member::{CardUid, MemberIdentifier, MemberSnapshot, Phone};
use crate::money::Money;
use crate::policy::MemberPolicy;
use crate::sale::{CompletedSale, Refund, TenderKind};
use crate::shift::{CashCount, DaySummary, MovementKind, ShiftReport};
use crate::staff::{ApprovalAction, StaffMember};
use crate::stored_value::{StoredValue, SvSplit};

/// The protocol version of these messages. HQ refuses a push or pull of a version it does not speak.
pub const PROTOCOL_VERSION: u32 = 1;

/// The header a till sends its token in (`Authorization: Bearer <token>` is accepted too).
pub const TILL_TOKEN_HEADER: &str = "x-till-token";

// ---------------------------------------------------------------------------------------------
// Enrolment

/// A till's first call: the one-time code HQ showed when the till was registered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrolRequest {
    pub protocol: u32,
    pub code: String,
    /// A name for the machine, shown at HQ (host name).
    pub device_name: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrolResponse {
    pub till: TillId,
    /// The till's number within its branch (the `01` of `B001-01-000042`).
    pub till_number: u16,
    pub branch: BranchId,
    pub branch_code: String,
    /// The secret the till sends with every request. HQ keeps only its hash.
    pub token: String,
}

// ---------------------------------------------------------------------------------------------
// Till → HQ: events

/// One event from a till's outbox.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventEnvelope {
    pub id: EventId,
    pub till: TillId,
    /// The till's event sequence number: 1, 2, 3, … without gaps, never reused.
    pub seq: u64,
    /// The till's clock when the event happened.
    pub at: Timestamp,
    pub event: Event,
}

/// Everything a till does that HQ must know.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
pub enum Event {
    SaleCompleted(CompletedSale),
    SaleRefunded(Refund),
    SaleVoided(Refund),
    ShiftOpened(ShiftOpened),
    CashMovement(CashMovement),
    ShiftClosed(ShiftClosed),
    DayClosed(DayClosed),
    MemberEnrolled(MemberEnrolment),
    Audit(AuditEntry),
}

impl Event {
    pub fn kind(&self) -> &'static str {
        match self {
            Event::SaleCompleted(_) => "sale_completed",
            Event::SaleRefunded(_) => "sale_refunded",
            Event::SaleVoided(_) => "sale_voided",
            Event::ShiftOpened(_) => "shift_opened",
            Event::CashMovement(_) => "cash_movement",
            Event::ShiftClosed(_) => "shift_closed",
            Event::DayClosed(_) => "day_closed",
            Event::MemberEnrolled(_) => "member_enrolled",
            Event::Audit(_) => "audit",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShiftOpened {
    pub shift: ShiftId,
    pub cashier: StaffId,
    pub opened_at: Timestamp,
    pub business_day: Date,
    pub float: Money,
    pub float_count: CashCount,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CashMovement {
    pub id: MovementId,
    pub shift: ShiftId,
    pub kind: MovementKind,
    pub amount: Money,
    pub reason: String,
    pub cashier: StaffId,
    pub approved_by: Option<StaffId>,
    pub at: Timestamp,
    /// For a cash top-up: the member credited.
    pub member: Option<MemberId>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShiftClosed {
    pub shift: ShiftId,
    pub cashier: StaffId,
    /// The Z report's number: per till, never reused.
    pub z_number: u32,
    pub closed_at: Timestamp,
    pub business_day: Date,
    pub count: CashCount,
    pub report: ShiftReport,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayClosed {
    pub business_day: Date,
    pub closed_by: StaffId,
    pub closed_at: Timestamp,
    /// The Z numbers of this till's shifts in the day.
    pub z_numbers: Vec<u32>,
    pub summary: DaySummary,
}

/// A member enrolled at a till (possibly offline, with a provisional id).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberEnrolment {
    pub member: MemberId,
    pub code: Option<MemberCode>,
    pub phone: Phone,
    pub name: String,
    pub birthday: Option<Date>,
    pub card_uid: Option<CardUid>,
    pub enrolled_by: StaffId,
}

/// An action that needed approval or must be traceable (overrides, drawer opens, lock-outs).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub action: ApprovalAction,
    pub actor: StaffId,
    pub approver: Option<StaffId>,
    pub detail: String,
    pub sale: Option<SaleId>,
}

/// A batch of events, in sequence order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushRequest {
    pub protocol: u32,
    pub till: TillId,
    pub events: Vec<EventEnvelope>,
    /// The till's clock when it sent the batch. HQ measures clock skew from it; without it HQ falls
    /// back to the batch's newest event, which overstates the skew of a backlog sent after an outage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_at: Option<Timestamp>,
}

/// What HQ did with one event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum EventOutcome {
    Accepted,
    /// HQ already had it (a resend); nothing was applied again.
    Duplicate,
    Rejected {
        reason: String,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventResult {
    pub id: EventId,
    pub seq: u64,
    pub outcome: EventOutcome,
}

/// A hole in a till's event sequence that HQ noticed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeqGap {
    pub expected: u64,
    pub received: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushResponse {
    pub results: Vec<EventResult>,
    /// HQ's clock when it received the batch.
    pub received_at: Timestamp,
    /// Till clock minus HQ clock, in seconds, from the request's `sent_at` (else the batch's newest event).
    pub clock_skew_seconds: i64,
    pub clock_warning: Option<String>,
    pub gap: Option<SeqGap>,
    /// The head of HQ's audit chain, sent back for a batch that closes a day: the till keeps it
    /// as a witness `hq-server audit verify --witnesses` checks the chain against.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit_head: Option<AuditHead>,
}

/// One entry of HQ's audit chain by its id and keyed hash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditHead {
    pub id: i64,
    pub hash: String,
}

// ---------------------------------------------------------------------------------------------
// HQ → till: changes

/// A till's price at its branch, replacing the retail price (`None`: back to retail).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BranchPrice {
    pub product: ProductId,
    pub price: Option<Money>,
    pub member_price: Option<Money>,
}

/// One thing a till must know.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
pub enum Change {
    Branch(BranchSettings),
    Staff(StaffMember),
    Category(Category),
    Product(Product),
    BranchPrice(BranchPrice),
    Policy(MemberPolicy),
    Member(MemberSnapshot),
    /// A member enrolled twice (same phone) was merged: `from` now means `into`.
    MemberMerged {
        from: MemberId,
        into: MemberId,
    },
    /// A promotion published, changed or withdrawn at a version of HQ's promotion set.
    Promotion(PromotionChange),
    /// A coupon campaign created, changed or ended: what its coupons give and the offline rule.
    CouponCampaign(crate::promotions::coupons::CouponCampaign),
}

/// One promotion as of a version of HQ's promotion set: published or changed (`promotion` is the
/// promotion as it now stands) or withdrawn (`None`: it no longer applies from this version on).
/// A till's set is the newest of each id it has pulled, at the highest version it has seen.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromotionChange {
    pub version: u64,
    pub id: crate::promotions::PromotionId,
    pub promotion: Option<crate::promotions::Promotion>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeEnvelope {
    /// HQ's global change sequence number.
    pub seq: u64,
    pub change: Change,
}

/// One page of changes after the till's cursor.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullResponse {
    pub changes: Vec<ChangeEnvelope>,
    /// The cursor to ask from next (the last change's seq, or the request's cursor).
    pub next_cursor: u64,
    pub has_more: bool,
    /// HQ's newest change sequence: with the cursor, how far the till is behind (for progress).
    pub latest: u64,
}

// ---------------------------------------------------------------------------------------------
// Online member calls

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberLookupRequest {
    pub by: MemberIdentifier,
    /// A scanned rotating code (`member_code`; `by` is then its member number): HQ answers only
    /// if the code is the member's and of now (one step either side), else refuses with one of
    /// [`member_code_refusal`]'s codes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotating_code: Option<String>,
}

/// The codes HQ refuses a lookup by rotating code with (409, `error.code`).
pub mod member_code_refusal {
    /// The member's code, but of an older step: the member shows the code again.
    pub const EXPIRED: &str = "member_code_expired";
    /// Not made with the member's secret (or the member has none, or signed out everywhere since).
    pub const NOT_VALID: &str = "member_code_not_valid";
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberLookupResponse {
    pub member: MemberSnapshot,
    pub policy_version: u32,
    /// The member's sales that received each per-member-limited promotion so far, as pairs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub promotion_uses: Vec<(crate::promotions::PromotionId, u32)>,
    /// True when the request carried a rotating code and HQ checked it: a till refuses an answer
    /// without it (an HQ from before rotating codes would ignore the code and answer by number).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub code_checked: bool,
}

/// What a hold reserves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum HoldAmount {
    /// `points` reserved to pay `value`.
    Points {
        points: i64,
        value: Money,
    },
    StoredValue {
        amount: Money,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HoldRequest {
    /// Chosen by the till so a retried request is not held twice.
    pub hold: HoldId,
    pub member: MemberId,
    pub sale: SaleId,
    pub amount: HoldAmount,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HoldResponse {
    pub hold: HoldId,
    pub expires_at: Timestamp,
    /// For stored value: how the amount divides into principal and bonus.
    pub split: Option<SvSplit>,
    /// Usable balances after the hold.
    pub points_available: i64,
    pub stored_value_available: StoredValue,
}

/// A till asks HQ to hold a coupon for a sale (like points): HQ checks the code, its owner and its
/// validity and reserves it atomically, so two tills presenting one coupon get one hold between
/// them. The sale's event captures it; an abandoned hold is released or expires.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CouponHoldRequest {
    /// Chosen by the till so a retried request is not held twice.
    pub hold: HoldId,
    pub sale: SaleId,
    /// The code as scanned or typed.
    pub code: String,
    /// The member on the sale, if any: a coupon of another member is refused.
    pub member: Option<MemberId>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CouponHoldResponse {
    pub hold: HoldId,
    /// The code as HQ writes it.
    pub code: String,
    /// What the coupon gives, as the till applies it.
    pub coupon: crate::promotions::coupons::Coupon,
    /// The member the coupon was issued to.
    pub member: MemberId,
    /// The last moment the coupon may be used.
    pub valid_until: Timestamp,
    /// When HQ gives the hold back if no sale captures it.
    pub expires_at: Timestamp,
}

/// The stable codes of HQ's refusals of a coupon hold (the `error` of the JSON body, HTTP 409).
pub mod coupon_refusal {
    /// No coupon has this code (or its secret is wrong).
    pub const UNKNOWN: &str = "coupon_unknown";
    pub const EXPIRED: &str = "coupon_expired";
    pub const NOT_YET_VALID: &str = "coupon_not_yet_valid";
    /// Already used by a completed sale.
    pub const USED: &str = "coupon_used";
    /// Held for another sale that is still paying.
    pub const HELD: &str = "coupon_held";
    pub const OTHER_MEMBER: &str = "coupon_other_member";
    pub const CAMPAIGN_ENDED: &str = "coupon_campaign_ended";
}

/// A coupon a member can use now, for the till's "pick from the member's coupons".
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberCoupon {
    pub code: String,
    pub coupon: crate::promotions::coupons::Coupon,
    pub valid_until: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberCouponsResponse {
    /// Usable now (issued, in its validity, not used, not held by another sale), soonest to
    /// expire first.
    pub coupons: Vec<MemberCoupon>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopUpRequest {
    /// Chosen by the till; a retried top-up is applied once.
    pub id: EventId,
    pub member: MemberId,
    pub amount: Money,
    pub tender: TenderKind,
    pub shift: ShiftId,
    pub cashier: StaffId,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopUpResponse {
    pub split: SvSplit,
    pub balance: StoredValue,
}

/// HQ's record of a sale and every refund or void of it, wherever they were made: what a till needs
/// to take a return of a sale made at another till.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaleHistory {
    pub sale: CompletedSale,
    pub refunds: Vec<Refund>,
}

/// The body of every 4xx / 5xx answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// A stable machine-readable code, e.g. `till_revoked`, `validation`.
    pub error: String,
    /// A human-readable explanation naming the problem.
    pub message: String,
}
