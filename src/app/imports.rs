//! Mastodon's CSV exports and imports of follows, lists, blocks, mutes and bookmarks (the
//! files of Mastodon's `/settings/exports/*.csv` and `/settings/imports`), so that a
//! person can move between Skerry and Mastodon.
//!
//! An import applies each row through the same operations as the API (follow, block,
//! mute, list membership, bookmark), so each row is one durable change; a row that cannot
//! be applied (unknown account, a list member not followed) is reported and skipped.
//! Accounts and posts on other servers are looked up first by the API edge
//! (`remote_references`), within a bound.

use crate::model::{AccountId, StatusId};
use crate::store::{Edge, Page, accounts, lists, statuses};

use super::{App, AppError};

/// Rows of one import (Mastodon: 1,000 for most kinds).
pub const ROWS_MAX: usize = 1_000;
/// Entries written to one export at most.
const EXPORT_ROWS_MAX: usize = 100_000;

/// What a file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Following,
    Lists,
    Blocks,
    Mutes,
    DomainBlocks,
    Bookmarks,
}

impl Kind {
    /// Mastodon's names, as in `form_import[type]` and the export file names.
    pub fn parse(name: &str) -> Option<Kind> {
        Some(match name {
            "following" | "follows" => Kind::Following,
            "lists" => Kind::Lists,
            "blocking" | "blocks" => Kind::Blocks,
            "muting" | "mutes" => Kind::Mutes,
            "domain_blocking" | "domain_blocks" => Kind::DomainBlocks,
            "bookmarks" => Kind::Bookmarks,
            _ => return None,
        })
    }
}

/// `user@host` as Mastodon writes accounts in its files (local accounts with our host).
fn address(app: &App, account: &crate::model::Account) -> String {
    match &account.domain {
        Some(domain) => format!("{}@{domain}", account.username),
        None => format!("{}@{}", account.username, app.config.server.host),
    }
}

fn write_csv(header: Option<&[&str]>, rows: Vec<Vec<String>>) -> Result<String, AppError> {
    let mut writer = csv::WriterBuilder::new().from_writer(Vec::new());
    let internal = |error: csv::Error| AppError::Internal(format!("csv: {error}"));
    if let Some(header) = header {
        writer.write_record(header).map_err(internal)?;
    }
    for row in rows {
        writer.write_record(&row).map_err(internal)?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|error| AppError::Internal(format!("csv: {error}")))?;
    String::from_utf8(bytes).map_err(|_| AppError::Internal("csv is not UTF-8".into()))
}

/// The viewer's data of `kind` as Mastodon's CSV.
pub fn export(app: &App, viewer: AccountId, kind: Kind) -> Result<String, AppError> {
    app.store.read(|tx| {
        let account_of = |id: u64| -> Result<Option<crate::model::Account>, AppError> {
            Ok(accounts::get_account(tx, AccountId(id), app.bytes_max())?)
        };
        let all = Page::newest(EXPORT_ROWS_MAX);
        match kind {
            Kind::Following => {
                let mut rows = Vec::new();
                for (_, id) in Edge::FOLLOW.page_of_a(tx, viewer.0, all)? {
                    if let Some(account) = account_of(id)? {
                        rows.push(vec![
                            address(app, &account),
                            "true".into(),
                            "false".into(),
                            String::new(),
                        ]);
                    }
                }
                write_csv(
                    Some(&[
                        "Account address",
                        "Show boosts",
                        "Notify on new posts",
                        "Languages",
                    ]),
                    rows,
                )
            }
            Kind::Lists => {
                let mut rows = Vec::new();
                for id in lists::of_owner(tx, viewer)? {
                    let Some(list) = lists::get(tx, id, app.bytes_max())? else {
                        continue;
                    };
                    for member in lists::members(tx, id, super::lists::LIST_ACCOUNTS_MAX)? {
                        if let Some(account) = account_of(member.0)? {
                            rows.push(vec![list.title.clone(), address(app, &account)]);
                        }
                    }
                }
                write_csv(None, rows)
            }
            Kind::Blocks => {
                let mut rows = Vec::new();
                for (_, id) in Edge::BLOCK.page_of_a(tx, viewer.0, all)? {
                    if let Some(account) = account_of(id)? {
                        rows.push(vec![address(app, &account)]);
                    }
                }
                write_csv(None, rows)
            }
            Kind::Mutes => {
                let mut rows = Vec::new();
                for (_, id) in Edge::MUTE.page_of_a(tx, viewer.0, all)? {
                    if let Some(account) = account_of(id)? {
                        let hides = crate::store::mute_hides_notifications(tx, viewer.0, id)?;
                        rows.push(vec![address(app, &account), hides.to_string()]);
                    }
                }
                write_csv(Some(&["Account address", "Hide notifications"]), rows)
            }
            Kind::DomainBlocks => {
                let rows = crate::store::social::user_domain_blocks_page(tx, viewer.0, all)?
                    .into_iter()
                    .rev()
                    .map(|(_, domain)| vec![domain])
                    .collect();
                write_csv(None, rows)
            }
            Kind::Bookmarks => {
                let mut rows = Vec::new();
                for (_, id) in Edge::BOOKMARK.page_of_a(tx, viewer.0, all)? {
                    let id = StatusId(id);
                    let Some(status) = statuses::get_status(tx, id, app.bytes_max())? else {
                        continue;
                    };
                    let url = match status.uri.clone() {
                        Some(uri) => uri,
                        None => match account_of(status.account_id.0)? {
                            Some(author) => {
                                format!("{}/statuses/{}", app.actor_url(&author.username), id)
                            }
                            None => continue,
                        },
                    };
                    rows.push(vec![url]);
                }
                write_csv(None, rows)
            }
        }
    })
}

/// The rows of an uploaded file: its first two columns, without Mastodon's header row.
pub fn parse(text: &str) -> Result<Vec<(String, String)>, AppError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for (index, record) in reader.records().enumerate() {
        let record = record
            .map_err(|error| AppError::Validation(format!("The file is not CSV: {error}")))?;
        let first = record.get(0).unwrap_or_default().to_string();
        let second = record.get(1).unwrap_or_default().to_string();
        let is_header = index == 0
            && matches!(
                first.as_str(),
                "Account address" | "#domain" | "#uri" | "Domain"
            );
        if is_header || first.is_empty() {
            continue;
        }
        if rows.len() >= ROWS_MAX {
            return Err(AppError::Validation(format!(
                "An import holds at most {ROWS_MAX} rows"
            )));
        }
        // Lists: (list name, account); mutes: (account, hide notifications); others: one
        // column.
        rows.push((first, second));
    }
    Ok(rows)
}

/// The account an address names (`user@host`, `@user@host`, `user` for a local one), if
/// it is known here.
pub fn account_by_address(app: &App, address: &str) -> Result<Option<AccountId>, AppError> {
    let trimmed = address.trim().trim_start_matches('@').to_lowercase();
    let own_suffix = format!("@{}", app.config.server.host.to_ascii_lowercase());
    let acct = trimmed.strip_suffix(&own_suffix).unwrap_or(&trimmed);
    Ok(app
        .store
        .read(|tx| accounts::account_id_by_acct(tx, acct))?)
}

/// The status a URL names: a local status URL or a known remote status's id.
pub fn status_by_url(app: &App, url: &str) -> Result<Option<StatusId>, AppError> {
    let url = url.trim();
    if let Some(local) = url.strip_prefix(&app.base_url) {
        let id = local.rsplit('/').next().unwrap_or_default();
        return Ok(id.parse().ok().map(StatusId));
    }
    Ok(app.store.read(|tx| statuses::status_id_by_uri(tx, url))?)
}

/// How an import went.
#[derive(Clone, Debug, Default)]
pub struct ImportReport {
    pub imported: usize,
    /// Rows not applied, with the reason.
    pub failed: Vec<(String, String)>,
    /// Entries removed because the file did not list them (`overwrite` mode).
    pub removed: usize,
}

/// How an import treats what is already there (Mastodon's `mode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Adds the file's entries; nothing is removed.
    Merge,
    /// Adds the file's entries and removes the ones it does not list, so the set becomes the
    /// file's (lists: lists the file does not name are deleted, and the named ones keep only
    /// the file's members).
    Overwrite,
}

impl Mode {
    pub fn parse(name: &str) -> Option<Mode> {
        match name {
            "merge" => Some(Mode::Merge),
            "overwrite" => Some(Mode::Overwrite),
            _ => None,
        }
    }
}

/// Applies the rows of an import, then in `Overwrite` mode removes what the file does not
/// list. Each row and each removal is its own durable change, as through the API.
pub fn apply(
    app: &App,
    viewer: AccountId,
    kind: Kind,
    rows: Vec<(String, String)>,
    mode: Mode,
) -> Result<ImportReport, AppError> {
    let mut report = ImportReport::default();
    if mode == Mode::Overwrite {
        report.removed = remove_unlisted(app, viewer, kind, &rows)?;
    }
    for (first, second) in rows {
        let outcome = apply_row(app, viewer, kind, &first, &second);
        match outcome {
            Ok(()) => report.imported += 1,
            Err(AppError::Unavailable(error)) => return Err(AppError::Unavailable(error)),
            Err(error) => {
                let row = if second.is_empty() {
                    first
                } else {
                    format!("{first},{second}")
                };
                report.failed.push((row, error.to_string()));
            }
        }
    }
    Ok(report)
}

fn apply_row(
    app: &App,
    viewer: AccountId,
    kind: Kind,
    first: &str,
    second: &str,
) -> Result<(), AppError> {
    let account = |address: &str| -> Result<AccountId, AppError> {
        account_by_address(app, address)?.ok_or(AppError::NotFound)
    };
    let truthy = |text: &str| text.eq_ignore_ascii_case("true");
    match kind {
        Kind::Following => {
            super::relationships::follow(app, viewer, account(first)?)?;
        }
        Kind::Blocks => {
            super::relationships::block(app, viewer, account(first)?)?;
        }
        Kind::Mutes => {
            super::relationships::mute(app, viewer, account(first)?, truthy(second))?;
        }
        Kind::Bookmarks => {
            let id = status_by_url(app, first)?.ok_or(AppError::NotFound)?;
            super::statuses::bookmark(app, viewer, id)?;
        }
        Kind::Lists => {
            let member = account(second)?;
            let existing = super::lists::all(app, viewer)?
                .into_iter()
                .find(|list| list.title == first);
            let list = match existing {
                Some(list) => list,
                None => super::lists::create(
                    app,
                    viewer,
                    super::lists::ListUpdate {
                        title: Some(first.to_string()),
                        ..Default::default()
                    },
                )?,
            };
            super::lists::add_members(app, viewer, list.id, &[member])?;
        }
        Kind::DomainBlocks => super::domain_blocks::block(app, viewer, first)?,
    }
    Ok(())
}

/// Removes the viewer's entries of `kind` that `rows` do not list; returns how many.
fn remove_unlisted(
    app: &App,
    viewer: AccountId,
    kind: Kind,
    rows: &[(String, String)],
) -> Result<usize, AppError> {
    use std::collections::{HashMap, HashSet};
    let all = Page::newest(EXPORT_ROWS_MAX);
    let account = |address: &str| account_by_address(app, address).ok().flatten();
    let mut removed = 0;
    match kind {
        Kind::Following | Kind::Blocks | Kind::Mutes => {
            let wanted: HashSet<AccountId> = rows
                .iter()
                .filter_map(|(first, _)| account(first))
                .collect();
            let edge = match kind {
                Kind::Following => Edge::FOLLOW,
                Kind::Blocks => Edge::BLOCK,
                _ => Edge::MUTE,
            };
            let current = app
                .store
                .read(|tx| Ok::<_, AppError>(edge.page_of_a(tx, viewer.0, all)?))?;
            for (_, id) in current {
                let id = AccountId(id);
                if wanted.contains(&id) {
                    continue;
                }
                match kind {
                    Kind::Following => super::relationships::unfollow(app, viewer, id)?,
                    Kind::Blocks => super::relationships::unblock(app, viewer, id)?,
                    _ => super::relationships::unmute(app, viewer, id)?,
                };
                removed += 1;
            }
        }
        Kind::DomainBlocks => {
            let wanted: HashSet<String> = rows
                .iter()
                .map(|(first, _)| first.trim().to_lowercase())
                .collect();
            let current = app.store.read(|tx| {
                Ok::<_, AppError>(crate::store::social::user_domain_blocks_page(
                    tx, viewer.0, all,
                )?)
            })?;
            for (_, domain) in current {
                if !wanted.contains(&domain) {
                    super::domain_blocks::unblock(app, viewer, &domain)?;
                    removed += 1;
                }
            }
        }
        Kind::Bookmarks => {
            let wanted: HashSet<StatusId> = rows
                .iter()
                .filter_map(|(first, _)| status_by_url(app, first).ok().flatten())
                .collect();
            let current = app
                .store
                .read(|tx| Ok::<_, AppError>(Edge::BOOKMARK.page_of_a(tx, viewer.0, all)?))?;
            for (_, id) in current {
                let id = StatusId(id);
                if wanted.contains(&id) {
                    continue;
                }
                match super::statuses::unbookmark(app, viewer, id) {
                    // A bookmark of a status no longer visible goes with the status.
                    Ok(_) | Err(AppError::NotFound) => removed += 1,
                    Err(error) => return Err(error),
                }
            }
        }
        Kind::Lists => {
            let mut wanted: HashMap<&str, HashSet<AccountId>> = HashMap::new();
            for (title, address) in rows {
                let members = wanted.entry(title.as_str()).or_default();
                if let Some(id) = account(address) {
                    members.insert(id);
                }
            }
            for list in super::lists::all(app, viewer)? {
                let Some(members) = wanted.get(list.title.as_str()) else {
                    super::lists::delete(app, viewer, list.id)?;
                    removed += 1;
                    continue;
                };
                let unlisted: Vec<AccountId> = super::lists::members(app, viewer, list.id)?
                    .into_iter()
                    .map(|view| view.account.id)
                    .filter(|id| !members.contains(id))
                    .collect();
                if !unlisted.is_empty() {
                    removed += unlisted.len();
                    super::lists::remove_members(app, viewer, list.id, &unlisted)?;
                }
            }
        }
    }
    Ok(removed)
}
