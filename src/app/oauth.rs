//! OAuth 2 as Mastodon does it: app registration, authorization codes with PKCE (S256),
//! client credentials, revocation, and resolving a bearer token to its caller.

use aws_lc_rs::digest;
use base64::Engine;

use crate::model::{AccountId, App as OAuthApp, AppId, AuthCode, ScopeSet, Token};
use crate::store::oauth;
use crate::util::{random, time::now_ms};

use super::{App, AppError, Caller};

/// The redirect URI that shows the code on a page instead of redirecting.
pub const OUT_OF_BAND: &str = "urn:ietf:wg:oauth:2.0:oob";
/// How long an authorization code stays valid (Mastodon: 10 minutes).
pub const CODE_LIFETIME_MS: u64 = 10 * 60 * 1000;
/// Application names and websites, in characters (Mastodon: 60 and 2000).
pub const APP_NAME_CHARS_MAX: usize = 60;
pub const APP_WEBSITE_BYTES_MAX: usize = 2000;
/// Redirect URIs per application, and their length.
pub const REDIRECT_URIS_MAX: usize = 16;
pub const REDIRECT_URI_BYTES_MAX: usize = 2000;

/// SHA-256 of a secret, the form in which codes and tokens are stored.
pub fn secret_hash(secret: &str) -> Vec<u8> {
    digest::digest(&digest::SHA256, secret.as_bytes())
        .as_ref()
        .to_vec()
}

pub fn create_app(
    app: &App,
    name: &str,
    redirect_uris: &str,
    scopes: &str,
    website: Option<&str>,
) -> Result<OAuthApp, AppError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > APP_NAME_CHARS_MAX {
        return Err(AppError::Validation(format!(
            "Name must be 1 to {APP_NAME_CHARS_MAX} characters"
        )));
    }
    let redirect_uris: Vec<String> = redirect_uris
        .split_whitespace()
        .map(str::to_string)
        .collect();
    if redirect_uris.is_empty() || redirect_uris.len() > REDIRECT_URIS_MAX {
        return Err(AppError::Validation("Redirect URI can't be blank".into()));
    }
    for uri in &redirect_uris {
        let valid = uri == OUT_OF_BAND
            || (uri.len() <= REDIRECT_URI_BYTES_MAX && uri.contains(':') && !uri.contains('#'));
        if !valid {
            return Err(AppError::Validation(
                "Redirect URI must be an absolute URI.".into(),
            ));
        }
    }
    let scopes =
        ScopeSet::parse(scopes).map_err(|_| AppError::Validation("Scopes are invalid".into()))?;
    let website = website.map(str::trim).filter(|website| !website.is_empty());
    if website.is_some_and(|website| website.len() > APP_WEBSITE_BYTES_MAX) {
        return Err(AppError::Validation("Website is too long".into()));
    }
    let record = OAuthApp {
        id: AppId(app.next_id()),
        name: name.to_string(),
        website: website.map(str::to_string),
        redirect_uris,
        scopes,
        client_id: random::token(32),
        client_secret: random::token(32),
        created_ms: now_ms(),
    };
    app.write(|tx| oauth::put_app(tx, &record).map_err(AppError::from))?;
    Ok(record)
}

/// What `/oauth/authorize` was asked for, checked against the registered app.
#[derive(Clone, Debug)]
pub struct AuthorizeRequest {
    pub app: OAuthApp,
    pub redirect_uri: String,
    pub scopes: ScopeSet,
    pub code_challenge: Option<String>,
}

pub fn check_authorize(
    app: &App,
    client_id: &str,
    redirect_uri: &str,
    scope: Option<&str>,
    response_type: &str,
    code_challenge: Option<&str>,
    code_challenge_method: Option<&str>,
) -> Result<AuthorizeRequest, AppError> {
    if response_type != "code" {
        return Err(AppError::BadRequest("unsupported_response_type".into()));
    }
    let registered = app
        .store
        .read(|tx| oauth::app_by_client_id(tx, client_id, app.bytes_max()))?
        .ok_or_else(|| AppError::BadRequest("invalid_client".into()))?;
    if !registered
        .redirect_uris
        .iter()
        .any(|uri| uri == redirect_uri)
    {
        return Err(AppError::BadRequest("invalid_redirect_uri".into()));
    }
    let scopes = match scope {
        Some(scope) if !scope.trim().is_empty() => {
            ScopeSet::parse(scope).map_err(|_| AppError::BadRequest("invalid_scope".into()))?
        }
        _ => registered.scopes.clone(),
    };
    if !scopes.is_subset_of(&registered.scopes) {
        return Err(AppError::BadRequest("invalid_scope".into()));
    }
    let code_challenge = code_challenge.filter(|challenge| !challenge.is_empty());
    if code_challenge.is_some() && code_challenge_method.unwrap_or("plain") != "S256" {
        return Err(AppError::BadRequest(
            "invalid_request: only code_challenge_method=S256 is supported".into(),
        ));
    }
    Ok(AuthorizeRequest {
        app: registered,
        redirect_uri: redirect_uri.to_string(),
        scopes,
        code_challenge: code_challenge.map(str::to_string),
    })
}

/// Issues an authorization code for a signed-in account; returns it in the clear, once.
pub fn issue_code(
    app: &App,
    request: &AuthorizeRequest,
    account: AccountId,
) -> Result<String, AppError> {
    let code = random::token(32);
    let record = AuthCode {
        app_id: request.app.id,
        account_id: account,
        scopes: request.scopes.clone(),
        redirect_uri: request.redirect_uri.clone(),
        code_challenge: request.code_challenge.clone(),
        expires_ms: now_ms() + CODE_LIFETIME_MS,
    };
    app.write(|tx| oauth::put_code(tx, &secret_hash(&code), &record).map_err(AppError::from))?;
    Ok(code)
}

/// A token grant as `POST /oauth/token` receives it.
#[derive(Clone, Debug, Default)]
pub struct TokenRequest {
    pub grant_type: String,
    pub client_id: String,
    pub client_secret: String,
    pub code: Option<String>,
    pub redirect_uri: Option<String>,
    pub code_verifier: Option<String>,
    pub scope: Option<String>,
}

/// Exchanges a grant for a token; returns the token in the clear and its record.
pub fn exchange(app: &App, request: &TokenRequest) -> Result<(String, Token), AppError> {
    let invalid_client = || AppError::Forbidden("invalid_client");
    let registered = app
        .store
        .read(|tx| oauth::app_by_client_id(tx, &request.client_id, app.bytes_max()))?
        .ok_or_else(invalid_client)?;
    // Secrets compared by their digests, so the comparison time says nothing of the secret.
    if secret_hash(&registered.client_secret) != secret_hash(&request.client_secret) {
        return Err(invalid_client());
    }
    let (account_id, scopes) = match request.grant_type.as_str() {
        "authorization_code" => {
            let code = request
                .code
                .as_deref()
                .ok_or_else(|| AppError::BadRequest("invalid_request: code is missing".into()))?;
            let record = app
                .store
                .write(|tx| {
                    oauth::take_code(tx, &secret_hash(code), app.bytes_max())
                        .map_err(AppError::from)
                })?
                .filter(|record| record.app_id == registered.id && record.expires_ms > now_ms())
                .ok_or_else(|| AppError::BadRequest("invalid_grant".into()))?;
            if request.redirect_uri.as_deref() != Some(record.redirect_uri.as_str()) {
                return Err(AppError::BadRequest(
                    "invalid_grant: redirect_uri does not match".into(),
                ));
            }
            if let Some(challenge) = &record.code_challenge {
                let verifier = request.code_verifier.as_deref().unwrap_or_default();
                let computed = base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .encode(digest::digest(&digest::SHA256, verifier.as_bytes()).as_ref());
                if secret_hash(&computed) != secret_hash(challenge) {
                    return Err(AppError::BadRequest(
                        "invalid_grant: code_verifier does not match".into(),
                    ));
                }
            }
            (Some(record.account_id), record.scopes)
        }
        "client_credentials" => {
            let scopes = match request.scope.as_deref() {
                Some(scope) if !scope.trim().is_empty() => ScopeSet::parse(scope)
                    .map_err(|_| AppError::BadRequest("invalid_scope".into()))?,
                _ => ScopeSet::parse("read").expect("read is a scope"),
            };
            if !scopes.is_subset_of(&registered.scopes) {
                return Err(AppError::BadRequest("invalid_scope".into()));
            }
            (None, scopes)
        }
        _ => return Err(AppError::BadRequest("unsupported_grant_type".into())),
    };
    issue_token(app, Some(registered.id), account_id, scopes)
}

/// Creates a token; returns it in the clear, once.
pub fn issue_token(
    app: &App,
    app_id: Option<AppId>,
    account_id: Option<AccountId>,
    scopes: ScopeSet,
) -> Result<(String, Token), AppError> {
    let secret = random::token(32);
    let token = Token {
        app_id,
        account_id,
        scopes,
        created_ms: now_ms(),
    };
    app.write(|tx| oauth::put_token(tx, &secret_hash(&secret), &token).map_err(AppError::from))?;
    super::metrics::Metrics::add(&app.metrics.tokens_issued);
    Ok((secret, token))
}

/// Revokes a token of the given client; unknown tokens are not an error (RFC 7009).
pub fn revoke(
    app: &App,
    client_id: &str,
    client_secret: &str,
    token: &str,
) -> Result<(), AppError> {
    let registered = app
        .store
        .read(|tx| oauth::app_by_client_id(tx, client_id, app.bytes_max()))?
        .filter(|registered| secret_hash(&registered.client_secret) == secret_hash(client_secret))
        .ok_or(AppError::Forbidden("invalid_client"))?;
    let hash = secret_hash(token);
    app.write(|tx| {
        let record = oauth::get_token(tx, &hash, app.bytes_max())?;
        match record {
            Some(record) if record.app_id == Some(registered.id) => {
                oauth::remove_token(tx, &hash)?;
                Ok(())
            }
            Some(_) => Err(AppError::Forbidden("unauthorized_client")),
            None => Ok(()),
        }
    })
}

/// The caller behind a bearer token, if the token is valid and its account active.
pub fn authenticate_token(app: &App, bearer: &str) -> Result<(Caller, Token), AppError> {
    let hash = secret_hash(bearer);
    app.store.read(|tx| {
        let token = oauth::get_token(tx, &hash, app.bytes_max())?.ok_or(AppError::Unauthorized)?;
        if let Some(account) = token.account_id {
            let active = crate::store::accounts::get_account(tx, account, app.bytes_max())?
                .is_some_and(|account| account.suspended_ms.is_none());
            if !active {
                return Err(AppError::Unauthorized);
            }
            // Mastodon answers 403 with the reason for a disabled or unapproved login.
            if let Some(reason) = super::moderation::login_refusal(app, tx, account)? {
                return Err(AppError::Forbidden(reason));
            }
        }
        Ok((
            Caller {
                account_id: token.account_id,
                scopes: token.scopes.clone(),
            },
            token,
        ))
    })
}

/// The application a token was issued to.
pub fn token_app(app: &App, token: &Token) -> Result<Option<OAuthApp>, AppError> {
    let Some(id) = token.app_id else {
        return Ok(None);
    };
    app.store
        .read(|tx| Ok(oauth::get_app(tx, id, app.bytes_max())?))
}
