//! A day's reconciliation (对账, issue 23) end to end: real till engines at two branches take
//! payments by WeChat Pay and Alipay code through a real HQ on loopback, whose gateway speaks to
//! the payment simulator; one till has not pushed its sale yet. HQ finance, in a real browser,
//! opens reconciliation from the finance page and uploads the two statements the simulator wrote
//! from its own ledger: the one payment whose sale HQ does not have is found, at its branch, and
//! nothing else; once the till pushes, the day matches. A statement with a broken row imports
//! nothing and says which row.
//!
//! Runs on SQLite, and on PostgreSQL with `TILLPOINT_TEST_PG`.

use std::time::Duration;

use pos_app::TillError;
use pos_app::engine::{CodePayment, Paid};
use tests::browser::Browser;
use tests::*;

/// Sells the `n`-th demo product and pays it with `code`; the order number.
fn sell_by_code(t: &mut TestTill, n: usize, code: &str) -> String {
    let item = t.barcode(n);
    t.till.scan(&item).expect("scan");
    let mut out: Result<CodePayment, TillError> = t.till.pay_by_code(code, None);
    while let Ok(CodePayment::Waiting(_)) = out {
        std::thread::sleep(Duration::from_millis(50));
        out = t.till.poll_code_payment().map(|o| o.expect("an open attempt"));
    }
    match out.expect("paid") {
        CodePayment::Paid { attempt, paid: Paid::Completed(_) } => attempt.order_no,
        other => panic!("expected a completed sale, got {other:?}"),
    }
}

fn pushed(t: &TestTill) {
    t.wait_pushed(Duration::from_secs(60));
}

#[test]
fn a_days_reconciliation_with_one_mismatch_found() {
    let hq = Hq::start_paying(Hq::quick_payments());
    let sim = hq.payments.simulator.clone().expect("the simulator");
    // The provider's clock at yesterday's noon in Beijing: the day has a statement, whatever the
    // hour here.
    let zone = hq_server::reconciliation::provider_zone();
    let day = jiff::Timestamp::now().to_zoned(zone.clone()).date().yesterday().expect("yesterday");
    sim.set_now(Some(day.at(12, 0, 0, 0).to_zoned(zone).expect("noon").timestamp()));

    let mut t1 = TestTill::enrol(&hq, &hq.code(0, 0));
    let mut t2 = TestTill::enrol(&hq, &hq.code(1, 0));
    t1.open_shift(CASHIER);
    t2.open_shift(CASHIER);
    sell_by_code(&mut t1, 0, "134567890123450101");
    sell_by_code(&mut t1, 1, "281234567890120102");
    sell_by_code(&mut t1, 2, "281234567890120103");
    t1.start_sync();
    pushed(&t1);
    // The second branch's till sells, and has not pushed yet.
    let held = sell_by_code(&mut t2, 0, "134567890123450201");

    let dir = tempfile::tempdir().expect("dir");
    let wechat = dir.path().join(format!("wechat-{day}.csv"));
    let alipay = dir.path().join(format!("alipay-{day}.csv"));
    std::fs::write(&wechat, sim.wechat_statement(day)).expect("write");
    std::fs::write(&alipay, sim.alipay_statement(day)).expect("write");
    let broken = dir.path().join("broken.csv");
    let text = sim.wechat_statement(day);
    let mut lines: Vec<&str> = text.lines().collect();
    let bad = lines[2].replacen("`SUCCESS,", "`SUCCESS,`,", 1);
    lines[2] = &bad;
    std::fs::write(&broken, lines.join("\r\n")).expect("write");

    let base = hq.url();
    let branch2 = hq.demo.branches[1].id.0;
    hq.rt.block_on(async {
        let b = Browser::start().await;
        b.sign_in(&base, "finance", "tillpoint-finance").await;
        b.client.goto(&format!("{base}/console/finance")).await.expect("goto");
        b.click("#to-reconciliation").await;
        assert_eq!(b.path().await, "/console/reconciliation");
        let upload = |provider: &'static str, path: std::path::PathBuf| {
            let b = &b;
            async move {
                b.set_value("#statement-provider", provider).await;
                b.set_value("#statement-day", &day.to_string()).await;
                let input = b.client.find(fantoccini::Locator::Css("#statement-file")).await.expect("file input");
                input.send_keys(&path.display().to_string()).await.expect("choose file");
                b.click("#import-statement").await;
            }
        };
        // A broken row: nothing imported, the row named, the refusal listed.
        upload("wechat", broken).await;
        let error = b.text("#statement-error").await;
        assert!(error.contains("row 3") && error.contains("nothing was imported"), "{error}");
        assert!(b.text("#rejected-statements").await.contains("broken.csv"));

        upload("wechat", wechat).await;
        let imported = b.text("#statement-imported").await;
        assert!(imported.contains(" 2 "), "two payments: {imported}");
        upload("alipay", alipay).await;
        assert!(b.text("#statement-imported").await.contains("alipay"));

        // WeChat Pay: exactly one difference, the held sale's payment, at the second branch.
        let rows = b.client.find_all(fantoccini::Locator::Css("section[data-provider=wechat] tr.difference")).await;
        assert_eq!(rows.expect("rows").len(), 1);
        let diff = b.text("section[data-provider=wechat] tr.difference").await;
        assert!(diff.contains(&held), "{diff}");
        let kind = b
            .client
            .find(fantoccini::Locator::Css("section[data-provider=wechat] tr.difference"))
            .await
            .expect("row")
            .attr("data-kind")
            .await
            .expect("attr");
        assert_eq!(kind.as_deref(), Some("missing_at_hq"));
        let branch_row = format!("section[data-provider=wechat] tr[data-branch='{branch2}'] td.differences");
        assert_eq!(b.text(&branch_row).await, "1");
        // Alipay: both payments match.
        b.wait_for("section[data-provider=alipay] .no-differences").await;
        b.quit().await;
    });

    // The till pushes: the day matches.
    t2.start_sync();
    pushed(&t2);
    let finance = hq.sign_in("finance", "tillpoint-finance");
    let (status, reports) =
        hq.api(&finance, reqwest::Method::GET, &format!("/api/v1/payments/reconciliation?day={day}"), None);
    assert_eq!(status, 200, "{reports}");
    for r in reports.as_array().expect("reports") {
        assert_eq!(r["differences"], serde_json::json!([]), "{r}");
        assert_eq!(r["provider_paid"], r["ours_paid"], "{r}");
    }
    assert_eq!(reports[0]["matched_payments"], 2);
    assert_eq!(reports[1]["matched_payments"], 2);
}
