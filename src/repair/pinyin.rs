//! `pinyin_annotation`: pinyin readings glued after characters, `業(yè)務` -> `業務`.
//!
//! **What it detects.** Software that worked on the GBK bytes of Traditional text inserted
//! `(reading)` after characters outside GB2312. We remove `(syllable)` or `（syllable）` right
//! after a Han character when all of these hold:
//! - the syllable is lowercase pinyin (tone marks, or a tone number at the end: `ye4`);
//! - it is one of the character's readings (all heteronyms, from the `pinyin` crate's data);
//! - the character is outside GB2312 (the garbling never annotates GB2312 characters, so `行(háng)`
//!   in a text explaining readings stays), or, on a line with two or more such glosses and none
//!   on a common character, a Simplified character whose Traditional forms are all outside
//!   GB2312 (`快递业(yè)务(wù)`: garbled Traditional text converted to Simplified afterwards);
//! - the line is not teaching material: when half or more of the line's Han characters carry a
//!   reading and some of them are GB2312 characters (garbling never glosses those), when one
//!   character is given two different readings (`樂(yuè)器與快樂(lè)`), or when the line names
//!   readings (`讀音`, `多音字`, `拼音`; see `discussion`) beside at most three glosses, every
//!   annotation is deliberate and the line is left alone (reported as unsure).
//!
//! **Why it is safe.** A deliberate gloss is a word (`北京(Běijīng)`), capitalised, or on a
//! GB2312 character; an accidental match needs a Traditional-only character followed by exactly
//! one of its own readings in parentheses.
//!
//! **Known false positives.** A text that glosses a single Traditional-only character with its
//! reading in lowercase, on a line where fewer than half the characters are glossed.

use std::collections::HashSet;
use std::sync::OnceLock;

use pinyin::ToPinyinMulti;

use super::model::{in_gb2312, is_han, st_characters};
use super::{discussion, Found};

/// A candidate annotation: byte range of the parentheses and the character before them.
struct Candidate<'a> {
    start: usize,
    end: usize,
    ch: char,
    syllable: &'a str,
}

/// `traditional_output`: the text will be converted to Traditional characters, so a gloss on
/// a character whose Traditional forms are all outside GB2312 is judged as on those forms.
pub(crate) fn find(line: &str, traditional_output: bool) -> Found {
    let mut found = Found::none();
    if !line.contains('(') && !line.contains('（') {
        return found;
    }
    let candidates = candidates(line);
    if candidates.is_empty() {
        return found;
    }
    let matching: Vec<&Candidate> = candidates
        .iter()
        .filter(|c| is_reading(c.ch, c.syllable))
        .collect();
    // At most twice as many Han characters as readings (counted only that far).
    let teaching = || {
        line.chars()
            .filter(|c| is_han(*c))
            .nth(2 * matching.len())
            .is_none()
    };
    // One character given two different readings is a lesson in them, and so is a line that
    // names readings (`讀音`, `多音字`): garbling glues one reading per character and says nothing.
    let two_readings = matching.iter().any(|a| {
        matching
            .iter()
            .any(|b| a.ch == b.ch && a.syllable != b.syllable)
    });
    // A lesson that names readings quotes a few glosses; a line with many is judged by their
    // density below (and the word lists are not searched on every line of a garbled page).
    let names_readings = || matching.len() <= 3 && discussion::about_readings(line);
    if !matching.is_empty() && (two_readings || names_readings()) {
        found.unsure.push((
            matching[0].start,
            "a line about readings: readings left in place".into(),
        ));
        return found;
    }
    // Garbling glosses only characters outside GB2312 (or, in text converted to Simplified
    // afterwards, characters whose Traditional forms are outside it); a lesson glosses common
    // ones too.
    // A character as it will be written.
    let outside = |c: char| !in_gb2312(c) || (traditional_output && traditional_outside_gb2312(c));
    let converted = matching
        .iter()
        .filter(|c| !outside(c.ch) && traditional_outside_gb2312(c.ch))
        .count();
    let glosses_common = matching
        .iter()
        .any(|c| !outside(c.ch) && !traditional_outside_gb2312(c.ch));
    if matching.len() >= 3 && glosses_common && teaching() {
        found.unsure.push((
            matching[0].start,
            "teaching material: readings left in place".into(),
        ));
        return found;
    }
    for c in matching {
        // Converted glosses need company: two or more, and no gloss on a common character
        // (`快递业(yè)务(wù)旺季`, not a single `乐(yuè)器`).
        let converted_garbling = converted >= 2 && !glosses_common;
        if outside(c.ch) || (converted_garbling && traditional_outside_gb2312(c.ch)) {
            found.edits.push((c.start, c.end, String::new()));
        }
    }
    found
}

/// Whether `c` is a Simplified character whose Traditional forms (OpenCC's STCharacters) all
/// differ from it and lie outside GB2312 (`业` -> `業`): the garbling glosses those forms, and
/// the gloss stays when the text is converted to Simplified.
fn traditional_outside_gb2312(c: char) -> bool {
    static SET: OnceLock<HashSet<char>> = OnceLock::new();
    SET.get_or_init(|| {
        st_characters()
            .filter(|(k, forms)| {
                !forms.is_empty() && forms.iter().all(|&f| f != *k && !in_gb2312(f))
            })
            .map(|(k, _)| k)
            .collect()
    })
    .contains(&c)
}

/// `(syllable)` groups right after a Han character.
fn candidates(line: &str) -> Vec<Candidate<'_>> {
    let mut out = Vec::new();
    // `(` is 28, `（` is EF BC 88: jump from one to the next.
    for i in memchr::memchr2_iter(b'(', 0xEF, line.as_bytes()) {
        let rest = &line[i..];
        let (open, close) = if rest.starts_with('(') {
            ('(', ')')
        } else if rest.starts_with('（') {
            ('（', '）')
        } else {
            continue;
        };
        let Some(ch) = line[..i].chars().next_back().filter(|&c| is_han(c)) else {
            continue;
        };
        let rest = &rest[open.len_utf8()..];
        // A syllable has at most seven characters: look no further for its end (a line full of
        // unclosed brackets would otherwise be read again from each one).
        let close_at = rest
            .char_indices()
            .take(8)
            .find_map(|(j, c)| (c == close).then_some(j));
        if let Some(j) = close_at {
            let inner = &rest[..j];
            if looks_like_syllable(inner) {
                out.push(Candidate {
                    start: i,
                    end: i + open.len_utf8() + j + close.len_utf8(),
                    ch,
                    syllable: inner,
                });
            }
        }
    }
    out
}

fn looks_like_syllable(s: &str) -> bool {
    let n = s.chars().count();
    if !(1..=7).contains(&n) {
        return false;
    }
    let (body, digit) = match s.chars().last() {
        Some(d @ '1'..='5') => (&s[..s.len() - 1], Some(d)),
        _ => (s, None),
    };
    !body.is_empty()
        && body
            .chars()
            .all(|c| c.is_ascii_lowercase() || "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüńňǹḿ".contains(c))
        && (digit.is_none() || body.chars().all(|c| c.is_ascii_lowercase() || c == 'ü'))
}

/// Whether `syllable` (tone marks or a final tone number) is a reading of `c`.
pub(crate) fn is_reading(c: char, syllable: &str) -> bool {
    let Some(multi) = c.to_pinyin_multi() else {
        return false;
    };
    let numbered = syllable.chars().last().is_some_and(|d| d.is_ascii_digit());
    multi.into_iter().any(|p| {
        if numbered {
            p.with_tone_num_end() == syllable || p.with_tone_num_end().replace('v', "ü") == syllable
        } else {
            p.with_tone() == syllable
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fix(s: &str) -> String {
        find(s, false).apply(s)
    }

    #[test]
    fn removes_readings_of_non_gb2312_characters() {
        assert_eq!(fix("快遞業(yè)務(wù)旺季"), "快遞業務旺季");
        assert_eq!(fix("繼續(xù)發(fā)揮"), "繼續發揮");
        assert_eq!(fix("長(zhǎng)期"), "長期");
        assert_eq!(fix("業（yè）務"), "業務");
        assert_eq!(fix("業(ye4)務"), "業務");
    }

    #[test]
    fn leaves_glosses_and_content() {
        for s in [
            "北京(Běijīng)是首都",
            "拼音(pīnyīn)",
            "蘋果(Apple)",
            "部分省(市)郵政",
            "行(háng)業的行",
            "業(yì)務",
            "律師事務所(蘭州)",
            "(yè)開頭",
        ] {
            assert_eq!(fix(s), s, "{s}");
        }
    }

    #[test]
    fn teaching_material_is_left_alone() {
        // A lesson glosses common (GB2312) characters too.
        let s = "學(xué)生(shēng)們(men)讀(dú)書(shū)";
        assert_eq!(fix(s), s);
        assert_eq!(find(s, false).unsure.len(), 1);
        // Glosses on every character, all outside GB2312: what garbling leaves.
        assert_eq!(fix("業(yè)務(wù)續(xù)發(fā)"), "業務續發");
    }

    #[test]
    fn garbling_converted_to_simplified() {
        assert_eq!(fix("快递业(yè)务(wù)旺季"), "快递业务旺季");
        let to_traditional = |s: &str| find(s, true).apply(s);
        assert_eq!(to_traditional("快递业(yè)务旺季"), "快递业务旺季");
        assert_eq!(to_traditional("银行(háng)"), "银行(háng)");
        for same in ["演奏乐(yuè)器", "银行(háng)和业(yè)务", "一个业(yè)字"] {
            assert_eq!(fix(same), same, "{same}");
        }
    }
}
