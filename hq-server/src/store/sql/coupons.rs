//! Member coupons (domain.md "Promotions", layer 4): campaigns, the coupons issued to members,
//! the holds tills take on them, and their capture by the sales that used them.
//!
//! Every write is one write transaction (serialised across threads by the store's writer, and
//! across HQ processes on PostgreSQL by its advisory lock) with its audit entry and, for a
//! campaign, its change on the feed. On top of that a hold takes the coupon with a conditional
//! `UPDATE` (only a coupon that is not redeemed and not held by another live hold), so exactly one
//! of two tills presenting one coupon gets it even if the writes were not serialised.
//!
//! Decisions where the spec is silent:
//! - A coupon is valid from `valid_from` to `valid_until` (both included); expired is computed
//!   from the time, never stored.
//! - A hold lives [`HOLD_TTL_MINUTES`] like a points hold; a lapsed hold's coupon may be held by
//!   another sale, and a sale that captures a lapsed hold still redeems the coupon if no other
//!   sale took it.
//! - At ingest a doubtful coupon never refuses the sale: it is flagged ([`COUPON_FLAG`]). A
//!   coupon HQ cannot vouch for (unknown code, wrong secret, used by another sale, another
//!   member's, outside its validity on the sale's day) is not redeemed; a genuine coupon used
//!   offline against its campaign's rule (no offline use, or over the till's daily cap) is
//!   redeemed and flagged.
//! - A refund never gives a coupon back.

#![allow(clippy::type_complexity)] // SQL rows read as tuples

use std::collections::BTreeSet;

use jiff::{SignedDuration, Timestamp};
use shared::ids::{HoldId, MemberId};
use shared::promotions::coupons::{CampaignId, CouponCampaign, CouponCode, CouponId, CouponKind, SECRET_LEN};
use shared::sync::{Change, CouponHoldRequest, CouponHoldResponse, MemberCoupon, MemberCouponsResponse};

use super::conn::{Conn, OptionalExtension, Value, params};
use super::ledger::{self, HOLD_TTL_MINUTES};
use super::{SqlStore, append_audit, emit, from_micros, in_chunks, micros};
use crate::calendar::hq_zone;
use crate::model::{
    Actor, CampaignCounts, CampaignRecord, CouponAudience, CouponRefusal, CouponStatus, CouponValidity, IssueOutcome,
    IssueRefusal, IssueRequest, MemberCouponRecord, NewCampaign, Till,
};
use crate::store::{CouponStore, StoreError, StoreResult};

/// The start of every flag the capture of a sale's coupons raises.
pub const COUPON_FLAG: &str = "coupon";

/// The most members one issue may list.
pub const MAX_LISTED: usize = 100_000;

const CAMPAIGN_COLUMNS: &str = "id, name, kind, offline_cap, days_valid, valid_from, valid_until, active, created_at,
     created_by, ended_at, ended_by";

pub(super) type CampaignRow = (
    i64,
    String,
    String,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    bool,
    i64,
    String,
    Option<i64>,
    Option<String>,
);

fn campaign_row(r: &super::conn::Row<'_>) -> super::conn::Result<CampaignRow> {
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
        r.get(9)?,
        r.get(10)?,
        r.get(11)?,
    ))
}

pub(super) fn to_record(row: CampaignRow, counts: CampaignCounts) -> StoreResult<CampaignRecord> {
    let (id, name, kind, cap, days, from, until, active, created_at, created_by, ended_at, ended_by) = row;
    let kind: CouponKind = serde_json::from_str(&kind)?;
    let validity = match (days, from, until) {
        (Some(d), _, _) => CouponValidity::Days { days: u32::try_from(d).unwrap_or(0) },
        (None, Some(f), Some(u)) => CouponValidity::Dates {
            from: from_micros(f).to_zoned(hq_zone()).date(),
            to: from_micros(u).to_zoned(hq_zone()).date(),
        },
        _ => return Err(StoreError::Internal(format!("coupon campaign {id} has no validity"))),
    };
    Ok(CampaignRecord {
        campaign: CouponCampaign {
            id: CampaignId(id.max(0) as u64),
            name,
            kind,
            offline_cap: cap.and_then(|c| u32::try_from(c).ok()),
            active,
        },
        validity,
        created_at: from_micros(created_at),
        created_by,
        ended_at: ended_at.map(from_micros),
        ended_by,
        counts,
    })
}

pub(super) fn load_campaign(c: &Conn<'_>, id: CampaignId) -> StoreResult<Option<CampaignRow>> {
    let Ok(id) = i64::try_from(id.0) else { return Ok(None) };
    Ok(c.prepare_cached(&format!("SELECT {CAMPAIGN_COLUMNS} FROM coupon_campaigns WHERE id = ?1"))?
        .query_row([id], campaign_row)
        .optional()?)
}

fn counts(c: &Conn<'_>, id: i64, now: Timestamp) -> StoreResult<CampaignCounts> {
    let (issued, redeemed, discount, expired): (i64, i64, i64, i64) = c
        .prepare_cached(
            "SELECT COUNT(*),
                    CAST(COALESCE(SUM(CASE WHEN status = 'redeemed' THEN 1 ELSE 0 END), 0) AS BIGINT),
                    CAST(COALESCE(SUM(CASE WHEN status = 'redeemed' THEN redeemed_discount ELSE 0 END), 0) AS BIGINT),
                    CAST(COALESCE(SUM(CASE WHEN status <> 'redeemed' AND valid_until < ?2 THEN 1 ELSE 0 END), 0) AS BIGINT)
             FROM coupons WHERE campaign_id = ?1",
        )?
        .query_row(params![id, micros(now)], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
    let u = |v: i64| v.max(0) as u64;
    Ok(CampaignCounts {
        issued: u(issued),
        redeemed: u(redeemed),
        redeemed_discount: discount,
        expired: u(expired),
        outstanding: u(issued - redeemed - expired),
    })
}

/// The code a coupon's row stands for.
pub(super) fn code_of(campaign: i64, coupon: i64, secret: &str) -> String {
    CouponCode {
        campaign: CampaignId(campaign.max(0) as u64),
        coupon: CouponId(coupon.max(0) as u64),
        secret: secret.into(),
    }
    .to_string()
}

/// A fresh secret of [`SECRET_LEN`] characters.
fn new_secret() -> String {
    let mut bytes = [0u8; SECRET_LEN];
    rand::fill(&mut bytes);
    CouponCode::new(CampaignId(0), CouponId(0), &bytes).secret
}

/// Where a coupon stands at `now`.
pub(super) fn status_at(status: &str, valid_until: i64, hold_expires: Option<i64>, now: Timestamp) -> CouponStatus {
    if status == "redeemed" {
        CouponStatus::Redeemed
    } else if valid_until < micros(now) {
        CouponStatus::Expired
    } else if status == "held" && hold_expires.is_some_and(|e| e > micros(now)) {
        CouponStatus::Held
    } else {
        CouponStatus::Issued
    }
}

/// The names of a campaign's scope and kind that HQ does not know: the field and the value.
fn check_references(tx: &Conn<'_>, kind: &CouponKind) -> StoreResult<()> {
    let known = |table: &str, wanted: &BTreeSet<i64>| -> StoreResult<BTreeSet<i64>> {
        let values: Vec<Value> = wanted.iter().map(|&i| Value::Int(i)).collect();
        let found = in_chunks(tx, &format!("SELECT id FROM {table} WHERE id IN"), &values, |r| r.get::<_, i64>(0))?;
        Ok(found.into_iter().collect())
    };
    let check = |field: &str, table: &str, noun: &str, ids: Vec<i64>| -> StoreResult<()> {
        let wanted: BTreeSet<i64> = ids.into_iter().collect();
        if wanted.is_empty() {
            return Ok(());
        }
        match wanted.difference(&known(table, &wanted)?).next() {
            Some(id) => Err(StoreError::Invalid(format!("{field}: HQ has no {noun} with id {id}"))),
            None => Ok(()),
        }
    };
    match kind {
        CouponKind::AmountOff { scope, .. } | CouponKind::PercentOff { scope, .. } => {
            check("kind.scope.products", "products", "product", scope.products.iter().map(|p| p.0).collect())?;
            check("kind.scope.excluded", "products", "product", scope.excluded.iter().map(|p| p.0).collect())?;
            check("kind.scope.categories", "categories", "category", scope.categories.iter().map(|c| c.0).collect())?;
            check("kind.scope.brands", "brands", "brand", scope.brands.iter().map(|b| b.0).collect())
        }
        CouponKind::FixedPriceItem { product, .. } => check("kind.product", "products", "product", vec![product.0]),
    }
}

/// Checks a new campaign alone: `Coupon::validate` with the field named, HQ's bounds.
pub fn validate_campaign(c: &NewCampaign) -> Result<(), String> {
    let name = c.name.trim();
    if name.is_empty() || c.name.chars().count() > 100 || c.name.chars().any(char::is_control) {
        return Err("name: 1 to 100 characters, no control characters".into());
    }
    let coupon = shared::promotions::coupons::Coupon {
        id: CouponId(0),
        name: c.name.clone(),
        kind: c.kind.clone(),
        offline_allowed: c.offline_cap.is_some(),
    };
    coupon.validate().map_err(|e| {
        let field = match &e {
            shared::promotions::PromotionError::EmptyScope => "kind.scope".to_owned(),
            shared::promotions::PromotionError::PercentOutOfRange(_) => "kind.bp".to_owned(),
            shared::promotions::PromotionError::NegativeAmount { field, .. }
            | shared::promotions::PromotionError::ZeroOff { field } => format!("kind.{field}"),
            _ => "kind".to_owned(),
        };
        format!("{field}: {e}")
    })?;
    const MOST: i64 = 1_000_000_000;
    let too_big = |field: &str, v: i64| -> Result<(), String> {
        if v > MOST { Err(format!("kind.{field}: at most {MOST} fen")) } else { Ok(()) }
    };
    match &c.kind {
        CouponKind::AmountOff { scope, min_spend, off } => {
            too_big("min_spend", min_spend.0)?;
            too_big("off", off.0)?;
            scope_bounds(scope)?;
        }
        CouponKind::PercentOff { scope, .. } => scope_bounds(scope)?,
        CouponKind::FixedPriceItem { price, .. } => too_big("price", price.0)?,
    }
    if c.offline_cap == Some(0) || c.offline_cap.is_some_and(|n| n > 100_000) {
        return Err("offline_cap: between 1 and 100000 coupons a day, or null for online only".into());
    }
    match c.validity {
        CouponValidity::Days { days } if !(1..=3660).contains(&days) => Err("validity.days: between 1 and 3660".into()),
        CouponValidity::Dates { from, to } if to < from => Err("validity.to: before validity.from".into()),
        _ => Ok(()),
    }
}

fn scope_bounds(scope: &shared::promotions::Scope) -> Result<(), String> {
    if scope.products.len() + scope.categories.len() + scope.excluded.len() > 10_000 {
        return Err("kind.scope: at most 10000 products and categories".into());
    }
    Ok(())
}

/// A member's id after merges, if HQ has the member.
pub(super) fn resolve(c: &Conn<'_>, id: &str) -> StoreResult<Option<String>> {
    ledger::resolve(c, id)
}

/// The coupon row a hold or a capture reads.
pub(super) struct CouponRow {
    pub(super) id: i64,
    pub(super) campaign: i64,
    pub(super) member: String,
    pub(super) secret: String,
    pub(super) status: String,
    pub(super) hold_id: Option<String>,
    pub(super) hold_expires: Option<i64>,
    pub(super) valid_from: i64,
    pub(super) valid_until: i64,
    pub(super) redeemed_sale: Option<String>,
}

fn load_coupon(c: &Conn<'_>, id: CouponId) -> StoreResult<Option<CouponRow>> {
    let Ok(id) = i64::try_from(id.0) else { return Ok(None) };
    Ok(c.prepare_cached(
        "SELECT id, campaign_id, member_id, secret, status, hold_id, hold_expires_at, valid_from, valid_until,
                redeemed_sale FROM coupons WHERE id = ?1",
    )?
    .query_row([id], |r| {
        Ok(CouponRow {
            id: r.get(0)?,
            campaign: r.get(1)?,
            member: r.get(2)?,
            secret: r.get(3)?,
            status: r.get(4)?,
            hold_id: r.get(5)?,
            hold_expires: r.get(6)?,
            valid_from: r.get(7)?,
            valid_until: r.get(8)?,
            redeemed_sale: r.get(9)?,
        })
    })
    .optional()?)
}

/// The coupon a code names if the code is genuine (its campaign and secret are the coupon's).
pub(super) fn genuine(c: &Conn<'_>, code: &CouponCode) -> StoreResult<Option<CouponRow>> {
    Ok(load_coupon(c, code.coupon)?.filter(|row| {
        i64::try_from(code.campaign.0).is_ok_and(|k| k == row.campaign)
            && row.secret.as_bytes() == code.secret.as_bytes()
    }))
}

impl SqlStore {
    fn campaign_tx(&self, c: &Conn<'_>, id: CampaignId) -> StoreResult<CampaignRecord> {
        let row = load_campaign(c, id)?.ok_or_else(|| StoreError::NotFound(format!("coupon campaign {id}")))?;
        let n = counts(c, row.0, self.now())?;
        to_record(row, n)
    }

    /// The members an audience names (after merges, active ones), and the listed values refused.
    fn audience_members(
        &self,
        tx: &Conn<'_>,
        audience: &CouponAudience,
    ) -> StoreResult<(Vec<String>, Vec<IssueRefusal>)> {
        let now = self.now();
        let ids = |sql: &str, p: &[&dyn super::conn::ToValue]| -> StoreResult<Vec<String>> {
            Ok(tx.prepare(sql)?.query_map(p, |r| r.get(0))?.collect::<Result<_, _>>()?)
        };
        match audience {
            CouponAudience::Tier { tier } => {
                let policies = self.all_policies_tx(tx)?;
                let newest = policies.last().ok_or_else(|| StoreError::Internal("HQ has no member policy".into()))?;
                if !newest.tiers.tiers().iter().any(|k| &k.code == tier) {
                    return Err(StoreError::Invalid(format!("audience.tier: HQ has no member tier {tier}")));
                }
                let found = ids("SELECT id FROM members WHERE status = 'active' AND tier = ?1 ORDER BY id", &[tier])?;
                Ok((found, Vec::new()))
            }
            CouponAudience::BirthdayMonth { month } => {
                if !(1..=12).contains(month) {
                    return Err(StoreError::Invalid("audience.month: between 1 and 12".into()));
                }
                let mm = format!("{month:02}");
                let found = ids(
                    "SELECT id FROM members WHERE status = 'active' AND birthday IS NOT NULL
                     AND substr(birthday, 6, 2) = ?1 ORDER BY id",
                    &[&mm],
                )?;
                Ok((found, Vec::new()))
            }
            CouponAudience::InactiveDays { days } => {
                if !(1..=3660).contains(days) {
                    return Err(StoreError::Invalid("audience.days: between 1 and 3660".into()));
                }
                let since = now - SignedDuration::from_hours(24 * i64::from(*days));
                let found = ids(
                    "SELECT m.id FROM members m WHERE m.status = 'active'
                     AND NOT EXISTS (SELECT 1 FROM sales s WHERE s.member_id = m.id AND s.completed_at >= ?1)
                     ORDER BY m.id",
                    &[&micros(since)],
                )?;
                Ok((found, Vec::new()))
            }
            CouponAudience::Members { members } => {
                if members.len() > MAX_LISTED {
                    return Err(StoreError::Invalid(format!("audience.members: at most {MAX_LISTED} members")));
                }
                let mut found = Vec::new();
                let mut seen = BTreeSet::new();
                let mut refused = Vec::new();
                for (i, raw) in members.iter().enumerate() {
                    let value = raw.trim();
                    let row = i as u64 + 1;
                    let refuse = |reason: &str| IssueRefusal {
                        row,
                        value: value.chars().take(64).collect(),
                        reason: reason.into(),
                    };
                    if value.is_empty() {
                        refused.push(refuse("empty"));
                        continue;
                    }
                    let hit: Option<(String, String)> = tx
                        .prepare_cached("SELECT id, status FROM members WHERE code = ?1 OR phone = ?1")?
                        .query_row([value], |r| Ok((r.get(0)?, r.get(1)?)))
                        .optional()?;
                    let Some((id, status)) = hit else {
                        refused.push(refuse("no member has this code or phone number"));
                        continue;
                    };
                    let Some(id) = resolve(tx, &id)? else {
                        refused.push(refuse("no member has this code or phone number"));
                        continue;
                    };
                    if status == "blocked" {
                        refused.push(refuse("the member is blocked"));
                        continue;
                    }
                    if !seen.insert(id.clone()) {
                        refused.push(refuse("the member is listed twice"));
                        continue;
                    }
                    found.push(id);
                }
                Ok((found, refused))
            }
        }
    }

    /// The answer to a hold of `row`.
    fn hold_answer(
        &self,
        tx: &Conn<'_>,
        hold: HoldId,
        row: &CouponRow,
        campaign: &CouponCampaign,
        expires_at: i64,
    ) -> StoreResult<CouponHoldResponse> {
        let member = resolve(tx, &row.member)?.unwrap_or_else(|| row.member.clone());
        Ok(CouponHoldResponse {
            hold,
            code: code_of(row.campaign, row.id, &row.secret),
            coupon: campaign.coupon(CouponId(row.id.max(0) as u64)),
            member: MemberId::parse(&member).map_err(|e| StoreError::Internal(format!("member id {member}: {e}")))?,
            valid_until: from_micros(row.valid_until),
            expires_at: from_micros(expires_at),
        })
    }
}

impl CouponStore for SqlStore {
    fn create_campaign(&self, actor: &Actor, new: NewCampaign) -> StoreResult<CampaignRecord> {
        validate_campaign(&new).map_err(StoreError::Invalid)?;
        self.write(|tx| {
            check_references(tx, &new.kind)?;
            let now = self.now();
            let (days, from, until) = match new.validity {
                CouponValidity::Days { days } => (Some(i64::from(days)), None, None),
                CouponValidity::Dates { from, to } => {
                    let tz = hq_zone();
                    let start =
                        from.to_zoned(tz.clone()).map_err(|e| StoreError::Invalid(format!("validity.from: {e}")))?;
                    let end = to
                        .tomorrow()
                        .and_then(|d| d.to_zoned(tz))
                        .map_err(|e| StoreError::Invalid(format!("validity.to: {e}")))?;
                    (None, Some(micros(start.timestamp())), Some(micros(end.timestamp()) - 1))
                }
            };
            let id: i64 = tx
                .prepare_cached(
                    "INSERT INTO coupon_campaigns (name, kind, offline_cap, days_valid, valid_from, valid_until, active,
                     created_at, created_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1, ?7, ?8) RETURNING id",
                )?
                .query_row(
                    params![
                        new.name.trim(),
                        serde_json::to_string(&new.kind)?,
                        new.offline_cap.map(i64::from),
                        days,
                        from,
                        until,
                        micros(now),
                        actor.who
                    ],
                    |r| r.get(0),
                )?;
            let record = self.campaign_tx(tx, CampaignId(id.max(0) as u64))?;
            emit(tx, &format!("coupon_campaign:{id}"), None, &Change::CouponCampaign(record.campaign.clone()))?;
            append_audit(
                tx,
                &self.audit_key,
                actor,
                now,
                "coupon_campaign.create",
                &format!("coupon_campaign:{id}"),
                None::<&()>,
                Some(&record.campaign),
            )?;
            Ok(record)
        })
    }

    fn coupon_campaign(&self, id: CampaignId) -> StoreResult<CampaignRecord> {
        self.read(|c| self.campaign_tx(c, id))
    }

    fn list_campaigns(&self) -> StoreResult<Vec<CampaignRecord>> {
        self.read(|c| {
            let rows: Vec<CampaignRow> = c
                .prepare_cached(&format!("SELECT {CAMPAIGN_COLUMNS} FROM coupon_campaigns ORDER BY id DESC"))?
                .query_map([], campaign_row)?
                .collect::<Result<_, _>>()?;
            let now = self.now();
            rows.into_iter()
                .map(|row| {
                    let n = counts(c, row.0, now)?;
                    to_record(row, n)
                })
                .collect()
        })
    }

    fn end_campaign(&self, actor: &Actor, id: CampaignId) -> StoreResult<CampaignRecord> {
        self.write(|tx| {
            let before = self.campaign_tx(tx, id)?;
            if !before.campaign.active {
                return Err(StoreError::Conflict(format!("coupon campaign {id} has already ended")));
            }
            let now = self.now();
            tx.prepare_cached("UPDATE coupon_campaigns SET active = 0, ended_at = ?2, ended_by = ?3 WHERE id = ?1")?
                .execute(params![id.0, micros(now), actor.who])?;
            let after = self.campaign_tx(tx, id)?;
            emit(tx, &format!("coupon_campaign:{id}"), None, &Change::CouponCampaign(after.campaign.clone()))?;
            append_audit(
                tx,
                &self.audit_key,
                actor,
                now,
                "coupon_campaign.end",
                &format!("coupon_campaign:{id}"),
                Some(&before.campaign),
                Some(&after.campaign),
            )?;
            Ok(after)
        })
    }

    fn issue_coupons(&self, actor: &Actor, id: CampaignId, request: &IssueRequest) -> StoreResult<IssueOutcome> {
        let batch = request.batch.trim();
        if batch.is_empty() || batch.chars().count() > 64 || batch.chars().any(char::is_control) {
            return Err(StoreError::Invalid("batch: 1 to 64 characters, no control characters".into()));
        }
        self.write(|tx| {
            let row = load_campaign(tx, id)?.ok_or_else(|| StoreError::NotFound(format!("coupon campaign {id}")))?;
            let (campaign_id, days, from, until, active) = (row.0, row.4, row.5, row.6, row.7);
            if !active {
                return Err(StoreError::Conflict(format!("coupon campaign {id} has ended: it issues no more coupons")));
            }
            let now = self.now();
            let (valid_from, valid_until) = match (days, from, until) {
                (Some(d), _, _) => (micros(now), micros(now + SignedDuration::from_hours(24 * d))),
                (None, Some(f), Some(u)) => {
                    if u < micros(now) {
                        return Err(StoreError::Conflict(format!(
                            "coupon campaign {id}'s dates have passed: it issues no more coupons"
                        )));
                    }
                    (f, u)
                }
                _ => return Err(StoreError::Internal(format!("coupon campaign {id} has no validity"))),
            };
            let (members, refused) = self.audience_members(tx, &request.audience)?;
            let mut out = IssueOutcome { batch: batch.to_owned(), refused, ..IssueOutcome::default() };
            let mut insert = tx.prepare_cached(
                "INSERT INTO coupons (campaign_id, member_id, secret, batch, issued_at, valid_from, valid_until, status)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'issued') ON CONFLICT (campaign_id, batch, member_id) DO NOTHING",
            )?;
            for m in &members {
                let n = insert.execute(params![
                    campaign_id,
                    m,
                    new_secret(),
                    batch,
                    micros(now),
                    valid_from,
                    valid_until
                ])?;
                if n == 1 {
                    out.issued += 1;
                } else {
                    out.already += 1;
                }
            }
            drop(insert);
            let what = match &request.audience {
                CouponAudience::Members { members } => serde_json::json!({"kind": "members", "listed": members.len()}),
                other => serde_json::to_value(other)?,
            };
            append_audit(
                tx,
                &self.audit_key,
                actor,
                now,
                "coupon_campaign.issue",
                &format!("coupon_campaign:{id}"),
                None::<&()>,
                Some(&serde_json::json!({
                    "batch": batch, "audience": what, "issued": out.issued, "already": out.already,
                    "refused": out.refused.len(),
                })),
            )?;
            Ok(out)
        })
    }

    fn member_coupons(&self, member: MemberId) -> StoreResult<Vec<MemberCouponRecord>> {
        self.read(|c| {
            let id =
                resolve(c, &member.to_string())?.ok_or_else(|| StoreError::NotFound(format!("member {member}")))?;
            super::member_coupons::all(c, &id, self.now())
        })
    }

    fn usable_coupons(&self, member: MemberId, now: Timestamp) -> StoreResult<MemberCouponsResponse> {
        self.read(|c| {
            let id =
                resolve(c, &member.to_string())?.ok_or_else(|| StoreError::NotFound(format!("member {member}")))?;
            let rows: Vec<(i64, i64, String, i64, String, String, Option<i64>)> = c
                .prepare_cached(
                    "SELECT k.id, k.campaign_id, k.secret, k.valid_until, g.name, g.kind, g.offline_cap
                     FROM coupons k JOIN coupon_campaigns g ON g.id = k.campaign_id
                     WHERE k.member_id = ?1 AND g.active = 1 AND k.status <> 'redeemed'
                       AND k.valid_from <= ?2 AND k.valid_until >= ?2
                       AND NOT (k.status = 'held' AND k.hold_expires_at > ?2)
                     ORDER BY k.valid_until, k.id",
                )?
                .query_map(params![id, micros(now)], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?))
                })?
                .collect::<Result<_, _>>()?;
            let mut coupons = Vec::with_capacity(rows.len());
            for (k, g, secret, until, name, kind, cap) in rows {
                let campaign = CouponCampaign {
                    id: CampaignId(g.max(0) as u64),
                    name,
                    kind: serde_json::from_str(&kind)?,
                    offline_cap: cap.and_then(|n| u32::try_from(n).ok()),
                    active: true,
                };
                coupons.push(MemberCoupon {
                    code: code_of(g, k, &secret),
                    coupon: campaign.coupon(CouponId(k.max(0) as u64)),
                    valid_until: from_micros(until),
                });
            }
            Ok(MemberCouponsResponse { coupons })
        })
    }

    fn hold_coupon(
        &self,
        till: &Till,
        req: &CouponHoldRequest,
        code: &CouponCode,
        now: Timestamp,
    ) -> StoreResult<Result<CouponHoldResponse, CouponRefusal>> {
        self.write(|tx| {
            let hold_id = req.hold.to_string();
            let earlier: Option<(i64, i64, String, i64)> = tx
                .prepare_cached("SELECT coupon_id, till_id, status, expires_at FROM coupon_holds WHERE id = ?1")?
                .query_row([&hold_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
                .optional()?;
            if let Some((_, t, _, _)) = &earlier
                && *t != till.id.0
            {
                return Ok(Err(CouponRefusal::OtherTill));
            }
            let Some(row) = genuine(tx, code)? else { return Ok(Err(CouponRefusal::Unknown)) };
            let campaign_row =
                load_campaign(tx, CampaignId(row.campaign.max(0) as u64))?.ok_or(StoreError::Internal("campaign vanished".into()))?;
            let campaign = to_record(campaign_row, CampaignCounts::default())?.campaign;
            // A retry of a hold that still stands (or was captured) gets the first answer.
            if let Some((coupon, _, status, expires)) = &earlier
                && *coupon == row.id
                && (status == "captured" || (status == "held" && row.hold_id.as_deref() == Some(&hold_id)))
            {
                return Ok(Ok(self.hold_answer(tx, req.hold, &row, &campaign, *expires)?));
            }
            if !campaign.active {
                return Ok(Err(CouponRefusal::CampaignEnded(campaign.name)));
            }
            if let Some(m) = req.member {
                let asked = resolve(tx, &m.to_string())?.unwrap_or_else(|| m.to_string());
                let owner = resolve(tx, &row.member)?.unwrap_or_else(|| row.member.clone());
                if asked != owner {
                    return Ok(Err(CouponRefusal::OtherMember));
                }
            }
            if row.status == "redeemed" {
                return Ok(Err(CouponRefusal::Used));
            }
            let t = micros(now);
            if t < row.valid_from {
                return Ok(Err(CouponRefusal::NotYetValid(from_micros(row.valid_from))));
            }
            if t > row.valid_until {
                return Ok(Err(CouponRefusal::Expired(from_micros(row.valid_until))));
            }
            if row.status == "held"
                && row.hold_id.as_deref() != Some(&hold_id)
                && let Some(e) = row.hold_expires.filter(|e| *e > t)
            {
                return Ok(Err(CouponRefusal::Held(from_micros(e))));
            }
            let expires = micros(now + SignedDuration::from_mins(HOLD_TTL_MINUTES));
            // Takes the coupon only if it is still free: a second writer that got this far finds
            // it held and is refused.
            let taken = tx
                .prepare_cached(
                    "UPDATE coupons SET status = 'held', hold_id = ?2, hold_till = ?3, hold_sale = ?4, hold_expires_at = ?5
                     WHERE id = ?1 AND status <> 'redeemed'
                       AND (status = 'issued' OR hold_id = ?2 OR hold_expires_at IS NULL OR hold_expires_at <= ?6)",
                )?
                .execute(params![row.id, hold_id, till.id.0, req.sale.to_string(), expires, t])?;
            if taken != 1 {
                return Ok(Err(CouponRefusal::Held(from_micros(expires))));
            }
            if let Some(previous) = row.hold_id.as_deref().filter(|p| *p != hold_id) {
                tx.prepare_cached(
                    "UPDATE coupon_holds SET status = 'lapsed', closed_at = ?2 WHERE id = ?1 AND status = 'held'",
                )?
                .execute(params![previous, t])?;
            }
            tx.prepare_cached(
                "INSERT INTO coupon_holds (id, coupon_id, till_id, sale_id, status, created_at, expires_at)
                 VALUES (?1, ?2, ?3, ?4, 'held', ?5, ?6)
                 ON CONFLICT (id) DO UPDATE SET coupon_id = excluded.coupon_id, sale_id = excluded.sale_id,
                 status = 'held', created_at = excluded.created_at, expires_at = excluded.expires_at, closed_at = NULL",
            )?
            .execute(params![hold_id, row.id, till.id.0, req.sale.to_string(), t, expires])?;
            Ok(Ok(self.hold_answer(tx, req.hold, &row, &campaign, expires)?))
        })
    }

    fn release_coupon_hold(&self, till: &Till, hold: HoldId, now: Timestamp) -> StoreResult<Result<(), CouponRefusal>> {
        self.write(|tx| {
            let id = hold.to_string();
            let row: Option<(i64, i64, String)> = tx
                .prepare_cached("SELECT coupon_id, till_id, status FROM coupon_holds WHERE id = ?1")?
                .query_row([&id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .optional()?;
            match row {
                None => Ok(Ok(())),
                Some((_, t, _)) if t != till.id.0 => Ok(Err(CouponRefusal::OtherTill)),
                Some((_, _, s)) if s == "captured" => Ok(Err(CouponRefusal::Captured)),
                Some((coupon, _, s)) if s == "held" => {
                    tx.prepare_cached("UPDATE coupon_holds SET status = 'released', closed_at = ?2 WHERE id = ?1")?
                        .execute(params![id, micros(now)])?;
                    tx.prepare_cached(
                        "UPDATE coupons SET status = 'issued', hold_id = NULL, hold_till = NULL, hold_sale = NULL,
                         hold_expires_at = NULL WHERE id = ?1 AND hold_id = ?2 AND status = 'held'",
                    )?
                    .execute(params![coupon, id])?;
                    Ok(Ok(()))
                }
                Some(_) => Ok(Ok(())),
            }
        })
    }
}
