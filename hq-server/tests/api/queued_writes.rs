//! Writes queued with `Conn::execute_later` (sent with the next statement waited for on
//! PostgreSQL, at once on SQLite): on both stores a later read sees them, a rollback to a
//! savepoint undoes those queued after it and keeps those before it, and a queued write that
//! breaks a constraint fails with its own reason and commits nothing.

use hq_server::store::StoreError;

use crate::helpers::spawn_app;

fn count(c: &hq_server::store::sql::conn::Conn<'_>) -> hq_server::store::StoreResult<i64> {
    Ok(c.query_row("SELECT COUNT(*) FROM queued", [], |r| r.get(0))?)
}

#[tokio::test]
async fn queued_writes_are_read_back_undone_by_their_savepoint_and_refused_with_their_reason() {
    let app = spawn_app().await;
    let store = app.store.clone();
    tokio::task::spawn_blocking(move || {
        store
            .raw(|c| {
                c.execute_batch("CREATE TABLE queued (id BIGINT PRIMARY KEY, note TEXT NOT NULL)")?;
                Ok(())
            })
            .expect("table");
        // Read back in the same transaction; a savepoint undoes only what came after it.
        let kept = store
            .raw(|c| {
                c.execute_later(
                    "INSERT INTO queued (id, note) VALUES (?1, ?2)",
                    hq_server::params![1, "before"],
                    None,
                )?;
                assert_eq!(count(c)?, 1, "a read sees the write queued before it");
                c.execute_later(
                    "INSERT INTO queued (id, note) VALUES (?1, ?2)",
                    hq_server::params![2, "before"],
                    None,
                )?;
                {
                    let sp = c.savepoint()?;
                    sp.execute_later(
                        "INSERT INTO queued (id, note) VALUES (?1, ?2)",
                        hq_server::params![3, "undone"],
                        None,
                    )?;
                    // Dropped without a commit: rolled back.
                }
                {
                    let sp = c.savepoint()?;
                    sp.execute_later(
                        "INSERT INTO queued (id, note) VALUES (?1, ?2)",
                        hq_server::params![4, "kept"],
                        None,
                    )?;
                    sp.commit()?;
                }
                let ids: Vec<i64> = c
                    .prepare("SELECT id FROM queued ORDER BY id")?
                    .query_map([], |r| r.get(0))?
                    .collect::<Result<_, _>>()?;
                Ok(ids)
            })
            .expect("written");
        assert_eq!(kept, vec![1, 2, 4]);
        // A queued write that breaks a constraint fails with its reason, and a savepoint around
        // it leaves the transaction usable (ingest rejects that event alone so).
        let after = store
            .raw(|c| {
                let sp = c.savepoint()?;
                // SQLite refuses it at once, PostgreSQL when it is sent.
                let refused = sp
                    .execute_later(
                        "INSERT INTO queued (id, note) VALUES (?1, ?2)",
                        hq_server::params![1, "again"],
                        Some(&|| "row 1 is already there".to_owned()),
                    )
                    .and_then(|()| sp.flush())
                    .expect_err("a duplicate key");
                assert_eq!(refused.to_string(), "row 1 is already there");
                drop(sp);
                c.execute_later("INSERT INTO queued (id, note) VALUES (?1, ?2)", hq_server::params![5, "after"], None)?;
                count(c)
            })
            .expect("the transaction goes on");
        assert_eq!(after, 4);
        // Without a savepoint the refusal fails the whole transaction: nothing of it is kept,
        // whether the database answers at the write (SQLite) or at the statement after it.
        let failed = store.raw(|c| {
            c.execute_later("INSERT INTO queued (id, note) VALUES (?1, ?2)", hq_server::params![6, "lost"], None)?;
            c.execute_later(
                "INSERT INTO queued (id, note) VALUES (?1, ?2)",
                hq_server::params![2, "again"],
                Some(&|| "row 2 is already there".to_owned()),
            )?;
            count(c)
        });
        match failed {
            Err(StoreError::Conflict(why)) => assert_eq!(why, "row 2 is already there"),
            other => panic!("expected the refusal, got {other:?}"),
        }
        assert_eq!(store.raw(count).expect("count"), 4, "nothing of the failed transaction was committed");
        // Queued writes left at the end of a transaction go with its commit.
        store
            .raw(|c| {
                c.execute_later("INSERT INTO queued (id, note) VALUES (?1, ?2)", hq_server::params![7, "last"], None)?;
                Ok(())
            })
            .expect("committed");
        assert_eq!(store.raw(count).expect("count"), 5);
    })
    .await
    .expect("blocking");
}
