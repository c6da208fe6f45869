//! Mastodon REST API v1: one file per resource.

pub mod accounts;
pub mod admin;
pub mod announcements;
pub mod apps;
pub mod conversations;
pub mod discovery;
pub mod domain_blocks;
pub mod imports;
pub mod instance;
pub mod lists;
pub mod media;
pub mod notifications;
pub mod polls;
pub mod registrations;
pub mod reports;
pub mod saved;
pub mod scheduled;
pub mod statuses;
pub mod tags;
pub mod timelines;
