//! Named values of the instance in the META table (`name_value`): the instance key, and
//! `schema_version`, which `store::migrate` keeps itself.
//!
//! May import what `store` may. Values are small opaque bytes; what they mean is the
//! caller's business, and the caller checks them after reading.

use redb::{ReadableTable, WriteTransaction};

use super::{Reader, StoreError, schema};

/// The instance actor's RSA private key, PKCS#8 DER, made at the first `skerry serve`.
pub const INSTANCE_PRIVATE_KEY: &str = "instance_private_key";
/// The VAPID private key of Web Push (ECDSA P-256, PKCS#8 DER), made on first start.
pub const VAPID_PRIVATE_KEY: &str = "vapid_private_key";

/// Longest name, and largest value, that `put` accepts: META holds keys and versions, not
/// documents.
pub const NAME_BYTES_MAX: usize = 64;
pub const VALUE_BYTES_MAX: usize = 64 * 1024;

/// The value stored under `name`, if any.
pub fn get(reader: &impl Reader, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
    Ok(reader
        .table(schema::META)?
        .get(name)?
        .map(|value| value.value().to_vec()))
}

/// Stores `value` under `name`, replacing what was there.
pub fn put(tx: &WriteTransaction, name: &str, value: &[u8]) -> Result<(), StoreError> {
    if name.is_empty() || name.len() > NAME_BYTES_MAX {
        return Err(StoreError::Encode {
            kind: "meta",
            reason: format!("name {name:?} is not 1 to {NAME_BYTES_MAX} bytes"),
        });
    }
    if value.len() > VALUE_BYTES_MAX {
        return Err(StoreError::Encode {
            kind: "meta",
            reason: format!(
                "value of {name} is {} bytes, more than {VALUE_BYTES_MAX}",
                value.len()
            ),
        });
    }
    tx.open_table(schema::META)?.insert(name, value)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    #[test]
    fn values_round_trip_and_oversized_ones_are_refused() {
        let directory = tempfile::tempdir().unwrap();
        let store = Store::open(&directory.path().join("test.redb"), 4 << 20, 1 << 20).unwrap();
        assert_eq!(
            store.read(|tx| get(tx, INSTANCE_PRIVATE_KEY)).unwrap(),
            None
        );
        store
            .write(|tx| put(tx, INSTANCE_PRIVATE_KEY, b"key"))
            .unwrap();
        assert_eq!(
            store
                .read(|tx| get(tx, INSTANCE_PRIVATE_KEY))
                .unwrap()
                .as_deref(),
            Some(&b"key"[..])
        );
        let error = store
            .write(|tx| put(tx, "big", &vec![0; VALUE_BYTES_MAX + 1]))
            .unwrap_err();
        assert!(
            matches!(error, StoreError::Encode { kind: "meta", .. }),
            "{error}"
        );
        let error = store.write(|tx| put(tx, "", b"x")).unwrap_err();
        assert!(
            matches!(error, StoreError::Encode { kind: "meta", .. }),
            "{error}"
        );
    }
}
