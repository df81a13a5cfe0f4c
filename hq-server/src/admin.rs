//! What HQ staff do, for the CLI and the HTTP API alike: check the input, hash secrets, then
//! store. Blocking (argon2 and the database): call from the blocking pool in async code.

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use shared::branch::{BranchSettings, CashierLimits};
use shared::catalog::{BarcodeRules, Category, Product};
use shared::ids::{BranchId, StaffId, TillId};
use shared::pricing::CashRounding;
use shared::receipt::PaperWidth;
use shared::staff::{StaffMember, StaffRole};
use shared::sync::{BranchPrice, EnrolRequest, PROTOCOL_VERSION};

use crate::auth;
use crate::model::{Actor, EnrolRefusal, NewUser, Role, Till, User, UserPatch};
use crate::rules;
use crate::store::{Store, StoreError, StoreResult};

fn invalid(e: String) -> StoreError {
    StoreError::Invalid(e)
}

fn hashed(secret: &str) -> StoreResult<String> {
    auth::hash_secret(secret).map_err(StoreError::Internal)
}

fn expiry(now: Timestamp, ttl: Duration) -> Timestamp {
    let ttl = SignedDuration::try_from(ttl).unwrap_or(SignedDuration::from_secs(900));
    now.checked_add(ttl).unwrap_or(Timestamp::MAX)
}

fn check_role_branch(role: Role, branch: Option<BranchId>) -> StoreResult<()> {
    match (role, branch) {
        (Role::BranchManager, None) => Err(invalid("a branch manager needs a branch".into())),
        (Role::BranchManager, Some(_)) | (_, None) => Ok(()),
        (_, Some(_)) => Err(invalid("only a branch manager is bound to a branch".into())),
    }
}

pub fn add_user(
    store: &dyn Store,
    actor: &Actor,
    username: &str,
    display_name: &str,
    role: Role,
    branch: Option<BranchId>,
    password: &str,
) -> StoreResult<User> {
    rules::username(username).map_err(invalid)?;
    rules::display_name(display_name).map_err(invalid)?;
    rules::password(password).map_err(invalid)?;
    check_role_branch(role, branch)?;
    let user = NewUser {
        username: username.to_owned(),
        display_name: display_name.trim().to_owned(),
        role,
        branch_id: branch,
        password_hash: hashed(password)?,
    };
    store.create_user(actor, user)
}

/// A change to a user as typed: the password in clear, hashed here.
#[derive(Clone, Debug, Default)]
pub struct UserChange {
    pub display_name: Option<String>,
    pub role: Option<Role>,
    pub branch_id: Option<Option<BranchId>>,
    pub active: Option<bool>,
    pub password: Option<String>,
}

pub fn update_user(store: &dyn Store, actor: &Actor, id: i64, change: UserChange) -> StoreResult<User> {
    if let Some(n) = &change.display_name {
        rules::display_name(n).map_err(invalid)?;
    }
    if let Some(p) = &change.password {
        rules::password(p).map_err(invalid)?;
    }
    let current = store.get_user(id)?;
    let role = change.role.unwrap_or(current.role);
    let branch = change.branch_id.unwrap_or(if role == Role::BranchManager { current.branch_id } else { None });
    check_role_branch(role, branch)?;
    let patch = UserPatch {
        display_name: change.display_name.map(|n| n.trim().to_owned()),
        role: change.role,
        branch_id: Some(branch),
        active: change.active,
        password_hash: change.password.as_deref().map(hashed).transpose()?,
    };
    store.update_user(actor, id, patch)
}

/// A branch with the usual settings: Asia/Shanghai, business day from 04:00, no cash rounding.
pub fn default_branch(code: &str, name: &str) -> BranchSettings {
    BranchSettings {
        id: BranchId(0),
        code: code.to_owned(),
        name: name.to_owned(),
        address: String::new(),
        phone: String::new(),
        opening_hours: "08:00–22:00".into(),
        receipt_header: Vec::new(),
        receipt_footer: vec!["谢谢惠顾 Thank you".into()],
        cash_rounding: CashRounding::None,
        business_day_cutoff: jiff::civil::time(4, 0, 0, 0),
        time_zone: "Asia/Shanghai".into(),
        barcode_rules: BarcodeRules::default(),
        cashier_limits: CashierLimits::default(),
        pin_lockout_minutes: 15,
        paper: PaperWidth::Mm80,
        no_receipt_refund_cap: shared::branch::default_no_receipt_refund_cap(),
        quick_keys: Vec::new(),
        closed_on: None,
    }
}

pub fn add_branch(store: &dyn Store, actor: &Actor, settings: BranchSettings) -> StoreResult<BranchSettings> {
    rules::branch(&settings).map_err(invalid)?;
    store.create_branch(actor, settings)
}

pub fn update_branch(store: &dyn Store, actor: &Actor, settings: BranchSettings) -> StoreResult<BranchSettings> {
    rules::branch(&settings).map_err(invalid)?;
    store.update_branch(actor, settings)
}

/// Registers a till; returns it and its one-time enrolment code (shown once, stored as a hash).
pub fn add_till(
    store: &dyn Store,
    actor: &Actor,
    branch: BranchId,
    name: &str,
    ttl: Duration,
) -> StoreResult<(Till, String)> {
    if name.chars().count() > 50 || name.chars().any(char::is_control) {
        return Err(invalid("a till name has at most 50 characters".into()));
    }
    let code = auth::enrolment_code();
    let till = store.register_till(
        actor,
        branch,
        name,
        &auth::token_hash(&auth::normalise_code(&code)),
        expiry(store.now(), ttl),
    )?;
    Ok((till, code))
}

/// A fresh enrolment code for a till (its machine was replaced, or the first code expired).
pub fn renew_code(store: &dyn Store, actor: &Actor, till: TillId, ttl: Duration) -> StoreResult<(Till, String)> {
    let code = auth::enrolment_code();
    let till = store.renew_enrolment_code(
        actor,
        till,
        &auth::token_hash(&auth::normalise_code(&code)),
        expiry(store.now(), ttl),
    )?;
    Ok((till, code))
}

/// Exchanges an enrolment code for a till token. Only the token's hash is stored.
pub fn enrol(store: &dyn Store, req: &EnrolRequest, from: &str) -> StoreResult<Result<(Till, String), EnrolRefusal>> {
    if req.protocol != PROTOCOL_VERSION {
        return Err(invalid(format!("protocol version {} is not {PROTOCOL_VERSION}", req.protocol)));
    }
    let device = req.device_name.trim();
    if device.is_empty() || device.chars().count() > 100 || device.chars().any(char::is_control) {
        return Err(invalid("device_name must be 1–100 printable characters".into()));
    }
    let code = auth::normalise_code(&req.code);
    if code.len() != 8 {
        return Ok(Err(EnrolRefusal::UnknownCode));
    }
    let token = auth::random_token("tpt_");
    let outcome = store.enrol_till(&auth::token_hash(&code), device, &auth::token_hash(&token), store.now(), from)?;
    Ok(outcome.map(|till| (till, token)))
}

pub fn add_staff(
    store: &dyn Store,
    actor: &Actor,
    branch: BranchId,
    login: &str,
    name: &str,
    role: StaffRole,
    pin: &str,
) -> StoreResult<StaffMember> {
    rules::staff_login(login).map_err(invalid)?;
    rules::staff_name(name).map_err(invalid)?;
    rules::pin(pin).map_err(invalid)?;
    let staff = StaffMember {
        id: StaffId(0),
        branch,
        login: login.to_owned(),
        name: name.trim().to_owned(),
        role,
        pin_hash: hashed(pin)?,
        active: true,
    };
    store.create_staff(actor, staff)
}

/// A change to a staff member; `None` keeps a field.
#[derive(Clone, Debug, Default)]
pub struct StaffChange {
    pub login: Option<String>,
    pub name: Option<String>,
    pub role: Option<StaffRole>,
    pub active: Option<bool>,
    pub pin: Option<String>,
}

pub fn update_staff(store: &dyn Store, actor: &Actor, id: StaffId, change: StaffChange) -> StoreResult<StaffMember> {
    let mut s = store.get_staff(id)?;
    if let Some(l) = change.login {
        rules::staff_login(&l).map_err(invalid)?;
        s.login = l;
    }
    if let Some(n) = change.name {
        rules::staff_name(&n).map_err(invalid)?;
        s.name = n.trim().to_owned();
    }
    if let Some(r) = change.role {
        s.role = r;
    }
    if let Some(a) = change.active {
        s.active = a;
    }
    if let Some(p) = change.pin {
        rules::pin(&p).map_err(invalid)?;
        s.pin_hash = hashed(&p)?;
    }
    store.update_staff(actor, s)
}

pub fn add_category(store: &dyn Store, actor: &Actor, category: Category) -> StoreResult<Category> {
    rules::category(&category).map_err(invalid)?;
    store.create_category(actor, category)
}

pub fn update_category(store: &dyn Store, actor: &Actor, category: Category) -> StoreResult<Category> {
    rules::category(&category).map_err(invalid)?;
    store.update_category(actor, category)
}

/// Publishes a new promotion (its id is assigned) after HQ's bounds on what is typed
/// ([`rules::promotion`]); the store checks `Promotion::validate` and what it names.
pub fn add_promotion(
    store: &dyn Store,
    actor: &Actor,
    promotion: shared::promotions::Promotion,
) -> StoreResult<crate::model::PromotionRecord> {
    rules::promotion(&promotion).map_err(invalid)?;
    store.create_promotion(actor, promotion)
}

/// Publishes a new revision of a promotion, checked as [`add_promotion`].
pub fn update_promotion(
    store: &dyn Store,
    actor: &Actor,
    promotion: shared::promotions::Promotion,
) -> StoreResult<crate::model::PromotionRecord> {
    rules::promotion(&promotion).map_err(invalid)?;
    store.update_promotion(actor, promotion)
}

/// Creates a brand; a code another brand has is a conflict.
pub fn add_brand(store: &dyn Store, actor: &Actor, code: &str, name: &str) -> StoreResult<shared::catalog::Brand> {
    let b = shared::catalog::Brand { id: shared::catalog::BrandId(0), code: code.to_owned(), name: name.to_owned() };
    rules::brand(&b).map_err(invalid)?;
    store.create_brand(actor, b)
}

/// Renames a brand.
pub fn rename_brand(
    store: &dyn Store,
    actor: &Actor,
    id: shared::catalog::BrandId,
    name: &str,
) -> StoreResult<shared::catalog::Brand> {
    rules::brand_name(name).map_err(invalid)?;
    store.rename_brand(actor, id, name)
}

pub fn add_product(store: &dyn Store, actor: &Actor, mut product: Product) -> StoreResult<Product> {
    rules::product(&mut product).map_err(invalid)?;
    store.create_product(actor, product)
}

pub fn update_product(store: &dyn Store, actor: &Actor, mut product: Product) -> StoreResult<Product> {
    rules::product(&mut product).map_err(invalid)?;
    store.update_product(actor, product)
}

pub fn set_branch_price(
    store: &dyn Store,
    actor: &Actor,
    branch: BranchId,
    price: BranchPrice,
) -> StoreResult<BranchPrice> {
    rules::branch_price(&price).map_err(invalid)?;
    store.set_branch_price(actor, branch, price)
}
