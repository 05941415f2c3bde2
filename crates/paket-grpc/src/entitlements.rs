//! `paket.v1.Entitlements`: the gRPC form of GET /v1/licenses.

use std::sync::Arc;

use paket_service::PaketService;
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
            Some(list) => list_licenses_response(list).map_err(status_from)?,
            None => ListLicensesResponse::default(),
        };
        Ok(Response::new(response))
    }
}

/// Reads the access token from the `authorization` metadata, either bare or
/// after the `Bearer` scheme of RFC 6750 §2.1, whose name is case-insensitive.
///
/// The error messages never repeat the metadata value, which may be a token.
fn access_token(metadata: &MetadataMap) -> Result<&str, Status> {
    let value = metadata
        .get(AUTHORIZATION)
        .ok_or_else(|| {
            Status::unauthenticated("the authorization metadata is missing: send the access token, bare or as `Bearer <token>`")
        })?
        .to_str()
        .map_err(|_| Status::unauthenticated("the authorization metadata is not visible ASCII text"))?
        .trim();

    let token = match value.split_once(|c: char| c.is_ascii_whitespace()) {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim(),
        Some(_) => {
            return Err(Status::unauthenticated(
                "the authorization metadata has an unsupported scheme: send the access token, bare or as `Bearer <token>`",
            ));
        }
        // `Bearer` with nothing after it is a scheme without a token, not a bare token.
        None if value.eq_ignore_ascii_case("bearer") => "",
        None => value,
    };
    if token.is_empty() {
        return Err(Status::unauthenticated("the authorization metadata contains no access token"));
    }
    Ok(token)
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
            let metadata = metadata(value);
            assert_eq!(access_token(&metadata).ok(), Some(expected), "authorization {value:?}");
        }
    }

    #[test]
    fn missing_token_is_unauthenticated() {
        let status = access_token(&MetadataMap::new()).err();

        assert_eq!(status.as_ref().map(Status::code), Some(Code::Unauthenticated));
        let message = status.map(|status| status.message().to_owned()).unwrap_or_default();
        assert!(message.contains("authorization metadata is missing"), "{message}");
    }

    #[test]
    fn unusable_values_are_unauthenticated() {
        for value in ["", "   ", "Bearer", "Bearer ", "bearer   ", "Basic dXNlcjpwYXNz", "Token eyJabc"] {
            let metadata = metadata(value);
            let status = access_token(&metadata).err();
            assert_eq!(status.as_ref().map(Status::code), Some(Code::Unauthenticated), "authorization {value:?}");
        }
    }

    #[test]
    fn messages_do_not_repeat_the_value() {
        let metadata = metadata("Basic dXNlcjpwYXNz");

        let message = access_token(&metadata).err().map(|status| status.message().to_owned()).unwrap_or_default();

        assert!(message.contains("unsupported scheme"), "{message}");
        assert!(!message.contains("dXNlcjpwYXNz"), "{message}");
    }
}
