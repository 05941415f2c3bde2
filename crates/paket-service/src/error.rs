//! Error kinds that the front ends map to HTTP statuses and gRPC codes.

use paket_store::StoreError;

/// A failed service operation. Each front end maps the kinds once.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ServiceError {
    /// The request is malformed or a parameter is invalid (HTTP 400).
    #[error("{0}")]
    InvalidInput(String),
    /// The token is missing, invalid or expired (HTTP 401).
    #[error("{0}")]
    Unauthenticated(String),
    /// The caller is known but may not do this (HTTP 403).
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    /// The request conflicts with stored data, such as a duplicate (HTTP 409).
    #[error("{0}")]
    Conflict(String),
    /// The database or another dependency is down (HTTP 503).
    #[error("{0}")]
    Unavailable(String),
    /// A fault on Paket's side; the message is logged, never sent (HTTP 500).
    #[error("{0}")]
    Internal(String),
}

impl From<StoreError> for ServiceError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Conflict(what) => ServiceError::Conflict(what),
            StoreError::NotFound => ServiceError::NotFound("not found".into()),
            StoreError::Unavailable(why) | StoreError::Connect(why) => ServiceError::Unavailable(why),
            other => ServiceError::Internal(other.to_string()),
        }
    }
}

/// OAuth 2.0 error codes of RFC 6749 §5.2 and §4.1.2.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OAuthErrorCode {
    InvalidRequest,
    InvalidClient,
    InvalidGrant,
    UnauthorizedClient,
    UnsupportedGrantType,
    UnsupportedResponseType,
    InvalidScope,
    AccessDenied,
    ServerError,
    TemporarilyUnavailable,
}

impl OAuthErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            OAuthErrorCode::InvalidRequest => "invalid_request",
            OAuthErrorCode::InvalidClient => "invalid_client",
            OAuthErrorCode::InvalidGrant => "invalid_grant",
            OAuthErrorCode::UnauthorizedClient => "unauthorized_client",
            OAuthErrorCode::UnsupportedGrantType => "unsupported_grant_type",
            OAuthErrorCode::UnsupportedResponseType => "unsupported_response_type",
            OAuthErrorCode::InvalidScope => "invalid_scope",
            OAuthErrorCode::AccessDenied => "access_denied",
            OAuthErrorCode::ServerError => "server_error",
            OAuthErrorCode::TemporarilyUnavailable => "temporarily_unavailable",
        }
    }
}

/// An OAuth error with its RFC code and a description for the developer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {description}", code.as_str())]
pub struct OAuthError {
    pub code: OAuthErrorCode,
    pub description: String,
}

impl OAuthError {
    pub fn new(code: OAuthErrorCode, description: impl Into<String>) -> Self {
        OAuthError { code, description: description.into() }
    }

    pub fn invalid_request(description: impl Into<String>) -> Self {
        Self::new(OAuthErrorCode::InvalidRequest, description)
    }

    pub fn invalid_grant(description: impl Into<String>) -> Self {
        Self::new(OAuthErrorCode::InvalidGrant, description)
    }

    pub fn invalid_client(description: impl Into<String>) -> Self {
        Self::new(OAuthErrorCode::InvalidClient, description)
    }
}

impl From<ServiceError> for OAuthError {
    fn from(error: ServiceError) -> Self {
        match error {
            ServiceError::Unavailable(_) => {
                OAuthError::new(OAuthErrorCode::TemporarilyUnavailable, "the service is temporarily unavailable")
            }
            ServiceError::InvalidInput(description) => OAuthError::invalid_request(description),
            _ => OAuthError::new(OAuthErrorCode::ServerError, "internal error"),
        }
    }
}

impl From<StoreError> for OAuthError {
    fn from(error: StoreError) -> Self {
        ServiceError::from(error).into()
    }
}

/// Failure of an authorization request, with where the user sees it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthorizeError {
    /// The client or redirect URI cannot be trusted, so the error is shown
    /// on Paket's own page and the browser is never redirected (RFC 6749 §4.1.2.1).
    #[error("{0}")]
    Page(String),
    /// The client and redirect URI are valid: the error goes back to the client.
    #[error("{error}")]
    Redirect {
        /// The client's redirect URI with `error`, `error_description`, `state` and `iss`.
        location: String,
        error: OAuthError,
    },
    /// Paket failed (HTTP 500 or 503); the front end shows a generic page.
    #[error("{0}")]
    Service(ServiceError),
}
