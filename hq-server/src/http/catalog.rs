use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use shared::Money;
use shared::catalog::{BrandId, Category, CategoryId, Product, ProductId, ProductStatus};
use shared::ids::BranchId;
use shared::money::Bp;
use shared::sync::BranchPrice;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ErrorBody;
use super::{AppState, CurrentUser};
use crate::admin;
use crate::error::{ApiJson, ApiPath, ApiQuery, AppError};

#[derive(Serialize, Deserialize, ToSchema)]
pub struct CategoryView {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub parent_id: Option<i64>,
}

impl From<&Category> for CategoryView {
    fn from(c: &Category) -> Self {
        CategoryView { id: c.id.0, code: c.code.clone(), name: c.name.clone(), parent_id: c.parent.map(|p| p.0) }
    }
}

#[derive(Deserialize, ToSchema)]
pub struct CategoryInput {
    /// 1–32 letters, digits, `-` or `_`.
    #[schema(pattern = "^[A-Za-z0-9_-]{1,32}$")]
    pub code: String,
    #[schema(
        max_length = 100,
        pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*[^\\s\\u0000-\\u001F\\u007F-\\u009F][^\\u0000-\\u001F\\u007F-\\u009F]*$"
    )]
    pub name: String,
    #[serde(default, deserialize_with = "super::int::opt")]
    pub parent_id: Option<i64>,
}

#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    #[default]
    Active,
    /// No longer sold; kept so old receipts and returns resolve.
    Delisted,
}

/// A product. Money is in fen (¥1.00 = 100); VAT in basis points (13% = 1300).
#[derive(Serialize, ToSchema)]
pub struct ProductView {
    pub id: i64,
    pub code: String,
    pub barcodes: Vec<String>,
    pub name: String,
    pub short_name: String,
    pub category_id: i64,
    pub unit: String,
    pub retail_price: i64,
    pub member_price: Option<i64>,
    pub vat_bp: i64,
    pub points_eligible: bool,
    pub discount_eligible: bool,
    pub weighed: bool,
    pub plu: Option<u32>,
    pub status: Status,
    /// Its brand (`GET /api/v1/brands`), if any.
    pub brand_id: Option<i64>,
}

impl From<&Product> for ProductView {
    fn from(p: &Product) -> Self {
        ProductView {
            id: p.id.0,
            code: p.code.clone(),
            barcodes: p.barcodes.clone(),
            name: p.name.clone(),
            short_name: p.short_name.clone(),
            category_id: p.category.0,
            unit: p.unit.clone(),
            retail_price: p.retail_price.0,
            member_price: p.member_price.map(|m| m.0),
            vat_bp: p.vat.0,
            points_eligible: p.points_eligible,
            discount_eligible: p.discount_eligible,
            weighed: p.weighed,
            plu: p.plu,
            status: match p.status {
                ProductStatus::Active => Status::Active,
                ProductStatus::Delisted => Status::Delisted,
            },
            brand_id: p.brand.map(|b| b.0),
        }
    }
}

fn yes() -> bool {
    true
}

/// A product as HQ staff define it. Money in fen, VAT in basis points (1300, 900, 600 or 0).
#[derive(Deserialize, ToSchema)]
pub struct ProductInput {
    #[schema(pattern = "^[^\\s\\u0000-\\u001F\\u007F-\\u009F]{1,64}$")]
    pub code: String,
    /// EAN-13, EAN-8, UPC-A (check digits verified) or internal numeric codes.
    #[serde(default)]
    #[schema(schema_with = super::schema::barcodes)]
    pub barcodes: Vec<String>,
    #[schema(
        max_length = 200,
        pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*[^\\s\\u0000-\\u001F\\u007F-\\u009F][^\\u0000-\\u001F\\u007F-\\u009F]*$"
    )]
    pub name: String,
    #[serde(default)]
    #[schema(max_length = 100, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    pub short_name: String,
    #[serde(deserialize_with = "super::int::de")]
    pub category_id: i64,
    #[schema(
        max_length = 16,
        pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*[^\\s\\u0000-\\u001F\\u007F-\\u009F][^\\u0000-\\u001F\\u007F-\\u009F]*$"
    )]
    pub unit: String,
    #[schema(minimum = 0, maximum = 1_000_000_000)]
    #[serde(deserialize_with = "super::int::de")]
    pub retail_price: i64,
    /// Not above the retail price.
    #[schema(minimum = 0, maximum = 1_000_000_000)]
    #[serde(default, deserialize_with = "super::int::opt")]
    pub member_price: Option<i64>,
    #[schema(schema_with = super::schema::vat_bp)]
    #[serde(deserialize_with = "super::int::de")]
    pub vat_bp: i64,
    #[serde(default = "yes")]
    pub points_eligible: bool,
    #[serde(default = "yes")]
    pub discount_eligible: bool,
    #[serde(default)]
    pub weighed: bool,
    #[schema(maximum = 99999)]
    #[serde(default, deserialize_with = "super::int::opt")]
    pub plu: Option<u32>,
    #[serde(default)]
    pub status: Status,
    /// Its brand: the id of a brand HQ has (`GET /api/v1/brands`), or `null` for none.
    #[serde(default, deserialize_with = "super::int::opt")]
    pub brand_id: Option<i64>,
}

impl ProductInput {
    fn into_product(self, id: i64) -> Product {
        Product {
            brand: self.brand_id.map(BrandId),
            id: ProductId(id),
            code: self.code,
            barcodes: self.barcodes,
            name: self.name,
            short_name: self.short_name,
            category: CategoryId(self.category_id),
            unit: self.unit,
            retail_price: Money(self.retail_price),
            member_price: self.member_price.map(Money),
            vat: Bp(self.vat_bp),
            points_eligible: self.points_eligible,
            discount_eligible: self.discount_eligible,
            weighed: self.weighed,
            plu: self.plu,
            status: match self.status {
                Status::Active => ProductStatus::Active,
                Status::Delisted => ProductStatus::Delisted,
            },
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProductQuery {
    /// Products with an id above this (paging: pass the last id you got).
    pub after: Option<i64>,
    /// At most this many (default 100, at most 1000).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
    /// Part of the code or name, or a whole barcode.
    pub q: Option<String>,
}

/// A branch's own price for a product. Money in fen; both `null` means back to retail.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct BranchPriceView {
    pub product_id: i64,
    pub price: Option<i64>,
    pub member_price: Option<i64>,
}

impl From<&BranchPrice> for BranchPriceView {
    fn from(p: &BranchPrice) -> Self {
        BranchPriceView {
            product_id: p.product.0,
            price: p.price.map(|m| m.0),
            member_price: p.member_price.map(|m| m.0),
        }
    }
}

#[derive(Deserialize, ToSchema)]
pub struct BranchPriceInput {
    /// Replaces the retail price at this branch (fen).
    #[schema(minimum = 0, maximum = 1_000_000_000)]
    #[serde(default, deserialize_with = "super::int::opt")]
    pub price: Option<i64>,
    /// Replaces the member price at this branch (fen).
    #[schema(minimum = 0, maximum = 1_000_000_000)]
    #[serde(default, deserialize_with = "super::int::opt")]
    pub member_price: Option<i64>,
}

/// All categories.
#[utoipa::path(get, path = "/api/v1/categories", tag = "catalog", security(("session" = [])),
    responses((status = 200, body = Vec<CategoryView>), (status = 401, body = ErrorBody)))]
async fn list_categories(State(state): State<AppState>, _me: CurrentUser) -> Result<Json<Vec<CategoryView>>, AppError> {
    let all = state.db(|s| s.list_categories()).await?;
    Ok(Json(all.iter().map(CategoryView::from).collect()))
}

/// Creates a category (HQ admin).
#[utoipa::path(post, path = "/api/v1/categories", tag = "catalog", security(("session" = [])),
    request_body = CategoryInput,
    responses((status = 201, body = CategoryView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_category(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiJson(input): ApiJson<CategoryInput>,
) -> Result<(StatusCode, Json<CategoryView>), AppError> {
    let actor = me.actor();
    let c = Category { id: CategoryId(0), code: input.code, name: input.name, parent: input.parent_id.map(CategoryId) };
    let created = state.db(move |s| admin::add_category(s, &actor, c)).await?;
    Ok((StatusCode::CREATED, Json(CategoryView::from(&created))))
}

/// Replaces a category (HQ admin).
#[utoipa::path(put, path = "/api/v1/categories/{id}", tag = "catalog", security(("session" = [])),
    params(("id" = i64, Path, description = "Category id")), request_body = CategoryInput,
    responses((status = 200, body = CategoryView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_category(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<CategoryInput>,
) -> Result<Json<CategoryView>, AppError> {
    let actor = me.actor();
    let c =
        Category { id: CategoryId(id), code: input.code, name: input.name, parent: input.parent_id.map(CategoryId) };
    let updated = state.db(move |s| admin::update_category(s, &actor, c)).await?;
    Ok(Json(CategoryView::from(&updated)))
}

/// A brand (品牌): products name theirs, promotions and coupons scope by them.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct BrandView {
    pub id: i64,
    pub code: String,
    pub name: String,
    /// How many products name it.
    pub products: u64,
}

impl From<&crate::store::BrandCount> for BrandView {
    fn from(b: &crate::store::BrandCount) -> Self {
        BrandView { id: b.brand.id.0, code: b.brand.code.clone(), name: b.brand.name.clone(), products: b.products }
    }
}

impl From<&shared::catalog::Brand> for BrandView {
    fn from(b: &shared::catalog::Brand) -> Self {
        BrandView { id: b.id.0, code: b.code.clone(), name: b.name.clone(), products: 0 }
    }
}

#[derive(Deserialize, ToSchema)]
pub struct BrandInput {
    /// 1–32 characters, no control characters, no space at either end; unique.
    #[schema(
        min_length = 1,
        max_length = 32,
        pattern = "^[^\\s\\u0000-\\u001F\\u007F-\\u009F]([^\\u0000-\\u001F\\u007F-\\u009F]*[^\\s\\u0000-\\u001F\\u007F-\\u009F])?$"
    )]
    pub code: String,
    #[schema(
        max_length = 100,
        pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*[^\\s\\u0000-\\u001F\\u007F-\\u009F][^\\u0000-\\u001F\\u007F-\\u009F]*$"
    )]
    pub name: String,
}

/// A brand's new name (its code stays).
#[derive(Deserialize, ToSchema)]
pub struct BrandRename {
    #[schema(
        max_length = 100,
        pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*[^\\s\\u0000-\\u001F\\u007F-\\u009F][^\\u0000-\\u001F\\u007F-\\u009F]*$"
    )]
    pub name: String,
}

/// Every brand, in code order, with how many products name it.
#[utoipa::path(get, path = "/api/v1/brands", tag = "catalog", security(("session" = [])),
    responses((status = 200, body = Vec<BrandView>), (status = 401, body = ErrorBody)))]
async fn list_brands(State(state): State<AppState>, _me: CurrentUser) -> Result<Json<Vec<BrandView>>, AppError> {
    let all = state.db(|s| s.list_brands()).await?;
    Ok(Json(all.iter().map(BrandView::from).collect()))
}

/// Creates a brand (HQ admin). A code another brand has is refused (409).
#[utoipa::path(post, path = "/api/v1/brands", tag = "catalog", security(("session" = [])),
    request_body = BrandInput,
    responses((status = 201, body = BrandView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_brand(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiJson(input): ApiJson<BrandInput>,
) -> Result<(StatusCode, Json<BrandView>), AppError> {
    let actor = me.actor();
    let created = state.db(move |s| admin::add_brand(s, &actor, &input.code, &input.name)).await?;
    Ok((StatusCode::CREATED, Json(BrandView::from(&created))))
}

/// Renames a brand (HQ admin); its code and products stay.
#[utoipa::path(put, path = "/api/v1/brands/{id}", tag = "catalog", security(("session" = [])),
    params(("id" = i64, Path, description = "Brand id")), request_body = BrandRename,
    responses((status = 200, body = BrandView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn rename_brand(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<BrandRename>,
) -> Result<Json<BrandView>, AppError> {
    let actor = me.actor();
    let renamed = state
        .db(move |s| {
            let b = admin::rename_brand(s, &actor, BrandId(id), &input.name)?;
            let products = s.list_brands()?.into_iter().find(|c| c.brand.id == b.id).map_or(0, |c| c.products);
            Ok(crate::store::BrandCount { brand: b, products })
        })
        .await?;
    Ok(Json(BrandView::from(&renamed)))
}

/// Products in id order, a page at a time, optionally searched.
#[utoipa::path(get, path = "/api/v1/products", tag = "catalog", security(("session" = [])), params(ProductQuery),
    responses((status = 200, body = Vec<ProductView>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
async fn list_products(
    State(state): State<AppState>,
    _me: CurrentUser,
    ApiQuery(q): ApiQuery<ProductQuery>,
) -> Result<Json<Vec<ProductView>>, AppError> {
    let limit = super::schema::page_limit(q.limit, 100, 1000)?;
    let after = q.after.unwrap_or(0);
    let products = state.db(move |s| s.list_products(after, limit, q.q.as_deref())).await?;
    Ok(Json(products.iter().map(ProductView::from).collect()))
}

/// Creates a product (HQ admin). Every barcode is checked; a barcode of another product is refused.
#[utoipa::path(post, path = "/api/v1/products", tag = "catalog", security(("session" = [])),
    request_body = ProductInput,
    responses((status = 201, body = ProductView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_product(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiJson(input): ApiJson<ProductInput>,
) -> Result<(StatusCode, Json<ProductView>), AppError> {
    let actor = me.actor();
    let created = state.db(move |s| admin::add_product(s, &actor, input.into_product(0))).await?;
    Ok((StatusCode::CREATED, Json(ProductView::from(&created))))
}

/// One product.
#[utoipa::path(get, path = "/api/v1/products/{id}", tag = "catalog", security(("session" = [])),
    params(("id" = i64, Path, description = "Product id")),
    responses((status = 200, body = ProductView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_product(
    State(state): State<AppState>,
    _me: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<ProductView>, AppError> {
    let p = state.db(move |s| s.get_product(ProductId(id))).await?;
    Ok(Json(ProductView::from(&p)))
}

/// Replaces a product (HQ admin); the tills pull the change.
#[utoipa::path(put, path = "/api/v1/products/{id}", tag = "catalog", security(("session" = [])),
    params(("id" = i64, Path, description = "Product id")), request_body = ProductInput,
    responses((status = 200, body = ProductView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_product(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<ProductInput>,
) -> Result<Json<ProductView>, AppError> {
    let actor = me.actor();
    let updated = state.db(move |s| admin::update_product(s, &actor, input.into_product(id))).await?;
    Ok(Json(ProductView::from(&updated)))
}

/// Delists a product: no longer sold, kept for old receipts and returns (HQ admin).
#[utoipa::path(post, path = "/api/v1/products/{id}/delist", tag = "catalog", security(("session" = [])),
    params(("id" = i64, Path, description = "Product id")),
    responses((status = 200, body = ProductView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
async fn delist_product(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<ProductView>, AppError> {
    let actor = me.actor();
    let updated = state
        .db(move |s| {
            let p = s.get_product(ProductId(id))?;
            if p.status == ProductStatus::Delisted {
                return Ok(p);
            }
            s.update_product(&actor, Product { status: ProductStatus::Delisted, ..p })
        })
        .await?;
    Ok(Json(ProductView::from(&updated)))
}

/// A branch's own prices.
#[utoipa::path(get, path = "/api/v1/branches/{id}/prices", tag = "catalog", security(("session" = [])),
    params(("id" = i64, Path, description = "Branch id")),
    responses((status = 200, body = Vec<BranchPriceView>), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn list_prices(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<BranchPriceView>>, AppError> {
    me.see_branch(BranchId(id))?;
    let prices = state.db(move |s| s.list_branch_prices(BranchId(id))).await?;
    Ok(Json(prices.iter().map(BranchPriceView::from).collect()))
}

/// Sets a branch's own price for a product (HQ admin, or the branch's manager). Both prices
/// `null` returns the product to its retail price at this branch.
#[utoipa::path(put, path = "/api/v1/branches/{id}/prices/{product_id}", tag = "catalog", security(("session" = [])),
    params(("id" = i64, Path, description = "Branch id"), ("product_id" = i64, Path, description = "Product id")),
    request_body = BranchPriceInput,
    responses((status = 200, body = BranchPriceView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn set_price(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath((id, product_id)): ApiPath<(i64, i64)>,
    ApiJson(input): ApiJson<BranchPriceInput>,
) -> Result<Json<BranchPriceView>, AppError> {
    me.see_branch(BranchId(id))?;
    let actor = me.actor();
    let price = BranchPrice {
        product: ProductId(product_id),
        price: input.price.map(Money),
        member_price: input.member_price.map(Money),
    };
    let set = state.db(move |s| admin::set_branch_price(s, &actor, BranchId(id), price)).await?;
    Ok(Json(BranchPriceView::from(&set)))
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_categories, create_category))
        .routes(routes!(update_category))
        .routes(routes!(list_brands, create_brand))
        .routes(routes!(rename_brand))
        .routes(routes!(list_products, create_product))
        .routes(routes!(get_product, update_product))
        .routes(routes!(delist_product))
        .routes(routes!(list_prices))
        .routes(routes!(set_price))
}
