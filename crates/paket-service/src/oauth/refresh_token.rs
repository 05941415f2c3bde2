//! The refresh_token grant (RFC 6749 §6), with optional rotation and reuse
//! detection for clients that opt in.

use paket_store::catalog::ClientRow;
use paket_store::oauth::{self as oauth_queries, RefreshTokenRow};
use paket_store::users as user_queries;
use paket_store::StoreError;
use uuid::Uuid;

use super::client_auth;
use super::scope;
use super::token::required;
use crate::error::{OAuthError, OAuthErrorCode};
use crate::secrets::{new_token, token_hash};
use crate::tokens::{self, TokenSubject};
use crate::types::{ClientCredentials, TokenRequest, TokenResponse};
use crate::Inner;

/// Outcome of a successful refresh transaction.
struct Refreshed {
    client: ClientRow,
    stored: RefreshTokenRow,
    granted_scope: String,
    /// The replacement refresh token, for clients with rotation.
    rotated: Option<String>,
    email: String,
    name: String,
}

pub fn refresh(inner: &Inner, credentials: &ClientCredentials, request: &TokenRequest) -> Result<TokenResponse, OAuthError> {
    let presented = required(&request.refresh_token, "refresh_token")?;
    let now = inner.clock.now().timestamp();

    // A rejection is returned as the inner error so that the transaction
    // still commits, because a detected reuse revokes the grant.
    let refreshed = inner.store.write(|conn| -> Result<Result<Refreshed, OAuthError>, StoreError> {
        let client = match client_auth::authenticate(conn, credentials) {
            Ok(client) => client,
            Err(error) => return Ok(Err(error)),
        };
        let Some(stored) = oauth_queries::find_refresh_token(conn, &token_hash(presented))? else {
            return Ok(Err(OAuthError::invalid_grant("the refresh token is invalid")));
        };
        if stored.client_id != client.id {
            return Ok(Err(OAuthError::invalid_grant("the refresh token was issued to another client")));
        }
        if stored.revoked_at.is_some() {
            if client.rotate_refresh_tokens {
                // A rotated-out token came back: someone has a copy, so
                // the whole grant is revoked (RFC 9700 §4.14.2).
                let revoked = oauth_queries::revoke_grant(conn, &stored.grant_id, now)?;
                tracing::warn!(client_id = %client.id, grant_id = %stored.grant_id, refresh_tokens_revoked = revoked, "rotated refresh token reused: grant revoked");
            }
            return Ok(Err(OAuthError::invalid_grant("the refresh token has been revoked")));
        }
        if stored.expires_at <= now {
            return Ok(Err(OAuthError::invalid_grant("the refresh token has expired")));
        }
        let granted_scope = match request.scope.as_deref().filter(|value| !value.is_empty()) {
            None => stored.scope.clone(),
            Some(requested) if scope::is_subset(requested, &stored.scope) => scope::normalise(Some(requested)),
            Some(_) => {
                return Ok(Err(OAuthError::new(
                    OAuthErrorCode::InvalidScope,
                    "scope exceeds the scope originally granted",
                )));
            }
        };

        let user = user_queries::find_user(conn, &stored.user_id)?.ok_or(StoreError::NotFound)?;
        let rotated = if client.rotate_refresh_tokens {
            oauth_queries::revoke_refresh_token(conn, &stored.id, now)?;
            let replacement = new_token(&inner.rng).map_err(|error| StoreError::Database(error.to_string()))?;
            oauth_queries::insert_refresh_token(
                conn,
                &RefreshTokenRow {
                    id: Uuid::new_v4().to_string(),
                    token_hash: token_hash(&replacement),
                    created_at: now,
                    expires_at: now + client.refresh_token_ttl_seconds,
                    revoked_at: None,
                    ..stored.clone()
                },
            )?;
            Some(replacement)
        } else {
            None
        };
        Ok(Ok(Refreshed { client, stored, granted_scope, rotated, email: user.email, name: user.name }))
    })??;
    let Refreshed { client, stored, granted_scope, rotated, email, name } = refreshed;

    let subject = TokenSubject {
        user_id: &stored.user_id,
        email: &email,
        name: &name,
        client_id: &client.id,
        grant_id: &stored.grant_id,
        scope: &granted_scope,
        auth_time: stored.auth_time,
        nonce: None,
    };
    let (access_token, id_token) = tokens::issue(inner, &subject, inner.clock.now())?;
    tracing::info!(client_id = %client.id, user_id = %stored.user_id, grant_id = %stored.grant_id, rotated = rotated.is_some(), "refreshed an access token");
    Ok(TokenResponse {
        access_token,
        refresh_token: rotated,
        id_token,
        token_type: "Bearer",
        expires_in: inner.settings.access_token_ttl_seconds,
        scope: granted_scope,
    })
}
