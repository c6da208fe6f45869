//! The viewer's notifications.

use crate::model::{AccountId, Notification, NotificationId, NotificationKind};
use crate::store::{Page, Reader, notifications};

use super::views::{self, AccountView, StatusView};
use super::{App, AppError};

/// Notifications looked at before a filtered page returns what it has.
const SCAN_NOTIFICATIONS_MAX: usize = 2_000;

#[derive(Clone, Debug)]
pub struct NotificationView {
    pub notification: Notification,
    pub account: AccountView,
    pub status: Option<StatusView>,
}

/// Filters of `GET /api/v1/notifications`.
#[derive(Clone, Debug, Default)]
pub struct NotificationFilter {
    /// Only these kinds (empty: all).
    pub types: Vec<NotificationKind>,
    pub exclude_types: Vec<NotificationKind>,
    pub from_account: Option<AccountId>,
}

/// A notification rendered for its recipient; `None` if what it refers to is gone.
fn view(
    app: &App,
    reader: &impl Reader,
    notification: Notification,
) -> Result<Option<NotificationView>, AppError> {
    let account = match views::load_account_view(app, reader, notification.from_account_id) {
        Ok(account) => account,
        Err(AppError::NotFound) => return Ok(None),
        Err(error) => return Err(error),
    };
    let viewer = Some(notification.recipient_id);
    let status = match notification.status_id {
        Some(id) => match views::visible_status(app, reader, viewer, id) {
            Ok(status) => Some(views::status_view(app, reader, viewer, status)?),
            Err(AppError::NotFound) => return Ok(None),
            Err(error) => return Err(error),
        },
        None => None,
    };
    Ok(Some(NotificationView {
        notification,
        account,
        status,
    }))
}

pub fn list(
    app: &App,
    viewer: AccountId,
    filter: &NotificationFilter,
    page: Page,
) -> Result<Vec<NotificationView>, AppError> {
    app.store.read(|tx| {
        let context = crate::model::FilterContext::Notifications;
        let active = !super::filters::active(app, tx, viewer, context)?.is_empty();
        notifications::page(
            tx,
            viewer,
            page,
            SCAN_NOTIFICATIONS_MAX,
            app.bytes_max(),
            |notification| {
                let wanted = (filter.types.is_empty() || filter.types.contains(&notification.kind))
                    && !filter.exclude_types.contains(&notification.kind)
                    && filter
                        .from_account
                        .is_none_or(|from| from == notification.from_account_id);
                if !wanted {
                    return Ok(None);
                }
                let Some(mut found) = view(app, tx, notification)? else {
                    return Ok(None);
                };
                // A `hide` filter of the notifications context drops the notification.
                if active {
                    if let Some(status) = found.status.take() {
                        match super::filters::apply(app, tx, Some(viewer), context, vec![status])?
                            .pop()
                        {
                            Some(status) => found.status = Some(status),
                            None => return Ok(None),
                        }
                    }
                }
                Ok(Some(found))
            },
        )
    })
}

pub fn get(app: &App, viewer: AccountId, id: NotificationId) -> Result<NotificationView, AppError> {
    app.store.read(|tx| {
        let notification = notifications::get_notification(tx, viewer, id, app.bytes_max())?
            .ok_or(AppError::NotFound)?;
        view(app, tx, notification)?.ok_or(AppError::NotFound)
    })
}

pub fn dismiss(app: &App, viewer: AccountId, id: NotificationId) -> Result<(), AppError> {
    app.write(|tx| {
        if notifications::dismiss(tx, viewer, id)? {
            Ok(())
        } else {
            Err(AppError::NotFound)
        }
    })
}

pub fn clear(app: &App, viewer: AccountId) -> Result<(), AppError> {
    app.write(|tx| Ok(notifications::clear(tx, viewer)?))
}

/// Unread notifications after the viewer's `notifications` marker, up to `max`.
pub fn unread_count(app: &App, viewer: AccountId, max: usize) -> Result<usize, AppError> {
    app.store.read(|tx| {
        let marker =
            crate::store::client_state::get_marker(tx, viewer.0, "notifications", app.bytes_max())?;
        let page = Page {
            min_id: marker.map(|marker| marker.last_read_id),
            limit: max,
            ..Page::default()
        };
        Ok(
            notifications::page(tx, viewer, page, max, app.bytes_max(), |_| {
                Ok::<_, AppError>(Some(()))
            })?
            .len(),
        )
    })
}

/// Notifications looked at for one page of groups.
const GROUPED_SCAN_MAX: usize = 200;
/// Accounts shown per group (Mastodon: 8).
pub const SAMPLE_ACCOUNTS_MAX: usize = 8;

/// The kinds Mastodon groups: favourites and reblogs per status, follows per day.
fn groupable(kind: NotificationKind) -> bool {
    matches!(
        kind,
        NotificationKind::Favourite | NotificationKind::Reblog | NotificationKind::Follow
    )
}

/// Mastodon's `group_key`: `favourite-<status>`, `reblog-<status>`, `follow-<day>`, and
/// `ungrouped-<id>` for everything else (or when grouping is off for the kind).
pub fn group_key(notification: &Notification, grouped: &[NotificationKind]) -> String {
    let kind = notification.kind;
    if !grouped.contains(&kind) || !groupable(kind) {
        return format!("ungrouped-{}", notification.id);
    }
    match (kind, notification.status_id) {
        (NotificationKind::Follow, _) => {
            let day = crate::util::ids::ms_of_id(notification.id.0) / 86_400_000;
            format!("follow-{day}")
        }
        (_, Some(status)) => format!("{}-{status}", kind.name()),
        (_, None) => format!("ungrouped-{}", notification.id),
    }
}

/// One group of notifications on a page (Mastodon's `NotificationGroup`).
#[derive(Clone, Debug)]
pub struct NotificationGroup {
    pub key: String,
    pub kind: NotificationKind,
    pub count: usize,
    pub most_recent: NotificationId,
    pub page_min_id: NotificationId,
    pub page_max_id: NotificationId,
    /// The newest notification of the group, rendered.
    pub latest: NotificationView,
    /// Accounts behind the group's notifications, newest first.
    pub sample_accounts: Vec<AccountView>,
}

/// Groups `views` (newest first) into at most `limit` groups, in order of their newest
/// notification; a notification that would start group `limit + 1` ends the page.
fn group(
    views: Vec<NotificationView>,
    grouped: &[NotificationKind],
    limit: usize,
) -> Vec<NotificationGroup> {
    let mut groups: Vec<NotificationGroup> = Vec::new();
    for found in views {
        let key = group_key(&found.notification, grouped);
        let id = found.notification.id;
        let known = groups.iter().position(|group| group.key == key);
        let full = groups.len() >= limit;
        match known.map(|index| &mut groups[index]) {
            Some(group) => {
                group.count += 1;
                group.page_min_id = group.page_min_id.min(id);
                group.page_max_id = group.page_max_id.max(id);
                if group.sample_accounts.len() < SAMPLE_ACCOUNTS_MAX
                    && !group
                        .sample_accounts
                        .iter()
                        .any(|account| account.account.id == found.account.account.id)
                {
                    group.sample_accounts.push(found.account.clone());
                }
            }
            None if full => break,
            None => groups.push(NotificationGroup {
                key,
                kind: found.notification.kind,
                count: 1,
                most_recent: id,
                page_min_id: id,
                page_max_id: id,
                sample_accounts: vec![found.account.clone()],
                latest: found,
            }),
        }
    }
    groups
}

/// A page of grouped notifications (`GET /api/v2/notifications`).
pub fn grouped(
    app: &App,
    viewer: AccountId,
    filter: &NotificationFilter,
    grouped_kinds: &[NotificationKind],
    page: Page,
) -> Result<Vec<NotificationGroup>, AppError> {
    let scan = Page {
        limit: GROUPED_SCAN_MAX,
        ..page
    };
    let views = list(app, viewer, filter, scan)?;
    Ok(group(views, grouped_kinds, page.limit))
}

/// The notifications of one group (within the recent scan window), newest first.
fn of_group(app: &App, viewer: AccountId, key: &str) -> Result<Vec<NotificationView>, AppError> {
    let all = NotificationKind::ALL;
    if let Some(id) = key.strip_prefix("ungrouped-") {
        let id: NotificationId = id.parse().map_err(|_| AppError::NotFound)?;
        return Ok(vec![get(app, viewer, id)?]);
    }
    let views = list(
        app,
        viewer,
        &NotificationFilter::default(),
        Page::newest(SCAN_NOTIFICATIONS_MAX),
    )?;
    let found: Vec<NotificationView> = views
        .into_iter()
        .filter(|found| group_key(&found.notification, &all) == key)
        .collect();
    if found.is_empty() {
        return Err(AppError::NotFound);
    }
    Ok(found)
}

/// One group by its key (`GET /api/v2/notifications/:group_key`).
pub fn get_group(app: &App, viewer: AccountId, key: &str) -> Result<NotificationGroup, AppError> {
    let views = of_group(app, viewer, key)?;
    let mut groups = group(views, &NotificationKind::ALL, 1);
    groups.pop().ok_or(AppError::NotFound)
}

/// The accounts of one group, newest first.
pub fn group_accounts(
    app: &App,
    viewer: AccountId,
    key: &str,
) -> Result<Vec<AccountView>, AppError> {
    let mut accounts: Vec<AccountView> = Vec::new();
    for found in of_group(app, viewer, key)? {
        if !accounts
            .iter()
            .any(|account| account.account.id == found.account.account.id)
        {
            accounts.push(found.account);
        }
    }
    Ok(accounts)
}

/// Dismisses every notification of a group.
pub fn dismiss_group(app: &App, viewer: AccountId, key: &str) -> Result<(), AppError> {
    let ids: Vec<NotificationId> = of_group(app, viewer, key)?
        .into_iter()
        .map(|found| found.notification.id)
        .collect();
    app.write(|tx| {
        for id in ids {
            notifications::dismiss(tx, viewer, id)?;
        }
        Ok(())
    })
}
