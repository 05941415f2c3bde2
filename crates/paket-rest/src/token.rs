//! POST /oauth2/token and its refresh alias POST /oauth2/authorization.

use axum::Json;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use paket_service::{ClientCredentials, OAuthError, OAuthErrorCode, TokenRequest};
use serde::Deserialize;

use crate::AppState;
use crate::error::{OAuthResponse, no_store};

/// The token request form (RFC 6749 §4.1.3 and §6). `response_type` is
/// read only by the /oauth2/authorization alias.
#[derive(Debug, Default, Deserialize)]
pub struct TokenForm {
    grant_type: Option<String>,
    response_type: Option<String>,
    code: Option<String>,
    redirect_uri: Option<String>,
    code_verifier: Option<String>,
    refresh_token: Option<String>,
    scope: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
}

/// POST /oauth2/token
#[tracing::instrument(skip_all)]
pub async fn token(State(state): State<AppState>, headers: HeaderMap, form: Result<Form<TokenForm>, FormRejection>) -> Response {
    let form = match parse_form(form) {
        Ok(form) => form,
        Err(error) => return OAuthResponse(error).into_response(),
    };
    exchange(&state, &headers, form).await
}

/// POST /oauth2/authorization: the refresh grant under the path of the
/// older integration guide, with `response_type=refresh_token` or
/// `grant_type=refresh_token`.
#[tracing::instrument(skip_all)]
pub async fn refresh_alias(State(state): State<AppState>, headers: HeaderMap, form: Result<Form<TokenForm>, FormRejection>) -> Response {
    let mut form = match parse_form(form) {
        Ok(form) => form,
        Err(error) => return OAuthResponse(error).into_response(),
    };
    let asks_refresh = form.response_type.as_deref() == Some("refresh_token") || form.grant_type.as_deref() == Some("refresh_token");
    if !asks_refresh {
        let error = OAuthError::new(
            OAuthErrorCode::UnsupportedGrantType,
            "this endpoint only refreshes tokens: send response_type=refresh_token or grant_type=refresh_token",
        );
        return OAuthResponse(error).into_response();
    }
    form.grant_type = Some("refresh_token".into());
    exchange(&state, &headers, form).await
}

async fn exchange(state: &AppState, headers: &HeaderMap, form: TokenForm) -> Response {
    let credentials = match client_credentials(headers, &form) {
        Ok(credentials) => credentials,
        Err(error) => return OAuthResponse(error).into_response(),
    };
    let request = TokenRequest {
        grant_type: form.grant_type,
        code: form.code,
        redirect_uri: form.redirect_uri,
        code_verifier: form.code_verifier,
        refresh_token: form.refresh_token,
        scope: form.scope,
    };

    match state.service.token(credentials, request).await {
        Ok(tokens) => (no_store(), Json(tokens)).into_response(),
        Err(error) => OAuthResponse(error).into_response(),
    }
}

fn parse_form(form: Result<Form<TokenForm>, FormRejection>) -> Result<TokenForm, OAuthError> {
    match form {
        Ok(Form(form)) => Ok(form),
        Err(FormRejection::InvalidFormContentType(_)) => Err(OAuthError::invalid_request(
            "the request body must be application/x-www-form-urlencoded",
        )),
        // serde_urlencoded reports a repeated parameter as a duplicate field,
        // which RFC 6749 §3.2 forbids.
        Err(rejection) => Err(OAuthError::invalid_request(format!("the form is invalid: {}", rejection.body_text()))),
    }
}

/// Reads client credentials from HTTP Basic (RFC 6749 §2.3.1, where id and
/// secret are form-encoded before base64) or from the form. Using both
/// methods in one request is rejected.
fn client_credentials(headers: &HeaderMap, form: &TokenForm) -> Result<ClientCredentials, OAuthError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(ClientCredentials {
            client_id: form.client_id.clone(),
            client_secret: form.client_secret.clone(),
            via_basic: false,
        });
    };

    let malformed = || OAuthError::invalid_client("the Authorization header is not valid HTTP Basic credentials");
    let value = value.to_str().map_err(|_| malformed())?;
    let Some((scheme, encoded)) = value.split_once(' ') else {
        return Err(malformed());
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(OAuthError::invalid_client("client authentication must use the Basic scheme"));
    }
    let decoded = STANDARD.decode(encoded.trim()).map_err(|_| malformed())?;
    let decoded = String::from_utf8(decoded).map_err(|_| malformed())?;
    let (id, secret) = decoded.split_once(':').ok_or_else(malformed)?;
    let id = form_decode(id).ok_or_else(malformed)?;
    let secret = form_decode(secret).ok_or_else(malformed)?;

    if form.client_secret.is_some() {
        return Err(OAuthError::invalid_request("send client credentials either with HTTP Basic or in the form, not both"));
    }
    if form.client_id.as_deref().is_some_and(|form_id| form_id != id) {
        return Err(OAuthError::invalid_request("client_id in the form differs from the one in the Authorization header"));
    }
    Ok(ClientCredentials { client_id: Some(id), client_secret: Some(secret), via_basic: true })
}

fn form_decode(value: &str) -> Option<String> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(&format!("v={value}")).ok()?;
    pairs.into_iter().next().map(|(_, decoded)| decoded)
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn basic(raw: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        let value = format!("Basic {}", STANDARD.encode(raw));
        headers.insert(header::AUTHORIZATION, HeaderValue::from_str(&value).expect("header"));
        headers
    }

    #[test]
    fn basic_credentials_are_form_decoded() {
        let credentials = client_credentials(&basic("my%20client:s%3Acret+x"), &TokenForm::default()).expect("credentials");
        assert_eq!(credentials.client_id.as_deref(), Some("my client"));
        assert_eq!(credentials.client_secret.as_deref(), Some("s:cret x"));
        assert!(credentials.via_basic);
    }

    #[test]
    fn form_credentials_without_header() {
        let form = TokenForm { client_id: Some("abc".into()), ..TokenForm::default() };
        let credentials = client_credentials(&HeaderMap::new(), &form).expect("credentials");
        assert_eq!(credentials.client_id.as_deref(), Some("abc"));
        assert!(!credentials.via_basic);
    }

    #[test]
    fn two_methods_rejected() {
        let form = TokenForm { client_secret: Some("x".into()), ..TokenForm::default() };
        let error = client_credentials(&basic("a:b"), &form).expect_err("two methods");
        assert_eq!(error.code, OAuthErrorCode::InvalidRequest);
    }

    #[test]
    fn malformed_basic_rejected() {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic !!!"));
        let error = client_credentials(&headers, &TokenForm::default()).expect_err("malformed");
        assert_eq!(error.code, OAuthErrorCode::InvalidClient);
    }
}
