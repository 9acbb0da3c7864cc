//! Bounds on what one tag or comment may cost, applied to HTML before html5ever sees it.
//!
//! html5ever's tokenizer keeps a tag (its name and every attribute) and a comment whole, and
//! checks each new attribute against those before it: a page with one tag of 160,000
//! attributes took 15 s, and a 100 MB attribute or comment took memory of its size. A page
//! can be hostile; a crawler's pipeline must not stall on it. The guard passes HTML through
//! unchanged except where a tag or comment exceeds a limit:
//!
//! - a tag with more than [`MAX_ATTRIBUTES`] attributes, or longer than [`MAX_TAG_BYTES`],
//!   keeps what came before the limit and loses the rest up to its `>` (a quoted value cut
//!   short is closed with its quote);
//! - a comment (or `<!...>`, `<?...>`) longer than [`MAX_COMMENT_BYTES`] loses the rest up to
//!   its end.
//!
//! Attributes and comments carry no text a reader sees, so the text is the same; the report
//! counts the cuts. The content of `script`, `style` and the other raw-text elements passes
//! as it is (a `<` there starts no tag). The guard works character by character with a few
//! bytes of state, so its output does not depend on how the input was chunked.

/// Attributes kept per tag.
pub(crate) const MAX_ATTRIBUTES: usize = 256;
/// Bytes kept per tag (name and attributes).
pub(crate) const MAX_TAG_BYTES: usize = 64 * 1024;
/// Bytes kept per comment.
pub(crate) const MAX_COMMENT_BYTES: usize = 64 * 1024;

/// Elements whose content is raw text for the tokenizer.
const RAW: &[&str] = &[
    "script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes", "noscript",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Text,
    /// After `<`.
    Open,
    /// After `<!`: `-` may start a comment.
    Bang,
    /// After `<!-`.
    BangDash,
    /// In a comment; `dashes`: how many `-` came just before.
    Comment {
        dashes: u8,
    },
    /// In `<!...>` or `<?...>` that is not a comment.
    Bogus,
    /// In a start or end tag's name.
    Name {
        end: bool,
    },
    /// In a tag after its name; `space`: the last character was white space or `/`.
    Tag {
        end: bool,
        space: bool,
    },
    /// After an attribute's `=`: a quote here starts a quoted value (elsewhere a quote is an
    /// ordinary character, as the tokenizer reads it).
    Eq {
        end: bool,
    },
    /// In a quoted attribute value.
    Quoted {
        end: bool,
        quote: char,
    },
    /// Past a limit: dropping up to the tag's `>`, through quoted values (`quote`: the one we
    /// are in), then closing the value the cut was in (`open`).
    SkipTag {
        end: bool,
        quote: Option<char>,
        open: Option<char>,
        eq: bool,
    },
    /// Past the comment limit: dropping up to `-->`.
    SkipComment {
        dashes: u8,
    },
    /// Past the limit of `<!...>`: dropping up to `>`.
    SkipBogus,
    /// In a raw-text element's content; `matched`: characters of `</name` seen.
    Raw {
        matched: usize,
    },
}

/// What happens to one character.
enum Act {
    Keep,
    Drop,
    /// Keep it after writing this first.
    InsertBefore(&'static str),
    /// Drop it and write this instead.
    Replace(&'static str),
}

/// The streaming guard (see the module documentation).
pub(crate) struct Guard {
    state: State,
    /// Bytes of the current tag or comment so far.
    bytes: usize,
    attributes: usize,
    /// The current tag's name, lowercased (only as long as a raw element's name can be).
    name: String,
    /// The raw-text element we are in.
    raw: &'static str,
    /// Tags and comments cut.
    pub(crate) cut: u64,
}

impl Guard {
    pub(crate) fn new() -> Self {
        Guard {
            state: State::Text,
            bytes: 0,
            attributes: 0,
            name: String::new(),
            raw: "",
            cut: 0,
        }
    }

    /// Appends `input`, guarded, to `out`.
    pub(crate) fn feed(&mut self, input: &str, out: &mut String) {
        let b = input.as_bytes();
        let mut i = 0;
        // Text from `copy` to `i` goes out unchanged.
        let mut copy = 0;
        while i < b.len() {
            if self.state == State::Text {
                match memchr::memchr(b'<', &b[i..]) {
                    Some(k) => i += k,
                    None => break,
                }
            }
            let c = input[i..].chars().next().expect("a character starts at i");
            let n = c.len_utf8();
            match self.step(c) {
                Act::Keep => {}
                Act::Drop => {
                    out.push_str(&input[copy..i]);
                    copy = i + n;
                }
                Act::InsertBefore(s) => {
                    out.push_str(&input[copy..i]);
                    out.push_str(s);
                    copy = i;
                }
                Act::Replace(s) => {
                    out.push_str(&input[copy..i]);
                    out.push_str(s);
                    copy = i + n;
                }
            }
            i += n;
        }
        out.push_str(&input[copy..]);
    }

    fn start_skip(&mut self, end: bool, open: Option<char>) -> Act {
        self.cut += 1;
        self.state = State::SkipTag {
            end,
            quote: open,
            open,
            eq: false,
        };
        Act::Drop
    }

    /// The state after a tag's `>`.
    fn close_tag(&mut self, end: bool) {
        self.state = State::Text;
        if !end {
            if let Some(raw) = RAW.iter().find(|r| **r == self.name) {
                self.raw = raw;
                self.state = State::Raw { matched: 0 };
            }
        }
    }

    fn step(&mut self, c: char) -> Act {
        // Inside a tag, outside a quoted value: `>` ends it, and past the size limit the rest
        // of the tag goes.
        if let State::Name { end } | State::Tag { end, .. } | State::Eq { end } = self.state {
            self.bytes += c.len_utf8();
            if c == '>' {
                self.close_tag(end);
                return Act::Keep;
            }
            if self.bytes > MAX_TAG_BYTES {
                return self.start_skip(end, None);
            }
        }
        match self.state {
            State::Text => {
                // Only `<` reaches here (see `feed`).
                self.state = State::Open;
                self.bytes = 1;
                Act::Keep
            }
            State::Open => {
                self.bytes += c.len_utf8();
                match c {
                    '!' => self.state = State::Bang,
                    '?' => self.state = State::Bogus,
                    '/' => {
                        self.name.clear();
                        self.state = State::Name { end: true };
                    }
                    c if c.is_ascii_alphabetic() => {
                        self.name.clear();
                        self.name.push(c.to_ascii_lowercase());
                        self.attributes = 0;
                        self.state = State::Name { end: false };
                    }
                    '<' => self.bytes = 1,
                    _ => self.state = State::Text,
                }
                Act::Keep
            }
            State::Bang => {
                self.bytes += c.len_utf8();
                self.state = match c {
                    '-' => State::BangDash,
                    '>' => State::Text,
                    _ => State::Bogus,
                };
                Act::Keep
            }
            State::BangDash => {
                self.bytes += c.len_utf8();
                self.state = match c {
                    // `<!-->` and `<!--->` are whole (empty) comments.
                    '-' => State::Comment { dashes: 2 },
                    '>' => State::Text,
                    _ => State::Bogus,
                };
                Act::Keep
            }
            State::Comment { dashes } => {
                self.bytes += c.len_utf8();
                if c == '>' && dashes >= 2 {
                    self.state = State::Text;
                    return Act::Keep;
                }
                let dashes = if c == '-' { (dashes + 1).min(2) } else { 0 };
                if self.bytes > MAX_COMMENT_BYTES {
                    self.cut += 1;
                    self.state = State::SkipComment { dashes };
                    return Act::Drop;
                }
                self.state = State::Comment { dashes };
                Act::Keep
            }
            State::SkipComment { dashes } => {
                if c == '>' && dashes >= 2 {
                    self.state = State::Text;
                    return Act::Replace("-->");
                }
                let dashes = if c == '-' { (dashes + 1).min(2) } else { 0 };
                self.state = State::SkipComment { dashes };
                Act::Drop
            }
            State::Bogus => {
                self.bytes += c.len_utf8();
                if c == '>' {
                    self.state = State::Text;
                    return Act::Keep;
                }
                if self.bytes > MAX_COMMENT_BYTES {
                    self.cut += 1;
                    self.state = State::SkipBogus;
                    return Act::Drop;
                }
                Act::Keep
            }
            State::SkipBogus => {
                if c == '>' {
                    self.state = State::Text;
                    return Act::Keep;
                }
                Act::Drop
            }
            State::Name { end } => {
                match c {
                    '/' => self.state = State::Tag { end, space: true },
                    c if c.is_ascii_whitespace() => self.state = State::Tag { end, space: true },
                    c => {
                        // ASCII only, and never longer than a raw element's name plus one:
                        // anything else names no raw element.
                        if self.name.len() <= 8 {
                            self.name.push(if c.is_ascii() {
                                c.to_ascii_lowercase()
                            } else {
                                '-'
                            });
                        }
                    }
                }
                Act::Keep
            }
            State::Tag { end, space } => {
                match c {
                    '/' => self.state = State::Tag { end, space: true },
                    c if c.is_ascii_whitespace() => self.state = State::Tag { end, space: true },
                    '=' => self.state = State::Eq { end },
                    _ => {
                        if space {
                            self.attributes += 1;
                            if self.attributes > MAX_ATTRIBUTES {
                                return self.start_skip(end, None);
                            }
                        }
                        self.state = State::Tag { end, space: false };
                    }
                }
                Act::Keep
            }
            State::Eq { end } => {
                match c {
                    c if c.is_ascii_whitespace() => {}
                    '"' | '\'' => self.state = State::Quoted { end, quote: c },
                    _ => self.state = State::Tag { end, space: false },
                }
                Act::Keep
            }
            State::Quoted { end, quote } => {
                self.bytes += c.len_utf8();
                if c == quote {
                    self.state = State::Tag { end, space: false };
                    return Act::Keep;
                }
                if self.bytes > MAX_TAG_BYTES {
                    return self.start_skip(end, Some(quote));
                }
                Act::Keep
            }
            State::SkipTag {
                end,
                quote,
                open,
                eq,
            } => {
                let (quote, eq) = match (quote, c) {
                    (Some(q), c) if c == q => (None, false),
                    (Some(q), _) => (Some(q), false),
                    (None, '>') => {
                        self.close_tag(end);
                        return match open {
                            Some('"') => Act::InsertBefore("\""),
                            Some(_) => Act::InsertBefore("'"),
                            None => Act::Keep,
                        };
                    }
                    (None, '"' | '\'') if eq => (Some(c), false),
                    (None, '=') => (None, true),
                    (None, c) if c.is_ascii_whitespace() => (None, eq),
                    (None, _) => (None, false),
                };
                self.state = State::SkipTag {
                    end,
                    quote,
                    open,
                    eq,
                };
                Act::Drop
            }
            State::Raw { matched } => {
                let pattern_len = 2 + self.raw.len();
                let expected = match matched {
                    0 => Some('<'),
                    1 => Some('/'),
                    k => self.raw[k - 2..].chars().next(),
                };
                let matched = if expected.is_some_and(|e| e.eq_ignore_ascii_case(&c)) {
                    matched + 1
                } else if c == '<' {
                    1
                } else {
                    0
                };
                if matched == pattern_len {
                    self.name.clear();
                    self.name.push_str(self.raw);
                    self.bytes = pattern_len;
                    self.state = State::Name { end: true };
                } else {
                    self.state = State::Raw { matched };
                }
                Act::Keep
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guard(s: &str) -> (String, u64) {
        let mut g = Guard::new();
        let mut out = String::new();
        g.feed(s, &mut out);
        (out, g.cut)
    }

    #[test]
    fn ordinary_html_passes_unchanged() {
        for page in [
            "<!doctype html><html><head><title>标题 <b></title></head><body>",
            "<p class=\"a b\" data-x='1>2'>正文 a<b 和 c>d</p><!-- 注释 -- -> --><br/>",
            "<a href=x'y title = \"q'\" b=it's>链接</a><div id=a\"b>文</div>",
            "<script>if (a<b && c>d) { x = '</div>'; }</script><style>a>b{}</style>",
            "<textarea><p>not a tag</p></textarea><?xml version='1.0'?><![CDATA[x]]>",
            "< not a tag <3 << <<p>x</p> </ > <!> <!-> text",
            "<a中文中文中文中文中文 b>文字</a中文中文中文中文><scriptx>x</scriptx>",
        ] {
            assert_eq!(guard(page), (page.to_string(), 0), "{page}");
        }
    }

    #[test]
    fn limits_cut_tags_and_comments_only() {
        let many: String = (0..1000).map(|i| format!(" a{i}")).collect();
        let (out, cut) = guard(&format!("<div{many}>正文</div>"));
        assert_eq!(cut, 1);
        assert!(out.ends_with(">正文</div>") && out.matches(" a").count() == MAX_ATTRIBUTES);
        let long = "x".repeat(MAX_TAG_BYTES * 2);
        let (out, _) = guard(&format!("<img alt=\"{long}\" src=x>后文"));
        assert!(
            out.len() < MAX_TAG_BYTES + 100 && out.ends_with("\">后文"),
            "{}",
            &out[out.len() - 20..]
        );
        let (out, cut) = guard(&format!("<!--{long}-->后文"));
        assert_eq!((cut, out.len() < MAX_COMMENT_BYTES + 100), (1, true));
        assert!(out.ends_with("-->后文"));
        let (out, _) = guard(&format!("<{long}>后文"));
        assert!(out.ends_with(">后文") && out.len() < MAX_TAG_BYTES + 100);
    }

    #[test]
    fn chunking_does_not_matter() {
        let many: String = (0..400).map(|i| format!(" a{i}='v>{i}'")).collect();
        let page = format!(
            "<p{many}>甲</p><!--{}-->乙<script>'</p>'</script>丙",
            "中".repeat(30_000)
        );
        let whole = guard(&page);
        for step in [1, 2, 3, 7, 1000, 65_536] {
            let mut g = Guard::new();
            let mut out = String::new();
            let mut at = 0;
            while at < page.len() {
                let mut to = (at + step).min(page.len());
                while !page.is_char_boundary(to) {
                    to += 1;
                }
                g.feed(&page[at..to], &mut out);
                at = to;
            }
            assert_eq!((out, g.cut), whole, "{step}");
        }
    }
}
