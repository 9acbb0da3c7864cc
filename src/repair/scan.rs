//! The quick scan: one pass over a line that tells which fixes can react to it, so most clean
//! lines skip the fixes altogether. Its definition is spelled out in the tests, beside it.

use super::model;
use crate::text::swar::{has_byte, splat, HIGH};

/// What a quick scan of a line found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Quick {
    /// Nothing any fix reacts to.
    Clean,
    /// Only characters outside the common set (ASCII, GB2312, Big5 level 1, CJK punctuation):
    /// just `mojibake`'s Han-run check can react to the line, and it needs one of those.
    Uncommon,
    /// Only ASCII `, ; : !`, which just `punctuation` reacts to, and nothing uncommon.
    Marks,
    /// Something other fixes react to: `&#` or `&` and a letter (a reference), `\u` or `%E`
    /// (escapes), ASCII `(` or `?` right after a non-ASCII character (where
    /// `pinyin_annotation`, `lost_byte` and `punctuation` look for them), Latin-1 letters, `（`,
    /// U+FFFD, CJK compatibility ideographs, radicals, or runs of `烫`, `屯` or `锟斤拷`; or
    /// marks and uncommon characters together.
    ///
    /// Other ASCII `& ( ) ?` are inert on their own: a `)` or a `(` after ASCII only matters to
    /// `punctuation` on a line that `pinyin_annotation` or `lost_byte` found garbled, and those
    /// need one of the triggers above. Technical text (manual pages: `ls(1)`, `a && b`) is full
    /// of them.
    Suspect,
}

/// Whether eight ASCII bytes (no high bit set) hold one of `! % & ( , : ; ?` (all in 0x21..=0x3F:
/// first that range, no carry crossing a byte as each is below 0x80, then each one) or `\`.
fn stops_in(x: u64) -> bool {
    let at_least = |v: u8| x.wrapping_add(splat(0x80 - v)) & HIGH;
    if at_least(0x21) & !at_least(0x40) == 0 {
        return has_byte(x, b'\\');
    }
    b"!%&(,:;?\\".iter().any(|&v| has_byte(x, v))
}

/// The quick scan: one pass, ASCII eight bytes at a time and other characters one at a time
/// (`b` is UTF-8 from a `str`). Most clean lines are `Clean`, and then no fix needs to look at
/// them.
pub(super) fn quick_scan(b: &[u8]) -> Quick {
    const ASCII: u128 = (1 << b'&') | (1 << b'(') | (1 << b'?') | (1 << b'%') | (1 << b'\\');
    const MARKS: u128 = (1 << b',') | (1 << b';') | (1 << b':') | (1 << b'!');
    let (mut uncommon, mut marks) = (false, false);
    let mut i = 0;
    while i < b.len() {
        let mut c = b[i];
        if c < 0x80 {
            // Most of technical text is ASCII: eight bytes at a time while none of them is
            // non-ASCII or one the scan stops for.
            while let Some(w) = b.get(i..i + 8) {
                let x = u64::from_le_bytes(w.try_into().expect("eight bytes"));
                if x & HIGH != 0 || stops_in(x) {
                    break;
                }
                i += 8;
            }
            match b.get(i) {
                Some(&d) if d < 0x80 => c = d,
                Some(_) => continue,
                None => break,
            }
            let bit = 1u128 << c;
            if (ASCII | MARKS) & bit != 0 {
                if MARKS & bit != 0 {
                    marks = true;
                } else if c == b'&' {
                    // A numeric or named reference.
                    if b.get(i + 1)
                        .is_some_and(|n| *n == b'#' || n.is_ascii_alphabetic())
                    {
                        return Quick::Suspect;
                    }
                } else if c == b'\\' {
                    // `\u` or `\\u`: a JSON escape.
                    let at = i + 1 + usize::from(b.get(i + 1) == Some(&b'\\'));
                    if b.get(at) == Some(&b'u') {
                        return Quick::Suspect;
                    }
                } else if c == b'%' {
                    // `%E`: a percent-escaped byte that starts a CJK character in UTF-8.
                    if matches!(b.get(i + 1), Some(b'E' | b'e')) {
                        return Quick::Suspect;
                    }
                } else if i > 0 && b[i - 1] >= 0x80 {
                    // `(` or `?` after the last byte of a non-ASCII character.
                    return Quick::Suspect;
                }
            }
            i += 1;
            continue;
        }
        // Three bytes (all of CJK) first: one bounds check, no options.
        if let (0xE0..=0xEF, Some(&[c1, c2])) = (c, b.get(i + 1..i + 3)) {
            // The second and third bytes that start a debug-fill run, by lead byte: 烫 E7 83 AB,
            // 屯 E5 B1 AF, 锟 E9 94 9F. A table, not a `match`: this runs for every character.
            const FILL: [u16; 16] = {
                let mut t = [0u16; 16];
                t[0x5] = 0xB1AF;
                t[0x7] = 0x83AB;
                t[0x9] = 0x949F;
                t
            };
            let hit = if c == 0xEF {
                // （ EF BC 88, U+FFFD EF BF BD, U+F900..U+FAFF EF A4..AB xx
                matches!((c1, c2), (0xBC, 0x88) | (0xBF, 0xBD) | (0xA4..=0xAB, _))
            } else if c == 0xE2 {
                // Radicals U+2E80..U+2FDF.
                matches!(c1, 0xBA..=0xBF)
            } else if u16::from_be_bytes([c1, c2]) == FILL[usize::from(c & 0x0f)] {
                let run = match c {
                    0xE7 => "烫烫烫",
                    0xE5 => "屯屯屯",
                    _ => "锟斤拷",
                };
                b[i..].starts_with(run.as_bytes())
            } else {
                false
            };
            if hit {
                return Quick::Suspect;
            }
            if !uncommon {
                let cp = (u32::from(c & 0x0f) << 12)
                    | (u32::from(c1 & 0x3f) << 6)
                    | u32::from(c2 & 0x3f);
                uncommon = model::is_uncommon_cp(cp);
            }
            i += 3;
            continue;
        }
        // Two and four bytes.
        let c1 = b.get(i + 1).copied().unwrap_or(0);
        // Latin-1 letters (UTF-8 or GBK/Big5 read as Latin-1); compatibility ideographs
        // supplement U+2F800... (F0 AF).
        if matches!(c, 0xC2 | 0xC3) || (c == 0xF0 && c1 == 0xAF) {
            return Quick::Suspect;
        }
        let len = if c < 0xE0 { 2 } else { 4 };
        if !uncommon {
            // A four-byte character is outside the BMP: uncommon.
            let cp = (u32::from(c & 0x1f) << 6) | u32::from(c1 & 0x3f);
            uncommon = len == 4 || model::is_uncommon_cp(cp);
        }
        i += len;
    }
    match (marks, uncommon) {
        (true, true) => Quick::Suspect,
        (true, false) => Quick::Marks,
        (false, true) => Quick::Uncommon,
        (false, false) => Quick::Clean,
    }
}

#[cfg(test)]
mod tests {
    use super::{model, quick_scan, Quick};

    /// The quick scan's definition, spelled out with a pass per kind.
    fn quick_scan_plain(s: &str) -> Quick {
        let marks = s.contains([',', ';', ':', '!']);
        let after_non_ascii = |m: char| {
            s.char_indices()
                .any(|(i, c)| c == m && s[..i].chars().next_back().is_some_and(|p| !p.is_ascii()))
        };
        let suspect = s.contains(['（', '\u{FFFD}'])
            || s.contains("&#")
            || s
                .as_bytes()
                .windows(2)
                .any(|w| w[0] == b'&' && w[1].is_ascii_alphabetic())
            || s.contains("\\u")
            || s.contains("%E")
            || s.contains("%e")
            || after_non_ascii('(')
            || after_non_ascii('?')
            || s.chars().any(|c| {
                matches!(c as u32, 0x80..=0xFF | 0xF900..=0xFAFF | 0x2E80..=0x2FFF | 0x2F000..=0x2FFFF)
            })
            || ["烫烫烫", "屯屯屯", "锟斤拷"].iter().any(|p| s.contains(p));
        // The characters `mojibake`'s Han-run check counts as uncommon.
        let uncommon = s.chars().any(model::is_uncommon);
        match (suspect, marks, uncommon) {
            (true, _, _) | (false, true, true) => Quick::Suspect,
            (false, true, false) => Quick::Marks,
            (false, false, true) => Quick::Uncommon,
            (false, false, false) => Quick::Clean,
        }
    }

    #[test]
    fn quick_scan_matches_its_definition() {
        let samples = [
            include_str!("../../samples/convert/news-simplified.txt"),
            include_str!("../../samples/convert/news-traditional-tw.txt"),
            include_str!("../../samples/repair/001-garbled-traditional.txt"),
            include_str!("../../samples/cases/repair.json"),
        ];
        let extra = [
            "烫烫",
            "烫烫烫",
            "x烫烫烫",
            "屯屯屯屯",
            "锟斤",
            "锟斤拷",
            "⾏业",
            "﨑",
            "\u{2F800}",
            "é",
            "�",
            "平常的一行",
            "见 ls(1) 和 a && b 的说明 (可选)?",
            "業(yè)務",
            "中文 (注) 结束",
            "通&#36942;",
            "AT&T 公司",
            "各?。",
            "什么? 好",
            "𠀀字",
            "ÿ",
            "涓枃鐨勬枃瀛楀緢濂",
            "Ωπ與ж",
            "「引號」——《書名》…",
        ];
        let mut seen = [0usize; 4];
        for line in samples.iter().flat_map(|s| s.lines()).chain(extra) {
            let fast = quick_scan(line.as_bytes());
            assert_eq!(fast, quick_scan_plain(line), "{line:?}");
            seen[fast as usize] += 1;
        }
        assert!(seen.iter().all(|&n| n > 5), "{seen:?}");
    }

    proptest::proptest! {
        #[test]
        fn stops_in_finds_exactly_the_stop_bytes(bytes in proptest::array::uniform8(0u8..0x80)) {
            let plain = bytes.iter().any(|b| b"!%&(,:;?\\".contains(b));
            proptest::prop_assert_eq!(super::stops_in(u64::from_le_bytes(bytes)), plain);
        }
    }
}
