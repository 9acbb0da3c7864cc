//! Shared knowledge for the fixes: GBK byte facts and a word-frequency plausibility model.

use std::collections::HashMap;
use std::sync::OnceLock;

use encoding_rs::GBK;

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

/// The GBK bytes of `c`, if it has a two-byte GBK code.
pub(crate) fn gbk_bytes(c: char) -> Option<[u8; 2]> {
    match gbk_code(c) {
        Some(code) if code > 0xFF => Some(code.to_be_bytes()),
        _ => None,
    }
}

/// `c`'s GBK code from the table build.rs makes: a byte (ASCII, or 0x80 for the euro sign) or
/// two bytes as a big-endian `u16`; `None` if GBK cannot encode `c`.
fn gbk_code(c: char) -> Option<u16> {
    code_in(&charsets::GBK_CODES, c)
}

/// `c`'s code in one of build.rs's BMP tables (ASCII stands for itself; 0 is none).
#[inline]
fn code_in(table: &[u16; 0x10000], c: char) -> Option<u16> {
    let cp = c as usize;
    if cp < 0x80 {
        return Some(cp as u16);
    }
    table.get(cp).copied().filter(|&code| code != 0)
}

/// Appends `c`'s GBK bytes to `out`; `false` (nothing appended) if GBK cannot encode `c`.
pub(crate) fn push_gbk(c: char, out: &mut Vec<u8>) -> bool {
    match gbk_code(c) {
        Some(code @ 0..=0xFF) => out.push(code as u8),
        Some(code) => out.extend_from_slice(&code.to_be_bytes()),
        None => return false,
    }
    true
}

/// Appends `c`'s Big5 bytes (as encoding_rs encodes them) to `out`; `false` (nothing appended)
/// if Big5 cannot encode `c`. The table covers the BMP; the few characters beyond it that Big5
/// has are left to encoding_rs.
pub(crate) fn push_big5(c: char, out: &mut Vec<u8>) -> bool {
    if (c as u32) < 0x10000 {
        return match code_in(&charsets::BIG5_CODES, c) {
            Some(code @ 0..=0x7F) => {
                out.push(code as u8);
                true
            }
            Some(code) => {
                out.extend_from_slice(&code.to_be_bytes());
                true
            }
            None => false,
        };
    }
    let mut buf = [0; 4];
    let (bytes, _, unmappable) = encoding_rs::BIG5.encode(c.encode_utf8(&mut buf));
    if !unmappable {
        out.extend_from_slice(&bytes);
    }
    !unmappable
}

mod charsets {
    include!(concat!(env!("OUT_DIR"), "/charsets.rs"));
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
    fn gbk_table_agrees_with_encoding_rs() {
        let mut two_byte = 0;
        for c in (0..0x11000u32).filter_map(char::from_u32) {
            let mut buf = [0; 4];
            let (bytes, _, unmappable) = GBK.encode(c.encode_utf8(&mut buf));
            let mut table = Vec::new();
            let table = push_gbk(c, &mut table).then_some(table);
            assert_eq!(table, (!unmappable).then(|| bytes.into_owned()), "{c:?}");
            two_byte += usize::from(gbk_bytes(c).is_some());
        }
        assert!(two_byte > 21000, "{two_byte}");
        assert_eq!(gbk_bytes('中'), Some([0xD6, 0xD0]));
        assert_eq!(gbk_code('€'), Some(0x80));
    }

    #[test]
    fn big5_table_agrees_with_encoding_rs() {
        let mut encoded = 0;
        for c in (0..0x30000u32).filter_map(char::from_u32) {
            let mut buf = [0; 4];
            let (bytes, _, unmappable) = encoding_rs::BIG5.encode(c.encode_utf8(&mut buf));
            let mut table = Vec::new();
            let table = push_big5(c, &mut table).then_some(table);
            assert_eq!(table, (!unmappable).then(|| bytes.into_owned()), "{c:?}");
            encoded += usize::from(table.is_some());
        }
        // 128 ASCII, 13,000-odd Hanzi and several hundred symbols.
        assert!(encoded > 13_500, "{encoded}");
        let mut out = Vec::new();
        assert!(push_big5('中', &mut out) && push_big5('文', &mut out));
        assert_eq!(out, [0xA4, 0xA4, 0xA4, 0xE5]);
        assert!(!push_big5('们', &mut out));
    }

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
