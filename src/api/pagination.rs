//! Mastodon's pagination: `max_id`, `since_id`, `min_id`, `limit`, and the `Link` header
//! that points at the next (older) and previous (newer) pages.

use axum::http::{HeaderMap, HeaderValue, Uri, header::LINK};
use serde::Deserialize;

use crate::app::App;
use crate::store::Page;
use crate::util::lenient;

/// Page size when the client names none (Mastodon: 20).
pub const PAGE_SIZE_DEFAULT: usize = 20;

#[derive(Debug, Default, Deserialize)]
pub struct PageParams {
    #[serde(default, deserialize_with = "lenient::option_u64")]
    pub max_id: Option<u64>,
    #[serde(default, deserialize_with = "lenient::option_u64")]
    pub since_id: Option<u64>,
    #[serde(default, deserialize_with = "lenient::option_u64")]
    pub min_id: Option<u64>,
    #[serde(default, deserialize_with = "lenient::option_u64")]
    pub limit: Option<u64>,
}

impl PageParams {
    /// The page asked for, with `limit` clamped to 1..=`limits.page_size_max` (or `max`).
    pub fn page(&self, app: &App, max: Option<usize>) -> Page {
        let cap = max.unwrap_or(app.config.limits.page_size_max);
        let limit = self.limit.map_or(PAGE_SIZE_DEFAULT.min(cap), |limit| {
            (limit as usize).clamp(1, cap)
        });
        Page {
            max_id: self.max_id,
            since_id: self.since_id,
            min_id: self.min_id,
            limit,
        }
    }
}

/// `Link` headers for a page whose items have the ids `newest` and `oldest` (by the key
/// the list is paged on), keeping the request's other parameters.
pub fn link_headers(app: &App, uri: &Uri, ids: Option<(u64, u64)>) -> HeaderMap {
    let mut headers = HeaderMap::new();
    let Some((newest, oldest)) = ids else {
        return headers;
    };
    let kept: Vec<(String, String)> =
        serde_html_form::from_str::<Vec<(String, String)>>(uri.query().unwrap_or_default())
            .unwrap_or_default()
            .into_iter()
            .filter(|(key, _)| !matches!(key.as_str(), "max_id" | "since_id" | "min_id"))
            .collect();
    let url = |key: &str, id: u64| {
        let mut pairs = kept.clone();
        pairs.push((key.to_string(), id.to_string()));
        let query = serde_html_form::to_string(&pairs).unwrap_or_default();
        format!("{}{}?{query}", app.base_url, uri.path())
    };
    let value = format!(
        "<{}>; rel=\"next\", <{}>; rel=\"prev\"",
        url("max_id", oldest),
        url("min_id", newest)
    );
    if let Ok(value) = HeaderValue::from_str(&value) {
        headers.insert(LINK, value);
    }
    headers
}

/// The newest and oldest ids of a page listed newest first.
pub fn bounds<T>(items: &[T], id: impl Fn(&T) -> u64) -> Option<(u64, u64)> {
    Some((id(items.first()?), id(items.last()?)))
}
