//! The key index of the conversion tables: a double-array trie of characters, with forward
//! maximum matching over it. Shared by `build.rs` (through `#[path]`), which serializes the
//! built-in tries, and the library, which matches with them and builds tries for user
//! dictionaries at run time.
//!
//! Why not a general Aho-Corasick automaton: forward maximum matching only ever asks "what is
//! the longest key starting here?", so failure links buy nothing. Characters get codes by how
//! many keys hold them, so the frequent ones have small codes and their transitions sit close
//! together in memory. The trie is used straight from the bytes embedded in the binary, with
//! nothing to deserialize, and is about a third of the size of the `daachorse` automaton it
//! replaced.
//!
//! Layout, all `u32` little-endian words:
//!
//! - `MAGIC`, `units`, `top` (entries of the first level of the code map), `blocks`, four
//!   words of 32 bits (a bit per ASCII character that some key holds), and `firsts`: the
//!   number of characters that start a key. They have codes 1 to `firsts` (the others come
//!   after), so the root's children are units 1 to `firsts` and a walk enters the root's child
//!   without reading a check;
//! - the code map: `top` block numbers, one per 64 code points, then `blocks` blocks of 64
//!   codes (block 0 is all zeros; code 0 means "in no key");
//! - `units` (an even number) base words (`base | flags`), then `units` 16-bit checks, two
//!   to a word (the first in the low half): the child of unit `u` by code `c` is unit
//!   `t = base(u) + c` when `check(t) == c` (0 for a free unit). No two units with children share a base, so the code
//!   tells the parent apart: if `check(t) == c`, the owner of `t` has base `t - c`, that of `u`.
//!   Unit 0 is the root, whose base is 0. The checks are small and apart from the bases because
//!   a walk reads the check of a unit it may not enter (most of the time, for the second
//!   character of a key) and the base only after: a cache line holds 32 checks;
//! - `units` values: the key index of a unit that ends a key.
#![allow(dead_code)]

use std::collections::BTreeMap;

/// The first word of a serialized trie.
pub const MAGIC: u32 = u32::from_le_bytes(*b"zht3");
const HEADER: usize = 9;
const BLOCK: usize = 64;
/// The unit ends a key (its value is in the values array).
const IS_KEY: u32 = 1 << 31;
/// Some key continues past the unit.
const HAS_CHILDREN: u32 = 1 << 30;
const BASE: u32 = HAS_CHILDREN - 1;
/// The check of a free unit.
const FREE: u32 = u32::MAX;

/// Builds the trie of `keys`; the value of `keys[i]` is `i`. Keys must be distinct and
/// non-empty.
pub fn build(keys: &[String]) -> Result<Vec<u32>, String> {
    // Codes: the characters that start a key first, then the others; each group by how many
    // keys hold them, most first (ties by code point).
    let firsts: std::collections::BTreeSet<char> =
        keys.iter().filter_map(|k| k.chars().next()).collect();
    let mut count: BTreeMap<char, usize> = BTreeMap::new();
    for k in keys {
        if k.is_empty() {
            return Err("empty dictionary key".into());
        }
        for c in k.chars() {
            *count.entry(c).or_default() += 1;
        }
    }
    if count.len() >= 0xFFFF {
        return Err("more distinct characters than a 16-bit check can tell apart".into());
    }
    let mut by_count: Vec<(char, usize)> = count.into_iter().collect();
    by_count.sort_by(|a, b| {
        let first = |c: &char| !firsts.contains(c);
        first(&a.0)
            .cmp(&first(&b.0))
            .then(b.1.cmp(&a.1))
            .then(a.0.cmp(&b.0))
    });
    let code: BTreeMap<char, u32> = by_count
        .iter()
        .enumerate()
        .map(|(i, &(c, _))| (c, i as u32 + 1))
        .collect();

    // The plain trie: node 0 is the root; children as (code, node), in code order.
    struct Node {
        children: BTreeMap<u32, usize>,
        value: Option<u32>,
    }
    let mut nodes = vec![Node {
        children: BTreeMap::new(),
        value: None,
    }];
    for (i, k) in keys.iter().enumerate() {
        let mut at = 0;
        for c in k.chars() {
            let next = nodes.len();
            at = *nodes[at].children.entry(code[&c]).or_insert(next);
            if at == next {
                nodes.push(Node {
                    children: BTreeMap::new(),
                    value: None,
                });
            }
        }
        if nodes[at].value.replace(i as u32).is_some() {
            return Err(format!("duplicate dictionary key {k:?}"));
        }
    }

    // Place the nodes, breadth first: each node's children go at `base + code` for the first
    // base where all of those units are free. Free units below the end are kept in a linked
    // list, so the search steps from free unit to free unit.
    let mut units = Units::default();
    let mut unit_of = vec![0usize; nodes.len()];
    let mut queue = std::collections::VecDeque::from([0usize]);
    while let Some(id) = queue.pop_front() {
        let node = &nodes[id];
        let u = unit_of[id];
        if let Some(v) = node.value {
            units.base[u] |= IS_KEY;
            units.value[u] = v;
        }
        if node.children.is_empty() {
            continue;
        }
        let codes: Vec<usize> = node.children.keys().map(|&c| c as usize).collect();
        let b = if u == 0 { 0 } else { units.find_base(&codes) };
        if b > BASE as usize {
            return Err("dictionary too large".into());
        }
        units.used_bases.insert(b);
        units.base[u] |= b as u32 | HAS_CHILDREN;
        for (&c, &child) in &node.children {
            let t = b + c as usize;
            units.take(t, u as u32);
            unit_of[child] = t;
            queue.push_back(child);
        }
    }
    let Units {
        mut base,
        mut check,
        mut value,
        ..
    } = units;
    // An even count, so that every half of the checks' last word belongs to a unit.
    if check.len() % 2 == 1 {
        base.push(0);
        check.push(FREE);
        value.push(0);
    }

    // The code map.
    let max = by_count.iter().map(|&(c, _)| c as usize).max().unwrap_or(0);
    let mut top = vec![0u32; max / BLOCK + 1];
    let mut blocks: Vec<[u32; BLOCK]> = vec![[0; BLOCK]];
    for (&c, &k) in &code {
        let c = c as usize;
        if top[c / BLOCK] == 0 {
            top[c / BLOCK] = blocks.len() as u32;
            blocks.push([0; BLOCK]);
        }
        blocks[top[c / BLOCK] as usize][c % BLOCK] = k;
    }

    let mut ascii = [0u32; 4];
    for &c in code.keys() {
        if c.is_ascii() {
            ascii[c as usize / 32] |= 1 << (c as u32 % 32);
        }
    }
    let units = check.len();
    let mut words = Vec::with_capacity(HEADER + top.len() + blocks.len() * BLOCK + 5 * units / 2);
    words.extend([MAGIC, units as u32, top.len() as u32, blocks.len() as u32]);
    words.extend(ascii);
    words.push(firsts.len() as u32);
    words.extend(&top);
    words.extend(blocks.iter().flatten());
    words.extend(&base);
    // A unit's check becomes the code of the edge into it.
    let check16 = |t: usize| match check[t] {
        FREE => 0,
        p => t - (base[p as usize] & BASE) as usize,
    };
    words.extend((0..units / 2).map(|w| check16(2 * w) as u32 | (check16(2 * w + 1) as u32) << 16));
    words.extend(&value);
    Ok(words)
}

/// The double array being built. Unit 0 is the root.
struct Units {
    base: Vec<u32>,
    check: Vec<u32>,
    value: Vec<u32>,
    /// The free units below the end, as a doubly linked list (`usize::MAX` ends it).
    next: Vec<usize>,
    prev: Vec<usize>,
    first_free: usize,
    last_free: usize,
    /// The bases given so far (the root's is 0): never twice, see the layout.
    used_bases: std::collections::HashSet<usize>,
}

impl Default for Units {
    fn default() -> Units {
        Units {
            base: vec![0],
            check: vec![FREE],
            value: vec![0],
            next: vec![usize::MAX],
            prev: vec![usize::MAX],
            first_free: usize::MAX,
            last_free: usize::MAX,
            used_bases: std::collections::HashSet::from([0]),
        }
    }
}

impl Units {
    fn is_free(&self, t: usize) -> bool {
        self.check.get(t).is_none_or(|&x| x == FREE)
    }

    /// The first base (at least 1) at which every `codes` lands on a free unit.
    fn find_base(&self, codes: &[usize]) -> usize {
        let first = codes[0];
        // Candidates for the first child's unit: the free units, then the end and past it.
        let mut p = self.first_free;
        loop {
            if p == usize::MAX {
                p = self.check.len().max(first + 1);
            }
            if p > first
                && !self.used_bases.contains(&(p - first))
                && codes.iter().all(|&c| self.is_free(p - first + c))
            {
                return p - first;
            }
            p = if p < self.check.len() {
                self.next[p]
            } else {
                p + 1
            };
        }
    }

    /// Marks unit `t` as a child of `parent`, growing the array when `t` is past its end.
    fn take(&mut self, t: usize, parent: u32) {
        while self.check.len() <= t {
            // A new free unit, appended to the list.
            let i = self.check.len();
            self.base.push(0);
            self.check.push(FREE);
            self.value.push(0);
            self.next.push(usize::MAX);
            let last = self.last_free;
            self.prev.push(last);
            match last {
                usize::MAX => self.first_free = i,
                l => self.next[l] = i,
            }
            self.last_free = i;
        }
        debug_assert_eq!(self.check[t], FREE);
        let (p, n) = (self.prev[t], self.next[t]);
        match p {
            usize::MAX => self.first_free = n,
            p => self.next[p] = n,
        }
        if n != usize::MAX {
            self.prev[n] = p;
        } else {
            self.last_free = p;
        }
        self.check[t] = parent;
    }
}

/// What a walk from the root found.
struct Walk {
    /// The longest key, as `(end, value)`.
    best: Option<(usize, u32)>,
    /// The byte where the walk stopped.
    stop: usize,
    /// The code and length of the character at `stop`, when the walk read it.
    after: Option<(usize, usize)>,
}

/// The words of a serialized trie as bytes (little-endian), for `include_bytes!`.
pub fn to_bytes(words: &[u32]) -> Vec<u8> {
    words.iter().flat_map(|w| w.to_le_bytes()).collect()
}

/// A view of a serialized trie.
#[derive(Clone, Copy)]
pub struct Trie<'a> {
    /// A bit per ASCII character that some key holds.
    ascii: u128,
    /// Characters that start a key: codes 1 to `firsts`, the root's children at units 1 to
    /// `firsts`.
    firsts: usize,
    top: &'a [u32],
    blocks: &'a [u32],
    bases: &'a [u32],
    checks: &'a [u32],
    values: &'a [u32],
}

impl<'a> Trie<'a> {
    /// Checks the layout of `words` (not the contents: a corrupt trie can give wrong matches,
    /// never out-of-bounds reads or endless loops).
    pub fn new(words: &'a [u32]) -> Result<Trie<'a>, String> {
        let [magic, units, top, blocks, a0, a1, a2, a3, firsts] =
            *words.get(..HEADER).ok_or("truncated trie")?
        else {
            unreachable!()
        };
        let ascii = [a0, a1, a2, a3]
            .iter()
            .enumerate()
            .fold(0u128, |m, (i, &w)| {
                m | (u128::from(u32::from_le(w)) << (32 * i))
            });
        if u32::from_le(magic) != MAGIC {
            return Err("not a zhtidy trie".into());
        }
        let [units, top, blocks] = [units, top, blocks].map(|w| u32::from_le(w) as usize);
        if units == 0
            || units % 2 == 1
            || blocks == 0
            || words.len() != HEADER + top + blocks * BLOCK + 5 * units / 2
        {
            return Err("trie sizes do not add up".into());
        }
        let (top, rest) = words[HEADER..].split_at(top);
        let (blocks, rest) = rest.split_at(blocks * BLOCK);
        let (bases, rest) = rest.split_at(units);
        let (checks, values) = rest.split_at(units / 2);
        // A walk enters the root's children, units 1 to `firsts`, without reading their checks
        // (`build` puts them there; [`Trie::check_root`] checks it): they must exist. This
        // runs on every conversion call, so it checks no more than that.
        let firsts = u32::from_le(firsts) as usize;
        if firsts >= units || u32::from_le(bases[0]) & BASE != 0 {
            return Err("the trie's root is not laid out as the header says".into());
        }
        Ok(Trie {
            firsts,
            ascii,
            top,
            blocks,
            bases,
            checks,
            values,
        })
    }

    /// Checks that the root's children are units 1 to `firsts`, as the walk assumes (done once,
    /// when a table is loaded: a trie that fails it would give wrong matches).
    pub fn check_root(&self) -> Result<(), String> {
        match (1..=self.firsts).find(|&t| self.check(t) != Some(t)) {
            Some(t) => Err(format!("the trie's root has no child at unit {t}")),
            None => Ok(()),
        }
    }

    /// The check of unit `t`: the code of the edge into it (0 for a free unit).
    #[inline(always)]
    fn check(&self, t: usize) -> Option<usize> {
        let word = u32::from_le(*self.checks.get(t / 2)?);
        Some((word >> (16 * (t % 2)) & 0xFFFF) as usize)
    }

    /// The code of character `c`; 0 when no key holds it.
    #[inline(always)]
    fn code(&self, c: u32) -> usize {
        let c = c as usize;
        match self.top.get(c / BLOCK) {
            Some(&b) => self
                .blocks
                .get(u32::from_le(b) as usize * BLOCK + c % BLOCK)
                .map_or(0, |&k| u32::from_le(k) as usize),
            None => 0,
        }
    }

    /// The code of the character at byte `i` of `text`, and the character's length.
    #[inline(always)]
    fn code_at(&self, text: &[u8], i: usize) -> (usize, usize) {
        let (c, len) = decode(text, i);
        (self.code(c), len)
    }

    /// The child by code `code` of the unit whose base word is `base`, with its base word.
    #[inline(always)]
    fn child(&self, base: u32, code: usize) -> Option<(usize, u32)> {
        if code == 0 {
            return None;
        }
        let t = (base & BASE) as usize + code;
        // `new` saw an even unit count: a unit with a check has a base.
        (self.check(t)? == code).then(|| (t, u32::from_le(self.bases[t])))
    }

    /// The longest key that starts at byte `at` of `text` (a character boundary), as
    /// `(end, value)`. The tests check walks with it; [`Trie::scan`] is what converts.
    #[cfg(test)]
    pub fn longest(&self, text: &[u8], at: usize) -> Option<(usize, u32)> {
        let (code, len) = self.code_at(text, at);
        self.walk(text, at + len, code).best
    }

    /// Walks from the root by `code` (of the character that ends at byte `j`), then by the
    /// characters from `j` on.
    #[inline(always)]
    fn walk(&self, text: &[u8], mut j: usize, code: usize) -> Walk {
        // The root's base is 0 and its children are units 1 to `firsts` (`new` checks that
        // they exist, `check_root` that they are the root's).
        if code == 0 || code > self.firsts {
            return Walk {
                best: None,
                stop: j,
                after: None,
            };
        }
        let (mut u, mut base) = (code, u32::from_le(self.bases[code]));
        // The deepest unit that ends a key, and where: chosen without a branch (whether a
        // prefix is a key is as good as random), its value read once, at the end.
        let (mut best_u, mut best_j) = (usize::MAX, 0);
        let found = |best_u: usize, best_j: usize| {
            (best_u != usize::MAX).then(|| {
                let v = self
                    .values
                    .get(best_u)
                    .map_or(u32::MAX, |&v| u32::from_le(v));
                (best_j, v)
            })
        };
        loop {
            let is_key = base & IS_KEY != 0;
            best_u = if is_key { u } else { best_u };
            best_j = if is_key { j } else { best_j };
            if base & HAS_CHILDREN == 0 || j >= text.len() {
                return Walk {
                    best: found(best_u, best_j),
                    stop: j,
                    after: None,
                };
            }
            let (code, len) = self.code_at(text, j);
            match self.child(base, code) {
                Some((t, b)) => (u, base) = (t, b),
                None => {
                    return Walk {
                        best: found(best_u, best_j),
                        stop: j,
                        after: Some((code, len)),
                    }
                }
            }
            j += len;
        }
    }

    /// Calls `f(start, end, value)` for the leftmost-longest matches in `text` (forward maximum
    /// matching) that start at or before byte `limit`. `f` returns where the match really ends
    /// (`end`, or an earlier character boundary after `start`): the scan goes on from there.
    #[inline]
    pub fn scan(&self, text: &str, limit: usize, mut f: impl FnMut(usize, usize, u32) -> usize) {
        let text = text.as_bytes();
        let mut pos = 0;
        // The code and length of the character at `pos`, when a walk has read it already.
        let mut known = None;
        while pos < text.len() && pos <= limit {
            let (code, len) = match known.take() {
                Some(k) => k,
                None => {
                    let b = text[pos];
                    if b < 0x80 && self.ascii & (1 << b) == 0 {
                        // Plain ASCII (Latin text, markup, code): no key holds it.
                        pos += 1;
                        continue;
                    }
                    self.code_at(text, pos)
                }
            };
            let Walk { best, stop, after } = self.walk(text, pos + len, code);
            let next = match best {
                Some((end, v)) => {
                    let next = f(pos, end, v);
                    debug_assert!(pos < next && next <= end);
                    next
                }
                None => pos + len,
            };
            if next == stop {
                known = after;
            }
            pos = next;
        }
    }
}

/// The character at byte `i` of UTF-8 `text` (a character boundary) and its length.
#[inline(always)]
fn decode(text: &[u8], i: usize) -> (u32, usize) {
    let b = text[i];
    if b < 0x80 {
        return (u32::from(b), 1);
    }
    let cont = |k: usize| u32::from(text.get(i + k).copied().unwrap_or(0) & 0x3f);
    if b < 0xe0 {
        ((u32::from(b & 0x1f) << 6) | cont(1), 2)
    } else if b < 0xf0 {
        ((u32::from(b & 0x0f) << 12) | (cont(1) << 6) | cont(2), 3)
    } else {
        (
            (u32::from(b & 0x07) << 18) | (cont(1) << 12) | (cont(2) << 6) | cont(3),
            4,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::{build, Trie};
    use proptest::prelude::*;

    /// The plain definition: the longest key that `text[at..]` starts with.
    fn naive(keys: &[String], text: &str, at: usize) -> Option<(usize, u32)> {
        keys.iter()
            .enumerate()
            .filter(|(_, k)| text[at..].starts_with(k.as_str()))
            .max_by_key(|(_, k)| k.len())
            .map(|(i, k)| (at + k.len(), i as u32))
    }

    fn check(keys: &[String], text: &str) {
        let words = build(keys).unwrap();
        let trie = Trie::new(&words).unwrap();
        for (at, _) in text.char_indices() {
            assert_eq!(
                trie.longest(text.as_bytes(), at),
                naive(keys, text, at),
                "keys {keys:?}, text {text:?} at {at}"
            );
        }
        // The scan: forward maximum matching, stopping after `limit`.
        for limit in [0, text.len() / 2, text.len()] {
            let mut want = Vec::new();
            let mut at = 0;
            while at < text.len() && at <= limit {
                match naive(keys, text, at) {
                    Some((end, v)) => {
                        want.push((at, end, v));
                        at = end;
                    }
                    None => at += text[at..].chars().next().unwrap().len_utf8(),
                }
            }
            let mut got = Vec::new();
            trie.scan(text, limit, |s, e, v| {
                got.push((s, e, v));
                e
            });
            assert_eq!(got, want, "keys {keys:?}, text {text:?}, limit {limit}");
        }
    }

    #[test]
    fn longest_key_wins() {
        let keys: Vec<String> = [
            "干",
            "干燥",
            "干燥剂",
            "a",
            "ab",
            "abc",
            "𠀋",
            "𠀋干",
            "头发",
        ]
        .map(String::from)
        .to_vec();
        check(&keys, "干燥剂干燥干头发头abcab𠀋干𠀋 x");
        assert!(build(&["".to_string()]).is_err());
        assert!(build(&["干".to_string(), "干".to_string()]).is_err());
        assert!(Trie::new(&[1, 2, 3]).is_err());
    }

    #[test]
    fn bases_are_distinct_and_codes_fit_the_checks() {
        // Many keys sharing characters, so that placement has to skip taken bases.
        let chars: Vec<char> = ('\u{4E00}'..'\u{4F00}').collect();
        let keys: Vec<String> = (0..3000)
            .map(|i| {
                let a = chars[i % chars.len()];
                let b = chars[(i * 7 + 3) % chars.len()];
                let c = chars[(i * 13 + 5) % chars.len()];
                [a, b, c][..1 + i % 3].iter().collect()
            })
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let words = build(&keys).unwrap();
        let trie = Trie::new(&words).unwrap();
        let mut bases = std::collections::HashSet::new();
        for &b in trie.bases {
            if b & super::HAS_CHILDREN != 0 {
                assert!(
                    bases.insert(b & super::BASE),
                    "base {} twice",
                    b & super::BASE
                );
            }
        }
        for (i, k) in keys.iter().enumerate() {
            assert_eq!(
                trie.longest(k.as_bytes(), 0),
                Some((k.len(), i as u32)),
                "{k}"
            );
        }
        trie.check_root().unwrap();
        // One code per distinct character must fit in 16 bits.
        let many: Vec<String> = (0x10000..0x20000u32)
            .filter_map(char::from_u32)
            .map(String::from)
            .collect();
        assert!(build(&many).is_err());
    }

    #[test]
    fn characters_that_start_keys_come_first() {
        // 乙 and 戊 start no key, though 乙 is in more keys than any other character.
        let keys: Vec<String> = ["甲乙", "丙", "丁乙丙", "乙戊", "丁乙"]
            .iter()
            .map(|k| k.to_string())
            .collect();
        let words = build(&keys).unwrap();
        let trie = Trie::new(&words).unwrap();
        assert_eq!(trie.firsts, 4);
        let code = |c: char| trie.code(c as u32);
        assert!(code('乙') <= 4 && code('丁') <= 4 && code('甲') <= 4 && code('丙') <= 4);
        assert_eq!(code('戊'), 5);
        trie.check_root().unwrap();
        for (i, k) in keys.iter().enumerate() {
            assert_eq!(
                trie.longest(k.as_bytes(), 0),
                Some((k.len(), i as u32)),
                "{k}"
            );
        }
        assert_eq!(trie.longest("戊".as_bytes(), 0), None);
        // A header that claims more first characters than the root has fails the check.
        let mut bad = words.clone();
        bad[super::HEADER - 1] = 5;
        assert!(Trie::new(&bad).unwrap().check_root().is_err());
    }

    proptest! {
        #[test]
        fn matches_the_plain_definition(
            keys in proptest::collection::btree_set("[a-c干燥剂头发𠀋é]{1,4}", 0..40),
            text in "[a-d干燥剂头发𠀋é ]{0,40}",
        ) {
            let keys: Vec<String> = keys.into_iter().collect();
            check(&keys, &text);
        }
    }
}
