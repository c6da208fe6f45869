//! Where blobs' bytes live: the local tier and the hot tier on the data directory's disk,
//! the cold tier in an object store (S3-compatible, or a directory, through `object_store`).
//! May import `util` and `config` (layer L2, beside `store`, `sig` and `net`).
//!
//! This module moves bytes; it knows nothing of records. `app::media` decides what is where
//! and commits it; the order of the two is the eviction protocol (SECURITY.md §5.3):
//! copy to the next tier, verify, commit the record, and only then delete the old copy.
//!
//! Invariants:
//! - a blob's path is made here from its SHA-256 (`<tier>/ab/abcdef…`), never from anything
//!   a client or a peer sent (TootRoot, CVE-2023-36460);
//! - a file appears under its final name only complete and synced (written to a temporary
//!   name, fsynced, renamed), so a crash leaves a whole blob or none; a cold blob streamed
//!   through while it is promoted is written to `incoming/.promote-<hash>` and renamed into
//!   the hot tier only after its caller checked its hash ([`BlobStore::commit_promotion`]);
//! - every object-store request has a deadline (`media.cold_timeout_ms`): a dead or slow
//!   store delays eviction, it never stalls serving from disk;
//! - credentials never reach a log (`object_store`'s errors do not carry them; ours never
//!   format the configuration).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use object_store::ObjectStore;
use object_store::path::Path as ObjectPath;

use crate::config::Config;

/// A SHA-256 of a blob's bytes.
pub type Hash = [u8; 32];

/// Entries read from one directory listing or one object-store page in a sweep.
pub const SWEEP_ENTRIES_MAX: usize = 100_000;

#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("disk: {0}")]
    Io(#[from] std::io::Error),
    /// The object store refused or failed a request; the text is for the log.
    #[error("object store: {0}")]
    Cold(String),
    #[error("object store timed out")]
    ColdTimeout,
    /// The object store holds something else than what was written (size mismatch).
    #[error("object store copy of {0} does not verify")]
    ColdMismatch(String),
    #[error("no cold tier configured")]
    NoColdTier,
    #[error("object store setup: {0}")]
    Setup(String),
    #[error("blob larger than {0} bytes")]
    TooLarge(u64),
}

/// The two tiers on local disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Disk {
    /// Our users' uploads: durable, never evicted.
    Local,
    /// The remote media cache, under `media.hot_bytes_max`.
    Hot,
}

/// The blob tiers. Cheap to share behind the `App`'s `Arc`.
pub struct BlobStore {
    local_dir: PathBuf,
    hot_dir: PathBuf,
    incoming_dir: PathBuf,
    cold: Option<Cold>,
}

struct Cold {
    /// `object_store` clients are `Arc`-shared by design: one connection pool for every
    /// request.
    store: Arc<dyn ObjectStore>,
    prefix: ObjectPath,
    timeout: Duration,
    public_base_url: Option<String>,
}

impl std::fmt::Debug for BlobStore {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("BlobStore")
            .field("hot_dir", &self.hot_dir)
            .field("cold", &self.cold.is_some())
            .finish_non_exhaustive()
    }
}

impl BlobStore {
    /// The tiers named by the configuration; the directories are created (owner-only).
    pub fn open(config: &Config) -> Result<BlobStore, BlobError> {
        let media = config.media_dir();
        let store = BlobStore {
            local_dir: media.join("local"),
            hot_dir: media.join("hot"),
            incoming_dir: media.join("incoming"),
            cold: open_cold(config)?,
        };
        for directory in [&store.local_dir, &store.hot_dir, &store.incoming_dir] {
            create_private_dir(directory)?;
        }
        Ok(store)
    }

    pub fn has_cold(&self) -> bool {
        self.cold.is_some()
    }

    fn dir(&self, disk: Disk) -> &Path {
        match disk {
            Disk::Local => &self.local_dir,
            Disk::Hot => &self.hot_dir,
        }
    }

    /// `<tier>/ab/abcdef…`: two hex digits fan the files out over 256 directories.
    pub fn path(&self, disk: Disk, hash: &Hash) -> PathBuf {
        let hex = to_hex(hash);
        self.dir(disk).join(&hex[..2]).join(hex)
    }

    /// Writes a blob to a disk tier: temporary file, fsync, rename, fsync of the directory.
    /// Writing a blob that is there already is a no-op (content-addressed).
    pub async fn write(&self, disk: Disk, hash: &Hash, bytes: Bytes) -> Result<(), BlobError> {
        let path = self.path(disk, hash);
        tokio::task::spawn_blocking(move || write_atomically(&path, &bytes))
            .await
            .map_err(|error| BlobError::Io(std::io::Error::other(error.to_string())))?
    }

    pub async fn exists(&self, disk: Disk, hash: &Hash) -> bool {
        tokio::fs::metadata(self.path(disk, hash)).await.is_ok()
    }

    /// The whole blob, or `None` when the tier does not have it.
    pub async fn read(&self, disk: Disk, hash: &Hash) -> Result<Option<Bytes>, BlobError> {
        match tokio::fs::read(self.path(disk, hash)).await {
            Ok(bytes) => Ok(Some(Bytes::from(bytes))),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(error) => Err(error.into()),
        }
    }

    /// Removes a blob from a disk tier; a blob already gone is fine.
    pub async fn remove(&self, disk: Disk, hash: &Hash) -> Result<(), BlobError> {
        match tokio::fs::remove_file(self.path(disk, hash)).await {
            Ok(()) => Ok(()),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(error) => Err(error.into()),
        }
    }

    /// Every blob file of a disk tier with its size (at most [`SWEEP_ENTRIES_MAX`]); files
    /// whose names are not hashes (temporary files of a crashed write) come back as `None`
    /// with their path so the sweep can remove them.
    pub async fn list(&self, disk: Disk) -> Result<Vec<(Option<Hash>, PathBuf)>, BlobError> {
        let root = self.dir(disk).to_path_buf();
        tokio::task::spawn_blocking(move || {
            let mut out = Vec::new();
            for fan in std::fs::read_dir(&root)? {
                let fan = fan?.path();
                if !fan.is_dir() {
                    continue;
                }
                for entry in std::fs::read_dir(&fan)? {
                    let path = entry?.path();
                    let hash = path
                        .file_name()
                        .and_then(|name| from_hex(&name.to_string_lossy()));
                    out.push((hash, path));
                    if out.len() >= SWEEP_ENTRIES_MAX {
                        return Ok(out);
                    }
                }
            }
            Ok(out)
        })
        .await
        .map_err(|error| BlobError::Io(std::io::Error::other(error.to_string())))?
    }

    /// The raw bytes of an upload waiting for processing (`POST /api/v2/media`).
    pub fn incoming_path(&self, media_id: u64) -> PathBuf {
        self.incoming_dir.join(media_id.to_string())
    }

    pub async fn write_incoming(&self, media_id: u64, bytes: Bytes) -> Result<(), BlobError> {
        let path = self.incoming_path(media_id);
        tokio::task::spawn_blocking(move || write_atomically(&path, &bytes))
            .await
            .map_err(|error| BlobError::Io(std::io::Error::other(error.to_string())))?
    }

    /// Raw uploads waiting for processing, by media id (names that are not ids: `None`).
    pub async fn list_incoming(&self) -> Result<Vec<(Option<u64>, PathBuf)>, BlobError> {
        let mut out = Vec::new();
        let mut entries = tokio::fs::read_dir(&self.incoming_dir).await?;
        while let Some(entry) = entries.next_entry().await? {
            let path = entry.path();
            let id = path
                .file_name()
                .and_then(|name| name.to_str())
                .and_then(|name| name.parse().ok());
            out.push((id, path));
            if out.len() >= SWEEP_ENTRIES_MAX {
                break;
            }
        }
        Ok(out)
    }

    /// Free bytes on the data directory's disk for an unprivileged writer, if known.
    pub fn disk_free_bytes(&self) -> Option<u64> {
        let stat = rustix::fs::statvfs(&self.hot_dir).ok()?;
        Some(stat.f_bavail.saturating_mul(stat.f_frsize))
    }

    fn cold(&self) -> Result<&Cold, BlobError> {
        self.cold.as_ref().ok_or(BlobError::NoColdTier)
    }

    fn object_path(cold: &Cold, hash: &Hash) -> ObjectPath {
        let hex = to_hex(hash);
        cold.prefix.child(&hex[..2]).child(hex)
    }

    /// Copies a blob to the cold tier and checks that the store holds it whole (its size as
    /// the store reports it after the write). Only then may the caller commit and delete the
    /// hot copy.
    pub async fn cold_put(&self, hash: &Hash, bytes: Bytes) -> Result<(), BlobError> {
        let cold = self.cold()?;
        let path = Self::object_path(cold, hash);
        let expected = bytes.len() as u64;
        with_deadline(cold.timeout, cold.store.put(&path, bytes.into())).await?;
        let head = with_deadline(cold.timeout, cold.store.head(&path)).await?;
        if head.size != expected {
            return Err(BlobError::ColdMismatch(to_hex(hash)));
        }
        Ok(())
    }

    /// A blob from the cold tier, `None` if the store does not have it.
    pub async fn cold_get(&self, hash: &Hash, bytes_max: u64) -> Result<Option<Bytes>, BlobError> {
        let cold = self.cold()?;
        let path = Self::object_path(cold, hash);
        let result = tokio::time::timeout(cold.timeout, async {
            let response = cold.store.get(&path).await?;
            if response.meta.size > bytes_max {
                return Ok(Err(BlobError::TooLarge(bytes_max)));
            }
            response.bytes().await.map(Ok)
        })
        .await;
        match result {
            Err(_) => Err(BlobError::ColdTimeout),
            Ok(Err(object_store::Error::NotFound { .. })) => Ok(None),
            Ok(Err(error)) => Err(BlobError::Cold(error.to_string())),
            Ok(Ok(Err(error))) => Err(error),
            Ok(Ok(Ok(bytes))) => Ok(Some(bytes)),
        }
    }

    /// A blob from the cold tier as the store sends it, chunk by chunk; `None` if the store
    /// does not have it. Its size is checked against `bytes_max` before any byte is read.
    pub async fn cold_stream(
        &self,
        hash: &Hash,
        bytes_max: u64,
    ) -> Result<Option<ColdStream>, BlobError> {
        let cold = self.cold()?;
        let path = Self::object_path(cold, hash);
        match tokio::time::timeout(cold.timeout, cold.store.get(&path)).await {
            Err(_) => Err(BlobError::ColdTimeout),
            Ok(Err(object_store::Error::NotFound { .. })) => Ok(None),
            Ok(Err(error)) => Err(BlobError::Cold(error.to_string())),
            Ok(Ok(response)) if response.meta.size > bytes_max => {
                Err(BlobError::TooLarge(bytes_max))
            }
            Ok(Ok(response)) => Ok(Some(ColdStream {
                size: response.meta.size,
                chunks: response.into_stream(),
                timeout: cold.timeout,
            })),
        }
    }

    /// A new temporary file in the incoming directory for a cold blob being promoted while
    /// it is served: `.promote-<hash>`. One promotion per hash at a time is the caller's
    /// rule (`app::media`); a file left there by a crash is replaced, and the orphan sweep
    /// takes the ones nobody replaces (their names are not upload ids).
    pub async fn create_promotion(
        &self,
        hash: &Hash,
    ) -> Result<(PathBuf, std::fs::File), BlobError> {
        let path = self
            .incoming_dir
            .join(format!("{PROMOTION_PREFIX}{}", to_hex(hash)));
        tokio::task::spawn_blocking(move || {
            let create = || {
                std::fs::File::options()
                    .read(true)
                    .write(true)
                    .create_new(true)
                    .open(&path)
            };
            let file = match create() {
                Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
                    std::fs::remove_file(&path)?;
                    create()?
                }
                other => other?,
            };
            Ok((path, file))
        })
        .await
        .map_err(|error| BlobError::Io(std::io::Error::other(error.to_string())))?
    }

    /// Puts a complete, verified promotion file into the hot tier under its hash: fsync,
    /// rename, fsync of the directory (as [`BlobStore::write`]).
    pub async fn commit_promotion(
        &self,
        temporary: PathBuf,
        file: Arc<std::fs::File>,
        hash: &Hash,
    ) -> Result<(), BlobError> {
        let path = self.path(Disk::Hot, hash);
        tokio::task::spawn_blocking(move || {
            file.sync_all()?;
            let directory = path.parent().expect("blob paths have a parent");
            std::fs::create_dir_all(directory)?;
            std::fs::rename(&temporary, &path)?;
            std::fs::File::open(directory)?.sync_all()?;
            Ok(())
        })
        .await
        .map_err(|error| BlobError::Io(std::io::Error::other(error.to_string())))?
    }

    /// Deletes a blob from the cold tier; one already gone is fine.
    pub async fn cold_delete(&self, hash: &Hash) -> Result<(), BlobError> {
        let cold = self.cold()?;
        let path = Self::object_path(cold, hash);
        match tokio::time::timeout(cold.timeout, cold.store.delete(&path)).await {
            Err(_) => Err(BlobError::ColdTimeout),
            Ok(Ok(())) | Ok(Err(object_store::Error::NotFound { .. })) => Ok(()),
            Ok(Err(error)) => Err(BlobError::Cold(error.to_string())),
        }
    }

    /// Every blob in the cold tier (at most [`SWEEP_ENTRIES_MAX`]), for the orphan sweep.
    pub async fn cold_list(&self) -> Result<Vec<Hash>, BlobError> {
        use futures_util::StreamExt as _;
        let cold = self.cold()?;
        let listing = async {
            let mut stream = cold.store.list(Some(&cold.prefix));
            let mut out = Vec::new();
            while let Some(entry) = stream.next().await {
                let entry = entry?;
                if let Some(hash) = entry.location.filename().and_then(from_hex) {
                    out.push(hash);
                }
                if out.len() >= SWEEP_ENTRIES_MAX {
                    break;
                }
            }
            Ok::<_, object_store::Error>(out)
        };
        with_deadline(cold.timeout * 10, listing).await
    }

    /// The public (CDN) URL of a cold blob, when `media.cold_public_base_url` is set.
    pub fn cold_public_url(&self, hash: &Hash) -> Option<String> {
        let cold = self.cold.as_ref()?;
        let base = cold.public_base_url.as_ref()?;
        Some(format!(
            "{}/{}",
            base.trim_end_matches('/'),
            Self::object_path(cold, hash)
        ))
    }
}

/// Name prefix of promotion files in the incoming directory ([`BlobStore::create_promotion`]).
pub const PROMOTION_PREFIX: &str = ".promote-";

/// The chunks of a cold blob as they arrive ([`BlobStore::cold_stream`]).
pub struct ColdStream {
    /// The object's size as the store reports it.
    pub size: u64,
    chunks: futures_util::stream::BoxStream<'static, object_store::Result<Bytes>>,
    timeout: Duration,
}

impl ColdStream {
    /// The next chunk, `None` at the end. Each chunk has the store's deadline
    /// (`media.cold_timeout_ms`): a store that stalls mid-way fails the stream rather than
    /// holding it open (the S3 client's own deadline covers the whole body as well).
    pub async fn next_chunk(&mut self) -> Result<Option<Bytes>, BlobError> {
        use futures_util::StreamExt as _;
        match tokio::time::timeout(self.timeout, self.chunks.next()).await {
            Err(_) => Err(BlobError::ColdTimeout),
            Ok(None) => Ok(None),
            Ok(Some(Err(error))) => Err(BlobError::Cold(error.to_string())),
            Ok(Some(Ok(chunk))) => Ok(Some(chunk)),
        }
    }
}

async fn with_deadline<T>(
    timeout: Duration,
    work: impl Future<Output = Result<T, object_store::Error>>,
) -> Result<T, BlobError> {
    match tokio::time::timeout(timeout, work).await {
        Err(_) => Err(BlobError::ColdTimeout),
        Ok(Err(error)) => Err(BlobError::Cold(error.to_string())),
        Ok(Ok(value)) => Ok(value),
    }
}

fn open_cold(config: &Config) -> Result<Option<Cold>, BlobError> {
    let media = &config.media;
    let timeout = Duration::from_millis(media.cold_timeout_ms);
    let public_base_url = Some(media.cold_public_base_url.clone()).filter(|url| !url.is_empty());
    if let Some(directory) = media.cold_url.strip_prefix("file://") {
        create_private_dir(Path::new(directory))?;
        let store = object_store::local::LocalFileSystem::new_with_prefix(directory)
            .map_err(|error| BlobError::Setup(error.to_string()))?;
        return Ok(Some(Cold {
            store: Arc::new(store),
            prefix: ObjectPath::default(),
            timeout,
            public_base_url,
        }));
    }
    let Some(rest) = media.cold_url.strip_prefix("s3://") else {
        return Ok(None);
    };
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    let options = object_store::ClientOptions::new()
        .with_timeout(timeout)
        .with_connect_timeout(timeout.min(Duration::from_secs(5)))
        .with_allow_http(media.cold_s3_allow_http);
    // Few retries, all inside the deadline above: a store that does not answer should
    // delay eviction, not hold a blob's upload for minutes.
    let retry = object_store::RetryConfig {
        max_retries: 2,
        retry_timeout: timeout,
        backoff: object_store::BackoffConfig::default(),
    };
    let mut builder = object_store::aws::AmazonS3Builder::new()
        .with_bucket_name(bucket)
        .with_region(&media.cold_s3_region)
        .with_client_options(options)
        .with_retry(retry);
    if !media.cold_s3_endpoint.is_empty() {
        builder = builder.with_endpoint(&media.cold_s3_endpoint);
    }
    if !media.cold_s3_access_key_id.is_empty() {
        builder = builder
            .with_access_key_id(&media.cold_s3_access_key_id)
            .with_secret_access_key(&media.cold_s3_secret_access_key);
    }
    let store = builder
        .build()
        .map_err(|error| BlobError::Setup(error.to_string()))?;
    Ok(Some(Cold {
        store: Arc::new(store),
        prefix: ObjectPath::from(prefix),
        timeout,
        public_base_url,
    }))
}

fn create_private_dir(directory: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    if !directory.exists() {
        std::fs::create_dir_all(directory)?;
        std::fs::set_permissions(directory, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), BlobError> {
    use std::io::Write as _;
    if std::fs::metadata(path).is_ok_and(|meta| meta.len() == bytes.len() as u64) {
        return Ok(());
    }
    let directory = path.parent().expect("blob paths have a parent");
    std::fs::create_dir_all(directory)?;
    let mut suffix = [0u8; 8];
    crate::util::random::fill(&mut suffix);
    let temporary = directory.join(format!(".tmp-{}", to_hex(&suffix)));
    let result = (|| {
        let mut file = std::fs::File::create(&temporary)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&temporary, path)?;
        std::fs::File::open(directory)?.sync_all()
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    Ok(result?)
}

/// Lowercase hexadecimal.
pub fn to_hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        let _ = write!(out, "{byte:02x}");
    }
    out
}

/// A 64-digit lowercase hexadecimal name back to a hash.
pub fn from_hex(text: &str) -> Option<Hash> {
    if text.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (index, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(text.get(index * 2..index * 2 + 2)?, 16).ok()?;
    }
    Some(out)
}

/// The SHA-256 of `bytes`.
pub fn hash(bytes: &[u8]) -> Hash {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes);
    let mut out = [0u8; 32];
    out.copy_from_slice(digest.as_ref());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips_and_refuses_other_names() {
        let hash = hash(b"skerry");
        assert_eq!(from_hex(&to_hex(&hash)), Some(hash));
        assert_eq!(from_hex(".tmp-0011223344556677"), None);
        assert_eq!(from_hex(&"zz".repeat(32)), None);
    }

    #[tokio::test]
    async fn a_blob_written_to_disk_reads_back_and_a_rewrite_is_a_no_op() {
        let directory = tempfile::tempdir().unwrap();
        let mut config = Config::default();
        config.storage.data_dir = directory.path().to_path_buf();
        config.media.cold_url = format!("file://{}/cold", directory.path().display());
        let blobs = BlobStore::open(&config).unwrap();
        let bytes = Bytes::from_static(b"some media");
        let hash = hash(&bytes);
        blobs.write(Disk::Hot, &hash, bytes.clone()).await.unwrap();
        blobs.write(Disk::Hot, &hash, bytes.clone()).await.unwrap();
        assert_eq!(
            blobs.read(Disk::Hot, &hash).await.unwrap(),
            Some(bytes.clone())
        );
        assert_eq!(blobs.read(Disk::Local, &hash).await.unwrap(), None);
        let listed = blobs.list(Disk::Hot).await.unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].0, Some(hash));
        blobs.cold_put(&hash, bytes.clone()).await.unwrap();
        assert_eq!(
            blobs.cold_get(&hash, 1 << 20).await.unwrap(),
            Some(bytes.clone())
        );
        assert_eq!(blobs.cold_list().await.unwrap(), vec![hash]);
        assert!(matches!(
            blobs.cold_get(&hash, 3).await,
            Err(BlobError::TooLarge(3))
        ));
        let mut stream = blobs.cold_stream(&hash, 1 << 20).await.unwrap().unwrap();
        assert_eq!(stream.size, bytes.len() as u64);
        let mut streamed = Vec::new();
        while let Some(chunk) = stream.next_chunk().await.unwrap() {
            streamed.extend_from_slice(&chunk);
        }
        assert_eq!(streamed, bytes);
        assert!(matches!(
            blobs.cold_stream(&hash, 3).await,
            Err(BlobError::TooLarge(3))
        ));
        // A promotion file left by a crash is replaced; a committed one is the hot blob.
        blobs.remove(Disk::Hot, &hash).await.unwrap();
        let (leftover, _) = blobs.create_promotion(&hash).await.unwrap();
        let (temporary, file) = blobs.create_promotion(&hash).await.unwrap();
        assert_eq!(leftover, temporary);
        std::os::unix::fs::FileExt::write_all_at(&file, &streamed, 0).unwrap();
        blobs
            .commit_promotion(temporary.clone(), Arc::new(file), &hash)
            .await
            .unwrap();
        assert!(!temporary.exists());
        assert_eq!(
            blobs.read(Disk::Hot, &hash).await.unwrap(),
            Some(bytes.clone())
        );
        blobs.cold_delete(&hash).await.unwrap();
        blobs.cold_delete(&hash).await.unwrap();
        assert!(blobs.cold_stream(&hash, 1 << 20).await.unwrap().is_none());
        assert_eq!(blobs.cold_get(&hash, 1 << 20).await.unwrap(), None);
        blobs.remove(Disk::Hot, &hash).await.unwrap();
        assert!(!blobs.exists(Disk::Hot, &hash).await);
    }
}
