//! Expenses (费用) and the P&L (损益表) through the API and the console, on both stores: entries and
//! corrections, a negative entry that is not a correction refused with nothing written, a CSV with
//! bad lines booking nothing and naming each, the P&L tied out to the finance reports and to the
//! expenses typed for the month, the month before and the same month last year, and a branch
//! manager seeing only their own branch's.

use axum::http::StatusCode;
use hq_server::store::{ExpenseStore as _, PolicyStore as _};
use serde_json::{Value, json};
use shared::ids::BranchId;
use shared::money::Qty;
use shared::sale::ReturnPick;
use shared::sync::Event;

use crate::helpers::{TestApp, console_as_admin, spawn_app, spawn_app_at};

/// An expense as the API takes it.
fn expense(branch: BranchId, month: &str, subject: &str, amount: i64) -> Value {
    json!({"branch_id": branch.0, "month": month, "subject": subject, "amount": amount})
}

async fn entries(app: &TestApp, query: &str) -> Vec<Value> {
    let r = app.get(&format!("/api/v1/expenses?{query}"), &app.admin).await.expect(StatusCode::OK);
    r.body.as_array().expect("entries").clone()
}

#[tokio::test]
async fn entries_and_corrections_are_booked_and_a_negative_entry_is_refused_with_nothing_written() {
    let app = spawn_app().await;
    let b1 = app.branch("B001").await;
    let b2 = app.branch("B002").await;
    let fin = app.user("fin", "finance", None).await;
    let audit = app.audit_count().await;

    let rent = app
        .post(
            "/api/v1/expenses",
            &fin,
            json!({"branch_id": b1.0, "month": "2026-03", "subject": "rent",
        "amount": 1_200_000, "note": "三月房租"}),
        )
        .await
        .expect(StatusCode::CREATED)
        .body;
    assert_eq!(
        (rent["amount"].as_i64(), rent["month"].as_str(), rent["correction"].as_bool()),
        (Some(1_200_000), Some("2026-03"), Some(false))
    );
    assert_eq!((rent["branch_code"].as_str(), rent["subject_name"].as_str()), (Some("B001"), Some("房租 Rent")));
    assert!(rent["created_by"].as_str().expect("who").ends_with(":fin"), "{rent}");
    assert_eq!(app.audit_count().await, audit + 1, "the booking is in the audit log");

    // Negative and not a correction: refused with the reason, nothing written.
    let refused = app.post("/api/v1/expenses", &fin, expense(b1, "2026-03", "utilities", -30_000)).await;
    let refused = refused.expect(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body["message"].as_str().expect("why").contains("correction"), "{}", refused.body);
    for bad in [
        expense(b1, "2026-03", "utilities", 0),
        expense(b1, "2026-03", "bribes", 100),
        expense(BranchId(9_999), "2026-03", "rent", 100),
        expense(b1, "2026-13", "rent", 100),
        expense(b1, "2026-03", "rent", 10_000_000_001),
        json!({"branch_id": b1.0, "month": "2026-03", "subject": "rent", "amount": 100, "note": "a\u{7}b"}),
        // A correction naming an entry of another subject, or another branch's.
        json!({"branch_id": b1.0, "month": "2026-03", "subject": "wages", "amount": -100, "correction": true,
               "corrects": rent["id"]}),
        json!({"branch_id": b2.0, "month": "2026-03", "subject": "rent", "amount": -100, "correction": true,
               "corrects": rent["id"]}),
        // Only a correction names what it corrects.
        json!({"branch_id": b1.0, "month": "2026-03", "subject": "rent", "amount": 100, "corrects": rent["id"]}),
    ] {
        let r = app.post("/api/v1/expenses", &fin, bad.clone()).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {}", r.body);
    }
    assert_eq!(entries(&app, "from=2026-01&to=2026-12").await.len(), 1, "nothing was written");
    assert_eq!(app.audit_count().await, audit + 1, "nor audited");

    // A mistake is put right by a correction, which may be negative and names the entry.
    let fix = app
        .post(
            "/api/v1/expenses",
            &fin,
            json!({"branch_id": b1.0, "month": "2026-03", "subject": "rent",
        "amount": -200_000, "note": "多记 ¥2,000", "correction": true, "corrects": rent["id"]}),
        )
        .await
        .expect(StatusCode::CREATED)
        .body;
    assert_eq!((fix["correction"].as_bool(), fix["corrects"].as_i64()), (Some(true), rent["id"].as_i64()));
    app.post("/api/v1/expenses", &fin, expense(b2, "2026-02", "wages", 4_500_000)).await.expect(StatusCode::CREATED);
    let march = entries(&app, "from=2026-03&to=2026-03").await;
    assert_eq!(
        march.iter().map(|e| e["amount"].as_i64().expect("fen")).collect::<Vec<_>>(),
        [-200_000, 1_200_000],
        "newest first"
    );
    assert_eq!(entries(&app, &format!("from=2026-01&to=2026-12&branch_id={}", b2.0)).await.len(), 1);
    assert_eq!(entries(&app, "from=2026-01&to=2026-12&subject=rent").await.len(), 2);
    for bad in ["Not%00a%20code", ""] {
        app.get(&format!("/api/v1/expenses?subject={bad}"), &fin).await.expect(StatusCode::UNPROCESSABLE_ENTITY);
    }
    app.get("/api/v1/expenses?from=2026-04&to=2026-03", &fin).await.expect(StatusCode::UNPROCESSABLE_ENTITY);
    app.get("/api/v1/expenses?branch_id=9999", &fin).await.expect(StatusCode::NOT_FOUND);

    // Entries are never edited or deleted, whatever asks.
    let id = rent["id"].as_i64().expect("id");
    assert!(app.store.raw(|c| Ok(c.execute("UPDATE expenses SET amount = 1 WHERE id = ?1", [id])?)).is_err());
    assert!(app.store.raw(|c| Ok(c.execute("DELETE FROM expenses WHERE id = ?1", [id])?)).is_err());

    // Subjects: the five to start with, one added, renamed; codes are unique.
    let subjects = app.get("/api/v1/expense-subjects", &fin).await.expect(StatusCode::OK).body;
    let codes: Vec<&str> =
        subjects.as_array().expect("subjects").iter().map(|s| s["code"].as_str().expect("code")).collect();
    assert_eq!(codes, ["rent", "wages", "utilities", "promotion", "other"]);
    app.post("/api/v1/expense-subjects", &fin, json!({"code": "cleaning", "name": "保洁 Cleaning"}))
        .await
        .expect(StatusCode::CREATED);
    app.post("/api/v1/expense-subjects", &fin, json!({"code": "cleaning", "name": "again"}))
        .await
        .expect(StatusCode::CONFLICT);
    app.post("/api/v1/expense-subjects", &fin, json!({"code": "Bad Code", "name": "x"}))
        .await
        .expect(StatusCode::UNPROCESSABLE_ENTITY);
    let renamed = app.put("/api/v1/expense-subjects/cleaning", &fin, json!({"name": "保洁费 Cleaning"})).await;
    assert_eq!(renamed.expect(StatusCode::OK).body["name"], "保洁费 Cleaning");
    app.put("/api/v1/expense-subjects/nothing", &fin, json!({"name": "x"})).await.expect(StatusCode::NOT_FOUND);
    app.post("/api/v1/expenses", &fin, expense(b1, "2026-03", "cleaning", 80_000)).await.expect(StatusCode::CREATED);
    assert_eq!(app.store.expense_subjects().expect("subjects").len(), 6);

    // Marketing books nothing and reads no expenses.
    let mkt = app.user("mkt", "marketing", None).await;
    app.get("/api/v1/expenses", &mkt).await.expect(StatusCode::FORBIDDEN);
    app.post("/api/v1/expenses", &mkt, expense(b1, "2026-03", "rent", 100)).await.expect(StatusCode::FORBIDDEN);
}

async fn import(app: &TestApp, csv: &str) -> crate::helpers::Reply {
    app.post_csv("/api/v1/expenses/import", &app.admin, csv).await
}

#[tokio::test]
async fn a_csv_with_bad_lines_books_nothing_and_names_every_bad_line() {
    let app = spawn_app().await;
    app.branch("B001").await;
    app.branch("B002").await;
    let audit = app.audit_count().await;
    let bad = "branch,month,subject,amount,note,correction\n\
               B001,2026-03,rent,28000.00,三月房租,\n\
               B001,2026-03,utilities,-300.00,多记,no\n\
               B009,2026-03,rent,100,,\n\
               B002,2026-03,bribes,100,,\n\
               B002,2026-3,wages,100,,\n\
               B002,2026-03,wages,12.345,,\n";
    let r = import(&app, bad).await.expect(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["error"], "import_refused");
    let lines: Vec<u64> =
        r.body["errors"].as_array().expect("errors").iter().map(|e| e["line"].as_u64().expect("line")).collect();
    assert_eq!(lines, [3, 4, 5, 6, 7], "{}", r.body);
    let reasons: Vec<&str> =
        r.body["errors"].as_array().expect("errors").iter().map(|e| e["reason"].as_str().expect("why")).collect();
    assert!(reasons[0].contains("correction"), "{reasons:?}");
    assert!(reasons[1].contains("B009") && reasons[2].contains("bribes"), "{reasons:?}");
    assert!(entries(&app, "from=2026-01&to=2026-12").await.is_empty(), "nothing was booked");
    assert_eq!(app.audit_count().await, audit);
    let header = import(&app, "branch,month,amount\nB001,2026-03,1\n").await.expect(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(header.body["errors"][0]["reason"].as_str().expect("why").contains("subject"), "{}", header.body);

    // A good file is booked whole, yuan to the fen exactly, a correction negative.
    let good = "\u{feff}Month,Branch,Subject,Amount,Correction,Note\n\
                2026-03,B001,rent,28000.00,,三月房租\n\
                2026-03,b002,wages,1234.5,,\n\
                2026-03,B001,rent,-0.01,是,更正\n";
    let r = import(&app, good).await.expect(StatusCode::OK);
    assert_eq!((r.body["applied"].as_bool(), r.body["created"].as_u64()), (Some(true), Some(3)));
    let mut amounts: Vec<i64> =
        entries(&app, "from=2026-03&to=2026-03").await.iter().map(|e| e["amount"].as_i64().expect("fen")).collect();
    amounts.sort_unstable();
    assert_eq!(amounts, [-1, 123_450, 2_800_000]);
    assert!(entries(&app, "from=2026-03&to=2026-03").await.iter().all(|e| e["source"] == "import"));
    assert_eq!(app.audit_count().await, audit + 3);
}

/// A report's total of a column, through the API.
async fn total(app: &TestApp, kind: &str, month: &str, branch: Option<BranchId>, column: &str) -> i64 {
    let m = shared::expenses::Month::parse(month).expect("month");
    let b = branch.map(|b| format!("&branch_id={}", b.0)).unwrap_or_default();
    let uri = format!("/api/v1/reports/{kind}?from={}&to={}{b}", m.first_day(), m.last_day());
    let r = app.get(&uri, &app.admin).await.expect(StatusCode::OK).body;
    let i = r["columns"].as_array().expect("columns").iter().position(|c| c["name"] == column).expect("column");
    r["totals"][i].as_i64().unwrap_or(0)
}

/// A sale at `till` on `day` (noon in Shanghai, the till's clock at the same time).
fn sale_on(till: &hq_server::fixtures::TillRef, seq: u32, day: jiff::civil::Date) -> shared::sale::CompletedSale {
    let mut s = hq_server::fixtures::sale(till, seq, 3, 1);
    s.business_day = day;
    s.completed_at = day.at(12, 0, 0, 0).in_tz("Asia/Shanghai").expect("noon").timestamp();
    s
}

#[tokio::test]
async fn the_pnl_ties_out_to_the_reports_and_to_the_expenses_typed_for_three_months() {
    // HQ at noon on 10 March 2026 in Shanghai: the demo's twenty days of sales run from February
    // into March, so this month and the month before both have trading; last March has none.
    let at = jiff::civil::date(2026, 3, 10).at(12, 0, 0, 0).in_tz("Asia/Shanghai").expect("noon").timestamp();
    let (app, _clock) = spawn_app_at(at).await;
    let store = app.store.clone();
    let demo = tokio::task::spawn_blocking(move || {
        let options =
            hq_server::demo::DemoOptions { history_days: 20, members: 30, ..hq_server::demo::DemoOptions::small() };
        hq_server::demo::seed(&*store, &options).expect("demo chain")
    })
    .await
    .expect("join");
    let (b1, b2) = (demo.branches[0].id, demo.branches[1].id);
    // A sale on 5 March, returned whole on the 6th: refunds paid back in March.
    let (till, token) = app.enrolled_till(b1).await;
    let sale = sale_on(&till, 1, jiff::civil::date(2026, 3, 5));
    let picks: Vec<ReturnPick> =
        sale.lines.iter().enumerate().map(|(i, l)| ReturnPick { line: i, qty: Qty(l.priced.qty.0) }).collect();
    let mut refund = crate::members::refund_of(&sale, &picks, &[]);
    refund.business_day = jiff::civil::date(2026, 3, 6);
    refund.refunded_at = refund.business_day.at(15, 0, 0, 0).in_tz("Asia/Shanghai").expect("time").timestamp();
    for (seq, (event, when)) in [
        (Event::SaleCompleted(sale.clone()), sale.completed_at),
        (Event::SaleRefunded(refund.clone()), refund.refunded_at),
    ]
    .into_iter()
    .enumerate()
    {
        let mut envelope = hq_server::fixtures::envelope(till.till, seq as u64 + 1, event);
        envelope.at = when;
        let r = app.push(&token, till.till, vec![envelope]).await.expect(StatusCode::OK);
        assert_eq!(r.body["results"][0]["outcome"]["status"], "accepted", "{}", r.body);
    }
    // Expenses typed for each month shown, at both branches, with a correction.
    let typed = [
        (b1, "2026-03", "rent", 2_800_000),
        (b1, "2026-03", "wages", 4_100_000),
        (b2, "2026-03", "rent", 3_100_000),
        (b1, "2026-02", "rent", 2_800_000),
        (b1, "2026-02", "utilities", 350_000),
        (b2, "2026-02", "promotion", 120_000),
        (b1, "2025-03", "rent", 2_600_000),
    ];
    for (b, m, s, fen) in typed {
        app.post("/api/v1/expenses", &app.admin, expense(b, m, s, fen)).await.expect(StatusCode::CREATED);
    }
    app.post(
        "/api/v1/expenses",
        &app.admin,
        json!({"branch_id": b1.0, "month": "2026-02", "subject": "utilities",
        "amount": -20_000, "correction": true}),
    )
    .await
    .expect(StatusCode::CREATED);
    let redeem = app.store.current_policy().expect("policy").redeem;

    for branch in [None, Some(b1), Some(b2)] {
        let q = branch.map(|b| format!("&branch_id={}", b.0)).unwrap_or_default();
        let pnl =
            app.get(&format!("/api/v1/reports/pnl?month=2026-03{q}"), &app.admin).await.expect(StatusCode::OK).body;
        assert_eq!(pnl["missing"], "no stock costs yet");
        let columns = pnl["columns"].as_array().expect("columns");
        assert_eq!(
            columns.iter().map(|c| c["month"].as_str().expect("month")).collect::<Vec<_>>(),
            ["2026-03", "2026-02", "2025-03"]
        );
        for c in columns {
            let month = c["month"].as_str().expect("month");
            let due = total(&app, "sales_by_branch", month, branch, "due").await;
            let back = total(&app, "refunds_and_voids", month, branch, "paid_back").await;
            let promotions = total(&app, "promotions", month, branch, "cost").await;
            let points = total(&app, "points", month, branch, "points").await;
            let bonus = total(&app, "stored_value", month, branch, "bonus").await;
            let expenses: i64 = typed
                .iter()
                .filter(|(b, m, _, _)| *m == month && branch.is_none_or(|x| x == *b))
                .map(|t| t.3)
                .sum::<i64>()
                + if month == "2026-02" && branch != Some(b2) { -20_000 } else { 0 };
            let why = format!("{month} at {branch:?}: {c}");
            assert_eq!(c["sales_due"].as_i64(), Some(due), "{why}");
            assert_eq!(c["refunds_paid_back"].as_i64(), Some(back), "{why}");
            assert_eq!(c["net_sales"].as_i64(), Some(due - back), "{why}");
            assert_eq!(c["promotion_cost"].as_i64(), Some(promotions), "{why}");
            assert_eq!(c["points_change"].as_i64(), Some(points), "{why}");
            let points_cost = shared::expenses::points_value(points, &redeem).0;
            assert_eq!(c["points_cost"].as_i64(), Some(points_cost), "{why}");
            assert_eq!(c["bonus_cost"].as_i64(), Some(bonus), "{why}");
            assert_eq!(c["expenses"].as_i64(), Some(expenses), "{why}");
            let by_subject: i64 = c["expenses_by_subject"]
                .as_array()
                .expect("subjects")
                .iter()
                .map(|s| s["amount"].as_i64().expect("fen"))
                .sum();
            assert_eq!(by_subject, expenses, "{why}");
            assert_eq!(
                c["contribution_before_cogs"].as_i64(),
                Some(due - back - points_cost - bonus - expenses),
                "{why}"
            );
            assert!(c["cogs"].is_null() && c["gross_margin"].is_null() && c["contribution"].is_null(), "{why}");
        }
        // Trading in March and February, none last March; the refund is March's, at B001.
        assert!(columns[0]["sales_due"].as_i64() > Some(0) && columns[1]["sales_due"].as_i64() > Some(0));
        assert_eq!(columns[2]["sales_due"].as_i64(), Some(0));
        assert_eq!(columns[0]["refunds_paid_back"].as_i64() > Some(0), branch != Some(b2), "{branch:?}");
        if branch.is_none() {
            assert!(columns[0]["points_change"].as_i64() > Some(0), "members earned points in March");
            assert_eq!(columns[0]["expenses"].as_i64(), Some(10_000_000));
            assert_eq!(columns[1]["expenses"].as_i64(), Some(3_250_000));
            assert_eq!(columns[2]["expenses"].as_i64(), Some(2_600_000));
        }
    }
    // The CSV: a line per figure, a column per month, what is missing said so.
    let r = app.get(&format!("/api/v1/reports/pnl?month=2026-03&branch_id={}&format=csv", b1.0), &app.admin).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text.starts_with("line,2026-03,2026-02,2025-03\n"), "{}", r.text);
    assert!(r.text.contains("\nexpense:rent,28000.00,28000.00,26000.00\n"), "{}", r.text);
    assert!(r.text.contains("\ncogs,missing,missing,missing\n"), "{}", r.text);
    app.get("/api/v1/reports/pnl?month=2026-3", &app.admin).await.expect(StatusCode::UNPROCESSABLE_ENTITY);
    app.get("/api/v1/reports/pnl?branch_id=9999", &app.admin).await.expect(StatusCode::NOT_FOUND);
    app.get("/api/v1/reports/pnl?format=xml", &app.admin).await.expect(StatusCode::BAD_REQUEST);
    // By default, this month: HQ's today is 10 March.
    let now = app.get("/api/v1/reports/pnl", &app.admin).await.expect(StatusCode::OK).body;
    assert_eq!(now["month"], "2026-03");
}

#[tokio::test]
async fn a_branch_manager_sees_only_their_own_branchs_pnl() {
    let app = spawn_app().await;
    let b1 = app.branch("B001").await;
    let b2 = app.branch("B002").await;
    app.post("/api/v1/expenses", &app.admin, expense(b1, "2026-03", "rent", 100_000)).await.expect(StatusCode::CREATED);
    app.post("/api/v1/expenses", &app.admin, expense(b2, "2026-03", "rent", 300_000)).await.expect(StatusCode::CREATED);
    let mgr = app.user("mgr1", "branch_manager", Some(b1)).await;
    let own = app.get("/api/v1/reports/pnl?month=2026-03", &mgr).await.expect(StatusCode::OK).body;
    assert_eq!((own["branch_id"].as_i64(), own["columns"][0]["expenses"].as_i64()), (Some(b1.0), Some(100_000)));
    let asked = app.get(&format!("/api/v1/reports/pnl?month=2026-03&branch_id={}", b1.0), &mgr).await;
    assert_eq!(asked.expect(StatusCode::OK).body["columns"][0]["expenses"].as_i64(), Some(100_000));
    app.get(&format!("/api/v1/reports/pnl?month=2026-03&branch_id={}", b2.0), &mgr).await.expect(StatusCode::NOT_FOUND);
    app.get("/api/v1/expenses", &mgr).await.expect(StatusCode::FORBIDDEN);
    // The console alike: their branch's P&L, never another's.
    let page = |uri: String| {
        let (app, mgr) = (&app, mgr.clone());
        async move {
            let request = axum::http::Request::builder()
                .uri(uri)
                .header("cookie", mgr)
                .body(axum::body::Body::empty())
                .expect("request");
            let resp = tower::ServiceExt::oneshot(app.router.clone(), request).await.expect("response");
            let status = resp.status();
            let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX).await.expect("body");
            (status, String::from_utf8_lossy(&bytes).into_owned())
        }
    };
    let (status, html) = page("/console/pnl?month=2026-03".into()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("id=\"expenses-0\"") && html.contains("-¥1000.00"), "{html}");
    assert!(!html.contains("¥3000.00"));
    assert_eq!(page(format!("/console/pnl?month=2026-03&branch={}", b2.0)).await.0, StatusCode::NOT_FOUND);
    assert_eq!(page("/console/expenses".into()).await.0, StatusCode::FORBIDDEN);
}

/// The CSRF token of the admin's console session.
async fn csrf(app: &TestApp) -> String {
    let (_, _, page) = console_as_admin(app, "GET", "/console/expenses", None).await;
    let at = page.find("name=\"_csrf\" value=\"").expect("a CSRF field") + 20;
    page[at..at + 32].to_owned()
}

#[tokio::test]
async fn the_console_books_an_expense_refuses_a_bad_one_as_typed_and_shows_the_pnl() {
    let app = spawn_app().await;
    let b1 = app.branch("B001").await;
    let token = csrf(&app).await;
    let form = |amount: &str, correction: bool| {
        format!(
            "_csrf={token}&branch={}&month=2026-03&subject=utilities&amount={amount}&note=%E6%B0%B4%E7%94%B5{}",
            b1.0,
            if correction { "&correction=yes" } else { "" }
        )
    };
    let (status, _, page) = console_as_admin(&app, "POST", "/console/expenses", Some(form("-30.00", false))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("id=\"expense-error\"") && page.contains("correction"), "{page}");
    assert!(page.contains("value=\"-30.00\""), "the form comes back as typed");
    assert!(entries(&app, "from=2026-01&to=2026-12").await.is_empty(), "nothing was booked");
    let (status, _, page) = console_as_admin(&app, "POST", "/console/expenses", Some(form("1234.50", false))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("id=\"expense-booked\""), "{page}");
    let (status, _, _) = console_as_admin(&app, "POST", "/console/expenses", Some(form("-34.50", true))).await;
    assert_eq!(status, StatusCode::OK);
    let booked: Vec<i64> =
        entries(&app, "from=2026-03&to=2026-03").await.iter().map(|e| e["amount"].as_i64().expect("fen")).collect();
    assert_eq!(booked, [-3_450, 123_450]);
    // A subject added and renamed in the console.
    let (status, _, _) = console_as_admin(
        &app,
        "POST",
        "/console/expenses/subjects",
        Some(format!("_csrf={token}&code=cleaning&name=%E4%BF%9D%E6%B4%81")),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, page) = console_as_admin(
        &app,
        "POST",
        "/console/expenses/subjects/cleaning",
        Some(format!("_csrf={token}&name=Cleaning")),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Cleaning"));
    let (status, _, _) = console_as_admin(
        &app,
        "POST",
        "/console/expenses",
        Some("branch=1&month=2026-03&subject=rent&amount=1".into()),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a form without its CSRF token changes nothing");

    let (status, _, page) =
        console_as_admin(&app, "GET", &format!("/console/pnl?month=2026-03&branch={}", b1.0), None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("id=\"pnl-missing\"") && page.contains("缺：尚无库存成本"), "COGS missing, said plainly");
    assert!(page.contains("id=\"expenses-0\"") && page.contains("-¥1200.00"), "{page}");
    assert!(page.contains("id=\"contribution_before_cogs-0\""));
    let (_, _, finance) = console_as_admin(&app, "GET", "/console/finance", None).await;
    assert!(finance.contains("href=\"/console/pnl\"") && finance.contains("href=\"/console/expenses\""));
}
