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

/// The keys failed sign-ins are counted under for `username` at `from`.
pub(crate) fn login_keys(username: &str, from: &str) -> (String, String, String) {
    let user: String = username.chars().take(64).collect();
    (format!("pair:{user}@{from}"), format!("ip:{from}"), format!("acct:{user}"))
}

/// Checks a console sign-in and opens a session: the user and the session token for the cookie.
/// The API and the web console both sign in here. Each attempt is reserved atomically before the
/// password is checked (`AccountStore::reserve_attempt`), so parallel guesses count as many
/// attempts as they are; limits per account at an address, per address, and per account across
/// addresses (see `LoginLimits`), the last only slowing down an address the account knows.
pub(crate) async fn sign_in(state: &AppState, from: &str, req: LoginRequest) -> Result<(User, String), AppError> {
    let limits = state.config.login_limits.clone();
    let (pair_key, ip_key, account_key) = login_keys(&req.username, from);
    let window = SignedDuration::try_from(limits.window).unwrap_or(SignedDuration::from_secs(900));
    let since = state.now().checked_sub(window).unwrap_or(Timestamp::UNIX_EPOCH);
    let known_since = state.now().checked_sub(SignedDuration::from_hours(24 * 90)).unwrap_or(Timestamp::UNIX_EPOCH);
    let pk = pair_key.clone();
    let known = state.db(move |s| s.is_known_good(&pk, known_since)).await?;
    let keys = vec![
        (pair_key.clone(), limits.per_account),
        (ip_key.clone(), limits.per_address),
        (account_key.clone(), if known { u64::MAX } else { limits.per_account_anywhere }),
    ];
    let reservation = match state.db(move |s| s.reserve_attempt(&keys, since, s.now())).await? {
        Ok(r) => r,
        Err(0) => {
            return Err(AppError::RateLimited(
                "too many failed sign-ins for this account from this address; try again later or ask an admin".into(),
            ));
        }
        Err(1) => {
            return Err(AppError::RateLimited("too many failed sign-ins from this address; try again later".into()));
        }
        Err(_) => {
            return Err(AppError::RateLimited(
                "this account is under attack from many addresses; sign in from an address you used before, or ask an admin"
                    .into(),
            ));
        }
    };
    // A known address while others guess this account: slowed down, not locked out.
    if known && reservation.earlier.get(2).is_some_and(|n| *n >= limits.per_account) {
        tokio::time::sleep(limits.slow_down).await;
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
        // The reserved attempt stays recorded as the failure it was.
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
            s.release_attempt(&reservation)?;
            s.clear_failures(&pair_key)?;
            s.remember_good(&pair_key, s.now())?;
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
