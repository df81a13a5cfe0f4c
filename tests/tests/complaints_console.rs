//! Complaints (投诉) in the web console, in a real browser against a real HQ on a manual clock
//! (00:30 in Shanghai, when the business day and the date differ): a branch manager records a
//! complaint through the form (without a category first: refused with the reason, what was typed
//! kept, nothing written), then takes it from open to closed with the buttons of its page; the
//! page's history lists every change with who made it, and HQ holds what the page said. The
//! demo chain's overdue complaint is on the dashboard.

use hq_server::model::ComplaintFilter;
use hq_server::store::ComplaintStore as _;
use tests::Hq;
use tests::browser::Browser;

#[test]
fn a_branch_manager_takes_a_complaint_from_open_to_closed_in_the_console() {
    let half_past_midnight: jiff::Timestamp = "2026-11-30T16:30:00Z".parse().expect("time");
    let hq = Hq::start_at(hq_server::demo::DemoOptions::small(), hq_server::Clock::manual(half_past_midnight));
    let branch = hq.demo.branches[0].clone();
    let member = hq.demo.members[2].clone();
    let all = |hq: &Hq| {
        let f = ComplaintFilter { limit: 500, ..ComplaintFilter::default() };
        hq.store().list_complaints(&f, half_past_midnight).expect("complaints")
    };
    let before = all(&hq).len();
    let base = hq.url();
    let id = hq.rt.block_on(async {
        let b = Browser::start().await;
        b.sign_in(&base, &branch.manager_username, hq_server::demo::MANAGER_PASSWORD).await;
        // The dashboard shows the demo's overdue complaint of this branch.
        let overdue = b.text("#overdue-complaints").await;
        assert!(overdue.contains(&branch.code), "{overdue}");

        b.client.goto(&format!("{base}/console/complaints")).await.expect("goto");
        b.fill("#new-complaint input[name=member]", &member.phone).await;
        b.fill("#new-complaint input[name=receipt_no]", &format!("{}-01-000001", branch.code)).await;
        b.fill("#new-complaint textarea[name=text]", "结账排队太久，无人加开收银台").await;
        b.click("#record-complaint").await;
        let refused = b.text("#complaint-error").await;
        assert!(refused.starts_with("category"), "the reason names the category: {refused}");
        assert_eq!(b.value("#new-complaint textarea[name=text]").await, "结账排队太久，无人加开收银台");
        assert_eq!(b.value("#new-complaint input[name=member]").await, member.phone);

        b.set_value("#new-complaint select[name=category]", "2").await;
        b.click("#record-complaint").await;
        let path = b.path().await;
        let id: i64 = path.trim_start_matches("/console/complaints/").parse().unwrap_or_else(|_| panic!("{path}"));
        assert!(!b.text("#complaint-state").await.is_empty());
        b.click("#action-assign").await;
        assert!(!b.text("#complaint-assignee").await.is_empty());
        b.click("#action-start").await;
        b.fill("textarea[name=resolution]", "已加开两台收银机，向顾客致歉").await;
        b.click("#action-resolve").await;
        assert_eq!(b.text("#complaint-resolution").await, "已加开两台收银机，向顾客致歉");
        b.click("#action-close").await;
        let history = b.text("#complaint-history").await;
        let who = format!(":{}", branch.manager_username);
        assert_eq!(history.matches(&who).count(), 5, "every change with who made it: {history}");
        assert!(b.client.find(fantoccini::Locator::Css("#action-close")).await.is_err(), "no change left but reopen");
        b.quit().await;
        id
    });
    let complaints = all(&hq);
    assert_eq!(complaints.len(), before + 1, "one complaint: the refused form wrote nothing");
    let d = hq.store().complaint(id, half_past_midnight).expect("complaint");
    let c = &d.complaint;
    assert_eq!(c.state.code(), "closed");
    assert_eq!((c.branch_id, c.member_id), (branch.id, Some(member.id)));
    assert_eq!(c.receipt_no.as_deref(), Some(&*format!("{}-01-000001", branch.code)));
    assert_eq!(c.category_name, hq_server::demo_complaints::CATEGORIES[1].0);
    assert_eq!(c.resolution.as_deref(), Some("已加开两台收银机，向顾客致歉"));
    let actions: Vec<&str> = d.history.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["create", "assign", "start", "resolve", "close"]);
}
