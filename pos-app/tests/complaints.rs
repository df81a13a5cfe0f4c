//! Complaints (投诉) taken at the till, over a real SQLite file: a complaint is on disk before
//! anything is sent, survives a restart, is answered once, and a refused entry writes nothing.
//! (Sending to a real HQ is `tests/tests/till_complaints.rs`.)

mod common;

use common::*;
use pos_app::engine::{ComplaintDraft, ComplaintStatus};
use pos_app::sync::{ComplaintVerdict, SyncError, complaint_verdict};
use pos_app::{Till, TillError};
use shared::complaints::Category;
use shared::ids::MemberId;
use shared::member::MemberIdentifier;

fn categories() -> Vec<Category> {
    vec![
        Category { id: 1, name: "商品质量".into(), due_hours: 48, active: true },
        Category { id: 2, name: "服务态度".into(), due_hours: 24, active: true },
    ]
}

/// A till logged in with a shift open, knowing HQ's complaint categories.
fn till() -> TestTill {
    let t = TestTill::ready();
    t.store().replace_complaint_categories(&categories()).expect("categories");
    t
}

fn draft(text: &str) -> ComplaintDraft {
    ComplaintDraft { category: 2, receipt_no: Some("b001-01-000007".into()), member: None, text: text.into() }
}

fn kept(till: &Till) -> usize {
    till.complaints(100).expect("complaints").len()
}

#[test]
fn a_complaint_is_on_disk_before_anything_is_sent_and_survives_a_restart() {
    let mut t = till();
    assert_eq!(t.till.complaint_form().expect("form").categories, categories());
    let queued = ok(t.till.record_complaint(&draft("  顾客说找零少了五元  ")));
    assert_eq!((queued.category.as_str(), queued.waiting), ("服务态度", 1));

    // Another connection (the sync task's) reads it at once: it was committed before the call
    // returned, with the request id it will be sent under.
    let other = t.store();
    let pending = other.pending_complaints(10).expect("pending");
    assert_eq!(pending.len(), 1);
    let c = &pending[0];
    assert_eq!(c.body.request_id, queued.request_id);
    assert_eq!(c.body.text, "顾客说找零少了五元", "trimmed as HQ keeps it");
    assert_eq!(c.body.receipt_no.as_deref(), Some("B001-01-000007"));
    assert_eq!((c.body.category_id, c.body.member_id), (Some(2), None));
    assert_eq!(c.status, ComplaintStatus::Pending);
    assert_eq!(c.staff, t.till.current_staff().expect("cashier").id);
    assert_eq!(other.pending_complaint_count().expect("count"), 1);

    t.restart();
    let after = t.till.complaints(10).expect("complaints");
    assert_eq!(after.len(), 1);
    assert_eq!((after[0].body.request_id, &after[0].status), (queued.request_id, &ComplaintStatus::Pending));
    assert_eq!(t.till.complaints_waiting().expect("waiting"), 1);
}

#[test]
fn hq_s_answer_is_applied_once_and_a_refusal_is_kept_with_its_reason() {
    let mut t = till();
    let first = ok(t.till.record_complaint(&draft("冷柜里的牛奶过期了")));
    let second = ok(t.till.record_complaint(&draft("收银员态度不好")));
    let mut store = t.store();
    // HQ has the first (201); a late second answer for it (a retry) changes nothing.
    store.mark_complaint(first.request_id, Ok(41)).expect("sent");
    store.mark_complaint(first.request_id, Err("late".into())).expect("ignored");
    // HQ refuses the second: kept, with HQ's reason, never sent again.
    let refused = complaint_verdict(Err(SyncError::Refused {
        status: 422,
        code: "validation".into(),
        message: "category: HQ has no category 2 taking complaints".into(),
    }));
    let ComplaintVerdict::Refused(why) = refused else { panic!("a 422 is a refusal: {refused:?}") };
    store.mark_complaint(second.request_id, Err(why)).expect("rejected");

    let all = t.till.complaints(10).expect("complaints");
    assert_eq!(all[0].status, ComplaintStatus::Sent { hq_id: 41 });
    assert_eq!(all[1].status, ComplaintStatus::Rejected("category: HQ has no category 2 taking complaints".into()));
    assert!(store.pending_complaints(10).expect("pending").is_empty(), "nothing is sent again");
    let shown = t.till.rejected_complaints(10).expect("refusals");
    assert_eq!(shown.len(), 1);
    assert_eq!((shown[0].category.as_str(), shown[0].text.as_str()), ("服务态度", "收银员态度不好"));
    assert!(shown[0].reason.contains("category 2"), "{:?}", shown[0]);
    t.restart();
    assert_eq!(t.till.rejected_complaints(10).expect("refusals").len(), 1, "kept across a restart");
}

#[test]
fn the_member_on_the_sale_is_named_and_an_unknown_one_is_refused() {
    let mut t = till();
    ok(t.till.attach_member(MemberIdentifier::Code(t.member.code.clone())));
    let form = t.till.complaint_form().expect("form");
    let (member, shown) = form.member.clone().expect("the member on the sale");
    assert_eq!(member, t.member.id);
    assert!(shown.contains("陈小姐"), "{shown}");
    let q = ok(t.till.record_complaint(&ComplaintDraft { member: Some(member), ..draft("会员价没有生效") }));
    let kept_one = t.till.complaints(10).expect("complaints");
    assert_eq!((kept_one[0].body.request_id, kept_one[0].body.member_id), (q.request_id, Some(member)));

    let stranger = ComplaintDraft { member: Some(MemberId::new()), ..draft("会员价没有生效") };
    assert!(matches!(t.till.record_complaint(&stranger), Err(TillError::MemberNotFound)));
    assert_eq!(kept(&t.till), 1, "the refused one wrote nothing");
}

#[test]
fn refused_entries_write_nothing() {
    let mut t = till();
    let before = footprint(&t.store());
    let too_long = "长".repeat(shared::complaints::TEXT_MAX + 1);
    let bad = [
        ("an unknown category", ComplaintDraft { category: 99, ..draft("坏了") }),
        ("a blank text", draft(" \n ")),
        ("a text longer than HQ takes", draft(&too_long)),
        ("a control character", draft("坏\u{7}了")),
        ("a receipt number that is not one", ComplaintDraft { receipt_no: Some("B001-1-7".into()), ..draft("坏了") }),
        (
            "a receipt number of another shape",
            ComplaintDraft { receipt_no: Some("分店-01-000001".into()), ..draft("坏了") },
        ),
    ];
    for (what, d) in &bad {
        let refused = t.till.record_complaint(d);
        assert!(matches!(refused, Err(TillError::Invalid(_))), "{what}: {refused:?}");
    }
    // The longest text HQ takes, and no receipt (blank), are fine.
    let longest = "长".repeat(shared::complaints::TEXT_MAX);
    ok(t.till.record_complaint(&ComplaintDraft { receipt_no: Some("  ".into()), ..draft(&longest) }));
    let all = t.till.complaints(10).expect("complaints");
    assert_eq!((all.len(), all[0].body.receipt_no.as_deref()), (1, None));
    assert_eq!(footprint(&t.store()), before, "a complaint touches no sale, shift or event");

    // Nobody signed in: refused, nothing written.
    t.till.logout();
    assert!(matches!(t.till.record_complaint(&draft("坏了")), Err(TillError::NotLoggedIn)));
    assert!(matches!(t.till.complaint_form(), Err(TillError::NotLoggedIn)));
    assert_eq!(kept(&t.till), 1);
}
