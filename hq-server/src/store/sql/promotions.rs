//! The promotion set (domain.md "Promotions"): one version counter for the whole set, and every
//! revision of every promotion with the range of set versions it was part of.
//!
//! A write (create, update, withdraw) is one transaction: it takes the next version by updating
//! the counter's one row (which row-locks it on PostgreSQL, on top of the store's write lock, so
//! two HQ processes never take the same version), closes the promotion's open revision at that
//! version, opens the new one, puts the promotion on the change feed (for every branch: the
//! till's engine filters by branch itself) and writes the audit entry. The set at a version is
//! the revisions whose range holds it, so HQ can re-price a sale with the version its till used.

use std::collections::BTreeSet;
use std::sync::Arc;

use jiff::civil::Date;
use shared::promotions::{Audience, Branches, Promotion, PromotionEngine, PromotionId, PromotionKind, PromotionSet};
use shared::sync::{Change, PromotionChange};

use super::conn::{Conn, OptionalExtension, Value, params};
use super::{SqlStore, append_audit, emit, from_micros, in_chunks, micros};
use crate::model::{Actor, EffectPeriod, PromotionEffect, PromotionFilter, PromotionRecord, PromotionStatus};
use crate::store::{PromotionStore, StoreError, StoreResult};
use shared::ids::BranchId;

/// The columns [`record`] reads, from `promotions p JOIN promotion_revisions r` (the newest revision).
const RECORD_COLUMNS: &str = "r.promotion, p.version, p.withdrawn_version, p.updated_at, p.updated_by";

/// A row of [`RECORD_COLUMNS`]: the revision's JSON, the version, withdrawn or not, when, who.
type RecordRow = (String, u64, bool, i64, String);

fn record(row: &super::conn::Row<'_>) -> super::conn::Result<RecordRow> {
    Ok((
        row.get(0)?,
        row.get::<_, i64>(1)?.max(0) as u64,
        row.get::<_, Option<i64>>(2)?.is_some(),
        row.get(3)?,
        row.get(4)?,
    ))
}

fn to_record((json, version, withdrawn, at, by): RecordRow, today: Date) -> StoreResult<PromotionRecord> {
    let promotion: Promotion = serde_json::from_str(&json)?;
    let status = PromotionStatus::on(today, promotion.schedule.from, promotion.schedule.to, withdrawn);
    Ok(PromotionRecord { promotion, version, status, updated_at: from_micros(at), updated_by: by })
}

/// The next version of the set: the counter's one row, made by the first write.
fn next_version(tx: &Conn<'_>) -> StoreResult<u64> {
    let v: i64 = tx
        .prepare_cached(
            "INSERT INTO promotion_set_version (id, version) VALUES (1, 1)
             ON CONFLICT (id) DO UPDATE SET version = promotion_set_version.version + 1
             RETURNING version",
        )?
        .query_row([], |r| r.get(0))?;
    Ok(v.max(0) as u64)
}

pub(crate) fn current_version(c: &Conn<'_>) -> StoreResult<u64> {
    let v: Option<i64> = c
        .prepare_cached("SELECT version FROM promotion_set_version WHERE id = 1")?
        .query_row([], |r| r.get(0))
        .optional()?;
    Ok(v.unwrap_or(0).max(0) as u64)
}

/// The ids of `wanted` that `table` has.
fn known_ids(c: &Conn<'_>, table: &str, wanted: &BTreeSet<i64>) -> StoreResult<BTreeSet<i64>> {
    let values: Vec<Value> = wanted.iter().map(|&i| Value::Int(i)).collect();
    let found = in_chunks(c, &format!("SELECT id FROM {table} WHERE id IN"), &values, |r| r.get::<_, i64>(0))?;
    Ok(found.into_iter().collect())
}

/// Refuses a promotion that names a product, category, brand, branch or tier HQ does not know: the
/// field and the value.
fn check_references(store: &SqlStore, tx: &Conn<'_>, p: &Promotion) -> StoreResult<()> {
    let unknown = |field: &str, table: &str, ids: &mut dyn Iterator<Item = i64>| -> StoreResult<()> {
        let noun = match table {
            "products" => "product",
            "categories" => "category",
            "brands" => "brand",
            _ => "branch",
        };
        let wanted: BTreeSet<i64> = ids.collect();
        if wanted.is_empty() {
            return Ok(());
        }
        let known = known_ids(tx, table, &wanted)?;
        match wanted.difference(&known).next() {
            Some(id) => Err(StoreError::Invalid(format!("{field}: HQ has no {noun} with id {id}"))),
            None => Ok(()),
        }
    };
    unknown("scope.products", "products", &mut p.scope.products.iter().map(|p| p.0))?;
    unknown("scope.excluded", "products", &mut p.scope.excluded.iter().map(|p| p.0))?;
    unknown("scope.categories", "categories", &mut p.scope.categories.iter().map(|c| c.0))?;
    unknown("scope.brands", "brands", &mut p.scope.brands.iter().map(|b| b.0))?;
    if let PromotionKind::Gift { product, .. } = &p.kind {
        unknown("kind.product", "products", &mut std::iter::once(product.0))?;
    }
    if let Branches::Only(list) = &p.branches {
        unknown("branches", "branches", &mut list.iter().map(|b| b.0))?;
    }
    if let Audience::Tiers(tiers) = &p.audience {
        let policies = store.all_policies_tx(tx)?;
        let newest = policies.last().ok_or_else(|| StoreError::Internal("HQ has no member policy".into()))?;
        if let Some(t) = tiers.iter().find(|t| !newest.tiers.tiers().iter().any(|k| &k.code == *t)) {
            return Err(StoreError::Invalid(format!("audience.tiers: HQ has no member tier {t}")));
        }
    }
    Ok(())
}

/// The newest revision of `id`, and whether it was withdrawn.
fn newest(tx: &Conn<'_>, id: PromotionId) -> StoreResult<(Promotion, bool)> {
    let id_i = i64::try_from(id.0).map_err(|_| StoreError::NotFound(format!("promotion {}", id.0)))?;
    let row: Option<(String, Option<i64>)> = tx
        .prepare_cached(
            "SELECT r.promotion, p.withdrawn_version FROM promotions p
             JOIN promotion_revisions r ON r.promotion_id = p.id
             WHERE p.id = ?1 ORDER BY r.version_from DESC LIMIT 1",
        )?
        .query_row([id_i], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let (json, withdrawn) = row.ok_or_else(|| StoreError::NotFound(format!("promotion {}", id.0)))?;
    Ok((serde_json::from_str(&json)?, withdrawn.is_some()))
}

impl SqlStore {
    /// Takes the next version, closes `id`'s open revision at it, opens `promotion` (if any),
    /// and puts the change on the feed with its audit entry.
    fn publish(
        &self,
        tx: &Conn<'_>,
        actor: &Actor,
        action: &str,
        id: PromotionId,
        before: Option<&Promotion>,
        promotion: Option<&Promotion>,
    ) -> StoreResult<u64> {
        let version = next_version(tx)?;
        let now = self.now();
        let id_i = i64::try_from(id.0).map_err(|_| StoreError::Internal("promotion id out of range".into()))?;
        let v = i64::try_from(version).map_err(|_| StoreError::Internal("set version out of range".into()))?;
        tx.prepare_cached(
            "UPDATE promotion_revisions SET version_to = ?2 WHERE promotion_id = ?1 AND version_to IS NULL",
        )?
        .execute(params![id_i, v])?;
        match promotion {
            Some(p) => {
                tx.prepare_cached(
                    "UPDATE promotions SET name = ?2, date_from = ?3, date_to = ?4, version = ?5, updated_at = ?6,
                     updated_by = ?7 WHERE id = ?1",
                )?
                .execute(params![
                    id_i,
                    p.name,
                    p.schedule.from.to_string(),
                    p.schedule.to.to_string(),
                    v,
                    micros(now),
                    actor.who
                ])?;
                tx.prepare_cached(
                    "INSERT INTO promotion_revisions (promotion_id, version_from, version_to, promotion, created_at, created_by)
                     VALUES (?1, ?2, NULL, ?3, ?4, ?5)",
                )?
                .execute(params![id_i, v, serde_json::to_string(p)?, micros(now), actor.who])?;
            }
            None => {
                tx.prepare_cached(
                    "UPDATE promotions SET version = ?2, withdrawn_version = ?2, updated_at = ?3, updated_by = ?4
                     WHERE id = ?1",
                )?
                .execute(params![id_i, v, micros(now), actor.who])?;
            }
        }
        let change = Change::Promotion(PromotionChange { version, id, promotion: promotion.cloned() });
        emit(tx, &format!("promotion:{}", id.0), None, &change)?;
        append_audit(tx, &self.audit_key, actor, now, action, &format!("promotion:{}", id.0), before, promotion)?;
        Ok(version)
    }

    fn record_tx(&self, c: &Conn<'_>, id: PromotionId, today: Date) -> StoreResult<PromotionRecord> {
        let id_i = i64::try_from(id.0).map_err(|_| StoreError::NotFound(format!("promotion {}", id.0)))?;
        let row = c
            .prepare_cached(&format!(
                "SELECT {RECORD_COLUMNS} FROM promotions p JOIN promotion_revisions r ON r.promotion_id = p.id
                 WHERE p.id = ?1 ORDER BY r.version_from DESC LIMIT 1"
            ))?
            .query_row([id_i], record)
            .optional()?
            .ok_or_else(|| StoreError::NotFound(format!("promotion {}", id.0)))?;
        to_record(row, today)
    }
}

/// How many versions' engines the store keeps (a day's sales are priced with a few versions).
const ENGINES_KEPT: usize = 8;

impl SqlStore {
    /// The promotion set as it stood at `version`, indexed for pricing, in the caller's transaction
    /// (`None` for a version this transaction does not see published). What HQ re-prices an ingested
    /// sale with; a published version never changes, so the engines of the last few are kept.
    pub fn promotion_engine_tx(&self, c: &Conn<'_>, version: u64) -> StoreResult<Option<Arc<PromotionEngine>>> {
        let kept = |engines: &mut Vec<(u64, Arc<PromotionEngine>)>| {
            let at = engines.iter().position(|(v, _)| *v == version)?;
            let hit = engines.remove(at);
            engines.push(hit.clone());
            Some(hit.1)
        };
        if let Some(engine) = self.promotion_engines.lock().ok().and_then(|mut e| kept(&mut e)) {
            return Ok(Some(engine));
        }
        if version > current_version(c)? {
            return Ok(None);
        }
        let engine = Arc::new(PromotionEngine::new(set_at(c, version)?));
        if let Ok(mut engines) = self.promotion_engines.lock() {
            if engines.len() >= ENGINES_KEPT {
                engines.remove(0);
            }
            engines.push((version, engine.clone()));
        }
        Ok(Some(engine))
    }
}

/// The promotions of `engine`'s set that limit how many sales a member may have them in.
pub(crate) fn member_limited(engine: &PromotionEngine) -> Vec<shared::promotions::PromotionId> {
    engine.set().promotions.iter().filter(|p| p.limits.per_member.is_some()).map(|p| p.id).collect()
}

/// The member's sales (all but `except`) that received each of `ids` (per-member limits: a sale
/// counts once however often the promotion applied in it; a return does not give it back).
pub(crate) fn member_promotion_uses_tx(
    c: &Conn<'_>,
    member: &str,
    ids: &[shared::promotions::PromotionId],
    except: Option<&str>,
) -> StoreResult<std::collections::BTreeMap<shared::promotions::PromotionId, u32>> {
    let mut out = std::collections::BTreeMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let mut stmt = c.prepare_cached(
        "SELECT slp.promotion_id, COUNT(DISTINCT s.id) FROM sales s
         JOIN sale_line_promotions slp ON slp.sale_id = s.id
         WHERE s.member_id = ?1 AND s.id <> ?2 GROUP BY slp.promotion_id",
    )?;
    let rows =
        stmt.query_map(params![member, except.unwrap_or("")], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))?;
    for row in rows {
        let (id, n) = row?;
        let id = shared::promotions::PromotionId(u64::try_from(id).unwrap_or(0));
        if ids.contains(&id) {
            out.insert(id, u32::try_from(n).unwrap_or(u32::MAX));
        }
    }
    Ok(out)
}

impl PromotionStore for SqlStore {
    fn create_promotion(&self, actor: &Actor, mut promotion: Promotion) -> StoreResult<PromotionRecord> {
        promotion.validate().map_err(|e| StoreError::Invalid(e.to_string()))?;
        self.write(|tx| {
            check_references(self, tx, &promotion)?;
            let now = self.now();
            let id: i64 = tx
                .prepare_cached(
                    "INSERT INTO promotions (name, date_from, date_to, version, updated_at, updated_by)
                     VALUES (?1, ?2, ?3, 0, ?4, ?5) RETURNING id",
                )?
                .query_row(
                    params![
                        promotion.name,
                        promotion.schedule.from.to_string(),
                        promotion.schedule.to.to_string(),
                        micros(now),
                        actor.who
                    ],
                    |r| r.get(0),
                )?;
            promotion.id = PromotionId(id.max(0) as u64);
            self.publish(tx, actor, "create", promotion.id, None, Some(&promotion))?;
            self.record_tx(tx, promotion.id, crate::calendar::hq_day(now))
        })
    }

    fn update_promotion(&self, actor: &Actor, promotion: Promotion) -> StoreResult<PromotionRecord> {
        promotion.validate().map_err(|e| StoreError::Invalid(e.to_string()))?;
        self.write(|tx| {
            let (before, withdrawn) = newest(tx, promotion.id)?;
            if withdrawn {
                return Err(StoreError::Conflict(format!(
                    "promotion {} was withdrawn; create a new one instead",
                    promotion.id.0
                )));
            }
            check_references(self, tx, &promotion)?;
            self.publish(tx, actor, "update", promotion.id, Some(&before), Some(&promotion))?;
            self.record_tx(tx, promotion.id, crate::calendar::hq_day(self.now()))
        })
    }

    fn withdraw_promotion(&self, actor: &Actor, id: PromotionId) -> StoreResult<PromotionRecord> {
        self.write(|tx| {
            let (before, withdrawn) = newest(tx, id)?;
            if withdrawn {
                return Err(StoreError::Conflict(format!("promotion {} is already withdrawn", id.0)));
            }
            self.publish(tx, actor, "withdraw", id, Some(&before), None)?;
            self.record_tx(tx, id, crate::calendar::hq_day(self.now()))
        })
    }

    fn promotion(&self, id: PromotionId, today: Date) -> StoreResult<PromotionRecord> {
        self.read(|c| self.record_tx(c, id, today))
    }

    fn promotion_effect(
        &self,
        id: PromotionId,
        today: Date,
        branch: Option<BranchId>,
    ) -> StoreResult<Option<PromotionEffect>> {
        self.read(|c| {
            let record = self.record_tx(c, id, today)?;
            let p = &record.promotion;
            // A withdrawn promotion ran until the day it was withdrawn.
            let last = if record.status == PromotionStatus::Withdrawn {
                p.schedule.to.min(crate::calendar::hq_day(record.updated_at))
            } else {
                p.schedule.to
            };
            let to = last.min(today);
            if to < p.schedule.from {
                return Ok(None);
            }
            let days = p.schedule.from.until(to).map_err(|e| StoreError::Internal(e.to_string()))?.get_days();
            let before_to = p.schedule.from.yesterday().map_err(|e| StoreError::Internal(e.to_string()))?;
            let before_from =
                before_to.checked_sub(jiff::Span::new().days(days)).map_err(|e| StoreError::Internal(e.to_string()))?;
            // The scope as SQL over the line's product and category (integers only, so inlined).
            let list = |ids: &mut dyn Iterator<Item = i64>| ids.map(|i| i.to_string()).collect::<Vec<_>>().join(",");
            let mut scope = if p.scope.all_products {
                "1 = 1".to_owned()
            } else {
                let mut any = Vec::new();
                if !p.scope.products.is_empty() {
                    any.push(format!("l.product_id IN ({})", list(&mut p.scope.products.iter().map(|x| x.0))));
                }
                if !p.scope.categories.is_empty() {
                    any.push(format!("l.category_id IN ({})", list(&mut p.scope.categories.iter().map(|x| x.0))));
                }
                if any.is_empty() { "1 = 0".to_owned() } else { format!("({})", any.join(" OR ")) }
            };
            if !p.scope.excluded.is_empty() {
                scope.push_str(&format!(
                    " AND l.product_id NOT IN ({})",
                    list(&mut p.scope.excluded.iter().map(|x| x.0))
                ));
            }
            if let Branches::Only(only) = &p.branches {
                scope.push_str(&format!(" AND s.branch_id IN ({})", list(&mut only.iter().map(|b| b.0))));
            }
            let sql = format!(
                "SELECT COUNT(*), COALESCE(SUM(l.qty), 0), COALESCE(SUM(l.net), 0)
                 FROM sale_lines l JOIN sales s ON s.id = l.sale_id
                 WHERE s.business_day BETWEEN ?1 AND ?2 AND (CAST(?3 AS BIGINT) IS NULL OR s.branch_id = ?3)
                   AND {scope}"
            );
            let period = |from: Date, to: Date| -> StoreResult<EffectPeriod> {
                let (lines, qty_milli, net) =
                    c.query_row(&sql, params![from.to_string(), to.to_string(), branch.map(|b| b.0)], |r| {
                        Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?))
                    })?;
                Ok(EffectPeriod { from, to, lines, qty_milli, net })
            };
            Ok(Some(PromotionEffect {
                promotion_id: id.0,
                during: period(p.schedule.from, to)?,
                before: period(before_from, before_to)?,
            }))
        })
    }

    fn list_promotions(&self, filter: &PromotionFilter, today: Date) -> StoreResult<Vec<PromotionRecord>> {
        let day = today.to_string();
        // Dates are stored as ISO text, which orders as the dates do.
        let status = match filter.status {
            None => "",
            Some(PromotionStatus::Withdrawn) => "AND p.withdrawn_version IS NOT NULL",
            Some(PromotionStatus::Scheduled) => "AND p.withdrawn_version IS NULL AND p.date_from > ?2",
            Some(PromotionStatus::Active) => {
                "AND p.withdrawn_version IS NULL AND p.date_from <= ?2 AND p.date_to >= ?2"
            }
            Some(PromotionStatus::Ended) => "AND p.withdrawn_version IS NULL AND p.date_to < ?2",
        };
        let name = filter.name.as_deref().map(str::trim).filter(|n| !n.is_empty()).map(|n| {
            let escaped = n.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
            format!("%{escaped}%")
        });
        self.read(|c| {
            // `?2` (today) is named even when no status filter uses it: PostgreSQL types every
            // parameter it is given from the statement.
            let sql = format!(
                "SELECT {RECORD_COLUMNS} FROM promotions p
                 JOIN promotion_revisions r ON r.promotion_id = p.id
                  AND r.version_from = (SELECT MAX(x.version_from) FROM promotion_revisions x WHERE x.promotion_id = p.id)
                 WHERE p.id > ?1 AND CAST(?2 AS TEXT) IS NOT NULL {status}
                   AND (CAST(?3 AS TEXT) IS NULL OR p.name {} ?3 ESCAPE '\\')
                 ORDER BY p.id LIMIT ?4",
                c.like()
            );
            let rows = c
                .prepare(&sql)?
                .query_map(params![filter.after, day, name, filter.limit], record)?
                .collect::<Result<Vec<_>, _>>()?;
            rows.into_iter().map(|row| to_record(row, today)).collect()
        })
    }

    fn current_promotion_set(&self) -> StoreResult<PromotionSet> {
        self.read(|c| {
            let version = current_version(c)?;
            set_at(c, version)
        })
    }

    fn promotion_set_at(&self, version: u64) -> StoreResult<PromotionSet> {
        self.read(|c| {
            if version > current_version(c)? {
                return Err(StoreError::NotFound(format!("promotion set version {version}")));
            }
            set_at(c, version)
        })
    }
}

/// The set as it stood at `version`, in id order.
fn set_at(c: &Conn<'_>, version: u64) -> StoreResult<PromotionSet> {
    let v = i64::try_from(version).map_err(|_| StoreError::NotFound(format!("promotion set version {version}")))?;
    let rows: Vec<String> = c
        .prepare_cached(
            "SELECT promotion FROM promotion_revisions
             WHERE version_from <= ?1 AND (version_to IS NULL OR version_to > ?1) ORDER BY promotion_id",
        )?
        .query_map([v], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let promotions =
        rows.iter().map(|j| serde_json::from_str(j).map_err(StoreError::from)).collect::<StoreResult<_>>()?;
    Ok(PromotionSet { version, promotions })
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::promotions::{Limits, Schedule, Scope, Slab};

    fn slabs(name: &str) -> Promotion {
        Promotion {
            id: PromotionId(0),
            name: name.into(),
            branches: Branches::All,
            schedule: Schedule {
                from: jiff::civil::date(2026, 1, 1),
                to: jiff::civil::date(2026, 12, 31),
                weekdays: None,
                time_window: None,
            },
            audience: Audience::Everyone,
            scope: Scope { all_products: true, ..Scope::default() },
            kind: PromotionKind::Slabs { slabs: vec![Slab { threshold: shared::Money(500), off: shared::Money(100) }] },
            exclusivity_group: None,
            priority: 0,
            limits: Limits::default(),
            threshold_clawback: false,
        }
    }

    /// What ingest re-prices with: each published version's set (version 0 is the empty one a till
    /// starts with), nothing for a version not published, and a kept engine that stays right.
    #[test]
    fn an_engine_is_had_for_every_published_version_and_none_beyond() {
        let dir = tempfile::tempdir().expect("dir");
        let db = crate::testing::TestDb::new(dir.path());
        let store = db.open(crate::clock::Clock::system()).expect("store");
        let engine = |v: u64| store.read(|c| store.promotion_engine_tx(c, v)).expect("engine");
        assert_eq!(engine(0).map(|e| e.set().promotions.len()), Some(0));
        assert!(engine(1).is_none(), "not published yet");
        let first = store.create_promotion(&Actor::system(), slabs("一")).expect("create");
        let mut second = slabs("二");
        second.id = first.promotion.id;
        store.update_promotion(&Actor::system(), second).expect("update");
        for _ in 0..2 {
            let names =
                |v: u64| engine(v).map(|e| e.set().promotions.iter().map(|p| p.name.clone()).collect::<Vec<_>>());
            assert_eq!(names(1), Some(vec!["一".to_owned()]));
            assert_eq!(names(2), Some(vec!["二".to_owned()]));
            assert_eq!(engine(2).map(|e| e.set().version), Some(2));
            assert!(engine(3).is_none());
        }
        drop(store);
    }
}
