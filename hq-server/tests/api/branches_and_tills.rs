use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{Req, sale_event, spawn_app, spawn_app_with};

#[tokio::test]
async fn branch_input_is_checked_and_a_refusal_changes_nothing() {
    let app = spawn_app().await;
    app.branch("B001").await;
    let audit = app.audit_count().await;
    for (body, needle) in [
        (json!({"code": "B 2", "name": "x"}), "branch code"),
        (json!({"code": "", "name": "x"}), "branch code"),
        (json!({"code": "cp01", "name": "昌平店"}), "may not begin with CP and a digit"),
        (json!({"code": "B002", "name": " "}), "name"),
        (json!({"code": "B002", "name": "x", "time_zone": "Mars/Base"}), "time zone"),
        (json!({"code": "B002", "name": "x", "business_day_cutoff": "25:99"}), "business_day_cutoff"),
        (json!({"code": "B002", "name": "x", "cashier_line_discount_limit_bp": 20000}), "discount"),
        (json!({"code": "B002", "name": "x", "quick_keys": [{"label": " ", "product_code": "P1"}]}), "quick_keys"),
        (json!({"code": "B002", "name": "x", "quick_keys": [{"label": "面包", "product_code": "P 1"}]}), "quick_keys"),
        (json!({"code": "B002", "name": "x", "confirm_quantity_over": 0}), "confirms above"),
        (json!({"code": "B002", "name": "x", "confirm_quantity_over": i64::MAX}), "confirm_quantity_over"),
        (json!({"code": "B002", "name": "x", "confirm_line_over": -1}), "confirms above"),
    ] {
        let r = app.post("/api/v1/branches", &app.admin, body).await.expect(StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body["message"].as_str().expect("message").contains(needle), "{}", r.body);
    }
    let r = app.post("/api/v1/branches", &app.admin, json!({"code": "B001", "name": "again"})).await;
    assert!(r.expect(StatusCode::CONFLICT).body["message"].as_str().expect("message").contains("already used"));
    assert_eq!(app.get("/api/v1/branches", &app.admin).await.body.as_array().expect("list").len(), 1);
    assert_eq!(app.audit_count().await, audit);
}

#[tokio::test]
async fn a_branch_has_its_settings_and_they_can_change() {
    let app = spawn_app().await;
    let r = app
        .post(
            "/api/v1/branches",
            &app.admin,
            json!({"code": "B001", "name": "上海店", "address": "南京路 1 号", "phone": "021-1", "receipt_header": ["欢迎"],
                   "receipt_footer": ["谢谢"], "cash_rounding": "down_to_jiao", "business_day_cutoff": "05:30"}),
        )
        .await
        .expect(StatusCode::CREATED);
    assert_eq!(r.body["time_zone"], "Asia/Shanghai");
    assert_eq!(r.body["cash_rounding"], "down_to_jiao");
    assert_eq!(r.body["business_day_cutoff"], "05:30");
    let id = r.body["id"].as_i64().expect("id");
    let r = app
        .put(&format!("/api/v1/branches/{id}"), &app.admin, json!({"code": "B001", "name": "上海南京路店"}))
        .await
        .expect(StatusCode::OK);
    assert_eq!(r.body["name"], "上海南京路店");
    assert_eq!(r.body["address"], "南京路 1 号", "omitted fields keep their values");
    // Quick keys for goods without a barcode: set, kept when omitted.
    let keys = json!([{"label": "面包", "product_code": "P00042"}, {"label": "青菜 /kg", "product_code": "P00043"}]);
    let r = app
        .put(
            &format!("/api/v1/branches/{id}"),
            &app.admin,
            json!({"code": "B001", "name": "上海南京路店", "quick_keys": keys}),
        )
        .await
        .expect(StatusCode::OK);
    assert_eq!(r.body["quick_keys"], keys);
    let r = app
        .put(&format!("/api/v1/branches/{id}"), &app.admin, json!({"code": "B001", "name": "上海南京路店"}))
        .await
        .expect(StatusCode::OK);
    assert_eq!(r.body["quick_keys"], keys, "omitted, they stay");
}

#[tokio::test]
async fn the_large_line_confirmation_is_set_per_branch_and_reaches_its_tills() {
    let app = spawn_app().await;
    let branch = app.branch("B001").await;
    let (_, token) = app.enrolled_till(branch).await;
    let uri = format!("/api/v1/branches/{}", branch.0);
    // Until HQ says otherwise: more than 999 pieces, or a line over ¥10,000.00.
    let r = app.get(&uri, &app.admin).await.expect(StatusCode::OK);
    assert_eq!(
        (r.body["confirm_quantity_over"].as_i64(), r.body["confirm_line_over"].as_i64()),
        (Some(999), Some(1_000_000))
    );
    let set = json!({"code": "B001", "name": "上海店", "confirm_quantity_over": 5, "confirm_line_over": 50_000});
    let r = app.put(&uri, &app.admin, set).await.expect(StatusCode::OK);
    assert_eq!(
        (r.body["confirm_quantity_over"].as_i64(), r.body["confirm_line_over"].as_i64()),
        (Some(5), Some(50_000))
    );
    let r = app.put(&uri, &app.admin, json!({"code": "B001", "name": "上海店"})).await.expect(StatusCode::OK);
    assert_eq!(r.body["confirm_quantity_over"], 5, "omitted, it stays");
    // The branch's tills pull it with the rest of the branch's settings.
    let changes = app.pull_all(&token).await;
    let settings = changes
        .iter()
        .rev()
        .find(|c| c["change"]["type"] == "branch")
        .map(|c| &c["change"]["data"]["cashier_limits"])
        .expect("the branch's settings");
    assert_eq!(
        (settings["confirm_qty_over"].as_i64(), settings["confirm_line_over"].as_i64()),
        (Some(5_000), Some(50_000))
    );
}

#[tokio::test]
async fn an_enrolment_code_works_once() {
    let app = spawn_app().await;
    let b = app.branch("B001").await;
    let r = app.post(&format!("/api/v1/branches/{}/tills", b.0), &app.admin, json!({"name": "前台"})).await;
    let r = r.expect(StatusCode::CREATED);
    assert_eq!(r.body["till"]["status"], "awaiting_enrolment");
    let code = r.body["enrolment_code"].as_str().expect("code").to_owned();
    let e = app.enrol(&code.to_lowercase()).await.expect(StatusCode::OK);
    assert_eq!(e.body["branch_code"], "B001");
    assert_eq!(e.body["till_number"], 1);
    assert!(e.body["token"].as_str().expect("token").len() >= 64);
    let again = app.enrol(&code).await.expect(StatusCode::UNAUTHORIZED);
    assert_eq!(again.error_code(), "enrolment_refused");
    app.enrol("AAAA-BBBB").await.expect(StatusCode::UNAUTHORIZED);
    let till = r.body["till"]["id"].as_i64().expect("id");
    let t = app.get(&format!("/api/v1/tills/{till}"), &app.admin).await.expect(StatusCode::OK);
    assert_eq!(t.body["status"], "enrolled");
    assert_eq!(t.body["device_name"], "till-pc");
}

#[tokio::test]
async fn an_expired_enrolment_code_is_refused() {
    let app = spawn_app_with(|c| c.enrolment_code_ttl = std::time::Duration::ZERO).await;
    let b = app.branch("B001").await;
    let r = app.post(&format!("/api/v1/branches/{}/tills", b.0), &app.admin, json!({})).await;
    let code = r.expect(StatusCode::CREATED).body["enrolment_code"].as_str().expect("code").to_owned();
    let r = app.enrol(&code).await.expect(StatusCode::UNAUTHORIZED);
    assert!(r.body["message"].as_str().expect("message").contains("expired"));
}

#[tokio::test]
async fn a_revoked_till_is_refused_at_once() {
    let app = spawn_app().await;
    let b = app.branch("B001").await;
    let (till, token) = app.enrolled_till(b).await;
    app.push(&token, till.till, vec![sale_event(&till, 1)]).await.expect(StatusCode::OK);
    app.post(&format!("/api/v1/tills/{}/revoke", till.till.0), &app.admin, json!({})).await.expect(StatusCode::OK);
    let r = app.push(&token, till.till, vec![sale_event(&till, 2)]).await.expect(StatusCode::UNAUTHORIZED);
    assert_eq!(r.error_code(), "till_revoked");
    assert_eq!(app.pull(&token, 0, 10).await.expect(StatusCode::UNAUTHORIZED).error_code(), "till_revoked");
    // Nor may it look up members (a lookup checks the token in the same read as the member).
    let lookup = |token| Req {
        method: Method::POST,
        uri: "/api/v1/till/members/lookup".into(),
        cookie: None,
        till_token: Some(token),
        body: Some(json!({"by": {"by": "phone", "value": "13800000000"}})),
        from: None,
    };
    assert_eq!(app.send(lookup(&token)).await.expect(StatusCode::UNAUTHORIZED).error_code(), "till_revoked");
    assert_eq!(
        app.send(lookup("tpt_made_up")).await.expect(StatusCode::UNAUTHORIZED).error_code(),
        "till_unauthenticated"
    );
    // A revoked till cannot get a new code either.
    app.post(&format!("/api/v1/tills/{}/enrolment-code", till.till.0), &app.admin, json!({}))
        .await
        .expect(StatusCode::CONFLICT);
    // A made-up token is refused too.
    assert_eq!(
        app.pull("tpt_made_up", 0, 10).await.expect(StatusCode::UNAUTHORIZED).error_code(),
        "till_unauthenticated"
    );
}

#[tokio::test]
async fn a_new_code_re_enrols_a_till_and_retires_its_old_token() {
    let app = spawn_app().await;
    let b = app.branch("B001").await;
    let (till, old) = app.enrolled_till(b).await;
    let r = app.post(&format!("/api/v1/tills/{}/enrolment-code", till.till.0), &app.admin, json!({})).await;
    let code = r.expect(StatusCode::OK).body["enrolment_code"].as_str().expect("code").to_owned();
    let e = app.enrol(&code).await.expect(StatusCode::OK);
    assert_eq!(e.body["till"], till.till.0);
    let new = e.body["token"].as_str().expect("token");
    app.pull(new, 0, 10).await.expect(StatusCode::OK);
    app.pull(&old, 0, 10).await.expect(StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_branch_manager_sees_only_their_branch() {
    let app = spawn_app().await;
    let own = app.branch("B001").await;
    let other = app.branch("B002").await;
    let (other_till, _) = app.enrolled_till(other).await;
    let mgr = app.user("mgr1", "branch_manager", Some(own)).await;
    let list = app.get("/api/v1/branches", &mgr).await.expect(StatusCode::OK);
    let codes: Vec<&str> = list.body.as_array().expect("list").iter().filter_map(|b| b["code"].as_str()).collect();
    assert_eq!(codes, vec!["B001"]);
    app.get(&format!("/api/v1/branches/{}", other.0), &mgr).await.expect(StatusCode::NOT_FOUND);
    app.get(&format!("/api/v1/branches/{}/tills", other.0), &mgr).await.expect(StatusCode::NOT_FOUND);
    app.get(&format!("/api/v1/branches/{}/staff", other.0), &mgr).await.expect(StatusCode::NOT_FOUND);
    app.get(&format!("/api/v1/branches/{}/prices", other.0), &mgr).await.expect(StatusCode::NOT_FOUND);
    app.get(&format!("/api/v1/tills/{}", other_till.till.0), &mgr).await.expect(StatusCode::NOT_FOUND);
    app.get(&format!("/api/v1/tills/{}/sync", other_till.till.0), &mgr).await.expect(StatusCode::NOT_FOUND);
    app.post(&format!("/api/v1/tills/{}/revoke", other_till.till.0), &mgr, json!({}))
        .await
        .expect(StatusCode::NOT_FOUND);
    app.post(&format!("/api/v1/branches/{}/tills", other.0), &mgr, json!({})).await.expect(StatusCode::NOT_FOUND);
    app.post(
        &format!("/api/v1/branches/{}/staff", other.0),
        &mgr,
        json!({"login": "1001", "name": "x", "role": "cashier", "pin": "1234"}),
    )
    .await
    .expect(StatusCode::NOT_FOUND);
    app.get(&format!("/api/v1/sales?branch_id={}", other.0), &mgr).await.expect(StatusCode::NOT_FOUND);
    // Nor, in the console, another branch's till and its events.
    let page = app.get(&format!("/console/tills/{}", other_till.till.0), &mgr).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND, "{}", page.text);
    // Their own branch works.
    app.post(&format!("/api/v1/branches/{}/tills", own.0), &mgr, json!({})).await.expect(StatusCode::CREATED);
    app.post(
        &format!("/api/v1/branches/{}/staff", own.0),
        &mgr,
        json!({"login": "1001", "name": "李收银", "role": "cashier", "pin": "1234"}),
    )
    .await
    .expect(StatusCode::CREATED);
    // But not another branch's settings, nor its own (admin only).
    app.put(&format!("/api/v1/branches/{}", own.0), &mgr, json!({"code": "B001", "name": "x"}))
        .await
        .expect(StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn staff_pins_are_checked_hashed_and_never_shown() {
    let app = spawn_app().await;
    let b = app.branch("B001").await;
    let url = format!("/api/v1/branches/{}/staff", b.0);
    for (body, needle) in [
        (json!({"login": "1001", "name": "x", "role": "cashier", "pin": "12"}), "PIN"),
        (json!({"login": "abc", "name": "x", "role": "cashier", "pin": "1234"}), "login"),
        (json!({"login": "1001", "name": "", "role": "cashier", "pin": "1234"}), "name"),
    ] {
        let r = app.post(&url, &app.admin, body).await.expect(StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body["message"].as_str().expect("message").contains(needle), "{}", r.body);
    }
    let r = app.post(&url, &app.admin, json!({"login": "1001", "name": "李", "role": "manager", "pin": "4321"})).await;
    let r = r.expect(StatusCode::CREATED);
    assert!(r.body.get("pin_hash").is_none() && r.body.get("pin").is_none());
    let id = r.body["id"].as_i64().expect("id");
    app.post(&url, &app.admin, json!({"login": "1001", "name": "dup", "role": "cashier", "pin": "1234"}))
        .await
        .expect(StatusCode::CONFLICT);
    let staff = hq_server::store::BranchStore::get_staff(&*app.store, shared::ids::StaffId(id)).expect("staff");
    assert!(staff.pin_hash.starts_with("$argon2id$"));
    assert!(hq_server::auth::verify_secret("4321", &staff.pin_hash));
    app.patch(&format!("/api/v1/staff/{id}"), &app.admin, json!({"pin": "5555", "active": false}))
        .await
        .expect(StatusCode::OK);
    let staff = hq_server::store::BranchStore::get_staff(&*app.store, shared::ids::StaffId(id)).expect("staff");
    assert!(hq_server::auth::verify_secret("5555", &staff.pin_hash) && !staff.active);
    // The audit log shows the change but not the hash.
    let audit = app.get("/api/v1/audit?limit=1000", &app.admin).await.body.to_string();
    assert!(!audit.contains("$argon2id$"), "a PIN hash reached the audit log");
}
