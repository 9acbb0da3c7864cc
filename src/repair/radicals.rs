//! `radical`: Kangxi radicals (U+2F00..U+2FD5) and CJK radicals supplement (U+2E80..U+2EF3)
//! standing for ideographs, as PDF text extraction produces them (`⾏业` -> `行业`): fonts share
//! one glyph between a radical and its ideograph, and the PDF maps it to the radical.
//!
//! The mapping is Unicode's `EquivalentUnifiedIdeograph.txt` (data/unicode/), not NFKC: NFKC
//! maps the Kangxi radicals too, but it also folds full-width punctuation and more.
//!
//! **Why it is safe.** A radical is replaced only between Han characters (one on either side is
//! enough), where it cannot be a radical being talked about; a radical standing alone, quoted
//! (`部首「⼈」`) or beside other radicals stays.
//!
//! A radical followed by the very ideograph it stands for (`⽅方法`, `⻅见`: extraction that
//! emits both) is a duplicate, and is dropped.
//!
//! **Known false positives.** A radical written straight after a Han character on purpose
//! (`人字旁⺅`), or before its own ideograph (`部首⼈人`).

use std::collections::HashMap;
use std::sync::OnceLock;

use super::model::is_han;
use super::Found;

fn table() -> &'static HashMap<char, char> {
    static T: OnceLock<HashMap<char, char>> = OnceLock::new();
    T.get_or_init(|| {
        let mut m = HashMap::new();
        for line in include_str!("../../data/unicode/EquivalentUnifiedIdeograph.txt").lines() {
            let data = line.split('#').next().unwrap_or("").trim();
            let Some((range, target)) = data.split_once(';') else {
                continue;
            };
            let Some(to) = u32::from_str_radix(target.trim(), 16)
                .ok()
                .and_then(char::from_u32)
            else {
                continue;
            };
            let (a, b) = match range.trim().split_once("..") {
                Some((a, b)) => (a, b),
                None => (range.trim(), range.trim()),
            };
            let (Ok(a), Ok(b)) = (u32::from_str_radix(a, 16), u32::from_str_radix(b, 16)) else {
                continue;
            };
            for cp in a..=b {
                if let Some(c) = char::from_u32(cp) {
                    m.insert(c, to);
                }
            }
        }
        m
    })
}

fn is_radical(c: char) -> bool {
    matches!(c as u32, 0x2E80..=0x2FDF)
}

pub(crate) fn find(line: &str) -> Found {
    let mut found = Found::none();
    // U+2E80..U+2FDF are E2 BA 80 .. E2 BF 9F in UTF-8.
    let b = line.as_bytes();
    if !memchr::memchr_iter(0xE2, b).any(|i| matches!(b.get(i + 1), Some(0xBA..=0xBF))) {
        return found;
    }
    let chars: Vec<(usize, char)> = line.char_indices().collect();
    for (k, &(i, c)) in chars.iter().enumerate() {
        if !is_radical(c) {
            continue;
        }
        let han = |j: Option<usize>| {
            j.and_then(|j| chars.get(j))
                .is_some_and(|&(_, x)| is_han(x))
        };
        if !(han(k.checked_sub(1)) || han(Some(k + 1))) {
            continue;
        }
        if let Some(&to) = table().get(&c) {
            // PDF extraction that emits the radical and then the ideograph it stands for
            // (`⽅方法`): the radical is the duplicate, and goes.
            let doubled = chars.get(k + 1).is_some_and(|&(_, next)| next == to);
            let replacement = if doubled {
                String::new()
            } else {
                to.to_string()
            };
            found.edits.push((i, i + c.len_utf8(), replacement));
        }
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
    fn radicals_inside_words() {
        assert_eq!(fix("\u{2F8F}业发展"), "行业发展");
        assert_eq!(fix("长\u{2F00}"), "长一");
        assert_eq!(fix("\u{2ED3}期"), "长期");
        // The radical, then the ideograph it stands for: a duplicate.
        assert_eq!(fix("\u{2F45}方法"), "方法");
        assert_eq!(fix("看\u{2EC5}见"), "看见");
    }

    #[test]
    fn radicals_talked_about_stay() {
        for s in [
            "部首「\u{2F08}」",
            "\u{2F00}\u{2F01}\u{2F02}",
            "radical \u{2F08} alone",
        ] {
            assert_eq!(fix(s), s);
        }
    }
}
