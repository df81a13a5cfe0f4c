//! Staff at the till: PIN login against the hashes HQ sent, lock-out after five wrong PINs, the
//! lock screen, and manager approval for the actions that need it.

use argon2::{Argon2, PasswordVerifier};
use jiff::{SignedDuration, Timestamp};
use shared::ids::StaffId;
use shared::staff::{ApprovalAction, StaffMember, StaffRole};
use shared::sync::AuditEntry;

use super::{Session, Till, TillError, TillResult};

/// Wrong PINs in a row that lock a staff member out.
pub const MAX_PIN_FAILURES: u32 = 5;

/// A manager's approval for one action. Only [`Till::approve`] makes one, and the gated call
/// consumes it, so an approval is used once.
#[derive(Debug)]
pub struct Approval {
    pub(crate) manager: StaffId,
    pub(crate) action: ApprovalAction,
}

impl Approval {
    pub fn manager(&self) -> StaffId {
        self.manager
    }

    pub fn action(&self) -> ApprovalAction {
        self.action
    }
}

/// Checks a PIN against an argon2id PHC hash.
pub fn pin_matches(pin: &str, hash: &str) -> bool {
    Argon2::default().verify_password(pin.as_bytes(), hash).is_ok()
}

impl Till {
    /// The logged-in staff member, if the till is not locked.
    pub fn current_staff(&self) -> Option<&StaffMember> {
        self.session.as_ref().filter(|s| !s.locked).map(|s| &s.staff)
    }

    pub fn is_locked(&self) -> bool {
        self.session.as_ref().is_some_and(|s| s.locked)
    }

    pub(crate) fn cashier(&self) -> TillResult<&StaffMember> {
        match &self.session {
            None => Err(TillError::NotLoggedIn),
            Some(s) if s.locked => Err(TillError::Locked),
            Some(s) => Ok(&s.staff),
        }
    }

    /// Checks `login` and `pin`, counting wrong PINs toward a lock-out.
    fn verify_pin(&mut self, login: &str, pin: &str) -> TillResult<StaffMember> {
        let Some(staff) = self.store.staff_by_login(login.trim())?.filter(|s| s.active) else {
            return Err(TillError::WrongPin { attempts_left: None });
        };
        let now = self.now();
        let (failures, until) = self.store.pin_failures(staff.id)?;
        if failures >= MAX_PIN_FAILURES {
            match until {
                Some(u) if u <= now => self.store.clear_pin_failures(staff.id)?,
                _ => return Err(TillError::LockedOut { until }),
            }
        }
        let failures = self.store.pin_failures(staff.id)?.0;
        if pin_matches(pin, &staff.pin_hash) {
            if failures > 0 {
                self.store.clear_pin_failures(staff.id)?;
            }
            return Ok(staff);
        }
        let failures = failures + 1;
        if failures >= MAX_PIN_FAILURES {
            let minutes = self.branch()?.pin_lockout_minutes;
            let until = (minutes > 0).then(|| now + SignedDuration::from_mins(i64::from(minutes)));
            self.store.set_pin_failures(staff.id, failures, until)?;
            let stamp = self.stamp();
            self.store.tx(|tx| {
                stamp.audit(
                    tx,
                    AuditEntry {
                        action: ApprovalAction::UnlockCashier,
                        actor: staff.id,
                        approver: None,
                        detail: format!("{} locked out after {failures} wrong PINs", staff.login),
                        sale: None,
                    },
                )
            })?;
            return Err(TillError::LockedOut { until });
        }
        self.store.set_pin_failures(staff.id, failures, None)?;
        Err(TillError::WrongPin { attempts_left: Some(MAX_PIN_FAILURES - failures) })
    }

    /// Logs a cashier in. Another session is replaced only when no sale is in progress.
    pub fn login(&mut self, login: &str, pin: &str) -> TillResult<&StaffMember> {
        if let Some(current) = &self.session
            && current.staff.login != login.trim()
            && self.cart.as_ref().is_some_and(|c| !c.lines.is_empty())
        {
            return Err(TillError::SaleInProgress);
        }
        let staff = self.verify_pin(login, pin)?;
        self.session = Some(Session { staff, locked: false });
        Ok(&self.session.as_ref().expect("just set").staff)
    }

    pub fn logout(&mut self) {
        self.session = None;
    }

    /// Locks the screen; the sale in progress stays.
    pub fn lock(&mut self) -> TillResult<()> {
        match &mut self.session {
            Some(s) => {
                s.locked = true;
                Ok(())
            }
            None => Err(TillError::NotLoggedIn),
        }
    }

    /// Unlocks with the same cashier's PIN.
    pub fn unlock(&mut self, pin: &str) -> TillResult<()> {
        let login = match &self.session {
            Some(s) => s.staff.login.clone(),
            None => return Err(TillError::NotLoggedIn),
        };
        self.verify_pin(&login, pin)?;
        if let Some(s) = &mut self.session {
            s.locked = false;
        }
        Ok(())
    }

    /// A manager approves `action` with their own login and PIN. The approval is recorded when
    /// the action happens (an audit entry naming both people).
    pub fn approve(&mut self, action: ApprovalAction, manager_login: &str, pin: &str) -> TillResult<Approval> {
        let manager = self.verify_pin(manager_login, pin)?;
        if !manager.can_approve() {
            return Err(TillError::NotAManager);
        }
        Ok(Approval { manager: manager.id, action })
    }

    /// Checks that an action which needs approval has the right one, and writes nothing.
    /// The signed-in manager's approval of their own `action`.
    pub fn own_approval(&self, action: ApprovalAction) -> TillResult<Approval> {
        let manager = self.check_approval(None, action)?;
        Ok(Approval { manager, action })
    }

    pub(crate) fn check_approval(&self, approval: Option<&Approval>, action: ApprovalAction) -> TillResult<StaffId> {
        // A manager logged in at the till approves their own actions.
        if let Ok(me) = self.cashier()
            && me.role == StaffRole::Manager
            && approval.is_none()
        {
            return Ok(me.id);
        }
        match approval {
            None => Err(TillError::ApprovalRequired(action)),
            Some(a) if a.action != action => Err(TillError::WrongApproval),
            Some(a) => Ok(a.manager),
        }
    }

    pub(crate) fn approval_entry(
        &self,
        action: ApprovalAction,
        approver: StaffId,
        detail: String,
        sale: Option<shared::ids::SaleId>,
    ) -> TillResult<AuditEntry> {
        Ok(AuditEntry { action, actor: self.cashier()?.id, approver: Some(approver), detail, sale })
    }

    /// A manager lifts a cashier's lock-out.
    pub fn unlock_staff(&mut self, login: &str, approval: Approval) -> TillResult<()> {
        if approval.action != ApprovalAction::UnlockCashier {
            return Err(TillError::WrongApproval);
        }
        let staff = self.store.staff_by_login(login.trim())?.ok_or(TillError::WrongPin { attempts_left: None })?;
        let entry = AuditEntry {
            action: ApprovalAction::UnlockCashier,
            actor: staff.id,
            approver: Some(approval.manager),
            detail: format!("{} unlocked", staff.login),
            sale: None,
        };
        let stamp = self.stamp();
        self.store.tx(|tx| {
            crate::store::Store::clear_pin_failures_in(tx, staff.id)?;
            stamp.audit(tx, entry)
        })?;
        Ok(())
    }

    /// The name of the active staff member with `login`, for the login screen.
    pub fn staff_name(&self, login: &str) -> TillResult<Option<String>> {
        Ok(self.store.staff_by_login(login.trim())?.filter(|s| s.active).map(|s| s.name))
    }

    /// When a locked-out staff member may try again (`None`: not locked, or only a manager unlocks).
    pub fn lockout_of(&self, login: &str) -> TillResult<Option<Option<Timestamp>>> {
        let Some(staff) = self.store.staff_by_login(login)? else { return Ok(None) };
        let (failures, until) = self.store.pin_failures(staff.id)?;
        Ok((failures >= MAX_PIN_FAILURES).then_some(until))
    }
}
