//! Browser sessions and two-factor secrets.

use redb::{ReadTransaction, ReadableTable, WriteTransaction};

use super::{Reader, StoreError, get_record, put_record, records, schema};
use crate::model::{AccountId, TwoFactor, WebSession};

pub fn put_session(
    tx: &WriteTransaction,
    hash: &[u8],
    session: &WebSession,
) -> Result<(), StoreError> {
    let bytes = records::encode(session)?;
    tx.open_table(schema::WEB_SESSIONS)?
        .insert(hash, bytes.as_slice())?;
    tx.open_table(schema::ACCOUNT_SESSIONS)?
        .insert((session.account_id.0, session.id), hash)?;
    Ok(())
}

pub fn get_session(
    reader: &impl Reader,
    hash: &[u8],
    bytes_max: usize,
) -> Result<Option<WebSession>, StoreError> {
    let table = reader.table(schema::WEB_SESSIONS)?;
    let Some(bytes) = table.get(hash)? else {
        return Ok(None);
    };
    records::decode(bytes.value(), bytes_max).map(Some)
}

pub fn remove_session(
    tx: &WriteTransaction,
    hash: &[u8],
    session: &WebSession,
) -> Result<(), StoreError> {
    tx.open_table(schema::WEB_SESSIONS)?.remove(hash)?;
    tx.open_table(schema::ACCOUNT_SESSIONS)?
        .remove((session.account_id.0, session.id))?;
    Ok(())
}

/// An account's sessions with their hashes, oldest first, up to `max`.
pub fn sessions_of(
    reader: &impl Reader,
    account: AccountId,
    max: usize,
    bytes_max: usize,
) -> Result<Vec<(Vec<u8>, WebSession)>, StoreError> {
    let index = reader.table(schema::ACCOUNT_SESSIONS)?;
    let mut out = Vec::new();
    for entry in index
        .range((account.0, 0)..=(account.0, u64::MAX))?
        .take(max)
    {
        let hash = entry?.1.value().to_vec();
        if let Some(session) = get_session(reader, &hash, bytes_max)? {
            out.push((hash, session));
        }
    }
    Ok(out)
}

pub fn get_two_factor(
    reader: &impl Reader,
    account: AccountId,
    bytes_max: usize,
) -> Result<Option<TwoFactor>, StoreError> {
    get_record(reader, schema::TWO_FACTOR, account.0, bytes_max)
}

pub fn put_two_factor(
    tx: &WriteTransaction,
    account: AccountId,
    two_factor: &TwoFactor,
) -> Result<(), StoreError> {
    put_record(tx, schema::TWO_FACTOR, account.0, two_factor)
}

pub fn remove_two_factor(tx: &WriteTransaction, account: AccountId) -> Result<(), StoreError> {
    tx.open_table(schema::TWO_FACTOR)?.remove(account.0)?;
    Ok(())
}

/// `db check`: every session and secret decodes, and the account index finds each session.
pub(super) fn check(
    tx: &ReadTransaction,
    bytes_max: usize,
    problems: &mut Vec<String>,
) -> Result<u64, StoreError> {
    let mut checked = 0;
    checked +=
        super::maintenance::decode_all::<TwoFactor>(tx, schema::TWO_FACTOR, bytes_max, problems)?;
    let sessions = tx.open_table(schema::WEB_SESSIONS)?;
    for entry in tx.open_table(schema::ACCOUNT_SESSIONS)?.iter()? {
        let (key, hash) = entry?;
        checked += 1;
        let Some(bytes) = sessions.get(hash.value())? else {
            problems.push(format!(
                "account_sessionid_hash {:?} points at no session",
                key.value()
            ));
            continue;
        };
        if let Err(error) = records::decode::<WebSession>(bytes.value(), bytes_max) {
            problems.push(format!("sessionhash_session of {:?}: {error}", key.value()));
        }
    }
    Ok(checked)
}

/// The tokens of an account with their hashes, looking at up to `scan_max` tokens (the
/// tokens table is keyed by hash: this is a scan, for the settings page only).
pub fn tokens_of(
    reader: &impl Reader,
    account: AccountId,
    scan_max: usize,
    bytes_max: usize,
) -> Result<Vec<(Vec<u8>, crate::model::Token)>, StoreError> {
    let table = reader.table(schema::TOKENS)?;
    let mut out = Vec::new();
    for entry in table.iter()?.take(scan_max) {
        let (hash, bytes) = entry?;
        let token: crate::model::Token = records::decode(bytes.value(), bytes_max)?;
        if token.account_id == Some(account) {
            out.push((hash.value().to_vec(), token));
        }
    }
    Ok(out)
}
