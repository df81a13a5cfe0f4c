//! The P&L in the web console, in a real browser against a real HQ whose demo chain has a year of
//! expenses: finance opens it from the finance page for a branch and a month, reads the three
//! columns against the expenses HQ holds and the finance reports, sees the cost of goods said to
//! be missing, books an expense through the form (a negative one first, refused with nothing
//! booked) and finds the P&L moved by exactly that.

use hq_server::store::{ExpenseStore as _, ReportStore as _};
use shared::expenses::Month;
use tests::Hq;
use tests::browser::Browser;

/// Yuan as the console prints them (`¥1234.50`, `-¥3.00`), in fen.
fn fen(text: &str) -> i64 {
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    let v: i64 = digits.parse().unwrap_or_else(|_| panic!("an amount in {text:?}"));
    if text.contains('-') { -v } else { v }
}

/// What HQ holds for a branch's month: its expenses, summed here from the entries, and its net
/// sales by the finance reports.
fn held(hq: &Hq, branch: shared::ids::BranchId, month: Month) -> (i64, i64) {
    let store = hq.store();
    let filter =
        hq_server::expenses::ExpenseFilter { branch: Some(branch), from: month, to: month, subject: None, limit: 1000 };
    let expenses = store.list_expenses(&filter).expect("entries").iter().map(|e| e.amount).sum();
    let report = |kind, column: &str| {
        let q = hq_server::reports::ReportQuery {
            kind,
            from: month.first_day(),
            to: month.last_day(),
            branch: Some(branch),
        };
        let r = store.report(&q).expect("report");
        r.totals.get(r.col(column).expect("column")).map_or(0, hq_server::reports::Cell::int)
    };
    let net = report(hq_server::reports::ReportKind::SalesByBranch, "due")
        - report(hq_server::reports::ReportKind::RefundsAndVoids, "paid_back");
    (expenses, net)
}

#[test]
fn finance_reads_a_branchs_pnl_and_books_an_expense_into_it() {
    // HQ's clock at noon on 10 March 2026 in Shanghai, whatever the hour here: the demo's
    // expenses run from March 2025 to March 2026.
    let noon = jiff::civil::date(2026, 3, 10).at(12, 0, 0, 0).in_tz("Asia/Shanghai").expect("noon").timestamp();
    let options = hq_server::demo::DemoOptions { expenses: true, ..hq_server::demo::DemoOptions::small() };
    let hq = Hq::start_at(options, hq_server::Clock::manual(noon));
    let branch = hq.demo.branches[0].clone();
    let months =
        [Month::parse("2026-03").expect("m"), Month::parse("2026-02").expect("m"), Month::parse("2025-03").expect("m")];
    let before: Vec<(i64, i64)> = months.iter().map(|m| held(&hq, branch.id, *m)).collect();
    assert!(before.iter().all(|(e, _)| *e > 0), "the demo has expenses in every month shown: {before:?}");
    let base = hq.url();
    let after = hq.rt.block_on(async {
        let b = Browser::start().await;
        b.sign_in(&base, "finance", "tillpoint-finance").await;
        b.client.goto(&format!("{base}/console/finance")).await.expect("goto");
        b.click("#to-pnl").await;
        assert_eq!(b.path().await, "/console/pnl");
        b.set_value("#pnl-month", "2026-03").await;
        b.set_value("#pnl-branch", &branch.id.0.to_string()).await;
        b.click("#show-pnl").await;
        assert!(b.text("#pnl-of").await.contains(&branch.code), "{}", b.text("#pnl-of").await);
        assert!(b.text("#pnl-missing").await.contains("No stock costs yet"));
        for (i, (expenses, net)) in before.iter().enumerate() {
            assert_eq!(fen(&b.text(&format!("#expenses-{i}")).await), -expenses, "expenses of column {i}");
            assert_eq!(fen(&b.text(&format!("#net_sales-{i}")).await), *net, "net sales of column {i}");
            assert_eq!(b.text(&format!("#cogs-{i}")).await, "missing: no stock costs yet");
            assert_eq!(b.text(&format!("#gross_margin-{i}")).await, "missing: no stock costs yet");
            assert_eq!(b.text(&format!("#contribution-{i}")).await, "missing: no stock costs yet");
            // Net sales less the points and bonus cost and the expenses, as the page shows them.
            let shown = |id: &str| {
                let b = &b;
                let id = format!("#{id}-{i}");
                async move { fen(&b.text(&id).await) }
            };
            let contribution = shown("net_sales").await
                + shown("points_cost").await
                + shown("bonus_cost").await
                + shown("expenses").await;
            assert_eq!(shown("contribution_before_cogs").await, contribution, "column {i}");
        }
        let rent = fen(&b.text("#expense-rent-0").await);
        assert!(rent < 0, "rent is a cost: {rent}");

        // Booking through the form: a negative amount that is not a correction is refused as typed.
        b.click("#to-expenses").await;
        b.set_value("#expense-branch", &branch.id.0.to_string()).await;
        b.set_value("#expense-month", "2026-03").await;
        b.set_value("#expense-subject", "other").await;
        b.fill("#expense-amount", "-88.80").await;
        b.fill("#expense-note", "保洁").await;
        b.click("#book-expense").await;
        assert!(b.text("#expense-error").await.contains("correction"), "{}", b.text("#expense-error").await);
        assert_eq!(b.value("#expense-amount").await, "-88.80", "the form comes back as typed");
        b.fill("#expense-amount", "88.80").await;
        b.click("#book-expense").await;
        assert!(!b.text("#expense-booked").await.is_empty());

        b.client.goto(&format!("{base}/console/pnl?month=2026-03&branch={}", branch.id.0)).await.expect("goto");
        let after = fen(&b.text("#expenses-0").await);
        assert!(b.text("#pnl-expense-other").await.contains("88.80"), "{}", b.text("#pnl-expense-other").await);
        b.quit().await;
        after
    });
    assert_eq!(after, -(before[0].0 + 8_880), "the P&L moved by the expense booked, and only that");
    assert_eq!(held(&hq, branch.id, months[0]).0, before[0].0 + 8_880);
}
