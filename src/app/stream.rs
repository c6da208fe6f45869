//! The streaming hub: what happened, as small events of ids, for the streaming API.
//!
//! Architecture Invariant: events are published after commit. A write path records its
//! events with `pending` inside the transaction; `App::write` publishes them only once the
//! commit returned Ok, and drops them when the transaction fails. A subscriber that loads
//! what an event names therefore always finds it committed. Events carry ids, not rendered
//! JSON: each viewer's stream loads and checks the status for itself (`status_on`).

use std::cell::RefCell;

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore, broadcast};

use crate::model::{AccountId, NotificationId, Status, StatusId, Visibility};
use crate::store::{Edge, Reader, timelines as store_timelines};

use super::timelines::{self, Scope};
use super::views::{self, StatusView};
use super::{App, AppError};

/// Events held for slow subscribers. A subscriber more than this far behind skips the
/// oldest ones (tokio's `Lagged`) with a warning instead of holding memory for them: a
/// small server sees far fewer events than this between two reads of a healthy socket.
const CAPACITY: usize = 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    StatusCreated {
        status: StatusId,
    },
    StatusUpdated {
        status: StatusId,
    },
    StatusDeleted {
        status: StatusId,
        author: AccountId,
    },
    Notification {
        recipient: AccountId,
        notification: NotificationId,
    },
    /// `owner` created, changed or deleted a filter: clients refetch them.
    FiltersChanged {
        owner: AccountId,
    },
    /// A direct status changed `owner`'s conversation named by its thread's `root`.
    Conversation {
        owner: AccountId,
        root: StatusId,
    },
}

/// Streaming connections open at once (WebSocket and server-sent events together). Each
/// holds a socket, a receiver and a store read per event; a cap keeps a flood of idle
/// streams from costing memory and reads on a small machine.
pub const CONNECTIONS_MAX: usize = 256;

pub struct Hub {
    sender: broadcast::Sender<Event>,
    connections: Arc<Semaphore>,
}

impl Default for Hub {
    fn default() -> Self {
        Hub {
            sender: broadcast::channel(CAPACITY).0,
            connections: Arc::new(Semaphore::new(CONNECTIONS_MAX)),
        }
    }
}

impl Hub {
    /// A permit for one streaming connection, held for its life; `None` when at the cap.
    pub fn connect(&self) -> Option<OwnedSemaphorePermit> {
        self.connections.clone().try_acquire_owned().ok()
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.sender.subscribe()
    }

    /// Sends to current subscribers; none is not an error.
    pub fn publish(&self, event: Event) {
        let _ = self.sender.send(event);
    }
}

thread_local! {
    /// Events of the write transaction running on this thread (one at a time: redb does not
    /// nest write transactions).
    static PENDING: RefCell<Vec<Event>> = const { RefCell::new(Vec::new()) };
}

/// Records an event of the current write transaction, published if it commits.
pub(crate) fn pending(event: Event) {
    PENDING.with(|pending| pending.borrow_mut().push(event));
}

impl App {
    /// `Store::write`, then the transaction's events are published if it committed.
    pub fn write<T, E: From<crate::store::StoreError>>(
        &self,
        change: impl FnOnce(&redb::WriteTransaction) -> Result<T, E>,
    ) -> Result<T, E> {
        PENDING.with(|pending| pending.borrow_mut().clear());
        let result = self.store.write(change);
        let events = PENDING.with(|pending| std::mem::take(&mut *pending.borrow_mut()));
        if result.is_ok() {
            for event in events {
                self.stream.publish(event);
            }
        }
        result
    }
}

/// Which statuses a stream shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Timeline {
    /// The viewer's home feed.
    Home,
    Public(Scope),
    Tag {
        name: String,
        local_only: bool,
    },
    /// Direct statuses by or mentioning the viewer.
    Direct,
    /// Statuses of the members of one of the viewer's lists, with its replies policy.
    List(u64),
}

/// Whether a status enters the viewer's home feed: as fan-out on write puts it there.
fn in_home(reader: &impl Reader, viewer: AccountId, status: &Status) -> Result<bool, AppError> {
    if status.account_id == viewer {
        return Ok(true);
    }
    if matches!(status.visibility, Visibility::Private | Visibility::Direct)
        && status.mentions.contains(&viewer)
    {
        return Ok(true);
    }
    if status.visibility != Visibility::Direct
        && Edge::FOLLOW.contains(reader, viewer.0, status.account_id.0)?
    {
        return Ok(true);
    }
    // A public status with a hashtag the viewer follows (`tags::fan_out_to_tag_followers`
    // puts it into their home feed, local or from federation alike).
    if status.visibility == Visibility::Public && status.reblog_of.is_none() {
        for name in &status.tags {
            if let Some(tag) = crate::store::statuses::tag_id(reader, name)? {
                if Edge::TAG_FOLLOW.contains(reader, viewer.0, tag.0)? {
                    return Ok(true);
                }
            }
        }
    }
    Ok(false)
}

/// The status rendered for the viewer if it belongs on `timeline` for them: visible, not
/// blocked or muted (the timelines' filters), and of the timeline.
pub fn status_on(
    app: &App,
    viewer: Option<AccountId>,
    id: StatusId,
    timeline: &Timeline,
) -> Result<Option<StatusView>, AppError> {
    app.store.read(|tx| {
        let public = |status: &Status| status.visibility == Visibility::Public;
        let status = match timeline {
            Timeline::Home => {
                let Some(viewer) = viewer else {
                    return Ok(None);
                };
                timelines::keep(app, tx, Some(viewer), id)?
                    .filter(|status| in_home(tx, viewer, status).unwrap_or(false))
            }
            Timeline::Direct => {
                let Some(viewer) = viewer else {
                    return Ok(None);
                };
                timelines::keep(app, tx, Some(viewer), id)?.filter(|status| {
                    status.visibility == Visibility::Direct
                        && (status.account_id == viewer || status.mentions.contains(&viewer))
                })
            }
            Timeline::List(list) => {
                let Some(viewer) = viewer else {
                    return Ok(None);
                };
                match timelines::keep(app, tx, Some(viewer), id)? {
                    Some(status) if on_list(app, tx, viewer, *list, &status)? => Some(status),
                    _ => None,
                }
            }
            Timeline::Public(scope) => {
                let status = timelines::keep_public(app, tx, viewer, id)?
                    .filter(|status| public(status) && status.reblog_of.is_none());
                match status {
                    Some(status) => {
                        let local = store_timelines::is_local_public(tx, id)?;
                        let wanted = match scope {
                            Scope::All => true,
                            Scope::Local => local,
                            Scope::Remote => !local,
                        };
                        wanted.then_some(status)
                    }
                    None => None,
                }
            }
            Timeline::Tag { name, local_only } => {
                let status = timelines::keep_public(app, tx, viewer, id)?.filter(|status| {
                    public(status)
                        && status.reblog_of.is_none()
                        && status.tags.iter().any(|tag| tag.eq_ignore_ascii_case(name))
                });
                match status {
                    Some(status) if !*local_only || store_timelines::is_local_public(tx, id)? => {
                        Some(status)
                    }
                    _ => None,
                }
            }
        };
        match status {
            Some(status) => Ok(Some(views::status_view(app, tx, viewer, status)?)),
            None => Ok(None),
        }
    })
}

/// Whether a status is on the viewer's list: by a member, and a reply only as the list's
/// replies policy allows (as `timelines::list` decides for the list timeline).
fn on_list(
    app: &App,
    reader: &impl Reader,
    viewer: AccountId,
    list: u64,
    status: &Status,
) -> Result<bool, AppError> {
    use crate::model::RepliesPolicy;
    use crate::store::lists;
    let Some(list) = lists::get(reader, list, app.bytes_max())?.filter(|list| list.owner == viewer)
    else {
        return Ok(false);
    };
    if !lists::is_member(reader, list.id, status.account_id)? {
        return Ok(false);
    }
    let Some(parent) = status.in_reply_to_account_id else {
        return Ok(true);
    };
    Ok(parent == status.account_id
        || match list.replies_policy {
            RepliesPolicy::None => false,
            RepliesPolicy::List => parent == viewer || lists::is_member(reader, list.id, parent)?,
            RepliesPolicy::Followed => {
                parent == viewer || Edge::FOLLOW.contains(reader, viewer.0, parent.0)?
            }
        })
}

/// Whether the `delete` of a status by `author` goes to the viewer's home stream: theirs, or
/// of someone they follow.
pub fn delete_reaches_home(
    app: &App,
    viewer: AccountId,
    author: AccountId,
) -> Result<bool, AppError> {
    if viewer == author {
        return Ok(true);
    }
    app.store
        .read(|tx| Ok(Edge::FOLLOW.contains(tx, viewer.0, author.0)?))
}
