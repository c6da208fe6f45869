//! Sign-up (`POST /api/v1/accounts`) and invitations.
//!
//! `instance.registrations` decides who may sign up: nobody (`closed`, the default), anyone
//! (`open`), or anyone whom a moderator then approves (`approval`: the account exists but
//! cannot log in or use its token until approved; rejecting removes it). A usable invitation
//! admits its holder in every mode, without approval. Sign-ups are rate limited per client IP
//! (`limits.signups_per_30min_per_ip`).

use crate::model::{
    AccountId, AccountModeration, AppId, AuditAction, Invite, Role, ScopeSet, Token,
};
use crate::store::moderation;
use crate::util::random;
use crate::util::time::now_ms;

use super::admin::{self, Actor};
use super::{App, AppError, accounts};

/// Shortest password accepted at sign-up, in characters (Mastodon: 8).
pub const PASSWORD_CHARS_MIN: usize = 8;
/// Longest reason given with a sign-up under approval, in characters (Mastodon: 420).
pub const REASON_CHARS_MAX: usize = 420;
/// Invitations an instance may hold.
pub const INVITES_MAX: usize = 10_000;
/// Longest invitation code accepted, in bytes (ours are 12 characters).
const INVITE_CODE_BYTES_MAX: usize = 64;

/// What a sign-up form carries.
#[derive(Clone, Debug, Default)]
pub struct SignUp {
    pub username: String,
    pub email: String,
    pub password: String,
    pub agreement: bool,
    pub reason: String,
    pub invite_code: Option<String>,
}

/// Creates an account for a sign-up and a token for the app that asked; the account waits
/// for approval when the mode says so and no invitation admits it.
pub fn sign_up(
    app: &App,
    app_id: AppId,
    scopes: ScopeSet,
    input: SignUp,
    client_ip: std::net::IpAddr,
) -> Result<(String, Token), AppError> {
    let (account, _) = create_account(app, input, client_ip)?;
    super::oauth::issue_token(app, Some(app_id), Some(account), scopes)
}

/// Creates the account of a sign-up (the API's and the sign-up page's); says whether it
/// waits for approval. With e-mail on, it also waits for its confirmation link (queued in
/// the same transaction).
pub fn create_account(
    app: &App,
    input: SignUp,
    client_ip: std::net::IpAddr,
) -> Result<(AccountId, bool), AppError> {
    app.signup_limiter
        .check(client_ip, now_ms())
        .map_err(|retry_after_secs| AppError::RateLimited { retry_after_secs })?;
    let invite = match input.invite_code.as_deref().filter(|code| !code.is_empty()) {
        Some(code) if code.len() <= INVITE_CODE_BYTES_MAX => {
            let found = app
                .store
                .read(|tx| moderation::invite_by_code(tx, code, app.bytes_max()))?;
            match found {
                Some(invite) if invite.is_usable(now_ms()) => Some(invite),
                _ => {
                    return Err(AppError::Validation(
                        "Invite is invalid or has expired".into(),
                    ));
                }
            }
        }
        Some(_) => {
            return Err(AppError::Validation(
                "Invite is invalid or has expired".into(),
            ));
        }
        None => None,
    };
    let mode = app.config.instance.registrations.as_str();
    if mode == "closed" && invite.is_none() {
        return Err(AppError::Forbidden(admin::NOT_ALLOWED));
    }
    if !input.agreement {
        return Err(AppError::Validation("Agreement must be accepted".into()));
    }
    let characters = input.password.chars().count();
    if characters < PASSWORD_CHARS_MIN || input.password.len() > accounts::PASSWORD_BYTES_MAX {
        return Err(AppError::Validation(format!(
            "Password must be {PASSWORD_CHARS_MIN} to {} characters",
            accounts::PASSWORD_BYTES_MAX
        )));
    }
    if input.reason.chars().count() > REASON_CHARS_MAX {
        return Err(AppError::Validation(format!(
            "Reason is too long (maximum is {REASON_CHARS_MAX} characters)"
        )));
    }
    let ip_needs_approval = app
        .store
        .read(|tx| super::access::sign_up_check(app, tx, client_ip, &input.email))?;
    let pending = (mode == "approval" || ip_needs_approval) && invite.is_none();
    // With e-mail on, the address is confirmed through a link before the account can sign
    // in (an invitation does not vouch for an address). Without e-mail nothing can check the
    // address, so a moderator confirms it: an approval or an invitation is that confirmation,
    // and an open sign-up waits for the "Confirm e-mail" action (`/admin/accounts`,
    // `skerry admin account moderate NAME confirm`).
    let unconfirmed = super::mail::enabled(app) || (!pending && invite.is_none());
    let state = AccountModeration {
        pending,
        unconfirmed,
        reason: if pending {
            input.reason.clone()
        } else {
            String::new()
        },
        invite_code: invite.as_ref().map(|invite| invite.code.clone()),
        ..AccountModeration::default()
    };
    let account = accounts::insert_local_account(
        app,
        &input.username,
        &input.email,
        Role::User,
        &input.password,
        |tx, id| {
            if let Some(invite) = &invite {
                // Read again inside the transaction: another sign-up may have used it up.
                let mut current = moderation::invite_by_code(tx, &invite.code, app.bytes_max())?
                    .filter(|current| current.is_usable(now_ms()))
                    .ok_or_else(|| {
                        AppError::Validation("Invite is invalid or has expired".into())
                    })?;
                current.uses += 1;
                moderation::put_invite(tx, &current)?;
            }
            moderation::put_account_moderation(tx, id, &state)?;
            if unconfirmed {
                super::mail::queue_confirmation(app, tx, id, &input.username, &input.email)?;
            }
            Ok(())
        },
    )?;
    if pending {
        tracing::info!(account = %account.id.0, "sign-up waits for approval");
    }
    Ok((account.id, pending))
}

/// Makes an invitation. Admins (Mastodon's `manage_invites`) and the operator.
pub fn create_invite(
    app: &App,
    actor: Actor,
    expires_in_secs: Option<u64>,
    uses_max: Option<u32>,
) -> Result<Invite, AppError> {
    let now = now_ms();
    let invite = Invite {
        id: app.next_id(),
        code: random::token(9),
        created_by: match actor {
            Actor::Operator => None,
            Actor::Account(id) => Some(id),
        },
        created_ms: now,
        expires_ms: expires_in_secs.map(|secs| now.saturating_add(secs.saturating_mul(1000))),
        uses_max,
        uses: 0,
        revoked: false,
    };
    app.write(|tx| {
        admin::require_role(app, tx, actor, Role::Admin)?;
        if moderation::list_invites(tx, INVITES_MAX, app.bytes_max())?.len() >= INVITES_MAX {
            return Err(AppError::Validation(format!(
                "There are {INVITES_MAX} invitations already"
            )));
        }
        moderation::put_invite(tx, &invite)?;
        super::moderation::audit(
            app,
            tx,
            actor,
            AuditAction::CreateInvite,
            invite.code.clone(),
            "",
        )?;
        Ok(invite.clone())
    })
}

/// Revokes an invitation by code.
pub fn revoke_invite(app: &App, actor: Actor, code: &str) -> Result<Invite, AppError> {
    app.write(|tx| {
        admin::require_role(app, tx, actor, Role::Admin)?;
        let mut invite =
            moderation::invite_by_code(tx, code, app.bytes_max())?.ok_or(AppError::NotFound)?;
        invite.revoked = true;
        moderation::put_invite(tx, &invite)?;
        super::moderation::audit(
            app,
            tx,
            actor,
            AuditAction::RevokeInvite,
            code.to_string(),
            "",
        )?;
        Ok(invite)
    })
}

pub fn list_invites(app: &App, actor: Actor) -> Result<Vec<Invite>, AppError> {
    app.store.read(|tx| {
        admin::require_role(app, tx, actor, Role::Admin)?;
        Ok(moderation::list_invites(tx, INVITES_MAX, app.bytes_max())?)
    })
}

/// Accounts waiting for approval (for the command line).
pub fn pending_accounts(app: &App, actor: Actor) -> Result<Vec<AccountId>, AppError> {
    const LISTED_MAX: usize = 10_000;
    app.store.read(|tx| {
        admin::require_role(app, tx, actor, Role::Moderator)?;
        Ok(moderation::pending_account_ids(tx, LISTED_MAX)?
            .into_iter()
            .map(AccountId)
            .collect())
    })
}
