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
//! single spaces, at least 4 of them and four in five single characters (`再 接 再 厉 抓 好`),
//! loses its spaces. Word-segmented text (`的 完整 的 文档 请 参阅`, a space between words)
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

/// Removes the spaces of letter-spaced CJK text (see the module documentation): ASCII spaces
/// between one- or two-character CJK tokens, or ideographic spaces (U+3000) between single
/// characters of any kind (`對　應　S　O　_　A`, as some pages space out a paragraph).
pub fn unspace(line: &str) -> Cow<'_, str> {
    if !line.chars().any(is_han) {
        return Cow::Borrowed(line);
    }
    let ascii = |t: &str| {
        let n = t.chars().count();
        (1..=2).contains(&n) && t.chars().all(is_wide)
    };
    let ideographic = |t: &str| {
        let mut c = t.chars();
        c.next().is_some_and(|c| !c.is_whitespace()) && c.next().is_none()
    };
    let once = if line.as_bytes().contains(&b' ') {
        unspace_by(line, ' ', ascii)
    } else {
        Cow::Borrowed(line)
    };
    if !once.contains('\u{3000}') {
        return once;
    }
    match unspace_by(&once, '\u{3000}', ideographic) {
        Cow::Owned(twice) => Cow::Owned(twice),
        Cow::Borrowed(_) => once,
    }
}

/// Removes the separators `sep` inside runs of letter-spaced `small` tokens.
fn unspace_by(line: &str, sep: char, small: impl Fn(&str) -> bool) -> Cow<'_, str> {
    let tokens: Vec<&str> = line.split(sep).collect();
    // Which separators (between token i and i + 1) to remove.
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
        // Letter spacing puts a space between nearly every character; word-segmented text
        // (`的 完整 的 文档`, older translations) has many two-character words and keeps its
        // spaces.
        if run.len() >= 6 && singles >= 4 && singles * 5 >= run.len() * 4 {
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
            out.push(sep);
        }
    }
    Cow::Owned(out)
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
    /// ASCII spaces.
    spaces: usize,
    /// The last character (a space when there is none).
    last: char,
}

impl Measure {
    /// The measure, from byte counts over blocks of 64 bytes (a loop the compiler vectorises),
    /// or from [`Measure::decoded`] when the line has a character the counts cannot place.
    fn of(text: &str) -> Measure {
        let b = text.as_bytes();
        let mut sum = BlockCounts::default();
        let mut block = [0u8; 64 + 2];
        let mut at = 0;
        while at < b.len() {
            // The block, with the two bytes after it (zeros past the end of the line).
            let n = (b.len() - at).min(66);
            block[..n].copy_from_slice(&b[at..at + n]);
            block[n..].fill(0);
            let c = BlockCounts::of(&block);
            // Zeros past the end count as characters: take them off.
            let padding = 64usize.saturating_sub(b.len() - at);
            sum.add(&c, padding);
            at += 64;
        }
        if sum.unsure > 0 {
            return Measure::decoded(text);
        }
        Measure {
            width: sum.chars + sum.wide,
            chars: sum.chars,
            quotes: sum.quote_opens as i32 - sum.quote_closes as i32,
            brackets: sum.bracket_opens as i32 - sum.bracket_closes as i32,
            reporter: sum.reporter > 0,
            spaces: sum.spaces,
            last: text.chars().next_back().unwrap_or(' '),
        }
    }

    /// The measure, decoding every character.
    fn decoded(text: &str) -> Measure {
        let b = text.as_bytes();
        let mut m = Measure {
            width: 0,
            chars: 0,
            quotes: 0,
            brackets: 0,
            reporter: false,
            spaces: 0,
            last: ' ',
        };
        let mut cp = u32::from(b' ');
        let mut rest = b;
        // The text is UTF-8: a lead byte says how many bytes follow it.
        let cont = |x: u8| u32::from(x) & 0x3F;
        while let [x, ..] = *rest {
            m.chars += 1;
            match *rest {
                [x @ 0..=0x7F, ref more @ ..] => {
                    cp = u32::from(x);
                    m.spaces += usize::from(x == b' ');
                    m.width += 1;
                    rest = more;
                    continue;
                }
                [x @ 0xE0..=0xEF, b1, b2, ref more @ ..] => {
                    cp = (u32::from(x & 0x0F) << 12) | (cont(b1) << 6) | cont(b2);
                    rest = more;
                    if (0x4E00..=0x9FFF).contains(&cp) {
                        // The common case: an ideograph (者 讯 訊 稿 are among them).
                        m.width += 2;
                        m.reporter |= is_reporter_mark(cp);
                        continue;
                    }
                    match cp {
                        0x201C => m.quotes += 1,
                        0x201D => m.quotes -= 1,
                        0xFF08 => m.brackets += 1,
                        0xFF09 => m.brackets -= 1,
                        _ => {}
                    }
                }
                [_, b1, ref more @ ..] if x < 0xE0 => {
                    cp = (u32::from(x & 0x1F) << 6) | cont(b1);
                    rest = more;
                }
                [_, b1, b2, b3, ref more @ ..] => {
                    cp =
                        (u32::from(x & 0x07) << 18) | (cont(b1) << 12) | (cont(b2) << 6) | cont(b3);
                    rest = more;
                }
                _ => unreachable!("a str holds whole characters"),
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

/// Byte counts over a block of 64 bytes (see [`BlockCounts::of`]), or their sums over a line.
#[derive(Default)]
struct BlockCounts {
    chars: usize,
    /// Wide characters, by their first two or three bytes.
    wide: usize,
    /// Characters whose width the bytes counted do not settle (the line is decoded instead).
    unsure: usize,
    quote_opens: usize,
    quote_closes: usize,
    bracket_opens: usize,
    bracket_closes: usize,
    reporter: usize,
    spaces: usize,
}

impl BlockCounts {
    /// Counts the characters that start in `block[..64]`; `block[64..]` holds the two bytes
    /// after them. [`crate::chars::is_wide`], by the bytes of UTF-8: lead bytes E3-E9 are
    /// U+3000-U+9FFF, wide but for U+303F, U+3040 and U+4DC0-U+4DFF; EB and EC are Hangul;
    /// EF BC is U+FF00-U+FF3F (full-width forms); E2 BA-BF is U+2E80-U+2FFF. Lead bytes E1, EA,
    /// ED, F0-F4 and EF other than EF BC hold both kinds: unsure.
    fn of(block: &[u8; 66]) -> BlockCounts {
        let (mut chars, mut wide, mut unsure, mut spaces) = (0u8, 0u8, 0u8, 0u8);
        let (mut qo, mut qc, mut bo, mut bc, mut rep) = (0u8, 0u8, 0u8, 0u8, 0u8);
        for i in 0..64 {
            let (x, y, z) = (block[i], block[i + 1], block[i + 2]);
            // Bitwise `&` and `|` on the comparisons: no branches, so the loop vectorises.
            let is = |b: u8, v: u8| b == v;
            chars += u8::from((x as i8) >= -64);
            spaces += u8::from(is(x, b' '));
            let narrow_exception = (is(x, 0xE3)
                & ((is(y, 0x80) & is(z, 0xBF)) | (is(y, 0x81) & is(z, 0x80))))
                | (is(x, 0xE4) & is(y, 0xB7));
            wide += u8::from(
                ((0xE3..=0xE9).contains(&x) & !narrow_exception)
                    | is(x, 0xEB)
                    | is(x, 0xEC)
                    | (is(x, 0xEF) & is(y, 0xBC))
                    | (is(x, 0xE2) & (y >= 0xBA)),
            );
            unsure += u8::from(
                is(x, 0xE1)
                    | is(x, 0xEA)
                    | is(x, 0xED)
                    | (x >= 0xF0)
                    | (is(x, 0xEF) & !is(y, 0xBC)),
            );
            // “ E2 80 9C, ” E2 80 9D, （ EF BC 88, ） EF BC 89.
            qo += u8::from(is(x, 0xE2) & is(y, 0x80) & is(z, 0x9C));
            qc += u8::from(is(x, 0xE2) & is(y, 0x80) & is(z, 0x9D));
            bo += u8::from(is(x, 0xEF) & is(y, 0xBC) & is(z, 0x88));
            bc += u8::from(is(x, 0xEF) & is(y, 0xBC) & is(z, 0x89));
            // 者 E8 80 85, 讯 E8 AE AF, 訊 E8 A8 8A, 稿 E7 A8 BF.
            rep += u8::from(
                (is(x, 0xE8)
                    & ((is(y, 0x80) & is(z, 0x85))
                        | (is(y, 0xAE) & is(z, 0xAF))
                        | (is(y, 0xA8) & is(z, 0x8A))))
                    | (is(x, 0xE7) & is(y, 0xA8) & is(z, 0xBF)),
            );
        }
        BlockCounts {
            chars: chars.into(),
            wide: wide.into(),
            unsure: unsure.into(),
            quote_opens: qo.into(),
            quote_closes: qc.into(),
            bracket_opens: bo.into(),
            bracket_closes: bc.into(),
            reporter: rep.into(),
            spaces: spaces.into(),
        }
    }

    /// Adds a block's counts, less `padding` zero bytes counted as characters.
    fn add(&mut self, c: &BlockCounts, padding: usize) {
        self.chars += c.chars - padding;
        self.wide += c.wide;
        self.unsure += c.unsure;
        self.quote_opens += c.quote_opens;
        self.quote_closes += c.quote_closes;
        self.bracket_opens += c.bracket_opens;
        self.bracket_closes += c.bracket_closes;
        self.reporter += c.reporter;
        self.spaces += c.spaces;
    }
}

/// Whether ideograph `cp` is 者 (U+8005), 讯 (U+8BAF), 訊 (U+8A0A) or 稿 (U+7A3F): a perfect
/// hash of the four (a multiplication and a table load instead of four comparisons).
#[inline(always)]
fn is_reporter_mark(cp: u32) -> bool {
    const MARKS: [u32; 4] = [0x8005, 0x8BAF, 0x7A3F, 0x8A0A];
    MARKS[(cp.wrapping_mul(0x36FB_EEE7) >> 30) as usize] == cp
}

/// How many lines after a line the join decision looks at (and holds).
const LOOKAHEAD: usize = 6;

/// The lines the column is estimated from, with their widths kept sorted too: the median is
/// needed once per line, and sorting the window each time was a fifth of the stage's time.
/// Fixed arrays (the window holds at most [`WINDOW`] lines): the count of lines near the median
/// is then a loop over 16 slots that the compiler vectorises.
struct Window {
    /// Per slot, the width of an open line (one that ends without sentence punctuation), or
    /// [`NOT_OPEN`] for other lines and empty slots.
    open: [u32; SLOTS],
    /// The width of the line in each slot.
    width: [u32; SLOTS],
    /// The slot of the oldest line, and the number of lines.
    head: usize,
    len: usize,
    /// The widths, sorted (`sorted[..len]`).
    sorted: [u32; SLOTS],
}

const SLOTS: usize = 16;
const NOT_OPEN: u32 = u32::MAX / 256;

impl Default for Window {
    fn default() -> Self {
        Window {
            open: [NOT_OPEN; SLOTS],
            width: [0; SLOTS],
            head: 0,
            len: 0,
            sorted: [0; SLOTS],
        }
    }
}

impl Window {
    /// Adds a line of `width` columns; `open` if it ends without sentence punctuation.
    fn push_back(&mut self, width: usize, open: bool) {
        const _: () = assert!(WINDOW <= SLOTS);
        if self.len == SLOTS {
            // The stage never holds more than WINDOW lines; should it, the oldest one goes.
            self.pop_front();
        }
        let width = u32::try_from(width).unwrap_or(u32::MAX).min(NOT_OPEN - 1);
        let slot = (self.head + self.len) % SLOTS;
        self.width[slot] = width;
        self.open[slot] = if open { width } else { NOT_OPEN };
        let mut at = self.len;
        while at > 0 && self.sorted[at - 1] > width {
            self.sorted[at] = self.sorted[at - 1];
            at -= 1;
        }
        self.sorted[at] = width;
        self.len += 1;
    }

    fn pop_front(&mut self) {
        if self.len == 0 {
            return;
        }
        let width = self.width[self.head];
        self.open[self.head] = NOT_OPEN;
        self.head = (self.head + 1) % SLOTS;
        self.len -= 1;
        let at = self.sorted[..=self.len]
            .iter()
            .position(|&w| w == width)
            .unwrap_or(self.len);
        self.sorted.copy_within(at + 1..=self.len, at);
    }

    fn clear(&mut self) {
        *self = Window::default();
    }

    /// The median width, and how many open lines are within 20 % of it.
    fn median_and_near(&self) -> Option<(usize, usize)> {
        if self.len == 0 {
            return None;
        }
        let median = self.sorted[self.len / 2];
        let near = self
            .open
            .iter()
            .map(|&w| usize::from(w.abs_diff(median) * 100 <= median * 20))
            .sum();
        Some((median as usize, near))
    }
}

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
        if self.window.len < 4 {
            return None;
        }
        debug_assert!(self.window.len <= WINDOW);
        let (median, near) = self.window.median_and_near()?;
        if median < 24 {
            return None;
        }
        (near >= 4).then_some(median)
    }

    fn joinable(&self, a: &Line, b: &Line) -> bool {
        if a.barrier || a.sentence_end || b.barrier {
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
        let Some(a) = self.pending.get(0) else {
            return;
        };
        let b = self.pending.get(1);
        let join = b.is_some_and(|b| self.joinable(a, b));
        if !std::mem::take(&mut self.joins_prev) && !a.lead.is_empty() {
            out.push_str(&a.lead);
        }
        out.push_str(&a.text);
        match b {
            Some(b) if join => {
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
            }
            _ => {
                if !a.tail.is_empty() {
                    out.push_str(&a.tail);
                }
                out.push_str(a.end);
            }
        }
        let counts = a.counts_for_column();
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
        let (counts, width, open) = (l.counts_for_column(), l.width, !l.sentence_end);
        self.unspaced += u64::from(unspaced);
        if counts {
            self.window.push_back(width, open);
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

    fn changes(&self) -> u64 {
        self.joins + self.unspaced
    }

    fn report(&self) -> StageReport {
        StageReport {
            stage: "reflow".into(),
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
    use super::*;
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
            include_str!("../samples/clean/000-pdf-news.expected.txt"),
            include_str!("../samples/clean/004-pdf-newspaper.txt"),
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
            proptest::option::of((0usize..200, proptest::bool::ANY)),
            0..100,
        )) {
            let mut w = Window::default();
            let mut plain: VecDeque<(usize, bool)> = VecDeque::new();
            for op in ops {
                match op {
                    Some((width, open)) if plain.len() < WINDOW => {
                        w.push_back(width, open);
                        plain.push_back((width, open));
                    }
                    _ => {
                        w.pop_front();
                        plain.pop_front();
                    }
                }
                let mut sorted: Vec<usize> = plain.iter().map(|l| l.0).collect();
                sorted.sort();
                let expected = sorted.get(sorted.len() / 2).map(|&median| {
                    let near = plain
                        .iter()
                        .filter(|(w, open)| *open && w.abs_diff(median) * 100 <= median * 20)
                        .count();
                    (median, near)
                });
                proptest::prop_assert_eq!(w.median_and_near(), expected);
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
        assert_eq!(reflow("再 接 再 厉 抓好\n"), "再 接 再 厉 抓好\n");
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
