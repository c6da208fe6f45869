//! Growth an admin can see: a daily sample of every table (entries and bytes) kept in
//! `STORAGE_STATS`, and the database's allocated bytes for the disk budget.
//!
//! Samples are keyed by the start of their UTC day, so taking one twice a day replaces the
//! first; a table with no entries and no bytes has no row (most of the schema is empty on a
//! relay-fed instance: 400 days of their zeros took ~2.7 MB, 20 bytes per status in the
//! 40-day simulation), so readers take a missing table as zero; `ALLOCATED` is a pseudo-table name for the allocated bytes of the whole file, and
//! `MEDIA_LOCAL`, `MEDIA_HOT`, `MEDIA_COLD` the blobs and bytes of each media tier.

use redb::{Key, ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition, Value};

use super::schema::{self, TableVisitor};
use super::{Reader, Store, StoreError};

/// Milliseconds in a day.
pub const DAY_MS: u64 = 24 * 3600 * 1000;
/// Days of samples kept; older ones are removed when a new one is taken (76 tables × ~90 bytes
/// a day would otherwise grow by 2.5 MB a year).
pub const SAMPLES_DAYS_MAX: u64 = 400;
/// The pseudo-table of a sample that holds the bytes allocated in the file (all tables, their
/// B-tree pages and redb's own).
pub const ALLOCATED: &str = "_allocated";
/// Pseudo-tables of the media tiers (files on disk and objects in the store, not database
/// bytes): blobs and bytes of local uploads, the hot cache and the cold tier.
pub const MEDIA_LOCAL: &str = "_media_local";
pub const MEDIA_HOT: &str = "_media_hot";
pub const MEDIA_COLD: &str = "_media_cold";

/// Whether a sample's name is a table of the database (not a pseudo-table: allocated bytes,
/// media tiers), so that sums of database growth leave the others out.
pub fn is_table(name: &str) -> bool {
    !name.starts_with('_')
}

/// One table in one daily sample.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sample {
    pub day_ms: u64,
    pub table: String,
    pub entries: u64,
    pub bytes: u64,
}

impl Store {
    /// Bytes allocated in the database file: what the data in use takes, free pages not
    /// counted (redb reuses them before it grows the file).
    pub fn allocated_bytes(&self) -> Result<u64, StoreError> {
        // Only a write transaction has the allocator's stats; it is dropped, not committed.
        let tx = self.database().begin_write()?;
        let stats = tx.stats()?;
        let bytes = stats.allocated_pages() * stats.page_size() as u64;
        tx.abort()?;
        Ok(bytes)
    }

    /// Makes the pages that earlier commits freed reusable, so that `allocated_bytes` counts
    /// the data in use: redb hands out a page a commit freed only once a later durable commit
    /// has processed it (a non-durable commit's, once a durable one has followed). Two empty
    /// durable commits: the first makes the group commit's pages eligible, the second frees
    /// what the first queued.
    pub fn release_freed_pages(&self) -> Result<(), StoreError> {
        for _ in 0..2 {
            self.write(|_| Ok::<_, StoreError>(()))?;
        }
        Ok(())
    }

    /// The length of the database file: allocated pages, free pages redb reuses before it
    /// grows, and its header. redb never gives space back except free pages at the end.
    pub fn file_bytes(&self) -> Result<u64, StoreError> {
        Ok(std::fs::metadata(&self.path)?.len())
    }

    /// The database file's length and what it takes on disk (`file_sizes`).
    pub fn file_sizes(&self) -> Result<FileSizes, StoreError> {
        Ok(file_sizes(&self.path)?)
    }
    /// Counts every table now and stores it as the sample of the day of `now_ms`.
    pub fn sample_growth(&self, now_ms: u64) -> Result<Vec<Sample>, StoreError> {
        struct Collect<'t> {
            tx: &'t redb::ReadTransaction,
            rows: Vec<(String, u64, u64)>,
        }
        impl TableVisitor for Collect<'_> {
            fn visit<K: Key + 'static, V: Value + 'static>(
                &mut self,
                table: TableDefinition<'static, K, V>,
            ) -> Result<(), StoreError> {
                let opened = self.tx.open_table(table)?;
                let stats = opened.stats()?;
                self.rows.push((
                    redb::TableHandle::name(&table).to_string(),
                    opened.len()?,
                    stats.stored_bytes() + stats.metadata_bytes() + stats.fragmented_bytes(),
                ));
                Ok(())
            }
        }
        let snapshot = self.database().begin_read()?;
        let mut collect = Collect {
            tx: &snapshot,
            rows: Vec::new(),
        };
        schema::visit_tables(&mut collect)?;
        let mut rows = collect.rows;
        let media = super::media::totals(&snapshot)?;
        rows.push((
            MEDIA_LOCAL.to_string(),
            media.local_count,
            media.local_bytes,
        ));
        rows.push((MEDIA_HOT.to_string(), media.hot_count, media.hot_bytes));
        rows.push((MEDIA_COLD.to_string(), media.cold_count, media.cold_bytes));
        drop(snapshot);
        // The data in use, not what the last commits freed and redb has not yet reused: the
        // day-to-day growth would otherwise swing by the pending pages.
        self.release_freed_pages()?;
        rows.push((ALLOCATED.to_string(), 0, self.allocated_bytes()?));
        let day_ms = now_ms - now_ms % DAY_MS;
        self.write(|tx| {
            let mut table = tx.open_table(schema::STORAGE_STATS)?;
            let oldest = day_ms.saturating_sub(SAMPLES_DAYS_MAX * DAY_MS);
            table.retain_in((0, "")..(oldest, ""), |_, _| false)?;
            // A sample replaces the day's earlier one whole: rows of tables empty since go.
            table.retain_in((day_ms, "")..(day_ms + 1, ""), |_, _| false)?;
            for (name, entries, bytes) in &rows {
                if *entries == 0 && *bytes == 0 && is_table(name) {
                    continue;
                }
                table.insert((day_ms, name.as_str()), (*entries, *bytes))?;
            }
            Ok::<_, StoreError>(())
        })?;
        Ok(rows
            .into_iter()
            .map(|(table, entries, bytes)| Sample {
                day_ms,
                table,
                entries,
                bytes,
            })
            .collect())
    }
}

/// Whether the day of `now_ms` has its sample.
pub fn sampled_today(reader: &impl Reader, now_ms: u64) -> Result<bool, StoreError> {
    let day_ms = now_ms - now_ms % DAY_MS;
    Ok(reader
        .table(schema::STORAGE_STATS)?
        .range((day_ms, "")..)?
        .next()
        .transpose()?
        .is_some_and(|(key, _)| key.value().0 == day_ms))
}

/// Every sample of the last `days` days before `now_ms`, oldest first.
pub fn samples(reader: &impl Reader, now_ms: u64, days: u64) -> Result<Vec<Sample>, StoreError> {
    let since = now_ms.saturating_sub(days * DAY_MS);
    let since = since - since % DAY_MS;
    let mut out = Vec::new();
    for entry in reader.table(schema::STORAGE_STATS)?.range((since, "")..)? {
        let (key, value) = entry?;
        let (day_ms, table) = key.value();
        let (entries, bytes) = value.value();
        out.push(Sample {
            day_ms,
            table: table.to_string(),
            entries,
            bytes,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sample has rows for the tables with something in them and the pseudo-tables; an
    /// empty table has none, also after it emptied within the day.
    #[test]
    fn samples_leave_empty_tables_out() {
        let directory = tempfile::tempdir().unwrap();
        let store = Store::open(&directory.path().join("test.redb"), 4 << 20, 1 << 20).unwrap();
        let day = 20 * DAY_MS;
        store
            .write(|tx| {
                tx.open_table(schema::HOME)?.insert((1, 2), ())?;
                tx.open_table(schema::PUBLIC_STATUSES)?.insert(2, ())?;
                Ok::<_, StoreError>(())
            })
            .unwrap();
        store.sample_growth(day + 5).unwrap();
        let names = |store: &Store| -> Vec<String> {
            store
                .read(|tx| samples(tx, day + 10, 1))
                .unwrap()
                .into_iter()
                .map(|sample| sample.table)
                .collect()
        };
        let first = names(&store);
        assert!(first.contains(&"public_statusid".to_string()), "{first:?}");
        assert!(first.contains(&ALLOCATED.to_string()));
        assert!(first.contains(&MEDIA_COLD.to_string()));
        assert!(!first.contains(&"listid_list".to_string()));
        store
            .write(|tx| {
                tx.open_table(schema::PUBLIC_STATUSES)?.remove(2)?;
                Ok::<_, StoreError>(())
            })
            .unwrap();
        // The day's second sample replaces the first: the emptied table has no row left
        // that says it holds an entry.
        store.sample_growth(day + 6).unwrap();
        let second = store.read(|tx| samples(tx, day + 10, 1)).unwrap();
        assert!(
            second
                .iter()
                .all(|sample| sample.table != "public_statusid" || sample.entries == 0),
            "{second:?}"
        );
        assert!(second.iter().any(|sample| sample.table == "owner_statusid"));
        assert_eq!(second.len(), names(&store).len());
    }
}

/// A file's length (what `ls -l` shows) and the disk it takes (what `du` counts: its blocks,
/// `st_blocks` in 512-byte units). redb grows its file with `set_len`, so the part past the
/// pages it has written is a hole that the length counts and the disk use does not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileSizes {
    pub length: u64,
    pub disk: u64,
}

/// `FileSizes` of the file at `path`, from one `stat`.
pub fn file_sizes(path: &std::path::Path) -> std::io::Result<FileSizes> {
    use std::os::unix::fs::MetadataExt;
    let metadata = std::fs::metadata(path)?;
    Ok(FileSizes {
        length: metadata.len(),
        disk: metadata.blocks() * 512,
    })
}
