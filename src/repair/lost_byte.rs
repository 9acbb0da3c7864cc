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
//! A decoder that replaces what it cannot read (Python's `errors='replace'`) marks the other
//! end instead: it reads on out of phase until a lead meets a byte that cannot follow it, and
//! prints U+FFFD there (`环境中。` without the first byte of `中` is `环境小�`). Then every
//! start within the window before U+FFFD is tried; see [`repair_before`].
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
        if let Some(edit) = repair_at(line, q, window_start, p2, syllable, &mut found) {
            search_from = edit.1;
            found.edits.push(edit);
        } else if line[q..].starts_with('\u{FFFD}') {
            let from = found.edits.last().map_or(0, |e| e.1);
            if let Some(edit) = repair_before(line, from, q) {
                search_from = edit.1;
                found.edits.push(edit);
            }
        }
    }
    found
}

/// A lost byte whose shift ends at the U+FFFD at `q`: a decoder that replaces what it cannot
/// read (Python's `errors='replace'`) reads on out of phase after the lost byte, pairing each
/// trail byte with the next lead, until an out-of-phase lead meets a byte that cannot follow it
/// (ASCII, a line end): that lead becomes U+FFFD (`环境中。\n` without the first byte of `中`
/// is `环境小�\n`). The characters before U+FFFD, back to the lost byte, are re-encoded and read
/// again one byte later: the character that lost the byte and the one whose trail was replaced
/// are gone (U+FFFD each), every one between comes back. The start is not marked: each start
/// within [`WINDOW`] characters (of two-byte codes only, after `from`) is a candidate; the best
/// must beat the text as it is by the blind margin, and of starts that score alike the one
/// taking fewest characters wins.
fn repair_before(line: &str, from: usize, q: usize) -> Option<(usize, usize, String)> {
    // Two-byte characters before `q`, nearest first.
    let mut back: Vec<(usize, [u8; 2])> = Vec::new();
    for (i, c) in line[from..q].char_indices().rev().take(WINDOW) {
        match gbk_bytes(c) {
            Some(b) if !c.is_ascii() => back.push((from + i, b)),
            _ => break,
        }
    }
    let end = q + '\u{FFFD}'.len_utf8();
    // Every candidate is scored over the same stretch of the line (two characters before the
    // farthest start to two after the U+FFFD), U+FFFD counting as neutral: a start is better
    // only by the words its reading forms.
    let left = back.last()?.0;
    let score = |start: usize, middle: &str| {
        let text = format!("{}{}", &line[left..start], middle);
        let s = around(line, left, &text, end);
        plausibility(&s) + 8.0 * s.matches('\u{FFFD}').count() as f64
    };
    let mut candidates: Vec<(f64, usize, String)> = Vec::new();
    // A start `s` takes `k` characters: bytes B0..B(2k-1); B1B2 ... B(2k-3)B(2k-2) are
    // characters again, B(2k-1) leads the character whose trail was replaced.
    for k in 2..=back.len() {
        let start = back[k - 1].0;
        let bytes: Vec<u8> = back[..k].iter().rev().flat_map(|(_, b)| *b).collect();
        let Some(middle) = decode_gbk_strict(&bytes[1..bytes.len() - 1]) else {
            continue;
        };
        if middle.chars().count() != k - 1 || !middle.chars().all(|c| is_han(c) || is_cjk_punct(c))
        {
            continue;
        }
        let fixed = format!("\u{FFFD}{middle}\u{FFFD}");
        candidates.push((score(start, &fixed), start, fixed));
    }
    // Best first; of equal ones, the one that takes fewest characters.
    candidates.sort_by(|a, b| b.0.total_cmp(&a.0).then(b.1.cmp(&a.1)));
    let best = candidates.first()?;
    let as_is = score(end, "");
    if best.0 - as_is < MARGIN_BLIND {
        return None;
    }
    // UTF-8 read as GBK leaves U+FFFD too, and its runs can re-read one byte later into words
    // by chance: when the `lossy_mojibake` fix (which runs later) reads the stretch, it is left
    // to it.
    let lossy = super::lossy::find(line);
    if lossy.edits.iter().any(|e| e.0 < end && e.1 > best.1) {
        return None;
    }
    Some((best.1, end, best.2.clone()))
}

/// `middle` with two characters of the line on each side (`line[..start]`, `line[end..]`), for
/// scoring a candidate.
fn around(line: &str, start: usize, middle: &str, end: usize) -> String {
    let mut before: Vec<char> = line[..start].chars().rev().take(2).collect();
    before.reverse();
    let before: String = before.into_iter().collect();
    let after: String = line[end..].chars().take(2).collect();
    format!("{before}{middle}{after}")
}

fn repair_at(
    line: &str,
    q: usize,
    window_start: usize,
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
            let score = plausibility(&around(line, q, &decoded, text_end));
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
    let as_is = plausibility(&around(line, q, &line[q..best.1], best.1));
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
    fn shift_that_ends_in_a_replacement_character() {
        // GBK without one byte, read with replacement: the shift runs until U+FFFD.
        for (garbled, fixed) in [
            (
                "配置文件由几鲂〗谧槌桑\u{FFFD}每个小节详细地描述程序的一种行为。",
                "配置文件由几\u{FFFD}小节组成\u{FFFD}每个小节详细地描述程序的一种行为。",
            ),
            (
                "配置文件由几感〗谧槌桑\u{FFFD}每个小节详细地描述程序的一种行为。",
                "配置文件由几\u{FFFD}小节组成\u{FFFD}每个小节详细地描述程序的一种行为。",
            ),
            (
                "请不要在同一瞿柯贾写娣胖馗吹奈募\u{FFFD}名称。",
                "请不要在同一\u{FFFD}目录中存放重复的文\u{FFFD}名称。",
            ),
        ] {
            assert_eq!(fix(garbled), fixed);
        }
        for clean in [
            "解码失败的地方会留下\u{FFFD}，这是正常的。",
            "他说：“你好吗\u{FFFD}”",
            "这一行的结尾是替换字符\u{FFFD}",
        ] {
            assert_eq!(fix(clean), clean);
        }
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
