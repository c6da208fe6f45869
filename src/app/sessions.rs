//! Web sign-in: browser sessions, two-factor authentication (TOTP) and the authorized apps
//! a user can see and revoke.
//!
//! A session is a random secret in an `HttpOnly` cookie; the store keys it by its SHA-256, so
//! a copy of the database signs nobody in. Each session carries the anti-CSRF token its forms
//! must send back. A session ends when its account is suspended, disabled or unapproved, when
//! it is signed out or revoked, or after `SESSION_IDLE_MAX_MS` without use.

use crate::model::{AccountId, LocalUser, Token, TwoFactor, WebSession};
use crate::sig::totp;
use crate::store::{accounts, oauth as oauth_store, sessions};
use crate::util::random;
use crate::util::time::now_ms;

use super::{App, AppError, oauth};

/// A session unused this long is over (Mastodon keeps sessions for a year; two weeks of
/// inactivity bounds what a stolen cookie is worth).
pub const SESSION_IDLE_MAX_MS: u64 = 14 * 24 * 3600 * 1000;
/// Last-seen times are written at most this often, so reading pages does not write.
const LAST_SEEN_GRANULARITY_MS: u64 = 3600 * 1000;
/// Sessions an account may hold; the oldest ends when a new one would pass it.
pub const SESSIONS_PER_ACCOUNT_MAX: usize = 50;
/// Longest `User-Agent` kept with a session, in characters.
const USER_AGENT_CHARS_MAX: usize = 200;
/// Tokens looked at when listing a user's authorized apps (the tokens table is keyed by
/// hash, so the list is a bounded scan).
const TOKEN_SCAN_MAX: usize = 100_000;

const WRONG_CODE: &str = "Invalid two-factor code";

/// Checks a login, password and (when the account has it on) a TOTP code.
pub fn authenticate(
    app: &App,
    login: &str,
    password: &str,
    otp: Option<&str>,
    client_ip: std::net::IpAddr,
) -> Result<AccountId, AppError> {
    let account = super::accounts::authenticate(app, login, password, client_ip)?;
    // Most accounts have no second factor: a read answers that without a durable commit on
    // every sign-in. With one, the check and the spent step commit together.
    if !two_factor_enabled(app, account)? {
        return Ok(account);
    }
    app.write(|tx| -> Result<_, AppError> {
        let Some(mut two_factor) = sessions::get_two_factor(tx, account, app.bytes_max())?
            .filter(|two_factor| two_factor.enabled)
        else {
            return Ok(());
        };
        let step = otp
            .and_then(|code| totp::check(&two_factor.secret, code, now_ms() / 1000))
            .filter(|step| *step > two_factor.last_step)
            .ok_or(AppError::Forbidden(WRONG_CODE))?;
        two_factor.last_step = step;
        sessions::put_two_factor(tx, account, &two_factor)?;
        Ok(())
    })?;
    Ok(account)
}

/// Whether an account has two-factor authentication on (the sign-in form asks for a code).
pub fn two_factor_enabled(app: &App, account: AccountId) -> Result<bool, AppError> {
    Ok(app
        .store
        .read(|tx| sessions::get_two_factor(tx, account, app.bytes_max()))?
        .is_some_and(|two_factor| two_factor.enabled))
}

/// Signs a browser in; returns the cookie's secret and the session.
pub fn sign_in(
    app: &App,
    login: &str,
    password: &str,
    otp: Option<&str>,
    client_ip: std::net::IpAddr,
    user_agent: &str,
) -> Result<(String, WebSession), AppError> {
    let account = authenticate(app, login, password, otp, client_ip)?;
    let secret = random::token(32);
    let now = now_ms();
    let session = WebSession {
        id: app.next_id(),
        account_id: account,
        created_ms: now,
        last_seen_ms: now,
        csrf: random::token(24),
        user_agent: user_agent.chars().take(USER_AGENT_CHARS_MAX).collect(),
    };
    app.write(|tx| -> Result<_, AppError> {
        let existing =
            sessions::sessions_of(tx, account, SESSIONS_PER_ACCOUNT_MAX + 1, app.bytes_max())?;
        if existing.len() >= SESSIONS_PER_ACCOUNT_MAX {
            let (hash, oldest) = &existing[0];
            sessions::remove_session(tx, hash, oldest)?;
        }
        sessions::put_session(tx, &oauth::secret_hash(&secret), &session)?;
        Ok(())
    })?;
    Ok((secret, session))
}

/// The session of a cookie and its user, if the session is live and the account may sign in.
pub fn session(app: &App, secret: &str) -> Result<(WebSession, LocalUser), AppError> {
    let hash = oauth::secret_hash(secret);
    let now = now_ms();
    let (session, user) = app.store.read(|tx| -> Result<_, AppError> {
        let session = sessions::get_session(tx, &hash, app.bytes_max())?
            .filter(|session| now.saturating_sub(session.last_seen_ms) < SESSION_IDLE_MAX_MS)
            .ok_or(AppError::Unauthorized)?;
        let account = session.account_id;
        let active = accounts::get_account(tx, account, app.bytes_max())?
            .is_some_and(|account| account.suspended_ms.is_none());
        if !active || super::moderation::login_refusal(app, tx, account)?.is_some() {
            return Err(AppError::Unauthorized);
        }
        let user =
            accounts::get_user(tx, account, app.bytes_max())?.ok_or(AppError::Unauthorized)?;
        Ok((session, user))
    })?;
    if now.saturating_sub(session.last_seen_ms) > LAST_SEEN_GRANULARITY_MS {
        let mut seen = session.clone();
        seen.last_seen_ms = now;
        app.write(|tx| -> Result<_, AppError> {
            if sessions::get_session(tx, &hash, app.bytes_max())?.is_some() {
                sessions::put_session(tx, &hash, &seen)?;
            }
            Ok(())
        })?;
    }
    Ok((session, user))
}

pub fn sign_out(app: &App, secret: &str) -> Result<(), AppError> {
    let hash = oauth::secret_hash(secret);
    app.write(|tx| -> Result<_, AppError> {
        if let Some(session) = sessions::get_session(tx, &hash, app.bytes_max())? {
            sessions::remove_session(tx, &hash, &session)?;
        }
        Ok(())
    })
}

pub fn list_sessions(app: &App, account: AccountId) -> Result<Vec<WebSession>, AppError> {
    Ok(app
        .store
        .read(|tx| sessions::sessions_of(tx, account, SESSIONS_PER_ACCOUNT_MAX, app.bytes_max()))?
        .into_iter()
        .map(|(_, session)| session)
        .collect())
}

/// Ends one of the account's own sessions.
pub fn revoke_session(app: &App, account: AccountId, id: u64) -> Result<(), AppError> {
    app.write(|tx| -> Result<_, AppError> {
        let found = sessions::sessions_of(tx, account, SESSIONS_PER_ACCOUNT_MAX, app.bytes_max())?
            .into_iter()
            .find(|(_, session)| session.id == id);
        let (hash, session) = found.ok_or(AppError::NotFound)?;
        sessions::remove_session(tx, &hash, &session)?;
        Ok(())
    })
}

/// A token a user gave an app, as the settings page lists it.
#[derive(Clone, Debug)]
pub struct AuthorizedApp {
    /// The token's hash in hex: what the revoke form names (never the token itself).
    pub handle: String,
    pub app_name: String,
    pub token: Token,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

pub fn authorized_apps(app: &App, account: AccountId) -> Result<Vec<AuthorizedApp>, AppError> {
    app.store.read(|tx| -> Result<_, AppError> {
        let mut out = Vec::new();
        for (hash, token) in sessions::tokens_of(tx, account, TOKEN_SCAN_MAX, app.bytes_max())? {
            let app_name = match token.app_id {
                Some(id) => oauth_store::get_app(tx, id, app.bytes_max())?
                    .map_or_else(|| "(removed app)".into(), |registered| registered.name),
                None => "skerry admin token".into(),
            };
            out.push(AuthorizedApp {
                handle: hex(&hash),
                app_name,
                token,
            });
        }
        out.sort_by_key(|entry| std::cmp::Reverse(entry.token.created_ms));
        Ok(out)
    })
}

/// Revokes one of the account's tokens by its handle.
pub fn revoke_authorized_app(app: &App, account: AccountId, handle: &str) -> Result<(), AppError> {
    let hash: Vec<u8> = (0..handle.len())
        .step_by(2)
        .map(|at| {
            handle
                .get(at..at + 2)
                .and_then(|pair| u8::from_str_radix(pair, 16).ok())
        })
        .collect::<Option<_>>()
        .ok_or(AppError::NotFound)?;
    app.write(|tx| -> Result<_, AppError> {
        oauth_store::get_token(tx, &hash, app.bytes_max())?
            .filter(|token| token.account_id == Some(account))
            .ok_or(AppError::NotFound)?;
        oauth_store::remove_token(tx, &hash)?;
        Ok(())
    })
}

/// Starts setting up two-factor authentication: a new secret, not on until confirmed.
/// Refused when it is on already (turn it off first).
pub fn begin_two_factor(app: &App, account: AccountId) -> Result<Vec<u8>, AppError> {
    let mut secret = vec![0u8; totp::SECRET_BYTES];
    random::fill(&mut secret);
    app.write(|tx| -> Result<_, AppError> {
        if sessions::get_two_factor(tx, account, app.bytes_max())?.is_some_and(|t| t.enabled) {
            return Err(AppError::Validation(
                "Two-factor authentication is on already".into(),
            ));
        }
        let pending = TwoFactor {
            secret: secret.clone(),
            enabled: false,
            last_step: 0,
        };
        sessions::put_two_factor(tx, account, &pending)?;
        Ok(secret.clone())
    })
}

/// The secret being set up, if any (to show it again).
pub fn pending_two_factor(app: &App, account: AccountId) -> Result<Option<Vec<u8>>, AppError> {
    Ok(app
        .store
        .read(|tx| sessions::get_two_factor(tx, account, app.bytes_max()))?
        .filter(|two_factor| !two_factor.enabled)
        .map(|two_factor| two_factor.secret))
}

/// Turns two-factor authentication on with a code from the app, proving it has the secret.
pub fn confirm_two_factor(app: &App, account: AccountId, code: &str) -> Result<(), AppError> {
    app.write(|tx| -> Result<_, AppError> {
        let mut two_factor = sessions::get_two_factor(tx, account, app.bytes_max())?
            .filter(|two_factor| !two_factor.enabled)
            .ok_or_else(|| AppError::Validation("Set up two-factor authentication first".into()))?;
        let step = totp::check(&two_factor.secret, code, now_ms() / 1000)
            .ok_or(AppError::Validation(WRONG_CODE.into()))?;
        two_factor.enabled = true;
        two_factor.last_step = step;
        sessions::put_two_factor(tx, account, &two_factor)?;
        Ok(())
    })
}

/// Turns two-factor authentication off; a current code is needed.
pub fn disable_two_factor(app: &App, account: AccountId, code: &str) -> Result<(), AppError> {
    app.write(|tx| -> Result<_, AppError> {
        let two_factor = sessions::get_two_factor(tx, account, app.bytes_max())?
            .filter(|two_factor| two_factor.enabled)
            .ok_or_else(|| AppError::Validation("Two-factor authentication is off".into()))?;
        totp::check(&two_factor.secret, code, now_ms() / 1000)
            .ok_or(AppError::Validation(WRONG_CODE.into()))?;
        sessions::remove_two_factor(tx, account)?;
        Ok(())
    })
}

/// Changes a password after checking the current one; ends every other session.
pub fn change_password(
    app: &App,
    session: &WebSession,
    current: &str,
    new: &str,
    client_ip: std::net::IpAddr,
) -> Result<(), AppError> {
    let account = session.account_id;
    let acct = app
        .store
        .read(|tx| accounts::get_account(tx, account, app.bytes_max()))?
        .ok_or(AppError::NotFound)?
        .username;
    super::accounts::authenticate(app, &acct, current, client_ip)
        .map_err(|_| AppError::Validation("Current password is wrong".into()))?;
    super::accounts::set_password(app, account, new)?;
    app.write(|tx| -> Result<_, AppError> {
        for (hash, other) in
            sessions::sessions_of(tx, account, SESSIONS_PER_ACCOUNT_MAX, app.bytes_max())?
        {
            if other.id != session.id {
                sessions::remove_session(tx, &hash, &other)?;
            }
        }
        Ok(())
    })
}
