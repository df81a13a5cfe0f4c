use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use shared::ids::BranchId;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ErrorBody;
use super::{AppState, CurrentUser};
use crate::admin::{self, UserChange};
use crate::error::{ApiJson, ApiPath, AppError};
use crate::model::{Role, User};

#[derive(Deserialize, ToSchema)]
pub struct NewUserInput {
    /// 3–64 of a–z, 0–9, `.`, `_`, `-`.
    #[schema(pattern = "^[a-z0-9._-]{3,64}$")]
    pub username: String,
    #[schema(
        max_length = 100,
        pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*[^\\s\\u0000-\\u001F\\u007F-\\u009F][^\\u0000-\\u001F\\u007F-\\u009F]*$"
    )]
    pub display_name: String,
    pub role: Role,
    /// Required for a branch manager, refused for the other roles.
    #[serde(default, deserialize_with = "super::int::opt")]
    pub branch_id: Option<i64>,
    /// At least 10 characters.
    #[schema(min_length = 10, max_length = 256)]
    pub password: String,
}

#[derive(Deserialize, ToSchema)]
pub struct UserPatchInput {
    #[schema(
        max_length = 100,
        pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*[^\\s\\u0000-\\u001F\\u007F-\\u009F][^\\u0000-\\u001F\\u007F-\\u009F]*$"
    )]
    pub display_name: Option<String>,
    pub role: Option<Role>,
    #[serde(default, deserialize_with = "super::int::opt")]
    pub branch_id: Option<i64>,
    pub active: Option<bool>,
    #[schema(min_length = 10, max_length = 256)]
    pub password: Option<String>,
}

/// All console users (HQ admin).
#[utoipa::path(get, path = "/api/v1/users", tag = "users", security(("session" = [])),
    responses((status = 200, body = Vec<User>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn list_users(State(state): State<AppState>, _me: CurrentUser) -> Result<Json<Vec<User>>, AppError> {
    Ok(Json(state.db(|s| s.list_users()).await?))
}

/// Creates a console user (HQ admin).
#[utoipa::path(post, path = "/api/v1/users", tag = "users", security(("session" = [])), request_body = NewUserInput,
    responses((status = 201, body = User), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_user(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiJson(input): ApiJson<NewUserInput>,
) -> Result<(StatusCode, Json<User>), AppError> {
    let actor = me.actor();
    let user = state
        .db(move |s| {
            admin::add_user(
                s,
                &actor,
                &input.username,
                &input.display_name,
                input.role,
                input.branch_id.map(BranchId),
                &input.password,
            )
        })
        .await?;
    Ok((StatusCode::CREATED, Json(user)))
}

/// One user (HQ admin, or the user themself).
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users", security(("session" = [])),
    params(("id" = i64, Path, description = "User id")),
    responses((status = 200, body = User), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
async fn get_user(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<User>, AppError> {
    if me.user.id != id {
        me.require(&[Role::Admin])?;
    }
    Ok(Json(state.db(move |s| s.get_user(id)).await?))
}

/// Changes a user's name, role, branch, password, or deactivates them (HQ admin). Their sessions end
/// when the password, role or branch changes.
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", security(("session" = [])),
    params(("id" = i64, Path, description = "User id")), request_body = UserPatchInput,
    responses((status = 200, body = User), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_user(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<UserPatchInput>,
) -> Result<Json<User>, AppError> {
    if id == me.user.id && (input.active == Some(false) || input.role.is_some_and(|r| r != Role::Admin)) {
        return Err(AppError::Validation("you cannot deactivate or demote yourself".into()));
    }
    let actor = me.actor();
    let change = UserChange {
        display_name: input.display_name,
        role: input.role,
        branch_id: input.branch_id.map(|b| Some(BranchId(b))),
        active: input.active,
        password: input.password,
    };
    Ok(Json(state.db(move |s| admin::update_user(s, &actor, id, change)).await?))
}

/// Lifts a user's sign-in locks: the failed attempts counted against the account, from every
/// address, are forgotten (HQ admin; audited). How many there were.
#[utoipa::path(post, path = "/api/v1/users/{id}/unlock", tag = "users", security(("session" = [])),
    params(("id" = i64, Path, description = "User id")),
    responses((status = 200, body = Unlocked), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
async fn unlock_user(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Unlocked>, AppError> {
    let actor = me.actor();
    let forgotten = state
        .db(move |s| {
            let user = s.get_user(id)?;
            s.lift_login_lock(&actor, &user.username)
        })
        .await?;
    Ok(Json(Unlocked { forgotten }))
}

/// What lifting a sign-in lock did.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Unlocked {
    /// Failed attempts forgotten.
    pub forgotten: u64,
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_users, create_user))
        .routes(routes!(get_user, update_user))
        .routes(routes!(unlock_user))
}
