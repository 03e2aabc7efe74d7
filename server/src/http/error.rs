//! The one error type of the HTTP API. Each variant says its status code; every error is
//! answered with the JSON envelope `{"error": {"code", "message"}}`. Internal errors are
//! logged with the request span and answered with a generic message.

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use kafscope_api::{ErrorBody, ErrorDetail};

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 404: an unknown cluster, topic, group or endpoint.
    #[error("{0}")]
    NotFound(String),
    /// 400: a bad parameter.
    #[error("{0}")]
    BadRequest(String),
    /// 401: a mutating request without the right token.
    #[error("{0}")]
    Unauthorized(String),
    /// 403: the principal lacks the permission, or the cluster is read-only.
    #[error("{0}")]
    Forbidden(String),
    /// 409: the change conflicts with the current state (an incompatible schema, a group
    /// that is not empty).
    #[error("{0}")]
    Conflict(String),
    /// 429: too many failed sign-ins; try again later.
    #[error("{0}")]
    TooManyRequests(String),
    /// 501: the broker does not implement the Kafka API this needs.
    #[error("{0}")]
    Unsupported(String),
    /// 503: Kafka or the store cannot be reached right now.
    #[error("{0}")]
    Unavailable(String),
    /// 500: a defect; the detail is logged, not returned.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl ApiError {
    pub(crate) fn parts(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            ApiError::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
            ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            ApiError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            ApiError::TooManyRequests(_) => (StatusCode::TOO_MANY_REQUESTS, "too_many_requests"),
            ApiError::Unsupported(_) => (StatusCode::NOT_IMPLEMENTED, "unsupported"),
            ApiError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

/// Build the envelope for a status and message (also used by the panic handler).
pub fn envelope(status: StatusCode, code: &str, message: String) -> Response {
    let body = ErrorBody {
        error: ErrorDetail {
            code: code.to_string(),
            message,
        },
    };
    (status, Json(body)).into_response()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.parts();
        let message = match &self {
            ApiError::Internal(e) => {
                tracing::error!(error = ?e, "internal error");
                "internal error; see the server log".to_string()
            }
            other => other.to_string(),
        };
        envelope(status, code, message)
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        ApiError::BadRequest(r.body_text())
    }
}

impl From<PathRejection> for ApiError {
    fn from(r: PathRejection) -> Self {
        ApiError::BadRequest(r.body_text())
    }
}
