//! The `convert` pipeline stage.

use serde_json::json;

use super::region::{detect_region, Region};
use super::{Config, ConvertState, Converter, ScriptCounts, Source, Target, TargetScript};
use crate::error::Result;
use crate::report::StageReport;
use crate::stage::{Stage, StageName};

/// How much text the stage looks at before choosing a config for a detected source.
const DETECT_BYTES: usize = 64 * 1024;
/// Enough telling characters to decide before `DETECT_BYTES`.
const DETECT_ENOUGH: usize = 400;

/// Converts between scripts; with a target script and no source, it first reads up to 64 KiB to
/// detect the source script (holding that text back, so memory stays bounded).
pub struct ConvertStage {
    state: State,
    target: Target,
    entries: Vec<(String, String)>,
    how: &'static str,
    counts: ScriptCounts,
    scanned: usize,
    conv: ConvertState,
    /// For `cn` from Traditional text: the regional usage found (see [`super::region`]).
    region: Option<Region>,
}

enum State {
    Detecting,
    Converting(Converter),
    Identity,
}

impl ConvertStage {
    /// A stage converting to `target`; `from` names the source script (otherwise detected when
    /// `target` is a script); `entries` are user dictionary entries.
    pub fn new(
        target: Target,
        from: Option<Source>,
        entries: Vec<(String, String)>,
    ) -> Result<ConvertStage> {
        let mut stage = ConvertStage {
            state: State::Detecting,
            target,
            entries,
            how: "config",
            counts: ScriptCounts::default(),
            scanned: 0,
            conv: ConvertState::default(),
            region: None,
        };
        match (target, from) {
            (Target::Config(c), _) => stage.state = State::Converting(stage.converter(c)?),
            (Target::Script(t), Some(src)) => {
                stage.how = "from";
                stage.state = match t.config_from(src)? {
                    Some(c) => State::Converting(stage.converter(c)?),
                    None => State::Identity,
                };
            }
            (Target::Script(_), None) => {}
        }
        Ok(stage)
    }

    /// A stage that applies one config with the built-in dictionaries.
    pub fn from_config(config: Config) -> ConvertStage {
        ConvertStage {
            state: State::Converting(Converter::new(config)),
            target: Target::Config(config),
            entries: Vec::new(),
            how: "config",
            counts: ScriptCounts::default(),
            scanned: 0,
            conv: ConvertState::default(),
            region: None,
        }
    }

    fn converter(&self, c: Config) -> Result<Converter> {
        Converter::with_entries(c, &self.entries)
    }

    /// The config in use, once chosen (`None` while detecting or when nothing needs converting).
    pub fn config(&self) -> Option<Config> {
        match &self.state {
            State::Converting(c) => Some(c.config()),
            _ => None,
        }
    }

    /// Chooses the config from the script counts; `seen` is the text they were counted on.
    fn decide(&mut self, seen: &str) -> Result<()> {
        let Target::Script(t) = self.target else {
            unreachable!()
        };
        let mut source = match self.counts.script() {
            super::Script::Simplified => Source::Simplified,
            super::Script::Traditional => Source::Traditional,
            super::Script::Mixed if self.counts.simplified >= self.counts.traditional => {
                Source::Simplified
            }
            super::Script::Mixed => Source::Traditional,
            super::Script::None => t.default_source(),
        };
        // Mainland phrases from Traditional text: Taiwan and Hong Kong words differ, and only
        // the regional configs know them.
        if source == Source::Traditional && t == TargetScript::SimplifiedPhrases {
            let region = detect_region(seen);
            self.region = Some(region);
            source = match region {
                Region::Taiwan => Source::Taiwan,
                Region::HongKong => Source::HongKong,
                Region::Unclear => Source::Traditional,
            };
        }
        self.how = "detected";
        self.state = match t.config_from(source)? {
            Some(c) => State::Converting(self.converter(c)?),
            None => State::Identity,
        };
        Ok(())
    }
}

impl Stage for ConvertStage {
    fn name(&self) -> &'static str {
        StageName::Convert.as_str()
    }

    fn process(&mut self, input: &str, out: &mut String, last: bool) -> Result<usize> {
        if let State::Detecting = self.state {
            // Decide on the shortest prefix with enough telling characters (or the first 64 KiB,
            // or everything): the same prefix however the input is chunked.
            // Counting stops at the same offset however the input is chunked; the regional
            // check reads the same prefix.
            let mut stop = input.len();
            for (off, c) in input[self.scanned..].char_indices() {
                if self.counts.total() >= DETECT_ENOUGH || self.scanned + off >= DETECT_BYTES {
                    stop = self.scanned + off;
                    break;
                }
                self.counts.add_char(c);
            }
            self.scanned = input.len();
            if !last && self.counts.total() < DETECT_ENOUGH && input.len() < DETECT_BYTES {
                return Ok(0);
            }
            self.decide(&input[..stop])?;
        }
        match &self.state {
            State::Converting(c) => Ok(c.convert_chunk(input, &mut self.conv, out, last)),
            State::Identity => {
                out.push_str(input);
                Ok(input.len())
            }
            State::Detecting => unreachable!(),
        }
    }

    fn line_local(&self) -> bool {
        true
    }

    fn fork(&self) -> Option<Box<dyn Stage>> {
        let state = match &self.state {
            State::Detecting => return None,
            State::Converting(c) => State::Converting(c.clone()),
            State::Identity => State::Identity,
        };
        Some(Box::new(ConvertStage {
            state,
            target: self.target,
            entries: Vec::new(),
            how: self.how,
            counts: ScriptCounts::default(),
            scanned: 0,
            conv: ConvertState::default(),
            region: None,
        }))
    }

    fn reset(&mut self) -> bool {
        // As `fork` makes it: same state, no user entries listed, counts and buffers cleared.
        if matches!(self.state, State::Detecting) {
            return false;
        }
        self.entries = Vec::new();
        self.counts = ScriptCounts::default();
        self.scanned = 0;
        self.conv.reset();
        true
    }

    fn changes(&self) -> u64 {
        self.conv.changes.replaced + self.conv.changes.normalized
    }

    fn report(&self) -> StageReport {
        let config = self.config().map(|c| c.name());
        let mut detail = json!({
            "config": config,
            "chosen_by": self.how,
            "normalized": self.conv.changes.normalized,
        });
        if let Some(region) = self.region {
            detail["region"] = json!(region.name());
        }
        if self.how == "detected" {
            detail["source_counts"] = json!({
                "simplified": self.counts.simplified,
                "traditional": self.counts.traditional,
            });
        }
        if !self.entries.is_empty() {
            detail["user_entries"] = json!(self.entries.len());
        }
        StageReport {
            stage: StageName::Convert.as_str().into(),
            changes: self.changes(),
            detail,
        }
    }
}
