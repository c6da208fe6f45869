//! Plain text of local statuses to Mastodon-style HTML: paragraphs, line breaks, links,
//! mentions and hashtags; and the character count Mastodon applies (a URL counts as 23
//! characters, a remote mention as its `@user` part).
//!
//! We generate this HTML, so escaping is enough; remote HTML is sanitized elsewhere.

use linkify::{LinkFinder, LinkKind};

/// Characters a URL counts for, whatever its length (Mastodon's `URL_PLACEHOLDER`).
pub const URL_CHARS: usize = 23;
/// Characters of a link's shown text before it is cut with an ellipsis (Mastodon: 30).
const LINK_SHOWN_CHARS_MAX: usize = 30;
/// Mentions resolved per status; the rest stay plain text (bounds the lookups of a post).
pub const MENTIONS_MAX: usize = 50;
/// Hashtags indexed per status.
pub const TAGS_MAX: usize = 30;

/// A mention that the formatter found: the username and the domain if one was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MentionTarget {
    pub username: String,
    pub domain: Option<String>,
}

/// A mention resolved to an account: the profile URL and the `@name` to show.
#[derive(Clone, Debug)]
pub struct ResolvedMention<Id> {
    pub id: Id,
    pub url: String,
    pub username: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Formatted<Id> {
    pub html: String,
    pub mentions: Vec<Id>,
    pub tags: Vec<String>,
}

/// Formats `text`. `resolve` turns a mention into an account (unknown ones stay text);
/// `tag_url` gives a hashtag's page.
pub fn format<Id: PartialEq + Clone>(
    text: &str,
    mut resolve: impl FnMut(&MentionTarget) -> Option<ResolvedMention<Id>>,
    tag_url: impl Fn(&str) -> String,
) -> Formatted<Id> {
    let mut out = Formatted {
        html: String::new(),
        mentions: Vec::new(),
        tags: Vec::new(),
    };
    let text = text.replace("\r\n", "\n");
    let paragraphs = text
        .split("\n\n")
        .map(|paragraph| paragraph.trim_matches('\n'))
        .filter(|p| !p.trim().is_empty());
    for paragraph in paragraphs {
        out.html.push_str("<p>");
        for (index, line) in paragraph.split('\n').enumerate() {
            if index > 0 {
                out.html.push_str("<br />");
            }
            format_line(line, &mut out, &mut resolve, &tag_url);
        }
        out.html.push_str("</p>");
    }
    out
}

fn link_finder() -> LinkFinder {
    let mut finder = LinkFinder::new();
    finder.kinds(&[LinkKind::Url]).url_must_have_scheme(true);
    finder
}

fn is_web_link(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

fn format_line<Id: PartialEq + Clone>(
    line: &str,
    out: &mut Formatted<Id>,
    resolve: &mut impl FnMut(&MentionTarget) -> Option<ResolvedMention<Id>>,
    tag_url: &impl Fn(&str) -> String,
) {
    for span in link_finder().spans(line) {
        let piece = span.as_str();
        if span.kind().is_some() && is_web_link(piece) {
            push_link(&mut out.html, piece);
        } else {
            format_words(piece, out, resolve, tag_url);
        }
    }
}

fn push_link(html: &mut String, url: &str) {
    let (scheme, rest) = url
        .split_once("://")
        .map_or(("", url), |(scheme, rest)| (scheme, rest));
    let (shown, hidden) = match rest.char_indices().nth(LINK_SHOWN_CHARS_MAX) {
        Some((cut, _)) => rest.split_at(cut),
        None => (rest, ""),
    };
    let href = html_escape::encode_double_quoted_attribute(url);
    html.push_str(&format!(
        "<a href=\"{href}\" target=\"_blank\" rel=\"nofollow noopener\" translate=\"no\"><span class=\"invisible\">{}://</span>",
        html_escape::encode_text(scheme)
    ));
    if hidden.is_empty() {
        html.push_str(&format!(
            "<span class=\"\">{}</span></a>",
            html_escape::encode_text(shown)
        ));
    } else {
        html.push_str(&format!(
            "<span class=\"ellipsis\">{}</span><span class=\"invisible\">{}</span></a>",
            html_escape::encode_text(shown),
            html_escape::encode_text(hidden)
        ));
    }
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The mention starting at `rest` (which begins after '@'): the username, an optional domain,
/// and the bytes consumed.
fn scan_mention(rest: &str) -> Option<(MentionTarget, usize)> {
    let username_end = rest
        .find(|c: char| !is_name_char(c) && c != '.' && c != '-')
        .unwrap_or(rest.len());
    let username = rest[..username_end].trim_end_matches(['.', '-']);
    if username.is_empty() || !username.starts_with(is_name_char) {
        return None;
    }
    let mut consumed = username.len();
    let mut domain = None;
    if let Some(after) = rest[consumed..].strip_prefix('@') {
        let end = after
            .find(|c: char| !c.is_ascii_alphanumeric() && c != '.' && c != '-')
            .unwrap_or(after.len());
        let candidate = after[..end].trim_end_matches(['.', '-']);
        if candidate.contains('.')
            || candidate.contains(|c: char| c.is_ascii_alphabetic()) && !candidate.is_empty()
        {
            // A port, as hosts of development and test servers carry (`@bob@127.0.0.1:8080`).
            let port = after[candidate.len()..]
                .strip_prefix(':')
                .map(|rest| {
                    &rest[..rest
                        .find(|c: char| !c.is_ascii_digit())
                        .unwrap_or(rest.len())]
                })
                .filter(|digits| !digits.is_empty() && digits.len() <= 5);
            let host_len = candidate.len() + port.map_or(0, |digits| 1 + digits.len());
            domain = Some(after[..host_len].to_ascii_lowercase());
            consumed += 1 + host_len;
        }
    }
    Some((
        MentionTarget {
            username: username.to_string(),
            domain,
        },
        consumed,
    ))
}

/// The hashtag starting at `rest` (after '#'): letters, digits, '_' with at least one non-digit.
fn scan_hashtag(rest: &str) -> Option<(&str, usize)> {
    let end = rest
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(rest.len());
    let name = &rest[..end];
    (!name.is_empty() && !name.chars().all(|c| c.is_ascii_digit())).then_some((name, end))
}

fn format_words<Id: PartialEq + Clone>(
    text: &str,
    out: &mut Formatted<Id>,
    resolve: &mut impl FnMut(&MentionTarget) -> Option<ResolvedMention<Id>>,
    tag_url: &impl Fn(&str) -> String,
) {
    let mut plain_start = 0;
    let mut previous: Option<char> = None;
    let mut index = 0;
    while index < text.len() {
        let c = text[index..]
            .chars()
            .next()
            .expect("index is on a char boundary");
        let at_word_start = previous.is_none_or(|p| !(p.is_alphanumeric() || p == '_' || p == '/'));
        let mut consumed = 0;
        if c == '@' && at_word_start && out.mentions.len() < MENTIONS_MAX {
            if let Some((target, length)) = scan_mention(&text[index + 1..]) {
                if let Some(found) = resolve(&target) {
                    out.html
                        .push_str(&html_escape::encode_text(&text[plain_start..index]));
                    out.html.push_str(&format!(
                        "<span class=\"h-card\" translate=\"no\"><a href=\"{}\" class=\"u-url mention\">@<span>{}</span></a></span>",
                        html_escape::encode_double_quoted_attribute(&found.url),
                        html_escape::encode_text(&found.username)
                    ));
                    if !out.mentions.contains(&found.id) {
                        out.mentions.push(found.id);
                    }
                    consumed = 1 + length;
                }
            }
        } else if c == '#' && previous.is_none_or(char::is_whitespace) {
            if let Some((name, length)) = scan_hashtag(&text[index + 1..]) {
                out.html
                    .push_str(&html_escape::encode_text(&text[plain_start..index]));
                out.html.push_str(&format!(
                    "<a href=\"{}\" class=\"mention hashtag\" rel=\"tag\">#<span>{}</span></a>",
                    html_escape::encode_double_quoted_attribute(&tag_url(&name.to_lowercase())),
                    html_escape::encode_text(name)
                ));
                let lower = name.to_lowercase();
                if !out.tags.contains(&lower) && out.tags.len() < TAGS_MAX {
                    out.tags.push(lower);
                }
                consumed = 1 + length;
            }
        }
        if consumed > 0 {
            index += consumed;
            plain_start = index;
            previous = text[..index].chars().next_back();
        } else {
            index += c.len_utf8();
            previous = Some(c);
        }
    }
    out.html
        .push_str(&html_escape::encode_text(&text[plain_start..]));
}

/// The `user@host` of every remote-looking mention in `text` (a domain other than
/// `own_host`), at most `MENTIONS_MAX`, lowercase, without repeats.
pub fn remote_mentions(text: &str, own_host: &str) -> Vec<String> {
    let mut found = Vec::new();
    for span in link_finder().spans(text) {
        if span.kind().is_some() && is_web_link(span.as_str()) {
            continue;
        }
        let piece = span.as_str();
        let mut previous: Option<char> = None;
        for (index, c) in piece.char_indices() {
            let at_word_start =
                previous.is_none_or(|p| !(p.is_alphanumeric() || p == '_' || p == '/'));
            previous = Some(c);
            if c != '@' || !at_word_start {
                continue;
            }
            if let Some((
                MentionTarget {
                    username,
                    domain: Some(domain),
                },
                _,
            )) = scan_mention(&piece[index + 1..])
            {
                let acct = format!("{}@{domain}", username.to_lowercase());
                if !domain.eq_ignore_ascii_case(own_host)
                    && !found.contains(&acct)
                    && found.len() < MENTIONS_MAX
                {
                    found.push(acct);
                }
            }
        }
    }
    found
}

/// Characters of `text` as Mastodon counts them toward the limit.
pub fn count_chars(text: &str) -> usize {
    let mut count = 0;
    for span in link_finder().spans(text) {
        let piece = span.as_str();
        if span.kind().is_some() && is_web_link(piece) {
            count += URL_CHARS;
            continue;
        }
        count += piece.chars().count();
        // A remote mention counts only as `@user`.
        let mut search = 0;
        while let Some(found) = piece[search..].find('@') {
            let at = search + found;
            if let Some((
                MentionTarget {
                    domain: Some(domain),
                    ..
                },
                length,
            )) = scan_mention(&piece[at + 1..])
            {
                count -= domain.chars().count() + 1;
                search = at + 1 + length;
            } else {
                search = at + 1;
            }
        }
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str) -> Formatted<u32> {
        format(
            text,
            |target| {
                (target.username == "alice"
                    && target
                        .domain
                        .as_deref()
                        .is_none_or(|d| d == "social.example"))
                .then(|| ResolvedMention {
                    id: 1,
                    url: "https://social.example/@alice".into(),
                    username: "alice".into(),
                })
            },
            |name| format!("https://social.example/tags/{name}"),
        )
    }

    #[test]
    fn paragraphs_breaks_and_escaping() {
        assert_eq!(
            check("one\ntwo\n\nthree <b>&").html,
            "<p>one<br />two</p><p>three &lt;b&gt;&amp;</p>"
        );
        assert_eq!(check("\n\n").html, "");
    }

    #[test]
    fn mentions_hashtags_and_links() {
        let formatted = check("hi @alice and @bob, see #Rust #2024 https://example.com/a?b=1&c");
        assert_eq!(formatted.mentions, vec![1]);
        assert_eq!(formatted.tags, vec!["rust".to_string()]);
        assert!(formatted.html.contains("<span class=\"h-card\" translate=\"no\"><a href=\"https://social.example/@alice\" class=\"u-url mention\">@<span>alice</span></a></span>"));
        assert!(formatted.html.contains("@bob,"));
        assert!(formatted.html.contains("<a href=\"https://social.example/tags/rust\" class=\"mention hashtag\" rel=\"tag\">#<span>Rust</span></a> #2024"));
        assert!(
            formatted
                .html
                .contains("<a href=\"https://example.com/a?b=1&amp;c\"")
        );
        assert!(formatted.html.contains("<span class=\"invisible\">https://</span><span class=\"\">example.com/a?b=1&amp;c</span>"));
        // e-mail addresses and mid-word @ are not mentions
        assert!(check("mail alice@alice.example").mentions.is_empty());
        assert_eq!(check("@alice@social.example!").mentions, vec![1]);
        let with_port = super::scan_mention("bob@127.0.0.1:8080 hi").unwrap();
        assert_eq!(with_port.0.domain.as_deref(), Some("127.0.0.1:8080"));
        assert_eq!(with_port.1, "bob@127.0.0.1:8080".len());
    }

    #[test]
    fn long_links_get_an_ellipsis() {
        let html = check("https://example.com/a/very/long/path/that/goes/on/and/on").html;
        assert!(html.contains("<span class=\"ellipsis\">example.com/a/very/long/path/t</span><span class=\"invisible\">hat/goes/on/and/on</span>"), "{html}");
    }

    #[test]
    fn remote_mentions_are_listed_once_without_our_own_host() {
        let found = remote_mentions(
            "hi @Bob@remote.example and @bob@remote.example, @me@here.example @local x@y.z",
            "here.example",
        );
        assert_eq!(found, vec!["bob@remote.example".to_string()]);
    }

    #[test]
    fn urls_count_as_23_and_remote_mentions_as_their_user() {
        assert_eq!(count_chars("héllo"), 5);
        assert_eq!(
            count_chars(&format!("see https://example.com/{}", "x".repeat(200))),
            4 + URL_CHARS
        );
        assert_eq!(count_chars("@bob@remote.example hi"), "@bob hi".len());
    }
}
