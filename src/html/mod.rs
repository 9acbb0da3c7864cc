//! The `html` stage: front matter, then HTML to text when the input is HTML.
//!
//! 1. **Front matter** (a YAML block between `---` lines or TOML between `+++` lines at the
//!    start of the document, as Markdown generators and CMS exports write it) is kept, dropped,
//!    or replaced by its title line ([`FrontMatter`], `--front-matter`; default `title`).
//! 2. **Sniffing**: the text after it is HTML if it starts with a tag, a comment or a doctype and
//!    holds a known HTML tag, or holds at least three known HTML tags in its first 4 KiB
//!    ([`looks_like_html`]). `--html` / `--no-html` decide instead.
//! 3. **HTML to text** (see `html.rs`): html5ever's tokenizer, fed chunk by chunk, so a page of
//!    any size streams through in flat memory; only an unterminated tag, comment or attribute
//!    is held back, as the tokenizer needs it whole.
//!
//! 4. **Main content** (optional, `--main-content`): the page is read whole and its article
//!    body picked by `dom_smoothie` (a port of Mozilla's Readability), then laid out as in 3,
//!    after the article's title. A page over 64 MiB, or one where no article is found, is
//!    converted whole instead, and the report says so.
//!
//! Text that is not HTML passes through unchanged.

mod front_matter;
mod guard;
mod tokens;

use serde_json::json;

pub use front_matter::FrontMatter;

use crate::error::Result;
use crate::report::StageReport;
use crate::stage::{Stage, StageName};

/// Whether the input is HTML.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum HtmlMode {
    /// Sniff it from the content.
    #[default]
    Auto,
    /// It is HTML.
    Always,
}

/// How much text after the front matter the sniffer looks at.
const SNIFF: usize = 4096;

/// Tag names that make a text look like HTML.
const KNOWN_TAGS: &[&str] = &[
    "a",
    "article",
    "aside",
    "b",
    "blockquote",
    "body",
    "br",
    "center",
    "code",
    "dd",
    "div",
    "dl",
    "dt",
    "em",
    "figcaption",
    "figure",
    "font",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "head",
    "header",
    "hr",
    "html",
    "i",
    "iframe",
    "img",
    "input",
    "li",
    "link",
    "main",
    "meta",
    "nav",
    "noscript",
    "ol",
    "p",
    "pre",
    "script",
    "section",
    "span",
    "strong",
    "style",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "title",
    "tr",
    "u",
    "ul",
];

/// Whether `sample` (the start of a text) looks like HTML.
pub fn looks_like_html(sample: &str) -> bool {
    let t = sample.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
    let starts_with = |prefix: &[u8]| {
        t.as_bytes()
            .get(..prefix.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
    };
    if starts_with(b"<!doctype html") || starts_with(b"<html") {
        return true;
    }
    let bytes = sample.as_bytes();
    let mut tags = 0;
    for i in memchr::memchr_iter(b'<', bytes) {
        let rest = &bytes[i + 1..];
        if rest.starts_with(b"!--") {
            tags += 1;
            continue;
        }
        let rest = rest.strip_prefix(b"/").unwrap_or(rest);
        let len = rest
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric())
            .count();
        let after = rest.get(len).copied();
        if len > 0
            && matches!(after, Some(b' ' | b'>' | b'/' | b'\n' | b'\t' | b'\r'))
            && KNOWN_TAGS
                .iter()
                .any(|k| k.as_bytes().eq_ignore_ascii_case(&rest[..len]))
        {
            tags += 1;
        }
    }
    tags >= 3 || (tags >= 1 && t.starts_with('<'))
}

enum State {
    /// Looking for front matter and deciding whether the text is HTML.
    Start,
    Html(Box<tokens::HtmlText>),
    /// Collecting the whole page for main-content extraction.
    Collect(String),
    Plain,
}

/// Pages larger than this are not searched for their main content when it is asked for
/// (`--main-content`); larger ones are converted whole, as the report says.
const MAX_MAIN_CONTENT_PAGE: usize = 64 * 1024 * 1024;
/// The same limit for whole pages searched by default: real pages are far smaller, and a larger
/// input streams in flat memory instead.
const MAX_AUTO_PAGE: usize = 4 * 1024 * 1024;
/// Elements nested deeper than this (at some point of the page) make the main-content search
/// too slow (its scoring walks ancestors): such a page is converted whole.
const MAX_DEPTH: usize = 512;

/// When the html stage keeps only a page's main content.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MainContent {
    /// Never: every text of the page is kept (`--keep-page`).
    Off,
    /// For whole pages (a doctype, `<html>`, `<head>` or `<body>` near the start), not for
    /// fragments such as HTML inside Markdown (the default).
    #[default]
    Pages,
    /// For any HTML input (`--main-content`).
    Always,
}

/// The `html` stage (see the module documentation).
pub struct HtmlStage {
    mode: HtmlMode,
    front_matter: FrontMatter,
    state: State,
    found_front_matter: Option<&'static str>,
    counts: tokens::Counts,
    main_content: MainContent,
    titled: bool,
    main_content_outcome: Option<&'static str>,
    /// Bounds tags and comments before the tokenizer sees them (see `guard.rs`).
    guard: guard::Guard,
    guarded: String,
}

impl HtmlStage {
    /// A stage that sniffs (`HtmlMode::Auto`) or assumes HTML, handling front matter as asked.
    pub fn new(mode: HtmlMode, front_matter: FrontMatter) -> Self {
        HtmlStage {
            mode,
            front_matter,
            state: State::Start,
            found_front_matter: None,
            counts: tokens::Counts::default(),
            main_content: MainContent::Off,
            titled: false,
            main_content_outcome: None,
            guard: guard::Guard::new(),
            guarded: String::new(),
        }
    }

    /// Keeps only the main content of HTML pages (see the module documentation): for every
    /// HTML input (`true`), or never (`false`).
    pub fn with_main_content(self, yes: bool) -> Self {
        self.with_main_content_mode(if yes {
            MainContent::Always
        } else {
            MainContent::Off
        })
    }

    /// When to keep only the main content (see [`MainContent`]).
    pub fn with_main_content_mode(mut self, mode: MainContent) -> Self {
        self.main_content = mode;
        self
    }

    /// The size above which a collected page is converted whole.
    fn page_cap(&self) -> usize {
        match self.main_content {
            MainContent::Always => MAX_MAIN_CONTENT_PAGE,
            _ => MAX_AUTO_PAGE,
        }
    }

    /// The article of a whole page, as text; the whole page when no article is found.
    fn extract(&mut self, page: &str, out: &mut String) {
        if max_depth(page) > MAX_DEPTH {
            self.main_content_outcome = Some("nested too deep: whole page");
            let mut h = tokens::HtmlText::new(self.titled);
            h.feed(page, out, true);
            self.counts = h.counts();
            return;
        }
        let article = dom_smoothie::Readability::new(page, None, None)
            .ok()
            .and_then(|mut r| r.parse().ok())
            .filter(|a| !a.text_content.trim().is_empty());
        let mut h = tokens::HtmlText::new(self.titled);
        match article {
            Some(a) => {
                self.main_content_outcome = Some("article");
                let found = page_title(page);
                let title = match found.as_deref() {
                    Some(t) => t,
                    None => headline(a.title.trim()),
                };
                let mut text = String::new();
                h.feed(&a.content, &mut text, true);
                if !title.is_empty() && !self.titled && !text.starts_with(title) {
                    out.push_str(title);
                    out.push_str("\n\n");
                }
                out.push_str(&text);
            }
            None => {
                self.main_content_outcome = Some("no article found: whole page");
                h.feed(page, out, true);
            }
        }
        self.counts = h.counts();
    }

    /// Decides on front matter and HTML; returns the bytes consumed, or `None` to wait for more.
    fn start(&mut self, input: &str, out: &mut String, last: bool) -> Option<usize> {
        let mut consumed = 0;
        let mut titled = false;
        let mut head = String::new();
        match front_matter::find(input, last) {
            front_matter::Found::NeedMore => return None,
            front_matter::Found::None => {}
            front_matter::Found::Block { kind, body, end } => {
                self.found_front_matter = Some(kind);
                match self.front_matter {
                    FrontMatter::Keep => head.push_str(&input[..end]),
                    FrontMatter::Drop => {}
                    FrontMatter::Title => {
                        if let Some(t) = front_matter::title(kind, body) {
                            head.push_str(&t);
                            head.push('\n');
                            titled = true;
                        }
                    }
                }
                consumed = end;
            }
        }
        let rest = &input[consumed..];
        if rest.len() < SNIFF
            && !last
            && !(self.mode == HtmlMode::Always && self.main_content != MainContent::Pages)
        {
            return None;
        }
        let mut cut = rest.len().min(SNIFF);
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        let is_html = match self.mode {
            HtmlMode::Always => true,
            HtmlMode::Auto => looks_like_html(&rest[..cut]),
        };
        let collect = is_html
            && match self.main_content {
                MainContent::Off => false,
                MainContent::Always => true,
                MainContent::Pages => looks_like_whole_page(&rest[..cut]),
            };
        out.push_str(&head);
        self.titled = titled;
        self.state = if collect {
            State::Collect(String::new())
        } else if is_html {
            State::Html(Box::new(tokens::HtmlText::new(titled)))
        } else {
            State::Plain
        };
        Some(consumed)
    }
}

/// Whether an HTML text is a whole page rather than a fragment: after white space, comments
/// (a saved page often starts with its address in one) and an XML declaration, it begins with a
/// doctype or an `<html>`, `<head>` or `<body>` tag. Text that begins otherwise (Markdown with
/// HTML in it, a snippet) is a fragment, even when such a tag appears further on (a code sample).
fn looks_like_whole_page(head: &str) -> bool {
    let mut rest = head.trim_start_matches('\u{FEFF}').trim_start();
    loop {
        if let Some(after) = rest.strip_prefix("<!--") {
            match after.find("-->") {
                Some(end) => rest = after[end + 3..].trim_start(),
                None => return false,
            }
        } else if rest.starts_with("<?") {
            match rest.find("?>") {
                Some(end) => rest = rest[end + 2..].trim_start(),
                None => return false,
            }
        } else {
            break;
        }
    }
    let start = rest.as_bytes();
    ["<!doctype html", "<html", "<head", "<body"]
        .iter()
        .any(|t| start.len() >= t.len() && start[..t.len()].eq_ignore_ascii_case(t.as_bytes()))
}

/// How deep elements nest at the deepest point of `page`, counted from its tags (void elements
/// and self-closed tags open nothing; the content of script, style and comments is skipped).
/// Approximate, and linear: it only has to tell real pages (tens of levels) from hostile ones.
fn max_depth(page: &str) -> usize {
    const VOID: &[&str] = &[
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
        "source", "track", "wbr", "p", "li", "option", "td", "tr", "th", "dt", "dd",
    ];
    let b = page.as_bytes();
    let (mut depth, mut max, mut i) = (0usize, 0usize, 0usize);
    while let Some(lt) = memchr::memchr(b'<', &b[i..]) {
        let at = i + lt;
        let rest = &b[at + 1..];
        if rest.starts_with(b"!--") {
            i = memchr::memmem::find(&b[at..], b"-->").map_or(b.len(), |e| at + e + 3);
            continue;
        }
        let close = rest.first() == Some(&b'/');
        let name_start = at + 1 + usize::from(close);
        let name_len = b[name_start..]
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric())
            .count();
        if name_len == 0 {
            i = at + 1;
            continue;
        }
        let name = &page[name_start..name_start + name_len];
        let void = VOID.iter().any(|v| v.eq_ignore_ascii_case(name));
        let end = memchr::memchr(b'>', &b[name_start..]).map_or(b.len(), |e| name_start + e);
        let self_closed = end > 0 && b.get(end - 1) == Some(&b'/');
        i = (end + 1).min(b.len());
        if close {
            if !void {
                depth = depth.saturating_sub(1);
            }
        } else if !self_closed && !void {
            let raw = ["script", "style"]
                .into_iter()
                .find(|r| r.eq_ignore_ascii_case(name));
            if let Some(raw) = raw {
                let endtag = format!("</{raw}");
                let lower_from = i.min(b.len());
                // Past the end tag, which closes nothing counted.
                i = find_ascii_ci(&b[lower_from..], endtag.as_bytes())
                    .and_then(|e| {
                        let from = lower_from + e;
                        memchr::memchr(b'>', &b[from..]).map(|g| from + g + 1)
                    })
                    .unwrap_or(b.len());
                continue;
            }
            depth += 1;
            max = max.max(depth);
        }
    }
    max
}

/// The first position of `needle` (ASCII lowercase) in `hay`, ignoring ASCII case.
fn find_ascii_ci(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
}

/// The page's headline: its `og:title`, else its first `<h1>`, else its `<title>` without the
/// channel and site names (dom_smoothie's own choice splits titles at separators by counting
/// space-separated words, which Chinese titles do not have). `None` when the page has none.
fn page_title(page: &str) -> Option<String> {
    let head = &page[..floor_boundary(page, 1 << 20)];
    let og = find_ascii_ci(head.as_bytes(), b"og:title").and_then(|at| {
        let tag_start = head[..at].rfind('<')?;
        let tag_end = at + head[at..].find('>')?;
        attribute(&head[tag_start..tag_end], "content")
    });
    let element = |name: &str| -> Option<String> {
        let open = find_ascii_ci(head.as_bytes(), format!("<{name}").as_bytes())?;
        let body = open + head[open..].find('>')? + 1;
        let close = body + find_ascii_ci(&head.as_bytes()[body..], format!("</{name}").as_bytes())?;
        Some(html_text(&head[body..close]))
    };
    let title = og
        .map(|t| html_text(&t))
        .filter(|t| !t.is_empty())
        .or_else(|| element("h1").filter(|t| !t.is_empty()))
        .or_else(|| element("title").map(|t| headline(&t).to_string()))?;
    (!title.is_empty() && title.chars().count() <= 200).then_some(title)
}

/// The value of attribute `name` in the text of a start tag (quoted or not).
fn attribute(tag: &str, name: &str) -> Option<String> {
    let at = find_ascii_ci(tag.as_bytes(), format!("{name}=").as_bytes())? + name.len() + 1;
    let rest = &tag[at..];
    let value = match rest.chars().next()? {
        q @ ('"' | '\'') => &rest[1..1 + rest[1..].find(q)?],
        _ => rest.split([' ', '/', '>']).next()?,
    };
    Some(value.to_string())
}

/// The text of an HTML fragment on one line (tags dropped, references decoded, white space
/// collapsed).
fn html_text(fragment: &str) -> String {
    let mut h = tokens::HtmlText::new(false);
    let mut out = String::new();
    h.feed(fragment, &mut out, true);
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn floor_boundary(s: &str, at: usize) -> usize {
    let mut at = at.min(s.len());
    while !s.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// The headline in a page title that also names the channel and the site
/// (`标题_新闻中心_某某网`, `标题 - 某某网`, `某某网 | 标题`): the longest of its parts.
fn headline(title: &str) -> &str {
    let parts: Vec<&str> = title
        .split(['_', '|', '｜'])
        .flat_map(|p| p.split(" - "))
        .flat_map(|p| p.split(" — "))
        .flat_map(|p| p.split(" – "))
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    if parts.len() < 2 {
        return title;
    }
    parts
        .into_iter()
        .max_by_key(|p| p.chars().count())
        .unwrap_or(title)
}

impl Stage for HtmlStage {
    fn name(&self) -> &'static str {
        StageName::Html.as_str()
    }

    fn process(&mut self, input: &str, out: &mut String, last: bool) -> Result<usize> {
        let mut consumed = 0;
        if let State::Start = self.state {
            match self.start(input, out, last) {
                Some(n) => consumed = n,
                None => return Ok(0),
            }
        }
        let cap = self.page_cap();
        let mut rest = &input[consumed..];
        if matches!(self.state, State::Html(_) | State::Collect(_)) {
            self.guarded.clear();
            self.guard.feed(rest, &mut self.guarded);
            rest = &self.guarded;
        }
        match &mut self.state {
            State::Html(h) => {
                h.feed(rest, out, last);
                if last {
                    self.counts = h.counts();
                }
            }
            State::Collect(page) => {
                page.push_str(rest);
                if last {
                    let page = std::mem::take(page);
                    self.extract(&page, out);
                } else if page.len() > cap {
                    let page = std::mem::take(page);
                    let mut h = tokens::HtmlText::new(self.titled);
                    // In pieces: the tokenizer copies what it is given.
                    let mut from = 0;
                    while from < page.len() {
                        let mut to = (from + 64 * 1024).min(page.len());
                        while !page.is_char_boundary(to) {
                            to += 1;
                        }
                        h.feed(&page[from..to], out, false);
                        from = to;
                    }
                    self.main_content_outcome = Some(match self.main_content {
                        MainContent::Always => "page over 64 MiB: whole page",
                        _ => "page over 4 MiB: whole page",
                    });
                    self.state = State::Html(Box::new(h));
                }
            }
            State::Plain => out.push_str(rest),
            State::Start => unreachable!("decided above"),
        }
        Ok(input.len())
    }

    fn changes(&self) -> u64 {
        match &self.state {
            State::Html(h) => h.changes(),
            _ => self.counts.tags + self.counts.comments,
        }
    }

    fn report(&self) -> StageReport {
        let html = matches!(self.state, State::Html(_)) || self.main_content_outcome.is_some();
        let counts = match &self.state {
            State::Html(h) => h.counts(),
            _ => self.counts.clone(),
        };
        let mut report = StageReport {
            stage: StageName::Html.as_str().into(),
            changes: self.changes(),
            detail: json!({
                "html": html,
                "front_matter": self.found_front_matter,
                "front_matter_action": self.found_front_matter.map(|_| match self.front_matter {
                    FrontMatter::Keep => "keep",
                    FrontMatter::Drop => "drop",
                    FrontMatter::Title => "title",
                }),
                "tags": counts.tags,
                "comments": counts.comments,
                "dropped_elements": counts.dropped,
                "main_content": self.main_content_outcome,
            }),
        };
        if self.guard.cut > 0 {
            report.detail["cut_tags"] = json!(self.guard.cut);
        }
        report
    }

    fn fork(&self) -> Option<Box<dyn Stage>> {
        Some(Box::new(
            HtmlStage::new(self.mode, self.front_matter).with_main_content_mode(self.main_content),
        ))
    }

    fn reset(&mut self) -> bool {
        *self =
            HtmlStage::new(self.mode, self.front_matter).with_main_content_mode(self.main_content);
        true
    }
}

/// [`HtmlStage`] under its earlier name.
#[doc(hidden)]
pub type MarkupStage = HtmlStage;

#[cfg(test)]
mod tests {

    #[test]
    fn whole_pages_begin_as_pages() {
        for page in [
            "<!DOCTYPE html><html>",
            "\u{FEFF}  <html lang=zh>",
            "<!-- https://example.com/a -->\n<html><head>",
            "<?xml version=\"1.0\"?><!-- x --><HTML>",
            "<head><meta charset=utf-8></head><body>",
        ] {
            assert!(super::looks_like_whole_page(page), "{page}");
        }
        for fragment in [
            "# 标题\n\n示例：\n```\n<html><body></body></html>\n```",
            "<div><p>正文</p></div>",
            "<p>正文</p><html>",
            "<!-- unclosed <html>",
        ] {
            assert!(!super::looks_like_whole_page(fragment), "{fragment}");
        }
    }

    #[test]
    fn depth_of_pages_truncated_anywhere() {
        let page = "<!doctype html><html><body><div><p>甲<div><script>a<b</script>\
                    <!-- c --><img src=x><div>乙</div></div></div></body></html>";
        assert_eq!(super::max_depth(page), 5);
        for cut in (0..=page.len()).filter(|c| page.is_char_boundary(*c)) {
            super::max_depth(&page[..cut]);
        }
        for odd in [
            "<",
            "<a",
            "</",
            "<a/",
            "<!--",
            "<script",
            "<script>",
            "<a href='>",
            "<<<>>>",
        ] {
            super::max_depth(odd);
        }
    }

    use super::*;

    #[test]
    fn sniffing() {
        assert!(looks_like_html("<!DOCTYPE html><html>"));
        assert!(looks_like_html("\u{feff} <!DocType Html>"));
        assert!(!looks_like_html("<!doctyp"));
        assert!(looks_like_html("\n<div>正文</div>"));
        assert!(looks_like_html("正文<p>一</p><p>二</p><br>"));
        assert!(!looks_like_html("用 <br> 换行，a<b 且 b>c"));
        assert!(!looks_like_html("<没有标签>"));
        assert!(!looks_like_html("普通文本"));
    }

    fn run(stage: &mut HtmlStage, text: &str) -> String {
        let mut out = String::new();
        let n = stage.process(text, &mut out, true).unwrap();
        assert_eq!(n, text.len());
        out
    }

    #[test]
    fn front_matter_actions() {
        let doc = "---\ntitle: \"标题\"\n---\n<p>正文</p>";
        let t = |fm| run(&mut HtmlStage::new(HtmlMode::Auto, fm), doc);
        assert_eq!(t(FrontMatter::Title), "标题\n\n正文\n");
        assert_eq!(t(FrontMatter::Drop), "正文\n");
        assert_eq!(t(FrontMatter::Keep), "---\ntitle: \"标题\"\n---\n正文\n");
        let plain = "---\ntitle: 标题\n---\n\n正文。\n";
        assert_eq!(
            run(
                &mut HtmlStage::new(HtmlMode::Auto, FrontMatter::Title),
                plain
            ),
            "标题\n\n正文。\n"
        );
        let text = "不是 HTML 的文本 a<b\n";
        assert_eq!(
            run(
                &mut HtmlStage::new(HtmlMode::Auto, FrontMatter::Title),
                text
            ),
            text
        );
    }
}
