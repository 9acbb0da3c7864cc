//! Shared knowledge for the fixes: GBK byte facts and a word-frequency plausibility model.

use std::collections::HashMap;
use std::sync::OnceLock;

use encoding_rs::GBK;

use crate::text::codes::{charsets, gbk_code};

/// Whether `c` is a CJK unified ideograph (basic block or extension A/B..).
pub(crate) fn is_han(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x3134F)
}

/// Whether `c` is CJK punctuation or a full-width form (，。！（）“” ...).
pub(crate) fn is_cjk_punct(c: char) -> bool {
    is_cjk_punct_cp(c as u32)
}

#[inline]
fn is_cjk_punct_cp(cp: u32) -> bool {
    matches!(cp, 0x3000..=0x303F | 0xFF00..=0xFF65 | 0x2014 | 0x2018..=0x201D | 0x2026 | 0x00B7)
}

/// Whether `c` is Chinese text: a Han character, CJK punctuation or a full-width form (what a
/// decoded escape or a recovered character may be).
pub(crate) fn is_chinese(c: char) -> bool {
    is_han(c) || is_cjk_punct(c) || matches!(c as u32, 0xFF00..=0xFFEF)
}

/// The GBK bytes of `c`, if it has a two-byte GBK code.
pub(crate) fn gbk_bytes(c: char) -> Option<[u8; 2]> {
    match gbk_code(c) {
        Some(code) if code > 0xFF => Some(code.to_be_bytes()),
        _ => None,
    }
}

/// Whether `c` is in GB2312 (the two-byte area A1A1..F7FE of GBK).
pub(crate) fn in_gb2312(c: char) -> bool {
    let c = c as usize;
    c < 0x10000 && charsets::GB2312_BITS[c / 64] & (1 << (c % 64)) != 0
}

/// Whether `c` is uncommon in clean Chinese text: outside the BMP, or outside the common set
/// (a bit per BMP code point, set for ASCII, GB2312 and frequent Big5 level 1 characters) and
/// not CJK punctuation. `mojibake` examines only runs with enough of these.
#[inline]
pub(crate) fn is_uncommon(c: char) -> bool {
    is_uncommon_cp(c as u32)
}

/// [`is_uncommon`] for a code point decoded by hand.
#[inline]
pub(crate) fn is_uncommon_cp(cp: u32) -> bool {
    let i = cp as usize;
    i >= 0x10000 || (charsets::COMMON_BITS[i / 64] & (1 << (i % 64)) == 0 && !is_cjk_punct_cp(cp))
}

/// Decodes GBK strictly: `None` on any malformed sequence.
pub(crate) fn decode_gbk_strict(b: &[u8]) -> Option<String> {
    GBK.decode_without_bom_handling_and_without_replacement(b)
        .map(|s| s.into_owned())
}

/// A multiplicative hasher for the word table's `u64` keys (SipHash is the bottleneck otherwise).
#[derive(Default)]
struct PairHasher(u64);

impl std::hash::Hasher for PairHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 ^ *b as u64).wrapping_mul(0x100_0000_01B3);
        }
    }
    fn write_u64(&mut self, x: u64) {
        self.0 = x.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

type Pairs = HashMap<u64, u32, std::hash::BuildHasherDefault<PairHasher>>;

fn pair_key(a: char, b: char) -> u64 {
    ((a as u64) << 32) | b as u64
}

/// Two-character words and their frequencies (jieba's dictionary, Simplified).
fn words() -> &'static Pairs {
    static WORDS: OnceLock<Pairs> = OnceLock::new();
    WORDS.get_or_init(|| {
        include_str!("../../data/jieba/words2.txt")
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| {
                let (w, f) = l.split_once('\t')?;
                let mut cs = w.chars();
                Some((pair_key(cs.next()?, cs.next()?), f.parse().ok()?))
            })
            .collect()
    })
}

/// OpenCC's Simplified -> Traditional character table (STCharacters): each character with its
/// Traditional forms, the default first.
pub(crate) fn st_characters() -> impl Iterator<Item = (char, Vec<char>)> {
    crate::convert::builtin_dict_text("STCharacters")
        .lines()
        .filter_map(|line| {
            let (k, forms) = line.split_once('\t')?;
            let k = k.chars().next()?;
            Some((
                k,
                forms.split(' ').filter_map(|f| f.chars().next()).collect(),
            ))
        })
}

/// How often `a` and `b` form a two-character word (jieba's frequency; Traditional characters
/// are looked up through t2s); 0 if they do not.
pub(crate) fn word_frequency(a: char, b: char) -> u32 {
    // The `reflow` stage asks once per line: a direct-mapped memo of the pairs seen (on each
    // thread, 8,192 slots) saves converting the pair each time.
    const SLOTS: usize = 1 << 13;
    thread_local! {
        static SEEN: std::cell::RefCell<Vec<(char, char, u32)>> =
            std::cell::RefCell::new(vec![('\0', '\0', 0); SLOTS]);
    }
    let hash = (u64::from(a) << 21 | u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let slot = (hash >> (64 - 13)) as usize;
    SEEN.with(|seen| {
        let (x, y, f) = seen.borrow()[slot];
        if (x, y) == (a, b) && a != '\0' {
            return f;
        }
        let f = look_up_word(a, b);
        seen.borrow_mut()[slot] = (a, b, f);
        f
    })
}

/// [`word_frequency`], without the memo.
fn look_up_word(a: char, b: char) -> u32 {
    let pair: String = [a, b].iter().collect();
    let simplified = crate::convert::Converter::new(crate::convert::Config::T2s).convert(&pair);
    let mut cs = simplified.chars();
    match (cs.next(), cs.next()) {
        (Some(x), Some(y)) => words().get(&pair_key(x, y)).copied().unwrap_or(0),
        _ => 0,
    }
}

/// How plausible the sequence of characters is as Chinese: the sum over adjacent pairs of
/// log2(1 + frequency) of the pair as a word (Traditional text is looked up through t2s), minus
/// a penalty for characters that are neither Han, CJK punctuation nor ASCII.
pub(crate) fn plausibility(s: &str) -> f64 {
    let simplified = crate::convert::Converter::new(crate::convert::Config::T2s).convert(s);
    let chars: Vec<char> = simplified.chars().collect();
    let words = words();
    let mut score = 0.0;
    for w in chars.windows(2) {
        if let Some(f) = words.get(&pair_key(w[0], w[1])) {
            score += (1.0 + *f as f64).log2();
        }
    }
    for c in &chars {
        if !(is_han(*c) || is_cjk_punct(*c) || c.is_ascii()) {
            score -= 8.0;
        }
    }
    score
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gb2312_membership() {
        assert!(in_gb2312('国'));
        assert!(in_gb2312('会'));
        assert!(!in_gb2312('業'));
        assert!(!in_gb2312('區'));
        assert!(!in_gb2312('a'));
    }

    #[test]
    fn plausibility_prefers_words() {
        assert!(plausibility("各省（區") > plausibility("各啊（區"));
    }
}
