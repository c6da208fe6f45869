//! `POST /oauth/token`, `POST /oauth/revoke` and `/.well-known/oauth-authorization-server`.
//! The HTML authorize page is in `web::oauth`. Errors here follow RFC 6749
//! (`{"error": "invalid_grant", "error_description": "..."}`), as Mastodon's Doorkeeper sends.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header::AUTHORIZATION};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde::Deserialize;
use serde_json::json;

use crate::api::{ApiError, Auth, Params};
use crate::app::oauth::{self, TokenRequest};
use crate::app::{App, AppError};
use crate::model::Scope;

#[derive(Deserialize, Default)]
pub struct TokenParams {
    grant_type: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    code: Option<String>,
    redirect_uri: Option<String>,
    code_verifier: Option<String>,
    scope: Option<String>,
}

fn oauth_error(error: AppError) -> Response {
    let (http_status, code, description) = match &error {
        AppError::Forbidden(code) => (
            StatusCode::UNAUTHORIZED,
            code.to_string(),
            "Client authentication failed".to_string(),
        ),
        AppError::BadRequest(text) => {
            let (code, description) = text.split_once(": ").unwrap_or((text.as_str(), ""));
            (
                StatusCode::BAD_REQUEST,
                code.to_string(),
                description.to_string(),
            )
        }
        _ => return crate::api::ApiError::from(error).into_response(),
    };
    (
        http_status,
        Json(json!({ "error": code, "error_description": description })),
    )
        .into_response()
}

/// Client credentials from `Authorization: Basic` (client_secret_basic), if sent.
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let encoded = value
        .strip_prefix("Basic ")
        .or_else(|| value.strip_prefix("basic "))?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let (id, secret) = std::str::from_utf8(&decoded).ok()?.split_once(':')?;
    Some((id.to_string(), secret.to_string()))
}

pub async fn token(
    State(app): State<App>,
    headers: HeaderMap,
    Params(params): Params<TokenParams>,
) -> Response {
    let (client_id, client_secret) = match (
        params.client_id,
        params.client_secret,
        basic_credentials(&headers),
    ) {
        (Some(id), Some(secret), _) => (id, secret),
        (_, _, Some(basic)) => basic,
        _ => return oauth_error(AppError::Forbidden("invalid_client")),
    };
    let request = TokenRequest {
        grant_type: params.grant_type.unwrap_or_default(),
        client_id,
        client_secret,
        code: params.code,
        redirect_uri: params.redirect_uri,
        code_verifier: params.code_verifier,
        scope: params.scope,
    };
    match app.run(move |app| oauth::exchange(app, &request)).await {
        Ok((secret, token)) => Json(json!({
            "access_token": secret,
            "token_type": "Bearer",
            "scope": token.scopes.as_str(),
            "created_at": token.created_ms / 1000,
        }))
        .into_response(),
        Err(error) => oauth_error(error),
    }
}

#[derive(Deserialize, Default)]
pub struct RevokeParams {
    client_id: Option<String>,
    client_secret: Option<String>,
    token: Option<String>,
}

pub async fn revoke(
    State(app): State<App>,
    headers: HeaderMap,
    Params(params): Params<RevokeParams>,
) -> Response {
    let (client_id, client_secret) = match (
        params.client_id,
        params.client_secret,
        basic_credentials(&headers),
    ) {
        (Some(id), Some(secret), _) => (id, secret),
        (_, _, Some(basic)) => basic,
        _ => return oauth_error(AppError::Forbidden("invalid_client")),
    };
    let token = params.token.unwrap_or_default();
    match app
        .run(move |app| oauth::revoke(app, &client_id, &client_secret, &token))
        .await
    {
        Ok(()) => Json(json!({})).into_response(),
        Err(error) => oauth_error(error),
    }
}

pub async fn metadata(State(app): State<App>) -> Json<serde_json::Value> {
    let base = &app.base_url;
    Json(json!({
        "issuer": format!("{base}/"),
        "service_documentation": "https://docs.joinmastodon.org/",
        "authorization_endpoint": format!("{base}/oauth/authorize"),
        "token_endpoint": format!("{base}/oauth/token"),
        "revocation_endpoint": format!("{base}/oauth/revoke"),
        "userinfo_endpoint": format!("{base}/oauth/userinfo"),
        "app_registration_endpoint": format!("{base}/api/v1/apps"),
        "scopes_supported": [
            "read", "write", "follow", "push", "profile", "admin:read", "admin:write",
            "read:accounts", "read:blocks", "read:bookmarks", "read:favourites", "read:filters", "read:follows",
            "read:lists", "read:mutes", "read:notifications", "read:search", "read:statuses",
            "write:accounts", "write:blocks", "write:bookmarks", "write:conversations", "write:favourites",
            "write:filters", "write:follows", "write:lists", "write:media", "write:mutes",
            "write:notifications", "write:reports", "write:statuses",
        ],
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "code_challenge_methods_supported": ["S256"],
        "grant_types_supported": ["authorization_code", "client_credentials"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
    }))
}

/// `GET` or `POST /oauth/userinfo` (Mastodon 4.4): OpenID Connect's standard claims for the
/// token's account, with `profile` or `read:accounts`.
pub async fn userinfo(
    State(app): State<App>,
    auth: Auth,
) -> Result<Json<serde_json::Value>, ApiError> {
    auth.require_any(&[Scope::Profile, Scope::ReadAccounts])?;
    let id = auth.account()?;
    let view = app
        .run(move |app| crate::app::accounts::get(app, id))
        .await?;
    let account = crate::api::entities::account(&app, &view);
    Ok(Json(json!({
        "iss": format!("{}/", app.base_url),
        "sub": account.uri,
        "name": account.display_name,
        "preferred_username": account.username,
        "profile": account.url,
        "picture": account.avatar,
    })))
}
