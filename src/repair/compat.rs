//! `compat_ideograph`: CJK compatibility ideographs (U+F900..U+FAFF, U+2F800..U+2FA1F) to the
//! unified ideographs they duplicate, as Unicode's canonical decomposition (NFC) says, except the
//! twelve in that block that are unified ideographs themselves (such as `﨑`).
//!
//! **Why it is safe.** The characters are canonically equivalent: NFC already treats them as
//! the same; legacy code pages produced them, and search engines fail to match them. The table
//! is the one OpenCC uses for its own normalization (`CJK_Compatibility_Ideographs`).
//!
//! **Known false positives.** Texts that keep compatibility forms on purpose (rare: some
//! Korean-reading-specific forms). `--no-fix compat_ideograph` keeps them.

use super::Found;

pub(crate) fn find(line: &str) -> Found {
    let mut found = Found::none();
    if !crate::convert::has_compat_ideographs(line) {
        return found;
    }
    for (i, c) in line.char_indices() {
        if matches!(c as u32, 0xF900..=0xFAFF | 0x2F800..=0x2FA1F) {
            if let Some(n) = crate::convert::compat_ideograph(c) {
                found.edits.push((i, i + c.len_utf8(), n.to_string()));
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_compatibility_forms_only() {
        assert_eq!(find("\u{F900}").edits, vec![(0, 3, "\u{8C48}".to_string())]);
        assert!(
            find("\u{FA11}").edits.is_empty(),
            "﨑 is a unified ideograph"
        );
        assert!(find("中文").edits.is_empty());
    }
}
