use hq_server::admin;
use hq_server::model::Actor;
use hq_server::store::sql::{SqlStore, schema};
use hq_server::store::{BranchStore, ExpenseStore, SyncStore};

#[test]
fn a_database_made_with_the_first_schema_upgrades_and_keeps_its_data() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("old.sqlite");
    {
        let v1 = SqlStore::open_at_version(&path, 1).expect("v1");
        assert_eq!(v1.schema_version().expect("version"), 1);
        admin::add_branch(&v1, &Actor::cli(), admin::default_branch("B001", "老店")).expect("branch");
    }
    let store = SqlStore::open(&path).expect("upgrade");
    assert_eq!(store.schema_version().expect("version"), schema::LATEST);
    let b = store.branch_by_code("B001").expect("read").expect("kept");
    assert_eq!(b.name, "老店");
    // The new tables work.
    assert!(store.list_sales(None, None, 10).expect("sales").is_empty());
    // An upgraded chain has the first expense subjects, as a new one does.
    let subjects: Vec<String> = store.expense_subjects().expect("subjects").into_iter().map(|s| s.code).collect();
    assert_eq!(subjects, ["rent", "wages", "utilities", "promotion", "other"]);
    // Opening again changes nothing.
    drop(store);
    let store = SqlStore::open(&path).expect("reopen");
    assert_eq!(store.schema_version().expect("version"), schema::LATEST);
}

#[test]
fn a_newer_database_is_refused() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("new.sqlite");
    drop(SqlStore::open(&path).expect("open"));
    let c = rusqlite::Connection::open(&path).expect("raw");
    c.execute("INSERT INTO schema_migrations (version, description, applied_at) VALUES (999, 'future', 0)", [])
        .expect("insert");
    let err = SqlStore::open(&path).expect_err("refused");
    assert!(err.to_string().contains("newer"), "{err}");
}

/// The tables of version 6, children first.
const PROMOTION_TABLES: &[&str] = &["promotion_revisions", "promotions", "promotion_set_version"];

/// Turns a database back into what an older HQ left: the later migrations' tables dropped and
/// their versions forgotten, the data of the tables the older schema had kept as it is.
fn roll_back_to(path: &std::path::Path, version: u32, drop: &[&str]) {
    let c = rusqlite::Connection::open(path).expect("raw");
    if version < 24 {
        c.execute_batch(
            "DROP TABLE payment_statement_rejections; DROP TABLE payment_statement_lines;
             DROP TABLE payment_statements; DROP INDEX payment_attempts_paid; DROP INDEX payment_refunds_made;",
        )
        .expect("undo version 24");
    }
    if version < 23 {
        c.execute_batch("DROP TABLE payment_refunds; DROP TABLE payment_calls; DROP TABLE payment_attempts;")
            .expect("undo version 23");
    }
    if version < 22 {
        c.execute_batch(
            "DROP TABLE stock_count_batches; DROP INDEX stock_levels_version;
             ALTER TABLE stock_levels DROP COLUMN version;",
        )
        .expect("undo version 22");
    }
    if version < 21 {
        c.execute_batch("DROP TABLE stock_settings;").expect("undo version 21");
    }
    if version < 20 {
        c.execute_batch("DROP TABLE stock_count_entries; DROP TABLE stock_count_snapshot; DROP TABLE stock_counts;")
            .expect("undo version 20");
    }
    if version < 19 {
        c.execute_batch(
            "DROP TABLE transfer_lines; DROP TABLE transfers; DROP TABLE stock_receipts;
             DROP TABLE purchase_order_lines; DROP TABLE purchase_orders; DROP TABLE suppliers;
             DROP TABLE stock_levels; DROP TABLE stock_movements;",
        )
        .expect("undo version 19");
    }
    if version < 18 {
        c.execute_batch(
            "DROP INDEX points_lots_usable; DROP INDEX refunds_sale_member_day;
             ALTER TABLE refunds DROP COLUMN sale_member_id;",
        )
        .expect("undo version 18");
    }
    if version < 17 {
        c.execute_batch("DROP TABLE rfm_members; DROP TABLE rfm_runs; DROP INDEX sales_member_day;\n             CREATE INDEX sales_member ON sales(member_id);")
            .expect("undo version 17");
    }
    if version < 16 {
        c.execute_batch("DROP TABLE branch_days;").expect("undo version 16");
    }
    if version < 15 {
        c.execute_batch("DROP TABLE complaint_history; DROP TABLE complaints; DROP TABLE complaint_categories;")
            .expect("undo version 15");
    }
    if version < 14 {
        c.execute_batch("DROP TABLE expenses; DROP TABLE expense_subjects;").expect("undo version 14");
    }
    if version < 13 {
        c.execute_batch("DROP TABLE care_messages; DROP TABLE care_campaigns;").expect("undo version 13");
    }
    if version < 12 {
        c.execute_batch("DROP TABLE targets;").expect("undo version 12");
    }
    if version < 11 {
        c.execute_batch("DROP TABLE console_jobs;").expect("undo version 11");
    }
    if version < 10 {
        // Version 10 added three tables and two columns of members.
        c.execute_batch(
            "DROP TABLE member_sessions;
             DROP TABLE sign_in_codes;
             DROP TABLE sms_log;
             ALTER TABLE members DROP COLUMN code_secret;
             ALTER TABLE members DROP COLUMN marketing_consent;",
        )
        .expect("undo version 10");
    }
    if version < 9 {
        // Version 9 added brands and products' brand column, which refers to them (SQLite drops no
        // such column: the table is rebuilt as version 1 made it).
        c.execute_batch(
            "PRAGMA foreign_keys = OFF;
             DROP INDEX products_brand;
             CREATE TABLE products_before (
                 id INTEGER PRIMARY KEY, code TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
                 short_name TEXT NOT NULL, category_id BIGINT NOT NULL REFERENCES categories(id),
                 unit TEXT NOT NULL, retail_price BIGINT NOT NULL, member_price BIGINT NULL,
                 vat BIGINT NOT NULL, points_eligible INTEGER NOT NULL, discount_eligible INTEGER NOT NULL,
                 weighed INTEGER NOT NULL, plu BIGINT NULL, status TEXT NOT NULL, updated_at BIGINT NOT NULL
             );
             INSERT INTO products_before SELECT id, code, name, short_name, category_id, unit, retail_price,
                 member_price, vat, points_eligible, discount_eligible, weighed, plu, status, updated_at FROM products;
             DROP TABLE products;
             ALTER TABLE products_before RENAME TO products;
             CREATE UNIQUE INDEX products_plu ON products(plu) WHERE plu IS NOT NULL;
             DROP TABLE brands;",
        )
        .expect("undo version 9");
    }
    if version < 8 {
        // Version 8 added four tables and two columns.
        c.execute_batch(
            "DROP TABLE sale_coupons;
             DROP TABLE coupon_holds;
             DROP TABLE coupons;
             DROP TABLE coupon_campaigns;
             ALTER TABLE sales DROP COLUMN coupon_discounts;
             ALTER TABLE sale_lines DROP COLUMN coupon_discount;",
        )
        .expect("undo version 8");
    }
    if version < 7 {
        // Version 7 added a table and two columns.
        c.execute_batch(
            "DROP TABLE sale_line_promotions;
             ALTER TABLE sales DROP COLUMN promotion_discounts;
             ALTER TABLE sale_lines DROP COLUMN promotion_discount;",
        )
        .expect("undo version 7");
    }
    for table in drop {
        c.execute_batch(&format!("DROP TABLE {table}")).expect("drop");
    }
    c.execute("DELETE FROM schema_migrations WHERE version > ?1", [version]).expect("versions");
}

/// Each branch's days as ingest kept them, sale by sale and refund by refund.
fn branch_days(path: &std::path::Path) -> Vec<(i64, String, i64, i64, i64, i64)> {
    let c = rusqlite::Connection::open(path).expect("raw");
    let mut q = c
        .prepare("SELECT branch_id, business_day, sales, due, member_due, refunded FROM branch_days ORDER BY 1, 2")
        .expect("query");
    q.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)))
        .expect("rows")
        .collect::<Result<_, _>>()
        .expect("read")
}

/// Version 16's back-fill of each branch's days from the stored sales and refunds gives the rows
/// ingest keeps as it stores them (members' sales and refunds included).
#[test]
fn the_branch_days_filled_on_upgrade_equal_those_ingest_keeps() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("days.sqlite");
    {
        let store = SqlStore::open(&path).expect("store");
        let options =
            hq_server::demo::DemoOptions { history_days: 6, members: 30, ..hq_server::demo::DemoOptions::small() };
        hq_server::demo::seed(&store, &options).expect("demo chain with history");
    }
    let kept = branch_days(&path);
    assert!(kept.len() >= 2 * 6, "every branch traded every day: {kept:?}");
    assert!(kept.iter().any(|d| d.4 > 0) && kept.iter().any(|d| d.4 < d.3), "members' and others' sales");
    roll_back_to(&path, 15, &[]);
    drop(SqlStore::open(&path).expect("upgrade"));
    assert_eq!(branch_days(&path), kept);
}

/// A v3 database (members, their ledger and lots) upgrades with every balance intact.
#[test]
fn a_database_with_members_upgrades_with_their_balances() {
    use hq_server::store::MemberStore;
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("v3.sqlite");
    let id = {
        let store = SqlStore::open(&path).expect("store");
        let m = store
            .create_member(
                &Actor::cli(),
                hq_server::model::NewMember {
                    id: None,
                    code: None,
                    phone: Some(shared::member::Phone::parse("13800001234").expect("phone")),
                    name: "陈小姐".into(),
                    birthday: None,
                    tier: None,
                    home_branch: None,
                    uid: None,
                },
            )
            .expect("member");
        let adjust = hq_server::model::Adjustment {
            points: 1_234,
            principal: shared::Money(50_000),
            bonus: shared::Money(5_000),
            reason: "opening".into(),
        };
        store.adjust(&Actor::cli(), m.id, adjust).expect("adjusted").expect("accepted");
        m.id
    };
    roll_back_to(&path, 3, &[&["member_visits", "event_flags", "login_known"][..], PROMOTION_TABLES].concat());
    assert_eq!(SqlStore::open_at_version(&path, 3).expect("v3").schema_version().expect("version"), 3);
    let store = SqlStore::open(&path).expect("upgrade");
    assert_eq!(store.schema_version().expect("version"), schema::LATEST);
    let m = store.get_member(id).expect("kept");
    assert_eq!((m.points, m.stored_value.principal.0, m.stored_value.bonus.0), (1_234, 50_000, 5_000));
    assert!(store.check_balances().expect("check").is_empty(), "the ledger still sums to the balances");
}

/// Card numbers that reached a v4 HQ as tender references (before HQ masked them) are masked by
/// the upgrade, in the sales' tenders and in the stored events.
#[test]
fn the_upgrade_masks_card_numbers_already_stored() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("v4.sqlite");
    let (branch, receipt) = {
        let store = SqlStore::open(&path).expect("store");
        let b = admin::add_branch(&store, &Actor::cli(), admin::default_branch("B001", "老店")).expect("branch");
        let (till, code) =
            admin::add_till(&store, &Actor::cli(), b.id, "", std::time::Duration::from_secs(600)).expect("till");
        let req =
            shared::sync::EnrolRequest { protocol: shared::sync::PROTOCOL_VERSION, code, device_name: "pc".into() };
        admin::enrol(&store, &req, "local").expect("enrol").expect("enrolled");
        let till = store.get_till(till.id).expect("till");
        let r = hq_server::fixtures::TillRef {
            till: till.id,
            number: till.number,
            branch: b.id,
            branch_code: b.code.clone(),
        };
        let sale = hq_server::fixtures::sale(&r, 1, 2, 2);
        let receipt = sale.receipt_no.to_string();
        let env = hq_server::fixtures::envelope(till.id, 1, shared::sync::Event::SaleCompleted(sale));
        store.ingest(&till, &[env], &[Ok(Vec::new())], jiff::Timestamp::now(), 0).expect("ingested");
        (b.id, receipt)
    };
    // What an HQ before the check kept: the typed card number, in the tender and in the event.
    roll_back_to(&path, 4, &[&["event_flags", "login_known"][..], PROMOTION_TABLES].concat());
    let c = rusqlite::Connection::open(&path).expect("raw");
    c.execute("UPDATE sale_tenders SET reference = '4111111111111111' WHERE kind = 'bank_card'", []).expect("tender");
    c.execute("UPDATE events SET payload = replace(payload, '\"T0001\"', '\"4111111111111111\"')", []).expect("event");
    drop(c);
    let old = SqlStore::open_at_version(&path, 4).expect("v4");
    let before = old.sale_history(branch, &receipt).expect("read").expect("sale");
    assert!(before.sale.tenders.iter().any(|t| t.reference.as_deref() == Some("4111111111111111")));
    drop(old);

    let store = SqlStore::open(&path).expect("upgrade");
    let after = store.sale_history(branch, &receipt).expect("read").expect("sale");
    let refs: Vec<_> = after.sale.tenders.iter().filter_map(|t| t.reference.clone()).collect();
    assert_eq!(refs, vec!["411111******1111".to_owned()], "the stored event is masked");
    let c = rusqlite::Connection::open(&path).expect("raw");
    let raw: i64 = c
        .query_row("SELECT COUNT(*) FROM sale_tenders WHERE reference LIKE '%4111111111111111%'", [], |r| r.get(0))
        .expect("count");
    assert_eq!(raw, 0, "and so are the sales' tenders");
}

/// Each refund with the member ingest says it paid back.
fn refund_members(store: &SqlStore) -> Vec<(String, Option<String>)> {
    store
        .raw(|c| {
            Ok(c.prepare("SELECT id, sale_member_id FROM refunds ORDER BY 1")?
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<_, _>>()?)
        })
        .expect("read")
}

/// Version 18's back-fill of the member each refund paid back gives what ingest keeps as it
/// stores sales and refunds: a member's refunded sale, another's, and a sale put under its member
/// after it was refunded (their card given to them later). The roll back and upgrade are
/// SQLite's (the PostgreSQL pass checks what ingest keeps).
#[tokio::test]
async fn the_refunds_members_filled_on_upgrade_equal_those_ingest_keeps() {
    use crate::members::{member_sale, member_with, push_one, refund_of};
    use shared::member::{CardUid, MemberIdentifier};
    use shared::sale::ReturnPick;
    use shared::sync::Event;
    let app = crate::helpers::spawn_app().await;
    let (till, token) = app.enrolled_till(app.branch("B001").await).await;
    let (member, code) = member_with(&app, "13900005555", 0).await;
    let by = MemberIdentifier::Code(shared::catalog::MemberCode::parse(&code).expect("code"));
    let theirs = member_sale(&till, 1, Some(member), by, vec![], 90);
    let card = MemberIdentifier::Uid(CardUid::parse("04ABCDEF").expect("uid"));
    let later = member_sale(&till, 2, None, card, vec![], 90);
    let nobodys = hq_server::fixtures::sale(&till, 3, 2, 1);
    for (seq, sale) in [(1, &theirs), (2, &later), (3, &nobodys)] {
        push_one(&app, &till, &token, seq, Event::SaleCompleted(sale.clone())).await;
        let back = refund_of(sale, &[ReturnPick { line: 0, qty: sale.lines[0].priced.qty }], &[]);
        push_one(&app, &till, &token, seq + 10, Event::SaleRefunded(back)).await;
    }
    app.post(
        &format!("/api/v1/members/{member}/cards"),
        &app.admin,
        serde_json::json!({"kind": "uid", "value": "04ABCDEF"}),
    )
    .await
    .expect(axum::http::StatusCode::OK);
    let kept = refund_members(&app.store);
    let of = |m: Option<String>| kept.iter().filter(|r| r.1 == m).count();
    assert_eq!((of(Some(member.to_string())), of(None)), (2, 1), "{kept:?}");
    let Some(path) = app.store.path().map(std::path::Path::to_owned) else { return };
    roll_back_to(&path, 17, &[]);
    let upgraded = SqlStore::open(&path).expect("upgrade");
    assert_eq!(refund_members(&upgraded), kept);
}

/// Levels written before version 22 have no version: the upgrade gives them 0, a till's first
/// pull takes them, and what is written after the upgrade comes after them.
#[test]
fn levels_from_before_their_versions_come_with_a_till_s_first_pull() {
    use hq_server::model::{CostLine, NewReceipt};
    use hq_server::store::{StockStore, TillStockStore};
    use shared::catalog::ProductId;
    use shared::money::{Money, Qty};
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("levels.sqlite");
    let receipt = |branch, product: i64, qty: i64| NewReceipt {
        branch,
        order: None,
        supplier: None,
        lines: vec![CostLine { product_id: ProductId(product), qty: Qty(qty), unit_cost: Money(100) }],
        accept_unordered: false,
        note: String::new(),
    };
    let branch = {
        let store = SqlStore::open(&path).expect("store");
        let demo = hq_server::demo::seed(&store, &hq_server::demo::DemoOptions::small()).expect("demo");
        let branch = demo.branches[0].id;
        store.receive(&Actor::cli(), receipt(branch, 2, 5_000)).expect("received");
        store.receive(&Actor::cli(), receipt(branch, 1, 7_000)).expect("received");
        branch
    };
    roll_back_to(&path, 21, &[]);
    let store = SqlStore::open(&path).expect("upgrade");
    let first = store.till_stock_levels(branch, None, 100).expect("first pull");
    let seen: Vec<(i64, i64, i64)> = first.iter().map(|(c, p, q)| (c.version, p.0, q.0)).collect();
    assert_eq!(seen, vec![(0, 1, 7_000), (0, 2, 5_000)]);
    store.receive(&Actor::cli(), receipt(branch, 1, 1_000)).expect("received");
    let next = store.till_stock_levels(branch, Some(first[1].0), 100).expect("next pull");
    assert_eq!(next.iter().map(|(_, p, q)| (p.0, q.0)).collect::<Vec<_>>(), vec![(1, 8_000)]);
    assert!(next[0].0.version > 0);
}
