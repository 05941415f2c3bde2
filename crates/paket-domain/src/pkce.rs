//! Proof Key for Code Exchange (RFC 7636), S256 only.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::digest;

/// Reason a PKCE parameter or proof was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PkceError {
    #[error("code_challenge_method {0:?} is not supported: use S256")]
    UnsupportedMethod(String),
    #[error("code_challenge must be 43 base64url characters (the SHA-256 of the verifier)")]
    InvalidChallenge,
    #[error("code_verifier must be 43 to 128 characters of A-Z, a-z, 0-9, '-', '.', '_' and '~'")]
    InvalidVerifier,
    #[error("code_verifier does not match the code_challenge")]
    Mismatch,
}

/// Checks the method and challenge of an authorization request.
/// A missing method with a challenge means S256 here: `plain` is never accepted.
pub fn check_challenge(method: Option<&str>, challenge: &str) -> Result<(), PkceError> {
    match method {
        None | Some("S256") => {}
        Some(other) => return Err(PkceError::UnsupportedMethod(other.to_owned())),
    }

    // base64url of 32 bytes without padding is exactly 43 characters.
    let decoded = URL_SAFE_NO_PAD.decode(challenge).map_err(|_| PkceError::InvalidChallenge)?;
    if challenge.len() != 43 || decoded.len() != 32 {
        return Err(PkceError::InvalidChallenge);
    }
    Ok(())
}

/// Checks the verifier's form (RFC 7636 §4.1).
pub fn check_verifier(verifier: &str) -> Result<(), PkceError> {
    let unreserved = |byte: u8| byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~');
    if !(43..=128).contains(&verifier.len()) || !verifier.bytes().all(unreserved) {
        return Err(PkceError::InvalidVerifier);
    }
    Ok(())
}

/// Computes the S256 challenge of a verifier.
pub fn s256_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(digest::digest(&digest::SHA256, verifier.as_bytes()))
}

/// Verifies a verifier against the stored challenge, comparing in constant time.
pub fn verify(verifier: &str, challenge: &str) -> Result<(), PkceError> {
    check_verifier(verifier)?;
    let computed = s256_challenge(verifier);
    if !constant_time_eq(computed.as_bytes(), challenge.as_bytes()) {
        return Err(PkceError::Mismatch);
    }
    Ok(())
}

/// Compares two byte strings without an early exit on the first difference.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    // The example of RFC 7636 Appendix B.
    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    #[test]
    fn rfc_example_verifies() {
        assert_eq!(s256_challenge(VERIFIER), CHALLENGE);
        assert_eq!(verify(VERIFIER, CHALLENGE), Ok(()));
    }

    #[test]
    fn wrong_verifier_mismatches() {
        let other = "eBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        assert_eq!(verify(other, CHALLENGE), Err(PkceError::Mismatch));
    }

    #[test]
    fn verifier_length_bounds() {
        assert_eq!(check_verifier(&"a".repeat(42)), Err(PkceError::InvalidVerifier));
        assert_eq!(check_verifier(&"a".repeat(43)), Ok(()));
        assert_eq!(check_verifier(&"a".repeat(128)), Ok(()));
        assert_eq!(check_verifier(&"a".repeat(129)), Err(PkceError::InvalidVerifier));
    }

    #[test]
    fn verifier_rejects_reserved_characters() {
        let base = "a".repeat(42);
        for bad in ['+', '/', '=', ' ', 'é'] {
            assert_eq!(check_verifier(&format!("{base}{bad}")), Err(PkceError::InvalidVerifier), "{bad}");
        }
        assert_eq!(check_verifier(&format!("{base}~")), Ok(()));
    }

    #[test]
    fn plain_method_rejected() {
        assert_eq!(
            check_challenge(Some("plain"), CHALLENGE),
            Err(PkceError::UnsupportedMethod("plain".into()))
        );
        assert_eq!(check_challenge(Some("S256"), CHALLENGE), Ok(()));
        assert_eq!(check_challenge(None, CHALLENGE), Ok(()));
    }

    #[test]
    fn malformed_challenge_rejected() {
        assert_eq!(check_challenge(Some("S256"), "short"), Err(PkceError::InvalidChallenge));
        assert_eq!(check_challenge(Some("S256"), &format!("{CHALLENGE}A")), Err(PkceError::InvalidChallenge));
        let padded = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-c=";
        assert_eq!(check_challenge(Some("S256"), padded), Err(PkceError::InvalidChallenge));
    }

    #[test]
    fn constant_time_eq_compares() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
