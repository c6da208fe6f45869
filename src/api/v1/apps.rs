//! `POST /api/v1/apps` and `GET /api/v1/apps/verify_credentials`.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};

use crate::api::{ApiError, Auth, Params};
use crate::app::{App, oauth};
use crate::model::App as OAuthApp;

#[derive(Deserialize)]
pub struct CreateApp {
    client_name: Option<String>,
    redirect_uris: Option<RedirectUris>,
    scopes: Option<String>,
    website: Option<String>,
}

/// One URI, several separated by white space, or (Mastodon 4.3) a list.
#[derive(Deserialize)]
#[serde(untagged)]
enum RedirectUris {
    One(String),
    Many(Vec<String>),
}

#[derive(Serialize)]
pub struct ApplicationEntity {
    id: String,
    name: String,
    website: Option<String>,
    scopes: Vec<String>,
    redirect_uri: String,
    redirect_uris: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_secret: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_secret_expires_at: Option<u64>,
    vapid_key: String,
}

fn render(registered: &OAuthApp, with_secrets: bool, vapid_key: String) -> ApplicationEntity {
    ApplicationEntity {
        id: registered.id.to_string(),
        name: registered.name.clone(),
        website: registered.website.clone(),
        scopes: registered.scopes.names().map(str::to_string).collect(),
        redirect_uri: registered.redirect_uris.join("\n"),
        redirect_uris: registered.redirect_uris.clone(),
        client_id: with_secrets.then(|| registered.client_id.clone()),
        client_secret: with_secrets.then(|| registered.client_secret.clone()),
        client_secret_expires_at: with_secrets.then_some(0),
        vapid_key,
    }
}

pub async fn create(
    State(app): State<App>,
    Params(params): Params<CreateApp>,
) -> Result<Json<ApplicationEntity>, ApiError> {
    let name = params
        .client_name
        .ok_or_else(|| ApiError::unprocessable("Validation failed: Name can't be blank"))?;
    let redirect_uris = match params.redirect_uris {
        Some(RedirectUris::One(uris)) => uris,
        Some(RedirectUris::Many(uris)) => uris.join("\n"),
        None => {
            return Err(ApiError::unprocessable(
                "Validation failed: Redirect URI can't be blank",
            ));
        }
    };
    let scopes = params.scopes.unwrap_or_else(|| "read".into());
    let website = params.website;
    let registered = app
        .run(move |app| oauth::create_app(app, &name, &redirect_uris, &scopes, website.as_deref()))
        .await?;
    let vapid_key = app
        .run(|app| Ok(crate::app::push::vapid_key(app)?.public_key_base64url()))
        .await?;
    Ok(Json(render(&registered, true, vapid_key)))
}

pub async fn verify_credentials(
    State(app): State<App>,
    auth: Auth,
) -> Result<Json<ApplicationEntity>, ApiError> {
    let token = auth.token.clone();
    let registered = app
        .run(move |app| oauth::token_app(app, &token))
        .await?
        .ok_or_else(ApiError::unauthorized)?;
    let vapid_key = app
        .run(|app| Ok(crate::app::push::vapid_key(app)?.public_key_base64url()))
        .await?;
    Ok(Json(render(&registered, false, vapid_key)))
}
