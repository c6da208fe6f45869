//! Bearer tokens: `Auth` for endpoints that need a token, `MaybeAuth` for public ones that
//! read one if sent. Scopes are checked per endpoint with `require`.

use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use crate::app::{App, Caller};
use crate::model::{AccountId, Scope, Token};

use super::ApiError;

/// Longest bearer token accepted; ours are 43 characters.
const TOKEN_BYTES_MAX: usize = 512;

/// A valid token (with or without a user).
#[derive(Clone, Debug)]
pub struct Auth {
    pub caller: Caller,
    pub token: Token,
    /// The SHA-256 of the bearer token: the key of what belongs to one token (its push
    /// subscription).
    pub token_hash: Vec<u8>,
    /// The bearer token itself, for the one place that keeps it: a push subscription, whose
    /// payloads carry it (Mastodon's `access_token`).
    pub bearer: Bearer,
}

/// A bearer token's text, never shown by `Debug` (so never in a log line).
#[derive(Clone)]
pub struct Bearer(pub String);

impl std::fmt::Debug for Bearer {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("Bearer(…)")
    }
}

/// A token if one was sent; an invalid one is still an error, as Mastodon.
#[derive(Clone, Debug)]
pub struct MaybeAuth(pub Option<Auth>);

impl Auth {
    /// Passes if the token has any of `scopes`.
    pub fn require_any(&self, scopes: &[Scope]) -> Result<(), ApiError> {
        if scopes
            .iter()
            .any(|scope| self.caller.scopes.contains(*scope))
        {
            Ok(())
        } else {
            Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "This action is outside the authorized scopes",
            ))
        }
    }

    /// The signed-in account, after checking one scope.
    pub fn user(&self, scope: Scope) -> Result<AccountId, ApiError> {
        self.require_any(&[scope])?;
        self.account()
    }

    /// The signed-in account; app-only tokens (client credentials) have none.
    pub fn account(&self) -> Result<AccountId, ApiError> {
        self.caller
            .account_id
            .ok_or_else(|| ApiError::unprocessable("This method requires an authenticated user"))
    }
}

impl MaybeAuth {
    /// The viewer, if a token with `scope` was sent.
    pub fn viewer(&self, scope: Scope) -> Result<Option<AccountId>, ApiError> {
        match &self.0 {
            None => Ok(None),
            Some(auth) => {
                auth.require_any(&[scope])?;
                Ok(auth.caller.account_id)
            }
        }
    }
}

fn bearer(parts: &Parts) -> Result<Option<String>, ApiError> {
    let Some(header) = parts.headers.get(AUTHORIZATION) else {
        return Ok(None);
    };
    let header = header.to_str().map_err(|_| ApiError::unauthorized())?;
    let Some((scheme, token)) = header.split_once(' ') else {
        return Err(ApiError::unauthorized());
    };
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() || token.len() > TOKEN_BYTES_MAX {
        return Err(ApiError::unauthorized());
    }
    Ok(Some(token.trim().to_string()))
}

async fn authenticate(app: &App, token: String) -> Result<Auth, ApiError> {
    let token_hash = crate::app::oauth::secret_hash(&token);
    let bearer = Bearer(token.clone());
    let (caller, token) = app
        .run(move |app| crate::app::oauth::authenticate_token(app, &token))
        .await?;
    Ok(Auth {
        caller,
        token,
        token_hash,
        bearer,
    })
}

impl FromRequestParts<App> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        let token = bearer(parts)?.ok_or_else(ApiError::unauthorized)?;
        authenticate(app, token).await
    }
}

impl FromRequestParts<App> for MaybeAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        match bearer(parts)? {
            None => Ok(MaybeAuth(None)),
            Some(token) => Ok(MaybeAuth(Some(authenticate(app, token).await?))),
        }
    }
}
