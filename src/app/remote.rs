//! Applying what peers tell us: remote actors, their statuses, and what they do to ours.
//! Inputs are plain values that `federation` has already parsed, checked for origin and
//! sanitized; these functions only decide what changes, in one transaction each.

use redb::WriteTransaction;

use crate::model::{
    Account, AccountId, NotificationKind, OutboxIntent, RemoteActor, Status, StatusId, Visibility,
};
use crate::store::{self, Edge, accounts, queues, statuses};
use crate::util::time::now_ms;

use super::relationships::{complete_follow, notify};
use super::{App, AppError, outbox};

/// Attempts at a free id in the millisecond a remote status was published, before taking
/// the next free id instead.
const ID_ATTEMPTS_MAX: usize = 8;

/// A remote actor as federation parsed it.
#[derive(Clone, Debug, Default)]
pub struct ActorInput {
    pub uri: String,
    pub username: String,
    /// The host (with port) of the actor's origin, lowercase.
    pub host: String,
    pub display_name: String,
    pub note_html: String,
    pub locked: bool,
    pub bot: bool,
    pub discoverable: bool,
    /// `toot:indexable`: the actor lets its public posts be searched.
    pub indexable: bool,
    pub fields: Vec<(String, String)>,
    pub inbox: String,
    pub shared_inbox: Option<String>,
    pub followers: Option<String>,
    pub url: Option<String>,
    pub key_id: String,
    pub public_key_pem: String,
    /// Whether the key is stored: the document was fetched to check this actor's signature,
    /// or the actor pushed it to us, signed. The authors a relay brings, mentioned and
    /// boosted accounts never sign to us; their key (294 B of random DER for RSA-2048, which
    /// no dictionary shrinks) was half of their record. When such an actor does sign, the
    /// check fetches its document then (`federation::inbox`). A key stored once stays
    /// stored, and is refreshed with the document.
    pub keep_key: bool,
    pub published_ms: Option<u64>,
    /// `icon` and `image`: kept as remote media of the account, fetched on first view.
    pub avatar_url: Option<String>,
    pub header_url: Option<String>,
    /// Custom emojis of its `Emoji` tags (used in its display name and bio): (shortcode
    /// without colons, image URL), recorded like a post's.
    pub emojis: Vec<(String, String)>,
}

/// Creates or refreshes a remote account; returns its id.
pub fn upsert_actor(app: &App, input: ActorInput) -> Result<AccountId, AppError> {
    app.write(|tx| upsert_actor_in(app, tx, &input))
}

/// `upsert_actor` in the caller's transaction.
pub fn upsert_actor_in(
    app: &App,
    tx: &WriteTransaction,
    input: &ActorInput,
) -> Result<AccountId, AppError> {
    let now = now_ms();
    let new_id = AccountId(app.ids.next(now));
    {
        let existing = accounts::account_id_by_actor_uri(tx, &input.uri)?;
        let id = existing.unwrap_or(new_id);
        let previous = match existing {
            Some(id) => accounts::get_account(tx, id, app.bytes_max())?,
            None => None,
        };
        let key_kept = match existing {
            Some(id) => accounts::get_remote_actor(tx, id, app.bytes_max())?
                .is_some_and(|actor| !actor.public_key_der.is_empty()),
            None => false,
        };
        let account = Account {
            id,
            username: input.username.clone(),
            domain: Some(input.host.clone()),
            display_name: input.display_name.clone(),
            note_html: input.note_html.clone(),
            note_source: String::new(),
            locked: input.locked,
            bot: input.bot,
            discoverable: input.discoverable,
            fields: input
                .fields
                .iter()
                .map(|(name, value)| crate::model::Field {
                    name: name.clone(),
                    value_html: value.clone(),
                    value_source: String::new(),
                })
                .collect(),
            created_ms: previous
                .as_ref()
                .map_or(input.published_ms.unwrap_or(now), |account| {
                    account.created_ms
                }),
            suspended_ms: previous.as_ref().and_then(|account| account.suspended_ms),
            indexable: input.indexable,
            avatar: super::media::remote_profile_image(
                app,
                tx,
                id,
                previous.as_ref().and_then(|account| account.avatar),
                input.avatar_url.as_deref(),
            )?,
            header: super::media::remote_profile_image(
                app,
                tx,
                id,
                previous.as_ref().and_then(|account| account.header),
                input.header_url.as_deref(),
            )?,
        };
        accounts::put_account(tx, &account)?;
        let actor = RemoteActor {
            account_id: id,
            uri: input.uri.clone(),
            inbox: input.inbox.clone(),
            shared_inbox: input.shared_inbox.clone(),
            followers: input.followers.clone(),
            url: input.url.clone(),
            key_id: input.key_id.clone(),
            // A PEM that does not decode is kept as its text: it never verifies, so the actor's
            // requests are refused until a refetch brings a usable key, as before.
            public_key_der: if input.keep_key || key_kept {
                crate::util::pem::public_key_der(&input.public_key_pem)
                    .unwrap_or_else(|| input.public_key_pem.clone().into_bytes())
            } else {
                Vec::new()
            },
            fetched_ms: now,
        };
        accounts::put_remote_actor(tx, &actor)?;
        // After the account, whose domain names the emojis.
        super::emoji::record_remote(
            app,
            tx,
            id,
            id.0,
            &input.emojis,
            &super::emoji::account_texts(&account),
        )?;
        Ok(id)
    }
}

/// A remote account's federation record, by account id.
pub fn actor(app: &App, id: AccountId) -> Result<Option<RemoteActor>, AppError> {
    Ok(app
        .store
        .read(|tx| accounts::get_remote_actor(tx, id, app.bytes_max()))?)
}

/// A remote account by actor id, with its federation record.
pub fn actor_by_uri(app: &App, uri: &str) -> Result<Option<(Account, RemoteActor)>, AppError> {
    app.store.read(|tx| {
        let Some(id) = accounts::account_id_by_actor_uri(tx, uri)? else {
            return Ok(None);
        };
        let account = accounts::get_account(tx, id, app.bytes_max())?;
        let actor = accounts::get_remote_actor(tx, id, app.bytes_max())?;
        Ok(account.zip(actor))
    })
}

/// A local account by its actor id (`https://host/users/name`).
pub fn local_account_by_uri(app: &App, uri: &str) -> Result<Option<AccountId>, AppError> {
    app.store.read(|tx| local_account_by_uri_in(app, tx, uri))
}

/// `local_account_by_uri` in the caller's transaction.
pub fn local_account_by_uri_in(
    app: &App,
    reader: &impl store::Reader,
    uri: &str,
) -> Result<Option<AccountId>, AppError> {
    let prefix = format!("{}/users/", app.base_url);
    let Some(username) = uri.strip_prefix(&prefix).filter(|name| !name.contains('/')) else {
        return Ok(None);
    };
    let Some(id) = accounts::account_id_by_acct(reader, username)? else {
        return Ok(None);
    };
    Ok(accounts::get_user(reader, id, app.bytes_max())?.map(|_| id))
}

/// Any account, local or remote, by actor id.
pub fn account_by_uri(app: &App, uri: &str) -> Result<Option<AccountId>, AppError> {
    app.store.read(|tx| account_by_uri_in(app, tx, uri))
}

/// `account_by_uri` in the caller's transaction.
pub fn account_by_uri_in(
    app: &App,
    reader: &impl store::Reader,
    uri: &str,
) -> Result<Option<AccountId>, AppError> {
    if let Some(id) = local_account_by_uri_in(app, reader, uri)? {
        return Ok(Some(id));
    }
    Ok(accounts::account_id_by_actor_uri(reader, uri)?)
}

/// A status by id (URI): ours are derived from the URL, remote ones looked up.
pub fn status_by_uri(
    app: &App,
    reader: &impl store::Reader,
    uri: &str,
) -> Result<Option<Status>, AppError> {
    let id = match local_status_id(app, uri) {
        Some(id) => Some(id),
        None => statuses::status_id_by_uri(reader, uri)?,
    };
    match id {
        Some(id) => Ok(statuses::get_status(reader, id, app.bytes_max())?),
        None => Ok(None),
    }
}

/// The id of a local status from its URI (`https://host/users/name/statuses/ID`).
fn local_status_id(app: &App, uri: &str) -> Option<StatusId> {
    let rest = uri.strip_prefix(&format!("{}/users/", app.base_url))?;
    let (_, id) = rest.split_once("/statuses/")?;
    id.parse().ok()
}

/// A remote status as federation parsed it.
#[derive(Clone, Debug)]
pub struct NoteInput {
    pub uri: String,
    pub author: AccountId,
    pub in_reply_to: Option<String>,
    pub content_html: String,
    pub spoiler_text: String,
    pub sensitive: bool,
    pub language: Option<String>,
    pub visibility: Visibility,
    pub mentions: Vec<AccountId>,
    pub tags: Vec<String>,
    pub published_ms: u64,
    pub updated_ms: Option<u64>,
    /// The id (URI) of the status it quotes.
    pub quote: Option<String>,
    /// A `Question`'s options and counts as its server reports them.
    pub poll: Option<crate::model::Poll>,
    /// Media attachments (metadata; the bytes come per the fetch policy).
    pub media: Vec<super::media::RemoteMediaInput>,
    /// Custom emojis of its `Emoji` tags: (shortcode without colons, image URL).
    pub emojis: Vec<(String, String)>,
}

/// An id in the millisecond a remote object was published, so timelines stay in time order.
fn id_for_time(
    app: &App,
    reader: &impl store::Reader,
    published_ms: u64,
) -> Result<StatusId, AppError> {
    let now = now_ms();
    // A date in the future is not believed.
    let ms = published_ms.min(now);
    for _ in 0..ID_ATTEMPTS_MAX {
        let mut low = [0u8; 2];
        crate::util::random::fill(&mut low);
        let candidate =
            StatusId(crate::util::ids::id_floor_for_ms(ms) | u64::from(u16::from_le_bytes(low)));
        if statuses::get_status(reader, candidate, app.bytes_max())?.is_none() {
            return Ok(candidate);
        }
    }
    Ok(StatusId(app.ids.next(now)))
}

/// Stores a remote status, once: `None` if it exists already or was deleted before.
pub fn create_status(app: &App, input: NoteInput) -> Result<Option<StatusId>, AppError> {
    let created = app.write(|tx| create_status_in(app, tx, &input))?;
    Ok(created.map(|(id, prefetch)| {
        if let Some(media_ids) = prefetch {
            super::media::queue_prefetch(app, &media_ids);
        }
        id
    }))
}

/// A status `create_status_in` stored: its id, and the media to prefetch once the
/// transaction committed (`media::queue_prefetch`).
pub type Created = (StatusId, Option<Vec<crate::model::MediaId>>);

/// `create_status` in the caller's transaction.
pub fn create_status_in(
    app: &App,
    tx: &WriteTransaction,
    input: &NoteInput,
) -> Result<Option<Created>, AppError> {
    {
        if statuses::status_id_by_uri(tx, &input.uri)?.is_some()
            || queues::is_tombstoned(tx, &input.uri)?
        {
            return Ok(None);
        }
        let parent = match &input.in_reply_to {
            Some(uri) => status_by_uri(app, tx, uri)?,
            None => None,
        };
        let id = id_for_time(app, tx, input.published_ms)?;
        let quote_of = match &input.quote {
            Some(uri) => status_by_uri(app, tx, uri)?.map(|quoted| quoted.id),
            None => None,
        };
        let status = Status {
            id,
            account_id: input.author,
            in_reply_to_id: parent.as_ref().map(|parent| parent.id),
            in_reply_to_account_id: parent.as_ref().map(|parent| parent.account_id),
            reblog_of: None,
            content_html: input.content_html.clone(),
            text_source: String::new(),
            spoiler_text: input.spoiler_text.clone(),
            visibility: input.visibility,
            sensitive: input.sensitive,
            language: input.language.clone(),
            mentions: input.mentions.clone(),
            tags: input.tags.clone(),
            application_id: None,
            created_ms: input.published_ms.min(now_ms()),
            edited_ms: input.updated_ms,
            quote_of,
            media_ids: Vec::new(),
            uri: Some(input.uri.clone()),
        };
        let mut status = status;
        status.media_ids = super::media::insert_remote(app, tx, input.author, id, &input.media)?;
        // Prefetched when a local user follows the author (`media.prefetch_followed`).
        let followed = app.config.media.prefetch_followed
            && !status.media_ids.is_empty()
            && accounts::get_counts(tx, input.author)?.followers > 0;
        statuses::insert_status(tx, &status, false)?;
        record_extras(app, tx, &status, &input.emojis, input.poll.as_ref())?;
        accounts::adjust_counts(tx, input.author, 1, 0, 0, Some(status.created_ms))?;
        if let Some(parent) = &parent {
            statuses::adjust_counts(tx, parent.id, 1, 0, 0)?;
        }
        super::statuses::fan_out(app, tx, &status)?;
        for mentioned in &status.mentions {
            notify(
                app,
                tx,
                *mentioned,
                NotificationKind::Mention,
                input.author,
                Some(id),
            )?;
        }
        Ok(Some((id, followed.then(|| status.media_ids.clone()))))
    }
}

/// What a remote status brings beside its record, stored or edited: the link for its preview
/// card, the custom emojis it uses, and its poll (with the counts its server reports).
fn record_extras(
    app: &App,
    tx: &WriteTransaction,
    status: &Status,
    emojis: &[(String, String)],
    poll: Option<&crate::model::Poll>,
) -> Result<(), AppError> {
    super::cards::link(app, tx, status)?;
    super::emoji::record_remote(
        app,
        tx,
        status.account_id,
        status.id.0,
        emojis,
        &[&status.content_html, &status.spoiler_text],
    )?;
    if let Some(poll) = poll {
        statuses::put_poll(tx, status.id, poll)?;
    }
    Ok(())
}

/// Applies an edit of a remote status by its author.
pub fn update_status(app: &App, input: NoteInput) -> Result<bool, AppError> {
    app.write(|tx| update_status_in(app, tx, input))
}

/// `update_status` in the caller's transaction.
pub fn update_status_in(
    app: &App,
    tx: &WriteTransaction,
    input: NoteInput,
) -> Result<bool, AppError> {
    let Some(id) = statuses::status_id_by_uri(tx, &input.uri)? else {
        return Ok(false);
    };
    let Some(mut status) = statuses::get_status(tx, id, app.bytes_max())? else {
        return Ok(false);
    };
    if status.account_id != input.author {
        return Err(AppError::Forbidden("only the author edits a status"));
    }
    let edited_ms = input.updated_ms.unwrap_or_else(now_ms);
    // An Update that only refreshes a poll's counts is not an edit of the text.
    let changed = status.content_html != input.content_html
        || status.spoiler_text != input.spoiler_text
        || status.sensitive != input.sensitive;
    if changed {
        crate::store::social::put_edit(tx, &status, edited_ms, super::statuses::EDITS_KEPT_MAX)?;
    }
    status.content_html = input.content_html;
    status.spoiler_text = input.spoiler_text;
    status.sensitive = input.sensitive;
    status.language = input.language;
    status.edited_ms = Some(edited_ms);
    statuses::update_status(tx, &status)?;
    // An Update of a Question carries its current counts.
    record_extras(app, tx, &status, &input.emojis, input.poll.as_ref())?;
    super::stream::pending(super::stream::Event::StatusUpdated { status: id });
    Ok(true)
}

/// Deletes a remote status (or reblog) by id (URI) if `actor` is its author, and remembers
/// the id so that a late or repeated Create does not bring it back.
pub fn delete_by_uri(app: &App, actor: AccountId, uri: &str) -> Result<bool, AppError> {
    app.write(|tx| delete_by_uri_in(app, tx, actor, uri))
}

/// `delete_by_uri` in the caller's transaction. A refusal comes before any write.
pub fn delete_by_uri_in(
    app: &App,
    tx: &WriteTransaction,
    actor: AccountId,
    uri: &str,
) -> Result<bool, AppError> {
    {
        let status = match statuses::status_id_by_uri(tx, uri)? {
            Some(id) => statuses::get_status(tx, id, app.bytes_max())?,
            None => None,
        };
        if status
            .as_ref()
            .is_some_and(|status| status.account_id != actor)
        {
            return Err(AppError::Forbidden("only the author deletes a status"));
        }
        queues::put_tombstone(tx, uri, now_ms())?;
        let Some(status) = status else {
            return Ok(false);
        };
        if let Some(original) = status.reblog_of {
            Edge::REBLOG.remove(tx, actor.0, original.0)?;
        }
        super::statuses::remove_status(app, tx, &status)?;
        Ok(true)
    }
}

/// A remote account reblogs a status; the Announce's id becomes the reblog's id.
pub fn announce(
    app: &App,
    actor: AccountId,
    activity_uri: &str,
    original: StatusId,
    published_ms: u64,
    visibility: Visibility,
) -> Result<Option<StatusId>, AppError> {
    app.write(|tx| {
        announce_in(
            app,
            tx,
            actor,
            activity_uri,
            original,
            published_ms,
            visibility,
        )
    })
}

/// `announce` in the caller's transaction.
pub fn announce_in(
    app: &App,
    tx: &WriteTransaction,
    actor: AccountId,
    activity_uri: &str,
    original: StatusId,
    published_ms: u64,
    visibility: Visibility,
) -> Result<Option<StatusId>, AppError> {
    if statuses::status_id_by_uri(tx, activity_uri)?.is_some()
        || Edge::REBLOG.contains(tx, actor.0, original.0)?
    {
        return Ok(None);
    }
    let Some(original) = statuses::get_status(tx, original, app.bytes_max())? else {
        return Ok(None);
    };
    if !matches!(
        original.visibility,
        Visibility::Public | Visibility::Unlisted
    ) || original.reblog_of.is_some()
    {
        return Ok(None);
    }
    let id = id_for_time(app, tx, published_ms)?;
    let reblog = Status {
        uri: Some(activity_uri.to_string()),
        ..Status::reblog(
            id,
            actor,
            original.id,
            visibility,
            published_ms.min(now_ms()),
        )
    };
    statuses::insert_status(tx, &reblog, false)?;
    Edge::REBLOG.add(tx, actor.0, original.id.0, id.0)?;
    statuses::adjust_counts(tx, original.id, 0, 1, 0)?;
    accounts::adjust_counts(tx, actor, 1, 0, 0, Some(reblog.created_ms))?;
    super::statuses::fan_out(app, tx, &reblog)?;
    notify(
        app,
        tx,
        original.account_id,
        NotificationKind::Reblog,
        actor,
        Some(original.id),
    )?;
    Ok(Some(id))
}

/// A remote account favourites a status.
pub fn like(app: &App, actor: AccountId, status: StatusId) -> Result<bool, AppError> {
    app.write(|tx| like_in(app, tx, actor, status))
}

/// `like` in the caller's transaction.
pub fn like_in(
    app: &App,
    tx: &WriteTransaction,
    actor: AccountId,
    status: StatusId,
) -> Result<bool, AppError> {
    let favourite_id = app.next_id();
    {
        if statuses::get_status(tx, status, app.bytes_max())?.is_none() {
            return Ok(false);
        }
        if !Edge::FAVOURITE.add(tx, actor.0, status.0, favourite_id)? {
            return Ok(false);
        }
        statuses::adjust_counts(tx, status, 0, 0, 1)?;
        if let Some(target) = statuses::get_status(tx, status, app.bytes_max())? {
            notify(
                app,
                tx,
                target.account_id,
                NotificationKind::Favourite,
                actor,
                Some(status),
            )?;
        }
        Ok(true)
    }
}

pub fn unlike(app: &App, actor: AccountId, status: StatusId) -> Result<bool, AppError> {
    app.write(|tx| unlike_in(tx, actor, status))
}

/// `unlike` in the caller's transaction.
pub fn unlike_in(
    tx: &WriteTransaction,
    actor: AccountId,
    status: StatusId,
) -> Result<bool, AppError> {
    if Edge::FAVOURITE.remove(tx, actor.0, status.0)?.is_none() {
        return Ok(false);
    }
    statuses::adjust_counts(tx, status, 0, 0, -1)?;
    Ok(true)
}

/// How a remote Follow of a local account was answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FollowAnswer {
    Accepted,
    /// The account is locked: its owner answers later.
    Pending,
    Refused,
}

/// A remote account follows a local one; open accounts accept at once.
pub fn follow(
    app: &App,
    follower: AccountId,
    followee: AccountId,
    activity_uri: &str,
) -> Result<FollowAnswer, AppError> {
    app.write(|tx| follow_in(app, tx, follower, followee, activity_uri))
}

/// `follow` in the caller's transaction.
pub fn follow_in(
    app: &App,
    tx: &WriteTransaction,
    follower: AccountId,
    followee: AccountId,
    activity_uri: &str,
) -> Result<FollowAnswer, AppError> {
    let follow_id = app.next_id();
    {
        let Some(account) = accounts::get_account(tx, followee, app.bytes_max())? else {
            return Ok(FollowAnswer::Refused);
        };
        store::put_follow_activity(tx, follower.0, followee.0, activity_uri)?;
        if Edge::BLOCK.contains(tx, followee.0, follower.0)? || account.suspended_ms.is_some() {
            let intent = OutboxIntent::Reject {
                followee,
                follower,
                follow_activity: activity_uri.to_string(),
            };
            outbox::enqueue(app, tx, intent)?;
            return Ok(FollowAnswer::Refused);
        }
        if Edge::FOLLOW.contains(tx, follower.0, followee.0)? {
            // A repeated Follow (the peer lost our Accept): accept again.
            let intent = OutboxIntent::Accept {
                followee,
                follower,
                follow_activity: activity_uri.to_string(),
            };
            outbox::enqueue(app, tx, intent)?;
            return Ok(FollowAnswer::Accepted);
        }
        if account.locked {
            if Edge::FOLLOW_REQUEST.add(tx, follower.0, followee.0, follow_id)? {
                notify(
                    app,
                    tx,
                    followee,
                    NotificationKind::FollowRequest,
                    follower,
                    None,
                )?;
            }
            return Ok(FollowAnswer::Pending);
        }
        complete_follow(app, tx, follower, followee, follow_id)?;
        let intent = OutboxIntent::Accept {
            followee,
            follower,
            follow_activity: activity_uri.to_string(),
        };
        outbox::enqueue(app, tx, intent)?;
        Ok(FollowAnswer::Accepted)
    }
}

/// A remote account stops following (or asking to follow) a local one.
pub fn unfollow(app: &App, follower: AccountId, followee: AccountId) -> Result<(), AppError> {
    app.write(|tx| unfollow_in(tx, follower, followee))
}

/// `unfollow` in the caller's transaction.
pub fn unfollow_in(
    tx: &WriteTransaction,
    follower: AccountId,
    followee: AccountId,
) -> Result<(), AppError> {
    Edge::FOLLOW_REQUEST.remove(tx, follower.0, followee.0)?;
    remove_follow_edge(tx, follower, followee)
}

fn remove_follow_edge(
    tx: &WriteTransaction,
    follower: AccountId,
    followee: AccountId,
) -> Result<(), AppError> {
    if Edge::FOLLOW.remove(tx, follower.0, followee.0)?.is_some() {
        accounts::adjust_counts(tx, follower, 0, 0, -1, None)?;
        accounts::adjust_counts(tx, followee, 0, -1, 0, None)?;
    }
    Ok(())
}

/// A remote account answered our follow request.
pub fn answer_our_follow(
    app: &App,
    follower: AccountId,
    followee: AccountId,
    accepted: bool,
) -> Result<bool, AppError> {
    app.write(|tx| answer_our_follow_in(app, tx, follower, followee, accepted))
}

/// `answer_our_follow` in the caller's transaction.
pub fn answer_our_follow_in(
    app: &App,
    tx: &WriteTransaction,
    follower: AccountId,
    followee: AccountId,
    accepted: bool,
) -> Result<bool, AppError> {
    let Some(request_id) = Edge::FOLLOW_REQUEST.get(tx, follower.0, followee.0)? else {
        if !accepted {
            // A Reject after an Accept ends the follow (Mastodon's "remove follower").
            remove_follow_edge(tx, follower, followee)?;
        }
        return Ok(false);
    };
    if accepted {
        complete_follow(app, tx, follower, followee, request_id)?;
    } else {
        Edge::FOLLOW_REQUEST.remove(tx, follower.0, followee.0)?;
    }
    Ok(true)
}

/// A remote account blocks a local one: follows both ways end.
pub fn block(app: &App, blocker: AccountId, blocked: AccountId) -> Result<(), AppError> {
    app.write(|tx| block_in(app, tx, blocker, blocked))
}

/// `block` in the caller's transaction.
pub fn block_in(
    app: &App,
    tx: &WriteTransaction,
    blocker: AccountId,
    blocked: AccountId,
) -> Result<(), AppError> {
    let block_id = app.next_id();
    remove_follow_edge(tx, blocker, blocked)?;
    remove_follow_edge(tx, blocked, blocker)?;
    Edge::FOLLOW_REQUEST.remove(tx, blocker.0, blocked.0)?;
    Edge::FOLLOW_REQUEST.remove(tx, blocked.0, blocker.0)?;
    Edge::BLOCK.add(tx, blocker.0, blocked.0, block_id)?;
    Ok(())
}

pub fn unblock(app: &App, blocker: AccountId, blocked: AccountId) -> Result<(), AppError> {
    app.write(|tx| unblock_in(tx, blocker, blocked))
}

/// `unblock` in the caller's transaction.
pub fn unblock_in(
    tx: &WriteTransaction,
    blocker: AccountId,
    blocked: AccountId,
) -> Result<(), AppError> {
    Edge::BLOCK.remove(tx, blocker.0, blocked.0)?;
    Ok(())
}

/// A remote actor deleted itself: the account is suspended, its content hidden with it.
pub fn delete_actor(app: &App, actor: AccountId) -> Result<(), AppError> {
    app.write(|tx| delete_actor_in(app, tx, actor))
}

/// `delete_actor` in the caller's transaction.
pub fn delete_actor_in(app: &App, tx: &WriteTransaction, actor: AccountId) -> Result<(), AppError> {
    let Some(mut account) = accounts::get_account(tx, actor, app.bytes_max())? else {
        return Ok(());
    };
    if account.is_local() {
        return Err(AppError::Forbidden("a peer cannot delete a local account"));
    }
    account.suspended_ms.get_or_insert_with(now_ms);
    accounts::put_account(tx, &account)?;
    Ok(())
}

/// Whether an account is a local user.
pub fn local_account_exists(app: &App, id: AccountId) -> Result<bool, AppError> {
    Ok(app
        .store
        .read(|tx| accounts::get_user(tx, id, app.bytes_max()))?
        .is_some())
}

/// A boxed future, for the resolver below.
pub type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

/// Finds remote accounts over the network. Implemented by `federation` (which may fetch and
/// parse ActivityStreams) and installed once at start, so that layers beside it (the client
/// API's search) can ask for a remote account without importing it.
pub trait Resolver: Send + Sync {
    /// `user@host` to an account, fetched through WebFinger if it is not known.
    fn resolve_account<'a>(
        &'a self,
        app: &'a App,
        acct: &'a str,
    ) -> BoxFuture<'a, Result<AccountId, AppError>>;
    /// The URL of a remote actor or post to an account or a status, fetched if not known.
    fn resolve_url<'a>(
        &'a self,
        app: &'a App,
        url: &'a str,
    ) -> BoxFuture<'a, Result<Resolved, AppError>>;
}

/// What a URL resolved to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resolved {
    Account(AccountId),
    Status(StatusId),
}

/// Who sent the follow request `follow_id` to `target` (our Follow's id names it).
pub fn requester_of_follow(
    app: &App,
    target: AccountId,
    follow_id: u64,
) -> Result<Option<AccountId>, AppError> {
    app.store.read(|tx| {
        let page = store::Page {
            max_id: Some(follow_id.saturating_add(1)),
            limit: 1,
            ..store::Page::default()
        };
        Ok(Edge::FOLLOW_REQUEST
            .page_of_b(tx, target.0, page)?
            .into_iter()
            .find(|(id, _)| *id == follow_id)
            .map(|(_, requester)| AccountId(requester)))
    })
}

/// Links a stored reply to its parent once the parent is stored too.
pub fn link_reply(app: &App, child_uri: &str, parent_uri: &str) -> Result<(), AppError> {
    app.write(|tx| {
        let (Some(mut child), Some(parent)) = (
            status_by_uri(app, tx, child_uri)?,
            status_by_uri(app, tx, parent_uri)?,
        ) else {
            return Ok(());
        };
        if child.in_reply_to_id.is_some() || child.id == parent.id {
            return Ok(());
        }
        statuses::link_reply(tx, &mut child, &parent)?;
        statuses::adjust_counts(tx, parent.id, 1, 0, 0)?;
        Ok(())
    })
}

/// Local followers moved at most when an account moves (one transaction).
const MOVE_FOLLOWERS_MAX: usize = 10_000;

/// A remote account moved to `new`: its local followers follow `new` instead (as requests,
/// answered by the new account's server), as Mastodon does.
pub fn move_account(app: &App, old: AccountId, new: AccountId) -> Result<usize, AppError> {
    app.write(|tx| move_account_in(app, tx, old, new))
}

/// `move_account` in the caller's transaction.
pub fn move_account_in(
    app: &App,
    tx: &WriteTransaction,
    old: AccountId,
    new: AccountId,
) -> Result<usize, AppError> {
    let followers = Edge::FOLLOW.all_of_b(tx, old.0, MOVE_FOLLOWERS_MAX)?;
    let mut moved = 0;
    for follower in followers.into_iter().map(AccountId) {
        if accounts::get_user(tx, follower, app.bytes_max())?.is_none() || follower == new {
            continue;
        }
        remove_follow_edge(tx, follower, old)?;
        if Edge::FOLLOW.contains(tx, follower.0, new.0)?
            || Edge::FOLLOW_REQUEST.contains(tx, follower.0, new.0)?
        {
            continue;
        }
        let follow_id = app.next_id();
        Edge::FOLLOW_REQUEST.add(tx, follower.0, new.0, follow_id)?;
        outbox::enqueue(
            app,
            tx,
            OutboxIntent::Follow {
                follower,
                followee: new,
                follow_id,
            },
        )?;
        moved += 1;
    }
    Ok(moved)
}

/// A remote account features (pins) or unfeatures one of its statuses.
pub fn set_featured(
    app: &App,
    actor: AccountId,
    status: StatusId,
    featured: bool,
) -> Result<(), AppError> {
    app.write(|tx| set_featured_in(app, tx, actor, status, featured))
}

/// `set_featured` in the caller's transaction. A refusal comes before any write.
pub fn set_featured_in(
    app: &App,
    tx: &WriteTransaction,
    actor: AccountId,
    status: StatusId,
    featured: bool,
) -> Result<(), AppError> {
    let pin_id = app.next_id();
    {
        let Some(found) = statuses::get_status(tx, status, app.bytes_max())? else {
            return Ok(());
        };
        if found.account_id != actor {
            return Err(AppError::Forbidden("only the author features a status"));
        }
        if featured {
            Edge::PIN.add(tx, actor.0, status.0, pin_id)?;
        } else {
            Edge::PIN.remove(tx, actor.0, status.0)?;
        }
        Ok(())
    }
}

/// Characters of a reaction: one emoji, or a custom emoji's `:shortcode:`.
const REACTION_CHARS_MAX: usize = 64;

/// A remote account reacts to a status with an emoji (or takes it back with `None`).
pub fn react(
    app: &App,
    actor: AccountId,
    status: StatusId,
    emoji: Option<&str>,
) -> Result<bool, AppError> {
    app.write(|tx| react_in(app, tx, actor, status, emoji))
}

/// Whether `emoji` can be a reaction: one emoji or a `:shortcode:`, without spaces.
pub fn is_reaction(emoji: &str) -> bool {
    !emoji.is_empty()
        && emoji.chars().count() <= REACTION_CHARS_MAX
        && !emoji.contains(char::is_whitespace)
}

/// `react` in the caller's transaction. A refusal comes before any write.
pub fn react_in(
    app: &App,
    tx: &WriteTransaction,
    actor: AccountId,
    status: StatusId,
    emoji: Option<&str>,
) -> Result<bool, AppError> {
    if emoji.is_some_and(|emoji| !is_reaction(emoji)) {
        return Err(AppError::Validation("a reaction is one emoji".into()));
    }
    if statuses::get_status(tx, status, app.bytes_max())?.is_none() {
        return Ok(false);
    }
    statuses::set_reaction(tx, status, actor.0, emoji)?;
    Ok(true)
}

/// A peer's `Flag`: kept as a report for the moderators of `target`.
pub fn report(
    app: &App,
    reporter: AccountId,
    target: AccountId,
    statuses_reported: Vec<StatusId>,
    comment: &str,
    uri: &str,
) -> Result<u64, AppError> {
    app.write(|tx| report_in(app, tx, reporter, target, statuses_reported, comment, uri))
}

/// `report` in the caller's transaction. A refusal comes before any write.
pub fn report_in(
    app: &App,
    tx: &WriteTransaction,
    reporter: AccountId,
    target: AccountId,
    statuses_reported: Vec<StatusId>,
    comment: &str,
    uri: &str,
) -> Result<u64, AppError> {
    /// Characters of a report's comment kept (Mastodon: 1,000).
    const COMMENT_CHARS_MAX: usize = 1000;
    let report = crate::model::Report {
        id: app.next_id(),
        reporter,
        target,
        statuses: statuses_reported,
        comment: comment.chars().take(COMMENT_CHARS_MAX).collect(),
        uri: Some(uri.to_string()),
        created_ms: now_ms(),
    };
    {
        // A domain blocked with `reject_reports`: its reports are dropped, as in Mastodon.
        let rejected = match accounts::get_account(tx, reporter, app.bytes_max())? {
            Some(account) => super::domains::severity_block(app, tx, &account)?
                .is_some_and(|block| block.reject_reports),
            None => false,
        };
        if rejected {
            return Err(AppError::Forbidden("reports from this domain are rejected"));
        }
        statuses::put_report(tx, &report)?;
        Ok(report.id)
    }
}
