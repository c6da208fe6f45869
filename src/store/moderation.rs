//! Moderation records: per-account moderation state, the pending-approval index, report
//! states, the audit log and invitations.

use redb::{ReadTransaction, ReadableTable, ReadableTableMetadata, WriteTransaction};

use super::{Page, Reader, StoreError, get_record, page_ids, put_record, schema};
use crate::model::{
    AccountId, AccountModeration, Announcement, AuditEntry, EmailBlock, Invite, IpBlock, Report,
    ReportNote, ReportState,
};

/// An account's moderation state; the default (nothing done) when absent.
pub fn get_account_moderation(
    reader: &impl Reader,
    id: AccountId,
    bytes_max: usize,
) -> Result<AccountModeration, StoreError> {
    Ok(get_record(reader, schema::ACCOUNT_MODERATION, id.0, bytes_max)?.unwrap_or_default())
}

/// Writes an account's moderation state, removing the record when nothing is left in it,
/// and keeps the pending-approval index in step.
pub fn put_account_moderation(
    tx: &WriteTransaction,
    id: AccountId,
    moderation: &AccountModeration,
) -> Result<(), StoreError> {
    if moderation.is_empty() {
        tx.open_table(schema::ACCOUNT_MODERATION)?.remove(id.0)?;
    } else {
        put_record(tx, schema::ACCOUNT_MODERATION, id.0, moderation)?;
    }
    let mut pending = tx.open_table(schema::PENDING_ACCOUNTS)?;
    if moderation.pending {
        pending.insert(id.0, ())?;
    } else {
        pending.remove(id.0)?;
    }
    Ok(())
}

pub fn pending_account_ids(reader: &impl Reader, max: usize) -> Result<Vec<u64>, StoreError> {
    let table = reader.table(schema::PENDING_ACCOUNTS)?;
    let mut ids = Vec::new();
    for entry in table.iter()?.take(max) {
        ids.push(entry?.0.value());
    }
    Ok(ids)
}

pub fn count_pending(reader: &impl Reader) -> Result<u64, StoreError> {
    Ok(reader.table(schema::PENDING_ACCOUNTS)?.len()?)
}

pub fn get_report(
    reader: &impl Reader,
    id: u64,
    bytes_max: usize,
) -> Result<Option<Report>, StoreError> {
    get_record(reader, schema::REPORTS, id, bytes_max)
}

/// A page of reports, newest first, each with its state.
pub fn page_reports(
    reader: &impl Reader,
    page: Page,
    scan_max: usize,
    bytes_max: usize,
    mut keep: impl FnMut(&Report, &ReportState) -> bool,
) -> Result<Vec<(Report, ReportState)>, StoreError> {
    page_ids(reader, schema::REPORTS, page, scan_max, |id| {
        let Some(report) = get_report(reader, id, bytes_max)? else {
            return Ok(None);
        };
        let state = get_report_state(reader, id, bytes_max)?;
        Ok::<_, StoreError>(keep(&report, &state).then_some((report, state)))
    })
}

pub fn get_report_state(
    reader: &impl Reader,
    id: u64,
    bytes_max: usize,
) -> Result<ReportState, StoreError> {
    Ok(get_record(reader, schema::REPORT_STATES, id, bytes_max)?.unwrap_or_default())
}

pub fn put_report_state(
    tx: &WriteTransaction,
    id: u64,
    state: &ReportState,
) -> Result<(), StoreError> {
    put_record(tx, schema::REPORT_STATES, id, state)
}

pub fn count_open_reports(
    reader: &impl Reader,
    max: usize,
    bytes_max: usize,
) -> Result<u64, StoreError> {
    let reports = reader.table(schema::REPORTS)?;
    let mut open = 0;
    for entry in reports.iter()?.take(max) {
        let id = entry?.0.value();
        if get_report_state(reader, id, bytes_max)?
            .resolved_ms
            .is_none()
        {
            open += 1;
        }
    }
    Ok(open)
}

pub fn append_audit(tx: &WriteTransaction, entry: &AuditEntry) -> Result<(), StoreError> {
    put_record(tx, schema::AUDIT_LOG, entry.id, entry)
}

/// A page of the audit log, newest first.
pub fn page_audit(
    reader: &impl Reader,
    page: Page,
    bytes_max: usize,
) -> Result<Vec<AuditEntry>, StoreError> {
    page_ids(reader, schema::AUDIT_LOG, page, page.limit, |id| {
        get_record(reader, schema::AUDIT_LOG, id, bytes_max)
    })
}

pub fn put_invite(tx: &WriteTransaction, invite: &Invite) -> Result<(), StoreError> {
    put_record(tx, schema::INVITES, invite.id, invite)?;
    tx.open_table(schema::INVITE_CODES)?
        .insert(invite.code.as_str(), invite.id)?;
    Ok(())
}

pub fn invite_by_code(
    reader: &impl Reader,
    code: &str,
    bytes_max: usize,
) -> Result<Option<Invite>, StoreError> {
    let Some(id) = reader
        .table(schema::INVITE_CODES)?
        .get(code)?
        .map(|id| id.value())
    else {
        return Ok(None);
    };
    get_record(reader, schema::INVITES, id, bytes_max)
}

pub fn list_invites(
    reader: &impl Reader,
    max: usize,
    bytes_max: usize,
) -> Result<Vec<Invite>, StoreError> {
    newest_records(reader, schema::INVITES, max, bytes_max)
}

/// `db check`: decodes every moderation record and follows the indexes to their records.
pub(super) fn check(
    tx: &ReadTransaction,
    bytes_max: usize,
    problems: &mut Vec<String>,
) -> Result<u64, StoreError> {
    use super::maintenance::decode_all;
    let mut checked = 0;
    checked +=
        decode_all::<AccountModeration>(tx, schema::ACCOUNT_MODERATION, bytes_max, problems)?;
    checked += decode_all::<AuditEntry>(tx, schema::AUDIT_LOG, bytes_max, problems)?;
    checked += decode_all::<ReportState>(tx, schema::REPORT_STATES, bytes_max, problems)?;
    checked += decode_all::<Invite>(tx, schema::INVITES, bytes_max, problems)?;
    checked += decode_all::<IpBlock>(tx, schema::IP_BLOCKS, bytes_max, problems)?;
    checked += decode_all::<Announcement>(tx, schema::ANNOUNCEMENTS, bytes_max, problems)?;
    for entry in tx.open_table(schema::REPORT_NOTES)?.iter()? {
        let (key, value) = entry?;
        checked += 1;
        if let Err(error) = super::records::decode::<ReportNote>(value.value(), bytes_max) {
            problems.push(format!("reportid_noteid_note {:?}: {error}", key.value()));
        }
    }
    checked += decode_all::<EmailBlock>(tx, schema::EMAIL_BLOCKS, bytes_max, problems)?;
    let accounts = tx.open_table(schema::ACCOUNTS)?;
    for entry in tx.open_table(schema::PENDING_ACCOUNTS)?.iter()? {
        let id = entry?.0.value();
        if accounts.get(id)?.is_none() {
            problems.push(format!("pending_accountid {id} has no account"));
        }
    }
    let invites = tx.open_table(schema::INVITES)?;
    for entry in tx.open_table(schema::INVITE_CODES)?.iter()? {
        let (code, id) = entry?;
        if invites.get(id.value())?.is_none() {
            problems.push(format!(
                "invitecode_inviteid {:?} points at missing invite {}",
                code.value(),
                id.value()
            ));
        }
    }
    Ok(checked)
}

/// Removes a local account that never could do anything (a rejected sign-up): its account,
/// user, key and counters and their indexes. Tokens issued at sign-up stay until they are
/// used, and then find no account (401).
pub fn remove_unused_local_account(
    tx: &WriteTransaction,
    id: AccountId,
    bytes_max: usize,
) -> Result<(), StoreError> {
    if let Some(account) = super::accounts::get_account(tx, id, bytes_max)? {
        tx.open_table(schema::ACCT_ACCOUNTID)?
            .remove(account.acct().to_lowercase().as_str())?;
    }
    if let Some(user) = super::accounts::get_user(tx, id, bytes_max)? {
        tx.open_table(schema::EMAIL_ACCOUNTID)?
            .remove(user.email.to_lowercase().as_str())?;
    }
    tx.open_table(schema::ACCOUNTS)?.remove(id.0)?;
    tx.open_table(schema::USERS)?.remove(id.0)?;
    tx.open_table(schema::KEYPAIRS)?.remove(id.0)?;
    tx.open_table(schema::ACCOUNT_COUNTS)?.remove(id.0)?;
    Ok(())
}

/// Every IP block, oldest first, up to `max`.
pub fn list_ip_blocks(
    reader: &impl Reader,
    max: usize,
    bytes_max: usize,
) -> Result<Vec<IpBlock>, StoreError> {
    let table = reader.table(schema::IP_BLOCKS)?;
    let mut out = Vec::new();
    for entry in table.iter()?.take(max) {
        out.push(super::records::decode(entry?.1.value(), bytes_max)?);
    }
    Ok(out)
}

pub fn get_ip_block(
    reader: &impl Reader,
    id: u64,
    bytes_max: usize,
) -> Result<Option<IpBlock>, StoreError> {
    get_record(reader, schema::IP_BLOCKS, id, bytes_max)
}

pub fn put_ip_block(tx: &WriteTransaction, block: &IpBlock) -> Result<(), StoreError> {
    put_record(tx, schema::IP_BLOCKS, block.id, block)
}

pub fn remove_ip_block(tx: &WriteTransaction, id: u64) -> Result<bool, StoreError> {
    Ok(tx.open_table(schema::IP_BLOCKS)?.remove(id)?.is_some())
}

pub fn email_block_by_hash(
    reader: &impl Reader,
    hash: &str,
    bytes_max: usize,
) -> Result<Option<EmailBlock>, StoreError> {
    let Some(id) = reader
        .table(schema::EMAIL_BLOCK_HASHES)?
        .get(hash)?
        .map(|id| id.value())
    else {
        return Ok(None);
    };
    get_record(reader, schema::EMAIL_BLOCKS, id, bytes_max)
}

pub fn get_email_block(
    reader: &impl Reader,
    id: u64,
    bytes_max: usize,
) -> Result<Option<EmailBlock>, StoreError> {
    get_record(reader, schema::EMAIL_BLOCKS, id, bytes_max)
}

pub fn page_email_blocks(
    reader: &impl Reader,
    page: Page,
    bytes_max: usize,
) -> Result<Vec<EmailBlock>, StoreError> {
    page_ids(reader, schema::EMAIL_BLOCKS, page, page.limit, |id| {
        get_record(reader, schema::EMAIL_BLOCKS, id, bytes_max)
    })
}

pub fn put_email_block(tx: &WriteTransaction, block: &EmailBlock) -> Result<(), StoreError> {
    put_record(tx, schema::EMAIL_BLOCKS, block.id, block)?;
    tx.open_table(schema::EMAIL_BLOCK_HASHES)?
        .insert(block.hash.as_str(), block.id)?;
    Ok(())
}

pub fn remove_email_block(tx: &WriteTransaction, block: &EmailBlock) -> Result<(), StoreError> {
    tx.open_table(schema::EMAIL_BLOCKS)?.remove(block.id)?;
    tx.open_table(schema::EMAIL_BLOCK_HASHES)?
        .remove(block.hash.as_str())?;
    Ok(())
}

/// Schedules the deletion of a suspended account's content at `purge_ms`.
pub fn schedule_purge(
    tx: &WriteTransaction,
    id: AccountId,
    purge_ms: u64,
) -> Result<(), StoreError> {
    tx.open_table(schema::SUSPENDED_ACCOUNTS)?
        .insert(id.0, purge_ms)?;
    Ok(())
}

pub fn cancel_purge(tx: &WriteTransaction, id: AccountId) -> Result<(), StoreError> {
    tx.open_table(schema::SUSPENDED_ACCOUNTS)?.remove(id.0)?;
    Ok(())
}

pub fn purge_time(reader: &impl Reader, id: AccountId) -> Result<Option<u64>, StoreError> {
    Ok(reader
        .table(schema::SUSPENDED_ACCOUNTS)?
        .get(id.0)?
        .map(|when| when.value()))
}

/// Accounts whose content is due for deletion at `now_ms`, up to `max`.
pub fn purges_due(
    reader: &impl Reader,
    now_ms: u64,
    max: usize,
) -> Result<Vec<AccountId>, StoreError> {
    let table = reader.table(schema::SUSPENDED_ACCOUNTS)?;
    let mut due = Vec::new();
    for entry in table.iter()? {
        let (id, when) = entry?;
        if when.value() <= now_ms {
            due.push(AccountId(id.value()));
            if due.len() >= max {
                break;
            }
        }
    }
    Ok(due)
}

/// Up to `max` status ids of an account, newest first.
pub fn status_ids_of(
    reader: &impl Reader,
    id: AccountId,
    max: usize,
) -> Result<Vec<u64>, StoreError> {
    let table = reader.table(schema::ACCOUNT_STATUSES)?;
    let mut out = Vec::new();
    for entry in table.range((id.0, 0)..=(id.0, u64::MAX))?.rev().take(max) {
        out.push(entry?.0.value().1);
    }
    Ok(out)
}

pub fn add_report_note(
    tx: &WriteTransaction,
    report: u64,
    note: &ReportNote,
) -> Result<(), StoreError> {
    let bytes = super::records::encode(note)?;
    tx.open_table(schema::REPORT_NOTES)?
        .insert((report, note.id), bytes.as_slice())?;
    Ok(())
}

/// A report's notes, oldest first, up to `max`.
pub fn report_notes(
    reader: &impl Reader,
    report: u64,
    max: usize,
    bytes_max: usize,
) -> Result<Vec<ReportNote>, StoreError> {
    let table = reader.table(schema::REPORT_NOTES)?;
    let mut notes = Vec::new();
    for entry in table.range((report, 0)..=(report, u64::MAX))?.take(max) {
        notes.push(super::records::decode(entry?.1.value(), bytes_max)?);
    }
    Ok(notes)
}

/// Hosts whose deliveries fail: (host, consecutive failures, first and last failure ms), most
/// failures first, up to `max`.
pub fn failing_hosts(
    reader: &impl Reader,
    max: usize,
) -> Result<Vec<(String, u32, u64, u64)>, StoreError> {
    /// Hosts looked at; a server failing to reach more than this has other problems to show.
    const SCAN_MAX: usize = 10_000;
    let table = reader.table(schema::HOSTS)?;
    let mut hosts = Vec::new();
    for entry in table.iter()?.take(SCAN_MAX) {
        let (host, (failures, first_ms, last_ms)) = {
            let (host, value) = entry?;
            (host.value().to_string(), value.value())
        };
        hosts.push((host, failures, first_ms, last_ms));
    }
    hosts.sort_by_key(|host| std::cmp::Reverse(host.1));
    hosts.truncate(max);
    Ok(hosts)
}

pub fn put_announcement(
    tx: &WriteTransaction,
    announcement: &Announcement,
) -> Result<(), StoreError> {
    put_record(tx, schema::ANNOUNCEMENTS, announcement.id, announcement)
}

pub fn remove_announcement(tx: &WriteTransaction, id: u64) -> Result<bool, StoreError> {
    Ok(tx.open_table(schema::ANNOUNCEMENTS)?.remove(id)?.is_some())
}

pub fn get_announcement(
    reader: &impl Reader,
    id: u64,
    bytes_max: usize,
) -> Result<Option<Announcement>, StoreError> {
    get_record(reader, schema::ANNOUNCEMENTS, id, bytes_max)
}

/// Every announcement, newest first, up to `max`.
pub fn list_announcements(
    reader: &impl Reader,
    max: usize,
    bytes_max: usize,
) -> Result<Vec<Announcement>, StoreError> {
    newest_records(reader, schema::ANNOUNCEMENTS, max, bytes_max)
}

/// The newest `max` records of a table, decoded from the one open table (a write
/// transaction cannot open a table twice, as a page walk that reads each record would).
fn newest_records<R: super::records::Record>(
    reader: &impl Reader,
    table: redb::TableDefinition<'static, u64, &'static [u8]>,
    max: usize,
    bytes_max: usize,
) -> Result<Vec<R>, StoreError> {
    let table = reader.table(table)?;
    let mut out = Vec::new();
    for entry in table.iter()?.rev().take(max) {
        out.push(super::records::decode(entry?.1.value(), bytes_max)?);
    }
    Ok(out)
}

pub fn mark_announcement_read(
    tx: &WriteTransaction,
    account: AccountId,
    id: u64,
) -> Result<(), StoreError> {
    tx.open_table(schema::ANNOUNCEMENT_READS)?
        .insert((account.0, id), ())?;
    Ok(())
}

pub fn announcement_read(
    reader: &impl Reader,
    account: AccountId,
    id: u64,
) -> Result<bool, StoreError> {
    Ok(reader
        .table(schema::ANNOUNCEMENT_READS)?
        .get((account.0, id))?
        .is_some())
}
