//! The checks of a pushed event that need nothing but the event and the till that sent it.
//! A failed check rejects the event with the reason; it is still stored, never dropped.

use shared::sale::RefundKind;
use shared::shift::MovementKind;
use shared::sync::{Event, EventEnvelope};

use crate::model::Till;

/// `Err(reason)` when `env` cannot be accepted from `till`.
pub fn check(till: &Till, env: &EventEnvelope) -> Result<(), String> {
    if env.till != till.id {
        return Err(format!("the event names till {}, but it was sent by till {}", env.till, till.id));
    }
    if env.seq == 0 {
        return Err("sequence numbers start at 1".into());
    }
    let own = |what: &str, branch: shared::ids::BranchId, t: shared::ids::TillId| -> Result<(), String> {
        if t != till.id {
            return Err(format!("the {what} names till {t}, but it was sent by till {}", till.id));
        }
        if branch != till.branch_id {
            return Err(format!("the {what} names branch {branch}, but the till belongs to branch {}", till.branch_id));
        }
        Ok(())
    };
    let receipt = |what: &str, r: &shared::receipt::ReceiptNo| -> Result<(), String> {
        if r.branch != till.branch_code || r.till != till.number {
            return Err(format!(
                "{what} {r} is not a receipt number of this till ({}-{:02}-…)",
                till.branch_code, till.number
            ));
        }
        Ok(())
    };
    match &env.event {
        Event::SaleCompleted(s) => {
            own("sale", s.branch, s.till)?;
            receipt("receipt", &s.receipt_no)?;
            s.check().map_err(|e| format!("the sale does not add up: {e}"))
        }
        Event::SaleRefunded(r) | Event::SaleVoided(r) => {
            let voided = matches!(env.event, Event::SaleVoided(_));
            own("refund", r.branch, r.till)?;
            receipt("refund receipt", &r.receipt_no)?;
            if voided != (r.kind == RefundKind::Void) {
                return Err("a void must be sent as sale_voided, and only a void".into());
            }
            if r.lines.is_empty() {
                return Err("the refund has no lines".into());
            }
            if r.total.is_negative() || r.tenders.iter().any(|t| t.amount.is_negative()) {
                return Err("refund amounts must not be negative".into());
            }
            if r.kind != RefundKind::NoReceipt && r.sale.is_none() {
                return Err("a return or void must name the sale it corrects".into());
            }
            if r.points_taken_back < 0 || r.points_restored < 0 {
                return Err("points taken back and restored must not be negative".into());
            }
            Ok(())
        }
        Event::ShiftOpened(o) => {
            if o.float.is_negative() {
                return Err("the float must not be negative".into());
            }
            if o.float_count.total() != o.float {
                return Err(format!("the float {} does not match its count {}", o.float, o.float_count.total()));
            }
            Ok(())
        }
        Event::CashMovement(m) => {
            if m.amount.is_negative() {
                return Err("a cash movement must not be negative".into());
            }
            if m.kind == MovementKind::NoSale && !m.amount.is_zero() {
                return Err("a no-sale drawer opening moves no money".into());
            }
            if m.kind == MovementKind::CashTopUp && m.member.is_none() {
                return Err("a cash top-up must name the member credited".into());
            }
            Ok(())
        }
        Event::ShiftClosed(z) => {
            if z.report.counted.is_some_and(|c| c != z.count.total()) {
                return Err("the Z report's counted cash does not match the count".into());
            }
            Ok(())
        }
        Event::DayClosed(_) | Event::Audit(_) => Ok(()),
        Event::MemberEnrolled(m) => {
            if m.name.chars().count() > 100 {
                return Err("the member's name is longer than 100 characters".into());
            }
            Ok(())
        }
    }
}
