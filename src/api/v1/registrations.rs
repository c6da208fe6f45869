//! `POST /api/v1/accounts`: sign-up by an app, with an app token (client credentials) that
//! has `write:accounts` (https://docs.joinmastodon.org/methods/accounts/#create). Answers a
//! token for the new account; under approval the token works once a moderator approves.

use axum::extract::State;
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::api::{ApiError, Auth, Params};
use crate::app::registrations::{self, SignUp};
use crate::app::{App, ClientAddr};
use crate::model::Scope;
use crate::util::lenient;

#[derive(Deserialize)]
pub struct SignUpParams {
    username: Option<String>,
    email: Option<String>,
    password: Option<String>,
    #[serde(default, deserialize_with = "lenient::option_bool")]
    agreement: Option<bool>,
    reason: Option<String>,
    invite_code: Option<String>,
}

pub async fn create(
    State(app): State<App>,
    auth: Auth,
    Extension(client): Extension<ClientAddr>,
    Params(params): Params<SignUpParams>,
) -> Result<Json<Value>, ApiError> {
    auth.require_any(&[Scope::WriteAccounts])?;
    // Mastodon refuses a sign-up with a user's token: it takes an app's own token.
    let Some(app_id) = auth
        .token
        .app_id
        .filter(|_| auth.caller.account_id.is_none())
    else {
        return Err(ApiError::new(
            axum::http::StatusCode::FORBIDDEN,
            "This method requires an authenticated app, not a user",
        ));
    };
    let scopes = auth.token.scopes.clone();
    let input = SignUp {
        username: params.username.unwrap_or_default(),
        email: params.email.unwrap_or_default(),
        password: params.password.unwrap_or_default(),
        agreement: params.agreement.unwrap_or(false),
        reason: params.reason.unwrap_or_default(),
        invite_code: params.invite_code,
    };
    let (secret, token) = app
        .run(move |app| registrations::sign_up(app, app_id, scopes, input, client.ip))
        .await?;
    Ok(Json(json!({
        "access_token": secret,
        "token_type": "Bearer",
        "scope": token.scopes.as_str(),
        "created_at": token.created_ms / 1000,
    })))
}
