//! JSON Lines for corpus pipelines: clean one string field of every record, pass every other
//! field through byte for byte, one line out per line in, in order.
//!
//! A malformed line (not a JSON object, or without the text field as a string) is an error that
//! names its line number; with `skip_bad_lines` it is written out unchanged instead (and
//! counted), never dropped.

use std::io::{BufRead, Write};

use indexmap::IndexMap;
use serde_json::value::RawValue;

use crate::error::{Error, ErrorKind, Result};
use crate::pipeline::PipelineBuilder;
use crate::report::Report;

/// JSON Lines options.
#[derive(Clone, Debug)]
pub struct JsonlOptions {
    /// The field to clean (`text`; CCNet uses `raw_content`).
    pub text_key: String,
    /// Write malformed lines out unchanged instead of failing.
    pub skip_bad_lines: bool,
    /// Flush after every output line (for a caller that feeds one record at a time).
    pub line_buffered: bool,
}

impl Default for JsonlOptions {
    fn default() -> Self {
        JsonlOptions {
            text_key: "text".into(),
            skip_bad_lines: false,
            line_buffered: false,
        }
    }
}

/// What a JSON Lines run did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JsonlSummary {
    /// Records cleaned.
    pub records: u64,
    /// Malformed lines passed through unchanged (`skip_bad_lines`).
    pub bad_lines: u64,
    /// Bytes read and written.
    pub bytes_in: u64,
    /// Bytes written.
    pub bytes_out: u64,
}

/// Cleans every record of `input` into `output`; `on_report` receives each record's report
/// (with `input` set to `name:LINE`).
pub fn run_jsonl<R: BufRead, W: Write>(
    builder: &PipelineBuilder,
    name: &str,
    input: R,
    output: W,
    opts: &JsonlOptions,
    on_report: impl FnMut(Report) -> Result<()>,
) -> Result<JsonlSummary> {
    run_jsonl_with(builder, name, input, output, opts, Some(on_report))
}

/// Like [`run_jsonl`] without per-record reports (faster: nothing is counted or kept).
pub fn run_jsonl_quiet<R: BufRead, W: Write>(
    builder: &PipelineBuilder,
    name: &str,
    input: R,
    output: W,
    opts: &JsonlOptions,
) -> Result<JsonlSummary> {
    run_jsonl_with(
        builder,
        name,
        input,
        output,
        opts,
        None::<fn(Report) -> Result<()>>,
    )
}

fn run_jsonl_with<R: BufRead, W: Write>(
    builder: &PipelineBuilder,
    name: &str,
    mut input: R,
    mut output: W,
    opts: &JsonlOptions,
    mut on_report: Option<impl FnMut(Report) -> Result<()>>,
) -> Result<JsonlSummary> {
    // Records are many small documents: when the stages need no detection, one pipeline is
    // built and forked for each record (cheaper than building).
    let template = builder.build()?.fork();
    let want_reports = on_report.is_some();
    let mut summary = JsonlSummary::default();
    let mut line = Vec::new();
    let mut out = String::new();
    let mut n = 0u64;
    loop {
        line.clear();
        let read = input
            .read_until(b'\n', &mut line)
            .map_err(|e| Error::io("reading input", e))?;
        if read == 0 {
            break;
        }
        n += 1;
        summary.bytes_in += read as u64;
        let newline = line.ends_with(b"\n");
        let body = line.strip_suffix(b"\n").unwrap_or(&line);
        let body = body.strip_suffix(b"\r").unwrap_or(body);
        out.clear();
        match clean_record(
            builder,
            template.as_ref(),
            want_reports,
            body,
            &opts.text_key,
            &mut out,
        ) {
            Ok(report) => {
                summary.records += 1;
                if let (Some(mut r), Some(f)) = (report, on_report.as_mut()) {
                    r.input = Some(format!("{name}:{n}"));
                    f(r)?;
                }
            }
            Err(why) if opts.skip_bad_lines => {
                eprintln!("zhtidy: {name}:{n}: {why}; line passed through unchanged");
                summary.bad_lines += 1;
                out.push_str(&String::from_utf8_lossy(body));
            }
            Err(why) => {
                return Err(Error::new(
                    ErrorKind::Usage,
                    format!(
                        "{name}: line {n}: {why} (use --skip-bad-lines to pass such lines through)"
                    ),
                ));
            }
        }
        if newline || n > 0 {
            out.push('\n');
        }
        output
            .write_all(out.as_bytes())
            .map_err(|e| Error::io("writing output", e))?;
        summary.bytes_out += out.len() as u64;
        if opts.line_buffered {
            output.flush().map_err(|e| Error::io("writing output", e))?;
        }
    }
    output.flush().map_err(|e| Error::io("writing output", e))?;
    Ok(summary)
}

/// Cleans one record into `out`. `Ok(None)` for a blank line (kept blank).
fn clean_record(
    builder: &PipelineBuilder,
    template: Option<&crate::Pipeline>,
    want_report: bool,
    body: &[u8],
    key: &str,
    out: &mut String,
) -> std::result::Result<Option<Report>, String> {
    if body.iter().all(|b| b.is_ascii_whitespace()) {
        out.push_str(&String::from_utf8_lossy(body));
        return Ok(None);
    }
    let text = std::str::from_utf8(body).map_err(|e| format!("not UTF-8 ({e})"))?;
    let fields: IndexMap<String, &RawValue> =
        serde_json::from_str(text).map_err(|e| format!("not a JSON object ({e})"))?;
    let raw = fields.get(key).ok_or_else(|| format!("no field {key:?}"))?;
    let value: String =
        serde_json::from_str(raw.get()).map_err(|_| format!("field {key:?} is not a string"))?;
    let pipeline = match template.and_then(|t| t.fork()) {
        Some(p) => Ok(p),
        None => builder.build(),
    };
    let (cleaned, report) = pipeline
        .and_then(|p| {
            if want_report {
                p.run_str(&value).map(|(c, r)| (c, Some(r)))
            } else {
                p.run_text(&value).map(|c| (c, None))
            }
        })
        .map_err(|e| e.to_string())?;
    out.push('{');
    for (i, (k, v)) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&serde_json::to_string(k).expect("string serializes"));
        out.push(':');
        if k == key {
            out.push_str(&serde_json::to_string(&cleaned).expect("string serializes"));
        } else {
            out.push_str(v.get());
        }
    }
    out.push('}');
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::convert::{Config, Target};

    fn run(input: &str, opts: &JsonlOptions) -> Result<String> {
        let b = crate::Pipeline::builder().target(Target::Config(Config::S2t));
        let mut out = Vec::new();
        run_jsonl(&b, "t", input.as_bytes(), &mut out, opts, |_| Ok(()))?;
        Ok(String::from_utf8(out).unwrap())
    }

    #[test]
    fn cleans_the_text_field_and_keeps_the_rest() {
        let input = "{\"id\": 1, \"text\": \"汉字\\n第二行\", \"meta\": {\"u\": \"\\u00e9\", \"n\": 1.50}}\n{\"text\":\"快遞業(yè)務\",\"z\":null}\n";
        let out = run(input, &JsonlOptions::default()).unwrap();
        assert_eq!(
            out,
            "{\"id\":1,\"text\":\"漢字\\n第二行\",\"meta\":{\"u\": \"\\u00e9\", \"n\": 1.50}}\n{\"text\":\"快遞業務\",\"z\":null}\n"
        );
    }

    #[test]
    fn malformed_lines_are_errors_or_passed_through() {
        let input = "{\"text\":\"汉\"}\nnot json\n{\"other\":1}\n";
        let err = run(input, &JsonlOptions::default()).unwrap_err();
        assert!(err.to_string().contains("line 2"), "{err}");
        let opts = JsonlOptions {
            skip_bad_lines: true,
            ..Default::default()
        };
        assert_eq!(
            run(input, &opts).unwrap(),
            "{\"text\":\"漢\"}\nnot json\n{\"other\":1}\n"
        );
    }

    #[test]
    fn custom_key() {
        let opts = JsonlOptions {
            text_key: "raw_content".into(),
            ..Default::default()
        };
        assert_eq!(
            run("{\"raw_content\":\"汉\",\"text\":\"汉\"}\n", &opts).unwrap(),
            "{\"raw_content\":\"漢\",\"text\":\"汉\"}\n"
        );
    }
}
