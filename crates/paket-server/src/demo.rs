//! `paket demo`: seeds a small catalog and a user so that the sign-in and
//! /v1/licenses can be tried at once.

use std::sync::Arc;

use anyhow::Context;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use paket_domain::plan_item::{IntervalUnit, ItemStatus, LicenseType};
use paket_domain::status::CatalogStatus;
use paket_service::{NewClient, NewLicense, NewPlanItem, NewUser, PaketService, SystemClock};
use paket_store::Store;
use serde::Serialize;

/// Redirect URI of the demo client. Nothing needs to listen on this loopback
/// address, because the walk-through reads the code from the `Location` header.
pub const DEMO_REDIRECT_URI: &str = "http://127.0.0.1:8765/callback";

/// Ids and credentials of the demo data, printed as JSON.
#[derive(Debug, Clone, Serialize)]
pub struct DemoData {
    pub client_id: String,
    pub redirect_uri: String,
    pub email: String,
    pub password: String,
    pub user_id: String,
    pub plan_id: String,
    pub company_id: String,
    pub app_id: String,
    /// Both licenses, highest rank first; the user holds the first.
    pub license_ids: Vec<String>,
    pub issuer: String,
}

/// Creates the demo data through the service, as an operator would.
pub async fn seed(store: Arc<Store>, issuer: String) -> anyhow::Result<DemoData> {
    let service_issuer = issuer.clone();
    let service = tokio::task::spawn_blocking(move || crate::build_service(store, service_issuer, Arc::new(SystemClock)))
        .await
        .context("the start-up task failed")??;
    seed_with(&service, issuer).await
}

/// Creates the demo data with an existing service.
pub async fn seed_with(service: &dyn PaketService, issuer: String) -> anyhow::Result<DemoData> {
    let company_id = service.create_company("Kidstream Media".into()).await?;
    let app_id = service
        .create_app(company_id.clone(), "Kidstream".into(), "Cartoons and stories for children".into())
        .await?;
    for status in [CatalogStatus::Pending, CatalogStatus::Live] {
        service.move_app(app_id.clone(), status).await?;
    }

    let license = |internal_id: &str, name: &str, description: &str, rank: i32| NewLicense {
        app_id: app_id.clone(),
        internal_id: internal_id.into(),
        name: name.into(),
        description: description.into(),
        rank,
        interval_length: 1,
        interval_unit: IntervalUnit::Months,
        trial_duration_days: 7,
        trial_reset_days: 365,
        price_tier: Some(3),
        countries: vec!["US".into(), "CA".into(), "GB".into()],
        test_mode: false,
    };
    let mut license_ids = Vec::new();
    for new in [
        license("KS-NOADS", "No Ads", "Monthly access to Kidstream without ads", 10),
        license("KS-LIMITED", "Limited Ads", "Monthly access to Kidstream with limited ads", 0),
    ] {
        let id = service.create_license(new).await?;
        for status in [CatalogStatus::Pending, CatalogStatus::Live] {
            service.move_license(id.clone(), status).await?;
        }
        license_ids.push(id);
    }

    let client = service
        .create_client(NewClient {
            app_id: app_id.clone(),
            name: "Kidstream Web".into(),
            platform: "web".into(),
            redirect_uris: vec![DEMO_REDIRECT_URI.into()],
            logout_uris: vec!["http://127.0.0.1:8765/signed-out".into()],
            confidential: false,
            pkce_required: true,
            first_party: false,
            test_mode: false,
            refresh_token_ttl_seconds: 30 * 24 * 3600,
            rotate_refresh_tokens: false,
        })
        .await?;

    // A fresh address and password each run, so the demo can seed one
    // database more than once.
    let suffix = random_text(6)?.to_lowercase();
    let email = format!("viewer-{suffix}@kidstream.example");
    let password = random_text(18)?;
    let user = service
        .create_user(NewUser { email: email.clone(), password: password.clone(), name: "Demo Viewer".into(), country_code: "US".into() })
        .await?;

    service
        .add_plan_item(NewPlanItem {
            user_id: user.user_id.clone(),
            license_id: license_ids[0].clone(),
            license_type: LicenseType::Single,
            status: ItemStatus::Active,
            date_added: chrono::Utc::now(),
            trial: false,
            cancelled_at: None,
        })
        .await?;

    Ok(DemoData {
        client_id: client.client_id,
        redirect_uri: DEMO_REDIRECT_URI.into(),
        email,
        password,
        user_id: user.user_id,
        plan_id: user.plan_id,
        company_id,
        app_id,
        license_ids,
        issuer,
    })
}

fn random_text(bytes: usize) -> anyhow::Result<String> {
    use ring::rand::SecureRandom;
    let mut buffer = vec![0u8; bytes];
    ring::rand::SystemRandom::new()
        .fill(&mut buffer)
        .map_err(|_| anyhow::anyhow!("the system random generator failed"))?;
    Ok(URL_SAFE_NO_PAD.encode(buffer).replace(['-', '_'], "x"))
}
