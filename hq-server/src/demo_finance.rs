//! The demo chain's plans and money: this year's targets of each branch and fourteen months of
//! expenses, so the plan and the P&L pages are alive.

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use shared::Money;
use shared::ids::BranchId;

use crate::demo::DemoBranch;
use crate::model::Actor;
use crate::store::{Store, StoreError, StoreResult};

/// This year's targets of each branch, from what its history sold a day, some branches set
/// higher than others so plan against actual ranks them: net sales split evenly, a members'
/// share, and new members.
pub(crate) fn seed_targets(
    store: &dyn Store,
    actor: &Actor,
    branches: &[DemoBranch],
    history_days: u32,
) -> StoreResult<()> {
    use shared::plans::{Metric, Split, months_of};
    let today = crate::calendar::hq_day(store.now());
    let from = today.checked_sub(jiff::Span::new().days(i64::from(history_days))).unwrap_or(today);
    let sold = store.actuals(from, today, Metric::Sales, 0)?;
    for (i, b) in branches.iter().enumerate() {
        let per_day = sold.iter().find(|r| r.0 == b.id).map_or(0, |r| r.1) / i64::from(history_days.max(1));
        // 90 %, 100 %, 110 %, 120 %, … of the pace it sells at.
        let stretch = 90 + 10 * (i as i64 % 4);
        let year = [
            (Metric::Sales, per_day * 365 * stretch / 100),
            (Metric::MemberShare, 4_500 + 500 * (i as i64 % 3)),
            (Metric::NewMembers, 120 + 24 * i as i64),
        ];
        for (metric, total) in year {
            let months = months_of(metric, &Split::Even(total)).map_err(|e| StoreError::Invalid(e.to_string()))?;
            let target = crate::model::TargetYear {
                branch_id: b.id,
                year: today.year(),
                metric,
                category_id: 0,
                months,
                split: "even".into(),
            };
            store.set_target(actor, &target)?;
        }
    }
    Ok(())
}

/// Each branch's expenses for this month and the thirteen before: rent and wages every month,
/// utilities that vary, promotion costs every third month, and last month's utilities corrected
/// down by a correction naming the entry. One transaction.
pub(crate) fn seed_expenses(store: &dyn Store, actor: &Actor, branches: &[DemoBranch], seed: u64) -> StoreResult<()> {
    use crate::expenses::{ExpenseSource, NewExpense};
    use shared::expenses::Month;
    let mut rng = StdRng::seed_from_u64(seed ^ 0xe8e);
    let this = Month::of(crate::calendar::chain_day(&store.list_branches()?, store.now()).day);
    let mut months = vec![this];
    for _ in 0..13 {
        let before = months.last().copied().unwrap_or(this).previous();
        months.push(before);
    }
    let mut entries = Vec::new();
    for (bi, b) in branches.iter().enumerate() {
        let step = i64::try_from(bi).unwrap_or(0);
        for (mi, &month) in months.iter().rev().enumerate() {
            let mut add = |subject: &str, yuan: i64, note: &str| {
                entries.push(NewExpense {
                    branch: b.id,
                    month,
                    subject: subject.into(),
                    amount: Money(yuan * 100),
                    note: note.into(),
                    correction: false,
                    corrects: None,
                });
            };
            add("rent", 28_000 + 3_000 * step, "月租");
            add("wages", 41_000 + 2_500 * step + rng.random_range(0..3_000), "工资");
            add("utilities", 2_600 + rng.random_range(0..1_800), "水电");
            if mi % 3 == 0 {
                add("promotion", 1_200 + rng.random_range(0..800), "海报与堆头");
            }
        }
    }
    let booked = store.book_expenses(actor, &entries, ExpenseSource::Typed)?;
    // Last month's utilities at the first branch were keyed ¥200.00 too high: put right by a correction.
    let last_month = this.previous();
    if let Some(wrong) = booked.iter().find(|e| e.month == last_month && e.subject == "utilities") {
        let fix = NewExpense {
            branch: BranchId(wrong.branch_id),
            month: last_month,
            subject: "utilities".into(),
            amount: Money(-20_000),
            note: "更正：多记 ¥200.00".into(),
            correction: true,
            corrects: Some(wrong.id),
        };
        store.book_expenses(actor, &[fix], ExpenseSource::Typed)?;
    }
    Ok(())
}
