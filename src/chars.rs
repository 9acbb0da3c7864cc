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
    fn fast_paths_agree_with_the_ranges_for_every_char() {
        for c in (0..=0x10FFFFu32).filter_map(char::from_u32) {
            assert_eq!(super::is_wide(c), is_wide_plain(c as u32), "{:X}", c as u32);
        }
    }
}
