//! A database made by the first schema is upgraded in place, keeping its data.

mod common;

use pos_app::store::Store;
use rusqlite::Connection;
use shared::catalog::ProductId;

#[test]
fn a_first_schema_database_is_upgraded_in_place() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("old.sqlite");
    // A till database as the first release made it, with a product and a sale in progress.
    drop(Store::open_at_version(&path, 1).expect("first schema"));
    {
        let conn = Connection::open(&path).expect("raw connection");
        conn.execute_batch(
            "INSERT INTO products (id, code, name, short_name, category, unit, retail_price, member_price, vat,
                 points_eligible, discount_eligible, weighed, plu, status)
             VALUES (1, 'P00001', '可口可乐 330ml', '', 1, '瓶', 350, 300, 1300, 1, 1, 0, NULL, 'active');
             INSERT INTO barcodes (code, product_id) VALUES ('6901234567892', 1);
             INSERT INTO cart (id, json) VALUES (1, '{\"kept\": true}');
             INSERT INTO sequences (name, value) VALUES ('receipt', 41);",
        )
        .expect("old data");
        let version: u32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).expect("version");
        assert_eq!(version, 1);
    }

    let store = Store::open(&path).expect("upgrade");
    assert_eq!(store.schema_version().expect("version"), pos_app::store::schema::latest_version());
    // The old data is all there, and the new search index covers it.
    assert_eq!(store.product_by_barcode("6901234567892").expect("lookup").map(|p| p.product.id), Some(ProductId(1)));
    let hits = store.search_products("可乐", 10).expect("search");
    assert_eq!(hits.len(), 1);
    assert_eq!(store.search_products("kkkl", 10).expect("search").len(), 1);
    assert_eq!(store.cart_json().expect("cart").as_deref(), Some("{\"kept\": true}"));
    assert_eq!(store.sequences().expect("sequences"), vec![("receipt".to_owned(), 41)]);
    // Complaints (schema 7): no categories pulled yet, nothing waiting.
    assert!(store.complaint_categories().expect("categories").is_empty());
    assert_eq!(store.pending_complaint_count().expect("complaints"), 0);
    drop(store);
    // Opening again is a no-op.
    let store = Store::open(&path).expect("reopen");
    assert_eq!(store.search_products("可乐", 10).expect("search").len(), 1);
}

#[test]
fn a_database_from_a_newer_release_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("new.sqlite");
    drop(Store::open(&path).expect("create"));
    Connection::open(&path).expect("raw").pragma_update(None, "user_version", 99).expect("bump");
    assert!(matches!(Store::open(&path), Err(pos_app::store::StoreError::TooNew { found: 99, .. })));
}
