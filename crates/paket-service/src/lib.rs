//! The `PaketService` trait, which both front ends call, and `Paket`, its
//! implementation over paket-store.
//!
//! Front ends parse the wire format, build the caller, call one trait method
//! and map the result; every rule lives here or in paket-domain.

mod authorization;
mod catalog;
pub mod clock;
mod error;
pub mod jwt_crypto;
pub mod keys;
mod licenses;
mod oauth;
pub mod secrets;
mod tokens;
pub mod types;

use std::sync::Arc;

use async_trait::async_trait;
use paket_domain::status::CatalogStatus;
use paket_store::Store;
use ring::rand::SystemRandom;

pub use authorization::access_token_from_authorization;
pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{AuthorizeError, OAuthError, OAuthErrorCode, ServiceError};
pub use keys::Jwks;
pub use types::*;

/// Every operation a front end may call. Methods take the caller's identity
/// (an [`AccessCaller`] or client credentials) as an argument.
#[async_trait]
pub trait PaketService: Send + Sync + std::fmt::Debug + 'static {
    /// Validates an authorization request before the sign-in page is shown.
    async fn validate_authorization(&self, request: AuthorizationRequest) -> Result<ValidAuthorization, AuthorizeError>;

    /// Checks the user's credentials and, when they match, issues an
    /// authorization code and returns the redirect to the client.
    async fn sign_in(&self, request: AuthorizationRequest, email: String, password: String) -> Result<SignInOutcome, AuthorizeError>;

    /// Runs a grant of the token endpoint: authorization_code or refresh_token.
    async fn token(&self, credentials: ClientCredentials, request: TokenRequest) -> Result<TokenResponse, OAuthError>;

    /// Verifies an access token's signature, type, issuer and expiry and
    /// returns the caller it names. Every operation that takes the caller
    /// checks in its own database read that the token's grant is not
    /// revoked, so a revoked token fails there with `Unauthenticated`.
    async fn authenticate(&self, access_token: &str) -> Result<AccessCaller, ServiceError>;

    /// Returns the caller's plan items that grant a license to the App of
    /// the caller's client, or `None` when there are none.
    async fn list_licenses(&self, caller: &AccessCaller) -> Result<Option<LicenseList>, ServiceError>;

    fn openid_configuration(&self) -> OpenIdConfiguration;

    fn jwks(&self) -> Jwks;

    // Operator operations: not exposed on a front end yet; `paket demo` calls them.

    async fn create_company(&self, name: String) -> Result<String, ServiceError>;
    async fn create_app(&self, company_id: String, name: String, description: String) -> Result<String, ServiceError>;
    async fn move_app(&self, app_id: String, to: CatalogStatus) -> Result<(), ServiceError>;
    async fn create_license(&self, license: NewLicense) -> Result<String, ServiceError>;
    async fn move_license(&self, license_id: String, to: CatalogStatus) -> Result<(), ServiceError>;
    async fn create_client(&self, client: NewClient) -> Result<CreatedClient, ServiceError>;
    async fn create_user(&self, user: NewUser) -> Result<CreatedUser, ServiceError>;
    async fn add_plan_item(&self, item: NewPlanItem) -> Result<String, ServiceError>;
}

/// Lifetimes and the issuer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// The `iss` of every token, and the base of the discovery URLs.
    pub issuer: String,
    /// Access and ID token lifetime in seconds.
    pub access_token_ttl_seconds: i64,
    /// Authorization code lifetime in seconds.
    pub authorization_code_ttl_seconds: i64,
    /// Refresh-token lifetime of new clients in seconds.
    pub default_refresh_token_ttl_seconds: i64,
}

impl Settings {
    pub fn new(issuer: impl Into<String>) -> Settings {
        Settings {
            issuer: issuer.into().trim_end_matches('/').to_owned(),
            access_token_ttl_seconds: 3600,
            // RFC 6749 §4.1.2 recommends at most ten minutes; two are
            // enough for a device to exchange the code.
            authorization_code_ttl_seconds: 120,
            default_refresh_token_ttl_seconds: 30 * 24 * 3600,
        }
    }
}

/// State shared by the operations; cheap to clone into blocking tasks.
#[derive(Debug)]
pub(crate) struct Inner {
    pub store: Arc<Store>,
    pub keyring: keys::Keyring,
    pub clock: Arc<dyn Clock>,
    pub rng: SystemRandom,
    pub settings: Settings,
    /// Verified against when the email is unknown, so that a sign-in takes
    /// the same time whether or not the account exists.
    pub dummy_password_hash: String,
    pub verified_tokens: tokens::VerifiedTokens,
}

/// The service implementation over a [`Store`].
#[derive(Debug, Clone)]
pub struct Paket {
    inner: Arc<Inner>,
    /// Permits for argon2 work, one per CPU. Each hash takes 19 MiB and a
    /// core for tens of milliseconds, so running more at once only adds
    /// memory and queueing inside the OS; excess sign-ins wait here instead.
    password_permits: Arc<tokio::sync::Semaphore>,
    /// Permits for database work, one per pooled connection, so that
    /// requests beyond the pool wait here as tasks instead of as blocked
    /// threads contending for the pool.
    database_permits: Arc<tokio::sync::Semaphore>,
}

impl Paket {
    /// Builds the service: checks the JWT crypto provider, and loads the
    /// signing keys, generating one on an empty database. Blocks on the database.
    pub fn new(store: Arc<Store>, settings: Settings, clock: Arc<dyn Clock>) -> Result<Paket, ServiceError> {
        keys::check_crypto_provider()?;
        let rng = SystemRandom::new();
        let keyring = keys::Keyring::load_or_create(&store, &rng, clock.now().timestamp())?;
        let dummy_password_hash = secrets::hash_password("paket-dummy-password")?;
        let cpus = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
        let connections = usize::try_from(store.max_connections()).unwrap_or(1).max(1);
        let verified_tokens = tokens::VerifiedTokens::default();
        Ok(Paket {
            inner: Arc::new(Inner { store, keyring, clock, rng, settings, dummy_password_hash, verified_tokens }),
            password_permits: Arc::new(tokio::sync::Semaphore::new(cpus)),
            database_permits: Arc::new(tokio::sync::Semaphore::new(connections)),
        })
    }

    pub fn settings(&self) -> &Settings {
        &self.inner.settings
    }

    /// Runs blocking work that hashes or verifies a password, at most one
    /// per CPU at a time.
    async fn blocking_password<T, E>(&self, work: impl FnOnce(&Inner) -> Result<T, E> + Send + 'static) -> Result<T, E>
    where
        T: Send + 'static,
        E: Send + 'static + From<ServiceError>,
    {
        let _permit = self
            .password_permits
            .acquire()
            .await
            .map_err(|_| ServiceError::Internal("the password hashing limiter is closed".into()))?;
        self.blocking(work).await
    }

    /// Runs blocking work (database, argon2) off the async reactor.
    async fn blocking<T, E>(&self, work: impl FnOnce(&Inner) -> Result<T, E> + Send + 'static) -> Result<T, E>
    where
        T: Send + 'static,
        E: Send + 'static + From<ServiceError>,
    {
        let _permit = self
            .database_permits
            .acquire()
            .await
            .map_err(|_| ServiceError::Internal("the database work limiter is closed".into()))?;
        let inner = Arc::clone(&self.inner);
        match tokio::task::spawn_blocking(move || work(&inner)).await {
            Ok(result) => result,
            Err(join_error) => Err(ServiceError::Internal(format!("a blocking task failed: {join_error}")).into()),
        }
    }
}

impl From<ServiceError> for AuthorizeError {
    fn from(error: ServiceError) -> Self {
        AuthorizeError::Service(error)
    }
}

#[async_trait]
impl PaketService for Paket {
    async fn validate_authorization(&self, request: AuthorizationRequest) -> Result<ValidAuthorization, AuthorizeError> {
        self.blocking(move |inner| oauth::authorize::validate(inner, &request)).await
    }

    async fn sign_in(&self, request: AuthorizationRequest, email: String, password: String) -> Result<SignInOutcome, AuthorizeError> {
        self.blocking_password(move |inner| oauth::authorize::sign_in(inner, &request, &email, &password)).await
    }

    async fn token(&self, credentials: ClientCredentials, request: TokenRequest) -> Result<TokenResponse, OAuthError> {
        self.blocking(move |inner| oauth::token::grant(inner, &credentials, &request)).await
    }

    async fn authenticate(&self, access_token: &str) -> Result<AccessCaller, ServiceError> {
        // Verification is CPU work of tens of microseconds at most, and none
        // for a token seen before, so it runs on the async thread.
        let claims = tokens::verify_access_token(&self.inner, access_token)?;
        tokens::caller(&claims)
    }

    async fn list_licenses(&self, caller: &AccessCaller) -> Result<Option<LicenseList>, ServiceError> {
        let caller = caller.clone();
        self.blocking(move |inner| licenses::list(inner, &caller)).await
    }

    fn openid_configuration(&self) -> OpenIdConfiguration {
        oauth::discovery::configuration(&self.inner.settings)
    }

    fn jwks(&self) -> Jwks {
        self.inner.keyring.jwks()
    }

    async fn create_company(&self, name: String) -> Result<String, ServiceError> {
        self.blocking(move |inner| catalog::create_company(inner, &name)).await
    }

    async fn create_app(&self, company_id: String, name: String, description: String) -> Result<String, ServiceError> {
        self.blocking(move |inner| catalog::create_app(inner, &company_id, &name, &description)).await
    }

    async fn move_app(&self, app_id: String, to: CatalogStatus) -> Result<(), ServiceError> {
        self.blocking(move |inner| catalog::move_app(inner, &app_id, to)).await
    }

    async fn create_license(&self, license: NewLicense) -> Result<String, ServiceError> {
        self.blocking(move |inner| catalog::create_license(inner, &license)).await
    }

    async fn move_license(&self, license_id: String, to: CatalogStatus) -> Result<(), ServiceError> {
        self.blocking(move |inner| catalog::move_license(inner, &license_id, to)).await
    }

    async fn create_client(&self, client: NewClient) -> Result<CreatedClient, ServiceError> {
        self.blocking(move |inner| catalog::create_client(inner, &client)).await
    }

    async fn create_user(&self, user: NewUser) -> Result<CreatedUser, ServiceError> {
        self.blocking_password(move |inner| catalog::create_user(inner, &user)).await
    }

    async fn add_plan_item(&self, item: NewPlanItem) -> Result<String, ServiceError> {
        self.blocking(move |inner| catalog::add_plan_item(inner, &item)).await
    }
}
