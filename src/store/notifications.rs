//! Notifications per recipient, newest first.

use redb::{ReadableTable, WriteTransaction};

use super::{Page, Reader, StoreError, page_pairs, records, schema};
use crate::model::{AccountId, Notification, NotificationId};

pub fn put_notification(
    tx: &WriteTransaction,
    notification: &Notification,
) -> Result<(), StoreError> {
    let bytes = records::encode(notification)?;
    tx.open_table(schema::NOTIFICATIONS)?.insert(
        (notification.recipient_id.0, notification.id.0),
        bytes.as_slice(),
    )?;
    Ok(())
}

pub fn get_notification(
    reader: &impl Reader,
    recipient: AccountId,
    id: NotificationId,
    bytes_max: usize,
) -> Result<Option<Notification>, StoreError> {
    let table = reader.table(schema::NOTIFICATIONS)?;
    let Some(bytes) = table.get((recipient.0, id.0))? else {
        return Ok(None);
    };
    records::decode(bytes.value(), bytes_max).map(Some)
}

/// A page of notifications that `keep` accepts, scanning at most `scan_max` of them.
pub fn page<T, E: From<StoreError>>(
    reader: &impl Reader,
    recipient: AccountId,
    page: Page,
    scan_max: usize,
    bytes_max: usize,
    mut keep: impl FnMut(Notification) -> Result<Option<T>, E>,
) -> Result<Vec<T>, E> {
    page_pairs(
        reader,
        schema::NOTIFICATIONS,
        recipient.0,
        page,
        scan_max,
        |_, bytes| keep(records::decode(bytes, bytes_max)?),
    )
}

pub fn dismiss(
    tx: &WriteTransaction,
    recipient: AccountId,
    id: NotificationId,
) -> Result<bool, StoreError> {
    Ok(tx
        .open_table(schema::NOTIFICATIONS)?
        .remove((recipient.0, id.0))?
        .is_some())
}

/// Removes every notification of `recipient`.
pub fn clear(tx: &WriteTransaction, recipient: AccountId) -> Result<(), StoreError> {
    let mut table = tx.open_table(schema::NOTIFICATIONS)?;
    table.retain_in((recipient.0, 0)..=(recipient.0, u64::MAX), |_, _| false)?;
    Ok(())
}
