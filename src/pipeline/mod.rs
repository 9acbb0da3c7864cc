//! The pipeline: bytes -> decode -> stages -> encode, under the chunk contract.
//!
//! Every stage is a [`Stage`]: it is handed the text it has not consumed yet followed by new
//! text, converts a prefix of it and says how much it consumed; the rest comes back on the next
//! call. With `last == true` it must consume everything. A stage holds back only what it needs
//! to decide (a longest dictionary key, a detection window), so memory stays bounded however
//! long a line is, and its output must not depend on where the input was cut.

mod builder;
mod fork;
pub mod parallel;
mod texts;

use std::io::{Read, Write};

use crate::convert::ScriptCounts;
use crate::decode::{Decoder, InputBuf};
use crate::encode::Encoder;
use crate::error::{Error, ErrorKind, Result};
use crate::report::Report;

pub use crate::stage::{Stage, StageName, STAGE_NAMES};
pub use builder::{Html, PipelineBuilder};
pub(crate) use fork::add_counts;

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
        ErrorKind::Bug,
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

    /// The report so far (call after the last chunk).
    pub fn finish(self, bytes_in: u64) -> Report {
        let stages = self.stage_reports();
        self.finish_with(bytes_in, stages)
    }
}
