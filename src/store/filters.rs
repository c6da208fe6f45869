//! Filters: the record (keywords and statuses inside it), the owner index, and the indexes
//! from a keyword's or a filtered status's id to its filter.
//!
//! Architecture Invariant: `put` and `delete` keep the three indexes equal to the records.

use redb::{ReadableTable, WriteTransaction};

use super::{Reader, StoreError, records, schema};
use crate::model::{AccountId, Filter};

pub fn get(reader: &impl Reader, id: u64, bytes_max: usize) -> Result<Option<Filter>, StoreError> {
    match reader.table(schema::FILTERS)?.get(id)? {
        Some(bytes) => Ok(Some(records::decode(bytes.value(), bytes_max)?)),
        None => Ok(None),
    }
}

/// Writes a filter, replacing `old` (its earlier version) in the indexes.
pub fn put(tx: &WriteTransaction, filter: &Filter, old: Option<&Filter>) -> Result<(), StoreError> {
    if let Some(old) = old {
        remove_indexes(tx, old)?;
    }
    let bytes = records::encode(filter)?;
    tx.open_table(schema::FILTERS)?
        .insert(filter.id, bytes.as_slice())?;
    tx.open_table(schema::OWNER_FILTERS)?
        .insert((filter.owner.0, filter.id), ())?;
    let mut keywords = tx.open_table(schema::FILTER_KEYWORD_FILTERS)?;
    for keyword in &filter.keywords {
        keywords.insert(keyword.id, filter.id)?;
    }
    let mut statuses = tx.open_table(schema::FILTER_STATUS_FILTERS)?;
    for status in &filter.statuses {
        statuses.insert(status.id, filter.id)?;
    }
    Ok(())
}

fn remove_indexes(tx: &WriteTransaction, filter: &Filter) -> Result<(), StoreError> {
    let mut keywords = tx.open_table(schema::FILTER_KEYWORD_FILTERS)?;
    for keyword in &filter.keywords {
        keywords.remove(keyword.id)?;
    }
    let mut statuses = tx.open_table(schema::FILTER_STATUS_FILTERS)?;
    for status in &filter.statuses {
        statuses.remove(status.id)?;
    }
    Ok(())
}

pub fn delete(tx: &WriteTransaction, filter: &Filter) -> Result<(), StoreError> {
    remove_indexes(tx, filter)?;
    tx.open_table(schema::FILTERS)?.remove(filter.id)?;
    tx.open_table(schema::OWNER_FILTERS)?
        .remove((filter.owner.0, filter.id))?;
    Ok(())
}

/// An owner's filters, oldest first.
pub fn of_owner(
    reader: &impl Reader,
    owner: AccountId,
    bytes_max: usize,
) -> Result<Vec<Filter>, StoreError> {
    let table = reader.table(schema::OWNER_FILTERS)?;
    let mut out = Vec::new();
    for entry in table.range((owner.0, 0)..=(owner.0, u64::MAX))? {
        out.extend(get(reader, entry?.0.value().1, bytes_max)?);
    }
    Ok(out)
}

/// The filter holding a keyword.
pub fn of_keyword(reader: &impl Reader, keyword: u64) -> Result<Option<u64>, StoreError> {
    Ok(reader
        .table(schema::FILTER_KEYWORD_FILTERS)?
        .get(keyword)?
        .map(|id| id.value()))
}

/// The filter holding a filtered-status entry.
pub fn of_status_entry(reader: &impl Reader, entry: u64) -> Result<Option<u64>, StoreError> {
    Ok(reader
        .table(schema::FILTER_STATUS_FILTERS)?
        .get(entry)?
        .map(|id| id.value()))
}
