//! GET and POST /oauth2/authorize: the sign-in page and its form.

use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Form, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use paket_service::{AuthorizationRequest, AuthorizeError, ServiceError, SignInOutcome};
use serde::Deserialize;

use crate::AppState;
use crate::page;

/// The authorization request parameters (RFC 6749 §4.1.1, RFC 7636, OpenID Connect).
#[derive(Debug, Default, Deserialize)]
pub struct AuthorizeParameters {
    response_type: Option<String>,
    client_id: Option<String>,
    redirect_uri: Option<String>,
    state: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
    scope: Option<String>,
    nonce: Option<String>,
}

impl From<AuthorizeParameters> for AuthorizationRequest {
    fn from(parameters: AuthorizeParameters) -> Self {
        AuthorizationRequest {
            response_type: parameters.response_type,
            client_id: parameters.client_id,
            redirect_uri: parameters.redirect_uri,
            state: parameters.state,
            code_challenge: parameters.code_challenge,
            code_challenge_method: parameters.code_challenge_method,
            scope: parameters.scope,
            nonce: parameters.nonce,
        }
    }
}

/// The posted sign-in form: the request again, plus the credentials.
#[derive(Deserialize)]
pub struct SignInForm {
    #[serde(flatten)]
    request: AuthorizeParameters,
    email: Option<String>,
    password: Option<String>,
}

/// GET /oauth2/authorize: validates the request and shows the sign-in page.
#[tracing::instrument(skip_all)]
pub async fn show(State(state): State<AppState>, query: Result<Query<AuthorizeParameters>, QueryRejection>) -> Response {
    let Ok(Query(parameters)) = query else {
        // Duplicate parameters land here (RFC 6749 §3.1 forbids them).
        return page::error(StatusCode::BAD_REQUEST, "The authorization request is malformed: a parameter is repeated or not valid UTF-8.");
    };

    match state.service.validate_authorization(parameters.into()).await {
        Ok(authorization) => page::sign_in(StatusCode::OK, &authorization, "", None),
        Err(error) => authorize_error(error),
    }
}

/// POST /oauth2/authorize: checks the credentials, then redirects with a code.
#[tracing::instrument(skip_all)]
pub async fn submit(State(state): State<AppState>, form: Result<Form<SignInForm>, FormRejection>) -> Response {
    let Ok(Form(form)) = form else {
        return page::error(StatusCode::BAD_REQUEST, "The sign-in form is malformed. Go back to the application and start again.");
    };
    let email = form.email.unwrap_or_default();
    let password = form.password.unwrap_or_default();
    let request: AuthorizationRequest = form.request.into();

    if email.trim().is_empty() || password.is_empty() {
        return match state.service.validate_authorization(request).await {
            Ok(authorization) => page::sign_in(StatusCode::BAD_REQUEST, &authorization, &email, Some("Enter your email and password.")),
            Err(error) => authorize_error(error),
        };
    }

    match state.service.sign_in(request, email.clone(), password).await {
        Ok(SignInOutcome::Redirect(location)) => redirect(&location),
        Ok(SignInOutcome::InvalidCredentials(authorization)) => {
            page::sign_in(StatusCode::UNAUTHORIZED, &authorization, &email, Some("The email or password is wrong."))
        }
        Err(error) => authorize_error(error),
    }
}

fn authorize_error(error: AuthorizeError) -> Response {
    match error {
        AuthorizeError::Page(message) => page::error(StatusCode::BAD_REQUEST, &message),
        AuthorizeError::Redirect { location, error } => {
            tracing::info!(error = %error, "authorization request rejected; redirecting the error to the client");
            redirect(&location)
        }
        AuthorizeError::Service(ServiceError::Unavailable(why)) => {
            tracing::warn!(error = %why, "sign-in page failed: a dependency is unavailable");
            page::error(StatusCode::SERVICE_UNAVAILABLE, "Paket is temporarily unavailable. Please try again in a moment.")
        }
        AuthorizeError::Service(error) => {
            tracing::error!(%error, "sign-in page failed with an internal error");
            page::error(StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong on Paket's side. Please try again.")
        }
    }
}

/// Builds a 302 Found to `location`, the status of the RFC 6749 §4.1.2 examples.
fn redirect(location: &str) -> Response {
    let Ok(value) = HeaderValue::from_str(location) else {
        return page::error(StatusCode::INTERNAL_SERVER_ERROR, "The redirect address is not valid.");
    };
    (StatusCode::FOUND, [(header::LOCATION, value), (header::CACHE_CONTROL, HeaderValue::from_static("no-store"))]).into_response()
}
