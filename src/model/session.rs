//! Web sign-in state: browser sessions and two-factor secrets.

use serde::{Deserialize, Serialize};

use super::AccountId;

/// A signed-in browser. The cookie holds a random secret; the store keys the session by the
/// secret's SHA-256, as it does tokens.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebSession {
    pub id: u64,
    pub account_id: AccountId,
    pub created_ms: u64,
    pub last_seen_ms: u64,
    /// The anti-CSRF token every form of this session carries.
    pub csrf: String,
    /// The browser, as its `User-Agent` said at sign-in (shortened), for the sessions page.
    pub user_agent: String,
}

/// A TOTP secret: set up first (`enabled` false until a code from the app confirms it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TwoFactor {
    pub secret: Vec<u8>,
    pub enabled: bool,
    /// The last time step a code was accepted for, so no code works twice.
    pub last_step: u64,
}
