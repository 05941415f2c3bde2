//! Paket's gRPC front end: the `paket.v1.Entitlements` service of
//! proto/paket/v1/entitlements.proto, mapped onto [`PaketService`], and the
//! standard gRPC health service.
//!
//! [`routes`] returns an axum router, so the server can serve gRPC and the
//! REST API on one listener.

mod convert;
mod entitlements;
mod error;

// The generated code is formatted by prettyplease and compared byte for byte
// by `cargo xtask codegen --check`, so rustfmt must leave it alone.
#[rustfmt::skip]
pub mod generated;

use std::sync::Arc;

use paket_service::PaketService;
use tonic::service::Routes;
use tonic_health::ServingStatus;
use tonic_health::pb::health_server::HealthServer;
use tonic_health::server::{HealthReporter, HealthService};

use crate::entitlements::EntitlementsService;
use crate::generated::paket::v1::entitlements_server::{EntitlementsServer, SERVICE_NAME};

/// Builds the router that serves `paket.v1.Entitlements` and
/// `grpc.health.v1.Health` over HTTP/2, both backed by `service`.
///
/// The router has no fallback of its own, so it can be merged into a router
/// that has one. A call to any other gRPC service then gets that router's
/// fallback response, which a gRPC client reports as an error status.
pub async fn routes(service: Arc<dyn PaketService>) -> axum::Router {
    let entitlements = EntitlementsServer::new(EntitlementsService::new(service));
    let health = HealthServer::new(health_service().await);

    Routes::new(entitlements).add_service(health).into_axum_router().reset_fallback()
}

/// Builds a health service that reports the whole server ("") and
/// `paket.v1.Entitlements` as SERVING. Neither status changes while the
/// process runs.
async fn health_service() -> HealthService {
    let reporter = HealthReporter::new();
    for name in ["", SERVICE_NAME] {
        reporter.set_service_status(name, ServingStatus::Serving).await;
    }
    HealthService::from_health_reporter(reporter)
}

#[cfg(test)]
mod tests {
    use std::error::Error;

    use paket_service::{Paket, Settings, SystemClock};
    use paket_store::{PoolOptions, Store};
    use tonic::{Code, Request};
    use tonic_health::pb::health_check_response::ServingStatus as WireStatus;
    use tonic_health::pb::health_client::HealthClient;
    use tonic_health::pb::HealthCheckRequest;

    use super::*;
    use crate::generated::paket::v1::ListLicensesRequest;
    use crate::generated::paket::v1::entitlements_client::EntitlementsClient;

    type TestResult = Result<(), Box<dyn Error>>;

    /// Builds the router over the real service and a fresh SQLite file. The
    /// clients call the router in-process, without a socket.
    async fn router(dir: &tempfile::TempDir) -> Result<axum::Router, Box<dyn Error>> {
        let url = format!("sqlite://{}", dir.path().join("paket.db").display());
        let store = Store::open(&url, &PoolOptions::default())?;
        store.migrate()?;
        let service = Paket::new(Arc::new(store), Settings::new("http://127.0.0.1"), Arc::new(SystemClock))?;
        Ok(routes(Arc::new(service)).await)
    }

    #[tokio::test]
    async fn health_reports_serving() -> TestResult {
        let dir = tempfile::tempdir()?;
        let mut client = HealthClient::new(router(&dir).await?);

        for service in ["", "paket.v1.Entitlements"] {
            let response = client.check(HealthCheckRequest { service: service.into() }).await?;
            assert_eq!(response.into_inner().status(), WireStatus::Serving, "health of {service:?}");
        }
        let unknown = client.check(HealthCheckRequest { service: "paket.v1.Unknown".into() }).await;
        assert_eq!(unknown.err().map(|status| status.code()), Some(Code::NotFound));
        Ok(())
    }

    #[tokio::test]
    async fn list_licenses_requires_token() -> TestResult {
        let dir = tempfile::tempdir()?;
        let mut client = EntitlementsClient::new(router(&dir).await?);

        let missing = client.list_licenses(ListLicensesRequest {}).await;
        let status = missing.err().ok_or("a call without a token succeeded")?;
        assert_eq!(status.code(), Code::Unauthenticated);
        assert!(status.message().contains("authorization metadata is missing"), "{}", status.message());

        let mut invalid = Request::new(ListLicensesRequest {});
        invalid.metadata_mut().insert("authorization", "Bearer not-a-jwt".parse()?);
        let status = client.list_licenses(invalid).await.err().ok_or("a call with an invalid token succeeded")?;
        assert_eq!(status.code(), Code::Unauthenticated);
        Ok(())
    }
}
