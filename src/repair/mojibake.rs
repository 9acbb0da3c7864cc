//! `mojibake`: text decoded with the wrong encoding and written back, inside otherwise clean text
//! or as whole documents.
//!
//! **What it detects.** Runs of characters that re-encode, in the encoding they were wrongly
//! decoded with, to bytes that decode strictly in another:
//! - UTF-8 read as Latin-1 / Windows-1252 (`ä¸­æ–‡` -> `中文`), also twice (`Ã¤Â¸Â­`);
//! - GBK or Big5 read as Latin-1 (`ÖÐÎÄ` -> `中文`);
//! - UTF-8 read as GBK (`涓枃` -> `中文`) or as Big5;
//! - Big5 read as GBK (`いゅ` -> `中文`) and GBK read as Big5.
//!
//! **Why it is safe.** A repair needs a structural proof (the whole run re-decodes with no error,
//! into Han characters and CJK punctuation only) and, for the Han-to-Han cases where clean text
//! can pass the structural test by chance, a plausibility gain: the repaired run must form
//! common words (jieba's two-character words) where the run as it is forms next to none, with a
//! margin that grows as the run gets shorter; runs of fewer than four characters are not
//! touched there. The Latin-1 cases need no model: Chinese text has no runs of Latin-1 letters
//! whose bytes are valid multi-byte UTF-8 or GBK.
//!
//! **Known false positives.** Latin-1 text that spells valid UTF-8 of CJK characters on purpose.
//! Not repaired (reported only when seen): GBK read as UTF-8 (the bytes are gone, U+FFFD is left;
//! the decoder counts those), `锟斤拷` (see `debug_fill`). Runs where fewer than a quarter of the
//! characters are uncommon (outside GB2312 and Big5 level 1) are not examined.

use encoding_rs::{Encoding, BIG5, GBK, UTF_8, WINDOWS_1252};

use super::model::{is_cjk_punct, is_han, is_uncommon, plausibility};
use super::Found;
use crate::codes::table_encoder;

/// Shortest Han run tried for the Han-to-Han cases.
const MIN_HAN_RUN: usize = 4;

pub(crate) fn find(line: &str) -> Found {
    let mut found = Found::none();
    if line.bytes().any(|b| b == 0xC2 || b == 0xC3) {
        latin_runs(line, &mut found);
    }
    han_runs(line, &mut found);
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
    s.chars()
        .all(|c| is_han(c) || is_cjk_punct(c) || c.is_ascii())
        && s.chars().any(is_han)
}

/// Runs of Latin-1 letters: UTF-8 (once or twice), GBK or Big5 read as Latin-1.
fn latin_runs(line: &str, found: &mut Found) {
    if line.is_ascii() {
        return;
    }
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
        if run.chars().filter(|c| !c.is_ascii()).count() < 2 {
            continue;
        }
        if let Some(fixed) = undo_latin(run) {
            found.edits.push((start, end, fixed));
        }
    }
}

fn undo_latin(run: &str) -> Option<String> {
    let bytes = encode(WINDOWS_1252, run)?;
    if let Some(s) = decode_strict(UTF_8, &bytes) {
        // Twice-encoded UTF-8 decodes to Latin-1 letters again.
        if s.chars().all(|c| is_latin1ish(c) || c.is_ascii()) && s.chars().any(is_latin1ish) {
            return undo_latin(&s).or(None);
        }
        return all_cjk(&s).then_some(s);
    }
    // GBK or Big5 read as Latin-1: both may decode; keep the one with clearly more words.
    let gbk = decode_strict(GBK, &bytes).filter(|s| all_cjk(s));
    let big5 = decode_strict(BIG5, &bytes).filter(|s| all_cjk(s));
    match (gbk, big5) {
        (Some(g), Some(b)) => {
            let (pg, pb) = (plausibility(&g), plausibility(&b));
            if pg > pb + 6.0 {
                Some(g)
            } else if pb > pg + 6.0 {
                Some(b)
            } else {
                None
            }
        }
        (Some(g), None) if g.chars().count() >= 2 => Some(g),
        (None, Some(b)) if b.chars().count() >= 2 => Some(b),
        _ => None,
    }
}

/// Runs of Han characters and CJK punctuation that may be UTF-8 / Big5 / GBK read as GBK or Big5.
fn han_runs(line: &str, found: &mut Found) {
    // One pass, no allocation for clean lines: a run is a maximal stretch of non-ASCII,
    // non-space characters (any of them can come out of a wrong decoding: private-use characters
    // for user-defined areas, Cyrillic and Greek from GBK's symbol rows...), and only runs of
    // four or more where a quarter or more are uncommon characters are examined.
    let mut runs = Vec::new();
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
            if n >= MIN_HAN_RUN && uncommon * 4 >= n {
                runs.push((start, i, n));
            }
            n = 0;
            uncommon = 0;
        }
    }
    for (s0, e0, _) in runs {
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
        // Structural test first (cheap): the run must re-decode strictly into CJK text.
        // Each wrong encoding's bytes serve two readings.
        let (gbk, big5) = (encode(GBK, run), encode(BIG5, run));
        let mut candidates = Vec::new();
        for (bytes, right) in [(&gbk, UTF_8), (&big5, UTF_8), (&gbk, BIG5), (&big5, GBK)] {
            let Some(bytes) = bytes else {
                continue;
            };
            let Some(fixed) = decode_strict(right, bytes) else {
                continue;
            };
            if fixed != run && all_cjk(&fixed) {
                candidates.push(fixed);
            }
        }
        if candidates.is_empty() {
            continue;
        }
        // Clean text forms words: only a run with (almost) none is a suspect.
        let as_is = plausibility(run);
        if as_is > 2.0 * (n as f64).sqrt() {
            continue;
        }
        let best = candidates
            .into_iter()
            .map(|f| (plausibility(&f), f))
            .max_by(|a, b| a.0.total_cmp(&b.0));
        let Some((p, fixed)) = best else { continue };
        // The margin grows as the run shrinks: 4 characters need a lot of words.
        let m = fixed.chars().count().max(2) as f64;
        let needed = 12.0 + 48.0 / m;
        if p - as_is >= needed {
            found.edits.push((s, e, fixed));
        } else if p > as_is + 4.0 {
            found.unsure.push((s, run.chars().take(12).collect()));
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

    #[test]
    fn utf8_read_as_gbk() {
        let moji = GBK
            .decode("国家邮政局召开电视电话会议".as_bytes())
            .0
            .into_owned();
        assert_eq!(fix(&moji), "国家邮政局召开电视电话会议");
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
