//! Plan against actual (计划完成): every branch's target for a period, what it did, how far along
//! it is, its rank, and at this pace how the month of the period's last day ends. The arithmetic is
//! `shared::plans`'s; this puts the store's targets and actual figures together for the API, the
//! console and the dashboard.

use std::collections::HashMap;

use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use shared::branch::BranchSettings;
use shared::ids::BranchId;
use shared::plans::{Metric, MonthTarget, Split, attainment_bp, months_of, period_target, projected, ranks};
use utoipa::ToSchema;

use crate::model::TargetYear;
use crate::store::{Store, StoreError, StoreResult};

/// A year's target as HQ staff set it.
#[derive(Clone, Debug, Deserialize, ToSchema)]
pub struct TargetInput {
    #[schema(minimum = 1)]
    pub branch_id: i64,
    #[schema(minimum = 2000, maximum = 2100)]
    pub year: i16,
    /// `sales` (fen), `new_members`, `member_share` (basis points, at most 10,000).
    #[schema(pattern = "^(sales|new_members|member_share)$")]
    pub metric: String,
    /// A category's sales (sales only); absent or 0: the whole branch.
    #[schema(minimum = 0)]
    pub category_id: Option<i64>,
    /// `even` (the year's `total` split evenly), `last_year` (`total` split as the branch sold
    /// last year, month by month) or `typed` (the twelve `months`). A ratio is the same each month.
    #[schema(pattern = "^(even|last_year|typed)$")]
    pub split: String,
    /// The year's figure, for `even` and `last_year`.
    #[schema(minimum = 0)]
    pub total: Option<i64>,
    /// January to December, for `typed`.
    pub months: Option<Vec<i64>>,
}

/// Checks `input` and makes its twelve months (a `last_year` split reads the branch's sales of
/// the year before if it traded all of it, else the chain's, else splits evenly).
pub fn target_of(store: &dyn Store, input: &TargetInput) -> StoreResult<TargetYear> {
    let invalid = |m: String| Err(StoreError::Invalid(m));
    if !(2000..=2100).contains(&input.year) {
        return invalid(format!("year {} is not between 2000 and 2100", input.year));
    }
    let Some(metric) = Metric::parse(&input.metric) else {
        return invalid(format!("metric `{}` is not sales, new_members or member_share", input.metric));
    };
    let category_id = input.category_id.unwrap_or(0);
    if category_id < 0 || (category_id != 0 && metric != Metric::Sales) {
        return invalid("a category's target is of its sales only".into());
    }
    let branch = BranchId(input.branch_id);
    let settings = store.get_branch(branch)?;
    if let Some(closed) = settings.closed_on {
        let today = crate::calendar::hq_day(store.now());
        let year_start = jiff::civil::date(input.year, 1, 1);
        if closed <= year_start || closed <= today {
            return invalid(format!("branch {} closed on {closed}: a closed branch takes no targets", settings.code));
        }
    }
    let split = match (input.split.as_str(), input.total, input.months.as_deref()) {
        ("even", Some(total), None) => Split::Even(total),
        ("last_year", Some(total), None) => {
            // A year the branch traded whole; else the chain's; else (a chain in its first year)
            // evenly: a branch opened in June must not get nothing for January to May.
            let whole = |shape: &[i64; 12]| shape.iter().all(|&m| m > 0);
            let mut shape = store.monthly_sales(input.year - 1, Some(branch))?;
            if !whole(&shape) {
                shape = store.monthly_sales(input.year - 1, None)?;
            }
            if !whole(&shape) {
                shape = [1; 12];
            }
            Split::Shaped(total, shape)
        }
        ("typed", None, Some(months)) => match <[i64; 12]>::try_from(months) {
            Ok(m) => Split::Typed(m),
            Err(_) => return invalid(format!("a typed target has 12 months, not {}", months.len())),
        },
        ("even" | "last_year", None, _) => return invalid(format!("a `{}` split needs the year's total", input.split)),
        ("even" | "last_year", Some(_), Some(_)) => {
            return invalid(format!("a `{}` split takes the total, not months", input.split));
        }
        ("typed", _, _) => return invalid("a typed target takes its 12 months, not a total".into()),
        (other, _, _) => return invalid(format!("split `{other}` is not even, last_year or typed")),
    };
    let months = months_of(metric, &split).map_err(|e| StoreError::Invalid(e.to_string()))?;
    Ok(TargetYear { branch_id: branch, year: input.year, metric, category_id, months, split: input.split.clone() })
}

/// One branch's plan against actual.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct PlanRow {
    #[schema(value_type = i64)]
    pub branch_id: BranchId,
    pub code: String,
    pub name: String,
    /// The period's target (none when no month of it has one).
    pub target: Option<i64>,
    pub actual: i64,
    /// Actual / target in basis points.
    pub attainment_bp: Option<i64>,
    /// By attainment, best first (equal ones share a rank); none without a target.
    pub rank: Option<u32>,
    /// The month of the period's last day: its target, what it did up to that day (or today),
    /// what it comes to at this pace, and that as a share of the month's target.
    pub month_target: Option<i64>,
    pub month_actual: i64,
    pub month_projected: i64,
    pub pace_bp: Option<i64>,
}

/// Plan against actual for a period.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct PlanReport {
    #[schema(value_type = String, format = Date)]
    pub from: Date,
    #[schema(value_type = String, format = Date)]
    pub to: Date,
    #[schema(value_type = String)]
    pub metric: Metric,
    pub category_id: i64,
    /// Branches ranked, best first; those without a target after them.
    pub rows: Vec<PlanRow>,
    /// The chain: sums (for a ratio, of the parts: members' sales over all sales).
    pub chain: PlanRow,
}

/// Each branch's target and actual parts over a period: `(target, numerator, denominator)`.
type Figures = HashMap<BranchId, (Option<i64>, i64, i64)>;

/// Each branch's target and actual over `from..=to`: `(target, numerator, denominator)`.
fn period(store: &dyn Store, from: Date, to: Date, metric: Metric, category: i64) -> StoreResult<Figures> {
    let mut months: HashMap<BranchId, Vec<MonthTarget>> = HashMap::new();
    for (b, m) in store.target_months(from, to, metric, category)? {
        months.entry(b).or_default().push(m);
    }
    let mut out: HashMap<BranchId, (Option<i64>, i64, i64)> = HashMap::new();
    for (b, list) in &months {
        out.insert(*b, (period_target(metric, list, from, to), 0, 0));
    }
    for (b, n, d) in store.actuals(from, to, metric, category)? {
        let e = out.entry(b).or_insert((None, 0, 0));
        (e.1, e.2) = (n, d);
    }
    Ok(out)
}

fn value(metric: Metric, numerator: i64, denominator: i64) -> i64 {
    if metric.is_ratio() {
        if denominator > 0 {
            i64::try_from(i128::from(numerator) * 10_000 / i128::from(denominator)).unwrap_or(0)
        } else {
            0
        }
    } else {
        numerator
    }
}

/// Plan against actual over `from..=to` for `branches`, with the pace of the month of `to` as
/// of `today` (the days after today are not yet traded).
pub fn plan(
    store: &dyn Store,
    branches: &[BranchSettings],
    from: Date,
    to: Date,
    today: Date,
    metric: Metric,
    category: i64,
) -> StoreResult<PlanReport> {
    let whole = period(store, from, to, metric, category)?;
    let month_first = to.first_of_month();
    let month_last = to.last_of_month();
    let traded_to = to.min(today);
    let month_so_far = if traded_to >= month_first {
        period(store, month_first, traded_to, metric, category)?
    } else {
        HashMap::new()
    };
    let month_whole = period(store, month_first, month_last, metric, category)?;
    let elapsed = if traded_to >= month_first { i64::from(traded_to.day()) } else { 0 };
    let days = i64::from(to.days_in_month());

    let row = |b: &BranchSettings| {
        let (target, n, d) = whole.get(&b.id).copied().unwrap_or((None, 0, 0));
        let actual = value(metric, n, d);
        let month_target = month_whole.get(&b.id).and_then(|t| t.0);
        let (_, mn, md) = month_so_far.get(&b.id).copied().unwrap_or((None, 0, 0));
        let month_actual = value(metric, mn, md);
        let month_projected = projected(metric, month_actual, elapsed, days);
        PlanRow {
            branch_id: b.id,
            code: b.code.clone(),
            name: b.name.clone(),
            target,
            actual,
            attainment_bp: target.and_then(|t| attainment_bp(actual, t)),
            rank: None,
            month_target,
            month_actual,
            month_projected,
            pace_bp: month_target.filter(|_| elapsed > 0).and_then(|t| attainment_bp(month_projected, t)),
        }
    };
    let mut rows: Vec<PlanRow> = branches.iter().map(row).collect();
    let order = ranks(&rows.iter().map(|r| r.attainment_bp).collect::<Vec<_>>());
    for (r, rank) in rows.iter_mut().zip(order) {
        r.rank = rank;
    }
    rows.sort_by(|a, b| match (a.rank, b.rank) {
        (Some(x), Some(y)) => x.cmp(&y).then(a.code.cmp(&b.code)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.code.cmp(&b.code),
    });

    // The chain: amounts add up; a ratio is its parts' (and its target weighted by the sales).
    let ids: Vec<BranchId> = branches.iter().map(|b| b.id).collect();
    let sum = |m: &Figures| {
        let (mut t, mut any, mut n, mut d, mut weighted, mut weight) = (0i64, false, 0i64, 0i64, 0i128, 0i128);
        for id in &ids {
            if let Some((target, x, y)) = m.get(id) {
                n = n.saturating_add(*x);
                d = d.saturating_add(*y);
                if let Some(target) = target {
                    any = true;
                    t = t.saturating_add(*target);
                    weighted += i128::from(*target) * i128::from((*y).max(1));
                    weight += i128::from((*y).max(1));
                }
            }
        }
        let target = match (any, metric.is_ratio()) {
            (false, _) => None,
            (true, false) => Some(t),
            (true, true) => Some(i64::try_from(weighted / weight.max(1)).unwrap_or(0)),
        };
        (target, value(metric, n, d))
    };
    let (target, actual) = sum(&whole);
    let (month_target, _) = sum(&month_whole);
    let (_, month_actual) = sum(&month_so_far);
    let month_projected = projected(metric, month_actual, elapsed, days);
    let chain = PlanRow {
        branch_id: BranchId(0),
        code: String::new(),
        name: String::new(),
        target,
        actual,
        attainment_bp: target.and_then(|t| attainment_bp(actual, t)),
        rank: None,
        month_target,
        month_actual,
        month_projected,
        pace_bp: month_target.filter(|_| elapsed > 0).and_then(|t| attainment_bp(month_projected, t)),
    };
    Ok(PlanReport { from, to, metric, category_id: category, rows, chain })
}
