//! Shifts: open with a counted float, paid-in / paid-out and no-sale drawer opens, the X report,
//! the blind close with the Z report, and day end.

use jiff::civil::Date;
use shared::ids::{MovementId, ShiftId};
use shared::money::Money;
use shared::receipt::{ReportSlip, report_rows};
use shared::shift::{CashCount, DaySummary, MovementKind, ShiftReport, day_summary};
use shared::staff::ApprovalAction;
use shared::sync::{CashMovement, DayClosed, Event, ShiftClosed, ShiftOpened};

use super::{Approval, Till, TillError, TillResult};
use crate::store::{ShiftRow, records};

/// A closed shift's Z report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZReport {
    pub number: u32,
    pub shift: ShiftId,
    pub report: ShiftReport,
}

impl Till {
    /// The shift open at this till.
    pub fn current_shift(&self) -> TillResult<Option<ShiftRow>> {
        Ok(self.store.open_shift()?)
    }

    /// The open shift, which must be the logged-in cashier's.
    pub(crate) fn my_shift(&self) -> TillResult<ShiftRow> {
        let me = self.cashier()?.id;
        let shift = self.store.open_shift()?.ok_or(TillError::NoOpenShift)?;
        if shift.cashier != me {
            return Err(TillError::NotYourShift);
        }
        Ok(shift)
    }

    /// Opens a shift for the logged-in cashier with a counted float.
    pub fn open_shift(&mut self, float: CashCount) -> TillResult<ShiftId> {
        let cashier = self.cashier()?.id;
        if self.store.open_shift()?.is_some() {
            return Err(TillError::ShiftAlreadyOpen);
        }
        let branch = self.branch()?;
        let stamp = self.stamp();
        let opened = ShiftOpened {
            shift: ShiftId::new(),
            cashier,
            opened_at: stamp.at,
            business_day: self.business_day_at(&branch, stamp.at),
            float: float.total(),
            float_count: float,
        };
        self.store.durable(|tx| {
            records::insert_shift(tx, &opened)?;
            stamp.enqueue(tx, &Event::ShiftOpened(opened.clone()))
        })?;
        Ok(opened.shift)
    }

    fn record_movement(
        &mut self,
        kind: MovementKind,
        amount: Money,
        reason: &str,
        approver: Option<shared::ids::StaffId>,
        action: Option<ApprovalAction>,
    ) -> TillResult<()> {
        let shift = self.my_shift()?;
        let cashier = self.cashier()?.id;
        let stamp = self.stamp();
        let movement = CashMovement {
            id: MovementId::new(),
            shift: shift.id,
            kind,
            amount,
            reason: reason.trim().to_owned(),
            cashier,
            approved_by: approver,
            at: stamp.at,
            member: None,
        };
        let audit = match (action, approver) {
            (Some(action), Some(a)) => {
                Some(self.approval_entry(action, a, format!("{kind:?} {} {}", amount, movement.reason), None)?)
            }
            _ => None,
        };
        self.store.durable(|tx| {
            records::insert_movement(tx, &movement)?;
            stamp.enqueue(tx, &Event::CashMovement(movement.clone()))?;
            if let Some(entry) = audit {
                stamp.audit(tx, entry)?;
            }
            Ok(())
        })?;
        if matches!(kind, MovementKind::PaidIn | MovementKind::PaidOut | MovementKind::NoSale) {
            self.devices.open_drawer();
        }
        Ok(())
    }

    /// Cash put into the drawer (change from the bank), with a reason and a manager's approval.
    pub fn paid_in(&mut self, amount: Money, reason: &str, approval: Option<Approval>) -> TillResult<()> {
        self.paid(MovementKind::PaidIn, ApprovalAction::PaidIn, amount, reason, approval)
    }

    /// Cash taken out of the drawer (a delivery paid, a banking drop), with a reason and approval.
    pub fn paid_out(&mut self, amount: Money, reason: &str, approval: Option<Approval>) -> TillResult<()> {
        self.paid(MovementKind::PaidOut, ApprovalAction::PaidOut, amount, reason, approval)
    }

    fn paid(
        &mut self,
        kind: MovementKind,
        action: ApprovalAction,
        amount: Money,
        reason: &str,
        approval: Option<Approval>,
    ) -> TillResult<()> {
        if amount.0 <= 0 {
            return Err(TillError::Invalid("the amount must be above zero".into()));
        }
        if reason.trim().is_empty() {
            return Err(TillError::Invalid("a reason is needed".into()));
        }
        self.my_shift()?;
        let approver = self.check_approval(approval.as_ref(), action)?;
        self.record_movement(kind, amount, reason, Some(approver), Some(action))
    }

    /// Opens the drawer without a sale (manager approval); recorded on the shift.
    pub fn no_sale(&mut self, reason: &str, approval: Option<Approval>) -> TillResult<()> {
        self.my_shift()?;
        if self.cart.as_ref().is_some_and(|c| !c.tenders.is_empty()) {
            return Err(TillError::SaleInProgress);
        }
        let approver = self.check_approval(approval.as_ref(), ApprovalAction::NoSaleDrawerOpen)?;
        self.record_movement(
            MovementKind::NoSale,
            Money::ZERO,
            reason,
            Some(approver),
            Some(ApprovalAction::NoSaleDrawerOpen),
        )
    }

    /// The running figures of a shift (the X report of the open shift by default).
    pub fn shift_report(&self, shift: &ShiftRow) -> TillResult<ShiftReport> {
        let (sales, refunds, movements) = self.store.shift_activity(shift.id)?;
        let mut report = ShiftReport::new(shift.float);
        for s in &sales {
            report.add_sale(s);
        }
        for r in &refunds {
            report.add_refund(r);
        }
        for m in &movements {
            report.add_movement(m.kind, m.amount);
        }
        Ok(report)
    }

    /// The X report: the open shift's running totals; nothing is closed.
    pub fn x_report(&self) -> TillResult<ShiftReport> {
        let shift = self.store.open_shift()?.ok_or(TillError::NoOpenShift)?;
        self.cashier()?;
        self.shift_report(&shift)
    }

    /// The blind close: the cashier counts by denomination without seeing what is expected; the
    /// Z report, with its never-reused number, is the answer.
    pub fn close_shift(&mut self, count: CashCount) -> TillResult<ZReport> {
        let shift = self.my_shift()?;
        if self.cart.as_ref().is_some_and(|c| !c.lines.is_empty()) {
            return Err(TillError::SaleInProgress);
        }
        // A return of this shift waiting on its refund by code would complete after its Z report:
        // HQ is asked first, and the shift stays open while one is still open.
        for open in self.store.open_code_returns()?.into_iter().filter(|r| r.refund.shift == shift.id) {
            if let Some(sale) = open.refund.sale {
                self.settle_open_return_of(sale)?;
            }
        }
        let mut report = self.shift_report(&shift)?;
        report.close(&count);
        let cashier = self.cashier()?.id;
        let stamp = self.stamp();
        let business_day = shift.business_day;
        let number = self.store.durable(|tx| {
            let number = crate::store::next_in_sequence(tx, "z_report")?;
            let closed = ShiftClosed {
                shift: shift.id,
                cashier,
                z_number: number,
                closed_at: stamp.at,
                business_day,
                count: count.clone(),
                report: report.clone(),
            };
            records::close_shift(tx, &closed)?;
            stamp.enqueue(tx, &Event::ShiftClosed(closed))?;
            Ok(number)
        })?;
        // The Z report prints once the close is durable.
        let branch = self.branch()?;
        let slip = ReportSlip {
            branch_name: branch.receipt_header().branch_name,
            title: format!("{} #{number}", self.lang.pick("Z 报表", "Z report")),
            at: self.local_time(&branch, stamp.at),
            cashier: self.cashier()?.name.clone(),
            rows: report_rows(&report, self.lang, true),
        };
        self.devices.print_report(&slip);
        Ok(ZReport { number, shift: shift.id, report })
    }

    /// Closes business day `day` at this till: every shift of the day must be closed. A manager
    /// does it (or approves it).
    pub fn day_end(&mut self, day: Date, approval: Option<Approval>) -> TillResult<DaySummary> {
        let me = self.cashier()?.id;
        let approver = self.check_approval(approval.as_ref(), ApprovalAction::DayEnd)?;
        if self.store.day_closed(day)? {
            return Err(TillError::DayAlreadyClosed(day));
        }
        let shifts = self.store.shifts_of_day(day)?;
        let open = shifts.iter().filter(|s| s.closed.is_none()).count();
        let reports: Vec<ShiftReport> =
            shifts.iter().filter_map(|s| s.closed.as_ref().map(|(_, r)| r.clone())).collect();
        let summary = day_summary(&reports, open).map_err(|_| TillError::ShiftsOpen(open))?;
        let stamp = self.stamp();
        let closed = DayClosed {
            business_day: day,
            closed_by: approver,
            closed_at: stamp.at,
            z_numbers: shifts.iter().filter_map(|s| s.closed.as_ref().map(|(z, _)| *z)).collect(),
            summary: summary.clone(),
        };
        let audit = super::AuditEntry {
            action: ApprovalAction::DayEnd,
            actor: me,
            approver: Some(approver),
            detail: format!("day end {day}"),
            sale: None,
        };
        self.store.durable(|tx| {
            records::insert_day_close(tx, &closed)?;
            stamp.enqueue(tx, &Event::DayClosed(closed.clone()))?;
            stamp.audit(tx, audit)
        })?;
        Ok(summary)
    }
}
