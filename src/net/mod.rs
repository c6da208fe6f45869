//! The one outbound HTTP client: every fetch (ActivityPub, WebFinger, NodeInfo, later media
//! and link previews) and every delivery goes through [`Client`].
//! May import `util` and `config` (layer L2, beside `store` and `sig`).
//!
//! Invariants (SECURITY.md §0 items 3, 4, 6 and §2.3):
//! - only global unicast addresses are reached ([`address`]), checked on the address the
//!   connection really uses: IP literals before sending, names in the resolver ([`guard`]);
//!   `federation.allow_private_networks` opens loopback and private networks and plain
//!   `http`, for tests and local development only;
//! - `https` only; no userinfo; no cookies, no proxies from the environment, no compression
//!   (so the body cap counts the bytes that are kept);
//! - redirects are never followed by reqwest: [`Client::get`] follows at most
//!   [`REDIRECTS_MAX`] hops by hand, without revisits, checking and re-signing every hop;
//!   [`Client::post`] follows none;
//! - every exchange has a connect, a per-read and a total deadline, the total one covering
//!   every hop and the body (a slow trickle cannot stretch it, CVE-2023-36461), and every
//!   body a byte cap that holds whatever `Content-Length` says.
//!
//! TLS is rustls with aws-lc-rs as the only crypto provider and Mozilla's roots compiled in
//! (`webpki-roots`). The client speaks HTTP/1.1 only, as Mastodon's does: HTTP/2 would add
//! the h2 flood advisories (SECURITY.md §4.2) for little gain on one fetch at a time.
//!
//! **API Boundary**: no other `reqwest::Client` is built in the crate, except the one inside
//! `object_store` for the cold media tier (an operator-configured endpoint, not a fetch of
//! remote data). This client always uses aws-lc-rs with Mozilla's roots (`tls_config`).
//! `object_store`'s S3 support brings ring (for its request signing) and turns on reqwest's
//! ring provider; `skerry serve` installs aws-lc-rs as rustls' process default, so
//! `object_store`'s client negotiates TLS with aws-lc-rs as well. The integration tests build
//! their clients with `rig::http_client_builder`.

pub mod address;
pub mod content_type;
pub mod guard;
pub mod mail;

use std::error::Error as StdError;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
pub use reqwest::header::HeaderMap;
use reqwest::header::{ACCEPT, HeaderValue, LOCATION};
pub use reqwest::{Method, StatusCode, Url};

use crate::config::Config;
pub use content_type::{ACCEPT_ACTIVITY_JSON, ACCEPT_JSON, is_activity_json, is_json};
use guard::{GuardedResolver, ResolveRefusal, check_url};

/// Time to resolve a host name (Mastodon: 5 s).
pub const RESOLVE_TIMEOUT_MS: u64 = 5_000;
/// Time to open a connection, TLS handshake included (Mastodon: 5 s).
pub const CONNECT_TIMEOUT_MS: u64 = 5_000;
/// Time each read from the connection may wait (Mastodon: 10 s).
pub const READ_TIMEOUT_MS: u64 = 10_000;
/// Time one `get` or `post` may take from the first byte sent to the last body byte read,
/// redirects included (GoToSocial: 30 s).
pub const TOTAL_TIMEOUT_MS: u64 = 30_000;
/// Redirects followed by one `get` (Mastodon: `follow(max_hops: 3)`).
pub const REDIRECTS_MAX: usize = 3;
/// Body of a fetched JSON document: ActivityPub objects, WebFinger, NodeInfo (Mastodon:
/// 1 MiB). Media will pass its own cap.
pub const JSON_BODY_BYTES_MAX: usize = 1024 * 1024;
/// Response body kept from a `post` (a delivery): enough to log why a peer refused it.
pub const POST_RESPONSE_BYTES_MAX: usize = 64 * 1024;
/// Idle connections kept per host, and how long, so deliveries to one inbox reuse them.
pub const IDLE_CONNECTIONS_PER_HOST_MAX: usize = 4;
pub const IDLE_CONNECTION_TIMEOUT_MS: u64 = 90_000;

/// The time limits of the client. [`Limits::default`] holds the constants above; tests
/// shrink them.
#[derive(Clone, Debug)]
pub struct Limits {
    pub resolve_timeout_ms: u64,
    pub connect_timeout_ms: u64,
    pub read_timeout_ms: u64,
    pub total_timeout_ms: u64,
    pub redirects_max: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            resolve_timeout_ms: RESOLVE_TIMEOUT_MS,
            connect_timeout_ms: CONNECT_TIMEOUT_MS,
            read_timeout_ms: READ_TIMEOUT_MS,
            total_timeout_ms: TOTAL_TIMEOUT_MS,
            redirects_max: REDIRECTS_MAX,
        }
    }
}

/// What [`Client::new`] needs.
#[derive(Clone, Debug)]
pub struct Settings {
    /// `Skerry/0.1.0 (+https://social.example/)`: peers see who fetches.
    pub user_agent: String,
    /// `federation.allow_private_networks`: loopback, private networks and plain `http`.
    pub allow_private_networks: bool,
    pub limits: Limits,
}

impl Settings {
    /// The settings of a server: its own URL in the `User-Agent`, the configured network
    /// policy and the default limits.
    pub fn from_config(config: &Config) -> Settings {
        Settings {
            user_agent: user_agent(&config.base_url()),
            allow_private_networks: config.federation.allow_private_networks,
            limits: Limits::default(),
        }
    }
}

/// `Skerry/<version> (+<base_url>/)`, the form Mastodon uses.
pub fn user_agent(base_url: &str) -> String {
    format!("Skerry/{} (+{base_url}/)", env!("CARGO_PKG_VERSION"))
}

/// Adds signature headers to a request about to be sent to the given URL; called once per
/// hop, so a redirect is signed for its own target.
pub type Sign<'a> = dyn Fn(&Method, &Url, &mut HeaderMap) + Send + Sync + 'a;

/// A response to a `get`, after redirects.
#[derive(Clone, Debug)]
pub struct Fetched {
    /// The URL that answered; an ActivityPub object's `id` must equal it.
    pub final_url: Url,
    pub http_status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Fetched {
    /// The `Content-Type` header, if it is text.
    pub fn content_type(&self) -> Option<&str> {
        self.headers
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
    }
}

/// A response to a `post`. The body is cut at [`POST_RESPONSE_BYTES_MAX`].
#[derive(Clone, Debug)]
pub struct Posted {
    pub http_status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

#[derive(Debug, thiserror::Error)]
pub enum NetError {
    /// The URL or a redirect, or the name it resolves to, leads to an address that is not
    /// global unicast.
    #[error("address {0} is not allowed")]
    Blocked(IpAddr),
    #[error("scheme {0:?} is not allowed")]
    SchemeNotAllowed(String),
    #[error("invalid URL: {0}")]
    InvalidUrl(String),
    #[error("invalid header: {0}")]
    InvalidHeader(String),
    #[error("host name not resolved: {0}")]
    NotResolved(String),
    #[error("timed out")]
    Timeout,
    #[error("response body larger than {bytes_max} bytes")]
    TooLarge { bytes_max: usize },
    #[error("more than {0} redirects")]
    TooManyRedirects(usize),
    #[error("redirect loop back to {0}")]
    RedirectLoop(Url),
    /// Connection refused or reset, TLS failure, malformed response: the peer is not
    /// answering properly. The text is for the log.
    #[error("transport: {0}")]
    Transport(String),
    /// The client could not be built (TLS setup).
    #[error("client setup: {0}")]
    Setup(String),
}

/// The outbound HTTP client. Cheap to clone: reqwest's client is a handle to one shared
/// connection pool.
#[derive(Clone, Debug)]
pub struct Client {
    inner: reqwest::Client,
    allow_private_networks: bool,
    limits: Limits,
}

impl Client {
    pub fn new(settings: Settings) -> Result<Client, NetError> {
        let limits = settings.limits;
        let resolver = GuardedResolver {
            allow_private_networks: settings.allow_private_networks,
            resolve_timeout: Duration::from_millis(limits.resolve_timeout_ms),
        };
        let inner = reqwest::Client::builder()
            .use_preconfigured_tls(tls_config()?)
            // Why an `Arc`: reqwest shares the resolver between its connector's clones.
            .dns_resolver(Arc::new(resolver))
            .https_only(!settings.allow_private_networks)
            .http1_only()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .referer(false)
            .user_agent(settings.user_agent)
            .connect_timeout(Duration::from_millis(limits.connect_timeout_ms))
            .read_timeout(Duration::from_millis(limits.read_timeout_ms))
            .timeout(Duration::from_millis(limits.total_timeout_ms))
            .pool_max_idle_per_host(IDLE_CONNECTIONS_PER_HOST_MAX)
            .pool_idle_timeout(Duration::from_millis(IDLE_CONNECTION_TIMEOUT_MS))
            .build()
            .map_err(|error| NetError::Setup(error_chain(&error)))?;
        Ok(Client {
            inner,
            allow_private_networks: settings.allow_private_networks,
            limits,
        })
    }

    /// Whether loopback, private networks and plain `http` are allowed; the server logs a
    /// warning at start when they are.
    pub fn is_permissive(&self) -> bool {
        self.allow_private_networks
    }

    /// GETs `url` with `Accept: accept` and `extra_headers`, following up to
    /// `limits.redirects_max` redirects (301, 302, 303, 307, 308), each hop checked and
    /// passed to `sign`. The final response is returned whatever its status; its body is
    /// read up to `body_bytes_max` bytes ([`JSON_BODY_BYTES_MAX`] for documents).
    pub async fn get(
        &self,
        url: &Url,
        accept: &str,
        extra_headers: &HeaderMap,
        body_bytes_max: usize,
        sign: Option<&Sign<'_>>,
    ) -> Result<Fetched, NetError> {
        let accept = HeaderValue::from_str(accept)
            .map_err(|_| NetError::InvalidHeader(format!("Accept: {accept:?}")))?;
        let exchange = self.get_following(url, accept, extra_headers, body_bytes_max, false, sign);
        tokio::time::timeout(self.total_timeout(), exchange)
            .await
            .map_err(|_| NetError::Timeout)?
    }

    /// As [`Client::get`], unsigned, but a body longer than `body_bytes_max` is cut there
    /// instead of refused: for HTML pages, whose metadata is in the head (preview cards).
    pub async fn get_prefix(
        &self,
        url: &Url,
        accept: &str,
        body_bytes_max: usize,
    ) -> Result<Fetched, NetError> {
        let accept = HeaderValue::from_str(accept)
            .map_err(|_| NetError::InvalidHeader(format!("Accept: {accept:?}")))?;
        let no_headers = HeaderMap::new();
        let exchange = self.get_following(url, accept, &no_headers, body_bytes_max, true, None);
        tokio::time::timeout(self.total_timeout(), exchange)
            .await
            .map_err(|_| NetError::Timeout)?
    }

    /// POSTs `body` with `headers` (Content-Type, Digest, …) and whatever `sign` adds. A
    /// redirect is not followed: it comes back as the response, and a delivery that gets one
    /// has failed.
    pub async fn post(
        &self,
        url: &Url,
        headers: &HeaderMap,
        body: Bytes,
        sign: Option<&Sign<'_>>,
    ) -> Result<Posted, NetError> {
        check_url(url, self.allow_private_networks)?;
        let mut headers = headers.clone();
        if let Some(sign) = sign {
            sign(&Method::POST, url, &mut headers);
        }
        let exchange = async {
            let response = self
                .inner
                .post(url.clone())
                .headers(headers)
                .body(body)
                .send()
                .await
                .map_err(map_transport_error)?;
            let http_status = response.status();
            let headers = response.headers().clone();
            let body = read_body_truncated(response, POST_RESPONSE_BYTES_MAX).await?;
            Ok(Posted {
                http_status,
                headers,
                body,
            })
        };
        tokio::time::timeout(self.total_timeout(), exchange)
            .await
            .map_err(|_| NetError::Timeout)?
    }

    fn total_timeout(&self) -> Duration {
        Duration::from_millis(self.limits.total_timeout_ms)
    }

    async fn get_following(
        &self,
        url: &Url,
        accept: HeaderValue,
        extra_headers: &HeaderMap,
        body_bytes_max: usize,
        truncate: bool,
        sign: Option<&Sign<'_>>,
    ) -> Result<Fetched, NetError> {
        check_url(url, self.allow_private_networks)?;
        let mut current = url.clone();
        let mut visited: Vec<Url> = Vec::with_capacity(self.limits.redirects_max + 1);
        // One request per pass: the first, then one per redirect followed.
        for _ in 0..=self.limits.redirects_max {
            visited.push(current.clone());
            let mut headers = extra_headers.clone();
            headers.insert(ACCEPT, accept.clone());
            if let Some(sign) = sign {
                sign(&Method::GET, &current, &mut headers);
            }
            let response = self
                .inner
                .get(current.clone())
                .headers(headers)
                .send()
                .await
                .map_err(map_transport_error)?;
            if let Some(location) = redirect_location(&response) {
                current = next_hop(&current, location, &visited, self.allow_private_networks)?;
                continue;
            }
            let http_status = response.status();
            let headers = response.headers().clone();
            let body = if truncate {
                read_body_truncated(response, body_bytes_max).await?
            } else {
                read_body(response, body_bytes_max).await?
            };
            return Ok(Fetched {
                final_url: current,
                http_status,
                headers,
                body,
            });
        }
        Err(NetError::TooManyRedirects(self.limits.redirects_max))
    }
}

/// The `Location` of a redirect response, or `None` for a final response (a 3xx without
/// `Location` included: there is nowhere to go).
fn redirect_location(response: &reqwest::Response) -> Option<&HeaderValue> {
    let redirects = [
        StatusCode::MOVED_PERMANENTLY,
        StatusCode::FOUND,
        StatusCode::SEE_OTHER,
        StatusCode::TEMPORARY_REDIRECT,
        StatusCode::PERMANENT_REDIRECT,
    ];
    if redirects.contains(&response.status()) {
        response.headers().get(LOCATION)
    } else {
        None
    }
}

/// The URL a redirect from `current` to `location` leads to, checked like the first one;
/// going back to a URL already visited in this chain is a loop.
pub fn next_hop(
    current: &Url,
    location: &HeaderValue,
    visited: &[Url],
    allow_private_networks: bool,
) -> Result<Url, NetError> {
    let location = location
        .to_str()
        .map_err(|_| NetError::InvalidUrl("a Location that is not text".into()))?;
    let mut next = current
        .join(location)
        .map_err(|error| NetError::InvalidUrl(format!("Location {location:?}: {error}")))?;
    // The fragment is not sent, so it does not make a new URL.
    next.set_fragment(None);
    if visited.contains(&next) {
        return Err(NetError::RedirectLoop(next));
    }
    check_url(&next, allow_private_networks)?;
    Ok(next)
}

/// The whole body, or `TooLarge` as soon as it is known to exceed `bytes_max`: from
/// `Content-Length` before reading, or while reading when the length is absent (chunked,
/// or until the connection closes).
async fn read_body(mut response: reqwest::Response, bytes_max: usize) -> Result<Bytes, NetError> {
    let too_large = NetError::TooLarge { bytes_max };
    let announced = response.content_length();
    if announced.is_some_and(|length| length > bytes_max as u64) {
        return Err(too_large);
    }
    let capacity = announced.map_or(0, |length| length as usize);
    let mut body: Vec<u8> = Vec::with_capacity(capacity);
    while let Some(chunk) = response.chunk().await.map_err(map_transport_error)? {
        if chunk.len() > bytes_max - body.len() {
            return Err(too_large);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Bytes::from(body))
}

/// The first `bytes_max` bytes of the body; the rest is not read (the connection is closed).
async fn read_body_truncated(
    mut response: reqwest::Response,
    bytes_max: usize,
) -> Result<Bytes, NetError> {
    let mut body: Vec<u8> = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(map_transport_error)? {
        let room = bytes_max - body.len();
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() == bytes_max {
            break;
        }
    }
    Ok(Bytes::from(body))
}

/// reqwest's error in our terms: a refusal by the resolver travels inside it as a source.
fn map_transport_error(error: reqwest::Error) -> NetError {
    let mut source: Option<&(dyn StdError + 'static)> = error.source();
    while let Some(cause) = source {
        if let Some(refusal) = cause.downcast_ref::<ResolveRefusal>() {
            return match refusal {
                ResolveRefusal::Blocked(address) => NetError::Blocked(*address),
                ResolveRefusal::NotFound(detail) => NetError::NotResolved(detail.clone()),
                ResolveRefusal::Timeout => NetError::Timeout,
            };
        }
        source = cause.source();
    }
    if error.is_timeout() {
        return NetError::Timeout;
    }
    NetError::Transport(error_chain(&error))
}

/// An error and its causes on one line, for the log.
fn error_chain(error: &dyn StdError) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// rustls with aws-lc-rs as its provider (no process-wide default is installed) and
/// Mozilla's roots. TLS 1.2 stays on: some peers still offer nothing newer.
fn tls_config() -> Result<rustls::ClientConfig, NetError> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|error| NetError::Setup(error.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(config)
}

#[cfg(test)]
mod tests;
