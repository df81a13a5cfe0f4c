//! Complaints and feedback (投诉) as a rule, with no I/O: which change may be made to a complaint in
//! which state and by whom (staff or the member who filed it), when a complaint is due and when it
//! is overdue, the bounds of what is typed, and the time-to-resolve figures of the report.
//!
//! A complaint is open when filed, in progress once someone works on it, resolved when staff
//! write what was done, and then either confirmed by the member (the end) or closed by staff.
//! A resolution the member does not accept goes back to in progress (reopen), by the member or by
//! staff; staff may also reopen a closed complaint. A confirmed complaint is over for good.
//! Assigning does not change the state: an open or in-progress complaint may be given to someone.

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Where a complaint stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ComplaintState {
    Open,
    InProgress,
    Resolved,
    /// The member confirmed the resolution: over.
    Confirmed,
    /// Staff closed it after resolving it.
    Closed,
}

impl ComplaintState {
    pub const ALL: [ComplaintState; 5] = [
        ComplaintState::Open,
        ComplaintState::InProgress,
        ComplaintState::Resolved,
        ComplaintState::Confirmed,
        ComplaintState::Closed,
    ];

    pub fn code(self) -> &'static str {
        match self {
            ComplaintState::Open => "open",
            ComplaintState::InProgress => "in_progress",
            ComplaintState::Resolved => "resolved",
            ComplaintState::Confirmed => "confirmed",
            ComplaintState::Closed => "closed",
        }
    }

    pub fn parse(code: &str) -> Option<ComplaintState> {
        ComplaintState::ALL.into_iter().find(|s| s.code() == code)
    }

    /// Still waiting for someone to deal with it: the states a due time applies to.
    pub fn awaits_resolution(self) -> bool {
        matches!(self, ComplaintState::Open | ComplaintState::InProgress)
    }
}

/// Who makes a change: HQ or branch staff (console, API, till), or the member on their pages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Party {
    Staff,
    Member,
}

/// A change to a complaint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Give it to someone (the state stays).
    Assign,
    /// Begin work on it.
    Start,
    /// Say what was done (a resolution text).
    Resolve,
    /// The member accepts the resolution.
    Confirm,
    /// Staff end it after resolving it.
    Close,
    /// Back to work: the resolution was not accepted, or a closed complaint comes back.
    Reopen,
}

impl Action {
    pub const ALL: [Action; 6] =
        [Action::Assign, Action::Start, Action::Resolve, Action::Confirm, Action::Close, Action::Reopen];

    pub fn code(self) -> &'static str {
        match self {
            Action::Assign => "assign",
            Action::Start => "start",
            Action::Resolve => "resolve",
            Action::Confirm => "confirm",
            Action::Close => "close",
            Action::Reopen => "reopen",
        }
    }

    pub fn parse(code: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.code() == code)
    }
}

/// Why a change is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("a complaint that is {} cannot be {}", .state.code(), past(.action))]
    NotFromState { state: ComplaintState, action: Action },
    #[error("only {} may {} a complaint", other_party(.party), .action.code())]
    NotForParty { party: Party, action: Action },
}

/// Who may do what `party` may not.
fn other_party(party: &Party) -> &'static str {
    match party {
        Party::Member => "staff",
        Party::Staff => "the member",
    }
}

fn past(a: &Action) -> &'static str {
    match a {
        Action::Assign => "assigned",
        Action::Start => "started",
        Action::Resolve => "resolved",
        Action::Confirm => "confirmed",
        Action::Close => "closed",
        Action::Reopen => "reopened",
    }
}

/// The state after `party` makes `action` on a complaint in `state`, or why it may not.
pub fn after(state: ComplaintState, action: Action, party: Party) -> Result<ComplaintState, TransitionError> {
    use Action as A;
    use ComplaintState as S;
    let staff_only = matches!(action, A::Assign | A::Start | A::Resolve | A::Close);
    if staff_only && party == Party::Member || action == A::Confirm && party == Party::Staff {
        return Err(TransitionError::NotForParty { party, action });
    }
    let next = match (action, state) {
        (A::Assign, S::Open | S::InProgress) => state,
        (A::Start, S::Open) => S::InProgress,
        (A::Resolve, S::Open | S::InProgress) => S::Resolved,
        (A::Confirm, S::Resolved) => S::Confirmed,
        (A::Close, S::Resolved) => S::Closed,
        (A::Reopen, S::Resolved) => S::InProgress,
        (A::Reopen, S::Closed) if party == Party::Staff => S::InProgress,
        _ => return Err(TransitionError::NotFromState { state, action }),
    };
    Ok(next)
}

/// What `party` may do to a complaint in `state` (the buttons a page shows).
pub fn actions(state: ComplaintState, party: Party) -> Vec<Action> {
    Action::ALL.into_iter().filter(|a| after(state, *a, party).is_ok()).collect()
}

/// When a complaint filed at `created` is due: its category's hours later.
pub fn due_at(created: Timestamp, due_hours: u32) -> Timestamp {
    created.saturating_add(SignedDuration::from_hours(i64::from(due_hours))).unwrap_or(created)
}

/// Past its due time and not resolved yet (a resolved, confirmed or closed complaint never is).
pub fn is_overdue(state: ComplaintState, due: Timestamp, now: Timestamp) -> bool {
    state.awaits_resolution() && now > due
}

/// The longest complaint or resolution text, in characters (the till checks the same:
/// `shared::complaints::TEXT_MAX`).
pub const TEXT_MAX: usize = shared::complaints::TEXT_MAX;
/// The longest category name, in characters.
pub const CATEGORY_NAME_MAX: usize = 40;
/// The longest due time a category may give, in hours (30 days).
pub const DUE_HOURS_MAX: u32 = 720;

/// A typed text trimmed, or why it is refused: empty, longer than `max` characters as typed, or
/// with control characters (line breaks are kept). The rule is `shared::complaints::text`, which
/// a till applies before it stores a complaint.
pub fn text(field: &str, value: &str, max: usize) -> Result<String, String> {
    shared::complaints::text(field, value, max)
}

/// A category's due time in hours, or why it is refused.
pub fn due_hours(hours: i64) -> Result<u32, String> {
    match u32::try_from(hours) {
        Ok(h) if (1..=DUE_HOURS_MAX).contains(&h) => Ok(h),
        _ => Err(format!("due_hours: between 1 and {DUE_HOURS_MAX}")),
    }
}

/// Counts and times to resolve, in whole minutes: the median (of an even count, the lower
/// middle's and upper middle's mean, rounded down) and the mean (rounded down).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ResolveTimes {
    /// How many were resolved.
    pub resolved: u64,
    pub median_minutes: Option<i64>,
    pub mean_minutes: Option<i64>,
}

impl ResolveTimes {
    pub fn of(mut minutes: Vec<i64>) -> ResolveTimes {
        if minutes.is_empty() {
            return ResolveTimes::default();
        }
        minutes.sort_unstable();
        let n = minutes.len();
        let median = if n % 2 == 1 {
            minutes[n / 2]
        } else {
            (i128::from(minutes[n / 2 - 1]) + i128::from(minutes[n / 2])).div_euclid(2) as i64
        };
        let sum: i128 = minutes.iter().map(|m| i128::from(*m)).sum();
        let mean = sum.div_euclid(n as i128) as i64;
        ResolveTimes { resolved: n as u64, median_minutes: Some(median), mean_minutes: Some(mean) }
    }
}

/// Whole minutes from `from` to `to` (never negative).
pub fn minutes_between(from: Timestamp, to: Timestamp) -> i64 {
    (to.as_second() - from.as_second()).max(0) / 60
}

/// The report over the complaints filed in a period: counts and times to resolve by category
/// and by branch, and in all. Unresolved and overdue are as things stand at `now`.
pub fn report(
    facts: &[crate::model::ComplaintFact],
    from: jiff::civil::Date,
    to: jiff::civil::Date,
    now: Timestamp,
) -> crate::model::ComplaintReport {
    use std::collections::BTreeMap;

    use crate::model::{ComplaintCounts, ComplaintReport};
    #[derive(Default)]
    struct Acc {
        name: String,
        filed: u64,
        unresolved: u64,
        overdue: u64,
        minutes: Vec<i64>,
    }
    fn add(acc: &mut Acc, f: &crate::model::ComplaintFact, now: Timestamp) {
        acc.filed += 1;
        if f.state.awaits_resolution() {
            acc.unresolved += 1;
        }
        if is_overdue(f.state, f.due_at, now) {
            acc.overdue += 1;
        }
        if let Some(r) = f.resolved_at.filter(|_| !f.state.awaits_resolution()) {
            acc.minutes.push(minutes_between(f.created_at, r));
        }
    }
    fn row(id: i64, acc: Acc) -> ComplaintCounts {
        ComplaintCounts {
            id,
            name: acc.name,
            filed: acc.filed,
            unresolved: acc.unresolved,
            overdue: acc.overdue,
            times: ResolveTimes::of(acc.minutes),
        }
    }
    let mut total = Acc::default();
    let mut by_category: BTreeMap<i64, Acc> = BTreeMap::new();
    let mut by_branch: BTreeMap<i64, Acc> = BTreeMap::new();
    for f in facts {
        add(&mut total, f, now);
        let c = by_category.entry(f.category_id).or_default();
        c.name.clone_from(&f.category_name);
        add(c, f, now);
        let b = by_branch.entry(f.branch_id.0).or_default();
        b.name.clone_from(&f.branch_code);
        add(b, f, now);
    }
    ComplaintReport {
        from,
        to,
        total: row(0, total),
        by_category: by_category.into_iter().map(|(id, a)| row(id, a)).collect(),
        by_branch: by_branch.into_iter().map(|(id, a)| row(id, a)).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::ComplaintState as S;
    use super::*;

    fn check(state: S, action: Action, party: Party, expected: Result<S, ()>) {
        assert_eq!(after(state, action, party).map_err(|_| ()), expected, "{state:?} {action:?} by {party:?}");
    }

    #[test]
    fn staff_take_a_complaint_from_open_to_closed() {
        use Action::*;
        use Party::Staff;
        check(S::Open, Assign, Staff, Ok(S::Open));
        check(S::Open, Start, Staff, Ok(S::InProgress));
        check(S::InProgress, Assign, Staff, Ok(S::InProgress));
        check(S::InProgress, Resolve, Staff, Ok(S::Resolved));
        check(S::Open, Resolve, Staff, Ok(S::Resolved));
        check(S::Resolved, Close, Staff, Ok(S::Closed));
        check(S::Resolved, Reopen, Staff, Ok(S::InProgress));
        check(S::Closed, Reopen, Staff, Ok(S::InProgress));
    }

    #[test]
    fn the_member_confirms_or_reopens_a_resolved_complaint_and_nothing_else() {
        use Action::*;
        use Party::Member;
        check(S::Resolved, Confirm, Member, Ok(S::Confirmed));
        check(S::Resolved, Reopen, Member, Ok(S::InProgress));
        for s in S::ALL {
            for a in [Assign, Start, Resolve, Close] {
                assert_eq!(after(s, a, Member), Err(TransitionError::NotForParty { party: Member, action: a }));
            }
            if s != S::Resolved {
                check(s, Confirm, Member, Err(()));
                check(s, Reopen, Member, Err(()));
            }
        }
    }

    #[test]
    fn forbidden_changes_are_refused_with_the_reason() {
        use Action::*;
        use Party::*;
        check(S::Open, Close, Staff, Err(()));
        check(S::InProgress, Start, Staff, Err(()));
        check(S::Resolved, Resolve, Staff, Err(()));
        check(S::Closed, Close, Staff, Err(()));
        check(S::Resolved, Confirm, Staff, Err(()));
        check(S::Closed, Reopen, Member, Err(()));
        for a in Action::ALL {
            // A confirmed complaint is over for everyone.
            check(S::Confirmed, a, Staff, Err(()));
            check(S::Confirmed, a, Member, Err(()));
        }
        let e = after(S::Open, Close, Staff).expect_err("refused");
        assert_eq!(e.to_string(), "a complaint that is open cannot be closed");
        let e = after(S::Resolved, Confirm, Staff).expect_err("refused");
        assert_eq!(e.to_string(), "only the member may confirm a complaint");
    }

    #[test]
    fn the_buttons_are_the_allowed_changes() {
        assert_eq!(actions(S::Open, Party::Staff), vec![Action::Assign, Action::Start, Action::Resolve]);
        assert_eq!(actions(S::Resolved, Party::Staff), vec![Action::Close, Action::Reopen]);
        assert_eq!(actions(S::Resolved, Party::Member), vec![Action::Confirm, Action::Reopen]);
        assert!(actions(S::Confirmed, Party::Staff).is_empty());
    }

    #[test]
    fn a_complaint_is_overdue_past_its_due_time_until_resolved() {
        let created: Timestamp = "2026-11-30T02:00:00Z".parse().expect("time");
        let due = due_at(created, 24);
        assert_eq!(due, "2026-12-01T02:00:00Z".parse::<Timestamp>().expect("time"));
        let after_due = due_at(due, 1);
        assert!(!is_overdue(S::Open, due, due), "due is not yet overdue");
        assert!(is_overdue(S::Open, due, after_due));
        assert!(is_overdue(S::InProgress, due, after_due));
        for s in [S::Resolved, S::Confirmed, S::Closed] {
            assert!(!is_overdue(s, due, after_due), "{s:?}");
        }
    }

    #[test]
    fn texts_and_due_hours_have_bounds() {
        assert_eq!(text("text", "  坏了 \n", TEXT_MAX), Ok("坏了".into()));
        assert!(text("text", "   ", TEXT_MAX).expect_err("empty").starts_with("text:"));
        assert!(text("text", &"长".repeat(TEXT_MAX), TEXT_MAX).is_ok());
        assert!(text("text", &"长".repeat(TEXT_MAX + 1), TEXT_MAX).is_err());
        assert!(text("text", "a\u{7}b", TEXT_MAX).is_err());
        assert_eq!(due_hours(48), Ok(48));
        assert!(due_hours(0).is_err() && due_hours(721).is_err() && due_hours(-1).is_err());
    }

    #[test]
    fn resolve_times_take_the_median_and_the_mean_in_whole_minutes() {
        assert_eq!(ResolveTimes::of(vec![]), ResolveTimes::default());
        let t = ResolveTimes::of(vec![30, 10, 20]);
        assert_eq!((t.resolved, t.median_minutes, t.mean_minutes), (3, Some(20), Some(20)));
        let t = ResolveTimes::of(vec![10, 20, 25, 100]);
        assert_eq!((t.median_minutes, t.mean_minutes), (Some(22), Some(38)));
        let a: Timestamp = "2026-11-30T02:00:00Z".parse().expect("time");
        assert_eq!(minutes_between(a, due_at(a, 2)), 120);
        assert_eq!(minutes_between(due_at(a, 2), a), 0);
    }

    #[test]
    fn the_report_counts_by_category_and_branch_with_times_to_resolve() {
        use crate::model::ComplaintFact;
        use shared::ids::BranchId;
        let t0: Timestamp = "2026-11-01T02:00:00Z".parse().expect("time");
        let fact = |branch: i64, category: i64, state: S, hours_to_resolve: Option<u32>| ComplaintFact {
            branch_id: BranchId(branch),
            branch_code: format!("B00{branch}"),
            category_id: category,
            category_name: format!("k{category}"),
            state,
            created_at: t0,
            due_at: due_at(t0, 24),
            resolved_at: hours_to_resolve.map(|h| due_at(t0, h)),
        };
        let facts = [
            fact(1, 1, S::Closed, Some(2)),
            fact(1, 2, S::Confirmed, Some(4)),
            fact(2, 1, S::Open, None),
            // Reopened: it was resolved once, but its time counts when it is resolved again.
            fact(2, 1, S::InProgress, None),
            fact(2, 1, S::Resolved, Some(30)),
        ];
        let day = jiff::civil::date(2026, 11, 1);
        let r = report(&facts, day, day, due_at(t0, 48));
        assert_eq!((r.total.filed, r.total.unresolved, r.total.overdue), (5, 2, 2));
        assert_eq!(r.total.times, ResolveTimes::of(vec![120, 240, 1800]));
        let k1 = &r.by_category[0];
        assert_eq!((k1.id, k1.name.as_str(), k1.filed, k1.unresolved), (1, "k1", 4, 2));
        assert_eq!((k1.times.median_minutes, k1.times.mean_minutes), (Some(960), Some(960)));
        let b1 = &r.by_branch[0];
        assert_eq!((b1.name.as_str(), b1.filed, b1.overdue, b1.times.resolved), ("B001", 2, 0, 2));
        let b2 = &r.by_branch[1];
        assert_eq!((b2.filed, b2.unresolved, b2.overdue), (3, 2, 2));
    }
}
