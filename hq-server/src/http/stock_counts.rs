//! Stock counts (盘点): open a count of a branch (whole or one category; the snapshot is taken
//! then), enter what counters counted (JSON lines, or a `text/csv` sheet of barcodes and
//! quantities), read the sheet (blind by default: no expected figures), post it (count
//! adjustments and a variance report in money) or cancel it. A branch manager counts only their
//! branch; another branch's counts answer 404.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use shared::catalog::{CategoryId, ProductId};
use shared::ids::BranchId;
use shared::money::Qty;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{AppState, CurrentUser, ErrorBody};
use crate::error::{ApiBytes, ApiJson, ApiPath, ApiQuery, AppError};
use crate::model::{CountEntry, CountReport, CountScope, CountSheet, StockCount};

/// A count to open.
#[derive(Deserialize, ToSchema)]
pub struct StartBody {
    pub branch_id: i64,
    /// Count only this category's products (the whole branch without it).
    pub category_id: Option<i64>,
    #[serde(default)]
    #[schema(max_length = 500)]
    pub note: String,
}

/// Which counts, newest first.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CountQuery {
    /// Only this branch's (a branch manager always sees only their own).
    pub branch_id: Option<i64>,
    /// At most this many (default 100, at most 500).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
}

/// How to show a sheet.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SheetQuery {
    /// Without the snapshot, expected figures and variances, as counters see it (the default).
    pub blind: Option<bool>,
    /// `json` (default) or `csv`: one row a product, `product,name,unit,qty,…` with quantities in
    /// selling units, so a blind sheet printed or filled in a spreadsheet imports back.
    #[param(pattern = "^(json|csv)$")]
    pub format: Option<String>,
}

/// What one counter counted.
#[derive(Deserialize, ToSchema)]
pub struct EntriesBody {
    /// Who counted (a name, as the sheet shows it).
    #[schema(min_length = 1, max_length = 60)]
    pub counter: String,
    #[schema(min_items = 1, max_items = 10000)]
    pub lines: Vec<EntryBody>,
}

/// One product counted: by its id or a barcode of it (one of them).
#[derive(Deserialize, ToSchema)]
pub struct EntryBody {
    pub product_id: Option<i64>,
    #[schema(min_length = 1, max_length = 64)]
    pub barcode: Option<String>,
    /// What is on the shelf in thousandths of the selling unit (grams of a weighed good): 16
    /// pieces is 16000.
    #[schema(minimum = 0, maximum = 10_000_000_000_i64)]
    pub qty: i64,
    /// When it was counted (default now): not before the count began, not in the future.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub counted_at: Option<jiff::Timestamp>,
}

/// Who counted a CSV sheet.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CsvQuery {
    /// Who counted (required with a CSV body).
    #[param(min_length = 1, max_length = 60)]
    pub counter: Option<String>,
}

/// The branch a user asks for, within what they may see: a branch manager only their own.
fn scoped(me: &CurrentUser, asked: Option<i64>) -> Result<Option<BranchId>, AppError> {
    match (me.user.branch_scope(), asked.map(BranchId)) {
        (Some(own), Some(asked)) if own != asked => Err(AppError::NotFound(format!("branch {}", asked.0))),
        (Some(own), _) => Ok(Some(own)),
        (None, asked) => Ok(asked),
    }
}

/// A count the user may see (another branch's is "not found").
async fn visible(state: &AppState, me: &CurrentUser, id: i64) -> Result<StockCount, AppError> {
    let c = state.db(move |s| s.stock_count(id)).await?;
    if !me.user.sees_branch(c.branch_id) {
        return Err(AppError::NotFound(format!("stock count {id}")));
    }
    Ok(c)
}

/// A CSV sheet's rows: a header naming `qty` and either `barcode` or `product` (a product code,
/// as the sheet's export writes it), then one product a row, its quantity in selling units (`16`,
/// `0.532` for a weighed good). A row whose quantity is left empty was not counted and is
/// skipped (a printed sheet comes back with blanks). A malformed row is refused by its number
/// (the header is row 1), and nothing is entered.
fn rows_of_csv(body: &[u8]) -> Result<Vec<CsvRow>, AppError> {
    let mut reader = csv::ReaderBuilder::new().has_headers(true).flexible(true).from_reader(body);
    let header = reader.headers().map_err(|e| AppError::Validation(format!("row 1: {e}")))?.clone();
    let cols: Vec<String> = header.iter().map(|h| h.trim().to_lowercase()).collect();
    let col = |name: &str| cols.iter().position(|c| c == name);
    let key = col("barcode").map(|c| (c, true)).or_else(|| col("product").map(|c| (c, false)));
    let (Some((k, by_barcode)), Some(q)) = (key, col("qty")) else {
        return Err(AppError::Validation(
            "row 1: the header must name the columns barcode (or product) and qty".into(),
        ));
    };
    let what = if by_barcode { "barcode" } else { "product" };
    let mut out = Vec::new();
    for (i, row) in reader.records().enumerate() {
        let n = i + 2;
        let row = row.map_err(|e| AppError::Validation(format!("row {n}: {e}")))?;
        let key = row.get(k).map(str::trim).unwrap_or_default();
        if key.is_empty() || key.chars().count() > 64 {
            return Err(AppError::Validation(format!("row {n}: {what}: 1 to 64 characters")));
        }
        let text = row.get(q).map(str::trim).unwrap_or_default();
        if text.is_empty() {
            continue;
        }
        let qty = Qty::parse(text)
            .map_err(|_| AppError::Validation(format!("row {n}: qty: `{text}` is not a quantity (16, 0.532)")))?;
        out.push(CsvRow { row: n, key: key.to_owned(), by_barcode, qty });
        if out.len() > 10_000 {
            return Err(AppError::Validation(format!("row {n}: at most 10,000 rows a sheet")));
        }
    }
    if out.is_empty() {
        return Err(AppError::Validation("the CSV has no counted rows after its header".into()));
    }
    Ok(out)
}

/// One counted row of a CSV sheet.
struct CsvRow {
    row: usize,
    key: String,
    by_barcode: bool,
    qty: Qty,
}

/// The entries of a sheet's rows: barcodes as they are (the store resolves them); product codes
/// looked up here, an unknown one refused by its row.
fn entries_of_rows(s: &dyn crate::store::Store, rows: Vec<CsvRow>) -> crate::store::StoreResult<Vec<CountEntry>> {
    let mut codes: std::collections::HashMap<String, ProductId> = std::collections::HashMap::new();
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        if r.by_barcode {
            out.push(CountEntry { product: None, barcode: Some(r.key), qty: r.qty, counted_at: None });
            continue;
        }
        let id = match codes.get(&r.key) {
            Some(id) => *id,
            None => {
                let p = s.product_by_code(&r.key)?.ok_or_else(|| {
                    crate::store::StoreError::Invalid(format!("row {}: product: HQ has no product `{}`", r.row, r.key))
                })?;
                codes.insert(r.key.clone(), p.id);
                p.id
            }
        };
        out.push(CountEntry { product: Some(id), barcode: None, qty: r.qty, counted_at: None });
    }
    Ok(out)
}

/// A sheet as CSV: what counters see, and on an open sheet the expected figures too.
fn sheet_csv(sheet: &CountSheet) -> Result<String, AppError> {
    let mut header = vec!["product", "name", "unit", "qty", "counter", "counted_at", "entries", "recount"];
    if !sheet.blind {
        header.extend(["snapshot", "moved_since", "expected", "variance", "unit_cost", "variance_value"]);
    }
    let q = |q: Option<Qty>| q.map(|q| q.display()).unwrap_or_default();
    let m = |m: Option<shared::money::Money>| m.map(|m| m.plain()).unwrap_or_default();
    let mut out = vec![header.iter().map(|h| (*h).to_owned()).collect::<Vec<_>>()];
    for l in &sheet.lines {
        let mut row = vec![
            l.product_code.clone(),
            l.product_name.clone(),
            l.unit.clone(),
            q(l.counted),
            l.counter.clone().unwrap_or_default(),
            l.counted_at.map(|t| t.to_string()).unwrap_or_default(),
            l.entries.to_string(),
            if l.recount { "yes" } else { "" }.to_owned(),
        ];
        if !sheet.blind {
            row.extend([
                q(l.snapshot),
                q(l.moved_since),
                q(l.expected),
                q(l.variance),
                m(l.unit_cost),
                m(l.variance_value),
            ]);
        }
        out.push(row);
    }
    super::write_csv(out)
}

/// Opens a count at a branch, whole or one category: the snapshot of on hand is taken now.
/// Another open count of the branch and scope is a conflict.
#[utoipa::path(post, path = "/api/v1/stock/counts", tag = "stock", security(("session" = [])),
    request_body = StartBody,
    responses((status = 201, body = StockCount), (status = 404, body = ErrorBody, description = "Another branch"),
              (status = 409, body = ErrorBody, description = "A count of the branch and scope is open"),
              (status = 422, body = ErrorBody)))]
async fn start_count(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiJson(b): ApiJson<StartBody>,
) -> Result<(StatusCode, Json<StockCount>), AppError> {
    let branch = BranchId(b.branch_id);
    me.see_branch(branch)?;
    if b.note.chars().count() > 500 {
        return Err(AppError::Validation("note: at most 500 characters".into()));
    }
    let scope = b.category_id.map_or(CountScope::Full, |k| CountScope::Category(CategoryId(k)));
    let actor = me.actor();
    let made = state.db(move |s| s.start_count(&actor, branch, scope, &b.note)).await?;
    Ok((StatusCode::CREATED, Json(made)))
}

/// Counts newest first, of a branch or all.
#[utoipa::path(get, path = "/api/v1/stock/counts", tag = "stock", security(("session" = [])),
    params(CountQuery), responses((status = 200, body = Vec<StockCount>)))]
async fn list_counts(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiQuery(q): ApiQuery<CountQuery>,
) -> Result<Json<Vec<StockCount>>, AppError> {
    let branch = scoped(&me, q.branch_id)?;
    let limit = super::schema::page_limit(q.limit, 100, 500)?;
    Ok(Json(state.db(move |s| s.stock_counts(branch, limit)).await?))
}

/// A count's sheet: every product of its snapshot and any other counted, with the latest
/// figure, how many were entered and whether the counters disagree (count it again). Blind by
/// default; `blind=false` adds the snapshot, what moved since before each line was counted, the
/// expected figure, the variance and its value at average cost.
#[utoipa::path(get, path = "/api/v1/stock/counts/{id}", tag = "stock", security(("session" = [])),
    params(("id" = i64, Path, description = "Count id"), SheetQuery),
    responses((status = 200, description = "The sheet: JSON, or CSV with `format=csv`",
               content((CountSheet = "application/json"), (String = "text/csv")))))]
async fn count_sheet(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<SheetQuery>,
) -> Result<Response, AppError> {
    let csv = super::csv_format(q.format.as_deref())?;
    visible(&state, &me, id).await?;
    let blind = q.blind.unwrap_or(true);
    let sheet = state.db(move |s| s.count_sheet(id, blind)).await?;
    if !csv {
        return Ok(Json(sheet).into_response());
    }
    Ok(super::csv_file(&format!("stock_count_{id}.csv"), sheet_csv(&sheet)?))
}

/// Enters what a counter counted: JSON lines (by product id or barcode, quantities in
/// thousandths), or a `text/csv` sheet (`barcode,qty` or `product,qty` header, quantities in
/// selling units, rows left blank skipped; the sheet's CSV export is one) with the counter in the
/// query. A later figure for a product replaces the line's (a recount); every
/// figure is kept. Refused with the line (or row) and the reason, nothing entered: an unknown
/// product or barcode, a product outside the count's scope, a quantity below zero; a count not
/// open is a conflict.
#[utoipa::path(post, path = "/api/v1/stock/counts/{id}/entries", tag = "stock", security(("session" = [])),
    params(("id" = i64, Path, description = "Count id"), CsvQuery),
    request_body(content((EntriesBody = "application/json"), (String = "text/csv"))),
    responses((status = 200, body = StockCount), (status = 409, body = ErrorBody, description = "The count is not open"),
              (status = 422, body = ErrorBody)))]
async fn enter_counts(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<CsvQuery>,
    headers: axum::http::HeaderMap,
    ApiBytes(body): ApiBytes,
) -> Result<Json<StockCount>, AppError> {
    visible(&state, &me, id).await?;
    let kind = headers.get(axum::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let (counter, entries) = if kind.starts_with("text/csv") {
        let counter = q
            .counter
            .ok_or_else(|| AppError::Validation("counter: a CSV sheet names its counter in the query".into()))?;
        let rows = rows_of_csv(&body)?;
        (counter, state.db(move |s| entries_of_rows(s, rows)).await?)
    } else if kind.starts_with("application/json") {
        let b: EntriesBody = serde_json::from_slice(&body)
            .map_err(|e| AppError::BadRequest(format!("the body is not a count's entries: {e}")))?;
        let entries = b
            .lines
            .into_iter()
            .map(|l| CountEntry {
                product: l.product_id.map(ProductId),
                barcode: l.barcode,
                qty: Qty(l.qty),
                counted_at: l.counted_at,
            })
            .collect();
        (b.counter, entries)
    } else {
        return Err(AppError::UnsupportedMediaType);
    };
    let actor = me.actor();
    Ok(Json(state.db(move |s| s.count_entries(&actor, id, &counter, entries)).await?))
}

/// Posts an open count: a count adjustment (dated now, at the average cost) for every counted
/// line whose variance is not zero; lines nobody counted are left alone and listed. Answers the
/// variance report in money. A count posted (or cancelled) already is a conflict, and nothing is
/// written.
#[utoipa::path(post, path = "/api/v1/stock/counts/{id}/post", tag = "stock", security(("session" = [])),
    params(("id" = i64, Path, description = "Count id")),
    responses((status = 200, body = CountReport), (status = 409, body = ErrorBody, description = "Not open")))]
async fn post_count(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<CountReport>, AppError> {
    visible(&state, &me, id).await?;
    let actor = me.actor();
    Ok(Json(state.db(move |s| s.post_count(&actor, id)).await?))
}

/// Cancels an open count: no adjustments; its entries are kept.
#[utoipa::path(post, path = "/api/v1/stock/counts/{id}/cancel", tag = "stock", security(("session" = [])),
    params(("id" = i64, Path, description = "Count id")),
    responses((status = 200, body = StockCount), (status = 409, body = ErrorBody, description = "Not open")))]
async fn cancel_count(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<StockCount>, AppError> {
    visible(&state, &me, id).await?;
    let actor = me.actor();
    Ok(Json(state.db(move |s| s.cancel_count(&actor, id)).await?))
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_counts, start_count))
        .routes(routes!(count_sheet))
        .routes(routes!(enter_counts))
        .routes(routes!(post_count))
        .routes(routes!(cancel_count))
}
