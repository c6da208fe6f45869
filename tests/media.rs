//! Media: uploads (processing, limits, lies, truncation, bombs), attachments on statuses and
//! in AS2, serving (types, ETag, Range, cache), and the remote media cache in tiers against
//! a real S3-compatible server process (moto's server mode on a loopback port) and a fake
//! origin on loopback: fetch, tier down, tier up, evict, gone, refetch, and the faults (the
//! object store down or hanging, the origin gone).

use std::collections::HashMap;
use std::io::Cursor;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use reqwest::StatusCode;
use skerry::app::media::{self, RemoteMediaInput};
use skerry::model::{AccountId, MediaId, MediaKind, StatusId};

use crate::rig::{Reply, Server};

/// A PNG of noise (so it does not compress to nothing): about `side * side * 3` bytes.
fn noise_png(side: u32, seed: u32) -> Vec<u8> {
    let mut state = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    let image = image::RgbImage::from_fn(side, side, |_, _| {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let [a, b, c, _] = state.to_le_bytes();
        image::Rgb([a, b, c])
    });
    let mut out = Vec::new();
    image::DynamicImage::ImageRgb8(image)
        .write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
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

/// A small PNG whose header claims 100,000 × 100,000 pixels (a decompression bomb's header).
fn png_bomb() -> Vec<u8> {
    let mut bytes = noise_png(4, 1);
    bytes[16..20].copy_from_slice(&100_000u32.to_be_bytes());
    bytes[20..24].copy_from_slice(&100_000u32.to_be_bytes());
    let crc = crc32(&bytes[12..29]);
    bytes[29..33].copy_from_slice(&crc.to_be_bytes());
    bytes
}

const BOUNDARY: &str = "skerry-test-boundary-7d3f";

/// A `multipart/form-data` body with one file (field `file`) and text fields.
fn multipart(file: &[u8], filename: &str, file_type: &str, fields: &[(&str, &str)]) -> Vec<u8> {
    multipart_named("file", file, filename, file_type, fields)
}

/// The same with the file in the field `field_name`.
fn multipart_named(
    field_name: &str,
    file: &[u8],
    filename: &str,
    file_type: &str,
    fields: &[(&str, &str)],
) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{field_name}\"; filename=\"{filename}\"\r\nContent-Type: {file_type}\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

async fn upload(server: &Server, path: &str, token: &str, body: Vec<u8>) -> Reply {
    let request = server
        .client
        .post(server.url(path))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(body);
    server.send(request, Some(token)).await
}

async fn raw_get(server: &Server, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut request = server.client.get(server.url(path));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap()
}

/// The path of an attachment's file, with its URL key (`app::media::url`).
fn media_path(server: &Server, id: impl std::fmt::Display, variant: &str) -> String {
    let id = MediaId(id.to_string().parse().unwrap());
    let key = media::url_key(&server.app, id);
    format!("/media/{id}/{key}/{variant}")
}

async fn totals(server: &Server) -> skerry::store::media::Totals {
    server
        .app
        .run(|app| Ok(app.store.read(skerry::store::media::totals)?))
        .await
        .unwrap()
}

#[tokio::test]
async fn an_upload_is_processed_attached_served_and_federated() {
    let server = Server::start().await;
    let alice = server.user("alice").await;
    let png = noise_png(800, 7);
    let reply = upload(
        &server,
        "/api/v1/media",
        &alice.token,
        multipart(
            &png,
            "../../etc/passwd.png",
            "image/png",
            &[("description", "noise"), ("focus", "0.5,-0.25")],
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    let id = reply.json["id"].as_str().unwrap().to_string();
    assert_eq!(reply.json["type"], "image");
    assert_eq!(reply.json["description"], "noise");
    assert_eq!(reply.json["meta"]["original"]["width"], 800);
    assert_eq!(reply.json["meta"]["small"]["width"], 640);
    assert_eq!(reply.json["meta"]["focus"]["x"], 0.5);
    assert!(reply.json["blurhash"].as_str().unwrap().len() >= 6);
    let url = reply.json["url"].as_str().unwrap();
    assert_eq!(url, server.url(&media_path(&server, &id, "original")));

    // Served with a safe type, nosniff, an ETag, long caching and ranges.
    let response = raw_get(&server, &media_path(&server, &id, "original"), &[]).await;
    assert_eq!(response.status(), StatusCode::OK);
    let headers = response.headers().clone();
    assert_eq!(headers["content-type"], "image/png");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(
        headers["content-disposition"],
        format!("inline; filename=\"{id}.png\"")
    );
    assert!(
        headers["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    let etag = headers["etag"].to_str().unwrap().to_string();
    let body = response.bytes().await.unwrap();
    assert_eq!(&body[..8], b"\x89PNG\r\n\x1a\n");
    let not_modified = raw_get(
        &server,
        &media_path(&server, &id, "original"),
        &[("if-none-match", &etag)],
    )
    .await;
    assert_eq!(not_modified.status(), StatusCode::NOT_MODIFIED);
    let partial = raw_get(
        &server,
        &media_path(&server, &id, "original"),
        &[("range", "bytes=0-7")],
    )
    .await;
    assert_eq!(partial.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        partial.headers()["content-range"],
        format!("bytes 0-7/{}", body.len())
    );
    assert_eq!(&partial.bytes().await.unwrap()[..], &body[..8]);
    let unsatisfiable = raw_get(
        &server,
        &media_path(&server, &id, "original"),
        &[("range", "bytes=999999999-")],
    )
    .await;
    assert_eq!(unsatisfiable.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    let small = raw_get(&server, &media_path(&server, &id, "small"), &[]).await;
    assert_eq!(small.headers()["content-type"], "image/jpeg");
    assert_eq!(
        raw_get(&server, &media_path(&server, &id, "other"), &[])
            .await
            .status(),
        StatusCode::NOT_FOUND
    );

    // Without its key (or with another media's), a file is not found: ids can be counted.
    let keyless = raw_get(
        &server,
        &format!("/media/{id}/{}/original", "0".repeat(32)),
        &[],
    )
    .await;
    assert_eq!(keyless.status(), StatusCode::NOT_FOUND);
    // PUT changes description and focus; someone else cannot see or change it.
    let updated = server
        .send(
            server
                .client
                .put(server.url(&format!("/api/v1/media/{id}")))
                .json(&serde_json::json!({ "description": "still noise", "focus": "0,0" })),
            Some(&alice.token),
        )
        .await;
    assert_eq!(updated.status, StatusCode::OK, "{}", updated.json);
    assert_eq!(updated.json["description"], "still noise");
    let bob = server.user("bob").await;
    assert_eq!(
        server
            .get(&format!("/api/v1/media/{id}"), Some(&bob.token))
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // Attached to a status, rendered as a MediaAttachment and an AS2 Document.
    let status = server
        .post(
            "/api/v1/statuses",
            Some(&alice.token),
            serde_json::json!({ "status": "#sea", "media_ids": [id] }),
        )
        .await;
    assert_eq!(status.status, StatusCode::OK, "{}", status.json);
    assert_eq!(status.json["media_attachments"][0]["id"], id);
    assert_eq!(
        status.json["media_attachments"][0]["description"],
        "still noise"
    );
    let status_id = status.json["id"].as_str().unwrap();
    server.post_status(&alice, "no media here").await;
    let only_media = server
        .get(
            &format!("/api/v1/accounts/{}/statuses?only_media=true", alice.id),
            None,
        )
        .await;
    assert_eq!(crate::rig::ids(&only_media.json), [status_id]);
    // The public and hashtag timelines filter the same way.
    server.post_status(&alice, "#sea without media").await;
    for path in [
        "/api/v1/timelines/public?only_media=true",
        "/api/v1/timelines/public?local=true&only_media=1",
        "/api/v1/timelines/tag/sea?only_media=true",
    ] {
        let found = server.get(path, None).await;
        assert_eq!(crate::rig::ids(&found.json), [status_id], "{path}");
    }
    let all = server.get("/api/v1/timelines/tag/sea", None).await;
    assert_eq!(crate::rig::ids(&all.json).len(), 2);
    let note = server
        .send(
            server
                .client
                .get(server.url(&format!("/users/alice/statuses/{status_id}")))
                .header("accept", "application/activity+json"),
            None,
        )
        .await;
    assert_eq!(note.json["attachment"][0]["type"], "Document");
    assert_eq!(note.json["attachment"][0]["mediaType"], "image/png");
    assert_eq!(note.json["attachment"][0]["url"], url);
    assert_eq!(note.json["attachment"][0]["name"], "still noise");
    // An edit that keeps the attachments is fine; one that changes them is refused.
    let edit = |media_ids: serde_json::Value| {
        server.send(
            server
                .client
                .put(server.url(&format!("/api/v1/statuses/{status_id}")))
                .json(&serde_json::json!({ "status": "edited", "media_ids": media_ids })),
            Some(&alice.token),
        )
    };
    let kept = edit(serde_json::json!([id])).await;
    assert_eq!(kept.status, StatusCode::OK, "{}", kept.json);
    assert_eq!(kept.json["media_attachments"][0]["id"], id);
    assert_eq!(
        edit(serde_json::json!([])).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        edit(serde_json::json!(["1"])).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    // Attached media cannot be attached again or deleted.
    let again = server
        .post(
            "/api/v1/statuses",
            Some(&alice.token),
            serde_json::json!({ "status": "x", "media_ids": [id] }),
        )
        .await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    let delete = server
        .send(
            server
                .client
                .delete(server.url(&format!("/api/v1/media/{id}"))),
            Some(&alice.token),
        )
        .await;
    assert_eq!(delete.status, StatusCode::UNPROCESSABLE_ENTITY);

    // The same file uploaded twice is stored once (content-addressed, counted twice).
    let before = totals(&server).await;
    let second = upload(
        &server,
        "/api/v1/media",
        &alice.token,
        multipart(&png, "a.png", "image/png", &[]),
    )
    .await;
    assert_eq!(second.status, StatusCode::OK);
    assert_eq!(totals(&server).await, before);
    let second_id = second.json["id"].as_str().unwrap();
    let delete = server
        .send(
            server
                .client
                .delete(server.url(&format!("/api/v1/media/{second_id}"))),
            Some(&alice.token),
        )
        .await;
    assert_eq!(delete.status, StatusCode::OK);
    assert_eq!(
        totals(&server).await,
        before,
        "the first upload still names the blobs"
    );

    // v2: 202 with no URL yet, then 200 when processed.
    let reply = upload(
        &server,
        "/api/v2/media",
        &alice.token,
        multipart(&noise_png(64, 3), "b.png", "image/png", &[]),
    )
    .await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{}", reply.json);
    assert!(reply.json["url"].is_null());
    let id = reply.json["id"].as_str().unwrap();
    let mut ready = None;
    for _ in 0..100 {
        let reply = server
            .get(&format!("/api/v1/media/{id}"), Some(&alice.token))
            .await;
        if reply.status == StatusCode::OK {
            ready = Some(reply);
            break;
        }
        assert_eq!(reply.status, StatusCode::PARTIAL_CONTENT);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let ready = ready.expect("processed within 5 s");
    assert!(ready.json["url"].as_str().unwrap().ends_with("/original"));

    // Five attachments are one too many.
    let mut ids = Vec::new();
    for seed in 0..5 {
        let reply = upload(
            &server,
            "/api/v1/media",
            &alice.token,
            multipart(&noise_png(16, 100 + seed), "c.png", "image/png", &[]),
        )
        .await;
        ids.push(reply.json["id"].as_str().unwrap().to_string());
    }
    let five = server
        .post(
            "/api/v1/statuses",
            Some(&alice.token),
            serde_json::json!({ "status": "x", "media_ids": ids }),
        )
        .await;
    assert_eq!(five.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(five.json["error"].as_str().unwrap().contains("more than 4"));

    // Clients read what they may upload from the instance.
    let instance = server.get("/api/v2/instance", None).await;
    let media = &instance.json["configuration"]["media_attachments"];
    assert!(
        media["supported_mime_types"]
            .as_array()
            .unwrap()
            .contains(&"image/webp".into())
    );
    assert_eq!(media["image_size_limit"], 16 * 1024 * 1024);
    assert_eq!(media["image_matrix_limit"], 33_177_600);

    let check = server.app.run(|app| Ok(app.store.check()?)).await.unwrap();
    assert!(check.0.is_empty(), "{:?}", check.0);
}

#[tokio::test]
async fn lying_truncated_and_bomb_uploads_are_clean_errors_that_store_nothing() {
    let server = Server::start().await;
    let alice = server.user("alice").await;
    // HTML named and typed as a PNG.
    let lie = upload(
        &server,
        "/api/v1/media",
        &alice.token,
        multipart(
            b"<html><script>alert(1)</script></html>",
            "cat.png",
            "image/png",
            &[],
        ),
    )
    .await;
    assert_eq!(lie.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        lie.json["error"],
        "Validation failed: File type is not supported"
    );
    // The same through v2 is refused before the 202.
    let lie = upload(
        &server,
        "/api/v2/media",
        &alice.token,
        multipart(
            b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
            "cat.png",
            "image/png",
            &[],
        ),
    )
    .await;
    assert_eq!(lie.status, StatusCode::UNPROCESSABLE_ENTITY);
    // A decompression bomb's header: refused before decoding.
    let bomb = upload(
        &server,
        "/api/v1/media",
        &alice.token,
        multipart(&png_bomb(), "bomb.png", "image/png", &[]),
    )
    .await;
    assert_eq!(bomb.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bomb.json["error"].as_str().unwrap().contains("pixels"),
        "{}",
        bomb.json
    );
    // A PNG cut in half.
    let png = noise_png(64, 9);
    let half = upload(
        &server,
        "/api/v1/media",
        &alice.token,
        multipart(&png[..png.len() / 2], "half.png", "image/png", &[]),
    )
    .await;
    assert_eq!(half.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        half.json["error"],
        "Validation failed: File could not be processed"
    );
    // A request body cut off in the middle of the file part (the client went away).
    let mut truncated = multipart(&png, "cut.png", "image/png", &[]);
    truncated.truncate(truncated.len() / 2);
    let cut = upload(&server, "/api/v1/media", &alice.token, truncated).await;
    assert!(cut.status.is_client_error(), "{}", cut.status);
    assert!(
        cut.json["error"]
            .as_str()
            .unwrap()
            .contains("could not be read"),
        "{}",
        cut.json
    );
    // No file at all; and an oversized one against a small cap.
    let empty = upload(
        &server,
        "/api/v1/media",
        &alice.token,
        format!("--{BOUNDARY}--\r\n").into_bytes(),
    )
    .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(totals(&server).await, Default::default());
    assert_eq!(
        std::fs::read_dir(server.app.config.media_dir().join("local"))
            .unwrap()
            .count(),
        0,
        "nothing written for refused uploads"
    );

    let small = Server::start_with(&[("SKERRY_MEDIA_IMAGE_BYTES_MAX", "1000")]).await;
    let bob = small.user("bob").await;
    let big = upload(
        &small,
        "/api/v1/media",
        &bob.token,
        multipart(&png, "big.png", "image/png", &[]),
    )
    .await;
    assert_eq!(big.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        big.json["error"],
        "Validation failed: File is larger than 1000 bytes"
    );
}

/// The moto S3 server, a real process on a free loopback port, stopped when dropped.
struct Moto {
    _child: tokio::process::Child,
    endpoint: String,
}

fn moto_server() -> String {
    if let Ok(path) = std::env::var("MOTO_SERVER") {
        return path;
    }
    let venv = concat!(env!("CARGO_MANIFEST_DIR"), "/.venv/bin/moto_server");
    assert!(
        std::path::Path::new(venv).exists(),
        "moto is needed: run tools/test.sh (it installs moto[server] into .venv), or set MOTO_SERVER"
    );
    venv.to_string()
}

impl Moto {
    async fn start(bucket: &str) -> Moto {
        let port = crate::compat::free_port();
        let child = tokio::process::Command::new(moto_server())
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("moto_server starts");
        let endpoint = format!("http://127.0.0.1:{port}");
        let client = crate::rig::http_client_builder().build().unwrap();
        let mut up = false;
        for _ in 0..300 {
            if client.get(&endpoint).send().await.is_ok() {
                up = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(up, "moto_server answered within 30 s");
        let created = client
            .put(format!("{endpoint}/{bucket}"))
            .send()
            .await
            .unwrap();
        assert!(
            created.status().is_success(),
            "bucket created: {}",
            created.status()
        );
        Moto {
            _child: child,
            endpoint,
        }
    }

    /// Whether the bucket holds an object at `key`, from an unsigned listing (moto answers
    /// unsigned requests; its objects are private, so a plain GET would be 403).
    async fn has(&self, bucket: &str, key: &str) -> bool {
        let client = crate::rig::http_client_builder().build().unwrap();
        let listing = client
            .get(format!(
                "{}/{bucket}?list-type=2&prefix={key}",
                self.endpoint
            ))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        listing.contains(&format!("<Key>{key}</Key>"))
    }
}

/// A fake origin on loopback: serves `files` by name, counts requests, and can be "gone".
struct Origin {
    base: String,
    hits: Arc<AtomicU64>,
    gone: Arc<AtomicBool>,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

async fn start_origin(files: HashMap<String, Vec<u8>>) -> Origin {
    use axum::extract::{Path, State};
    use axum::response::IntoResponse;
    type Shared = (
        Arc<HashMap<String, Vec<u8>>>,
        Arc<AtomicU64>,
        Arc<AtomicBool>,
    );
    async fn file(
        State((files, hits, gone)): State<Shared>,
        Path(name): Path<String>,
    ) -> axum::response::Response {
        hits.fetch_add(1, Ordering::SeqCst);
        match files.get(&name) {
            Some(bytes) if !gone.load(Ordering::SeqCst) => {
                ([("content-type", "image/png")], bytes.clone()).into_response()
            }
            _ => axum::http::StatusCode::NOT_FOUND.into_response(),
        }
    }
    let hits = Arc::new(AtomicU64::new(0));
    let gone = Arc::new(AtomicBool::new(false));
    let router = axum::Router::new()
        .route("/files/{name}", axum::routing::get(file))
        .with_state((Arc::new(files), hits.clone(), gone.clone()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (shutdown, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(async move {
                let _ = stopped.await;
            })
            .await
            .unwrap();
    });
    Origin {
        base,
        hits,
        gone,
        _shutdown: shutdown,
    }
}

/// Records a remote attachment (as an incoming post would) and returns its id.
async fn remote_media(server: &Server, author: AccountId, url: String) -> MediaId {
    server
        .app
        .run(move |app| {
            app.write(|tx| {
                let ids = media::insert_remote(
                    app,
                    tx,
                    author,
                    StatusId(app.next_id()),
                    &[RemoteMediaInput {
                        url,
                        kind: MediaKind::Image,
                        media_type: Some("image/png".into()),
                        description: "remote".into(),
                        width: None,
                        height: None,
                        blurhash: None,
                        focus: None,
                    }],
                )?;
                Ok(ids[0])
            })
        })
        .await
        .unwrap()
}

async fn blob(server: &Server, bytes: &[u8]) -> Option<skerry::model::Blob> {
    let hash = skerry::blob::hash(bytes);
    server
        .app
        .run(move |app| {
            Ok(app
                .store
                .read(|tx| skerry::store::media::get_blob(tx, &hash, 1 << 20))?)
        })
        .await
        .unwrap()
}

fn hot_path(server: &Server, bytes: &[u8]) -> std::path::PathBuf {
    server
        .app
        .media
        .blobs
        .path(skerry::blob::Disk::Hot, &skerry::blob::hash(bytes))
}

fn object_key(bytes: &[u8]) -> String {
    let hex = skerry::blob::to_hex(&skerry::blob::hash(bytes));
    format!("cache/{}/{hex}", &hex[..2])
}

/// Waits until `check` holds (the eviction job runs by itself), up to 10 s.
async fn eventually(what: &str, mut check: impl AsyncFnMut() -> bool) {
    for _ in 0..200 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("not within 10 s: {what}");
}

#[tokio::test]
async fn remote_media_moves_down_and_up_the_tiers_with_a_real_s3_server() {
    let moto = Moto::start("skerry-media").await;
    let first = noise_png(100, 1);
    let second = noise_png(100, 2);
    let budget = (first.len() + first.len() / 2).to_string();
    let origin = start_origin(HashMap::from([
        ("first.png".to_string(), first.clone()),
        ("second.png".to_string(), second.clone()),
    ]))
    .await;
    let server = Server::start_with(&[
        ("SKERRY_FEDERATION_ALLOW_PRIVATE_NETWORKS", "true"),
        ("SKERRY_MEDIA_COLD_URL", "s3://skerry-media/cache"),
        ("SKERRY_MEDIA_COLD_S3_ENDPOINT", &moto.endpoint),
        ("SKERRY_MEDIA_COLD_S3_ALLOW_HTTP", "true"),
        ("SKERRY_MEDIA_COLD_S3_ACCESS_KEY_ID", "testing"),
        ("SKERRY_MEDIA_COLD_S3_SECRET_ACCESS_KEY", "testing"),
        ("SKERRY_MEDIA_HOT_BYTES_MAX", &budget),
        ("SKERRY_MEDIA_DISK_FREE_BYTES_MIN", "1"),
    ])
    .await;
    let alice = server.user("alice").await;
    let first_id = remote_media(
        &server,
        alice.id,
        format!("{}/files/first.png", origin.base),
    )
    .await;
    let second_id = remote_media(
        &server,
        alice.id,
        format!("{}/files/second.png", origin.base),
    )
    .await;

    // First view: fetched from the origin into the hot tier; second view: a hot hit.
    let response = raw_get(&server, &media_path(&server, first_id, "original"), &[]).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "image/png");
    assert_eq!(&response.bytes().await.unwrap()[..], &first[..]);
    assert_eq!(
        raw_get(&server, &media_path(&server, first_id, "original"), &[])
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(origin.hits.load(Ordering::SeqCst), 1);
    let stored = blob(&server, &first).await.unwrap();
    assert!(stored.hot && !stored.cold && !stored.local);
    assert!(hot_path(&server, &first).exists());

    // The second fetch overflows the budget: the job moves the least recently viewed blob
    // (the first) to S3 by itself, and deletes it from disk only once S3 has it.
    assert_eq!(
        raw_get(&server, &media_path(&server, second_id, "original"), &[])
            .await
            .status(),
        StatusCode::OK
    );
    // The record changes before the file goes (see above): both are waited for.
    eventually("the first blob is cold", async || {
        blob(&server, &first)
            .await
            .is_some_and(|blob| blob.cold && !blob.hot)
            && !hot_path(&server, &first).exists()
    })
    .await;
    assert!(moto.has("skerry-media", &object_key(&first)).await);
    assert!(totals(&server).await.hot_bytes <= first.len() as u64 * 3 / 2);

    // Tier up: a view streams it back from S3 into the hot tier; the origin is not asked.
    let response = raw_get(&server, &media_path(&server, first_id, "original"), &[]).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(&response.bytes().await.unwrap()[..], &first[..]);
    assert_eq!(origin.hits.load(Ordering::SeqCst), 2);
    assert!(blob(&server, &first).await.unwrap().hot);
    eventually("the second blob is cold", async || {
        blob(&server, &second)
            .await
            .is_some_and(|blob| blob.cold && !blob.hot)
    })
    .await;

    // Gone: pruned out of every tier, the origin gone too: a clean 404, the record kept.
    origin.gone.store(true, Ordering::SeqCst);
    let pruned = media::prune(&server.app, 0).await.unwrap();
    assert_eq!(pruned, 2);
    assert!(!moto.has("skerry-media", &object_key(&second)).await);
    let missing = raw_get(&server, &media_path(&server, second_id, "original"), &[]).await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        missing.text().await.unwrap(),
        r#"{"error":"Record not found"}"#
    );
    let record = server
        .app
        .run(move |app| {
            Ok(app
                .store
                .read(|tx| skerry::store::media::get_media(tx, second_id, 1 << 20))?)
        })
        .await
        .unwrap()
        .expect("the metadata stays");
    assert_eq!(record.description, "remote");
    assert!(record.fetch_failed_ms.is_some());

    // Refetch once the origin is back: both blobs re-enter the hot tier.
    origin.gone.store(false, Ordering::SeqCst);
    let (fetched, failed) = media::refetch(&server.app).await.unwrap();
    assert_eq!((fetched, failed), (2, 0));
    assert_eq!(
        raw_get(&server, &media_path(&server, second_id, "original"), &[])
            .await
            .status(),
        StatusCode::OK
    );

    // The admin command's view, and the sweep finds nothing to remove.
    let usage = skerry::admin::execute(&server.app, skerry::admin::Command::MediaUsage);
    assert!(usage.is_err() || usage.as_ref().unwrap().contains("hot"));
    let orphans = media::remove_orphans(&server.app).await.unwrap();
    assert_eq!(orphans.records + orphans.files, 0, "{orphans:?}");
    let check = server.app.run(|app| Ok(app.store.check()?)).await.unwrap();
    assert!(check.0.is_empty(), "{:?}", check.0);
    let metrics = server.get("/metrics", None).await;
    assert!(
        metrics
            .json
            .as_str()
            .unwrap()
            .contains("skerry_media_tier_bytes{tier=\"hot\"}")
    );
}

/// Promotion files left in the incoming directory (`blob::PROMOTION_PREFIX`).
fn promotion_files(server: &Server) -> Vec<std::path::PathBuf> {
    let incoming = server.app.media.blobs.incoming_path(0);
    std::fs::read_dir(incoming.parent().unwrap())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            path.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(skerry::blob::PROMOTION_PREFIX)
        })
        .collect()
}

#[tokio::test]
async fn a_cold_blob_is_streamed_through_while_promoted_and_a_bad_copy_is_cut_short() {
    let moto = Moto::start("skerry-stream").await;
    // Large enough for several chunks from the store and several reads of the answer.
    let first = noise_png(300, 21);
    let second = noise_png(300, 22);
    assert_eq!(first.len(), second.len());
    let budget = (first.len() + first.len() / 2).to_string();
    let origin = start_origin(HashMap::from([
        ("first.png".to_string(), first.clone()),
        ("second.png".to_string(), second.clone()),
    ]))
    .await;
    let server = Server::start_with(&[
        ("SKERRY_FEDERATION_ALLOW_PRIVATE_NETWORKS", "true"),
        ("SKERRY_MEDIA_COLD_URL", "s3://skerry-stream/cache"),
        ("SKERRY_MEDIA_COLD_S3_ENDPOINT", &moto.endpoint),
        ("SKERRY_MEDIA_COLD_S3_ALLOW_HTTP", "true"),
        ("SKERRY_MEDIA_COLD_S3_ACCESS_KEY_ID", "testing"),
        ("SKERRY_MEDIA_COLD_S3_SECRET_ACCESS_KEY", "testing"),
        ("SKERRY_MEDIA_HOT_BYTES_MAX", &budget),
        ("SKERRY_MEDIA_DISK_FREE_BYTES_MIN", "1"),
    ])
    .await;
    let alice = server.user("alice").await;
    let first_id = remote_media(
        &server,
        alice.id,
        format!("{}/files/first.png", origin.base),
    )
    .await;
    let second_id = remote_media(
        &server,
        alice.id,
        format!("{}/files/second.png", origin.base),
    )
    .await;
    let first_path = media_path(&server, first_id, "original");
    let second_path = media_path(&server, second_id, "original");
    let cold_only = async |bytes: &[u8]| {
        blob(&server, bytes)
            .await
            .is_some_and(|blob| blob.cold && !blob.hot)
            && !hot_path(&server, bytes).exists()
    };
    let hot = async |bytes: &[u8]| {
        blob(&server, bytes).await.is_some_and(|blob| blob.hot) && hot_path(&server, bytes).exists()
    };

    // Both fetched from the origin; the second overflows the budget and the first goes cold.
    assert_eq!(
        raw_get(&server, &first_path, &[]).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        raw_get(&server, &second_path, &[]).await.status(),
        StatusCode::OK
    );
    eventually("the first blob is only cold", async || {
        cold_only(&first).await
    })
    .await;

    // Two views of the cold blob at once: both get every byte, from one promotion (one
    // temporary file), and the blob ends up hot; the origin is not asked.
    let (one, two) = tokio::join!(
        raw_get(&server, &first_path, &[]),
        raw_get(&server, &first_path, &[])
    );
    for response in [one, two] {
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            response.headers()["content-length"],
            first.len().to_string().as_str()
        );
        assert_eq!(&response.bytes().await.unwrap()[..], &first[..]);
    }
    assert_eq!(origin.hits.load(Ordering::SeqCst), 2);
    eventually("the first blob is hot again", async || hot(&first).await).await;
    assert!(
        blob(&server, &first).await.unwrap().cold,
        "the cold copy stays"
    );
    assert!(promotion_files(&server).is_empty());

    // The promotion put the tier over budget: the second goes cold. A range of it is
    // answered from the promotion as its bytes arrive.
    eventually("the second blob is only cold", async || {
        cold_only(&second).await
    })
    .await;
    let ranged = raw_get(&server, &second_path, &[("range", "bytes=1000-1999")]).await;
    assert_eq!(ranged.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        ranged.headers()["content-range"],
        format!("bytes 1000-1999/{}", second.len()).as_str()
    );
    assert_eq!(&ranged.bytes().await.unwrap()[..], &second[1000..2000]);
    eventually("the second blob is hot again", async || hot(&second).await).await;
    assert_eq!(origin.hits.load(Ordering::SeqCst), 2);

    // A client that goes away after the headers: the promotion completes all the same.
    eventually("the first blob is only cold again", async || {
        cold_only(&first).await
    })
    .await;
    drop(raw_get(&server, &first_path, &[]).await);
    eventually("the first blob is hot after its client left", async || {
        hot(&first).await
    })
    .await;
    assert!(promotion_files(&server).is_empty());

    // A cold copy that went bad (same size, other bytes): the answer is cut short before
    // its last byte, nothing reaches the hot tier, the temporary file goes, and the bad
    // copy leaves the record so that the next view asks the origin.
    eventually("the second blob is only cold again", async || {
        cold_only(&second).await
    })
    .await;
    let mut bad = second.clone();
    let middle = bad.len() / 2;
    bad[middle] ^= 0xff;
    // Written through the server's own client (moto refuses unsigned writes).
    server
        .app
        .media
        .blobs
        .cold_put(&skerry::blob::hash(&second), bad.into())
        .await
        .unwrap();
    let response = raw_get(&server, &second_path, &[]).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body = response.bytes().await;
    assert!(
        body.as_ref().is_err() || body.as_ref().unwrap().len() < second.len(),
        "a bad copy is never answered whole"
    );
    eventually("the bad copy is dropped", async || {
        blob(&server, &second)
            .await
            .is_some_and(|blob| !blob.cold && !blob.hot)
    })
    .await;
    assert!(!hot_path(&server, &second).exists());
    eventually("no promotion file is left", async || {
        promotion_files(&server).is_empty()
    })
    .await;
    assert_eq!(origin.hits.load(Ordering::SeqCst), 2);
    let again = raw_get(&server, &second_path, &[]).await;
    assert_eq!(again.status(), StatusCode::OK);
    assert_eq!(&again.bytes().await.unwrap()[..], &second[..]);
    assert_eq!(origin.hits.load(Ordering::SeqCst), 3);
    let check = server.app.run(|app| Ok(app.store.check()?)).await.unwrap();
    assert!(check.0.is_empty(), "{:?}", check.0);
}

#[tokio::test]
async fn a_dead_or_hanging_object_store_delays_eviction_and_loses_nothing() {
    // A port nothing listens on (refused) and one that accepts and never answers (slow).
    let refused = crate::compat::free_port();
    let hanging = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hanging_port = hanging.local_addr().unwrap().port();
    let _hold = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((stream, _)) = hanging.accept().await {
            open.push(stream);
        }
    });
    for port in [refused, hanging_port] {
        let png = noise_png(60, port.into());
        let origin = start_origin(HashMap::from([("a.png".to_string(), png.clone())])).await;
        let endpoint = format!("http://127.0.0.1:{port}");
        let server = Server::start_with(&[
            ("SKERRY_FEDERATION_ALLOW_PRIVATE_NETWORKS", "true"),
            ("SKERRY_MEDIA_COLD_URL", "s3://skerry-media/cache"),
            ("SKERRY_MEDIA_COLD_S3_ENDPOINT", &endpoint),
            ("SKERRY_MEDIA_COLD_S3_ALLOW_HTTP", "true"),
            ("SKERRY_MEDIA_COLD_S3_ACCESS_KEY_ID", "testing"),
            ("SKERRY_MEDIA_COLD_S3_SECRET_ACCESS_KEY", "testing"),
            ("SKERRY_MEDIA_COLD_TIMEOUT_MS", "500"),
            ("SKERRY_MEDIA_HOT_BYTES_MAX", "10"),
            ("SKERRY_MEDIA_DISK_FREE_BYTES_MIN", "1"),
        ])
        .await;
        let alice = server.user("alice").await;
        let id = remote_media(&server, alice.id, format!("{}/files/a.png", origin.base)).await;
        assert_eq!(
            raw_get(&server, &media_path(&server, id, "original"), &[])
                .await
                .status(),
            StatusCode::OK
        );
        let report = media::evict(&server.app, false).await.unwrap();
        assert!(report.cold_errors >= 1, "{report:?}");
        assert_eq!(report.moved_to_cold + report.dropped_from_hot, 0);
        let stored = blob(&server, &png).await.unwrap();
        assert!(
            stored.hot && !stored.cold,
            "nothing leaves the hot tier unsafely"
        );
        assert!(hot_path(&server, &png).exists());
        // Local serving goes on meanwhile, from disk, without the origin.
        let served = raw_get(&server, &media_path(&server, id, "original"), &[]).await;
        assert_eq!(served.status(), StatusCode::OK);
        assert_eq!(&served.bytes().await.unwrap()[..], &png[..]);
        assert_eq!(origin.hits.load(Ordering::SeqCst), 1);
        // Uploads are local media: they never wait on the object store.
        let upload = upload(
            &server,
            "/api/v1/media",
            &alice.token,
            multipart(&noise_png(8, 5), "u.png", "image/png", &[]),
        )
        .await;
        assert_eq!(upload.status, StatusCode::OK);
    }
}

#[tokio::test]
async fn without_a_cold_tier_eviction_drops_to_gone_and_a_view_fetches_again() {
    let png = noise_png(50, 11);
    let origin = start_origin(HashMap::from([("a.png".to_string(), png.clone())])).await;
    let server = Server::start_with(&[
        ("SKERRY_FEDERATION_ALLOW_PRIVATE_NETWORKS", "true"),
        ("SKERRY_MEDIA_HOT_BYTES_MAX", "10"),
        ("SKERRY_MEDIA_DISK_FREE_BYTES_MIN", "1"),
        ("SKERRY_MEDIA_EVICT_INTERVAL_SECS", "3600"),
    ])
    .await;
    let alice = server.user("alice").await;
    // A local upload is never evicted, however small the budget.
    let local = upload(
        &server,
        "/api/v1/media",
        &alice.token,
        multipart(&noise_png(32, 3), "l.png", "image/png", &[]),
    )
    .await;
    let local_id = local.json["id"].as_str().unwrap().to_string();
    let id = remote_media(&server, alice.id, format!("{}/files/a.png", origin.base)).await;
    assert_eq!(
        raw_get(&server, &media_path(&server, id, "original"), &[])
            .await
            .status(),
        StatusCode::OK
    );
    // The job commits the record before it deletes the file (never a record naming a file
    // that is gone), so both are waited for.
    eventually("evicted to gone", async || {
        blob(&server, &png)
            .await
            .is_some_and(|blob| !blob.hot && !blob.cold)
            && !hot_path(&server, &png).exists()
    })
    .await;
    let dry = media::evict(&server.app, true).await.unwrap();
    assert_eq!(dry.dropped_from_hot + dry.moved_to_cold, 0);
    // The next view fetches it again from the origin.
    assert_eq!(
        raw_get(&server, &media_path(&server, id, "original"), &[])
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(origin.hits.load(Ordering::SeqCst), 2);
    assert_eq!(
        raw_get(&server, &media_path(&server, &local_id, "original"), &[])
            .await
            .status(),
        StatusCode::OK
    );
    assert!(totals(&server).await.local_count >= 1);
    // The daily growth sample counts the media tiers beside the tables.
    let samples = server
        .app
        .run(|app| Ok(app.store.sample_growth(skerry::util::time::now_ms())?))
        .await
        .unwrap();
    let tier = |name: &str| {
        samples
            .iter()
            .find(|sample| sample.table == name)
            .unwrap()
            .clone()
    };
    let local_tier = tier(skerry::store::growth::MEDIA_LOCAL);
    assert!(
        local_tier.entries >= 1 && local_tier.bytes > 0,
        "{local_tier:?}"
    );
    assert!(
        samples
            .iter()
            .any(|sample| sample.table == skerry::store::growth::MEDIA_HOT)
    );
    assert!(
        samples
            .iter()
            .any(|sample| sample.table == skerry::store::growth::MEDIA_COLD)
    );
    // An origin that answers with something else than media: refused, 404, metadata kept.
    let fake = start_origin(HashMap::new()).await;
    let other = remote_media(
        &server,
        alice.id,
        format!("{}/files/nothing.png", fake.base),
    )
    .await;
    assert_eq!(
        raw_get(&server, &media_path(&server, other, "original"), &[])
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    // Within the retry pause the dead origin is not asked again.
    assert_eq!(
        raw_get(&server, &media_path(&server, other, "original"), &[])
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(fake.hits.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn avatar_and_header_are_uploaded_shown_and_federated() {
    let server = Server::start().await;
    let alice = server.user("alice").await;
    let patch = |body: Vec<u8>| {
        server
            .client
            .patch(server.url("/api/v1/accounts/update_credentials"))
            .header(
                "content-type",
                format!("multipart/form-data; boundary={BOUNDARY}"),
            )
            .body(body)
    };
    // A 2-MiB-capped image with the other fields in the same request.
    let avatar = noise_png(300, 21);
    let reply = server
        .send(
            patch(multipart(
                &avatar,
                "me.png",
                "image/png",
                &[("display_name", "Alice")],
            )),
            Some(&alice.token),
        )
        .await;
    // `multipart` names its file field `file`; avatars come as `avatar`.
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    assert!(
        reply.json["avatar"]
            .as_str()
            .unwrap()
            .ends_with("/avatars/original/missing.png")
    );
    let renamed = multipart_named("avatar", &avatar, "me.png", "image/png", &[]);
    let reply = server.send(patch(renamed), Some(&alice.token)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    let url = reply.json["avatar"].as_str().unwrap().to_string();
    assert!(
        url.contains("/media/") && url.ends_with("/original"),
        "{url}"
    );
    assert_eq!(reply.json["display_name"], "Alice");
    let path = url.strip_prefix(&server.base).unwrap();
    let served = raw_get(&server, path, &[]).await;
    assert_eq!(served.status(), StatusCode::OK);
    assert_eq!(served.headers()["content-type"], "image/png");
    let actor = server
        .send(
            server
                .client
                .get(server.url("/users/alice"))
                .header("accept", "application/activity+json"),
            None,
        )
        .await;
    assert_eq!(actor.json["icon"]["url"], url);
    // The avatar's media cannot be deleted from under the profile.
    let media_id = path.split('/').nth(2).unwrap();
    let delete = server
        .send(
            server
                .client
                .delete(server.url(&format!("/api/v1/media/{media_id}"))),
            Some(&alice.token),
        )
        .await;
    assert_eq!(delete.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Not an image: refused, the profile unchanged.
    let lie = multipart_named("header", b"<html></html>", "x.png", "image/png", &[]);
    let reply = server.send(patch(lie), Some(&alice.token)).await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        reply.json
    );
    let check = server.app.run(|app| Ok(app.store.check()?)).await.unwrap();
    assert!(check.0.is_empty(), "{:?}", check.0);
}

#[tokio::test]
async fn deleting_a_status_frees_its_media_for_a_redraft_and_the_sweep_only_takes_old_strays() {
    let server = Server::start().await;
    let alice = server.user("alice").await;
    let reply = upload(
        &server,
        "/api/v1/media",
        &alice.token,
        multipart(&noise_png(40, 4), "a.png", "image/png", &[]),
    )
    .await;
    let id = reply.json["id"].as_str().unwrap().to_string();
    let status = server
        .post(
            "/api/v1/statuses",
            Some(&alice.token),
            serde_json::json!({ "status": "one", "media_ids": [id] }),
        )
        .await;
    let status_id = status.json["id"].as_str().unwrap();
    let deleted = server
        .send(
            server
                .client
                .delete(server.url(&format!("/api/v1/statuses/{status_id}"))),
            Some(&alice.token),
        )
        .await;
    assert_eq!(deleted.status, StatusCode::OK);
    assert_eq!(deleted.json["media_attachments"][0]["id"], id);
    // Delete and redraft: the same upload attaches to the new status.
    let redraft = server
        .post(
            "/api/v1/statuses",
            Some(&alice.token),
            serde_json::json!({ "status": "one again", "media_ids": [id] }),
        )
        .await;
    assert_eq!(redraft.status, StatusCode::OK, "{}", redraft.json);

    // Stray files in the hot tier: an old one is an orphan, a young one may be a fetch
    // about to commit and stays.
    let hot = server.app.config.media_dir().join("hot").join("ab");
    std::fs::create_dir_all(&hot).unwrap();
    let old = hot.join("ab".repeat(32));
    let young = hot.join(format!("ab{}", "cd".repeat(31)));
    std::fs::write(&old, b"stray").unwrap();
    std::fs::write(&young, b"stray").unwrap();
    let two_hours_ago = std::time::SystemTime::now() - Duration::from_secs(7200);
    std::fs::File::options()
        .write(true)
        .open(&old)
        .unwrap()
        .set_modified(two_hours_ago)
        .unwrap();
    let report = media::remove_orphans(&server.app).await.unwrap();
    assert_eq!(report.files, 1, "{report:?}");
    assert!(!old.exists() && young.exists());
    // The upload still serves: the sweep took nothing that a record names.
    assert_eq!(
        raw_get(&server, &media_path(&server, &id, "original"), &[])
            .await
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn an_attachment_and_an_avatar_federate_and_the_follower_s_server_fetches_them_from_the_origin()
 {
    use crate::federation_e2e::{eventually, host, instance, relationship, resolve};
    let a = instance().await;
    let b = instance().await;
    let alice = a.user("alice").await;
    let bob = b.user("bob").await;
    // Bob has an avatar before alice's server first sees him.
    let avatar = noise_png(90, 5);
    let with_avatar = b
        .send(
            b.client
                .patch(b.url("/api/v1/accounts/update_credentials"))
                .header(
                    "content-type",
                    format!("multipart/form-data; boundary={BOUNDARY}"),
                )
                .body(multipart_named(
                    "avatar",
                    &avatar,
                    "me.png",
                    "image/png",
                    &[],
                )),
            Some(&bob.token),
        )
        .await;
    assert_eq!(with_avatar.status, StatusCode::OK, "{}", with_avatar.json);
    let avatar_on_b = with_avatar.json["avatar"].as_str().unwrap().to_string();
    let avatar_bytes = raw_get(&b, avatar_on_b.strip_prefix(&b.base).unwrap(), &[])
        .await
        .bytes()
        .await
        .unwrap();
    let bob_on_a = resolve(&a, &alice, &format!("bob@{}", host(&b))).await;
    // On alice's server his avatar is a remote media entry of ours, fetched on first view.
    let account = a
        .get(&format!("/api/v1/accounts/{bob_on_a}"), Some(&alice.token))
        .await;
    let avatar_on_a = account.json["avatar"].as_str().unwrap().to_string();
    assert!(
        avatar_on_a.starts_with(&a.base) && avatar_on_a.contains("/media/"),
        "{avatar_on_a}"
    );
    let served = raw_get(&a, avatar_on_a.strip_prefix(&a.base).unwrap(), &[]).await;
    assert_eq!(served.status(), StatusCode::OK);
    assert_eq!(served.bytes().await.unwrap(), avatar_bytes);
    a.post(
        &format!("/api/v1/accounts/{bob_on_a}/follow"),
        Some(&alice.token),
        serde_json::json!({}),
    )
    .await;
    eventually("alice follows bob", || async {
        (relationship(&a, &alice, &bob_on_a).await["following"] == true).then_some(())
    })
    .await;

    let png = noise_png(120, 77);
    let uploaded = upload(
        &b,
        "/api/v1/media",
        &bob.token,
        multipart(
            &png,
            "p.png",
            "image/png",
            &[("description", "a test pattern")],
        ),
    )
    .await;
    let media_id = uploaded.json["id"].as_str().unwrap();
    let stored_bytes = raw_get(&b, &media_path(&b, media_id, "original"), &[])
        .await
        .bytes()
        .await
        .unwrap();
    let post = b
        .post(
            "/api/v1/statuses",
            Some(&bob.token),
            serde_json::json!({ "status": "look", "media_ids": [media_id] }),
        )
        .await;
    assert_eq!(post.status, StatusCode::OK, "{}", post.json);

    // On alice's server: the status shows a remote attachment with the description and the
    // origin's URL, and (alice follows bob) its bytes are prefetched into the hot tier.
    let attachment = eventually("the post reaches alice's home", || async {
        let home = a.get("/api/v1/timelines/home", Some(&alice.token)).await;
        home.json
            .as_array()
            .and_then(|statuses| statuses.first().cloned())
            .map(|status| status["media_attachments"][0].clone())
    })
    .await;
    assert_eq!(attachment["description"], "a test pattern");
    assert_eq!(attachment["type"], "image");
    assert_eq!(attachment["remote_url"], uploaded.json["url"]);
    let local_url = attachment["url"].as_str().unwrap().to_string();
    assert!(local_url.starts_with(&a.base), "{local_url}");
    let hash = skerry::blob::hash(&stored_bytes);
    eventually("prefetched into alice's hot tier", || async {
        let blob = a
            .app
            .run(move |app| {
                Ok(app
                    .store
                    .read(|tx| skerry::store::media::get_blob(tx, &hash, 1 << 20))?)
            })
            .await
            .unwrap();
        blob.filter(|blob| blob.hot).map(|_| ())
    })
    .await;
    let served = raw_get(&a, local_url.strip_prefix(&a.base).unwrap(), &[]).await;
    assert_eq!(served.status(), StatusCode::OK);
    assert_eq!(served.bytes().await.unwrap(), stored_bytes);
}

#[tokio::test]
async fn under_disk_pressure_eviction_halves_the_hot_tier() {
    let first = noise_png(80, 31);
    let second = noise_png(80, 32);
    let origin = start_origin(HashMap::from([
        ("1.png".to_string(), first.clone()),
        ("2.png".to_string(), second.clone()),
    ]))
    .await;
    // Both fit the budget; half the budget holds one. A free-space floor no disk has
    // stands for a disk that is full.
    let budget = (first.len() + second.len() + 100).to_string();
    let server = Server::start_with(&[
        ("SKERRY_FEDERATION_ALLOW_PRIVATE_NETWORKS", "true"),
        ("SKERRY_MEDIA_HOT_BYTES_MAX", &budget),
        ("SKERRY_MEDIA_DISK_FREE_BYTES_MIN", "9223372036854775807"),
        ("SKERRY_MEDIA_EVICT_INTERVAL_SECS", "3600"),
    ])
    .await;
    let alice = server.user("alice").await;
    for name in ["1.png", "2.png"] {
        let id = remote_media(&server, alice.id, format!("{}/files/{name}", origin.base)).await;
        assert_eq!(
            raw_get(&server, &media_path(&server, id, "original"), &[])
                .await
                .status(),
            StatusCode::OK
        );
    }
    let report = media::evict(&server.app, false).await.unwrap();
    assert!(report.disk_pressure, "{report:?}");
    assert_eq!(report.dropped_from_hot, 1, "{report:?}");
    assert!(totals(&server).await.hot_bytes <= report.hot_target_bytes);
    // The least recently used one (the first) went.
    assert!(!blob(&server, &first).await.unwrap().hot);
    assert!(blob(&server, &second).await.unwrap().hot);
}

/// An ISO base media box: size, type, body.
fn mp4_box(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut out = ((8 + body.len()) as u32).to_be_bytes().to_vec();
    out.extend_from_slice(kind);
    out.extend_from_slice(body);
    out
}

/// A full box: version 0, no flags, then the body.
fn mp4_full_box(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
    mp4_box(kind, &[&[0u8; 4][..], body].concat())
}

/// A minimal MP4 (`ftyp`, `moov` with one H.264 video track, an empty `mdat`): 320×240,
/// timescale 15,360, 150 frames of 512 ticks each, so 30/1 frames per second and 5 s.
fn tiny_mp4() -> Vec<u8> {
    let be = |value: u32| value.to_be_bytes();
    let identity: Vec<u8> = [0x0001_0000u32, 0, 0, 0, 0x0001_0000, 0, 0, 0, 0x4000_0000]
        .iter()
        .flat_map(|value| value.to_be_bytes())
        .collect();
    let ftyp = mp4_box(
        b"ftyp",
        &[&b"isom"[..], &be(512), b"isomiso2avc1mp41"].concat(),
    );
    let mvhd = mp4_full_box(
        b"mvhd",
        &[
            &be(0)[..],
            &be(0),
            &be(1000),        // timescale
            &be(5000),        // duration: 5 s
            &be(0x0001_0000), // rate
            &[0x01, 0x00],    // volume
            &[0; 10],
            &identity,
            &[0; 24],
            &be(2), // next track id
        ]
        .concat(),
    );
    let tkhd = mp4_full_box(
        b"tkhd",
        &[
            &be(0)[..],
            &be(0),
            &be(1), // track id
            &be(0),
            &be(5000),
            &[0; 8],
            &[0; 8], // layer, alternate group, volume, reserved
            &identity,
            &be(320 << 16),
            &be(240 << 16),
        ]
        .concat(),
    );
    let mdhd = mp4_full_box(
        b"mdhd",
        &[
            &be(0)[..],
            &be(0),
            &be(15_360),
            &be(150 * 512),
            &[0x55, 0xc4, 0, 0],
        ]
        .concat(),
    );
    let hdlr = mp4_full_box(
        b"hdlr",
        &[&be(0)[..], b"vide", &[0; 12], b"VideoHandler\0"].concat(),
    );
    let avcc = mp4_box(b"avcC", &[1, 0x42, 0xc0, 0x1e, 0xff, 0xe0, 0x00]);
    let avc1 = mp4_box(
        b"avc1",
        &[
            &[0u8; 6][..],
            &[0, 1], // data reference index
            &[0; 16],
            &320u16.to_be_bytes(),
            &240u16.to_be_bytes(),
            &be(0x0048_0000),
            &be(0x0048_0000),
            &be(0),
            &[0, 1], // frame count
            &[0; 32],
            &[0, 0x18],
            &[0xff, 0xff],
            &avcc,
        ]
        .concat(),
    );
    let stsd = mp4_full_box(b"stsd", &[&be(1)[..], &avc1].concat());
    let stts = mp4_full_box(b"stts", &[&be(1)[..], &be(150), &be(512)].concat());
    let stbl = mp4_box(b"stbl", &[stsd, stts].concat());
    let minf = mp4_box(b"minf", &stbl);
    let mdia = mp4_box(b"mdia", &[mdhd, hdlr, minf].concat());
    let trak = mp4_box(b"trak", &[tkhd, mdia].concat());
    let moov = mp4_box(b"moov", &[mvhd, trak].concat());
    let mdat = mp4_box(b"mdat", &[0; 64]);
    [ftyp, moov, mdat].concat()
}

/// Uploads through v2 and waits for processing; the ready attachment.
async fn upload_v2_ready(server: &Server, token: &str, file: &[u8], name: &str) -> Reply {
    let reply = upload(
        server,
        "/api/v2/media",
        token,
        multipart(file, name, "video/mp4", &[]),
    )
    .await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{}", reply.json);
    let id = reply.json["id"].as_str().unwrap().to_string();
    for _ in 0..100 {
        let reply = server
            .get(&format!("/api/v1/media/{id}"), Some(token))
            .await;
        if reply.status == StatusCode::OK {
            return reply;
        }
        assert_eq!(reply.status, StatusCode::PARTIAL_CONTENT, "{}", reply.json);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{name} not processed within 5 s");
}

#[tokio::test]
async fn an_mp4_upload_has_its_size_duration_and_frame_rate_and_a_broken_one_uploads_without() {
    let server = Server::start().await;
    let alice = server.user("alice").await;
    let mp4 = tiny_mp4();
    let ready = upload_v2_ready(&server, &alice.token, &mp4, "clip.mp4").await;
    let json = &ready.json;
    assert_eq!(json["type"], "video", "{json}");
    let original = &json["meta"]["original"];
    assert_eq!(original["width"], 320, "{json}");
    assert_eq!(original["height"], 240, "{json}");
    assert_eq!(original["frame_rate"], "30/1", "{json}");
    assert_eq!(original["duration"], 5.0, "{json}");
    // The whole file's bits over its 5 s.
    assert_eq!(original["bitrate"], mp4.len() as u64 * 8 / 5, "{json}");
    assert_eq!(json["meta"]["length"], "0:00:05.00", "{json}");
    assert_eq!(json["meta"]["duration"], 5.0, "{json}");
    assert_eq!(json["meta"]["fps"], 30, "{json}");
    // The bytes are stored as they came.
    let served = raw_get(
        &server,
        &media_path(&server, json["id"].as_str().unwrap(), "original"),
        &[],
    )
    .await;
    assert_eq!(served.bytes().await.unwrap().as_ref(), &mp4[..]);

    // Cut inside `moov`: still an MP4 by its first bytes, so it is kept, without metadata.
    let broken = &mp4[..mp4.len() - 200];
    let ready = upload_v2_ready(&server, &alice.token, broken, "broken.mp4").await;
    assert_eq!(ready.json["type"], "video", "{}", ready.json);
    assert!(ready.json["meta"]["original"].is_null(), "{}", ready.json);
    assert!(ready.json["meta"]["duration"].is_null(), "{}", ready.json);
}

fn av_fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/av/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

#[tokio::test]
async fn webm_and_audio_uploads_have_mastodon_s_meta() {
    let server = Server::start().await;
    let alice = server.user("alice").await;
    let webm = av_fixture("clip.webm");
    let json = upload_v2_ready(&server, &alice.token, &webm, "clip.webm")
        .await
        .json;
    assert_eq!(json["type"], "video", "{json}");
    let original = &json["meta"]["original"];
    assert_eq!(original["width"], 64, "{json}");
    assert_eq!(original["height"], 48, "{json}");
    assert_eq!(original["frame_rate"], "10/1", "{json}");
    assert_eq!(original["duration"], 1.0, "{json}");
    assert_eq!(original["bitrate"], webm.len() as u64 * 8, "{json}");
    assert_eq!(json["meta"]["length"], "0:00:01.00", "{json}");
    assert_eq!(json["meta"]["fps"], 10, "{json}");

    let opus = av_fixture("tone.opus");
    let json = upload_v2_ready(&server, &alice.token, &opus, "tone.opus")
        .await
        .json;
    assert_eq!(json["type"], "audio", "{json}");
    assert_eq!(json["meta"]["audio_bitrate"], "48000 Hz", "{json}");
    assert_eq!(json["meta"]["audio_channels"], "stereo", "{json}");
    let duration = json["meta"]["original"]["duration"].as_f64().unwrap();
    assert!((duration - 1.0).abs() < 0.06, "{json}");
    assert!(json["meta"]["original"]["width"].is_null(), "{json}");

    let mp3 = av_fixture("tone.mp3");
    let json = upload_v2_ready(&server, &alice.token, &mp3, "tone.mp3")
        .await
        .json;
    assert_eq!(json["type"], "audio", "{json}");
    assert_eq!(json["meta"]["audio_bitrate"], "22050 Hz", "{json}");
    assert_eq!(json["meta"]["audio_channels"], "mono", "{json}");
    let duration = json["meta"]["duration"].as_f64().unwrap();
    assert!((duration - 2.0).abs() < 0.06, "{json}");
}

#[tokio::test]
async fn a_remote_mp4_gets_its_metadata_when_its_bytes_are_fetched() {
    let mp4 = tiny_mp4();
    let origin = start_origin(HashMap::from([("clip.mp4".to_string(), mp4.clone())])).await;
    let server = Server::start_with(&[("SKERRY_FEDERATION_ALLOW_PRIVATE_NETWORKS", "true")]).await;
    let alice = server.user("alice").await;
    let url = format!("{}/files/clip.mp4", origin.base);
    let id = server
        .app
        .run(move |app| {
            app.write(|tx| {
                let ids = media::insert_remote(
                    app,
                    tx,
                    alice.id,
                    StatusId(app.next_id()),
                    &[RemoteMediaInput {
                        url,
                        kind: MediaKind::Video,
                        media_type: Some("video/mp4".into()),
                        description: String::new(),
                        width: None,
                        height: None,
                        blurhash: None,
                        focus: None,
                    }],
                )?;
                Ok(ids[0])
            })
        })
        .await
        .unwrap();
    let record = async || {
        server
            .app
            .run(move |app| {
                Ok(app
                    .store
                    .read(|tx| skerry::store::media::get_media(tx, id, 1 << 20))?
                    .unwrap())
            })
            .await
            .unwrap()
    };
    assert_eq!(record().await.av, None, "nothing read before the bytes");
    let served = raw_get(&server, &media_path(&server, id, "original"), &[]).await;
    assert_eq!(served.status(), StatusCode::OK);
    let media = record().await;
    let av = media.av.expect("metadata read from the fetched bytes");
    assert_eq!(av.duration_us, 5_000_000);
    assert_eq!(av.frame_rate, Some((30, 1)));
    assert_eq!((media.width, media.height), (Some(320), Some(240)));
}
