//! Complaints taken at a till (投诉, the manager's menu) against a real HQ on loopback: the till
//! pulls HQ's categories at enrolment, takes two complaints while HQ is down (one about a sale
//! with its member and receipt), and once HQ is back the sync task sends them: HQ has the first
//! exactly once, for the till's branch, member and receipt, and refuses the second, whose category
//! HQ deactivated meanwhile; the till keeps that refusal with HQ's reason. Sent again under its
//! request id, the first is answered with the same complaint.

use std::time::Duration;

use hq_server::model::{Actor, ComplaintCategory, ComplaintFilter, ComplaintSource};
use hq_server::store::ComplaintStore as _;
use pos_app::engine::{ComplaintDraft, ComplaintStatus};
use pos_app::store::Store;
use shared::catalog::MemberCode;
use shared::member::MemberIdentifier;
use shared::money::Money;
use tests::*;

fn hq_complaints(hq: &Hq) -> Vec<hq_server::model::Complaint> {
    let f = ComplaintFilter { limit: 500, ..ComplaintFilter::default() };
    hq.store().list_complaints(&f, jiff::Timestamp::now()).expect("HQ's complaints")
}

#[test]
fn complaints_taken_offline_reach_hq_once_and_a_refusal_is_kept_at_the_till() {
    let mut hq = Hq::start();
    let branch = hq.demo.branches[0].clone();
    let member = hq.demo.members[0].clone();
    let mut t = TestTill::enrol(&hq, &hq.code(0, 0));
    t.open_shift(CASHIER);

    // The categories came with the enrolment: HQ's active ones.
    let active: Vec<(i64, String)> = hq
        .store()
        .complaint_categories()
        .expect("HQ's categories")
        .into_iter()
        .filter(|c| c.active)
        .map(|c| (c.id, c.name))
        .collect();
    let form = t.till.complaint_form().expect("form");
    let pulled: Vec<(i64, String)> = form.categories.iter().map(|c| (c.id, c.name.clone())).collect();
    assert_eq!(pulled, active);
    let (quality, service) = (active[0].0, active[1].0);

    // A sale to the member, then HQ goes down.
    let code = MemberCode::parse(&member.code).expect("the demo member's code");
    t.till.attach_member(MemberIdentifier::Code(code)).expect("the member");
    t.till.scan(&t.barcode(0)).expect("scan");
    t.till.add_cash(Money(100_000)).expect("cash");
    let receipt = t.till.complete(false).expect("complete").sale.receipt_no.to_string();
    t.till.attach_member(MemberIdentifier::Code(MemberCode::parse(&member.code).expect("code"))).expect("member");
    hq.stop();

    let form = t.till.complaint_form().expect("form");
    assert_eq!(form.last_receipt.as_deref(), Some(&*receipt));
    let on_sale = form.member.as_ref().map(|(id, _)| *id);
    assert_eq!(on_sale, Some(member.id));
    let first = t
        .till
        .record_complaint(&ComplaintDraft {
            category: quality,
            receipt_no: form.last_receipt.clone(),
            member: on_sale,
            text: "顾客说买的牛奶已经过期".into(),
        })
        .expect("kept while HQ is down");
    let second = t
        .till
        .record_complaint(&ComplaintDraft {
            category: service,
            receipt_no: None,
            member: None,
            text: "收银台排队太久".into(),
        })
        .expect("kept while HQ is down");

    t.start_sync();
    t.wait_status("the complaints to wait while HQ is down", Duration::from_secs(60), |s| {
        !s.online && s.complaints_waiting == 2
    });
    // HQ deactivates the second one's category meanwhile.
    let store = hq.store();
    let off = store.complaint_categories().expect("categories").into_iter().find(|c| c.id == service).expect("it");
    store.update_complaint_category(&Actor::system(), ComplaintCategory { active: false, ..off }).expect("deactivated");
    drop(store);
    let before = hq_complaints(&hq).len();
    hq.restart();
    t.wait_status("the complaints to be answered", Duration::from_secs(60), |s| s.online && s.complaints_waiting == 0);

    // HQ has the first once, as the till took it.
    let all = hq_complaints(&hq);
    assert_eq!(all.len(), before + 1, "the refused one wrote nothing at HQ");
    let ours: Vec<_> = all.iter().filter(|c| c.text == "顾客说买的牛奶已经过期").collect();
    assert_eq!(ours.len(), 1, "once");
    let c = ours[0];
    assert_eq!((c.branch_id, c.member_id, c.receipt_no.as_deref()), (branch.id, Some(member.id), Some(&*receipt)));
    assert_eq!((c.category_id, c.source), (quality, ComplaintSource::Till));
    assert_eq!(c.created_by, format!("till:{}", t.till.identity().till.0));

    // The till: the first sent under HQ's id, the second refused with HQ's reason, kept.
    let kept = t.till.complaints(10).expect("the till's complaints");
    assert_eq!(kept.len(), 2);
    assert_eq!((kept[0].body.request_id, &kept[0].status), (first.request_id, &ComplaintStatus::Sent { hq_id: c.id }));
    assert_eq!(kept[1].body.request_id, second.request_id);
    assert!(
        matches!(&kept[1].status, ComplaintStatus::Rejected(why) if why.contains("category")),
        "{:?}",
        kept[1].status
    );
    let refused = t.till.rejected_complaints(10).expect("refusals");
    assert_eq!(refused.len(), 1);
    assert!(refused[0].reason.contains(&service.to_string()), "{:?}", refused[0]);
    // The deactivated category is gone from the till's list with the next pull of categories.
    let offered: Vec<i64> = t.till.complaint_form().expect("form").categories.iter().map(|k| k.id).collect();
    assert!(!offered.contains(&service) && offered.contains(&quality), "{offered:?}");

    // Sent again under its request id (an answer lost on the way back): the same complaint.
    let client = pos_app::sync::client_for(&Store::open(&t.path).expect("store"), Default::default()).expect("client");
    let again = hq.rt.block_on(client.send_complaint(&kept[0].body)).expect("HQ answers");
    assert_eq!(again, c.id);
    assert_eq!(hq_complaints(&hq).iter().filter(|c| c.text == "顾客说买的牛奶已经过期").count(), 1);
}
