//! Built-in search (no Elasticsearch): accounts by name, hashtags by prefix, and statuses the
//! viewer wrote, favourited or bookmarked, by words or a phrase.

use crate::model::{AccountId, StatusId};
use crate::store::{Edge, Page, accounts, statuses, timelines};

use super::views::{self, AccountView, StatusView};
use super::{App, AppError};

/// Statuses of each source (own, favourites, bookmarks) looked through per search.
const STATUS_SCAN_MAX: usize = 2_000;
/// Characters of a query.
pub const QUERY_CHARS_MAX: usize = 500;

#[derive(Clone, Debug, Default)]
pub struct SearchResults {
    pub accounts: Vec<AccountView>,
    pub hashtags: Vec<String>,
    pub statuses: Vec<StatusView>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Accounts,
    Hashtags,
    Statuses,
}

pub fn search(
    app: &App,
    viewer: Option<AccountId>,
    query: &str,
    kind: Option<Kind>,
    limit: usize,
) -> Result<SearchResults, AppError> {
    let query = query.trim();
    if query.is_empty() {
        return Ok(SearchResults::default());
    }
    if query.chars().count() > QUERY_CHARS_MAX {
        return Err(AppError::Validation(format!(
            "Query is longer than {QUERY_CHARS_MAX} characters"
        )));
    }
    let wants = |wanted: Kind| kind.is_none_or(|kind| kind == wanted);
    app.store.read(|tx| {
        let mut results = SearchResults::default();
        if wants(Kind::Accounts) {
            let own_suffix = format!("@{}", app.config.server.host.to_ascii_lowercase());
            let lower = query.trim_start_matches('@').to_lowercase();
            let prefix = lower.strip_suffix(&own_suffix).unwrap_or(&lower);
            for id in accounts::account_ids_by_acct_prefix(tx, prefix, limit)? {
                if let Ok(view) = views::load_account_view(app, tx, id) {
                    results.accounts.push(view);
                }
            }
        }
        if wants(Kind::Hashtags) {
            let prefix = query.trim_start_matches('#');
            if !prefix.is_empty() && prefix.chars().all(|c| c.is_alphanumeric() || c == '_') {
                results.hashtags = statuses::tags_by_prefix(tx, prefix, limit)?;
            }
        }
        if let (true, Some(viewer)) = (wants(Kind::Statuses), viewer) {
            let matcher = Matcher::parse(query);
            let mut candidates: Vec<StatusId> = timelines::account_page(
                tx,
                viewer,
                Page::newest(STATUS_SCAN_MAX),
                usize::MAX,
                |id| Ok::<_, AppError>(Some(id)),
            )?;
            for edge in [Edge::FAVOURITE, Edge::BOOKMARK] {
                candidates.extend(
                    edge.page_of_a(tx, viewer.0, Page::newest(STATUS_SCAN_MAX))?
                        .into_iter()
                        .map(|(_, id)| StatusId(id)),
                );
            }
            candidates.sort_unstable_by(|a, b| b.cmp(a));
            candidates.dedup();
            for id in candidates {
                if results.statuses.len() >= limit {
                    break;
                }
                let Ok(status) = views::visible_status(app, tx, Some(viewer), id) else {
                    continue;
                };
                if status.reblog_of.is_none()
                    && matcher.matches(
                        &status.text_source,
                        &status.spoiler_text,
                        &status.content_html,
                    )
                {
                    results
                        .statuses
                        .push(views::status_view(app, tx, Some(viewer), status)?);
                }
            }
        }
        Ok(results)
    })
}

/// Words that must all appear, and quoted phrases that must appear as written, ignoring case.
struct Matcher {
    needles: Vec<String>,
}

impl Matcher {
    fn parse(query: &str) -> Matcher {
        let mut needles = Vec::new();
        for (index, part) in query.split('"').enumerate() {
            if index % 2 == 1 {
                if !part.trim().is_empty() {
                    needles.push(part.trim().to_lowercase());
                }
            } else {
                needles.extend(part.split_whitespace().map(str::to_lowercase));
            }
        }
        Matcher { needles }
    }

    fn matches(&self, text: &str, spoiler: &str, html: &str) -> bool {
        let haystack = if text.is_empty() {
            html.to_lowercase()
        } else {
            format!("{text}\n{spoiler}").to_lowercase()
        };
        !self.needles.is_empty() && self.needles.iter().all(|needle| haystack.contains(needle))
    }
}
