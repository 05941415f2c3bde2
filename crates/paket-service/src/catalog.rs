//! Operator operations on the catalog, users and plans.

use chrono::Duration;
use paket_domain::calendar;
use paket_domain::country;
use paket_domain::ids::client_id_from_random;
use paket_domain::plan_item::{BillingInterval, ItemStatus, RenewStatus};
use paket_domain::redirect_uri;
use paket_domain::status::CatalogStatus;
use paket_store::catalog::{self as catalog_queries, AppRow, ClientRow, CompanyRow, LicenseRow};
use paket_store::users::{self as user_queries, PlanItemRow, PlanRow, UserRow};
use paket_store::StoreError;
use uuid::Uuid;

use crate::secrets::{hash_password, new_token, random_bytes, token_hash};
use crate::types::{CreatedClient, CreatedUser, NewClient, NewLicense, NewPlanItem, NewUser};
use crate::{Inner, ServiceError};

/// Longest accepted name or description, in characters.
const MAX_TEXT: usize = 4000;
/// Shortest accepted password, in characters (NIST SP 800-63B §3.1.1.2).
const MIN_PASSWORD: usize = 8;
/// Longest accepted password, in bytes; argon2 input beyond this only costs time.
const MAX_PASSWORD: usize = 1024;

fn invalid(message: impl Into<String>) -> ServiceError {
    ServiceError::InvalidInput(message.into())
}

fn check_text(field: &str, value: &str, required: bool) -> Result<(), ServiceError> {
    if required && value.trim().is_empty() {
        return Err(invalid(format!("{field} must not be empty")));
    }
    if value.chars().count() > MAX_TEXT {
        return Err(invalid(format!("{field} is longer than {MAX_TEXT} characters")));
    }
    Ok(())
}

pub fn create_company(inner: &Inner, name: &str) -> Result<String, ServiceError> {
    check_text("name", name, true)?;
    let row = CompanyRow { id: Uuid::new_v4().to_string(), name: name.trim().to_owned(), created_at: inner.clock.now().timestamp() };
    inner.store.write(|conn| catalog_queries::insert_company(conn, &row))?;
    Ok(row.id)
}

pub fn create_app(inner: &Inner, company_id: &str, name: &str, description: &str) -> Result<String, ServiceError> {
    check_text("name", name, true)?;
    check_text("description", description, false)?;
    let row = AppRow {
        id: Uuid::new_v4().to_string(),
        company_id: company_id.to_owned(),
        name: name.trim().to_owned(),
        description: description.to_owned(),
        status: CatalogStatus::Draft.as_str().to_owned(),
        created_at: inner.clock.now().timestamp(),
    };
    inner.store.write(|conn| catalog_queries::insert_app(conn, &row)).map_err(|error| match error {
        StoreError::Conflict(_) => ServiceError::NotFound(format!("company {company_id} not found")),
        other => other.into(),
    })?;
    Ok(row.id)
}

pub fn move_app(inner: &Inner, app_id: &str, to: CatalogStatus) -> Result<(), ServiceError> {
    inner.store.write(|conn| {
        let Some(app) = catalog_queries::find_app(conn, app_id)? else {
            return Ok(Err(ServiceError::NotFound(format!("app {app_id} not found"))));
        };
        let from = parse_status(&app.status)?;
        if let Err(error) = from.check_move(to) {
            return Ok(Err(ServiceError::Conflict(format!("app {app_id}: {error}"))));
        }
        catalog_queries::set_app_status(conn, app_id, to.as_str())?;
        Ok(Ok(()))
    })?
}

pub fn create_license(inner: &Inner, license: &NewLicense) -> Result<String, ServiceError> {
    check_text("name", &license.name, true)?;
    check_text("internal_id", &license.internal_id, true)?;
    check_text("description", &license.description, false)?;
    BillingInterval::new(license.interval_length, license.interval_unit).map_err(|error| invalid(error.to_string()))?;
    let mut countries = Vec::with_capacity(license.countries.len());
    for code in &license.countries {
        let country = country::parse(code).map_err(|error| invalid(error.to_string()))?;
        if !countries.iter().any(|known: &String| known == country.code) {
            countries.push(country.code.to_owned());
        }
    }
    let as_i32 = |field: &str, value: u32| i32::try_from(value).map_err(|_| invalid(format!("{field} is too large")));

    let row = LicenseRow {
        id: Uuid::new_v4().to_string(),
        app_id: license.app_id.clone(),
        internal_id: license.internal_id.trim().to_owned(),
        name: license.name.trim().to_owned(),
        description: license.description.clone(),
        rank: license.rank,
        status: CatalogStatus::Draft.as_str().to_owned(),
        test_mode: license.test_mode,
        interval_length: as_i32("interval_length", license.interval_length)?,
        interval_unit: license.interval_unit.as_str().to_owned(),
        trial_duration_days: as_i32("trial_duration_days", license.trial_duration_days)?,
        trial_reset_days: as_i32("trial_reset_days", license.trial_reset_days)?,
        price_tier: license.price_tier.map(|tier| as_i32("price_tier", tier)).transpose()?,
        created_at: inner.clock.now().timestamp(),
    };
    inner.store.write(|conn| {
        if catalog_queries::find_app(conn, &row.app_id)?.is_none() {
            return Ok(Err(ServiceError::NotFound(format!("app {} not found", row.app_id))));
        }
        catalog_queries::insert_license(conn, &row, &countries)?;
        Ok(Ok(()))
    })??;
    Ok(row.id)
}

pub fn move_license(inner: &Inner, license_id: &str, to: CatalogStatus) -> Result<(), ServiceError> {
    inner.store.write(|conn| {
        let Some(license) = catalog_queries::find_license(conn, license_id)? else {
            return Ok(Err(ServiceError::NotFound(format!("license {license_id} not found"))));
        };
        let from = parse_status(&license.status)?;
        if let Err(error) = from.check_move(to) {
            return Ok(Err(ServiceError::Conflict(format!("license {license_id}: {error}"))));
        }
        // Deploying needs a complete license: a price tier and at least one country.
        if to == CatalogStatus::Pending {
            if license.price_tier.is_none() {
                return Ok(Err(ServiceError::Conflict(format!("license {license_id} cannot be deployed: it has no price tier"))));
            }
            if catalog_queries::license_country_codes(conn, license_id)?.is_empty() {
                return Ok(Err(ServiceError::Conflict(format!("license {license_id} cannot be deployed: it is sold in no country"))));
            }
        }
        catalog_queries::set_license_status(conn, license_id, to.as_str())?;
        Ok(Ok(()))
    })?
}

fn parse_status(stored: &str) -> Result<CatalogStatus, StoreError> {
    stored.parse().map_err(|_| StoreError::Database(format!("stored status {stored:?} is invalid")))
}

pub fn create_client(inner: &Inner, client: &NewClient) -> Result<CreatedClient, ServiceError> {
    check_text("name", &client.name, true)?;
    check_text("platform", &client.platform, true)?;
    if client.redirect_uris.is_empty() {
        return Err(invalid("redirect_uris must contain at least one URI"));
    }
    for uri in client.redirect_uris.iter().chain(&client.logout_uris) {
        redirect_uri::check_registrable(uri).map_err(|error| invalid(error.to_string()))?;
    }
    if client.refresh_token_ttl_seconds <= 0 {
        return Err(invalid("refresh_token_ttl_seconds must be positive"));
    }

    let mut random = random_bytes::<64>(&inner.rng)?.into_iter();
    let client_id = client_id_from_random(|| random.next().unwrap_or(0));
    let secret = if client.confidential { Some(new_token(&inner.rng)?) } else { None };
    let row = ClientRow {
        id: client_id.clone(),
        app_id: client.app_id.clone(),
        name: client.name.trim().to_owned(),
        platform: client.platform.trim().to_lowercase(),
        secret_hash: secret.as_deref().map(token_hash),
        pkce_required: client.pkce_required,
        first_party: client.first_party,
        test_mode: client.test_mode,
        refresh_token_ttl_seconds: client.refresh_token_ttl_seconds,
        rotate_refresh_tokens: client.rotate_refresh_tokens,
        created_at: inner.clock.now().timestamp(),
    };
    inner.store.write(|conn| {
        if catalog_queries::find_app(conn, &row.app_id)?.is_none() {
            return Ok(Err(ServiceError::NotFound(format!("app {} not found", row.app_id))));
        }
        catalog_queries::insert_client(conn, &row, &client.redirect_uris, &client.logout_uris)?;
        Ok(Ok(()))
    })??;
    tracing::info!(client_id = %client_id, app_id = %client.app_id, "registered a client");
    Ok(CreatedClient { client_id, client_secret: secret })
}

pub fn create_user(inner: &Inner, user: &NewUser) -> Result<CreatedUser, ServiceError> {
    let email = user.email.trim().to_lowercase();
    let valid_email = email.len() <= 254
        && email.split_once('@').is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.'))
        && !email.chars().any(char::is_whitespace);
    if !valid_email {
        return Err(invalid(format!("email {:?} is not a valid address", user.email)));
    }
    if user.password.chars().count() < MIN_PASSWORD {
        return Err(invalid(format!("password must be at least {MIN_PASSWORD} characters")));
    }
    if user.password.len() > MAX_PASSWORD {
        return Err(invalid(format!("password must be at most {MAX_PASSWORD} bytes")));
    }
    check_text("name", &user.name, true)?;
    let country = country::parse(&user.country_code).map_err(|error| invalid(error.to_string()))?;

    let now = inner.clock.now().timestamp();
    let user_row = UserRow {
        id: Uuid::new_v4().to_string(),
        email,
        password_hash: hash_password(&user.password)?,
        name: user.name.trim().to_owned(),
        country_code: country.code.to_owned(),
        created_at: now,
    };
    let plan_row = PlanRow { id: Uuid::new_v4().to_string(), user_id: user_row.id.clone(), created_at: now };
    inner.store.write(|conn| user_queries::insert_user(conn, &user_row, &plan_row)).map_err(|error| match error {
        StoreError::Conflict(_) => ServiceError::Conflict(format!("a user with email {} already exists", user_row.email)),
        other => other.into(),
    })?;
    Ok(CreatedUser { user_id: user_row.id, plan_id: plan_row.id })
}

pub fn add_plan_item(inner: &Inner, item: &NewPlanItem) -> Result<String, ServiceError> {
    if item.status == ItemStatus::Cancelled && item.cancelled_at.is_none() {
        return Err(invalid("a CANCELLED item needs cancelled_at"));
    }
    let id = Uuid::new_v4().to_string();
    inner.store.write(|conn| {
        let Some(plan) = user_queries::find_plan_of_user(conn, &item.user_id)? else {
            return Ok(Err(ServiceError::NotFound(format!("user {} not found", item.user_id))));
        };
        let Some(license) = catalog_queries::find_license(conn, &item.license_id)? else {
            return Ok(Err(ServiceError::NotFound(format!("license {} not found", item.license_id))));
        };
        let interval = BillingInterval {
            length: u32::try_from(license.interval_length).unwrap_or(1),
            unit: license.interval_unit.parse().map_err(|_| StoreError::Database("invalid interval_unit".into()))?,
        };
        // A trial starts at purchase and the billing cycle anchor is its end.
        let trial_days = if item.trial { license.trial_duration_days } else { 0 };
        let anchor = item.date_added + Duration::days(i64::from(trial_days));
        let renews_on = if item.trial { Some(anchor) } else { calendar::nth_renewal(anchor, interval, 1) };
        let Some(renews_on) = renews_on else {
            return Ok(Err(invalid("the renewal date is out of range")));
        };
        let row = PlanItemRow {
            id: id.clone(),
            plan_id: plan.id,
            license_id: license.id,
            license_type: item.license_type.as_str().to_owned(),
            status: item.status.as_str().to_owned(),
            renew_status: RenewStatus::Renew.as_str().to_owned(),
            renews_on: renews_on.timestamp(),
            interval_length: license.interval_length,
            interval_unit: license.interval_unit,
            billing_cycle_anchor: anchor.timestamp(),
            date_added: item.date_added.timestamp(),
            trial: item.trial,
            trial_duration_days: license.trial_duration_days,
            trial_reset_days: license.trial_reset_days,
            cancelled_at: item.cancelled_at.map(|instant| instant.timestamp()),
        };
        user_queries::insert_plan_item(conn, &row)?;
        Ok(Ok(()))
    })??;
    Ok(id)
}
