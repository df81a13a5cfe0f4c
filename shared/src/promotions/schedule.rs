//! Who and when a promotion is for: branches, the schedule (domain.md "Schedules: the date range
//! includes both ends; a time window includes its start, not its end, and does not wrap past
//! midnight"), the audience, and what is left of a member's limit.

use jiff::civil::DateTime;

use super::{Audience, Branches, Customer, Promotion, PromotionCart, Schedule};
use crate::ids::BranchId;

impl Schedule {
    /// Whether `at` (branch local civil time) falls inside the schedule.
    pub fn is_active(&self, at: DateTime) -> bool {
        let day = at.date();
        if day < self.from || day > self.to {
            return false;
        }
        if let Some(days) = &self.weekdays {
            let iso = u8::try_from(day.weekday().to_monday_one_offset()).unwrap_or(0);
            if !days.contains(&iso) {
                return false;
            }
        }
        match self.time_window {
            Some(w) => w.start <= at.time() && at.time() < w.end,
            None => true,
        }
    }
}

impl Branches {
    pub fn includes(&self, branch: BranchId) -> bool {
        match self {
            Branches::All => true,
            Branches::Only(list) => list.contains(&branch),
        }
    }
}

impl Audience {
    pub fn includes(&self, customer: &Customer) -> bool {
        match self {
            Audience::Everyone => true,
            Audience::Members => customer.member,
            Audience::Tiers(codes) => customer.member && customer.tier.as_ref().is_some_and(|t| codes.contains(t)),
        }
    }
}

/// How many more applications this sale may have of `p`: none once a member has had it in as many
/// sales as the per-member limit allows, else the per-sale limit. `None` is unlimited.
pub fn applications_left(p: &Promotion, customer: &Customer) -> Option<u32> {
    match p.limits.per_member {
        Some(max) if customer.member && customer.used_by_member.get(&p.id).copied().unwrap_or(0) >= max => Some(0),
        _ => p.limits.per_sale,
    }
}

/// Whether `p` can apply to this cart at all: its branch, schedule, audience and limits.
pub fn is_for(p: &Promotion, cart: &PromotionCart) -> bool {
    p.branches.includes(cart.branch)
        && p.schedule.is_active(cart.at)
        && p.audience.includes(&cart.customer)
        && applications_left(p, &cart.customer) != Some(0)
}

#[cfg(test)]
mod tests {
    use jiff::civil::{date, time};

    use super::*;
    use crate::promotions::TimeWindow;

    fn schedule(weekdays: Option<Vec<u8>>, window: Option<(i8, i8)>) -> Schedule {
        Schedule {
            from: date(2026, 11, 1),
            to: date(2026, 11, 30),
            weekdays,
            time_window: window.map(|(s, e)| TimeWindow { start: time(s, 0, 0, 0), end: time(e, 0, 0, 0) }),
        }
    }

    fn check(s: &Schedule, at: DateTime, expected: bool) {
        assert_eq!(s.is_active(at), expected, "{at}");
    }

    #[test]
    fn date_range_includes_both_ends() {
        let s = schedule(None, None);
        check(&s, date(2026, 11, 1).at(0, 0, 0, 0), true);
        check(&s, date(2026, 11, 30).at(23, 59, 59, 0), true);
        check(&s, date(2026, 10, 31).at(23, 59, 59, 0), false);
        check(&s, date(2026, 12, 1).at(0, 0, 0, 0), false);
    }

    #[test]
    fn time_window_includes_its_start_not_its_end() {
        let s = schedule(None, Some((9, 12)));
        check(&s, date(2026, 11, 5).at(9, 0, 0, 0), true);
        check(&s, date(2026, 11, 5).at(11, 59, 59, 999_999_999), true);
        check(&s, date(2026, 11, 5).at(12, 0, 0, 0), false);
        check(&s, date(2026, 11, 5).at(8, 59, 59, 0), false);
    }

    #[test]
    fn weekdays_are_iso_numbers() {
        // 2026-11-30 is a Monday, 2026-11-29 a Sunday.
        let s = schedule(Some(vec![1]), None);
        check(&s, date(2026, 11, 30).at(10, 0, 0, 0), true);
        check(&s, date(2026, 11, 29).at(10, 0, 0, 0), false);
        let s = schedule(Some(vec![6, 7]), None);
        check(&s, date(2026, 11, 29).at(10, 0, 0, 0), true);
    }

    #[test]
    fn audience() {
        let guest = Customer::default();
        let gold = Customer { member: true, tier: Some("gold".into()), ..Customer::default() };
        assert!(Audience::Everyone.includes(&guest));
        assert!(!Audience::Members.includes(&guest));
        assert!(Audience::Members.includes(&gold));
        assert!(Audience::Tiers(vec!["gold".into()]).includes(&gold));
        assert!(!Audience::Tiers(vec!["silver".into()]).includes(&gold));
    }
}
