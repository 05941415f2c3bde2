//! Discovery documents and the liveness probe.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::IntoResponse;

use crate::AppState;

/// GET /.well-known/openid-configuration
pub async fn openid_configuration(State(state): State<AppState>) -> impl IntoResponse {
    Json(state.service.openid_configuration())
}

/// GET /.well-known/jwks.json: the public keys that verify Paket's tokens.
pub async fn jwks(State(state): State<AppState>) -> impl IntoResponse {
    // Short caching lets verifiers pick up a new key within minutes.
    ([(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=300"))], Json(state.service.jwks()))
}

/// GET /healthz: returns 200 while the process serves HTTP. It does not touch the database.
pub async fn health() -> impl IntoResponse {
    Json(serde_json::json!({ "status": "ok" }))
}
