//! The checks of a pushed event against what HQ knows: HQ trusts no till's arithmetic. Every
//! figure HQ can know better than the till it recomputes with `shared`'s own rules, so no event
//! can create value: points earned against the policy version and the tier the sale names, holds
//! against what HQ reserved, offline spending against the policy's caps, refunds cumulatively
//! against the sale they correct, returns without a receipt against today's prices, a manager's
//! approval and the branch's cap.
//!
//! A failed check rejects the event with its reason (kept, never dropped); a doubt that does not
//! change anyone's balance (a product HQ does not know) is a flag on an accepted event.

use jiff::{SignedDuration, Timestamp};
use shared::branch::BranchSettings;
use shared::ids::{HoldId, MemberId};
use shared::money::Money;
use shared::money::div_round_half_up;
use shared::policy::MemberPolicy;
use shared::sale::{CompletedSale, Refund, RefundKind, SaleMember, TenderKind};
use shared::staff::StaffRole;
use shared::stored_value::SvSplit;
use shared::sync::{Event, EventEnvelope};

use super::facts::{Facts, HoldRecord};
use crate::model::{MemberRecord, Till};
use crate::store::{StoreError, StoreResult};

/// How long a till may go on with what it last pulled: a policy version superseded, or a tier the
/// member has since left, within this long before a sale is still believed.
pub const OFFLINE_GRACE: SignedDuration = SignedDuration::from_hours(24 * 31);
/// How far an event's business day may be from the day of the till's own clock when it made it.
pub const DAY_SKEW_DAYS: i64 = 3;

/// Accepted, with flags for a person to look at; or rejected with the reason.
pub type Verdict = Result<Vec<String>, String>;

/// Checks `env` from `till` against `facts` at HQ's `now`.
pub fn check_value(facts: &dyn Facts, till: &Till, env: &EventEnvelope, now: Timestamp) -> StoreResult<Verdict> {
    let Some(branch) = facts.branch(till.branch_id)? else {
        return Err(StoreError::Internal(format!("the till's branch {} is missing", till.branch_id)));
    };
    match &env.event {
        Event::SaleCompleted(s) => sale(facts, till, &branch, env, s, now),
        Event::SaleRefunded(r) | Event::SaleVoided(r) => refund(facts, till, &branch, env, r, now),
        _ => Ok(Ok(Vec::new())),
    }
}

macro_rules! refuse {
    ($($arg:tt)*) => { return Ok(Err(format!($($arg)*))) };
}

/// A WeChat Pay or Alipay tender is money that came through HQ's own gateway, so HQ knows it: it
/// must be an attempt the gateway saw paid, asked by this till for this sale's receipt, by the
/// tender's provider, of exactly the tender's amount and transaction id, and back one tender
/// only. A till cannot claim a payment it did not collect.
fn mobile_tenders(facts: &dyn Facts, till: &Till, s: &CompletedSale) -> StoreResult<Result<(), String>> {
    let mut seen: Vec<&str> = Vec::new();
    for t in s.tenders.iter().filter(|t| t.kind.is_mobile()) {
        let kind = t.kind.code();
        let Some(order_no) = t.authorization.as_ref().and_then(|a| a.order_no.as_deref()) else {
            refuse!("a {kind} tender without the order number of its payment");
        };
        if seen.contains(&order_no) {
            refuse!("payment {order_no} backs two tenders");
        }
        seen.push(order_no);
        let Some((asked_by, p)) = facts.payment(order_no)? else {
            refuse!("{kind} payment {order_no} is not one HQ collected");
        };
        if asked_by != till.id || p.receipt_no != s.receipt_no.to_string() {
            refuse!("payment {order_no} was collected for another sale");
        }
        if TenderKind::of_provider(p.provider) != t.kind {
            refuse!("payment {order_no} was made by {}, not {kind}", p.provider);
        }
        if p.state != shared::payment::AttemptState::Paid {
            refuse!("payment {order_no} is {}, not paid", p.state.code());
        }
        if p.amount != t.amount || p.transaction_id.as_deref() != t.reference.as_deref() {
            refuse!(
                "the {kind} tender of {} ({}) is not payment {order_no} of {} ({})",
                t.amount,
                t.reference.as_deref().unwrap_or("no transaction id"),
                p.amount,
                p.transaction_id.as_deref().unwrap_or("none")
            );
        }
    }
    Ok(Ok(()))
}

/// Money going back to WeChat Pay or Alipay went back through HQ's gateway, so HQ knows it: the
/// tender names the refund (`reference`, `{order_no}-R{seq}`) of the payment the sale's tender
/// was (`authorization.order_no`), which the gateway made for this refund's receipt, of exactly
/// the tender's amount, and the provider has not refused. A till cannot say it refunded to a
/// customer's wallet what never went back (nor pay a refused refund in cash under that name).
fn mobile_refund(
    facts: &dyn Facts,
    r: &Refund,
    paid: &shared::sale::Tender,
    back: &shared::sale::Tender,
) -> StoreResult<Result<(), String>> {
    let kind = back.kind.code();
    let order = paid.authorization.as_ref().and_then(|a| a.order_no.as_deref()).unwrap_or("");
    let named = back.authorization.as_ref().and_then(|a| a.order_no.as_deref());
    if named != Some(order) {
        refuse!("the {kind} tender going back must name the sale's payment {order}");
    }
    let Some(no) = back.reference.as_deref() else {
        refuse!("the {kind} tender going back must name its refund number");
    };
    let Some(g) = facts.payment_refund(no)? else {
        refuse!("{kind} refund {no} is not one HQ's gateway made");
    };
    if g.order_no != order || g.refund_receipt_no != r.receipt_no.to_string() {
        refuse!("{kind} refund {no} was made for another refund");
    }
    if g.state == shared::payment::RefundState::Failed {
        refuse!(
            "{kind} refund {no} was refused by the provider ({}): the money did not go back",
            g.message.as_deref().unwrap_or("no reason given")
        );
    }
    if g.amount != back.amount {
        refuse!("the {kind} tender going back is {}, but refund {no} is {}", back.amount, g.amount);
    }
    Ok(Ok(()))
}

/// The business day an event names must be near the till's clock when it made it, and not after
/// tomorrow at HQ.
fn day_is_plausible(
    branch: &BranchSettings,
    env: &EventEnvelope,
    day: jiff::civil::Date,
    now: Timestamp,
) -> Result<(), String> {
    let at_till = branch.business_day(env.at);
    let off = at_till.until(day).map(|s| s.get_days().abs()).unwrap_or(i32::MAX);
    if i64::from(off) > DAY_SKEW_DAYS {
        return Err(format!(
            "business day {day} is more than {DAY_SKEW_DAYS} days from the till's own clock ({at_till})"
        ));
    }
    let tomorrow = branch.business_day(now).tomorrow().unwrap_or(day);
    if day > tomorrow {
        return Err(format!("business day {day} is after tomorrow at HQ"));
    }
    Ok(())
}

fn sale(
    facts: &dyn Facts,
    till: &Till,
    branch: &BranchSettings,
    env: &EventEnvelope,
    s: &CompletedSale,
    now: Timestamp,
) -> StoreResult<Verdict> {
    if let Err(why) = day_is_plausible(branch, env, s.business_day, now) {
        return Ok(Err(why));
    }
    let mut flags = Vec::new();
    let ids: Vec<_> = s.lines.iter().map(|l| l.item.product_id).collect();
    let prices = facts.prices_today(&ids, till.branch_id)?;
    for (i, l) in s.lines.iter().enumerate() {
        if !prices.contains_key(&l.item.product_id) {
            flags.push(format!("line {}: product {} is not in HQ's catalog", i + 1, l.item.product_code));
        }
    }
    if facts.staff(s.cashier)?.is_none_or(|c| c.branch != till.branch_id) {
        flags.push(format!("cashier {} is not on this branch's staff", s.cashier));
    }
    flags.extend(repriced(facts, s)?);
    if let Err(why) = mobile_tenders(facts, till, s)? {
        return Ok(Err(why));
    }
    let mut holds: Vec<HoldId> = s.tenders.iter().filter_map(|t| t.hold).collect();
    holds.sort();
    if holds.windows(2).any(|w| w[0] == w[1]) {
        refuse!("one hold backs two tenders");
    }
    let Some(m) = &s.member else {
        if s.tenders.iter().any(|t| matches!(t.kind, TenderKind::Points | TenderKind::StoredValue)) {
            refuse!("points or stored value paid without a member on the sale");
        }
        return Ok(Ok(flags));
    };
    let policies = facts.policies()?;
    if !shared::policy::usable_at(&policies, m.policy_version, s.completed_at, OFFLINE_GRACE) {
        refuse!("policy version {} was not in force for a sale at {}", m.policy_version, s.completed_at);
    }
    let Some(policy) = policies.iter().find(|p| p.version == m.policy_version) else {
        refuse!("policy version {} does not exist", m.policy_version);
    };
    let member = facts.member(m)?;
    if let Err(why) = points_earned(facts, policy, m, member.as_ref(), s)? {
        return Ok(Err(why));
    }
    // Points and stored value paid: against HQ's holds, or within the offline caps.
    let mut offline_points = 0i64;
    let mut offline_sv = Money::ZERO;
    for t in &s.tenders {
        match t.kind {
            TenderKind::Points => {
                let cost = policy.redeem.cost(t.amount);
                if t.points != cost {
                    refuse!(
                        "{} points cannot pay {} under policy version {} ({cost} points do)",
                        t.points,
                        t.amount,
                        policy.version
                    );
                }
                match t.hold {
                    Some(h) => {
                        if let Err(why) = hold(facts, h, "points", member.as_ref(), m, till, s, |r| {
                            r.points == t.points && r.amount == t.amount
                        })? {
                            return Ok(Err(why));
                        }
                    }
                    None => offline_points += t.points,
                }
            }
            TenderKind::StoredValue => match t.hold {
                Some(h) => {
                    let split = t.stored_value;
                    if let Err(why) = hold(facts, h, "stored_value", member.as_ref(), m, till, s, |r| {
                        r.amount == t.amount && split.is_none_or(|sp| sp == r.split)
                    })? {
                        return Ok(Err(why));
                    }
                }
                None => offline_sv += t.amount,
            },
            TenderKind::Cash | TenderKind::BankCard | TenderKind::WechatPay | TenderKind::Alipay => {}
        }
    }
    if offline_points > 0 || offline_sv.0 > 0 {
        let Some(rec) = &member else {
            refuse!("points or stored value paid offline by a member HQ does not know");
        };
        let (points_before, sv_before) = facts.offline_spent(rec.id, s.business_day, s.id)?;
        let caps = policy.offline;
        if offline_points > 0 && points_before + offline_points > caps.points_per_day {
            refuse!(
                "{offline_points} points paid offline; the member's offline limit is {} points a day and {points_before} were used",
                caps.points_per_day
            );
        }
        if offline_sv.0 > 0 && sv_before + offline_sv > caps.stored_value_per_day {
            refuse!(
                "{offline_sv} of stored value paid offline; the member's offline limit is {} a day and {sv_before} was used",
                caps.stored_value_per_day
            );
        }
        if offline_points > rec.points {
            refuse!("{offline_points} points paid offline; the member has {}", rec.points);
        }
        if offline_sv.0 > 0 && rec.stored_value.spend_split(offline_sv).is_err() {
            refuse!("{offline_sv} of stored value paid offline; the member has {}", rec.stored_value.total());
        }
        // A split the till states for what it took offline must fit each side of HQ's balance
        // (the till worked it out principal first from the balance it held; no side may go below zero).
        let splits = || {
            s.tenders
                .iter()
                .filter(|t| t.kind == TenderKind::StoredValue && t.hold.is_none())
                .filter_map(|t| t.stored_value)
        };
        if splits().any(|x| x.principal.is_negative() || x.bonus.is_negative()) {
            refuse!("stored value paid offline with a negative principal or bonus");
        }
        let stated: SvSplit = splits().sum();
        if stated.principal > rec.stored_value.principal || stated.bonus > rec.stored_value.bonus {
            refuse!(
                "stored value paid offline as {} principal and {} bonus; the member has {} principal and {} bonus",
                stated.principal,
                stated.bonus,
                rec.stored_value.principal,
                rec.stored_value.bonus
            );
        }
    }
    Ok(Ok(flags))
}

/// Per-member limits (每位会员限参加 N 次) by HQ's own count: a promotion the sale received although
/// the member had already had it in as many earlier sales as its limit allows is a flag (the till
/// counted from HQ's lookup, or could not count offline); the sale stands.
fn member_limits(
    facts: &dyn Facts,
    s: &CompletedSale,
    record: &shared::sale::SalePromotions,
    engine: &shared::promotions::PromotionEngine,
) -> StoreResult<Vec<String>> {
    let limits: Vec<(shared::promotions::PromotionId, u32, &str)> = record
        .applied
        .iter()
        .filter_map(|a| {
            let p = engine.set().promotions.iter().find(|p| p.id == a.id)?;
            Some((a.id, p.limits.per_member?, a.name.as_str()))
        })
        .collect();
    let member = match &s.member {
        Some(named) if !limits.is_empty() => facts.member(named)?,
        _ => None,
    };
    let Some(member) = member else { return Ok(Vec::new()) };
    let ids: Vec<_> = limits.iter().map(|l| l.0).collect();
    let uses = facts.member_promotion_uses(member.id, &ids, s.id)?;
    Ok(limits
        .into_iter()
        .filter_map(|(id, max, name)| {
            let had = uses.get(&id).copied().unwrap_or(0);
            (had >= max).then(|| {
                format!(
                    "{REPRICED_FLAG} {}: the member had “{name}” in {had} earlier sale(s) already, the limit is {max}",
                    record.version
                )
            })
        })
        .collect())
}

/// How the flag of a sale HQ prices differently begins (the console lists such sales by it).
pub const REPRICED_FLAG: &str = "re-priced with promotion set";

/// A sale priced with promotions, priced again by HQ with the set version, the business time and
/// the member tier the sale recorded (domain.md: one engine, run by the till and by HQ). What the
/// customer was charged stands: a difference is a flag for a person, never a rejection (the till's
/// figures are checked for consistency by `CompletedSale::check` already, and value is checked by
/// the points and refund rules). Returns the flags.
fn repriced(facts: &dyn Facts, s: &CompletedSale) -> StoreResult<Vec<String>> {
    let Some(record) = &s.promotions else {
        if s.coupons.is_empty() {
            return Ok(Vec::new());
        }
        // The till records a promotion set (version 0 when it had none) whenever it applies a
        // coupon: without one HQ cannot re-price the sale's coupons.
        return Ok(vec![format!(
            "{REPRICED_FLAG} -: the sale used coupons but names no promotion set to re-price it with"
        )]);
    };
    let Some(engine) = facts.promotion_engine(record.version)? else {
        return Ok(vec![format!("{REPRICED_FLAG} {}: HQ never published that version", record.version)]);
    };
    let mut flags = Vec::new();
    // The till prices at the business time its cart started: the day the sale belongs to (or the
    // evening before it, across the cut-off), and not after the sale was completed.
    if let Some(branch) = facts.branch(s.branch)? {
        let completed = branch.local(s.completed_at).datetime();
        let day = s.business_day;
        let near =
            day.yesterday().is_ok_and(|d| record.at.date() >= d) && record.at.date() <= day.tomorrow().unwrap_or(day);
        if !near || record.at > completed.checked_add(jiff::SignedDuration::from_mins(5)).unwrap_or(completed) {
            flags.push(format!(
                "{REPRICED_FLAG} {}: the pricing time {} is not the sale's ({} on business day {day})",
                record.version, record.at, completed
            ));
        }
    }
    let policies = facts.policies()?;
    let benefit = s.member.as_ref().and_then(|m| {
        let policy = policies.iter().find(|p| p.version == m.policy_version)?;
        Some(policy.tiers.by_code(m.tier.as_deref()?)?.benefit())
    });
    // The sale's own lines as rung up (gift lines come from the promotions, not the cashier).
    let items: Vec<shared::sale::LineItem> =
        s.lines.iter().filter(|l| l.gift_of.is_none()).map(|l| l.item.clone()).collect();
    let gifts: Vec<shared::sale::LineItem> =
        s.lines.iter().filter(|l| l.gift_of.is_some()).map(|l| l.item.clone()).collect();
    // The coupons in the sale's order, each as HQ defines it when HQ knows its campaign (so a
    // till cannot give itself a bigger coupon), else as the till applied it. Whether each is
    // genuine and unused is the capture's question, not the pricing's.
    let mut coupons: Vec<shared::promotions::coupons::Coupon> = Vec::with_capacity(s.coupons.len());
    for c in &s.coupons {
        let campaign = match shared::promotions::coupons::CouponCode::parse(&c.code) {
            Ok(code) => facts.coupon_campaign(code.campaign)?,
            Err(_) => None,
        };
        coupons.push(match campaign {
            Some(k) => k.coupon(c.coupon.id),
            None => c.coupon.clone(),
        });
    }
    let context = shared::sale::PromotionContext {
        engine: &engine,
        branch: s.branch,
        at: record.at,
        customer: shared::promotions::Customer {
            member: s.member.is_some(),
            tier: s.member.as_ref().and_then(|m| m.tier.clone()),
            // As the till priced it; HQ's own count is checked below.
            used_by_member: record.member_uses.iter().copied().collect(),
        },
        gifts: &gifts,
        coupons: &coupons,
    };
    flags.extend(member_limits(facts, s, record, &engine)?);
    let again = match shared::sale::price_sale_with(&items, benefit.as_ref(), s.order_discount, Some(&context)) {
        Ok(p) => p,
        Err(e) => {
            flags.push(format!("{REPRICED_FLAG} {}: HQ could not price it: {e}", record.version));
            return Ok(flags);
        }
    };
    let differs = |a: &shared::sale::SaleLine, b: &shared::sale::SaleLine| {
        a.promotions != b.promotions || a.coupons != b.coupons || a.net != b.net
    };
    let lines: Vec<String> = s
        .lines
        .iter()
        .zip(&again.lines)
        .enumerate()
        .filter(|(_, (a, b))| differs(a, b))
        .map(|(i, _)| (i + 1).to_string())
        .collect();
    if again.totals.total != s.totals.total || !lines.is_empty() || again.lines.len() != s.lines.len() {
        flags.push(format!(
            "{REPRICED_FLAG} {}: HQ makes it {} where the till charged {}{}",
            record.version,
            again.totals.total,
            s.totals.total,
            if lines.is_empty() { String::new() } else { format!(" (lines {} differ)", lines.join(", ")) }
        ));
    }
    Ok(flags)
}

/// The points a sale says it earned may not be more than its policy version gives the member for
/// it, at a tier the member held lately (or the entry tier for a member HQ does not know yet).
fn points_earned(
    facts: &dyn Facts,
    policy: &MemberPolicy,
    m: &SaleMember,
    member: Option<&MemberRecord>,
    s: &CompletedSale,
) -> StoreResult<Result<(), String>> {
    let entry = policy.tiers.entry().code.clone();
    let claimed_tier = m.tier.clone().unwrap_or_else(|| entry.clone());
    let Some(tier) = policy.tiers.by_code(&claimed_tier) else {
        return Ok(Err(format!("tier {claimed_tier} is not a tier of policy version {}", policy.version)));
    };
    let birthday = match member {
        Some(rec) => {
            let since = s.completed_at.checked_sub(OFFLINE_GRACE).unwrap_or(s.completed_at);
            let held = facts.tiers_held_since(rec.id, since)?;
            if claimed_tier != entry && !held.contains(&claimed_tier) {
                return Ok(Err(format!(
                    "the sale names tier {claimed_tier}, which member {} has not held lately ({})",
                    rec.code,
                    held.join(", ")
                )));
            }
            rec.birthday
        }
        None => {
            if claimed_tier != entry {
                return Ok(Err(format!("the sale names tier {claimed_tier} for a member HQ does not know yet")));
            }
            None
        }
    };
    let most = policy.points_for(m.points_base, tier, s.business_day, birthday).unwrap_or(0);
    if m.points_earned > most {
        return Ok(Err(format!(
            "the sale says {} points were earned; policy version {} gives a {} member {most} for {}",
            m.points_earned, policy.version, tier.name, m.points_base
        )));
    }
    Ok(Ok(()))
}

/// A tender's hold must be one HQ gave this till for this sale and this member, still standing
/// when the sale completed, and for what the tender says.
#[allow(clippy::too_many_arguments)]
fn hold(
    facts: &dyn Facts,
    id: HoldId,
    kind: &str,
    member: Option<&MemberRecord>,
    named: &SaleMember,
    till: &Till,
    s: &CompletedSale,
    matches: impl Fn(&HoldRecord) -> bool,
) -> StoreResult<Result<(), String>> {
    let Some(h) = facts.hold(id)? else { return Ok(Err(format!("hold {id} is not one HQ gave"))) };
    let same_member = |m: MemberId| member.is_some_and(|r| r.id == m) || named.member_id == Some(m);
    let why = if h.kind != kind {
        format!("hold {id} is for {}, not {kind}", h.kind)
    } else if h.till != till.id {
        format!("hold {id} was given to another till")
    } else if h.sale != s.id {
        format!("hold {id} was given for another sale")
    } else if !same_member(h.member) {
        format!("hold {id} is on another member")
    } else if h.status == "captured" {
        format!("hold {id} was already used by another sale")
    } else if h.status == "released" {
        format!("hold {id} was released before the sale")
    } else if h.status == "expired" && s.completed_at > h.expires_at {
        format!("the sale completed after hold {id} expired")
    } else if !matches(&h) {
        format!("hold {id} reserved {} ({} points), not what the tender says", h.amount, h.points)
    } else {
        return Ok(Ok(()));
    };
    Ok(Err(why))
}

fn refund(
    facts: &dyn Facts,
    till: &Till,
    branch: &BranchSettings,
    env: &EventEnvelope,
    r: &Refund,
    now: Timestamp,
) -> StoreResult<Verdict> {
    if let Err(why) = day_is_plausible(branch, env, r.business_day, now) {
        return Ok(Err(why));
    }
    match r.kind {
        RefundKind::NoReceipt => no_receipt(facts, till, branch, r),
        RefundKind::Return | RefundKind::Void => against_sale(facts, till, r),
    }
}

/// A return or void: cumulatively, with every refund of the sale HQ accepted before, never more
/// back than was sold, paid per tender, spent in points and stored value, or earned.
fn against_sale(facts: &dyn Facts, till: &Till, r: &Refund) -> StoreResult<Verdict> {
    let Some(sale_id) = r.sale else { refuse!("a return or void must name the sale it corrects") };
    let Some(sale) = facts.sale(sale_id)? else {
        refuse!("the refund names sale {sale_id}, which HQ has not received");
    };
    if sale.branch != till.branch_id {
        refuse!("sale {} was made at another branch", sale.receipt_no);
    }
    if r.original_receipt.as_ref().is_some_and(|o| *o != sale.receipt_no) {
        refuse!("the refund names receipt {:?} for sale {}", r.original_receipt, sale.receipt_no);
    }
    let before = facts.refunds_of(sale_id)?;
    let earlier = |what: &str| -> String {
        if before.is_empty() {
            String::new()
        } else {
            let receipts: Vec<String> = before.iter().map(|b| b.receipt_no.to_string()).collect();
            format!(" ({what} refunded before by {})", receipts.join(", "))
        }
    };
    for l in &r.lines {
        let Some(i) = l.sale_line else { refuse!("a returned line must name its line of the sale") };
        let Some(sl) = sale.lines.get(i) else { refuse!("sale {} has no line {}", sale.receipt_no, i + 1) };
        if sl.item.product_id != l.product_id {
            refuse!("line {} of sale {} is another product", i + 1, sale.receipt_no);
        }
        let qty_before: i64 =
            before.iter().flat_map(|b| &b.lines).filter(|x| x.sale_line == Some(i)).map(|x| x.qty.0).sum();
        let amount_before: Money =
            before.iter().flat_map(|b| &b.lines).filter(|x| x.sale_line == Some(i)).map(|x| x.amount).sum();
        let this_qty: i64 = r.lines.iter().filter(|x| x.sale_line == Some(i)).map(|x| x.qty.0).sum();
        let this_amount: Money = r.lines.iter().filter(|x| x.sale_line == Some(i)).map(|x| x.amount).sum();
        if qty_before + this_qty > sl.priced.qty.0 {
            refuse!(
                "line {}: {} returned, but only {} of {} was left{}",
                i + 1,
                shared::money::Qty(this_qty).display(),
                shared::money::Qty(sl.priced.qty.0 - qty_before).display(),
                sl.priced.qty.display(),
                earlier("it was")
            );
        }
        if amount_before + this_amount > sl.net {
            refuse!("line {}: {} back in all is more than the line's {}", i + 1, amount_before + this_amount, sl.net);
        }
    }
    // A till that did not know of another till's return of the same sale may be a fen or a point
    // out per refund (below).
    let slack = i64::try_from(before.len()).unwrap_or(i64::MAX).saturating_add(1);
    if r.tenders.len() != sale.tenders.len() || r.tenders.iter().zip(&sale.tenders).any(|(a, b)| a.kind != b.kind) {
        refuse!("the refund's tenders do not follow the tenders of sale {}", sale.receipt_no);
    }
    for (i, (back, paid)) in r.tenders.iter().zip(&sale.tenders).enumerate() {
        let prior: Vec<_> = before.iter().filter_map(|b| b.tenders.get(i)).collect();
        let amount = prior.iter().map(|t| t.amount).sum::<Money>() + back.amount;
        if amount > paid.amount {
            refuse!("{} paid {} and {amount} would go back{}", paid.kind.code(), paid.amount, earlier("it was"));
        }
        match paid.kind {
            TenderKind::Points => {
                let points = prior.iter().map(|t| t.points).sum::<i64>() + back.points;
                if points > paid.points {
                    refuse!("{points} points would be restored in all; the sale spent {}", paid.points);
                }
                // The points go back in the share of the points tender's money that goes back.
                let owed = shared::points::cumulative_share(paid.points, paid.amount, amount);
                if points > owed + slack {
                    refuse!(
                        "{points} points restored in all for {amount} of the points tender back, which is {owed} points"
                    );
                }
            }
            TenderKind::StoredValue if back.amount.0 > 0 => {
                let Some(now) = back.stored_value else {
                    refuse!("stored value paid back must say its principal and bonus");
                };
                let spent = match (paid.stored_value, paid.hold) {
                    (Some(sp), _) => sp,
                    (None, Some(h)) => {
                        facts.hold(h)?.map_or(SvSplit { principal: paid.amount, bonus: Money::ZERO }, |h| h.split)
                    }
                    (None, None) => SvSplit { principal: paid.amount, bonus: Money::ZERO },
                };
                let SvSplit { principal, bonus } = prior.iter().filter_map(|t| t.stored_value).sum::<SvSplit>() + now;
                if principal > spent.principal || bonus > spent.bonus {
                    refuse!(
                        "stored value back ({principal} principal, {bonus} bonus in all) is more than the sale spent ({} principal, {} bonus)",
                        spent.principal,
                        spent.bonus
                    );
                }
            }
            TenderKind::WechatPay | TenderKind::Alipay if back.amount.0 > 0 => {
                if let Err(why) = mobile_refund(facts, r, paid, back)? {
                    return Ok(Err(why));
                }
            }
            _ => {}
        }
    }
    let total = before.iter().map(|b| b.total).sum::<Money>() + r.total;
    if total > sale.totals.due {
        refuse!("{total} back in all is more than the {} the sale took{}", sale.totals.due, earlier("it was"));
    }
    let taken = before.iter().map(|b| b.points_taken_back).sum::<i64>() + r.points_taken_back;
    if taken > sale.points_earned() {
        refuse!("{taken} points taken back in all; the sale earned {}", sale.points_earned());
    }

    // What the goods returned so far are worth, by HQ's own count of each line's returned
    // quantity and the rule `plan_refund` follows (a line's refunds so far are round(net ×
    // returned / sold); the money back is that scaled to what the sale took; the points taken
    // back are the cumulative share of what the sale earned). Neither more money back nor fewer
    // points taken back than that.
    let returned = |i: usize| -> i64 {
        before.iter().flat_map(|b| &b.lines).chain(&r.lines).filter(|x| x.sale_line == Some(i)).map(|x| x.qty.0).sum()
    };
    let line_worth = |i: usize, qty: i64| -> Money {
        let sl = &sale.lines[i];
        Money(div_round_half_up(i128::from(sl.net.0) * i128::from(qty), i128::from(sl.priced.qty.0.max(1))) as i64)
    };
    for i in r.lines.iter().filter_map(|l| l.sale_line) {
        let claimed: Money = before
            .iter()
            .flat_map(|b| &b.lines)
            .chain(&r.lines)
            .filter(|x| x.sale_line == Some(i))
            .map(|x| x.amount)
            .sum();
        let worth = line_worth(i, returned(i));
        if claimed.0 < worth.0 - slack {
            refuse!("line {}: {claimed} in all for goods worth {worth}", i + 1);
        }
    }
    let worth = |eligible_only: bool| -> Money {
        (0..sale.lines.len())
            .filter(|&i| !eligible_only || sale.lines[i].item.points_eligible)
            .map(|i| line_worth(i, returned(i)))
            .sum()
    };
    let t = &sale.totals;
    let owed_money = if t.total.0 == 0 {
        Money::ZERO
    } else {
        Money(div_round_half_up(i128::from(t.due.0) * i128::from(worth(false).0), i128::from(t.total.0)) as i64)
    };
    if total.0 > owed_money.0 + slack {
        refuse!("{total} back in all for goods the sale took {owed_money} for{}", earlier("some were"));
    }
    let owed_points = shared::points::cumulative_share(sale.points_earned(), sale.points_eligible_net, worth(true));
    if taken < owed_points - slack {
        refuse!("{taken} points taken back in all; the goods returned earned {owed_points}{}", earlier("some were"));
    }
    Ok(Ok(Vec::new()))
}

/// A return without a receipt: a manager of the branch approved it, each line at no more than
/// today's price, stored value only within the branch's cap and to a member HQ knows.
fn no_receipt(facts: &dyn Facts, till: &Till, branch: &BranchSettings, r: &Refund) -> StoreResult<Verdict> {
    let approver = match r.approved_by {
        Some(id) => facts.staff(id)?,
        None => None,
    };
    if !approver.is_some_and(|a| a.branch == till.branch_id && a.active && a.role == StaffRole::Manager) {
        refuse!("a return without a receipt needs the approval of a manager of this branch");
    }
    let ids: Vec<_> = r.lines.iter().map(|l| l.product_id).collect();
    let prices = facts.prices_today(&ids, till.branch_id)?;
    for l in &r.lines {
        let Some(&price) = prices.get(&l.product_id) else {
            refuse!("product {} ({}) of a return without a receipt is not in HQ's catalog", l.name, l.product_id.0);
        };
        let most = shared::pricing::extend(price, l.qty).unwrap_or(Money::ZERO);
        if l.amount > most {
            refuse!("{} back for {} × {} is more than today's price {price}", l.amount, l.qty.display(), l.name);
        }
    }
    let to_stored_value = r.paid_back_by(TenderKind::StoredValue);
    if to_stored_value.0 > 0 {
        if to_stored_value > branch.no_receipt_refund_cap {
            refuse!(
                "{to_stored_value} to stored value without a receipt is more than this branch's limit of {}",
                branch.no_receipt_refund_cap
            );
        }
        let known = match &r.member {
            Some(m) => facts.member(m)?,
            None => None,
        };
        if known.is_none() {
            refuse!("stored value paid back without a receipt must go to a member HQ knows");
        }
        for t in r.tenders.iter().filter(|t| t.kind == TenderKind::StoredValue) {
            if let Some(split) = t.stored_value
                && (split.bonus.0 != 0 || split.principal != t.amount)
            {
                refuse!("stored value paid back without a receipt goes back as principal only, not as bonus");
            }
        }
    }
    Ok(Ok(Vec::new()))
}
