//! Member care (客户关怀): birthday, holiday and win-back messages to members, sent through the
//! same [`crate::sms::SmsSender`] as the member pages' codes. A campaign's audience and what is
//! decided for each member (consent, the month's cap) are written whole when it is made; then the
//! messages go out in the background, each claimed by one HQ process before it is sent, so a
//! message is never sent twice and one whose process died mid-send is marked, not resent.

use std::time::Duration;

use jiff::civil::Date;
use shared::care::{CareKind, render};
use shared::member::Phone;

use crate::http::AppState;
use crate::model::NewCare;
use crate::store::{StoreError, StoreResult};

/// Care messages a member may be sent in a calendar month, by default.
pub const DEFAULT_MONTHLY_CAP: u32 = 4;

/// A claimed message not finished within this long lost its process.
const STALE: Duration = Duration::from_secs(10 * 60);

/// Checks a campaign's fields on their own (what it reaches is the store's to decide).
pub fn check(new: &NewCare) -> StoreResult<()> {
    let invalid = |m: &str| Err(StoreError::Invalid(m.to_owned()));
    let name = new.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return invalid("a campaign's name has 1 to 100 characters");
    }
    // The template with the longest name HQ keeps, so every member's message fits.
    render(&new.template, &"长".repeat(20), &"长".repeat(20)).map_err(|e| StoreError::Invalid(e.to_string()))?;
    match new.kind {
        CareKind::Birthday if !(1..=31).contains(&new.days_ahead.unwrap_or(7)) => {
            return invalid("a birthday campaign looks 1 to 31 days ahead");
        }
        CareKind::WinBack if !(14..=3650).contains(&new.inactive_days.unwrap_or(90)) => {
            return invalid("a win-back campaign is for members inactive 14 to 3650 days");
        }
        _ => {}
    }
    if new.kind != CareKind::Birthday && new.days_ahead.is_some() {
        return invalid("only a birthday campaign looks days ahead");
    }
    if new.kind != CareKind::WinBack && new.inactive_days.is_some() {
        return invalid("only a win-back campaign counts inactive days");
    }
    Ok(())
}

/// Today in the chain's calendar (a care campaign's days, and the month its cap counts in).
pub fn today(state: &AppState) -> Date {
    crate::calendar::hq_day(state.now())
}

/// Sends every queued care message, one claimed at a time, until none is left.
pub async fn deliver(state: AppState) {
    loop {
        let stale = state.now() - STALE;
        let claimed = match state.db(move |s| s.claim_care_message(stale)).await {
            Ok(Some(m)) => m,
            Ok(None) => return,
            Err(e) => {
                tracing::error!(error = %e, "could not claim a care message");
                return;
            }
        };
        let outcome = match Phone::parse(&claimed.phone) {
            Ok(phone) => state.sms.send(&phone, &claimed.text).await,
            Err(e) => Err(format!("the phone number is not one: {e}")),
        };
        if let Err(e) = &outcome {
            tracing::warn!(campaign = claimed.campaign, error = %e, "a care message could not be sent");
        }
        let (campaign, member) = (claimed.campaign, claimed.member_id.clone());
        if let Err(e) = state.db(move |s| s.finish_care_message(campaign, &member, outcome)).await {
            tracing::error!(error = %e, "could not record a care message's outcome");
            return;
        }
    }
}
