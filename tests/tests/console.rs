//! The web console in a real browser (headless Chromium through chromedriver) against a real HQ
//! on loopback: sign in, drill down from the dashboard to a sale a till made, change the earn rate
//! with its preview, a CSV import with a bad row, and a branch manager kept to their branch.

use std::time::Duration;

use hq_server::demo::ADMIN_PASSWORD;
use hq_server::store::{CatalogStore as _, PolicyStore as _};
use shared::catalog::MemberCode;
use shared::member::MemberIdentifier;
use tests::browser::Browser;
use tests::*;

#[test]
fn hq_staff_drill_down_from_the_dashboard_to_a_sale() {
    // 00:30 in Shanghai: the hour at which HQ's "today" used to disagree with the till's.
    let half_past_midnight = jiff::civil::date(2026, 11, 28).at(0, 30, 0, 0).in_tz("Asia/Shanghai").expect("zone");
    let hq =
        Hq::start_at(hq_server::demo::DemoOptions::small(), hq_server::Clock::manual(half_past_midnight.timestamp()));
    let mut t = TestTill::enrol(&hq, &hq.code(0, 0));
    t.open_shift(CASHIER);
    let gold = hq.demo.members[0].clone();
    t.till.attach_member(MemberIdentifier::Code(MemberCode::parse(&gold.code).expect("code"))).expect("member");
    for n in 0..3 {
        let code = t.barcode(n);
        t.till.scan(&code).expect("scan");
    }
    let due = t.till.view().expect("view").expect("sale").cash_due;
    t.till.add_cash(due).expect("cash");
    let done = t.till.complete(false).expect("complete");
    let points = done.sale.member.as_ref().expect("member").points_earned;
    t.start_sync();
    t.wait_pushed(Duration::from_secs(30));

    let base = hq.url();
    let receipt = done.sale.receipt_no.to_string();
    let day = done.sale.business_day.to_string();
    hq.rt.block_on(async {
        let b = Browser::start().await;
        // Not signed in: the console sends you to sign in.
        b.client.goto(&format!("{base}/console")).await.expect("goto");
        assert_eq!(b.path().await, "/console/login");
        b.sign_in(&base, "admin", "wrong password").await;
        assert!(b.text("#login-error").await.contains("Wrong username or password"));
        b.sign_in(&base, "admin", ADMIN_PASSWORD).await;
        assert_eq!(b.path().await, "/console");
        // Today's one sale, no refund.
        let due = done.sale.totals.due.to_string();
        assert_eq!(b.text("#card-sales b").await, due);
        assert_eq!(b.text("#card-refunds b").await, "¥0.00");
        assert_eq!(b.text("#card-net b").await, due);
        assert_eq!(b.text("#card-count b").await, "1");
        assert!(b.source().await.contains("<svg"), "the charts are drawn");

        // Branch → its days → the day's tills and shifts → the sale.
        b.click("#branches a").await;
        assert!(b.path().await.ends_with("/days"), "{}", b.path().await);
        b.follow(&day).await;
        b.follow(&receipt).await;
        assert_eq!(b.text("#sale-due").await, done.sale.totals.due.to_string());
        assert!(b.text("#sale-points").await.contains(&format!("+{points}")));
        b.quit().await;
    });
}

#[test]
fn marketing_previews_and_saves_a_new_earn_rate_and_a_forged_form_is_refused() {
    let hq = Hq::start();
    let before = hq.store().current_policy().expect("policy");
    let base = hq.url();
    hq.rt.block_on(async {
        // A form posted without the session's CSRF token changes nothing.
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
        let signed = http
            .post(format!("{base}/console/login"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("username=marketing&password=tillpoint-marketing")
            .send()
            .await
            .expect("sign in");
        let cookie = signed.headers().get("set-cookie").expect("cookie").to_str().expect("ascii").to_owned();
        let session = cookie.split(';').next().expect("pair").to_owned();
        let forged = http
            .post(format!("{base}/console/policy"))
            .header("cookie", &session)
            .header("content-type", "application/x-www-form-urlencoded")
            .body("earn_per_yuan=0&action=save")
            .send()
            .await
            .expect("answered");
        assert_eq!(forged.status(), 403);
        // The catalog as CSV, in the format the import reads.
        let csv = http
            .get(format!("{base}/console/catalog/export"))
            .header("cookie", &session)
            .send()
            .await
            .expect("answered");
        assert_eq!(csv.status(), 200);
        let text = csv.text().await.expect("body");
        assert!(text.starts_with("code,"), "{}", &text[..text.len().min(200)]);
        assert_eq!(text.lines().count() as u64, 1 + hq.demo.products);

        let b = Browser::start().await;
        b.sign_in(&base, "marketing", "tillpoint-marketing").await;
        // A tier with a threshold that is not an amount is refused with its reason, nothing saved,
        // and the form comes back as typed.
        b.client.goto(&format!("{base}/console/policy")).await.expect("goto");
        b.fill("#tiers tbody tr:nth-child(2) input[name=tier_threshold]", "abc").await;
        b.click("#save").await;
        assert!(b.text("#policy-error").await.contains("tier 2"), "the reason is shown");
        let typed = b.client.find(fantoccini::Locator::Css("#tiers tbody tr:nth-child(2) input[name=tier_threshold]"));
        assert_eq!(typed.await.expect("field").prop("value").await.expect("value").as_deref(), Some("abc"));
        b.client.goto(&format!("{base}/console/policy")).await.expect("goto");
        b.fill("#earn", "300").await;
        b.click("#preview").await;
        // A ¥100 sale at 3 points a yuan: ×1, ×1.2 and ×1.5 by tier, twice that in the birthday month.
        let table = b.text("#preview-table").await;
        let rows: Vec<&str> = table.lines().skip(1).collect();
        assert_eq!(rows, ["普通会员 300 600", "银卡会员 360 720", "金卡会员 450 900"], "{table}");
        assert_eq!(hq.store().current_policy().expect("policy").version, before.version, "a preview saves nothing");
        // A double-points weekend in the campaigns' blank row, saved with the new earn rate.
        b.fill("#campaigns tbody tr:last-child input[name=campaign_name]", "双倍积分周末").await;
        b.set_value("#campaigns tbody tr:last-child input[name=campaign_from]", "2026-12-05").await;
        b.set_value("#campaigns tbody tr:last-child input[name=campaign_to]", "2026-12-06").await;
        b.fill("#campaigns tbody tr:last-child input[name=campaign_multiplier]", "20000").await;
        b.click("#save").await;
        assert!(!b.text("#saved").await.is_empty());
        // The new version heads the history, which says what each version was and who made it.
        let newest = b.text("#versions tbody tr:first-child").await;
        assert!(newest.starts_with(&(before.version + 1).to_string()), "{newest}");
        assert!(newest.contains("300") && newest.contains("marketing"), "{newest}");
        assert!(newest.contains(&before.tiers.tiers()[0].name), "{newest}");

        // Members from CSV: a bad phone number keeps the whole file out; the fixed file goes in.
        let dir = tempfile::tempdir().expect("dir");
        let upload = |body: &str| {
            let path = dir.path().join(format!("members-{}.csv", body.len()));
            std::fs::write(&path, body).expect("csv");
            path.display().to_string()
        };
        let bad = upload("code,phone,name\n,13700000001,王五\n,12345,赵六\n");
        let good = upload("code,phone,name\n,13700000001,王五\n,13700000002,赵六\n");
        for (file, bad_file) in [(bad, true), (good, false)] {
            b.client.goto(&format!("{base}/console/members")).await.expect("goto");
            b.client
                .find(fantoccini::Locator::Css("#import input[type=file]"))
                .await
                .expect("file input")
                .send_keys(&file)
                .await
                .expect("choose file");
            b.click("#import button[type=submit]").await;
            b.wait_for("#import-result").await;
            let result = b.text("#import-result").await;
            if bad_file {
                assert!(b.text("#bad-rows").await.lines().any(|l| l.starts_with('3')), "{result}");
            } else {
                assert!(result.contains("2 created"), "{result}");
            }
        }
        b.quit().await;
    });
    let versions = hq.store().list_policies().expect("versions");
    let last = versions.first().expect("the newest version");
    assert_eq!(last.policy.version, before.version + 1);
    assert_eq!(last.policy.earn.earn_per_yuan, 300);
    let weekend = last.policy.earn.campaigns.last().expect("the new campaign");
    assert_eq!(
        (weekend.name.as_str(), weekend.from.to_string(), weekend.to.to_string()),
        ("双倍积分周末", "2026-12-05".into(), "2026-12-06".into())
    );
    assert_eq!(weekend.multiplier.0, 20_000);
    assert_eq!(last.policy.earn.campaigns.len(), before.earn.campaigns.len() + 1);
    assert_eq!(last.policy.tiers, before.tiers, "the tiers came back as they were");
    assert_eq!(last.policy.topup_rules, before.topup_rules);
    assert!(last.created_by.contains("marketing"), "{}", last.created_by);
}

#[test]
fn a_csv_with_a_bad_row_is_reported_and_a_manager_stays_in_their_branch() {
    let hq = Hq::start();
    let products_before = hq.store().count_products().expect("count");
    let category = hq.store().list_categories().expect("categories")[0].code.clone();
    let dir = tempfile::tempdir().expect("dir");
    let csv = dir.path().join("products.csv");
    std::fs::write(
        &csv,
        format!(
            "code,name,category,unit,retail_price,vat\nNEW-1,新商品一,{category},个,3.50,13\nNEW-2,新商品二,{category},个,abc,13\n"
        ),
    )
    .expect("csv");
    let base = hq.url();
    let (own, other) = (hq.demo.branches[0].id.0, hq.demo.branches[1].id.0);
    let pid = hq.store().list_products(0, 1, None).expect("products")[0].id.0;
    // A sale at each branch, of different amounts, so a page's figures say whose they are.
    let mut dues = Vec::new();
    for (branch, lines) in [(0, 1), (1, 3)] {
        let mut t = TestTill::enrol(&hq, &hq.code(branch, 0));
        t.open_shift(CASHIER);
        for n in 0..lines {
            let code = t.barcode(n);
            t.till.scan(&code).expect("scan");
        }
        let due = t.till.view().expect("view").expect("sale").cash_due;
        t.till.add_cash(due).expect("cash");
        dues.push(t.till.complete(false).expect("complete").sale.totals.due.to_string());
        t.start_sync();
        t.wait_pushed(Duration::from_secs(30));
    }
    assert_ne!(dues[0], dues[1]);
    hq.rt.block_on(async {
        let b = Browser::start().await;
        b.sign_in(&base, "admin", ADMIN_PASSWORD).await;
        b.client.goto(&format!("{base}/console/catalog")).await.expect("goto");
        b.client
            .find(fantoccini::Locator::Css("#import input[type=file]"))
            .await
            .expect("file input")
            .send_keys(&csv.display().to_string())
            .await
            .expect("choose file");
        b.click("#import button[type=submit]").await;
        // The import runs as a job; its page shows the progress, then what it did.
        let job = b.path().await;
        assert!(job.starts_with("/console/jobs/"), "{job}");
        b.wait_for("#import-result").await;
        let page = b.source().await;
        assert!(page.contains("bad-rows"), "{page}");
        let report = b.text("#bad-rows").await;
        assert!(report.lines().any(|l| l.starts_with('3')), "line 3 is reported: {report}");
        assert!(report.contains("retail_price") || report.contains("price"), "{report}");

        // Delist a product and give Beijing its own price.
        b.client.goto(&format!("{base}/console/products/{pid}")).await.expect("goto");
        b.client
            .find(fantoccini::Locator::Css("#product-form select[name=status]"))
            .await
            .expect("status")
            .select_by_value("delisted")
            .await
            .expect("choose");
        b.click("#product-form button[type=submit]").await;
        assert!(!b.text("#saved").await.is_empty());
        b.fill("#branch-prices tr:nth-child(2) input[name=price]", "9.90").await;
        b.click("#branch-prices tr:nth-child(2) button").await;
        assert!(b.text("#branch-prices").await.contains("¥9.90"));
        let delisted = hq.store().get_product(shared::catalog::ProductId(pid)).expect("product");
        assert_eq!(delisted.status, shared::catalog::ProductStatus::Delisted);

        // A branch manager: their branch, and not another one's, even by URL.
        let m = Browser::start().await;
        m.sign_in(&base, "mgr-b001", "tillpoint-manager").await;
        m.client.goto(&format!("{base}/console/branches/{own}")).await.expect("goto");
        assert!(m.source().await.contains("id=\"tills\""));
        m.client.goto(&format!("{base}/console/branches/{other}")).await.expect("goto");
        let page = m.source().await;
        assert!(page.contains("Not found, or not yours to see") && !page.contains("id=\"tills\""));
        m.client.goto(&format!("{base}/console/branches/{other}/days")).await.expect("goto");
        assert!(m.source().await.contains("Not found, or not yours to see"));
        m.client.goto(&format!("{base}{job}")).await.expect("goto");
        assert!(m.source().await.contains("Not found, or not yours to see"), "another user's job");
        m.client.goto(&format!("{base}/console/audit")).await.expect("goto");
        assert!(m.source().await.contains("Your role may not do this"));
        m.client.goto(&format!("{base}/console/users")).await.expect("goto");
        assert!(m.source().await.contains("Your role may not do this"));

        // The admin opens a new branch.
        b.client.goto(&format!("{base}/console/branches")).await.expect("goto");
        b.fill("#add-branch input[name=code]", "B099").await;
        b.fill("#add-branch input[name=name]", "测试新店").await;
        b.click("#add-branch button[type=submit]").await;
        assert!(b.text("#branch-list").await.contains("B099"));

        // The admin adds a user from the users page.
        b.client.goto(&format!("{base}/console/users")).await.expect("goto");
        b.fill("#add-user input[name=username]", "auditor").await;
        b.fill("#add-user input[name=display_name]", "审计员").await;
        b.fill("#add-user input[name=password]", "a-long-enough-password").await;
        b.click("#add-user button[type=submit]").await;
        assert!(b.text("#users").await.contains("auditor"));
        // The dashboard with the other branch in its address stays on theirs: their own sale's
        // figures and their branch's row, where the admin sees the other branch's.
        let dashboard = format!("{base}/console?branch={other}");
        m.client.goto(&dashboard).await.expect("goto");
        assert_eq!((m.text("#card-sales b").await, m.text("#card-count b").await), (dues[0].clone(), "1".to_owned()));
        let rows = m.text("#branches tbody").await;
        assert_eq!(rows.lines().count(), 1, "{rows}");
        assert!(rows.starts_with(&format!("{} ", hq.demo.branches[0].code)), "{rows}");
        b.client.goto(&dashboard).await.expect("goto");
        assert_eq!((b.text("#card-sales b").await, b.text("#card-count b").await), (dues[1].clone(), "1".to_owned()));
        m.quit().await;
        b.quit().await;
    });
    assert_eq!(hq.store().count_products().expect("count"), products_before, "nothing was imported");
}

/// Retakes `docs/console-dashboard.png`: the demo chain with its two weeks of past sales, as HQ's
/// admin sees it. Run by `docs/screenshots.sh` (`cargo test -p tests --test console -- --ignored`).
#[test]
#[ignore = "writes the README's screenshot; run by docs/screenshots.sh"]
fn dashboard_screenshot() {
    let hq = Hq::start_with(hq_server::demo::DemoOptions::default());
    assert!(hq.demo.history_sales > 0);
    let base = hq.url();
    let from = hq.today() - jiff::SignedDuration::from_hours(24 * 14);
    hq.rt.block_on(async {
        let b = Browser::start().await;
        b.sign_in(&base, "admin", ADMIN_PASSWORD).await;
        b.client.set_window_size(1360, 1560).await.expect("window size");
        b.client.goto(&format!("{base}/console/lang?to=zh-CN")).await.expect("in Chinese");
        b.client.goto(&format!("{base}/console?from={from}")).await.expect("goto");
        let png = b.client.screenshot().await.expect("screenshot");
        std::fs::write(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/console-dashboard.png"), png).expect("write");
        b.quit().await;
    });
}
