//! Applying verified inbound activities. The inbox checked that the signer is the `actor`;
//! here every object is checked against the actor's origin, embedded objects from other
//! origins are refetched from their own origin (never trusted as embedded), and each kind is
//! handed to `app::remote`.
//!
//! Architecture Invariant: an activity is applied at most once (`SEEN_ACTIVITIES`), and leaves
//! the queue only after it was applied or refused.

use serde_json::Value;

use crate::app::relays;
use crate::app::remote::{self, NoteInput};
use crate::app::{App, AppError};
use crate::model::{AccountId, InboundActivity, StatusId, Visibility};
use crate::store::{Edge, Page, queues};
use crate::util::time::now_ms;

use super::FederationError;
use super::fetch::{self, parse_options};
use super::vocab::{self, Activity, ActivityKind, Note, Object, ObjectRef};

/// Activities applied per turn of the worker (one durable commit each).
pub const ACTIVITIES_PER_BATCH: usize = 128;
/// Bytes of activity bodies read into one batch (at least one activity is): what bounds the
/// worker's memory, since a body may be 1 MiB.
pub const BATCH_BODY_BYTES_MAX: usize = 4 * 1024 * 1024;
/// Signers whose activities are applied at once within a batch. One signer's activities are
/// applied in order (its Create before its Update and Delete); different signers' interleave,
/// as they would arriving at the same time.
pub const APPLY_LANES_MAX: usize = 4;
/// Objects fetched on behalf of one inbound activity (activitypub-federation: 20).
const FETCHES_PER_ACTIVITY_MAX: usize = 4;

/// Applies up to one batch of queued activities; returns how many it took off the queue.
///
/// Group commit: every write of the batch commits without fsync (`Store::deferred`), and one
/// durable commit at the end takes the batch off the queue. redb persists commits in order,
/// so after a crash either all of the batch is applied and gone from the queue, or none of it
/// is applied and all of it is still queued, to be applied again.
pub async fn process_batch(app: &App) -> Result<usize, FederationError> {
    use futures_util::StreamExt;
    let batch = app
        .run(|app| {
            Ok(app.store.read(|tx| {
                queues::peek_inbound_bytes(
                    tx,
                    ACTIVITIES_PER_BATCH,
                    BATCH_BODY_BYTES_MAX,
                    app.bytes_max(),
                )
            })?)
        })
        .await?;
    // One lane per signer, in queue order.
    let mut lanes: Vec<(String, Vec<(u64, InboundActivity)>)> = Vec::new();
    for (id, item) in batch {
        match lanes.iter_mut().find(|(signer, _)| *signer == item.signer) {
            Some((_, lane)) => lane.push((id, item)),
            None => lanes.push((item.signer.clone(), vec![(id, item)])),
        }
    }
    let results: Vec<(Vec<u64>, Option<FederationError>)> = futures_util::stream::iter(lanes)
        .map(|(_, lane)| apply_lane(app, lane))
        .buffer_unordered(APPLY_LANES_MAX)
        .collect()
        .await;
    let mut applied = Vec::new();
    let mut outcome = Ok(());
    for (ids, error) in results {
        applied.extend(ids);
        if let Some(error) = error {
            outcome = Err(error);
        }
    }
    let count = applied.len();
    app.run(move |app| {
        Ok(app.store.write(|tx| {
            for id in &applied {
                queues::remove_inbound(tx, *id)?;
            }
            Ok::<_, crate::store::StoreError>(())
        })?)
    })
    .await?;
    app.ingest.applied(count as u64);
    outcome.map(|()| count)
}

/// Applies one signer's activities in order; the ids taken off the queue, and the storage
/// error that stopped the lane, if one did (the rest of the lane stays queued).
async fn apply_lane(
    app: &App,
    lane: Vec<(u64, InboundActivity)>,
) -> (Vec<u64>, Option<FederationError>) {
    let mut applied = Vec::with_capacity(lane.len());
    for (id, item) in &lane {
        if let Err(error) = apply_one(app, item).await {
            match error {
                // Storage trouble: keep the activity and try again later.
                FederationError::App(AppError::Unavailable(_)) => return (applied, Some(error)),
                other => {
                    tracing::info!(error = %other, signer = %item.signer, "inbound activity refused")
                }
            }
        }
        applied.push(*id);
    }
    (applied, None)
}

/// `App::run` with the operation's commits deferred to the batch's durable commit
/// (`process_batch`).
async fn deferred<T: Send + 'static>(
    app: &App,
    operation: impl FnOnce(&App) -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    app.run(move |app| crate::store::Store::deferred(|| operation(app)))
        .await
}

/// Applies one verified activity, or says why it was refused. An activity seen before is
/// `Ok` and changes nothing. This is what the worker runs for each queued activity; tests call
/// it directly to read the reason of a refusal.
pub async fn apply_one(app: &App, item: &InboundActivity) -> Result<(), FederationError> {
    let value: Value = serde_json::from_slice(&item.body)
        .map_err(|error| FederationError::Json(error.to_string()))?;
    let Object::Activity(activity) = vocab::parse(&value, parse_options(app))? else {
        return Err(FederationError::refused("not an activity"));
    };
    // What an accepted relay delivers is relay content: its Announces, and activities of
    // others that it forwards (the only case where the signer is not the actor).
    let relay = app
        .store
        .read(|tx| relays::accepted_relay_of(app, tx, &item.signer))?;
    if activity.actor != item.signer && relay.is_none() {
        return Err(FederationError::refused("the signer is not the actor"));
    }
    // The inbox checked the domain when it queued the activity; a block since then drops it.
    for uri in [&item.signer, &activity.actor] {
        let host =
            fetch::host_of(uri).ok_or_else(|| FederationError::refused("signer without host"))?;
        fetch::check_domain(app, &host)?;
    }
    if !vocab::same_origin(&activity.id, &activity.actor) {
        return Err(FederationError::refused(
            "activity id on another origin than its actor",
        ));
    }
    let activity_id = activity.id.clone();
    let first_time = deferred(app, move |app| {
        Ok(app
            .store
            .write(|tx| queues::mark_seen(tx, &activity_id, now_ms()))?)
    })
    .await?;
    if !first_time {
        return Ok(());
    }
    let mut budget = FETCHES_PER_ACTIVITY_MAX;
    if let Some(relay) = relay {
        let forwarded = activity.actor != item.signer;
        if forwarded || activity.kind == ActivityKind::Announce {
            return relay_content(app, relay.id, &activity, forwarded, &mut budget).await;
        }
    }
    let actor = fetch::ensure_actor(app, &activity.actor).await?;
    match activity.kind {
        ActivityKind::Create => create(app, actor, &activity, &mut budget).await,
        ActivityKind::Update => update(app, actor, &activity).await,
        ActivityKind::Delete => delete(app, actor, &activity).await,
        ActivityKind::Announce => announce(app, actor, &activity, &mut budget).await,
        ActivityKind::Like => like(app, actor, &activity).await,
        ActivityKind::Follow => follow(app, actor, &activity).await,
        ActivityKind::Accept | ActivityKind::Reject => answer(app, actor, &activity).await,
        ActivityKind::Undo => undo(app, actor, &activity).await,
        ActivityKind::Block => block(app, actor, &activity).await,
        ActivityKind::Move => move_account(app, actor, &activity).await,
        ActivityKind::EmojiReact => react(app, actor, &activity, true).await,
        ActivityKind::Flag => flag(app, actor, &activity).await,
        ActivityKind::Add | ActivityKind::Remove => featured(app, actor, &activity).await,
        // Flag, Move, Add, Remove, EmojiReact and others are accepted and not acted on yet
        // (FEDERATION.md).
        _ => Ok(()),
    }
}

fn object_id(activity: &Activity) -> Result<String, FederationError> {
    activity
        .object
        .id()
        .map(str::to_string)
        .ok_or_else(|| FederationError::refused("activity without object"))
}

/// The note of a Create or Update: embedded and on the actor's origin, or fetched from its
/// own origin.
async fn note_of(
    app: &App,
    activity: &Activity,
    budget: &mut usize,
) -> Result<Note, FederationError> {
    if let ObjectRef::Embedded(object) = &activity.object {
        if let Object::Note(note) = object.as_ref() {
            if vocab::same_origin(&note.id, &activity.actor) {
                return Ok(note.as_ref().clone());
            }
        }
    }
    fetch_note(app, &object_id(activity)?, budget).await
}

async fn fetch_note(app: &App, uri: &str, budget: &mut usize) -> Result<Note, FederationError> {
    if *budget == 0 {
        return Err(FederationError::refused("fetch budget spent"));
    }
    *budget -= 1;
    let (value, final_url) = fetch::get_json(app, uri, true).await?;
    match vocab::parse(&value, parse_options(app))? {
        Object::Note(note) if vocab::same_origin(&note.id, final_url.as_str()) => Ok(*note),
        _ => Err(FederationError::refused(format!("{uri} is not a post"))),
    }
}

/// Mastodon's visibility of an addressed object.
fn visibility(note: &Note, followers: Option<&str>) -> Visibility {
    if note.to.iter().any(|to| vocab::is_public(to)) {
        Visibility::Public
    } else if note.cc.iter().any(|cc| vocab::is_public(cc)) {
        Visibility::Unlisted
    } else if followers
        .is_some_and(|followers| note.to.iter().chain(&note.cc).any(|to| to == followers))
    {
        Visibility::Private
    } else {
        Visibility::Direct
    }
}

/// Turns a note into what `app::remote` stores: mentions resolved to known accounts.
pub(super) async fn note_input(
    app: &App,
    author: AccountId,
    note: &Note,
) -> Result<NoteInput, FederationError> {
    let followers = remote::actor(app, author)?.and_then(|actor| actor.followers);
    let mut mentions = Vec::new();
    for mention in &note.mentions {
        if let Some(id) = remote::account_by_uri(app, &mention.href)? {
            if !mentions.contains(&id) {
                mentions.push(id);
            }
        }
    }
    Ok(NoteInput {
        uri: note.id.clone(),
        author,
        in_reply_to: note.in_reply_to.clone(),
        content_html: note.content_html.clone(),
        spoiler_text: note.summary.clone(),
        sensitive: note.sensitive,
        language: note.language.clone(),
        visibility: visibility(note, followers.as_deref()),
        mentions,
        tags: note.hashtags.iter().map(|tag| tag.to_lowercase()).collect(),
        published_ms: note.published_ms.unwrap_or_else(now_ms),
        updated_ms: note.updated_ms,
        quote: note.quote.clone(),
        poll: note.poll.as_ref().map(poll_of),
        media: note.attachments.iter().map(remote_media).collect(),
        emojis: note
            .emojis
            .iter()
            .map(|emoji| (emoji.shortcode.clone(), emoji.image_url.clone()))
            .collect(),
    })
}

/// A remote attachment as `app::media` records it: the kind from `mediaType` (or the AS2
/// type), the rest as parsed (already capped by `vocab`).
fn remote_media(attachment: &vocab::Attachment) -> crate::app::media::RemoteMediaInput {
    use crate::model::MediaKind;
    let media_type = attachment.media_type.as_deref().unwrap_or_default();
    let kind = match (media_type.split('/').next(), attachment.kind.as_str()) {
        (Some("image"), _) | (_, "Image") => MediaKind::Image,
        (Some("video"), _) | (_, "Video") => MediaKind::Video,
        (Some("audio"), _) | (_, "Audio") => MediaKind::Audio,
        _ => MediaKind::Unknown,
    };
    crate::app::media::RemoteMediaInput {
        url: attachment.url.clone(),
        kind,
        media_type: attachment.media_type.clone(),
        description: attachment.description.clone(),
        width: attachment.width,
        height: attachment.height,
        blurhash: attachment.blurhash.clone(),
        focus: attachment.focal_point,
    }
}

/// A `Question`'s options and counts, as stored for the API (counts clamp to `u32`).
fn poll_of(poll: &vocab::Poll) -> crate::model::Poll {
    let count = |value: u64| u32::try_from(value).unwrap_or(u32::MAX);
    crate::model::Poll {
        options: poll
            .options
            .iter()
            .map(|option| crate::model::PollOption {
                title: option.title.clone(),
                votes: count(option.votes_count),
            })
            .collect(),
        multiple: poll.multiple,
        expires_ms: poll.end_ms.or(poll.closed_ms),
        voters: count(poll.voters_count.unwrap_or(0)),
    }
}

/// Whether a remote post concerns this server: a local account follows its author, it
/// mentions a local account, or it replies to a local status. Others are not stored. A direct
/// post concerns only the accounts it mentions: someone else's message (or a poll vote) is not
/// stored because a local account follows its author.
fn is_wanted(app: &App, input: &NoteInput) -> Result<bool, AppError> {
    if input
        .mentions
        .iter()
        .any(|id| remote::local_account_exists(app, *id).unwrap_or(false))
    {
        return Ok(true);
    }
    if input.visibility == Visibility::Direct {
        return Ok(false);
    }
    if let Some(parent) = &input.in_reply_to {
        if app
            .store
            .read(|tx| remote::status_by_uri(app, tx, parent))?
            .is_some()
        {
            return Ok(true);
        }
    }
    app.store.read(|tx| {
        Ok(!Edge::FOLLOW
            .page_of_b(tx, input.author.0, Page::newest(1))?
            .is_empty())
    })
}

async fn create(
    app: &App,
    actor: AccountId,
    activity: &Activity,
    budget: &mut usize,
) -> Result<(), FederationError> {
    let note = note_of(app, activity, budget).await?;
    if note.attributed_to != activity.actor {
        return Err(FederationError::refused("a Create of someone else's post"));
    }
    // A post fetched from another origin may name any author: only its own origin's actors
    // are believed (Mastodon's `trustworthy_attribution?`).
    if !vocab::same_origin(&note.id, &note.attributed_to) {
        return Err(FederationError::refused(
            "a post attributed to an actor of another origin",
        ));
    }
    // A vote: a Note named as an option, without content, in reply to one of our polls.
    if let (Some(question), false) = (&note.in_reply_to, note.name.is_empty()) {
        if note.content_html.trim().is_empty() || note.content_html == note.name {
            let lookup = question.clone();
            let target = deferred(app, move |app| {
                app.store.read(|tx| remote::status_by_uri(app, tx, &lookup))
            })
            .await?;
            if let Some(target) = target.filter(|status| {
                remote::local_account_exists(app, status.account_id).unwrap_or(false)
            }) {
                let option = note.name.clone();
                deferred(app, move |app| {
                    crate::app::polls::remote_vote(app, actor, target.id, &option)
                })
                .await?;
                return Ok(());
            }
        }
    }
    let input = note_input(app, actor, &note).await?;
    let parent = input.in_reply_to.clone();
    let stored = deferred(app, move |app| {
        if !is_wanted(app, &input)? {
            return Ok(false);
        }
        Ok(remote::create_status(app, input)?.is_some())
    })
    .await?;
    if let (true, Some(parent)) = (stored, parent) {
        fetch_ancestors(app, note.id.clone(), parent, budget).await;
    }
    Ok(())
}

/// Fetches the posts a stored reply answers, up the thread, within the activity's fetch
/// budget: a loop over stored data, not recursion. Failures end the walk quietly.
async fn fetch_ancestors(app: &App, mut child: String, mut uri: String, budget: &mut usize) {
    while *budget > 0 {
        let lookup = uri.clone();
        let known = deferred(app, move |app| {
            Ok(app
                .store
                .read(|tx| remote::status_by_uri(app, tx, &lookup))?
                .is_some())
        })
        .await;
        if !matches!(known, Ok(false)) {
            return;
        }
        let Ok(note) = fetch_note(app, &uri, budget).await else {
            return;
        };
        if !vocab::same_origin(&note.id, &note.attributed_to) {
            return;
        }
        let Ok(author) = fetch::ensure_actor(app, &note.attributed_to).await else {
            return;
        };
        let Ok(input) = note_input(app, author, &note).await else {
            return;
        };
        let next = input.in_reply_to.clone();
        if deferred(app, move |app| remote::create_status(app, input))
            .await
            .is_err()
        {
            return;
        }
        // The child was stored before its parent: link it now.
        let (child_uri, parent_uri) = (child.clone(), uri.clone());
        if deferred(app, move |app| {
            remote::link_reply(app, &child_uri, &parent_uri)
        })
        .await
        .is_err()
        {
            return;
        }
        let Some(next_uri) = next else { return };
        child = std::mem::replace(&mut uri, next_uri);
    }
}

async fn update(app: &App, actor: AccountId, activity: &Activity) -> Result<(), FederationError> {
    match &activity.object {
        ObjectRef::Embedded(object) => match object.as_ref() {
            Object::Actor(updated) if updated.id == activity.actor => {
                let input = fetch::actor_input(updated, &activity.actor)?;
                deferred(app, move |app| remote::upsert_actor(app, input)).await?;
                Ok(())
            }
            Object::Note(note)
                if note.attributed_to == activity.actor
                    && vocab::same_origin(&note.id, &activity.actor) =>
            {
                let input = note_input(app, actor, note).await?;
                deferred(app, move |app| remote::update_status(app, input)).await?;
                Ok(())
            }
            _ => Err(FederationError::refused(
                "an Update of something the actor does not own",
            )),
        },
        _ => Ok(()),
    }
}

async fn delete(app: &App, actor: AccountId, activity: &Activity) -> Result<(), FederationError> {
    let target = object_id(activity)?;
    if target == activity.actor {
        deferred(app, move |app| remote::delete_actor(app, actor)).await?;
        return Ok(());
    }
    if !vocab::same_origin(&target, &activity.actor) {
        return Err(FederationError::refused(
            "a Delete of another origin's object",
        ));
    }
    deferred(app, move |app| remote::delete_by_uri(app, actor, &target)).await?;
    Ok(())
}

async fn announce(
    app: &App,
    actor: AccountId,
    activity: &Activity,
    budget: &mut usize,
) -> Result<(), FederationError> {
    let target = object_id(activity)?;
    let lookup = target.clone();
    let mut status = deferred(app, move |app| {
        Ok(app
            .store
            .read(|tx| remote::status_by_uri(app, tx, &lookup))?
            .map(|status| status.id))
    })
    .await?;
    if status.is_none() {
        // Announced posts are fetched from their own origin, never taken from the Announce.
        let note = fetch_note(app, &target, budget).await?;
        let author = fetch::ensure_actor(app, &note.attributed_to).await?;
        if !vocab::same_origin(&note.attributed_to, &note.id) {
            return Err(FederationError::refused(
                "announced post attributed to another origin",
            ));
        }
        let input = note_input(app, author, &note).await?;
        status = deferred(app, move |app| {
            remote::create_status(app, input.clone())?;
            Ok(app
                .store
                .read(|tx| crate::store::statuses::status_id_by_uri(tx, &input.uri))?)
        })
        .await?;
    }
    let Some(original) = status else {
        return Ok(());
    };
    let (id, published) = (
        activity.id.clone(),
        activity.published_ms.unwrap_or_else(now_ms),
    );
    let visibility = if activity.to.iter().any(|to| vocab::is_public(to)) {
        Visibility::Public
    } else {
        Visibility::Unlisted
    };
    deferred(app, move |app| {
        remote::announce(app, actor, &id, original, published, visibility)
    })
    .await?;
    Ok(())
}

/// The status an activity's object names, if we have it.
async fn known_status(app: &App, uri: String) -> Result<Option<StatusId>, FederationError> {
    Ok(deferred(app, move |app| {
        Ok(app
            .store
            .read(|tx| remote::status_by_uri(app, tx, &uri))?
            .map(|status| status.id))
    })
    .await?)
}

async fn like(app: &App, actor: AccountId, activity: &Activity) -> Result<(), FederationError> {
    let Some(status) = known_status(app, object_id(activity)?).await? else {
        return Ok(());
    };
    deferred(app, move |app| remote::like(app, actor, status)).await?;
    // Misskey's reactions are Likes with the emoji as `content`: kept as a reaction too.
    if activity.content.is_some() {
        react(app, actor, activity, true).await?;
    }
    Ok(())
}

/// `EmojiReact` (or a Misskey Like with content): kept per status for the API; `false`
/// takes it back (Undo).
async fn react(
    app: &App,
    actor: AccountId,
    activity: &Activity,
    on: bool,
) -> Result<(), FederationError> {
    let Some(status) = known_status(app, object_id(activity)?).await? else {
        return Ok(());
    };
    let emoji = if on {
        Some(
            activity
                .content
                .clone()
                .ok_or_else(|| FederationError::refused("a reaction without content"))?,
        )
    } else {
        None
    };
    deferred(app, move |app| {
        remote::react(app, actor, status, emoji.as_deref())
    })
    .await?;
    Ok(())
}

/// `Flag`: reports of local accounts (and their statuses) kept for the moderators.
async fn flag(app: &App, actor: AccountId, activity: &Activity) -> Result<(), FederationError> {
    let ids: Vec<String> = match &activity.object {
        ObjectRef::Ids(ids) => ids.clone(),
        other => other
            .id()
            .map(|id| vec![id.to_string()])
            .unwrap_or_default(),
    };
    let mut target = None;
    let mut reported = Vec::new();
    for id in &ids {
        if let Some(account) = remote::local_account_by_uri(app, id)? {
            target.get_or_insert(account);
        } else if let Some(status) = known_status(app, id.clone()).await? {
            reported.push(status);
        }
    }
    let Some(target) = target else {
        return Err(FederationError::refused("a Flag of no local account"));
    };
    let (comment, uri) = (
        activity.content.clone().unwrap_or_default(),
        activity.id.clone(),
    );
    deferred(app, move |app| {
        remote::report(app, actor, target, reported, &comment, &uri)
    })
    .await?;
    Ok(())
}
async fn follow(app: &App, actor: AccountId, activity: &Activity) -> Result<(), FederationError> {
    let target = object_id(activity)?;
    let Some(followee) = remote::local_account_by_uri(app, &target)? else {
        return Err(FederationError::refused(
            "a Follow of an account not on this server",
        ));
    };
    let id = activity.id.clone();
    deferred(app, move |app| remote::follow(app, actor, followee, &id)).await?;
    Ok(())
}

/// An Accept or Reject of one of our Follows: the embedded Follow names the local follower;
/// a bare id is one of our follow URLs (`https://host/follows/ID`).
async fn answer(app: &App, actor: AccountId, activity: &Activity) -> Result<(), FederationError> {
    let accepted = activity.kind == ActivityKind::Accept;
    // A relay's answer to the instance actor's Follow (`app::relays::follow_id`).
    let follow_id = match &activity.object {
        ObjectRef::Embedded(object) => match object.as_ref() {
            Object::Activity(follow) => Some(follow.id.clone()),
            _ => None,
        },
        other => other.id().map(str::to_string),
    };
    if let Some(relay_id) = follow_id
        .as_deref()
        .and_then(|id| relays::relay_id_of_follow(app, id))
    {
        let signer = activity.actor.clone();
        let matched = deferred(app, move |app| {
            relays::answer(app, relay_id, &signer, accepted)
        })
        .await?;
        if !matched {
            return Err(FederationError::refused(
                "an answer to no relay Follow of ours",
            ));
        }
        return Ok(());
    }
    let follower = match &activity.object {
        ObjectRef::Embedded(object) => match object.as_ref() {
            Object::Activity(follow) if follow.kind == ActivityKind::Follow => {
                remote::local_account_by_uri(app, &follow.actor)?
            }
            _ => None,
        },
        _ => None,
    };
    let follower = match follower {
        Some(follower) => Some(follower),
        None => {
            let id = object_id(activity)?;
            let follow_id = id
                .strip_prefix(&format!("{}/follows/", app.base_url))
                .and_then(|rest| rest.parse::<u64>().ok());
            match follow_id {
                Some(follow_id) => {
                    deferred(app, move |app| {
                        remote::requester_of_follow(app, actor, follow_id)
                    })
                    .await?
                }
                None => None,
            }
        }
    };
    let Some(follower) = follower else {
        return Err(FederationError::refused("an answer to no Follow of ours"));
    };
    deferred(app, move |app| {
        remote::answer_our_follow(app, follower, actor, accepted)
    })
    .await?;
    Ok(())
}

async fn undo(app: &App, actor: AccountId, activity: &Activity) -> Result<(), FederationError> {
    let ObjectRef::Embedded(object) = &activity.object else {
        // A bare id: it can only name an Announce we stored under its id.
        let target = object_id(activity)?;
        if vocab::same_origin(&target, &activity.actor) {
            deferred(app, move |app| remote::delete_by_uri(app, actor, &target)).await?;
        }
        return Ok(());
    };
    let Object::Activity(undone) = object.as_ref() else {
        return Ok(());
    };
    if undone.actor != activity.actor {
        return Err(FederationError::refused(
            "an Undo of someone else's activity",
        ));
    }
    match undone.kind {
        ActivityKind::Follow => {
            let Some(followee) = remote::local_account_by_uri(app, &object_id(undone)?)? else {
                return Ok(());
            };
            deferred(app, move |app| remote::unfollow(app, actor, followee)).await?;
        }
        ActivityKind::Like => {
            let Some(status) = known_status(app, object_id(undone)?).await? else {
                return Ok(());
            };
            deferred(app, move |app| remote::unlike(app, actor, status)).await?;
        }
        ActivityKind::Announce => {
            let id = undone.id.clone();
            deferred(app, move |app| remote::delete_by_uri(app, actor, &id)).await?;
        }
        ActivityKind::EmojiReact => react(app, actor, undone, false).await?,
        ActivityKind::Block => {
            let Some(blocked) = remote::local_account_by_uri(app, &object_id(undone)?)? else {
                return Ok(());
            };
            deferred(app, move |app| remote::unblock(app, actor, blocked)).await?;
        }
        _ => {}
    }
    Ok(())
}

async fn block(app: &App, actor: AccountId, activity: &Activity) -> Result<(), FederationError> {
    let Some(blocked) = remote::local_account_by_uri(app, &object_id(activity)?)? else {
        return Ok(());
    };
    deferred(app, move |app| remote::block(app, actor, blocked)).await?;
    Ok(())
}

/// `Move`: the new account must list the old one in `alsoKnownAs` (checked on a fresh fetch
/// of the new account from its own origin).
async fn move_account(
    app: &App,
    actor: AccountId,
    activity: &Activity,
) -> Result<(), FederationError> {
    if object_id(activity)? != activity.actor {
        return Err(FederationError::refused("a Move of another account"));
    }
    let target = activity
        .target
        .clone()
        .ok_or_else(|| FederationError::refused("a Move without target"))?;
    let (value, final_url) = fetch::get_json(app, &target, true).await?;
    let Object::Actor(new_actor) = vocab::parse(&value, parse_options(app))? else {
        return Err(FederationError::refused(
            "a Move to something that is not an actor",
        ));
    };
    if !new_actor
        .also_known_as
        .iter()
        .any(|alias| alias == &activity.actor)
    {
        return Err(FederationError::refused(
            "the new account does not name the old one in alsoKnownAs",
        ));
    }
    let input = fetch::actor_input(&new_actor, final_url.as_str())?;
    let new = deferred(app, move |app| remote::upsert_actor(app, input)).await?;
    deferred(app, move |app| remote::move_account(app, actor, new)).await?;
    Ok(())
}

/// `Add`/`Remove` of one of the actor's statuses to its featured collection (pins).
async fn featured(app: &App, actor: AccountId, activity: &Activity) -> Result<(), FederationError> {
    let target = activity.target.clone().unwrap_or_default();
    if !vocab::same_origin(&target, &activity.actor) {
        return Err(FederationError::refused("a collection of another origin"));
    }
    let Some(status) = known_status(app, object_id(activity)?).await? else {
        return Ok(());
    };
    let featured = activity.kind == ActivityKind::Add;
    deferred(app, move |app| {
        remote::set_featured(app, actor, status, featured)
    })
    .await?;
    Ok(())
}

/// What a relay delivers: an `Announce` of a post, or another server's `Create` (or
/// `Announce`) forwarded as it was. The post is never taken from the activity: it is fetched
/// from its own origin within the activity's fetch budget, its author must be of that origin
/// (and, for a forwarded Create, the Create's actor), and it is stored whether or not a
/// local account follows its author: relay content is for the federated timeline.
async fn relay_content(
    app: &App,
    relay_id: u64,
    activity: &Activity,
    forwarded: bool,
    budget: &mut usize,
) -> Result<(), FederationError> {
    if !matches!(activity.kind, ActivityKind::Create | ActivityKind::Announce) {
        return Err(FederationError::refused(
            "a relay forwards only Create and Announce",
        ));
    }
    let target = object_id(activity)?;
    let known = known_status(app, target.clone()).await?.is_some();
    if !known {
        let note = fetch_note(app, &target, budget).await?;
        if !vocab::same_origin(&note.attributed_to, &note.id) {
            return Err(FederationError::refused(
                "relayed post attributed to another origin",
            ));
        }
        if forwarded
            && activity.kind == ActivityKind::Create
            && note.attributed_to != activity.actor
        {
            return Err(FederationError::refused("a Create of someone else's post"));
        }
        let host = fetch::host_of(&note.attributed_to)
            .ok_or_else(|| FederationError::refused("author without host"))?;
        fetch::check_domain(app, &host)?;
        let author = fetch::ensure_actor(app, &note.attributed_to).await?;
        let input = note_input(app, author, &note).await?;
        deferred(app, move |app| remote::create_status(app, input)).await?;
    }
    deferred(app, move |app| {
        app.write(|tx| relays::count_received(app, tx, relay_id, now_ms()))
    })
    .await?;
    Ok(())
}
