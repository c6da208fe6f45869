//! Local accounts: creation (admin CLI), passwords, profile updates, lookups.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

use crate::model::{Account, AccountId, Field, LocalUser, Role, Visibility};
use crate::store::{Reader, accounts};
use crate::util::{random, time::now_ms};

use super::text::{self, MentionTarget, ResolvedMention};
use super::views::{self, AccountView};
use super::{App, AppError};

/// Username length, as Mastodon.
pub const USERNAME_CHARS_MAX: usize = 30;
/// Password length in bytes (Mastodon: 8 to 72).
pub const PASSWORD_BYTES_MIN: usize = 8;
pub const PASSWORD_BYTES_MAX: usize = 72;
/// Length of an e-mail address (RFC 5321 path limit).
pub const EMAIL_BYTES_MAX: usize = 254;

/// Creates a local account with a generated password, returned once in the clear.
pub fn create_local_account(
    app: &App,
    username: &str,
    email: &str,
    role: Role,
) -> Result<(Account, String), AppError> {
    let password = random::token(18);
    let account = insert_local_account(app, username, email, role, &password, |_, _| Ok(()))?;
    Ok((account, password))
}

/// Creates a local account with `password`; `extra` writes more in the same transaction
/// (a sign-up's moderation state and invitation use).
pub(crate) fn insert_local_account(
    app: &App,
    username: &str,
    email: &str,
    role: Role,
    password: &str,
    extra: impl Fn(&redb::WriteTransaction, AccountId) -> Result<(), AppError>,
) -> Result<Account, AppError> {
    if username.is_empty()
        || username.len() > USERNAME_CHARS_MAX
        || !username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return Err(AppError::Validation(format!(
            "Username must be 1 to {USERNAME_CHARS_MAX} letters, digits or underscores, got {username:?}"
        )));
    }
    if email.len() > EMAIL_BYTES_MAX
        || !email.contains('@')
        || email.starts_with('@')
        || email.ends_with('@')
    {
        return Err(AppError::Validation(format!("Email is invalid: {email:?}")));
    }
    let password_hash = hash_password(password)?;
    // Key generation takes tens of milliseconds; done before the transaction so the
    // write lock is held only for the writes.
    let private_key =
        crate::sig::generate_rsa_pkcs8().map_err(|error| AppError::Internal(error.to_string()))?;
    let now = now_ms();
    let id = AccountId(app.ids.next(now));
    let account = Account {
        id,
        username: username.to_string(),
        domain: None,
        display_name: String::new(),
        note_html: String::new(),
        note_source: String::new(),
        locked: false,
        bot: false,
        discoverable: true,
        fields: Vec::new(),
        created_ms: now,
        suspended_ms: None,
        indexable: false,
        avatar: None,
        header: None,
    };
    let user = LocalUser {
        account_id: id,
        email: email.to_string(),
        password_hash,
        role,
        default_visibility: Visibility::Public,
        default_sensitive: false,
        default_language: None,
    };
    app.write(|tx| {
        if accounts::account_id_by_acct(tx, username)?.is_some() {
            return Err(AppError::Validation(format!(
                "Username {username:?} is taken"
            )));
        }
        if accounts::account_id_by_email(tx, email)?.is_some() {
            return Err(AppError::Validation(format!("Email {email:?} is taken")));
        }
        accounts::put_account(tx, &account)?;
        accounts::put_user(tx, &user)?;
        accounts::put_private_key(tx, id, &private_key)?;
        extra(tx, id)
    })?;
    Ok(account)
}

/// Sets a local account's password (8 to 72 bytes, as Mastodon).
pub fn set_password(app: &App, id: AccountId, password: &str) -> Result<(), AppError> {
    check_password(password)?;
    let password_hash = hash_password(password)?;
    app.write(|tx| {
        let mut user = accounts::get_user(tx, id, app.bytes_max())?.ok_or(AppError::NotFound)?;
        user.password_hash = password_hash.clone();
        accounts::put_user(tx, &user)?;
        Ok(())
    })
}

/// Whether a new password has an acceptable length.
pub fn check_password(password: &str) -> Result<(), AppError> {
    if password.chars().count() < super::registrations::PASSWORD_CHARS_MIN
        || password.len() > PASSWORD_BYTES_MAX
    {
        return Err(AppError::Validation(format!(
            "Password must be {} to {PASSWORD_BYTES_MAX} characters",
            super::registrations::PASSWORD_CHARS_MIN
        )));
    }
    Ok(())
}

fn hash_password(password: &str) -> Result<String, AppError> {
    let mut salt = [0u8; 16];
    random::fill(&mut salt);
    let salt =
        SaltString::encode_b64(&salt).map_err(|error| AppError::Internal(error.to_string()))?;
    // Argon2's default is argon2id, 19 MiB, 2 passes (OWASP's recommendation).
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|error| AppError::Internal(error.to_string()))
}

/// Checks a login (username or e-mail) and password from `client_ip`, rate limited per IP.
/// The same error for an unknown login and a wrong password.
pub fn authenticate(
    app: &App,
    login: &str,
    password: &str,
    client_ip: std::net::IpAddr,
) -> Result<AccountId, AppError> {
    app.login_limiter
        .check(client_ip, now_ms())
        .map_err(|retry_after_secs| AppError::RateLimited { retry_after_secs })?;
    let denied = || {
        super::metrics::Metrics::add(&app.metrics.logins_failed);
        AppError::Forbidden("Invalid username, e-mail or password")
    };
    if password.len() > PASSWORD_BYTES_MAX * 4 {
        return Err(denied());
    }
    let found = app.store.read(|tx| {
        let id = match accounts::account_id_by_email(tx, login)? {
            Some(id) => Some(id),
            None => accounts::account_id_by_acct(tx, login.trim_start_matches('@'))?,
        };
        let Some(id) = id else { return Ok(None) };
        let user = accounts::get_user(tx, id, app.bytes_max())?;
        let account = accounts::get_account(tx, id, app.bytes_max())?;
        Ok::<_, AppError>(user.zip(account))
    })?;
    let Some((user, account)) = found else {
        return Err(denied());
    };
    let hash = PasswordHash::new(&user.password_hash)
        .map_err(|error| AppError::Internal(error.to_string()))?;
    if Argon2::default()
        .verify_password(password.as_bytes(), &hash)
        .is_err()
    {
        return Err(denied());
    }
    if account.suspended_ms.is_some() {
        return Err(AppError::Forbidden("Your login is currently disabled"));
    }
    if let Some(reason) = app
        .store
        .read(|tx| super::moderation::login_refusal(app, tx, user.account_id))?
    {
        return Err(AppError::Forbidden(reason));
    }
    Ok(user.account_id)
}

/// What `update_credentials` may change; `None` leaves a value as it is.
#[derive(Clone, Debug, Default)]
pub struct ProfileUpdate {
    pub display_name: Option<String>,
    pub note: Option<String>,
    pub locked: Option<bool>,
    pub bot: Option<bool>,
    pub discoverable: Option<bool>,
    pub indexable: Option<bool>,
    pub fields: Option<Vec<(String, String)>>,
    pub default_visibility: Option<Visibility>,
    pub default_sensitive: Option<bool>,
    pub default_language: Option<String>,
    /// A processed upload (`media::upload_profile_image`) to show as avatar or header; the
    /// previous one is dropped.
    pub avatar: Option<crate::model::MediaId>,
    pub header: Option<crate::model::MediaId>,
}

pub fn update_profile(
    app: &App,
    id: AccountId,
    update: ProfileUpdate,
) -> Result<(AccountView, LocalUser), AppError> {
    let limits = &app.config.limits;
    if let Some(name) = &update.display_name {
        if name.chars().count() > limits.display_name_chars_max {
            return Err(AppError::Validation(format!(
                "Display name is too long (maximum is {} characters)",
                limits.display_name_chars_max
            )));
        }
    }
    if let Some(note) = &update.note {
        if text::count_chars(note) > limits.note_chars_max {
            return Err(AppError::Validation(format!(
                "Note is too long (maximum is {} characters)",
                limits.note_chars_max
            )));
        }
    }
    if let Some(fields) = &update.fields {
        if fields.len() > limits.fields_max {
            return Err(AppError::Validation(format!(
                "Fields: at most {} are allowed",
                limits.fields_max
            )));
        }
        if fields.iter().any(|(name, value)| {
            name.chars().count() > limits.field_chars_max
                || value.chars().count() > limits.field_chars_max
        }) {
            return Err(AppError::Validation(format!(
                "Fields: names and values are at most {} characters",
                limits.field_chars_max
            )));
        }
    }
    if let Some(language) = &update.default_language {
        if language.len() > 16 {
            return Err(AppError::Validation(
                "Language is not a language code".into(),
            ));
        }
    }
    app.write(|tx| {
        let mut account = views::load_account(app, tx, id)?;
        let mut user = accounts::get_user(tx, id, app.bytes_max())?.ok_or(AppError::NotFound)?;
        if let Some(name) = update.display_name {
            account.display_name = name;
        }
        if let Some(note) = update.note {
            account.note_html = format_local_text(app, tx, &note).html;
            account.note_source = note;
        }
        if let Some(fields) = update.fields {
            account.fields = fields
                .into_iter()
                .filter(|(name, value)| !name.is_empty() || !value.is_empty())
                .map(|(name, value)| {
                    let html = format_local_text(app, tx, &value).html;
                    let value_html = html
                        .strip_prefix("<p>")
                        .and_then(|html| html.strip_suffix("</p>"))
                        .unwrap_or(&html)
                        .to_string();
                    Field {
                        name,
                        value_html,
                        value_source: value,
                    }
                })
                .collect();
        }
        for (slot, new) in [
            (&mut account.avatar, update.avatar),
            (&mut account.header, update.header),
        ] {
            if let Some(new) = new {
                if let Some(old) = slot.replace(new) {
                    // Its blob records drop a reference; files nothing names any more are
                    // deleted by `skerry media remove-orphans`.
                    super::media::drop_media(app, tx, old)?;
                }
            }
        }
        account.locked = update.locked.unwrap_or(account.locked);
        account.bot = update.bot.unwrap_or(account.bot);
        account.discoverable = update.discoverable.unwrap_or(account.discoverable);
        account.indexable = update.indexable.unwrap_or(account.indexable);
        user.default_visibility = update.default_visibility.unwrap_or(user.default_visibility);
        user.default_sensitive = update.default_sensitive.unwrap_or(user.default_sensitive);
        if let Some(language) = update.default_language {
            user.default_language = Some(language).filter(|language| !language.is_empty());
        }
        accounts::put_account(tx, &account)?;
        accounts::put_user(tx, &user)?;
        super::outbox::enqueue(
            app,
            tx,
            crate::model::OutboxIntent::UpdateActor { account: id },
        )?;
        Ok((views::account_view(app, tx, account)?, user))
    })
}

/// Formats text written by a local user, resolving mentions of accounts we know.
pub fn format_local_text(
    app: &App,
    reader: &impl Reader,
    source: &str,
) -> text::Formatted<AccountId> {
    let own_host = app.config.server.host.to_ascii_lowercase();
    text::format(
        source,
        |target: &MentionTarget| {
            let acct = match &target.domain {
                None => target.username.clone(),
                Some(domain) if *domain == own_host => target.username.clone(),
                Some(domain) => format!("{}@{domain}", target.username),
            };
            let id = accounts::account_id_by_acct(reader, &acct).ok().flatten()?;
            let account = accounts::get_account(reader, id, app.bytes_max())
                .ok()
                .flatten()?;
            // A remote account's link is its profile page, else its actor id (Mastodon's
            // `TagManager#url_for`); `https://host/@user` is a guess that peers such as
            // Fedify's defaults (`/users/{identifier}`) or plain-http test peers do not serve.
            let url = match &account.domain {
                None => app.profile_url(&account.username),
                Some(domain) => {
                    match accounts::get_remote_actor(reader, account.id, app.bytes_max()) {
                        Ok(Some(actor)) => actor.url.unwrap_or(actor.uri),
                        _ => format!("https://{domain}/@{}", account.username),
                    }
                }
            };
            Some(ResolvedMention {
                id,
                url,
                username: account.username,
            })
        },
        |tag| format!("{}/tags/{tag}", app.base_url),
    )
}

/// The signed-in user's account and private settings.
pub fn credentials(app: &App, id: AccountId) -> Result<(AccountView, LocalUser), AppError> {
    app.store.read(|tx| {
        let view = views::load_account_view(app, tx, id)?;
        let user = accounts::get_user(tx, id, app.bytes_max())?.ok_or(AppError::NotFound)?;
        Ok((view, user))
    })
}

pub fn get(app: &App, id: AccountId) -> Result<AccountView, AppError> {
    app.store.read(|tx| views::load_account_view(app, tx, id))
}

/// `user` or `user@host` (our own host counts as local).
pub fn lookup(app: &App, acct: &str) -> Result<AccountView, AppError> {
    let acct = acct.trim_start_matches('@');
    let own_suffix = format!("@{}", app.config.server.host.to_ascii_lowercase());
    let lower = acct.to_ascii_lowercase();
    let acct = lower.strip_suffix(&own_suffix).unwrap_or(&lower);
    app.store.read(|tx| {
        let id = accounts::account_id_by_acct(tx, acct)?.ok_or(AppError::NotFound)?;
        views::load_account_view(app, tx, id)
    })
}
