//! The templates of the web pages (`templates/*.html`), compiled into the binary and rendered
//! at run time with minijinja, which escapes every value for HTML; and the security headers
//! every page carries.

use std::sync::LazyLock;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use minijinja::Environment;

/// No scripts at all, no framing, styles inline only, images from here or inline SVG.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const TEMPLATES: [(&str, &str); 10] = [
    ("base.html", include_str!("../../templates/base.html")),
    ("sign_in.html", include_str!("../../templates/sign_in.html")),
    ("sign_up.html", include_str!("../../templates/sign_up.html")),
    ("message.html", include_str!("../../templates/message.html")),
    (
        "settings.html",
        include_str!("../../templates/settings.html"),
    ),
    ("admin.html", include_str!("../../templates/admin.html")),
    ("profile.html", include_str!("../../templates/profile.html")),
    ("status.html", include_str!("../../templates/status.html")),
    (
        "password.html",
        include_str!("../../templates/password.html"),
    ),
    ("policy.html", include_str!("../../templates/policy.html")),
];

/// Parsed once; templates are part of the binary, so a broken one fails the first test.
static ENVIRONMENT: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut environment = Environment::new();
    for (name, source) in TEMPLATES {
        environment
            .add_template(name, source)
            .unwrap_or_else(|error| panic!("template {name}: {error}"));
    }
    environment
});

/// Adds the headers every page has: CSP, no framing, no referrer, no caching.
pub fn secure(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Renders `name` with `context` into a page with `status`.
pub fn render(status: StatusCode, name: &str, context: minijinja::Value) -> Response {
    let rendered = ENVIRONMENT
        .get_template(name)
        .and_then(|template| template.render(context));
    match rendered {
        Ok(html) => secure((status, Html(html)).into_response()),
        Err(error) => {
            tracing::error!(template = name, %error, "a page failed to render");
            secure((StatusCode::INTERNAL_SERVER_ERROR, "page error").into_response())
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_template_parses() {
        for (name, _) in super::TEMPLATES {
            assert!(super::ENVIRONMENT.get_template(name).is_ok(), "{name}");
        }
    }
}
