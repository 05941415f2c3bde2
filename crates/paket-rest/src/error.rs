//! JSON errors of the REST API: one mapping from `ServiceError` kinds to
//! HTTP statuses.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use paket_service::{OAuthError, OAuthErrorCode, ServiceError};
use serde::Serialize;

/// Error response: a status and a JSON body naming what failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    /// Short machine-readable code, such as `invalid_token`.
    pub code: &'static str,
    pub description: String,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'a str,
    error_description: &'a str,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, description: impl Into<String>) -> Self {
        ApiError { status, code, description: description.into() }
    }

    pub fn bad_request(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", description)
    }
}

impl From<ServiceError> for ApiError {
    fn from(error: ServiceError) -> Self {
        match error {
            ServiceError::InvalidInput(message) => ApiError::bad_request(message),
            ServiceError::Unauthenticated(message) => ApiError::new(StatusCode::UNAUTHORIZED, "invalid_token", message),
            ServiceError::Forbidden(message) => ApiError::new(StatusCode::FORBIDDEN, "forbidden", message),
            ServiceError::NotFound(message) => ApiError::new(StatusCode::NOT_FOUND, "not_found", message),
            ServiceError::Conflict(message) => ApiError::new(StatusCode::CONFLICT, "conflict", message),
            ServiceError::Unavailable(message) => {
                tracing::warn!(error = %message, "request failed: a dependency is unavailable");
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable", "the service is temporarily unavailable, try again shortly")
            }
            ServiceError::Internal(message) => {
                tracing::error!(error = %message, "request failed with an internal error");
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "server_error", "internal error")
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Json(ErrorBody { error: self.code, error_description: &self.description });
        let mut response = (self.status, body).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            // RFC 6750 §3: a protected resource names the scheme it expects.
            let challenge = format!("Bearer realm=\"paket\", error=\"{}\"", self.code);
            if let Ok(value) = HeaderValue::from_str(&challenge) {
                response.headers_mut().insert(header::WWW_AUTHENTICATE, value);
            }
        }
        response
    }
}

/// An OAuth error in the RFC 6749 §5.2 form.
#[derive(Debug)]
pub struct OAuthResponse(pub OAuthError);

impl IntoResponse for OAuthResponse {
    fn into_response(self) -> Response {
        let status = match self.0.code {
            OAuthErrorCode::InvalidClient => StatusCode::UNAUTHORIZED,
            OAuthErrorCode::ServerError => StatusCode::INTERNAL_SERVER_ERROR,
            OAuthErrorCode::TemporarilyUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::BAD_REQUEST,
        };
        let body = Json(ErrorBody { error: self.0.code.as_str(), error_description: &self.0.description });
        let mut response = (status, no_store(), body).into_response();
        if status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"paket\""));
        }
        response
    }
}

/// Headers that keep tokens and pages with secrets out of caches (RFC 6749 §5.1).
pub fn no_store() -> [(header::HeaderName, HeaderValue); 2] {
    [
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        (header::PRAGMA, HeaderValue::from_static("no-cache")),
    ]
}

pub async fn not_found(uri: axum::http::Uri) -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("no resource at {}", uri.path()))
}

pub async fn method_not_allowed(method: axum::http::Method, uri: axum::http::Uri) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!("{method} is not allowed on {}: see the Allow header", uri.path()),
    )
}
