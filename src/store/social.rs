//! The tables of the client API's smaller features: edit history, muted and direct
//! conversations, private notes, dismissed suggestions and scheduled statuses. (Followed
//! and featured hashtags and endorsements are `Edge`s.)
//!
//! Architecture Invariant: `CONVERSATIONS` and `CONVERSATIONS_BY_LAST` change together, and
//! so do `SCHEDULED_STATUSES`, `SCHEDULED_DUE` and `OWNER_SCHEDULED`.

use redb::{ReadableTable, WriteTransaction};

use super::{Reader, StoreError, get_record, put_record, records, schema};
use crate::model::{ScheduledStatus, Status, StatusId};

/// Keeps `previous`, the version of a status an edit replaces, under the edit's time.
pub fn put_edit(
    tx: &WriteTransaction,
    previous: &Status,
    edited_ms: u64,
    kept_max: usize,
) -> Result<(), StoreError> {
    let id = previous.id.0;
    // A remote status's URI is in its current record: earlier versions do not repeat it.
    let bytes = records::encode(&Status {
        uri: None,
        ..previous.clone()
    })?;
    let mut table = tx.open_table(schema::STATUS_EDITS)?;
    table.insert((id, edited_ms), bytes.as_slice())?;
    // Only the newest `kept_max` versions stay: a status edited in a loop must not grow
    // without bound.
    let count = table.range((id, 0)..=(id, u64::MAX))?.count();
    if count > kept_max {
        let oldest: Vec<u64> = table
            .range((id, 0)..=(id, u64::MAX))?
            .take(count - kept_max)
            .map(|entry| entry.map(|(key, _)| key.value().1))
            .collect::<Result<_, _>>()?;
        for edited_ms in oldest {
            table.remove((id, edited_ms))?;
        }
    }
    Ok(())
}

/// Earlier versions of a status, oldest first, each with the time it was replaced.
pub fn edits(
    reader: &impl Reader,
    id: StatusId,
    bytes_max: usize,
) -> Result<Vec<(u64, Status)>, StoreError> {
    let table = reader.table(schema::STATUS_EDITS)?;
    let mut out = Vec::new();
    for entry in table.range((id.0, 0)..=(id.0, u64::MAX))? {
        let (key, bytes) = entry?;
        out.push((key.value().1, records::decode(bytes.value(), bytes_max)?));
    }
    Ok(out)
}

/// Removes the history of a deleted status.
pub fn delete_edits(tx: &WriteTransaction, id: StatusId) -> Result<(), StoreError> {
    tx.open_table(schema::STATUS_EDITS)?
        .retain_in((id.0, 0)..=(id.0, u64::MAX), |_, _| false)?;
    Ok(())
}

pub fn set_conversation_muted(
    tx: &WriteTransaction,
    account: u64,
    root: StatusId,
    muted: bool,
) -> Result<(), StoreError> {
    let mut table = tx.open_table(schema::CONVERSATION_MUTES)?;
    if muted {
        table.insert((account, root.0), ())?;
    } else {
        table.remove((account, root.0))?;
    }
    Ok(())
}

pub fn conversation_muted(
    reader: &impl Reader,
    account: u64,
    root: StatusId,
) -> Result<bool, StoreError> {
    Ok(reader
        .table(schema::CONVERSATION_MUTES)?
        .get((account, root.0))?
        .is_some())
}

/// Whether `account` muted any conversation: when not, nothing needs the thread's root.
pub fn mutes_any_conversation(reader: &impl Reader, account: u64) -> Result<bool, StoreError> {
    Ok(reader
        .table(schema::CONVERSATION_MUTES)?
        .range((account, 0)..=(account, u64::MAX))?
        .next()
        .is_some())
}

/// One direct-message conversation of its owner.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConversationEntry {
    pub root: StatusId,
    pub last_status: StatusId,
    pub unread: bool,
}

pub fn get_conversation(
    reader: &impl Reader,
    owner: u64,
    root: StatusId,
) -> Result<Option<ConversationEntry>, StoreError> {
    Ok(reader
        .table(schema::CONVERSATIONS)?
        .get((owner, root.0))?
        .map(|value| {
            let (last, unread) = value.value();
            ConversationEntry {
                root,
                last_status: StatusId(last),
                unread,
            }
        }))
}

/// Writes a conversation (new or moved to a newer last status).
pub fn put_conversation(
    tx: &WriteTransaction,
    owner: u64,
    entry: ConversationEntry,
) -> Result<(), StoreError> {
    let mut table = tx.open_table(schema::CONVERSATIONS)?;
    let previous = table
        .insert((owner, entry.root.0), (entry.last_status.0, entry.unread))?
        .map(|value| value.value().0);
    drop(table);
    let mut by_last = tx.open_table(schema::CONVERSATIONS_BY_LAST)?;
    if let Some(previous) = previous {
        by_last.remove((owner, previous))?;
    }
    by_last.insert((owner, entry.last_status.0), entry.root.0)?;
    Ok(())
}

pub fn delete_conversation(
    tx: &WriteTransaction,
    owner: u64,
    root: StatusId,
) -> Result<bool, StoreError> {
    let Some(previous) = tx
        .open_table(schema::CONVERSATIONS)?
        .remove((owner, root.0))?
        .map(|value| value.value().0)
    else {
        return Ok(false);
    };
    tx.open_table(schema::CONVERSATIONS_BY_LAST)?
        .remove((owner, previous))?;
    Ok(true)
}

pub fn put_note(
    tx: &WriteTransaction,
    author: u64,
    account: u64,
    note: &str,
) -> Result<(), StoreError> {
    let mut table = tx.open_table(schema::ACCOUNT_NOTES)?;
    if note.is_empty() {
        table.remove((author, account))?;
    } else {
        table.insert((author, account), note)?;
    }
    Ok(())
}

pub fn note(reader: &impl Reader, author: u64, account: u64) -> Result<String, StoreError> {
    Ok(reader
        .table(schema::ACCOUNT_NOTES)?
        .get((author, account))?
        .map(|note| note.value().to_string())
        .unwrap_or_default())
}

pub fn dismiss_suggestion(
    tx: &WriteTransaction,
    account: u64,
    suggested: u64,
) -> Result<(), StoreError> {
    tx.open_table(schema::SUGGESTION_DISMISSALS)?
        .insert((account, suggested), ())?;
    Ok(())
}

pub fn suggestion_dismissed(
    reader: &impl Reader,
    account: u64,
    suggested: u64,
) -> Result<bool, StoreError> {
    Ok(reader
        .table(schema::SUGGESTION_DISMISSALS)?
        .get((account, suggested))?
        .is_some())
}

pub fn get_scheduled(
    reader: &impl Reader,
    id: u64,
    bytes_max: usize,
) -> Result<Option<ScheduledStatus>, StoreError> {
    get_record(reader, schema::SCHEDULED_STATUSES, id, bytes_max)
}

/// Writes a scheduled status with its indexes; `previous_due_ms` is its old time when it
/// is rescheduled.
pub fn put_scheduled(
    tx: &WriteTransaction,
    scheduled: &ScheduledStatus,
    previous_due_ms: Option<u64>,
) -> Result<(), StoreError> {
    put_record(tx, schema::SCHEDULED_STATUSES, scheduled.id, scheduled)?;
    let mut due = tx.open_table(schema::SCHEDULED_DUE)?;
    if let Some(previous) = previous_due_ms {
        due.remove((previous, scheduled.id))?;
    }
    due.insert((scheduled.scheduled_ms, scheduled.id), ())?;
    drop(due);
    tx.open_table(schema::OWNER_SCHEDULED)?
        .insert((scheduled.owner.0, scheduled.id), ())?;
    Ok(())
}

pub fn delete_scheduled(
    tx: &WriteTransaction,
    scheduled: &ScheduledStatus,
) -> Result<(), StoreError> {
    tx.open_table(schema::SCHEDULED_STATUSES)?
        .remove(scheduled.id)?;
    tx.open_table(schema::SCHEDULED_DUE)?
        .remove((scheduled.scheduled_ms, scheduled.id))?;
    tx.open_table(schema::OWNER_SCHEDULED)?
        .remove((scheduled.owner.0, scheduled.id))?;
    Ok(())
}

/// Ids of an owner's scheduled statuses, oldest first, up to `max`.
pub fn scheduled_of(reader: &impl Reader, owner: u64, max: usize) -> Result<Vec<u64>, StoreError> {
    let table = reader.table(schema::OWNER_SCHEDULED)?;
    let mut out = Vec::new();
    for entry in table.range((owner, 0)..=(owner, u64::MAX))?.take(max) {
        out.push(entry?.0.value().1);
    }
    Ok(out)
}

/// Ids of scheduled statuses due at or before `now_ms`, earliest first, up to `max`.
pub fn scheduled_due(
    reader: &impl Reader,
    now_ms: u64,
    max: usize,
) -> Result<Vec<u64>, StoreError> {
    let table = reader.table(schema::SCHEDULED_DUE)?;
    let mut out = Vec::new();
    for entry in table.range((0, 0)..=(now_ms, u64::MAX))?.take(max) {
        out.push(entry?.0.value().1);
    }
    Ok(out)
}

/// Blocks `domain` for `account`; false if it was blocked already.
pub fn add_user_domain_block(
    tx: &WriteTransaction,
    account: u64,
    domain: &str,
    id: u64,
) -> Result<bool, StoreError> {
    let mut blocks = tx.open_table(schema::USER_DOMAIN_BLOCKS)?;
    if blocks.get((account, domain))?.is_some() {
        return Ok(false);
    }
    blocks.insert((account, domain), id)?;
    drop(blocks);
    tx.open_table(schema::USER_DOMAIN_BLOCKS_BY_ID)?
        .insert((account, id), domain)?;
    Ok(true)
}

pub fn remove_user_domain_block(
    tx: &WriteTransaction,
    account: u64,
    domain: &str,
) -> Result<bool, StoreError> {
    let Some(id) = tx
        .open_table(schema::USER_DOMAIN_BLOCKS)?
        .remove((account, domain))?
        .map(|id| id.value())
    else {
        return Ok(false);
    };
    tx.open_table(schema::USER_DOMAIN_BLOCKS_BY_ID)?
        .remove((account, id))?;
    Ok(true)
}

pub fn user_blocks_domain(
    reader: &impl Reader,
    account: u64,
    domain: &str,
) -> Result<bool, StoreError> {
    Ok(reader
        .table(schema::USER_DOMAIN_BLOCKS)?
        .get((account, domain))?
        .is_some())
}

/// Whether `account` blocks any domain: when not, nothing needs the authors' domains.
pub fn blocks_any_domain(reader: &impl Reader, account: u64) -> Result<bool, StoreError> {
    Ok(reader
        .table(schema::USER_DOMAIN_BLOCKS_BY_ID)?
        .range((account, 0)..=(account, u64::MAX))?
        .next()
        .is_some())
}

/// A page of an account's blocked domains: (block id, domain), newest first.
pub fn user_domain_blocks_page(
    reader: &impl Reader,
    account: u64,
    page: super::Page,
) -> Result<Vec<(u64, String)>, StoreError> {
    super::page_pairs(
        reader,
        schema::USER_DOMAIN_BLOCKS_BY_ID,
        account,
        page,
        usize::MAX,
        |id, domain| Ok::<_, StoreError>(Some((id, domain.to_string()))),
    )
}
