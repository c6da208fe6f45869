//! Content types of fetched documents. A fetched ActivityPub object must carry an
//! ActivityStreams type (CVE-2024-25623: Mastodon once accepted any type, so an uploaded file
//! on a peer could pass for an actor).
//!
//! Media types are case-insensitive and their parameters come in any order (RFC 9110 §8.3.1);
//! a parameter value may be quoted, and a quoted value may hold `;`.

/// The ActivityStreams 2.0 context, the one `profile` that makes `application/ld+json` AS2.
pub const ACTIVITY_STREAMS_PROFILE: &str = "https://www.w3.org/ns/activitystreams";

/// `Accept` for fetching an ActivityPub object, as ActivityPub §3.2 asks.
pub const ACCEPT_ACTIVITY_JSON: &str = "application/activity+json, application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"";

/// `Accept` for WebFinger (`application/jrd+json`) and NodeInfo.
pub const ACCEPT_JSON: &str = "application/jrd+json, application/json";

/// Parameters read from one `Content-Type`; more is not a media type a peer sends.
const PARAMETERS_MAX: usize = 16;

/// Whether `content_type` is an ActivityStreams document: `application/activity+json` with
/// any parameters, or `application/ld+json` with the ActivityStreams `profile` (which may be
/// one of several space-separated profile URIs, JSON-LD 1.1 §9).
pub fn is_activity_json(content_type: &str) -> bool {
    let (essence, parameters) = parse(content_type);
    if essence.eq_ignore_ascii_case("application/activity+json") {
        return true;
    }
    essence.eq_ignore_ascii_case("application/ld+json")
        && parameters.iter().any(|(name, value)| {
            name.eq_ignore_ascii_case("profile")
                && value
                    .split_ascii_whitespace()
                    .any(|profile| profile.eq_ignore_ascii_case(ACTIVITY_STREAMS_PROFILE))
        })
}

/// Whether `content_type` is JSON: `application/json` or any `+json` type (`jrd+json` for
/// WebFinger, `activity+json`, `ld+json`).
pub fn is_json(content_type: &str) -> bool {
    let (essence, _) = parse(content_type);
    let essence = essence.to_ascii_lowercase();
    match essence.split_once('/') {
        Some(("application", subtype)) => subtype == "json" || subtype.ends_with("+json"),
        _ => false,
    }
}

/// `type/subtype` and the parameters as `(name, value)`, the value unquoted (backslash
/// escapes kept as they are: no profile URI contains one).
fn parse(content_type: &str) -> (&str, Vec<(&str, &str)>) {
    let mut pieces = split_unquoted(content_type);
    let essence = pieces.next().unwrap_or("").trim();
    let parameters = pieces
        .take(PARAMETERS_MAX)
        .filter_map(|piece| {
            let (name, value) = piece.split_once('=')?;
            let value = value.trim();
            let value = value
                .strip_prefix('"')
                .and_then(|value| value.strip_suffix('"'))
                .unwrap_or(value);
            Some((name.trim(), value))
        })
        .collect();
    (essence, parameters)
}

/// Splits at each `;` outside a quoted string.
fn split_unquoted(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(text);
    std::iter::from_fn(move || {
        let current = rest?;
        let mut quoted = false;
        let mut escaped = false;
        for (index, character) in current.char_indices() {
            match character {
                _ if escaped => escaped = false,
                '\\' if quoted => escaped = true,
                '"' => quoted = !quoted,
                ';' if !quoted => {
                    rest = Some(&current[index + 1..]);
                    return Some(&current[..index]);
                }
                _ => {}
            }
        }
        rest = None;
        Some(current)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn activity_streams_types_are_recognized_in_any_spelling() {
        let cases = [
            ("application/activity+json", true),
            ("application/activity+json; charset=utf-8", true),
            ("Application/Activity+JSON", true),
            (
                "application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"",
                true,
            ),
            (
                "application/ld+json;profile=https://www.w3.org/ns/activitystreams",
                true,
            ),
            (
                "application/ld+json; charset=utf-8; PROFILE=\"https://www.w3.org/ns/activitystreams\"",
                true,
            ),
            (
                "application/ld+json; profile=\"https://w3id.org/security/v1 https://www.w3.org/ns/activitystreams\"",
                true,
            ),
            (
                "APPLICATION/LD+JSON; Profile=\"HTTPS://WWW.W3.ORG/NS/ACTIVITYSTREAMS\"",
                true,
            ),
            ("application/ld+json", false),
            (
                "application/ld+json; profile=\"https://example.com/other\"",
                false,
            ),
            (
                "application/ld+json; x=\"; profile=https://www.w3.org/ns/activitystreams\"",
                false,
            ),
            (
                "application/ld+json; profile=\"https://www.w3.org/ns/activitystreams.evil\"",
                false,
            ),
            ("application/json", false),
            ("text/html", false),
            (
                "text/html; profile=\"https://www.w3.org/ns/activitystreams\"",
                false,
            ),
            ("", false),
        ];
        for (content_type, expected) in cases {
            assert_eq!(is_activity_json(content_type), expected, "{content_type}");
        }
    }

    #[test]
    fn json_types_are_recognized() {
        let cases = [
            ("application/json", true),
            ("application/json; charset=utf-8", true),
            ("application/jrd+json", true),
            ("application/activity+json", true),
            ("Application/LD+Json; profile=x", true),
            ("text/json", false),
            ("application/jsonp", false),
            ("text/html", false),
            ("", false),
        ];
        for (content_type, expected) in cases {
            assert_eq!(is_json(content_type), expected, "{content_type}");
        }
    }
}
