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
