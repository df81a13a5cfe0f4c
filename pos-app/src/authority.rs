//! The till's view of HQ's online services: member lookup (by card, phone or a member's rotating
//! code, which HQ checks), holds on points and stored value,
//! top-ups, and HQ's record of sales made at other tills (for returns). The sync layer implements
//! [`MemberAuthority`] against HQ over HTTP; [`Offline`] is the till with no HQ; [`InMemoryAuthority`]
//! is a fake with real rules for tests and demos.
//!
//! Calls block for at most the implementation's short timeout and never longer: when HQ does not
//! answer, they return [`AuthorityError::Unavailable`] and the till offers what works offline.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use jiff::{SignedDuration, Timestamp};
use shared::ids::{HoldId, MemberId};
use shared::member::{MemberIdentifier, MemberSnapshot};
use shared::member_code::{MemberCodeError, RotatingCode};
use shared::money::Money;
use shared::payment::{CollectRequest, PaymentAttempt, PaymentRefund, RefundRequest, RefundState};
use shared::promotions::coupons::{Coupon, CouponCode, CouponId};
use shared::receipt::ReceiptNo;
use shared::sale::{CompletedSale, Refund};
use shared::stored_value::{StoredValue, SvSplit, TopUpRule};
use shared::sync::{
    CouponHoldRequest, CouponHoldResponse, HoldAmount, HoldRequest, HoldResponse, MemberCoupon, MemberLookupResponse,
    TopUpRequest, TopUpResponse, coupon_refusal, member_code_refusal,
};

use crate::clock::{Clock, SystemClock};

/// Why an online call did not succeed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AuthorityError {
    /// HQ could not be reached in time (or this till has no HQ).
    #[error("HQ is not reachable: {0}")]
    Unavailable(String),
    /// HQ answered no, with its reason (insufficient balance, blocked member, ...).
    #[error("{message}")]
    Refused { code: String, message: String },
    /// HQ does not know the member or sale.
    #[error("not found")]
    NotFound,
}

/// HQ's online services as the till engine uses them.
pub trait MemberAuthority: Send {
    fn lookup(&self, by: &MemberIdentifier) -> Result<MemberLookupResponse, AuthorityError>;
    /// Looks up the member a scanned rotating code names, answered only if HQ finds the code is the
    /// member's and of now (one step either side); else refused with one of
    /// `shared::sync::member_code_refusal`'s codes.
    fn lookup_rotating(&self, code: &RotatingCode) -> Result<MemberLookupResponse, AuthorityError>;
    /// Atomically checks and reserves points or stored value; the sale event captures it.
    fn hold(&self, request: &HoldRequest) -> Result<HoldResponse, AuthorityError>;
    /// Gives back a hold the till no longer needs (tender removed, sale abandoned).
    fn release(&self, hold: HoldId) -> Result<(), AuthorityError>;
    fn top_up(&self, request: &TopUpRequest) -> Result<TopUpResponse, AuthorityError>;
    /// HQ's record of a sale and its refunds, wherever they were made.
    fn sale_history(&self, receipt: &ReceiptNo) -> Result<(CompletedSale, Vec<Refund>), AuthorityError>;
    /// Checks a coupon code and reserves the coupon for a sale (one hold across every till); refused
    /// with one of `shared::sync::coupon_refusal`'s codes.
    fn hold_coupon(&self, request: &CouponHoldRequest) -> Result<CouponHoldResponse, AuthorityError>;
    /// Gives a coupon hold back (coupon removed, sale abandoned, coupon unused by the sale).
    fn release_coupon(&self, hold: HoldId) -> Result<(), AuthorityError>;
    /// The coupons a member can use now, for the cashier to pick from.
    fn member_coupons(&self, member: MemberId) -> Result<Vec<MemberCoupon>, AuthorityError>;

    /// Asks HQ's payment gateway to collect a payment code's amount for a sale. HQ answers with
    /// the attempt in whatever state it is (final, or still to be confirmed: then poll). The
    /// same receipt number and attempt again is the same attempt, never a second charge. A till
    /// without a gateway cannot take payment codes.
    fn collect_payment(&self, _request: &CollectRequest) -> Result<PaymentAttempt, AuthorityError> {
        Err(AuthorityError::Unavailable("this till is not connected to HQ's payment gateway".into()))
    }
    /// Where one of this till's attempts stands at HQ (`NotFound`: HQ never received it).
    fn payment_status(&self, _order_no: &str) -> Result<PaymentAttempt, AuthorityError> {
        Err(AuthorityError::Unavailable("this till is not connected to HQ's payment gateway".into()))
    }
    /// The cashier gives up on an attempt that is not final: HQ cancels (reverses) it.
    fn cancel_payment(&self, _order_no: &str) -> Result<PaymentAttempt, AuthorityError> {
        Err(AuthorityError::Unavailable("this till is not connected to HQ's payment gateway".into()))
    }
    /// Refunds part or all of a paid attempt to where it came from, once per `seq`.
    fn refund_payment(&self, _order_no: &str, _request: &RefundRequest) -> Result<PaymentRefund, AuthorityError> {
        Err(AuthorityError::Unavailable("this till is not connected to HQ's payment gateway".into()))
    }
    /// Where one of this till's refunds stands.
    fn refund_status(&self, _order_no: &str, _seq: u32) -> Result<PaymentRefund, AuthorityError> {
        Err(AuthorityError::Unavailable("this till is not connected to HQ's payment gateway".into()))
    }
}

/// A till without HQ: every online call is unavailable.
#[derive(Clone, Copy, Debug, Default)]
pub struct Offline;

impl MemberAuthority for Offline {
    fn lookup(&self, _: &MemberIdentifier) -> Result<MemberLookupResponse, AuthorityError> {
        Err(AuthorityError::Unavailable("this till is not connected to HQ".into()))
    }
    fn lookup_rotating(&self, _: &RotatingCode) -> Result<MemberLookupResponse, AuthorityError> {
        Err(AuthorityError::Unavailable("this till is not connected to HQ".into()))
    }
    fn hold(&self, _: &HoldRequest) -> Result<HoldResponse, AuthorityError> {
        Err(AuthorityError::Unavailable("this till is not connected to HQ".into()))
    }
    fn release(&self, _: HoldId) -> Result<(), AuthorityError> {
        Err(AuthorityError::Unavailable("this till is not connected to HQ".into()))
    }
    fn top_up(&self, _: &TopUpRequest) -> Result<TopUpResponse, AuthorityError> {
        Err(AuthorityError::Unavailable("this till is not connected to HQ".into()))
    }
    fn sale_history(&self, _: &ReceiptNo) -> Result<(CompletedSale, Vec<Refund>), AuthorityError> {
        Err(AuthorityError::Unavailable("this till is not connected to HQ".into()))
    }
    fn hold_coupon(&self, _: &CouponHoldRequest) -> Result<CouponHoldResponse, AuthorityError> {
        Err(AuthorityError::Unavailable("this till is not connected to HQ".into()))
    }
    fn release_coupon(&self, _: HoldId) -> Result<(), AuthorityError> {
        Err(AuthorityError::Unavailable("this till is not connected to HQ".into()))
    }
    fn member_coupons(&self, _: MemberId) -> Result<Vec<MemberCoupon>, AuthorityError> {
        Err(AuthorityError::Unavailable("this till is not connected to HQ".into()))
    }
}

/// An in-memory HQ with the real member rules (holds are checked and reserved atomically under one
/// lock), used by tests and demos. Cloning shares the same state, so two tills can use one.
#[derive(Clone, Default)]
pub struct InMemoryAuthority {
    inner: Arc<Mutex<FakeHq>>,
}

#[derive(Default)]
struct FakeHq {
    online: bool,
    /// HQ's clock (the system clock unless a test gives it the till's).
    clock: Option<Box<dyn Clock>>,
    members: HashMap<MemberId, MemberSnapshot>,
    /// A hold's member, amount, expiry, and for stored value the split HQ reserved.
    holds: HashMap<HoldId, (MemberId, HoldAmount, Timestamp, Option<SvSplit>)>,
    topups: HashMap<shared::ids::EventId, TopUpResponse>,
    topup_rules: Vec<TopUpRule>,
    sales: HashMap<ReceiptNo, (CompletedSale, Vec<Refund>)>,
    policy_version: u32,
    promotion_uses: HashMap<MemberId, std::collections::BTreeMap<shared::promotions::PromotionId, u32>>,
    coupons: HashMap<CouponId, FakeCoupon>,
    /// The next coupon hold is made but its answer lost (a timeout at the till).
    lose_next_hold_answer: bool,
    /// The payment gateway, for payments by code: attempts by order number (every code pays at
    /// once), refunds by their number, and the payments whose refunds the provider refuses.
    payments: HashMap<String, PaymentAttempt>,
    refunds: HashMap<String, PaymentRefund>,
    refuse_refunds: HashMap<String, (String, String)>,
    /// The next refund is made but its answer lost (a timeout at the till).
    lose_next_refund_answer: bool,
}

impl FakeHq {
    fn now(&self) -> Timestamp {
        self.clock.as_ref().map_or_else(|| SystemClock.now(), |c| c.now())
    }

    /// What a lookup answers of a member: the balances less what holds reserve, HQ's policy
    /// version and the member's uses of per-member-limited promotions.
    fn answer(&self, m: &MemberSnapshot) -> MemberLookupResponse {
        let (points, stored_value) = InMemoryAuthority::available(self, m);
        MemberLookupResponse {
            member: MemberSnapshot { points, stored_value, ..m.clone() },
            policy_version: self.policy_version,
            promotion_uses: self
                .promotion_uses
                .get(&m.id)
                .map(|u| u.iter().map(|(id, n)| (*id, *n)).collect())
                .unwrap_or_default(),
            code_checked: false,
        }
    }
}

/// A coupon as the in-memory HQ keeps it.
#[derive(Clone)]
struct FakeCoupon {
    code: CouponCode,
    coupon: Coupon,
    member: MemberId,
    valid_from: Timestamp,
    valid_until: Timestamp,
    /// The live hold (id, sale, expiry), if any.
    hold: Option<(HoldId, shared::ids::SaleId, Timestamp)>,
    used: bool,
}

impl InMemoryAuthority {
    pub fn new() -> InMemoryAuthority {
        let a = InMemoryAuthority::default();
        a.state().online = true;
        a.state().policy_version = 1;
        a
    }

    fn state(&self) -> MutexGuard<'_, FakeHq> {
        // A panic while holding the lock in a test leaves plain data behind; keep using it.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn set_online(&self, online: bool) {
        self.state().online = online;
    }

    /// Gives this HQ a clock of its own (a test's, often the till's), for everything it dates:
    /// holds, coupons' validity, and the step a rotating code is checked at.
    pub fn set_clock(&self, clock: impl Clock + 'static) {
        self.state().clock = Some(Box::new(clock));
    }

    pub fn add_member(&self, m: MemberSnapshot) {
        self.state().members.insert(m.id, m);
    }

    pub fn set_topup_rules(&self, rules: Vec<TopUpRule>) {
        self.state().topup_rules = rules;
    }

    /// What HQ's lookup says of the member's sales with each per-member-limited promotion.
    pub fn set_promotion_uses(
        &self,
        member: MemberId,
        uses: std::collections::BTreeMap<shared::promotions::PromotionId, u32>,
    ) {
        self.state().promotion_uses.insert(member, uses);
    }

    /// Issues `coupon` to `member` under `code`, usable in `[valid_from, valid_until]`.
    pub fn add_coupon(
        &self,
        code: CouponCode,
        coupon: Coupon,
        member: MemberId,
        valid_from: Timestamp,
        valid_until: Timestamp,
    ) {
        self.state()
            .coupons
            .insert(coupon.id, FakeCoupon { code, coupon, member, valid_from, valid_until, hold: None, used: false });
    }

    /// Makes the next coupon hold and then loses its answer, as a network timeout after HQ
    /// committed would.
    pub fn lose_next_hold_answer(&self) {
        self.state().lose_next_hold_answer = true;
    }

    /// Refunds of the payment `order_no` are refused by the provider with `code` and `message`
    /// (as WeChat Pay's `NOTENOUGH`); `None` lifts it.
    pub fn refuse_refunds(&self, order_no: &str, refusal: Option<(&str, &str)>) {
        let mut s = self.state();
        match refusal {
            Some((code, message)) => s.refuse_refunds.insert(order_no.into(), (code.into(), message.into())),
            None => s.refuse_refunds.remove(order_no),
        };
    }

    /// Makes the next refund and then loses its answer, as a timeout after HQ sent it would.
    pub fn lose_next_refund_answer(&self) {
        self.state().lose_next_refund_answer = true;
    }

    /// The refunds of a payment, by seq, as the gateway holds them.
    pub fn payment_refunds(&self, order_no: &str) -> Vec<PaymentRefund> {
        let mut list: Vec<PaymentRefund> =
            self.state().refunds.values().filter(|r| r.order_no == order_no).cloned().collect();
        list.sort_by_key(|r| r.seq);
        list
    }

    /// The sale a coupon's live hold is for.
    pub fn coupon_hold_sale(&self, id: CouponId) -> Option<shared::ids::SaleId> {
        self.state().coupons.get(&id).and_then(|c| c.hold).map(|h| h.1)
    }

    /// Whether a sale has used the coupon.
    pub fn coupon_used(&self, id: CouponId) -> bool {
        self.state().coupons.get(&id).is_some_and(|c| c.used)
    }

    /// Whether the coupon has a live hold.
    pub fn coupon_held(&self, id: CouponId) -> bool {
        let s = self.state();
        let now = s.now();
        s.coupons.get(&id).is_some_and(|c| c.hold.is_some_and(|h| h.2 > now))
    }

    /// The member as HQ sees it now (balances after holds are not subtracted).
    pub fn member(&self, id: MemberId) -> Option<MemberSnapshot> {
        self.state().members.get(&id).cloned()
    }

    /// Records a sale as if its event had reached HQ: captures its holds, credits points earned.
    pub fn ingest_sale(&self, sale: &CompletedSale) {
        let mut s = self.state();
        for t in &sale.tenders {
            if let Some(h) = t.hold
                && let Some((member, amount, _, split)) = s.holds.remove(&h)
                && let Some(m) = s.members.get_mut(&member)
            {
                match (amount, split) {
                    (HoldAmount::Points { points, .. }, _) => m.points -= points,
                    (HoldAmount::StoredValue { .. }, Some(split)) => m.stored_value = m.stored_value.minus(split),
                    (HoldAmount::StoredValue { .. }, None) => {}
                }
            }
        }
        for c in &sale.coupons {
            if let Some(fake) = s.coupons.get_mut(&c.coupon.id) {
                fake.used = true;
                fake.hold = None;
            }
        }
        if let Some(member) = sale.member.as_ref().and_then(|m| m.member_id)
            && let Some(m) = s.members.get_mut(&member)
        {
            m.points += sale.points_earned();
            m.stored_value.principal += sale.change_to_stored_value;
        }
        s.sales.insert(sale.receipt_no.clone(), (sale.clone(), Vec::new()));
    }

    /// Records a refund as if its event had reached HQ.
    pub fn ingest_refund(&self, refund: &Refund) {
        let mut s = self.state();
        if let Some(no) = &refund.original_receipt
            && let Some((_, refunds)) = s.sales.get_mut(no)
        {
            refunds.push(refund.clone());
        }
        if let Some(member) = refund.member.as_ref().and_then(|m| m.member_id)
            && let Some(m) = s.members.get_mut(&member)
        {
            m.points += refund.points_restored - refund.points_taken_back;
            for t in &refund.tenders {
                if let Some(split) = t.stored_value {
                    m.stored_value = m.stored_value.plus(split);
                }
            }
        }
    }

    /// What the member's holds reserve: points, and stored value in each hold's own split (as HQ
    /// keeps it), not the split of their total against today's balance.
    fn held(s: &FakeHq, member: MemberId) -> (i64, StoredValue) {
        s.holds.values().filter(|(m, ..)| *m == member).fold((0, StoredValue::default()), |(p, v), (_, a, _, split)| {
            match (a, split) {
                (HoldAmount::Points { points, .. }, _) => (p + points, v),
                (HoldAmount::StoredValue { .. }, Some(split)) => (p, v.plus(*split)),
                (HoldAmount::StoredValue { .. }, None) => (p, v),
            }
        })
    }

    fn available(s: &FakeHq, m: &MemberSnapshot) -> (i64, StoredValue) {
        let (p, held) = Self::held(s, m.id);
        let sv = StoredValue {
            principal: m.stored_value.principal - held.principal,
            bonus: m.stored_value.bonus - held.bonus,
        };
        (m.points - p, sv)
    }

    fn offline_check(s: &FakeHq) -> Result<(), AuthorityError> {
        if s.online { Ok(()) } else { Err(AuthorityError::Unavailable("HQ is offline".into())) }
    }
}

impl MemberAuthority for InMemoryAuthority {
    fn lookup(&self, by: &MemberIdentifier) -> Result<MemberLookupResponse, AuthorityError> {
        let s = self.state();
        Self::offline_check(&s)?;
        let found = s.members.values().find(|m| match by {
            MemberIdentifier::Code(c) => &m.code == c,
            MemberIdentifier::Phone(p) => m.phone.as_ref() == Some(p),
            MemberIdentifier::Uid(u) => m.card_uids.contains(u),
        });
        let m = found.ok_or(AuthorityError::NotFound)?;
        Ok(s.answer(m))
    }

    /// As HQ does: the member the code names, if the code was made with the member's current
    /// secret at HQ's now (one step either side); an older step of the member's is expired.
    fn lookup_rotating(&self, code: &RotatingCode) -> Result<MemberLookupResponse, AuthorityError> {
        let s = self.state();
        Self::offline_check(&s)?;
        let m = s.members.values().find(|m| m.code == code.member).ok_or(AuthorityError::NotFound)?;
        let refused = |refusal: &str, e: MemberCodeError| AuthorityError::Refused {
            code: refusal.into(),
            message: e.to_string(),
        };
        let secret =
            m.code_secret.as_ref().ok_or_else(|| refused(member_code_refusal::NOT_VALID, MemberCodeError::NotValid))?;
        let now = u64::try_from(s.now().as_second()).unwrap_or(0);
        match code.verify(secret, now) {
            Ok(_) => Ok(MemberLookupResponse { code_checked: true, ..s.answer(m) }),
            Err(e @ MemberCodeError::Expired) => Err(refused(member_code_refusal::EXPIRED, e)),
            Err(e) => Err(refused(member_code_refusal::NOT_VALID, e)),
        }
    }

    fn hold(&self, request: &HoldRequest) -> Result<HoldResponse, AuthorityError> {
        let mut s = self.state();
        Self::offline_check(&s)?;
        let m = s.members.get(&request.member).cloned().ok_or(AuthorityError::NotFound)?;
        if m.status != shared::member::MemberStatus::Active {
            return Err(AuthorityError::Refused {
                code: "member_blocked".into(),
                message: "the member is blocked".into(),
            });
        }
        let expires_at = s.now() + SignedDuration::from_mins(15);
        if s.holds.contains_key(&request.hold) {
            let (points_available, stored_value_available) = Self::available(&s, &m);
            return Ok(HoldResponse {
                hold: request.hold,
                expires_at,
                split: None,
                points_available,
                stored_value_available,
            });
        }
        let (points, sv) = Self::available(&s, &m);
        let split = match request.amount {
            HoldAmount::Points { points: wanted, .. } => {
                if wanted <= 0 || wanted > points {
                    return Err(AuthorityError::Refused {
                        code: "insufficient_points".into(),
                        message: format!("{points} points available, {wanted} asked"),
                    });
                }
                None
            }
            HoldAmount::StoredValue { amount } => Some(sv.spend_split(amount).map_err(|e| {
                AuthorityError::Refused { code: "insufficient_stored_value".into(), message: e.to_string() }
            })?),
        };
        s.holds.insert(request.hold, (request.member, request.amount, expires_at, split));
        let (points_available, stored_value_available) = Self::available(&s, &m);
        Ok(HoldResponse { hold: request.hold, expires_at, split, points_available, stored_value_available })
    }

    fn release(&self, hold: HoldId) -> Result<(), AuthorityError> {
        let mut s = self.state();
        Self::offline_check(&s)?;
        s.holds.remove(&hold);
        Ok(())
    }

    fn top_up(&self, request: &TopUpRequest) -> Result<TopUpResponse, AuthorityError> {
        let mut s = self.state();
        Self::offline_check(&s)?;
        if let Some(done) = s.topups.get(&request.id) {
            return Ok(done.clone());
        }
        let rules = s.topup_rules.clone();
        let m = s.members.get_mut(&request.member).ok_or(AuthorityError::NotFound)?;
        let (balance, split) = m
            .stored_value
            .top_up(request.amount, &rules)
            .map_err(|e| AuthorityError::Refused { code: "validation".into(), message: e.to_string() })?;
        m.stored_value = balance;
        let response = TopUpResponse { split, balance };
        s.topups.insert(request.id, response.clone());
        Ok(response)
    }

    fn sale_history(&self, receipt: &ReceiptNo) -> Result<(CompletedSale, Vec<Refund>), AuthorityError> {
        let s = self.state();
        Self::offline_check(&s)?;
        s.sales.get(receipt).cloned().ok_or(AuthorityError::NotFound)
    }

    fn hold_coupon(&self, request: &CouponHoldRequest) -> Result<CouponHoldResponse, AuthorityError> {
        let mut s = self.state();
        Self::offline_check(&s)?;
        let refused =
            |code: &str, message: &str| AuthorityError::Refused { code: code.into(), message: message.into() };
        let parsed = CouponCode::parse(&request.code).map_err(|e| refused("validation", &e.to_string()))?;
        let now = s.now();
        let fake = s
            .coupons
            .get_mut(&parsed.coupon)
            .filter(|c| c.code == parsed)
            .ok_or_else(|| refused(coupon_refusal::UNKNOWN, "no coupon has this code"))?;
        let answer = |c: &FakeCoupon, hold: HoldId, expires_at: Timestamp| CouponHoldResponse {
            hold,
            code: c.code.to_string(),
            coupon: c.coupon.clone(),
            member: c.member,
            valid_until: c.valid_until,
            expires_at,
        };
        if let Some((h, _, expires)) = fake.hold
            && h == request.hold
        {
            return Ok(answer(fake, h, expires));
        }
        if fake.used {
            return Err(refused(coupon_refusal::USED, "this coupon was already used"));
        }
        if request.member.is_some_and(|m| m != fake.member) {
            return Err(refused(coupon_refusal::OTHER_MEMBER, "this coupon belongs to another member"));
        }
        if now > fake.valid_until {
            return Err(refused(coupon_refusal::EXPIRED, "this coupon has expired"));
        }
        if now < fake.valid_from {
            return Err(refused(coupon_refusal::NOT_YET_VALID, "this coupon is not valid yet"));
        }
        if fake.hold.is_some_and(|(_, _, expires)| expires > now) {
            return Err(refused(coupon_refusal::HELD, "this coupon is held for another sale"));
        }
        let expires_at = now + SignedDuration::from_mins(15);
        fake.hold = Some((request.hold, request.sale, expires_at));
        let held = answer(fake, request.hold, expires_at);
        if std::mem::take(&mut s.lose_next_hold_answer) {
            return Err(AuthorityError::Unavailable("HQ did not answer in time".into()));
        }
        Ok(held)
    }

    fn release_coupon(&self, hold: HoldId) -> Result<(), AuthorityError> {
        let mut s = self.state();
        Self::offline_check(&s)?;
        for c in s.coupons.values_mut() {
            if c.hold.is_some_and(|h| h.0 == hold) {
                c.hold = None;
            }
        }
        Ok(())
    }

    fn member_coupons(&self, member: MemberId) -> Result<Vec<MemberCoupon>, AuthorityError> {
        let s = self.state();
        Self::offline_check(&s)?;
        let now = s.now();
        let mut list: Vec<MemberCoupon> = s
            .coupons
            .values()
            .filter(|c| {
                c.member == member
                    && !c.used
                    && c.valid_from <= now
                    && now <= c.valid_until
                    && c.hold.is_none_or(|h| h.2 <= now)
            })
            .map(|c| MemberCoupon { code: c.code.to_string(), coupon: c.coupon.clone(), valid_until: c.valid_until })
            .collect();
        list.sort_by_key(|c| (c.valid_until, c.coupon.id));
        Ok(list)
    }

    fn collect_payment(&self, request: &CollectRequest) -> Result<PaymentAttempt, AuthorityError> {
        let mut s = self.state();
        Self::offline_check(&s)?;
        let order_no = format!("{}-{}", request.receipt_no, request.attempt);
        if let Some(was) = s.payments.get(&order_no) {
            return Ok(was.clone());
        }
        let code = match shared::payment_code::classify(&request.code) {
            shared::payment_code::PaymentScan::Wechat(c) | shared::payment_code::PaymentScan::Alipay(c) => c,
            _ => {
                return Err(AuthorityError::Refused {
                    code: "validation".into(),
                    message: "not a payment code".into(),
                });
            }
        };
        let now = s.now();
        let attempt = PaymentAttempt {
            order_no: order_no.clone(),
            provider: code.provider(),
            receipt_no: request.receipt_no.clone(),
            attempt: request.attempt,
            amount: request.amount,
            code_masked: code.masked(),
            state: shared::payment::AttemptState::Paid,
            transaction_id: Some(format!("4200{:024}", s.payments.len() + 1)),
            paid_at: Some(now),
            failure_code: None,
            message: None,
            retryable: false,
            refunded: Money::ZERO,
        };
        s.payments.insert(order_no, attempt.clone());
        Ok(attempt)
    }

    fn payment_status(&self, order_no: &str) -> Result<PaymentAttempt, AuthorityError> {
        let s = self.state();
        Self::offline_check(&s)?;
        s.payments.get(order_no).cloned().ok_or(AuthorityError::NotFound)
    }

    fn cancel_payment(&self, order_no: &str) -> Result<PaymentAttempt, AuthorityError> {
        self.payment_status(order_no)
    }

    fn refund_payment(&self, order_no: &str, request: &RefundRequest) -> Result<PaymentRefund, AuthorityError> {
        let mut s = self.state();
        Self::offline_check(&s)?;
        let refund = Self::gateway_refund(&mut s, order_no, request)?;
        if std::mem::take(&mut s.lose_next_refund_answer) {
            return Err(AuthorityError::Unavailable("HQ did not answer in time".into()));
        }
        Ok(refund)
    }

    fn refund_status(&self, order_no: &str, seq: u32) -> Result<PaymentRefund, AuthorityError> {
        let s = self.state();
        Self::offline_check(&s)?;
        s.refunds.get(&format!("{order_no}-R{seq}")).cloned().ok_or(AuthorityError::NotFound)
    }
}

/// The in-memory payment gateway: every code pays at once; refunds once per seq, never beyond the
/// payment, refused where a test said so.
impl InMemoryAuthority {
    fn gateway_refund(
        s: &mut FakeHq,
        order_no: &str,
        request: &RefundRequest,
    ) -> Result<PaymentRefund, AuthorityError> {
        let out_refund_no = format!("{order_no}-R{}", request.seq);
        if let Some(was) = s.refunds.get(&out_refund_no) {
            if was.amount != request.amount {
                return Err(AuthorityError::Refused {
                    code: "conflict".into(),
                    message: format!("refund {} was asked for {}", request.seq, was.amount),
                });
            }
            return Ok(was.clone());
        }
        let paid = s.payments.get(order_no).cloned().ok_or(AuthorityError::NotFound)?;
        let committed: Money = s
            .refunds
            .values()
            .filter(|r| r.order_no == order_no && r.state != RefundState::Failed)
            .map(|r| r.amount)
            .sum();
        if request.amount.0 <= 0 || request.amount > paid.amount - committed {
            return Err(AuthorityError::Refused {
                code: "conflict".into(),
                message: format!("{} is more than the {} not yet refunded", request.amount, paid.amount - committed),
            });
        }
        let refused = s.refuse_refunds.get(order_no).cloned();
        let refund = PaymentRefund {
            order_no: order_no.into(),
            out_refund_no: out_refund_no.clone(),
            seq: request.seq,
            amount: request.amount,
            refund_receipt_no: request.refund_receipt_no.clone(),
            state: if refused.is_some() { RefundState::Failed } else { RefundState::Refunded },
            refund_id: refused.is_none().then(|| format!("5030{:024}", s.refunds.len() + 1)),
            failure_code: refused.as_ref().map(|r| r.0.clone()),
            message: refused.map(|r| r.1),
        };
        s.refunds.insert(out_refund_no, refund.clone());
        Ok(refund)
    }
}

/// The stored-value split HQ would use for `amount` (principal first), for an offline tender.
pub fn offline_split(balance: &StoredValue, amount: Money) -> Option<SvSplit> {
    balance.spend_split(amount).ok()
}
