//! The sign-in path end to end over HTTP, on SQLite and PostgreSQL:
//! authorize, sign-in form, code exchange with PKCE, /v1/licenses, refresh.

#![allow(clippy::unwrap_used)]

#[macro_use]
mod common;

use chrono::DateTime;
use common::{Backend, TestServer, VERIFIER};
use reqwest::StatusCode;
use serde_json::Value;

/// Asserts that `value` is an RFC 3339 instant with an explicit offset.
fn assert_rfc3339(value: &Value, field: &str) {
    let text = value.as_str().unwrap_or_else(|| panic!("{field} is not a string: {value}"));
    assert!(DateTime::parse_from_rfc3339(text).is_ok(), "{field} = {text:?} is not RFC 3339");
    assert!(text.ends_with("+00:00"), "{field} = {text:?} has no +00:00 offset");
}

fn keys(object: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = object.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    keys
}

on_both_backends! {
    async fn full_flow(server: &TestServer) {
        // authorize -> sign-in form -> 302 with code and state
        let query = server.authorize_query(&server.demo.client_id, &server.demo.redirect_uri, "state-123");
        let redirect = server.sign_in_with(&query, &server.demo.email, &server.demo.password).await;
        assert_eq!(redirect["state"], "state-123");
        assert_eq!(redirect["iss"], server.base);
        let code = &redirect["code"];

        // token exchange with the PKCE verifier
        let tokens = server.exchange(code).await;
        assert_eq!(tokens["token_type"], "Bearer");
        assert_eq!(tokens["expires_in"], 3600);
        let access_token = tokens["access_token"].as_str().unwrap();
        let refresh_token = tokens["refresh_token"].as_str().unwrap();
        assert!(tokens["id_token"].as_str().unwrap().split('.').count() == 3);

        // GET /v1/licenses: exactly the documented fields and formats
        let response = server.get_with("/v1/licenses", &format!("Bearer {access_token}")).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["content-type"], "application/json");
        let body: Value = response.json().await.unwrap();
        assert_eq!(keys(&body), ["client_id", "items", "plan_id"]);
        assert_eq!(body["client_id"], server.demo.client_id);
        assert_eq!(body["plan_id"], server.demo.plan_id);
        let items = body["items"].as_array().unwrap();
        assert_eq!(items.len(), 1);
        let entry = &items[0];
        assert_eq!(keys(entry), ["item", "license"]);
        let item = &entry["item"];
        assert_eq!(
            keys(item),
            [
                "billing_cycle_anchor", "date_added", "interval_length", "interval_unit", "license_type", "name",
                "renew_status", "renews_on", "status", "trial", "trial_duration", "trial_reset",
            ]
        );
        assert_eq!(item["license_type"], "SINGLE");
        assert_eq!(item["name"], "Kidstream");
        assert_eq!(item["status"], "ACTIVE");
        assert_eq!(item["renew_status"], "RENEW");
        assert_eq!(item["interval_length"], 1);
        assert_eq!(item["interval_unit"], "MONTHS");
        assert_eq!(item["trial"], false);
        assert_eq!(item["trial_duration"], 7);
        assert_eq!(item["trial_reset"], 365);
        for field in ["renews_on", "billing_cycle_anchor", "date_added"] {
            assert_rfc3339(&item[field], field);
        }
        let license = &entry["license"];
        assert_eq!(keys(license), ["description", "id", "internal_id", "locales", "name", "rank"]);
        assert_eq!(license["id"], server.demo.license_ids[0]);
        assert!(uuid::Uuid::parse_str(license["id"].as_str().unwrap()).is_ok());
        assert_eq!(license["internal_id"], "KS-NOADS");
        assert_eq!(license["name"], "No Ads");
        assert_eq!(license["rank"], 10);
        let locales = license["locales"].as_array().unwrap();
        assert_eq!(locales.len(), 3);
        assert!(locales.contains(&serde_json::json!({"name": "United States", "country_code": "US"})));
        assert!(locales.contains(&serde_json::json!({"name": "Canada", "country_code": "CA"})));

        // refresh grant -> a new access token that works
        let (status, refreshed) = server
            .refresh(refresh_token, &server.demo.client_id)
            .await;
        assert_eq!(status, StatusCode::OK, "{refreshed}");
        assert!(refreshed.get("refresh_token").is_none(), "no new refresh token without rotation");
        let new_access_token = refreshed["access_token"].as_str().unwrap();
        assert_ne!(new_access_token, access_token);
        let response = server.get_with("/v1/licenses", &format!("Bearer {new_access_token}")).await;
        assert_eq!(response.status(), StatusCode::OK);
        let refreshed_body: Value = response.json().await.unwrap();
        assert_eq!(refreshed_body, body);
    }

    async fn bare_and_bearer_headers(server: &TestServer) {
        let tokens = server.demo_tokens().await;
        let access_token = tokens["access_token"].as_str().unwrap();
        for path in ["/v1/licenses", "/licenses", "/v1/subscriptions"] {
            let bare = server.get_with(path, access_token).await;
            assert_eq!(bare.status(), StatusCode::OK, "{path} with a bare token");
            let bearer = server.get_with(path, &format!("Bearer {access_token}")).await;
            assert_eq!(bearer.status(), StatusCode::OK, "{path} with Bearer");
        }
    }

    async fn wrong_verifier_rejected(server: &TestServer) {
        let code = server.demo_code().await;
        let wrong = "x".repeat(64);
        let (status, body) = server
            .exchange_with(&code, &server.demo.client_id, &server.demo.redirect_uri, &wrong)
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["error"], "invalid_grant");
        assert!(body["error_description"].as_str().unwrap().contains("code_verifier"), "{body}");

        let (status, body) = server
            .token(&[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("client_id", &server.demo.client_id),
                ("redirect_uri", &server.demo.redirect_uri),
            ])
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["error"], "invalid_grant", "a missing verifier is rejected too: {body}");
    }

    async fn reused_code_revokes_first_tokens(server: &TestServer) {
        let code = server.demo_code().await;
        let first = server.exchange(&code).await;
        let access_token = first["access_token"].as_str().unwrap();
        assert_eq!(server.get_with("/v1/licenses", access_token).await.status(), StatusCode::OK);

        let (status, body) = server
            .exchange_with(&code, &server.demo.client_id, &server.demo.redirect_uri, VERIFIER)
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["error"], "invalid_grant");

        let revoked = server.get_with("/v1/licenses", access_token).await;
        assert_eq!(revoked.status(), StatusCode::UNAUTHORIZED, "the first exchange's access token is revoked");
        let (status, body) = server
            .token(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", first["refresh_token"].as_str().unwrap()),
                ("client_id", &server.demo.client_id),
            ])
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "the first exchange's refresh token is revoked");
        assert_eq!(body["error"], "invalid_grant");
    }

    async fn code_of_other_client_rejected(server: &TestServer) {
        let other = server
            .service
            .create_client(paket_service::NewClient {
                platform: "roku".into(),
                ..common::public_client(&server.demo.app_id, "Kidstream Roku", &server.demo.redirect_uri)
            })
            .await
            .unwrap();
        let code = server.demo_code().await;
        let (status, body) = server
            .exchange_with(&code, &other.client_id, &server.demo.redirect_uri, VERIFIER)
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["error"], "invalid_grant");
        assert!(body["error_description"].as_str().unwrap().contains("another client"), "{body}");

        // The rightful client can still exchange it.
        server.exchange(&code).await;
    }

    async fn unregistered_redirect_not_followed(server: &TestServer) {
        let evil = "http://127.0.0.1:9999/steal";
        let query = server.authorize_query(&server.demo.client_id, evil, "s");
        let response = server.http.get(server.url("/oauth2/authorize")).query(&query).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert!(response.headers().get("location").is_none(), "no redirect to an unregistered URI");
        let html = response.text().await.unwrap();
        assert!(html.contains("redirect_uri is not registered"), "{html}");

        // Posting the form straight away does not redirect either.
        let mut form: Vec<(String, String)> = query.clone();
        form.push(("email".into(), server.demo.email.clone()));
        form.push(("password".into(), server.demo.password.clone()));
        let response = server.http.post(server.url("/oauth2/authorize")).form(&form).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert!(response.headers().get("location").is_none());

        // A near miss of the registered URI is not registered.
        let near = format!("{}/", server.demo.redirect_uri);
        let query = server.authorize_query(&server.demo.client_id, &near, "s");
        let response = server.http.get(server.url("/oauth2/authorize")).query(&query).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert!(response.headers().get("location").is_none());
    }

    async fn other_apps_items_hidden(server: &TestServer) {
        use paket_domain::plan_item::{IntervalUnit, ItemStatus, LicenseType};
        use paket_domain::status::CatalogStatus;

        // App B, with a license the demo user also holds, and a client of B.
        let service = &server.service;
        let app_b = service.create_app(server.demo.company_id.clone(), "Sportstream".into(), String::new()).await.unwrap();
        service.move_app(app_b.clone(), CatalogStatus::Pending).await.unwrap();
        service.move_app(app_b.clone(), CatalogStatus::Live).await.unwrap();
        let license_b = service
            .create_license(paket_service::NewLicense {
                app_id: app_b.clone(),
                internal_id: "SP-1".into(),
                name: "Sports Pass".into(),
                description: String::new(),
                rank: 99,
                interval_length: 1,
                interval_unit: IntervalUnit::Years,
                trial_duration_days: 0,
                trial_reset_days: 0,
                price_tier: Some(5),
                countries: vec!["US".into()],
                test_mode: false,
            })
            .await
            .unwrap();
        service
            .add_plan_item(paket_service::NewPlanItem {
                user_id: server.demo.user_id.clone(),
                license_id: license_b.clone(),
                license_type: LicenseType::Bundle,
                status: ItemStatus::Active,
                date_added: chrono::Utc::now(),
                trial: false,
                cancelled_at: None,
            })
            .await
            .unwrap();
        let client_b = service
            .create_client(common::public_client(&app_b, "Sportstream Web", "http://127.0.0.1:8766/cb"))
            .await
            .unwrap();

        // The token of App A's client sees only App A's item.
        let tokens_a = server.demo_tokens().await;
        let body_a: Value = server.get_with("/v1/licenses", tokens_a["access_token"].as_str().unwrap()).await.json().await.unwrap();
        let ids_a: Vec<&str> = body_a["items"].as_array().unwrap().iter().map(|entry| entry["license"]["id"].as_str().unwrap()).collect();
        assert_eq!(ids_a, [server.demo.license_ids[0].as_str()]);

        // The token of App B's client sees only App B's item.
        let query = server.authorize_query(&client_b.client_id, "http://127.0.0.1:8766/cb", "b");
        let redirect = server.sign_in_with(&query, &server.demo.email, &server.demo.password).await;
        let (status, tokens_b) = server
            .exchange_with(&redirect["code"], &client_b.client_id, "http://127.0.0.1:8766/cb", VERIFIER)
            .await;
        assert_eq!(status, StatusCode::OK, "{tokens_b}");
        let body_b: Value = server.get_with("/v1/licenses", tokens_b["access_token"].as_str().unwrap()).await.json().await.unwrap();
        let items_b = body_b["items"].as_array().unwrap();
        assert_eq!(items_b.len(), 1);
        assert_eq!(items_b[0]["license"]["id"], license_b);
        assert_eq!(items_b[0]["item"]["license_type"], "BUNDLE");
        assert_eq!(items_b[0]["item"]["name"], "Sportstream");
        assert_eq!(body_b["client_id"], client_b.client_id);
    }

    async fn expired_access_token_rejected(server: &TestServer) {
        let tokens = server.demo_tokens().await;
        let access_token = tokens["access_token"].as_str().unwrap();
        server.clock.advance(3599);
        assert_eq!(server.get_with("/v1/licenses", access_token).await.status(), StatusCode::OK, "valid one second before expiry");
        server.clock.advance(1);
        let response = server.get_with("/v1/licenses", access_token).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert!(response.headers()["www-authenticate"].to_str().unwrap().starts_with("Bearer"));
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], "invalid_token");
        assert!(body["error_description"].as_str().unwrap().contains("expired"), "{body}");

        // The refresh token still works after the access token expired.
        let (status, _) = server
            .token(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
                ("client_id", &server.demo.client_id),
            ])
            .await;
        assert_eq!(status, StatusCode::OK);
    }

    async fn no_items_answers_204(server: &TestServer) {
        let user = server
            .service
            .create_user(paket_service::NewUser {
                email: "nobody@kidstream.example".into(),
                password: "long enough password".into(),
                name: "No Items".into(),
                country_code: "US".into(),
            })
            .await
            .unwrap();
        assert!(!user.user_id.is_empty());
        let query = server.authorize_query(&server.demo.client_id, &server.demo.redirect_uri, "s");
        let redirect = server.sign_in_with(&query, "Nobody@Kidstream.example", "long enough password").await;
        let tokens = server.exchange(&redirect["code"]).await;
        let response = server.get_with("/v1/licenses", tokens["access_token"].as_str().unwrap()).await;
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
        assert!(response.bytes().await.unwrap().is_empty());
    }

    async fn concurrent_reuse_single_winner(server: &TestServer) {
        // Eight exchanges of one code at once: exactly one gets tokens.
        let code = server.demo_code().await;
        let attempts = (0..8).map(|_| {
            server.token_owned(vec![
                ("grant_type".into(), "authorization_code".into()),
                ("code".into(), code.clone()),
                ("client_id".into(), server.demo.client_id.clone()),
                ("redirect_uri".into(), server.demo.redirect_uri.clone()),
                ("code_verifier".into(), VERIFIER.into()),
            ])
        });
        let results = futures::future::join_all(attempts).await;
        let winners = results.iter().filter(|(status, _)| *status == StatusCode::OK).count();
        assert_eq!(winners, 1, "{results:?}");
        for (status, body) in results.iter().filter(|(status, _)| *status != StatusCode::OK) {
            assert_eq!(*status, StatusCode::BAD_REQUEST);
            assert_eq!(body["error"], "invalid_grant");
        }
    }

    async fn concurrent_sign_ins_succeed(server: &TestServer) {
        // Parallel sign-ins and exchanges write concurrently; none may fail
        // with a database busy or serialization error.
        let flows = (0..12).map(|_| async { server.demo_tokens().await["access_token"].as_str().unwrap().to_owned() });
        let tokens = futures::future::join_all(flows).await;
        for token in tokens {
            assert_eq!(server.get_with("/v1/licenses", &token).await.status(), StatusCode::OK);
        }
    }

    async fn missing_and_bad_tokens_401(server: &TestServer) {
        let missing = server.http.get(server.url("/v1/licenses")).send().await.unwrap();
        assert_eq!(missing.status(), StatusCode::UNAUTHORIZED);
        let body: Value = missing.json().await.unwrap();
        assert_eq!(body["error"], "invalid_token");
        assert!(body["error_description"].as_str().unwrap().contains("missing"), "{body}");

        for bad in ["Bearer not-a-jwt", "eyJhbGciOiJFUzI1NiJ9.e30.c2ln"] {
            let response = server.get_with("/v1/licenses", bad).await;
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{bad}");
            let body: Value = response.json().await.unwrap();
            assert_eq!(body["error"], "invalid_token");
        }

        // An ID token is not an access token.
        let tokens = server.demo_tokens().await;
        let response = server.get_with("/v1/licenses", tokens["id_token"].as_str().unwrap()).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
}

/// The PostgreSQL variant must run in CI: this fails when the server is down.
#[test]
fn postgres_reachable() {
    let database = common::TestDatabase::create(Backend::Postgres);
    assert!(database.url.starts_with("postgres://"));
}
