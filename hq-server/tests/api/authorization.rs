//! Role × route × own/other branch: every operation of the OpenAPI document and every route of the
//! console, asked by nobody, by each role, and by a branch manager for their own branch and for
//! another. The expectations are this file's own table (what each role may do, written down as
//! the product means it), not the server's; the list of routes comes from the server, so a new
//! route without an entry here fails the test.

use std::collections::BTreeSet;

use axum::http::{Method, StatusCode};
use hq_server::model::Actor;
use serde_json::json;
use shared::ids::BranchId;
use shared::staff::StaffRole;

use crate::helpers::{Req, TestApp, spawn_app};

const A: &str = "admin";
const F: &str = "finance";
const M: &str = "marketing";
const B: &str = "branch_manager";

/// Who may use a route, and whether a branch manager only for their own branch.
#[derive(Clone, Copy)]
enum May {
    Anyone,
    Till,
    SignedIn,
    /// These roles; `true` when the path names a branch (or a till or staff member of one).
    Roles(&'static [&'static str], bool),
}

use May::*;

const EVERYONE: &[&str] = &[A, F, M, B];

/// What each API operation is for.
const API: &[(&str, &str, May)] = &[
    ("GET", "/health", Anyone),
    ("GET", "/api/v1/openapi.json", Anyone),
    ("POST", "/api/v1/session", Anyone),
    ("GET", "/api/v1/session", SignedIn),
    ("DELETE", "/api/v1/session", SignedIn),
    ("GET", "/api/v1/users", Roles(&[A], false)),
    ("POST", "/api/v1/users", Roles(&[A], false)),
    ("GET", "/api/v1/users/{id}", SignedIn),
    ("PATCH", "/api/v1/users/{id}", Roles(&[A], false)),
    ("POST", "/api/v1/users/{id}/unlock", Roles(&[A], false)),
    ("GET", "/api/v1/branches", Roles(EVERYONE, false)),
    ("POST", "/api/v1/branches", Roles(&[A], false)),
    ("GET", "/api/v1/branches/{id}", Roles(EVERYONE, true)),
    ("PUT", "/api/v1/branches/{id}", Roles(&[A], true)),
    ("GET", "/api/v1/branches/{id}/prices", Roles(EVERYONE, true)),
    ("PUT", "/api/v1/branches/{id}/prices/{product_id}", Roles(&[A, B], true)),
    ("GET", "/api/v1/branches/{id}/staff", Roles(EVERYONE, true)),
    ("POST", "/api/v1/branches/{id}/staff", Roles(&[A, B], true)),
    ("PATCH", "/api/v1/staff/{id}", Roles(&[A, B], true)),
    ("GET", "/api/v1/branches/{id}/tills", Roles(EVERYONE, true)),
    ("POST", "/api/v1/branches/{id}/tills", Roles(&[A, B], true)),
    ("GET", "/api/v1/tills/{id}", Roles(EVERYONE, true)),
    ("POST", "/api/v1/tills/{id}/enrolment-code", Roles(&[A, B], true)),
    ("POST", "/api/v1/tills/{id}/revoke", Roles(&[A, B], true)),
    ("GET", "/api/v1/tills/{id}/sync", Roles(EVERYONE, true)),
    ("GET", "/api/v1/tills/{id}/events", Roles(EVERYONE, true)),
    ("GET", "/api/v1/categories", Roles(EVERYONE, false)),
    ("POST", "/api/v1/categories", Roles(&[A], false)),
    ("PUT", "/api/v1/categories/{id}", Roles(&[A], false)),
    ("GET", "/api/v1/brands", Roles(EVERYONE, false)),
    ("POST", "/api/v1/brands", Roles(&[A], false)),
    ("PUT", "/api/v1/brands/{id}", Roles(&[A], false)),
    ("GET", "/api/v1/products", Roles(EVERYONE, false)),
    ("POST", "/api/v1/products", Roles(&[A], false)),
    ("GET", "/api/v1/products/{id}", Roles(EVERYONE, false)),
    ("PUT", "/api/v1/products/{id}", Roles(&[A], false)),
    ("POST", "/api/v1/products/{id}/delist", Roles(&[A], false)),
    ("GET", "/api/v1/audit", Roles(&[A, F], false)),
    ("GET", "/api/v1/audit/verify", Roles(&[A, F], false)),
    ("GET", "/api/v1/sales", Roles(EVERYONE, false)),
    ("GET", "/api/v1/reports/{kind}", Roles(EVERYONE, false)),
    ("GET", "/api/v1/reports/pnl", Roles(&[A, F, B], false)),
    ("GET", "/api/v1/expense-subjects", Roles(&[A, F], false)),
    ("POST", "/api/v1/expense-subjects", Roles(&[A, F], false)),
    ("PUT", "/api/v1/expense-subjects/{code}", Roles(&[A, F], false)),
    ("GET", "/api/v1/expenses", Roles(&[A, F], false)),
    ("POST", "/api/v1/expenses", Roles(&[A, F], false)),
    ("POST", "/api/v1/expenses/import", Roles(&[A, F], false)),
    ("GET", "/api/v1/payments/statements", Roles(&[A, F], false)),
    ("POST", "/api/v1/payments/statements", Roles(&[A, F], false)),
    ("GET", "/api/v1/payments/reconciliation", Roles(&[A, F], false)),
    ("GET", "/api/v1/analysis/rfm", Roles(&[A, F, M], false)),
    ("GET", "/api/v1/analysis/rfm/members", Roles(&[A, F, M], false)),
    ("GET", "/api/v1/analysis/rfm/runs", Roles(&[A, F, M], false)),
    ("POST", "/api/v1/analysis/rfm/runs", Roles(&[A, F, M], false)),
    ("GET", "/api/v1/analysis/cohorts", Roles(&[A, F, M], false)),
    ("GET", "/api/v1/analysis/tiers", Roles(&[A, F, M], false)),
    ("GET", "/api/v1/targets", Roles(EVERYONE, false)),
    ("PUT", "/api/v1/targets", Roles(&[A, F], false)),
    ("GET", "/api/v1/plan", Roles(EVERYONE, false)),
    ("GET", "/api/v1/care/birthdays", Roles(&[A, F, M], false)),
    ("POST", "/api/v1/care/preview", Roles(&[A, F, M], false)),
    ("GET", "/api/v1/care/campaigns", Roles(&[A, F, M], false)),
    ("POST", "/api/v1/care/campaigns", Roles(&[A, M], false)),
    ("GET", "/api/v1/care/campaigns/{id}", Roles(&[A, F, M], false)),
    ("GET", "/api/v1/members", Roles(&[A, F, M], false)),
    ("POST", "/api/v1/members", Roles(&[A, M], false)),
    ("GET", "/api/v1/members/export", Roles(&[A, F, M], false)),
    ("POST", "/api/v1/members/import", Roles(&[A, M], false)),
    ("POST", "/api/v1/members/daily-job", Roles(&[A], false)),
    ("GET", "/api/v1/members/{id}", Roles(&[A, F, M], false)),
    ("PATCH", "/api/v1/members/{id}", Roles(&[A, M], false)),
    ("POST", "/api/v1/members/{id}/adjustments", Roles(&[A, F, M], false)),
    ("POST", "/api/v1/members/{id}/cards", Roles(&[A, M], false)),
    ("GET", "/api/v1/members/{id}/ledger", Roles(&[A, F, M], false)),
    ("GET", "/api/v1/members/{id}/lots", Roles(&[A, F, M], false)),
    ("PUT", "/api/v1/member-cards/{kind}/{value}", Roles(&[A, M], false)),
    ("GET", "/api/v1/policies", Roles(EVERYONE, false)),
    ("POST", "/api/v1/policies", Roles(&[A, M], false)),
    ("GET", "/api/v1/policies/current", Roles(EVERYONE, false)),
    ("POST", "/api/v1/policies/preview", Roles(EVERYONE, false)),
    ("GET", "/api/v1/promotions", Roles(EVERYONE, false)),
    ("POST", "/api/v1/promotions", Roles(&[A, M], false)),
    ("GET", "/api/v1/promotions/set", Roles(EVERYONE, false)),
    ("POST", "/api/v1/promotions/preview", Roles(EVERYONE, false)),
    ("GET", "/api/v1/promotions/{id}", Roles(EVERYONE, false)),
    ("PUT", "/api/v1/promotions/{id}", Roles(&[A, M], false)),
    ("POST", "/api/v1/promotions/{id}/withdraw", Roles(&[A, M], false)),
    ("GET", "/api/v1/promotions/{id}/effect", Roles(EVERYONE, false)),
    ("GET", "/api/v1/coupon-campaigns", Roles(&[A, F, M], false)),
    ("POST", "/api/v1/coupon-campaigns", Roles(&[A, M], false)),
    ("GET", "/api/v1/coupon-campaigns/{id}", Roles(&[A, F, M], false)),
    ("POST", "/api/v1/coupon-campaigns/{id}/end", Roles(&[A, M], false)),
    ("POST", "/api/v1/coupon-campaigns/{id}/issue", Roles(&[A, M], false)),
    ("GET", "/api/v1/members/{id}/coupons", Roles(&[A, F, M], false)),
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
    ("GET", "/api/v1/complaints", Roles(EVERYONE, false)),
    ("POST", "/api/v1/complaints", Roles(&[A, M, B], false)),
    ("GET", "/api/v1/complaints/report", Roles(EVERYONE, false)),
    ("GET", "/api/v1/complaints/{id}", Roles(EVERYONE, true)),
    ("POST", "/api/v1/complaints/{id}/assign", Roles(&[A, M, B], true)),
    ("POST", "/api/v1/complaints/{id}/start", Roles(&[A, M, B], true)),
    ("POST", "/api/v1/complaints/{id}/resolve", Roles(&[A, M, B], true)),
    ("POST", "/api/v1/complaints/{id}/close", Roles(&[A, M, B], true)),
    ("POST", "/api/v1/complaints/{id}/reopen", Roles(&[A, M, B], true)),
    ("GET", "/api/v1/complaint-categories", Roles(EVERYONE, false)),
    ("POST", "/api/v1/complaint-categories", Roles(&[A], false)),
    ("PUT", "/api/v1/complaint-categories/{id}", Roles(&[A], false)),
    ("GET", "/api/v1/stock", Roles(&[A, F, B], false)),
    ("GET", "/api/v1/stock/value", Roles(&[A, F, B], false)),
    ("POST", "/api/v1/stock/write-offs", Roles(&[A, B], false)),
    ("GET", "/api/v1/stock/{branch_id}/{product_id}", Roles(&[A, F, B], true)),
    ("GET", "/api/v1/stock-reports/slow-movers", Roles(&[A, F, B], false)),
    ("GET", "/api/v1/stock-reports/shrinkage", Roles(&[A, F, B], false)),
    ("GET", "/api/v1/stock-reports/cover", Roles(&[A, F, B], false)),
    ("GET", "/api/v1/stock-reports/reorder", Roles(&[A, F, B], false)),
    ("GET", "/api/v1/stock-settings", Roles(&[A, F, B], false)),
    ("PUT", "/api/v1/stock-settings", Roles(&[A, B], false)),
    ("POST", "/api/v1/stock-settings/import", Roles(&[A, B], false)),
    ("POST", "/api/v1/stock/receipts", Roles(&[A, B], false)),
    ("GET", "/api/v1/stock/counts", Roles(&[A, F, B], false)),
    ("POST", "/api/v1/stock/counts", Roles(&[A, B], false)),
    ("GET", "/api/v1/stock/counts/{id}", Roles(&[A, F, B], true)),
    ("POST", "/api/v1/stock/counts/{id}/entries", Roles(&[A, B], true)),
    ("POST", "/api/v1/stock/counts/{id}/post", Roles(&[A, B], true)),
    ("POST", "/api/v1/stock/counts/{id}/cancel", Roles(&[A, B], true)),
    ("GET", "/api/v1/suppliers", Roles(&[A, F, B], false)),
    ("POST", "/api/v1/suppliers", Roles(&[A], false)),
    ("GET", "/api/v1/purchase-orders", Roles(&[A, F, B], false)),
    ("POST", "/api/v1/purchase-orders", Roles(&[A, B], false)),
    ("GET", "/api/v1/purchase-orders/{id}", Roles(&[A, F, B], true)),
    ("POST", "/api/v1/purchase-orders/import", Roles(&[A, B], false)),
    ("POST", "/api/v1/purchase-orders/{id}/close", Roles(&[A, B], true)),
    ("GET", "/api/v1/transfers", Roles(&[A, F, B], false)),
    ("POST", "/api/v1/transfers", Roles(&[A, B], false)),
    // The world's transfer goes from the manager's branch to the other: theirs at both ends.
    ("GET", "/api/v1/transfers/{id}", Roles(&[A, F, B], false)),
    ("POST", "/api/v1/transfers/{id}/receive", Roles(&[A, B], false)),
];

/// What each console route is for.
const CONSOLE: &[(&str, &str, May)] = &[
    ("GET", "/", Anyone),
    ("GET", "/console/login", Anyone),
    ("POST", "/console/login", Anyone),
    ("POST", "/console/logout", SignedIn),
    ("GET", "/console/lang", Anyone),
    ("GET", "/console", Roles(EVERYONE, false)),
    ("GET", "/console/stock", Roles(&[A, F, B], false)),
    ("GET", "/console/stock/reports", Roles(&[A, F, B], false)),
    ("GET", "/console/stock/orders", Roles(&[A, F, B], false)),
    ("POST", "/console/stock/orders", Roles(&[A, B], false)),
    ("POST", "/console/stock/orders/import", Roles(&[A, B], false)),
    ("GET", "/console/stock/orders/{id}", Roles(&[A, F, B], true)),
    ("POST", "/console/stock/orders/{id}/receive", Roles(&[A, B], true)),
    ("POST", "/console/stock/orders/{id}/close", Roles(&[A, B], true)),
    ("POST", "/console/stock/receipts", Roles(&[A, B], false)),
    ("POST", "/console/stock/suppliers", Roles(&[A], false)),
    ("GET", "/console/stock/transfers", Roles(&[A, F, B], false)),
    ("POST", "/console/stock/transfers", Roles(&[A, B], false)),
    ("GET", "/console/stock/transfers/{id}", Roles(&[A, F, B], false)),
    // Received where it arrives: the world's transfer into the manager's branch.
    ("POST", "/console/stock/transfers/{id}/receive", Roles(&[A, B], false)),
    ("GET", "/console/stock/counts", Roles(&[A, F, B], false)),
    ("POST", "/console/stock/counts", Roles(&[A, B], false)),
    ("GET", "/console/stock/counts/{id}", Roles(&[A, F, B], true)),
    ("POST", "/console/stock/counts/{id}/entries", Roles(&[A, B], true)),
    ("POST", "/console/stock/counts/{id}/post", Roles(&[A, B], true)),
    ("POST", "/console/stock/counts/{id}/cancel", Roles(&[A, B], true)),
    ("GET", "/console/stock/reorder", Roles(&[A, F, B], false)),
    ("POST", "/console/stock/reorder/order", Roles(&[A, B], false)),
    ("POST", "/console/stock/reorder/import", Roles(&[A, B], false)),
    ("GET", "/console/stock/{branch_id}/{product_id}", Roles(&[A, F, B], true)),
    ("POST", "/console/stock/{branch_id}/{product_id}", Roles(&[A, B], true)),
    ("GET", "/console/branches", Roles(EVERYONE, false)),
    ("POST", "/console/branches", Roles(&[A], false)),
    ("GET", "/console/branches/{id}", Roles(EVERYONE, true)),
    ("POST", "/console/branches/{id}", Roles(&[A], true)),
    ("POST", "/console/branches/{id}/tills", Roles(&[A, B], true)),
    ("GET", "/console/branches/{id}/days", Roles(EVERYONE, true)),
    ("GET", "/console/branches/{id}/days/{day}", Roles(EVERYONE, true)),
    ("GET", "/console/tills/{id}", Roles(EVERYONE, true)),
    ("POST", "/console/tills/{id}/revoke", Roles(&[A, B], true)),
    ("GET", "/console/sales/{branch}/{receipt}", Roles(EVERYONE, true)),
    ("GET", "/console/catalog", Roles(EVERYONE, false)),
    ("POST", "/console/catalog/import", Roles(&[A], false)),
    ("POST", "/console/catalog/brands", Roles(&[A], false)),
    ("GET", "/console/catalog/export", Roles(EVERYONE, false)),
    ("GET", "/console/products/{id}", Roles(EVERYONE, false)),
    ("POST", "/console/products/{id}", Roles(&[A], false)),
    ("POST", "/console/products/{id}/price", Roles(&[A, B], false)),
    ("GET", "/console/members", Roles(&[A, F, M], false)),
    ("POST", "/console/members/import", Roles(&[A, M], false)),
    ("GET", "/console/members/{id}", Roles(&[A, F, M], false)),
    ("POST", "/console/members/{id}", Roles(&[A, F, M], false)),
    ("POST", "/console/members/{id}/cards", Roles(&[A, M], false)),
    ("GET", "/console/policy", Roles(EVERYONE, false)),
    ("POST", "/console/policy", Roles(&[A, M], false)),
    ("GET", "/console/promotions", Roles(EVERYONE, false)),
    ("GET", "/console/promotions/new", Roles(&[A, M], false)),
    ("POST", "/console/promotions/new", Roles(&[A, M], false)),
    ("GET", "/console/promotions/preview", Roles(EVERYONE, false)),
    ("GET", "/console/promotions/{id}", Roles(EVERYONE, false)),
    ("GET", "/console/promotions/{id}/edit", Roles(&[A, M], false)),
    ("POST", "/console/promotions/{id}/edit", Roles(&[A, M], false)),
    ("POST", "/console/promotions/{id}/withdraw", Roles(&[A, M], false)),
    ("GET", "/console/coupons", Roles(&[A, F, M], false)),
    ("POST", "/console/coupons", Roles(&[A, M], false)),
    ("GET", "/console/coupons/{id}", Roles(&[A, F, M], false)),
    ("POST", "/console/coupons/{id}/issue", Roles(&[A, M], false)),
    ("POST", "/console/coupons/{id}/end", Roles(&[A, M], false)),
    ("GET", "/console/complaints", Roles(EVERYONE, false)),
    ("POST", "/console/complaints", Roles(&[A, M, B], false)),
    ("GET", "/console/complaints/report", Roles(EVERYONE, false)),
    ("GET", "/console/complaints/categories", Roles(&[A], false)),
    ("POST", "/console/complaints/categories", Roles(&[A], false)),
    ("POST", "/console/complaints/categories/{id}", Roles(&[A], false)),
    ("GET", "/console/complaints/{id}", Roles(EVERYONE, true)),
    ("POST", "/console/complaints/{id}", Roles(&[A, M, B], true)),
    ("GET", "/console/finance", Roles(EVERYONE, false)),
    ("GET", "/console/pnl", Roles(&[A, F, B], false)),
    ("GET", "/console/expenses", Roles(&[A, F], false)),
    ("POST", "/console/expenses", Roles(&[A, F], false)),
    ("POST", "/console/expenses/import", Roles(&[A, F], false)),
    ("POST", "/console/expenses/subjects", Roles(&[A, F], false)),
    ("POST", "/console/expenses/subjects/{code}", Roles(&[A, F], false)),
    ("GET", "/console/reconciliation", Roles(&[A, F], false)),
    ("POST", "/console/reconciliation/import", Roles(&[A, F], false)),
    ("GET", "/console/analysis", Roles(&[A, F, M], false)),
    ("POST", "/console/analysis/runs", Roles(&[A, F, M], false)),
    ("GET", "/console/analysis/cohorts", Roles(&[A, F, M], false)),
    ("GET", "/console/targets", Roles(EVERYONE, false)),
    ("POST", "/console/targets", Roles(&[A, F], false)),
    ("GET", "/console/plan", Roles(EVERYONE, false)),
    ("GET", "/console/care", Roles(&[A, F, M], false)),
    ("POST", "/console/care", Roles(&[A, M], false)),
    ("GET", "/console/care/{id}", Roles(&[A, F, M], false)),
    ("GET", "/console/audit", Roles(&[A, F], false)),
    ("GET", "/console/users", Roles(&[A], false)),
    ("POST", "/console/users", Roles(&[A], false)),
    ("POST", "/console/users/{id}", Roles(&[A], false)),
    ("POST", "/console/users/{id}/unlock", Roles(&[A], false)),
    ("GET", "/console/jobs/{id}", SignedIn),
];

/// The objects the paths name: for the manager's own branch and for another.
struct World {
    own: Objects,
    other: Objects,
    product: i64,
    category: i64,
    user: i64,
    member: String,
    member_code: String,
    till_token: String,
    promotion: u64,
    coupon_campaign: u64,
    brand: i64,
    complaint_category: i64,
    transfer: i64,
    /// A transfer from the other branch into the manager's.
    transfer_in: i64,
}

struct Objects {
    branch: BranchId,
    till: i64,
    staff: i64,
    receipt: String,
    complaint: i64,
    order: i64,
    count: i64,
}

impl World {
    fn path(&self, template: &str, other: bool) -> String {
        let o = if other { &self.other } else { &self.own };
        let id = if template.contains("complaint-categories/{id}") || template.contains("/complaints/categories/{id}") {
            self.complaint_category.to_string()
        } else if template.contains("/complaints/{id}") {
            o.complaint.to_string()
        } else if template.contains("/tills/{id}") {
            o.till.to_string()
        } else if template.contains("/staff/{id}") {
            o.staff.to_string()
        } else if template.contains("/branches/{id}") {
            o.branch.0.to_string()
        } else if template.contains("/products/{id}") {
            self.product.to_string()
        } else if template.contains("/categories/{id}") {
            self.category.to_string()
        } else if template.contains("/brands/{id}") {
            self.brand.to_string()
        } else if template.contains("/users/{id}") {
            self.user.to_string()
        } else if template.contains("/members/{id}") {
            self.member.clone()
        } else if template.contains("/promotions/{id}") {
            self.promotion.to_string()
        } else if template.contains("/stock/counts/{id}") {
            o.count.to_string()
        } else if template.contains("/purchase-orders/{id}") || template.contains("/stock/orders/{id}") {
            o.order.to_string()
        } else if template.contains("/console/stock/transfers/{id}/receive") {
            self.transfer_in.to_string()
        } else if template.contains("/transfers/{id}") {
            self.transfer.to_string()
        } else if template.contains("/coupon-campaigns/{id}") || template.contains("/coupons/{id}") {
            self.coupon_campaign.to_string()
        } else {
            "01a2290d-0000-7000-8000-000000000000".into()
        };
        template
            .replace("{id}", &id)
            .replace("{product_id}", &self.product.to_string())
            .replace("{kind}", if template.contains("member-cards") { "code" } else { "sales_by_branch" })
            .replace("{value}", &self.member_code)
            .replace("{hold}", "01a2290d-0000-7000-8000-000000000000")
            .replace("{member_id}", &self.member)
            .replace("{receipt}", &o.receipt)
            .replace("{branch}", &o.branch.0.to_string())
            .replace("{branch_id}", &o.branch.0.to_string())
            .replace("{day}", "2026-11-28")
            .replace("{code}", "rent")
            .replace("{order_no}", "B001-03-000001-1")
            .replace("{seq}", "1")
    }
}

async fn world(app: &TestApp) -> World {
    let b1 = app.branch("B001").await;
    let b2 = app.branch("B002").await;
    let (t1, _) = app.enrolled_till(b1).await;
    let (t2, _) = app.enrolled_till(b2).await;
    let (seller, till_token) = app.enrolled_till(b1).await;
    let product = app.product("P1", "6901234567892").await;
    let category = app.get("/api/v1/categories", &app.admin).await.body[0]["id"].as_i64().expect("category");
    let s = app.store.clone();
    let (s1, s2) = tokio::task::spawn_blocking(move || {
        let a = hq_server::admin::add_staff(&*s, &Actor::system(), b1, "9001", "王", StaffRole::Manager, "9999")?;
        let b = hq_server::admin::add_staff(&*s, &Actor::system(), b2, "9001", "李", StaffRole::Manager, "9999")?;
        Ok::<_, hq_server::store::StoreError>((a.id.0, b.id.0))
    })
    .await
    .expect("join")
    .expect("staff");
    let sale1 = crate::helpers::sale_event(&seller, 1);
    app.push(&till_token, seller.till, vec![sale1.clone()]).await.expect(StatusCode::OK);
    let receipt = |e: &shared::sync::EventEnvelope| match &e.event {
        shared::sync::Event::SaleCompleted(s) => s.receipt_no.to_string(),
        _ => String::new(),
    };
    let target = app
        .post(
            "/api/v1/users",
            &app.admin,
            json!({"username": "target", "display_name": "t", "role": "finance",
               "password": "a long enough password"}),
        )
        .await
        .expect(StatusCode::CREATED);
    let m = app
        .post("/api/v1/members", &app.admin, json!({"phone": "13900001111", "name": "陈", "home_branch": b2.0}))
        .await
        .expect(StatusCode::OK);
    let promotion = app
        .post(
            "/api/v1/promotions",
            &app.admin,
            json!({"name": "满100减10", "branches": {"kind": "all"}, "schedule": {"from": "2026-01-01", "to": "2036-12-31"},
                   "scope": {"all_products": true}, "kind": {"kind": "slabs", "slabs": [{"threshold": 10000, "off": 1000}]}}),
        )
        .await
        .expect(StatusCode::CREATED);
    let campaign = app
        .post(
            "/api/v1/coupon-campaigns",
            &app.admin,
            json!({"name": "满50减5", "kind": {"kind": "amount_off", "scope": {"all_products": true}, "min_spend": 5000,
                   "off": 500}, "offline_cap": 20, "validity": {"kind": "days", "days": 30}}),
        )
        .await
        .expect(StatusCode::CREATED);
    let brand = app
        .post("/api/v1/brands", &app.admin, json!({"code": "B001", "name": "农夫山泉"}))
        .await
        .expect(StatusCode::CREATED);
    let complaint_category = app
        .post("/api/v1/complaint-categories", &app.admin, json!({"name": "服务态度", "due_hours": 24}))
        .await
        .expect(StatusCode::CREATED)
        .body["id"]
        .as_i64()
        .expect("category");
    let mut complaints = Vec::new();
    for b in [b1, b2] {
        let c = app
            .post(
                "/api/v1/complaints",
                &app.admin,
                json!({"branch_id": b.0, "category_id": complaint_category, "text": "慢"}),
            )
            .await
            .expect(StatusCode::CREATED);
        complaints.push(c.body["id"].as_i64().expect("complaint"));
    }
    let supplier = app
        .post("/api/v1/suppliers", &app.admin, json!({"code": "S1", "name": "供应商"}))
        .await
        .expect(StatusCode::CREATED)
        .body["id"]
        .as_i64()
        .expect("supplier");
    let mut orders = Vec::new();
    for b in [b1, b2] {
        let o = app
            .post(
                "/api/v1/purchase-orders",
                &app.admin,
                json!({"supplier_id": supplier, "branch_id": b.0, "lines": [{"product_id": product, "qty": 24000, "unit_cost": 200}]}),
            )
            .await
            .expect(StatusCode::CREATED);
        orders.push(o.body["id"].as_i64().expect("order"));
    }
    let mut counts = Vec::new();
    for b in [b1, b2] {
        let c =
            app.post("/api/v1/stock/counts", &app.admin, json!({"branch_id": b.0})).await.expect(StatusCode::CREATED);
        counts.push(c.body["id"].as_i64().expect("count"));
    }
    let transfer = app
        .post(
            "/api/v1/transfers",
            &app.admin,
            json!({"from_branch": b1.0, "to_branch": b2.0, "lines": [{"product_id": product, "qty": 1000}]}),
        )
        .await
        .expect(StatusCode::CREATED)
        .body["id"]
        .as_i64()
        .expect("transfer");
    let transfer_in = app
        .post(
            "/api/v1/transfers",
            &app.admin,
            json!({"from_branch": b2.0, "to_branch": b1.0, "lines": [{"product_id": product, "qty": 1000}]}),
        )
        .await
        .expect(StatusCode::CREATED)
        .body["id"]
        .as_i64()
        .expect("transfer");
    World {
        own: Objects {
            branch: b1,
            till: t1.till.0,
            staff: s1,
            receipt: receipt(&sale1),
            complaint: complaints[0],
            order: orders[0],
            count: counts[0],
        },
        other: Objects {
            branch: b2,
            till: t2.till.0,
            staff: s2,
            receipt: "B002-01-000001".into(),
            complaint: complaints[1],
            order: orders[1],
            count: counts[1],
        },
        product,
        category,
        user: target.body["id"].as_i64().expect("user"),
        member: m.body["id"].as_str().expect("member").to_owned(),
        member_code: m.body["code"].as_str().expect("code").to_owned(),
        till_token,
        promotion: promotion.body["promotion"]["id"].as_u64().expect("promotion"),
        coupon_campaign: campaign.body["campaign"]["id"].as_u64().expect("campaign"),
        brand: brand.body["id"].as_i64().expect("brand"),
        complaint_category,
        transfer,
        transfer_in,
    }
}

fn method(m: &str) -> Method {
    Method::from_bytes(m.as_bytes()).expect("method")
}

/// A request as a console form would send it (with the session's CSRF token, so what is refused
/// is refused for the role, not the form).
async fn console_request(app: &TestApp, m: &str, path: &str, cookie: Option<&str>, csrf: &str) -> (StatusCode, String) {
    // Upload forms carry their token in the address (checked before the body is read).
    let path = if path.ends_with("/import") { format!("{path}?_csrf={csrf}") } else { path.to_owned() };
    let mut b = axum::http::Request::builder().method(method(m)).uri(path);
    if let Some(c) = cookie {
        b = b.header("cookie", c);
    }
    let body = if m == "POST" {
        b = b.header("content-type", "application/x-www-form-urlencoded");
        axum::body::Body::from(format!("_csrf={csrf}"))
    } else {
        axum::body::Body::empty()
    };
    let resp = tower::ServiceExt::oneshot(app.router.clone(), b.body(body).expect("request")).await.expect("response");
    let status = resp.status();
    let location = resp.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    (status, location)
}

async fn csrf_of(app: &TestApp, cookie: &str) -> String {
    let page = app.get("/console/policy", cookie).await.text;
    let at = page.find("name=\"_csrf\" value=\"").expect("a form with a CSRF field") + 20;
    page[at..at + 32].to_owned()
}

#[tokio::test]
async fn every_route_answers_each_role_as_the_table_says() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let mut sessions = vec![(A, app.admin.clone())];
    for (name, role) in [("fin", F), ("mkt", M)] {
        sessions.push((role, app.user(name, role, None).await));
    }
    sessions.push((B, app.user("mgr", B, Some(w.own.branch)).await));

    // The routes are the server's: its OpenAPI document and the console's rule list.
    let doc = hq_server::http::openapi();
    let served: BTreeSet<(String, String)> = doc
        .paths
        .paths
        .iter()
        .flat_map(|(path, item)| {
            let mut ms = Vec::new();
            for (m, op) in [
                ("GET", &item.get),
                ("POST", &item.post),
                ("PUT", &item.put),
                ("PATCH", &item.patch),
                ("DELETE", &item.delete),
            ] {
                if op.is_some() {
                    ms.push((m.to_owned(), path.clone()));
                }
            }
            ms
        })
        .collect();
    let tabled: BTreeSet<(String, String)> = API.iter().map(|(m, p, _)| ((*m).to_owned(), (*p).to_owned())).collect();
    assert_eq!(served, tabled, "every API operation has a row here, and every row an operation");
    let console: BTreeSet<(String, String)> =
        hq_server::authz::CONSOLE.iter().map(|(m, p, _)| ((*m).to_owned(), (*p).to_owned())).collect();
    let tabled: BTreeSet<(String, String)> =
        CONSOLE.iter().map(|(m, p, _)| ((*m).to_owned(), (*p).to_owned())).collect();
    assert_eq!(console, tabled, "every console route has a row here");

    let mut failures = Vec::new();
    for &(m, template, may) in API {
        // Signing out ends the session it is asked with: that one is asked last, below.
        if template == "/api/v1/session" && m == "DELETE" {
            continue;
        }
        let send = |cookie: Option<String>, token: Option<String>, other: bool| {
            let app = &app;
            let path = w.path(template, other);
            async move {
                let body = (m != "GET" && m != "DELETE").then(|| json!({}));
                app.send(Req {
                    method: method(m),
                    uri: path,
                    cookie: cookie.as_deref(),
                    till_token: token.as_deref(),
                    body,
                    from: None,
                })
                .await
                .status
            }
        };
        let anonymous = send(None, None, false).await;
        match may {
            Anyone => {}
            Till => {
                if anonymous != StatusCode::UNAUTHORIZED {
                    failures.push(format!("{m} {template} without a token: {anonymous}"));
                }
                let with_cookie = send(Some(app.admin.clone()), None, false).await;
                if with_cookie != StatusCode::UNAUTHORIZED {
                    failures.push(format!("{m} {template} with a session but no token: {with_cookie}"));
                }
                let with_token = send(None, Some(w.till_token.clone()), false).await;
                if matches!(with_token, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) {
                    failures.push(format!("{m} {template} with the till's token: {with_token}"));
                }
            }
            SignedIn | Roles(..) => {
                if anonymous != StatusCode::UNAUTHORIZED {
                    failures.push(format!("{m} {template} anonymous: {anonymous}"));
                }
                for (role, cookie) in &sessions {
                    let (allowed, scoped) = match may {
                        Roles(roles, scoped) => (roles.contains(role), scoped),
                        _ => (true, false),
                    };
                    // A user's own record is theirs to read; another's only an admin's.
                    let got = if template == "/api/v1/users/{id}" && m == "GET" && *role != A {
                        let me = app.get("/api/v1/session", cookie).await.body["id"].as_i64().expect("id");
                        let theirs = send(Some(cookie.clone()), None, false).await;
                        if theirs != StatusCode::FORBIDDEN {
                            failures.push(format!("GET {template} of another user as {role}: {theirs}"));
                        }
                        app.get(&format!("/api/v1/users/{me}"), cookie).await.status
                    } else {
                        send(Some(cookie.clone()), None, false).await
                    };
                    let ok = if allowed {
                        !matches!(got, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN | StatusCode::NOT_FOUND)
                    } else {
                        got == StatusCode::FORBIDDEN
                    };
                    if !ok {
                        failures.push(format!("{m} {template} as {role}: {got}"));
                    }
                    if scoped && allowed && *role == B {
                        let got = send(Some(cookie.clone()), None, true).await;
                        if got != StatusCode::NOT_FOUND {
                            failures.push(format!("{m} {template} as {role} for another branch: {got}"));
                        }
                    }
                }
            }
        }
    }

    for &(m, template, may) in CONSOLE {
        if template == "/console/logout" {
            continue;
        }
        let (anonymous, location) = console_request(&app, m, &w.path(template, false), None, "").await;
        match may {
            Anyone | Till => {}
            SignedIn | Roles(..) => {
                if anonymous != StatusCode::SEE_OTHER || location != "/console/login" {
                    failures.push(format!("console {m} {template} anonymous: {anonymous} → {location}"));
                }
                for (role, cookie) in &sessions {
                    let csrf = csrf_of(&app, cookie).await;
                    let (allowed, scoped) = match may {
                        Roles(roles, scoped) => (roles.contains(role), scoped),
                        _ => (true, false),
                    };
                    let (got, _) = console_request(&app, m, &w.path(template, false), Some(cookie), &csrf).await;
                    let job = template == "/console/jobs/{id}";
                    let ok = if allowed {
                        !matches!(got, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN)
                            && (job || got != StatusCode::NOT_FOUND)
                    } else {
                        got == StatusCode::FORBIDDEN
                    };
                    if !ok {
                        failures.push(format!("console {m} {template} as {role}: {got}"));
                    }
                    if scoped && allowed && *role == B {
                        let (got, _) = console_request(&app, m, &w.path(template, true), Some(cookie), &csrf).await;
                        if got != StatusCode::NOT_FOUND {
                            failures.push(format!("console {m} {template} as {role} for another branch: {got}"));
                        }
                    }
                }
            }
        }
    }

    // Signing out, last: each role's own session ends, and nobody else's.
    for (role, cookie) in &sessions {
        let got = app
            .send(Req {
                method: Method::DELETE,
                uri: "/api/v1/session".into(),
                cookie: Some(cookie),
                till_token: None,
                body: None,
                from: None,
            })
            .await
            .status;
        if !got.is_success() {
            failures.push(format!("DELETE /api/v1/session as {role}: {got}"));
        }
    }
    assert!(failures.is_empty(), "{} answers differ from the table:\n{}", failures.len(), failures.join("\n"));
}
