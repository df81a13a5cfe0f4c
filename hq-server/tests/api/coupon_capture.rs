//! Coupons at ingest: sales capture their coupons by hold or, taken offline, by code, once; what
//! HQ cannot vouch for is flagged and never refuses the sale (used twice, unknown, another member's,
//! another till's hold, offline against the campaign's rule); the coupons report ties out with the
//! sales reports. On both stores (`TILLPOINT_TEST_PG`).

use axum::http::{Method, StatusCode};
use hq_server::fixtures::{TillRef, envelope};
use serde_json::{Value, json};
use shared::Money;
use shared::ids::HoldId;
use shared::pricing::CashRounding;
use shared::promotions::coupons::{Coupon, CouponCode};
use shared::promotions::{Customer, PromotionEngine, PromotionSet};
use shared::sale::{CompletedSale, PromotionContext, RedeemedCoupon, SaleTotals, TenderInput, price_sale_with, settle};
use shared::sync::Event;

use crate::coupons::{amount_off, coupons_of, hold, issue, member, one_coupon, parsed_id, release, till_send};
use crate::helpers::{TestApp, console_as_admin, spawn_app};

/// A sale of the fixture's goods priced with `coupon` (through the empty promotion set, as a till
/// without promotions prices coupons), paid in cash, recording the coupon with `hold`.
fn sale_with(till: &TillRef, seq: u32, coupon: &Coupon, code: &str, hold: Option<HoldId>) -> CompletedSale {
    sale_with_coupons(till, seq, &[(coupon.clone(), code.to_owned(), hold)])
}

/// [`sale_with`] with several coupons, each taking effect.
fn sale_with_coupons(till: &TillRef, seq: u32, taken: &[(Coupon, String, Option<HoldId>)]) -> CompletedSale {
    let base = hq_server::fixtures::sale(till, seq, 2, 1);
    let items: Vec<_> = base.lines.iter().map(|l| l.item.clone()).collect();
    let engine = PromotionEngine::new(PromotionSet { version: 0, promotions: Vec::new() });
    let at = base.completed_at.to_zoned(jiff::tz::TimeZone::get("Asia/Shanghai").expect("zone")).datetime();
    let coupons: Vec<Coupon> = taken.iter().map(|t| t.0.clone()).collect();
    let ctx = PromotionContext {
        engine: &engine,
        branch: till.branch,
        at,
        customer: Customer::default(),
        gifts: &[],
        coupons: &coupons,
    };
    let priced = price_sale_with(&items, None, None, Some(&ctx)).expect("priced");
    assert_eq!(priced.coupons.len(), taken.len(), "every coupon took effect");
    let total = priced.totals.total;
    let settled =
        settle(total, &[TenderInput::cash(Money((total.0 + 99) / 100 * 100))], CashRounding::None).expect("settled");
    let sale = CompletedSale {
        lines: priced.lines,
        totals: SaleTotals { rounding: settled.rounding, due: settled.due, ..priced.totals },
        tax: priced.tax,
        points_eligible_net: priced.points_eligible_net,
        promotions: priced.promotions,
        coupons: taken
            .iter()
            .zip(&priced.coupons)
            .map(|((coupon, code, hold), applied)| RedeemedCoupon {
                code: code.clone(),
                coupon: coupon.clone(),
                hold: *hold,
                discount: applied.discount,
            })
            .collect(),
        tenders: settled.tenders,
        change: settled.change,
        ..base
    };
    sale.check().expect("the sale adds up");
    sale
}

fn coupon_flags(app: &TestApp) -> Vec<String> {
    use hq_server::store::SyncStore;
    app.store
        .flagged_sales(hq_server::store::sql::coupons::COUPON_FLAG, None, 100)
        .expect("flags")
        .into_iter()
        .map(|f| f.flag)
        .collect()
}

fn repriced_flags(app: &TestApp) -> Vec<String> {
    use hq_server::store::SyncStore;
    app.store
        .flagged_sales(hq_server::event_checks::value::REPRICED_FLAG, None, 100)
        .expect("flags")
        .into_iter()
        .map(|f| f.flag)
        .collect()
}

#[tokio::test]
async fn sales_capture_their_coupons_once_offline_ones_by_code_and_a_reused_one_is_flagged() {
    let app = spawn_app().await;
    let branch = app.branch("B001").await;
    let (till, token) = app.enrolled_till(branch).await;
    let (id, m, code) = one_coupon(&app, "13800000001", amount_off("满50减5")).await;
    let usable = till_send(&app, &token, Method::GET, &format!("/api/v1/till/members/{m}/coupons"), None).await;
    let coupon: Coupon = serde_json::from_value(usable.body["coupons"][0]["coupon"].clone()).expect("coupon");

    // Held, then captured by the sale's event; the same event again captures nothing more.
    let h = HoldId::new();
    hold(&app, &token, h, &code, None).await.expect(StatusCode::OK);
    let sale = sale_with(&till, 1, &coupon, &code, Some(h));
    let discount = sale.totals.coupon_discounts;
    assert_eq!(discount, Money(500));
    let env = envelope(till.till, 1, Event::SaleCompleted(sale.clone()));
    let r = app.push(&token, till.till, vec![env.clone()]).await.expect(StatusCode::OK);
    assert_eq!(r.body["results"][0]["outcome"]["status"], "accepted", "{}", r.body);
    let r = app.push(&token, till.till, vec![env]).await.expect(StatusCode::OK);
    assert_eq!(r.body["results"][0]["outcome"]["status"], "duplicate", "{}", r.body);
    assert!(coupon_flags(&app).is_empty(), "{:?}", coupon_flags(&app));
    assert!(repriced_flags(&app).is_empty(), "an honest sale priced with set version 0: {:?}", repriced_flags(&app));
    let mine = coupons_of(&app, &m).await;
    assert_eq!(mine[0]["status"], "redeemed");
    assert_eq!(mine[0]["receipt_no"], sale.receipt_no.to_string());
    assert_eq!(mine[0]["discount"], 500);
    release(&app, &token, h).await.expect(StatusCode::CONFLICT);
    let r = hold(&app, &token, HoldId::new(), &code, None).await.expect(StatusCode::CONFLICT);
    assert_eq!(r.error_code(), shared::sync::coupon_refusal::USED);

    // The same coupon again, offline: the sale stands, flagged as used twice.
    let again = sale_with(&till, 2, &coupon, &code, None);
    let r = app.push(&token, till.till, vec![envelope(till.till, 2, Event::SaleCompleted(again))]).await;
    assert_eq!(r.expect(StatusCode::OK).body["results"][0]["outcome"]["status"], "accepted");
    let flags = coupon_flags(&app);
    assert_eq!(flags.len(), 1, "{flags:?}");
    assert!(flags[0].contains("used twice") && flags[0].contains(&sale.receipt_no.to_string()), "{flags:?}");

    // Another genuine coupon taken offline is redeemed by its code.
    let out = issue(&app, id, "b2", json!({"kind": "members", "members": ["13800000001"]})).await;
    assert_eq!(out["issued"], 1);
    let second = coupons_of(&app, &m).await.into_iter().find(|c| c["status"] == "issued").expect("a new coupon");
    let code2 = second["code"].as_str().expect("code").to_owned();
    let coupon2 = Coupon { id: CouponCode::parse(&code2).expect("code").coupon, ..coupon.clone() };
    let offline = sale_with(&till, 3, &coupon2, &code2, None);
    let r = app.push(&token, till.till, vec![envelope(till.till, 3, Event::SaleCompleted(offline.clone()))]).await;
    assert_eq!(r.expect(StatusCode::OK).body["results"][0]["outcome"]["status"], "accepted");
    assert_eq!(coupon_flags(&app).len(), 1, "{:?}", coupon_flags(&app));
    let redeemed = coupons_of(&app, &m).await.into_iter().find(|c| c["code"] == code2.as_str()).expect("coupon");
    assert_eq!(
        (redeemed["status"].as_str(), redeemed["receipt_no"].as_str()),
        (Some("redeemed"), Some(offline.receipt_no.to_string().as_str()))
    );

    // A code HQ never issued, and a bigger coupon than HQ's: accepted, flagged.
    let fake = CouponCode { secret: "ZZZZZ".into(), ..CouponCode::parse(&code2).expect("code") };
    let bigger = Coupon {
        kind: shared::promotions::coupons::CouponKind::AmountOff {
            scope: shared::promotions::Scope { all_products: true, ..Default::default() },
            min_spend: Money(0),
            off: Money(5000),
        },
        ..coupon2.clone()
    };
    let forged = sale_with(&till, 4, &bigger, &fake.to_string(), None);
    let r = app.push(&token, till.till, vec![envelope(till.till, 4, Event::SaleCompleted(forged))]).await;
    assert_eq!(r.expect(StatusCode::OK).body["results"][0]["outcome"]["status"], "accepted");
    let flags = coupon_flags(&app);
    assert!(flags.iter().any(|f| f.contains("HQ has no coupon with this code")), "{flags:?}");
    let repriced = repriced_flags(&app);
    assert_eq!(repriced.len(), 1, "HQ re-prices with its own 满50减5: {repriced:?}");

    // The report: HQ redeemed two coupons for ¥5 each, at B001; the sales report's coupons column
    // has every coupon the sales used, and gross less every discount is net.
    // Sales are filed under their business day, coupons issued on HQ's calendar day: between
    // midnight and a branch's cut-off the two differ, so the period covers both.
    let day = sale.business_day;
    let to = day.max(hq_server::calendar::hq_day(jiff::Timestamp::now()));
    let q = |kind: &str| format!("/api/v1/reports/{kind}?from={day}&to={to}");
    let report = app.get(&q("coupons"), &app.admin).await.expect(StatusCode::OK).body;
    let col = |r: &Value, name: &str| -> usize {
        r["columns"].as_array().expect("columns").iter().position(|c| c["name"] == name).expect(name)
    };
    let rows = report["rows"].as_array().expect("rows").clone();
    let branch_row = rows
        .iter()
        .find(|r| r[2] == "B001" && r[0].as_str().and_then(|s| s.parse::<u64>().ok()) == Some(id))
        .expect("the branch's row");
    assert_eq!(
        (branch_row[col(&report, "redeemed")].as_i64(), branch_row[col(&report, "discount")].as_i64()),
        (Some(2), Some(1000))
    );
    let campaign_row = rows
        .iter()
        .find(|r| r[0].as_str().and_then(|s| s.parse::<u64>().ok()) == Some(id) && r[2] == "")
        .expect("the campaign's row");
    assert_eq!(campaign_row[col(&report, "issued")], 2);
    assert_eq!(campaign_row[col(&report, "outstanding")], 0);
    let sales = app.get(&q("sales_by_branch"), &app.admin).await.expect(StatusCode::OK).body;
    let row = &sales["rows"][0];
    let get = |name: &str| row[col(&sales, name)].as_i64().expect(name);
    assert_eq!(get("coupon_discounts"), 500 + 500 + 500 + 5000);
    // Redeemed and flagged together are the sales' coupons: the coupons report ties out.
    let (redeemed, flagged): (i64, i64) = rows
        .iter()
        .filter(|r| r[2] != "")
        .map(|r| {
            (
                r[col(&report, "discount")].as_i64().unwrap_or(0),
                r[col(&report, "flagged_discount")].as_i64().unwrap_or(0),
            )
        })
        .fold((0, 0), |(a, b), (x, y)| (a + x, b + y));
    assert_eq!(redeemed + flagged, get("coupon_discounts"), "{report}");
    assert!(flagged > 0, "the doubtful coupons are counted apart: {report}");
    assert_eq!(
        get("gross") - get("member_savings") - get("promotion_discounts") - get("coupon_discounts") - get("discounts"),
        get("net")
    );
    let discounts = app.get(&q("discounts"), &app.admin).await.expect(StatusCode::OK).body;
    let d = &discounts["rows"][0];
    let dget = |name: &str| d[col(&discounts, name)].as_i64().expect(name);
    assert_eq!(dget("coupon_discounts"), get("coupon_discounts"));
    assert_eq!(
        dget("all_discounts"),
        dget("member_savings")
            + dget("promotion_discounts")
            + dget("coupon_discounts")
            + dget("manual_discounts")
            + dget("order_discounts")
    );
}

#[tokio::test]
async fn offline_use_against_the_campaigns_rule_redeems_and_flags_and_a_lapsed_hold_still_captures() {
    let app = spawn_app().await;
    let branch = app.branch("B001").await;
    let (till, token) = app.enrolled_till(branch).await;
    let usable_coupon = |m: String| {
        let (app, token) = (&app, &token);
        async move {
            let r = till_send(app, token, Method::GET, &format!("/api/v1/till/members/{m}/coupons"), None).await;
            let c = &r.expect(StatusCode::OK).body["coupons"][0];
            let coupon: Coupon = serde_json::from_value(c["coupon"].clone()).expect("coupon");
            (coupon, c["code"].as_str().expect("code").to_owned())
        }
    };
    // One a till a day offline: the second is redeemed and flagged.
    let mut capped = amount_off("每日一张");
    capped["offline_cap"] = json!(1);
    let (id, m, _) = one_coupon(&app, "13800000001", capped).await;
    issue(&app, id, "b2", json!({"kind": "members", "members": ["13800000001"]})).await;
    for seq in 1..=2u32 {
        let (coupon, code) = usable_coupon(m.clone()).await;
        let sale = sale_with(&till, seq, &coupon, &code, None);
        let r =
            app.push(&token, till.till, vec![envelope(till.till, u64::from(seq), Event::SaleCompleted(sale))]).await;
        assert_eq!(r.expect(StatusCode::OK).body["results"][0]["outcome"]["status"], "accepted");
    }
    let flags = coupon_flags(&app);
    assert_eq!(flags.len(), 1, "{flags:?}");
    assert!(flags[0].contains("beyond the cap"), "{flags:?}");
    assert!(coupons_of(&app, &m).await.iter().all(|c| c["status"] == "redeemed"));

    // Online only: taken offline anyway, redeemed and flagged.
    let mut online = amount_off("仅在线");
    online["offline_cap"] = Value::Null;
    let (_, m2, _) = one_coupon(&app, "13800000002", online).await;
    let (coupon, code) = usable_coupon(m2.clone()).await;
    let sale = sale_with(&till, 3, &coupon, &code, None);
    app.push(&token, till.till, vec![envelope(till.till, 3, Event::SaleCompleted(sale))]).await.expect(StatusCode::OK);
    let flags = coupon_flags(&app);
    assert!(flags.iter().any(|f| f.contains("online use only")), "{flags:?}");
    assert_eq!(coupons_of(&app, &m2).await[0]["status"], "redeemed");

    // A hold that lapsed with nobody else taking the coupon is still captured, unflagged.
    let (_, m3, _) = one_coupon(&app, "13800000003", amount_off("慢慢付")).await;
    let (coupon, code) = usable_coupon(m3.clone()).await;
    let h = HoldId::new();
    hold(&app, &token, h, &code, Some(&m3)).await.expect(StatusCode::OK);
    let id3 = parsed_id(&code);
    app.store.raw(|c| Ok(c.execute("UPDATE coupons SET hold_expires_at = 1 WHERE id = ?1", [id3])?)).expect("lapse");
    let sale = sale_with(&till, 4, &coupon, &code, Some(h));
    app.push(&token, till.till, vec![envelope(till.till, 4, Event::SaleCompleted(sale))]).await.expect(StatusCode::OK);
    assert_eq!(coupons_of(&app, &m3).await[0]["status"], "redeemed");
    assert_eq!(coupon_flags(&app).len(), 2, "{:?}", coupon_flags(&app));

    // The console lists the flagged sales beside the campaigns.
    let (_, _, page) = console_as_admin(&app, "GET", "/console/coupons", None).await;
    assert!(page.contains("flagged-coupons") && page.contains("beyond the cap"), "{page}");
}

#[tokio::test]
async fn a_sale_with_coupons_but_no_promotion_record_is_flagged() {
    let app = spawn_app().await;
    let branch = app.branch("B001").await;
    let (till, token) = app.enrolled_till(branch).await;
    let (_, m, code) = one_coupon(&app, "13800000001", amount_off("满50减5")).await;
    let usable = till_send(&app, &token, Method::GET, &format!("/api/v1/till/members/{m}/coupons"), None).await;
    let coupon: Coupon = serde_json::from_value(usable.body["coupons"][0]["coupon"].clone()).expect("coupon");
    let mut sale = sale_with(&till, 1, &coupon, &code, None);
    sale.promotions = None;
    let r = app.push(&token, till.till, vec![envelope(till.till, 1, Event::SaleCompleted(sale))]).await;
    assert_eq!(r.expect(StatusCode::OK).body["results"][0]["outcome"]["status"], "accepted");
    assert_eq!(repriced_flags(&app).len(), 1, "{:?}", repriced_flags(&app));
}

/// What the review of the coupon work found: a hold captures only for the till HQ gave it to and
/// for the coupon's own member, and a campaign's offline cap counts a sale's own earlier coupons.
#[tokio::test]
async fn a_hold_captures_for_its_own_till_and_member_and_the_cap_counts_a_sales_own_coupons() {
    let app = spawn_app().await;
    let branch = app.branch("B001").await;
    let (till, token) = app.enrolled_till(branch).await;
    let (other_till, other_token) = app.enrolled_till(branch).await;
    let usable = |m: String| {
        let (app, token) = (&app, &token);
        async move {
            let r = till_send(app, token, Method::GET, &format!("/api/v1/till/members/{m}/coupons"), None).await;
            let list = r.expect(StatusCode::OK).body["coupons"].as_array().expect("coupons").clone();
            list.iter()
                .map(|c| {
                    let coupon: Coupon = serde_json::from_value(c["coupon"].clone()).expect("coupon");
                    (coupon, c["code"].as_str().expect("code").to_owned())
                })
                .collect::<Vec<_>>()
        }
    };

    // Held without a member on the sale, the sale then names another member: not redeemed, flagged.
    let (_, owner, _) = one_coupon(&app, "13800000011", amount_off("本人专用")).await;
    let (someone, _) = member(&app, "13800000012", json!({})).await;
    let (coupon, code) = usable(owner.clone()).await.remove(0);
    let h = HoldId::new();
    hold(&app, &token, h, &code, None).await.expect(StatusCode::OK);
    let mut sale = sale_with(&till, 1, &coupon, &code, Some(h));
    let points_base = sale.points_eligible_net;
    sale.member = Some(shared::sale::SaleMember {
        member_id: Some(shared::ids::MemberId::parse(&someone).expect("id")),
        identifier: shared::member::MemberIdentifier::Phone(
            shared::member::Phone::parse("13800000012").expect("phone"),
        ),
        tier: None,
        points_base,
        points_earned: 0,
        policy_version: 1,
    });
    let r = app.push(&token, till.till, vec![envelope(till.till, 1, Event::SaleCompleted(sale))]).await;
    let body = r.expect(StatusCode::OK).body;
    assert_eq!(body["results"][0]["outcome"]["status"], "accepted", "{body}");
    assert!(coupon_flags(&app).iter().any(|f| f.contains("another member")), "{:?}", coupon_flags(&app));
    assert_ne!(coupons_of(&app, &owner).await[0]["status"], "redeemed");

    // Another till's hold id does not capture: the coupon is checked as taken offline.
    let (_, m2, _) = one_coupon(&app, "13800000013", amount_off("别的收银台")).await;
    let (coupon, code) = usable(m2.clone()).await.remove(0);
    let h = HoldId::new();
    hold(&app, &token, h, &code, None).await.expect(StatusCode::OK);
    let sale = sale_with(&other_till, 1, &coupon, &code, Some(h));
    let r =
        app.push(&other_token, other_till.till, vec![envelope(other_till.till, 1, Event::SaleCompleted(sale))]).await;
    assert_eq!(r.expect(StatusCode::OK).body["results"][0]["outcome"]["status"], "accepted");
    assert!(coupon_flags(&app).iter().any(|f| f.contains("for this till")), "{:?}", coupon_flags(&app));

    // Two coupons of a campaign allowing one a till a day, both on one sale taken offline.
    let mut capped = amount_off("每日一张");
    capped["offline_cap"] = json!(1);
    let (id, m3, _) = one_coupon(&app, "13800000014", capped).await;
    issue(&app, id, "b2", json!({"kind": "members", "members": ["13800000014"]})).await;
    let two: Vec<(Coupon, String, Option<HoldId>)> =
        usable(m3.clone()).await.into_iter().map(|(c, code)| (c, code, None)).collect();
    assert_eq!(two.len(), 2);
    let before = coupon_flags(&app).len();
    let sale = sale_with_coupons(&till, 2, &two);
    let r = app.push(&token, till.till, vec![envelope(till.till, 2, Event::SaleCompleted(sale))]).await;
    assert_eq!(r.expect(StatusCode::OK).body["results"][0]["outcome"]["status"], "accepted");
    let flags = coupon_flags(&app);
    assert_eq!(flags.len(), before + 1, "{flags:?}");
    assert!(flags.iter().any(|f| f.contains("beyond the cap")), "{flags:?}");
}
