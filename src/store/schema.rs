//! Every table of the database, with its key order, in one place.
//!
//! Naming: `key_value`. Keys with empty values (`()`) are indexes. All ids are 64-bit,
//! time-sortable (`util::ids`), so an id order is a time order and every timeline is a range
//! scan. Pairs `(a, b)` sort by `a` then `b`.
//!
//! Architecture Invariant: a table is added here and nowhere else; `db stats`, `db check`
//! and `db backup` walk this list, so a table missing from it would be missing from backups.

use redb::{Key, TableDefinition, Value};

use super::StoreError;

/// Bumped when the on-disk layout changes; `store::migrate` knows every older version.
pub const SCHEMA_VERSION: u64 = 3;

/// The id (URI) of a remote status, until schema version 2: version 3 moved it into the
/// status record (`Status::uri`) and deleted the table. Only the migration reads it.
pub const LEGACY_STATUS_URIS: TableDefinition<'static, u64, &str> =
    TableDefinition::new("statusid_uri");

/// Tombstones by the object's URI, until schema version 2: version 3 keys them by the URI's
/// hash (`TOMBSTONE_HASHES`). Only the migration reads it.
pub const LEGACY_TOMBSTONES: TableDefinition<'static, &str, u64> =
    TableDefinition::new("objecturi_deletedms");

/// The statuses that link to a card by the URL's text, until schema version 2: version 3
/// keys it by the URL's hash (`CARD_URLHASH_STATUSES`). Only the migration reads it.
pub const LEGACY_CARD_STATUSES: TableDefinition<'static, (&str, u64), ()> =
    TableDefinition::new("cardurl_statusid");

macro_rules! tables {
    ($($(#[doc = $doc:literal])* $name:ident: $key:ty => $value:ty = $table:literal;)*) => {
        $($(#[doc = $doc])* pub const $name: TableDefinition<'static, $key, $value> = TableDefinition::new($table);)*

        /// Calls the visitor once for every table, in the order of this file.
        pub fn visit_tables(visitor: &mut impl TableVisitor) -> Result<(), StoreError> {
            $(visitor.visit($name)?;)*
            Ok(())
        }
    };
}

/// Something done to every table (create, count, copy, check).
pub trait TableVisitor {
    fn visit<K: Key + 'static, V: Value + 'static>(
        &mut self,
        table: TableDefinition<'static, K, V>,
    ) -> Result<(), StoreError>;
}

tables! {
    /// Named values: `schema_version` (u64 big-endian).
    META: &str => &[u8] = "name_value";

    /// Account records (`model::Account`), local and remote.
    ACCOUNTS: u64 => &[u8] = "accountid_account";
    /// Lowercased `user` (local) or `user@host` (remote) to account id.
    ACCT_ACCOUNTID: &str => u64 = "acct_accountid";
    /// Local users (`model::LocalUser`): credentials, role, preferences.
    USERS: u64 => &[u8] = "accountid_user";
    /// Lowercased e-mail of a local user to account id.
    EMAIL_ACCOUNTID: &str => u64 = "email_accountid";
    /// A local account's RSA private key as PKCS#8 DER.
    KEYPAIRS: u64 => &[u8] = "accountid_keypair";
    /// Remote actors (`model::RemoteActor`): id, inboxes, key, for remote accounts.
    REMOTE_ACTORS: u64 => &[u8] = "accountid_remoteactor";
    /// A remote actor's id (URI) to its account id.
    ACTOR_URI_ACCOUNTID: &str => u64 = "actoruri_accountid";
    /// Statuses, followers, following, last status time (ms) of an account.
    ACCOUNT_COUNTS: u64 => (u32, u32, u32, u64) = "accountid_counts";

    /// Status records (`model::Status`).
    STATUSES: u64 => &[u8] = "statusid_status";
    /// Replies, reblogs, favourites of a status.
    STATUS_COUNTS: u64 => (u32, u32, u32) = "statusid_counts";
    /// Statuses (and reblogs) of an account.
    ACCOUNT_STATUSES: (u64, u64) => () = "accountid_statusid";
    /// Public statuses, local and remote, without reblogs: the federated timeline.
    PUBLIC_STATUSES: u64 => () = "public_statusid";
    /// Public statuses of local accounts: the local timeline.
    LOCAL_STATUSES: u64 => () = "local_statusid";
    /// Replies to a status: (parent, reply).
    REPLIES: (u64, u64) => () = "parentid_statusid";
    /// Hashtag name (lowercase) to tag id.
    TAG_IDS: &str => u64 = "tagname_tagid";
    /// Tag id to hashtag name.
    TAG_NAMES: u64 => &str = "tagid_tagname";
    /// Public statuses with a hashtag: (tag, status).
    TAG_STATUSES: (u64, u64) => () = "tagid_statusid";
    /// Home feeds, fanned out on write: (owner, status).
    HOME: (u64, u64) => () = "owner_statusid";
    /// Entries in each home feed, for trimming it to `limits.home_feed_entries_max`.
    HOME_LENGTHS: u64 => u32 = "owner_homelength";

    /// Follows: (follower, followee) to follow id.
    FOLLOWS: (u64, u64) => u64 = "follower_followee";
    /// Following list in follow order: (follower, follow id) to followee.
    FOLLOWING_BY_ID: (u64, u64) => u64 = "follower_followid";
    /// Followers list in follow order: (followee, follow id) to follower.
    FOLLOWERS_BY_ID: (u64, u64) => u64 = "followee_followid";
    /// Blocks: (blocker, blocked) to block id.
    BLOCKS: (u64, u64) => u64 = "blocker_blocked";
    /// Block list: (blocker, block id) to blocked.
    BLOCKS_BY_ID: (u64, u64) => u64 = "blocker_blockid";
    /// Mutes: (muter, muted) to mute id.
    MUTES: (u64, u64) => u64 = "muter_muted";
    /// Mute list: (muter, mute id) to muted.
    MUTES_BY_ID: (u64, u64) => u64 = "muter_muteid";
    /// Mutes that also hide notifications: (muter, muted).
    MUTES_NOTIFICATIONS: (u64, u64) => () = "muter_muted_notifications";
    /// Favourites: (account, status) to favourite id.
    FAVOURITES: (u64, u64) => u64 = "account_statusid_favourite";
    /// Favourites list: (account, favourite id) to status.
    FAVOURITES_BY_ID: (u64, u64) => u64 = "account_favouriteid";
    /// Who favourited: (status, favourite id) to account.
    FAVOURITERS_BY_ID: (u64, u64) => u64 = "statusid_favouriteid";
    /// Bookmarks: (account, status) to bookmark id.
    BOOKMARKS: (u64, u64) => u64 = "account_statusid_bookmark";
    /// Bookmarks list: (account, bookmark id) to status.
    BOOKMARKS_BY_ID: (u64, u64) => u64 = "account_bookmarkid";
    /// Reblogs: (account, original status) to the reblog's status id.
    REBLOGS: (u64, u64) => u64 = "account_statusid_reblog";
    /// Who reblogged: (original status, reblog id) to account.
    REBLOGGERS_BY_ID: (u64, u64) => u64 = "statusid_reblogid";
    /// Polls (`model::Poll`) by the id of their status.
    POLLS: u64 => &[u8] = "statusid_poll";
    /// Votes: (status, account) to the chosen option indexes.
    POLL_VOTES: (u64, u64) => &[u8] = "statusid_account_choices";
    /// Emoji reactions (Misskey, Pleroma, FEP-c0e0 `EmojiReact`): (status, account) to the
    /// emoji (a Unicode emoji or a `:shortcode:`).
    REACTIONS: (u64, u64) => &str = "statusid_account_reaction";
    /// Reports (`model::Report`) by id, local and from peers' `Flag`s.
    REPORTS: u64 => &[u8] = "reportid_report";
    /// Pins: (account, status) to pin id.
    PINS: (u64, u64) => u64 = "account_statusid_pin";
    /// Pinned list in pin order: (account, pin id) to status.
    PINS_BY_ID: (u64, u64) => u64 = "account_pinid";

    /// Lists (`model::List`) by id.
    LISTS: u64 => &[u8] = "listid_list";
    /// An account's lists: (owner, list id).
    OWNER_LISTS: (u64, u64) => () = "owner_listid";
    /// List members: (list id, account).
    LIST_ACCOUNTS: (u64, u64) => () = "listid_accountid";
    /// The lists an account is a member of: (account, list id), the reverse of
    /// `LIST_ACCOUNTS` (for `GET /api/v1/accounts/:id/lists` and exclusive lists at fan-out).
    ACCOUNT_LISTS: (u64, u64) => () = "accountid_listid";

    /// Filters (`model::Filter`, with their keywords and statuses) by id.
    FILTERS: u64 => &[u8] = "filterid_filter";
    /// An account's filters: (owner, filter id).
    OWNER_FILTERS: (u64, u64) => () = "owner_filterid";
    /// A filter keyword's id to its filter's id.
    FILTER_KEYWORD_FILTERS: u64 => u64 = "filterkeywordid_filterid";
    /// A filtered status entry's id to its filter's id.
    FILTER_STATUS_FILTERS: u64 => u64 = "filterstatusid_filterid";

    /// Notifications (`model::Notification`): (recipient, notification id).
    NOTIFICATIONS: (u64, u64) => &[u8] = "recipient_notificationid";

    /// Follow requests waiting for an answer: (requester, target) to request id.
    FOLLOW_REQUESTS: (u64, u64) => u64 = "requester_target_followrequest";
    /// Follow requests an account received, in order: (target, request id) to requester.
    FOLLOW_REQUESTS_BY_ID: (u64, u64) => u64 = "target_followrequestid";
    /// The id of a remote account's Follow activity, for the Accept or Reject that answers it:
    /// (follower, followee).
    FOLLOW_ACTIVITIES: (u64, u64) => &str = "follower_followee_activity";

    /// Local changes to tell peers about (`model::OutboxIntent`), in order.
    OUTBOX_INTENTS: u64 => &[u8] = "intentid_intent";
    /// Signed deliveries waiting to be sent (`model::Delivery`).
    DELIVERIES: u64 => &[u8] = "deliveryid_delivery";
    /// Deliveries by the time they are due: (due ms, delivery id).
    DELIVERIES_DUE: (u64, u64) => () = "duems_deliveryid";
    /// Verified inbound activities waiting to be applied (`model::InboundActivity`).
    INBOUND: u64 => &[u8] = "inboundid_activity";
    /// Activity ids already applied, with the time first seen: duplicates are dropped. Written
    /// until schema version 1; read until its entries expire (`SEEN_HASHES` now).
    SEEN_ACTIVITIES: &str => u64 = "activityuri_seenms";
    /// Peers' delivery health: host to (consecutive failures, first failure ms, last failure ms).
    HOSTS: &str => (u32, u64, u64) = "host_failures";

    /// Domain blocks (`model::DomainBlock`) by id.
    DOMAIN_BLOCKS: u64 => &[u8] = "domainblockid_domainblock";
    /// Blocked domain (lowercase) to block id.
    DOMAIN_BLOCK_HOSTS: &str => u64 = "domain_domainblockid";
    /// Domain allows (`model::DomainAllow`) by id, for allowlist mode.
    DOMAIN_ALLOWS: u64 => &[u8] = "domainallowid_domainallow";
    /// Allowed domain (lowercase) to allow id.
    DOMAIN_ALLOW_HOSTS: &str => u64 = "domain_domainallowid";

    /// OAuth applications (`model::App`).
    APPS: u64 => &[u8] = "appid_app";
    /// OAuth client id to application id.
    CLIENT_APPS: &str => u64 = "clientid_appid";
    /// Authorization codes (`model::AuthCode`) by the SHA-256 of the code.
    AUTH_CODES: &[u8] => &[u8] = "codehash_authcode";
    /// Access tokens (`model::Token`) by the SHA-256 of the token.
    TOKENS: &[u8] => &[u8] = "tokenhash_token";
    /// `Idempotency-Key` of a status post: (account, key) to (status id, time in ms).
    IDEMPOTENCY: (u64, &str) => (u64, u64) = "account_idempotencykey";
    /// Timeline read positions (`Marker` records): (account, timeline name).
    MARKERS: (u64, &str) => &[u8] = "account_timeline_marker";

    // Moderation (`store::moderation`).
    /// What moderators did to an account (`AccountModeration` records); absent: nothing.
    ACCOUNT_MODERATION: u64 => &[u8] = "accountid_moderation";
    /// Accounts that signed up and wait for approval, oldest first.
    PENDING_ACCOUNTS: u64 => () = "pending_accountid";
    /// The audit log (`AuditEntry` records) by entry id, so by time.
    AUDIT_LOG: u64 => &[u8] = "auditid_entry";
    /// Where each report stands (`ReportState` records); absent: open and unassigned.
    REPORT_STATES: u64 => &[u8] = "reportid_state";
    /// Moderators' notes on reports (`ReportNote` records): (report, note id).
    REPORT_NOTES: (u64, u64) => &[u8] = "reportid_noteid_note";
    /// Invitations (`Invite` records) and their codes.
    INVITES: u64 => &[u8] = "inviteid_invite";
    INVITE_CODES: &str => u64 = "invitecode_inviteid";
    /// Suspended accounts whose content is still here, to when it is deleted (ms).
    SUSPENDED_ACCOUNTS: u64 => u64 = "accountid_purgems";
    /// Announcements (`Announcement` records) by id.
    ANNOUNCEMENTS: u64 => &[u8] = "announcementid_announcement";
    /// Announcements a user dismissed (read): (account, announcement).
    ANNOUNCEMENT_READS: (u64, u64) => () = "account_announcementid_read";
    /// IP blocks (`IpBlock` records).
    IP_BLOCKS: u64 => &[u8] = "ipblockid_ipblock";
    /// Blocked e-mail addresses (`EmailBlock` records) and their canonical hashes.
    EMAIL_BLOCKS: u64 => &[u8] = "emailblockid_emailblock";
    EMAIL_BLOCK_HASHES: &str => u64 = "emailhash_emailblockid";

    // Web sign-in (`store::sessions`).
    /// Browser sessions (`WebSession` records) by the SHA-256 of the cookie's secret.
    WEB_SESSIONS: &[u8] => &[u8] = "sessionhash_session";
    /// An account's sessions, by session id, to the hash that finds them.
    ACCOUNT_SESSIONS: (u64, u64) => &[u8] = "account_sessionid_hash";
    /// TOTP secrets (`TwoFactor` records) of local accounts.
    TWO_FACTOR: u64 => &[u8] = "accountid_twofactor";
    /// Relays this instance subscribes to (`model::Relay`) by id.
    RELAYS: u64 => &[u8] = "relayid_relay";
    /// Earlier versions of edited statuses: (status, edit time in ms) to the `model::Status`
    /// as it was before that edit (`GET /api/v1/statuses/:id/history`).
    STATUS_EDITS: (u64, u64) => &[u8] = "statusid_editms_previous";
    /// Conversations (threads) an account muted, by the thread's root status: (account, root).
    CONVERSATION_MUTES: (u64, u64) => () = "account_rootid_muted";
    /// Direct-message conversations of a local account: (owner, root status) to (last
    /// status, unread).
    CONVERSATIONS: (u64, u64) => (u64, bool) = "owner_rootid_conversation";
    /// Conversations by their latest status, for paging newest first: (owner, last status)
    /// to root.
    CONVERSATIONS_BY_LAST: (u64, u64) => u64 = "owner_laststatusid_rootid";
    /// Followed hashtags: (account, tag) to follow id.
    TAG_FOLLOWS: (u64, u64) => u64 = "account_tagid_follow";
    /// Followed hashtags in follow order: (account, follow id) to tag.
    TAG_FOLLOWS_BY_ID: (u64, u64) => u64 = "account_tagfollowid";
    /// Followers of a hashtag: (tag, follow id) to account, for home fan-out.
    TAG_FOLLOWERS_BY_ID: (u64, u64) => u64 = "tagid_tagfollowid";
    /// Hashtags featured on a profile: (account, tag) to featured-tag id.
    FEATURED_TAGS: (u64, u64) => u64 = "account_tagid_featured";
    /// Featured hashtags by id: (account, featured-tag id) to tag.
    FEATURED_TAGS_BY_ID: (u64, u64) => u64 = "account_featuredtagid";
    /// Accounts endorsed on a profile: (account, endorsed) to endorsement id.
    ENDORSEMENTS: (u64, u64) => u64 = "account_endorsed";
    /// Endorsements in order: (account, endorsement id) to endorsed.
    ENDORSEMENTS_BY_ID: (u64, u64) => u64 = "account_endorsementid";
    /// Private notes on accounts: (author, account) to the note's text.
    ACCOUNT_NOTES: (u64, u64) => &str = "author_accountid_note";
    /// Follow suggestions an account dismissed: (account, suggested).
    SUGGESTION_DISMISSALS: (u64, u64) => () = "account_dismissedsuggestion";
    /// Scheduled statuses (`model::ScheduledStatus`) by id.
    SCHEDULED_STATUSES: u64 => &[u8] = "scheduledid_scheduledstatus";
    /// Scheduled statuses by the time they are due: (due ms, id).
    SCHEDULED_DUE: (u64, u64) => () = "duems_scheduledid";
    /// An account's scheduled statuses: (owner, id).
    OWNER_SCHEDULED: (u64, u64) => () = "owner_scheduledid";
    /// Web Push subscriptions (`model::PushSubscription`) by the SHA-256 of their token.
    PUSH_SUBSCRIPTIONS: &[u8] => &[u8] = "tokenhash_pushsubscription";
    /// An account's push subscriptions: (account, token hash).
    ACCOUNT_PUSH_SUBSCRIPTIONS: (u64, &[u8]) => () = "account_tokenhash_push";
    /// Pushes waiting to be sent (`model::PushDelivery`).
    PUSH_DELIVERIES: u64 => &[u8] = "pushid_pushdelivery";
    /// Pushes by the time they are due: (due ms, push id).
    PUSH_DUE: (u64, u64) => () = "duems_pushid";
    /// Domains an account blocks for itself (`/api/v1/domain_blocks`): (account, domain) to
    /// block id.
    USER_DOMAIN_BLOCKS: (u64, &str) => u64 = "account_domain_userdomainblock";
    /// The same in block order: (account, block id) to domain.
    USER_DOMAIN_BLOCKS_BY_ID: (u64, u64) => &str = "account_userdomainblockid";
    /// Trained zstd dictionaries (`store::dictionaries`): id to (record kind, training time in
    /// ms, dictionary). Records name the one they were compressed with; the active one of each
    /// kind is `dictionary.<kind>` in `META`.
    DICTIONARIES: u16 => (&str, u64, &[u8]) = "dictionaryid_kind_trainedms_dictionary";
    /// A remote status's id (URI), as the first 8 bytes of its SHA-256, to its status id: a
    /// compact index that replaces a second copy of the URI (schema version 2). A lookup
    /// compares the URI in each candidate's record (`Status::uri`), so a collision costs a
    /// read, never a wrong id.
    URIHASH_STATUSID: (u64, u64) => () = "urihash_statusid";
    /// Daily samples of every table (`store::growth`): (day start ms, table) to (entries,
    /// bytes of keys, values and B-tree structure).
    STORAGE_STATS: (u64, &str) => (u64, u64) = "dayms_table_entries_bytes";
    /// Activity ids already applied, as the first 8 bytes of their SHA-256, with the time first
    /// seen (replaces `SEEN_ACTIVITIES` from schema version 2; see `queues::mark_seen`).
    SEEN_HASHES: u64 => u64 = "activityhash_seenms";
    /// Media attachments (`model::Media`), local uploads and remote attachments, by id.
    MEDIA: u64 => &[u8] = "mediaid_media";
    /// Blobs (`model::Blob`): the SHA-256 of the bytes to their size, tiers and references.
    BLOBS: &[u8] => &[u8] = "sha256_blob";
    /// Remote blobs in the hot tier by last view: (accessed ms, SHA-256), oldest evicted first.
    HOT_BLOBS: (u64, &[u8]) => () = "accessedms_sha256_hot";
    /// Remote blobs in the cold tier by arrival: (cold ms, SHA-256), oldest dropped first.
    COLD_BLOBS: (u64, &[u8]) => () = "coldms_sha256_cold";
    /// Bytes and counts per tier (`hot_bytes`, `hot_count`, `cold_bytes`, …), kept in the
    /// transactions that move blobs, so budgets are checked without a scan.
    MEDIA_TOTALS: &str => u64 = "name_total";
    /// Mail waiting to be sent (`model::Mail`), by id; the worker scans it (it is small).
    MAILS: u64 => &[u8] = "mailid_mail";
    /// Single-use e-mailed tokens (`model::EmailToken`) by the SHA-256 of the secret.
    EMAIL_TOKENS: &[u8] => &[u8] = "tokenhash_emailtoken";
    /// Server rules (`model::Rule`) by id, in order.
    RULES: u64 => &[u8] = "ruleid_rule";
    /// Notification policies (`model::NotificationPolicy`) by account; absent means the
    /// defaults.
    NOTIFICATION_POLICIES: u64 => &[u8] = "account_notificationpolicy";
    /// Notification requests (`model::NotificationRequest`): (recipient, request id).
    NOTIFICATION_REQUESTS: (u64, u64) => &[u8] = "account_requestid_notificationrequest";
    /// The request of each sender: (recipient, sender) to request id.
    NOTIFICATION_REQUEST_SENDERS: (u64, u64) => u64 = "account_sender_requestid";
    /// Filtered notifications (`model::Notification`), kept apart from `NOTIFICATIONS` until
    /// their request is accepted: (recipient, notification id).
    FILTERED_NOTIFICATIONS: (u64, u64) => &[u8] = "account_notificationid_filtered";
    /// Senders whose notifications skip the policy (an accepted request): (recipient, sender).
    NOTIFICATION_PERMISSIONS: (u64, u64) => () = "account_sender_notificationpermission";
    /// Reactions to announcements: (announcement, emoji, account) to the time of the reaction
    /// in ms.
    ANNOUNCEMENT_REACTIONS: (u64, &str, u64) => u64 = "announcementid_name_account_reactedms";
    /// Preview cards (`model::Card`) by the URL they preview (without its fragment).
    CARDS: &str => &[u8] = "url_card";
    /// The link a status previews: status id to the card's URL.
    STATUS_CARDS: u64 => &str = "statusid_cardurl";
    /// Cards waiting for the card job: (due ms, URL). A card's fetch is retried later (a
    /// busy host) by moving its key.
    CARDS_DUE: (u64, &str) => () = "duems_cardurl";
    /// Custom emojis (`model::CustomEmoji`) by (domain, shortcode); the domain is empty for
    /// ours.
    EMOJIS: (&str, &str) => &[u8] = "domain_shortcode_emoji";
    /// What may use a peer's emoji: (domain, shortcode, status or account id), written with
    /// the status or profile that carried the `Emoji` tag. An entry is a hint, checked by the
    /// emoji sweep (`app::emoji::sweep_step`) against the text it names, and removed there
    /// once stale; nothing else deletes it.
    EMOJI_USES: (&str, &str, u64) => () = "domain_shortcode_referrer_emojiuse";
    /// The statuses that link to a card: (first 8 bytes of the SHA-256 of the URL, status id),
    /// so the sweep knows a card in use (schema version 3; the URL itself is in
    /// `STATUS_CARDS`, which a lookup compares, as `URIHASH_STATUSID` does).
    CARD_URLHASH_STATUSES: (u64, u64) => () = "cardurlhash_statusid";
    /// Ids of remote objects that were deleted, as the first 8 bytes of their SHA-256, with the
    /// time: a Delete that came before its Create, or a late copy, does not bring the object
    /// back (schema version 3; 16 bytes an entry instead of the URI's ~100, as
    /// `SEEN_HASHES`). A collision refuses one object in about 2^64 / (tombstones kept).
    TOMBSTONE_HASHES: u64 => u64 = "objecthash_deletedms";
}
