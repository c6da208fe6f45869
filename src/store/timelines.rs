//! Home feeds (fanned out on write and trimmed to a bounded length) and the scans behind
//! every timeline.

use redb::{ReadableTable, WriteTransaction};

use super::{Page, Reader, StoreError, page_ids, page_pairs, schema};
use crate::model::{AccountId, StatusId, TagId};

/// Puts a status into `owner`'s home feed and trims the feed's oldest entries beyond
/// `entries_max`.
pub fn push_home(
    tx: &WriteTransaction,
    owner: AccountId,
    status: StatusId,
    entries_max: usize,
) -> Result<(), StoreError> {
    let mut home = tx.open_table(schema::HOME)?;
    if home.insert((owner.0, status.0), ())?.is_some() {
        return Ok(());
    }
    let mut lengths = tx.open_table(schema::HOME_LENGTHS)?;
    let mut length = lengths.get(owner.0)?.map_or(0, |length| length.value()) as usize + 1;
    while length > entries_max {
        let Some(oldest) = home
            .range((owner.0, 0)..=(owner.0, u64::MAX))?
            .next()
            .transpose()?
            .map(|(key, _)| key.value())
        else {
            break;
        };
        home.remove(oldest)?;
        length -= 1;
    }
    lengths.insert(owner.0, u32::try_from(length).unwrap_or(u32::MAX))?;
    Ok(())
}

/// Removes a status from `owner`'s home feed (unfollow, block, delete).
pub fn remove_home(
    tx: &WriteTransaction,
    owner: AccountId,
    status: StatusId,
) -> Result<(), StoreError> {
    if tx
        .open_table(schema::HOME)?
        .remove((owner.0, status.0))?
        .is_some()
    {
        let mut lengths = tx.open_table(schema::HOME_LENGTHS)?;
        let length = lengths.get(owner.0)?.map_or(0, |length| length.value());
        lengths.insert(owner.0, length.saturating_sub(1))?;
    }
    Ok(())
}

/// Status ids of a home feed page; `keep` filters (visibility, mutes) within `scan_max` keys.
pub fn home_page<T, E: From<StoreError>>(
    reader: &impl Reader,
    owner: AccountId,
    page: Page,
    scan_max: usize,
    mut keep: impl FnMut(StatusId) -> Result<Option<T>, E>,
) -> Result<Vec<T>, E> {
    page_pairs(reader, schema::HOME, owner.0, page, scan_max, |id, ()| {
        keep(StatusId(id))
    })
}

/// Status ids of an account, newest first.
pub fn account_page<T, E: From<StoreError>>(
    reader: &impl Reader,
    account: AccountId,
    page: Page,
    scan_max: usize,
    mut keep: impl FnMut(StatusId) -> Result<Option<T>, E>,
) -> Result<Vec<T>, E> {
    page_pairs(
        reader,
        schema::ACCOUNT_STATUSES,
        account.0,
        page,
        scan_max,
        |id, ()| keep(StatusId(id)),
    )
}

/// The federated (`local == false`) or local timeline.
pub fn public_page<T, E: From<StoreError>>(
    reader: &impl Reader,
    local: bool,
    page: Page,
    scan_max: usize,
    mut keep: impl FnMut(StatusId) -> Result<Option<T>, E>,
) -> Result<Vec<T>, E> {
    let table = if local {
        schema::LOCAL_STATUSES
    } else {
        schema::PUBLIC_STATUSES
    };
    page_ids(reader, table, page, scan_max, |id| keep(StatusId(id)))
}

/// Public statuses with a hashtag.
pub fn tag_page<T, E: From<StoreError>>(
    reader: &impl Reader,
    tag: TagId,
    page: Page,
    scan_max: usize,
    mut keep: impl FnMut(StatusId) -> Result<Option<T>, E>,
) -> Result<Vec<T>, E> {
    page_pairs(
        reader,
        schema::TAG_STATUSES,
        tag.0,
        page,
        scan_max,
        |id, ()| keep(StatusId(id)),
    )
}

/// Whether a status is in the local timeline index (public and by a local account).
pub fn is_local_public(reader: &impl Reader, status: StatusId) -> Result<bool, StoreError> {
    Ok(reader
        .table(schema::LOCAL_STATUSES)?
        .get(status.0)?
        .is_some())
}

/// Public statuses of local accounts (the local timeline's length).
pub fn count_local_public(reader: &impl Reader) -> Result<u64, StoreError> {
    use redb::ReadableTableMetadata;
    Ok(reader.table(schema::LOCAL_STATUSES)?.len()?)
}
