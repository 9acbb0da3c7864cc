//! `html_entity`: HTML character references left in plain text (`通&#36942;`, `&nbsp;`).
//!
//! **What it detects.** Forms that could only store GB2312 posted other characters as numeric
//! references. We decode `&#NNNN;` and `&#xHHHH;` when the character is Han or CJK punctuation,
//! and, on a line that has such a reference, the common named references too (`&nbsp; &amp; &lt;
//! &gt; &quot; &ldquo; &rdquo; &lsquo; &rsquo; &hellip; &mdash; &ndash; &middot; &emsp; &ensp;`),
//! in lines that hold Han characters and no markup (`<` followed by a letter or `/`).
//!
//! **Why it is safe.** Chinese prose does not contain these sequences; HTML source (with tags)
//! is left to the `html` stage.
//!
//! **Known false positives.** Chinese prose that writes about numeric references themselves
//! (`&#36942; 是「過」`), when it has no tags on the line. Named references alone are left in
//! place (technical text quotes them: the clean-text test has such lines), so residue without a
//! numeric reference on its line survives.

use super::model::{is_cjk_punct, is_han};
use super::Found;

const NAMED: &[(&str, char)] = &[
    ("nbsp", '\u{A0}'),
    ("amp", '&'),
    ("lt", '<'),
    ("gt", '>'),
    ("quot", '"'),
    ("ldquo", '“'),
    ("rdquo", '”'),
    ("lsquo", '‘'),
    ("rsquo", '’'),
    ("hellip", '…'),
    ("mdash", '—'),
    ("ndash", '–'),
    ("middot", '·'),
    ("emsp", '\u{2003}'),
    ("ensp", '\u{2002}'),
];

pub(crate) fn find(line: &str) -> Found {
    let mut found = Found::none();
    if !line.contains('&') || !line.chars().any(is_han) {
        return found;
    }
    let b = line.as_bytes();
    if b.windows(2)
        .any(|w| w[0] == b'<' && (w[1].is_ascii_alphabetic() || w[1] == b'/'))
    {
        return found;
    }
    // Named references only count on a line that also has a numeric reference to a Han
    // character (the form-posting signature): technical text quotes `&lt;` and `&amp;`.
    let mut numeric_han = false;
    let mut named = Vec::new();
    let mut i = 0;
    while let Some(off) = line[i..].find('&') {
        let start = i + off;
        i = start + 1;
        let Some(len) = line[start..].find(';').filter(|&l| l <= 10) else {
            continue;
        };
        let body = &line[start + 1..start + len];
        let decoded = if let Some(num) = body.strip_prefix('#') {
            let value = match num.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok(),
                None => num.parse::<u32>().ok(),
            };
            value
                .and_then(char::from_u32)
                .filter(|c| is_han(*c) || is_cjk_punct(*c))
        } else {
            if let Some((_, c)) = NAMED.iter().find(|(n, _)| *n == body) {
                named.push((start, start + len + 1, c.to_string()));
            }
            None
        };
        if let Some(c) = decoded {
            numeric_han = true;
            found.edits.push((start, start + len + 1, c.to_string()));
            i = start + len + 1;
        }
    }
    if numeric_han {
        found.edits.extend(named);
        found.edits.sort_by_key(|e| e.0);
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fix(s: &str) -> String {
        find(s).apply(s)
    }

    #[test]
    fn decodes_residue() {
        assert_eq!(fix("通&#36942;審查"), "通過審查");
        assert_eq!(fix("通&#x904E;審查"), "通過審查");
        assert_eq!(
            fix("通&#36942;&nbsp;空格&ldquo;引號&rdquo;"),
            "通過\u{A0}空格“引號”"
        );
        assert_eq!(
            fix("中文&nbsp;空格"),
            "中文&nbsp;空格",
            "named alone: unsure"
        );
    }

    #[test]
    fn leaves_markup_ascii_and_latin() {
        for s in [
            "<p>中文&#36942;</p>",
            "AT&T",
            "a &amp; b",
            "中文&#65;",
            "中文 & 英文",
            "中文&unknown;",
            "記數法e&#177;zz",
        ] {
            assert_eq!(fix(s), s, "{s}");
        }
    }
}
