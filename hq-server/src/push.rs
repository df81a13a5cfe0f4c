//! A till's push and pull as HQ answers them, without HTTP: the checks of a batch, its ingest in
//! one transaction, the clock-skew warning; and a page of changes as the JSON body tills parse.
//! The HTTP handlers (`http::sync`) call these on the store's worker; the deterministic
//! simulation of tills and HQ (`tests::sim`) calls them directly, so both run the same code.

use std::fmt::Write as _;
use std::time::Duration;

use jiff::Timestamp;
use shared::sync::{PROTOCOL_VERSION, PushRequest, PushResponse};

use crate::error::AppError;
use crate::event_checks;
use crate::model::{ChangePage, Till};
use crate::store::Store;

/// The most events one push may carry.
pub const MAX_BATCH: usize = 1000;

/// Receives `req` from `till` (already authenticated) at `received_at`: refuses a batch of
/// another protocol, of another till or over [`MAX_BATCH`]; checks each event and ingests the
/// batch in one transaction; answers each event's outcome, HQ's time, the till's clock skew
/// (with a warning past `skew_warning`), the oldest open sequence gap and, for a batch that
/// closes a day, the audit chain's head.
pub fn receive(
    store: &dyn Store,
    till: &Till,
    req: PushRequest,
    received_at: Timestamp,
    skew_warning: Duration,
) -> Result<PushResponse, AppError> {
    if req.protocol != PROTOCOL_VERSION {
        return Err(AppError::Protocol(req.protocol));
    }
    if req.till != till.id {
        return Err(AppError::Forbidden(format!("this token belongs to till {}, not till {}", till.id, req.till)));
    }
    if req.events.len() > MAX_BATCH {
        return Err(AppError::Validation(format!("a batch carries at most {MAX_BATCH} events")));
    }
    let reference = req.sent_at.or_else(|| req.events.iter().map(|e| e.at).max());
    let skew = reference.map_or(0, |t| t.duration_since(received_at).as_secs());
    let limit = i64::try_from(skew_warning.as_secs()).unwrap_or(i64::MAX);
    let clock_warning = (skew.unsigned_abs() > limit.unsigned_abs()).then(|| {
        let (n, unit) = if skew.abs() >= 3600 { (skew.abs() / 3600, "hours") } else { (skew.abs() / 60, "minutes") };
        let side = if skew > 0 { "ahead of" } else { "behind" };
        format!("this till's clock is about {n} {unit} {side} HQ's; set the till's clock")
    });
    let closes_a_day = req.events.iter().any(|e| matches!(e.event, shared::sync::Event::DayClosed(_)));
    let mut events = req.events;
    let verdicts: Vec<event_checks::Verdict> =
        events.iter_mut().map(|e| event_checks::first_verdict(till, e)).collect();
    let outcome = store.ingest(till, &events, &verdicts, received_at, skew)?;
    // A day closed: the till keeps the audit chain's head as a witness.
    let audit_head = if closes_a_day { store.audit_head()? } else { None };
    Ok(PushResponse {
        results: outcome.results,
        received_at,
        clock_skew_seconds: skew,
        clock_warning,
        gap: outcome.gap,
        audit_head,
    })
}

/// A page of changes as the body of a pull answer: exactly a `shared::sync::PullResponse`. The
/// feed stores each change as JSON already, so it is spliced in rather than parsed and re-encoded.
pub fn pull_body(page: &ChangePage) -> String {
    let size: usize = page.changes.iter().map(|(_, p)| p.len() + 32).sum();
    let mut body = String::with_capacity(size + 96);
    body.push_str("{\"changes\":[");
    for (i, (seq, payload)) in page.changes.iter().enumerate() {
        if i > 0 {
            body.push(',');
        }
        let _ = write!(body, "{{\"seq\":{seq},\"change\":{payload}}}");
    }
    let _ = write!(
        body,
        "],\"next_cursor\":{},\"has_more\":{},\"latest\":{}}}",
        page.next_cursor, page.has_more, page.latest
    );
    body
}
