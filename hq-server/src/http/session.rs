use axum::Json;
use axum::extract::State;
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ErrorBody;
use super::extract::session_token;
use super::{AppState, ClientAddr, CurrentUser, SESSION_COOKIE};
use crate::auth;
use crate::error::{ApiJson, AppError};
use crate::model::User;

#[derive(Deserialize, ToSchema)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

pub(crate) fn cookie(state: &AppState, value: &str, max_age: u64) -> Result<HeaderValue, AppError> {
    let secure = if state.config.secure_cookies { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={value}; HttpOnly; SameSite=Strict; Path=/; Max-Age={max_age}{secure}"
    ))
    .map_err(|e| AppError::Internal(e.to_string()))
}

/// Signs a console user in: answers the user and sets an HttpOnly, SameSite=Strict session cookie.
/// Failed attempts are limited per account and per client address (429 beyond the limit).
#[utoipa::path(post, path = "/api/v1/session", tag = "session", request_body = LoginRequest,
    responses((status = 200, body = User, description = "Signed in; the cookie is set"),
              (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn login(
    State(state): State<AppState>,
    ClientAddr(from): ClientAddr,
    ApiJson(req): ApiJson<LoginRequest>,
) -> Result<impl IntoResponse, AppError> {
    let (user, token) = sign_in(&state, &from, req).await?;
    let mut headers = HeaderMap::new();
    headers.insert(SET_COOKIE, cookie(&state, &token, state.config.session_ttl.as_secs())?);
    Ok((headers, Json(user)))
}

/// Checks a console sign-in (rate limited per account and per address) and opens a session:
/// the user and the session token for the cookie. The API and the web console both sign in here.
pub(crate) async fn sign_in(state: &AppState, from: &str, req: LoginRequest) -> Result<(User, String), AppError> {
    let limits = state.config.login_limits.clone();
    let user_key = format!("user:{}", req.username.chars().take(64).collect::<String>());
    let ip_key = format!("ip:{from}");
    let since = state
        .now()
        .checked_sub(SignedDuration::try_from(limits.window).unwrap_or(SignedDuration::from_secs(900)))
        .unwrap_or(Timestamp::UNIX_EPOCH);
    let (uk, ik) = (user_key.clone(), ip_key.clone());
    let (by_user, by_ip) =
        state.db(move |s| Ok((s.count_failures(&uk, since)?, s.count_failures(&ik, since)?))).await?;
    if by_user >= limits.per_account {
        return Err(AppError::RateLimited("too many failed sign-ins for this account; try again later".into()));
    }
    if by_ip >= limits.per_address {
        return Err(AppError::RateLimited("too many failed sign-ins from this address; try again later".into()));
    }
    let LoginRequest { username, password } = req;
    let found = state
        .db(move |s| {
            let found = s.user_for_login(&username)?;
            let ok = match &found {
                Some((user, hash)) => auth::verify_secret(&password, hash) && user.active,
                None => {
                    // Take as long as a real check, so a missing user is not told apart.
                    auth::verify_secret(&password, auth::dummy_hash());
                    false
                }
            };
            Ok(found.filter(|_| ok).map(|(u, _)| u))
        })
        .await?;
    let Some(user) = found else {
        state.db(move |s| s.record_failure(&[user_key, ip_key], s.now())).await?;
        return Err(AppError::BadCredentials);
    };
    let token = auth::random_token("tps_");
    let hash = auth::token_hash(&token);
    let ttl = state.config.session_ttl;
    let expires = state
        .now()
        .checked_add(SignedDuration::try_from(ttl).unwrap_or(SignedDuration::from_hours(12)))
        .unwrap_or(Timestamp::MAX);
    let uid = user.id;
    state
        .db(move |s| {
            s.clear_failures(&user_key)?;
            s.create_session(uid, &hash, expires)
        })
        .await?;
    Ok((user, token))
}

/// Ends the session of `token`.
pub(crate) async fn sign_out(state: &AppState, token: &str) -> Result<(), AppError> {
    let hash = auth::token_hash(token);
    state.db(move |s| s.delete_session(&hash)).await
}

/// The signed-in user.
#[utoipa::path(get, path = "/api/v1/session", tag = "session", security(("session" = [])),
    responses((status = 200, body = User), (status = 401, body = ErrorBody)))]
async fn me(user: CurrentUser) -> Json<User> {
    Json(user.user)
}

/// Signs out: the session ends and the cookie is cleared.
#[utoipa::path(delete, path = "/api/v1/session", tag = "session", security(("session" = [])),
    responses((status = 204, description = "Signed out"), (status = 401, body = ErrorBody)))]
async fn logout(
    State(state): State<AppState>,
    _me: CurrentUser,
    headers: HeaderMap,
) -> Result<impl IntoResponse, AppError> {
    if let Some(token) = session_token(&headers) {
        sign_out(&state, &token).await?;
    }
    let mut out = HeaderMap::new();
    out.insert(SET_COOKIE, cookie(&state, "", 0)?);
    Ok((StatusCode::NO_CONTENT, out))
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(login, me, logout))
}
