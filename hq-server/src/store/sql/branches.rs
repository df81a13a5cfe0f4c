use super::conn::{Conn, OptionalExtension, Row, params};
use jiff::Timestamp;
use shared::branch::BranchSettings;
use shared::ids::{BranchId, StaffId, TillId};
use shared::staff::{StaffMember, StaffRole};
use shared::sync::Change;

use super::{SqlStore, append_audit, emit, from_micros, micros, not_found};
use crate::model::{Actor, EnrolRefusal, Till, TillStatus, TokenLookup};
use crate::store::{BranchStore, StoreError, StoreResult};

fn load_branch(c: &Conn<'_>, id: BranchId) -> StoreResult<BranchSettings> {
    let json: String = c
        .query_row("SELECT settings FROM branches WHERE id = ?1", [id.0], |r| r.get(0))
        .map_err(StoreError::from)
        .map_err(not_found(format!("branch {id}")))?;
    Ok(serde_json::from_str(&json)?)
}

fn check_code_free(c: &Conn<'_>, code: &str, except: Option<BranchId>) -> StoreResult<()> {
    let other: Option<i64> = c.query_row("SELECT id FROM branches WHERE code = ?1", [code], |r| r.get(0)).optional()?;
    match other {
        Some(id) if Some(BranchId(id)) != except => {
            Err(StoreError::Conflict(format!("branch code `{code}` is already used by branch {id}")))
        }
        _ => Ok(()),
    }
}

const TILL_COLUMNS: &str = "t.id, t.branch_id, b.code, t.number, t.name, t.device_name, t.code_expires_at, \
     t.enrolled_at, t.revoked_at, t.token_hash IS NOT NULL";

/// The till holding a token (by the token's hash), in any transaction.
pub(crate) fn till_by_token_tx(c: &Conn<'_>, token_hash: &str) -> StoreResult<TokenLookup> {
    let till = c
        .prepare_cached(&format!(
            "SELECT {TILL_COLUMNS} FROM tills t JOIN branches b ON b.id = t.branch_id WHERE t.token_hash = ?1"
        ))?
        .query_row([token_hash], till_row)
        .optional()?;
    Ok(match till {
        None => TokenLookup::Unknown,
        Some(t) if t.status == TillStatus::Revoked => TokenLookup::Revoked,
        Some(t) => TokenLookup::Valid(t),
    })
}

fn till_row(r: &Row<'_>) -> super::conn::Result<Till> {
    let revoked_at: Option<i64> = r.get(8)?;
    let enrolled_at: Option<i64> = r.get(7)?;
    let has_token: bool = r.get(9)?;
    let status = if revoked_at.is_some() {
        TillStatus::Revoked
    } else if has_token {
        TillStatus::Enrolled
    } else {
        TillStatus::AwaitingEnrolment
    };
    Ok(Till {
        id: TillId(r.get(0)?),
        branch_id: BranchId(r.get(1)?),
        branch_code: r.get(2)?,
        number: r.get(3)?,
        name: r.get(4)?,
        device_name: r.get(5)?,
        status,
        enrolment_code_expires_at: r.get::<_, Option<i64>>(6)?.map(from_micros),
        enrolled_at: enrolled_at.map(from_micros),
        revoked_at: revoked_at.map(from_micros),
    })
}

fn load_till(c: &Conn<'_>, id: TillId) -> StoreResult<Till> {
    c.query_row(
        &format!("SELECT {TILL_COLUMNS} FROM tills t JOIN branches b ON b.id = t.branch_id WHERE t.id = ?1"),
        [id.0],
        till_row,
    )
    .map_err(StoreError::from)
    .map_err(not_found(format!("till {id}")))
}

fn role_code(role: StaffRole) -> &'static str {
    match role {
        StaffRole::Cashier => "cashier",
        StaffRole::Manager => "manager",
    }
}

fn staff_row(r: &Row<'_>) -> super::conn::Result<StaffMember> {
    let role: String = r.get(4)?;
    Ok(StaffMember {
        id: StaffId(r.get(0)?),
        branch: BranchId(r.get(1)?),
        login: r.get(2)?,
        name: r.get(3)?,
        role: if role == "manager" { StaffRole::Manager } else { StaffRole::Cashier },
        pin_hash: r.get(5)?,
        active: r.get(6)?,
    })
}

pub(crate) fn load_staff(c: &Conn<'_>, id: StaffId) -> StoreResult<StaffMember> {
    c.query_row("SELECT id, branch_id, login, name, role, pin_hash, active FROM staff WHERE id = ?1", [id.0], staff_row)
        .map_err(StoreError::from)
        .map_err(not_found(format!("staff member {id}")))
}

/// The staff record as the audit log keeps it: the PIN hash is not copied there.
fn redacted(s: &StaffMember, pin_note: &str) -> StaffMember {
    StaffMember { pin_hash: pin_note.to_owned(), ..s.clone() }
}

impl BranchStore for SqlStore {
    fn create_branch(&self, actor: &Actor, settings: BranchSettings) -> StoreResult<BranchSettings> {
        self.write(|tx| {
            check_code_free(tx, &settings.code, None)?;
            let now = micros(self.now());
            let id = tx.query_row(
                "INSERT INTO branches (code, name, settings, created_at, updated_at) VALUES (?1, ?2, '{}', ?3, ?3) RETURNING id",
                params![settings.code, settings.name, now],
                |r| r.get(0),
            )?;
            let created = BranchSettings { id: BranchId(id), ..settings };
            tx.execute(
                "UPDATE branches SET settings = ?2 WHERE id = ?1",
                params![created.id.0, serde_json::to_string(&created)?],
            )?;
            emit(tx, &format!("branch:{}", created.id), Some(created.id.0), &Change::Branch(created.clone()))?;
            append_audit(
                tx,
                &self.audit_key,
                actor,
                self.now(),
                "create",
                &format!("branch:{}", created.id),
                None::<&()>,
                Some(&created),
            )?;
            Ok(created)
        })
    }

    fn update_branch(&self, actor: &Actor, settings: BranchSettings) -> StoreResult<BranchSettings> {
        self.write(|tx| {
            let before = load_branch(tx, settings.id)?;
            check_code_free(tx, &settings.code, Some(settings.id))?;
            tx.execute(
                "UPDATE branches SET code = ?2, name = ?3, settings = ?4, updated_at = ?5 WHERE id = ?1",
                params![
                    settings.id.0,
                    settings.code,
                    settings.name,
                    serde_json::to_string(&settings)?,
                    micros(self.now())
                ],
            )?;
            emit(tx, &format!("branch:{}", settings.id), Some(settings.id.0), &Change::Branch(settings.clone()))?;
            append_audit(
                tx,
                &self.audit_key,
                actor,
                self.now(),
                "update",
                &format!("branch:{}", settings.id),
                Some(&before),
                Some(&settings),
            )?;
            Ok(settings)
        })
    }

    fn get_branch(&self, id: BranchId) -> StoreResult<BranchSettings> {
        self.read(|c| load_branch(c, id))
    }

    fn branch_by_code(&self, code: &str) -> StoreResult<Option<BranchSettings>> {
        self.read(|c| {
            let json: Option<String> =
                c.query_row("SELECT settings FROM branches WHERE code = ?1", [code], |r| r.get(0)).optional()?;
            Ok(json.map(|j| serde_json::from_str(&j)).transpose()?)
        })
    }

    fn list_branches(&self) -> StoreResult<Vec<BranchSettings>> {
        self.read(|c| {
            let mut st = c.prepare("SELECT settings FROM branches ORDER BY id")?;
            let rows = st.query_map([], |r| r.get::<_, String>(0))?.collect::<Result<Vec<_>, _>>()?;
            Ok(rows.iter().map(|j| serde_json::from_str(j)).collect::<Result<Vec<_>, _>>()?)
        })
    }

    fn register_till(
        &self,
        actor: &Actor,
        branch: BranchId,
        name: &str,
        code_hash: &str,
        expires_at: Timestamp,
    ) -> StoreResult<Till> {
        self.write(|tx| {
            load_branch(tx, branch)?;
            let number: i64 =
                tx.query_row("SELECT COALESCE(MAX(number), 0) + 1 FROM tills WHERE branch_id = ?1", [branch.0], |r| {
                    r.get(0)
                })?;
            if number > 99 {
                return Err(StoreError::Invalid(format!("branch {branch} already has 99 tills")));
            }
            let name = if name.trim().is_empty() { format!("Till {number:02}") } else { name.trim().to_owned() };
            let id = tx.query_row(
                "INSERT INTO tills (branch_id, number, name, code_hash, code_expires_at, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id",
                params![branch.0, number, name, code_hash, micros(expires_at), micros(self.now())],
                |r| r.get(0),
            )?;
            let till = load_till(tx, TillId(id))?;
            append_audit(
                tx,
                &self.audit_key,
                actor,
                self.now(),
                "register",
                &format!("till:{}", till.id),
                None::<&()>,
                Some(&till),
            )?;
            Ok(till)
        })
    }

    fn renew_enrolment_code(
        &self,
        actor: &Actor,
        till: TillId,
        code_hash: &str,
        expires_at: Timestamp,
    ) -> StoreResult<Till> {
        self.write(|tx| {
            let before = load_till(tx, till)?;
            if before.status == TillStatus::Revoked {
                return Err(StoreError::Conflict(format!("till {till} is revoked; register a new till")));
            }
            tx.execute(
                "UPDATE tills SET code_hash = ?2, code_expires_at = ?3 WHERE id = ?1",
                params![till.0, code_hash, micros(expires_at)],
            )?;
            let after = load_till(tx, till)?;
            append_audit(
                tx,
                &self.audit_key,
                actor,
                self.now(),
                "new enrolment code",
                &format!("till:{till}"),
                Some(&before),
                Some(&after),
            )?;
            Ok(after)
        })
    }

    fn enrol_till(
        &self,
        code_hash: &str,
        device_name: &str,
        token_hash: &str,
        now: Timestamp,
        from: &str,
    ) -> StoreResult<Result<Till, EnrolRefusal>> {
        self.write(|tx| {
            let found: Option<(i64, Option<i64>, Option<i64>)> = tx
                .query_row("SELECT id, code_expires_at, revoked_at FROM tills WHERE code_hash = ?1", [code_hash], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })
                .optional()?;
            let Some((id, expires, revoked)) = found else { return Ok(Err(EnrolRefusal::UnknownCode)) };
            if revoked.is_some() {
                return Ok(Err(EnrolRefusal::Revoked));
            }
            if expires.is_none_or(|e| e <= micros(now)) {
                return Ok(Err(EnrolRefusal::Expired));
            }
            let before = load_till(tx, TillId(id))?;
            // The code is spent; a new token replaces any earlier one (a replaced machine).
            tx.execute(
                "UPDATE tills SET code_hash = NULL, code_expires_at = NULL, token_hash = ?2, device_name = ?3,
                 enrolled_at = ?4 WHERE id = ?1",
                params![id, token_hash, device_name, micros(now)],
            )?;
            let after = load_till(tx, TillId(id))?;
            let actor = Actor::till(&after, from);
            append_audit(
                tx,
                &self.audit_key,
                &actor,
                self.now(),
                "enrol",
                &format!("till:{id}"),
                Some(&before),
                Some(&after),
            )?;
            Ok(Ok(after))
        })
    }

    fn till_by_token(&self, token_hash: &str) -> StoreResult<TokenLookup> {
        self.read(|c| till_by_token_tx(c, token_hash))
    }

    fn revoke_till(&self, actor: &Actor, till: TillId) -> StoreResult<Till> {
        self.write(|tx| {
            let before = load_till(tx, till)?;
            if before.status == TillStatus::Revoked {
                return Ok(before);
            }
            tx.execute(
                "UPDATE tills SET revoked_at = ?2, code_hash = NULL, code_expires_at = NULL WHERE id = ?1",
                params![till.0, micros(self.now())],
            )?;
            let after = load_till(tx, till)?;
            append_audit(
                tx,
                &self.audit_key,
                actor,
                self.now(),
                "revoke",
                &format!("till:{till}"),
                Some(&before),
                Some(&after),
            )?;
            Ok(after)
        })
    }

    fn get_till(&self, till: TillId) -> StoreResult<Till> {
        self.read(|c| load_till(c, till))
    }

    fn list_tills(&self, branch: BranchId) -> StoreResult<Vec<Till>> {
        self.read(|c| {
            load_branch(c, branch)?;
            let mut st = c.prepare(&format!(
                "SELECT {TILL_COLUMNS} FROM tills t JOIN branches b ON b.id = t.branch_id
                 WHERE t.branch_id = ?1 ORDER BY t.number"
            ))?;
            let rows = st.query_map([branch.0], till_row)?.collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }

    fn create_staff(&self, actor: &Actor, staff: StaffMember) -> StoreResult<StaffMember> {
        self.write(|tx| {
            load_branch(tx, staff.branch)?;
            let taken: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM staff WHERE branch_id = ?1 AND login = ?2)",
                params![staff.branch.0, staff.login],
                |r| r.get(0),
            )?;
            if taken {
                return Err(StoreError::Conflict(format!(
                    "login `{}` is already used at branch {}",
                    staff.login, staff.branch
                )));
            }
            let id = tx.query_row(
                "INSERT INTO staff (branch_id, login, name, role, pin_hash, active, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id",
                params![
                    staff.branch.0,
                    staff.login,
                    staff.name,
                    role_code(staff.role),
                    staff.pin_hash,
                    staff.active,
                    micros(self.now())
                ],
                |r| r.get(0),
            )?;
            let created = StaffMember { id: StaffId(id), ..staff };
            emit(tx, &format!("staff:{}", created.id), Some(created.branch.0), &Change::Staff(created.clone()))?;
            append_audit(
                tx,
                &self.audit_key,
                actor,
                self.now(),
                "create",
                &format!("staff:{}", created.id),
                None::<&()>,
                Some(&redacted(&created, "(set)")),
            )?;
            Ok(created)
        })
    }

    fn update_staff(&self, actor: &Actor, staff: StaffMember) -> StoreResult<StaffMember> {
        self.write(|tx| {
            let before = load_staff(tx, staff.id)?;
            if before.branch != staff.branch {
                return Err(StoreError::Invalid("a staff member cannot move to another branch".into()));
            }
            let taken: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM staff WHERE branch_id = ?1 AND login = ?2 AND id <> ?3)",
                params![staff.branch.0, staff.login, staff.id.0],
                |r| r.get(0),
            )?;
            if taken {
                return Err(StoreError::Conflict(format!("login `{}` is already used at this branch", staff.login)));
            }
            tx.execute(
                "UPDATE staff SET login = ?2, name = ?3, role = ?4, pin_hash = ?5, active = ?6, updated_at = ?7
                 WHERE id = ?1",
                params![
                    staff.id.0,
                    staff.login,
                    staff.name,
                    role_code(staff.role),
                    staff.pin_hash,
                    staff.active,
                    micros(self.now())
                ],
            )?;
            emit(tx, &format!("staff:{}", staff.id), Some(staff.branch.0), &Change::Staff(staff.clone()))?;
            let note = if before.pin_hash == staff.pin_hash { "(unchanged)" } else { "(changed)" };
            append_audit(
                tx,
                &self.audit_key,
                actor,
                self.now(),
                "update",
                &format!("staff:{}", staff.id),
                Some(&redacted(&before, "(set)")),
                Some(&redacted(&staff, note)),
            )?;
            Ok(staff)
        })
    }

    fn get_staff(&self, id: StaffId) -> StoreResult<StaffMember> {
        self.read(|c| load_staff(c, id))
    }

    fn list_staff(&self, branch: BranchId) -> StoreResult<Vec<StaffMember>> {
        self.read(|c| {
            load_branch(c, branch)?;
            let mut st = c.prepare(
                "SELECT id, branch_id, login, name, role, pin_hash, active FROM staff WHERE branch_id = ?1 ORDER BY login",
            )?;
            let rows = st.query_map([branch.0], staff_row)?.collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }
}
