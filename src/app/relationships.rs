//! Follow, block and mute between accounts, and the lists of them.

use redb::WriteTransaction;

use crate::model::{AccountId, Notification, NotificationId, NotificationKind, OutboxIntent};
use crate::store::{self, Edge, Page, accounts, notifications, timelines};

use super::views::{self, AccountView, RelationshipView};
use super::{App, AppError, outbox};

/// Recent statuses of a newly followed account merged into the follower's home feed
/// (Mastodon merges a page of them too).
const FOLLOW_BACKFILL_STATUSES_MAX: usize = 40;
/// Statuses of an unfollowed account looked at when clearing them from a home feed.
const UNFOLLOW_CLEANUP_STATUSES_MAX: usize = 800;

pub fn relationships(
    app: &App,
    viewer: AccountId,
    ids: &[AccountId],
) -> Result<Vec<RelationshipView>, AppError> {
    app.store.read(|tx| {
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if crate::store::accounts::get_account(tx, *id, app.bytes_max())?.is_some() {
                out.push(views::relationship(app, tx, viewer, *id)?);
            }
        }
        Ok(out)
    })
}

/// Follows `target`: at once for an open local account; as a request for a locked one (it
/// answers) or a remote one (its server answers with Accept or Reject).
pub fn follow(
    app: &App,
    viewer: AccountId,
    target: AccountId,
) -> Result<RelationshipView, AppError> {
    if viewer == target {
        return Err(AppError::Validation("You cannot follow yourself".into()));
    }
    let follow_id = app.next_id();
    app.write(|tx| {
        let account = views::load_account(app, tx, target)?;
        if Edge::BLOCK.contains(tx, target.0, viewer.0)?
            || Edge::BLOCK.contains(tx, viewer.0, target.0)?
        {
            return Err(AppError::Forbidden("This action is not allowed"));
        }
        if Edge::FOLLOW.contains(tx, viewer.0, target.0)?
            || Edge::FOLLOW_REQUEST.contains(tx, viewer.0, target.0)?
        {
            return views::relationship(app, tx, viewer, target);
        }
        if !account.is_local() {
            Edge::FOLLOW_REQUEST.add(tx, viewer.0, target.0, follow_id)?;
            outbox::enqueue(
                app,
                tx,
                OutboxIntent::Follow {
                    follower: viewer,
                    followee: target,
                    follow_id,
                },
            )?;
        } else if account.locked {
            Edge::FOLLOW_REQUEST.add(tx, viewer.0, target.0, follow_id)?;
            notify(
                app,
                tx,
                target,
                NotificationKind::FollowRequest,
                viewer,
                None,
            )?;
        } else {
            complete_follow(app, tx, viewer, target, follow_id)?;
        }
        views::relationship(app, tx, viewer, target)
    })
}

/// Makes a follow real: the edge, the counters, the followee's recent statuses in the
/// follower's home feed (for local followers), and the followee's notification.
pub(crate) fn complete_follow(
    app: &App,
    tx: &WriteTransaction,
    follower: AccountId,
    followee: AccountId,
    follow_id: u64,
) -> Result<(), AppError> {
    Edge::FOLLOW_REQUEST.remove(tx, follower.0, followee.0)?;
    if !Edge::FOLLOW.add(tx, follower.0, followee.0, follow_id)? {
        return Ok(());
    }
    accounts::adjust_counts(tx, follower, 0, 0, 1, None)?;
    accounts::adjust_counts(tx, followee, 0, 1, 0, None)?;
    if accounts::get_user(tx, follower, app.bytes_max())?.is_some() {
        let recent = timelines::account_page(
            tx,
            followee,
            Page::newest(FOLLOW_BACKFILL_STATUSES_MAX),
            usize::MAX,
            |id| Ok::<_, AppError>(Some(id)),
        )?;
        for status in recent {
            timelines::push_home(
                tx,
                follower,
                status,
                app.config.limits.home_feed_entries_max,
            )?;
        }
    }
    notify(app, tx, followee, NotificationKind::Follow, follower, None)
}

pub fn unfollow(
    app: &App,
    viewer: AccountId,
    target: AccountId,
) -> Result<RelationshipView, AppError> {
    app.write(|tx| {
        let account = views::load_account(app, tx, target)?;
        let follow_id = match Edge::FOLLOW.get(tx, viewer.0, target.0)? {
            Some(id) => Some(id),
            None => Edge::FOLLOW_REQUEST.remove(tx, viewer.0, target.0)?,
        };
        remove_follow(tx, viewer, target)?;
        // An endorsement needs a follow (as Mastodon's): it ends with it.
        Edge::ENDORSEMENT.remove(tx, viewer.0, target.0)?;
        if let (false, Some(follow_id)) = (account.is_local(), follow_id) {
            outbox::enqueue(
                app,
                tx,
                OutboxIntent::UndoFollow {
                    follower: viewer,
                    followee: target,
                    follow_id,
                },
            )?;
        }
        views::relationship(app, tx, viewer, target)
    })
}

/// Follow requests `viewer` received, newest first, with the request id of each.
pub fn follow_requests(
    app: &App,
    viewer: AccountId,
    page: Page,
) -> Result<Vec<(u64, AccountView)>, AppError> {
    app.store.read(|tx| {
        let mut out = Vec::new();
        for (request_id, requester) in Edge::FOLLOW_REQUEST.page_of_b(tx, viewer.0, page)? {
            match views::load_account_view(app, tx, AccountId(requester)) {
                Ok(view) => out.push((request_id, view)),
                Err(AppError::NotFound) => continue,
                Err(error) => return Err(error),
            }
        }
        Ok(out)
    })
}

/// Answers a follow request `viewer` received; a remote requester's server hears the answer.
pub fn answer_follow_request(
    app: &App,
    viewer: AccountId,
    requester: AccountId,
    accept: bool,
) -> Result<RelationshipView, AppError> {
    app.write(|tx| {
        let account = views::load_account(app, tx, requester)?;
        let Some(request_id) = Edge::FOLLOW_REQUEST.get(tx, requester.0, viewer.0)? else {
            return Err(AppError::NotFound);
        };
        if accept {
            complete_follow(app, tx, requester, viewer, request_id)?;
        } else {
            Edge::FOLLOW_REQUEST.remove(tx, requester.0, viewer.0)?;
        }
        if !account.is_local() {
            let follow_activity =
                store::follow_activity(tx, requester.0, viewer.0)?.unwrap_or_default();
            let intent = if accept {
                OutboxIntent::Accept {
                    followee: viewer,
                    follower: requester,
                    follow_activity,
                }
            } else {
                OutboxIntent::Reject {
                    followee: viewer,
                    follower: requester,
                    follow_activity,
                }
            };
            outbox::enqueue(app, tx, intent)?;
        }
        views::relationship(app, tx, viewer, requester)
    })
}

/// Removes a follow with its counters and the followee's statuses in the follower's home.
pub(crate) fn remove_follow(
    tx: &WriteTransaction,
    follower: AccountId,
    followee: AccountId,
) -> Result<(), AppError> {
    if Edge::FOLLOW.remove(tx, follower.0, followee.0)?.is_some() {
        super::lists::forget_member(tx, follower, followee)?;
        accounts::adjust_counts(tx, follower, 0, 0, -1, None)?;
        accounts::adjust_counts(tx, followee, 0, -1, 0, None)?;
        let statuses = timelines::account_page(
            tx,
            followee,
            Page::newest(UNFOLLOW_CLEANUP_STATUSES_MAX),
            usize::MAX,
            |id| Ok::<_, AppError>(Some(id)),
        )?;
        for status in statuses {
            timelines::remove_home(tx, follower, status)?;
        }
    }
    Ok(())
}

pub fn block(
    app: &App,
    viewer: AccountId,
    target: AccountId,
) -> Result<RelationshipView, AppError> {
    if viewer == target {
        return Err(AppError::Validation("You cannot block yourself".into()));
    }
    let block_id = app.next_id();
    app.write(|tx| {
        views::load_account(app, tx, target)?;
        remove_follow(tx, viewer, target)?;
        remove_follow(tx, target, viewer)?;
        if Edge::BLOCK.add(tx, viewer.0, target.0, block_id)? {
            Edge::FOLLOW_REQUEST.remove(tx, viewer.0, target.0)?;
            Edge::FOLLOW_REQUEST.remove(tx, target.0, viewer.0)?;
            outbox::enqueue(
                app,
                tx,
                OutboxIntent::Block {
                    blocker: viewer,
                    blocked: target,
                    block_id,
                },
            )?;
        }
        views::relationship(app, tx, viewer, target)
    })
}

pub fn unblock(
    app: &App,
    viewer: AccountId,
    target: AccountId,
) -> Result<RelationshipView, AppError> {
    app.write(|tx| {
        views::load_account(app, tx, target)?;
        if let Some(block_id) = Edge::BLOCK.remove(tx, viewer.0, target.0)? {
            outbox::enqueue(
                app,
                tx,
                OutboxIntent::UndoBlock {
                    blocker: viewer,
                    blocked: target,
                    block_id,
                },
            )?;
        }
        views::relationship(app, tx, viewer, target)
    })
}

pub fn mute(
    app: &App,
    viewer: AccountId,
    target: AccountId,
    notifications: bool,
) -> Result<RelationshipView, AppError> {
    if viewer == target {
        return Err(AppError::Validation("You cannot mute yourself".into()));
    }
    let mute_id = app.next_id();
    app.write(|tx| {
        views::load_account(app, tx, target)?;
        Edge::MUTE.add(tx, viewer.0, target.0, mute_id)?;
        store::set_mute_hides_notifications(tx, viewer.0, target.0, notifications)?;
        views::relationship(app, tx, viewer, target)
    })
}

pub fn unmute(
    app: &App,
    viewer: AccountId,
    target: AccountId,
) -> Result<RelationshipView, AppError> {
    app.write(|tx| {
        views::load_account(app, tx, target)?;
        Edge::MUTE.remove(tx, viewer.0, target.0)?;
        store::set_mute_hides_notifications(tx, viewer.0, target.0, false)?;
        views::relationship(app, tx, viewer, target)
    })
}

/// Ends `follower`'s follow of `viewer`; a remote follower's server hears a `Reject` of
/// the follow, as Mastodon sends.
pub(crate) fn remove_follower(
    app: &App,
    tx: &WriteTransaction,
    viewer: AccountId,
    follower: AccountId,
) -> Result<(), AppError> {
    if !Edge::FOLLOW.contains(tx, follower.0, viewer.0)? {
        return Ok(());
    }
    let remote = accounts::get_account(tx, follower, app.bytes_max())?
        .is_some_and(|account| !account.is_local());
    remove_follow(tx, follower, viewer)?;
    if remote {
        let follow_activity = store::follow_activity(tx, follower.0, viewer.0)?.unwrap_or_default();
        outbox::enqueue(
            app,
            tx,
            OutboxIntent::Reject {
                followee: viewer,
                follower,
                follow_activity,
            },
        )?;
    }
    Ok(())
}

/// `POST /api/v1/accounts/:id/remove_from_followers`.
pub fn remove_from_followers(
    app: &App,
    viewer: AccountId,
    follower: AccountId,
) -> Result<RelationshipView, AppError> {
    app.write(|tx| {
        views::load_account(app, tx, follower)?;
        remove_follower(app, tx, viewer, follower)?;
        views::relationship(app, tx, viewer, follower)
    })
}

/// Accounts one profile may endorse.
pub const ENDORSEMENTS_MAX: usize = 500;
/// Characters of a private note on an account (Mastodon: 2,000).
pub const NOTE_CHARS_MAX: usize = 2_000;

/// Endorses (features on the viewer's profile) an account the viewer follows, or stops.
pub fn endorse(
    app: &App,
    viewer: AccountId,
    target: AccountId,
    endorse: bool,
) -> Result<RelationshipView, AppError> {
    app.write(|tx| {
        views::load_account(app, tx, target)?;
        if endorse {
            if !Edge::FOLLOW.contains(tx, viewer.0, target.0)? {
                return Err(AppError::Validation(
                    "You must be following this account to endorse it".into(),
                ));
            }
            if Edge::ENDORSEMENT
                .all_of_a(tx, viewer.0, ENDORSEMENTS_MAX)?
                .len()
                >= ENDORSEMENTS_MAX
                && !Edge::ENDORSEMENT.contains(tx, viewer.0, target.0)?
            {
                return Err(AppError::Validation(format!(
                    "You cannot endorse more than {ENDORSEMENTS_MAX} accounts"
                )));
            }
            Edge::ENDORSEMENT.add(tx, viewer.0, target.0, app.next_id())?;
        } else {
            Edge::ENDORSEMENT.remove(tx, viewer.0, target.0)?;
        }
        views::relationship(app, tx, viewer, target)
    })
}

/// Sets the viewer's private note on an account (empty removes it).
pub fn set_note(
    app: &App,
    viewer: AccountId,
    target: AccountId,
    note: &str,
) -> Result<RelationshipView, AppError> {
    if note.chars().count() > NOTE_CHARS_MAX {
        return Err(AppError::Validation(format!(
            "Comment is too long (maximum is {NOTE_CHARS_MAX} characters)"
        )));
    }
    app.write(|tx| {
        views::load_account(app, tx, target)?;
        crate::store::social::put_note(tx, viewer.0, target.0, note)?;
        views::relationship(app, tx, viewer, target)
    })
}

/// Which list of accounts to page through.
#[derive(Clone, Copy, Debug)]
pub enum AccountList {
    Followers(AccountId),
    Following(AccountId),
    Blocks(AccountId),
    Mutes(AccountId),
    /// Accounts endorsed on a profile.
    Endorsements(AccountId),
}

/// A page of accounts with the edge id each was listed under (for `Link` headers).
pub fn list(app: &App, list: AccountList, page: Page) -> Result<Vec<(u64, AccountView)>, AppError> {
    app.store.read(|tx| {
        let edges = match list {
            AccountList::Followers(id) => {
                views::load_account(app, tx, id)?;
                Edge::FOLLOW.page_of_b(tx, id.0, page)?
            }
            AccountList::Following(id) => {
                views::load_account(app, tx, id)?;
                Edge::FOLLOW.page_of_a(tx, id.0, page)?
            }
            AccountList::Blocks(id) => Edge::BLOCK.page_of_a(tx, id.0, page)?,
            AccountList::Mutes(id) => Edge::MUTE.page_of_a(tx, id.0, page)?,
            AccountList::Endorsements(id) => {
                views::load_account(app, tx, id)?;
                Edge::ENDORSEMENT.page_of_a(tx, id.0, page)?
            }
        };
        let mut out = Vec::with_capacity(edges.len());
        for (edge_id, account) in edges {
            match views::load_account_view(app, tx, AccountId(account)) {
                Ok(view) => out.push((edge_id, view)),
                Err(AppError::NotFound) => continue,
                Err(error) => return Err(error),
            }
        }
        Ok(out)
    })
}

/// Records a notification for a local recipient unless they block or mute-with-notifications
/// its sender, or it is their own action; the recipient's notification policy then accepts,
/// filters or drops it.
pub(crate) fn notify(
    app: &App,
    tx: &WriteTransaction,
    recipient: AccountId,
    kind: NotificationKind,
    from: AccountId,
    status: Option<crate::model::StatusId>,
) -> Result<(), AppError> {
    if recipient == from || accounts::get_user(tx, recipient, app.bytes_max())?.is_none() {
        return Ok(());
    }
    if Edge::BLOCK.contains(tx, recipient.0, from.0)? {
        return Ok(());
    }
    if store::mute_hides_notifications(tx, recipient.0, from.0)? {
        return Ok(());
    }
    if super::domain_blocks::hides_id(app, tx, recipient, from)? {
        return Ok(());
    }
    // A muted thread notifies its muter of nothing.
    if let Some(id) = status {
        if let Some(found) = crate::store::statuses::get_status(tx, id, app.bytes_max())? {
            if super::conversations::is_muted(app, tx, recipient, &found)? {
                return Ok(());
            }
        }
    }
    let notification = Notification {
        id: NotificationId(app.next_id()),
        recipient_id: recipient,
        kind,
        from_account_id: from,
        status_id: status,
    };
    // The recipient's notification policy (limited accounts are filtered by default, as
    // Mastodon does): a dropped notification is not stored, a filtered one waits in a request
    // and is neither streamed nor pushed.
    match super::notifications::policy_action(app, tx, &notification)? {
        crate::model::PolicyAction::Drop => return Ok(()),
        crate::model::PolicyAction::Filter => {
            return super::notifications::file_filtered(app, tx, &notification);
        }
        crate::model::PolicyAction::Accept => {}
    }
    notifications::put_notification(tx, &notification)?;
    super::push::enqueue(app, tx, &notification)?;
    super::stream::pending(super::stream::Event::Notification {
        recipient,
        notification: notification.id,
    });
    Ok(())
}
