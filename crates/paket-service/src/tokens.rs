//! Access and ID tokens: ES256 JWTs signed with the keyring's current key.
//!
//! Access tokens follow the JWT profile of RFC 9068 (`typ: at+jwt`), so an
//! ID token, whose `typ` is `JWT`, is never accepted as an access token.

use chrono::{DateTime, Utc};
use jsonwebtoken::{Header, Validation};
use paket_store::oauth as oauth_queries;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::types::AccessCaller;
use crate::{Inner, ServiceError};

const ACCESS_TOKEN_TYPE: &str = "at+jwt";

/// Claims of an access token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    pub iss: String,
    pub sub: String,
    pub aud: String,
    pub client_id: String,
    pub exp: i64,
    pub iat: i64,
    pub jti: String,
    pub scope: String,
    /// Grant id: the authorization code whose exchange started this chain of
    /// tokens. Revoking the grant revokes every access token that carries it.
    pub gid: String,
}

/// Claims of an ID token (OpenID Connect Core §2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdClaims {
    pub iss: String,
    pub sub: String,
    pub aud: String,
    pub exp: i64,
    pub iat: i64,
    pub auth_time: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_verified: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// Subject and context of an issued pair of tokens.
#[derive(Debug, Clone)]
pub struct TokenSubject<'a> {
    pub user_id: &'a str,
    pub email: &'a str,
    pub name: &'a str,
    pub client_id: &'a str,
    pub grant_id: &'a str,
    pub scope: &'a str,
    pub auth_time: i64,
    pub nonce: Option<&'a str>,
}

/// Signs an access token and an ID token for `subject`, valid from `now`.
pub fn issue(inner: &Inner, subject: &TokenSubject<'_>, now: DateTime<Utc>) -> Result<(String, String), ServiceError> {
    let key = inner.keyring.current()?;
    let issued_at = now.timestamp();
    let expires_at = issued_at + inner.settings.access_token_ttl_seconds;
    let scopes: Vec<&str> = subject.scope.split(' ').collect();

    let access = AccessClaims {
        iss: inner.settings.issuer.clone(),
        sub: subject.user_id.to_owned(),
        aud: subject.client_id.to_owned(),
        client_id: subject.client_id.to_owned(),
        exp: expires_at,
        iat: issued_at,
        jti: Uuid::new_v4().to_string(),
        scope: subject.scope.to_owned(),
        gid: subject.grant_id.to_owned(),
    };
    let id = IdClaims {
        iss: inner.settings.issuer.clone(),
        sub: subject.user_id.to_owned(),
        aud: subject.client_id.to_owned(),
        exp: expires_at,
        iat: issued_at,
        auth_time: subject.auth_time,
        nonce: subject.nonce.map(str::to_owned),
        email: scopes.contains(&"email").then(|| subject.email.to_owned()),
        // Paket does not verify addresses yet, so the claim is false.
        email_verified: scopes.contains(&"email").then_some(false),
        name: scopes.contains(&"profile").then(|| subject.name.to_owned()),
    };

    let mut access_header = Header::new(crate::keys::algorithm());
    access_header.kid = Some(key.kid.clone());
    access_header.typ = Some(ACCESS_TOKEN_TYPE.into());
    let mut id_header = Header::new(crate::keys::algorithm());
    id_header.kid = Some(key.kid.clone());

    let sign_error = |error: jsonwebtoken::errors::Error| ServiceError::Internal(format!("signing a token failed: {error}"));
    let access_token = jsonwebtoken::encode(&access_header, &access, &key.encoding).map_err(sign_error)?;
    let id_token = jsonwebtoken::encode(&id_header, &id, &key.encoding).map_err(sign_error)?;
    Ok((access_token, id_token))
}

fn unauthenticated(reason: &str) -> ServiceError {
    ServiceError::Unauthenticated(format!("the access token is invalid: {reason}"))
}

/// Verifies signature, type, issuer and expiry of an access token. The
/// expiry is checked against the service clock, not jsonwebtoken's.
pub fn verify_access_token(inner: &Inner, token: &str) -> Result<AccessClaims, ServiceError> {
    let header = jsonwebtoken::decode_header(token).map_err(|_| unauthenticated("it is not a JWT"))?;
    if header.typ.as_deref() != Some(ACCESS_TOKEN_TYPE) {
        return Err(unauthenticated("it is not an access token"));
    }
    let kid = header.kid.ok_or_else(|| unauthenticated("it names no signing key"))?;
    let key = match inner.keyring.find(&kid) {
        Some(key) => key,
        None => {
            // Another Paket process may have created a key since this one loaded them.
            inner.keyring.reload(&inner.store)?;
            inner.keyring.find(&kid).ok_or_else(|| unauthenticated("its signing key is unknown"))?
        }
    };

    let mut validation = Validation::new(crate::keys::algorithm());
    validation.validate_exp = false;
    validation.validate_aud = false;
    validation.set_issuer(&[&inner.settings.issuer]);
    validation.set_required_spec_claims(&["exp", "iss", "sub"]);
    let claims = jsonwebtoken::decode::<AccessClaims>(token, &key.decoding, &validation)
        .map_err(|error| unauthenticated(&error.to_string()))?
        .claims;

    if claims.exp <= inner.clock.now().timestamp() {
        return Err(ServiceError::Unauthenticated("the access token has expired".into()));
    }
    Ok(claims)
}

/// Rejects tokens of a revoked grant and returns the caller.
pub fn check_grant(inner: &Inner, claims: AccessClaims) -> Result<AccessCaller, ServiceError> {
    let active = inner.store.read(|conn| oauth_queries::grant_is_active(conn, &claims.gid))?;
    if !active {
        return Err(ServiceError::Unauthenticated("the access token has been revoked".into()));
    }
    let expires_at = DateTime::from_timestamp(claims.exp, 0)
        .ok_or_else(|| unauthenticated("its expiry is out of range"))?;
    Ok(AccessCaller {
        user_id: claims.sub,
        client_id: claims.client_id,
        grant_id: claims.gid,
        scope: claims.scope,
        expires_at,
    })
}
