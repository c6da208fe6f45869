//! Statuses and the indexes that every status keeps: by account, public and local
//! timelines, replies, hashtags.
//!
//! Architecture Invariant: `insert_status` and `delete_status` change the record and all of
//! its indexes in the caller's one transaction.

use redb::{ReadableTable, WriteTransaction};

use super::{Reader, StoreError, get_record, put_record, schema};
use crate::model::{Status, StatusId, TagId, Visibility};

/// Replies, reblogs and favourites of a status.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StatusCounts {
    pub replies: u32,
    pub reblogs: u32,
    pub favourites: u32,
}

/// Writes a new status with its indexes. `is_local` puts public ones on the local timeline.
pub fn insert_status(
    tx: &WriteTransaction,
    status: &Status,
    is_local: bool,
) -> Result<(), StoreError> {
    let id = status.id.0;
    put_record(tx, schema::STATUSES, id, status)?;
    if let Some(uri) = &status.uri {
        tx.open_table(schema::URIHASH_STATUSID)?
            .insert((uri_hash(uri), id), ())?;
    }
    tx.open_table(schema::ACCOUNT_STATUSES)?
        .insert((status.account_id.0, id), ())?;
    if status.reblog_of.is_none() && status.visibility == Visibility::Public {
        tx.open_table(schema::PUBLIC_STATUSES)?.insert(id, ())?;
        if is_local {
            tx.open_table(schema::LOCAL_STATUSES)?.insert(id, ())?;
        }
        for name in &status.tags {
            let tag = ensure_tag(tx, name)?;
            tx.open_table(schema::TAG_STATUSES)?
                .insert((tag.0, id), ())?;
        }
    }
    if let Some(parent) = status.in_reply_to_id {
        tx.open_table(schema::REPLIES)?.insert((parent.0, id), ())?;
    }
    Ok(())
}

/// Replaces the record of an existing status (an edit); indexes stay as they are, so its
/// `uri` must not change.
pub fn update_status(tx: &WriteTransaction, status: &Status) -> Result<(), StoreError> {
    put_record(tx, schema::STATUSES, status.id.0, status)
}

/// Removes a status and its indexes. Home feeds keep a dangling key until trimmed; readers
/// skip ids whose record is gone.
pub fn delete_status(tx: &WriteTransaction, status: &Status) -> Result<(), StoreError> {
    let id = status.id.0;
    tx.open_table(schema::STATUSES)?.remove(id)?;
    tx.open_table(schema::STATUS_COUNTS)?.remove(id)?;
    tx.open_table(schema::REACTIONS)?
        .retain_in((id, 0)..=(id, u64::MAX), |_, _| false)?;
    if let Some(uri) = &status.uri {
        tx.open_table(schema::URIHASH_STATUSID)?
            .remove((uri_hash(uri), id))?;
    }
    tx.open_table(schema::ACCOUNT_STATUSES)?
        .remove((status.account_id.0, id))?;
    tx.open_table(schema::PUBLIC_STATUSES)?.remove(id)?;
    tx.open_table(schema::LOCAL_STATUSES)?.remove(id)?;
    for name in &status.tags {
        if let Some(tag) = tag_id(tx, name)? {
            tx.open_table(schema::TAG_STATUSES)?.remove((tag.0, id))?;
        }
    }
    if let Some(parent) = status.in_reply_to_id {
        tx.open_table(schema::REPLIES)?.remove((parent.0, id))?;
    }
    // The card stays (other statuses may link to it); the media sweep drops cards no status
    // names any more.
    if let Some(url) = tx.open_table(schema::STATUS_CARDS)?.remove(id)? {
        tx.open_table(schema::CARD_URLHASH_STATUSES)?
            .remove((uri_hash(url.value()), id))?;
    }
    Ok(())
}

pub fn get_status(
    reader: &impl Reader,
    id: StatusId,
    bytes_max: usize,
) -> Result<Option<Status>, StoreError> {
    get_record(reader, schema::STATUSES, id.0, bytes_max)
}

pub fn get_counts(reader: &impl Reader, id: StatusId) -> Result<StatusCounts, StoreError> {
    let table = reader.table(schema::STATUS_COUNTS)?;
    Ok(table
        .get(id.0)?
        .map_or_else(StatusCounts::default, |value| {
            let (replies, reblogs, favourites) = value.value();
            StatusCounts {
                replies,
                reblogs,
                favourites,
            }
        }))
}

/// Changes a status's counters by the given deltas (never below zero).
pub fn adjust_counts(
    tx: &WriteTransaction,
    id: StatusId,
    replies: i32,
    reblogs: i32,
    favourites: i32,
) -> Result<(), StoreError> {
    let mut counts = get_counts(tx, id)?;
    counts.replies = counts.replies.saturating_add_signed(replies);
    counts.reblogs = counts.reblogs.saturating_add_signed(reblogs);
    counts.favourites = counts.favourites.saturating_add_signed(favourites);
    tx.open_table(schema::STATUS_COUNTS)?
        .insert(id.0, (counts.replies, counts.reblogs, counts.favourites))?;
    Ok(())
}

/// Direct replies to a status, oldest first, up to `limit`.
pub fn reply_ids(
    reader: &impl Reader,
    parent: StatusId,
    limit: usize,
) -> Result<Vec<StatusId>, StoreError> {
    let table = reader.table(schema::REPLIES)?;
    let mut out = Vec::new();
    for entry in table
        .range((parent.0, 0)..=(parent.0, u64::MAX))?
        .take(limit)
    {
        out.push(StatusId(entry?.0.value().1));
    }
    Ok(out)
}

pub fn tag_id(reader: &impl Reader, name: &str) -> Result<Option<TagId>, StoreError> {
    Ok(reader
        .table(schema::TAG_IDS)?
        .get(name.to_lowercase().as_str())?
        .map(|id| TagId(id.value())))
}

/// Hashtag names starting with `prefix`, up to `limit`.
pub fn tags_by_prefix(
    reader: &impl Reader,
    prefix: &str,
    limit: usize,
) -> Result<Vec<String>, StoreError> {
    let prefix = prefix.to_lowercase();
    let table = reader.table(schema::TAG_IDS)?;
    let mut out = Vec::new();
    for entry in table.range(prefix.as_str()..)? {
        let (name, _) = entry?;
        if !name.value().starts_with(&prefix) || out.len() >= limit {
            break;
        }
        out.push(name.value().to_string());
    }
    Ok(out)
}

/// The id of a hashtag, created on first use. Tag ids count up from 1.
pub fn ensure_tag(tx: &WriteTransaction, name: &str) -> Result<TagId, StoreError> {
    let name = name.to_lowercase();
    if let Some(id) = tag_id(tx, &name)? {
        return Ok(id);
    }
    let mut names = tx.open_table(schema::TAG_NAMES)?;
    let next = names.last()?.map_or(1, |(id, _)| id.value() + 1);
    names.insert(next, name.as_str())?;
    drop(names);
    tx.open_table(schema::TAG_IDS)?
        .insert(name.as_str(), next)?;
    Ok(TagId(next))
}

/// The first 8 bytes of the SHA-256 of a URI: the key of `URIHASH_STATUSID`. A stable hash
/// (not std's, which may change between Rust releases), since it is stored.
pub fn uri_hash(uri: &str) -> u64 {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, uri.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest.as_ref()[..8]);
    u64::from_be_bytes(first)
}

/// Cap on the decompressed size of a status read to compare its URI. Records were capped by
/// `storage.record_bytes_max` when written; this only stops a corrupt frame from inflating
/// without bound, and is well above any setting of that option that makes sense.
const URI_RECORD_BYTES_MAX: usize = 64 << 20;

/// The stored id (URI) of a remote status (`None` for a local one, or a missing status).
pub fn status_uri(reader: &impl Reader, id: StatusId) -> Result<Option<String>, StoreError> {
    Ok(get_status(reader, id, URI_RECORD_BYTES_MAX)?.and_then(|status| status.uri))
}

/// The status whose id (URI) is `uri`: candidates by the URI's hash, each confirmed by the
/// URI in its record.
pub fn status_id_by_uri(reader: &impl Reader, uri: &str) -> Result<Option<StatusId>, StoreError> {
    let hash = uri_hash(uri);
    let index = reader.table(schema::URIHASH_STATUSID)?;
    for entry in index.range((hash, 0)..=(hash, u64::MAX))? {
        let id = StatusId(entry?.0.value().1);
        if status_uri(reader, id)?.as_deref() == Some(uri) {
            return Ok(Some(id));
        }
    }
    Ok(None)
}

/// Links a stored status to the parent it replies to, found after it was stored.
pub fn link_reply(
    tx: &WriteTransaction,
    status: &mut Status,
    parent: &Status,
) -> Result<(), StoreError> {
    status.in_reply_to_id = Some(parent.id);
    status.in_reply_to_account_id = Some(parent.account_id);
    update_status(tx, status)?;
    tx.open_table(schema::REPLIES)?
        .insert((parent.id.0, status.id.0), ())?;
    Ok(())
}

/// Emoji reactions kept per (status, account); one reaction per account and status.
pub fn set_reaction(
    tx: &WriteTransaction,
    status: StatusId,
    account: u64,
    emoji: Option<&str>,
) -> Result<(), StoreError> {
    let mut table = tx.open_table(schema::REACTIONS)?;
    match emoji {
        Some(emoji) => table.insert((status.0, account), emoji)?,
        None => table.remove((status.0, account))?,
    };
    Ok(())
}

/// Reactions to a status: each emoji with its count, most used first, and the viewer's.
pub fn reactions(
    reader: &impl Reader,
    status: StatusId,
    viewer: Option<u64>,
    max: usize,
) -> Result<Vec<(String, u32, bool)>, StoreError> {
    let table = reader.table(schema::REACTIONS)?;
    let mut counts: Vec<(String, u32, bool)> = Vec::new();
    for entry in table.range((status.0, 0)..=(status.0, u64::MAX))?.take(max) {
        let (key, emoji) = entry?;
        let (emoji, mine) = (emoji.value().to_string(), Some(key.value().1) == viewer);
        match counts.iter_mut().find(|(name, _, _)| *name == emoji) {
            Some(found) => {
                found.1 += 1;
                found.2 |= mine;
            }
            None => counts.push((emoji, 1, mine)),
        }
    }
    counts.sort_by_key(|(_, count, _)| std::cmp::Reverse(*count));
    Ok(counts)
}

pub fn put_report(tx: &WriteTransaction, report: &crate::model::Report) -> Result<(), StoreError> {
    super::put_record(tx, schema::REPORTS, report.id, report)
}

pub fn put_poll(
    tx: &WriteTransaction,
    status: StatusId,
    poll: &crate::model::Poll,
) -> Result<(), StoreError> {
    put_record(tx, schema::POLLS, status.0, poll)
}

pub fn get_poll(
    reader: &impl Reader,
    status: StatusId,
    bytes_max: usize,
) -> Result<Option<crate::model::Poll>, StoreError> {
    get_record(reader, schema::POLLS, status.0, bytes_max)
}

/// The option indexes `account` chose in a poll, if it voted.
pub fn poll_choices(
    reader: &impl Reader,
    status: StatusId,
    account: u64,
) -> Result<Option<Vec<u32>>, StoreError> {
    let table = reader.table(schema::POLL_VOTES)?;
    Ok(table.get((status.0, account))?.map(|bytes| {
        bytes
            .value()
            .iter()
            .map(|index| u32::from(*index))
            .collect()
    }))
}

/// Records a vote (option indexes below 256: polls have at most a few dozen options).
pub fn put_poll_choices(
    tx: &WriteTransaction,
    status: StatusId,
    account: u64,
    choices: &[u32],
) -> Result<(), StoreError> {
    let bytes: Vec<u8> = choices
        .iter()
        .filter_map(|index| u8::try_from(*index).ok())
        .collect();
    tx.open_table(schema::POLL_VOTES)?
        .insert((status.0, account), bytes.as_slice())?;
    Ok(())
}

pub fn tag_name(reader: &impl Reader, id: TagId) -> Result<Option<String>, StoreError> {
    Ok(reader
        .table(schema::TAG_NAMES)?
        .get(id.0)?
        .map(|name| name.value().to_string()))
}

/// Uses of a hashtag in public statuses with ids in `low..high`: the status ids, up to `max`.
pub fn tag_uses(
    reader: &impl Reader,
    tag: TagId,
    low: u64,
    high: u64,
    max: usize,
) -> Result<Vec<StatusId>, StoreError> {
    let table = reader.table(schema::TAG_STATUSES)?;
    let mut out = Vec::new();
    if low >= high {
        return Ok(out);
    }
    for entry in table.range((tag.0, low)..(tag.0, high))?.take(max) {
        out.push(StatusId(entry?.0.value().1));
    }
    Ok(out)
}
