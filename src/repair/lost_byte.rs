//! `lost_byte`: lost-byte frame shifts of GBK text.
//!
//! **What it detects.** When a byte of a GBK double-byte character is lost (or swallowed with an
//! inserted `(`), a legacy decoder prints `?` and then decodes out of phase, pairing each trail
//! byte with the next lead byte, until an ASCII byte puts it back in step: `各省（區` becomes
//! `各?。▍^`. When the byte was swallowed together with the `(` of a pinyin annotation, the
//! annotation's reading is left behind: `變為“長久` becomes `變?yōu)椤伴L久` (the annotated byte pair
//! straddled two characters: 83 9E is `優`, read yōu).
//!
//! **How it repairs.** The text after `?` is re-encoded to GBK; for each possible lost byte,
//! the bytes are decoded again from the lost byte on, up to the first point where the decoding
//! falls back in step. With a phantom annotation, the lost byte must form, with the trail byte
//! of the character before `?`, a character read as the annotation says: a checksum that
//! usually leaves one candidate. Without one, every lead byte is a candidate.
//!
//! **Why it is safe.** Every candidate, and the text as it is, are scored by how common their
//! character pairs are as words (jieba's dictionary): a repair is made only when the best
//! candidate beats both the unchanged text and the second candidate by a clear margin (8 bits,
//! 10 without a checksum: a pair about a thousand times more common). A real question mark after
//! Chinese (`你好?我很好`) scores best as it
//! is, because re-decoding clean text out of phase yields no words.
//!
//! **Known false positives.** None seen on the clean-text corpus; a short line with `?` followed
//! by rare characters could in principle be rewritten if a candidate happens to form words.

use super::model::{decode_gbk_strict, gbk_bytes, is_cjk_punct, is_han, plausibility};
use super::pinyin::is_reading;
use super::Found;
use crate::text::codes::push_gbk;

/// How many characters after `?` are re-decoded at most.
const WINDOW: usize = 24;
/// Required lead of the best candidate, in bits of word frequency.
const MARGIN_CHECKSUM: f64 = 8.0;
const MARGIN_BLIND: f64 = 10.0;

pub(crate) fn find(line: &str) -> Found {
    let mut found = Found::none();
    if memchr::memchr(b'?', line.as_bytes()).is_none() && !line.contains('\u{FFFD}') {
        return found;
    }
    let mut search_from = 0;
    while let Some(off) = line[search_from..].find(['?', '\u{FFFD}']) {
        let q = search_from + off;
        let qlen = line[q..].chars().next().unwrap().len_utf8();
        search_from = q + qlen;
        let Some(prev) = line[..q].chars().next_back() else {
            continue;
        };
        let Some([_, p2]) = gbk_bytes(prev) else {
            continue;
        };
        if !is_han(prev) && !is_cjk_punct(prev) {
            continue;
        }
        let after = &line[q + qlen..];
        // A phantom annotation: `syllable)` right after the `?` (its `(` was swallowed).
        let annotation = (after.char_indices().take(8))
            .find_map(|(j, c)| (c == ')').then_some(j))
            .filter(|&j| {
                let s = &after[..j];
                (1..=7).contains(&s.chars().count())
                    && s.chars()
                        .all(|c| c.is_ascii_lowercase() || "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü".contains(c))
            });
        let (window_start, syllable) = match annotation {
            Some(j) => (q + qlen + j + 1, Some(&after[..j])),
            None => (q + qlen, None),
        };
        if let Some(edit) = repair_at(line, q, window_start, prev, p2, syllable, &mut found) {
            search_from = edit.1;
            found.edits.push(edit);
        }
    }
    found
}

fn repair_at(
    line: &str,
    q: usize,
    window_start: usize,
    prev: char,
    p2: u8,
    syllable: Option<&str>,
    found: &mut Found,
) -> Option<(usize, usize, String)> {
    // The window: GBK-encodable characters after the annotation, up to the end of the line.
    let mut ends = Vec::new();
    let mut bytes = Vec::new();
    for (i, c) in line[window_start..].char_indices().take(WINDOW) {
        if c == '\n' || c == '\r' {
            break;
        }
        if !push_gbk(c, &mut bytes) {
            break;
        }
        ends.push((window_start + i + c.len_utf8(), bytes.len()));
    }
    if ends.is_empty() {
        return None;
    }
    // Without a checksum, insist on the trace a resynchronising decoder leaves: an ASCII letter
    // or symbol (a former trail byte, 0x40..0x7E) right beside a non-ASCII character.
    if syllable.is_none() {
        let w: Vec<char> = line[window_start..].chars().take(WINDOW).collect();
        let trace = w.iter().enumerate().any(|(i, c)| {
            (0x40..=0x7E).contains(&(*c as u32))
                && (i
                    .checked_sub(1)
                    .and_then(|j| w.get(j))
                    .is_some_and(|p| !p.is_ascii())
                    || w.get(i + 1).is_some_and(|n| !n.is_ascii()))
        });
        if !trace {
            return None;
        }
    }
    let leads: Vec<u8> = match syllable {
        Some(s) => (0x40..=0xFEu8)
            .filter(|&l| {
                decode_gbk_strict(&[p2, l])
                    .and_then(|t| t.chars().next())
                    .is_some_and(|c| is_reading(c, s))
            })
            .collect(),
        None => (0x81..=0xFEu8).collect(),
    };
    // Each candidate: the shortest window prefix that re-decodes cleanly after the lost byte.
    // Walking GBK's byte structure from the lost byte finds where the decoding falls back in
    // step (a character boundary of the window), so only that prefix is decoded.
    let mut candidates: Vec<(f64, usize, String)> = Vec::new();
    let mut b = Vec::with_capacity(bytes.len() + 1);
    for l in leads {
        b.clear();
        b.push(l);
        b.extend_from_slice(&bytes);
        let Some(&(text_end, byte_end)) = resync(&b, &ends) else {
            continue;
        };
        let Some(decoded) = decode_gbk_strict(&b[..byte_end + 1]) else {
            continue;
        };
        if decoded.chars().all(|c| is_han(c) || is_cjk_punct(c)) {
            let score = plausibility(&context(line, q, &decoded, text_end, prev));
            candidates.push((score, text_end, decoded));
        }
    }
    if candidates.is_empty() {
        found.unsure.push((q, excerpt(line, q)));
        return None;
    }
    candidates.sort_by(|a, b| b.0.total_cmp(&a.0));

    let best = &candidates[0];
    let second = candidates.get(1).map_or(f64::NEG_INFINITY, |c| c.0);
    let as_is = plausibility(&context(line, q, &line[q..best.1], best.1, prev));
    let margin = if syllable.is_some() {
        MARGIN_CHECKSUM
    } else {
        MARGIN_BLIND
    };
    if best.0 - second.max(as_is) >= margin {
        Some((q, best.1, best.2.clone()))
    } else {
        if syllable.is_some() || best.0 > as_is {
            found.unsure.push((q, excerpt(line, q)));
        }
        None
    }
}

/// The first window boundary `(text_end, byte_end)` that GBK's structure reaches when reading
/// `b` (lost byte first, so window byte `i` is `b[i + 1]`) from its start.
fn resync<'a>(b: &[u8], ends: &'a [(usize, usize)]) -> Option<&'a (usize, usize)> {
    let mut pos = 0;
    let mut k = 0;
    while pos < b.len() {
        let step = match b[pos] {
            0x00..=0x7F => 1,
            _ if b.get(pos + 1).is_some_and(|x| (0x30..=0x39).contains(x)) => 4,
            _ => 2,
        };
        pos += step;
        // `pos` bytes of `b` read: `pos - 1` bytes of the window.
        while k < ends.len() && ends[k].1 < pos - 1 {
            k += 1;
        }
        if k < ends.len() && ends[k].1 == pos - 1 {
            return Some(&ends[k]);
        }
    }
    None
}

/// The candidate with two characters of context on each side, for scoring.
fn context(line: &str, q: usize, middle: &str, end: usize, prev: char) -> String {
    let before: String = {
        let mut v: Vec<char> = line[..q].chars().rev().take(2).collect();
        v.reverse();
        v.into_iter().collect()
    };
    debug_assert!(before.ends_with(prev));
    let after: String = line[end..].chars().take(2).collect();
    format!("{before}{middle}{after}")
}

fn excerpt(line: &str, at: usize) -> String {
    line[at..].chars().take(12).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fix(s: &str) -> String {
        find(s).apply(s)
    }

    #[test]
    fn phantom_annotations_are_checksums() {
        assert_eq!(fix("變?yōu)椤伴L久的"), "變為“長久的");
        assert_eq!(fix("格式?jīng)]有"), "格式沒有");
    }

    #[test]
    fn lost_lead_byte_without_annotation() {
        assert_eq!(
            fix("會議;各?。▍^(qū)、市)郵政管理局"),
            "會議;各省（區(qū)、市)郵政管理局"
        );
    }

    #[test]
    fn real_question_marks_stay() {
        for s in [
            "你好?我很好",
            "真的?",
            "為什麼?因為下雨了",
            "什么?",
            "A?B",
            "是否成功?是的。",
        ] {
            assert_eq!(fix(s), s, "{s}");
        }
    }
}
