use axum::http::StatusCode;

use crate::helpers::spawn_app;

/// Opens the database behind HQ's back, as someone with file access would.
fn tamper(app: &crate::helpers::TestApp, sql: &str) {
    let c = rusqlite::Connection::open(app.dir.path().join("hq.sqlite")).expect("open");
    c.execute_batch(&format!("DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete; {sql}"))
        .expect("tamper");
}

#[tokio::test]
async fn the_audit_log_is_append_only() {
    let app = spawn_app().await;
    app.branch("B001").await;
    let c = rusqlite::Connection::open(app.dir.path().join("hq.sqlite")).expect("open");
    assert!(c.execute("UPDATE audit_log SET actor = 'someone else'", []).is_err());
    assert!(c.execute("DELETE FROM audit_log", []).is_err());
    let v = app.get("/api/v1/audit/verify", &app.admin).await.expect(StatusCode::OK);
    assert_eq!(v.body["problems"], serde_json::json!([]));
}

#[tokio::test]
async fn verify_finds_an_edited_entry() {
    let app = spawn_app().await;
    app.branch("B001").await;
    app.branch("B002").await;
    tamper(&app, "UPDATE audit_log SET after = replace(after, 'B001', 'B00X') WHERE entity = 'branch:1';");
    let v = app.get("/api/v1/audit/verify", &app.admin).await.expect(StatusCode::OK);
    let problems = v.body["problems"].to_string();
    assert!(problems.contains("changed after it was written"), "{problems}");
}

#[tokio::test]
async fn verify_finds_a_deleted_entry_in_the_middle_and_at_the_end() {
    let app = spawn_app().await;
    app.branch("B001").await;
    app.branch("B002").await;
    app.branch("B003").await;
    tamper(&app, "DELETE FROM audit_log WHERE entity = 'branch:2';");
    let v = app.get("/api/v1/audit/verify", &app.admin).await.body;
    assert!(v["problems"].to_string().contains("missing"), "{v}");

    let app = spawn_app().await;
    app.branch("B001").await;
    tamper(&app, "DELETE FROM audit_log WHERE id = (SELECT MAX(id) FROM audit_log);");
    let v = app.get("/api/v1/audit/verify", &app.admin).await.body;
    assert!(v["problems"].to_string().contains("deleted"), "{v}");
}
