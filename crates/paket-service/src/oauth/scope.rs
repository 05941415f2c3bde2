//! Scope parsing.

/// Scopes Paket grants; others in a request are ignored (RFC 6749 §3.3
/// lets the server grant fewer scopes than requested).
pub const SUPPORTED: [&str; 4] = ["openid", "profile", "email", "offline_access"];

/// Normalises a requested scope: supported scopes only, `openid` always
/// included, in the order of [`SUPPORTED`], space-separated.
pub fn normalise(requested: Option<&str>) -> String {
    let requested: Vec<&str> = requested.unwrap_or_default().split(' ').collect();
    SUPPORTED
        .iter()
        .filter(|scope| **scope == "openid" || requested.contains(scope))
        .copied()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Returns whether every scope of `narrower` is in `wider`.
pub fn is_subset(narrower: &str, wider: &str) -> bool {
    let wider: Vec<&str> = wider.split(' ').collect();
    narrower.split(' ').filter(|scope| !scope.is_empty()).all(|scope| wider.contains(&scope))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openid_always_granted() {
        assert_eq!(normalise(None), "openid");
        assert_eq!(normalise(Some("email")), "openid email");
        assert_eq!(normalise(Some("offline_access profile openid unknown")), "openid profile offline_access");
    }

    #[test]
    fn subset_check() {
        assert!(is_subset("openid", "openid email"));
        assert!(!is_subset("openid profile", "openid email"));
    }
}
