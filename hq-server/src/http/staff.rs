use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use shared::ids::{BranchId, StaffId};
use shared::staff::{StaffMember, StaffRole};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ErrorBody;
use super::{AppState, CurrentUser};
use crate::admin::{self, StaffChange};
use crate::error::{ApiJson, ApiPath, AppError};

#[derive(Clone, Copy, Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StaffRoleInput {
    Cashier,
    Manager,
}

impl From<StaffRoleInput> for StaffRole {
    fn from(r: StaffRoleInput) -> Self {
        match r {
            StaffRoleInput::Cashier => StaffRole::Cashier,
            StaffRoleInput::Manager => StaffRole::Manager,
        }
    }
}

/// A cashier or manager as the API shows them: never with the PIN or its hash.
#[derive(Serialize, ToSchema)]
pub struct StaffView {
    pub id: i64,
    pub branch_id: i64,
    pub login: String,
    pub name: String,
    pub role: StaffRoleInput,
    pub active: bool,
}

impl From<&StaffMember> for StaffView {
    fn from(s: &StaffMember) -> Self {
        StaffView {
            id: s.id.0,
            branch_id: s.branch.0,
            login: s.login.clone(),
            name: s.name.clone(),
            role: match s.role {
                StaffRole::Cashier => StaffRoleInput::Cashier,
                StaffRole::Manager => StaffRoleInput::Manager,
            },
            active: s.active,
        }
    }
}

#[derive(Deserialize, ToSchema)]
pub struct NewStaffInput {
    /// 1–12 digits typed before the PIN.
    #[schema(pattern = "^[0-9]{1,12}$")]
    pub login: String,
    #[schema(
        max_length = 50,
        pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*[^\\s\\u0000-\\u001F\\u007F-\\u009F][^\\u0000-\\u001F\\u007F-\\u009F]*$"
    )]
    pub name: String,
    pub role: StaffRoleInput,
    /// 4–8 digits; stored and sent to the tills only as an argon2id hash.
    #[schema(pattern = "^[0-9]{4,8}$")]
    pub pin: String,
}

#[derive(Deserialize, ToSchema)]
pub struct StaffPatchInput {
    #[schema(pattern = "^[0-9]{1,12}$")]
    pub login: Option<String>,
    #[schema(
        max_length = 50,
        pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*[^\\s\\u0000-\\u001F\\u007F-\\u009F][^\\u0000-\\u001F\\u007F-\\u009F]*$"
    )]
    pub name: Option<String>,
    pub role: Option<StaffRoleInput>,
    pub active: Option<bool>,
    #[schema(pattern = "^[0-9]{4,8}$")]
    pub pin: Option<String>,
}

/// A branch's cashiers and managers.
#[utoipa::path(get, path = "/api/v1/branches/{id}/staff", tag = "staff", security(("session" = [])),
    params(("id" = i64, Path, description = "Branch id")),
    responses((status = 200, body = Vec<StaffView>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
async fn list_staff(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<StaffView>>, AppError> {
    me.see_branch(BranchId(id))?;
    let staff = state.db(move |s| s.list_staff(BranchId(id))).await?;
    Ok(Json(staff.iter().map(StaffView::from).collect()))
}

/// Adds a cashier or manager with a PIN (HQ admin, or the branch's manager).
#[utoipa::path(post, path = "/api/v1/branches/{id}/staff", tag = "staff", security(("session" = [])),
    params(("id" = i64, Path, description = "Branch id")), request_body = NewStaffInput,
    responses((status = 201, body = StaffView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_staff(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<NewStaffInput>,
) -> Result<(StatusCode, Json<StaffView>), AppError> {
    me.see_branch(BranchId(id))?;
    let actor = me.actor();
    let created = state
        .db(move |s| {
            admin::add_staff(s, &actor, BranchId(id), &input.login, &input.name, input.role.into(), &input.pin)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(StaffView::from(&created))))
}

/// Changes a staff member: name, login, role, active, PIN.
#[utoipa::path(patch, path = "/api/v1/staff/{id}", tag = "staff", security(("session" = [])),
    params(("id" = i64, Path, description = "Staff id")), request_body = StaffPatchInput,
    responses((status = 200, body = StaffView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_staff(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<StaffPatchInput>,
) -> Result<Json<StaffView>, AppError> {
    let current = state.db(move |s| s.get_staff(StaffId(id))).await?;
    if !me.user.sees_branch(current.branch) {
        return Err(AppError::NotFound(format!("staff member {id}")));
    }
    let actor = me.actor();
    let change = StaffChange {
        login: input.login,
        name: input.name,
        role: input.role.map(Into::into),
        active: input.active,
        pin: input.pin,
    };
    let updated = state.db(move |s| admin::update_staff(s, &actor, StaffId(id), change)).await?;
    Ok(Json(StaffView::from(&updated)))
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_staff, create_staff)).routes(routes!(update_staff))
}
