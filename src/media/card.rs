//! Link previews (preview cards): the link of a status that gets a card, and the metadata of
//! the page it leads to (OpenGraph, Twitter cards, plain `<meta>` and `<title>`).
//!
//! Pure functions over text (layer L3). Both parse with html5ever's tokenizer, the parser
//! already in the build under ammonia: no second HTML parser. Only tokens are looked at (no
//! tree is built), the work is bounded by the input, which the caller caps
//! (`app::cards::PAGE_BYTES_MAX`), and by [`TAGS_MAX`].
//!
//! Invariant: everything returned is plain text or an absolute `http`/`https` URL; no HTML
//! of the page is kept (a card's `html` is always empty, so the oEmbed XSS class,
//! CVE-2023-36459, has nothing to work on).

use std::cell::RefCell;

use html5ever::tendril::StrTendril;
use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{
    BufferQueue, CharacterTokens, EndTag, StartTag, TagToken, Token, TokenSink, TokenSinkResult,
    Tokenizer, TokenizerOpts,
};

/// Tags looked at in a page before giving up (the head of any real page has far fewer).
pub const TAGS_MAX: usize = 20_000;
/// Characters kept of a card's title (Mastodon truncates its own at 2,000; clients show one
/// line).
pub const TITLE_CHARS_MAX: usize = 300;
/// Characters kept of a card's description.
pub const DESCRIPTION_CHARS_MAX: usize = 1000;
/// Characters kept of the provider, author and image description.
pub const NAME_CHARS_MAX: usize = 200;
/// Bytes of a URL we keep (link, image, author).
pub const URL_BYTES_MAX: usize = 2048;

/// What a page says about itself.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PageMeta {
    pub title: String,
    pub description: String,
    /// Absolute `http(s)` URL of the preview image.
    pub image: Option<String>,
    pub image_description: String,
    pub site_name: String,
    pub author_name: String,
    pub author_url: String,
    /// `<html lang>` or `og:locale`, as a language code (`en`).
    pub language: Option<String>,
    /// `article:published_time`, as the page wrote it (RFC 3339).
    pub published: Option<String>,
}

/// Collects `<meta>`, `<title>`, `<html lang>` and `<link rel=author>` while tokenizing.
#[derive(Default)]
struct PageSink {
    state: RefCell<PageState>,
}

#[derive(Default)]
struct PageState {
    /// `property`/`name` (lowercased) and `content` of every `<meta>`, in order.
    metas: Vec<(String, String)>,
    title: Option<String>,
    in_title: bool,
    lang: Option<String>,
    author_link: Option<String>,
    tags: usize,
    done: bool,
}

fn attribute(tag: &html5ever::tokenizer::Tag, name: &str) -> Option<String> {
    tag.attrs
        .iter()
        .find(|attribute| &*attribute.name.local == name)
        .map(|attribute| attribute.value.to_string())
}

impl TokenSink for PageSink {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        let mut state = self.state.borrow_mut();
        if state.done {
            return TokenSinkResult::Continue;
        }
        match token {
            TagToken(tag) => {
                state.tags += 1;
                if state.tags > TAGS_MAX {
                    state.done = true;
                    return TokenSinkResult::Continue;
                }
                let name = &*tag.name;
                match (tag.kind, name) {
                    (StartTag, "html") => state.lang = attribute(&tag, "lang"),
                    (StartTag, "meta") => {
                        let key = attribute(&tag, "property")
                            .or_else(|| attribute(&tag, "name"))
                            .or_else(|| attribute(&tag, "itemprop"));
                        if let (Some(key), Some(content)) = (key, attribute(&tag, "content")) {
                            state.metas.push((key.to_ascii_lowercase(), content));
                        }
                    }
                    (StartTag, "link") => {
                        let rel = attribute(&tag, "rel").unwrap_or_default();
                        if rel.split_ascii_whitespace().any(|rel| rel == "author") {
                            state.author_link = attribute(&tag, "href");
                        }
                    }
                    (StartTag, "title") if state.title.is_none() => {
                        state.in_title = true;
                        state.title = Some(String::new());
                        return TokenSinkResult::RawData(RawKind::Rcdata);
                    }
                    (StartTag, "title" | "textarea") => {
                        return TokenSinkResult::RawData(RawKind::Rcdata);
                    }
                    (StartTag, "script") => return TokenSinkResult::RawData(RawKind::ScriptData),
                    (StartTag, "style" | "xmp" | "iframe" | "noembed" | "noframes") => {
                        return TokenSinkResult::RawData(RawKind::Rawtext);
                    }
                    (EndTag, "title") => state.in_title = false,
                    // The metadata is in the head; the body is not read.
                    (StartTag, "body") | (EndTag, "head") => state.done = true,
                    _ => {}
                }
            }
            CharacterTokens(text) if state.in_title => {
                if let Some(title) = state.title.as_mut() {
                    if title.len() < TITLE_CHARS_MAX * 4 {
                        title.push_str(&text);
                    }
                }
            }
            _ => {}
        }
        TokenSinkResult::Continue
    }
}

fn tokenize<Sink: TokenSink>(sink: Sink, text: &str) -> Sink {
    let input = BufferQueue::default();
    input.push_back(StrTendril::from_slice(text));
    let tokenizer = Tokenizer::new(sink, TokenizerOpts::default());
    let _ = tokenizer.feed(&input);
    tokenizer.end();
    tokenizer.sink
}

/// Text with runs of white space made one space, trimmed and cut to `chars_max`.
fn clean(text: &str, chars_max: usize) -> String {
    let joined = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if joined.chars().count() <= chars_max {
        return joined;
    }
    let mut cut: String = joined.chars().take(chars_max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// `candidate` made absolute against `base`, if it is an `http(s)` URL of sane length.
pub fn absolute_http_url(base: &url::Url, candidate: &str) -> Option<String> {
    let joined = base.join(candidate.trim()).ok()?;
    let ok = matches!(joined.scheme(), "http" | "https")
        && joined.host_str().is_some()
        && joined.username().is_empty()
        && joined.password().is_none()
        && joined.as_str().len() <= URL_BYTES_MAX;
    ok.then(|| joined.to_string())
}

/// Reads the metadata of an HTML page fetched from `base` (its final URL). Bytes that are
/// not UTF-8 are replaced (pages in legacy encodings keep their ASCII parts).
pub fn parse_page(body: &[u8], base: &url::Url) -> PageMeta {
    let text = String::from_utf8_lossy(body);
    let state = tokenize(PageSink::default(), &text).state.into_inner();
    let first = |keys: &[&str]| -> Option<String> {
        keys.iter().find_map(|key| {
            state
                .metas
                .iter()
                .find(|(name, content)| name == key && !content.trim().is_empty())
                .map(|(_, content)| content.clone())
        })
    };
    let title = first(&["og:title", "twitter:title"])
        .or_else(|| state.title.clone())
        .map(|title| clean(&title, TITLE_CHARS_MAX))
        .unwrap_or_default();
    let description = first(&["og:description", "twitter:description", "description"])
        .map(|text| clean(&text, DESCRIPTION_CHARS_MAX))
        .unwrap_or_default();
    let image = first(&[
        "og:image:secure_url",
        "og:image",
        "og:image:url",
        "twitter:image",
        "twitter:image:src",
    ])
    .and_then(|image| absolute_http_url(base, &image));
    let image_description = first(&["og:image:alt", "twitter:image:alt"])
        .map(|text| clean(&text, NAME_CHARS_MAX))
        .unwrap_or_default();
    let site_name = first(&["og:site_name", "application-name"])
        .map(|text| clean(&text, NAME_CHARS_MAX))
        .unwrap_or_default();
    // `article:author` is a URL in the OpenGraph spec, but many sites put a name there.
    let article_author = first(&["article:author"]);
    let author_name = first(&["author", "twitter:creator"])
        .or_else(|| {
            article_author
                .clone()
                .filter(|author| absolute_http_url(base, author).is_none() || !author.contains('/'))
        })
        .map(|text| clean(&text, NAME_CHARS_MAX))
        .unwrap_or_default();
    let author_url = state
        .author_link
        .as_deref()
        .or(article_author
            .as_deref()
            .filter(|author| author.contains('/')))
        .and_then(|link| absolute_http_url(base, link))
        .unwrap_or_default();
    let language = state
        .lang
        .clone()
        .or_else(|| first(&["og:locale"]))
        .and_then(|lang| language_code(&lang));
    let published = first(&["article:published_time", "datepublished"])
        .map(|text| text.trim().chars().take(64).collect());
    PageMeta {
        title,
        description,
        image,
        image_description,
        site_name,
        author_name,
        author_url,
        language,
        published,
    }
}

/// `en-GB`, `en_GB`, `EN` → `en`; anything that is not 2–3 ASCII letters → `None`.
fn language_code(text: &str) -> Option<String> {
    let primary = text.trim().split(['-', '_']).next()?;
    let ok = (2..=3).contains(&primary.len()) && primary.chars().all(|c| c.is_ascii_alphabetic());
    ok.then(|| primary.to_ascii_lowercase())
}

/// Finds the links of a status's HTML: `<a href>` that are not mentions or hashtags.
#[derive(Default)]
struct LinkSink {
    found: RefCell<Option<String>>,
    tags: RefCell<usize>,
}

impl TokenSink for LinkSink {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        let TagToken(tag) = token else {
            return TokenSinkResult::Continue;
        };
        let mut tags = self.tags.borrow_mut();
        *tags += 1;
        if *tags > TAGS_MAX || self.found.borrow().is_some() {
            return TokenSinkResult::Continue;
        }
        if tag.kind != StartTag || &*tag.name != "a" {
            return TokenSinkResult::Continue;
        }
        let classes = attribute(&tag, "class").unwrap_or_default();
        let rel = attribute(&tag, "rel").unwrap_or_default();
        // Mastodon's rule (FetchLinkCardService#skip_link?): mentions and hashtags are
        // links to profiles and tag pages, not to something worth a preview.
        let skipped = classes
            .split_ascii_whitespace()
            .any(|class| matches!(class, "mention" | "hashtag" | "u-url"))
            || rel.split_ascii_whitespace().any(|rel| rel == "tag");
        if skipped {
            return TokenSinkResult::Continue;
        }
        if let Some(href) = attribute(&tag, "href") {
            let href = href.trim();
            if (href.starts_with("https://") || href.starts_with("http://"))
                && href.len() <= URL_BYTES_MAX
            {
                *self.found.borrow_mut() = Some(href.to_string());
            }
        }
        TokenSinkResult::Continue
    }
}

/// The first `http(s)` link of a status's HTML that is not a mention or a hashtag, without
/// its fragment, if any; links to `own_host` (our own pages) do not count.
pub fn first_link(content_html: &str, own_host: &str) -> Option<String> {
    let mut rest = content_html;
    // A counted loop: each pass skips the link found, at most a few per status.
    for _ in 0..16 {
        let found = tokenize(LinkSink::default(), rest).found.into_inner()?;
        let position = rest
            .find(found.as_str())
            .map_or(rest.len(), |at| at + found.len());
        rest = &rest[position.min(rest.len())..];
        let Ok(mut url) = url::Url::parse(&found) else {
            continue;
        };
        if url
            .host_str()
            .is_none_or(|host| host.eq_ignore_ascii_case(own_host))
        {
            continue;
        }
        url.set_fragment(None);
        return Some(url.to_string());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> url::Url {
        url::Url::parse("https://news.example/articles/1").unwrap()
    }

    #[test]
    fn opengraph_wins_over_twitter_and_plain_meta() {
        let page = br#"<!doctype html><html lang="en-GB"><head>
            <title>Plain &amp; title</title>
            <meta name="description" content="plain description">
            <meta name="twitter:title" content="Twitter title">
            <meta property="og:title" content="  OG   title &amp; more ">
            <meta property="og:description" content="OG description">
            <meta property="og:image" content="/img/cover.png">
            <meta property="og:image:alt" content="A cover">
            <meta property="og:site_name" content="News">
            <meta name="author" content="Ada">
            <link rel="author" href="/people/ada">
            <meta property="article:published_time" content="2026-11-28T10:00:00Z">
            <script>var x = "<meta property='og:title' content='not this'>";</script>
            </head><body><meta property="og:description" content="body meta is ignored">"#;
        let meta = parse_page(page, &base());
        assert_eq!(meta.title, "OG title & more");
        assert_eq!(meta.description, "OG description");
        assert_eq!(
            meta.image.as_deref(),
            Some("https://news.example/img/cover.png")
        );
        assert_eq!(meta.image_description, "A cover");
        assert_eq!(meta.site_name, "News");
        assert_eq!(meta.author_name, "Ada");
        assert_eq!(meta.author_url, "https://news.example/people/ada");
        assert_eq!(meta.language.as_deref(), Some("en"));
        assert_eq!(meta.published.as_deref(), Some("2026-11-28T10:00:00Z"));
    }

    #[test]
    fn the_title_element_and_description_are_fallbacks_and_are_capped() {
        let long = "word ".repeat(1000);
        let page = format!(
            "<html><head><title>  A <b>plain</b>\n title </title>\
             <meta name=description content='{long}'></head></html>"
        );
        let meta = parse_page(page.as_bytes(), &base());
        assert_eq!(meta.title, "A <b>plain</b> title");
        assert_eq!(meta.description.chars().count(), DESCRIPTION_CHARS_MAX);
        assert!(meta.description.ends_with('…'));
        assert_eq!(meta.image, None);
    }

    #[test]
    fn images_that_are_not_http_are_dropped() {
        for image in [
            "javascript:alert(1)",
            "data:image/png;base64,AAAA",
            "ftp://x/y.png",
        ] {
            let page = format!("<head><meta property='og:image' content='{image}'></head>");
            assert_eq!(parse_page(page.as_bytes(), &base()).image, None, "{image}");
        }
    }

    #[test]
    fn the_first_link_skips_mentions_hashtags_and_our_own_pages() {
        let html = r#"<p><span class="h-card"><a href="https://remote.example/@bob" class="u-url mention">@<span>bob</span></a></span>
            <a href="https://social.example/tags/rust" class="mention hashtag" rel="tag">#<span>rust</span></a>
            <a href="https://social.example/@alice/1">mine</a>
            <a href="https://blog.example/post#comments" rel="nofollow noopener">https://blog.example/post</a>
            <a href="https://later.example/">later</a></p>"#;
        assert_eq!(
            first_link(html, "social.example").as_deref(),
            Some("https://blog.example/post")
        );
        assert_eq!(first_link("<p>no links here</p>", "social.example"), None);
        assert_eq!(
            first_link(
                r#"<a href="mailto:a@b.example">mail</a><a href="ftp://x.example/">ftp</a>"#,
                "social.example"
            ),
            None
        );
    }
}
