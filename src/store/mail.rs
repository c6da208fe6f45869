//! The durable mail queue, the single-use tokens that e-mailed links carry, and the server
//! rules that admins edit.
//!
//! Architecture Invariant: a token is stored only as the SHA-256 of its secret, and removed
//! in the transaction that uses it.

use redb::{ReadableTable, ReadableTableMetadata, WriteTransaction};

use super::{Reader, StoreError, get_record, put_record, records, schema};
use crate::model::{EmailToken, Mail, Rule};

pub fn put_mail(tx: &WriteTransaction, mail: &Mail) -> Result<(), StoreError> {
    put_record(tx, schema::MAILS, mail.id, mail)
}

pub fn get_mail(
    reader: &impl Reader,
    id: u64,
    bytes_max: usize,
) -> Result<Option<Mail>, StoreError> {
    get_record(reader, schema::MAILS, id, bytes_max)
}

pub fn remove_mail(tx: &WriteTransaction, id: u64) -> Result<(), StoreError> {
    tx.open_table(schema::MAILS)?.remove(id)?;
    Ok(())
}

/// Mail due at `now_ms`, oldest first, up to `max` (the queue is scanned: it stays small).
pub fn due_mails(
    reader: &impl Reader,
    now_ms: u64,
    max: usize,
    bytes_max: usize,
) -> Result<Vec<Mail>, StoreError> {
    let mut out = Vec::new();
    for entry in reader.table(schema::MAILS)?.iter()? {
        let mail: Mail = records::decode(entry?.1.value(), bytes_max)?;
        if mail.due_ms <= now_ms {
            out.push(mail);
            if out.len() >= max {
                break;
            }
        }
    }
    Ok(out)
}

pub fn queued_mails(reader: &impl Reader) -> Result<u64, StoreError> {
    Ok(reader.table(schema::MAILS)?.len()?)
}

pub fn put_token(tx: &WriteTransaction, hash: &[u8], token: &EmailToken) -> Result<(), StoreError> {
    let bytes = records::encode(token)?;
    tx.open_table(schema::EMAIL_TOKENS)?
        .insert(hash, bytes.as_slice())?;
    Ok(())
}

pub fn get_token(
    reader: &impl Reader,
    hash: &[u8],
    bytes_max: usize,
) -> Result<Option<EmailToken>, StoreError> {
    match reader.table(schema::EMAIL_TOKENS)?.get(hash)? {
        Some(bytes) => Ok(Some(records::decode(bytes.value(), bytes_max)?)),
        None => Ok(None),
    }
}

pub fn remove_token(tx: &WriteTransaction, hash: &[u8]) -> Result<(), StoreError> {
    tx.open_table(schema::EMAIL_TOKENS)?.remove(hash)?;
    Ok(())
}

/// Removes up to `max` tokens that expired before `now_ms`; returns how many.
pub fn remove_expired_tokens(
    tx: &WriteTransaction,
    now_ms: u64,
    max: usize,
    bytes_max: usize,
) -> Result<usize, StoreError> {
    let mut expired = Vec::new();
    {
        let table = tx.open_table(schema::EMAIL_TOKENS)?;
        for entry in table.iter()? {
            let (hash, bytes) = entry?;
            let token: EmailToken = records::decode(bytes.value(), bytes_max)?;
            if token.expires_ms < now_ms {
                expired.push(hash.value().to_vec());
                if expired.len() >= max {
                    break;
                }
            }
        }
    }
    for hash in &expired {
        remove_token(tx, hash)?;
    }
    Ok(expired.len())
}

pub fn put_rule(tx: &WriteTransaction, rule: &Rule) -> Result<(), StoreError> {
    put_record(tx, schema::RULES, rule.id, rule)
}

pub fn remove_rule(tx: &WriteTransaction, id: u64) -> Result<bool, StoreError> {
    Ok(tx.open_table(schema::RULES)?.remove(id)?.is_some())
}

/// The rules in order (by id), up to `max`.
pub fn rules(reader: &impl Reader, max: usize, bytes_max: usize) -> Result<Vec<Rule>, StoreError> {
    let mut out = Vec::new();
    for entry in reader.table(schema::RULES)?.iter()?.take(max) {
        out.push(records::decode(entry?.1.value(), bytes_max)?);
    }
    Ok(out)
}
