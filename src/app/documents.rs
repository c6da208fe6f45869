//! What federation's documents show of local accounts and statuses, and the ids (URIs) of
//! statuses and accounts, derived for local ones and stored for remote ones.

use crate::model::{AccountId, Status, StatusId, Visibility};
use crate::store::{Page, Reader, accounts, statuses};

use super::views::{self, AccountView, StatusView};
use super::{App, AppError, keys, timelines};

/// A local account and the public half of its key.
pub struct LocalActor {
    pub view: AccountView,
    pub public_key_pem: String,
}

/// A local account by username.
/// A suspended account is found too: peers learn of the suspension from its actor, which
/// then says `suspended` and shows nothing else of the profile (as Mastodon's).
pub fn local_actor(app: &App, username: &str) -> Result<LocalActor, AppError> {
    let view = app.store.read(|tx| {
        let id = accounts::account_id_by_acct(tx, username)?.ok_or(AppError::NotFound)?;
        let account = accounts::get_account(tx, id, app.bytes_max())?
            .filter(|account| account.is_local())
            .ok_or(AppError::NotFound)?;
        views::account_view(app, tx, account)
    })?;
    let public_key_pem = keys::public_key_pem(&keys::account_key(app, view.account.id)?)?;
    Ok(LocalActor {
        view,
        public_key_pem,
    })
}

pub fn instance_public_key_pem(app: &App) -> Result<String, AppError> {
    keys::public_key_pem(&keys::ensure_instance_key(app)?.0)
}

/// The id (URI) of an account: derived for local accounts, stored for remote ones.
pub fn account_uri(
    app: &App,
    reader: &impl Reader,
    id: AccountId,
) -> Result<Option<String>, AppError> {
    let Some(account) = accounts::get_account(reader, id, app.bytes_max())? else {
        return Ok(None);
    };
    if account.is_local() {
        return Ok(Some(app.actor_url(&account.username)));
    }
    Ok(accounts::get_remote_actor(reader, id, app.bytes_max())?.map(|actor| actor.uri))
}

/// The id (URI) of a status: derived for local statuses, stored for remote ones.
pub fn status_uri(
    app: &App,
    reader: &impl Reader,
    status: &Status,
) -> Result<Option<String>, AppError> {
    if let Some(uri) = &status.uri {
        return Ok(Some(uri.clone()));
    }
    let Some(account) = accounts::get_account(reader, status.account_id, app.bytes_max())? else {
        return Ok(None);
    };
    Ok(account.is_local().then(|| {
        format!(
            "{}/statuses/{}",
            app.actor_url(&account.username),
            status.id
        )
    }))
}

/// A status as federation shows it, with the ids it refers to.
pub struct StatusDocument {
    pub view: StatusView,
    /// The id of the status it replies to.
    pub in_reply_to: Option<String>,
    /// For a reblog, the id of the original.
    pub reblog_of: Option<String>,
}

fn document(app: &App, reader: &impl Reader, status: Status) -> Result<StatusDocument, AppError> {
    let in_reply_to = match status.in_reply_to_id {
        Some(parent) => match statuses::get_status(reader, parent, app.bytes_max())? {
            Some(parent) => status_uri(app, reader, &parent)?,
            None => None,
        },
        None => None,
    };
    let reblog_of = match status.reblog_of {
        Some(original) => match statuses::get_status(reader, original, app.bytes_max())? {
            Some(original) => status_uri(app, reader, &original)?,
            None => None,
        },
        None => None,
    };
    let view = views::status_view(app, reader, None, status)?;
    Ok(StatusDocument {
        view,
        in_reply_to,
        reblog_of,
    })
}

/// A status of the local account `username` as `viewer` may fetch it: public and unlisted
/// ones for anyone, private and direct ones for the signed fetch of their audience.
pub fn status_for(
    app: &App,
    username: &str,
    id: StatusId,
    viewer: Option<AccountId>,
) -> Result<StatusDocument, AppError> {
    app.store.read(|tx| {
        let status = views::visible_status(app, tx, viewer, id)?;
        let account = views::load_account(app, tx, status.account_id)?;
        if !account.is_local() || !account.username.eq_ignore_ascii_case(username) {
            return Err(AppError::NotFound);
        }
        document(app, tx, status)
    })
}

/// A page of an account's public and unlisted statuses and reblogs, newest first.
pub fn outbox(app: &App, account: AccountId, page: Page) -> Result<Vec<StatusDocument>, AppError> {
    let views = timelines::account(
        app,
        None,
        account,
        timelines::AccountFilter::default(),
        None,
        page,
    )?;
    app.store.read(|tx| {
        views
            .into_iter()
            .filter(|view| {
                matches!(
                    view.status.visibility,
                    Visibility::Public | Visibility::Unlisted
                )
            })
            .map(|view| document(app, tx, view.status))
            .collect()
    })
}

/// Pinned statuses of an account, for the `featured` collection.
pub fn featured(app: &App, account: AccountId) -> Result<Vec<StatusDocument>, AppError> {
    let filter = timelines::AccountFilter {
        pinned: true,
        ..Default::default()
    };
    let views = timelines::account(
        app,
        None,
        account,
        filter,
        None,
        Page::newest(super::statuses::PINS_MAX),
    )?;
    app.store.read(|tx| {
        views
            .into_iter()
            .map(|view| document(app, tx, view.status))
            .collect()
    })
}

/// Ids of a page of followers or following, newest first, with the edge id of each.
pub fn actor_ids(
    app: &App,
    list: super::relationships::AccountList,
    page: Page,
) -> Result<Vec<(u64, String)>, AppError> {
    let listed = super::relationships::list(app, list, page)?;
    app.store.read(|tx| {
        let mut out = Vec::with_capacity(listed.len());
        for (edge_id, view) in listed {
            if let Some(uri) = account_uri(app, tx, view.account.id)? {
                out.push((edge_id, uri));
            }
        }
        Ok(out)
    })
}

/// Inboxes of remote accounts that should receive what `author` sends to `audience`:
/// the author's remote followers (by shared inbox, once per server) when `followers`, and
/// each remote account in `accounts`, except inboxes on refused domains. Deduplicated and
/// sorted.
pub fn remote_inboxes(
    app: &App,
    author: AccountId,
    followers: bool,
    accounts_addressed: &[AccountId],
) -> Result<Vec<String>, AppError> {
    /// Followers looked at for one delivery fan-out.
    const FOLLOWERS_MAX: usize = 1_000_000;
    app.store.read(|tx| {
        let mut inboxes = Vec::new();
        let mut targets: Vec<AccountId> = accounts_addressed.to_vec();
        if followers {
            targets.extend(
                crate::store::Edge::FOLLOW
                    .all_of_b(tx, author.0, FOLLOWERS_MAX)?
                    .into_iter()
                    .map(AccountId),
            );
        }
        for target in targets {
            if let Some(actor) = accounts::get_remote_actor(tx, target, app.bytes_max())? {
                let inbox = actor.shared_inbox.unwrap_or(actor.inbox);
                // Nothing goes to a suspended (or, in allowlist mode, not allowed) domain.
                if !super::domains::refuses_inbox(app, tx, &inbox)? {
                    inboxes.push(inbox);
                }
            }
        }
        inboxes.sort_unstable();
        inboxes.dedup();
        Ok(inboxes)
    })
}

/// A status with its ids, for rendering outbound activities (any visibility: the audience
/// decides who receives it).
pub fn status_document(app: &App, id: StatusId) -> Result<Option<StatusDocument>, AppError> {
    app.store
        .read(|tx| match statuses::get_status(tx, id, app.bytes_max())? {
            Some(status) => document(app, tx, status).map(Some),
            None => Ok(None),
        })
}
