//! The one integration-test binary (STYLE.md 9). Each test starts its own server on a
//! loopback port with its own temporary database, so tests run in parallel.

mod rig;

/// Accounts: credentials, profile updates, lookup, relationships and their lists.
mod accounts;
/// The `skerry` binary: configuration errors and database commands on a stopped server.
mod cli;
/// A real client, Mastodon.py, against a running `skerry serve`.
mod compat;
/// Domain blocks and allows: the admin API (scopes, roles, validation), the public list, the
/// command line offline, and suspension and silence between two instances.
mod domains;
/// Federation documents: WebFinger, host-meta, NodeInfo, actors, notes, collections.
mod federation;
/// Two instances federating over loopback, checked through the client API on both sides.
mod federation_e2e;
/// Fedify (npm, a real ActivityPub library) reading our documents and federating with a
/// running `skerry serve` both ways.
mod fedify;
/// Filters v2 (keywords, statuses) and v1 on top of them: CRUD, validation, scopes, and
/// their effect on timelines (warn, hide, whole words, contexts, expiry).
mod filters;
/// Every ActivityPub fixture of `../shared/fixtures` through the inbound path: one table of
/// outcomes (status shown, account shown, follow recorded, refused and why).
mod fixtures_ingest;
/// Errors and limits of the HTTP layer: malformed bodies, oversized bodies, unknown routes,
/// health and metrics.
mod http;
/// Inboxes under attack and in normal use: signatures, keys, bodies, origins, duplicates,
/// against a real server and a fake peer on loopback.
mod inbox;
/// The layering rule of DESIGN.md, read off the `use crate::` lines.
mod layers;
/// Lists: CRUD, members (followed accounts only), scopes, the list timeline (paging,
/// replies policy, mutes) and exclusive lists keeping their members out of home.
mod lists;
/// Media: uploads (processing, lies, truncation, bombs), attachments, serving, and the
/// remote media cache in tiers against a real S3-compatible server (moto) and a fake origin.
mod media;
/// OAuth: app registration, the authorize page, code and PKCE exchange, client credentials,
/// revocation, scopes.
mod oauth;
/// Statuses: posting (limits, idempotency, formatting), reading, deleting, context, actions.
mod statuses;
/// Streaming: WebSocket and server-sent events, what each stream carries, who may see it,
/// scopes and revoked tokens.
mod streaming;
/// Timelines and pagination with `Link` headers; notifications; bookmarks, favourites,
/// markers, preferences, search, instance.
mod timelines;
