//! The till's view of HQ's online services: member lookup, holds on points and stored value,
//! top-ups, and HQ's record of sales made at other tills (for returns). The sync layer implements
//! [`MemberAuthority`] against HQ over HTTP; [`Offline`] is the till with no HQ; [`InMemoryAuthority`]
//! is a fake with real rules for tests and demos.
//!
//! Calls block for at most the implementation's short timeout and never longer: when HQ does not
//! answer, they return [`AuthorityError::Unavailable`] and the till offers what works offline.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use jiff::{SignedDuration, Timestamp};
use shared::ids::{HoldId, MemberId};
use shared::member::{MemberIdentifier, MemberSnapshot};
use shared::money::Money;
use shared::receipt::ReceiptNo;
use shared::sale::{CompletedSale, Refund};
use shared::stored_value::{StoredValue, SvSplit, TopUpRule};
use shared::sync::{HoldAmount, HoldRequest, HoldResponse, MemberLookupResponse, TopUpRequest, TopUpResponse};

/// Why an online call did not succeed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AuthorityError {
    /// HQ could not be reached in time (or this till has no HQ).
    #[error("HQ is not reachable: {0}")]
    Unavailable(String),
    /// HQ answered no, with its reason (insufficient balance, blocked member, ...).
    #[error("{message}")]
    Refused { code: String, message: String },
    /// HQ does not know the member or sale.
    #[error("not found")]
    NotFound,
}

/// HQ's online services as the till engine uses them.
pub trait MemberAuthority: Send {
    fn lookup(&self, by: &MemberIdentifier) -> Result<MemberLookupResponse, AuthorityError>;
    /// Atomically checks and reserves points or stored value; the sale event captures it.
    fn hold(&self, request: &HoldRequest) -> Result<HoldResponse, AuthorityError>;
    /// Gives back a hold the till no longer needs (tender removed, sale abandoned).
    fn release(&self, hold: HoldId) -> Result<(), AuthorityError>;
    fn top_up(&self, request: &TopUpRequest) -> Result<TopUpResponse, AuthorityError>;
    /// HQ's record of a sale and its refunds, wherever they were made.
    fn sale_history(&self, receipt: &ReceiptNo) -> Result<(CompletedSale, Vec<Refund>), AuthorityError>;
}

/// A till without HQ: every online call is unavailable.
#[derive(Clone, Copy, Debug, Default)]
pub struct Offline;

impl MemberAuthority for Offline {
    fn lookup(&self, _: &MemberIdentifier) -> Result<MemberLookupResponse, AuthorityError> {
        Err(AuthorityError::Unavailable("this till is not connected to HQ".into()))
    }
    fn hold(&self, _: &HoldRequest) -> Result<HoldResponse, AuthorityError> {
        Err(AuthorityError::Unavailable("this till is not connected to HQ".into()))
    }
    fn release(&self, _: HoldId) -> Result<(), AuthorityError> {
        Err(AuthorityError::Unavailable("this till is not connected to HQ".into()))
    }
    fn top_up(&self, _: &TopUpRequest) -> Result<TopUpResponse, AuthorityError> {
        Err(AuthorityError::Unavailable("this till is not connected to HQ".into()))
    }
    fn sale_history(&self, _: &ReceiptNo) -> Result<(CompletedSale, Vec<Refund>), AuthorityError> {
        Err(AuthorityError::Unavailable("this till is not connected to HQ".into()))
    }
}

/// An in-memory HQ with the real member rules (holds are checked and reserved atomically under one
/// lock), used by tests and demos. Cloning shares the same state, so two tills can use one.
#[derive(Clone, Default)]
pub struct InMemoryAuthority {
    inner: Arc<Mutex<FakeHq>>,
}

#[derive(Default)]
struct FakeHq {
    online: bool,
    members: HashMap<MemberId, MemberSnapshot>,
    /// A hold's member, amount, expiry, and for stored value the split HQ reserved.
    holds: HashMap<HoldId, (MemberId, HoldAmount, Timestamp, Option<SvSplit>)>,
    topups: HashMap<shared::ids::EventId, TopUpResponse>,
    topup_rules: Vec<TopUpRule>,
    sales: HashMap<ReceiptNo, (CompletedSale, Vec<Refund>)>,
    policy_version: u32,
}

impl InMemoryAuthority {
    pub fn new() -> InMemoryAuthority {
        let a = InMemoryAuthority::default();
        a.state().online = true;
        a.state().policy_version = 1;
        a
    }

    fn state(&self) -> MutexGuard<'_, FakeHq> {
        // A panic while holding the lock in a test leaves plain data behind; keep using it.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn set_online(&self, online: bool) {
        self.state().online = online;
    }

    pub fn add_member(&self, m: MemberSnapshot) {
        self.state().members.insert(m.id, m);
    }

    pub fn set_topup_rules(&self, rules: Vec<TopUpRule>) {
        self.state().topup_rules = rules;
    }

    /// The member as HQ sees it now (balances after holds are not subtracted).
    pub fn member(&self, id: MemberId) -> Option<MemberSnapshot> {
        self.state().members.get(&id).cloned()
    }

    /// Records a sale as if its event had reached HQ: captures its holds, credits points earned.
    pub fn ingest_sale(&self, sale: &CompletedSale) {
        let mut s = self.state();
        for t in &sale.tenders {
            if let Some(h) = t.hold
                && let Some((member, amount, _, split)) = s.holds.remove(&h)
                && let Some(m) = s.members.get_mut(&member)
            {
                match (amount, split) {
                    (HoldAmount::Points { points, .. }, _) => m.points -= points,
                    (HoldAmount::StoredValue { .. }, Some(split)) => m.stored_value = m.stored_value.minus(split),
                    (HoldAmount::StoredValue { .. }, None) => {}
                }
            }
        }
        if let Some(member) = sale.member.as_ref().and_then(|m| m.member_id)
            && let Some(m) = s.members.get_mut(&member)
        {
            m.points += sale.points_earned();
            m.stored_value.principal += sale.change_to_stored_value;
        }
        s.sales.insert(sale.receipt_no.clone(), (sale.clone(), Vec::new()));
    }

    /// Records a refund as if its event had reached HQ.
    pub fn ingest_refund(&self, refund: &Refund) {
        let mut s = self.state();
        if let Some(no) = &refund.original_receipt
            && let Some((_, refunds)) = s.sales.get_mut(no)
        {
            refunds.push(refund.clone());
        }
        if let Some(member) = refund.member.as_ref().and_then(|m| m.member_id)
            && let Some(m) = s.members.get_mut(&member)
        {
            m.points += refund.points_restored - refund.points_taken_back;
            for t in &refund.tenders {
                if let Some(split) = t.stored_value {
                    m.stored_value = m.stored_value.plus(split);
                }
            }
        }
    }

    /// What the member's holds reserve: points, and stored value in each hold's own split (as HQ
    /// keeps it), not the split of their total against today's balance.
    fn held(s: &FakeHq, member: MemberId) -> (i64, StoredValue) {
        s.holds.values().filter(|(m, ..)| *m == member).fold((0, StoredValue::default()), |(p, v), (_, a, _, split)| {
            match (a, split) {
                (HoldAmount::Points { points, .. }, _) => (p + points, v),
                (HoldAmount::StoredValue { .. }, Some(split)) => (p, v.plus(*split)),
                (HoldAmount::StoredValue { .. }, None) => (p, v),
            }
        })
    }

    fn available(s: &FakeHq, m: &MemberSnapshot) -> (i64, StoredValue) {
        let (p, held) = Self::held(s, m.id);
        let sv = StoredValue {
            principal: m.stored_value.principal - held.principal,
            bonus: m.stored_value.bonus - held.bonus,
        };
        (m.points - p, sv)
    }

    fn offline_check(s: &FakeHq) -> Result<(), AuthorityError> {
        if s.online { Ok(()) } else { Err(AuthorityError::Unavailable("HQ is offline".into())) }
    }
}

impl MemberAuthority for InMemoryAuthority {
    fn lookup(&self, by: &MemberIdentifier) -> Result<MemberLookupResponse, AuthorityError> {
        let s = self.state();
        Self::offline_check(&s)?;
        let found = s.members.values().find(|m| match by {
            MemberIdentifier::Code(c) => &m.code == c,
            MemberIdentifier::Phone(p) => m.phone.as_ref() == Some(p),
            MemberIdentifier::Uid(u) => m.card_uids.contains(u),
        });
        let m = found.ok_or(AuthorityError::NotFound)?;
        let (points, stored_value) = Self::available(&s, m);
        Ok(MemberLookupResponse {
            member: MemberSnapshot { points, stored_value, ..m.clone() },
            policy_version: s.policy_version,
        })
    }

    fn hold(&self, request: &HoldRequest) -> Result<HoldResponse, AuthorityError> {
        let mut s = self.state();
        Self::offline_check(&s)?;
        let m = s.members.get(&request.member).cloned().ok_or(AuthorityError::NotFound)?;
        if m.status != shared::member::MemberStatus::Active {
            return Err(AuthorityError::Refused {
                code: "member_blocked".into(),
                message: "the member is blocked".into(),
            });
        }
        let expires_at = Timestamp::now() + SignedDuration::from_mins(15);
        if s.holds.contains_key(&request.hold) {
            let (points_available, stored_value_available) = Self::available(&s, &m);
            return Ok(HoldResponse {
                hold: request.hold,
                expires_at,
                split: None,
                points_available,
                stored_value_available,
            });
        }
        let (points, sv) = Self::available(&s, &m);
        let split = match request.amount {
            HoldAmount::Points { points: wanted, .. } => {
                if wanted <= 0 || wanted > points {
                    return Err(AuthorityError::Refused {
                        code: "insufficient_points".into(),
                        message: format!("{points} points available, {wanted} asked"),
                    });
                }
                None
            }
            HoldAmount::StoredValue { amount } => Some(sv.spend_split(amount).map_err(|e| {
                AuthorityError::Refused { code: "insufficient_stored_value".into(), message: e.to_string() }
            })?),
        };
        s.holds.insert(request.hold, (request.member, request.amount, expires_at, split));
        let (points_available, stored_value_available) = Self::available(&s, &m);
        Ok(HoldResponse { hold: request.hold, expires_at, split, points_available, stored_value_available })
    }

    fn release(&self, hold: HoldId) -> Result<(), AuthorityError> {
        let mut s = self.state();
        Self::offline_check(&s)?;
        s.holds.remove(&hold);
        Ok(())
    }

    fn top_up(&self, request: &TopUpRequest) -> Result<TopUpResponse, AuthorityError> {
        let mut s = self.state();
        Self::offline_check(&s)?;
        if let Some(done) = s.topups.get(&request.id) {
            return Ok(done.clone());
        }
        let rules = s.topup_rules.clone();
        let m = s.members.get_mut(&request.member).ok_or(AuthorityError::NotFound)?;
        let (balance, split) = m
            .stored_value
            .top_up(request.amount, &rules)
            .map_err(|e| AuthorityError::Refused { code: "validation".into(), message: e.to_string() })?;
        m.stored_value = balance;
        let response = TopUpResponse { split, balance };
        s.topups.insert(request.id, response.clone());
        Ok(response)
    }

    fn sale_history(&self, receipt: &ReceiptNo) -> Result<(CompletedSale, Vec<Refund>), AuthorityError> {
        let s = self.state();
        Self::offline_check(&s)?;
        s.sales.get(receipt).cloned().ok_or(AuthorityError::NotFound)
    }
}

/// The stored-value split HQ would use for `amount` (principal first), for an offline tender.
pub fn offline_split(balance: &StoredValue, amount: Money) -> Option<SvSplit> {
    balance.spend_split(amount).ok()
}
