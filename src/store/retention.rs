//! Retention: what may be forgotten, in small steps. Remote statuses no local user touched,
//! remote accounts nothing refers to, dedupe records, tombstones and idempotency keys past
//! their windows.
//!
//! Every function here does one bounded step in the caller's transaction and returns where to
//! go on, so the housekeeping job commits often and never holds the writer for long.
//!
//! A remote status is *touched*, and kept whatever its age, when a local user follows its
//! author, favourited, boosted, bookmarked, pinned, voted in or replied to it, is mentioned
//! in it, or when its thread (ancestors, or replies down to `THREAD_NODES_MAX`) holds a local
//! post; and when it quotes or boosts a local status, or a kept account boosted it.

use std::collections::{HashMap, HashSet};

use redb::{ReadableTable, TableDefinition, WriteTransaction};

use super::{Reader, StoreError, accounts, records, schema, statuses};
use crate::model::{MediaId, Status, StatusId};

/// Ancestors walked up from a status when looking for a local post in its thread.
const ANCESTORS_MAX: usize = 32;
/// Replies walked down from a status when looking for a local post in its thread.
const THREAD_NODES_MAX: usize = 64;

/// What one step of status pruning did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pruned {
    /// Statuses looked at.
    pub scanned: usize,
    /// Statuses deleted.
    pub deleted: usize,
    /// Remote statuses kept because a local user touched them.
    pub touched: usize,
    /// Where the next step starts; `None` when the range is done.
    pub next: Option<u64>,
    /// The attachments of the deleted statuses: the caller drops their records and blob
    /// references in the same transaction (`app::media` owns blob reference counts).
    pub media: Vec<MediaId>,
}

/// The local accounts, and memos of what was decided in this step.
struct Touch {
    local: HashSet<u64>,
    followed_by_local: HashMap<u64, bool>,
    bookmarked: HashSet<u64>,
}

impl Touch {
    fn new(tx: &WriteTransaction) -> Result<Touch, StoreError> {
        let mut local = HashSet::new();
        for entry in tx.open_table(schema::USERS)?.iter()? {
            local.insert(entry?.0.value());
        }
        // Bookmarks and pins are made by local users only: the sets are small.
        let mut bookmarked = HashSet::new();
        for table in [schema::BOOKMARKS, schema::PINS] {
            for entry in tx.open_table(table)?.iter()? {
                bookmarked.insert(entry?.0.value().1);
            }
        }
        Ok(Touch {
            local,
            followed_by_local: HashMap::new(),
            bookmarked,
        })
    }

    fn followed_by_local(
        &mut self,
        tx: &WriteTransaction,
        account: u64,
    ) -> Result<bool, StoreError> {
        if let Some(known) = self.followed_by_local.get(&account) {
            return Ok(*known);
        }
        let mut followed = self.local.contains(&account);
        if !followed {
            for entry in tx
                .open_table(schema::FOLLOWERS_BY_ID)?
                .range((account, 0)..=(account, u64::MAX))?
            {
                if self.local.contains(&entry?.1.value()) {
                    followed = true;
                    break;
                }
            }
        }
        self.followed_by_local.insert(account, followed);
        Ok(followed)
    }

    /// Whether any value of `(status, *)` in `table` is a kept account.
    fn any_by(
        &mut self,
        tx: &WriteTransaction,
        table: TableDefinition<'static, (u64, u64), u64>,
        status: u64,
    ) -> Result<bool, StoreError> {
        let mut accounts = Vec::new();
        for entry in tx
            .open_table(table)?
            .range((status, 0)..=(status, u64::MAX))?
        {
            accounts.push(entry?.1.value());
        }
        for account in accounts {
            if self.followed_by_local(tx, account)? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    fn is_touched(
        &mut self,
        tx: &WriteTransaction,
        status: &Status,
        bytes_max: usize,
    ) -> Result<bool, StoreError> {
        let id = status.id.0;
        if self.bookmarked.contains(&id)
            || status
                .mentions
                .iter()
                .any(|mentioned| self.local.contains(&mentioned.0))
            || self.followed_by_local(tx, status.account_id.0)?
        {
            return Ok(true);
        }
        // A boost or quote of a local (or kept) status stays with it.
        for other in [status.reblog_of, status.quote_of].into_iter().flatten() {
            if let Some(original) = statuses::get_status(tx, other, bytes_max)? {
                if self.local.contains(&original.account_id.0) {
                    return Ok(true);
                }
            }
        }
        if self.any_by(tx, schema::FAVOURITERS_BY_ID, id)?
            || self.any_by(tx, schema::REBLOGGERS_BY_ID, id)?
        {
            return Ok(true);
        }
        for entry in tx
            .open_table(schema::POLL_VOTES)?
            .range((id, 0)..=(id, u64::MAX))?
        {
            if self.local.contains(&entry?.0.value().1) {
                return Ok(true);
            }
        }
        // The thread: ancestors up, replies down.
        let mut parent = status.in_reply_to_id;
        for _ in 0..ANCESTORS_MAX {
            let Some(up) = parent else { break };
            let Some(ancestor) = statuses::get_status(tx, up, bytes_max)? else {
                break;
            };
            if self.local.contains(&ancestor.account_id.0) {
                return Ok(true);
            }
            parent = ancestor.in_reply_to_id;
        }
        let mut queue = vec![StatusId(id)];
        let mut visited = 0;
        while let Some(next) = queue.pop() {
            for reply in statuses::reply_ids(tx, next, THREAD_NODES_MAX)? {
                visited += 1;
                if visited > THREAD_NODES_MAX {
                    return Ok(false);
                }
                if let Some(child) = statuses::get_status(tx, reply, bytes_max)? {
                    if self.local.contains(&child.account_id.0) {
                        return Ok(true);
                    }
                    queue.push(child.id);
                }
            }
        }
        Ok(false)
    }
}

/// Deletes remote statuses created before `cutoff_ms` that no local user touched, looking at
/// up to `scan_max` statuses from id `from` on, and deleting at most `delete_max`.
pub fn prune_statuses(
    tx: &WriteTransaction,
    from: u64,
    cutoff_ms: u64,
    scan_max: usize,
    delete_max: usize,
    bytes_max: usize,
) -> Result<Pruned, StoreError> {
    let end = crate::util::ids::id_floor_for_ms(cutoff_ms);
    let mut outcome = Pruned::default();
    if from >= end {
        return Ok(outcome);
    }
    let mut candidates = Vec::new();
    {
        let table = tx.open_table(schema::STATUSES)?;
        for entry in table.range(from..end)? {
            let (key, bytes) = entry?;
            if outcome.scanned >= scan_max || candidates.len() >= delete_max {
                outcome.next = Some(key.value());
                break;
            }
            outcome.scanned += 1;
            candidates.push(records::decode::<Status>(bytes.value(), bytes_max)?);
        }
    }
    let mut touch = Touch::new(tx)?;
    for status in candidates {
        if touch.local.contains(&status.account_id.0) {
            continue;
        }
        if touch.is_touched(tx, &status, bytes_max)? {
            outcome.touched += 1;
            continue;
        }
        delete_remote_status(tx, &status, bytes_max)?;
        outcome.media.extend(status.media_ids.iter().copied());
        outcome.deleted += 1;
    }
    Ok(outcome)
}

/// Removes a remote status with everything that hangs on it: its indexes, poll, votes,
/// favourites and boosts by remote accounts, and its author's count.
pub fn delete_remote_status(
    tx: &WriteTransaction,
    status: &Status,
    bytes_max: usize,
) -> Result<(), StoreError> {
    let id = status.id.0;
    statuses::delete_status(tx, status)?;
    tx.open_table(schema::POLLS)?.remove(id)?;
    tx.open_table(schema::POLL_VOTES)?
        .retain_in((id, 0)..=(id, u64::MAX), |_, _| false)?;
    tx.open_table(schema::REPLIES)?
        .retain_in((id, 0)..=(id, u64::MAX), |_, _| false)?;
    // Favourites by remote accounts: the three tables of the edge.
    let mut favourites = Vec::new();
    for entry in tx
        .open_table(schema::FAVOURITERS_BY_ID)?
        .range((id, 0)..=(id, u64::MAX))?
    {
        let (key, account) = entry?;
        favourites.push((key.value().1, account.value()));
    }
    for (favourite, account) in favourites {
        tx.open_table(schema::FAVOURITERS_BY_ID)?
            .remove((id, favourite))?;
        tx.open_table(schema::FAVOURITES)?.remove((account, id))?;
        tx.open_table(schema::FAVOURITES_BY_ID)?
            .remove((account, favourite))?;
    }
    // Boosts by remote accounts are statuses of their own: they go with the original.
    let mut reblogs = Vec::new();
    for entry in tx
        .open_table(schema::REBLOGGERS_BY_ID)?
        .range((id, 0)..=(id, u64::MAX))?
    {
        let (key, account) = entry?;
        reblogs.push((key.value().1, account.value()));
    }
    for (reblog, account) in reblogs {
        tx.open_table(schema::REBLOGGERS_BY_ID)?
            .remove((id, reblog))?;
        tx.open_table(schema::REBLOGS)?.remove((account, id))?;
        if let Some(boost) = statuses::get_status(tx, StatusId(reblog), bytes_max)? {
            statuses::delete_status(tx, &boost)?;
            accounts::adjust_counts(tx, boost.account_id, -1, 0, 0, None)?;
        }
    }
    if let Some(original) = status.reblog_of {
        tx.open_table(schema::REBLOGGERS_BY_ID)?
            .remove((original.0, id))?;
        tx.open_table(schema::REBLOGS)?
            .remove((status.account_id.0, original.0))?;
    }
    accounts::adjust_counts(tx, status.account_id, -1, 0, 0, None)?;
    Ok(())
}

/// What one step of account pruning did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PrunedAccounts {
    pub scanned: usize,
    pub deleted: usize,
    pub next: Option<u64>,
}

/// Deletes remote accounts that nothing refers to any more (no statuses, no follows or
/// follow requests either way, no block, mute, list membership, notification or report),
/// looking at up to `scan_max` remote accounts from id `from` on.
pub fn prune_accounts(
    tx: &WriteTransaction,
    from: u64,
    scan_max: usize,
    bytes_max: usize,
) -> Result<PrunedAccounts, StoreError> {
    let mut outcome = PrunedAccounts::default();
    let mut candidates = Vec::new();
    {
        let actors = tx.open_table(schema::REMOTE_ACTORS)?;
        for entry in actors.range(from..)? {
            let (key, _) = entry?;
            if outcome.scanned >= scan_max {
                outcome.next = Some(key.value());
                break;
            }
            outcome.scanned += 1;
            candidates.push(key.value());
        }
    }
    if candidates.is_empty() {
        return Ok(outcome);
    }
    // Relations that are only indexed from the local side: read them once per step.
    let mut referred = HashSet::new();
    for table in [schema::BLOCKS, schema::MUTES] {
        for entry in tx.open_table(table)?.iter()? {
            referred.insert(entry?.0.value().1);
        }
    }
    for entry in tx.open_table(schema::NOTIFICATIONS)?.iter()? {
        let (_, bytes) = entry?;
        if let Ok(notification) =
            records::decode::<crate::model::Notification>(bytes.value(), bytes_max)
        {
            referred.insert(notification.from_account_id.0);
        }
    }
    for entry in tx.open_table(schema::REPORTS)?.iter()? {
        let (_, bytes) = entry?;
        if let Ok(report) = records::decode::<crate::model::Report>(bytes.value(), bytes_max) {
            referred.insert(report.target.0);
            referred.insert(report.reporter.0);
        }
    }
    let mut local = HashSet::new();
    for entry in tx.open_table(schema::USERS)?.iter()? {
        local.insert(entry?.0.value());
    }
    for account in candidates {
        if referred.contains(&account) || refers(tx, account, &local)? {
            continue;
        }
        for (follower, followee) in remote_follows(tx, account)? {
            super::Edge::FOLLOW.remove(tx, follower, followee)?;
        }
        delete_remote_account(tx, account, bytes_max)?;
        outcome.deleted += 1;
    }
    Ok(outcome)
}

/// Whether anything that matters here refers to the account: its statuses, list
/// memberships, favourites, follow requests, and follows with a local account on the other
/// side (a follow between two remote accounts means nothing to this server).
fn refers(tx: &WriteTransaction, account: u64, local: &HashSet<u64>) -> Result<bool, StoreError> {
    let range = (account, 0)..=(account, u64::MAX);
    if tx
        .open_table(schema::ACCOUNT_STATUSES)?
        .range(range.clone())?
        .next()
        .is_some()
        || tx
            .open_table(schema::ACCOUNT_LISTS)?
            .range(range.clone())?
            .next()
            .is_some()
    {
        return Ok(true);
    }
    for table in [schema::FOLLOW_REQUESTS_BY_ID, schema::FAVOURITES_BY_ID] {
        if tx.open_table(table)?.range(range.clone())?.next().is_some() {
            return Ok(true);
        }
    }
    if tx
        .open_table(schema::FOLLOW_REQUESTS)?
        .range(range.clone())?
        .next()
        .is_some()
    {
        return Ok(true);
    }
    for table in [schema::FOLLOWERS_BY_ID, schema::FOLLOWING_BY_ID] {
        for entry in tx.open_table(table)?.range(range.clone())? {
            if local.contains(&entry?.1.value()) {
                return Ok(true);
            }
        }
    }
    Ok(false)
}

/// The follows between `account` and other remote accounts, both ways.
fn remote_follows(tx: &WriteTransaction, account: u64) -> Result<Vec<(u64, u64)>, StoreError> {
    let range = (account, 0)..=(account, u64::MAX);
    let mut pairs = Vec::new();
    for entry in tx
        .open_table(schema::FOLLOWERS_BY_ID)?
        .range(range.clone())?
    {
        pairs.push((entry?.1.value(), account));
    }
    for entry in tx.open_table(schema::FOLLOWING_BY_ID)?.range(range)? {
        pairs.push((account, entry?.1.value()));
    }
    Ok(pairs)
}

fn delete_remote_account(
    tx: &WriteTransaction,
    id: u64,
    bytes_max: usize,
) -> Result<(), StoreError> {
    if let Some(bytes) = tx.open_table(schema::ACCOUNTS)?.remove(id)? {
        if let Ok(account) = records::decode::<crate::model::Account>(bytes.value(), bytes_max) {
            tx.open_table(schema::ACCT_ACCOUNTID)?
                .remove(account.acct().to_lowercase().as_str())?;
        }
    }
    if let Some(bytes) = tx.open_table(schema::REMOTE_ACTORS)?.remove(id)? {
        if let Ok(actor) = records::decode::<crate::model::RemoteActor>(bytes.value(), bytes_max) {
            tx.open_table(schema::ACTOR_URI_ACCOUNTID)?
                .remove(actor.uri.as_str())?;
        }
    }
    tx.open_table(schema::ACCOUNT_COUNTS)?.remove(id)?;
    Ok(())
}

/// Removes entries of a `&str → ms` table (seen activities, tombstones) older than
/// `cutoff_ms`, looking at up to `scan_max` keys after `after`; returns how many went and the
/// last key looked at (`None` at the end).
pub fn expire_by_time(
    tx: &WriteTransaction,
    table: TableDefinition<'static, &'static str, u64>,
    after: Option<&str>,
    cutoff_ms: u64,
    scan_max: usize,
) -> Result<(usize, Option<String>), StoreError> {
    let mut expired = Vec::new();
    let mut last = None;
    let mut more = false;
    {
        let opened = tx.open_table(table)?;
        let range = match after {
            Some(after) => opened
                .range::<&str>((std::ops::Bound::Excluded(after), std::ops::Bound::Unbounded))?,
            None => opened.range::<&str>(..)?,
        };
        for (seen, entry) in range.enumerate() {
            let (key, ms) = entry?;
            if seen >= scan_max {
                more = true;
                break;
            }
            let key = key.value().to_string();
            if ms.value() < cutoff_ms {
                expired.push(key.clone());
            }
            last = Some(key);
        }
    }
    let mut opened = tx.open_table(table)?;
    for key in &expired {
        opened.remove(key.as_str())?;
    }
    Ok((expired.len(), if more { last } else { None }))
}

/// As `expire_by_time`, for a table keyed by a u64 (`SEEN_HASHES`): keys after `after`.
pub fn expire_by_time_u64(
    tx: &WriteTransaction,
    table: TableDefinition<'static, u64, u64>,
    after: Option<u64>,
    cutoff_ms: u64,
    scan_max: usize,
) -> Result<(usize, Option<u64>), StoreError> {
    let mut expired = Vec::new();
    let mut last = None;
    let mut more = false;
    {
        let opened = tx.open_table(table)?;
        let range = match after {
            Some(after) => {
                opened.range((std::ops::Bound::Excluded(after), std::ops::Bound::Unbounded))?
            }
            None => opened.range::<u64>(..)?,
        };
        for (seen, entry) in range.enumerate() {
            let (key, ms) = entry?;
            if seen >= scan_max {
                more = true;
                break;
            }
            if ms.value() < cutoff_ms {
                expired.push(key.value());
            }
            last = Some(key.value());
        }
    }
    let mut opened = tx.open_table(table)?;
    for key in &expired {
        opened.remove(*key)?;
    }
    Ok((expired.len(), if more { last } else { None }))
}

/// Removes `Idempotency-Key`s used before `cutoff_ms`. They are few (one per local post with
/// a key, for an hour), so each call walks the whole table.
pub fn expire_idempotency(tx: &WriteTransaction, cutoff_ms: u64) -> Result<usize, StoreError> {
    let mut table = tx.open_table(schema::IDEMPOTENCY)?;
    let before = redb::ReadableTableMetadata::len(&table)?;
    table.retain(|_, (_, at_ms)| at_ms >= cutoff_ms)?;
    Ok((before - redb::ReadableTableMetadata::len(&table)?) as usize)
}

/// Statuses in `reader`, for tests and tools.
pub fn count_statuses(reader: &impl Reader) -> Result<u64, StoreError> {
    use redb::ReadableTableMetadata;
    Ok(reader.table(schema::STATUSES)?.len()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Account, AccountId, RemoteActor, Visibility};
    use crate::store::Store;
    use crate::util::ids::id_floor_for_ms;

    const DAY: u64 = 24 * 3600 * 1000;
    const NOW: u64 = 1_800_000_000_000;
    const LOCAL: u64 = 1 << 40;

    fn store() -> (tempfile::TempDir, Store) {
        let directory = tempfile::tempdir().unwrap();
        let store = Store::open(&directory.path().join("test.redb"), 4 << 20, 1 << 20).unwrap();
        (directory, store)
    }

    fn remote_account(tx: &WriteTransaction, id: u64) {
        let account = Account {
            id: AccountId(id),
            username: format!("user{id}"),
            domain: Some("remote.example".into()),
            display_name: String::new(),
            note_html: String::new(),
            note_source: String::new(),
            locked: false,
            bot: false,
            discoverable: true,
            fields: vec![],
            created_ms: 1,
            suspended_ms: None,
            indexable: false,
            avatar: None,
            header: None,
        };
        accounts::put_account(tx, &account).unwrap();
        accounts::put_remote_actor(
            tx,
            &RemoteActor {
                account_id: AccountId(id),
                uri: format!("https://remote.example/users/user{id}"),
                inbox: "https://remote.example/inbox".into(),
                shared_inbox: None,
                followers: None,
                url: None,
                key_id: "k".into(),
                public_key_der: b"der".to_vec(),
                fetched_ms: 1,
            },
        )
        .unwrap();
    }

    fn status(tx: &WriteTransaction, author: u64, age_days: u64, seq: u64) -> Status {
        let status = Status {
            id: StatusId(id_floor_for_ms(NOW - age_days * DAY) + seq),
            account_id: AccountId(author),
            in_reply_to_id: None,
            in_reply_to_account_id: None,
            reblog_of: None,
            content_html: "<p>hello</p>".into(),
            text_source: String::new(),
            spoiler_text: String::new(),
            visibility: Visibility::Public,
            sensitive: false,
            language: None,
            mentions: vec![],
            tags: vec!["tag".into()],
            application_id: None,
            created_ms: NOW - age_days * DAY,
            edited_ms: None,
            quote_of: None,
            media_ids: Vec::new(),
            uri: Some(format!("https://remote.example/s/{seq}")),
        };
        statuses::insert_status(tx, &status, author == LOCAL).unwrap();
        status
    }

    /// Untouched old remote statuses and the accounts left without anything go; everything a
    /// local user touched, and everything recent, stays.
    #[test]
    fn retention_prunes_only_untouched_old_remote_content() {
        let (_directory, store) = store();
        let ids = store
            .write(|tx| {
                tx.open_table(schema::USERS)?
                    .insert(LOCAL, [0u8].as_slice())?;
                for account in [2, 3, 4, 5] {
                    remote_account(tx, account);
                }
                // Account 3 is followed by the local user.
                tx.open_table(schema::FOLLOWERS_BY_ID)?
                    .insert((3, 77), LOCAL)?;
                let untouched = status(tx, 2, 40, 1);
                let followed = status(tx, 3, 40, 2);
                let favourited = status(tx, 2, 40, 3);
                tx.open_table(schema::FAVOURITERS_BY_ID)?
                    .insert((favourited.id.0, 9), LOCAL)?;
                let recent = status(tx, 2, 1, 4);
                let local = status(tx, LOCAL, 40, 5);
                let mut reply = status(tx, 4, 40, 6);
                statuses::link_reply(tx, &mut reply, &local)?;
                let mut mention = status(tx, 2, 40, 7);
                mention.mentions = vec![AccountId(LOCAL)];
                statuses::update_status(tx, &mention)?;
                Ok::<_, StoreError>([
                    untouched.id,
                    followed.id,
                    favourited.id,
                    recent.id,
                    local.id,
                    reply.id,
                    mention.id,
                ])
            })
            .unwrap();
        let cutoff = NOW - 30 * DAY;
        let step = store
            .write(|tx| prune_statuses(tx, 0, cutoff, 2, 100, 1 << 20))
            .unwrap();
        assert_eq!(step.scanned, 2, "{step:?}");
        let next = step.next.unwrap();
        let rest = store
            .write(|tx| prune_statuses(tx, next, cutoff, 100, 100, 1 << 20))
            .unwrap();
        assert_eq!(rest.next, None);
        assert_eq!(step.deleted + rest.deleted, 1);
        assert_eq!(step.touched + rest.touched, 4, "{step:?} {rest:?}");
        store
            .read(|tx| {
                let exists =
                    |id: StatusId| statuses::get_status(tx, id, 1 << 20).map(|s| s.is_some());
                assert!(!exists(ids[0])?);
                assert_eq!(
                    statuses::status_id_by_uri(tx, "https://remote.example/s/1")?,
                    None
                );
                for kept in &ids[1..] {
                    assert!(exists(*kept)?, "{kept:?}");
                }
                Ok::<_, StoreError>(())
            })
            .unwrap();
        // Account 5 never posted: it goes; 2 (statuses left), 3 (followed), 4 (a status) stay.
        let pruned = store
            .write(|tx| prune_accounts(tx, 0, 100, 1 << 20))
            .unwrap();
        assert_eq!(pruned.deleted, 1);
        store
            .read(|tx| {
                assert!(accounts::get_account(tx, AccountId(5), 1 << 20)?.is_none());
                assert!(accounts::account_id_by_acct(tx, "user5@remote.example")?.is_none());
                for kept in [2, 3, 4] {
                    assert!(accounts::get_account(tx, AccountId(kept), 1 << 20)?.is_some());
                }
                Ok::<_, StoreError>(())
            })
            .unwrap();
        // No index points at what was pruned (the hand-made edges above lack their other
        // halves, which `check` also reports).
        let (problems, _) = store.check().unwrap();
        assert!(
            !problems.iter().any(|problem| problem.contains("missing")),
            "{problems:?}"
        );
    }

    #[test]
    fn dedupe_records_expire_after_their_window_in_steps() {
        let (_directory, store) = store();
        store
            .write(|tx| {
                let mut seen = tx.open_table(schema::SEEN_ACTIVITIES)?;
                for n in 0..10u64 {
                    seen.insert(
                        format!("https://a.example/{n}").as_str(),
                        if n % 2 == 0 { 1 } else { NOW },
                    )?;
                }
                Ok::<_, StoreError>(())
            })
            .unwrap();
        let mut cursor = None;
        let mut expired = 0;
        let mut steps = 0;
        loop {
            let (count, next) = store
                .write(|tx| {
                    expire_by_time(tx, schema::SEEN_ACTIVITIES, cursor.as_deref(), NOW - DAY, 3)
                })
                .unwrap();
            expired += count;
            steps += 1;
            cursor = next;
            if cursor.is_none() {
                break;
            }
        }
        assert_eq!(expired, 5);
        assert_eq!(steps, 4);
        let left = store
            .read(|tx| {
                Ok::<_, StoreError>(redb::ReadableTableMetadata::len(
                    &tx.open_table(schema::SEEN_ACTIVITIES)?,
                )?)
            })
            .unwrap();
        assert_eq!(left, 5);
    }
}
