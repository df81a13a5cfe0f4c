//! Member analysis for HQ's marketing (会员分析): RFM segments with their members and the 80/20
//! curve over the members who bought in a period; cohorts by month of enrolment and members by
//! tier month by month. The counting is `shared::analysis`'s; this puts it together for the API,
//! the console and the CSV a coupon campaign takes.

use std::collections::BTreeMap;

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use shared::analysis::{CurvePoint, Segment, TierHistory, cohorts, pareto, rfm_scores, tiers_over_time};
use shared::expenses::Month;
use shared::money::Money;
use utoipa::ToSchema;

use crate::calendar::hq_day;
use crate::store::{ActivityRow, CohortRows};

/// One segment's size and what it spent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
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
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
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
    /// The stored run this was read from (the nightly job's, or one started from the console);
    /// absent when it was computed for the request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<RunStamp>,
}

/// Which stored run a report or a segment's list was read from, and when it was computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RunStamp {
    pub id: i64,
    #[schema(value_type = String, format = DateTime)]
    pub finished_at: Timestamp,
}

/// A stored RFM run: the nightly job's (or one started from the console or the API), with its
/// progress while it runs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct RfmRun {
    pub id: i64,
    #[schema(value_type = String, format = Date)]
    pub from: Date,
    #[schema(value_type = String, format = Date)]
    pub to: Date,
    /// `running`, `done` or `failed`.
    pub state: String,
    /// While running: `reading` (the period's sales), `scoring`, `writing` (the members).
    pub phase: String,
    pub done: u64,
    /// Steps of the phase, when known (the members to write).
    pub steps: Option<u64>,
    /// `nightly`, or the user who started it.
    pub started_by: String,
    #[schema(value_type = String, format = DateTime)]
    pub started_at: Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub finished_at: Option<Timestamp>,
    /// Members scored, once done.
    pub members: Option<u64>,
    /// Why it failed.
    pub error: Option<String>,
}

/// A member with their scores, as a segment's list shows them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct ScoredMember {
    pub member_id: String,
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
            member_id: row.activity.member.to_string(),
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
    RfmReport { from, to, members: members.len() as u64, segments, pareto: pareto(&spends), run: None }
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

/// The members who enrolled in one month and how many of them bought in each month since.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct CohortRow {
    /// The enrolment month, `YYYY-MM`.
    #[schema(value_type = String, example = "2026-09")]
    pub month: Month,
    /// Members enrolled in it (as they are now: merged-away records left out).
    pub members: u64,
    /// How many of them bought in the month itself (first figure) and in each month after it,
    /// up to the report's last month.
    pub buying: Vec<u64>,
    /// The same as shares of the cohort, in basis points.
    pub retention_bp: Vec<i64>,
}

/// Cohorts by month of enrolment (留存): how many of each month's new members still buy N
/// months later.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct CohortReport {
    #[schema(value_type = String, example = "2025-12")]
    pub from: Month,
    #[schema(value_type = String, example = "2026-11")]
    pub to: Month,
    /// The home branch the members were counted for (none: the chain).
    pub branch_id: Option<i64>,
    pub cohorts: Vec<CohortRow>,
}

/// The cohorts of `from..=to` from what the store read: enrolment by HQ's calendar day, a
/// purchase by its business day's month.
pub fn cohort_report(rows: &CohortRows, from: Month, to: Month, branch_id: Option<i64>) -> CohortReport {
    let enrolled: Vec<(&str, Month)> =
        rows.enrolled.iter().map(|(m, at)| (m.as_str(), Month::of(hq_day(*at)))).collect();
    let bought: Vec<(&str, Month)> =
        rows.bought.iter().filter_map(|(m, month)| Some((m.as_str(), Month::parse(month).ok()?))).collect();
    let cohorts = cohorts(&enrolled, &bought, from, to)
        .into_iter()
        .map(|c| CohortRow {
            retention_bp: c.retention_bp().into_iter().map(|b| b.0).collect(),
            month: c.month,
            members: c.members,
            buying: c.buying,
        })
        .collect();
    CohortReport { from, to, branch_id, cohorts }
}

/// A tier as the report names it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct TierName {
    pub code: String,
    /// The policy's name for it (a tier the policy no longer has: its code).
    pub name: String,
}

/// How many members held each tier at a month's end (or now, for the month under way).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct TierMonth {
    #[schema(value_type = String, example = "2026-11")]
    pub month: Month,
    /// Members enrolled by then.
    pub members: u64,
    /// One count per tier of the report's `tiers`, in that order.
    pub tiers: Vec<u64>,
}

/// Members by tier over time (会员等级分布).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct TierReport {
    #[schema(value_type = String, example = "2025-12")]
    pub from: Month,
    #[schema(value_type = String, example = "2026-11")]
    pub to: Month,
    pub branch_id: Option<i64>,
    /// The policy's tiers, lowest first, then any tier members held that it no longer has.
    pub tiers: Vec<TierName>,
    pub months: Vec<TierMonth>,
}

/// The months `from..=to`, each with the instant it ends at: the next month's first instant in
/// HQ's calendar, or `now` for the month under way.
pub fn month_ends(from: Month, to: Month, now: Timestamp) -> Vec<(Month, Timestamp)> {
    let mut out = Vec::new();
    let mut month = from;
    while month <= to {
        let next = month.next().first_day().to_zoned(crate::calendar::hq_zone()).map(|z| z.timestamp());
        out.push((month, next.map_or(now, |t| t.min(now))));
        month = month.next();
    }
    out
}

/// Members by tier at the end of each month of `from..=to` (the month under way: `now`), with
/// `policy_tiers` (code, name) first.
pub fn tier_report(
    histories: &[TierHistory],
    (from, to): (Month, Month),
    now: Timestamp,
    policy_tiers: &[(String, String)],
    branch_id: Option<i64>,
) -> TierReport {
    let ends = month_ends(from, to, now);
    let at: Vec<Timestamp> = ends.iter().map(|(_, t)| *t).collect();
    let counts: Vec<BTreeMap<String, u64>> = tiers_over_time(histories, &at);
    let mut tiers: Vec<TierName> =
        policy_tiers.iter().map(|(code, name)| TierName { code: code.clone(), name: name.clone() }).collect();
    for code in counts.iter().flat_map(|c| c.keys()) {
        if !tiers.iter().any(|t| &t.code == code) {
            tiers.push(TierName { code: code.clone(), name: code.clone() });
        }
    }
    let months = ends
        .iter()
        .zip(&counts)
        .map(|((month, _), count)| TierMonth {
            month: *month,
            members: count.values().sum(),
            tiers: tiers.iter().map(|t| count.get(&t.code).copied().unwrap_or(0)).collect(),
        })
        .collect();
    TierReport { from, to, branch_id, tiers, months }
}
