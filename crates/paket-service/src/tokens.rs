//! Access and ID tokens: ES256 JWTs signed with the keyring's current key.
//!
//! Access tokens follow the JWT profile of RFC 9068 (`typ: at+jwt`), so an
//! ID token, whose `typ` is `JWT`, is never accepted as an access token.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};
use jsonwebtoken::{Header, Validation};
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
/// Revocation is not checked here: each operation checks the grant in its
/// own database read.
pub fn verify_access_token(inner: &Inner, token: &str) -> Result<Arc<AccessClaims>, ServiceError> {
    let now = inner.clock.now().timestamp();
    let key = VerifiedTokens::key(token);
    let claims = match inner.verified_tokens.get(&key) {
        Some(claims) => claims,
        None => {
            let claims = Arc::new(verify_signature(inner, token)?);
            inner.verified_tokens.insert(key, Arc::clone(&claims), now);
            claims
        }
    };
    if claims.exp <= now {
        return Err(ServiceError::Unauthenticated("the access token has expired".into()));
    }
    Ok(claims)
}

fn verify_signature(inner: &Inner, token: &str) -> Result<AccessClaims, ServiceError> {
    let header = jsonwebtoken::decode_header(token).map_err(|_| unauthenticated("it is not a JWT"))?;
    if header.typ.as_deref() != Some(ACCESS_TOKEN_TYPE) {
        return Err(unauthenticated("it is not an access token"));
    }
    let kid = header.kid.ok_or_else(|| unauthenticated("it names no signing key"))?;
    let key = match inner.keyring.find(&kid) {
        Some(key) => key,
        None => {
            // Another Paket process may have created a key since this one loaded them.
            let now = inner.clock.now().timestamp();
            inner.keyring.reload_at_most_every(&inner.store, crate::keys::RELOAD_INTERVAL_SECONDS, now)?;
            inner.keyring.find(&kid).ok_or_else(|| unauthenticated("its signing key is unknown"))?
        }
    };

    let mut validation = Validation::new(crate::keys::algorithm());
    validation.validate_exp = false;
    validation.validate_aud = false;
    validation.set_issuer(&[&inner.settings.issuer]);
    validation.set_required_spec_claims(&["exp", "iss", "sub"]);
    Ok(jsonwebtoken::decode::<AccessClaims>(token, &key.decoding, &validation)
        .map_err(|error| unauthenticated(&error.to_string()))?
        .claims)
}

/// Builds the error of a token whose grant was revoked.
pub fn revoked() -> ServiceError {
    ServiceError::Unauthenticated("the access token has been revoked".into())
}

/// Returns the caller named by verified claims.
pub fn caller(claims: &AccessClaims) -> Result<AccessCaller, ServiceError> {
    let expires_at = DateTime::from_timestamp(claims.exp, 0).ok_or_else(|| unauthenticated("its expiry is out of range"))?;
    Ok(AccessCaller {
        user_id: claims.sub.clone(),
        client_id: claims.client_id.clone(),
        grant_id: claims.gid.clone(),
        scope: claims.scope.clone(),
        expires_at,
    })
}

/// Access tokens whose signature was verified, by the SHA-256 of the whole
/// token, so that a client calling again with the same token skips the
/// ECDSA verification. Expiry is still checked on every use, and revocation
/// by each operation's database read.
#[derive(Debug, Default)]
pub struct VerifiedTokens {
    entries: RwLock<HashMap<[u8; 32], Arc<AccessClaims>>>,
}

/// Most tokens kept; about 400 bytes each, so some 8 MB when full.
const VERIFIED_TOKENS_CAPACITY: usize = 20_000;

impl VerifiedTokens {
    fn key(token: &str) -> [u8; 32] {
        let mut key = [0u8; 32];
        key.copy_from_slice(ring::digest::digest(&ring::digest::SHA256, token.as_bytes()).as_ref());
        key
    }

    fn get(&self, key: &[u8; 32]) -> Option<Arc<AccessClaims>> {
        self.entries.read().unwrap_or_else(std::sync::PoisonError::into_inner).get(key).cloned()
    }

    /// Stores verified claims. When full, expired entries go first, and if
    /// that frees nothing the cache starts over: a miss only costs a verification.
    fn insert(&self, key: [u8; 32], claims: Arc<AccessClaims>, now: i64) {
        let mut entries = self.entries.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        if entries.len() >= VERIFIED_TOKENS_CAPACITY {
            entries.retain(|_, cached| cached.exp > now);
            if entries.len() >= VERIFIED_TOKENS_CAPACITY {
                entries.clear();
            }
        }
        entries.insert(key, claims);
    }
}
