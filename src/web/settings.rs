//! The settings pages of a signed-in user: profile, password, two-factor authentication,
//! and the browsers and apps that have access.

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use serde::Deserialize;

use super::render::render;
use super::session::{self, SignedIn, Visitor};
use crate::app::accounts::{self, ProfileUpdate};
use crate::app::{App, AppError, ClientAddr, sessions};
use crate::sig::totp;
use crate::util::time::iso8601_ms;

/// Where a visitor who is not signed in goes.
pub fn to_sign_in() -> Response {
    Redirect::to("/auth/sign_in").into_response()
}

/// Everything a settings section shows.
async fn section(
    app: &App,
    visitor: &Visitor,
    signed_in: &SignedIn,
    name: &str,
    notice: Option<&str>,
    error: Option<String>,
) -> Response {
    let account = signed_in.user.account_id;
    let current = signed_in.session.id;
    let username = signed_in.username.clone();
    let loaded = app
        .run(move |app| {
            let (view, _) = accounts::credentials(app, account)?;
            let two_factor = if sessions::two_factor_enabled(app, account)? {
                "on"
            } else {
                "off"
            };
            let pending = sessions::pending_two_factor(app, account)?;
            let sessions_list: Vec<minijinja::Value> = sessions::list_sessions(app, account)?
                .into_iter()
                .map(|session| {
                    context! {
                        id => session.id.to_string(),
                        user_agent => session.user_agent,
                        created_at => iso8601_ms(session.created_ms),
                        last_seen_at => iso8601_ms(session.last_seen_ms),
                        current => session.id == current,
                    }
                })
                .collect();
            let apps: Vec<minijinja::Value> = sessions::authorized_apps(app, account)?
                .into_iter()
                .map(|entry| {
                    context! {
                        handle => entry.handle,
                        name => entry.app_name,
                        scopes => entry.token.scopes.as_str(),
                        created_at => iso8601_ms(entry.token.created_ms),
                    }
                })
                .collect();
            let secret = pending.map(|secret| {
                (
                    totp::encode_secret(&secret),
                    totp::provisioning_uri(&secret, &app.config.server.host, &username),
                )
            });
            Ok::<_, AppError>((view, two_factor, secret, sessions_list, apps))
        })
        .await;
    let (view, two_factor, secret, sessions_list, apps) = match loaded {
        Ok(loaded) => loaded,
        Err(_) => return to_sign_in(),
    };
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let (secret, uri) = secret.unzip();
    render(
        status,
        "settings.html",
        context! {
            title => "Settings",
            section => name,
            notice => notice,
            error => error,
            profile => context! {
                display_name => view.account.display_name.clone(),
                note => view.account.note_source.clone(),
                url => app.profile_url(&view.account.username),
            },
            two_factor => two_factor,
            secret => secret,
            uri => uri,
            sessions => sessions_list,
            apps => apps,
            ..visitor.context(app)
        },
    )
}

pub async fn page(
    State(app): State<App>,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Response {
    let visitor = Visitor::of(&app, &headers).await;
    let Some(signed_in) = &visitor.signed_in else {
        return to_sign_in();
    };
    if !["profile", "password", "two_factor", "sessions", "export"].contains(&name.as_str()) {
        return StatusCode::NOT_FOUND.into_response();
    }
    section(&app, &visitor, signed_in, &name, None, None).await
}

#[derive(Deserialize, Default)]
pub struct SettingsForm {
    #[serde(default)]
    csrf: String,
    display_name: Option<String>,
    note: Option<String>,
    #[serde(default)]
    current: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    handle: String,
}

/// Every settings POST: checks the session and the form token, runs the change, and shows
/// the section again with what happened.
pub async fn submit(
    State(app): State<App>,
    Extension(client): Extension<ClientAddr>,
    headers: HeaderMap,
    Path(target): Path<String>,
    body: Bytes,
) -> Response {
    let visitor = Visitor::of(&app, &headers).await;
    let Some(signed_in) = &visitor.signed_in else {
        return to_sign_in();
    };
    let form: SettingsForm = serde_html_form::from_bytes(&body).unwrap_or_default();
    if !visitor.allows_post(&app, &headers, &form.csrf) {
        return StatusCode::FORBIDDEN.into_response();
    }
    let account = signed_in.user.account_id;
    let session = signed_in.session.clone();
    let (section_name, notice, result) = match target.as_str() {
        "profile" => {
            let update = ProfileUpdate {
                display_name: form.display_name,
                note: form.note,
                ..ProfileUpdate::default()
            };
            let result = app
                .run(move |app| accounts::update_profile(app, account, update).map(drop))
                .await;
            ("profile", "Profile saved", result)
        }
        "password" => {
            let (current, new) = (form.current, form.new);
            let result = app
                .run(move |app| sessions::change_password(app, &session, &current, &new, client.ip))
                .await;
            ("password", "Password changed", result)
        }
        "two_factor" => {
            let (action, code) = (form.action, form.code);
            let result = app
                .run(move |app| match action.as_str() {
                    "begin" => sessions::begin_two_factor(app, account).map(drop),
                    "confirm" => sessions::confirm_two_factor(app, account, &code),
                    "disable" => sessions::disable_two_factor(app, account, &code),
                    _ => Err(AppError::BadRequest("unknown action".into())),
                })
                .await;
            ("two_factor", "Two-factor authentication updated", result)
        }
        "apps" => {
            let handle = form.handle;
            let result = app
                .run(move |app| sessions::revoke_authorized_app(app, account, &handle))
                .await;
            ("sessions", "The app's access is revoked", result)
        }
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    match result {
        Ok(()) => section(&app, &visitor, signed_in, section_name, Some(notice), None).await,
        Err(error) => {
            let text = session::message(&error);
            section(&app, &visitor, signed_in, section_name, None, Some(text)).await
        }
    }
}

pub async fn revoke_session(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<u64>,
    body: Bytes,
) -> Response {
    let visitor = Visitor::of(&app, &headers).await;
    let Some(signed_in) = &visitor.signed_in else {
        return to_sign_in();
    };
    let form: SettingsForm = serde_html_form::from_bytes(&body).unwrap_or_default();
    if !visitor.allows_post(&app, &headers, &form.csrf) {
        return StatusCode::FORBIDDEN.into_response();
    }
    let account = signed_in.user.account_id;
    let result = app
        .run(move |app| sessions::revoke_session(app, account, id))
        .await;
    let (notice, error) = match result {
        Ok(()) => (Some("Session revoked"), None),
        Err(error) => (None, Some(session::message(&error))),
    };
    section(&app, &visitor, signed_in, "sessions", notice, error).await
}

/// The files of the export page, as Mastodon names them (the API serves the same CSVs at
/// `/settings/exports/NAME` to a bearer token; these answer the signed-in browser).
const EXPORT_FILES: [&str; 6] = [
    "following.csv",
    "lists.csv",
    "blocks.csv",
    "mutes.csv",
    "domain_blocks.csv",
    "bookmarks.csv",
];

/// `GET /settings/export/NAME.csv`: a CSV download for the signed-in browser. A GET that
/// changes nothing and answers only the session's own data, so it needs no form token.
pub async fn export(
    State(app): State<App>,
    headers: HeaderMap,
    Path(file): Path<String>,
) -> Response {
    use crate::app::imports::{self, Kind};
    let visitor = Visitor::of(&app, &headers).await;
    let Some(signed_in) = &visitor.signed_in else {
        return to_sign_in();
    };
    if !EXPORT_FILES.contains(&file.as_str()) {
        return StatusCode::NOT_FOUND.into_response();
    }
    let Some(kind) = file.strip_suffix(".csv").and_then(Kind::parse) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let account = signed_in.user.account_id;
    match app
        .run(move |app| imports::export(app, account, kind))
        .await
    {
        Ok(text) => super::render::secure(
            (
                [
                    (
                        axum::http::header::CONTENT_TYPE,
                        "text/csv; charset=utf-8".to_string(),
                    ),
                    (
                        axum::http::header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"{file}\""),
                    ),
                ],
                text,
            )
                .into_response(),
        ),
        Err(error) => {
            section(
                &app,
                &visitor,
                signed_in,
                "export",
                None,
                Some(session::message(&error)),
            )
            .await
        }
    }
}
