//! Everything a till call can refuse, in words a cashier's screen can show.

use jiff::Timestamp;
use jiff::civil::Date;
use shared::catalog::BarcodeError;
use shared::money::Money;
use shared::points::PointsError;
use shared::pricing::PricingError;
use shared::sale::{RefundError, SaleError, TenderError};
use shared::staff::ApprovalAction;
use shared::stored_value::StoredValueError;

use crate::authority::AuthorityError;
use crate::store::StoreError;

/// Why a till call did nothing. Every variant but `Store` is about the input or the situation, and
/// leaves the till exactly as it was.
#[derive(Debug, thiserror::Error)]
pub enum TillError {
    #[error("the till is not set up: {0}")]
    NotConfigured(String),
    #[error("no one is logged in")]
    NotLoggedIn,
    #[error("the till is locked: enter your PIN")]
    Locked,
    #[error("wrong login or PIN")]
    WrongPin { attempts_left: Option<u32> },
    #[error("locked out after too many wrong PINs; a manager must unlock")]
    LockedOut { until: Option<Timestamp> },
    #[error("a manager must approve this ({0:?})")]
    ApprovalRequired(ApprovalAction),
    #[error("this approval was given for something else")]
    WrongApproval,
    #[error("only an active manager can approve")]
    NotAManager,
    #[error("no shift is open: open a shift first")]
    NoOpenShift,
    #[error("a shift is already open at this till")]
    ShiftAlreadyOpen,
    #[error("the open shift belongs to another cashier")]
    NotYourShift,
    #[error("unknown barcode {0}")]
    UnknownBarcode(String),
    #[error("unknown product")]
    UnknownProduct,
    #[error("misread: {0}")]
    Misread(#[from] BarcodeError),
    #[error("{0} is no longer sold")]
    Delisted(String),
    #[error("no sale in progress")]
    NoSale,
    #[error("a sale is in progress: finish, hold or void it first")]
    SaleInProgress,
    #[error("the sale has no line {0}")]
    NoSuchLine(usize),
    #[error("the sale has no tender {0}")]
    NoSuchTender(usize),
    #[error("remove the payments before changing the sale")]
    TendersPresent,
    #[error("no held sale {0}")]
    NoSuchHeldSale(String),
    #[error(transparent)]
    Pricing(#[from] PricingError),
    #[error(transparent)]
    Sale(#[from] SaleError),
    #[error(transparent)]
    Tender(#[from] TenderError),
    #[error(transparent)]
    Points(#[from] PointsError),
    #[error(transparent)]
    StoredValue(#[from] StoredValueError),
    #[error(transparent)]
    Refund(#[from] RefundError),
    #[error("no member is attached to the sale")]
    NoMember,
    #[error("the member is not known to HQ yet: points and stored value need a member HQ knows")]
    MemberNotIdentified,
    #[error("this member is blocked")]
    MemberBlocked,
    /// A member's rotating code of an older step (spec: "A member's rotating code").
    #[error("this member code has expired: ask the member to refresh the code on their phone")]
    MemberCodeExpired,
    /// A code of the rotating code's shape that is not the member's code of now.
    #[error("this member code is not valid: ask the member to refresh the code on their phone, or scan their card")]
    MemberCodeNotValid,
    /// HQ cannot be reached and the till holds no secret to check the member's rotating code with.
    #[error(
        "HQ cannot be reached and this till cannot check this member code offline: scan the member's card or enter their phone number"
    )]
    MemberCodeOffline,
    #[error("HQ is not reachable, and this needs HQ: {0}")]
    HqUnavailable(String),
    #[error("HQ refused: {0}")]
    HqRefused(String),
    #[error("member not found")]
    MemberNotFound,
    #[error("receipt {0} not found")]
    ReceiptNotFound(String),
    #[error("sale {0} can no longer be voided: {1}")]
    CannotVoid(String, &'static str),
    #[error("business day {0} is already closed")]
    DayAlreadyClosed(Date),
    #[error("{0} shift(s) of that business day are still open")]
    ShiftsOpen(usize),
    #[error("a return without a receipt may put at most {0} on stored value; pay the rest in cash")]
    OverNoReceiptLimit(Money),
    #[error(transparent)]
    Coupon(super::coupons::CouponProblem),
    #[error("{0}")]
    Invalid(String),
    /// A payment code read wrong (its provider's prefix, not its length): scan it again. Never a
    /// product lookup.
    #[error("{0}")]
    PaymentMisread(String),
    /// A payment by code on this sale is not settled yet: wait for it, or cancel it.
    #[error("a WeChat Pay / Alipay payment on this sale is still being confirmed: wait for it or cancel it")]
    PaymentPending,
    /// The sale was paid (in part) by WeChat Pay or Alipay: the money was taken, so the sale cannot
    /// be held, voided or have that payment removed; complete it (a refund gives the money back).
    #[error("this sale has a WeChat Pay / Alipay payment that was taken: complete the sale, then refund it if needed")]
    PaidByCode,
    /// The provider (or HQ, or the card terminal) refused to give the money back to the payment
    /// it came from: nothing was refunded, and the return is not recorded (never paid in cash
    /// instead by itself).
    #[error("{} refused the refund of {amount}: {message}. Nothing was refunded; the return is not recorded", .kind.code())]
    RefundRefused { kind: shared::sale::TenderKind, amount: Money, code: Option<String>, message: String },
    /// A return's refund to the original payment is not settled (HQ or the card terminal did not
    /// answer, or one part was refused after another went back): the return is kept open and
    /// completes when they have answered.
    #[error(
        "the refund of return {receipt_no} to the original payment is not settled ({why}); it is kept and finished when HQ or the terminal answers"
    )]
    RefundOpen { receipt_no: String, why: String },
    /// The sale has a card payment the terminal approved: the card was charged, so the sale
    /// cannot be held or voided with it on; remove that payment (voided on the terminal) first.
    #[error(
        "this sale has a card payment the terminal approved: complete the sale, or remove that payment (it is voided on the terminal)"
    )]
    CardTaken,
    /// The terminal did not void an approved card payment: it stays on the sale.
    #[error("the card payment could not be voided on the terminal ({0}); it stays on the sale")]
    CardNotVoided(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl TillError {
    /// Whether nothing was saved because the till's disk is full.
    pub fn is_disk_full(&self) -> bool {
        matches!(self, TillError::Store(StoreError::DiskFull))
    }
}

impl From<rusqlite::Error> for TillError {
    fn from(e: rusqlite::Error) -> Self {
        TillError::Store(StoreError::from(e))
    }
}

impl From<AuthorityError> for TillError {
    fn from(e: AuthorityError) -> Self {
        match e {
            AuthorityError::Unavailable(why) => TillError::HqUnavailable(why),
            AuthorityError::Refused { message, .. } => TillError::HqRefused(message),
            AuthorityError::NotFound => TillError::MemberNotFound,
        }
    }
}
