//! What the API renders: a record with everything around it that an entity shows (counts,
//! the viewer's flags, mentioned accounts, the reblogged status), loaded in one snapshot.
//! Also the visibility rule that every read path applies.

use crate::model::{Account, AccountId, App as OAuthApp, Severity, Status, StatusId, Visibility};
use crate::store::accounts::AccountCounts;
use crate::store::statuses::StatusCounts;
use crate::store::{Edge, Reader, accounts, oauth, statuses};

use super::{App, AppError};

#[derive(Clone, Debug)]
pub struct AccountView {
    pub account: Account,
    pub counts: AccountCounts,
    /// For a remote account: its actor id and profile page.
    pub remote: Option<RemoteRef>,
    /// The custom emojis (of its domain) that its display name and note name.
    pub emojis: Vec<(crate::model::CustomEmoji, Option<crate::model::Media>)>,
}

/// Where a remote account lives.
#[derive(Clone, Debug)]
pub struct RemoteRef {
    pub uri: String,
    pub url: Option<String>,
}

/// The viewer's own relation to a status.
#[derive(Clone, Copy, Debug, Default)]
pub struct ViewerFlags {
    pub favourited: bool,
    pub reblogged: bool,
    pub bookmarked: bool,
    pub pinned: bool,
    /// The viewer muted the thread.
    pub muted: bool,
}

#[derive(Clone, Debug)]
pub struct StatusView {
    pub status: Status,
    pub account: AccountView,
    pub counts: StatusCounts,
    /// `None` when nobody is signed in.
    pub viewer: Option<ViewerFlags>,
    pub mentions: Vec<AccountView>,
    pub application: Option<OAuthApp>,
    pub reblog: Option<Box<StatusView>>,
    /// The id (URI) of a remote status (or of the Announce of a remote reblog).
    pub remote_uri: Option<String>,
    /// The status it quotes, if stored and visible (one level: a quote's own quote is not
    /// loaded).
    pub quote: Option<Box<StatusView>>,
    /// Emoji reactions from peers that send them: (emoji, count, the viewer's own).
    pub reactions: Vec<(String, u32, bool)>,
    /// The poll, and the viewer's choices in it if they voted.
    pub poll: Option<(crate::model::Poll, Option<Vec<u32>>)>,
    /// The viewer's filters that match, in a timeline that applies them (`filters::apply`).
    pub filtered: Vec<super::filters::FilterMatch>,
    /// Media attachments, in order.
    pub media: Vec<crate::model::Media>,
    /// The link preview, when its card is ready.
    pub card: Option<super::cards::CardView>,
    /// The custom emojis its text names (of its author's domain), with their images.
    pub emojis: Vec<(crate::model::CustomEmoji, Option<crate::model::Media>)>,
}

/// The relation between the viewer and another account.
#[derive(Clone, Debug)]
pub struct RelationshipView {
    pub id: AccountId,
    pub following: bool,
    pub followed_by: bool,
    pub blocking: bool,
    pub blocked_by: bool,
    pub muting: bool,
    pub muting_notifications: bool,
    /// A follow request of the viewer waits for an answer.
    pub requested: bool,
    /// The other account asked to follow the viewer.
    pub requested_by: bool,
    /// The viewer endorses the other account on their profile.
    pub endorsed: bool,
    /// The viewer blocks the other account's domain.
    pub domain_blocking: bool,
    /// The viewer's private note on the other account.
    pub note: String,
}

/// An account that exists and is not suspended, by itself or by a domain block.
pub fn load_account(app: &App, reader: &impl Reader, id: AccountId) -> Result<Account, AppError> {
    let account = accounts::get_account(reader, id, app.bytes_max())?
        .filter(|account| account.suspended_ms.is_none())
        .ok_or(AppError::NotFound)?;
    if super::domains::severity_of(app, reader, &account)? == Some(Severity::Suspend) {
        return Err(AppError::NotFound);
    }
    Ok(account)
}

pub fn account_view(
    app: &App,
    reader: &impl Reader,
    account: Account,
) -> Result<AccountView, AppError> {
    let counts = accounts::get_counts(reader, account.id)?;
    let remote = match account.domain {
        None => None,
        Some(_) => accounts::get_remote_actor(reader, account.id, app.bytes_max())?.map(|actor| {
            RemoteRef {
                uri: actor.uri,
                url: actor.url,
            }
        }),
    };
    let emojis = super::emoji::used_in(
        app,
        reader,
        account.domain.as_deref(),
        &super::emoji::account_texts(&account),
    )?;
    Ok(AccountView {
        account,
        counts,
        remote,
        emojis,
    })
}

pub fn load_account_view(
    app: &App,
    reader: &impl Reader,
    id: AccountId,
) -> Result<AccountView, AppError> {
    account_view(app, reader, load_account(app, reader, id)?)
}

/// Whether `viewer` may see `status`: Mastodon's visibility levels, and no statuses of
/// accounts that block the viewer.
pub fn can_see(
    reader: &impl Reader,
    viewer: Option<AccountId>,
    status: &Status,
) -> Result<bool, AppError> {
    let author = status.account_id;
    if let Some(viewer) = viewer {
        if viewer == author {
            return Ok(true);
        }
        if Edge::BLOCK.contains(reader, author.0, viewer.0)? {
            return Ok(false);
        }
    }
    Ok(match status.visibility {
        Visibility::Public | Visibility::Unlisted => true,
        Visibility::Private => {
            viewer.is_some_and(|viewer| status.mentions.contains(&viewer))
                || match viewer {
                    Some(viewer) => Edge::FOLLOW.contains(reader, viewer.0, author.0)?,
                    None => false,
                }
        }
        Visibility::Direct => viewer.is_some_and(|viewer| status.mentions.contains(&viewer)),
    })
}

/// A status the viewer may see, or `NotFound` (never `Forbidden`: that would confirm it exists).
pub fn visible_status(
    app: &App,
    reader: &impl Reader,
    viewer: Option<AccountId>,
    id: StatusId,
) -> Result<Status, AppError> {
    let status = statuses::get_status(reader, id, app.bytes_max())?.ok_or(AppError::NotFound)?;
    if !can_see(reader, viewer, &status)? {
        return Err(AppError::NotFound);
    }
    // Statuses of suspended accounts (or of accounts on a suspended domain) are not shown.
    load_account(app, reader, status.account_id)?;
    if let Some(original) = status.reblog_of {
        // A reblog is visible only while its original is.
        visible_status(app, reader, viewer, original)?;
    }
    Ok(status)
}

/// Everything an API status shows, for `viewer`.
pub fn status_view(
    app: &App,
    reader: &impl Reader,
    viewer: Option<AccountId>,
    status: Status,
) -> Result<StatusView, AppError> {
    status_view_inner(app, reader, viewer, status, true)
}

fn status_view_inner(
    app: &App,
    reader: &impl Reader,
    viewer: Option<AccountId>,
    status: Status,
    with_quote: bool,
) -> Result<StatusView, AppError> {
    let reblog = match status.reblog_of {
        Some(original) => {
            let original = statuses::get_status(reader, original, app.bytes_max())?
                .ok_or(AppError::NotFound)?;
            Some(Box::new(status_view(app, reader, viewer, original)?))
        }
        None => None,
    };
    let account = load_account_view(app, reader, status.account_id)?;
    let counts = statuses::get_counts(reader, status.id)?;
    let viewer_flags = match viewer {
        Some(viewer) => Some(ViewerFlags {
            favourited: Edge::FAVOURITE.contains(reader, viewer.0, status.id.0)?,
            reblogged: Edge::REBLOG.contains(reader, viewer.0, status.id.0)?,
            bookmarked: Edge::BOOKMARK.contains(reader, viewer.0, status.id.0)?,
            pinned: viewer == status.account_id
                && Edge::PIN.contains(reader, viewer.0, status.id.0)?,
            muted: super::conversations::is_muted(app, reader, viewer, &status)?,
        }),
        None => None,
    };
    let mut mentions = Vec::with_capacity(status.mentions.len());
    for id in &status.mentions {
        if let Some(account) = accounts::get_account(reader, *id, app.bytes_max())? {
            mentions.push(account_view(app, reader, account)?);
        }
    }
    let application = match status.application_id {
        Some(id) => oauth::get_app(reader, id, app.bytes_max())?,
        None => None,
    };
    let quote = match status.quote_of {
        Some(quoted) if with_quote => match visible_status(app, reader, viewer, quoted) {
            Ok(quoted) => Some(Box::new(status_view_inner(
                app, reader, viewer, quoted, false,
            )?)),
            Err(AppError::NotFound) => None,
            Err(error) => return Err(error),
        },
        _ => None,
    };
    /// Reactions read per status; enough for every emoji a post realistically gets.
    const REACTIONS_READ_MAX: usize = 1000;
    let reactions = statuses::reactions(
        reader,
        status.id,
        viewer.map(|viewer| viewer.0),
        REACTIONS_READ_MAX,
    )?;
    let poll = match statuses::get_poll(reader, status.id, app.bytes_max())? {
        Some(poll) => {
            let choices = match viewer {
                Some(viewer) => statuses::poll_choices(reader, status.id, viewer.0)?,
                None => None,
            };
            Some((poll, choices))
        }
        None => None,
    };
    let remote_uri = if account.account.is_local() {
        None
    } else {
        status.uri.clone()
    };
    let media = super::media::of_status(app, reader, &status.media_ids)?;
    let card = super::cards::of_status(app, reader, status.id)?;
    let emojis = super::emoji::used_in(
        app,
        reader,
        account.account.domain.as_deref(),
        &[&status.content_html, &status.spoiler_text],
    )?;
    Ok(StatusView {
        media,
        card,
        emojis,
        status,
        account,
        counts,
        viewer: viewer_flags,
        mentions,
        application,
        reblog,
        remote_uri,
        quote,
        reactions,
        poll,
        filtered: Vec::new(),
    })
}

/// Status views of `ids` that the viewer may see, in the given order; gone or hidden ones
/// are skipped.
pub fn status_views(
    app: &App,
    reader: &impl Reader,
    viewer: Option<AccountId>,
    ids: impl IntoIterator<Item = StatusId>,
) -> Result<Vec<StatusView>, AppError> {
    let mut views = Vec::new();
    for id in ids {
        match visible_status(app, reader, viewer, id) {
            Ok(status) => views.push(status_view(app, reader, viewer, status)?),
            Err(AppError::NotFound) => continue,
            Err(error) => return Err(error),
        }
    }
    Ok(views)
}

pub fn relationship(
    app: &App,
    reader: &impl Reader,
    viewer: AccountId,
    other: AccountId,
) -> Result<RelationshipView, AppError> {
    let domain_blocking = super::domain_blocks::hides_id(app, reader, viewer, other)?;
    let note = crate::store::social::note(reader, viewer.0, other.0)?;
    let (a, b) = (viewer.0, other.0);
    Ok(RelationshipView {
        id: other,
        following: Edge::FOLLOW.contains(reader, a, b)?,
        followed_by: Edge::FOLLOW.contains(reader, b, a)?,
        blocking: Edge::BLOCK.contains(reader, a, b)?,
        blocked_by: Edge::BLOCK.contains(reader, b, a)?,
        muting: Edge::MUTE.contains(reader, a, b)?,
        muting_notifications: crate::store::mute_hides_notifications(reader, a, b)?,
        requested: Edge::FOLLOW_REQUEST.contains(reader, a, b)?,
        requested_by: Edge::FOLLOW_REQUEST.contains(reader, b, a)?,
        endorsed: Edge::ENDORSEMENT.contains(reader, a, b)?,
        domain_blocking,
        note,
    })
}
