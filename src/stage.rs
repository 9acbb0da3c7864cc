//! The [`Stage`] trait and the chunk contract every stage keeps.
//!
//! Every stage is handed the text it has not consumed yet followed by new text, converts a
//! prefix of it and says how much it consumed; the rest comes back on the next call. With
//! `last == true` it must consume everything. A stage holds back only what it needs to decide (a
//! longest dictionary key, a detection window), so memory stays bounded however long a line is,
//! and its output must not depend on where the input was cut.

use crate::error::Result;
use crate::report::StageReport;

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

    /// Called once on this stage's report after the reports of its forks (later parts of the
    /// same document) were merged into it, for a stage that bounds what its report lists.
    fn finish_merged(&self, _merged: &mut StageReport) {}
}

/// The stages, in pipeline order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StageName {
    /// Front matter, then HTML to text ([`crate::html`]).
    Html,
    /// Garbled text ([`crate::repair`]).
    Repair,
    /// Hard-wrapped lines and letter spacing ([`crate::reflow`]).
    Reflow,
    /// Headers, footers and other page furniture ([`crate::boilerplate`]).
    Boilerplate,
    /// Simplified and Traditional conversion ([`crate::convert`]).
    Convert,
}

impl StageName {
    /// Every stage, in pipeline order.
    pub const ALL: [StageName; 5] = [
        StageName::Html,
        StageName::Repair,
        StageName::Reflow,
        StageName::Boilerplate,
        StageName::Convert,
    ];

    /// The name `--only` and reports use.
    pub const fn as_str(self) -> &'static str {
        match self {
            StageName::Html => "html",
            StageName::Repair => "repair",
            StageName::Reflow => "reflow",
            StageName::Boilerplate => "boilerplate",
            StageName::Convert => "convert",
        }
    }

    /// The stage called `name`, if there is one.
    pub fn parse(name: &str) -> Option<StageName> {
        StageName::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

impl std::fmt::Display for StageName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Names of the stages `--only` accepts, in pipeline order ([`StageName::as_str`] of
/// [`StageName::ALL`]).
pub const STAGE_NAMES: &[&str] = &{
    let mut names = [""; StageName::ALL.len()];
    let mut i = 0;
    while i < names.len() {
        names[i] = StageName::ALL[i].as_str();
        i += 1;
    }
    names
};
