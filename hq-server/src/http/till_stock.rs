//! Stock at the tills (issue 19): a till pulls its own branch's on hand written after its cursor
//! (`/api/v1/till/stock`: levels change with every sale, so they are not on the catalog's change
//! feed), the open counts of its branch, and sends what it counted with its scanner, once per
//! batch. A till sees and counts only its own branch: another branch's count is "not found".

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use shared::money::Qty;
use shared::till_stock::{
    COUNTER_MAX, MAX_COUNT_LINES, StockCursor, TillCount, TillCountAnswer, TillCountEntries, TillStockLevel,
    TillStockPage,
};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{AppState, CurrentTill, ErrorBody};
use crate::error::{ApiJson, ApiPath, ApiQuery, AppError};
use crate::model::{Actor, CountEntry, CountStatus};

/// Where the till's pull stands.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StockQuery {
    /// The `next_cursor` of the last page (none: from the start).
    #[param(pattern = "^[0-9]{1,18}\\.[0-9]{1,18}$")]
    pub cursor: Option<String>,
    /// Levels a page (default 2,000, at most 5,000).
    #[param(minimum = 1, maximum = 5000)]
    pub limit: Option<u32>,
}

/// One product's on hand at the till's branch (`shared::till_stock::TillStockLevel`).
#[allow(dead_code)]
#[derive(ToSchema)]
pub struct TillStockLevelBody {
    pub product_id: i64,
    /// Thousandths of the selling unit (grams of a weighed good); below zero when HQ knows of more
    /// sold than came in.
    pub on_hand: i64,
}

/// A page of the branch's levels written after the cursor (`shared::till_stock::TillStockPage`).
#[allow(dead_code)]
#[derive(ToSchema)]
pub struct TillStockPageBody {
    pub levels: Vec<TillStockLevelBody>,
    /// The cursor to ask with next.
    pub next_cursor: String,
    pub has_more: bool,
    /// HQ's time when it read the page.
    #[schema(format = DateTime)]
    pub as_of: String,
}

/// An open count of the till's branch (`shared::till_stock::TillCount`).
#[allow(dead_code)]
#[derive(ToSchema)]
pub struct TillCountBody {
    pub id: i64,
    /// `full` or `category`.
    pub scope: String,
    pub category_id: Option<i64>,
    #[schema(format = DateTime)]
    pub started_at: String,
    pub note: String,
}

/// Lines counted at a till (`shared::till_stock::TillCountEntries`), entered once per batch id.
#[allow(dead_code)]
#[derive(ToSchema)]
pub struct TillCountEntriesBody {
    /// The till's id for this batch (a UUID): sent again, it is entered once.
    #[schema(pattern = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")]
    pub batch_id: String,
    /// The staff member signed in at the till.
    #[schema(min_length = 1, max_length = 60)]
    pub counter: String,
    #[schema(min_items = 1, max_items = 1000)]
    pub lines: Vec<TillCountLineBody>,
}

/// One product counted at a till.
#[allow(dead_code)]
#[derive(ToSchema)]
pub struct TillCountLineBody {
    pub product_id: i64,
    /// Thousandths of the selling unit (grams of a weighed good).
    #[schema(minimum = 0, maximum = 10_000_000_000_i64)]
    pub qty: i64,
    /// When it was scanned, by the till's clock (within five minutes of HQ's).
    #[schema(format = DateTime)]
    pub counted_at: String,
}

/// HQ's answer to a batch (`shared::till_stock::TillCountAnswer`).
#[allow(dead_code)]
#[derive(ToSchema)]
pub struct TillCountAnswerBody {
    pub count_id: i64,
    pub batch_id: String,
    pub lines: u32,
    /// Entered before under this batch id: nothing was entered now.
    pub repeated: bool,
}

/// The till's branch's on hand, the levels written after `cursor` in the order HQ wrote them
/// (every sale, return, receipt, transfer, write-off and count adjustment writes its level), so
/// a till pulls only what changed. A cursor that is not one is 400.
#[utoipa::path(get, path = "/api/v1/till/stock", tag = "stock", security(("till_token" = [])),
    params(StockQuery),
    responses((status = 200, body = TillStockPageBody), (status = 400, body = ErrorBody)))]
async fn till_stock(
    State(state): State<AppState>,
    till: CurrentTill,
    ApiQuery(q): ApiQuery<StockQuery>,
) -> Result<Json<TillStockPage>, AppError> {
    // Absent is from the start; anything given must be a cursor HQ gave (blank is not).
    let after = match q.cursor.as_deref() {
        None => None,
        Some(c) => Some(StockCursor::parse(c).ok_or_else(|| {
            AppError::BadRequest(format!("cursor `{c}` is not one this HQ gave (<version>.<product>)"))
        })?),
    };
    let limit = super::schema::page_limit(q.limit, 2000, 5000)?;
    let branch = till.till.branch_id;
    let as_of = state.now();
    // One more than the page, to say whether more wait.
    let mut rows = state.db(move |s| s.till_stock_levels(branch, after, limit + 1)).await?;
    let has_more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    let next = rows.last().map(|(c, _, _)| *c).or(after);
    Ok(Json(TillStockPage {
        levels: rows.into_iter().map(|(_, product_id, on_hand)| TillStockLevel { product_id, on_hand }).collect(),
        next_cursor: next.map(|c| c.to_string()).unwrap_or_default(),
        has_more,
        as_of,
    }))
}

/// The open counts of the till's branch, newest first, for its count mode.
#[utoipa::path(get, path = "/api/v1/till/stock-counts", tag = "stock", security(("till_token" = [])),
    responses((status = 200, body = Vec<TillCountBody>)))]
async fn till_counts(State(state): State<AppState>, till: CurrentTill) -> Result<Json<Vec<TillCount>>, AppError> {
    let branch = till.till.branch_id;
    let counts = state.db(move |s| s.stock_counts(Some(branch), 500)).await?;
    Ok(Json(
        counts
            .into_iter()
            .filter(|c| c.status == CountStatus::Open)
            .map(|c| TillCount {
                id: c.id,
                scope: c.scope,
                category_id: c.category_id,
                started_at: c.started_at,
                note: c.note,
            })
            .collect(),
    ))
}

/// Enters lines counted at the till into an open count of its branch, once per `batch_id`: the
/// same batch sent again (its answer lost) is answered as the first time, `repeated`, and
/// nothing is entered twice. The counter is the staff member signed in at the till; each line's
/// `counted_at` dates it for the variance (goods sold before it was counted are expected gone).
/// Refused, nothing entered: a count of another branch or none (404), a count not open, a batch
/// id used for another count (409), a product unknown or outside the count's scope, a quantity
/// below zero, a time more than five minutes before the count began or after HQ's now (422).
#[utoipa::path(post, path = "/api/v1/till/stock-counts/{id}/entries", tag = "stock", security(("till_token" = [])),
    params(("id" = i64, Path, description = "Count id")),
    request_body = TillCountEntriesBody,
    responses((status = 200, body = TillCountAnswerBody), (status = 400, body = ErrorBody),
              (status = 404, body = ErrorBody, description = "Not a count of the till's branch"),
              (status = 409, body = ErrorBody, description = "The count is not open, or the batch id is another count's"),
              (status = 422, body = ErrorBody)))]
async fn till_count_entries(
    State(state): State<AppState>,
    till: CurrentTill,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<TillCountEntries>,
) -> Result<Json<TillCountAnswer>, AppError> {
    if b.lines.is_empty() || b.lines.len() > MAX_COUNT_LINES {
        return Err(AppError::Validation(format!("lines: 1 to {MAX_COUNT_LINES} lines")));
    }
    if b.counter.trim().is_empty() || b.counter.chars().count() > COUNTER_MAX {
        return Err(AppError::Validation(format!("counter: who counted, 1 to {COUNTER_MAX} characters")));
    }
    let actor = Actor::till(&till.till, &till.from);
    let (branch, till_id, batch) = (till.till.branch_id, till.till.id, b.batch_id);
    let entries: Vec<CountEntry> = b
        .lines
        .into_iter()
        .map(|l| CountEntry {
            product: Some(l.product_id),
            barcode: None,
            qty: Qty(l.qty.0),
            counted_at: Some(l.counted_at),
        })
        .collect();
    let counter = b.counter;
    let done = state.db(move |s| s.till_count_entries(&actor, branch, till_id, id, batch, &counter, entries)).await?;
    Ok(Json(TillCountAnswer { count_id: done.count_id, batch_id: batch, lines: done.lines, repeated: done.repeated }))
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(till_stock)).routes(routes!(till_counts)).routes(routes!(till_count_entries))
}
