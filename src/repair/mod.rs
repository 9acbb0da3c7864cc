//! The `repair` stage: detects and repairs garbled Chinese text, one named fix per file.
//!
//! Principle (ftfy's): text is correct until proven otherwise. Every fix looks for a pattern
//! that clean text does not contain, checks it structurally (a pinyin reading that belongs to
//! the character, a byte sequence that re-decodes cleanly), and when it is unsure it changes
//! nothing and counts the case as `unsure` in the report.
//!
//! The fixes, in the order they run on each line:
//!
//! | name | repairs |
//! |---|---|
//! | `html_entity` | `&#36942;`, `&#x904E;`, `&nbsp;`, `&amp;` ... left in plain text |
//! | `escape` | JSON and URL escapes never decoded (`\u4e2d\u6587`, `%E4%B8%AD`) |
//! | `compat_ideograph` | CJK compatibility ideographs (U+F900..) to their unified forms |
//! | `radical` | Kangxi radicals from PDFs to ideographs (`⾏业` -> `行业`) |
//! | `lost_byte` | lost-byte frame shifts of GBK text (`變?yōu)椤伴L久` -> `變為“長久`) |
//! | `pinyin_annotation` | pinyin glued after characters (`業(yè)務` -> `業務`) |
//! | `mojibake` | wrong decodings: `ä¸­æ–‡`, `涓枃`, `いゅ`, `ÖÐÎÄ` -> `中文` |
//! | `lossy_mojibake` | the same with bytes replaced: `杩欐槸涓�涓�` -> `这是��` |
//! | `st_mix` | naive character-by-character conversion (`頭發` -> `頭髮`) |
//! | `punctuation` | ASCII `, ; : ! ?` and `( )` flattened inside Chinese (`，；：！？（）`) |
//! | `debug_fill` | `烫烫烫` / `屯屯屯` debug-fill runs |
//!
//! Each can be switched off by name (`--no-fix NAME`). The stage works on lines (a line longer
//! than 64 KiB is handled in pieces of at least 32 KiB cut at fixed offsets from the line
//! start), so output does not depend on how the input was chunked.

mod compat;
mod debug_fill;
mod discussion;
mod entities;
mod escapes;
mod lossy;
mod lost_byte;
pub(crate) mod model;
mod mojibake;
mod pinyin;
mod punctuation;
mod radicals;
mod scan;
mod st_mix;

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;
use serde_json::json;

use crate::error::{Error, ErrorKind, Result};
use crate::report::StageReport;
use crate::stage::{Stage, StageName};
use scan::{quick_scan, Quick};

/// The repair fixes, in the order they run (one file each).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Fix {
    /// `html_entity`: HTML character references left in plain text.
    HtmlEntity,
    /// `escape`: JSON and URL escapes of Chinese text that were never decoded (\u4e2d, %E4%B8%AD).
    Escape,
    /// `compat_ideograph`: CJK compatibility ideographs to unified ideographs.
    CompatIdeograph,
    /// `radical`: Kangxi and supplement radicals from PDFs to the ideographs they stand for.
    Radical,
    /// `lost_byte`: lost-byte frame shifts of GBK text, with or without a phantom annotation.
    LostByte,
    /// `pinyin_annotation`: pinyin readings glued after characters.
    PinyinAnnotation,
    /// `mojibake`: text decoded with the wrong encoding (UTF-8/GBK/Big5 as Latin-1, UTF-8 as GBK/Big5, Big5<->GBK).
    Mojibake,
    /// `lossy_mojibake`: UTF-8 read as GBK or Big5 with undecodable bytes replaced (what is recoverable).
    LossyMojibake,
    /// `st_mix`: default Traditional forms where OpenCC's phrase table says otherwise (頭發 -> 頭髮).
    StMix,
    /// `punctuation`: ASCII punctuation flattened inside Chinese text.
    Punctuation,
    /// `debug_fill`: 烫烫烫 / 屯屯屯 debug-fill runs.
    DebugFill,
}

impl Fix {
    /// Every fix, in the order they run.
    pub const ALL: [Fix; 11] = [
        Fix::HtmlEntity,
        Fix::Escape,
        Fix::CompatIdeograph,
        Fix::Radical,
        Fix::LostByte,
        Fix::PinyinAnnotation,
        Fix::Mojibake,
        Fix::LossyMojibake,
        Fix::StMix,
        Fix::Punctuation,
        Fix::DebugFill,
    ];

    /// The name `--no-fix`, `--fix` and reports use.
    pub const fn name(self) -> &'static str {
        match self {
            Fix::HtmlEntity => "html_entity",
            Fix::Escape => "escape",
            Fix::CompatIdeograph => "compat_ideograph",
            Fix::Radical => "radical",
            Fix::LostByte => "lost_byte",
            Fix::PinyinAnnotation => "pinyin_annotation",
            Fix::Mojibake => "mojibake",
            Fix::LossyMojibake => "lossy_mojibake",
            Fix::StMix => "st_mix",
            Fix::Punctuation => "punctuation",
            Fix::DebugFill => "debug_fill",
        }
    }

    /// What the fix repairs.
    pub const fn description(self) -> &'static str {
        match self {
            Fix::HtmlEntity => "HTML character references left in plain text",
            Fix::Escape => "JSON and URL escapes of Chinese text that were never decoded (\\u4e2d, %E4%B8%AD)",
            Fix::CompatIdeograph => "CJK compatibility ideographs to unified ideographs",
            Fix::Radical => "Kangxi and supplement radicals from PDFs to the ideographs they stand for",
            Fix::LostByte => "lost-byte frame shifts of GBK text, with or without a phantom annotation",
            Fix::PinyinAnnotation => "pinyin readings glued after characters",
            Fix::Mojibake => "text decoded with the wrong encoding (UTF-8/GBK/Big5 as Latin-1, UTF-8 as GBK/Big5, Big5<->GBK)",
            Fix::LossyMojibake => "UTF-8 read as GBK or Big5 with undecodable bytes replaced: what the bytes keep, U+FFFD for the rest",
            Fix::StMix => "default Traditional forms where OpenCC's phrase table says otherwise (頭發 -> 頭髮)",
            Fix::Punctuation => "ASCII punctuation flattened inside Chinese text",
            Fix::DebugFill => "烫烫烫 / 屯屯屯 debug-fill runs",
        }
    }

    /// Whether the fix is off unless asked for (`--fix NAME`): they are not safe enough to run on all
    /// text. `st_mix` follows OpenCC's longest-match phrase choices, which are sometimes wrong: on
    /// the Taiwan manual pages of manpages-zh (machine-converted text) it made 42 changes, about half
    /// of them real naive-conversion errors (遊標 -> 游標, 折疊 -> 摺疊) and half OpenCC mistakes
    /// (字元後填充 -> 字元后填充, 一個中斷 -> 一箇中斷).
    pub const fn optional(self) -> bool {
        matches!(self, Fix::StMix)
    }

    /// The fix called `name`, if there is one.
    pub fn parse(name: &str) -> Option<Fix> {
        Fix::ALL.into_iter().find(|f| f.name() == name)
    }
}

/// The fixes, in the order they run: (name, what it repairs) of [`Fix::ALL`].
pub const FIXES: &[(&str, &str)] = &{
    let mut table = [("", ""); Fix::ALL.len()];
    let mut i = 0;
    while i < table.len() {
        table[i] = (Fix::ALL[i].name(), Fix::ALL[i].description());
        i += 1;
    }
    table
};

/// The names of the optional fixes ([`Fix::optional`]).
pub const OPTIONAL: &[&str] = &{
    const N: usize = {
        let (mut n, mut i) = (0, 0);
        while i < Fix::ALL.len() {
            n += Fix::ALL[i].optional() as usize;
            i += 1;
        }
        n
    };
    let mut names = [""; N];
    let (mut n, mut i) = (0, 0);
    while i < Fix::ALL.len() {
        if Fix::ALL[i].optional() {
            names[n] = Fix::ALL[i].name();
            n += 1;
        }
        i += 1;
    }
    names
};

/// A line longer than this is repaired in pieces.
const MAX_UNIT: usize = 64 * 1024;
/// Where such a line is cut: the first character boundary at or after this offset of the piece.
const CUT_AT: usize = 32 * 1024;
/// How many repairs the report lists one by one (all are counted).
const MAX_EVENTS: usize = 1000;

/// Keeps at most `MAX_EVENTS` repairs listed in a (merged) report, counting the rest.
fn cap_listed(detail: &mut serde_json::Value) {
    let Some(list) = detail.get_mut("repairs").and_then(|r| r.as_array_mut()) else {
        return;
    };
    if list.len() <= MAX_EVENTS {
        return;
    }
    let extra = (list.len() - MAX_EVENTS) as u64;
    list.truncate(MAX_EVENTS);
    let n = detail["repairs_not_listed"].as_u64().unwrap_or(0) + extra;
    detail["repairs_not_listed"] = n.into();
}

/// One repair (or one case left alone because the fix was unsure).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Repair {
    /// The fix's name.
    pub fix: &'static str,
    /// 1-based line of the input text.
    pub line: u64,
    /// 1-based column (characters) where the repaired text starts, in the line as the fixes
    /// before this one left it (fixes run in the order of [`FIXES`]).
    pub column: u64,
    /// The text before.
    pub before: String,
    /// The text after (equal to `before` for a case left alone).
    pub after: String,
}

/// What the stage does with the text that stays lost after its fixes (runs of U+FFFD and of
/// `锟斤拷`): corpus pipelines differ in what they want.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Unrepairable {
    /// Leave it as it is.
    #[default]
    Keep,
    /// Put one `〓` (the typesetter's mark for a missing character) for each run.
    Mark,
    /// Remove it.
    Drop,
}

impl Unrepairable {
    /// The choice called `name` (`keep`, `mark`, `drop`).
    pub fn parse(name: &str) -> Option<Unrepairable> {
        match name {
            "keep" => Some(Unrepairable::Keep),
            "mark" => Some(Unrepairable::Mark),
            "drop" => Some(Unrepairable::Drop),
            _ => None,
        }
    }

    /// `text` with each run of U+FFFD and `锟斤拷` (mixed or not) marked or dropped.
    fn apply(self, text: &str) -> String {
        let mark = match self {
            Unrepairable::Keep => return text.to_string(),
            Unrepairable::Mark => "〓",
            Unrepairable::Drop => "",
        };
        let mut out = String::with_capacity(text.len());
        let mut in_run = false;
        let mut rest = text;
        while let Some(c) = rest.chars().next() {
            let lost = if c == '\u{FFFD}' {
                c.len_utf8()
            } else if rest.starts_with("锟斤拷") {
                "锟斤拷".len()
            } else {
                0
            };
            if lost > 0 {
                if !in_run {
                    out.push_str(mark);
                }
                in_run = true;
                rest = &rest[lost..];
            } else {
                in_run = false;
                out.push(c);
                rest = &rest[c.len_utf8()..];
            }
        }
        out
    }
}

/// A document's characters by what the stage made of them: the report's `characters`, for
/// corpus pipelines that keep or drop a document by how damaged it was.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Characters {
    /// Characters that looked damaged: `repaired` plus `unrepairable`.
    pub damaged: u64,
    /// Characters of damaged text that repairs replaced (`涓枃` counts 2, `(yè)` 4).
    pub repaired: u64,
    /// Characters left that stand for lost text: U+FFFD, and `锟斤拷` (3 each).
    pub unrepairable: u64,
    /// `repaired`, by fix.
    pub repaired_by_fix: BTreeMap<&'static str, u64>,
}

/// What a fix found in one line.
pub(crate) struct Found {
    /// Byte range in the line and its replacement.
    pub edits: Vec<(usize, usize, String)>,
    /// Cases seen but left alone (byte offset, excerpt).
    pub unsure: Vec<(usize, String)>,
}

impl Found {
    fn none() -> Found {
        Found {
            edits: Vec::new(),
            unsure: Vec::new(),
        }
    }

    /// Turns every edit into an unsure report: the fix saw damage but cannot tell it from a
    /// line that discusses it (see `discussion`).
    fn hold_back(&mut self, line: &str, why: &str) {
        for (start, end, _) in self.edits.drain(..) {
            let excerpt: String = line[start..end].chars().take(12).collect();
            self.unsure.push((start, format!("{why}: {excerpt}")));
        }
    }

    /// `line` with these edits applied (for the fixes' unit tests).
    #[cfg(test)]
    pub(crate) fn apply(&self, line: &str) -> String {
        let mut out = String::new();
        let mut last = 0;
        for (a, b, r) in &self.edits {
            out.push_str(&line[last..*a]);
            out.push_str(r);
            last = *b;
        }
        out.push_str(&line[last..]);
        out
    }
}

/// The repair stage.
pub struct RepairStage {
    enabled: Arc<[Fix]>,
    /// The quick scan may clear lines: `st_mix` (optional) is off, which looks at every line.
    scan: bool,
    /// `mojibake` is on.
    mojibake: bool,
    /// The text will be converted to Traditional characters after this stage.
    traditional_output: bool,
    /// What to do with what stays lost.
    unrepairable: Unrepairable,
    line: u64,
    counts: BTreeMap<&'static str, u64>,
    unsure: BTreeMap<&'static str, u64>,
    events: Vec<Repair>,
    events_dropped: u64,
    chars_repaired: BTreeMap<&'static str, u64>,
    chars_unrepairable: u64,
}

impl RepairStage {
    /// A stage running every default fix except those named in `disabled`.
    pub fn new<S: AsRef<str>>(disabled: &[S]) -> Result<RepairStage> {
        RepairStage::with_optional(disabled, &[] as &[&str])
    }

    /// Like [`RepairStage::new`], also running the optional fixes named in `extra` (see
    /// [`OPTIONAL`]).
    pub fn with_optional<S: AsRef<str>, T: AsRef<str>>(
        disabled: &[S],
        extra: &[T],
    ) -> Result<RepairStage> {
        let named = |names: &mut dyn Iterator<Item = &str>| -> Result<Vec<Fix>> {
            names
                .map(|d| {
                    Fix::parse(d).ok_or_else(|| {
                        Error::new(
                            ErrorKind::Usage,
                            format!(
                                "unknown fix {:?} (fixes: {})",
                                d,
                                FIXES.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
                            ),
                        )
                    })
                })
                .collect()
        };
        let off = named(&mut disabled.iter().map(|d| d.as_ref()))?;
        let on = named(&mut extra.iter().map(|e| e.as_ref()))?;
        let enabled = Fix::ALL
            .into_iter()
            .filter(|f| !f.optional() || on.contains(f))
            .filter(|f| !off.contains(f))
            .collect();
        Ok(RepairStage::with_fixes(enabled))
    }

    /// Tells the stage that its output will be converted to Traditional characters: a gloss is
    /// then judged on the character as it will be written (`业(yè)` becomes `業(yè)`, which
    /// the `pinyin_annotation` fix removes), so one pass gives what two would.
    pub fn for_traditional_output(mut self, yes: bool) -> Self {
        self.traditional_output = yes;
        self
    }

    /// What to do with the text that stays lost after the fixes (U+FFFD, `锟斤拷`); it is
    /// counted as unrepairable in [`Characters`] whatever the choice.
    pub fn unrepairable(mut self, choice: Unrepairable) -> Self {
        self.unrepairable = choice;
        self
    }

    /// A stage with fresh state making this one's choices.
    fn fresh(&self) -> RepairStage {
        RepairStage {
            traditional_output: self.traditional_output,
            unrepairable: self.unrepairable,
            ..RepairStage::with_fixes(self.enabled.clone())
        }
    }

    /// A stage with fresh state running `enabled` (names already checked), default choices.
    fn with_fixes(enabled: Arc<[Fix]>) -> RepairStage {
        RepairStage {
            unrepairable: Unrepairable::Keep,
            scan: !enabled.contains(&Fix::StMix),
            mojibake: enabled.contains(&Fix::Mojibake),
            traditional_output: false,
            enabled,
            line: 1,
            counts: BTreeMap::new(),
            unsure: BTreeMap::new(),
            events: Vec::new(),
            events_dropped: 0,
            chars_repaired: BTreeMap::new(),
            chars_unrepairable: 0,
        }
    }

    /// The document's characters so far by what the stage made of them.
    pub fn characters(&self) -> Characters {
        let repaired = self.chars_repaired.values().sum();
        Characters {
            damaged: repaired + self.chars_unrepairable,
            repaired,
            unrepairable: self.chars_unrepairable,
            repaired_by_fix: self.chars_repaired.clone(),
        }
    }

    /// The repairs made so far (at most 1000 are kept; all are counted).
    pub fn repairs(&self) -> &[Repair] {
        &self.events
    }

    /// Repairs one unit (a line, or a piece of a long one); borrowed when nothing changed.
    fn repair_unit<'a>(&mut self, unit: &'a str) -> Cow<'a, str> {
        // The one fix the line can interest, when the scan shows that.
        let mut only = None;
        if self.scan {
            let untouched = match quick_scan(unit.as_bytes()) {
                Quick::Clean => true,
                // Only a wrong decoding can hide in such a line; its check is cheap.
                Quick::Uncommon => !self.mojibake || mojibake::find(unit).edits.is_empty(),
                Quick::Marks => {
                    only = Some(Fix::Punctuation);
                    false
                }
                Quick::Suspect => false,
            };
            if untouched {
                return Cow::Borrowed(unit);
            }
        }
        self.apply_fixes(unit, only)
    }

    /// Runs the enabled fixes (or just `only`) over one unit.
    fn apply_fixes<'a>(&mut self, unit: &'a str, only: Option<Fix>) -> Cow<'a, str> {
        let mut text = Cow::Borrowed(unit);
        let mut garbled = false;
        for i in 0..self.enabled.len() {
            let fix = self.enabled[i];
            if only.is_some_and(|o| o != fix) {
                continue;
            }
            let found = match fix {
                Fix::HtmlEntity => entities::find(&text),
                Fix::Escape => escapes::find(&text),
                Fix::CompatIdeograph => compat::find(&text),
                Fix::Radical => radicals::find(&text),
                Fix::Mojibake => mojibake::find(&text),
                Fix::LossyMojibake => lossy::find(&text),
                Fix::LostByte => lost_byte::find(&text),
                Fix::PinyinAnnotation => pinyin::find(&text, self.traditional_output),
                Fix::StMix => st_mix::find(&text),
                Fix::Punctuation => punctuation::find(&text, garbled),
                Fix::DebugFill => debug_fill::find(&text),
            };
            for (at, excerpt) in &found.unsure {
                *self.unsure.entry(fix.name()).or_default() += 1;
                if self.wants_event() {
                    let column = 1 + text[..*at].chars().count() as u64;
                    self.record(Repair {
                        fix: fix.name(),
                        line: self.line,
                        column,
                        before: excerpt.clone(),
                        after: excerpt.clone(),
                    });
                }
            }
            if found.edits.is_empty() {
                continue;
            }
            garbled |= matches!(fix, Fix::PinyinAnnotation | Fix::LostByte);
            let mut fixed = String::with_capacity(text.len());
            let mut last = 0;
            // Columns are counted incrementally: edits come in order.
            let mut column = 1u64;
            for (start, end, replacement) in &found.edits {
                *self.counts.entry(fix.name()).or_default() += 1;
                column += text[last..*start].chars().count() as u64;
                if self.wants_event() {
                    self.record(Repair {
                        fix: fix.name(),
                        line: self.line,
                        column,
                        before: text[*start..*end].to_string(),
                        after: replacement.clone(),
                    });
                }
                let chars = text[*start..*end].chars().count() as u64;
                *self.chars_repaired.entry(fix.name()).or_default() += chars;
                column += chars;
                fixed.push_str(&text[last..*start]);
                fixed.push_str(replacement);
                last = *end;
            }
            fixed.push_str(&text[last..]);
            text = Cow::Owned(fixed);
        }
        // What stays lost: U+FFFD, and `锟斤拷` (U+FFFD's UTF-8 read as GBK), three characters
        // each.
        if text.contains('\u{FFFD}') || text.contains('锟') {
            let lost = text.matches('\u{FFFD}').count() + 3 * text.matches("锟斤拷").count();
            self.chars_unrepairable += lost as u64;
            if lost > 0 && self.unrepairable != Unrepairable::Keep {
                text = Cow::Owned(self.unrepairable.apply(&text));
            }
        }
        text
    }

    /// Whether the next repair is still listed one by one (else it is only counted).
    fn wants_event(&mut self) -> bool {
        if self.events.len() < MAX_EVENTS {
            true
        } else {
            self.events_dropped += 1;
            false
        }
    }

    fn record(&mut self, r: Repair) {
        if self.events.len() < MAX_EVENTS {
            self.events.push(r);
        } else {
            self.events_dropped += 1;
        }
    }
}

impl Stage for RepairStage {
    fn name(&self) -> &'static str {
        StageName::Repair.as_str()
    }

    fn process(&mut self, input: &str, out: &mut String, last: bool) -> Result<usize> {
        let mut pos = 0;
        // Units that stay as they are, not yet copied: one copy for a run of them.
        let mut kept = 0;
        loop {
            let rest = &input[pos..];
            let end = match memchr::memchr(b'\n', rest.as_bytes()) {
                Some(i) => Some((i + 1, true)),
                None if last && !rest.is_empty() => Some((rest.len(), false)),
                None => None,
            };
            // A unit may not be longer than MAX_UNIT: cut long lines at fixed offsets.
            let (len, ends_line) = match end {
                Some((len, nl)) if len <= MAX_UNIT => (len, nl),
                _ if rest.len() > MAX_UNIT || (end.is_some() && rest.len() > CUT_AT) => {
                    let mut cut = CUT_AT;
                    while !rest.is_char_boundary(cut) {
                        cut += 1;
                    }
                    (cut, false)
                }
                _ => break,
            };
            if let Cow::Owned(repaired) = self.repair_unit(&rest[..len]) {
                out.push_str(&input[kept..pos]);
                out.push_str(&repaired);
                kept = pos + len;
            }
            if ends_line {
                self.line += 1;
            }
            pos += len;
            if pos == input.len() {
                break;
            }
        }
        out.push_str(&input[kept..pos]);
        Ok(pos)
    }

    fn line_local(&self) -> bool {
        true
    }

    fn fork(&self) -> Option<Box<dyn Stage>> {
        // Fresh state, same fixes: no name validation again (forks are made per JSON record).
        Some(Box::new(self.fresh()))
    }

    fn start_line(&mut self, line: u64) {
        self.line = line;
    }

    fn finish_merged(&self, merged: &mut StageReport) {
        cap_listed(&mut merged.detail);
    }

    fn reset(&mut self) -> bool {
        let mut events = std::mem::take(&mut self.events);
        events.clear();
        *self = self.fresh();
        self.events = events;
        true
    }

    fn changes(&self) -> u64 {
        self.counts.values().sum()
    }

    fn report(&self) -> StageReport {
        StageReport {
            stage: StageName::Repair.as_str().into(),
            changes: self.changes(),
            detail: json!({
                "fixes": self.counts,
                "unsure": self.unsure,
                "repairs": self.events,
                "repairs_not_listed": self.events_dropped,
                "characters": self.characters(),
            }),
        }
    }
}

#[cfg(test)]
mod scan_tests {
    use super::scan::quick_scan;

    /// Repairs `line` twice, through the quick scan and with every fix forced, and checks that
    /// the scan changed nothing: the text, the counts and the unsure reports.
    fn scan_changes_nothing(line: &str) -> Result<(), String> {
        let mut fast = super::RepairStage::new(&[] as &[&str]).unwrap();
        let mut full = super::RepairStage::new(&[] as &[&str]).unwrap();
        let a = fast.repair_unit(line);
        let b = full.apply_fixes(line, None);
        if a != b || fast.counts != full.counts || fast.unsure != full.unsure {
            return Err(format!(
                "{line:?} ({:?}): scanned {a:?} {:?} {:?}, forced {b:?} {:?} {:?}",
                quick_scan(line.as_bytes()),
                fast.counts,
                fast.unsure,
                full.counts,
                full.unsure
            ));
        }
        Ok(())
    }

    #[test]
    fn the_scan_never_changes_a_repair() {
        let mut texts = vec![
            include_str!("../../samples/convert/news-simplified.txt").to_string(),
            include_str!("../../samples/convert/news-traditional-tw.txt").to_string(),
            include_str!("../../samples/repair/001-garbled-traditional.txt").to_string(),
            include_str!("../../samples/repair/003-garbled-traditional.txt").to_string(),
            include_str!("../../samples/cases/repair.json").to_string(),
            "中文,標點;還有:感嘆!結束\nkey: value, more; done!".to_string(),
        ];
        // The manual pages (technical text full of ASCII marks), when fetched.
        let corpus = concat!(env!("CARGO_MANIFEST_DIR"), "/.cache/corpus/");
        for name in ["zh_CN.txt", "zh_TW.txt"] {
            if let Ok(t) = std::fs::read_to_string(format!("{corpus}{name}")) {
                texts.push(t);
            }
        }
        if texts.len() == 6 {
            eprintln!("manual pages not fetched (scripts/fetch-corpus.sh): samples only");
        }
        let mut lines = 0;
        for line in texts.iter().flat_map(|t| t.lines()) {
            scan_changes_nothing(line).unwrap();
            lines += 1;
        }
        assert!(lines > 300, "{lines}");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]
        #[test]
        fn the_scan_never_changes_a_repair_on_made_up_lines(
            parts in proptest::collection::vec(proptest::sample::select(vec![
                "業", "務", "省", "區", "中", "文", "，", "。", "、", "（", "）", "「", "“",
                "(", ")", "?", "&", "#", ";", ",", ":", "!", " ", "a", "x", "yè", "wù", "qū",
                "ye4", "&#36942;", "&amp;", "&nbsp;", "?。", "變?yōu)椤伴L", "锟斤拷", "烫烫烫",
                "⾏", "﨑", "é", "\u{FFFD}", "涓枃", "1", "是", "的", "了",
            ]), 0..24)
        ) {
            let line: String = parts.concat();
            proptest::prop_assert!(scan_changes_nothing(&line).is_ok(), "{}", scan_changes_nothing(&line).unwrap_err());
        }
    }
}

#[cfg(test)]
mod unrepairable_tests {
    use super::{RepairStage, Stage, Unrepairable};

    #[test]
    fn runs_are_kept_marked_or_dropped() {
        let text = "这是\u{FFFD}\u{FFFD}暂时的，锟斤拷锟斤拷\u{FFFD}好\u{FFFD}";
        assert_eq!(Unrepairable::Keep.apply(text), text);
        assert_eq!(Unrepairable::Mark.apply(text), "这是〓暂时的，〓好〓");
        assert_eq!(Unrepairable::Drop.apply(text), "这是暂时的，好");
        assert_eq!(
            Unrepairable::Drop.apply("锟斤 好"),
            "锟斤 好",
            "not a whole 锟斤拷"
        );
    }

    #[test]
    fn forks_keep_the_choice_and_figures_count_what_was_lost() {
        let stage = RepairStage::new(&[] as &[&str])
            .unwrap()
            .unrepairable(Unrepairable::Drop);
        let mut fork = stage.fork().unwrap();
        let mut out = String::new();
        fork.process("前\u{FFFD}\u{FFFD}后\n", &mut out, true)
            .unwrap();
        assert_eq!(out, "前后\n");
        let detail = fork.report().detail;
        assert_eq!(detail["characters"]["unrepairable"], 2);
    }
}
