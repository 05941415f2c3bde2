//! Test harness: a real Paket server on a loopback port, over SQLite or
//! PostgreSQL, with a clock the test can move, and an HTTP client that
//! walks the sign-in like a browser.

#![allow(dead_code, clippy::unwrap_used)]

use std::collections::HashMap;
use std::sync::Arc;

use diesel::{Connection, RunQueryDsl};
use paket_server::demo::{self, DemoData};
use paket_server::{LogFormat, Server, Settings};
use paket_service::{ManualClock, PaketService};
use paket_domain::pkce;
use reqwest::StatusCode;
use serde_json::Value;
use tokio::sync::oneshot;

/// The PostgreSQL server of the test machine, used when
/// PAKET_TEST_DATABASE_URL is unset.
pub const LOCAL_POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/test";

/// A PKCE verifier of 64 unreserved characters.
pub const VERIFIER: &str = "paket-test-verifier-0123456789-abcdefghijklmnopqrstuvwxyz.ABCDEF~";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A database made for one test and removed after it.
pub struct TestDatabase {
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    SqliteDir(std::path::PathBuf),
    PostgresDatabase { admin_url: String, name: String },
}

impl TestDatabase {
    pub fn create(backend: Backend) -> TestDatabase {
        let unique = uuid::Uuid::new_v4().simple().to_string();
        match backend {
            Backend::Sqlite => {
                let dir = std::env::temp_dir().join(format!("paket-test-{unique}"));
                std::fs::create_dir_all(&dir).unwrap();
                let url = format!("sqlite://{}", dir.join("paket.db").display());
                TestDatabase { url, cleanup: Cleanup::SqliteDir(dir) }
            }
            Backend::Postgres => {
                let admin_url = std::env::var("PAKET_TEST_DATABASE_URL").unwrap_or_else(|_| LOCAL_POSTGRES.to_owned());
                let name = format!("paket_test_{unique}");
                let mut admin = diesel::PgConnection::establish(&admin_url).unwrap_or_else(|error| {
                    panic!(
                        "PostgreSQL at PAKET_TEST_DATABASE_URL (default {LOCAL_POSTGRES}) cannot be reached: {error}. \
                         Start PostgreSQL or point PAKET_TEST_DATABASE_URL at a server where the user may create databases."
                    )
                });
                diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut admin).unwrap();
                let mut url = url::Url::parse(&admin_url).unwrap();
                url.set_path(&format!("/{name}"));
                TestDatabase { url: url.to_string(), cleanup: Cleanup::PostgresDatabase { admin_url, name } }
            }
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::SqliteDir(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Cleanup::PostgresDatabase { admin_url, name } => {
                if let Ok(mut admin) = diesel::PgConnection::establish(admin_url) {
                    let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut admin);
                }
            }
        }
    }
}

/// A running server with the demo data seeded.
pub struct TestServer {
    pub base: String,
    pub address: std::net::SocketAddr,
    pub clock: Arc<ManualClock>,
    pub service: Arc<dyn PaketService>,
    pub demo: DemoData,
    pub http: reqwest::Client,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
    database: Option<TestDatabase>,
}

impl TestServer {
    pub async fn start(backend: Backend) -> TestServer {
        let database = tokio::task::spawn_blocking(move || TestDatabase::create(backend)).await.unwrap();
        if backend == Backend::Postgres {
            // `paket serve` expects a migrated PostgreSQL database, as in production.
            let url = database.url.clone();
            tokio::task::spawn_blocking(move || {
                let store = paket_store::Store::open(&url, &paket_store::PoolOptions::default()).unwrap();
                store.migrate().unwrap();
            })
            .await
            .unwrap();
        }

        let settings = Settings {
            listen: "127.0.0.1:0".into(),
            database_url: database.url.clone(),
            issuer: None,
            log_format: LogFormat::Text,
            pool_size: 8,
        };
        let clock = Arc::new(ManualClock::default());
        let server = Server::bind(&settings, clock.clone()).await.unwrap();
        let address = server.address;
        let base = server.issuer.clone();
        let service: Arc<dyn PaketService> = server.service.clone();
        let (shutdown, signal) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            server
                .serve(async move {
                    let _ = signal.await;
                })
                .await
                .unwrap();
        });

        let demo = demo::seed_with(service.as_ref(), base.clone()).await.unwrap();
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        TestServer { base, address, clock, service, demo, http, shutdown: Some(shutdown), task: Some(task), database: Some(database) }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Stops the server, then removes its database.
    pub async fn stop(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        let database = self.database.take();
        tokio::task::spawn_blocking(move || drop(database)).await.unwrap();
    }

    /// Builds the query of an authorization request for `client_id` with PKCE.
    pub fn authorize_query(&self, client_id: &str, redirect_uri: &str, state: &str) -> Vec<(String, String)> {
        vec![
            ("response_type".into(), "code".into()),
            ("client_id".into(), client_id.into()),
            ("redirect_uri".into(), redirect_uri.into()),
            ("state".into(), state.into()),
            ("scope".into(), "openid email offline_access".into()),
            ("nonce".into(), "n-0S6_WzA2Mj".into()),
            ("code_challenge".into(), pkce::s256_challenge(VERIFIER)),
            ("code_challenge_method".into(), "S256".into()),
        ]
    }

    /// GET /oauth2/authorize, then posts the page's form with the
    /// credentials, as a browser would. Returns the redirect's query.
    pub async fn sign_in_with(&self, query: &[(String, String)], email: &str, password: &str) -> HashMap<String, String> {
        let page = self.http.get(self.url("/oauth2/authorize")).query(query).send().await.unwrap();
        assert_eq!(page.status(), StatusCode::OK, "sign-in page status");
        let html = page.text().await.unwrap();
        assert!(html.contains("name=\"email\""), "the page has an email input");
        assert!(html.contains("name=\"password\""), "the page has a password input");

        let mut form = hidden_inputs(&html);
        form.push(("email".into(), email.into()));
        form.push(("password".into(), password.into()));
        let response = self.http.post(self.url("/oauth2/authorize")).form(&form).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::FOUND, "sign-in answers a redirect");
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        let redirect_uri = query.iter().find(|(name, _)| name == "redirect_uri").map(|(_, value)| value.as_str()).unwrap();
        assert!(location.starts_with(redirect_uri), "{location} goes to {redirect_uri}");
        url::Url::parse(&location).unwrap().query_pairs().into_owned().collect()
    }

    /// Signs the demo user in with the demo client and returns the code.
    pub async fn demo_code(&self) -> String {
        let query = self.authorize_query(&self.demo.client_id, &self.demo.redirect_uri, "xyz");
        let redirect = self.sign_in_with(&query, &self.demo.email, &self.demo.password).await;
        redirect["code"].clone()
    }

    /// POST /oauth2/token with a form.
    pub async fn token(&self, form: &[(&str, &str)]) -> (StatusCode, Value) {
        let response = self.http.post(self.url("/oauth2/token")).form(form).send().await.unwrap();
        let status = response.status();
        (status, response.json().await.unwrap())
    }

    /// POST /oauth2/token with an owned form, for concurrent requests.
    pub async fn token_owned(&self, form: Vec<(String, String)>) -> (StatusCode, Value) {
        let response = self.http.post(self.url("/oauth2/token")).form(&form).send().await.unwrap();
        let status = response.status();
        (status, response.json().await.unwrap())
    }

    /// POST /oauth2/token with the authorization_code grant.
    pub async fn exchange_with(&self, code: &str, client_id: &str, redirect_uri: &str, verifier: &str) -> (StatusCode, Value) {
        self.token(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("client_id", client_id),
            ("redirect_uri", redirect_uri),
            ("code_verifier", verifier),
        ])
        .await
    }

    /// POST /oauth2/token with the refresh_token grant of a public client.
    pub async fn refresh(&self, refresh_token: &str, client_id: &str) -> (StatusCode, Value) {
        self.token(&[("grant_type", "refresh_token"), ("refresh_token", refresh_token), ("client_id", client_id)]).await
    }

    /// Exchanges a code of the demo client with the right verifier.
    pub async fn exchange(&self, code: &str) -> Value {
        let (status, body) = self.exchange_with(code, &self.demo.client_id, &self.demo.redirect_uri, VERIFIER).await;
        assert_eq!(status, StatusCode::OK, "token exchange: {body}");
        body
    }

    /// Signs in and exchanges: the demo user's tokens for the demo client.
    pub async fn demo_tokens(&self) -> Value {
        let code = self.demo_code().await;
        self.exchange(&code).await
    }

    /// GET `path` with `Authorization: <authorization>`.
    pub async fn get_with(&self, path: &str, authorization: &str) -> reqwest::Response {
        self.http.get(self.url(path)).header("authorization", authorization).send().await.unwrap()
    }
}

/// Builds a public client of `app_id` with PKCE required, no rotation and
/// a one-hour refresh-token lifetime; tests change what they exercise.
pub fn public_client(app_id: &str, name: &str, redirect_uri: &str) -> paket_service::NewClient {
    paket_service::NewClient {
        app_id: app_id.to_owned(),
        name: name.to_owned(),
        platform: "web".into(),
        redirect_uris: vec![redirect_uri.to_owned()],
        logout_uris: vec![],
        confidential: false,
        pkce_required: true,
        first_party: false,
        test_mode: false,
        refresh_token_ttl_seconds: 3600,
        rotate_refresh_tokens: false,
    }
}

/// Returns the hidden inputs of the sign-in form, unescaped.
pub fn hidden_inputs(html: &str) -> Vec<(String, String)> {
    let mut fields = Vec::new();
    for input in html.split("<input").skip(1) {
        let tag = input.split('>').next().unwrap();
        if !tag.contains("type=\"hidden\"") {
            continue;
        }
        let attribute = |name: &str| {
            let start = tag.find(&format!("{name}=\""))? + name.len() + 2;
            let end = tag[start..].find('"')? + start;
            Some(unescape(&tag[start..end]))
        };
        fields.push((attribute("name").unwrap(), attribute("value").unwrap_or_default()));
    }
    fields
}

fn unescape(text: &str) -> String {
    text.replace("&quot;", "\"").replace("&#39;", "'").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
}

/// Declares one test per backend: `NAME::sqlite` and `NAME::postgres`.
/// The PostgreSQL variant fails, never skips, when the server is unreachable.
#[macro_export]
macro_rules! on_both_backends {
    ($(async fn $name:ident($server:ident: &TestServer) $body:block)+) => {
        $(
            mod $name {
                use super::*;

                async fn run($server: &TestServer) $body

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    let server = TestServer::start(Backend::Sqlite).await;
                    run(&server).await;
                    server.stop().await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    let server = TestServer::start(Backend::Postgres).await;
                    run(&server).await;
                    server.stop().await;
                }
            }
        )+
    };
}
