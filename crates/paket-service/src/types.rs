//! Requests and results of the service operations, independent of the wire.

use chrono::{DateTime, Utc};
use paket_domain::plan_item::{IntervalUnit, ItemStatus, LicenseType, RenewStatus};
use serde::Serialize;

/// The parameters of GET /oauth2/authorize, as received.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuthorizationRequest {
    pub response_type: Option<String>,
    pub client_id: Option<String>,
    pub redirect_uri: Option<String>,
    pub state: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub scope: Option<String>,
    pub nonce: Option<String>,
}

/// An authorization request that passed every check: the sign-in page may be shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidAuthorization {
    pub client_id: String,
    pub client_name: String,
    pub app_name: String,
    pub redirect_uri: String,
    pub state: Option<String>,
    pub code_challenge: Option<String>,
    /// Space-separated scopes, always including `openid`.
    pub scope: String,
    pub nonce: Option<String>,
}

/// Result of a sign-in on the authorization page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignInOutcome {
    /// Redirect the browser here: the client's redirect URI with `code` and `state`.
    Redirect(String),
    /// Email or password is wrong; show the form again.
    InvalidCredentials(ValidAuthorization),
}

/// Client credentials presented at the token endpoint.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientCredentials {
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    /// Whether they came in an HTTP Basic header.
    pub via_basic: bool,
}

/// The form of POST /oauth2/token, as received.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TokenRequest {
    pub grant_type: Option<String>,
    pub code: Option<String>,
    pub redirect_uri: Option<String>,
    pub code_verifier: Option<String>,
    pub refresh_token: Option<String>,
    pub scope: Option<String>,
}

/// A successful token response (RFC 6749 §5.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    pub id_token: String,
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    pub scope: String,
}

/// The caller behind a verified access token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessCaller {
    pub user_id: String,
    pub client_id: String,
    pub grant_id: String,
    pub scope: String,
    pub expires_at: DateTime<Utc>,
}

/// The body of GET /v1/licenses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LicenseList {
    pub plan_id: String,
    pub client_id: String,
    pub items: Vec<LicenseEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LicenseEntry {
    pub item: ItemView,
    pub license: LicenseView,
}

/// A plan item as the entitlement API shows it. Instants serialize as
/// RFC 3339 with a `+00:00` offset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ItemView {
    pub license_type: LicenseType,
    /// The App's consumer-facing name.
    pub name: String,
    pub status: ItemStatus,
    pub renew_status: RenewStatus,
    #[serde(serialize_with = "serialize_rfc3339")]
    pub renews_on: DateTime<Utc>,
    pub interval_length: u32,
    pub interval_unit: IntervalUnit,
    #[serde(serialize_with = "serialize_rfc3339")]
    pub billing_cycle_anchor: DateTime<Utc>,
    #[serde(serialize_with = "serialize_rfc3339")]
    pub date_added: DateTime<Utc>,
    pub trial: bool,
    pub trial_duration: u32,
    pub trial_reset: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LicenseView {
    pub id: String,
    pub internal_id: String,
    pub name: String,
    pub description: String,
    pub rank: i32,
    pub locales: Vec<Locale>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Locale {
    pub name: String,
    pub country_code: String,
}

/// Formats an instant as RFC 3339 with a `+00:00` offset, as the entitlement API does.
pub fn rfc3339(instant: DateTime<Utc>) -> String {
    instant.to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
}

fn serialize_rfc3339<S: serde::Serializer>(instant: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&rfc3339(*instant))
}

/// OpenID Provider metadata (OpenID Connect Discovery 1.0 §3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OpenIdConfiguration {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub jwks_uri: String,
    pub response_types_supported: Vec<&'static str>,
    pub grant_types_supported: Vec<&'static str>,
    pub subject_types_supported: Vec<&'static str>,
    pub id_token_signing_alg_values_supported: Vec<&'static str>,
    pub token_endpoint_auth_methods_supported: Vec<&'static str>,
    pub code_challenge_methods_supported: Vec<&'static str>,
    pub scopes_supported: Vec<&'static str>,
    pub claims_supported: Vec<&'static str>,
    /// The authorization response carries `iss` (RFC 9207), so clients can
    /// tell which server sent it.
    pub authorization_response_iss_parameter_supported: bool,
}

// Catalog operations used by `paket demo` and tests.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLicense {
    pub app_id: String,
    pub internal_id: String,
    pub name: String,
    pub description: String,
    pub rank: i32,
    pub interval_length: u32,
    pub interval_unit: IntervalUnit,
    pub trial_duration_days: u32,
    pub trial_reset_days: u32,
    pub price_tier: Option<u32>,
    /// ISO 3166-1 alpha-2 codes.
    pub countries: Vec<String>,
    pub test_mode: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewClient {
    pub app_id: String,
    pub name: String,
    /// `roku`, `ios`, `android`, `tvos`, `web`, ...
    pub platform: String,
    pub redirect_uris: Vec<String>,
    pub logout_uris: Vec<String>,
    /// A confidential client gets a secret; a public one has none.
    pub confidential: bool,
    pub pkce_required: bool,
    pub first_party: bool,
    pub test_mode: bool,
    /// Refresh-token lifetime in seconds.
    pub refresh_token_ttl_seconds: i64,
    pub rotate_refresh_tokens: bool,
}

/// A registered client; `client_secret` is shown once, at creation.
#[derive(Clone, PartialEq, Eq)]
pub struct CreatedClient {
    pub client_id: String,
    pub client_secret: Option<String>,
}

impl std::fmt::Debug for CreatedClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedClient").field("client_id", &self.client_id).finish_non_exhaustive()
    }
}

#[derive(Clone, PartialEq, Eq)]
pub struct NewUser {
    pub email: String,
    pub password: String,
    pub name: String,
    pub country_code: String,
}

impl std::fmt::Debug for NewUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewUser").field("email", &self.email).finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedUser {
    pub user_id: String,
    pub plan_id: String,
}

/// A plan item to add directly, as a purchase would.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPlanItem {
    pub user_id: String,
    pub license_id: String,
    pub license_type: LicenseType,
    pub status: ItemStatus,
    /// When the item was added; the billing cycle anchor is the trial's end
    /// or, without a trial, this instant.
    pub date_added: DateTime<Utc>,
    pub trial: bool,
    /// When the item was cancelled, for `CANCELLED` items.
    pub cancelled_at: Option<DateTime<Utc>>,
}
