//! The `paket` binary as the README uses it: `paket demo` and `paket serve`
//! on the default SQLite file in a fresh directory, then a sign-in.

#![allow(clippy::unwrap_used)]

#[macro_use]
mod common;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{Backend, TestDatabase, VERIFIER};
use paket_domain::pkce;
use reqwest::StatusCode;
use serde_json::Value;

fn paket() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_paket"));
    // Settings of the developer's shell must not leak into the test.
    for (name, _) in std::env::vars() {
        if name.starts_with("PAKET_") {
            command.env_remove(name);
        }
    }
    command
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn wait_until_serving(base: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if reqwest::get(format!("{base}/healthz")).await.is_ok_and(|response| response.status().is_success()) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("paket serve did not answer on {base} within 30 s");
}

#[tokio::test]
async fn demo_then_serve_on_default_sqlite() {
    let dir = std::env::temp_dir().join(format!("paket-binary-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");

    let demo = paket().current_dir(&dir).args(["demo", "--listen", &listen]).output().unwrap();
    assert!(demo.status.success(), "paket demo failed: {}", String::from_utf8_lossy(&demo.stderr));
    let data: Value = serde_json::from_slice(&demo.stdout).unwrap();
    for field in ["client_id", "redirect_uri", "email", "password"] {
        assert!(data[field].as_str().is_some_and(|value| !value.is_empty()), "demo output has {field}");
    }
    assert!(dir.join("paket.db").exists(), "the default database is ./paket.db");

    let _server = Running(paket().current_dir(&dir).args(["serve", "--listen", &listen]).stderr(Stdio::null()).spawn().unwrap());
    let base = format!("http://{listen}");
    wait_until_serving(&base).await;

    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let client_id = data["client_id"].as_str().unwrap();
    let redirect_uri = data["redirect_uri"].as_str().unwrap();
    let challenge = pkce::s256_challenge(VERIFIER);
    let query = [
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", redirect_uri),
        ("state", "s1"),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    let page = http.get(format!("{base}/oauth2/authorize")).query(&query).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let mut form = common::hidden_inputs(&page.text().await.unwrap());
    form.push(("email".into(), data["email"].as_str().unwrap().into()));
    form.push(("password".into(), data["password"].as_str().unwrap().into()));
    let redirect = http.post(format!("{base}/oauth2/authorize")).form(&form).send().await.unwrap();
    assert_eq!(redirect.status(), StatusCode::FOUND);
    let location = url::Url::parse(redirect.headers()["location"].to_str().unwrap()).unwrap();
    let code = location.query_pairs().find(|(name, _)| name == "code").unwrap().1.into_owned();

    let tokens: Value = http
        .post(format!("{base}/oauth2/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("client_id", client_id),
            ("redirect_uri", redirect_uri),
            ("code_verifier", VERIFIER),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let access_token = tokens["access_token"].as_str().unwrap();
    // The demo seeds the token's issuer as http://LISTEN, which the server uses too.
    let licenses = http.get(format!("{base}/v1/licenses")).header("authorization", access_token).send().await.unwrap();
    assert_eq!(licenses.status(), StatusCode::OK);
    let body: Value = licenses.json().await.unwrap();
    assert_eq!(body["items"].as_array().unwrap().len(), 1);

    drop(_server);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn serve_refuses_unmigrated_postgres() {
    let database = TestDatabase::create(Backend::Postgres);
    let output = paket()
        .args(["serve", "--listen", "127.0.0.1:0", "--database-url", &database.url])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("pending migration"), "{stderr}");
    assert!(stderr.contains("paket migrate"), "{stderr}");

    let migrate = paket().args(["migrate", "--database-url", &database.url]).output().unwrap();
    assert!(migrate.status.success(), "{}", String::from_utf8_lossy(&migrate.stderr));
    assert!(String::from_utf8_lossy(&migrate.stdout).contains("applied 1 migration:"));
    let again = paket().args(["migrate", "--database-url", &database.url]).output().unwrap();
    assert!(String::from_utf8_lossy(&again.stdout).contains("up to date"));
}

#[test]
fn bad_settings_exit_with_message() {
    let output = paket().args(["serve", "--database-url", "mysql://root@127.0.0.1/test", "--listen", "127.0.0.1:0"]).output().unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("unsupported database URL scheme"));

    let output = paket().args(["serve", "--listen", "nowhere"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("listen address"));
}

#[test]
fn unreachable_postgres_reports_real_error() {
    // Port 1 on loopback has no server: the error must name the connection failure.
    let output = paket()
        .args(["migrate", "--database-url", "postgres://postgres@127.0.0.1:1/test"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("127.0.0.1") || stderr.to_lowercase().contains("connection"), "{stderr}");
}
