//! The serialized form of the fused conversion tables, shared by `build.rs` (through `#[path]`)
//! and the library (for tables built at run time from user dictionaries).
//!
//! Configs whose tables have the same multi-character keys share one automaton (the five
//! `s2*` configs share one, the five `*2s` configs another): an automaton maps each key to its
//! index in a sorted key list, and each config has its own array of packed outputs by index.
//! A key absent from a config is a single character there, and a single-character key that
//! converts to itself changes nothing in forward maximum matching, so sharing is exact.
//!
//! Automaton: a trie (`trie.rs`) over the keys (single characters first), value = key index.
//! Outputs: `u32 LE` longest key in characters, `u32 LE` key count `n`, `n` packed values
//! (`u32 LE`), `u32 LE` blob length, the blob (distinct outputs, concatenated), `u32 LE` pair
//! count and the sorted pairs of dangerous adjacent run characters (two `u32 LE` each).
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Set when the key converts to itself (the output is the matched input).
pub const IDENTITY_BIT: u32 = 1 << 31;
/// Set when the key is a single character that is not a key of this table: either it is only in
/// the shared automaton for another config (then `IDENTITY_BIT` is set too), or, in a
/// segmenting config's main table, it is a character of the runs between segmentation keys,
/// with its output through the whole chain. Plain tables treat it as no match.
pub const GAP_BIT: u32 = 1 << 30;
/// With `GAP_BIT`: the character may start a multi-character key somewhere in the chain, so a
/// run holding it must go through the chain's steps.
pub const DANGER_BIT: u32 = 1 << 29;
/// Output length in bytes sits in bits 23..29.
pub const LEN_SHIFT: u32 = 23;
/// Longest output a packed value can describe.
pub const LEN_MAX: u32 = 0x3f;
/// Largest output offset a packed value can describe.
pub const OFFSET_MAX: u32 = (1 << 23) - 1;

/// The keys an automaton must hold for a set of tables that share it: all of their keys, the
/// single characters first.
#[allow(clippy::type_complexity)]
pub fn shared_keys<'a>(
    tables: impl IntoIterator<
        Item = (
            &'a BTreeMap<String, String>,
            &'a BTreeMap<String, (String, bool)>,
        ),
    >,
) -> Vec<String> {
    let mut keys = BTreeSet::new();
    for (t, gap) in tables {
        keys.extend(t.keys().cloned());
        keys.extend(gap.keys().cloned());
    }
    // Single characters first: nearly every character of a text is one of those keys, and
    // their values then lie together (a few dozen KB) instead of among the phrases'.
    let (mut keys, multi): (Vec<String>, Vec<String>) =
        keys.into_iter().partition(|k| k.chars().nth(1).is_none());
    keys.extend(multi);
    keys
}

/// The multi-character keys of a table: tables with equal sets may share an automaton.
pub fn multi_char_keys(table: &BTreeMap<String, String>) -> Vec<&str> {
    table
        .keys()
        .filter(|k| k.chars().nth(1).is_some())
        .map(|k| k.as_str())
        .collect()
}

/// Packs `table`'s outputs in the order of `keys` (which must include all of `table`'s and
/// `gap`'s keys; other keys must be single characters, which are marked absent). `gap` holds a
/// segmenting config's run characters: (output through the chain, dangerous).
pub fn compile_outputs(
    keys: &[String],
    table: &BTreeMap<String, String>,
    gap: &BTreeMap<String, (String, bool)>,
    pairs: &[(char, char)],
) -> Result<Vec<u8>, String> {
    let mut blob = String::new();
    let mut values = Vec::with_capacity(keys.len());
    let mut dedup: HashMap<&str, u32> = HashMap::new();
    for k in keys {
        let (flags, v) = match (table.get(k), gap.get(k)) {
            (Some(v), _) => (0, v),
            (None, Some((v, danger))) => (GAP_BIT | if *danger { DANGER_BIT } else { 0 }, v),
            (None, None) if k.chars().nth(1).is_some() => {
                return Err(format!("shared key {k:?} missing from a table"));
            }
            (None, None) => (GAP_BIT, k),
        };
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
    let max_chars = table.keys().map(|k| k.chars().count()).max().unwrap_or(0) as u32;
    let mut bytes = Vec::with_capacity(12 + values.len() * 4 + blob.len());
    bytes.extend_from_slice(&max_chars.to_le_bytes());
    bytes.extend_from_slice(&(values.len() as u32).to_le_bytes());
    for v in &values {
        bytes.extend_from_slice(&v.to_le_bytes());
    }
    bytes.extend_from_slice(&(blob.len() as u32).to_le_bytes());
    bytes.extend_from_slice(blob.as_bytes());
    bytes.extend_from_slice(&(pairs.len() as u32).to_le_bytes());
    for (a, b) in pairs {
        bytes.extend_from_slice(&(*a as u32).to_le_bytes());
        bytes.extend_from_slice(&(*b as u32).to_le_bytes());
    }
    Ok(bytes)
}
