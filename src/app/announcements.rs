//! Announcements: admins publish them (`skerry admin announcement`), every local user sees
//! the current ones in their apps (`/api/v1/announcements`) and dismisses them.

use crate::model::{AccountId, Announcement, AuditAction, Role};
use crate::store::moderation;
use crate::store::reactions::{self, ReactionCount};
use crate::util::time::now_ms;

use super::admin::{self, Actor};
use super::{App, AppError};

/// Announcements kept (old ones are deleted by hand); the API lists the current ones.
pub const ANNOUNCEMENTS_MAX: usize = 100;
/// Characters of an announcement (Mastodon has no limit; this is a bound on one request).
pub const TEXT_CHARS_MAX: usize = 5_000;

/// Publishes an announcement from plain text (paragraphs and links become HTML), shown until
/// `ends_in_secs` from now, or until deleted.
pub fn publish(
    app: &App,
    actor: Actor,
    text: &str,
    ends_in_secs: Option<u64>,
) -> Result<Announcement, AppError> {
    let text = text.trim();
    if text.is_empty() || text.chars().count() > TEXT_CHARS_MAX {
        return Err(AppError::Validation(format!(
            "Text must be 1 to {TEXT_CHARS_MAX} characters"
        )));
    }
    let html = super::text::format(
        text,
        |_| None::<super::text::ResolvedMention<u64>>,
        |tag| format!("{}/tags/{tag}", app.base_url),
    )
    .html;
    let now = now_ms();
    let announcement = Announcement {
        id: app.next_id(),
        text: text.to_string(),
        html,
        published_ms: now,
        ends_ms: ends_in_secs.map(|secs| now.saturating_add(secs.saturating_mul(1000))),
    };
    app.write(|tx| {
        admin::require_role(app, tx, actor, Role::Admin)?;
        if moderation::list_announcements(tx, ANNOUNCEMENTS_MAX, app.bytes_max())?.len()
            >= ANNOUNCEMENTS_MAX
        {
            return Err(AppError::Validation(format!(
                "There are {ANNOUNCEMENTS_MAX} announcements already"
            )));
        }
        moderation::put_announcement(tx, &announcement)?;
        super::moderation::audit(
            app,
            tx,
            actor,
            AuditAction::PublishAnnouncement,
            format!("announcement {}", announcement.id),
            "",
        )?;
        Ok(announcement.clone())
    })
}

pub fn delete(app: &App, actor: Actor, id: u64) -> Result<(), AppError> {
    app.write(|tx| {
        admin::require_role(app, tx, actor, Role::Admin)?;
        if !moderation::remove_announcement(tx, id)? {
            return Err(AppError::NotFound);
        }
        reactions::remove_all(tx, id)?;
        super::moderation::audit(
            app,
            tx,
            actor,
            AuditAction::DeleteAnnouncement,
            format!("announcement {id}"),
            "",
        )
    })
}

/// Every announcement, newest first (for the command line).
pub fn all(app: &App, actor: Actor) -> Result<Vec<Announcement>, AppError> {
    app.store.read(|tx| {
        admin::require_role(app, tx, actor, Role::Admin)?;
        Ok(moderation::list_announcements(
            tx,
            ANNOUNCEMENTS_MAX,
            app.bytes_max(),
        )?)
    })
}

/// An announcement as one user sees it.
#[derive(Clone, Debug)]
pub struct AnnouncementView {
    pub announcement: Announcement,
    /// Whether they dismissed it.
    pub read: bool,
    pub reactions: Vec<ReactionCount>,
}

/// The announcements a user sees now, newest first.
pub fn current(app: &App, viewer: AccountId) -> Result<Vec<AnnouncementView>, AppError> {
    let now = now_ms();
    app.store.read(|tx| {
        moderation::list_announcements(tx, ANNOUNCEMENTS_MAX, app.bytes_max())?
            .into_iter()
            .filter(|announcement| announcement.ends_ms.is_none_or(|ends| now < ends))
            .map(|announcement| {
                let read = moderation::announcement_read(tx, viewer, announcement.id)?;
                let reactions = reactions::counts(tx, announcement.id, viewer, REACTIONS_SCAN_MAX)?;
                Ok(AnnouncementView {
                    announcement,
                    read,
                    reactions,
                })
            })
            .collect()
    })
}

/// Marks an announcement read for a user.
pub fn dismiss(app: &App, viewer: AccountId, id: u64) -> Result<(), AppError> {
    app.write(|tx| {
        moderation::get_announcement(tx, id, app.bytes_max())?.ok_or(AppError::NotFound)?;
        moderation::mark_announcement_read(tx, viewer, id)?;
        Ok(())
    })
}

/// Distinct emoji on one announcement (Mastodon's reaction limit).
pub const REACTION_NAMES_MAX: usize = 8;
/// Reactions counted per announcement: every local user's, on a small server.
const REACTIONS_SCAN_MAX: usize = 10_000;
/// Bytes of a reaction's name (the longest Unicode emoji sequences are about 35 bytes).
const REACTION_NAME_BYTES_MAX: usize = 64;

/// Adds (`on`) or removes the viewer's reaction to a current announcement. Only Unicode
/// emoji are accepted; custom emoji are refused like unknown names.
pub fn react(app: &App, viewer: AccountId, id: u64, name: &str, on: bool) -> Result<(), AppError> {
    let known = name.len() <= REACTION_NAME_BYTES_MAX && emojis::get(name).is_some();
    if on && !known {
        return Err(AppError::Validation(
            "Name is not a recognized emoji".into(),
        ));
    }
    let now = now_ms();
    app.write(|tx| {
        let announcement =
            moderation::get_announcement(tx, id, app.bytes_max())?.ok_or(AppError::NotFound)?;
        if announcement.ends_ms.is_some_and(|ends| ends <= now) {
            return Err(AppError::NotFound);
        }
        if !on {
            // Removing a reaction that is not there is not an error (Mastodon).
            reactions::remove(tx, id, name, viewer)?;
            return Ok(());
        }
        let present = reactions::counts(tx, id, viewer, REACTIONS_SCAN_MAX)?;
        let new_name = !present.iter().any(|reaction| reaction.name == name);
        if new_name && present.len() >= REACTION_NAMES_MAX {
            return Err(AppError::Validation(format!(
                "Maximum number of different reactions reached ({REACTION_NAMES_MAX})"
            )));
        }
        reactions::add(tx, id, name, viewer, now)?;
        Ok(())
    })
}
