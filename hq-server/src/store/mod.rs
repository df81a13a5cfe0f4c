//! Storage, split by area. Handlers and the CLI talk only to these traits; [`sql::SqlStore`]
//! implements them once over SQLite (the embedded default) and PostgreSQL.
//!
//! Every method is blocking: the HTTP layer calls them on the blocking pool
//! (`AppState::db`), never on an async worker thread, with one exception:
//! [`MemberStore::try_till_member_lookup`] never waits, and runs on the worker. Every method that changes
//! something takes the [`Actor`] and writes its audit entry in the same transaction.

pub mod payments;
mod reorder;
pub mod sql;
pub mod statements;
mod stock;
mod stock_reports;
pub mod till_stock;

pub use payments::PaymentStore;
pub use reorder::ReorderStore;
pub use statements::StatementStore;
pub use stock::StockStore;
pub use stock_reports::StockReportStore;
pub use till_stock::TillStockStore;

use jiff::Timestamp;

use crate::analysis::{RfmRun, ScoredMember};
use crate::clock::Clock;
use jiff::civil::Date;
use shared::analysis::TierHistory;
use shared::branch::BranchSettings;
use shared::catalog::{Brand, BrandId, Category, Product, ProductId};
use shared::ids::{BranchId, HoldId, MemberId, StaffId, TillId};
use shared::member::{MemberIdentifier, Phone};
use shared::plans::{Metric, MonthTarget};
use shared::policy::MemberPolicy;
use shared::promotions::{Promotion, PromotionId, PromotionSet};
use shared::staff::StaffMember;
use shared::sync::{BranchPrice, EventEnvelope, HoldRequest, HoldResponse, SaleHistory, TopUpRequest, TopUpResponse};

use shared::promotions::coupons::{CampaignId, CouponCode};
use shared::sync::{CouponHoldRequest, CouponHoldResponse, MemberCouponsResponse};

use crate::model::{
    Actor, Adjustment, AuditRecord, AuditVerdict, CampaignRecord, CardKind, CardStatus, CareCampaign, CareCandidate,
    CareMessage, CareSend, ChangePage, Complaint, ComplaintCategory, ComplaintChange, ComplaintDetail, ComplaintFact,
    ComplaintFilter, CouponRefusal, DailyRun, EnrolRefusal, FlaggedSale, HistoryPage, IngestOutcome, IssueOutcome,
    IssueRequest, LedgerRow, LotRow, MemberCouponRecord, MemberHome, MemberPatch, MemberRecord, MemberRefusal,
    MemberSession, NewCampaign, NewCare, NewComplaint, NewMember, NewUser, OwnProfile, PolicyVersion, PromotionEffect,
    PromotionFilter, PromotionRecord, SaleSummary, SignInCheck, SmsLogRow, StoredEvent, TargetYear, Till,
    TillMemberLookup, TillSyncStatus, TokenLookup, User, UserPatch,
};
use crate::reports::{Report, ReportQuery};

/// Why a storage call failed. Messages name the problem for the client; internal details stay in
/// [`StoreError::Internal`], which the HTTP layer logs and never sends.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0} not found")]
    NotFound(String),
    /// A uniqueness or reference rule: the same code twice, a barcode of another product.
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Invalid(String),
    /// The database could not be reached (a connection lost, PostgreSQL restarting): nothing
    /// was committed, unless the commit itself was lost, which every write HQ acknowledges is
    /// idempotent against (a till resends the same events, holds and top-ups by their ids).
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("storage failure: {0}")]
    Internal(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Console users, their sessions and failed logins.
pub trait AccountStore {
    fn create_user(&self, actor: &Actor, user: NewUser) -> StoreResult<User>;
    fn update_user(&self, actor: &Actor, id: i64, patch: UserPatch) -> StoreResult<User>;
    fn get_user(&self, id: i64) -> StoreResult<User>;
    fn list_users(&self) -> StoreResult<Vec<User>>;
    fn count_users(&self) -> StoreResult<u64>;
    /// The user and their password hash.
    fn user_for_login(&self, username: &str) -> StoreResult<Option<(User, String)>>;
    fn create_session(&self, user: i64, token_hash: &str, expires_at: Timestamp) -> StoreResult<()>;
    /// The active user of an unexpired session.
    fn session_user(&self, token_hash: &str, now: Timestamp) -> StoreResult<Option<User>>;
    fn delete_session(&self, token_hash: &str) -> StoreResult<()>;
    fn clear_failures(&self, key: &str) -> StoreResult<()>;
    /// Reserves one attempt under every key at once, in one write transaction so parallel
    /// attempts cannot all pass the check: each key's failures since `since` are counted, and
    /// if every count is under its limit the attempt is recorded under every key (as a failure
    /// until [`AccountStore::release_attempt`]). `Err(i)`: key `i` is at its limit; nothing recorded.
    fn reserve_attempt(
        &self,
        keys: &[(String, u64)],
        since: Timestamp,
        at: Timestamp,
    ) -> StoreResult<Result<AttemptReservation, usize>>;
    /// Takes back a reserved attempt that succeeded.
    fn release_attempt(&self, reservation: &AttemptReservation) -> StoreResult<()>;
    /// Remembers that `key` (an account at an address) signed in successfully.
    fn remember_good(&self, key: &str, at: Timestamp) -> StoreResult<()>;
    /// Whether `key` signed in successfully since `since`.
    fn is_known_good(&self, key: &str, since: Timestamp) -> StoreResult<bool>;
    /// An admin lifts the sign-in locks of `username`: every failure counted against the account,
    /// at any address, is forgotten (audited). How many there were.
    fn lift_login_lock(&self, actor: &Actor, username: &str) -> StoreResult<u64>;
}

/// An attempt reserved by [`AccountStore::reserve_attempt`]: the rows it recorded, and each key's
/// count of earlier failures.
#[derive(Clone, Debug)]
pub struct AttemptReservation {
    pub rows: Vec<i64>,
    pub earlier: Vec<u64>,
}

/// Branches, their tills (registration, enrolment, tokens) and their staff.
pub trait BranchStore {
    /// Creates a branch; `settings.id` is ignored.
    fn create_branch(&self, actor: &Actor, settings: BranchSettings) -> StoreResult<BranchSettings>;
    fn update_branch(&self, actor: &Actor, settings: BranchSettings) -> StoreResult<BranchSettings>;
    fn get_branch(&self, id: BranchId) -> StoreResult<BranchSettings>;
    fn branch_by_code(&self, code: &str) -> StoreResult<Option<BranchSettings>>;
    fn list_branches(&self) -> StoreResult<Vec<BranchSettings>>;

    /// Registers a till with the hash of its one-time enrolment code.
    fn register_till(
        &self,
        actor: &Actor,
        branch: BranchId,
        name: &str,
        code_hash: &str,
        expires_at: Timestamp,
    ) -> StoreResult<Till>;
    /// A new enrolment code for a till that is not revoked (a replaced machine).
    fn renew_enrolment_code(
        &self,
        actor: &Actor,
        till: TillId,
        code_hash: &str,
        expires_at: Timestamp,
    ) -> StoreResult<Till>;
    /// Uses an enrolment code once: the till gets `token_hash` and the code is spent.
    fn enrol_till(
        &self,
        code_hash: &str,
        device_name: &str,
        token_hash: &str,
        now: Timestamp,
        from: &str,
    ) -> StoreResult<Result<Till, EnrolRefusal>>;
    fn till_by_token(&self, token_hash: &str) -> StoreResult<TokenLookup>;
    fn revoke_till(&self, actor: &Actor, till: TillId) -> StoreResult<Till>;
    fn get_till(&self, till: TillId) -> StoreResult<Till>;
    fn list_tills(&self, branch: BranchId) -> StoreResult<Vec<Till>>;

    /// Creates a cashier or manager; `staff.id` is ignored; `pin_hash` is an argon2id PHC string.
    fn create_staff(&self, actor: &Actor, staff: StaffMember) -> StoreResult<StaffMember>;
    fn update_staff(&self, actor: &Actor, staff: StaffMember) -> StoreResult<StaffMember>;
    fn get_staff(&self, id: StaffId) -> StoreResult<StaffMember>;
    fn list_staff(&self, branch: BranchId) -> StoreResult<Vec<StaffMember>>;
}

/// Categories, products with their barcodes, per-branch prices.
pub trait CatalogStore {
    fn create_category(&self, actor: &Actor, category: Category) -> StoreResult<Category>;
    fn update_category(&self, actor: &Actor, category: Category) -> StoreResult<Category>;
    fn list_categories(&self) -> StoreResult<Vec<Category>>;
    /// Creates a product; `product.id` is ignored. The caller has run `Product::validate`.
    fn create_product(&self, actor: &Actor, product: Product) -> StoreResult<Product>;
    fn update_product(&self, actor: &Actor, product: Product) -> StoreResult<Product>;
    fn get_product(&self, id: ProductId) -> StoreResult<Product>;
    fn product_by_code(&self, code: &str) -> StoreResult<Option<Product>>;
    fn product_by_barcode(&self, barcode: &str) -> StoreResult<Option<Product>>;
    /// The ids of the products with these codes, in one read (unknown codes are left out).
    fn product_ids_by_code(&self, codes: &[String]) -> StoreResult<Vec<(String, ProductId)>>;
    /// The codes of the products with these ids, in one read (unknown ids are left out).
    fn product_codes_by_id(&self, ids: &[ProductId]) -> StoreResult<Vec<(ProductId, String)>>;
    /// Products with id above `after`, in id order, optionally matching `query` in code or name.
    fn list_products(&self, after: i64, limit: u32, query: Option<&str>) -> StoreResult<Vec<Product>>;
    fn count_products(&self) -> StoreResult<u64>;
    /// Creates or updates (by code) every product in one transaction: all or nothing.
    /// `progress` is called with the number of products written so far. Each product keeps the
    /// brand it names ([`ImportBrand::AsGiven`]).
    fn import_products(
        &self,
        actor: &Actor,
        products: Vec<Product>,
        progress: &dyn Fn(u64),
    ) -> StoreResult<ImportSummary> {
        let rows = products.into_iter().map(|product| ImportRow { product, brand: ImportBrand::AsGiven }).collect();
        self.import_rows(actor, rows, progress)
    }
    /// [`CatalogStore::import_products`] with each product's brand as the file gave it: a brand
    /// code HQ does not know yet creates that brand (named by its code) in the same transaction.
    fn import_rows(&self, actor: &Actor, rows: Vec<ImportRow>, progress: &dyn Fn(u64)) -> StoreResult<ImportSummary>;
    /// Creates a brand; `brand.id` is ignored. A code another brand has is a conflict.
    fn create_brand(&self, actor: &Actor, brand: Brand) -> StoreResult<Brand>;
    /// Renames a brand (its code stays).
    fn rename_brand(&self, actor: &Actor, id: BrandId, name: &str) -> StoreResult<Brand>;
    /// Every brand in code order, with how many products name it.
    fn list_brands(&self) -> StoreResult<Vec<BrandCount>>;
    fn brand_by_code(&self, code: &str) -> StoreResult<Option<Brand>>;
    fn set_branch_price(&self, actor: &Actor, branch: BranchId, price: BranchPrice) -> StoreResult<BranchPrice>;
    fn list_branch_prices(&self, branch: BranchId) -> StoreResult<Vec<BranchPrice>>;
}

/// A brand and how many products name it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BrandCount {
    pub brand: Brand,
    pub products: u64,
}

/// A product to import and where its brand comes from.
#[derive(Clone, Debug)]
pub struct ImportRow {
    pub product: Product,
    pub brand: ImportBrand,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ImportBrand {
    /// `product.brand` as it is (a brand HQ knows, or none).
    AsGiven,
    /// The brand the product already has (none for a new product): a file without a brand column.
    Keep,
    /// The brand with this code, created (named by its code) when HQ does not know it.
    Code(String),
}

/// What an import did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ImportSummary {
    pub created: u64,
    pub updated: u64,
}

/// The member policy versions. HQ starts with [`MemberPolicy::initial`]; a new version takes
/// effect at its `effective_from`; tills receive every version by pull.
pub trait PolicyStore {
    /// The newest version (whether or not it is in force yet).
    fn current_policy(&self) -> StoreResult<MemberPolicy>;
    /// The version in force at `at`.
    fn policy_in_force(&self, at: Timestamp) -> StoreResult<MemberPolicy>;
    fn policy_version(&self, version: u32) -> StoreResult<MemberPolicy>;
    /// Every version, newest first, with who made it.
    fn list_policies(&self) -> StoreResult<Vec<PolicyVersion>>;
    /// Adds the next version (its `version` field is ignored); the caller has validated it.
    fn create_policy(&self, actor: &Actor, policy: MemberPolicy) -> StoreResult<MemberPolicy>;
}

/// The promotion set (domain.md "Promotions"): one version for the whole set, taken up by one on
/// every create, update and withdrawal, each of which is one transaction with its change on the
/// feed (`Change::Promotion`, for every branch) and its audit entry. Every version of the set
/// stays readable, so a sale is checked with the version its till priced it with.
pub trait PromotionStore {
    /// Publishes a new promotion; its `id` is assigned. Refused (`Invalid`, naming the field) when
    /// it fails `Promotion::validate` or names a product, category, branch or tier HQ does not know.
    fn create_promotion(&self, actor: &Actor, promotion: Promotion) -> StoreResult<PromotionRecord>;
    /// The goods in a promotion's scope sold while it ran (to `today`) against as many days just
    /// before, at its branches or at `branch`; `None` before its first day.
    fn promotion_effect(
        &self,
        id: PromotionId,
        today: Date,
        branch: Option<BranchId>,
    ) -> StoreResult<Option<PromotionEffect>>;
    /// Publishes a new revision of `promotion.id` (checked as on create); a withdrawn one is a conflict.
    fn update_promotion(&self, actor: &Actor, promotion: Promotion) -> StoreResult<PromotionRecord>;
    /// Takes a promotion out of the set from the next version on.
    fn withdraw_promotion(&self, actor: &Actor, id: PromotionId) -> StoreResult<PromotionRecord>;
    /// A promotion's newest revision, its status on `today`.
    fn promotion(&self, id: PromotionId, today: Date) -> StoreResult<PromotionRecord>;
    /// Promotions in id order after `filter.after`, by status on `today` and part of the name.
    fn list_promotions(&self, filter: &PromotionFilter, today: Date) -> StoreResult<Vec<PromotionRecord>>;
    /// The set at its newest version (version 0, empty, before the first promotion).
    fn current_promotion_set(&self) -> StoreResult<PromotionSet>;
    /// The set exactly as it stood at `version`; `NotFound` beyond the newest.
    fn promotion_set_at(&self, version: u64) -> StoreResult<PromotionSet>;
}

/// Member coupons (domain.md "Promotions", layer 4): campaigns (each create and end one
/// transaction with its `Change::CouponCampaign` on the feed for every branch and its audit
/// entry), coupons issued to audiences once per batch, and the tills' holds on them. The capture
/// of a sale's coupons happens in the ingest ([`SyncStore::ingest`]).
pub trait CouponStore {
    /// Creates a campaign; refused (`Invalid`, naming the field) when its coupon fails
    /// `Coupon::validate`, breaks HQ's bounds or names a product or category HQ does not know.
    fn create_campaign(&self, actor: &Actor, campaign: NewCampaign) -> StoreResult<CampaignRecord>;
    /// A campaign with its counts now.
    fn coupon_campaign(&self, id: CampaignId) -> StoreResult<CampaignRecord>;
    /// Every campaign, newest first, with its counts.
    fn list_campaigns(&self) -> StoreResult<Vec<CampaignRecord>>;
    /// Ends a campaign: its coupons are refused from now on, online and offline.
    fn end_campaign(&self, actor: &Actor, id: CampaignId) -> StoreResult<CampaignRecord>;
    /// Issues one coupon to every member of the audience the batch has not issued to yet; listed
    /// members HQ cannot issue to are reported with their row and the reason.
    fn issue_coupons(&self, actor: &Actor, id: CampaignId, request: &IssueRequest) -> StoreResult<IssueOutcome>;
    /// Every coupon of a member (after merges), soonest to expire first, with where it stands.
    fn member_coupons(&self, member: MemberId) -> StoreResult<Vec<MemberCouponRecord>>;
    /// The coupons a member can use at `now`, for a till: soonest to expire first.
    fn usable_coupons(&self, member: MemberId, now: Timestamp) -> StoreResult<MemberCouponsResponse>;
    /// Checks and holds a coupon for a till's sale, atomically; idempotent by the hold id.
    fn hold_coupon(
        &self,
        till: &Till,
        request: &CouponHoldRequest,
        code: &CouponCode,
        now: Timestamp,
    ) -> StoreResult<Result<CouponHoldResponse, CouponRefusal>>;
    /// Gives a hold's coupon back (a hold HQ does not know is fine too).
    fn release_coupon_hold(&self, till: &Till, hold: HoldId, now: Timestamp) -> StoreResult<Result<(), CouponRefusal>>;
}

/// The member registry, the points and stored-value ledger, holds and top-ups, the daily job.
/// Every balance change is a ledger entry in the same transaction as what caused it.
pub trait MemberStore {
    fn create_member(&self, actor: &Actor, member: NewMember) -> StoreResult<MemberRecord>;
    fn update_member(&self, actor: &Actor, id: MemberId, patch: MemberPatch) -> StoreResult<MemberRecord>;
    fn get_member(&self, id: MemberId) -> StoreResult<MemberRecord>;
    /// By card code, UID or phone, following merges; lost or replaced cards are refused.
    fn find_member(&self, by: &MemberIdentifier) -> StoreResult<Result<Option<MemberRecord>, MemberRefusal>>;
    /// By code or phone (prefix) or name (part of it).
    fn search_members(&self, query: &str, limit: u32) -> StoreResult<Vec<MemberRecord>>;
    /// Members with a code after `after_code`, in code order (export).
    fn list_members(&self, after_code: &str, limit: u32) -> StoreResult<Vec<MemberRecord>>;
    fn count_members(&self) -> StoreResult<u64>;
    /// Creates every member in one transaction, all or nothing.
    fn import_members(
        &self,
        actor: &Actor,
        members: Vec<NewMember>,
        progress: &dyn Fn(u64),
    ) -> StoreResult<ImportSummary>;
    fn add_card(&self, actor: &Actor, id: MemberId, kind: CardKind, value: &str) -> StoreResult<MemberRecord>;
    fn set_card_status(
        &self,
        actor: &Actor,
        kind: CardKind,
        value: &str,
        status: CardStatus,
    ) -> StoreResult<MemberRecord>;
    fn ledger(&self, id: MemberId, limit: u32) -> StoreResult<Vec<LedgerRow>>;
    fn lots(&self, id: MemberId) -> StoreResult<Vec<LotRow>>;
    /// A manual adjustment with a reason, audited.
    fn adjust(
        &self,
        actor: &Actor,
        id: MemberId,
        adjustment: Adjustment,
    ) -> StoreResult<Result<MemberRecord, MemberRefusal>>;

    /// A till's member lookup in one read transaction: checks the till's token, then finds what
    /// the till may know of the member now (balances available after holds, offline caps) and
    /// the policy version in force.
    fn till_member_lookup(
        &self,
        token_hash: &str,
        by: &MemberIdentifier,
        now: Timestamp,
    ) -> StoreResult<TillMemberLookup>;
    /// The same for a rotating code's member number (`shared::member_code`): by the member's
    /// number, whatever the state of the printed card; the caller checks the code with the
    /// snapshot's secret.
    fn till_member_lookup_by_number(
        &self,
        token_hash: &str,
        number: &shared::catalog::MemberCode,
        now: Timestamp,
    ) -> StoreResult<TillMemberLookup>;
    /// The same, but only if it can run at once without waiting on a lock (`None` otherwise), so
    /// an async worker may call it.
    fn try_till_member_lookup(
        &self,
        token_hash: &str,
        by: &MemberIdentifier,
        now: Timestamp,
    ) -> Option<StoreResult<TillMemberLookup>>;
    /// Checks and reserves atomically; idempotent by the hold id.
    fn hold(
        &self,
        till: &Till,
        request: &HoldRequest,
        now: Timestamp,
    ) -> StoreResult<Result<HoldResponse, MemberRefusal>>;
    /// `Ok(false)` when there is no such hold.
    fn release_hold(&self, till: &Till, hold: HoldId, now: Timestamp) -> StoreResult<Result<bool, MemberRefusal>>;
    /// Idempotent by the request id.
    fn top_up(
        &self,
        till: &Till,
        request: &TopUpRequest,
        now: Timestamp,
    ) -> StoreResult<Result<TopUpResponse, MemberRefusal>>;

    /// Expires lots, re-evaluates tiers and releases forgotten holds for `day`, once per day.
    fn run_daily(&self, actor: &Actor, day: Date, now: Timestamp) -> StoreResult<DailyRun>;
    /// Members whose stored balances differ from the sums of their ledger entries (empty: all agree).
    fn check_balances(&self) -> StoreResult<Vec<String>>;
}

/// The member pages (会员 手机版): sign-in codes, members' sessions on their phones, the secret of
/// their rotating code, what they change of themselves, and what their pages show.
pub trait MemberPagesStore {
    /// Keeps the hash of a new sign-in code for `phone`; an earlier live code is spent.
    fn put_sign_in_code(&self, phone: &Phone, code_hash: &str, expires_at: Timestamp) -> StoreResult<()>;
    /// Checks a code against the phone's live one (not expired, not used, tries left); a right
    /// code is spent and names the phone's member, if any.
    fn check_sign_in_code(&self, phone: &Phone, code_hash: &str) -> StoreResult<SignInCheck>;
    /// Records a text message sent or tried (never its text).
    fn log_sms(&self, phone: &Phone, purpose: &str, outcome: &str) -> StoreResult<()>;
    /// Text messages newest first, of one phone or all.
    fn sms_log(&self, phone: Option<&Phone>, limit: u32) -> StoreResult<Vec<SmsLogRow>>;
    fn open_member_session(
        &self,
        token_hash: &str,
        phone: &Phone,
        member: Option<MemberId>,
        expires_at: Timestamp,
    ) -> StoreResult<()>;
    /// A live session by its token's hash, following merges.
    fn member_session(&self, token_hash: &str) -> StoreResult<Option<MemberSession>>;
    fn end_member_session(&self, token_hash: &str) -> StoreResult<()>;
    /// Ends every session of the member and replaces their code secret; how many sessions ended.
    fn sign_out_everywhere(&self, member: MemberId) -> StoreResult<u64>;
    /// A new number's session enrols its member (if the policy allows self-enrolment).
    fn enrol_self(
        &self,
        token_hash: &str,
        name: &str,
        birthday: Option<Date>,
        marketing_consent: bool,
    ) -> StoreResult<MemberRecord>;
    /// The member's code secret, made on first use (`None`: the member number has no rotating code).
    fn member_code_secret(&self, member: MemberId) -> StoreResult<Option<shared::member_code::MemberSecret>>;
    fn update_own_profile(&self, member: MemberId, profile: OwnProfile) -> StoreResult<MemberRecord>;
    /// Marks every active card of the member lost.
    fn report_cards_lost(&self, member: MemberId) -> StoreResult<MemberRecord>;
    /// The home page's figures, with the first `coupons_shown` coupons of each shelf.
    fn member_home(&self, member: MemberId, coupons_shown: usize) -> StoreResult<MemberHome>;
    /// Ledger entries newest first with their branch and receipt, `limit` (≤ 100) after the cursor.
    fn member_history(&self, member: MemberId, before: Option<&str>, limit: u32) -> StoreResult<HistoryPage>;
}

/// Complaints and feedback (投诉): categories with their due time (admin), complaints filed by staff,
/// tills and members, and their changes (`crate::complaints` is the rule). Every write is one
/// transaction with its history row and audit entry; a refused one writes nothing.
pub trait ComplaintStore {
    /// Every category, active or not, in id order.
    fn complaint_categories(&self) -> StoreResult<Vec<ComplaintCategory>>;
    /// A name another category has is a conflict.
    fn create_complaint_category(&self, actor: &Actor, name: &str, due_hours: u32) -> StoreResult<ComplaintCategory>;
    /// Renames, re-times or (de)activates a category; its complaints keep their due times.
    fn update_complaint_category(&self, actor: &Actor, category: ComplaintCategory) -> StoreResult<ComplaintCategory>;
    /// Records a complaint filed at `at`, due its category's hours later. Refused (`Invalid`,
    /// naming the field) without a category, with one HQ has not or that is inactive, with an
    /// unknown member or branch, a receipt number not in a receipt's form, an empty or too long
    /// text. A `request_id` seen before answers the complaint it recorded.
    fn create_complaint(&self, actor: &Actor, complaint: NewComplaint, at: Timestamp) -> StoreResult<Complaint>;
    /// A complaint with every change to it; `now` decides whether it is overdue.
    fn complaint(&self, id: i64, now: Timestamp) -> StoreResult<ComplaintDetail>;
    /// Complaints newest first.
    fn list_complaints(&self, filter: &ComplaintFilter, now: Timestamp) -> StoreResult<Vec<Complaint>>;
    /// Makes a change by `party` at `at`: a change the rule does not allow from the complaint's
    /// state, or not to `party`, is a `Conflict` with the reason; an assignee who is unknown,
    /// inactive or a manager of another branch is `Invalid`.
    fn change_complaint(
        &self,
        actor: &Actor,
        party: crate::complaints::Party,
        id: i64,
        change: ComplaintChange,
        at: Timestamp,
    ) -> StoreResult<Complaint>;
    /// The complaints filed in `from..until` (at one branch or all), as the report counts them.
    fn complaint_facts(
        &self,
        from: Timestamp,
        until: Timestamp,
        branch: Option<BranchId>,
    ) -> StoreResult<Vec<ComplaintFact>>;
}

/// Member analysis (RFM, 80/20): what each member bought in a period.
pub trait AnalysisStore {
    /// Every member who bought in `from..=to` (at one branch or all): last day, sales, spend net of
    /// refunds, with their code and name.
    fn member_activity(&self, branch: Option<BranchId>, from: Date, to: Date) -> StoreResult<Vec<ActivityRow>>;
    /// The members enrolled in `from..until` (of one home branch, or all; merged-away records
    /// left out) with when each enrolled, and each one's purchases on or after `since` as
    /// (member, the business day's month `YYYY-MM`), one row a member and month.
    fn cohort_rows(
        &self,
        branch: Option<BranchId>,
        from: Timestamp,
        until: Timestamp,
        since: Date,
    ) -> StoreResult<CohortRows>;
    /// Every member enrolled before `until` (of one home branch, or all; merged-away records left
    /// out) with the tier they hold now and their tier changes, oldest first.
    fn tier_histories(&self, branch: Option<BranchId>, until: Timestamp) -> StoreResult<Vec<TierHistory>>;

    /// Starts a stored RFM run of `from..=to` for `by`, unless one is running (in any process):
    /// then `None`. A running run not heard of since `stale_before` lost its process: it is
    /// marked failed first, and this one starts.
    fn start_rfm_run(
        &self,
        from: Date,
        to: Date,
        by: &str,
        now: Timestamp,
        stale_before: Timestamp,
    ) -> StoreResult<Option<i64>>;
    /// A running run's progress (also marks it alive).
    fn rfm_progress(&self, run: i64, phase: &str, done: u64, steps: Option<u64>, now: Timestamp) -> StoreResult<()>;
    /// Writes a batch of the run's members, best spender first, ranked from `first_rank`, and
    /// counts them as done, in one transaction.
    fn add_rfm_members(&self, run: i64, first_rank: u64, members: &[ScoredMember], now: Timestamp) -> StoreResult<()>;
    /// Ends a running run: done with its report (JSON) and member count, or failed with why. A
    /// run done drops the members of the done runs before the last `keep`, and failed runs'.
    fn finish_rfm_run(
        &self,
        run: i64,
        outcome: Result<(u64, &str), &str>,
        keep: u32,
        now: Timestamp,
    ) -> StoreResult<()>;
    /// The latest runs, newest first.
    fn rfm_runs(&self, limit: u32) -> StoreResult<Vec<RfmRun>>;
    /// The newest done run with its report (JSON).
    fn latest_rfm_report(&self) -> StoreResult<Option<(RfmRun, String)>>;
    /// A done run's members, best spender first: of one segment or all, at most `limit`.
    fn rfm_members(&self, run: i64, segment: Option<&str>, limit: Option<u64>) -> StoreResult<Vec<ScoredMember>>;
}

/// What cohorts are counted from: who enrolled when, and the months each bought in.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CohortRows {
    pub enrolled: Vec<(String, Timestamp)>,
    pub bought: Vec<(String, String)>,
}

/// Member care (客户关怀): whom a campaign reaches, the campaign written whole with what was
/// decided for each member, and its messages claimed one at a time for sending.
pub trait CareStore {
    /// Whom `new` reaches on `today`, each with what is decided under `cap` messages a month.
    fn care_audience(&self, new: &NewCare, today: Date, cap: u32) -> StoreResult<Vec<CareCandidate>>;
    /// Makes the campaign: its audience and decisions recorded, the messages to send queued. A
    /// campaign with nobody to send to is refused (`Invalid`) and nothing is written.
    fn create_care_campaign(&self, actor: &Actor, new: &NewCare, today: Date, cap: u32) -> StoreResult<CareCampaign>;
    /// Claims the next queued message for sending (no other process will send it). Messages
    /// claimed before `stale_before` and never finished are marked failed first, not resent.
    fn claim_care_message(&self, stale_before: Timestamp) -> StoreResult<Option<CareSend>>;
    /// Records what became of a claimed message.
    fn finish_care_message(&self, campaign: i64, member: &str, outcome: Result<(), String>) -> StoreResult<()>;
    fn list_care_campaigns(&self, limit: u32) -> StoreResult<Vec<CareCampaign>>;
    /// A campaign and each member's message.
    fn care_campaign(&self, id: i64) -> StoreResult<(CareCampaign, Vec<CareMessage>)>;
}

/// Targets (计划) and the actual figures plan against actual compares them with.
pub trait PlanStore {
    /// Sets a branch's year for one metric (and, for sales, one category), replacing its months.
    fn set_target(&self, actor: &Actor, target: &TargetYear) -> StoreResult<TargetYear>;
    /// The years set for `year`, at one branch or all, by branch, metric and category.
    fn list_targets(&self, year: i16, branch: Option<BranchId>) -> StoreResult<Vec<TargetYear>>;
    /// Every branch's monthly targets for the months `from..=to` touches, for one metric and
    /// category (0: the whole branch).
    fn target_months(
        &self,
        from: Date,
        to: Date,
        metric: Metric,
        category: i64,
    ) -> StoreResult<Vec<(BranchId, MonthTarget)>>;
    /// Every branch's actual figure over `from..=to` (business days): for a ratio, its numerator
    /// and denominator; for an amount, the amount and 1.
    fn actuals(&self, from: Date, to: Date, metric: Metric, category: i64) -> StoreResult<Vec<(BranchId, i64, i64)>>;
    /// Net sales by month of `year` (1–12), at one branch or the chain: the shape of a split.
    fn monthly_sales(&self, year: i16, branch: Option<BranchId>) -> StoreResult<[i64; 12]>;
}

/// One member's purchases in a period, and who they are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActivityRow {
    pub activity: shared::analysis::MemberActivity,
    pub code: String,
    pub name: String,
}

/// Expenses (费用): subjects with editable names, entries per branch, month and subject (append-only:
/// a mistake is put right by a correction, a further entry), and the P&L they feed. Every write is
/// one transaction with its audit entries.
pub trait ExpenseStore {
    /// Every subject, in code order.
    fn expense_subjects(&self) -> StoreResult<Vec<crate::expenses::ExpenseSubject>>;
    /// A new subject; a code already used is a conflict.
    fn create_expense_subject(
        &self,
        actor: &Actor,
        subject: crate::expenses::ExpenseSubject,
    ) -> StoreResult<crate::expenses::ExpenseSubject>;
    /// A subject's new name (its code and entries stay).
    fn rename_expense_subject(
        &self,
        actor: &Actor,
        code: &str,
        name: &str,
    ) -> StoreResult<crate::expenses::ExpenseSubject>;
    /// Books every entry in one transaction, all or none: each is checked (amount, note, branch,
    /// subject, the entry it corrects) before anything is written; refused with the first bad
    /// entry's reason (`Invalid`, naming its position when there are several).
    fn book_expenses(
        &self,
        actor: &Actor,
        entries: &[crate::expenses::NewExpense],
        source: crate::expenses::ExpenseSource,
    ) -> StoreResult<Vec<crate::expenses::ExpenseRecord>>;
    /// Entries newest first.
    fn list_expenses(
        &self,
        filter: &crate::expenses::ExpenseFilter,
    ) -> StoreResult<Vec<crate::expenses::ExpenseRecord>>;
    /// The P&L's columns for these months, at one branch or the chain, read in one snapshot from
    /// the finance reports and the expenses (see [`crate::pnl`]).
    fn pnl_columns(
        &self,
        branch: Option<BranchId>,
        months: &[shared::expenses::Month],
    ) -> StoreResult<Vec<crate::pnl::PnlColumn>>;
}

/// The console's long jobs (CSV imports): their progress and outcome, kept where every HQ
/// process reads them.
pub trait JobStore {
    fn create_job(&self, id: &str, owner: i64, kind: &str) -> StoreResult<()>;
    /// The job's progress now (also marks it alive).
    fn job_progress(&self, id: &str, phase: &str, done: u64, steps: Option<u64>) -> StoreResult<()>;
    /// The job's outcome, as JSON; it has ended.
    fn finish_job(&self, id: &str, outcome: &str) -> StoreResult<()>;
    /// The job `id` if `owner` started it (jobs ended more than an hour ago are forgotten).
    fn job(&self, id: &str, owner: i64) -> StoreResult<Option<JobRow>>;
}

/// A console job as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobRow {
    pub kind: String,
    pub phase: String,
    pub done: u64,
    pub steps: Option<u64>,
    /// JSON, once ended.
    pub outcome: Option<String>,
    pub updated_at: Timestamp,
}

/// The tills' sync: event ingest, change feed, sync health, and the sales ingested.
pub trait SyncStore {
    /// Applies one pushed batch in one transaction. `verdicts[i]` is the stateless check of
    /// `events[i]` (`Err(reason)` rejects it; `Ok(flags)` are kept with it); the store runs
    /// `event_checks::check_value` against its own state inside the same transaction, and an
    /// event its projection refuses (a violated constraint) is rejected, never the batch.
    fn ingest(
        &self,
        till: &Till,
        events: &[EventEnvelope],
        verdicts: &[crate::event_checks::Verdict],
        received_at: Timestamp,
        clock_skew_seconds: i64,
    ) -> StoreResult<IngestOutcome>;
    /// The changes a till of `branch` may see after `cursor`, at most `limit`.
    fn pull(&self, branch: BranchId, cursor: u64, limit: u32) -> StoreResult<ChangePage>;
    fn sync_status(&self, till: TillId) -> StoreResult<TillSyncStatus>;
    /// A till's events, newest first, optionally only the rejected ones.
    fn list_events(&self, till: TillId, rejected_only: bool, limit: u32) -> StoreResult<Vec<StoredEvent>>;
    /// The newest accepted sales with a flag starting `flag_prefix`, of every till (or one branch's).
    fn flagged_sales(&self, flag_prefix: &str, branch: Option<BranchId>, limit: u32) -> StoreResult<Vec<FlaggedSale>>;
    /// Sales newest first, of one branch or all, of one business day or any.
    fn list_sales(&self, branch: Option<BranchId>, day: Option<Date>, limit: u32) -> StoreResult<Vec<SaleSummary>>;
    /// A sale of `branch` by its receipt number, with every refund and void of it, as the tills sent them.
    fn sale_history(&self, branch: BranchId, receipt_no: &str) -> StoreResult<Option<SaleHistory>>;
}

/// Reports over the ingested events, the ledger and the registry.
pub trait ReportStore {
    fn report(&self, query: &ReportQuery) -> StoreResult<Report>;
}

/// The hash-chained audit log.
pub trait AuditStore {
    /// Entries after `after`, oldest first.
    fn list_audit(&self, after: i64, limit: u32) -> StoreResult<Vec<AuditRecord>>;
    fn verify_audit(&self) -> StoreResult<AuditVerdict>;
    /// The chain's head: its newest entry's id and hash.
    fn audit_head(&self) -> StoreResult<Option<shared::sync::AuditHead>>;
    /// Checks copies of entries' hashes kept elsewhere (the tills' witnesses) against the chain:
    /// what differs, or names an entry the chain lacks.
    fn check_witnesses(&self, witnesses: &[shared::sync::AuditHead]) -> StoreResult<Vec<String>>;
}

/// Where a store's "now" comes from: every time it records or decides by is this clock's.
pub trait Clocked {
    fn clock(&self) -> Clock;

    fn now(&self) -> jiff::Timestamp {
        self.clock().now()
    }
}

/// Everything HQ stores.
pub trait Store:
    Clocked
    + AccountStore
    + BranchStore
    + CatalogStore
    + PolicyStore
    + PromotionStore
    + CouponStore
    + MemberStore
    + MemberPagesStore
    + JobStore
    + AnalysisStore
    + PlanStore
    + CareStore
    + ExpenseStore
    + ComplaintStore
    + StockStore
    + StockReportStore
    + ReorderStore
    + TillStockStore
    + PaymentStore
    + StatementStore
    + SyncStore
    + ReportStore
    + AuditStore
    + Send
    + Sync
{
}

impl<
    T: Clocked
        + AccountStore
        + BranchStore
        + CatalogStore
        + PolicyStore
        + PromotionStore
        + CouponStore
        + MemberStore
        + MemberPagesStore
        + JobStore
        + AnalysisStore
        + PlanStore
        + CareStore
        + ExpenseStore
        + ComplaintStore
        + StockStore
        + StockReportStore
        + ReorderStore
        + TillStockStore
        + PaymentStore
        + StatementStore
        + SyncStore
        + ReportStore
        + AuditStore
        + Send
        + Sync,
> Store for T
{
}
