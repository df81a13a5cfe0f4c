//! Targets (计划) and the actual figures they are measured against. A year's months are replaced
//! together in one transaction with its audit entry; the actuals are one grouped query per metric
//! over every branch, so plan against actual for hundreds of branches stays one pass.

use std::collections::{BTreeMap, HashMap, HashSet};

use jiff::civil::Date;
use shared::ids::BranchId;
use shared::plans::{Metric, MonthTarget};

use super::conn::{Conn, params};
use super::{SqlStore, append_audit, micros};
use crate::model::{Actor, TargetYear};
use crate::store::{PlanStore, StoreError, StoreResult};

/// The first instant of `day` in the chain's zone, in the store's microseconds.
fn start_of(day: Date) -> StoreResult<i64> {
    let at = day
        .to_zoned(crate::calendar::hq_zone())
        .map_err(|e| StoreError::Invalid(format!("day {day}: {e}")))?
        .timestamp();
    Ok(micros(at))
}

fn next_day(day: Date) -> StoreResult<Date> {
    day.tomorrow().map_err(|e| StoreError::Invalid(format!("day {day}: {e}")))
}

/// A category and every category under it.
fn with_descendants(c: &Conn<'_>, category: i64) -> StoreResult<HashSet<i64>> {
    let all: Vec<(i64, Option<i64>)> = c
        .prepare_cached("SELECT id, parent_id FROM categories")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let mut set = HashSet::from([category]);
    // Parents before children is not guaranteed: repeat until nothing joins (depth is small).
    loop {
        let before = set.len();
        for (id, parent) in &all {
            if parent.is_some_and(|p| set.contains(&p)) {
                set.insert(*id);
            }
        }
        if set.len() == before {
            return Ok(set);
        }
    }
}

fn load_years(c: &Conn<'_>, year: i16, branch: Option<BranchId>) -> StoreResult<Vec<TargetYear>> {
    let (op, b) = match branch {
        Some(b) => ("=", b.0),
        None => (">=", 0),
    };
    let rows: Vec<(i64, String, i64, i64, i64, String)> = c
        .prepare_cached(&format!(
            "SELECT branch_id, metric, category_id, month, amount, split FROM targets
             WHERE year = ?1 AND branch_id {op} ?2 ORDER BY branch_id, metric, category_id, month"
        ))?
        .query_map(params![year, b], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)))?
        .collect::<Result<_, _>>()?;
    let mut years: BTreeMap<(i64, String, i64), TargetYear> = BTreeMap::new();
    for (branch_id, metric_code, category_id, month, amount, split) in rows {
        let metric = Metric::parse(&metric_code)
            .ok_or_else(|| StoreError::Internal(format!("a stored target's metric `{metric_code}`")))?;
        let entry = years.entry((branch_id, metric_code, category_id)).or_insert_with(|| TargetYear {
            branch_id: BranchId(branch_id),
            year,
            metric,
            category_id,
            months: [0; 12],
            split,
        });
        if let Some(slot) = usize::try_from(month - 1).ok().and_then(|i| entry.months.get_mut(i)) {
            *slot = amount;
        }
    }
    Ok(years.into_values().collect())
}

impl PlanStore for SqlStore {
    fn set_target(&self, actor: &Actor, target: &TargetYear) -> StoreResult<TargetYear> {
        self.write(|tx| {
            let exists: bool =
                tx.query_row("SELECT EXISTS (SELECT 1 FROM branches WHERE id = ?1)", [target.branch_id.0], |r| {
                    r.get(0)
                })?;
            if !exists {
                return Err(StoreError::NotFound(format!("branch {}", target.branch_id)));
            }
            if target.category_id != 0 {
                let known: bool = tx.query_row(
                    "SELECT EXISTS (SELECT 1 FROM categories WHERE id = ?1)",
                    [target.category_id],
                    |r| r.get(0),
                )?;
                if !known {
                    return Err(StoreError::NotFound(format!("category {}", target.category_id)));
                }
            }
            let before = load_years(tx, target.year, Some(target.branch_id))?
                .into_iter()
                .find(|t| t.metric == target.metric && t.category_id == target.category_id);
            let now = micros(self.now());
            for (i, amount) in target.months.iter().enumerate() {
                tx.prepare_cached(
                    "INSERT INTO targets (branch_id, year, metric, category_id, month, amount, split, updated_at, updated_by)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                     ON CONFLICT (branch_id, year, metric, category_id, month)
                     DO UPDATE SET amount = excluded.amount, split = excluded.split,
                                   updated_at = excluded.updated_at, updated_by = excluded.updated_by",
                )?
                .execute(params![
                    target.branch_id.0,
                    target.year,
                    target.metric.code(),
                    target.category_id,
                    i + 1,
                    amount,
                    target.split.as_str(),
                    now,
                    actor.who.as_str()
                ])?;
            }
            let entity = format!(
                "target:{}:{}:{}:{}",
                target.branch_id,
                target.year,
                target.metric.code(),
                target.category_id
            );
            append_audit(tx, &self.audit_key, actor, self.now(), "set target", &entity, before.as_ref(), Some(target))?;
            Ok(target.clone())
        })
    }

    fn list_targets(&self, year: i16, branch: Option<BranchId>) -> StoreResult<Vec<TargetYear>> {
        self.read(|c| load_years(c, year, branch))
    }

    fn target_months(
        &self,
        from: Date,
        to: Date,
        metric: Metric,
        category: i64,
    ) -> StoreResult<Vec<(BranchId, MonthTarget)>> {
        let (first, last) =
            (i64::from(from.year()) * 12 + i64::from(from.month()), i64::from(to.year()) * 12 + i64::from(to.month()));
        self.read(|c| {
            c.prepare_cached(
                "SELECT branch_id, year, month, amount FROM targets
                 WHERE metric = ?1 AND category_id = ?2 AND year * 12 + month BETWEEN ?3 AND ?4
                 ORDER BY branch_id, year, month",
            )?
            .query_map(params![metric.code(), category, first, last], |r| {
                let (b, y, m, a): (i64, i64, i64, i64) = (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?);
                Ok((BranchId(b), (i16::try_from(y).unwrap_or(0), i8::try_from(m).unwrap_or(0), a)))
            })?
            .collect::<Result<_, _>>()
            .map_err(Into::into)
        })
    }

    fn actuals(&self, from: Date, to: Date, metric: Metric, category: i64) -> StoreResult<Vec<(BranchId, i64, i64)>> {
        let (days_from, days_to) = (from.to_string(), to.to_string());
        let (start, end) = (start_of(from)?, start_of(next_day(to)?)?);
        self.read(|c| {
            let grouped = |sql: &str, p: &[&dyn super::conn::ToValue]| -> StoreResult<HashMap<i64, (i64, i64)>> {
                c.prepare_cached(sql)?
                    .query_map(p, |r| Ok((r.get::<_, i64>(0)?, (r.get::<_, i64>(1)?, r.get::<_, i64>(2)?))))?
                    .collect::<Result<_, _>>()
                    .map_err(Into::into)
            };
            let mut out: HashMap<i64, (i64, i64)> = HashMap::new();
            match (metric, category) {
                (Metric::Sales, 0) => {
                    // Net sales as the dashboard takes them: the days' sales less what the days'
                    // refunds paid back, from each branch's days (kept by ingest).
                    out = grouped(
                        "SELECT branch_id, COALESCE(SUM(due - refunded), 0), 1 FROM branch_days
                         WHERE business_day BETWEEN ?1 AND ?2 GROUP BY branch_id",
                        &[&days_from, &days_to],
                    )?;
                }
                (Metric::Sales, category) => {
                    let wanted = with_descendants(c, category)?;
                    let lines: Vec<(i64, i64, i64)> = c
                        .prepare_cached(
                            "SELECT s.branch_id, l.category_id, COALESCE(SUM(l.net), 0)
                             FROM sale_lines l JOIN sales s ON s.id = l.sale_id
                             WHERE s.business_day BETWEEN ?1 AND ?2 GROUP BY s.branch_id, l.category_id",
                        )?
                        .query_map(params![days_from, days_to], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                        .collect::<Result<_, _>>()?;
                    let returned: Vec<(i64, i64, i64)> = c
                        .prepare_cached(
                            "SELECT f.branch_id, p.category_id, COALESCE(SUM(rl.amount), 0)
                             FROM refund_lines rl JOIN refunds f ON f.id = rl.refund_id
                             JOIN products p ON p.id = rl.product_id
                             WHERE f.business_day BETWEEN ?1 AND ?2 GROUP BY f.branch_id, p.category_id",
                        )?
                        .query_map(params![days_from, days_to], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                        .collect::<Result<_, _>>()?;
                    for (b, _, v) in lines.into_iter().filter(|(_, cat, _)| wanted.contains(cat)) {
                        out.entry(b).or_insert((0, 1)).0 += v;
                    }
                    for (b, _, v) in returned.into_iter().filter(|(_, cat, _)| wanted.contains(cat)) {
                        out.entry(b).or_insert((0, 1)).0 -= v;
                    }
                }
                (Metric::NewMembers, _) => {
                    out = grouped(
                        "SELECT home_branch, COUNT(*), 1 FROM members
                         WHERE home_branch IS NOT NULL AND merged_into IS NULL
                           AND enrolled_at >= ?1 AND enrolled_at < ?2
                         GROUP BY home_branch",
                        &[&start, &end],
                    )?;
                }
                (Metric::MemberShare, _) => {
                    out = grouped(
                        "SELECT branch_id, COALESCE(SUM(member_due), 0), COALESCE(SUM(due), 0)
                         FROM branch_days WHERE business_day BETWEEN ?1 AND ?2 GROUP BY branch_id",
                        &[&days_from, &days_to],
                    )?;
                }
            }
            let mut rows: Vec<(BranchId, i64, i64)> = out.into_iter().map(|(b, (n, d))| (BranchId(b), n, d)).collect();
            rows.sort_by_key(|r| r.0);
            Ok(rows)
        })
    }

    fn monthly_sales(&self, year: i16, branch: Option<BranchId>) -> StoreResult<[i64; 12]> {
        let (from, to) = (format!("{year:04}-01-01"), format!("{year:04}-12-31"));
        let (op, b) = match branch {
            Some(b) => ("=", b.0),
            None => (">=", 0),
        };
        self.read(|c| {
            let mut months = [0i64; 12];
            for (table, sign, amount) in [("sales", 1, "due"), ("refunds", -1, "total + rounding")] {
                let rows: Vec<(String, i64)> = c
                    .prepare_cached(&format!(
                        "SELECT SUBSTR(business_day, 6, 2), COALESCE(SUM({amount}), 0) FROM {table}
                         WHERE business_day BETWEEN ?1 AND ?2 AND branch_id {op} ?3
                         GROUP BY SUBSTR(business_day, 6, 2)"
                    ))?
                    .query_map(params![from, to, b], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect::<Result<_, _>>()?;
                for (month, v) in rows {
                    if let Some(slot) =
                        month.parse::<usize>().ok().and_then(|m| m.checked_sub(1)).and_then(|i| months.get_mut(i))
                    {
                        *slot += sign * v;
                    }
                }
            }
            Ok(months)
        })
    }
}
