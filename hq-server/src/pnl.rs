//! The P&L (损益表) of a branch or of the chain for a month, beside the month before and the same
//! month a year earlier. Every figure is one HQ's finance reports already state for the month's
//! business days, so the P&L ties out to them; `shared::expenses::Pnl` does the arithmetic.
//!
//! - Net sales: the sales report's `due` less the refunds report's `paid_back` (the dashboard's net
//!   sales; VAT included, as every report keeps it).
//! - Promotion cost: the promotion report's `cost` (what promotions gave away on the month's
//!   sales, less what came back with returns). Taken in automatically, shown on its own line; it
//!   is already out of net sales (a sale's due is after its promotions), so it is not subtracted
//!   again.
//! - Cost of goods sold: HQ has no stock costs yet, so it, the gross margin and the contribution
//!   after it are missing, said so, never guessed; the contribution before COGS is stated.
//! - Points cost: the points report's net change (every kind: earned, restored, redeemed, taken
//!   back, expired, adjusted) in money at the redemption value of the policy in force at the
//!   month's end. Stored-value bonus cost: the stored-value report's net change of bonus.
//! - Expenses: the month's entries by subject, corrections included.
//!
//! A branch's P&L has the ledger entries made at that branch; expiries (the daily job's, at no
//! branch) and HQ's adjustments without a branch are in the chain's only.

use std::fmt::Write as _;

use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use shared::expenses::{Month, Pnl, PnlInputs, PnlOverflow, points_value};
use shared::money::Money;
use shared::points::RedeemRules;
use utoipa::ToSchema;

use crate::reports::{Cell, Report};

/// What the P&L says where the cost of goods sold would be.
pub const NO_STOCK_COSTS: &str = "no stock costs yet";

/// A subject's expenses in a month.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SubjectAmount {
    pub subject: String,
    pub name: String,
    /// Fen, corrections included.
    pub amount: i64,
}

/// One month of a P&L. Money in fen; `null` where a figure is missing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PnlColumn {
    #[schema(value_type = String, example = "2026-11")]
    pub month: Month,
    /// Its first and last business day.
    #[schema(value_type = String, format = Date)]
    pub from: Date,
    #[schema(value_type = String, format = Date)]
    pub to: Date,
    /// The sales report's `due`: what the month's sales were to pay.
    pub sales_due: i64,
    /// The refunds report's `paid_back` for the month's refunds.
    pub refunds_paid_back: i64,
    /// `sales_due - refunds_paid_back`, VAT included.
    pub net_sales: i64,
    /// What promotions gave away on the month's sales, less returns: already out of net sales.
    pub promotion_cost: i64,
    /// Net sales with the promotions' cost added back.
    pub sales_before_promotions: i64,
    /// `null` until HQ has stock costs.
    pub cogs: Option<i64>,
    pub gross_margin: Option<i64>,
    /// The points liability's net change in points.
    pub points_change: i64,
    /// That change in money, at the redemption value of the policy in force at the month's end.
    pub points_cost: i64,
    /// The stored-value bonus liability's net change.
    pub bonus_cost: i64,
    pub expenses_by_subject: Vec<SubjectAmount>,
    pub expenses: i64,
    /// Net sales less the points and bonus cost and the expenses.
    pub contribution_before_cogs: i64,
    /// After the cost of goods: `null` while that is missing.
    pub contribution: Option<i64>,
}

/// A P&L: one branch or the chain, a month, the month before and the same month last year.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PnlReport {
    /// The branch, or `null` for the chain.
    pub branch_id: Option<i64>,
    /// The branch's code, or `chain`.
    pub branch: String,
    #[schema(value_type = String, example = "2026-11")]
    pub month: Month,
    /// Why figures are missing (`no stock costs yet`), or `null`.
    pub missing: Option<String>,
    /// This month, the month before, the same month last year.
    pub columns: Vec<PnlColumn>,
}

/// The month's reports a column is read from, each for the month's business days and the same
/// branch (or all).
pub struct MonthReports<'a> {
    pub sales_by_branch: &'a Report,
    pub refunds_and_voids: &'a Report,
    pub promotions: &'a Report,
    pub points: &'a Report,
    pub stored_value: &'a Report,
}

/// A report's total of a column (0 when it has none).
fn total(r: &Report, column: &str) -> i64 {
    r.col(column).and_then(|i| r.totals.get(i)).map_or(0, Cell::int)
}

/// One month's column from its reports, the redemption rule of the policy in force at its end,
/// and its expenses by subject.
pub fn column(
    month: Month,
    reports: &MonthReports<'_>,
    redeem: &RedeemRules,
    expenses_by_subject: Vec<SubjectAmount>,
) -> Result<PnlColumn, PnlOverflow> {
    let sales_due = total(reports.sales_by_branch, "due");
    let refunds_paid_back = total(reports.refunds_and_voids, "paid_back");
    let net_sales = sales_due.checked_sub(refunds_paid_back).ok_or(PnlOverflow)?;
    let points_change = total(reports.points, "points");
    let expenses = expenses_by_subject
        .iter()
        .try_fold(Money::ZERO, |sum, s| sum.checked_add(Money(s.amount)))
        .ok_or(PnlOverflow)?;
    let inputs = PnlInputs {
        net_sales: Money(net_sales),
        promotion_cost: Money(total(reports.promotions, "cost")),
        cogs: None,
        points_cost: points_value(points_change, redeem),
        bonus_cost: Money(total(reports.stored_value, "bonus")),
        expenses,
    };
    let p = Pnl::from_inputs(&inputs)?;
    Ok(PnlColumn {
        month,
        from: month.first_day(),
        to: month.last_day(),
        sales_due,
        refunds_paid_back,
        net_sales: p.net_sales.0,
        promotion_cost: p.promotion_cost.0,
        sales_before_promotions: p.sales_before_promotions.0,
        cogs: p.cogs.map(|m| m.0),
        gross_margin: p.gross_margin.map(|m| m.0),
        points_change,
        points_cost: p.points_cost.0,
        bonus_cost: p.bonus_cost.0,
        expenses_by_subject,
        expenses: p.expenses.0,
        contribution_before_cogs: p.contribution_before_cogs.0,
        contribution: p.contribution.map(|m| m.0),
    })
}

/// The months a P&L for `month` shows: it, the month before, the same month last year.
pub fn months(month: Month) -> [Month; 3] {
    [month, month.previous(), month.year_before()]
}

/// The lines of a P&L as its CSV and page show them: a code and each column's figure (`None`:
/// missing). Expenses come per subject (`expense:rent`), then their total.
pub fn lines(report: &PnlReport) -> Vec<(String, Vec<Option<i64>>)> {
    let each = |f: &dyn Fn(&PnlColumn) -> Option<i64>| report.columns.iter().map(f).collect::<Vec<_>>();
    let mut out = vec![
        ("sales_due".to_owned(), each(&|c: &PnlColumn| Some(c.sales_due))),
        ("refunds_paid_back".to_owned(), each(&|c: &PnlColumn| Some(c.refunds_paid_back))),
        ("net_sales".to_owned(), each(&|c: &PnlColumn| Some(c.net_sales))),
        ("promotion_cost".to_owned(), each(&|c: &PnlColumn| Some(c.promotion_cost))),
        ("cogs".to_owned(), each(&|c: &PnlColumn| c.cogs)),
        ("gross_margin".to_owned(), each(&|c: &PnlColumn| c.gross_margin)),
        ("points_cost".to_owned(), each(&|c: &PnlColumn| Some(c.points_cost))),
        ("bonus_cost".to_owned(), each(&|c: &PnlColumn| Some(c.bonus_cost))),
    ];
    // Every subject any column has, in the order first met.
    let mut subjects: Vec<(String, String)> = Vec::new();
    for c in &report.columns {
        for s in &c.expenses_by_subject {
            if !subjects.iter().any(|(code, _)| *code == s.subject) {
                subjects.push((s.subject.clone(), s.name.clone()));
            }
        }
    }
    for (code, _) in &subjects {
        out.push((
            format!("expense:{code}"),
            each(&|c: &PnlColumn| {
                Some(c.expenses_by_subject.iter().find(|s| s.subject == *code).map_or(0, |s| s.amount))
            }),
        ));
    }
    out.push(("expenses".to_owned(), each(&|c: &PnlColumn| Some(c.expenses))));
    out.push(("contribution_before_cogs".to_owned(), each(&|c: &PnlColumn| Some(c.contribution_before_cogs))));
    out.push(("contribution".to_owned(), each(&|c: &PnlColumn| c.contribution)));
    out
}

/// The CSV: a line per figure, a column per month (yuan with two decimals; `missing` where a
/// figure is, with the reason at the end).
pub fn to_csv(report: &PnlReport) -> String {
    let mut out = String::new();
    let months: Vec<String> = report.columns.iter().map(|c| c.month.to_string()).collect();
    let _ = writeln!(out, "line,{}", months.join(","));
    for (line, values) in lines(report) {
        let cells: Vec<String> =
            values.iter().map(|v| v.map_or_else(|| "missing".to_owned(), |f| Money(f).plain())).collect();
        let _ = writeln!(out, "{line},{}", cells.join(","));
    }
    if let Some(why) = &report.missing {
        let _ = writeln!(out, "missing,{why}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reports::{ReportKind, ReportQuery, Unit};

    fn report(kind: ReportKind, column: &str, value: i64) -> Report {
        let q =
            ReportQuery { kind, from: jiff::civil::date(2026, 3, 1), to: jiff::civil::date(2026, 3, 31), branch: None };
        let mut r = Report::new(&q, vec![("key", Unit::Text, false), (column, Unit::Money, true)]);
        r.rows.push(vec![Cell::Text("a".into()), Cell::Int(value)]);
        r.total()
    }

    #[test]
    fn a_column_reads_the_reports_totals_and_the_report_prints_missing_plainly() {
        let sales = report(ReportKind::SalesByBranch, "due", 1_000_000);
        let refunds = report(ReportKind::RefundsAndVoids, "paid_back", 20_000);
        let promotions = report(ReportKind::Promotions, "cost", 30_000);
        let points = report(ReportKind::Points, "points", 5_000);
        let stored = report(ReportKind::StoredValue, "bonus", -1_000);
        let reports = MonthReports {
            sales_by_branch: &sales,
            refunds_and_voids: &refunds,
            promotions: &promotions,
            points: &points,
            stored_value: &stored,
        };
        let month = Month::parse("2026-03").expect("month");
        let expenses = vec![
            SubjectAmount { subject: "rent".into(), name: "房租 Rent".into(), amount: 500_000 },
            SubjectAmount { subject: "other".into(), name: "其他 Other".into(), amount: -2_000 },
        ];
        let c = column(month, &reports, &RedeemRules::default(), expenses).expect("column");
        assert_eq!((c.net_sales, c.promotion_cost, c.sales_before_promotions), (980_000, 30_000, 1_010_000));
        assert_eq!((c.points_change, c.points_cost, c.bonus_cost, c.expenses), (5_000, 5_000, -1_000, 498_000));
        assert_eq!(c.contribution_before_cogs, 980_000 - 5_000 + 1_000 - 498_000);
        assert_eq!((c.cogs, c.gross_margin, c.contribution), (None, None, None));
        assert_eq!((c.from.to_string(), c.to.to_string()), ("2026-03-01".into(), "2026-03-31".into()));

        let r = PnlReport {
            branch_id: None,
            branch: "chain".into(),
            month,
            missing: Some(NO_STOCK_COSTS.into()),
            columns: vec![c.clone(), PnlColumn { month: month.previous(), expenses_by_subject: vec![], ..c }],
        };
        let csv = to_csv(&r);
        assert!(csv.starts_with("line,2026-03,2026-02\n"), "{csv}");
        assert!(csv.contains("\nnet_sales,9800.00,9800.00\n"), "{csv}");
        assert!(csv.contains("\ncogs,missing,missing\n"), "{csv}");
        assert!(csv.contains("\nexpense:rent,5000.00,0.00\n"), "{csv}");
        assert!(csv.ends_with("missing,no stock costs yet\n"), "{csv}");
        assert_eq!(months(month).map(|m| m.to_string()), ["2026-03", "2026-02", "2025-03"]);
    }
}
