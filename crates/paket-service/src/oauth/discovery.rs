//! OpenID Provider metadata.

use crate::Settings;
use crate::types::OpenIdConfiguration;

pub fn configuration(settings: &Settings) -> OpenIdConfiguration {
    let issuer = &settings.issuer;
    OpenIdConfiguration {
        issuer: issuer.clone(),
        authorization_endpoint: format!("{issuer}/oauth2/authorize"),
        token_endpoint: format!("{issuer}/oauth2/token"),
        jwks_uri: format!("{issuer}/.well-known/jwks.json"),
        response_types_supported: vec!["code"],
        grant_types_supported: vec!["authorization_code", "refresh_token"],
        subject_types_supported: vec!["public"],
        id_token_signing_alg_values_supported: vec![crate::keys::ALGORITHM_NAME],
        token_endpoint_auth_methods_supported: vec!["none", "client_secret_basic", "client_secret_post"],
        code_challenge_methods_supported: vec!["S256"],
        scopes_supported: super::scope::SUPPORTED.to_vec(),
        claims_supported: vec!["iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "email", "email_verified", "name"],
        authorization_response_iss_parameter_supported: true,
    }
}
