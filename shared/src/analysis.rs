//! Member analysis (会员分析): RFM scores in quintiles and their named segments, the 80/20
//! curve of how much of the sales the best members bring, cohorts by month of enrolment (how many
//! still buy N months later) and members by tier over time. Pure functions over what each member
//! bought and became; HQ reads the figures, these decide.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::Hash;

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::expenses::Month;
use crate::ids::MemberId;
use crate::money::{Bp, Money};

/// What one member bought in the period analysed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberActivity {
    pub member: MemberId,
    /// The business day of the member's last purchase.
    pub last_day: Date,
    /// Purchases (sales) in the period.
    pub orders: u32,
    /// What they paid, net of what was paid back.
    pub spend: Money,
}

/// A member's RFM scores, each 1 (worst fifth) to 5 (best fifth): recency (recent is better),
/// frequency and monetary (more is better).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Rfm {
    pub r: u8,
    pub f: u8,
    pub m: u8,
}

/// The eight classic segments, by whether each score is high (4 or 5... see [`Rfm::segment`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Segment {
    /// 重要价值: recent, frequent, big.
    ImportantValue,
    /// 重要唤回: frequent and big, but not recent: call them back.
    ImportantRecall,
    /// 重要深耕: recent and big, not yet frequent.
    ImportantDevelop,
    /// 重要挽留: big, but neither recent nor frequent: at risk of leaving.
    ImportantRetain,
    /// 潜力: recent and frequent, small baskets.
    Potential,
    /// 新客: recent, once or twice, small.
    New,
    /// 一般维持: frequent, small, not recent.
    General,
    /// 流失风险: neither recent, frequent nor big.
    AtRisk,
}

impl Segment {
    pub const ALL: [Segment; 8] = [
        Segment::ImportantValue,
        Segment::ImportantRecall,
        Segment::ImportantDevelop,
        Segment::ImportantRetain,
        Segment::Potential,
        Segment::New,
        Segment::General,
        Segment::AtRisk,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Segment::ImportantValue => "important_value",
            Segment::ImportantRecall => "important_recall",
            Segment::ImportantDevelop => "important_develop",
            Segment::ImportantRetain => "important_retain",
            Segment::Potential => "potential",
            Segment::New => "new",
            Segment::General => "general",
            Segment::AtRisk => "at_risk",
        }
    }

    pub fn parse(code: &str) -> Option<Segment> {
        Segment::ALL.into_iter().find(|s| s.code() == code)
    }

    /// The name HQ's staff know it by.
    pub fn name_zh(self) -> &'static str {
        match self {
            Segment::ImportantValue => "重要价值",
            Segment::ImportantRecall => "重要唤回",
            Segment::ImportantDevelop => "重要深耕",
            Segment::ImportantRetain => "重要挽留",
            Segment::Potential => "潜力",
            Segment::New => "新客",
            Segment::General => "一般维持",
            Segment::AtRisk => "流失风险",
        }
    }
}

impl Rfm {
    /// High is a score of 3 or more (the better three fifths, ties kept together).
    pub fn segment(self) -> Segment {
        match (self.r >= 3, self.f >= 3, self.m >= 3) {
            (true, true, true) => Segment::ImportantValue,
            (false, true, true) => Segment::ImportantRecall,
            (true, false, true) => Segment::ImportantDevelop,
            (false, false, true) => Segment::ImportantRetain,
            (true, true, false) => Segment::Potential,
            (true, false, false) => Segment::New,
            (false, true, false) => Segment::General,
            (false, false, false) => Segment::AtRisk,
        }
    }
}

/// Quintile scores of `values` (higher is better), in their order: a value's score is 1 + the
/// fifth its rank falls in, where its rank is how many values are strictly worse; equal values
/// get equal scores. Integers only.
fn quintiles(values: &[i64]) -> Vec<u8> {
    let n = values.len();
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    values
        .iter()
        .map(|v| {
            let below = sorted.partition_point(|x| x < v);
            // 1 + floor(5 * below / n), within 1..=5.
            (1 + (5 * below) / n.max(1)).min(5) as u8
        })
        .collect()
}

/// Every member's RFM scores, in the order given. Recency counts from `today` (fewer days since
/// the last purchase is better).
pub fn rfm_scores(members: &[MemberActivity], today: Date) -> Vec<Rfm> {
    let recency: Vec<i64> =
        members.iter().map(|m| -(today.since(m.last_day).map(|s| i64::from(s.get_days())).unwrap_or(0))).collect();
    let frequency: Vec<i64> = members.iter().map(|m| i64::from(m.orders)).collect();
    let monetary: Vec<i64> = members.iter().map(|m| m.spend.0).collect();
    let (r, f, m) = (quintiles(&recency), quintiles(&frequency), quintiles(&monetary));
    (0..members.len()).map(|i| Rfm { r: r[i], f: f[i], m: m[i] }).collect()
}

/// One point of the 80/20 curve: the best `members_bp` of members (by spend) bring `sales_bp` of
/// the sales.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurvePoint {
    pub members_bp: Bp,
    pub sales_bp: Bp,
}

/// The 80/20 curve at every tenth of the members (10 %, 20 %, …, 100 %), best spenders first.
/// A tenth that is not a whole number of members takes the members up to it (rounded up). With
/// no sales, every point says 0 % of sales.
pub fn pareto(spends: &[Money]) -> Vec<CurvePoint> {
    let mut sorted: Vec<i64> = spends.iter().map(|m| m.0.max(0)).collect();
    sorted.sort_unstable_by(|a, b| b.cmp(a));
    let total: i128 = sorted.iter().map(|s| i128::from(*s)).sum();
    let n = sorted.len();
    (1..=10)
        .map(|tenth| {
            let take = (n * tenth).div_ceil(10);
            let top: i128 = sorted[..take].iter().map(|s| i128::from(*s)).sum();
            let sales_bp = if total == 0 { 0 } else { (top * 10_000 / total) as i64 };
            CurvePoint { members_bp: Bp(tenth as i64 * 1_000), sales_bp: Bp(sales_bp) }
        })
        .collect()
}

/// The members who enrolled in one month, and how many of them bought in each month since.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cohort {
    pub month: Month,
    /// Members enrolled in the month.
    pub members: u64,
    /// `buying[k]`: how many of them bought in the k-th month after it (0: the month itself),
    /// up to the last month analysed (so later cohorts have fewer figures).
    pub buying: Vec<u64>,
}

impl Cohort {
    /// `buying` as shares of the cohort, in basis points (rounded down; 0 for an empty cohort).
    pub fn retention_bp(&self) -> Vec<Bp> {
        self.buying
            .iter()
            .map(|b| {
                Bp(if self.members == 0 { 0 } else { (i128::from(*b) * 10_000 / i128::from(self.members)) as i64 })
            })
            .collect()
    }
}

/// The cohorts of the months `first..=last`: each member under the month they enrolled in
/// (`enrolled`), each month they bought in (`bought`, repeats counted once) under its distance
/// from it. Members enrolled outside the months, and purchases before a member's enrolment month
/// or after `last`, are not counted. Every month of the range has its cohort, empty or not.
pub fn cohorts<K: Eq + Hash>(enrolled: &[(K, Month)], bought: &[(K, Month)], first: Month, last: Month) -> Vec<Cohort> {
    let span = first.months_until(last);
    if span < 0 {
        return Vec::new();
    }
    let mut out: Vec<Cohort> = Vec::with_capacity(span as usize + 1);
    let mut month = first;
    for k in 0..=span {
        out.push(Cohort { month, members: 0, buying: vec![0; (span - k) as usize + 1] });
        month = month.next();
    }
    let mut when: HashMap<&K, Month> = HashMap::with_capacity(enrolled.len());
    for (member, month) in enrolled {
        let k = first.months_until(*month);
        if (0..=span).contains(&k) && when.insert(member, *month).is_none() {
            out[k as usize].members += 1;
        }
    }
    let mut seen: HashSet<(&K, Month)> = HashSet::with_capacity(bought.len());
    for (member, month) in bought {
        let Some(joined) = when.get(member) else { continue };
        let after = joined.months_until(*month);
        if after < 0 || month.months_until(last) < 0 || !seen.insert((member, *month)) {
            continue;
        }
        out[first.months_until(*joined) as usize].buying[after as usize] += 1;
    }
    out
}

/// One member's tiers over time: when they enrolled, the tier they hold now, and their tier
/// changes (at, from, to) oldest first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TierHistory {
    pub enrolled_at: Timestamp,
    pub current: String,
    pub changes: Vec<(Timestamp, String, String)>,
}

impl TierHistory {
    /// The tier held just before `at` (none if not yet enrolled): the tier a change at or after
    /// `at` moved them from, else the one they hold now.
    pub fn tier_before(&self, at: Timestamp) -> Option<&str> {
        if self.enrolled_at >= at {
            return None;
        }
        let next = self.changes.partition_point(|(t, _, _)| *t < at);
        Some(self.changes.get(next).map_or(self.current.as_str(), |(_, from, _)| from.as_str()))
    }
}

/// How many members held each tier just before each of `ends` (a month's end is the next
/// month's first instant), one count per tier code a member held.
pub fn tiers_over_time(members: &[TierHistory], ends: &[Timestamp]) -> Vec<BTreeMap<String, u64>> {
    ends.iter()
        .map(|end| {
            let mut counts: BTreeMap<String, u64> = BTreeMap::new();
            for tier in members.iter().filter_map(|m| m.tier_before(*end)) {
                *counts.entry(tier.to_owned()).or_default() += 1;
            }
            counts
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use proptest::prelude::*;

    fn activity(days_ago: i16, orders: u32, spend: i64) -> MemberActivity {
        MemberActivity {
            member: MemberId::new(),
            last_day: date(2026, 11, 30).checked_sub(jiff::Span::new().days(days_ago)).expect("date"),
            orders,
            spend: Money(spend),
        }
    }

    fn month(text: &str) -> Month {
        Month::parse(text).expect("month")
    }

    #[test]
    fn cohorts_count_each_member_once_a_month_from_their_enrolment_month() {
        let enrolled =
            [("a", month("2026-09")), ("b", month("2026-09")), ("c", month("2026-10")), ("d", month("2026-06"))];
        let bought = [
            ("a", month("2026-09")),
            ("a", month("2026-09")), // twice in a month counts once
            ("a", month("2026-11")),
            ("b", month("2026-10")),
            ("c", month("2026-10")),
            ("c", month("2026-11")),
            ("c", month("2026-12")), // after the last month analysed
            ("b", month("2026-08")), // before enrolling (a sale before the card): not counted
            ("d", month("2026-10")), // enrolled before the first month: not a cohort of these
            ("x", month("2026-10")), // no such member
        ];
        let c = cohorts(&enrolled, &bought, month("2026-09"), month("2026-11"));
        assert_eq!(c.len(), 3);
        assert_eq!((c[0].month, c[0].members, c[0].buying.clone()), (month("2026-09"), 2, vec![1, 1, 1]));
        assert_eq!((c[1].month, c[1].members, c[1].buying.clone()), (month("2026-10"), 1, vec![1, 1]));
        assert_eq!((c[2].month, c[2].members, c[2].buying.clone()), (month("2026-11"), 0, vec![0]));
        assert_eq!(c[0].retention_bp(), vec![Bp(5_000), Bp(5_000), Bp(5_000)]);
        assert_eq!(c[2].retention_bp(), vec![Bp(0)]);
        assert!(cohorts(&enrolled, &bought, month("2026-11"), month("2026-09")).is_empty());
    }

    #[test]
    fn a_member_holds_the_tier_of_the_last_change_before_the_moment() {
        let t = |s: &str| s.parse::<Timestamp>().expect("timestamp");
        let m = TierHistory {
            enrolled_at: t("2026-01-10T02:00:00Z"),
            current: "gold".into(),
            changes: vec![
                (t("2026-03-05T02:00:00Z"), "regular".into(), "silver".into()),
                (t("2026-06-01T00:00:00Z"), "silver".into(), "gold".into()),
            ],
        };
        assert_eq!(m.tier_before(t("2026-01-01T00:00:00Z")), None);
        assert_eq!(m.tier_before(t("2026-02-01T00:00:00Z")), Some("regular"));
        assert_eq!(m.tier_before(t("2026-04-01T00:00:00Z")), Some("silver"));
        // A change at the very instant belongs to the next month.
        assert_eq!(m.tier_before(t("2026-06-01T00:00:00Z")), Some("silver"));
        assert_eq!(m.tier_before(t("2026-07-01T00:00:00Z")), Some("gold"));
        let never = TierHistory { enrolled_at: t("2026-01-10T02:00:00Z"), current: "regular".into(), changes: vec![] };
        let counts = tiers_over_time(&[m, never], &[t("2026-01-01T00:00:00Z"), t("2026-04-01T00:00:00Z")]);
        assert!(counts[0].is_empty());
        assert_eq!(counts[1].get("silver"), Some(&1));
        assert_eq!(counts[1].get("regular"), Some(&1));
    }

    #[test]
    fn ten_members_fall_into_fifths_and_named_segments() {
        // Member i: last bought i*10 days ago, 10-i orders, ¥(10-i)*100: the first is best at all three.
        let members: Vec<_> =
            (0..10).map(|i| activity(i * 10, (10 - i) as u32, (10 - i64::from(i)) * 10_000)).collect();
        let scores = rfm_scores(&members, date(2026, 11, 30));
        assert_eq!(scores[0], Rfm { r: 5, f: 5, m: 5 });
        assert_eq!(scores[9], Rfm { r: 1, f: 1, m: 1 });
        assert_eq!(scores[0].segment(), Segment::ImportantValue);
        assert_eq!(scores[9].segment(), Segment::AtRisk);
        // Two to a fifth.
        assert_eq!(scores.iter().filter(|s| s.m == 3).count(), 2);
        // A big spender who has not come for long and came once: 重要挽留.
        let mixed = Rfm { r: 1, f: 2, m: 5 };
        assert_eq!(mixed.segment(), Segment::ImportantRetain);
        assert_eq!(Segment::parse("important_retain"), Some(Segment::ImportantRetain));
        assert_eq!(Segment::ImportantRetain.name_zh(), "重要挽留");
    }

    #[test]
    fn equal_figures_get_equal_scores() {
        let members: Vec<_> = (0..6).map(|_| activity(3, 2, 500)).collect();
        let scores = rfm_scores(&members, date(2026, 11, 30));
        assert!(scores.iter().all(|s| *s == scores[0]));
        assert_eq!(scores[0], Rfm { r: 1, f: 1, m: 1 }, "nobody is better than anyone");
        assert!(rfm_scores(&[], date(2026, 11, 30)).is_empty());
    }

    #[test]
    fn the_80_20_curve() {
        // One member brings ¥800 of ¥1,000; four bring ¥50 each.
        let spends = [Money(80_000), Money(5_000), Money(5_000), Money(5_000), Money(5_000)];
        let curve = pareto(&spends);
        assert_eq!(curve.len(), 10);
        assert_eq!(curve[1], CurvePoint { members_bp: Bp(2_000), sales_bp: Bp(8_000) }, "the top 20 % bring 80 %");
        assert_eq!(curve[9].sales_bp, Bp(10_000));
        assert_eq!(pareto(&[]).iter().map(|p| p.sales_bp).collect::<Vec<_>>(), vec![Bp(0); 10]);
        assert!(pareto(&[Money(0), Money(0)]).iter().all(|p| p.sales_bp == Bp(0)));
    }

    proptest! {
        #[test]
        fn scores_are_fifths_and_better_figures_never_score_lower(
            figures in proptest::collection::vec((0i16..400, 1u32..60, 0i64..1_000_000), 1..80)
        ) {
            let members: Vec<_> = figures.iter().map(|(d, o, s)| activity(*d, *o, *s)).collect();
            let scores = rfm_scores(&members, date(2026, 11, 30));
            for (a, sa) in members.iter().zip(&scores) {
                prop_assert!((1..=5).contains(&sa.r) && (1..=5).contains(&sa.f) && (1..=5).contains(&sa.m));
                for (b, sb) in members.iter().zip(&scores) {
                    if a.spend > b.spend { prop_assert!(sa.m >= sb.m); }
                    if a.orders > b.orders { prop_assert!(sa.f >= sb.f); }
                    if a.last_day > b.last_day { prop_assert!(sa.r >= sb.r); }
                }
            }
        }

        #[test]
        fn a_cohort_never_has_more_buyers_than_members(
            joined in proptest::collection::vec(0u8..6, 0..40),
            bought in proptest::collection::vec((0usize..40, 0u8..8), 0..120),
        ) {
            let first = month("2026-01");
            let at = |k: u8| (0..k).fold(first, |m, _| m.next());
            let enrolled: Vec<(usize, Month)> = joined.iter().enumerate().map(|(i, k)| (i, at(*k))).collect();
            let bought: Vec<(usize, Month)> = bought.iter().map(|(i, k)| (*i, at(*k))).collect();
            let c = cohorts(&enrolled, &bought, first, at(5));
            prop_assert_eq!(c.iter().map(|c| c.members).sum::<u64>(), enrolled.len() as u64);
            for (k, cohort) in c.iter().enumerate() {
                prop_assert_eq!(cohort.buying.len(), 6 - k);
                prop_assert!(cohort.buying.iter().all(|b| *b <= cohort.members));
                prop_assert!(cohort.retention_bp().iter().all(|b| (0..=10_000).contains(&b.0)));
            }
        }

        #[test]
        fn the_curve_rises_to_all_of_the_sales(spends in proptest::collection::vec(0i64..1_000_000, 1..100)) {
            let spends: Vec<Money> = spends.into_iter().map(Money).collect();
            let curve = pareto(&spends);
            for w in curve.windows(2) {
                prop_assert!(w[0].sales_bp <= w[1].sales_bp);
            }
            let total: i64 = spends.iter().map(|m| m.0).sum();
            prop_assert_eq!(curve[9].sales_bp, Bp(if total == 0 { 0 } else { 10_000 }));
            // The best tenth never brings less than a tenth of the sales.
            prop_assert!(total == 0 || curve[0].sales_bp >= Bp(1_000));
        }
    }
}
