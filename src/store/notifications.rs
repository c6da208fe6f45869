//! Notifications per recipient, newest first.

use redb::{ReadableTable, TableDefinition, WriteTransaction};

use super::{Page, Reader, StoreError, page_pairs, records, schema};
use crate::model::{
    AccountId, Notification, NotificationId, NotificationPolicy, NotificationRequest,
};

pub fn put_notification(
    tx: &WriteTransaction,
    notification: &Notification,
) -> Result<(), StoreError> {
    put_in(tx, schema::NOTIFICATIONS, notification)
}
pub fn get_notification(
    reader: &impl Reader,
    recipient: AccountId,
    id: NotificationId,
    bytes_max: usize,
) -> Result<Option<Notification>, StoreError> {
    get_in(reader, schema::NOTIFICATIONS, recipient, id, bytes_max)
}
/// A page of notifications that `keep` accepts, scanning at most `scan_max` of them.
pub fn page<T, E: From<StoreError>>(
    reader: &impl Reader,
    recipient: AccountId,
    page: Page,
    scan_max: usize,
    bytes_max: usize,
    keep: impl FnMut(Notification) -> Result<Option<T>, E>,
) -> Result<Vec<T>, E> {
    page_in(
        reader,
        schema::NOTIFICATIONS,
        recipient,
        page,
        scan_max,
        bytes_max,
        keep,
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

pub fn get_policy(
    reader: &impl Reader,
    account: AccountId,
    bytes_max: usize,
) -> Result<NotificationPolicy, StoreError> {
    let table = reader.table(schema::NOTIFICATION_POLICIES)?;
    match table.get(account.0)? {
        Some(bytes) => records::decode(bytes.value(), bytes_max),
        None => Ok(NotificationPolicy::default()),
    }
}

pub fn put_policy(
    tx: &WriteTransaction,
    account: AccountId,
    policy: &NotificationPolicy,
) -> Result<(), StoreError> {
    let bytes = records::encode(policy)?;
    tx.open_table(schema::NOTIFICATION_POLICIES)?
        .insert(account.0, bytes.as_slice())?;
    Ok(())
}

/// Whether `sender`'s notifications skip `recipient`'s policy (an accepted request).
pub fn is_permitted(
    reader: &impl Reader,
    recipient: AccountId,
    sender: AccountId,
) -> Result<bool, StoreError> {
    let table = reader.table(schema::NOTIFICATION_PERMISSIONS)?;
    Ok(table.get((recipient.0, sender.0))?.is_some())
}

pub fn permit(
    tx: &WriteTransaction,
    recipient: AccountId,
    sender: AccountId,
) -> Result<(), StoreError> {
    tx.open_table(schema::NOTIFICATION_PERMISSIONS)?
        .insert((recipient.0, sender.0), ())?;
    Ok(())
}

pub fn put_filtered(tx: &WriteTransaction, notification: &Notification) -> Result<(), StoreError> {
    put_in(tx, schema::FILTERED_NOTIFICATIONS, notification)
}
pub fn get_filtered(
    reader: &impl Reader,
    recipient: AccountId,
    id: NotificationId,
    bytes_max: usize,
) -> Result<Option<Notification>, StoreError> {
    get_in(
        reader,
        schema::FILTERED_NOTIFICATIONS,
        recipient,
        id,
        bytes_max,
    )
}
/// As `page`, over the filtered notifications.
pub fn page_filtered<T, E: From<StoreError>>(
    reader: &impl Reader,
    recipient: AccountId,
    page: Page,
    scan_max: usize,
    bytes_max: usize,
    keep: impl FnMut(Notification) -> Result<Option<T>, E>,
) -> Result<Vec<T>, E> {
    page_in(
        reader,
        schema::FILTERED_NOTIFICATIONS,
        recipient,
        page,
        scan_max,
        bytes_max,
        keep,
    )
}
pub fn remove_filtered(
    tx: &WriteTransaction,
    recipient: AccountId,
    id: NotificationId,
    bytes_max: usize,
) -> Result<Option<Notification>, StoreError> {
    let removed = tx
        .open_table(schema::FILTERED_NOTIFICATIONS)?
        .remove((recipient.0, id.0))?
        .map(|bytes| bytes.value().to_vec());
    match removed {
        Some(bytes) => records::decode(&bytes, bytes_max).map(Some),
        None => Ok(None),
    }
}

/// Removes the filtered notifications of `recipient` from `sender`, looking at at most
/// `scan_max` of them, and returns them oldest first.
pub fn take_filtered_from(
    tx: &WriteTransaction,
    recipient: AccountId,
    sender: AccountId,
    scan_max: usize,
    bytes_max: usize,
) -> Result<Vec<Notification>, StoreError> {
    let mut found = Vec::new();
    {
        let table = tx.open_table(schema::FILTERED_NOTIFICATIONS)?;
        for entry in table
            .range((recipient.0, 0)..=(recipient.0, u64::MAX))?
            .take(scan_max)
        {
            let (_, bytes) = entry?;
            let notification: Notification = records::decode(bytes.value(), bytes_max)?;
            if notification.from_account_id == sender {
                found.push(notification);
            }
        }
    }
    let mut table = tx.open_table(schema::FILTERED_NOTIFICATIONS)?;
    for notification in &found {
        table.remove((recipient.0, notification.id.0))?;
    }
    Ok(found)
}

pub fn request_of_sender(
    reader: &impl Reader,
    recipient: AccountId,
    sender: AccountId,
    bytes_max: usize,
) -> Result<Option<NotificationRequest>, StoreError> {
    let senders = reader.table(schema::NOTIFICATION_REQUEST_SENDERS)?;
    let Some(id) = senders.get((recipient.0, sender.0))?.map(|id| id.value()) else {
        return Ok(None);
    };
    get_request(reader, recipient, id, bytes_max)
}

pub fn get_request(
    reader: &impl Reader,
    recipient: AccountId,
    id: u64,
    bytes_max: usize,
) -> Result<Option<NotificationRequest>, StoreError> {
    let table = reader.table(schema::NOTIFICATION_REQUESTS)?;
    let Some(bytes) = table.get((recipient.0, id))? else {
        return Ok(None);
    };
    records::decode(bytes.value(), bytes_max).map(Some)
}

pub fn put_request(tx: &WriteTransaction, request: &NotificationRequest) -> Result<(), StoreError> {
    let bytes = records::encode(request)?;
    tx.open_table(schema::NOTIFICATION_REQUESTS)?
        .insert((request.recipient.0, request.id), bytes.as_slice())?;
    tx.open_table(schema::NOTIFICATION_REQUEST_SENDERS)?
        .insert((request.recipient.0, request.from_account.0), request.id)?;
    Ok(())
}

pub fn remove_request(
    tx: &WriteTransaction,
    request: &NotificationRequest,
) -> Result<(), StoreError> {
    tx.open_table(schema::NOTIFICATION_REQUESTS)?
        .remove((request.recipient.0, request.id))?;
    tx.open_table(schema::NOTIFICATION_REQUEST_SENDERS)?
        .remove((request.recipient.0, request.from_account.0))?;
    Ok(())
}

/// A page of `recipient`'s requests, newest first.
pub fn page_requests<T, E: From<StoreError>>(
    reader: &impl Reader,
    recipient: AccountId,
    page: Page,
    scan_max: usize,
    bytes_max: usize,
    mut keep: impl FnMut(NotificationRequest) -> Result<Option<T>, E>,
) -> Result<Vec<T>, E> {
    page_pairs(
        reader,
        schema::NOTIFICATION_REQUESTS,
        recipient.0,
        page,
        scan_max,
        |_, bytes| keep(records::decode(bytes, bytes_max)?),
    )
}

/// `recipient`'s requests (at most `max`) and the notifications they hold.
pub fn request_totals(
    reader: &impl Reader,
    recipient: AccountId,
    max: usize,
    bytes_max: usize,
) -> Result<(usize, u64), StoreError> {
    let table = reader.table(schema::NOTIFICATION_REQUESTS)?;
    let mut requests = 0;
    let mut notifications = 0u64;
    for entry in table
        .range((recipient.0, 0)..=(recipient.0, u64::MAX))?
        .take(max)
    {
        let (_, bytes) = entry?;
        let request: NotificationRequest = records::decode(bytes.value(), bytes_max)?;
        requests += 1;
        notifications += u64::from(request.notifications_count);
    }
    Ok((requests, notifications))
}

/// The notifications of the list and the filtered ones share a key and a record; these serve
/// both tables.
type ByRecipient = TableDefinition<'static, (u64, u64), &'static [u8]>;

fn put_in(
    tx: &WriteTransaction,
    table: ByRecipient,
    notification: &Notification,
) -> Result<(), StoreError> {
    let bytes = records::encode(notification)?;
    tx.open_table(table)?.insert(
        (notification.recipient_id.0, notification.id.0),
        bytes.as_slice(),
    )?;
    Ok(())
}

fn get_in(
    reader: &impl Reader,
    table: ByRecipient,
    recipient: AccountId,
    id: NotificationId,
    bytes_max: usize,
) -> Result<Option<Notification>, StoreError> {
    let table = reader.table(table)?;
    let Some(bytes) = table.get((recipient.0, id.0))? else {
        return Ok(None);
    };
    records::decode(bytes.value(), bytes_max).map(Some)
}

fn page_in<T, E: From<StoreError>>(
    reader: &impl Reader,
    table: ByRecipient,
    recipient: AccountId,
    page: Page,
    scan_max: usize,
    bytes_max: usize,
    mut keep: impl FnMut(Notification) -> Result<Option<T>, E>,
) -> Result<Vec<T>, E> {
    page_pairs(reader, table, recipient.0, page, scan_max, |_, bytes| {
        keep(records::decode(bytes, bytes_max)?)
    })
}
