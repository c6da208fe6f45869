//! Timelines: home, public (local, remote), hashtag, an account's statuses, favourites and
//! bookmarks. Each is one range scan, filtered by visibility, blocks and mutes.

use crate::model::{AccountId, FilterContext, RepliesPolicy, Status, StatusId};
use crate::store::{Edge, Page, Reader, statuses, timelines};

use super::views::{self, StatusView};
use super::{App, AppError, domains, filters};

/// Index keys a filtered page looks at before it returns what it has: a page of a timeline
/// full of muted accounts must not scan the whole table.
const SCAN_KEYS_MAX: usize = 2_000;
/// Merge rounds of one list timeline page (see `list`).
const LIST_ROUNDS_MAX: usize = 10;

/// Whether a status belongs in the viewer's timelines: visible, and neither its author nor
/// (for a reblog) the original's author is blocked or muted by the viewer.
pub(crate) fn keep(
    app: &App,
    reader: &impl Reader,
    viewer: Option<AccountId>,
    id: StatusId,
) -> Result<Option<Status>, AppError> {
    let status = match views::visible_status(app, reader, viewer, id) {
        Ok(status) => status,
        Err(AppError::NotFound) => return Ok(None),
        Err(error) => return Err(error),
    };
    if let Some(viewer) = viewer {
        let mut authors = vec![status.account_id];
        if let Some(original) = status.reblog_of.and_then(|id| {
            statuses::get_status(reader, id, app.bytes_max())
                .ok()
                .flatten()
        }) {
            authors.push(original.account_id);
        }
        for author in authors {
            if author != viewer
                && (Edge::BLOCK.contains(reader, viewer.0, author.0)?
                    || Edge::MUTE.contains(reader, viewer.0, author.0)?
                    || super::domain_blocks::hides_id(app, reader, viewer, author)?)
            {
                return Ok(None);
            }
        }
    }
    Ok(Some(status))
}

/// Whether a status (or, for a reblog, its original) is by an account on a silenced
/// domain: such statuses stay out of the public and hashtag timelines for everyone
/// (Mastodon's "limit"); followers still get them in their home feeds.
fn is_silenced(app: &App, reader: &impl Reader, status: &Status) -> Result<bool, AppError> {
    if domains::is_silenced(app, reader, status.account_id)? {
        return Ok(true);
    }
    match status.reblog_of {
        Some(original) => match statuses::get_status(reader, original, app.bytes_max())? {
            Some(original) => domains::is_silenced(app, reader, original.account_id),
            None => Ok(false),
        },
        None => Ok(false),
    }
}

/// `keep`, and not silenced: the filter of the public and hashtag timelines.
pub(crate) fn keep_public(
    app: &App,
    reader: &impl Reader,
    viewer: Option<AccountId>,
    id: StatusId,
) -> Result<Option<Status>, AppError> {
    match keep(app, reader, viewer, id)? {
        Some(status) if !is_silenced(app, reader, &status)? => Ok(Some(status)),
        _ => Ok(None),
    }
}

/// Views of `found`, with the viewer's filters of `context` applied.
fn render(
    app: &App,
    reader: &impl Reader,
    viewer: Option<AccountId>,
    context: FilterContext,
    found: Vec<Status>,
) -> Result<Vec<StatusView>, AppError> {
    let views = found
        .into_iter()
        .map(|status| views::status_view(app, reader, viewer, status))
        .collect::<Result<Vec<_>, _>>()?;
    filters::apply(app, reader, viewer, context, views)
}

pub fn home(app: &App, viewer: AccountId, page: Page) -> Result<Vec<StatusView>, AppError> {
    app.store.read(|tx| {
        let found = timelines::home_page(tx, viewer, page, SCAN_KEYS_MAX, |id| {
            keep(app, tx, Some(viewer), id)
        })?;
        render(app, tx, Some(viewer), FilterContext::Home, found)
    })
}

/// A list's timeline: the members' statuses, merged at read time (see `lists`), filtered
/// as the home feed is, and the list's replies policy applied.
pub fn list(
    app: &App,
    viewer: AccountId,
    id: u64,
    page: Page,
) -> Result<Vec<StatusView>, AppError> {
    app.store.read(|tx| {
        let list = match crate::store::lists::get(tx, id, app.bytes_max())? {
            Some(list) if list.owner == viewer => list,
            _ => return Err(AppError::NotFound),
        };
        let members = crate::store::lists::members(tx, id, super::lists::LIST_ACCOUNTS_MAX)?;
        let ascending = page.ascending();
        let mut cursor = page;
        let mut found = Vec::new();
        // Rounds: each takes up to `limit` ids of every member, merged; the merge is exact up
        // to the nearest last id of a member whose batch was full, the next round's cursor.
        for _ in 0..LIST_ROUNDS_MAX {
            let mut ids = Vec::new();
            let mut boundary: Option<StatusId> = None;
            for member in &members {
                let batch = timelines::account_page(tx, *member, cursor, page.limit, |id| {
                    Ok::<_, AppError>(Some(id))
                })?;
                if batch.len() >= page.limit {
                    // Newest first: the far end is the last id, or the first one ascending.
                    let far = if ascending {
                        batch[0]
                    } else {
                        batch[batch.len() - 1]
                    };
                    boundary = Some(match boundary {
                        None => far,
                        Some(current) if ascending => current.min(far),
                        Some(current) => current.max(far),
                    });
                }
                ids.extend(batch);
            }
            ids.sort_unstable();
            ids.dedup();
            if !ascending {
                ids.reverse();
            }
            for id in ids {
                if found.len() >= page.limit {
                    break;
                }
                if boundary.is_some_and(|edge| if ascending { id > edge } else { id < edge }) {
                    break;
                }
                let Some(status) = keep(app, tx, Some(viewer), id)? else {
                    continue;
                };
                if let Some(parent) = status.in_reply_to_account_id {
                    let shown = parent == status.account_id
                        || match list.replies_policy {
                            RepliesPolicy::None => false,
                            RepliesPolicy::List => {
                                parent == viewer || members.binary_search(&parent).is_ok()
                            }
                            RepliesPolicy::Followed => {
                                parent == viewer || Edge::FOLLOW.contains(tx, viewer.0, parent.0)?
                            }
                        };
                    if !shown {
                        continue;
                    }
                }
                found.push(status);
            }
            match boundary {
                Some(edge) if found.len() < page.limit => {
                    if ascending {
                        cursor.min_id = Some(edge.0);
                    } else {
                        cursor.max_id = Some(edge.0);
                    }
                }
                _ => break,
            }
        }
        found.sort_unstable_by_key(|status| std::cmp::Reverse(status.id));
        render(app, tx, Some(viewer), FilterContext::Home, found)
    })
}

/// Which part of the public timeline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    All,
    Local,
    Remote,
}

/// The public timeline; `only_media` keeps statuses with attachments (a filtered scan of at
/// most `SCAN_KEYS_MAX` keys, as the account timeline's).
pub fn public(
    app: &App,
    viewer: Option<AccountId>,
    scope: Scope,
    only_media: bool,
    page: Page,
) -> Result<Vec<StatusView>, AppError> {
    app.store.read(|tx| {
        let found = timelines::public_page(tx, scope == Scope::Local, page, SCAN_KEYS_MAX, |id| {
            if scope == Scope::Remote && timelines::is_local_public(tx, id)? {
                return Ok(None);
            }
            Ok::<_, AppError>(
                keep_public(app, tx, viewer, id)?
                    .filter(|status| !only_media || !status.media_ids.is_empty()),
            )
        })?;
        render(app, tx, viewer, FilterContext::Public, found)
    })
}

pub fn tag(
    app: &App,
    viewer: Option<AccountId>,
    name: &str,
    local_only: bool,
    only_media: bool,
    page: Page,
) -> Result<Vec<StatusView>, AppError> {
    app.store.read(|tx| {
        let Some(tag) = statuses::tag_id(tx, name)? else {
            return Ok(Vec::new());
        };
        let found = timelines::tag_page(tx, tag, page, SCAN_KEYS_MAX, |id| {
            if local_only && !timelines::is_local_public(tx, id)? {
                return Ok(None);
            }
            Ok::<_, AppError>(
                keep_public(app, tx, viewer, id)?
                    .filter(|status| !only_media || !status.media_ids.is_empty()),
            )
        })?;
        render(app, tx, viewer, FilterContext::Public, found)
    })
}

/// Bytes of the URL `GET /api/v1/timelines/link` looks for.
pub const LINK_URL_BYTES_MAX: usize = 2_048;

/// Public statuses whose content links to `url` (`GET /api/v1/timelines/link`), newest
/// first, within the public timeline's scan bound. Mastodon serves only trending links'
/// timelines; here any link found in a public status has one.
pub fn link(
    app: &App,
    viewer: Option<AccountId>,
    url: &str,
    page: Page,
) -> Result<Vec<StatusView>, AppError> {
    if url.len() > LINK_URL_BYTES_MAX {
        return Err(AppError::Validation(format!(
            "URL is longer than {LINK_URL_BYTES_MAX} bytes"
        )));
    }
    app.store.read(|tx| {
        let found = timelines::public_page(tx, false, page, SCAN_KEYS_MAX, |id| {
            let Some(status) = keep_public(app, tx, viewer, id)? else {
                return Ok::<_, AppError>(None);
            };
            let links = super::discovery::links_of(&status.content_html);
            Ok(links.iter().any(|link| link == url).then_some(status))
        })?;
        render(app, tx, viewer, FilterContext::Public, found)
    })
}

/// Filters of `GET /api/v1/accounts/:id/statuses`.
#[derive(Clone, Copy, Debug, Default)]
pub struct AccountFilter {
    pub pinned: bool,
    pub exclude_replies: bool,
    pub exclude_reblogs: bool,
    /// Statuses with media attachments only (reblogs have none of their own).
    pub only_media: bool,
    pub tagged: bool,
}

pub fn account(
    app: &App,
    viewer: Option<AccountId>,
    account: AccountId,
    filter: AccountFilter,
    tagged: Option<&str>,
    page: Page,
) -> Result<Vec<StatusView>, AppError> {
    app.store.read(|tx| {
        views::load_account(app, tx, account)?;
        if viewer.is_some_and(|viewer| {
            Edge::BLOCK
                .contains(tx, account.0, viewer.0)
                .unwrap_or(false)
        }) {
            return Ok(Vec::new());
        }
        let found: Vec<Status> = if filter.pinned {
            let pins = Edge::PIN.page_of_a(tx, account.0, page)?;
            let mut found = Vec::new();
            for (_, status) in pins {
                if let Some(status) = keep(app, tx, viewer, StatusId(status))? {
                    found.push(status);
                }
            }
            found
        } else {
            let tagged = tagged.map(str::to_lowercase);
            timelines::account_page(tx, account, page, SCAN_KEYS_MAX, |id| {
                let Some(status) = keep(app, tx, viewer, id)? else {
                    return Ok::<_, AppError>(None);
                };
                let is_reply_to_other = status
                    .in_reply_to_account_id
                    .is_some_and(|parent| parent != account);
                if (filter.exclude_replies && is_reply_to_other)
                    || (filter.exclude_reblogs && status.reblog_of.is_some())
                    || (filter.only_media && status.media_ids.is_empty())
                    || tagged
                        .as_ref()
                        .is_some_and(|tag| !status.tags.contains(tag))
                {
                    return Ok(None);
                }
                Ok(Some(status))
            })?
        };
        render(app, tx, viewer, FilterContext::Account, found)
    })
}

/// The viewer's favourites or bookmarks, with the id of each (for `Link` headers).
pub fn saved(
    app: &App,
    viewer: AccountId,
    bookmarks: bool,
    page: Page,
) -> Result<Vec<(u64, StatusView)>, AppError> {
    app.store.read(|tx| {
        let edge = if bookmarks {
            Edge::BOOKMARK
        } else {
            Edge::FAVOURITE
        };
        let mut out = Vec::new();
        for (edge_id, status) in edge.page_of_a(tx, viewer.0, page)? {
            if let Some(status) = keep(app, tx, Some(viewer), StatusId(status))? {
                out.push((edge_id, views::status_view(app, tx, Some(viewer), status)?));
            }
        }
        Ok(out)
    })
}
