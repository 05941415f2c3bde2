//! The refresh_token grant (RFC 6749 §6), with optional rotation and reuse
//! detection for clients that opt in.
//!
//! Without rotation a refresh changes nothing in the database, so it runs
//! as a read; only rotation and reuse detection open a write transaction.

use paket_store::catalog::ClientRow;
use paket_store::oauth::{self as oauth_queries, RefreshTokenRow};
use paket_store::{DbConnection, StoreError};
use uuid::Uuid;

use super::client_auth;
use super::scope;
use super::token::required;
use crate::error::{OAuthError, OAuthErrorCode};
use crate::secrets::{new_token, token_hash};
use crate::tokens::{self, TokenSubject};
use crate::types::{ClientCredentials, TokenRequest, TokenResponse};
use crate::Inner;

/// A refresh token that passed every check, with what the response needs.
struct Valid {
    client: ClientRow,
    stored: RefreshTokenRow,
    granted_scope: String,
    email: String,
    name: String,
}

/// Result of checking a presented refresh token.
enum Checked {
    Valid(Box<Valid>),
    /// A revoked token of a rotating client: someone has a copy.
    Reused { client_id: String, grant_id: String },
    Rejected(OAuthError),
}

pub fn refresh(inner: &Inner, credentials: &ClientCredentials, request: &TokenRequest) -> Result<TokenResponse, OAuthError> {
    let presented = required(&request.refresh_token, "refresh_token")?;
    let now = inner.clock.now().timestamp();

    let checked = inner.store.read(|conn| check(conn, credentials, presented, request.scope.as_deref(), now))?;
    let valid = match checked {
        Checked::Valid(valid) => *valid,
        Checked::Rejected(error) => return Err(error),
        Checked::Reused { client_id, grant_id } => {
            // A rotated-out token came back: the whole grant is revoked (RFC 9700 §4.14.2).
            let revoked = inner.store.write(|conn| oauth_queries::revoke_grant(conn, &grant_id, now))?;
            tracing::warn!(%client_id, %grant_id, refresh_tokens_revoked = revoked, "rotated refresh token reused: grant revoked");
            return Err(OAuthError::invalid_grant("the refresh token has been revoked"));
        }
    };

    let rotated = if valid.client.rotate_refresh_tokens { Some(rotate(inner, &valid, now)?) } else { None };

    let subject = TokenSubject {
        user_id: &valid.stored.user_id,
        email: &valid.email,
        name: &valid.name,
        client_id: &valid.client.id,
        grant_id: &valid.stored.grant_id,
        scope: &valid.granted_scope,
        auth_time: valid.stored.auth_time,
        nonce: None,
    };
    let (access_token, id_token) = tokens::issue(inner, &subject, inner.clock.now())?;
    tracing::info!(client_id = %valid.client.id, user_id = %valid.stored.user_id, grant_id = %valid.stored.grant_id, rotated = rotated.is_some(), "refreshed an access token");
    Ok(TokenResponse {
        access_token,
        refresh_token: rotated,
        id_token,
        token_type: "Bearer",
        expires_in: inner.settings.access_token_ttl_seconds,
        scope: valid.granted_scope,
    })
}

/// Checks the client, the token and the requested scope, and loads the user.
/// The token, its client and its user come in one query. A client other
/// than the token's is looked up on its own, so that an unknown client gets
/// invalid_client and a token of another client gets invalid_grant.
fn check(conn: &mut DbConnection, credentials: &ClientCredentials, presented: &str, requested_scope: Option<&str>, now: i64) -> Result<Checked, StoreError> {
    let record = oauth_queries::find_refresh_token_record(conn, &token_hash(presented))?;
    let token_exists = record.is_some();
    let presented_client = credentials.client_id.as_deref().filter(|id| !id.is_empty());
    let Some((stored, token_client, email, name)) = record.filter(|(stored, _, _, _)| Some(stored.client_id.as_str()) == presented_client)
    else {
        if let Err(error) = client_auth::authenticate(conn, credentials) {
            return Ok(Checked::Rejected(error));
        }
        let reason = if token_exists { "the refresh token was issued to another client" } else { "the refresh token is invalid" };
        return Ok(Checked::Rejected(OAuthError::invalid_grant(reason)));
    };
    let client = match client_auth::check_secret(token_client, credentials) {
        Ok(client) => client,
        Err(error) => return Ok(Checked::Rejected(error)),
    };
    if stored.revoked_at.is_some() {
        if client.rotate_refresh_tokens {
            return Ok(Checked::Reused { client_id: client.id, grant_id: stored.grant_id });
        }
        return Ok(Checked::Rejected(OAuthError::invalid_grant("the refresh token has been revoked")));
    }
    if stored.expires_at <= now {
        return Ok(Checked::Rejected(OAuthError::invalid_grant("the refresh token has expired")));
    }
    let granted_scope = match requested_scope.filter(|value| !value.is_empty()) {
        None => stored.scope.clone(),
        Some(requested) if scope::is_subset(requested, &stored.scope) => scope::normalise(Some(requested)),
        Some(_) => {
            return Ok(Checked::Rejected(OAuthError::new(
                OAuthErrorCode::InvalidScope,
                "scope exceeds the scope originally granted",
            )));
        }
    };

    Ok(Checked::Valid(Box::new(Valid { client, stored, granted_scope, email, name })))
}

/// Replaces the presented token with a new one in one transaction. When a
/// concurrent refresh rotated it first, this one is a reuse and revokes the grant.
fn rotate(inner: &Inner, valid: &Valid, now: i64) -> Result<String, OAuthError> {
    let replacement = new_token(&inner.rng)?;
    let rotated = inner.store.write(|conn| {
        if !oauth_queries::revoke_refresh_token(conn, &valid.stored.id, now)? {
            oauth_queries::revoke_grant(conn, &valid.stored.grant_id, now)?;
            return Ok(false);
        }
        oauth_queries::insert_refresh_token(
            conn,
            &RefreshTokenRow {
                id: Uuid::new_v4().to_string(),
                token_hash: token_hash(&replacement),
                created_at: now,
                expires_at: now + valid.client.refresh_token_ttl_seconds,
                revoked_at: None,
                ..valid.stored.clone()
            },
        )?;
        Ok(true)
    })?;
    if !rotated {
        tracing::warn!(client_id = %valid.client.id, grant_id = %valid.stored.grant_id, "refresh token rotated twice at once: grant revoked");
        return Err(OAuthError::invalid_grant("the refresh token has been revoked"));
    }
    Ok(replacement)
}
