//! Paket's HTTP front end (axum): the OAuth 2.0 / OpenID Connect endpoints
//! with Paket's sign-in page, and the /v1 entitlement API.
//!
//! Handlers parse the wire format, build the caller, call one
//! `PaketService` method and map the result; no business rule lives here.

mod authorize;
mod discovery;
mod error;
mod licenses;
mod page;
mod token;

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};
use paket_service::PaketService;

pub use error::ApiError;

/// Shared handler state.
#[derive(Debug, Clone)]
pub struct AppState {
    pub service: Arc<dyn PaketService>,
}

/// Builds the router of every REST endpoint, with JSON 404 and 405 responses.
pub fn router(service: Arc<dyn PaketService>) -> Router {
    Router::new()
        .route("/oauth2/authorize", get(authorize::show).post(authorize::submit))
        .route("/oauth2/token", post(token::token))
        .route("/oauth2/authorization", post(token::refresh_alias))
        .route("/v1/licenses", get(licenses::list))
        .route("/licenses", get(licenses::list))
        .route("/v1/subscriptions", get(licenses::list))
        .route("/.well-known/openid-configuration", get(discovery::openid_configuration))
        .route("/.well-known/jwks.json", get(discovery::jwks))
        .route("/healthz", get(discovery::health))
        .fallback(error::not_found)
        .method_not_allowed_fallback(error::method_not_allowed)
        .with_state(AppState { service })
}
