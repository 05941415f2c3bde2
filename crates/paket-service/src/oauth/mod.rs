//! OAuth 2.0 and OpenID Connect: the authorization endpoint, the token
//! endpoint with one module per grant, and discovery.

pub mod authorization_code;
pub mod authorize;
pub mod client_auth;
pub mod discovery;
pub mod refresh_token;
pub mod scope;
pub mod token;
