//! The `reflow` stage: rebuilds paragraphs from hard-wrapped text (PDF and OCR extractions,
//! newspaper columns), and removes the spaces of letter-spaced headlines.
//!
//! **Joining lines.** Line A is joined with the next line B only when all of these hold:
//! - the text around A is hard-wrapped: of the 13 lines of at least 4 characters around it
//!   (6 before, A, 6 after; bylines and markers not counted), at least 4 end without
//!   sentence-final punctuation and are within 20 % of the median width, and that
//!   median (the column width) is at least 24 columns (12 CJK characters); so poems, lists and
//!   one-paragraph-per-line text never qualify;
//! - A fills the column (at least 80 % of the median width; CJK characters count 2, others 1),
//!   or A opens a quotation or bracket that B closes;
//! - A does not end a sentence (`。！？!?…` possibly followed by closing quotes or brackets);
//! - neither line is a byline, photo credit, continuation marker (`（上接第1版）`), list item or
//!   a dash-led subtitle ([`crate::boilerplate::rules::is_barrier`]);
//! - if blank lines stand between A and B (PDF extraction puts some inside sentences), A ends
//!   with an ideograph or a comma-like mark (so the sentence goes on) and B starts with an
//!   ideograph, a digit, `“` or `（`.
//!
//! CJK joined to CJK takes no space, Latin to Latin one space; the trailing white space of A and
//! the leading white space of B go. Text that is not hard-wrapped passes through unchanged, byte
//! for byte (line endings included).
//!
//! **Letter spacing.** A run of at least 6 tokens of one or two CJK characters separated by
//! single spaces, at least 4 of them single characters (`再 接 再 厉 抓 好`), loses its spaces.
//! Known false positive: a list of single characters written with spaces (`部首：一 丨 丿 丶
//! 乙 亅`).
//!
//! Memory: the stage holds 7 lines (a line over 64 KiB is passed through in pieces and never
//! joined) and up to 16 blank lines after each.

use std::borrow::Cow;
use std::collections::VecDeque;

use serde_json::json;

use crate::boilerplate::rules::{is_barrier_with, BarrierFacts};
use crate::chars::{is_wide, trim};
use crate::error::Result;
use crate::pipeline::{cut_lines, Piece, Stage};
use crate::report::StageReport;

/// Lines longer than this pass through in pieces and are never joined.
const MAX_LINE: usize = 64 * 1024;
/// Blank lines held between two lines that might be joined.
const MAX_BLANKS: usize = 16;
/// Lines the column width is estimated from.
const WINDOW: usize = 13;

fn is_han(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x3FFFD)
}

fn is_closer(c: char) -> bool {
    matches!(
        c,
        '”' | '’' | '」' | '』' | '）' | ')' | '】' | '》' | '〉' | '"' | '\''
    )
}

/// Whether a line ends a sentence (and so, in wrapped text, most likely a paragraph).
fn ends_sentence(line: &str) -> bool {
    let core = line.trim_end_matches(is_closer);
    matches!(
        core.chars().next_back(),
        Some('。' | '！' | '？' | '!' | '?' | '…' | '.' | '．')
    ) || core.is_empty()
}

/// Whether a line's last character says the sentence goes on after a blank line.
fn continues(c: char) -> bool {
    is_han(c) || matches!(c, '，' | '、' | '：' | '；' | '—' | '“' | '《' | '（')
}

/// Removes the spaces of letter-spaced CJK text (see the module documentation).
pub fn unspace(line: &str) -> Cow<'_, str> {
    if !line.as_bytes().contains(&b' ') || !line.chars().any(is_han) {
        return Cow::Borrowed(line);
    }
    let small = |t: &str| {
        let n = t.chars().count();
        (1..=2).contains(&n) && t.chars().all(is_wide)
    };
    let tokens: Vec<&str> = line.split(' ').collect();
    // Which spaces (between token i and i + 1) to remove.
    let mut remove = vec![false; tokens.len().saturating_sub(1)];
    let mut i = 0;
    let mut changed = false;
    while i < tokens.len() {
        if !small(tokens[i]) {
            i += 1;
            continue;
        }
        let mut j = i;
        while j + 1 < tokens.len() && small(tokens[j + 1]) {
            j += 1;
        }
        let run = &tokens[i..=j];
        let singles = run.iter().filter(|t| t.chars().count() == 1).count();
        if run.len() >= 6 && singles >= 4 {
            for r in &mut remove[i..j] {
                *r = true;
            }
            // The neighbours are part of the spaced-out text when they touch it with CJK.
            if i > 0 && tokens[i - 1].chars().next_back().is_some_and(is_wide) {
                remove[i - 1] = true;
            }
            if j + 1 < tokens.len() && tokens[j + 1].chars().next().is_some_and(is_wide) {
                remove[j] = true;
            }
            changed = true;
        }
        i = j + 1;
    }
    if !changed {
        return Cow::Borrowed(line);
    }
    let mut out = String::with_capacity(line.len());
    for (k, t) in tokens.iter().enumerate() {
        out.push_str(t);
        if k < remove.len() && !remove[k] {
            out.push(' ');
        }
    }
    Cow::Owned(out)
}

/// A non-blank line waiting for the decision whether the next one joins it.
struct Line {
    /// Leading white space (dropped when the line joins the one before).
    lead: String,
    /// The content, trimmed, letter spacing removed.
    text: String,
    /// Trailing white space (with, once blank lines follow, the line ending and those blank
    /// lines); dropped with `end` when the next line joins this one.
    tail: String,
    /// The line ending, written after `tail` (empty once it has moved into `tail`).
    end: &'static str,
    blanks: usize,
    width: usize,
    /// Long enough (4 characters) to count for the column estimate.
    counts: bool,
    sentence_end: bool,
    barrier: bool,
    opens: bool,
    long: bool,
}

impl Line {
    /// Whether the line is one the column width is estimated from.
    fn counts_for_column(&self) -> bool {
        self.counts && !self.barrier
    }

    /// `content` is `line` trimmed; `buf` is an empty string to hold the text (reused, so
    /// that lines cost no allocation). Also says whether letter spacing was removed.
    fn new(line: &str, content: &str, end: &'static str, mut buf: String) -> (Line, bool) {
        let lead = &line[..content.as_ptr() as usize - line.as_ptr() as usize];
        let tail = &line[lead.len() + content.len()..];
        buf.push_str(content);
        let mut m = Measure::of(content);
        // Letter spacing needs spaces: most lines have none.
        let unspaced = m.spaces
            && match unspace(content) {
                Cow::Owned(text) => {
                    buf.clear();
                    buf.push_str(&text);
                    m = Measure::of(&buf);
                    true
                }
                Cow::Borrowed(_) => false,
            };
        let text = buf;
        let facts = BarrierFacts {
            first: text.chars().next().unwrap_or(' '),
            last: m.last,
            chars: m.chars,
            reporter: m.reporter,
        };
        let line = Line {
            lead: lead.to_string(),
            width: m.width,
            counts: m.chars >= 4,
            sentence_end: ends_sentence(&text),
            barrier: is_barrier_with(&text, &facts),
            opens: m.quotes > 0 || m.brackets > 0,
            long: false,
            tail: tail.to_string(),
            end,
            blanks: 0,
            text,
        };
        (line, unspaced)
    }
}

/// What the stage needs to know about a line's characters, from one pass over its bytes (the
/// line is scanned once for everything: this was a third of the stage's time).
#[derive(Debug, PartialEq)]
struct Measure {
    /// Columns: CJK characters count 2 ([`is_wide`]), others 1.
    width: usize,
    chars: usize,
    /// `“` minus `”`, and `（` minus `）`.
    quotes: i32,
    brackets: i32,
    /// One of 者 讯 訊 稿 occurs ([`BarrierFacts::reporter`]).
    reporter: bool,
    /// An ASCII space occurs.
    spaces: bool,
    /// The last character (a space when there is none).
    last: char,
}

impl Measure {
    fn of(text: &str) -> Measure {
        let b = text.as_bytes();
        let mut m = Measure {
            width: 0,
            chars: 0,
            quotes: 0,
            brackets: 0,
            reporter: false,
            spaces: false,
            last: ' ',
        };
        let mut i = 0;
        let mut cp = u32::from(b' ');
        while i < b.len() {
            let x = u32::from(b[i]);
            m.chars += 1;
            // The text is UTF-8, so a lead byte says how many bytes follow it.
            let cont = |k: usize| u32::from(b[i + k]) & 0x3F;
            if x < 0x80 {
                cp = x;
                m.spaces |= x == u32::from(b' ');
                i += 1;
            } else if x < 0xE0 {
                cp = ((x & 0x1F) << 6) | cont(1);
                i += 2;
            } else if x < 0xF0 {
                cp = ((x & 0x0F) << 12) | (cont(1) << 6) | cont(2);
                i += 3;
                if (0x4E00..=0x9FFF).contains(&cp) {
                    // The common case: an ideograph (者 讯 訊 稿 are among them).
                    m.width += 2;
                    m.reporter |= matches!(cp, 0x8005 | 0x8BAF | 0x8A0A | 0x7A3F);
                    continue;
                }
                match cp {
                    0x201C => m.quotes += 1,
                    0x201D => m.quotes -= 1,
                    0xFF08 => m.brackets += 1,
                    0xFF09 => m.brackets -= 1,
                    _ => {}
                }
            } else {
                cp = ((x & 0x07) << 18) | (cont(1) << 12) | (cont(2) << 6) | cont(3);
                i += 4;
            }
            m.width += if char::from_u32(cp).is_some_and(is_wide) {
                2
            } else {
                1
            };
        }
        m.last = char::from_u32(cp).unwrap_or(' ');
        m
    }
}

/// How many lines after a line the join decision looks at (and holds).
const LOOKAHEAD: usize = 6;

/// The lines the column is estimated from, with their widths kept sorted too: the median is
/// needed once per line, and sorting the window each time was a fifth of the stage's time.
#[derive(Default)]
struct Window {
    /// Width and "ends without sentence punctuation", in line order.
    lines: VecDeque<(usize, bool)>,
    /// The same widths, sorted.
    sorted: Vec<usize>,
}

impl Window {
    fn push_back(&mut self, line: (usize, bool)) {
        let at = self.sorted.partition_point(|&w| w < line.0);
        self.sorted.insert(at, line.0);
        self.lines.push_back(line);
    }

    fn pop_front(&mut self) {
        if let Some((w, _)) = self.lines.pop_front() {
            let at = self.sorted.partition_point(|&x| x < w);
            self.sorted.remove(at);
        }
    }

    fn clear(&mut self) {
        self.lines.clear();
        self.sorted.clear();
    }
}

/// The `reflow` stage (see the module documentation).
#[derive(Default)]
pub struct ReflowStage {
    /// Lines not written yet; the first one's join with the second is undecided.
    pending: VecDeque<Line>,
    /// Width and "ends without sentence punctuation" of the lines the column is estimated
    /// from: the last ones already written that count (`history` of them), then the pending
    /// ones that count.
    window: Window,
    history: usize,
    /// Text buffers of written lines, for the next lines.
    spare: Vec<String>,
    /// The first pending line joins the line written before it.
    joins_prev: bool,
    /// Inside a line over [`MAX_LINE`] bytes, passed through in pieces.
    in_long: bool,
    joins: u64,
    joins_over_blank: u64,
    unspaced: u64,
}

impl ReflowStage {
    /// A new stage.
    pub fn new() -> Self {
        Self::default()
    }

    /// The column width around the first pending line, if the lines there show hard wrapping.
    fn column(&self) -> Option<usize> {
        let n = self.window.lines.len();
        if n < 4 {
            return None;
        }
        debug_assert!(n <= WINDOW);
        let median = self.window.sorted[n / 2];
        if median < 24 {
            return None;
        }
        let near = self
            .window
            .lines
            .iter()
            .filter(|(w, open)| *open && w.abs_diff(median) * 100 <= median * 20)
            .count();
        (near >= 4).then_some(median)
    }

    fn joinable(&self, a: &Line, b: &Line) -> bool {
        if a.long || b.long || a.barrier || a.sentence_end || b.barrier {
            return false;
        }
        let Some(column) = self.column() else {
            return false;
        };
        let full = a.width * 100 >= column * 80;
        let last = a.text.chars().next_back().unwrap_or(' ');
        let first = b.text.chars().next().unwrap_or(' ');
        if a.blanks > 0 {
            return full
                && continues(last)
                && (is_han(first) || first.is_ascii_digit() || matches!(first, '“' | '（'));
        }
        full || (a.opens && b.text.contains(['”', '）']))
    }

    /// Writes the first pending line, deciding whether the second one joins it.
    fn emit_first(&mut self, out: &mut String) {
        let Some(a) = self.pending.front() else {
            return;
        };
        let join = self.pending.get(1).is_some_and(|b| self.joinable(a, b));
        let a = self.pending.pop_front().expect("checked above");
        if !std::mem::take(&mut self.joins_prev) {
            out.push_str(&a.lead);
        }
        out.push_str(&a.text);
        if join {
            let b = &self.pending[0];
            let last = a.text.chars().next_back().unwrap_or(' ');
            let first = b.text.chars().next().unwrap_or(' ');
            if last.is_ascii_alphanumeric() && first.is_ascii_alphanumeric() {
                out.push(' ');
            }
            self.joins += 1;
            if a.blanks > 0 {
                self.joins_over_blank += 1;
            }
            self.joins_prev = true;
        } else {
            out.push_str(&a.tail);
            out.push_str(a.end);
        }
        let counts = a.counts_for_column();
        let mut text = a.text;
        text.clear();
        if self.spare.len() < LOOKAHEAD + 1 {
            self.spare.push(text);
        }
        if counts {
            // It moves from the pending part of the window to the written part.
            self.history += 1;
            if self.history > WINDOW - LOOKAHEAD - 1 {
                self.window.pop_front();
                self.history -= 1;
            }
        }
    }

    /// Handles one complete line (without its line ending `end`).
    fn line(&mut self, line: &str, end: &'static str, out: &mut String) {
        let content = trim(line);
        if content.is_empty() {
            match self.pending.back_mut() {
                Some(p) if p.blanks < MAX_BLANKS => {
                    // Blank lines go after the ending: move the ending into the tail first.
                    if !p.end.is_empty() {
                        p.tail.push_str(p.end);
                        p.end = "";
                    }
                    p.tail.push_str(line);
                    p.tail.push_str(end);
                    p.blanks += 1;
                }
                _ => {
                    while !self.pending.is_empty() {
                        self.emit_first(out);
                    }
                    out.push_str(line);
                    out.push_str(end);
                }
            }
            return;
        }
        let buf = self.spare.pop().unwrap_or_default();
        let (l, unspaced) = Line::new(line, content, end, buf);
        self.unspaced += u64::from(unspaced);
        if l.counts_for_column() {
            self.window.push_back((l.width, !l.sentence_end));
        }
        self.pending.push_back(l);
        if self.pending.len() > LOOKAHEAD {
            self.emit_first(out);
        }
    }

    fn flush(&mut self, out: &mut String) {
        while !self.pending.is_empty() {
            self.emit_first(out);
        }
    }
}

impl Stage for ReflowStage {
    fn name(&self) -> &'static str {
        "reflow"
    }

    fn process(&mut self, input: &str, out: &mut String, last: bool) -> Result<usize> {
        let mut in_long = self.in_long;
        let pos = cut_lines(input, last, MAX_LINE, &mut in_long, |piece| match piece {
            Piece::Line { body, end, .. } => self.line(body, end, out),
            Piece::LongStart(text) => {
                // Too long to be a wrapped line: write it out as it comes.
                self.flush(out);
                out.push_str(text);
                self.window.clear();
                self.history = 0;
            }
            Piece::LongRest(text) => out.push_str(text),
        });
        self.in_long = in_long;
        if last {
            self.flush(out);
        }
        Ok(pos)
    }

    fn report(&self) -> StageReport {
        StageReport {
            stage: "reflow".into(),
            changes: self.joins + self.unspaced,
            detail: json!({
                "joined_lines": self.joins,
                "joined_over_blank_lines": self.joins_over_blank,
                "unspaced_lines": self.unspaced,
            }),
        }
    }

    fn fork(&self) -> Option<Box<dyn Stage>> {
        Some(Box::new(ReflowStage::new()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reflow(text: &str) -> String {
        let mut s = ReflowStage::new();
        let mut out = String::new();
        let n = s.process(text, &mut out, true).unwrap();
        assert_eq!(n, text.len());
        out
    }

    /// [`Measure`], spelled out with `chars()`.
    fn measure_plain(text: &str) -> Measure {
        let count = |c: char| text.chars().filter(|&x| x == c).count() as i32;
        Measure {
            width: text.chars().map(|c| if is_wide(c) { 2 } else { 1 }).sum(),
            chars: text.chars().count(),
            quotes: count('“') - count('”'),
            brackets: count('（') - count('）'),
            reporter: BarrierFacts::of(text).reporter,
            spaces: text.contains(' '),
            last: BarrierFacts::of(text).last,
        }
    }

    proptest::proptest! {
        #[test]
        fn measure_matches_its_definition(chars in proptest::collection::vec(
            proptest::prop_oneof![
                proptest::char::any(),
                proptest::sample::select(vec![
                    '者', '讯', '訊', '稿', '“', '”', '（', '）', '中', '。', '㐀', '䷀', '𠀀', 'a', ' ',
                ]),
            ],
            0..24,
        )) {
            let text: String = chars.into_iter().collect();
            proptest::prop_assert_eq!(Measure::of(&text), measure_plain(&text));
        }
    }

    #[test]
    fn measure_on_the_samples() {
        for text in [
            include_str!("../samples/clean/000-pdf-news.expected.txt"),
            include_str!("../samples/clean/004-pdf-newspaper.txt"),
        ] {
            for line in text.lines() {
                assert_eq!(Measure::of(line), measure_plain(line), "{line:?}");
            }
        }
    }

    #[test]
    fn letter_spacing() {
        assert_eq!(
            unspace("再 接 再 厉 抓 好 灾 后 恢 复 重 建"),
            "再接再厉抓好灾后恢复重建"
        );
        assert_eq!(
            unspace("件 处 理 中 心 ，给 员 工 带 去 企 业 的 温"),
            "件处理中心，给员工带去企业的温"
        );
        for same in [
            "中文 Python 代码",
            "■新华社记者 李 蓉",
            "床前明月光 疑是地上霜",
            "今年 10 月",
            "一 二 三",
        ] {
            assert_eq!(unspace(same), same);
        }
    }

    #[test]
    fn joins_wrapped_paragraphs() {
        let wrapped = "习近平总书记密切关注汛情，高度重\n视防汛抗洪救灾工作，多次作出重要指示\n批示，要求全力保障人民群众生命财产安\n全。“那段时间，我每天都关注着灾情，\n指导着救灾工作，心里一直惦念着受灾地\n区和受灾群众。”\n\n9月7日，正在黑龙江考察的习近平\n总书记，来到受灾较重的哈尔滨尚志市老\n街基乡龙王庙村，看望慰问受灾群众，了\n解灾后恢复重建进展。\n";
        assert_eq!(
            reflow(wrapped),
            "习近平总书记密切关注汛情，高度重视防汛抗洪救灾工作，多次作出重要指示批示，要求全力保障人民群众生命财产安全。“那段时间，我每天都关注着灾情，指导着救灾工作，心里一直惦念着受灾地区和受灾群众。”\n\n9月7日，正在黑龙江考察的习近平总书记，来到受灾较重的哈尔滨尚志市老街基乡龙王庙村，看望慰问受灾群众，了解灾后恢复重建进展。\n"
        );
    }

    #[test]
    fn leaves_unwrapped_text_alone() {
        for text in [
            "春眠不觉晓，\n处处闻啼鸟。\n夜来风雨声，\n花落知多少。\n春眠不觉晓，\n处处闻啼鸟。\n夜来风雨声，\n花落知多少。\n",
            "标题\n\n第一段很长很长的内容，句子结束了。\n第二段。\r\n\r\n  缩进的第三段\n",
            "1、第一项内容比较长，没有句号\n2、第二项内容比较长，没有句号\n3、第三项内容比较长，没有句号\n4、第四项内容比较长，没有句号\n5、第五项\n",
            "",
            "no newline at end",
        ] {
            assert_eq!(reflow(text), text);
        }
    }
}
