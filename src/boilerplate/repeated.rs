//! Lines repeated across the documents of a folder (site templates: footers, menus, licence
//! lines that no rule names), found CCNet-style: each line is normalised (digits folded to 0,
//! punctuation and symbols of every script removed, white space dropped, Latin lower-cased) and
//! hashed, and a line whose hash occurs in enough documents of the same folder is boilerplate
//! (rule `repeated`).

use std::collections::{HashMap, HashSet};

/// Normalised lines shorter than this many characters are ignored (`（完）`, `会议指出`
/// headings...).
const MIN_CHARS: usize = 4;
/// Lines longer than this many bytes are text, not templates.
const MAX_BYTES: usize = 4096;

/// The hash of a line after CCNet-style normalisation, or `None` for a line too short or too
/// long to count.
pub fn line_key(line: &str) -> Option<u64> {
    if line.len() > MAX_BYTES {
        return None;
    }
    // A multiply-xorshift hash over the kept characters (SipHash cost a fifth of a folder
    // run); 64 bits, so that distinct lines of a folder practically never share a key.
    let mut h: u64 = 0x243F_6A88_85A3_08D3;
    let mut n = 0;
    for c in line.chars() {
        if c.is_whitespace() || is_punctuation(c) {
            continue;
        }
        let c = if c.is_ascii_digit() {
            '0'
        } else {
            c.to_ascii_lowercase()
        };
        h = (h ^ u64::from(c)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        h ^= h >> 29;
        n += 1;
    }
    (n >= MIN_CHARS).then(|| {
        let h = (h ^ (h >> 32)).wrapping_mul(0xD6E8_FEB8_6659_FD93);
        h ^ (h >> 32)
    })
}

fn is_punctuation(c: char) -> bool {
    c.is_ascii_punctuation()
        || matches!(c as u32,
            0x2000..=0x206F | 0x3000..=0x303F | 0xFF01..=0xFF0F | 0xFF1A..=0xFF20 | 0xFF3B..=0xFF40
            | 0xFF5B..=0xFF65 | 0xFE30..=0xFE4F | 0x00A1..=0x00BF | 0x00D7 | 0x00F7
            | 0x2190..=0x27BF)
}

/// Distinct lines counted per folder before the rarest are forgotten: memory stays bounded
/// (about 24 MB per folder) however many files the folder holds.
const MAX_KEYS: usize = 1 << 20;

/// Counts, per normalised line, how many documents hold it.
#[derive(Default)]
pub struct RepeatedLines {
    counts: HashMap<u64, u32>,
    docs: usize,
    /// Lines seen in at most this many documents were forgotten to bound memory.
    pruned: u32,
}

impl RepeatedLines {
    /// An empty count.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one document's lines (a line counts once per document).
    pub fn add_document<'a>(&mut self, lines: impl IntoIterator<Item = &'a str>) {
        let keys: HashSet<u64> = lines.into_iter().filter_map(line_key).collect();
        self.add_keys(&keys);
    }

    /// Adds one document's line keys (from [`line_key`]).
    pub fn add_keys(&mut self, keys: &HashSet<u64>) {
        for k in keys {
            *self.counts.entry(*k).or_default() += 1;
        }
        self.docs += 1;
        self.bound();
    }

    /// Forgets the rarest lines when too many are counted (lossy counting: a site template
    /// is in nearly every document, far above what is forgotten).
    fn bound(&mut self) {
        while self.counts.len() > MAX_KEYS {
            self.pruned += 1;
            let floor = self.pruned;
            self.counts.retain(|_, n| *n > floor);
        }
    }

    /// The lines held by at least `min_docs` documents and by at least a fifth of them all.
    pub fn repeated(&self, min_docs: usize) -> HashSet<u64> {
        let need = min_docs.max(self.docs.div_ceil(5)).max(2) as u32;
        self.counts
            .iter()
            .filter(|(_, n)| **n >= need)
            .map(|(k, _)| *k)
            .collect()
    }
}

/// The output of [`crate::PipelineBuilder::line_keys`]'s pipeline: takes the key of each line written
/// to it.
#[derive(Default)]
pub(crate) struct LineKeys {
    keys: HashSet<u64>,
    /// The current line's start, carried over from earlier writes.
    line: Vec<u8>,
}

impl LineKeys {
    fn add(&mut self, line: &[u8]) {
        // Lines are cut at newlines and kept from whole writes of UTF-8 text.
        if let Ok(line) = std::str::from_utf8(line) {
            self.keys.extend(line_key(line.trim()));
        }
    }

    /// Takes the key of the last line, which has no newline after it.
    fn end_line(&mut self) {
        let line = std::mem::take(&mut self.line);
        self.add(&line);
    }

    /// The keys of every line written, the last one included.
    pub(crate) fn into_keys(mut self) -> HashSet<u64> {
        self.end_line();
        self.keys
    }
}

impl std::io::Write for LineKeys {
    fn write(&mut self, mut buf: &[u8]) -> std::io::Result<usize> {
        let n = buf.len();
        while let Some(i) = memchr::memchr(b'\n', buf) {
            if self.line.is_empty() {
                self.add(&buf[..i]);
            } else {
                self.line.extend_from_slice(&buf[..i]);
                self.end_line();
            }
            buf = &buf[i + 1..];
        }
        // A line too long to be a template is not kept whole.
        if self.line.len() < 8192 {
            self.line.extend_from_slice(buf);
        }
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distinct_lines_get_distinct_keys() {
        // 300,000 lines that differ in one or two characters, as template lines of a site do.
        let chars: Vec<char> = ('\u{4E00}'..'\u{5200}').collect();
        let mut seen = std::collections::HashMap::new();
        for a in &chars[..600] {
            for b in &chars[..500] {
                let line = format!("本站所有文章{a}版权归{b}所有");
                if let Some(other) = seen.insert(line_key(&line).unwrap(), line.clone()) {
                    panic!("{line} and {other} share a key");
                }
            }
        }
        assert_eq!(seen.len(), 300_000);
    }

    #[test]
    fn normalisation_folds_digits_and_punctuation() {
        assert_eq!(
            line_key("京ICP备18014261号-2"),
            line_key("京icp备 00000000号 0")
        );
        assert_eq!(line_key("阅读 7，评论 45"), line_key("阅读：3 评论：12"));
        assert_ne!(line_key("版权所有 新闻网"), line_key("版权所有 其他网"));
        assert_eq!(line_key("（完）"), None);
    }

    #[test]
    fn repeated_in_enough_documents() {
        let mut r = RepeatedLines::new();
        for name in ["甲", "乙", "丙", "丁", "戊", "己", "庚", "辛", "壬", "癸"] {
            let body = format!("{name}的文章正文内容各不相同。");
            let lines = [body.as_str(), "本站所有内容均来自网络 2023", "会议强调"];
            r.add_document(lines);
        }
        let set = r.repeated(3);
        assert!(set.contains(&line_key("本站所有内容均来自网络 2024").unwrap()));
        assert_eq!(
            set.len(),
            2,
            "the template line and the heading repeated in all ten"
        );
        let mut few = RepeatedLines::new();
        few.add_document(["只出现在一篇里的句子"]);
        few.add_document(["只出现在一篇里的句子"]);
        assert!(few.repeated(3).is_empty());
    }
}
