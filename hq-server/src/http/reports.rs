//! Reports as JSON or CSV, for a range of business days and one branch or all. Branch managers
//! see only their branch; finance, marketing and HQ admins see every branch.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use shared::ids::BranchId;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{AppState, CurrentUser};
use crate::error::{ApiPath, ApiQuery, AppError};
use crate::reports::{Report, ReportKind, ReportQuery};

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportParams {
    /// First business day (default: today, the branch's business day with `branch_id`, else the chain's: the day still traded at the branch that started it last).
    #[param(value_type = Option<String>, format = Date)]
    pub from: Option<jiff::civil::Date>,
    /// Last business day (default: `from`).
    #[param(value_type = Option<String>, format = Date)]
    pub to: Option<jiff::civil::Date>,
    /// Only this branch (a branch manager always sees only their own).
    pub branch_id: Option<i64>,
    /// `json` (default) or `csv`.
    #[param(pattern = "^(json|csv)$")]
    pub format: Option<String>,
}

/// A report: `sales_by_branch`, `sales_by_day`, `sales_by_till`, `sales_by_cashier`,
/// `sales_by_category`, `sales_by_product`, `tenders`, `refunds_and_voids`, `discounts`, `shifts`,
/// `day_end`, `points`, `stored_value`, `members`, `members_by_tier`, `top_customers`,
/// `promotions`, `coupons`.
#[utoipa::path(get, path = "/api/v1/reports/{kind}", tag = "reports", security(("session" = [])),
    params(("kind" = ReportKind, Path), ReportParams),
    responses((status = 200, description = "The report: JSON, or CSV with `format=csv`",
               content((Report = "application/json"), (String = "text/csv")))))]
async fn report(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(kind): ApiPath<String>,
    ApiQuery(p): ApiQuery<ReportParams>,
) -> Result<Response, AppError> {
    let kind = ReportKind::parse(&kind).ok_or_else(|| AppError::NotFound(format!("report {kind}")))?;
    let branch = match (me.user.branch_scope(), p.branch_id.map(BranchId)) {
        (Some(own), Some(asked)) if own != asked => return Err(AppError::NotFound(format!("branch {asked}"))),
        (Some(own), _) => Some(own),
        (None, asked) => asked,
    };
    // Today by default: the branch's business day, or the chain's for several branches.
    let from = match p.from {
        Some(d) => d,
        None => state.today(branch).await?,
    };
    let to = p.to.unwrap_or(from);
    if to < from {
        return Err(AppError::Validation("`to` is before `from`".into()));
    }
    if from.until(to).map(|s| s.get_days()).unwrap_or(0) > 3_700 {
        return Err(AppError::Validation("a report covers at most ten years".into()));
    }
    let query = ReportQuery { kind, from, to, branch };
    let report = state.db(move |s| s.report(&query)).await?;
    match p.format.as_deref() {
        None | Some("json") => Ok(Json(report).into_response()),
        Some("csv") => {
            let name = format!("{}_{}_{}.csv", kind.code(), from, to);
            Ok(super::csv_file(&name, report.to_csv()))
        }
        Some(other) => Err(AppError::BadRequest(format!("format `{other}` is not json or csv"))),
    }
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(report))
}
