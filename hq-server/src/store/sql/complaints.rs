//! Complaints (投诉) in the database: categories, complaints and their append-only history. Every
//! write is one transaction with its history row and its audit entry; what a complaint names
//! (member, branch, category, assignee) and what is typed is checked inside that transaction
//! before anything is written, so a refused request changes nothing.

use jiff::Timestamp;
use shared::ids::{BranchId, MemberId};

use super::conn::{Conn, OptionalExtension, Row, Value, params};
use super::{SqlStore, append_audit, from_micros, micros};
use crate::complaints::{self, ComplaintState, Party};
use crate::model::{
    Actor, Complaint, ComplaintCategory, ComplaintChange, ComplaintDetail, ComplaintEntry, ComplaintFact,
    ComplaintFilter, ComplaintSource, NewComplaint,
};
use crate::store::{ComplaintStore, StoreError, StoreResult};

const SELECT: &str =
    "SELECT c.id, c.member_id, m.code, m.name, c.branch_id, b.code, c.receipt_no, c.category_id, k.name,
        c.text, c.state, c.assignee_id, u.display_name, c.resolution, c.source, c.created_by, c.created_at, c.due_at,
        c.resolved_at, c.updated_at
    FROM complaints c JOIN branches b ON b.id = c.branch_id JOIN complaint_categories k ON k.id = c.category_id
    LEFT JOIN members m ON m.id = c.member_id LEFT JOIN users u ON u.id = c.assignee_id";

fn bad(what: &str) -> impl Fn(String) -> super::conn::Error + '_ {
    move |e| super::conn::Error::Conversion(0, format!("{what}: {e}"))
}

fn complaint_row(r: &Row<'_>, now: Timestamp) -> super::conn::Result<Complaint> {
    let member: Option<String> = r.get(1)?;
    let state: String = r.get(10)?;
    let state = ComplaintState::parse(&state).ok_or_else(|| bad("state")(state))?;
    let source: String = r.get(14)?;
    let due_at = from_micros(r.get(17)?);
    Ok(Complaint {
        id: r.get(0)?,
        member_id: member.map(|m| MemberId::parse(&m).map_err(|e| bad("member")(e.to_string()))).transpose()?,
        member_code: r.get(2)?,
        member_name: r.get(3)?,
        branch_id: BranchId(r.get(4)?),
        branch_code: r.get(5)?,
        receipt_no: r.get(6)?,
        category_id: r.get(7)?,
        category_name: r.get(8)?,
        text: r.get(9)?,
        state,
        assignee_id: r.get(11)?,
        assignee_name: r.get(12)?,
        resolution: r.get(13)?,
        source: ComplaintSource::parse(&source).ok_or_else(|| bad("source")(source))?,
        created_by: r.get(15)?,
        created_at: from_micros(r.get(16)?),
        due_at,
        resolved_at: r.get::<_, Option<i64>>(18)?.map(from_micros),
        updated_at: from_micros(r.get(19)?),
        overdue: complaints::is_overdue(state, due_at, now),
    })
}

fn category_row(r: &Row<'_>) -> super::conn::Result<ComplaintCategory> {
    Ok(ComplaintCategory {
        id: r.get(0)?,
        name: r.get(1)?,
        due_hours: u32::try_from(r.get::<_, i64>(2)?).unwrap_or(0),
        active: r.get(3)?,
    })
}

fn category_tx(c: &Conn<'_>, id: i64) -> StoreResult<Option<ComplaintCategory>> {
    Ok(c.prepare_cached("SELECT id, name, due_hours, active FROM complaint_categories WHERE id = ?1")?
        .query_row([id], category_row)
        .optional()?)
}

fn complaint_tx(c: &Conn<'_>, id: i64, now: Timestamp) -> StoreResult<Complaint> {
    c.prepare_cached(&format!("{SELECT} WHERE c.id = ?1"))?
        .query_row([id], |r| complaint_row(r, now))
        .optional()?
        .ok_or_else(|| StoreError::NotFound(format!("complaint {id}")))
}

#[allow(clippy::too_many_arguments)] // one argument per column of the row
fn history(
    c: &Conn<'_>,
    id: i64,
    at: Timestamp,
    actor: &Actor,
    action: &str,
    from: Option<ComplaintState>,
    to: ComplaintState,
    note: &str,
) -> StoreResult<()> {
    c.prepare_cached(
        "INSERT INTO complaint_history (complaint_id, at, actor, action, from_state, to_state, note)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![id, micros(at), actor.who, action, from.map(ComplaintState::code), to.code(), note])?;
    Ok(())
}

/// A receipt number as tills print it (`B001-01-000123`), or why not (a form leaves out an empty one).
fn receipt(no: Option<&str>) -> StoreResult<Option<String>> {
    let Some(no) = no else { return Ok(None) };
    let mut parts = no.split('-');
    let ok = matches!((parts.next(), parts.next(), parts.next(), parts.next()),
        (Some(b), Some(t), Some(n), None)
            if (1..=16).contains(&b.len()) && b.chars().all(|c| c.is_ascii_alphanumeric())
            && t.len() == 2 && t.chars().all(|c| c.is_ascii_digit())
            && n.len() == 6 && n.chars().all(|c| c.is_ascii_digit()));
    if ok {
        Ok(Some(no.to_uppercase()))
    } else {
        Err(StoreError::Invalid(format!("receipt_no: `{no}` is not a receipt number like B001-01-000123")))
    }
}

fn category_name(name: &str) -> StoreResult<String> {
    complaints::text("name", name, complaints::CATEGORY_NAME_MAX).map_err(StoreError::Invalid)
}

fn unique_name(e: StoreError, name: &str) -> StoreError {
    match e {
        StoreError::Conflict(_) => StoreError::Conflict(format!("name: a category named {name} exists")),
        e => e,
    }
}

impl ComplaintStore for SqlStore {
    fn complaint_categories(&self) -> StoreResult<Vec<ComplaintCategory>> {
        self.read(|c| {
            Ok(c.prepare_cached("SELECT id, name, due_hours, active FROM complaint_categories ORDER BY id")?
                .query_map([], category_row)?
                .collect::<Result<_, _>>()?)
        })
    }

    fn create_complaint_category(&self, actor: &Actor, name: &str, due_hours: u32) -> StoreResult<ComplaintCategory> {
        let name = category_name(name)?;
        let due_hours = complaints::due_hours(i64::from(due_hours)).map_err(StoreError::Invalid)?;
        self.write(|tx| {
            let now = self.now();
            let id: i64 = tx
                .prepare_cached(
                    "INSERT INTO complaint_categories (name, due_hours, active, updated_at) VALUES (?1, ?2, 1, ?3) RETURNING id",
                )?
                .query_row(params![name, i64::from(due_hours), micros(now)], |r| r.get(0))
                .map_err(|e| unique_name(e.into(), &name))?;
            let made = ComplaintCategory { id, name: name.clone(), due_hours, active: true };
            append_audit(
                tx,
                &self.audit_key,
                actor,
                now,
                "complaint_category.create",
                &format!("complaint_category:{id}"),
                None::<&()>,
                Some(&made),
            )?;
            Ok(made)
        })
    }

    fn update_complaint_category(&self, actor: &Actor, category: ComplaintCategory) -> StoreResult<ComplaintCategory> {
        let name = category_name(&category.name)?;
        let due_hours = complaints::due_hours(i64::from(category.due_hours)).map_err(StoreError::Invalid)?;
        self.write(|tx| {
            let now = self.now();
            let before = category_tx(tx, category.id)?
                .ok_or_else(|| StoreError::NotFound(format!("complaint category {}", category.id)))?;
            tx.prepare_cached(
                "UPDATE complaint_categories SET name = ?2, due_hours = ?3, active = ?4, updated_at = ?5 WHERE id = ?1",
            )?
            .execute(params![category.id, name, i64::from(due_hours), category.active, micros(now)])
            .map_err(|e| unique_name(e.into(), &name))?;
            let after = ComplaintCategory { id: category.id, name: name.clone(), due_hours, active: category.active };
            append_audit(
                tx,
                &self.audit_key,
                actor,
                now,
                "complaint_category.update",
                &format!("complaint_category:{}", category.id),
                Some(&before),
                Some(&after),
            )?;
            Ok(after)
        })
    }

    fn create_complaint(&self, actor: &Actor, new: NewComplaint, at: Timestamp) -> StoreResult<Complaint> {
        let category = new.category.ok_or_else(|| StoreError::Invalid("category: choose a category".into()))?;
        let text = complaints::text("text", &new.text, complaints::TEXT_MAX).map_err(StoreError::Invalid)?;
        let receipt_no = receipt(new.receipt_no.as_deref())?;
        if let Some(r) = &new.request_id
            && (r.is_empty() || r.len() > 64)
        {
            return Err(StoreError::Invalid("request_id: 1 to 64 characters".into()));
        }
        self.write(|tx| {
            if let Some(r) = &new.request_id {
                let earlier: Option<i64> = tx
                    .prepare_cached("SELECT id FROM complaints WHERE request_id = ?1")?
                    .query_row([r.as_str()], |r| r.get(0))
                    .optional()?;
                if let Some(id) = earlier {
                    return complaint_tx(tx, id, at);
                }
            }
            let cat = category_tx(tx, category)?.filter(|k| k.active).ok_or_else(|| {
                StoreError::Invalid(format!("category: HQ has no category {category} taking complaints"))
            })?;
            let branch: Option<i64> = tx
                .prepare_cached("SELECT id FROM branches WHERE id = ?1")?
                .query_row([new.branch.0], |r| r.get(0))
                .optional()?;
            if branch.is_none() {
                return Err(StoreError::Invalid(format!("branch_id: HQ has no branch {}", new.branch.0)));
            }
            if let Some(m) = new.member {
                let known: Option<String> = tx
                    .prepare_cached("SELECT id FROM members WHERE id = ?1")?
                    .query_row([m.to_string()], |r| r.get(0))
                    .optional()?;
                if known.is_none() {
                    return Err(StoreError::Invalid(format!("member: HQ has no member {m}")));
                }
            }
            let due = complaints::due_at(at, cat.due_hours);
            let id: i64 = tx
                .prepare_cached(
                    "INSERT INTO complaints (member_id, branch_id, receipt_no, category_id, text, state, assignee_id,
                        resolution, source, created_by, created_at, due_at, resolved_at, updated_at, request_id)
                     VALUES (?1, ?2, ?3, ?4, ?5, 'open', NULL, NULL, ?6, ?7, ?8, ?9, NULL, ?8, ?10) RETURNING id",
                )?
                .query_row(
                    params![
                        new.member.map(|m| m.to_string()),
                        new.branch.0,
                        receipt_no,
                        cat.id,
                        text,
                        new.source.code(),
                        actor.who,
                        micros(at),
                        micros(due),
                        new.request_id
                    ],
                    |r| r.get(0),
                )?;
            history(tx, id, at, actor, "create", None, ComplaintState::Open, "")?;
            let made = complaint_tx(tx, id, at)?;
            append_audit(
                tx,
                &self.audit_key,
                actor,
                at,
                "complaint.create",
                &format!("complaint:{id}"),
                None::<&()>,
                Some(&made),
            )?;
            Ok(made)
        })
    }

    fn complaint(&self, id: i64, now: Timestamp) -> StoreResult<ComplaintDetail> {
        self.read(|c| {
            let complaint = complaint_tx(c, id, now)?;
            let history = c
                .prepare_cached(
                    "SELECT at, actor, action, from_state, to_state, note FROM complaint_history
                     WHERE complaint_id = ?1 ORDER BY id",
                )?
                .query_map([id], |r| {
                    let from: Option<String> = r.get(3)?;
                    let to: String = r.get(4)?;
                    Ok(ComplaintEntry {
                        at: from_micros(r.get(0)?),
                        actor: r.get(1)?,
                        action: r.get(2)?,
                        from_state: from.as_deref().and_then(ComplaintState::parse),
                        to_state: ComplaintState::parse(&to).ok_or_else(|| bad("to_state")(to))?,
                        note: r.get(5)?,
                    })
                })?
                .collect::<Result<_, _>>()?;
            Ok(ComplaintDetail { complaint, history })
        })
    }

    fn list_complaints(&self, f: &ComplaintFilter, now: Timestamp) -> StoreResult<Vec<Complaint>> {
        self.read(|c| {
            let mut conds: Vec<String> = Vec::new();
            let mut values: Vec<Value> = Vec::new();
            let mut add = |cond: &str, v: Option<Value>| {
                if let Some(v) = v {
                    values.push(v);
                }
                conds.push(cond.replace('?', &format!("?{}", values.len())));
            };
            if let Some(s) = f.state {
                add("c.state = ?", Some(Value::Text(s.code().into())));
            }
            if let Some(b) = f.branch {
                add("c.branch_id = ?", Some(Value::Int(b.0)));
            }
            if let Some(k) = f.category {
                add("c.category_id = ?", Some(Value::Int(k)));
            }
            if let Some(m) = f.member {
                add("c.member_id = ?", Some(Value::Text(m.to_string())));
            }
            if f.overdue {
                add("c.state IN ('open', 'in_progress')", None);
                add("c.due_at < ?", Some(Value::Int(micros(now))));
            }
            if let Some(before) = f.before {
                add("c.id < ?", Some(Value::Int(before)));
            }
            let limit = f.limit.clamp(1, 500);
            let filter = if conds.is_empty() { String::new() } else { format!(" WHERE {}", conds.join(" AND ")) };
            Ok(c.prepare_cached(&format!("{SELECT}{filter} ORDER BY c.id DESC LIMIT {limit}"))?
                .query_map(values, |r| complaint_row(r, now))?
                .collect::<Result<_, _>>()?)
        })
    }

    fn change_complaint(
        &self,
        actor: &Actor,
        party: Party,
        id: i64,
        change: ComplaintChange,
        at: Timestamp,
    ) -> StoreResult<Complaint> {
        let action = change.action();
        let (resolution, note) = match &change {
            ComplaintChange::Resolve { resolution } => {
                let r =
                    complaints::text("resolution", resolution, complaints::TEXT_MAX).map_err(StoreError::Invalid)?;
                (Some(r.clone()), r)
            }
            ComplaintChange::Reopen { note } if !note.trim().is_empty() => {
                (None, complaints::text("note", note, complaints::TEXT_MAX).map_err(StoreError::Invalid)?)
            }
            _ => (None, String::new()),
        };
        self.write(|tx| {
            let before = complaint_tx(tx, id, at)?;
            let next = complaints::after(before.state, action, party).map_err(|e| StoreError::Conflict(e.to_string()))?;
            let mut note = note.clone();
            match &change {
                ComplaintChange::Assign { user } => {
                    let found: Option<(String, Option<i64>, String, bool)> = tx
                        .prepare_cached("SELECT display_name, branch_id, role, active FROM users WHERE id = ?1")?
                        .query_row([*user], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
                        .optional()?;
                    let Some((name, branch, role, active)) = found else {
                        return Err(StoreError::Invalid(format!("assignee_id: HQ has no user {user}")));
                    };
                    let manager_elsewhere = role == "branch_manager" && branch != Some(before.branch_id.0);
                    if !active || manager_elsewhere {
                        return Err(StoreError::Invalid(format!(
                            "assignee_id: {name} cannot handle {}'s complaints",
                            before.branch_code
                        )));
                    }
                    tx.prepare_cached("UPDATE complaints SET assignee_id = ?2, updated_at = ?3 WHERE id = ?1")?
                        .execute(params![id, *user, micros(at)])?;
                    note = name;
                }
                ComplaintChange::Resolve { .. } => {
                    tx.prepare_cached(
                        "UPDATE complaints SET state = ?2, resolution = ?3, resolved_at = ?4, updated_at = ?4 WHERE id = ?1",
                    )?
                    .execute(params![id, next.code(), resolution, micros(at)])?;
                }
                ComplaintChange::Reopen { .. } => {
                    tx.prepare_cached(
                        "UPDATE complaints SET state = ?2, resolved_at = NULL, updated_at = ?3 WHERE id = ?1",
                    )?
                    .execute(params![id, next.code(), micros(at)])?;
                }
                ComplaintChange::Start | ComplaintChange::Confirm | ComplaintChange::Close => {
                    tx.prepare_cached("UPDATE complaints SET state = ?2, updated_at = ?3 WHERE id = ?1")?
                        .execute(params![id, next.code(), micros(at)])?;
                }
            }
            history(tx, id, at, actor, action.code(), Some(before.state), next, &note)?;
            let after = complaint_tx(tx, id, at)?;
            append_audit(
                tx,
                &self.audit_key,
                actor,
                at,
                &format!("complaint.{}", action.code()),
                &format!("complaint:{id}"),
                Some(&before),
                Some(&after),
            )?;
            Ok(after)
        })
    }

    fn complaint_facts(
        &self,
        from: Timestamp,
        until: Timestamp,
        branch: Option<BranchId>,
    ) -> StoreResult<Vec<ComplaintFact>> {
        self.read(|c| {
            // Every branch is `branch_id >= 0`; one is `branch_id = b` (one statement, one plan each).
            let (op, b) = match branch {
                Some(b) => ("=", b.0),
                None => (">=", 0),
            };
            Ok(c.prepare_cached(&format!(
                "SELECT c.branch_id, b.code, c.category_id, k.name, c.state, c.created_at, c.due_at, c.resolved_at
                 FROM complaints c JOIN branches b ON b.id = c.branch_id JOIN complaint_categories k ON k.id = c.category_id
                 WHERE c.created_at >= ?1 AND c.created_at < ?2 AND c.branch_id {op} ?3 ORDER BY c.id"
            ))?
            .query_map(params![micros(from), micros(until), b], |r| {
                let state: String = r.get(4)?;
                Ok(ComplaintFact {
                    branch_id: BranchId(r.get(0)?),
                    branch_code: r.get(1)?,
                    category_id: r.get(2)?,
                    category_name: r.get(3)?,
                    state: ComplaintState::parse(&state).ok_or_else(|| bad("state")(state))?,
                    created_at: from_micros(r.get(5)?),
                    due_at: from_micros(r.get(6)?),
                    resolved_at: r.get::<_, Option<i64>>(7)?.map(from_micros),
                })
            })?
            .collect::<Result<_, _>>()?)
        })
    }
}
