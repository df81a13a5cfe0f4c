//! The console speaks one language and its figures agree with each other: a day with sales paid
//! every way, a partial return, a void and a return without a receipt, then every report, the
//! dashboard and a sale read in Chinese in a real browser, and the dashboard's sales, refunds and
//! net checked against what the till did. A member's cards and ledger, a branch's tills and a
//! till's events are read too.

use std::time::Duration;

use pos_app::engine::RefundTo;
use shared::catalog::MemberCode;
use shared::member::MemberIdentifier;
use shared::money::Money;
use shared::money::Qty;
use shared::sale::ReturnPick;
use shared::staff::ApprovalAction;
use tests::browser::Browser;
use tests::*;

/// Machine words a person must never read in the Chinese console: every tender, ledger and refund
/// kind and a day's status as the API spells them.
const MACHINE_WORDS: &[&str] = &[
    "cash",
    "bank_card",
    "stored_value",
    "points",
    "earn",
    "redeem",
    "reverse",
    "restore",
    "expire",
    "adjust",
    "topup",
    "spend",
    "refund",
    "return",
    "void",
    "no_receipt",
    "open",
    "closed",
    "regular",
    "silver",
    "gold",
];

/// What in `text` looks like a machine name: an identifier with an underscore, or one of the
/// machine words standing alone.
fn machine_names(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for word in text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
        let lower = word.to_ascii_lowercase();
        let identifier =
            word.contains('_') && word.split('_').all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()));
        if identifier || MACHINE_WORDS.contains(&lower.as_str()) {
            found.push(word.to_owned());
        }
    }
    found
}

#[test]
fn machine_names_are_found() {
    assert_eq!(machine_names("门店 B001 bank_card 现金"), vec!["bank_card"]);
    assert_eq!(machine_names("类型: no_receipt; Cash ¥1.00"), vec!["no_receipt", "Cash"]);
    assert!(machine_names("Tillpoint 总部 B001-01-000042 ¥12.50 Z 报表号 English").is_empty());
}

/// Yuan as the console prints them (`¥1,234.50` or `-¥3.00`), in fen.
fn fen(text: &str) -> i64 {
    let neg = text.contains('-');
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    let v: i64 = digits.parse().unwrap_or_else(|_| panic!("an amount in {text:?}"));
    if neg { -v } else { v }
}

#[test]
fn every_report_chart_and_sale_reads_in_chinese_and_the_dashboard_adds_up() {
    let hq = Hq::start();
    let mut t = TestTill::enrol(&hq, &hq.code(0, 0));
    t.open_shift(CASHIER);
    let gold = hq.demo.members[0].clone();
    let gold_id = MemberIdentifier::Code(MemberCode::parse(&gold.code).expect("code"));

    // 1. Cash.
    let first = t.barcode(0);
    t.till.scan(&first).expect("scan");
    let due = t.till.view().expect("view").expect("sale").cash_due;
    t.till.add_cash(due).expect("cash");
    let s1 = t.till.complete(false).expect("complete").sale;
    // 2. The gold member pays with points, stored value, a bank card and cash.
    t.till.attach_member(gold_id.clone()).expect("member");
    for n in 1..4 {
        let code = t.barcode(n);
        t.till.scan(&code).expect("scan");
    }
    t.till.add_points(Money(100)).expect("points");
    t.till.add_stored_value(Money(500)).expect("stored value");
    t.till.add_card(Money(300), "POS-REF-1").expect("card");
    let rest = t.till.view().expect("view").expect("sale").cash_due;
    t.till.add_cash(rest).expect("cash");
    let s2 = t.till.complete(false).expect("complete").sale;
    // 3. Cash again, for the void.
    t.till.scan(&first).expect("scan");
    let due = t.till.view().expect("view").expect("sale").cash_due;
    t.till.add_cash(due).expect("cash");
    let s3 = t.till.complete(false).expect("complete").sale;

    // A partial return of sale 2, the void of sale 3, and a return without a receipt.
    let ok = t.till.approve(ApprovalAction::Refund, MANAGER.0, MANAGER.1).expect("approval");
    let (r1, _) = t
        .till
        .complete_return(&s2.receipt_no, &[ReturnPick { line: 0, qty: Qty::ONE }], "顾客退货", Some(ok))
        .expect("return");
    let ok = t.till.approve(ApprovalAction::VoidSale, MANAGER.0, MANAGER.1).expect("approval");
    let (r2, _) = t.till.void_sale(&s3.receipt_no, "收错了", Some(ok)).expect("void");
    let ok = t.till.approve(ApprovalAction::ReturnWithoutReceipt, MANAGER.0, MANAGER.1).expect("approval");
    let (r3, _) = t
        .till
        .return_without_receipt(s1.lines[0].item.product_id, Qty::ONE, RefundTo::Cash, "无小票", Some(ok))
        .expect("no-receipt return");
    t.start_sync();
    t.wait_pushed(Duration::from_secs(30));

    // The figures as the till made them: sales before refunds, what went back, what stayed.
    let sales: i64 = [&s1, &s2, &s3].iter().map(|s| s.totals.due.0).sum();
    let refunds: i64 = [&r1, &r2, &r3].iter().map(|r| (r.total + r.rounding).0).sum();
    assert!(refunds > 0 && refunds < sales, "{refunds} of {sales}");

    let base = hq.url();
    let day = s1.business_day;
    hq.rt.block_on(async {
        let b = Browser::start().await;
        b.sign_in(&base, "admin", hq_server::demo::ADMIN_PASSWORD).await;
        b.client.goto(&format!("{base}/console/lang?to=zh-CN")).await.expect("goto");
        let range = format!("from={day}&to={day}");

        // The dashboard: sales, refunds and net, each labelled, and the tender mix is the net.
        b.client.goto(&format!("{base}/console?{range}")).await.expect("goto");
        let card = |id: &'static str| {
            let b = &b;
            async move {
                let text = b.text(&format!("#{id} b")).await;
                fen(&text)
            }
        };
        assert_eq!(card("card-sales").await, sales, "sales before refunds");
        assert_eq!(card("card-refunds").await, refunds, "refunds paid back");
        assert_eq!(card("card-net").await, sales - refunds, "net");
        assert_eq!(fen(&b.text("#tender-mix .total").await), sales - refunds, "the tender mix is the net");
        assert!(b.text("#card-sales").await.contains("退货前"), "the sales card says it is before refunds");
        assert!(b.text("#tender-mix figcaption").await.contains("扣除退货"), "the chart says what it shows");

        // Every page a person reads: no machine names.
        let mut pages = vec![
            format!("/console?{range}"),
            format!("/console/branches/{}/days?{range}", hq.demo.branches[0].id.0),
            format!("/console/branches/{}/days/{day}", hq.demo.branches[0].id.0),
            format!("/console/sales/{}/{}", hq.demo.branches[0].id.0, s2.receipt_no),
            format!("/console/members/{}", gold.id),
            format!("/console/branches/{}", hq.demo.branches[0].id.0),
            format!("/console/tills/{}", hq.demo.branches[0].tills[0].id.0),
            "/console/policy".to_owned(),
            "/console/complaints".to_owned(),
            "/console/complaints/1".to_owned(),
            "/console/complaints/3".to_owned(),
            "/console/complaints/report".to_owned(),
            "/console/complaints/categories".to_owned(),
        ];
        for kind in hq_server::reports::ReportKind::ALL {
            pages.push(format!("/console/finance?kind={}&{range}", kind.code()));
        }
        for page in &pages {
            b.client.goto(&format!("{base}{page}")).await.expect("goto");
            let text = b.text("main").await;
            assert!(!text.trim().is_empty(), "{page} is empty");
            let found = machine_names(&text);
            assert!(found.is_empty(), "{page} shows machine names {found:?}:\n{text}");
        }
        // What the reports hold is there in words: the tender mix's and the refunds' kinds.
        b.client.goto(&format!("{base}/console/finance?kind=tenders&{range}")).await.expect("goto");
        let tenders = b.text("main").await;
        for word in ["现金", "银行卡", "储值", "积分抵扣"] {
            assert!(tenders.contains(word), "{word} in {tenders}");
        }
        b.client.goto(&format!("{base}/console/finance?kind=refunds_and_voids&{range}")).await.expect("goto");
        let refunds_page = b.text("main").await;
        for word in ["退货", "作废", "无小票退货"] {
            assert!(refunds_page.contains(word), "{word} in {refunds_page}");
        }
        b.quit().await;
    });

    // The CSV export keeps the machine names: it is for other programs.
    let csv = hq.rt.block_on(async {
        let http = reqwest::Client::new();
        let signed = http
            .post(format!("{base}/api/v1/session"))
            .json(&serde_json::json!({"username": "admin", "password": hq_server::demo::ADMIN_PASSWORD}))
            .send()
            .await
            .expect("sign in");
        let cookie = signed.headers().get("set-cookie").expect("cookie").to_str().expect("ascii").to_owned();
        http.get(format!("{base}/api/v1/reports/tenders?format=csv&from={day}&to={day}"))
            .header("cookie", cookie.split(';').next().expect("pair"))
            .send()
            .await
            .expect("csv")
            .text()
            .await
            .expect("body")
    });
    assert!(csv.starts_with("tender,taken,paid_back,net,points_used"), "{csv}");
    assert!(csv.contains("bank_card") && csv.contains("stored_value"), "{csv}");
}
