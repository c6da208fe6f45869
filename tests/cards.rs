//! Preview cards against a fake origin on loopback: a page with OpenGraph tags and an image
//! becomes the card of every status linking to it (`card` on the status and
//! `GET /api/v1/statuses/:id/card`), its image served through the media tiers; a failing
//! page is not asked again (the negative cache); mentions and hashtags get no card; a stale
//! card is fetched again in the background, and kept while it loads or when that fails.

use std::collections::HashMap;
use std::io::Cursor;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::rig::Server;

/// A small gradient PNG.
fn png(width: u32, height: u32) -> Vec<u8> {
    let image = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x * 3) as u8, (y * 5) as u8, 90])
    });
    let mut out = Vec::new();
    image::DynamicImage::ImageRgb8(image)
        .write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

/// A fake site: serves `pages` (path → (content type, body)) and counts requests per path.
struct Site {
    base: String,
    hits: Arc<std::sync::Mutex<HashMap<String, u64>>>,
    total: Arc<AtomicU64>,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

impl Site {
    fn hits(&self, path: &str) -> u64 {
        self.hits
            .lock()
            .unwrap()
            .get(path)
            .copied()
            .unwrap_or_default()
    }
}

async fn start_site(pages: Vec<(&str, &str, Vec<u8>)>) -> Site {
    use axum::response::IntoResponse;
    type Pages = Arc<HashMap<String, (String, Vec<u8>)>>;
    type Hits = Arc<std::sync::Mutex<HashMap<String, u64>>>;
    let pages: Pages = Arc::new(
        pages
            .into_iter()
            .map(|(path, kind, body)| (path.to_string(), (kind.to_string(), body)))
            .collect(),
    );
    let hits: Hits = Arc::default();
    let total = Arc::new(AtomicU64::new(0));
    let router = axum::Router::new().fallback({
        let (pages, hits, total) = (pages.clone(), hits.clone(), total.clone());
        move |uri: axum::http::Uri| {
            let (pages, hits, total) = (pages.clone(), hits.clone(), total.clone());
            async move {
                total.fetch_add(1, Ordering::SeqCst);
                *hits
                    .lock()
                    .unwrap()
                    .entry(uri.path().to_string())
                    .or_default() += 1;
                match pages.get(uri.path()) {
                    Some((kind, body)) => {
                        ([("content-type", kind.clone())], body.clone()).into_response()
                    }
                    None => StatusCode::NOT_FOUND.into_response(),
                }
            }
        }
    });
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
    Site {
        base,
        hits,
        total,
        _shutdown: shutdown,
    }
}

/// Polls the card endpoint until it is not `{}` (the job runs beside posting), up to 10 s.
async fn card_of(server: &Server, token: &str, id: &str) -> Value {
    for _ in 0..200 {
        let reply = server
            .get(&format!("/api/v1/statuses/{id}/card"), Some(token))
            .await;
        assert_eq!(reply.status, StatusCode::OK);
        if reply.json != json!({}) {
            return reply.json;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no card within 10 s");
}

#[tokio::test]
async fn a_linked_page_becomes_the_card_of_every_status_linking_to_it() {
    let cover = png(120, 60);
    let page = r#"<!doctype html><html lang="en"><head>
        <title>Fallback title</title>
        <meta property="og:title" content="Skerry &amp; small servers">
        <meta property="og:description" content="Why disk budgets matter.">
        <meta property="og:image" content="/cover.png">
        <meta property="og:image:alt" content="A skerry at dawn">
        <meta property="og:site_name" content="Sea Notes">
        <meta name="author" content="Ada">
        <meta property="article:published_time" content="2026-11-28T10:00:00Z">
        </head><body><p>text</p></body></html>"#;
    let site = start_site(vec![
        (
            "/article",
            "text/html; charset=utf-8",
            page.as_bytes().to_vec(),
        ),
        ("/cover.png", "image/png", cover.clone()),
        ("/file.json", "application/json", b"{}".to_vec()),
    ])
    .await;
    let server = Server::start_with(&[("SKERRY_FEDERATION_ALLOW_PRIVATE_NETWORKS", "true")]).await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;

    let link = format!("{}/article", site.base);
    let first = server
        .post_status(&alice, &format!("@bob #news read {link}#part-2 please"))
        .await;
    // Posting did not wait for the page.
    let card = card_of(&server, &alice.token, &first).await;
    assert_eq!(card["url"], link);
    assert_eq!(card["title"], "Skerry & small servers");
    assert_eq!(card["description"], "Why disk budgets matter.");
    assert_eq!(card["type"], "link");
    assert_eq!(card["html"], "");
    assert_eq!(card["provider_name"], "Sea Notes");
    assert_eq!(card["provider_url"], site.base);
    assert_eq!(card["author_name"], "Ada");
    assert_eq!(card["language"], "en");
    assert_eq!(card["image_description"], "A skerry at dawn");
    assert_eq!(card["published_at"], "2026-11-28T10:00:00.000Z");

    // The image was fetched once into the tiers: its size and blurhash show.
    for _ in 0..200 {
        let card = card_of(&server, &alice.token, &first).await;
        if card["width"] == 120 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let card = card_of(&server, &alice.token, &first).await;
    assert_eq!(card["width"], 120);
    assert_eq!(card["height"], 60);
    assert!(card["blurhash"].as_str().is_some_and(|hash| hash.len() > 5));
    let image = card["image"].as_str().unwrap();
    assert!(image.starts_with(&server.url("/media/")), "{image}");
    let served = reqwest::get(image).await.unwrap();
    assert_eq!(served.status(), StatusCode::OK);
    assert_eq!(served.headers()["content-type"], "image/png");
    assert_eq!(&served.bytes().await.unwrap()[..], &cover[..]);
    assert_eq!(site.hits("/cover.png"), 1, "served from the hot tier");

    // The status entity carries the same card, for any viewer who may see it.
    let status = server
        .get(&format!("/api/v1/statuses/{first}"), Some(&bob.token))
        .await;
    assert_eq!(status.json["card"]["title"], "Skerry & small servers");

    // A second status linking there shares the card: the page is not fetched again.
    let second = server.post_status(&bob, &format!("also {link}")).await;
    let card = card_of(&server, &bob.token, &second).await;
    assert_eq!(card["title"], "Skerry & small servers");
    assert_eq!(site.hits("/article"), 1);

    // Mentions and hashtags alone get no card; neither does a page that is not HTML.
    let plain = server.post_status(&alice, "@bob #news only").await;
    let json_link = server
        .post_status(&alice, &format!("data {}/file.json", site.base))
        .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    for id in [&plain, &json_link] {
        let reply = server
            .get(&format!("/api/v1/statuses/{id}/card"), Some(&alice.token))
            .await;
        assert_eq!(reply.json, json!({}));
        let status = server
            .get(&format!("/api/v1/statuses/{id}"), Some(&alice.token))
            .await;
        assert_eq!(status.json["card"], Value::Null);
    }
    assert_eq!(site.hits("/file.json"), 1);

    // An unknown status is a 404, as Mastodon.
    let missing = server
        .get("/api/v1/statuses/12345/card", Some(&alice.token))
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_failing_page_is_not_asked_again_and_posting_never_waits() {
    let site = start_site(vec![]).await;
    let server = Server::start_with(&[("SKERRY_FEDERATION_ALLOW_PRIVATE_NETWORKS", "true")]).await;
    let alice = server.user("alice").await;
    let link = format!("{}/gone", site.base);
    let first = server.post_status(&alice, &format!("see {link}")).await;
    for _ in 0..200 {
        if site.hits("/gone") > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(site.hits("/gone"), 1);
    // Later statuses linking to the failed page wait for the retry pause (a day).
    for _ in 0..3 {
        server.post_status(&alice, &format!("again {link}")).await;
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(site.hits("/gone"), 1);
    assert_eq!(site.total.load(Ordering::SeqCst), 1);
    let reply = server
        .get(
            &format!("/api/v1/statuses/{first}/card"),
            Some(&alice.token),
        )
        .await;
    assert_eq!(reply.json, json!({}));
}

#[tokio::test]
async fn a_busy_host_is_fetched_at_most_its_share_per_window() {
    let page = |n: u32| {
        format!("<head><title>Page {n}</title></head>")
            .as_bytes()
            .to_vec()
    };
    let paths: Vec<String> = (0..14).map(|n| format!("/p{n}")).collect();
    let site = start_site(
        paths
            .iter()
            .enumerate()
            .map(|(n, path)| (path.as_str(), "text/html", page(n as u32)))
            .collect(),
    )
    .await;
    let server = Server::start_with(&[("SKERRY_FEDERATION_ALLOW_PRIVATE_NETWORKS", "true")]).await;
    let alice = server.user("alice").await;
    let mut ids = Vec::new();
    for path in &paths {
        ids.push(
            server
                .post_status(&alice, &format!("{}{path}", site.base))
                .await,
        );
    }
    // The first window's share is fetched; the rest wait for the next minute.
    let share = skerry::app::cards::HOST_FETCHES_PER_WINDOW as u64;
    for _ in 0..200 {
        if site.total.load(Ordering::SeqCst) >= share {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(site.total.load(Ordering::SeqCst), share);
    let card = card_of(&server, &alice.token, &ids[0]).await;
    assert_eq!(card["title"], "Page 0");
}

/// What the changing page of `a_stale_card_is_refreshed_in_the_background` answers.
#[derive(Clone)]
struct Answer {
    http_status: u16,
    body: String,
    delay_ms: u64,
}

#[tokio::test]
async fn a_stale_card_is_refreshed_in_the_background_and_a_failed_refresh_keeps_it() {
    use axum::response::IntoResponse;
    let cover = png(40, 20);
    let page = |title: &str| {
        format!(
            r#"<html><head><meta property="og:title" content="{title}">
            <meta property="og:image" content="/cover.png"></head></html>"#
        )
    };
    let answer = Arc::new(std::sync::Mutex::new(Answer {
        http_status: 200,
        body: page("First"),
        delay_ms: 0,
    }));
    let page_hits = Arc::new(AtomicU64::new(0));
    let image_hits = Arc::new(AtomicU64::new(0));
    let router = axum::Router::new()
        .route(
            "/page",
            axum::routing::get({
                let (answer, hits) = (answer.clone(), page_hits.clone());
                move || {
                    let (answer, hits) = (answer.clone(), hits.clone());
                    async move {
                        hits.fetch_add(1, Ordering::SeqCst);
                        let now = answer.lock().unwrap().clone();
                        tokio::time::sleep(Duration::from_millis(now.delay_ms)).await;
                        (
                            StatusCode::from_u16(now.http_status).unwrap(),
                            [("content-type", "text/html")],
                            now.body,
                        )
                            .into_response()
                    }
                }
            }),
        )
        .route(
            "/cover.png",
            axum::routing::get({
                let (cover, hits) = (cover.clone(), image_hits.clone());
                move || {
                    let (cover, hits) = (cover.clone(), hits.clone());
                    async move {
                        hits.fetch_add(1, Ordering::SeqCst);
                        ([("content-type", "image/png")], cover).into_response()
                    }
                }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    const REFRESH_MS: u64 = 3_000;
    let server = Server::start_with(&[
        ("SKERRY_FEDERATION_ALLOW_PRIVATE_NETWORKS", "true"),
        ("SKERRY_MEDIA_PREVIEW_CARD_REFRESH_SECS", "3"),
    ])
    .await;
    let alice = server.user("alice").await;
    let link = format!("{base}/page");
    let first = server.post_status(&alice, &format!("see {link}")).await;
    let card = card_of(&server, &alice.token, &first).await;
    assert_eq!(card["title"], "First");
    let image_url = card["image"].as_str().unwrap().to_string();
    assert_eq!(page_hits.load(Ordering::SeqCst), 1);
    let stored = |server: &Server| {
        let url = link.clone();
        server
            .app
            .store
            .read(|tx| skerry::store::media::get_card(tx, &url, 1 << 20))
            .unwrap()
            .unwrap()
    };

    // Past the refresh age, the page fails: the view that found the card stale asked for a
    // refresh, and the old card stays, with the failure noted.
    answer.lock().unwrap().http_status = 500;
    tokio::time::sleep(Duration::from_millis(REFRESH_MS + 100)).await;
    let card = card_of(&server, &alice.token, &first).await;
    assert_eq!(card["title"], "First");
    for _ in 0..200 {
        if stored(&server).error.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let kept = stored(&server);
    assert_eq!(kept.state, skerry::model::CardState::Ready);
    assert_eq!(kept.title, "First");
    assert!(
        kept.error.as_deref().unwrap_or_default().contains("500"),
        "{kept:?}"
    );
    assert_eq!(page_hits.load(Ordering::SeqCst), 2);
    let card = card_of(&server, &alice.token, &first).await;
    assert_eq!(card["title"], "First");
    assert_eq!(card["image"], image_url.as_str());
    // Not asked again before another refresh age, however often it is shown or linked.
    server.post_status(&alice, &format!("again {link}")).await;
    card_of(&server, &alice.token, &first).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(page_hits.load(Ordering::SeqCst), 2);

    // Past the age again, a slow page with a new title: a status linking there queues the
    // refresh; until the page is read the old card is shown, then the new one, with the
    // same image kept (not fetched again).
    *answer.lock().unwrap() = Answer {
        http_status: 200,
        body: page("Second"),
        delay_ms: 1_500,
    };
    tokio::time::sleep(Duration::from_millis(REFRESH_MS + 100)).await;
    server
        .post_status(&alice, &format!("once more {link}"))
        .await;
    for _ in 0..200 {
        if page_hits.load(Ordering::SeqCst) >= 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(page_hits.load(Ordering::SeqCst), 3);
    let card = card_of(&server, &alice.token, &first).await;
    assert_eq!(card["title"], "First", "the old card while the page loads");
    let mut title = Value::Null;
    for _ in 0..200 {
        title = card_of(&server, &alice.token, &first).await["title"].clone();
        if title == "Second" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(title, "Second");
    let card = card_of(&server, &alice.token, &first).await;
    assert_eq!(card["image"], image_url.as_str());
    assert_eq!(card["width"], 40);
    assert_eq!(image_hits.load(Ordering::SeqCst), 1);
    assert!(stored(&server).error.is_none());
}
