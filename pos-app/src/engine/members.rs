//! Members at the till: enrolling a new member (an event HQ may merge by phone) and topping up
//! stored value (online, through HQ).

use jiff::civil::Date;
use shared::catalog::MemberCode;
use shared::ids::{EventId, MemberId, MovementId};
use shared::member::{CardUid, MemberIdentifier, MemberSnapshot, MemberStatus, Phone};
use shared::money::Money;
use shared::sale::TenderKind;
use shared::shift::MovementKind;
use shared::stored_value::StoredValue;
use shared::sync::{CashMovement, Event, MemberEnrolment, TopUpRequest, TopUpResponse};

use super::{Till, TillError, TillResult};
use crate::store::records;

/// What the cashier enters to enrol a member.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Enrolment {
    pub phone: Phone,
    pub name: String,
    pub birthday: Option<Date>,
    /// The code of the (pre-printed) card handed over, if any.
    pub code: Option<MemberCode>,
    pub card_uid: Option<CardUid>,
}

/// The `meta` key of the last top-up HQ did not answer: `member amount tender request-id`.
const UNANSWERED_TOP_UP: &str = "unanswered_top_up";

impl Till {
    /// Enrols a member here, online or not: the member gets a provisional id and can be attached at
    /// once; HQ confirms it, or merges it into the member who already has that phone number.
    pub fn enrol_member(&mut self, e: Enrolment) -> TillResult<MemberSnapshot> {
        let cashier = self.cashier()?.id;
        if e.name.trim().is_empty() {
            return Err(TillError::Invalid("a name is needed".into()));
        }
        if let Some(existing) = self.store.cached_member(&MemberIdentifier::Phone(e.phone.clone()))? {
            return Ok(existing);
        }
        let policy = self.policy()?;
        let id = MemberId::new();
        let snapshot = MemberSnapshot {
            id,
            // Without a card, the phone number stands in as the member's number until HQ assigns one.
            code: match &e.code {
                Some(c) => c.clone(),
                None => MemberCode::parse(e.phone.as_str())?,
            },
            phone: Some(e.phone.clone()),
            name: e.name.trim().to_owned(),
            birthday: e.birthday,
            tier: policy.as_ref().map(|p| p.tiers.entry().code.clone()).unwrap_or_default(),
            status: MemberStatus::Active,
            home_branch: Some(self.branch()?.id),
            card_uids: e.card_uid.iter().cloned().collect(),
            points: 0,
            stored_value: StoredValue::default(),
            offline_points_cap: 0,
            offline_stored_value_cap: Money::ZERO,
            code_secret: None,
        };
        let event = Event::MemberEnrolled(MemberEnrolment {
            member: id,
            code: e.code,
            phone: e.phone,
            name: snapshot.name.clone(),
            birthday: e.birthday,
            card_uid: e.card_uid,
            enrolled_by: cashier,
        });
        let stamp = self.stamp();
        self.store.durable(|tx| {
            crate::store::catalog::upsert_member(tx, &snapshot, true)?;
            stamp.enqueue(tx, &event)
        })?;
        Ok(snapshot)
    }

    /// Tops up a member's stored value (HQ must be online), paid in cash or by bank card. When HQ
    /// does not answer in time the top-up may or may not have been applied there: the till says HQ
    /// is unavailable, and the same top-up tried again is sent under the same request id, so it is
    /// applied at most once and recorded in the drawer once it is confirmed.
    pub fn top_up(&mut self, by: &MemberIdentifier, amount: Money, tender: TenderKind) -> TillResult<TopUpResponse> {
        let shift = self.my_shift()?;
        let cashier = self.cashier()?.id;
        if amount.0 <= 0 {
            return Err(TillError::Invalid("the amount must be above zero".into()));
        }
        let kind = match tender {
            TenderKind::Cash => MovementKind::CashTopUp,
            TenderKind::BankCard => MovementKind::CardTopUp,
            _ => return Err(TillError::Invalid("top up with cash or a bank card".into())),
        };
        let member = self.authority.lookup(by)?.member;
        if member.status != MemberStatus::Active {
            return Err(TillError::MemberBlocked);
        }
        // A top-up HQ did not answer in time may have been applied there: the same top-up tried
        // again (same member, amount and tender) goes with the same request id, so HQ, which keeps
        // top-ups by id, answers what it did the first time instead of crediting twice.
        let key = format!("{} {} {}", member.id, amount.0, tender.code());
        let id = match self.store.meta(UNANSWERED_TOP_UP)?.and_then(|v| {
            let (k, id) = v.rsplit_once(' ')?;
            (k == key).then(|| EventId::parse(id).ok()).flatten()
        }) {
            Some(id) => id,
            None => EventId::new(),
        };
        let answer =
            self.authority.top_up(&TopUpRequest { id, member: member.id, amount, tender, shift: shift.id, cashier });
        let response = match answer {
            Err(e @ crate::authority::AuthorityError::Unavailable(_)) => {
                self.store.set_meta(UNANSWERED_TOP_UP, &format!("{key} {id}"))?;
                return Err(e.into());
            }
            other => {
                self.store.set_meta(UNANSWERED_TOP_UP, "")?;
                other?
            }
        };
        let stamp = self.stamp();
        let movement = CashMovement {
            id: MovementId(id.0),
            shift: shift.id,
            kind,
            amount,
            reason: format!("top-up {}", member.code.masked()),
            cashier,
            approved_by: None,
            at: stamp.at,
            member: Some(member.id),
        };
        self.store.durable(|tx| {
            records::insert_movement(tx, &movement)?;
            stamp.enqueue(tx, &Event::CashMovement(movement.clone()))
        })?;
        if tender == TenderKind::Cash {
            self.devices.open_drawer();
        }
        Ok(response)
    }
}
