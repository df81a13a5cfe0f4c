//! Stock per branch: the levels (on hand, average cost, value) with search and filters, a
//! product's movements at a branch, goods written off, each branch's stock at cost. Sales and
//! refunds move stock as HQ ingests them; nothing here moves it but a write-off. A branch manager
//! sees and moves only their branch's stock: another branch's answers 404.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use shared::catalog::{CategoryId, ProductId};
use shared::ids::BranchId;
use shared::money::Qty;
use shared::stock::WriteOffReason;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{AppState, CurrentUser, ErrorBody};
use crate::error::{ApiJson, ApiPath, ApiQuery, AppError};
use crate::model::{NewWriteOff, StockFilter, StockLevel, StockMovement, StockValue};

/// Which levels, in (branch, product) order.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LevelQuery {
    /// Only this branch (a branch manager always sees only their own).
    pub branch_id: Option<i64>,
    /// Part of the product's code or name.
    #[param(max_length = 60)]
    pub q: Option<String>,
    pub category_id: Option<i64>,
    /// Only what is below zero: sold more than HQ knows arrived.
    pub negative: Option<bool>,
    /// The next page: levels after this branch and product (both or neither).
    pub after_branch: Option<i64>,
    pub after_product: Option<i64>,
    /// At most this many (default 100, at most 1,000).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
}

/// A page of a product's movements, newest first.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MovementQuery {
    /// Movements before this one (the next page).
    pub before: Option<i64>,
    /// At most this many (default 100, at most 1,000).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
}

/// A branch and product's level with its latest movements.
#[derive(serde::Serialize, ToSchema)]
pub struct LevelDetail {
    pub level: StockLevel,
    pub movements: Vec<StockMovement>,
}

/// Goods gone without a sale.
#[derive(Deserialize, ToSchema)]
pub struct WriteOffBody {
    pub branch_id: i64,
    pub product_id: i64,
    /// How much went, in thousandths of the selling unit (grams of a weighed good): 2 pieces is
    /// 2000.
    #[schema(minimum = 1, maximum = 10_000_000_000_i64)]
    pub qty: i64,
    /// `damage`, `expiry`, `theft` or `other`.
    #[schema(pattern = "^(damage|expiry|theft|other)$")]
    pub reason: String,
    /// What happened: required for `other`.
    #[serde(default)]
    #[schema(max_length = 500)]
    pub note: String,
}

/// Which branches' stock at cost.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ValueQuery {
    /// Only this branch (a branch manager always sees only their own).
    pub branch_id: Option<i64>,
}

/// The branch a user asks for, within what they may see: a branch manager only their own.
pub(super) fn scoped(me: &CurrentUser, asked: Option<i64>) -> Result<Option<BranchId>, AppError> {
    match (me.user.branch_scope(), asked.map(BranchId)) {
        (Some(own), Some(asked)) if own != asked => Err(AppError::NotFound(format!("branch {}", asked.0))),
        (Some(own), _) => Ok(Some(own)),
        (None, asked) => Ok(asked),
    }
}

/// Stock levels by branch and product, with search, category and below-zero filters.
#[utoipa::path(get, path = "/api/v1/stock", tag = "stock", security(("session" = [])),
    params(LevelQuery), responses((status = 200, body = Vec<StockLevel>)))]
async fn levels(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiQuery(q): ApiQuery<LevelQuery>,
) -> Result<Json<Vec<StockLevel>>, AppError> {
    if q.q.as_ref().is_some_and(|t| t.chars().count() > 60) {
        return Err(AppError::Validation("q: at most 60 characters".into()));
    }
    let after = match (q.after_branch, q.after_product) {
        (Some(b), Some(p)) => Some((BranchId(b), ProductId(p))),
        (None, None) => None,
        _ => return Err(AppError::Validation("after_branch and after_product go together".into())),
    };
    let filter = StockFilter {
        branch: scoped(&me, q.branch_id)?,
        search: q.q,
        category: q.category_id.map(CategoryId),
        negative_only: q.negative.unwrap_or(false),
        after,
        limit: super::schema::page_limit(q.limit, 100, 1000)?,
    };
    Ok(Json(state.db(move |s| s.stock_levels(&filter)).await?))
}

/// A product's level at a branch and its movements, newest first (by when they happened).
#[utoipa::path(get, path = "/api/v1/stock/{branch_id}/{product_id}", tag = "stock", security(("session" = [])),
    params(("branch_id" = i64, Path, description = "Branch id"), ("product_id" = i64, Path, description = "Product id"),
           MovementQuery),
    responses((status = 200, body = LevelDetail), (status = 404, body = ErrorBody, description = "Never moved there")))]
async fn level(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath((branch, product)): ApiPath<(i64, i64)>,
    ApiQuery(q): ApiQuery<MovementQuery>,
) -> Result<Json<LevelDetail>, AppError> {
    let branch = scoped(&me, Some(branch))?.unwrap_or(BranchId(branch));
    let product = ProductId(product);
    let limit = super::schema::page_limit(q.limit, 100, 1000)?;
    let (level, movements) = state
        .db(move |s| Ok((s.stock_level(branch, product)?, s.stock_movements(branch, product, q.before, limit)?)))
        .await?;
    Ok(Json(LevelDetail { level, movements }))
}

/// Writes goods off at a branch (damaged, expired, stolen) at its average cost: a movement out,
/// never an edit. Refused with the field named, nothing written: an unknown branch or product, a
/// quantity not above zero, `other` without a note.
#[utoipa::path(post, path = "/api/v1/stock/write-offs", tag = "stock", security(("session" = [])),
    request_body = WriteOffBody,
    responses((status = 201, body = StockMovement), (status = 404, body = ErrorBody, description = "Another branch"),
              (status = 422, body = ErrorBody)))]
async fn write_off(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiJson(b): ApiJson<WriteOffBody>,
) -> Result<(StatusCode, Json<StockMovement>), AppError> {
    let branch = BranchId(b.branch_id);
    me.see_branch(branch)?;
    let reason = WriteOffReason::parse(&b.reason)
        .ok_or_else(|| AppError::Validation(format!("reason: `{}` is not damage, expiry, theft or other", b.reason)))?;
    let new = NewWriteOff { branch, product: ProductId(b.product_id), qty: Qty(b.qty), reason, note: b.note, at: None };
    let actor = me.actor();
    let made = state.db(move |s| s.write_off(&actor, new)).await?;
    Ok((StatusCode::CREATED, Json(made)))
}

/// Each branch's stock at average cost, with how many products it holds and how many are below
/// zero (which count as nothing).
#[utoipa::path(get, path = "/api/v1/stock/value", tag = "stock", security(("session" = [])),
    params(ValueQuery), responses((status = 200, body = Vec<StockValue>)))]
async fn value(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiQuery(q): ApiQuery<ValueQuery>,
) -> Result<Json<Vec<StockValue>>, AppError> {
    let branch = scoped(&me, q.branch_id)?;
    Ok(Json(state.db(move |s| s.stock_value(branch)).await?))
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(levels))
        .routes(routes!(value))
        .routes(routes!(write_off))
        .routes(routes!(level))
}
