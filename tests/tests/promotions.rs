//! Promotions end to end: HQ publishes through its API → the till pulls the set → a sale priced with
//! it → HQ re-prices the sale with the same set version and finds nothing to flag → a partial return
//! pays back from the sale's record with the threshold clawback, and HQ's figures tie out with the
//! till's fen for fen. A till whose allocations differ from HQ's engine is flagged, not refused.

use std::time::Duration;

use hq_server::reports::{Cell, ReportKind, ReportQuery};
use hq_server::store::{ReportStore as _, SyncStore as _};
use pos_app::sync::Timeouts;
use shared::money::{Money, Qty};
use shared::sale::{CompletedSale, ReturnPick};
use shared::staff::ApprovalAction;
use shared::sync::{Event, PROTOCOL_VERSION, PushRequest};
use tests::*;

fn publish(hq: &Hq, cookie: &str, body: serde_json::Value) -> serde_json::Value {
    let (status, body) = hq.api(cookie, reqwest::Method::POST, "/api/v1/promotions", Some(body));
    assert_eq!(status, 201, "{body}");
    body
}

/// Publishes 特价 at half price on the first demo product and a 满减 on everything whose threshold is
/// exactly two of the first at that price plus one of the second, with the clawback on. Returns the
/// two barcodes.
fn two_promotions(hq: &Hq, t: &TestTill) -> (String, String) {
    let (a, b) = (t.barcode(0), t.barcode(1));
    let price = |code: &str| t.till.store().product_by_barcode(code).expect("lookup").expect("product");
    let (pa, pb) = (price(&a), price(&b));
    let special = Money((pa.base_price().0 / 2).max(1));
    let threshold = Money(special.0 * 2 + pb.base_price().0);
    let cookie = hq.sign_in("marketing", "tillpoint-marketing");
    let dates = serde_json::json!({"from": "2020-01-01", "to": "2099-12-31"});
    publish(
        hq,
        &cookie,
        serde_json::json!({
            "name": "半价特惠",
            "branches": {"kind": "all"},
            "schedule": dates,
            "scope": {"products": [pa.product.id.0]},
            "kind": {"kind": "fixed_price", "price": special.0},
        }),
    );
    publish(
        hq,
        &cookie,
        serde_json::json!({
            "name": "满额立减",
            "branches": {"kind": "all"},
            "schedule": dates,
            "scope": {"all_products": true},
            "kind": {"kind": "slabs", "slabs": [{"threshold": threshold.0, "off": 100}]},
            "threshold_clawback": true,
        }),
    );
    (a, b)
}

fn sale_event_flags(hq: &Hq, t: &TestTill, kind: &str) -> Vec<Vec<String>> {
    hq.store()
        .list_events(t.till.identity().till, false, 1000)
        .expect("events")
        .into_iter()
        .filter(|e| e.kind == kind)
        .map(|e| {
            assert_eq!(e.status, "accepted", "{e:?}");
            e.flags
        })
        .collect()
}

fn sell_with_promotions(t: &mut TestTill, a: &str, b: &str) -> CompletedSale {
    t.till.scan(a).expect("scan");
    t.till.scan(a).expect("scan");
    t.till.scan(b).expect("scan");
    let view = t.till.view().expect("view").expect("a cart");
    let names: Vec<&str> =
        view.promotions.as_ref().expect("priced with the set").applied.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, vec!["半价特惠", "满额立减"]);
    t.till.add_cash(Money::yuan(1000)).expect("cash");
    t.till.complete(false).expect("complete").sale
}

#[test]
fn hq_publishes_the_till_sells_with_it_and_hq_agrees_through_a_partial_return() {
    let hq = Hq::start();
    let mut t = TestTill::enrol(&hq, &hq.code(0, 0));
    let (a, b) = two_promotions(&hq, &t);
    t.open_shift(CASHIER);
    t.start_sync();
    wait_until("the till to pull both promotions", Duration::from_secs(30), || {
        t.till.store().promotion_set().is_ok_and(|s| s.promotions.len() == 2)
    });

    let sale = sell_with_promotions(&mut t, &a, &b);
    let record = sale.promotions.as_ref().expect("recorded");
    assert_eq!(record.version, 2);
    assert_eq!(sale.totals.promotion_discounts, record.total());
    t.wait_pushed(Duration::from_secs(30));
    assert_eq!(sale_event_flags(&hq, &t, "sale_completed"), vec![Vec::<String>::new()], "HQ prices it the same");

    // The second product back: what is kept no longer reaches the 满减, so its share on the kept
    // lines is kept back (the clawback), and the rest of the line's net is paid back.
    let approval = t.till.approve(ApprovalAction::Refund, MANAGER.0, MANAGER.1).expect("approval");
    let (refund, _) = t
        .till
        .complete_return(&sale.receipt_no, &[ReturnPick { line: 1, qty: Qty::ONE }], "退货", Some(approval))
        .expect("return");
    let kept_share: Money =
        sale.lines[0].promotions.iter().filter(|(id, _)| id.0 == record.applied[1].id.0).map(|a| a.1).sum();
    assert_eq!(refund.clawback, kept_share);
    assert_eq!(refund.lines[0].amount, sale.lines[1].net);
    t.wait_pushed(Duration::from_secs(30));
    assert_eq!(sale_event_flags(&hq, &t, "sale_refunded"), vec![Vec::<String>::new()]);

    // One of the two first products back as well: half its line, so the cost report's returned
    // share is a floor of half an allocation (on PostgreSQL as on SQLite).
    let approval = t.till.approve(ApprovalAction::Refund, MANAGER.0, MANAGER.1).expect("approval");
    let (second, _) = t
        .till
        .complete_return(&sale.receipt_no, &[ReturnPick { line: 0, qty: Qty::ONE }], "退货", Some(approval))
        .expect("a second return");
    assert!(second.clawback.0 < 0, "it releases part of what the first return kept back: {second:?}");
    t.wait_pushed(Duration::from_secs(30));
    assert_eq!(sale_event_flags(&hq, &t, "sale_refunded").len(), 2);

    // HQ's figures are the till's: the sale and the returns, fen for fen.
    let history = hq
        .store()
        .sale_history(hq.demo.branches[0].id, &sale.receipt_no.to_string())
        .expect("history")
        .expect("HQ has the sale");
    assert_eq!(history.sale, sale);
    assert_eq!(history.refunds, vec![refund.clone(), second]);

    // The reports: the promotions are a column of the sales, and each promotion's cost is what it
    // gave less what came back with the returned goods.
    let report = |kind| {
        hq.store()
            .report(&ReportQuery { kind, from: sale.business_day, to: sale.business_day, branch: None })
            .expect("report")
    };
    let total = |r: &hq_server::reports::Report, name: &str| r.totals[r.col(name).expect("column")].int();
    let by_branch = report(ReportKind::SalesByBranch);
    assert_eq!(total(&by_branch, "promotion_discounts"), sale.totals.promotion_discounts.0);
    assert_eq!(
        total(&by_branch, "gross")
            - total(&by_branch, "member_savings")
            - total(&by_branch, "promotion_discounts")
            - total(&by_branch, "discounts"),
        total(&by_branch, "net")
    );
    let costs = report(ReportKind::Promotions);
    let row = |id: u64, name: &str| {
        let r = costs.rows.iter().find(|r| r[0] == Cell::Text(id.to_string())).expect("a row");
        r[costs.col(name).expect("column")].int()
    };
    for p in &record.applied {
        let on =
            |line: usize| -> i64 { sale.lines[line].promotions.iter().filter(|a| a.0 == p.id).map(|a| a.1.0).sum() };
        // All of line 2's, and floor(half) of line 1's.
        let back = Money(on(1) + on(0) / 2);
        assert_eq!(row(p.id.0, "given"), p.discount.0, "{}", p.name);
        assert_eq!(row(p.id.0, "returned"), back.0, "{}", p.name);
        assert_eq!(row(p.id.0, "cost"), (p.discount - back).0, "{}", p.name);
    }
    assert_eq!(total(&costs, "given"), sale.totals.promotion_discounts.0);
    assert!(
        costs.rows.iter().all(|r| r[costs.col("day").expect("day")] == Cell::Text(sale.business_day.to_string())),
        "by promotion, branch and day"
    );

    // The effect of 半价特惠: its product's units and sales while it ran, none in the days before.
    let cookie = hq.sign_in("finance", "tillpoint-finance");
    let effect: serde_json::Value = hq.rt.block_on(async {
        reqwest::Client::new()
            .get(format!("{}/api/v1/promotions/{}/effect", hq.url(), record.applied[0].id.0))
            .header("cookie", &cookie)
            .send()
            .await
            .expect("effect")
            .json()
            .await
            .expect("json")
    });
    assert_eq!(effect["during"]["qty_milli"], 2000, "{effect}");
    assert_eq!(effect["during"]["net"], sale.lines[0].net.0, "{effect}");
    assert_eq!(effect["before"]["lines"], 0, "{effect}");
}

#[test]
fn a_sale_whose_allocations_hq_does_not_reach_is_accepted_and_flagged() {
    let hq = Hq::start();
    let mut t = TestTill::enrol(&hq, &hq.code(0, 0));
    let (a, b) = two_promotions(&hq, &t);
    t.open_shift(CASHIER);
    // Pull once without starting the sync task, so the till's outbox stays for this test to push.
    let client = pos_app::sync::client_for(t.till.store(), Timeouts::default()).expect("client");
    loop {
        let cursor = t.till.store().pull_cursor().expect("cursor");
        let page = hq.rt.block_on(client.pull(cursor, 500)).expect("pull");
        t.till.store_mut().apply_pull_page(&page).expect("apply");
        if !page.has_more {
            break;
        }
    }
    let sale = sell_with_promotions(&mut t, &a, &b);
    // A fen of the 满减 moved from the first line to the second: every sum still adds up, so only
    // HQ's own pricing can see it.
    let mut events: Vec<_> =
        t.till.store().pending_events(100).expect("pending").into_iter().map(|e| e.envelope).collect();
    let threshold = sale.promotions.as_ref().expect("recorded").applied[1].id;
    for e in &mut events {
        if let Event::SaleCompleted(s) = &mut e.event {
            for (line, delta) in [(0usize, -1i64), (1, 1)] {
                let l = &mut s.lines[line];
                let a = l.promotions.iter_mut().find(|a| a.0 == threshold).expect("the 满减 on the line");
                a.1 += Money(delta);
                l.priced.promotion_discount += Money(delta);
                l.priced.net -= Money(delta);
                l.net -= Money(delta);
            }
            s.tax = shared::tax::tax_groups(s.lines.iter().map(|l| (l.item.vat, l.net)));
            s.points_eligible_net = s.lines.iter().filter(|l| l.item.points_eligible).map(|l| l.net).sum();
            s.check().expect("the tampered record still adds up");
        }
    }
    let answer = hq
        .rt
        .block_on(client.push(&PushRequest {
            protocol: PROTOCOL_VERSION,
            till: t.till.identity().till,
            events,
            sent_at: None,
        }))
        .expect("answered");
    assert!(answer.results.iter().all(|r| r.outcome == shared::sync::EventOutcome::Accepted), "{answer:?}");
    let flags = sale_event_flags(&hq, &t, "sale_completed");
    assert_eq!(flags.len(), 1);
    assert!(
        flags[0].iter().any(|f| f.contains("re-priced with promotion set 2") && f.contains("lines 1, 2 differ")),
        "{flags:?}"
    );
    // The console lists it with the chain's other flagged promotion sales; the other branch's
    // manager does not see it.
    let listed = hq.store().flagged_sales(hq_server::event_checks::value::REPRICED_FLAG, None, 10).expect("flagged");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].receipt_no.as_deref(), Some(sale.receipt_no.to_string().as_str()));
    let elsewhere = hq
        .store()
        .flagged_sales(hq_server::event_checks::value::REPRICED_FLAG, Some(hq.demo.branches[1].id), 10)
        .expect("flagged");
    assert!(elsewhere.is_empty());
    let cookie = hq.sign_in("admin", hq_server::demo::ADMIN_PASSWORD);
    let page = hq.rt.block_on(async {
        reqwest::Client::new()
            .get(format!("{}/console/promotions", hq.url()))
            .header("cookie", &cookie)
            .send()
            .await
            .expect("page")
            .text()
            .await
            .expect("html")
    });
    assert!(page.contains("id=\"repriced\"") && page.contains(&sale.receipt_no.to_string()), "{page}");
}

#[test]
fn a_promotion_by_brand_published_at_hq_prices_the_brand_at_the_till_and_hq_agrees() {
    let hq = Hq::start();
    let mut t = TestTill::enrol(&hq, &hq.code(0, 0));
    let product = |code: &str| t.till.store().product_by_barcode(code).expect("lookup").expect("product").product;
    let a = t.barcode(0);
    let brand = product(&a).brand.expect("the demo names every product's brand");
    // Another product of another brand, which the promotion leaves alone.
    let other = (1..20).map(|n| t.barcode(n)).find(|code| product(code).brand != Some(brand)).expect("another brand");
    let cookie = hq.sign_in("marketing", "tillpoint-marketing");
    publish(
        &hq,
        &cookie,
        serde_json::json!({
            "name": "品牌日 9折",
            "branches": {"kind": "all"},
            "schedule": {"from": "2020-01-01", "to": "2099-12-31"},
            "scope": {"brands": [brand.0]},
            "kind": {"kind": "percent_off", "bp": 1000},
        }),
    );
    t.open_shift(CASHIER);
    t.start_sync();
    wait_until("the till to pull the promotion", Duration::from_secs(30), || {
        t.till.store().promotion_set().is_ok_and(|s| s.promotions.len() == 1)
    });
    t.till.scan(&a).expect("scan");
    t.till.scan(&other).expect("scan");
    t.till.add_cash(Money::yuan(1000)).expect("cash");
    let sale = t.till.complete(false).expect("complete").sale;
    assert!(!sale.lines[0].promotions.is_empty(), "the brand's product takes it");
    assert!(sale.lines[1].promotions.is_empty(), "another brand's does not");
    assert_eq!(sale.lines[0].item.brand, Some(brand));
    t.wait_pushed(Duration::from_secs(30));
    assert_eq!(sale_event_flags(&hq, &t, "sale_completed"), vec![Vec::<String>::new()], "HQ prices it the same");
}
