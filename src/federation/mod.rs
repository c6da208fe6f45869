//! ActivityPub federation (L5, beside `api` and `web`).
//!
//! May import `app`, `store`, `sig`, `net`, `model`, `config` and `util`. What is here so far:
//!
//! - `vocab`: the only place that knows ActivityStreams 2 JSON. It turns a `serde_json::Value`
//!   into plain, capped, sanitized Rust values, and says why when it refuses one.
//! - `sanitize`: remote HTML through Mastodon's `MASTODON_STRICT` allowlist, and HTML to plain
//!   text.
//!
//! Invariant: both are pure functions, with no I/O and no clock. Authority checks (signature,
//! key owner, origins of ids) are the inbox's job; `vocab` only provides `origin` and
//! `same_origin` for them and never trusts an embedded object on its own.

pub mod sanitize;
pub mod vocab;
