//! The on-disk format of records, and the only place that knows it.
//!
//! ```text
//! byte 0      format version (1)
//! byte 1      flags: bit 0 = zstd-compressed
//! bytes 2..4  zstd dictionary id, little-endian (0 = none): the trained dictionary of the
//!             record's kind (`schema::DICTIONARIES`) it was compressed with
//! bytes 4..   the value as positional MessagePack (structs as arrays, never field names),
//!             zstd-compressed when that makes it smaller and it is at least
//!             `COMPRESS_BYTES_MIN` long
//! ```
//!
//! Dictionaries: once enough records of a kind exist, a zstd dictionary is trained from them
//! (`store::dictionaries`) and new records of that kind are compressed with it; a record names
//! its dictionary, so records written before (with none, or an older one) stay readable.
//! Dictionaries belong to one database: `Store::read` and `Store::write` put the database's set
//! in a thread-local scope for the transaction's closure, because encode and decode take a
//! transaction, not the store.
//!
//! Architecture Invariant: every record is checked (`Record::check`) before it is encoded
//! and after it is decoded, and decoding caps the decompressed size. A dictionary is never
//! changed or removed while a record names it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::StoreError;
use crate::model;

pub const FORMAT_VERSION: u8 = 1;
const FLAG_ZSTD: u8 = 0b0000_0001;
const HEADER_BYTES: usize = 4;
/// Below this, zstd's frame header costs more than it saves.
pub const COMPRESS_BYTES_MIN: usize = 96;
/// With a trained dictionary even short records shrink (the dictionary holds what they share).
pub const DICTIONARY_COMPRESS_BYTES_MIN: usize = 24;
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
    let dictionary = scope().and_then(|set| set.active(R::KIND).cloned());
    compress(R::KIND, &packed, dictionary.as_deref())
}

/// Frames packed MessagePack: compressed (with `dictionary` if given) when that is smaller.
fn compress(
    kind: &'static str,
    packed: &[u8],
    dictionary: Option<&Dictionary>,
) -> Result<Vec<u8>, StoreError> {
    let mut bytes = Vec::with_capacity(HEADER_BYTES + packed.len());
    bytes.extend_from_slice(&[FORMAT_VERSION, 0, 0, 0]);
    let threshold = if dictionary.is_some() {
        DICTIONARY_COMPRESS_BYTES_MIN
    } else {
        COMPRESS_BYTES_MIN
    };
    if packed.len() >= threshold {
        let compressed = match dictionary {
            Some(dictionary) => with_cached(
                &DICT_COMPRESSORS,
                dictionary.serial,
                || {
                    let mut compressor =
                        zstd::bulk::Compressor::with_dictionary(ZSTD_LEVEL, &dictionary.bytes)?;
                    // The header names the dictionary: the frame's own 4-byte copy is waste.
                    compressor.include_dictid(false)?;
                    Ok(compressor)
                },
                |compressor| compressor.compress(packed),
            ),
            None => with_compressor(|compressor| compressor.compress(packed)),
        }
        .map_err(|error| StoreError::Encode {
            kind,
            reason: error.to_string(),
        })?;
        if compressed.len() < packed.len() {
            bytes[1] = FLAG_ZSTD;
            if let Some(dictionary) = dictionary {
                bytes[2..4].copy_from_slice(&dictionary.id.to_le_bytes());
            }
            bytes.extend_from_slice(&compressed);
            return Ok(bytes);
        }
    }
    bytes.extend_from_slice(packed);
    Ok(bytes)
}

/// The dictionary a stored record names (0: none).
pub fn dictionary_of(bytes: &[u8]) -> u16 {
    match bytes {
        [_, _, low, high, ..] => u16::from_le_bytes([*low, *high]),
        _ => 0,
    }
}

/// Decodes a record, refusing more than `bytes_max` bytes after decompression.
pub fn decode<R: Record>(bytes: &[u8], bytes_max: usize) -> Result<R, StoreError> {
    let packed = unpack(R::KIND, bytes, bytes_max)?;
    let record: R = rmp_serde::from_slice(&packed).map_err(|error| StoreError::Corrupt {
        kind: R::KIND,
        reason: error.to_string(),
    })?;
    record.check().map_err(|reason| StoreError::InvalidRecord {
        kind: R::KIND,
        reason,
    })?;
    Ok(record)
}

/// The positional MessagePack of a stored record (decompressed), refusing more than
/// `bytes_max` bytes: what dictionaries are trained on.
pub fn unpack<'b>(
    kind: &'static str,
    bytes: &'b [u8],
    bytes_max: usize,
) -> Result<std::borrow::Cow<'b, [u8]>, StoreError> {
    let corrupt = |reason: String| StoreError::Corrupt { kind, reason };
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
    let dictionary_id = u16::from_le_bytes([dictionary_low, dictionary_high]);
    if flags & FLAG_ZSTD == 0 {
        if body.len() > bytes_max {
            return Err(corrupt(format!(
                "{} bytes is over the cap of {bytes_max}",
                body.len()
            )));
        }
        return Ok(std::borrow::Cow::Borrowed(body));
    }
    let packed = if dictionary_id == 0 {
        with_decompressor(|decompressor| decompressor.decompress(body, bytes_max))
    } else {
        let set = scope();
        let Some(dictionary) = set.as_ref().and_then(|set| set.get(dictionary_id)) else {
            return Err(corrupt(format!("dictionary {dictionary_id} is not known")));
        };
        with_cached(
            &DICT_DECOMPRESSORS,
            dictionary.serial,
            || zstd::bulk::Decompressor::with_dictionary(&dictionary.bytes),
            |decompressor| decompressor.decompress(body, bytes_max),
        )
    }
    .map_err(|error| corrupt(format!("zstd: {error} (cap {bytes_max} bytes)")))?;
    Ok(std::borrow::Cow::Owned(packed))
}

/// Encodes packed MessagePack again with the active dictionary of `kind` (a record moved
/// to a newer dictionary by the rewrite job); `None` if it names that one already.
pub fn recompress(
    kind: &'static str,
    bytes: &[u8],
    bytes_max: usize,
) -> Result<Option<Vec<u8>>, StoreError> {
    let Some(dictionary) = scope().and_then(|set| set.active(kind).cloned()) else {
        return Ok(None);
    };
    if dictionary_of(bytes) == dictionary.id {
        return Ok(None);
    }
    let packed = unpack(kind, bytes, bytes_max)?;
    compress(kind, &packed, Some(&dictionary)).map(Some)
}

// ---- trained dictionaries -------------------------------------------------------------

/// A trained zstd dictionary of one record kind, as stored in `schema::DICTIONARIES`.
#[derive(Debug)]
pub struct Dictionary {
    /// The id records name in their header (1 and up; 0 means no dictionary).
    pub id: u16,
    /// The record kind it was trained on (`Record::KIND`).
    pub kind: String,
    pub bytes: Vec<u8>,
    /// Unique in the process, so thread-local zstd contexts of two databases never mix.
    serial: u64,
}

/// The dictionaries of one database: all that records may name, and the one new records of
/// each kind are written with.
#[derive(Debug, Default)]
pub struct Dictionaries {
    by_id: std::collections::HashMap<u16, Arc<Dictionary>>,
    active: std::collections::HashMap<String, u16>,
}

impl Dictionaries {
    pub fn new(
        dictionaries: impl IntoIterator<Item = (u16, String, Vec<u8>)>,
        active: impl IntoIterator<Item = (String, u16)>,
    ) -> Dictionaries {
        static SERIAL: AtomicU64 = AtomicU64::new(1);
        let by_id = dictionaries
            .into_iter()
            .map(|(id, kind, bytes)| {
                let serial = SERIAL.fetch_add(1, Ordering::Relaxed);
                (
                    id,
                    Arc::new(Dictionary {
                        id,
                        kind,
                        bytes,
                        serial,
                    }),
                )
            })
            .collect();
        Dictionaries {
            by_id,
            active: active.into_iter().collect(),
        }
    }

    /// The dictionary new records of `kind` are written with.
    pub fn active(&self, kind: &str) -> Option<&Arc<Dictionary>> {
        self.active.get(kind).and_then(|id| self.by_id.get(id))
    }

    pub fn get(&self, id: u16) -> Option<&Arc<Dictionary>> {
        self.by_id.get(&id)
    }

    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }
}

thread_local! {
    // The dictionaries of the database whose transaction runs on this thread (set by
    // `Store::read` and `Store::write` for the closure's duration): encode and decode take a
    // transaction, not the store, and a process may hold several databases (tests, tools).
    static SCOPE: std::cell::RefCell<Option<Arc<Dictionaries>>> =
        const { std::cell::RefCell::new(None) };
    // zstd contexts with a dictionary loaded, by dictionary serial: loading one costs about
    // as much as compressing a few records.
    static DICT_COMPRESSORS: std::cell::RefCell<Vec<(u64, zstd::bulk::Compressor<'static>)>> =
        const { std::cell::RefCell::new(Vec::new()) };
    static DICT_DECOMPRESSORS: std::cell::RefCell<Vec<(u64, zstd::bulk::Decompressor<'static>)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// Contexts kept per thread; older ones are dropped (a few dictionaries are in use at once).
const CONTEXTS_PER_THREAD_MAX: usize = 8;

/// Runs `work` with `dictionaries` as the scope of encode and decode on this thread.
pub fn with_dictionaries<T>(dictionaries: Arc<Dictionaries>, work: impl FnOnce() -> T) -> T {
    let previous = SCOPE.with(|scope| scope.replace(Some(dictionaries)));
    // Restored even if `work` panics, so a caught panic leaves no stale scope behind.
    struct Restore(Option<Arc<Dictionaries>>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let previous = self.0.take();
            SCOPE.with(|scope| *scope.borrow_mut() = previous);
        }
    }
    let _restore = Restore(previous);
    work()
}

fn scope() -> Option<Arc<Dictionaries>> {
    SCOPE.with(|scope| scope.borrow().clone())
}

fn with_cached<C, T>(
    cache: &'static std::thread::LocalKey<std::cell::RefCell<Vec<(u64, C)>>>,
    serial: u64,
    create: impl FnOnce() -> std::io::Result<C>,
    work: impl FnOnce(&mut C) -> std::io::Result<T>,
) -> std::io::Result<T> {
    cache.with(|cell| {
        let mut contexts = cell.borrow_mut();
        let index = match contexts.iter().position(|(found, _)| *found == serial) {
            Some(index) => index,
            None => {
                if contexts.len() >= CONTEXTS_PER_THREAD_MAX {
                    contexts.remove(0);
                }
                contexts.push((serial, create()?));
                contexts.len() - 1
            }
        };
        work(&mut contexts[index].1)
    })
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
        // The key may be empty: only signers' keys are kept (`app::remote::ActorInput`).
        if self.uri.is_empty() || self.inbox.is_empty() || self.key_id.is_empty() {
            return Err("remote actor without id, inbox or key id");
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

impl Record for model::Relay {
    const KIND: &'static str = "relay";
    fn check(&self) -> Result<(), &'static str> {
        if self.id == 0 || self.url.is_empty() {
            return Err("relay without id or url");
        }
        Ok(())
    }
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

impl Record for model::AccountModeration {
    const KIND: &'static str = "account_moderation";
}

impl Record for model::AuditEntry {
    const KIND: &'static str = "audit_entry";
    fn check(&self) -> Result<(), &'static str> {
        if self.id == 0 {
            return Err("audit entry without id");
        }
        Ok(())
    }
}

impl Record for model::PushSubscription {
    const KIND: &'static str = "push_subscription";
    fn check(&self) -> Result<(), &'static str> {
        if self.endpoint.is_empty() || self.p256dh.len() != 65 || self.auth.len() != 16 {
            return Err("push subscription without endpoint or keys");
        }
        Ok(())
    }
}

impl Record for model::WebSession {
    const KIND: &'static str = "web_session";
    fn check(&self) -> Result<(), &'static str> {
        if self.id == 0 || self.csrf.is_empty() {
            return Err("session without id or CSRF token");
        }
        Ok(())
    }
}

impl Record for model::TwoFactor {
    const KIND: &'static str = "two_factor";
    fn check(&self) -> Result<(), &'static str> {
        if self.secret.len() < 16 {
            return Err("two-factor secret shorter than 128 bits");
        }
        Ok(())
    }
}

impl Record for model::IpBlock {
    const KIND: &'static str = "ip_block";
    fn check(&self) -> Result<(), &'static str> {
        if self.id == 0 || self.network.is_empty() {
            return Err("IP block without id or network");
        }
        Ok(())
    }
}

impl Record for model::EmailBlock {
    const KIND: &'static str = "email_block";
    fn check(&self) -> Result<(), &'static str> {
        if self.id == 0 || self.hash.len() != 64 {
            return Err("e-mail block without id or SHA-256");
        }
        Ok(())
    }
}

impl Record for model::Announcement {
    const KIND: &'static str = "announcement";
    fn check(&self) -> Result<(), &'static str> {
        if self.id == 0 || self.text.is_empty() {
            return Err("announcement without id or text");
        }
        Ok(())
    }
}

impl Record for model::Mail {
    const KIND: &'static str = "mail";
}

impl Record for model::EmailToken {
    const KIND: &'static str = "email token";
}

impl Record for model::Rule {
    const KIND: &'static str = "rule";
    fn check(&self) -> Result<(), &'static str> {
        if self.text.trim().is_empty() {
            return Err("empty rule");
        }
        Ok(())
    }
}

impl Record for model::ReportNote {
    const KIND: &'static str = "report_note";
    fn check(&self) -> Result<(), &'static str> {
        if self.id == 0 || self.text.is_empty() {
            return Err("report note without id or text");
        }
        Ok(())
    }
}

impl Record for model::ReportState {
    const KIND: &'static str = "report_state";
}

impl Record for model::Invite {
    const KIND: &'static str = "invite";
    fn check(&self) -> Result<(), &'static str> {
        if self.id == 0 || self.code.is_empty() {
            return Err("invite without id or code");
        }
        Ok(())
    }
}

impl Record for model::PushDelivery {
    const KIND: &'static str = "push_delivery";
}

impl Record for model::ScheduledStatus {
    const KIND: &'static str = "scheduled_status";
    fn check(&self) -> Result<(), &'static str> {
        if self.id == 0 || self.owner.0 == 0 {
            return Err("scheduled status without id or owner");
        }
        Ok(())
    }
}

impl Record for model::Notification {
    const KIND: &'static str = "notification";
}

impl Record for model::NotificationPolicy {
    const KIND: &'static str = "notification_policy";
}

impl Record for model::NotificationRequest {
    const KIND: &'static str = "notification_request";
    fn check(&self) -> Result<(), &'static str> {
        if self.id == 0 || self.recipient.0 == 0 || self.from_account.0 == 0 {
            return Err("notification request without id, recipient or sender");
        }
        Ok(())
    }
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

impl Record for model::CustomEmoji {
    const KIND: &'static str = "emoji";
    fn check(&self) -> Result<(), &'static str> {
        if self.shortcode.is_empty() || self.media.0 == 0 {
            return Err("an emoji without shortcode or image");
        }
        Ok(())
    }
}

impl Record for model::Card {
    const KIND: &'static str = "card";
    fn check(&self) -> Result<(), &'static str> {
        if !(self.url.starts_with("https://") || self.url.starts_with("http://")) {
            return Err("a card of a link that is not http(s)");
        }
        if self.state == model::CardState::Ready && self.title.is_empty() {
            return Err("a ready card without a title");
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
            uri: None,
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

    /// A status written before `quote_of` existed (16 fields), before `media_ids` (17), or
    /// before `uri` (18, schema version 2) still decodes.
    #[test]
    fn statuses_without_the_quote_field_stay_readable() {
        let record = status("older");
        let mut fields = rmp_serde::to_vec(&record).unwrap();
        // Drop the last field (uri = nil) and shrink the array header from 19 to 18.
        assert_eq!(fields.pop(), Some(0xc0));
        fields[2] = 18;
        let mut bytes = vec![FORMAT_VERSION, 0, 0, 0];
        bytes.extend_from_slice(&fields);
        assert_eq!(decode::<Status>(&bytes, 1 << 20).unwrap(), record);
        // Then media_ids = []: 17 fields.
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
        // The positional layout: a MessagePack array16 of 19 fields, no field names on disk.
        assert_eq!(bytes[4..7], [0xdc, 0, 19]);
        assert!(!bytes.windows(7).any(|window| window == b"content"));
    }

    /// Records compressed with a trained dictionary name it, shrink, need it to decode, and
    /// records written before it stay readable next to them.
    #[test]
    fn dictionaries_shrink_records_that_name_them() {
        let samples: Vec<Vec<u8>> = (0..600)
            .map(|n| {
                let text = format!("status number {n} about rust and the fediverse, with #tags and links https://example.social/@user{}", n % 17);
                rmp_serde::to_vec(&status(&text)).unwrap()
            })
            .collect();
        let trained = zstd::dict::from_samples(&samples, 4096).unwrap();
        let set = Arc::new(Dictionaries::new(
            [(5, "status".to_string(), trained)],
            [("status".to_string(), 5)],
        ));
        let record = status("status number 9999 about rust and the fediverse, with #tags");
        let plain = encode(&record).unwrap();
        let with = with_dictionaries(set.clone(), || encode(&record).unwrap());
        assert_eq!(dictionary_of(&plain), 0);
        assert_eq!(dictionary_of(&with), 5);
        assert!(
            with.len() < plain.len(),
            "{} vs {}",
            with.len(),
            plain.len()
        );
        // Without the database's dictionaries in scope, the record is refused, not misread.
        assert!(matches!(
            decode::<Status>(&with, 1 << 20),
            Err(StoreError::Corrupt { .. })
        ));
        with_dictionaries(set.clone(), || {
            assert_eq!(decode::<Status>(&with, 1 << 20).unwrap(), record);
            assert_eq!(decode::<Status>(&plain, 1 << 20).unwrap(), record);
            let moved = recompress("status", &plain, 1 << 20).unwrap().unwrap();
            assert_eq!(dictionary_of(&moved), 5);
            assert_eq!(decode::<Status>(&moved, 1 << 20).unwrap(), record);
            assert!(recompress("status", &moved, 1 << 20).unwrap().is_none());
        });
    }
}
