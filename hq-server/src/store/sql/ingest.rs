//! Applying a pushed batch: dedup by event id, the checks that need the database, the sale,
//! refund and shift tables, sequence-gap tracking, and the one place where a sale's member and
//! ledger effects will be applied ([`apply_member_effects`]), all in the batch's transaction.

use super::conn::{Conn, OptionalExtension, params};
use jiff::Timestamp;
use shared::ids::MemberId;
use shared::ledger::LedgerKind;
use shared::member::MemberIdentifier;
use shared::money::Money;
use shared::sale::{CompletedSale, Refund, RefundKind, SaleMember, Tender, TenderKind};
use shared::stored_value::SvSplit;
use shared::sync::{Change, Event, EventEnvelope, EventOutcome, EventResult, MemberEnrolment, SeqGap};

use super::ledger::{self, Entry};
use super::{append_audit, is_constraint, members, micros};
use crate::model::{Actor, IngestOutcome, NewMember, Till};
use crate::store::{StoreError, StoreResult};

/// Why projecting one event failed: a reason to reject it with, or a real storage failure.
pub(crate) enum ProjectError {
    Reject(String),
    Store(StoreError),
}

impl From<super::conn::Error> for ProjectError {
    fn from(e: super::conn::Error) -> Self {
        ProjectError::Store(e.into())
    }
}

impl From<serde_json::Error> for ProjectError {
    fn from(e: serde_json::Error) -> Self {
        ProjectError::Store(e.into())
    }
}

/// Maps a uniqueness violation to a rejection with `reason`.
fn unique_or(reason: impl FnOnce() -> String) -> impl FnOnce(super::conn::Error) -> ProjectError {
    move |e| if is_constraint(&e) { ProjectError::Reject(reason()) } else { e.into() }
}

pub(crate) fn apply_batch(
    store: &super::SqlStore,
    tx: &Conn<'_>,
    till: &Till,
    events: &[EventEnvelope],
    verdicts: &[crate::event_checks::Verdict],
    received_at: Timestamp,
    clock_skew_seconds: i64,
) -> StoreResult<IngestOutcome> {
    let till_id = till.id.0;
    let received = micros(received_at);
    let mut next_seq: i64 = tx
        .prepare_cached("SELECT next_seq FROM till_sync WHERE till_id = ?1")?
        .query_row([till_id], |r| r.get(0))
        .optional()?
        .unwrap_or(1);
    let mut results = Vec::with_capacity(events.len());
    for (env, verdict) in events.iter().zip(verdicts) {
        let id = env.id.to_string();
        let owner: Option<i64> =
            tx.prepare_cached("SELECT till_id FROM events WHERE id = ?1")?.query_row([&id], |r| r.get(0)).optional()?;
        if let Some(owner) = owner {
            let outcome = if owner == till_id {
                EventOutcome::Duplicate
            } else {
                EventOutcome::Rejected { reason: format!("event id {id} was already used by another till") }
            };
            results.push(EventResult { id: env.id, seq: env.seq, outcome });
            continue;
        }
        let seq = i64::try_from(env.seq).unwrap_or(i64::MAX);
        let mut verdict = verdict.clone();
        if verdict.is_ok() {
            let used: Option<String> = tx
                .prepare_cached("SELECT id FROM events WHERE till_id = ?1 AND seq = ?2")?
                .query_row(params![till_id, seq], |r| r.get(0))
                .optional()?;
            if let Some(other) = used {
                verdict = Err(format!("sequence number {seq} was already used by event {other}"));
            }
        }
        if verdict.is_ok() {
            // Every figure HQ can know better than the till, against HQ's own state.
            let facts = super::facts::SqlFacts { store, c: tx };
            match crate::event_checks::check_value(&facts, till, env, received_at)? {
                Ok(more) => {
                    if let Ok(flags) = &mut verdict {
                        flags.extend(more);
                    }
                }
                Err(reason) => verdict = Err(reason),
            }
        }
        if verdict.is_ok() {
            let sp = tx.savepoint()?;
            match project(&sp, till, env, received)
                .and_then(|()| apply_member_effects(&sp, &store.audit_key, till, env, received_at))
            {
                Ok(()) => sp.commit()?,
                // Dropping the savepoint rolls back whatever the event had written.
                Err(ProjectError::Reject(reason)) => verdict = Err(reason),
                // A record the database refuses (a broken constraint) rejects this event alone;
                // only a failure of the database itself fails the batch (the till resends it).
                Err(ProjectError::Store(StoreError::Conflict(why) | StoreError::Invalid(why))) => {
                    verdict = Err(format!("HQ could not record the event: {why}"));
                }
                Err(ProjectError::Store(e)) => return Err(e),
            }
        }
        let (status, reason) = match &verdict {
            Ok(_) => ("accepted", None),
            Err(r) => ("rejected", Some(r.as_str())),
        };
        tx.prepare_cached(
            "INSERT INTO events (id, till_id, seq, kind, till_at, received_at, status, reason, payload)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?
        .execute(params![
            id,
            till_id,
            seq,
            env.event.kind(),
            micros(env.at),
            received,
            status,
            reason,
            serde_json::to_string(&env.event)?
        ])?;
        // An event naming another till (rejected above) says nothing about this till's sequence.
        if env.till == till.id {
            track_seq(tx, till_id, seq, &mut next_seq, received)?;
        }
        let outcome = match verdict {
            Ok(flags) => {
                for flag in flags {
                    tx.prepare_cached("INSERT INTO event_flags (event_id, flag, at) VALUES (?1, ?2, ?3)")?
                        .execute(params![id, flag, received])?;
                }
                EventOutcome::Accepted
            }
            Err(reason) => EventOutcome::Rejected { reason },
        };
        results.push(EventResult { id: env.id, seq: env.seq, outcome });
    }
    tx.prepare_cached(
        "INSERT INTO till_sync (till_id, next_seq, last_push_at, clock_skew_seconds) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (till_id) DO UPDATE SET next_seq = excluded.next_seq, last_push_at = excluded.last_push_at,
         clock_skew_seconds = excluded.clock_skew_seconds",
    )?
    .execute(params![till_id, next_seq, received, clock_skew_seconds])?;
    let gap = tx
        .prepare_cached(
            "SELECT expected, received FROM seq_gaps WHERE till_id = ?1 AND filled_at IS NULL ORDER BY id LIMIT 1",
        )?
        .query_row([till_id], |r| {
            Ok(SeqGap { expected: r.get::<_, i64>(0)?.max(0) as u64, received: r.get::<_, i64>(1)?.max(0) as u64 })
        })
        .optional()?;
    Ok(IngestOutcome { results, gap })
}

/// Follows the till's sequence: the next number moves on, a jump records a gap, and a late
/// number may fill one.
fn track_seq(c: &Conn<'_>, till: i64, seq: i64, next_seq: &mut i64, now: i64) -> StoreResult<()> {
    if seq == *next_seq {
        *next_seq += 1;
    } else if seq > *next_seq {
        c.prepare_cached("INSERT INTO seq_gaps (till_id, expected, received, detected_at) VALUES (?1, ?2, ?3, ?4)")?
            .execute(params![till, *next_seq, seq, now])?;
        *next_seq = seq + 1;
    } else {
        let gaps: Vec<(i64, i64, i64)> = c
            .prepare_cached(
                "SELECT id, expected, received FROM seq_gaps
                 WHERE till_id = ?1 AND filled_at IS NULL AND expected <= ?2 AND received > ?2",
            )?
            .query_map(params![till, seq], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<Result<_, _>>()?;
        for (id, expected, received) in gaps {
            let have: i64 = c
                .prepare_cached("SELECT COUNT(DISTINCT seq) FROM events WHERE till_id = ?1 AND seq >= ?2 AND seq < ?3")?
                .query_row(params![till, expected, received], |r| r.get(0))?;
            if have == received - expected {
                c.prepare_cached("UPDATE seq_gaps SET filled_at = ?2 WHERE id = ?1")?.execute(params![id, now])?;
            }
        }
    }
    Ok(())
}

/// Writes an accepted event into the tables reports are built on.
fn project(c: &Conn<'_>, till: &Till, env: &EventEnvelope, received: i64) -> Result<(), ProjectError> {
    let event_id = env.id.to_string();
    let till_id = till.id.0;
    let branch_id = till.branch_id.0;
    match &env.event {
        Event::SaleCompleted(s) => insert_sale(c, &event_id, s, received),
        Event::SaleRefunded(r) | Event::SaleVoided(r) => insert_refund(c, &event_id, r, received),
        Event::ShiftOpened(o) => {
            c.prepare_cached(
                "INSERT INTO shifts (id, event_id, till_id, branch_id, cashier_id, opened_at, business_day,
                 float_amount, float_count) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?
            .execute(params![
                o.shift.to_string(),
                event_id,
                till_id,
                branch_id,
                o.cashier.0,
                micros(o.opened_at),
                o.business_day.to_string(),
                o.float.0,
                serde_json::to_string(&o.float_count)?
            ])
            .map_err(unique_or(|| format!("shift {} was already opened", o.shift)))?;
            Ok(())
        }
        Event::CashMovement(m) => {
            c.prepare_cached(
                "INSERT INTO cash_movements (id, event_id, till_id, branch_id, shift_id, kind, amount, reason,
                 cashier_id, approved_by, at, member_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            )?
            .execute(params![
                m.id.to_string(),
                event_id,
                till_id,
                branch_id,
                m.shift.to_string(),
                serde_json::to_value(m.kind)?.as_str().unwrap_or("unknown"),
                m.amount.0,
                m.reason,
                m.cashier.0,
                m.approved_by.map(|s| s.0),
                micros(m.at),
                m.member.map(|x| x.to_string())
            ])
            .map_err(unique_or(|| format!("cash movement {} is already recorded", m.id)))?;
            Ok(())
        }
        Event::ShiftClosed(z) => {
            c.prepare_cached(
                "INSERT INTO z_reports (till_id, z_number, event_id, shift_id, branch_id, cashier_id, closed_at,
                 business_day, cash_count, expected, counted, over_short, report)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            )?
            .execute(params![
                till_id,
                z.z_number,
                event_id,
                z.shift.to_string(),
                branch_id,
                z.cashier.0,
                micros(z.closed_at),
                z.business_day.to_string(),
                serde_json::to_string(&z.count)?,
                z.report.expected.0,
                z.report.counted.map(|m| m.0),
                z.report.over_short.map(|m| m.0),
                serde_json::to_string(&z.report)?
            ])
            .map_err(unique_or(|| format!("Z number {} or shift {} is already closed", z.z_number, z.shift)))?;
            Ok(())
        }
        Event::DayClosed(d) => {
            c.prepare_cached(
                "INSERT INTO day_closes (till_id, business_day, event_id, branch_id, closed_by, closed_at, z_numbers,
                 summary) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(params![
                till_id,
                d.business_day.to_string(),
                event_id,
                branch_id,
                d.closed_by.0,
                micros(d.closed_at),
                serde_json::to_string(&d.z_numbers)?,
                serde_json::to_string(&d.summary)?
            ])
            .map_err(unique_or(|| format!("business day {} is already closed at this till", d.business_day)))?;
            Ok(())
        }
        Event::MemberEnrolled(m) => {
            c.prepare_cached(
                "INSERT INTO member_enrolments (event_id, till_id, branch_id, member_id, phone, payload)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                event_id,
                till_id,
                branch_id,
                m.member.to_string(),
                m.phone.as_str(),
                serde_json::to_string(m)?
            ])?;
            Ok(())
        }
        Event::Audit(a) => {
            c.prepare_cached(
                "INSERT INTO till_audit (event_id, till_id, branch_id, at, action, actor_id, approver_id, detail,
                 sale_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?
            .execute(params![
                event_id,
                till_id,
                branch_id,
                micros(env.at),
                serde_json::to_value(a.action)?.as_str().unwrap_or("unknown"),
                a.actor.0,
                a.approver.map(|s| s.0),
                a.detail,
                a.sale.map(|s| s.to_string())
            ])?;
            Ok(())
        }
    }
}

fn insert_sale(c: &Conn<'_>, event_id: &str, s: &CompletedSale, received: i64) -> Result<(), ProjectError> {
    let t = &s.totals;
    let m = s.member.as_ref();
    c.prepare_cached(
        "INSERT INTO sales (id, event_id, receipt_no, branch_id, till_id, shift_id, cashier_id, completed_at,
         business_day, gross, member_savings, manual_discounts, order_discount, total, rounding, due, change_given,
         change_to_stored_value, points_eligible_net, member_id, member_identifier, member_tier, points_earned,
         policy_version, received_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21,
         ?22, ?23, ?24, ?25)",
    )?
    .execute(params![
        s.id.to_string(),
        event_id,
        s.receipt_no.to_string(),
        s.branch.0,
        s.till.0,
        s.shift.to_string(),
        s.cashier.0,
        micros(s.completed_at),
        s.business_day.to_string(),
        t.gross.0,
        t.member_savings.0,
        t.manual_discounts.0,
        t.order_discount.0,
        t.total.0,
        t.rounding.0,
        t.due.0,
        s.change.0,
        s.change_to_stored_value.0,
        s.points_eligible_net.0,
        m.and_then(|m| m.member_id).map(|x| x.to_string()),
        m.map(|m| serde_json::to_string(&m.identifier)).transpose()?,
        m.and_then(|m| m.tier.clone()),
        s.points_earned(),
        m.map(|m| m.policy_version),
        received
    ])
    .map_err(unique_or(|| format!("sale {} or receipt {} is already recorded", s.id, s.receipt_no)))?;
    let sale_id = s.id.to_string();
    let mut line = c.prepare_cached(
        "INSERT INTO sale_lines (sale_id, line_no, product_id, product_code, barcode, name, category_id, unit, vat,
         qty, base_unit, unit_price, gross, member_saving, manual_discount, order_discount, net, points_eligible)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
    )?;
    for (i, l) in s.lines.iter().enumerate() {
        let p = &l.priced;
        line.execute(params![
            sale_id,
            i as i64 + 1,
            l.item.product_id.0,
            l.item.product_code,
            l.item.barcode,
            l.item.name,
            l.item.category.0,
            l.item.unit,
            l.item.vat.0,
            p.qty.0,
            p.base_unit.0,
            p.unit.0,
            p.gross.0,
            p.member_saving.0,
            p.manual_discount.0,
            l.order_discount.0,
            l.net.0,
            l.item.points_eligible
        ])?;
    }
    insert_tenders(c, "sale_tenders", "sale_id", &sale_id, &s.tenders, true)
}

fn insert_tenders(
    c: &Conn<'_>,
    table: &str,
    key: &str,
    id: &str,
    tenders: &[Tender],
    with_hold: bool,
) -> Result<(), ProjectError> {
    let sql = if with_hold {
        format!(
            "INSERT INTO {table} ({key}, idx, kind, amount, tendered, reference, points, sv_principal, sv_bonus, hold_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
        )
    } else {
        format!(
            "INSERT INTO {table} ({key}, idx, kind, amount, tendered, reference, points, sv_principal, sv_bonus)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
        )
    };
    let mut st = c.prepare_cached(&sql)?;
    for (i, t) in tenders.iter().enumerate() {
        let principal = t.stored_value.map(|s| s.principal.0);
        let bonus = t.stored_value.map(|s| s.bonus.0);
        if with_hold {
            st.execute(params![
                id,
                i as i64,
                t.kind.code(),
                t.amount.0,
                t.tendered.0,
                t.reference,
                t.points,
                principal,
                bonus,
                t.hold.map(|h| h.to_string())
            ])?;
        } else {
            st.execute(params![
                id,
                i as i64,
                t.kind.code(),
                t.amount.0,
                t.tendered.0,
                t.reference,
                t.points,
                principal,
                bonus
            ])?;
        }
    }
    Ok(())
}

fn insert_refund(c: &Conn<'_>, event_id: &str, r: &Refund, received: i64) -> Result<(), ProjectError> {
    let kind = match r.kind {
        RefundKind::Return => "return",
        RefundKind::Void => "void",
        RefundKind::NoReceipt => "no_receipt",
    };
    c.prepare_cached(
        "INSERT INTO refunds (id, event_id, kind, sale_id, original_receipt, receipt_no, branch_id, till_id, shift_id,
         cashier_id, approved_by, refunded_at, business_day, reason, total, rounding, points_taken_back,
         points_restored, member_id, received_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)",
    )?
    .execute(params![
        r.id.to_string(),
        event_id,
        kind,
        r.sale.map(|s| s.to_string()),
        r.original_receipt.as_ref().map(|x| x.to_string()),
        r.receipt_no.to_string(),
        r.branch.0,
        r.till.0,
        r.shift.to_string(),
        r.cashier.0,
        r.approved_by.map(|s| s.0),
        micros(r.refunded_at),
        r.business_day.to_string(),
        r.reason,
        r.total.0,
        r.rounding.0,
        r.points_taken_back,
        r.points_restored,
        r.member.as_ref().and_then(|m| m.member_id).map(|x| x.to_string()),
        received
    ])
    .map_err(unique_or(|| format!("refund {} or receipt {} is already recorded", r.id, r.receipt_no)))?;
    let refund_id = r.id.to_string();
    let mut line = c.prepare_cached(
        "INSERT INTO refund_lines (refund_id, idx, sale_line, product_id, name, vat, qty, amount, points_eligible)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?;
    for (i, l) in r.lines.iter().enumerate() {
        line.execute(params![
            refund_id,
            i as i64,
            l.sale_line.map(|x| x as i64),
            l.product_id.0,
            l.name,
            l.vat.0,
            l.qty.0,
            l.amount.0,
            l.points_eligible
        ])?;
    }
    insert_tenders(c, "refund_tenders", "refund_id", &refund_id, &r.tenders, false)
}

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
    c.prepare_cached("UPDATE sales SET member_id = ?2 WHERE id = ?1")?.execute(params![sale, member])?;
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
            _ => {
                let m = ledger::load_member(c, &member)
                    .map_err(store)?
                    .ok_or_else(|| ProjectError::Reject(format!("member {member} vanished")))?;
                m.stored_value.spend_split(t.amount).unwrap_or(SvSplit { principal: t.amount, bonus: Money::ZERO })
            }
        };
        spent.principal += split.principal;
        spent.bonus += split.bonus;
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
        c.prepare_cached("UPDATE holds SET status = 'captured', closed_at = ?2 WHERE id = ?1")?
            .execute(params![h.to_string(), micros(now)])?;
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
    let back = r.tenders.iter().filter(|t| t.kind == TenderKind::StoredValue).fold(SvSplit::default(), |acc, t| {
        let split = t.stored_value.unwrap_or(SvSplit { principal: t.amount, bonus: Money::ZERO });
        SvSplit { principal: acc.principal + split.principal, bonus: acc.bonus + split.bonus }
    });
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
