//! The member pages' content, on both stores: the home page's coupons by state (and the cap on
//! how many it shows) and the points that expire next, the history of a till's sale and its
//! partial return row by row against the ledger.

use axum::http::{Method, StatusCode};
use hq_server::store::{CouponStore, MemberPagesStore, MemberStore};
use jiff::{SignedDuration, Timestamp};
use serde_json::json;

use crate::member_pages::{HOME, app_with_sms, form, location, sign_in};
use crate::members::{PHONE, member_with, till_post};

pub(crate) fn inside<'a>(page: &'a str, id: &str, end: &str) -> &'a str {
    let open = format!("id=\"{id}\">");
    let at = page.find(&open).unwrap_or_else(|| panic!("no #{id} in {page}")) + open.len();
    let close = format!("</{end}>");
    let len = page[at..].find(&close).unwrap_or_else(|| panic!("#{id} does not end"));
    &page[at..at + len]
}

/// A cash sale of the fixture's two lines at `at`, with `coupon` (code `code`, held by `hold`)
/// taking effect: priced through the empty promotion set, as a till without promotions prices it.
fn sale_with_coupon(
    till: &hq_server::fixtures::TillRef,
    seq: u32,
    at: Timestamp,
    coupon: &shared::promotions::coupons::Coupon,
    code: &str,
    hold: shared::ids::HoldId,
) -> shared::sale::CompletedSale {
    use shared::promotions::{Customer, PromotionEngine, PromotionSet};
    use shared::sale::{PromotionContext, RedeemedCoupon, SaleTotals, TenderInput, price_sale_with, settle};
    let mut base = hq_server::fixtures::sale(till, seq, 2, 1);
    base.completed_at = at;
    base.business_day = hq_server::admin::default_branch(&till.branch_code, "").business_day(at);
    let items: Vec<_> = base.lines.iter().map(|l| l.item.clone()).collect();
    let engine = PromotionEngine::new(PromotionSet { version: 0, promotions: Vec::new() });
    let coupons = [coupon.clone()];
    let ctx = PromotionContext {
        engine: &engine,
        branch: till.branch,
        at: hq_server::calendar::hq_time(at).datetime(),
        customer: Customer::default(),
        gifts: &[],
        coupons: &coupons,
    };
    let priced = price_sale_with(&items, None, None, Some(&ctx)).expect("priced");
    assert_eq!(priced.coupons.len(), 1, "the coupon took effect");
    let total = priced.totals.total;
    let cash = TenderInput::cash(shared::Money((total.0 + 99) / 100 * 100));
    let settled = settle(total, &[cash], shared::pricing::CashRounding::None).expect("settled");
    let sale = shared::sale::CompletedSale {
        lines: priced.lines,
        totals: SaleTotals { rounding: settled.rounding, due: settled.due, ..priced.totals },
        tax: priced.tax,
        points_eligible_net: priced.points_eligible_net,
        promotions: priced.promotions,
        coupons: vec![RedeemedCoupon {
            code: code.to_owned(),
            coupon: coupon.clone(),
            hold: Some(hold),
            discount: priced.coupons[0].discount,
        }],
        tenders: settled.tenders,
        change: settled.change,
        ..base
    };
    sale.check().expect("the sale adds up");
    sale
}

#[tokio::test]
async fn the_home_page_shows_each_coupon_under_its_state_and_the_points_that_expire_next() {
    use crate::coupons::{amount_off, campaign, coupons_of, hold, issue, till_send};
    // 2026-11-30 10:00 in Shanghai.
    let (app, sms, clock) = app_with_sms().await;
    let branch = app.branch("B001").await;
    let (till, token) = app.enrolled_till(branch).await;
    // 1,234 points credited on 2026-11-30: under the initial policy (rolling, 12 months after the
    // month earned, to its end) they are good through 2027-11-30.
    let (id, number) = member_with(&app, PHONE, 1_234).await;
    let other = "13600003333";
    member_with(&app, other, 0).await;
    let dated = |name: &str, to: &str| {
        let mut c = amount_off(name);
        c["validity"] = json!({"kind": "dates", "from": "2026-11-01", "to": to});
        c
    };
    for (name, to) in [("十二月满50减5", "2026-12-31"), ("当日满50减5", "2026-11-30"), ("周末满50减5", "2026-12-31")]
    {
        let c = campaign(&app, dated(name, to)).await;
        let out = issue(&app, c, "b1", json!({"kind": "members", "members": [number]})).await;
        assert_eq!(out["issued"], 1, "{out}");
    }
    // The member uses 周末满50减5 at the till: held, then captured by the sale's event.
    let mine = coupons_of(&app, &id.to_string()).await;
    let code = mine.iter().find(|c| c["campaign_name"] == "周末满50减5").expect("issued")["code"]
        .as_str()
        .expect("code")
        .to_owned();
    let usable = till_send(&app, &token, Method::GET, &format!("/api/v1/till/members/{id}/coupons"), None).await;
    let usable: shared::sync::MemberCouponsResponse = serde_json::from_value(usable.body).expect("coupons");
    assert_eq!(usable.coupons.len(), 3);
    let coupon = usable.coupons.iter().find(|c| c.code == code).expect("usable").coupon.clone();
    let h = shared::ids::HoldId::new();
    hold(&app, &token, h, &code, None).await.expect(StatusCode::OK);
    let sale = sale_with_coupon(&till, 7, clock.now(), &coupon, &code, h);
    crate::members::push_one(&app, &till, &token, 1, shared::sync::Event::SaleCompleted(sale)).await;
    // 15 hours later it is 2026-12-01 01:00 in Shanghai: 当日满50减5 lapsed at midnight. The
    // member is credited 100 more points, earned in December: good through 2027-12-31.
    clock.advance(SignedDuration::from_hours(15));
    let admin = app.login("root", crate::helpers::ADMIN_PASSWORD).await; // the morning's session has lapsed
    app.post(&format!("/api/v1/members/{id}/adjustments"), &admin, json!({"points": 100, "reason": "补偿"}))
        .await
        .expect(StatusCode::OK);

    let (cookie, _) = sign_in(&app, &sms, PHONE).await;
    let home = form(&app, Method::GET, "/m/home", &cookie, &[], HOME).await;
    assert_eq!(home.status, StatusCode::OK);
    assert_eq!(
        inside(&home.text, "coupons-valid", "ul"),
        "<li><div>十二月满50减5</div><div class=\"muted\">有效期至 2026-12-31</div></li>"
    );
    assert_eq!(
        inside(&home.text, "coupons-used", "ul"),
        "<li><div>周末满50减5</div><div class=\"muted\">使用于 2026-11-30 · 小票 B001-01-000007</div></li>"
    );
    assert_eq!(
        inside(&home.text, "coupons-expired", "ul"),
        "<li><div>当日满50减5</div><div class=\"muted\">有效期至 2026-11-30</div></li>"
    );
    for title in ["可用 (1)", "已使用 (1)", "已过期 (1)"] {
        assert!(home.text.contains(&format!("<summary>{title}</summary>")), "{title}");
    }
    assert_eq!(inside(&home.text, "points-balance", "div"), "1334");
    assert_eq!(
        inside(&home.text, "points-expiry", "div"),
        "1234 积分将于 2027-11-30 过期",
        "the lot that expires first"
    );
    let en = form(&app, Method::GET, "/m/home", &format!("{cookie}; tp_lang=en"), &[], HOME).await;
    assert_eq!(inside(&en.text, "points-expiry", "div"), "1234 points expire on 2027-11-30");
    assert_eq!(
        inside(&en.text, "coupons-used", "ul"),
        "<li><div>周末满50减5</div><div class=\"muted\">Used on 2026-11-30 · Receipt B001-01-000007</div></li>"
    );

    // A member with neither coupons nor points that expire.
    let (theirs, _) = sign_in(&app, &sms, other).await;
    let home = form(&app, Method::GET, "/m/home", &theirs, &[], HOME).await;
    for list in ["coupons-valid", "coupons-used", "coupons-expired"] {
        assert_eq!(inside(&home.text, list, "ul"), "<li class=\"muted\">暂无</li>", "{list}");
    }
    assert_eq!(inside(&home.text, "points-expiry", "div"), "暂无即将过期的积分");
}

/// The ledger's kinds as the history page names them in Chinese.
fn kind_zh(kind: &str) -> &'static str {
    match kind {
        "earn" => "消费得积分",
        "redeem" => "积分抵现",
        "reverse" => "退货扣回积分",
        "restore" => "退货退回积分",
        "expire" => "积分过期",
        "adjust" => "调整",
        "top_up" | "topup" => "储值充值",
        "spend" => "储值消费",
        "refund" => "退回储值",
        other => panic!("a kind the test does not know: {other}"),
    }
}

#[tokio::test]
async fn the_history_shows_a_tills_sale_and_its_partial_return_with_branch_receipt_and_lines() {
    use shared::Money;
    use shared::catalog::MemberCode;
    use shared::ids::{HoldId, SaleId};
    use shared::member::MemberIdentifier;
    use shared::money::Qty;
    use shared::sale::{ReturnPick, TenderInput, TenderKind};
    use shared::stored_value::SvSplit;
    use shared::sync::Event;

    // 2026-11-30 10:00 in Shanghai.
    let (app, sms, clock) = app_with_sms().await;
    let branch = app.branch("B001").await;
    let (till, token) = app.enrolled_till(branch).await;
    let (id, number) = member_with(&app, PHONE, 0).await;
    // The member pays ¥3.00 of a sale with stored value (held, then captured) and the rest in cash.
    let (sh, sale_id) = (HoldId::new(), SaleId::new());
    till_post(
        &app,
        &token,
        "/api/v1/till/holds",
        json!({"hold": sh, "member": id, "sale": sale_id, "amount": {"kind": "stored_value", "amount": 300}}),
    )
    .await
    .expect(StatusCode::OK);
    let sv = TenderInput {
        kind: TenderKind::StoredValue,
        amount: Money(300),
        reference: None,
        points: 0,
        stored_value: Some(SvSplit { principal: Money(300), bonus: Money::ZERO }),
        hold: Some(sh),
        authorization: None,
    };
    let by = MemberIdentifier::Code(MemberCode::parse(&number).expect("code"));
    let mut sale = crate::members::member_sale(&till, 1, Some(id), by, vec![sv], 42);
    sale.id = sale_id;
    sale.completed_at = clock.now();
    sale.business_day = hq_server::admin::default_branch(&till.branch_code, "").business_day(clock.now());
    sale.check().expect("adds up");
    crate::members::push_one(&app, &till, &token, 1, Event::SaleCompleted(sale.clone())).await;
    // An hour later, one piece of the first line comes back.
    clock.advance(SignedDuration::from_hours(1));
    let mut back = crate::members::refund_of(&sale, &[ReturnPick { line: 0, qty: Qty::ONE }], &[]);
    back.refunded_at = clock.now();
    crate::members::push_one(&app, &till, &token, 2, Event::SaleRefunded(back.clone())).await;

    let (cookie, _) = sign_in(&app, &sms, PHONE).await;
    let page = form(&app, Method::GET, "/m/history", &cookie, &[], HOME).await;
    assert_eq!(page.status, StatusCode::OK);
    let ledger = app.store.ledger(id, 100).expect("ledger");
    let kinds: Vec<&str> = ledger.iter().map(|e| e.kind.code()).collect();
    for k in ["adjust", "spend", "earn", "reverse", "refund"] {
        assert!(kinds.contains(&k), "{k} in {kinds:?}");
    }
    let rows: Vec<&str> = page.text.split("<li class=\"entry\"").skip(1).collect();
    assert_eq!(rows.len(), ledger.len(), "every ledger entry, once");
    let amount =
        |n: i64, text: String| format!("<span class=\"{}\">{text}</span>", if n > 0 { "plus" } else { "minus" });
    for (row, e) in rows.iter().zip(&ledger) {
        let mut amounts = String::new();
        if e.points != 0 {
            amounts += &amount(e.points, format!("{}{} 积分", if e.points > 0 { "+" } else { "" }, e.points));
        }
        let sv = e.principal + e.bonus;
        if sv != 0 {
            let shown = if sv > 0 { format!("+{}", Money(sv)) } else { Money(sv).to_string() };
            amounts += &format!(" {}", amount(sv, shown));
        }
        let (when, receipt, lines) = if e.source == format!("sale:{}", sale.id) {
            let lines: Vec<(String, i64, i64)> =
                sale.lines.iter().map(|l| (l.item.name.clone(), l.priced.qty.0, l.net.0)).collect();
            ("2026-11-30 10:00", format!(" · B001 店 · 小票 <span class=\"receipt\">{}</span>", sale.receipt_no), lines)
        } else if e.source == format!("refund:{}", back.id) {
            let lines: Vec<(String, i64, i64)> =
                back.lines.iter().map(|l| (l.name.clone(), l.qty.0, -l.amount.0)).collect();
            ("2026-11-30 11:00", format!(" · B001 店 · 小票 <span class=\"receipt\">{}</span>", back.receipt_no), lines)
        } else {
            assert_eq!(e.kind.code(), "adjust", "only the opening balance has no receipt");
            ("2026-11-30 10:00", String::new(), Vec::new())
        };
        let details = if lines.is_empty() {
            String::new()
        } else {
            let items: String = lines
                .iter()
                .map(|(name, qty, net)| {
                    format!("<li class=\"row\"><span>{name} × {}</span><span>{}</span></li>", Qty(*qty), Money(*net))
                })
                .collect();
            format!("<details><summary>小票</summary><ul class=\"plain\">{items}</ul></details>")
        };
        let expected = format!(
            " data-kind=\"{}\"><div class=\"row\"><strong>{}</strong><span>{amounts}</span></div><div class=\"muted\">{when}{receipt}</div>{details}</li>",
            e.kind.code(),
            kind_zh(e.kind.code()),
        );
        assert!(row.starts_with(&expected), "row {}:\n{row}\nexpected\n{expected}", e.kind.code());
    }
    // Worked by hand: the sale earned 42 points; its first line was ¥188.00 × 1; the return took
    // back one ¥188.00 piece, and its points and the ¥3.00 of stored value in proportion.
    assert!(page.text.contains("<span class=\"plus\">+42 积分</span>"));
    assert!(page.text.contains("<li class=\"row\"><span>商品1 × 1</span><span>¥188.00</span></li>"));
    assert!(page.text.contains("<li class=\"row\"><span>商品1 × 1</span><span>-¥188.00</span></li>"));
    assert!(page.text.contains("<span class=\"minus\">-¥3.00</span>"), "the sale's stored value");
    assert!(back.points_taken_back > 0, "the return takes back part of the 42 points");
}

#[tokio::test]
async fn the_home_page_shows_the_first_few_coupons_of_each_state_and_links_to_them_all() {
    use crate::coupons::{amount_off, campaign, issue};
    use hq_server::member_pages::pages::HOME_COUPONS;
    let (app, sms, clock) = app_with_sms().await;
    let (id, number) = member_with(&app, PHONE, 0).await;
    let many = HOME_COUPONS + 2;
    // `many` coupons good to the end of the year, and `many` that lapse tonight, one a batch.
    for (name, to) in [("年末券", "2026-12-31"), ("今日券", "2026-11-30")] {
        let mut body = amount_off(name);
        body["validity"] = json!({"kind": "dates", "from": "2026-11-01", "to": to});
        let c = campaign(&app, body).await;
        for batch in 0..many {
            let out = issue(&app, c, &format!("b{batch}"), json!({"kind": "members", "members": [number]})).await;
            assert_eq!(out["issued"], 1, "{out}");
        }
    }
    clock.advance(SignedDuration::from_hours(15)); // past midnight in Shanghai
    let (cookie, _) = sign_in(&app, &sms, PHONE).await;
    let home = form(&app, Method::GET, "/m/home", &cookie, &[], HOME).await;
    let count = |page: &str, list: &str| inside(page, list, "ul").matches("<li><div>").count();
    assert_eq!(
        (count(&home.text, "coupons-valid"), count(&home.text, "coupons-expired")),
        (HOME_COUPONS, HOME_COUPONS)
    );
    assert!(home.text.contains(&format!("<summary>可用 ({many})</summary>")), "the summary counts them all");
    for list in ["coupons-valid", "coupons-expired"] {
        let link = format!("<a class=\"all-coupons\" href=\"/m/coupons#{list}\">查看全部 ({many})</a>");
        assert!(home.text.contains(&link), "{link}");
    }
    assert!(!home.text.contains("/m/coupons#coupons-used"), "no link where nothing is cut");
    let all = form(&app, Method::GET, "/m/coupons", &cookie, &[], HOME).await;
    assert_eq!(all.status, StatusCode::OK);
    assert_eq!((count(&all.text, "coupons-valid"), count(&all.text, "coupons-expired")), (many, many));
    assert!(!all.text.contains("all-coupons"), "everything is on the page");
    // The home reads in full only the coupons it shows: the same shelves as all of them sorted and cut.
    let every = app.store.member_coupons(id).expect("coupons");
    for cap in [0, 1, HOME_COUPONS, 100] {
        let home = app.store.member_home(id, cap).expect("home");
        assert_eq!(home.coupons, hq_server::model::MemberCoupons::sorted(every.clone(), Some(cap)), "cut at {cap}");
    }
    // Only for a signed-in member.
    assert_eq!(location(&form(&app, Method::GET, "/m/coupons", "", &[], HOME).await), "/m/sign-in");
}
