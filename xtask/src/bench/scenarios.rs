//! The request loops that the benchmark measures.

use std::sync::Mutex;

use anyhow::Context;
use bytes::Bytes;
use hyper::StatusCode;

use super::load::{Connection, Scenario, expect_status};

/// GET a path that needs no credentials, such as /healthz.
pub struct Get {
    pub path: String,
}

impl Scenario for Get {
    async fn run_once(&self, connection: &mut Connection, _sequence: u64) -> anyhow::Result<()> {
        let reply = connection.send("GET", &self.path, &[], Bytes::new()).await?;
        expect_status(&reply, StatusCode::OK, &self.path)
    }
}

/// GET a path with a bearer token, cycling through many users' tokens.
pub struct BearerGet {
    pub path: String,
    pub access_tokens: Vec<String>,
}

impl Scenario for BearerGet {
    async fn run_once(&self, connection: &mut Connection, sequence: u64) -> anyhow::Result<()> {
        let token = &self.access_tokens[sequence as usize % self.access_tokens.len()];
        let authorization = format!("Bearer {token}");
        let reply = connection.send("GET", &self.path, &[("authorization", &authorization)], Bytes::new()).await?;
        expect_status(&reply, StatusCode::OK, &self.path)
    }
}

/// The refresh grant at a token endpoint, cycling through refresh tokens.
pub struct RefreshGrant {
    pub token_path: String,
    pub client_id: String,
    pub refresh_tokens: Vec<String>,
}

impl Scenario for RefreshGrant {
    async fn run_once(&self, connection: &mut Connection, sequence: u64) -> anyhow::Result<()> {
        let token = &self.refresh_tokens[sequence as usize % self.refresh_tokens.len()];
        let form = form_encode(&[("grant_type", "refresh_token"), ("refresh_token", token), ("client_id", &self.client_id)]);
        let reply = connection
            .send("POST", &self.token_path, &[("content-type", "application/x-www-form-urlencoded")], Bytes::from(form))
            .await?;
        expect_status(&reply, StatusCode::OK, "the refresh grant")
    }
}

/// The whole sign-in of one user: the sign-in page, the password form
/// (argon2id verification) and the code exchange. Collects the tokens.
pub struct SignIn {
    pub client_id: String,
    pub redirect_uri: String,
    pub users: usize,
    pub email_of: fn(usize) -> String,
    pub password: String,
    pub verifier: String,
    pub challenge: String,
    /// Access and refresh tokens of completed sign-ins.
    pub tokens: Mutex<Vec<(String, String)>>,
}

impl SignIn {
    fn authorization_fields(&self) -> Vec<(&str, &str)> {
        vec![
            ("response_type", "code"),
            ("client_id", &self.client_id),
            ("redirect_uri", &self.redirect_uri),
            ("state", "bench"),
            ("scope", "openid offline_access"),
            ("code_challenge", &self.challenge),
            ("code_challenge_method", "S256"),
        ]
    }
}

impl Scenario for SignIn {
    async fn run_once(&self, connection: &mut Connection, sequence: u64) -> anyhow::Result<()> {
        let fields = self.authorization_fields();
        let page = connection
            .send("GET", &format!("/oauth2/authorize?{}", form_encode(&fields)), &[], Bytes::new())
            .await?;
        expect_status(&page, StatusCode::OK, "the sign-in page")?;

        // The page's hidden fields repeat the authorization request, so the
        // form posts the same fields plus the credentials.
        let email = (self.email_of)(sequence as usize % self.users);
        let mut form = fields.clone();
        form.push(("email", &email));
        form.push(("password", &self.password));
        let redirect = connection
            .send("POST", "/oauth2/authorize", &[("content-type", "application/x-www-form-urlencoded")], Bytes::from(form_encode(&form)))
            .await?;
        expect_status(&redirect, StatusCode::FOUND, "the sign-in form")?;
        let location = redirect.headers.get("location").context("the redirect has no Location")?.to_str()?;
        let code = url::Url::parse(location)?
            .query_pairs()
            .find(|(name, _)| name == "code")
            .map(|(_, code)| code.into_owned())
            .context("the redirect has no code")?;

        let exchange = form_encode(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("client_id", &self.client_id),
            ("redirect_uri", &self.redirect_uri),
            ("code_verifier", &self.verifier),
        ]);
        let tokens = connection
            .send("POST", "/oauth2/token", &[("content-type", "application/x-www-form-urlencoded")], Bytes::from(exchange))
            .await?;
        expect_status(&tokens, StatusCode::OK, "the code exchange")?;
        let body: serde_json::Value = serde_json::from_slice(&tokens.body)?;
        let access_token = body["access_token"].as_str().context("no access_token")?.to_owned();
        let refresh_token = body["refresh_token"].as_str().context("no refresh_token")?.to_owned();
        self.tokens
            .lock()
            .map_err(|_| anyhow::anyhow!("the token list lock is poisoned"))?
            .push((access_token, refresh_token));
        Ok(())
    }
}

fn form_encode(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish()
}
