//! The `boilerplate` stage: removes page furniture line by line, with named rules
//! ([`rules::RULES`]) plus position:
//!
//! - **Header**: the lines before the first real paragraph (at least 16 characters with
//!   clause punctuation, or 60 characters) are held; navigation lines (channel names such as
//!   `新闻中心`, menu rows), weak-rule lines (contact) and an earlier copy of a line repeated
//!   later in the header (a page title above the article title) are dropped there.
//! - **Body**: strong-rule lines (licence numbers, copyright, disclaimers with their numbered
//!   items, editor/source lines, promos, share bars, previous/next links, related-reading
//!   blocks, breadcrumbs, counters, continuation markers) are dropped wherever they stand.
//!   Metadata (bylines, photo credits, datelines; also a `□name` byline glued to the end of a
//!   paragraph) is dropped unless `--keep-bylines`.
//! - **Footer**: after a dropped line or a weak-rule line (contact), the following lines that
//!   are not real paragraphs are held; if the document ends before another real paragraph
//!   comes, they are the footer and are dropped (weak-rule lines with their rule, others with
//!   rule `footer`), otherwise they are kept.
//!
//! Every dropped line is listed in the report with its rule (the first 1000 of them).
//!
//! Memory: the stage holds at most 256 lines or 256 KiB of header or footer candidates; beyond
//! that it is unsure and lets them through. A line over 64 KiB is text, passed through.

pub mod region;
pub mod repeated;
pub mod rules;

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use serde::Serialize;
use serde_json::json;

use crate::error::Result;
use crate::lines::{cut_lines, Piece};
use crate::report::StageReport;
use crate::stage::{Stage, StageName};

use rules::{Kind, Rule};

/// Lines longer than this are never boilerplate.
const MAX_LINE: usize = 64 * 1024;
/// Held lines beyond these limits are let through.
const MAX_HELD_LINES: usize = 256;
const MAX_HELD_BYTES: usize = 256 * 1024;
/// Buffers kept for held lines.
const SPARE_BUFFERS: usize = 16;
/// Removed lines listed in the report.
const MAX_LISTED: usize = 1000;
/// Documents up to this size are read whole to find their body ([`region`]).
pub const MAX_DOC: usize = 2 * 1024 * 1024;

/// Where a removed line was and why.
#[derive(Clone, Debug, Serialize)]
pub struct Removed {
    /// Line number in the stage's input (1-based).
    pub line: u64,
    /// The rule's name.
    pub rule: &'static str,
    /// The line (its first 80 characters).
    pub text: String,
}

/// A line held back while its fate is open.
struct Held {
    /// The line with its line ending.
    raw: String,
    line: u64,
    /// A weak rule it matched.
    rule: Option<&'static str>,
}

#[derive(PartialEq)]
enum Region {
    Header,
    Body,
}

/// The `boilerplate` stage (see the module documentation).
pub struct BoilerplateStage {
    keep_metadata: bool,
    region: Region,
    held: Vec<Held>,
    held_bytes: usize,
    /// Buffers of released held lines, for the next ones (blank lines are held too: this saves
    /// an allocation per line).
    spare: Vec<String>,
    /// A line was dropped since the last real paragraph: what follows may be the footer.
    footer: bool,
    /// Inside a disclaimer block (its numbered items follow) / a related-reading block.
    disclaimer: bool,
    related: usize,
    /// Blank lines seen right before a dropped line: extra blank lines are collapsed.
    blank_before_drop: bool,
    /// A header line was dropped as soon as it came (a strong rule).
    header_dropped: bool,
    line_no: u64,
    in_long: bool,
    removed: Vec<Removed>,
    removed_count: u64,
    by_rule: BTreeMap<&'static str, u64>,
    /// Normalised lines repeated across the documents of a folder ([`repeated`]).
    repeated: Option<Arc<HashSet<u64>>>,
    /// In the body: consecutive label lines held at the end of `held` (a menu when they reach
    /// `BODY_MENU_RUN`).
    labels: usize,
    /// Whether the document is read whole first to find its body ([`region`]).
    body_region: bool,
    /// The document read so far (complete lines) while it is read whole.
    doc: String,
    /// The document is being read whole (it has not outgrown the limits).
    whole: bool,
    /// Lines (by number, 1-based, at index number - 1) outside the body, with the rule that
    /// drops them ([`region::outside_body`]).
    outside: Vec<Option<&'static str>>,
    /// What the body-region step did: `found`, `none` (no page furniture, or no body),
    /// `too_long` (document over [`MAX_DOC`] or with a line over [`MAX_LINE`]: streamed).
    region_outcome: Option<&'static str>,
}

/// Lines repeated across the documents of a folder. The rule is weak: such a line goes only in
/// the header (before the first real paragraph) or the footer (after the last), never between
/// two paragraphs, so that documents sharing text (re-posts, near-duplicates) keep their body;
/// and a real paragraph is never taken for a template.
static REPEATED: Rule = Rule::new_computed(
    "repeated",
    Kind::Weak,
    "lines repeated across the documents of a folder (folder mode), after CCNet normalisation: \
     header and footer only",
);

impl BoilerplateStage {
    /// A stage that drops metadata lines (bylines, credits) unless `keep_metadata`.
    pub fn new(keep_metadata: bool) -> Self {
        BoilerplateStage {
            keep_metadata,
            region: Region::Header,
            held: Vec::new(),
            held_bytes: 0,
            spare: Vec::new(),
            footer: false,
            disclaimer: false,
            related: 0,
            blank_before_drop: false,
            header_dropped: false,
            line_no: 0,
            in_long: false,
            removed: Vec::new(),
            removed_count: 0,
            by_rule: BTreeMap::new(),
            repeated: None,
            labels: 0,
            body_region: false,
            doc: String::new(),
            whole: false,
            outside: Vec::new(),
            region_outcome: None,
        }
    }

    /// Reads each document whole (up to [`MAX_DOC`]) and drops the lines outside its body
    /// when it is a scraped page ([`region`]).
    pub fn with_body_region(mut self, yes: bool) -> Self {
        self.body_region = yes;
        self.whole = yes;
        self
    }

    /// Also drops the lines of `set` (hashes from [`repeated::RepeatedLines`]).
    pub fn with_repeated(mut self, set: Option<Arc<HashSet<u64>>>) -> Self {
        self.repeated = set.filter(|s| !s.is_empty());
        self
    }

    fn drop_line(&mut self, line: u64, rule: &'static str, text: &str) {
        self.removed_count += 1;
        *self.by_rule.entry(rule).or_default() += 1;
        if self.removed.len() < MAX_LISTED {
            self.removed.push(Removed {
                line,
                rule,
                text: text.trim().chars().take(80).collect(),
            });
        }
    }

    fn hold(&mut self, raw: &str, rule: Option<&'static str>) {
        self.held_bytes += raw.len();
        let mut buf = self.spare.pop().unwrap_or_default();
        buf.push_str(raw);
        self.held.push(Held {
            raw: buf,
            line: self.line_no,
            rule,
        });
    }

    /// Lets the held lines through (a real paragraph follows them, or there are too many).
    fn release(&mut self, out: &mut String) {
        let mut blank_run = 0;
        for h in self.held.drain(..) {
            if h.raw.trim().is_empty() {
                blank_run += 1;
                if self.blank_before_drop && blank_run > 1 {
                    continue;
                }
            } else {
                blank_run = 0;
            }
            out.push_str(&h.raw);
            if self.spare.len() < SPARE_BUFFERS {
                let mut buf = h.raw;
                buf.clear();
                self.spare.push(buf);
            }
        }
        self.held_bytes = 0;
        self.blank_before_drop = false;
    }

    /// Ends the header: drops its weak-rule lines and, when a real paragraph follows (`sure`),
    /// its navigation lines and earlier copies of lines repeated later; lets the rest through.
    fn end_header(&mut self, out: &mut String, sure: bool) {
        let held = std::mem::take(&mut self.held);
        self.held_bytes = 0;
        let texts: Vec<&str> = held.iter().map(|h| h.raw.trim()).collect();
        let menu = if sure {
            header_menu_lines(&texts)
        } else {
            vec![false; texts.len()]
        };
        let mut kept = Vec::new();
        for (i, h) in held.iter().enumerate() {
            let t = texts[i];
            let rule = if t.is_empty() {
                None
            } else if let Some(r) = h.rule.filter(|_| sure) {
                Some(r)
            } else if sure && rules::is_navigation(t) {
                Some(rules::NAVIGATION.name)
            } else if sure && t.chars().count() >= 8 && texts[i + 1..].contains(&t) {
                Some("duplicate")
            } else if menu[i] {
                Some(rules::MENU.name)
            } else {
                None
            };
            match rule {
                Some(r) => self.drop_line(h.line, r, t),
                None => kept.push(h),
            }
        }
        // Where lines went, no blank lines are left at the top and none doubled; a header
        // that lost nothing stays byte for byte.
        let dropped = self.header_dropped || kept.len() < held.len();
        let mut prev_blank = true;
        for h in kept {
            let blank = h.raw.trim().is_empty();
            if dropped && blank && prev_blank {
                continue;
            }
            prev_blank = blank;
            out.push_str(&h.raw);
        }
        self.region = Region::Body;
    }

    /// Ends a run of held labels: a menu when long enough (dropped; blank lines before it stay
    /// held), else released with everything held before it, as any short line would have been.
    fn end_labels(&mut self, out: &mut String) {
        if self.labels >= BODY_MENU_RUN {
            let from = self.held.len() - self.labels;
            let run: Vec<Held> = self.held.drain(from..).collect();
            for h in run {
                self.held_bytes -= h.raw.len();
                self.drop_line(h.line, rules::MENU.name, h.raw.trim());
            }
            if self.held.iter().any(|h| h.raw.trim().is_empty()) {
                self.blank_before_drop = true;
            }
        } else if self.labels > 0 {
            self.release(out);
        }
        self.labels = 0;
    }

    /// Handles one complete line (with its line ending).
    fn line(&mut self, raw: &str, out: &mut String) {
        self.line_no += 1;
        let text = raw.trim();
        if let Some(&Some(rule)) = self.outside.get(self.line_no as usize - 1) {
            if !text.is_empty() {
                self.drop_line(self.line_no, rule, text);
                // As for any dropped line: no doubled blank lines where it was.
                self.end_labels(out);
                if self.region == Region::Header {
                    self.header_dropped = true;
                } else if self.held.iter().any(|h| h.raw.trim().is_empty()) {
                    self.blank_before_drop = true;
                }
            }
            return;
        }
        if text.is_empty() {
            self.end_labels(out);
            // Held even in the body, so that a line dropped after it leaves no double blank.
            self.hold(raw, None);
            return;
        }
        let rule = self.rule_for(text);
        if rule.is_none() && self.region == Region::Body && !self.footer && rules::is_label(text) {
            // Possibly one item of a menu: held until the run ends.
            self.hold(raw, None);
            self.labels += 1;
            if self.held.len() > MAX_HELD_LINES || self.held_bytes > MAX_HELD_BYTES {
                self.end_labels(out);
                self.release(out);
            }
            return;
        }
        self.end_labels(out);
        match rule {
            Some(r) if r.kind == Kind::Metadata && self.keep_metadata => self.keep(raw, text, out),
            Some(r) if r.kind == Kind::Weak => {
                // In the body, a weak-rule line may start the footer: held until a real
                // paragraph shows it was not.
                self.hold(raw, Some(r.name));
                if self.region == Region::Body {
                    self.footer = true;
                }
            }
            Some(r) => {
                self.drop_line(self.line_no, r.name, text);
                if self.region == Region::Header {
                    self.header_dropped = true;
                }
                if self.region == Region::Body {
                    if self.held.iter().any(|h| h.raw.trim().is_empty()) {
                        self.blank_before_drop = true;
                    }
                    self.footer = true;
                }
            }
            None => self.keep(raw, text, out),
        }
        if self.held.len() > MAX_HELD_LINES || self.held_bytes > MAX_HELD_BYTES {
            if self.region == Region::Header {
                self.end_header(out, false);
            } else {
                self.release(out);
            }
        }
    }

    /// The rule a line matches, taking the disclaimer and related-reading blocks into account.
    fn rule_for(&mut self, text: &str) -> Option<&'static Rule> {
        if self.disclaimer && rules::is_numbered_item(text) {
            return rules::RULES.iter().find(|r| r.name == "disclaimer");
        }
        self.disclaimer = false;
        // A real paragraph is never taken for a template, however many documents share it
        // (re-posts, near-duplicates): the rule may only remove page furniture.
        if let Some(set) = &self.repeated {
            if repeated::line_key(text).is_some_and(|k| set.contains(&k))
                && !rules::is_paragraph(text)
            {
                return Some(&REPEATED);
            }
        }
        let rule = rules::classify(text);
        match rule.map(|r| r.name) {
            Some("disclaimer") => self.disclaimer = true,
            Some("related") if self.region == Region::Body => self.related = 30,
            _ => {}
        }
        if rule.is_none() && self.related > 0 {
            if text.chars().count() <= 40 && !rules::is_paragraph(text) {
                self.related -= 1;
                return rules::RULES.iter().find(|r| r.name == "related");
            }
            self.related = 0;
        }
        rule
    }

    /// A line that stays (unless it ends up in the footer).
    fn keep(&mut self, raw: &str, text: &str, out: &mut String) {
        let paragraph = rules::is_paragraph(text);
        let raw = if self.keep_metadata {
            std::borrow::Cow::Borrowed(raw)
        } else {
            self.strip_byline_suffix(raw)
        };
        match self.region {
            Region::Header => {
                if paragraph {
                    self.end_header(out, true);
                    out.push_str(&raw);
                } else {
                    self.hold(&raw, None);
                }
            }
            Region::Body => {
                if paragraph {
                    self.release(out);
                    self.footer = false;
                    out.push_str(&raw);
                } else if self.footer {
                    self.hold(&raw, None);
                } else {
                    self.release(out);
                    out.push_str(&raw);
                }
            }
        }
    }

    fn strip_byline_suffix<'a>(&mut self, raw: &'a str) -> std::borrow::Cow<'a, str> {
        // □ and ■ are E2 96 A1 and E2 96 A0; E2 is rare in Chinese text.
        let b = raw.as_bytes();
        let boxed = memchr::memchr_iter(0xE2, b)
            .any(|i| b.get(i + 1) == Some(&0x96) && matches!(b.get(i + 2), Some(0xA0 | 0xA1)));
        if !boxed {
            return std::borrow::Cow::Borrowed(raw);
        }
        let body = raw.trim_end();
        match rules::byline_suffix(body) {
            Some(end) => {
                self.drop_line(self.line_no, "byline", &body[end..]);
                std::borrow::Cow::Owned(format!("{}{}", &body[..end], &raw[body.len()..]))
            }
            None => std::borrow::Cow::Borrowed(raw),
        }
    }

    /// The line-by-line pass over `input` (see [`Stage::process`]): how many bytes it took.
    fn stream(&mut self, input: &str, out: &mut String, last: bool) -> usize {
        let mut in_long = self.in_long;
        let pos = cut_lines(input, last, MAX_LINE, &mut in_long, |piece| match piece {
            Piece::Line { raw, .. } => self.line(raw, out),
            Piece::LongStart(text) => {
                // Text, too long to be furniture: let everything held through, then it.
                if self.region == Region::Header {
                    self.end_header(out, false);
                } else {
                    self.end_labels(out);
                    self.release(out);
                    self.footer = false;
                }
                out.push_str(text);
                self.line_no += 1;
            }
            Piece::LongRest(text) => out.push_str(text),
        });
        self.in_long = in_long;
        if last {
            self.finish(out);
        }
        pos
    }

    /// At the end of the document: held header lines are judged, held footer lines dropped.
    fn finish(&mut self, out: &mut String) {
        self.end_labels(out);
        match self.region {
            Region::Header => self.end_header(out, false),
            Region::Body if self.footer => {
                for h in std::mem::take(&mut self.held) {
                    let t = h.raw.trim();
                    if !t.is_empty() {
                        self.drop_line(h.line, h.rule.unwrap_or("footer"), t);
                    }
                }
                self.held_bytes = 0;
            }
            Region::Body => self.release(out),
        }
    }
}

/// Runs of labels (see [`rules::is_label`]) in a header that a real paragraph follows: runs
/// of 3 or more consecutive non-blank lines are menus. The last line before the paragraph is
/// the headline, not the menu's last item, when it has 6 or more characters.
fn header_menu_lines(texts: &[&str]) -> Vec<bool> {
    let mut menu = vec![false; texts.len()];
    let headline = texts.iter().rposition(|t| !t.is_empty());
    let mut i = 0;
    while i < texts.len() {
        let start = i;
        while i < texts.len()
            && rules::is_label(texts[i])
            && !(Some(i) == headline && texts[i].chars().count() >= 6)
        {
            i += 1;
        }
        if i - start >= HEADER_MENU_RUN {
            menu[start..i].iter_mut().for_each(|m| *m = true);
        }
        i = i.max(start + 1);
    }
    menu
}

/// The length in bytes of the longest line of `text`.
fn longest_line(text: &str) -> usize {
    let mut longest = 0;
    let mut start = 0;
    for i in memchr::memchr_iter(b'\n', text.as_bytes()) {
        longest = longest.max(i - start);
        start = i + 1;
    }
    longest.max(text.len() - start)
}

/// Labels in a row that make a menu in the header / after the first paragraph.
const HEADER_MENU_RUN: usize = 3;
const BODY_MENU_RUN: usize = 8;

impl Stage for BoilerplateStage {
    fn name(&self) -> &'static str {
        StageName::Boilerplate.as_str()
    }

    fn process(&mut self, input: &str, out: &mut String, last: bool) -> Result<usize> {
        if self.whole {
            // Complete lines only, unless this is the end.
            let end = if last {
                input.len()
            } else {
                memchr::memrchr(b'\n', input.as_bytes()).map_or(0, |i| i + 1)
            };
            let longest = longest_line(&input[..end]).max(input.len() - end);
            if self.doc.len() + end <= MAX_DOC && longest <= MAX_LINE {
                self.doc.push_str(&input[..end]);
                if !last {
                    return Ok(end);
                }
                let doc = std::mem::take(&mut self.doc);
                let texts: Vec<&str> = doc.lines().map(str::trim).collect();
                match region::outside_body(&texts) {
                    Some(outside) => {
                        self.outside = outside;
                        self.region_outcome = Some("found");
                    }
                    None => self.region_outcome = Some("none"),
                }
                self.whole = false;
                self.stream(&doc, out, true);
                self.doc = doc;
                self.doc.clear();
                return Ok(input.len());
            }
            // Too long to hold: what was read goes through line by line, then the rest.
            self.whole = false;
            self.region_outcome = Some("too_long");
            let doc = std::mem::take(&mut self.doc);
            self.stream(&doc, out, false);
        }
        Ok(self.stream(input, out, last))
    }

    fn changes(&self) -> u64 {
        self.removed_count
    }

    fn report(&self) -> StageReport {
        // Held lines are judged later than the lines after them: list in document order.
        let mut removed = self.removed.clone();
        removed.sort_by_key(|r| r.line);
        let mut detail = json!({
            "by_rule": self.by_rule,
            "removed": removed,
        });
        if let Some(outcome) = self.region_outcome {
            detail["body_region"] = json!(outcome);
        }
        StageReport {
            stage: StageName::Boilerplate.as_str().into(),
            changes: self.changes(),
            detail,
        }
    }

    fn fork(&self) -> Option<Box<dyn Stage>> {
        Some(Box::new(
            BoilerplateStage::new(self.keep_metadata)
                .with_repeated(self.repeated.clone())
                .with_body_region(self.body_region),
        ))
    }

    fn reset(&mut self) -> bool {
        // Line buffers go back to the pool of spare ones.
        let mut spare = std::mem::take(&mut self.spare);
        spare.extend(self.held.drain(..).map(|h| h.raw));
        spare.truncate(SPARE_BUFFERS);
        spare.iter_mut().for_each(String::clear);
        let mut held = std::mem::take(&mut self.held);
        held.clear();
        let mut doc = std::mem::take(&mut self.doc);
        doc.clear();
        *self = BoilerplateStage::new(self.keep_metadata)
            .with_repeated(self.repeated.take())
            .with_body_region(self.body_region);
        (self.spare, self.held, self.doc) = (spare, held, doc);
        true
    }
}
