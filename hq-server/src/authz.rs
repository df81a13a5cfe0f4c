//! Who may do what: one table of rules for the API and the web console, checked by one
//! middleware before any handler runs or any body is read.
//!
//! Each route names a capability (`can::*`, a set of roles) or says it is open to anyone, to any
//! signed-in user, or to tills with their token. The same capability guards the same thing in
//! both places (`GET /api/v1/members/{id}` and `/console/members/{id}` are both `SEE_MEMBERS`),
//! so the API can never let through what the console refuses. A route missing from its table is
//! refused to everyone (fail closed), and the tests walk every route of the OpenAPI document and
//! of [`CONSOLE`] with every role.
//!
//! What a rule cannot know from the path — whether a branch manager's branch is the one asked
//! for, whether a member is the branch's — the handler checks, answering "not found" as if the
//! other branch's record did not exist.

use axum::extract::{FromRequestParts as _, MatchedPath, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::AppError;
use crate::http::{AppState, CurrentUser};
use crate::model::Role;

/// The capabilities: which roles may do a kind of thing.
pub mod can {
    use crate::model::Role::{self, *};

    /// Read the figures: dashboard, reports, branches and their tills, sales, staff, prices,
    /// the catalog and the member policy (a branch manager only their own branch's).
    pub const READ: &[Role] = &[Admin, Finance, Marketing, BranchManager];
    /// Open and edit branches, console users, run the daily job.
    pub const ADMINISTER: &[Role] = &[Admin];
    /// Register, revoke and re-code tills; add and edit staff (a branch manager at their branch).
    pub const MANAGE_TILLS: &[Role] = &[Admin, BranchManager];
    /// Set a branch's prices (a branch manager at their branch).
    pub const SET_BRANCH_PRICES: &[Role] = &[Admin, BranchManager];
    /// Edit the catalog: products, categories, imports.
    pub const EDIT_CATALOG: &[Role] = &[Admin];
    /// Look members up, read their ledger, export them.
    pub const SEE_MEMBERS: &[Role] = &[Admin, Finance, Marketing];
    /// Enrol members, edit them, their cards, import them.
    pub const EDIT_MEMBERS: &[Role] = &[Admin, Marketing];
    /// Adjust a member's points or stored value with a reason.
    pub const ADJUST_MEMBERS: &[Role] = &[Admin, Finance, Marketing];
    /// Change the member policy.
    pub const EDIT_POLICY: &[Role] = &[Admin, Marketing];
    /// Publish, change and withdraw promotions; create, end and issue coupon campaigns.
    pub const EDIT_PROMOTIONS: &[Role] = &[Admin, Marketing];
    /// Make and send member care campaigns (birthdays, holidays, win-back).
    pub const CARE: &[Role] = &[Admin, Marketing];
    /// Set branches' targets (计划).
    pub const SET_TARGETS: &[Role] = &[Admin, Finance];
    /// Read and verify the audit log.
    pub const SEE_AUDIT: &[Role] = &[Admin, Finance];
    /// Book expenses, import them, name their subjects; read them (HQ finance's).
    pub const EDIT_EXPENSES: &[Role] = &[Admin, Finance];
    /// Import the payment providers' statements and read the day's reconciliation (对账).
    pub const RECONCILE: &[Role] = &[Admin, Finance];
    /// Read a P&L (a branch manager only their own branch's).
    pub const SEE_PNL: &[Role] = &[Admin, Finance, BranchManager];
    /// Read complaints and their report (a branch manager their branch's).
    pub const SEE_COMPLAINTS: &[Role] = &[Admin, Finance, Marketing, BranchManager];
    /// Record complaints and move them on: customer care and branch managers (their branch's).
    pub const HANDLE_COMPLAINTS: &[Role] = &[Admin, Marketing, BranchManager];
    /// Read stock: levels, movements, its value (a branch manager their branch's).
    pub const SEE_STOCK: &[Role] = &[Admin, Finance, BranchManager];
    /// Move stock by hand: write-offs, purchase orders, deliveries, transfers, counts (a branch
    /// manager at their branch).
    pub const MOVE_STOCK: &[Role] = &[Admin, BranchManager];
}

/// Who a route is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Who {
    /// No credentials (health, the document, signing in, enrolling a till).
    Anyone,
    /// A till with its token (checked by the handler's `CurrentTill`, before its body).
    Till,
    /// Any signed-in console user (the handler may narrow it to the user's own record).
    SignedIn,
    /// A signed-in user with one of these roles.
    Roles(&'static [Role]),
}

/// A route's rule: method, the route's path pattern as the router has it, who may use it.
pub type Rule = (&'static str, &'static str, Who);

use Who::*;

/// The API's rules, one per operation of the OpenAPI document.
pub const API: &[Rule] = &[
    ("GET", "/health", Anyone),
    ("GET", "/api/v1/openapi.json", Anyone),
    ("POST", "/api/v1/session", Anyone),
    ("GET", "/api/v1/session", SignedIn),
    ("DELETE", "/api/v1/session", SignedIn),
    ("GET", "/api/v1/users", Roles(can::ADMINISTER)),
    ("POST", "/api/v1/users", Roles(can::ADMINISTER)),
    ("GET", "/api/v1/users/{id}", SignedIn),
    ("PATCH", "/api/v1/users/{id}", Roles(can::ADMINISTER)),
    ("POST", "/api/v1/users/{id}/unlock", Roles(can::ADMINISTER)),
    ("GET", "/api/v1/branches", Roles(can::READ)),
    ("POST", "/api/v1/branches", Roles(can::ADMINISTER)),
    ("GET", "/api/v1/branches/{id}", Roles(can::READ)),
    ("PUT", "/api/v1/branches/{id}", Roles(can::ADMINISTER)),
    ("GET", "/api/v1/branches/{id}/prices", Roles(can::READ)),
    ("PUT", "/api/v1/branches/{id}/prices/{product_id}", Roles(can::SET_BRANCH_PRICES)),
    ("GET", "/api/v1/branches/{id}/staff", Roles(can::READ)),
    ("POST", "/api/v1/branches/{id}/staff", Roles(can::MANAGE_TILLS)),
    ("PATCH", "/api/v1/staff/{id}", Roles(can::MANAGE_TILLS)),
    ("GET", "/api/v1/branches/{id}/tills", Roles(can::READ)),
    ("POST", "/api/v1/branches/{id}/tills", Roles(can::MANAGE_TILLS)),
    ("GET", "/api/v1/tills/{id}", Roles(can::READ)),
    ("POST", "/api/v1/tills/{id}/enrolment-code", Roles(can::MANAGE_TILLS)),
    ("POST", "/api/v1/tills/{id}/revoke", Roles(can::MANAGE_TILLS)),
    ("GET", "/api/v1/tills/{id}/sync", Roles(can::READ)),
    ("GET", "/api/v1/tills/{id}/events", Roles(can::READ)),
    ("GET", "/api/v1/categories", Roles(can::READ)),
    ("POST", "/api/v1/categories", Roles(can::EDIT_CATALOG)),
    ("PUT", "/api/v1/categories/{id}", Roles(can::EDIT_CATALOG)),
    ("GET", "/api/v1/brands", Roles(can::READ)),
    ("POST", "/api/v1/brands", Roles(can::EDIT_CATALOG)),
    ("PUT", "/api/v1/brands/{id}", Roles(can::EDIT_CATALOG)),
    ("GET", "/api/v1/products", Roles(can::READ)),
    ("POST", "/api/v1/products", Roles(can::EDIT_CATALOG)),
    ("GET", "/api/v1/products/{id}", Roles(can::READ)),
    ("PUT", "/api/v1/products/{id}", Roles(can::EDIT_CATALOG)),
    ("POST", "/api/v1/products/{id}/delist", Roles(can::EDIT_CATALOG)),
    ("GET", "/api/v1/audit", Roles(can::SEE_AUDIT)),
    ("GET", "/api/v1/audit/verify", Roles(can::SEE_AUDIT)),
    ("GET", "/api/v1/sales", Roles(can::READ)),
    ("GET", "/api/v1/reports/{kind}", Roles(can::READ)),
    ("GET", "/api/v1/reports/pnl", Roles(can::SEE_PNL)),
    ("GET", "/api/v1/expense-subjects", Roles(can::EDIT_EXPENSES)),
    ("POST", "/api/v1/expense-subjects", Roles(can::EDIT_EXPENSES)),
    ("PUT", "/api/v1/expense-subjects/{code}", Roles(can::EDIT_EXPENSES)),
    ("GET", "/api/v1/expenses", Roles(can::EDIT_EXPENSES)),
    ("POST", "/api/v1/expenses", Roles(can::EDIT_EXPENSES)),
    ("POST", "/api/v1/expenses/import", Roles(can::EDIT_EXPENSES)),
    ("GET", "/api/v1/payments/statements", Roles(can::RECONCILE)),
    ("POST", "/api/v1/payments/statements", Roles(can::RECONCILE)),
    ("GET", "/api/v1/payments/reconciliation", Roles(can::RECONCILE)),
    ("GET", "/api/v1/analysis/rfm", Roles(can::SEE_MEMBERS)),
    ("GET", "/api/v1/analysis/rfm/members", Roles(can::SEE_MEMBERS)),
    ("GET", "/api/v1/analysis/rfm/runs", Roles(can::SEE_MEMBERS)),
    ("POST", "/api/v1/analysis/rfm/runs", Roles(can::SEE_MEMBERS)),
    ("GET", "/api/v1/analysis/cohorts", Roles(can::SEE_MEMBERS)),
    ("GET", "/api/v1/analysis/tiers", Roles(can::SEE_MEMBERS)),
    ("GET", "/api/v1/targets", Roles(can::READ)),
    ("PUT", "/api/v1/targets", Roles(can::SET_TARGETS)),
    ("GET", "/api/v1/plan", Roles(can::READ)),
    ("GET", "/api/v1/care/birthdays", Roles(can::SEE_MEMBERS)),
    ("POST", "/api/v1/care/preview", Roles(can::SEE_MEMBERS)),
    ("GET", "/api/v1/care/campaigns", Roles(can::SEE_MEMBERS)),
    ("POST", "/api/v1/care/campaigns", Roles(can::CARE)),
    ("GET", "/api/v1/care/campaigns/{id}", Roles(can::SEE_MEMBERS)),
    ("GET", "/api/v1/members", Roles(can::SEE_MEMBERS)),
    ("POST", "/api/v1/members", Roles(can::EDIT_MEMBERS)),
    ("GET", "/api/v1/members/export", Roles(can::SEE_MEMBERS)),
    ("POST", "/api/v1/members/import", Roles(can::EDIT_MEMBERS)),
    ("POST", "/api/v1/members/daily-job", Roles(can::ADMINISTER)),
    ("GET", "/api/v1/members/{id}", Roles(can::SEE_MEMBERS)),
    ("PATCH", "/api/v1/members/{id}", Roles(can::EDIT_MEMBERS)),
    ("POST", "/api/v1/members/{id}/adjustments", Roles(can::ADJUST_MEMBERS)),
    ("POST", "/api/v1/members/{id}/cards", Roles(can::EDIT_MEMBERS)),
    ("GET", "/api/v1/members/{id}/ledger", Roles(can::SEE_MEMBERS)),
    ("GET", "/api/v1/members/{id}/lots", Roles(can::SEE_MEMBERS)),
    ("PUT", "/api/v1/member-cards/{kind}/{value}", Roles(can::EDIT_MEMBERS)),
    ("GET", "/api/v1/policies", Roles(can::READ)),
    ("POST", "/api/v1/policies", Roles(can::EDIT_POLICY)),
    ("GET", "/api/v1/policies/current", Roles(can::READ)),
    ("POST", "/api/v1/policies/preview", Roles(can::READ)),
    ("GET", "/api/v1/promotions", Roles(can::READ)),
    ("POST", "/api/v1/promotions", Roles(can::EDIT_PROMOTIONS)),
    ("GET", "/api/v1/promotions/set", Roles(can::READ)),
    ("POST", "/api/v1/promotions/preview", Roles(can::READ)),
    ("GET", "/api/v1/promotions/{id}", Roles(can::READ)),
    ("PUT", "/api/v1/promotions/{id}", Roles(can::EDIT_PROMOTIONS)),
    ("POST", "/api/v1/promotions/{id}/withdraw", Roles(can::EDIT_PROMOTIONS)),
    ("GET", "/api/v1/promotions/{id}/effect", Roles(can::READ)),
    ("GET", "/api/v1/coupon-campaigns", Roles(can::SEE_MEMBERS)),
    ("POST", "/api/v1/coupon-campaigns", Roles(can::EDIT_PROMOTIONS)),
    ("GET", "/api/v1/coupon-campaigns/{id}", Roles(can::SEE_MEMBERS)),
    ("POST", "/api/v1/coupon-campaigns/{id}/end", Roles(can::EDIT_PROMOTIONS)),
    ("POST", "/api/v1/coupon-campaigns/{id}/issue", Roles(can::EDIT_PROMOTIONS)),
    ("GET", "/api/v1/members/{id}/coupons", Roles(can::SEE_MEMBERS)),
    ("GET", "/api/v1/complaints", Roles(can::SEE_COMPLAINTS)),
    ("POST", "/api/v1/complaints", Roles(can::HANDLE_COMPLAINTS)),
    ("GET", "/api/v1/complaints/report", Roles(can::SEE_COMPLAINTS)),
    ("GET", "/api/v1/complaints/{id}", Roles(can::SEE_COMPLAINTS)),
    ("POST", "/api/v1/complaints/{id}/assign", Roles(can::HANDLE_COMPLAINTS)),
    ("POST", "/api/v1/complaints/{id}/start", Roles(can::HANDLE_COMPLAINTS)),
    ("POST", "/api/v1/complaints/{id}/resolve", Roles(can::HANDLE_COMPLAINTS)),
    ("POST", "/api/v1/complaints/{id}/close", Roles(can::HANDLE_COMPLAINTS)),
    ("POST", "/api/v1/complaints/{id}/reopen", Roles(can::HANDLE_COMPLAINTS)),
    ("GET", "/api/v1/complaint-categories", Roles(can::SEE_COMPLAINTS)),
    ("POST", "/api/v1/complaint-categories", Roles(can::ADMINISTER)),
    ("PUT", "/api/v1/complaint-categories/{id}", Roles(can::ADMINISTER)),
    ("GET", "/api/v1/stock", Roles(can::SEE_STOCK)),
    ("GET", "/api/v1/stock/value", Roles(can::SEE_STOCK)),
    ("POST", "/api/v1/stock/write-offs", Roles(can::MOVE_STOCK)),
    ("GET", "/api/v1/stock/{branch_id}/{product_id}", Roles(can::SEE_STOCK)),
    ("GET", "/api/v1/stock-reports/slow-movers", Roles(can::SEE_STOCK)),
    ("GET", "/api/v1/stock-reports/shrinkage", Roles(can::SEE_STOCK)),
    ("GET", "/api/v1/stock-reports/cover", Roles(can::SEE_STOCK)),
    ("GET", "/api/v1/stock-reports/reorder", Roles(can::SEE_STOCK)),
    ("GET", "/api/v1/stock-settings", Roles(can::SEE_STOCK)),
    ("PUT", "/api/v1/stock-settings", Roles(can::MOVE_STOCK)),
    ("POST", "/api/v1/stock-settings/import", Roles(can::MOVE_STOCK)),
    ("POST", "/api/v1/stock/receipts", Roles(can::MOVE_STOCK)),
    ("GET", "/api/v1/stock/counts", Roles(can::SEE_STOCK)),
    ("POST", "/api/v1/stock/counts", Roles(can::MOVE_STOCK)),
    ("GET", "/api/v1/stock/counts/{id}", Roles(can::SEE_STOCK)),
    ("POST", "/api/v1/stock/counts/{id}/entries", Roles(can::MOVE_STOCK)),
    ("POST", "/api/v1/stock/counts/{id}/post", Roles(can::MOVE_STOCK)),
    ("POST", "/api/v1/stock/counts/{id}/cancel", Roles(can::MOVE_STOCK)),
    ("GET", "/api/v1/suppliers", Roles(can::SEE_STOCK)),
    ("POST", "/api/v1/suppliers", Roles(can::EDIT_CATALOG)),
    ("GET", "/api/v1/purchase-orders", Roles(can::SEE_STOCK)),
    ("POST", "/api/v1/purchase-orders", Roles(can::MOVE_STOCK)),
    ("GET", "/api/v1/purchase-orders/{id}", Roles(can::SEE_STOCK)),
    ("POST", "/api/v1/purchase-orders/import", Roles(can::MOVE_STOCK)),
    ("POST", "/api/v1/purchase-orders/{id}/close", Roles(can::MOVE_STOCK)),
    ("GET", "/api/v1/transfers", Roles(can::SEE_STOCK)),
    ("POST", "/api/v1/transfers", Roles(can::MOVE_STOCK)),
    ("GET", "/api/v1/transfers/{id}", Roles(can::SEE_STOCK)),
    ("POST", "/api/v1/transfers/{id}/receive", Roles(can::MOVE_STOCK)),
    ("POST", "/api/v1/sync/enrol", Anyone),
    ("POST", "/api/v1/sync/push", Till),
    ("GET", "/api/v1/sync/pull", Till),
    ("POST", "/api/v1/till/members/lookup", Till),
    ("POST", "/api/v1/till/holds", Till),
    ("POST", "/api/v1/till/holds/{hold}/release", Till),
    ("POST", "/api/v1/till/topups", Till),
    ("POST", "/api/v1/till/coupons/holds", Till),
    ("POST", "/api/v1/till/coupons/holds/{hold}/release", Till),
    ("GET", "/api/v1/till/members/{member_id}/coupons", Till),
    ("GET", "/api/v1/till/sales/{receipt}", Till),
    ("GET", "/api/v1/till/complaint-categories", Till),
    ("POST", "/api/v1/till/complaints", Till),
    ("GET", "/api/v1/till/stock", Till),
    ("GET", "/api/v1/till/stock-counts", Till),
    ("POST", "/api/v1/till/stock-counts/{id}/entries", Till),
    ("POST", "/api/v1/till/payments", Till),
    ("GET", "/api/v1/till/payments/{order_no}", Till),
    ("POST", "/api/v1/till/payments/{order_no}/cancel", Till),
    ("POST", "/api/v1/till/payments/{order_no}/refunds", Till),
    ("GET", "/api/v1/till/payments/{order_no}/refunds/{seq}", Till),
];

/// The web console's rules, one per route it serves.
pub const CONSOLE: &[Rule] = &[
    ("GET", "/", Anyone),
    ("GET", "/console/login", Anyone),
    ("POST", "/console/login", Anyone),
    ("POST", "/console/logout", SignedIn),
    ("GET", "/console/lang", Anyone),
    ("GET", "/console", Roles(can::READ)),
    ("GET", "/console/branches", Roles(can::READ)),
    ("POST", "/console/branches", Roles(can::ADMINISTER)),
    ("GET", "/console/branches/{id}", Roles(can::READ)),
    ("POST", "/console/branches/{id}", Roles(can::ADMINISTER)),
    ("POST", "/console/branches/{id}/tills", Roles(can::MANAGE_TILLS)),
    ("GET", "/console/branches/{id}/days", Roles(can::READ)),
    ("GET", "/console/branches/{id}/days/{day}", Roles(can::READ)),
    ("GET", "/console/tills/{id}", Roles(can::READ)),
    ("POST", "/console/tills/{id}/revoke", Roles(can::MANAGE_TILLS)),
    ("GET", "/console/sales/{branch}/{receipt}", Roles(can::READ)),
    ("GET", "/console/catalog", Roles(can::READ)),
    ("POST", "/console/catalog/import", Roles(can::EDIT_CATALOG)),
    ("POST", "/console/catalog/brands", Roles(can::EDIT_CATALOG)),
    ("GET", "/console/catalog/export", Roles(can::READ)),
    ("GET", "/console/products/{id}", Roles(can::READ)),
    ("POST", "/console/products/{id}", Roles(can::EDIT_CATALOG)),
    ("POST", "/console/products/{id}/price", Roles(can::SET_BRANCH_PRICES)),
    ("GET", "/console/members", Roles(can::SEE_MEMBERS)),
    ("POST", "/console/members/import", Roles(can::EDIT_MEMBERS)),
    ("GET", "/console/members/{id}", Roles(can::SEE_MEMBERS)),
    ("POST", "/console/members/{id}", Roles(can::ADJUST_MEMBERS)),
    ("POST", "/console/members/{id}/cards", Roles(can::EDIT_MEMBERS)),
    ("GET", "/console/policy", Roles(can::READ)),
    ("POST", "/console/policy", Roles(can::EDIT_POLICY)),
    ("GET", "/console/promotions", Roles(can::READ)),
    ("GET", "/console/promotions/new", Roles(can::EDIT_PROMOTIONS)),
    ("POST", "/console/promotions/new", Roles(can::EDIT_PROMOTIONS)),
    ("GET", "/console/promotions/preview", Roles(can::READ)),
    ("GET", "/console/promotions/{id}", Roles(can::READ)),
    ("GET", "/console/promotions/{id}/edit", Roles(can::EDIT_PROMOTIONS)),
    ("POST", "/console/promotions/{id}/edit", Roles(can::EDIT_PROMOTIONS)),
    ("POST", "/console/promotions/{id}/withdraw", Roles(can::EDIT_PROMOTIONS)),
    ("GET", "/console/coupons", Roles(can::SEE_MEMBERS)),
    ("POST", "/console/coupons", Roles(can::EDIT_PROMOTIONS)),
    ("GET", "/console/coupons/{id}", Roles(can::SEE_MEMBERS)),
    ("POST", "/console/coupons/{id}/issue", Roles(can::EDIT_PROMOTIONS)),
    ("POST", "/console/coupons/{id}/end", Roles(can::EDIT_PROMOTIONS)),
    ("GET", "/console/stock", Roles(can::SEE_STOCK)),
    ("GET", "/console/stock/reports", Roles(can::SEE_STOCK)),
    ("GET", "/console/stock/orders", Roles(can::SEE_STOCK)),
    ("POST", "/console/stock/orders", Roles(can::MOVE_STOCK)),
    ("POST", "/console/stock/orders/import", Roles(can::MOVE_STOCK)),
    ("GET", "/console/stock/orders/{id}", Roles(can::SEE_STOCK)),
    ("POST", "/console/stock/orders/{id}/receive", Roles(can::MOVE_STOCK)),
    ("POST", "/console/stock/orders/{id}/close", Roles(can::MOVE_STOCK)),
    ("POST", "/console/stock/receipts", Roles(can::MOVE_STOCK)),
    ("POST", "/console/stock/suppliers", Roles(can::EDIT_CATALOG)),
    ("GET", "/console/stock/transfers", Roles(can::SEE_STOCK)),
    ("POST", "/console/stock/transfers", Roles(can::MOVE_STOCK)),
    ("GET", "/console/stock/transfers/{id}", Roles(can::SEE_STOCK)),
    ("POST", "/console/stock/transfers/{id}/receive", Roles(can::MOVE_STOCK)),
    ("GET", "/console/stock/counts", Roles(can::SEE_STOCK)),
    ("POST", "/console/stock/counts", Roles(can::MOVE_STOCK)),
    ("GET", "/console/stock/counts/{id}", Roles(can::SEE_STOCK)),
    ("POST", "/console/stock/counts/{id}/entries", Roles(can::MOVE_STOCK)),
    ("POST", "/console/stock/counts/{id}/post", Roles(can::MOVE_STOCK)),
    ("POST", "/console/stock/counts/{id}/cancel", Roles(can::MOVE_STOCK)),
    ("GET", "/console/stock/reorder", Roles(can::SEE_STOCK)),
    ("POST", "/console/stock/reorder/order", Roles(can::MOVE_STOCK)),
    ("POST", "/console/stock/reorder/import", Roles(can::MOVE_STOCK)),
    ("GET", "/console/stock/{branch_id}/{product_id}", Roles(can::SEE_STOCK)),
    ("POST", "/console/stock/{branch_id}/{product_id}", Roles(can::MOVE_STOCK)),
    ("GET", "/console/complaints", Roles(can::SEE_COMPLAINTS)),
    ("POST", "/console/complaints", Roles(can::HANDLE_COMPLAINTS)),
    ("GET", "/console/complaints/report", Roles(can::SEE_COMPLAINTS)),
    ("GET", "/console/complaints/categories", Roles(can::ADMINISTER)),
    ("POST", "/console/complaints/categories", Roles(can::ADMINISTER)),
    ("POST", "/console/complaints/categories/{id}", Roles(can::ADMINISTER)),
    ("GET", "/console/complaints/{id}", Roles(can::SEE_COMPLAINTS)),
    ("POST", "/console/complaints/{id}", Roles(can::HANDLE_COMPLAINTS)),
    ("GET", "/console/finance", Roles(can::READ)),
    ("GET", "/console/pnl", Roles(can::SEE_PNL)),
    ("GET", "/console/expenses", Roles(can::EDIT_EXPENSES)),
    ("POST", "/console/expenses", Roles(can::EDIT_EXPENSES)),
    ("POST", "/console/expenses/import", Roles(can::EDIT_EXPENSES)),
    ("POST", "/console/expenses/subjects", Roles(can::EDIT_EXPENSES)),
    ("POST", "/console/expenses/subjects/{code}", Roles(can::EDIT_EXPENSES)),
    ("GET", "/console/reconciliation", Roles(can::RECONCILE)),
    ("POST", "/console/reconciliation/import", Roles(can::RECONCILE)),
    ("GET", "/console/analysis", Roles(can::SEE_MEMBERS)),
    ("POST", "/console/analysis/runs", Roles(can::SEE_MEMBERS)),
    ("GET", "/console/analysis/cohorts", Roles(can::SEE_MEMBERS)),
    ("GET", "/console/targets", Roles(can::READ)),
    ("POST", "/console/targets", Roles(can::SET_TARGETS)),
    ("GET", "/console/plan", Roles(can::READ)),
    ("GET", "/console/care", Roles(can::SEE_MEMBERS)),
    ("POST", "/console/care", Roles(can::CARE)),
    ("GET", "/console/care/{id}", Roles(can::SEE_MEMBERS)),
    ("GET", "/console/audit", Roles(can::SEE_AUDIT)),
    ("GET", "/console/users", Roles(can::ADMINISTER)),
    ("POST", "/console/users", Roles(can::ADMINISTER)),
    ("POST", "/console/users/{id}", Roles(can::ADMINISTER)),
    ("POST", "/console/users/{id}/unlock", Roles(can::ADMINISTER)),
    ("GET", "/console/jobs/{id}", SignedIn),
];

/// The rule of `method` on the route `path` in `table`.
pub fn rule(table: &[Rule], method: &Method, path: &str) -> Option<Who> {
    let method = if method == Method::HEAD { "GET" } else { method.as_str() };
    table.iter().find(|(m, p, _)| *m == method && *p == path).map(|(_, _, who)| *who)
}

/// Whether `role` may use a route for `who`.
pub fn allows(who: Who, role: Role) -> bool {
    match who {
        Anyone | SignedIn | Till => true,
        Roles(roles) => roles.contains(&role),
    }
}

/// The API's middleware: the route's rule, before the handler and before any body is read.
pub async fn api(State(state): State<AppState>, request: Request, next: Next) -> Response {
    match check(&state, API, request).await {
        Ok(request) => next.run(request).await,
        Err(e) => e.into_response(),
    }
}

/// The console's middleware: as [`api`], answering with the console's pages (sign in, refused).
pub async fn console(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let lang = crate::console::lang_of(request.headers());
    match check(&state, CONSOLE, request).await {
        Ok(request) => next.run(request).await,
        Err(AppError::Unauthenticated) => crate::console::redirect("/console/login"),
        Err(AppError::Forbidden(_)) => crate::console::ConsoleError::Forbidden(lang).into_response(),
        Err(e) => crate::console::ConsoleError::App(e, lang).into_response(),
    }
}

async fn check(state: &AppState, table: &[Rule], request: Request) -> Result<Request, AppError> {
    let path = request.extensions().get::<MatchedPath>().map(|p| p.as_str().to_owned()).unwrap_or_default();
    let Some(who) = rule(table, request.method(), &path) else {
        tracing::error!(method = %request.method(), %path, "a route without an authorization rule was refused");
        return Err(AppError::Forbidden("this route has no authorization rule".into()));
    };
    match who {
        Anyone | Till => Ok(request),
        SignedIn | Roles(_) => {
            let (mut parts, body) = request.into_parts();
            let me = <CurrentUser as axum::extract::FromRequestParts<AppState>>::from_request_parts(&mut parts, state)
                .await?;
            if !allows(who, me.user.role) {
                return Err(AppError::Forbidden("your role may not do this".into()));
            }
            // A branch in the path (`/branches/{id}`) must be one the user sees: another branch
            // is "not found", before any body is read.
            if path.contains("/branches/{id}") {
                let params = axum::extract::RawPathParams::from_request_parts(&mut parts, state)
                    .await
                    .map_err(|_| AppError::NotFound("branch".into()))?;
                let id = params.iter().find(|(k, _)| *k == "id").and_then(|(_, v)| v.parse::<i64>().ok());
                if id.is_some_and(|id| !me.user.sees_branch(shared::ids::BranchId(id))) {
                    return Err(AppError::NotFound(format!("branch {}", id.unwrap_or_default())));
                }
            }
            // The handler's own `CurrentUser` reads it from here instead of the database again.
            parts.extensions.insert(me);
            Ok(Request::from_parts(parts, body))
        }
    }
}
