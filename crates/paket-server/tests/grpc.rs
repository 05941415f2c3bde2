//! gRPC over the same listener: a tonic client lists the same licenses as
//! REST, and the health service answers.

#![allow(clippy::unwrap_used)]

#[macro_use]
mod common;

use chrono::DateTime;
use common::{Backend, TestServer};
use paket_grpc::generated::paket::v1::entitlements_client::EntitlementsClient;
use paket_grpc::generated::paket::v1::{IntervalUnit, ItemStatus, LicenseType, ListLicensesRequest, RenewStatus};
use serde_json::Value;
use tonic::Code;
use tonic::metadata::MetadataValue;

async fn client(server: &TestServer) -> EntitlementsClient<tonic::transport::Channel> {
    EntitlementsClient::connect(server.base.clone()).await.unwrap()
}

fn request(authorization: &str) -> tonic::Request<ListLicensesRequest> {
    let mut request = tonic::Request::new(ListLicensesRequest {});
    request.metadata_mut().insert("authorization", MetadataValue::try_from(authorization).unwrap());
    request
}

fn timestamp_text(timestamp: Option<prost_types::Timestamp>) -> String {
    let timestamp = timestamp.unwrap();
    let instant = DateTime::from_timestamp(timestamp.seconds, u32::try_from(timestamp.nanos).unwrap()).unwrap();
    instant.to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
}

on_both_backends! {
    async fn grpc_lists_same_licenses(server: &TestServer) {
        let tokens = server.demo_tokens().await;
        let access_token = tokens["access_token"].as_str().unwrap();
        let rest: Value = server.get_with("/v1/licenses", access_token).await.json().await.unwrap();

        let mut client = client(server).await;
        for authorization in [access_token.to_owned(), format!("Bearer {access_token}")] {
            let response = client.list_licenses(request(&authorization)).await.unwrap().into_inner();
            assert_eq!(response.plan_id, rest["plan_id"].as_str().unwrap());
            assert_eq!(response.client_id, rest["client_id"].as_str().unwrap());
            let rest_items = rest["items"].as_array().unwrap();
            assert_eq!(response.items.len(), rest_items.len());

            for (entry, rest_entry) in response.items.into_iter().zip(rest_items) {
                let item = entry.item.unwrap();
                let license = entry.license.unwrap();
                let rest_item = &rest_entry["item"];
                let rest_license = &rest_entry["license"];
                assert_eq!(item.license_type, LicenseType::Single as i32);
                assert_eq!(item.status, ItemStatus::Active as i32);
                assert_eq!(item.renew_status, RenewStatus::Renew as i32);
                assert_eq!(item.interval_unit, IntervalUnit::Months as i32);
                assert_eq!(item.name, rest_item["name"].as_str().unwrap());
                assert_eq!(u64::from(item.interval_length), rest_item["interval_length"].as_u64().unwrap());
                assert_eq!(timestamp_text(item.renews_on), rest_item["renews_on"].as_str().unwrap());
                assert_eq!(timestamp_text(item.billing_cycle_anchor), rest_item["billing_cycle_anchor"].as_str().unwrap());
                assert_eq!(timestamp_text(item.date_added), rest_item["date_added"].as_str().unwrap());
                assert_eq!(item.trial, rest_item["trial"].as_bool().unwrap());
                assert_eq!(u64::from(item.trial_duration), rest_item["trial_duration"].as_u64().unwrap());
                assert_eq!(u64::from(item.trial_reset), rest_item["trial_reset"].as_u64().unwrap());
                assert_eq!(license.id, rest_license["id"].as_str().unwrap());
                assert_eq!(license.internal_id, rest_license["internal_id"].as_str().unwrap());
                assert_eq!(license.name, rest_license["name"].as_str().unwrap());
                assert_eq!(license.description, rest_license["description"].as_str().unwrap());
                assert_eq!(i64::from(license.rank), rest_license["rank"].as_i64().unwrap());
                let locales: Vec<Value> = license
                    .locales
                    .iter()
                    .map(|locale| serde_json::json!({"name": locale.name, "country_code": locale.country_code}))
                    .collect();
                assert_eq!(&Value::Array(locales), &rest_license["locales"]);
            }
        }
    }

    async fn grpc_rejects_invalid_tokens(server: &TestServer) {
        let mut client = client(server).await;

        let status = client.list_licenses(request("Bearer not-a-token")).await.unwrap_err();
        assert_eq!(status.code(), Code::Unauthenticated);
        assert!(status.message().contains("invalid"), "{}", status.message());

        let status = client.list_licenses(tonic::Request::new(ListLicensesRequest {})).await.unwrap_err();
        assert_eq!(status.code(), Code::Unauthenticated, "missing metadata");

        let tokens = server.demo_tokens().await;
        server.clock.advance(3600);
        let status = client.list_licenses(request(tokens["access_token"].as_str().unwrap())).await.unwrap_err();
        assert_eq!(status.code(), Code::Unauthenticated);
        assert!(status.message().contains("expired"), "{}", status.message());
    }

    async fn grpc_health_serving(server: &TestServer) {
        use tonic_health::pb::health_check_response::ServingStatus;
        use tonic_health::pb::health_client::HealthClient;
        use tonic_health::pb::HealthCheckRequest;

        let channel = tonic::transport::Channel::from_shared(server.base.clone()).unwrap().connect().await.unwrap();
        let mut health = HealthClient::new(channel);
        for service in ["", "paket.v1.Entitlements"] {
            let response = health.check(HealthCheckRequest { service: service.into() }).await.unwrap().into_inner();
            assert_eq!(response.status, ServingStatus::Serving as i32, "{service:?}");
        }
        let unknown = health.check(HealthCheckRequest { service: "no.such.Service".into() }).await.unwrap_err();
        assert_eq!(unknown.code(), Code::NotFound);
    }
}
