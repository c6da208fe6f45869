//! Configuration: defaults, then `config/skerry.toml` (or `--config PATH`), then `SKERRY_*`
//! environment variables, then command-line flags. Read and validated once at start, then
//! immutable: every bad value is named with its key, the value and what is expected.
//! May import `util` only.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The public host of the embedded default: `http://localhost:8080`.
pub const DEFAULT_HOST: &str = "localhost:8080";

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub server: ServerConfig,
    pub storage: StorageConfig,
    pub instance: InstanceConfig,
    pub limits: LimitsConfig,
    pub federation: FederationConfig,
    pub log: LogConfig,
    pub retention: RetentionConfig,
    pub media: MediaConfig,
    pub email: EmailConfig,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Address and port to listen on.
    pub listen: String,
    /// Public host name, with a port if not the scheme's default. Part of every local URL.
    pub host: String,
    /// `https`, or `http` for local development; empty derives it (`http` only on the
    /// embedded default host).
    pub scheme: String,
    /// Connections served at once; more wait in the kernel's backlog.
    pub connections_max: usize,
    /// Time a client has to send the request headers (slowloris guard).
    pub header_read_timeout_ms: u64,
    /// Time a request may take end to end, body included.
    pub request_timeout_ms: u64,
    /// Largest request body on the API.
    pub request_body_bytes_max: usize,
    /// Time given to open connections at shutdown.
    pub shutdown_grace_ms: u64,
    /// Addresses or CIDR ranges of reverse proxies whose `X-Forwarded-For` is believed; the
    /// client address of any other peer is the peer itself.
    pub trusted_proxies: Vec<String>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct StorageConfig {
    /// Directory of the database file, the instance keys and the admin socket.
    pub data_dir: PathBuf,
    /// redb's page cache. redb's own default (1 GiB) is more than a small VPS has.
    pub cache_bytes: usize,
    /// Largest record, after decompression, that decoding accepts.
    pub record_bytes_max: usize,
    /// Disk budget of the database file, in bytes (0: none). Near it, retention prunes
    /// untouched remote content sooner, oldest first, so that redb reuses free pages instead of
    /// growing the file past it (`app::housekeeping::budget_ceiling`).
    pub db_bytes_max: u64,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct InstanceConfig {
    pub title: String,
    pub description: String,
    pub contact_email: String,
    /// `closed`, `open` or `approval`: who may sign up through `POST /api/v1/accounts`
    /// (an invitation admits anyone, without approval); `skerry admin account create` works
    /// in every mode.
    pub registrations: String,
    /// The server's rules, in order (`GET /api/v1/instance/rules`, the instance entities, and
    /// reports in the `violation` category).
    pub rules: Vec<String>,
    /// The privacy policy (`GET /api/v1/instance/privacy_policy`) and the terms of service
    /// (`.../terms_of_service`), as plain text (paragraphs and links become HTML); empty: the
    /// server has none and those endpoints answer 404, as Mastodon's do without terms.
    pub privacy_policy: String,
    pub terms_of_service: String,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsConfig {
    /// Characters in a status, URLs counted as 23 as Mastodon does.
    pub status_chars_max: usize,
    /// Characters in a content warning.
    pub spoiler_chars_max: usize,
    pub display_name_chars_max: usize,
    pub note_chars_max: usize,
    pub fields_max: usize,
    pub field_chars_max: usize,
    /// Largest `limit` on paginated lists.
    pub page_size_max: usize,
    /// Entries kept per home feed; older ones are trimmed as new ones arrive.
    pub home_feed_entries_max: usize,
    /// Login attempts per client IP per 5 minutes (Mastodon: 25).
    pub logins_per_5min_per_ip: u32,
    /// Seconds an `Idempotency-Key` is remembered (Mastodon: 1 hour).
    pub idempotency_window_secs: u64,
    /// API and OAuth requests per client IP per 5 minutes (Mastodon allows 300 unsigned per
    /// IP and 1,500 per signed-in user; one IP is often one user here).
    pub api_requests_per_5min_per_ip: u32,
    /// Loopback clients skip the rate limits, as in Mastodon (local scripts, health checks).
    pub rate_limits_exempt_loopback: bool,
    /// Sign-ups through the API per client IP per 30 minutes (Mastodon: 5).
    pub signups_per_30min_per_ip: u32,
    /// Seconds from now a scheduled status must at least be set to (Mastodon: 5 minutes).
    pub scheduled_status_lead_secs_min: u64,
}

/// Outbound federation. The fetch limits themselves (timeouts, redirects, body caps) are
/// constants in `net`, taken from Mastodon; an admin has no reason to loosen them.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct FederationConfig {
    /// Lets outbound fetches reach loopback and private addresses over plain `http`. For tests
    /// and local development only: on a public server it opens the way to SSRF (any remote
    /// actor could make the server fetch from its own network). Logged as a warning at start.
    pub allow_private_networks: bool,
    /// Federate only with domains on the allowlist (`skerry admin domain allow`), as
    /// Mastodon's limited-federation mode.
    pub allowlist_mode: bool,
    /// Require an HTTP signature on every ActivityPub GET (Mastodon's secure mode; GoToSocial
    /// always does), except the instance actor's document, which peers need to verify us.
    pub authorized_fetch: bool,
    /// Outbound requests (fetches, WebFinger, deliveries) are made; `false` pauses them all:
    /// deliveries stay queued and fetches fail at once, for maintenance or an offline copy.
    pub outbound: bool,
    /// Verified activities waiting in the inbound queue (on disk) past which inboxes answer
    /// 503 with `Retry-After`: peers retry later rather than this server storing what it
    /// cannot apply soon.
    pub inbound_queue_max: u64,
    /// How long the inbox's group commit waits for more activities before it commits a batch
    /// (ms); 0 commits what has arrived at once. More waits fewer fsyncs, longer answers.
    pub inbound_batch_window_ms: u64,
    /// Signatures verified at once on the blocking pool; 0 means one per CPU.
    pub verify_threads_max: usize,
}

/// What is forgotten, and when (`store::retention`, run by `app::housekeeping`).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetentionConfig {
    /// Days a remote status no local user touched is kept (0: forever).
    pub remote_status_days: u64,
    /// Days an applied activity's id is remembered, so a redelivery is dropped. Peers retry a
    /// delivery for a few days at most (Mastodon: about 3.5 days).
    pub seen_activity_days: u64,
    /// Days the id of a deleted remote object is remembered, so a late copy does not bring it
    /// back.
    pub tombstone_days: u64,
    /// Seconds between two housekeeping rounds (retention, budget, dictionaries, samples).
    pub interval_secs: u64,
}

impl Default for RetentionConfig {
    fn default() -> Self {
        RetentionConfig {
            remote_status_days: 30,
            seen_activity_days: 7,
            tombstone_days: 30,
            interval_secs: 60,
        }
    }
}

/// Media: uploads, and the remote media cache in tiers (hot disk → cold object store →
/// gone, fetched again from the origin). Budgets, not cron jobs: eviction runs by itself.
#[derive(Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct MediaConfig {
    /// Bytes of remote media kept on local disk (the hot tier); the least recently viewed
    /// leave first. Local media (our users' uploads) does not count and is never evicted.
    pub hot_bytes_max: u64,
    /// When the disk of the data directory has less free space than this, eviction runs at
    /// once and brings the hot tier down to half its budget.
    pub disk_free_bytes_min: u64,
    /// How often the eviction job runs, in seconds (it also runs when a fetch overflows the
    /// budget).
    pub evict_interval_secs: u64,
    /// Remote media of accounts that local users follow is fetched when the post arrives;
    /// everything else on first view.
    pub prefetch_followed: bool,
    /// The cold tier: `s3://bucket/prefix` (S3-compatible, with the `cold_s3_*` options) or
    /// `file:///absolute/dir`; empty turns the cold tier off (evicted media is gone, fetched
    /// again from its origin on the next view).
    pub cold_url: String,
    /// The S3 endpoint (`https://s3.eu-west-1.amazonaws.com`, a Garage or MinIO URL); empty
    /// for AWS's default for the region.
    pub cold_s3_endpoint: String,
    pub cold_s3_region: String,
    pub cold_s3_access_key_id: String,
    /// Never logged. Prefer the environment (`SKERRY_MEDIA_COLD_S3_SECRET_ACCESS_KEY`).
    pub cold_s3_secret_access_key: String,
    /// Allows a plain `http` endpoint (a store on the same host or network).
    pub cold_s3_allow_http: bool,
    /// Bytes kept in the cold tier; the earliest arrivals are dropped first (gone). 0: no
    /// byte budget.
    pub cold_bytes_max: u64,
    /// Days a blob stays in the cold tier; 0: no age limit.
    pub cold_days_max: u64,
    /// Time one object-store request may take, in milliseconds. A slow or dead store only
    /// delays eviction; local serving never waits on it longer than this.
    pub cold_timeout_ms: u64,
    /// A public (CDN) base URL of the cold bucket: a cold blob is redirected there
    /// (`<base>/<prefix path>/<hash>`) instead of being streamed through and promoted. Empty
    /// streams through.
    pub cold_public_base_url: String,
    /// Largest image, uploaded or fetched (Mastodon: 16 MiB).
    pub image_bytes_max: u64,
    /// Largest video, uploaded or fetched (GoToSocial: 40 MiB; Mastodon 99 MiB).
    pub video_bytes_max: u64,
    /// Largest audio file, uploaded or fetched.
    pub audio_bytes_max: u64,
    /// Largest avatar or header image, uploaded or fetched (also a preview card's image).
    pub avatar_bytes_max: u64,
    /// Link previews (preview cards): the first link of a status, local or remote, is
    /// fetched in the background and its page's OpenGraph metadata shown as the card.
    pub preview_cards: bool,
    /// Largest custom emoji image, local or fetched (Mastodon: 256 KiB).
    pub emoji_bytes_max: u64,
    /// A ready preview card older than this, in seconds, is fetched again in the background
    /// the next time it is shown or linked (Mastodon refetches after about two weeks); the old
    /// card stays until the new one is ready, and stays if the refresh fails. 0: never.
    pub preview_card_refresh_secs: u64,
}

impl std::fmt::Debug for MediaConfig {
    // Written by hand so that the secret key never reaches a log (RUSTSEC-2024-0358 class).
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("MediaConfig")
            .field("hot_bytes_max", &self.hot_bytes_max)
            .field("cold_url", &self.cold_url)
            .field("cold_s3_endpoint", &self.cold_s3_endpoint)
            .field("cold_bytes_max", &self.cold_bytes_max)
            .finish_non_exhaustive()
    }
}

impl Default for MediaConfig {
    fn default() -> Self {
        MediaConfig {
            hot_bytes_max: 1024 * 1024 * 1024,
            disk_free_bytes_min: 1024 * 1024 * 1024,
            evict_interval_secs: 60,
            prefetch_followed: true,
            cold_url: String::new(),
            cold_s3_endpoint: String::new(),
            cold_s3_region: "us-east-1".into(),
            cold_s3_access_key_id: String::new(),
            cold_s3_secret_access_key: String::new(),
            cold_s3_allow_http: false,
            cold_bytes_max: 0,
            cold_days_max: 0,
            cold_timeout_ms: 10_000,
            cold_public_base_url: String::new(),
            image_bytes_max: 16 * 1024 * 1024,
            video_bytes_max: 40 * 1024 * 1024,
            audio_bytes_max: 40 * 1024 * 1024,
            avatar_bytes_max: 2 * 1024 * 1024,
            preview_cards: true,
            emoji_bytes_max: 256 * 1024,
            preview_card_refresh_secs: 14 * 24 * 3600,
        }
    }
}

/// Optional e-mail through an SMTP relay. With `smtp_host` set, sign-ups confirm their
/// address through a link before they can sign in, and people can reset a forgotten
/// password; without it, no mail is sent (moderators approve or confirm accounts).
#[derive(Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct EmailConfig {
    /// The SMTP relay's host name; empty turns e-mail off.
    pub smtp_host: String,
    /// 587 for `starttls`, 465 for `implicit`.
    pub smtp_port: u16,
    /// Empty: no authentication.
    pub smtp_username: String,
    /// Never logged. Prefer the environment (`SKERRY_EMAIL_SMTP_PASSWORD`).
    pub smtp_password: String,
    /// `starttls` (upgrade a plain connection; required), `implicit` (TLS from the first
    /// byte), or `none` (plain text: only with `federation.allow_private_networks`, for tests
    /// and development against a relay on the same host).
    pub tls: String,
    /// The sender: `Name <notifications@example.org>` or a bare address.
    pub from_address: String,
    /// Time one SMTP exchange (connect to the end of sending) may take, in milliseconds.
    pub timeout_ms: u64,
}

impl std::fmt::Debug for EmailConfig {
    // Written by hand so that the password never reaches a log.
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("EmailConfig")
            .field("smtp_host", &self.smtp_host)
            .field("smtp_port", &self.smtp_port)
            .field("smtp_username", &self.smtp_username)
            .field("tls", &self.tls)
            .field("from_address", &self.from_address)
            .field("timeout_ms", &self.timeout_ms)
            .finish_non_exhaustive()
    }
}

impl Default for EmailConfig {
    fn default() -> Self {
        EmailConfig {
            smtp_host: String::new(),
            smtp_port: 587,
            smtp_username: String::new(),
            smtp_password: String::new(),
            tls: "starttls".into(),
            from_address: String::new(),
            timeout_ms: 30_000,
        }
    }
}

impl EmailConfig {
    /// Whether mail is sent at all.
    pub fn enabled(&self) -> bool {
        !self.smtp_host.is_empty()
    }
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// A level (`info`) or per-target directives (`skerry=debug,info`).
    pub level: String,
}

impl Default for FederationConfig {
    fn default() -> Self {
        FederationConfig {
            allow_private_networks: false,
            allowlist_mode: false,
            authorized_fetch: false,
            outbound: true,
            inbound_queue_max: 100_000,
            inbound_batch_window_ms: 2,
            verify_threads_max: 0,
        }
    }
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            level: "info".into(),
        }
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: "127.0.0.1:8080".into(),
            host: DEFAULT_HOST.into(),
            scheme: String::new(),
            connections_max: 1024,
            header_read_timeout_ms: 30_000,
            request_timeout_ms: 60_000,
            request_body_bytes_max: 1024 * 1024,
            shutdown_grace_ms: 10_000,
            trusted_proxies: vec!["127.0.0.1".into(), "::1".into()],
        }
    }
}

impl Default for StorageConfig {
    fn default() -> Self {
        StorageConfig {
            data_dir: PathBuf::from("./data"),
            cache_bytes: 16 * 1024 * 1024,
            record_bytes_max: 1024 * 1024,
            db_bytes_max: 0,
        }
    }
}

impl Default for InstanceConfig {
    fn default() -> Self {
        InstanceConfig {
            title: "Skerry".into(),
            description: "A Skerry server".into(),
            contact_email: String::new(),
            registrations: "closed".into(),
            rules: Vec::new(),
            privacy_policy: String::new(),
            terms_of_service: String::new(),
        }
    }
}

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig {
            status_chars_max: 5000,
            spoiler_chars_max: 1000,
            display_name_chars_max: 30,
            note_chars_max: 500,
            fields_max: 4,
            field_chars_max: 255,
            page_size_max: 40,
            home_feed_entries_max: 800,
            logins_per_5min_per_ip: 25,
            signups_per_30min_per_ip: 5,
            idempotency_window_secs: 3600,
            api_requests_per_5min_per_ip: 1500,
            rate_limits_exempt_loopback: true,
            scheduled_status_lead_secs_min: 300,
        }
    }
}

/// What the command line adds on top of file and environment.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    pub data_dir: Option<PathBuf>,
    pub listen: Option<String>,
    pub host: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("environment variable {name}: {message}")]
    Environment { name: String, message: String },
    #[error("config: {key} = {value:?}: expected {expected}")]
    Invalid {
        key: &'static str,
        value: String,
        expected: &'static str,
    },
}

/// Server rules an instance may list, and characters per rule (Mastodon's rule text limit).
const RULES_MAX: usize = 50;
const RULE_CHARS_MAX: usize = 300;

/// Sections of the file, for mapping `SKERRY_SECTION_KEY` to `section.key`.
const SECTIONS: [&str; 9] = [
    "server",
    "storage",
    "instance",
    "limits",
    "federation",
    "log",
    "retention",
    "media",
    "email",
];

impl Config {
    /// Loads the configuration: the defaults, then the file at `path` if given (it must exist;
    /// no file is read implicitly), then `environment` (`SKERRY_*` pairs), then `overrides`.
    pub fn load(
        path: Option<&Path>,
        environment: impl IntoIterator<Item = (String, String)>,
        overrides: &Overrides,
    ) -> Result<Config, ConfigError> {
        let mut table = toml::Table::new();
        let file = path.map(Path::to_path_buf);
        if let Some(path) = &file {
            let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                path: path.clone(),
                source,
            })?;
            table = text
                .parse::<toml::Table>()
                .map_err(|error| ConfigError::Parse {
                    path: path.clone(),
                    message: error.to_string(),
                })?;
        }
        for (name, value) in environment {
            apply_environment(&mut table, &name, &value)?;
        }
        let mut config: Config =
            Config::deserialize(table).map_err(|error| ConfigError::Parse {
                path: file
                    .clone()
                    .unwrap_or_else(|| PathBuf::from("(environment)")),
                message: error.to_string(),
            })?;
        if let Some(data_dir) = &overrides.data_dir {
            config.storage.data_dir = data_dir.clone();
        }
        if let Some(listen) = &overrides.listen {
            config.server.listen = listen.clone();
        }
        if let Some(host) = &overrides.host {
            config.server.host = host.clone();
        }
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |key, value: &dyn std::fmt::Display, expected| ConfigError::Invalid {
            key,
            value: value.to_string(),
            expected,
        };
        if self.instance.rules.len() > RULES_MAX
            || self
                .instance
                .rules
                .iter()
                .any(|rule| rule.trim().is_empty() || rule.chars().count() > RULE_CHARS_MAX)
        {
            return Err(invalid(
                "instance.rules",
                &format!("{} rules", self.instance.rules.len()),
                "at most 50 rules of 1 to 300 characters each",
            ));
        }
        let email = &self.email;
        if !matches!(email.tls.as_str(), "starttls" | "implicit" | "none")
            || email.tls == "none" && !self.federation.allow_private_networks
        {
            return Err(invalid(
                "email.tls",
                &email.tls,
                "starttls or implicit (none only with federation.allow_private_networks)",
            ));
        }
        if email.enabled() && !email.from_address.contains('@') {
            return Err(invalid(
                "email.from_address",
                &email.from_address,
                "an e-mail address when email.smtp_host is set",
            ));
        }
        if email.timeout_ms == 0 {
            return Err(invalid(
                "email.timeout_ms",
                &email.timeout_ms,
                "a positive number of milliseconds",
            ));
        }
        if self.server.listen.parse::<SocketAddr>().is_err() {
            return Err(invalid(
                "server.listen",
                &self.server.listen,
                "an IP address and port, like 127.0.0.1:8080 or [::]:8080",
            ));
        }
        if !is_host(&self.server.host) {
            return Err(invalid(
                "server.host",
                &self.server.host,
                "a host name with an optional port, like social.example or localhost:8080",
            ));
        }
        if !["", "http", "https"].contains(&self.server.scheme.as_str()) {
            return Err(invalid(
                "server.scheme",
                &self.server.scheme,
                "\"https\" or \"http\"",
            ));
        }
        if self.retention.interval_secs == 0 {
            return Err(invalid(
                "retention.interval_secs",
                &self.retention.interval_secs,
                "at least 1",
            ));
        }
        let positive: [(&'static str, u64); 11] = [
            (
                "federation.inbound_queue_max",
                self.federation.inbound_queue_max,
            ),
            ("server.connections_max", self.server.connections_max as u64),
            (
                "server.header_read_timeout_ms",
                self.server.header_read_timeout_ms,
            ),
            ("server.request_timeout_ms", self.server.request_timeout_ms),
            (
                "server.request_body_bytes_max",
                self.server.request_body_bytes_max as u64,
            ),
            (
                "storage.record_bytes_max",
                self.storage.record_bytes_max as u64,
            ),
            (
                "limits.status_chars_max",
                self.limits.status_chars_max as u64,
            ),
            ("limits.page_size_max", self.limits.page_size_max as u64),
            (
                "limits.home_feed_entries_max",
                self.limits.home_feed_entries_max as u64,
            ),
            (
                "limits.logins_per_5min_per_ip",
                u64::from(self.limits.logins_per_5min_per_ip),
            ),
            (
                "limits.signups_per_30min_per_ip",
                u64::from(self.limits.signups_per_30min_per_ip),
            ),
        ];
        if let Some((key, value)) = positive.into_iter().find(|(_, value)| *value == 0) {
            return Err(invalid(key, &value, "a number above 0"));
        }
        if let Some(bad) = self
            .server
            .trusted_proxies
            .iter()
            .find(|entry| parse_network(entry).is_none())
        {
            return Err(invalid(
                "server.trusted_proxies",
                bad,
                "IP addresses or CIDR ranges, like \"127.0.0.1\" or \"10.0.0.0/8\"",
            ));
        }
        if self.limits.api_requests_per_5min_per_ip == 0 {
            return Err(invalid(
                "limits.api_requests_per_5min_per_ip",
                &0,
                "a number above 0",
            ));
        }
        if self.storage.cache_bytes < 1024 * 1024 {
            return Err(invalid(
                "storage.cache_bytes",
                &self.storage.cache_bytes,
                "at least 1048576 (1 MiB)",
            ));
        }
        if !["closed", "open", "approval"].contains(&self.instance.registrations.as_str()) {
            return Err(invalid(
                "instance.registrations",
                &self.instance.registrations,
                "\"closed\", \"open\" or \"approval\"",
            ));
        }
        let media = &self.media;
        if !(media.cold_url.is_empty()
            || media.cold_url.starts_with("s3://") && media.cold_url.len() > 5
            || media.cold_url.starts_with("file:///"))
        {
            return Err(invalid(
                "media.cold_url",
                &media.cold_url,
                "empty, s3://bucket/prefix or file:///absolute/dir",
            ));
        }
        let positive: [(&'static str, u64); 7] = [
            ("media.hot_bytes_max", media.hot_bytes_max),
            ("media.evict_interval_secs", media.evict_interval_secs),
            ("media.cold_timeout_ms", media.cold_timeout_ms),
            ("media.image_bytes_max", media.image_bytes_max),
            ("media.video_bytes_max", media.video_bytes_max),
            ("media.audio_bytes_max", media.audio_bytes_max),
            ("media.avatar_bytes_max", media.avatar_bytes_max),
        ];
        if let Some((key, value)) = positive.into_iter().find(|(_, value)| *value == 0) {
            return Err(invalid(key, &value, "a number above 0"));
        }
        if self
            .log
            .level
            .parse::<tracing_subscriber::filter::Targets>()
            .is_err()
        {
            return Err(invalid(
                "log.level",
                &self.log.level,
                "a level such as info, or skerry=debug,info",
            ));
        }
        Ok(())
    }

    /// `https`, or `http` on the embedded default or when configured.
    pub fn scheme(&self) -> &str {
        match self.server.scheme.as_str() {
            "" if self.server.host == DEFAULT_HOST => "http",
            "" => "https",
            scheme => scheme,
        }
    }

    /// `https://social.example`: the prefix of every local URL.
    pub fn base_url(&self) -> String {
        format!("{}://{}", self.scheme(), self.server.host)
    }

    pub fn database_path(&self) -> PathBuf {
        self.storage.data_dir.join("skerry.redb")
    }

    /// Media files: `local/` (uploads), `hot/` (the remote cache), `incoming/` (uploads being
    /// processed).
    pub fn media_dir(&self) -> PathBuf {
        self.storage.data_dir.join("media")
    }

    pub fn admin_socket_path(&self) -> PathBuf {
        self.storage.data_dir.join("admin.sock")
    }

    /// The trusted proxies as networks.
    pub fn trusted_proxies(&self) -> Vec<ipnet::IpNet> {
        self.server
            .trusted_proxies
            .iter()
            .filter_map(|entry| parse_network(entry))
            .collect()
    }

    pub fn listen_addr(&self) -> SocketAddr {
        self.server
            .listen
            .parse()
            .expect("validated in Config::load")
    }
}

/// `SKERRY_SERVER_HOST=x` sets `server.host = "x"`. The value is read as TOML (`42`, `true`)
/// and falls back to a plain string.
fn apply_environment(table: &mut toml::Table, name: &str, value: &str) -> Result<(), ConfigError> {
    let Some(rest) = name.strip_prefix("SKERRY_") else {
        return Ok(());
    };
    let rest = rest.to_ascii_lowercase();
    let Some((section, key)) = SECTIONS.iter().find_map(|section| {
        rest.strip_prefix(section)
            .and_then(|key| key.strip_prefix('_'))
            .map(|key| (*section, key))
    }) else {
        return Err(ConfigError::Environment {
            name: name.into(),
            message: format!("expected SKERRY_<SECTION>_<KEY> with a section among {SECTIONS:?}"),
        });
    };
    let parsed = format!("value = {value}")
        .parse::<toml::Table>()
        .ok()
        .and_then(|mut parsed| parsed.remove("value"))
        .unwrap_or_else(|| toml::Value::String(value.to_string()));
    let section_table = table
        .entry(section)
        .or_insert_with(|| toml::Value::Table(toml::Table::new()))
        .as_table_mut()
        .ok_or_else(|| ConfigError::Environment {
            name: name.into(),
            message: format!("[{section}] in the file is not a table"),
        })?;
    section_table.insert(key.to_string(), parsed);
    Ok(())
}

/// `10.0.0.0/8` or a single address (`127.0.0.1`, a /32 or /128).
fn parse_network(text: &str) -> Option<ipnet::IpNet> {
    text.parse::<ipnet::IpNet>().ok().or_else(|| {
        text.parse::<std::net::IpAddr>()
            .ok()
            .map(ipnet::IpNet::from)
    })
}

fn is_host(host: &str) -> bool {
    let (name, port) = match host.rsplit_once(':') {
        Some((name, port)) => (name, Some(port)),
        None => (host, None),
    };
    let port_ok = port.is_none_or(|port| port.parse::<u16>().is_ok_and(|port| port > 0));
    let name_ok = !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    port_ok && name_ok
}

/// Environment variables that configure Skerry.
pub fn skerry_environment() -> Vec<(String, String)> {
    std::env::vars()
        .filter(|(name, _)| name.starts_with("SKERRY_"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(file: &str, environment: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("skerry.toml");
        std::fs::write(&path, file).unwrap();
        let environment = environment
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_string()));
        Config::load(Some(&path), environment, &Overrides::default())
    }

    #[test]
    fn a_partial_file_keeps_the_other_defaults_and_the_environment_wins() {
        let config = load(
            "[server]\nhost = \"social.example\"\n",
            &[("SKERRY_LIMITS_STATUS_CHARS_MAX", "600")],
        )
        .unwrap();
        assert_eq!(config.server.host, "social.example");
        assert_eq!(config.base_url(), "https://social.example");
        assert_eq!(config.limits.status_chars_max, 600);
        assert_eq!(config.server.listen, "127.0.0.1:8080");
    }

    #[test]
    fn the_embedded_default_is_plain_http_on_localhost() {
        let config = Config::load(None, Vec::new(), &Overrides::default()).unwrap();
        assert_eq!(config.base_url(), "http://localhost:8080");
        assert!(!config.federation.allow_private_networks);
    }

    #[test]
    fn private_networks_are_allowed_only_when_asked() {
        let config = load("", &[("SKERRY_FEDERATION_ALLOW_PRIVATE_NETWORKS", "true")]).unwrap();
        assert!(config.federation.allow_private_networks);
        let error = load("[federation]\nallow_private_networks = \"yes\"\n", &[])
            .unwrap_err()
            .to_string();
        assert!(error.contains("allow_private_networks"), "{error}");
    }

    #[test]
    fn rules_come_from_the_file_or_the_environment_and_are_bounded() {
        let config = load("[instance]\nrules = [\"Be kind.\", \"No spam.\"]\n", &[]).unwrap();
        assert_eq!(config.instance.rules, ["Be kind.", "No spam."]);
        let config = load("", &[("SKERRY_INSTANCE_RULES", r#"["Only boats."]"#)]).unwrap();
        assert_eq!(config.instance.rules, ["Only boats."]);
        for bad in [r#"[" "]"#, &format!(r#"["{}"]"#, "x".repeat(301))] {
            let error = load("", &[("SKERRY_INSTANCE_RULES", bad)]).unwrap_err();
            assert!(error.to_string().contains("instance.rules"), "{error}");
        }
    }

    /// `config/skerry.toml` documents every option with its default: it must stay complete
    /// and true.
    #[test]
    fn the_documented_file_holds_exactly_the_defaults() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/skerry.toml");
        let documented = Config::load(Some(&path), Vec::new(), &Overrides::default()).unwrap();
        assert_eq!(
            format!("{documented:?}"),
            format!("{:?}", Config::default())
        );
        let text = std::fs::read_to_string(&path).unwrap();
        let table: toml::Table = text.parse().unwrap();
        let defaults = toml::Value::try_from(Config::default()).unwrap();
        for (section, keys) in defaults.as_table().unwrap() {
            for key in keys.as_table().unwrap().keys() {
                assert!(
                    table.get(section).and_then(|keys| keys.get(key)).is_some(),
                    "config/skerry.toml lacks {section}.{key}"
                );
            }
        }
    }

    #[test]
    fn bad_values_name_the_key_the_value_and_what_is_expected() {
        let error = load("[server]\nlisten = \"nowhere\"\n", &[])
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("server.listen")
                && error.contains("nowhere")
                && error.contains("expected")
        );
        let error = load("[server]\nlisten_typo = 1\n", &[])
            .unwrap_err()
            .to_string();
        assert!(error.contains("listen_typo"), "{error}");
        let error = load("", &[("SKERRY_SERVER_HOST", "bad host!")])
            .unwrap_err()
            .to_string();
        assert!(error.contains("server.host"), "{error}");
    }
}
