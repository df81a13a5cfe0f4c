//! The demo chain's complaints: five categories with their due times, and a few complaints in
//! every state over the last days, one of them overdue, so the console's pages, its dashboard
//! and the member pages have something to show.

use jiff::{SignedDuration, Timestamp};

use crate::complaints::Party;
use crate::demo::{DemoBranch, DemoMember};
use crate::model::{Actor, ComplaintChange, ComplaintSource, NewComplaint};
use crate::store::{Store, StoreError, StoreResult};

/// The categories: name and hours to resolve.
pub const CATEGORIES: [(&str, u32); 5] =
    [("商品质量", 48), ("服务态度", 24), ("价格与收银", 24), ("会员与积分", 72), ("其他", 72)];

fn hours_ago(now: Timestamp, hours: i64) -> Timestamp {
    now.checked_sub(SignedDuration::from_hours(hours)).unwrap_or(now)
}

/// Seeds the categories and the complaints (nothing when the chain has no branch or member).
pub fn seed(store: &dyn Store, actor: &Actor, branches: &[DemoBranch], members: &[DemoMember]) -> StoreResult<()> {
    let mut ids = Vec::new();
    for (name, hours) in CATEGORIES {
        ids.push(store.create_complaint_category(actor, name, hours)?.id);
    }
    let (Some(first), Some(m0)) = (branches.first(), members.first()) else { return Ok(()) };
    let second = branches.get(1).unwrap_or(first);
    let m1 = members.get(1).unwrap_or(m0);
    let manager = store
        .user_for_login(&first.manager_username)?
        .map(|(u, _)| u)
        .ok_or_else(|| StoreError::Internal("the demo branch has no manager".into()))?;
    let manager_actor = Actor::user(&manager, "local");
    let now = store.now();
    let new = |member: Option<&DemoMember>, branch: &DemoBranch, category: usize, text: &str, source| NewComplaint {
        member: member.map(|m| m.id),
        branch: branch.id,
        receipt_no: None,
        category: Some(ids[category]),
        text: text.into(),
        source,
        request_id: None,
    };
    let member_actor = |m: &DemoMember| Actor { who: format!("member:{}", m.id), from: "phone:demo".into() };
    let change = |who: &Actor, party, id, c, at| store.change_complaint(who, party, id, c, at).map(|_| ());

    // Overdue: a service complaint (24 hours) filed three days ago and never started.
    let t = hours_ago(now, 72);
    let c = store.create_complaint(
        &member_actor(m0),
        new(Some(m0), first, 1, "收银员结账时态度冷淡，问了两次才回答。", ComplaintSource::Member),
        t,
    )?;
    change(actor, Party::Staff, c.id, ComplaintChange::Assign { user: manager.id }, hours_ago(now, 70))?;

    // In progress, within its time.
    let t = hours_ago(now, 5);
    let c = store.create_complaint(
        actor,
        new(Some(m1), first, 0, "昨天买的牛奶还没到保质期就变质了。", ComplaintSource::Staff),
        t,
    )?;
    change(&manager_actor, Party::Staff, c.id, ComplaintChange::Start, hours_ago(now, 4))?;

    // Resolved, waiting for the member to confirm.
    let t = hours_ago(now, 50);
    let c = store.create_complaint(
        &member_actor(m0),
        new(Some(m0), second, 3, "上周的消费积分没有到账。", ComplaintSource::Member),
        t,
    )?;
    change(actor, Party::Staff, c.id, ComplaintChange::Start, hours_ago(now, 48))?;
    let resolution = "已核实并补记积分，向会员致歉。".to_owned();
    change(actor, Party::Staff, c.id, ComplaintChange::Resolve { resolution }, hours_ago(now, 30))?;

    // Confirmed by the member.
    let t = hours_ago(now, 240);
    let c = store.create_complaint(
        &member_actor(m1),
        new(Some(m1), second, 2, "价签与收银价格不一致，多收了 3 元。", ComplaintSource::Member),
        t,
    )?;
    let resolution = "已退还差价并更正价签。".to_owned();
    change(actor, Party::Staff, c.id, ComplaintChange::Resolve { resolution }, hours_ago(now, 236))?;
    change(&member_actor(m1), Party::Member, c.id, ComplaintChange::Confirm, hours_ago(now, 230))?;

    // Closed by staff, recorded at a till without a member.
    let t = hours_ago(now, 150);
    let c = store.create_complaint(
        &Actor { who: "till:1".into(), from: "local".into() },
        new(None, first, 4, "顾客反映停车场入口指示不清。", ComplaintSource::Till),
        t,
    )?;
    change(&manager_actor, Party::Staff, c.id, ComplaintChange::Start, hours_ago(now, 140))?;
    let resolution = "已在入口增设指示牌。".to_owned();
    change(&manager_actor, Party::Staff, c.id, ComplaintChange::Resolve { resolution }, hours_ago(now, 100))?;
    change(&manager_actor, Party::Staff, c.id, ComplaintChange::Close, hours_ago(now, 90))?;

    // Just filed, open.
    store.create_complaint(
        &member_actor(m1),
        new(Some(m1), second, 0, "面包包装破损。", ComplaintSource::Member),
        hours_ago(now, 1),
    )?;
    Ok(())
}
