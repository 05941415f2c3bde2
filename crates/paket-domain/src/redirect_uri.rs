//! Redirect and logout URI rules.
//!
//! Matching is exact string comparison (RFC 9700 §4.1.3): no normalisation,
//! no prefix or wildcard matching, so `https://a.example/cb` does not match
//! `https://a.example/cb/` or `HTTPS://a.example/cb`.

/// Reason a URI cannot be registered as a callback.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RedirectUriError {
    #[error("redirect URI {0:?} is not an absolute URI")]
    NotAbsolute(String),
    #[error("redirect URI {0:?} must not contain a fragment")]
    Fragment(String),
    #[error("redirect URI {0:?} uses plain http on a host other than loopback: use https")]
    InsecureHttp(String),
    #[error("redirect URI {0:?} is longer than {MAX_URI_LENGTH} characters")]
    TooLong(String),
}

/// Longest accepted callback URI.
pub const MAX_URI_LENGTH: usize = 2000;

/// Returns whether `requested` equals one of the registered URIs exactly.
pub fn is_registered<'a>(requested: &str, registered: impl IntoIterator<Item = &'a str>) -> bool {
    registered.into_iter().any(|uri| uri == requested)
}

/// Checks a URI before it is registered: absolute, no fragment (RFC 6749
/// §3.1.2), and https unless the host is loopback. Private-use schemes
/// such as `com.example.app:/callback` are allowed for native apps (RFC 8252 §7.1).
pub fn check_registrable(uri: &str) -> Result<(), RedirectUriError> {
    if uri.len() > MAX_URI_LENGTH {
        return Err(RedirectUriError::TooLong(uri.chars().take(64).collect()));
    }
    let Some((scheme, rest)) = uri.split_once(':') else {
        return Err(RedirectUriError::NotAbsolute(uri.to_owned()));
    };
    let scheme_ok = scheme
        .chars()
        .next()
        .is_some_and(|first| first.is_ascii_alphabetic())
        && scheme.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if !scheme_ok || rest.is_empty() || uri.chars().any(char::is_whitespace) {
        return Err(RedirectUriError::NotAbsolute(uri.to_owned()));
    }
    if uri.contains('#') {
        return Err(RedirectUriError::Fragment(uri.to_owned()));
    }

    if scheme.eq_ignore_ascii_case("http") && !is_loopback_authority(rest) {
        return Err(RedirectUriError::InsecureHttp(uri.to_owned()));
    }
    Ok(())
}

fn is_loopback_authority(after_scheme: &str) -> bool {
    let Some(authority) = after_scheme.strip_prefix("//") else {
        return false;
    };
    let authority = authority.split(['/', '?']).next().unwrap_or_default();
    let host_port = authority.rsplit('@').next().unwrap_or_default();
    let host = if let Some(bracketed) = host_port.strip_prefix('[') {
        bracketed.split(']').next().unwrap_or_default()
    } else {
        host_port.split(':').next().unwrap_or_default()
    };
    host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    const REGISTERED: [&str; 2] = ["https://app.example/callback", "com.example.tv:/oauth"];

    #[test]
    fn exact_match_only() {
        assert!(is_registered("https://app.example/callback", REGISTERED));
        assert!(is_registered("com.example.tv:/oauth", REGISTERED));
        for near_miss in [
            "https://app.example/callback/",
            "https://app.example/callback?x=1",
            "HTTPS://app.example/callback",
            "https://app.example/Callback",
            "https://app.example/callback#",
            "https://app.example:443/callback",
            "https://app.example/callbac",
        ] {
            assert!(!is_registered(near_miss, REGISTERED), "{near_miss}");
        }
    }

    #[test]
    fn registrable_uris() {
        assert_eq!(check_registrable("https://app.example/cb"), Ok(()));
        assert_eq!(check_registrable("http://127.0.0.1:9000/cb"), Ok(()));
        assert_eq!(check_registrable("http://[::1]:9000/cb"), Ok(()));
        assert_eq!(check_registrable("http://localhost/cb"), Ok(()));
        assert_eq!(check_registrable("com.example.app:/cb"), Ok(()));
    }

    #[test]
    fn unregistrable_uris() {
        assert!(matches!(check_registrable("/relative"), Err(RedirectUriError::NotAbsolute(_))));
        assert!(matches!(check_registrable("https://a.example/cb#x"), Err(RedirectUriError::Fragment(_))));
        assert!(matches!(check_registrable("http://a.example/cb"), Err(RedirectUriError::InsecureHttp(_))));
        assert!(matches!(
            check_registrable("http://127.0.0.1.evil.example/cb"),
            Err(RedirectUriError::InsecureHttp(_))
        ));
        assert!(matches!(check_registrable("https://a b/cb"), Err(RedirectUriError::NotAbsolute(_))));
    }
}
