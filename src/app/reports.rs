//! Reports that local users file (`POST /api/v1/reports`); peers' `Flag`s arrive through
//! `remote::report`. Moderators handle both (`moderation`).

use crate::model::{AccountId, Report, StatusId};
use crate::store::statuses;
use crate::util::time::now_ms;

use super::views;
use super::{App, AppError};

/// Characters of a report's comment (Mastodon: 1,000).
pub const COMMENT_CHARS_MAX: usize = 1_000;
/// Statuses attached to one report.
pub const STATUSES_MAX: usize = 100;

/// Files a report on `target`, with statuses of theirs the reporter can see; with `forward`,
/// a remote target's server gets it too, as a `Flag` from the instance actor (queued in the
/// same transaction). Returns whether it was forwarded.
pub fn create(
    app: &App,
    reporter: AccountId,
    target: AccountId,
    status_ids: Vec<StatusId>,
    comment: &str,
    forward: bool,
) -> Result<(Report, views::AccountView, bool), AppError> {
    if comment.chars().count() > COMMENT_CHARS_MAX {
        return Err(AppError::Validation(format!(
            "Comment is too long (maximum is {COMMENT_CHARS_MAX} characters)"
        )));
    }
    if status_ids.len() > STATUSES_MAX {
        return Err(AppError::Validation(format!(
            "A report holds at most {STATUSES_MAX} statuses"
        )));
    }
    if reporter == target {
        return Err(AppError::Validation("You cannot report yourself".into()));
    }
    let report = Report {
        id: app.next_id(),
        reporter,
        target,
        statuses: status_ids,
        comment: comment.to_string(),
        uri: None,
        created_ms: now_ms(),
    };
    app.write(|tx| {
        let account = views::load_account_view(app, tx, target)?;
        for id in &report.statuses {
            let status = views::visible_status(app, tx, Some(reporter), *id).map_err(|_| {
                AppError::Validation("Statuses are not by the reported account".into())
            })?;
            if status.account_id != target {
                return Err(AppError::Validation(
                    "Statuses are not by the reported account".into(),
                ));
            }
        }
        statuses::put_report(tx, &report)?;
        let forwarded = forward && super::moderation::forward_report(app, tx, &report)?;
        Ok((report, account, forwarded))
    })
}
