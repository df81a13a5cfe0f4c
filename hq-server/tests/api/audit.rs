use axum::http::StatusCode;

use hq_server::params;
use hq_server::store::sql::conn::Engine;

use crate::helpers::spawn_app;

/// Edits the database behind HQ's back, as someone with access to it would: the append-only
/// triggers go first.
fn tamper(app: &crate::helpers::TestApp, sql: &str) {
    let drop = match app.store.engine() {
        Engine::Sqlite => "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;",
        Engine::Postgres => {
            "DROP TRIGGER audit_log_no_update ON audit_log; DROP TRIGGER audit_log_no_delete ON audit_log;"
        }
    };
    app.store.raw(|c| Ok(c.execute_batch(&format!("{drop} {sql}"))?)).expect("tamper");
}

#[tokio::test]
async fn the_audit_log_is_append_only() {
    let app = spawn_app().await;
    app.branch("B001").await;
    let count = || -> i64 {
        app.store
            .raw(|c| Ok(c.query_row("SELECT COUNT(*) FROM audit_log WHERE actor <> 'someone else'", [], |r| r.get(0))?))
            .expect("count")
    };
    let entries = count();
    assert!(entries > 0);
    assert!(app.store.raw(|c| Ok(c.execute("UPDATE audit_log SET actor = 'someone else'", [])?)).is_err());
    assert!(app.store.raw(|c| Ok(c.execute("DELETE FROM audit_log", [])?)).is_err());
    assert_eq!(count(), entries, "the log is as it was");
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

/// Rewrites the whole chain after editing an entry, as someone with the database (and, with
/// `key`, the audit key too) would, so every hash links again.
fn rewrite_chain(app: &crate::helpers::TestApp, hash: impl Fn(&str, &hq_server::audit::EntryFields<'_>) -> String) {
    tamper(app, "UPDATE audit_log SET after = replace(after, 'B001', 'B00X') WHERE entity = 'branch:1';");
    type Row = (i64, i64, String, String, String, String, String, String);
    let rows: Vec<Row> = app
        .store
        .raw(|c| {
            Ok(c.prepare("SELECT id, at, actor, client, action, entity, before, after FROM audit_log ORDER BY id")?
                .query_map([], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?))
                })?
                .collect::<Result<_, _>>()?)
        })
        .expect("rows");
    let mut prev = hq_server::audit::GENESIS.to_owned();
    for r in &rows {
        let f = hq_server::audit::EntryFields {
            id: r.0,
            at: r.1,
            actor: &r.2,
            from: &r.3,
            action: &r.4,
            entity: &r.5,
            before: &r.6,
            after: &r.7,
        };
        let h = hash(&prev, &f);
        app.store
            .raw(|c| {
                Ok(c.execute("UPDATE audit_log SET prev_hash = ?2, hash = ?3 WHERE id = ?1", params![r.0, prev, h])?)
            })
            .expect("rewrite");
        prev = h;
    }
    app.store.raw(|c| Ok(c.execute("UPDATE audit_head SET last_hash = ?1", [prev])?)).expect("head");
}

#[tokio::test]
async fn a_chain_rewritten_without_the_key_does_not_verify() {
    let app = spawn_app().await;
    app.branch("B001").await;
    app.branch("B002").await;
    rewrite_chain(&app, hq_server::audit::plain_hash);
    let v = app.get("/api/v1/audit/verify", &app.admin).await.expect(StatusCode::OK);
    assert!(v.body["problems"].to_string().contains("changed after it was written"), "{}", v.body);
}

#[tokio::test]
async fn a_chain_rewritten_with_the_key_is_caught_by_a_tills_witness() {
    use hq_server::store::AuditStore;
    let app = spawn_app().await;
    app.branch("B001").await;
    app.branch("B002").await;
    // A till closed the day here and kept the head as HQ answered it.
    let witness = app.store.audit_head().expect("head").expect("a head");
    assert!(app.store.check_witnesses(std::slice::from_ref(&witness)).expect("check").is_empty());
    // Someone with the database and the key file rewrites the chain: it verifies again...
    let key_file = app.db.audit_key.clone();
    let key = hq_server::audit::AuditKey::load_or_create(&key_file).expect("the stolen key");
    rewrite_chain(&app, |prev, f| hq_server::audit::entry_hash(&key, prev, f));
    let v = app.get("/api/v1/audit/verify", &app.admin).await.expect(StatusCode::OK);
    assert_eq!(v.body["problems"], serde_json::json!([]), "the chain alone cannot tell");
    // ...but not against the copy the till holds.
    let problems = app.store.check_witnesses(&[witness]).expect("check");
    assert!(problems.iter().any(|p| p.contains("rewritten")), "{problems:?}");
}
