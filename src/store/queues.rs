//! Durable queues: outbox intents, deliveries (by due time), inbound activities, the
//! activity ids already seen, and the health of peer hosts.
//!
//! Architecture Invariant: an item leaves a queue in the same transaction that writes what
//! it became (the deliveries of an intent, the state an activity changed), so a crash
//! repeats work at worst and never loses it.

use redb::{ReadableTable, WriteTransaction};

use super::{Reader, StoreError, records, schema};
use crate::model::{Delivery, InboundActivity, OutboxIntent};

pub fn push_intent(
    tx: &WriteTransaction,
    id: u64,
    intent: &OutboxIntent,
) -> Result<(), StoreError> {
    let bytes = records::encode(intent)?;
    tx.open_table(schema::OUTBOX_INTENTS)?
        .insert(id, bytes.as_slice())?;
    Ok(())
}

/// The oldest `limit` intents.
pub fn peek_intents(
    reader: &impl Reader,
    limit: usize,
    bytes_max: usize,
) -> Result<Vec<(u64, OutboxIntent)>, StoreError> {
    let table = reader.table(schema::OUTBOX_INTENTS)?;
    let mut out = Vec::new();
    for entry in table.iter()?.take(limit) {
        let (id, bytes) = entry?;
        out.push((id.value(), records::decode(bytes.value(), bytes_max)?));
    }
    Ok(out)
}

pub fn remove_intent(tx: &WriteTransaction, id: u64) -> Result<(), StoreError> {
    tx.open_table(schema::OUTBOX_INTENTS)?.remove(id)?;
    Ok(())
}

pub fn put_delivery(
    tx: &WriteTransaction,
    id: u64,
    delivery: &Delivery,
    due_ms: u64,
) -> Result<(), StoreError> {
    let bytes = records::encode(delivery)?;
    tx.open_table(schema::DELIVERIES)?
        .insert(id, bytes.as_slice())?;
    tx.open_table(schema::DELIVERIES_DUE)?
        .insert((due_ms, id), ())?;
    Ok(())
}

/// Deliveries due at `now_ms`, oldest due first, up to `limit`: (due ms, id, delivery).
pub fn due_deliveries(
    reader: &impl Reader,
    now_ms: u64,
    limit: usize,
    bytes_max: usize,
) -> Result<Vec<(u64, u64, Delivery)>, StoreError> {
    let due = reader.table(schema::DELIVERIES_DUE)?;
    let deliveries = reader.table(schema::DELIVERIES)?;
    let mut out = Vec::new();
    for entry in due.range((0, 0)..=(now_ms, u64::MAX))?.take(limit) {
        let (due_ms, id) = entry?.0.value();
        if let Some(bytes) = deliveries.get(id)? {
            out.push((due_ms, id, records::decode(bytes.value(), bytes_max)?));
        }
    }
    Ok(out)
}

/// When the next delivery is due, if any.
pub fn next_due_ms(reader: &impl Reader) -> Result<Option<u64>, StoreError> {
    Ok(reader
        .table(schema::DELIVERIES_DUE)?
        .first()?
        .map(|(key, _)| key.value().0))
}

/// Removes a delivery (sent, or given up) that was due at `due_ms`.
pub fn remove_delivery(tx: &WriteTransaction, id: u64, due_ms: u64) -> Result<(), StoreError> {
    tx.open_table(schema::DELIVERIES)?.remove(id)?;
    tx.open_table(schema::DELIVERIES_DUE)?
        .remove((due_ms, id))?;
    Ok(())
}

/// Moves a delivery to a new due time with its attempt count updated.
pub fn reschedule_delivery(
    tx: &WriteTransaction,
    id: u64,
    old_due_ms: u64,
    delivery: &Delivery,
    due_ms: u64,
) -> Result<(), StoreError> {
    tx.open_table(schema::DELIVERIES_DUE)?
        .remove((old_due_ms, id))?;
    put_delivery(tx, id, delivery, due_ms)
}

pub fn count_deliveries(reader: &impl Reader) -> Result<u64, StoreError> {
    use redb::ReadableTableMetadata;
    Ok(reader.table(schema::DELIVERIES)?.len()?)
}

pub fn push_inbound(
    tx: &WriteTransaction,
    id: u64,
    activity: &InboundActivity,
) -> Result<(), StoreError> {
    let row = encode_inbound(activity)?;
    push_inbound_rows(tx, [(id, row.as_slice())])
}

/// An inbound activity as its queue row (`push_inbound_rows`): the inbox encodes it before
/// it reaches the single writer, so the writer's transaction does not compress bodies.
pub fn encode_inbound(activity: &InboundActivity) -> Result<Vec<u8>, StoreError> {
    records::encode(activity)
}

/// Queues rows of `encode_inbound` under their ids, with one open of the table.
pub fn push_inbound_rows<'a>(
    tx: &WriteTransaction,
    rows: impl IntoIterator<Item = (u64, &'a [u8])>,
) -> Result<(), StoreError> {
    let mut table = tx.open_table(schema::INBOUND)?;
    for (id, row) in rows {
        table.insert(id, row)?;
    }
    Ok(())
}

pub fn peek_inbound(
    reader: &impl Reader,
    limit: usize,
    bytes_max: usize,
) -> Result<Vec<(u64, InboundActivity)>, StoreError> {
    let table = reader.table(schema::INBOUND)?;
    let mut out = Vec::new();
    for entry in table.iter()?.take(limit) {
        let (id, bytes) = entry?;
        out.push((id.value(), records::decode(bytes.value(), bytes_max)?));
    }
    Ok(out)
}

/// The oldest queued activities (after the id `after`, if given), up to `limit` of them and,
/// past the first, up to `body_bytes_max` bytes of bodies in all.
pub fn peek_inbound_bytes(
    reader: &impl Reader,
    after: Option<u64>,
    limit: usize,
    body_bytes_max: usize,
    bytes_max: usize,
) -> Result<Vec<(u64, InboundActivity)>, StoreError> {
    use std::ops::Bound;
    let table = reader.table(schema::INBOUND)?;
    let mut out: Vec<(u64, InboundActivity)> = Vec::new();
    let mut bytes = 0usize;
    let start = after.map_or(Bound::Unbounded, Bound::Excluded);
    for entry in table.range::<u64>((start, Bound::Unbounded))?.take(limit) {
        let (id, value) = entry?;
        let activity: InboundActivity = records::decode(value.value(), bytes_max)?;
        bytes = bytes.saturating_add(activity.body.len());
        if !out.is_empty() && bytes > body_bytes_max {
            break;
        }
        out.push((id.value(), activity));
    }
    Ok(out)
}

pub fn remove_inbound(tx: &WriteTransaction, id: u64) -> Result<(), StoreError> {
    remove_inbound_all(tx, [id])
}

/// Removes queued activities, with one open of the table.
pub fn remove_inbound_all(
    tx: &WriteTransaction,
    ids: impl IntoIterator<Item = u64>,
) -> Result<(), StoreError> {
    let mut table = tx.open_table(schema::INBOUND)?;
    for id in ids {
        table.remove(id)?;
    }
    Ok(())
}

pub fn count_inbound(reader: &impl Reader) -> Result<u64, StoreError> {
    use redb::ReadableTableMetadata;
    Ok(reader.table(schema::INBOUND)?.len()?)
}

/// Records an activity id as seen; false if it was seen before. Kept as the 8-byte hash of
/// the id (`SEEN_HASHES`, 16 bytes an entry instead of ~100): a collision drops one activity
/// in about 2^64 / (ids in the window). Ids seen before schema 2 are still found in
/// `SEEN_ACTIVITIES` until they expire.
pub fn mark_seen(
    tx: &WriteTransaction,
    activity_id: &str,
    now_ms: u64,
) -> Result<bool, StoreError> {
    let hash = super::statuses::uri_hash(activity_id);
    let mut table = tx.open_table(schema::SEEN_HASHES)?;
    if table.get(hash)?.is_some()
        || tx
            .open_table(schema::SEEN_ACTIVITIES)?
            .get(activity_id)?
            .is_some()
    {
        return Ok(false);
    }
    table.insert(hash, now_ms)?;
    Ok(true)
}

/// Whether an activity id was seen (`mark_seen`), without recording it: the inbound worker
/// skips the fetches of a repeated activity before it takes the write lock.
pub fn is_seen(reader: &impl Reader, activity_id: &str) -> Result<bool, StoreError> {
    let hash = super::statuses::uri_hash(activity_id);
    Ok(reader.table(schema::SEEN_HASHES)?.get(hash)?.is_some()
        || reader
            .table(schema::SEEN_ACTIVITIES)?
            .get(activity_id)?
            .is_some())
}

/// Consecutive failures of a host, and when they started.
pub fn host_failures(
    reader: &impl Reader,
    host: &str,
) -> Result<Option<(u32, u64, u64)>, StoreError> {
    Ok(reader
        .table(schema::HOSTS)?
        .get(host)?
        .map(|value| value.value()))
}

pub fn record_host_failure(
    tx: &WriteTransaction,
    host: &str,
    now_ms: u64,
) -> Result<(), StoreError> {
    let mut table = tx.open_table(schema::HOSTS)?;
    let (failures, first_ms, _) = table
        .get(host)?
        .map_or((0, now_ms, now_ms), |value| value.value());
    table.insert(host, (failures.saturating_add(1), first_ms, now_ms))?;
    Ok(())
}

pub fn record_host_success(tx: &WriteTransaction, host: &str) -> Result<(), StoreError> {
    tx.open_table(schema::HOSTS)?.remove(host)?;
    Ok(())
}

/// Remembers that the object `uri` was deleted (`TOMBSTONE_HASHES`, by the URI's hash).
pub fn put_tombstone(tx: &WriteTransaction, uri: &str, now_ms: u64) -> Result<(), StoreError> {
    tx.open_table(schema::TOMBSTONE_HASHES)?
        .insert(super::statuses::uri_hash(uri), now_ms)?;
    Ok(())
}

pub fn is_tombstoned(reader: &impl Reader, uri: &str) -> Result<bool, StoreError> {
    Ok(reader
        .table(schema::TOMBSTONE_HASHES)?
        .get(super::statuses::uri_hash(uri))?
        .is_some())
}
