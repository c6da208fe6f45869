//! The embedded database (redb): tables, records, indexes and their invariants.
//!
//! May import `model`, `util`. Never awaits and never touches the network (DESIGN.md): the
//! `app` layer runs these functions on blocking threads.
//!
//! Architecture Invariant: a write is one redb transaction with two-phase commit and
//! `Durability::Immediate`, so a commit that returned is on disk, and a crash before it
//! leaves nothing half-done. The functions below take a transaction and never commit.

pub mod dictionaries;
mod edges;
pub mod growth;
pub mod maintenance;
pub mod meta;
pub mod records;
pub mod retention;
pub mod schema;

pub mod accounts;
pub mod client_state;
pub mod domains;
pub mod emoji;
pub mod filters;
pub mod lists;
pub mod mail;
pub mod media;
pub mod moderation;
pub mod notifications;
pub mod oauth;
pub mod push;
pub mod queues;
pub mod reactions;
pub mod relays;
pub mod sessions;
pub mod social;
pub mod statuses;
pub mod timelines;

use std::path::Path;

pub use edges::{
    Edge, follow_activity, mute_hides_notifications, put_follow_activity,
    set_mute_hides_notifications,
};
pub use records::Record;

use crate::model;
use redb::{
    Key, ReadTransaction, ReadableDatabase, ReadableTable, TableDefinition, Value, WriteTransaction,
};

/// Errors of the store, for callers to match on.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Database(#[from] redb::DatabaseError),
    #[error("transaction: {0}")]
    Transaction(#[from] redb::TransactionError),
    #[error("table: {0}")]
    Table(#[from] redb::TableError),
    #[error("storage: {0}")]
    Storage(#[from] redb::StorageError),
    #[error("commit failed: {0}")]
    Commit(#[from] redb::CommitError),
    #[error("cannot encode {kind}: {reason}")]
    Encode { kind: &'static str, reason: String },
    #[error("corrupt {kind} record: {reason}")]
    Corrupt { kind: &'static str, reason: String },
    #[error("invalid {kind} record: {reason}")]
    InvalidRecord {
        kind: &'static str,
        reason: &'static str,
    },
    #[error(
        "the database has schema version {found}, newer than this build's {supported}; upgrade Skerry"
    )]
    SchemaTooNew { found: u64, supported: u64 },
    #[error("backup: {0}")]
    Backup(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// The database handle. Cheap to share behind the `App`'s `Arc`.
pub struct Store {
    db: redb::Database,
    /// The database file, for its size (the disk budget bounds it).
    path: std::path::PathBuf,
    /// Largest decompressed record accepted when decoding.
    pub record_bytes_max: usize,
    /// The trained dictionaries of this database, swapped whole when one is trained; every
    /// transaction's closure sees the set of its start (`records::with_dictionaries`).
    dictionaries: std::sync::RwLock<std::sync::Arc<records::Dictionaries>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("Store").finish_non_exhaustive()
    }
}

impl Store {
    /// Opens (or creates) the database, creates missing tables and runs migrations.
    pub fn open(
        path: &Path,
        cache_bytes: usize,
        record_bytes_max: usize,
    ) -> Result<Store, StoreError> {
        use std::os::unix::fs::PermissionsExt;
        // The file holds password hashes and private keys: owner-only from the start.
        if let Some(parent) = path
            .parent()
            .filter(|parent| !parent.as_os_str().is_empty())
        {
            if !parent.exists() {
                std::fs::create_dir_all(parent)?;
                std::fs::set_permissions(parent, std::fs::Permissions::from_mode(0o700))?;
            }
        }
        let is_new = !path.exists();
        let db = redb::Database::builder()
            .set_cache_size(cache_bytes)
            .create(path)?;
        if is_new {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
        }
        let store = Store {
            db,
            path: path.to_path_buf(),
            record_bytes_max,
            dictionaries: std::sync::RwLock::default(),
        };
        let found = store.create_tables()?;
        // Migrations that rewrite records decode and encode them with the dictionaries.
        store.load_dictionaries()?;
        store.migrate(found)?;
        Ok(store)
    }

    /// Creates every table of the schema and returns the schema version the database had
    /// (`None`: a new one, now at `SCHEMA_VERSION`). Migrations of a single transaction run
    /// here; a database written by a newer Skerry is refused rather than misread.
    fn create_tables(&self) -> Result<Option<u64>, StoreError> {
        self.write(|tx| {
            struct Create<'t>(&'t WriteTransaction);
            impl schema::TableVisitor for Create<'_> {
                fn visit<K: Key + 'static, V: Value + 'static>(
                    &mut self,
                    table: TableDefinition<'static, K, V>,
                ) -> Result<(), StoreError> {
                    self.0.open_table(table)?;
                    Ok(())
                }
            }
            schema::visit_tables(&mut Create(tx))?;
            let found = schema_version(tx)?;
            match found {
                None => set_schema_version(tx, schema::SCHEMA_VERSION)?,
                Some(version) if version > schema::SCHEMA_VERSION => {
                    return Err(StoreError::SchemaTooNew {
                        found: version,
                        supported: schema::SCHEMA_VERSION,
                    });
                }
                // Version 1 is the first.
                Some(version) => {
                    if version < 2 {
                        migrate_uri_index(tx)?;
                        set_schema_version(tx, 2)?;
                    }
                }
            }
            Ok(found)
        })
    }

    /// Brings the data of a database that had schema version `found` to `SCHEMA_VERSION`, in
    /// bounded transactions; each step is resumable, so a crash in the middle leaves a
    /// database that the next open finishes. The version is set when all steps are done.
    fn migrate(&self, found: Option<u64>) -> Result<(), StoreError> {
        let Some(version) = found else {
            return Ok(());
        };
        if version < 3 {
            while self.write(|tx| migrate_status_uris(tx, self.record_bytes_max))? {}
            let mut from = Some(0);
            while let Some(start) = from {
                from = self.write(|tx| migrate_card_index(tx, start))?;
            }
            let mut from = Some(0);
            while let Some(start) = from {
                from = self.write(|tx| migrate_actor_keys(tx, start, self.record_bytes_max))?;
            }
            while self.write(migrate_tombstones)? {}
            self.write(|tx| {
                tx.delete_table(schema::LEGACY_STATUS_URIS)?;
                tx.delete_table(schema::LEGACY_CARD_STATUSES)?;
                tx.delete_table(schema::LEGACY_TOMBSTONES)?;
                // The remote-actor dictionary learnt PEM text, which no record holds now: with
                // no active one, the next housekeeping round trains one on the DER records
                // (`dictionary_due`) and its rewrite pass moves them; the old one stays until
                // then for the records that name it.
                tx.open_table(schema::META)?
                    .remove(dictionaries::meta_key("remote_actor").as_str())?;
                set_schema_version(tx, 3)
            })?;
            self.load_dictionaries()?;
        }
        Ok(())
    }

    /// Runs `change` in one write transaction and commits it durably (two-phase commit,
    /// `Durability::Immediate`). Nothing is written if `change` fails.
    pub fn write<T, E: From<StoreError>>(
        &self,
        change: impl FnOnce(&WriteTransaction) -> Result<T, E>,
    ) -> Result<T, E> {
        let mut tx = self.db.begin_write().map_err(StoreError::from)?;
        // redb's maintainers advise two-phase commit for databases fed with hostile input.
        tx.set_two_phase_commit(true);
        let value = records::with_dictionaries(self.dictionaries(), || change(&tx))?;
        tx.commit().map_err(StoreError::from)?;
        Ok(value)
    }

    /// Runs `query` on a consistent snapshot.
    pub fn read<T, E: From<StoreError>>(
        &self,
        query: impl FnOnce(&ReadTransaction) -> Result<T, E>,
    ) -> Result<T, E> {
        let tx = self.db.begin_read().map_err(StoreError::from)?;
        records::with_dictionaries(self.dictionaries(), || query(&tx))
    }

    /// The dictionaries records of this database may name.
    pub fn dictionaries(&self) -> std::sync::Arc<records::Dictionaries> {
        self.dictionaries
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// The database file's redb handle, for maintenance (stats, backup).
    pub(crate) fn database(&self) -> &redb::Database {
        &self.db
    }
}

/// Schema 1 to 2: the URI → status index becomes (hash of the URI, status id) with an empty
/// value, so a remote status's URI is stored once (`LEGACY_STATUS_URIS`).
fn migrate_uri_index(tx: &WriteTransaction) -> Result<(), StoreError> {
    const OLD: TableDefinition<'static, &str, u64> = TableDefinition::new("uri_statusid");
    let mut index = tx.open_table(schema::URIHASH_STATUSID)?;
    for entry in tx.open_table(schema::LEGACY_STATUS_URIS)?.iter()? {
        let (id, uri) = entry?;
        index.insert((statuses::uri_hash(uri.value()), id.value()), ())?;
    }
    drop(index);
    tx.delete_table(OLD)?;
    Ok(())
}

/// Statuses moved per transaction by the version-3 migration: a few MB of dirty pages.
const MIGRATION_BATCH: usize = 2_000;

/// Schema 2 to 3, one batch: moves the URIs of up to `MIGRATION_BATCH` remote statuses from
/// `LEGACY_STATUS_URIS` into their records (`Status::uri`), re-encoded with the active status
/// dictionary, and removes their rows. Returns whether rows were left to move. A URI whose
/// status is gone loses its hash index entry too.
fn migrate_status_uris(tx: &WriteTransaction, bytes_max: usize) -> Result<bool, StoreError> {
    let mut uris = tx.open_table(schema::LEGACY_STATUS_URIS)?;
    let mut batch = Vec::with_capacity(MIGRATION_BATCH);
    for entry in uris.iter()?.take(MIGRATION_BATCH) {
        let (id, uri) = entry?;
        batch.push((id.value(), uri.value().to_string()));
    }
    for (id, uri) in &batch {
        match statuses::get_status(tx, model::StatusId(*id), bytes_max)? {
            Some(mut status) => {
                status.uri = Some(uri.clone());
                statuses::update_status(tx, &status)?;
            }
            None => {
                tx.open_table(schema::URIHASH_STATUSID)?
                    .remove((statuses::uri_hash(uri), *id))?;
            }
        }
        uris.remove(*id)?;
    }
    Ok(redb::ReadableTableMetadata::len(&uris)? > 0)
}

/// Schema 2 to 3, one batch: indexes the card links of up to `MIGRATION_BATCH` statuses from
/// `from` on by the URL's hash (`CARD_URLHASH_STATUSES`, rebuilt from `STATUS_CARDS`; the
/// old index by URL text is deleted after the last batch). Returns where to go on.
fn migrate_card_index(tx: &WriteTransaction, from: u64) -> Result<Option<u64>, StoreError> {
    let links = tx.open_table(schema::STATUS_CARDS)?;
    let mut index = tx.open_table(schema::CARD_URLHASH_STATUSES)?;
    for (seen, entry) in links.range(from..)?.enumerate() {
        let (status, url) = entry?;
        if seen >= MIGRATION_BATCH {
            return Ok(Some(status.value()));
        }
        index.insert((statuses::uri_hash(url.value()), status.value()), ())?;
    }
    Ok(None)
}

/// Schema 2 to 3, one batch: up to `MIGRATION_BATCH` tombstones from `LEGACY_TOMBSTONES` to
/// `TOMBSTONE_HASHES` (keyed by the URI's hash), the later time kept if both have one.
/// Returns whether rows were left to move.
fn migrate_tombstones(tx: &WriteTransaction) -> Result<bool, StoreError> {
    let mut old = tx.open_table(schema::LEGACY_TOMBSTONES)?;
    let mut batch = Vec::with_capacity(MIGRATION_BATCH);
    for entry in old.iter()?.take(MIGRATION_BATCH) {
        let (uri, deleted_ms) = entry?;
        batch.push((uri.value().to_string(), deleted_ms.value()));
    }
    let mut hashes = tx.open_table(schema::TOMBSTONE_HASHES)?;
    for (uri, deleted_ms) in &batch {
        let hash = statuses::uri_hash(uri);
        let known = hashes.get(hash)?.map_or(0, |value| value.value());
        hashes.insert(hash, known.max(*deleted_ms))?;
        old.remove(uri.as_str())?;
    }
    Ok(redb::ReadableTableMetadata::len(&old)? > 0)
}

/// A remote actor's record as schema version 2 wrote it: the key as PEM text, where version
/// 3 has its DER (`model::RemoteActor::public_key_der`).
#[derive(serde::Serialize, serde::Deserialize)]
struct RemoteActorV2 {
    account_id: model::AccountId,
    uri: String,
    inbox: String,
    shared_inbox: Option<String>,
    followers: Option<String>,
    url: Option<String>,
    key_id: String,
    public_key_pem: String,
    fetched_ms: u64,
}

impl Record for RemoteActorV2 {
    const KIND: &'static str = "remote_actor";
}

/// Schema 2 to 3, one batch: remote actors' keys from PEM to DER, for up to
/// `MIGRATION_BATCH` actors from `from` on; returns where to go on. A record that does not
/// read as version 2 was moved already (by a batch before a crash) and is left alone; one that
/// does is rewritten, which is idempotent: a key whose PEM does not decode is kept as its
/// bytes, and so is a DER that happens to read as text.
fn migrate_actor_keys(
    tx: &WriteTransaction,
    from: u64,
    bytes_max: usize,
) -> Result<Option<u64>, StoreError> {
    let mut moved = Vec::new();
    let mut next = None;
    {
        let actors = tx.open_table(schema::REMOTE_ACTORS)?;
        for (seen, entry) in actors.range(from..)?.enumerate() {
            let (key, bytes) = entry?;
            if seen >= MIGRATION_BATCH {
                next = Some(key.value());
                break;
            }
            let Ok(old) = records::decode::<RemoteActorV2>(bytes.value(), bytes_max) else {
                continue;
            };
            moved.push(model::RemoteActor {
                account_id: old.account_id,
                uri: old.uri,
                inbox: old.inbox,
                shared_inbox: old.shared_inbox,
                followers: old.followers,
                url: old.url,
                key_id: old.key_id,
                public_key_der: crate::util::pem::public_key_der(&old.public_key_pem)
                    .unwrap_or_else(|| old.public_key_pem.into_bytes()),
                fetched_ms: old.fetched_ms,
            });
        }
    }
    for actor in &moved {
        put_record(tx, schema::REMOTE_ACTORS, actor.account_id.0, actor)?;
    }
    Ok(next)
}

fn schema_version(reader: &impl Reader) -> Result<Option<u64>, StoreError> {
    let meta = reader.table(schema::META)?;
    let Some(value) = meta.get("schema_version")? else {
        return Ok(None);
    };
    let bytes: [u8; 8] = value.value().try_into().map_err(|_| StoreError::Corrupt {
        kind: "meta",
        reason: "schema_version is not 8 bytes".into(),
    })?;
    Ok(Some(u64::from_be_bytes(bytes)))
}

fn set_schema_version(tx: &WriteTransaction, version: u64) -> Result<(), StoreError> {
    tx.open_table(schema::META)?
        .insert("schema_version", version.to_be_bytes().as_slice())?;
    Ok(())
}

/// Read access that read and write transactions share, so one query function serves both.
pub trait Reader {
    fn table<K: Key + 'static, V: Value + 'static>(
        &self,
        table: TableDefinition<'static, K, V>,
    ) -> Result<impl ReadableTable<K, V>, StoreError>;
}

impl Reader for ReadTransaction {
    fn table<K: Key + 'static, V: Value + 'static>(
        &self,
        table: TableDefinition<'static, K, V>,
    ) -> Result<impl ReadableTable<K, V>, StoreError> {
        Ok(self.open_table(table)?)
    }
}

impl Reader for WriteTransaction {
    fn table<K: Key + 'static, V: Value + 'static>(
        &self,
        table: TableDefinition<'static, K, V>,
    ) -> Result<impl ReadableTable<K, V>, StoreError> {
        Ok(self.open_table(table)?)
    }
}

/// A page request on an id-ordered list, as Mastodon's `max_id` / `since_id` / `min_id` /
/// `limit`: newest first, except that `min_id` pages forward from the oldest after it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Page {
    /// Only ids strictly below.
    pub max_id: Option<u64>,
    /// Only ids strictly above (newest first).
    pub since_id: Option<u64>,
    /// Only ids strictly above, the ones right after it.
    pub min_id: Option<u64>,
    pub limit: usize,
}

impl Page {
    pub fn newest(limit: usize) -> Page {
        Page {
            limit,
            ..Page::default()
        }
    }

    /// The id range this page covers, as bounds on the second half of a pair key.
    fn bounds(&self) -> (u64, u64) {
        let low = self
            .min_id
            .or(self.since_id)
            .map_or(0, |id| id.saturating_add(1));
        let high = self.max_id.map_or(u64::MAX, |id| id.saturating_sub(1));
        (low, high)
    }

    /// Whether to scan from the low end (min_id) rather than the newest.
    pub fn ascending(&self) -> bool {
        self.min_id.is_some()
    }
}

/// Walks `(prefix, id)` keys of `table` within `page`, newest first, and keeps what `keep`
/// maps to `Some`, up to `page.limit`. `scan_max` bounds the walk when `keep` filters.
pub fn page_pairs<V: Value + 'static, T, E: From<StoreError>>(
    reader: &impl Reader,
    table: TableDefinition<'static, (u64, u64), V>,
    prefix: u64,
    page: Page,
    scan_max: usize,
    mut keep: impl FnMut(u64, V::SelfType<'_>) -> Result<Option<T>, E>,
) -> Result<Vec<T>, E> {
    let (low, high) = page.bounds();
    if low > high || page.limit == 0 {
        return Ok(Vec::new());
    }
    let table = reader.table(table)?;
    let range = table
        .range((prefix, low)..=(prefix, high))
        .map_err(StoreError::from)?;
    collect_page(range, page, scan_max, |key, value| keep(key.1, value))
}

/// As `page_pairs`, over a table keyed by a plain id.
pub fn page_ids<V: Value + 'static, T, E: From<StoreError>>(
    reader: &impl Reader,
    table: TableDefinition<'static, u64, V>,
    page: Page,
    scan_max: usize,
    mut keep: impl FnMut(u64) -> Result<Option<T>, E>,
) -> Result<Vec<T>, E> {
    let (low, high) = page.bounds();
    if low > high || page.limit == 0 {
        return Ok(Vec::new());
    }
    let table = reader.table(table)?;
    let range = table.range(low..=high).map_err(StoreError::from)?;
    collect_page(range, page, scan_max, |key, _| keep(key))
}

/// Walks a range from the end the page asks for, keeping at most `page.limit` items after
/// looking at at most `scan_max` entries; the result is newest first either way.
fn collect_page<K: Key + 'static, V: Value + 'static, T, E: From<StoreError>>(
    range: redb::Range<'_, K, V>,
    page: Page,
    scan_max: usize,
    mut keep: impl FnMut(K::SelfType<'_>, V::SelfType<'_>) -> Result<Option<T>, E>,
) -> Result<Vec<T>, E> {
    let mut out = Vec::with_capacity(page.limit.min(64));
    let entries: Box<dyn Iterator<Item = _>> = if page.ascending() {
        Box::new(range)
    } else {
        Box::new(range.rev())
    };
    for entry in entries.take(scan_max) {
        let (key, value) = entry.map_err(StoreError::from)?;
        if let Some(item) = keep(key.value(), value.value())? {
            out.push(item);
            if out.len() >= page.limit {
                break;
            }
        }
    }
    if page.ascending() {
        out.reverse();
    }
    Ok(out)
}

/// Reads and decodes one record.
pub fn get_record<R: Record>(
    reader: &impl Reader,
    table: TableDefinition<'static, u64, &'static [u8]>,
    id: u64,
    bytes_max: usize,
) -> Result<Option<R>, StoreError> {
    let table = reader.table(table)?;
    let Some(bytes) = table.get(id)? else {
        return Ok(None);
    };
    records::decode(bytes.value(), bytes_max).map(Some)
}

/// Encodes and writes one record.
pub fn put_record<R: Record>(
    tx: &WriteTransaction,
    table: TableDefinition<'static, u64, &'static [u8]>,
    id: u64,
    record: &R,
) -> Result<(), StoreError> {
    let bytes = records::encode(record)?;
    tx.open_table(table)?.insert(id, bytes.as_slice())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, Store) {
        let directory = tempfile::tempdir().unwrap();
        let store = Store::open(&directory.path().join("test.redb"), 4 << 20, 1 << 20).unwrap();
        (directory, store)
    }

    /// Tombstones of schema 2 (by URI) move to their hashes in batches when the database is
    /// opened; a URI tombstoned in both keeps the later time; the old table goes.
    #[test]
    fn schema_2_tombstones_move_to_their_hashes() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("test.redb");
        let store = Store::open(&path, 4 << 20, 1 << 20).unwrap();
        let count = MIGRATION_BATCH + 500;
        store
            .write(|tx| {
                set_schema_version(tx, 2)?;
                let mut old = tx.open_table(schema::LEGACY_TOMBSTONES)?;
                for n in 0..count {
                    old.insert(format!("https://a.example/notes/{n}").as_str(), n as u64)?;
                }
                queues::put_tombstone(tx, "https://a.example/notes/7", 1)?;
                tx.open_table(schema::META)?
                    .insert("dictionary.remote_actor", 9u16.to_be_bytes().as_slice())?;
                Ok::<_, StoreError>(())
            })
            .unwrap();
        drop(store);
        let store = Store::open(&path, 4 << 20, 1 << 20).unwrap();
        store
            .read(|tx| {
                assert_eq!(schema_version(tx)?, Some(schema::SCHEMA_VERSION));
                assert!(
                    tx.list_tables()?
                        .all(|table| redb::TableHandle::name(&table) != "objecturi_deletedms")
                );
                let hashes = tx.open_table(schema::TOMBSTONE_HASHES)?;
                assert_eq!(redb::ReadableTableMetadata::len(&hashes)?, count as u64);
                for n in [0, 7, count - 1] {
                    let uri = format!("https://a.example/notes/{n}");
                    assert!(queues::is_tombstoned(tx, &uri)?);
                    let ms = hashes.get(statuses::uri_hash(&uri))?.unwrap().value();
                    assert_eq!(ms, n as u64);
                }
                assert!(!queues::is_tombstoned(tx, "https://a.example/notes/x")?);
                // The actors' dictionary (of PEM keys) is retired, to be trained again.
                assert!(
                    tx.open_table(schema::META)?
                        .get("dictionary.remote_actor")?
                        .is_none()
                );
                Ok::<_, StoreError>(())
            })
            .unwrap();
    }

    #[test]
    fn pages_follow_mastodon_semantics() {
        let (_directory, store) = store();
        store
            .write(|tx| {
                let mut home = tx.open_table(schema::HOME)?;
                for id in 1..=10u64 {
                    home.insert((5, id), ())?;
                    home.insert((6, id), ())?;
                }
                Ok::<_, StoreError>(())
            })
            .unwrap();
        let ids = |page: Page| {
            store
                .read(|tx| {
                    page_pairs(tx, schema::HOME, 5, page, usize::MAX, |id, ()| {
                        Ok::<_, StoreError>(Some(id))
                    })
                })
                .unwrap()
        };
        assert_eq!(ids(Page::newest(3)), [10, 9, 8]);
        assert_eq!(
            ids(Page {
                max_id: Some(8),
                limit: 3,
                ..Page::default()
            }),
            [7, 6, 5]
        );
        assert_eq!(
            ids(Page {
                since_id: Some(2),
                limit: 3,
                ..Page::default()
            }),
            [10, 9, 8]
        );
        assert_eq!(
            ids(Page {
                min_id: Some(2),
                limit: 3,
                ..Page::default()
            }),
            [5, 4, 3]
        );
        assert_eq!(
            ids(Page {
                min_id: Some(2),
                max_id: Some(4),
                limit: 3,
                ..Page::default()
            }),
            [3]
        );
        assert_eq!(
            ids(Page {
                max_id: Some(1),
                limit: 3,
                ..Page::default()
            }),
            Vec::<u64>::new()
        );
    }

    #[test]
    fn a_new_database_is_private_to_its_owner() {
        use std::os::unix::fs::PermissionsExt;
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("data/test.redb");
        Store::open(&path, 4 << 20, 1 << 20).unwrap();
        let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(path.parent().unwrap()), 0o700);
    }

    #[test]
    fn a_newer_schema_version_is_refused() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("test.redb");
        let store = Store::open(&path, 4 << 20, 1 << 20).unwrap();
        store
            .write(|tx| set_schema_version(tx, schema::SCHEMA_VERSION + 1))
            .unwrap();
        drop(store);
        let error = Store::open(&path, 4 << 20, 1 << 20).unwrap_err();
        assert!(matches!(error, StoreError::SchemaTooNew { .. }), "{error}");
    }
}
