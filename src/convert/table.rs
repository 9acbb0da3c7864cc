//! The fast engine: one forward maximum matching pass of a fused table over the text.

use std::sync::Arc;

use super::pack::{DANGER_BIT, GAP_BIT, IDENTITY_BIT, LEN_MAX, LEN_SHIFT, OFFSET_MAX, PAIR_INDEX};
use super::trie::Trie;

/// The words of one of the tries `build.rs` compiled into the binary (4-aligned bytes).
pub(crate) fn builtin_words(bytes: &'static [u8]) -> &'static [u32] {
    // SAFETY: every bit pattern is a valid u32, and `align_to` only hands out the aligned
    // middle. The registry aligns each embedded trie to 4 bytes, so head and tail are empty:
    // checked just below.
    let (head, words, tail) = unsafe { bytes.align_to::<u32>() };
    assert!(
        head.is_empty() && tail.is_empty(),
        "embedded trie is not aligned"
    );
    words
}

/// A compiled conversion table: a (possibly shared) trie of keys plus this config's outputs.
pub(crate) struct Table {
    keys: Keys,
    values: Box<[u32]>,
    blob: Box<str>,
    max_chars: usize,
    /// The index of the first pair key (see `pack.rs`); the key count when there are none.
    pair_start: usize,
    /// `(a << 32) | b` for the dangerous pairs of run characters that are not pair keys
    /// (`b` = 0: `a` is dangerous whatever follows).
    pairs: PairSet,
}

/// The words of a trie (see `trie.rs`), shared by the tables of a group.
pub(crate) enum Keys {
    Builtin(&'static [u32]),
    Owned(Arc<[u32]>),
}

impl Table {
    /// Reads the outputs produced by `pack::compile_outputs` for the trie `keys`.
    pub(crate) fn new(keys: Keys, outputs: &[u8]) -> Result<Table, String> {
        Trie::new(keys.words())?.check_root()?;
        let word = |at: usize| -> Result<usize, String> {
            let b = outputs.get(at..at + 4).ok_or("truncated table")?;
            Ok(u32::from_le_bytes(b.try_into().unwrap()) as usize)
        };
        let max_chars = word(0)?;
        let n = word(4)?;
        let values: Box<[u32]> = outputs
            .get(8..8 + 4 * n)
            .ok_or("truncated table")?
            .chunks_exact(4)
            .map(|b| u32::from_le_bytes(b.try_into().expect("four bytes")))
            .collect();
        let at = 8 + 4 * n;
        let blob_len = word(at)?;
        let blob = outputs
            .get(at + 4..at + 4 + blob_len)
            .ok_or("truncated table")?;
        let blob: Box<str> = simdutf8::basic::from_utf8(blob)
            .map_err(|_| "output text is not UTF-8".to_string())?
            .into();
        let at = at + 4 + blob_len;
        let pair_start = word(at)?;
        if pair_start > n {
            return Err("pair keys out of range".into());
        }
        let n_pairs = word(at + 4)?;
        let pairs: Vec<u64> = outputs
            .get(at + 8..at + 8 + 8 * n_pairs)
            .ok_or("truncated table")?
            .chunks_exact(8)
            .map(|b| {
                let hi = u32::from_le_bytes(b[..4].try_into().expect("four bytes"));
                let lo = u32::from_le_bytes(b[4..].try_into().expect("four bytes"));
                (u64::from(hi) << 32) | u64::from(lo)
            })
            .collect();
        let pairs = PairSet::new(&pairs);
        let (plain, pair_keys) = values.split_at(pair_start);
        if pair_keys
            .iter()
            .any(|&v| (v & PAIR_INDEX) as usize >= pair_start)
        {
            return Err("a pair key's first character out of range".into());
        }
        for v in plain.iter().filter(|v| *v & IDENTITY_BIT == 0) {
            let (off, len) = (
                (v & OFFSET_MAX) as usize,
                ((v >> LEN_SHIFT) & LEN_MAX) as usize,
            );
            if !blob.is_char_boundary(off)
                || off + len > blob.len()
                || !blob.is_char_boundary(off + len)
            {
                return Err("output out of range".into());
            }
        }
        Ok(Table {
            keys,
            values,
            blob,
            max_chars,
            pair_start,
            pairs,
        })
    }

    /// Whether the run character at `start..end` may start a multi-character key of a chain step,
    /// by the dangerous pairs that are not pair keys, judging by the character after it
    /// (unknown yet: assume it may).
    #[inline]
    fn may_start_key(&self, text: &str, start: usize, end: usize, last: bool) -> bool {
        let c = text[start..end].chars().next().unwrap() as u64;
        let next = match text[end..].chars().next() {
            Some(n) => n as u64,
            None if last => return self.pairs.contains(c << 32),
            None => return true,
        };
        self.pairs.contains(c << 32) || self.pairs.contains((c << 32) | next)
    }

    /// The value of a match of key `key` at `start..end` of `text`, where the match really
    /// ends, and whether it is a dangerous pair. A pair key stands for its first character.
    #[inline(always)]
    fn resolve(&self, text: &str, start: usize, end: usize, key: u32) -> (u32, usize, bool) {
        let v = self.values[key as usize];
        if (key as usize) < self.pair_start {
            return (v, end, false);
        }
        let first = text[start..].chars().next().map_or(1, char::len_utf8);
        (
            self.values[(v & PAIR_INDEX) as usize],
            start + first,
            v & DANGER_BIT != 0,
        )
    }

    fn output(&self, v: u32) -> &str {
        let off = (v & OFFSET_MAX) as usize;
        let len = ((v >> LEN_SHIFT) & LEN_MAX) as usize;
        &self.blob[off..off + len]
    }

    fn trie(&self) -> Trie<'_> {
        Trie::new(self.keys.words()).expect("checked by Table::new")
    }

    /// Converts a prefix of `text` into `out` and returns (bytes consumed, keys replaced).
    ///
    /// Forward maximum matching decides at each position from the next `max_chars` characters
    /// only, so every decision made at a position that has that many characters after it is
    /// final. Unless `last`, the pass stops before the first match that starts later than that,
    /// and the caller hands the rest back with more text: output does not depend on where the
    /// input was cut.
    pub(crate) fn convert(&self, text: &str, out: &mut String, last: bool) -> (usize, u64) {
        let Some((safe, min_consumed)) = final_bounds(text, self.max_chars, last) else {
            return (0, 0);
        };
        let mut copied = 0;
        let mut changes = 0;
        let mut end = 0;
        self.trie().scan(text, safe, |start, m_end, key| {
            let (v, m_end, _) = self.resolve(text, start, m_end, key);
            end = m_end;
            if v & (IDENTITY_BIT | GAP_BIT) == 0 {
                emit(out, &text[copied..start], self.output(v));
                copied = m_end;
                changes += 1;
            }
            m_end
        });
        let consumed = end.max(min_consumed);
        out.push_str(&text[copied..consumed]);
        (consumed, changes)
    }
}

/// The engine for one config: a main table and, for configs that segment, the chain's steps
/// for the runs of text between segmentation keys.
pub(crate) struct Engine {
    pub(crate) main: Arc<Table>,
    pub(crate) stages: Vec<Arc<Table>>,
    pub(crate) segmented: bool,
}

/// Per-document state of an [`Engine`]: the gap text each chain step holds back.
#[derive(Default)]
pub(crate) struct EngineState {
    pending: Vec<String>,
    /// The last chunk ended inside a run that went slow.
    slow_run: bool,
    a: String,
    b: String,
}

impl EngineState {
    /// The state of a new document, keeping the buffers.
    pub(crate) fn reset(&mut self) {
        self.pending.iter_mut().for_each(String::clear);
        self.slow_run = false;
        self.a.clear();
        self.b.clear();
    }
}

impl Engine {
    /// Converts a prefix of `text`; see [`Table::convert`] for the contract.
    pub(crate) fn convert(
        &self,
        text: &str,
        out: &mut String,
        last: bool,
        st: &mut EngineState,
    ) -> (usize, u64) {
        if !self.segmented {
            return self.main.convert(text, out, last);
        }
        // OpenCC's mmseg: each segmentation key is a segment (its output through the chain is in
        // the main table); the characters between keys form one segment (a "run"), which goes
        // through the chain's steps. A run converts character by character (each character's
        // output through the chain is in the main table too) until its first "dangerous"
        // character, one that could start a multi-character key in some step, by itself or
        // with the character after it (found by the walk, as a pair key, or looked up); from
        // there the rest of the run is streamed through the steps themselves, which hold back
        // what they cannot decide yet.
        let main = &*self.main;
        let Some((safe, min_consumed)) = final_bounds(text, main.max_chars, last) else {
            return (0, 0);
        };
        let mut changes = 0;
        // Where the current run went slow. A run that went slow stays slow until a segmentation
        // key or a line break closes it, whichever chunk that comes in: which characters take
        // the slow path (and so how replacements are counted) depends on the text alone, not
        // on where it was cut or split into lines for threads. Closing a run at a line break
        // changes no output: no key of any step holds a line break.
        let mut slow_from = (st.slow_run || st.pending.iter().any(|p| !p.is_empty())).then_some(0);
        let mut copied = 0;
        let mut end = 0;
        // How far the slow run was searched for a line break.
        let mut searched = 0;
        main.trie().scan(text, safe, |start, m_end, key| {
            let (v, m_end, dangerous_pair) = main.resolve(text, start, m_end, key);
            end = m_end;
            changes += self.close_at_line_break(
                text,
                start,
                &mut slow_from,
                &mut searched,
                &mut copied,
                out,
                st,
            );
            if v & GAP_BIT != 0 {
                if slow_from.is_some() {
                    return m_end;
                }
                if dangerous_pair
                    || (v & DANGER_BIT != 0 && main.may_start_key(text, start, m_end, last))
                {
                    out.push_str(&text[copied..start]);
                    copied = start;
                    slow_from = Some(start);
                } else if v & IDENTITY_BIT == 0 {
                    emit(out, &text[copied..start], main.output(v));
                    copied = m_end;
                    changes += 1;
                }
                return m_end;
            }
            // A segmentation key: it closes the run before it.
            if let Some(s) = slow_from.take() {
                changes += self.feed_gap(&text[s..start], out, true, st);
                copied = start;
            }
            if v & IDENTITY_BIT == 0 {
                emit(out, &text[copied..start], main.output(v));
                copied = m_end;
                changes += 1;
            }
            m_end
        });
        let consumed = if last {
            text.len()
        } else {
            end.max(min_consumed)
        };
        changes += self.close_at_line_break(
            text,
            consumed,
            &mut slow_from,
            &mut searched,
            &mut copied,
            out,
            st,
        );
        match slow_from {
            Some(s) => changes += self.feed_gap(&text[s..consumed], out, last, st),
            None => out.push_str(&text[copied..consumed]),
        }
        st.slow_run = slow_from.is_some() && !last;
        (consumed, changes)
    }

    /// Ends the slow run at the first line break before `upto`, if there is one: the run up to
    /// and with the line break goes through the steps, closed.
    #[allow(clippy::too_many_arguments)]
    fn close_at_line_break(
        &self,
        text: &str,
        upto: usize,
        slow_from: &mut Option<usize>,
        searched: &mut usize,
        copied: &mut usize,
        out: &mut String,
        st: &mut EngineState,
    ) -> u64 {
        let Some(s) = *slow_from else {
            return 0;
        };
        let from = s.max(*searched);
        *searched = upto;
        let Some(i) = memchr::memchr(b'\n', &text.as_bytes()[from..upto]) else {
            return 0;
        };
        let after = from + i + 1;
        *slow_from = None;
        *copied = after;
        self.feed_gap(&text[s..after], out, true, st)
    }

    /// Pushes a piece of a run between keys through the chain steps; `end` closes the run.
    fn feed_gap(&self, piece: &str, out: &mut String, end: bool, st: &mut EngineState) -> u64 {
        st.pending.resize_with(self.stages.len(), String::new);
        let EngineState { pending, a, b, .. } = st;
        let mut changes = 0;
        a.clear();
        a.push_str(piece);
        for (i, stage) in self.stages.iter().enumerate() {
            let held = &mut pending[i];
            let input: &str = if held.is_empty() {
                a
            } else {
                held.push_str(a);
                held
            };
            b.clear();
            let (n, c) = stage.convert(input, b, end);
            changes += c;
            if held.is_empty() {
                held.push_str(&a[n..]);
            } else {
                held.drain(..n);
            }
            std::mem::swap(a, b);
        }
        out.push_str(a);
        changes
    }
}

impl Keys {
    fn words(&self) -> &[u32] {
        match self {
            Keys::Builtin(w) => w,
            Keys::Owned(w) => w,
        }
    }
}

/// Appends the text kept before a replacement (often none: replacements tend to follow each
/// other), then the replacement.
#[inline(always)]
fn emit(out: &mut String, kept: &str, output: &str) {
    if !kept.is_empty() {
        out.push_str(kept);
    }
    out.push_str(output);
}

/// A set of `u64` with open addressing and a multiplicative hash: one probe, usually.
struct PairSet {
    slots: Box<[u64]>,
    mask: usize,
}

impl PairSet {
    const EMPTY: u64 = u64::MAX;

    fn new(items: &[u64]) -> PairSet {
        let size = (items.len() * 2).next_power_of_two().max(2);
        let mut slots = vec![Self::EMPTY; size].into_boxed_slice();
        let mask = size - 1;
        for &x in items {
            let mut h = Self::hash(x) & mask;
            while slots[h] != Self::EMPTY && slots[h] != x {
                h = (h + 1) & mask;
            }
            slots[h] = x;
        }
        PairSet { slots, mask }
    }

    #[inline]
    fn hash(x: u64) -> usize {
        (x.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 29) as usize
    }

    #[inline]
    fn contains(&self, x: u64) -> bool {
        let mut h = Self::hash(x) & self.mask;
        loop {
            let s = self.slots[h];
            if s == x {
                return true;
            }
            if s == Self::EMPTY {
                return false;
            }
            h = (h + 1) & self.mask;
        }
    }
}

/// `(bound, min_consumed)`: every match starting at or before `bound` is final, and at least
/// `min_consumed` bytes can be consumed. A position is final when `max_chars` characters follow
/// it, or when a newline follows it (no key holds a newline, so a line converts completely
/// as soon as its newline has arrived: a co-process fed one line at a time gets it back at once).
/// `None` when nothing is final yet.
fn final_bounds(text: &str, max_chars: usize, last: bool) -> Option<(usize, usize)> {
    if last {
        return Some((text.len(), text.len()));
    }
    let by_length = safe_end(text, max_chars);
    let newline = memchr::memrchr(b'\n', text.as_bytes());
    match (by_length, newline) {
        (None, None) => None,
        (s, n) => {
            let s = s.unwrap_or(0);
            match n {
                Some(n) if n >= s => Some((n, n + 1)),
                _ => Some((s, s)),
            }
        }
    }
}

/// Byte offset of the start of the last `n` characters of `text`: the last position that has
/// `n` characters after it. `None` if `text` has fewer than `n` characters.
fn safe_end(text: &str, n: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = bytes.len();
    let mut seen = 0;
    while i > 0 && seen < n {
        i -= 1;
        if (bytes[i] as i8) >= -0x40 {
            seen += 1;
        }
    }
    (seen == n).then_some(i)
}

#[cfg(test)]
mod tests {
    use super::safe_end;

    #[test]
    fn safe_end_counts_characters() {
        assert_eq!(safe_end("abc", 2), Some(1));
        assert_eq!(safe_end("中文字", 1), Some(6));
        assert_eq!(safe_end("中文字", 3), Some(0));
        assert_eq!(safe_end("中文字", 5), None);
        assert_eq!(safe_end("", 3), None);
        assert_eq!(safe_end("", 0), Some(0));
    }
}
