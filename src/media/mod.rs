//! Media processing: what a file really is, whether it is within limits, and the version we
//! keep. Pure functions over bytes (layer L3); `app::media` calls them on a blocking thread,
//! one decode at a time.
//! May import `util`, `config` and `model`.
//!
//! Invariants (SECURITY.md §0 item 15, §2.8):
//! - the type is sniffed from the bytes ([`sniff`]); a declared type or a file name is never
//!   believed, and only the types of [`ACCEPTED`] are kept, so what we serve later carries
//!   one of their `Content-Type`s (no HTML, no SVG);
//! - bytes are capped before anything else, and an image's pixels are capped from its header
//!   *before* decoding (Mastodon's 33,177,600; GIFs 921,600), with an allocation cap on the
//!   decoder too: a decompression bomb is refused without being inflated;
//! - images are decoded and encoded again (JPEG, PNG, WebP), which drops EXIF, XMP, ICC
//!   and comments; the EXIF orientation is applied first so the picture stays upright.
//!   GIFs are kept as they come (re-encoding animation is not done here): their pixels
//!   are capped and their first frame gives the thumbnail;
//! - video and audio are stored as they come (no ffmpeg). Their headers are read for size,
//!   duration, frame rate, bitrate, sample rate and channels ([`av_meta`]): the MP4 family's
//!   boxes (`mp4parse`), WebM's Info and Tracks (`matroska-demuxer`), and the headers of MP3,
//!   Ogg (Vorbis, Opus), FLAC and WAV (`symphonia`'s demuxers, no decoder). Always from bytes
//!   already under the kind's byte cap; a file they cannot be read from is kept without them.

pub mod card;

use std::io::Cursor;

use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader};

use crate::model::{AvMeta, MediaKind};

/// Pixels of an image (Mastodon's `MAX_MATRIX_LIMIT`, 7680×4320).
pub const IMAGE_PIXELS_MAX: u64 = 33_177_600;
/// Pixels of a GIF (Mastodon's `GIF_MATRIX_LIMIT`, 1280×720): every frame is that big.
pub const GIF_PIXELS_MAX: u64 = 921_600;
/// Memory the decoder may allocate; `image`'s own default (512 MiB) is more than a small
/// server has, and an RGBA image at the pixel cap needs 133 MB.
pub const DECODE_ALLOC_BYTES_MAX: u64 = 160 * 1024 * 1024;
/// The small version fits in this square (Mastodon's `small` is 640 px wide at most).
pub const THUMBNAIL_SIDE_PX: u32 = 640;
/// Blurhash components across and down (Mastodon: 4×4; 4×3 suits landscape pictures).
pub const BLURHASH_COMPONENTS: (u32, u32) = (4, 3);
/// The blurhash is computed on a copy this small: it only holds a few colours.
const BLURHASH_SIDE_PX: u32 = 64;
/// JPEG quality of re-encoded images and thumbnails.
const JPEG_QUALITY: u8 = 85;
/// Characters of a media description (Mastodon: 1,500).
pub const DESCRIPTION_CHARS_MAX: usize = 1500;

/// The sniffed types we keep: (sniffed type, type we serve, kind, file extension).
pub const ACCEPTED: [(&str, &str, MediaKind, &str); 14] = [
    ("image/jpeg", "image/jpeg", MediaKind::Image, "jpg"),
    ("image/png", "image/png", MediaKind::Image, "png"),
    ("image/gif", "image/gif", MediaKind::Image, "gif"),
    ("image/webp", "image/webp", MediaKind::Image, "webp"),
    ("video/mp4", "video/mp4", MediaKind::Video, "mp4"),
    ("video/x-m4v", "video/mp4", MediaKind::Video, "mp4"),
    ("video/webm", "video/webm", MediaKind::Video, "webm"),
    (
        "video/quicktime",
        "video/quicktime",
        MediaKind::Video,
        "mov",
    ),
    ("audio/mpeg", "audio/mpeg", MediaKind::Audio, "mp3"),
    ("audio/ogg", "audio/ogg", MediaKind::Audio, "ogg"),
    ("audio/opus", "audio/ogg", MediaKind::Audio, "opus"),
    ("audio/x-flac", "audio/flac", MediaKind::Audio, "flac"),
    ("audio/x-wav", "audio/wav", MediaKind::Audio, "wav"),
    ("audio/m4a", "audio/mp4", MediaKind::Audio, "m4a"),
];

/// What the bytes are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sniffed {
    pub kind: MediaKind,
    /// The `Content-Type` we serve it with.
    pub content_type: &'static str,
    pub extension: &'static str,
}

/// The type of a file from its first bytes, if it is one we accept.
pub fn sniff(bytes: &[u8]) -> Option<Sniffed> {
    let found = infer::get(bytes)?;
    ACCEPTED
        .iter()
        .find(|(sniffed, ..)| *sniffed == found.mime_type())
        .map(|(_, content_type, kind, extension)| Sniffed {
            kind: *kind,
            content_type,
            extension,
        })
}

/// The extension of a type we serve (for file names in `Content-Disposition`).
pub fn extension_of(content_type: &str) -> &'static str {
    ACCEPTED
        .iter()
        .find(|(_, served, ..)| *served == content_type)
        .map_or("bin", |(.., extension)| extension)
}

/// Why a file is refused. The texts are safe to show to the uploader.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum MediaError {
    #[error("File is empty")]
    Empty,
    #[error("File type is not supported")]
    UnsupportedType,
    #[error("File is larger than {bytes_max} bytes")]
    TooLarge { bytes_max: u64 },
    #[error("Image has {pixels} pixels, more than {pixels_max}")]
    TooManyPixels { pixels: u64, pixels_max: u64 },
    /// Truncated or malformed; the detail is for the log.
    #[error("File could not be processed")]
    Corrupt(String),
}

/// Byte caps per kind (`media.*_bytes_max`).
#[derive(Clone, Copy, Debug)]
pub struct Caps {
    pub image_bytes_max: u64,
    pub video_bytes_max: u64,
    pub audio_bytes_max: u64,
}

impl Caps {
    pub fn for_kind(&self, kind: MediaKind) -> u64 {
        match kind {
            MediaKind::Image | MediaKind::Gifv => self.image_bytes_max,
            MediaKind::Video => self.video_bytes_max,
            MediaKind::Audio | MediaKind::Unknown => self.audio_bytes_max,
        }
    }

    /// The largest file of any kind: what a fetch may read before the type is known.
    pub fn any_max(&self) -> u64 {
        self.image_bytes_max
            .max(self.video_bytes_max)
            .max(self.audio_bytes_max)
    }
}

/// A small version of an image.
#[derive(Clone, Debug)]
pub struct Thumbnail {
    pub bytes: Vec<u8>,
    pub content_type: &'static str,
    pub width: u32,
    pub height: u32,
}

/// An upload as we keep it.
#[derive(Clone, Debug)]
pub struct Processed {
    pub kind: MediaKind,
    pub content_type: &'static str,
    /// The bytes to store: re-encoded for images (no metadata), as sent for the rest.
    pub bytes: Vec<u8>,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub thumbnail: Option<Thumbnail>,
    pub blurhash: Option<String>,
    /// Duration, frame rate, bitrate of video and audio whose header could be read.
    pub av: Option<AvMeta>,
}

/// Checks and processes an upload: sniff, cap bytes, cap pixels, decode, strip, thumbnail.
pub fn process(bytes: &[u8], caps: &Caps) -> Result<Processed, MediaError> {
    if bytes.is_empty() {
        return Err(MediaError::Empty);
    }
    let sniffed = sniff(bytes).ok_or(MediaError::UnsupportedType)?;
    let bytes_max = caps.for_kind(sniffed.kind);
    if bytes.len() as u64 > bytes_max {
        return Err(MediaError::TooLarge { bytes_max });
    }
    if sniffed.kind != MediaKind::Image {
        // Best effort: a file whose header cannot be read is still kept, without metadata.
        let (size, av) = match av_meta(bytes, sniffed.content_type) {
            Some((size, av)) => (size, Some(av)),
            None => (None, None),
        };
        return Ok(Processed {
            kind: sniffed.kind,
            content_type: sniffed.content_type,
            bytes: bytes.to_vec(),
            width: size.map(|(width, _)| width),
            height: size.map(|(_, height)| height),
            thumbnail: None,
            blurhash: None,
            av,
        });
    }
    process_image(bytes, sniffed)
}

/// The served types whose headers [`av_meta`] reads.
pub const AV_PARSED: [&str; 8] = [
    "video/mp4",
    "video/quicktime",
    "audio/mp4",
    "video/webm",
    "audio/mpeg",
    "audio/ogg",
    "audio/flac",
    "audio/wav",
];
/// A duration beyond this (a day) is a broken header, not a file under our byte caps.
const AV_DURATION_US_MAX: u64 = 24 * 3600 * 1_000_000;
/// Tracks looked at in one file: a real file has two or three; more is not worth the work.
const AV_TRACKS_MAX: usize = 16;
/// Time-to-sample runs summed for the frame rate (a constant-rate video has one).
const AV_STTS_RUNS_MAX: usize = 256;

/// Width and height (first video track) and duration, frame rate, bitrate, sample rate and
/// channels of a video or audio file, from its headers; `None` when it is not a type of
/// [`AV_PARSED`] or they cannot be read (or give no duration). `bytes` must already be under
/// a byte cap. The parsers are pure Rust, return errors for malformed input and size their
/// reads by what the input holds; a panic in one is caught and only loses the metadata.
pub fn av_meta(bytes: &[u8], content_type: &str) -> Option<(Option<(u32, u32)>, AvMeta)> {
    let read = std::panic::catch_unwind(|| match content_type {
        "video/mp4" | "video/quicktime" | "audio/mp4" => mp4_meta(bytes),
        "video/webm" => webm_meta(bytes),
        "audio/mpeg" | "audio/ogg" | "audio/flac" | "audio/wav" => {
            audio_meta(bytes, content_type).map(|av| (None, av))
        }
        _ => None,
    });
    read.ok()
        .flatten()
        .filter(|(_, av)| av.duration_us > 0 && av.duration_us <= AV_DURATION_US_MAX)
}

/// A sample rate from a header's float, if it is a plausible one (1 Hz to 1 MHz).
fn sample_rate_of(hz: f64) -> Option<u32> {
    (1.0..=1e6).contains(&hz).then(|| hz.round() as u32)
}

/// The bits per second of `bytes` over `duration_us`.
fn bitrate_of(bytes: &[u8], duration_us: u64) -> Option<u64> {
    if duration_us == 0 {
        return None;
    }
    let bits = u128::from(bytes.len() as u64) * 8 * 1_000_000 / u128::from(duration_us);
    u64::try_from(bits).ok()
}

/// WebM (Matroska): the segment's `Info` (duration) and `Tracks` (the first video track's
/// pixel size and `DefaultDuration`, the first audio track's sampling frequency and
/// channels). The demuxer reads the EBML header, the seek head and those elements, checks
/// every element's size against what is left of the input, and stops before the clusters.
fn webm_meta(bytes: &[u8]) -> Option<(Option<(u32, u32)>, AvMeta)> {
    let file = matroska_demuxer::MatroskaFile::open(Cursor::new(bytes)).ok()?;
    let info = file.info();
    // Ticks of `TimestampScale` nanoseconds.
    let ticks = info
        .duration()
        .filter(|ticks| ticks.is_finite() && *ticks > 0.0)?;
    let duration_ns = ticks * info.timestamp_scale().get() as f64;
    let duration_us = (duration_ns / 1000.0).round();
    if !(1.0..=AV_DURATION_US_MAX as f64).contains(&duration_us) {
        return None;
    }
    let duration_us = duration_us as u64;
    let (mut size, mut frame_rate, mut sample_rate_hz, mut audio_channels) =
        (None, None, None, None);
    for track in file.tracks().iter().take(AV_TRACKS_MAX) {
        if let (Some(video), None) = (track.video(), size) {
            size = Some((
                u32::try_from(video.pixel_width().get()).ok()?,
                u32::try_from(video.pixel_height().get()).ok()?,
            ));
            // Nanoseconds per frame: frames per second is 10⁹ over it.
            frame_rate = track.default_duration().and_then(|nanoseconds| {
                let (numerator, denominator) = (1_000_000_000u128, u128::from(nanoseconds.get()));
                let divisor = gcd(numerator, denominator);
                Some((
                    u32::try_from(numerator / divisor).ok()?,
                    u32::try_from(denominator / divisor).ok()?,
                ))
            });
        }
        if let (Some(audio), None) = (track.audio(), sample_rate_hz) {
            sample_rate_hz = sample_rate_of(audio.sampling_frequency());
            audio_channels = u16::try_from(audio.channels().get()).ok();
        }
    }
    Some((
        size,
        AvMeta {
            duration_us,
            frame_rate,
            bitrate: bitrate_of(bytes, duration_us),
            sample_rate_hz,
            audio_channels,
        },
    ))
}

/// MP3, Ogg (Vorbis, Opus), FLAC, WAV: the first audio track as `symphonia`'s demuxer for the
/// sniffed type sees it when it opens the file (no packet is read, nothing is decoded). The
/// frame count comes from the headers (Xing/Info or VBRI, or an estimate from the bitrate,
/// for MP3; the last page's granule position for Ogg; STREAMINFO for FLAC; the data chunk for
/// WAV).
fn audio_meta(bytes: &[u8], content_type: &str) -> Option<AvMeta> {
    use symphonia::core::codecs::CodecParameters;
    use symphonia::core::formats::{FormatOptions, FormatReader, TrackType};
    use symphonia::core::io::MediaSourceStream;
    use symphonia::default::formats::{FlacReader, MpaReader, OggReader, WavReader};
    let stream = MediaSourceStream::new(Box::new(Cursor::new(bytes)), Default::default());
    let options = FormatOptions::default();
    let reader: Box<dyn FormatReader + '_> = match content_type {
        "audio/mpeg" => Box::new(MpaReader::try_new(stream, options).ok()?),
        "audio/ogg" => Box::new(OggReader::try_new(stream, options).ok()?),
        "audio/flac" => Box::new(FlacReader::try_new(stream, options).ok()?),
        "audio/wav" => Box::new(WavReader::try_new(stream, options).ok()?),
        _ => return None,
    };
    let track = reader.first_track(TrackType::Audio)?;
    let Some(CodecParameters::Audio(params)) = &track.codec_params else {
        return None;
    };
    let sample_rate_hz = params.sample_rate.filter(|rate| *rate > 0)?;
    let frames = track.num_frames?;
    let duration_us =
        u64::try_from(u128::from(frames) * 1_000_000 / u128::from(sample_rate_hz)).ok()?;
    Some(AvMeta {
        duration_us,
        frame_rate: None,
        bitrate: bitrate_of(bytes, duration_us),
        sample_rate_hz: Some(sample_rate_hz),
        audio_channels: params
            .channels
            .as_ref()
            .and_then(|channels| u16::try_from(channels.count()).ok())
            .filter(|count| *count > 0),
    })
}

/// The MP4 family's header boxes (Mozilla's `mp4parse`): the parser walks every top-level box
/// (skipping `mdat`), and its allocations are fallible and bounded by the boxes' sizes.
fn mp4_meta(bytes: &[u8]) -> Option<(Option<(u32, u32)>, AvMeta)> {
    // The parser is fuzzed and returns errors for malformed boxes, but it still has a few
    // `expect`s: `av_meta` catches them, so such a file loses its metadata, never the upload
    // or the worker.
    let context = mp4parse::read_mp4(&mut Cursor::new(bytes)).ok()?;
    let mut duration_us: u64 = 0;
    let mut size = None;
    let mut frame_rate = None;
    let mut audio = None;
    let tracks = context.tracks.iter().take(AV_TRACKS_MAX);
    for track in tracks.filter(|track| {
        matches!(
            track.track_type,
            mp4parse::TrackType::Video | mp4parse::TrackType::Audio
        )
    }) {
        let Some(scale) = track
            .timescale
            .map(|scale| scale.0)
            .filter(|scale| *scale > 0)
        else {
            continue;
        };
        if let Some(duration) = track.duration {
            let us = u128::from(duration.0) * 1_000_000 / u128::from(scale);
            duration_us = duration_us.max(u64::try_from(us).unwrap_or(u64::MAX));
        }
        if track.track_type == mp4parse::TrackType::Video && size.is_none() {
            size = video_size(track);
            frame_rate = track
                .stts
                .as_ref()
                .and_then(|stts| frame_rate_of(stts, scale));
        }
        if track.track_type == mp4parse::TrackType::Audio && audio.is_none() {
            audio = track.stsd.as_ref().and_then(|stsd| {
                stsd.descriptions.iter().find_map(|entry| match entry {
                    mp4parse::SampleEntry::Audio(entry) => Some((
                        sample_rate_of(entry.samplerate),
                        u16::try_from(entry.channelcount)
                            .ok()
                            .filter(|count| *count > 0),
                    )),
                    _ => None,
                })
            });
        }
    }
    if duration_us == 0 {
        return None;
    }
    let (sample_rate_hz, audio_channels) = audio.unwrap_or_default();
    Some((
        size,
        AvMeta {
            duration_us,
            frame_rate,
            bitrate: bitrate_of(bytes, duration_us),
            sample_rate_hz,
            audio_channels,
        },
    ))
}

/// The coded size from the sample entry, else the display size from `tkhd` (16.16 fixed).
fn video_size(track: &mp4parse::Track) -> Option<(u32, u32)> {
    let coded = track.stsd.as_ref().and_then(|stsd| {
        stsd.descriptions.iter().find_map(|entry| match entry {
            mp4parse::SampleEntry::Video(video) => {
                Some((u32::from(video.width), u32::from(video.height)))
            }
            _ => None,
        })
    });
    let display = track
        .tkhd
        .as_ref()
        .map(|tkhd| (tkhd.width >> 16, tkhd.height >> 16));
    [coded, display]
        .into_iter()
        .flatten()
        .find(|(width, height)| *width > 0 && *height > 0)
}

/// Frames per second as a reduced fraction: frames over their ticks, times the timescale.
fn frame_rate_of(stts: &mp4parse::TimeToSampleBox, scale: u64) -> Option<(u32, u32)> {
    let (mut frames, mut ticks) = (0u128, 0u128);
    for run in stts.samples.iter().take(AV_STTS_RUNS_MAX) {
        frames += u128::from(run.sample_count);
        ticks += u128::from(run.sample_count) * u128::from(run.sample_delta);
    }
    if frames == 0 || ticks == 0 {
        return None;
    }
    let (numerator, denominator) = (frames * u128::from(scale), ticks);
    let divisor = gcd(numerator, denominator);
    Some((
        u32::try_from(numerator / divisor).ok()?,
        u32::try_from(denominator / divisor).ok()?,
    ))
}

fn gcd(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

fn format_of(content_type: &str) -> Option<ImageFormat> {
    match content_type {
        "image/jpeg" => Some(ImageFormat::Jpeg),
        "image/png" => Some(ImageFormat::Png),
        "image/gif" => Some(ImageFormat::Gif),
        "image/webp" => Some(ImageFormat::WebP),
        _ => None,
    }
}

fn corrupt(error: image::ImageError) -> MediaError {
    match error {
        image::ImageError::Limits(limit) => MediaError::Corrupt(format!("limits: {limit}")),
        other => MediaError::Corrupt(other.to_string()),
    }
}

/// Width and height from the header only, checked against the pixel cap of the format.
pub fn check_pixels(bytes: &[u8], format: ImageFormat) -> Result<(u32, u32), MediaError> {
    let (width, height) = ImageReader::with_format(Cursor::new(bytes), format)
        .into_dimensions()
        .map_err(corrupt)?;
    let pixels = u64::from(width) * u64::from(height);
    let pixels_max = if format == ImageFormat::Gif {
        GIF_PIXELS_MAX
    } else {
        IMAGE_PIXELS_MAX
    };
    if pixels == 0 {
        return Err(MediaError::Corrupt("zero pixels".into()));
    }
    if pixels > pixels_max {
        return Err(MediaError::TooManyPixels { pixels, pixels_max });
    }
    Ok((width, height))
}

/// Decodes an image within the pixel and allocation caps, upright (EXIF orientation applied).
fn decode_capped(bytes: &[u8], format: ImageFormat) -> Result<DynamicImage, MediaError> {
    let (width, height) = check_pixels(bytes, format)?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(width);
    limits.max_image_height = Some(height);
    limits.max_alloc = Some(DECODE_ALLOC_BYTES_MAX);
    let mut decoder = ImageReader::with_format(Cursor::new(bytes), format)
        .into_decoder()
        .map_err(corrupt)?;
    decoder.set_limits(limits).map_err(corrupt)?;
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder).map_err(corrupt)?;
    image.apply_orientation(orientation);
    Ok(image)
}

fn blurhash_of(image: &DynamicImage) -> Option<String> {
    let tiny = image
        .thumbnail(BLURHASH_SIDE_PX, BLURHASH_SIDE_PX)
        .to_rgba8();
    blurhash::encode(
        BLURHASH_COMPONENTS.0,
        BLURHASH_COMPONENTS.1,
        tiny.width(),
        tiny.height(),
        tiny.as_raw(),
    )
    .ok()
}

/// Width, height and blurhash of a fetched image (a preview card's), decoded within the
/// same caps as an upload; nothing is re-encoded.
pub fn image_summary(bytes: &[u8]) -> Result<(u32, u32, Option<String>), MediaError> {
    let sniffed = sniff(bytes).ok_or(MediaError::UnsupportedType)?;
    let format = format_of(sniffed.content_type).ok_or(MediaError::UnsupportedType)?;
    let image = decode_capped(bytes, format)?;
    Ok((image.width(), image.height(), blurhash_of(&image)))
}

fn process_image(bytes: &[u8], sniffed: Sniffed) -> Result<Processed, MediaError> {
    let format = format_of(sniffed.content_type).ok_or(MediaError::UnsupportedType)?;
    let image = decode_capped(bytes, format)?;
    let (stored, content_type) = if format == ImageFormat::Gif {
        // Kept as sent: the first frame was decoded above only to prove the file whole and
        // to make the thumbnail.
        (bytes.to_vec(), sniffed.content_type)
    } else {
        (encode(&image, format)?, sniffed.content_type)
    };
    let small = if image.width() > THUMBNAIL_SIDE_PX || image.height() > THUMBNAIL_SIDE_PX {
        image.thumbnail(THUMBNAIL_SIDE_PX, THUMBNAIL_SIDE_PX)
    } else {
        image.clone()
    };
    let thumbnail_format = if small.color().has_alpha() {
        ImageFormat::Png
    } else {
        ImageFormat::Jpeg
    };
    let thumbnail = Thumbnail {
        bytes: encode(&small, thumbnail_format)?,
        content_type: if thumbnail_format == ImageFormat::Png {
            "image/png"
        } else {
            "image/jpeg"
        },
        width: small.width(),
        height: small.height(),
    };
    let blurhash = blurhash_of(&small);
    Ok(Processed {
        kind: MediaKind::Image,
        content_type,
        bytes: stored,
        width: Some(image.width()),
        height: Some(image.height()),
        av: None,
        thumbnail: Some(thumbnail),
        blurhash,
    })
}

/// Encodes without any metadata: `image`'s encoders write pixels only unless told otherwise.
fn encode(image: &DynamicImage, format: ImageFormat) -> Result<Vec<u8>, MediaError> {
    let mut out = Vec::new();
    let result = match format {
        ImageFormat::Jpeg => {
            let encoder =
                image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY);
            DynamicImage::ImageRgb8(image.to_rgb8()).write_with_encoder(encoder)
        }
        ImageFormat::WebP => {
            let encoder = image::codecs::webp::WebPEncoder::new_lossless(&mut out);
            DynamicImage::ImageRgba8(image.to_rgba8()).write_with_encoder(encoder)
        }
        _ => {
            let encoder = image::codecs::png::PngEncoder::new(&mut out);
            image.write_with_encoder(encoder)
        }
    };
    result.map_err(|error| MediaError::Corrupt(format!("encode: {error}")))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CAPS: Caps = Caps {
        image_bytes_max: 16 << 20,
        video_bytes_max: 40 << 20,
        audio_bytes_max: 40 << 20,
    };

    fn png(width: u32, height: u32) -> Vec<u8> {
        let image = image::RgbImage::from_fn(width, height, |x, y| {
            image::Rgb([(x * 7) as u8, (y * 5) as u8, 128])
        });
        let mut out = Vec::new();
        DynamicImage::ImageRgb8(image)
            .write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
            .unwrap();
        out
    }

    /// A PNG whose header claims `width`×`height` over a tiny (invalid) body: a bomb's
    /// header, which must be refused before anything is inflated.
    pub fn png_bomb_header(width: u32, height: u32) -> Vec<u8> {
        let mut bytes = png(4, 4);
        // IHDR data starts at byte 16: width then height, big-endian; the chunk's CRC then
        // no longer matches, which the header read does not check by default either way.
        bytes[16..20].copy_from_slice(&width.to_be_bytes());
        bytes[20..24].copy_from_slice(&height.to_be_bytes());
        let crc = crc32(&bytes[12..29]);
        bytes[29..33].copy_from_slice(&crc.to_be_bytes());
        bytes
    }

    fn crc32(data: &[u8]) -> u32 {
        let mut crc = 0xffff_ffffu32;
        for byte in data {
            crc ^= u32::from(*byte);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xedb8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    #[test]
    fn an_image_is_re_encoded_with_a_thumbnail_and_a_blurhash() {
        let processed = process(&png(1000, 500), &CAPS).unwrap();
        assert_eq!(processed.kind, MediaKind::Image);
        assert_eq!(processed.content_type, "image/png");
        assert_eq!((processed.width, processed.height), (Some(1000), Some(500)));
        let thumbnail = processed.thumbnail.unwrap();
        assert_eq!((thumbnail.width, thumbnail.height), (640, 320));
        assert_eq!(thumbnail.content_type, "image/jpeg");
        assert_eq!(sniff(&thumbnail.bytes).unwrap().content_type, "image/jpeg");
        assert!(processed.blurhash.unwrap().len() >= 6);
    }

    #[test]
    fn exif_is_stripped_from_a_jpeg() {
        // A JPEG with an APP1 Exif segment inserted after SOI.
        let image = image::RgbImage::from_fn(32, 16, |x, _| image::Rgb([x as u8 * 8, 0, 0]));
        let mut jpeg = Vec::new();
        DynamicImage::ImageRgb8(image)
            .write_to(&mut Cursor::new(&mut jpeg), ImageFormat::Jpeg)
            .unwrap();
        let exif: &[u8] = b"Exif\0\0MM\0*\0\0\0\x08\0\0GPS-SECRET-LOCATION";
        let mut with_exif = jpeg[..2].to_vec();
        with_exif.extend_from_slice(&[0xff, 0xe1]);
        with_exif.extend_from_slice(&((exif.len() + 2) as u16).to_be_bytes());
        with_exif.extend_from_slice(exif);
        with_exif.extend_from_slice(&jpeg[2..]);
        let processed = process(&with_exif, &CAPS).unwrap();
        assert_eq!(processed.content_type, "image/jpeg");
        let contains = |haystack: &[u8], needle: &[u8]| {
            haystack
                .windows(needle.len())
                .any(|window| window == needle)
        };
        assert!(contains(&with_exif, b"GPS-SECRET"));
        assert!(!contains(&processed.bytes, b"GPS-SECRET"));
        assert!(!contains(&processed.bytes, b"Exif"));
    }

    #[test]
    fn a_png_bomb_is_refused_from_its_header() {
        let bomb = png_bomb_header(100_000, 100_000);
        assert_eq!(
            process(&bomb, &CAPS).unwrap_err(),
            MediaError::TooManyPixels {
                pixels: 10_000_000_000,
                pixels_max: IMAGE_PIXELS_MAX
            }
        );
    }

    #[test]
    fn lies_truncation_and_size_are_clean_errors() {
        assert_eq!(process(b"", &CAPS).unwrap_err(), MediaError::Empty);
        assert_eq!(
            process(b"<html><script>alert(1)</script>", &CAPS).unwrap_err(),
            MediaError::UnsupportedType
        );
        // An SVG is XML, never an image we serve.
        assert_eq!(
            process(b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>", &CAPS).unwrap_err(),
            MediaError::UnsupportedType
        );
        let whole = png(64, 64);
        let truncated = &whole[..whole.len() / 2];
        assert!(matches!(
            process(truncated, &CAPS).unwrap_err(),
            MediaError::Corrupt(_)
        ));
        let small_caps = Caps {
            image_bytes_max: 100,
            ..CAPS
        };
        assert_eq!(
            process(&whole, &small_caps).unwrap_err(),
            MediaError::TooLarge { bytes_max: 100 }
        );
    }

    /// Tiny files made with ffmpeg (see `tests/fixtures/av/README.md`).
    fn fixture(name: &str) -> Vec<u8> {
        let path = format!("{}/tests/fixtures/av/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(path).expect("the fixture is committed")
    }

    #[test]
    fn webm_mp3_ogg_flac_and_wav_give_their_metadata() {
        let caps = Caps {
            image_bytes_max: 1 << 20,
            video_bytes_max: 1 << 20,
            audio_bytes_max: 1 << 20,
        };
        // (file, served type, width × height, duration in ms, frame rate, Hz, channels)
        let cases = [
            (
                "clip.webm",
                "video/webm",
                Some((64, 48)),
                1000,
                Some((10, 1)),
                None,
                None,
            ),
            (
                "tone.mp3",
                "audio/mpeg",
                None,
                2000,
                None,
                Some(22_050),
                Some(1),
            ),
            (
                "tone.ogg",
                "audio/ogg",
                None,
                1500,
                None,
                Some(8000),
                Some(1),
            ),
            (
                "tone.opus",
                "audio/ogg",
                None,
                1000,
                None,
                Some(48_000),
                Some(2),
            ),
            (
                "tone.flac",
                "audio/flac",
                None,
                750,
                None,
                Some(8000),
                Some(1),
            ),
            (
                "tone.wav",
                "audio/wav",
                None,
                500,
                None,
                Some(8000),
                Some(1),
            ),
        ];
        for (name, content_type, size, duration_ms, frame_rate, rate, channels) in cases {
            let bytes = fixture(name);
            let processed = process(&bytes, &caps).unwrap();
            assert_eq!(processed.content_type, content_type, "{name}");
            assert_eq!(processed.width.zip(processed.height), size, "{name}");
            let av = processed
                .av
                .unwrap_or_else(|| panic!("{name}: no metadata"));
            // Encoders pad to whole frames: within 60 ms of what was asked.
            let off_ms = (av.duration_us / 1000).abs_diff(duration_ms);
            assert!(off_ms <= 60, "{name}: {} µs", av.duration_us);
            assert_eq!(av.frame_rate, frame_rate, "{name}");
            assert_eq!(av.sample_rate_hz, rate, "{name}");
            assert_eq!(av.audio_channels, channels, "{name}");
            let bitrate = av.bitrate.unwrap();
            let expected = bytes.len() as u64 * 8 * 1_000_000 / av.duration_us;
            assert_eq!(bitrate, expected, "{name}");
        }
    }

    #[test]
    fn broken_audio_and_video_keep_their_bytes_without_metadata() {
        let caps = Caps {
            image_bytes_max: 1 << 20,
            video_bytes_max: 1 << 20,
            audio_bytes_max: 1 << 20,
        };
        for name in ["clip.webm", "tone.mp3", "tone.ogg", "tone.flac", "tone.wav"] {
            let bytes = fixture(name);
            // The first 40 bytes still sniff as the type; the headers behind them are gone.
            let mut broken = bytes[..40].to_vec();
            broken.extend(std::iter::repeat_n(0xA5u8, 200));
            let processed = process(&broken, &caps).unwrap();
            assert_eq!(processed.bytes, broken, "{name}");
            assert!(processed.av.is_none(), "{name}: {:?}", processed.av);
        }
    }

    #[test]
    fn a_gif_is_capped_at_its_own_pixel_limit() {
        let mut gif = Vec::new();
        let frame = image::RgbaImage::from_pixel(1281, 720, image::Rgba([1, 2, 3, 255]));
        DynamicImage::ImageRgba8(frame)
            .write_to(&mut Cursor::new(&mut gif), ImageFormat::Gif)
            .unwrap();
        assert!(matches!(
            process(&gif, &CAPS).unwrap_err(),
            MediaError::TooManyPixels {
                pixels_max: GIF_PIXELS_MAX,
                ..
            }
        ));
    }
}
