//! What the member pages (会员 手机版) read and write: sign-in codes, members' sessions, the home
//! page's figures, the history and the SMS log.

use jiff::Timestamp;
use jiff::civil::Date;
use serde::Serialize;
use shared::ids::MemberId;
use shared::member::Phone;
use shared::money::Money;
use shared::stored_value::StoredValue;

use super::{LedgerRow, MemberCoupons, MemberRecord};

/// How a sign-in code check came out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SignInCheck {
    /// The code was right and is now used: the phone's member, if it is one's.
    Right(Option<MemberId>),
    /// Wrong, or no code is live for the phone (expired, used, never sent): the same answer,
    /// with the tries the live code has left (0 when there is none).
    Wrong { tries_left: u32 },
}

/// A member's session on a phone: the number it signed in with and the member (none while a new
/// number is enrolling itself).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberSession {
    pub phone: Phone,
    pub member: Option<MemberId>,
    pub expires_at: Timestamp,
}

/// What a member changes of themselves; `None` leaves a field as it is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OwnProfile {
    pub name: Option<String>,
    /// Set once by the member (a change after that goes through HQ's staff).
    pub birthday: Option<Date>,
    pub marketing_consent: Option<bool>,
}

/// The member pages' home: the member and the figures of their cards.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberHome {
    pub member: MemberRecord,
    pub tier_name: String,
    /// The tier above, its name and the spend still needed (zero: reached, moved up at the next evaluation).
    pub next_tier: Option<(String, Money)>,
    /// Qualifying spend over the trailing 365 days.
    pub trailing_spend: Money,
    /// Points usable now (after holds).
    pub points: i64,
    /// The first date points expire on, and how many then.
    pub next_expiry: Option<(Date, i64)>,
    /// Stored value spendable now (after holds).
    pub stored_value: StoredValue,
    /// The first few coupons of each shelf, with how many each holds.
    pub coupons: MemberCoupons,
}

/// One line of a receipt as the history shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HistoryLine {
    pub name: String,
    /// Thousandths (a piece is 1000; weighed goods are grams).
    pub qty: i64,
    /// Fen.
    pub net: i64,
}

/// One ledger entry with where it happened and, for a sale or a return, the receipt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HistoryEntry {
    pub entry: LedgerRow,
    pub branch_name: Option<String>,
    pub receipt_no: Option<String>,
    /// When the sale or return happened at the till (the entry's own time is when HQ recorded it,
    /// later for a till that was offline).
    pub happened_at: Option<jiff::Timestamp>,
    pub lines: Vec<HistoryLine>,
}

/// A page of history, newest first, and where the next page starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistoryPage {
    pub entries: Vec<HistoryEntry>,
    /// The cursor of the next (older) page, if there is one.
    pub next: Option<String>,
}

/// A text message HQ sent or tried to send.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SmsLogRow {
    pub phone: String,
    /// `sign_in`, …
    pub purpose: String,
    pub at: Timestamp,
    /// `sent`, `failed: …`.
    pub outcome: String,
}
