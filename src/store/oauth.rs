//! OAuth applications, authorization codes and tokens. Codes and tokens are stored under
//! their SHA-256, never in the clear.

use redb::{ReadableTable, WriteTransaction};

use super::{Reader, StoreError, get_record, put_record, records, schema};
use crate::model::{App, AppId, AuthCode, Token};

pub fn put_app(tx: &WriteTransaction, app: &App) -> Result<(), StoreError> {
    put_record(tx, schema::APPS, app.id.0, app)?;
    tx.open_table(schema::CLIENT_APPS)?
        .insert(app.client_id.as_str(), app.id.0)?;
    Ok(())
}

pub fn get_app(
    reader: &impl Reader,
    id: AppId,
    bytes_max: usize,
) -> Result<Option<App>, StoreError> {
    get_record(reader, schema::APPS, id.0, bytes_max)
}

pub fn app_by_client_id(
    reader: &impl Reader,
    client_id: &str,
    bytes_max: usize,
) -> Result<Option<App>, StoreError> {
    let Some(id) = reader
        .table(schema::CLIENT_APPS)?
        .get(client_id)?
        .map(|id| AppId(id.value()))
    else {
        return Ok(None);
    };
    get_app(reader, id, bytes_max)
}

pub fn put_code(
    tx: &WriteTransaction,
    code_hash: &[u8],
    code: &AuthCode,
) -> Result<(), StoreError> {
    let bytes = records::encode(code)?;
    tx.open_table(schema::AUTH_CODES)?
        .insert(code_hash, bytes.as_slice())?;
    Ok(())
}

/// Removes and returns a code: a code is good for one exchange only.
pub fn take_code(
    tx: &WriteTransaction,
    code_hash: &[u8],
    bytes_max: usize,
) -> Result<Option<AuthCode>, StoreError> {
    let mut table = tx.open_table(schema::AUTH_CODES)?;
    let Some(bytes) = table.remove(code_hash)? else {
        return Ok(None);
    };
    records::decode(bytes.value(), bytes_max).map(Some)
}

pub fn put_token(
    tx: &WriteTransaction,
    token_hash: &[u8],
    token: &Token,
) -> Result<(), StoreError> {
    let bytes = records::encode(token)?;
    tx.open_table(schema::TOKENS)?
        .insert(token_hash, bytes.as_slice())?;
    Ok(())
}

pub fn get_token(
    reader: &impl Reader,
    token_hash: &[u8],
    bytes_max: usize,
) -> Result<Option<Token>, StoreError> {
    let table = reader.table(schema::TOKENS)?;
    let Some(bytes) = table.get(token_hash)? else {
        return Ok(None);
    };
    records::decode(bytes.value(), bytes_max).map(Some)
}

pub fn remove_token(tx: &WriteTransaction, token_hash: &[u8]) -> Result<bool, StoreError> {
    Ok(tx.open_table(schema::TOKENS)?.remove(token_hash)?.is_some())
}
