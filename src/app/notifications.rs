//! The viewer's notifications, the notification policy and notification requests.
//!
//! A notification that the recipient's policy filters is kept in `FILTERED_NOTIFICATIONS`
//! under a request per sender, so the notification list, `unread_count`, grouped
//! notifications, streams and Web Push never see it; accepting the request moves its
//! notifications into the list and lets the sender's later ones through; dismissing deletes
//! them. A dropped notification is never stored.

use redb::WriteTransaction;

use crate::model::{
    AccountId, Notification, NotificationId, NotificationKind, NotificationPolicy,
    NotificationRequest, PolicyAction, Visibility,
};
use crate::store::{Edge, Page, Reader, accounts, notifications};
use crate::util::time::now_ms;

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
    /// Also the notifications the policy filtered (Mastodon's `include_filtered`; implied by
    /// `from_account`, as Mastodon does, so an app can show a request's notifications).
    pub include_filtered: bool,
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
        let mut keep = |notification: Notification| -> Result<Option<NotificationView>, AppError> {
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
                    match super::filters::apply(app, tx, Some(viewer), context, vec![status])?.pop()
                    {
                        Some(status) => found.status = Some(status),
                        None => return Ok(None),
                    }
                }
            }
            Ok(Some(found))
        };
        let mut found = notifications::page(
            tx,
            viewer,
            page,
            SCAN_NOTIFICATIONS_MAX,
            app.bytes_max(),
            &mut keep,
        )?;
        if filter.include_filtered || filter.from_account.is_some() {
            let filtered = notifications::page_filtered(
                tx,
                viewer,
                page,
                SCAN_NOTIFICATIONS_MAX,
                app.bytes_max(),
                &mut keep,
            )?;
            found = merge_pages(found, filtered, page);
        }
        Ok(found)
    })
}

/// Two pages of the same bounds, newest first, as one: the newest `limit` for a page that
/// goes back in time, the oldest `limit` for one that goes forward (`min_id`).
fn merge_pages(
    mut first: Vec<NotificationView>,
    second: Vec<NotificationView>,
    page: Page,
) -> Vec<NotificationView> {
    first.extend(second);
    first.sort_by_key(|found| std::cmp::Reverse(found.notification.id));
    if page.ascending() {
        let extra = first.len().saturating_sub(page.limit);
        first.drain(..extra);
    } else {
        first.truncate(page.limit);
    }
    first
}

pub fn get(app: &App, viewer: AccountId, id: NotificationId) -> Result<NotificationView, AppError> {
    app.store.read(|tx| {
        let notification = match notifications::get_notification(tx, viewer, id, app.bytes_max())? {
            Some(notification) => notification,
            None => notifications::get_filtered(tx, viewer, id, app.bytes_max())?
                .ok_or(AppError::NotFound)?,
        };
        view(app, tx, notification)?.ok_or(AppError::NotFound)
    })
}

pub fn dismiss(app: &App, viewer: AccountId, id: NotificationId) -> Result<(), AppError> {
    app.write(|tx| {
        if notifications::dismiss(tx, viewer, id)? {
            return Ok(());
        }
        let Some(found) = notifications::remove_filtered(tx, viewer, id, app.bytes_max())? else {
            return Err(AppError::NotFound);
        };
        // The request shrinks with it, and goes when it holds nothing.
        if let Some(mut request) =
            notifications::request_of_sender(tx, viewer, found.from_account_id, app.bytes_max())?
        {
            request.notifications_count = request.notifications_count.saturating_sub(1);
            if request.notifications_count == 0 {
                notifications::remove_request(tx, &request)?;
            } else {
                notifications::put_request(tx, &request)?;
            }
        }
        Ok(())
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

/// Account age below which `for_new_accounts` applies (Mastodon: 30 days).
const NEW_ACCOUNT_AGE_MS: u64 = 30 * 86_400_000;
/// Filtered notifications kept per request; a sender's further ones are dropped (Mastodon
/// keeps them all; this bounds what an unwanted sender can store).
pub const FILTERED_PER_REQUEST_MAX: u32 = 40;
/// Requests kept per recipient; notifications from further new senders are dropped.
pub const REQUESTS_MAX: usize = 500;
/// Filtered notifications looked at when a request is accepted or dismissed: every one the
/// two caps above allow.
const FILTERED_SCAN_MAX: usize = REQUESTS_MAX * FILTERED_PER_REQUEST_MAX as usize;

/// What `notification`'s recipient's policy does with it: the most severe action of the
/// conditions its sender meets (Mastodon 4.3's `NotifyService` conditions), or `Accept` for a
/// sender whose request was accepted.
pub(crate) fn policy_action(
    app: &App,
    reader: &impl Reader,
    notification: &Notification,
) -> Result<PolicyAction, AppError> {
    let recipient = notification.recipient_id;
    let from = notification.from_account_id;
    if notifications::is_permitted(reader, recipient, from)? {
        return Ok(PolicyAction::Accept);
    }
    let policy = notifications::get_policy(reader, recipient, app.bytes_max())?;
    let following = Edge::FOLLOW.contains(reader, recipient.0, from.0)?;
    let mut action = PolicyAction::Accept;
    if !following {
        action = action.max(policy.for_not_following);
    }
    if !Edge::FOLLOW.contains(reader, from.0, recipient.0)? {
        action = action.max(policy.for_not_followers);
    }
    if let Some(account) = accounts::get_account(reader, from, app.bytes_max())? {
        if now_ms().saturating_sub(account.created_ms) < NEW_ACCOUNT_AGE_MS {
            action = action.max(policy.for_new_accounts);
        }
    }
    if !following && notification.kind == NotificationKind::Mention {
        if let Some(id) = notification.status_id {
            if let Some(status) = crate::store::statuses::get_status(reader, id, app.bytes_max())? {
                // A private mention that answers the recipient is solicited.
                let unsolicited = status.visibility == Visibility::Direct
                    && status.in_reply_to_account_id != Some(recipient);
                if unsolicited {
                    action = action.max(policy.for_private_mentions);
                }
            }
        }
    }
    if !following && super::domains::is_silenced(app, reader, from)? {
        action = action.max(policy.for_limited_accounts);
    }
    Ok(action)
}

/// Keeps a filtered notification under its sender's request (created on the first one).
pub(crate) fn file_filtered(
    app: &App,
    tx: &WriteTransaction,
    notification: &Notification,
) -> Result<(), AppError> {
    let recipient = notification.recipient_id;
    let sender = notification.from_account_id;
    let now = now_ms();
    let mut request =
        match notifications::request_of_sender(tx, recipient, sender, app.bytes_max())? {
            Some(request) => request,
            None => {
                let (requests, _) =
                    notifications::request_totals(tx, recipient, REQUESTS_MAX, app.bytes_max())?;
                if requests >= REQUESTS_MAX {
                    return Ok(());
                }
                NotificationRequest {
                    id: app.next_id(),
                    recipient,
                    from_account: sender,
                    created_ms: now,
                    updated_ms: now,
                    notifications_count: 0,
                    last_status: None,
                }
            }
        };
    if request.notifications_count >= FILTERED_PER_REQUEST_MAX {
        return Ok(());
    }
    request.notifications_count += 1;
    request.updated_ms = now;
    if notification.status_id.is_some() {
        request.last_status = notification.status_id;
    }
    notifications::put_filtered(tx, notification)?;
    notifications::put_request(tx, &request)?;
    Ok(())
}

/// The policy with its summary (pending requests and the notifications they hold).
#[derive(Clone, Debug)]
pub struct PolicyView {
    pub policy: NotificationPolicy,
    pub pending_requests: usize,
    pub pending_notifications: u64,
}

fn policy_view(app: &App, reader: &impl Reader, viewer: AccountId) -> Result<PolicyView, AppError> {
    let policy = notifications::get_policy(reader, viewer, app.bytes_max())?;
    let (pending_requests, pending_notifications) =
        notifications::request_totals(reader, viewer, REQUESTS_MAX, app.bytes_max())?;
    Ok(PolicyView {
        policy,
        pending_requests,
        pending_notifications,
    })
}

pub fn policy(app: &App, viewer: AccountId) -> Result<PolicyView, AppError> {
    app.store.read(|tx| policy_view(app, tx, viewer))
}

/// Changes to a policy: `None` keeps the current value.
#[derive(Clone, Copy, Debug, Default)]
pub struct PolicyChanges {
    pub for_not_following: Option<PolicyAction>,
    pub for_not_followers: Option<PolicyAction>,
    pub for_new_accounts: Option<PolicyAction>,
    pub for_private_mentions: Option<PolicyAction>,
    pub for_limited_accounts: Option<PolicyAction>,
}

pub fn update_policy(
    app: &App,
    viewer: AccountId,
    changes: PolicyChanges,
) -> Result<PolicyView, AppError> {
    app.write(|tx| {
        let mut policy = notifications::get_policy(tx, viewer, app.bytes_max())?;
        let fields = [
            (&mut policy.for_not_following, changes.for_not_following),
            (&mut policy.for_not_followers, changes.for_not_followers),
            (&mut policy.for_new_accounts, changes.for_new_accounts),
            (
                &mut policy.for_private_mentions,
                changes.for_private_mentions,
            ),
            (
                &mut policy.for_limited_accounts,
                changes.for_limited_accounts,
            ),
        ];
        for (field, change) in fields {
            if let Some(action) = change {
                *field = action;
            }
        }
        notifications::put_policy(tx, viewer, &policy)?;
        policy_view(app, tx, viewer)
    })
}

/// A notification request for its recipient.
#[derive(Clone, Debug)]
pub struct RequestView {
    pub request: NotificationRequest,
    pub account: AccountView,
    pub last_status: Option<StatusView>,
}

fn request_view(
    app: &App,
    reader: &impl Reader,
    request: NotificationRequest,
) -> Result<Option<RequestView>, AppError> {
    let account = match views::load_account_view(app, reader, request.from_account) {
        Ok(account) => account,
        Err(AppError::NotFound) => return Ok(None),
        Err(error) => return Err(error),
    };
    let viewer = Some(request.recipient);
    let last_status = match request.last_status {
        Some(id) => match views::visible_status(app, reader, viewer, id) {
            Ok(status) => Some(views::status_view(app, reader, viewer, status)?),
            Err(AppError::NotFound) => None,
            Err(error) => return Err(error),
        },
        None => None,
    };
    Ok(Some(RequestView {
        request,
        account,
        last_status,
    }))
}

pub fn requests(app: &App, viewer: AccountId, page: Page) -> Result<Vec<RequestView>, AppError> {
    app.store.read(|tx| {
        notifications::page_requests(tx, viewer, page, REQUESTS_MAX, app.bytes_max(), |request| {
            request_view(app, tx, request)
        })
    })
}

pub fn request(app: &App, viewer: AccountId, id: u64) -> Result<RequestView, AppError> {
    app.store.read(|tx| {
        let request = notifications::get_request(tx, viewer, id, app.bytes_max())?
            .ok_or(AppError::NotFound)?;
        request_view(app, tx, request)?.ok_or(AppError::NotFound)
    })
}

/// Accepts requests: their notifications join the list (under their own ids, so in their
/// place in time) and their senders' later notifications skip the policy. With `strict`, an
/// unknown id is an error (the single-request endpoint); otherwise it is skipped (bulk).
pub fn accept_requests(
    app: &App,
    viewer: AccountId,
    ids: &[u64],
    strict: bool,
) -> Result<(), AppError> {
    app.write(|tx| {
        for &id in ids {
            let Some(request) = notifications::get_request(tx, viewer, id, app.bytes_max())? else {
                if strict {
                    return Err(AppError::NotFound);
                }
                continue;
            };
            let moved = notifications::take_filtered_from(
                tx,
                viewer,
                request.from_account,
                FILTERED_SCAN_MAX,
                app.bytes_max(),
            )?;
            for notification in &moved {
                notifications::put_notification(tx, notification)?;
            }
            notifications::permit(tx, viewer, request.from_account)?;
            notifications::remove_request(tx, &request)?;
        }
        Ok(())
    })
}

/// Dismisses requests with their notifications; the sender's next filtered notification
/// opens a new request (Mastodon 4.3).
pub fn dismiss_requests(
    app: &App,
    viewer: AccountId,
    ids: &[u64],
    strict: bool,
) -> Result<(), AppError> {
    app.write(|tx| {
        for &id in ids {
            let Some(request) = notifications::get_request(tx, viewer, id, app.bytes_max())? else {
                if strict {
                    return Err(AppError::NotFound);
                }
                continue;
            };
            notifications::take_filtered_from(
                tx,
                viewer,
                request.from_account,
                FILTERED_SCAN_MAX,
                app.bytes_max(),
            )?;
            notifications::remove_request(tx, &request)?;
        }
        Ok(())
    })
}
