//! The authorization_code grant (RFC 6749 §4.1.3) with PKCE (RFC 7636).

use chrono::DateTime;
use paket_domain::pkce;
use paket_store::oauth::{self as oauth_queries, AuthorizationCodeRow, RefreshTokenRow};
use paket_store::users as user_queries;
use paket_store::StoreError;
use uuid::Uuid;

use super::client_auth;
use super::token::required;
use crate::error::OAuthError;
use crate::secrets::{new_token, token_hash};
use crate::tokens::{self, TokenSubject};
use crate::types::{ClientCredentials, TokenRequest, TokenResponse};
use crate::Inner;

/// Outcome of the exchange transaction.
enum Exchange {
    Issued { refresh_token: String, email: String, name: String },
    /// The code had been used before: its grant is now revoked.
    Reused,
}

pub fn exchange(inner: &Inner, credentials: &ClientCredentials, request: &TokenRequest) -> Result<TokenResponse, OAuthError> {
    let code = required(&request.code, "code")?;
    let redirect_uri = required(&request.redirect_uri, "redirect_uri")?;
    let now = inner.clock.now();

    let (client, stored) = inner.store.read(|conn| {
        let client = client_auth::authenticate(conn, credentials);
        let stored = oauth_queries::find_authorization_code(conn, &token_hash(code))?;
        Ok((client, stored))
    })?;
    let client = client?;
    let stored = stored.ok_or_else(|| OAuthError::invalid_grant("the authorization code is invalid"))?;

    if stored.client_id != client.id {
        return Err(OAuthError::invalid_grant("the authorization code was issued to another client"));
    }
    if stored.revoked_at.is_some() {
        return Err(OAuthError::invalid_grant("the authorization code has been revoked"));
    }
    if stored.consumed_at.is_none() {
        check_unused_code(&stored, request, redirect_uri, now.timestamp())?;
    }

    let refresh_ttl = client.refresh_token_ttl_seconds;
    let outcome = inner.store.write(|conn| {
        // The conditional update is the single-use check: of two concurrent
        // exchanges, only one marks the code consumed.
        if !oauth_queries::consume_authorization_code(conn, &stored.id, now.timestamp())? {
            let revoked = oauth_queries::revoke_grant(conn, &stored.id, now.timestamp())?;
            tracing::warn!(client_id = %client.id, grant_id = %stored.id, refresh_tokens_revoked = revoked, "authorization code reused: grant revoked");
            return Ok(Exchange::Reused);
        }
        let user = user_queries::find_user(conn, &stored.user_id)?.ok_or(StoreError::NotFound)?;
        let refresh_token = new_token(&inner.rng).map_err(|error| StoreError::Database(error.to_string()))?;
        oauth_queries::insert_refresh_token(
            conn,
            &RefreshTokenRow {
                id: Uuid::new_v4().to_string(),
                token_hash: token_hash(&refresh_token),
                grant_id: stored.id.clone(),
                client_id: client.id.clone(),
                user_id: user.id.clone(),
                scope: stored.scope.clone(),
                auth_time: stored.auth_time,
                created_at: now.timestamp(),
                expires_at: now.timestamp() + refresh_ttl,
                revoked_at: None,
            },
        )?;
        Ok(Exchange::Issued { refresh_token, email: user.email, name: user.name })
    })?;

    let Exchange::Issued { refresh_token, email, name } = outcome else {
        return Err(OAuthError::invalid_grant(
            "the authorization code has already been used; the tokens issued for it are revoked",
        ));
    };

    let subject = TokenSubject {
        user_id: &stored.user_id,
        email: &email,
        name: &name,
        client_id: &client.id,
        grant_id: &stored.id,
        scope: &stored.scope,
        auth_time: stored.auth_time,
        nonce: stored.nonce.as_deref(),
    };
    let (access_token, id_token) = tokens::issue(inner, &subject, now)?;
    tracing::info!(client_id = %client.id, user_id = %stored.user_id, grant_id = %stored.id, "exchanged an authorization code");
    Ok(TokenResponse {
        access_token,
        refresh_token: Some(refresh_token),
        id_token,
        token_type: "Bearer",
        expires_in: inner.settings.access_token_ttl_seconds,
        scope: stored.scope,
    })
}

/// Runs the checks of a first exchange. A reused code skips them, because
/// the reuse itself revokes the grant, whatever the second request contains.
fn check_unused_code(stored: &AuthorizationCodeRow, request: &TokenRequest, redirect_uri: &str, now: i64) -> Result<(), OAuthError> {
    if stored.expires_at <= now {
        let expired_at = DateTime::from_timestamp(stored.expires_at, 0).map(crate::types::rfc3339).unwrap_or_default();
        return Err(OAuthError::invalid_grant(format!("the authorization code expired at {expired_at}")));
    }
    if stored.redirect_uri != redirect_uri {
        return Err(OAuthError::invalid_grant("redirect_uri does not match the one of the authorization request"));
    }

    let verifier = request.code_verifier.as_deref().filter(|value| !value.is_empty());
    match (&stored.code_challenge, verifier) {
        (Some(challenge), Some(verifier)) => {
            pkce::verify(verifier, challenge).map_err(|error| OAuthError::invalid_grant(error.to_string()))
        }
        (Some(_), None) => Err(OAuthError::invalid_grant(
            "code_verifier is missing: the authorization request sent a code_challenge",
        )),
        // RFC 9700 §4.8.2: a verifier without a challenge is a downgrade attempt.
        (None, Some(_)) => Err(OAuthError::invalid_grant(
            "code_verifier was sent but the authorization request had no code_challenge",
        )),
        (None, None) => Ok(()),
    }
}
