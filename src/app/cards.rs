//! Preview cards: the link preview of a status (Mastodon's `PreviewCard`).
//!
//! The first `http(s)` link of a status, local or remote, that is not a mention or a hashtag
//! (`media::card::first_link`) is recorded in the status's own transaction ([`link`]); a
//! card not known yet is queued in `CARDS_DUE` in that same transaction. The card job
//! ([`run`]) fetches the page through the guarded `net` client (HTML only, the first
//! [`PAGE_BYTES_MAX`] bytes, the client's deadlines), reads its OpenGraph / Twitter / `<meta>`
//! tags, and stores one card per URL, shared by every status linking there. The preview
//! image is a remote media record, so it goes through the remote media tiers (hot, cold,
//! gone, fetched again) like any attachment, with the avatar cap; its size and blurhash are
//! read once when it arrives.
//!
//! Never in the way: posting and ingest only write a few keys; the job runs beside them.
//! Bounded: at most [`QUEUED_MAX`] cards wait (more links get no card), at most
//! [`FETCHES_AT_ONCE`] pages are fetched at a time and at most [`HOST_FETCHES_PER_WINDOW`]
//! per host per [`HOST_WINDOW_MS`] (a busy host's cards wait for the next window). A page
//! that fails is not asked again for [`RETRY_MS`] (the negative cache); the failure is kept
//! in the card.
//!
//! Refreshed: a ready card older than `media.preview_card_refresh_secs` (its `updated_ms`:
//! the last fetch or refresh attempt) is queued again when a status links to it (in that
//! status's transaction) or when it is shown (the view asks the job through
//! [`CardJob::want_refresh`], a bounded set: a read cannot write). The card stays ready and
//! shown while the job fetches the page; a new card replaces it only once the page is read,
//! and a failed refresh keeps it (with the failure noted) until the next refresh age.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::Duration;

use super::{App, AppError};
use crate::media::card::{PageMeta, absolute_http_url};
use crate::model::{AccountId, Card, CardState, Media, MediaId, StatusId};
use crate::store::media as store;
use crate::util::time::now_ms;

/// Bytes of a page read (the head is what counts; the rest is cut, not refused).
pub const PAGE_BYTES_MAX: usize = 1024 * 1024;
/// Cards waiting for the job; past this, new links get no card.
pub const QUEUED_MAX: u64 = 10_000;
/// Pages fetched at the same time.
pub const FETCHES_AT_ONCE: usize = 4;
/// Fetches of one host per window: a post that many share, or a relay's burst of links to
/// one site, does not turn into a flood of requests to that site.
pub const HOST_FETCHES_PER_WINDOW: u32 = 10;
pub const HOST_WINDOW_MS: u64 = 60_000;
/// Hosts remembered by the rate limit; the map is cleared when it reaches this.
const HOSTS_REMEMBERED_MAX: usize = 10_000;
/// A page that failed is not fetched again before this (Mastodon keeps failures a day).
pub const RETRY_MS: u64 = 24 * 3600 * 1000;
/// Cards no status links to any more are swept once they are this old.
pub const UNLINKED_KEPT_MS: u64 = 24 * 3600 * 1000;
/// How often the job looks at the queue when nothing wakes it.
const POLL_MS: u64 = 2_000;
/// The owner of card images: no account (media records need one; no account has this id).
pub const IMAGE_OWNER: AccountId = AccountId(u64::MAX);
/// Cards looked at per step of the sweep.
const SWEEP_BATCH: usize = 500;
/// Stale cards that views asked to refresh, waiting for the job; past this, a view's ask is
/// dropped (the card is asked for again the next time it is shown).
pub const REFRESH_WANTED_MAX: usize = 256;

/// The card job's shared state, kept in `App::media`.
pub struct CardJob {
    /// Per host: (window start ms, fetches in the window). A std mutex: held for one map
    /// update, never across an await.
    hosts: Mutex<HashMap<String, (u64, u32)>>,
    /// URLs of stale cards that views showed, for the job to queue. A std mutex: held for
    /// one insert or one drain, never across an await.
    wanted: Mutex<HashSet<String>>,
}

impl Default for CardJob {
    fn default() -> Self {
        CardJob {
            hosts: Mutex::new(HashMap::new()),
            wanted: Mutex::new(HashSet::new()),
        }
    }
}

impl CardJob {
    /// Asks the job to refresh the card of `url` (a view found it stale). Never blocks for
    /// long and never fails: a full set drops the ask.
    pub fn want_refresh(&self, url: &str) {
        let mut wanted = self
            .wanted
            .lock()
            .expect("never poisoned: no panics inside");
        if wanted.len() < REFRESH_WANTED_MAX {
            wanted.insert(url.to_string());
        }
    }

    fn take_wanted(&self) -> Vec<String> {
        let mut wanted = self
            .wanted
            .lock()
            .expect("never poisoned: no panics inside");
        wanted.drain().collect()
    }

    /// Counts a fetch of `host` if its window has room.
    fn take_host_slot(&self, host: &str, now: u64) -> bool {
        let mut hosts = self.hosts.lock().expect("never poisoned: no panics inside");
        if hosts.len() >= HOSTS_REMEMBERED_MAX && !hosts.contains_key(host) {
            hosts.clear();
        }
        let entry = hosts.entry(host.to_string()).or_insert((now, 0));
        if now.saturating_sub(entry.0) >= HOST_WINDOW_MS {
            *entry = (now, 0);
        }
        if entry.1 >= HOST_FETCHES_PER_WINDOW {
            return false;
        }
        entry.1 += 1;
        true
    }
}

/// Records the link a status previews, in the status's transaction (a new status, or an
/// edit: a changed link moves the status to its new card), and queues the card when it is
/// not known, or failed longer than [`RETRY_MS`] ago.
pub fn link(
    app: &App,
    tx: &redb::WriteTransaction,
    status: &crate::model::Status,
) -> Result<(), AppError> {
    if !app.config.media.preview_cards || status.reblog_of.is_some() {
        return Ok(());
    }
    let url = crate::media::card::first_link(&status.content_html, &app.config.server.host);
    if store::status_card_url(tx, status.id)? == url {
        return Ok(());
    }
    store::set_status_card(tx, status.id, url.as_deref())?;
    let Some(url) = url else {
        return Ok(());
    };
    let now = now_ms();
    let existing = store::get_card(tx, &url, app.bytes_max())?;
    if let Some(card) = &existing {
        if refresh_due(app, card, now) {
            queue_refresh(tx, card.clone(), now)?;
            return Ok(());
        }
    }
    let queue = match &existing {
        None => true,
        Some(card) => {
            card.state == CardState::Failed && now.saturating_sub(card.updated_ms) >= RETRY_MS
        }
    };
    if !queue || store::cards_queued(tx)? >= QUEUED_MAX {
        return Ok(());
    }
    store::put_card(
        tx,
        &Card {
            state: CardState::Pending,
            updated_ms: now,
            ..empty_card(url.clone())
        },
    )?;
    store::queue_card(tx, now, &url)?;
    Ok(())
}

/// Whether a ready card is older than the refresh age.
fn refresh_due(app: &App, card: &Card, now: u64) -> bool {
    let refresh_ms = app
        .config
        .media
        .preview_card_refresh_secs
        .saturating_mul(1000);
    app.config.media.preview_cards
        && card.state == CardState::Ready
        && refresh_ms > 0
        && now.saturating_sub(card.updated_ms) >= refresh_ms
}

/// Queues a ready card's refresh. The card stays ready (and shown); its `updated_ms` becomes
/// the time of the attempt, so it is not queued twice.
fn queue_refresh(tx: &redb::WriteTransaction, card: Card, now: u64) -> Result<(), AppError> {
    if store::cards_queued(tx)? >= QUEUED_MAX {
        return Ok(());
    }
    store::queue_card(tx, now, &card.url)?;
    store::put_card(
        tx,
        &Card {
            updated_ms: now,
            ..card
        },
    )?;
    Ok(())
}

/// Queues the refreshes that views asked for, if still due.
fn queue_wanted(app: &App, urls: Vec<String>) -> Result<(), AppError> {
    app.write(|tx| {
        let now = now_ms();
        for url in &urls {
            if let Some(card) = store::get_card(tx, url, app.bytes_max())? {
                if refresh_due(app, &card, now) {
                    queue_refresh(tx, card, now)?;
                }
            }
        }
        Ok(())
    })
}

fn empty_card(url: String) -> Card {
    Card {
        url,
        state: CardState::Pending,
        title: String::new(),
        description: String::new(),
        provider_name: String::new(),
        provider_url: String::new(),
        author_name: String::new(),
        author_url: String::new(),
        language: None,
        published: None,
        image: None,
        image_description: String::new(),
        updated_ms: 0,
        error: None,
    }
}

/// A ready card and its image, as a status shows it.
#[derive(Clone, Debug)]
pub struct CardView {
    pub card: Card,
    pub image: Option<Media>,
}

/// The ready card of a status, if it has one.
pub fn of_status(
    app: &App,
    reader: &impl crate::store::Reader,
    status: StatusId,
) -> Result<Option<CardView>, AppError> {
    let Some(url) = store::status_card_url(reader, status)? else {
        return Ok(None);
    };
    let Some(card) = store::get_card(reader, &url, app.bytes_max())? else {
        return Ok(None);
    };
    if card.state != CardState::Ready {
        return Ok(None);
    }
    if refresh_due(app, &card, now_ms()) {
        app.media.cards.want_refresh(&card.url);
    }
    let image = match card.image {
        Some(id) => store::get_media(reader, id, app.bytes_max())?,
        None => None,
    };
    Ok(Some(CardView { card, image }))
}

/// `GET /api/v1/statuses/:id/card`: the card of a status the viewer may see.
pub fn get(
    app: &App,
    viewer: Option<AccountId>,
    id: StatusId,
) -> Result<Option<CardView>, AppError> {
    app.store.read(|tx| {
        let status = super::views::visible_status(app, tx, viewer, id)?;
        let shown = status.reblog_of.unwrap_or(status.id);
        of_status(app, tx, shown)
    })
}

/// The card job: fetches due cards, a few at a time, until `stop` turns true. It wakes on
/// the streaming hub's status events, which are published after their commit, so the card
/// a new status queued is visible when the job looks.
pub async fn run(app: App, mut stop: tokio::sync::watch::Receiver<bool>) {
    let mut events = Some(app.stream.subscribe());
    loop {
        let wanted = app.media.cards.take_wanted();
        if !wanted.is_empty() {
            let _ = app.run(move |app| queue_wanted(app, wanted)).await;
        }
        let due = app
            .run(|app| {
                Ok(app
                    .store
                    .read(|tx| store::cards_due(tx, now_ms(), FETCHES_AT_ONCE))?)
            })
            .await
            .unwrap_or_default();
        if due.is_empty() {
            let event = async {
                match events.as_mut() {
                    Some(receiver) => receiver.recv().await.map(|_| ()),
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = stop.changed() => return,
                received = event => {
                    // Closed: the hub is gone (never while serving); polling goes on.
                    if matches!(received, Err(tokio::sync::broadcast::error::RecvError::Closed)) {
                        events = None;
                    }
                    // A commit publishes its events at once (an inbound batch: one per post),
                    // and one look at the due cards answers them all.
                    while let Some(receiver) = events.as_mut() {
                        match receiver.try_recv() {
                            Ok(_) | Err(tokio::sync::broadcast::error::TryRecvError::Lagged(_)) => {}
                            Err(_) => break,
                        }
                    }
                }
                () = tokio::time::sleep(Duration::from_millis(POLL_MS)) => {}
            }
            continue;
        }
        let now = now_ms();
        let mut fetches = Vec::new();
        for (due_ms, url) in due {
            let host = host_of(&url).unwrap_or_default();
            if app.media.cards.take_host_slot(&host, now) {
                fetches.push(fetch_and_store(&app, due_ms, url));
            } else {
                let later = now + HOST_WINDOW_MS;
                let _ = app
                    .run(move |app| {
                        app.write(|tx| {
                            store::unqueue_card(tx, due_ms, &url)?;
                            store::queue_card(tx, later, &url)?;
                            Ok::<_, AppError>(())
                        })
                    })
                    .await;
            }
        }
        tokio::select! {
            _ = stop.changed() => return,
            _ = futures_util::future::join_all(fetches) => {}
        }
    }
}

fn host_of(url: &str) -> Option<String> {
    url::Url::parse(url)
        .ok()?
        .host_str()
        .map(str::to_ascii_lowercase)
}

/// Fetches one card's page and stores the outcome (ready or failed), then its image.
async fn fetch_and_store(app: &App, due_ms: u64, url: String) {
    let outcome = fetch_page(app, &url).await;
    let now = now_ms();
    let stored_url = url.clone();
    let committed = app
        .run(move |app| {
            app.write(|tx| {
                store::unqueue_card(tx, due_ms, &stored_url)?;
                // Swept meanwhile (no status links to it any more): nothing to store.
                let Some(old) = store::get_card(tx, &stored_url, app.bytes_max())? else {
                    return Ok::<_, AppError>(None);
                };
                let old_image = old.image;
                let card = match outcome {
                    Ok((meta, provider_url)) => {
                        // A refresh that finds the same image keeps its record (and the
                        // bytes already in the tiers).
                        let same_image = match (old.image, &meta.image) {
                            (Some(previous), Some(image_url)) => {
                                store::get_media(tx, previous, app.bytes_max())?
                                    .filter(|media| {
                                        media.remote_url.as_deref() == Some(image_url.as_str())
                                    })
                                    .map(|media| media.id)
                            }
                            _ => None,
                        };
                        let image = match (&meta.image, same_image) {
                            (_, Some(kept)) => Some(kept),
                            (Some(image_url), None) => {
                                Some(super::media::remote_image(app, tx, IMAGE_OWNER, image_url)?)
                            }
                            (None, None) => None,
                        };
                        if let Some(previous) = old.image.filter(|_| old.image != image) {
                            super::media::drop_media(app, tx, previous)?;
                        }
                        Card {
                            url: stored_url.clone(),
                            state: CardState::Ready,
                            title: meta.title,
                            description: meta.description,
                            provider_name: meta.site_name,
                            provider_url,
                            author_name: meta.author_name,
                            author_url: meta.author_url,
                            language: meta.language,
                            published: meta.published,
                            image,
                            image_description: meta.image_description,
                            updated_ms: now,
                            error: None,
                        }
                    }
                    Err(reason) if old.state == CardState::Ready => {
                        // A failed refresh: the card as it was, tried again after another
                        // refresh age.
                        tracing::info!(url = %stored_url, %reason, "preview card: refresh failed, the old card stays");
                        Card {
                            updated_ms: now,
                            error: Some(reason),
                            ..old
                        }
                    }
                    Err(reason) => {
                        tracing::info!(url = %stored_url, %reason, "preview card: no card");
                        Card {
                            state: CardState::Failed,
                            updated_ms: now,
                            error: Some(reason),
                            ..old
                        }
                    }
                };
                store::put_card(tx, &card)?;
                // Only a new image is fetched and summarized; a kept one has been.
                Ok(card.image.filter(|image| Some(*image) != old_image))
            })
        })
        .await;
    if let Ok(Some(image)) = committed {
        fetch_image(app, &url, image).await;
    }
}

/// Brings a card's image into the hot tier and records its size and blurhash; a card whose
/// image cannot be had is shown without one.
async fn fetch_image(app: &App, url: &str, image: MediaId) {
    let summary = match super::media::fetch_remote(app, image, false).await {
        Ok(hash) => super::media::summarize_image(app, &hash).await,
        Err(error) => Err(error),
    };
    let url = url.to_string();
    let _ = app
        .run(move |app| {
            app.write(|tx| {
                match summary {
                    Ok((width, height, blurhash)) => {
                        if let Some(mut media) = store::get_media(tx, image, app.bytes_max())? {
                            media.width = Some(width);
                            media.height = Some(height);
                            media.blurhash = blurhash;
                            store::put_media(tx, &media)?;
                        }
                    }
                    Err(error) => {
                        tracing::info!(%url, %error, "preview card: image refused");
                        if let Some(mut card) = store::get_card(tx, &url, app.bytes_max())? {
                            if card.image == Some(image) {
                                card.image = None;
                                store::put_card(tx, &card)?;
                            }
                        }
                        super::media::drop_media(app, tx, image)?;
                    }
                }
                Ok::<_, AppError>(())
            })
        })
        .await;
}

/// GETs the page through the guarded client and reads its metadata. The error is a reason
/// for the log and the card.
async fn fetch_page(app: &App, url: &str) -> Result<(PageMeta, String), String> {
    if !app.config.federation.outbound {
        return Err("outbound requests are paused".into());
    }
    let host = host_of(url).ok_or("no host")?;
    if super::media::host_refused(app, host).await? {
        return Err("the domain's media is rejected".into());
    }
    let parsed = crate::net::Url::parse(url).map_err(|error| error.to_string())?;
    let fetched = app
        .net
        .get_prefix(
            &parsed,
            "text/html,application/xhtml+xml;q=0.9",
            PAGE_BYTES_MAX,
        )
        .await
        .map_err(|error| error.to_string())?;
    if !fetched.http_status.is_success() {
        return Err(format!("the page answered {}", fetched.http_status));
    }
    let content_type = fetched
        .content_type()
        .unwrap_or_default()
        .to_ascii_lowercase();
    if !(content_type.starts_with("text/html") || content_type.starts_with("application/xhtml+xml"))
    {
        return Err(format!("not an HTML page ({content_type:?})"));
    }
    let final_url = fetched.final_url.clone();
    let meta = tokio::task::spawn_blocking(move || {
        crate::media::card::parse_page(&fetched.body, &final_url)
    })
    .await
    .map_err(|error| error.to_string())?;
    if meta.title.is_empty() {
        return Err("the page has no title".into());
    }
    let provider_url = absolute_http_url(&parsed, "/")
        .map(|root| root.trim_end_matches('/').to_string())
        .unwrap_or_default();
    Ok((meta, provider_url))
}

/// Drops cards no status links to any more (once [`UNLINKED_KEPT_MS`] old), with their
/// images; part of the media sweep. Returns how many went.
pub async fn sweep(app: &App) -> Result<u64, AppError> {
    let mut after = String::new();
    let mut swept = 0;
    let mut seen = 0;
    loop {
        let start = after.clone();
        let (next, dropped, count) = app
            .run(move |app| {
                app.write(|tx| {
                    let page = store::cards_after(tx, &start, SWEEP_BATCH, app.bytes_max())?;
                    let next = page.last().map(|card| card.url.clone());
                    let cutoff = now_ms().saturating_sub(UNLINKED_KEPT_MS);
                    let mut dropped = 0u64;
                    for card in &page {
                        if card.updated_ms > cutoff || store::card_in_use(tx, &card.url)? {
                            continue;
                        }
                        store::delete_card(tx, &card.url)?;
                        if let Some(image) = card.image {
                            super::media::drop_media(app, tx, image)?;
                        }
                        dropped += 1;
                    }
                    Ok::<_, AppError>((next, dropped, page.len()))
                })
            })
            .await?;
        swept += dropped;
        seen += count;
        match next {
            Some(next) if seen < super::media::SWEEP_RECORDS_MAX => after = next,
            _ => return Ok(swept),
        }
    }
}
