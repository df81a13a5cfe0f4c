//! Coupons in the web console, in a real browser against a real HQ: marketing creates a coupon
//! campaign through the form (a broken one first, refused with the field named, nothing created),
//! issues it to the members of a CSV file (a row HQ does not know is listed back with its reason),
//! and the member's page shows the coupon with its code; HQ holds what the pages said.

use hq_server::store::CouponStore as _;
use tests::Hq;
use tests::browser::Browser;

#[test]
fn marketing_creates_a_coupon_campaign_issues_it_from_a_csv_and_the_member_s_page_shows_it() {
    let hq = Hq::start();
    let gold = hq.demo.members[0].clone();
    let before = hq.store().list_campaigns().expect("campaigns").len();
    let base = hq.url();
    let dir = tempfile::tempdir().expect("dir");
    let csv = dir.path().join("members.csv");
    std::fs::write(&csv, format!("code,name\n{},{}\n0000000000,nobody\n", gold.code, gold.name)).expect("csv");
    hq.rt.block_on(async {
        let b = Browser::start().await;
        b.sign_in(&base, "marketing", "tillpoint-marketing").await;
        b.client.goto(&format!("{base}/console/coupons")).await.expect("goto");
        b.fill("#new-campaign input[name=name]", "满30减3").await;
        b.fill("#new-campaign input[name=min_spend]", "30").await;
        b.fill("#new-campaign input[name=off]", "3").await;
        b.fill("#new-campaign input[name=days]", "30").await;
        b.fill("#new-campaign input[name=offline_cap]", "10").await;
        // No goods chosen: refused with the field named, the form as typed, nothing created.
        b.click("#save-campaign").await;
        let page = b.source().await;
        assert!(page.contains("kind.scope"), "the refusal names the scope");
        assert_eq!(b.value("#new-campaign input[name=name]").await, "满30减3");
        // Every product: saved, and the campaign's own page opens.
        b.client
            .find(fantoccini::Locator::Css("#new-campaign input[name=all_products]"))
            .await
            .expect("the checkbox")
            .click()
            .await
            .expect("tick");
        b.click("#save-campaign").await;
        assert!(b.path().await.starts_with("/console/coupons/"), "{}", b.path().await);
        assert!(b.text("#campaign-status").await.trim().len() > 1);

        // Issue to the members of a CSV file: its text is read into the list.
        b.set_value("#issue select[name=audience]", "members").await;
        b.choose_file("#issue input[type=file]", &csv, "#issue-members", &gold.code).await;
        b.click("#issue-button").await;
        let result = b.text("#issue-result").await;
        assert!(result.contains('1'), "{result}");
        let refused = b.text("#issue-refused").await;
        assert!(refused.contains("0000000000"), "the unknown member is listed back: {refused}");
        b.quit().await;
    });
    let campaigns = hq.store().list_campaigns().expect("campaigns");
    assert_eq!(campaigns.len(), before + 1, "one campaign: the refused form created none");
    let created = campaigns.iter().find(|c| c.campaign.name == "满30减3").expect("the campaign");
    assert_eq!(created.campaign.offline_cap, Some(10));
    assert_eq!(created.counts.issued, 1);
    let coupon = hq
        .store()
        .member_coupons(gold.id)
        .expect("coupons")
        .into_iter()
        .find(|c| c.campaign_id == created.campaign.id.0)
        .expect("the member's coupon");

    // The member's page, as the branch's staff would look it up.
    hq.rt.block_on(async {
        let b = Browser::start().await;
        b.sign_in(&base, "admin", hq_server::demo::ADMIN_PASSWORD).await;
        b.client.goto(&format!("{base}/console/members/{}", gold.id)).await.expect("goto");
        let listed = b.text("#member-coupons").await;
        assert!(listed.contains(&coupon.code) && listed.contains("满30减3"), "{listed}");
        b.quit().await;
    });
}
