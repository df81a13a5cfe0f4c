//! Reports: what finance, marketing and branch managers read, as tables (JSON and CSV) over the
//! ingested events, the ledger and the registry. Every figure is an integer (fen, points, counts);
//! a report's `totals` row is the sum of its rows, which tests tie out to the events themselves.

use std::fmt::Write as _;

use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use shared::ids::BranchId;
use utoipa::ToSchema;

/// Which report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReportKind {
    SalesByBranch,
    SalesByDay,
    SalesByTill,
    SalesByCashier,
    SalesByCategory,
    SalesByProduct,
    Tenders,
    RefundsAndVoids,
    Discounts,
    Shifts,
    DayEnd,
    Points,
    StoredValue,
    Members,
    MembersByTier,
    TopCustomers,
    /// What each promotion gave away, per branch, less what came back with returned goods.
    Promotions,
    /// Per coupon campaign: issued, expired and outstanding; redeemed and what they took off per
    /// branch where used.
    Coupons,
}

impl ReportKind {
    pub const ALL: [ReportKind; 18] = [
        ReportKind::SalesByBranch,
        ReportKind::SalesByDay,
        ReportKind::SalesByTill,
        ReportKind::SalesByCashier,
        ReportKind::SalesByCategory,
        ReportKind::SalesByProduct,
        ReportKind::Tenders,
        ReportKind::RefundsAndVoids,
        ReportKind::Discounts,
        ReportKind::Shifts,
        ReportKind::DayEnd,
        ReportKind::Points,
        ReportKind::StoredValue,
        ReportKind::Members,
        ReportKind::MembersByTier,
        ReportKind::TopCustomers,
        ReportKind::Promotions,
        ReportKind::Coupons,
    ];

    pub fn code(self) -> &'static str {
        match self {
            ReportKind::SalesByBranch => "sales_by_branch",
            ReportKind::SalesByDay => "sales_by_day",
            ReportKind::SalesByTill => "sales_by_till",
            ReportKind::SalesByCashier => "sales_by_cashier",
            ReportKind::SalesByCategory => "sales_by_category",
            ReportKind::SalesByProduct => "sales_by_product",
            ReportKind::Tenders => "tenders",
            ReportKind::RefundsAndVoids => "refunds_and_voids",
            ReportKind::Discounts => "discounts",
            ReportKind::Shifts => "shifts",
            ReportKind::DayEnd => "day_end",
            ReportKind::Points => "points",
            ReportKind::StoredValue => "stored_value",
            ReportKind::Members => "members",
            ReportKind::MembersByTier => "members_by_tier",
            ReportKind::TopCustomers => "top_customers",
            ReportKind::Promotions => "promotions",
            ReportKind::Coupons => "coupons",
        }
    }

    pub fn parse(s: &str) -> Option<ReportKind> {
        ReportKind::ALL.into_iter().find(|k| k.code() == s)
    }
}

/// What to report on: business days `from..=to`, one branch or all.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportQuery {
    pub kind: ReportKind,
    pub from: Date,
    pub to: Date,
    pub branch: Option<BranchId>,
}

/// The unit of a column: how to read its integers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    Text,
    Count,
    /// Fen.
    Money,
    Points,
    /// Basis points (share).
    Bp,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Column {
    pub name: String,
    pub unit: Unit,
    /// Whether the totals row sums this column.
    pub summed: bool,
}

/// A cell: text, or an integer in its column's unit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum Cell {
    Int(i64),
    Text(String),
}

impl Cell {
    pub fn int(&self) -> i64 {
        match self {
            Cell::Int(i) => *i,
            Cell::Text(_) => 0,
        }
    }
}

/// A report as a table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Report {
    pub kind: ReportKind,
    #[schema(value_type = String, format = Date)]
    pub from: Date,
    #[schema(value_type = String, format = Date)]
    pub to: Date,
    #[schema(value_type = Option<i64>)]
    pub branch_id: Option<BranchId>,
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Cell>>,
    /// The sum of every summed column (text columns say `total`).
    pub totals: Vec<Cell>,
    /// Figures that are not sums of the rows (balances outstanding, their value in money).
    pub notes: Vec<(String, Cell)>,
}

impl Report {
    pub fn new(query: &ReportQuery, columns: Vec<(&str, Unit, bool)>) -> Report {
        Report {
            kind: query.kind,
            from: query.from,
            to: query.to,
            branch_id: query.branch,
            columns: columns.into_iter().map(|(n, u, s)| Column { name: n.to_owned(), unit: u, summed: s }).collect(),
            rows: Vec::new(),
            totals: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// Fills `totals` from the rows.
    pub fn total(mut self) -> Report {
        self.totals = self
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| {
                if c.summed {
                    Cell::Int(self.rows.iter().map(|r| r.get(i).map_or(0, Cell::int)).sum())
                } else if i == 0 {
                    Cell::Text("total".into())
                } else {
                    Cell::Text(String::new())
                }
            })
            .collect();
        self
    }

    /// The column index by name.
    pub fn col(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    /// The CSV form: a header, the rows, the totals; money as yuan with two decimals.
    pub fn to_csv(&self) -> String {
        let mut out = String::new();
        let quote = |s: &str| {
            // Defuse spreadsheet formulas and quote what needs it.
            let s = if s.starts_with(['=', '+', '-', '@']) && s.parse::<f64>().is_err() {
                format!("'{s}")
            } else {
                s.to_owned()
            };
            if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s }
        };
        let cell = |c: &Cell, unit: Unit| match (c, unit) {
            (Cell::Int(v), Unit::Money) => shared::money::Money(*v).plain(),
            (Cell::Int(v), _) => v.to_string(),
            (Cell::Text(t), _) => quote(t),
        };
        let header: Vec<String> = self.columns.iter().map(|c| quote(&c.name)).collect();
        let _ = writeln!(out, "{}", header.join(","));
        for row in self.rows.iter().chain(std::iter::once(&self.totals)).filter(|r| !r.is_empty()) {
            let cells: Vec<String> = row.iter().zip(&self.columns).map(|(c, col)| cell(c, col.unit)).collect();
            let _ = writeln!(out, "{}", cells.join(","));
        }
        for (name, value) in &self.notes {
            let _ = writeln!(out, "{},{}", quote(name), cell(value, Unit::Count));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_and_csv() {
        let q = ReportQuery {
            kind: ReportKind::SalesByBranch,
            from: jiff::civil::date(2026, 11, 1),
            to: jiff::civil::date(2026, 11, 30),
            branch: None,
        };
        let mut r = Report::new(
            &q,
            vec![("branch", Unit::Text, false), ("sales", Unit::Count, true), ("net", Unit::Money, true)],
        );
        r.rows.push(vec![Cell::Text("B001, 人民路".into()), Cell::Int(3), Cell::Int(12345)]);
        r.rows.push(vec![Cell::Text("=cmd()".into()), Cell::Int(1), Cell::Int(-5)]);
        let r = r.total();
        assert_eq!(r.totals, vec![Cell::Text("total".into()), Cell::Int(4), Cell::Int(12340)]);
        assert_eq!(r.to_csv(), "branch,sales,net\n\"B001, 人民路\",3,123.45\n'=cmd(),1,-0.05\ntotal,4,123.40\n");
        for k in ReportKind::ALL {
            assert_eq!(ReportKind::parse(k.code()), Some(k));
        }
    }
}
