//! Mastodon REST API v2.

pub mod filters;
pub mod instance;
pub mod notifications;
pub mod search;
