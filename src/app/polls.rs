//! Polls: created with a status, voted on by local and remote accounts, kept for remote
//! statuses as their server reports them. Not yet: notifications when a poll ends (they need
//! the periodic job table of the footprint issue).

use crate::model::{AccountId, OutboxIntent, Poll, PollOption, StatusId};
use crate::store::statuses;
use crate::util::time::now_ms;

use super::views::{self, StatusView};
use super::{App, AppError, outbox};

/// Options of a local poll (Mastodon: 4) and characters per option (Mastodon: 50).
pub const OPTIONS_MAX: usize = 4;
pub const OPTION_CHARS_MAX: usize = 50;
/// Shortest and longest life of a local poll, in seconds (Mastodon: 5 minutes, 1 month).
pub const EXPIRES_IN_SECS_MIN: u64 = 300;
pub const EXPIRES_IN_SECS_MAX: u64 = 2_629_746;

/// A new poll from the client's options, checked as Mastodon checks them.
pub fn new_poll(
    options: Vec<String>,
    expires_in_secs: u64,
    multiple: bool,
) -> Result<Poll, AppError> {
    if options.len() < 2 || options.len() > OPTIONS_MAX {
        return Err(AppError::Validation(format!(
            "Poll must have 2 to {OPTIONS_MAX} options"
        )));
    }
    let options: Vec<String> = options
        .into_iter()
        .map(|option| option.trim().to_string())
        .collect();
    if options
        .iter()
        .any(|option| option.is_empty() || option.chars().count() > OPTION_CHARS_MAX)
    {
        return Err(AppError::Validation(format!(
            "Poll options must be 1 to {OPTION_CHARS_MAX} characters"
        )));
    }
    if options
        .iter()
        .enumerate()
        .any(|(index, option)| options[..index].contains(option))
    {
        return Err(AppError::Validation(
            "Poll options must be different".into(),
        ));
    }
    if !(EXPIRES_IN_SECS_MIN..=EXPIRES_IN_SECS_MAX).contains(&expires_in_secs) {
        return Err(AppError::Validation(format!(
            "Poll duration must be between {EXPIRES_IN_SECS_MIN} and {EXPIRES_IN_SECS_MAX} seconds"
        )));
    }
    Ok(Poll {
        options: options
            .into_iter()
            .map(|title| PollOption { title, votes: 0 })
            .collect(),
        multiple,
        expires_ms: Some(now_ms() + expires_in_secs * 1000),
        voters: 0,
    })
}

/// Whether a poll has ended.
pub fn is_expired(poll: &Poll) -> bool {
    poll.expires_ms.is_some_and(|expires| expires <= now_ms())
}

/// The status of a poll as the viewer may see it.
pub fn get(app: &App, viewer: Option<AccountId>, id: StatusId) -> Result<StatusView, AppError> {
    super::statuses::get(app, viewer, id).and_then(|view| {
        if view.poll.is_some() {
            Ok(view)
        } else {
            Err(AppError::NotFound)
        }
    })
}

/// A local account votes; a remote poll's server receives the vote.
pub fn vote(
    app: &App,
    viewer: AccountId,
    id: StatusId,
    choices: Vec<u32>,
) -> Result<StatusView, AppError> {
    app.write(|tx| {
        let status = views::visible_status(app, tx, Some(viewer), id)?;
        let mut poll = statuses::get_poll(tx, id, app.bytes_max())?.ok_or(AppError::NotFound)?;
        if is_expired(&poll) {
            return Err(AppError::Validation("The poll has already ended".into()));
        }
        if statuses::poll_choices(tx, id, viewer.0)?.is_some() {
            return Err(AppError::Validation(
                "You have already voted on this poll".into(),
            ));
        }
        let mut choices = choices;
        choices.sort_unstable();
        choices.dedup();
        if choices.is_empty()
            || choices
                .iter()
                .any(|choice| *choice as usize >= poll.options.len())
        {
            return Err(AppError::Validation(
                "Choices are not options of this poll".into(),
            ));
        }
        if choices.len() > 1 && !poll.multiple {
            return Err(AppError::Validation("This poll takes one choice".into()));
        }
        for choice in &choices {
            poll.options[*choice as usize].votes += 1;
        }
        poll.voters += 1;
        statuses::put_poll(tx, id, &poll)?;
        statuses::put_poll_choices(tx, id, viewer.0, &choices)?;
        let author_is_local =
            crate::store::accounts::get_user(tx, status.account_id, app.bytes_max())?.is_some();
        if !author_is_local {
            outbox::enqueue(
                app,
                tx,
                OutboxIntent::Vote {
                    voter: viewer,
                    status: id,
                    choices,
                },
            )?;
        }
        views::status_view(app, tx, Some(viewer), status)
    })
}

/// A remote account's vote (a `Note` named as an option, in reply to a local poll).
pub fn remote_vote(
    app: &App,
    voter: AccountId,
    id: StatusId,
    option_title: &str,
) -> Result<bool, AppError> {
    app.write(|tx| remote_vote_in(app, tx, voter, id, option_title))
}

/// `remote_vote` in the caller's transaction.
pub fn remote_vote_in(
    app: &App,
    tx: &redb::WriteTransaction,
    voter: AccountId,
    id: StatusId,
    option_title: &str,
) -> Result<bool, AppError> {
    {
        let Some(mut poll) = statuses::get_poll(tx, id, app.bytes_max())? else {
            return Ok(false);
        };
        if is_expired(&poll) {
            return Ok(false);
        }
        let Some(index) = poll
            .options
            .iter()
            .position(|option| option.title == option_title)
        else {
            return Ok(false);
        };
        let mut choices = statuses::poll_choices(tx, id, voter.0)?.unwrap_or_default();
        let first_vote = choices.is_empty();
        let index = u32::try_from(index).unwrap_or(u32::MAX);
        if choices.contains(&index) || (!poll.multiple && !first_vote) {
            return Ok(false);
        }
        choices.push(index);
        poll.options[index as usize].votes += 1;
        if first_vote {
            poll.voters += 1;
        }
        statuses::put_poll(tx, id, &poll)?;
        statuses::put_poll_choices(tx, id, voter.0, &choices)?;
        Ok(true)
    }
}
