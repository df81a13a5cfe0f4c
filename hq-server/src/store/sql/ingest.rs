//! Applying a pushed batch: dedup by event id, the checks that need the database, the sale,
//! refund and shift tables, sequence-gap tracking, and the one place where a sale's member and
//! ledger effects are applied ([`member_effects::apply_member_effects`]), all in the batch's transaction.

use std::collections::HashMap;

use super::conn::{Conn, OptionalExtension, Value, params};
use jiff::Timestamp;
use shared::sale::{CompletedSale, Refund, RefundKind, Tender};
use shared::sync::{Event, EventEnvelope, EventOutcome, EventResult, SeqGap};

use super::ingest_rollups::{DayDelta, Rollups, average_costs, write_rows};
use super::member_effects::apply_member_effects;
use super::stock;
use super::{from_micros, micros};
use crate::model::{IngestOutcome, Till};
use crate::store::{StoreError, StoreResult};

/// Why projecting one event failed: a reason to reject it with, or a real storage failure.
pub(crate) enum ProjectError {
    Reject(String),
    Store(StoreError),
}

impl From<super::conn::Error> for ProjectError {
    fn from(e: super::conn::Error) -> Self {
        match e {
            // A queued write with a reason to refuse it broke a constraint (a sale already recorded).
            super::conn::Error::Refused(why) => ProjectError::Reject(why),
            e => ProjectError::Store(e.into()),
        }
    }
}

impl From<serde_json::Error> for ProjectError {
    fn from(e: serde_json::Error) -> Self {
        ProjectError::Store(e.into())
    }
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
    let (mut owners, mut used_seqs) = known_events(tx, till_id, events)?;
    let facts = super::facts::SqlFacts::new(store, tx);
    // What the batch's sales and refunds name, read once: their products' prices (for the
    // checks) and average costs (for their stock movements).
    let mut moved = std::collections::BTreeSet::new();
    let mut products = std::collections::BTreeSet::new();
    for env in events {
        match &env.event {
            Event::SaleCompleted(s) => {
                products.extend(s.lines.iter().map(|l| l.item.product_id));
                moved.extend(s.lines.iter().map(|l| (s.branch.0, l.item.product_id.0)));
            }
            Event::SaleRefunded(r) | Event::SaleVoided(r) => {
                products.extend(r.lines.iter().map(|l| l.product_id));
                moved.extend(r.lines.iter().map(|l| (r.branch.0, l.product_id.0)));
            }
            _ => {}
        }
    }
    let products: Vec<_> = products.into_iter().collect();
    crate::event_checks::Facts::prices_today(&facts, &products, till.branch_id)?;
    let costs = if stock::ingest_moves_stock() { average_costs(tx, &moved)? } else { HashMap::new() };
    let mut batch_sums = Rollups::default();
    // The policies cannot change under the batch (it writes none, and holds the write lock).
    *tx.policies.borrow_mut() = Some(crate::event_checks::Facts::policies(&facts)?);
    let mut results = Vec::with_capacity(events.len());
    for (env, verdict) in events.iter().zip(verdicts) {
        let id = env.id.to_string();
        if let Some(&owner) = owners.get(&id) {
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
        if verdict.is_ok()
            && let Some(other) = used_seqs.get(&seq)
        {
            verdict = Err(format!("sequence number {seq} was already used by event {other}"));
        }
        if verdict.is_ok() {
            // Every figure HQ can know better than the till, against HQ's own state.
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
            let mut sums = Rollups::default();
            match project(&sp, till, env, received, &costs, &mut sums)
                .and_then(|()| apply_member_effects(&sp, &store.audit_key, till, env, received_at))
                .and_then(|()| match &env.event {
                    // The sale's coupons, redeemed or flagged (never a reason to refuse the sale).
                    Event::SaleCompleted(s) => {
                        super::coupon_capture::capture_sale(&sp, s, received_at).map_err(ProjectError::Store)
                    }
                    _ => Ok(Vec::new()),
                })
                // What the event queued is written now, so a write it breaks rejects this event alone.
                .and_then(|more| sp.flush().map(|()| more).map_err(ProjectError::from))
            {
                Ok(more) => {
                    sp.commit()?;
                    batch_sums.merge(sums);
                    if let Ok(flags) = &mut verdict {
                        flags.extend(more);
                    }
                }
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
        tx.execute_later(
            "INSERT INTO events (id, till_id, seq, kind, till_at, received_at, status, reason, payload)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                id,
                till_id,
                seq,
                env.event.kind(),
                micros(env.at),
                received,
                status,
                reason,
                serde_json::to_string(&env.event)?
            ],
            None,
        )?;
        owners.insert(id.clone(), till_id);
        used_seqs.entry(seq).or_insert_with(|| id.clone());
        // An event naming another till (rejected above) says nothing about this till's sequence.
        if env.till == till.id {
            track_seq(tx, till_id, seq, &mut next_seq, received)?;
        }
        let outcome = match verdict {
            Ok(flags) => {
                let rows = flags
                    .into_iter()
                    .map(|flag| vec![Value::Text(id.clone()), Value::Text(flag), Value::Int(received)])
                    .collect();
                write_rows(tx, "INSERT INTO event_flags (event_id, flag, at)", "", rows, "")?;
                EventOutcome::Accepted
            }
            Err(reason) => EventOutcome::Rejected { reason },
        };
        results.push(EventResult { id: env.id, seq: env.seq, outcome });
    }
    batch_sums.write(tx)?;
    tx.execute_later(
        "INSERT INTO till_sync (till_id, next_seq, last_push_at, clock_skew_seconds) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (till_id) DO UPDATE SET next_seq = excluded.next_seq, last_push_at = excluded.last_push_at,
         clock_skew_seconds = excluded.clock_skew_seconds",
        params![till_id, next_seq, received, clock_skew_seconds],
        None,
    )?;
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

/// Of a batch's events, those HQ has (by id, with the till that sent each), and the sequence
/// numbers of `till` the batch uses that HQ has (with the event of each): two statements for the
/// batch instead of two for each event. The ingest adds each event it writes to both.
#[allow(clippy::type_complexity)]
fn known_events(
    c: &Conn<'_>,
    till: i64,
    events: &[EventEnvelope],
) -> StoreResult<(HashMap<String, i64>, HashMap<i64, String>)> {
    let ids: Vec<String> = events.iter().map(|e| e.id.to_string()).collect();
    let seqs: Vec<i64> = events.iter().map(|e| i64::try_from(e.seq).unwrap_or(i64::MAX)).collect();
    let (texts, numbers) = (c.json_list(1, false), c.json_list(2, true));
    let owners = c
        .prepare_cached(&format!("SELECT id, till_id FROM events WHERE id IN ({texts})"))?
        .query_map([serde_json::to_string(&ids)?], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let mut used = HashMap::new();
    let rows = c
        .prepare_cached(&format!(
            "SELECT seq, id FROM events WHERE till_id = ?1 AND seq IN ({numbers}) ORDER BY seq, id"
        ))?
        .query_map(params![till, serde_json::to_string(&seqs)?], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
        })?;
    for row in rows {
        let (seq, id) = row?;
        used.entry(seq).or_insert(id);
    }
    Ok((owners, used))
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
fn project(
    c: &Conn<'_>,
    till: &Till,
    env: &EventEnvelope,
    received: i64,
    costs: &HashMap<(i64, i64), i64>,
    sums: &mut Rollups,
) -> Result<(), ProjectError> {
    let event_id = env.id.to_string();
    let till_id = till.id.0;
    let branch_id = till.branch_id.0;
    match &env.event {
        Event::SaleCompleted(s) => insert_sale(c, &event_id, s, received, costs, sums),
        Event::SaleRefunded(r) | Event::SaleVoided(r) => insert_refund(c, &event_id, r, received, costs, sums),
        Event::ShiftOpened(o) => {
            c.execute_later(
                "INSERT INTO shifts (id, event_id, till_id, branch_id, cashier_id, opened_at, business_day,
                 float_amount, float_count) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    o.shift.to_string(),
                    event_id,
                    till_id,
                    branch_id,
                    o.cashier.0,
                    micros(o.opened_at),
                    o.business_day.to_string(),
                    o.float.0,
                    serde_json::to_string(&o.float_count)?
                ],
                Some(&|| format!("shift {} was already opened", o.shift)),
            )?;
            Ok(())
        }
        Event::CashMovement(m) => {
            c.execute_later(
                "INSERT INTO cash_movements (id, event_id, till_id, branch_id, shift_id, kind, amount, reason,
                 cashier_id, approved_by, at, member_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                params![
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
                ],
                Some(&|| format!("cash movement {} is already recorded", m.id)),
            )?;
            Ok(())
        }
        Event::ShiftClosed(z) => {
            c.execute_later(
                "INSERT INTO z_reports (till_id, z_number, event_id, shift_id, branch_id, cashier_id, closed_at,
                 business_day, cash_count, expected, counted, over_short, report)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
                params![
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
                ],
                Some(&|| format!("Z number {} or shift {} is already closed", z.z_number, z.shift)),
            )?;
            Ok(())
        }
        Event::DayClosed(d) => {
            c.execute_later(
                "INSERT INTO day_closes (till_id, business_day, event_id, branch_id, closed_by, closed_at, z_numbers,
                 summary) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    till_id,
                    d.business_day.to_string(),
                    event_id,
                    branch_id,
                    d.closed_by.0,
                    micros(d.closed_at),
                    serde_json::to_string(&d.z_numbers)?,
                    serde_json::to_string(&d.summary)?
                ],
                Some(&|| format!("business day {} is already closed at this till", d.business_day)),
            )?;
            Ok(())
        }
        Event::MemberEnrolled(m) => {
            c.execute_later(
                "INSERT INTO member_enrolments (event_id, till_id, branch_id, member_id, phone, payload)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    event_id,
                    till_id,
                    branch_id,
                    m.member.to_string(),
                    m.phone.as_str(),
                    serde_json::to_string(m)?
                ],
                None,
            )?;
            Ok(())
        }
        Event::Audit(a) => {
            c.execute_later(
                "INSERT INTO till_audit (event_id, till_id, branch_id, at, action, actor_id, approver_id, detail,
                 sale_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    event_id,
                    till_id,
                    branch_id,
                    micros(env.at),
                    serde_json::to_value(a.action)?.as_str().unwrap_or("unknown"),
                    a.actor.0,
                    a.approver.map(|s| s.0),
                    a.detail,
                    a.sale.map(|s| s.to_string())
                ],
                None,
            )?;
            Ok(())
        }
    }
}

fn insert_sale(
    c: &Conn<'_>,
    event_id: &str,
    s: &CompletedSale,
    received: i64,
    costs: &HashMap<(i64, i64), i64>,
    sums: &mut Rollups,
) -> Result<(), ProjectError> {
    let t = &s.totals;
    let m = s.member.as_ref();
    c.execute_later(
        "INSERT INTO sales (id, event_id, receipt_no, branch_id, till_id, shift_id, cashier_id, completed_at,
         business_day, gross, member_savings, manual_discounts, order_discount, total, rounding, due, change_given,
         change_to_stored_value, points_eligible_net, member_id, member_identifier, member_tier, points_earned,
         policy_version, received_at, promotion_discounts, coupon_discounts)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21,
         ?22, ?23, ?24, ?25, ?26, ?27)",
        params![
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
            received,
            t.promotion_discounts.0,
            t.coupon_discounts.0
        ],
        Some(&|| format!("sale {} or receipt {} is already recorded", s.id, s.receipt_no)),
    )?;
    let member_due = if m.and_then(|m| m.member_id).is_some() { t.due.0 } else { 0 };
    sums.day(s.branch.0, s.business_day.to_string(), DayDelta { sales: 1, due: t.due.0, member_due, refunded: 0 });
    let sale_id = s.id.to_string();
    let mut lines = Vec::with_capacity(s.lines.len());
    let mut allocations = Vec::new();
    for (i, l) in s.lines.iter().enumerate() {
        let p = &l.priced;
        let no = i as i64 + 1;
        lines.push(vec![
            Value::Text(sale_id.clone()),
            Value::Int(no),
            Value::Int(l.item.product_id.0),
            Value::Text(l.item.product_code.clone()),
            l.item.barcode.clone().map_or(Value::Null, Value::Text),
            Value::Text(l.item.name.clone()),
            Value::Int(l.item.category.0),
            Value::Text(l.item.unit.clone()),
            Value::Int(l.item.vat.0),
            Value::Int(p.qty.0),
            Value::Int(p.base_unit.0),
            Value::Int(p.unit.0),
            Value::Int(p.gross.0),
            Value::Int(p.member_saving.0),
            Value::Int(p.manual_discount.0),
            Value::Int(l.order_discount.0),
            Value::Int(l.net.0),
            Value::Int(l.item.points_eligible.into()),
            Value::Int(p.promotion_discount.0),
            Value::Int(p.coupon_discount.0),
        ]);
        for (k, (id, amount)) in l.promotions.iter().enumerate() {
            let id = i64::try_from(id.0)
                .map_err(|_| ProjectError::Reject(format!("promotion id {} is out of range", id.0)))?;
            allocations.push(vec![
                Value::Text(sale_id.clone()),
                Value::Int(no),
                Value::Int(k as i64),
                Value::Int(id),
                Value::Int(amount.0),
            ]);
        }
    }
    insert_rows(
        c,
        "INSERT INTO sale_lines (sale_id, line_no, product_id, product_code, barcode, name, category_id, unit, vat,
         qty, base_unit, unit_price, gross, member_saving, manual_discount, order_discount, net, points_eligible,
         promotion_discount, coupon_discount)",
        lines,
    )?;
    insert_rows(c, "INSERT INTO sale_line_promotions (sale_id, line_no, position, promotion_id, amount)", allocations)?;
    let source = format!("sale:{sale_id}");
    let actor = format!("till:{}", s.till.0);
    let moves = s.lines.iter().enumerate().filter_map(|(i, l)| {
        stock::sale_line(l.priced.qty).map(|(kind, qty)| stock::LineMove {
            line: i as i64 + 1,
            product: l.item.product_id.0,
            kind,
            qty,
        })
    });
    let at = (s.completed_at, s.business_day, received);
    move_stock(c, s.branch.0, moves.collect(), (&source, &actor), at, costs, sums)?;
    insert_tenders(c, "sale_tenders", "sale_id", &sale_id, &s.tenders, true)
}

/// Moves a branch's stock for the lines of a sale or refund that move any (dated when the till
/// made it), at the batch's average costs; the levels they move go into the event's sums.
fn move_stock(
    c: &Conn<'_>,
    branch: i64,
    lines: Vec<stock::LineMove>,
    (source, actor): (&str, &str),
    (at, business_day, received): (Timestamp, jiff::civil::Date, i64),
    costs: &HashMap<(i64, i64), i64>,
    sums: &mut Rollups,
) -> Result<(), ProjectError> {
    if !stock::ingest_moves_stock() || lines.is_empty() {
        return Ok(());
    }
    match stock::record_lines(c, branch, at, business_day, source, actor, &lines, from_micros(received), costs) {
        Ok(()) => {}
        Err(StoreError::Invalid(why)) => return Err(ProjectError::Reject(why)),
        Err(e) => return Err(ProjectError::Store(e)),
    }
    for l in &lines {
        sums.level(branch, l.product, l.qty.0, micros(at), l.kind == shared::stock::MovementKind::Sale);
    }
    Ok(())
}

fn insert_tenders(
    c: &Conn<'_>,
    table: &str,
    key: &str,
    id: &str,
    tenders: &[Tender],
    with_hold: bool,
) -> Result<(), ProjectError> {
    let rows = tenders
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let mut row = vec![
                Value::Text(id.to_owned()),
                Value::Int(i as i64),
                Value::Text(t.kind.code().to_owned()),
                Value::Int(t.amount.0),
                Value::Int(t.tendered.0),
                t.reference.clone().map_or(Value::Null, Value::Text),
                Value::Int(t.points),
                t.stored_value.map_or(Value::Null, |s| Value::Int(s.principal.0)),
                t.stored_value.map_or(Value::Null, |s| Value::Int(s.bonus.0)),
            ];
            if with_hold {
                row.push(t.hold.map_or(Value::Null, |h| Value::Text(h.to_string())));
            }
            row
        })
        .collect();
    let hold = if with_hold { ", hold_id" } else { "" };
    insert_rows(
        c,
        &format!(
            "INSERT INTO {table} ({key}, idx, kind, amount, tendered, reference, points, sv_principal, sv_bonus{hold})"
        ),
        rows,
    )
}

/// The rows (each as wide as `head`'s columns) inserted with [`Conn::execute_later`], many to a
/// statement ([`write_rows`]): a sale's lines or tenders cost one statement, not one each.
fn insert_rows(c: &Conn<'_>, head: &str, rows: Vec<Vec<Value>>) -> Result<(), ProjectError> {
    write_rows(c, head, "", rows, "").map_err(ProjectError::Store)
}

/// Puts a stored sale under a member (found at ingest by its card or phone, or later when the
/// member appears), with the refunds already made of it. A sale that had no member adds its due
/// to its branch-day's members' figure.
pub(crate) fn set_sale_member(c: &Conn<'_>, sale: &str, member: &str) -> StoreResult<()> {
    let before: Option<(Option<String>, i64, String, i64)> = c
        .prepare_cached("SELECT member_id, branch_id, business_day, due FROM sales WHERE id = ?1")?
        .query_row(params![sale], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .optional()?;
    // Sent with the caller's next statement (their counts are not needed).
    c.execute_later("UPDATE sales SET member_id = ?2 WHERE id = ?1", params![sale, member], None)?;
    c.execute_later("UPDATE refunds SET sale_member_id = ?2 WHERE sale_id = ?1", params![sale, member], None)?;
    if let Some((None, branch, day, due)) = before {
        // An upsert: in an ingest batch the day's row may not be written yet (`ingest_rollups`).
        c.execute_later(
            "INSERT INTO branch_days (branch_id, business_day, member_due) VALUES (?1, ?2, ?3)
             ON CONFLICT (branch_id, business_day) DO UPDATE SET member_due = branch_days.member_due + excluded.member_due",
            params![branch, day, due],
            None,
        )?;
    }
    Ok(())
}

fn insert_refund(
    c: &Conn<'_>,
    event_id: &str,
    r: &Refund,
    received: i64,
    costs: &HashMap<(i64, i64), i64>,
    sums: &mut Rollups,
) -> Result<(), ProjectError> {
    let kind = match r.kind {
        RefundKind::Return => "return",
        RefundKind::Void => "void",
        RefundKind::NoReceipt => "no_receipt",
    };
    c.execute_later(
        "INSERT INTO refunds (id, event_id, kind, sale_id, original_receipt, receipt_no, branch_id, till_id, shift_id,
         cashier_id, approved_by, refunded_at, business_day, reason, total, rounding, points_taken_back,
         points_restored, member_id, received_at, sale_member_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20,
                 (SELECT s.member_id FROM sales s WHERE s.id = ?4))",
        params![
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
        ],
        Some(&|| format!("refund {} or receipt {} is already recorded", r.id, r.receipt_no)),
    )?;
    let refunded = r.total.0 + r.rounding.0;
    sums.day(r.branch.0, r.business_day.to_string(), DayDelta { refunded, ..DayDelta::default() });
    let refund_id = r.id.to_string();
    let lines = r
        .lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            vec![
                Value::Text(refund_id.clone()),
                Value::Int(i as i64),
                l.sale_line.map_or(Value::Null, |x| Value::Int(x as i64)),
                Value::Int(l.product_id.0),
                Value::Text(l.name.clone()),
                Value::Int(l.vat.0),
                Value::Int(l.qty.0),
                Value::Int(l.amount.0),
                Value::Int(l.points_eligible.into()),
            ]
        })
        .collect();
    insert_rows(
        c,
        "INSERT INTO refund_lines (refund_id, idx, sale_line, product_id, name, vat, qty, amount, points_eligible)",
        lines,
    )?;
    let source = format!("refund:{refund_id}");
    let actor = format!("till:{}", r.till.0);
    let moves = r.lines.iter().enumerate().filter_map(|(i, l)| {
        stock::refund_line(l.qty).map(|(kind, qty)| stock::LineMove {
            line: i as i64,
            product: l.product_id.0,
            kind,
            qty,
        })
    });
    let at = (r.refunded_at, r.business_day, received);
    move_stock(c, r.branch.0, moves.collect(), (&source, &actor), at, costs, sums)?;
    insert_tenders(c, "refund_tenders", "refund_id", &refund_id, &r.tenders, false)
}
