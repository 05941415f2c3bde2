//! A jsonwebtoken crypto provider for ES256 backed by ring.
//!
//! jsonwebtoken calls the provider's factory once per token with the raw
//! key bytes. Its RustCrypto provider parses the PKCS#8 key on every
//! signature, which costs about as much as the signature itself. This one
//! keeps each parsed key pair, and uses ring's P-256 code for both signing
//! and verifying. Only ES256 is offered because it is the only algorithm
//! Paket signs or accepts.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock, RwLock};

use jsonwebtoken::crypto::{CryptoProvider, JwtSigner, JwtVerifier, KeyUtils};
use jsonwebtoken::errors::{Error, ErrorKind};
use jsonwebtoken::signature::{self, Signer, Verifier};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_FIXED, ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, UnparsedPublicKey};

/// The provider; install it with [`install`].
pub static RING_ES256: CryptoProvider = CryptoProvider {
    signer_factory: new_signer,
    verifier_factory: new_verifier,
    // Paket builds its JWKS itself and never calls jsonwebtoken to derive
    // public components, so the key utilities are not needed.
    key_utils: KeyUtils::new_unimplemented(),
};

/// Installs [`RING_ES256`] as jsonwebtoken's provider for this process.
/// Returns an error message when another provider was installed first.
pub fn install() -> Result<(), String> {
    match RING_ES256.install_default() {
        Ok(()) => Ok(()),
        Err(installed) if std::ptr::eq(installed, &RING_ES256) => Ok(()),
        Err(_) => Err("another jsonwebtoken crypto provider is already installed".into()),
    }
}

/// Parsed key pairs by their PKCS#8 document. A deployment has a handful
/// of signing keys, so the map stays small.
fn key_pairs() -> &'static RwLock<HashMap<Vec<u8>, Arc<EcdsaKeyPair>>> {
    static KEY_PAIRS: OnceLock<RwLock<HashMap<Vec<u8>, Arc<EcdsaKeyPair>>>> = OnceLock::new();
    KEY_PAIRS.get_or_init(RwLock::default)
}

fn key_pair(pkcs8: &[u8]) -> Result<Arc<EcdsaKeyPair>, Error> {
    if let Some(pair) = key_pairs().read().unwrap_or_else(std::sync::PoisonError::into_inner).get(pkcs8) {
        return Ok(Arc::clone(pair));
    }
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8, &SystemRandom::new())
        .map_err(|_| Error::from(ErrorKind::InvalidEcdsaKey))?;
    let pair = Arc::new(pair);
    key_pairs()
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .insert(pkcs8.to_vec(), Arc::clone(&pair));
    Ok(pair)
}

struct Es256Signer(Arc<EcdsaKeyPair>);

impl Signer<Vec<u8>> for Es256Signer {
    fn try_sign(&self, message: &[u8]) -> Result<Vec<u8>, signature::Error> {
        self.0
            .sign(&SystemRandom::new(), message)
            .map(|signature| signature.as_ref().to_vec())
            .map_err(|_| signature::Error::new())
    }
}

impl JwtSigner for Es256Signer {
    fn algorithm(&self) -> Algorithm {
        Algorithm::ES256
    }
}

/// Verifies with the uncompressed public point (65 bytes).
struct Es256Verifier(Vec<u8>);

impl Verifier<Vec<u8>> for Es256Verifier {
    fn verify(&self, message: &[u8], signature: &Vec<u8>) -> Result<(), signature::Error> {
        UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, &self.0)
            .verify(message, signature)
            .map_err(|_| signature::Error::new())
    }
}

impl JwtVerifier for Es256Verifier {
    fn algorithm(&self) -> Algorithm {
        Algorithm::ES256
    }
}

fn new_signer(algorithm: &Algorithm, key: &EncodingKey) -> Result<Box<dyn JwtSigner>, Error> {
    if *algorithm != Algorithm::ES256 {
        return Err(ErrorKind::InvalidAlgorithm.into());
    }
    Ok(Box::new(Es256Signer(key_pair(key.as_bytes())?)))
}

fn new_verifier(algorithm: &Algorithm, key: &DecodingKey) -> Result<Box<dyn JwtVerifier>, Error> {
    if *algorithm != Algorithm::ES256 {
        return Err(ErrorKind::InvalidAlgorithm.into());
    }
    Ok(Box::new(Es256Verifier(key.try_get_as_bytes()?.to_vec())))
}

#[cfg(test)]
mod tests {
    use jsonwebtoken::{Header, Validation};
    use ring::signature::KeyPair;

    use super::*;

    fn keys() -> (EncodingKey, DecodingKey) {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).expect("key");
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng).expect("key pair");
        (EncodingKey::from_ec_der(pkcs8.as_ref()), DecodingKey::from_ec_der(pair.public_key().as_ref()))
    }

    #[test]
    fn signs_and_verifies_es256() {
        install().expect("provider installs");
        let (encoding, decoding) = keys();
        let claims = serde_json::json!({"sub": "u", "exp": 4_102_444_800_i64});
        let token = jsonwebtoken::encode(&Header::new(Algorithm::ES256), &claims, &encoding).expect("signed");
        let decoded = jsonwebtoken::decode::<serde_json::Value>(&token, &decoding, &Validation::new(Algorithm::ES256)).expect("verified");
        assert_eq!(decoded.claims["sub"], "u");

        let (_, other_key) = keys();
        assert!(jsonwebtoken::decode::<serde_json::Value>(&token, &other_key, &Validation::new(Algorithm::ES256)).is_err());
    }

    #[test]
    fn other_algorithms_rejected() {
        install().expect("provider installs");
        let (encoding, _) = keys();
        assert!(new_signer(&Algorithm::HS256, &encoding).is_err());
        assert!(new_signer(&Algorithm::RS256, &encoding).is_err());
    }
}
