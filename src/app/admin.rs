//! Who may run admin operations. An admin operation names its actor: the operator (the
//! command line and the admin socket, which act as the instance) or a local account, whose
//! role must be high enough. The check runs inside the operation's transaction.

use crate::model::{AccountId, Role};
use crate::store::{Reader, accounts};

use super::{App, AppError};

/// Mastodon's answer when a role lacks a permission.
pub const NOT_ALLOWED: &str = "This action is not allowed";

/// Who performs an admin operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Actor {
    /// The operator through `skerry admin` (socket or offline): no role is checked.
    Operator,
    /// A local account through the API: its role is checked.
    Account(AccountId),
}

/// Passes if `actor` is the operator, or a local, active (not suspended, disabled or pending)
/// account with at least `role`
/// (Mastodon gives `manage_federation` to Admin and Owner, not to Moderator).
pub fn require_role(
    app: &App,
    reader: &impl Reader,
    actor: Actor,
    role: Role,
) -> Result<(), AppError> {
    let Actor::Account(id) = actor else {
        return Ok(());
    };
    let user = accounts::get_user(reader, id, app.bytes_max())?;
    let active = accounts::get_account(reader, id, app.bytes_max())?
        .is_some_and(|account| account.suspended_ms.is_none());
    let refused = super::moderation::login_refusal(app, reader, id)?.is_some();
    match user {
        Some(user) if active && !refused && user.role >= role => Ok(()),
        _ => Err(AppError::Forbidden(NOT_ALLOWED)),
    }
}
