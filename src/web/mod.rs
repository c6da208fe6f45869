//! Server-rendered HTML pages: the OAuth login and consent page, the out-of-band code page,
//! plain public profile and status pages, sign-in and sign-up, settings, and the admin pages.
//! May import `app` and below; never `api`. Pages have no scripts and a strict CSP; every
//! form carries an anti-CSRF token (`session`).

pub mod admin;
pub mod auth;
mod charts;
pub mod media;
pub mod oauth;
pub mod password;
pub mod policies;
pub mod profile;
mod render;
mod session;
pub mod settings;

use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};

/// A strict policy for our pages: no scripts, no framing (the consent page must not be
/// clickjacked), styles inline only.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'";

/// A full page around `body`, with security headers.
pub fn page(http_status: axum::http::StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>{}</title><style>body{{font-family:system-ui,sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem;color:#111;background:#fff}}\
label{{display:block;margin-top:1rem}}input{{width:100%;padding:.5rem;font-size:1rem;box-sizing:border-box}}\
button{{margin-top:1rem;padding:.6rem 1.2rem;font-size:1rem}}code{{word-break:break-all;font-size:1.1rem}}.error{{color:#a00}}</style></head>\
<body><main>{body}</main></body></html>",
        html_escape::encode_text(title)
    );
    let mut response = (http_status, Html(html)).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
