//! The one integration-test binary (STYLE.md 9). Each test starts its own server on a
//! loopback port with its own temporary database, so tests run in parallel.

mod rig;

/// Accounts: credentials, profile updates, lookup, relationships and their lists.
mod accounts;
/// Debian's Chromium (playwright-core from npm) through the web pages: sign-up under approval,
/// approval, two-factor sign-in, the OAuth page, a report, a domain block, the storage chart.
mod browser;
/// Preview cards: a linked page's OpenGraph tags and image through the tiers (a fake site on
/// loopback), the negative cache, the per-host rate limit, `GET /api/v1/statuses/:id/card`,
/// the refresh of a stale card (a failed refresh keeps it).
mod cards;
/// The `skerry` binary: configuration errors and database commands on a stopped server.
mod cli;
/// The rest of the client API: edit history, muted threads, translation (none), direct
/// conversations, scheduled statuses and the scheduler, followed and featured tags,
/// endorsements, notes, familiar followers, suggestions, directory, trends, instance
/// rules/peers/activity, reports, announcements, grouped notifications and the policy;
/// every answer checked for Mastodon's id and time formats.
mod client_api;
/// A real client, Mastodon.py, against a running `skerry serve`.
mod compat;
/// Domain blocks and allows: the admin API (scopes, roles, validation), the public list, the
/// command line offline, and suspension and silence between two instances.
mod domains;
/// E-mail: confirmation links through a loopback SMTP sink, password resets, a moderator's
/// confirmation and the approval notice.
mod email;
/// Custom emojis: the admin commands, `custom_emojis`, `emojis` on statuses and accounts,
/// `Emoji` tags in AS2 notes and actors, a peer's emoji fetched through the tiers from a fake
/// origin, peers' actor emojis (real fixtures), the sweep of unused ones and its index's fill.
mod emoji;
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
/// The inbound worker's batches: one transaction per batch in queue order, a refusal that
/// does not stop its batch, acknowledged activities applied exactly once across restarts.
mod ingest_batch;
/// The layering rule of DESIGN.md, read off the `use crate::` lines.
mod layers;
/// Lists: CRUD, members (followed accounts only), scopes, the list timeline (paging,
/// replies policy, mutes) and exclusive lists keeping their members out of home.
mod lists;
/// masto.js (npm) against a running server: the OAuth code flow and WebSocket streaming.
mod masto;
/// Media: uploads (processing, lies, truncation, bombs), attachments, serving, and the
/// remote media cache in tiers against a real S3-compatible server (moto) and a fake origin.
mod media;
/// Moderation: sign-up (approval, invitations, rate limit), roles and their boundaries,
/// account actions and what they stop (tokens, streams), reports, the audit log.
mod moderation;
/// The notification policy (accept, filter, drop per condition) and notification requests
/// (list, accept, dismiss, the request's notifications).
mod notification_requests;
/// OAuth: app registration, the authorize page, code and PKCE exchange, client credentials,
/// revocation, scopes.
mod oauth;
/// Web Push: subscriptions (validation, alerts, policy, scope) and pushes to a push service
/// on loopback that decrypts them and checks the VAPID signature; 410 ends a subscription.
mod push;
/// Relays: subscribing (Mastodon and LitePub style), Accept and Reject, both delivery forms
/// into the federated timeline, domain blocks, unsubscribing; a relay played on loopback.
mod relays;
/// Retention through a real server: untouched remote statuses expire, touched ones stay; the
/// growth sample in `storage report` and `/metrics`.
mod retention;
/// Statuses: posting (limits, idempotency, formatting), reading, deleting, context, actions.
mod statuses;
/// Streaming: WebSocket and server-sent events, what each stream carries, who may see it,
/// scopes and revoked tokens.
mod streaming;
/// Timelines and pagination with `Link` headers; notifications; bookmarks, favourites,
/// markers, preferences, search, instance.
mod timelines;
/// Upgrade safety: a database written by the first record format opens, migrates and reads
/// back completely.
mod upgrade;
/// The web pages: sign-in with the form token and two-factor codes, sessions, and the admin
/// pages under roles (with the storage chart).
mod web;
