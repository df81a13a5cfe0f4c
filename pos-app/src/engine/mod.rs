//! The till engine: everything a cashier and a branch manager do at a till, without a screen.
//!
//! [`Till`] owns the till's [`Store`], a [`Clock`], the [`MemberAuthority`] (HQ's online member
//! services) and the [`Peripherals`]. Every call validates first and changes nothing on error;
//! every state change and its outbox event commit in one transaction; a completed sale is durable
//! before its receipt is handed to the printer.

mod card_pay;
mod card_refunds;
mod cart;
mod code_refunds;
mod complaints;
mod count;
mod coupons;
mod error;
mod members;
mod mobile_pay;
mod returns;
mod shift;
mod staff;
mod tender;

use std::cell::RefCell;
use std::sync::Arc;

use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;
use jiff::{Timestamp, Zoned};
use shared::branch::BranchSettings;
use shared::ids::{StaffId, TillId};
use shared::lang::Lang;
use shared::policy::MemberPolicy;
use shared::promotions::PromotionEngine;
use shared::receipt::{ReceiptContext, ReceiptNo};
use shared::staff::StaffMember;
use shared::sync::{AuditEntry, Event};

/// A sale put on hold, as the recall list shows it.
pub use crate::store::HeldSale;
/// A product found by search, as the sale screen lists it.
pub use crate::store::ProductHit;
/// A shift as the till keeps it: who, since when, the float, and its report once closed.
pub use crate::store::ShiftRow;
/// The till's database, which the app opens once and hands to the engine and the sync task.
pub use crate::store::Store;
/// An attempt to collect a payment code's amount, as the till keeps it.
pub use crate::store::TillAttempt;
pub use crate::store::{CardAttempt, CardState};
pub use crate::store::{CodeRefund, CodeRefundState, CodeReturn, CodeReturnState};
/// A complaint taken at this till and where it stands (pending, sent, refused by HQ).
pub use crate::store::{ComplaintStatus, StoredComplaint};
/// Where a line counted here stands, and a product's on hand as last pulled.
pub use crate::store::{CountLineStatus, OnHand};
pub use card_pay::{CardPayment, RecoveredCard};
pub use cart::{Cart, CartCoupon, CartLine, CartMember, CartView, ScanOutcome};
pub use code_refunds::ResumedReturn;
pub use complaints::{ComplaintDraft, ComplaintForm, QueuedComplaint, RejectedComplaint};
pub use count::{CountChoice, CountItem, CountView, CountedLine, LAST_LINES, count_qty};
pub use coupons::{CouponProblem, CouponView};
pub use error::TillError;
pub use members::Enrolment;
pub use mobile_pay::{CodePayment, PaymentStep, Recovered};
pub use returns::{RefundTo, ReturnContext};
pub use shift::ZReport;
pub use staff::Approval;
pub use tender::{Completed, Paid, Payment};

use crate::authority::MemberAuthority;
use crate::clock::Clock;
use crate::peripherals::Peripherals;
use crate::store::{OutboxStatus, StoreResult, records};

pub type TillResult<T> = Result<T, TillError>;

/// An event HQ refused: its number in the till's outbox, its kind and HQ's reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RejectedEvent {
    pub seq: u64,
    pub kind: &'static str,
    pub reason: String,
}

/// Who this till is, from its enrolment at HQ.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TillIdentity {
    pub till: TillId,
    /// The till's number in its branch (`01` in receipt numbers).
    pub number: u16,
    pub branch_code: String,
}

impl TillIdentity {
    /// Reads the identity an enrolment stored in the database.
    pub fn load(store: &Store) -> StoreResult<Option<TillIdentity>> {
        let get = |k: &str| store.meta(k);
        match (get("till_id")?, get("till_number")?, get("branch_code")?) {
            (Some(id), Some(n), Some(code)) => Ok(id
                .parse()
                .ok()
                .zip(n.parse().ok())
                .map(|(id, number)| TillIdentity { till: TillId(id), number, branch_code: code })),
            _ => Ok(None),
        }
    }

    /// Stores the identity (enrolment, or a test's setup).
    pub fn save(&self, store: &mut Store) -> StoreResult<()> {
        store.set_meta("till_id", &self.till.0.to_string())?;
        store.set_meta("till_number", &self.number.to_string())?;
        store.set_meta("branch_code", &self.branch_code)
    }
}

/// What the engine reads on almost every call, cached (see [`Till::settings`]).
pub(crate) struct Settings {
    pub branch: BranchSettings,
    pub time_zone: TimeZone,
    pub policies: Vec<MemberPolicy>,
    /// The branch's quick keys whose product this till sells.
    pub quick_keys: Vec<QuickKeyView>,
    /// The promotion set as pulled, indexed for pricing.
    pub promotions: PromotionEngine,
    /// The products the set's 满赠 promotions give away, as one-unit lines.
    pub gifts: Vec<shared::sale::LineItem>,
}

/// A quick key on the sale screen: a product without a barcode, one touch away.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuickKeyView {
    pub label: String,
    pub product: shared::catalog::ProductId,
    /// Sold by weight: the cashier types the weight next.
    pub weighed: bool,
}

/// The store's version of the pulled data a [`Settings`] was read at.
type SettingsVersion = (i64, u64);

/// This till and the moment of a transaction: what its writes need besides the data.
#[derive(Clone, Debug)]
pub(crate) struct Stamp {
    pub identity: TillIdentity,
    pub at: Timestamp,
}

impl Stamp {
    /// Takes the next receipt number inside `tx`.
    pub fn next_receipt_no(&self, tx: &rusqlite::Transaction<'_>) -> StoreResult<ReceiptNo> {
        let seq = crate::store::next_in_sequence(tx, "receipt")?;
        Ok(ReceiptNo::new(&self.identity.branch_code, self.identity.number, seq))
    }

    /// Writes an event to the outbox inside `tx`.
    pub fn enqueue(&self, tx: &rusqlite::Transaction<'_>, event: &Event) -> StoreResult<()> {
        records::enqueue(tx, self.identity.till, self.at, event).map(|_| ())
    }

    /// Writes an audit entry and its event inside `tx`.
    pub fn audit(&self, tx: &rusqlite::Transaction<'_>, entry: AuditEntry) -> StoreResult<()> {
        records::insert_audit(tx, self.at, &entry)?;
        self.enqueue(tx, &Event::Audit(entry))
    }
}

/// The logged-in cashier.
#[derive(Clone, Debug)]
pub(crate) struct Session {
    pub staff: StaffMember,
    pub locked: bool,
}

/// A till: its store, its devices, HQ's member services, and the session and sale in progress.
pub struct Till {
    pub(crate) store: Store,
    pub(crate) clock: Box<dyn Clock>,
    pub(crate) authority: Box<dyn MemberAuthority>,
    pub(crate) devices: Box<dyn Peripherals>,
    pub(crate) identity: TillIdentity,
    pub(crate) session: Option<Session>,
    pub(crate) cart: Option<Cart>,
    pub(crate) lang: Lang,
    settings: RefCell<Option<(SettingsVersion, Arc<Settings>)>>,
    /// Coupon holds asked of HQ whose answer never came (a timeout), by coupon: the hold and the
    /// sale it was for. The next try for that sale sends the same hold id, so HQ answers it as a
    /// retry instead of "in use by another sale".
    pub(crate) coupon_attempts: std::collections::HashMap<u64, (shared::ids::HoldId, shared::ids::SaleId)>,
    /// The payment codes of attempts not settled, by order number, kept in memory only (never
    /// written): a collect HQ never received is sent again as the same attempt.
    pub(crate) payment_codes: std::collections::HashMap<String, shared::payment_code::PaymentCode>,
    /// Fault injection for tests (`set_payment_hook`).
    pub(crate) payment_hook: Option<Box<dyn FnMut(PaymentStep) + Send>>,
    /// The bank-card payment terminal, if one is connected (`set_card_terminal`).
    pub(crate) card_terminal: Option<Box<dyn crate::peripherals::CardTerminal>>,
}

impl Till {
    /// Fault injection for tests: the till's disk is full (`true`) or has room again.
    #[doc(hidden)]
    pub fn fault_disk_full(&self, full: bool) -> TillResult<()> {
        Ok(self.store.fault_disk_full(full)?)
    }

    /// Opens a till over its store. The till must have been enrolled (its identity stored) and have
    /// pulled its branch settings. A sale that was in progress when the till stopped comes back.
    pub fn open(
        store: Store,
        clock: Box<dyn Clock>,
        authority: Box<dyn MemberAuthority>,
        devices: Box<dyn Peripherals>,
    ) -> TillResult<Till> {
        let identity = TillIdentity::load(&store)?
            .ok_or_else(|| TillError::NotConfigured("the till has not been enrolled at HQ".into()))?;
        if store.branch()?.is_none() {
            return Err(TillError::NotConfigured("the branch settings have not been pulled from HQ".into()));
        }
        let cart = store.load_cart::<Cart>()?;
        Ok(Till {
            store,
            clock,
            authority,
            devices,
            identity,
            session: None,
            cart,
            lang: Lang::ZhCn,
            settings: RefCell::new(None),
            coupon_attempts: Default::default(),
            payment_codes: Default::default(),
            payment_hook: None,
            card_terminal: None,
        })
    }

    pub fn identity(&self) -> &TillIdentity {
        &self.identity
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The store, for the sync task's writes (pull pages, outbox outcomes).
    pub fn store_mut(&mut self) -> &mut Store {
        &mut self.store
    }

    /// Replaces HQ's member services (the sync layer connects them after start).
    pub fn set_authority(&mut self, authority: Box<dyn MemberAuthority>) {
        self.authority = authority;
    }

    /// The language receipts print in.
    pub fn set_language(&mut self, lang: Lang) {
        self.lang = lang;
    }

    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// The branch settings and policy versions, read from the store once and again only after
    /// the store's pulled data changed (a pull page applied here or by the sync task's connection).
    pub(crate) fn settings(&self) -> TillResult<Arc<Settings>> {
        let version = self.store.settings_version()?;
        if let Some((v, s)) = self.settings.borrow().as_ref()
            && *v == version
        {
            return Ok(s.clone());
        }
        let branch = self.store.branch()?.ok_or_else(|| TillError::NotConfigured("no branch settings".into()))?;
        let time_zone = branch.zone();
        let mut quick_keys = Vec::new();
        for key in &branch.quick_keys {
            match self.store.product_by_code(&key.product_code)? {
                Some(p) if p.product.status == shared::catalog::ProductStatus::Active => quick_keys
                    .push(QuickKeyView { label: key.label.clone(), product: p.product.id, weighed: p.product.weighed }),
                _ => tracing::warn!(code = %key.product_code, "a quick key's product is not sold here"),
            }
        }
        let promotions = PromotionEngine::new(self.store.promotion_set()?);
        for (id, why) in promotions.left_out() {
            // HQ refuses such a promotion at save: one here is a bug at HQ, priced as if absent.
            tracing::warn!(promotion = id.0, %why, "a pulled promotion is not valid and is left out");
        }
        let mut gifts = Vec::new();
        for id in shared::sale::PromotionContext::gift_products(&promotions) {
            match self.store.product(id)? {
                Some(p) if p.product.status == shared::catalog::ProductStatus::Active => {
                    gifts.push(cart::line_from(&p, shared::money::Qty::ONE, None));
                }
                _ => tracing::warn!(product = id.0, "a promotion's gift product is not sold here"),
            }
        }
        let settings =
            Arc::new(Settings { branch, time_zone, policies: self.store.policies()?, quick_keys, promotions, gifts });
        *self.settings.borrow_mut() = Some((version, settings.clone()));
        Ok(settings)
    }

    /// The branch's quick keys for goods without a barcode, as the sale screen shows them.
    pub fn quick_keys(&self) -> TillResult<Vec<QuickKeyView>> {
        Ok(self.settings()?.quick_keys.clone())
    }

    /// The branch's settings as last pulled from HQ.
    pub fn branch(&self) -> TillResult<BranchSettings> {
        Ok(self.settings()?.branch.clone())
    }

    /// The newest events HQ refused, with its reasons, for the manager.
    pub fn rejected_events(&self, limit: usize) -> TillResult<Vec<RejectedEvent>> {
        let rows = self.store.rejected_events(limit)?;
        Ok(rows
            .into_iter()
            .map(|e| RejectedEvent {
                seq: e.envelope.seq,
                kind: e.envelope.event.kind(),
                reason: match e.status {
                    OutboxStatus::Rejected(why) => why,
                    OutboxStatus::Pending | OutboxStatus::Accepted => String::new(),
                },
            })
            .collect())
    }

    pub(crate) fn time_zone(&self, _branch: &BranchSettings) -> TimeZone {
        self.settings().map(|s| s.time_zone.clone()).unwrap_or(TimeZone::UTC)
    }

    /// The branch's local time now.
    pub fn local_now(&self) -> TillResult<Zoned> {
        let branch = self.branch()?;
        Ok(self.now().to_zoned(self.time_zone(&branch)))
    }

    pub(crate) fn local_time(&self, branch: &BranchSettings, at: Timestamp) -> DateTime {
        at.to_zoned(self.time_zone(branch)).datetime()
    }

    /// The business day `at` belongs to, by the branch's cut-off.
    pub(crate) fn business_day_at(&self, branch: &BranchSettings, at: Timestamp) -> Date {
        shared::shift::business_day(self.local_time(branch, at), branch.business_day_cutoff)
    }

    /// Today's business day at this branch.
    pub fn business_day(&self) -> TillResult<Date> {
        let branch = self.branch()?;
        Ok(self.business_day_at(&branch, self.now()))
    }

    pub(crate) fn policy(&self) -> TillResult<Option<MemberPolicy>> {
        Ok(shared::policy::in_force(&self.settings()?.policies, self.now()).cloned())
    }

    /// Who and when, for the writes of one transaction.
    pub(crate) fn stamp(&self) -> Stamp {
        Stamp { identity: self.identity.clone(), at: self.now() }
    }

    pub(crate) fn receipt_context(
        &self,
        branch: &BranchSettings,
        cashier: StaffId,
        at: Timestamp,
        reprint: bool,
    ) -> TillResult<ReceiptContext> {
        let cashier_name = self.store.staff_member(cashier)?.map(|s| s.name).unwrap_or_else(|| cashier.to_string());
        let mut footer = branch.receipt_footer.clone();
        if footer.is_empty() {
            footer.push(self.lang.pick("谢谢惠顾 欢迎再次光临", "Thank you for shopping with us").to_owned());
        }
        Ok(ReceiptContext {
            lang: self.lang,
            header: branch.receipt_header(),
            footer,
            cashier_name,
            at: self.local_time(branch, at),
            tier_name: None,
            points_balance: None,
            stored_value_balance: None,
            qr: None,
            reprint,
        })
    }
}
