//! The on-disk format of records, and the only place that knows it.
//!
//! ```text
//! byte 0      format version (1)
//! byte 1      flags: bit 0 = zstd-compressed
//! bytes 2..4  zstd dictionary id, little-endian (0 = none; trained dictionaries come later)
//! bytes 4..   the value as positional MessagePack (structs as arrays, never field names),
//!             zstd-compressed when that makes it smaller and it is at least
//!             `COMPRESS_BYTES_MIN` long
//! ```
//!
//! Architecture Invariant: every record is checked (`Record::check`) before it is encoded
//! and after it is decoded, and decoding caps the decompressed size.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::StoreError;
use crate::model;

pub const FORMAT_VERSION: u8 = 1;
const FLAG_ZSTD: u8 = 0b0000_0001;
const HEADER_BYTES: usize = 4;
/// Below this, zstd's frame header costs more than it saves.
pub const COMPRESS_BYTES_MIN: usize = 96;
/// zstd level: 3 is zstd's default, a good ratio at a cost well under a write's fsync.
const ZSTD_LEVEL: i32 = 3;

thread_local! {
    // One zstd context per thread, reused: creating one costs more than decoding a status
    // (measured with benches/codec.rs). Thread-local, so no lock on the read path.
    static COMPRESSOR: std::cell::RefCell<Option<zstd::bulk::Compressor<'static>>> =
        const { std::cell::RefCell::new(None) };
    static DECOMPRESSOR: std::cell::RefCell<Option<zstd::bulk::Decompressor<'static>>> =
        const { std::cell::RefCell::new(None) };
}

fn with_compressor<T>(
    work: impl FnOnce(&mut zstd::bulk::Compressor<'static>) -> std::io::Result<T>,
) -> std::io::Result<T> {
    COMPRESSOR.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            *slot = Some(zstd::bulk::Compressor::new(ZSTD_LEVEL)?);
        }
        work(slot.as_mut().expect("set just above"))
    })
}

fn with_decompressor<T>(
    work: impl FnOnce(&mut zstd::bulk::Decompressor<'static>) -> std::io::Result<T>,
) -> std::io::Result<T> {
    DECOMPRESSOR.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            *slot = Some(zstd::bulk::Decompressor::new()?);
        }
        work(slot.as_mut().expect("set just above"))
    })
}

/// A value stored as a record, with the checks done around the disk.
pub trait Record: Serialize + DeserializeOwned {
    /// Names the kind in errors (`status`, `account`).
    const KIND: &'static str;

    /// What must hold of a value before it is written and after it is read.
    fn check(&self) -> Result<(), &'static str> {
        Ok(())
    }
}

/// Encodes a record after checking it.
pub fn encode<R: Record>(record: &R) -> Result<Vec<u8>, StoreError> {
    record.check().map_err(|reason| StoreError::InvalidRecord {
        kind: R::KIND,
        reason,
    })?;
    let packed = rmp_serde::to_vec(record).map_err(|error| StoreError::Encode {
        kind: R::KIND,
        reason: error.to_string(),
    })?;
    let mut bytes = Vec::with_capacity(HEADER_BYTES + packed.len());
    bytes.extend_from_slice(&[FORMAT_VERSION, 0, 0, 0]);
    if packed.len() >= COMPRESS_BYTES_MIN {
        let compressed =
            with_compressor(|compressor| compressor.compress(&packed)).map_err(|error| {
                StoreError::Encode {
                    kind: R::KIND,
                    reason: error.to_string(),
                }
            })?;
        if compressed.len() < packed.len() {
            bytes[1] = FLAG_ZSTD;
            bytes.extend_from_slice(&compressed);
            return Ok(bytes);
        }
    }
    bytes.extend_from_slice(&packed);
    Ok(bytes)
}

/// Decodes a record, refusing more than `bytes_max` bytes after decompression.
pub fn decode<R: Record>(bytes: &[u8], bytes_max: usize) -> Result<R, StoreError> {
    let corrupt = |reason: String| StoreError::Corrupt {
        kind: R::KIND,
        reason,
    };
    let Some((header, body)) = bytes.split_first_chunk::<HEADER_BYTES>() else {
        return Err(corrupt(format!(
            "{} bytes is shorter than the header",
            bytes.len()
        )));
    };
    let [version, flags, dictionary_low, dictionary_high] = *header;
    if version != FORMAT_VERSION {
        return Err(corrupt(format!("unknown format version {version}")));
    }
    let dictionary = u16::from_le_bytes([dictionary_low, dictionary_high]);
    if dictionary != 0 {
        return Err(corrupt(format!("dictionary {dictionary} is not known")));
    }
    let record: R = if flags & FLAG_ZSTD != 0 {
        let packed = with_decompressor(|decompressor| decompressor.decompress(body, bytes_max))
            .map_err(|error| corrupt(format!("zstd: {error} (cap {bytes_max} bytes)")))?;
        rmp_serde::from_slice(&packed).map_err(|error| corrupt(error.to_string()))?
    } else {
        if body.len() > bytes_max {
            return Err(corrupt(format!(
                "{} bytes is over the cap of {bytes_max}",
                body.len()
            )));
        }
        rmp_serde::from_slice(body).map_err(|error| corrupt(error.to_string()))?
    };
    record.check().map_err(|reason| StoreError::InvalidRecord {
        kind: R::KIND,
        reason,
    })?;
    Ok(record)
}

impl Record for model::Account {
    const KIND: &'static str = "account";
    fn check(&self) -> Result<(), &'static str> {
        if self.id.0 == 0 || self.username.is_empty() {
            return Err("account without id or username");
        }
        Ok(())
    }
}

impl Record for model::LocalUser {
    const KIND: &'static str = "user";
    fn check(&self) -> Result<(), &'static str> {
        if !self.password_hash.starts_with("$argon2id$") {
            return Err("password hash is not argon2id");
        }
        Ok(())
    }
}

impl Record for model::Status {
    const KIND: &'static str = "status";
    fn check(&self) -> Result<(), &'static str> {
        if self.id.0 == 0 || self.account_id.0 == 0 {
            return Err("status without id or account");
        }
        if self.reblog_of == Some(self.id) || self.in_reply_to_id == Some(self.id) {
            return Err("status refers to itself");
        }
        Ok(())
    }
}

impl Record for model::RemoteActor {
    const KIND: &'static str = "remote_actor";
    fn check(&self) -> Result<(), &'static str> {
        if self.uri.is_empty() || self.inbox.is_empty() || self.public_key_pem.is_empty() {
            return Err("remote actor without id, inbox or key");
        }
        Ok(())
    }
}

impl Record for model::OutboxIntent {
    const KIND: &'static str = "outbox_intent";
}

impl Record for model::Delivery {
    const KIND: &'static str = "delivery";
    fn check(&self) -> Result<(), &'static str> {
        if self.inbox.is_empty() || self.body.is_empty() {
            return Err("delivery without inbox or body");
        }
        Ok(())
    }
}

impl Record for model::InboundActivity {
    const KIND: &'static str = "inbound_activity";
}

impl Record for model::DomainBlock {
    const KIND: &'static str = "domain_block";
    fn check(&self) -> Result<(), &'static str> {
        if self.domain.is_empty() {
            return Err("domain block without domain");
        }
        Ok(())
    }
}

impl Record for model::DomainAllow {
    const KIND: &'static str = "domain_allow";
}

impl Record for model::Poll {
    const KIND: &'static str = "poll";
    fn check(&self) -> Result<(), &'static str> {
        if self.options.is_empty() {
            return Err("poll without options");
        }
        Ok(())
    }
}

impl Record for model::Report {
    const KIND: &'static str = "report";
}

impl Record for model::Notification {
    const KIND: &'static str = "notification";
}

impl Record for model::App {
    const KIND: &'static str = "app";
    fn check(&self) -> Result<(), &'static str> {
        if self.client_id.is_empty() || self.redirect_uris.is_empty() {
            return Err("app without client id or redirect URI");
        }
        Ok(())
    }
}

impl Record for model::AuthCode {
    const KIND: &'static str = "auth_code";
}

impl Record for model::Token {
    const KIND: &'static str = "token";
}

impl Record for model::List {
    const KIND: &'static str = "list";
    fn check(&self) -> Result<(), &'static str> {
        if self.id == 0 || self.owner.0 == 0 || self.title.is_empty() {
            return Err("list without id, owner or title");
        }
        Ok(())
    }
}

impl Record for model::Filter {
    const KIND: &'static str = "filter";
    fn check(&self) -> Result<(), &'static str> {
        if self.id == 0 || self.owner.0 == 0 || self.title.is_empty() || self.context.is_empty() {
            return Err("filter without id, owner, title or context");
        }
        Ok(())
    }
}

impl Record for model::Marker {
    const KIND: &'static str = "marker";
}

impl Record for model::Media {
    const KIND: &'static str = "media";
    fn check(&self) -> Result<(), &'static str> {
        if self.id.0 == 0 || self.account_id.0 == 0 {
            return Err("media without id or account");
        }
        if self.state == model::MediaState::Ready && self.blob.is_none() && self.is_local() {
            return Err("local media ready without a blob");
        }
        if self
            .focus
            .is_some_and(|(x, y)| !(-1.0..=1.0).contains(&x) || !(-1.0..=1.0).contains(&y))
        {
            return Err("focus outside -1..1");
        }
        Ok(())
    }
}

impl Record for model::Blob {
    const KIND: &'static str = "blob";
    fn check(&self) -> Result<(), &'static str> {
        if self.local && (self.hot || self.cold) {
            return Err("a local blob in a cache tier");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AccountId, Status, StatusId, Visibility};

    fn status(text: &str) -> Status {
        Status {
            id: StatusId(7 << 16),
            account_id: AccountId(3 << 16),
            in_reply_to_id: None,
            in_reply_to_account_id: None,
            reblog_of: None,
            content_html: format!("<p>{text}</p>"),
            text_source: text.to_string(),
            spoiler_text: String::new(),
            visibility: Visibility::Public,
            sensitive: false,
            language: Some("en".into()),
            mentions: vec![],
            tags: vec!["rust".into()],
            application_id: None,
            created_ms: 7,
            edited_ms: None,
            quote_of: None,
            media_ids: Vec::new(),
        }
    }

    #[test]
    fn records_round_trip_small_and_compressed() {
        for text in ["hi", &"a fairly repetitive status text ".repeat(20)] {
            let record = status(text);
            let bytes = encode(&record).unwrap();
            assert_eq!(bytes[0], FORMAT_VERSION);
            assert_eq!(bytes[1] & FLAG_ZSTD != 0, text.len() > 100);
            assert_eq!(decode::<Status>(&bytes, 1 << 20).unwrap(), record);
        }
    }

    /// A status written before `quote_of` existed (16 fields), or before `media_ids` (17),
    /// still decodes.
    #[test]
    fn statuses_without_the_quote_field_stay_readable() {
        let record = status("older");
        let mut fields = rmp_serde::to_vec(&record).unwrap();
        // Drop the last field (media_ids = []) and shrink the array header from 18 to 17.
        assert_eq!(fields.pop(), Some(0x90));
        fields[2] = 17;
        let mut bytes = vec![FORMAT_VERSION, 0, 0, 0];
        bytes.extend_from_slice(&fields);
        assert_eq!(decode::<Status>(&bytes, 1 << 20).unwrap(), record);
        // Then quote_of = nil too: 16 fields.
        assert_eq!(fields.pop(), Some(0xc0));
        fields[2] = 16;
        let mut bytes = vec![FORMAT_VERSION, 0, 0, 0];
        bytes.extend_from_slice(&fields);
        assert_eq!(decode::<Status>(&bytes, 1 << 20).unwrap(), record);
    }

    #[test]
    fn decoding_refuses_bombs_unknown_versions_and_invalid_records() {
        let big = encode(&status(&"x".repeat(100_000))).unwrap();
        assert!(matches!(
            decode::<Status>(&big, 10_000),
            Err(StoreError::Corrupt { .. })
        ));
        let mut future = encode(&status("hi")).unwrap();
        future[0] = 9;
        assert!(matches!(
            decode::<Status>(&future, 1 << 20),
            Err(StoreError::Corrupt { .. })
        ));
        let mut invalid = status("hi");
        invalid.reblog_of = Some(invalid.id);
        assert!(matches!(
            encode(&invalid),
            Err(StoreError::InvalidRecord { .. })
        ));
        assert!(decode::<Status>(&[1, 0], 100).is_err());
    }

    /// Records written by this version, kept as bytes: a later format must still read them.
    #[test]
    fn records_of_format_version_1_stay_readable() {
        let bytes = encode(&status("hello")).unwrap();
        let expected = status("hello");
        assert_eq!(decode::<Status>(&bytes, 1 << 20).unwrap(), expected);
        // The positional layout: a MessagePack array16 of 18 fields, no field names on disk.
        assert_eq!(bytes[4..7], [0xdc, 0, 18]);
        assert!(!bytes.windows(7).any(|window| window == b"content"));
    }
}
