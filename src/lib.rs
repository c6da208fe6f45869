//! Skerry: a single-binary ActivityPub server with a Mastodon-compatible client API.
//!
//! Layers (see ARCHITECTURE.md): imports go downward only, and modules on one layer do not
//! import each other. `tests/main.rs` checks this by reading the `use crate::` lines.
//!
//! - L0/L1: `util`, `model`, `config`
//! - L2: `store` (redb), `sig` (keys and signatures, pure functions over bytes), `net` (the
//!   one outbound HTTP client, with the SSRF guard)
//! - L2: `blob` (where media bytes live: disk tiers and the object store)
//! - L3: `media` (sniffing, limits, decoding, thumbnails: pure functions over bytes)
//! - L4: `app` (every state change)
//! - L5: `api` (Mastodon JSON, OAuth), `federation` (ActivityPub), `web` (HTML pages),
//!   `http` (the server around them)
//! - L6: `admin` (admin commands and the local admin socket)

pub mod util;

pub mod config;
pub mod model;

pub mod blob;
pub mod net;
pub mod sig;
pub mod store;

pub mod media;

pub mod app;

pub mod api;
pub mod federation;
pub mod http;
pub mod web;

pub mod admin;
