//! Holds and top-ups: what a till reserves of a member's points or stored value while the
//! customer pays, and stored value bought at a till. Checked and written in one write transaction.
#![allow(clippy::type_complexity)] // SQL rows read as tuples

use super::conn::{OptionalExtension, params};
use jiff::{SignedDuration, Timestamp};
use shared::ids::HoldId;
use shared::ledger::LedgerKind;
use shared::member::MemberStatus;
use shared::money::Money;
use shared::stored_value::{StoredValue, SvSplit};
use shared::sync::{HoldAmount, HoldRequest, HoldResponse, TopUpRequest, TopUpResponse};

use super::ledger::{self, Entry, HOLD_TTL_MINUTES, hq_day, load_member};
use super::{SqlStore, from_micros, micros, policy_in_force_tx};
use crate::model::{MemberRefusal, Till};
use crate::store::{StoreError, StoreResult};

impl SqlStore {
    pub(super) fn place_hold(
        &self,
        till: &Till,
        req: &HoldRequest,
        now: Timestamp,
    ) -> StoreResult<Result<HoldResponse, MemberRefusal>> {
        self.write(|tx| {
            let hold_id = req.hold.to_string();
            // A retried request gets the first answer.
            let existing: Option<(String, i64, String, i64, i64, i64)> = tx
                .prepare_cached(
                    "SELECT member_id, till_id, status, expires_at, principal, bonus FROM holds WHERE id = ?1",
                )?
                .query_row([&hold_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)))
                .optional()?;
            if let Some((member, till_id, _status, expires, p, b)) = existing {
                if till_id != till.id.0 {
                    return Ok(Err(MemberRefusal::OtherTill));
                }
                let m = load_member(tx, &member)?.ok_or_else(|| StoreError::Internal("held member vanished".into()))?;
                let split = matches!(req.amount, HoldAmount::StoredValue { .. })
                    .then_some(SvSplit { principal: Money(p), bonus: Money(b) });
                return Ok(Ok(HoldResponse {
                    hold: req.hold,
                    expires_at: from_micros(expires),
                    split,
                    points_available: ledger::usable_points(tx, &m, now)?,
                    stored_value_available: ledger::spendable(tx, &m, now)?,
                }));
            }
            let Some(member) = ledger::resolve(tx, &req.member.to_string())? else {
                return Err(StoreError::NotFound(format!("member {}", req.member)));
            };
            let m = load_member(tx, &member)?.ok_or_else(|| StoreError::NotFound(format!("member {}", req.member)))?;
            if m.status != MemberStatus::Active {
                return Ok(Err(MemberRefusal::Blocked));
            }
            let expires_at = now + SignedDuration::from_mins(HOLD_TTL_MINUTES);
            let (kind, points, amount, split) = match req.amount {
                HoldAmount::Points { points, value } => {
                    if points <= 0 || value.0 <= 0 {
                        return Ok(Err(MemberRefusal::Invalid("a hold must be for more than nothing".into())));
                    }
                    let policy = policy_in_force_tx(tx, now)?;
                    if m.points < policy.redeem.min_balance {
                        return Ok(Err(MemberRefusal::BelowMinimumBalance {
                            balance: m.points,
                            minimum: policy.redeem.min_balance,
                        }));
                    }
                    let available = ledger::usable_points(tx, &m, now)?;
                    if points > available {
                        return Ok(Err(MemberRefusal::InsufficientPoints { available, asked: points }));
                    }
                    ("points", points, value, SvSplit::default())
                }
                HoldAmount::StoredValue { amount } => {
                    if amount.0 <= 0 {
                        return Ok(Err(MemberRefusal::Invalid("a hold must be for more than nothing".into())));
                    }
                    let available = ledger::spendable(tx, &m, now)?;
                    match available.spend_split(amount) {
                        Ok(split) => ("stored_value", 0, amount, split),
                        Err(_) => {
                            return Ok(Err(MemberRefusal::InsufficientStoredValue {
                                available: available.total(),
                                asked: amount,
                            }));
                        }
                    }
                }
            };
            tx.prepare_cached(
                "INSERT INTO holds (id, member_id, till_id, sale_id, kind, points, amount, principal, bonus, status,
                 created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'held', ?10, ?11)",
            )?
            .execute(params![
                hold_id,
                member,
                till.id.0,
                req.sale.to_string(),
                kind,
                points,
                amount.0,
                split.principal.0,
                split.bonus.0,
                micros(now),
                micros(expires_at)
            ])?;
            Ok(Ok(HoldResponse {
                hold: req.hold,
                expires_at,
                split: (kind == "stored_value").then_some(split),
                points_available: ledger::usable_points(tx, &m, now)?,
                stored_value_available: ledger::spendable(tx, &m, now)?,
            }))
        })
    }

    pub(super) fn release_placed_hold(
        &self,
        till: &Till,
        hold: HoldId,
        now: Timestamp,
    ) -> StoreResult<Result<bool, MemberRefusal>> {
        self.write(|tx| {
            let row: Option<(i64, String)> = tx
                .prepare_cached("SELECT till_id, status FROM holds WHERE id = ?1")?
                .query_row([hold.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            match row {
                None => Ok(Ok(false)),
                Some((t, _)) if t != till.id.0 => Ok(Err(MemberRefusal::OtherTill)),
                Some((_, s)) if s == "captured" => Ok(Err(MemberRefusal::Captured)),
                Some((_, s)) if s == "held" => {
                    tx.execute(
                        "UPDATE holds SET status = 'released', closed_at = ?2 WHERE id = ?1",
                        params![hold.to_string(), micros(now)],
                    )?;
                    Ok(Ok(true))
                }
                Some(_) => Ok(Ok(true)),
            }
        })
    }

    pub(super) fn apply_top_up(
        &self,
        till: &Till,
        req: &TopUpRequest,
        now: Timestamp,
    ) -> StoreResult<Result<TopUpResponse, MemberRefusal>> {
        if req.amount.0 <= 0 || req.amount > Money::yuan(100_000) {
            return Ok(Err(MemberRefusal::Invalid("a top-up is between ¥0.01 and ¥100,000".into())));
        }
        if !matches!(req.tender, shared::sale::TenderKind::Cash | shared::sale::TenderKind::BankCard) {
            return Ok(Err(MemberRefusal::Invalid("a top-up is paid in cash or by bank card".into())));
        }
        self.write(|tx| {
            let id = req.id.to_string();
            let done: Option<(i64, i64, i64, i64)> = tx
                .prepare_cached("SELECT principal, bonus, balance_principal, balance_bonus FROM topups WHERE id = ?1")?
                .query_row([&id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
                .optional()?;
            if let Some((p, b, bp, bb)) = done {
                return Ok(Ok(TopUpResponse {
                    split: SvSplit { principal: Money(p), bonus: Money(b) },
                    balance: StoredValue { principal: Money(bp), bonus: Money(bb) },
                }));
            }
            let Some(member) = ledger::resolve(tx, &req.member.to_string())? else {
                return Err(StoreError::NotFound(format!("member {}", req.member)));
            };
            let m = load_member(tx, &member)?.ok_or_else(|| StoreError::NotFound(format!("member {}", req.member)))?;
            if m.status != MemberStatus::Active {
                return Ok(Err(MemberRefusal::Blocked));
            }
            let policy = policy_in_force_tx(tx, now)?;
            let (_, split) = m
                .stored_value
                .top_up(req.amount, &policy.topup_rules)
                .map_err(|e| StoreError::Invalid(e.to_string()))?;
            let source = format!("topup:{id}");
            ledger::append(
                tx,
                &Entry {
                    member: &member,
                    kind: LedgerKind::TopUp,
                    points: 0,
                    principal: split.principal.0,
                    bonus: split.bonus.0,
                    at: now,
                    day: hq_day(now),
                    branch: Some(till.branch_id.0),
                    source: &source,
                    lot: None,
                    reason: None,
                    actor: &format!("till:{}", till.id),
                },
            )?;
            let after = load_member(tx, &member)?.ok_or_else(|| StoreError::Internal("member vanished".into()))?;
            tx.prepare_cached(
                "INSERT INTO topups (id, member_id, amount, principal, bonus, tender, till_id, branch_id, shift_id,
                 cashier_id, at, balance_principal, balance_bonus) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            )?
            .execute(params![
                id,
                member,
                req.amount.0,
                split.principal.0,
                split.bonus.0,
                req.tender.code(),
                till.id.0,
                till.branch_id.0,
                req.shift.to_string(),
                req.cashier.0,
                micros(now),
                after.stored_value.principal.0,
                after.stored_value.bonus.0
            ])?;
            ledger::publish(tx, &member, now)?;
            Ok(Ok(TopUpResponse { split, balance: after.stored_value }))
        })
    }
}
