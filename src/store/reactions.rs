//! Reactions to announcements: one key per (announcement, emoji, account).

use redb::{ReadableTable, WriteTransaction};

use super::{Reader, StoreError, schema};
use crate::model::AccountId;

/// Adds a reaction; `false` if it was there.
pub fn add(
    tx: &WriteTransaction,
    announcement: u64,
    name: &str,
    account: AccountId,
    reacted_ms: u64,
) -> Result<bool, StoreError> {
    Ok(tx
        .open_table(schema::ANNOUNCEMENT_REACTIONS)?
        .insert((announcement, name, account.0), reacted_ms)?
        .is_none())
}

/// Removes a reaction; `false` if there was none.
pub fn remove(
    tx: &WriteTransaction,
    announcement: u64,
    name: &str,
    account: AccountId,
) -> Result<bool, StoreError> {
    Ok(tx
        .open_table(schema::ANNOUNCEMENT_REACTIONS)?
        .remove((announcement, name, account.0))?
        .is_some())
}

/// Removes every reaction to an announcement.
pub fn remove_all(tx: &WriteTransaction, announcement: u64) -> Result<(), StoreError> {
    let mut table = tx.open_table(schema::ANNOUNCEMENT_REACTIONS)?;
    table.retain_in(
        (announcement, "", 0)..(announcement.saturating_add(1), "", 0),
        |_, _| false,
    )?;
    Ok(())
}

/// One emoji's reactions to an announcement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReactionCount {
    pub name: String,
    pub count: u32,
    /// Whether `viewer` is among them.
    pub me: bool,
    /// The first reaction's time, which orders the emoji as Mastodon does.
    pub first_ms: u64,
}

/// The reactions to an announcement grouped by emoji, in the order each emoji first came,
/// looking at at most `scan_max` reactions.
pub fn counts(
    reader: &impl Reader,
    announcement: u64,
    viewer: AccountId,
    scan_max: usize,
) -> Result<Vec<ReactionCount>, StoreError> {
    let table = reader.table(schema::ANNOUNCEMENT_REACTIONS)?;
    let mut out: Vec<ReactionCount> = Vec::new();
    let range = table.range((announcement, "", 0)..(announcement.saturating_add(1), "", 0))?;
    for entry in range.take(scan_max) {
        let (key, reacted_ms) = entry?;
        let (_, name, account) = key.value();
        let reacted_ms = reacted_ms.value();
        let me = account == viewer.0;
        match out.last_mut().filter(|last| last.name == name) {
            Some(last) => {
                last.count = last.count.saturating_add(1);
                last.me |= me;
                last.first_ms = last.first_ms.min(reacted_ms);
            }
            None => out.push(ReactionCount {
                name: name.to_string(),
                count: 1,
                me,
                first_ms: reacted_ms,
            }),
        }
    }
    out.sort_by_key(|reaction| reaction.first_ms);
    Ok(out)
}
