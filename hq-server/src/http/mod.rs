//! The HTTP API under `/api/v1`: one module per resource, each with its `router()`, merged once
//! here with the OpenAPI document they describe. The web console (issue 9) mounts beside it.

pub(crate) mod analysis;
mod audit;
mod branches;
pub(crate) mod care;
mod catalog;
pub(crate) mod complaints;
pub mod coupons;
pub(crate) mod expenses;
pub(crate) mod extract;
mod health;
mod members;
pub(crate) mod plans;
pub mod policy;
pub mod promotions;
mod reconciliation;
mod reports;
mod sales;
pub(crate) mod session;
mod staff;
mod stock;
mod stock_counts;
pub(crate) mod stock_orders;
pub(crate) mod stock_reorder;
mod stock_reports;
mod sync;
mod till_members;
mod till_payments;
mod till_stock;
mod tills;
mod users;

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, Extension};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use extract::{ClientAddr, CurrentTill, CurrentUser, SESSION_COOKIE, TillToken};

use crate::config::Config;
use crate::error::AppError;
use crate::store::{Store, StoreResult};

/// The schema of `shared::sync::ErrorBody`, the body of every 4xx and 5xx answer, for the document.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub(crate) struct ErrorBody {
    /// A stable machine-readable code: `validation`, `conflict`, `not_found`, `unauthenticated`,
    /// `bad_credentials`, `forbidden`, `till_revoked`, `till_unauthenticated`, `enrolment_refused`,
    /// `rate_limited`, `bad_request`, `protocol_version`, ...
    pub error: String,
    /// What is wrong, in words.
    pub message: String,
}

/// What every handler gets: the store and the configuration. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub config: Arc<Config>,
    /// The web console's long jobs (imports) and their progress, kept in the database.
    pub jobs: Arc<crate::console::Jobs>,
    /// Where the member pages' sign-in codes go out.
    pub sms: Arc<dyn crate::sms::SmsSender>,
    /// The payment gateway (issue 23).
    pub payments: Arc<crate::gateway::Gateway>,
}

impl AppState {
    pub fn new(store: Arc<dyn Store>, config: Config) -> AppState {
        let sms = config.sms.sender();
        let jobs = Arc::new(crate::console::Jobs::new(store.clone()));
        let payments = Arc::new(crate::gateway::Gateway::new(store.clone(), &config.payments));
        AppState { store, config: Arc::new(config), jobs, sms, payments }
    }

    /// Now, by HQ's clock.
    pub fn now(&self) -> jiff::Timestamp {
        self.store.now()
    }

    /// The chain's "today" (`shared::branch::chain_day` over every branch, at HQ's now).
    pub async fn chain_day(&self) -> Result<shared::branch::ChainDay, AppError> {
        let now = self.now();
        self.db(move |s| Ok(crate::calendar::chain_day(&s.list_branches()?, now))).await
    }

    /// Today's business day at `branch`, or the chain's "today" without one.
    pub async fn today(&self, branch: Option<shared::ids::BranchId>) -> Result<jiff::civil::Date, AppError> {
        match branch {
            None => Ok(self.chain_day().await?.day),
            Some(b) => {
                let now = self.now();
                self.db(move |s| Ok(s.get_branch(b)?.business_day(now))).await
            }
        }
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
        (name = "staff"), (name = "catalog"), (name = "sync"), (name = "audit"), (name = "sales"),
        (name = "till members"), (name = "members"), (name = "policy"), (name = "promotions"),
        (name = "coupons"), (name = "reports"), (name = "analysis"), (name = "plans"), (name = "care"),
        (name = "expenses"), (name = "complaints"), (name = "stock"), (name = "payments")
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
/// A CSV download: UTF-8 text, saved by the browser under `name`.
/// Whether a `format` query asks for CSV (`json`, the default, or `csv`).
pub(crate) fn csv_format(format: Option<&str>) -> Result<bool, AppError> {
    match format {
        None | Some("json") => Ok(false),
        Some("csv") => Ok(true),
        Some(other) => Err(AppError::BadRequest(format!("format `{other}` is not json or csv"))),
    }
}

/// Rows as CSV text (the first row is the header).
pub(crate) fn write_csv(rows: Vec<Vec<String>>) -> Result<String, AppError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    for row in rows {
        w.write_record(&row).map_err(|e| AppError::Internal(e.to_string()))?;
    }
    let bytes = w.into_inner().map_err(|e| AppError::Internal(e.to_string()))?;
    String::from_utf8(bytes).map_err(|e| AppError::Internal(e.to_string()))
}

pub(crate) fn csv_file(name: &str, body: impl IntoResponse) -> Response {
    (
        [
            (axum::http::header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (axum::http::header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
        ],
        body,
    )
        .into_response()
}

pub fn routes() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let router = OpenApiRouter::with_openapi(ApiDoc::openapi())
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
        .merge(till_members::router())
        .merge(members::router())
        .merge(policy::router())
        .merge(promotions::router())
        .merge(coupons::router())
        .merge(reports::router())
        .merge(analysis::router())
        .merge(plans::router())
        .merge(care::router())
        .merge(expenses::router())
        .merge(complaints::router())
        .merge(stock::router())
        .merge(stock_counts::router())
        .merge(stock_orders::router())
        .merge(stock_reports::router())
        .merge(stock_reorder::router())
        .merge(till_stock::router())
        .merge(till_payments::router())
        .merge(reconciliation::router());
    let (router, mut api) = router.split_for_parts();
    ErrorResponses.modify(&mut api);
    PathParameters.modify(&mut api);
    (router, api)
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
    let console = crate::console::router()
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), crate::authz::console));
    router
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), crate::authz::api))
        .merge(console)
        .merge(crate::member_pages::router())
        .fallback(|| async { AppError::NoRoute })
        .method_not_allowed_fallback(|| async { AppError::MethodNotAllowed })
        .layer(Extension(doc))
        .layer(DefaultBodyLimit::max(push_limit))
        .with_state(state)
}

/// Patterns and schemas the input types share, so the document states the rules the handlers check.
pub(crate) mod schema {
    use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Type};

    use crate::error::AppError;

    /// A page size: `default` when not given, refused outside `1..=max`.
    pub fn page_limit(limit: Option<u32>, default: u32, max: u32) -> Result<u32, AppError> {
        match limit {
            None => Ok(default),
            Some(l) if (1..=max).contains(&l) => Ok(l),
            Some(l) => Err(AppError::BadRequest(format!("limit {l} is not between 1 and {max}"))),
        }
    }
    use utoipa::openapi::{Array, Object};

    /// No control characters.
    pub const PRINTABLE: &str = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$";

    pub fn vat_bp() -> Object {
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .enum_values(Some([1300, 900, 600, 0]))
            .description(Some("VAT in basis points: 1300 (13%), 900, 600 or 0"))
            .build()
    }

    pub fn barcodes() -> Array {
        ArrayBuilder::new()
            .items(ObjectBuilder::new().schema_type(Type::String).pattern(Some("^[0-9]{1,24}$")))
            .max_items(Some(20))
            .description(Some("EAN-13, EAN-8, UPC-A (check digit verified) or internal numeric codes"))
            .build()
    }

    /// The IANA names this machine's time zone database knows (a pattern when it has none).
    pub fn time_zone() -> Object {
        let mut names: Vec<String> = jiff::tz::db().available().map(|n| n.as_str().to_owned()).collect();
        names.sort();
        // `null` (or absent) takes the default, as the handlers do.
        let b = ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::SchemaType::from_iter([Type::String, Type::Null]))
            .description(Some("IANA time zone, default Asia/Shanghai"));
        if names.is_empty() {
            b.pattern(Some("^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*$")).build()
        } else {
            b.enum_values(Some(names.into_iter().map(serde_json::Value::from).chain([serde_json::Value::Null]))).build()
        }
    }

    /// Up to ten printed lines; `null` (or absent) keeps or defaults them, as the handlers do.
    pub fn receipt_lines() -> Array {
        ArrayBuilder::new()
            .schema_type(utoipa::openapi::schema::SchemaType::from_iter([Type::Array, Type::Null]))
            .items(ObjectBuilder::new().schema_type(Type::String).max_length(Some(64)).pattern(Some(PRINTABLE)))
            .max_items(Some(10))
            .build()
    }
}

/// Documents the error answers every operation can give, in the `ErrorBody` shape: malformed
/// input (400), broken rules (422), conflicts (409), and for operations that need credentials
/// or take a body, the statuses those bring.
struct ErrorResponses;

impl Modify for ErrorResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::schema::Ref;
        use utoipa::openapi::{ContentBuilder, ResponseBuilder};
        let error = |description: &str| {
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/json",
                    ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build(),
                )
                .build()
        };
        for item in openapi.paths.paths.values_mut() {
            let ops = [
                (&mut item.get, false),
                (&mut item.put, true),
                (&mut item.post, true),
                (&mut item.delete, true),
                (&mut item.patch, true),
            ];
            for (op, writes) in ops {
                let Some(op) = op else { continue };
                let mut add = |status: &str, description: &str| {
                    op.responses.responses.entry(status.to_owned()).or_insert_with(|| error(description).into());
                };
                add("400", "Malformed request: not JSON, wrong types, a bad path or query parameter");
                add("500", "Internal error (details are logged, not sent)");
                if op.security.is_some() {
                    add("401", "Missing, unknown or expired credentials");
                    add("403", "The role may not do this");
                    add("404", "Not found, or not visible to this user or till");
                }
                if writes {
                    add("409", "Conflicts with what HQ has: a code, barcode or id already used, a revoked till");
                }
                if writes || !op.parameters.as_ref().is_none_or(Vec::is_empty) {
                    add("422", "A value breaks a rule; the message names it");
                }
                if op.request_body.is_some() {
                    add("413", "Request body too large");
                    add("415", "The body is not JSON");
                }
            }
        }
    }
}

/// The path parameters whose form the handlers check but their declaration (`String`) does not
/// say: member, hold and sale ids are UUIDs; a member card is named by its kind and value. And a
/// CSV body is not empty.
struct PathParameters;

impl Modify for PathParameters {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::path::ParameterIn;
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        const UUID: &str = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$";
        for (path, item) in openapi.paths.paths.iter_mut() {
            for op in
                [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch].into_iter().flatten()
            {
                // A CSV body is a header line at least: an empty one is refused (400).
                if let Some(utoipa::openapi::RefOr::T(body)) = op.request_body.as_mut()
                    && let Some(utoipa::openapi::RefOr::T(csv)) = body.content.get_mut("text/csv")
                {
                    csv.schema =
                        Some(ObjectBuilder::new().schema_type(Type::String).min_length(Some(1)).build().into());
                }
                for p in op.parameters.iter_mut().flatten() {
                    let utoipa::openapi::RefOr::T(p) = p else { continue };
                    if p.parameter_in != ParameterIn::Path {
                        continue;
                    }
                    let schema = match (p.name.as_str(), path.as_str()) {
                        ("id", x) if x.starts_with("/api/v1/members/") => {
                            ObjectBuilder::new().schema_type(Type::String).pattern(Some(UUID))
                        }
                        ("hold" | "member_id", _) => ObjectBuilder::new().schema_type(Type::String).pattern(Some(UUID)),
                        ("kind", x) if x.starts_with("/api/v1/member-cards/") => {
                            ObjectBuilder::new().schema_type(Type::String).enum_values(Some(["code", "uid"]))
                        }
                        ("value", x) if x.starts_with("/api/v1/member-cards/") => ObjectBuilder::new()
                            .schema_type(Type::String)
                            .pattern(Some("^([0-9]{1,20}|[0-9A-Fa-f]{8}|[0-9A-Fa-f]{14})$")),
                        ("receipt", _) => ObjectBuilder::new()
                            .schema_type(Type::String)
                            .pattern(Some("^[A-Za-z0-9]{1,16}-[0-9]{2}-[0-9]{6}$")),
                        _ => continue,
                    };
                    p.schema = Some(schema.build().into());
                }
            }
        }
    }
}

/// Integers as JSON Schema means them: `45` and `45.0` are the same integer. serde refuses the
/// second for an `i64`; these accept it (and refuse `45.5`, or anything out of range).
pub(crate) mod int {
    use serde::{Deserialize, Deserializer, de::Error};

    fn whole<E: Error>(n: serde_json::Number) -> Result<i64, E> {
        if let Some(i) = n.as_i64() {
            return Ok(i);
        }
        match n.as_f64() {
            // Below 2^53 a float holds every integer exactly.
            Some(f) if f.fract() == 0.0 && f.abs() < 9_007_199_254_740_992.0 => Ok(f as i64),
            _ => Err(E::custom(format!("{n} is not a whole number in range"))),
        }
    }

    pub fn de<'de, D: Deserializer<'de>, T: TryFrom<i64>>(d: D) -> Result<T, D::Error> {
        let n = serde_json::Number::deserialize(d)?;
        let i = whole(n)?;
        T::try_from(i).map_err(|_| D::Error::custom(format!("{i} is out of range")))
    }

    pub fn opt<'de, D: Deserializer<'de>, T: TryFrom<i64>>(d: D) -> Result<Option<T>, D::Error> {
        match Option::<serde_json::Number>::deserialize(d)? {
            None => Ok(None),
            Some(n) => {
                let i = whole(n)?;
                T::try_from(i).map(Some).map_err(|_| D::Error::custom(format!("{i} is out of range")))
            }
        }
    }
}
