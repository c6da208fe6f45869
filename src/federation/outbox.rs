//! From outbox intents to deliveries: each intent is rendered into one activity and one
//! delivery per remote inbox (a shared inbox once per server). Intents that reach no remote
//! account are dropped.

use serde_json::Value;

use crate::app::{App, AppError, accounts, documents, domains, remote};
use crate::model::{AccountId, Audience, Delivery, OutboxIntent};
use crate::store::queues;
use crate::util::time::now_ms;

use super::render;

/// Intents turned into deliveries per transaction.
pub const INTENTS_PER_BATCH: usize = 64;

/// An activity ready to send, and where.
pub struct Prepared {
    /// One activity per body (a vote with several choices sends several).
    pub bodies: Vec<Vec<u8>>,
    pub signer: Option<AccountId>,
    pub inboxes: Vec<String>,
}

fn username(app: &App, id: AccountId) -> Result<String, AppError> {
    Ok(accounts::get(app, id)?.account.username)
}

fn account_uri(app: &App, id: AccountId) -> Result<Option<String>, AppError> {
    app.store.read(|tx| documents::account_uri(app, tx, id))
}

/// The inbox of one remote account, if it is remote.
fn inbox_of(app: &App, id: AccountId) -> Result<Vec<String>, AppError> {
    Ok(remote::actor(app, id)?
        .map(|actor| vec![actor.shared_inbox.unwrap_or(actor.inbox)])
        .unwrap_or_default())
}

fn ready(activity: Value, signer: AccountId, inboxes: Vec<String>) -> Option<Prepared> {
    (!inboxes.is_empty()).then(|| Prepared {
        bodies: vec![activity.to_string().into_bytes()],
        signer: Some(signer),
        inboxes,
    })
}

/// Renders an intent; `None` when it reaches no remote inbox or what it names is gone.
pub fn prepare(app: &App, intent: &OutboxIntent) -> Result<Option<Prepared>, AppError> {
    match intent {
        OutboxIntent::CreateStatus { status } | OutboxIntent::UpdateStatus { status } => {
            let Some(document) = documents::status_document(app, *status)? else {
                return Ok(None);
            };
            let author = document.view.status.account_id;
            let followers = document.view.status.visibility != crate::model::Visibility::Direct;
            let inboxes =
                documents::remote_inboxes(app, author, followers, &document.view.status.mentions)?;
            let activity = if matches!(intent, OutboxIntent::CreateStatus { .. }) {
                render::create(app, &document.view, document.in_reply_to.clone())
            } else {
                render::update_note(app, &document.view, document.in_reply_to.clone())
            };
            Ok(ready(activity, author, inboxes))
        }
        OutboxIntent::DeleteStatus {
            author,
            status,
            audience,
        } => {
            let name = username(app, *author)?;
            let uri = render::status_uri(app, &name, status);
            let inboxes =
                documents::remote_inboxes(app, *author, audience.followers, &audience.accounts)?;
            let to = audience_uris(app, &name, audience)?;
            Ok(ready(
                render::delete_status(app, &name, &uri, to),
                *author,
                inboxes,
            ))
        }
        OutboxIntent::Announce { reblog } => {
            let Some(document) = documents::status_document(app, *reblog)? else {
                return Ok(None);
            };
            let Some(original_uri) = document.reblog_of.clone() else {
                return Ok(None);
            };
            let author = document.view.status.account_id;
            let original_author = document
                .view
                .reblog
                .as_ref()
                .map(|original| original.status.account_id);
            let inboxes = documents::remote_inboxes(
                app,
                author,
                true,
                &original_author.into_iter().collect::<Vec<_>>(),
            )?;
            Ok(ready(
                render::announce(app, &document.view, &original_uri),
                author,
                inboxes,
            ))
        }
        OutboxIntent::UndoAnnounce {
            author,
            reblog,
            original_uri,
            audience,
        } => {
            let name = username(app, *author)?;
            let announce = serde_json::json!({
                "id": format!("{}/activity", render::status_uri(app, &name, reblog)),
                "type": "Announce",
                "actor": app.actor_url(&name),
                "object": original_uri,
            });
            let inboxes =
                documents::remote_inboxes(app, *author, audience.followers, &audience.accounts)?;
            Ok(ready(
                render::undo(&app.actor_url(&name), announce),
                *author,
                inboxes,
            ))
        }
        OutboxIntent::Like { actor, status } | OutboxIntent::UndoLike { actor, status } => {
            let Some(document) = documents::status_document(app, *status)? else {
                return Ok(None);
            };
            let target = document.view.status.account_id;
            let inboxes = inbox_of(app, target)?;
            let Some(uri) = app
                .store
                .read(|tx| documents::status_uri(app, tx, &document.view.status))?
            else {
                return Ok(None);
            };
            let name = username(app, *actor)?;
            let like = render::like(app, &name, &uri, status);
            let activity = if matches!(intent, OutboxIntent::Like { .. }) {
                like
            } else {
                render::undo(&app.actor_url(&name), like)
            };
            Ok(ready(activity, *actor, inboxes))
        }
        OutboxIntent::Follow {
            follower,
            followee,
            follow_id,
        }
        | OutboxIntent::UndoFollow {
            follower,
            followee,
            follow_id,
        } => {
            let Some(followee_uri) = account_uri(app, *followee)? else {
                return Ok(None);
            };
            let name = username(app, *follower)?;
            let follow = render::follow(app, &name, &followee_uri, *follow_id);
            let activity = if matches!(intent, OutboxIntent::Follow { .. }) {
                follow
            } else {
                render::undo(&app.actor_url(&name), follow)
            };
            Ok(ready(activity, *follower, inbox_of(app, *followee)?))
        }
        OutboxIntent::Accept {
            followee,
            follower,
            follow_activity,
        }
        | OutboxIntent::Reject {
            followee,
            follower,
            follow_activity,
        } => {
            let Some(follower_uri) = account_uri(app, *follower)? else {
                return Ok(None);
            };
            let name = username(app, *followee)?;
            let accept = matches!(intent, OutboxIntent::Accept { .. });
            let activity =
                render::answer_follow(app, &name, &follower_uri, follow_activity, accept);
            Ok(ready(activity, *followee, inbox_of(app, *follower)?))
        }
        OutboxIntent::Block {
            blocker,
            blocked,
            block_id,
        }
        | OutboxIntent::UndoBlock {
            blocker,
            blocked,
            block_id,
        } => {
            let Some(blocked_uri) = account_uri(app, *blocked)? else {
                return Ok(None);
            };
            let name = username(app, *blocker)?;
            let block = render::block(app, &name, &blocked_uri, *block_id);
            let activity = if matches!(intent, OutboxIntent::Block { .. }) {
                block
            } else {
                render::undo(&app.actor_url(&name), block)
            };
            Ok(ready(activity, *blocker, inbox_of(app, *blocked)?))
        }
        OutboxIntent::Vote {
            voter,
            status,
            choices,
        } => {
            let Some(document) = documents::status_document(app, *status)? else {
                return Ok(None);
            };
            let Some((poll, _)) = document.view.poll.clone() else {
                return Ok(None);
            };
            let Some(question) = app
                .store
                .read(|tx| documents::status_uri(app, tx, &document.view.status))?
            else {
                return Ok(None);
            };
            let Some(author) = account_uri(app, document.view.status.account_id)? else {
                return Ok(None);
            };
            let name = username(app, *voter)?;
            let titles: Vec<String> = choices
                .iter()
                .filter_map(|choice| poll.options.get(*choice as usize))
                .map(|option| option.title.clone())
                .collect();
            let inboxes = inbox_of(app, document.view.status.account_id)?;
            // One delivery per chosen option, as Mastodon sends votes.
            let mut activities = Vec::new();
            for (index, title) in titles.iter().enumerate() {
                activities.push(render::vote(
                    app,
                    &name,
                    &question,
                    &author,
                    title,
                    &format!("{status}/{index}"),
                ));
            }
            if activities.is_empty() || inboxes.is_empty() {
                return Ok(None);
            }
            Ok(Some(Prepared {
                bodies: activities
                    .iter()
                    .map(|activity| activity.to_string().into_bytes())
                    .collect(),
                signer: Some(*voter),
                inboxes,
            }))
        }
        OutboxIntent::Flag { report } => {
            let Some(forward) = crate::app::moderation::report_to_forward(app, *report)? else {
                return Ok(None);
            };
            let mut objects = vec![forward.target_uri];
            objects.extend(forward.status_uris);
            let id = format!("{}/reports/{report}", app.base_url);
            Ok(Some(Prepared {
                bodies: vec![
                    render::flag(app, &id, &forward.comment, objects)
                        .to_string()
                        .into_bytes(),
                ],
                signer: None,
                inboxes: vec![forward.inbox],
            }))
        }
        OutboxIntent::RelayUndo {
            inbox,
            follow_id,
            object,
        } => {
            let follow = render::relay_follow(app, follow_id, object);
            let undo = render::undo(&render::instance_actor_id(app), follow);
            Ok(Some(Prepared {
                bodies: vec![undo.to_string().into_bytes()],
                signer: None,
                inboxes: vec![inbox.clone()],
            }))
        }
        OutboxIntent::UpdateActor { account } => {
            let local = documents::local_actor(app, &username(app, *account)?)?;
            let inboxes = documents::remote_inboxes(app, *account, true, &[])?;
            Ok(ready(
                render::update_actor(app, &local.view, &local.public_key_pem),
                *account,
                inboxes,
            ))
        }
    }
}

/// The `to` of a Delete: who received what is deleted.
fn audience_uris(app: &App, author: &str, audience: &Audience) -> Result<Vec<String>, AppError> {
    let mut to = Vec::new();
    if audience.followers {
        to.push(render::PUBLIC.to_string());
        to.push(render::actor_urls(app, author).followers);
    }
    for account in &audience.accounts {
        if let Some(uri) = account_uri(app, *account)? {
            to.push(uri);
        }
    }
    Ok(to)
}

/// Turns up to one batch of intents into deliveries; returns how many intents it handled.
pub fn process_batch(app: &App) -> Result<usize, AppError> {
    let intents = app
        .store
        .read(|tx| queues::peek_intents(tx, INTENTS_PER_BATCH, app.bytes_max()))?;
    if intents.is_empty() {
        return Ok(0);
    }
    let mut prepared = Vec::with_capacity(intents.len());
    for (id, intent) in &intents {
        let mut outcome = match prepare(app, intent) {
            Ok(outcome) => outcome,
            // What an intent names may be gone (an account deleted since): nothing to send.
            Err(AppError::NotFound) => None,
            Err(error) => return Err(error),
        };
        if let Some(ready) = &mut outcome {
            // No delivery is created for a suspended (or, in allowlist mode, not allowed)
            // host; `delivery` checks again before sending, for blocks made since.
            let mut kept = Vec::with_capacity(ready.inboxes.len());
            for inbox in ready.inboxes.drain(..) {
                if !app
                    .store
                    .read(|tx| domains::refuses_inbox(app, tx, &inbox))?
                {
                    kept.push(inbox);
                }
            }
            ready.inboxes = kept;
        }
        prepared.push((*id, outcome));
    }
    let now = now_ms();
    app.store.write(|tx| {
        for (id, outcome) in &prepared {
            queues::remove_intent(tx, *id)?;
            let Some(outcome) = outcome else { continue };
            for body in &outcome.bodies {
                for inbox in &outcome.inboxes {
                    let delivery = Delivery {
                        inbox: inbox.clone(),
                        body: body.clone(),
                        signer: outcome.signer,
                        attempts: 0,
                        created_ms: now,
                    };
                    queues::put_delivery(tx, app.next_id(), &delivery, now)?;
                }
            }
        }
        Ok::<_, AppError>(())
    })?;
    app.deliveries_ready.notify_one();
    Ok(intents.len())
}
