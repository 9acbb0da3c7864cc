//! Simplified <-> Traditional conversion, exactly as OpenCC 1.4.2 converts.
//!
//! OpenCC's configs (normalization, mmseg segmentation, a chain of dictionary groups) are
//! compiled at build time: each dictionary group is flattened into one table, and for configs
//! that segment, every segmentation key's output through the whole chain is precomputed, so
//! converting is one forward maximum matching pass over a trie of the keys (`trie.rs`), plus the
//! chain's steps over the short runs of text between keys. `model.rs` holds the plain
//! definition of OpenCC's semantics that the tables are built from and tested against.
//!
//! ```
//! use zhtidy::convert::{Config, Converter};
//! let c = Converter::new(Config::S2twp);
//! assert_eq!(c.convert("鼠标和软件"), "滑鼠和軟體");
//! ```

#[doc(hidden)]
pub mod model;
mod pack;
pub mod region;
pub mod script;
mod spec_json;
mod stage;
mod table;
mod trie;

use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, OnceLock};

pub use script::{detect_script, Script, ScriptCounts};
pub use stage::ConvertStage;

use crate::error::{Error, ErrorKind, Result};
use table::{Engine, EngineState, Table};

mod registry {
    include!(concat!(env!("OUT_DIR"), "/registry.rs"));
}

macro_rules! configs {
    ($($variant:ident => $name:literal, $desc:literal;)*) => {
        /// One of OpenCC's 16 conversion configs.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Config {
            $(#[doc = $desc] $variant,)*
        }

        impl Config {
            /// Every config, in OpenCC's order of names.
            pub const ALL: &'static [Config] = &[$(Config::$variant,)*];

            /// OpenCC's name for the config (`s2twp`).
            pub fn name(self) -> &'static str {
                match self { $(Config::$variant => $name,)* }
            }

            /// What the config does, in a few words.
            pub fn description(self) -> &'static str {
                match self { $(Config::$variant => $desc,)* }
            }
        }

        impl FromStr for Config {
            type Err = Error;
            fn from_str(s: &str) -> Result<Config> {
                let s = s.trim().trim_end_matches(".json").to_ascii_lowercase();
                match s.as_str() {
                    $($name => Ok(Config::$variant),)*
                    _ => Err(Error::new(ErrorKind::UnknownConfig, format!("unknown OpenCC config {s:?}"))),
                }
            }
        }
    };
}

configs! {
    S2t => "s2t", "Simplified to Traditional (OpenCC standard)";
    T2s => "t2s", "Traditional (OpenCC standard) to Simplified";
    S2tw => "s2tw", "Simplified to Traditional (Taiwan standard)";
    Tw2s => "tw2s", "Traditional (Taiwan standard) to Simplified";
    S2twp => "s2twp", "Simplified to Traditional (Taiwan standard, with Taiwan phrases)";
    Tw2sp => "tw2sp", "Traditional (Taiwan standard) to Simplified, with Mainland phrases";
    S2hk => "s2hk", "Simplified to Traditional (Hong Kong variant)";
    Hk2s => "hk2s", "Traditional (Hong Kong variant) to Simplified";
    S2hkp => "s2hkp", "Simplified to Traditional (Hong Kong variant, with Hong Kong phrases)";
    Hk2sp => "hk2sp", "Traditional (Hong Kong variant) to Simplified, with Mainland phrases";
    T2tw => "t2tw", "Traditional (OpenCC standard) to Taiwan standard";
    Tw2t => "tw2t", "Traditional (Taiwan standard) to OpenCC standard";
    T2hk => "t2hk", "Traditional (OpenCC standard) to Hong Kong variant";
    Hk2t => "hk2t", "Traditional (Hong Kong variant) to OpenCC standard";
    T2jp => "t2jp", "Traditional (Kyujitai) to Japanese Shinjitai";
    Jp2t => "jp2t", "Japanese Shinjitai to Traditional (Kyujitai)";
}

impl fmt::Display for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Config {
    fn builtin(self) -> &'static Builtin {
        registry::BUILTIN
            .iter()
            .find(|b| b.name == self.name())
            .expect("every config has a built-in table")
    }

    fn engine(self) -> Arc<Engine> {
        static ENGINES: [OnceLock<Arc<Engine>>; 16] = [const { OnceLock::new() }; 16];
        let i = Config::ALL.iter().position(|c| *c == self).unwrap();
        ENGINES[i]
            .get_or_init(|| {
                let b = self.builtin();
                Arc::new(Engine {
                    main: builtin_table(b.main),
                    stages: b.stages.iter().map(|&t| builtin_table(t)).collect(),
                    segmented: b.segmented,
                })
            })
            .clone()
    }
}

/// A built-in config, as `build.rs` describes it.
pub(crate) struct Builtin {
    name: &'static str,
    main: usize,
    stages: &'static [usize],
    segmented: bool,
    json: &'static str,
}

fn builtin_table(i: usize) -> Arc<Table> {
    static TABLES: OnceLock<Vec<OnceLock<Arc<Table>>>> = OnceLock::new();
    let tables = TABLES.get_or_init(|| registry::TABLES.iter().map(|_| OnceLock::new()).collect());
    tables[i]
        .get_or_init(|| {
            let (group, outputs) = registry::TABLES[i];
            let keys = table::Keys::Builtin(table::builtin_words(registry::TRIES[group]));
            Arc::new(Table::new(keys, outputs).expect("built-in table is valid"))
        })
        .clone()
}

/// A converter for one config, optionally with user dictionary entries. Cheap to clone.
#[derive(Clone)]
pub struct Converter {
    config: Config,
    engine: Arc<Engine>,
    user_entries: usize,
}

impl Converter {
    /// The converter for `config` with OpenCC's built-in dictionaries.
    pub fn new(config: Config) -> Converter {
        Converter {
            config,
            engine: config.engine(),
            user_entries: 0,
        }
    }

    /// A converter for `config` whose table also holds `entries` (key, value).
    ///
    /// A user entry wins over a built-in key that is equal to it, and competes with the others by
    /// length (the longest key at a position wins, as everywhere in OpenCC). Its value is the
    /// final output: it is not converted further by the config's later steps. Building the
    /// table flattens the whole chain again: about 1.5 seconds on this project's test machine.
    pub fn with_entries(config: Config, entries: &[(String, String)]) -> Result<Converter> {
        if entries.is_empty() {
            return Ok(Converter::new(config));
        }
        let naive = naive_converter(config);
        let model::EngineTables {
            main: mut table,
            gap,
            pairs,
            ..
        } = naive
            .engine_tables()
            .map_err(|e| Error::new(ErrorKind::UnknownConfig, e))?;
        for (k, v) in entries {
            table.insert(k.clone(), v.clone());
        }
        let dict_err = |e| Error::new(ErrorKind::Dictionary, e);
        let keys = pack::shared_keys([(&table, &gap, pairs.as_slice())]);
        let trie = trie::build(&keys).map_err(dict_err)?;
        let outputs = pack::compile_outputs(&keys, &table, &gap, &pairs).map_err(dict_err)?;
        let main = Table::new(table::Keys::Owned(trie.into()), &outputs).map_err(dict_err)?;
        let builtin = config.engine();
        let engine = Engine {
            main: Arc::new(main),
            stages: builtin.stages.clone(),
            segmented: builtin.segmented,
        };
        Ok(Converter {
            config,
            engine: Arc::new(engine),
            user_entries: entries.len(),
        })
    }

    /// The config this converter applies.
    pub fn config(&self) -> Config {
        self.config
    }

    /// How many user entries the table holds.
    pub fn user_entries(&self) -> usize {
        self.user_entries
    }

    /// Converts a whole string.
    pub fn convert(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len() + text.len() / 8);
        let mut state = ConvertState::default();
        self.convert_chunk(text, &mut state, &mut out, true);
        out
    }

    /// Converts a prefix of `text` (all of it when `last`), appending to `out`; returns how many
    /// bytes of `text` were consumed. `scratch` is reused between calls.
    pub(crate) fn convert_chunk(
        &self,
        text: &str,
        st: &mut ConvertState,
        out: &mut String,
        last: bool,
    ) -> usize {
        if !needs_normalization(text) {
            let (n, c) = self.engine.convert(text, out, last, &mut st.engine);
            st.changes.replaced += c;
            return n;
        }
        let ConvertState {
            scratch,
            engine,
            changes,
        } = st;
        // Normalization maps one character to one character, so positions in characters are the
        // same before and after it: convert the normalized copy, then map the consumed length
        // back.
        scratch.clear();
        scratch.extend(text.chars().map(|ch| normalize_char(ch).unwrap_or(ch)));
        let (n, c) = self.engine.convert(scratch, out, last, engine);
        changes.replaced += c;
        let consumed_chars = scratch[..n].chars().count();
        let consumed = text
            .char_indices()
            .nth(consumed_chars)
            .map_or(text.len(), |(i, _)| i);
        // Only what was consumed counts: the rest comes back with the next chunk.
        changes.normalized += text[..consumed]
            .chars()
            .filter(|&ch| normalize_char(ch).is_some())
            .count() as u64;
        consumed
    }
}

impl fmt::Debug for Converter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Converter")
            .field("config", &self.config)
            .field("user_entries", &self.user_entries)
            .finish()
    }
}

/// A document's conversion state (what the engine holds back, counts).
#[derive(Default)]
pub(crate) struct ConvertState {
    scratch: String,
    engine: EngineState,
    pub(crate) changes: Changes,
}

impl ConvertState {
    /// The state of a new document, keeping the buffers.
    pub(crate) fn reset(&mut self) {
        self.scratch.clear();
        self.engine.reset();
        self.changes = Changes::default();
    }
}

/// Counts of what conversion changed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Changes {
    pub replaced: u64,
    pub normalized: u64,
}

/// Whether `text` holds a CJK compatibility ideograph (U+F900..U+FAFF, U+2F800..U+2FA1F), the
/// only characters OpenCC's normalization touches.
fn needs_normalization(text: &str) -> bool {
    let b = text.as_bytes();
    memchr::memchr2_iter(0xEF, 0xF0, b).any(|i| match b[i] {
        // U+F900..U+FAFF: EF A4 80 ..= EF AB BF
        0xEF => matches!(b.get(i + 1), Some(0xA4..=0xAB)),
        // U+2F800..U+2FA1F: F0 AF A0 80 ..= F0 AF A8 9F
        _ => b.get(i + 1) == Some(&0xAF) && matches!(b.get(i + 2), Some(0xA0..=0xA8)),
    })
}

/// Whether `text` holds a CJK compatibility ideograph (a fast byte scan).
pub fn has_compat_ideographs(text: &str) -> bool {
    needs_normalization(text)
}

/// The unified ideograph a CJK compatibility ideograph stands for (`None` for other characters
/// and for the twelve compatibility-block characters that are unified ideographs themselves).
pub fn compat_ideograph(c: char) -> Option<char> {
    normalize_char(c)
}

fn normalize_char(c: char) -> Option<char> {
    registry::NORMALIZATION
        .binary_search_by_key(&c, |(k, _)| *k)
        .ok()
        .map(|i| registry::NORMALIZATION[i].1)
        .filter(|n| *n != c)
}

/// What to convert to: an exact OpenCC config, or a target script whose source is detected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// Apply this config, whatever the input is.
    Config(Config),
    /// Convert to this script from the given source, or from the detected one.
    Script(TargetScript),
}

impl Target {
    /// Whether the text comes out in Traditional characters (Taiwan, Hong Kong, OpenCC
    /// standard or Kyujitai).
    pub fn writes_traditional(self) -> bool {
        use Config::*;
        match self {
            Target::Config(c) => matches!(
                c,
                S2t | S2tw | S2twp | S2hk | T2tw | Tw2t | T2hk | Hk2t | Jp2t
            ),
            Target::Script(s) => matches!(
                s,
                TargetScript::Traditional
                    | TargetScript::Taiwan
                    | TargetScript::TaiwanPhrases
                    | TargetScript::HongKong
                    | TargetScript::HongKongPhrases
            ),
        }
    }
}

/// A friendly conversion target (`--to tw`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TargetScript {
    /// Simplified Chinese, characters only (`simplified`, `s`, `zh-hans`, `zh-cn`).
    Simplified,
    /// Simplified Chinese with Mainland phrases (`cn`, `simplified-phrases`).
    SimplifiedPhrases,
    /// OpenCC standard Traditional (`traditional`, `t`, `zh-hant`).
    Traditional,
    /// Taiwan standard Traditional, characters only (`tw`, `zh-tw`, `taiwan`).
    Taiwan,
    /// Taiwan standard with Taiwan phrases (`tw-phrases`, `twp`).
    TaiwanPhrases,
    /// Hong Kong variant (`hk`, `zh-hk`, `hongkong`).
    HongKong,
    /// Hong Kong variant with Hong Kong phrases (`hk-phrases`, `hkp`).
    HongKongPhrases,
    /// Japanese Shinjitai (`jp`, `shinjitai`).
    Japanese,
}

/// Where text comes from, for choosing a config (`--from`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// Simplified Chinese.
    Simplified,
    /// OpenCC standard Traditional (what detection reports for any Traditional text).
    Traditional,
    /// Taiwan standard Traditional.
    Taiwan,
    /// Hong Kong variant.
    HongKong,
    /// Japanese Shinjitai.
    Japanese,
}

/// The script aliases `--to` accepts besides the config names (case and `_` for `-` do not
/// matter); [`Target::from_str`] maps each.
pub const TARGET_ALIASES: &[&str] = &[
    "simplified",
    "s",
    "zh-hans",
    "zh-cn",
    "hans",
    "sc",
    "cn",
    "simplified-phrases",
    "sp",
    "traditional",
    "t",
    "zh-hant",
    "hant",
    "tc",
    "tw",
    "taiwan",
    "zh-tw",
    "tw-phrases",
    "twp",
    "taiwan-phrases",
    "hk",
    "hongkong",
    "hong-kong",
    "zh-hk",
    "hk-phrases",
    "hkp",
    "hongkong-phrases",
    "jp",
    "ja",
    "japanese",
    "shinjitai",
];

impl FromStr for Target {
    type Err = Error;
    fn from_str(s: &str) -> Result<Target> {
        let lower = s.trim().to_ascii_lowercase().replace('_', "-");
        let script = match lower.as_str() {
            "simplified" | "s" | "zh-hans" | "zh-cn" | "hans" | "sc" => TargetScript::Simplified,
            "cn" | "simplified-phrases" | "sp" => TargetScript::SimplifiedPhrases,
            "traditional" | "t" | "zh-hant" | "hant" | "tc" => TargetScript::Traditional,
            "tw" | "taiwan" | "zh-tw" => TargetScript::Taiwan,
            "tw-phrases" | "twp" | "taiwan-phrases" => TargetScript::TaiwanPhrases,
            "hk" | "hongkong" | "hong-kong" | "zh-hk" => TargetScript::HongKong,
            "hk-phrases" | "hkp" | "hongkong-phrases" => TargetScript::HongKongPhrases,
            "jp" | "ja" | "japanese" | "shinjitai" => TargetScript::Japanese,
            _ => {
                return lower.parse::<Config>().map(Target::Config).map_err(|_| {
                    Error::new(
                        ErrorKind::UnknownConfig,
                        format!(
                            "unknown target {s:?}: use an OpenCC config ({}) or an alias (simplified, traditional, tw, tw-phrases, hk, hk-phrases, cn, jp)",
                            Config::ALL.iter().map(|c| c.name()).collect::<Vec<_>>().join(", ")
                        ),
                    )
                })
            }
        };
        Ok(Target::Script(script))
    }
}

impl FromStr for Source {
    type Err = Error;
    fn from_str(s: &str) -> Result<Source> {
        match s.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "simplified" | "s" | "zh-hans" | "zh-cn" | "cn" | "hans" => Ok(Source::Simplified),
            "traditional" | "t" | "zh-hant" | "hant" => Ok(Source::Traditional),
            "tw" | "taiwan" | "zh-tw" => Ok(Source::Taiwan),
            "hk" | "hongkong" | "hong-kong" | "zh-hk" => Ok(Source::HongKong),
            "jp" | "ja" | "japanese" | "shinjitai" => Ok(Source::Japanese),
            _ => Err(Error::new(
                ErrorKind::UnknownConfig,
                format!("unknown source {s:?}: use simplified, traditional, tw, hk or jp"),
            )),
        }
    }
}

impl TargetScript {
    /// The config that converts `source` to this target: `Ok(None)` when the text is already
    /// in the target script, an error when no single OpenCC config does it.
    pub fn config_from(self, source: Source) -> Result<Option<Config>> {
        use Config::*;
        use Source as S;
        use TargetScript as T;
        let c = match (self, source) {
            (T::Simplified | T::SimplifiedPhrases, S::Simplified) => None,
            (T::Simplified | T::SimplifiedPhrases, S::Traditional) => Some(T2s),
            (T::Simplified, S::Taiwan) => Some(Tw2s),
            (T::SimplifiedPhrases, S::Taiwan) => Some(Tw2sp),
            (T::Simplified, S::HongKong) => Some(Hk2s),
            (T::SimplifiedPhrases, S::HongKong) => Some(Hk2sp),
            (T::Traditional, S::Simplified) => Some(S2t),
            (T::Traditional, S::Traditional) => None,
            (T::Traditional, S::Taiwan) => Some(Tw2t),
            (T::Traditional, S::HongKong) => Some(Hk2t),
            (T::Traditional, S::Japanese) => Some(Jp2t),
            (T::Taiwan, S::Simplified) => Some(S2tw),
            (T::TaiwanPhrases, S::Simplified) => Some(S2twp),
            (T::Taiwan | T::TaiwanPhrases, S::Traditional) => Some(T2tw),
            (T::Taiwan | T::TaiwanPhrases, S::Taiwan) => None,
            (T::HongKong, S::Simplified) => Some(S2hk),
            (T::HongKongPhrases, S::Simplified) => Some(S2hkp),
            (T::HongKong | T::HongKongPhrases, S::Traditional) => Some(T2hk),
            (T::HongKong | T::HongKongPhrases, S::HongKong) => None,
            (T::Japanese, S::Traditional) => Some(T2jp),
            (T::Japanese, S::Japanese) => None,
            (t, s) => {
                return Err(Error::new(
                    ErrorKind::UnknownConfig,
                    format!("no OpenCC config converts {s:?} to {t:?}; convert in two steps"),
                ))
            }
        };
        Ok(c)
    }

    /// The source to assume when detection finds no Han characters to go by.
    pub(crate) fn default_source(self) -> Source {
        match self {
            TargetScript::Simplified | TargetScript::SimplifiedPhrases | TargetScript::Japanese => {
                Source::Traditional
            }
            _ => Source::Simplified,
        }
    }
}

/// The plain, slow implementation of OpenCC's semantics for `config` (for differential tests).
#[doc(hidden)]
pub fn naive_converter(config: Config) -> model::NaiveConverter {
    let spec = spec_json::parse_config(config.name(), config.builtin().json)
        .expect("built-in config parses");
    model::NaiveConverter::new(&spec, &builtin_dict)
}

/// The text of a built-in OpenCC dictionary (`""` for an unknown name).
pub(crate) fn builtin_dict_text(name: &str) -> &'static str {
    registry::DICTS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, t)| *t)
        .unwrap_or("")
}

fn builtin_dict(name: &str) -> model::Dict {
    let text = registry::DICTS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, t)| *t)
        .unwrap_or("");
    model::parse_dict(text)
        .unwrap_or_default()
        .into_iter()
        .collect()
}

/// Parses a user dictionary in OpenCC's text format (`key<TAB>value[ value...]` per line, `#`
/// comments): entries in file order, the first value of each.
pub fn parse_user_dict(text: &str) -> Result<Vec<(String, String)>> {
    model::parse_dict(text).map_err(|e| Error::new(ErrorKind::Dictionary, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_config_loads_and_names_round_trip() {
        for c in Config::ALL {
            assert_eq!(c.name().parse::<Config>().unwrap(), *c);
            let _ = Converter::new(*c).convert("测试");
        }
        assert_eq!(Config::ALL.len(), 16);
    }

    #[test]
    fn builtin_tables_are_valid() {
        for i in 0..registry::TABLES.len() {
            builtin_table(i);
        }
    }

    #[test]
    fn normalization_detection() {
        assert!(needs_normalization("a\u{F900}b"));
        assert!(needs_normalization("\u{2F800}"));
        assert!(!needs_normalization("，。中文ＡＢ"));
    }

    /// The dangerous pairs of every segmenting config, under every config (a pair key of one
    /// config is in the automaton of the others that share it), in contexts that a pair key
    /// can get wrong: alone, between other characters, at the end of the text, split across
    /// chunks, and after a character that ends a segmentation key.
    #[test]
    fn dangerous_pairs_convert_as_the_model_does() {
        let mut pairs = std::collections::BTreeSet::new();
        let mut enders = String::new();
        let naive: Vec<_> = Config::ALL.iter().map(|&c| naive_converter(c)).collect();
        for n in &naive {
            if let Ok(tables) = n.engine_tables() {
                pairs.extend(tables.pairs.iter().copied().filter(|&(_, b)| b != '\0'));
                enders.extend(tables.main.keys().filter_map(|k| k.chars().last()).take(1));
            }
        }
        let enders: Vec<char> = enders.chars().collect();
        let mut text = String::new();
        for (i, &(a, b)) in pairs.iter().enumerate() {
            let pieces = [a.to_string(), format!("{a}{b}"), format!("{b}{a}{b}{a}")];
            text.push_str(&pieces[i % 3]);
            text.push(if i % 5 == 0 { '\n' } else { '。' });
            text.push(enders[i % enders.len()]);
        }
        if let Some(&(a, b)) = pairs.last() {
            text.push(a);
            text.push(b);
        }
        for (&config, naive) in Config::ALL.iter().zip(&naive) {
            let want = naive.convert(&text);
            let fast = Converter::new(config);
            assert_eq!(fast.convert(&text), want, "{config}");
            let mut state = ConvertState::default();
            let mut out = String::new();
            let mut pending = String::new();
            for piece in text.split_inclusive(|c: char| c as u32 % 7 == 0) {
                pending.push_str(piece);
                let n = fast.convert_chunk(&pending, &mut state, &mut out, false);
                pending.drain(..n);
            }
            fast.convert_chunk(&pending, &mut state, &mut out, true);
            assert_eq!(out, want, "{config}, in pieces");
        }
    }

    #[test]
    fn a_user_key_that_starts_a_dangerous_pair_is_a_segment() {
        let naive = naive_converter(Config::S2twp);
        let tables = naive.engine_tables().unwrap();
        let &(a, b) = tables.pairs.iter().find(|&&(_, b)| b != '\0').unwrap();
        let c = Converter::with_entries(Config::S2twp, &[(a.to_string(), "Z".into())]).unwrap();
        let b = b.to_string();
        assert_eq!(
            c.convert(&format!("{a}{b}")),
            format!("Z{}", naive.convert_segment(&b))
        );
    }

    #[test]
    fn user_entries_override_and_compete_by_length() {
        let c = Converter::with_entries(Config::S2t, &[("软件".into(), "軟體".into())]).unwrap();
        assert_eq!(c.convert("软件和硬件"), "軟體和硬件");
        assert_eq!(
            Converter::new(Config::S2t).convert("软件和硬件"),
            "軟件和硬件"
        );
        // A longer built-in key still wins over a shorter user key at the same position.
        let c = Converter::with_entries(Config::S2t, &[("头".into(), "X".into())]).unwrap();
        assert_eq!(c.convert("头发头"), "頭髮X");
        // In a segmenting config, a user key becomes a segment of its own.
        let c =
            Converter::with_entries(Config::S2twp, &[("鼠标".into(), "老鼠標".into())]).unwrap();
        assert_eq!(c.convert("鼠标坏了"), "老鼠標壞了");
    }
}
