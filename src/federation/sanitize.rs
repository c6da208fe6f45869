//! Remote HTML, made safe to show: Mastodon's `MASTODON_STRICT` allowlist (SECURITY.md §2.9,
//! `mastodon/mastodon:lib/sanitize_ext/sanitize_config.rb`) applied with ammonia ≥ 4.1.4.
//!
//! Imports nothing from the crate. Never allowed, whatever changes here: `svg`, `math`, `style`,
//! `title`, `textarea`, `iframe`, `embed`, `noscript`, `script` (ammonia's mXSS advisories
//! RUSTSEC-2025-0071, RUSTSEC-2026-0193 and RUSTSEC-2026-0213 all needed one of them).
//!
//! Differences from Mastodon, on purpose or for now:
//! - a link whose scheme is not allowed keeps its text and loses its `href` (Mastodon replaces
//!   the element by its text; both show the text and link nowhere);
//! - headings lose their tags and keep their text (Mastodon rewrites them to `<p><strong>`);
//! - `<math>` goes with its content, as everything in the MathML and SVG namespaces does in
//!   ammonia (Mastodon keeps the TeX or plain-text annotation).

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

/// Elements kept (`MASTODON_STRICT`).
const ELEMENTS: [&str; 20] = [
    "p",
    "br",
    "span",
    "a",
    "del",
    "s",
    "pre",
    "blockquote",
    "code",
    "b",
    "strong",
    "u",
    "i",
    "em",
    "ul",
    "ol",
    "li",
    "ruby",
    "rt",
    "rp",
];

/// Elements removed together with everything inside them.
const ELEMENTS_DROPPED_WITH_CONTENT: [&str; 12] = [
    "script", "style", "svg", "title", "textarea", "iframe", "embed", "object", "noscript",
    "template", "head", "select",
];

/// Link schemes kept on `a href` (`MASTODON_STRICT`'s protocols).
const LINK_SCHEMES: [&str; 11] = [
    "http", "https", "dat", "dweb", "ipfs", "ipns", "ssb", "gopher", "xmpp", "magnet", "gemini",
];

/// Whole class names kept besides the microformats prefixes.
const CLASSES: [&str; 5] = [
    "mention",
    "hashtag",
    "ellipsis",
    "invisible",
    "quote-inline",
];

/// Microformats class prefixes kept (`h-card`, `u-url`, …).
const CLASS_PREFIXES: [&str; 5] = ["h-", "p-", "u-", "dt-", "e-"];

/// The sanitizer, built once: its policy is a constant, not configuration.
static STRICT: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut builder = ammonia::Builder::empty();
    builder
        .tags(HashSet::from(ELEMENTS))
        .clean_content_tags(HashSet::from(ELEMENTS_DROPPED_WITH_CONTENT))
        .generic_attributes(HashSet::from(["lang"]))
        .tag_attributes(HashMap::from([
            ("a", HashSet::from(["href", "class", "translate"])),
            ("span", HashSet::from(["class", "translate"])),
            ("ol", HashSet::from(["start", "reversed"])),
            ("li", HashSet::from(["value"])),
            ("p", HashSet::from(["class"])),
        ]))
        .url_schemes(HashSet::from(LINK_SCHEMES))
        // A relative link in a remote post points at our own host: drop it.
        .url_relative(ammonia::UrlRelative::Deny)
        .link_rel(Some("nofollow noopener"))
        .set_tag_attribute_value("a", "target", "_blank")
        .strip_comments(true)
        .attribute_filter(filter_attribute);
    builder
});

/// Everything stripped: text only, entities still encoded (decoded by `text`).
static NOTHING: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut builder = ammonia::Builder::empty();
    builder.clean_content_tags(HashSet::from(ELEMENTS_DROPPED_WITH_CONTENT));
    builder
});

fn filter_attribute<'u>(_element: &str, attribute: &str, value: &'u str) -> Option<Cow<'u, str>> {
    match attribute {
        "class" => {
            let kept: Vec<&str> = value
                .split_ascii_whitespace()
                .filter(|class| class_allowed(class))
                .collect();
            if kept.is_empty() {
                None
            } else {
                Some(Cow::Owned(kept.join(" ")))
            }
        }
        "translate" => (value == "no").then_some(Cow::Borrowed(value)),
        "start" | "value" => value
            .trim()
            .parse::<i32>()
            .is_ok()
            .then_some(Cow::Borrowed(value)),
        _ => Some(Cow::Borrowed(value)),
    }
}

fn class_allowed(class: &str) -> bool {
    CLASSES.contains(&class)
        || CLASS_PREFIXES
            .iter()
            .any(|prefix| class.len() > prefix.len() && class.starts_with(prefix))
}

/// Remote HTML through the `MASTODON_STRICT` allowlist; links get `rel="nofollow noopener"`
/// and `target="_blank"`.
pub fn html(text: &str) -> String {
    STRICT.clean(text).to_string()
}

/// The text of some HTML, for search and for fields that must be plain: tags removed (the
/// content of `script`, `style` and the like too), entities decoded, line breaks kept for `br`
/// and paragraph ends.
pub fn text(html: &str) -> String {
    // Breaks become newlines before the tags go; a literal "\n" is not HTML, so it survives.
    let spaced = html
        .replace("<br>", "\n")
        .replace("<br/>", "\n")
        .replace("<br />", "\n")
        .replace("</p>", "\n\n");
    let stripped = NOTHING.clean(&spaced).to_string();
    html_escape::decode_html_entities(stripped.trim_end()).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(input: &str, expected: &str) {
        assert_eq!(html(input), expected, "input: {input}");
    }

    #[test]
    fn keeps_mastodon_markup() {
        check(
            r#"<p>Hi <span class="h-card"><a href="https://a.example/@b" class="u-url mention">@<span>b</span></a></span></p>"#,
            r#"<p>Hi <span class="h-card"><a href="https://a.example/@b" class="u-url mention" target="_blank" rel="nofollow noopener">@<span>b</span></a></span></p>"#,
        );
        check(
            r#"<a href="https://a.example/tags/x" class="mention hashtag" rel="tag">#<span>x</span></a>"#,
            r#"<a href="https://a.example/tags/x" class="mention hashtag" target="_blank" rel="nofollow noopener">#<span>x</span></a>"#,
        );
        check(
            r#"<span class="invisible">https://</span><span class="ellipsis">a.example/long</span><span class="">x</span>"#,
            r#"<span class="invisible">https://</span><span class="ellipsis">a.example/long</span><span>x</span>"#,
        );
        check(
            r#"<ol start="3" reversed><li value="4">x</li></ol><ruby>漢<rp>(</rp><rt>kan</rt><rp>)</rp></ruby>"#,
            r#"<ol start="3" reversed=""><li value="4">x</li></ol><ruby>漢<rp>(</rp><rt>kan</rt><rp>)</rp></ruby>"#,
        );
        check(
            r#"<p lang="de" translate="no">x</p>"#,
            r#"<p lang="de">x</p>"#,
        );
        check(
            r#"<span translate="no">x</span><span translate="yes">y</span>"#,
            r#"<span translate="no">x</span><span>y</span>"#,
        );
        check(
            "<a href=\"gemini://g.example/\">g</a>",
            "<a href=\"gemini://g.example/\" target=\"_blank\" rel=\"nofollow noopener\">g</a>",
        );
    }

    #[test]
    fn removes_what_is_not_allowed() {
        check("<p>a<script>alert(1)</script>b</p>", "<p>ab</p>");
        check(
            r#"<svg onload="alert(1)"><a href="https://x.example">x</a></svg>ok"#,
            "ok",
        );
        check(r#"<img src=x onerror="alert(1)">"#, "");
        check(
            r#"<a href="javascript:alert(1)">x</a>"#,
            r#"<a target="_blank" rel="nofollow noopener">x</a>"#,
        );
        check(
            r#"<a href="JaVaScRiPt:alert(1)">x</a>"#,
            r#"<a target="_blank" rel="nofollow noopener">x</a>"#,
        );
        check(
            r#"<a href="/relative">x</a>"#,
            r#"<a target="_blank" rel="nofollow noopener">x</a>"#,
        );
        check(
            r#"<a href="https://x.example" style="position:fixed" onclick="x()" class="evil mention" target="_top">x</a>"#,
            r#"<a href="https://x.example" class="mention" target="_blank" rel="nofollow noopener">x</a>"#,
        );
        check(r#"<p style="color:red" class="x">x</p>"#, "<p>x</p>");
        check(
            "<style>p{}</style><iframe src=\"https://x.example\">in</iframe><embed src=x>t",
            "t",
        );
        check("<h1>Title</h1><p>x</p>", "Title<p>x</p>");
        check("<!-- hidden --><p>x</p>", "<p>x</p>");
        check("<form><input value=x><button>b</button></form>", "b");
        check(r#"<p class="h-">x</p>"#, "<p>x</p>");
    }

    #[test]
    fn math_leaves_no_element() {
        // CVE-2026-50129: an annotation without `encoding` crashed Mastodon's transformer.
        let output = html(
            r#"<math><semantics><mrow><mi>x</mi></mrow><annotation>x^2</annotation></semantics></math><math><annotation-xml encoding="text/html"><svg><style><img src=x onerror=alert(1)></style></svg></annotation-xml></math>"#,
        );
        // ammonia drops elements of the MathML and SVG namespaces with their content.
        assert_eq!(output, "");
        assert_eq!(html("a<math><mi>x</mi></math>b"), "ab");
    }

    #[test]
    fn mutation_xss_shapes_stay_inert() {
        for input in [
            "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">",
            "<svg><set attributeName=\"href\" to=\"javascript:alert(1)\"/></svg>",
            "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
            "<textarea><p title=\"</textarea><img src=x onerror=alert(1)>\"></textarea>",
            "<a href=\"java\nscript:alert(1)\">x</a>",
            "<a href=\"&#106;avascript:alert(1)\">x</a>",
        ] {
            let output = html(input);
            assert!(!output.contains("<img"), "{input} → {output}");
            assert!(!output.contains("onerror="), "{input} → {output}");
            assert!(!output.contains("javascript"), "{input} → {output}");
            assert!(!output.contains("<set"), "{input} → {output}");
        }
    }

    #[test]
    fn text_strips_and_decodes() {
        assert_eq!(
            text("<p>It&#39;s <b>bold</b> &amp; <a href=\"x\">linked</a></p>"),
            "It's bold & linked"
        );
        assert_eq!(text("<p>one</p><p>two<br>three</p>"), "one\n\ntwo\nthree");
        assert_eq!(text("a <script>alert(1)</script>b"), "a b");
        assert_eq!(text("1 < 2 & 3 > 2"), "1 < 2 & 3 > 2");
    }
}
