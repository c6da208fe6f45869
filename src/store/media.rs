//! Media attachments and blobs: records, the tier indexes and the per-tier totals.
//!
//! Architecture Invariant: a blob record and its index entries change together. Every
//! change of a blob goes through [`save_blob`], which moves its `HOT_BLOBS` / `COLD_BLOBS`
//! keys and the `MEDIA_TOTALS` counters in the same transaction, so the totals that the
//! eviction budget reads are those of the records (`db check` recounts them).

use redb::{ReadableTable, ReadableTableMetadata, WriteTransaction};

use super::{Reader, StoreError, get_record, put_record, records, schema};
use crate::model::{Blob, BlobHash, Card, CustomEmoji, Media, MediaId, StatusId};

pub fn get_media(
    reader: &impl Reader,
    id: MediaId,
    bytes_max: usize,
) -> Result<Option<Media>, StoreError> {
    get_record(reader, schema::MEDIA, id.0, bytes_max)
}

pub fn put_media(tx: &WriteTransaction, media: &Media) -> Result<(), StoreError> {
    put_record(tx, schema::MEDIA, media.id.0, media)
}

pub fn delete_media(tx: &WriteTransaction, id: MediaId) -> Result<(), StoreError> {
    tx.open_table(schema::MEDIA)?.remove(id.0)?;
    Ok(())
}

/// Media ids from `after` (exclusive) upwards, at most `limit`: a sweep walks the table in
/// bounded steps.
pub fn media_after(
    reader: &impl Reader,
    after: u64,
    limit: usize,
    bytes_max: usize,
) -> Result<Vec<Media>, StoreError> {
    let table = reader.table(schema::MEDIA)?;
    let mut out = Vec::new();
    for entry in table.range(after.saturating_add(1)..)? {
        let (_, value) = entry?;
        out.push(records::decode::<Media>(value.value(), bytes_max)?);
        if out.len() >= limit {
            break;
        }
    }
    Ok(out)
}

pub fn get_blob(
    reader: &impl Reader,
    hash: &BlobHash,
    bytes_max: usize,
) -> Result<Option<Blob>, StoreError> {
    let table = reader.table(schema::BLOBS)?;
    let Some(bytes) = table.get(hash.as_slice())? else {
        return Ok(None);
    };
    records::decode(bytes.value(), bytes_max).map(Some)
}

/// Bytes and counts per tier.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    pub hot_bytes: u64,
    pub hot_count: u64,
    pub cold_bytes: u64,
    pub cold_count: u64,
    pub local_bytes: u64,
    pub local_count: u64,
}

const TOTAL_NAMES: [&str; 6] = [
    "hot_bytes",
    "hot_count",
    "cold_bytes",
    "cold_count",
    "local_bytes",
    "local_count",
];

impl Totals {
    fn as_array(&self) -> [u64; 6] {
        [
            self.hot_bytes,
            self.hot_count,
            self.cold_bytes,
            self.cold_count,
            self.local_bytes,
            self.local_count,
        ]
    }

    fn of(blob: &Blob) -> Totals {
        let flag = |on: bool| u64::from(on);
        Totals {
            hot_bytes: flag(blob.hot) * blob.bytes,
            hot_count: flag(blob.hot),
            cold_bytes: flag(blob.cold) * blob.bytes,
            cold_count: flag(blob.cold),
            local_bytes: flag(blob.local) * blob.bytes,
            local_count: flag(blob.local),
        }
    }
}

pub fn totals(reader: &impl Reader) -> Result<Totals, StoreError> {
    let table = reader.table(schema::MEDIA_TOTALS)?;
    let mut values = [0u64; 6];
    for (value, name) in values.iter_mut().zip(TOTAL_NAMES) {
        *value = table.get(name)?.map(|entry| entry.value()).unwrap_or(0);
    }
    let [
        hot_bytes,
        hot_count,
        cold_bytes,
        cold_count,
        local_bytes,
        local_count,
    ] = values;
    Ok(Totals {
        hot_bytes,
        hot_count,
        cold_bytes,
        cold_count,
        local_bytes,
        local_count,
    })
}

/// Writes (or with `new == None` removes) a blob, moving its index keys and the totals from
/// what `old` was. `old` must be the record as stored (read in the same transaction).
pub fn save_blob(
    tx: &WriteTransaction,
    hash: &BlobHash,
    old: Option<&Blob>,
    new: Option<&Blob>,
) -> Result<(), StoreError> {
    let mut hot = tx.open_table(schema::HOT_BLOBS)?;
    let mut cold = tx.open_table(schema::COLD_BLOBS)?;
    if let Some(old) = old {
        if old.hot {
            hot.remove((old.accessed_ms, hash.as_slice()))?;
        }
        if old.cold {
            cold.remove((old.cold_ms, hash.as_slice()))?;
        }
    }
    if let Some(new) = new {
        if new.hot {
            hot.insert((new.accessed_ms, hash.as_slice()), ())?;
        }
        if new.cold {
            cold.insert((new.cold_ms, hash.as_slice()), ())?;
        }
    }
    let before = old.map(Totals::of).unwrap_or_default().as_array();
    let after = new.map(Totals::of).unwrap_or_default().as_array();
    if before != after {
        let mut totals = tx.open_table(schema::MEDIA_TOTALS)?;
        for ((name, before), after) in TOTAL_NAMES.iter().zip(before).zip(after) {
            if before != after {
                let current = totals.get(*name)?.map(|entry| entry.value()).unwrap_or(0);
                let updated = (current + after).saturating_sub(before);
                totals.insert(*name, updated)?;
            }
        }
    }
    let mut blobs = tx.open_table(schema::BLOBS)?;
    match new {
        Some(new) => {
            let bytes = records::encode(new)?;
            blobs.insert(hash.as_slice(), bytes.as_slice())?;
        }
        None => {
            blobs.remove(hash.as_slice())?;
        }
    }
    Ok(())
}

/// The oldest entries of a tier index, at most `limit`.
fn oldest(
    reader: &impl Reader,
    table: redb::TableDefinition<'static, (u64, &'static [u8]), ()>,
    limit: usize,
) -> Result<Vec<(u64, BlobHash)>, StoreError> {
    let table = reader.table(table)?;
    let mut out = Vec::new();
    for entry in table.iter()? {
        let (key, ()) = entry.map(|(key, _)| (key, ()))?;
        let (ms, hash) = key.value();
        if let Ok(hash) = BlobHash::try_from(hash) {
            out.push((ms, hash));
        }
        if out.len() >= limit {
            break;
        }
    }
    Ok(out)
}

/// Hot remote blobs, least recently viewed first.
pub fn hot_oldest(reader: &impl Reader, limit: usize) -> Result<Vec<(u64, BlobHash)>, StoreError> {
    oldest(reader, schema::HOT_BLOBS, limit)
}

/// Cold blobs, earliest arrival first.
pub fn cold_oldest(reader: &impl Reader, limit: usize) -> Result<Vec<(u64, BlobHash)>, StoreError> {
    oldest(reader, schema::COLD_BLOBS, limit)
}

/// Every blob hash with its record, in hash order, from `after` (exclusive), at most `limit`.
pub fn blobs_after(
    reader: &impl Reader,
    after: Option<&BlobHash>,
    limit: usize,
    bytes_max: usize,
) -> Result<Vec<(BlobHash, Blob)>, StoreError> {
    let table = reader.table(schema::BLOBS)?;
    let mut out = Vec::new();
    let range = match after {
        Some(after) => table.range::<&[u8]>(after.as_slice()..)?,
        None => table.range::<&[u8]>(..)?,
    };
    for entry in range {
        let (key, value) = entry?;
        let Ok(hash) = BlobHash::try_from(key.value()) else {
            continue;
        };
        if Some(&hash) == after {
            continue;
        }
        out.push((hash, records::decode(value.value(), bytes_max)?));
        if out.len() >= limit {
            break;
        }
    }
    Ok(out)
}

/// `db check`: media and blobs decode, references count what names them, the tier indexes
/// and totals agree with the records.
pub fn check(
    tx: &redb::ReadTransaction,
    bytes_max: usize,
    problems: &mut Vec<String>,
) -> Result<u64, StoreError> {
    let mut checked = 0;
    let mut refs = std::collections::BTreeMap::<BlobHash, u32>::new();
    for entry in tx.open_table(schema::MEDIA)?.iter()? {
        let (key, value) = entry?;
        checked += 1;
        match records::decode::<Media>(value.value(), bytes_max) {
            Ok(media) => {
                for hash in [media.blob, media.thumbnail].into_iter().flatten() {
                    *refs.entry(hash).or_default() += 1;
                }
            }
            Err(error) => problems.push(format!("mediaid_media {}: {error}", key.value())),
        }
    }
    let mut counted = Totals::default();
    let hot = tx.open_table(schema::HOT_BLOBS)?;
    let cold = tx.open_table(schema::COLD_BLOBS)?;
    for entry in tx.open_table(schema::BLOBS)?.iter()? {
        let (key, value) = entry?;
        checked += 1;
        let hex = to_hex(key.value());
        let blob = match records::decode::<Blob>(value.value(), bytes_max) {
            Ok(blob) => blob,
            Err(error) => {
                problems.push(format!("sha256_blob {hex}: {error}"));
                continue;
            }
        };
        let hash = BlobHash::try_from(key.value()).unwrap_or([0; 32]);
        let named = refs.remove(&hash).unwrap_or(0);
        if named != blob.refs {
            problems.push(format!(
                "sha256_blob {hex}: {} references recorded, {named} media name it",
                blob.refs
            ));
        }
        if blob.hot && hot.get((blob.accessed_ms, key.value()))?.is_none() {
            problems.push(format!("sha256_blob {hex}: hot but not in the hot index"));
        }
        if blob.cold && cold.get((blob.cold_ms, key.value()))?.is_none() {
            problems.push(format!("sha256_blob {hex}: cold but not in the cold index"));
        }
        let of = Totals::of(&blob).as_array();
        let mut sum = counted.as_array();
        for (total, add) in sum.iter_mut().zip(of) {
            *total += add;
        }
        let [
            hot_bytes,
            hot_count,
            cold_bytes,
            cold_count,
            local_bytes,
            local_count,
        ] = sum;
        counted = Totals {
            hot_bytes,
            hot_count,
            cold_bytes,
            cold_count,
            local_bytes,
            local_count,
        };
    }
    for hash in refs.keys() {
        problems.push(format!(
            "media name blob {} that has no record",
            to_hex(hash)
        ));
    }
    let recorded = totals(tx)?;
    if recorded != counted {
        problems.push(format!(
            "name_total: recorded {recorded:?}, the blobs add up to {counted:?}"
        ));
    }
    if hot.len()? != counted.hot_count || cold.len()? != counted.cold_count {
        problems.push("a tier index has entries of no blob in that tier".to_string());
    }
    Ok(checked)
}

/// Lowercase hexadecimal, the form of a blob's name on disk and in the object store.
pub fn to_hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        let _ = write!(out, "{byte:02x}");
    }
    out
}

pub fn get_card(
    reader: &impl Reader,
    url: &str,
    bytes_max: usize,
) -> Result<Option<Card>, StoreError> {
    let table = reader.table(schema::CARDS)?;
    let Some(bytes) = table.get(url)? else {
        return Ok(None);
    };
    records::decode(bytes.value(), bytes_max).map(Some)
}

pub fn put_card(tx: &WriteTransaction, card: &Card) -> Result<(), StoreError> {
    let bytes = records::encode(card)?;
    tx.open_table(schema::CARDS)?
        .insert(card.url.as_str(), bytes.as_slice())?;
    Ok(())
}

pub fn delete_card(tx: &WriteTransaction, url: &str) -> Result<(), StoreError> {
    tx.open_table(schema::CARDS)?.remove(url)?;
    Ok(())
}

/// Cards from `after` (exclusive) in URL order, at most `limit`: the sweep's steps.
pub fn cards_after(
    reader: &impl Reader,
    after: &str,
    limit: usize,
    bytes_max: usize,
) -> Result<Vec<Card>, StoreError> {
    use std::ops::Bound;
    let table = reader.table(schema::CARDS)?;
    let mut out = Vec::new();
    for entry in table.range::<&str>((Bound::Excluded(after), Bound::Unbounded))? {
        let (_, value) = entry?;
        out.push(records::decode::<Card>(value.value(), bytes_max)?);
        if out.len() >= limit {
            break;
        }
    }
    Ok(out)
}

pub fn status_card_url(
    reader: &impl Reader,
    status: StatusId,
) -> Result<Option<String>, StoreError> {
    let table = reader.table(schema::STATUS_CARDS)?;
    Ok(table.get(status.0)?.map(|url| url.value().to_string()))
}

/// Sets (or clears) the link a status previews, and the reverse index.
pub fn set_status_card(
    tx: &WriteTransaction,
    status: StatusId,
    url: Option<&str>,
) -> Result<(), StoreError> {
    use super::statuses::uri_hash;
    let mut links = tx.open_table(schema::STATUS_CARDS)?;
    let mut reverse = tx.open_table(schema::CARD_URLHASH_STATUSES)?;
    if let Some(old) = links.remove(status.0)? {
        reverse.remove((uri_hash(old.value()), status.0))?;
    }
    if let Some(url) = url {
        links.insert(status.0, url)?;
        reverse.insert((uri_hash(url), status.0), ())?;
    }
    Ok(())
}

/// Whether any status links to `url`: candidates by the URL's hash, each confirmed by the
/// URL its status links to (a collision costs a read, never a card wrongly kept in use).
pub fn card_in_use(reader: &impl Reader, url: &str) -> Result<bool, StoreError> {
    let hash = super::statuses::uri_hash(url);
    let table = reader.table(schema::CARD_URLHASH_STATUSES)?;
    let links = reader.table(schema::STATUS_CARDS)?;
    for entry in table.range((hash, 0u64)..=(hash, u64::MAX))? {
        let status = entry?.0.value().1;
        if links
            .get(status)?
            .is_some_and(|linked| linked.value() == url)
        {
            return Ok(true);
        }
    }
    Ok(false)
}

pub fn queue_card(tx: &WriteTransaction, due_ms: u64, url: &str) -> Result<(), StoreError> {
    tx.open_table(schema::CARDS_DUE)?
        .insert((due_ms, url), ())?;
    Ok(())
}

pub fn unqueue_card(tx: &WriteTransaction, due_ms: u64, url: &str) -> Result<(), StoreError> {
    tx.open_table(schema::CARDS_DUE)?.remove((due_ms, url))?;
    Ok(())
}

/// Cards due by `now_ms`, earliest first, at most `limit`.
pub fn cards_due(
    reader: &impl Reader,
    now_ms: u64,
    limit: usize,
) -> Result<Vec<(u64, String)>, StoreError> {
    let table = reader.table(schema::CARDS_DUE)?;
    let mut out = Vec::new();
    for entry in table.range((0u64, "")..)? {
        let (key, _) = entry?;
        let (due_ms, url) = key.value();
        if due_ms > now_ms || out.len() >= limit {
            break;
        }
        out.push((due_ms, url.to_string()));
    }
    Ok(out)
}

pub fn cards_queued(reader: &impl Reader) -> Result<u64, StoreError> {
    Ok(reader.table(schema::CARDS_DUE)?.len()?)
}

pub fn get_emoji(
    reader: &impl Reader,
    domain: Option<&str>,
    shortcode: &str,
    bytes_max: usize,
) -> Result<Option<CustomEmoji>, StoreError> {
    let table = reader.table(schema::EMOJIS)?;
    let Some(bytes) = table.get((domain.unwrap_or_default(), shortcode))? else {
        return Ok(None);
    };
    records::decode(bytes.value(), bytes_max).map(Some)
}

pub fn put_emoji(tx: &WriteTransaction, emoji: &CustomEmoji) -> Result<(), StoreError> {
    let bytes = records::encode(emoji)?;
    tx.open_table(schema::EMOJIS)?.insert(
        (
            emoji.domain.as_deref().unwrap_or_default(),
            emoji.shortcode.as_str(),
        ),
        bytes.as_slice(),
    )?;
    Ok(())
}

pub fn delete_emoji(
    tx: &WriteTransaction,
    domain: Option<&str>,
    shortcode: &str,
) -> Result<(), StoreError> {
    tx.open_table(schema::EMOJIS)?
        .remove((domain.unwrap_or_default(), shortcode))?;
    Ok(())
}

/// The emojis of a domain (`None`: ours), by shortcode, at most `limit`.
pub fn emojis_of(
    reader: &impl Reader,
    domain: Option<&str>,
    limit: usize,
    bytes_max: usize,
) -> Result<Vec<CustomEmoji>, StoreError> {
    let domain = domain.unwrap_or_default();
    let table = reader.table(schema::EMOJIS)?;
    let mut out = Vec::new();
    for entry in table.range((domain, "")..)? {
        let (key, value) = entry?;
        if key.value().0 != domain || out.len() >= limit {
            break;
        }
        out.push(records::decode::<CustomEmoji>(value.value(), bytes_max)?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    fn blob(bytes: u64, hot: bool, cold: bool, accessed_ms: u64) -> Blob {
        Blob {
            bytes,
            content_type: "image/png".into(),
            refs: 1,
            local: false,
            hot,
            cold,
            accessed_ms,
            cold_ms: accessed_ms,
            created_ms: 1,
        }
    }

    #[test]
    fn saving_a_blob_moves_its_index_keys_and_the_totals_together() {
        let directory = tempfile::tempdir().unwrap();
        let store = Store::open(&directory.path().join("test.redb"), 4 << 20, 1 << 20).unwrap();
        let (a, b) = ([1u8; 32], [2u8; 32]);
        store
            .write(|tx| {
                save_blob(tx, &a, None, Some(&blob(100, true, false, 10)))?;
                save_blob(tx, &b, None, Some(&blob(50, true, false, 5)))?;
                Ok::<_, StoreError>(())
            })
            .unwrap();
        let (totals_now, oldest) = store
            .read(|tx| Ok::<_, StoreError>((totals(tx)?, hot_oldest(tx, 10)?)))
            .unwrap();
        assert_eq!((totals_now.hot_bytes, totals_now.hot_count), (150, 2));
        assert_eq!(oldest, [(5, b), (10, a)], "least recently viewed first");
        // a goes cold; b is viewed again; then b is dropped.
        store
            .write(|tx| {
                save_blob(
                    tx,
                    &a,
                    Some(&blob(100, true, false, 10)),
                    Some(&blob(100, false, true, 10)),
                )?;
                save_blob(
                    tx,
                    &b,
                    Some(&blob(50, true, false, 5)),
                    Some(&blob(50, true, false, 20)),
                )?;
                Ok::<_, StoreError>(())
            })
            .unwrap();
        let (totals_now, hot, cold) = store
            .read(|tx| {
                Ok::<_, StoreError>((totals(tx)?, hot_oldest(tx, 10)?, cold_oldest(tx, 10)?))
            })
            .unwrap();
        assert_eq!((totals_now.hot_bytes, totals_now.cold_bytes), (50, 100));
        assert_eq!(hot, [(20, b)]);
        assert_eq!(cold, [(10, a)]);
        store
            .write(|tx| save_blob(tx, &b, Some(&blob(50, true, false, 20)), None))
            .unwrap();
        let (totals_now, problems) = store
            .read(|tx| {
                let mut problems = Vec::new();
                // No media name `a`: check reports the reference it counts.
                check(tx, 1 << 20, &mut problems)?;
                Ok::<_, StoreError>((totals(tx)?, problems))
            })
            .unwrap();
        assert_eq!(
            totals_now,
            Totals {
                cold_bytes: 100,
                cold_count: 1,
                ..Totals::default()
            }
        );
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("1 references recorded, 0 media name it"));
    }

    #[test]
    fn a_local_blob_in_a_cache_tier_is_refused_before_writing() {
        let directory = tempfile::tempdir().unwrap();
        let store = Store::open(&directory.path().join("test.redb"), 4 << 20, 1 << 20).unwrap();
        let mut local = blob(10, true, false, 1);
        local.local = true;
        let result = store.write(|tx| save_blob(tx, &[3; 32], None, Some(&local)));
        assert!(matches!(result, Err(StoreError::InvalidRecord { .. })));
    }
}
