//! Promotions at HQ: the versioned set, its revisions, the change feed, what is refused, who may
//! write, and the preview. On both stores (`TILLPOINT_TEST_PG`).

use axum::http::StatusCode;
use hq_server::model::{Actor, PromotionFilter, PromotionStatus};
use hq_server::store::PromotionStore;
use serde_json::{Value, json};
use shared::promotions::{Audience, Branches, Limits, Promotion, PromotionId, PromotionKind, Schedule, Scope, Slab};

use crate::helpers::{TestApp, spawn_app};

/// A 满5减1 on every product, running for years.
fn slabs(name: &str) -> Value {
    json!({
        "name": name,
        "branches": {"kind": "all"},
        "schedule": {"from": "2026-01-01", "to": "2036-12-31"},
        "scope": {"all_products": true},
        "kind": {"kind": "slabs", "slabs": [{"threshold": 500, "off": 100}]},
    })
}

/// The promotion changes a till sees on the feed.
async fn promotion_changes(app: &TestApp, token: &str) -> Vec<Value> {
    app.pull_all(token)
        .await
        .into_iter()
        .filter(|c| c["change"]["type"] == "promotion")
        .map(|c| c["change"]["data"].clone())
        .collect()
}

#[tokio::test]
async fn promotions_are_versioned_published_on_the_feed_and_withdrawn() {
    let app = spawn_app().await;
    let branch = app.branch("B001").await;
    let (_, token) = app.enrolled_till(branch).await;

    let empty = app.get("/api/v1/promotions/set", &app.admin).await.expect(StatusCode::OK);
    assert_eq!((empty.body["version"].as_u64(), empty.body["promotions"].as_array().map(Vec::len)), (Some(0), Some(0)));

    let created = app.post("/api/v1/promotions", &app.admin, slabs("满5减1")).await.expect(StatusCode::CREATED);
    let id = created.body["promotion"]["id"].as_u64().expect("id");
    assert_eq!(created.body["version"], 1);
    assert_eq!(created.body["status"], "active");
    let set = app.get("/api/v1/promotions/set", &app.admin).await.expect(StatusCode::OK);
    assert_eq!(set.body["version"], 1);
    assert_eq!(set.body["promotions"][0]["name"], "满5减1");
    let feed = promotion_changes(&app, &token).await;
    assert_eq!(feed.len(), 1);
    assert_eq!((feed[0]["version"].as_u64(), feed[0]["id"].as_u64()), (Some(1), Some(id)));
    assert_eq!(feed[0]["promotion"]["name"], "满5减1");
    // What the till receives is what the engine reads.
    let change: shared::sync::PromotionChange = serde_json::from_value(feed[0].clone()).expect("a PromotionChange");
    assert!(change.promotion.is_some_and(|p| p.validate().is_ok()));

    // A new revision: a new version; the old one is still there at its version.
    let updated =
        app.put(&format!("/api/v1/promotions/{id}"), &app.admin, slabs("满5减1（改）")).await.expect(StatusCode::OK);
    assert_eq!(updated.body["version"], 2);
    let old = app.get("/api/v1/promotions/set?version=1", &app.admin).await.expect(StatusCode::OK);
    assert_eq!(old.body["promotions"][0]["name"], "满5减1");
    let new = app.get("/api/v1/promotions/set", &app.admin).await.expect(StatusCode::OK);
    assert_eq!(
        (new.body["version"].as_u64(), new.body["promotions"][0]["name"].as_str()),
        (Some(2), Some("满5减1（改）"))
    );
    let feed = promotion_changes(&app, &token).await;
    assert_eq!(feed.len(), 1, "the feed holds each promotion once, at its newest revision");
    assert_eq!((feed[0]["version"].as_u64(), feed[0]["promotion"]["name"].as_str()), (Some(2), Some("满5减1（改）")));

    // Withdrawn: `promotion: null` on the feed, out of the set, still in the old versions.
    let gone =
        app.post(&format!("/api/v1/promotions/{id}/withdraw"), &app.admin, json!({})).await.expect(StatusCode::OK);
    assert_eq!((gone.body["version"].as_u64(), gone.body["status"].as_str()), (Some(3), Some("withdrawn")));
    let feed = promotion_changes(&app, &token).await;
    assert_eq!((feed[0]["version"].as_u64(), feed[0]["promotion"].is_null()), (Some(3), true));
    let now = app.get("/api/v1/promotions/set", &app.admin).await.expect(StatusCode::OK);
    assert_eq!((now.body["version"].as_u64(), now.body["promotions"].as_array().map(Vec::len)), (Some(3), Some(0)));
    let before = app.get("/api/v1/promotions/set?version=2", &app.admin).await.expect(StatusCode::OK);
    assert_eq!(before.body["promotions"].as_array().map(Vec::len), Some(1));
    app.get("/api/v1/promotions/set?version=4", &app.admin).await.expect(StatusCode::NOT_FOUND);
    // A withdrawn promotion is not changed again.
    app.put(&format!("/api/v1/promotions/{id}"), &app.admin, slabs("again")).await.expect(StatusCode::CONFLICT);
    app.post(&format!("/api/v1/promotions/{id}/withdraw"), &app.admin, json!({})).await.expect(StatusCode::CONFLICT);

    // The list filters by status and name.
    app.post("/api/v1/promotions", &app.admin, slabs("圣诞满减")).await.expect(StatusCode::CREATED);
    let mut later = slabs("明年满减");
    later["schedule"] = json!({"from": "2099-01-01", "to": "2099-01-31"});
    app.post("/api/v1/promotions", &app.admin, later).await.expect(StatusCode::CREATED);
    let names = |r: &Value| -> Vec<String> {
        r.as_array().expect("list").iter().map(|p| p["promotion"]["name"].as_str().unwrap_or("").to_owned()).collect()
    };
    let q = |s: &str| format!("/api/v1/promotions?{s}");
    assert_eq!(names(&app.get(&q("status=withdrawn"), &app.admin).await.body), ["满5减1（改）"]);
    assert_eq!(names(&app.get(&q("status=scheduled"), &app.admin).await.body), ["明年满减"]);
    assert_eq!(names(&app.get(&q("status=active"), &app.admin).await.body), ["圣诞满减"]);
    assert_eq!(names(&app.get(&q("q=%E5%9C%A3%E8%AF%9E"), &app.admin).await.body), ["圣诞满减"]);
    assert_eq!(app.get(&q("limit=1"), &app.admin).await.body.as_array().map(Vec::len), Some(1));
    let one = app.get(&format!("/api/v1/promotions/{id}"), &app.admin).await.expect(StatusCode::OK);
    assert_eq!(one.body["status"], "withdrawn");
    app.get("/api/v1/promotions/999", &app.admin).await.expect(StatusCode::NOT_FOUND);
}

/// A change that breaks one rule of a good promotion.
type Break = Box<dyn Fn(&mut Value)>;

#[tokio::test]
async fn every_broken_rule_is_refused_naming_the_field_and_nothing_is_written() {
    let app = spawn_app().await;
    let product = app.product("P1", "6901234567892").await;
    let cases: Vec<(&str, Break)> = vec![
        ("name", Box::new(|p| p["name"] = json!("  "))),
        ("kind.bp", Box::new(|p| p["kind"] = json!({"kind": "percent_off", "bp": 10_001}))),
        ("kind.bp", Box::new(|p| p["kind"] = json!({"kind": "threshold_percent", "threshold": 100, "bp": 0}))),
        ("kind.slabs.threshold", Box::new(|p| p["kind"]["slabs"][0]["threshold"] = json!(0))),
        ("kind.every", Box::new(|p| p["kind"] = json!({"kind": "repeating", "every": 0, "off": 10}))),
        ("kind.n", Box::new(|p| p["kind"] = json!({"kind": "buy_n_get_m_free", "n": 0, "m": 1}))),
        ("kind.slabs", Box::new(|p| p["kind"] = json!({"kind": "slabs", "slabs": []}))),
        ("kind.price", Box::new(|p| p["kind"] = json!({"kind": "fixed_price", "price": 1_000_000_001}))),
        ("schedule.to", Box::new(|p| p["schedule"] = json!({"from": "2026-12-31", "to": "2026-12-01"}))),
        ("schedule.weekdays", Box::new(|p| p["schedule"]["weekdays"] = json!([8]))),
        (
            "schedule.time_window",
            Box::new(|p| p["schedule"]["time_window"] = json!({"start": "21:00", "end": "09:00"})),
        ),
        ("scope", Box::new(|p| p["scope"] = json!({"all_products": false}))),
        ("scope.products", Box::new(|p| p["scope"] = json!({"products": [987_654]}))),
        ("scope.excluded", Box::new(move |p| p["scope"] = json!({"products": [product], "excluded": [987_654]}))),
        ("scope.categories", Box::new(|p| p["scope"] = json!({"categories": [987_654]}))),
        ("scope.brands", Box::new(|p| p["scope"] = json!({"all_products": true, "brands": [1]}))),
        ("branches", Box::new(|p| p["branches"] = json!({"kind": "only", "branches": [987_654]}))),
        ("branches", Box::new(|p| p["branches"] = json!({"kind": "only", "branches": []}))),
        ("audience.tiers", Box::new(|p| p["audience"] = json!({"kind": "tiers", "tiers": ["NOSUCH"]}))),
        ("kind.product", Box::new(|p| p["kind"] = json!({"kind": "gift", "threshold": 100, "product": 987_654}))),
        ("limits.per_sale", Box::new(|p| p["limits"] = json!({"per_sale": 0}))),
    ];
    let audit = app.audit_count().await;
    for (field, break_it) in &cases {
        let mut body = slabs("坏的");
        break_it(&mut body);
        let r = app.post("/api/v1/promotions", &app.admin, body).await.expect(StatusCode::UNPROCESSABLE_ENTITY);
        let message = r.body["message"].as_str().unwrap_or("");
        assert!(message.starts_with(field), "{field}: {message}");
    }
    // A good one, then the same breaks on update.
    let ok = app.post("/api/v1/promotions", &app.admin, slabs("好的")).await.expect(StatusCode::CREATED);
    let id = ok.body["promotion"]["id"].as_u64().expect("id");
    for (field, break_it) in &cases {
        let mut body = slabs("坏的");
        break_it(&mut body);
        let r = app.put(&format!("/api/v1/promotions/{id}"), &app.admin, body).await;
        let r = r.expect(StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body["message"].as_str().unwrap_or("").starts_with(field), "update {field}: {}", r.body);
    }
    let set = app.get("/api/v1/promotions/set", &app.admin).await.expect(StatusCode::OK);
    assert_eq!(set.body["version"], 1, "only the good one took a version");
    assert_eq!(set.body["promotions"][0]["name"], "好的");
    assert_eq!(app.audit_count().await, audit + 1, "only the good one was audited");
}

#[tokio::test]
async fn only_admin_and_marketing_write_and_every_role_reads() {
    let app = spawn_app().await;
    let branch = app.branch("B001").await;
    let manager = app.user("mgr", "branch_manager", Some(branch)).await;
    let finance = app.user("fin", "finance", None).await;
    let marketing = app.user("mkt", "marketing", None).await;
    for who in [&manager, &finance] {
        app.post("/api/v1/promotions", who, slabs("不许")).await.expect(StatusCode::FORBIDDEN);
    }
    let r = app.post("/api/v1/promotions", &marketing, slabs("可以")).await.expect(StatusCode::CREATED);
    let id = r.body["promotion"]["id"].as_u64().expect("id");
    for who in [&manager, &finance] {
        app.put(&format!("/api/v1/promotions/{id}"), who, slabs("不许")).await.expect(StatusCode::FORBIDDEN);
        app.post(&format!("/api/v1/promotions/{id}/withdraw"), who, json!({})).await.expect(StatusCode::FORBIDDEN);
        app.get("/api/v1/promotions", who).await.expect(StatusCode::OK);
        app.get(&format!("/api/v1/promotions/{id}"), who).await.expect(StatusCode::OK);
        app.get("/api/v1/promotions/set?version=1", who).await.expect(StatusCode::OK);
    }
    let audit = app.get("/api/v1/audit?limit=1000", &app.admin).await.expect(StatusCode::OK);
    let entry = audit.body.as_array().expect("entries").iter().find(|e| e["entity"] == format!("promotion:{id}"));
    assert!(entry.is_some_and(|e| e["actor"].as_str().unwrap_or("").contains("mkt")), "audited with who");
}

fn promotion(name: &str) -> Promotion {
    Promotion {
        id: PromotionId(0),
        name: name.into(),
        branches: Branches::All,
        schedule: Schedule {
            from: jiff::civil::date(2026, 1, 1),
            to: jiff::civil::date(2026, 12, 31),
            weekdays: None,
            time_window: None,
        },
        audience: Audience::Everyone,
        scope: Scope { all_products: true, ..Scope::default() },
        kind: PromotionKind::Slabs { slabs: vec![Slab { threshold: shared::Money(500), off: shared::Money(100) }] },
        exclusivity_group: None,
        priority: 0,
        limits: Limits::default(),
        threshold_clawback: false,
    }
}

/// Writers in several threads, through two stores on one database (as two HQ processes would
/// be): every write takes its own version, and together they take 1, 2, 3, … with no gap.
#[tokio::test]
async fn concurrent_writers_take_distinct_consecutive_versions() {
    let app = spawn_app().await;
    let second = std::sync::Arc::new(app.db.open(hq_server::clock::Clock::system()).expect("a second store"));
    const PER_WRITER: usize = 8;
    let mut writers = Vec::new();
    for w in 0..4 {
        let store: std::sync::Arc<dyn PromotionStore + Send + Sync> =
            if w % 2 == 0 { app.store.clone() } else { second.clone() };
        writers.push(std::thread::spawn(move || {
            (0..PER_WRITER)
                .map(|i| {
                    store.create_promotion(&Actor::system(), promotion(&format!("w{w}-{i}"))).expect("create").version
                })
                .collect::<Vec<u64>>()
        }));
    }
    let mut versions: Vec<u64> = writers.into_iter().flat_map(|w| w.join().expect("writer")).collect();
    versions.sort_unstable();
    let n = (4 * PER_WRITER) as u64;
    assert_eq!(versions, (1..=n).collect::<Vec<_>>());
    let set = app.store.current_promotion_set().expect("set");
    assert_eq!((set.version, set.promotions.len()), (n, 4 * PER_WRITER));
    // Each version's set holds exactly the promotions made up to it.
    for v in [1, n / 2, n] {
        assert_eq!(app.store.promotion_set_at(v).expect("set").promotions.len() as u64, v);
    }
    let day = jiff::civil::date(2026, 6, 1);
    let all = PromotionFilter { status: Some(PromotionStatus::Active), limit: 100, ..Default::default() };
    assert_eq!(app.store.list_promotions(&all, day).expect("list").len(), 4 * PER_WRITER);
    drop(second);
}

#[tokio::test]
async fn a_preview_prices_a_typed_cart_with_the_current_set() {
    let app = spawn_app().await;
    app.branch("B001").await;
    app.product("P1", "6901234567892").await; // ¥3.50
    app.post("/api/v1/promotions", &app.admin, slabs("满5减1")).await.expect(StatusCode::CREATED);
    let r = app
        .post("/api/v1/promotions/preview", &app.admin, json!({"lines": [{"code": "P1", "qty_milli": 2000}]}))
        .await
        .expect(StatusCode::OK);
    assert_eq!(r.body["outcome"]["total_saving"], 100, "{}", r.body);
    assert_eq!(r.body["outcome"]["promotions"][0]["name"], "满5减1");
    assert_eq!(r.body["lines"][0]["name"], "可口可乐 330ml");
    assert_eq!(r.body["outcome"]["lines"][0]["net"], 600);
    // Below the threshold nothing applies; an unknown product is named.
    let r = app
        .post("/api/v1/promotions/preview", &app.admin, json!({"lines": [{"code": "P1", "qty_milli": 1000}]}))
        .await
        .expect(StatusCode::OK);
    assert_eq!(r.body["outcome"]["total_saving"], 0);
    let r = app
        .post("/api/v1/promotions/preview", &app.admin, json!({"lines": [{"code": "NOPE", "qty_milli": 1000}]}))
        .await
        .expect(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body["message"].as_str().unwrap_or("").starts_with("lines[0].code"), "{}", r.body);
}

/// The console names a promotion's goods by product code: HQ maps many codes and ids in one read
/// each (more than one query's worth here), leaving out what it does not have.
#[tokio::test]
async fn product_codes_and_ids_map_in_bulk() {
    use hq_server::store::CatalogStore;
    let app = spawn_app().await;
    let p1 = shared::catalog::ProductId(app.product("P1", "6901234567892").await);
    let mut codes: Vec<String> = (0..1_200).map(|i| format!("NOPE-{i}")).collect();
    codes.push("P1".into());
    let store = app.store.clone();
    let (found, back) = tokio::task::spawn_blocking(move || {
        let found = store.product_ids_by_code(&codes)?;
        let ids: Vec<_> = (1..1_200).map(|i| shared::catalog::ProductId(p1.0 + i)).chain([p1]).collect();
        Ok::<_, hq_server::store::StoreError>((found, store.product_codes_by_id(&ids)?))
    })
    .await
    .expect("join")
    .expect("lookups");
    assert_eq!(found, [("P1".to_owned(), p1)]);
    assert_eq!(back, [(p1, "P1".to_owned())]);
}

/// The console's form, as a browser posts it in Chinese: a broken rule comes back named by its
/// field in Chinese with nothing published; the mended form publishes and shows the promotion.
#[tokio::test]
async fn the_console_form_refuses_in_the_users_language_and_publishes_when_mended() {
    let app = spawn_app().await;
    app.product("P1", "6901234567892").await;
    let page = |uri: &str| {
        let uri = uri.to_owned();
        let app = &app;
        async move {
            let req = axum::http::Request::builder()
                .uri(uri)
                .header("cookie", &app.admin)
                .header("accept-language", "zh-CN")
                .body(axum::body::Body::empty())
                .expect("request");
            let resp = tower::ServiceExt::oneshot(app.router.clone(), req).await.expect("response");
            let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX).await.expect("body");
            String::from_utf8_lossy(&bytes).into_owned()
        }
    };
    let form = page("/console/promotions/new").await;
    let at = form.find("name=\"_csrf\" value=\"").expect("a CSRF field") + 20;
    let csrf = &form[at..at + 32];
    let post = |body: String| {
        let app = &app;
        async move {
            let req = axum::http::Request::builder()
                .method("POST")
                .uri("/console/promotions/new")
                .header("cookie", &app.admin)
                .header("accept-language", "zh-CN")
                .header("content-type", "application/x-www-form-urlencoded")
                .body(axum::body::Body::from(body))
                .expect("request");
            let resp = tower::ServiceExt::oneshot(app.router.clone(), req).await.expect("response");
            let location = resp.headers().get("location").and_then(|v| v.to_str().ok()).map(str::to_owned);
            let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX).await.expect("body");
            (location, String::from_utf8_lossy(&bytes).into_owned())
        }
    };
    let fields = |to: &str, products: &str| {
        format!(
            "_csrf={csrf}&name=%E6%BB%A1%E5%87%8F&kind=slabs&slab_threshold=10.00&slab_off=2&slab_threshold=&slab_off=\
             &from=2026-12-01&to={to}&audience=everyone&branch_scope=all&products={products}&priority=0"
        )
    };
    // The end before the start: named in Chinese, nothing published.
    let (location, body) = post(fields("2026-11-01", "P1")).await;
    assert!(location.is_none(), "refused, not redirected");
    assert!(body.contains("schedule.to（结束日期）"), "{body}");
    // An unknown product code is named with the code.
    let (_, body) = post(fields("2026-12-31", "NOPE")).await;
    assert!(body.contains("scope.products") && body.contains("NOPE"), "{body}");
    assert_eq!(app.get("/api/v1/promotions/set", &app.admin).await.body["version"], 0);
    let (location, _) = post(fields("2026-12-31", "P1")).await;
    let location = location.expect("published, then sent to its page");
    let shown = page(&location).await;
    assert!(shown.contains("满减") && shown.contains("满¥10.00减¥2.00"), "{shown}");
    let set = app.get("/api/v1/promotions/set", &app.admin).await.expect(StatusCode::OK);
    assert_eq!(set.body["promotions"][0]["kind"]["slabs"][0]["threshold"], 1000);
}

/// A promotion's page prices a sample cart against each competitor: each alone, then both, as a
/// till would choose (the customer's larger saving).
#[tokio::test]
async fn a_promotions_page_shows_which_competitor_wins_a_sample_cart() {
    let app = spawn_app().await;
    app.branch("B001").await;
    let id = app.product("P1", "6901234567892").await;
    let dates = json!({"from": "2026-01-01", "to": "2036-12-31"});
    let special = app
        .post(
            "/api/v1/promotions",
            &app.admin,
            json!({"name": "可乐特价 ¥3.00", "branches": {"kind": "all"}, "schedule": dates,
                   "scope": {"products": [id]}, "kind": {"kind": "fixed_price", "price": 300},
                   "exclusivity_group": "饮料"}),
        )
        .await
        .expect(StatusCode::CREATED);
    app.post(
        "/api/v1/promotions",
        &app.admin,
        json!({"name": "可乐直降 ¥1.00", "branches": {"kind": "all"}, "schedule": dates,
               "scope": {"products": [id]}, "kind": {"kind": "amount_off", "off": 100},
               "exclusivity_group": "饮料"}),
    )
    .await
    .expect(StatusCode::CREATED);
    let special = special.body["promotion"]["id"].as_u64().expect("id");
    let req = axum::http::Request::builder()
        .uri(format!("/console/promotions/{special}"))
        .header("cookie", &app.admin)
        .header("accept-language", "zh-CN")
        .body(axum::body::Body::empty())
        .expect("request");
    let resp = tower::ServiceExt::oneshot(app.router.clone(), req).await.expect("response");
    let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX).await.expect("body");
    let html = String::from_utf8_lossy(&bytes).into_owned();
    let table = &html[html.find("id=\"showdown\"").unwrap_or_else(|| panic!("the sample carts in {html}"))..];
    let body = &table[table.find("<tbody>").expect("rows")..];
    let row = &body[..body.find("</tr>").expect("a row")];
    // ¥3.50 cola: 特价 ¥3.00 saves ¥0.50 alone, 直降 ¥1.00 saves ¥1.00: with both on offer the
    // customer gets the 直降.
    for said in ["P1", "¥0.50", "¥1.00", "可乐直降 ¥1.00"] {
        assert!(row.contains(said), "{said} in {row}");
    }
    assert!(!row[row.find("class=\"winner\"").expect("winner")..].contains("可乐特价"), "{row}");
}

/// A sale of the fixture's goods by `member`, priced with the current set as a till would with
/// `uses` (HQ's count from its lookup, or nothing when the till was offline), paid in cash.
fn member_sale(
    app: &TestApp,
    till: &hq_server::fixtures::TillRef,
    seq: u32,
    member: shared::ids::MemberId,
    phone: &str,
    uses: std::collections::BTreeMap<PromotionId, u32>,
) -> shared::sale::CompletedSale {
    use hq_server::store::PolicyStore as _;
    use shared::sale::{PromotionContext, SaleMember, SaleTotals, TenderInput, price_sale_with, settle};
    let base = hq_server::fixtures::sale(till, seq, 2, 1);
    let items: Vec<_> = base.lines.iter().map(|l| l.item.clone()).collect();
    let engine = shared::promotions::PromotionEngine::new(app.store.current_promotion_set().expect("set"));
    let policy = app.store.current_policy().expect("policy");
    let benefit = policy.tiers.by_code("regular").map(|t| t.benefit());
    let at = base.completed_at.to_zoned(jiff::tz::TimeZone::get("Asia/Shanghai").expect("zone")).datetime();
    let ctx = PromotionContext {
        engine: &engine,
        branch: till.branch,
        at,
        customer: shared::promotions::Customer { member: true, tier: Some("regular".into()), used_by_member: uses },
        gifts: &[],
        coupons: &[],
    };
    let priced = price_sale_with(&items, benefit.as_ref(), None, Some(&ctx)).expect("priced");
    let total = priced.totals.total;
    let settled = settle(
        total,
        &[TenderInput::cash(shared::Money((total.0 + 99) / 100 * 100))],
        shared::pricing::CashRounding::None,
    )
    .expect("settled");
    let sale = shared::sale::CompletedSale {
        lines: priced.lines,
        totals: SaleTotals { rounding: settled.rounding, due: settled.due, ..priced.totals },
        tax: priced.tax,
        points_eligible_net: priced.points_eligible_net,
        promotions: priced.promotions,
        tenders: settled.tenders,
        change: settled.change,
        member: Some(SaleMember {
            member_id: Some(member),
            identifier: shared::member::MemberIdentifier::Phone(shared::member::Phone::parse(phone).expect("phone")),
            tier: Some("regular".into()),
            points_base: priced.points_eligible_net,
            points_earned: 0,
            policy_version: policy.version,
        }),
        ..base
    };
    sale.check().expect("the sale adds up");
    sale
}

/// HQ's answer to a till's member lookup by phone.
async fn lookup(app: &TestApp, token: &str, phone: &str) -> Value {
    app.send(crate::helpers::Req {
        method: axum::http::Method::POST,
        uri: "/api/v1/till/members/lookup".into(),
        cookie: None,
        till_token: Some(token),
        body: Some(json!({"by": {"by": "phone", "value": phone}})),
        from: None,
    })
    .await
    .expect(StatusCode::OK)
    .body
}

/// 每位会员限参加 1 次: HQ's lookup tells the till how many of the member's sales had the
/// promotion; a till that priced with HQ's count gives it once; a sale that had it anyway (a till
/// offline could not count) is accepted and flagged by HQ's own count.
#[tokio::test]
async fn a_per_member_limit_is_counted_by_hq_for_the_till_and_an_overuse_is_flagged() {
    use hq_server::store::SyncStore as _;
    use shared::sync::Event;
    let app = spawn_app().await;
    let branch = app.branch("B001").await;
    let (till, token) = app.enrolled_till(branch).await;
    let mut once = promotion("会员专享 9折 每人限1次");
    once.kind = PromotionKind::PercentOff { bp: shared::Bp(1000), on_member_price: false };
    once.schedule.from = jiff::civil::date(2020, 1, 1);
    once.schedule.to = jiff::civil::date(2099, 12, 31);
    once.limits = Limits { per_sale: None, per_member: Some(1) };
    let id = app.store.create_promotion(&Actor::system(), once).expect("published").promotion.id;
    let phone = "13800000077";
    let r = app
        .post("/api/v1/members", &app.admin, json!({"phone": phone, "name": "限次会员"}))
        .await
        .expect(StatusCode::OK);
    let member = shared::ids::MemberId::parse(r.body["id"].as_str().expect("id")).expect("member id");
    let uses = |body: &Value| -> std::collections::BTreeMap<PromotionId, u32> {
        let pairs: Vec<(PromotionId, u32)> = serde_json::from_value(body["promotion_uses"].clone()).unwrap_or_default();
        pairs.into_iter().collect()
    };
    assert!(uses(&lookup(&app, &token, phone).await).is_empty(), "no sale yet");

    // The first sale gets it; HQ agrees.
    let first = member_sale(&app, &till, 1, member, phone, uses(&lookup(&app, &token, phone).await));
    assert_eq!(first.promotions.as_ref().expect("record").applied.len(), 1);
    let env = hq_server::fixtures::envelope(till.till, 1, Event::SaleCompleted(first));
    let r = app.push(&token, till.till, vec![env]).await.expect(StatusCode::OK);
    assert_eq!(r.body["results"][0]["outcome"]["status"], "accepted", "{}", r.body);
    let flagged = |app: &TestApp| {
        app.store
            .flagged_sales(hq_server::event_checks::value::REPRICED_FLAG, None, 100)
            .expect("flags")
            .into_iter()
            .map(|f| f.flag)
            .collect::<Vec<_>>()
    };
    assert!(flagged(&app).is_empty(), "{:?}", flagged(&app));

    // The lookup now counts it: a till pricing with that count gives nothing, and HQ agrees.
    let counted = uses(&lookup(&app, &token, phone).await);
    assert_eq!(counted.get(&id), Some(&1));
    let second = member_sale(&app, &till, 2, member, phone, counted);
    assert!(second.promotions.as_ref().expect("record").applied.is_empty(), "the member had it once already");
    let env = hq_server::fixtures::envelope(till.till, 2, Event::SaleCompleted(second));
    app.push(&token, till.till, vec![env]).await.expect(StatusCode::OK);
    assert!(flagged(&app).is_empty(), "{:?}", flagged(&app));

    // A till offline could not count: it gave the promotion again. The sale stands, flagged.
    let third = member_sale(&app, &till, 3, member, phone, Default::default());
    assert_eq!(third.promotions.as_ref().expect("record").applied.len(), 1);
    let env = hq_server::fixtures::envelope(till.till, 3, Event::SaleCompleted(third));
    let r = app.push(&token, till.till, vec![env]).await.expect(StatusCode::OK);
    assert_eq!(r.body["results"][0]["outcome"]["status"], "accepted", "{}", r.body);
    let flags = flagged(&app);
    assert_eq!(flags.len(), 1, "{flags:?}");
    assert!(flags[0].contains("earlier sale") && flags[0].contains("the limit is 1"), "{flags:?}");
}
