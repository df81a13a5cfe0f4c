//! One error type for every handler. Each variant answers with one status and an
//! [`ErrorBody`]; internal failures are logged and answered with a generic message, so no SQL,
//! path or stack ever reaches a client. Extractor rejections come back in the same shape.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use shared::sync::{ErrorBody, PROTOCOL_VERSION};

use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The request is malformed: not JSON, wrong types, a bad path or query parameter.
    #[error("{0}")]
    BadRequest(String),
    /// Well-formed, but a value breaks a rule.
    #[error("{0}")]
    Validation(String),
    /// It conflicts with what HQ already has: a code or barcode already used, a revoked till.
    #[error("{0}")]
    Conflict(String),
    #[error("{0} not found")]
    NotFound(String),
    #[error("sign in first")]
    Unauthenticated,
    #[error("wrong username or password")]
    BadCredentials,
    #[error("this request needs a till token (x-till-token or Authorization: Bearer)")]
    TillUnauthenticated,
    #[error("{0}")]
    Enrolment(&'static str),
    #[error("this till has been revoked at HQ")]
    TillRevoked,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    RateLimited(String),
    #[error("protocol version {0} is not spoken here; HQ speaks version {PROTOCOL_VERSION}")]
    Protocol(u32),
    #[error("the request body is too large")]
    PayloadTooLarge,
    #[error("the request body must be JSON (Content-Type: application/json)")]
    UnsupportedMediaType,
    #[error("no such endpoint")]
    NoRoute,
    #[error("this endpoint does not take that method")]
    MethodNotAllowed,
    /// A member request HQ refused (insufficient points, a blocked member, a lost card), with a
    /// code the tills act on.
    #[error("{message}")]
    Refused { code: &'static str, message: String },
    /// The database cannot be reached just now (PostgreSQL restarting): nothing was done, and
    /// the same request may be sent again. Logged; the client sees only that.
    #[error("HQ's database is not reachable just now; try again shortly")]
    Unavailable(String),
    /// Logged, never sent.
    #[error("internal error")]
    Internal(String),
}

impl From<crate::model::CouponRefusal> for AppError {
    fn from(r: crate::model::CouponRefusal) -> Self {
        match r {
            crate::model::CouponRefusal::OtherTill => AppError::Forbidden(r.to_string()),
            other => AppError::Refused { code: other.code(), message: other.to_string() },
        }
    }
}

impl From<crate::model::MemberRefusal> for AppError {
    fn from(r: crate::model::MemberRefusal) -> Self {
        match r {
            crate::model::MemberRefusal::OtherTill => AppError::Forbidden(r.to_string()),
            crate::model::MemberRefusal::Invalid(m) => AppError::Validation(m),
            other => AppError::Refused { code: other.code(), message: other.to_string() },
        }
    }
}

impl AppError {
    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            AppError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            AppError::Validation(_) => (StatusCode::UNPROCESSABLE_ENTITY, "validation"),
            AppError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            AppError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            AppError::Unauthenticated => (StatusCode::UNAUTHORIZED, "unauthenticated"),
            AppError::BadCredentials => (StatusCode::UNAUTHORIZED, "bad_credentials"),
            AppError::TillUnauthenticated => (StatusCode::UNAUTHORIZED, "till_unauthenticated"),
            AppError::TillRevoked => (StatusCode::UNAUTHORIZED, "till_revoked"),
            AppError::Enrolment(_) => (StatusCode::UNAUTHORIZED, "enrolment_refused"),
            AppError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            AppError::RateLimited(_) => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            AppError::Protocol(_) => (StatusCode::BAD_REQUEST, "protocol_version"),
            AppError::PayloadTooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            AppError::UnsupportedMediaType => (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type"),
            AppError::NoRoute => (StatusCode::NOT_FOUND, "no_route"),
            AppError::MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
            AppError::Refused { code, .. } => (StatusCode::CONFLICT, code),
            AppError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            AppError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }

    pub fn forbidden() -> AppError {
        AppError::Forbidden("your role may not do this".into())
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        match &self {
            AppError::Internal(detail) => tracing::error!(%detail, "internal error"),
            AppError::Unavailable(detail) => tracing::warn!(%detail, "database unavailable"),
            _ => {}
        }
        (status, Json(ErrorBody { error: code.into(), message: self.to_string() })).into_response()
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => AppError::NotFound(what),
            StoreError::Conflict(m) => AppError::Conflict(m),
            StoreError::Invalid(m) => AppError::Validation(m),
            StoreError::Unavailable(m) => AppError::Unavailable(m),
            StoreError::Internal(m) => AppError::Internal(m),
        }
    }
}

impl From<JsonRejection> for AppError {
    fn from(r: JsonRejection) -> Self {
        match r {
            JsonRejection::MissingJsonContentType(_) => AppError::UnsupportedMediaType,
            JsonRejection::BytesRejection(b) if b.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                AppError::PayloadTooLarge
            }
            JsonRejection::JsonDataError(e) => AppError::BadRequest(e.body_text()),
            JsonRejection::JsonSyntaxError(e) => AppError::BadRequest(e.body_text()),
            other => AppError::BadRequest(other.body_text()),
        }
    }
}

impl From<axum::extract::rejection::BytesRejection> for AppError {
    fn from(r: axum::extract::rejection::BytesRejection) -> Self {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            AppError::PayloadTooLarge
        } else {
            AppError::BadRequest(r.body_text())
        }
    }
}

impl From<PathRejection> for AppError {
    fn from(r: PathRejection) -> Self {
        AppError::BadRequest(r.body_text())
    }
}

impl From<QueryRejection> for AppError {
    fn from(r: QueryRejection) -> Self {
        AppError::BadRequest(r.body_text())
    }
}

impl From<tokio::task::JoinError> for AppError {
    fn from(e: tokio::task::JoinError) -> Self {
        AppError::Internal(format!("blocking task failed: {e}"))
    }
}

/// `axum::Json` whose rejection is an [`AppError`].
#[derive(Debug, axum::extract::FromRequest)]
#[from_request(via(axum::Json), rejection(AppError))]
pub struct ApiJson<T>(pub T);

/// A raw body whose rejection (too large, unreadable) is an [`AppError`].
#[derive(Debug)]
pub struct ApiBytes(pub axum::body::Bytes);

impl<S: Send + Sync> axum::extract::FromRequest<S> for ApiBytes {
    type Rejection = AppError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        Ok(ApiBytes(axum::body::Bytes::from_request(req, state).await?))
    }
}

/// `axum::extract::Path` whose rejection is an [`AppError`].
#[derive(Debug, axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(AppError))]
pub struct ApiPath<T>(pub T);

/// `axum::extract::Query` whose rejection is an [`AppError`].
#[derive(Debug, axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(AppError))]
pub struct ApiQuery<T>(pub T);
