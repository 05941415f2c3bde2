//! `paket.v1.Entitlements`: the gRPC form of GET /v1/licenses.

use std::sync::Arc;

use paket_service::{PaketService, access_token_from_authorization};
use tonic::metadata::MetadataMap;
use tonic::{Request, Response, Status};

use crate::convert::list_licenses_response;
use crate::error::status_from;
use crate::generated::paket::v1::entitlements_server::Entitlements;
use crate::generated::paket::v1::{ListLicensesRequest, ListLicensesResponse};

/// The gRPC metadata key of the access token. gRPC sends metadata as HTTP/2
/// headers, whose names are lowercase.
const AUTHORIZATION: &str = "authorization";

#[derive(Debug)]
pub(crate) struct EntitlementsService {
    service: Arc<dyn PaketService>,
}

impl EntitlementsService {
    pub(crate) fn new(service: Arc<dyn PaketService>) -> Self {
        EntitlementsService { service }
    }
}

#[tonic::async_trait]
impl Entitlements for EntitlementsService {
    #[tracing::instrument(skip_all, fields(client_id = tracing::field::Empty, user_id = tracing::field::Empty))]
    async fn list_licenses(&self, request: Request<ListLicensesRequest>) -> Result<Response<ListLicensesResponse>, Status> {
        let token = access_token(request.metadata())?;

        let caller = self.service.authenticate(token).await.map_err(status_from)?;
        let span = tracing::Span::current();
        span.record("client_id", caller.client_id.as_str());
        span.record("user_id", caller.user_id.as_str());

        // The REST API returns 204 when the user has no items. gRPC has no
        // such status, so the response is empty, as the proto documents.
        let response = match self.service.list_licenses(&caller).await.map_err(status_from)? {
            Some(list) => list_licenses_response(list),
            None => ListLicensesResponse::default(),
        };
        Ok(Response::new(response))
    }
}

/// Reads the access token from the `authorization` metadata.
fn access_token(metadata: &MetadataMap) -> Result<&str, Status> {
    let value = metadata
        .get(AUTHORIZATION)
        .ok_or_else(|| {
            Status::unauthenticated("the authorization metadata is missing: send the access token, bare or as `Bearer <token>`")
        })?
        .to_str()
        .map_err(|_| Status::unauthenticated("the authorization metadata is not visible ASCII text"))?;
    access_token_from_authorization(value).map_err(status_from)
}

#[cfg(test)]
mod tests {
    use tonic::Code;
    use tonic::metadata::MetadataValue;

    use super::*;

    fn metadata(value: &'static str) -> MetadataMap {
        let mut metadata = MetadataMap::new();
        metadata.insert(AUTHORIZATION, MetadataValue::from_static(value));
        metadata
    }

    #[test]
    fn metadata_token_read() {
        let metadata = metadata("Bearer eyJabc");
        assert_eq!(access_token(&metadata).ok(), Some("eyJabc"));
    }

    #[test]
    fn missing_token_is_unauthenticated() {
        let status = access_token(&MetadataMap::new()).err();

        assert_eq!(status.as_ref().map(Status::code), Some(Code::Unauthenticated));
        let message = status.map(|status| status.message().to_owned()).unwrap_or_default();
        assert!(message.contains("authorization metadata is missing"), "{message}");
    }

    #[test]
    fn unsupported_scheme_is_unauthenticated() {
        let metadata = metadata("Basic dXNlcjpwYXNz");
        let status = access_token(&metadata).err();
        assert_eq!(status.as_ref().map(Status::code), Some(Code::Unauthenticated));
    }
}
