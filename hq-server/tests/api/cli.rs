use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn hq(db: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hq-server"));
    cmd.arg("--db").arg(db).args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("run hq-server");
    if let Some(input) = stdin {
        child.stdin.take().expect("stdin").write_all(input.as_bytes()).expect("write stdin");
    }
    drop(child.stdin.take());
    child.wait_with_output().expect("output")
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

#[test]
fn the_cli_sets_up_a_chain() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("hq.sqlite");
    let o = hq(
        &db,
        &["user", "add", "--username", "boss", "--role", "admin", "--password-stdin"],
        Some("a very good password\n"),
    );
    assert!(o.status.success(), "{}", text(&o));
    let o = hq(&db, &["branch", "add", "--code", "B001", "--name", "上海店"], None);
    assert!(o.status.success(), "{}", text(&o));
    let o = hq(&db, &["till", "add", "--branch", "B001"], None);
    assert!(o.status.success() && text(&o).contains("enrolment code: "), "{}", text(&o));
    let o = hq(
        &db,
        &["staff", "add", "--branch", "B001", "--login", "1001", "--name", "李", "--role", "cashier", "--pin", "1234"],
        None,
    );
    assert!(o.status.success(), "{}", text(&o));
    // Bad input is refused with a reason.
    let o = hq(
        &db,
        &["staff", "add", "--branch", "B001", "--login", "1002", "--name", "x", "--role", "cashier", "--pin", "12"],
        None,
    );
    assert!(!o.status.success() && text(&o).contains("PIN"), "{}", text(&o));
    let o = hq(&db, &["user", "add", "--username", "weak", "--role", "admin", "--password", "short"], None);
    assert!(!o.status.success() && text(&o).contains("10 characters"), "{}", text(&o));
    let o = hq(&db, &["audit", "verify"], None);
    assert!(o.status.success() && text(&o).contains("intact"), "{}", text(&o));
}

#[test]
fn an_import_applies_all_rows_or_none_and_names_each_bad_line() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("hq.sqlite");
    {
        let store = hq_server::SqlStore::open(&db).expect("open");
        hq_server::admin::add_category(
            &store,
            &hq_server::model::Actor::cli(),
            shared::catalog::Category {
                id: shared::catalog::CategoryId(0),
                code: "DRINK".into(),
                name: "饮料".into(),
                parent: None,
            },
        )
        .expect("category");
    }
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "code,barcodes,name,category,unit,retail_price,vat\n\
         P1,6901234567892,可乐,DRINK,瓶,3.50,13\n\
         P2,6901234567893,雪碧,DRINK,瓶,3.50,13\n\
         P3,,芬达,FOOD,瓶,3.50,13\n\
         P4,,橙汁,DRINK,瓶,abc,13\n\
         P1,,可乐again,DRINK,瓶,3.50,13\n",
    )
    .expect("write");
    let o = hq(&db, &["import", "products", bad.to_str().expect("path")], None);
    let out = text(&o);
    assert!(!o.status.success(), "{out}");
    for needle in [
        "line 3: ",
        "check digit",
        "line 4: unknown category `FOOD`",
        "line 5: retail_price",
        "line 6: product code `P1` is also on line 2",
    ] {
        assert!(out.contains(needle), "{needle} missing from:\n{out}");
    }
    assert!(!out.contains("line 2:"), "{out}");
    let store = hq_server::SqlStore::open(&db).expect("open");
    assert_eq!(hq_server::store::CatalogStore::count_products(&store).expect("count"), 0, "nothing imported");
    drop(store);

    let good = dir.path().join("good.csv");
    std::fs::write(
        &good,
        "code,barcodes,name,short_name,category,unit,retail_price,member_price,vat,weighed,plu\n\
         P1,6901234567892|4006381333931,可口可乐 330ml,可乐,DRINK,瓶,3.50,3.00,13,no,\n\
         P2,,苹果,,DRINK,kg,12.80,,9,yes,1001\n",
    )
    .expect("write");
    let o = hq(&db, &["import", "products", good.to_str().expect("path")], None);
    assert!(o.status.success() && text(&o).contains("2 created"), "{}", text(&o));
    // The export reads back in, unchanged.
    let out = dir.path().join("out.csv");
    let o = hq(&db, &["export", "products", "--out", out.to_str().expect("path")], None);
    assert!(o.status.success(), "{}", text(&o));
    let exported = std::fs::read_to_string(&out).expect("read");
    assert!(
        exported
            .contains("P1,6901234567892|4006381333931,可口可乐 330ml,可乐,DRINK,瓶,3.50,3.00,13,yes,yes,no,,active"),
        "{exported}"
    );
    let o = hq(&db, &["import", "products", out.to_str().expect("path")], None);
    assert!(o.status.success() && text(&o).contains("0 created, 0 updated"), "{}", text(&o));
}

#[test]
fn audit_verify_exits_non_zero_on_a_tampered_log() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("hq.sqlite");
    assert!(hq(&db, &["branch", "add", "--code", "B001", "--name", "x"], None).status.success());
    let c = rusqlite::Connection::open(&db).expect("open");
    c.execute_batch("DROP TRIGGER audit_log_no_update; UPDATE audit_log SET actor = 'nobody' WHERE id = 2;")
        .expect("tamper");
    let o = hq(&db, &["audit", "verify"], None);
    assert!(!o.status.success() && text(&o).contains("entry 2 was changed"), "{}", text(&o));
}

#[test]
fn demo_data_makes_a_chain_with_known_credentials() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("hq.sqlite");
    let o = hq(&db, &["demo-data", "--products", "300"], None);
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    assert!(out.contains("admin / tillpoint-admin") && out.contains("9001 / 9999"), "{out}");
    let store = hq_server::SqlStore::open(&db).expect("open");
    assert_eq!(hq_server::store::CatalogStore::count_products(&store).expect("count"), 300);
    let products = hq_server::store::CatalogStore::list_products(&store, 0, 300, None).expect("list");
    assert!(products.iter().all(|p| p.validate().is_ok()));
    assert!(products.iter().any(|p| p.weighed && p.plu.is_some()));
    assert!(products.iter().filter(|p| !p.weighed).all(|p| p.barcodes.iter().all(|b| b.len() == 13)));
    let branches = hq_server::store::BranchStore::list_branches(&store).expect("branches");
    assert_eq!(branches.len(), 5);
    let staff = hq_server::store::BranchStore::list_staff(&store, branches[0].id).expect("staff");
    let manager = staff.iter().find(|s| s.login == "9001").expect("manager");
    assert!(hq_server::auth::verify_secret("9999", &manager.pin_hash));
    // Demo data goes only into an empty database.
    assert!(!hq(&db, &["demo-data"], None).status.success());
}
