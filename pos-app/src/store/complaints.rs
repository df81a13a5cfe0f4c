//! Complaints (投诉) at the till: the categories pulled from HQ, and the complaints taken here,
//! each kept durably from the moment it is taken until HQ has it or refused it.

use jiff::Timestamp;
use rusqlite::{OptionalExtension, params};
use shared::complaints::{Category, TillComplaint};
use shared::ids::StaffId;
use uuid::Uuid;

use super::{Store, StoreError, StoreResult, from_json, to_json};

/// Where a complaint taken here stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ComplaintStatus {
    /// Waiting to be sent (offline, or not sent yet).
    Pending,
    /// HQ has it, under its id.
    Sent { hq_id: i64 },
    /// HQ refused it; kept with HQ's reason for the manager.
    Rejected(String),
}

/// A complaint taken at this till, as it keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredComplaint {
    pub body: TillComplaint,
    pub taken_at: Timestamp,
    pub staff: StaffId,
    /// The category's name when it was taken (for the till's own lists).
    pub category_name: String,
    pub status: ComplaintStatus,
    /// Sends that got an answer or none.
    pub attempts: u32,
}

impl Store {
    /// Replaces the categories with the list HQ gave (the active ones).
    pub fn replace_complaint_categories(&mut self, categories: &[Category]) -> StoreResult<()> {
        self.tx(|tx| {
            tx.execute("DELETE FROM complaint_categories", [])?;
            let mut insert = tx.prepare_cached(
                "INSERT INTO complaint_categories (id, name, due_hours, active) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for c in categories {
                insert.execute(params![c.id, c.name, c.due_hours, c.active])?;
            }
            Ok(())
        })
    }

    /// The categories as last pulled, the active ones, in HQ's order (by id).
    pub fn complaint_categories(&self) -> StoreResult<Vec<Category>> {
        let mut st = self.conn().prepare_cached(
            "SELECT id, name, due_hours, active FROM complaint_categories WHERE active = 1 ORDER BY id",
        )?;
        let rows = st.query_map([], |r| {
            Ok(Category { id: r.get(0)?, name: r.get(1)?, due_hours: r.get(2)?, active: r.get(3)? })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Keeps a complaint taken here, on disk when this returns (`synchronous=FULL`), to be sent.
    pub(crate) fn queue_complaint(
        &mut self,
        body: &TillComplaint,
        category_name: &str,
        staff: StaffId,
        at: Timestamp,
    ) -> StoreResult<()> {
        let json = to_json(body)?;
        self.durable(|tx| {
            tx.prepare_cached(
                "INSERT INTO complaints (request_id, taken_at, staff_id, category_name, body) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![body.request_id.to_string(), at.to_string(), staff.0, category_name, json])?;
            Ok(())
        })
    }

    fn complaint_rows(&self, cond: &str, order: &str, limit: usize) -> StoreResult<Vec<StoredComplaint>> {
        let mut st = self.conn().prepare_cached(&format!(
            "SELECT body, taken_at, staff_id, category_name, status, reason, hq_id, attempts FROM complaints
             WHERE {cond} ORDER BY seq {order} LIMIT ?1"
        ))?;
        let rows = st.query_map([limit as i64], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, Option<String>>(5)?,
                r.get::<_, Option<i64>>(6)?,
                r.get::<_, u32>(7)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (body, at, staff, category_name, status, reason, hq_id, attempts) = row?;
            out.push(StoredComplaint {
                body: from_json(&body)?,
                taken_at: at.parse().map_err(|_| StoreError::Corrupt(format!("complaint time `{at}`")))?,
                staff: StaffId(staff),
                category_name,
                status: match (status.as_str(), hq_id) {
                    ("sent", Some(id)) => ComplaintStatus::Sent { hq_id: id },
                    ("rejected", _) => ComplaintStatus::Rejected(reason.unwrap_or_default()),
                    ("pending", _) => ComplaintStatus::Pending,
                    (other, _) => return Err(StoreError::Corrupt(format!("complaint status `{other}`"))),
                },
                attempts,
            });
        }
        Ok(out)
    }

    /// The oldest complaints not yet sent, in the order they were taken.
    pub fn pending_complaints(&self, limit: usize) -> StoreResult<Vec<StoredComplaint>> {
        self.complaint_rows("status = 'pending'", "ASC", limit)
    }

    /// The complaints HQ refused, newest first, with HQ's reasons.
    pub fn rejected_complaints(&self, limit: usize) -> StoreResult<Vec<StoredComplaint>> {
        self.complaint_rows("status = 'rejected'", "DESC", limit)
    }

    /// Every complaint taken here, oldest first (tests and diagnostics).
    pub fn all_complaints(&self, limit: usize) -> StoreResult<Vec<StoredComplaint>> {
        self.complaint_rows("1", "ASC", limit)
    }

    /// How many complaints wait to be sent.
    pub fn pending_complaint_count(&self) -> StoreResult<u64> {
        Ok(self
            .conn()
            .query_row("SELECT count(*) FROM complaints WHERE status = 'pending'", [], |r| r.get::<_, i64>(0))?
            as u64)
    }

    /// Records HQ's answer to a complaint sent: HQ's id (it has it), or its refusal. A complaint
    /// that was not pending is left as it is (an answer is applied once).
    pub fn mark_complaint(&mut self, request: Uuid, outcome: Result<i64, String>) -> StoreResult<()> {
        let id = request.to_string();
        self.tx(|tx| {
            let mut st = tx.prepare_cached(
                "UPDATE complaints SET status = ?2, hq_id = ?3, reason = ?4, attempts = attempts + 1
                 WHERE request_id = ?1 AND status = 'pending'",
            )?;
            match outcome {
                Ok(hq_id) => st.execute(params![id, "sent", hq_id, Option::<String>::None])?,
                Err(reason) => st.execute(params![id, "rejected", Option::<i64>::None, reason])?,
            };
            Ok(())
        })
    }

    /// Counts a send that got no answer (the complaint stays pending).
    pub fn note_complaint_attempt(&mut self, request: Uuid) -> StoreResult<()> {
        self.tx(|tx| {
            tx.prepare_cached("UPDATE complaints SET attempts = attempts + 1 WHERE request_id = ?1")?
                .execute([request.to_string()])?;
            Ok(())
        })
    }

    /// The newest receipt this till printed for a sale, if any (what a complaint is most often about).
    pub fn last_receipt_no(&self) -> StoreResult<Option<String>> {
        Ok(self
            .conn()
            .query_row("SELECT receipt_no FROM sales ORDER BY completed_at DESC, rowid DESC LIMIT 1", [], |r| r.get(0))
            .optional()?)
    }
}
