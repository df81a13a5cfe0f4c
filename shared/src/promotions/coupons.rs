//! Layer 4, coupons (券): the types only. The engine does not apply coupons yet; this fixes the shape
//! the till, HQ and the sale record will share when it does.
//!
//! domain.md: "a member's coupon (amount off with a minimum spend, percent off a scope, or a
//! fixed-price item), one use, applied last. Redeeming one takes a hold at HQ like points; offline use
//! is refused unless HQ allows it for that coupon kind."
//!
//! The plan for applying them (not implemented): after layer 3, on the lines' nets that
//! [`super::PromotionOutcome`] reports; an amount or a percent spread over the scope's lines by the
//! largest-remainder rule like layer 3 (never below zero); a fixed-price item taking one unit of the
//! product down to its price; each coupon once; its allocations recorded with the line's others.

use serde::{Deserialize, Serialize};

use super::Scope;
use crate::catalog::ProductId;
use crate::money::{Bp, Money};

/// A coupon's id, assigned by HQ when it issues the coupon to a member.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CouponId(pub u64);

/// What a coupon gives.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CouponKind {
    /// `off` from a sale whose goods in `scope` reach `min_spend` (at ≥).
    AmountOff { scope: Scope, min_spend: Money, off: Money },
    /// `bp` off the goods in `scope`.
    PercentOff { scope: Scope, bp: Bp },
    /// One unit of `product` for `price`.
    FixedPriceItem { product: ProductId, price: Money },
}

/// A member's coupon as the till sees it once HQ holds it for the sale.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coupon {
    pub id: CouponId,
    pub name: String,
    pub kind: CouponKind,
    /// Whether HQ allows this coupon kind to be used while the till is offline.
    pub offline_allowed: bool,
}
