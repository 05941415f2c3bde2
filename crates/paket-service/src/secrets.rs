//! Random tokens, their hashes, and password hashing.

use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::digest;
use ring::rand::{SecureRandom, SystemRandom};

use crate::ServiceError;

/// Returns `N` bytes from the operating system's secure generator.
pub fn random_bytes<const N: usize>(rng: &SystemRandom) -> Result<[u8; N], ServiceError> {
    let mut bytes = [0u8; N];
    rng.fill(&mut bytes)
        .map_err(|_| ServiceError::Internal("the system random generator failed".into()))?;
    Ok(bytes)
}

/// Generates an opaque token: 32 random bytes (256 bits), base64url without padding.
pub fn new_token(rng: &SystemRandom) -> Result<String, ServiceError> {
    Ok(URL_SAFE_NO_PAD.encode(random_bytes::<32>(rng)?))
}

/// SHA-256 of a token in lower-case hex, the form stored in the database.
/// A fast hash suffices because tokens carry 256 random bits.
pub fn token_hash(token: &str) -> String {
    let digest = digest::digest(&digest::SHA256, token.as_bytes());
    let mut hex = String::with_capacity(64);
    for byte in digest.as_ref() {
        hex.push(char::from(b"0123456789abcdef"[usize::from(byte >> 4)]));
        hex.push(char::from(b"0123456789abcdef"[usize::from(byte & 0x0f)]));
    }
    hex
}

/// Hashes a password with argon2id and the crate's default cost
/// (19 MiB, 2 passes, 1 lane: the OWASP baseline), as a PHC string.
pub fn hash_password(password: &str) -> Result<String, ServiceError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|error| ServiceError::Internal(format!("password hashing failed: {error}")))
}

/// Verifies a password against a PHC string; a malformed hash never matches.
pub fn verify_password(password: &str, phc: &str) -> bool {
    Argon2::default().verify_password(password.as_bytes(), phc).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_hash_is_sha256_hex() {
        assert_eq!(token_hash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    #[test]
    fn tokens_are_distinct_and_long() {
        let rng = SystemRandom::new();
        let a = new_token(&rng).expect("token");
        let b = new_token(&rng).expect("token");
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
    }

    #[test]
    fn password_round_trip() {
        let phc = hash_password("correct horse").expect("hash");
        assert!(phc.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &phc));
        assert!(!verify_password("wrong horse", &phc));
        assert!(!verify_password("correct horse", "not a phc string"));
    }
}
