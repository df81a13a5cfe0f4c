//! Member care: who a campaign reaches and what is decided for each, written whole in one
//! transaction (so the month's cap counts every campaign made before it, in any HQ process), and
//! the messages claimed one at a time for sending, so two HQ processes never send one twice.
#![allow(clippy::type_complexity)] // SQL rows read as tuples

use std::collections::HashMap;

use jiff::Timestamp;
use jiff::civil::Date;
use shared::care::{CareKind, Decision, Reachable, birthday_within, decide, render};
use shared::member::Phone;

use super::conn::{Conn, Engine, OptionalExtension as _, params};
use super::{SqlStore, append_audit, from_micros, micros};
use crate::model::{Actor, CareCampaign, CareCandidate, CareCounts, CareMessage, CareSend, NewCare};
use crate::store::{CareStore, StoreError, StoreResult};

/// The calendar month of `day`, as the cap counts it.
fn month_of(day: Date) -> String {
    format!("{:04}-{:02}", day.year(), day.month())
}

fn masked(phone: &Option<String>) -> Option<String> {
    phone.as_deref().map(|p| Phone::parse(p).map(|p| p.masked()).unwrap_or_else(|_| "***".into()))
}

/// Whom `new` reaches on `today`, each with what is decided under `cap` a month.
fn audience(c: &Conn<'_>, new: &NewCare, today: Date, cap: u32) -> StoreResult<Vec<(CareCandidate, Decision)>> {
    let (op, b) = match new.branch_id {
        Some(b) => ("=", b.0),
        None => (">=", 0),
    };
    let rows: Vec<(String, String, String, Option<String>, Option<String>, String, Option<i64>, String)> = c
        .prepare_cached(&format!(
            "SELECT m.id, m.code, m.name, m.phone, m.birthday, m.status, m.marketing_consent, COALESCE(b.name, '')
             FROM members m LEFT JOIN branches b ON b.id = m.home_branch
             WHERE m.merged_into IS NULL AND COALESCE(m.home_branch, 0) {op} ?1
               AND (CAST(?2 AS TEXT) IS NULL OR m.tier = ?2)
             ORDER BY m.code"
        ))?
        .query_map(params![b, new.tier.clone()], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?))
        })?
        .collect::<Result<_, _>>()?;
    let last: HashMap<String, String> = if new.kind == CareKind::WinBack {
        c.prepare_cached(
            "SELECT member_id, MAX(business_day) FROM sales WHERE member_id IS NOT NULL GROUP BY member_id",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?
    } else {
        HashMap::new()
    };
    let sent: HashMap<String, i64> = c
        .prepare_cached(
            "SELECT member_id, COUNT(*) FROM care_messages
             WHERE month = ?1 AND status IN ('queued', 'sending', 'sent') GROUP BY member_id",
        )?
        .query_map([month_of(today)], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let days_ahead = i16::try_from(new.days_ahead.unwrap_or(7)).unwrap_or(7);
    let inactive = i64::from(new.inactive_days.unwrap_or(90));
    let cutoff = today.checked_sub(jiff::Span::new().days(inactive)).unwrap_or(today);
    let mut out = Vec::new();
    for (id, code, name, phone, birthday, status, consent, branch) in rows {
        let (mut birthday_on, mut last_purchase) = (None, None);
        match new.kind {
            CareKind::Birthday => {
                let Some(day) = birthday.and_then(|b| b.parse::<Date>().ok()) else { continue };
                let Some(on) = birthday_within(day, today, days_ahead) else { continue };
                birthday_on = Some(on);
            }
            CareKind::WinBack => {
                // Members who bought once and not since the cut-off; never-buyers are not won back.
                let Some(day) = last.get(&id).and_then(|d| d.parse::<Date>().ok()) else { continue };
                if day > cutoff {
                    continue;
                }
                last_purchase = Some(day);
            }
            CareKind::Holiday => {}
        }
        let reach = Reachable {
            has_phone: phone.is_some(),
            active: status == "active",
            consent: consent.map(|c| c != 0),
            this_month: u32::try_from(sent.get(&id).copied().unwrap_or(0)).unwrap_or(u32::MAX),
        };
        let decision = decide(reach, cap);
        out.push((
            CareCandidate {
                member_id: id,
                code,
                name,
                phone: masked(&phone),
                full_phone: phone,
                branch,
                birthday_on,
                last_purchase,
                decision: decision.code().to_owned(),
            },
            decision,
        ));
    }
    Ok(out)
}

fn counts(c: &Conn<'_>, id: i64) -> StoreResult<CareCounts> {
    let rows: Vec<(String, i64)> = c
        .prepare_cached("SELECT status, COUNT(*) FROM care_messages WHERE campaign_id = ?1 GROUP BY status")?
        .query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let mut n = CareCounts::default();
    for (status, count) in rows {
        let count = u64::try_from(count).unwrap_or(0);
        match status.as_str() {
            "queued" => n.queued = count,
            "sending" => n.sending = count,
            "sent" => n.sent = count,
            "failed" => n.failed = count,
            _ => n.skipped += count,
        }
    }
    Ok(n)
}

fn load_campaign(c: &Conn<'_>, id: i64) -> StoreResult<CareCampaign> {
    let row: Option<(String, String, String, Option<i64>, String, String, i64)> = c
        .prepare_cached(
            "SELECT kind, name, template, branch_id, audience, created_by, created_at FROM care_campaigns WHERE id = ?1",
        )?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?)))
        .optional()?;
    let Some((kind, name, template, branch, audience, created_by, created_at)) = row else {
        return Err(StoreError::NotFound(format!("care campaign {id}")));
    };
    Ok(CareCampaign {
        id,
        kind,
        name,
        template,
        branch_id: branch.map(shared::ids::BranchId),
        audience: serde_json::from_str(&audience)?,
        created_by,
        created_at: from_micros(created_at),
        counts: counts(c, id)?,
    })
}

impl CareStore for SqlStore {
    fn care_audience(&self, new: &NewCare, today: Date, cap: u32) -> StoreResult<Vec<CareCandidate>> {
        self.read(|c| Ok(audience(c, new, today, cap)?.into_iter().map(|(candidate, _)| candidate).collect()))
    }

    fn create_care_campaign(&self, actor: &Actor, new: &NewCare, today: Date, cap: u32) -> StoreResult<CareCampaign> {
        self.write(|tx| {
            if tx.engine() == Engine::Postgres {
                // Campaigns are made one at a time across HQ processes, so each sees the month's
                // messages of the ones before it (the cap).
                tx.execute_batch("LOCK TABLE care_messages IN SHARE ROW EXCLUSIVE MODE")?;
            }
            let reached = audience(tx, new, today, cap)?;
            let mut texts = Vec::with_capacity(reached.len());
            for (m, decision) in &reached {
                let text = match decision {
                    Decision::Send => {
                        Some(render(&new.template, &m.name, &m.branch).map_err(|e| StoreError::Invalid(e.to_string()))?)
                    }
                    _ => None,
                };
                texts.push(text);
            }
            let to_send = texts.iter().filter(|t| t.is_some()).count();
            if to_send == 0 {
                let capped = reached.iter().filter(|(_, d)| *d == Decision::Capped).count();
                return Err(StoreError::Invalid(if capped > 0 {
                    format!(
                        "nobody to send to: the {capped} members it reaches who may be sent to have had this month's {cap} care messages"
                    )
                } else {
                    format!("nobody to send to: it reaches {} members, none of whom may be sent a message", reached.len())
                }));
            }
            let now = micros(self.now());
            let audience_json = serde_json::json!({
                "tier": new.tier,
                "days_ahead": (new.kind == CareKind::Birthday).then(|| new.days_ahead.unwrap_or(7)),
                "inactive_days": (new.kind == CareKind::WinBack).then(|| new.inactive_days.unwrap_or(90)),
                "on": today.to_string(),
                "monthly_cap": cap,
            });
            let id: i64 = tx.query_row(
                "INSERT INTO care_campaigns (kind, name, template, branch_id, audience, created_by, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id",
                params![
                    new.kind.code(),
                    new.name.trim(),
                    new.template.trim(),
                    new.branch_id.map(|b| b.0),
                    audience_json.to_string(),
                    actor.who.as_str(),
                    now
                ],
                |r| r.get(0),
            )?;
            let month = month_of(today);
            for ((m, decision), text) in reached.iter().zip(texts) {
                let status = if text.is_some() { "queued" } else { "skipped" };
                tx.prepare_cached(
                    "INSERT INTO care_messages (campaign_id, member_id, phone, month, decision, status, text, detail, updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, NULL, ?8)",
                )?
                .execute(params![id, m.member_id.as_str(), m.full_phone.clone(), month.as_str(), decision.code(), status, text, now])?;
            }
            let campaign = load_campaign(tx, id)?;
            append_audit(
                tx,
                &self.audit_key,
                actor,
                self.now(),
                "create care campaign",
                &format!("care_campaign:{id}"),
                None::<&()>,
                Some(&campaign),
            )?;
            Ok(campaign)
        })
    }

    fn claim_care_message(&self, stale_before: Timestamp) -> StoreResult<Option<CareSend>> {
        self.write(|tx| {
            // A message a process claimed and never finished (it died mid-send) may have gone:
            // it is marked failed, never sent again (a care text is better missed than doubled).
            tx.execute(
                "UPDATE care_messages SET status = 'failed', detail = 'the sending HQ process stopped; it may have been sent', updated_at = ?2
                 WHERE status = 'sending' AND updated_at < ?1",
                params![micros(stale_before), micros(self.now())],
            )?;
            let next: Option<(i64, String, Option<String>, Option<String>)> = tx
                .prepare_cached(
                    "SELECT campaign_id, member_id, phone, text FROM care_messages
                     WHERE status = 'queued' ORDER BY campaign_id, member_id LIMIT 1",
                )?
                .query_row([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
                .optional()?;
            let Some((campaign, member_id, Some(phone), Some(text))) = next else { return Ok(None) };
            let claimed = tx.execute(
                "UPDATE care_messages SET status = 'sending', updated_at = ?3
                 WHERE campaign_id = ?1 AND member_id = ?2 AND status = 'queued'",
                params![campaign, member_id.as_str(), micros(self.now())],
            )?;
            Ok((claimed == 1).then_some(CareSend { campaign, member_id, phone, text }))
        })
    }

    fn finish_care_message(&self, campaign: i64, member: &str, outcome: Result<(), String>) -> StoreResult<()> {
        self.write(|tx| {
            let (status, detail) = match outcome {
                Ok(()) => ("sent", None),
                Err(e) => ("failed", Some(e.chars().take(200).collect::<String>())),
            };
            tx.execute(
                "UPDATE care_messages SET status = ?3, detail = ?4, updated_at = ?5
                 WHERE campaign_id = ?1 AND member_id = ?2 AND status = 'sending'",
                params![campaign, member, status, detail, micros(self.now())],
            )?;
            Ok(())
        })
    }

    fn list_care_campaigns(&self, limit: u32) -> StoreResult<Vec<CareCampaign>> {
        self.read(|c| {
            let ids: Vec<i64> = c
                .prepare_cached("SELECT id FROM care_campaigns ORDER BY id DESC LIMIT ?1")?
                .query_map([limit], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            ids.into_iter().map(|id| load_campaign(c, id)).collect()
        })
    }

    fn care_campaign(&self, id: i64) -> StoreResult<(CareCampaign, Vec<CareMessage>)> {
        self.read(|c| {
            let campaign = load_campaign(c, id)?;
            let rows: Vec<(
                String,
                String,
                String,
                Option<String>,
                String,
                String,
                Option<String>,
                Option<String>,
                i64,
            )> = c
                .prepare_cached(
                    "SELECT k.member_id, m.code, m.name, k.phone, k.decision, k.status, k.text, k.detail, k.updated_at
                     FROM care_messages k JOIN members m ON m.id = k.member_id
                     WHERE k.campaign_id = ?1 ORDER BY m.code",
                )?
                .query_map([id], |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                        r.get(6)?,
                        r.get(7)?,
                        r.get(8)?,
                    ))
                })?
                .collect::<Result<_, _>>()?;
            let messages = rows
                .into_iter()
                .map(|(member_id, code, name, phone, decision, status, text, detail, at)| CareMessage {
                    member_id,
                    code,
                    name,
                    phone: masked(&phone),
                    decision,
                    status,
                    text,
                    detail,
                    updated_at: from_micros(at),
                })
                .collect();
            Ok((campaign, messages))
        })
    }
}
