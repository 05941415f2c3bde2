//! The authorization endpoint: request validation and password sign-in.

use paket_domain::{pkce, redirect_uri};
use paket_store::catalog::{self as catalog_queries, ClientRecord};
use paket_store::oauth::{self as oauth_queries, AuthorizationCodeRow};
use paket_store::users as user_queries;
use url::Url;
use uuid::Uuid;

use super::scope;
use crate::error::{AuthorizeError, OAuthError, OAuthErrorCode};
use crate::secrets::{new_token, token_hash, verify_password};
use crate::types::{AuthorizationRequest, SignInOutcome, ValidAuthorization};
use crate::{Inner, ServiceError};

/// Longest accepted `state` and `nonce`, in bytes.
const MAX_OPAQUE_LENGTH: usize = 1024;

/// Validates the request in the order RFC 6749 §4.1.2.1 requires: first
/// the client and redirect URI, whose errors are never redirected, then the
/// rest, whose errors go back to the client.
pub fn validate(inner: &Inner, request: &AuthorizationRequest) -> Result<ValidAuthorization, AuthorizeError> {
    let client_id = present(&request.client_id).ok_or_else(|| page("The request has no client_id."))?;
    let (record, app_name) = inner
        .store
        .read(|conn| {
            let Some(record) = catalog_queries::find_client_record(conn, client_id)? else {
                return Ok(None);
            };
            let app = catalog_queries::find_app(conn, &record.client.app_id)?;
            Ok(Some((record, app.map(|app| app.name).unwrap_or_default())))
        })
        .map_err(ServiceError::from)?
        .ok_or_else(|| page("The application that sent you here is not registered with Paket (unknown client_id)."))?;

    let redirect = present(&request.redirect_uri).ok_or_else(|| page("The request has no redirect_uri."))?;
    if !redirect_uri::is_registered(redirect, record.redirect_uris.iter().map(String::as_str)) {
        return Err(page("The redirect_uri is not registered for this application, so Paket will not send you there."));
    }

    if let Err(error) = check_parameters(&record, request) {
        let location = error_redirect(redirect, request.state.as_deref(), &error, &inner.settings.issuer)?;
        return Err(AuthorizeError::Redirect { location, error });
    }

    Ok(ValidAuthorization {
        client_id: record.client.id.clone(),
        client_name: record.client.name.clone(),
        app_name,
        redirect_uri: redirect.to_owned(),
        state: request.state.clone(),
        code_challenge: present(&request.code_challenge).map(str::to_owned),
        scope: scope::normalise(request.scope.as_deref()),
        nonce: present(&request.nonce).map(str::to_owned),
    })
}

fn check_parameters(record: &ClientRecord, request: &AuthorizationRequest) -> Result<(), OAuthError> {
    match present(&request.response_type) {
        None => return Err(OAuthError::invalid_request("response_type is missing: use response_type=code")),
        Some("code") => {}
        Some(other) => {
            return Err(OAuthError::new(
                OAuthErrorCode::UnsupportedResponseType,
                format!("response_type {other:?} is not supported: use code"),
            ));
        }
    }

    for (name, value) in [("state", &request.state), ("nonce", &request.nonce)] {
        if value.as_ref().is_some_and(|value| value.len() > MAX_OPAQUE_LENGTH) {
            return Err(OAuthError::invalid_request(format!("{name} is longer than {MAX_OPAQUE_LENGTH} bytes")));
        }
    }

    match (present(&request.code_challenge), present(&request.code_challenge_method)) {
        (Some(challenge), method) => {
            pkce::check_challenge(method, challenge).map_err(|error| OAuthError::invalid_request(error.to_string()))?;
        }
        (None, Some(_)) => {
            return Err(OAuthError::invalid_request("code_challenge_method was sent without code_challenge"));
        }
        (None, None) => {
            let public = record.client.secret_hash.is_none();
            if public && record.client.pkce_required {
                return Err(OAuthError::invalid_request(
                    "code_challenge is required for this client: send code_challenge and code_challenge_method=S256 (RFC 7636)",
                ));
            }
        }
    }
    Ok(())
}

/// Checks the credentials and issues a code for the validated request.
pub fn sign_in(inner: &Inner, request: &AuthorizationRequest, email: &str, password: &str) -> Result<SignInOutcome, AuthorizeError> {
    let authorization = validate(inner, request)?;

    let email = email.trim().to_lowercase();
    let user = inner
        .store
        .read(|conn| user_queries::find_user_by_email(conn, &email))
        .map_err(ServiceError::from)?;
    // An unknown email costs one argon2 verification too, so response times
    // do not reveal which addresses have accounts.
    let hash = user.as_ref().map_or(inner.dummy_password_hash.as_str(), |user| user.password_hash.as_str());
    let password_matches = verify_password(password, hash);
    let Some(user) = user.filter(|_| password_matches) else {
        tracing::info!(client_id = %authorization.client_id, "sign-in rejected: wrong email or password");
        return Ok(SignInOutcome::InvalidCredentials(authorization));
    };

    let code = new_token(&inner.rng)?;
    let now = inner.clock.now().timestamp();
    let row = AuthorizationCodeRow {
        id: Uuid::new_v4().to_string(),
        code_hash: token_hash(&code),
        client_id: authorization.client_id.clone(),
        user_id: user.id.clone(),
        redirect_uri: authorization.redirect_uri.clone(),
        code_challenge: authorization.code_challenge.clone(),
        scope: authorization.scope.clone(),
        nonce: authorization.nonce.clone(),
        auth_time: now,
        created_at: now,
        expires_at: now + inner.settings.authorization_code_ttl_seconds,
        consumed_at: None,
        revoked_at: None,
    };
    inner
        .store
        .write(|conn| oauth_queries::insert_authorization_code(conn, &row))
        .map_err(ServiceError::from)?;
    tracing::info!(client_id = %authorization.client_id, user_id = %user.id, "issued an authorization code");

    let mut parameters = vec![("code", code.as_str())];
    if let Some(state) = &authorization.state {
        parameters.push(("state", state));
    }
    parameters.push(("iss", &inner.settings.issuer));
    Ok(SignInOutcome::Redirect(append_query(&authorization.redirect_uri, &parameters)?))
}

/// Builds the redirect that carries an authorization error back to the client.
fn error_redirect(redirect_uri: &str, state: Option<&str>, error: &OAuthError, issuer: &str) -> Result<String, ServiceError> {
    let mut parameters = vec![("error", error.code.as_str()), ("error_description", error.description.as_str())];
    if let Some(state) = state {
        parameters.push(("state", state));
    }
    parameters.push(("iss", issuer));
    append_query(redirect_uri, &parameters)
}

fn append_query(base: &str, parameters: &[(&str, &str)]) -> Result<String, ServiceError> {
    let mut url = Url::parse(base)
        .map_err(|error| ServiceError::Internal(format!("registered redirect URI {base:?} does not parse: {error}")))?;
    url.query_pairs_mut().extend_pairs(parameters);
    Ok(url.into())
}

fn present(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|value| !value.is_empty())
}

fn page(message: &str) -> AuthorizeError {
    AuthorizeError::Page(message.to_owned())
}
