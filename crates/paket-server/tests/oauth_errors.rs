//! Rejections of the authorization and token endpoints, discovery and the
//! JWKS, and the generic 404/405 responses.

#![allow(clippy::unwrap_used)]

#[macro_use]
mod common;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::{Backend, TestServer, VERIFIER};
use reqwest::StatusCode;
use serde_json::Value;

/// Sends an authorization request and returns the redirect's query, which
/// must go to the demo client's redirect URI.
async fn authorize_redirect(server: &TestServer, query: &[(String, String)]) -> std::collections::HashMap<String, String> {
    let response = server.http.get(server.url("/oauth2/authorize")).query(query).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::FOUND, "an error goes back to the client");
    let location = response.headers()["location"].to_str().unwrap();
    assert!(location.starts_with(&server.demo.redirect_uri), "{location}");
    url::Url::parse(location).unwrap().query_pairs().into_owned().collect()
}

fn without(query: &[(String, String)], names: &[&str]) -> Vec<(String, String)> {
    query.iter().filter(|(name, _)| !names.contains(&name.as_str())).cloned().collect()
}

fn with(query: &[(String, String)], name: &str, value: &str) -> Vec<(String, String)> {
    let mut query = without(query, &[name]);
    query.push((name.into(), value.into()));
    query
}

on_both_backends! {
    async fn authorization_errors_redirect(server: &TestServer) {
        let query = server.authorize_query(&server.demo.client_id, &server.demo.redirect_uri, "st");

        let missing_pkce = authorize_redirect(server, &without(&query, &["code_challenge", "code_challenge_method"])).await;
        assert_eq!(missing_pkce["error"], "invalid_request");
        assert!(missing_pkce["error_description"].contains("code_challenge is required"));
        assert_eq!(missing_pkce["state"], "st");

        let plain = authorize_redirect(server, &with(&query, "code_challenge_method", "plain")).await;
        assert_eq!(plain["error"], "invalid_request");
        assert!(plain["error_description"].contains("plain"));

        let token_type = authorize_redirect(server, &with(&query, "response_type", "token")).await;
        assert_eq!(token_type["error"], "unsupported_response_type");

        let short_challenge = authorize_redirect(server, &with(&query, "code_challenge", "abc")).await;
        assert_eq!(short_challenge["error"], "invalid_request");
    }

    async fn unknown_client_shows_page(server: &TestServer) {
        let query = server.authorize_query("nosuchclient0000000000000", &server.demo.redirect_uri, "s");
        let response = server.http.get(server.url("/oauth2/authorize")).query(&query).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert!(response.headers().get("location").is_none());
        assert!(response.text().await.unwrap().contains("unknown client_id"));

        let response = server.http.get(server.url("/oauth2/authorize")).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert!(response.text().await.unwrap().contains("no client_id"));
    }

    async fn wrong_password_shows_form_again(server: &TestServer) {
        let query = server.authorize_query(&server.demo.client_id, &server.demo.redirect_uri, "s");
        let page = server.http.get(server.url("/oauth2/authorize")).query(&query).send().await.unwrap().text().await.unwrap();
        let mut form = common::hidden_inputs(&page);
        form.push(("email".into(), server.demo.email.clone()));
        form.push(("password".into(), "not the password".into()));
        let response = server.http.post(server.url("/oauth2/authorize")).form(&form).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert!(response.headers().get("location").is_none());
        let html = response.text().await.unwrap();
        assert!(html.contains("email or password is wrong"));
        assert!(html.contains(&server.demo.email), "the email is kept in the form");

        let mut unknown = common::hidden_inputs(&page);
        unknown.push(("email".into(), "nobody-here@kidstream.example".into()));
        unknown.push(("password".into(), "whatever password".into()));
        let response = server.http.post(server.url("/oauth2/authorize")).form(&unknown).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "unknown email answers like a wrong password");
    }

    async fn token_endpoint_errors(server: &TestServer) {
        let client_id = server.demo.client_id.as_str();

        let (status, body) = server.token(&[("client_id", client_id)]).await;
        assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_request")));

        let (status, body) = server.token(&[("grant_type", "password"), ("client_id", client_id)]).await;
        assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("unsupported_grant_type")));

        let (status, body) = server
            .token(&[("grant_type", "authorization_code"), ("code", "nope"), ("client_id", client_id), ("redirect_uri", &server.demo.redirect_uri)])
            .await;
        assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")));

        let (status, body) = server
            .refresh("nope", "unknown-client")
            .await;
        assert_eq!((status, body["error"].as_str()), (StatusCode::UNAUTHORIZED, Some("invalid_client")));

        // A public client sending a secret is rejected.
        let (status, body) = server
            .token(&[("grant_type", "refresh_token"), ("refresh_token", "x"), ("client_id", client_id), ("client_secret", "s")])
            .await;
        assert_eq!((status, body["error"].as_str()), (StatusCode::UNAUTHORIZED, Some("invalid_client")));

        // A JSON body is not a form.
        let response = server
            .http
            .post(server.url("/oauth2/token"))
            .json(&serde_json::json!({"grant_type": "refresh_token"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert_eq!(response.headers()["cache-control"], "no-store");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], "invalid_request");

        // Repeated parameters are rejected (RFC 6749 section 3.2).
        let response = server
            .http
            .post(server.url("/oauth2/token"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("grant_type=refresh_token&grant_type=authorization_code")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);

        // A redirect_uri different from the authorization request's.
        let code = server.demo_code().await;
        let (status, body) = server
            .exchange_with(&code, client_id, "http://127.0.0.1:8765/other", VERIFIER)
            .await;
        assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")));
    }

    async fn expired_code_rejected(server: &TestServer) {
        let code = server.demo_code().await;
        server.clock.advance(121);
        let (status, body) = server
            .exchange_with(&code, &server.demo.client_id, &server.demo.redirect_uri, VERIFIER)
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(body["error_description"].as_str().unwrap().contains("expired"), "{body}");
    }

    async fn refresh_alias_works(server: &TestServer) {
        let tokens = server.demo_tokens().await;
        let refresh_token = tokens["refresh_token"].as_str().unwrap();
        for kind in ["response_type", "grant_type"] {
            let response = server
                .http
                .post(server.url("/oauth2/authorization"))
                .form(&[(kind, "refresh_token"), ("refresh_token", refresh_token), ("client_id", &server.demo.client_id)])
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::OK, "alias with {kind}");
            let body: Value = response.json().await.unwrap();
            let access_token = body["access_token"].as_str().unwrap();
            assert_eq!(server.get_with("/v1/licenses", access_token).await.status(), StatusCode::OK);
        }
        let response = server
            .http
            .post(server.url("/oauth2/authorization"))
            .form(&[("response_type", "code"), ("client_id", server.demo.client_id.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    }

    async fn access_token_verifies_with_jwks(server: &TestServer) {
        let discovery: Value = server.http.get(server.url("/.well-known/openid-configuration")).send().await.unwrap().json().await.unwrap();
        assert_eq!(discovery["issuer"], server.base);
        assert_eq!(discovery["token_endpoint"], server.url("/oauth2/token"));
        assert_eq!(discovery["code_challenge_methods_supported"], serde_json::json!(["S256"]));
        let jwks_uri = discovery["jwks_uri"].as_str().unwrap();
        let jwks: Value = server.http.get(jwks_uri).send().await.unwrap().json().await.unwrap();
        let key = &jwks["keys"][0];
        assert_eq!(key["kty"], "EC");
        assert_eq!(key["crv"], "P-256");
        assert_eq!(key["alg"], "ES256");

        let tokens = server.demo_tokens().await;
        let access_token = tokens["access_token"].as_str().unwrap();
        let header = jsonwebtoken::decode_header(access_token).unwrap();
        assert_eq!(header.kid.as_deref(), key["kid"].as_str());
        assert_eq!(header.typ.as_deref(), Some("at+jwt"));

        let decoding = jsonwebtoken::DecodingKey::from_ec_components(key["x"].as_str().unwrap(), key["y"].as_str().unwrap()).unwrap();
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::ES256);
        validation.set_issuer(&[&server.base]);
        validation.set_audience(&[&server.demo.client_id]);
        let claims = jsonwebtoken::decode::<Value>(access_token, &decoding, &validation).unwrap().claims;
        assert_eq!(claims["sub"], server.demo.user_id);
        assert_eq!(claims["client_id"], server.demo.client_id);
        assert_eq!(claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(), 3600);

        let id_claims = jsonwebtoken::decode::<Value>(tokens["id_token"].as_str().unwrap(), &decoding, &validation).unwrap().claims;
        assert_eq!(id_claims["nonce"], "n-0S6_WzA2Mj");
        assert_eq!(id_claims["email"], server.demo.email);
        assert!(id_claims["auth_time"].is_i64());

        // A token whose signature was altered does not verify.
        let mut parts: Vec<String> = access_token.split('.').map(str::to_owned).collect();
        let mut signature = URL_SAFE_NO_PAD.decode(&parts[2]).unwrap();
        signature[10] ^= 1;
        parts[2] = URL_SAFE_NO_PAD.encode(signature);
        let tampered = parts.join(".");
        assert!(jsonwebtoken::decode::<Value>(&tampered, &decoding, &validation).is_err());
        assert_eq!(server.get_with("/v1/licenses", &tampered).await.status(), StatusCode::UNAUTHORIZED);
    }

    async fn confidential_client_authentication(server: &TestServer) {
        let client = server
            .service
            .create_client(paket_service::NewClient {
                confidential: true,
                ..common::public_client(&server.demo.app_id, "Kidstream Backend", &server.demo.redirect_uri)
            })
            .await
            .unwrap();
        let secret = client.client_secret.clone().unwrap();

        // A confidential client may skip PKCE.
        let query: Vec<(String, String)> = without(
            &server.authorize_query(&client.client_id, &server.demo.redirect_uri, "c"),
            &["code_challenge", "code_challenge_method"],
        );
        let redirect = server.sign_in_with(&query, &server.demo.email, &server.demo.password).await;
        let code = redirect["code"].clone();
        let form = [("grant_type", "authorization_code"), ("code", code.as_str()), ("redirect_uri", server.demo.redirect_uri.as_str())];

        let no_secret = server.http.post(server.url("/oauth2/token")).form(&[form.as_slice(), &[("client_id", client.client_id.as_str())]].concat()).send().await.unwrap();
        assert_eq!(no_secret.status(), StatusCode::UNAUTHORIZED);
        assert!(no_secret.headers()["www-authenticate"].to_str().unwrap().starts_with("Basic"));

        let wrong = server.http.post(server.url("/oauth2/token")).basic_auth(&client.client_id, Some("wrong")).form(&form).send().await.unwrap();
        assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
        let body: Value = wrong.json().await.unwrap();
        assert_eq!(body["error"], "invalid_client");

        let right = server.http.post(server.url("/oauth2/token")).basic_auth(&client.client_id, Some(&secret)).form(&form).send().await.unwrap();
        assert_eq!(right.status(), StatusCode::OK);
        let tokens: Value = right.json().await.unwrap();
        let access_token = tokens["access_token"].as_str().unwrap();
        assert_eq!(server.get_with("/v1/licenses", access_token).await.status(), StatusCode::OK);

        // The secret in the form body works for the refresh grant.
        let (status, _) = server
            .token(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
                ("client_id", &client.client_id),
                ("client_secret", &secret),
            ])
            .await;
        assert_eq!(status, StatusCode::OK);
    }

    async fn rotation_detects_reuse(server: &TestServer) {
        let client = server
            .service
            .create_client(paket_service::NewClient {
                platform: "ios".into(),
                rotate_refresh_tokens: true,
                ..common::public_client(&server.demo.app_id, "Kidstream iOS", &server.demo.redirect_uri)
            })
            .await
            .unwrap();
        let query = server.authorize_query(&client.client_id, &server.demo.redirect_uri, "r");
        let redirect = server.sign_in_with(&query, &server.demo.email, &server.demo.password).await;
        let (status, tokens) = server
            .exchange_with(&redirect["code"], &client.client_id, &server.demo.redirect_uri, VERIFIER)
            .await;
        assert_eq!(status, StatusCode::OK);
        let first = tokens["refresh_token"].as_str().unwrap();

        let (status, rotated) = server.refresh(first, &client.client_id).await;
        assert_eq!(status, StatusCode::OK);
        let second = rotated["refresh_token"].as_str().unwrap();
        assert_ne!(second, first);
        let access_token = rotated["access_token"].as_str().unwrap();
        assert_eq!(server.get_with("/v1/licenses", access_token).await.status(), StatusCode::OK);

        // The rotated-out token comes back: the whole grant is revoked.
        let (status, body) = server.refresh(first, &client.client_id).await;
        assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")));
        let (status, _) = server.refresh(second, &client.client_id).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "the newest refresh token is revoked too");
        assert_eq!(server.get_with("/v1/licenses", access_token).await.status(), StatusCode::UNAUTHORIZED);
    }

    async fn unknown_paths_and_methods(server: &TestServer) {
        let response = server.http.get(server.url("/v2/nothing")).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], "not_found");

        let response = server.http.delete(server.url("/v1/licenses")).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert!(response.headers()["allow"].to_str().unwrap().contains("GET"));
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], "method_not_allowed");

        let tokens = server.demo_tokens().await;
        let response = server
            .http
            .get(server.url("/v1/licenses"))
            .header("authorization", tokens["access_token"].as_str().unwrap())
            .header("accept", "text/html")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NOT_ACCEPTABLE);
    }
}
