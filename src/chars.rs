//! Character classes shared by the stages.

/// Whether `c` is East Asian wide (ideographs, kana, hangul, full-width forms, CJK punctuation):
/// it takes two columns, and a line break between two of them is no space (CSS Text 3, 4.1.2).
pub(crate) fn is_wide(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x115F | 0x2E80..=0x303E | 0x3041..=0x33FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF
        | 0xA000..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF | 0xFE30..=0xFE4F
        | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6 | 0x20000..=0x3FFFD)
}
