//! Media: uploads, attachments, the remote media cache in tiers and its eviction.
//!
//! Tiers (DESIGN.md "Media"): local media (our uploads) lives in the local disk tier and is
//! never evicted; remote media is a cache: *hot* (disk, `media.hot_bytes_max`, least recently
//! viewed out first), *cold* (an object store, optional, its own byte and age budgets),
//! *gone* (the record stays; the next view fetches it again from its origin through the
//! guarded `net` client and it re-enters the hot tier).
//!
//! Architecture Invariant: a blob leaves a tier only once it is safely in the next one (or is
//! meant to be gone). [`evict`] copies a hot blob to the cold tier, checks the copy, commits
//! the record, and only then deletes the hot file; if the object store fails or is slow, the
//! pass stops and the hot file stays. Files are written before the record that names them is
//! committed and deleted after the record that dropped them is, so a crash leaves at worst an
//! unnamed file, which `remove_orphans` sweeps; never a record without its bytes.
//!
//! A view of a cold blob streams it through while it is promoted ([`promote_streaming`]): a
//! task of its own copies the object into a temporary file and renames it into the hot tier
//! once its hash checks; views read the file as it grows, so neither a slow nor a departed
//! client holds or stops the copy.
//!
//! Views of hot blobs are remembered in memory ([`Tiers::accessed`]) and written to the LRU
//! index by the eviction job in one transaction, rather than one fsync per view; a crash
//! loses some recency, nothing else.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use bytes::Bytes;

use super::{App, AppError};
use crate::blob::{BlobError, BlobStore, Disk, Hash};
use crate::media::{Caps, MediaError, Processed};
use crate::model::{AccountId, Blob, Media, MediaId, MediaKind, MediaState, StatusId};
use crate::store::media as store;
use crate::util::time::now_ms;

/// Attachments per status (Mastodon's `MAX_ATTACHMENTS`).
pub const ATTACHMENTS_MAX: usize = 4;
/// A failed fetch from an origin is not tried again for this long (views in between get 404).
pub const FETCH_RETRY_MS: u64 = 10 * 60 * 1000;
/// Views remembered between two eviction runs; more are not recorded (recency is a hint).
pub const ACCESSES_REMEMBERED_MAX: usize = 100_000;
/// Blobs looked at per step of an eviction pass.
const EVICT_BATCH: usize = 64;
/// Media fetched by one `refetch` command.
pub const REFETCH_MAX: usize = 1000;
/// Records looked at by one sweep (`prune`, `remove-orphans`, `usage`).
pub const SWEEP_RECORDS_MAX: usize = 1_000_000;
/// Uploads not attached to a status are removed by the sweep after this long (Mastodon: 1 day).
pub const UNATTACHED_KEPT_MS: u64 = 24 * 3600 * 1000;
/// Files younger than this are never taken for orphans: their record may be about to commit.
pub const ORPHAN_FILE_AGE_MS_MIN: u64 = 3600 * 1000;
/// How often the media job runs the orphan sweep by itself.
pub const ORPHAN_SWEEP_INTERVAL_MS: u64 = 24 * 3600 * 1000;
/// Media ids waiting for a prefetch; when full, more are fetched on first view instead.
pub const PREFETCH_QUEUE_MAX: usize = 1024;

/// The media part of the `App`: the blob tiers and the state of the jobs around them.
pub struct Tiers {
    pub blobs: BlobStore,
    /// Keys the unguessable part of media URLs ([`url`]); made once, kept in the database.
    url_secret: [u8; 32],
    /// Hot blobs viewed since the last eviction run, with the time: the LRU's input. A std
    /// mutex: held for one map insert, never across an await.
    accessed: Mutex<HashMap<Hash, u64>>,
    /// One decode at a time: an image at the pixel cap takes ~130 MB, twice that would not
    /// fit a small server.
    decode_slots: tokio::sync::Semaphore,
    /// One eviction pass at a time (the job, `skerry media evict`, the disk-pressure wake-up).
    evicting: tokio::sync::Mutex<()>,
    /// Wakes the eviction job early: a fetch overflowed the hot budget.
    pub evict_now: tokio::sync::Notify,
    /// Remote media to fetch before anyone views it (`media.prefetch_followed`). Bounded;
    /// losing it on a restart only means a fetch on first view.
    prefetch_tx: tokio::sync::mpsc::Sender<MediaId>,
    prefetch_rx: Mutex<Option<tokio::sync::mpsc::Receiver<MediaId>>>,
    /// The preview card job's wake-up and per-host rate limit.
    pub cards: super::cards::CardJob,
    /// Cold blobs being streamed into the hot tier, by hash ([`promote_streaming`]): a
    /// second view of one reads the same temporary file rather than writing its own. An
    /// async mutex, held across the creation of that file so two views cannot both create
    /// it; never across the object store's answer.
    promoting: tokio::sync::Mutex<HashMap<Hash, Promotion>>,
}

/// The name of the media URL secret in the `name_value` table.
const URL_SECRET_NAME: &str = "media_url_secret";

/// The media URL secret: read from the database, or made and stored on first start.
pub fn url_secret(store: &crate::store::Store) -> Result<[u8; 32], crate::store::StoreError> {
    let found = store.read(|tx| crate::store::meta::get(tx, URL_SECRET_NAME))?;
    if let Some(secret) = found.and_then(|bytes| <[u8; 32]>::try_from(bytes.as_slice()).ok()) {
        return Ok(secret);
    }
    let mut secret = [0u8; 32];
    crate::util::random::fill(&mut secret);
    store.write(|tx| crate::store::meta::put(tx, URL_SECRET_NAME, &secret))?;
    Ok(secret)
}

impl Tiers {
    pub fn open(config: &crate::config::Config, url_secret: [u8; 32]) -> Tiers {
        let blobs = BlobStore::open(config).unwrap_or_else(|error| {
            // The cold tier's settings are wrong (or the disk refuses): serve without it
            // rather than not at all; eviction then drops to "gone".
            tracing::error!(%error, "media tiers: starting without the cold tier");
            let mut without_cold = config.clone();
            without_cold.media.cold_url.clear();
            BlobStore::open(&without_cold).expect("the media directories can be created")
        });
        let (prefetch_tx, prefetch_rx) = tokio::sync::mpsc::channel(PREFETCH_QUEUE_MAX);
        Tiers {
            blobs,
            url_secret,
            accessed: Mutex::new(HashMap::new()),
            decode_slots: tokio::sync::Semaphore::new(1),
            evicting: tokio::sync::Mutex::new(()),
            evict_now: tokio::sync::Notify::new(),
            prefetch_tx,
            prefetch_rx: Mutex::new(Some(prefetch_rx)),
            cards: super::cards::CardJob::default(),
            promoting: tokio::sync::Mutex::new(HashMap::new()),
        }
    }

    fn record_access(&self, hash: Hash) {
        let mut accessed = self
            .accessed
            .lock()
            .expect("never poisoned: no panics inside");
        if accessed.len() < ACCESSES_REMEMBERED_MAX || accessed.contains_key(&hash) {
            accessed.insert(hash, now_ms());
        }
    }
}

fn caps(app: &App) -> Caps {
    let media = &app.config.media;
    Caps {
        image_bytes_max: media.image_bytes_max,
        video_bytes_max: media.video_bytes_max,
        audio_bytes_max: media.audio_bytes_max,
    }
}

fn blob_error(error: BlobError) -> AppError {
    match error {
        BlobError::Io(error) => AppError::Unavailable(crate::store::StoreError::Io(error)),
        other => AppError::Internal(other.to_string()),
    }
}

fn media_error(error: MediaError) -> AppError {
    if let MediaError::Corrupt(detail) = &error {
        tracing::info!(%detail, "media refused");
    }
    AppError::Validation(error.to_string())
}

/// Description and focus as a client sends them.
#[derive(Clone, Debug, Default)]
pub struct MediaInput {
    pub description: Option<String>,
    /// `"x,y"` with both in -1.0..=1.0.
    pub focus: Option<String>,
}

fn parse_focus(text: &str) -> Result<(f32, f32), AppError> {
    let invalid = || AppError::Validation("focus must be two numbers from -1 to 1".into());
    let (x, y) = text.split_once(',').ok_or_else(invalid)?;
    let x: f32 = x.trim().parse().map_err(|_| invalid())?;
    let y: f32 = y.trim().parse().map_err(|_| invalid())?;
    if !(-1.0..=1.0).contains(&x) || !(-1.0..=1.0).contains(&y) {
        return Err(invalid());
    }
    Ok((x, y))
}

fn check_description(text: &str) -> Result<(), AppError> {
    if text.chars().count() > crate::media::DESCRIPTION_CHARS_MAX {
        return Err(AppError::Validation(format!(
            "description is longer than {} characters",
            crate::media::DESCRIPTION_CHARS_MAX
        )));
    }
    Ok(())
}

/// Adds one reference to a local blob (creating it, or turning a cached remote copy into a
/// local one). Returns the hashes whose cache copies must be deleted after the commit.
fn reference_local(
    app: &App,
    tx: &redb::WriteTransaction,
    hash: &Hash,
    bytes: u64,
    content_type: &str,
) -> Result<Option<Blob>, AppError> {
    let old = store::get_blob(tx, hash, app.bytes_max())?;
    let now = now_ms();
    let new = match &old {
        Some(old) => Blob {
            refs: old.refs + 1,
            local: true,
            hot: false,
            cold: false,
            ..old.clone()
        },
        None => Blob {
            bytes,
            content_type: content_type.to_string(),
            refs: 1,
            local: true,
            hot: false,
            cold: false,
            accessed_ms: now,
            cold_ms: 0,
            created_ms: now,
        },
    };
    store::save_blob(tx, hash, old.as_ref(), Some(&new))?;
    Ok(old.filter(|old| !old.local && (old.hot || old.cold)))
}

/// Drops one reference to a blob; at zero the record goes, and the blob is returned so the
/// caller deletes its bytes after the commit.
fn unreference(
    app: &App,
    tx: &redb::WriteTransaction,
    hash: &Hash,
) -> Result<Option<Blob>, AppError> {
    let Some(old) = store::get_blob(tx, hash, app.bytes_max())? else {
        return Ok(None);
    };
    if old.refs > 1 {
        let new = Blob {
            refs: old.refs - 1,
            ..old.clone()
        };
        store::save_blob(tx, hash, Some(&old), Some(&new))?;
        return Ok(None);
    }
    store::save_blob(tx, hash, Some(&old), None)?;
    Ok(Some(old))
}

/// Deletes every copy of a blob whose record is gone or moved (after the commit).
async fn delete_copies(app: &App, hash: &Hash, blob: &Blob) {
    let tiers = &app.media;
    if blob.local {
        let _ = tiers.blobs.remove(Disk::Local, hash).await;
    }
    if blob.hot {
        let _ = tiers.blobs.remove(Disk::Hot, hash).await;
    }
    if blob.cold && tiers.blobs.has_cold() {
        if let Err(error) = tiers.blobs.cold_delete(hash).await {
            // Left for the orphan sweep; nothing names it any more.
            tracing::warn!(%error, "media: a cold copy could not be deleted");
        }
    }
}

/// Processes an upload on a blocking thread, one at a time.
async fn process(app: &App, bytes: Bytes) -> Result<Processed, AppError> {
    let _slot = app
        .media
        .decode_slots
        .acquire()
        .await
        .expect("the semaphore is never closed");
    let caps = caps(app);
    tokio::task::spawn_blocking(move || crate::media::process(&bytes, &caps))
        .await
        .map_err(|error| AppError::Internal(format!("processing panicked: {error}")))?
        .map_err(media_error)
}

/// Writes the processed files to the local tier (before any record names them).
async fn store_processed(
    app: &App,
    processed: &Processed,
) -> Result<(Hash, Option<Hash>), AppError> {
    let original = crate::blob::hash(&processed.bytes);
    app.media
        .blobs
        .write(Disk::Local, &original, Bytes::from(processed.bytes.clone()))
        .await
        .map_err(blob_error)?;
    let thumbnail = match &processed.thumbnail {
        Some(thumbnail) => {
            let hash = crate::blob::hash(&thumbnail.bytes);
            app.media
                .blobs
                .write(Disk::Local, &hash, Bytes::from(thumbnail.bytes.clone()))
                .await
                .map_err(blob_error)?;
            Some(hash)
        }
        None => None,
    };
    Ok((original, thumbnail))
}

/// Fills a media record from a processed upload and references its blobs, in `tx`.
fn commit_processed(
    app: &App,
    tx: &redb::WriteTransaction,
    media: &mut Media,
    processed: &Processed,
    hashes: (Hash, Option<Hash>),
) -> Result<Vec<(Hash, Blob)>, AppError> {
    let mut evicted = Vec::new();
    let (original, thumbnail) = hashes;
    if let Some(old) = reference_local(
        app,
        tx,
        &original,
        processed.bytes.len() as u64,
        processed.content_type,
    )? {
        evicted.push((original, old));
    }
    if let (Some(hash), Some(small)) = (thumbnail, &processed.thumbnail) {
        if let Some(old) =
            reference_local(app, tx, &hash, small.bytes.len() as u64, small.content_type)?
        {
            evicted.push((hash, old));
        }
    }
    media.kind = processed.kind;
    media.state = MediaState::Ready;
    media.content_type = processed.content_type.to_string();
    media.blob = Some(original);
    media.thumbnail = thumbnail;
    media.width = processed.width;
    media.height = processed.height;
    media.thumbnail_width = processed.thumbnail.as_ref().map(|small| small.width);
    media.thumbnail_height = processed.thumbnail.as_ref().map(|small| small.height);
    media.blurhash = processed.blurhash.clone();
    media.av = processed.av.clone();
    media.error = None;
    store::put_media(tx, media)?;
    Ok(evicted)
}

fn new_media(app: &App, owner: AccountId, input: &MediaInput) -> Result<Media, AppError> {
    let description = input.description.clone().unwrap_or_default();
    check_description(&description)?;
    let focus = input.focus.as_deref().map(parse_focus).transpose()?;
    Ok(Media {
        id: MediaId(app.next_id()),
        account_id: owner,
        status_id: None,
        kind: MediaKind::Unknown,
        state: MediaState::Processing,
        content_type: String::new(),
        blob: None,
        thumbnail: None,
        remote_url: None,
        description,
        focus,
        width: None,
        height: None,
        thumbnail_width: None,
        thumbnail_height: None,
        blurhash: None,
        created_ms: now_ms(),
        error: None,
        fetch_failed_ms: None,
        av: None,
    })
}

/// `POST /api/v1/media`: processes the upload now and answers with the ready attachment.
pub async fn upload(
    app: &App,
    owner: AccountId,
    bytes: Bytes,
    input: MediaInput,
) -> Result<Media, AppError> {
    let mut media = new_media(app, owner, &input)?;
    let processed = process(app, bytes).await?;
    let hashes = store_processed(app, &processed).await?;
    let evicted = app
        .run(move |app| {
            app.write(|tx| {
                let evicted = commit_processed(app, tx, &mut media, &processed, hashes)?;
                Ok::<_, AppError>((media, evicted))
            })
        })
        .await?;
    let (media, evicted) = evicted;
    for (hash, old) in evicted {
        delete_copies(
            app,
            &hash,
            &Blob {
                local: false,
                ..old
            },
        )
        .await;
    }
    Ok(media)
}

/// `POST /api/v2/media`: keeps the raw upload, commits a `Processing` record, answers, and
/// processes in the background. The raw file survives a restart, and [`resume_processing`]
/// finishes it.
pub async fn upload_async(
    app: &App,
    owner: AccountId,
    bytes: Bytes,
    input: MediaInput,
) -> Result<Media, AppError> {
    let media = new_media(app, owner, &input)?;
    if bytes.is_empty() {
        return Err(media_error(MediaError::Empty));
    }
    // Cheap checks now, so an obvious refusal is a 422 rather than a failed record later.
    let sniffed =
        crate::media::sniff(&bytes).ok_or_else(|| media_error(MediaError::UnsupportedType))?;
    let bytes_max = caps(app).for_kind(sniffed.kind);
    if bytes.len() as u64 > bytes_max {
        return Err(media_error(MediaError::TooLarge { bytes_max }));
    }
    app.media
        .blobs
        .write_incoming(media.id.0, bytes)
        .await
        .map_err(blob_error)?;
    let record = media.clone();
    app.run(move |app| {
        app.write(|tx| {
            store::put_media(tx, &record)?;
            Ok::<_, AppError>(())
        })
    })
    .await?;
    let background = app.clone();
    let id = media.id;
    tokio::spawn(async move { finish_processing(&background, id).await });
    Ok(media)
}

/// Processes a `Processing` upload from its raw file: `Ready`, or `Failed` with the reason.
pub async fn finish_processing(app: &App, id: MediaId) {
    let path = app.media.blobs.incoming_path(id.0);
    let Ok(raw) = tokio::fs::read(&path).await else {
        let _ = mark_failed(app, id, "the upload was lost".into()).await;
        return;
    };
    let result = match process(app, Bytes::from(raw)).await {
        Ok(processed) => match store_processed(app, &processed).await {
            Ok(hashes) => {
                let outcome = app
                    .run(move |app| {
                        app.write(|tx| {
                            let Some(mut media) = store::get_media(tx, id, app.bytes_max())? else {
                                return Ok::<_, AppError>(Vec::new());
                            };
                            commit_processed(app, tx, &mut media, &processed, hashes)
                        })
                    })
                    .await;
                match outcome {
                    Ok(evicted) => {
                        for (hash, old) in evicted {
                            delete_copies(
                                app,
                                &hash,
                                &Blob {
                                    local: false,
                                    ..old
                                },
                            )
                            .await;
                        }
                        Ok(())
                    }
                    Err(error) => Err(error.to_string()),
                }
            }
            Err(error) => Err(error.to_string()),
        },
        Err(error) => Err(error.to_string()),
    };
    if let Err(reason) = result {
        let _ = mark_failed(app, id, reason).await;
    }
    let _ = tokio::fs::remove_file(&path).await;
}

async fn mark_failed(app: &App, id: MediaId, reason: String) -> Result<(), AppError> {
    app.run(move |app| {
        app.write(|tx| {
            if let Some(mut media) = store::get_media(tx, id, app.bytes_max())? {
                media.state = MediaState::Failed;
                media.error = Some(reason);
                store::put_media(tx, &media)?;
            }
            Ok::<_, AppError>(())
        })
    })
    .await
}

/// Uploads still `Processing` (a restart came between the answer and the end): processed now.
pub async fn resume_processing(app: &App) {
    let pending = app
        .run(|app| {
            let mut pending = Vec::new();
            let mut after = 0;
            loop {
                let page = app.store.read(|tx| {
                    store::media_after(tx, after, 1000, app.bytes_max()).map_err(AppError::from)
                })?;
                let Some(last) = page.last() else { break };
                after = last.id.0;
                pending.extend(
                    page.into_iter()
                        .filter(|media| media.state == MediaState::Processing)
                        .map(|media| media.id),
                );
                if after == u64::MAX || pending.len() >= SWEEP_RECORDS_MAX {
                    break;
                }
            }
            Ok(pending)
        })
        .await
        .unwrap_or_default();
    for id in pending {
        finish_processing(app, id).await;
    }
}

/// An attachment its owner may change.
fn owned(
    app: &App,
    reader: &impl crate::store::Reader,
    owner: AccountId,
    id: MediaId,
) -> Result<Media, AppError> {
    match store::get_media(reader, id, app.bytes_max())? {
        Some(media) if media.account_id == owner && media.is_local() => Ok(media),
        _ => Err(AppError::NotFound),
    }
}

/// `GET /api/v1/media/:id` (the owner only, as Mastodon).
pub fn get_own(app: &App, owner: AccountId, id: MediaId) -> Result<Media, AppError> {
    app.store.read(|tx| owned(app, tx, owner, id))
}

/// `PUT /api/v1/media/:id`: description and focus.
pub fn update(
    app: &App,
    owner: AccountId,
    id: MediaId,
    input: MediaInput,
) -> Result<Media, AppError> {
    if let Some(description) = &input.description {
        check_description(description)?;
    }
    let focus = input.focus.as_deref().map(parse_focus).transpose()?;
    app.write(|tx| {
        let mut media = owned(app, tx, owner, id)?;
        if let Some(description) = input.description {
            media.description = description;
        }
        if focus.is_some() {
            media.focus = focus;
        }
        store::put_media(tx, &media)?;
        Ok(media)
    })
}

/// Deletes a media record in `tx` and drops its blob references; the blobs now at zero
/// are returned (their files go after the commit, or with the orphan sweep).
pub fn drop_media(
    app: &App,
    tx: &redb::WriteTransaction,
    id: MediaId,
) -> Result<Vec<(Hash, Blob)>, AppError> {
    let Some(media) = store::get_media(tx, id, app.bytes_max())? else {
        return Ok(Vec::new());
    };
    store::delete_media(tx, id)?;
    let mut dropped = Vec::new();
    for hash in [media.blob, media.thumbnail].into_iter().flatten() {
        if let Some(blob) = unreference(app, tx, &hash)? {
            dropped.push((hash, blob));
        }
    }
    Ok(dropped)
}

/// The attachments of a status being deleted, in its transaction: our uploads are detached
/// (a "delete and redraft" attaches them again; unattached ones are swept after a day), a
/// peer's are dropped (files nothing names any more go with the orphan sweep).
pub fn release_for_deleted_status(
    app: &App,
    tx: &redb::WriteTransaction,
    status: &crate::model::Status,
) -> Result<(), AppError> {
    for id in &status.media_ids {
        let Some(mut media) = store::get_media(tx, *id, app.bytes_max())? else {
            continue;
        };
        if media.is_local() {
            media.status_id = None;
            store::put_media(tx, &media)?;
        } else {
            drop_media(app, tx, *id)?;
        }
    }
    Ok(())
}

/// An avatar or header: an image under `media.avatar_bytes_max`, processed like any upload
/// (pixel cap, metadata stripped), stored as a media record of the account that no status
/// names. Returns its id for `ProfileUpdate`.
pub async fn upload_profile_image(
    app: &App,
    owner: AccountId,
    bytes: Bytes,
) -> Result<MediaId, AppError> {
    let bytes_max = app.config.media.avatar_bytes_max;
    if bytes.len() as u64 > bytes_max {
        return Err(media_error(MediaError::TooLarge { bytes_max }));
    }
    if crate::media::sniff(&bytes).is_none_or(|sniffed| sniffed.kind != MediaKind::Image) {
        return Err(AppError::Validation(
            "Avatar and header must be images".into(),
        ));
    }
    let media = upload(app, owner, bytes, MediaInput::default()).await?;
    Ok(media.id)
}

/// `DELETE /api/v1/media/:id`: only an attachment not yet posted (Mastodon's 422 otherwise).
pub async fn delete(app: &App, owner: AccountId, id: MediaId) -> Result<(), AppError> {
    let dropped = app
        .run(move |app| {
            app.write(|tx| {
                let media = owned(app, tx, owner, id)?;
                if media.status_id.is_some() {
                    return Err(AppError::Validation("Media is attached to a status".into()));
                }
                let account = crate::store::accounts::get_account(tx, owner, app.bytes_max())?;
                if account
                    .is_some_and(|account| account.avatar == Some(id) || account.header == Some(id))
                {
                    return Err(AppError::Validation("Media is the avatar or header".into()));
                }
                store::delete_media(tx, id)?;
                let mut dropped = Vec::new();
                for hash in [media.blob, media.thumbnail].into_iter().flatten() {
                    if let Some(blob) = unreference(app, tx, &hash)? {
                        dropped.push((hash, blob));
                    }
                }
                Ok(dropped)
            })
        })
        .await?;
    for (hash, blob) in dropped {
        delete_copies(app, &hash, &blob).await;
    }
    Ok(())
}

/// Attaches uploads to a new status, in `tx`: the owner's, ready, not attached yet, at most
/// [`ATTACHMENTS_MAX`]. Mastodon's errors.
pub fn attach(
    app: &App,
    tx: &redb::WriteTransaction,
    owner: AccountId,
    status: StatusId,
    ids: &[MediaId],
) -> Result<(), AppError> {
    if ids.len() > ATTACHMENTS_MAX {
        return Err(AppError::Validation(format!(
            "Cannot attach more than {ATTACHMENTS_MAX} files"
        )));
    }
    for (index, id) in ids.iter().enumerate() {
        if ids[..index].contains(id) {
            return Err(AppError::Validation(
                "The same media is attached twice".into(),
            ));
        }
        let mut media = owned(app, tx, owner, *id)
            .map_err(|_| AppError::Validation("Media not found".into()))?;
        if media.status_id.is_some() {
            return Err(AppError::Validation(
                "Media is attached to another status".into(),
            ));
        }
        if media.state != MediaState::Ready {
            return Err(AppError::Validation(
                "Media is still being processed".into(),
            ));
        }
        media.status_id = Some(status);
        store::put_media(tx, &media)?;
    }
    Ok(())
}

/// The attachments of a status, in order (missing ones skipped).
pub fn of_status(
    app: &App,
    reader: &impl crate::store::Reader,
    ids: &[MediaId],
) -> Result<Vec<Media>, AppError> {
    let mut out = Vec::with_capacity(ids.len());
    for id in ids.iter().take(ATTACHMENTS_MAX) {
        if let Some(media) = store::get_media(reader, *id, app.bytes_max())? {
            out.push(media);
        }
    }
    Ok(out)
}

/// A remote attachment as federation parsed it (`vocab::Attachment`).
#[derive(Clone, Debug)]
pub struct RemoteMediaInput {
    pub url: String,
    pub kind: MediaKind,
    pub media_type: Option<String>,
    pub description: String,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub blurhash: Option<String>,
    pub focus: Option<(f32, f32)>,
}

/// Records the attachments of a remote status (metadata only; bytes come per policy), in
/// the status's transaction.
pub fn insert_remote(
    app: &App,
    tx: &redb::WriteTransaction,
    author: AccountId,
    status: StatusId,
    inputs: &[RemoteMediaInput],
) -> Result<Vec<MediaId>, AppError> {
    let mut ids = Vec::new();
    for input in inputs.iter().take(ATTACHMENTS_MAX) {
        let media = Media {
            id: MediaId(app.next_id()),
            account_id: author,
            status_id: Some(status),
            kind: input.kind,
            state: MediaState::Ready,
            content_type: input.media_type.clone().unwrap_or_default(),
            blob: None,
            thumbnail: None,
            remote_url: Some(input.url.clone()),
            description: input
                .description
                .chars()
                .take(crate::media::DESCRIPTION_CHARS_MAX)
                .collect(),
            focus: input
                .focus
                .filter(|(x, y)| (-1.0..=1.0).contains(x) && (-1.0..=1.0).contains(y)),
            width: input.width,
            height: input.height,
            thumbnail_width: None,
            thumbnail_height: None,
            blurhash: input.blurhash.clone(),
            created_ms: now_ms(),
            error: None,
            fetch_failed_ms: None,
            av: None,
        };
        store::put_media(tx, &media)?;
        ids.push(media.id);
    }
    Ok(ids)
}

/// A remote image of no status (an avatar, a header, a preview card's, a custom emoji's), in
/// `tx`: metadata only, fetched on first view (or by its owner's job) through the tiers.
pub fn remote_image(
    app: &App,
    tx: &redb::WriteTransaction,
    owner: AccountId,
    url: &str,
) -> Result<MediaId, AppError> {
    let media = Media {
        id: MediaId(app.next_id()),
        account_id: owner,
        status_id: None,
        kind: MediaKind::Image,
        state: MediaState::Ready,
        content_type: String::new(),
        blob: None,
        thumbnail: None,
        remote_url: Some(url.to_string()),
        description: String::new(),
        focus: None,
        width: None,
        height: None,
        thumbnail_width: None,
        thumbnail_height: None,
        blurhash: None,
        created_ms: now_ms(),
        error: None,
        fetch_failed_ms: None,
        av: None,
    };
    store::put_media(tx, &media)?;
    Ok(media.id)
}

/// A remote account's avatar or header, in the account's transaction: the media it has
/// when the URL is the same, else a new remote media record (the old one dropped).
pub fn remote_profile_image(
    app: &App,
    tx: &redb::WriteTransaction,
    account: AccountId,
    previous: Option<MediaId>,
    url: Option<&str>,
) -> Result<Option<MediaId>, AppError> {
    if let Some(previous) = previous {
        let same = store::get_media(tx, previous, app.bytes_max())?
            .is_some_and(|media| media.remote_url.as_deref() == url);
        if same {
            return Ok(Some(previous));
        }
        drop_media(app, tx, previous)?;
    }
    let Some(url) = url else {
        return Ok(None);
    };
    remote_image(app, tx, account, url).map(Some)
}

/// Queues remote media for a prefetch (`media.prefetch_followed`); a full queue drops the
/// request, and the media is fetched on first view instead.
pub fn queue_prefetch(app: &App, ids: &[MediaId]) {
    for id in ids {
        if app.media.prefetch_tx.try_send(*id).is_err() {
            break;
        }
    }
}

/// What a media URL answers with.
#[derive(Debug)]
pub enum Served {
    /// A file on local disk.
    File {
        path: std::path::PathBuf,
        content_type: String,
        bytes: u64,
        hash: Hash,
    },
    /// A file fetched for this view, already open (it may be evicted meanwhile).
    Opened {
        file: tokio::fs::File,
        content_type: String,
        bytes: u64,
        hash: Hash,
    },
    /// A cold blob streamed through while it is promoted: the bytes arrive from the object
    /// store into a temporary file, and the answer reads them from there as they come.
    Promoting {
        promotion: Promotion,
        content_type: String,
        bytes: u64,
        hash: Hash,
    },
    /// The public (CDN) URL of a cold blob.
    Redirect(String),
}

/// How far a promotion has got: bytes in its temporary file, and whether it ended
/// (committed to the hot tier, or failed and removed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Progress {
    written: u64,
    ended: Option<bool>,
}

/// Bytes read from a promotion file per chunk of an answer.
const PROMOTION_CHUNK_BYTES: u64 = 64 * 1024;

/// A cold blob on its way into the hot tier ([`promote_streaming`]), as views read it: the
/// temporary file (shared, read at offsets, so readers and the writer never share a file
/// position; it stays readable after it is renamed into the hot tier or removed) and the
/// writer's progress.
#[derive(Clone, Debug)]
pub struct Promotion {
    file: std::sync::Arc<std::fs::File>,
    /// The blob's size.
    bytes: u64,
    progress: tokio::sync::watch::Receiver<Progress>,
}

impl Promotion {
    /// Waits for the promotion to end: `true` once the blob is committed hot, `false` if it
    /// failed (the temporary file is then gone).
    pub async fn finished(mut self) -> bool {
        loop {
            if let Some(committed) = self.progress.borrow_and_update().ended {
                return committed;
            }
            if self.progress.changed().await.is_err() {
                return self.progress.borrow().ended == Some(true);
            }
        }
    }

    /// `length` bytes from `start`, as the writer puts them into the file. Ends with an error
    /// if the promotion fails first (the answer is then cut short; the client sees fewer
    /// bytes than `Content-Length` says).
    pub fn body(
        self,
        start: u64,
        length: u64,
    ) -> impl futures_util::Stream<Item = std::io::Result<Bytes>> + Send + 'static {
        let end = start.saturating_add(length);
        futures_util::stream::unfold((self, start), move |(mut promotion, position)| async move {
            if position >= end {
                return None;
            }
            let available = loop {
                let progress = *promotion.progress.borrow_and_update();
                // The last byte waits for the hash check: an answer whose bytes turn out
                // not to be the blob's is always cut short, never complete and wrong.
                let released = match progress.ended {
                    Some(true) => progress.written,
                    _ => progress.written.min(promotion.bytes.saturating_sub(1)),
                };
                if released > position {
                    break released.min(end);
                }
                let failed = std::io::Error::other("the promotion from the cold tier failed");
                if progress.ended.is_some() || promotion.progress.changed().await.is_err() {
                    return Some((Err(failed), (promotion, end)));
                }
            };
            let want = (available - position).min(PROMOTION_CHUNK_BYTES);
            let file = promotion.file.clone();
            let read = tokio::task::spawn_blocking(move || {
                use std::os::unix::fs::FileExt as _;
                let mut buffer = vec![0u8; usize::try_from(want).unwrap_or(0)];
                let read = file.read_at(&mut buffer, position)?;
                buffer.truncate(read);
                Ok::<_, std::io::Error>(buffer)
            })
            .await
            .unwrap_or_else(|error| Err(std::io::Error::other(error.to_string())));
            match read {
                Ok(buffer) if !buffer.is_empty() => {
                    let next = position + buffer.len() as u64;
                    Some((Ok(Bytes::from(buffer)), (promotion, next)))
                }
                Ok(_) => Some((
                    Err(std::io::Error::other(
                        "a promotion file is shorter than written",
                    )),
                    (promotion, end),
                )),
                Err(error) => Some((Err(error), (promotion, end))),
            }
        })
    }
}

/// Which file of an attachment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Variant {
    Original,
    Small,
}

/// The URL of an attachment's file: made by the server from the id, never from a name sent,
/// with a key ([`url_key`]) so that the files of private posts cannot be found by counting
/// ids (Mastodon and GoToSocial put random parts in theirs for the same reason).
pub fn url(app: &App, id: MediaId, variant: Variant) -> String {
    let name = match variant {
        Variant::Original => "original",
        Variant::Small => "small",
    };
    format!("{}/media/{id}/{}/{name}", app.base_url, url_key(app, id))
}

/// 128 bits of HMAC-SHA256 of the id under the instance's media URL secret, in hex.
pub fn url_key(app: &App, id: MediaId) -> String {
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, &app.media.url_secret);
    let tag = aws_lc_rs::hmac::sign(&key, &id.0.to_be_bytes());
    crate::blob::to_hex(&tag.as_ref()[..16])
}

/// Whether `key` is the URL key of `id` (compared in constant time).
pub fn url_key_matches(app: &App, id: MediaId, key: &str) -> bool {
    let expected = url_key(app, id);
    expected.len() == key.len()
        && aws_lc_rs::constant_time::verify_slices_are_equal(expected.as_bytes(), key.as_bytes())
            .is_ok()
}

/// Finds the bytes of an attachment in the tiers, bringing a cold or gone remote blob back
/// into the hot tier. A remote file whose origin does not answer is `NotFound`; its record
/// stays.
pub async fn open(app: &App, id: MediaId, variant: Variant) -> Result<Served, AppError> {
    let (media, blob) = app
        .run(move |app| {
            app.store.read(|tx| {
                let media = store::get_media(tx, id, app.bytes_max())?.ok_or(AppError::NotFound)?;
                let hash = match variant {
                    Variant::Small => media.thumbnail.or(media.blob),
                    Variant::Original => media.blob,
                };
                let blob = match hash {
                    Some(hash) => {
                        store::get_blob(tx, &hash, app.bytes_max())?.map(|blob| (hash, blob))
                    }
                    None => None,
                };
                Ok::<_, AppError>((media, blob))
            })
        })
        .await?;
    if media.state != MediaState::Ready {
        return Err(AppError::NotFound);
    }
    if let Some((hash, blob)) = blob {
        let served = |disk| Served::File {
            path: app.media.blobs.path(disk, &hash),
            content_type: blob.content_type.clone(),
            bytes: blob.bytes,
            hash,
        };
        if blob.local {
            return Ok(served(Disk::Local));
        }
        if blob.hot && app.media.blobs.exists(Disk::Hot, &hash).await {
            app.media.record_access(hash);
            return Ok(served(Disk::Hot));
        }
        if blob.cold {
            if let Some(url) = app.media.blobs.cold_public_url(&hash) {
                return Ok(Served::Redirect(url));
            }
            match promote_streaming(app, &hash, &blob).await {
                Ok(promotion) => {
                    return Ok(Served::Promoting {
                        promotion,
                        content_type: blob.content_type.clone(),
                        bytes: blob.bytes,
                        hash,
                    });
                }
                // The store is down or does not have it whole: the origin may still have it.
                Err(error) => tracing::warn!(%error, "media: cold tier read failed"),
            }
        }
    }
    if media.remote_url.is_none() {
        return Err(AppError::NotFound);
    }
    let hash = fetch_remote_unevicted(app, id, false).await?;
    let blob = app
        .run(move |app| {
            Ok(app
                .store
                .read(|tx| store::get_blob(tx, &hash, app.bytes_max()))?)
        })
        .await?
        .ok_or(AppError::NotFound)?;
    // Opened before the eviction job is woken: on Unix an open file stays readable after its
    // name is removed, so a fetch that puts the tier over budget still answers this view.
    let opened = tokio::fs::File::open(app.media.blobs.path(Disk::Hot, &hash)).await;
    wake_if_over_budget(app).await;
    let file = opened.map_err(|_| AppError::NotFound)?;
    Ok(Served::Opened {
        file,
        content_type: blob.content_type,
        bytes: blob.bytes,
        hash,
    })
}

/// Brings a cold blob back into the hot tier while it is served: the object store's chunks
/// are written to a temporary file in the incoming directory by a task of their own, and
/// views read that file as it grows. Once the whole object has arrived and its SHA-256 is
/// the blob's, the file is renamed into the hot tier, the record says hot, and the eviction
/// job is woken if the budget is over. A view that goes away does not stop the task (the
/// promotion completes); a store that fails mid-way or bytes that do not match remove the
/// temporary file, log the error and cut the answers short. The cold copy stays until the
/// cold budgets drop it.
///
/// Errors before the first byte (no object, a size that is not the blob's, the store down)
/// come back here, and the view falls back to the origin.
async fn promote_streaming(app: &App, hash: &Hash, blob: &Blob) -> Result<Promotion, AppError> {
    if let Some(promotion) = app.media.promoting.lock().await.get(hash) {
        return Ok(promotion.clone());
    }
    let stream = app
        .media
        .blobs
        .cold_stream(hash, caps(app).any_max())
        .await
        .map_err(blob_error)?
        .ok_or(AppError::NotFound)?;
    if stream.size != blob.bytes {
        return Err(blob_error(BlobError::ColdMismatch(crate::blob::to_hex(
            hash,
        ))));
    }
    let mut promoting = app.media.promoting.lock().await;
    // Another view may have started one while the store answered this one: join it.
    if let Some(promotion) = promoting.get(hash) {
        return Ok(promotion.clone());
    }
    let (temporary, file) = app
        .media
        .blobs
        .create_promotion(hash)
        .await
        .map_err(blob_error)?;
    let file = std::sync::Arc::new(file);
    let (progress, receiver) = tokio::sync::watch::channel(Progress {
        written: 0,
        ended: None,
    });
    let promotion = Promotion {
        file: file.clone(),
        bytes: blob.bytes,
        progress: receiver,
    };
    promoting.insert(*hash, promotion.clone());
    drop(promoting);
    let background = app.clone();
    let hash = *hash;
    tokio::spawn(async move {
        let committed = match write_promotion(&hash, stream, &file, &progress).await {
            Ok(()) => match background
                .media
                .blobs
                .commit_promotion(temporary.clone(), file, &hash)
                .await
            {
                Ok(()) => true,
                Err(error) => {
                    tracing::error!(%error, "media: a promotion from the cold tier could not be committed");
                    false
                }
            },
            Err(error) => {
                tracing::error!(%error, "media: a promotion from the cold tier failed; answers cut short");
                if matches!(error, BlobError::ColdMismatch(_)) {
                    // The cold copy is not the blob: it is dropped from the record so the
                    // next view goes to the origin; the orphan sweep deletes the object.
                    if let Err(error) = record_cold_lost(&background, hash).await {
                        tracing::warn!(%error, "media: a bad cold copy could not be dropped");
                    }
                }
                false
            }
        };
        if committed {
            // The file is in place before the record names it (see the module's header).
            if let Err(error) = record_promoted(&background, hash).await {
                tracing::warn!(%error, "media: a promoted blob could not be recorded hot");
            }
        } else {
            let _ = tokio::fs::remove_file(&temporary).await;
        }
        // Out of the map only now: a view that comes later finds the record hot, or starts
        // a promotion of its own with a fresh file.
        background.media.promoting.lock().await.remove(&hash);
        progress.send_modify(|progress| progress.ended = Some(committed));
        if committed {
            wake_if_over_budget(&background).await;
        }
    });
    Ok(promotion)
}

/// Copies a cold blob's chunks into its promotion file, hashing them on the way; an error if
/// the store fails, sends more or fewer bytes than it announced, or the bytes are not the
/// blob's.
async fn write_promotion(
    hash: &Hash,
    mut stream: crate::blob::ColdStream,
    file: &std::sync::Arc<std::fs::File>,
    progress: &tokio::sync::watch::Sender<Progress>,
) -> Result<(), BlobError> {
    let mut digest = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
    let mut written: u64 = 0;
    while let Some(chunk) = stream.next_chunk().await? {
        if written + chunk.len() as u64 > stream.size {
            return Err(BlobError::ColdMismatch(crate::blob::to_hex(hash)));
        }
        digest.update(&chunk);
        let file = file.clone();
        let offset = written;
        let length = chunk.len() as u64;
        tokio::task::spawn_blocking(move || {
            use std::os::unix::fs::FileExt as _;
            file.write_all_at(&chunk, offset)
        })
        .await
        .map_err(|error| BlobError::Io(std::io::Error::other(error.to_string())))??;
        written += length;
        progress.send_modify(|progress| progress.written = written);
    }
    if written != stream.size || digest.finish().as_ref() != hash.as_slice() {
        return Err(BlobError::ColdMismatch(crate::blob::to_hex(hash)));
    }
    Ok(())
}

/// Records that a blob's cold copy is not its bytes (a promotion found another hash).
async fn record_cold_lost(app: &App, hash: Hash) -> Result<(), AppError> {
    app.run(move |app| {
        app.write(|tx| {
            if let Some(old) = store::get_blob(tx, &hash, app.bytes_max())? {
                if old.cold {
                    let new = Blob {
                        cold: false,
                        ..old.clone()
                    };
                    store::save_blob(tx, &hash, Some(&old), Some(&new))?;
                }
            }
            Ok::<_, AppError>(())
        })
    })
    .await
}

/// Records a blob hot after its promotion (as a fetch would): the LRU's clock starts now.
async fn record_promoted(app: &App, hash: Hash) -> Result<(), AppError> {
    app.run(move |app| {
        app.write(|tx| {
            if let Some(old) = store::get_blob(tx, &hash, app.bytes_max())? {
                let new = Blob {
                    hot: !old.local,
                    accessed_ms: now_ms(),
                    ..old.clone()
                };
                store::save_blob(tx, &hash, Some(&old), Some(&new))?;
            }
            Ok::<_, AppError>(())
        })
    })
    .await
}

async fn wake_if_over_budget(app: &App) {
    let over = app
        .run(|app| Ok(app.store.read(store::totals)?))
        .await
        .is_ok_and(|totals| totals.hot_bytes > app.config.media.hot_bytes_max);
    if over {
        app.media.evict_now.notify_one();
    }
}

fn host_of(url: &str) -> Option<String> {
    url::Url::parse(url)
        .ok()?
        .host_str()
        .map(str::to_ascii_lowercase)
}

/// Fetches a remote attachment from its origin through the guarded client, checks what it
/// is, and puts it in the hot tier. `force` ignores the pause after a failure.
pub async fn fetch_remote(app: &App, id: MediaId, force: bool) -> Result<Hash, AppError> {
    let hash = fetch_remote_unevicted(app, id, force).await?;
    wake_if_over_budget(app).await;
    Ok(hash)
}

/// As `fetch_remote`, without waking the eviction job: a view opens the file first, so the
/// job cannot delete it between the fetch and the response.
async fn fetch_remote_unevicted(app: &App, id: MediaId, force: bool) -> Result<Hash, AppError> {
    let media = app
        .run(move |app| {
            app.store
                .read(|tx| store::get_media(tx, id, app.bytes_max()))?
                .ok_or(AppError::NotFound)
        })
        .await?;
    let Some(remote_url) = media.remote_url.clone() else {
        return Err(AppError::NotFound);
    };
    if !force
        && media
            .fetch_failed_ms
            .is_some_and(|failed| now_ms().saturating_sub(failed) < FETCH_RETRY_MS)
    {
        return Err(AppError::NotFound);
    }
    // A remote media record of no status is an avatar, a header or a preview card's image:
    // the avatar cap applies.
    // A custom emoji's image has the emoji cap.
    let cap = if media.account_id == super::emoji::OWNER {
        Some(app.config.media.emoji_bytes_max)
    } else {
        media
            .status_id
            .is_none()
            .then_some(app.config.media.avatar_bytes_max)
    };
    match download(app, &remote_url, media.kind, cap).await {
        Ok((bytes, content_type)) => {
            // Video and audio of the MP4 family: their header's metadata, read once, from
            // bytes `download` already held under the kind's cap.
            let av = if media.av.is_none() && crate::media::AV_PARSED.contains(&content_type) {
                let bytes = bytes.clone();
                tokio::task::spawn_blocking(move || crate::media::av_meta(&bytes, content_type))
                    .await
                    .ok()
                    .flatten()
            } else {
                None
            };
            let hash = crate::blob::hash(&bytes);
            let size = bytes.len() as u64;
            app.media
                .blobs
                .write(Disk::Hot, &hash, bytes)
                .await
                .map_err(blob_error)?;
            let dropped = app
                .run(move |app| {
                    app.write(|tx| {
                        let Some(mut media) = store::get_media(tx, id, app.bytes_max())? else {
                            return Ok::<_, AppError>(None);
                        };
                        let mut dropped = None;
                        if media.blob != Some(hash) {
                            if let Some(previous) = media.blob {
                                dropped =
                                    unreference(app, tx, &previous)?.map(|blob| (previous, blob));
                            }
                        }
                        let old = store::get_blob(tx, &hash, app.bytes_max())?;
                        let now = now_ms();
                        let refs_added = u32::from(media.blob != Some(hash));
                        let new = match &old {
                            Some(old) => Blob {
                                refs: old.refs + refs_added,
                                hot: !old.local,
                                accessed_ms: now,
                                ..old.clone()
                            },
                            None => Blob {
                                bytes: size,
                                content_type: content_type.to_string(),
                                refs: 1,
                                local: false,
                                hot: true,
                                cold: false,
                                accessed_ms: now,
                                cold_ms: 0,
                                created_ms: now,
                            },
                        };
                        store::save_blob(tx, &hash, old.as_ref(), Some(&new))?;
                        media.blob = Some(hash);
                        media.content_type = content_type.to_string();
                        if let Some((size, av)) = av {
                            if media.width.is_none() {
                                media.width = size.map(|(width, _)| width);
                                media.height = size.map(|(_, height)| height);
                            }
                            media.av = Some(av);
                        }
                        media.fetch_failed_ms = None;
                        media.error = None;
                        store::put_media(tx, &media)?;
                        Ok(dropped)
                    })
                })
                .await?;
            if let Some((previous, blob)) = dropped {
                delete_copies(app, &previous, &blob).await;
            }
            Ok(hash)
        }
        Err(reason) => {
            tracing::info!(media = %id, %reason, "media: fetch from origin failed");
            app.run(move |app| {
                app.write(|tx| {
                    if let Some(mut media) = store::get_media(tx, id, app.bytes_max())? {
                        media.fetch_failed_ms = Some(now_ms());
                        media.error = Some(reason);
                        store::put_media(tx, &media)?;
                    }
                    Ok::<_, AppError>(())
                })
            })
            .await?;
            Err(AppError::NotFound)
        }
    }
}

/// GETs a remote file with the cap of its declared kind, then checks its sniffed type and
/// the cap of that. The error is a reason for the log and the record.
async fn download(
    app: &App,
    remote_url: &str,
    declared: MediaKind,
    profile_cap: Option<u64>,
) -> Result<(Bytes, &'static str), String> {
    if !app.config.federation.outbound {
        return Err("outbound requests are paused".into());
    }
    let host = host_of(remote_url).ok_or("no host")?;
    if host_refused(app, host).await? {
        return Err("the domain's media is rejected".into());
    }
    let url = crate::net::Url::parse(remote_url).map_err(|error| error.to_string())?;
    let caps = caps(app);
    let bytes_max = match (profile_cap, declared) {
        (Some(cap), _) => cap,
        (None, MediaKind::Unknown) => caps.any_max(),
        (None, kind) => caps.for_kind(kind),
    };
    let fetched = app
        .net
        .get(
            &url,
            "*/*",
            &crate::net::HeaderMap::new(),
            usize::try_from(bytes_max).unwrap_or(usize::MAX),
            None,
        )
        .await
        .map_err(|error| error.to_string())?;
    if !fetched.http_status.is_success() {
        return Err(format!("origin answered {}", fetched.http_status));
    }
    let sniffed = crate::media::sniff(&fetched.body).ok_or("not a media type we serve")?;
    if profile_cap.is_some() && sniffed.kind != MediaKind::Image {
        return Err("an avatar or header that is not an image".into());
    }
    if fetched.body.len() as u64 > caps.for_kind(sniffed.kind) {
        return Err("larger than the cap of its kind".into());
    }
    if sniffed.kind == MediaKind::Image {
        // A remote image is served as it came, but not before its header shows it within
        // the pixel cap: clients decode what we serve.
        let format = image_format(sniffed.content_type).ok_or("unknown image format")?;
        let body = fetched.body.clone();
        tokio::task::spawn_blocking(move || crate::media::check_pixels(&body, format))
            .await
            .map_err(|error| error.to_string())?
            .map_err(|error| error.to_string())?;
    }
    Ok((fetched.body, sniffed.content_type))
}

/// Whether media from `host` is refused (a suspended or `reject_media` domain).
pub(super) async fn host_refused(app: &App, host: String) -> Result<bool, String> {
    app.run(move |app| {
        app.store.read(|tx| {
            let refused = super::domains::refuses_host(app, tx, &host)?
                || super::domains::block_for_host(app, tx, &host)?
                    .is_some_and(|block| block.reject_media);
            Ok::<_, AppError>(refused)
        })
    })
    .await
    .map_err(|error| error.to_string())
}

/// Width, height and blurhash of a hot remote image, decoded in a decode slot.
pub(super) async fn summarize_image(
    app: &App,
    hash: &Hash,
) -> Result<(u32, u32, Option<String>), AppError> {
    let bytes = app
        .media
        .blobs
        .read(Disk::Hot, hash)
        .await
        .map_err(blob_error)?
        .ok_or(AppError::NotFound)?;
    let _slot = app
        .media
        .decode_slots
        .acquire()
        .await
        .expect("the semaphore is never closed");
    tokio::task::spawn_blocking(move || crate::media::image_summary(&bytes))
        .await
        .map_err(|error| AppError::Internal(format!("decoding panicked: {error}")))?
        .map_err(media_error)
}

fn image_format(content_type: &str) -> Option<image::ImageFormat> {
    image::ImageFormat::from_mime_type(content_type)
}

/// What an eviction pass did (or, dry, would do).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EvictReport {
    pub dry_run: bool,
    /// Free disk space was under `media.disk_free_bytes_min`.
    pub disk_pressure: bool,
    pub hot_target_bytes: u64,
    /// Hot blobs copied to the cold tier, then deleted from disk.
    pub moved_to_cold: u64,
    /// Hot blobs deleted from disk with no cold copy (no cold tier, or already there).
    pub dropped_from_hot: u64,
    /// Cold blobs dropped by the cold budgets (now gone).
    pub dropped_from_cold: u64,
    pub bytes_freed_hot: u64,
    /// The object store failed or timed out: the pass stopped, the hot copies stayed.
    pub cold_errors: u64,
}

/// Writes the remembered views into the hot LRU index.
fn flush_accesses(app: &App) -> Result<(), AppError> {
    let accessed = std::mem::take(&mut *app.media.accessed.lock().expect("never poisoned"));
    if accessed.is_empty() {
        return Ok(());
    }
    app.write(|tx| {
        for (hash, ms) in &accessed {
            if let Some(old) = store::get_blob(tx, hash, app.bytes_max())? {
                if old.hot && *ms > old.accessed_ms {
                    let new = Blob {
                        accessed_ms: *ms,
                        ..old.clone()
                    };
                    store::save_blob(tx, hash, Some(&old), Some(&new))?;
                }
            }
        }
        Ok(())
    })
}

/// One eviction pass: the hot tier down to its budget (half of it under disk pressure),
/// each blob copied to the cold tier first when there is one; then the cold tier down to its
/// byte and age budgets. Local blobs are never looked at (they are in neither index).
pub async fn evict(app: &App, dry_run: bool) -> Result<EvictReport, AppError> {
    let _one_at_a_time = app.media.evicting.lock().await;
    if !dry_run {
        app.run(flush_accesses).await?;
    }
    let settings = &app.config.media;
    let disk_pressure = app
        .media
        .blobs
        .disk_free_bytes()
        .is_some_and(|free| free < settings.disk_free_bytes_min);
    let hot_target_bytes = if disk_pressure {
        settings.hot_bytes_max / 2
    } else {
        settings.hot_bytes_max
    };
    let mut report = EvictReport {
        dry_run,
        disk_pressure,
        hot_target_bytes,
        ..EvictReport::default()
    };
    let totals = app.run(|app| Ok(app.store.read(store::totals)?)).await?;
    let mut hot_bytes = totals.hot_bytes;
    let mut skip = 0usize;
    'hot: while hot_bytes > hot_target_bytes {
        let batch = app
            .run(move |app| {
                Ok(app
                    .store
                    .read(|tx| store::hot_oldest(tx, skip + EVICT_BATCH))?)
            })
            .await?;
        let batch: Vec<_> = batch.into_iter().skip(skip).collect();
        if batch.is_empty() {
            break;
        }
        for (_, hash) in batch {
            if hot_bytes <= hot_target_bytes {
                break 'hot;
            }
            let Some(blob) = app
                .run(move |app| {
                    Ok(app
                        .store
                        .read(|tx| store::get_blob(tx, &hash, app.bytes_max()))?)
                })
                .await?
            else {
                continue;
            };
            if !blob.hot || blob.local {
                continue;
            }
            if dry_run {
                // Nothing moves, so the next batch must start after this one.
                skip += 1;
                hot_bytes = hot_bytes.saturating_sub(blob.bytes);
                report.bytes_freed_hot += blob.bytes;
                if app.media.blobs.has_cold() && !blob.cold {
                    report.moved_to_cold += 1;
                } else {
                    report.dropped_from_hot += 1;
                }
                continue;
            }
            let to_cold = app.media.blobs.has_cold() && !blob.cold;
            let mut cold_now = false;
            if to_cold {
                let copied = match app.media.blobs.read(Disk::Hot, &hash).await {
                    Ok(Some(bytes)) => app.media.blobs.cold_put(&hash, bytes).await.map(|()| true),
                    // The file vanished from disk: the record only catches up.
                    Ok(None) => Ok(false),
                    Err(error) => Err(error),
                };
                match copied {
                    Ok(copied) => cold_now = copied,
                    Err(error) => {
                        tracing::warn!(%error, "media: the cold tier refused a blob; eviction waits");
                        report.cold_errors += 1;
                        break 'hot;
                    }
                }
            }
            let moved = app
                .run(move |app| {
                    app.write(|tx| {
                        let Some(old) = store::get_blob(tx, &hash, app.bytes_max())? else {
                            return Ok::<_, AppError>(false);
                        };
                        if !old.hot || old.local {
                            return Ok(false);
                        }
                        let new = Blob {
                            hot: false,
                            cold: old.cold || cold_now,
                            cold_ms: if cold_now { now_ms() } else { old.cold_ms },
                            ..old.clone()
                        };
                        store::save_blob(tx, &hash, Some(&old), Some(&new))?;
                        Ok(true)
                    })
                })
                .await?;
            if moved {
                // Committed: only now does the hot copy go.
                app.media
                    .blobs
                    .remove(Disk::Hot, &hash)
                    .await
                    .map_err(blob_error)?;
                hot_bytes = hot_bytes.saturating_sub(blob.bytes);
                report.bytes_freed_hot += blob.bytes;
                if cold_now {
                    report.moved_to_cold += 1;
                } else {
                    report.dropped_from_hot += 1;
                }
            }
        }
    }
    if app.media.blobs.has_cold() && (settings.cold_bytes_max > 0 || settings.cold_days_max > 0) {
        evict_cold(app, dry_run, totals.cold_bytes, &mut report).await?;
    }
    Ok(report)
}

async fn evict_cold(
    app: &App,
    dry_run: bool,
    mut cold_bytes: u64,
    report: &mut EvictReport,
) -> Result<(), AppError> {
    let settings = &app.config.media;
    let age_cutoff_ms = (settings.cold_days_max > 0)
        .then(|| now_ms().saturating_sub(settings.cold_days_max * 24 * 3600 * 1000));
    let over_bytes = |bytes: u64| settings.cold_bytes_max > 0 && bytes > settings.cold_bytes_max;
    let mut skip = 0usize;
    loop {
        let batch = app
            .run(move |app| {
                Ok(app
                    .store
                    .read(|tx| store::cold_oldest(tx, skip + EVICT_BATCH))?)
            })
            .await?;
        let batch: Vec<_> = batch.into_iter().skip(skip).collect();
        if batch.is_empty() {
            return Ok(());
        }
        for (cold_ms, hash) in batch {
            let too_old = age_cutoff_ms.is_some_and(|cutoff| cold_ms < cutoff);
            if !too_old && !over_bytes(cold_bytes) {
                return Ok(());
            }
            if dry_run {
                skip += 1;
                let size = app
                    .run(move |app| {
                        Ok(app
                            .store
                            .read(|tx| store::get_blob(tx, &hash, app.bytes_max()))?)
                    })
                    .await?
                    .map_or(0, |blob| blob.bytes);
                cold_bytes = cold_bytes.saturating_sub(size);
                report.dropped_from_cold += 1;
                continue;
            }
            let dropped = app
                .run(move |app| {
                    app.write(|tx| {
                        let Some(old) = store::get_blob(tx, &hash, app.bytes_max())? else {
                            return Ok::<_, AppError>(None);
                        };
                        let new = Blob {
                            cold: false,
                            ..old.clone()
                        };
                        store::save_blob(tx, &hash, Some(&old), Some(&new))?;
                        Ok(Some(old.bytes))
                    })
                })
                .await?;
            if let Some(size) = dropped {
                cold_bytes = cold_bytes.saturating_sub(size);
                report.dropped_from_cold += 1;
                if let Err(error) = app.media.blobs.cold_delete(&hash).await {
                    // Nothing names it any more; the orphan sweep deletes it later.
                    tracing::warn!(%error, "media: a cold blob could not be deleted");
                }
            }
        }
    }
}

/// Bytes and counts per tier and per kind.
#[derive(Clone, Debug, Default)]
pub struct Usage {
    pub totals: store::Totals,
    /// Per kind: (local media, remote media fetched, remote media gone or never fetched).
    pub by_kind: Vec<(MediaKind, u64, u64, u64)>,
    pub disk_free_bytes: Option<u64>,
    pub cold_tier: bool,
}

pub fn usage(app: &App) -> Result<Usage, AppError> {
    let totals = app.store.read(store::totals)?;
    let mut counts: HashMap<MediaKind, (u64, u64, u64)> = HashMap::new();
    app.store.read(|tx| {
        let mut after = 0;
        let mut seen = 0;
        loop {
            let page = store::media_after(tx, after, 1000, app.bytes_max())?;
            let Some(last) = page.last() else { break };
            after = last.id.0;
            for media in &page {
                let entry = counts.entry(media.kind).or_default();
                let present = match media.blob {
                    Some(hash) => store::get_blob(tx, &hash, app.bytes_max())?
                        .is_some_and(|blob| blob.local || blob.hot || blob.cold),
                    None => false,
                };
                match (media.is_local(), present) {
                    (true, _) => entry.0 += 1,
                    (false, true) => entry.1 += 1,
                    (false, false) => entry.2 += 1,
                }
            }
            seen += page.len();
            if seen >= SWEEP_RECORDS_MAX {
                break;
            }
        }
        Ok::<_, AppError>(())
    })?;
    Ok(Usage {
        totals,
        by_kind: MediaKind::ALL
            .iter()
            .filter_map(|kind| counts.get(kind).map(|(a, b, c)| (*kind, *a, *b, *c)))
            .collect(),
        disk_free_bytes: app.media.blobs.disk_free_bytes(),
        cold_tier: app.media.blobs.has_cold(),
    })
}

/// `skerry media prune --days N`: remote media of posts older than N days leaves every
/// tier (gone); the records stay, so a later view fetches it again.
pub async fn prune(app: &App, days: u64) -> Result<u64, AppError> {
    let cutoff_ms = now_ms().saturating_sub(days.saturating_mul(24 * 3600 * 1000));
    let cutoff_id = crate::util::ids::id_floor_for_ms(cutoff_ms);
    let dropped = app
        .run(move |app| {
            app.write(|tx| {
                let mut dropped = Vec::new();
                let mut after = 0;
                let mut seen = 0;
                'pages: loop {
                    let page = store::media_after(tx, after, 1000, app.bytes_max())?;
                    let Some(last) = page.last() else { break };
                    after = last.id.0;
                    for media in page {
                        if media.id.0 >= cutoff_id {
                            break 'pages;
                        }
                        let Some(hash) = media.blob.filter(|_| !media.is_local()) else {
                            continue;
                        };
                        let Some(old) = store::get_blob(tx, &hash, app.bytes_max())? else {
                            continue;
                        };
                        if old.local || !(old.hot || old.cold) {
                            continue;
                        }
                        let new = Blob {
                            hot: false,
                            cold: false,
                            ..old.clone()
                        };
                        store::save_blob(tx, &hash, Some(&old), Some(&new))?;
                        dropped.push((hash, old));
                    }
                    seen += 1000;
                    if seen >= SWEEP_RECORDS_MAX {
                        break;
                    }
                }
                Ok::<_, AppError>(dropped)
            })
        })
        .await?;
    let count = dropped.len() as u64;
    for (hash, blob) in dropped {
        delete_copies(app, &hash, &blob).await;
    }
    Ok(count)
}

/// What `remove-orphans` removed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OrphanReport {
    /// Uploads never attached to a status within [`UNATTACHED_KEPT_MS`].
    pub unattached: u64,
    /// Blob records no media names.
    pub records: u64,
    /// Files on disk that no record places there (a crash between write and commit, or
    /// between commit and delete), and temporary files of interrupted writes.
    pub files: u64,
    /// Objects in the cold tier that no record places there.
    pub objects: u64,
    /// Raw uploads of no upload being processed.
    pub incoming: u64,
    /// Preview cards no status links to any more (with their images).
    pub cards: u64,
}

/// `skerry media remove-orphans`: the sweep that keeps crashes and failed deletes from
/// leaking space. Deletes only what no record names.
pub async fn remove_orphans(app: &App) -> Result<OrphanReport, AppError> {
    // Cold objects are written only by eviction, before their record is committed: no
    // eviction pass may run during the sweep.
    let _no_eviction = app.media.evicting.lock().await;
    let mut report = OrphanReport {
        // First, so that the images of dropped cards are swept with the rest below.
        cards: super::cards::sweep(app).await?,
        ..OrphanReport::default()
    };
    // Uploads never attached (nor an avatar or header) after a day, as Mastodon's cleanup.
    let cutoff_id = crate::util::ids::id_floor_for_ms(now_ms().saturating_sub(UNATTACHED_KEPT_MS));
    report.unattached = app
        .run(move |app| {
            app.write(|tx| {
                let mut dropped = 0;
                let mut after = 0;
                'pages: loop {
                    let page = store::media_after(tx, after, 1000, app.bytes_max())?;
                    let Some(last) = page.last() else { break };
                    after = last.id.0;
                    for media in page {
                        if media.id.0 >= cutoff_id {
                            break 'pages;
                        }
                        if !media.is_local()
                            || media.status_id.is_some()
                            || media.state == MediaState::Processing
                            || media.account_id == super::emoji::OWNER
                        {
                            continue;
                        }
                        let profile = crate::store::accounts::get_account(
                            tx,
                            media.account_id,
                            app.bytes_max(),
                        )?
                        .is_some_and(|account| {
                            account.avatar == Some(media.id) || account.header == Some(media.id)
                        });
                        if !profile {
                            drop_media(app, tx, media.id)?;
                            dropped += 1;
                        }
                    }
                }
                Ok::<_, AppError>(dropped)
            })
        })
        .await?;
    // Records at zero references.
    let unreferenced = app
        .run(|app| {
            app.write(|tx| {
                let mut out = Vec::new();
                let mut after: Option<Hash> = None;
                loop {
                    let page = store::blobs_after(tx, after.as_ref(), 1000, app.bytes_max())?;
                    let Some((last, _)) = page.last() else { break };
                    after = Some(*last);
                    for (hash, blob) in page {
                        if blob.refs == 0 {
                            store::save_blob(tx, &hash, Some(&blob), None)?;
                            out.push((hash, blob));
                        }
                    }
                    if out.len() >= SWEEP_RECORDS_MAX {
                        break;
                    }
                }
                Ok::<_, AppError>(out)
            })
        })
        .await?;
    report.records = unreferenced.len() as u64;
    for (hash, blob) in &unreferenced {
        delete_copies(app, hash, blob).await;
    }
    // Files and objects against the records.
    for disk in [Disk::Local, Disk::Hot] {
        let files = app.media.blobs.list(disk).await.map_err(blob_error)?;
        for (hash, path) in files {
            let keep = match hash {
                Some(hash) => app
                    .run(move |app| {
                        Ok(app
                            .store
                            .read(|tx| store::get_blob(tx, &hash, app.bytes_max()))?)
                    })
                    .await?
                    .is_some_and(|blob| match disk {
                        Disk::Local => blob.local,
                        Disk::Hot => blob.hot,
                    }),
                None => false,
            };
            // A file written by an upload or a fetch whose commit has not happened yet is
            // young: only files older than an hour can be orphans.
            let young = is_young(&path).await;
            if !keep && !young && tokio::fs::remove_file(&path).await.is_ok() {
                report.files += 1;
            }
        }
    }
    for (id, path) in app.media.blobs.list_incoming().await.map_err(blob_error)? {
        let processing = match id {
            Some(id) => app
                .run(move |app| {
                    Ok(app
                        .store
                        .read(|tx| store::get_media(tx, MediaId(id), app.bytes_max()))?)
                })
                .await?
                .is_some_and(|media| media.state == MediaState::Processing),
            None => false,
        };
        let young = is_young(&path).await;
        if !processing && !young && tokio::fs::remove_file(&path).await.is_ok() {
            report.incoming += 1;
        }
    }
    if app.media.blobs.has_cold() {
        let objects = app.media.blobs.cold_list().await.map_err(blob_error)?;
        for hash in objects {
            let keep = app
                .run(move |app| {
                    Ok(app
                        .store
                        .read(|tx| store::get_blob(tx, &hash, app.bytes_max()))?)
                })
                .await?
                .is_some_and(|blob| blob.cold);
            if !keep && app.media.blobs.cold_delete(&hash).await.is_ok() {
                report.objects += 1;
            }
        }
    }
    Ok(report)
}

/// `skerry media refetch`: fetches again (at most [`REFETCH_MAX`]) remote media that is in
/// no tier, ignoring the pause after a failure. Returns (fetched, failed).
pub async fn refetch(app: &App) -> Result<(u64, u64), AppError> {
    let missing = app
        .run(|app| {
            app.store.read(|tx| {
                let mut out = Vec::new();
                let mut after = 0;
                loop {
                    let page = store::media_after(tx, after, 1000, app.bytes_max())?;
                    let Some(last) = page.last() else { break };
                    after = last.id.0;
                    for media in page {
                        if media.is_local() || media.state != MediaState::Ready {
                            continue;
                        }
                        let present = match media.blob {
                            Some(hash) => store::get_blob(tx, &hash, app.bytes_max())?
                                .is_some_and(|blob| blob.local || blob.hot || blob.cold),
                            None => false,
                        };
                        if !present {
                            out.push(media.id);
                        }
                        if out.len() >= REFETCH_MAX {
                            return Ok::<_, AppError>(out);
                        }
                    }
                }
                Ok(out)
            })
        })
        .await?;
    let (mut fetched, mut failed) = (0, 0);
    for id in missing {
        match fetch_remote(app, id, true).await {
            Ok(_) => fetched += 1,
            Err(_) => failed += 1,
        }
    }
    Ok((fetched, failed))
}

/// The media job: eviction every `media.evict_interval_secs` (at once when a fetch overflows
/// the hot budget or the disk runs low), prefetches, and uploads left processing by a
/// restart. Ends when `stop` turns true.
pub fn spawn_worker(
    app: App,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let prefetch_rx = app.media.prefetch_rx.lock().expect("never poisoned").take();
        let prefetcher = prefetch_rx.map(|mut rx| {
            let app = app.clone();
            tokio::spawn(async move {
                while let Some(id) = rx.recv().await {
                    let _ = fetch_remote(&app, id, false).await;
                }
            })
        });
        let card_job = tokio::spawn(super::cards::run(app.clone(), stop.clone()));
        resume_processing(&app).await;
        let interval = Duration::from_secs(app.config.media.evict_interval_secs);
        // Disk pressure is checked more often than the full interval: running out of disk
        // should not wait a minute.
        let check = interval.min(Duration::from_secs(10));
        let mut last_run = tokio::time::Instant::now();
        let mut last_sweep = tokio::time::Instant::now();
        loop {
            tokio::select! {
                _ = stop.changed() => break,
                () = app.media.evict_now.notified() => {}
                () = tokio::time::sleep(check) => {
                    let low = app.media.blobs.disk_free_bytes()
                        .is_some_and(|free| free < app.config.media.disk_free_bytes_min);
                    if !low && last_run.elapsed() < interval {
                        continue;
                    }
                }
            }
            last_run = tokio::time::Instant::now();
            if let Err(error) = evict(&app, false).await {
                tracing::warn!(%error, "media: eviction failed");
            }
            if last_sweep.elapsed() >= Duration::from_millis(ORPHAN_SWEEP_INTERVAL_MS) {
                last_sweep = tokio::time::Instant::now();
                match remove_orphans(&app).await {
                    Ok(report) => tracing::info!(?report, "media: orphan sweep"),
                    Err(error) => tracing::warn!(%error, "media: orphan sweep failed"),
                }
            }
        }
        if let Some(prefetcher) = prefetcher {
            prefetcher.abort();
        }
        let _ = card_job.await;
    })
}

/// Whether a file was written less than `ORPHAN_FILE_AGE_MS_MIN` ago: an upload or a fetch
/// whose commit has not happened yet, so not an orphan.
async fn is_young(path: &std::path::Path) -> bool {
    tokio::fs::metadata(path)
        .await
        .and_then(|meta| meta.modified())
        .is_ok_and(|modified| {
            modified.elapsed().unwrap_or_default() < Duration::from_millis(ORPHAN_FILE_AGE_MS_MIN)
        })
}
