//! OAuth applications, authorization codes and access tokens.

use serde::{Deserialize, Serialize};

use super::{AccountId, AppId, ScopeSet};

/// A registered client application (`POST /api/v1/apps`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct App {
    pub id: AppId,
    pub name: String,
    pub website: Option<String>,
    pub redirect_uris: Vec<String>,
    pub scopes: ScopeSet,
    pub client_id: String,
    pub client_secret: String,
    pub created_ms: u64,
}

/// An authorization code, stored under its SHA-256 and usable once before `expires_ms`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthCode {
    pub app_id: AppId,
    pub account_id: AccountId,
    pub scopes: ScopeSet,
    pub redirect_uri: String,
    /// PKCE S256 challenge, when the client sent one.
    pub code_challenge: Option<String>,
    pub expires_ms: u64,
}

/// An access token, stored under its SHA-256: a leaked database does not leak usable tokens.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Token {
    /// `None` for admin-created tokens (`skerry admin token create`).
    pub app_id: Option<AppId>,
    /// `None` for client-credentials tokens, which act for the app, not for a user.
    pub account_id: Option<AccountId>,
    pub scopes: ScopeSet,
    pub created_ms: u64,
}
