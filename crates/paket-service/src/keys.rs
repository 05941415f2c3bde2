//! ES256 signing keys: generated with ring, stored in the database, held in
//! memory for signing and verifying, and published as a JWKS.

use std::collections::HashMap;
use std::sync::RwLock;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};
use paket_store::Store;
use paket_store::keys::{self as key_queries, SigningKeyRow};
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use serde::Serialize;

use crate::ServiceError;
use crate::secrets::random_bytes;

pub const ALGORITHM_NAME: &str = "ES256";

/// One key, ready to sign (if it is the current key) and to verify.
pub struct LoadedKey {
    pub kid: String,
    pub encoding: EncodingKey,
    pub decoding: DecodingKey,
    /// Uncompressed P-256 point: 0x04, then x and y of 32 bytes each.
    public_point: Vec<u8>,
}

impl std::fmt::Debug for LoadedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedKey").field("kid", &self.kid).finish_non_exhaustive()
    }
}

/// The keys in use: the newest signs, all verify.
#[derive(Debug, Default)]
struct KeySet {
    current: Option<String>,
    by_kid: HashMap<String, std::sync::Arc<LoadedKey>>,
}

/// In-memory copy of the database's signing keys.
#[derive(Debug, Default)]
pub struct Keyring {
    keys: RwLock<KeySet>,
    /// Unix seconds of the last reload, for [`Keyring::reload_at_most_every`].
    last_reload: std::sync::atomic::AtomicI64,
}

/// Shortest time between two reloads for unknown key ids, in seconds.
pub const RELOAD_INTERVAL_SECONDS: i64 = 10;

/// A JSON Web Key Set (RFC 7517) of public keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Jwks {
    pub keys: Vec<Jwk>,
}

/// A public EC key as a JSON Web Key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Jwk {
    pub kty: &'static str,
    pub crv: &'static str,
    pub x: String,
    pub y: String,
    pub kid: String,
    #[serde(rename = "use")]
    pub use_: &'static str,
    pub alg: &'static str,
}

impl Keyring {
    /// Loads the active keys, generating and storing one when there is none.
    pub fn load_or_create(store: &Store, rng: &SystemRandom, now: i64) -> Result<Keyring, ServiceError> {
        let rows = store.write(|conn| {
            let rows = key_queries::active_signing_keys(conn)?;
            if !rows.is_empty() {
                return Ok(rows);
            }
            let row = generate_key(rng, now).map_err(|error| paket_store::StoreError::Database(error.to_string()))?;
            key_queries::insert_signing_key(conn, &row)?;
            tracing::info!(kid = %row.id, "generated a new ES256 signing key");
            Ok(vec![row])
        })?;
        let keyring = Keyring::default();
        keyring.replace(&rows)?;
        Ok(keyring)
    }

    /// Reloads the keys from the database, for tokens signed by a key that
    /// another Paket process created after this one started. A token with a
    /// made-up key id would otherwise cost a database read on every call,
    /// so reloads happen at most once per interval; the others return at once.
    pub fn reload_at_most_every(&self, store: &Store, interval_seconds: i64, now: i64) -> Result<(), ServiceError> {
        use std::sync::atomic::Ordering;
        let last = self.last_reload.load(Ordering::Relaxed);
        if now - last < interval_seconds
            || self.last_reload.compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed).is_err()
        {
            return Ok(());
        }
        let rows = store.read(key_queries::active_signing_keys)?;
        self.replace(&rows)
    }

    fn replace(&self, rows: &[SigningKeyRow]) -> Result<(), ServiceError> {
        let mut set = KeySet::default();
        for row in rows {
            let key = load_key(row)?;
            set.current.get_or_insert_with(|| key.kid.clone());
            set.by_kid.insert(key.kid.clone(), std::sync::Arc::new(key));
        }
        *self.keys.write().unwrap_or_else(std::sync::PoisonError::into_inner) = set;
        Ok(())
    }

    /// Returns the key that signs new tokens.
    pub fn current(&self) -> Result<std::sync::Arc<LoadedKey>, ServiceError> {
        let set = self.keys.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        set.current
            .as_ref()
            .and_then(|kid| set.by_kid.get(kid))
            .cloned()
            .ok_or_else(|| ServiceError::Internal("no signing key is loaded".into()))
    }

    pub fn find(&self, kid: &str) -> Option<std::sync::Arc<LoadedKey>> {
        let set = self.keys.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        set.by_kid.get(kid).cloned()
    }

    pub fn jwks(&self) -> Jwks {
        let set = self.keys.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut keys: Vec<Jwk> = set.by_kid.values().map(|key| key.jwk()).collect();
        keys.sort_by(|a, b| a.kid.cmp(&b.kid));
        Jwks { keys }
    }
}

impl LoadedKey {
    fn jwk(&self) -> Jwk {
        let (x, y) = self.public_point[1..].split_at(32);
        Jwk {
            kty: "EC",
            crv: "P-256",
            x: URL_SAFE_NO_PAD.encode(x),
            y: URL_SAFE_NO_PAD.encode(y),
            kid: self.kid.clone(),
            use_: "sig",
            alg: ALGORITHM_NAME,
        }
    }
}

pub fn algorithm() -> Algorithm {
    Algorithm::ES256
}

fn generate_key(rng: &SystemRandom, now: i64) -> Result<SigningKeyRow, ServiceError> {
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, rng)
        .map_err(|_| ServiceError::Internal("generating an ES256 key failed".into()))?;
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), rng)
        .map_err(|_| ServiceError::Internal("reading the generated ES256 key failed".into()))?;
    let kid = URL_SAFE_NO_PAD.encode(random_bytes::<12>(rng)?);
    Ok(SigningKeyRow {
        id: kid,
        algorithm: ALGORITHM_NAME.into(),
        private_key: pkcs8.as_ref().to_vec(),
        public_key: pair.public_key().as_ref().to_vec(),
        created_at: now,
        retired_at: None,
    })
}

fn load_key(row: &SigningKeyRow) -> Result<LoadedKey, ServiceError> {
    if row.algorithm != ALGORITHM_NAME || row.public_key.len() != 65 || row.public_key[0] != 4 {
        return Err(ServiceError::Internal(format!(
            "signing key {} is not an ES256 key with an uncompressed public point",
            row.id
        )));
    }
    Ok(LoadedKey {
        kid: row.id.clone(),
        encoding: EncodingKey::from_ec_der(&row.private_key),
        decoding: DecodingKey::from_ec_der(&row.public_key),
        public_point: row.public_key.clone(),
    })
}

/// Installs Paket's ring-backed ES256 provider for jsonwebtoken, so that a
/// misconfigured build fails at start-up instead of on the first token.
pub fn check_crypto_provider() -> Result<(), ServiceError> {
    crate::jwt_crypto::install().map_err(ServiceError::Internal)
}
