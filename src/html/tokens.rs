//! HTML to text with html5ever's push tokenizer: no tree is built, so memory does not grow
//! with the page.
//!
//! What a reader sees in a browser is what comes out, laid out as plain text:
//! - `script`, `style`, `noscript`, `template`, `iframe`, `title`, `svg`, `math`, `select`
//!   and comments are dropped with their contents;
//! - character references are decoded (by the tokenizer, as a browser does);
//! - block elements (`p`, `div`, `h1`..`h6`, `section`, `table`, `ul`, ...) become paragraph
//!   breaks (a blank line), `<br>` a line break, list items and table rows one per line, table
//!   cells separated by a space;
//! - white space collapses as in CSS `white-space: normal`: runs of ASCII white space become
//!   one space, dropped at the start and end of lines; a line break between two CJK characters
//!   disappears (CSS Text 3's segment-break rule, so hard-wrapped Chinese source is not cut by
//!   spaces); `pre` and `textarea` keep their white space;
//! - ideographic spaces and no-break spaces at the start of a paragraph (the `　　` indent of
//!   Chinese CMSs) are dropped.

use std::cell::RefCell;
use std::collections::BTreeMap;

use html5ever::tendril::StrTendril;

use crate::text::chars::is_wide;
use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{
    BufferQueue, Tag, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};

/// How an element affects the text layout.
#[derive(Clone, Copy, PartialEq)]
enum Role {
    /// Dropped with everything inside; the tokenizer reads its content as raw text.
    SkipRaw(RawKind),
    /// Dropped with everything inside (tags inside are tokenized and ignored).
    Skip,
    Paragraph,
    Line,
    Cell,
    Pre,
    Inline,
}

fn role(name: &str) -> Role {
    match name {
        "script" => Role::SkipRaw(RawKind::ScriptData),
        "style" | "noscript" | "iframe" | "noembed" | "noframes" | "xmp" => {
            Role::SkipRaw(RawKind::Rawtext)
        }
        "title" => Role::SkipRaw(RawKind::Rcdata),
        "template" | "svg" | "math" | "select" | "datalist" => Role::Skip,
        "pre" | "listing" | "textarea" => Role::Pre,
        "br" | "li" | "dt" | "dd" | "tr" | "option" => Role::Line,
        "td" | "th" => Role::Cell,
        "p" | "div" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "address" | "article" | "aside"
        | "blockquote" | "body" | "center" | "details" | "dialog" | "dir" | "dl" | "fieldset"
        | "figcaption" | "figure" | "footer" | "form" | "header" | "hgroup" | "hr" | "html"
        | "legend" | "main" | "menu" | "nav" | "ol" | "section" | "summary" | "table"
        | "caption" | "ul" | "head" => Role::Paragraph,
        _ => Role::Inline,
    }
}

/// Text layout state, written to by the tokenizer's callbacks.
#[derive(Default)]
struct Layout {
    out: String,
    /// Names of the skipped elements we are inside, innermost last.
    skip: Vec<String>,
    pre: u32,
    /// 0: none; 1: a space; 2: white space holding a line break.
    space: u8,
    /// 0: none; 1: line break; 2: paragraph break, before the next text.
    brk: u8,
    line_empty: bool,
    any_text: bool,
    /// How many line breaks end the text so far.
    trail: u8,
    last: char,
    counts: Counts,
}

/// What the HTML stage removed, for the report.
#[derive(Clone, Default)]
pub(crate) struct Counts {
    pub tags: u64,
    pub comments: u64,
    pub dropped: BTreeMap<String, u64>,
}

impl Layout {
    fn want(&mut self, brk: u8) {
        self.brk = self.brk.max(brk);
        self.space = 0;
    }

    fn start_text(&mut self) {
        if self.brk > 0 {
            if self.any_text {
                while self.trail < self.brk {
                    self.out.push('\n');
                    self.trail += 1;
                }
                self.line_empty = true;
            }
            self.brk = 0;
            self.space = 0;
        }
    }

    fn text(&mut self, s: &str) {
        if !self.skip.is_empty() {
            return;
        }
        if self.pre > 0 {
            for c in s.chars() {
                if c == '\n' {
                    self.start_text();
                    self.out.push('\n');
                    self.trail = self.trail.saturating_add(1);
                    self.line_empty = true;
                } else if c != '\r' {
                    self.push(c);
                }
            }
            return;
        }
        let mut rest = s;
        while let Some(c) = rest.chars().next() {
            if matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0c') {
                if !self.line_empty {
                    let kind = if c == '\n' || c == '\r' { 2 } else { 1 };
                    self.space = self.space.max(kind);
                }
                rest = &rest[1..];
                continue;
            }
            // A run without ASCII white space goes through in one piece.
            // (ASCII bytes: a byte search finds them at character boundaries.)
            let end = rest
                .bytes()
                .position(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'\x0c'))
                .unwrap_or(rest.len());
            let run = &rest[..end];
            rest = &rest[end..];
            self.start_text();
            let first = run.chars().next().unwrap_or(' ');
            if self.space > 0
                && !self.line_empty
                && !(self.space == 2 && is_wide(self.last) && is_wide(first))
            {
                self.out.push(' ');
            }
            self.space = 0;
            let run = if self.line_empty {
                run.trim_start_matches(['\u{3000}', '\u{a0}'])
            } else {
                run
            };
            if run.is_empty() {
                continue;
            }
            if run.contains('\u{a0}') {
                self.out.push_str(&run.replace('\u{a0}', " "));
            } else {
                self.out.push_str(run);
            }
            self.last = run.chars().next_back().unwrap_or(self.last);
            self.trail = 0;
            self.line_empty = false;
            self.any_text = true;
        }
    }

    fn push(&mut self, c: char) {
        self.start_text();
        self.out.push(c);
        self.last = c;
        self.trail = 0;
        self.line_empty = false;
        self.any_text = true;
    }

    fn tag(&mut self, tag: &Tag) -> TokenSinkResult<()> {
        self.counts.tags += 1;
        let name: &str = &tag.name;
        let start = tag.kind == TagKind::StartTag;
        // A `select` (or `datalist`) holds only options: a block element's start tag means
        // its end tag is missing, and the page goes on after it (a page must not vanish into
        // an unclosed form widget).
        if start
            && matches!(
                self.skip.last().map(String::as_str),
                Some("select" | "datalist")
            )
            && role(name) == Role::Paragraph
        {
            while matches!(
                self.skip.last().map(String::as_str),
                Some("select" | "datalist")
            ) {
                self.skip.pop();
            }
        }
        if let Some(top) = self.skip.last() {
            if !start && top == name {
                self.skip.pop();
            } else if start && !tag.self_closing && top == name {
                // Nested element of the same name (`<svg>` in `<svg>`).
                self.skip.push(name.to_string());
            }
            return TokenSinkResult::Continue;
        }
        match role(name) {
            Role::SkipRaw(kind) if start => {
                *self.counts.dropped.entry(name.to_string()).or_default() += 1;
                if !tag.self_closing {
                    self.skip.push(name.to_string());
                    return TokenSinkResult::RawData(kind);
                }
            }
            Role::Skip if start => {
                *self.counts.dropped.entry(name.to_string()).or_default() += 1;
                if !tag.self_closing {
                    self.skip.push(name.to_string());
                }
            }
            Role::SkipRaw(_) | Role::Skip => {}
            Role::Paragraph => self.want(2),
            Role::Line => {
                if name == "br" || start || name == "tr" {
                    self.want(1)
                }
            }
            Role::Cell => {
                if start && !self.line_empty && self.brk == 0 {
                    self.space = self.space.max(1);
                }
            }
            Role::Pre => {
                self.want(2);
                if start {
                    self.pre += 1;
                } else {
                    self.pre = self.pre.saturating_sub(1);
                }
            }
            Role::Inline => {}
        }
        TokenSinkResult::Continue
    }
}

struct Sink(RefCell<Layout>);

impl TokenSink for Sink {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        let mut l = self.0.borrow_mut();
        match token {
            Token::CharacterTokens(t) => l.text(&t),
            Token::TagToken(tag) => return l.tag(&tag),
            Token::CommentToken(_) => l.counts.comments += 1,
            Token::NullCharacterToken
            | Token::DoctypeToken(_)
            | Token::EOFToken
            | Token::ParseError(_) => {}
        }
        TokenSinkResult::Continue
    }
}

/// A streaming HTML-to-text converter.
pub(crate) struct HtmlText {
    tokenizer: Tokenizer<Sink>,
    queue: BufferQueue,
}

// SAFETY: the tokenizer and its queue hold non-atomic reference-counted buffers (tendrils).
// Every tendril they share lives inside this struct (the sink copies text out as `String`s and
// keeps no tendril), so moving the whole struct to another thread moves every reference with
// it; nothing is shared with the thread left behind.
unsafe impl Send for HtmlText {}

impl HtmlText {
    pub(crate) fn new(paragraph_first: bool) -> Self {
        let layout = Layout {
            line_empty: true,
            // After a front-matter title line: start the page with a paragraph break.
            any_text: paragraph_first,
            trail: u8::from(paragraph_first),
            brk: 2 * u8::from(paragraph_first),
            ..Layout::default()
        };
        HtmlText {
            tokenizer: Tokenizer::new(Sink(RefCell::new(layout)), TokenizerOpts::default()),
            queue: BufferQueue::default(),
        }
    }

    /// Feeds a piece of the page; appends the text it completes to `out`.
    pub(crate) fn feed(&mut self, input: &str, out: &mut String, last: bool) {
        if !input.is_empty() {
            self.queue.push_back(StrTendril::from_slice(input));
            // We never ask the tokenizer to stop for scripts, so one call drains the queue.
            let _ = self.tokenizer.feed(&self.queue);
        }
        if last {
            self.tokenizer.end();
        }
        let mut l = self.tokenizer.sink.0.borrow_mut();
        if last && l.any_text && l.trail == 0 {
            l.out.push('\n');
            l.trail = 1;
            l.line_empty = true;
        }
        out.push_str(&l.out);
        l.out.clear();
    }

    /// Tags and comments removed so far.
    pub(crate) fn changes(&self) -> u64 {
        let sink = self.tokenizer.sink.0.borrow();
        sink.counts.tags + sink.counts.comments
    }

    pub(crate) fn counts(&self) -> Counts {
        self.tokenizer.sink.0.borrow().counts.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(html: &str) -> String {
        let mut h = HtmlText::new(false);
        let mut out = String::new();
        h.feed(html, &mut out, true);
        out
    }

    macro_rules! t {
        ($($html:expr => $want:expr;)*) => {$(
            assert_eq!(text($html), $want, "input: {:?}", $html);
        )*};
    }

    #[test]
    fn layout() {
        t! {
            "<p>一</p><p>二</p>" => "一\n\n二\n";
            "<p>a  b\n c</p>" => "a b c\n";
            "<p>中文\n断行</p>" => "中文断行\n";
            "<p>中文 空格</p>" => "中文 空格\n";
            "<p>中文\nabc</p>" => "中文 abc\n";
            "一<br>二<br/>三" => "一\n二\n三\n";
            "<ul><li>甲</li><li>乙</li></ul><p>丙</p>" => "甲\n乙\n\n丙\n";
            "<table><tr><td>姓名</td><td>张三</td></tr><tr><td>年龄</td><td>3</td></tr></table>" => "姓名 张三\n年龄 3\n";
            "<pre>a\n  b</pre>" => "a\n  b\n";
            "<p>　　原标题</p>" => "原标题\n";
            "<p>&lt;b&gt; &amp; &#36942; &nbsp;x</p>" => "<b> & 過  x\n";
            "<b>粗</b>体" => "粗体\n";
            "" => "";
            "   \n  " => "";
        }
    }

    #[test]
    fn dropped() {
        t! {
            "<script>var a = '<p>x</p>';</script>正文" => "正文\n";
            "<style>p{color:red}</style><p>正文</p>" => "正文\n";
            "a<!-- <p>广告</p> -->b" => "ab\n";
            "<head><title>标题</title><meta charset=utf-8></head><body>正文</body>" => "正文\n";
            "<noscript>请启用</noscript>正文" => "正文\n";
            "<svg><text>图</text><svg></svg></svg>正文" => "正文\n";
            "<template><p>模板</p></template>正文" => "正文\n";
            "<iframe src=x>不支持</iframe>正文" => "正文\n";
        }
    }

    #[test]
    fn an_unclosed_select_does_not_swallow_the_page() {
        let page = "<form><select name=y><option>2023<option>2024</form>\
                    <div><p>国家邮政局召开会议。</p><p>第二段。</p></div>";
        let out = text(page);
        assert!(
            out.contains("国家邮政局召开会议。") && out.contains("第二段。"),
            "{out:?}"
        );
        assert!(!out.contains("2023"), "{out:?}");
        // A closed one is dropped with its options, and nothing after it goes.
        let out = text("<select><option>甲</option></select><p>正文</p>");
        assert_eq!(out.trim(), "正文");
    }

    #[test]
    fn chunking_does_not_matter() {
        let html = "<div>\n<p>　　第一段，&amp;\r\n继续</p><script>if (a<b) {}</script><!-- c --><ul><li>一</li></ul>&#x904E;<br>end</div>";
        let whole = text(html);
        for cut in 0..html.len() {
            if !html.is_char_boundary(cut) {
                continue;
            }
            let mut h = HtmlText::new(false);
            let mut out = String::new();
            h.feed(&html[..cut], &mut out, false);
            h.feed(&html[cut..], &mut out, true);
            assert_eq!(out, whole, "cut at {cut}");
        }
    }
}
