//! Peers' custom emojis beyond their records (`media::get_emoji` and friends): the uses
//! index (`EMOJI_USES`, what may refer to an emoji) and the walk over remote emojis that the
//! emoji sweep makes.
//!
//! May import what `store` may. A use is a hint: the sweep checks it against the status or
//! account it names before it counts, so a status or account that went without removing its
//! uses costs one check later, never a wrong deletion.

use redb::{ReadableTable, WriteTransaction};

use super::{Reader, StoreError, records, schema};
use crate::model::{Account, CustomEmoji, Status};

/// The smallest key of a remote emoji: ours have the empty domain, which sorts first.
const FIRST_REMOTE: (&str, &str) = ("\u{0}", "");

/// Notes that `referrer` (a status or account id) may use `domain`'s `:shortcode:`.
pub fn add_use(
    tx: &WriteTransaction,
    domain: &str,
    shortcode: &str,
    referrer: u64,
) -> Result<(), StoreError> {
    tx.open_table(schema::EMOJI_USES)?
        .insert((domain, shortcode, referrer), ())?;
    Ok(())
}

/// Up to `limit` referrers noted for an emoji, in id order.
pub fn uses(
    reader: &impl Reader,
    domain: &str,
    shortcode: &str,
    limit: usize,
) -> Result<Vec<u64>, StoreError> {
    let table = reader.table(schema::EMOJI_USES)?;
    let mut out = Vec::new();
    for entry in table.range((domain, shortcode, 0)..=(domain, shortcode, u64::MAX))? {
        if out.len() >= limit {
            break;
        }
        out.push(entry?.0.value().2);
    }
    Ok(out)
}

/// Forgets a use that no longer holds.
pub fn remove_use(
    tx: &WriteTransaction,
    domain: &str,
    shortcode: &str,
    referrer: u64,
) -> Result<(), StoreError> {
    tx.open_table(schema::EMOJI_USES)?
        .remove((domain, shortcode, referrer))?;
    Ok(())
}

/// Up to `limit` remote emojis after the key `after` (from the first when `None`), in key
/// order.
pub fn remote_after(
    reader: &impl Reader,
    after: Option<(&str, &str)>,
    limit: usize,
    bytes_max: usize,
) -> Result<Vec<CustomEmoji>, StoreError> {
    let table = reader.table(schema::EMOJIS)?;
    let start = after.unwrap_or(FIRST_REMOTE);
    let mut out = Vec::new();
    for entry in table.range(start..)? {
        if out.len() >= limit {
            break;
        }
        let (key, value) = entry?;
        let (domain, shortcode) = key.value();
        if domain.is_empty() || Some((domain, shortcode)) == after {
            continue;
        }
        let emoji = records::decode::<CustomEmoji>(value.value(), bytes_max)?;
        out.push(emoji);
    }
    Ok(out)
}

/// Up to `limit` statuses from id `from` on (for the one-time fill of the uses index).
pub fn statuses_from(
    reader: &impl Reader,
    from: u64,
    limit: usize,
    bytes_max: usize,
) -> Result<Vec<Status>, StoreError> {
    records_from(reader, schema::STATUSES, from, limit, bytes_max)
}

/// Up to `limit` accounts from id `from` on (for the one-time fill of the uses index).
pub fn accounts_from(
    reader: &impl Reader,
    from: u64,
    limit: usize,
    bytes_max: usize,
) -> Result<Vec<Account>, StoreError> {
    records_from(reader, schema::ACCOUNTS, from, limit, bytes_max)
}

fn records_from<T: records::Record>(
    reader: &impl Reader,
    table: redb::TableDefinition<'static, u64, &'static [u8]>,
    from: u64,
    limit: usize,
    bytes_max: usize,
) -> Result<Vec<T>, StoreError> {
    let table = reader.table(table)?;
    let mut out = Vec::new();
    for entry in table.range(from..)? {
        if out.len() >= limit {
            break;
        }
        out.push(records::decode::<T>(entry?.1.value(), bytes_max)?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::MediaId;
    use crate::store::Store;

    fn emoji(domain: Option<&str>, shortcode: &str) -> CustomEmoji {
        CustomEmoji {
            shortcode: shortcode.into(),
            domain: domain.map(str::to_string),
            media: MediaId(1),
            category: String::new(),
            visible_in_picker: domain.is_none(),
            updated_ms: 1,
        }
    }

    #[test]
    fn remote_emojis_are_walked_after_a_key_and_uses_are_kept_per_emoji() {
        let directory = tempfile::tempdir().unwrap();
        let store = Store::open(&directory.path().join("test.redb"), 4 << 20, 1 << 20).unwrap();
        store
            .write(|tx| {
                for (domain, shortcode) in [
                    (None, "ours"),
                    (Some("a.example"), "blob"),
                    (Some("a.example"), "cat"),
                    (Some("b.example"), "blob"),
                ] {
                    crate::store::media::put_emoji(tx, &emoji(domain, shortcode))?;
                }
                add_use(tx, "a.example", "blob", 7)?;
                add_use(tx, "a.example", "blob", 3)?;
                add_use(tx, "a.example", "cat", 9)?;
                remove_use(tx, "a.example", "cat", 9)
            })
            .unwrap();
        let names = |after: Option<(&str, &str)>, limit| {
            store
                .read(|tx| remote_after(tx, after, limit, 1 << 20))
                .unwrap()
                .into_iter()
                .map(|emoji| format!("{}:{}", emoji.domain.unwrap(), emoji.shortcode))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            names(None, 10),
            ["a.example:blob", "a.example:cat", "b.example:blob"]
        );
        assert_eq!(names(None, 1), ["a.example:blob"]);
        assert_eq!(
            names(Some(("a.example", "blob")), 10),
            ["a.example:cat", "b.example:blob"]
        );
        assert_eq!(
            store.read(|tx| uses(tx, "a.example", "blob", 10)).unwrap(),
            [3, 7]
        );
        assert_eq!(
            store.read(|tx| uses(tx, "a.example", "blob", 1)).unwrap(),
            [3]
        );
        assert!(
            store
                .read(|tx| uses(tx, "a.example", "cat", 10))
                .unwrap()
                .is_empty()
        );
    }
}
