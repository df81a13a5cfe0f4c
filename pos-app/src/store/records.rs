//! What the till did: sales, refunds, shifts, cash movements, day closes, audit entries, and the
//! outbox of events for HQ. Writes take the caller's transaction so a change and its event commit
//! together; completed sales and refunds are only ever inserted.

use jiff::Timestamp;
use jiff::civil::Date;
use rusqlite::{OptionalExtension, Transaction, params};
use shared::ids::{EventId, MemberId, SaleId, ShiftId, StaffId, TillId};
use shared::money::Money;
use shared::receipt::ReceiptNo;
use shared::sale::{CompletedSale, Refund, RefundKind};
use shared::shift::{MovementKind, ShiftReport};
use shared::sync::{AuditEntry, CashMovement, DayClosed, Event, EventEnvelope, ShiftClosed, ShiftOpened};

use super::{Store, StoreError, StoreResult, from_json, to_json};

/// Where an outbox event stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OutboxStatus {
    Pending,
    Accepted,
    /// HQ refused it; kept with the reason for the manager.
    Rejected(String),
}

/// An event in the outbox.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboxEntry {
    pub envelope: EventEnvelope,
    pub status: OutboxStatus,
    pub attempts: u32,
}

/// A line of a sales search.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SaleSummary {
    pub id: SaleId,
    pub receipt_no: ReceiptNo,
    pub completed_at: Timestamp,
    pub business_day: Date,
    pub due: Money,
    pub member: Option<String>,
    pub refunded: Money,
}

/// An audit entry as the till keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditRow {
    pub at: String,
    pub action: String,
    pub actor: StaffId,
    pub approver: Option<StaffId>,
    pub detail: String,
}

/// An open or closed shift as the till keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShiftRow {
    pub id: ShiftId,
    pub cashier: StaffId,
    pub opened_at: Timestamp,
    pub business_day: Date,
    pub float: Money,
    pub closed: Option<(u32, ShiftReport)>,
}

fn parse<T: std::str::FromStr>(s: &str, what: &str) -> StoreResult<T>
where
    T::Err: std::fmt::Display,
{
    s.parse().map_err(|e| StoreError::Corrupt(format!("{what} `{s}`: {e}")))
}

fn movement_code(k: MovementKind) -> &'static str {
    match k {
        MovementKind::PaidIn => "paid_in",
        MovementKind::PaidOut => "paid_out",
        MovementKind::CashTopUp => "cash_topup",
        MovementKind::CardTopUp => "card_topup",
        MovementKind::NoSale => "no_sale",
    }
}

fn refund_code(k: RefundKind) -> &'static str {
    match k {
        RefundKind::Return => "return",
        RefundKind::Void => "void",
        RefundKind::NoReceipt => "no_receipt",
    }
}

// --- writes (inside the caller's transaction) -----------------------------------------------------

/// Appends an event to the outbox; its sequence number is the outbox row's, never reused.
pub(crate) fn enqueue(tx: &Transaction<'_>, till: TillId, at: Timestamp, event: &Event) -> StoreResult<EventEnvelope> {
    let id = EventId::new();
    let seq: i64 = tx.query_row(
        "INSERT INTO outbox (event_id, kind, payload, created_at) VALUES (?1, ?2, ?3, ?4) RETURNING seq",
        params![id.to_string(), event.kind(), to_json(event)?, at.to_string()],
        |r| r.get(0),
    )?;
    Ok(EventEnvelope { id, till, seq: seq as u64, at, event: event.clone() })
}

pub(crate) fn insert_sale(tx: &Transaction<'_>, sale: &CompletedSale) -> StoreResult<()> {
    let member_id = sale.member.as_ref().and_then(|m| m.member_id).map(|m| m.to_string());
    let ident = sale.member.as_ref().map(|m| to_json(&m.identifier)).transpose()?;
    tx.prepare_cached(
        "INSERT INTO sales (id, receipt_no, shift_id, cashier, completed_at, business_day, total, due, member_id,
             member_identifier, points_earned, policy_version, json)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    )?
    .execute(params![
        sale.id.to_string(),
        sale.receipt_no.to_string(),
        sale.shift.to_string(),
        sale.cashier.0,
        sale.completed_at.to_string(),
        sale.business_day.to_string(),
        sale.totals.total.0,
        sale.totals.due.0,
        member_id,
        ident,
        sale.points_earned(),
        sale.member.as_ref().map_or(0, |m| m.policy_version),
        to_json(sale)?
    ])?;
    let mut line = tx.prepare_cached(
        "INSERT INTO sale_lines (sale_id, line_no, product_id, qty, gross, member_saving, manual_discount,
             order_discount, net, vat) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?;
    for (i, l) in sale.lines.iter().enumerate() {
        line.execute(params![
            sale.id.to_string(),
            i as i64,
            l.item.product_id.0,
            l.priced.qty.0,
            l.priced.gross.0,
            l.priced.member_saving.0,
            l.priced.manual_discount.0,
            l.order_discount.0,
            l.net.0,
            l.item.vat.0
        ])?;
    }
    for c in sale.coupons.iter().filter(|c| c.hold.is_none()) {
        let code = shared::promotions::coupons::CouponCode::parse(&c.code)
            .map_err(|e| StoreError::Corrupt(format!("coupon code {}: {e}", c.code)))?;
        tx.prepare_cached(
            "INSERT INTO offline_coupons (coupon_id, campaign_id, day, sale_id) VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![
            i64::try_from(c.coupon.id.0).map_err(|_| StoreError::Corrupt("coupon id".into()))?,
            i64::try_from(code.campaign.0).map_err(|_| StoreError::Corrupt("campaign id".into()))?,
            sale.business_day.to_string(),
            sale.id.to_string()
        ])?;
    }
    let mut tender = tx.prepare_cached(
        "INSERT INTO sale_tenders (sale_id, idx, kind, amount, tendered, reference, points, hold_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    for (i, t) in sale.tenders.iter().enumerate() {
        tender.execute(params![
            sale.id.to_string(),
            i as i64,
            t.kind.code(),
            t.amount.0,
            t.tendered.0,
            t.reference,
            t.points,
            t.hold.map(|h| h.to_string())
        ])?;
    }
    Ok(())
}

pub(crate) fn insert_refund(tx: &Transaction<'_>, r: &Refund) -> StoreResult<()> {
    tx.execute(
        "INSERT INTO refunds (id, kind, sale_id, receipt_no, original_receipt, shift_id, refunded_at, business_day,
             total, json) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            r.id.to_string(),
            refund_code(r.kind),
            r.sale.map(|s| s.to_string()),
            r.receipt_no.to_string(),
            r.original_receipt.as_ref().map(|o| o.to_string()),
            r.shift.to_string(),
            r.refunded_at.to_string(),
            r.business_day.to_string(),
            r.total.0,
            to_json(r)?
        ],
    )?;
    Ok(())
}

pub(crate) fn insert_shift(tx: &Transaction<'_>, s: &ShiftOpened) -> StoreResult<()> {
    tx.execute(
        "INSERT INTO shifts (id, cashier, opened_at, business_day, float, float_json) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            s.shift.to_string(),
            s.cashier.0,
            s.opened_at.to_string(),
            s.business_day.to_string(),
            s.float.0,
            to_json(&s.float_count)?
        ],
    )?;
    Ok(())
}

pub(crate) fn close_shift(tx: &Transaction<'_>, c: &ShiftClosed) -> StoreResult<()> {
    let n = tx.execute(
        "UPDATE shifts SET closed_at = ?2, z_number = ?3, count_json = ?4, report_json = ?5
         WHERE id = ?1 AND closed_at IS NULL",
        params![c.shift.to_string(), c.closed_at.to_string(), c.z_number, to_json(&c.count)?, to_json(&c.report)?],
    )?;
    if n != 1 {
        return Err(StoreError::Corrupt(format!("shift {} is not open", c.shift)));
    }
    Ok(())
}

pub(crate) fn insert_movement(tx: &Transaction<'_>, m: &CashMovement) -> StoreResult<()> {
    tx.execute(
        "INSERT INTO cash_movements (id, shift_id, kind, amount, reason, cashier, approved_by, at, json)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            m.id.to_string(),
            m.shift.to_string(),
            movement_code(m.kind),
            m.amount.0,
            m.reason,
            m.cashier.0,
            m.approved_by.map(|a| a.0),
            m.at.to_string(),
            to_json(m)?
        ],
    )?;
    Ok(())
}

pub(crate) fn insert_audit(tx: &Transaction<'_>, at: Timestamp, a: &AuditEntry) -> StoreResult<()> {
    tx.execute(
        "INSERT INTO audit (at, action, actor, approver, detail, sale_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            at.to_string(),
            serde_json::to_value(a.action)?.as_str().unwrap_or_default(),
            a.actor.0,
            a.approver.map(|x| x.0),
            a.detail,
            a.sale.map(|s| s.to_string())
        ],
    )?;
    Ok(())
}

pub(crate) fn insert_day_close(tx: &Transaction<'_>, d: &DayClosed) -> StoreResult<()> {
    tx.execute(
        "INSERT INTO day_closes (business_day, closed_at, json) VALUES (?1, ?2, ?3)",
        params![d.business_day.to_string(), d.closed_at.to_string(), to_json(d)?],
    )?;
    Ok(())
}

pub(crate) fn add_offline_redemption(
    tx: &Transaction<'_>,
    member: MemberId,
    day: Date,
    points: i64,
    stored_value: Money,
) -> StoreResult<()> {
    tx.execute(
        "INSERT INTO offline_redemptions (member_id, day, points, stored_value) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (member_id, day) DO UPDATE SET points = points + excluded.points,
             stored_value = stored_value + excluded.stored_value",
        params![member.to_string(), day.to_string(), points, stored_value.0],
    )?;
    Ok(())
}

// --- reads ------------------------------------------------------------------------------------------

impl Store {
    pub fn sale_by_receipt(&self, no: &ReceiptNo) -> StoreResult<Option<CompletedSale>> {
        let json: Option<String> = self
            .conn()
            .query_row("SELECT json FROM sales WHERE receipt_no = ?1", [no.to_string()], |r| r.get(0))
            .optional()?;
        json.map(|j| from_json(&j)).transpose()
    }

    pub fn refund_by_receipt(&self, no: &ReceiptNo) -> StoreResult<Option<Refund>> {
        let json: Option<String> = self
            .conn()
            .query_row("SELECT json FROM refunds WHERE receipt_no = ?1", [no.to_string()], |r| r.get(0))
            .optional()?;
        json.map(|j| from_json(&j)).transpose()
    }

    /// Every refund and void of a sale recorded at this till.
    pub fn refunds_of(&self, sale: SaleId) -> StoreResult<Vec<Refund>> {
        let mut stmt =
            self.conn().prepare_cached("SELECT json FROM refunds WHERE sale_id = ?1 ORDER BY refunded_at")?;
        let rows = stmt.query_map([sale.to_string()], |r| r.get::<_, String>(0))?;
        rows.map(|j| from_json(&j?)).collect()
    }

    pub fn sale_count(&self) -> StoreResult<u64> {
        Ok(self.conn().query_row("SELECT count(*) FROM sales", [], |r| r.get::<_, i64>(0))? as u64)
    }

    /// Past sales, newest first: by receipt number, business day and/or member (id or phone/code).
    pub fn search_sales(
        &self,
        receipt: Option<&ReceiptNo>,
        day: Option<Date>,
        member: Option<&str>,
        limit: usize,
    ) -> StoreResult<Vec<SaleSummary>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT s.id, s.receipt_no, s.completed_at, s.business_day, s.due, s.member_identifier,
                    coalesce((SELECT sum(total) FROM refunds r WHERE r.sale_id = s.id), 0)
             FROM sales s
             WHERE (?1 IS NULL OR s.receipt_no = ?1) AND (?2 IS NULL OR s.business_day = ?2)
               AND (?3 IS NULL OR s.member_id = ?3 OR s.member_identifier LIKE '%' || ?3 || '%')
             ORDER BY s.completed_at DESC, s.rowid DESC LIMIT ?4",
        )?;
        let rows = stmt.query_map(
            params![receipt.map(|r| r.to_string()), day.map(|d| d.to_string()), member, limit as i64],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, i64>(4)?,
                    r.get::<_, Option<String>>(5)?,
                    r.get::<_, i64>(6)?,
                ))
            },
        )?;
        let mut out = Vec::new();
        for row in rows {
            let (id, no, at, day, due, ident, refunded) = row?;
            let member =
                ident.map(|j| from_json::<shared::member::MemberIdentifier>(&j)).transpose()?.map(|m| m.masked());
            out.push(SaleSummary {
                id: SaleId::parse(&id).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                receipt_no: ReceiptNo::parse(&no).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                completed_at: parse(&at, "timestamp")?,
                business_day: parse(&day, "date")?,
                due: Money(due),
                member,
                refunded: Money(refunded),
            });
        }
        Ok(out)
    }

    /// The shift open at this till, if any.
    pub fn open_shift(&self) -> StoreResult<Option<ShiftRow>> {
        self.shift_where("closed_at IS NULL", rusqlite::params![])
    }

    pub fn shift(&self, id: ShiftId) -> StoreResult<Option<ShiftRow>> {
        self.shift_where("id = ?1", params![id.to_string()])
    }

    fn shift_where(&self, cond: &str, p: &[&dyn rusqlite::ToSql]) -> StoreResult<Option<ShiftRow>> {
        let row = self
            .conn()
            .query_row(
                &format!(
                    "SELECT id, cashier, opened_at, business_day, float, z_number, report_json FROM shifts
                     WHERE {cond} ORDER BY opened_at DESC LIMIT 1"
                ),
                p,
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, i64>(4)?,
                        r.get::<_, Option<u32>>(5)?,
                        r.get::<_, Option<String>>(6)?,
                    ))
                },
            )
            .optional()?;
        row.map(|(id, cashier, at, day, float, z, report)| {
            Ok(ShiftRow {
                id: ShiftId::parse(&id).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                cashier: StaffId(cashier),
                opened_at: parse(&at, "timestamp")?,
                business_day: parse(&day, "date")?,
                float: Money(float),
                closed: match (z, report) {
                    (Some(z), Some(r)) => Some((z, from_json(&r)?)),
                    _ => None,
                },
            })
        })
        .transpose()
    }

    /// Shifts of a business day at this till: (id, Z number and report when closed).
    pub fn shifts_of_day(&self, day: Date) -> StoreResult<Vec<ShiftRow>> {
        let ids: Vec<String> = {
            let mut stmt = self.conn().prepare("SELECT id FROM shifts WHERE business_day = ?1 ORDER BY opened_at")?;
            let rows = stmt.query_map([day.to_string()], |r| r.get(0))?;
            rows.collect::<Result<_, _>>()?
        };
        let mut out = Vec::new();
        for id in ids {
            if let Some(s) = self.shift(ShiftId::parse(&id).map_err(|e| StoreError::Corrupt(e.to_string()))?)? {
                out.push(s);
            }
        }
        Ok(out)
    }

    pub fn day_closed(&self, day: Date) -> StoreResult<bool> {
        Ok(self
            .conn()
            .query_row("SELECT 1 FROM day_closes WHERE business_day = ?1", [day.to_string()], |_| Ok(()))
            .optional()?
            .is_some())
    }

    /// Everything that happened in a shift, for its X or Z report.
    pub fn shift_activity(&self, shift: ShiftId) -> StoreResult<(Vec<CompletedSale>, Vec<Refund>, Vec<CashMovement>)> {
        let id = shift.to_string();
        let sales = {
            let mut stmt =
                self.conn().prepare_cached("SELECT json FROM sales WHERE shift_id = ?1 ORDER BY completed_at")?;
            let rows = stmt.query_map([&id], |r| r.get::<_, String>(0))?;
            rows.map(|j| from_json(&j?)).collect::<StoreResult<Vec<CompletedSale>>>()?
        };
        let refunds = {
            let mut stmt =
                self.conn().prepare_cached("SELECT json FROM refunds WHERE shift_id = ?1 ORDER BY refunded_at")?;
            let rows = stmt.query_map([&id], |r| r.get::<_, String>(0))?;
            rows.map(|j| from_json(&j?)).collect::<StoreResult<Vec<Refund>>>()?
        };
        let movements = {
            let mut stmt =
                self.conn().prepare_cached("SELECT json FROM cash_movements WHERE shift_id = ?1 ORDER BY at")?;
            let rows = stmt.query_map([&id], |r| r.get::<_, String>(0))?;
            rows.map(|j| from_json(&j?)).collect::<StoreResult<Vec<CashMovement>>>()?
        };
        Ok((sales, refunds, movements))
    }

    /// Audit entries, newest first.
    pub fn audit_entries(&self, limit: usize) -> StoreResult<Vec<AuditRow>> {
        let mut stmt =
            self.conn().prepare("SELECT at, action, actor, approver, detail FROM audit ORDER BY id DESC LIMIT ?1")?;
        let rows = stmt.query_map([limit as i64], |r| {
            Ok(AuditRow {
                at: r.get(0)?,
                action: r.get(1)?,
                actor: StaffId(r.get(2)?),
                approver: r.get::<_, Option<i64>>(3)?.map(StaffId),
                detail: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// How many of a campaign's coupons this till took offline on `day`, and whether it already
    /// took `coupon` offline (on any day).
    pub fn offline_coupons(
        &self,
        campaign: shared::promotions::coupons::CampaignId,
        coupon: shared::promotions::coupons::CouponId,
        day: Date,
    ) -> StoreResult<(u32, bool)> {
        let count: u32 = self.conn().query_row(
            "SELECT COUNT(*) FROM offline_coupons WHERE campaign_id = ?1 AND day = ?2",
            params![campaign.0 as i64, day.to_string()],
            |r| r.get(0),
        )?;
        let taken = self
            .conn()
            .query_row("SELECT 1 FROM offline_coupons WHERE coupon_id = ?1", [coupon.0 as i64], |_| Ok(()))
            .optional()?
            .is_some();
        Ok((count, taken))
    }

    /// What a member redeemed offline at this till on `day`: (points, stored value).
    pub fn offline_redeemed(&self, member: MemberId, day: Date) -> StoreResult<(i64, Money)> {
        Ok(self
            .conn()
            .query_row(
                "SELECT points, stored_value FROM offline_redemptions WHERE member_id = ?1 AND day = ?2",
                params![member.to_string(), day.to_string()],
                |r| Ok((r.get(0)?, Money(r.get(1)?))),
            )
            .optional()?
            .unwrap_or((0, Money::ZERO)))
    }

    // --- the outbox ---------------------------------------------------------------------------

    fn outbox_rows(&self, cond: &str, limit: usize) -> StoreResult<Vec<OutboxEntry>> {
        let till = self.meta("till_id")?.and_then(|t| t.parse().ok()).map(TillId).unwrap_or(TillId(0));
        let mut stmt = self.conn().prepare_cached(&format!(
            "SELECT seq, event_id, payload, created_at, status, reason, attempts FROM outbox WHERE {cond}
             ORDER BY seq LIMIT ?1"
        ))?;
        let rows = stmt.query_map([limit as i64], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, Option<String>>(5)?,
                r.get::<_, u32>(6)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (seq, id, payload, at, status, reason, attempts) = row?;
            out.push(OutboxEntry {
                envelope: EventEnvelope {
                    id: EventId::parse(&id).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                    till,
                    seq: seq as u64,
                    at: parse(&at, "timestamp")?,
                    event: from_json(&payload)?,
                },
                status: match status.as_str() {
                    "accepted" => OutboxStatus::Accepted,
                    "rejected" => OutboxStatus::Rejected(reason.unwrap_or_default()),
                    _ => OutboxStatus::Pending,
                },
                attempts,
            });
        }
        Ok(out)
    }

    /// The oldest events HQ has not accepted or rejected yet, in sequence order.
    pub fn pending_events(&self, limit: usize) -> StoreResult<Vec<OutboxEntry>> {
        self.outbox_rows("status = 'pending'", limit)
    }

    /// Events HQ rejected, with the reasons, for the manager.
    pub fn rejected_events(&self, limit: usize) -> StoreResult<Vec<OutboxEntry>> {
        self.outbox_rows("status = 'rejected'", limit)
    }

    /// Every event (tests and diagnostics).
    pub fn all_events(&self, limit: usize) -> StoreResult<Vec<OutboxEntry>> {
        self.outbox_rows("1", limit)
    }

    /// How many events wait for HQ.
    pub fn pending_count(&self) -> StoreResult<u64> {
        Ok(self.conn().query_row("SELECT count(*) FROM outbox WHERE status = 'pending'", [], |r| r.get::<_, i64>(0))?
            as u64)
    }

    /// How many events HQ rejected.
    pub fn rejected_count(&self) -> StoreResult<u64> {
        Ok(self.conn().query_row("SELECT count(*) FROM outbox WHERE status = 'rejected'", [], |r| r.get::<_, i64>(0))?
            as u64)
    }

    /// Records HQ's answer for sent events (accepted / duplicate → accepted; rejected with reason).
    pub fn mark_events(&mut self, outcomes: &[(EventId, Result<(), String>)]) -> StoreResult<()> {
        self.tx(|tx| {
            let mut stmt = tx.prepare_cached(
                "UPDATE outbox SET status = ?2, reason = ?3, attempts = attempts + 1 WHERE event_id = ?1",
            )?;
            for (id, outcome) in outcomes {
                match outcome {
                    Ok(()) => stmt.execute(params![id.to_string(), "accepted", Option::<String>::None])?,
                    Err(reason) => stmt.execute(params![id.to_string(), "rejected", reason])?,
                };
            }
            Ok(())
        })
    }

    /// Keeps HQ's audit chain head as a witness (once per id and hash).
    pub fn record_witness(&mut self, head: &shared::sync::AuditHead, at: jiff::Timestamp) -> StoreResult<()> {
        self.tx(|tx| {
            tx.prepare_cached(
                "INSERT OR IGNORE INTO audit_witnesses (head_id, head_hash, received_at) VALUES (?1, ?2, ?3)",
            )?
            .execute(params![head.id, head.hash, at.as_microsecond()])?;
            Ok(())
        })
    }

    /// The witnesses of HQ's audit chain this till holds, oldest first.
    pub fn witnesses(&self) -> StoreResult<Vec<shared::sync::AuditHead>> {
        let mut st = self.conn().prepare("SELECT head_id, head_hash FROM audit_witnesses ORDER BY received_at")?;
        let rows = st
            .query_map([], |r| Ok(shared::sync::AuditHead { id: r.get(0)?, hash: r.get(1)? }))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Counts a send attempt that got no answer.
    pub fn note_attempt(&mut self, ids: &[EventId]) -> StoreResult<()> {
        self.tx(|tx| {
            let mut stmt = tx.prepare_cached("UPDATE outbox SET attempts = attempts + 1 WHERE event_id = ?1")?;
            for id in ids {
                stmt.execute([id.to_string()])?;
            }
            Ok(())
        })
    }
}
