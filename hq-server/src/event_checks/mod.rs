//! The checks of a pushed event. [`check`] needs nothing but the event and the till that sent it
//! (run before the store is touched); [`value::check_value`] checks every figure HQ can know
//! better than the till against [`facts::Facts`] the store reads inside the ingest's transaction.
//! Both sit above the store traits, so every store runs the same checks. A failed check rejects
//! the event with the reason; it is still stored, never dropped.

pub mod facts;
pub mod value;

pub use facts::{Facts, HoldRecord};
pub use value::{Verdict, check_value};

use shared::sale::RefundKind;
use shared::shift::MovementKind;
use shared::sync::{Event, EventEnvelope};

use crate::model::Till;

/// Masks any card number or track data in the tender references of a sale or refund to the first
/// six and last four digits (PCI DSS 3.4), before HQ stores anything of it. Whether it masked any.
pub fn mask_card_data(event: &mut Event) -> bool {
    let tenders = match event {
        Event::SaleCompleted(s) => &mut s.tenders,
        Event::SaleRefunded(r) | Event::SaleVoided(r) => &mut r.tenders,
        _ => return false,
    };
    let mut masked = false;
    for t in tenders.iter_mut() {
        if let Some(r) = &mut t.reference
            && shared::card_data::holds_card_data(r)
        {
            *r = shared::card_data::mask_card_data(r);
            masked = true;
        }
    }
    masked
}

/// The stateless check of an event as it arrived: its card data masked first (and flagged), then
/// [`check`].
pub fn first_verdict(till: &Till, env: &mut EventEnvelope) -> Verdict {
    let masked = mask_card_data(&mut env.event);
    check(till, env)?;
    Ok(if masked {
        vec!["a tender reference held a card number; HQ kept only its first six and last four digits".into()]
    } else {
        Vec::new()
    })
}

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
            r.check().map_err(|e| format!("the refund does not add up: {e}"))
        }
        Event::ShiftOpened(o) => {
            shared::limits::non_negative("the float", o.float).map_err(|e| e.to_string())?;
            if o.float_count.total() != o.float {
                return Err(format!("the float {} does not match its count {}", o.float, o.float_count.total()));
            }
            Ok(())
        }
        Event::CashMovement(m) => {
            shared::limits::non_negative("a cash movement", m.amount).map_err(|e| e.to_string())?;
            if m.kind == MovementKind::NoSale && !m.amount.is_zero() {
                return Err("a no-sale drawer opening moves no money".into());
            }
            if m.kind == MovementKind::CashTopUp && m.member.is_none() {
                return Err("a cash top-up must name the member credited".into());
            }
            Ok(())
        }
        Event::ShiftClosed(z) => {
            z.report.check_bounds().map_err(|e| format!("the Z report: {e}"))?;
            if z.report.counted.is_some_and(|c| c != z.count.total()) {
                return Err("the Z report's counted cash does not match the count".into());
            }
            Ok(())
        }
        Event::DayClosed(d) => d.summary.check_bounds().map_err(|e| format!("the day's summary: {e}")),
        Event::Audit(_) => Ok(()),
        Event::MemberEnrolled(m) => {
            if m.name.chars().count() > 100 {
                return Err("the member's name is longer than 100 characters".into());
            }
            Ok(())
        }
    }
}
