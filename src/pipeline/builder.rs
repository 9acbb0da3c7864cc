//! [`PipelineBuilder`]: the configuration of a pipeline, and the only place that names the
//! concrete stages.

use std::io::Read;

use crate::boilerplate::{repeated::LineKeys, BoilerplateStage};
use crate::convert::{ConvertStage, ScriptCounts, Source, Target};
use crate::decode::{DecodeOptions, Decoder};
use crate::encode::{EncodeOptions, Encoder};
use crate::error::{Error, ErrorKind, Result};
use crate::html::{FrontMatter, HtmlMode, HtmlStage, MainContent};
use crate::reflow::ReflowStage;
use crate::repair::{RepairStage, Unrepairable};
use crate::stage::{Stage, StageName, STAGE_NAMES};

use super::Pipeline;

/// Whether the `html` stage runs, and how it decides the input is HTML.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Html {
    /// Sniff the input; convert it if it looks like HTML (front matter is handled either way).
    #[default]
    Auto,
    /// The input is HTML.
    Always,
    /// No `html` stage: the input is text (front matter stays).
    Never,
}

/// Configures pipelines. Build one [`Pipeline`] per document.
#[derive(Clone, Debug, Default)]
pub struct PipelineBuilder {
    decode: DecodeOptions,
    encode: EncodeOptions,
    target: Option<Target>,
    from: Option<Source>,
    user_entries: Vec<(String, String)>,
    only: Option<Vec<StageName>>,
    no_fix: Vec<String>,
    extra_fix: Vec<String>,
    html: Html,
    front_matter: FrontMatter,
    no_reflow: bool,
    keep_boilerplate: bool,
    keep_bylines: bool,
    unrepairable: Unrepairable,
    main_content: MainContent,
}

impl PipelineBuilder {
    /// Sets the input encoding (by WHATWG label, e.g. `gbk`, `big5`, `utf-16le`); otherwise it is
    /// sniffed from a BOM or detected.
    pub fn encoding(mut self, label: &str) -> Result<Self> {
        self.decode.encoding = Some(crate::decode::lookup(label)?);
        Ok(self)
    }

    /// The input encoding set with [`PipelineBuilder::encoding`], if any.
    pub fn input_encoding(&self) -> Option<&'static encoding_rs::Encoding> {
        self.decode.encoding
    }

    /// The encoding output is written in (UTF-8 unless set with
    /// [`PipelineBuilder::output_encoding`]).
    pub fn written_encoding(&self) -> &'static encoding_rs::Encoding {
        self.encode.encoding
    }

    /// Sets the output encoding (UTF-8 by default).
    pub fn output_encoding(mut self, label: &str) -> Result<Self> {
        self.encode.encoding = crate::encode::lookup_output(label)?;
        Ok(self)
    }

    /// Writes characters the output encoding cannot represent as `&#NNNN;` instead of failing.
    pub fn lossy_output(mut self, yes: bool) -> Self {
        self.encode.lossy = yes;
        self
    }

    /// Converts to `target` (an OpenCC config, or a script whose source is detected).
    pub fn target(mut self, target: Target) -> Self {
        self.target = Some(target);
        self
    }

    /// Names the source script instead of detecting it (only matters for a script target).
    pub fn from(mut self, source: Source) -> Self {
        self.from = Some(source);
        self
    }

    /// Adds user dictionary entries; they override built-in keys (see
    /// [`crate::convert::Converter::with_entries`]).
    pub fn user_entries(mut self, entries: impl IntoIterator<Item = (String, String)>) -> Self {
        self.user_entries.extend(entries);
        self
    }

    /// Switches off repair fixes by name (see [`crate::repair::FIXES`]).
    pub fn no_fix<S: AsRef<str>>(mut self, fixes: &[S]) -> Self {
        self.no_fix
            .extend(fixes.iter().map(|f| f.as_ref().to_string()));
        self
    }

    /// What the repair stage does with text that stays lost (U+FFFD, `锟斤拷`); kept by default.
    pub fn unrepairable(mut self, choice: Unrepairable) -> Self {
        self.unrepairable = choice;
        self
    }

    /// Switches on optional repair fixes by name (see [`crate::repair::OPTIONAL`]).
    pub fn fix<S: AsRef<str>>(mut self, fixes: &[S]) -> Self {
        self.extra_fix
            .extend(fixes.iter().map(|f| f.as_ref().to_string()));
        self
    }

    /// Sets whether the input is HTML (sniffed by default).
    pub fn html(mut self, html: Html) -> Self {
        self.html = html;
        self
    }

    /// Sets what happens to Markdown front matter (see [`FrontMatter`]; default: its title).
    pub fn front_matter(mut self, action: FrontMatter) -> Self {
        self.front_matter = action;
        self
    }

    /// Keeps only the article body of every HTML input (`true`), or, by default (`false`), of
    /// whole pages only (see [`crate::html::MainContent`]).
    pub fn main_content(mut self, yes: bool) -> Self {
        self.main_content = if yes {
            MainContent::Always
        } else {
            MainContent::Pages
        };
        self
    }

    /// When to keep only a page's article body (see [`crate::html::MainContent`]; default:
    /// whole pages).
    pub fn main_content_mode(mut self, mode: MainContent) -> Self {
        self.main_content = mode;
        self
    }

    /// Switches the `reflow` stage on or off (on by default).
    pub fn reflow(mut self, yes: bool) -> Self {
        self.no_reflow = !yes;
        self
    }

    /// The normalised line keys of one document as the boilerplate stage would see its lines
    /// before repair and reflow (decoded, HTML converted when the pipeline does): what a folder
    /// pass counts to find lines repeated across documents (see
    /// [`crate::boilerplate::repeated`]).
    pub fn line_keys<R: Read>(&self, input: R) -> Result<std::collections::HashSet<u64>> {
        let mut b = self.clone();
        b.only = Some(if self.html == Html::Never {
            vec![]
        } else {
            vec![StageName::Html]
        });
        b.target = None;
        b.encode = EncodeOptions::default();
        let mut keys = LineKeys::default();
        b.build()?.run(input, &mut keys)?;
        Ok(keys.into_keys())
    }

    /// The same configuration with only the `convert` stage (when this one converts) between
    /// decoding and encoding: for structured text (data files, subtitles, code), whose line
    /// breaks and punctuation the other stages could change.
    pub fn convert_only(mut self) -> Self {
        let converts = self.wants(StageName::Convert) && self.target.is_some();
        self.only = Some(if converts {
            vec![StageName::Convert]
        } else {
            Vec::new()
        });
        self
    }

    /// Whether the pipeline has a `boilerplate` stage.
    pub fn has_boilerplate(&self) -> bool {
        self.wants(StageName::Boilerplate) && (!self.keep_boilerplate || self.only.is_some())
    }

    /// Switches the `boilerplate` stage on or off (on by default).
    pub fn boilerplate(mut self, yes: bool) -> Self {
        self.keep_boilerplate = !yes;
        self
    }

    /// Keeps bylines, photo credits and datelines, which the `boilerplate` stage drops by
    /// default.
    pub fn keep_bylines(mut self, yes: bool) -> Self {
        self.keep_bylines = yes;
        self
    }

    /// Runs only the named stages (from [`STAGE_NAMES`]).
    pub fn only<S: AsRef<str>>(mut self, stages: &[S]) -> Result<Self> {
        let mut names = Vec::new();
        for s in stages {
            let s = s.as_ref().trim();
            let Some(stage) = StageName::parse(s) else {
                return Err(Error::new(
                    ErrorKind::Usage,
                    format!("unknown stage {s:?} (stages: {})", STAGE_NAMES.join(", ")),
                ));
            };
            names.push(stage);
        }
        self.only = Some(names);
        Ok(self)
    }

    fn wants(&self, stage: StageName) -> bool {
        self.only.as_ref().is_none_or(|o| o.contains(&stage))
    }

    /// Checks the configuration and builds the stages once, so that errors (a bad dictionary,
    /// an impossible conversion) surface before any input is read.
    pub fn validate(&self) -> Result<()> {
        self.stages(None).map(|_| ())
    }

    fn stages(
        &self,
        repeated: Option<std::sync::Arc<std::collections::HashSet<u64>>>,
    ) -> Result<Vec<Box<dyn Stage>>> {
        let mut stages: Vec<Box<dyn Stage>> = Vec::new();
        if self.wants(StageName::Html) && (self.html != Html::Never || self.only.is_some()) {
            let mode = match self.html {
                Html::Always => HtmlMode::Always,
                Html::Auto | Html::Never => HtmlMode::Auto,
            };
            stages.push(Box::new(
                HtmlStage::new(mode, self.front_matter).with_main_content_mode(self.main_content),
            ));
        }
        if self.wants(StageName::Repair) {
            let traditional_output = self.wants(StageName::Convert)
                && self.target.is_some_and(|t| t.writes_traditional());
            stages.push(Box::new(
                RepairStage::with_optional(&self.no_fix, &self.extra_fix)?
                    .for_traditional_output(traditional_output)
                    .unrepairable(self.unrepairable),
            ));
        }
        if self.wants(StageName::Reflow) && (!self.no_reflow || self.only.is_some()) {
            stages.push(Box::new(ReflowStage::new()));
        }
        if self.wants(StageName::Boilerplate) && (!self.keep_boilerplate || self.only.is_some()) {
            stages.push(Box::new(
                BoilerplateStage::new(self.keep_bylines)
                    .with_repeated(repeated)
                    .with_body_region(self.main_content != MainContent::Off),
            ));
        }
        if self.wants(StageName::Convert) {
            if let Some(t) = self.target {
                stages.push(Box::new(ConvertStage::new(
                    t,
                    self.from,
                    self.user_entries.clone(),
                )?));
            } else if self.only.is_some() {
                return Err(Error::new(
                    ErrorKind::Usage,
                    "the convert stage needs a target (--to)",
                ));
            }
        }
        Ok(stages)
    }

    /// A pipeline for one document.
    pub fn build(&self) -> Result<Pipeline> {
        self.build_with_repeated(None)
    }

    /// A pipeline for one document of a folder whose repeated lines are known (see
    /// [`crate::boilerplate::repeated`]): the boilerplate stage drops them too.
    pub fn build_with_repeated(
        &self,
        repeated: Option<std::sync::Arc<std::collections::HashSet<u64>>>,
    ) -> Result<Pipeline> {
        let stages = self.stages(repeated)?;
        Ok(Pipeline {
            decoder: Decoder::new(self.decode.clone()),
            encoder: Encoder::new(self.encode.clone()),
            pending: Vec::new(),
            spare: Default::default(),
            stages,
            script: ScriptCounts::default(),
            sampled: 0,
            bytes_out: 0,
            name: None,
        })
    }
}
