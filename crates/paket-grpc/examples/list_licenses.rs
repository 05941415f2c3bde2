//! Calls `paket.v1.Entitlements/ListLicenses` and prints the licenses.
//!
//! Usage: `cargo run -p paket-grpc --example list_licenses -- URL ACCESS_TOKEN`,
//! for example `http://127.0.0.1:8080` and the access token of a sign-in.

use std::process::ExitCode;

use paket_grpc::generated::paket::v1::ListLicensesRequest;
use paket_grpc::generated::paket::v1::entitlements_client::EntitlementsClient;
use tonic::metadata::MetadataValue;

#[tokio::main]
async fn main() -> ExitCode {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    let [url, access_token] = arguments.as_slice() else {
        eprintln!("usage: list_licenses URL ACCESS_TOKEN");
        return ExitCode::from(2);
    };

    match list(url, access_token).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn list(url: &str, access_token: &str) -> Result<(), Box<dyn std::error::Error>> {
    let mut client = EntitlementsClient::connect(url.to_owned()).await?;
    let mut request = tonic::Request::new(ListLicensesRequest {});
    request.metadata_mut().insert("authorization", MetadataValue::try_from(format!("Bearer {access_token}"))?);

    let response = client.list_licenses(request).await?.into_inner();
    println!("plan_id: {}", response.plan_id);
    println!("client_id: {}", response.client_id);
    for entry in response.items {
        let (Some(item), Some(license)) = (entry.item, entry.license) else {
            continue;
        };
        let renews_on = item.renews_on.map_or(0, |timestamp| timestamp.seconds);
        println!(
            "- {} {} ({}), rank {}: {} {}, renews_on {} (Unix seconds)",
            license.internal_id,
            license.name,
            license.id,
            license.rank,
            item.status().as_str_name(),
            item.renew_status().as_str_name(),
            renews_on,
        );
    }
    Ok(())
}
