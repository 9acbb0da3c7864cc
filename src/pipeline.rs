//! The pipeline: bytes -> decode -> stages -> encode, under the chunk contract.
//!
//! Every stage is a [`Stage`]: it is handed the text it has not consumed yet followed by new
//! text, converts a prefix of it and says how much it consumed; the rest comes back on the next
//! call. With `last == true` it must consume everything. A stage holds back only what it needs
//! to decide (a longest dictionary key, a detection window), so memory stays bounded however
//! long a line is, and its output must not depend on where the input was cut.

use std::io::{Read, Write};

use crate::boilerplate::BoilerplateStage;
use crate::convert::{ConvertStage, ScriptCounts, Source, Target};
use crate::decode::{DecodeOptions, Decoder, InputBuf};
use crate::encode::{EncodeOptions, Encoder};
use crate::error::{Error, ErrorKind, Result};
use crate::markup::{FrontMatter, HtmlMode, MainContent, MarkupStage};
use crate::reflow::ReflowStage;
use crate::repair::RepairStage;
use crate::report::{Report, StageReport};

/// A step of the pipeline. See the module documentation for the contract.
pub trait Stage: Send {
    /// The stage's name, as `--only` and reports spell it.
    fn name(&self) -> &'static str;

    /// Transforms a prefix of `input`, appending to `out`; returns how many bytes of `input`
    /// were consumed (always on a character boundary). The unconsumed tail comes back on the
    /// next call with more text after it. With `last == true` everything must be consumed.
    fn process(&mut self, input: &str, out: &mut String, last: bool) -> Result<usize>;

    /// What the stage did so far.
    fn report(&self) -> StageReport;

    /// The `changes` of [`Stage::report`], without building the rest of the report (counted for
    /// every JSON Lines record).
    fn changes(&self) -> u64 {
        self.report().changes
    }

    /// Whether the output for each line depends only on that line, so that a document can be
    /// cut at newlines and the pieces processed independently (`-j`).
    fn line_local(&self) -> bool {
        false
    }

    /// A fresh stage that makes the same choices this one has made so far (such as a detected
    /// source script), for processing other pieces of the same document; `None` if the stage
    /// cannot be forked (yet).
    fn fork(&self) -> Option<Box<dyn Stage>> {
        None
    }

    /// Makes this stage, a fork, as fresh as a new fork of the stage it was forked from, keeping
    /// its buffers (for many small documents in a row, such as JSON Lines records); `false` if
    /// the stage cannot, and must be forked anew.
    fn reset(&mut self) -> bool {
        false
    }

    /// Tells a fork which line of the document its input starts at (1-based), so that what it
    /// reports by line matches a serial run.
    fn start_line(&mut self, _line: u64) {}
}

/// Names of the stages `--only` accepts, in pipeline order.
pub const STAGE_NAMES: &[&str] = &["html", "repair", "reflow", "boilerplate", "convert"];

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

/// A piece of text as a line-based stage gets it from [`cut_lines`].
pub(crate) enum Piece<'a> {
    /// A whole line: `raw` is `body` followed by its ending `end` (`"\n"`, `"\r\n"`, or `""` at
    /// the end of the input).
    Line {
        raw: &'a str,
        body: &'a str,
        end: &'static str,
    },
    /// The first part of a line longer than the limit: the stage passes it through.
    LongStart(&'a str),
    /// More of that line (the last piece ends with its line ending).
    LongRest(&'a str),
}

/// Finds `'\n'`. On x86-64 with SSE2 (every x86-64 processor), memchr's SSE2 searcher, which
/// inlines into the line loop: `memchr::memchr` picks its routine through a pointer on every
/// call, and on lines of 20 characters (PDF text) that call cost more than the search.
struct Newline {
    #[cfg(target_arch = "x86_64")]
    sse2: Option<memchr::arch::x86_64::sse2::memchr::One>,
}

impl Newline {
    #[inline(always)]
    fn new() -> Self {
        Newline {
            #[cfg(target_arch = "x86_64")]
            sse2: memchr::arch::x86_64::sse2::memchr::One::new(b'\n'),
        }
    }

    #[inline(always)]
    fn find(&self, bytes: &[u8]) -> Option<usize> {
        #[cfg(target_arch = "x86_64")]
        if let Some(sse2) = &self.sse2 {
            return sse2.find(bytes);
        }
        memchr::memchr(b'\n', bytes)
    }
}

/// Cuts `input` into lines for a line-based stage and returns how many bytes were consumed:
/// complete lines, and the unfinished last line only when `last`. A line that grows past
/// `max_line` bytes without an ending is handed over in pieces (`in_long` says a call starts
/// inside one), so a stage never holds more than `max_line` bytes of a line. A `'\r'` that ends
/// a chunk inside a long line waits for the next call, which may bring its `'\n'`.
pub(crate) fn cut_lines(
    input: &str,
    last: bool,
    max_line: usize,
    in_long: &mut bool,
    mut f: impl FnMut(Piece<'_>),
) -> usize {
    let mut pos = 0;
    let newline = Newline::new();
    while pos < input.len() {
        let rest = &input[pos..];
        let nl = newline.find(rest.as_bytes());
        if *in_long {
            let end = match nl {
                Some(i) => {
                    *in_long = false;
                    i + 1
                }
                None if last => rest.len(),
                None => rest.len() - usize::from(rest.ends_with('\r')),
            };
            if end > 0 {
                f(Piece::LongRest(&rest[..end]));
            }
            pos += end;
            if nl.is_none() {
                break;
            }
            continue;
        }
        match nl {
            Some(i) => {
                let body = &rest[..i];
                let (body, end) = body
                    .strip_suffix('\r')
                    .map_or((body, "\n"), |l| (l, "\r\n"));
                f(Piece::Line {
                    raw: &rest[..=i],
                    body,
                    end,
                });
                pos += i + 1;
            }
            None if last => {
                f(Piece::Line {
                    raw: rest,
                    body: rest,
                    end: "",
                });
                pos = input.len();
            }
            None if rest.len() > max_line => {
                let mut cut = max_line;
                while !rest.is_char_boundary(cut) {
                    cut -= 1;
                }
                f(Piece::LongStart(&rest[..cut]));
                *in_long = true;
                pos += cut;
            }
            None => break,
        }
    }
    pos
}

/// Configures pipelines. Build one [`Pipeline`] per document.
#[derive(Clone, Debug, Default)]
pub struct PipelineBuilder {
    decode: DecodeOptions,
    encode: EncodeOptions,
    target: Option<Target>,
    from: Option<Source>,
    user_entries: Vec<(String, String)>,
    only: Option<Vec<String>>,
    no_fix: Vec<String>,
    extra_fix: Vec<String>,
    html: Html,
    front_matter: FrontMatter,
    no_reflow: bool,
    keep_boilerplate: bool,
    keep_bylines: bool,
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
    /// whole pages only (see [`crate::markup::MainContent`]).
    pub fn main_content(mut self, yes: bool) -> Self {
        self.main_content = if yes {
            MainContent::Always
        } else {
            MainContent::Pages
        };
        self
    }

    /// When to keep only a page's article body (see [`crate::markup::MainContent`]; default:
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
            vec!["html".to_string()]
        });
        b.target = None;
        b.encode = EncodeOptions::default();
        let mut keys = LineKeys::default();
        b.build()?.run(input, &mut keys)?;
        keys.end_line();
        Ok(keys.keys)
    }

    /// The same configuration with only the `convert` stage (when this one converts) between
    /// decoding and encoding: for structured text (data files, subtitles, code), whose line
    /// breaks and punctuation the other stages could change.
    pub fn convert_only(mut self) -> Self {
        let converts = self.wants("convert") && self.target.is_some();
        self.only = Some(if converts {
            vec!["convert".to_string()]
        } else {
            Vec::new()
        });
        self
    }

    /// Whether the pipeline has a `boilerplate` stage.
    pub fn has_boilerplate(&self) -> bool {
        self.wants("boilerplate") && (!self.keep_boilerplate || self.only.is_some())
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
            if !STAGE_NAMES.contains(&s) {
                return Err(Error::new(
                    ErrorKind::Usage,
                    format!("unknown stage {s:?} (stages: {})", STAGE_NAMES.join(", ")),
                ));
            }
            names.push(s.to_string());
        }
        self.only = Some(names);
        Ok(self)
    }

    fn wants(&self, stage: &str) -> bool {
        self.only
            .as_ref()
            .is_none_or(|o| o.iter().any(|s| s == stage))
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
        if self.wants("html") && (self.html != Html::Never || self.only.is_some()) {
            let mode = match self.html {
                Html::Always => HtmlMode::Always,
                Html::Auto | Html::Never => HtmlMode::Auto,
            };
            stages.push(Box::new(
                MarkupStage::new(mode, self.front_matter).with_main_content_mode(self.main_content),
            ));
        }
        if self.wants("repair") {
            stages.push(Box::new(RepairStage::with_optional(
                &self.no_fix,
                &self.extra_fix,
            )?));
        }
        if self.wants("reflow") && (!self.no_reflow || self.only.is_some()) {
            stages.push(Box::new(ReflowStage::new()));
        }
        if self.wants("boilerplate") && (!self.keep_boilerplate || self.only.is_some()) {
            stages.push(Box::new(
                BoilerplateStage::new(self.keep_bylines).with_repeated(repeated),
            ));
        }
        if self.wants("convert") {
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

/// The output of [`PipelineBuilder::line_keys`]'s pipeline: takes the key of each line written
/// to it.
#[derive(Default)]
struct LineKeys {
    keys: std::collections::HashSet<u64>,
    /// The current line's start, carried over from earlier writes.
    line: Vec<u8>,
}

impl LineKeys {
    fn add(&mut self, line: &[u8]) {
        // Lines are cut at newlines and kept from whole writes of UTF-8 text.
        if let Ok(line) = std::str::from_utf8(line) {
            self.keys
                .extend(crate::boilerplate::repeated::line_key(line.trim()));
        }
    }

    /// Takes the key of the last line, which has no newline after it.
    fn end_line(&mut self) {
        let line = std::mem::take(&mut self.line);
        self.add(&line);
    }
}

impl Write for LineKeys {
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

/// One document's pipeline: feed it bytes or text, collect text or write bytes, then take the
/// [`Report`].
pub struct Pipeline {
    decoder: Decoder,
    encoder: Encoder,
    stages: Vec<Box<dyn Stage>>,
    pending: Vec<String>,
    /// Buffers between stages, kept from call to call.
    spare: [String; 2],
    script: ScriptCounts,
    sampled: usize,
    bytes_out: u64,
    name: Option<String>,
}

/// The error for a stage that left input over at the end of its document.
fn unconsumed(stage: &dyn Stage) -> Error {
    Error::new(
        ErrorKind::Usage,
        format!(
            "stage {} did not consume its input at the end",
            stage.name()
        ),
    )
}

/// How much decoded text the report's script detection looks at.
const SCRIPT_SAMPLE: usize = 64 * 1024;

impl Pipeline {
    /// A builder with the defaults (detect encoding, repair, no conversion, UTF-8 output).
    pub fn builder() -> PipelineBuilder {
        PipelineBuilder::default()
    }

    /// Names the document in its report.
    pub fn set_name(&mut self, name: impl Into<String>) {
        self.name = Some(name.into());
    }

    /// Pushes decoded text through the stages, appending the result to `out`.
    pub fn push_text(&mut self, text: &str, out: &mut String, last: bool) -> Result<()> {
        self.push(text, 0, out, last, false).map(|_| ())
    }

    /// Pushes `text` through the stages; the first stage's unconsumed input is handed back
    /// (the returned count is what it consumed) instead of kept: the caller presents the rest
    /// again, with more text after it. `text[..fresh]` is such a rest.
    fn push_front(
        &mut self,
        text: &str,
        fresh: usize,
        out: &mut String,
        last: bool,
    ) -> Result<usize> {
        self.push(text, fresh, out, last, true)
    }

    fn push(
        &mut self,
        text: &str,
        fresh: usize,
        out: &mut String,
        last: bool,
        hand_back: bool,
    ) -> Result<usize> {
        if self.sampled < SCRIPT_SAMPLE {
            let new = &text[fresh..];
            let mut end = (SCRIPT_SAMPLE - self.sampled).min(new.len());
            while !new.is_char_boundary(end) {
                end -= 1;
            }
            self.script.add(&new[..end]);
            self.sampled += end.max(1);
        }
        if self.stages.is_empty() {
            out.push_str(text);
            return Ok(text.len());
        }
        self.pending.resize_with(self.stages.len(), String::new);
        // Stage i reads `text` (the first) or `cur` and writes `next`; the two buffers are kept
        // for the next call (a document of many small pieces, or many small documents).
        let [mut cur, mut next] = std::mem::take(&mut self.spare);
        let mut from_text = true;
        let mut taken = text.len();
        let n = self.stages.len();
        for (i, stage) in self.stages.iter_mut().enumerate() {
            let carry: &str = if from_text { text } else { &cur };
            let pending = &mut self.pending[i];
            let input: &str = if pending.is_empty() {
                carry
            } else {
                pending.push_str(carry);
                pending
            };
            next.clear();
            next.reserve(input.len() + input.len() / 8);
            let target = if i + 1 == n { &mut *out } else { &mut next };
            let consumed = stage.process(input, target, last)?;
            debug_assert!(input.is_char_boundary(consumed));
            if last && consumed != input.len() {
                return Err(unconsumed(stage.as_ref()));
            }
            if i == 0 && hand_back {
                debug_assert!(pending.is_empty());
                taken = consumed;
            } else if pending.is_empty() {
                pending.push_str(&carry[consumed..]);
            } else {
                pending.drain(..consumed);
            }
            std::mem::swap(&mut cur, &mut next);
            from_text = false;
        }
        self.spare = [cur, next];
        Ok(taken)
    }

    /// Decodes `bytes` and pushes the text through the stages, appending to `out`.
    pub fn push_bytes(&mut self, bytes: &[u8], out: &mut String, last: bool) -> Result<()> {
        let mut text = String::new();
        self.decoder.decode(bytes, &mut text, last)?;
        self.push_text(&text, out, last)
    }

    /// Runs the whole document from `input` to `output` and returns its report.
    ///
    /// On error, output written so far stays written (this is a stream); the error says what
    /// failed. Callers writing to a file should write to a temporary file and rename it.
    pub fn run<R: Read, W: Write>(mut self, input: R, output: W) -> Result<Report> {
        let bytes_in = self.stream(input, output)?;
        Ok(self.finish(bytes_in))
    }

    /// Like [`Pipeline::run`] without building the report (cheaper for many small files): each
    /// stage's changes, by stage name in pipeline order.
    pub fn run_quiet<R: Read, W: Write>(
        mut self,
        input: R,
        output: W,
    ) -> Result<Vec<(&'static str, u64)>> {
        self.stream(input, output)?;
        let mut changes = Vec::new();
        self.add_changes(&mut changes);
        Ok(changes)
    }

    /// Runs the whole document from `input` to `output`; returns the bytes read.
    fn stream<R: Read, W: Write>(&mut self, mut input: R, mut output: W) -> Result<u64> {
        // UTF-8 input is validated where it was read and the first stage reads it there; what
        // that stage leaves stays at the front of the buffer for the next round.
        let mut buf = InputBuf::default();
        // Text of other encodings, decoded and not taken yet.
        let mut text = String::new();
        let mut out = String::new();
        let mut bytes_in = 0u64;
        loop {
            let n = buf
                .read_from(&mut input)
                .map_err(|e| Error::io("reading input", e))?;
            bytes_in += n as u64;
            let last = n == 0;
            let kept = buf.text().len() + text.len();
            self.decoder.decode_buf(&mut buf, &mut text, last)?;
            out.clear();
            if self.decoder.in_place() {
                let used = self.push_front(buf.text(), kept, &mut out, last)?;
                buf.take(used);
            } else {
                let used = self.push_front(&text, kept, &mut out, last)?;
                text.drain(..used);
            }
            self.bytes_out += self.encoder.write(&out, &mut output, last)?;
            if last {
                break;
            }
        }
        output.flush().map_err(Error::write)?;
        Ok(bytes_in)
    }

    /// Runs a whole document held in memory.
    pub fn run_bytes(mut self, input: &[u8]) -> Result<(Vec<u8>, Report)> {
        let mut text = String::new();
        self.push_bytes(input, &mut text, true)?;
        let mut out = Vec::with_capacity(text.len());
        self.bytes_out += self.encoder.write(&text, &mut out, true)?;
        Ok((out, self.finish(input.len() as u64)))
    }

    /// Runs already-decoded text through the stages and returns the result, without building a
    /// report.
    pub fn run_text(mut self, input: &str) -> Result<String> {
        let mut out = String::with_capacity(input.len());
        self.push_text(input, &mut out, true)?;
        Ok(out)
    }

    /// Runs already-decoded text through the stages (no decoding or encoding).
    pub fn run_str(mut self, input: &str) -> Result<(String, Report)> {
        let mut out = String::with_capacity(input.len());
        self.push_text(input, &mut out, true)?;
        self.bytes_out = out.len() as u64;
        Ok((out, self.finish(input.len() as u64)))
    }

    /// Whether every stage is line-local, so the document may be cut at newlines (`-j`).
    pub fn line_local(&self) -> bool {
        self.stages.iter().all(|s| s.line_local())
    }

    /// Decodes `bytes` (appending to `out`) without running the stages.
    pub(crate) fn decode(&mut self, bytes: &[u8], out: &mut String, last: bool) -> Result<()> {
        self.decoder.decode(bytes, out, last)
    }

    /// Encodes and writes stage output.
    pub(crate) fn write(&mut self, text: &str, w: &mut dyn Write, last: bool) -> Result<()> {
        self.bytes_out += self.encoder.write(text, w, last)?;
        Ok(())
    }

    /// A fresh text-only pipeline that makes the same choices as this one (see [`Stage::fork`]);
    /// `None` if a stage cannot be forked yet (a source script still to detect).
    pub fn fork(&self) -> Option<Pipeline> {
        let stages = self
            .stages
            .iter()
            .map(|s| s.fork())
            .collect::<Option<Vec<_>>>()?;
        Some(Pipeline {
            decoder: Decoder::new(DecodeOptions::default()),
            encoder: Encoder::new(EncodeOptions::default()),
            pending: Vec::new(),
            spare: Default::default(),
            stages,
            script: ScriptCounts::default(),
            sampled: SCRIPT_SAMPLE,
            bytes_out: 0,
            name: None,
        })
    }

    /// Makes this text-only pipeline, a fork of `template`, a fresh fork of it again (see
    /// [`Pipeline::fork`]), keeping its buffers: for many small documents in a row. `false` if
    /// a stage of `template` cannot be forked (then this pipeline must not be used).
    pub(crate) fn refork(&mut self, template: &Pipeline) -> bool {
        let reset =
            self.stages.len() == template.stages.len() && self.stages.iter_mut().all(|s| s.reset());
        if !reset {
            self.stages.clear();
            for stage in &template.stages {
                match stage.fork() {
                    Some(s) => self.stages.push(s),
                    None => return false,
                }
            }
        }
        self.pending.iter_mut().for_each(String::clear);
        self.script = ScriptCounts::default();
        self.sampled = SCRIPT_SAMPLE;
        self.bytes_out = 0;
        self.name = None;
        true
    }

    /// Runs each of `texts` as a whole document through its own pipeline (`pipes[k]`, fresh
    /// forks with the same stages) into `outs[k]` (appended), stage by stage across the batch:
    /// each stage's tables stay in cache while it works through every document, where one
    /// document after another would have every stage evict the others' (JSON Lines records).
    /// The same as `pipes[k].push_text(texts[k], &mut outs[k], true)` for each `k`; a document
    /// whose stage fails gets its error and goes no further.
    pub(crate) fn run_batch(
        pipes: &mut [Pipeline],
        texts: &[&str],
        outs: &mut [String],
    ) -> Vec<Option<Error>> {
        let mut errors: Vec<Option<Error>> = (0..texts.len()).map(|_| None).collect();
        let n = pipes.first().map_or(0, |p| p.stages.len());
        if n == 0 {
            for (out, text) in outs.iter_mut().zip(texts) {
                out.push_str(text);
            }
            return errors;
        }
        for i in 0..n {
            for (k, pipe) in pipes.iter_mut().enumerate() {
                if errors[k].is_some() {
                    continue;
                }
                // `spare[0]` holds the document's text after the stages so far.
                let [cur, next] = &mut pipe.spare;
                let input: &str = if i == 0 { texts[k] } else { cur };
                next.clear();
                let target = if i + 1 == n { &mut outs[k] } else { &mut *next };
                let stage = &mut pipe.stages[i];
                match stage.process(input, target, true) {
                    Ok(consumed) if consumed == input.len() => {}
                    Ok(_) => errors[k] = Some(unconsumed(stage.as_ref())),
                    Err(e) => errors[k] = Some(e),
                }
                std::mem::swap(cur, next);
            }
        }
        errors
    }

    pub(crate) fn take_encoder(&mut self) -> Encoder {
        std::mem::replace(&mut self.encoder, Encoder::new(EncodeOptions::default()))
    }

    pub(crate) fn put_encoder(&mut self, encoder: Encoder) {
        self.encoder = encoder;
    }

    pub(crate) fn add_bytes_out(&mut self, n: u64) {
        self.bytes_out += n;
    }

    /// Starts every stage's line count at `line` (see [`Stage::start_line`]).
    pub(crate) fn start_line(&mut self, line: u64) {
        for s in &mut self.stages {
            s.start_line(line);
        }
    }

    /// This pipeline's stage reports merged with forks' reports, given in document order:
    /// numbers add up, lists are concatenated, maps are merged.
    pub(crate) fn merged_stage_reports(&self, others: Vec<Vec<StageReport>>) -> Vec<StageReport> {
        let mut mine = self.stage_reports();
        for other in others {
            for (m, o) in mine.iter_mut().zip(other) {
                m.changes += o.changes;
                merge_json(&mut m.detail, o.detail);
            }
        }
        for m in &mut mine {
            if m.stage == "repair" {
                crate::repair::cap_listed(&mut m.detail);
            }
        }
        mine
    }

    /// Adds each stage's changes so far to `totals`, which is empty or was filled by pipelines
    /// of the same builder (the same stages in the same order).
    pub(crate) fn add_changes(&self, totals: &mut Vec<(&'static str, u64)>) {
        add_counts(totals, self.stages.iter().map(|s| (s.name(), s.changes())));
    }

    pub(crate) fn stage_reports(&self) -> Vec<StageReport> {
        self.stages.iter().map(|s| s.report()).collect()
    }

    pub(crate) fn finish_with(self, bytes_in: u64, stages: Vec<StageReport>) -> Report {
        Report {
            input: self.name,
            path_bytes: None,
            bytes_in,
            bytes_out: self.bytes_out,
            encoding: {
                let mut e = self.decoder.report();
                let (name, unmappable) = self.encoder.report();
                e.output = name;
                e.unmappable = unmappable;
                e.nul_chars = self.encoder.nul_chars();
                e
            },
            script: self.script.script().name().to_string(),
            stages,
        }
    }

    /// The report so far (call after the last chunk).
    pub fn finish(self, bytes_in: u64) -> Report {
        let stages = self.stage_reports();
        self.finish_with(bytes_in, stages)
    }
}

/// Adds per-stage counts to `totals`, which is empty (it takes their names) or has the same
/// stages in the same order.
pub(crate) fn add_counts(
    totals: &mut Vec<(&'static str, u64)>,
    counts: impl ExactSizeIterator<Item = (&'static str, u64)> + Clone,
) {
    if totals.is_empty() {
        totals.extend(counts.clone().map(|(name, _)| (name, 0)));
    }
    debug_assert!(totals.iter().map(|t| t.0).eq(counts.clone().map(|c| c.0)));
    for (t, (_, n)) in totals.iter_mut().zip(counts) {
        t.1 += n;
    }
}

fn merge_json(into: &mut serde_json::Value, from: serde_json::Value) {
    use serde_json::Value;
    match (into, from) {
        (Value::Number(a), Value::Number(b)) => {
            if let (Some(x), Some(y)) = (a.as_u64(), b.as_u64()) {
                *a = (x + y).into();
            }
        }
        (Value::Array(a), Value::Array(b)) => a.extend(b),
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in b {
                match a.get_mut(&k) {
                    Some(slot) => merge_json(slot, v),
                    None => {
                        a.insert(k, v);
                    }
                }
            }
        }
        (slot @ Value::Null, v) => *slot = v,
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::convert::{Config, Target};

    /// Documents from `samples/` (their starts: the test runs every pair), and a web page.
    fn documents() -> Vec<String> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
        let mut docs: Vec<String> = [
            "clean/002-cms-article.md",
            "clean/004-pdf-newspaper.txt",
            "repair/001-garbled-traditional.txt",
            "repair/003-garbled-traditional.txt",
            "convert/news-simplified.txt",
            "convert/news-traditional-tw.txt",
        ]
        .iter()
        .map(|f| {
            let text = std::fs::read_to_string(root.join(f)).expect("sample");
            let mut end = text.len().min(6000);
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            text[..end].to_string()
        })
        .collect();
        docs.push(
            "<html><head><title>標題</title></head><body><p>國家郵政局召開會議。</p>\
             <p>责任编辑：张三</p><p>版权所有 © 2023 某某网 京ICP备12345678号</p></body></html>"
                .to_string(),
        );
        // Ends with lines the boilerplate stage holds until it knows whether a footer follows.
        docs.push(
            "第一段正文内容，这是一段很长的新闻文字，讲述了事情的经过。\n\n相关阅读：\n分享到：\n"
                .into(),
        );
        docs.push(String::new());
        docs
    }

    /// What a pipeline makes of `doc` as a whole document: its text and stage reports.
    fn run(p: &mut Pipeline, doc: &str) -> (String, Vec<StageReport>) {
        let mut out = String::new();
        p.push_text(doc, &mut out, true).expect("runs");
        (out, p.stage_reports())
    }

    /// A reused fork (its stages reset in place) cleans a document exactly as a new fork does,
    /// whatever the document before it left behind: finished, or cut off half way.
    #[test]
    fn a_refork_is_a_fresh_fork() {
        let docs = documents();
        let builders = [
            Pipeline::builder().target(Target::Config(Config::S2tw)),
            Pipeline::builder()
                .target(Target::Config(Config::Tw2sp))
                .html(Html::Always)
                .keep_bylines(true),
            Pipeline::builder()
                .target(Target::Config(Config::S2twp))
                .main_content(true)
                .front_matter(FrontMatter::Title),
            Pipeline::builder().fix(&["st_mix"]),
        ];
        for builder in &builders {
            let template = builder.build().unwrap().fork().expect("forks");
            let mut reused = template.fork().unwrap();
            for a in &docs {
                for b in &docs {
                    // The document before: whole, all of it but not ended, or half of it.
                    for cut in [None, Some(a.len()), Some(a.len() / 2)] {
                        match cut {
                            None => drop(run(&mut reused, a)),
                            Some(mut cut) => {
                                while !a.is_char_boundary(cut) {
                                    cut -= 1;
                                }
                                let _ = reused.push_text(&a[..cut], &mut String::new(), false);
                            }
                        }
                        assert!(reused.refork(&template));
                        let fresh = run(&mut template.fork().unwrap(), b);
                        assert_eq!(
                            run(&mut reused, b),
                            fresh,
                            "{builder:?}: {a:.40} then {b:.40}"
                        );
                        assert!(reused.refork(&template));
                    }
                }
            }
        }
    }
}
