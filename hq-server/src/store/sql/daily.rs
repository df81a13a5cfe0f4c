//! The members' daily job (lots expire, tiers are re-evaluated, forgotten holds are released) and
//! the check that every stored balance equals its ledger.
#![allow(clippy::type_complexity)] // SQL rows read as tuples

use super::conn::{OptionalExtension, params};
use jiff::Timestamp;
use jiff::civil::Date;
use shared::ledger::LedgerKind;

use super::ledger::{self, Entry};
use super::{SqlStore, append_audit, micros, policy_in_force_tx};
use crate::model::{Actor, DailyRun};
use crate::store::StoreResult;

impl SqlStore {
    pub(super) fn daily_job(&self, actor: &Actor, day: Date, now: Timestamp) -> StoreResult<DailyRun> {
        self.write(|tx| {
            let ran: Option<(i64, i64, i64, i64)> = tx
                .query_row(
                    "SELECT lots_expired, points_expired, tier_changes, holds_expired FROM member_daily_runs WHERE day = ?1",
                    [day.to_string()],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                )
                .optional()?;
            if let Some((l, p, t, h)) = ran {
                return Ok(DailyRun {
                    day,
                    already_ran: true,
                    lots_expired: l.max(0) as u64,
                    points_expired: p,
                    tier_changes: t.max(0) as u64,
                    holds_expired: h.max(0) as u64,
                });
            }
            let mut run = DailyRun { day, ..DailyRun::default() };
            // Lots whose last day is before `day`.
            let expiring: Vec<(String, String, i64)> = tx
                .prepare(
                    "SELECT id, member_id, remaining FROM points_lots
                     WHERE expires_on IS NOT NULL AND expires_on < ?1 AND remaining > 0",
                )?
                .query_map([day.to_string()], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect::<Result<_, _>>()?;
            let mut touched: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
            for (lot, member, remaining) in expiring {
                let source = format!("expire:{lot}");
                if ledger::append(
                    tx,
                    &Entry {
                        member: &member,
                        kind: LedgerKind::Expire,
                        points: -remaining,
                        principal: 0,
                        bonus: 0,
                        at: now,
                        day,
                        branch: None,
                        source: &source,
                        lot: Some(&lot),
                        reason: None,
                        actor: &actor.who,
                    },
                )?
                .is_some()
                {
                    tx.execute("UPDATE points_lots SET remaining = 0 WHERE id = ?1", [&lot])?;
                    run.lots_expired += 1;
                    run.points_expired += remaining;
                    touched.insert(member);
                }
            }
            // Tiers, up or down, by the trailing 365 days' spend.
            let policy = policy_in_force_tx(tx, now)?;
            let members: Vec<(String, String)> = tx
                .prepare("SELECT id, tier FROM members WHERE status = 'active'")?
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<_, _>>()?;
            for (member, tier) in members {
                let spend = ledger::trailing_spend(tx, &member, day)?;
                if let Some(new) = policy.tiers.daily_evaluation(&tier, spend) {
                    ledger::set_tier(tx, &member, &tier, &new.code, now, &format!("daily evaluation {day}: spend {spend}"))?;
                    run.tier_changes += 1;
                    touched.insert(member);
                }
            }
            // Holds nobody captured or released.
            run.holds_expired = tx.execute(
                "UPDATE holds SET status = 'expired', closed_at = ?1 WHERE status = 'held' AND expires_at <= ?1",
                [micros(now)],
            )? as u64;
            for member in &touched {
                ledger::publish(tx, member, now)?;
            }
            tx.execute(
                "INSERT INTO member_daily_runs (day, ran_at, lots_expired, points_expired, tier_changes, holds_expired)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![day.to_string(), micros(now), run.lots_expired as i64, run.points_expired, run.tier_changes as i64, run.holds_expired as i64],
            )?;
            append_audit(tx, &self.audit_key, actor, self.now(), "daily_job", &format!("day:{day}"), None::<&()>, Some(&run))?;
            Ok(run)
        })
    }

    pub(super) fn balance_problems(&self) -> StoreResult<Vec<String>> {
        self.read(|c| {
            let rows: Vec<(String, i64, i64, i64, i64, i64, i64, i64, i64)> = c
                .prepare(
                    "SELECT m.id, m.points, m.sv_principal, m.sv_bonus, m.points_deficit,
                            COALESCE((SELECT SUM(points) FROM ledger_entries WHERE member_id = m.id), 0),
                            COALESCE((SELECT SUM(principal) FROM ledger_entries WHERE member_id = m.id), 0),
                            COALESCE((SELECT SUM(bonus) FROM ledger_entries WHERE member_id = m.id), 0),
                            COALESCE((SELECT SUM(remaining) FROM points_lots WHERE member_id = m.id), 0)
                     FROM members m",
                )?
                .query_map([], |r| {
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
            let mut problems = Vec::new();
            for (id, points, p, b, deficit, lp, lpr, lb, lots) in rows {
                if (points, p, b) != (lp, lpr, lb) {
                    problems.push(format!(
                        "member {id}: stored ({points} points, {p} principal, {b} bonus) ≠ ledger ({lp}, {lpr}, {lb})"
                    ));
                }
                if lots - deficit != points {
                    problems.push(format!("member {id}: lots {lots} - deficit {deficit} ≠ balance {points}"));
                }
            }
            Ok(problems)
        })
    }
}
