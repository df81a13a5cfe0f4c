//! The catalog: search, brands, a product's brand, prices and per-branch prices, CSV export.

use crate::console::FormQuery;
use crate::console::{C, ConsoleError, Menu, Page, PageResult, layout};
use crate::http::AppState;
use crate::model::Role;
use axum::extract::{Path, State};
use axum::response::IntoResponse;
use maud::{Markup, html};
use serde::Deserialize;
use shared::ids::BranchId;
use shared::money::Money;

use super::*;

pub(super) async fn catalog(State(state): State<AppState>, page: Page, FormQuery(q): FormQuery<Search>) -> PageResult {
    catalog_page(&state, &page, q.q.unwrap_or_default(), None).await
}

pub(super) async fn catalog_page(state: &AppState, page: &Page, q: String, flash: Option<Markup>) -> PageResult {
    let query = q.clone();
    let (products, count, brands) = state
        .db(move |s| {
            let query = query.trim();
            Ok((s.list_products(0, 100, (!query.is_empty()).then_some(query))?, s.count_products()?, s.list_brands()?))
        })
        .await?;
    let brand_name = |id: Option<shared::catalog::BrandId>| {
        id.and_then(|id| brands.iter().find(|b| b.brand.id == id)).map(|b| b.brand.name.clone()).unwrap_or_default()
    };
    let admin = page.me.user.role == Role::Admin;
    let body = html! {
        @if let Some(f) = flash { (f) }
        form.inline method="get" { label { (page.t(C::Search)) input name="q" value=(q); } button type="submit" { (page.t(C::Search)) } }
        @if page.me.user.role == Role::Admin {
            form.inline #import method="post" action={ "/console/catalog/import?_csrf=" (page.csrf) } enctype="multipart/form-data"
                onsubmit="this.querySelector('progress').hidden=false" {

                label { (page.t(C::Import)) input type="file" name="file" accept=".csv,text/csv" required; }
                button type="submit" { (page.t(C::Import)) }
                progress hidden;
            }
        }
        p { (count) " · " a #export href="/console/catalog/export" { (page.t(C::Export)) } }
        table #products {
            thead { tr { th { (page.t(C::Code)) } th { (page.t(C::Name)) } th { (page.t(C::Brand)) } th.n { (page.t(C::RetailPrice)) } th.n { (page.t(C::MemberPrice)) } th { (page.t(C::Status)) } } }
            tbody {
                @for p in &products {
                    tr {
                        td { a href={ "/console/products/" (p.id.0) } { (p.code) } } td { (p.name) } td { (brand_name(p.brand)) } td.n { (p.retail_price) }
                        td.n { (p.member_price.map(|m| m.to_string()).unwrap_or_default()) }
                        td { (if p.status == shared::catalog::ProductStatus::Active { page.t(C::Active) } else { page.t(C::Delisted) }) }
                    }
                }
            }
        }
        h2 { (page.t(C::Brands)) }
        @if admin {
            form.inline #brand-form method="post" action="/console/catalog/brands" {
                (page.csrf_field())
                label { (page.t(C::BrandCode)) input name="code" size="10" maxlength="32" required; }
                label { (page.t(C::BrandName)) input name="name" size="16" maxlength="100" required; }
                button type="submit" { (page.t(C::AddBrand)) }
            }
        }
        table #brands {
            thead { tr { th { (page.t(C::BrandCode)) } th { (page.t(C::BrandName)) } th.n { (page.t(C::ProductCount)) } } }
            tbody {
                @for b in &brands {
                    tr { td { (b.brand.code) } td { (b.brand.name) } td.n { (b.products) } }
                }
            }
        }
    };
    Ok(layout(page, Menu::Catalog, page.t(C::Catalog), body))
}

#[derive(Deserialize)]
pub(super) struct BrandForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
}

/// Adds a brand from the catalog page's form; the page comes back with what happened.
pub(super) async fn add_brand(
    State(state): State<AppState>,
    page: Page,
    axum::Form(f): axum::Form<BrandForm>,
) -> PageResult {
    page.check_csrf(&f.csrf)?;
    let actor = page.me.actor();
    let (code, name) = (f.code.trim().to_owned(), f.name.trim().to_owned());
    let flash = match state.db(move |s| crate::admin::add_brand(s, &actor, &code, &name)).await {
        Ok(b) => html! { p.ok #brand-added { (page.t(C::BrandAdded)) " " (b.code) " " (b.name) } },
        Err(e) => html! { p.error #brand-error { (e.to_string()) } },
    };
    catalog_page(&state, &page, String::new(), Some(flash)).await
}

/// Every product as CSV, in the format the import reads.
pub(super) async fn export_catalog(State(state): State<AppState>, _page: Page) -> PageResult {
    let csv = state
        .db(|s| {
            let mut out = Vec::new();
            crate::import::export_products(s, &mut out)
                .map_err(|e| crate::store::StoreError::Internal(e.to_string()))?;
            Ok(out)
        })
        .await?;
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (axum::http::header::CONTENT_DISPOSITION, "attachment; filename=\"products.csv\""),
        ],
        csv,
    )
        .into_response())
}

pub(super) async fn product(State(state): State<AppState>, page: Page, Path(id): Path<i64>) -> PageResult {
    product_page(&state, &page, id, None).await
}

pub(super) async fn product_page(state: &AppState, page: &Page, id: i64, flash: Option<Markup>) -> PageResult {
    let pid = shared::catalog::ProductId(id);
    let p = state.db(move |s| s.get_product(pid)).await.map_err(|_| ConsoleError::NotFound(page.lang))?;
    let names = branch_names(state, page).await?;
    let ids: Vec<BranchId> = names.iter().map(|(b, _)| *b).collect();
    let prices = state
        .db(move |s| {
            ids.iter()
                .map(|b| Ok((*b, s.list_branch_prices(*b)?.into_iter().find(|bp| bp.product == pid))))
                .collect::<Result<Vec<_>, crate::store::StoreError>>()
        })
        .await?;
    let brands = state.db(|s| s.list_brands()).await?;
    let admin = page.me.user.role == Role::Admin;
    let body = html! {
        @if let Some(f) = flash { (f) }
        form.box #product-form method="post" action={ "/console/products/" (id) } {
            (page.csrf_field())
            label { (page.t(C::Name)) input name="name" value=(p.name) disabled[!admin]; }
            label { (page.t(C::RetailPrice)) input name="retail_price" value=(yuan_field(p.retail_price)) disabled[!admin]; }
            label { (page.t(C::MemberPrice)) input name="member_price" value=(p.member_price.map(yuan_field).unwrap_or_default()) disabled[!admin]; }
            label { (page.t(C::Brand))
                select name="brand" disabled[!admin] {
                    option value="" selected[p.brand.is_none()] { (page.t(C::NoBrand)) }
                    @for b in &brands {
                        option value=(b.brand.id.0) selected[p.brand == Some(b.brand.id)] { (b.brand.code) " " (b.brand.name) }
                    }
                }
            }
            label { (page.t(C::Status))
                select name="status" disabled[!admin] {
                    option value="active" selected[p.status == shared::catalog::ProductStatus::Active] { (page.t(C::Active)) }
                    option value="delisted" selected[p.status == shared::catalog::ProductStatus::Delisted] { (page.t(C::Delisted)) }
                }
            }
            @if admin { br; button type="submit" { (page.t(C::Save)) } }
        }
        h2 { (page.t(C::Branch)) " " (page.t(C::RetailPrice)) }
        table #branch-prices {
            tbody { @for ((b, name), (_, bp)) in names.iter().zip(&prices) { tr {
                td { (name) }
                td.n { (bp.as_ref().and_then(|x| x.price).map(|m| m.to_string()).unwrap_or_else(|| "—".into())) }
                td { @if admin {
                    form.inline method="post" action={ "/console/products/" (id) "/price" } {
                        (page.csrf_field())
                        input type="hidden" name="branch" value=(b.0);
                        input name="price" placeholder="12.50" size="8";
                        button type="submit" { (page.t(C::Save)) }
                    }
                } }
            } } }
        }
    };
    Ok(layout(page, Menu::Catalog, &format!("{} {}", p.code, p.name), body))
}

#[derive(Deserialize)]
pub(super) struct ProductForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    name: String,
    retail_price: String,
    #[serde(default)]
    member_price: String,
    status: String,
    /// A brand's id, empty for none; a form without it keeps the product's brand.
    #[serde(default)]
    brand: Option<String>,
}

pub(super) fn money_field(page: &Page, what: &str, text: &str) -> Result<Money, ConsoleError> {
    shared::money::Currency::CNY.parse(text.trim()).map_err(|e| page.invalid(format!("{what}: {e}")))
}

pub(super) async fn save_product(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<ProductForm>,
) -> PageResult {
    page.check_csrf(&f.csrf)?;
    let pid = shared::catalog::ProductId(id);
    let mut p = state.db(move |s| s.get_product(pid)).await.map_err(|_| ConsoleError::NotFound(page.lang))?;
    p.name = f.name.trim().to_owned();
    p.retail_price = money_field(&page, "retail price", &f.retail_price)?;
    p.member_price = if f.member_price.trim().is_empty() {
        None
    } else {
        Some(money_field(&page, "member price", &f.member_price)?)
    };
    p.status = if f.status == "delisted" {
        shared::catalog::ProductStatus::Delisted
    } else {
        shared::catalog::ProductStatus::Active
    };
    if let Some(b) = f.brand.as_deref().map(str::trim) {
        p.brand = if b.is_empty() {
            None
        } else {
            Some(shared::catalog::BrandId(
                b.parse().map_err(|_| page.invalid(format!("brand_id: `{b}` is not a brand")))?,
            ))
        };
    }
    let actor = page.me.actor();
    let flash = match state.db(move |s| crate::admin::update_product(s, &actor, p)).await {
        Ok(_) => html! { p.ok #saved { (page.t(C::Saved)) } },
        Err(e) => html! { p.error { (e.to_string()) } },
    };
    product_page(&state, &page, id, Some(flash)).await
}

#[derive(Deserialize)]
pub(super) struct PriceForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    branch: i64,
    price: String,
}

pub(super) async fn branch_price(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<PriceForm>,
) -> PageResult {
    page.check_csrf(&f.csrf)?;
    let price = if f.price.trim().is_empty() { None } else { Some(money_field(&page, "price", &f.price)?) };
    let bp = shared::sync::BranchPrice { product: shared::catalog::ProductId(id), price, member_price: None };
    let actor = page.me.actor();
    let flash = match state.db(move |s| crate::admin::set_branch_price(s, &actor, BranchId(f.branch), bp)).await {
        Ok(_) => html! { p.ok { (page.t(C::Saved)) } },
        Err(e) => html! { p.error { (e.to_string()) } },
    };
    product_page(&state, &page, id, Some(flash)).await
}
