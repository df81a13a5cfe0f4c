//! Complaints (投诉) through the real router, on both stores: a complaint from open to closed with
//! every change in its history and in the audit log; bad input refused with the reason and
//! nothing written; a branch manager limited to their branch; overdue complaints listed, counted
//! and on the dashboard; a till's complaint recorded once; a member's complaint filed and
//! confirmed on the member pages. HQ runs on a manual clock, so no test depends on the hour.

use axum::http::{Method, StatusCode};
use hq_server::model::ComplaintFilter;
use hq_server::store::ComplaintStore;
use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};
use shared::ids::BranchId;

use crate::helpers::{Req, TestApp, spawn_app_at};

const PHONE: &str = "13900002222";

fn start() -> Timestamp {
    // 23:30 in Shanghai: the hour when the business day and the calendar date are apt to differ.
    "2026-11-30T15:30:00Z".parse().expect("time")
}

async fn category(app: &TestApp, name: &str, hours: i64) -> i64 {
    app.post("/api/v1/complaint-categories", &app.admin, json!({"name": name, "due_hours": hours}))
        .await
        .expect(StatusCode::CREATED)
        .body["id"]
        .as_i64()
        .expect("id")
}

async fn member(app: &TestApp, phone: &str) -> (String, String) {
    let r =
        app.post("/api/v1/members", &app.admin, json!({"phone": phone, "name": "陈小姐"})).await.expect(StatusCode::OK);
    (r.body["id"].as_str().expect("id").to_owned(), r.body["code"].as_str().expect("code").to_owned())
}

async fn file(app: &TestApp, cookie: &str, branch: BranchId, category: i64, text: &str) -> Value {
    app.post("/api/v1/complaints", cookie, json!({"branch_id": branch.0, "category_id": category, "text": text}))
        .await
        .expect(StatusCode::CREATED)
        .body
}

/// Every complaint HQ holds, whatever its state.
fn all(app: &TestApp) -> Vec<hq_server::model::Complaint> {
    let f = ComplaintFilter { limit: 500, ..ComplaintFilter::default() };
    app.store.list_complaints(&f, start()).expect("list")
}

#[tokio::test]
async fn a_complaint_goes_from_open_to_closed_with_every_change_recorded_and_audited() {
    let (app, clock) = spawn_app_at(start()).await;
    let branch = app.branch("B001").await;
    let service = category(&app, "服务态度", 24).await;
    let (member_id, code) = member(&app, PHONE).await;
    let audit = app.audit_count().await;
    let made = app
        .post(
            "/api/v1/complaints",
            &app.admin,
            json!({"member": code, "branch_id": branch.0, "receipt_no": "b001-01-000042", "category_id": service,
                   "text": "收银员态度冷淡"}),
        )
        .await
        .expect(StatusCode::CREATED)
        .body;
    let id = made["id"].as_i64().expect("id");
    assert_eq!(made["state"], "open");
    assert_eq!(made["member_id"], member_id.as_str());
    assert_eq!(made["receipt_no"], "B001-01-000042", "the receipt number as tills print it");
    assert_eq!(made["source"], "staff");
    let created: Timestamp = made["created_at"].as_str().expect("at").parse().expect("time");
    let due: Timestamp = made["due_at"].as_str().expect("due").parse().expect("time");
    assert_eq!((created, due), (start(), start() + SignedDuration::from_hours(24)));
    assert_eq!(app.audit_count().await, audit + 1, "the creation is audited");

    let step = |path: &'static str, body: Value| {
        let app = &app;
        async move { app.post(&format!("/api/v1/complaints/{id}/{path}"), &app.admin, body).await }
    };
    assert_eq!(step("assign", json!({})).await.expect(StatusCode::OK).body["assignee_name"], "Root");
    clock.advance(SignedDuration::from_mins(30));
    assert_eq!(step("start", json!({})).await.expect(StatusCode::OK).body["state"], "in_progress");
    clock.advance(SignedDuration::from_mins(90));
    let resolved = step("resolve", json!({"resolution": "已道歉并培训收银员"})).await.expect(StatusCode::OK).body;
    assert_eq!(
        (resolved["state"].as_str(), resolved["resolution"].as_str()),
        (Some("resolved"), Some("已道歉并培训收银员"))
    );
    clock.advance(SignedDuration::from_hours(3));
    assert_eq!(step("close", json!({})).await.expect(StatusCode::OK).body["state"], "closed");
    assert_eq!(app.audit_count().await, audit + 5, "every change is audited");

    // A day later (signed in again: sessions end), past its due time.
    clock.advance(SignedDuration::from_hours(24));
    let admin = app.login("root", crate::helpers::ADMIN_PASSWORD).await;
    let d = app.get(&format!("/api/v1/complaints/{id}"), &admin).await.expect(StatusCode::OK).body;
    assert_eq!(d["complaint"]["overdue"], false, "past its due time, but closed");
    let history = d["history"].as_array().expect("history");
    let steps: Vec<(&str, &str, &str)> = history
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap_or(""),
                e["from_state"].as_str().unwrap_or("-"),
                e["to_state"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        steps,
        [
            ("create", "-", "open"),
            ("assign", "open", "open"),
            ("start", "open", "in_progress"),
            ("resolve", "in_progress", "resolved"),
            ("close", "resolved", "closed"),
        ]
    );
    assert!(history.iter().all(|e| e["actor"].as_str().is_some_and(|a| a.starts_with("user:1:root"))), "{history:?}");
    assert_eq!(history[3]["note"], "已道歉并培训收银员");

    // Listed by state, never as overdue; the report counts it with its two hours to resolve.
    let closed = app.get("/api/v1/complaints?state=closed", &admin).await.expect(StatusCode::OK).body;
    assert_eq!(closed.as_array().map(Vec::len), Some(1));
    let overdue = app.get("/api/v1/complaints?overdue=true", &admin).await.expect(StatusCode::OK).body;
    assert_eq!(overdue.as_array().map(Vec::len), Some(0));
    let report = app.get("/api/v1/complaints/report?from=2026-11-30&to=2026-12-02", &admin).await;
    let report = report.expect(StatusCode::OK).body;
    assert_eq!(report["total"]["filed"], 1);
    assert_eq!(report["by_category"][0]["name"], "服务态度");
    assert_eq!(report["by_branch"][0]["name"], "B001");
    assert_eq!(report["total"]["times"]["median_minutes"], 120);
    assert_eq!(report["total"]["times"]["mean_minutes"], 120);
    // Filed on 30 November in Shanghai (23:30): a report of 1 December has none.
    let next = app.get("/api/v1/complaints/report?from=2026-12-01&to=2026-12-01", &admin).await;
    assert_eq!(next.expect(StatusCode::OK).body["total"]["filed"], 0);
    // Staff may reopen a closed complaint, but not confirm it for the member.
    let reopened = app.post(&format!("/api/v1/complaints/{id}/reopen"), &admin, json!({"note": "顾客再次来电"})).await;
    let reopened = reopened.expect(StatusCode::OK).body;
    assert_eq!((reopened["state"].as_str(), reopened["overdue"].as_bool()), (Some("in_progress"), Some(true)));
}

#[tokio::test]
async fn bad_input_is_refused_with_the_reason_and_nothing_is_written() {
    let (app, _) = spawn_app_at(start()).await;
    let branch = app.branch("B001").await;
    let goods = category(&app, "商品质量", 48).await;
    let (_, code) = member(&app, PHONE).await;
    let audit = app.audit_count().await;
    let cases = [
        (json!({"branch_id": branch.0, "text": "坏了"}), "category"),
        (json!({"branch_id": branch.0, "category_id": 999, "text": "坏了"}), "category"),
        (json!({"branch_id": branch.0, "category_id": goods, "text": "坏了", "member": "13999999999"}), "member"),
        (json!({"branch_id": branch.0, "category_id": goods, "text": "长".repeat(1001), "member": code}), "text"),
        (json!({"branch_id": branch.0, "category_id": goods, "text": "   "}), "text"),
        (json!({"branch_id": branch.0, "category_id": goods, "text": "坏了", "receipt_no": "yesterday"}), "receipt_no"),
        (json!({"branch_id": 999, "category_id": goods, "text": "坏了"}), "branch"),
    ];
    for (b, field) in cases {
        let r = app.post("/api/v1/complaints", &app.admin, b.clone()).await.expect(StatusCode::UNPROCESSABLE_ENTITY);
        let message = r.body["message"].as_str().unwrap_or("");
        assert!(message.starts_with(field), "{b}: {message}");
    }
    assert!(all(&app).is_empty(), "nothing was written");
    assert_eq!(app.audit_count().await, audit);

    // An inactive category takes no complaint.
    let put = json!({"name": "商品质量", "due_hours": 48, "active": false});
    app.put(&format!("/api/v1/complaint-categories/{goods}"), &app.admin, put).await.expect(StatusCode::OK);
    let r = app
        .post("/api/v1/complaints", &app.admin, json!({"branch_id": branch.0, "category_id": goods, "text": "坏了"}))
        .await
        .expect(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body["message"].as_str().unwrap_or("").starts_with("category"));
    let again = json!({"name": "商品质量", "due_hours": 48, "active": true});
    app.put(&format!("/api/v1/complaint-categories/{goods}"), &app.admin, again).await.expect(StatusCode::OK);

    // Categories: a name twice, hours out of bounds.
    let r = app.post("/api/v1/complaint-categories", &app.admin, json!({"name": "商品质量", "due_hours": 24})).await;
    r.expect(StatusCode::CONFLICT);
    for hours in [0, 721] {
        let r = app.post("/api/v1/complaint-categories", &app.admin, json!({"name": "其他", "due_hours": hours})).await;
        r.expect(StatusCode::UNPROCESSABLE_ENTITY);
    }
    assert_eq!(app.get("/api/v1/complaint-categories", &app.admin).await.body.as_array().map(Vec::len), Some(1));

    // Forbidden changes: the state and the history stay as they were.
    let id = file(&app, &app.admin, branch, goods, "坏了").await["id"].as_i64().expect("id");
    let audit = app.audit_count().await;
    let closed = app.post(&format!("/api/v1/complaints/{id}/close"), &app.admin, json!({})).await;
    let closed = closed.expect(StatusCode::CONFLICT);
    assert_eq!(closed.body["message"], "a complaint that is open cannot be closed");
    let r = app.post(&format!("/api/v1/complaints/{id}/resolve"), &app.admin, json!({"resolution": " "})).await;
    assert!(
        r.expect(StatusCode::UNPROCESSABLE_ENTITY).body["message"].as_str().unwrap_or("").starts_with("resolution")
    );
    let r = app.post(&format!("/api/v1/complaints/{id}/assign"), &app.admin, json!({"assignee_id": 999})).await;
    r.expect(StatusCode::UNPROCESSABLE_ENTITY);
    let r = app.post(&format!("/api/v1/complaints/{id}/reopen"), &app.admin, json!({})).await;
    r.expect(StatusCode::CONFLICT);
    let d = app.get(&format!("/api/v1/complaints/{id}"), &app.admin).await.expect(StatusCode::OK).body;
    assert_eq!(d["complaint"]["state"], "open");
    assert_eq!(d["history"].as_array().map(Vec::len), Some(1));
    assert_eq!(app.audit_count().await, audit);
    // An unknown complaint.
    app.get("/api/v1/complaints/4242", &app.admin).await.expect(StatusCode::NOT_FOUND);
    app.post("/api/v1/complaints/4242/start", &app.admin, json!({})).await.expect(StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_branch_manager_sees_and_handles_only_their_branch_s_complaints() {
    let (app, _) = spawn_app_at(start()).await;
    let own = app.branch("B001").await;
    let other = app.branch("B002").await;
    let k = category(&app, "商品质量", 48).await;
    let mine = file(&app, &app.admin, own, k, "本店的").await["id"].as_i64().expect("id");
    let theirs = file(&app, &app.admin, other, k, "别店的").await["id"].as_i64().expect("id");
    let mgr = app.user("mgr1", "branch_manager", Some(own)).await;
    app.user("mgr2", "branch_manager", Some(other)).await;
    let users = app.get("/api/v1/users", &app.admin).await.body;
    let mgr2 = users.as_array().expect("users").iter().find(|u| u["username"] == "mgr2").expect("mgr2")["id"].clone();

    let list = app.get("/api/v1/complaints", &mgr).await.expect(StatusCode::OK).body;
    let ids: Vec<i64> = list.as_array().expect("list").iter().filter_map(|c| c["id"].as_i64()).collect();
    assert_eq!(ids, [mine]);
    app.get(&format!("/api/v1/complaints?branch_id={}", other.0), &mgr).await.expect(StatusCode::NOT_FOUND);
    app.get(&format!("/api/v1/complaints/{theirs}"), &mgr).await.expect(StatusCode::NOT_FOUND);
    app.post(&format!("/api/v1/complaints/{theirs}/start"), &mgr, json!({})).await.expect(StatusCode::NOT_FOUND);
    let r = app.post("/api/v1/complaints", &mgr, json!({"branch_id": other.0, "category_id": k, "text": "x"})).await;
    r.expect(StatusCode::NOT_FOUND);
    app.get(&format!("/api/v1/complaints/report?branch_id={}", other.0), &mgr).await.expect(StatusCode::NOT_FOUND);
    // Their own: handled; not given to the other branch's manager.
    app.post(&format!("/api/v1/complaints/{mine}/start"), &mgr, json!({})).await.expect(StatusCode::OK);
    let r = app.post(&format!("/api/v1/complaints/{mine}/assign"), &mgr, json!({"assignee_id": mgr2})).await;
    r.expect(StatusCode::UNPROCESSABLE_ENTITY);
    let report = app.get("/api/v1/complaints/report", &mgr).await.expect(StatusCode::OK).body;
    assert_eq!(report["total"]["filed"], 1, "their branch only");
    // The other branch's complaint is untouched.
    let d = app.get(&format!("/api/v1/complaints/{theirs}"), &app.admin).await.expect(StatusCode::OK).body;
    assert_eq!((d["complaint"]["state"].as_str(), d["history"].as_array().map(Vec::len)), (Some("open"), Some(1)));
    // The console answers the same.
    let page = app.get(&format!("/console/complaints/{theirs}"), &mgr).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
}

async fn overdue(app: &TestApp, cookie: &str) -> Vec<i64> {
    let list = app.get("/api/v1/complaints?overdue=true", cookie).await.expect(StatusCode::OK).body;
    list.as_array().expect("list").iter().filter_map(|c| c["id"].as_i64()).collect()
}

#[tokio::test]
async fn a_complaint_past_its_due_time_is_overdue_until_resolved_and_on_the_dashboard() {
    let (app, clock) = spawn_app_at(start()).await;
    let branch = app.branch("B001").await;
    let k = category(&app, "服务态度", 24).await;
    let id = file(&app, &app.admin, branch, k, "等了很久").await["id"].as_i64().expect("id");
    clock.advance(SignedDuration::from_hours(24));
    // Sessions end: signed in again, as the console is after a day.
    let mut app = app;
    app.admin = app.login("root", crate::helpers::ADMIN_PASSWORD).await;
    assert!(overdue(&app, &app.admin).await.is_empty(), "due, not yet overdue");
    clock.advance(SignedDuration::from_mins(1));
    assert_eq!(overdue(&app, &app.admin).await, [id]);
    let d = app.get(&format!("/api/v1/complaints/{id}"), &app.admin).await.body;
    assert_eq!(d["complaint"]["overdue"], true);
    let report = app.get("/api/v1/complaints/report?from=2026-11-30&to=2026-11-30", &app.admin).await.body;
    assert_eq!((report["total"]["unresolved"].as_u64(), report["total"]["overdue"].as_u64()), (Some(1), Some(1)));
    let (status, _, page) = crate::helpers::console_as_admin(&app, "GET", "/console", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("id=\"overdue-complaints\"") && page.contains(&format!("/console/complaints/{id}")),
        "{page}"
    );
    // Resolved: no longer overdue, and gone from the dashboard.
    let r = app.post(&format!("/api/v1/complaints/{id}/resolve"), &app.admin, json!({"resolution": "已处理"})).await;
    r.expect(StatusCode::OK);
    assert!(overdue(&app, &app.admin).await.is_empty());
    let (_, _, page) = crate::helpers::console_as_admin(&app, "GET", "/console", None).await;
    assert!(page.contains("id=\"no-overdue\""), "{page}");
}

#[tokio::test]
async fn a_till_records_a_complaint_once_for_its_own_branch() {
    let (app, _) = spawn_app_at(start()).await;
    let branch = app.branch("B001").await;
    let k = category(&app, "商品质量", 48).await;
    let off = category(&app, "停用的", 48).await;
    let put = json!({"name": "停用的", "due_hours": 48, "active": false});
    app.put(&format!("/api/v1/complaint-categories/{off}"), &app.admin, put).await.expect(StatusCode::OK);
    let (till, token) = app.enrolled_till(branch).await;
    let (member_id, _) = member(&app, PHONE).await;
    let send = |body: Value, token: Option<String>| {
        let app = &app;
        async move {
            app.send(Req {
                method: Method::POST,
                uri: "/api/v1/till/complaints".into(),
                cookie: None,
                till_token: token.as_deref(),
                body: Some(body),
                from: None,
            })
            .await
        }
    };
    let cats = app
        .send(Req {
            method: Method::GET,
            uri: "/api/v1/till/complaint-categories".into(),
            cookie: None,
            till_token: Some(&token),
            body: None,
            from: None,
        })
        .await
        .expect(StatusCode::OK)
        .body;
    assert_eq!(cats.as_array().map(|c| c.iter().map(|k| k["id"].clone()).collect::<Vec<_>>()), Some(vec![json!(k)]));
    let body = json!({"request_id": "01a2290d-0000-7000-8000-0000000000aa", "member_id": member_id,
                      "receipt_no": "B001-01-000007", "category_id": k, "text": "顾客说找零少了"});
    let first = send(body.clone(), Some(token.clone())).await.expect(StatusCode::CREATED).body;
    assert_eq!((first["branch_id"].as_i64(), first["source"].as_str()), (Some(branch.0), Some("till")));
    assert_eq!(first["created_by"], format!("till:{}", till.till.0));
    let again = send(body.clone(), Some(token.clone())).await.expect(StatusCode::CREATED).body;
    assert_eq!(again["id"], first["id"], "sent again, recorded once");
    assert_eq!(all(&app).len(), 1);
    send(body.clone(), None).await.expect(StatusCode::UNAUTHORIZED);
    let mut no_category = body.clone();
    no_category["request_id"] = json!("01a2290d-0000-7000-8000-0000000000bb");
    no_category["category_id"] = Value::Null;
    send(no_category, Some(token.clone())).await.expect(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(all(&app).len(), 1);
}

#[tokio::test]
async fn a_member_files_a_complaint_on_their_pages_and_confirms_the_resolution() {
    use crate::member_pages::{HOME, app_with_sms, csrf_in, form, sign_in};
    let (app, sms, _) = app_with_sms().await;
    let branch = app.branch("B001").await;
    let k = category(&app, "会员与积分", 72).await;
    let (member_id, _) = member(&app, PHONE).await;
    let (cookie, _) = sign_in(&app, &sms, PHONE).await;
    let page = form(&app, Method::GET, "/m/complaints/new", &cookie, &[], HOME).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("会员与积分"), "{}", page.text);
    let csrf = csrf_in(&page.text);
    let b = branch.0.to_string();
    let k_s = k.to_string();
    // Without a category: said, nothing written.
    let r = form(
        &app,
        Method::POST,
        "/m/complaints",
        &cookie,
        &[("_csrf", &csrf), ("branch", &b), ("text", "积分没到")],
        HOME,
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("complaint-problem") && r.text.contains("积分没到"), "the form as typed");
    // Without the form's token: nothing written.
    let fields = [("category", k_s.as_str()), ("branch", &b), ("text", "积分没到")];
    let r = form(&app, Method::POST, "/m/complaints", &cookie, &fields, HOME).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(all(&app).is_empty());
    let fields =
        [("_csrf", csrf.as_str()), ("category", &k_s), ("branch", &b), ("receipt_no", ""), ("text", "积分没到")];
    let r = form(&app, Method::POST, "/m/complaints", &cookie, &fields, HOME).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let filed = all(&app);
    assert_eq!(filed.len(), 1);
    let c = &filed[0];
    assert_eq!((c.member_id.map(|m| m.to_string()), c.source.code()), (Some(member_id.clone()), "member"));
    assert_eq!(c.created_by, format!("member:{member_id}"));
    let list = form(&app, Method::GET, "/m/complaints", &cookie, &[], HOME).await;
    assert!(list.text.contains("待处理") && list.text.contains("积分没到"), "{}", list.text);

    // Not resolved yet: the member cannot confirm it.
    let confirm = format!("/m/complaints/{}/confirm", c.id);
    let r = form(&app, Method::POST, &confirm, &cookie, &[("_csrf", &csrf)], HOME).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let r = app
        .post(&format!("/api/v1/complaints/{}/resolve", c.id), &app.admin, json!({"resolution": "已补记积分"}))
        .await;
    r.expect(StatusCode::OK);
    let list = form(&app, Method::GET, "/m/complaints", &cookie, &[], HOME).await;
    assert!(list.text.contains("已补记积分") && list.text.contains(&confirm), "{}", list.text);
    let r = form(&app, Method::POST, &confirm, &cookie, &[("_csrf", &csrf)], HOME).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let d = app.get(&format!("/api/v1/complaints/{}", c.id), &app.admin).await.expect(StatusCode::OK).body;
    assert_eq!(d["complaint"]["state"], "confirmed");
    let last = d["history"].as_array().and_then(|h| h.last()).cloned().expect("history");
    assert_eq!(
        (last["action"].as_str(), last["actor"].as_str()),
        (Some("confirm"), Some(&*format!("member:{member_id}")))
    );

    // Another member's complaint is not theirs to answer.
    let other = file(&app, &app.admin, branch, k, "别人的").await["id"].as_i64().expect("id");
    let r =
        form(&app, Method::POST, &format!("/m/complaints/{other}/reopen"), &cookie, &[("_csrf", &csrf)], HOME).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_console_form_refuses_a_complaint_without_a_category_and_keeps_what_was_typed() {
    let (app, _) = spawn_app_at(start()).await;
    let branch = app.branch("B001").await;
    let k = category(&app, "商品质量", 48).await;
    let (_, _, page) = crate::helpers::console_as_admin(&app, "GET", "/console/complaints", None).await;
    let at = page.find("name=\"_csrf\" value=\"").expect("csrf") + 20;
    let csrf = &page[at..at + 32];
    let form = format!("_csrf={csrf}&member=&branch={}&receipt_no=&category=&text=%E5%9D%8F%E4%BA%86", branch.0);
    let (status, _, page) = crate::helpers::console_as_admin(&app, "POST", "/console/complaints", Some(form)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("id=\"complaint-error\"") && page.contains("category") && page.contains("坏了"), "{page}");
    assert!(all(&app).is_empty());
    let form = format!("_csrf={csrf}&member=&branch={}&receipt_no=&category={k}&text=%E5%9D%8F%E4%BA%86", branch.0);
    let (status, location, _) = crate::helpers::console_as_admin(&app, "POST", "/console/complaints", Some(form)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let id = all(&app)[0].id;
    assert_eq!(location.as_deref(), Some(&*format!("/console/complaints/{id}")));
}
