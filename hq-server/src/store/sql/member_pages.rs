//! The member pages' storage (会员 手机版): sign-in codes, members' sessions on their phones, the
//! secret of each member's rotating code, what a member changes of themselves, and the figures
//! and history their pages show. All of it in the database, so any HQ process serves any page.
//!
//! Decisions where the spec is silent:
//! - A new code for a phone ends the earlier live one (only the newest code signs in).
//! - A member without a secret gets one the first time their code is asked for; signing out
//!   everywhere replaces it, and the new secret goes to the tills like any change to the member.
//! - A self-enrolled member's home branch is none until they shop (their first sale's branch is
//!   remembered as a visit, as for every member).
//! - A self-enrolment's consent to the member terms is kept in the audit log (`accept_terms`, with
//!   the version of `member_pages::terms` agreed to), beside the member's `create` entry.
//! - "Lost card" marks every active card of the member lost; the member number on the phone
//!   still works, because the phone vouches for the member.

#![allow(clippy::type_complexity)] // SQL rows read as tuples

use jiff::Timestamp;
use jiff::civil::Date;
use shared::ids::MemberId;
use shared::member::Phone;
use shared::member_code::{MemberSecret, SECRET_BYTES};

use super::conn::{Conn, OptionalExtension, params};
use super::ledger::{self, hq_day, load_member};
use super::members::ledger_row;
use super::{SqlStore, append_audit, from_micros, micros};
use crate::model::{
    Actor, HistoryEntry, HistoryLine, HistoryPage, LedgerRow, MemberHome, MemberRecord, MemberSession, NewMember,
    OwnProfile, SignInCheck, SmsLogRow,
};
use crate::store::{MemberPagesStore, StoreError, StoreResult};

/// How many wrong tries a sign-in code takes before it is spent.
pub const CODE_TRIES: i64 = 5;

/// Who a member's own change is audited as: the member, from their phone (the system for a
/// member without one, whom staff changed).
fn actor_of(m: &MemberRecord) -> Actor {
    match &m.phone {
        Some(p) => member_actor(&m.id.to_string(), p),
        None => Actor::system(),
    }
}

/// Who a member's own change is by (the audit log's and a complaint's history's actor).
pub(crate) fn member_actor(id: &str, phone: &Phone) -> Actor {
    Actor { who: format!("member:{id}"), from: format!("phone:{}", phone.masked()) }
}

fn new_secret() -> MemberSecret {
    let mut bytes = [0u8; SECRET_BYTES];
    rand::fill(&mut bytes);
    MemberSecret::from_bytes(bytes)
}

fn member_of(c: &Conn<'_>, id: MemberId) -> StoreResult<MemberRecord> {
    let resolved = ledger::resolve(c, &id.to_string())?.ok_or_else(|| StoreError::NotFound(format!("member {id}")))?;
    load_member(c, &resolved)?.ok_or_else(|| StoreError::NotFound(format!("member {id}")))
}

/// Gives the member a new code secret and sends it to their tills.
pub(crate) fn put_secret(
    c: &Conn<'_>,
    key: &crate::audit::AuditKey,
    m: &MemberRecord,
    why: &str,
    now: Timestamp,
) -> StoreResult<MemberSecret> {
    let secret = new_secret();
    c.execute(
        "UPDATE members SET code_secret = ?2, updated_at = ?3 WHERE id = ?1",
        params![m.id.to_string(), secret.to_hex(), micros(now)],
    )?;
    // The audit says that it changed, never what it is.
    let actor = actor_of(m);
    append_audit(c, key, &actor, now, why, &format!("member:{}", m.id), None::<&()>, None::<&()>)?;
    ledger::publish(c, &m.id.to_string(), now)?;
    Ok(secret)
}

impl MemberPagesStore for SqlStore {
    fn put_sign_in_code(&self, phone: &Phone, code_hash: &str, expires_at: Timestamp) -> StoreResult<()> {
        self.write(|tx| {
            let now = self.now();
            // Only the newest code signs in.
            tx.prepare_cached("UPDATE sign_in_codes SET used_at = ?2 WHERE phone = ?1 AND used_at IS NULL")?
                .execute(params![phone.as_str(), micros(now)])?;
            tx.prepare_cached(
                "INSERT INTO sign_in_codes (phone, code_hash, created_at, expires_at, tries) VALUES (?1, ?2, ?3, ?4, 0)",
            )?
            .execute(params![phone.as_str(), code_hash, micros(now), micros(expires_at)])?;
            tx.execute("DELETE FROM sign_in_codes WHERE created_at < ?1", [micros(now) - 86_400_000_000])?;
            Ok(())
        })
    }

    fn check_sign_in_code(&self, phone: &Phone, code_hash: &str) -> StoreResult<SignInCheck> {
        self.write(|tx| {
            let now = self.now();
            let live: Option<(i64, String, i64)> = tx
                .prepare_cached(
                    "SELECT id, code_hash, tries FROM sign_in_codes
                     WHERE phone = ?1 AND used_at IS NULL AND expires_at > ?2 AND tries < ?3
                     ORDER BY id DESC LIMIT 1",
                )?
                .query_row(params![phone.as_str(), micros(now), CODE_TRIES], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .optional()?;
            let Some((id, hash, tries)) = live else { return Ok(SignInCheck::Wrong { tries_left: 0 }) };
            if !crate::auth::constant_time_eq(hash.as_bytes(), code_hash.as_bytes()) {
                tx.prepare_cached("UPDATE sign_in_codes SET tries = tries + 1 WHERE id = ?1")?.execute([id])?;
                return Ok(SignInCheck::Wrong { tries_left: (CODE_TRIES - tries - 1).max(0) as u32 });
            }
            tx.prepare_cached("UPDATE sign_in_codes SET used_at = ?2 WHERE id = ?1")?
                .execute(params![id, micros(now)])?;
            let member: Option<String> = tx
                .prepare_cached("SELECT id FROM members WHERE phone = ?1 AND status <> 'merged'")?
                .query_row([phone.as_str()], |r| r.get(0))
                .optional()?;
            let member = member.map(|m| ledger::parse_id(&m)).transpose()?;
            Ok(SignInCheck::Right(member))
        })
    }

    fn log_sms(&self, phone: &Phone, purpose: &str, outcome: &str) -> StoreResult<()> {
        self.write(|tx| {
            let outcome: String = outcome.chars().take(200).collect();
            tx.prepare_cached("INSERT INTO sms_log (phone, purpose, at, outcome) VALUES (?1, ?2, ?3, ?4)")?
                .execute(params![phone.as_str(), purpose, micros(self.now()), outcome])?;
            Ok(())
        })
    }

    fn sms_log(&self, phone: Option<&Phone>, limit: u32) -> StoreResult<Vec<SmsLogRow>> {
        self.read(|c| {
            let row = |r: &super::conn::Row<'_>| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?));
            let rows: Vec<(String, String, i64, String)> = match phone {
                Some(p) => c
                    .prepare_cached(
                        "SELECT phone, purpose, at, outcome FROM sms_log WHERE phone = ?1 ORDER BY id DESC LIMIT ?2",
                    )?
                    .query_map(params![p.as_str(), limit], row)?
                    .collect::<Result<_, _>>()?,
                None => c
                    .prepare_cached("SELECT phone, purpose, at, outcome FROM sms_log ORDER BY id DESC LIMIT ?1")?
                    .query_map(params![limit], row)?
                    .collect::<Result<_, _>>()?,
            };
            Ok(rows
                .into_iter()
                .map(|(phone, purpose, at, outcome)| SmsLogRow { phone, purpose, at: from_micros(at), outcome })
                .collect())
        })
    }

    fn open_member_session(
        &self,
        token_hash: &str,
        phone: &Phone,
        member: Option<MemberId>,
        expires_at: Timestamp,
    ) -> StoreResult<()> {
        self.write(|tx| {
            let now = self.now();
            tx.prepare_cached(
                "INSERT INTO member_sessions (token_hash, member_id, phone, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![token_hash, member.map(|m| m.to_string()), phone.as_str(), micros(now), micros(expires_at)])?;
            tx.execute("DELETE FROM member_sessions WHERE expires_at < ?1", [micros(now)])?;
            Ok(())
        })
    }

    fn member_session(&self, token_hash: &str) -> StoreResult<Option<MemberSession>> {
        self.read(|c| {
            let row: Option<(String, Option<String>, i64)> = c
                // A member's session holds only while the number it signed in with is still the
                // member's (staff changed it after a phone was lost: the old handset is out).
                .prepare_cached(
                    "SELECT s.phone, s.member_id, s.expires_at FROM member_sessions s
                     LEFT JOIN members m ON m.id = s.member_id
                     WHERE s.token_hash = ?1 AND s.expires_at > ?2 AND (s.member_id IS NULL OR m.phone = s.phone)",
                )?
                .query_row(params![token_hash, micros(self.now())], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .optional()?;
            let Some((phone, member, expires)) = row else { return Ok(None) };
            let member = match member {
                Some(m) => ledger::resolve(c, &m)?.map(|m| ledger::parse_id(&m)).transpose()?,
                None => None,
            };
            let phone = Phone::parse(&phone).map_err(|e| StoreError::Internal(e.to_string()))?;
            Ok(Some(MemberSession { phone, member, expires_at: from_micros(expires) }))
        })
    }

    fn end_member_session(&self, token_hash: &str) -> StoreResult<()> {
        self.write(|tx| {
            tx.prepare_cached("DELETE FROM member_sessions WHERE token_hash = ?1")?.execute([token_hash])?;
            Ok(())
        })
    }

    fn sign_out_everywhere(&self, member: MemberId) -> StoreResult<u64> {
        self.write(|tx| {
            let now = self.now();
            let m = member_of(tx, member)?;
            let ended =
                tx.prepare_cached("DELETE FROM member_sessions WHERE member_id = ?1")?.execute([m.id.to_string()])?;
            // Every code shown before stops working at once, at HQ and, after their next pull, at the tills.
            put_secret(tx, &self.audit_key, &m, "rotate_code_secret", now)?;
            Ok(ended as u64)
        })
    }

    fn enrol_self(
        &self,
        token_hash: &str,
        name: &str,
        birthday: Option<Date>,
        marketing_consent: bool,
    ) -> StoreResult<MemberRecord> {
        self.write(|tx| {
            let now = self.now();
            let session: Option<(String, Option<String>)> = tx
                .prepare_cached(
                    "SELECT phone, member_id FROM member_sessions WHERE token_hash = ?1 AND expires_at > ?2",
                )?
                .query_row(params![token_hash, micros(now)], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            let Some((phone, None)) = session else {
                return Err(StoreError::Conflict("this session is not a new number's".into()));
            };
            let phone = Phone::parse(&phone).map_err(|e| StoreError::Internal(e.to_string()))?;
            if !super::policy_in_force_tx(tx, now)?.self_enrolment {
                return Err(StoreError::Conflict("members join at a branch".into()));
            }
            if birthday.is_some_and(|b| b > hq_day(now)) {
                return Err(StoreError::Invalid("a birthday in the future".into()));
            }
            let id = MemberId::new();
            let actor = member_actor(&id.to_string(), &phone);
            let created = super::members::insert_member(
                tx,
                &self.audit_key,
                &actor,
                NewMember { id: Some(id), phone: Some(phone), name: name.to_owned(), birthday, ..NewMember::default() },
                now,
            )?;
            tx.execute(
                "UPDATE members SET marketing_consent = ?2 WHERE id = ?1",
                params![created.id.to_string(), i64::from(marketing_consent)],
            )?;
            // The member agreed to the terms on the join form (the page refuses it unticked): the
            // audit log keeps which version, beside the member's creation, in the same transaction.
            let consent = serde_json::json!({
                "terms_version": crate::member_pages::terms::VERSION,
                "terms_accepted": true,
                "marketing_consent": marketing_consent,
                "via": "member pages",
            });
            append_audit(
                tx,
                &self.audit_key,
                &actor,
                now,
                "accept_terms",
                &format!("member:{}", created.id),
                None::<&()>,
                Some(&consent),
            )?;
            tx.prepare_cached("UPDATE member_sessions SET member_id = ?2 WHERE token_hash = ?1")?
                .execute(params![token_hash, created.id.to_string()])?;
            member_of(tx, created.id)
        })
    }

    fn member_code_secret(&self, member: MemberId) -> StoreResult<Option<MemberSecret>> {
        if let Some(secret) = self.read(|c| Ok(member_of(c, member)?.code_secret))? {
            return Ok(Some(secret));
        }
        self.write(|tx| {
            let m = member_of(tx, member)?;
            if m.code.as_str().len() != 10 {
                // Only a ten-digit member number has a rotating code.
                return Ok(None);
            }
            match m.code_secret {
                Some(s) => Ok(Some(s)),
                None => Ok(Some(put_secret(tx, &self.audit_key, &m, "create_code_secret", self.now())?)),
            }
        })
    }

    fn update_own_profile(&self, member: MemberId, p: OwnProfile) -> StoreResult<MemberRecord> {
        self.write(|tx| {
            let now = self.now();
            let before = member_of(tx, member)?;
            let id = before.id.to_string();
            if let Some(name) = &p.name {
                let n = name.trim();
                if n.is_empty() || n.chars().count() > 100 || n.chars().any(char::is_control) {
                    return Err(StoreError::Invalid("a name of 1 to 100 printable characters".into()));
                }
                tx.execute("UPDATE members SET name = ?2 WHERE id = ?1", params![id, n])?;
            }
            if let Some(b) = p.birthday {
                if before.birthday.is_some_and(|old| old != b) {
                    return Err(StoreError::Conflict("the birthday is changed by a branch's staff".into()));
                }
                if b > hq_day(now) {
                    return Err(StoreError::Invalid("a birthday in the future".into()));
                }
                tx.execute("UPDATE members SET birthday = ?2 WHERE id = ?1", params![id, b.to_string()])?;
            }
            if let Some(consent) = p.marketing_consent {
                tx.execute("UPDATE members SET marketing_consent = ?2 WHERE id = ?1", params![id, i64::from(consent)])?;
            }
            tx.execute("UPDATE members SET updated_at = ?2 WHERE id = ?1", params![id, micros(now)])?;
            let after = member_of(tx, member)?;
            let actor = actor_of(&after);
            append_audit(
                tx,
                &self.audit_key,
                &actor,
                now,
                "update",
                &format!("member:{id}"),
                Some(&before),
                Some(&after),
            )?;
            ledger::publish(tx, &id, now)?;
            Ok(after)
        })
    }

    fn report_cards_lost(&self, member: MemberId) -> StoreResult<MemberRecord> {
        self.write(|tx| {
            let now = self.now();
            let before = member_of(tx, member)?;
            let id = before.id.to_string();
            tx.execute(
                "UPDATE member_cards SET status = 'lost', updated_at = ?2 WHERE member_id = ?1 AND status = 'active'",
                params![id, micros(now)],
            )?;
            let after = member_of(tx, member)?;
            let actor = actor_of(&after);
            append_audit(
                tx,
                &self.audit_key,
                &actor,
                now,
                "card_lost",
                &format!("member:{id}"),
                Some(&before.cards),
                Some(&after.cards),
            )?;
            ledger::publish(tx, &id, now)?;
            Ok(after)
        })
    }

    fn member_home(&self, member: MemberId, coupons_shown: usize) -> StoreResult<MemberHome> {
        self.read(|c| {
            let now = self.now();
            let m = member_of(c, member)?;
            let coupons = super::member_coupons::shelves(c, &m.id.to_string(), now, coupons_shown)?;
            let policy = super::policy_in_force_tx(c, now)?;
            let today = hq_day(now);
            let spend = ledger::trailing_spend(c, &m.id.to_string(), today)?;
            let (points, stored_value) = ledger::available(c, &m, now)?;
            let next_expiry: Option<(String, i64)> = c
                .prepare_cached(
                    "SELECT expires_on, SUM(remaining) FROM points_lots
                     WHERE member_id = ?1 AND remaining > 0 AND expires_on IS NOT NULL AND expires_on >= ?2
                     GROUP BY expires_on ORDER BY expires_on LIMIT 1",
                )?
                .query_row(params![m.id.to_string(), today.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            let next_expiry = next_expiry
                .map(|(d, n)| d.parse::<Date>().map(|d| (d, n)).map_err(|e| StoreError::Internal(e.to_string())))
                .transpose()?;
            let tier_name = policy.tiers.by_code(&m.tier).map_or_else(|| m.tier.clone(), |t| t.name.clone());
            let next_tier = policy.tiers.next_tier(&m.tier, spend).map(|(t, needed)| (t.name.clone(), needed));
            Ok(MemberHome {
                tier_name,
                next_tier,
                trailing_spend: spend,
                points,
                next_expiry,
                stored_value,
                member: m,
                coupons,
            })
        })
    }

    fn member_history(&self, member: MemberId, before: Option<&str>, limit: u32) -> StoreResult<HistoryPage> {
        let limit = limit.clamp(1, 100);
        // The cursor is `<at micros>:<entry id>` of the last entry of the page before.
        let cursor = match before {
            Some(b) => {
                let (at, id) = b.split_once(':').ok_or_else(|| StoreError::Invalid("a page cursor".into()))?;
                Some((at.parse::<i64>().map_err(|_| StoreError::Invalid("a page cursor".into()))?, id.to_owned()))
            }
            None => None,
        };
        self.read(|c| {
            let m = member_of(c, member)?;
            let (at, id) = cursor.clone().unwrap_or((i64::MAX, String::new()));
            let rows: Vec<(StoreResult<LedgerRow>, Option<String>)> = c
                .prepare_cached(
                    "SELECT e.id, e.kind, e.points, e.principal, e.bonus, e.at, e.business_day, e.branch_id, e.source,
                            e.lot_id, e.reason, e.actor, b.name
                     FROM ledger_entries e LEFT JOIN branches b ON b.id = e.branch_id
                     WHERE e.member_id = ?1 AND (e.at < ?2 OR (e.at = ?2 AND e.id < ?3))
                     ORDER BY e.at DESC, e.id DESC LIMIT ?4",
                )?
                .query_map(params![m.id.to_string(), at, id, limit + 1], |r| Ok((ledger_row(r)?, r.get(12)?)))?
                .collect::<Result<_, _>>()?;
            let more = rows.len() > limit as usize;
            let mut entries = Vec::with_capacity(rows.len().min(limit as usize));
            // At most 100 entries a page, each with its receipt (two indexed reads).
            for (entry, branch_name) in rows.into_iter().take(limit as usize) {
                let entry = entry?;
                let (receipt, lines) = receipt_of(c, &entry.source)?;
                let (receipt_no, happened_at) = match receipt {
                    Some((no, at)) => (Some(no), Some(from_micros(at))),
                    None => (None, None),
                };
                entries.push(HistoryEntry { entry, branch_name, receipt_no, happened_at, lines });
            }
            let next = more.then(|| entries.last().map(|e| format!("{}:{}", micros(e.entry.at), e.entry.id))).flatten();
            Ok(HistoryPage { entries, next })
        })
    }
}

/// The receipt of a ledger entry's source (`sale:<id>` or `refund:<id>`): its number and time at
/// the till, and its lines.
fn receipt_of(c: &Conn<'_>, source: &str) -> StoreResult<(Option<(String, i64)>, Vec<HistoryLine>)> {
    let line = |r: &super::conn::Row<'_>| Ok(HistoryLine { name: r.get(0)?, qty: r.get(1)?, net: r.get(2)? });
    if let Some(sale) = source.strip_prefix("sale:") {
        let no: Option<(String, i64)> = c
            .prepare_cached("SELECT receipt_no, completed_at FROM sales WHERE id = ?1")?
            .query_row([sale], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        let lines = c
            .prepare_cached("SELECT name, qty, net FROM sale_lines WHERE sale_id = ?1 ORDER BY line_no")?
            .query_map([sale], line)?
            .collect::<Result<_, _>>()?;
        return Ok((no, lines));
    }
    if let Some(refund) = source.strip_prefix("refund:") {
        let no: Option<(String, i64)> = c
            .prepare_cached("SELECT receipt_no, refunded_at FROM refunds WHERE id = ?1")?
            .query_row([refund], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        let lines = c
            .prepare_cached("SELECT name, qty, -amount FROM refund_lines WHERE refund_id = ?1 ORDER BY idx")?
            .query_map([refund], line)?
            .collect::<Result<_, _>>()?;
        return Ok((no, lines));
    }
    Ok((None, Vec::new()))
}
