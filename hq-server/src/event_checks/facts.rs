//! What HQ knows that a pushed event is checked against. A store reads these inside the ingest's
//! own write transaction, so the events before it in the same batch already count (a sale and its
//! refund in one batch, two refunds of one sale), and no other writer can slip in between.

use jiff::Timestamp;
use jiff::civil::Date;
use shared::branch::BranchSettings;
use shared::catalog::ProductId;
use shared::ids::{BranchId, HoldId, MemberId, SaleId, StaffId, TillId};
use shared::money::Money;
use shared::policy::MemberPolicy;
use shared::promotions::PromotionEngine;
use shared::sale::{CompletedSale, Refund, SaleMember};
use shared::staff::StaffMember;
use shared::stored_value::SvSplit;

use crate::model::MemberRecord;
use crate::store::StoreResult;

/// What a hold reserved, and where it stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HoldRecord {
    pub id: HoldId,
    pub member: MemberId,
    pub till: TillId,
    pub sale: SaleId,
    /// `points` or `stored_value`.
    pub kind: String,
    pub points: i64,
    pub amount: Money,
    pub split: SvSplit,
    /// `active`, `captured`, `released` or `expired`.
    pub status: String,
    pub expires_at: Timestamp,
}

/// The facts the checks of [`super::check_value`] need. Every read is inside the ingest's transaction.
pub trait Facts {
    fn branch(&self, id: BranchId) -> StoreResult<Option<BranchSettings>>;
    /// Every version of the member policy.
    fn policies(&self) -> StoreResult<std::sync::Arc<Vec<MemberPolicy>>>;
    /// The member a sale names, as HQ knows them (following merges): by id, else by identifier.
    fn member(&self, named: &SaleMember) -> StoreResult<Option<MemberRecord>>;
    /// The tiers `member` held at any time since `since` (the current one included).
    fn tiers_held_since(&self, member: MemberId, since: Timestamp) -> StoreResult<Vec<String>>;
    fn hold(&self, id: HoldId) -> StoreResult<Option<HoldRecord>>;
    /// Points and stored value `member` spent on `day` in accepted sales without a hold
    /// (offline), excluding sale `except`.
    fn offline_spent(&self, member: MemberId, day: Date, except: SaleId) -> StoreResult<(i64, Money)>;
    /// An accepted sale, as the till sent it.
    fn sale(&self, id: SaleId) -> StoreResult<Option<CompletedSale>>;
    /// The accepted refunds and voids of a sale, oldest first.
    fn refunds_of(&self, sale: SaleId) -> StoreResult<Vec<Refund>>;
    /// The prices at `branch` today (the branch's price, else retail) of those of `products` HQ
    /// has, in one read.
    fn prices_today(
        &self,
        products: &[ProductId],
        branch: BranchId,
    ) -> StoreResult<std::collections::HashMap<ProductId, Money>>;
    fn staff(&self, id: StaffId) -> StoreResult<Option<StaffMember>>;
    /// The promotion set as it stood at `version`, indexed for pricing (`None` for a version HQ never
    /// published). A version never changes once published, so an engine may be kept and shared.
    fn promotion_engine(&self, version: u64) -> StoreResult<Option<std::sync::Arc<PromotionEngine>>>;
    /// The member's accepted sales, but `except`, that received each of `ids` (per-member limits).
    fn member_promotion_uses(
        &self,
        member: MemberId,
        ids: &[shared::promotions::PromotionId],
        except: SaleId,
    ) -> StoreResult<std::collections::BTreeMap<shared::promotions::PromotionId, u32>>;
    /// A coupon campaign as HQ defines it (what its coupons give), if HQ has it.
    fn coupon_campaign(
        &self,
        id: shared::promotions::coupons::CampaignId,
    ) -> StoreResult<Option<shared::promotions::coupons::CouponCampaign>>;
    /// A payment attempt HQ's gateway made, by its order number, with the till that asked.
    fn payment(&self, order_no: &str) -> StoreResult<Option<(TillId, shared::payment::PaymentAttempt)>>;
    /// A refund HQ's gateway made, by its refund number (`{order_no}-R{seq}`).
    fn payment_refund(&self, out_refund_no: &str) -> StoreResult<Option<shared::payment::PaymentRefund>>;
}
