//! The member registry, cards, the ledger's reads and adjustments, and the till's member lookup;
//! holds and top-ups are in `holds.rs`, the daily job in `daily.rs`.
#![allow(clippy::type_complexity)] // SQL rows read as tuples

use super::conn::{Conn, OptionalExtension, params};
use jiff::Timestamp;
use jiff::civil::Date;
use shared::ids::{HoldId, MemberId};
use shared::ledger::LedgerKind;
use shared::member::{MemberIdentifier, MemberStatus};
use shared::money::Money;
use shared::sync::{HoldRequest, HoldResponse, TopUpRequest, TopUpResponse};

use super::branches::till_by_token_tx;
use super::ledger::{self, Entry, hq_day, load_member};
use super::{
    SqlStore, append_audit, from_micros, in_force_of, micros, not_found, policy_in_force_tx, policy_version_tx,
};
use crate::model::{
    Actor, Adjustment, CardKind, CardStatus, DailyRun, LedgerRow, LotRow, MemberPatch, MemberRecord, MemberRefusal,
    NewMember, Till, TillMemberLookup, TokenLookup,
};
use crate::store::{ImportSummary, MemberStore, StoreError, StoreResult};

/// Creates a member inside the caller's transaction; attributes sales that waited for them.
pub(crate) fn insert_member(
    c: &Conn<'_>,
    key: &crate::audit::AuditKey,
    actor: &Actor,
    m: NewMember,
    now: Timestamp,
) -> StoreResult<MemberRecord> {
    let name = m.name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(StoreError::Invalid("a member needs a name of 1 to 100 printable characters".into()));
    }
    let policy = policy_in_force_tx(c, now)?;
    let tier = match m.tier {
        Some(t) if policy.tiers.by_code(&t).is_some() => t,
        Some(t) => return Err(StoreError::Invalid(format!("there is no tier `{t}`"))),
        None => policy.tiers.entry().code.clone(),
    };
    if let Some(p) = &m.phone {
        let taken: Option<String> = c
            .prepare_cached("SELECT id FROM members WHERE phone = ?1")?
            .query_row([p.as_str()], |r| r.get(0))
            .optional()?;
        if taken.is_some() {
            return Err(StoreError::Conflict(format!("phone {} already belongs to a member", p.masked())));
        }
    }
    let code = match m.code {
        Some(code) => code,
        None => ledger::next_code(c)?,
    };
    let card_taken: Option<i64> = c
        .prepare_cached("SELECT 1 FROM member_cards WHERE kind = 'code' AND value = ?1")?
        .query_row([code.as_str()], |r| r.get(0))
        .optional()?;
    if card_taken.is_some() {
        return Err(StoreError::Conflict(format!("member code {code} is already used")));
    }
    let id = m.id.unwrap_or_default();
    c.prepare_cached(
        "INSERT INTO members (id, code, phone, name, birthday, tier, status, home_branch, enrolled_at, enrolled_by,
         updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'active', ?7, ?8, ?9, ?8)",
    )?
    .execute(params![
        id.to_string(),
        code.as_str(),
        m.phone.as_ref().map(|p| p.as_str()),
        name,
        m.birthday.map(|d| d.to_string()),
        tier,
        m.home_branch.map(|b| b.0),
        micros(now),
        actor.who
    ])
    .map_err(|e| {
        if super::is_constraint(&e) {
            StoreError::Conflict(format!("member {id} or code {code} already exists"))
        } else {
            e.into()
        }
    })?;
    add_card_tx(c, &id.to_string(), CardKind::Code, code.as_str(), now)?;
    if let Some(uid) = &m.uid {
        add_card_tx(c, &id.to_string(), CardKind::Uid, uid.as_str(), now)?;
    }
    let created = load_member(c, &id.to_string())?.ok_or_else(|| StoreError::Internal("member vanished".into()))?;
    append_audit(c, key, actor, now, "create", &format!("member:{id}"), None::<&()>, Some(&created))?;
    attribute_pending(c, &created, now)?;
    ledger::publish(c, &id.to_string(), now)?;
    load_member(c, &id.to_string())?.ok_or_else(|| StoreError::Internal("member vanished".into()))
}

fn add_card_tx(c: &Conn<'_>, member: &str, kind: CardKind, value: &str, now: Timestamp) -> StoreResult<()> {
    c.prepare_cached(
        "INSERT INTO member_cards (member_id, kind, value, status, created_at, updated_at) VALUES (?1, ?2, ?3, 'active', ?4, ?4)",
    )?
    .execute(params![member, kind.code(), value, micros(now)])
    .map_err(|e| {
        if super::is_constraint(&e) {
            StoreError::Conflict(format!("card {value} already belongs to a member"))
        } else {
            e.into()
        }
    })?;
    Ok(())
}

/// Credits the sales that waited for this member (identified offline by code, phone or UID).
pub(crate) fn attribute_pending(c: &Conn<'_>, m: &MemberRecord, now: Timestamp) -> StoreResult<()> {
    let mut keys: Vec<(&str, String)> = vec![("code", m.code.as_str().to_owned())];
    if let Some(p) = &m.phone {
        keys.push(("phone", p.as_str().to_owned()));
    }
    for card in &m.cards {
        keys.push((card.kind.code(), card.value.clone()));
    }
    let member = m.id.to_string();
    for (kind, value) in keys {
        let open: Vec<(String, i64, u32, String, i64)> = c
            .prepare_cached(
                "SELECT sale_id, points, policy_version, business_day, branch_id FROM pending_attributions
                 WHERE identifier_kind = ?1 AND identifier = ?2 AND attributed_to IS NULL",
            )?
            .query_map(params![kind, value], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))?
            .collect::<Result<_, _>>()?;
        for (sale, points, version, day, branch) in open {
            let day: Date = day.parse().map_err(|e: jiff::Error| StoreError::Internal(e.to_string()))?;
            super::ingest::set_sale_member(c, &sale, &member)?;
            earn(c, &member, &sale, points, version, day, Some(branch), now, "attribution")?;
            c.prepare_cached(
                "UPDATE pending_attributions SET attributed_to = ?2, attributed_at = ?3 WHERE sale_id = ?1",
            )?
            .execute(params![sale, member, micros(now)])?;
        }
    }
    Ok(())
}

/// An `earn` entry and its lot for a sale, with the expiry of the policy version the sale used.
#[allow(clippy::too_many_arguments)]
pub(crate) fn earn(
    c: &Conn<'_>,
    member: &str,
    sale: &str,
    points: i64,
    policy_version: u32,
    day: Date,
    branch: Option<i64>,
    now: Timestamp,
    actor: &str,
) -> StoreResult<()> {
    if points <= 0 {
        return Ok(());
    }
    let policy = match policy_version_tx(c, policy_version)? {
        Some(p) => p,
        None => policy_in_force_tx(c, now)?,
    };
    let source = format!("sale:{sale}");
    let Some(entry) = ledger::append(
        c,
        &Entry {
            member,
            kind: LedgerKind::Earn,
            points,
            principal: 0,
            bonus: 0,
            at: now,
            day,
            branch,
            source: &source,
            lot: None,
            reason: None,
            actor,
        },
    )?
    else {
        return Ok(());
    };
    // The lot's id is its `earn` entry's id.
    ledger::add_lot(c, member, &entry, points, day, policy.expiry.expires_on(day), Some(sale))
}

impl SqlStore {
    fn member_or_404(c: &Conn<'_>, id: MemberId) -> StoreResult<MemberRecord> {
        load_member(c, &id.to_string())?.ok_or_else(|| StoreError::NotFound(format!("member {id}")))
    }
}

/// A ledger entry from its row's first twelve columns (`id, kind, points, principal, bonus, at,
/// business_day, branch_id, source, lot_id, reason, actor`).
pub(super) fn ledger_row(r: &super::conn::Row<'_>) -> super::conn::Result<StoreResult<LedgerRow>> {
    let kind: String = r.get(1)?;
    let day: String = r.get(6)?;
    let branch: Option<i64> = r.get(7)?;
    let at: i64 = r.get(5)?;
    let (id, points, principal, bonus, source, lot_id, reason, actor) =
        (r.get(0)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(8)?, r.get(9)?, r.get(10)?, r.get(11)?);
    Ok((|| {
        Ok(LedgerRow {
            id,
            kind: LedgerKind::parse(&kind).ok_or_else(|| StoreError::Internal(format!("ledger kind {kind}")))?,
            points,
            principal,
            bonus,
            at: from_micros(at),
            business_day: day.parse().map_err(|e: jiff::Error| StoreError::Internal(e.to_string()))?,
            branch_id: branch.map(shared::ids::BranchId),
            source,
            lot_id,
            reason,
            actor,
        })
    })())
}

/// How a till's lookup finds the member.
#[derive(Clone, Copy)]
enum Finder<'a> {
    /// What the cashier scanned or typed: card code, UID or phone, cards' states checked.
    Identifier(&'a MemberIdentifier),
    /// The member number of a rotating code from the member's phone: the phone vouches for the
    /// member, so a printed card reported lost does not stop it.
    Number(&'a shared::catalog::MemberCode),
}

impl SqlStore {
    /// A till's member lookup in the caller's read transaction, or statement by statement
    /// ([`SqlStore::read_apart`]: what the till may spend is read in one statement). Takes no lock
    /// but the policy cache's, so it may run where waiting is not allowed.
    fn till_member_lookup_tx(
        &self,
        c: &Conn<'_>,
        token_hash: &str,
        by: Finder<'_>,
        now: Timestamp,
    ) -> StoreResult<TillMemberLookup> {
        match till_by_token_tx(c, token_hash)? {
            TokenLookup::Valid(_) => {}
            TokenLookup::Revoked => return Ok(TillMemberLookup::RevokedTill),
            TokenLookup::Unknown => return Ok(TillMemberLookup::UnknownTill),
        }
        // The member the identifier names, without following merges yet: most members were
        // never merged, and loading the record tells (one round trip fewer than resolving first).
        let found = match by {
            Finder::Identifier(by) => ledger::find_unresolved(c, by)?,
            // The member number itself, whatever became of the printed card.
            Finder::Number(number) => Ok(c
                .prepare_cached("SELECT id FROM members WHERE code = ?1")?
                .query_row([number.as_str()], |r| r.get(0))
                .optional()?),
        };
        let id = match found {
            Ok(Some(id)) => id,
            Ok(None) => return Ok(TillMemberLookup::NoSuchMember),
            Err(r) => return Ok(TillMemberLookup::Refused(r)),
        };
        let m = match load_member(c, &id)? {
            Some(m) if m.merged_into.is_none() => m,
            // Merged (or gone with only its merge on record): the member it became.
            _ => {
                let Some(id) = ledger::resolve(c, &id)? else { return Ok(TillMemberLookup::NoSuchMember) };
                let Some(m) = load_member(c, &id)? else { return Ok(TillMemberLookup::NoSuchMember) };
                m
            }
        };
        let id = m.id.to_string();
        // Balances after holds and the policy and promotion versions in force, in one statement.
        let figures = ledger::lookup_figures(c, &id, now)?;
        let policies = self.policies_at(c, figures.policy_version)?;
        let policy = in_force_of(&policies, now)?;
        // Per-member promotion limits: counted only when the current set has such a promotion.
        let limited = match self.promotion_engine_tx(c, figures.promotion_version)? {
            Some(engine) => super::promotions::member_limited(&engine),
            None => Vec::new(),
        };
        let uses = super::promotions::member_promotion_uses_tx(c, &id, &limited, None)?;
        let snapshot = ledger::snapshot_with(&m, policy, figures.points, figures.stored_value);
        Ok(TillMemberLookup::Found(Box::new(snapshot), policy.version, uses))
    }
}

impl MemberStore for SqlStore {
    fn create_member(&self, actor: &Actor, member: NewMember) -> StoreResult<MemberRecord> {
        self.write(|tx| insert_member(tx, &self.audit_key, actor, member, self.now()))
    }

    fn update_member(&self, actor: &Actor, id: MemberId, patch: MemberPatch) -> StoreResult<MemberRecord> {
        self.write(|tx| {
            let now = self.now();
            let before = Self::member_or_404(tx, id)?;
            if before.status == MemberStatus::Merged {
                return Err(StoreError::Conflict(format!("member {id} was merged into another")));
            }
            if let Some(name) = &patch.name {
                let n = name.trim();
                if n.is_empty() || n.chars().count() > 100 || n.chars().any(char::is_control) {
                    return Err(StoreError::Invalid("a member needs a name of 1 to 100 printable characters".into()));
                }
                tx.execute("UPDATE members SET name = ?2 WHERE id = ?1", params![id.to_string(), n])?;
            }
            if let Some(phone) = &patch.phone {
                tx.execute(
                    "UPDATE members SET phone = ?2 WHERE id = ?1",
                    params![id.to_string(), phone.as_ref().map(|p| p.as_str())],
                )
                .map_err(|e| {
                    if super::is_constraint(&e) {
                        StoreError::Conflict("that phone number belongs to another member".into())
                    } else {
                        e.into()
                    }
                })?;
            }
            if let Some(b) = &patch.birthday {
                tx.execute(
                    "UPDATE members SET birthday = ?2 WHERE id = ?1",
                    params![id.to_string(), b.map(|d| d.to_string())],
                )?;
            }
            if let Some(status) = patch.status {
                if status == MemberStatus::Merged {
                    return Err(StoreError::Invalid("a member is merged by HQ, not set to merged".into()));
                }
                tx.execute(
                    "UPDATE members SET status = ?2 WHERE id = ?1",
                    params![id.to_string(), ledger::status_code(status)],
                )?;
            }
            if let Some(home) = &patch.home_branch {
                tx.execute(
                    "UPDATE members SET home_branch = ?2 WHERE id = ?1",
                    params![id.to_string(), home.map(|b| b.0)],
                )?;
            }
            tx.execute("UPDATE members SET updated_at = ?2 WHERE id = ?1", params![id.to_string(), micros(now)])?;
            let mut after = Self::member_or_404(tx, id)?;
            if after.phone != before.phone {
                // A new number (a phone lost or stolen): the old handset's sessions end and every
                // code it could show stops working.
                tx.execute("DELETE FROM member_sessions WHERE member_id = ?1", [id.to_string()])?;
                if before.code_secret.is_some() {
                    super::member_pages::put_secret(tx, &self.audit_key, &after, "rotate_code_secret", now)?;
                    after = Self::member_or_404(tx, id)?;
                }
            }
            append_audit(
                tx,
                &self.audit_key,
                actor,
                self.now(),
                "update",
                &format!("member:{id}"),
                Some(&before),
                Some(&after),
            )?;
            attribute_pending(tx, &after, now)?;
            ledger::publish(tx, &id.to_string(), now)?;
            Self::member_or_404(tx, id)
        })
    }

    fn get_member(&self, id: MemberId) -> StoreResult<MemberRecord> {
        self.read(|c| Self::member_or_404(c, id))
    }

    fn find_member(&self, by: &MemberIdentifier) -> StoreResult<Result<Option<MemberRecord>, MemberRefusal>> {
        self.read(|c| match ledger::find(c, by)? {
            Ok(Some(id)) => Ok(Ok(load_member(c, &id)?)),
            Ok(None) => Ok(Ok(None)),
            Err(r) => Ok(Err(r)),
        })
    }

    fn search_members(&self, query: &str, limit: u32) -> StoreResult<Vec<MemberRecord>> {
        let q = query.trim();
        if q.is_empty() {
            return Ok(Vec::new());
        }
        self.read(|c| {
            let digits = q.chars().all(|ch| ch.is_ascii_digit());
            let ids: Vec<String> = if digits {
                let prefix = format!("{q}%");
                c.prepare_cached(
                    "SELECT id FROM members WHERE (code LIKE ?1 OR phone LIKE ?1) AND status <> 'merged'
                     UNION SELECT member_id FROM member_cards WHERE value = ?2 LIMIT ?3",
                )?
                .query_map(params![prefix, q, limit], |r| r.get(0))?
                .collect::<Result<_, _>>()?
            } else {
                let escaped = q.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
                c.prepare_cached(&format!(
                    "SELECT id FROM members WHERE name {} ?1 ESCAPE '\\' AND status <> 'merged' ORDER BY name LIMIT ?2",
                    c.like()
                ))?
                .query_map(params![format!("%{escaped}%"), limit], |r| r.get(0))?
                .collect::<Result<_, _>>()?
            };
            ids.iter().filter_map(|id| load_member(c, id).transpose()).collect()
        })
    }

    fn list_members(&self, after_code: &str, limit: u32) -> StoreResult<Vec<MemberRecord>> {
        self.read(|c| {
            let ids: Vec<String> = c
                .prepare_cached("SELECT id FROM members WHERE code > ?1 ORDER BY code LIMIT ?2")?
                .query_map(params![after_code, limit], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            ids.iter().filter_map(|id| load_member(c, id).transpose()).collect()
        })
    }

    fn count_members(&self) -> StoreResult<u64> {
        self.read(|c| {
            Ok(c.query_row("SELECT COUNT(*) FROM members WHERE status <> 'merged'", [], |r| r.get::<_, i64>(0))?.max(0)
                as u64)
        })
    }

    fn import_members(
        &self,
        actor: &Actor,
        members: Vec<NewMember>,
        progress: &dyn Fn(u64),
    ) -> StoreResult<ImportSummary> {
        self.write(|tx| {
            let now = self.now();
            let mut summary = ImportSummary::default();
            let claimed = members.iter().filter_map(|m| m.code.as_ref().map(|c| c.as_str().to_owned())).collect();
            let needed = members.iter().filter(|m| m.code.is_none()).count();
            let mut codes = ledger::reserve_codes(tx, needed, &claimed)?.into_iter();
            for (i, mut m) in members.into_iter().enumerate() {
                if m.code.is_none() {
                    m.code = codes.next();
                }
                insert_member(tx, &self.audit_key, actor, m, now)?;
                summary.created += 1;
                if i % 1000 == 999 {
                    progress(i as u64 + 1);
                }
            }
            progress(summary.created);
            Ok(summary)
        })
    }

    fn add_card(&self, actor: &Actor, id: MemberId, kind: CardKind, value: &str) -> StoreResult<MemberRecord> {
        let value = normalise_card(kind, value)?;
        self.write(|tx| {
            let now = self.now();
            let before = Self::member_or_404(tx, id)?;
            add_card_tx(tx, &id.to_string(), kind, &value, now)?;
            let after = Self::member_or_404(tx, id)?;
            append_audit(
                tx,
                &self.audit_key,
                actor,
                self.now(),
                "add_card",
                &format!("member:{id}"),
                Some(&before.cards),
                Some(&after.cards),
            )?;
            attribute_pending(tx, &after, now)?;
            ledger::publish(tx, &id.to_string(), now)?;
            Self::member_or_404(tx, id)
        })
    }

    fn set_card_status(
        &self,
        actor: &Actor,
        kind: CardKind,
        value: &str,
        status: CardStatus,
    ) -> StoreResult<MemberRecord> {
        let value = normalise_card(kind, value)?;
        self.write(|tx| {
            let now = self.now();
            let member: String = tx
                .query_row(
                    "SELECT member_id FROM member_cards WHERE kind = ?1 AND value = ?2",
                    params![kind.code(), value],
                    |r| r.get(0),
                )
                .map_err(StoreError::from)
                .map_err(not_found(format!("card {value}")))?;
            let before = load_member(tx, &member)?;
            tx.execute(
                "UPDATE member_cards SET status = ?3, updated_at = ?4 WHERE kind = ?1 AND value = ?2",
                params![kind.code(), value, status.code(), micros(now)],
            )?;
            let after = load_member(tx, &member)?.ok_or_else(|| StoreError::Internal("member vanished".into()))?;
            append_audit(
                tx,
                &self.audit_key,
                actor,
                now,
                &format!("card_{}", status.code()),
                &format!("member:{member}"),
                before.as_ref().map(|b| &b.cards),
                Some(&after.cards),
            )?;
            ledger::publish(tx, &member, now)?;
            Ok(after)
        })
    }

    fn ledger(&self, id: MemberId, limit: u32) -> StoreResult<Vec<LedgerRow>> {
        self.read(|c| {
            Self::member_or_404(c, id)?;
            c.prepare_cached(
                "SELECT id, kind, points, principal, bonus, at, business_day, branch_id, source, lot_id, reason, actor
                 FROM ledger_entries WHERE member_id = ?1 ORDER BY at DESC, id DESC LIMIT ?2",
            )?
            .query_map(params![id.to_string(), limit], ledger_row)?
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .collect()
        })
    }

    fn lots(&self, id: MemberId) -> StoreResult<Vec<LotRow>> {
        self.read(|c| {
            Self::member_or_404(c, id)?;
            let rows: Vec<(String, String, i64, i64, Option<String>, Option<String>)> = c
                .prepare_cached(
                    "SELECT id, earned_on, points, remaining, expires_on, sale_id FROM points_lots
                     WHERE member_id = ?1 ORDER BY earned_on DESC, id DESC",
                )?
                .query_map([id.to_string()], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?))
                })?
                .collect::<Result<_, _>>()?;
            rows.into_iter()
                .map(|(id, earned, points, remaining, expires, sale)| {
                    let date = |s: &str| s.parse::<Date>().map_err(|e| StoreError::Internal(e.to_string()));
                    Ok(LotRow {
                        id,
                        earned_on: date(&earned)?,
                        points,
                        remaining,
                        expires_on: expires.as_deref().map(date).transpose()?,
                        sale_id: sale,
                    })
                })
                .collect()
        })
    }

    fn adjust(&self, actor: &Actor, id: MemberId, a: Adjustment) -> StoreResult<Result<MemberRecord, MemberRefusal>> {
        let reason = a.reason.trim().to_owned();
        if reason.is_empty() || reason.chars().count() > 200 {
            return Ok(Err(MemberRefusal::Invalid("an adjustment needs a reason of 1 to 200 characters".into())));
        }
        if a.points == 0 && a.principal.is_zero() && a.bonus.is_zero() {
            return Ok(Err(MemberRefusal::Invalid("an adjustment must change something".into())));
        }
        if a.points.abs() > 100_000_000 || a.principal.0.abs() > 1_000_000_000 || a.bonus.0.abs() > 1_000_000_000 {
            return Ok(Err(MemberRefusal::Invalid("the adjustment is too large".into())));
        }
        self.write(|tx| {
            let now = self.now();
            let before = Self::member_or_404(tx, id)?;
            if before.status == MemberStatus::Merged {
                return Ok(Err(MemberRefusal::Invalid("the member was merged into another".into())));
            }
            let sv = before.stored_value;
            if sv.principal + a.principal < Money::ZERO || sv.bonus + a.bonus < Money::ZERO {
                return Ok(Err(MemberRefusal::InsufficientStoredValue {
                    available: sv.total(),
                    asked: -(a.principal + a.bonus),
                }));
            }
            let member = id.to_string();
            let day = hq_day(now);
            let source = format!("adjust:{}", uuid::Uuid::now_v7());
            if a.points < 0 {
                ledger::take_points(tx, &member, -a.points, None, day)?;
            }
            let entry = ledger::append(
                tx,
                &Entry {
                    member: &member,
                    kind: LedgerKind::Adjust,
                    points: a.points,
                    principal: a.principal.0,
                    bonus: a.bonus.0,
                    at: now,
                    day,
                    branch: None,
                    source: &source,
                    lot: None,
                    reason: Some(&reason),
                    actor: &actor.who,
                },
            )?
            .ok_or_else(|| StoreError::Internal("a fresh adjustment collided".into()))?;
            if a.points > 0 {
                let policy = policy_in_force_tx(tx, now)?;
                ledger::add_lot(tx, &member, &entry, a.points, day, policy.expiry.expires_on(day), None)?;
            }
            let after = Self::member_or_404(tx, id)?;
            append_audit(
                tx,
                &self.audit_key,
                actor,
                now,
                "adjust",
                &format!("member:{id}"),
                Some(&serde_json::json!({"points": before.points, "stored_value": before.stored_value})),
                Some(
                    &serde_json::json!({"points": after.points, "stored_value": after.stored_value, "reason": reason}),
                ),
            )?;
            ledger::publish(tx, &member, now)?;
            Ok(Ok(after))
        })
    }

    fn till_member_lookup(
        &self,
        token_hash: &str,
        by: &MemberIdentifier,
        now: Timestamp,
    ) -> StoreResult<TillMemberLookup> {
        self.read_apart(|c| self.till_member_lookup_tx(c, token_hash, Finder::Identifier(by), now))
    }

    fn till_member_lookup_by_number(
        &self,
        token_hash: &str,
        number: &shared::catalog::MemberCode,
        now: Timestamp,
    ) -> StoreResult<TillMemberLookup> {
        self.read_apart(|c| self.till_member_lookup_tx(c, token_hash, Finder::Number(number), now))
    }

    fn try_till_member_lookup(
        &self,
        token_hash: &str,
        by: &MemberIdentifier,
        now: Timestamp,
    ) -> Option<StoreResult<TillMemberLookup>> {
        self.read_if_free(|c| self.till_member_lookup_tx(c, token_hash, Finder::Identifier(by), now))
    }

    fn hold(&self, till: &Till, req: &HoldRequest, now: Timestamp) -> StoreResult<Result<HoldResponse, MemberRefusal>> {
        self.place_hold(till, req, now)
    }

    fn release_hold(&self, till: &Till, hold: HoldId, now: Timestamp) -> StoreResult<Result<bool, MemberRefusal>> {
        self.release_placed_hold(till, hold, now)
    }

    fn top_up(
        &self,
        till: &Till,
        request: &TopUpRequest,
        now: Timestamp,
    ) -> StoreResult<Result<TopUpResponse, MemberRefusal>> {
        self.apply_top_up(till, request, now)
    }

    fn run_daily(&self, actor: &Actor, day: Date, now: Timestamp) -> StoreResult<DailyRun> {
        self.daily_job(actor, day, now)
    }

    fn check_balances(&self) -> StoreResult<Vec<String>> {
        self.balance_problems()
    }
}

fn normalise_card(kind: CardKind, value: &str) -> StoreResult<String> {
    match kind {
        CardKind::Code => shared::catalog::MemberCode::parse(value)
            .map(|c| c.as_str().to_owned())
            .map_err(|e| StoreError::Invalid(format!("card code: {e}"))),
        CardKind::Uid => shared::member::CardUid::parse(value)
            .map(|u| u.as_str().to_owned())
            .map_err(|e| StoreError::Invalid(format!("card UID: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use shared::member::Phone;
    use shared::sync::{EnrolRequest, PROTOCOL_VERSION};

    use super::*;
    use crate::store::BranchStore;
    use crate::{admin, auth};

    /// A store with one enrolled till and one member; the till's token hash and the member's phone.
    fn store_with_till_and_member(dir: &std::path::Path) -> (std::sync::Arc<SqlStore>, String, Phone) {
        let store = std::sync::Arc::new(SqlStore::open(&dir.join("hq.sqlite")).expect("store"));
        let branch =
            admin::add_branch(&*store, &Actor::cli(), admin::default_branch("B001", "一号店")).expect("branch").id;
        let (_, code) =
            admin::add_till(&*store, &Actor::cli(), branch, "", std::time::Duration::from_secs(60)).expect("till");
        let req = EnrolRequest { protocol: PROTOCOL_VERSION, code, device_name: "test".into() };
        let (_, token) = admin::enrol(&*store, &req, "test").expect("enrol").expect("enrolled");
        let phone = Phone::parse("13900000001").expect("phone");
        store
            .create_member(
                &Actor::cli(),
                NewMember { phone: Some(phone.clone()), name: "张三".into(), ..NewMember::default() },
            )
            .expect("member");
        (store, auth::token_hash(&token), phone)
    }

    #[test]
    fn a_lookup_that_must_not_wait_steps_aside_while_every_reader_is_busy() {
        let dir = tempfile::tempdir().expect("dir");
        let (store, token, phone) = store_with_till_and_member(dir.path());
        let by = MemberIdentifier::Phone(phone.clone());
        let now = Timestamp::now();
        let found = |l: TillMemberLookup| match l {
            TillMemberLookup::Found(m, ..) => m.phone == Some(phone.clone()),
            _ => false,
        };
        // A reader is free: the lookup runs at once.
        assert!(found(store.try_till_member_lookup(&token, &by, now).expect("ran").expect("lookup")));

        // Every reader busy (long reports, say): it does not wait, and says so.
        let busy: Vec<_> = store.sqlite_readers().iter().map(|r| r.lock().expect("reader")).collect();
        assert!(store.try_till_member_lookup(&token, &by, now).is_none());
        // The waiting lookup (the blocking pool's) runs once a reader is given back.
        let waiting = {
            let (store, token, by) = (store.clone(), token.clone(), by.clone());
            std::thread::spawn(move || store.till_member_lookup(&token, &by, now))
        };
        drop(busy);
        assert!(found(waiting.join().expect("thread").expect("lookup")));
    }

    #[test]
    fn a_lookup_by_the_card_of_a_merged_member_answers_the_member_it_became() {
        let dir = tempfile::tempdir().expect("dir");
        let (store, token, phone) = store_with_till_and_member(dir.path());
        let now = Timestamp::now();
        let into = store
            .find_member(&MemberIdentifier::Phone(phone.clone()))
            .expect("find")
            .expect("not refused")
            .expect("member");
        let from = store
            .create_member(&Actor::cli(), NewMember { name: "李四".into(), ..NewMember::default() })
            .expect("member");
        store.add_card(&Actor::cli(), from.id, CardKind::Uid, "04A1B2C3").expect("card");
        store
            .raw(|c| {
                c.execute(
                    "UPDATE members SET merged_into = ?2, status = 'merged' WHERE id = ?1",
                    params![from.id.to_string(), into.id.to_string()],
                )?;
                Ok(())
            })
            .expect("merged");
        let by = MemberIdentifier::Uid(shared::member::CardUid::parse("04A1B2C3").expect("uid"));
        let TillMemberLookup::Found(m, ..) = store.till_member_lookup(&token, &by, now).expect("lookup") else {
            panic!("found")
        };
        assert_eq!(m.id, into.id, "the member it was merged into");
        assert_eq!(m.phone, Some(phone));
    }

    #[test]
    fn a_policy_version_added_by_another_process_is_seen_at_once() {
        use crate::store::PolicyStore;
        let dir = tempfile::tempdir().expect("dir");
        let (store, token, phone) = store_with_till_and_member(dir.path());
        let by = MemberIdentifier::Phone(phone);
        let version = |l: TillMemberLookup| match l {
            TillMemberLookup::Found(_, v, _) => v,
            other => panic!("{other:?}"),
        };
        // The first lookup fills the policy cache.
        assert_eq!(version(store.till_member_lookup(&token, &by, Timestamp::now()).expect("lookup")), 1);
        // The CLI (another process, other connections) adds version 2, in force already.
        let cli = SqlStore::open(&dir.path().join("hq.sqlite")).expect("second store");
        let mut next = cli.current_policy().expect("policy");
        next.effective_from = Timestamp::now();
        next.earn.earn_per_yuan = 300;
        cli.create_policy(&Actor::cli(), next).expect("version 2");
        let now = Timestamp::now();
        assert_eq!(version(store.till_member_lookup(&token, &by, now).expect("lookup")), 2);
        assert_eq!(store.policy_in_force(now).expect("policy").earn.earn_per_yuan, 300);
    }

    #[test]
    fn a_lookup_checks_the_till_first() {
        let dir = tempfile::tempdir().expect("dir");
        let (store, token, phone) = store_with_till_and_member(dir.path());
        let by = MemberIdentifier::Phone(phone);
        let now = Timestamp::now();
        let unknown = store.till_member_lookup(&auth::token_hash("tpt_made_up"), &by, now).expect("lookup");
        assert!(matches!(unknown, TillMemberLookup::UnknownTill));
        let TokenLookup::Valid(till) = store.till_by_token(&token).expect("token") else { panic!("valid token") };
        store.revoke_till(&Actor::cli(), till.id).expect("revoke");
        assert!(matches!(store.till_member_lookup(&token, &by, now).expect("lookup"), TillMemberLookup::RevokedTill));
        let other = MemberIdentifier::Phone(Phone::parse("13900000002").expect("phone"));
        assert!(matches!(
            store.till_member_lookup(&token, &other, now).expect("lookup"),
            TillMemberLookup::RevokedTill
        ));
    }
}
