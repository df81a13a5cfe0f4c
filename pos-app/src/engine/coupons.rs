//! Member coupons on the sale in progress (layer 4 of the promotions): a code scanned or typed, or
//! picked from the attached member's coupons. Online, HQ holds the coupon for this sale (one hold
//! across every till) and the sale's event captures it; a coupon the sale does not use is given
//! back at completion, and every hold is given back when the sale is voided or put on hold.
//! Offline, a coupon is taken only when HQ allows its campaign offline, up to the campaign's cap of
//! coupons per till and business day; HQ checks it when the sale arrives (the sale stands).

use shared::ids::{HoldId, MemberId};
use shared::money::Money;
use shared::promotions::coupons::{CouponCode, CouponCodeError, OfflineCouponRefusal, offline_use};
use shared::sync::{CouponHoldRequest, MemberCoupon, coupon_refusal};

use super::cart::{Cart, CartCoupon};
use super::{Till, TillError, TillResult};
use crate::authority::AuthorityError;

/// Why a coupon was not taken, in terms the screen can say in either language.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CouponProblem {
    #[error(transparent)]
    Code(#[from] CouponCodeError),
    #[error("no coupon has this code")]
    Unknown,
    #[error("this coupon has expired")]
    Expired,
    #[error("this coupon is not valid yet")]
    NotYetValid,
    #[error("this coupon was already used")]
    Used,
    #[error("this coupon is being used by another sale")]
    Held,
    #[error("this coupon belongs to another member")]
    OtherMember,
    #[error("this coupon's campaign has ended")]
    CampaignEnded,
    #[error("this coupon is already on the sale")]
    AlreadyOnSale,
    #[error("this till already took this coupon")]
    AlreadyTakenHere,
    #[error(transparent)]
    Offline(#[from] OfflineCouponRefusal),
    #[error("HQ refused the coupon: {0}")]
    Other(String),
}

impl CouponProblem {
    fn from_refusal(code: &str, message: String) -> CouponProblem {
        match code {
            coupon_refusal::UNKNOWN => CouponProblem::Unknown,
            coupon_refusal::EXPIRED => CouponProblem::Expired,
            coupon_refusal::NOT_YET_VALID => CouponProblem::NotYetValid,
            coupon_refusal::USED => CouponProblem::Used,
            coupon_refusal::HELD => CouponProblem::Held,
            coupon_refusal::OTHER_MEMBER => CouponProblem::OtherMember,
            coupon_refusal::CAMPAIGN_ENDED => CouponProblem::CampaignEnded,
            _ => CouponProblem::Other(message),
        }
    }
}

/// A coupon on the sale as the sale screen lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CouponView {
    pub code: String,
    pub name: String,
    /// What it takes off the cart as it stands (zero: not used yet, e.g. minimum spend not reached).
    pub discount: Money,
    /// Taken while HQ could not be reached (HQ checks it when the sale arrives).
    pub offline: bool,
}

impl Till {
    /// Adds a coupon to the sale by its code, as scanned or typed. Online HQ holds it for this sale;
    /// offline it is taken only under its campaign's offline rule. Refused with the reason, and the
    /// sale left as it was, for a code that is mistyped, unknown, expired, used, held by another
    /// sale, another member's, or already on this sale.
    pub fn add_coupon(&mut self, text: &str) -> TillResult<CouponView> {
        self.cashier()?;
        self.my_shift()?;
        self.no_tenders()?;
        let code = CouponCode::parse(text).map_err(|e| TillError::Coupon(e.into()))?;
        // The hold names the sale it is for: a coupon scanned first starts the sale it will be on
        // (the sale an unanswered try for this coupon named, if any).
        let pending = self.coupon_attempts.get(&code.coupon.0).copied();
        let started = self.cart.is_none();
        if started {
            let mut fresh = Cart::new(self.now());
            if let Some((_, sale)) = pending {
                fresh.id = sale;
            }
            self.cart = Some(fresh);
        }
        let cart = self.cart.clone().ok_or(TillError::NoSale)?;
        let refused = |till: &mut Till, e: TillError| {
            if started {
                till.cart = None;
            }
            Err(e)
        };
        if cart.coupons.iter().any(|c| c.coupon.id == code.coupon) {
            return refused(self, TillError::Coupon(CouponProblem::AlreadyOnSale));
        }
        let member = cart.member.as_ref().and_then(|m| m.snapshot.as_ref()).map(|s| s.id);
        let hold = match pending {
            Some((h, sale)) if sale == cart.id => h,
            // An unanswered hold for another sale: given back (best effort) before a new one.
            Some((h, _)) => {
                self.give_back_coupon(h);
                HoldId::new()
            }
            None => HoldId::new(),
        };
        self.coupon_attempts.insert(code.coupon.0, (hold, cart.id));
        let request = CouponHoldRequest { hold, sale: cart.id, code: code.to_string(), member };
        let answer = self.authority.hold_coupon(&request);
        if !matches!(answer, Err(AuthorityError::Unavailable(_))) {
            self.coupon_attempts.remove(&code.coupon.0);
        }
        let taken = match answer {
            Ok(held) => CartCoupon {
                code: held.code,
                coupon: held.coupon,
                hold: Some(held.hold),
                valid_until: Some(held.valid_until),
                owner: Some(held.member),
            },
            Err(AuthorityError::Unavailable(_)) => match self.offline_coupon(&code, &cart) {
                Ok(c) => c,
                Err(e) => return refused(self, e),
            },
            Err(AuthorityError::Refused { code, message }) => {
                return refused(self, TillError::Coupon(CouponProblem::from_refusal(&code, message)));
            }
            Err(AuthorityError::NotFound) => return refused(self, TillError::Coupon(CouponProblem::Unknown)),
        };
        let hold = taken.hold;
        let added = taken.clone();
        if let Err(e) = self.change_cart(None, |cart| {
            cart.coupons.push(taken);
            Ok(())
        }) {
            if let Some(h) = hold {
                self.give_back_coupon(h);
            }
            if started {
                self.cart = None;
            }
            return Err(e);
        }
        Ok(self.coupon_views()?.into_iter().find(|v| v.code == added.code).unwrap_or(CouponView {
            code: added.code,
            name: added.coupon.name,
            discount: Money::ZERO,
            offline: hold.is_none(),
        }))
    }

    /// The coupon of `code` as a till offline may take it: its campaign as pulled, under the
    /// campaign's cap for today (the sales completed today and this one's coupons so far), never
    /// twice at this till.
    fn offline_coupon(&self, code: &CouponCode, cart: &Cart) -> TillResult<CartCoupon> {
        let campaign = self.store.coupon_campaign(code.campaign)?;
        let (done_today, taken) = self.store.offline_coupons(code.campaign, code.coupon, self.business_day()?)?;
        let on_this_sale = cart
            .coupons
            .iter()
            .filter(|c| c.hold.is_none() && CouponCode::parse(&c.code).is_ok_and(|k| k.campaign == code.campaign))
            .count();
        let used_today = done_today.saturating_add(u32::try_from(on_this_sale).unwrap_or(u32::MAX));
        if taken {
            return Err(TillError::Coupon(CouponProblem::AlreadyTakenHere));
        }
        offline_use(campaign.as_ref(), code.campaign, used_today).map_err(|e| TillError::Coupon(e.into()))?;
        let campaign = campaign.ok_or(TillError::Coupon(CouponProblem::Unknown))?;
        Ok(CartCoupon {
            code: code.to_string(),
            coupon: campaign.coupon(code.coupon),
            hold: None,
            valid_until: None,
            owner: None,
        })
    }

    /// Takes a coupon off the sale and gives its hold back.
    pub fn remove_coupon(&mut self, code: &str) -> TillResult<()> {
        self.no_tenders()?;
        let Some(cart) = &self.cart else { return Err(TillError::NoSale) };
        let wanted = CouponCode::parse(code).map(|c| c.to_string()).unwrap_or_else(|_| code.to_owned());
        let Some(found) = cart.coupons.iter().find(|c| c.code == wanted).cloned() else {
            return Err(TillError::Coupon(CouponProblem::Unknown));
        };
        self.change_cart(None, |cart| {
            cart.coupons.retain(|c| c.code != found.code);
            Ok(())
        })?;
        if let Some(h) = found.hold {
            self.give_back_coupon(h);
        }
        Ok(())
    }

    /// The coupons the attached member can use now (HQ's list), for the cashier to pick from;
    /// those already on the sale are left out. Needs HQ.
    pub fn member_coupons(&self) -> TillResult<Vec<MemberCoupon>> {
        let cart = self.cart.as_ref().ok_or(TillError::NoSale)?;
        let member: MemberId = cart
            .member
            .as_ref()
            .ok_or(TillError::NoMember)?
            .snapshot
            .as_ref()
            .map(|s| s.id)
            .ok_or(TillError::MemberNotIdentified)?;
        let mut list = self.authority.member_coupons(member)?;
        list.retain(|m| !cart.coupons.iter().any(|c| c.coupon.id == m.coupon.id));
        Ok(list)
    }

    /// The coupons on the sale with what each takes off as the cart stands.
    pub fn coupon_views(&self) -> TillResult<Vec<CouponView>> {
        let Some(cart) = &self.cart else { return Ok(Vec::new()) };
        if cart.coupons.is_empty() {
            return Ok(Vec::new());
        }
        let (priced, _, _) = self.price(cart)?;
        Ok(coupon_views(cart, &priced.coupons))
    }

    /// Gives back the holds of the cart's coupons that `keep` does not name (best effort: a hold
    /// not given back expires at HQ).
    pub(crate) fn release_coupon_holds(&self, cart: &Cart, keep: &[shared::promotions::coupons::CouponId]) {
        for c in cart.coupons.iter().filter(|c| !keep.contains(&c.coupon.id)) {
            if let Some(h) = c.hold {
                self.give_back_coupon(h);
            }
        }
    }

    fn give_back_coupon(&self, hold: HoldId) {
        if let Err(e) = self.authority.release_coupon(hold) {
            tracing::warn!(%hold, error = %e, "could not give a coupon hold back; it will expire at HQ");
        }
    }
}

/// The cart's coupons with their discounts from a pricing of it.
pub(crate) fn coupon_views(cart: &Cart, applied: &[shared::promotions::coupons::AppliedCoupon]) -> Vec<CouponView> {
    cart.coupons
        .iter()
        .map(|c| CouponView {
            code: c.code.clone(),
            name: c.coupon.name.clone(),
            discount: applied.iter().find(|a| a.id == c.coupon.id).map_or(Money::ZERO, |a| a.discount),
            offline: c.hold.is_none(),
        })
        .collect()
}
