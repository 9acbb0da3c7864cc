//! Taiwan or Hong Kong: which regional usage a Traditional text follows, for targets whose
//! config depends on it (`--to cn` converts Taiwan text with `tw2sp`, which also turns Taiwan
//! vocabulary into Mainland vocabulary: 滑鼠 -> 鼠标, 軟體 -> 软件).
//!
//! The evidence is OpenCC's own regional data: the values of `TWPhrases` and `HKPhrases` (words
//! used in one region), plus the variant characters one region writes and the other does not
//! (Taiwan 裡 著 啟 說-style forms against Hong Kong 裏 着 啓 説, from `TWVariants` and
//! `HKVariants`, less those both regions write in practice). A text is called Taiwan or Hong
//! Kong only when at least two pieces of evidence point one way and at most half as many the
//! other; otherwise the region is unclear and the standard Traditional config is used, as
//! before. The report says which was assumed.

use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, MatchKind};

use super::builtin_dict_text;

/// Regional usage of a Traditional text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Region {
    /// Taiwan words and variant characters dominate.
    Taiwan,
    /// Hong Kong words and variant characters dominate.
    HongKong,
    /// Too little evidence, or both.
    Unclear,
}

impl Region {
    /// Lowercase name, as in reports.
    pub fn name(self) -> &'static str {
        match self {
            Region::Taiwan => "tw",
            Region::HongKong => "hk",
            Region::Unclear => "unclear",
        }
    }
}

/// Variant characters only Taiwan text writes (from the first values of `TWVariants`, less
/// those Hong Kong text writes too, such as 床 群 梁 參 麼).
const TAIWAN_CHARS: &str = "著裡啟汙洩痺簷韁顎鯰睪嫻峰";
/// Variant characters only Hong Kong text writes (from the first values of `HKVariants`, less
/// those Taiwan text writes too, such as 台 只 線 濕 煙; and 裏 着, which Hong Kong writes where
/// Taiwan writes 裡 著).
const HONG_KONG_CHARS: &str = "兑悦户温説脱税衞啓卧葱鈎鋭閲蜕敍揾枱裏着";

struct Markers {
    automaton: AhoCorasick,
    /// Per pattern: whether it is Taiwan evidence (else Hong Kong).
    taiwan: Vec<bool>,
}

fn markers() -> &'static Markers {
    static M: OnceLock<Markers> = OnceLock::new();
    M.get_or_init(|| {
        let mut patterns: Vec<String> = Vec::new();
        let mut taiwan = Vec::new();
        for (dict, tw) in [("TWPhrases", true), ("HKPhrases", false)] {
            for line in builtin_dict_text(dict).lines() {
                let Some((_, values)) = line.split_once('\t') else {
                    continue;
                };
                let Some(v) = values.split_whitespace().next() else {
                    continue;
                };
                // Single characters are too weak a sign; Latin-only values tell nothing.
                if v.chars().count() >= 2 && v.chars().any(|c| c as u32 >= 0x3400) {
                    patterns.push(v.to_string());
                    taiwan.push(tw);
                }
            }
        }
        for (chars, tw) in [(TAIWAN_CHARS, true), (HONG_KONG_CHARS, false)] {
            for c in chars.chars() {
                patterns.push(c.to_string());
                taiwan.push(tw);
            }
        }
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&patterns)
            .expect("regional markers build");
        Markers { automaton, taiwan }
    })
}

/// The regional usage `text` (Traditional) follows.
pub fn detect_region(text: &str) -> Region {
    let m = markers();
    let (mut tw, mut hk) = (0usize, 0usize);
    for found in m.automaton.find_iter(text) {
        if m.taiwan[found.pattern().as_usize()] {
            tw += 1;
        } else {
            hk += 1;
        }
    }
    if tw >= 2 && tw >= 2 * hk {
        Region::Taiwan
    } else if hk >= 2 && hk >= 2 * tw {
        Region::HongKong
    } else {
        Region::Unclear
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions() {
        assert_eq!(detect_region("請用滑鼠點選軟體的圖示"), Region::Taiwan);
        assert_eq!(
            detect_region("他說著，走到屋子裡，啟動了電腦"),
            Region::Taiwan
        );
        assert_eq!(
            detect_region("佢説緊嘢，行入屋企裏面，着咗件衫"),
            Region::HongKong
        );
        assert_eq!(detect_region("國家郵政局召開會議"), Region::Unclear);
        assert_eq!(detect_region("滑鼠在屋裏"), Region::Unclear);
    }

    #[test]
    fn the_marker_characters_are_regional_variants() {
        let values = |dict: &str| -> String {
            builtin_dict_text(dict)
                .lines()
                .filter_map(|l| l.split_once('\t'))
                .filter_map(|(_, v)| v.split_whitespace().next())
                .collect()
        };
        let (tw, hk) = (values("TWVariants"), values("HKVariants"));
        for c in TAIWAN_CHARS.chars() {
            assert!(tw.contains(c) && !hk.contains(c), "{c}");
        }
        for c in HONG_KONG_CHARS.chars().filter(|c| !"裏着".contains(*c)) {
            assert!(hk.contains(c) && !tw.contains(c), "{c}");
        }
    }
}
