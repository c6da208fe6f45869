//! Applying verified inbound activities. The inbox checked that the signer is the `actor`;
//! here every object is checked against the actor's origin, embedded objects from other
//! origins are refetched from their own origin (never trusted as embedded), and each kind is
//! handed to `app::remote`.
//!
//! A batch of queued activities goes through three phases:
//! 1. *parse* (one blocking task): JSON, `vocab::parse` with sanitizing, the signer, domain
//!    and origin checks, and whether the activity id was seen before;
//! 2. *prepare* (async, `PREPARE_CONCURRENCY` at once, results in queue order): everything
//!    that may need the network — a missing or stale actor, a post that is only named, the
//!    new account of a Move — through the guarded client and the activity's fetch budget;
//!    the outcome is an `Op`, a plain description of the change;
//! 3. *apply*: slices of the batch handed to the inbox's committer (`ingest::ApplyJob`), each
//!    applied inside one of its durable write transactions, beside the acknowledgements it
//!    commits; for each activity in queue order it takes it off the queue, records its id as
//!    seen and makes its change. Lookups that an earlier activity of the same batch may change
//!    (is the post known? is it wanted?) happen here, inside the transaction. A slice runs
//!    for at most `ingest::APPLY_SLICE_MS_MAX`, and much shorter once acknowledgements wait.
//!
//! While a batch is applied, the next one (after the last queue id read) is parsed and
//! prepared, so the single writer does not sit idle between batches. What it prepares may not
//! see the batch being applied: a post carried by that batch's Creates is carried over (no
//! fetch), the apply phase looks again inside its transaction, and a batch holding a relay's
//! answer (which the next parse reads) is written before the next one is parsed.
//!
//! Side effects leave after the commit: streaming events (`App::write`), media prefetches,
//! the outbox worker's wake-up, and the walk up a stored reply's thread (its own fetches and
//! transactions, within what is left of the activity's fetch budget).
//!
//! Architecture Invariant: an activity leaves the queue in the transaction that applies (or
//! refuses) it, and its id is recorded as seen in that same transaction, so a crash loses
//! nothing acknowledged and applies nothing twice.
//!
//! Architecture Invariant: a refusal inside the apply phase comes before the refused
//! activity writes anything (the `app::remote::*_in` functions check first), so one refused
//! activity is skipped and the batch goes on. Any other error aborts the transaction; the
//! batch is then applied again one activity per transaction, so an activity that cannot be
//! written is refused alone and never holds up the queue.

use std::collections::HashMap;

use redb::WriteTransaction;
use serde_json::Value;

use crate::app::remote::{self, ActorInput, NoteInput};
use crate::app::{App, AppError};
use crate::app::{ingest, relays};
use crate::model::{AccountId, InboundActivity, MediaId, Relay, StatusId, Visibility};
use crate::store::{Edge, Page, Reader, StoreError, queues};
use crate::util::time::now_ms;

use super::FederationError;
use super::fetch::{self, parse_options};
use super::vocab::{self, Activity, ActivityKind, Note, Object, ObjectRef};

/// Activities read, parsed and prepared together. The committer applies a batch in slices
/// (`ingest::APPLY_SLICE_MS_MAX`); a batch that fits one slice costs one commit (two fsyncs),
/// which under a flood is what applying waits for most.
pub const ACTIVITIES_PER_BATCH: usize = 256;
/// Bytes of activity bodies read into one batch (at least one activity is): what bounds the
/// worker's memory, since a body may be 1 MiB.
pub const BATCH_BODY_BYTES_MAX: usize = 4 * 1024 * 1024;
/// Activities of a batch prepared at once: their fetches (a new actor, a post that is only
/// named) overlap instead of adding up. Results keep the queue's order.
pub const PREPARE_CONCURRENCY: usize = 16;
/// Objects fetched on behalf of one inbound activity (activitypub-federation: 20).
const FETCHES_PER_ACTIVITY_MAX: usize = 4;

/// A verified activity, decided: what its apply phase will do. Holds ids and parsed,
/// sanitized values; nothing here has been written yet.
#[derive(Debug)]
pub enum Op {
    /// Seen before, or a kind that is accepted and not acted on.
    Nothing,
    /// A post (or a vote on one of our polls). `budget` is what is left of the activity's
    /// fetches, for the thread walk after commit.
    Create {
        actor: AccountId,
        note: Box<Note>,
        budget: usize,
    },
    UpsertActor(Box<ActorInput>),
    UpdateStatus {
        actor: AccountId,
        note: Box<Note>,
    },
    DeleteActor(AccountId),
    /// A Delete of a post, or an Undo of an Announce (the reblog is stored under its id).
    DeleteUri {
        actor: AccountId,
        uri: String,
    },
    /// `post`: the announced post and its author, when it was not known while preparing.
    Announce {
        actor: AccountId,
        id: String,
        target: String,
        published_ms: u64,
        visibility: Visibility,
        post: Option<(AccountId, Box<Note>)>,
    },
    Like {
        actor: AccountId,
        target: String,
        reaction: Option<String>,
    },
    /// An EmojiReact (`on`) or its Undo.
    React {
        actor: AccountId,
        target: String,
        on: bool,
        emoji: Option<String>,
    },
    Unlike {
        actor: AccountId,
        target: String,
    },
    Follow {
        actor: AccountId,
        followee: AccountId,
        id: String,
    },
    Unfollow {
        actor: AccountId,
        followee: AccountId,
    },
    RelayAnswer {
        relay_id: u64,
        signer: String,
        accepted: bool,
    },
    AnswerFollow {
        follower: AccountId,
        actor: AccountId,
        accepted: bool,
    },
    Block {
        actor: AccountId,
        blocked: AccountId,
    },
    Unblock {
        actor: AccountId,
        blocked: AccountId,
    },
    Move {
        actor: AccountId,
        new: Box<ActorInput>,
    },
    Flag {
        actor: AccountId,
        target: AccountId,
        objects: Vec<String>,
        comment: String,
        uri: String,
    },
    Featured {
        actor: AccountId,
        target: String,
        featured: bool,
    },
    /// What an accepted relay delivered; `post` as for `Announce`.
    RelayContent {
        relay_id: u64,
        target: String,
        post: Option<(AccountId, Box<Note>)>,
    },
}

/// One activity after the prepare phase.
#[derive(Debug)]
pub struct Prepared {
    pub activity_id: String,
    pub op: Op,
}

/// One queued activity through the phases: its queue id, its signer (for the log) and what
/// was decided, or why it is refused.
struct Queued {
    queue_id: u64,
    signer: String,
    prepared: Result<Prepared, FederationError>,
}

/// An activity after the parse phase.
struct Parsed {
    activity: Activity,
    relay: Option<Relay>,
    seen: bool,
}

/// What an activity's apply did that must wait for the commit.
#[derive(Default)]
struct AfterCommit {
    /// Queue entries taken off (applied or refused).
    taken: usize,
    prefetch: Vec<Vec<MediaId>>,
    /// Stored replies whose parent is not known: (reply id, parent id, fetches left).
    threads: Vec<(String, String, usize)>,
    /// Storage trouble that stopped a one-by-one apply: the rest stays queued.
    stopped: Option<AppError>,
}

impl AfterCommit {
    fn absorb(&mut self, other: AfterCommit) {
        self.taken += other.taken;
        self.prefetch.extend(other.prefetch);
        self.threads.extend(other.threads);
    }

    async fn run(self, app: &App) {
        for media_ids in &self.prefetch {
            crate::app::media::queue_prefetch(app, media_ids);
        }
        // `outbox::enqueue` woke the worker before the commit; wake it again now that the
        // intents are visible.
        app.outbox_ready.notify_one();
        for (reply, parent, budget) in self.threads {
            let mut budget = budget;
            fetch_ancestors(app, reply, parent, &mut budget).await;
        }
    }
}

/// How an activity's apply ended, inside the batch transaction.
enum Fail {
    /// Refused before it wrote anything: skipped, the batch goes on.
    Refused(FederationError),
    /// Anything else: the batch transaction is aborted.
    Abort(AppError),
}

impl From<AppError> for Fail {
    fn from(error: AppError) -> Fail {
        match error {
            AppError::Unavailable(_) | AppError::Internal(_) => Fail::Abort(error),
            refusal => Fail::Refused(FederationError::App(refusal)),
        }
    }
}

impl From<StoreError> for Fail {
    fn from(error: StoreError) -> Fail {
        Fail::Abort(error.into())
    }
}

fn refused(reason: &'static str) -> Fail {
    Fail::Refused(FederationError::refused(reason))
}

/// A batch read, parsed and prepared, waiting for its apply.
struct Staged {
    queued: Vec<Queued>,
    /// The last queue id read: the next batch starts after it.
    last_id: u64,
    /// Posts that Creates of this batch carry (`carried_by`), for the next batch's prepare.
    carried: HashMap<String, Note>,
    /// Storage trouble while preparing: the activity it hit and those after it stay queued.
    stopped: Option<FederationError>,
}

/// Applies the queued activities, batch after batch, until the queue is empty; returns how
/// many it took off the queue (applied or refused). While one batch is applied (by the
/// committer, slice by slice), the next is read, parsed and prepared, so the single writer
/// does not wait for that work between batches.
pub async fn process_batch(app: &App) -> Result<usize, FederationError> {
    // One worker at a time: two would prepare (and fetch for) the same activities.
    let _turn = app.ingest.apply_turn.lock().await;
    let mut taken = 0;
    let mut staged = stage(app, None, HashMap::new()).await?;
    while let Some(current) = staged.take() {
        let Staged {
            queued,
            last_id,
            carried,
            stopped,
        } = current;
        // Read once the batch is written, not before: what this batch changes that the parse
        // of the next one reads (a relay's answer to our Follow) would otherwise be missed.
        let parse_reads_this = queued.iter().any(|queued| {
            matches!(
                queued.prepared,
                Ok(Prepared {
                    op: Op::RelayAnswer { .. },
                    ..
                })
            )
        });
        // A batch that stopped early leaves activities queued before `last_id`: the next
        // call starts from the queue's head again.
        let overlap = stopped.is_none() && !parse_reads_this;
        let following = async {
            if overlap {
                Some(stage(app, Some(last_id), carried).await)
            } else {
                None
            }
        };
        let (applied, following) = futures_util::future::join(apply(app, queued), following).await;
        taken += applied?;
        if let Some(error) = stopped {
            return Err(error);
        }
        staged = match following {
            Some(following) => following?,
            None => stage(app, Some(last_id), HashMap::new()).await?,
        };
    }
    Ok(taken)
}

/// Reads the next batch after the queue id `after` (from the head if `None`), parses it on a
/// blocking thread (one read transaction for the batch) and prepares it. `carried` are the
/// posts that the previous batch's Creates carry, which it may not have written yet. `None`
/// when nothing is queued there.
async fn stage(
    app: &App,
    after: Option<u64>,
    mut carried: HashMap<String, Note>,
) -> Result<Option<Staged>, FederationError> {
    use futures_util::StreamExt;
    let batch = app
        .run(move |app| {
            app.store.read(|tx| {
                let batch = queues::peek_inbound_bytes(
                    tx,
                    after,
                    ACTIVITIES_PER_BATCH,
                    BATCH_BODY_BYTES_MAX,
                    app.bytes_max(),
                )?;
                Ok::<_, AppError>(
                    batch
                        .into_iter()
                        .map(|(queue_id, item)| {
                            let parsed = parse_item(app, tx, &item);
                            (queue_id, item.signer, parsed)
                        })
                        .collect::<Vec<_>>(),
                )
            })
        })
        .await?;
    let Some(last_id) = batch.last().map(|(queue_id, _, _)| *queue_id) else {
        return Ok(None);
    };
    // Posts that Creates of this batch carry (checked as a Create checks them), so that an
    // Announce or a relayed copy of one of them needs no fetch. Only a Create its author
    // signed counts: a relay's forwarded copy is not believed.
    let mut own = HashMap::new();
    for (_, signer, parsed) in &batch {
        if let Ok(Parsed { activity, .. }) = parsed {
            if let Some(note) = own_note(activity).filter(|_| activity.actor == *signer) {
                own.entry(note.id.clone()).or_insert_with(|| note.clone());
            }
        }
    }
    for (id, note) in &own {
        carried.entry(id.clone()).or_insert_with(|| note.clone());
    }
    let carried_ref = &carried;
    let mut queued: Vec<Queued> = futures_util::stream::iter(batch)
        .map(|(queue_id, signer, parsed)| async move {
            let prepared = match parsed {
                Ok(parsed) => prepare(app, &signer, parsed, carried_ref).await,
                Err(error) => Err(error),
            };
            Queued {
                queue_id,
                signer,
                prepared,
            }
        })
        .buffered(PREPARE_CONCURRENCY)
        .collect()
        .await;
    // Storage trouble while preparing: that activity and those after it stay queued.
    let unavailable = |queued: &Queued| {
        matches!(
            queued.prepared,
            Err(FederationError::App(AppError::Unavailable(_)))
        )
    };
    let mut stopped = None;
    if let Some(index) = queued.iter().position(unavailable) {
        stopped = queued
            .split_off(index)
            .into_iter()
            .next()
            .and_then(|queued| queued.prepared.err());
    }
    Ok(Some(Staged {
        queued,
        last_id,
        carried: own,
        stopped,
    }))
}

/// The apply phase of a staged batch: slices of it, in order, each applied in one of the
/// committer's transactions beside the acknowledgements waiting (`ingest::ApplyJob`), so an
/// acknowledgement never waits behind a separate apply transaction. Returns how many
/// activities left the queue.
async fn apply(app: &App, queued: Vec<Queued>) -> Result<usize, FederationError> {
    let queued = std::sync::Arc::new(queued);
    let mut taken = 0;
    while taken < queued.len() {
        let start = taken;
        let mut after = apply_slice(app, &queued, start).await?;
        taken += after.taken;
        app.ingest.applied(after.taken as u64);
        let halted = after.stopped.take();
        after.run(app).await;
        if let Some(error) = halted {
            return Err(FederationError::App(error));
        }
        // `apply_in` takes at least one activity per slice; this only guards the loop.
        if taken == start {
            break;
        }
    }
    Ok(taken)
}

/// Applies the activities of `queued` from `start` on, as many as one slice takes: in the
/// committer's transaction when it runs, else in a transaction of its own. A slice whose
/// transaction failed for another reason than the disk is applied again one activity per
/// transaction.
async fn apply_slice(
    app: &App,
    queued: &std::sync::Arc<Vec<Queued>>,
    start: usize,
) -> Result<AfterCommit, AppError> {
    let outcome = std::sync::Arc::new(std::sync::Mutex::new(None));
    let (slice, out) = (queued.clone(), outcome.clone());
    let apply: ingest::ApplyFn = Box::new(move |app, tx, stop| {
        let after = apply_in(app, tx, &slice[start..], Some(stop))?;
        *out.lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(after);
        Ok(())
    });
    let slice = queued.clone();
    match ingest::apply_in_committer(app, apply).await {
        None => app.run(move |app| apply_batch(app, &slice[start..])).await,
        Some(Ok(())) => Ok(outcome
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take()
            .unwrap_or_default()),
        Some(Err(error @ AppError::Unavailable(_))) => Err(error),
        Some(Err(error)) => {
            tracing::warn!(%error, "inbound batch aborted; applying it one activity at a time");
            app.run(move |app| apply_singly(app, &slice[start..])).await
        }
    }
}

/// Applies one verified activity in its own transaction, or says why it was refused. An
/// activity seen before is `Ok` and changes nothing. The same phases as a batch of one;
/// tests and tools call it to read the reason of a refusal.
pub async fn apply_one(app: &App, item: &InboundActivity) -> Result<(), FederationError> {
    let owned = item.clone();
    let parsed = app
        .run(move |app| {
            app.store
                .read(|tx| Ok::<_, AppError>(parse_item(app, tx, &owned)))
        })
        .await??;
    let mut carried = HashMap::new();
    if let Some(note) = own_note(&parsed.activity).filter(|_| parsed.activity.actor == item.signer)
    {
        carried.insert(note.id.clone(), note.clone());
    }
    let prepared = prepare(app, &item.signer, parsed, &carried).await?;
    let (after, outcome) = app
        .run(move |app| {
            let mut after = AfterCommit::default();
            let outcome =
                app.write(
                    |tx| match apply_op(app, tx, &prepared, now_ms(), &mut after) {
                        Ok(()) => Ok(Ok(())),
                        Err(Fail::Refused(error)) => Ok(Err(error)),
                        Err(Fail::Abort(error)) => Err(error),
                    },
                )?;
            Ok((after, outcome))
        })
        .await?;
    after.run(app).await;
    outcome
}

/// The parse phase of one queued activity: JSON, AS2, who signed it, domain blocks, origins,
/// and whether it was seen. Pure CPU and reads (in the batch's read transaction); runs on a
/// blocking thread.
fn parse_item(
    app: &App,
    reader: &impl Reader,
    item: &InboundActivity,
) -> Result<Parsed, FederationError> {
    let value: Value = serde_json::from_slice(&item.body)
        .map_err(|error| FederationError::Json(error.to_string()))?;
    let Object::Activity(activity) = vocab::parse(&value, parse_options(app))? else {
        return Err(FederationError::refused("not an activity"));
    };
    // What an accepted relay delivers is relay content: its Announces, and activities of
    // others that it forwards (the only case where the signer is not the actor).
    let relay = relays::accepted_relay_of(app, reader, &item.signer)?;
    if activity.actor != item.signer && relay.is_none() {
        return Err(FederationError::refused("the signer is not the actor"));
    }
    // The inbox checked the domain when it queued the activity; a block since then drops it.
    for uri in [&item.signer, &activity.actor] {
        let host =
            fetch::host_of(uri).ok_or_else(|| FederationError::refused("signer without host"))?;
        if crate::app::domains::refuses_host(app, reader, &host)? {
            return Err(FederationError::Blocked);
        }
    }
    if !vocab::same_origin(&activity.id, &activity.actor) {
        return Err(FederationError::refused(
            "activity id on another origin than its actor",
        ));
    }
    let seen = queues::is_seen(reader, &activity.id).map_err(AppError::from)?;
    Ok(Parsed {
        activity: *activity,
        relay,
        seen,
    })
}

/// The post a Create carries that would be believed as its own: embedded, by the Create's
/// actor and on its origin.
fn own_note(activity: &Activity) -> Option<&Note> {
    if activity.kind != ActivityKind::Create {
        return None;
    }
    let ObjectRef::Embedded(object) = &activity.object else {
        return None;
    };
    let Object::Note(note) = object.as_ref() else {
        return None;
    };
    (note.attributed_to == activity.actor
        && vocab::same_origin(&note.id, &activity.actor)
        && vocab::same_origin(&note.id, &note.attributed_to))
    .then_some(note.as_ref())
}

/// The prepare phase: what needs the network, then the `Op`.
async fn prepare(
    app: &App,
    signer: &str,
    parsed: Parsed,
    carried: &HashMap<String, Note>,
) -> Result<Prepared, FederationError> {
    let Parsed {
        activity,
        relay,
        seen,
    } = parsed;
    let op = if seen {
        Op::Nothing
    } else {
        prepare_op(app, signer, relay, &activity, carried).await?
    };
    Ok(Prepared {
        activity_id: activity.id,
        op,
    })
}

async fn prepare_op(
    app: &App,
    signer: &str,
    relay: Option<Relay>,
    activity: &Activity,
    carried: &HashMap<String, Note>,
) -> Result<Op, FederationError> {
    let mut budget = FETCHES_PER_ACTIVITY_MAX;
    if let Some(relay) = relay {
        let forwarded = activity.actor != signer;
        if forwarded || activity.kind == ActivityKind::Announce {
            return relay_content(app, relay.id, activity, forwarded, carried, &mut budget).await;
        }
    }
    let actor = fetch::ensure_actor(app, &activity.actor).await?;
    Ok(match activity.kind {
        ActivityKind::Create => create(app, actor, activity, &mut budget).await?,
        ActivityKind::Update => update(actor, activity)?,
        ActivityKind::Delete => delete(actor, activity)?,
        ActivityKind::Announce => announce(app, actor, activity, carried, &mut budget).await?,
        ActivityKind::Like => Op::Like {
            actor,
            target: object_id(activity)?,
            // Misskey's reactions are Likes with the emoji as `content`: kept as a reaction
            // too, when it is one (checked here, so that the apply phase cannot refuse the
            // reaction after the Like was written).
            reaction: activity
                .content
                .clone()
                .filter(|content| remote::is_reaction(content)),
        },
        ActivityKind::EmojiReact => Op::React {
            actor,
            target: object_id(activity)?,
            on: true,
            emoji: activity.content.clone(),
        },
        ActivityKind::Follow => {
            let Some(followee) = remote::local_account_by_uri(app, &object_id(activity)?)? else {
                return Err(FederationError::refused(
                    "a Follow of an account not on this server",
                ));
            };
            Op::Follow {
                actor,
                followee,
                id: activity.id.clone(),
            }
        }
        ActivityKind::Accept | ActivityKind::Reject => answer(app, actor, activity)?,
        ActivityKind::Undo => undo(app, actor, activity)?,
        ActivityKind::Block => match remote::local_account_by_uri(app, &object_id(activity)?)? {
            Some(blocked) => Op::Block { actor, blocked },
            None => Op::Nothing,
        },
        ActivityKind::Move => move_account(app, actor, activity).await?,
        ActivityKind::Flag => flag(app, actor, activity)?,
        ActivityKind::Add | ActivityKind::Remove => {
            let target = activity.target.clone().unwrap_or_default();
            if !vocab::same_origin(&target, &activity.actor) {
                return Err(FederationError::refused("a collection of another origin"));
            }
            Op::Featured {
                actor,
                target: object_id(activity)?,
                featured: activity.kind == ActivityKind::Add,
            }
        }
        // Other kinds are accepted and not acted on (FEDERATION.md).
        _ => Op::Nothing,
    })
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

async fn create(
    app: &App,
    actor: AccountId,
    activity: &Activity,
    budget: &mut usize,
) -> Result<Op, FederationError> {
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
    Ok(Op::Create {
        actor,
        note: Box::new(note),
        budget: *budget,
    })
}

fn update(actor: AccountId, activity: &Activity) -> Result<Op, FederationError> {
    match &activity.object {
        ObjectRef::Embedded(object) => match object.as_ref() {
            // Pushed by the actor itself, signed: its key is kept.
            Object::Actor(updated) if updated.id == activity.actor => {
                Ok(Op::UpsertActor(Box::new(ActorInput {
                    keep_key: true,
                    ..fetch::actor_input(updated, &activity.actor)?
                })))
            }
            Object::Note(note)
                if note.attributed_to == activity.actor
                    && vocab::same_origin(&note.id, &activity.actor) =>
            {
                Ok(Op::UpdateStatus {
                    actor,
                    note: note.clone(),
                })
            }
            _ => Err(FederationError::refused(
                "an Update of something the actor does not own",
            )),
        },
        _ => Ok(Op::Nothing),
    }
}

fn delete(actor: AccountId, activity: &Activity) -> Result<Op, FederationError> {
    let target = object_id(activity)?;
    if target == activity.actor {
        return Ok(Op::DeleteActor(actor));
    }
    if !vocab::same_origin(&target, &activity.actor) {
        return Err(FederationError::refused(
            "a Delete of another origin's object",
        ));
    }
    Ok(Op::DeleteUri { actor, uri: target })
}

/// Whether a post is stored (a read; the apply phase looks again inside its transaction).
fn is_known(app: &App, uri: &str) -> Result<bool, FederationError> {
    Ok(app
        .store
        .read(|tx| remote::status_by_uri(app, tx, uri))?
        .is_some())
}

/// A post named by an Announce or a relay, when it is not stored: carried by a Create of the
/// same batch, or fetched from its own origin (never taken from the activity that names it).
/// Its author is the post's own origin's actor.
async fn post_of(
    app: &App,
    target: &str,
    carried: &HashMap<String, Note>,
    budget: &mut usize,
) -> Result<Option<(AccountId, Box<Note>)>, FederationError> {
    if is_known(app, target)? {
        return Ok(None);
    }
    let note = match carried.get(target) {
        Some(note) => note.clone(),
        None => fetch_note(app, target, budget).await?,
    };
    if !vocab::same_origin(&note.attributed_to, &note.id) {
        return Err(FederationError::refused(
            "announced post attributed to another origin",
        ));
    }
    let host = fetch::host_of(&note.attributed_to)
        .ok_or_else(|| FederationError::refused("author without host"))?;
    fetch::check_domain(app, &host)?;
    let author = fetch::ensure_actor(app, &note.attributed_to).await?;
    Ok(Some((author, Box::new(note))))
}

async fn announce(
    app: &App,
    actor: AccountId,
    activity: &Activity,
    carried: &HashMap<String, Note>,
    budget: &mut usize,
) -> Result<Op, FederationError> {
    let target = object_id(activity)?;
    let post = post_of(app, &target, carried, budget).await?;
    let visibility = if activity.to.iter().any(|to| vocab::is_public(to)) {
        Visibility::Public
    } else {
        Visibility::Unlisted
    };
    Ok(Op::Announce {
        actor,
        id: activity.id.clone(),
        target,
        published_ms: activity.published_ms.unwrap_or_else(now_ms),
        visibility,
        post,
    })
}

/// `Flag`: reports of local accounts (and their statuses) kept for the moderators.
fn flag(app: &App, actor: AccountId, activity: &Activity) -> Result<Op, FederationError> {
    let ids: Vec<String> = match &activity.object {
        ObjectRef::Ids(ids) => ids.clone(),
        other => other
            .id()
            .map(|id| vec![id.to_string()])
            .unwrap_or_default(),
    };
    let mut target = None;
    let mut objects = Vec::new();
    for id in ids {
        match remote::local_account_by_uri(app, &id)? {
            Some(account) => {
                target.get_or_insert(account);
            }
            None => objects.push(id),
        }
    }
    let Some(target) = target else {
        return Err(FederationError::refused("a Flag of no local account"));
    };
    Ok(Op::Flag {
        actor,
        target,
        objects,
        comment: activity.content.clone().unwrap_or_default(),
        uri: activity.id.clone(),
    })
}

/// An Accept or Reject of one of our Follows: the embedded Follow names the local follower;
/// a bare id is one of our follow URLs (`https://host/follows/ID`).
fn answer(app: &App, actor: AccountId, activity: &Activity) -> Result<Op, FederationError> {
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
        return Ok(Op::RelayAnswer {
            relay_id,
            signer: activity.actor.clone(),
            accepted,
        });
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
                Some(follow_id) => remote::requester_of_follow(app, actor, follow_id)?,
                None => None,
            }
        }
    };
    let Some(follower) = follower else {
        return Err(FederationError::refused("an answer to no Follow of ours"));
    };
    Ok(Op::AnswerFollow {
        follower,
        actor,
        accepted,
    })
}

fn undo(app: &App, actor: AccountId, activity: &Activity) -> Result<Op, FederationError> {
    let ObjectRef::Embedded(object) = &activity.object else {
        // A bare id: it can only name an Announce we stored under its id.
        let target = object_id(activity)?;
        if vocab::same_origin(&target, &activity.actor) {
            return Ok(Op::DeleteUri { actor, uri: target });
        }
        return Ok(Op::Nothing);
    };
    let Object::Activity(undone) = object.as_ref() else {
        return Ok(Op::Nothing);
    };
    if undone.actor != activity.actor {
        return Err(FederationError::refused(
            "an Undo of someone else's activity",
        ));
    }
    Ok(match undone.kind {
        ActivityKind::Follow => match remote::local_account_by_uri(app, &object_id(undone)?)? {
            Some(followee) => Op::Unfollow { actor, followee },
            None => Op::Nothing,
        },
        ActivityKind::Like => Op::Unlike {
            actor,
            target: object_id(undone)?,
        },
        ActivityKind::Announce => Op::DeleteUri {
            actor,
            uri: undone.id.clone(),
        },
        ActivityKind::EmojiReact => Op::React {
            actor,
            target: object_id(undone)?,
            on: false,
            emoji: None,
        },
        ActivityKind::Block => match remote::local_account_by_uri(app, &object_id(undone)?)? {
            Some(blocked) => Op::Unblock { actor, blocked },
            None => Op::Nothing,
        },
        _ => Op::Nothing,
    })
}

/// `Move`: the new account must list the old one in `alsoKnownAs` (checked on a fresh fetch
/// of the new account from its own origin).
async fn move_account(
    app: &App,
    actor: AccountId,
    activity: &Activity,
) -> Result<Op, FederationError> {
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
    Ok(Op::Move {
        actor,
        new: Box::new(fetch::actor_input(&new_actor, final_url.as_str())?),
    })
}

/// What a relay delivers: an `Announce` of a post, or another server's `Create` (or
/// `Announce`) forwarded as it was. The post is never taken from the activity: it is fetched
/// from its own origin within the activity's fetch budget (or carried by a Create of the
/// same batch that its author signed), its author must be of that origin (and, for a
/// forwarded Create, the Create's actor), and it is stored whether or not a local account
/// follows its author: relay content is for the federated timeline.
async fn relay_content(
    app: &App,
    relay_id: u64,
    activity: &Activity,
    forwarded: bool,
    carried: &HashMap<String, Note>,
    budget: &mut usize,
) -> Result<Op, FederationError> {
    if forwarded && activity.kind == ActivityKind::Delete {
        return relayed_delete(app, activity, budget).await;
    }
    if !matches!(activity.kind, ActivityKind::Create | ActivityKind::Announce) {
        return Err(FederationError::refused(
            "a relay forwards only Create, Announce and Delete",
        ));
    }
    let target = object_id(activity)?;
    let post = match post_of(app, &target, carried, budget).await {
        Err(FederationError::Refused(reason))
            if reason == "announced post attributed to another origin" =>
        {
            return Err(FederationError::refused(
                "relayed post attributed to another origin",
            ));
        }
        other => other?,
    };
    if let Some((_, note)) = &post {
        if forwarded
            && activity.kind == ActivityKind::Create
            && note.attributed_to != activity.actor
        {
            return Err(FederationError::refused("a Create of someone else's post"));
        }
    }
    Ok(Op::RelayContent {
        relay_id,
        target,
        post,
    })
}

/// A `Delete` of a post or an account that a relay forwards (Mastodon sends its Deletes of
/// public posts to relays too, with a JSON-LD signature by the author, which Skerry does not
/// check: it keeps no key of authors that never signed to it). Believed only if the object's
/// own origin says it is gone: 404 or 410 for a post (Mastodon and GoToSocial answer 404 for
/// a deleted status), 410 for an account, or a `Tombstone`. Only what we have is fetched, so
/// a stream of relayed Deletes of posts and accounts we never stored costs no fetch.
async fn relayed_delete(
    app: &App,
    activity: &Activity,
    budget: &mut usize,
) -> Result<Op, FederationError> {
    let target = object_id(activity)?;
    if !vocab::same_origin(&target, &activity.actor) {
        return Err(FederationError::refused(
            "a Delete of another origin's object",
        ));
    }
    let Some((account, _)) = remote::actor_by_uri(app, &activity.actor)? else {
        return Ok(Op::Nothing);
    };
    let of_actor = target == activity.actor;
    if !of_actor && !is_known(app, &target)? {
        return Ok(Op::Nothing);
    }
    if *budget == 0 {
        return Err(FederationError::refused("fetch budget spent"));
    }
    *budget -= 1;
    match fetch::get_json(app, &target, true).await {
        Err(FederationError::Status {
            http_status: 410, ..
        }) => {}
        Err(FederationError::Status {
            http_status: 404, ..
        }) if !of_actor => {}
        Ok((value, _)) if value.get("type").and_then(Value::as_str) == Some("Tombstone") => {}
        Ok(_) => {
            return Err(FederationError::refused(
                "a relayed Delete of what its origin still serves",
            ));
        }
        Err(error) => return Err(error),
    }
    Ok(if of_actor {
        Op::DeleteActor(account.id)
    } else {
        Op::DeleteUri {
            actor: account.id,
            uri: target,
        }
    })
}

/// The apply phase of a batch: one durable write transaction. If it fails for another reason
/// than a refusal, the activities are applied again one per transaction, so that the one
/// that cannot be written is refused alone.
fn apply_batch(app: &App, batch: &[Queued]) -> Result<AfterCommit, AppError> {
    let started = std::time::Instant::now();
    let slice = std::time::Duration::from_millis(ingest::APPLY_SLICE_MS_MAX);
    let stop = || started.elapsed() >= slice;
    match app.write(|tx| apply_in(app, tx, batch, Some(&stop))) {
        Ok(after) => Ok(after),
        // The disk refused the commit: everything stays queued, to be tried again.
        Err(error @ AppError::Unavailable(_)) => Err(error),
        Err(error) => {
            tracing::warn!(%error, "inbound batch aborted; applying it one activity at a time");
            apply_singly(app, batch)
        }
    }
}

/// Applies `batch` one activity per transaction: the one that cannot be written is refused
/// alone; storage trouble stops it (the rest stays queued).
fn apply_singly(app: &App, batch: &[Queued]) -> Result<AfterCommit, AppError> {
    let mut after = AfterCommit::default();
    for queued in batch {
        match app.write(|tx| apply_in(app, tx, std::slice::from_ref(queued), None)) {
            Ok(one) => after.absorb(one),
            Err(error @ AppError::Unavailable(_)) => {
                after.stopped = Some(error);
                break;
            }
            Err(error) => {
                tracing::info!(%error, signer = %queued.signer, "inbound activity refused");
                app.write(|tx| queues::remove_inbound(tx, queued.queue_id))?;
                after.taken += 1;
            }
        }
    }
    Ok(after)
}

/// Applies `batch` in order inside `tx`: each activity leaves the queue, is recorded as seen
/// and makes its change; refusals are logged and skipped. With `stop`, stops taking
/// activities once it says so (at least one is taken).
fn apply_in(
    app: &App,
    tx: &WriteTransaction,
    batch: &[Queued],
    stop: Option<&dyn Fn() -> bool>,
) -> Result<AfterCommit, AppError> {
    let mut after = AfterCommit::default();
    let now = now_ms();
    for queued in batch {
        if after.taken > 0 && stop.is_some_and(|stop| stop()) {
            break;
        }
        after.taken += 1;
        let outcome = match &queued.prepared {
            Ok(prepared) => match apply_op(app, tx, prepared, now, &mut after) {
                Ok(()) => Ok(()),
                Err(Fail::Refused(error)) => Err(error),
                Err(Fail::Abort(error)) => return Err(error),
            },
            Err(error) => Err(FederationError::refused(error.to_string())),
        };
        if let Err(error) = outcome {
            tracing::info!(%error, signer = %queued.signer, "inbound activity refused");
        }
    }
    // What was taken leaves the queue in this same transaction (one open of the table).
    queues::remove_inbound_all(
        tx,
        batch[..after.taken].iter().map(|queued| queued.queue_id),
    )?;
    Ok(after)
}

/// The known status an id names, inside the transaction.
fn known_in(app: &App, tx: &WriteTransaction, uri: &str) -> Result<Option<StatusId>, AppError> {
    Ok(remote::status_by_uri(app, tx, uri)?.map(|status| status.id))
}

/// Stores a post that an Announce or a relay named (whether or not someone follows its
/// author) unless it is known; its id either way, `None` if it was deleted before.
fn store_post(
    app: &App,
    tx: &WriteTransaction,
    target: &str,
    post: Option<&(AccountId, Box<Note>)>,
    after: &mut AfterCommit,
) -> Result<Option<StatusId>, AppError> {
    if let Some(id) = known_in(app, tx, target)? {
        return Ok(Some(id));
    }
    let Some((author, note)) = post else {
        return Ok(None);
    };
    let input = note_input_in(app, tx, *author, note)?;
    match remote::create_status_in(app, tx, &input)? {
        Some((id, prefetch)) => {
            after.prefetch.extend(prefetch);
            Ok(Some(id))
        }
        None => Ok(crate::store::statuses::status_id_by_uri(tx, &input.uri)?),
    }
}

/// One activity's change, inside the batch's transaction.
fn apply_op(
    app: &App,
    tx: &WriteTransaction,
    prepared: &Prepared,
    now: u64,
    after: &mut AfterCommit,
) -> Result<(), Fail> {
    if !queues::mark_seen(tx, &prepared.activity_id, now)? {
        return Ok(());
    }
    match &prepared.op {
        Op::Nothing => {}
        Op::Create {
            actor,
            note,
            budget,
        } => create_in(app, tx, *actor, note, *budget, after)?,
        Op::UpsertActor(input) => {
            remote::upsert_actor_in(app, tx, input)?;
        }
        Op::UpdateStatus { actor, note } => {
            let input = note_input_in(app, tx, *actor, note)?;
            remote::update_status_in(app, tx, input)?;
        }
        Op::DeleteActor(actor) => remote::delete_actor_in(app, tx, *actor)?,
        Op::DeleteUri { actor, uri } => {
            remote::delete_by_uri_in(app, tx, *actor, uri)?;
        }
        Op::Announce {
            actor,
            id,
            target,
            published_ms,
            visibility,
            post,
        } => {
            if let Some(original) = store_post(app, tx, target, post.as_ref(), after)? {
                remote::announce_in(app, tx, *actor, id, original, *published_ms, *visibility)?;
            }
        }
        Op::Like {
            actor,
            target,
            reaction,
        } => {
            if let Some(status) = known_in(app, tx, target)? {
                remote::like_in(app, tx, *actor, status)?;
                if let Some(emoji) = reaction {
                    remote::react_in(app, tx, *actor, status, Some(emoji))?;
                }
            }
        }
        Op::React {
            actor,
            target,
            on,
            emoji,
        } => {
            if let Some(status) = known_in(app, tx, target)? {
                if *on && emoji.is_none() {
                    return Err(refused("a reaction without content"));
                }
                remote::react_in(app, tx, *actor, status, emoji.as_deref())?;
            }
        }
        Op::Unlike { actor, target } => {
            if let Some(status) = known_in(app, tx, target)? {
                remote::unlike_in(tx, *actor, status)?;
            }
        }
        Op::Follow {
            actor,
            followee,
            id,
        } => {
            remote::follow_in(app, tx, *actor, *followee, id)?;
        }
        Op::Unfollow { actor, followee } => remote::unfollow_in(tx, *actor, *followee)?,
        Op::RelayAnswer {
            relay_id,
            signer,
            accepted,
        } => {
            if !relays::answer_in(app, tx, *relay_id, signer, *accepted)? {
                return Err(refused("an answer to no relay Follow of ours"));
            }
        }
        Op::AnswerFollow {
            follower,
            actor,
            accepted,
        } => {
            remote::answer_our_follow_in(app, tx, *follower, *actor, *accepted)?;
        }
        Op::Block { actor, blocked } => remote::block_in(app, tx, *actor, *blocked)?,
        Op::Unblock { actor, blocked } => remote::unblock_in(tx, *actor, *blocked)?,
        Op::Move { actor, new } => {
            let new = remote::upsert_actor_in(app, tx, new)?;
            remote::move_account_in(app, tx, *actor, new)?;
        }
        Op::Flag {
            actor,
            target,
            objects,
            comment,
            uri,
        } => {
            let mut reported = Vec::new();
            for object in objects {
                if let Some(status) = known_in(app, tx, object)? {
                    reported.push(status);
                }
            }
            remote::report_in(app, tx, *actor, *target, reported, comment, uri)?;
        }
        Op::Featured {
            actor,
            target,
            featured,
        } => {
            if let Some(status) = known_in(app, tx, target)? {
                remote::set_featured_in(app, tx, *actor, status, *featured)?;
            }
        }
        Op::RelayContent {
            relay_id,
            target,
            post,
        } => {
            store_post(app, tx, target, post.as_ref(), after)?;
            relays::count_received(app, tx, *relay_id, now)?;
        }
    }
    Ok(())
}

/// A Create inside the batch's transaction: a vote on one of our polls, or a post stored if
/// it concerns this server.
fn create_in(
    app: &App,
    tx: &WriteTransaction,
    actor: AccountId,
    note: &Note,
    budget: usize,
    after: &mut AfterCommit,
) -> Result<(), AppError> {
    // A vote: a Note named as an option, without content, in reply to one of our polls.
    if let (Some(question), false) = (&note.in_reply_to, note.name.is_empty()) {
        if note.content_html.trim().is_empty() || note.content_html == note.name {
            if let Some(target) = remote::status_by_uri(app, tx, question)? {
                if crate::store::accounts::get_user(tx, target.account_id, app.bytes_max())?
                    .is_some()
                {
                    crate::app::polls::remote_vote_in(app, tx, actor, target.id, &note.name)?;
                    return Ok(());
                }
            }
        }
    }
    let input = note_input_in(app, tx, actor, note)?;
    if !is_wanted(app, tx, &input)? {
        return Ok(());
    }
    let Some((_, prefetch)) = remote::create_status_in(app, tx, &input)? else {
        return Ok(());
    };
    after.prefetch.extend(prefetch);
    if let Some(parent) = &input.in_reply_to {
        if remote::status_by_uri(app, tx, parent)?.is_none() {
            after
                .threads
                .push((note.id.clone(), parent.clone(), budget));
        }
    }
    Ok(())
}

/// Turns a note into what `app::remote` stores: mentions resolved to known accounts.
pub(super) async fn note_input(
    app: &App,
    author: AccountId,
    note: &Note,
) -> Result<NoteInput, FederationError> {
    Ok(app.store.read(|tx| note_input_in(app, tx, author, note))?)
}

/// `note_input` in the caller's transaction.
fn note_input_in(
    app: &App,
    reader: &impl Reader,
    author: AccountId,
    note: &Note,
) -> Result<NoteInput, AppError> {
    let followers = crate::store::accounts::get_remote_actor(reader, author, app.bytes_max())?
        .and_then(|actor| actor.followers);
    let mut mentions = Vec::new();
    for mention in &note.mentions {
        if let Some(id) = remote::account_by_uri_in(app, reader, &mention.href)? {
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

/// Whether a remote post concerns this server: a local account follows its author, it
/// mentions a local account, or it replies to a local status. Others are not stored. A direct
/// post concerns only the accounts it mentions: someone else's message (or a poll vote) is not
/// stored because a local account follows its author.
fn is_wanted(app: &App, tx: &WriteTransaction, input: &NoteInput) -> Result<bool, AppError> {
    for mentioned in &input.mentions {
        if crate::store::accounts::get_user(tx, *mentioned, app.bytes_max())?.is_some() {
            return Ok(true);
        }
    }
    if input.visibility == Visibility::Direct {
        return Ok(false);
    }
    if let Some(parent) = &input.in_reply_to {
        if remote::status_by_uri(app, tx, parent)?.is_some() {
            return Ok(true);
        }
    }
    Ok(!Edge::FOLLOW
        .page_of_b(tx, input.author.0, Page::newest(1))?
        .is_empty())
}

/// Fetches the posts a stored reply answers, up the thread, within the activity's fetch
/// budget: a loop over stored data, not recursion. Failures end the walk quietly. Runs after
/// the batch's commit, each post in its own transaction: the thread is context, not part of
/// what was acknowledged.
async fn fetch_ancestors(app: &App, mut child: String, mut uri: String, budget: &mut usize) {
    while *budget > 0 {
        if !matches!(is_known(app, &uri), Ok(false)) {
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
        if app
            .run(move |app| remote::create_status(app, input))
            .await
            .is_err()
        {
            return;
        }
        // The child was stored before its parent: link it now.
        let (child_uri, parent_uri) = (child.clone(), uri.clone());
        if app
            .run(move |app| remote::link_reply(app, &child_uri, &parent_uri))
            .await
            .is_err()
        {
            return;
        }
        let Some(next_uri) = next else { return };
        child = std::mem::replace(&mut uri, next_uri);
    }
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
