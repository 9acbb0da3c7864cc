//! Character classes shared by the stages.

/// Whether `c` is East Asian wide (ideographs, kana, hangul, full-width forms, CJK punctuation):
/// it takes two columns, and a line break between two of them is no space (CSS Text 3, 4.1.2).
#[inline]
pub(crate) fn is_wide(c: char) -> bool {
    let u = c as u32;
    // The common cases first: ASCII and Latin, then the main ideograph block.
    if u < 0x1100 {
        return false;
    }
    if (0x4E00..=0x9FFF).contains(&u) {
        return true;
    }
    matches!(u,
        0x1100..=0x115F | 0x2E80..=0x303E | 0x3041..=0x33FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF
        | 0xA000..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF | 0xFE30..=0xFE4F
        | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6 | 0x20000..=0x3FFFD)
}

/// `s.trim()`, without decoding a character when the first and last bytes show that no white
/// space can stand there (the common case: the trim was a tenth of the `reflow` stage's time).
#[inline]
pub(crate) fn trim(s: &str) -> &str {
    match (s.as_bytes().first(), s.as_bytes().last()) {
        (None, _) => s,
        (Some(&first), Some(&last)) if !may_start_space(first) && !may_end_space(last) => s,
        _ => s.trim(),
    }
}

/// Whether `b` can be the first byte of a white space character (`char::is_whitespace`: ASCII
/// tab to carriage return and space, U+0085, U+00A0, U+1680, U+2000-U+205F, U+3000).
#[inline]
fn may_start_space(b: u8) -> bool {
    matches!(b, b'\t'..=b'\r' | b' ' | 0xC2 | 0xE1 | 0xE2 | 0xE3)
}

/// Whether `b` can be the last byte of a white space character (see [`may_start_space`]).
#[inline]
fn may_end_space(b: u8) -> bool {
    matches!(b, b'\t'..=b'\r' | b' ' | 0x80..=0x8A | 0x9F | 0xA0 | 0xA8 | 0xA9 | 0xAF)
}

#[cfg(test)]
mod tests {
    /// The ranges without the fast paths.
    fn is_wide_plain(u: u32) -> bool {
        matches!(u,
            0x1100..=0x115F | 0x2E80..=0x303E | 0x3041..=0x33FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF
            | 0xA000..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF | 0xFE30..=0xFE4F
            | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6 | 0x20000..=0x3FFFD)
    }

    #[test]
    fn trim_agrees_with_str_trim() {
        let spaces: Vec<char> = (0..=0x10FFFFu32)
            .filter_map(char::from_u32)
            .filter(|c| c.is_whitespace())
            .collect();
        // Every white space character, and the characters whose UTF-8 shares a first or last
        // byte with one, at either end.
        let others = [
            'a', '中', '\u{0080}', '\u{00A1}', '\u{3001}', '\u{2010}', '\u{1681}', '\u{FF0C}',
        ];
        for &x in spaces.iter().chain(&others) {
            for &y in spaces.iter().chain(&others) {
                for s in [
                    format!("{x}"),
                    format!("{x}文{y}"),
                    format!("{x}{y}"),
                    format!("文{x}"),
                    format!("{y}文"),
                ] {
                    assert_eq!(super::trim(&s), s.trim(), "{s:?}");
                }
            }
        }
        assert_eq!(super::trim(""), "");
    }

    #[test]
    fn fast_paths_agree_with_the_ranges_for_every_char() {
        for c in (0..=0x10FFFFu32).filter_map(char::from_u32) {
            assert_eq!(super::is_wide(c), is_wide_plain(c as u32), "{:X}", c as u32);
        }
    }
}
