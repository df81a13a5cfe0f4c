use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use shared::branch::{BranchSettings, CashierLimits};
use shared::ids::BranchId;
use shared::money::{Bp, Money, Qty};
use shared::pricing::CashRounding;
use shared::receipt::PaperWidth;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ErrorBody;
use super::{AppState, CurrentUser};
use crate::admin;
use crate::error::{ApiJson, ApiPath, AppError};

/// Cash rounding (抹零) of the amount due in cash.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CashRoundingMode {
    None,
    DownToJiao,
    HalfUpToJiao,
    DownToYuan,
}

impl From<CashRounding> for CashRoundingMode {
    fn from(c: CashRounding) -> Self {
        match c {
            CashRounding::None => CashRoundingMode::None,
            CashRounding::DownToJiao => CashRoundingMode::DownToJiao,
            CashRounding::HalfUpToJiao => CashRoundingMode::HalfUpToJiao,
            CashRounding::DownToYuan => CashRoundingMode::DownToYuan,
        }
    }
}

impl From<CashRoundingMode> for CashRounding {
    fn from(c: CashRoundingMode) -> Self {
        match c {
            CashRoundingMode::None => CashRounding::None,
            CashRoundingMode::DownToJiao => CashRounding::DownToJiao,
            CashRoundingMode::HalfUpToJiao => CashRounding::HalfUpToJiao,
            CashRoundingMode::DownToYuan => CashRounding::DownToYuan,
        }
    }
}

/// Receipt paper width.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Paper {
    Mm58,
    Mm80,
}

/// A branch as the API shows it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct BranchView {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub address: String,
    pub phone: String,
    /// As the member pages show it, e.g. `08:00–22:00`.
    pub opening_hours: String,
    pub receipt_header: Vec<String>,
    pub receipt_footer: Vec<String>,
    pub cash_rounding: CashRoundingMode,
    /// `HH:MM`: before it, a sale belongs to the previous business day.
    pub business_day_cutoff: String,
    pub time_zone: String,
    pub paper: Paper,
    pub cashier_line_discount_limit_bp: i64,
    pub cashier_order_discount_limit_bp: i64,
    pub pin_lockout_minutes: u32,
    /// The most a return without a receipt may pay back to stored value, in fen.
    pub no_receipt_refund_cap: i64,
    /// The till's keys for goods without a barcode, in order.
    pub quick_keys: Vec<QuickKeyInput>,
    /// A quantity above this many pieces (or kg) is confirmed with a second Enter at the till.
    pub confirm_quantity_over: i64,
    /// A line above this amount, in fen, is confirmed with a second Enter at the till.
    pub confirm_line_over: i64,
    /// The first day the branch no longer trades (闭店); absent while it trades.
    #[schema(value_type = Option<String>, format = Date)]
    pub closed_on: Option<jiff::civil::Date>,
}

/// A till key that sells one product (bread, vegetables by weight): its label and product code.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct QuickKeyInput {
    #[schema(
        min_length = 1,
        max_length = 16,
        pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*[^\\s\\u0000-\\u001F\\u007F-\\u009F][^\\u0000-\\u001F\\u007F-\\u009F]*$"
    )]
    pub label: String,
    #[schema(min_length = 1, max_length = 64, pattern = "^[^\\s\\u0000-\\u001F\\u007F-\\u009F]+$")]
    pub product_code: String,
}

impl From<&BranchSettings> for BranchView {
    fn from(b: &BranchSettings) -> Self {
        BranchView {
            id: b.id.0,
            code: b.code.clone(),
            name: b.name.clone(),
            address: b.address.clone(),
            phone: b.phone.clone(),
            opening_hours: b.opening_hours.clone(),
            receipt_header: b.receipt_header.clone(),
            receipt_footer: b.receipt_footer.clone(),
            cash_rounding: b.cash_rounding.into(),
            business_day_cutoff: b.business_day_cutoff.strftime("%H:%M").to_string(),
            time_zone: b.time_zone.clone(),
            paper: match b.paper {
                PaperWidth::Mm58 => Paper::Mm58,
                PaperWidth::Mm80 => Paper::Mm80,
            },
            cashier_line_discount_limit_bp: b.cashier_limits.line_discount.0,
            cashier_order_discount_limit_bp: b.cashier_limits.order_discount.0,
            pin_lockout_minutes: b.pin_lockout_minutes,
            no_receipt_refund_cap: b.no_receipt_refund_cap.0,
            quick_keys: b
                .quick_keys
                .iter()
                .map(|k| QuickKeyInput { label: k.label.clone(), product_code: k.product_code.clone() })
                .collect(),
            confirm_quantity_over: b.cashier_limits.confirm_qty_over.0 / 1_000,
            confirm_line_over: b.cashier_limits.confirm_line_over.0,
            closed_on: b.closed_on,
        }
    }
}

/// A branch as HQ staff define it. Omitted optional fields take the defaults (or, on update, keep
/// their values).
#[derive(Clone, Debug, Deserialize, ToSchema)]
pub struct BranchInput {
    /// 1–16 ASCII letters or digits; printed in receipt numbers.
    #[schema(pattern = "^[A-Za-z0-9]{1,16}$")]
    pub code: String,
    #[schema(
        max_length = 100,
        pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*[^\\s\\u0000-\\u001F\\u007F-\\u009F][^\\u0000-\\u001F\\u007F-\\u009F]*$"
    )]
    pub name: String,
    #[schema(max_length = 200, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    pub address: Option<String>,
    #[schema(max_length = 40, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    pub phone: Option<String>,
    /// As the member pages show it, e.g. `08:00–22:00`.
    #[schema(max_length = 100, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    pub opening_hours: Option<String>,
    #[schema(schema_with = super::schema::receipt_lines)]
    pub receipt_header: Option<Vec<String>>,
    #[schema(schema_with = super::schema::receipt_lines)]
    pub receipt_footer: Option<Vec<String>>,
    pub cash_rounding: Option<CashRoundingMode>,
    /// `HH:MM`, default `04:00`.
    #[schema(pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$")]
    pub business_day_cutoff: Option<String>,
    /// IANA time zone, default `Asia/Shanghai`.
    #[schema(schema_with = super::schema::time_zone)]
    pub time_zone: Option<String>,
    pub paper: Option<Paper>,
    #[schema(minimum = 0, maximum = 10000)]
    #[serde(default, deserialize_with = "super::int::opt")]
    pub cashier_line_discount_limit_bp: Option<i64>,
    #[schema(minimum = 0, maximum = 10000)]
    #[serde(default, deserialize_with = "super::int::opt")]
    pub cashier_order_discount_limit_bp: Option<i64>,
    #[schema(maximum = 1440)]
    #[serde(default, deserialize_with = "super::int::opt")]
    pub pin_lockout_minutes: Option<u32>,
    /// The most a return without a receipt may pay back to stored value, in fen (default ¥200).
    #[schema(minimum = 0, maximum = 10_000_000_000_i64)]
    #[serde(default, deserialize_with = "super::int::opt")]
    pub no_receipt_refund_cap: Option<i64>,
    /// The till's keys for goods without a barcode (at most 16), in order; omitted keeps them.
    #[schema(max_items = 16)]
    pub quick_keys: Option<Vec<QuickKeyInput>>,
    /// A quantity above this many pieces (or kg) is confirmed with a second Enter at the till
    /// (default 999).
    #[schema(minimum = 1, maximum = 1_000_000)]
    #[serde(default, deserialize_with = "super::int::opt")]
    pub confirm_quantity_over: Option<i64>,
    /// A line above this amount, in fen, is confirmed with a second Enter at the till (default
    /// ¥10,000).
    #[schema(minimum = 1, maximum = 10_000_000_000_i64)]
    #[serde(default, deserialize_with = "super::int::opt")]
    pub confirm_line_over: Option<i64>,
    /// The first day the branch no longer trades (闭店); `null` reopens it; omitted keeps what it
    /// was.
    #[schema(value_type = Option<String>, format = Date, nullable, pattern = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$")]
    #[serde(default, deserialize_with = "given")]
    pub closed_on: Option<Option<jiff::civil::Date>>,
}

/// A field that may be given as `null`: `Some(None)`, told apart from a field not given (`None`,
/// by `#[serde(default)]`).
fn given<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

impl BranchInput {
    /// Applies the input over `base`.
    fn apply(self, base: BranchSettings) -> Result<BranchSettings, AppError> {
        let cutoff = match self.business_day_cutoff {
            Some(t) => jiff::civil::Time::strptime("%H:%M", &t)
                .map_err(|_| AppError::Validation(format!("business_day_cutoff `{t}` is not a time like 04:00")))?,
            None => base.business_day_cutoff,
        };
        let limits = CashierLimits {
            line_discount: self.cashier_line_discount_limit_bp.map(Bp).unwrap_or(base.cashier_limits.line_discount),
            order_discount: self.cashier_order_discount_limit_bp.map(Bp).unwrap_or(base.cashier_limits.order_discount),
            confirm_qty_over: match self.confirm_quantity_over {
                Some(n) => n
                    .checked_mul(1_000)
                    .map(Qty)
                    .ok_or_else(|| AppError::Validation(format!("confirm_quantity_over `{n}` is too large")))?,
                None => base.cashier_limits.confirm_qty_over,
            },
            confirm_line_over: self.confirm_line_over.map(Money).unwrap_or(base.cashier_limits.confirm_line_over),
        };
        let quick_keys = match self.quick_keys {
            Some(keys) => shared::branch::QuickKey::check_all(keys.into_iter().map(|k| (k.label, k.product_code)))
                .map_err(|e| AppError::Validation(format!("quick_keys: {e}")))?,
            None => base.quick_keys,
        };
        let closed_on = self.closed_on.unwrap_or(base.closed_on);
        Ok(BranchSettings {
            closed_on,
            quick_keys,
            id: base.id,
            code: self.code.trim().to_owned(),
            name: self.name.trim().to_owned(),
            address: self.address.unwrap_or(base.address),
            phone: self.phone.unwrap_or(base.phone),
            opening_hours: match self.opening_hours {
                Some(h) => {
                    let h = h.trim().to_owned();
                    if h.chars().count() > 100 || h.chars().any(char::is_control) {
                        return Err(AppError::Validation("opening_hours: at most 100 printable characters".into()));
                    }
                    h
                }
                None => base.opening_hours,
            },
            receipt_header: self.receipt_header.unwrap_or(base.receipt_header),
            receipt_footer: self.receipt_footer.unwrap_or(base.receipt_footer),
            cash_rounding: self.cash_rounding.map(Into::into).unwrap_or(base.cash_rounding),
            business_day_cutoff: cutoff,
            time_zone: self.time_zone.unwrap_or(base.time_zone),
            barcode_rules: base.barcode_rules,
            cashier_limits: limits,
            pin_lockout_minutes: self.pin_lockout_minutes.unwrap_or(base.pin_lockout_minutes),
            paper: match self.paper {
                Some(Paper::Mm58) => PaperWidth::Mm58,
                Some(Paper::Mm80) => PaperWidth::Mm80,
                None => base.paper,
            },
            no_receipt_refund_cap: self.no_receipt_refund_cap.map(Money).unwrap_or(base.no_receipt_refund_cap),
        })
    }
}

/// The branches the user may see (a branch manager: their own).
#[utoipa::path(get, path = "/api/v1/branches", tag = "branches", security(("session" = [])),
    responses((status = 200, body = Vec<BranchView>), (status = 401, body = ErrorBody)))]
async fn list_branches(State(state): State<AppState>, me: CurrentUser) -> Result<Json<Vec<BranchView>>, AppError> {
    let all = state.db(|s| s.list_branches()).await?;
    Ok(Json(all.iter().filter(|b| me.user.sees_branch(b.id)).map(BranchView::from).collect()))
}

/// Creates a branch (HQ admin).
#[utoipa::path(post, path = "/api/v1/branches", tag = "branches", security(("session" = [])),
    request_body = BranchInput,
    responses((status = 201, body = BranchView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_branch(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiJson(input): ApiJson<BranchInput>,
) -> Result<(StatusCode, Json<BranchView>), AppError> {
    let base = admin::default_branch("", "");
    let settings = input.apply(base)?;
    let actor = me.actor();
    let created = state.db(move |s| admin::add_branch(s, &actor, settings)).await?;
    Ok((StatusCode::CREATED, Json(BranchView::from(&created))))
}

/// One branch.
#[utoipa::path(get, path = "/api/v1/branches/{id}", tag = "branches", security(("session" = [])),
    params(("id" = i64, Path, description = "Branch id")),
    responses((status = 200, body = BranchView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_branch(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<BranchView>, AppError> {
    me.see_branch(BranchId(id))?;
    let b = state.db(move |s| s.get_branch(BranchId(id))).await?;
    Ok(Json(BranchView::from(&b)))
}

/// Replaces a branch's settings (HQ admin); its tills pull the change.
#[utoipa::path(put, path = "/api/v1/branches/{id}", tag = "branches", security(("session" = [])),
    params(("id" = i64, Path, description = "Branch id")), request_body = BranchInput,
    responses((status = 200, body = BranchView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_branch(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<BranchInput>,
) -> Result<Json<BranchView>, AppError> {
    let base = state.db(move |s| s.get_branch(BranchId(id))).await?;
    let settings = input.apply(base)?;
    let actor = me.actor();
    let updated = state.db(move |s| admin::update_branch(s, &actor, settings)).await?;
    Ok(Json(BranchView::from(&updated)))
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_branches, create_branch)).routes(routes!(get_branch, update_branch))
}
