//! Coupons end to end: marketing publishes a promotion and a coupon campaign and issues the coupon to
//! a member through HQ's API → the till pulls both → the member's coupon is picked from HQ's list
//! beside the promotion, held at HQ, and the sale's event captures it → another sale cannot use it →
//! a partial return pays back from the sale's record → HQ's records, the coupon's status and the
//! reports tie out with the till's fen for fen.

use std::time::Duration;

use hq_server::reports::{Cell, ReportKind, ReportQuery};
use hq_server::store::{ReportStore as _, SyncStore as _};
use pos_app::TillError;
use pos_app::engine::CouponProblem;
use reqwest::Method;
use serde_json::json;
use shared::member::MemberIdentifier;
use shared::money::{Money, Qty};
use shared::promotions::coupons::CampaignId;
use shared::sale::ReturnPick;
use shared::staff::ApprovalAction;
use tests::*;

fn flags(hq: &Hq, t: &TestTill, kind: &str) -> Vec<Vec<String>> {
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

#[test]
fn hq_issues_a_coupon_the_till_takes_it_beside_a_promotion_and_hq_agrees_through_a_partial_return() {
    let hq = Hq::start();
    let mut t = TestTill::enrol(&hq, &hq.code(0, 0));
    let (a, b) = (t.barcode(0), t.barcode(1));
    let price = |code: &str| t.till.store().product_by_barcode(code).expect("lookup").expect("product");
    let (pa, pb) = (price(&a), price(&b));
    let special = Money((pa.base_price().0 / 2).max(1));
    let cookie = hq.sign_in("marketing", "tillpoint-marketing");

    // 特价 on the first product, and a ¥1 coupon from a minimum spend.
    let (status, body) = hq.api(
        &cookie,
        Method::POST,
        "/api/v1/promotions",
        Some(json!({
            "name": "半价特惠",
            "branches": {"kind": "all"},
            "schedule": {"from": "2020-01-01", "to": "2099-12-31"},
            "scope": {"products": [pa.product.id.0]},
            "kind": {"kind": "fixed_price", "price": special.0},
        })),
    );
    assert_eq!(status, 201, "{body}");
    // Reached by the cart below whatever the member's tier takes off first.
    let min_spend = special.0.min(pb.base_price().0) / 2;
    let (status, campaign) = hq.api(
        &cookie,
        Method::POST,
        "/api/v1/coupon-campaigns",
        Some(json!({
            "name": "满额减1元券",
            "kind": {"kind": "amount_off", "scope": {"all_products": true}, "min_spend": min_spend, "off": 100},
            "offline_cap": 5,
            "validity": {"kind": "days", "days": 30},
        })),
    );
    assert_eq!(status, 201, "{campaign}");
    let campaign_id = campaign["campaign"]["id"].as_u64().expect("an id");
    let gold = hq.demo.members[0].clone();
    let (status, issued) = hq.api(
        &cookie,
        Method::POST,
        &format!("/api/v1/coupon-campaigns/{campaign_id}/issue"),
        Some(
            json!({"batch": "e2e", "audience": {"kind": "members", "members": [gold.code.to_string(), "0000000000"]}}),
        ),
    );
    assert_eq!(status, 200, "{issued}");
    assert_eq!(issued["issued"], 1, "{issued}");
    assert_eq!(issued["refused"][0]["row"], 2, "the unknown member is reported back: {issued}");
    let coupons_of_gold = || {
        let (status, list) = hq.api(&cookie, Method::GET, &format!("/api/v1/members/{}/coupons", gold.id), None);
        assert_eq!(status, 200, "{list}");
        list
    };
    let code = coupons_of_gold()[0]["code"].as_str().expect("a code").to_owned();

    t.open_shift(CASHIER);
    t.start_sync();
    wait_until("the till to pull the promotion and the campaign", Duration::from_secs(30), || {
        t.till.store().promotion_set().is_ok_and(|s| s.promotions.len() == 1)
            && t.till.store().coupon_campaign(CampaignId(campaign_id)).is_ok_and(|c| c.is_some())
    });

    // At the till: the member, their coupon picked from HQ's list, the goods.
    let card = shared::catalog::MemberCode::parse(&gold.code).expect("a card code");
    t.till.attach_member(MemberIdentifier::Code(card)).expect("member");
    let offered = t.till.member_coupons().expect("HQ lists the member's coupons");
    assert_eq!(offered.iter().map(|c| c.code.as_str()).collect::<Vec<_>>(), vec![code.as_str()]);
    t.till.scan(&a).expect("scan");
    t.till.scan(&a).expect("scan");
    t.till.scan(&b).expect("scan");
    let taken = t.till.add_coupon(&offered[0].code).expect("held at HQ");
    assert_eq!(taken.discount, Money(100));
    assert_eq!(coupons_of_gold()[0]["status"], "held");
    t.till.add_cash(Money::yuan(1000)).expect("cash");
    let sale = t.till.complete(false).expect("complete").sale;
    assert_eq!(sale.coupons.len(), 1);
    assert!(sale.coupons[0].hold.is_some());
    assert_eq!(sale.totals.coupon_discounts, Money(100));
    assert_eq!(sale.promotions.as_ref().expect("priced with the set").applied[0].name, "半价特惠");
    t.wait_pushed(Duration::from_secs(30));
    assert_eq!(flags(&hq, &t, "sale_completed"), vec![Vec::<String>::new()], "HQ prices it the same");
    let used = &coupons_of_gold()[0];
    assert_eq!(used["status"], "redeemed", "{used}");
    assert_eq!(used["receipt_no"], sale.receipt_no.to_string());
    assert_eq!(used["discount"], 100);

    // The coupon is used: the next sale is told so and nothing changes.
    t.till.scan(&b).expect("scan");
    assert!(matches!(t.till.add_coupon(&code), Err(TillError::Coupon(CouponProblem::Used))));
    let approval = t.till.approve(ApprovalAction::VoidCart, MANAGER.0, MANAGER.1).expect("approval");
    t.till.void_sale_in_progress(Some(approval)).expect("void");

    // The second product back: what its line paid after the promotion and the coupon.
    let approval = t.till.approve(ApprovalAction::Refund, MANAGER.0, MANAGER.1).expect("approval");
    let (refund, _) = t
        .till
        .complete_return(&sale.receipt_no, &[ReturnPick { line: 1, qty: Qty::ONE }], "退货", Some(approval))
        .expect("return");
    assert_eq!(refund.lines[0].amount, sale.lines[1].net);
    assert!(sale.lines[1].coupons.iter().any(|c| c.1.0 > 0), "the coupon took part of this line");
    t.wait_pushed(Duration::from_secs(30));
    assert_eq!(flags(&hq, &t, "sale_refunded"), vec![Vec::<String>::new()]);
    assert_eq!(coupons_of_gold()[0]["status"], "redeemed", "a return does not give a coupon back");

    // HQ's records are the till's, fen for fen.
    let history = hq
        .store()
        .sale_history(hq.demo.branches[0].id, &sale.receipt_no.to_string())
        .expect("history")
        .expect("HQ has the sale");
    assert_eq!(history.sale, sale);
    assert_eq!(history.refunds, vec![refund]);

    // The reports: the coupon is a column of the sales, and the coupons report counts it.
    let report = |kind| {
        hq.store()
            .report(&ReportQuery { kind, from: sale.business_day, to: sale.business_day, branch: None })
            .expect("report")
    };
    let by_branch = report(ReportKind::SalesByBranch);
    let total = |name: &str| by_branch.totals[by_branch.col(name).expect("column")].int();
    assert_eq!(total("coupon_discounts"), 100);
    assert_eq!(total("promotion_discounts"), sale.totals.promotion_discounts.0);
    assert_eq!(
        total("gross")
            - total("member_savings")
            - total("promotion_discounts")
            - total("coupon_discounts")
            - total("discounts"),
        total("net")
    );
    let coupons = report(ReportKind::Coupons);
    let cell = |row: &Vec<Cell>, name: &str| row[coupons.col(name).expect("column")].int();
    let branch_code = &hq.demo.branches[0].code;
    let at_branch = coupons
        .rows
        .iter()
        .find(|r| r[0] == Cell::Text(campaign_id.to_string()) && r[2] == Cell::Text(branch_code.clone()))
        .expect("the campaign's row at the branch");
    assert_eq!((cell(at_branch, "redeemed"), cell(at_branch, "discount")), (1, 100));
}
