use hq_server::admin;
use hq_server::model::Actor;
use hq_server::store::sqlite::{SqliteStore, schema};
use hq_server::store::{BranchStore, SyncStore};

#[test]
fn a_database_made_with_the_first_schema_upgrades_and_keeps_its_data() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("old.sqlite");
    {
        let v1 = SqliteStore::open_at_version(&path, 1).expect("v1");
        assert_eq!(v1.schema_version().expect("version"), 1);
        admin::add_branch(&v1, &Actor::cli(), admin::default_branch("B001", "老店")).expect("branch");
    }
    let store = SqliteStore::open(&path).expect("upgrade");
    assert_eq!(store.schema_version().expect("version"), schema::LATEST);
    let b = store.branch_by_code("B001").expect("read").expect("kept");
    assert_eq!(b.name, "老店");
    // The new tables work.
    assert!(store.list_sales(None, None, 10).expect("sales").is_empty());
    // Opening again changes nothing.
    drop(store);
    let store = SqliteStore::open(&path).expect("reopen");
    assert_eq!(store.schema_version().expect("version"), schema::LATEST);
}

#[test]
fn a_newer_database_is_refused() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("new.sqlite");
    drop(SqliteStore::open(&path).expect("open"));
    let c = rusqlite::Connection::open(&path).expect("raw");
    c.execute("INSERT INTO schema_migrations (version, description, applied_at) VALUES (999, 'future', 0)", [])
        .expect("insert");
    let err = SqliteStore::open(&path).expect_err("refused");
    assert!(err.to_string().contains("newer"), "{err}");
}
