//! The providers' statements and HQ's side of a day's reconciliation (`store/statements.rs`).
#![allow(clippy::type_complexity)] // SQL rows read as tuples

use jiff::Timestamp;
use jiff::civil::Date;
use payments::reconcile::{LineKind, StatementLine};
use shared::ids::{BranchId, TillId};
use shared::payment_code::Provider;
use shared::sale::TenderKind;

use super::conn::{Conn, OptionalExtension, Row, params};
use super::{SqlStore, append_audit, from_micros, micros};
use crate::model::Actor;
use crate::store::statements::{GatewayRefund, NewStatement, PaidAttempt, RejectedStatement, StatementInfo};
use crate::store::{StatementStore, StoreError, StoreResult};

fn provider_code(p: Provider) -> &'static str {
    match p {
        Provider::Wechat => "wechat",
        Provider::Alipay => "alipay",
    }
}

fn kind_code(k: LineKind) -> &'static str {
    match k {
        LineKind::Payment => "payment",
        LineKind::Reversal => "reversal",
        LineKind::Refund => "refund",
    }
}

fn kind_of(code: &str) -> super::conn::Result<LineKind> {
    match code {
        "payment" => Ok(LineKind::Payment),
        "reversal" => Ok(LineKind::Reversal),
        "refund" => Ok(LineKind::Refund),
        other => Err(super::conn::Error::Database(format!("statement line kind `{other}`"))),
    }
}

fn day_of(i: usize, text: &str) -> super::conn::Result<Date> {
    text.parse().map_err(|e: jiff::Error| super::conn::Error::Conversion(i, e.to_string()))
}

const INFO: &str = "SELECT id, provider, day, file_name, sha256, lines, paid, refunded, imported_at, imported_by
     FROM payment_statements";

fn info_row(r: &Row<'_>) -> super::conn::Result<StatementInfo> {
    Ok(StatementInfo {
        id: r.get(0)?,
        provider: r.get(1)?,
        day: day_of(2, &r.get::<_, String>(2)?)?,
        file_name: r.get(3)?,
        sha256: r.get(4)?,
        lines: r.get::<_, i64>(5)? as u32,
        paid: r.get(6)?,
        refunded: r.get(7)?,
        imported_at: from_micros(r.get(8)?),
        imported_by: r.get(9)?,
        replaced: false,
    })
}

fn info_tx(c: &Conn<'_>, provider: Provider, day: Date) -> StoreResult<Option<StatementInfo>> {
    Ok(c.prepare_cached(&format!("{INFO} WHERE provider = ?1 AND day = ?2"))?
        .query_row(params![provider_code(provider), day.to_string()], info_row)
        .optional()?)
}

/// Fen kept (payments less reversals) and refunded by a statement's lines.
fn totals(lines: &[StatementLine]) -> (i64, i64) {
    lines.iter().fold((0, 0), |(paid, refunded), l| match l.kind {
        LineKind::Payment => (paid + l.amount, refunded),
        LineKind::Reversal => (paid - l.amount, refunded),
        LineKind::Refund => (paid, refunded + l.amount),
    })
}

impl StatementStore for SqlStore {
    fn import_statement(&self, actor: &Actor, s: &NewStatement) -> StoreResult<StatementInfo> {
        if s.lines.iter().any(|l| l.amount < 0) {
            return Err(StoreError::Invalid("a statement line's amount is below zero".into()));
        }
        let now = self.now();
        let (paid, refunded) = totals(&s.lines);
        self.write(|tx| {
            let before = info_tx(tx, s.provider, s.day)?;
            if let Some(old) = &before {
                tx.execute("DELETE FROM payment_statement_lines WHERE statement_id = ?1", params![old.id])?;
                tx.execute("DELETE FROM payment_statements WHERE id = ?1", params![old.id])?;
            }
            let id: i64 = tx.query_row(
                "INSERT INTO payment_statements (provider, day, file_name, sha256, lines, paid, refunded, imported_at,
                     imported_by)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) RETURNING id",
                params![
                    provider_code(s.provider),
                    s.day.to_string(),
                    s.file_name,
                    s.sha256,
                    s.lines.len() as i64,
                    paid,
                    refunded,
                    micros(now),
                    actor.who
                ],
                |r| r.get(0),
            )?;
            {
                let mut st = tx.prepare_cached(
                    "INSERT INTO payment_statement_lines (statement_id, row_no, kind, out_trade_no, transaction_id,
                         out_refund_no, amount)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )?;
                for l in &s.lines {
                    st.execute(params![
                        id,
                        l.row as i64,
                        kind_code(l.kind),
                        l.out_trade_no,
                        l.transaction_id,
                        l.out_refund_no,
                        l.amount
                    ])?;
                }
            }
            let mut after = found_info(info_tx(tx, s.provider, s.day)?)?;
            after.replaced = before.is_some();
            let entity = format!("payment_statement:{}:{}", provider_code(s.provider), s.day);
            let action = if before.is_some() { "replace" } else { "import" };
            append_audit(tx, &self.audit_key, actor, now, action, &entity, before.as_ref(), Some(&after))?;
            Ok(after)
        })
    }

    fn reject_statement(&self, actor: &Actor, r: &RejectedStatement) -> StoreResult<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO payment_statement_rejections (provider, day, file_name, sha256, reason, at, by_whom)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![r.provider, r.day.to_string(), r.file_name, r.sha256, r.reason, micros(r.at), actor.who],
            )?;
            Ok(())
        })
    }

    fn statement(&self, provider: Provider, day: Date) -> StoreResult<Option<(StatementInfo, Vec<StatementLine>)>> {
        self.read(|c| {
            let Some(info) = info_tx(c, provider, day)? else { return Ok(None) };
            let lines = c
                .prepare_cached(
                    "SELECT row_no, kind, out_trade_no, transaction_id, out_refund_no, amount
                     FROM payment_statement_lines WHERE statement_id = ?1 ORDER BY row_no",
                )?
                .query_map(params![info.id], |r| {
                    Ok(StatementLine {
                        row: r.get::<_, i64>(0)? as usize,
                        kind: kind_of(&r.get::<_, String>(1)?)?,
                        out_trade_no: r.get(2)?,
                        transaction_id: r.get(3)?,
                        out_refund_no: r.get(4)?,
                        amount: r.get(5)?,
                    })
                })?
                .collect::<Result<_, _>>()?;
            Ok(Some((info, lines)))
        })
    }

    fn statements(&self, from: Date, to: Date) -> StoreResult<Vec<StatementInfo>> {
        self.read(|c| {
            Ok(c.prepare_cached(&format!("{INFO} WHERE day >= ?1 AND day <= ?2 ORDER BY day, provider"))?
                .query_map(params![from.to_string(), to.to_string()], info_row)?
                .collect::<Result<_, _>>()?)
        })
    }

    fn statement_rejections(&self, limit: u32) -> StoreResult<Vec<RejectedStatement>> {
        self.read(|c| {
            Ok(c.prepare_cached(
                "SELECT provider, day, file_name, sha256, reason, at, by_whom FROM payment_statement_rejections
                 ORDER BY id DESC LIMIT ?1",
            )?
            .query_map(params![i64::from(limit.min(1_000))], |r| {
                Ok(RejectedStatement {
                    provider: r.get(0)?,
                    day: day_of(1, &r.get::<_, String>(1)?)?,
                    file_name: r.get(2)?,
                    sha256: r.get(3)?,
                    reason: r.get(4)?,
                    at: from_micros(r.get(5)?),
                    by: r.get(6)?,
                })
            })?
            .collect::<Result<_, _>>()?)
        })
    }

    fn paid_attempts(&self, provider: Provider, from: Timestamp, to: Timestamp) -> StoreResult<Vec<PaidAttempt>> {
        // A sale tender backs the payment whose receipt and transaction id it names (the
        // gateway's check made sure of it when the sale came in).
        self.read(|c| {
            Ok(c.prepare_cached(
                "SELECT a.order_no, a.branch_id, a.till_id, a.receipt_no, a.transaction_id, a.amount, a.paid_at,
                     (SELECT SUM(t.amount) FROM sales s JOIN sale_tenders t ON t.sale_id = s.id
                      WHERE s.receipt_no = a.receipt_no AND t.kind = ?4 AND t.reference = a.transaction_id)
                 FROM payment_attempts a
                 WHERE a.provider = ?1 AND a.state = 'paid' AND a.paid_at >= ?2 AND a.paid_at < ?3
                 ORDER BY a.paid_at, a.order_no",
            )?
            .query_map(
                params![provider_code(provider), micros(from), micros(to), TenderKind::of_provider(provider).code()],
                |r| {
                    Ok(PaidAttempt {
                        order_no: r.get(0)?,
                        branch: BranchId(r.get(1)?),
                        till: TillId(r.get(2)?),
                        receipt_no: r.get(3)?,
                        transaction_id: r.get(4)?,
                        amount: r.get(5)?,
                        paid_at: from_micros(r.get(6)?),
                        claimed: r.get(7)?,
                    })
                },
            )?
            .collect::<Result<_, _>>()?)
        })
    }

    fn gateway_refunds(&self, provider: Provider, from: Timestamp, to: Timestamp) -> StoreResult<Vec<GatewayRefund>> {
        self.read(|c| {
            Ok(c.prepare_cached(
                "SELECT r.order_no, r.out_refund_no, a.branch_id, r.amount, r.state, r.created_at
                 FROM payment_refunds r JOIN payment_attempts a ON a.order_no = r.order_no
                 WHERE a.provider = ?1 AND r.created_at >= ?2 AND r.created_at < ?3
                 ORDER BY r.created_at, r.out_refund_no",
            )?
            .query_map(params![provider_code(provider), micros(from), micros(to)], |r| {
                Ok(GatewayRefund {
                    order_no: r.get(0)?,
                    out_refund_no: r.get(1)?,
                    branch: BranchId(r.get(2)?),
                    amount: r.get(3)?,
                    state: r.get(4)?,
                    made_at: from_micros(r.get(5)?),
                })
            })?
            .collect::<Result<_, _>>()?)
        })
    }
}

fn found_info(info: Option<StatementInfo>) -> StoreResult<StatementInfo> {
    info.ok_or_else(|| StoreError::Internal("the statement just written is missing".into()))
}
