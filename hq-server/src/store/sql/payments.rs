//! The payment gateway's records in the database (`schema_payments.rs`).

use jiff::Timestamp;
use shared::ids::{BranchId, TillId};
use shared::money::Money;
use shared::payment::{AttemptState, PaymentAttempt, PaymentRefund, RefundState};
use shared::payment_code::Provider;

use super::conn::{Conn, OptionalExtension, Row, Value, params};
use super::{SqlStore, from_micros, micros};
use crate::store::payments::{
    Begun, CallRecord, NewAttempt, NewRefund, PaymentCall, PaymentFilter, PaymentStore, RefundRecord, StoredAttempt,
};
use crate::store::{StoreError, StoreResult};

const ATTEMPT: &str = "SELECT a.order_no, a.provider, a.receipt_no, a.attempt, a.amount, a.code_masked, a.state,
        a.transaction_id, a.paid_at, a.failure_code, a.message, a.retryable,
        (SELECT COALESCE(SUM(r.amount), 0) FROM payment_refunds r WHERE r.order_no = a.order_no AND r.state = 'refunded'),
        a.branch_id, a.till_id, a.created_at, a.next_at, a.calls
    FROM payment_attempts a";

const REFUND: &str = "SELECT order_no, out_refund_no, seq, amount, refund_receipt_no, state, refund_id, failure_code,
        message FROM payment_refunds";

fn provider_code(p: Provider) -> &'static str {
    match p {
        Provider::Wechat => "wechat",
        Provider::Alipay => "alipay",
    }
}

fn provider_of(code: &str) -> super::conn::Result<Provider> {
    match code {
        "wechat" => Ok(Provider::Wechat),
        "alipay" => Ok(Provider::Alipay),
        other => Err(super::conn::Error::Database(format!("payment provider `{other}`"))),
    }
}

fn state_of(code: &str) -> super::conn::Result<AttemptState> {
    AttemptState::from_code(code).ok_or_else(|| super::conn::Error::Database(format!("payment state `{code}`")))
}

fn attempt_row(r: &Row<'_>) -> super::conn::Result<StoredAttempt> {
    let provider: String = r.get(1)?;
    let state: String = r.get(6)?;
    Ok(StoredAttempt {
        attempt: PaymentAttempt {
            order_no: r.get(0)?,
            provider: provider_of(&provider)?,
            receipt_no: r.get(2)?,
            attempt: r.get(3)?,
            amount: Money(r.get(4)?),
            code_masked: r.get(5)?,
            state: state_of(&state)?,
            transaction_id: r.get(7)?,
            paid_at: r.get::<_, Option<i64>>(8)?.map(from_micros),
            failure_code: r.get(9)?,
            message: r.get(10)?,
            retryable: r.get::<_, i64>(11)? != 0,
            refunded: Money(r.get(12)?),
        },
        branch: BranchId(r.get(13)?),
        till: TillId(r.get(14)?),
        created_at: from_micros(r.get(15)?),
        next_at: r.get::<_, Option<i64>>(16)?.map(from_micros),
        calls: r.get(17)?,
    })
}

fn refund_row(r: &Row<'_>) -> super::conn::Result<PaymentRefund> {
    let state: String = r.get(5)?;
    Ok(PaymentRefund {
        order_no: r.get(0)?,
        out_refund_no: r.get(1)?,
        seq: r.get(2)?,
        amount: Money(r.get(3)?),
        refund_receipt_no: r.get(4)?,
        state: RefundState::from_code(&state)
            .ok_or_else(|| super::conn::Error::Database(format!("refund state `{state}`")))?,
        refund_id: r.get(6)?,
        failure_code: r.get(7)?,
        message: r.get(8)?,
    })
}

pub(super) fn attempt_tx(c: &Conn<'_>, order_no: &str) -> StoreResult<Option<StoredAttempt>> {
    Ok(c.prepare_cached(&format!("{ATTEMPT} WHERE a.order_no = ?1"))?.query_row([order_no], attempt_row).optional()?)
}

pub(super) fn refund_tx(c: &Conn<'_>, out_refund_no: &str) -> StoreResult<Option<PaymentRefund>> {
    Ok(c.prepare_cached(&format!("{REFUND} WHERE out_refund_no = ?1"))?
        .query_row([out_refund_no], refund_row)
        .optional()?)
}

fn found<T>(what: &str, row: Option<T>) -> StoreResult<T> {
    row.ok_or_else(|| StoreError::NotFound(what.to_owned()))
}

impl PaymentStore for SqlStore {
    fn begin_payment(&self, new: &NewAttempt, lease_until: Timestamp) -> StoreResult<Begun<StoredAttempt>> {
        if new.amount.0 <= 0 {
            return Err(StoreError::Invalid("a payment must be above zero".into()));
        }
        let now = self.now();
        self.write(|tx| {
            if let Some(was) = attempt_tx(tx, &new.order_no)? {
                let same = was.attempt.amount == new.amount
                    && was.attempt.code_masked == new.code_masked
                    && was.till == new.till
                    && was.attempt.receipt_no == new.receipt_no;
                if !same {
                    return Err(StoreError::Conflict(format!(
                        "payment {} was asked for {} with code {}: a new code or amount is a new attempt",
                        new.order_no, was.attempt.amount, was.attempt.code_masked
                    )));
                }
                return Ok(Begun::Existing(was));
            }
            let at_branch: Option<i64> =
                tx.query_row("SELECT branch_id FROM tills WHERE id = ?1", [new.till.0], |r| r.get(0)).optional()?;
            if at_branch != Some(new.branch.0) {
                return Err(StoreError::NotFound(format!("till {} at branch {}", new.till.0, new.branch.0)));
            }
            tx.execute(
                "INSERT INTO payment_attempts (order_no, provider, branch_id, till_id, receipt_no, attempt, amount,
                     code_masked, state, next_at, lease_until, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'sending', ?9, ?10, ?9, ?9)",
                params![
                    new.order_no,
                    provider_code(new.provider),
                    new.branch.0,
                    new.till.0,
                    new.receipt_no,
                    i64::from(new.attempt),
                    new.amount.0,
                    new.code_masked,
                    micros(now),
                    micros(lease_until)
                ],
            )?;
            Ok(Begun::New(found("payment", attempt_tx(tx, &new.order_no)?)?))
        })
    }

    fn payment(&self, order_no: &str) -> StoreResult<StoredAttempt> {
        self.read_one(|c| found(&format!("payment {order_no}"), attempt_tx(c, order_no)?))
    }

    fn record_payment_call(&self, order_no: &str, record: &CallRecord) -> StoreResult<StoredAttempt> {
        let now = self.now();
        self.write(|tx| {
            let was = found(&format!("payment {order_no}"), attempt_tx(tx, order_no)?)?;
            if was.attempt.state.is_final() {
                return Ok(was);
            }
            // Once it is being cancelled (the cashier gave up, a deadline passed), only a cancel's
            // answer moves it on: a query answered meanwhile (a round already asking) is logged,
            // and the cancel goes on at once.
            let held = was.attempt.state == AttemptState::Cancelling && record.call != "cancel";
            let state = if held { AttemptState::Cancelling } else { record.state };
            let fin = state.is_final();
            let (transaction_id, paid_at) = match &record.paid {
                Some((id, at)) if state == AttemptState::Paid => (Some(id.clone()), Some(micros(at.unwrap_or(now)))),
                _ => (None, None),
            };
            let next_at = if held { Some(now) } else { record.next_at };
            let (code, message, retryable) = match &record.failure {
                Some((c, m, r)) => (Some(c.clone()), Some(m.clone()), *r),
                None => (was.attempt.failure_code.clone(), was.attempt.message.clone(), was.attempt.retryable),
            };
            tx.execute(
                "UPDATE payment_attempts SET state = ?2, transaction_id = COALESCE(?3, transaction_id),
                     paid_at = COALESCE(?4, paid_at), failure_code = ?5, message = ?6, retryable = ?7,
                     calls = calls + 1, next_at = ?8, lease_until = NULL, updated_at = ?9, resolved_at = ?10
                 WHERE order_no = ?1 AND resolved_at IS NULL",
                params![
                    order_no,
                    state.code(),
                    transaction_id,
                    paid_at,
                    code,
                    message,
                    i64::from(retryable),
                    if fin { None } else { Some(micros(next_at.unwrap_or(now))) },
                    micros(now),
                    fin.then_some(micros(now))
                ],
            )?;
            let note = if held { format!("{} (ignored: being cancelled)", record.note) } else { record.note.clone() };
            tx.execute(
                "INSERT INTO payment_calls (order_no, call, at, state, note) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![order_no, record.call, micros(now), state.code(), note],
            )?;
            found("payment", attempt_tx(tx, order_no)?)
        })
    }

    fn lease_payment(&self, order_no: &str, now: Timestamp, lease_until: Timestamp) -> StoreResult<bool> {
        self.write(|tx| {
            let n = tx.execute(
                "UPDATE payment_attempts SET lease_until = ?3
                 WHERE order_no = ?1 AND resolved_at IS NULL AND (lease_until IS NULL OR lease_until <= ?2)",
                params![order_no, micros(now), micros(lease_until)],
            )?;
            Ok(n == 1)
        })
    }

    fn claim_due_payments(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<StoredAttempt>> {
        // Every HQ process asks each second: a read first, so a round with nothing due takes no
        // write lock (PostgreSQL's writes share one advisory lock with ingest).
        let due: Vec<String> = self.read(|c| {
            Ok(c.prepare_cached(
                "SELECT order_no FROM payment_attempts
                 WHERE resolved_at IS NULL AND next_at <= ?1 AND (lease_until IS NULL OR lease_until <= ?1)
                 ORDER BY next_at LIMIT ?2",
            )?
            .query_map(params![micros(now), i64::from(limit.clamp(1, 1000))], |r| r.get(0))?
            .collect::<Result<_, _>>()?)
        })?;
        if due.is_empty() {
            return Ok(Vec::new());
        }
        self.write(|tx| {
            let mut out = Vec::with_capacity(due.len());
            for order_no in &due {
                // Taken only if still free: another process may have claimed it since the read.
                let n = tx.execute(
                    "UPDATE payment_attempts SET lease_until = ?3
                     WHERE order_no = ?1 AND resolved_at IS NULL AND (lease_until IS NULL OR lease_until <= ?2)",
                    params![order_no, micros(now), micros(lease_until)],
                )?;
                if n == 1 {
                    out.push(found("payment", attempt_tx(tx, order_no)?)?);
                }
            }
            Ok(out)
        })
    }

    fn payment_calls(&self, order_no: &str) -> StoreResult<Vec<PaymentCall>> {
        self.read(|c| {
            Ok(c.prepare_cached("SELECT call, at, state, note FROM payment_calls WHERE order_no = ?1 ORDER BY id")?
                .query_map([order_no], |r| {
                    Ok(PaymentCall { call: r.get(0)?, at: from_micros(r.get(1)?), state: r.get(2)?, note: r.get(3)? })
                })?
                .collect::<Result<_, _>>()?)
        })
    }

    fn payments(&self, f: &PaymentFilter) -> StoreResult<Vec<StoredAttempt>> {
        self.read(|c| {
            let mut sql = format!("{ATTEMPT} WHERE 1 = 1");
            let mut args: Vec<Value> = Vec::new();
            let mut arg = |v: Value| {
                args.push(v);
                args.len()
            };
            if let Some(b) = f.branch {
                sql += &format!(" AND a.branch_id = ?{}", arg(Value::Int(b.0)));
            }
            if let Some(t) = f.till {
                sql += &format!(" AND a.till_id = ?{}", arg(Value::Int(t.0)));
            }
            if let Some(r) = &f.receipt_no {
                sql += &format!(" AND a.receipt_no = ?{}", arg(Value::Text(r.clone())));
            }
            if let Some(from) = f.from {
                sql += &format!(" AND a.created_at >= ?{}", arg(Value::Int(micros(from))));
            }
            if let Some(to) = f.to {
                sql += &format!(" AND a.created_at < ?{}", arg(Value::Int(micros(to))));
            }
            if f.open {
                sql += " AND a.resolved_at IS NULL";
            }
            sql += &format!(
                " ORDER BY a.created_at DESC, a.order_no LIMIT ?{}",
                arg(Value::Int(i64::from(f.limit.clamp(1, 1000))))
            );
            Ok(c.prepare_cached(&sql)?.query_map(args, attempt_row)?.collect::<Result<_, _>>()?)
        })
    }

    fn begin_refund(&self, new: &NewRefund) -> StoreResult<Begun<PaymentRefund>> {
        if new.amount.0 <= 0 {
            return Err(StoreError::Invalid("a refund must be above zero".into()));
        }
        if new.seq == 0 {
            return Err(StoreError::Invalid("refunds are numbered from 1".into()));
        }
        let out_refund_no = format!("{}-R{}", new.order_no, new.seq);
        let now = self.now();
        self.write(|tx| {
            let paid = found(&format!("payment {}", new.order_no), attempt_tx(tx, &new.order_no)?)?;
            if let Some(was) = refund_tx(tx, &out_refund_no)? {
                if was.amount != new.amount {
                    return Err(StoreError::Conflict(format!(
                        "refund {} of {} was asked for {}: a new amount is a new refund",
                        new.seq, new.order_no, was.amount
                    )));
                }
                return Ok(Begun::Existing(was));
            }
            if paid.attempt.state != AttemptState::Paid {
                return Err(StoreError::Conflict(format!(
                    "payment {} is {}, not paid: there is nothing to refund",
                    new.order_no,
                    paid.attempt.state.code()
                )));
            }
            let committed: i64 = tx.query_row(
                "SELECT COALESCE(SUM(amount), 0) FROM payment_refunds WHERE order_no = ?1 AND state <> 'failed'",
                [new.order_no.as_str()],
                |r| r.get(0),
            )?;
            let left = paid.attempt.amount - Money(committed);
            if new.amount > left {
                return Err(StoreError::Conflict(format!(
                    "{} is more than the {left} of payment {} not yet refunded",
                    new.amount, new.order_no
                )));
            }
            tx.execute(
                "INSERT INTO payment_refunds (out_refund_no, order_no, seq, amount, refund_receipt_no, reason, state,
                     next_at, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending', ?7, ?7, ?7)",
                params![
                    out_refund_no,
                    new.order_no,
                    i64::from(new.seq),
                    new.amount.0,
                    new.refund_receipt_no,
                    new.reason,
                    micros(now)
                ],
            )?;
            Ok(Begun::New(found("refund", refund_tx(tx, &out_refund_no)?)?))
        })
    }

    fn record_refund_call(&self, out_refund_no: &str, record: &RefundRecord) -> StoreResult<PaymentRefund> {
        let now = self.now();
        self.write(|tx| {
            let was = found(&format!("refund {out_refund_no}"), refund_tx(tx, out_refund_no)?)?;
            if was.state != RefundState::Pending {
                return Ok(was);
            }
            let fin = record.state != RefundState::Pending;
            let (code, message) = match &record.failure {
                Some((c, m)) => (Some(c.clone()), Some(m.clone())),
                None => (None, None),
            };
            tx.execute(
                "UPDATE payment_refunds SET state = ?2, refund_id = COALESCE(?3, refund_id), failure_code = ?4,
                     message = ?5, calls = calls + 1, next_at = ?6, updated_at = ?7, resolved_at = ?8
                 WHERE out_refund_no = ?1 AND resolved_at IS NULL",
                params![
                    out_refund_no,
                    record.state.code(),
                    record.refund_id,
                    code,
                    message,
                    if fin { None } else { Some(micros(record.next_at.unwrap_or(now))) },
                    micros(now),
                    fin.then_some(micros(now))
                ],
            )?;
            tx.execute(
                "INSERT INTO payment_calls (order_no, call, at, state, note) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    was.order_no,
                    record.call,
                    micros(now),
                    record.state.code(),
                    format!("{out_refund_no}: {}", record.note)
                ],
            )?;
            found("refund", refund_tx(tx, out_refund_no)?)
        })
    }

    fn payment_refunds(&self, order_no: &str) -> StoreResult<Vec<PaymentRefund>> {
        self.read(|c| {
            Ok(c.prepare_cached(&format!("{REFUND} WHERE order_no = ?1 ORDER BY seq"))?
                .query_map([order_no], refund_row)?
                .collect::<Result<_, _>>()?)
        })
    }

    fn due_refunds(&self, now: Timestamp, limit: u32) -> StoreResult<Vec<PaymentRefund>> {
        self.read(|c| {
            Ok(c.prepare_cached(&format!(
                "{REFUND} WHERE resolved_at IS NULL AND next_at <= ?1 ORDER BY next_at LIMIT ?2"
            ))?
            .query_map(params![micros(now), i64::from(limit.clamp(1, 1000))], refund_row)?
            .collect::<Result<_, _>>()?)
        })
    }
}
