//! Filters (Mastodon's v2, and v1 mapped onto them): CRUD, and their application to
//! timelines: matching statuses carry the filters that matched; `hide` filters drop them.
//!
//! Matching is case-insensitive over the status's text (the source of a local status, the
//! HTML with its tags stripped for a remote one) and its content warning; `whole_word`
//! keywords need a word boundary at each end that is a word character, as Mastodon's regex.

use crate::model::{
    AccountId, Filter, FilterAction, FilterContext, FilterKeyword, FilterStatus, Status, StatusId,
};
use crate::store::{Reader, filters, statuses};
use crate::util::time::now_ms;

use super::views::StatusView;
use super::{App, AppError};

pub const FILTERS_PER_ACCOUNT_MAX: usize = 100;
pub const KEYWORDS_PER_FILTER_MAX: usize = 100;
pub const STATUSES_PER_FILTER_MAX: usize = 100;
pub const KEYWORD_CHARS_MAX: usize = 200;
pub const TITLE_CHARS_MAX: usize = 256;
/// `expires_in` beyond ten years is refused.
const EXPIRES_IN_SECS_MAX: u64 = 10 * 365 * 24 * 3600;

/// A filter that matched a status, and what matched.
#[derive(Clone, Debug)]
pub struct FilterMatch {
    pub filter: Filter,
    pub keyword_matches: Vec<String>,
    pub status_matches: Vec<StatusId>,
}

/// A keyword change in `keywords_attributes`.
#[derive(Clone, Debug, Default)]
pub struct KeywordInput {
    pub id: Option<u64>,
    pub keyword: Option<String>,
    pub whole_word: Option<bool>,
    pub destroy: bool,
}

/// What creating or updating a filter may set; `None` leaves a field as it is.
#[derive(Clone, Debug, Default)]
pub struct FilterInput {
    pub title: Option<String>,
    pub context: Option<Vec<String>>,
    pub action: Option<String>,
    /// `Some(None)`: never expires.
    pub expires_in: Option<Option<u64>>,
    pub keywords: Vec<KeywordInput>,
}

fn invalid(message: impl Into<String>) -> AppError {
    AppError::Validation(message.into())
}

fn check_keyword(keyword: &str) -> Result<String, AppError> {
    let keyword = keyword.trim();
    if keyword.is_empty() {
        return Err(invalid("Keyword can't be blank"));
    }
    if keyword.chars().count() > KEYWORD_CHARS_MAX {
        return Err(invalid(format!(
            "Keyword is too long (maximum is {KEYWORD_CHARS_MAX} characters)"
        )));
    }
    Ok(keyword.to_string())
}

fn apply_input(app: &App, filter: &mut Filter, input: FilterInput) -> Result<(), AppError> {
    if let Some(title) = input.title {
        let title = title.trim();
        if title.is_empty() {
            return Err(invalid("Title can't be blank"));
        }
        if title.chars().count() > TITLE_CHARS_MAX {
            return Err(invalid(format!(
                "Title is too long (maximum is {TITLE_CHARS_MAX} characters)"
            )));
        }
        filter.title = title.to_string();
    }
    if let Some(names) = input.context {
        let mut context = Vec::new();
        for name in names {
            context.push(
                FilterContext::parse(&name)
                    .ok_or_else(|| invalid("Context contains an invalid value"))?,
            );
        }
        context.sort_unstable();
        context.dedup();
        if context.is_empty() {
            return Err(invalid("Context can't be blank"));
        }
        filter.context = context;
    }
    if let Some(action) = input.action {
        filter.action = FilterAction::parse(&action)
            .ok_or_else(|| invalid("Filter action is not included in the list"))?;
    }
    if let Some(expires_in) = input.expires_in {
        filter.expires_ms = match expires_in {
            None => None,
            Some(secs) if secs > EXPIRES_IN_SECS_MAX => {
                return Err(invalid("Expires in is too large"));
            }
            Some(secs) => Some(now_ms() + secs * 1000),
        };
    }
    for change in input.keywords {
        match change.id {
            Some(id) => {
                let Some(index) = filter.keywords.iter().position(|k| k.id == id) else {
                    return Err(AppError::NotFound);
                };
                if change.destroy {
                    filter.keywords.remove(index);
                    continue;
                }
                let keyword = &mut filter.keywords[index];
                if let Some(text) = change.keyword {
                    keyword.keyword = check_keyword(&text)?;
                }
                if let Some(whole_word) = change.whole_word {
                    keyword.whole_word = whole_word;
                }
            }
            None if change.destroy => {}
            None => {
                let keyword = check_keyword(change.keyword.as_deref().unwrap_or_default())?;
                filter.keywords.push(FilterKeyword {
                    id: app.next_id(),
                    keyword,
                    whole_word: change.whole_word.unwrap_or(true),
                });
            }
        }
    }
    if filter.keywords.len() > KEYWORDS_PER_FILTER_MAX {
        return Err(invalid(format!(
            "A filter cannot have more than {KEYWORDS_PER_FILTER_MAX} keywords"
        )));
    }
    Ok(())
}

fn owned(app: &App, reader: &impl Reader, owner: AccountId, id: u64) -> Result<Filter, AppError> {
    match filters::get(reader, id, app.bytes_max())? {
        Some(filter) if filter.owner == owner => Ok(filter),
        _ => Err(AppError::NotFound),
    }
}

pub fn all(app: &App, owner: AccountId) -> Result<Vec<Filter>, AppError> {
    app.store
        .read(|tx| Ok(filters::of_owner(tx, owner, app.bytes_max())?))
}

pub fn get(app: &App, owner: AccountId, id: u64) -> Result<Filter, AppError> {
    app.store.read(|tx| owned(app, tx, owner, id))
}

pub fn create(app: &App, owner: AccountId, input: FilterInput) -> Result<Filter, AppError> {
    if input.title.is_none() {
        return Err(invalid("Title can't be blank"));
    }
    if input.context.is_none() {
        return Err(invalid("Context can't be blank"));
    }
    let mut filter = Filter {
        id: app.next_id(),
        owner,
        title: String::new(),
        context: Vec::new(),
        action: FilterAction::Warn,
        expires_ms: None,
        keywords: Vec::new(),
        statuses: Vec::new(),
    };
    apply_input(app, &mut filter, input)?;
    app.write(|tx| {
        if filters::of_owner(tx, owner, app.bytes_max())?.len() >= FILTERS_PER_ACCOUNT_MAX {
            return Err(invalid(format!(
                "You cannot have more than {FILTERS_PER_ACCOUNT_MAX} filters"
            )));
        }
        filters::put(tx, &filter, None)?;
        super::stream::pending(super::stream::Event::FiltersChanged { owner });
        Ok(filter)
    })
}

pub fn update(
    app: &App,
    owner: AccountId,
    id: u64,
    input: FilterInput,
) -> Result<Filter, AppError> {
    app.write(|tx| {
        let old = owned(app, tx, owner, id)?;
        let mut filter = old.clone();
        apply_input(app, &mut filter, input)?;
        filters::put(tx, &filter, Some(&old))?;
        super::stream::pending(super::stream::Event::FiltersChanged { owner });
        Ok(filter)
    })
}

pub fn delete(app: &App, owner: AccountId, id: u64) -> Result<Filter, AppError> {
    app.write(|tx| {
        let filter = owned(app, tx, owner, id)?;
        filters::delete(tx, &filter)?;
        super::stream::pending(super::stream::Event::FiltersChanged { owner });
        Ok(filter)
    })
}

/// Changes one filter in a transaction: `change` edits it and returns a result.
fn change<T>(
    app: &App,
    owner: AccountId,
    id: u64,
    change: impl FnOnce(&mut Filter) -> Result<T, AppError>,
) -> Result<T, AppError> {
    app.write(|tx| {
        let old = owned(app, tx, owner, id)?;
        let mut filter = old.clone();
        let out = change(&mut filter)?;
        filters::put(tx, &filter, Some(&old))?;
        super::stream::pending(super::stream::Event::FiltersChanged { owner });
        Ok(out)
    })
}

pub fn add_keyword(
    app: &App,
    owner: AccountId,
    filter: u64,
    keyword: Option<String>,
    whole_word: Option<bool>,
) -> Result<FilterKeyword, AppError> {
    let id = app.next_id();
    change(app, owner, filter, |filter| {
        let keyword = FilterKeyword {
            id,
            keyword: check_keyword(keyword.as_deref().unwrap_or_default())?,
            whole_word: whole_word.unwrap_or(true),
        };
        if filter.keywords.len() >= KEYWORDS_PER_FILTER_MAX {
            return Err(invalid(format!(
                "A filter cannot have more than {KEYWORDS_PER_FILTER_MAX} keywords"
            )));
        }
        filter.keywords.push(keyword.clone());
        Ok(keyword)
    })
}

/// The filter holding keyword `id`, if it is the owner's.
fn keyword_filter(app: &App, owner: AccountId, id: u64) -> Result<Filter, AppError> {
    app.store.read(|tx| {
        let filter = filters::of_keyword(tx, id)?.ok_or(AppError::NotFound)?;
        owned(app, tx, owner, filter)
    })
}

pub fn get_keyword(
    app: &App,
    owner: AccountId,
    id: u64,
) -> Result<(Filter, FilterKeyword), AppError> {
    let filter = keyword_filter(app, owner, id)?;
    let keyword = filter
        .keywords
        .iter()
        .find(|keyword| keyword.id == id)
        .cloned()
        .ok_or(AppError::NotFound)?;
    Ok((filter, keyword))
}

pub fn update_keyword(
    app: &App,
    owner: AccountId,
    id: u64,
    keyword: Option<String>,
    whole_word: Option<bool>,
) -> Result<FilterKeyword, AppError> {
    let filter = keyword_filter(app, owner, id)?;
    change(app, owner, filter.id, |filter| {
        let found = filter
            .keywords
            .iter_mut()
            .find(|keyword| keyword.id == id)
            .ok_or(AppError::NotFound)?;
        if let Some(text) = keyword {
            found.keyword = check_keyword(&text)?;
        }
        if let Some(whole_word) = whole_word {
            found.whole_word = whole_word;
        }
        Ok(found.clone())
    })
}

pub fn delete_keyword(app: &App, owner: AccountId, id: u64) -> Result<(), AppError> {
    let filter = keyword_filter(app, owner, id)?;
    change(app, owner, filter.id, |filter| {
        filter.keywords.retain(|keyword| keyword.id != id);
        Ok(())
    })
}

pub fn add_status(
    app: &App,
    owner: AccountId,
    filter: u64,
    status: StatusId,
) -> Result<FilterStatus, AppError> {
    let id = app.next_id();
    app.store
        .read(|tx| super::views::visible_status(app, tx, Some(owner), status).map(drop))?;
    change(app, owner, filter, |filter| {
        if filter
            .statuses
            .iter()
            .any(|entry| entry.status_id == status)
        {
            return Err(invalid("Status has already been taken"));
        }
        if filter.statuses.len() >= STATUSES_PER_FILTER_MAX {
            return Err(invalid(format!(
                "A filter cannot have more than {STATUSES_PER_FILTER_MAX} statuses"
            )));
        }
        let entry = FilterStatus {
            id,
            status_id: status,
        };
        filter.statuses.push(entry.clone());
        Ok(entry)
    })
}

fn status_entry_filter(app: &App, owner: AccountId, id: u64) -> Result<Filter, AppError> {
    app.store.read(|tx| {
        let filter = filters::of_status_entry(tx, id)?.ok_or(AppError::NotFound)?;
        owned(app, tx, owner, filter)
    })
}

pub fn get_status_entry(app: &App, owner: AccountId, id: u64) -> Result<FilterStatus, AppError> {
    let filter = status_entry_filter(app, owner, id)?;
    filter
        .statuses
        .into_iter()
        .find(|entry| entry.id == id)
        .ok_or(AppError::NotFound)
}

pub fn delete_status_entry(app: &App, owner: AccountId, id: u64) -> Result<FilterStatus, AppError> {
    let filter = status_entry_filter(app, owner, id)?;
    change(app, owner, filter.id, |filter| {
        let index = filter
            .statuses
            .iter()
            .position(|entry| entry.id == id)
            .ok_or(AppError::NotFound)?;
        Ok(filter.statuses.remove(index))
    })
}

/// v1 `PUT /api/v1/filters/:id`: `id` is a keyword's; the keyword and its filter change.
pub fn v1_update(
    app: &App,
    owner: AccountId,
    id: u64,
    phrase: Option<String>,
    whole_word: Option<bool>,
    input: FilterInput,
) -> Result<(Filter, FilterKeyword), AppError> {
    let filter = keyword_filter(app, owner, id)?;
    let mut input = input;
    input.keywords = vec![KeywordInput {
        id: Some(id),
        keyword: phrase,
        whole_word,
        destroy: false,
    }];
    let filter = update(app, owner, filter.id, input)?;
    let keyword = filter
        .keywords
        .iter()
        .find(|keyword| keyword.id == id)
        .cloned()
        .ok_or(AppError::NotFound)?;
    Ok((filter, keyword))
}

/// v1 `DELETE /api/v1/filters/:id`: removes the keyword, and its filter when it was the last.
pub fn v1_delete(app: &App, owner: AccountId, id: u64) -> Result<(), AppError> {
    let filter = keyword_filter(app, owner, id)?;
    if filter.keywords.len() <= 1 && filter.statuses.is_empty() {
        delete(app, owner, filter.id).map(drop)
    } else {
        delete_keyword(app, owner, id)
    }
}

/// Text of HTML with its tags removed and the common entities decoded; enough for matching.
pub fn html_to_text(html: &str) -> String {
    let spaced = html
        .replace("<br>", "\n")
        .replace("<br/>", "\n")
        .replace("<br />", "\n")
        .replace("</p>", "\n\n");
    let mut out = String::with_capacity(spaced.len());
    let mut in_tag = false;
    for c in spaced.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&")
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Whether `keyword` occurs in `text` (both lowercased), with word boundaries if asked.
fn matches(text: &str, keyword: &str, whole_word: bool) -> bool {
    let keyword = keyword.to_lowercase();
    if keyword.is_empty() {
        return false;
    }
    if !whole_word {
        return text.contains(&keyword);
    }
    let starts_word = keyword.chars().next().is_some_and(is_word);
    let ends_word = keyword.chars().last().is_some_and(is_word);
    text.match_indices(&keyword).any(|(at, found)| {
        let before = text[..at].chars().next_back();
        let after = text[at + found.len()..].chars().next();
        (!starts_word || !before.is_some_and(is_word))
            && (!ends_word || !after.is_some_and(is_word))
    })
}

fn searchable(status: &Status) -> String {
    let body = if status.text_source.is_empty() {
        html_to_text(&status.content_html)
    } else {
        status.text_source.clone()
    };
    format!("{}\n{}", status.spoiler_text, body).to_lowercase()
}

/// The filters among `active` that match `status`.
fn match_status(active: &[Filter], status: &Status) -> Vec<FilterMatch> {
    let text = searchable(status);
    let mut out = Vec::new();
    for filter in active {
        let keyword_matches: Vec<String> = filter
            .keywords
            .iter()
            .filter(|keyword| matches(&text, &keyword.keyword, keyword.whole_word))
            .map(|keyword| keyword.keyword.clone())
            .collect();
        let status_matches: Vec<StatusId> = filter
            .statuses
            .iter()
            .filter(|entry| entry.status_id == status.id)
            .map(|entry| entry.status_id)
            .collect();
        if !keyword_matches.is_empty() || !status_matches.is_empty() {
            out.push(FilterMatch {
                filter: filter.clone(),
                keyword_matches,
                status_matches,
            });
        }
    }
    out
}

/// The viewer's filters that apply now in `context`.
pub fn active(
    app: &App,
    reader: &impl Reader,
    viewer: AccountId,
    context: FilterContext,
) -> Result<Vec<Filter>, AppError> {
    let now = now_ms();
    Ok(filters::of_owner(reader, viewer, app.bytes_max())?
        .into_iter()
        .filter(|filter| filter.is_active(now) && filter.context.contains(&context))
        .collect())
}

/// The filters matching one status (for a reblog, the original), or `None` when a `hide`
/// filter drops it.
pub fn check_status(
    app: &App,
    reader: &impl Reader,
    active: &[Filter],
    status: &Status,
) -> Result<Option<Vec<FilterMatch>>, AppError> {
    if active.is_empty() {
        return Ok(Some(Vec::new()));
    }
    let original = match status.reblog_of {
        Some(id) => statuses::get_status(reader, id, app.bytes_max())?,
        None => None,
    };
    let found = match_status(active, original.as_ref().unwrap_or(status));
    if found
        .iter()
        .any(|found| found.filter.action == FilterAction::Hide)
    {
        return Ok(None);
    }
    Ok(Some(found))
}

/// Applies the viewer's filters of `context` to rendered statuses: matches are attached,
/// hidden ones dropped. The viewer's own statuses are never filtered (as Mastodon).
pub fn apply(
    app: &App,
    reader: &impl Reader,
    viewer: Option<AccountId>,
    context: FilterContext,
    views: Vec<StatusView>,
) -> Result<Vec<StatusView>, AppError> {
    let Some(viewer) = viewer else {
        return Ok(views);
    };
    let active = active(app, reader, viewer, context)?;
    if active.is_empty() {
        return Ok(views);
    }
    let mut out = Vec::with_capacity(views.len());
    for mut view in views {
        let author = view
            .reblog
            .as_ref()
            .map_or(view.status.account_id, |original| {
                original.status.account_id
            });
        if author == viewer {
            out.push(view);
            continue;
        }
        if let Some(found) = check_status(app, reader, &active, &view.status)? {
            view.filtered = found;
            out.push(view);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_match_case_insensitively_and_whole_words_at_boundaries() {
        let text = "I like Rust-lang and #cats!".to_lowercase();
        assert!(matches(&text, "RUST", true));
        assert!(matches(&text, "cat", false));
        assert!(!matches(&text, "cat", true));
        assert!(matches(&text, "#cats", true));
        assert!(!matches(&text, "ike", true));
        assert!(matches(&text, "ike", false));
    }

    #[test]
    fn html_becomes_text() {
        assert_eq!(
            html_to_text("<p>a &amp; <a href=\"x\">b</a></p><p>c<br>d</p>"),
            "a & b\n\nc\nd\n\n"
        );
    }
}
