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
mod html;

use serde_json::json;

pub use front_matter::FrontMatter;

use crate::error::Result;
use crate::pipeline::Stage;
use crate::report::StageReport;

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
    Html(Box<html::HtmlText>),
    /// Collecting the whole page for main-content extraction.
    Collect(String),
    Plain,
}

/// Pages larger than this are not searched for their main content.
const MAX_MAIN_CONTENT_PAGE: usize = 64 * 1024 * 1024;

/// The `html` stage (see the module documentation).
pub struct MarkupStage {
    mode: HtmlMode,
    front_matter: FrontMatter,
    state: State,
    found_front_matter: Option<&'static str>,
    counts: html::Counts,
    main_content: bool,
    titled: bool,
    main_content_outcome: Option<&'static str>,
}

impl MarkupStage {
    /// A stage that sniffs (`HtmlMode::Auto`) or assumes HTML, handling front matter as asked.
    pub fn new(mode: HtmlMode, front_matter: FrontMatter) -> Self {
        MarkupStage {
            mode,
            front_matter,
            state: State::Start,
            found_front_matter: None,
            counts: html::Counts::default(),
            main_content: false,
            titled: false,
            main_content_outcome: None,
        }
    }

    /// Keeps only the main content of HTML pages (see the module documentation).
    pub fn with_main_content(mut self, yes: bool) -> Self {
        self.main_content = yes;
        self
    }

    /// The article of a whole page, as text; the whole page when no article is found.
    fn extract(&mut self, page: &str, out: &mut String) {
        let article = dom_smoothie::Readability::new(page, None, None)
            .ok()
            .and_then(|mut r| r.parse().ok())
            .filter(|a| !a.text_content.trim().is_empty());
        let mut h = html::HtmlText::new(self.titled);
        match article {
            Some(a) => {
                self.main_content_outcome = Some("article");
                let title = a.title.trim();
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
        let is_html = match self.mode {
            HtmlMode::Always => true,
            HtmlMode::Auto => {
                if rest.len() < SNIFF && !last {
                    return None;
                }
                let mut cut = rest.len().min(SNIFF);
                while !rest.is_char_boundary(cut) {
                    cut -= 1;
                }
                looks_like_html(&rest[..cut])
            }
        };
        out.push_str(&head);
        self.titled = titled;
        self.state = if is_html && self.main_content {
            State::Collect(String::new())
        } else if is_html {
            State::Html(Box::new(html::HtmlText::new(titled)))
        } else {
            State::Plain
        };
        Some(consumed)
    }
}

impl Stage for MarkupStage {
    fn name(&self) -> &'static str {
        "html"
    }

    fn process(&mut self, input: &str, out: &mut String, last: bool) -> Result<usize> {
        let mut consumed = 0;
        if let State::Start = self.state {
            match self.start(input, out, last) {
                Some(n) => consumed = n,
                None => return Ok(0),
            }
        }
        let rest = &input[consumed..];
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
                } else if page.len() > MAX_MAIN_CONTENT_PAGE {
                    let page = std::mem::take(page);
                    let mut h = html::HtmlText::new(self.titled);
                    h.feed(&page, out, false);
                    self.main_content_outcome = Some("page over 64 MiB: whole page");
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
        StageReport {
            stage: "html".into(),
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
        }
    }

    fn fork(&self) -> Option<Box<dyn Stage>> {
        Some(Box::new(
            MarkupStage::new(self.mode, self.front_matter).with_main_content(self.main_content),
        ))
    }

    fn reset(&mut self) -> bool {
        *self = MarkupStage::new(self.mode, self.front_matter).with_main_content(self.main_content);
        true
    }
}

#[cfg(test)]
mod tests {
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

    fn run(stage: &mut MarkupStage, text: &str) -> String {
        let mut out = String::new();
        let n = stage.process(text, &mut out, true).unwrap();
        assert_eq!(n, text.len());
        out
    }

    #[test]
    fn front_matter_actions() {
        let doc = "---\ntitle: \"标题\"\n---\n<p>正文</p>";
        let t = |fm| run(&mut MarkupStage::new(HtmlMode::Auto, fm), doc);
        assert_eq!(t(FrontMatter::Title), "标题\n\n正文\n");
        assert_eq!(t(FrontMatter::Drop), "正文\n");
        assert_eq!(t(FrontMatter::Keep), "---\ntitle: \"标题\"\n---\n正文\n");
        let plain = "---\ntitle: 标题\n---\n\n正文。\n";
        assert_eq!(
            run(
                &mut MarkupStage::new(HtmlMode::Auto, FrontMatter::Title),
                plain
            ),
            "标题\n\n正文。\n"
        );
        let text = "不是 HTML 的文本 a<b\n";
        assert_eq!(
            run(
                &mut MarkupStage::new(HtmlMode::Auto, FrontMatter::Title),
                text
            ),
            text
        );
    }
}
