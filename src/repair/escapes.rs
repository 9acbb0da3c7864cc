//! `escape`: JSON and URL escapes of Chinese text that were never decoded (`\u4e2d\u6587`,
//! `\\u4e2d`, `%E4%B8%AD%E6%96%87`).
//!
//! **What it detects.** Runs of `\uXXXX` (also with the backslash doubled, as JSON encoded
//! twice leaves it, and surrogate pairs) and runs of `%XX` bytes that are UTF-8, whose
//! characters are all Chinese: Han, CJK punctuation, full-width forms, and inside a run also
//! other non-ASCII characters. A run is decoded when it is glued to Chinese text (a Han
//! character or CJK punctuation right before or after it), or when the line holds no Chinese
//! character of its own and the escapes stand for at least two Han characters: a line that was
//! escaped whole. A run of three or more Han characters is a phrase, not an example: when the
//! line has one, every run on it is decoded, unless the line talks about escapes (names
//! encodings or escaping, quotes a run, or quotes what a run stands for; see `discussion`).
//!
//! **Why it is safe.** Chinese prose does not write its own characters as escapes. A run that
//! stands apart from the Chinese text of its line (`写 \u4e2d\u6587 来表示`) is prose about
//! escapes and stays; so does a `%` run inside a URL (a token holding `://` or starting with
//! `www.`), which is an address, not residue.
//!
//! **Known false positives.** A sentence that glues an escape it explains to Chinese text
//! (`写作\u4e2d`); code in a Chinese comment that escapes Chinese on purpose.

use super::model::{is_chinese, is_han};
use super::{discussion, Found};

/// Whether an escape right beside `c` is glued to Chinese text: a Han character or sentence
/// punctuation (not a quotation mark or bracket, which set a quoted escape apart).
pub(crate) fn glue(c: char) -> bool {
    is_han(c) || matches!(c, '，' | '。' | '、' | '；' | '：' | '！' | '？')
}

/// A run of escapes at `start..end` of the line and what it decodes to.
struct Run {
    start: usize,
    end: usize,
    text: String,
    han: usize,
}

impl Run {
    /// The run at `start..end` decoding to `text`, if that is Chinese: no ASCII, and some
    /// Han character, CJK punctuation or full-width form.
    fn of(start: usize, end: usize, text: String) -> Option<Run> {
        if text.is_empty() || text.chars().any(|c| c.is_ascii()) || !text.chars().any(is_chinese) {
            return None;
        }
        let han = text.chars().filter(|c| is_han(*c)).count();
        Some(Run {
            start,
            end,
            text,
            han,
        })
    }
}

fn hex4(s: &str) -> Option<u16> {
    let h = s.get(..4)?;
    if !h.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u16::from_str_radix(h, 16).ok()
}

/// `\uXXXX` runs (the backslash once or twice).
fn unicode_runs(line: &str) -> Vec<Run> {
    let b = line.as_bytes();
    let mut runs = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'\\' {
            i += 1;
            continue;
        }
        let start = i;
        let mut units = Vec::new();
        let mut j = i;
        loop {
            let slashes = b[j..].iter().take_while(|&&c| c == b'\\').count();
            if !(1..=2).contains(&slashes) || b.get(j + slashes) != Some(&b'u') {
                break;
            }
            let Some(u) = hex4(&line[j + slashes + 1..]) else {
                break;
            };
            units.push(u);
            j += slashes + 5;
        }
        if units.is_empty() {
            i += 1;
            continue;
        }
        let text: Option<String> = char::decode_utf16(units.iter().copied())
            .map(|r| r.ok())
            .collect();
        runs.extend(text.and_then(|t| Run::of(start, j, t)));
        i = j.max(i + 1);
    }
    runs
}

/// `%XX` runs that are UTF-8.
fn percent_runs(line: &str) -> Vec<Run> {
    let b = line.as_bytes();
    let mut runs = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'%' {
            i += 1;
            continue;
        }
        let start = i;
        let mut bytes = Vec::new();
        let mut j = i;
        while b.get(j) == Some(&b'%') {
            let Some(h) = line.get(j + 1..j + 3) else {
                break;
            };
            let Ok(v) = u8::from_str_radix(h, 16) else {
                break;
            };
            if !h.bytes().all(|c| c.is_ascii_hexdigit()) {
                break;
            }
            bytes.push(v);
            j += 3;
        }
        if !in_url(line, start) {
            let text = String::from_utf8(bytes).ok();
            runs.extend(text.and_then(|t| Run::of(start, j, t)));
        }
        i = j.max(i + 1);
    }
    runs
}

/// Whether byte `at` of `line` lies in a URL (its white-space-delimited token holds `://` or
/// starts with `www.`).
fn in_url(line: &str, at: usize) -> bool {
    let from = line[..at]
        .char_indices()
        .rev()
        .find(|(_, c)| c.is_whitespace())
        .map_or(0, |(i, c)| i + c.len_utf8());
    let to = line[at..]
        .find(char::is_whitespace)
        .map_or(line.len(), |i| at + i);
    let token = &line[from..to];
    token.contains("://") || token.starts_with("www.")
}

pub(crate) fn find(line: &str) -> Found {
    let mut found = Found::none();
    let b = line.as_bytes();
    if memchr::memchr2(b'\\', b'%', b).is_none() {
        return found;
    }
    let mut runs = unicode_runs(line);
    runs.extend(percent_runs(line));
    if runs.is_empty() {
        return found;
    }
    // Chinese text of the line itself, outside the runs.
    let own = line.chars().any(is_han);
    let escaped_han: usize = runs.iter().map(|r| r.han).sum();
    // Prose about escapes names its subject or quotes the escape; residue does neither.
    let talks = discussion::about_encodings(line)
        || runs
            .iter()
            .any(|r| discussion::quoted(line, r.start, r.end) || discussion::quotes(line, &r.text));
    let spaced = |c: Option<char>| c.is_some_and(char::is_whitespace);
    let glued = |r: &Run| {
        let before = line[..r.start].chars().next_back();
        let after = line[r.end..].chars().next();
        // Glued to Chinese text on one side and not set off by a space on the other: residue
        // sits inside a sentence; an escape a sentence quotes stands apart (`写成 %E4%B8%AD，`).
        (before.is_some_and(glue) || after.is_some_and(glue)) && !(spaced(before) || spaced(after))
    };
    // A run of three or more Han characters is a phrase, not an example: residue, unless the
    // line talks about escapes. Then the line's other runs are residue too (one text was
    // escaped in pieces: `\u4e0d\u540c\u7684 \u8868\u73b0,`).
    let phrase = !talks && runs.iter().any(|r| r.han >= 3);
    for r in runs {
        if glued(&r) || (!own && escaped_han >= 2) || phrase {
            found.edits.push((r.start, r.end, r.text));
        } else if own {
            found
                .unsure
                .push((r.start, line[r.start..r.end].to_string()));
        }
    }
    found.edits.sort_by_key(|e| e.0);
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
        assert_eq!(fix("\\u4e2d\\u6587"), "中文");
        assert_eq!(fix("前文\\u4e2d\\u6587後文"), "前文中文後文");
        assert_eq!(fix("前文\\\\u4e2d\\\\u6587"), "前文中文");
        assert_eq!(fix("%E4%B8%AD%E6%96%87"), "中文");
        assert_eq!(fix("搜索%E4%B8%AD%E6%96%87结果"), "搜索中文结果");
        assert_eq!(fix("\\u4f7f\\u7528 ls \\u547d\\u4ee4"), "使用 ls 命令");
        assert_eq!(
            fix("会 有 \\u4e0d\\u540c\\u7684 \\u8868\\u73b0, \\u5c3d管 它们"),
            "会 有 不同的 表现, 尽管 它们"
        );
    }

    #[test]
    fn leaves_discussion_urls_and_code() {
        for s in [
            "JSON 字符串里可以写 \\u4e2d\\u6587 来表示“中文”两个字。",
            "转义写作“\\u4e2d\\u6587”即可。",
            "URL 编码后，“中”会写成 %E4%B8%AD 这样。",
            "URL 编码后，“中”会写成 %E4%B8%AD，浏览器里常见。",
            "见 https://zh.wikipedia.org/wiki/%E4%B8%AD%E6%96%87 一文",
            "printf(\"%d%%\\n\", x);",
            "C:\\users\\u0041",
            "\\u0041\\u0042",
            "100%E4 和 %XY",
            "\\u4e2d",
            "ä\u{85}%E4%B8",
            "把「中文」写成 \\u4e2d\\u6587 即可",
            "转义后是 \\u6211\\u4eec\\u7684 这样",
            "地址里的 %E4%B8%AD%E6%96%87%E5%AD%97 就是“中文字”",
        ] {
            assert_eq!(fix(s), s, "{s}");
        }
    }
}
