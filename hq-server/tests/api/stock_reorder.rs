//! Reorder: minimum, maximum, pack and supplier per branch and product, set as JSON or from a
//! CSV sheet (all rows or none), read back as either; the suggested order of what is below its
//! minimum. On both stores.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Reply, TestApp, spawn_app};

async fn csv(app: &TestApp, cookie: &str, body: &str) -> Reply {
    app.post_csv("/api/v1/stock-settings/import", cookie, body).await
}

fn refused(r: &Reply, words: &str) {
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.body["message"].as_str().expect("message").contains(words), "{words}: {}", r.text);
}

/// (product code, qty, unit cost, cost) of each suggested line, in order.
fn lines(list: &Value) -> Vec<(String, Option<String>, i64, i64, i64)> {
    list.as_array()
        .expect("list")
        .iter()
        .map(|l| {
            (
                l["product_code"].as_str().expect("code").to_owned(),
                l["supplier_code"].as_str().map(str::to_owned),
                l["qty"].as_i64().expect("qty"),
                l["unit_cost"].as_i64().expect("unit cost"),
                l["cost"].as_i64().expect("cost"),
            )
        })
        .collect()
}

#[tokio::test]
async fn shelves_below_their_minimum_are_suggested_to_their_maximum_in_whole_packs() {
    let app = spawn_app().await;
    let b1 = app.branch("B001").await;
    let b2 = app.branch("B002").await;
    let (cola, tea, water) = (
        app.product("COLA", "6901234567892").await,
        app.product("TEA", "6920152400012").await,
        app.product("WATER", "6902083881405").await,
    );
    let s1 = app.post("/api/v1/suppliers", &app.admin, json!({"code": "S1", "name": "饮料批发"})).await;
    let s1 = s1.expect(StatusCode::CREATED).body["id"].as_i64().expect("id");
    // Five colas at ¥1.00 and thirty waters arrive; no tea.
    let lines_in = json!([{"product_id": cola, "qty": 5_000, "unit_cost": 100}, {"product_id": water, "qty": 30_000, "unit_cost": 50}]);
    app.post("/api/v1/stock/receipts", &app.admin, json!({"branch_id": b1.0, "lines": lines_in}))
        .await
        .expect(StatusCode::CREATED);
    let settings = json!({"settings": [
        {"branch_id": b1.0, "product_id": cola, "min": 10_000, "max": 48_000, "pack": 12_000, "supplier_id": s1},
        {"branch_id": b1.0, "product_id": tea, "min": 6_000, "max": 24_000, "pack": 6_000, "supplier_id": s1},
        {"branch_id": b1.0, "product_id": water, "min": 10_000, "max": 60_000, "pack": 24_000},
    ]});
    let r = app.put("/api/v1/stock-settings", &app.admin, settings).await.expect(StatusCode::OK);
    assert_eq!(r.body["set"], 3);

    // Cola: 5 on hand, 43 short of 48: four packs of 12. Tea: none, four packs of 6.
    // Water: 30, above its minimum: nothing.
    let r = app.get("/api/v1/stock-reports/reorder", &app.admin).await.expect(StatusCode::OK);
    assert_eq!(
        lines(&r.body),
        vec![("COLA".into(), Some("S1".into()), 48_000, 100, 4_800), ("TEA".into(), Some("S1".into()), 24_000, 0, 0)],
        "{}",
        r.body
    );
    let r = app.get("/api/v1/stock-reports/reorder?format=csv", &app.admin).await.expect(StatusCode::OK);
    assert_eq!(
        r.text,
        "branch,supplier,product,name,on_hand,min,max,pack,qty,unit_cost,cost\n\
         B001,S1,COLA,可口可乐 330ml,5,10,48,12,48,1.00,48.00\n\
         B001,S1,TEA,可口可乐 330ml,0,6,24,6,24,0.00,0.00\n"
    );

    // The settings as CSV are a sheet the import takes back as it is.
    let r = app.get("/api/v1/stock-settings?format=csv", &app.admin).await.expect(StatusCode::OK);
    let sheet = r.text.clone();
    assert_eq!(
        sheet,
        "branch,product,min,max,pack,supplier\nB001,COLA,10,48,12,S1\nB001,TEA,6,24,6,S1\nB001,WATER,10,60,24,\n"
    );
    let before = app.get("/api/v1/stock-settings", &app.admin).await.expect(StatusCode::OK).body;
    let r = csv(&app, &app.admin, &sheet).await;
    assert_eq!((r.status, r.body["set"].as_i64()), (StatusCode::OK, Some(3)), "{}", r.text);
    let again = app.get("/api/v1/stock-settings", &app.admin).await.expect(StatusCode::OK).body;
    let strip = |v: &Value| -> Vec<Value> {
        v.as_array()
            .expect("list")
            .iter()
            .map(|s| {
                let mut s = s.clone();
                s.as_object_mut().expect("object").remove("updated_at");
                s
            })
            .collect()
    };
    assert_eq!(strip(&before), strip(&again), "the round trip changes nothing");

    // A sheet raising water's minimum to 40 in half packs: now it is suggested, without a supplier, last.
    let r = csv(&app, &app.admin, "product,branch,min,max,pack\nWATER,B001,40,60,0.5\n").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = app.get(&format!("/api/v1/stock-reports/reorder?branch_id={}", b1.0), &app.admin).await;
    let got = lines(&r.expect(StatusCode::OK).body);
    assert_eq!(got.last().cloned(), Some(("WATER".into(), None, 30_000, 50, 1_500)), "{got:?}");

    // A branch manager sets and sees their branch's only.
    let mgr2 = app.user("mgr2", "branch_manager", Some(b2)).await;
    let theirs = app.get("/api/v1/stock-reports/reorder", &mgr2).await.expect(StatusCode::OK);
    assert_eq!(theirs.body, json!([]));
    app.get(&format!("/api/v1/stock-settings?branch_id={}", b1.0), &mgr2).await.expect(StatusCode::NOT_FOUND);
    let mine = json!({"settings": [{"branch_id": b2.0, "product_id": tea, "min": 1_000, "max": 2_000, "pack": 1_000}]});
    app.put("/api/v1/stock-settings", &mgr2, mine).await.expect(StatusCode::OK);
    let listed = app.get("/api/v1/stock-settings", &mgr2).await.expect(StatusCode::OK);
    assert_eq!(listed.body.as_array().map(Vec::len), Some(1), "{}", listed.body);
    let audit = app.audit_count().await;
    let other = json!({"settings": [{"branch_id": b1.0, "product_id": tea, "min": 0, "max": 0, "pack": 1_000}]});
    refused(&app.put("/api/v1/stock-settings", &mgr2, other).await, "row 1: branch: not your branch");
    refused(&csv(&app, &mgr2, "branch,product,min,max,pack\nB002,TEA,1,2,1\nB001,TEA,0,0,1\n").await, "row 3: branch");
    assert_eq!(app.audit_count().await, audit, "nothing written");
}

#[tokio::test]
async fn a_bad_row_sets_nothing_and_is_named() {
    let app = spawn_app().await;
    let b1 = app.branch("B001").await;
    let cola = app.product("COLA", "6901234567892").await;
    let tea = app.product("TEA", "6920152400012").await;
    let audit = app.audit_count().await;
    let row = |product: i64, min: i64, max: i64, pack: i64| json!({"branch_id": b1.0, "product_id": product, "min": min, "max": max, "pack": pack});
    for (rows, words) in [
        (vec![row(cola, 10_000, 5_000, 1_000)], "row 1: max"),
        (vec![row(cola, 1_000, 5_000, 1_000), row(tea, 1_000, 5_000, 0)], "row 2: pack"),
        (
            vec![row(cola, 1_000, 5_000, 1_000), row(cola, 2_000, 5_000, 1_000)],
            "row 2: the branch and product of row 1",
        ),
        (vec![row(cola, 1_000, 5_000, 1_000), row(999, 1_000, 5_000, 1_000)], "row 2: product"),
        (
            vec![json!({"branch_id": b1.0, "product_id": tea, "min": 0, "max": 1, "pack": 1, "supplier_id": 42})],
            "row 1: supplier",
        ),
    ] {
        refused(&app.put("/api/v1/stock-settings", &app.admin, json!({"settings": rows})).await, words);
    }
    for (sheet, words) in [
        ("branch,product,min,max\nB001,COLA,1,2\n", "row 1: the header"),
        ("branch,product,min,max,pack\nB001,COLA,1,2,1\nB001,NOPE,1,2,1\n", "row 3: product"),
        ("branch,product,min,max,pack\nB001,COLA,1,2,1\nB001,TEA,one,2,1\n", "row 3: min"),
        ("branch,product,min,max,pack\nB009,COLA,1,2,1\n", "row 2: branch"),
        ("branch,product,min,max,pack,supplier\nB001,COLA,1,2,1,S9\n", "row 2: supplier"),
        ("branch,product,min,max,pack\n", "no rows"),
    ] {
        refused(&csv(&app, &app.admin, sheet).await, words);
    }
    assert_eq!(app.audit_count().await, audit, "nothing written");
    let listed = app.get("/api/v1/stock-settings", &app.admin).await.expect(StatusCode::OK);
    assert_eq!(listed.body, json!([]));
    // Not CSV: 415.
    let r = app.post("/api/v1/stock-settings/import", &app.admin, json!({})).await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
}
