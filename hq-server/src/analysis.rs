//! Member analysis for HQ's marketing (会员分析): RFM segments with their members and the 80/20
//! curve, over the members who bought in a period. The scoring is `shared::analysis`'s; this
//! puts it together for the API, the console and the CSV a coupon campaign takes.

use jiff::civil::Date;
use serde::Serialize;
use shared::analysis::{CurvePoint, Segment, pareto, rfm_scores};
use shared::money::Money;
use utoipa::ToSchema;

use crate::store::ActivityRow;

/// One segment's size and what it spent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct SegmentRow {
    /// `important_value`, `important_recall`, `important_develop`, `important_retain`,
    /// `potential`, `new`, `general`, `at_risk`.
    pub segment: String,
    /// 重要价值, 重要唤回, …
    pub name: String,
    pub members: u64,
    /// Fen, net of refunds.
    pub spend: i64,
    /// The segment's share of the period's spend, in basis points.
    pub share_bp: i64,
}

/// The period's analysis: each segment, and the 80/20 curve.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct RfmReport {
    #[schema(value_type = String, format = Date)]
    pub from: Date,
    #[schema(value_type = String, format = Date)]
    pub to: Date,
    /// Members who bought in the period.
    pub members: u64,
    pub segments: Vec<SegmentRow>,
    /// At 10 %, 20 %, … of the members, best spenders first: the share of the spend they bring
    /// (`members_bp`, `sales_bp`).
    #[schema(value_type = Vec<Object>)]
    pub pareto: Vec<CurvePoint>,
}

/// A member with their scores, as a segment's list shows them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct ScoredMember {
    /// The member's code (what a coupon campaign's CSV takes).
    pub code: String,
    pub name: String,
    pub segment: String,
    pub r: u8,
    pub f: u8,
    pub m: u8,
    #[schema(value_type = String, format = Date)]
    pub last_day: Date,
    pub orders: u32,
    /// Fen, net of refunds.
    pub spend: i64,
}

/// Scores every member of `rows` as of `to` (recency counts from the period's last day).
pub fn scored(rows: &[ActivityRow], to: Date) -> Vec<ScoredMember> {
    let activity: Vec<_> = rows.iter().map(|r| r.activity.clone()).collect();
    let scores = rfm_scores(&activity, to);
    rows.iter()
        .zip(scores)
        .map(|(row, s)| ScoredMember {
            code: row.code.clone(),
            name: row.name.clone(),
            segment: s.segment().code().to_owned(),
            r: s.r,
            f: s.f,
            m: s.m,
            last_day: row.activity.last_day,
            orders: row.activity.orders,
            spend: row.activity.spend.0,
        })
        .collect()
}

/// The report of a period from its scored members.
pub fn report(members: &[ScoredMember], from: Date, to: Date) -> RfmReport {
    let total: i64 = members.iter().map(|m| m.spend.max(0)).sum();
    let segments = Segment::ALL
        .into_iter()
        .map(|seg| {
            let of: Vec<_> = members.iter().filter(|m| m.segment == seg.code()).collect();
            let spend: i64 = of.iter().map(|m| m.spend.max(0)).sum();
            SegmentRow {
                segment: seg.code().to_owned(),
                name: seg.name_zh().to_owned(),
                members: of.len() as u64,
                spend,
                share_bp: if total == 0 { 0 } else { (i128::from(spend) * 10_000 / i128::from(total)) as i64 },
            }
        })
        .collect();
    let spends: Vec<Money> = members.iter().map(|m| Money(m.spend)).collect();
    RfmReport { from, to, members: members.len() as u64, segments, pareto: pareto(&spends) }
}

/// A segment's members as CSV (best spenders first), with a `code` column a coupon campaign's
/// issue takes as it is.
pub fn members_csv(members: &[&ScoredMember]) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(["code", "name", "segment", "r", "f", "m", "last_day", "orders", "spend"]);
    for m in members {
        let _ = w.write_record([
            m.code.clone(),
            m.name.clone(),
            m.segment.clone(),
            m.r.to_string(),
            m.f.to_string(),
            m.m.to_string(),
            m.last_day.to_string(),
            m.orders.to_string(),
            Money(m.spend).plain(),
        ]);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}
