//! Web Push subscriptions and the durable queue of pushes.
//!
//! Architecture Invariant: `PUSH_SUBSCRIPTIONS` and `ACCOUNT_PUSH_SUBSCRIPTIONS` change
//! together; so do `PUSH_DELIVERIES` and `PUSH_DUE`.

use redb::{ReadableTable, WriteTransaction};

use super::{Reader, StoreError, get_record, put_record, records, schema};
use crate::model::{AccountId, PushDelivery, PushSubscription};

pub fn get_subscription(
    reader: &impl Reader,
    token_hash: &[u8],
    bytes_max: usize,
) -> Result<Option<PushSubscription>, StoreError> {
    match reader.table(schema::PUSH_SUBSCRIPTIONS)?.get(token_hash)? {
        Some(bytes) => Ok(Some(records::decode(bytes.value(), bytes_max)?)),
        None => Ok(None),
    }
}

pub fn put_subscription(
    tx: &WriteTransaction,
    subscription: &PushSubscription,
) -> Result<(), StoreError> {
    let bytes = records::encode(subscription)?;
    tx.open_table(schema::PUSH_SUBSCRIPTIONS)?
        .insert(subscription.token_hash.as_slice(), bytes.as_slice())?;
    tx.open_table(schema::ACCOUNT_PUSH_SUBSCRIPTIONS)?.insert(
        (subscription.account.0, subscription.token_hash.as_slice()),
        (),
    )?;
    Ok(())
}

pub fn delete_subscription(
    tx: &WriteTransaction,
    subscription: &PushSubscription,
) -> Result<(), StoreError> {
    tx.open_table(schema::PUSH_SUBSCRIPTIONS)?
        .remove(subscription.token_hash.as_slice())?;
    tx.open_table(schema::ACCOUNT_PUSH_SUBSCRIPTIONS)?
        .remove((subscription.account.0, subscription.token_hash.as_slice()))?;
    Ok(())
}

/// Token hashes of an account's subscriptions, up to `max`.
pub fn subscriptions_of(
    reader: &impl Reader,
    account: AccountId,
    max: usize,
) -> Result<Vec<Vec<u8>>, StoreError> {
    let table = reader.table(schema::ACCOUNT_PUSH_SUBSCRIPTIONS)?;
    let mut out = Vec::new();
    let low: &[u8] = &[];
    for entry in table
        .range((account.0, low)..(account.0.saturating_add(1), low))?
        .take(max)
    {
        out.push(entry?.0.value().1.to_vec());
    }
    Ok(out)
}

pub fn get_delivery(
    reader: &impl Reader,
    id: u64,
    bytes_max: usize,
) -> Result<Option<PushDelivery>, StoreError> {
    get_record(reader, schema::PUSH_DELIVERIES, id, bytes_max)
}

/// Queues (or requeues at a new time) a push.
pub fn put_delivery(
    tx: &WriteTransaction,
    delivery: &PushDelivery,
    previous_due_ms: Option<u64>,
) -> Result<(), StoreError> {
    put_record(tx, schema::PUSH_DELIVERIES, delivery.id, delivery)?;
    let mut due = tx.open_table(schema::PUSH_DUE)?;
    if let Some(previous) = previous_due_ms {
        due.remove((previous, delivery.id))?;
    }
    due.insert((delivery.due_ms, delivery.id), ())?;
    Ok(())
}

pub fn delete_delivery(tx: &WriteTransaction, delivery: &PushDelivery) -> Result<(), StoreError> {
    tx.open_table(schema::PUSH_DELIVERIES)?
        .remove(delivery.id)?;
    tx.open_table(schema::PUSH_DUE)?
        .remove((delivery.due_ms, delivery.id))?;
    Ok(())
}

/// Ids of pushes due at `now_ms`, earliest first, up to `max`.
pub fn due(reader: &impl Reader, now_ms: u64, max: usize) -> Result<Vec<u64>, StoreError> {
    let table = reader.table(schema::PUSH_DUE)?;
    let mut out = Vec::new();
    for entry in table.range((0, 0)..=(now_ms, u64::MAX))?.take(max) {
        out.push(entry?.0.value().1);
    }
    Ok(out)
}

/// Pushes waiting, for the queue's cap.
pub fn queued(reader: &impl Reader) -> Result<u64, StoreError> {
    use redb::ReadableTableMetadata;
    Ok(reader.table(schema::PUSH_DELIVERIES)?.len()?)
}
