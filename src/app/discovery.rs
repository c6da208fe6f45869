//! Finding people and posts, computed from local data (no separate index): follow
//! suggestions, the profile directory, familiar followers, trends (hashtags, statuses,
//! links) and the instance's peers and weekly activity.
//!
//! Every scan here is bounded by a named maximum, so a large database makes the answers
//! less complete, never slower without end.

use std::collections::HashMap;

use crate::model::{AccountId, StatusId, Visibility};
use crate::store::{Edge, Page, Reader, accounts, social, statuses, timelines};
use crate::util::ids::{id_floor_for_ms, ms_of_id};
use crate::util::time::now_ms;

use super::views::{self, AccountView, StatusView};
use super::{App, AppError};

const DAY_MS: u64 = 86_400_000;
/// Followed accounts whose follows are looked at for suggestions.
const SUGGESTION_FOLLOWED_MAX: usize = 200;
/// Follows of each followed account looked at for suggestions.
const SUGGESTION_SECOND_DEGREE_MAX: usize = 200;
/// Accounts looked at for the directory and the newest-accounts suggestions.
const DIRECTORY_SCAN_MAX: usize = 5_000;
/// Followers of an account looked at for familiar followers.
const FAMILIAR_FOLLOWERS_SCAN_MAX: usize = 5_000;
/// Recent public statuses looked at for trends.
const TRENDS_SCAN_MAX: usize = 5_000;
/// Days of public statuses that trends look at.
const TRENDS_DAYS: u64 = 7;
/// Known accounts looked at for the list of peers.
const PEERS_SCAN_MAX: usize = 100_000;
/// Statuses counted per week of activity.
const ACTIVITY_STATUSES_MAX: usize = 100_000;
/// Weeks of `GET /api/v1/instance/activity` (Mastodon: 12).
pub const ACTIVITY_WEEKS: u64 = 12;

/// Whether `candidate` may be suggested to `viewer`: not themselves, not already followed
/// or requested, not blocked or muted either way, not dismissed, not suspended.
fn suggestible(
    app: &App,
    reader: &impl Reader,
    viewer: AccountId,
    candidate: AccountId,
) -> Result<Option<AccountView>, AppError> {
    let (a, b) = (viewer.0, candidate.0);
    if viewer == candidate
        || Edge::FOLLOW.contains(reader, a, b)?
        || Edge::FOLLOW_REQUEST.contains(reader, a, b)?
        || Edge::BLOCK.contains(reader, a, b)?
        || Edge::BLOCK.contains(reader, b, a)?
        || Edge::MUTE.contains(reader, a, b)?
        || social::suggestion_dismissed(reader, a, b)?
    {
        return Ok(None);
    }
    match views::load_account_view(app, reader, candidate) {
        Ok(view) => Ok(Some(view)),
        Err(AppError::NotFound) => Ok(None),
        Err(error) => Err(error),
    }
}

/// Where a suggestion comes from, as Mastodon's v2 `sources`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SuggestionSource {
    /// Followed by accounts the viewer follows.
    FriendsOfFriends,
    /// A discoverable local account.
    Featured,
}

/// Accounts to follow: first those most followed by the accounts the viewer follows, then
/// discoverable local accounts with the most followers.
pub fn suggestions(
    app: &App,
    viewer: AccountId,
    limit: usize,
) -> Result<Vec<(SuggestionSource, AccountView)>, AppError> {
    app.store.read(|tx| {
        let mut scores: HashMap<AccountId, u32> = HashMap::new();
        for followed in Edge::FOLLOW.all_of_a(tx, viewer.0, SUGGESTION_FOLLOWED_MAX)? {
            for candidate in Edge::FOLLOW.all_of_a(tx, followed, SUGGESTION_SECOND_DEGREE_MAX)? {
                *scores.entry(AccountId(candidate)).or_default() += 1;
            }
        }
        let mut ranked: Vec<(AccountId, u32)> = scores.into_iter().collect();
        ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| b.0.cmp(&a.0)));
        let mut out = Vec::new();
        for (candidate, _) in ranked {
            if out.len() >= limit {
                return Ok(out);
            }
            if let Some(view) = suggestible(app, tx, viewer, candidate)? {
                if view.account.discoverable {
                    out.push((SuggestionSource::FriendsOfFriends, view));
                }
            }
        }
        let mut local = Vec::new();
        for id in accounts::local_user_ids(tx, DIRECTORY_SCAN_MAX)? {
            if out.iter().any(|(_, view)| view.account.id == id) {
                continue;
            }
            if let Some(view) = suggestible(app, tx, viewer, id)? {
                if view.account.discoverable {
                    local.push(view);
                }
            }
        }
        local.sort_by_key(|view| std::cmp::Reverse(view.counts.followers));
        out.extend(
            local
                .into_iter()
                .take(limit.saturating_sub(out.len()))
                .map(|view| (SuggestionSource::Featured, view)),
        );
        Ok(out)
    })
}

pub fn dismiss_suggestion(app: &App, viewer: AccountId, id: AccountId) -> Result<(), AppError> {
    app.write(|tx| {
        social::dismiss_suggestion(tx, viewer.0, id.0)?;
        Ok(())
    })
}

/// Order of the profile directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DirectoryOrder {
    /// Most recently posted first.
    Active,
    /// Newest accounts first.
    New,
}

/// Discoverable accounts (`local`: only this server's), as `GET /api/v1/directory`.
pub fn directory(
    app: &App,
    order: DirectoryOrder,
    local: bool,
    offset: usize,
    limit: usize,
) -> Result<Vec<AccountView>, AppError> {
    app.store.read(|tx| {
        let ids = if local {
            let mut ids = accounts::local_user_ids(tx, DIRECTORY_SCAN_MAX)?;
            ids.reverse();
            ids
        } else {
            accounts::newest_account_ids(tx, DIRECTORY_SCAN_MAX)?
        };
        let mut found = Vec::new();
        for id in ids {
            match views::load_account_view(app, tx, id) {
                Ok(view) if view.account.discoverable => found.push(view),
                Ok(_) | Err(AppError::NotFound) => {}
                Err(error) => return Err(error),
            }
        }
        if order == DirectoryOrder::Active {
            found.sort_by(|a, b| {
                b.counts
                    .last_status_ms
                    .cmp(&a.counts.last_status_ms)
                    .then_with(|| b.account.id.cmp(&a.account.id))
            });
        }
        Ok(found.into_iter().skip(offset).take(limit).collect())
    })
}

/// For each account: the accounts the viewer follows that follow it.
pub fn familiar_followers(
    app: &App,
    viewer: AccountId,
    ids: Vec<AccountId>,
) -> Result<Vec<(AccountId, Vec<AccountView>)>, AppError> {
    app.store.read(|tx| {
        let mut out = Vec::new();
        for id in ids {
            let mut familiar = Vec::new();
            for follower in Edge::FOLLOW.all_of_b(tx, id.0, FAMILIAR_FOLLOWERS_SCAN_MAX)? {
                if follower != viewer.0 && Edge::FOLLOW.contains(tx, viewer.0, follower)? {
                    match views::load_account_view(app, tx, AccountId(follower)) {
                        Ok(view) => familiar.push(view),
                        Err(AppError::NotFound) => {}
                        Err(error) => return Err(error),
                    }
                }
            }
            out.push((id, familiar));
        }
        Ok(out)
    })
}

/// Recent public statuses (not reblogs, no silenced or suspended authors), newest first.
fn recent_public(
    app: &App,
    reader: &impl Reader,
    viewer: Option<AccountId>,
) -> Result<Vec<StatusView>, AppError> {
    let since = id_floor_for_ms(now_ms().saturating_sub(TRENDS_DAYS * DAY_MS));
    let ids: Vec<StatusId> = timelines::public_page(
        reader,
        false,
        Page {
            since_id: Some(since),
            ..Page::newest(TRENDS_SCAN_MAX)
        },
        TRENDS_SCAN_MAX,
        |id| Ok::<_, AppError>(Some(id)),
    )?;
    let mut out = Vec::new();
    for id in ids {
        let Some(status) = super::timelines::keep(app, reader, viewer, id)? else {
            continue;
        };
        if status.visibility != Visibility::Public
            || super::domains::is_silenced(app, reader, status.account_id)?
        {
            continue;
        }
        out.push(views::status_view(app, reader, viewer, status)?);
    }
    Ok(out)
}

/// Hashtags used by the most distinct accounts in the last days.
pub fn trending_tags(app: &App, limit: usize, offset: usize) -> Result<Vec<String>, AppError> {
    app.store.read(|tx| {
        let mut authors: HashMap<String, Vec<AccountId>> = HashMap::new();
        for view in recent_public(app, tx, None)? {
            for tag in &view.status.tags {
                authors
                    .entry(tag.clone())
                    .or_default()
                    .push(view.status.account_id);
            }
        }
        let mut ranked: Vec<(String, usize)> = authors
            .into_iter()
            .map(|(tag, mut accounts)| {
                accounts.sort_unstable();
                accounts.dedup();
                (tag, accounts.len())
            })
            .collect();
        ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        Ok(ranked
            .into_iter()
            .skip(offset)
            .take(limit)
            .map(|(tag, _)| tag)
            .collect())
    })
}

/// Public statuses with the most reblogs and favourites in the last days.
pub fn trending_statuses(
    app: &App,
    viewer: Option<AccountId>,
    limit: usize,
    offset: usize,
) -> Result<Vec<StatusView>, AppError> {
    app.store.read(|tx| {
        let mut ranked: Vec<StatusView> = recent_public(app, tx, viewer)?
            .into_iter()
            .filter(|view| view.counts.reblogs + view.counts.favourites > 0)
            .collect();
        ranked.sort_by(|a, b| {
            let score = |view: &StatusView| view.counts.reblogs * 2 + view.counts.favourites;
            score(b)
                .cmp(&score(a))
                .then_with(|| b.status.id.cmp(&a.status.id))
        });
        Ok(ranked.into_iter().skip(offset).take(limit).collect())
    })
}

/// A link shared in public statuses.
#[derive(Clone, Debug)]
pub struct TrendingLink {
    pub url: String,
    /// Per day, newest first: (day start ms, statuses, distinct accounts).
    pub history: Vec<(u64, u32, u32)>,
}

/// Links (`href`s of statuses that are neither mentions nor hashtags) shared by the most
/// distinct accounts in the last days.
pub fn trending_links(
    app: &App,
    limit: usize,
    offset: usize,
) -> Result<Vec<TrendingLink>, AppError> {
    app.store.read(|tx| {
        let today = now_ms() / DAY_MS * DAY_MS;
        let mut uses: HashMap<String, Uses> = HashMap::new();
        for view in recent_public(app, tx, None)? {
            let day = today.saturating_sub(ms_of_id(view.status.id.0)) / DAY_MS + 1;
            let day = day.min(TRENDS_DAYS) - 1;
            for url in links_of(&view.status.content_html) {
                uses.entry(url)
                    .or_default()
                    .push((day, view.status.account_id));
            }
        }
        let mut ranked: Vec<(String, Uses, usize)> = uses
            .into_iter()
            .map(|(url, entries)| {
                let mut accounts: Vec<AccountId> = entries.iter().map(|(_, id)| *id).collect();
                accounts.sort_unstable();
                accounts.dedup();
                let count = accounts.len();
                (url, entries, count)
            })
            .collect();
        ranked.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.0.cmp(&b.0)));
        Ok(ranked
            .into_iter()
            .skip(offset)
            .take(limit)
            .map(|(url, entries, _)| {
                let history = (0..TRENDS_DAYS)
                    .map(|day| {
                        let mut accounts: Vec<AccountId> = entries
                            .iter()
                            .filter(|(d, _)| *d == day)
                            .map(|(_, id)| *id)
                            .collect();
                        let statuses = u32::try_from(accounts.len()).unwrap_or(u32::MAX);
                        accounts.sort_unstable();
                        accounts.dedup();
                        (
                            today.saturating_sub(day * DAY_MS),
                            statuses,
                            u32::try_from(accounts.len()).unwrap_or(u32::MAX),
                        )
                    })
                    .collect();
                TrendingLink { url, history }
            })
            .collect())
    })
}

/// Uses of a link: (days ago, author) pairs.
type Uses = Vec<(u64, AccountId)>;

/// Bytes of a link kept for trends.
const LINK_BYTES_MAX: usize = 2_048;

/// The `href`s of `<a>` elements that are not mentions or hashtags, in sanitized HTML
/// (ours or ammonia's: attributes are double-quoted).
pub fn links_of(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<a ") {
        let tail = &rest[start..];
        let Some(end) = tail.find('>') else { break };
        let tag = &tail[..end];
        rest = &tail[end..];
        if tag.contains("mention") || tag.contains("hashtag") {
            continue;
        }
        let Some(href_at) = tag.find("href=\"") else {
            continue;
        };
        let href = &tag[href_at + 6..];
        let Some(close) = href.find('"') else {
            continue;
        };
        let url = href[..close].replace("&amp;", "&");
        if (url.starts_with("https://") || url.starts_with("http://"))
            && url.len() <= LINK_BYTES_MAX
            && !out.contains(&url)
        {
            out.push(url);
        }
    }
    out
}

/// Hosts of the servers this one knows accounts of.
pub fn peers(app: &App) -> Result<Vec<String>, AppError> {
    app.store
        .read(|tx| Ok(accounts::known_hosts(tx, PEERS_SCAN_MAX)?))
}

/// One week of `GET /api/v1/instance/activity`.
#[derive(Clone, Copy, Debug)]
pub struct WeekActivity {
    pub week_start_ms: u64,
    pub statuses: u64,
    /// Local accounts that posted in the week (Skerry keeps no login log; see README).
    pub active_accounts: u64,
    pub registrations: u64,
}

/// Local public statuses, active posters and new local accounts per week, newest week
/// first (the current week included).
pub fn activity(app: &App) -> Result<Vec<WeekActivity>, AppError> {
    const WEEK_MS: u64 = 7 * DAY_MS;
    app.store.read(|tx| {
        let now = now_ms();
        // Weeks start on Monday 00:00 UTC, as Mastodon's do (1970-01-01 was a Thursday).
        let monday_offset_ms = 3 * DAY_MS;
        let this_week = (now + monday_offset_ms) / WEEK_MS * WEEK_MS - monday_offset_ms;
        let users = accounts::local_user_ids(tx, DIRECTORY_SCAN_MAX)?;
        let mut out = Vec::new();
        for week in 0..ACTIVITY_WEEKS {
            let start = this_week.saturating_sub(week * WEEK_MS);
            let end = start + WEEK_MS;
            let ids: Vec<StatusId> = timelines::public_page(
                tx,
                true,
                Page {
                    since_id: Some(id_floor_for_ms(start).saturating_sub(1)),
                    max_id: Some(id_floor_for_ms(end)),
                    ..Page::newest(ACTIVITY_STATUSES_MAX)
                },
                ACTIVITY_STATUSES_MAX,
                |id| Ok::<_, AppError>(Some(id)),
            )?;
            let mut posters = Vec::new();
            for id in &ids {
                if let Some(status) = statuses::get_status(tx, *id, app.bytes_max())? {
                    posters.push(status.account_id);
                }
            }
            posters.sort_unstable();
            posters.dedup();
            let registrations = users
                .iter()
                .filter(|id| (start..end).contains(&ms_of_id(id.0)))
                .count();
            out.push(WeekActivity {
                week_start_ms: start,
                statuses: ids.len() as u64,
                active_accounts: posters.len() as u64,
                registrations: registrations as u64,
            });
        }
        Ok(out)
    })
}

#[cfg(test)]
mod tests {
    use super::links_of;

    #[test]
    fn links_skip_mentions_and_hashtags() {
        let html = r#"<p><span class="h-card"><a href="https://a.example/@x" class="u-url mention">@x</a></span> see <a href="https://news.example/a?b=1&amp;c=2" rel="nofollow">news</a> <a href="https://a.example/tags/rust" class="mention hashtag">#rust</a> <a href="javascript:alert(1)">x</a></p>"#;
        assert_eq!(links_of(html), vec!["https://news.example/a?b=1&c=2"]);
    }
}
