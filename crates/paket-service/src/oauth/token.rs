//! The token endpoint: dispatch by grant type.

use crate::error::{OAuthError, OAuthErrorCode};
use crate::types::{ClientCredentials, TokenRequest, TokenResponse};
use crate::Inner;

pub fn grant(inner: &Inner, credentials: &ClientCredentials, request: &TokenRequest) -> Result<TokenResponse, OAuthError> {
    match request.grant_type.as_deref().filter(|value| !value.is_empty()) {
        None => Err(OAuthError::invalid_request(
            "grant_type is missing: use authorization_code or refresh_token",
        )),
        Some("authorization_code") => super::authorization_code::exchange(inner, credentials, request),
        Some("refresh_token") => super::refresh_token::refresh(inner, credentials, request),
        Some(other) => Err(OAuthError::new(
            OAuthErrorCode::UnsupportedGrantType,
            format!("grant_type {other:?} is not supported: use authorization_code or refresh_token"),
        )),
    }
}

/// Returns a required form parameter, or `invalid_request` naming it.
pub fn required<'a>(value: &'a Option<String>, name: &str) -> Result<&'a str, OAuthError> {
    value
        .as_deref()
        .filter(|value| !value.is_empty())
        .ok_or_else(|| OAuthError::invalid_request(format!("{name} is missing")))
}
