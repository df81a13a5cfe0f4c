//! Who is asking: the client's address, the console user behind a session cookie, the till
//! behind a till token.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use shared::sync::TILL_TOKEN_HEADER;

use super::AppState;
use crate::auth;
use crate::error::AppError;
use crate::model::{Actor, Till, TokenLookup, User};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "tp_session";

/// The client's IP address (`unknown` when the server was not told, as in router tests). Behind
/// a load balancer named in `Config::trusted_proxies`, the client is the right-most address of
/// `X-Forwarded-For` that is not one of those proxies (what a client writes there itself is to
/// the left of what the proxies added, so it cannot pose as another address).
#[derive(Clone, Debug)]
pub struct ClientAddr(pub String);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
        let Some(peer) = peer else { return Ok(ClientAddr("unknown".into())) };
        Ok(ClientAddr(client_of(peer, &parts.headers, &state.config.trusted_proxies).to_string()))
    }
}

/// The client behind `peer`: `peer` itself unless it is a trusted proxy, else the right-most
/// forwarded address that is not one.
pub fn client_of(
    peer: std::net::IpAddr,
    headers: &axum::http::HeaderMap,
    trusted: &[std::net::IpAddr],
) -> std::net::IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let forwarded: Vec<std::net::IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|a| a.trim().parse().ok())
        .collect();
    forwarded.into_iter().rev().find(|a| !trusted.contains(a)).unwrap_or(peer)
}

/// The session token from the `Cookie` header, if any.
pub fn session_token(headers: &axum::http::HeaderMap) -> Option<String> {
    cookie(headers, SESSION_COOKIE)
}

/// A cookie's value from the `Cookie` headers, if the request has it.
pub fn cookie(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// A signed-in console user, and their address for the audit log.
#[derive(Clone, Debug)]
pub struct CurrentUser {
    pub user: User,
    pub from: String,
}

impl CurrentUser {
    pub fn actor(&self) -> Actor {
        Actor::user(&self.user, &self.from)
    }

    /// Refuses unless the user has one of `roles` (a narrowing inside a route `authz` allows).
    pub fn require(&self, roles: &[crate::model::Role]) -> Result<(), AppError> {
        if roles.contains(&self.user.role) { Ok(()) } else { Err(AppError::forbidden()) }
    }

    /// Refuses (as not found, so other branches are not even confirmed) a branch the user may not see.
    pub fn see_branch(&self, branch: shared::ids::BranchId) -> Result<(), AppError> {
        if self.user.sees_branch(branch) { Ok(()) } else { Err(AppError::NotFound(format!("branch {branch}"))) }
    }
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        // `authz` already read the session for this request.
        if let Some(me) = parts.extensions.get::<CurrentUser>() {
            return Ok(me.clone());
        }
        let token = session_token(&parts.headers).ok_or(AppError::Unauthenticated)?;
        if token.len() > 200 {
            return Err(AppError::Unauthenticated);
        }
        let hash = auth::token_hash(&token);
        let user = state.db(move |s| s.session_user(&hash, s.now())).await?;
        let user = user.ok_or(AppError::Unauthenticated)?;
        let ClientAddr(from) = ClientAddr::from_request_parts(parts, state).await?;
        Ok(CurrentUser { user, from })
    }
}

/// A till's token, not yet checked: for handlers that check it in the same blocking call as their
/// own work (one trip to the database pool instead of two on the hot paths).
#[derive(Clone, Debug)]
pub struct TillToken {
    pub hash: String,
}

impl<S: Send + Sync> FromRequestParts<S> for TillToken {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let header = |name| parts.headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
        let token = header(TILL_TOKEN_HEADER)
            .or_else(|| header(axum::http::header::AUTHORIZATION.as_str()).and_then(|v| v.strip_prefix("Bearer ")))
            .filter(|t| !t.is_empty() && t.len() <= 200)
            .ok_or(AppError::TillUnauthenticated)?;
        Ok(TillToken { hash: auth::token_hash(token) })
    }
}

impl AppState {
    /// Checks a till's token and runs `f` for that till, in one blocking call.
    pub async fn for_till<T: Send + 'static>(
        &self,
        token: TillToken,
        f: impl FnOnce(&dyn crate::store::Store, &Till) -> Result<T, AppError> + Send + 'static,
    ) -> Result<T, AppError> {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || {
            let till = match store.till_by_token(&token.hash)? {
                TokenLookup::Valid(t) => t,
                TokenLookup::Revoked => return Err(AppError::TillRevoked),
                TokenLookup::Unknown => return Err(AppError::TillUnauthenticated),
            };
            f(&*store, &till)
        })
        .await?
    }
}

/// An enrolled, unrevoked till, by its token.
#[derive(Clone, Debug)]
pub struct CurrentTill {
    pub till: Till,
    pub from: String,
}

impl FromRequestParts<AppState> for CurrentTill {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let header = |name| parts.headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
        let token = header(TILL_TOKEN_HEADER)
            .or_else(|| header(axum::http::header::AUTHORIZATION.as_str()).and_then(|v| v.strip_prefix("Bearer ")))
            .map(str::to_owned)
            .filter(|t| !t.is_empty() && t.len() <= 200)
            .ok_or(AppError::TillUnauthenticated)?;
        let hash = auth::token_hash(&token);
        let till = match state.db(move |s| s.till_by_token(&hash)).await? {
            TokenLookup::Valid(t) => t,
            TokenLookup::Revoked => return Err(AppError::TillRevoked),
            TokenLookup::Unknown => return Err(AppError::TillUnauthenticated),
        };
        let ClientAddr(from) = ClientAddr::from_request_parts(parts, state).await?;
        Ok(CurrentTill { till, from })
    }
}
