//! Member analysis (会员分析): RFM scores in quintiles and their named segments, and the 80/20
//! curve of how much of the sales the best members bring. Pure functions over what each member
//! bought in a period; HQ reads the figures, these decide.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

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
