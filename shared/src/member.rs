//! Members as the till sees them: how a member is identified at the till, and the snapshot HQ sends.

use std::fmt;

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::catalog::{BarcodeError, MemberCode, mask_tail};
use crate::ids::{BranchId, MemberId};
use crate::money::Money;
use crate::stored_value::StoredValue;

/// A mainland-China mobile number: 11 digits starting with 1.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Phone(String);

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("`{0}` is not an 11-digit mobile number starting with 1")]
    Invalid(String),
}

impl Phone {
    /// Accepts `13812345678`, `138 1234 5678`, `138-1234-5678` and a `+86` prefix.
    pub fn parse(text: &str) -> Result<Phone, PhoneError> {
        let digits: String =
            text.trim().trim_start_matches("+86").chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        if digits.len() == 11 && digits.starts_with('1') && digits.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Phone(digits))
        } else {
            Err(PhoneError::Invalid(text.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `138****5678`, the form shown on screens and receipts.
    pub fn masked(&self) -> String {
        format!("{}****{}", &self.0[..3], &self.0[7..])
    }
}

impl TryFrom<String> for Phone {
    type Error = PhoneError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Phone::parse(&s)
    }
}

impl From<Phone> for String {
    fn from(p: Phone) -> String {
        p.0
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A contactless card UID as a reader sends it: 8 or 14 hex characters, or 10 decimal digits.
/// Stored upper-case.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CardUid(String);

impl CardUid {
    pub fn parse(text: &str) -> Result<CardUid, BarcodeError> {
        let t = text.trim();
        let ok = match t.len() {
            8 | 14 => t.bytes().all(|b| b.is_ascii_hexdigit()),
            10 => t.bytes().all(|b| b.is_ascii_digit()),
            0 => return Err(BarcodeError::Empty),
            _ => false,
        };
        if ok { Ok(CardUid(t.to_ascii_uppercase())) } else { Err(BarcodeError::NotDigits(t.to_owned())) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for CardUid {
    type Error = BarcodeError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        CardUid::parse(&s)
    }
}

impl From<CardUid> for String {
    fn from(u: CardUid) -> String {
        u.0
    }
}

/// How the cashier identified a member: what a sale carries when the member could not be looked
/// up (offline, unknown card), so HQ can attribute it later.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "by", content = "value", rename_all = "snake_case")]
pub enum MemberIdentifier {
    Code(MemberCode),
    Uid(CardUid),
    Phone(Phone),
}

impl MemberIdentifier {
    /// The identifier as it may appear on a screen or receipt: masked.
    pub fn masked(&self) -> String {
        match self {
            MemberIdentifier::Code(c) => c.masked(),
            MemberIdentifier::Uid(u) => mask_tail(u.as_str(), 4),
            MemberIdentifier::Phone(p) => p.masked(),
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MemberStatus {
    #[default]
    Active,
    /// Blocked by HQ: cannot earn or spend.
    Blocked,
    /// Merged into another member; lookups follow the merge.
    Merged,
}

/// What a till knows of a member: HQ's answer to a lookup, and what HQ sends for the offline cache.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberSnapshot {
    pub id: MemberId,
    pub code: MemberCode,
    pub phone: Option<Phone>,
    pub name: String,
    pub birthday: Option<Date>,
    pub tier: String,
    pub status: MemberStatus,
    pub home_branch: Option<BranchId>,
    pub card_uids: Vec<CardUid>,
    /// Usable points at the time of the snapshot (may be negative after a refund).
    pub points: i64,
    pub stored_value: StoredValue,
    /// What the member may redeem today without HQ (per the policy's offline caps).
    pub offline_points_cap: i64,
    pub offline_stored_value_cap: Money,
    /// The secret of the member's rotating code (`member_code`), once the member has signed in to
    /// the member pages: a till checks a scanned code with it, offline too. Never shown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_secret: Option<crate::member_code::MemberSecret>,
}

impl MemberSnapshot {
    pub fn can_redeem(&self) -> bool {
        self.status == MemberStatus::Active && self.points > 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones() {
        assert_eq!(Phone::parse("138 1234 5678").map(|p| p.masked()), Ok("138****5678".into()));
        assert_eq!(Phone::parse("+8613812345678").map(|p| p.to_string()), Ok("13812345678".into()));
        assert!(Phone::parse("23812345678").is_err());
        assert!(Phone::parse("1381234567").is_err());
        assert!(Phone::parse("1381234567a").is_err());
    }

    #[test]
    fn uids() {
        assert_eq!(CardUid::parse("04a1b2c3").map(|u| u.as_str().to_owned()), Ok("04A1B2C3".into()));
        assert!(CardUid::parse("04A1B2C3D4E5F6").is_ok());
        assert!(CardUid::parse("1234567890").is_ok());
        assert!(CardUid::parse("123456789").is_err());
        assert!(CardUid::parse("123456789Z").is_err());
        assert!(CardUid::parse("").is_err());
    }
}
