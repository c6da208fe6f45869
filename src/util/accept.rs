//! Content negotiation between HTML and ActivityStreams on the same URLs.

use axum::http::{HeaderMap, header};

/// Whether a request asks for ActivityStreams (`application/activity+json`, or
/// `application/ld+json` with the ActivityStreams profile) rather than HTML.
pub fn wants_activity_json(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|media| {
            let media = media.trim().to_ascii_lowercase();
            media.starts_with("application/activity+json")
                || (media.starts_with("application/ld+json")
                    && media.contains("https://www.w3.org/ns/activitystreams"))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_negotiation_recognises_both_activity_types() {
        let accept = |value: &'static str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::ACCEPT, value.parse().unwrap());
            wants_activity_json(&headers)
        };
        assert!(accept("application/activity+json"));
        assert!(accept(
            "text/html, application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\""
        ));
        assert!(!accept("application/ld+json"));
        assert!(!accept("text/html,application/xhtml+xml"));
        assert!(!wants_activity_json(&HeaderMap::new()));
    }
}
