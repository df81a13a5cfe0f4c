//! A count (盘点) in the web console, in a real browser against a real HQ, with a real till of the
//! branch selling while it runs: the branch manager starts the count, the till sells three of a
//! product before the counter reaches its shelf and one after, the counter enters what the shelf
//! holds (blind: the page shows no expected figure), the manager looks at the expected figures and
//! posts. The three sold before the shelf was counted are no variance; the one missing is, in
//! money; HQ's on hand afterwards is the shelf less the one sold since.

use std::time::Duration;

use reqwest::Method;
use serde_json::json;
use shared::money::Money;
use tests::browser::Browser;
use tests::*;

const LIMIT: Duration = Duration::from_secs(60);

/// Sells `n` of the product with `code` at the till, as one sale, and waits until HQ has it.
fn sell(till: &mut TestTill, code: &str, n: usize) {
    for _ in 0..n {
        till.till.scan(code).expect("scan");
    }
    till.till.add_cash(Money(100_000)).expect("cash");
    till.till.complete(false).expect("complete");
    till.wait_pushed(LIMIT);
}

/// A branch and product's (on hand, average cost).
fn level(hq: &Hq, cookie: &str, branch: i64, product: i64) -> (i64, i64) {
    let (status, r) = hq.api(cookie, Method::GET, &format!("/api/v1/stock/{branch}/{product}"), None);
    assert_eq!(status, 200, "{r}");
    (r["level"]["on_hand"].as_i64().expect("on hand"), r["level"]["avg_cost"].as_i64().expect("cost"))
}

#[test]
fn a_branch_counted_in_the_console_while_its_till_sells_finds_only_what_is_missing() {
    let hq = Hq::start();
    let admin = hq.sign_in("admin", hq_server::demo::ADMIN_PASSWORD);
    let branch = hq.demo.branches[0].clone();
    let mut till = TestTill::enrol(&hq, &hq.code(0, 0));
    let code = till.barcode(0);
    let (status, found) = hq.api(&admin, Method::GET, &format!("/api/v1/products?q={code}"), None);
    assert_eq!(status, 200);
    let product = found[0]["id"].as_i64().expect("product");
    // 40 arrive at ¥1.50; the branch holds whatever the demo left plus these.
    let lines = json!([{"product_id": product, "qty": 40_000, "unit_cost": 150}]);
    let (status, r) =
        hq.api(&admin, Method::POST, "/api/v1/stock/receipts", Some(json!({"branch_id": branch.id.0, "lines": lines})));
    assert_eq!(status, 201, "{r}");
    till.open_shift(CASHIER);
    till.start_sync();
    let (start, cost) = level(&hq, &admin, branch.id.0, product);

    let base = hq.url();
    let b = Browser::start();
    let b = hq.rt.block_on(b);
    let count = hq.rt.block_on(async {
        b.sign_in(&base, &branch.manager_username, hq_server::demo::MANAGER_PASSWORD).await;
        b.client.goto(&format!("{base}/console/stock/counts")).await.expect("goto");
        b.click("#start").await;
        let path = b.path().await;
        path.trim_start_matches("/console/stock/counts/").parse::<i64>().unwrap_or_else(|_| panic!("{path}"))
    });

    // Three sold before the counter reaches the shelf.
    sell(&mut till, &code, 3);
    let shelf = start - 3_000 - 1_000; // one has gone missing from the shelf
    hq.rt.block_on(async {
        b.fill("#count-lines", &format!("{code} {}", shelf / 1000)).await;
        b.fill("#counter", "张三").await;
        b.click("#enter").await;
        b.wait_for("#entered").await;
        let sheet = b.text("#count-sheet").await;
        assert!(sheet.contains("张三"), "{sheet}");
        assert!(b.client.find(fantoccini::Locator::Css("td.expected")).await.is_err(), "blind: nothing expected shown");
    });
    // One more sold after the shelf was counted.
    sell(&mut till, &code, 1);

    let net = hq.rt.block_on(async {
        b.click("#show-expected").await;
        let row = b.text(&format!("#count-sheet tr[data-product=\"{product}\"]")).await;
        assert!(row.contains("-3") && row.contains("-1"), "moved since −3, variance −1: {row}");
        b.click_confirmed("#post").await;
        b.wait_for("#count-posted").await;
        let net = b.text("#report-net").await;
        b.quit().await;
        net
    });
    assert_eq!(net, Money(-cost).to_string(), "one missing, at the average cost");

    let (status, report) = hq.api(&admin, Method::GET, &format!("/api/v1/stock/counts/{count}?blind=false"), None);
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["count"]["status"], "posted");
    let line = report["lines"].as_array().expect("lines").iter().find(|l| l["product_id"] == product).expect("line");
    assert_eq!((line["moved_since"].as_i64(), line["variance"].as_i64()), (Some(-3_000), Some(-1_000)), "{line}");
    assert_eq!(level(&hq, &admin, branch.id.0, product).0, shelf - 1_000, "the shelf less the one sold since");
}
