//! Companies, apps, licenses with their countries, and clients with their
//! redirect and logout URIs.

use diesel::prelude::*;

use crate::schema::{apps, authorization_codes, client_logout_uris, client_redirect_uris, clients, companies, license_countries, licenses};
use crate::{DbConnection, StoreError};

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = companies)]
pub struct CompanyRow {
    pub id: String,
    pub name: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = apps)]
pub struct AppRow {
    pub id: String,
    pub company_id: String,
    pub name: String,
    pub description: String,
    pub status: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = licenses)]
pub struct LicenseRow {
    pub id: String,
    pub app_id: String,
    pub internal_id: String,
    pub name: String,
    pub description: String,
    pub rank: i32,
    pub status: String,
    pub test_mode: bool,
    pub interval_length: i32,
    pub interval_unit: String,
    pub trial_duration_days: i32,
    pub trial_reset_days: i32,
    pub price_tier: Option<i32>,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = clients)]
pub struct ClientRow {
    pub id: String,
    pub app_id: String,
    pub name: String,
    pub platform: String,
    /// SHA-256 of the client secret in hex; `None` for a public client.
    pub secret_hash: Option<String>,
    pub pkce_required: bool,
    pub first_party: bool,
    pub test_mode: bool,
    pub refresh_token_ttl_seconds: i64,
    pub rotate_refresh_tokens: bool,
    pub created_at: i64,
}

impl paket_domain::entitlement::LicenseView for LicenseRow {
    fn app_id(&self) -> &str {
        &self.app_id
    }

    fn rank(&self) -> i32 {
        self.rank
    }

    fn test_mode(&self) -> bool {
        self.test_mode
    }
}

/// A client with its registered URIs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientRecord {
    pub client: ClientRow,
    pub redirect_uris: Vec<String>,
    pub logout_uris: Vec<String>,
}

pub fn insert_company(conn: &mut DbConnection, row: &CompanyRow) -> Result<(), StoreError> {
    on_backend!(conn, |c| diesel::insert_into(companies::table).values(row).execute(c))?;
    Ok(())
}

pub fn insert_app(conn: &mut DbConnection, row: &AppRow) -> Result<(), StoreError> {
    on_backend!(conn, |c| diesel::insert_into(apps::table).values(row).execute(c))?;
    Ok(())
}

pub fn find_app(conn: &mut DbConnection, id: &str) -> Result<Option<AppRow>, StoreError> {
    Ok(on_backend!(conn, |c| apps::table.find(id).select(AppRow::as_select()).first(c).optional())?)
}

pub fn set_app_status(conn: &mut DbConnection, id: &str, status: &str) -> Result<(), StoreError> {
    let updated = on_backend!(conn, |c| diesel::update(apps::table.find(id)).set(apps::status.eq(status)).execute(c))?;
    if updated == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

pub fn insert_license(conn: &mut DbConnection, row: &LicenseRow, countries: &[String]) -> Result<(), StoreError> {
    on_backend!(conn, |c| diesel::insert_into(licenses::table).values(row).execute(c))?;
    for code in countries {
        on_backend!(conn, |c| diesel::insert_into(license_countries::table)
            .values((license_countries::license_id.eq(&row.id), license_countries::country_code.eq(code)))
            .execute(c))?;
    }
    Ok(())
}

pub fn find_license(conn: &mut DbConnection, id: &str) -> Result<Option<LicenseRow>, StoreError> {
    Ok(on_backend!(conn, |c| licenses::table.find(id).select(LicenseRow::as_select()).first(c).optional())?)
}

pub fn set_license_status(conn: &mut DbConnection, id: &str, status: &str) -> Result<(), StoreError> {
    let updated = on_backend!(conn, |c| diesel::update(licenses::table.find(id)).set(licenses::status.eq(status)).execute(c))?;
    if updated == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

pub fn license_country_codes(conn: &mut DbConnection, license_id: &str) -> Result<Vec<String>, StoreError> {
    Ok(on_backend!(conn, |c| license_countries::table
        .filter(license_countries::license_id.eq(license_id))
        .select(license_countries::country_code)
        .order(license_countries::country_code)
        .load(c))?)
}

pub fn insert_client(
    conn: &mut DbConnection,
    row: &ClientRow,
    redirect_uris: &[String],
    logout_uris: &[String],
) -> Result<(), StoreError> {
    on_backend!(conn, |c| diesel::insert_into(clients::table).values(row).execute(c))?;
    for uri in redirect_uris {
        on_backend!(conn, |c| diesel::insert_into(client_redirect_uris::table)
            .values((client_redirect_uris::client_id.eq(&row.id), client_redirect_uris::uri.eq(uri)))
            .execute(c))?;
    }
    for uri in logout_uris {
        on_backend!(conn, |c| diesel::insert_into(client_logout_uris::table)
            .values((client_logout_uris::client_id.eq(&row.id), client_logout_uris::uri.eq(uri)))
            .execute(c))?;
    }
    Ok(())
}

pub fn find_client(conn: &mut DbConnection, id: &str) -> Result<Option<ClientRow>, StoreError> {
    Ok(on_backend!(conn, |c| clients::table.find(id).select(ClientRow::as_select()).first(c).optional())?)
}

/// Loads a client with the consumer-facing name of its App and whether the
/// grant `grant_id` is active, in one round trip.
pub fn find_client_for_grant(
    conn: &mut DbConnection,
    client_id: &str,
    grant_id: &str,
) -> Result<Option<(ClientRow, String, bool)>, StoreError> {
    let grant_active = diesel::dsl::exists(
        authorization_codes::table
            .filter(authorization_codes::id.eq(grant_id))
            .filter(authorization_codes::revoked_at.is_null()),
    );
    Ok(on_backend!(conn, |c| clients::table
        .inner_join(apps::table)
        .filter(clients::id.eq(client_id))
        .select((ClientRow::as_select(), apps::name, grant_active))
        .first(c)
        .optional())?)
}

/// Loads a client with its redirect and logout URIs.
pub fn find_client_record(conn: &mut DbConnection, id: &str) -> Result<Option<ClientRecord>, StoreError> {
    let Some(client) = find_client(conn, id)? else {
        return Ok(None);
    };
    let redirect_uris = on_backend!(conn, |c| client_redirect_uris::table
        .filter(client_redirect_uris::client_id.eq(id))
        .select(client_redirect_uris::uri)
        .order(client_redirect_uris::uri)
        .load(c))?;
    let logout_uris = on_backend!(conn, |c| client_logout_uris::table
        .filter(client_logout_uris::client_id.eq(id))
        .select(client_logout_uris::uri)
        .order(client_logout_uris::uri)
        .load(c))?;
    Ok(Some(ClientRecord { client, redirect_uris, logout_uris }))
}
