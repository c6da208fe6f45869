//! Trained zstd dictionaries per record kind: training from the records a database holds,
//! the table that keeps them, and the rewrite that moves records to the active one.
//!
//! A status compressed alone pays for everything it shares with every other status (field
//! layout, HTML markup, URL prefixes, common words); a dictionary trained on a few thousand of
//! them holds those once. Training happens once `SAMPLES_MIN` records of a kind exist, and again
//! every `RETRAIN_MS` as the content drifts; each training adds a dictionary with a new id and
//! makes it the active one, older ones stay so that records naming them stay readable.
//!
//! Architecture Invariant: a dictionary row is written before any record names it, in an
//! earlier committed transaction, and is never changed; it is removed only after a complete
//! rewrite pass moved every record of its kind to a newer one.

use redb::{ReadableTable, ReadableTableMetadata, TableDefinition};

use super::{Store, StoreError, records, schema};

/// The kinds that get dictionaries, with their tables: the records a relay brings by the
/// thousand (a remote attachment's media record comes with one post in four). Small, rare
/// records (users, apps, lists) are not worth one.
pub const KINDS: [(&str, TableDefinition<'static, u64, &'static [u8]>); 4] = [
    ("status", schema::STATUSES),
    ("account", schema::ACCOUNTS),
    ("remote_actor", schema::REMOTE_ACTORS),
    ("media", schema::MEDIA),
];
/// Size of a trained dictionary, in bytes (zstd's recommendation for small records: ~100× a
/// sample, at most a few dozen KiB). 16 KiB measured best on statuses (benches/codec.rs).
pub const DICTIONARY_BYTES: usize = 16 * 1024;
/// Records of a kind before the first dictionary: with fewer, zstd's trainer fails or
/// overfits.
pub const SAMPLES_MIN: u64 = 1_000;
/// Records sampled for training (the newest), bounding its time and memory (~5 MB).
pub const SAMPLES_MAX: usize = 8_000;
/// Age of the active dictionary after which it is retrained on newer records.
pub const RETRAIN_MS: u64 = 7 * 24 * 3600 * 1000;
/// Largest dictionary id: ids are the u16 of the record header.
const DICTIONARY_ID_MAX: u16 = u16::MAX;

pub(crate) fn meta_key(kind: &str) -> String {
    format!("dictionary.{kind}")
}

/// What the dictionaries of a database are, for `storage report` and the metrics.
#[derive(Clone, Debug)]
pub struct DictionaryInfo {
    pub id: u16,
    pub kind: String,
    pub trained_ms: u64,
    pub bytes: usize,
    pub active: bool,
}

impl Store {
    /// Reads every dictionary and the active one of each kind into memory.
    pub(crate) fn load_dictionaries(&self) -> Result<(), StoreError> {
        let set = self.read(|tx| {
            let mut rows = Vec::new();
            for entry in tx.open_table(schema::DICTIONARIES)?.iter()? {
                let (id, value) = entry?;
                let (kind, _, bytes) = value.value();
                rows.push((id.value(), kind.to_string(), bytes.to_vec()));
            }
            let meta = tx.open_table(schema::META)?;
            let mut active = Vec::new();
            for (kind, _) in KINDS {
                if let Some(value) = meta.get(meta_key(kind).as_str())? {
                    let id: [u8; 2] =
                        value.value().try_into().map_err(|_| StoreError::Corrupt {
                            kind: "meta",
                            reason: format!("{} is not 2 bytes", meta_key(kind)),
                        })?;
                    active.push((kind.to_string(), u16::from_be_bytes(id)));
                }
            }
            Ok::<_, StoreError>(records::Dictionaries::new(rows, active))
        })?;
        *self
            .dictionaries
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = std::sync::Arc::new(set);
        Ok(())
    }

    /// The dictionaries of this database, oldest first.
    pub fn dictionary_infos(&self) -> Result<Vec<DictionaryInfo>, StoreError> {
        let set = self.dictionaries();
        self.read(|tx| {
            let mut out = Vec::new();
            for entry in tx.open_table(schema::DICTIONARIES)?.iter()? {
                let (id, value) = entry?;
                let (kind, trained_ms, bytes) = value.value();
                out.push(DictionaryInfo {
                    id: id.value(),
                    active: set
                        .active(kind)
                        .is_some_and(|active| active.id == id.value()),
                    kind: kind.to_string(),
                    trained_ms,
                    bytes: bytes.len(),
                });
            }
            Ok(out)
        })
    }

    /// Whether `kind` should get a (new) dictionary at `now_ms`: enough records, and none
    /// yet or the active one older than `RETRAIN_MS`.
    pub fn dictionary_due(&self, kind: &str, now_ms: u64) -> Result<bool, StoreError> {
        let Some((_, table)) = KINDS.iter().find(|(name, _)| *name == kind) else {
            return Ok(false);
        };
        let set = self.dictionaries();
        self.read(|tx| {
            if tx.open_table(*table)?.len()? < SAMPLES_MIN {
                return Ok(false);
            }
            let Some(active) = set.active(kind) else {
                return Ok(true);
            };
            let trained_ms = tx
                .open_table(schema::DICTIONARIES)?
                .get(active.id)?
                .map_or(0, |row| row.value().1);
            Ok(now_ms.saturating_sub(trained_ms) >= RETRAIN_MS)
        })
    }

    /// Trains a dictionary for `kind` from its newest records and makes it the active one.
    /// `None` when there are too few records, or the trainer found nothing worth keeping.
    pub fn train_dictionary(&self, kind: &str, now_ms: u64) -> Result<Option<u16>, StoreError> {
        let Some((kind, table)) = KINDS.iter().find(|(name, _)| *name == kind).copied() else {
            return Ok(None);
        };
        let bytes_max = self.record_bytes_max;
        // Sampling reads a snapshot; training itself (CPU, ~1 s) holds no transaction.
        let samples = self.read(|tx| {
            let mut samples = Vec::new();
            for entry in tx.open_table(table)?.iter()?.rev().take(SAMPLES_MAX) {
                let (_, bytes) = entry?;
                samples.push(records::unpack(kind, bytes.value(), bytes_max)?.into_owned());
            }
            Ok::<_, StoreError>(samples)
        })?;
        if (samples.len() as u64) < SAMPLES_MIN {
            return Ok(None);
        }
        let Ok(dictionary) = zstd::dict::from_samples(&samples, DICTIONARY_BYTES) else {
            // zstd refuses samples too uniform or too few to learn from: no dictionary is
            // a valid state (records compress alone), so this is not an error.
            tracing::info!(kind, "zstd found no dictionary in the samples");
            return Ok(None);
        };
        let id = self.write(|tx| {
            let mut dictionaries = tx.open_table(schema::DICTIONARIES)?;
            let last = dictionaries.last()?.map_or(0, |(id, _)| id.value());
            if last == DICTIONARY_ID_MAX {
                return Ok::<_, StoreError>(None);
            }
            let id = last + 1;
            dictionaries.insert(id, (kind, now_ms, dictionary.as_slice()))?;
            tx.open_table(schema::META)?
                .insert(meta_key(kind).as_str(), id.to_be_bytes().as_slice())?;
            Ok(Some(id))
        })?;
        self.load_dictionaries()?;
        if let Some(id) = id {
            tracing::info!(kind, id, samples = samples.len(), "trained a dictionary");
        }
        Ok(id)
    }

    /// Deletes the dictionaries of `kind` other than the active one, once a complete rewrite
    /// pass (`rewrite_batch` to the end of the table, started after the active one was
    /// trained) has moved every record off them. Returns how many went.
    ///
    /// Why this is safe: a write transaction takes the dictionaries of its start; those that
    /// started before the active dictionary was installed committed before the pass's first
    /// transaction (redb has one writer), so the pass saw their records; later ones used the
    /// active dictionary.
    pub fn drop_inactive_dictionaries(&self, kind: &str) -> Result<usize, StoreError> {
        let set = self.dictionaries();
        let Some(active) = set.active(kind).map(|active| active.id) else {
            return Ok(0);
        };
        let dropped = self.write(|tx| {
            let mut table = tx.open_table(schema::DICTIONARIES)?;
            let before = table.len()?;
            table.retain(|id, (row_kind, _, _)| row_kind != kind || id == active)?;
            Ok::<_, StoreError>((before - table.len()?) as usize)
        })?;
        if dropped > 0 {
            self.load_dictionaries()?;
        }
        Ok(dropped)
    }

    /// Moves up to `batch` records of `kind` with keys from `from` on to the active
    /// dictionary, in one transaction; returns how many moved and where to go on (`None`
    /// at the end of the table).
    pub fn rewrite_batch(
        &self,
        kind: &str,
        from: u64,
        batch: usize,
    ) -> Result<(usize, Option<u64>), StoreError> {
        let Some((kind, table)) = KINDS.iter().find(|(name, _)| *name == kind).copied() else {
            return Ok((0, None));
        };
        let bytes_max = self.record_bytes_max;
        self.write(|tx| {
            let mut moved = Vec::new();
            let mut next = None;
            {
                let records = tx.open_table(table)?;
                for (seen, entry) in records.range(from..)?.enumerate() {
                    let (key, bytes) = entry?;
                    if seen >= batch {
                        next = Some(key.value());
                        break;
                    }
                    if let Some(again) = records::recompress(kind, bytes.value(), bytes_max)? {
                        moved.push((key.value(), again));
                    }
                }
            }
            let mut records = tx.open_table(table)?;
            for (key, bytes) in &moved {
                records.insert(*key, bytes.as_slice())?;
            }
            Ok((moved.len(), next))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AccountId, Status, StatusId, Visibility};
    use crate::store::{records, statuses};

    fn status(n: u64) -> Status {
        Status {
            id: StatusId((n + 1) << 16),
            account_id: AccountId(7 + n % 13),
            in_reply_to_id: None,
            in_reply_to_account_id: None,
            reblog_of: None,
            content_html: format!(
                "<p>Status {n} about trains, bread and the weather in town <a href=\"https://example.social/tags/t{}\" class=\"mention hashtag\" rel=\"tag\">#<span>t{}</span></a></p>",
                n % 17,
                n % 17
            ),
            text_source: String::new(),
            spoiler_text: String::new(),
            visibility: Visibility::Public,
            sensitive: false,
            language: Some("en".into()),
            mentions: vec![],
            tags: vec![],
            application_id: None,
            created_ms: n,
            edited_ms: None,
            quote_of: None,
            media_ids: Vec::new(),
            uri: None,
        }
    }

    fn dictionaries_named(store: &Store) -> std::collections::BTreeSet<u16> {
        store
            .read(|tx| {
                let mut named = std::collections::BTreeSet::new();
                for entry in tx.open_table(schema::STATUSES)?.iter()? {
                    named.insert(records::dictionary_of(entry?.1.value()));
                }
                Ok::<_, StoreError>(named)
            })
            .unwrap()
    }

    /// Training, the rewrite pass and rotation keep every record readable, also after the
    /// database is opened again; superseded dictionaries go once no record names them.
    #[test]
    fn dictionaries_are_trained_rotated_and_records_stay_readable() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("test.redb");
        let store = Store::open(&path, 4 << 20, 1 << 20).unwrap();
        let count = SAMPLES_MIN + 200;
        store
            .write(|tx| {
                for n in 0..count {
                    statuses::insert_status(tx, &status(n), false)?;
                }
                Ok::<_, StoreError>(())
            })
            .unwrap();
        assert!(store.dictionary_due("status", 1).unwrap());
        let first = store.train_dictionary("status", 1).unwrap().unwrap();
        assert!(!store.dictionary_due("status", 2).unwrap());
        assert!(store.dictionary_due("status", 1 + RETRAIN_MS).unwrap());
        assert_eq!(dictionaries_named(&store), [0].into());
        // New records name the active dictionary and are smaller than without it.
        let plain = records::encode(&status(count)).unwrap();
        store
            .write(|tx| statuses::insert_status(tx, &status(count), false))
            .unwrap();
        let stored = store
            .read(|tx| {
                Ok::<_, StoreError>(
                    tx.open_table(schema::STATUSES)?
                        .get(status(count).id.0)?
                        .unwrap()
                        .value()
                        .to_vec(),
                )
            })
            .unwrap();
        assert_eq!(records::dictionary_of(&stored), first);
        assert!(
            stored.len() < plain.len(),
            "{} vs {}",
            stored.len(),
            plain.len()
        );
        let pass = |store: &Store| {
            let mut from = Some(0);
            while let Some(start) = from {
                from = store.rewrite_batch("status", start, 300).unwrap().1;
            }
        };
        pass(&store);
        assert_eq!(dictionaries_named(&store), [first].into());
        let second = store
            .train_dictionary("status", 2 + RETRAIN_MS)
            .unwrap()
            .unwrap();
        assert_ne!(first, second);
        pass(&store);
        assert_eq!(dictionaries_named(&store), [second].into());
        assert_eq!(store.drop_inactive_dictionaries("status").unwrap(), 1);
        drop(store);
        let store = Store::open(&path, 4 << 20, 1 << 20).unwrap();
        let (problems, checked) = store.check().unwrap();
        assert!(problems.is_empty(), "{problems:?}");
        assert!(checked > count);
        let infos = store.dictionary_infos().unwrap();
        assert_eq!(infos.len(), 1);
        assert!(infos[0].active && infos[0].id == second);
    }
}
