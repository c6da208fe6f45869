//! `/privacy-policy` and `/terms`: the instance's privacy policy and terms of service
//! (`instance.privacy_policy`, `instance.terms_of_service`) as pages, formatted as the API's
//! `/api/v1/instance/privacy_policy` formats them. 404 when the server has none.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use minijinja::context;

use super::render::render;
use super::session::Visitor;
use crate::app::App;

async fn policy(app: &App, headers: &HeaderMap, title: &str, text: &str) -> Response {
    if text.trim().is_empty() {
        return StatusCode::NOT_FOUND.into_response();
    }
    let visitor = Visitor::of(app, headers).await;
    // `text::format` escapes the text and adds only paragraphs and links.
    let html = crate::app::text::format(
        text,
        |_| None::<crate::app::text::ResolvedMention<u64>>,
        |tag| format!("{}/tags/{tag}", app.base_url),
    )
    .html;
    render(
        StatusCode::OK,
        "policy.html",
        context! { title => title, html => html, ..visitor.context(app) },
    )
}

pub async fn privacy_policy(State(app): State<App>, headers: HeaderMap) -> Response {
    let text = app.config.instance.privacy_policy.clone();
    policy(&app, &headers, "Privacy policy", &text).await
}

pub async fn terms(State(app): State<App>, headers: HeaderMap) -> Response {
    let text = app.config.instance.terms_of_service.clone();
    policy(&app, &headers, "Terms of service", &text).await
}
