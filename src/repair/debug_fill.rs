//! `debug_fill`: runs of `烫` or `屯` left by debug builds (MSVC fills uninitialised stack with
//! 0xCC and heap with 0xCD; read as GBK, `CC CC` is `烫` and `CD CD` is `屯`).
//!
//! **What it detects.** Three or more `烫` (or `屯`) in a row: removed. `锟斤拷` (the UTF-8 bytes
//! of U+FFFD read as GBK and written back) is unrepairable, so it is only reported, as unsure.
//!
//! **Why it is safe.** `烫` and `屯` are ordinary characters, but no word repeats either three
//! times.
//!
//! A run in quotation marks (`显示成“烫烫烫”`) is what a sentence talks about: left, as unsure.
//!
//! **Known false positives.** Onomatopoeia or wordplay repeating `烫` three times (`烫烫烫！`).

use super::Found;

fn opening(c: char) -> bool {
    matches!(c, '“' | '「' | '『' | '‘' | '"' | '\'' | '《' | '（' | '(')
}

fn closing(c: char) -> bool {
    matches!(c, '”' | '」' | '』' | '’' | '"' | '\'' | '》' | '）' | ')')
}

pub(crate) fn find(line: &str) -> Found {
    let mut found = Found::none();
    let b = line.as_bytes();
    let has = |pat: &str| memchr::memmem::find(b, pat.as_bytes()).is_some();
    if !has("烫烫烫") && !has("屯屯屯") && !has("锟斤拷") {
        return found;
    }
    let mut run: Option<(usize, char, usize)> = None;
    let flush = |run: Option<(usize, char, usize)>, end: usize, found: &mut Found| {
        if let Some((start, _, n)) = run {
            if n >= 3 {
                // Quoted, the run is what a sentence talks about (`显示成“烫烫烫”`).
                let before = line[..start].chars().next_back();
                let after = line[end..].chars().next();
                if before.is_some_and(opening) && after.is_some_and(closing) {
                    found.unsure.push((start, line[start..end].to_string()));
                } else {
                    found.edits.push((start, end, String::new()));
                }
            }
        }
    };
    for (i, c) in line.char_indices() {
        match run {
            Some((_, r, ref mut n)) if r == c => *n += 1,
            _ => {
                flush(run, i, &mut found);
                run = (c == '烫' || c == '屯').then_some((i, c, 1));
            }
        }
    }
    flush(run, line.len(), &mut found);
    let mut from = 0;
    while let Some(off) = line[from..].find("锟斤拷") {
        found.unsure.push((
            from + off,
            "锟斤拷 (U+FFFD read as GBK): unrepairable".into(),
        ));
        from += off + "锟斤拷".len();
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removes_fill_runs_only() {
        assert_eq!(find("输出烫烫烫烫结束").edits, vec![(6, 18, String::new())]);
        assert_eq!(find("屯屯屯").edits.len(), 1);
        assert!(find("很烫").edits.is_empty());
        assert!(find("烫烫的").edits.is_empty());
        assert_eq!(find("锟斤拷锟斤拷").unsure.len(), 2);
        // Quoted: a sentence about the fill.
        let quoted = find("在 GBK 下显示成“烫烫烫”。");
        assert!(quoted.edits.is_empty() && quoted.unsure.len() == 1);
    }
}
