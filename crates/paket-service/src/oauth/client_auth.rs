//! Client authentication at the token endpoint (RFC 6749 §2.3).

use paket_domain::pkce::constant_time_eq;
use paket_store::DbConnection;
use paket_store::catalog::{self as catalog_queries, ClientRow};

use crate::error::OAuthError;
use crate::secrets::token_hash;
use crate::types::ClientCredentials;

/// Identifies the client and checks its secret: a confidential client must
/// send the right one, a public client must send none.
pub fn authenticate(conn: &mut DbConnection, credentials: &ClientCredentials) -> Result<ClientRow, OAuthError> {
    let Some(client_id) = credentials.client_id.as_deref().filter(|id| !id.is_empty()) else {
        return Err(OAuthError::invalid_request("client_id is missing: send it in the form or with HTTP Basic authentication"));
    };
    let client = catalog_queries::find_client(conn, client_id)?
        .ok_or_else(|| OAuthError::invalid_client(format!("unknown client_id {client_id:?}")))?;
    check_secret(client, credentials)
}

/// Checks the presented secret against a client already loaded.
pub fn check_secret(client: ClientRow, credentials: &ClientCredentials) -> Result<ClientRow, OAuthError> {
    let secret = credentials.client_secret.as_deref().filter(|secret| !secret.is_empty());
    match (&client.secret_hash, secret) {
        (None, None) => Ok(client),
        (None, Some(_)) => Err(OAuthError::invalid_client("this client is public and has no secret: do not send client_secret")),
        (Some(_), None) => Err(OAuthError::invalid_client("client authentication is required: send client_secret")),
        (Some(stored), Some(secret)) => {
            if constant_time_eq(stored.as_bytes(), token_hash(secret).as_bytes()) {
                Ok(client)
            } else {
                Err(OAuthError::invalid_client("client authentication failed: wrong client_secret"))
            }
        }
    }
}
