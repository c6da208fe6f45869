//! Media attachments and the blobs that hold their bytes.
//!
//! A [`Media`] is what a client or a peer sees: an attachment with a description, a focus,
//! dimensions and a blurhash. Its bytes live in a [`Blob`], named by the SHA-256 of its
//! content, so the same file used by many attachments, avatars or peers is stored once.

use serde::{Deserialize, Serialize};

use super::{AccountId, MediaId, StatusId};

/// A SHA-256 of a blob's bytes.
pub type BlobHash = [u8; 32];

/// Mastodon's attachment types (`MediaAttachment.type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "u8", try_from = "u8")]
pub enum MediaKind {
    Image = 0,
    Gifv = 1,
    Video = 2,
    Audio = 3,
    Unknown = 4,
}

impl MediaKind {
    pub const ALL: [MediaKind; 5] = [
        MediaKind::Image,
        MediaKind::Gifv,
        MediaKind::Video,
        MediaKind::Audio,
        MediaKind::Unknown,
    ];

    pub fn name(self) -> &'static str {
        match self {
            MediaKind::Image => "image",
            MediaKind::Gifv => "gifv",
            MediaKind::Video => "video",
            MediaKind::Audio => "audio",
            MediaKind::Unknown => "unknown",
        }
    }
}

impl From<MediaKind> for u8 {
    fn from(kind: MediaKind) -> u8 {
        kind as u8
    }
}

impl TryFrom<u8> for MediaKind {
    type Error = String;
    fn try_from(value: u8) -> Result<Self, Self::Error> {
        MediaKind::ALL
            .get(usize::from(value))
            .copied()
            .ok_or_else(|| format!("unknown media kind {value}"))
    }
}

/// Where an upload stands: `POST /api/v2/media` answers before processing ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "u8", try_from = "u8")]
pub enum MediaState {
    /// Processed (or a remote attachment, whose bytes come on demand).
    Ready = 0,
    /// An upload waiting for processing; its raw bytes are in the incoming directory.
    Processing = 1,
    /// Processing refused the file; the reason is in `error`.
    Failed = 2,
}

impl From<MediaState> for u8 {
    fn from(state: MediaState) -> u8 {
        state as u8
    }
}

impl TryFrom<u8> for MediaState {
    type Error = String;
    fn try_from(value: u8) -> Result<Self, Self::Error> {
        match value {
            0 => Ok(MediaState::Ready),
            1 => Ok(MediaState::Processing),
            2 => Ok(MediaState::Failed),
            _ => Err(format!("unknown media state {value}")),
        }
    }
}

/// A media attachment, local (an upload of ours) or remote (an attachment of a peer's post).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Media {
    pub id: MediaId,
    /// The uploader, or the remote author.
    pub account_id: AccountId,
    /// The status it is attached to; `None` for an upload not yet posted (or an avatar).
    pub status_id: Option<StatusId>,
    pub kind: MediaKind,
    pub state: MediaState,
    /// The type the bytes were sniffed as (local), or the type the peer declared (remote).
    pub content_type: String,
    /// The original's blob; `None` for a remote attachment never fetched.
    pub blob: Option<BlobHash>,
    /// The small version's blob (images of ours); `None` serves the original.
    pub thumbnail: Option<BlobHash>,
    /// Where a remote attachment is fetched from; `None` for local media.
    pub remote_url: Option<String>,
    /// Alt text, plain.
    pub description: String,
    /// x and y in -1.0..=1.0.
    pub focus: Option<(f32, f32)>,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub thumbnail_width: Option<u32>,
    pub thumbnail_height: Option<u32>,
    pub blurhash: Option<String>,
    pub created_ms: u64,
    /// Why processing or the last fetch failed, for the log and `GET /api/v1/media/:id`.
    pub error: Option<String>,
    /// When a fetch from the origin last failed: the next view waits
    /// `media::FETCH_RETRY_MS` instead of asking a dead origin again at every view.
    pub fetch_failed_ms: Option<u64>,
    /// Duration, frame rate and bitrate of a video or audio file whose header we could read
    /// (MP4 family; `media::av_meta`). Added after format version 1 was first written: older
    /// records lack it.
    #[serde(default)]
    pub av: Option<AvMeta>,
}

/// What the header boxes of a video or audio file say (its width and height go to `Media`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AvMeta {
    /// Length of the longest track, in microseconds.
    pub duration_us: u64,
    /// Frames per second as a reduced fraction (numerator, denominator), video only.
    pub frame_rate: Option<(u32, u32)>,
    /// Bits per second over the whole file.
    pub bitrate: Option<u64>,
    /// Samples per second of the first audio track. Added after `bitrate` (older records
    /// lack it, as they lack the next one).
    #[serde(default)]
    pub sample_rate_hz: Option<u32>,
    /// Channels of the first audio track.
    #[serde(default)]
    pub audio_channels: Option<u16>,
}

impl Media {
    pub fn is_local(&self) -> bool {
        self.remote_url.is_none()
    }
}

/// A stored file, by the SHA-256 of its bytes, with the tiers that hold a copy.
///
/// Invariants: a local blob (`local`) is in the local tier and nowhere else, and is never
/// evicted; a remote blob is in the hot tier, the cold tier, both, or neither ("gone": its
/// media are fetched again from their origin). `refs` counts the media that name it (as
/// original or thumbnail); a blob at 0 is removed by the sweep.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Blob {
    pub bytes: u64,
    pub content_type: String,
    pub refs: u32,
    pub local: bool,
    pub hot: bool,
    pub cold: bool,
    /// Last view (remote blobs; kept coarse, see `app::media`), the hot tier's LRU key.
    pub accessed_ms: u64,
    /// When the cold tier received it, the cold tier's age key.
    pub cold_ms: u64,
    pub created_ms: u64,
}

/// Where a preview card stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "u8", try_from = "u8")]
pub enum CardState {
    /// Waiting for the card job (the link is in the due queue).
    Pending = 0,
    /// Fetched and parsed; shown on statuses that link to it.
    Ready = 1,
    /// The page could not be had or said nothing usable; not asked again before the retry
    /// pause (the negative cache).
    Failed = 2,
}

impl From<CardState> for u8 {
    fn from(state: CardState) -> u8 {
        state as u8
    }
}

impl TryFrom<u8> for CardState {
    type Error = String;
    fn try_from(value: u8) -> Result<Self, Self::Error> {
        match value {
            0 => Ok(CardState::Pending),
            1 => Ok(CardState::Ready),
            2 => Ok(CardState::Failed),
            _ => Err(format!("unknown card state {value}")),
        }
    }
}

/// A link preview (Mastodon's `PreviewCard`), one per URL, shared by every status that links
/// to it. All text is plain (never HTML from the page).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Card {
    /// The link as the status has it, without its fragment.
    pub url: String,
    pub state: CardState,
    pub title: String,
    pub description: String,
    pub provider_name: String,
    pub provider_url: String,
    pub author_name: String,
    pub author_url: String,
    pub language: Option<String>,
    /// `article:published_time` as the page gave it.
    pub published: Option<String>,
    /// The preview image: a remote media record (no status), so its bytes live in the
    /// remote media tiers like any attachment's; its width, height and blurhash are there.
    pub image: Option<MediaId>,
    pub image_description: String,
    /// When the card was queued, fetched or failed.
    pub updated_ms: u64,
    /// Why the last fetch failed (for the log and `db check`).
    pub error: Option<String>,
}

/// A custom emoji: `:shortcode:` in a status or profile shows its image. Local ones are
/// added by admins (their image is a local blob, never evicted); remote ones come from the
/// `Emoji` tags of peers' posts (their image is remote media, cached in the tiers).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomEmoji {
    pub shortcode: String,
    /// `None` for ours.
    pub domain: Option<String>,
    /// The image, a media record (local for ours, remote for a peer's).
    pub media: MediaId,
    pub category: String,
    pub visible_in_picker: bool,
    pub updated_ms: u64,
}
