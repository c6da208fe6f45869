//! The application layer: every state change and every query the API and pages need.
//! May import `store`, `sig`, `model`, `config`, `util`; never `api`, `web` or `http`.
//!
//! Architecture Invariant: one write path. An operation validates, then runs one store
//! write transaction that changes state *and* everything that follows from it (counters,
//! home feeds, notifications). Operations are synchronous functions over `&App`; the edge
//! runs them on a blocking thread with `App::run`, since a redb commit waits for fsync.

pub mod access;
pub mod accounts;
pub mod admin;
pub mod announcements;
pub mod cards;
pub mod cohorts;
pub mod conversations;
pub mod discovery;
pub mod documents;
pub mod domain_blocks;
pub mod domains;
pub mod emoji;
pub mod filters;
pub mod housekeeping;
pub mod imports;
pub mod ingest;
pub mod instance;
pub mod keys;
pub mod lists;
pub mod mail;
pub mod markers;
pub mod media;
pub mod metrics;
pub mod moderation;
pub mod notifications;
pub mod oauth;
pub mod outbox;
pub mod polls;
pub mod push;
pub mod ratelimit;
pub mod registrations;
pub mod relationships;
pub mod relays;
pub mod remote;
pub mod reports;
pub mod rules;
pub mod scheduled;
pub mod search;
pub mod sessions;
pub mod statuses;
pub mod stream;
pub mod tags;
pub mod text;
pub mod timelines;
pub mod views;

use std::sync::Arc;

use crate::config::Config;
use crate::model::{AccountId, ScopeSet};
use crate::store::{Store, StoreError};
use crate::util::ids::IdGenerator;

/// Errors of the application layer. The API maps each to an HTTP status and a safe text.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("Record not found")]
    NotFound,
    #[error("The access token is invalid")]
    Unauthorized,
    #[error("{0}")]
    Forbidden(&'static str),
    /// A request that names something wrongly (unknown grant, bad redirect).
    #[error("{0}")]
    BadRequest(String),
    /// Well-formed input that fails validation (Mastodon's 422).
    #[error("Validation failed: {0}")]
    Validation(String),
    #[error("Too many requests")]
    RateLimited { retry_after_secs: u64 },
    /// The database refused a commit: writes stop being acknowledged (503).
    #[error("storage unavailable")]
    Unavailable(#[source] StoreError),
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<StoreError> for AppError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Commit(_) | StoreError::Io(_) => AppError::Unavailable(error),
            other => AppError::Internal(other.to_string()),
        }
    }
}

/// The one handle to shared state; reaches handlers as `State<App>`.
#[derive(Clone)]
pub struct App {
    /// Shared by every request and task; everything inside is immutable or synchronizes
    /// itself (redb, atomics, the rate limiter's mutex).
    inner: Arc<AppInner>,
}

pub struct AppInner {
    pub config: Config,
    pub store: Store,
    pub ids: IdGenerator,
    pub metrics: metrics::Metrics,
    /// The one outbound HTTP client (connection pool, SSRF guard), shared by every fetch and
    /// delivery.
    pub net: crate::net::Client,
    pub login_limiter: ratelimit::RateLimiter,
    pub api_limiter: ratelimit::RateLimiter,
    pub signup_limiter: ratelimit::RateLimiter,
    /// IP blocks, in memory for the per-request `no_access` check.
    pub access: access::AccessList,
    /// Precomputed `https://host`, the prefix of every local URL.
    pub base_url: String,
    /// Fetches remote accounts; installed once by the HTTP server (`federation`), absent in
    /// offline commands. A field of the handle, not a global.
    pub resolver: std::sync::OnceLock<Arc<dyn remote::Resolver>>,
    /// Wakes the federation worker when an outbox intent is committed. A `Notify` keeps one
    /// permit, so a wake-up between two polls is not lost, and costs nothing when no one waits.
    pub outbox_ready: tokio::sync::Notify,
    /// Wakes the inbound worker when a verified activity is queued.
    pub inbound_ready: tokio::sync::Notify,
    /// Wakes the delivery worker when a delivery is queued.
    pub deliveries_ready: tokio::sync::Notify,
    /// Committed statuses, deletions and notifications, for the streaming API.
    pub stream: stream::Hub,
    /// Wakes the relay subscriber when the admin adds a relay.
    pub relays_ready: tokio::sync::Notify,
    /// The inbox's group commit, backpressure count, verification bound and key caches.
    pub ingest: ingest::Ingest,
    /// Wakes the push worker when a push is queued.
    pub push_ready: tokio::sync::Notify,
    /// Media: the blob tiers, the eviction job's state, the prefetch queue.
    pub media: media::Tiers,
    /// Wakes the mail worker when a message is queued.
    pub mail_ready: tokio::sync::Notify,
    /// Wakes the purge job when an admin asks for a suspended account's content to go now.
    pub purge_ready: tokio::sync::Notify,
}

impl std::ops::Deref for App {
    type Target = AppInner;
    fn deref(&self) -> &AppInner {
        &self.inner
    }
}

/// Where a request comes from, put on each request by the HTTP server: the connection's
/// peer, and the client address (from `X-Forwarded-For` when the peer is a trusted proxy),
/// which rate limits count by.
#[derive(Clone, Copy, Debug)]
pub struct ClientAddr {
    pub peer: std::net::SocketAddr,
    pub ip: std::net::IpAddr,
}

/// Who makes a request: the account of a bearer token (if any) and its scopes.
#[derive(Clone, Debug)]
pub struct Caller {
    pub account_id: Option<AccountId>,
    pub scopes: ScopeSet,
}

impl App {
    /// Opens the store named by `config` and builds the handle.
    pub fn open(config: Config) -> Result<App, StoreError> {
        let store = Store::open(
            &config.database_path(),
            config.storage.cache_bytes,
            config.storage.record_bytes_max,
        )?;
        Ok(App::with_store(config, store))
    }

    pub fn with_store(config: Config, store: Store) -> App {
        let base_url = config.base_url();
        const FIVE_MINUTES_MS: u64 = 5 * 60 * 1000;
        let limits = &config.limits;
        let exempt = limits.rate_limits_exempt_loopback;
        let login_limiter =
            ratelimit::RateLimiter::new(limits.logins_per_5min_per_ip, FIVE_MINUTES_MS, exempt);
        let api_limiter = ratelimit::RateLimiter::new(
            limits.api_requests_per_5min_per_ip,
            FIVE_MINUTES_MS,
            exempt,
        );
        const THIRTY_MINUTES_MS: u64 = 30 * 60 * 1000;
        let signup_limiter =
            ratelimit::RateLimiter::new(limits.signups_per_30min_per_ip, THIRTY_MINUTES_MS, exempt);
        let net = crate::net::Client::new(crate::net::Settings::from_config(&config))
            .expect("the HTTP client builds from validated settings");
        let ingest = ingest::Ingest::new(config.federation.verify_threads_max);
        // The secret is made on the first start; a database that cannot be written then has
        // bigger problems, so this fails loudly.
        let url_secret =
            media::url_secret(&store).expect("the media URL secret can be read or stored");
        let media = media::Tiers::open(&config, url_secret);
        let app = App {
            inner: Arc::new(AppInner {
                media,
                net,
                config,
                store,
                ids: IdGenerator::new(),
                metrics: metrics::Metrics::default(),
                login_limiter,
                api_limiter,
                signup_limiter,
                access: access::AccessList::default(),
                base_url,
                resolver: std::sync::OnceLock::new(),
                outbox_ready: tokio::sync::Notify::new(),
                inbound_ready: tokio::sync::Notify::new(),
                deliveries_ready: tokio::sync::Notify::new(),
                stream: stream::Hub::default(),
                relays_ready: tokio::sync::Notify::new(),
                ingest,
                push_ready: tokio::sync::Notify::new(),
                mail_ready: tokio::sync::Notify::new(),
                purge_ready: tokio::sync::Notify::new(),
            }),
        };
        // A database that cannot be read yet (a failed migration) is reported by the first
        // operation; the access list then starts empty.
        if let Err(error) = access::reload(&app) {
            tracing::warn!(%error, "IP blocks could not be loaded");
        }
        app
    }

    /// Runs a synchronous operation on a blocking thread: store work waits on disk and on
    /// fsync, which must not stall the async workers.
    pub async fn run<T: Send + 'static>(
        &self,
        operation: impl FnOnce(&App) -> Result<T, AppError> + Send + 'static,
    ) -> Result<T, AppError> {
        let app = self.clone();
        tokio::task::spawn_blocking(move || operation(&app))
            .await
            .map_err(|error| AppError::Internal(format!("operation panicked: {error}")))?
    }

    /// Resolves `user@host` through the installed resolver (`NotFound` without one).
    pub async fn resolve_account(&self, acct: &str) -> Result<AccountId, AppError> {
        match self.resolver.get() {
            Some(resolver) => resolver.resolve_account(self, acct).await,
            None => Err(AppError::NotFound),
        }
    }

    /// Resolves the URL of a remote actor or post through the installed resolver.
    pub async fn resolve_url(&self, url: &str) -> Result<remote::Resolved, AppError> {
        match self.resolver.get() {
            Some(resolver) => resolver.resolve_url(self, url).await,
            None => Err(AppError::NotFound),
        }
    }

    /// A new time-sortable id for something created now.
    pub fn next_id(&self) -> u64 {
        self.ids.next(crate::util::time::now_ms())
    }

    /// Largest decompressed record the store decodes.
    pub fn bytes_max(&self) -> usize {
        self.config.storage.record_bytes_max
    }

    /// The URL of a local account's profile page.
    pub fn profile_url(&self, username: &str) -> String {
        format!("{}/@{username}", self.base_url)
    }

    /// The ActivityPub id of a local account.
    pub fn actor_url(&self, username: &str) -> String {
        format!("{}/users/{username}", self.base_url)
    }
}
