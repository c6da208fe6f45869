//! Sign-in (with a two-factor code when it is on), sign-out and sign-up pages.

use axum::Extension;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use serde::Deserialize;

use super::render::render;
use super::session::{self, Visitor};
use crate::app::registrations::{self, SignUp};
use crate::app::{App, ClientAddr, sessions};

#[derive(Deserialize, Default)]
pub struct SignInForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    login: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    otp: String,
}

pub(super) fn refused(visitor: &Visitor, app: &App) -> Response {
    render(
        StatusCode::FORBIDDEN,
        "message.html",
        context! {
            title => "Form expired",
            message => "This form was not sent from this server's page, or it expired. Please try again.",
            ..visitor.context(app)
        },
    )
}

pub async fn sign_in_page(State(app): State<App>, headers: HeaderMap) -> Response {
    let visitor = Visitor::of(&app, &headers).await;
    if visitor.signed_in.is_some() {
        return Redirect::to("/settings/profile").into_response();
    }
    let page = render(
        StatusCode::OK,
        "sign_in.html",
        context! { title => "Sign in", login => "", ..visitor.context(&app) },
    );
    visitor.finish(&app, page)
}

pub async fn sign_in(
    State(app): State<App>,
    Extension(client): Extension<ClientAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let visitor = Visitor::of(&app, &headers).await;
    let form: SignInForm = serde_html_form::from_bytes(&body).unwrap_or_default();
    if !visitor.allows_post(&app, &headers, &form.csrf) {
        return refused(&visitor, &app);
    }
    let user_agent = headers
        .get(header::USER_AGENT)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("unknown browser")
        .to_string();
    let (login, password, otp) = (form.login.clone(), form.password, form.otp);
    let outcome = app
        .run(move |app| {
            let otp = Some(otp.as_str()).filter(|code| !code.trim().is_empty());
            sessions::sign_in(app, &login, &password, otp, client.ip, &user_agent)
        })
        .await;
    match outcome {
        Ok((secret, _)) => {
            let mut response = Redirect::to("/settings/profile").into_response();
            response
                .headers_mut()
                .append(header::SET_COOKIE, session::session_cookie(&app, &secret));
            response
        }
        Err(error) => render(
            StatusCode::UNAUTHORIZED,
            "sign_in.html",
            context! {
                title => "Sign in",
                login => form.login,
                error => session::message(&error),
                ..visitor.context(&app)
            },
        ),
    }
}

#[derive(Deserialize, Default)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

pub async fn sign_out(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Response {
    let visitor = Visitor::of(&app, &headers).await;
    let form: CsrfForm = serde_html_form::from_bytes(&body).unwrap_or_default();
    if !visitor.allows_post(&app, &headers, &form.csrf) {
        return refused(&visitor, &app);
    }
    if let Some(signed_in) = &visitor.signed_in {
        let secret = signed_in.secret.clone();
        let _ = app.run(move |app| sessions::sign_out(app, &secret)).await;
    }
    let mut response = Redirect::to("/auth/sign_in").into_response();
    response
        .headers_mut()
        .append(header::SET_COOKIE, session::expired_session_cookie(&app));
    response
}

#[derive(Deserialize, Default)]
pub struct InviteQuery {
    invite: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct SignUpForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    agreement: Option<String>,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    invite_code: String,
}

pub async fn sign_up_page(
    State(app): State<App>,
    headers: HeaderMap,
    uri: axum::http::Uri,
) -> Response {
    let query: InviteQuery =
        serde_html_form::from_str(uri.query().unwrap_or_default()).unwrap_or_default();
    let visitor = Visitor::of(&app, &headers).await;
    let page = render(
        StatusCode::OK,
        "sign_up.html",
        context! {
            title => "Sign up",
            mode => app.config.instance.registrations.clone(),
            invite_code => query.invite.unwrap_or_default(),
            form => context! { username => "", email => "", reason => "" },
            ..visitor.context(&app)
        },
    );
    visitor.finish(&app, page)
}

/// `/invite/CODE`: the link `skerry admin invite create` prints.
pub async fn invite(axum::extract::Path(code): axum::extract::Path<String>) -> Response {
    let query = serde_html_form::to_string([("invite", code.as_str())]).unwrap_or_default();
    Redirect::to(&format!("/auth/sign_up?{query}")).into_response()
}

pub async fn sign_up(
    State(app): State<App>,
    Extension(client): Extension<ClientAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let visitor = Visitor::of(&app, &headers).await;
    let form: SignUpForm = serde_html_form::from_bytes(&body).unwrap_or_default();
    if !visitor.allows_post(&app, &headers, &form.csrf) {
        return refused(&visitor, &app);
    }
    let input = SignUp {
        username: form.username.clone(),
        email: form.email.clone(),
        password: form.password.clone(),
        agreement: form.agreement.as_deref() == Some("true"),
        reason: form.reason.clone(),
        invite_code: Some(form.invite_code.clone()).filter(|code| !code.is_empty()),
    };
    let invited = input.invite_code.is_some();
    match app
        .run(move |app| registrations::create_account(app, input, client.ip))
        .await
    {
        Ok((_, pending)) => render(
            StatusCode::OK,
            "message.html",
            context! {
                title => "Welcome",
                message => match (app.config.email.enabled(), pending) {
                    (true, true) => "We sent a confirmation link to your e-mail address. Once you open it and a moderator approves your account, you can sign in.",
                    (true, false) => "We sent a confirmation link to your e-mail address. Open it to finish signing up.",
                    (false, true) => "Your account waits for a moderator's approval. You can sign in once it is approved.",
                    // Without e-mail, an invitation vouches for the address; otherwise
                    // a moderator confirms it (`registrations::create_account`).
                    (false, false) if invited => "Your account is ready.",
                    (false, false) => "Your account waits for a moderator to confirm it. You can sign in once it is confirmed.",
                },
                link => "/auth/sign_in",
                link_text => "Sign in",
                ..visitor.context(&app)
            },
        ),
        Err(error) => render(
            StatusCode::UNPROCESSABLE_ENTITY,
            "sign_up.html",
            context! {
                title => "Sign up",
                mode => app.config.instance.registrations.clone(),
                invite_code => form.invite_code,
                form => context! { username => form.username, email => form.email, reason => form.reason },
                error => session::message(&error),
                ..visitor.context(&app)
            },
        ),
    }
}
