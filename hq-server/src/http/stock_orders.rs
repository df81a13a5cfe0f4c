//! Goods coming in and moving between branches: suppliers, purchase orders, deliveries received
//! (against an order or without one) and transfers (sent, then received with what was short or
//! damaged). A branch manager orders and receives for their branch, sends from it and receives
//! into it; another branch's orders and transfers answer 404.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use shared::catalog::ProductId;
use shared::ids::BranchId;
use shared::money::{Money, Qty};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{AppState, CurrentUser, ErrorBody};
use crate::error::{ApiBytes, ApiJson, ApiPath, ApiQuery, AppError};
use crate::model::{
    CostLine, NewOrderRow, NewReceipt, OrderState, PurchaseOrder, ReceiptRecord, Supplier, Transfer, TransferArrival,
    TransferState,
};

/// A supplier to add.
#[derive(Deserialize, ToSchema)]
pub struct SupplierBody {
    #[schema(min_length = 1, max_length = 32)]
    pub code: String,
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
}

/// A line of goods with its cost.
#[derive(Deserialize, ToSchema)]
pub struct CostLineBody {
    pub product_id: i64,
    /// Thousandths of the selling unit (grams of a weighed good): 24 pieces is 24000.
    #[schema(minimum = 1, maximum = 10_000_000_000_i64)]
    pub qty: i64,
    /// Fen per selling unit.
    #[schema(minimum = 0, maximum = 100_000_000)]
    pub unit_cost: i64,
}

impl From<CostLineBody> for CostLine {
    fn from(l: CostLineBody) -> CostLine {
        CostLine { product_id: ProductId(l.product_id), qty: Qty(l.qty), unit_cost: Money(l.unit_cost) }
    }
}

/// An order to a supplier for a branch.
#[derive(Deserialize, ToSchema)]
pub struct OrderBody {
    pub supplier_id: i64,
    pub branch_id: i64,
    #[schema(min_items = 1, max_items = 10000)]
    pub lines: Vec<CostLineBody>,
    #[serde(default)]
    #[schema(max_length = 500)]
    pub note: String,
}

/// Which orders, newest first.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrderQuery {
    /// Only this branch's (a branch manager always sees only their own).
    pub branch_id: Option<i64>,
    /// `open` or `closed`.
    #[param(pattern = "^(open|closed)$")]
    pub state: Option<String>,
    /// At most this many (default 100, at most 500).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
}

/// How to give an order.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrderFormat {
    /// `json` (default) or `csv` (the import's columns, quantities in selling units, costs in
    /// yuan, with what has arrived).
    #[param(pattern = "^(json|csv)$")]
    pub format: Option<String>,
}

/// A note for the orders a sheet makes.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    #[param(max_length = 500)]
    pub note: Option<String>,
}

/// What a sheet ordered.
#[derive(serde::Serialize, ToSchema)]
pub struct ImportAnswer {
    pub orders: Vec<PurchaseOrder>,
}

/// A delivery received at a branch.
#[derive(Deserialize, ToSchema)]
pub struct ReceiptBody {
    pub branch_id: i64,
    /// The open order it is received against (its supplier's), if any.
    pub order_id: Option<i64>,
    /// Without an order: who delivered.
    pub supplier_id: Option<i64>,
    #[schema(min_items = 1, max_items = 10000)]
    pub lines: Vec<CostLineBody>,
    /// A manager accepts lines the order does not have (refused otherwise).
    #[serde(default)]
    pub accept_unordered: bool,
    #[serde(default)]
    #[schema(max_length = 500)]
    pub note: String,
}

/// A line of a transfer.
#[derive(Deserialize, ToSchema)]
pub struct TransferLineBody {
    pub product_id: i64,
    #[schema(minimum = 1, maximum = 10_000_000_000_i64)]
    pub qty: i64,
}

/// Goods to send from one branch to another.
#[derive(Deserialize, ToSchema)]
pub struct TransferBody {
    pub from_branch: i64,
    pub to_branch: i64,
    #[schema(min_items = 1, max_items = 10000)]
    pub lines: Vec<TransferLineBody>,
    #[serde(default)]
    #[schema(max_length = 500)]
    pub note: String,
}

/// What arrived of a transfer: one entry for every line.
#[derive(Deserialize, ToSchema)]
pub struct ArrivalBody {
    #[schema(min_items = 1, max_items = 10000)]
    pub lines: Vec<ArrivalLineBody>,
}

/// What arrived of one line (what is missing is short).
#[derive(Deserialize, ToSchema)]
pub struct ArrivalLineBody {
    pub line_no: i64,
    /// In good order, thousandths.
    #[schema(minimum = 0, maximum = 10_000_000_000_i64)]
    pub received: i64,
    /// Damaged in transit (written off on arrival), thousandths.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 10_000_000_000_i64)]
    pub damaged: i64,
}

/// Which transfers, newest first.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TransferQuery {
    /// Those from or to this branch (a branch manager always sees only their own).
    pub branch_id: Option<i64>,
    /// `sent` (in transit) or `received`.
    #[param(pattern = "^(sent|received)$")]
    pub state: Option<String>,
    /// At most this many (default 100, at most 500).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
}

/// The branch a user asks for, within what they may see: a branch manager only their own.
fn scoped(me: &CurrentUser, asked: Option<i64>) -> Result<Option<BranchId>, AppError> {
    match (me.user.branch_scope(), asked.map(BranchId)) {
        (Some(own), Some(asked)) if own != asked => Err(AppError::NotFound(format!("branch {}", asked.0))),
        (Some(own), _) => Ok(Some(own)),
        (None, asked) => Ok(asked),
    }
}

/// Every supplier, by code.
#[utoipa::path(get, path = "/api/v1/suppliers", tag = "stock", security(("session" = [])),
    responses((status = 200, body = Vec<Supplier>)))]
async fn suppliers(State(state): State<AppState>, _me: CurrentUser) -> Result<Json<Vec<Supplier>>, AppError> {
    Ok(Json(state.db(|s| s.suppliers()).await?))
}

/// Adds a supplier (a code another has is a conflict).
#[utoipa::path(post, path = "/api/v1/suppliers", tag = "stock", security(("session" = [])),
    request_body = SupplierBody,
    responses((status = 201, body = Supplier), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn add_supplier(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiJson(b): ApiJson<SupplierBody>,
) -> Result<(StatusCode, Json<Supplier>), AppError> {
    let actor = me.actor();
    let made = state.db(move |s| s.create_supplier(&actor, &b.code, &b.name)).await?;
    Ok((StatusCode::CREATED, Json(made)))
}

/// Orders goods from a supplier for a branch.
#[utoipa::path(post, path = "/api/v1/purchase-orders", tag = "stock", security(("session" = [])),
    request_body = OrderBody,
    responses((status = 201, body = PurchaseOrder), (status = 404, body = ErrorBody, description = "Another branch"),
              (status = 422, body = ErrorBody)))]
async fn create_order(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiJson(b): ApiJson<OrderBody>,
) -> Result<(StatusCode, Json<PurchaseOrder>), AppError> {
    let branch = BranchId(b.branch_id);
    me.see_branch(branch)?;
    let actor = me.actor();
    let lines: Vec<CostLine> = b.lines.into_iter().map(CostLine::from).collect();
    let made = state.db(move |s| s.create_purchase_order(&actor, b.supplier_id, branch, lines, &b.note)).await?;
    Ok((StatusCode::CREATED, Json(made)))
}

/// Purchase orders newest first, by branch and state.
#[utoipa::path(get, path = "/api/v1/purchase-orders", tag = "stock", security(("session" = [])),
    params(OrderQuery), responses((status = 200, body = Vec<PurchaseOrder>)))]
async fn orders(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiQuery(q): ApiQuery<OrderQuery>,
) -> Result<Json<Vec<PurchaseOrder>>, AppError> {
    let branch = scoped(&me, q.branch_id)?;
    let st = match q.state.as_deref() {
        None => None,
        Some(x) => Some(OrderState::parse(x).ok_or_else(|| AppError::BadRequest(format!("state `{x}` is not one")))?),
    };
    let limit = super::schema::page_limit(q.limit, 100, 500)?;
    Ok(Json(state.db(move |s| s.purchase_orders(branch, st, limit)).await?))
}

/// An order the user may see (another branch's is "not found").
async fn visible_order(state: &AppState, me: &CurrentUser, id: i64) -> Result<PurchaseOrder, AppError> {
    let o = state.db(move |s| s.purchase_order(id)).await?;
    if !me.user.sees_branch(o.branch_id) {
        return Err(AppError::NotFound(format!("purchase order {id}")));
    }
    Ok(o)
}

/// The columns of a purchase-order sheet, in the order an export writes them.
const SHEET: [&str; 7] = ["branch", "supplier", "product", "name", "qty", "unit_cost", "received"];

/// A purchase order with what has arrived of each line; JSON, or with `format=csv` the sheet
/// the import takes (one row a line, and what has arrived).
#[utoipa::path(get, path = "/api/v1/purchase-orders/{id}", tag = "stock", security(("session" = [])),
    params(("id" = i64, Path, description = "Order id"), OrderFormat),
    responses((status = 200, description = "The order: JSON, or CSV with `format=csv`",
               content((PurchaseOrder = "application/json"), (String = "text/csv")))))]
async fn order(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<OrderFormat>,
) -> Result<Response, AppError> {
    let csv = super::csv_format(q.format.as_deref())?;
    let o = visible_order(&state, &me, id).await?;
    if !csv {
        return Ok(Json(o).into_response());
    }
    let mut out = vec![SHEET.iter().map(|h| (*h).to_owned()).collect()];
    out.extend(o.lines.iter().map(|l| {
        vec![
            o.branch_code.clone(),
            o.supplier_code.clone(),
            l.product_code.clone(),
            l.product_name.clone(),
            l.qty.display(),
            l.unit_cost.plain(),
            l.received.display(),
        ]
    }));
    Ok(super::csv_file(&format!("purchase_order_{id}.csv"), super::write_csv(out)?))
}

/// A purchase-order sheet's rows: a header naming the columns `branch`, `supplier`, `product`,
/// `qty` and `unit_cost` (codes; quantities in selling units, costs in yuan per unit; other
/// columns are ignored, so the suggested order's CSV and an order's export both import). A
/// malformed row is refused by its number (the header is row 1).
pub(crate) fn order_rows_of_csv(body: &[u8]) -> Result<Vec<NewOrderRow>, AppError> {
    let mut reader = csv::ReaderBuilder::new().has_headers(true).flexible(true).from_reader(body);
    let header = reader.headers().map_err(|e| AppError::Validation(format!("row 1: {e}")))?.clone();
    let cols: Vec<String> = header.iter().map(|h| h.trim().to_lowercase()).collect();
    let col = |name: &str| cols.iter().position(|c| c == name);
    let (Some(b), Some(sp), Some(p), Some(q), Some(c)) =
        (col("branch"), col("supplier"), col("product"), col("qty"), col("unit_cost"))
    else {
        return Err(AppError::Validation(
            "row 1: the header must name the columns branch, supplier, product, qty and unit_cost".into(),
        ));
    };
    let mut out = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let n = i + 2;
        let record = record.map_err(|e| AppError::Validation(format!("row {n}: {e}")))?;
        let text = |c: usize| record.get(c).map(str::trim).unwrap_or_default();
        let code = |c: usize, what: &str| super::stock_reorder::code_cell(n, what, text(c));
        let qty = Qty::parse(text(q))
            .map_err(|_| AppError::Validation(format!("row {n}: qty: `{}` is not a quantity (24, 0.5)", text(q))))?;
        let unit_cost = shared::money::Currency::CNY
            .parse(text(c))
            .map_err(|e| AppError::Validation(format!("row {n}: unit_cost: {e} (yuan a unit: 12.50)")))?;
        out.push(NewOrderRow {
            row: n,
            branch: code(b, "branch")?,
            supplier: code(sp, "supplier")?,
            product: code(p, "product")?,
            qty,
            unit_cost,
        });
        if out.len() > 10_000 {
            return Err(AppError::Validation(format!("row {n}: at most 10,000 rows a sheet")));
        }
    }
    if out.is_empty() {
        return Err(AppError::Validation("the CSV has no rows after its header".into()));
    }
    Ok(out)
}

/// Orders from a `text/csv` sheet (`branch,supplier,product,qty,unit_cost`; the suggested
/// order's CSV is one): the rows of one branch and supplier make one open order. All or none: a
/// row naming an unknown branch, supplier or product, a branch manager's other branch, a product
/// twice in one order, or a bad quantity or cost is refused by its row, and nothing is ordered.
#[utoipa::path(post, path = "/api/v1/purchase-orders/import", tag = "stock", security(("session" = [])),
    params(ImportQuery), request_body(content = String, content_type = "text/csv"),
    responses((status = 201, body = ImportAnswer), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn import_orders(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiQuery(q): ApiQuery<ImportQuery>,
    headers: axum::http::HeaderMap,
    ApiBytes(body): ApiBytes,
) -> Result<(StatusCode, Json<ImportAnswer>), AppError> {
    let csv = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|t| t.starts_with("text/csv"));
    if !csv {
        return Err(AppError::UnsupportedMediaType);
    }
    let rows = order_rows_of_csv(&body)?;
    let scope = me.user.branch_scope();
    let actor = me.actor();
    let note = q.note.unwrap_or_default();
    let orders = state.db(move |s| s.import_purchase_orders(&actor, scope, rows, &note)).await?;
    Ok((StatusCode::CREATED, Json(ImportAnswer { orders })))
}

/// Closes an open order: what has not arrived will not (a closed one is a conflict).
#[utoipa::path(post, path = "/api/v1/purchase-orders/{id}/close", tag = "stock", security(("session" = [])),
    params(("id" = i64, Path, description = "Order id")),
    responses((status = 200, body = PurchaseOrder), (status = 409, body = ErrorBody)))]
async fn close_order(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<PurchaseOrder>, AppError> {
    visible_order(&state, &me, id).await?;
    let actor = me.actor();
    Ok(Json(state.db(move |s| s.close_purchase_order(&actor, id)).await?))
}

/// Receives a delivery at a branch, each line at its cost (which moves the branch's average
/// cost). Against an open order of the branch: at most 10 % over each line, products it does not
/// order only when a manager accepts them; the order closes when everything has arrived. A
/// receipt against a closed order is a conflict; nothing is written when a line is refused.
#[utoipa::path(post, path = "/api/v1/stock/receipts", tag = "stock", security(("session" = [])),
    request_body = ReceiptBody,
    responses((status = 201, body = ReceiptRecord), (status = 404, body = ErrorBody, description = "Another branch"),
              (status = 409, body = ErrorBody, description = "The order is closed"), (status = 422, body = ErrorBody)))]
async fn receive(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiJson(b): ApiJson<ReceiptBody>,
) -> Result<(StatusCode, Json<ReceiptRecord>), AppError> {
    let branch = BranchId(b.branch_id);
    me.see_branch(branch)?;
    let actor = me.actor();
    let receipt = NewReceipt {
        branch,
        order: b.order_id,
        supplier: b.supplier_id,
        lines: b.lines.into_iter().map(CostLine::from).collect(),
        accept_unordered: b.accept_unordered,
        note: b.note,
    };
    let made = state.db(move |s| s.receive(&actor, receipt)).await?;
    Ok((StatusCode::CREATED, Json(made)))
}

/// Sends goods to another branch at the sending branch's average cost; they are in transit
/// (shown at both ends) until received.
#[utoipa::path(post, path = "/api/v1/transfers", tag = "stock", security(("session" = [])),
    request_body = TransferBody,
    responses((status = 201, body = Transfer), (status = 404, body = ErrorBody, description = "Another branch"),
              (status = 422, body = ErrorBody)))]
async fn send(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiJson(b): ApiJson<TransferBody>,
) -> Result<(StatusCode, Json<Transfer>), AppError> {
    let from = BranchId(b.from_branch);
    me.see_branch(from)?;
    let actor = me.actor();
    let lines: Vec<(ProductId, Qty)> = b.lines.iter().map(|l| (ProductId(l.product_id), Qty(l.qty))).collect();
    let made = state.db(move |s| s.send_transfer(&actor, from, BranchId(b.to_branch), lines, &b.note)).await?;
    Ok((StatusCode::CREATED, Json(made)))
}

/// Transfers newest first: those from or to a branch, by state (`sent` is in transit).
#[utoipa::path(get, path = "/api/v1/transfers", tag = "stock", security(("session" = [])),
    params(TransferQuery), responses((status = 200, body = Vec<Transfer>)))]
async fn transfers(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiQuery(q): ApiQuery<TransferQuery>,
) -> Result<Json<Vec<Transfer>>, AppError> {
    let branch = scoped(&me, q.branch_id)?;
    let st = match q.state.as_deref() {
        None => None,
        Some(x) => {
            Some(TransferState::parse(x).ok_or_else(|| AppError::BadRequest(format!("state `{x}` is not one")))?)
        }
    };
    let limit = super::schema::page_limit(q.limit, 100, 500)?;
    Ok(Json(state.db(move |s| s.transfers(branch, st, limit)).await?))
}

/// A transfer either end of which the user may see (otherwise "not found").
async fn visible_transfer(state: &AppState, me: &CurrentUser, id: i64) -> Result<Transfer, AppError> {
    let t = state.db(move |s| s.transfer(id)).await?;
    if !me.user.sees_branch(t.from_branch) && !me.user.sees_branch(t.to_branch) {
        return Err(AppError::NotFound(format!("transfer {id}")));
    }
    Ok(t)
}

/// A transfer with what was sent and what arrived.
#[utoipa::path(get, path = "/api/v1/transfers/{id}", tag = "stock", security(("session" = [])),
    params(("id" = i64, Path, description = "Transfer id")), responses((status = 200, body = Transfer)))]
async fn transfer(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Transfer>, AppError> {
    Ok(Json(visible_transfer(&state, &me, id).await?))
}

/// Receives a transfer at its destination: what arrived in good order and damaged for every
/// line (damaged goods are written off on arrival; what is missing is short). Received once.
#[utoipa::path(post, path = "/api/v1/transfers/{id}/receive", tag = "stock", security(("session" = [])),
    params(("id" = i64, Path, description = "Transfer id")), request_body = ArrivalBody,
    responses((status = 200, body = Transfer), (status = 409, body = ErrorBody, description = "Already received"),
              (status = 422, body = ErrorBody)))]
async fn receive_transfer(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<ArrivalBody>,
) -> Result<Json<Transfer>, AppError> {
    let t = visible_transfer(&state, &me, id).await?;
    if !me.user.sees_branch(t.to_branch) {
        return Err(AppError::NotFound(format!("transfer {id}")));
    }
    let arrivals: Vec<TransferArrival> = b
        .lines
        .iter()
        .map(|l| TransferArrival { line_no: l.line_no, received: Qty(l.received), damaged: Qty(l.damaged) })
        .collect();
    let actor = me.actor();
    Ok(Json(state.db(move |s| s.receive_transfer(&actor, id, arrivals)).await?))
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(suppliers, add_supplier))
        .routes(routes!(orders, create_order))
        .routes(routes!(order))
        .routes(routes!(import_orders))
        .routes(routes!(close_order))
        .routes(routes!(receive))
        .routes(routes!(transfers, send))
        .routes(routes!(transfer))
        .routes(routes!(receive_transfer))
}
