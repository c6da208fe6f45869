//! Hashtags as things people follow and feature: followed tags (their public statuses
//! enter the follower's home feed at fan-out), featured tags on a profile, and a tag's use
//! over the last days (Mastodon's `history`).

use redb::WriteTransaction;

use crate::model::{AccountId, Status, StatusId, TagId, Visibility};
use crate::store::{Edge, Page, Reader, statuses, timelines};
use crate::util::ids::id_floor_for_ms;
use crate::util::time::now_ms;

use super::{App, AppError};

/// Hashtags one account may feature (Mastodon: 10).
pub const FEATURED_TAGS_MAX: usize = 10;
/// Hashtags one account may follow.
pub const FOLLOWED_TAGS_MAX: usize = 1_000;
/// Bytes of a hashtag name.
pub const TAG_BYTES_MAX: usize = 100;
/// Followers of one hashtag a status is fanned out to.
const TAG_FANOUT_MAX: usize = 10_000;
/// Days in a tag's history (Mastodon: 7).
pub const HISTORY_DAYS: u64 = 7;
/// Uses counted per day of a history; busier days show this many.
const HISTORY_USES_MAX: usize = 10_000;
/// An account's recent statuses looked at for featured-tag counts and suggestions.
const OWN_STATUSES_SCAN_MAX: usize = 1_000;
const DAY_MS: u64 = 86_400_000;

/// A hashtag for one viewer.
#[derive(Clone, Debug)]
pub struct TagView {
    pub name: String,
    /// `None` when nobody is signed in.
    pub following: Option<bool>,
    pub featuring: Option<bool>,
    /// Newest day first: (day start ms, uses, distinct accounts).
    pub history: Vec<(u64, u32, u32)>,
}

/// A hashtag name as typed (`#Rust`, `rust`), checked and lowercased.
pub fn normalize(name: &str) -> Result<String, AppError> {
    let name = name.trim().trim_start_matches('#');
    if name.is_empty()
        || name.len() > TAG_BYTES_MAX
        || !name.chars().all(|c| c.is_alphanumeric() || c == '_')
    {
        return Err(AppError::Validation("Name is not a valid hashtag".into()));
    }
    Ok(name.to_lowercase())
}

/// Uses and accounts of a tag per day, the last `HISTORY_DAYS` days, newest first.
pub fn history(
    app: &App,
    reader: &impl Reader,
    tag: Option<TagId>,
) -> Result<Vec<(u64, u32, u32)>, AppError> {
    let today = now_ms() / DAY_MS * DAY_MS;
    let mut out = Vec::new();
    for day in 0..HISTORY_DAYS {
        let start = today.saturating_sub(day * DAY_MS);
        let (mut uses, mut authors) = (0u32, Vec::new());
        if let Some(tag) = tag {
            let ids = statuses::tag_uses(
                reader,
                tag,
                id_floor_for_ms(start),
                id_floor_for_ms(start + DAY_MS),
                HISTORY_USES_MAX,
            )?;
            uses = u32::try_from(ids.len()).unwrap_or(u32::MAX);
            for id in ids {
                if let Some(status) = statuses::get_status(reader, id, app.bytes_max())? {
                    authors.push(status.account_id);
                }
            }
            authors.sort_unstable();
            authors.dedup();
        }
        out.push((
            start,
            uses,
            u32::try_from(authors.len()).unwrap_or(u32::MAX),
        ));
    }
    Ok(out)
}

fn tag_view(
    app: &App,
    reader: &impl Reader,
    viewer: Option<AccountId>,
    name: String,
) -> Result<TagView, AppError> {
    let id = statuses::tag_id(reader, &name)?;
    let (following, featuring) = match (viewer, id) {
        (Some(viewer), Some(id)) => (
            Some(Edge::TAG_FOLLOW.contains(reader, viewer.0, id.0)?),
            Some(Edge::FEATURED_TAG.contains(reader, viewer.0, id.0)?),
        ),
        (Some(_), None) => (Some(false), Some(false)),
        (None, _) => (None, None),
    };
    Ok(TagView {
        history: history(app, reader, id)?,
        name,
        following,
        featuring,
    })
}

/// `GET /api/v1/tags/:name`: unknown tags are 404, as Mastodon answers.
pub fn get(app: &App, viewer: Option<AccountId>, name: &str) -> Result<TagView, AppError> {
    let name = normalize(name).map_err(|_| AppError::NotFound)?;
    app.store.read(|tx| {
        statuses::tag_id(tx, &name)?.ok_or(AppError::NotFound)?;
        tag_view(app, tx, viewer, name)
    })
}

pub fn follow(app: &App, viewer: AccountId, name: &str, follow: bool) -> Result<TagView, AppError> {
    let name = normalize(name)?;
    app.write(|tx| {
        if follow {
            let tag = statuses::ensure_tag(tx, &name)?;
            if Edge::TAG_FOLLOW
                .all_of_a(tx, viewer.0, FOLLOWED_TAGS_MAX)?
                .len()
                >= FOLLOWED_TAGS_MAX
            {
                return Err(AppError::Validation(format!(
                    "You cannot follow more than {FOLLOWED_TAGS_MAX} hashtags"
                )));
            }
            Edge::TAG_FOLLOW.add(tx, viewer.0, tag.0, app.next_id())?;
        } else if let Some(tag) = statuses::tag_id(tx, &name)? {
            Edge::TAG_FOLLOW.remove(tx, viewer.0, tag.0)?;
        }
        tag_view(app, tx, Some(viewer), name)
    })
}

/// The viewer's followed hashtags, newest follow first, paged by the follow's id.
pub fn followed(app: &App, viewer: AccountId, page: Page) -> Result<Vec<(u64, TagView)>, AppError> {
    app.store.read(|tx| {
        let mut out = Vec::new();
        for (follow_id, tag) in Edge::TAG_FOLLOW.page_of_a(tx, viewer.0, page)? {
            if let Some(name) = statuses::tag_name(tx, TagId(tag))? {
                out.push((follow_id, tag_view(app, tx, Some(viewer), name)?));
            }
        }
        Ok(out)
    })
}

/// Puts a public status into the home feeds of local followers of its hashtags.
pub(crate) fn fan_out_to_tag_followers(
    app: &App,
    tx: &WriteTransaction,
    status: &Status,
) -> Result<(), AppError> {
    if status.visibility != Visibility::Public || status.reblog_of.is_some() {
        return Ok(());
    }
    for name in &status.tags {
        let Some(tag) = statuses::tag_id(tx, name)? else {
            continue;
        };
        for follower in Edge::TAG_FOLLOW.all_of_b(tx, tag.0, TAG_FANOUT_MAX)? {
            let follower = AccountId(follower);
            if follower == status.account_id
                || Edge::BLOCK.contains(tx, follower.0, status.account_id.0)?
                || Edge::MUTE.contains(tx, follower.0, status.account_id.0)?
                || Edge::BLOCK.contains(tx, status.account_id.0, follower.0)?
            {
                continue;
            }
            timelines::push_home(
                tx,
                follower,
                status.id,
                app.config.limits.home_feed_entries_max,
            )?;
        }
    }
    Ok(())
}

/// A hashtag featured on a profile.
#[derive(Clone, Debug)]
pub struct FeaturedTagView {
    pub id: u64,
    pub name: String,
    pub statuses_count: u32,
    pub last_status_ms: Option<u64>,
}

/// The account's recent statuses (not reblogs), newest first, bounded.
fn recent_own(
    app: &App,
    reader: &impl Reader,
    account: AccountId,
) -> Result<Vec<Status>, AppError> {
    let mut out = Vec::new();
    let ids: Vec<StatusId> = timelines::account_page(
        reader,
        account,
        Page::newest(OWN_STATUSES_SCAN_MAX),
        OWN_STATUSES_SCAN_MAX,
        |id| Ok::<_, AppError>(Some(id)),
    )?;
    for id in ids {
        if let Some(status) = statuses::get_status(reader, id, app.bytes_max())? {
            if status.reblog_of.is_none() && status.visibility == Visibility::Public {
                out.push(status);
            }
        }
    }
    Ok(out)
}

fn featured_views(
    app: &App,
    reader: &impl Reader,
    account: AccountId,
) -> Result<Vec<FeaturedTagView>, AppError> {
    let featured =
        Edge::FEATURED_TAG.page_of_a(reader, account.0, Page::newest(FEATURED_TAGS_MAX))?;
    if featured.is_empty() {
        return Ok(Vec::new());
    }
    let recent = recent_own(app, reader, account)?;
    let mut out = Vec::new();
    for (id, tag) in featured.into_iter().rev() {
        let Some(name) = statuses::tag_name(reader, TagId(tag))? else {
            continue;
        };
        let mut count = 0u32;
        let mut last = None;
        for status in recent.iter().filter(|status| status.tags.contains(&name)) {
            count += 1;
            last = last.max(Some(status.created_ms));
        }
        out.push(FeaturedTagView {
            id,
            name,
            statuses_count: count,
            last_status_ms: last,
        });
    }
    Ok(out)
}

/// An account's featured hashtags, oldest first.
pub fn featured(app: &App, account: AccountId) -> Result<Vec<FeaturedTagView>, AppError> {
    app.store.read(|tx| {
        super::views::load_account(app, tx, account)?;
        featured_views(app, tx, account)
    })
}

pub fn feature(app: &App, viewer: AccountId, name: &str) -> Result<FeaturedTagView, AppError> {
    let name = normalize(name)?;
    app.write(|tx| {
        let tag = statuses::ensure_tag(tx, &name)?;
        if Edge::FEATURED_TAG.contains(tx, viewer.0, tag.0)? {
            return Err(AppError::Validation("Tag has already been taken".into()));
        }
        if Edge::FEATURED_TAG
            .all_of_a(tx, viewer.0, FEATURED_TAGS_MAX)?
            .len()
            >= FEATURED_TAGS_MAX
        {
            return Err(AppError::Validation(format!(
                "You cannot feature more than {FEATURED_TAGS_MAX} hashtags"
            )));
        }
        Edge::FEATURED_TAG.add(tx, viewer.0, tag.0, app.next_id())?;
        featured_views(app, tx, viewer)?
            .into_iter()
            .find(|featured| featured.name == name)
            .ok_or_else(|| AppError::Internal("a featured tag just written is missing".into()))
    })
}

pub fn unfeature(app: &App, viewer: AccountId, id: u64) -> Result<(), AppError> {
    app.write(|tx| {
        let found = Edge::FEATURED_TAG
            .page_of_a(tx, viewer.0, Page::newest(FEATURED_TAGS_MAX))?
            .into_iter()
            .find(|(featured_id, _)| *featured_id == id);
        let Some((_, tag)) = found else {
            return Err(AppError::NotFound);
        };
        Edge::FEATURED_TAG.remove(tx, viewer.0, tag)?;
        Ok(())
    })
}

/// Hashtags the viewer used recently and does not feature yet, most used first.
pub fn feature_suggestions(app: &App, viewer: AccountId) -> Result<Vec<TagView>, AppError> {
    app.store.read(|tx| {
        let mut counts: Vec<(String, u32)> = Vec::new();
        for status in recent_own(app, tx, viewer)? {
            for name in status.tags {
                match counts.iter_mut().find(|(known, _)| *known == name) {
                    Some((_, count)) => *count += 1,
                    None => counts.push((name, 1)),
                }
            }
        }
        counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let mut out = Vec::new();
        for (name, _) in counts {
            let featured = match statuses::tag_id(tx, &name)? {
                Some(tag) => Edge::FEATURED_TAG.contains(tx, viewer.0, tag.0)?,
                None => false,
            };
            if !featured && out.len() < FEATURED_TAGS_MAX {
                out.push(tag_view(app, tx, Some(viewer), name)?);
            }
        }
        Ok(out)
    })
}
