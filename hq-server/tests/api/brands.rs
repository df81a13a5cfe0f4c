//! Brands (品牌) at HQ: created, refused twice, renamed and listed with their products; a product's
//! brand in the API, on the tills' feed and in the catalog CSV (a new code creates its brand, a bad
//! one is a bad row and nothing is imported); promotions and coupon campaigns by a brand HQ knows,
//! priced by the preview; the console's catalog, product, promotion and coupon forms. On both
//! stores (`TILLPOINT_TEST_PG`).

use axum::http::StatusCode;
use hq_server::import::{ProgressBar, export_products, import_products};
use hq_server::model::Actor;
use serde_json::{Value, json};

use crate::helpers::{TestApp, console_as_admin, enc, spawn_app};

async fn brand(app: &TestApp, code: &str, name: &str) -> i64 {
    let r = app.post("/api/v1/brands", &app.admin, json!({"code": code, "name": name})).await;
    r.expect(StatusCode::CREATED).body["id"].as_i64().expect("id")
}

/// A product of `brand` (or none) beside P0 (¥3.50, no brand, made first): the answer.
async fn product_of(app: &TestApp, code: &str, brand: Option<i64>) -> Reply2 {
    if app.get("/api/v1/products?q=P0", &app.admin).await.body == json!([]) {
        app.product("P0", "6901234567892").await;
    }
    let cat = app.get("/api/v1/categories", &app.admin).await.body[0]["id"].as_i64().expect("category");
    let r = app
        .post(
            "/api/v1/products",
            &app.admin,
            json!({"code": code, "name": "矿泉水 550ml", "category_id": cat, "unit": "瓶", "retail_price": 200,
                   "vat_bp": 1300, "brand_id": brand}),
        )
        .await;
    Reply2 { status: r.status, body: r.body }
}

struct Reply2 {
    status: StatusCode,
    body: Value,
}

#[tokio::test]
async fn brands_are_created_once_renamed_and_listed_with_their_products() {
    let app = spawn_app().await;
    let audit = app.audit_count().await;
    let id = brand(&app, "NFSQ", "农夫山泉").await;
    assert_eq!(app.audit_count().await, audit + 1, "the creation is audited");
    // The same code again is a conflict naming the brand; bad codes and names are refused.
    let r = app.post("/api/v1/brands", &app.admin, json!({"code": "NFSQ", "name": "另一个"})).await;
    let r = r.expect(StatusCode::CONFLICT);
    assert!(r.body["message"].as_str().expect("message").contains("already used"), "{}", r.body);
    for bad in [
        json!({"code": "", "name": "空"}),
        json!({"code": "x".repeat(33), "name": "长"}),
        json!({"code": "A\u{7}B", "name": "控制"}),
        json!({"code": "OK1", "name": "  "}),
    ] {
        let r = app.post("/api/v1/brands", &app.admin, bad.clone()).await;
        assert!(r.status.is_client_error(), "{bad}: {}", r.status);
        assert!(r.body["message"].is_string(), "a JSON error for {bad}: {}", r.body);
    }
    assert_eq!(app.audit_count().await, audit + 1, "nothing refused was stored");
    // Renamed: the code stays.
    let r = app.put(&format!("/api/v1/brands/{id}"), &app.admin, json!({"name": "农夫山泉股份"})).await;
    assert_eq!(r.expect(StatusCode::OK).body["code"], "NFSQ");
    app.put("/api/v1/brands/999999", &app.admin, json!({"name": "无"})).await.expect(StatusCode::NOT_FOUND);
    app.put(&format!("/api/v1/brands/{id}"), &app.admin, json!({"name": ""}))
        .await
        .expect(StatusCode::UNPROCESSABLE_ENTITY);
    let finance = app.user("fin", "finance", None).await;
    app.post("/api/v1/brands", &finance, json!({"code": "X", "name": "X"})).await.expect(StatusCode::FORBIDDEN);
    // Listed in code order with how many products name each.
    brand(&app, "AAA", "阿阿").await;
    let made = product_of(&app, "P1", Some(id)).await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    let list = app.get("/api/v1/brands", &finance).await.expect(StatusCode::OK).body;
    let rows: Vec<(&str, &str, u64)> = list
        .as_array()
        .expect("list")
        .iter()
        .map(|b| {
            (b["code"].as_str().expect("code"), b["name"].as_str().expect("name"), b["products"].as_u64().expect("n"))
        })
        .collect();
    assert_eq!(rows, vec![("AAA", "阿阿", 0), ("NFSQ", "农夫山泉股份", 1)]);
    assert_eq!(list[1]["id"], id);
}

#[tokio::test]
async fn a_products_brand_is_checked_kept_and_reaches_the_tills() {
    let app = spawn_app().await;
    let b1 = app.branch("B001").await;
    let id = brand(&app, "NFSQ", "农夫山泉").await;
    // An unknown brand is refused, naming the field; nothing is stored.
    let r = product_of(&app, "P1", Some(999_999)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body["message"].as_str().expect("message").starts_with("brand_id"), "{}", r.body);
    assert_eq!(app.get("/api/v1/products?q=P1", &app.admin).await.body, json!([]));
    let made = product_of(&app, "P1", Some(id)).await;
    assert_eq!(made.status, StatusCode::CREATED);
    assert_eq!(made.body["brand_id"], id);
    let pid = made.body["id"].as_i64().expect("id");
    assert_eq!(app.get(&format!("/api/v1/products/{pid}"), &app.admin).await.body["brand_id"], id);
    // A product without one says null.
    let other = app.get("/api/v1/products?q=P0", &app.admin).await.body[0].clone();
    assert_eq!(other["brand_id"], Value::Null);
    // The till's feed carries the brand.
    let (_, token) = app.enrolled_till(b1).await;
    let changes = app.pull_all(&token).await;
    let feed = changes
        .iter()
        .find(|c| c["change"]["type"] == "product" && c["change"]["data"]["code"] == "P1")
        .expect("P1 on the feed");
    assert_eq!(feed["change"]["data"]["brand"], id);
    // Cleared by an update: the feed says no brand.
    let mut body = json!({"code": "P1", "name": "矿泉水 550ml", "category_id": made.body["category_id"], "unit": "瓶",
                          "retail_price": 200, "vat_bp": 1300});
    let r = app.put(&format!("/api/v1/products/{pid}"), &app.admin, body.clone()).await.expect(StatusCode::OK);
    assert_eq!(r.body["brand_id"], Value::Null);
    body["brand_id"] = json!(-5);
    let r = app.put(&format!("/api/v1/products/{pid}"), &app.admin, body).await;
    assert!(r.expect(StatusCode::UNPROCESSABLE_ENTITY).body["message"].as_str().expect("m").contains("brand_id"));
}

fn csv_import(app: &TestApp, text: &str) -> Result<hq_server::store::ImportSummary, Vec<(u64, String)>> {
    import_products(&*app.store, &Actor::cli(), text.as_bytes(), &ProgressBar::hidden())
        .expect("import ran")
        .map_err(|errors| errors.into_iter().map(|e| (e.line, e.reason)).collect())
}

#[tokio::test]
async fn the_catalog_csv_names_brands_by_code() {
    let app = spawn_app().await;
    app.product("P0", "6901234567892").await; // the category DRINK
    let known = brand(&app, "NFSQ", "农夫山泉").await;
    // A bad brand is a bad row with its line; nothing is imported, no brand created.
    let long = "X".repeat(33);
    let bad = format!(
        "code,name,category,unit,retail_price,vat,brand\n\
         P1,矿泉水,DRINK,瓶,2.00,13,NFSQ\n\
         P2,可乐,DRINK,瓶,3.00,13,{long}\n"
    );
    let errors = csv_import(&app, &bad).expect_err("refused");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].0, 3);
    assert!(errors[0].1.contains("brand"), "{errors:?}");
    assert_eq!(app.get("/api/v1/brands", &app.admin).await.body.as_array().expect("list").len(), 1);
    assert_eq!(app.get("/api/v1/products?q=P1", &app.admin).await.body, json!([]));
    // A known code and a new one (created, named by its code); an empty one is no brand.
    let good = "code,name,category,unit,retail_price,vat,brand\n\
                P1,矿泉水,DRINK,瓶,2.00,13,NFSQ\n\
                P2,可乐,DRINK,瓶,3.00,13,KEKOU\n\
                P3,雪碧,DRINK,瓶,3.00,13,KEKOU\n\
                P4,散装水,DRINK,瓶,1.00,13,\n";
    let summary = csv_import(&app, good).expect("imported");
    assert_eq!(summary.created, 4);
    let brands = app.get("/api/v1/brands", &app.admin).await.expect(StatusCode::OK).body;
    assert_eq!(brands[0]["code"], "KEKOU");
    assert_eq!((brands[0]["name"].as_str(), brands[0]["products"].as_u64()), (Some("KEKOU"), Some(2)));
    let kekou = brands[0]["id"].as_i64().expect("id");
    let of = |code: &str| {
        let app = &app;
        let code = code.to_owned();
        async move { app.get(&format!("/api/v1/products?q={code}"), &app.admin).await.body[0]["brand_id"].clone() }
    };
    assert_eq!((of("P1").await, of("P2").await, of("P4").await), (json!(known), json!(kekou), Value::Null));
    // The export writes the codes, and reads back in unchanged.
    let mut out = Vec::new();
    export_products(&*app.store, &mut out).expect("export");
    let text = String::from_utf8(out).expect("utf-8");
    assert!(text.lines().next().expect("header").ends_with(",brand"), "{text}");
    assert!(text.lines().any(|l| l.starts_with("P2,") && l.ends_with(",KEKOU")), "{text}");
    assert!(text.lines().any(|l| l.starts_with("P4,") && l.ends_with(",active,")), "{text}");
    let again = csv_import(&app, &text).expect("imported");
    assert_eq!((again.created, again.updated), (0, 0));
    // A file without the column keeps every product's brand.
    let keep = "code,name,category,unit,retail_price,vat\nP2,可乐 新包装,DRINK,瓶,3.00,13\n";
    assert_eq!(csv_import(&app, keep).expect("imported").updated, 1);
    assert_eq!(of("P2").await, json!(kekou));
}

fn promotion_by(brands: Value) -> Value {
    json!({"name": "品牌日 9折", "branches": {"kind": "all"}, "schedule": {"from": "2026-01-01", "to": "2036-12-31"},
           "scope": {"brands": brands}, "kind": {"kind": "percent_off", "bp": 1000}})
}

#[tokio::test]
async fn promotions_and_coupons_by_brand_are_accepted_and_priced() {
    let app = spawn_app().await;
    app.branch("B001").await;
    let id = brand(&app, "NFSQ", "农夫山泉").await;
    assert_eq!(product_of(&app, "P1", Some(id)).await.status, StatusCode::CREATED); // ¥2.00, of the brand
    // An unknown brand is refused naming the field; nothing is published.
    let r = app.post("/api/v1/promotions", &app.admin, promotion_by(json!([999_999]))).await;
    let r = r.expect(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body["message"].as_str().expect("message").starts_with("scope.brands"), "{}", r.body);
    assert_eq!(app.get("/api/v1/promotions/set", &app.admin).await.body["version"], 0);
    let r = app.post("/api/v1/promotions", &app.admin, promotion_by(json!([id]))).await.expect(StatusCode::CREATED);
    assert_eq!(r.body["promotion"]["scope"]["brands"], json!([id]));
    // The preview prices the brand's product and leaves the other (P0, no brand) alone.
    let cart = json!({"lines": [{"code": "P1", "qty_milli": 2000}, {"code": "P0", "qty_milli": 1000}]});
    let r = app.post("/api/v1/promotions/preview", &app.admin, cart).await.expect(StatusCode::OK);
    assert_eq!(r.body["outcome"]["total_saving"], 40, "{}", r.body);
    // Coupon campaigns: by a known brand accepted, by an unknown one refused with the field.
    let campaign = |brands: Value| {
        json!({"name": "农夫山泉9折券", "kind": {"kind": "percent_off", "scope": {"brands": brands}, "bp": 1000},
               "validity": {"kind": "days", "days": 30}})
    };
    let r = app.post("/api/v1/coupon-campaigns", &app.admin, campaign(json!([999_999]))).await;
    let r = r.expect(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body["message"].as_str().expect("message").starts_with("kind.scope.brands"), "{}", r.body);
    let r = app.post("/api/v1/coupon-campaigns", &app.admin, campaign(json!([id]))).await.expect(StatusCode::CREATED);
    assert_eq!(r.body["campaign"]["kind"]["scope"]["brands"], json!([id]));
}

#[tokio::test]
async fn the_console_lists_adds_and_uses_brands() {
    let app = spawn_app().await;
    app.branch("B001").await;
    let pid = app.product("P1", "6901234567892").await;
    let (status, _, page) = console_as_admin(&app, "GET", "/console/catalog", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("id=\"brand-form\"") && page.contains("品牌"), "{page}");
    let at = page.find("name=\"_csrf\" value=\"").expect("a CSRF field") + 20;
    let csrf = page[at..at + 32].to_owned();
    // Added from the catalog page; the same code again is refused with the reason.
    let add = |code: &str, name: &str| format!("_csrf={csrf}&code={}&name={}", enc(code), enc(name));
    let (status, _, page) =
        console_as_admin(&app, "POST", "/console/catalog/brands", Some(add("NFSQ", "农夫山泉"))).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("id=\"brand-added\"") && page.contains("农夫山泉"), "{page}");
    let (_, _, page) = console_as_admin(&app, "POST", "/console/catalog/brands", Some(add("NFSQ", "又一个"))).await;
    assert!(page.contains("id=\"brand-error\"") && page.contains("already used"), "{page}");
    let (status, _, _) =
        console_as_admin(&app, "POST", "/console/catalog/brands", Some("_csrf=forged&code=X&name=X".into())).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let id = app.get("/api/v1/brands", &app.admin).await.body[0]["id"].as_i64().expect("id");

    // The product's page picks the brand; the list shows it.
    let (_, _, page) = console_as_admin(&app, "GET", &format!("/console/products/{pid}"), None).await;
    assert!(page.contains("name=\"brand\"") && page.contains("NFSQ 农夫山泉"), "{page}");
    let save =
        format!("_csrf={csrf}&name={}&retail_price=3.50&member_price=&status=active&brand={id}", enc("可口可乐"));
    let (status, _, page) = console_as_admin(&app, "POST", &format!("/console/products/{pid}"), Some(save)).await;
    assert!(status == StatusCode::OK && page.contains("id=\"saved\""), "{page}");
    assert_eq!(app.get(&format!("/api/v1/products/{pid}"), &app.admin).await.body["brand_id"], id);
    // A form without the field keeps the brand.
    let save = format!("_csrf={csrf}&name={}&retail_price=3.60&member_price=&status=active", enc("可口可乐"));
    console_as_admin(&app, "POST", &format!("/console/products/{pid}"), Some(save)).await;
    assert_eq!(app.get(&format!("/api/v1/products/{pid}"), &app.admin).await.body["brand_id"], id);
    let (_, _, page) = console_as_admin(&app, "GET", "/console/catalog", None).await;
    let row = &page[page.find("/console/products/").expect("a product row")..];
    assert!(row[..row.find("</tr>").expect("row end")].contains("农夫山泉"), "{page}");

    // A promotion by brand code: an unknown code is named; a known one publishes and its page
    // names the brand.
    let fields = |brands: &str| {
        format!(
            "_csrf={csrf}&name={}&kind=percent_off&percent=10&from=2026-01-01&to=2036-12-31&audience=everyone\
             &branch_scope=all&brands={}&priority=0",
            enc("品牌日"),
            enc(brands)
        )
    };
    let (_, location, page) = console_as_admin(&app, "POST", "/console/promotions/new", Some(fields("NOPE"))).await;
    assert!(location.is_none() && page.contains("scope.brands") && page.contains("NOPE"), "{page}");
    assert_eq!(app.get("/api/v1/promotions/set", &app.admin).await.body["version"], 0);
    let (_, location, page) = console_as_admin(&app, "POST", "/console/promotions/new", Some(fields("NFSQ"))).await;
    let location = location.unwrap_or_else(|| panic!("published: {page}"));
    let (_, _, page) = console_as_admin(&app, "GET", &location, None).await;
    assert!(page.contains("id=\"promotion-brands\"") && page.contains("农夫山泉"), "{page}");
    let path = location.split('?').next().expect("path");
    let (_, _, page) = console_as_admin(&app, "GET", &format!("{path}/edit"), None).await;
    assert!(page.contains("name=\"brands\"") && page.contains(">NFSQ<"), "{page}");

    // A coupon campaign by brand code.
    let campaign =
        format!("_csrf={csrf}&name={}&kind=percent_off&percent=10&brands=NFSQ&days=30", enc("农夫山泉9折券"));
    let (_, location, page) = console_as_admin(&app, "POST", "/console/coupons", Some(campaign)).await;
    assert!(location.is_some(), "created: {page}");
    let list = app.get("/api/v1/coupon-campaigns", &app.admin).await.body;
    assert_eq!(list[0]["campaign"]["kind"]["scope"]["brands"], json!([id]), "{list}");
}

/// The demo's catalog names its brands: each once, coded B001… in the kinds' order, on every product.
#[tokio::test]
async fn the_demo_creates_its_brands_and_names_them_on_every_product() {
    use hq_server::store::CatalogStore;
    let app = spawn_app().await;
    let store = app.store.clone();
    let (brands, products) = tokio::task::spawn_blocking(move || {
        hq_server::demo::seed(&*store, &hq_server::demo::DemoOptions::small()).expect("demo");
        (store.list_brands().expect("brands"), store.list_products(0, 1000, None).expect("products"))
    })
    .await
    .expect("join");
    assert_eq!((brands[0].brand.code.as_str(), brands[0].brand.name.as_str()), ("B001", "农夫山泉"));
    let mut names: Vec<&str> = brands.iter().map(|b| b.brand.name.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), brands.len(), "each brand once");
    assert!(products.iter().all(|p| p.brand.is_some()), "every product has its brand");
    let counted: u64 = brands.iter().map(|b| b.products).sum();
    assert_eq!(counted, products.len() as u64);
    // Its name starts with its brand's name, as the generator made it.
    for p in &products {
        let b = brands.iter().find(|b| Some(b.brand.id) == p.brand).expect("known brand");
        assert!(p.name.starts_with(&b.brand.name), "{} of {}", p.name, b.brand.name);
    }
}
