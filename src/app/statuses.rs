//! Posting, reading and deleting statuses, and what people do to them (favourite, reblog,
//! bookmark, pin).

use redb::WriteTransaction;

use crate::model::{
    AccountId, AppId, Audience, NotificationKind, OutboxIntent, Status, StatusId, Visibility,
};
use crate::store::{Edge, Page, accounts, client_state, statuses, timelines};
use crate::util::time::now_ms;

use super::relationships::notify;
use super::views::{self, AccountView, StatusView};
use super::{App, AppError, outbox, text};

/// Pinned statuses per account (Mastodon: 5).
pub const PINS_MAX: usize = 5;
/// Ancestors walked for a thread's context; a loop, not recursion, over stored data.
const ANCESTORS_MAX: usize = 40;
/// Descendants gathered for a thread's context.
const DESCENDANTS_MAX: usize = 400;
/// Local followers a post is fanned out to; beyond it fan-out goes to a job (later issue).
const FANOUT_FOLLOWERS_MAX: usize = 100_000;
/// Characters of an `Idempotency-Key`.
pub const IDEMPOTENCY_KEY_BYTES_MAX: usize = 128;
/// Earlier versions kept per status for its edit history; older ones are dropped.
pub const EDITS_KEPT_MAX: usize = 50;
/// Characters of a language code.
const LANGUAGE_BYTES_MAX: usize = 16;

/// A status to post, as the client sent it.
#[derive(Clone, Debug, Default)]
pub struct NewStatus {
    pub text: String,
    pub spoiler_text: String,
    pub visibility: Option<Visibility>,
    pub in_reply_to_id: Option<StatusId>,
    pub sensitive: Option<bool>,
    pub language: Option<String>,
    pub idempotency_key: Option<String>,
    pub application_id: Option<AppId>,
    /// Checked with `polls::new_poll`.
    pub poll: Option<crate::model::Poll>,
    /// The scheduled status this post publishes; removed in the same transaction.
    pub scheduled: Option<crate::model::ScheduledStatus>,
    /// Uploads to attach (`media::attach` checks them).
    pub media_ids: Vec<crate::model::MediaId>,
}

/// The checks of a new status that need no database (also run when it is scheduled).
pub fn validate(app: &App, new: &NewStatus) -> Result<(), AppError> {
    let limits = &app.config.limits;
    if new.text.trim().is_empty() && new.media_ids.is_empty() {
        return Err(AppError::Validation("Text can't be blank".into()));
    }
    if text::count_chars(&new.text) > limits.status_chars_max {
        return Err(AppError::Validation(format!(
            "Text character limit of {} exceeded",
            limits.status_chars_max
        )));
    }
    if new.spoiler_text.chars().count() > limits.spoiler_chars_max {
        return Err(AppError::Validation(format!(
            "Spoiler text character limit of {} exceeded",
            limits.spoiler_chars_max
        )));
    }
    if new
        .language
        .as_ref()
        .is_some_and(|language| language.len() > LANGUAGE_BYTES_MAX)
    {
        return Err(AppError::Validation(
            "Language is not a language code".into(),
        ));
    }
    if new
        .idempotency_key
        .as_ref()
        .is_some_and(|key| key.len() > IDEMPOTENCY_KEY_BYTES_MAX)
    {
        return Err(AppError::BadRequest("Idempotency-Key is too long".into()));
    }
    Ok(())
}

pub fn post(app: &App, author: AccountId, new: NewStatus) -> Result<StatusView, AppError> {
    validate(app, &new)?;
    let limits = &app.config.limits;
    let now = now_ms();
    let id = StatusId(app.ids.next(now));
    let window_start_ms = now.saturating_sub(limits.idempotency_window_secs * 1000);
    app.write(|tx| {
        // A scheduled status deleted or already published in the meantime is not posted.
        if let Some(scheduled) = &new.scheduled {
            if crate::store::social::get_scheduled(tx, scheduled.id, app.bytes_max())?.as_ref()
                != Some(scheduled)
            {
                return Err(AppError::NotFound);
            }
        }
        if let Some(key) = &new.idempotency_key {
            if let Some(existing) =
                client_state::idempotent_status(tx, author.0, key, window_start_ms)?
            {
                let status = views::visible_status(app, tx, Some(author), StatusId(existing))?;
                return views::status_view(app, tx, Some(author), status);
            }
        }
        let user = accounts::get_user(tx, author, app.bytes_max())?
            .ok_or(AppError::Forbidden("This action is not allowed"))?;
        let in_reply_to = match new.in_reply_to_id {
            Some(parent) => Some(views::visible_status(app, tx, Some(author), parent)?),
            None => None,
        };
        if in_reply_to
            .as_ref()
            .is_some_and(|parent| parent.reblog_of.is_some())
        {
            return Err(AppError::Validation("You cannot reply to a reblog".into()));
        }
        let formatted = super::accounts::format_local_text(app, tx, &new.text);
        let mut mentions = formatted.mentions;
        // A reply mentions its parent's author, as Mastodon adds them to the addressing.
        if let Some(parent) = &in_reply_to {
            if parent.account_id != author && !mentions.contains(&parent.account_id) {
                mentions.push(parent.account_id);
            }
        }
        let status = Status {
            id,
            account_id: author,
            in_reply_to_id: in_reply_to.as_ref().map(|parent| parent.id),
            in_reply_to_account_id: in_reply_to.as_ref().map(|parent| parent.account_id),
            reblog_of: None,
            content_html: formatted.html,
            text_source: new.text.clone(),
            spoiler_text: new.spoiler_text.clone(),
            visibility: new.visibility.unwrap_or(user.default_visibility),
            sensitive: new.sensitive.unwrap_or(user.default_sensitive)
                || !new.spoiler_text.is_empty(),
            language: new.language.clone().or(user.default_language.clone()),
            mentions,
            tags: formatted.tags,
            application_id: new.application_id,
            created_ms: now,
            edited_ms: None,
            quote_of: None,
            media_ids: new.media_ids.clone(),
            uri: None,
        };
        super::media::attach(app, tx, author, status.id, &new.media_ids)?;
        statuses::insert_status(tx, &status, true)?;
        super::cards::link(app, tx, &status)?;
        if let Some(poll) = &new.poll {
            statuses::put_poll(tx, status.id, poll)?;
        }
        accounts::adjust_counts(tx, author, 1, 0, 0, Some(now))?;
        if let Some(parent) = &in_reply_to {
            statuses::adjust_counts(tx, parent.id, 1, 0, 0)?;
        }
        fan_out(app, tx, &status)?;
        outbox::enqueue(app, tx, OutboxIntent::CreateStatus { status: status.id })?;
        for mentioned in &status.mentions {
            notify(
                app,
                tx,
                *mentioned,
                NotificationKind::Mention,
                author,
                Some(status.id),
            )?;
        }
        if let Some(key) = &new.idempotency_key {
            client_state::put_idempotency(tx, author.0, key, status.id.0, now)?;
        }
        if let Some(scheduled) = &new.scheduled {
            crate::store::social::delete_scheduled(tx, scheduled)?;
        }
        super::metrics::Metrics::add(&app.metrics.statuses_created);
        views::status_view(app, tx, Some(author), status)
    })
}

/// The home feeds a status belongs in: its author's, its author's local followers' (unless
/// direct) and its mentioned local accounts' (for private and direct ones).
fn home_owners(
    app: &App,
    tx: &WriteTransaction,
    status: &Status,
) -> Result<Vec<AccountId>, AppError> {
    let mut owners = vec![status.account_id];
    if status.visibility != Visibility::Direct {
        for follower in Edge::FOLLOW.all_of_b(tx, status.account_id.0, FANOUT_FOLLOWERS_MAX)? {
            owners.push(AccountId(follower));
        }
    }
    if matches!(status.visibility, Visibility::Private | Visibility::Direct) {
        owners.extend(status.mentions.iter().copied());
    }
    owners.sort_unstable();
    owners.dedup();
    let mut local = Vec::with_capacity(owners.len());
    for owner in owners {
        if accounts::get_user(tx, owner, app.bytes_max())?.is_some() {
            local.push(owner);
        }
    }
    Ok(local)
}

pub(crate) fn fan_out(app: &App, tx: &WriteTransaction, status: &Status) -> Result<(), AppError> {
    for owner in home_owners(app, tx, status)? {
        if Edge::MUTE.contains(tx, owner.0, status.account_id.0)? && owner != status.account_id {
            continue;
        }
        if super::lists::excluded_from_home(app, tx, owner, status.account_id)? {
            continue;
        }
        timelines::push_home(
            tx,
            owner,
            status.id,
            app.config.limits.home_feed_entries_max,
        )?;
        if status.visibility == Visibility::Direct && status.reblog_of.is_none() {
            super::conversations::record(app, tx, owner, status)?;
        }
    }
    super::tags::fan_out_to_tag_followers(app, tx, status)?;
    super::stream::pending(super::stream::Event::StatusCreated { status: status.id });
    Ok(())
}

pub fn get(app: &App, viewer: Option<AccountId>, id: StatusId) -> Result<StatusView, AppError> {
    app.store.read(|tx| {
        let status = views::visible_status(app, tx, viewer, id)?;
        views::status_view(app, tx, viewer, status)
    })
}

/// Deletes the viewer's own status; returns it as it was, with its source text (for
/// "delete and redraft").
pub fn delete(app: &App, viewer: AccountId, id: StatusId) -> Result<StatusView, AppError> {
    app.write(|tx| {
        let status = views::visible_status(app, tx, Some(viewer), id)?;
        if status.account_id != viewer {
            return Err(AppError::Forbidden("This action is not allowed"));
        }
        let view = views::status_view(app, tx, Some(viewer), status.clone())?;
        remove_status(app, tx, &status)?;
        let audience = Audience {
            followers: status.visibility != Visibility::Direct,
            accounts: status.mentions.clone(),
        };
        outbox::enqueue(
            app,
            tx,
            OutboxIntent::DeleteStatus {
                author: viewer,
                status: status.id,
                audience,
            },
        )?;
        // Reblogs of a deleted status go with it.
        for (reblog_id, reblogger) in
            Edge::REBLOG.page_of_b(tx, status.id.0, Page::newest(usize::MAX))?
        {
            Edge::REBLOG.remove(tx, reblogger, status.id.0)?;
            if let Some(reblog) = statuses::get_status(tx, StatusId(reblog_id), app.bytes_max())? {
                remove_status(app, tx, &reblog)?;
            }
        }
        Ok(view)
    })
}

/// Removes a status, its indexes, its counters' contributions and its home-feed entries.
pub(crate) fn remove_status(
    app: &App,
    tx: &WriteTransaction,
    status: &Status,
) -> Result<(), AppError> {
    for owner in home_owners(app, tx, status)? {
        timelines::remove_home(tx, owner, status.id)?;
    }
    statuses::delete_status(tx, status)?;
    crate::store::social::delete_edits(tx, status.id)?;
    super::media::release_for_deleted_status(app, tx, status)?;
    accounts::adjust_counts(tx, status.account_id, -1, 0, 0, None)?;
    if let Some(parent) = status.in_reply_to_id {
        statuses::adjust_counts(tx, parent, -1, 0, 0)?;
    }
    if let Some(original) = status.reblog_of {
        statuses::adjust_counts(tx, original, 0, -1, 0)?;
    }
    if Edge::PIN
        .remove(tx, status.account_id.0, status.id.0)?
        .is_some()
    {
        // nothing else refers to a pin
    }
    super::stream::pending(super::stream::Event::StatusDeleted {
        status: status.id,
        author: status.account_id,
    });
    Ok(())
}

/// Ancestors (oldest first) and descendants (depth first, in reply order) that the viewer
/// may see.
pub fn context(
    app: &App,
    viewer: Option<AccountId>,
    id: StatusId,
) -> Result<(Vec<StatusView>, Vec<StatusView>), AppError> {
    app.store.read(|tx| {
        let status = views::visible_status(app, tx, viewer, id)?;
        let mut ancestors = Vec::new();
        let mut parent = status.in_reply_to_id;
        for _ in 0..ANCESTORS_MAX {
            let Some(parent_id) = parent else { break };
            let Some(found) = statuses::get_status(tx, parent_id, app.bytes_max())? else {
                break;
            };
            parent = found.in_reply_to_id;
            ancestors.push(found.id);
        }
        ancestors.reverse();
        let mut descendants = Vec::new();
        let mut stack = vec![status.id];
        while let Some(next) = stack.pop() {
            if descendants.len() >= DESCENDANTS_MAX {
                break;
            }
            if next != status.id {
                descendants.push(next);
            }
            let mut replies = statuses::reply_ids(tx, next, DESCENDANTS_MAX)?;
            replies.reverse();
            stack.extend(replies);
        }
        let thread = crate::model::FilterContext::Thread;
        Ok((
            super::filters::apply(
                app,
                tx,
                viewer,
                thread,
                views::status_views(app, tx, viewer, ancestors)?,
            )?,
            super::filters::apply(
                app,
                tx,
                viewer,
                thread,
                views::status_views(app, tx, viewer, descendants)?,
            )?,
        ))
    })
}

pub fn favourite(app: &App, viewer: AccountId, id: StatusId) -> Result<StatusView, AppError> {
    let favourite_id = app.next_id();
    app.write(|tx| {
        let status = original_of(app, tx, viewer, id)?;
        if Edge::FAVOURITE.add(tx, viewer.0, status.id.0, favourite_id)? {
            outbox::enqueue(
                app,
                tx,
                OutboxIntent::Like {
                    actor: viewer,
                    status: status.id,
                },
            )?;
            statuses::adjust_counts(tx, status.id, 0, 0, 1)?;
            notify(
                app,
                tx,
                status.account_id,
                NotificationKind::Favourite,
                viewer,
                Some(status.id),
            )?;
        }
        views::status_view(app, tx, Some(viewer), status)
    })
}

pub fn unfavourite(app: &App, viewer: AccountId, id: StatusId) -> Result<StatusView, AppError> {
    app.write(|tx| {
        let status = original_of(app, tx, viewer, id)?;
        if Edge::FAVOURITE.remove(tx, viewer.0, status.id.0)?.is_some() {
            outbox::enqueue(
                app,
                tx,
                OutboxIntent::UndoLike {
                    actor: viewer,
                    status: status.id,
                },
            )?;
            statuses::adjust_counts(tx, status.id, 0, 0, -1)?;
        }
        views::status_view(app, tx, Some(viewer), status)
    })
}

pub fn bookmark(app: &App, viewer: AccountId, id: StatusId) -> Result<StatusView, AppError> {
    let bookmark_id = app.next_id();
    app.write(|tx| {
        let status = original_of(app, tx, viewer, id)?;
        Edge::BOOKMARK.add(tx, viewer.0, status.id.0, bookmark_id)?;
        views::status_view(app, tx, Some(viewer), status)
    })
}

pub fn unbookmark(app: &App, viewer: AccountId, id: StatusId) -> Result<StatusView, AppError> {
    app.write(|tx| {
        let status = original_of(app, tx, viewer, id)?;
        Edge::BOOKMARK.remove(tx, viewer.0, status.id.0)?;
        views::status_view(app, tx, Some(viewer), status)
    })
}

/// Reblogs a status; returns the reblog (a status wrapping the original), as Mastodon.
pub fn reblog(
    app: &App,
    viewer: AccountId,
    id: StatusId,
    visibility: Option<Visibility>,
) -> Result<StatusView, AppError> {
    let now = now_ms();
    let reblog_id = StatusId(app.ids.next(now));
    app.write(|tx| {
        let original = original_of(app, tx, viewer, id)?;
        if !matches!(
            original.visibility,
            Visibility::Public | Visibility::Unlisted
        ) {
            return Err(AppError::Forbidden("This action is not allowed"));
        }
        if let Some(existing) = Edge::REBLOG.get(tx, viewer.0, original.id.0)? {
            let reblog = views::visible_status(app, tx, Some(viewer), StatusId(existing))?;
            return views::status_view(app, tx, Some(viewer), reblog);
        }
        let visibility = match visibility {
            Some(Visibility::Direct) | Some(Visibility::Private) => {
                return Err(AppError::Validation(
                    "Reblogs are public or unlisted".into(),
                ));
            }
            Some(visibility) => visibility,
            None => Visibility::Public,
        };
        let reblog = Status::reblog(reblog_id, viewer, original.id, visibility, now);
        statuses::insert_status(tx, &reblog, true)?;
        Edge::REBLOG.add(tx, viewer.0, original.id.0, reblog.id.0)?;
        statuses::adjust_counts(tx, original.id, 0, 1, 0)?;
        accounts::adjust_counts(tx, viewer, 1, 0, 0, Some(now))?;
        fan_out(app, tx, &reblog)?;
        outbox::enqueue(app, tx, OutboxIntent::Announce { reblog: reblog.id })?;
        notify(
            app,
            tx,
            original.account_id,
            NotificationKind::Reblog,
            viewer,
            Some(original.id),
        )?;
        views::status_view(app, tx, Some(viewer), reblog)
    })
}

/// Undoes a reblog; returns the original status.
pub fn unreblog(app: &App, viewer: AccountId, id: StatusId) -> Result<StatusView, AppError> {
    app.write(|tx| {
        let original = original_of(app, tx, viewer, id)?;
        if let Some(reblog_id) = Edge::REBLOG.remove(tx, viewer.0, original.id.0)? {
            if let Some(reblog) = statuses::get_status(tx, StatusId(reblog_id), app.bytes_max())? {
                remove_status(app, tx, &reblog)?;
                if let Some(original_uri) = super::documents::status_uri(app, tx, &original)? {
                    let audience = Audience {
                        followers: true,
                        accounts: vec![original.account_id],
                    };
                    let intent = OutboxIntent::UndoAnnounce {
                        author: viewer,
                        reblog: reblog.id,
                        original_uri,
                        audience,
                    };
                    outbox::enqueue(app, tx, intent)?;
                }
            }
        }
        views::status_view(app, tx, Some(viewer), original)
    })
}

pub fn pin(app: &App, viewer: AccountId, id: StatusId) -> Result<StatusView, AppError> {
    let pin_id = app.next_id();
    app.write(|tx| {
        let status = views::visible_status(app, tx, Some(viewer), id)?;
        if status.account_id != viewer || status.reblog_of.is_some() {
            return Err(AppError::Validation(
                "You can only pin your own statuses".into(),
            ));
        }
        if !matches!(status.visibility, Visibility::Public | Visibility::Unlisted) {
            return Err(AppError::Validation(
                "You can only pin public or unlisted statuses".into(),
            ));
        }
        if !Edge::PIN.contains(tx, viewer.0, status.id.0)? {
            if Edge::PIN
                .page_of_a(tx, viewer.0, Page::newest(PINS_MAX))?
                .len()
                >= PINS_MAX
            {
                return Err(AppError::Validation(format!(
                    "You have already pinned the maximum number of statuses ({PINS_MAX})"
                )));
            }
            Edge::PIN.add(tx, viewer.0, status.id.0, pin_id)?;
        }
        views::status_view(app, tx, Some(viewer), status)
    })
}

pub fn unpin(app: &App, viewer: AccountId, id: StatusId) -> Result<StatusView, AppError> {
    app.write(|tx| {
        let status = views::visible_status(app, tx, Some(viewer), id)?;
        Edge::PIN.remove(tx, viewer.0, status.id.0)?;
        views::status_view(app, tx, Some(viewer), status)
    })
}

/// The status an action applies to: for a reblog, its original (as Mastodon).
fn original_of(
    app: &App,
    tx: &WriteTransaction,
    viewer: AccountId,
    id: StatusId,
) -> Result<Status, AppError> {
    let status = views::visible_status(app, tx, Some(viewer), id)?;
    match status.reblog_of {
        Some(original) => views::visible_status(app, tx, Some(viewer), original),
        None => Ok(status),
    }
}

/// Who favourited or reblogged a status.
#[derive(Clone, Copy, Debug)]
pub enum Actors {
    FavouritedBy,
    RebloggedBy,
}

pub fn actors(
    app: &App,
    viewer: Option<AccountId>,
    id: StatusId,
    which: Actors,
    page: Page,
) -> Result<Vec<(u64, AccountView)>, AppError> {
    app.store.read(|tx| {
        let status = views::visible_status(app, tx, viewer, id)?;
        let edges = match which {
            Actors::FavouritedBy => Edge::FAVOURITE.page_of_b(tx, status.id.0, page)?,
            Actors::RebloggedBy => Edge::REBLOG.page_of_b(tx, status.id.0, page)?,
        };
        let mut out = Vec::new();
        for (edge_id, account) in edges {
            match views::load_account_view(app, tx, AccountId(account)) {
                Ok(view) => out.push((edge_id, view)),
                Err(AppError::NotFound) => continue,
                Err(error) => return Err(error),
            }
        }
        Ok(out)
    })
}

/// What an edit may change (`PUT /api/v1/statuses/:id`).
#[derive(Clone, Debug, Default)]
pub struct StatusEdit {
    pub text: String,
    pub spoiler_text: Option<String>,
    pub sensitive: Option<bool>,
    pub language: Option<String>,
}

/// Edits the viewer's own status; followers' servers receive an `Update`.
pub fn edit(
    app: &App,
    viewer: AccountId,
    id: StatusId,
    edit: StatusEdit,
) -> Result<StatusView, AppError> {
    let limits = &app.config.limits;
    if edit.text.trim().is_empty() {
        return Err(AppError::Validation("Text can't be blank".into()));
    }
    if text::count_chars(&edit.text) > limits.status_chars_max {
        return Err(AppError::Validation(format!(
            "Text character limit of {} exceeded",
            limits.status_chars_max
        )));
    }
    if edit
        .spoiler_text
        .as_ref()
        .is_some_and(|spoiler| spoiler.chars().count() > limits.spoiler_chars_max)
    {
        return Err(AppError::Validation(format!(
            "Spoiler text character limit of {} exceeded",
            limits.spoiler_chars_max
        )));
    }
    if edit
        .language
        .as_ref()
        .is_some_and(|language| language.len() > LANGUAGE_BYTES_MAX)
    {
        return Err(AppError::Validation(
            "Language is not a language code".into(),
        ));
    }
    app.write(|tx| {
        let mut status = views::visible_status(app, tx, Some(viewer), id)?;
        if status.account_id != viewer || status.reblog_of.is_some() {
            return Err(AppError::Forbidden("This action is not allowed"));
        }
        let edited_ms = now_ms();
        crate::store::social::put_edit(tx, &status, edited_ms, EDITS_KEPT_MAX)?;
        let formatted = super::accounts::format_local_text(app, tx, &edit.text);
        // Mentions and hashtags stay as posted: the indexes and who was notified do not move.
        status.content_html = formatted.html;
        status.text_source = edit.text.clone();
        if let Some(spoiler) = &edit.spoiler_text {
            status.spoiler_text = spoiler.clone();
        }
        status.sensitive =
            edit.sensitive.unwrap_or(status.sensitive) || !status.spoiler_text.is_empty();
        if let Some(language) = &edit.language {
            status.language = Some(language.clone()).filter(|language| !language.is_empty());
        }
        status.edited_ms = Some(edited_ms);
        statuses::update_status(tx, &status)?;
        super::cards::link(app, tx, &status)?;
        outbox::enqueue(app, tx, OutboxIntent::UpdateStatus { status: status.id })?;
        super::stream::pending(super::stream::Event::StatusUpdated { status: status.id });
        views::status_view(app, tx, Some(viewer), status)
    })
}

/// One version of a status in its edit history.
#[derive(Clone, Debug)]
pub struct Version {
    pub status: Status,
    /// When this version was written: the post's time, then each edit's.
    pub created_ms: u64,
}

/// The versions of a status, oldest first, the current one last (one version if never
/// edited, as Mastodon answers).
pub fn history(
    app: &App,
    viewer: Option<AccountId>,
    id: StatusId,
) -> Result<(Vec<Version>, AccountView), AppError> {
    app.store.read(|tx| {
        let current = views::visible_status(app, tx, viewer, id)?;
        let account = views::load_account_view(app, tx, current.account_id)?;
        let mut versions = Vec::new();
        let mut written_ms = current.created_ms;
        for (replaced_ms, previous) in crate::store::social::edits(tx, id, app.bytes_max())? {
            versions.push(Version {
                status: previous,
                created_ms: written_ms,
            });
            written_ms = replaced_ms;
        }
        versions.push(Version {
            created_ms: current.edited_ms.unwrap_or(written_ms),
            status: current,
        });
        Ok((versions, account))
    })
}
