//! Which script a text is written in, from characters whose form differs between Simplified and
//! Traditional (those that OpenCC's character tables change one way and not the other).

use super::registry::{SIMPLIFIED_ONLY, TELLING_BMP, TRADITIONAL_ONLY};

/// The script of a text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Script {
    /// Simplified characters dominate.
    Simplified,
    /// Traditional characters dominate.
    Traditional,
    /// Both kinds, neither clearly dominant (at most 4:1).
    Mixed,
    /// No character that tells the scripts apart.
    None,
}

impl Script {
    /// Lowercase name, as in reports.
    pub fn name(self) -> &'static str {
        match self {
            Script::Simplified => "simplified",
            Script::Traditional => "traditional",
            Script::Mixed => "mixed",
            Script::None => "none",
        }
    }
}

/// Counts of telling characters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ScriptCounts {
    /// Characters only Simplified text uses.
    pub simplified: usize,
    /// Characters only Traditional text uses.
    pub traditional: usize,
}

/// Telling characters start here (CJK Extension A); `TELLING_BMP` covers them up to U+FFFF.
const TELLING_FROM: u32 = 0x3400;

impl ScriptCounts {
    /// Adds the telling characters of `text`.
    pub fn add(&mut self, text: &str) {
        text.chars().for_each(|c| self.add_char(c));
    }

    /// Adds one character.
    #[inline]
    pub fn add_char(&mut self, c: char) {
        let c = c as u32;
        if c < TELLING_FROM {
            return;
        }
        let tag = match TELLING_BMP.get((c - TELLING_FROM) as usize) {
            Some(&tag) => tag,
            // Beyond the BMP (few telling characters there): the sorted lists.
            None if SIMPLIFIED_ONLY.binary_search(&c).is_ok() => 1,
            None if TRADITIONAL_ONLY.binary_search(&c).is_ok() => 2,
            None => 0,
        };
        match tag {
            1 => self.simplified += 1,
            2 => self.traditional += 1,
            _ => {}
        }
    }

    /// Total telling characters seen.
    pub fn total(&self) -> usize {
        self.simplified + self.traditional
    }

    /// The verdict.
    pub fn script(&self) -> Script {
        let (s, t) = (self.simplified, self.traditional);
        if s + t == 0 {
            Script::None
        } else if s > 4 * t {
            Script::Simplified
        } else if t > 4 * s {
            Script::Traditional
        } else {
            Script::Mixed
        }
    }
}

/// Detects the script of `text`.
pub fn detect_script(text: &str) -> Script {
    let mut c = ScriptCounts::default();
    c.add(text);
    c.script()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_table_agrees_with_the_sorted_lists() {
        for c in (0..=0x3FFFFu32).filter_map(char::from_u32) {
            let mut fast = super::ScriptCounts::default();
            fast.add_char(c);
            let cp = c as u32;
            let s = cp >= 0x3400 && super::SIMPLIFIED_ONLY.binary_search(&cp).is_ok();
            let t = cp >= 0x3400 && !s && super::TRADITIONAL_ONLY.binary_search(&cp).is_ok();
            assert_eq!(
                (fast.simplified, fast.traditional),
                (s as usize, t as usize),
                "{cp:X}"
            );
        }
    }

    use super::*;

    #[test]
    fn scripts() {
        assert_eq!(
            detect_script("国家邮政局召开电视电话会议"),
            Script::Simplified
        );
        assert_eq!(
            detect_script("國家郵政局召開電視電話會議"),
            Script::Traditional
        );
        assert_eq!(detect_script("hello, world"), Script::None);
        assert_eq!(detect_script("国家國家"), Script::Mixed);
    }
}
