//! Builds the conversion tables from OpenCC's text dictionaries (`dict/opencc/`).
//!
//! For every config, the whole OpenCC pipeline (groups, segmentation, conversion chain) is fused
//! into one table that forward maximum matching can use in a single pass (see
//! `src/convert/model.rs` for why that is exact), and its keys are compiled into a serialized
//! trie (`src/convert/trie.rs`). The library embeds the results with `include_bytes!`, so the
//! binary needs no files at run time and starts without building anything.

#[path = "src/convert/model.rs"]
mod model;
#[path = "src/convert/pack.rs"]
mod pack;
#[path = "src/convert/spec_json.rs"]
mod spec_json;
#[path = "src/convert/trie.rs"]
mod trie;

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::path::{Path, PathBuf};

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let dict_dir = root.join("dict/opencc");
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    println!("cargo:rerun-if-changed=dict/opencc");
    println!("cargo:rerun-if-changed=src/convert/model.rs");
    println!("cargo:rerun-if-changed=src/convert/spec_json.rs");
    println!("cargo:rerun-if-changed=src/convert/pack.rs");
    println!("cargo:rerun-if-changed=src/convert/trie.rs");

    // Pre-load every dictionary so the closure handed to the model can be `Fn`.
    let mut names: Vec<String> = fs::read_dir(&dict_dir)
        .unwrap()
        .filter_map(|e| {
            let p = e.ok()?.path();
            (p.extension()? == "txt").then(|| p.file_stem()?.to_str().map(String::from))?
        })
        .collect();
    names.sort();
    let dicts: HashMap<String, model::Dict> = names
        .iter()
        .map(|n| {
            let path = dict_dir.join(format!("{n}.txt"));
            let text = fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
            let entries =
                model::parse_dict(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            (n.clone(), entries.into_iter().collect())
        })
        .collect();
    let load = |name: &str| -> model::Dict {
        dicts
            .get(name)
            .cloned()
            .unwrap_or_else(|| panic!("unknown dictionary {name}"))
    };

    let mut config_names: Vec<String> = fs::read_dir(dict_dir.join("configs"))
        .unwrap()
        .filter_map(|e| {
            let p = e.ok()?.path();
            (p.extension()? == "json").then(|| p.file_stem()?.to_str().map(String::from))?
        })
        .collect();
    config_names.sort();

    let mut normalization: Option<BTreeMap<String, String>> = None;
    // Every table the engine needs: (config, main table, gap stage tables).
    type Gap = BTreeMap<String, (String, bool)>;
    type Pairs = Vec<(char, char)>;
    let mut tables: Vec<(BTreeMap<String, String>, Gap, Pairs)> = Vec::new();
    let mut configs: Vec<(String, usize, Vec<usize>, bool)> = Vec::new();
    let mut intern = |t: (BTreeMap<String, String>, Gap, Pairs)| -> usize {
        match tables.iter().position(|x| *x == t) {
            Some(i) => i,
            None => {
                tables.push(t);
                tables.len() - 1
            }
        }
    };
    for name in &config_names {
        let json =
            fs::read_to_string(dict_dir.join("configs").join(format!("{name}.json"))).unwrap();
        let spec = spec_json::parse_config(name, &json).unwrap();
        let naive = model::NaiveConverter::new(&spec, &load);
        let model::EngineTables {
            main,
            gap,
            pairs,
            stages,
        } = naive
            .engine_tables()
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let norm = naive.normalization_table();
        match &normalization {
            None => normalization = Some(norm),
            Some(n) => assert!(
                n == &norm,
                "{name}: all configs must share one normalization"
            ),
        }
        let main = intern((main, gap, pairs));
        let stages = stages
            .into_iter()
            .map(|t| intern((t, Gap::new(), Pairs::new())))
            .collect();
        configs.push((name.clone(), main, stages, naive.segmented()));
    }

    // Tables with the same multi-character keys share one automaton over all their keys.
    let mut groups: Vec<(Vec<&str>, Vec<usize>)> = Vec::new();
    // Plain tables and segmenting main tables (which carry run characters) are kept apart: a
    // plain table would only pay for the other's extra single-character keys.
    for (i, (table, gap, _)) in tables.iter().enumerate() {
        let mut multi = pack::multi_char_keys(table);
        if !gap.is_empty() {
            multi.push("\u{0}segmented");
        }
        match groups.iter_mut().find(|(m, _)| *m == multi) {
            Some((_, members)) => members.push(i),
            None => groups.push((multi, vec![i])),
        }
    }
    let mut registry = String::from("// Generated by build.rs.\n");
    // Each trie is read in place as `u32` words, so it is embedded 4-aligned.
    registry.push_str("#[repr(C, align(4))]\nstruct Aligned<const N: usize>([u8; N]);\n");
    let mut group_of = vec![0usize; tables.len()];
    let mut group_keys = Vec::new();
    let mut tries = String::new();
    for (g, (_, members)) in groups.iter().enumerate() {
        let keys = pack::shared_keys(
            members
                .iter()
                .map(|&i| (&tables[i].0, &tables[i].1, tables[i].2.as_slice())),
        );
        let bytes = trie::to_bytes(&trie::build(&keys).unwrap());
        fs::write(out.join(format!("trie{g}.bin")), &bytes).unwrap();
        registry.push_str(&format!(
            "static TRIE{g}: Aligned<{}> = Aligned(*include_bytes!(concat!(env!(\"OUT_DIR\"), \"/trie{g}.bin\")));\n",
            bytes.len()
        ));
        tries.push_str(&format!("    &TRIE{g}.0,\n"));
        for &i in members {
            group_of[i] = g;
        }
        group_keys.push(keys);
    }
    registry.push_str("pub(crate) static TRIES: &[&[u8]] = &[\n");
    registry.push_str(&tries);
    registry.push_str("];\n");
    registry.push_str("pub(crate) static TABLES: &[(usize, &[u8])] = &[\n");
    for (i, (table, gap, pairs)) in tables.iter().enumerate() {
        let g = group_of[i];
        let bytes = pack::compile_outputs(&group_keys[g], table, gap, pairs)
            .unwrap_or_else(|e| panic!("table {i}: {e}"));
        fs::write(out.join(format!("table{i}.out")), bytes).unwrap();
        registry.push_str(&format!(
            "    ({g}, include_bytes!(concat!(env!(\"OUT_DIR\"), \"/table{i}.out\"))),\n"
        ));
    }
    registry.push_str("];\n");
    registry.push_str("pub(crate) static BUILTIN: &[super::Builtin] = &[\n");
    for (name, main, stages, segmented) in &configs {
        registry.push_str(&format!(
            "    super::Builtin {{ name: {name:?}, main: {main}, stages: &{stages:?}, segmented: {segmented}, json: include_str!(concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/dict/opencc/configs/{name}.json\")) }},\n"
        ));
    }
    registry.push_str("];\n");

    // Normalization: OpenCC 1.4 maps single CJK compatibility ideographs; check that, since the
    // engine relies on it to skip the pass on text without them.
    let norm = normalization.unwrap_or_default();
    registry.push_str("pub(crate) static NORMALIZATION: &[(char, char)] = &[\n");
    for (k, v) in &norm {
        let mut cs = k.chars();
        let c = cs.next().unwrap();
        assert!(
            cs.next().is_none(),
            "normalization key {k:?} is not one character"
        );
        assert!(
            ('\u{F900}'..='\u{FAFF}').contains(&c) || ('\u{2F800}'..='\u{2FA1F}').contains(&c),
            "normalization key {k:?} outside the compatibility blocks"
        );
        assert_eq!(
            v.chars().count(),
            1,
            "normalization of {k:?} is not one character"
        );
        registry.push_str(&format!("    ({c:?}, {:?}),\n", v.chars().next().unwrap()));
    }
    registry.push_str("];\n");

    // Script detection: characters that the S->T table changes are Simplified forms, those the
    // T->S table changes are Traditional forms; a character in both says nothing.
    let st = load("STCharacters");
    let ts = load("TSCharacters");
    let simp: Vec<u32> = sorted_changed(&st, &ts);
    let trad: Vec<u32> = sorted_changed(&ts, &st);
    registry.push_str(&format!(
        "pub(crate) static SIMPLIFIED_ONLY: &[u32] = &{simp:?};\n"
    ));
    registry.push_str(&format!(
        "pub(crate) static TRADITIONAL_ONLY: &[u32] = &{trad:?};\n"
    ));
    // The same for U+3400..U+FFFF as a table, a lookup per character when counting: 1 for a
    // Simplified form, 2 for a Traditional one.
    let mut telling = vec![0u8; 0x10000 - 0x3400];
    for (list, tag) in [(&trad, 2u8), (&simp, 1u8)] {
        for &c in list.iter().filter(|&&c| (0x3400..0x10000).contains(&c)) {
            telling[(c - 0x3400) as usize] = tag;
        }
    }
    fs::write(out.join("telling.bin"), &telling).unwrap();
    registry.push_str(
        "pub(crate) static TELLING_BMP: &[u8; 0xCC00] = include_bytes!(concat!(env!(\"OUT_DIR\"), \"/telling.bin\"));\n",
    );

    // Every dictionary's text, for user dictionaries (the fused table is rebuilt at run time).
    registry.push_str("pub(crate) static DICTS: &[(&str, &str)] = &[\n");
    for n in &names {
        registry.push_str(&format!(
            "    ({n:?}, include_str!(concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/dict/opencc/{n}.txt\"))),\n"
        ));
    }
    registry.push_str("];\n");
    write_if_changed(&out.join("registry.rs"), &registry);
    write_if_changed(&out.join("charsets.rs"), &charsets());
}

/// Bit sets (a bit per BMP code point) of GB2312 characters and of "common" characters (ASCII,
/// GB2312, Big5 level 1), for the repair stage: computed here so that start-up pays nothing.
fn charsets() -> String {
    let mut gb2312 = vec![0u64; 1024];
    let mut common = vec![0u64; 1024];
    let set = |bits: &mut Vec<u64>, c: char| {
        let c = c as usize;
        if c < 0x10000 {
            bits[c / 64] |= 1 << (c % 64);
        }
    };
    for a in 0xA1..=0xF7u8 {
        for b in 0xA1..=0xFEu8 {
            if let Some(s) =
                encoding_rs::GBK.decode_without_bom_handling_and_without_replacement(&[a, b])
            {
                if let Some(c) = s.chars().next() {
                    set(&mut gb2312, c);
                    set(&mut common, c);
                }
            }
        }
    }
    for a in 0xA4..=0xC6u8 {
        for b in (0x40..=0x7Eu8).chain(0xA1..=0xFE) {
            if a == 0xC6 && b > 0x7E {
                break;
            }
            if let Some(s) =
                encoding_rs::BIG5.decode_without_bom_handling_and_without_replacement(&[a, b])
            {
                if let Some(c) = s.chars().next() {
                    set(&mut common, c);
                }
            }
        }
    }
    for c in 0..0x80u8 {
        set(&mut common, c as char);
    }
    // GBK's and Big5's codes for every BMP code point (see `codes`).
    let gbk = codes(encoding_rs::GBK);
    let big5 = codes(encoding_rs::BIG5);
    format!(
        "// Generated by build.rs.\npub(crate) static GB2312_BITS: [u64; 1024] = {gb2312:?};\npub(crate) static COMMON_BITS: [u64; 1024] = {common:?};\npub(crate) static GBK_CODES: [u16; 0x10000] = {gbk:?};\npub(crate) static BIG5_CODES: [u16; 0x10000] = {big5:?};\n"
    )
}

/// `enc`'s code for every BMP code point, looked up by the repair stage instead of running
/// encoding_rs's encoder (for a character the encoding lacks, it searches the whole index): two
/// bytes as a big-endian u16, a single non-ASCII byte (GBK's 0x80, the euro sign) as itself, 0
/// for none. ASCII is left to the caller.
fn codes(enc: &'static encoding_rs::Encoding) -> Vec<u16> {
    let mut codes = vec![0u16; 0x10000];
    for (cp, code) in codes.iter_mut().enumerate().skip(0x80) {
        let Some(c) = char::from_u32(cp as u32) else {
            continue;
        };
        let mut buf = [0; 4];
        let (bytes, _, unmappable) = enc.encode(c.encode_utf8(&mut buf));
        *code = match (unmappable, &bytes[..]) {
            (false, &[b]) => u16::from(b),
            (false, &[a, b]) => u16::from_be_bytes([a, b]),
            _ => 0,
        };
    }
    codes
}

fn sorted_changed(a: &model::Dict, b: &model::Dict) -> Vec<u32> {
    let mut v: Vec<u32> = a
        .iter()
        .filter_map(|(k, val)| {
            let mut cs = k.chars();
            let c = cs.next()?;
            if cs.next().is_some() || val == k {
                return None;
            }
            // Present as a changing key on the other side too: ambiguous.
            if b.get(k).is_some_and(|w| w != k) {
                return None;
            }
            Some(c as u32)
        })
        .collect();
    v.sort_unstable();
    v
}

fn write_if_changed(path: &Path, content: &str) {
    if fs::read_to_string(path).ok().as_deref() != Some(content) {
        fs::write(path, content).unwrap();
    }
}
