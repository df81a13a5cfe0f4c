//! Targets (计划) and plan against actual through the API and the console, on both stores, over the
//! demo chain's past sales on a fixed clock (2027-03-15, 14:00 in Shanghai): a year split into
//! months that add up, replaced and audited; actual figures equal to the finance reports' (their
//! own queries); the period's target by the days it covers, the pace to the month's end, the
//! ranking; bad targets refused with nothing written; a branch manager sees only their branch.

use axum::http::StatusCode;
use serde_json::{Value, json};

use hq_server::store::PlanStore as _;

use crate::helpers::{TestApp, console_as_admin, spawn_app_at};

/// 2027-03-15 14:00 in Shanghai: the demo's history is the days before it.
fn now() -> jiff::Timestamp {
    "2027-03-15T06:00:00Z".parse().expect("instant")
}

async fn with_history() -> TestApp {
    let (app, _clock) = spawn_app_at(now()).await;
    let store = app.store.clone();
    tokio::task::spawn_blocking(move || {
        let options =
            hq_server::demo::DemoOptions { history_days: 20, members: 30, ..hq_server::demo::DemoOptions::small() };
        hq_server::demo::seed(&*store, &options).expect("demo chain with history");
    })
    .await
    .expect("join");
    app
}

async fn branch_ids(app: &TestApp) -> Vec<i64> {
    let list = app.get("/api/v1/branches", &app.admin).await.expect(StatusCode::OK).body;
    list.as_array().expect("branches").iter().map(|b| b["id"].as_i64().expect("id")).collect()
}

/// A report's total of a column, from the finance reports (their own queries).
async fn report_total(app: &TestApp, kind: &str, from: &str, to: &str, branch: i64, column: &str) -> i64 {
    let r = app
        .get(&format!("/api/v1/reports/{kind}?from={from}&to={to}&branch_id={branch}"), &app.admin)
        .await
        .expect(StatusCode::OK)
        .body;
    let at = r["columns"].as_array().expect("columns").iter().position(|c| c["name"] == column).expect(column);
    r["rows"].as_array().expect("rows").iter().map(|row| row[at].as_i64().unwrap_or(0)).sum()
}

fn set(branch: i64, metric: &str, split: &str, total: Option<i64>, months: Option<Vec<i64>>) -> Value {
    json!({"branch_id": branch, "year": 2027, "metric": metric, "split": split, "total": total, "months": months})
}

#[tokio::test]
async fn a_years_target_splits_into_months_that_add_up_and_is_replaced_and_audited() {
    let app = with_history().await;
    let b = branch_ids(&app).await[0];
    let before = app.audit_count().await;
    let r = app.put("/api/v1/targets", &app.admin, set(b, "sales", "even", Some(1_200_005), None)).await;
    let months: Vec<i64> = serde_json::from_value(r.expect(StatusCode::OK).body["months"].clone()).expect("months");
    assert_eq!(months.iter().sum::<i64>(), 1_200_005);
    assert_eq!(months[0], 100_001);
    assert_eq!(months[11], 100_000);
    assert_eq!(app.audit_count().await, before + 1);

    // Typed month by month, it replaces the year (one year of sales listed, with the new months).
    let typed: Vec<i64> = (1..=12).map(|m| m * 10_000).collect();
    app.put("/api/v1/targets", &app.admin, set(b, "sales", "typed", None, Some(typed.clone())))
        .await
        .expect(StatusCode::OK);
    // A ratio holds each month.
    app.put("/api/v1/targets", &app.admin, set(b, "member_share", "even", Some(4_550), None))
        .await
        .expect(StatusCode::OK);
    let list =
        app.get(&format!("/api/v1/targets?year=2027&branch_id={b}"), &app.admin).await.expect(StatusCode::OK).body;
    let list = list.as_array().expect("years");
    assert_eq!(list.len(), 3, "the demo's three metrics, two of them set again here: {list:?}");
    let sales = list.iter().find(|t| t["metric"] == "sales").expect("sales");
    assert_eq!(sales["months"], json!(typed));
    assert_eq!(sales["split"], "typed");
    let share = list.iter().find(|t| t["metric"] == "member_share").expect("share");
    assert_eq!(share["months"], json!(vec![4_550; 12]));

    // Last year's shape: the demo's history is of 2027 only, and a year not traded whole (here
    // not at all) splits evenly rather than into the months that happen to have sales.
    let r = app.put("/api/v1/targets", &app.admin, set(b, "sales", "last_year", Some(120), None)).await;
    assert_eq!(r.expect(StatusCode::OK).body["months"], json!(vec![10; 12]));

    // The shape the split reads: each month's net sales, as the finance reports sum them.
    let store = app.store.clone();
    let months =
        tokio::task::spawn_blocking(move || store.monthly_sales(2027, None)).await.expect("join").expect("months");
    let mut chain_march = 0;
    for id in branch_ids(&app).await {
        let sold = report_total(&app, "sales_by_branch", "2027-03-01", "2027-03-31", id, "due").await;
        let back = report_total(&app, "refunds_and_voids", "2027-03-01", "2027-03-31", id, "paid_back").await;
        chain_march += sold - back;
    }
    assert!(chain_march > 0, "the demo sold in March");
    assert_eq!(months[2], chain_march);
}

#[tokio::test]
async fn plan_against_actual_takes_the_days_covered_paces_the_month_and_ranks_the_branches() {
    let app = with_history().await;
    let ids = branch_ids(&app).await;
    let (b1, b2) = (ids[0], ids[1]);
    // March: 3,100,000 fen at b1 and 6,200,000 at b2 (typed, so March is exact).
    let year = |march: i64| (1..=12).map(|m| if m == 3 { march } else { 1_000_000 }).collect::<Vec<_>>();
    app.put("/api/v1/targets", &app.admin, set(b1, "sales", "typed", None, Some(year(3_100_000))))
        .await
        .expect(StatusCode::OK);
    app.put("/api/v1/targets", &app.admin, set(b2, "sales", "typed", None, Some(year(6_200_000))))
        .await
        .expect(StatusCode::OK);

    // March 1–10: ten of 31 days of each month's target; the actual equals the reports' net sales.
    let plan = app
        .get("/api/v1/plan?from=2027-03-01&to=2027-03-10&metric=sales", &app.admin)
        .await
        .expect(StatusCode::OK)
        .body;
    let rows = plan["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), ids.len());
    let mut sum = 0;
    for row in rows {
        let id = row["branch_id"].as_i64().expect("id");
        let sold = report_total(&app, "sales_by_branch", "2027-03-01", "2027-03-10", id, "due").await;
        let back = report_total(&app, "refunds_and_voids", "2027-03-01", "2027-03-10", id, "paid_back").await;
        let actual = row["actual"].as_i64().expect("actual");
        assert_eq!(actual, sold - back, "branch {id}'s net sales");
        assert!(actual > 0);
        sum += actual;
        let target = if id == b1 { 1_000_000 } else { 2_000_000 };
        assert_eq!(row["target"], target, "ten 31sts of March's");
        assert_eq!(row["attainment_bp"], actual * 10_000 / target);
        // The pace of March from its first ten days (the period ends before today).
        assert_eq!(row["month_actual"], actual);
        assert_eq!(row["month_projected"], actual * 31 / 10);
        let month_target = if id == b1 { 3_100_000 } else { 6_200_000 };
        assert_eq!(row["pace_bp"], (actual * 31 / 10) * 10_000 / month_target);
    }
    assert_eq!(plan["chain"]["actual"], sum);
    assert_eq!(plan["chain"]["target"], 3_000_000);
    // Ranked by attainment, best first.
    let attained: Vec<i64> = rows.iter().map(|r| r["attainment_bp"].as_i64().expect("bp")).collect();
    assert!(attained[0] >= attained[1]);
    assert_eq!(rows[0]["rank"], 1);

    // Up to today and beyond: the days not yet traded do not count in the pace (today is the 15th,
    // the 15th itself still trading).
    let plan = app.get("/api/v1/plan?from=2027-03-01&to=2027-03-31", &app.admin).await.expect(StatusCode::OK).body;
    for row in plan["rows"].as_array().expect("rows") {
        let so_far = row["month_actual"].as_i64().expect("so far");
        assert_eq!(row["month_projected"], so_far * 31 / 15);
        assert_eq!(row["target"], row["month_target"]);
    }

    // The members' share: members' sales over all sales, per the members report's own query.
    app.put("/api/v1/targets", &app.admin, set(b1, "member_share", "even", Some(5_000), None))
        .await
        .expect(StatusCode::OK);
    let plan = app
        .get(&format!("/api/v1/plan?from=2027-03-01&to=2027-03-10&metric=member_share&branch_id={b1}"), &app.admin)
        .await
        .expect(StatusCode::OK)
        .body;
    let row = &plan["rows"][0];
    let member_due = report_total(&app, "members", "2027-03-01", "2027-03-10", b1, "member_due").await;
    let due = report_total(&app, "sales_by_branch", "2027-03-01", "2027-03-10", b1, "due").await;
    assert_eq!(row["actual"], member_due * 10_000 / due);
    assert_eq!(row["target"], 5_000);
    assert_eq!(plan["rows"].as_array().expect("rows").len(), 1, "one branch asked for");

    // New members: the demo's were enrolled today, at their home branches.
    let plan = app.get("/api/v1/plan?from=2027-03-15&to=2027-03-15&metric=new_members", &app.admin).await;
    let chain_new = plan.expect(StatusCode::OK).body["chain"]["actual"].as_i64().expect("new");
    assert!(chain_new > 0);
    let plan = app.get("/api/v1/plan?from=2027-03-14&to=2027-03-14&metric=new_members", &app.admin).await;
    assert_eq!(plan.expect(StatusCode::OK).body["chain"]["actual"], 0);
}

#[tokio::test]
async fn bad_targets_are_refused_with_the_reason_and_nothing_is_written() {
    let app = with_history().await;
    let b = branch_ids(&app).await[0];
    let before = app.audit_count().await;
    let bad = [
        (set(b, "profit", "even", Some(1), None), "metric"),
        (set(b, "member_share", "even", Some(10_001), None), "10000"),
        (set(b, "sales", "even", Some(-5), None), "negative"),
        (set(b, "sales", "typed", None, Some(vec![1; 11])), "12 months"),
        (set(b, "sales", "typed", Some(5), None), "12 months"),
        (set(b, "sales", "even", None, None), "total"),
        (set(b, "sales", "weekly", Some(5), None), "split"),
        (json!({"branch_id": b, "year": 1999, "metric": "sales", "split": "even", "total": 1}), "2000"),
        (
            json!({"branch_id": b, "year": 2027, "metric": "new_members", "category_id": 1, "split": "even", "total": 1}),
            "category",
        ),
    ];
    for (body, why) in bad {
        let r = app.put("/api/v1/targets", &app.admin, body.clone()).await.expect(StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body["message"].as_str().expect("message").contains(why), "{body}: {}", r.body);
    }
    app.put("/api/v1/targets", &app.admin, set(999, "sales", "even", Some(1), None))
        .await
        .expect(StatusCode::NOT_FOUND);
    let r = app
        .put(
            "/api/v1/targets",
            &app.admin,
            json!({"branch_id": b, "year": 2027, "metric": "sales", "category_id": 9999, "split": "even", "total": 1}),
        )
        .await;
    r.expect(StatusCode::NOT_FOUND);
    assert_eq!(app.audit_count().await, before);
    let list = app.get("/api/v1/targets?year=2027", &app.admin).await.expect(StatusCode::OK).body;
    let demo_targets = list.as_array().expect("years").len();
    assert_eq!(demo_targets, 3 * branch_ids(&app).await.len(), "only the demo's own targets");
    // A plan for a period backwards or of a category of another metric is refused.
    app.get("/api/v1/plan?from=2027-03-10&to=2027-03-01", &app.admin).await.expect(StatusCode::UNPROCESSABLE_ENTITY);
    app.get("/api/v1/plan?metric=new_members&category_id=1", &app.admin).await.expect(StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn a_branch_manager_sees_their_branchs_plan_and_sets_no_target() {
    let app = with_history().await;
    let ids = branch_ids(&app).await;
    let manager = app.user("plan-manager", "branch_manager", Some(shared::ids::BranchId(ids[0]))).await;
    app.put("/api/v1/targets", &manager, set(ids[0], "sales", "even", Some(1), None))
        .await
        .expect(StatusCode::FORBIDDEN);
    let plan = app.get("/api/v1/plan", &manager).await.expect(StatusCode::OK).body;
    let rows = plan["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["branch_id"], ids[0]);
    app.get(&format!("/api/v1/plan?branch_id={}", ids[1]), &manager).await.expect(StatusCode::NOT_FOUND);
    let list = app.get("/api/v1/targets?year=2027", &manager).await.expect(StatusCode::OK).body;
    assert!(list.as_array().expect("years").iter().all(|t| t["branch_id"] == ids[0]));
    app.get(&format!("/api/v1/targets?branch_id={}", ids[1]), &manager).await.expect(StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_console_sets_a_target_and_shows_plan_against_actual_and_the_dashboards_progress() {
    let app = with_history().await;
    let b = branch_ids(&app).await[0];
    let (status, _, page) = console_as_admin(&app, "GET", "/console/targets?year=2027", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("id=\"targets\"") && page.contains("id=\"set-target\""), "{page}");
    let at = page.find("name=\"_csrf\" value=\"").expect("a CSRF field") + 20;
    let csrf = &page[at..at + 32];
    // 12,345.67 yuan a year, evenly.
    let form = format!("_csrf={csrf}&year=2027&branch_id={b}&metric=sales&category_id=0&split=even&total=12345.67");
    let (status, _, page) = console_as_admin(&app, "POST", "/console/targets", Some(form)).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("id=\"target-saved\""), "{page}");
    let list =
        app.get(&format!("/api/v1/targets?year=2027&branch_id={b}"), &app.admin).await.expect(StatusCode::OK).body;
    let sales = list.as_array().expect("years").iter().find(|t| t["metric"] == "sales").cloned().expect("sales");
    assert_eq!(
        sales["months"].as_array().expect("months").iter().map(|m| m.as_i64().expect("m")).sum::<i64>(),
        1_234_567
    );
    // A typed month that is not a number: the page says so and nothing changes.
    let form = format!("_csrf={csrf}&year=2027&branch_id={b}&metric=sales&split=typed&m1=abc");
    let (status, _, _) = console_as_admin(&app, "POST", "/console/targets", Some(form)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let again =
        app.get(&format!("/api/v1/targets?year=2027&branch_id={b}"), &app.admin).await.expect(StatusCode::OK).body;
    assert_eq!(again, list);

    let (status, _, page) = console_as_admin(&app, "GET", "/console/plan?from=2027-03-01&to=2027-03-14", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("id=\"plan\"") && page.contains("id=\"chain\""), "{page}");
    let (status, _, page) = console_as_admin(&app, "GET", "/console", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("id=\"progress\""), "the dashboard shows this month's progress: {page}");
}

#[tokio::test]
async fn a_closed_branch_takes_no_targets_and_one_closing_later_takes_them_for_its_trading_years() {
    let app = with_history().await;
    let b = branch_ids(&app).await[1];
    let view = app.get(&format!("/api/v1/branches/{b}"), &app.admin).await.expect(StatusCode::OK).body;
    let close = |on: Value| json!({"code": view["code"], "name": view["name"], "closed_on": on});
    let year = |y: i16| json!({"branch_id": b, "year": y, "metric": "sales", "split": "even", "total": 1_200_000});
    // Closed on 1 March 2027 (the clock says 15 March): no target for this year or a later one.
    let closed = app.put(&format!("/api/v1/branches/{b}"), &app.admin, close(json!("2027-03-01"))).await;
    assert_eq!(closed.expect(StatusCode::OK).body["closed_on"], "2027-03-01");
    let before = app.audit_count().await;
    let targets_before = app.get("/api/v1/targets?year=2027", &app.admin).await.body;
    for y in [2027, 2028] {
        let r = app.put("/api/v1/targets", &app.admin, year(y)).await.expect(StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body["message"].as_str().expect("why").contains("closed on 2027-03-01"), "{}", r.body);
    }
    assert_eq!(app.audit_count().await, before, "nothing written");
    assert_eq!(app.get("/api/v1/targets?year=2027", &app.admin).await.body, targets_before);
    // Closing next July: this year and next are trading years; the year after is not.
    app.put(&format!("/api/v1/branches/{b}"), &app.admin, close(json!("2028-07-01"))).await.expect(StatusCode::OK);
    for y in [2027, 2028] {
        app.put("/api/v1/targets", &app.admin, year(y)).await.expect(StatusCode::OK);
    }
    app.put("/api/v1/targets", &app.admin, year(2029)).await.expect(StatusCode::UNPROCESSABLE_ENTITY);
    // Reopened (null): it takes targets again; a date that is not one is refused, and a branch
    // saved without the field keeps its closing date.
    let open = app.put(&format!("/api/v1/branches/{b}"), &app.admin, close(Value::Null)).await.expect(StatusCode::OK);
    assert!(open.body["closed_on"].is_null(), "{}", open.body);
    app.put("/api/v1/targets", &app.admin, year(2029)).await.expect(StatusCode::OK);
    for bad in [json!("2027-02-30"), json!(""), json!(20270301)] {
        let r = app.put(&format!("/api/v1/branches/{b}"), &app.admin, close(bad.clone())).await;
        assert!(r.status.is_client_error(), "{bad}: {}", r.status);
    }
    app.put(&format!("/api/v1/branches/{b}"), &app.admin, close(json!("2028-07-01"))).await.expect(StatusCode::OK);
    let kept = json!({"code": view["code"], "name": view["name"]});
    let kept = app.put(&format!("/api/v1/branches/{b}"), &app.admin, kept).await.expect(StatusCode::OK);
    assert_eq!(kept.body["closed_on"], "2028-07-01");
    // The console's branch form sets and clears the date.
    let (status, _, page) = console_as_admin(&app, "GET", &format!("/console/branches/{b}"), None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("name=\"closed_on\""), "{page}");
}
