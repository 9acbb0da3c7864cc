//! The serialized form of the fused conversion tables, shared by `build.rs` (through `#[path]`)
//! and the library (for tables built at run time from user dictionaries).
//!
//! Configs whose tables have the same multi-character keys share one automaton (the five
//! `s2*` configs share one, the five `*2s` configs another): an automaton maps each key to its
//! index in a sorted key list, and each config has its own array of packed outputs by index.
//! A key absent from a config is a single character there, and a single-character key that
//! converts to itself changes nothing in forward maximum matching, so sharing is exact.
//!
//! A segmenting config's automaton also holds "pair keys": two run characters `ab` such that,
//! in some config sharing the automaton, `a` followed by `b` may start a multi-character key of
//! a chain step (see [`PAIR_INDEX`]), and `a` starts some other multi-character key. The walk
//! from `a` reads the next character anyway, so forward maximum matching finds such a pair at
//! no cost, and the engine needs no lookup of its own to tell that the run must go through the
//! chain's steps. (For the s2* configs, whose segmentation keys start with nearly every
//! character, that is nearly every pair.) The other dangerous pairs are looked up.
//!
//! Automaton: a trie (`trie.rs`) over the keys (single characters first, pair keys last),
//! value = key index. Outputs: `u32 LE` longest key in characters, `u32 LE` key count `n`, `n`
//! packed values (`u32 LE`), `u32 LE` blob length, the blob (distinct outputs, concatenated),
//! `u32 LE` index of the first pair key (`n` when there are none), `u32 LE` pair count and the
//! sorted dangerous pairs of run characters that are not pair keys (two `u32 LE` each).
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Set when the key converts to itself (the output is the matched input).
pub const IDENTITY_BIT: u32 = 1 << 31;
/// Set when the key is a single character that is not a key of this table: either it is only in
/// the shared automaton for another config (then `IDENTITY_BIT` is set too), or, in a
/// segmenting config's main table, it is a character of the runs between segmentation keys,
/// with its output through the whole chain. Plain tables treat it as no match.
pub const GAP_BIT: u32 = 1 << 30;
/// With `GAP_BIT`: the character may start a multi-character key somewhere in the chain, with
/// the character after it in a pair that is not a pair key (or whatever follows it): the
/// engine looks the pair up. On a pair key: the pair may start such a key in this config.
pub const DANGER_BIT: u32 = 1 << 29;
/// The value of a pair key `ab` is the key index of `a` in these bits (plus `DANGER_BIT`): a
/// match of the pair stands for a match of `a` alone.
pub const PAIR_INDEX: u32 = DANGER_BIT - 1;
/// Output length in bytes sits in bits 23..29.
pub const LEN_SHIFT: u32 = 23;
/// Longest output a packed value can describe.
pub const LEN_MAX: u32 = 0x3f;
/// Largest output offset a packed value can describe.
pub const OFFSET_MAX: u32 = (1 << 23) - 1;

/// The keys an automaton must hold for a set of tables that share it (each with its run
/// characters and their dangerous pairs): all of their keys, the single characters first, then
/// the pair keys: the pairs that are not keys already and whose first character starts a
/// multi-character key.
#[allow(clippy::type_complexity)]
pub fn shared_keys<'a>(
    tables: impl IntoIterator<
        Item = (
            &'a BTreeMap<String, String>,
            &'a BTreeMap<String, (String, bool)>,
            &'a [(char, char)],
        ),
    >,
) -> Vec<String> {
    let mut keys = BTreeSet::new();
    let mut pair_keys = BTreeSet::new();
    for (t, gap, pairs) in tables {
        keys.extend(t.keys().cloned());
        keys.extend(gap.keys().cloned());
        pair_keys.extend(pairs.iter().filter_map(|&(a, b)| pair_key(a, b)));
    }
    let starters: BTreeSet<char> = keys
        .iter()
        .filter(|k| k.chars().nth(1).is_some())
        .filter_map(|k| k.chars().next())
        .collect();
    pair_keys.retain(|k: &String| starters.contains(&k.chars().next().expect("two characters")));
    // A pair stands for its first character: that must be a key too.
    keys.extend(
        pair_keys
            .iter()
            .map(|k| k.chars().take(1).collect::<String>()),
    );
    // Single characters first: nearly every character of a text is one of those keys, and
    // their values then lie together (a few dozen KB) instead of among the phrases'.
    let (mut out, multi): (Vec<String>, Vec<String>) = keys
        .iter()
        .cloned()
        .partition(|k| k.chars().nth(1).is_none());
    out.extend(multi);
    out.extend(pair_keys.into_iter().filter(|k| !keys.contains(k)));
    out
}

/// The pair key of a dangerous pair, if it can have one: `(c, '\0')` means that `c` is
/// dangerous whatever follows, which the engine's lookup answers.
fn pair_key(a: char, b: char) -> Option<String> {
    (b != '\0').then(|| [a, b].iter().collect())
}

/// The multi-character keys of a table: tables with equal sets may share an automaton.
pub fn multi_char_keys(table: &BTreeMap<String, String>) -> Vec<&str> {
    table
        .keys()
        .filter(|k| k.chars().nth(1).is_some())
        .map(|k| k.as_str())
        .collect()
}

/// Packs `table`'s outputs in the order of `keys` (from [`shared_keys`]: all of `table`'s and
/// `gap`'s keys; other keys are single characters, marked absent, or pair keys). `gap` holds a
/// segmenting config's run characters (the output through the chain is what counts here), and
/// `pairs` its dangerous pairs of run characters.
pub fn compile_outputs(
    keys: &[String],
    table: &BTreeMap<String, String>,
    gap: &BTreeMap<String, (String, bool)>,
    pairs: &[(char, char)],
) -> Result<Vec<u8>, String> {
    // The pair keys (multi-character keys of no table here; they come last), and the dangerous
    // pairs that are not pair keys: the engine looks those up.
    let pair_keys: BTreeSet<&str> = keys
        .iter()
        .map(|k| k.as_str())
        .filter(|&k| k.chars().nth(1).is_some() && !table.contains_key(k) && !gap.contains_key(k))
        .collect();
    let looked_up: Vec<(char, char)> = pairs
        .iter()
        .copied()
        .filter(|&(a, b)| pair_key(a, b).is_none_or(|k| !pair_keys.contains(k.as_str())))
        .collect();
    let looks_up: BTreeSet<char> = looked_up.iter().map(|&(a, _)| a).collect();
    let dangerous: BTreeSet<String> = pairs.iter().filter_map(|&(a, b)| pair_key(a, b)).collect();
    let index: HashMap<&str, u32> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| (k.as_str(), i as u32))
        .collect();
    let mut blob = String::new();
    let mut values = Vec::with_capacity(keys.len());
    let mut dedup: HashMap<&str, u32> = HashMap::new();
    let mut pair_start = None;
    for (i, k) in keys.iter().enumerate() {
        let (flags, v) = match (table.get(k), gap.get(k)) {
            (Some(v), _) => (0, v),
            (None, Some((v, _))) => {
                let first = k.chars().next().expect("keys are not empty");
                let danger = if looks_up.contains(&first) {
                    DANGER_BIT
                } else {
                    0
                };
                (GAP_BIT | danger, v)
            }
            (None, None) if k.chars().nth(1).is_some() => {
                // A pair key (they come last): the index of its first character, and whether
                // the pair is dangerous here.
                let first: String = k.chars().take(1).collect();
                let a = match index.get(first.as_str()) {
                    Some(&a) if k.chars().nth(2).is_none() && a <= PAIR_INDEX => a,
                    _ => return Err(format!("shared key {k:?} missing from a table")),
                };
                pair_start.get_or_insert(i);
                let danger = if dangerous.contains(k) { DANGER_BIT } else { 0 };
                values.push(danger | a);
                continue;
            }
            (None, None) => (GAP_BIT, k),
        };
        if pair_start.is_some() {
            return Err(format!("key {k:?} after the pair keys"));
        }
        let packed = if v == k {
            flags | IDENTITY_BIT
        } else {
            let len = v.len() as u32;
            if len > LEN_MAX {
                return Err(format!("output for {k:?} is longer than {LEN_MAX} bytes"));
            }
            let off = match dedup.get(v.as_str()) {
                Some(off) => *off,
                None => {
                    let off = blob.len() as u32;
                    blob.push_str(v);
                    dedup.insert(v.as_str(), off);
                    off
                }
            };
            if off > OFFSET_MAX {
                return Err("conversion outputs exceed 8 MiB".into());
            }
            flags | (len << LEN_SHIFT) | off
        };
        values.push(packed);
    }
    if table.len() > keys.len() || gap.len() > keys.len() {
        return Err("table has keys the automaton lacks".into());
    }
    let pair_start = pair_start.unwrap_or(keys.len());
    // A pair key is two characters long.
    let longest = table.keys().map(|k| k.chars().count()).max().unwrap_or(0);
    let max_chars = if pair_start < keys.len() {
        longest.max(2)
    } else {
        longest
    } as u32;
    let mut bytes = Vec::with_capacity(12 + values.len() * 4 + blob.len());
    bytes.extend_from_slice(&max_chars.to_le_bytes());
    bytes.extend_from_slice(&(values.len() as u32).to_le_bytes());
    for v in &values {
        bytes.extend_from_slice(&v.to_le_bytes());
    }
    bytes.extend_from_slice(&(blob.len() as u32).to_le_bytes());
    bytes.extend_from_slice(blob.as_bytes());
    bytes.extend_from_slice(&(pair_start as u32).to_le_bytes());
    bytes.extend_from_slice(&(looked_up.len() as u32).to_le_bytes());
    for (a, b) in looked_up {
        bytes.extend_from_slice(&(a as u32).to_le_bytes());
        bytes.extend_from_slice(&(b as u32).to_le_bytes());
    }
    Ok(bytes)
}
