//! Follow, block and mute between accounts, and the lists of them.

use redb::WriteTransaction;

use crate::model::{AccountId, Notification, NotificationId, NotificationKind};
use crate::store::{self, Edge, Page, accounts, notifications, timelines};

use super::views::{self, AccountView, RelationshipView};
use super::{App, AppError};

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
                out.push(views::relationship(tx, viewer, *id)?);
            }
        }
        Ok(out)
    })
}

pub fn follow(
    app: &App,
    viewer: AccountId,
    target: AccountId,
) -> Result<RelationshipView, AppError> {
    if viewer == target {
        return Err(AppError::Validation("You cannot follow yourself".into()));
    }
    let follow_id = app.next_id();
    app.store.write(|tx| {
        views::load_account(app, tx, target)?;
        if Edge::BLOCK.contains(tx, target.0, viewer.0)?
            || Edge::BLOCK.contains(tx, viewer.0, target.0)?
        {
            return Err(AppError::Forbidden("This action is not allowed"));
        }
        if Edge::FOLLOW.add(tx, viewer.0, target.0, follow_id)? {
            accounts::adjust_counts(tx, viewer, 0, 0, 1, None)?;
            accounts::adjust_counts(tx, target, 0, 1, 0, None)?;
            let recent = timelines::account_page(
                tx,
                target,
                Page::newest(FOLLOW_BACKFILL_STATUSES_MAX),
                usize::MAX,
                |id| Ok::<_, AppError>(Some(id)),
            )?;
            for status in recent {
                timelines::push_home(tx, viewer, status, app.config.limits.home_feed_entries_max)?;
            }
            notify(app, tx, target, NotificationKind::Follow, viewer, None)?;
        }
        views::relationship(tx, viewer, target)
    })
}

pub fn unfollow(
    app: &App,
    viewer: AccountId,
    target: AccountId,
) -> Result<RelationshipView, AppError> {
    app.store.write(|tx| {
        views::load_account(app, tx, target)?;
        remove_follow(tx, viewer, target)?;
        views::relationship(tx, viewer, target)
    })
}

/// Removes a follow with its counters and the followee's statuses in the follower's home.
fn remove_follow(
    tx: &WriteTransaction,
    follower: AccountId,
    followee: AccountId,
) -> Result<(), AppError> {
    if Edge::FOLLOW.remove(tx, follower.0, followee.0)?.is_some() {
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
    app.store.write(|tx| {
        views::load_account(app, tx, target)?;
        remove_follow(tx, viewer, target)?;
        remove_follow(tx, target, viewer)?;
        Edge::BLOCK.add(tx, viewer.0, target.0, block_id)?;
        views::relationship(tx, viewer, target)
    })
}

pub fn unblock(
    app: &App,
    viewer: AccountId,
    target: AccountId,
) -> Result<RelationshipView, AppError> {
    app.store.write(|tx| {
        views::load_account(app, tx, target)?;
        Edge::BLOCK.remove(tx, viewer.0, target.0)?;
        views::relationship(tx, viewer, target)
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
    app.store.write(|tx| {
        views::load_account(app, tx, target)?;
        Edge::MUTE.add(tx, viewer.0, target.0, mute_id)?;
        store::set_mute_hides_notifications(tx, viewer.0, target.0, notifications)?;
        views::relationship(tx, viewer, target)
    })
}

pub fn unmute(
    app: &App,
    viewer: AccountId,
    target: AccountId,
) -> Result<RelationshipView, AppError> {
    app.store.write(|tx| {
        views::load_account(app, tx, target)?;
        Edge::MUTE.remove(tx, viewer.0, target.0)?;
        store::set_mute_hides_notifications(tx, viewer.0, target.0, false)?;
        views::relationship(tx, viewer, target)
    })
}

/// Which list of accounts to page through.
#[derive(Clone, Copy, Debug)]
pub enum AccountList {
    Followers(AccountId),
    Following(AccountId),
    Blocks(AccountId),
    Mutes(AccountId),
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
/// its sender, or it is their own action.
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
    let notification = Notification {
        id: NotificationId(app.next_id()),
        recipient_id: recipient,
        kind,
        from_account_id: from,
        status_id: status,
    };
    notifications::put_notification(tx, &notification)?;
    Ok(())
}
