//! Mastodon REST API v1: one file per resource.

pub mod accounts;
pub mod admin;
pub mod apps;
pub mod instance;
pub mod lists;
pub mod media;
pub mod notifications;
pub mod polls;
pub mod saved;
pub mod statuses;
pub mod timelines;
