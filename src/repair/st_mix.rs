//! `st_mix`: Traditional text converted from Simplified one character at a time, where a
//! character with several Traditional forms got the default one (`頭發` for 头发 -> `頭髮`,
//! `皇後` for 皇后 -> `皇后`).
//!
//! **What it detects.** In a line of Traditional text (Traditional-only characters and no
//! Simplified-only ones), we convert to Simplified and back with OpenCC's phrase tables
//! (t2s, then s2t). A character is changed only when all of these hold:
//! - its Simplified form has several Traditional forms in OpenCC's character table;
//! - the character in the text is the first (default) one, the one a naive converter picks;
//! - the round trip picks another of those forms, which only a phrase entry can make it do, and
//!   the round trip through the Taiwan standard (s2tw) picks the same one;
//! - the character as it stands is not part of another phrase of the table (`從頭發起`: OpenCC's
//!   longest match reads 頭髮, but 發起 is a word too, so nothing is changed).
//!
//! **Why it is safe.** Everything else the round trip would change (the third of clean
//! Traditional paragraphs that an OpenCC round trip alters: variants, regional forms) is
//! ignored; only "default form where a phrase says otherwise" is acted on.
//!
//! **Known false positives.** OpenCC's longest-match phrase choices are sometimes wrong
//! (`字元後填充` -> `字元后填充`, `一個中斷` -> `一箇中斷`, `進位制` -> `進位製`): this fix is
//! optional (`--fix st_mix`), see [`super::OPTIONAL`].

use std::collections::HashMap;
use std::sync::OnceLock;

use super::model::st_characters;
use super::Found;
use crate::convert::{Config, Converter, ScriptCounts};

/// Simplified character -> its Traditional forms, default first (OpenCC's STCharacters).
fn alternatives() -> &'static HashMap<char, Vec<char>> {
    static ALT: OnceLock<HashMap<char, Vec<char>>> = OnceLock::new();
    ALT.get_or_init(|| {
        st_characters()
            .filter(|(_, forms)| forms.len() > 1)
            .collect()
    })
}

/// Every Traditional phrase of OpenCC's phrase table (the values of STPhrases).
fn traditional_phrases() -> &'static std::collections::HashSet<String> {
    static P: OnceLock<std::collections::HashSet<String>> = OnceLock::new();
    P.get_or_init(|| {
        crate::convert::builtin_dict_text("STPhrases")
            .lines()
            .filter_map(|l| l.split_once('\t'))
            .flat_map(|(_, vs)| vs.split(' ').map(str::to_string))
            .collect()
    })
}

/// Whether the default form at `k` also makes a word as it stands (`發起` in `從頭發起`): then
/// the text may well be right, and OpenCC's longest-match choice is no proof.
fn makes_a_word_as_is(l: &[(usize, char)], k: usize) -> bool {
    let phrases = traditional_phrases();
    let mut w = String::new();
    for start in k.saturating_sub(3)..=k {
        for end in (k + 1)..=(k + 4).min(l.len()) {
            if end - start < 2 {
                continue;
            }
            w.clear();
            w.extend(l[start..end].iter().map(|&(_, c)| c));
            if phrases.contains(&w) {
                return true;
            }
        }
    }
    false
}

pub(crate) fn find(line: &str) -> Found {
    let mut found = Found::none();
    let mut counts = ScriptCounts::default();
    counts.add(line);
    if counts.traditional == 0 || counts.simplified > 0 {
        return found;
    }
    let simplified = Converter::new(Config::T2s).convert(line);
    let back = Converter::new(Config::S2t).convert(&simplified);
    if back == line {
        return found;
    }
    // The Taiwan standard must agree: OpenCC standard prefers variants (纔, 覈, 箇) that clean
    // Taiwan text does not use, and those are no naive-conversion error.
    let back_tw = Converter::new(Config::S2tw).convert(&simplified);
    let l: Vec<(usize, char)> = line.char_indices().collect();
    let s: Vec<char> = simplified.chars().collect();
    let b: Vec<char> = back.chars().collect();
    let t: Vec<char> = back_tw.chars().collect();
    if l.len() != s.len() || l.len() != b.len() || l.len() != t.len() {
        return found;
    }
    let alts = alternatives();
    for k in 0..l.len() {
        let (i, c) = l[k];
        if b[k] == c || t[k] != b[k] {
            continue;
        }
        let Some(forms) = alts.get(&s[k]) else {
            continue;
        };
        if forms[0] == c && forms[1..].contains(&b[k]) && !makes_a_word_as_is(&l, k) {
            found.edits.push((i, i + c.len_utf8(), b[k].to_string()));
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
    fn naive_defaults_inside_phrases() {
        assert_eq!(fix("她的頭發很長"), "她的頭髮很長");
        assert_eq!(fix("皇後和國王"), "皇后和國王");
    }

    #[test]
    fn clean_traditional_stays() {
        for s in [
            "從頭發起進攻",
            "她的頭髮很長",
            "乾燥的天氣",
            "皇后和國王",
            "头发",
            "Hello",
        ] {
            assert_eq!(fix(s), s, "{s}");
        }
    }
}
