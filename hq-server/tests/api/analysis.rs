//! Member analysis through the API and the console, on both stores, over the demo chain's days of
//! past sales: RFM segments that add up to the members who bought, purchases per member equal to
//! the top-customers report's (another query), the 80/20 curve, a segment's CSV for a coupon
//! campaign, and bad requests refused.

use axum::http::StatusCode;
use serde_json::Value;

use hq_server::store::BranchStore as _;

use crate::helpers::{TestApp, console_as_admin, spawn_app};

async fn with_history() -> TestApp {
    let app = spawn_app().await;
    let store = app.store.clone();
    tokio::task::spawn_blocking(move || {
        let options =
            hq_server::demo::DemoOptions { history_days: 10, members: 60, ..hq_server::demo::DemoOptions::small() };
        hq_server::demo::seed(&*store, &options).expect("demo chain with history");
    })
    .await
    .expect("join");
    app
}

#[tokio::test]
async fn segments_add_up_to_the_members_who_bought_and_agree_with_the_top_customers_report() {
    let app = with_history().await;
    let report = app.get("/api/v1/analysis/rfm", &app.admin).await.expect(StatusCode::OK).body;
    let members = report["members"].as_u64().expect("members");
    assert!(members > 10, "the demo's members bought: {report}");
    let segments = report["segments"].as_array().expect("segments");
    assert_eq!(segments.len(), 8);
    assert_eq!(segments.iter().map(|s| s["members"].as_u64().expect("n")).sum::<u64>(), members);
    let share: i64 = segments.iter().map(|s| s["share_bp"].as_i64().expect("bp")).sum();
    assert!((9_992..=10_000).contains(&share), "the shares make the whole, less rounding: {share}");
    let curve = report["pareto"].as_array().expect("curve");
    assert_eq!(curve[9]["sales_bp"], 10_000);
    assert!(curve.windows(2).all(|w| w[0]["sales_bp"].as_i64() <= w[1]["sales_bp"].as_i64()));

    let (from, to) = (report["from"].as_str().expect("from"), report["to"].as_str().expect("to"));
    let list = app
        .get(&format!("/api/v1/analysis/rfm/members?from={from}&to={to}"), &app.admin)
        .await
        .expect(StatusCode::OK)
        .body;
    let list = list.as_array().expect("members");
    assert_eq!(list.len() as u64, members);
    let spend: i64 = list.iter().map(|m| m["spend"].as_i64().expect("spend").max(0)).sum();
    assert_eq!(spend, segments.iter().map(|s| s["spend"].as_i64().expect("spend")).sum::<i64>());
    // Purchases per member as the top-customers report counts them, by its own query.
    let top = app
        .get(&format!("/api/v1/reports/top_customers?from={from}&to={to}"), &app.admin)
        .await
        .expect(StatusCode::OK)
        .body;
    let rows = top["rows"].as_array().expect("rows");
    let mut compared = 0;
    for row in rows.iter().filter_map(Value::as_array) {
        let Some(code) = row[0].as_str() else { continue };
        if let Some(m) = list.iter().find(|m| m["code"] == code) {
            assert_eq!(m["orders"].as_i64(), row[2].as_i64(), "{code}'s purchases");
            assert!(m["spend"].as_i64() <= row[3].as_i64(), "{code}: net of refunds is never more than paid");
            compared += 1;
        }
    }
    assert!(compared > 3, "the top customers were compared");
    // Best spenders first, each with scores 1 to 5 and the segment they make.
    assert!(list.windows(2).all(|w| w[0]["spend"].as_i64() >= w[1]["spend"].as_i64()));
    for m in list {
        for k in ["r", "f", "m"] {
            assert!((1..=5).contains(&m[k].as_u64().expect("score")));
        }
        let rfm = shared::analysis::Rfm {
            r: m["r"].as_u64().expect("r") as u8,
            f: m["f"].as_u64().expect("f") as u8,
            m: m["m"].as_u64().expect("m") as u8,
        };
        assert_eq!(m["segment"], rfm.segment().code());
    }
}

#[tokio::test]
async fn a_segments_members_come_as_a_csv_a_coupon_campaign_takes() {
    let app = with_history().await;
    let report = app.get("/api/v1/analysis/rfm", &app.admin).await.expect(StatusCode::OK).body;
    let seg = report["segments"]
        .as_array()
        .expect("segments")
        .iter()
        .find(|s| s["members"].as_u64() > Some(0))
        .expect("a segment with members")
        .clone();
    let code = seg["segment"].as_str().expect("code");
    let r = app.get(&format!("/api/v1/analysis/rfm/members?segment={code}&format=csv"), &app.admin).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.headers["content-type"].to_str().expect("type").starts_with("text/csv"));
    let mut lines = r.text.lines();
    assert_eq!(lines.next(), Some("code,name,segment,r,f,m,last_day,orders,spend"));
    let rows: Vec<_> = lines.collect();
    assert_eq!(rows.len() as u64, seg["members"].as_u64().expect("n"));
    assert!(rows.iter().all(|l| l.split(',').nth(2) == Some(code)));
}

#[tokio::test]
async fn bad_analysis_requests_are_refused_and_branch_managers_see_no_members() {
    let app = with_history().await;
    let r = app.get("/api/v1/analysis/rfm/members?segment=vip", &app.admin).await;
    assert_eq!(r.expect(StatusCode::UNPROCESSABLE_ENTITY).error_code(), "validation");
    app.get("/api/v1/analysis/rfm?from=2026-11-30&to=2026-11-01", &app.admin)
        .await
        .expect(StatusCode::UNPROCESSABLE_ENTITY);
    app.get("/api/v1/analysis/rfm?branch_id=999", &app.admin).await.expect(StatusCode::NOT_FOUND);
    app.get("/api/v1/analysis/rfm?from=2026-02-30", &app.admin).await.expect(StatusCode::BAD_REQUEST);
    app.get("/api/v1/analysis/rfm/members?format=xml", &app.admin).await.expect(StatusCode::BAD_REQUEST);
    // A period ending on the first day a date can name starts there too (not on "-000001-01-02",
    // which no client reads as a date: schemathesis found it).
    let early = app.get("/api/v1/analysis/rfm?to=0000-01-01", &app.admin).await.expect(StatusCode::OK).body;
    assert_eq!((early["from"].as_str(), early["to"].as_str()), (Some("0000-01-01"), Some("0000-01-01")));
    let early = app.get("/api/v1/complaints/report?to=0000-01-05", &app.admin).await.expect(StatusCode::OK).body;
    assert_eq!(early["from"].as_str(), Some("0000-01-01"), "{early}");
    let branch = app.store.branch_by_code("B001").expect("read").expect("the demo's first branch").id;
    let mgr = app.user("mgr-analysis", "branch_manager", Some(branch)).await;
    app.get("/api/v1/analysis/rfm", &mgr).await.expect(StatusCode::FORBIDDEN);
    // One branch's members are some of the chain's.
    let all = app.get("/api/v1/analysis/rfm", &app.admin).await.expect(StatusCode::OK).body;
    let one =
        app.get(&format!("/api/v1/analysis/rfm?branch_id={}", branch.0), &app.admin).await.expect(StatusCode::OK).body;
    assert!(one["members"].as_u64() <= all["members"].as_u64());
}

#[tokio::test]
async fn the_console_shows_the_segments_the_curve_and_a_segments_members() {
    let app = with_history().await;
    let (status, _, page) = console_as_admin(&app, "GET", "/console/analysis", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page.matches("data-segment=").count(), 8);
    assert!(page.contains("id=\"pareto\"") && page.contains("重要价值"));
    let report = app.get("/api/v1/analysis/rfm", &app.admin).await.expect(StatusCode::OK).body;
    let seg = report["segments"]
        .as_array()
        .expect("segments")
        .iter()
        .find(|s| s["members"].as_u64() > Some(0))
        .expect("one")
        .clone();
    let (from, to) = (report["from"].as_str().expect("from"), report["to"].as_str().expect("to"));
    let uri = format!("/console/analysis?from={from}&to={to}&segment={}", seg["segment"].as_str().expect("code"));
    let (status, _, page) = console_as_admin(&app, "GET", &uri, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("id=\"segment-members\""));
    let list = &page[page.find("id=\"segment-members\"").expect("the list")..];
    assert_eq!(list.matches("<tr><td>").count() as u64, seg["members"].as_u64().expect("n").min(500));
}

/// Waits for the stored run `id` to end (it runs on HQ's blocking pool) and returns it.
async fn ended_run(app: &TestApp, id: i64) -> Value {
    for _ in 0..1_200 {
        let runs = app.get("/api/v1/analysis/rfm/runs", &app.admin).await.expect(StatusCode::OK).body;
        let run = runs.as_array().expect("runs").iter().find(|r| r["id"] == id).expect("the run is listed").clone();
        if run["state"] != "running" {
            return run;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("run {id} did not end");
}

#[tokio::test]
async fn a_stored_run_is_what_the_pages_read_and_equals_the_analysis_computed_for_the_request() {
    let app = with_history().await;
    // Before any run, the analysis is computed for each request.
    let before = app.get("/api/v1/analysis/rfm", &app.admin).await.expect(StatusCode::OK).body;
    assert!(before.get("run").is_none(), "{before}");

    let started = app.post("/api/v1/analysis/rfm/runs", &app.admin, serde_json::json!({}));
    let started = started.await.expect(StatusCode::ACCEPTED).body;
    assert_eq!(started["started_by"], "root");
    let id = started["id"].as_i64().expect("id");
    let run = ended_run(&app, id).await;
    assert_eq!(run["state"], "done", "{run}");
    let (from, to) = (run["from"].as_str().expect("from").to_owned(), run["to"].as_str().expect("to").to_owned());
    // The default period: the year of business days to the chain's yesterday.
    assert_eq!(
        to.as_str(),
        hq_server::calendar::days_before(before["to"].as_str().expect("to").parse().expect("day"), 1).to_string()
    );

    // Without a period (or with the run's), the chain's analysis is the run's.
    let stored = app.get("/api/v1/analysis/rfm", &app.admin).await.expect(StatusCode::OK).body;
    assert_eq!(stored["run"]["id"], id);
    assert_eq!((stored["from"].as_str(), stored["to"].as_str()), (Some(from.as_str()), Some(to.as_str())));
    assert_eq!(run["members"], stored["members"]);
    let computed = {
        // The run's period scored here from the store's activity, as a request would be.
        let rows = hq_server::store::AnalysisStore::member_activity(
            &*app.store,
            None,
            from.parse().expect("from"),
            to.parse().expect("to"),
        )
        .expect("activity");
        let to_day = to.parse().expect("to");
        let mut members = hq_server::analysis::scored(&rows, to_day);
        hq_server::analysis_runs::ranked(&mut members);
        let report = hq_server::analysis::report(&members, from.parse().expect("from"), to_day);
        (serde_json::to_value(&report).expect("json"), serde_json::to_value(&members).expect("json"))
    };
    assert!(stored["members"].as_u64() > Some(10), "{stored}");
    assert_eq!(stored["segments"], computed.0["segments"]);
    assert_eq!(stored["pareto"], computed.0["pareto"]);
    let listed = app.get("/api/v1/analysis/rfm/members", &app.admin).await.expect(StatusCode::OK).body;
    assert_eq!(listed, computed.1, "the stored members, best spender first, are the scored ones");
    // A segment's members and their CSV read the run too.
    let seg = stored["segments"]
        .as_array()
        .expect("segments")
        .iter()
        .find(|s| s["members"].as_u64() > Some(0))
        .expect("one")
        .clone();
    let code = seg["segment"].as_str().expect("code");
    let of_segment = app.get(&format!("/api/v1/analysis/rfm/members?segment={code}"), &app.admin).await.body;
    let expected: Vec<&Value> = computed.1.as_array().expect("all").iter().filter(|m| m["segment"] == code).collect();
    assert_eq!(of_segment.as_array().expect("list").iter().collect::<Vec<_>>(), expected);
    let csv = app.get(&format!("/api/v1/analysis/rfm/members?segment={code}&format=csv"), &app.admin).await;
    assert_eq!(csv.text.lines().count() as u64, seg["members"].as_u64().expect("n") + 1);
    // A branch, or another period, is computed for the request.
    let branch = app.get("/api/v1/analysis/rfm?branch_id=1", &app.admin).await.expect(StatusCode::OK).body;
    assert!(branch.get("run").is_none(), "{branch}");
    let other =
        app.get(&format!("/api/v1/analysis/rfm?to={to}&from={to}"), &app.admin).await.expect(StatusCode::OK).body;
    assert!(other.get("run").is_none() && other["from"] == to.as_str(), "{other}");

    // The console says where the figures come from, lists the runs and starts one.
    let (status, _, page) = console_as_admin(&app, "GET", "/console/analysis", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("读取已保存的计算结果") && page.contains(&format!(" #{id}")), "{page}");
    assert!(page.contains("id=\"runs\"") && page.contains("data-state=\"done\""), "{page}");
    let at = page.find("name=\"_csrf\" value=\"").expect("the run form") + 20;
    let csrf = page[at..at + 32].to_owned();
    let (status, location, _) =
        console_as_admin(&app, "POST", "/console/analysis/runs", Some("_csrf=forged".into())).await;
    assert_eq!((status, location), (StatusCode::FORBIDDEN, None));
    let (status, location, _) =
        console_as_admin(&app, "POST", "/console/analysis/runs", Some(format!("_csrf={csrf}"))).await;
    assert_eq!((status, location.as_deref()), (StatusCode::SEE_OTHER, Some("/console/analysis")));
    let newest = app.get("/api/v1/analysis/rfm/runs", &app.admin).await.body[0].clone();
    assert_eq!(ended_run(&app, newest["id"].as_i64().expect("id")).await["state"], "done");
    // The older run's members are kept while it is among the newest three done ones.
    let first = hq_server::store::AnalysisStore::rfm_members(&*app.store, id, None, Some(5)).expect("read");
    assert_eq!(first.len(), 5);
}

#[tokio::test]
async fn one_run_at_a_time_in_the_chain_and_a_silent_one_is_taken_for_lost() {
    use hq_server::store::AnalysisStore as _;
    let app = spawn_app().await;
    let store = app.store.clone();
    let now = hq_server::store::Clocked::now(&*store);
    let day = hq_server::calendar::hq_day(now);
    let an_hour = jiff::SignedDuration::from_hours(1);
    let first = store.start_rfm_run(day, day, "a", now, now - an_hour).expect("start").expect("the first starts");
    // Another process (another store on the same database would be refused alike: the index).
    assert_eq!(store.start_rfm_run(day, day, "b", now, now - an_hour).expect("start"), None);
    let api = app.post("/api/v1/analysis/rfm/runs", &app.admin, serde_json::json!({})).await;
    assert_eq!(api.expect(StatusCode::CONFLICT).error_code(), "conflict");
    // Heard of within the silence allowed: still running. Silent past it: failed, and the next starts.
    let later = now + an_hour;
    let second = store.start_rfm_run(day, day, "b", later, later - an_hour / 2).expect("start").expect("taken over");
    let runs = store.rfm_runs(5).expect("runs");
    let lost = runs.iter().find(|r| r.id == first).expect("the first");
    assert_eq!(lost.state, "failed");
    assert!(lost.error.as_deref().is_some_and(|e| e.contains("stopped")), "{lost:?}");
    // The lost run's own process, finishing late, is told it no longer runs; nothing of it is read.
    let late = store.finish_rfm_run(first, Ok((0, "{}")), 3, later);
    assert!(matches!(late, Err(hq_server::store::StoreError::Conflict(_))), "{late:?}");
    store.finish_rfm_run(second, Err("stopped by the test"), 3, later).expect("fail");
    assert!(store.latest_rfm_report().expect("read").is_none());
    // Bad periods are refused and start nothing.
    let bad = app.post(
        "/api/v1/analysis/rfm/runs",
        &app.admin,
        serde_json::json!({"from": "2026-11-30", "to": "2026-11-01"}),
    );
    assert_eq!(bad.await.expect(StatusCode::UNPROCESSABLE_ENTITY).error_code(), "validation");
    let list = app.post("/api/v1/analysis/rfm/runs", &app.admin, serde_json::json!([null, null])).await;
    assert!(list.status.is_client_error(), "a list is not the body's object: {}", list.status);
    assert_eq!(store.rfm_runs(5).expect("runs").len(), 2);
}

/// A member enrolled through the API at the clock's time; returns the id.
async fn enrolled(app: &TestApp, phone: &str, name: &str, home: i64) -> String {
    let r =
        app.post("/api/v1/members", &app.admin, serde_json::json!({"phone": phone, "name": name, "home_branch": home}));
    r.await.expect(StatusCode::OK).body["id"].as_str().expect("id").to_owned()
}

/// Pushes a sale of `lines` lines by `member` made now (the clock's time, its Shanghai day).
async fn bought(
    app: &TestApp,
    clock: &hq_server::clock::Clock,
    till: &hq_server::fixtures::TillRef,
    token: &str,
    seq: u32,
    member: &str,
    lines: usize,
) {
    let now = clock.now();
    let mut sale = hq_server::fixtures::sale(till, seq, lines, 1);
    sale.business_day = hq_server::calendar::hq_day(now);
    sale.completed_at = now;
    sale.member = Some(shared::sale::SaleMember {
        member_id: Some(shared::ids::MemberId::parse(member).expect("id")),
        identifier: shared::member::MemberIdentifier::Phone(shared::member::Phone::parse("13800000000").expect("p")),
        tier: None,
        points_base: sale.points_eligible_net,
        points_earned: 0,
        policy_version: 1,
    });
    let mut e = hq_server::fixtures::envelope(till.till, u64::from(seq), shared::sync::Event::SaleCompleted(sale));
    e.at = now;
    let r = app.push(token, till.till, vec![e]).await.expect(StatusCode::OK);
    assert_eq!(r.body["results"][0]["outcome"]["status"], "accepted", "{}", r.body);
}

#[tokio::test]
async fn cohorts_count_who_still_buys_and_tiers_are_counted_as_they_were_at_each_months_end() {
    let at = |s: &str| s.parse::<jiff::Timestamp>().expect("instant");
    let (mut app, clock) = crate::helpers::spawn_app_at(at("2026-09-10T04:00:00Z")).await;
    // Moves the clock; the admin's session has expired days later, so they sign in again.
    async fn move_to(app: &mut TestApp, clock: &hq_server::clock::Clock, when: &str) {
        clock.set(when.parse().expect("instant"));
        app.admin = app.login("root", crate::helpers::ADMIN_PASSWORD).await;
    }
    let (b1, b2) = (app.branch("B001").await, app.branch("B002").await);
    let (till, token) = app.enrolled_till(b1).await;
    // 甲 enrols on 10 September and buys a little that month, a lot in October (which makes them
    // silver), a little in November; 丙 enrols on 20 September and never buys; 乙 enrols at the
    // other branch on 5 October and buys that month.
    let a = enrolled(&app, "13900000001", "甲", b1.0).await;
    move_to(&mut app, &clock, "2026-09-12T04:00:00Z").await;
    bought(&app, &clock, &till, &token, 1, &a, 1).await;
    move_to(&mut app, &clock, "2026-09-20T04:00:00Z").await;
    let _c = enrolled(&app, "13900000003", "丙", b1.0).await;
    move_to(&mut app, &clock, "2026-10-05T04:00:00Z").await;
    let b = enrolled(&app, "13900000002", "乙", b2.0).await;
    move_to(&mut app, &clock, "2026-10-15T04:00:00Z").await;
    bought(&app, &clock, &till, &token, 2, &a, 12).await;
    bought(&app, &clock, &till, &token, 3, &b, 1).await;
    move_to(&mut app, &clock, "2026-11-20T04:00:00Z").await;
    bought(&app, &clock, &till, &token, 4, &a, 1).await;
    let member = app.get(&format!("/api/v1/members/{a}"), &app.admin).await.expect(StatusCode::OK).body;
    assert_eq!(member["tier"], "silver", "October's spend moved 甲 up: {member}");

    let report =
        app.get("/api/v1/analysis/cohorts?from=2026-09&to=2026-11", &app.admin).await.expect(StatusCode::OK).body;
    let rows: Vec<(String, u64, Vec<u64>, Vec<i64>)> = report["cohorts"]
        .as_array()
        .expect("cohorts")
        .iter()
        .map(|c| {
            serde_json::from_value(serde_json::json!([c["month"], c["members"], c["buying"], c["retention_bp"]]))
                .expect("row")
        })
        .collect();
    assert_eq!(
        rows,
        vec![
            ("2026-09".to_owned(), 2, vec![1, 1, 1], vec![5_000, 5_000, 5_000]),
            ("2026-10".to_owned(), 1, vec![1, 0], vec![10_000, 0]),
            ("2026-11".to_owned(), 0, vec![0], vec![0]),
        ]
    );
    // By home branch: 乙 is the other branch's.
    let one =
        app.get(&format!("/api/v1/analysis/cohorts?from=2026-09&to=2026-10&branch_id={}", b1.0), &app.admin).await;
    let one = one.expect(StatusCode::OK).body;
    assert_eq!(one["cohorts"][0]["members"], 2);
    assert_eq!(one["cohorts"][1]["members"], 0);

    let tiers = app.get("/api/v1/analysis/tiers?from=2026-08&to=2026-11", &app.admin).await.expect(StatusCode::OK).body;
    let codes: Vec<&str> =
        tiers["tiers"].as_array().expect("tiers").iter().map(|t| t["code"].as_str().expect("code")).collect();
    let count = |month: usize, code: &str| {
        let i = codes.iter().position(|c| *c == code).expect("the policy's tier");
        tiers["months"][month]["tiers"][i].as_u64().expect("count")
    };
    assert_eq!(tiers["months"][0]["members"], 0, "nobody had enrolled by the end of August");
    assert_eq!((tiers["months"][1]["members"].as_u64(), count(1, "regular"), count(1, "silver")), (Some(2), 2, 0));
    assert_eq!((tiers["months"][2]["members"].as_u64(), count(2, "regular"), count(2, "silver")), (Some(3), 2, 1));
    assert_eq!((tiers["months"][3]["members"].as_u64(), count(3, "regular"), count(3, "silver")), (Some(3), 2, 1));

    // The console shows both tables.
    let (status, _, page) =
        console_as_admin(&app, "GET", "/console/analysis/cohorts?from=2026-09&to=2026-11&branch_id=", None).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page.matches("<tr data-month=").count(), 6, "three cohorts and three months of tiers");
    assert!(page.contains("50.00 %") && page.contains("银卡会员"));

    // Bad months are refused with the reason.
    for bad in ["from=2026-11&to=2026-09", "from=2023-01&to=2026-01", "to=2026-13", "from=", "branch_id=999"] {
        let r = app.get(&format!("/api/v1/analysis/cohorts?{bad}"), &app.admin).await;
        assert!(matches!(r.status, StatusCode::UNPROCESSABLE_ENTITY | StatusCode::NOT_FOUND), "{bad}: {}", r.body);
        let r = app.get(&format!("/api/v1/analysis/tiers?{bad}"), &app.admin).await;
        assert!(matches!(r.status, StatusCode::UNPROCESSABLE_ENTITY | StatusCode::NOT_FOUND), "{bad}: {}", r.body);
    }
}
