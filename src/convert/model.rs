//! OpenCC's conversion semantics, written plainly (hash maps, one position at a time).
//!
//! This module is the *definition* the fast engine is checked against, and it is also what builds
//! the fast engine's tables: `build.rs` includes this file with `#[path]`, so it must only use
//! `std`. Nothing here is on a hot path.
//!
//! The semantics, as OpenCC 1.4 implements them:
//! - a config is an optional normalization dictionary, an optional segmentation dictionary and a
//!   conversion chain of dictionaries;
//! - segmentation ("mmseg") is forward maximum matching: at each position take the longest key of
//!   the segmentation dictionary as a segment; characters where no key matches gather into one
//!   segment until the next match;
//! - every segment then goes through the chain on its own: each chain step converts the segment
//!   by forward maximum matching with its dictionary (unmatched characters are copied);
//! - without segmentation the whole text is one segment;
//! - a `union` group matches the longest key of any member (on equal length the earlier member
//!   wins); a `short_circuit` group takes the longest match of the first member that has any
//!   match at this position;
//! - an entry with several values (`A B C`) converts to its first value.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// How a group of dictionaries chooses between its members.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Policy {
    /// The first member with any match at a position decides.
    ShortCircuit,
    /// The longest match of any member decides; ties go to the earlier member.
    Union,
}

/// A dictionary expression from an OpenCC config: a named file or a group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DictExpr {
    /// One dictionary, by file stem (`STPhrases`).
    File(String),
    /// A group of dictionaries with a match policy.
    Group(Policy, Vec<DictExpr>),
}

/// The structure of one OpenCC config.
#[derive(Clone, Debug)]
pub struct ConfigSpec {
    /// Config name (`s2twp`).
    pub name: String,
    /// Normalization dictionary applied to the whole text first, if any.
    pub normalization: Option<DictExpr>,
    /// Segmentation dictionary, if the config segments.
    pub segmentation: Option<DictExpr>,
    /// The conversion chain.
    pub chain: Vec<DictExpr>,
}

/// A plain dictionary: key -> first value.
pub type Dict = HashMap<String, String>;

/// Parses OpenCC's text dictionary format: `key<TAB>value[ value...]` per line. Blank lines and
/// lines starting with `#` are ignored. Returns entries in file order (a later duplicate key is
/// ignored, as OpenCC keeps the first).
pub fn parse_dict(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut entries = Vec::new();
    let mut seen = HashSet::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((key, values)) = line.split_once('\t') else {
            return Err(format!(
                "line {}: expected `key<TAB>value`, found {:?}",
                i + 1,
                line
            ));
        };
        let value = values.split(' ').find(|v| !v.is_empty()).unwrap_or("");
        if key.is_empty() || value.is_empty() {
            return Err(format!("line {}: empty key or value", i + 1));
        }
        if seen.insert(key.to_string()) {
            entries.push((key.to_string(), value.to_string()));
        }
    }
    Ok(entries)
}

/// Flattens a dictionary expression into one map such that forward maximum matching over the
/// map gives, at every position, exactly what the expression's `MatchPrefix` gives.
///
/// - `union`: all keys; on a duplicate key the earlier member's value.
/// - `short_circuit`: a later member's key is dropped when an earlier member has a key that is a
///   prefix of it (or equal to it), because whenever the later key matches, the earlier member
///   has a match too and wins.
pub fn flatten(expr: &DictExpr, load: &dyn Fn(&str) -> Dict) -> BTreeMap<String, String> {
    match expr {
        DictExpr::File(name) => load(name).into_iter().collect(),
        DictExpr::Group(policy, members) => {
            let mut out: BTreeMap<String, String> = BTreeMap::new();
            let mut earlier: HashSet<String> = HashSet::new();
            for member in members {
                let flat = flatten(member, load);
                for (k, v) in &flat {
                    match policy {
                        Policy::Union => {
                            out.entry(k.clone()).or_insert_with(|| v.clone());
                        }
                        Policy::ShortCircuit => {
                            if !has_prefix_in(k, &earlier) {
                                out.insert(k.clone(), v.clone());
                            }
                        }
                    }
                }
                if *policy == Policy::ShortCircuit {
                    earlier.extend(flat.into_keys());
                }
            }
            out
        }
    }
}

fn has_prefix_in(key: &str, set: &HashSet<String>) -> bool {
    key.char_indices()
        .map(|(i, c)| &key[..i + c.len_utf8()])
        .any(|p| set.contains(p))
}

/// A dictionary ready for forward maximum matching.
pub struct Matcher {
    map: HashMap<String, String>,
    max_chars: usize,
}

impl Matcher {
    /// Builds a matcher over `map`.
    pub fn new(map: BTreeMap<String, String>) -> Matcher {
        let max_chars = map.keys().map(|k| k.chars().count()).max().unwrap_or(0);
        Matcher {
            map: map.into_iter().collect(),
            max_chars,
        }
    }

    /// Longest key that is a prefix of `text`: (its byte length, its value).
    pub fn match_prefix<'a>(&'a self, text: &str) -> Option<(usize, &'a str)> {
        let mut ends: Vec<usize> = text
            .char_indices()
            .take(self.max_chars)
            .map(|(i, c)| i + c.len_utf8())
            .collect();
        while let Some(end) = ends.pop() {
            if let Some(v) = self.map.get(&text[..end]) {
                return Some((end, v));
            }
        }
        None
    }

    /// Forward maximum matching over all of `text`.
    pub fn convert(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut pos = 0;
        while pos < text.len() {
            match self.match_prefix(&text[pos..]) {
                Some((len, v)) => {
                    out.push_str(v);
                    pos += len;
                }
                None => {
                    let c = text[pos..].chars().next().unwrap();
                    out.push(c);
                    pos += c.len_utf8();
                }
            }
        }
        out
    }

    /// Splits `text` into segments by forward maximum matching: each matched key is a segment,
    /// and each maximal run of characters where no key matches is one segment too.
    pub fn segment<'t>(&self, text: &'t str) -> Vec<&'t str> {
        let mut segs = Vec::new();
        let mut pos = 0;
        let mut gap_start = 0;
        while pos < text.len() {
            match self.match_prefix(&text[pos..]) {
                Some((len, _)) => {
                    if gap_start < pos {
                        segs.push(&text[gap_start..pos]);
                    }
                    segs.push(&text[pos..pos + len]);
                    pos += len;
                    gap_start = pos;
                }
                None => pos += text[pos..].chars().next().unwrap().len_utf8(),
            }
        }
        if gap_start < pos {
            segs.push(&text[gap_start..pos]);
        }
        segs
    }

    /// All keys.
    pub fn keys(&self) -> impl Iterator<Item = &String> {
        self.map.keys()
    }
}

/// What the fast engine is built from (see [`NaiveConverter::engine_tables`]).
pub struct EngineTables {
    /// Segmentation keys (or, without segmentation, the single step's keys) -> output.
    pub main: BTreeMap<String, String>,
    /// Run characters -> (output through the chain, may start a multi-character key).
    pub gap: BTreeMap<String, (String, bool)>,
    /// Pairs of adjacent run characters that may start a multi-character key of some step
    /// (`(c, '\0')`: `c` may start one whatever follows), sorted.
    pub pairs: Vec<(char, char)>,
    /// The chain's steps, flattened, for runs that hold such a pair.
    pub stages: Vec<BTreeMap<String, String>>,
}

/// A config with its dictionaries loaded, converting the plain (slow, obviously right) way.
pub struct NaiveConverter {
    normalization: Option<Matcher>,
    segmentation: Option<Matcher>,
    chain: Vec<Matcher>,
}

impl NaiveConverter {
    /// Loads `spec` with dictionaries from `load`.
    pub fn new(spec: &ConfigSpec, load: &dyn Fn(&str) -> Dict) -> NaiveConverter {
        NaiveConverter {
            normalization: spec
                .normalization
                .as_ref()
                .map(|e| Matcher::new(flatten(e, load))),
            segmentation: spec
                .segmentation
                .as_ref()
                .map(|e| Matcher::new(flatten(e, load))),
            chain: spec
                .chain
                .iter()
                .map(|e| Matcher::new(flatten(e, load)))
                .collect(),
        }
    }

    /// Runs only the conversion chain over one segment.
    pub fn convert_segment(&self, segment: &str) -> String {
        let mut s = segment.to_string();
        for step in &self.chain {
            s = step.convert(&s);
        }
        s
    }

    /// Converts `text` exactly as OpenCC does.
    pub fn convert(&self, text: &str) -> String {
        let normalized = match &self.normalization {
            Some(n) => n.convert(text),
            None => text.to_string(),
        };
        match &self.segmentation {
            None => self.convert_segment(&normalized),
            Some(seg) => seg
                .segment(&normalized)
                .into_iter()
                .map(|s| self.convert_segment(s))
                .collect(),
        }
    }

    /// The fast engine's tables.
    ///
    /// Without segmentation the chain has one step, `main` is that step's flattened map and
    /// the rest is empty. With segmentation, `main` maps every segmentation key to the chain's
    /// output for it; `gap_stages` are the chain's flattened steps, applied in turn to each run
    /// of characters between keys; and `gap_chars` gives, for every character a step could
    /// change or that could start a multi-character key of a step, its output through the chain
    /// and whether it is "dangerous": whether, in the chain, one of its images could start a
    /// multi-character key. A run without dangerous characters converts character by character.
    pub fn engine_tables(&self) -> Result<EngineTables, String> {
        let to_map = |m: &Matcher| -> BTreeMap<String, String> {
            m.map.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
        };
        let Some(seg) = &self.segmentation else {
            if self.chain.len() != 1 {
                return Err("a config without segmentation must have one chain step".into());
            }
            return Ok(EngineTables {
                main: to_map(&self.chain[0]),
                gap: BTreeMap::new(),
                pairs: Vec::new(),
                stages: Vec::new(),
            });
        };
        let main: BTreeMap<String, String> = seg
            .keys()
            .map(|k| (k.clone(), self.convert_segment(k)))
            .collect();
        // First characters of each step's multi-character keys.
        // The first step sees the run itself, where no segmentation key can match (the
        // segmenter would have taken it), so its keys that are segmentation keys never match
        // there.
        let starters: Vec<HashSet<char>> = self
            .chain
            .iter()
            .enumerate()
            .map(|(i, m)| {
                m.keys()
                    .filter(|k| k.chars().nth(1).is_some())
                    .filter(|k| i > 0 || !main.contains_key(*k))
                    .filter_map(|k| k.chars().next())
                    .collect()
            })
            .collect();
        let mut candidates: HashSet<char> = starters.iter().flatten().copied().collect();
        for m in &self.chain {
            candidates.extend(m.keys().filter_map(|k| {
                let mut cs = k.chars();
                let c = cs.next()?;
                cs.next().is_none().then_some(c)
            }));
        }
        // Each candidate's image before each step (per character: exact while no key of a
        // step spans characters, which is what the pairs below rule out).
        let mut images: Vec<(char, Vec<String>)> = Vec::new();
        for &c in &candidates {
            let mut img = vec![c.to_string()];
            for step in &self.chain {
                let next = step.convert(img.last().unwrap());
                img.push(next);
            }
            images.push((c, img));
        }
        // Characters whose image before step `i` starts with `x`.
        let preimages = |i: usize, x: char| -> Vec<char> {
            let mut v: Vec<char> = images
                .iter()
                .filter(|(_, img)| img[i].starts_with(x))
                .map(|(c, _)| *c)
                .collect();
            if !candidates.contains(&x) {
                v.push(x);
            }
            v
        };
        let mut pairs = BTreeSet::new();
        for (i, step) in self.chain.iter().enumerate() {
            for k in step.keys() {
                let mut cs = k.chars();
                let (Some(x), Some(y)) = (cs.next(), cs.next()) else {
                    continue;
                };
                if i == 0 && main.contains_key(k) {
                    continue;
                }
                let ys = preimages(i, y);
                for a in preimages(i, x) {
                    for &b in &ys {
                        pairs.insert((a, b));
                    }
                }
            }
        }
        // A character whose image grows to several characters holding a key's first character
        // could start a key by itself.
        for (c, img) in &images {
            for (i, first) in starters.iter().enumerate() {
                if img[i].chars().nth(1).is_some() && img[i].chars().any(|x| first.contains(&x)) {
                    pairs.insert((*c, '\0'));
                }
            }
        }
        let dangerous: HashSet<char> = pairs.iter().map(|(a, _)| *a).collect();
        let mut gap = BTreeMap::new();
        for (c, img) in &images {
            let key = c.to_string();
            if !main.contains_key(&key) {
                gap.insert(key, (img.last().unwrap().clone(), dangerous.contains(c)));
            }
        }
        // The first step only ever sees runs, where no segmentation key matches: leave those
        // keys out of its table (for the s2* configs that shrinks it to the character table).
        let mut stages: Vec<BTreeMap<String, String>> = self.chain.iter().map(to_map).collect();
        if let Some(first) = stages.first_mut() {
            first.retain(|k, _| !main.contains_key(k));
        }
        Ok(EngineTables {
            main,
            gap,
            pairs: pairs.into_iter().collect(),
            stages,
        })
    }

    /// Whether the config segments first.
    pub fn segmented(&self) -> bool {
        self.segmentation.is_some()
    }

    /// The normalization map (all keys are single characters in OpenCC 1.4).
    pub fn normalization_table(&self) -> BTreeMap<String, String> {
        match &self.normalization {
            Some(n) => n.map.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            None => BTreeMap::new(),
        }
    }
}

/// Parses an OpenCC JSON config's dictionary node (already parsed into a generic tree by the
/// caller) given accessors, so that this module needs no JSON library.
pub fn file_stem(file: &str) -> String {
    file.trim_end_matches(".ocd2")
        .trim_end_matches(".txt")
        .to_string()
}
