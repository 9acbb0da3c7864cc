//! What was detected and changed in one document: the `--report` JSON line.

use serde::Serialize;

/// Per-document report. Lossy or uncertain outcomes are recorded here, not raised as errors.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct Report {
    /// The input's name (a path, or `-` for standard input), when the caller set one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input: Option<String>,
    /// The input path's bytes, when they are not UTF-8 (`input` then shows them with U+FFFD):
    /// a program reading the report can still find the file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path_bytes: Option<Vec<u8>>,
    /// Input size in bytes.
    pub bytes_in: u64,
    /// Output size in bytes.
    pub bytes_out: u64,
    /// How the input was decoded.
    pub encoding: EncodingReport,
    /// Script of the text (`simplified`, `traditional`, `mixed` or `none`), from its first 64 KiB.
    pub script: String,
    /// One entry per stage that ran, in pipeline order.
    pub stages: Vec<StageReport>,
}

/// How the input bytes were decoded.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct EncodingReport {
    /// The encoding's WHATWG name (`UTF-8`, `GBK`, `gb18030`, `Big5`, `UTF-16LE`, ...).
    pub name: String,
    /// `bom`, `user` (named with `--encoding`), `detected`, or `default` (empty input, or a
    /// JSON Lines record read as UTF-8 without `--encoding`).
    pub source: String,
    /// How sure the choice is, from 0 to 1 (1 for a BOM, a user choice or valid UTF-8).
    pub confidence: f64,
    /// Invalid byte sequences replaced by U+FFFD.
    pub replacements: u64,
    /// The output encoding's name.
    pub output: String,
    /// Characters the output encoding could not represent and were written as `&#NNNN;`
    /// (only with a lossy output fallback; otherwise they are an error).
    pub unmappable: u64,
    /// NUL characters written to the output (a NUL in the first 64 KiB makes input binary;
    /// later ones pass through and are counted here). Left out of the JSON when 0.
    #[serde(skip_serializing_if = "is_zero")]
    pub nul_chars: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// What one stage did.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct StageReport {
    /// Stage name (`convert`, ...).
    pub stage: String,
    /// How many changes it made (for `convert`: phrases and characters replaced).
    pub changes: u64,
    /// Stage-specific details (for `convert`: the config used and how it was chosen).
    #[serde(skip_serializing_if = "serde_json::Value::is_null")]
    pub detail: serde_json::Value,
}

impl Report {
    /// The report as one line of JSON (no trailing newline).
    pub fn to_json_line(&self) -> String {
        serde_json::to_string(self).expect("report serializes")
    }
}
