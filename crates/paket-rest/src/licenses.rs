//! GET /v1/licenses (also /licenses and /v1/subscriptions).

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use paket_service::access_token_from_authorization;

use crate::AppState;
use crate::error::ApiError;

/// Lists the caller's licenses for the App of the token's client; 204 when none.
#[tracing::instrument(skip_all)]
pub async fn list(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    check_accept(&headers)?;
    let token = access_token(&headers)?;

    let caller = state.service.authenticate(token).await?;
    let licenses = state.service.list_licenses(&caller).await?;

    Ok(match licenses {
        Some(list) => Json(list).into_response(),
        None => StatusCode::NO_CONTENT.into_response(),
    })
}

/// Reads the access token from the `Authorization` header.
pub fn access_token(headers: &HeaderMap) -> Result<&str, ApiError> {
    let unauthorized = |message: &str| ApiError::new(StatusCode::UNAUTHORIZED, "invalid_token", message);
    let value = headers
        .get(header::AUTHORIZATION)
        .ok_or_else(|| unauthorized("the Authorization header is missing: send the access token, bare or as `Bearer <token>`"))?
        .to_str()
        .map_err(|_| unauthorized("the Authorization header is not visible ASCII text"))?;
    Ok(access_token_from_authorization(value)?)
}

/// Rejects a request whose `Accept` header excludes JSON (406).
fn check_accept(headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(accept) = headers.get(header::ACCEPT) else {
        return Ok(());
    };
    let accept = accept.to_str().unwrap_or_default();
    let acceptable = accept.split(',').any(|range| {
        let mut parts = range.split(';');
        let media = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
        // A quality of zero means "not acceptable" (RFC 9110 §12.4.2).
        let rejected = parts.any(|parameter| {
            let parameter = parameter.trim().replace(' ', "");
            parameter.strip_prefix("q=").is_some_and(|q| q.parse::<f32>().is_ok_and(|q| q == 0.0))
        });
        !rejected && matches!(media.as_str(), "application/json" | "application/*" | "*/*")
    });
    if acceptable {
        Ok(())
    } else {
        Err(ApiError::new(StatusCode::NOT_ACCEPTABLE, "not_acceptable", "this endpoint returns only application/json: accept application/json"))
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn headers(name: header::HeaderName, value: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(name, HeaderValue::from_static(value));
        headers
    }

    #[test]
    fn header_token_read() {
        assert_eq!(access_token(&headers(header::AUTHORIZATION, "Bearer eyJabc")).ok(), Some("eyJabc"));
        let missing = access_token(&HeaderMap::new()).expect_err("missing header");
        assert_eq!(missing.status, StatusCode::UNAUTHORIZED);
        assert!(missing.description.contains("missing"));
    }

    #[test]
    fn accept_negotiation() {
        assert!(check_accept(&HeaderMap::new()).is_ok());
        assert!(check_accept(&headers(header::ACCEPT, "application/json")).is_ok());
        assert!(check_accept(&headers(header::ACCEPT, "text/html, */*;q=0.1")).is_ok());
        assert!(check_accept(&headers(header::ACCEPT, "text/html")).is_err());
        assert!(check_accept(&headers(header::ACCEPT, "application/json;q=0")).is_err());
    }
}
