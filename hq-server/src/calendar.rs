//! HQ's calendar: which business day "today" is, and in which zone a time is shown.
//!
//! A branch's business day is `shared::branch::BranchSettings::business_day` (its zone and its
//! cut-off), the same rule its tills file their sales under. A page or report about one branch
//! uses that branch's day and shows times in its zone; a page about several branches uses the
//! chain's day (`shared::branch::chain_day`: the day still being traded at the branch that
//! started it last). The member programme's own calendar (the day a ledger entry is booked on,
//! points lots' expiry) is the chain's, in [`HQ_TIME_ZONE`].

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Timestamp, Zoned};
use shared::branch::{BranchSettings, ChainDay};

/// The zone of the chain-wide calendar: the member ledger's days, points expiry, and times that
/// belong to no branch (the audit log, policy versions, console users).
pub const HQ_TIME_ZONE: &str = "Asia/Shanghai";

/// The chain calendar's day at `at`.
pub fn hq_day(at: Timestamp) -> Date {
    hq_time(at).date()
}

/// The day `days` days before `day`, never before 0000-01-01: a period's default start, which
/// must stay a date its answer can write as `YYYY-MM-DD` however early the end it was asked for.
pub fn days_before(day: Date, days: i32) -> Date {
    let first = Date::constant(0, 1, 1);
    day.checked_sub(jiff::Span::new().days(days)).map_or(first, |d| d.max(first)).min(day)
}

/// `at` in the chain's zone.
pub fn hq_time(at: Timestamp) -> Zoned {
    at.to_zoned(hq_zone())
}

pub fn hq_zone() -> TimeZone {
    shared::branch::zone(HQ_TIME_ZONE)
}

/// The chain's "today" over these branches at `at`.
pub fn chain_day(branches: &[BranchSettings], at: Timestamp) -> ChainDay {
    shared::branch::chain_day(branches, at, HQ_TIME_ZONE)
}

/// How a page says what "today" is for several branches, in `lang`.
pub fn chain_day_note(day: &ChainDay, lang: shared::lang::Lang) -> String {
    match (&day.set_by, lang) {
        (Some((code, cutoff, zone)), shared::lang::Lang::ZhCn) => format!(
            "今天 = 营业日 {}：全部门店中最后换日的 {code} 仍在营业的那一天（{zone}，{} 换日）；单个门店的页面按该门店自己的营业日。",
            day.day,
            cutoff.strftime("%H:%M")
        ),
        (Some((code, cutoff, zone)), _) => format!(
            "Today = business day {}: the day still being traded at {code}, the last branch to start a new day ({zone}, new day at {}); a branch's own pages use that branch's business day.",
            day.day,
            cutoff.strftime("%H:%M")
        ),
        (None, shared::lang::Lang::ZhCn) => format!("今天 = {}（{HQ_TIME_ZONE}）", day.day),
        (None, _) => format!("Today = {} ({HQ_TIME_ZONE})", day.day),
    }
}

/// `at` as a branch's local date and time, with the zone named (`2026-11-29 00:30:12 Asia/Shanghai`).
pub fn branch_time(branch: &BranchSettings, at: Timestamp, format: &str) -> String {
    let local = branch.local(at);
    format!("{} {}", local.strftime(format), branch.time_zone)
}
