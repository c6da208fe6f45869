//! Relays this instance subscribes to. There are few (`app::relays::RELAYS_MAX`), so every
//! lookup reads the whole table.

use redb::{ReadableTable, WriteTransaction};

use super::{Reader, StoreError, get_record, put_record, schema};
use crate::model::Relay;

pub fn put(tx: &WriteTransaction, relay: &Relay) -> Result<(), StoreError> {
    put_record(tx, schema::RELAYS, relay.id, relay)
}

pub fn get(reader: &impl Reader, id: u64, bytes_max: usize) -> Result<Option<Relay>, StoreError> {
    get_record(reader, schema::RELAYS, id, bytes_max)
}

pub fn remove(tx: &WriteTransaction, id: u64) -> Result<(), StoreError> {
    tx.open_table(schema::RELAYS)?.remove(id)?;
    Ok(())
}

/// Every relay, oldest first, up to `max`.
pub fn list(reader: &impl Reader, max: usize, bytes_max: usize) -> Result<Vec<Relay>, StoreError> {
    let table = reader.table(schema::RELAYS)?;
    let mut out = Vec::new();
    for entry in table.iter()?.take(max) {
        out.push(super::records::decode(entry?.1.value(), bytes_max)?);
    }
    Ok(out)
}
