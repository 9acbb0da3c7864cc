//! `mojibake`: text decoded with the wrong encoding and written back, inside otherwise clean text
//! or as whole documents.
//!
//! **What it detects.** Runs of characters that re-encode, in the encoding they were wrongly
//! decoded with, to bytes that decode strictly in another:
//! - UTF-8 read as Latin-1 / Windows-1252 (`ä¸­æ–‡` -> `中文`), also twice (`Ã¤Â¸Â­`);
//! - GBK or Big5 read as Latin-1 (`ÖÐÎÄ` -> `中文`);
//! - UTF-8 read as GBK (`涓枃` -> `中文`) or as Big5;
//! - Big5 read as GBK (`いゅ` -> `中文`) and GBK read as Big5 (also with the codes of Python's
//!   Big5 codec, which differ from WHATWG's in rows C6 and C7).
//!
//! **Why it is safe.** A repair needs a structural proof (the whole run re-decodes with no error,
//! into Han characters and CJK punctuation only) and, for the Han-to-Han cases where clean text
//! can pass the structural test by chance, a plausibility gain: the repaired run must form
//! common words (jieba's two-character words) where the run as it is forms next to none, with a
//! margin that grows as the run gets shorter, and the gain must come from the words formed,
//! not only from foreign characters going away; runs of fewer than four characters are not
//! touched there. The Latin-1 cases need no word model: Chinese text has no runs of Latin-1
//! letters whose bytes are valid multi-byte UTF-8; those that spell valid GBK or Big5 by chance
//! (`“résumé”`, `«` before a no-break space) land on uncommon characters, so a GBK or Big5
//! reading must give mostly common ones (real text measured: LibreOffice, Firefox and
//! Thunderbird strings, see `scripts/fetch-corpus.sh`).
//!
//! **Known false positives.** Latin-1 text that spells valid UTF-8 of CJK characters on purpose.
//! Not repaired (reported only when seen): GBK read as UTF-8 (the bytes are gone, U+FFFD is left;
//! the decoder counts those), `锟斤拷` (see `debug_fill`). Runs where fewer than a quarter of the
//! characters are uncommon (outside GB2312 and Big5 level 1) are not judged as a whole; if two
//! or more are uncommon, stretches inside them are: UTF-8 read as GBK or Big5 in the middle of
//! clean text (`范围鍐咃紝涓嶆彁渚涗换浣曚繚证`) is a stretch of at least three characters whose bytes
//! in that encoding are valid UTF-8 where clean text's seldom are, judged with a smaller margin
//! (6 words' worth) than a whole run. A whole run of three characters or fewer is left, unless
//! the line has decided runs, all in one reading: then its other stretches with an uncommon
//! character that read strictly into CJK text that way are repaired when they read better among
//! their neighbours (a line is garbled one way throughout). Once two thirds of a line's
//! characters are in decided runs, the line was decoded wrongly as a whole, and its remaining
//! stretches are read that way when they read strictly and no worse, however short.

use encoding_rs::{Encoding, BIG5, GBK, UTF_8, WINDOWS_1252};

use super::model::{is_cjk_punct, is_han, is_uncommon, plausibility};
use super::{discussion, Found};
use crate::text::big5_python::{differs_in_python, push_big5_python};
use crate::text::codes::table_encoder;

/// Shortest Han run tried for the Han-to-Han cases.
const MIN_HAN_RUN: usize = 4;
/// Shortest run judged whole with a single uncommon character.
const MIN_WHOLE_RARE: usize = 6;
/// Shortest stretch tried inside a run (three GBK characters are two UTF-8 ones: `濡傛灉`).
const MIN_INSIDE: usize = 3;

pub(crate) fn find(line: &str) -> Found {
    let mut found = Found::none();
    if line.bytes().any(|b| b == 0xC2 || b == 0xC3) {
        latin_runs(line, &mut found);
    }
    han_runs(line, &mut found);
    // A sentence about encodings quotes the mojibake it explains: on such a line, quoted runs
    // stay (and are reported).
    if found
        .edits
        .iter()
        .any(|&(a, b, _)| discussion::quoted(line, a, b))
        && discussion::about_encodings(line)
    {
        found.hold_back(line, "quoted on a line about encodings");
    }
    found.edits.sort_by_key(|e| e.0);
    found
}

fn is_latin1ish(c: char) -> bool {
    // Latin-1, and the characters Windows-1252 puts in 0x80..0x9F.
    matches!(c as u32,
        0x80..=0xFF | 0x152 | 0x153 | 0x160 | 0x161 | 0x178 | 0x17D | 0x17E | 0x192 | 0x2C6 | 0x2DC
        | 0x2013 | 0x2014 | 0x2018..=0x201A | 0x201C..=0x201E | 0x2020..=0x2022 | 0x2026 | 0x2030
        | 0x2039 | 0x203A | 0x20AC | 0x2122)
}

/// Bytes of `s` in `enc`, or `None` if a character has no code there.
fn encode(enc: &'static Encoding, s: &str) -> Option<Vec<u8>> {
    if enc == WINDOWS_1252 {
        // Latin-1 and Windows-1252 together: U+0080..U+009F stand for themselves.
        return s
            .chars()
            .map(|c| match c as u32 {
                0x80..=0xFF => Some(c as u32 as u8),
                _ => {
                    let mut buf = [0; 4];
                    let (b, _, bad) = WINDOWS_1252.encode(c.encode_utf8(&mut buf));
                    (!bad && b.len() == 1).then(|| b[0])
                }
            })
            .collect();
    }
    // GBK and Big5 are looked up in tables (encoding_rs searches its whole index for a
    // character the encoding lacks, which rare-character text is full of).
    let Some(push) = table_encoder(enc) else {
        let (b, _, bad) = enc.encode(s);
        return (!bad).then(|| b.into_owned());
    };
    let mut out = Vec::with_capacity(s.len());
    s.chars().all(|c| push(c, &mut out)).then_some(out)
}

fn decode_strict(enc: &'static Encoding, b: &[u8]) -> Option<String> {
    enc.decode_without_bom_handling_and_without_replacement(b)
        .map(|s| s.into_owned())
}

fn all_cjk(s: &str) -> bool {
    all_cjk_or_punct(s) && s.chars().any(is_han)
}

/// Runs of Latin-1 letters: UTF-8 (once or twice), GBK or Big5 read as Latin-1.
///
/// A run that decodes in both GBK and Big5 without a clear winner, or to a single character,
/// is left unless the same line holds runs that were decided: then it takes their encoding
/// (one line is garbled one way; `ÓÃ` alone proves little, beside `ÊõÓïÊÇÏëÒª` it is `用`).
fn latin_runs(line: &str, found: &mut Found) {
    if line.is_ascii() {
        return;
    }
    let mut undecided: Vec<(usize, usize, Latin)> = Vec::new();
    let (mut gbk_runs, mut big5_runs) = (0usize, 0usize);
    let mut i = 0;
    while i < line.len() {
        let c = line[i..].chars().next().unwrap();
        if !is_latin1ish(c) {
            i += c.len_utf8();
            continue;
        }
        let start = i;
        let mut end = i;
        // A run may hold ASCII bytes too (GBK trail bytes 0x40..0x7E, UTF-8 never).
        for (j, ch) in line[start..].char_indices() {
            if is_latin1ish(ch) || (ch.is_ascii_graphic() && j > 0) {
                end = start + j + ch.len_utf8();
            } else {
                break;
            }
        }
        // Trim trailing ASCII.
        while end > start && line.as_bytes()[end - 1].is_ascii() {
            end -= 1;
        }
        let run = &line[start..end];
        i = end.max(start + c.len_utf8());
        // Trimming may have cut a double-byte code in two: its trail byte can be an ASCII
        // letter (Big5 `¡A` is `，`). Then the run with the one ASCII character after it.
        let trail = line
            .as_bytes()
            .get(end)
            .is_some_and(|b| (0x40..=0x7E).contains(b));
        match run.chars().filter(|c| !c.is_ascii()).count() {
            // One letter and an ASCII trail byte (Big5 `¬O` is `是`): one code, decided only
            // by the line's other runs.
            1 if trail => {
                if let Some(bytes) = encode(WINDOWS_1252, &line[start..end + 1]) {
                    let decode = |enc| decode_strict(enc, &bytes).filter(|s| legacy_text(s));
                    let (gbk, big5) = (decode(GBK), decode(BIG5));
                    undecided.push((start, end + 1, Latin::Legacy { gbk, big5 }));
                }
                continue;
            }
            0 | 1 => continue,
            _ => {}
        }
        let base = undo_latin(run);
        let (end, decision) = if matches!(base, Latin::Fixed(..)) || !trail {
            (end, base)
        } else {
            // Only when the ASCII character became part of a code.
            let ends_ascii = |s: &String| s.ends_with(|c: char| c.is_ascii());
            let longer = match undo_latin(&line[start..end + 1]) {
                Latin::Fixed(f, _) if ends_ascii(&f) => Latin::No,
                Latin::Legacy { gbk, big5 } => {
                    match (
                        gbk.filter(|s| !ends_ascii(s)),
                        big5.filter(|s| !ends_ascii(s)),
                    ) {
                        (None, None) => Latin::No,
                        (gbk, big5) => Latin::Legacy { gbk, big5 },
                    }
                }
                other => other,
            };
            match longer {
                Latin::No => (end, base),
                longer => (end + 1, longer),
            }
        };
        match decision {
            Latin::Fixed(fixed, legacy) => {
                gbk_runs += usize::from(legacy == Some(GBK));
                big5_runs += usize::from(legacy == Some(BIG5));
                found.edits.push((start, end, fixed));
                i = i.max(end);
            }
            other => undecided.push((start, end, other)),
        }
    }
    // The line's encoding, when its decided runs agree on one.
    let line_encoding = match (gbk_runs, big5_runs) {
        (0, 0) => return,
        (_, 0) => GBK,
        (0, _) => BIG5,
        _ => return,
    };
    for (start, end, decision) in undecided {
        if let Latin::Legacy { gbk, big5 } = decision {
            let fixed = if line_encoding == GBK { gbk } else { big5 };
            if let Some(fixed) = fixed {
                found.edits.push((start, end, fixed));
            }
        }
    }
}

/// What a run of Latin-1 letters decodes to.
enum Latin {
    /// A decided repair, and the legacy encoding it undid (`None` for UTF-8).
    Fixed(String, Option<&'static Encoding>),
    /// GBK and Big5 read as Latin-1 without a decision: what each gives (CJK text, or `None`).
    Legacy {
        gbk: Option<String>,
        big5: Option<String>,
    },
    /// Not mojibake.
    No,
}

fn undo_latin(run: &str) -> Latin {
    let Some(bytes) = encode(WINDOWS_1252, run) else {
        return Latin::No;
    };
    // Bytes that are valid UTF-8 but not of CJK text may still be GBK or Big5 (`Ò»Ð©` is
    // UTF-8 for Cyrillic `һЩ`, and GBK for `一些`): those are tried next.
    if let Some(s) = decode_strict(UTF_8, &bytes) {
        // Twice-encoded UTF-8 decodes to Latin-1 letters again.
        if s.chars().all(|c| is_latin1ish(c) || c.is_ascii()) && s.chars().any(is_latin1ish) {
            if let Latin::Fixed(f, None) = undo_latin(&s) {
                return Latin::Fixed(f, None);
            }
        } else if all_cjk_or_punct(&s) {
            // CJK punctuation alone counts here (`ã\u{80}\u{82}` is `。`): three bytes that
            // are valid UTF-8 of a CJK mark do not come out of clean Latin-1 text.
            return Latin::Fixed(s, None);
        }
    }
    // GBK or Big5 read as Latin-1: both may decode; keep the one with clearly more words.
    let gbk = decode_strict(GBK, &bytes).filter(|s| legacy_text(s));
    let big5 = decode_strict(BIG5, &bytes).filter(|s| legacy_text(s));
    let han = |s: &Option<String>| s.as_ref().is_some_and(|s| s.chars().any(is_han));
    let long =
        |s: &String| s.chars().filter(|c| !c.is_ascii()).count() >= 2 && s.chars().any(is_han);
    match (&gbk, &big5) {
        (Some(g), Some(b)) if han(&gbk) && han(&big5) => {
            let (pg, pb) = (plausibility(g), plausibility(b));
            if pg > pb + 6.0 {
                return Latin::Fixed(g.clone(), Some(GBK));
            } else if pb > pg + 6.0 {
                return Latin::Fixed(b.clone(), Some(BIG5));
            }
        }
        (Some(g), None) if long(g) => return Latin::Fixed(g.clone(), Some(GBK)),
        (None, Some(b)) if long(b) => return Latin::Fixed(b.clone(), Some(BIG5)),
        (None, None) => return Latin::No,
        _ => {}
    }
    Latin::Legacy { gbk, big5 }
}

/// What GBK or Big5 text read as Latin-1 gives back: CJK text whose Han characters are mostly
/// common ones. Latin-1 letters in clean text can spell valid GBK by chance (`“résumé”` is
/// `搑閟um閿`, `«\u{A0}` is `珷`), but into characters outside GB2312 and Big5 level 1, where
/// real GBK and Big5 text seldom goes.
fn legacy_text(s: &str) -> bool {
    let (han, uncommon) = s
        .chars()
        .filter(|&c| is_han(c))
        .fold((0, 0), |(h, u), c| (h + 1, u + usize::from(is_uncommon(c))));
    all_cjk_or_punct(s) && uncommon * 2 <= han
}

/// CJK text: Han characters, CJK punctuation and ASCII, with at least one that is not ASCII.
fn all_cjk_or_punct(s: &str) -> bool {
    s.chars()
        .all(|c| is_han(c) || is_cjk_punct(c) || c.is_ascii())
        && !s.is_ascii()
}

/// Runs of Han characters and CJK punctuation that may be UTF-8 / Big5 / GBK read as GBK or Big5.
fn han_runs(line: &str, found: &mut Found) {
    // One pass, no allocation for clean lines: a run is a maximal stretch of non-ASCII,
    // non-space characters (any of them can come out of a wrong decoding: private-use characters
    // for user-defined areas, Cyrillic and Greek from GBK's symbol rows...), and only runs of
    // four or more where a quarter or more are uncommon characters are examined.
    let mut runs = Vec::new();
    // Every stretch of two or more with an uncommon character, for the line's second pass.
    let mut stretches = Vec::new();
    let mut decided = Vec::new();
    let (mut rare, mut total) = (0usize, 0usize);
    let (mut start, mut n, mut uncommon) = (0usize, 0usize, 0usize);
    for (i, c) in line
        .char_indices()
        .chain(std::iter::once((line.len(), ' ')))
    {
        let part = if (c as u32) >= 0x3001 {
            true
        } else {
            !c.is_ascii() && !c.is_whitespace() && (!is_latin1ish(c) || c == '€') && c != '\u{3000}'
        };
        if part {
            if n == 0 {
                start = i;
            }
            n += 1;
            uncommon += usize::from(is_uncommon(c));
        } else {
            // A quarter of uncommon characters: the run may be garbled as a whole; fewer,
            // but three or more: a stretch of it may be.
            // GBK read as Big5 gives mostly common Traditional characters: a longer run with
            // one uncommon character is judged whole too (clean text forms words, and is left).
            if (n >= MIN_HAN_RUN && uncommon * 4 >= n) || (n >= MIN_WHOLE_RARE && uncommon >= 1) {
                runs.push((start, i, true, uncommon >= 2));
            } else if uncommon >= 2 {
                runs.push((start, i, false, true));
            }
            if n >= 1 {
                stretches.push((start, i, uncommon > 0));
                rare += uncommon;
                total += n;
            }
            n = 0;
            uncommon = 0;
        }
    }
    for (s0, e0, whole, inside) in runs {
        if !whole {
            garbled_inside(line, s0, e0, found, &mut decided);
            continue;
        }
        // Clean punctuation next to a garbled run is not part of it.
        let punct = |c: char| "。，、；：？！“”‘’（）《》「」…".contains(c);
        let head = line[s0..e0].trim_start_matches(punct);
        let trimmed = head.trim_end_matches(punct);
        if trimmed.is_empty() {
            continue;
        }
        let s = e0 - head.len();
        let e = s + trimmed.len();
        let run = &line[s..e];
        let n = run.chars().count();
        if n < MIN_HAN_RUN {
            continue;
        }
        match judge(run, false) {
            Judgement::Repair(fixed, reading) => {
                decided.push(reading);
                found.edits.push((s, e, fixed));
            }
            Judgement::Unsure => found.unsure.push((s, run.chars().take(12).collect())),
            Judgement::No if inside => garbled_inside(line, s, e, found, &mut decided),
            Judgement::No => {}
        }
    }
    // Nothing decided, but the line's stretches together (words set apart by spaces: `賤壺
    // 睫瘍蟀諉 腔 壽薊`) may read as one garbled text: judged as one run, they decide the reading.
    if decided.is_empty() && found.edits.is_empty() && rare >= 1 && total >= MIN_WHOLE_RARE + 2 {
        let joined: String = stretches.iter().map(|&(s, e, _)| &line[s..e]).collect();
        if let Judgement::Repair(_, reading) = judge(&joined, false) {
            decided.push(reading);
        }
    }
    same_reading(line, &stretches, &decided, found);
}

/// A line garbled one way is garbled that way throughout: once runs of the line are decided,
/// and all in one reading, the line's other stretches with an uncommon character that read
/// strictly into CJK text that way are repaired when they read better among their neighbours
/// (`涓嶆槸 shell 内建命令` beside a decided run: the four characters alone are too short to
/// judge). A stretch may carry clean characters at either end (`如鏋滄湁`: `如` is clean): the
/// longest part that reads is taken.
fn same_reading(
    line: &str,
    stretches: &[(usize, usize, bool)],
    decided: &[usize],
    found: &mut Found,
) {
    let Some(&reading) = decided.first() else {
        return;
    };
    if decided.iter().any(|&k| k != reading) {
        return;
    }
    let (wrong, right) = READINGS[reading];
    // A line whose decided runs hold two thirds or more of its characters was decoded wrongly
    // as a whole (a decoder garbles everything it reads): after the first round, its other
    // stretches are read the same way when they read strictly and no worse, short ones too
    // (`睿` between two names is `和`, `﹝` is `。`).
    let count = |a: usize, b: usize| line[a..b].chars().count();
    let all: usize = stretches.iter().map(|&(s, e, _)| count(s, e)).sum();
    for round in 0..2 {
        let taken: Vec<(usize, usize)> = found.edits.iter().map(|e| (e.0, e.1)).collect();
        if round == 1 {
            // Only repairs of these stretches count (not a Latin-1 run of the same line).
            let decided_chars: usize = taken
                .iter()
                .filter(|&&(a, b)| stretches.iter().any(|&(s, e, _)| s <= a && b <= e))
                .map(|&(a, b)| count(a, b))
                .sum();
            if decided_chars * 3 < all * 2 {
                break;
            }
        }
        for &(s, e, rare) in stretches {
            if taken.iter().any(|&(a, b)| a < e && s < b) {
                continue;
            }
            // Without an uncommon character, a stretch must gain a word's worth (clean words
            // between garbled ones read well already).
            let needed = if round == 1 {
                -f64::EPSILON
            } else if rare {
                0.0
            } else {
                8.0
            };
            let bounds: Vec<usize> = line[s..e]
                .char_indices()
                .map(|(i, _)| s + i)
                .chain(std::iter::once(e))
                .collect();
            let n = bounds.len() - 1;
            // Whole first, then without clean characters at the start, then at the end (in the
            // second round, whole only).
            let parts = std::iter::once((0, n))
                .chain((1..n.saturating_sub(1)).map(|k| (k, n)))
                .chain((2..n).rev().map(|k| (0, k)))
                .take(if round == 1 { 1 } else { usize::MAX });
            for (x, y) in parts {
                let (a, b) = (bounds[x], bounds[y]);
                let run = &line[a..b];
                let python = if wrong == BIG5 {
                    python_big5(run)
                } else {
                    None
                };
                let fixed = read_as(encode(wrong, run).as_deref(), right, run)
                    .or_else(|| read_as(python.as_deref(), right, run));
                let Some(fixed) = fixed else {
                    continue;
                };
                let before: String = line[..a].chars().next_back().into_iter().collect();
                let after: String = line[b..].chars().next().into_iter().collect();
                let gain = plausibility(&format!("{before}{fixed}{after}"))
                    - plausibility(&format!("{before}{run}{after}"));
                if gain > needed {
                    found.edits.push((a, b, fixed));
                    break;
                }
            }
        }
    }
    found.edits.sort_by_key(|e| e.0);
}

/// The run's bytes in Python's Big5, when that differs from encoding_rs's for one of its
/// characters (programs built on Python's codecs garble with those codes).
fn python_big5(run: &str) -> Option<Vec<u8>> {
    if !run.chars().any(differs_in_python) {
        return None;
    }
    let mut out = Vec::with_capacity(run.len());
    run.chars()
        .all(|c| push_big5_python(c, &mut out))
        .then_some(out)
}

/// `bytes` (a run in a wrong encoding) read in the `right` one, when that is strict, changes
/// the run and gives CJK text.
fn read_as(bytes: Option<&[u8]>, right: &'static Encoding, run: &str) -> Option<String> {
    let fixed = decode_strict(right, bytes?)?;
    (fixed != run && all_cjk(&fixed)).then_some(fixed)
}

/// The Han-to-Han readings: (wrong encoding, right one).
const READINGS: [(&Encoding, &Encoding); 4] =
    [(GBK, UTF_8), (BIG5, UTF_8), (GBK, BIG5), (BIG5, GBK)];

/// What a run of Han characters re-decodes to, judged.
enum Judgement {
    /// The repair, and the index in [`READINGS`] of the reading that gave it.
    Repair(String, usize),
    Unsure,
    No,
}

/// `inside`: the run is a stretch of a longer run whose bytes in the wrong encoding are valid
/// UTF-8 where its neighbours' are not, structural evidence that asks a smaller margin.
fn judge(run: &str, inside: bool) -> Judgement {
    let n = run.chars().count();
    // Structural test first (cheap): the run must re-decode strictly into CJK text.
    // Each wrong encoding's bytes serve two readings.
    let (gbk, big5, big5_python) = (encode(GBK, run), encode(BIG5, run), python_big5(run));
    let mut candidates = Vec::new();
    for (k, &(wrong, right)) in READINGS.iter().enumerate() {
        let tries = if wrong == GBK {
            [gbk.as_deref(), None]
        } else {
            [big5.as_deref(), big5_python.as_deref()]
        };
        for bytes in tries.into_iter().flatten() {
            if let Some(fixed) = read_as(Some(bytes), right, run) {
                candidates.push((fixed, k));
            }
        }
    }
    if candidates.is_empty() {
        return Judgement::No;
    }
    // Clean text forms words: only a run with (almost) none is a suspect.
    let as_is = plausibility(run);
    if as_is > 2.0 * (n as f64).sqrt() {
        return Judgement::No;
    }
    let best = candidates
        .into_iter()
        .map(|(f, k)| (plausibility(&f), f, k))
        .max_by(|a, b| a.0.total_cmp(&b.0));
    let Some((p, fixed, reading)) = best else {
        return Judgement::No;
    };
    // The margin grows as the run shrinks: 4 characters need a lot of words.
    let m = fixed.chars().count().max(2) as f64;
    let needed = if inside { 6.0 } else { 12.0 + 48.0 / m };
    // The gain must come from words the repair forms, not only from the penalty of the run's
    // foreign characters going away (`ヽヾゝゞ々`, Japanese iteration marks quoted in a
    // sentence, re-decode as Big5 into five characters that form no word).
    if p - as_is >= needed && p >= needed / 2.0 {
        Judgement::Repair(fixed, reading)
    } else if p > as_is + 4.0 {
        Judgement::Unsure
    } else {
        Judgement::No
    }
}

/// A garbled stretch inside a run of clean text (`引用一个鏁扮粍鐨勫厓绱狅紝数组`): UTF-8 read as
/// GBK or Big5. The run's bytes in that encoding are searched for the longest stretches that
/// are valid UTF-8 and begin and end on the run's characters (clean text's bytes seldom make
/// more than a character of valid UTF-8); each is judged as a run of its own.
fn garbled_inside(line: &str, s: usize, e: usize, found: &mut Found, decided: &mut Vec<usize>) {
    let run = &line[s..e];
    for enc in [GBK, BIG5] {
        // The run's bytes, and where each character's bytes begin (in bytes and in `run`).
        let mut bytes = Vec::with_capacity(run.len());
        let mut starts: Vec<(usize, usize)> = Vec::new();
        let push = table_encoder(enc);
        let mut ok = true;
        for (i, c) in run.char_indices() {
            starts.push((bytes.len(), i));
            ok &= match push {
                Some(push) => push(c, &mut bytes),
                None => false,
            };
            if !ok {
                break;
            }
        }
        if !ok {
            continue;
        }
        starts.push((bytes.len(), run.len()));
        let mut edits = Vec::new();
        let mut k = 0;
        while k + 1 < starts.len() {
            let from = starts[k].0;
            let valid = match std::str::from_utf8(&bytes[from..]) {
                Ok(_) => bytes.len() - from,
                Err(err) => err.valid_up_to(),
            };
            // The last character boundary inside the valid stretch.
            let mut to = k;
            while to + 1 < starts.len() && starts[to + 1].0 <= from + valid {
                to += 1;
            }
            // The clean characters after a stretch can continue its valid UTF-8 by chance
            // (`证` is D6 A4 in GBK, a valid pair): a few shorter ends are tried too.
            let mut repaired = None;
            for end in (k + MIN_INSIDE..=to).rev().take(4) {
                if (k, end) == (0, starts.len() - 1) {
                    continue;
                }
                let (x, y) = (starts[k].1, starts[end].1);
                if let Judgement::Repair(fixed, reading) = judge(&run[x..y], true) {
                    decided.push(reading);
                    edits.push((s + x, s + y, fixed));
                    repaired = Some(end);
                    break;
                }
            }
            k = repaired.unwrap_or(k + 1);
        }
        if !edits.is_empty() {
            found.edits.extend(edits);
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fix(s: &str) -> String {
        find(s).apply(s)
    }

    fn as_latin1(s: &str) -> String {
        s.bytes().map(|b| b as char).collect()
    }

    /// `text` encoded in `enc` and read back as `read_as` (GBK read as Big5, ...).
    fn misread(text: &str, enc: &'static Encoding, read_as: &'static Encoding) -> String {
        let (bytes, _, bad) = enc.encode(text);
        assert!(!bad);
        let (s, bad) = read_as.decode_without_bom_handling(&bytes);
        assert!(!bad, "{s}");
        s.into_owned()
    }

    #[test]
    fn a_line_garbled_as_a_whole_is_read_one_way_throughout() {
        // GBK read as Big5, words set apart by spaces: once two thirds of the line is decided,
        // the short runs (`按下`, `或`, `时`, `的`) are read the same way.
        let clean = "显示 每个键 按下 或 松开 时 对应的 键盘码. 键盘码 是 内核 分配给 每个 物理 按键 的 数值.";
        let garbled = misread(clean, GBK, BIG5);
        assert_eq!(fix(&garbled), clean);
        // A clean line with one garbled stretch keeps its other runs as they are.
        let line = format!(
            "请按 {} 键开始，或 按 取消 键退出",
            misread("回车", GBK, BIG5)
        );
        let fixed = fix(&line);
        assert!(fixed.ends_with("或 按 取消 键退出"), "{fixed}");
    }

    #[test]
    fn utf8_read_as_latin1_once_and_twice() {
        assert_eq!(
            fix(&format!("title: {}!", as_latin1("中文标题"))),
            "title: 中文标题!"
        );
        assert_eq!(fix(&as_latin1(&as_latin1("中文"))), "中文");
    }

    #[test]
    fn legacy_read_as_latin1() {
        let gbk: String = GBK
            .encode("国家邮政局召开会议")
            .0
            .iter()
            .map(|&b| b as char)
            .collect();
        assert_eq!(fix(&gbk), "国家邮政局召开会议");
    }

    /// `text` encoded in `enc`, each byte read as a Latin-1 character.
    fn legacy_as_latin1(enc: &'static Encoding, text: &str) -> String {
        enc.encode(text).0.iter().map(|&b| b as char).collect()
    }

    #[test]
    fn a_big5_code_whose_trail_byte_is_ascii_ends_a_run() {
        // `，` is A1 41 in Big5: read as Latin-1, `¡A`; trimming the `A` used to leave half a
        // code and no repair.
        for text in ["檔案，", "這樣就可以", "如果"] {
            let moji = legacy_as_latin1(BIG5, text);
            assert!(moji.ends_with(|c: char| c.is_ascii_alphabetic()), "{moji}");
            let line = format!("它首先考備{moji} 修改當前檔案。");
            assert_eq!(fix(&line), format!("它首先考備{text} 修改當前檔案。"));
        }
    }

    #[test]
    fn cjk_punctuation_read_as_latin1_alone() {
        // `。` and `，` are E3 80 82 and EF BC 8C: read as Latin-1, `ã` and `ï¼` with C1
        // controls, as Windows-1252 `ã€‚`.
        for mark in ["。", "，", "）。"] {
            let latin1: String = mark.bytes().map(|b| b as char).collect();
            let line = format!("设置了 systemd.log_level=debug{latin1} 注意");
            assert_eq!(
                fix(&line),
                format!("设置了 systemd.log_level=debug{mark} 注意")
            );
        }
        assert_eq!(fix("使用 nextvalã€‚"), "使用 nextval。");
    }

    #[test]
    fn a_short_run_takes_the_encoding_of_the_lines_decided_runs() {
        let (short, long) = (
            legacy_as_latin1(GBK, "用"),
            legacy_as_latin1(GBK, "术语是想要"),
        );
        let line = format!("选择的形式({short} ICCCM {long}的转换目标)");
        assert_eq!(fix(&line), "选择的形式(用 ICCCM 术语是想要的转换目标)");
        // Alone, two Latin-1 letters prove nothing: left as they are.
        let alone = format!("选择的形式({short} ICCCM 术语是想要的转换目标)");
        assert_eq!(fix(&alone), alone);
        // One Big5 code whose trail byte is ASCII (`¬O` is `是`), beside decided runs.
        let (one, rest) = (
            legacy_as_latin1(BIG5, "是"),
            legacy_as_latin1(BIG5, "都會被認為"),
        );
        assert_eq!(one.chars().filter(|c| !c.is_ascii()).count(), 1);
        assert_eq!(fix(&format!("{rest} {one} 檔名")), "都會被認為 是 檔名");
        assert_eq!(fix(&format!("Café {one}")), format!("Café {one}"));
        // GBK bytes that are also valid UTF-8 of other letters (`Ò»Ð©` is Cyrillic `һЩ` in
        // UTF-8, `一些` in GBK).
        let (some, rest) = (
            legacy_as_latin1(GBK, "一些"),
            legacy_as_latin1(GBK, "磁带设备的启动"),
        );
        assert_eq!(
            fix(&format!("{some} SCSI {rest}")),
            "一些 SCSI 磁带设备的启动"
        );
        // Nor do they when the line's decided runs disagree on the encoding.
        let mixed = format!("{short} {long} {}", legacy_as_latin1(BIG5, "這樣就可以"));
        assert!(fix(&mixed).starts_with(&short));
    }

    #[test]
    fn utf8_read_as_gbk() {
        let moji = GBK
            .decode("国家邮政局召开电视电话会议".as_bytes())
            .0
            .into_owned();
        assert_eq!(fix(&moji), "国家邮政局召开电视电话会议");
    }

    #[test]
    fn a_line_garbled_one_way_is_read_that_way_throughout() {
        assert_eq!(
            fix("涓嶆槸 shell 鍐呭缓鍛戒护锛屾垨者从共享库中加载新的内建命令时出错。"),
            "不是 shell 内建命令，或者从共享库中加载新的内建命令时出错。"
        );
        assert_eq!(
            fix("-u 如果有-c,则按严格的顺序进行检查; 如鏋滄湁-m,鍒欏彧杈撳嚭鐩哥瓑椤哄簭的第一个."),
            "-u 如果有-c,则按严格的顺序进行检查; 如果有-m,则只输出相等顺序的第一个.",
            "a clean character at the start of a stretch stays"
        );
        // Without a decided run the short stretch alone is left.
        assert_eq!(fix("涓嶆槸 shell"), "涓嶆槸 shell");
    }

    #[test]
    fn gbk_read_as_big5_by_python_and_in_words() {
        // Python's Big5 has kana in row C6 (`ゐ` is GBK C6F4 `启`): the second reading.
        assert_eq!(
            fix("蔚彸覂跦擂彶摩紱釬炵苀腔苀數杅擂ㄛ赻雄瓚剿茼絞ゐ雄嗣屾恅璃炵苀潰脤﹝"),
            "将试着根据收集操作系统的统计数据，自动判断应当启动多少文件系统检查。"
        );
        // Words set apart by spaces, judged together; a word with no uncommon character must
        // gain a word's worth among its neighbours, which `苤誹` (小节) and `睿` (和) alone do
        // not, but once two thirds of the line are decided they are read the same way.
        assert_eq!(
            fix("苤誹 蚚懂 課尨 眈壽腔 遠噫曹講 睿 盄坰, 坳蠅腔 俴峈, 桶珋, 蚚楊."),
            "小节 用来 揭示 相关的 环境变量 和 线索, 它们的 行为, 表现, 用法."
        );
    }

    #[test]
    fn utf8_read_as_gbk_inside_clean_text() {
        let gbk = |s: &str| GBK.decode(s.as_bytes()).0.into_owned();
        for (before, garbled, after) in [
            ("这样就很容易与一条", "元组的域计数字相", "区分。"),
            ("在法律允许的范围", "内，不提供任何保", "证。"),
            (
                "标准，这个标准同时规定",
                "了这三个流应当在程序",
                "启动时打开。",
            ),
            ("返回值：", "如果", "为零则出错。"),
        ] {
            let moji = gbk(garbled);
            assert_eq!(moji.chars().count() * 2, garbled.chars().count() * 3);
            let line = format!("{before}{moji}{after}");
            assert_eq!(fix(&line), format!("{before}{garbled}{after}"), "{line}");
        }
        // Clean text with uncommon characters stays; so does a short run that is garbled as a
        // whole (three characters prove too little).
        for same in [
            "濡傛灉 name 不包含点号",
            "蔣經國與嚴家淦在鄞縣、諸暨一帶視察，隨行有龔、譚、滕諸人。",
            "鱻犇骉羴猋，這些字由三個相同的字組成。",
            "他姓禤，名字叫禤靖棋，住在粵北。",
        ] {
            assert_eq!(fix(same), same);
        }
    }

    #[test]
    fn big5_read_as_gbk_and_back() {
        let t = "國家郵政局召開電視電話會議";
        let moji = GBK.decode(&BIG5.encode(t).0).0.into_owned();
        assert_eq!(fix(&moji), t);
    }

    #[test]
    fn clean_text_stays() {
        for s in [
            "國家郵政局召開電視電話會議",
            "国家邮政局召开电视电话会议，强调全系统全行业",
            "Café déjà vu, naïve résumé",
            "Ãœber",
            "中文",
        ] {
            assert_eq!(fix(s), s, "{s}");
        }
    }
}
