//! Accounts, local users, their keys and counters.

use redb::{ReadableTable, WriteTransaction};

use super::{Reader, StoreError, get_record, put_record, schema};
use crate::model::{Account, AccountId, LocalUser};

/// Statuses, followers and following of an account, and when it last posted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AccountCounts {
    pub statuses: u32,
    pub followers: u32,
    pub following: u32,
    pub last_status_ms: u64,
}

pub fn put_account(tx: &WriteTransaction, account: &Account) -> Result<(), StoreError> {
    put_record(tx, schema::ACCOUNTS, account.id.0, account)?;
    tx.open_table(schema::ACCT_ACCOUNTID)?
        .insert(account.acct().to_lowercase().as_str(), account.id.0)?;
    Ok(())
}

pub fn get_account(
    reader: &impl Reader,
    id: AccountId,
    bytes_max: usize,
) -> Result<Option<Account>, StoreError> {
    get_record(reader, schema::ACCOUNTS, id.0, bytes_max)
}

/// The account with this `acct` (`user` or `user@host`), case-insensitively.
pub fn account_id_by_acct(
    reader: &impl Reader,
    acct: &str,
) -> Result<Option<AccountId>, StoreError> {
    Ok(reader
        .table(schema::ACCT_ACCOUNTID)?
        .get(acct.to_lowercase().as_str())?
        .map(|id| AccountId(id.value())))
}

/// Accounts whose `acct` starts with `prefix` (lowercased), up to `limit`.
pub fn account_ids_by_acct_prefix(
    reader: &impl Reader,
    prefix: &str,
    limit: usize,
) -> Result<Vec<AccountId>, StoreError> {
    let prefix = prefix.to_lowercase();
    let table = reader.table(schema::ACCT_ACCOUNTID)?;
    let mut out = Vec::new();
    for entry in table.range(prefix.as_str()..)? {
        let (acct, id) = entry?;
        if !acct.value().starts_with(&prefix) || out.len() >= limit {
            break;
        }
        out.push(AccountId(id.value()));
    }
    Ok(out)
}

pub fn put_user(tx: &WriteTransaction, user: &LocalUser) -> Result<(), StoreError> {
    put_record(tx, schema::USERS, user.account_id.0, user)?;
    tx.open_table(schema::EMAIL_ACCOUNTID)?
        .insert(user.email.to_lowercase().as_str(), user.account_id.0)?;
    Ok(())
}

pub fn get_user(
    reader: &impl Reader,
    id: AccountId,
    bytes_max: usize,
) -> Result<Option<LocalUser>, StoreError> {
    get_record(reader, schema::USERS, id.0, bytes_max)
}

pub fn account_id_by_email(
    reader: &impl Reader,
    email: &str,
) -> Result<Option<AccountId>, StoreError> {
    Ok(reader
        .table(schema::EMAIL_ACCOUNTID)?
        .get(email.to_lowercase().as_str())?
        .map(|id| AccountId(id.value())))
}

/// Local users on this instance.
pub fn count_users(reader: &impl Reader) -> Result<u64, StoreError> {
    use redb::ReadableTableMetadata;
    Ok(reader.table(schema::USERS)?.len()?)
}

/// Ids of local users, in id order, up to `max`.
pub fn local_user_ids(reader: &impl Reader, max: usize) -> Result<Vec<AccountId>, StoreError> {
    let table = reader.table(schema::USERS)?;
    let mut out = Vec::new();
    for entry in table.iter()?.take(max) {
        out.push(AccountId(entry?.0.value()));
    }
    Ok(out)
}

pub fn put_private_key(
    tx: &WriteTransaction,
    id: AccountId,
    pkcs8_der: &[u8],
) -> Result<(), StoreError> {
    tx.open_table(schema::KEYPAIRS)?.insert(id.0, pkcs8_der)?;
    Ok(())
}

pub fn get_private_key(reader: &impl Reader, id: AccountId) -> Result<Option<Vec<u8>>, StoreError> {
    Ok(reader
        .table(schema::KEYPAIRS)?
        .get(id.0)?
        .map(|der| der.value().to_vec()))
}

pub fn get_counts(reader: &impl Reader, id: AccountId) -> Result<AccountCounts, StoreError> {
    let table = reader.table(schema::ACCOUNT_COUNTS)?;
    Ok(table
        .get(id.0)?
        .map_or_else(AccountCounts::default, |value| {
            let (statuses, followers, following, last_status_ms) = value.value();
            AccountCounts {
                statuses,
                followers,
                following,
                last_status_ms,
            }
        }))
}

/// Changes an account's counters by the given deltas (never below zero).
pub fn adjust_counts(
    tx: &WriteTransaction,
    id: AccountId,
    statuses: i32,
    followers: i32,
    following: i32,
    last_status_ms: Option<u64>,
) -> Result<(), StoreError> {
    let mut counts = get_counts(tx, id)?;
    counts.statuses = counts.statuses.saturating_add_signed(statuses);
    counts.followers = counts.followers.saturating_add_signed(followers);
    counts.following = counts.following.saturating_add_signed(following);
    if let Some(ms) = last_status_ms {
        counts.last_status_ms = counts.last_status_ms.max(ms);
    }
    tx.open_table(schema::ACCOUNT_COUNTS)?.insert(
        id.0,
        (
            counts.statuses,
            counts.followers,
            counts.following,
            counts.last_status_ms,
        ),
    )?;
    Ok(())
}

pub fn put_remote_actor(
    tx: &WriteTransaction,
    actor: &crate::model::RemoteActor,
) -> Result<(), StoreError> {
    put_record(tx, schema::REMOTE_ACTORS, actor.account_id.0, actor)?;
    tx.open_table(schema::ACTOR_URI_ACCOUNTID)?
        .insert(actor.uri.as_str(), actor.account_id.0)?;
    Ok(())
}

pub fn get_remote_actor(
    reader: &impl Reader,
    id: AccountId,
    bytes_max: usize,
) -> Result<Option<crate::model::RemoteActor>, StoreError> {
    get_record(reader, schema::REMOTE_ACTORS, id.0, bytes_max)
}

pub fn account_id_by_actor_uri(
    reader: &impl Reader,
    uri: &str,
) -> Result<Option<AccountId>, StoreError> {
    Ok(reader
        .table(schema::ACTOR_URI_ACCOUNTID)?
        .get(uri)?
        .map(|id| AccountId(id.value())))
}

/// Hosts of known remote accounts, in order, after looking at at most `scan_max` accounts.
pub fn known_hosts(reader: &impl Reader, scan_max: usize) -> Result<Vec<String>, StoreError> {
    let table = reader.table(schema::ACCT_ACCOUNTID)?;
    let mut hosts = std::collections::BTreeSet::new();
    for entry in table.iter()?.take(scan_max) {
        let (acct, _) = entry?;
        if let Some((_, host)) = acct.value().split_once('@') {
            hosts.insert(host.to_string());
        }
    }
    Ok(hosts.into_iter().collect())
}

/// Account ids (local and remote), newest first, up to `max`.
pub fn newest_account_ids(reader: &impl Reader, max: usize) -> Result<Vec<AccountId>, StoreError> {
    let table = reader.table(schema::ACCOUNTS)?;
    let mut out = Vec::new();
    for entry in table.iter()?.rev().take(max) {
        out.push(AccountId(entry?.0.value()));
    }
    Ok(out)
}
