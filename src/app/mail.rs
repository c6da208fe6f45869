//! Optional e-mail (`[email]`): the durable mail queue and its worker, e-mail confirmation
//! of sign-ups, password resets, and the notices of approval and rejection.
//!
//! A message is queued in the transaction of what it is about (the sign-up, the approval),
//! so a request never waits on SMTP and a crash never loses a committed message; the worker
//! (`run`) sends due messages through `net::mail` and retries with backoff. Links carry a
//! random secret whose SHA-256 is stored with its purpose and expiry; using a link removes
//! it in the same transaction that confirms the account or sets the password.
//!
//! Without `email.smtp_host` nothing is queued: sign-ups are usable at once (`open`) or
//! after a moderator's approval (`approval`), and a moderator can confirm an account whose
//! message never arrived (`moderation::confirm`).

use std::time::Duration;

use redb::WriteTransaction;
use tokio::sync::watch;

use crate::model::{AccountId, EmailToken, EmailTokenPurpose, Mail};
use crate::net::mail::{MailError, Mailer};
use crate::store::{accounts, mail, moderation, sessions};
use crate::util::random;
use crate::util::time::now_ms;

use super::{App, AppError, oauth};

/// A confirmation link works for 2 days (Devise's `confirm_within` in Mastodon).
pub const CONFIRM_LINK_VALID_MS: u64 = 2 * 24 * 60 * 60 * 1000;
/// A password-reset link works for 6 hours (Mastodon's `reset_password_within`).
pub const RESET_LINK_VALID_MS: u64 = 6 * 60 * 60 * 1000;
/// Messages waiting in all; past it new ones are dropped with a warning, so a dead relay
/// cannot fill the disk.
pub const QUEUE_MAX: u64 = 10_000;
/// Sending attempts per message before it is dropped (with backoff, about a day in all).
pub const ATTEMPTS_MAX: u32 = 10;
/// Messages sent per pass of the worker.
const BATCH_MAX: usize = 20;
/// Expired tokens removed per pass.
const EXPIRED_TOKENS_PER_PASS: usize = 1_000;
/// Longest token accepted from a link, in bytes (ours are 43 characters).
const TOKEN_BYTES_MAX: usize = 128;
/// Overall deadline of one message, on top of the per-command timeout.
const SEND_DEADLINE: Duration = Duration::from_secs(60);
/// How often the worker looks for due retries when nothing wakes it.
const IDLE_POLL: Duration = Duration::from_secs(30);

/// Whether mail is sent at all.
pub fn enabled(app: &App) -> bool {
    app.config.email.enabled()
}

/// Queues a message in `tx` (dropped when e-mail is off or the queue is full).
pub fn enqueue(
    app: &App,
    tx: &WriteTransaction,
    to: &str,
    subject: &str,
    body: String,
) -> Result<(), AppError> {
    if !enabled(app) {
        return Ok(());
    }
    if mail::queued_mails(tx)? >= QUEUE_MAX {
        tracing::warn!("the mail queue is full; a message is dropped");
        return Ok(());
    }
    let message = Mail {
        id: app.next_id(),
        to: to.to_string(),
        subject: format!("{subject} · {}", app.config.server.host),
        body,
        due_ms: now_ms(),
        attempts: 0,
    };
    mail::put_mail(tx, &message)?;
    app.mail_ready.notify_one();
    Ok(())
}

/// Makes a single-use token for `account` in `tx`; returns the secret for the link.
fn issue_token(
    tx: &WriteTransaction,
    account: AccountId,
    purpose: EmailTokenPurpose,
    valid_ms: u64,
) -> Result<String, AppError> {
    let secret = random::token(32);
    let token = EmailToken {
        account,
        purpose,
        expires_ms: now_ms().saturating_add(valid_ms),
    };
    mail::put_token(tx, &oauth::secret_hash(&secret), &token)?;
    Ok(secret)
}

/// Uses a token of `purpose` in `tx`: removes it and returns its account, or an error when
/// it is unknown, of another purpose or expired.
fn use_token(
    app: &App,
    tx: &WriteTransaction,
    secret: &str,
    purpose: EmailTokenPurpose,
) -> Result<AccountId, AppError> {
    let invalid = || AppError::Validation("This link is invalid or has expired".into());
    if secret.is_empty() || secret.len() > TOKEN_BYTES_MAX {
        return Err(invalid());
    }
    let hash = oauth::secret_hash(secret);
    let token = mail::get_token(tx, &hash, app.bytes_max())?.ok_or_else(invalid)?;
    if token.purpose != purpose {
        return Err(invalid());
    }
    mail::remove_token(tx, &hash)?;
    if token.expires_ms < now_ms() {
        return Err(invalid());
    }
    Ok(token.account)
}

/// In the sign-up's transaction: a confirmation token and the message with its link.
pub fn queue_confirmation(
    app: &App,
    tx: &WriteTransaction,
    account: AccountId,
    username: &str,
    email: &str,
) -> Result<(), AppError> {
    let secret = issue_token(
        tx,
        account,
        EmailTokenPurpose::Confirm,
        CONFIRM_LINK_VALID_MS,
    )?;
    let link = format!(
        "{}/auth/confirmation?token={secret}",
        app.base_url.trim_end_matches('/')
    );
    let body = format!(
        "Hello @{username},\n\nplease confirm your e-mail address to finish signing up at {}:\n\n{link}\n\nThe link works once, for 48 hours. If you did not sign up, ignore this message.\n",
        app.config.server.host
    );
    enqueue(app, tx, email, "Confirm your e-mail address", body)
}

/// Confirms the account of a confirmation link. Returns whether it still waits for a
/// moderator's approval.
pub fn confirm(app: &App, secret: &str) -> Result<bool, AppError> {
    app.write(|tx| {
        let account = use_token(app, tx, secret, EmailTokenPurpose::Confirm)?;
        // A rejected sign-up is gone; its link must not bring back a moderation record.
        if accounts::get_user(tx, account, app.bytes_max())?.is_none() {
            return Err(AppError::Validation(
                "This link is invalid or has expired".into(),
            ));
        }
        let mut state = moderation::get_account_moderation(tx, account, app.bytes_max())?;
        state.unconfirmed = false;
        moderation::put_account_moderation(tx, account, &state)?;
        Ok(state.pending)
    })
}

/// "Forgot password": queues a reset link when `email` belongs to a local account. The
/// answer is the same either way (nobody learns which addresses have accounts); rate
/// limited per client IP with the sign-in limit.
pub fn request_password_reset(
    app: &App,
    email: &str,
    client_ip: std::net::IpAddr,
) -> Result<(), AppError> {
    if !enabled(app) {
        return Err(AppError::Validation(
            "This server sends no e-mail; ask a moderator to reset your password".into(),
        ));
    }
    app.login_limiter
        .check(client_ip, now_ms())
        .map_err(|retry_after_secs| AppError::RateLimited { retry_after_secs })?;
    let email = email.trim();
    if email.is_empty() || email.len() > 320 {
        return Ok(());
    }
    app.write(|tx| {
        let Some(account) = accounts::account_id_by_email(tx, email)? else {
            return Ok(());
        };
        let Some(user) = accounts::get_user(tx, account, app.bytes_max())? else {
            return Ok(());
        };
        let secret = issue_token(
            tx,
            account,
            EmailTokenPurpose::ResetPassword,
            RESET_LINK_VALID_MS,
        )?;
        let link = format!(
            "{}/auth/password/edit?token={secret}",
            app.base_url.trim_end_matches('/')
        );
        let body = format!(
            "Someone asked to reset the password of your account at {}.\n\nTo choose a new password, open:\n\n{link}\n\nThe link works once, for 6 hours. If it was not you, ignore this message; your password stays as it is.\n",
            app.config.server.host
        );
        enqueue(app, tx, &user.email, "Reset your password", body)
    })
}

/// Sets a new password through a reset link; ends every browser session of the account.
/// Opening the link also proves the address, so an unconfirmed account becomes confirmed.
pub fn reset_password(app: &App, secret: &str, password: &str) -> Result<(), AppError> {
    // Checked before the token is used, so a too-short password does not burn the link.
    super::accounts::check_password(password)?;
    let account = app.write(|tx| {
        let account = use_token(app, tx, secret, EmailTokenPurpose::ResetPassword)?;
        if accounts::get_user(tx, account, app.bytes_max())?.is_none() {
            return Err(AppError::Validation(
                "This link is invalid or has expired".into(),
            ));
        }
        let mut state = moderation::get_account_moderation(tx, account, app.bytes_max())?;
        if state.unconfirmed {
            state.unconfirmed = false;
            moderation::put_account_moderation(tx, account, &state)?;
        }
        Ok::<_, AppError>(account)
    })?;
    super::accounts::set_password(app, account, password)?;
    app.write(|tx| -> Result<_, AppError> {
        for (hash, session) in sessions::sessions_of(
            tx,
            account,
            super::sessions::SESSIONS_PER_ACCOUNT_MAX,
            app.bytes_max(),
        )? {
            sessions::remove_session(tx, &hash, &session)?;
        }
        Ok(())
    })
}

/// Whether a token secret names a live reset link (for showing the form).
pub fn reset_link_valid(app: &App, secret: &str) -> Result<bool, AppError> {
    if secret.is_empty() || secret.len() > TOKEN_BYTES_MAX {
        return Ok(false);
    }
    let token = app
        .store
        .read(|tx| mail::get_token(tx, &oauth::secret_hash(secret), app.bytes_max()))?;
    Ok(token.is_some_and(|token| {
        token.purpose == EmailTokenPurpose::ResetPassword && token.expires_ms >= now_ms()
    }))
}

/// Messages waiting (for the admin dashboard).
pub fn queued(app: &App) -> Result<u64, AppError> {
    Ok(app.store.read(mail::queued_mails)?)
}

/// The worker: sends due messages, retries failures with backoff, drops a message after
/// `ATTEMPTS_MAX` failures or a permanent refusal, and removes expired tokens. Started by
/// the server when e-mail is on.
pub async fn run(app: App, mailer: Mailer, mut shutdown: watch::Receiver<bool>) {
    loop {
        if *shutdown.borrow() {
            return;
        }
        if let Err(error) = pass(&app, &mailer).await {
            tracing::warn!(%error, "mail worker");
        }
        tokio::select! {
            changed = shutdown.changed() => if changed.is_err() { return },
            () = app.mail_ready.notified() => {}
            () = tokio::time::sleep(IDLE_POLL) => {}
        }
    }
}

async fn pass(app: &App, mailer: &Mailer) -> Result<(), AppError> {
    app.run(|app| {
        app.write(|tx| {
            mail::remove_expired_tokens(tx, now_ms(), EXPIRED_TOKENS_PER_PASS, app.bytes_max())
        })
        .map_err(AppError::from)
    })
    .await?;
    loop {
        let batch = app
            .run(|app| {
                Ok(app
                    .store
                    .read(|tx| mail::due_mails(tx, now_ms(), BATCH_MAX, app.bytes_max()))?)
            })
            .await?;
        if batch.is_empty() {
            return Ok(());
        }
        for message in batch {
            let outcome = mailer
                .send(&message.to, &message.subject, &message.body, SEND_DEADLINE)
                .await;
            app.run(move |app| finish(app, message, outcome)).await?;
        }
    }
}

/// Removes a sent or hopeless message, or schedules its retry.
fn finish(app: &App, mut message: Mail, outcome: Result<(), MailError>) -> Result<(), AppError> {
    app.write(|tx| {
        // Gone meanwhile (cannot happen with one worker, but costs nothing to check).
        if mail::get_mail(tx, message.id, app.bytes_max())?.is_none() {
            return Ok(());
        }
        match outcome {
            Ok(()) => {
                tracing::info!(mail = message.id, "mail sent");
                mail::remove_mail(tx, message.id)?;
            }
            Err(MailError::Transient(error)) if message.attempts + 1 < ATTEMPTS_MAX => {
                message.attempts += 1;
                // 30 s, 1 min, 2 min … about 4 hours at the last attempt.
                let delay_ms = 30_000u64 << message.attempts.min(9);
                message.due_ms = now_ms().saturating_add(delay_ms);
                tracing::warn!(mail = message.id, attempts = message.attempts, %error, "mail not sent; retrying");
                mail::put_mail(tx, &message)?;
            }
            Err(error) => {
                tracing::warn!(mail = message.id, %error, "mail dropped");
                mail::remove_mail(tx, message.id)?;
            }
        }
        Ok(())
    })
}
