//! Small per-account state that clients keep on the server: `Idempotency-Key`s of posts and
//! timeline read positions (markers).

use redb::{ReadableTable, WriteTransaction};

use super::{Reader, StoreError, records, schema};

/// The status an `Idempotency-Key` produced, if it was used within the window.
pub fn idempotent_status(
    reader: &impl Reader,
    account: u64,
    key: &str,
    since_ms: u64,
) -> Result<Option<u64>, StoreError> {
    let table = reader.table(schema::IDEMPOTENCY)?;
    Ok(table
        .get((account, key))?
        .map(|value| value.value())
        .filter(|(_, at_ms)| *at_ms >= since_ms)
        .map(|(id, _)| id))
}

pub fn put_idempotency(
    tx: &WriteTransaction,
    account: u64,
    key: &str,
    status: u64,
    at_ms: u64,
) -> Result<(), StoreError> {
    tx.open_table(schema::IDEMPOTENCY)?
        .insert((account, key), (status, at_ms))?;
    Ok(())
}

pub fn get_marker(
    reader: &impl Reader,
    account: u64,
    timeline: &str,
    bytes_max: usize,
) -> Result<Option<crate::model::Marker>, StoreError> {
    let table = reader.table(schema::MARKERS)?;
    let Some(bytes) = table.get((account, timeline))? else {
        return Ok(None);
    };
    records::decode(bytes.value(), bytes_max).map(Some)
}

pub fn put_marker(
    tx: &WriteTransaction,
    account: u64,
    timeline: &str,
    marker: &crate::model::Marker,
) -> Result<(), StoreError> {
    let bytes = records::encode(marker)?;
    tx.open_table(schema::MARKERS)?
        .insert((account, timeline), bytes.as_slice())?;
    Ok(())
}
