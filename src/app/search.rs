//! Built-in search (no Elasticsearch): accounts by name, hashtags by prefix, and statuses
//! (the viewer's own, those they interacted with, and public ones of authors who opted in
//! with `indexable`) by words, phrases and Mastodon's operators (`from:`, `has:`, `is:`,
//! `language:`, `before:`, `after:`, `during:`, `in:`), scanning bounded recent ranges.

use crate::model::{AccountId, Status, StatusId, Visibility};
use crate::store::{Edge, Page, Reader, accounts, statuses, timelines};

use super::views::{self, AccountView, StatusView};
use super::{App, AppError};

/// Statuses of each source (own, favourites, bookmarks, public, one author) looked through
/// per search.
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
            results.statuses = search_statuses(app, tx, viewer, &Query::parse(query), limit)?;
        }
        Ok(results)
    })
}

/// Which statuses a search looks through (Mastodon's `in:` operator).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Within {
    /// The viewer's own and those they interacted with, and public ones of indexable authors.
    All,
    /// Only the viewer's own and those they interacted with.
    Library,
    /// Only public statuses of indexable authors.
    Public,
}

/// A status query: words that must all appear, quoted phrases that must appear as written
/// (ignoring case), and Mastodon's operators: `from:`, `has:media|poll|link`,
/// `is:reply|sensitive`, `language:`, `before:`/`after:` (`YYYY-MM-DD`), `in:`. A `-`
/// before an operator negates it.
#[derive(Clone, Debug)]
struct Query {
    needles: Vec<String>,
    from: Option<String>,
    /// (operator value, wanted): `has:media` is ("media", true), `-has:poll` ("poll", false).
    has: Vec<(String, bool)>,
    is: Vec<(String, bool)>,
    language: Option<String>,
    before_ms: Option<u64>,
    after_ms: Option<u64>,
    within: Within,
    /// An operator that cannot match (an unknown `has:` value, a malformed date).
    impossible: bool,
}

const DAY_MS: u64 = 86_400_000;

fn parse_day_ms(text: &str) -> Option<u64> {
    crate::util::time::parse_iso8601_ms(&format!("{text}T00:00:00Z"))
}

impl Query {
    fn parse(query: &str) -> Query {
        let mut parsed = Query {
            needles: Vec::new(),
            from: None,
            has: Vec::new(),
            is: Vec::new(),
            language: None,
            before_ms: None,
            after_ms: None,
            within: Within::All,
            impossible: false,
        };
        for (index, part) in query.split('"').enumerate() {
            if index % 2 == 1 {
                if !part.trim().is_empty() {
                    parsed.needles.push(part.trim().to_lowercase());
                }
                continue;
            }
            for word in part.split_whitespace() {
                let (negated, bare) = match word.strip_prefix('-') {
                    Some(rest) if rest.contains(':') => (true, rest),
                    _ => (false, word),
                };
                let Some((operator, value)) = bare.split_once(':') else {
                    parsed.needles.push(word.to_lowercase());
                    continue;
                };
                let value = value.to_lowercase();
                match operator.to_lowercase().as_str() {
                    "from" => parsed.from = Some(value.trim_start_matches('@').to_string()),
                    "has" => parsed.has.push((value, !negated)),
                    "is" => parsed.is.push((value, !negated)),
                    "language" => parsed.language = Some(value),
                    "before" => match parse_day_ms(&value) {
                        Some(ms) => parsed.before_ms = Some(ms),
                        None => parsed.impossible = true,
                    },
                    "after" => match parse_day_ms(&value) {
                        Some(ms) => parsed.after_ms = Some(ms + DAY_MS),
                        None => parsed.impossible = true,
                    },
                    "during" => match parse_day_ms(&value) {
                        Some(ms) => {
                            parsed.after_ms = Some(ms);
                            parsed.before_ms = Some(ms + DAY_MS);
                        }
                        None => parsed.impossible = true,
                    },
                    "in" => {
                        parsed.within = match value.as_str() {
                            "library" => Within::Library,
                            "public" => Within::Public,
                            _ => Within::All,
                        }
                    }
                    // Not an operator (`https://…`, `12:30`): a word like any other.
                    _ => parsed.needles.push(word.to_lowercase()),
                }
            }
        }
        parsed
    }

    /// Whether the query asks for anything at all.
    fn is_empty(&self) -> bool {
        self.needles.is_empty()
            && self.from.is_none()
            && self.has.is_empty()
            && self.is.is_empty()
            && self.language.is_none()
            && self.before_ms.is_none()
            && self.after_ms.is_none()
    }

    fn matches(&self, status: &Status, has_poll: bool) -> bool {
        if self.impossible {
            return false;
        }
        let haystack = if status.text_source.is_empty() {
            status.content_html.to_lowercase()
        } else {
            format!("{}\n{}", status.text_source, status.spoiler_text).to_lowercase()
        };
        if !self.needles.iter().all(|needle| haystack.contains(needle)) {
            return false;
        }
        for (what, wanted) in &self.has {
            let found = match what.as_str() {
                "media" => !status.media_ids.is_empty(),
                // The kind of each attachment is in its media record, which this filter does
                // not read: these find nothing yet.
                "image" | "video" | "audio" => false,
                "poll" => has_poll,
                "link" => !super::discovery::links_of(&status.content_html).is_empty(),
                _ => return false,
            };
            if found != *wanted {
                return false;
            }
        }
        for (what, wanted) in &self.is {
            let found = match what.as_str() {
                "reply" => status.in_reply_to_id.is_some(),
                "sensitive" => status.sensitive,
                _ => return false,
            };
            if found != *wanted {
                return false;
            }
        }
        if let Some(language) = &self.language {
            if status.language.as_deref() != Some(language.as_str()) {
                return false;
            }
        }
        self.before_ms
            .is_none_or(|before| status.created_ms < before)
            && self.after_ms.is_none_or(|after| status.created_ms >= after)
    }
}

/// Statuses matching `query` that the viewer may see: their own and those they favourited,
/// bookmarked, reblogged or replied to, and public statuses of authors who opted into
/// search (`indexable`), newest first. Each source is a bounded scan.
fn search_statuses(
    app: &App,
    tx: &impl Reader,
    viewer: AccountId,
    query: &Query,
    limit: usize,
) -> Result<Vec<StatusView>, AppError> {
    if query.is_empty() {
        return Ok(Vec::new());
    }
    let ids_of = |account: AccountId| {
        timelines::account_page(
            tx,
            account,
            Page::newest(STATUS_SCAN_MAX),
            usize::MAX,
            |id| Ok::<_, AppError>(Some(id)),
        )
    };
    // The viewer's library: own statuses, their reblogs' and replies' originals,
    // favourites and bookmarks.
    let mut library: Vec<StatusId> = Vec::new();
    for id in ids_of(viewer)? {
        library.push(id);
        if let Some(own) = statuses::get_status(tx, id, app.bytes_max())? {
            library.extend(own.reblog_of);
            library.extend(own.in_reply_to_id);
        }
    }
    for edge in [Edge::FAVOURITE, Edge::BOOKMARK] {
        library.extend(
            edge.page_of_a(tx, viewer.0, Page::newest(STATUS_SCAN_MAX))?
                .into_iter()
                .map(|(_, id)| StatusId(id)),
        );
    }
    library.sort_unstable();
    library.dedup();
    let from = match &query.from {
        None => None,
        Some(name) if name == "me" => Some(viewer),
        Some(name) => {
            let own_suffix = format!("@{}", app.config.server.host.to_ascii_lowercase());
            let acct = name.strip_suffix(&own_suffix).unwrap_or(name);
            match accounts::account_id_by_acct(tx, acct)? {
                Some(id) => Some(id),
                None => return Ok(Vec::new()),
            }
        }
    };
    let mut candidates: Vec<StatusId> = match from {
        Some(author) => ids_of(author)?,
        None => {
            let mut ids = Vec::new();
            if query.within != Within::Public {
                ids.extend(library.iter().copied());
            }
            if query.within != Within::Library {
                ids.extend(timelines::public_page(
                    tx,
                    false,
                    Page::newest(STATUS_SCAN_MAX),
                    STATUS_SCAN_MAX,
                    |id| Ok::<_, AppError>(Some(id)),
                )?);
            }
            ids
        }
    };
    candidates.sort_unstable_by(|a, b| b.cmp(a));
    candidates.dedup();
    let mut found = Vec::new();
    for id in candidates {
        if found.len() >= limit {
            break;
        }
        let Ok(status) = views::visible_status(app, tx, Some(viewer), id) else {
            continue;
        };
        if status.reblog_of.is_some() {
            continue;
        }
        let in_library = library.binary_search(&id).is_ok();
        let searchable_public = status.visibility == Visibility::Public
            && accounts::get_account(tx, status.account_id, app.bytes_max())?
                .is_some_and(|author| author.indexable);
        let allowed = match query.within {
            Within::All => in_library || searchable_public,
            Within::Library => in_library,
            Within::Public => searchable_public,
        };
        if !allowed {
            continue;
        }
        let has_poll = statuses::get_poll(tx, status.id, app.bytes_max())?.is_some();
        if query.matches(&status, has_poll) {
            found.push(views::status_view(app, tx, Some(viewer), status)?);
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::{Query, Within};

    #[test]
    fn operators_phrases_and_words() {
        let query = Query::parse(
            r#"from:@Alice "rust lang" has:poll -is:reply in:library fast https://x.example/a"#,
        );
        assert_eq!(query.from.as_deref(), Some("alice"));
        assert_eq!(query.needles, ["rust lang", "fast", "https://x.example/a"]);
        assert_eq!(query.has, [("poll".to_string(), true)]);
        assert_eq!(query.is, [("reply".to_string(), false)]);
        assert_eq!(query.within, Within::Library);
        let dated = Query::parse("after:2026-11-01 before:2026-11-03");
        assert_eq!(
            (dated.after_ms, dated.before_ms),
            (Some(1_793_577_600_000), Some(1_793_664_000_000))
        );
        assert!(Query::parse("before:yesterday").impossible);
        assert!(Query::parse("  ").is_empty());
    }
}
