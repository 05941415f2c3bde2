//! Reading the access token from an `Authorization` value, shared by the
//! REST header and the gRPC metadata.

use crate::ServiceError;

/// Returns the access token of an `Authorization` value: either the bare
/// token, as the reference examples send it, or the token after the
/// `Bearer` scheme of RFC 6750 §2.1, whose name is case-insensitive.
///
/// The error messages never repeat the value, which may be a token.
pub fn access_token_from_authorization(value: &str) -> Result<&str, ServiceError> {
    let value = value.trim();
    let token = match value.split_once(|c: char| c.is_ascii_whitespace()) {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim(),
        Some(_) => {
            return Err(ServiceError::Unauthenticated(
                "the authorization value has an unsupported scheme: send the access token, bare or as `Bearer <token>`".into(),
            ));
        }
        // `Bearer` with nothing after it is a scheme without a token, not a bare token.
        None if value.eq_ignore_ascii_case("bearer") => "",
        None => value,
    };
    if token.is_empty() {
        return Err(ServiceError::Unauthenticated("the authorization value contains no access token".into()));
    }
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_and_bearer_tokens() {
        let cases = [
            ("eyJabc", "eyJabc"),
            ("Bearer eyJabc", "eyJabc"),
            ("bearer eyJabc", "eyJabc"),
            ("BEARER  eyJabc ", "eyJabc"),
            ("Bearer\teyJabc", "eyJabc"),
            (" eyJabc ", "eyJabc"),
        ];
        for (value, expected) in cases {
            assert_eq!(access_token_from_authorization(value).ok(), Some(expected), "authorization {value:?}");
        }
    }

    #[test]
    fn unusable_values_rejected() {
        for value in ["", "   ", "Bearer", "Bearer ", "bearer   ", "Basic dXNlcjpwYXNz", "Token eyJabc"] {
            let error = access_token_from_authorization(value).expect_err(value);
            assert!(matches!(error, ServiceError::Unauthenticated(_)), "authorization {value:?}");
        }
    }

    #[test]
    fn messages_do_not_repeat_value() {
        let error = access_token_from_authorization("Basic dXNlcjpwYXNz").expect_err("unsupported scheme");
        let message = error.to_string();
        assert!(message.contains("unsupported scheme"), "{message}");
        assert!(!message.contains("dXNlcjpwYXNz"), "{message}");
    }
}
