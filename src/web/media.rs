//! `GET /media/:id/:key/original|small`: the files of media attachments (`key`: see
//! `app::media::url`).
//!
//! Paths are made by the server from the attachment's id; the bytes come from whichever tier
//! holds them (`app::media::open` fetches a gone remote file back first, streams a cold one
//! through while it is promoted to the hot tier, or names the public URL of a cold one to
//! redirect to). Every answer carries a type from the accepted
//! list (`media::ACCEPTED`), `nosniff` (added to every response by the HTTP layer), a
//! sandboxing CSP, an inline `Content-Disposition` with a file name of ours, an ETag (the
//! SHA-256 of the bytes), long cache headers (a URL's bytes never change) and one
//! `Range` of bytes.

use std::io::SeekFrom;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use tokio::io::{AsyncReadExt as _, AsyncSeekExt as _};

use crate::app::media::{self, Served, Variant};
use crate::app::{App, AppError};
use crate::model::MediaId;

/// Bytes read from disk per chunk of a streamed answer.
const CHUNK_BYTES: usize = 64 * 1024;
/// Nothing a media file can do: no scripts, no frames, even if a browser ignored the type.
const MEDIA_CSP: &str = "default-src 'none'; sandbox";

fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "application/json")],
        r#"{"error":"Record not found"}"#,
    )
        .into_response()
}

pub async fn serve(
    State(app): State<App>,
    Path((id, key, variant)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Response {
    let Ok(id) = id.parse::<u64>().map(MediaId) else {
        return not_found();
    };
    if !media::url_key_matches(&app, id, &key) {
        return not_found();
    }
    let variant = match variant.as_str() {
        "original" => Variant::Original,
        "small" => Variant::Small,
        _ => return not_found(),
    };
    let served = match media::open(&app, id, variant).await {
        Ok(served) => served,
        Err(AppError::NotFound) => return not_found(),
        Err(error) => {
            tracing::warn!(%error, "media: serving failed");
            return (StatusCode::SERVICE_UNAVAILABLE, "media unavailable").into_response();
        }
    };
    let (source, content_type, bytes, hash) = match served {
        Served::Redirect(url) => return Redirect::temporary(&url).into_response(),
        Served::File {
            path,
            content_type,
            bytes,
            hash,
        } => (Source::Path(path), content_type, bytes, hash),
        Served::Opened {
            file,
            content_type,
            bytes,
            hash,
        } => (Source::Opened(file), content_type, bytes, hash),
        Served::Promoting {
            promotion,
            content_type,
            bytes,
            hash,
        } => (Source::Promoting(promotion), content_type, bytes, hash),
    };
    let etag = format!("\"{}\"", crate::blob::to_hex(&hash));
    let mut response_headers = HeaderMap::new();
    let safe_type = if crate::media::ACCEPTED
        .iter()
        .any(|(_, served, ..)| *served == content_type)
    {
        content_type.as_str()
    } else {
        "application/octet-stream"
    };
    let insert = |headers: &mut HeaderMap, name, value: &str| {
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(name, value);
        }
    };
    insert(&mut response_headers, header::CONTENT_TYPE, safe_type);
    insert(&mut response_headers, header::ETAG, &etag);
    insert(
        &mut response_headers,
        header::CACHE_CONTROL,
        "public, max-age=31536000, immutable",
    );
    insert(&mut response_headers, header::ACCEPT_RANGES, "bytes");
    insert(
        &mut response_headers,
        header::CONTENT_SECURITY_POLICY,
        MEDIA_CSP,
    );
    insert(
        &mut response_headers,
        header::CONTENT_DISPOSITION,
        &format!(
            "inline; filename=\"{id}.{}\"",
            crate::media::extension_of(safe_type)
        ),
    );
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| {
            value
                .split(',')
                .any(|tag| tag.trim() == etag || tag.trim() == "*")
        })
    {
        return (StatusCode::NOT_MODIFIED, response_headers).into_response();
    }
    let range = match headers
        .get(header::RANGE)
        .and_then(|value| value.to_str().ok())
    {
        Some(text) => match parse_range(text, bytes) {
            Some(range) => Some(range),
            None => {
                insert(
                    &mut response_headers,
                    header::CONTENT_RANGE,
                    &format!("bytes */{bytes}"),
                );
                return (StatusCode::RANGE_NOT_SATISFIABLE, response_headers).into_response();
            }
        },
        None => None,
    };
    let (start, length) = range.unwrap_or((0, bytes));
    let mut file = match source {
        Source::Opened(opened) => opened,
        Source::Path(path) => match tokio::fs::File::open(&path).await {
            Ok(file) => file,
            // Evicted between the lookup and the read: the next request fetches it again.
            Err(_) => return not_found(),
        },
        Source::Promoting(promotion) => {
            // Read from the promotion's file as the object store fills it; a range waits
            // for its bytes. If the promotion fails, the body ends early (the client sees
            // fewer bytes than Content-Length: the status line has long gone).
            let http_status = answer_headers(&mut response_headers, range, start, length, bytes);
            let body = Body::from_stream(promotion.body(start, length));
            return (http_status, response_headers, body).into_response();
        }
    };
    if start > 0 && file.seek(SeekFrom::Start(start)).await.is_err() {
        return not_found();
    }
    let http_status = answer_headers(&mut response_headers, range, start, length, bytes);
    let stream = futures_util::stream::unfold((file, length), |(mut file, left)| async move {
        if left == 0 {
            return None;
        }
        let mut buffer = vec![0u8; CHUNK_BYTES.min(usize::try_from(left).unwrap_or(CHUNK_BYTES))];
        match file.read(&mut buffer).await {
            Ok(0) => None,
            Ok(read) => {
                buffer.truncate(read);
                Some((
                    Ok::<_, std::io::Error>(bytes::Bytes::from(buffer)),
                    (file, left - read as u64),
                ))
            }
            Err(error) => Some((Err(error), (file, 0))),
        }
    });
    (http_status, response_headers, Body::from_stream(stream)).into_response()
}

/// Where an answer's bytes come from.
enum Source {
    Path(std::path::PathBuf),
    Opened(tokio::fs::File),
    Promoting(media::Promotion),
}

/// `Content-Length`, and `Content-Range` for a range; the status of the answer.
fn answer_headers(
    headers: &mut HeaderMap,
    range: Option<(u64, u64)>,
    start: u64,
    length: u64,
    bytes: u64,
) -> StatusCode {
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    match range {
        Some(_) => {
            if let Ok(value) =
                HeaderValue::from_str(&format!("bytes {start}-{}/{bytes}", start + length - 1))
            {
                headers.insert(header::CONTENT_RANGE, value);
            }
            StatusCode::PARTIAL_CONTENT
        }
        None => StatusCode::OK,
    }
}

/// One range of `Range: bytes=…` (`a-b`, `a-`, `-n`) as (start, length) within `size`;
/// `None` for what cannot be satisfied. Several ranges are answered with the first one.
fn parse_range(text: &str, size: u64) -> Option<(u64, u64)> {
    let spec = text
        .trim()
        .strip_prefix("bytes=")?
        .split(',')
        .next()?
        .trim();
    let (first, last) = spec.split_once('-')?;
    if size == 0 {
        return None;
    }
    let (start, end) = if first.is_empty() {
        let suffix: u64 = last.parse().ok()?;
        if suffix == 0 {
            return None;
        }
        (size.saturating_sub(suffix), size - 1)
    } else {
        let start: u64 = first.parse().ok()?;
        let end = if last.is_empty() {
            size - 1
        } else {
            last.parse::<u64>().ok()?.min(size - 1)
        };
        (start, end)
    };
    (start <= end && start < size).then(|| (start, end - start + 1))
}

#[cfg(test)]
mod tests {
    use super::parse_range;

    #[test]
    fn ranges_follow_rfc_9110() {
        assert_eq!(parse_range("bytes=0-99", 1000), Some((0, 100)));
        assert_eq!(parse_range("bytes=900-", 1000), Some((900, 100)));
        assert_eq!(parse_range("bytes=-10", 1000), Some((990, 10)));
        assert_eq!(parse_range("bytes=990-5000", 1000), Some((990, 10)));
        assert_eq!(parse_range("bytes=0-0,5-9", 1000), Some((0, 1)));
        assert_eq!(parse_range("bytes=1000-", 1000), None);
        assert_eq!(parse_range("bytes=5-1", 1000), None);
        assert_eq!(parse_range("items=0-1", 1000), None);
    }
}
