//! An accepted event's effects on members: points earned and taken back, holds captured,
//! stored value spent and returned, sales waiting for their member, enrolments and merges.

use super::conn::{Conn, OptionalExtension, params};
use jiff::Timestamp;
use shared::ids::MemberId;
use shared::ledger::LedgerKind;
use shared::member::MemberIdentifier;
use shared::money::Money;
use shared::sale::{CompletedSale, Refund, SaleMember, TenderKind};
use shared::stored_value::SvSplit;
use shared::sync::{Change, Event, EventEnvelope, MemberEnrolment};

use super::ingest::ProjectError;
use super::ledger::{self, Entry};
use super::{append_audit, members, micros};
use crate::model::{Actor, NewMember, Till};
use crate::store::StoreError;

/// THE place where an accepted event's effects on members and their balances are applied, in
/// the batch's transaction (inside the event's savepoint: a `Reject` here undoes the event).
///
/// - A sale credits the points its receipt printed (an `earn` lot whose expiry follows the policy
///   version the till used), captures its points and stored-value holds (`redeem`, `spend`), debits
///   tenders made offline without a hold, and lifts the member's tier at once if the trailing
///   365-day spend crossed a threshold. A sale whose member HQ cannot identify yet waits in
///   `pending_attributions` and is credited when that member appears.
/// - A refund or void takes back earned points (the sale's own lot first; the balance may go below
///   zero), restores tendered points as a new lot, and puts stored value back in its split.
/// - An enrolment creates the member with the till's provisional id, or, when the phone number is
///   already a member's, merges it into that member and tells the branch's tills.
/// - Top-ups (and change put on stored value) were applied online when they happened.
pub(crate) fn apply_member_effects(
    c: &Conn<'_>,
    key: &crate::audit::AuditKey,
    till: &Till,
    env: &EventEnvelope,
    now: Timestamp,
) -> Result<(), ProjectError> {
    match &env.event {
        Event::SaleCompleted(s) => sale_effects(c, till, s, now),
        Event::SaleRefunded(r) | Event::SaleVoided(r) => refund_effects(c, till, r, now),
        Event::MemberEnrolled(e) => enrolment_effects(c, key, till, e, now),
        Event::CashMovement(_)
        | Event::ShiftOpened(_)
        | Event::ShiftClosed(_)
        | Event::DayClosed(_)
        | Event::Audit(_) => Ok(()),
    }
}

fn identifier_key(by: &MemberIdentifier) -> (&'static str, String) {
    match by {
        MemberIdentifier::Code(c) => ("code", c.as_str().to_owned()),
        MemberIdentifier::Uid(u) => ("uid", u.as_str().to_owned()),
        MemberIdentifier::Phone(p) => ("phone", p.as_str().to_owned()),
    }
}

/// The member a sale's `SaleMember` means at HQ: its id (following merges), else its identifier.
fn sale_member(c: &Conn<'_>, m: &SaleMember) -> Result<Option<String>, ProjectError> {
    if let Some(id) = m.member_id
        && let Some(found) = ledger::resolve(c, &id.to_string()).map_err(ProjectError::Store)?
    {
        return Ok(Some(found));
    }
    match ledger::find(c, &m.identifier).map_err(ProjectError::Store)? {
        Ok(found) => Ok(found),
        // A card reported lost after the sale: the points still go to its member.
        Err(_) => {
            let (kind, value) = identifier_key(&m.identifier);
            Ok(c.prepare_cached("SELECT member_id FROM member_cards WHERE kind = ?1 AND value = ?2")?
                .query_row(params![kind, value], |r| r.get(0))
                .optional()?)
        }
    }
}

fn sale_effects(c: &Conn<'_>, till: &Till, s: &CompletedSale, now: Timestamp) -> Result<(), ProjectError> {
    let Some(m) = &s.member else { return Ok(()) };
    let store = |e: StoreError| ProjectError::Store(e);
    let sale = s.id.to_string();
    let branch = Some(till.branch_id.0);
    let Some(member) = sale_member(c, m)? else {
        // Nobody HQ knows yet: keep the sale for when they appear.
        let (kind, value) = identifier_key(&m.identifier);
        c.prepare_cached(
            "INSERT INTO pending_attributions (sale_id, identifier_kind, identifier, points, policy_version, branch_id,
             business_day, spend, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?
        .execute(params![
            sale,
            kind,
            value,
            m.points_earned,
            m.policy_version,
            till.branch_id.0,
            s.business_day.to_string(),
            s.totals.due.0,
            micros(now)
        ])?;
        return Ok(());
    };
    super::ingest::set_sale_member(c, &sale, &member).map_err(store)?;
    ledger::visited(c, &member, till.branch_id.0, s.business_day).map_err(store)?;
    let actor = format!("till:{}", till.id);
    let source = format!("sale:{sale}");
    // Points paid: the holds are captured; the lots that expire first are drawn.
    let redeemed: i64 = s.tenders.iter().filter(|t| t.kind == TenderKind::Points).map(|t| t.points).sum();
    if redeemed > 0 {
        ledger::take_points(c, &member, redeemed, None, s.business_day).map_err(store)?;
        ledger::append(
            c,
            &Entry {
                member: &member,
                kind: LedgerKind::Redeem,
                points: -redeemed,
                principal: 0,
                bonus: 0,
                at: now,
                day: s.business_day,
                branch,
                source: &source,
                lot: None,
                reason: None,
                actor: &actor,
            },
        )
        .map_err(store)?;
    }
    // Stored value paid: in the hold's split, or the tender's, principal first.
    let mut spent = SvSplit::default();
    for t in s.tenders.iter().filter(|t| t.kind == TenderKind::StoredValue) {
        let held: Option<(i64, i64)> = match t.hold {
            Some(h) => c
                .prepare_cached("SELECT principal, bonus FROM holds WHERE id = ?1 AND kind = 'stored_value'")?
                .query_row([h.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?,
            None => None,
        };
        let split = match (held, t.stored_value) {
            (Some((p, b)), _) if p + b == t.amount.0 => SvSplit { principal: Money(p), bonus: Money(b) },
            (_, Some(split)) if split.total() == t.amount => split,
            (None, None) if t.hold.is_none() => {
                // Taken offline without a split: HQ divides it, principal first, from its own balance
                // (the event check made sure the balance covers it).
                let m = ledger::load_member(c, &member)
                    .map_err(store)?
                    .ok_or_else(|| ProjectError::Reject(format!("member {member} vanished")))?;
                m.stored_value
                    .minus(spent)
                    .spend_split(t.amount)
                    .map_err(|e| ProjectError::Reject(format!("{} of stored value paid offline: {e}", t.amount)))?
            }
            _ => {
                // The event check compared hold, split and tender; a mismatch here is refused,
                // never booked as some other split.
                return Err(ProjectError::Reject(format!(
                    "stored value of {} paid with a hold or split that does not match it",
                    t.amount
                )));
            }
        };
        spent += split;
    }
    if spent.total().0 > 0 {
        ledger::append(
            c,
            &Entry {
                member: &member,
                kind: LedgerKind::Spend,
                points: 0,
                principal: -spent.principal.0,
                bonus: -spent.bonus.0,
                at: now,
                day: s.business_day,
                branch,
                source: &source,
                lot: None,
                reason: None,
                actor: &actor,
            },
        )
        .map_err(store)?;
    }
    for h in s.tenders.iter().filter_map(|t| t.hold) {
        c.execute_later(
            "UPDATE holds SET status = 'captured', closed_at = ?2 WHERE id = ?1",
            params![h.to_string(), micros(now)],
            None,
        )?;
    }
    // What the receipt printed, with the policy version the till used.
    members::earn(c, &member, &sale, m.points_earned, m.policy_version, s.business_day, branch, now, &actor)
        .map_err(store)?;
    // An upgrade as soon as the spend crosses a threshold (downgrades wait for the daily job).
    if let Some(rec) = ledger::load_member(c, &member).map_err(store)? {
        let spend = ledger::trailing_spend(c, &member, s.business_day).map_err(store)?;
        let policy = super::policy_in_force_tx(c, now).map_err(store)?;
        if let Some(up) = policy.tiers.upgrade_after_sale(&rec.tier, spend) {
            ledger::set_tier(c, &member, &rec.tier, &up.code, now, &format!("sale {}: spend {spend}", s.receipt_no))
                .map_err(store)?;
        }
    }
    ledger::publish(c, &member, now).map_err(store)
}

fn refund_effects(c: &Conn<'_>, till: &Till, r: &Refund, now: Timestamp) -> Result<(), ProjectError> {
    let store = |e: StoreError| ProjectError::Store(e);
    let refund = r.id.to_string();
    let source = format!("refund:{refund}");
    let branch = Some(till.branch_id.0);
    let actor = format!("till:{}", till.id);
    // Whose sale it was at HQ (credited then), else the refund's own member (a return without receipt).
    let from_sale: Option<(Option<String>, Option<String>)> = match r.sale {
        Some(sale) => c
            .prepare_cached(
                "SELECT s.member_id, (SELECT id FROM ledger_entries WHERE source = 'sale:' || s.id AND kind = 'earn')
                 FROM sales s WHERE s.id = ?1",
            )?
            .query_row([sale.to_string()], |row| Ok((row.get(0)?, row.get(1)?)))
            .optional()?,
        None => None,
    };
    let (member, own_lot) = match from_sale {
        Some((Some(m), lot)) => (Some(m), lot),
        Some((None, _)) => {
            // The sale still waits for its member: what is taken back never reaches them.
            if let Some(sale) = r.sale {
                c.prepare_cached(
                    "UPDATE pending_attributions SET points = CASE WHEN points > ?2 THEN points - ?2 ELSE 0 END WHERE sale_id = ?1 AND attributed_to IS NULL",
                )?
                .execute(params![sale.to_string(), r.points_taken_back])?;
            }
            (None, None)
        }
        None => match &r.member {
            Some(m) => (sale_member(c, m)?, None),
            None => (None, None),
        },
    };
    let Some(member) = member else { return Ok(()) };
    if r.points_taken_back > 0 {
        ledger::take_points(c, &member, r.points_taken_back, own_lot.as_deref(), r.business_day).map_err(store)?;
        ledger::append(
            c,
            &Entry {
                member: &member,
                kind: LedgerKind::Reverse,
                points: -r.points_taken_back,
                principal: 0,
                bonus: 0,
                at: now,
                day: r.business_day,
                branch,
                source: &source,
                lot: own_lot.as_deref(),
                reason: None,
                actor: &actor,
            },
        )
        .map_err(store)?;
    }
    if r.points_restored > 0
        && let Some(entry) = ledger::append(
            c,
            &Entry {
                member: &member,
                kind: LedgerKind::Restore,
                points: r.points_restored,
                principal: 0,
                bonus: 0,
                at: now,
                day: r.business_day,
                branch,
                source: &source,
                lot: None,
                reason: None,
                actor: &actor,
            },
        )
        .map_err(store)?
    {
        let policy = super::policy_in_force_tx(c, now).map_err(store)?;
        ledger::add_lot(
            c,
            &member,
            &entry,
            r.points_restored,
            r.business_day,
            policy.expiry.expires_on(r.business_day),
            None,
        )
        .map_err(store)?;
    }
    // Stored value paid back: in the split the refund states (the event check held it to the
    // sale's). A return without a receipt states none: it was bought with money, so it goes back
    // as principal, never as bonus (the check refuses a bonus there).
    let mut back = SvSplit::default();
    for t in r.tenders.iter().filter(|t| t.kind == TenderKind::StoredValue && t.amount.0 > 0) {
        let split = match (t.stored_value, r.sale) {
            (Some(split), _) if split.total() == t.amount => split,
            (None, None) => SvSplit { principal: t.amount, bonus: Money::ZERO },
            _ => {
                return Err(ProjectError::Reject(format!(
                    "stored value paid back ({}) without a principal and bonus that add up to it",
                    t.amount
                )));
            }
        };
        back += split;
    }
    if back.total().0 > 0 {
        ledger::append(
            c,
            &Entry {
                member: &member,
                kind: LedgerKind::Refund,
                points: 0,
                principal: back.principal.0,
                bonus: back.bonus.0,
                at: now,
                day: r.business_day,
                branch,
                source: &source,
                lot: None,
                reason: None,
                actor: &actor,
            },
        )
        .map_err(store)?;
    }
    ledger::publish(c, &member, now).map_err(store)
}

fn enrolment_effects(
    c: &Conn<'_>,
    key: &crate::audit::AuditKey,
    till: &Till,
    e: &MemberEnrolment,
    now: Timestamp,
) -> Result<(), ProjectError> {
    let store = |err: StoreError| ProjectError::Store(err);
    let provisional = e.member.to_string();
    if ledger::resolve(c, &provisional).map_err(store)?.is_some() {
        return Ok(());
    }
    let existing: Option<String> = c
        .prepare_cached("SELECT id FROM members WHERE phone = ?1")?
        .query_row([e.phone.as_str()], |r| r.get(0))
        .optional()?;
    let actor = Actor { who: format!("till:{}", till.id), from: "sync".into() };
    if let Some(into) = existing {
        // The same phone enrolled again: one member, and the till learns the mapping.
        c.prepare_cached("INSERT INTO member_merges (from_id, into_id, at) VALUES (?1, ?2, ?3)")?.execute(params![
            provisional,
            into,
            micros(now)
        ])?;
        if let Some(uid) = &e.card_uid {
            let _ = c
                .prepare_cached(
                    "INSERT INTO member_cards (member_id, kind, value, status, created_at, updated_at)
                     VALUES (?1, 'uid', ?2, 'active', ?3, ?3) ON CONFLICT (kind, value) DO NOTHING",
                )?
                .execute(params![into, uid.as_str(), micros(now)])?;
        }
        let into_id =
            MemberId::parse(&into).map_err(|err| ProjectError::Store(StoreError::Internal(err.to_string())))?;
        super::emit(
            c,
            &format!("merge:{provisional}"),
            Some(till.branch_id.0),
            &Change::MemberMerged { from: e.member, into: into_id },
        )
        .map_err(store)?;
        append_audit(
            c,
            key,
            &actor,
            now,
            "merge",
            &format!("member:{into}"),
            None::<&()>,
            Some(&serde_json::json!({"from": provisional})),
        )
        .map_err(store)?;
        ledger::publish(c, &into, now).map_err(store)?;
        // Its home branch's tills already have it; the enrolling till also needs it.
        if let Some(m) = ledger::load_member(c, &into).map_err(store)?
            && m.home_branch != Some(till.branch_id)
        {
            let policy = super::policy_in_force_tx(c, now).map_err(store)?;
            let snap = ledger::snapshot(c, &m, &policy, now).map_err(store)?;
            super::emit(
                c,
                &format!("member:{into}:at:{}", till.branch_id),
                Some(till.branch_id.0),
                &Change::Member(snap),
            )
            .map_err(store)?;
        }
        return Ok(());
    }
    let code_free = match &e.code {
        Some(code) => c
            .prepare_cached("SELECT 1 FROM member_cards WHERE kind = 'code' AND value = ?1")?
            .query_row([code.as_str()], |r| r.get::<_, i64>(0))
            .optional()?
            .is_none(),
        None => true,
    };
    let new = NewMember {
        id: Some(e.member),
        code: e.code.clone().filter(|_| code_free),
        phone: Some(e.phone.clone()),
        name: e.name.clone(),
        birthday: e.birthday,
        tier: None,
        home_branch: Some(till.branch_id),
        uid: e.card_uid.clone(),
    };
    match members::insert_member(c, key, &actor, new, now) {
        Ok(_) => Ok(()),
        Err(StoreError::Invalid(why)) | Err(StoreError::Conflict(why)) => Err(ProjectError::Reject(why)),
        Err(other) => Err(ProjectError::Store(other)),
    }
}
