//! The HTTP API under `/api/v1`: one module per resource, each with its `router()`, merged once
//! here with the OpenAPI document they describe. The web console (issue 9) mounts beside it.

mod audit;
mod branches;
mod catalog;
mod extract;
mod health;
mod sales;
mod session;
mod staff;
mod sync;
mod tills;
mod users;

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, Extension};
use axum::response::IntoResponse;
use axum::{Json, Router};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use extract::{ClientAddr, CurrentTill, CurrentUser, SESSION_COOKIE};

use crate::config::Config;
use crate::error::AppError;
use crate::store::{Store, StoreResult};

/// What every handler gets: the store and the configuration. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub config: Arc<Config>,
}

impl AppState {
    pub fn new(store: Arc<dyn Store>, config: Config) -> AppState {
        AppState { store, config: Arc::new(config) }
    }

    /// Runs blocking storage work (and argon2) on the blocking pool, never on an async worker.
    pub async fn db<T: Send + 'static>(
        &self,
        f: impl FnOnce(&dyn Store) -> StoreResult<T> + Send + 'static,
    ) -> Result<T, AppError> {
        let store = self.store.clone();
        Ok(tokio::task::spawn_blocking(move || f(&*store)).await??)
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Tillpoint HQ",
        description = "Head office API: console users, branches, tills, staff, catalog, audit, and the tills' sync \
                       protocol. Errors are always `{\"error\": code, \"message\": text}`.",
        version = env!("CARGO_PKG_VERSION")
    ),
    modifiers(&Security),
    tags(
        (name = "health"), (name = "session"), (name = "users"), (name = "branches"), (name = "tills"),
        (name = "staff"), (name = "catalog"), (name = "sync"), (name = "audit"), (name = "sales")
    )
)]
struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components
            .add_security_scheme("session", SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(SESSION_COOKIE))));
        components.add_security_scheme(
            "till_token",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new(shared::sync::TILL_TOKEN_HEADER))),
        );
    }
}

/// The OpenAPI document as served, so a handler can hand it out.
#[derive(Clone)]
struct OpenApiJson(Arc<serde_json::Value>);

/// This OpenAPI 3.1 document.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "health",
    responses((status = 200, description = "The OpenAPI 3.1 document of this API", body = Object)))]
async fn openapi_json(Extension(doc): Extension<OpenApiJson>) -> impl IntoResponse {
    Json((*doc.0).clone())
}

/// The API's routes and its OpenAPI document.
pub fn routes() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(openapi_json))
        .merge(health::router())
        .merge(session::router())
        .merge(users::router())
        .merge(branches::router())
        .merge(tills::router())
        .merge(staff::router())
        .merge(catalog::router())
        .merge(sync::router())
        .merge(audit::router())
        .merge(sales::router())
        .split_for_parts()
}

/// The OpenAPI document alone.
pub fn openapi() -> utoipa::openapi::OpenApi {
    routes().1
}

/// The whole HTTP application over `state`: the API, its document, the JSON error fallbacks.
pub fn app(state: AppState) -> Router {
    let (router, api) = routes();
    let doc = OpenApiJson(Arc::new(serde_json::to_value(&api).unwrap_or_default()));
    let push_limit = state.config.max_body_bytes;
    router
        .fallback(|| async { AppError::NoRoute })
        .method_not_allowed_fallback(|| async { AppError::MethodNotAllowed })
        .layer(Extension(doc))
        .layer(DefaultBodyLimit::max(push_limit))
        .with_state(state)
}
