//! The ledger's primitives, used inside the caller's write transaction: append an entry (which
//! moves the member's stored balances with it), earn a lot, take points from lots, read a member.
//!
//! Invariants kept here: a member's `points` is the sum of their ledger entries' points, and
//! `points = Σ lots.remaining - points_deficit`; `sv_principal` / `sv_bonus` are the sums of the
//! entries' principal and bonus. Tests check both against the ledger.

use super::conn::{Conn, OptionalExtension, params};
use jiff::Timestamp;
use jiff::civil::Date;
use shared::catalog::MemberCode;
use shared::ids::{BranchId, MemberId};
use shared::ledger::LedgerKind;
use shared::member::{CardUid, MemberIdentifier, MemberSnapshot, MemberStatus, Phone};
use shared::money::Money;
use shared::points::{PointsLot, plan_take_back};
use shared::policy::MemberPolicy;
use shared::stored_value::StoredValue;
use uuid::Uuid;

use super::{from_micros, micros};
use crate::model::{CardKind, CardRecord, CardStatus, MemberRecord, MemberRefusal};
use crate::store::{StoreError, StoreResult};

pub(crate) use crate::calendar::hq_day;

/// How long a hold lives before HQ gives it back by itself.
pub(crate) const HOLD_TTL_MINUTES: i64 = 15;

fn parse_date(s: &str) -> StoreResult<Date> {
    s.parse().map_err(|e| StoreError::Internal(format!("stored date {s}: {e}")))
}

pub(crate) fn parse_id(s: &str) -> StoreResult<MemberId> {
    MemberId::parse(s).map_err(|e| StoreError::Internal(format!("stored member id {s}: {e}")))
}

pub(crate) fn status_code(s: MemberStatus) -> &'static str {
    match s {
        MemberStatus::Active => "active",
        MemberStatus::Blocked => "blocked",
        MemberStatus::Merged => "merged",
    }
}

fn parse_status(s: &str) -> MemberStatus {
    match s {
        "blocked" => MemberStatus::Blocked,
        "merged" => MemberStatus::Merged,
        _ => MemberStatus::Active,
    }
}

/// A member with their cards, as stored: one statement (the member's row once per card, or once
/// with no card), so a lookup or a member sale's ingest pays one round trip for it, not two.
pub(crate) fn load_member(c: &Conn<'_>, id: &str) -> StoreResult<Option<MemberRecord>> {
    type Card = (String, String, String, i64);
    let rows = c
        .prepare_cached(
            "SELECT m.id, m.code, m.phone, m.name, m.birthday, m.tier, m.status, m.merged_into, m.home_branch,
                    m.enrolled_at, m.points, m.points_deficit, m.sv_principal, m.sv_bonus, m.marketing_consent,
                    m.code_secret, c.kind, c.value, c.status, c.created_at
             FROM members m LEFT JOIN member_cards c ON c.member_id = m.id
             WHERE m.id = ?1 ORDER BY c.id",
        )?
        .query_map([id], |r| {
            let card: Option<Card> = match r.get::<_, Option<String>>(16)? {
                Some(kind) => Some((kind, r.get(17)?, r.get(18)?, r.get(19)?)),
                None => None,
            };
            Ok((
                (
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, String>(6)?,
                    r.get::<_, Option<String>>(7)?,
                    r.get::<_, Option<i64>>(8)?,
                    r.get::<_, i64>(9)?,
                    r.get::<_, i64>(10)?,
                    r.get::<_, i64>(11)?,
                ),
                (
                    r.get::<_, i64>(12)?,
                    r.get::<_, i64>(13)?,
                    r.get::<_, Option<i64>>(14)?,
                    r.get::<_, Option<String>>(15)?,
                ),
                card,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let mut cards = Vec::with_capacity(rows.len());
    let mut member = None;
    for (head, tail, card) in rows {
        if member.is_none() {
            member = Some((head, tail));
        }
        if let Some((k, v, s, at)) = card {
            cards.push(CardRecord {
                kind: CardKind::parse(&k).unwrap_or(CardKind::Code),
                value: v,
                status: CardStatus::parse(&s).unwrap_or(CardStatus::Blocked),
                created_at: from_micros(at),
            });
        }
    }
    let Some((
        (id, code, phone, name, birthday, tier, status, merged, home, enrolled, points, deficit),
        (p, b, consent, secret),
    )) = member
    else {
        return Ok(None);
    };
    Ok(Some(MemberRecord {
        id: parse_id(&id)?,
        code: MemberCode::parse(&code).map_err(|e| StoreError::Internal(e.to_string()))?,
        phone: phone.as_deref().map(Phone::parse).transpose().map_err(|e| StoreError::Internal(e.to_string()))?,
        name,
        birthday: birthday.as_deref().map(parse_date).transpose()?,
        tier,
        status: parse_status(&status),
        merged_into: merged.as_deref().map(parse_id).transpose()?,
        home_branch: home.map(BranchId),
        enrolled_at: from_micros(enrolled),
        points,
        points_deficit: deficit,
        stored_value: StoredValue { principal: Money(p), bonus: Money(b) },
        cards,
        marketing_consent: consent.map(|c| c != 0),
        code_secret: secret
            .as_deref()
            .map(shared::member_code::MemberSecret::from_hex)
            .transpose()
            .map_err(|e| StoreError::Internal(format!("member {id}'s code secret: {e}")))?,
    }))
}

/// Follows merges to the member an id now means (itself when not merged).
pub(crate) fn resolve(c: &Conn<'_>, id: &str) -> StoreResult<Option<String>> {
    let mut current = id.to_owned();
    for _ in 0..8 {
        let row: Option<Option<String>> = c
            .prepare_cached("SELECT merged_into FROM members WHERE id = ?1")?
            .query_row([&current], |r| r.get(0))
            .optional()?;
        let via_table: Option<String> = if row.is_none() {
            c.prepare_cached("SELECT into_id FROM member_merges WHERE from_id = ?1")?
                .query_row([&current], |r| r.get(0))
                .optional()?
        } else {
            None
        };
        match (row, via_table) {
            (Some(None), _) => return Ok(Some(current)),
            (Some(Some(into)), _) | (None, Some(into)) => current = into,
            (None, None) => return Ok(None),
        }
    }
    Ok(None)
}

/// The member a card code, UID or phone number belongs to (following merges), or why it is refused.
pub(crate) fn find(c: &Conn<'_>, by: &MemberIdentifier) -> StoreResult<Result<Option<String>, MemberRefusal>> {
    Ok(match find_unresolved(c, by)? {
        Ok(Some(id)) => Ok(resolve(c, &id)?),
        other => other,
    })
}

/// [`find`] without following merges: the id the card or phone names (it may have been merged
/// into another: see [`resolve`]).
pub(crate) fn find_unresolved(
    c: &Conn<'_>,
    by: &MemberIdentifier,
) -> StoreResult<Result<Option<String>, MemberRefusal>> {
    let card = |kind: CardKind, value: &str| -> StoreResult<Option<(String, String)>> {
        Ok(c.prepare_cached("SELECT member_id, status FROM member_cards WHERE kind = ?1 AND value = ?2")?
            .query_row(params![kind.code(), value], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?)
    };
    let found = match by {
        MemberIdentifier::Code(code) => match card(CardKind::Code, code.as_str())? {
            Some(hit) => Some(hit),
            None => c
                .prepare_cached("SELECT id, 'active' FROM members WHERE code = ?1")?
                .query_row([code.as_str()], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?,
        },
        MemberIdentifier::Uid(uid) => card(CardKind::Uid, uid.as_str())?,
        MemberIdentifier::Phone(phone) => c
            .prepare_cached("SELECT id, 'active' FROM members WHERE phone = ?1")?
            .query_row([phone.as_str()], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?,
    };
    match found {
        None => Ok(Ok(None)),
        Some((id, status)) => match CardStatus::parse(&status) {
            Some(CardStatus::Active) => Ok(Ok(Some(id))),
            Some(CardStatus::Lost) => Ok(Err(MemberRefusal::CardNotActive("lost"))),
            Some(CardStatus::Replaced) => Ok(Err(MemberRefusal::CardNotActive("replaced"))),
            _ => Ok(Err(MemberRefusal::CardNotActive("blocked"))),
        },
    }
}

/// One ledger entry to append.
pub(crate) struct Entry<'a> {
    pub member: &'a str,
    pub kind: LedgerKind,
    pub points: i64,
    pub principal: i64,
    pub bonus: i64,
    pub at: Timestamp,
    pub day: Date,
    pub branch: Option<i64>,
    /// What caused it; `(source, kind)` is unique, so applying the same cause twice does nothing.
    pub source: &'a str,
    pub lot: Option<&'a str>,
    pub reason: Option<&'a str>,
    pub actor: &'a str,
}

/// Appends an entry and moves the member's balances with it. Returns the entry's id, or `None`
/// when an entry of this kind for this source exists already (nothing is applied twice).
pub(crate) fn append(c: &Conn<'_>, e: &Entry<'_>) -> StoreResult<Option<String>> {
    let sv = StoredValue { principal: Money(e.principal), bonus: Money(e.bonus) };
    if !e.kind.accepts(e.points, sv) {
        return Err(StoreError::Internal(format!(
            "a {} entry cannot carry {} points, {} principal, {} bonus",
            e.kind.code(),
            e.points,
            e.principal,
            e.bonus
        )));
    }
    let id = Uuid::now_v7().to_string();
    let n = c
        .prepare_cached(
            "INSERT INTO ledger_entries (id, member_id, kind, points, principal, bonus, at, business_day, branch_id,
             source, lot_id, reason, actor) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
             ON CONFLICT (source, kind) DO NOTHING",
        )?
        .execute(params![
            id,
            e.member,
            e.kind.code(),
            e.points,
            e.principal,
            e.bonus,
            micros(e.at),
            e.day.to_string(),
            e.branch,
            e.source,
            e.lot,
            e.reason,
            e.actor
        ])?;
    if n == 0 {
        return Ok(None);
    }
    // Sent with the next statement (nothing here needs its answer).
    c.execute_later(
        "UPDATE members SET points = points + ?2, sv_principal = sv_principal + ?3, sv_bonus = sv_bonus + ?4,
         updated_at = ?5 WHERE id = ?1",
        params![e.member, e.points, e.principal, e.bonus, micros(e.at)],
        None,
    )?;
    Ok(Some(id))
}

/// The member's lots that still hold points.
pub(crate) fn lots(c: &Conn<'_>, member: &str) -> StoreResult<Vec<PointsLot>> {
    let rows = c
        .prepare_cached(
            "SELECT id, earned_on, points, remaining, expires_on FROM points_lots WHERE member_id = ?1 AND remaining > 0",
        )?
        .query_map([member], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get(2)?, r.get(3)?, r.get::<_, Option<String>>(4)?))
        })?
        .collect::<Result<Vec<(String, String, i64, i64, Option<String>)>, _>>()?;
    rows.into_iter()
        .map(|(id, earned, points, remaining, expires)| {
            Ok(PointsLot {
                id: Uuid::parse_str(&id).map_err(|e| StoreError::Internal(e.to_string()))?,
                earned_on: parse_date(&earned)?,
                points,
                remaining,
                expires_on: expires.as_deref().map(parse_date).transpose()?,
            })
        })
        .collect()
}

/// Creates a lot of `points` for an `earn` or `restore` entry `lot_id`; a deficit left by earlier
/// refunds is paid off first.
pub(crate) fn add_lot(
    c: &Conn<'_>,
    member: &str,
    lot_id: &str,
    points: i64,
    earned_on: Date,
    expires_on: Option<Date>,
    sale: Option<&str>,
) -> StoreResult<()> {
    let deficit: i64 =
        c.prepare_cached("SELECT points_deficit FROM members WHERE id = ?1")?.query_row([member], |r| r.get(0))?;
    let pay = deficit.min(points).max(0);
    if pay > 0 {
        c.execute_later(
            "UPDATE members SET points_deficit = points_deficit - ?2 WHERE id = ?1",
            params![member, pay],
            None,
        )?;
    }
    c.execute_later(
        "INSERT INTO points_lots (id, member_id, earned_on, points, remaining, expires_on, sale_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![lot_id, member, earned_on.to_string(), points, points - pay, expires_on.map(|d| d.to_string()), sale],
        None,
    )?;
    Ok(())
}

/// Takes `points` from the member's lots: `own_lot` first (a refund's own sale), then the
/// soonest-expiring unexpired lots. What no lot covers becomes a deficit (the balance goes below
/// zero). The caller appends the matching ledger entry.
pub(crate) fn take_points(
    c: &Conn<'_>,
    member: &str,
    points: i64,
    own_lot: Option<&str>,
    today: Date,
) -> StoreResult<()> {
    if points <= 0 {
        return Ok(());
    }
    let lots = lots(c, member)?;
    let own = own_lot.and_then(|l| Uuid::parse_str(l).ok());
    let plan = plan_take_back(&lots, points, own, today);
    let mut upd =
        c.prepare_cached("UPDATE points_lots SET remaining = remaining - ?2 WHERE id = ?1 AND remaining >= ?2")?;
    for d in &plan.draws {
        if upd.execute(params![d.lot.to_string(), d.points])? != 1 {
            return Err(StoreError::Internal(format!("lot {} changed under a draw", d.lot)));
        }
    }
    if plan.shortfall > 0 {
        c.prepare_cached("UPDATE members SET points_deficit = points_deficit + ?2 WHERE id = ?1")?
            .execute(params![member, plan.shortfall])?;
    }
    Ok(())
}

/// What holds reserve now (held and not yet expired): points and stored value (principal, bonus).
pub(crate) fn held(c: &Conn<'_>, member: &str, now: Timestamp) -> StoreResult<(i64, StoredValue)> {
    let (p, pr, b): (i64, i64, i64) = c
        .prepare_cached(
            "SELECT COALESCE(SUM(points), 0), COALESCE(SUM(principal), 0), COALESCE(SUM(bonus), 0) FROM holds
             WHERE member_id = ?1 AND status = 'held' AND expires_at > ?2",
        )?
        .query_row(params![member, micros(now)], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    Ok((p, StoredValue { principal: Money(pr), bonus: Money(b) }))
}

/// Points a member can use now: unexpired lots, minus any deficit, minus what holds reserve.
pub(crate) fn usable_points(c: &Conn<'_>, m: &MemberRecord, now: Timestamp) -> StoreResult<i64> {
    Ok(available(c, m, now)?.0)
}

/// Stored value a member can spend now, after what holds reserve.
pub(crate) fn spendable(c: &Conn<'_>, m: &MemberRecord, now: Timestamp) -> StoreResult<StoredValue> {
    Ok(available(c, m, now)?.1)
}

/// Both of the above with one look at the holds.
pub(crate) fn available(c: &Conn<'_>, m: &MemberRecord, now: Timestamp) -> StoreResult<(i64, StoredValue)> {
    let id = m.id.to_string();
    let (held_points, held_sv) = held(c, &id, now)?;
    // The same figure as `shared::points::usable_points` over the lots, summed by SQLite.
    let usable: i64 = c
        .prepare_cached(
            "SELECT COALESCE(SUM(remaining), 0) FROM points_lots
             WHERE member_id = ?1 AND remaining > 0 AND (expires_on IS NULL OR expires_on >= ?2)",
        )?
        .query_row(params![id, hq_day(now).to_string()], |r| r.get(0))?;
    Ok((
        usable - m.points_deficit - held_points,
        StoredValue {
            principal: m.stored_value.principal - held_sv.principal,
            bonus: m.stored_value.bonus - held_sv.bonus,
        },
    ))
}

/// What a member lookup reads besides the member: what they can use now (as [`available`]) and
/// the newest policy and promotion set versions.
pub(crate) struct LookupFigures {
    pub points: i64,
    pub stored_value: StoredValue,
    pub policy_version: i64,
    pub promotion_version: u64,
}

/// [`LookupFigures`] in one statement (one round trip on PostgreSQL instead of four).
pub(crate) fn lookup_figures(c: &Conn<'_>, member: &str, now: Timestamp) -> StoreResult<LookupFigures> {
    let row: (i64, i64, i64, i64, i64, i64, i64, i64, i64) = c
        .prepare_cached(
            "SELECT h.points, h.principal, h.bonus,
                    (SELECT COALESCE(SUM(remaining), 0) FROM points_lots
                     WHERE member_id = ?1 AND remaining > 0 AND (expires_on IS NULL OR expires_on >= ?3)),
                    m.points_deficit, m.sv_principal, m.sv_bonus,
                    (SELECT COALESCE(MAX(version), 0) FROM member_policies),
                    COALESCE((SELECT version FROM promotion_set_version WHERE id = 1), 0)
             FROM members m,
                  (SELECT COALESCE(SUM(points), 0) AS points, COALESCE(SUM(principal), 0) AS principal,
                          COALESCE(SUM(bonus), 0) AS bonus
                   FROM holds WHERE member_id = ?1 AND status = 'held' AND expires_at > ?2) h
             WHERE m.id = ?1",
        )?
        .query_row(params![member, micros(now), hq_day(now).to_string()], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?, r.get(8)?))
        })?;
    let (held_points, held_principal, held_bonus, usable, deficit, principal, bonus, policy, promotions) = row;
    Ok(LookupFigures {
        points: usable - deficit - held_points,
        stored_value: StoredValue { principal: Money(principal - held_principal), bonus: Money(bonus - held_bonus) },
        policy_version: policy,
        promotion_version: promotions.max(0) as u64,
    })
}

/// What a till may know of a member now.
pub(crate) fn snapshot(
    c: &Conn<'_>,
    m: &MemberRecord,
    policy: &MemberPolicy,
    now: Timestamp,
) -> StoreResult<MemberSnapshot> {
    let (points, stored_value) = available(c, m, now)?;
    Ok(snapshot_with(m, policy, points, stored_value))
}

/// [`snapshot`] of figures read already.
pub(crate) fn snapshot_with(
    m: &MemberRecord,
    policy: &MemberPolicy,
    points: i64,
    stored_value: StoredValue,
) -> MemberSnapshot {
    let uids = m
        .cards
        .iter()
        .filter(|card| card.kind == CardKind::Uid && card.status == CardStatus::Active)
        .filter_map(|card| CardUid::parse(&card.value).ok())
        .collect();
    MemberSnapshot {
        id: m.id,
        code: m.code.clone(),
        phone: m.phone.clone(),
        name: m.name.clone(),
        birthday: m.birthday,
        tier: m.tier.clone(),
        status: m.status,
        home_branch: m.home_branch,
        card_uids: uids,
        points,
        stored_value,
        offline_points_cap: policy.offline.points_per_day,
        offline_stored_value_cap: policy.offline.stored_value_per_day,
        code_secret: m.code_secret.clone(),
    }
}

/// The member's spend over the 365 days up to `day`: sales due minus what their refunds paid
/// back (a refund counts under its sale's member, kept on the refund by ingest).
pub(crate) fn trailing_spend(c: &Conn<'_>, member: &str, day: Date) -> StoreResult<Money> {
    let from = day.checked_sub(jiff::Span::new().days(364)).unwrap_or(day).to_string();
    let to = day.to_string();
    let (sales, refunds): (i64, i64) = c
        .prepare_cached(
            "SELECT (SELECT COALESCE(SUM(s.due), 0) FROM sales s
                     WHERE s.member_id = ?1 AND s.business_day BETWEEN ?2 AND ?3),
                    (SELECT COALESCE(SUM(total + rounding), 0) FROM refunds
                     WHERE sale_member_id = ?1 AND business_day BETWEEN ?2 AND ?3)",
        )?
        .query_row(params![member, from, to], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(Money(sales - refunds))
}

/// Moves a member to another tier, recording why.
pub(crate) fn set_tier(c: &Conn<'_>, member: &str, from: &str, to: &str, at: Timestamp, why: &str) -> StoreResult<()> {
    c.execute_later(
        "UPDATE members SET tier = ?2, updated_at = ?3 WHERE id = ?1",
        params![member, to, micros(at)],
        None,
    )?;
    c.execute_later(
        "INSERT INTO tier_changes (member_id, from_tier, to_tier, at, why) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![member, from, to, micros(at), why],
        None,
    )?;
    Ok(())
}

/// How long after a member's last visit a branch's tills keep them for offline use.
pub(crate) const VISIT_DAYS: i64 = 90;

/// Puts the member's snapshot on the change feed of their home branch and of the branches they
/// shopped at in the last [`VISIT_DAYS`] (others look them up online).
pub(crate) fn publish(c: &Conn<'_>, member: &str, now: Timestamp) -> StoreResult<()> {
    let Some(m) = load_member(c, member)? else { return Ok(()) };
    let since = hq_day(now).checked_sub(jiff::Span::new().days(VISIT_DAYS)).unwrap_or(hq_day(now)).to_string();
    let visited: Vec<i64> = c
        .prepare_cached("SELECT branch_id FROM member_visits WHERE member_id = ?1 AND last_day >= ?2")?
        .query_map(params![member, since], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    if m.home_branch.is_none() && visited.is_empty() {
        return Ok(());
    }
    let policy = super::policy_in_force_tx(c, now)?;
    let change = shared::sync::Change::Member(snapshot(c, &m, &policy, now)?);
    if let Some(home) = m.home_branch {
        super::emit(c, &format!("member:{}", m.id), Some(home.0), &change)?;
    }
    for b in visited.into_iter().filter(|b| Some(*b) != m.home_branch.map(|h| h.0)) {
        super::emit(c, &format!("member:{}:at:{b}", m.id), Some(b), &change)?;
    }
    Ok(())
}

/// Notes that a member shopped at a branch (see [`publish`]).
pub(crate) fn visited(c: &Conn<'_>, member: &str, branch: i64, day: Date) -> StoreResult<()> {
    c.execute_later(
        "INSERT INTO member_visits (member_id, branch_id, last_day) VALUES (?1, ?2, ?3)
         ON CONFLICT (member_id, branch_id) DO UPDATE SET last_day = CASE WHEN excluded.last_day > member_visits.last_day
                                                             THEN excluded.last_day ELSE member_visits.last_day END",
        params![member, branch, day.to_string()],
        None,
    )?;
    Ok(())
}

/// The next free ten-digit member code.
/// `n` member codes at once, for an import: the sequence is moved once for the lot (on
/// PostgreSQL each update of its one row in a long transaction leaves a row version the next
/// must step over), skipping codes already taken and those in `claimed` (the codes the import
/// gives its other members).
pub(crate) fn reserve_codes(
    c: &Conn<'_>,
    n: usize,
    claimed: &std::collections::HashSet<String>,
) -> StoreResult<Vec<MemberCode>> {
    let mut codes = Vec::with_capacity(n);
    while codes.len() < n {
        let want = i64::try_from(n - codes.len()).map_err(|_| StoreError::Invalid("too many members".into()))?;
        let last: i64 = c
            .prepare_cached(
                "INSERT INTO member_code_seq (id, next) VALUES (1, 8000000000 + ?1)
                 ON CONFLICT (id) DO UPDATE SET next = member_code_seq.next + ?1 RETURNING next",
            )?
            .query_row([want], |r| r.get(0))?;
        // The block's codes already taken, in one query (same-length digit strings sort as numbers;
        // what else falls in the range is only compared, never used).
        let (first, end) = (format!("{:010}", last - want + 1), format!("{last:010}"));
        let taken: std::collections::HashSet<String> = c
            .prepare_cached("SELECT code FROM members WHERE code BETWEEN ?1 AND ?2")?
            .query_map([first.as_str(), end.as_str()], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        for k in (last - want + 1)..=last {
            let code = format!("{k:010}");
            if !taken.contains(&code) && !claimed.contains(&code) {
                codes.push(MemberCode::parse(&code).map_err(|e| StoreError::Internal(e.to_string()))?);
            }
        }
    }
    Ok(codes)
}

pub(crate) fn next_code(c: &Conn<'_>) -> StoreResult<MemberCode> {
    loop {
        let n: i64 = c
            .prepare_cached(
                "INSERT INTO member_code_seq (id, next) VALUES (1, 8000000001)
                 ON CONFLICT (id) DO UPDATE SET next = member_code_seq.next + 1 RETURNING next",
            )?
            .query_row([], |r| r.get(0))?;
        let code = format!("{n:010}");
        let taken: Option<i64> =
            c.prepare_cached("SELECT 1 FROM members WHERE code = ?1")?.query_row([&code], |r| r.get(0)).optional()?;
        if taken.is_none() {
            return MemberCode::parse(&code).map_err(|e| StoreError::Internal(e.to_string()));
        }
    }
}
