//! Reorder (补货): each branch and product's minimum, maximum, pack and supplier, set one list at
//! a time (JSON) or from a CSV sheet, read back as JSON or the same CSV; and the suggested order
//! of what is below its minimum. A branch manager sets and sees only their branch's.

use axum::Json;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use shared::catalog::ProductId;
use shared::ids::BranchId;
use shared::money::Qty;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::stock::scoped;
use super::{AppState, CurrentUser, ErrorBody};
use crate::error::{ApiBytes, ApiJson, ApiQuery, AppError};
use crate::model::{NewStockSetting, ReorderLine, StockKey, StockSetting};

/// A CSV sheet's and an export's columns, in order.
const CSV_HEADER: [&str; 6] = ["branch", "product", "min", "max", "pack", "supplier"];

/// One branch and product's settings.
#[derive(Deserialize, ToSchema)]
pub struct SettingBody {
    pub branch_id: i64,
    pub product_id: i64,
    /// Below this, thousandths of the selling unit (24 pieces is 24000), the shelf is reordered.
    #[schema(minimum = 0, maximum = 10_000_000_000_i64)]
    pub min: i64,
    /// Reordered up to this (not below `min`).
    #[schema(minimum = 0, maximum = 10_000_000_000_i64)]
    pub max: i64,
    /// The supplier ships whole packs of this.
    #[schema(minimum = 1, maximum = 10_000_000_000_i64)]
    pub pack: i64,
    pub supplier_id: Option<i64>,
}

/// Settings to set, all or none.
#[derive(Deserialize, ToSchema)]
pub struct SettingsBody {
    #[schema(min_items = 1, max_items = 10000)]
    pub settings: Vec<SettingBody>,
}

/// How many settings were set.
#[derive(Serialize, ToSchema)]
pub struct SetAnswer {
    pub set: usize,
}

/// Which settings, in (branch, product) order.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SettingsQuery {
    /// Only this branch (a branch manager always sees only their own).
    pub branch_id: Option<i64>,
    /// The next page: settings after this branch and product (both or neither).
    pub after_branch: Option<i64>,
    pub after_product: Option<i64>,
    /// At most this many (default 1,000, at most 10,000).
    #[param(minimum = 1, maximum = 10000)]
    pub limit: Option<u32>,
    /// `json` (default) or `csv` (the import's columns, quantities in selling units).
    #[param(pattern = "^(json|csv)$")]
    pub format: Option<String>,
}

/// Which branch's suggested order.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReorderQuery {
    /// Only this branch (a branch manager always sees only their own).
    pub branch_id: Option<i64>,
    /// `json` (default) or `csv`.
    #[param(pattern = "^(json|csv)$")]
    pub format: Option<String>,
}

/// Settings by branch and product, with search by branch; JSON or CSV.
#[utoipa::path(get, path = "/api/v1/stock-settings", tag = "stock", security(("session" = [])),
    params(SettingsQuery),
    responses((status = 200, description = "The settings: JSON, or CSV with `format=csv`",
               content((Vec<StockSetting> = "application/json"), (String = "text/csv")))))]
async fn settings(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiQuery(q): ApiQuery<SettingsQuery>,
) -> Result<Response, AppError> {
    let csv = super::csv_format(q.format.as_deref())?;
    let branch = scoped(&me, q.branch_id)?;
    let after = match (q.after_branch, q.after_product) {
        (Some(b), Some(p)) => Some((BranchId(b), ProductId(p))),
        (None, None) => None,
        _ => return Err(AppError::Validation("after_branch and after_product go together".into())),
    };
    let limit = super::schema::page_limit(q.limit, 1000, 10_000)?;
    let rows = state.db(move |s| s.stock_settings(branch, after, limit)).await?;
    if !csv {
        return Ok(Json(rows).into_response());
    }
    let mut out = vec![CSV_HEADER.iter().map(|h| (*h).to_owned()).collect()];
    out.extend(rows.into_iter().map(|r| {
        vec![
            r.branch_code,
            r.product_code,
            r.min.display(),
            r.max.display(),
            r.pack.display(),
            r.supplier_code.unwrap_or_default(),
        ]
    }));
    Ok(super::csv_file("stock_settings.csv", super::write_csv(out)?))
}

/// Sets branches' and products' minimum, maximum, pack and supplier, all or none: a row for
/// another branch (a branch manager), an unknown branch, product or supplier, a maximum below the
/// minimum, an empty pack or a pair twice is refused with its row named (from 1), nothing set.
#[utoipa::path(put, path = "/api/v1/stock-settings", tag = "stock", security(("session" = [])),
    request_body = SettingsBody,
    responses((status = 200, body = SetAnswer), (status = 422, body = ErrorBody)))]
async fn set_settings(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiJson(b): ApiJson<SettingsBody>,
) -> Result<Json<SetAnswer>, AppError> {
    let rows: Vec<NewStockSetting> = b
        .settings
        .into_iter()
        .enumerate()
        .map(|(i, s)| NewStockSetting {
            row: i + 1,
            branch: StockKey::Id(s.branch_id),
            product: StockKey::Id(s.product_id),
            min: Qty(s.min),
            max: Qty(s.max),
            pack: Qty(s.pack),
            supplier: s.supplier_id.map(StockKey::Id),
        })
        .collect();
    let (actor, scope) = (me.actor(), me.user.branch_scope());
    let set = state.db(move |s| s.set_stock_settings(&actor, scope, rows)).await?;
    Ok(Json(SetAnswer { set }))
}

/// A sheet's cell that names a branch, product or supplier by its code, or why not (row `n`).
pub(super) fn code_cell(n: usize, what: &str, t: &str) -> Result<StockKey, AppError> {
    if t.is_empty() || t.chars().count() > 64 {
        return Err(AppError::Validation(format!("row {n}: {what}: a code of 1 to 64 characters")));
    }
    Ok(StockKey::Code(t.to_owned()))
}

/// A CSV sheet's rows: a header naming the columns `branch`, `product`, `min`, `max`, `pack` and
/// optionally `supplier` (codes; quantities in selling units: `24`, `0.5`), then a row each. A
/// malformed row is refused by its number (the header is row 1).
pub(crate) fn settings_of_csv(body: &[u8]) -> Result<Vec<NewStockSetting>, AppError> {
    let mut reader = csv::ReaderBuilder::new().has_headers(true).flexible(true).from_reader(body);
    let header = reader.headers().map_err(|e| AppError::Validation(format!("row 1: {e}")))?.clone();
    let cols: Vec<String> = header.iter().map(|h| h.trim().to_lowercase()).collect();
    let col = |name: &str| cols.iter().position(|c| c == name);
    let (Some(b), Some(p), Some(lo), Some(hi), Some(pk)) =
        (col("branch"), col("product"), col("min"), col("max"), col("pack"))
    else {
        return Err(AppError::Validation(
            "row 1: the header must name the columns branch, product, min, max and pack (supplier optional)".into(),
        ));
    };
    let supplier = col("supplier");
    let mut out = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let n = i + 2;
        let record = record.map_err(|e| AppError::Validation(format!("row {n}: {e}")))?;
        let text = |c: usize| record.get(c).map(str::trim).unwrap_or_default();
        let code = |c: usize, what: &str| code_cell(n, what, text(c));
        let qty = |c: usize, what: &str| -> Result<Qty, AppError> {
            let t = text(c);
            Qty::parse(t)
                .map_err(|_| AppError::Validation(format!("row {n}: {what}: `{t}` is not a quantity (24, 0.5)")))
        };
        out.push(NewStockSetting {
            row: n,
            branch: code(b, "branch")?,
            product: code(p, "product")?,
            min: qty(lo, "min")?,
            max: qty(hi, "max")?,
            pack: qty(pk, "pack")?,
            supplier: match supplier {
                Some(c) if !text(c).is_empty() => Some(code(c, "supplier")?),
                _ => None,
            },
        });
        if out.len() > crate::store::sql::stock_reorder::MAX_ROWS {
            return Err(AppError::Validation(format!("row {n}: at most 10,000 rows a sheet")));
        }
    }
    if out.is_empty() {
        return Err(AppError::Validation("the CSV has no rows after its header".into()));
    }
    Ok(out)
}

/// Sets settings from a CSV sheet (the body): columns `branch`, `product`, `min`, `max`, `pack`
/// and optionally `supplier`, by code, quantities in selling units; all rows or none, a bad row
/// named by its number.
#[utoipa::path(post, path = "/api/v1/stock-settings/import", tag = "stock", security(("session" = [])),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = SetAnswer), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn import_settings(
    State(state): State<AppState>,
    me: CurrentUser,
    headers: axum::http::HeaderMap,
    ApiBytes(body): ApiBytes,
) -> Result<Json<SetAnswer>, AppError> {
    let csv = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|t| t.starts_with("text/csv"));
    if !csv {
        return Err(AppError::UnsupportedMediaType);
    }
    let rows = settings_of_csv(&body)?;
    let (actor, scope) = (me.actor(), me.user.branch_scope());
    let set = state.db(move |s| s.set_stock_settings(&actor, scope, rows)).await?;
    Ok(Json(SetAnswer { set }))
}

/// The suggested order: every shelf below its minimum, filled to its maximum in whole packs, by
/// branch and supplier, at the branch's average cost; JSON or CSV.
#[utoipa::path(get, path = "/api/v1/stock-reports/reorder", tag = "stock", security(("session" = [])),
    params(ReorderQuery),
    responses((status = 200, description = "The suggested order: JSON, or CSV with `format=csv`",
               content((Vec<ReorderLine> = "application/json"), (String = "text/csv")))))]
async fn reorder(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiQuery(q): ApiQuery<ReorderQuery>,
) -> Result<Response, AppError> {
    let csv = super::csv_format(q.format.as_deref())?;
    let branch = scoped(&me, q.branch_id)?;
    let lines = state.db(move |s| s.reorder_suggestions(branch)).await?;
    if !csv {
        return Ok(Json(lines).into_response());
    }
    let header = ["branch", "supplier", "product", "name", "on_hand", "min", "max", "pack", "qty", "unit_cost", "cost"];
    let mut out = vec![header.iter().map(|h| (*h).to_owned()).collect()];
    out.extend(lines.into_iter().map(|l| {
        vec![
            l.branch_code,
            l.supplier_code.unwrap_or_default(),
            l.product_code,
            l.product_name,
            l.on_hand.display(),
            l.min.display(),
            l.max.display(),
            l.pack.display(),
            l.qty.display(),
            l.unit_cost.plain(),
            l.cost.plain(),
        ]
    }));
    Ok(super::csv_file("reorder.csv", super::write_csv(out)?))
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(settings, set_settings))
        .routes(routes!(import_settings))
        .routes(routes!(reorder))
}
