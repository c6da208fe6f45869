//! Who is visiting: the session cookie, and the anti-CSRF token every form carries.
//!
//! Cookies are `HttpOnly`, `SameSite=Lax` and `Secure` when the server is on https. Every
//! POST must carry the form token (the session's, or before sign-in the one in the
//! `skerry_csrf` cookie) and, when the browser sends `Origin`, come from this server.

use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::Response;

use crate::app::{App, AppError, sessions};
use crate::model::{LocalUser, Role, WebSession};
use crate::util::random;

pub const SESSION_COOKIE: &str = "skerry_session";
pub const CSRF_COOKIE: &str = "skerry_csrf";
/// Longest cookie value looked at; ours are 43 characters.
const COOKIE_BYTES_MAX: usize = 256;
/// The session cookie lives as long as a session may idle.
const SESSION_COOKIE_SECS: u64 = sessions::SESSION_IDLE_MAX_MS / 1000;

/// The value of cookie `name`, if the request has it.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, value)| *key == name && value.len() <= COOKIE_BYTES_MAX)
        .map(|(_, value)| value.to_string())
}

fn cookie_header(app: &App, name: &str, value: &str, max_age_secs: u64) -> HeaderValue {
    let secure = if app.config.server.scheme == "https" {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{secure}"
    ))
    .expect("cookie values are URL-safe base64")
}

/// A signed-in browser.
pub struct SignedIn {
    pub session: WebSession,
    pub user: LocalUser,
    pub username: String,
    /// The cookie's secret (to sign out).
    pub secret: String,
}

/// The browser's state: signed in or not, and its form token.
pub struct Visitor {
    pub signed_in: Option<SignedIn>,
    /// The form token of a visitor who is not signed in (from the cookie, or new).
    anonymous_csrf: String,
    new_csrf_cookie: bool,
}

impl Visitor {
    pub async fn of(app: &App, headers: &HeaderMap) -> Visitor {
        let signed_in = match cookie(headers, SESSION_COOKIE) {
            Some(secret) => {
                let looked_up = secret.clone();
                app.run(move |app| {
                    let (session, user) = sessions::session(app, &looked_up)?;
                    let (view, _) = crate::app::accounts::credentials(app, user.account_id)?;
                    Ok(SignedIn {
                        session,
                        user,
                        username: view.account.username,
                        secret: looked_up,
                    })
                })
                .await
                .ok()
            }
            None => None,
        };
        let existing = cookie(headers, CSRF_COOKIE).filter(|token| token.len() >= 32);
        Visitor {
            signed_in,
            new_csrf_cookie: existing.is_none(),
            anonymous_csrf: existing.unwrap_or_else(|| random::token(24)),
        }
    }

    /// The token this visitor's forms carry.
    pub fn csrf(&self) -> &str {
        match &self.signed_in {
            Some(signed_in) => &signed_in.session.csrf,
            None => &self.anonymous_csrf,
        }
    }

    /// Whether a POST is this visitor's own: the form token matches (compared in constant
    /// time) and `Origin`, when sent, is this server.
    pub fn allows_post(&self, app: &App, headers: &HeaderMap, form_token: &str) -> bool {
        let same_origin = headers
            .get(header::ORIGIN)
            .and_then(|origin| origin.to_str().ok())
            .is_none_or(|origin| origin == app.base_url);
        same_origin
            && aws_lc_rs::constant_time::verify_slices_are_equal(
                self.csrf().as_bytes(),
                form_token.as_bytes(),
            )
            .is_ok()
    }

    /// What every template gets: the user (name, whether staff) and the form token.
    pub fn context(&self, app: &App) -> minijinja::Value {
        let user = self.signed_in.as_ref().map(|signed_in| {
            minijinja::context! {
                username => signed_in.username.clone(),
                staff => signed_in.user.role >= Role::Moderator,
            }
        });
        minijinja::context! {
            user => user,
            csrf => self.csrf(),
            instance => app.config.server.host.clone(),
            // The footer links only to the documents the server has.
            privacy_policy => !app.config.instance.privacy_policy.trim().is_empty(),
            terms => !app.config.instance.terms_of_service.trim().is_empty(),
        }
    }

    /// Sets the anonymous form token's cookie on `response` if the browser had none.
    pub fn finish(&self, app: &App, mut response: Response) -> Response {
        if self.new_csrf_cookie && self.signed_in.is_none() {
            response.headers_mut().append(
                header::SET_COOKIE,
                cookie_header(app, CSRF_COOKIE, &self.anonymous_csrf, SESSION_COOKIE_SECS),
            );
        }
        response
    }
}

pub fn session_cookie(app: &App, secret: &str) -> HeaderValue {
    cookie_header(app, SESSION_COOKIE, secret, SESSION_COOKIE_SECS)
}

pub fn expired_session_cookie(app: &App) -> HeaderValue {
    cookie_header(app, SESSION_COOKIE, "", 0)
}

/// An app error as the text a page shows.
/// The HTTP status of a page that shows `error`.
pub fn http_status(error: &AppError) -> axum::http::StatusCode {
    use axum::http::StatusCode;
    match error {
        AppError::Validation(_) | AppError::BadRequest(_) => StatusCode::UNPROCESSABLE_ENTITY,
        AppError::Forbidden(_) => StatusCode::FORBIDDEN,
        AppError::NotFound => StatusCode::NOT_FOUND,
        AppError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
        AppError::Unauthorized => StatusCode::UNAUTHORIZED,
        AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

pub fn message(error: &AppError) -> String {
    match error {
        AppError::Validation(text) | AppError::BadRequest(text) => text.clone(),
        AppError::Forbidden(text) => (*text).to_string(),
        AppError::NotFound => "Not found".into(),
        AppError::RateLimited { retry_after_secs } => {
            format!("Too many attempts; try again in {retry_after_secs} seconds")
        }
        AppError::Unauthorized => "Please sign in again".into(),
        AppError::Unavailable(_) | AppError::Internal(_) => {
            "Something went wrong on the server".into()
        }
    }
}
