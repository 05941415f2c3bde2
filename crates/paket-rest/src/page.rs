//! Paket's HTML pages: the sign-in form and the error page.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use paket_service::ValidAuthorization;

/// Escapes text for HTML element content and double-quoted attributes.
pub fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            other => escaped.push(other),
        }
    }
    escaped
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;background:#f4f4f7;margin:0}\
main{max-width:24rem;margin:4rem auto;background:#fff;padding:2rem;border-radius:.75rem;box-shadow:0 1px 4px #0002}\
h1{font-size:1.4rem;margin-top:0}label{display:block;margin-top:1rem;font-weight:600}\
input[type=email],input[type=password]{width:100%;box-sizing:border-box;padding:.6rem;margin-top:.3rem;font-size:1rem}\
button{margin-top:1.5rem;width:100%;padding:.7rem;font-size:1rem;background:#3b2bd1;color:#fff;border:0;border-radius:.4rem}\
.error{color:#a40000;background:#fff0f0;padding:.6rem;border-radius:.4rem}";

fn document(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><style>{STYLE}</style></head><body><main>{body}</main></body></html>",
        title = escape(title),
    )
}

/// Wraps a page with headers that forbid framing (clickjacking), caching
/// and any script or outside resource.
fn respond(status: StatusCode, html: String) -> Response {
    let mut response = (status, Html(html)).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    response
}

/// Renders the sign-in form. The authorization request travels in hidden
/// fields and is validated again when the form is posted.
pub fn sign_in(status: StatusCode, authorization: &ValidAuthorization, email: &str, error: Option<&str>) -> Response {
    let mut hidden = String::new();
    let fields = [
        ("response_type", Some("code")),
        ("client_id", Some(authorization.client_id.as_str())),
        ("redirect_uri", Some(authorization.redirect_uri.as_str())),
        ("state", authorization.state.as_deref()),
        ("code_challenge", authorization.code_challenge.as_deref()),
        ("code_challenge_method", authorization.code_challenge.as_ref().map(|_| "S256")),
        ("scope", Some(authorization.scope.as_str())),
        ("nonce", authorization.nonce.as_deref()),
    ];
    for (name, value) in fields {
        if let Some(value) = value {
            hidden.push_str(&format!("<input type=\"hidden\" name=\"{name}\" value=\"{}\">", escape(value)));
        }
    }
    let error = error.map_or_else(String::new, |message| format!("<p class=\"error\" role=\"alert\">{}</p>", escape(message)));
    let app = if authorization.app_name.is_empty() { &authorization.client_name } else { &authorization.app_name };
    let body = format!(
        "<h1>Sign in to {app}</h1><p>with your Paket account</p>{error}\
         <form method=\"post\" action=\"/oauth2/authorize\">{hidden}\
         <label for=\"email\">Email</label><input id=\"email\" type=\"email\" name=\"email\" value=\"{email}\" autocomplete=\"username\" required autofocus>\
         <label for=\"password\">Password</label><input id=\"password\" type=\"password\" name=\"password\" autocomplete=\"current-password\" required>\
         <button type=\"submit\">Sign in</button></form>",
        app = escape(app),
        email = escape(email),
    );
    respond(status, document("Sign in - Paket", &body))
}

/// Renders an error page for the user; such errors are never redirected.
pub fn error(status: StatusCode, message: &str) -> Response {
    let body = format!("<h1>Sign-in cannot continue</h1><p class=\"error\" role=\"alert\">{}</p>", escape(message));
    respond(status, document("Error - Paket", &body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_neutralises_markup() {
        assert_eq!(escape("<a href=\"x\">'&'</a>"), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
    }
}
