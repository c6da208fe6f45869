//! `GET /oauth/authorize` shows who asks for what and a login form; `POST` checks the
//! password, then redirects to the app with a code (or shows the code for the out-of-band
//! URI). There is no session cookie: the form carries the credentials each time, so there
//! is no session for a cross-site request to ride on.

use axum::body::Bytes;
use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::http::Uri;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::app::oauth::{self, AuthorizeRequest, OUT_OF_BAND};
use crate::app::{App, AppError, ClientAddr, sessions};

use super::page;

#[derive(Deserialize, Default, Clone)]
pub struct AuthorizeParams {
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    redirect_uri: String,
    scope: Option<String>,
    #[serde(default)]
    response_type: String,
    state: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
    /// Only on the POST: the login form and the choice.
    login: Option<String>,
    password: Option<String>,
    /// The two-factor code, for accounts that turned it on.
    otp: Option<String>,
    decision: Option<String>,
}

fn check(app: &App, params: &AuthorizeParams) -> Result<AuthorizeRequest, AppError> {
    oauth::check_authorize(
        app,
        &params.client_id,
        &params.redirect_uri,
        params.scope.as_deref(),
        &params.response_type,
        params.code_challenge.as_deref(),
        params.code_challenge_method.as_deref(),
    )
}

fn error_page(error: AppError) -> Response {
    let (http_status, text) = match error {
        AppError::BadRequest(text) => (StatusCode::BAD_REQUEST, text),
        AppError::RateLimited { .. } => (
            StatusCode::TOO_MANY_REQUESTS,
            "Too many attempts; try again later.".into(),
        ),
        other => {
            tracing::error!(error = %other, "authorize page");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "An unexpected error occurred".into(),
            )
        }
    };
    page(
        http_status,
        "Authorization failed",
        &format!(
            "<h1>Authorization failed</h1><p class=\"error\">{}</p>",
            html_escape::encode_text(&text)
        ),
    )
}

fn hidden(name: &str, value: &str) -> String {
    format!(
        "<input type=\"hidden\" name=\"{name}\" value=\"{}\">",
        html_escape::encode_double_quoted_attribute(value)
    )
}

fn form(request: &AuthorizeRequest, params: &AuthorizeParams, problem: Option<&str>) -> String {
    let scopes: String = request
        .scopes
        .names()
        .map(|name| format!("<li><code>{}</code></li>", html_escape::encode_text(name)))
        .collect();
    let mut fields = String::new();
    for (name, value) in [
        ("client_id", Some(params.client_id.as_str())),
        ("redirect_uri", Some(params.redirect_uri.as_str())),
        ("response_type", Some(params.response_type.as_str())),
        ("scope", Some(request.scopes.as_str())),
        ("state", params.state.as_deref()),
        ("code_challenge", params.code_challenge.as_deref()),
        (
            "code_challenge_method",
            params.code_challenge_method.as_deref(),
        ),
    ] {
        if let Some(value) = value {
            fields.push_str(&hidden(name, value));
        }
    }
    let problem = problem
        .map(|text| {
            format!(
                "<p class=\"error\" role=\"alert\">{}</p>",
                html_escape::encode_text(text)
            )
        })
        .unwrap_or_default();
    format!(
        "<h1>Authorize {name}</h1><p><strong>{name}</strong> asks for access to your account with these permissions:</p><ul>{scopes}</ul>{problem}\
<form method=\"post\" action=\"/oauth/authorize\">{fields}\
<label for=\"login\">Username or e-mail</label><input id=\"login\" name=\"login\" autocomplete=\"username\" required>\
<label for=\"password\">Password</label><input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required>\
<label for=\"otp\">Two-factor code (if you turned it on)</label><input id=\"otp\" name=\"otp\" inputmode=\"numeric\" autocomplete=\"one-time-code\">\
<button type=\"submit\" name=\"decision\" value=\"approve\">Authorize</button> \
<button type=\"submit\" name=\"decision\" value=\"deny\" formnovalidate>Deny</button></form>",
        name = html_escape::encode_text(&request.app.name),
    )
}

/// Form and query fields, decoded as forms are.
fn decode(bytes: &[u8]) -> Option<AuthorizeParams> {
    serde_html_form::from_bytes(bytes).ok()
}

pub async fn show(State(app): State<App>, uri: Uri) -> Response {
    let params = match decode(uri.query().unwrap_or_default().as_bytes()) {
        Some(params) => params,
        None => return error_page(AppError::BadRequest("invalid_request".into())),
    };
    let checked = params.clone();
    match app.run(move |app| check(app, &checked)).await {
        Ok(request) => page(StatusCode::OK, "Authorize", &form(&request, &params, None)),
        Err(error) => error_page(error),
    }
}

/// Appends query parameters to a redirect URI.
fn with_query(uri: &str, pairs: &[(&str, &str)]) -> String {
    let query = serde_html_form::to_string(pairs).unwrap_or_default();
    let separator = if uri.contains('?') { '&' } else { '?' };
    format!("{uri}{separator}{query}")
}

pub async fn submit(
    State(app): State<App>,
    Extension(client): Extension<ClientAddr>,
    body: Bytes,
) -> Response {
    let params = match decode(&body) {
        Some(params) => params,
        None => return error_page(AppError::BadRequest("invalid_request".into())),
    };
    let checked = params.clone();
    let request = match app.run(move |app| check(app, &checked)).await {
        Ok(request) => request,
        Err(error) => return error_page(error),
    };
    let state = params.state.clone().unwrap_or_default();
    if params.decision.as_deref() == Some("deny") {
        if request.redirect_uri == OUT_OF_BAND {
            return page(
                StatusCode::OK,
                "Denied",
                "<h1>Access denied</h1><p>You can close this page.</p>",
            );
        }
        let mut pairs = vec![("error", "access_denied")];
        if !state.is_empty() {
            pairs.push(("state", &state));
        }
        return Redirect::to(&with_query(&request.redirect_uri, &pairs)).into_response();
    }
    let login = params.login.clone().unwrap_or_default();
    let password = params.password.clone().unwrap_or_default();
    let otp = params.otp.clone();
    let code_request = request.clone();
    let outcome = app
        .run(move |app| {
            let otp = otp.as_deref().filter(|code| !code.trim().is_empty());
            let account = sessions::authenticate(app, &login, &password, otp, client.ip)?;
            oauth::issue_code(app, &code_request, account)
        })
        .await;
    let code = match outcome {
        Ok(code) => code,
        Err(AppError::Forbidden(text)) => {
            return page(
                StatusCode::UNAUTHORIZED,
                "Authorize",
                &form(&request, &params, Some(text)),
            );
        }
        Err(error) => return error_page(error),
    };
    if request.redirect_uri == OUT_OF_BAND {
        return page(
            StatusCode::OK,
            "Authorization code",
            &format!(
                "<h1>Authorization code</h1><p>Copy this code and paste it into the application:</p><p><code id=\"authorization-code\">{}</code></p>",
                html_escape::encode_text(&code)
            ),
        );
    }
    let mut pairs = vec![("code", code.as_str())];
    if !state.is_empty() {
        pairs.push(("state", &state));
    }
    Redirect::to(&with_query(&request.redirect_uri, &pairs)).into_response()
}
