//! The simulation's checker: what must hold after any run, whatever the faults did. Each
//! expectation is computed from the tills' own records (their outboxes), never from HQ's code.

use std::collections::HashMap;

use hq_server::store::{MemberStore as _, SyncStore as _};
use pos_app::store::OutboxStatus;
use shared::ids::{MemberId, SaleId, TillId};
use shared::sync::Event;

use super::World;

/// A broken guarantee, with the seed that shows it.
#[derive(Debug)]
pub struct Violation {
    pub seed: u64,
    pub what: String,
    /// The last steps of the run.
    pub trace_tail: Vec<String>,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "seed {}: {}", self.seed, self.what)?;
        writeln!(f, "last steps:")?;
        for line in &self.trace_tail {
            writeln!(f, "  {line}")?;
        }
        Ok(())
    }
}

pub(super) fn check(world: &World) -> Result<(), Violation> {
    let fail = |what: String| Violation {
        seed: world.config.seed,
        what,
        trace_tail: world.report.trace.iter().rev().take(40).rev().cloned().collect(),
    };
    let hq = world.hq.store();
    // What the tills say they accepted, by sale and by member.
    let mut accepted_sales: HashMap<SaleId, (TillId, i64)> = HashMap::new();
    let mut sale_member: HashMap<SaleId, MemberId> = HashMap::new();
    let mut points: HashMap<MemberId, i64> = world.opening_points.iter().copied().collect();
    let mut refunds = 0u64;
    for (i, t) in world.tills.iter().enumerate() {
        let engine = t.engine.as_ref().expect("engine");
        let events = engine.store().all_events(1_000_000).map_err(|e| fail(e.to_string()))?;
        let at_hq = hq.list_events(t.hq.id, false, 1_000_000).map_err(|e| fail(e.to_string()))?;
        // Every event once at HQ, none HQ has of this till that the till did not make.
        let mut seen: HashMap<String, u32> = HashMap::new();
        for e in &at_hq {
            *seen.entry(e.id.clone()).or_default() += 1;
        }
        if let Some((id, n)) = seen.iter().find(|(_, n)| **n > 1) {
            return Err(fail(format!("till {i}: event {id} is at HQ {n} times")));
        }
        if at_hq.len() != events.len() {
            return Err(fail(format!("till {i} made {} events; HQ has {} of it", events.len(), at_hq.len())));
        }
        // HQ prices every promotion sale as its till did: no honest sale is flagged.
        if let Some(e) =
            at_hq.iter().find(|e| e.flags.iter().any(|f| f.starts_with(hq_server::event_checks::value::REPRICED_FLAG)))
        {
            return Err(fail(format!("till {i}: event seq {} was priced differently at HQ: {:?}", e.seq, e.flags)));
        }
        let by_id: HashMap<&str, &hq_server::model::StoredEvent> = at_hq.iter().map(|e| (e.id.as_str(), e)).collect();
        for e in &events {
            let id = e.envelope.id.to_string();
            let Some(h) = by_id.get(id.as_str()) else {
                return Err(fail(format!("till {i}: event {} (seq {}) never reached HQ", id, e.envelope.seq)));
            };
            match (&e.status, h.status.as_str()) {
                (OutboxStatus::Accepted, "accepted") => {}
                (OutboxStatus::Rejected(why), "rejected") if h.reason.as_deref() == Some(why.as_str()) => {}
                (OutboxStatus::Pending, _) => {
                    return Err(fail(format!(
                        "till {i}: event seq {} still waits after the network healed",
                        e.envelope.seq
                    )));
                }
                (ours, theirs) => {
                    return Err(fail(format!(
                        "till {i}: event seq {} ({}) is {ours:?} at the till and {theirs} ({:?}) at HQ",
                        e.envelope.seq, h.kind, h.reason
                    )));
                }
            }
            if e.status != OutboxStatus::Accepted {
                continue;
            }
            match &e.envelope.event {
                Event::SaleCompleted(s) => {
                    accepted_sales.insert(s.id, (t.hq.id, s.totals.due.0));
                    // A member the till knew by card alone is named by the identifier; HQ
                    // attributes the sale to whoever it names.
                    let named = s.member.as_ref().and_then(|m| {
                        m.member_id
                            .or_else(|| world.members.iter().find(|(_, by)| *by == m.identifier).map(|(id, _)| *id))
                    });
                    if let Some(m) = named {
                        sale_member.insert(s.id, m);
                        *points.entry(m).or_default() += s.points_earned();
                    }
                }
                Event::SaleRefunded(r) | Event::SaleVoided(r) => {
                    refunds += 1;
                    if let Some(m) = r.sale.and_then(|s| sale_member.get(&s)) {
                        *points.entry(*m).or_default() += r.points_restored - r.points_taken_back;
                    }
                }
                _ => {}
            }
        }
        // No hole left in the till's sequence.
        let status = hq.sync_status(t.hq.id).map_err(|e| fail(e.to_string()))?;
        if let Some(g) = status.open_gaps.iter().find(|g| g.filled_at.is_none()) {
            return Err(fail(format!(
                "till {i}: HQ still sees a gap ({} expected, {} received)",
                g.expected, g.received
            )));
        }
    }
    // Every accepted sale stored once, for what the till took.
    let (count, due): (i64, i64) = hq
        .raw(|c| {
            Ok(c.query_row("SELECT COUNT(*), COALESCE(SUM(due), 0) FROM sales", [], |r| Ok((r.get(0)?, r.get(1)?)))?)
        })
        .map_err(|e| fail(e.to_string()))?;
    let expected_due: i64 = accepted_sales.values().map(|(_, d)| d).sum();
    if count != accepted_sales.len() as i64 || due != expected_due {
        return Err(fail(format!(
            "HQ holds {count} sales taking {due} fen; the tills' accepted sales are {} taking {expected_due}",
            accepted_sales.len()
        )));
    }
    for (sale, (till, due)) in &accepted_sales {
        let stored: Option<(i64, i64)> = hq
            .raw(|c| {
                let mut st = c.prepare("SELECT till_id, due FROM sales WHERE id = ?1")?;
                Ok(st.query_row([sale.to_string()], |r| Ok((r.get(0)?, r.get(1)?))).ok())
            })
            .map_err(|e| fail(e.to_string()))?;
        if stored != Some((till.0, *due)) {
            return Err(fail(format!("sale {sale}: HQ has {stored:?}, the till {:?}", (till.0, due))));
        }
    }
    let stored_refunds: i64 = hq
        .raw(|c| Ok(c.query_row("SELECT COUNT(*) FROM refunds", [], |r| r.get(0))?))
        .map_err(|e| fail(e.to_string()))?;
    if stored_refunds != refunds as i64 {
        return Err(fail(format!("HQ holds {stored_refunds} refunds; the tills' accepted refunds are {refunds}")));
    }
    // Points: nothing created from nothing, nothing lost; balances agree with the ledger.
    for (member, expected) in &points {
        let at_hq = hq.get_member(*member).map_err(|e| fail(e.to_string()))?.points;
        if at_hq != *expected {
            let ledger: Vec<(String, i64, String)> = hq
                .raw(|c| {
                    let mut st = c.prepare(
                        "SELECT kind, points, source FROM ledger_entries WHERE member_id = ?1 AND points <> 0 ORDER BY id",
                    )?;
                    let rows = st.query_map([member.to_string()], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
                    Ok(rows.collect::<Result<Vec<_>, _>>()?)
                })
                .map_err(|e| fail(e.to_string()))?;
            return Err(fail(format!(
                "member {member}: HQ has {at_hq} points; the tills' events give {expected}; HQ's ledger: {ledger:?}"
            )));
        }
    }
    let broken = hq.check_balances().map_err(|e| fail(e.to_string()))?;
    if !broken.is_empty() {
        return Err(fail(format!("HQ's balances disagree with its ledger: {broken:?}")));
    }
    // Every till's copy of a member it holds converged to HQ's.
    for (i, t) in world.tills.iter().enumerate() {
        let engine = t.engine.as_ref().expect("engine");
        for (id, by) in &world.members {
            if let Some(copy) = engine.store().cached_member(by).map_err(|e| fail(e.to_string()))? {
                let at_hq = hq.get_member(*id).map_err(|e| fail(e.to_string()))?;
                if copy.points != at_hq.points || copy.tier != at_hq.tier {
                    return Err(fail(format!(
                        "till {i}'s copy of member {id}: {} points, tier {}; HQ: {} points, tier {}",
                        copy.points, copy.tier, at_hq.points, at_hq.tier
                    )));
                }
            }
        }
    }
    Ok(())
}
