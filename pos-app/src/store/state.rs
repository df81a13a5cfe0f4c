//! Small pieces of till state: PIN lock-outs and sales put on hold.

use jiff::Timestamp;
use rusqlite::{OptionalExtension, params};
use shared::ids::StaffId;

use super::{Store, StoreError, StoreResult};

/// A sale put on hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeldSale {
    pub id: String,
    pub label: String,
    pub held_at: Timestamp,
}

impl Store {
    /// Wrong PINs in a row for a staff member, and until when they are locked out (if they are).
    pub fn pin_failures(&self, staff: StaffId) -> StoreResult<(u32, Option<Timestamp>)> {
        let row: Option<(u32, Option<String>)> = self
            .conn()
            .query_row("SELECT failures, locked_until FROM staff_lockouts WHERE staff_id = ?1", [staff.0], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?;
        match row {
            None => Ok((0, None)),
            Some((n, until)) => {
                let until = until
                    .map(|u| u.parse::<Timestamp>().map_err(|e| StoreError::Corrupt(e.to_string())))
                    .transpose()?;
                Ok((n, until))
            }
        }
    }

    pub fn set_pin_failures(
        &mut self,
        staff: StaffId,
        failures: u32,
        locked_until: Option<Timestamp>,
    ) -> StoreResult<()> {
        self.conn().execute(
            "INSERT INTO staff_lockouts (staff_id, failures, locked_until) VALUES (?1, ?2, ?3)
             ON CONFLICT (staff_id) DO UPDATE SET failures = excluded.failures, locked_until = excluded.locked_until",
            params![staff.0, failures, locked_until.map(|t| t.to_string())],
        )?;
        Ok(())
    }

    pub fn clear_pin_failures(&mut self, staff: StaffId) -> StoreResult<()> {
        self.conn().execute("DELETE FROM staff_lockouts WHERE staff_id = ?1", [staff.0])?;
        Ok(())
    }

    /// Lifts a lock-out inside `tx` (with the audit entry of the manager who did it).
    pub(crate) fn clear_pin_failures_in(tx: &rusqlite::Transaction<'_>, staff: StaffId) -> StoreResult<()> {
        tx.execute("DELETE FROM staff_lockouts WHERE staff_id = ?1", [staff.0])?;
        Ok(())
    }

    pub(crate) fn put_on_hold(&mut self, id: &str, label: &str, at: Timestamp, json: &str) -> StoreResult<()> {
        self.tx(|tx| {
            tx.execute(
                "INSERT INTO held_carts (id, held_at, label, json) VALUES (?1, ?2, ?3, ?4)",
                params![id, at.to_string(), label, json],
            )?;
            tx.execute("DELETE FROM cart", [])?;
            Ok(())
        })
    }

    pub fn held_sales(&self) -> StoreResult<Vec<HeldSale>> {
        let mut stmt = self.conn().prepare("SELECT id, label, held_at FROM held_carts ORDER BY held_at")?;
        let rows =
            stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?)))?;
        rows.map(|row| {
            let (id, label, at) = row?;
            Ok(HeldSale {
                id,
                label,
                held_at: at.parse().map_err(|e: jiff::Error| StoreError::Corrupt(e.to_string()))?,
            })
        })
        .collect()
    }

    /// Takes a held sale back (it becomes the cart in progress in the same transaction).
    pub(crate) fn take_from_hold(&mut self, id: &str) -> StoreResult<Option<String>> {
        self.tx(|tx| {
            let json: Option<String> =
                tx.query_row("SELECT json FROM held_carts WHERE id = ?1", [id], |r| r.get(0)).optional()?;
            if let Some(j) = &json {
                tx.execute("DELETE FROM held_carts WHERE id = ?1", [id])?;
                tx.execute(
                    "INSERT INTO cart (id, json) VALUES (1, ?1) ON CONFLICT (id) DO UPDATE SET json = excluded.json",
                    [j],
                )?;
            }
            Ok(json)
        })
    }
}
