//! Lists: the record, the owner's index and the membership in both directions.
//!
//! Architecture Invariant: `LIST_ACCOUNTS` and `ACCOUNT_LISTS` change together.

use redb::{ReadableTable, WriteTransaction};

use super::{Reader, StoreError, records, schema};
use crate::model::{AccountId, List};

pub fn get(reader: &impl Reader, id: u64, bytes_max: usize) -> Result<Option<List>, StoreError> {
    match reader.table(schema::LISTS)?.get(id)? {
        Some(bytes) => Ok(Some(records::decode(bytes.value(), bytes_max)?)),
        None => Ok(None),
    }
}

/// Writes a list (new or changed) and its owner index entry.
pub fn put(tx: &WriteTransaction, list: &List) -> Result<(), StoreError> {
    let bytes = records::encode(list)?;
    tx.open_table(schema::LISTS)?
        .insert(list.id, bytes.as_slice())?;
    tx.open_table(schema::OWNER_LISTS)?
        .insert((list.owner.0, list.id), ())?;
    Ok(())
}

/// Removes a list with its members.
pub fn delete(tx: &WriteTransaction, list: &List) -> Result<(), StoreError> {
    for member in members(tx, list.id, usize::MAX)? {
        remove_member(tx, list.id, member)?;
    }
    tx.open_table(schema::LISTS)?.remove(list.id)?;
    tx.open_table(schema::OWNER_LISTS)?
        .remove((list.owner.0, list.id))?;
    Ok(())
}

/// The ids of an owner's lists, oldest first.
pub fn of_owner(reader: &impl Reader, owner: AccountId) -> Result<Vec<u64>, StoreError> {
    let table = reader.table(schema::OWNER_LISTS)?;
    let mut out = Vec::new();
    for entry in table.range((owner.0, 0)..=(owner.0, u64::MAX))? {
        out.push(entry?.0.value().1);
    }
    Ok(out)
}

/// Members of a list, in account id order, up to `max`.
pub fn members(reader: &impl Reader, list: u64, max: usize) -> Result<Vec<AccountId>, StoreError> {
    let table = reader.table(schema::LIST_ACCOUNTS)?;
    let mut out = Vec::new();
    for entry in table.range((list, 0)..=(list, u64::MAX))?.take(max) {
        out.push(AccountId(entry?.0.value().1));
    }
    Ok(out)
}

pub fn is_member(reader: &impl Reader, list: u64, account: AccountId) -> Result<bool, StoreError> {
    Ok(reader
        .table(schema::LIST_ACCOUNTS)?
        .get((list, account.0))?
        .is_some())
}

/// The ids of every list `account` is a member of (anyone's).
pub fn containing(reader: &impl Reader, account: AccountId) -> Result<Vec<u64>, StoreError> {
    let table = reader.table(schema::ACCOUNT_LISTS)?;
    let mut out = Vec::new();
    for entry in table.range((account.0, 0)..=(account.0, u64::MAX))? {
        out.push(entry?.0.value().1);
    }
    Ok(out)
}

pub fn add_member(tx: &WriteTransaction, list: u64, account: AccountId) -> Result<(), StoreError> {
    tx.open_table(schema::LIST_ACCOUNTS)?
        .insert((list, account.0), ())?;
    tx.open_table(schema::ACCOUNT_LISTS)?
        .insert((account.0, list), ())?;
    Ok(())
}

pub fn remove_member(
    tx: &WriteTransaction,
    list: u64,
    account: AccountId,
) -> Result<(), StoreError> {
    tx.open_table(schema::LIST_ACCOUNTS)?
        .remove((list, account.0))?;
    tx.open_table(schema::ACCOUNT_LISTS)?
        .remove((account.0, list))?;
    Ok(())
}
