//! Scheduled statuses: kept durably with their parameters in `SCHEDULED_STATUSES` and
//! published by the scheduler when due.
//!
//! Architecture Invariant: publishing is one transaction that posts the status and removes
//! the scheduled one (`NewStatus::scheduled`), so a crash never posts twice or loses one;
//! a restart publishes what fell due while the server was down.

use std::time::Duration;

use tokio::sync::watch;

use crate::model::{AccountId, ScheduledPoll, ScheduledStatus};
use crate::store::{Page, page_pairs, schema, social};
use crate::util::time::now_ms;

use super::statuses::{self, NewStatus};
use super::{App, AppError};

/// Scheduled statuses one account may have waiting (Mastodon: 300).
pub const PER_ACCOUNT_MAX: usize = 300;
/// Scheduled statuses published per pass of the scheduler.
const PUBLISH_BATCH_MAX: usize = 32;
/// How often the scheduler looks for due statuses.
const POLL: Duration = Duration::from_secs(1);

/// The status a scheduled one becomes, as the poster asked for it.
fn new_status(scheduled: &ScheduledStatus) -> Result<NewStatus, AppError> {
    let poll = match &scheduled.poll {
        Some(poll) => Some(super::polls::new_poll(
            poll.options.clone(),
            poll.expires_in_secs,
            poll.multiple,
        )?),
        None => None,
    };
    Ok(NewStatus {
        text: scheduled.text.clone(),
        spoiler_text: scheduled.spoiler_text.clone(),
        visibility: scheduled.visibility,
        in_reply_to_id: scheduled.in_reply_to_id,
        sensitive: scheduled.sensitive,
        language: scheduled.language.clone(),
        idempotency_key: None,
        application_id: scheduled.application_id,
        poll,
        // Refused at scheduling time (`api::v1::statuses::create`).
        media_ids: Vec::new(),
        scheduled: Some(scheduled.clone()),
    })
}

fn check_time(app: &App, scheduled_ms: u64) -> Result<(), AppError> {
    let lead_ms = app.config.limits.scheduled_status_lead_secs_min * 1000;
    if scheduled_ms < now_ms().saturating_add(lead_ms) {
        return Err(AppError::Validation(format!(
            "Scheduled at the specified time must be at least {} seconds in the future",
            app.config.limits.scheduled_status_lead_secs_min
        )));
    }
    Ok(())
}

/// Schedules a status; `new` is checked as a post would be.
pub fn create(
    app: &App,
    owner: AccountId,
    new: NewStatus,
    poll: Option<ScheduledPoll>,
    scheduled_ms: u64,
) -> Result<ScheduledStatus, AppError> {
    statuses::validate(app, &new)?;
    check_time(app, scheduled_ms)?;
    let scheduled = ScheduledStatus {
        id: app.next_id(),
        owner,
        scheduled_ms,
        text: new.text,
        spoiler_text: new.spoiler_text,
        visibility: new.visibility,
        in_reply_to_id: new.in_reply_to_id,
        sensitive: new.sensitive,
        language: new.language,
        application_id: new.application_id,
        poll,
    };
    app.write(|tx| {
        if social::scheduled_of(tx, owner.0, PER_ACCOUNT_MAX)?.len() >= PER_ACCOUNT_MAX {
            return Err(AppError::Validation(format!(
                "You cannot have more than {PER_ACCOUNT_MAX} scheduled statuses"
            )));
        }
        social::put_scheduled(tx, &scheduled, None)?;
        Ok(scheduled)
    })
}

fn owned(
    app: &App,
    reader: &impl crate::store::Reader,
    owner: AccountId,
    id: u64,
) -> Result<ScheduledStatus, AppError> {
    match social::get_scheduled(reader, id, app.bytes_max())? {
        Some(scheduled) if scheduled.owner == owner => Ok(scheduled),
        _ => Err(AppError::NotFound),
    }
}

pub fn list(app: &App, owner: AccountId, page: Page) -> Result<Vec<ScheduledStatus>, AppError> {
    app.store.read(|tx| {
        page_pairs(
            tx,
            schema::OWNER_SCHEDULED,
            owner.0,
            page,
            usize::MAX,
            |id, ()| Ok::<_, AppError>(social::get_scheduled(tx, id, app.bytes_max())?),
        )
    })
}

pub fn get(app: &App, owner: AccountId, id: u64) -> Result<ScheduledStatus, AppError> {
    app.store.read(|tx| owned(app, tx, owner, id))
}

/// Moves a scheduled status to another time.
pub fn reschedule(
    app: &App,
    owner: AccountId,
    id: u64,
    scheduled_ms: u64,
) -> Result<ScheduledStatus, AppError> {
    check_time(app, scheduled_ms)?;
    app.write(|tx| {
        let mut scheduled = owned(app, tx, owner, id)?;
        let previous = scheduled.scheduled_ms;
        scheduled.scheduled_ms = scheduled_ms;
        social::put_scheduled(tx, &scheduled, Some(previous))?;
        Ok(scheduled)
    })
}

pub fn delete(app: &App, owner: AccountId, id: u64) -> Result<(), AppError> {
    app.write(|tx| {
        let scheduled = owned(app, tx, owner, id)?;
        social::delete_scheduled(tx, &scheduled)?;
        Ok(())
    })
}

/// Publishes the scheduled statuses due at `now_ms`; returns how many were handled. One
/// that can no longer be posted (its reply target is gone, its author suspended) is dropped
/// with a log line, as Mastodon drops it, so that it does not block the queue.
pub fn publish_due(app: &App, now_ms: u64) -> Result<usize, AppError> {
    let due = app
        .store
        .read(|tx| social::scheduled_due(tx, now_ms, PUBLISH_BATCH_MAX))?;
    let mut handled = 0;
    for id in due {
        let Some(scheduled) = app
            .store
            .read(|tx| social::get_scheduled(tx, id, app.bytes_max()))?
        else {
            continue;
        };
        let outcome = new_status(&scheduled)
            .and_then(|new| statuses::post(app, scheduled.owner, new).map(|_| ()));
        match outcome {
            Ok(()) => handled += 1,
            Err(AppError::Unavailable(error)) => return Err(AppError::Unavailable(error)),
            Err(AppError::Internal(message)) => return Err(AppError::Internal(message)),
            Err(error) => {
                tracing::warn!(id, %error, "a scheduled status could not be posted; dropped");
                app.write(|tx| {
                    if social::get_scheduled(tx, id, app.bytes_max())?.is_some() {
                        social::delete_scheduled(tx, &scheduled)?;
                    }
                    Ok::<_, AppError>(())
                })?;
                handled += 1;
            }
        }
    }
    Ok(handled)
}

/// The scheduler: publishes due statuses once a second until `shutdown` turns true.
pub async fn run(app: App, mut shutdown: watch::Receiver<bool>) {
    /// Pause after a storage error before trying again.
    const ERROR_PAUSE: Duration = Duration::from_secs(5);
    loop {
        if *shutdown.borrow() {
            return;
        }
        match app.run(|app| publish_due(app, now_ms())).await {
            Ok(count) if count >= PUBLISH_BATCH_MAX => continue,
            Ok(_) => {}
            Err(error) => {
                tracing::warn!(%error, "scheduler");
                tokio::time::sleep(ERROR_PAUSE).await;
            }
        }
        tokio::select! {
            changed = shutdown.changed() => if changed.is_err() { return },
            () = tokio::time::sleep(POLL) => {}
        }
    }
}
