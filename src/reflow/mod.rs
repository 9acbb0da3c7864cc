//! The `reflow` stage: rebuilds paragraphs from hard-wrapped text (PDF and OCR extractions,
//! newspaper columns), and removes the spaces of letter-spaced headlines.
//!
//! **Joining lines.** Line A is joined with the next line B only when all of these hold:
//! - the text around A is hard-wrapped: of the 13 lines of at least 4 characters around it
//!   (6 before, A, 6 after; bylines and markers not counted), at least 4 end without
//!   sentence-final punctuation and are within 20 % of the median width, and that
//!   median (the column width) is at least 24 columns (12 CJK characters), or, for text cut
//!   every so many characters whatever their width, more of them are within 20 % of the
//!   median count of characters, at least 12; and at least 3 of
//!   the breaks between them read on (fewer in proportion while the window is not full, and
//!   the text stays hard-wrapped for 20 lines after a window that showed it): the line before
//!   ends with `，` `、` or an opening mark, the line after starts with a mark that never begins
//!   a line, or the two characters at the break form a common word (`高度重\n视`). So poems,
//!   lists, one-paragraph-per-line text and the headline lists and menus of scraped web pages
//!   (lines of one width that each end on a whole word) never qualify;
//! - A fills the column (at least 80 % of the median width, CJK characters counting 2 and others
//!   1, or of the median count of characters),
//!   or A opens a quotation or bracket that B closes;
//! - or B starts with a mark that never begins a line (`。，、；：！？）」』】》”’`) or A ends with one
//!   that never ends a line (`“‘（「『《【`), wherever the break stands, when A is a line of at
//!   least 4 characters (menu tokens a scraper split, `【` `新闻` `】`, stay apart);
//! - or the break cuts a word in two, which also joins the lines of a short paragraph where too
//!   few lines show a column: A is at least 24 columns wide and does not end a sentence, B
//!   follows directly, and A's last character with B's first forms a common word (jieba's
//!   frequency 100 or more) while A's last two do not (`使\n用命令行`);
//! - A does not end a sentence (`。！？!?…` possibly followed by closing quotes or brackets);
//! - neither line is a byline, photo credit, continuation marker (`（上接第1版）`), newspaper
//!   running head (`2024年5月10日 星期五 …`), list item or a dash-led subtitle
//!   ([`crate::boilerplate::rules::is_barrier`]);
//! - if blank lines stand between A and B (PDF extraction puts some inside sentences), A ends
//!   with an ideograph or a comma-like mark (so the sentence goes on) and B starts with an
//!   ideograph, a digit, `“` or `（`.
//!
//! White space at the break (trailing spaces of A, leading spaces of B) was in the text and
//! stays as it is (`找到 \ncmd ，` is `找到 cmd ，`, `时间、 \n权限` is `时间、 权限`). Without any, CJK
//! joined to anything takes no space and Latin to Latin one (`make\ninstall`), unless the text
//! is cut every so many characters (at least 3 open lines of exactly the median count) and A
//! has exactly that many: then the break cut a word (`--disable-trig\ngers`). Text that is not
//! hard-wrapped passes through unchanged, byte for byte (line endings included).
//!
//! **Letter spacing.** A run of at least 6 tokens of one or two CJK characters (or one ASCII
//! character among them: `T T L 值`, which does not count) separated by single spaces, with at
//! least 6 CJK tokens, four in five of them single characters (`再 接 再 厉 抓 好`), or exactly
//! 5 CJK tokens, all single (`没 有 设 置 这`), loses its spaces. Word-segmented text (`的 完整 的 文档 请 参阅`, a space between words)
//! keeps them. A run of at least 6 single characters of any kind separated by ideographic
//! spaces (U+3000: `對　應　S　O　_`) loses them too; indentation and separators between words
//! or fields (`姓名　张三`) stay.
//! Known false positive: a list of single characters written with spaces (`部首：一 丨 丿 丶
//! 乙 亅`).
//!
//! Memory: the stage holds 7 lines (a line over 64 KiB is passed through in pieces and never
//! joined) and up to 16 blank lines after each.

use std::borrow::Cow;

use serde_json::json;

use crate::repair::model::word_frequency;

mod measure;
mod unspace;
mod window;

use crate::boilerplate::rules::{is_barrier_with, BarrierFacts};
use crate::error::Result;
use crate::lines::{cut_lines, Piece};
use crate::stage::{Stage, StageName};
use crate::text::chars::trim;

use crate::report::StageReport;
use measure::Measure;
pub use unspace::unspace;
use window::{Median, Window};

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

/// Outside wrapped text (too few lines to see a column: a short paragraph), a break that cuts a
/// word in two (`使\n用`, `符\n号链接`) is a wrap: A is wide (24 columns), does not end a sentence,
/// B follows it directly and reads as the rest of a paragraph (it ends a sentence, holds a
/// clause mark or is at least half as wide as A: a short label such as a source name after a
/// headline is none of these), and the break cuts a word ([`cuts_a_word`]). Lines of web text
/// and headline lists end on whole words.
fn splits_a_word(a: &Line, b: &Line) -> bool {
    let prose = |l: &Line| {
        l.sentence_end
            || l.width * 2 >= a.width
            || l.text.contains(['，', '；', '：', '、', ',', ';', ':'])
    };
    if a.blanks > 0 || a.width < 24 || !prose(b) {
        return false;
    }
    cuts_a_word(a, b)
}

/// Whether A's last character with B's first forms a common word while A's last two form no
/// word at all (a break between two words proves nothing) and A's last but one (spaces
/// aside) is not a digit (`…20日\n日本` is a date followed by a word).
fn cuts_a_word(a: &Line, b: &Line) -> bool {
    let mut tail = a.text.chars().rev();
    // The character before the last, past a space (`365 天\n一个` is a number and its unit).
    let (Some(last), before) = (tail.next(), tail.find(|&c| c != ' ')) else {
        return false;
    };
    let Some(first) = b.text.chars().next() else {
        return false;
    };
    is_han(last)
        && is_han(first)
        && word_frequency(last, first) >= MIN_SPLIT_WORD
        && before.is_some_and(|p| {
            !p.is_ascii_digit() && (!is_han(p) || word_frequency(p, last) < MIN_WHOLE_WORD)
        })
}

/// Whether the break between a line that ends with `last` (`open`: without sentence-final
/// punctuation) and one that starts with `first` reads as a wrap: the text goes on across it.
/// The line ends with a comma-like or opening mark, the next starts with a mark that never
/// begins a line (or, after an ideograph, with an ASCII `,` or `;`: `選項時\n, 資料`), or the
/// two characters form a common word (`高度重\n视`). Lines of a headline
/// list or menu almost never read on (a line ending with `；` or `：` may be an item of a list,
/// so it does not count); the lines of a hard-wrapped paragraph mostly do.
fn reads_on(last: char, open: bool, first: char) -> bool {
    open && (matches!(last, '，' | '、')
        || never_ends(last)
        || never_starts(first)
        || (is_han(last) && matches!(first, ',' | ';'))
        || (is_han(last) && is_han(first) && word_frequency(last, first) >= MIN_SPLIT_WORD))
}

/// Breaks among the lines of the window that must read on (see [`reads_on`]) for the text
/// there to count as hard-wrapped.
const MIN_READS_ON: usize = 3;

/// Lines (that count for the column) after a window that showed hard wrapping during which
/// the text still counts as hard-wrapped.
const STICKY: usize = 20;

/// Marks that never begin a line of Chinese text.
fn never_starts(c: char) -> bool {
    matches!(
        c,
        '。' | '，'
            | '、'
            | '；'
            | '：'
            | '！'
            | '？'
            | '）'
            | '」'
            | '』'
            | '】'
            | '》'
            | '”'
            | '’'
    )
}

/// Marks that never end a line of Chinese text.
fn never_ends(c: char) -> bool {
    matches!(c, '“' | '‘' | '（' | '「' | '『' | '《' | '【')
}

/// Characters of two lines in a row of one length that show text cut at that count
/// ([`ReflowStage::same_count`]).
const MIN_CUT: usize = 16;

/// How common (jieba's frequency) a word cut by a break must be.
const MIN_SPLIT_WORD: u32 = 100;
/// How common a word that ends a line must be to show the line ends on a whole word: any of
/// the model's words (`导入`, 92, before `入\n选`).
const MIN_WHOLE_WORD: u32 = 1;

/// Whether a line's last character says the sentence goes on after a blank line.
fn continues(c: char) -> bool {
    is_han(c) || matches!(c, '，' | '、' | '：' | '；' | '—' | '“' | '《' | '（')
}

/// The column of hard-wrapped text: a width in columns, or a count of characters.
#[derive(Clone, Copy, Debug)]
enum Column {
    Width(Median),
    Chars(Median),
}

impl Column {
    /// Whether `line` fills the column (80 % of it or more).
    fn fills(self, line: &Line) -> bool {
        let (size, column) = match self {
            Column::Width(m) => (line.width, m.median),
            Column::Chars(m) => (line.chars, m.median),
        };
        size * 100 >= column * 80
    }
}

/// A non-blank line waiting for the decision whether the next one joins it.
#[derive(Default)]
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
    chars: usize,
    /// Long enough (4 characters) to count for the column estimate.
    counts: bool,
    sentence_end: bool,
    barrier: bool,
    opens: bool,
}

impl Line {
    /// Whether the line is one the column width is estimated from.
    fn counts_for_column(&self) -> bool {
        self.counts && !self.barrier
    }

    /// Fills the line (a reused slot: its buffers keep their memory) from `line`, whose
    /// trimmed content is `content`. Says whether letter spacing was removed.
    fn fill(&mut self, line: &str, content: &str, end: &'static str) -> bool {
        let lead = &line[..content.as_ptr() as usize - line.as_ptr() as usize];
        let tail = &line[lead.len() + content.len()..];
        self.lead.clear();
        self.lead.push_str(lead);
        self.tail.clear();
        self.tail.push_str(tail);
        self.text.clear();
        self.text.push_str(content);
        let mut m = Measure::of(content);
        // Letter spacing is a run of at least 6 tokens: 5 spaces or more. Most lines have none.
        let unspaced = (m.spaces >= 5 || content.contains('\u{3000}'))
            && match unspace(content) {
                Cow::Owned(text) => {
                    self.text.clear();
                    self.text.push_str(&text);
                    m = Measure::of(&self.text);
                    true
                }
                Cow::Borrowed(_) => false,
            };
        let facts = BarrierFacts {
            first: self.text.chars().next().unwrap_or(' '),
            last: m.last,
            chars: m.chars,
            reporter: m.reporter,
        };
        self.width = m.width;
        self.chars = m.chars;
        self.counts = m.chars >= 4;
        self.sentence_end = ends_sentence(&self.text);
        self.barrier = is_barrier_with(&self.text, &facts);
        self.opens = m.quotes > 0 || m.brackets > 0;
        self.end = end;
        self.blanks = 0;
        unspaced
    }
}

/// The pending lines, in a ring of slots that are filled in place and reused: moving each line
/// into a queue and out again, and handing its buffer back, cost a tenth of the stage's time.
#[derive(Default)]
struct Pending {
    slots: Vec<Line>,
    head: usize,
    len: usize,
}

/// Slots in the ring: the lines held, and one more.
const RING: usize = LOOKAHEAD + 2;

impl Pending {
    fn len(&self) -> usize {
        self.len
    }

    fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The `i`th pending line.
    fn get(&self, i: usize) -> Option<&Line> {
        (i < self.len).then(|| &self.slots[(self.head + i) % RING])
    }

    fn back_mut(&mut self) -> Option<&mut Line> {
        let i = self.len.checked_sub(1)?;
        Some(&mut self.slots[(self.head + i) % RING])
    }

    /// A slot at the back for a new line (to be filled with [`Line::fill`]).
    fn push(&mut self) -> &mut Line {
        if self.slots.is_empty() {
            self.slots.resize_with(RING, Line::default);
        }
        assert!(
            self.len < RING,
            "the stage writes a line before holding more"
        );
        self.len += 1;
        &mut self.slots[(self.head + self.len - 1) % RING]
    }

    fn pop_front(&mut self) {
        if self.len > 0 {
            self.head = (self.head + 1) % RING;
            self.len -= 1;
        }
    }
}

/// How many lines after a line the join decision looks at (and holds).
const LOOKAHEAD: usize = 6;

/// The `reflow` stage (see the module documentation).
#[derive(Default)]
pub struct ReflowStage {
    /// Lines not written yet; the first one's join with the second is undecided.
    pending: Pending,
    /// Width and "ends without sentence punctuation" of the lines the column is estimated
    /// from: the last ones already written that count (`history` of them), then the pending
    /// ones that count.
    window: Window,
    history: usize,
    /// The first pending line joins the line written before it.
    joins_prev: bool,
    /// The characters and width of the line written last (when it counts for the column).
    prev_chars: usize,
    prev_width: usize,
    /// How many lines in a row before the first pending line joined the next as text cut at a
    /// count of characters ([`ReflowStage::same_count`]), and whether two of them had different
    /// widths (the text is cut at a count, not wrapped at a column).
    cut_run: usize,
    cut_widths_differ: bool,
    /// Inside a line over [`MAX_LINE`] bytes, passed through in pieces.
    in_long: bool,
    /// The last character of the last line that counts for the column, and whether that line
    /// is open (ends without sentence punctuation).
    before: Option<(char, bool)>,
    /// Lines left during which the text counts as hard-wrapped (see [`STICKY`]).
    wrapped: usize,
    joins: u64,
    joins_over_blank: u64,
    unspaced: u64,
}

impl ReflowStage {
    /// A new stage.
    pub fn new() -> Self {
        Self::default()
    }

    /// The column around the first pending line, if the lines there show hard wrapping: in
    /// columns, or in characters when more lines agree on a count of characters (text cut
    /// every so many characters, whatever their width).
    fn column(&self) -> Option<Column> {
        if self.window.len < 4 {
            return None;
        }
        debug_assert!(self.window.len <= WINDOW);
        if !self.window.reads_on_enough() && self.wrapped == 0 {
            return None;
        }
        let (width, chars) = self.window.median_and_near()?;
        let by_width = (width.median >= 24 && width.near >= 4).then_some(width);
        let by_chars = (chars.median >= 12 && chars.near >= 4).then_some(chars);
        match (by_width, by_chars) {
            (Some(w), Some(c)) if c.near > w.near => Some(Column::Chars(c)),
            (Some(w), _) => Some(Column::Width(w)),
            (None, Some(c)) => Some(Column::Chars(c)),
            (None, None) => None,
        }
    }

    fn joinable(&self, a: &Line, b: &Line) -> bool {
        if a.barrier || b.barrier {
            return false;
        }
        // Text cut at a count of characters is cut wherever the count falls, after a full stop
        // too (`一个特殊。\n接收端`).
        if self.same_count(a, b) {
            return true;
        }
        if a.sentence_end {
            return false;
        }
        let last = a.text.chars().next_back().unwrap_or(' ');
        let first = b.text.chars().next().unwrap_or(' ');
        // Chinese typesetting never starts a line with closing punctuation nor ends one with
        // an opening mark: such a break is a wrap wherever it stands.
        if a.blanks == 0 && a.counts && (never_starts(first) || never_ends(last)) {
            return true;
        }
        let Some(column) = self.column() else {
            return splits_a_word(a, b);
        };
        let full = column.fills(a);
        if a.blanks > 0 {
            return full
                && continues(last)
                && (is_han(first) || first.is_ascii_digit() || matches!(first, '“' | '（'));
        }
        full || (a.opens && b.text.contains(['”', '）'])) || splits_a_word(a, b)
    }

    /// Whether `a` is a line of text cut at a count of characters (at least [`MIN_CUT`]), as a
    /// script cuts text whatever its words, and has that count: `a` has the count of the line
    /// it continues and that join was decided so (a line that ends a sentence, once two lines
    /// before it show the count and lines of the run differ in width: `一个特殊。\n接收端`); or `a` does not end a sentence, `b` has
    /// its count and the break between them cuts a word ([`cuts_a_word`]: `平\n均值`; a comma
    /// or a space proves nothing, a list's lines end on whole words). Lines of a list or a menu
    /// seldom have one length, and then seldom cut a word between them. (Three lines of one
    /// count in the window, without a cut word, were tried: templated lists of a user
    /// interface have them.)
    fn same_count(&self, a: &Line, b: &Line) -> bool {
        if a.blanks > 0 || a.chars < MIN_CUT {
            return false;
        }
        if self.cut_run > 0 && a.chars == self.prev_chars {
            // A full stop at the count is a cut once three lines show the count and their
            // widths show it is a count, not a column: a paragraph of wrapped CJK text may
            // end at the column, and the next one begin on the next line.
            return !a.sentence_end
                || (self.cut_run >= 2 && (self.cut_widths_differ || a.width != self.prev_width));
        }
        if a.sentence_end {
            return false;
        }
        a.chars == b.chars && cuts_a_word(a, b)
    }

    /// Whether the break after `a` (followed by `b`) stands inside text cut every so many
    /// characters, at that count: a Latin word there was cut in two.
    fn cut_at_count(&self, a: &Line, b: &Line) -> bool {
        matches!(self.column(), Some(Column::Chars(c)) if c.exact >= 3 && a.chars == c.median)
            || self.same_count(a, b)
    }

    /// Writes the first pending line, deciding whether the second one joins it.
    fn emit_first(&mut self, out: &mut String) {
        let Some(a) = self.pending.get(0) else {
            return;
        };
        let b = self.pending.get(1);
        let join = b.is_some_and(|b| self.joinable(a, b));
        let cut = join && b.is_some_and(|b| self.same_count(a, b));
        if !std::mem::take(&mut self.joins_prev) && !a.lead.is_empty() {
            out.push_str(&a.lead);
        }
        out.push_str(&a.text);
        match b {
            Some(b) if join => {
                // White space at the break was there in the text (`找到 \ncmd`, `时间、 \n权限`):
                // it stays. Latin meeting Latin takes a space, unless the text is cut every so
                // many characters and this line has exactly that many (`--disable-trig\ngers`
                // is one word cut in two).
                let spaces = |s: &str| s.len() - s.trim_start_matches([' ', '\t']).len();
                let at_break = &a.tail[..spaces(&a.tail)];
                let lead = b.lead.trim_end_matches([' ', '\t']);
                let at_break_b = &b.lead[lead.len()..];
                if at_break.is_empty() && at_break_b.is_empty() {
                    let last = a.text.chars().next_back().unwrap_or(' ');
                    let first = b.text.chars().next().unwrap_or(' ');
                    if last.is_ascii_alphanumeric()
                        && first.is_ascii_alphanumeric()
                        && !self.cut_at_count(a, b)
                    {
                        out.push(' ');
                    }
                } else {
                    out.push_str(at_break);
                    out.push_str(at_break_b);
                }
                self.joins += 1;
                if a.blanks > 0 {
                    self.joins_over_blank += 1;
                }
                self.joins_prev = true;
            }
            _ => {
                if !a.tail.is_empty() {
                    out.push_str(&a.tail);
                }
                out.push_str(a.end);
            }
        }
        let counts = a.counts_for_column();
        if cut {
            self.cut_widths_differ |= self.cut_run > 0 && a.width != self.prev_width;
            self.cut_run += 1;
        } else {
            self.cut_run = 0;
            self.cut_widths_differ = false;
        }
        (self.prev_chars, self.prev_width) = if counts { (a.chars, a.width) } else { (0, 0) };
        self.pending.pop_front();
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
        let l = self.pending.push();
        let unspaced = l.fill(line, content, end);
        let (counts, width, chars, open) =
            (l.counts_for_column(), l.width, l.chars, !l.sentence_end);
        let (first, last) = (
            l.text.chars().next().unwrap_or(' '),
            l.text.chars().next_back().unwrap_or(' '),
        );
        self.unspaced += u64::from(unspaced);
        if counts {
            let read_on = self
                .before
                .is_some_and(|(before, was_open)| reads_on(before, was_open, first));
            self.window.push_back(width, chars, open, read_on);
            self.before = Some((last, open));
            self.wrapped = if self.window.reads_on_enough() {
                STICKY
            } else {
                self.wrapped.saturating_sub(1)
            };
        }
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
        StageName::Reflow.as_str()
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
                self.before = None;
                self.wrapped = 0;
            }
            Piece::LongRest(text) => out.push_str(text),
        });
        self.in_long = in_long;
        if last {
            self.flush(out);
        }
        Ok(pos)
    }

    fn changes(&self) -> u64 {
        self.joins + self.unspaced
    }

    fn report(&self) -> StageReport {
        StageReport {
            stage: StageName::Reflow.as_str().into(),
            changes: self.changes(),
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

    fn reset(&mut self) -> bool {
        // The ring's lines are refilled before they are read: keep their strings.
        let slots = std::mem::take(&mut self.pending.slots);
        *self = ReflowStage::new();
        self.pending.slots = slots;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::measure::is_reporter_mark;
    use super::*;
    use crate::text::chars::is_wide;
    use std::collections::VecDeque;

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
            spaces: text.matches(' ').count(),
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
                    '\u{303F}', '\u{3040}', '\u{3041}', '\u{4DBF}', '\u{4DFF}', '\u{2E7F}', '⺀',
                    '\u{2FFF}', '，', '～', '、', '—', '…', '■', 'é', '\u{1100}', '가', '\u{FF00}',
                    '\u{FF3F}', '\u{FF40}', '\u{E000}', '\u{3FFFE}', '\0',
                ]),
            ],
            0..90,
        )) {
            let text: String = chars.into_iter().collect();
            proptest::prop_assert_eq!(Measure::of(&text), measure_plain(&text));
            proptest::prop_assert_eq!(Measure::decoded(&text), measure_plain(&text));
        }
    }

    #[test]
    fn measure_on_the_samples() {
        for text in [
            include_str!("../../samples/clean/000-pdf-news.expected.txt"),
            include_str!("../../samples/clean/004-pdf-newspaper.txt"),
        ] {
            for line in text.lines() {
                assert_eq!(Measure::of(line), measure_plain(line), "{line:?}");
                assert_eq!(Measure::decoded(line), measure_plain(line), "{line:?}");
            }
        }
    }

    #[test]
    fn the_reporter_hash_knows_exactly_four_ideographs() {
        let marks: Vec<char> = (0x4E00..=0x9FFF)
            .filter(|&cp| is_reporter_mark(cp))
            .filter_map(char::from_u32)
            .collect();
        assert_eq!(marks, ['稿', '者', '訊', '讯']);
    }

    proptest::proptest! {
        /// The window against a queue that is sorted each time.
        #[test]
        fn window_matches_a_sorted_queue(ops in proptest::collection::vec(
            proptest::option::of((0usize..200, 0usize..100, proptest::bool::ANY, proptest::bool::ANY)),
            0..100,
        )) {
            let mut w = Window::default();
            let mut plain: VecDeque<(usize, usize, bool, bool)> = VecDeque::new();
            for op in ops {
                match op {
                    Some((width, chars, open, read_on)) if plain.len() < WINDOW => {
                        w.push_back(width, chars, open, read_on);
                        plain.push_back((width, chars, open, read_on));
                    }
                    _ => {
                        w.pop_front();
                        plain.pop_front();
                    }
                }
                let median_of = |size: fn(&(usize, usize, bool, bool)) -> usize| {
                    let mut sorted: Vec<usize> = plain.iter().map(size).collect();
                    sorted.sort();
                    sorted.get(sorted.len() / 2).map(|&median| {
                        let open = plain.iter().filter(|l| l.2).map(size);
                        Median {
                            median,
                            near: open
                                .clone()
                                .filter(|s| s.abs_diff(median) * 100 <= median * 20)
                                .count(),
                            exact: open.filter(|&s| s == median).count(),
                        }
                    })
                };
                let expected = median_of(|l| l.0).zip(median_of(|l| l.1));
                proptest::prop_assert_eq!(w.median_and_near(), expected);
                proptest::prop_assert_eq!(w.reads_on, plain.iter().filter(|l| l.3).count());
                proptest::prop_assert_eq!(w.len, plain.len());
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
        // Through the stage, which looks only at lines with 5 spaces or more: the fewest a
        // run of 6 tokens has.
        assert_eq!(reflow("再 接 再 厉 抓 好\n"), "再接再厉抓好\n");
        assert_eq!(
            unspace("locale 的值。如果 没 有 设 置 这 其中任何一个环境变量"),
            "locale 的值。如果没有设置这其中任何一个环境变量"
        );
        assert_eq!(
            unspace("打印它收到分组 的 T T L 值 。 当 选 程 系 统 收 到 一份"),
            "打印它收到分组的TTL值。当选程系统收到一份"
        );
        assert_eq!(reflow("再 接 再 厉 抓好\n"), "再 接 再 厉 抓好\n");
        for same in [
            "中文 Python 代码",
            "■新华社记者 李 蓉",
            "床前明月光 疑是地上霜",
            "今年 10 月",
            "一 二 三",
            "的 完整 的 文档 请 参阅 手册 页 中 的 说明",
            "见 a b c d e 和 f",
            "U N I X 系统",
            "具體 指明 了 使用 許可權 . 他 通常 也 會 被",
        ] {
            assert_eq!(unspace(same), same);
        }
    }

    #[test]
    fn ideographic_letter_spacing() {
        let spaced = "如\u{3000}果\u{3000}请\u{3000}求\u{3000}，\u{3000}那\u{3000}么\u{3000}S\u{3000}O\u{3000}_\u{3000}A\u{3000}用\u{3000}于\u{3000}。";
        assert_eq!(unspace(spaced), "如果请求，那么SO_A用于。");
        assert_eq!(reflow(&format!("{spaced}\n")), "如果请求，那么SO_A用于。\n");
        for same in [
            // Paragraph indentation, field separators, words set apart.
            "\u{3000}\u{3000}国家邮政局召开会议，强调全系统全行业要继续发挥作用。",
            "姓名\u{3000}张三\u{3000}性别\u{3000}男\u{3000}年龄\u{3000}三十",
            "甲\u{3000}乙\u{3000}丙\u{3000}丁",
            "本报记者\u{3000}李蓉\u{3000}王强",
        ] {
            assert_eq!(unspace(same), same);
            assert_eq!(reflow(&format!("{same}\n")), format!("{same}\n"));
        }
    }

    #[test]
    fn a_space_at_the_break_stays() {
        // A hard-wrapped paragraph: its breaks cut words (`重\n视`, `示\n批`, `安\n全`).
        let head = "习近平总书记密切关注汛情，高度重\n视防汛抗洪救灾工作，多次作出重要指示\n批示，要求全力保障人民群众生命财产安\n全";
        let tail = "指导着救灾工作，心里一直惦念着受灾地\n区和受灾群众，看望慰问受灾群众，了\n解灾后恢复重建进展。\n";
        let wrapped = format!("{head}，这一行用来把列宽撑到足够宽，再找到 \ncmd ，然后{tail}");
        let out = reflow(&wrapped);
        assert!(out.contains("找到 cmd ，"), "{out}");
        // Between CJK characters too, at either side of the break.
        for (spaced, joined) in [("结 \n尾", "结 尾"), ("时间、\n 权限", "时间、 权限")]
        {
            let text = format!("{head}，这一行用来把列宽撑到足够宽，再找到{spaced}，然后{tail}");
            assert!(reflow(&text).contains(joined), "{spaced:?}");
        }
        // No space at the break: none between CJK, one between Latin words.
        let text = format!("{head}，这一行用来把列宽撑到足够宽，用 make\ninstall 安装，然后{tail}");
        assert!(reflow(&text).contains("make install"));
    }

    #[test]
    fn two_lines_cut_at_one_count() {
        // Too few lines for a column: two of 16 characters, a word cut between them (`平\n均`),
        // and the rest.
        let cut = "它指示每一次重复操作所需时间的平\n均值，以微秒为单位。测量时间用的\n是流逝的时间，而不是 CPU 时间。\n";
        assert_eq!(reflow(cut), format!("{}\n", cut.replace('\n', "")));
        // Once two lines show the count, and their widths show it is a count, a line of that
        // count is cut after a full stop too.
        let cut = "这个特别的回复字串将使线路发出中\n断信号，通知对方TCP端出现特殊\n情况，需要接收端按约定做出回应。\n接收端一般对此的处理是改变传输率。\n";
        assert_eq!(reflow(cut), format!("{}\n", cut.replace('\n', "")));
        // All CJK, the lines are as wide as they are long: a column, and a paragraph may end
        // at it.
        let column = cut.replace("TCP端出现", "传送端出现了");
        assert_eq!(reflow(&column), column.replacen('\n', "", 2), "{column}");
        let two = "这个特别的回复字串将使线路发出中\n断信号，要接收端按约定做出回应。\n接收端一般对此的处理是改变传输率。\n";
        assert_eq!(
            reflow(two),
            two.replacen('\n', "", 1),
            "one line of the count before it is not enough"
        );
        // Lines of one length that end on whole words: a list, left as it is.
        let list = "选取包含证书机构证书的文件以导入\n选取包含电子邮件证书的文件以导入\n此证书代表证书机构。\n";
        assert_eq!(reflow(list), list);
    }

    #[test]
    fn text_cut_every_so_many_characters() {
        // Every line but the last has 18 characters; their widths vary with the Latin in them.
        let cut = "当向一个已经存在的表恢复数据，并且还\n使用了 --disable-trig\ngers 选项时， pg_resto\nre 在插入数据前放出一些查询关闭用\n户表上的触发器， 在数据插入完成后重\n新打开它们。如果恢复的中途停止，那么\n系统表可能处于错误状态。\n";
        assert_eq!(reflow(cut), format!("{}\n", cut.replace('\n', "")));
        // The same words wrapped at a width: a break between Latin letters is between words.
        let wrapped = "当向一个已经存在的表恢复数据时，如果使用了 --disable\ntriggers 选项，pg_restore 在插入数据前放出一\n些查询关闭用户表上的触发器，在数据插入完成后重新\n打开它们。如果恢复的中途停止，那么系统表可能处于\n错误状态，需要手工恢复。\n";
        assert_eq!(
            reflow(wrapped),
            wrapped.replace("disable\n", "disable ").replace('\n', "") + "\n"
        );
    }

    #[test]
    fn a_line_never_starts_with_closing_punctuation() {
        assert_eq!(
            reflow("用于解开SSL证书的口令(常用于HTTP/VPN服务器)\n。\n"),
            "用于解开SSL证书的口令(常用于HTTP/VPN服务器)。\n"
        );
        assert_eq!(reflow("他说：“\n你好”\n"), "他说：“你好”\n");
        assert_eq!(reflow("第一段。\n\n，第二段\n"), "第一段。\n\n，第二段\n");
    }

    #[test]
    fn a_short_paragraph_whose_break_cuts_a_word() {
        assert_eq!(
            reflow("这些命令都是同一个程序,只是链接为不同的名字罢了. 使\n用命令行选项,你可以选择是否更新你的密码\n"),
            "这些命令都是同一个程序,只是链接为不同的名字罢了. 使用命令行选项,你可以选择是否更新你的密码\n"
        );
        for same in [
            // Lines that end on whole words: headlines, a list of items, web text.
            "国务院常务会议部署进一步稳定和扩大就业\n用好专项债券资金推动重大项目建设\n",
            "北京市人民政府关于加强城市管理的通知发布\n布告栏里贴出了新的停车收费标准\n",
            // Too narrow to be a wrapped column.
            "今天天气不错\n用户都出门了\n",
            // A sentence ends.
            "这些命令都是同一个程序，只是链接为不同的名字。\n用命令行选项，你可以选择\n",
            // Dialogue and quoted lines start with opening marks.
            "他说\n「你好」\n",
        ] {
            assert_eq!(reflow(same), same, "{same}");
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
