//! Letter spacing: the spaces of spaced-out CJK text (see the `reflow` module documentation
//! for the rule).

use std::borrow::Cow;

use crate::text::chars::is_wide;

use super::is_han;

/// Removes the spaces of letter-spaced CJK text (see the module documentation): ASCII spaces
/// between one- or two-character CJK tokens, or ideographic spaces (U+3000) between single
/// characters of any kind (`對　應　S　O　_　A`, as some pages space out a paragraph).
pub fn unspace(line: &str) -> Cow<'_, str> {
    if !line.chars().any(is_han) {
        return Cow::Borrowed(line);
    }
    // One or two CJK characters, or one ASCII character spaced out with them (`T T L 值 。`).
    let ascii = |t: &str| {
        let n = t.chars().count();
        ((1..=2).contains(&n) && t.chars().all(is_wide))
            || (n == 1 && t.chars().all(|c| c.is_ascii_graphic()))
    };
    let ideographic = |t: &str| {
        let mut c = t.chars();
        c.next().is_some_and(|c| !c.is_whitespace()) && c.next().is_none()
    };
    let once = if line.as_bytes().contains(&b' ') {
        unspace_by(line, ' ', ascii)
    } else {
        Cow::Borrowed(line)
    };
    if !once.contains('\u{3000}') {
        return once;
    }
    match unspace_by(&once, '\u{3000}', ideographic) {
        Cow::Owned(twice) => Cow::Owned(twice),
        Cow::Borrowed(_) => once,
    }
}

/// Removes the separators `sep` inside runs of letter-spaced `small` tokens.
fn unspace_by(line: &str, sep: char, small: impl Fn(&str) -> bool) -> Cow<'_, str> {
    let tokens: Vec<&str> = line.split(sep).collect();
    // Which separators (between token i and i + 1) to remove.
    let mut remove = vec![false; tokens.len().saturating_sub(1)];
    let mut i = 0;
    let mut changed = false;
    while i < tokens.len() {
        if !small(tokens[i]) {
            i += 1;
            continue;
        }
        let mut j = i;
        while j + 1 < tokens.len() && small(tokens[j + 1]) {
            j += 1;
        }
        let run = &tokens[i..=j];
        // ASCII tokens ride along; the CJK ones decide.
        let wide = run.iter().filter(|t| t.chars().all(is_wide)).count();
        let wide_singles = run
            .iter()
            .filter(|t| t.chars().count() == 1 && t.chars().all(is_wide))
            .count();
        // Letter spacing puts a space between nearly every character; word-segmented text
        // (`的 完整 的 文档`, older translations) has many two-character words and keeps its
        // spaces. Five single CJK characters in a row and nothing else is letter spacing too
        // (`如果 没 有 设 置 这 其中`: a spaced stretch inside a line).
        let spaced =
            (wide >= 6 && wide_singles * 5 >= wide * 4) || (wide == 5 && wide_singles == 5);
        if spaced {
            for r in &mut remove[i..j] {
                *r = true;
            }
            // The neighbours are part of the spaced-out text when they touch it with CJK.
            if i > 0 && tokens[i - 1].chars().next_back().is_some_and(is_wide) {
                remove[i - 1] = true;
            }
            if j + 1 < tokens.len() && tokens[j + 1].chars().next().is_some_and(is_wide) {
                remove[j] = true;
            }
            changed = true;
        }
        i = j + 1;
    }
    if !changed {
        return Cow::Borrowed(line);
    }
    let mut out = String::with_capacity(line.len());
    for (k, t) in tokens.iter().enumerate() {
        out.push_str(t);
        if k < remove.len() && !remove[k] {
            out.push(sep);
        }
    }
    Cow::Owned(out)
}
