//! The pages behind e-mailed links: e-mail confirmation (`/auth/confirmation?token=`),
//! "forgot password" (`/auth/password/new`) and choosing a new password
//! (`/auth/password/edit?token=`). The token travels in the query of the link and then in a
//! hidden field of the form, never in a cookie.

use axum::Extension;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use minijinja::context;
use serde::Deserialize;

use super::render::render;
use super::session::{self, Visitor};
use crate::app::{App, ClientAddr, mail};

#[derive(Deserialize, Default)]
pub struct TokenQuery {
    #[serde(default)]
    token: String,
}

fn token_of(uri: &Uri) -> String {
    serde_html_form::from_str::<TokenQuery>(uri.query().unwrap_or_default())
        .unwrap_or_default()
        .token
}

fn message(app: &App, visitor: &Visitor, status: StatusCode, title: &str, text: &str) -> Response {
    render(
        status,
        "message.html",
        context! {
            title => title,
            message => text,
            link => "/auth/sign_in",
            link_text => "Sign in",
            ..visitor.context(app)
        },
    )
}

/// `GET /auth/confirmation?token=…`: the link of the confirmation e-mail.
pub async fn confirm(State(app): State<App>, headers: HeaderMap, uri: Uri) -> Response {
    let visitor = Visitor::of(&app, &headers).await;
    let token = token_of(&uri);
    match app.run(move |app| mail::confirm(app, &token)).await {
        Ok(pending) => message(
            &app,
            &visitor,
            StatusCode::OK,
            "E-mail confirmed",
            if pending {
                "Your e-mail address is confirmed. Your account now waits for a moderator's approval."
            } else {
                "Your e-mail address is confirmed. You can sign in now."
            },
        ),
        Err(error) => message(
            &app,
            &visitor,
            StatusCode::NOT_FOUND,
            "Link not valid",
            &session::message(&error),
        ),
    }
}

pub async fn request_page(State(app): State<App>, headers: HeaderMap) -> Response {
    let visitor = Visitor::of(&app, &headers).await;
    let page = render(
        StatusCode::OK,
        "password.html",
        context! {
            title => "Forgot your password?",
            step => "request",
            email_enabled => app.config.email.enabled(),
            ..visitor.context(&app)
        },
    );
    visitor.finish(&app, page)
}

#[derive(Deserialize, Default)]
pub struct RequestForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
}

/// `POST /auth/password/new`: queues a reset link; the answer does not say whether the
/// address has an account.
pub async fn request(
    State(app): State<App>,
    Extension(client): Extension<ClientAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let visitor = Visitor::of(&app, &headers).await;
    let form: RequestForm = serde_html_form::from_bytes(&body).unwrap_or_default();
    if !visitor.allows_post(&app, &headers, &form.csrf) {
        return super::auth::refused(&visitor, &app);
    }
    let email = form.email;
    match app
        .run(move |app| mail::request_password_reset(app, &email, client.ip))
        .await
    {
        Ok(()) => message(
            &app,
            &visitor,
            StatusCode::OK,
            "Check your e-mail",
            "If an account has this address, a message with a link to choose a new password is on its way.",
        ),
        Err(error) => render(
            session::http_status(&error),
            "password.html",
            context! {
                title => "Forgot your password?",
                step => "request",
                email_enabled => app.config.email.enabled(),
                error => session::message(&error),
                ..visitor.context(&app)
            },
        ),
    }
}

/// `GET /auth/password/edit?token=…`: the form of a new password.
pub async fn edit_page(State(app): State<App>, headers: HeaderMap, uri: Uri) -> Response {
    let visitor = Visitor::of(&app, &headers).await;
    let token = token_of(&uri);
    let probe = token.clone();
    let valid = app
        .run(move |app| mail::reset_link_valid(app, &probe))
        .await
        .unwrap_or(false);
    if !valid {
        return message(
            &app,
            &visitor,
            StatusCode::NOT_FOUND,
            "Link not valid",
            "This link is invalid or has expired.",
        );
    }
    let page = render(
        StatusCode::OK,
        "password.html",
        context! {
            title => "Choose a new password",
            step => "edit",
            token => token,
            ..visitor.context(&app)
        },
    );
    visitor.finish(&app, page)
}

#[derive(Deserialize, Default)]
pub struct EditForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    token: String,
    #[serde(default)]
    password: String,
}

/// `POST /auth/password/edit`: sets the password and ends every browser session.
pub async fn edit(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Response {
    let visitor = Visitor::of(&app, &headers).await;
    let form: EditForm = serde_html_form::from_bytes(&body).unwrap_or_default();
    if !visitor.allows_post(&app, &headers, &form.csrf) {
        return super::auth::refused(&visitor, &app);
    }
    let (token, password) = (form.token.clone(), form.password);
    match app
        .run(move |app| mail::reset_password(app, &token, &password))
        .await
    {
        Ok(()) => message(
            &app,
            &visitor,
            StatusCode::OK,
            "Password changed",
            "Your password is changed, and every browser signed in to your account was signed out.",
        ),
        Err(error) => render(
            session::http_status(&error),
            "password.html",
            context! {
                title => "Choose a new password",
                step => "edit",
                token => form.token,
                error => session::message(&error),
                ..visitor.context(&app)
            },
        ),
    }
}
