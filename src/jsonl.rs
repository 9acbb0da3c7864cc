//! JSON Lines for corpus pipelines: clean one string field of every record, pass every other
//! field through byte for byte, one line out per line in, in order.
//!
//! A malformed line (not a JSON object, or without the text field as a string) is an error that
//! names its line number; with `skip_bad_lines` it is written out unchanged instead (and
//! counted), never dropped.

use std::io::{BufRead, Write};

use std::borrow::Cow;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, Visitor};
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
    let mut out = Vec::new();
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
                out.extend_from_slice(body);
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
            out.push(b'\n');
        }
        output
            .write_all(&out)
            .map_err(|e| Error::io("writing output", e))?;
        summary.bytes_out += out.len() as u64;
        if opts.line_buffered {
            output.flush().map_err(|e| Error::io("writing output", e))?;
        }
    }
    output.flush().map_err(|e| Error::io("writing output", e))?;
    Ok(summary)
}

/// Reads a record as a JSON object and finds the value of its field `key` as it is in the line
/// (quotes and escapes included), without building the object: the other fields are checked for
/// well-formedness and left as they are.
struct FindField<'k>(&'k str);

impl<'de, 'k> DeserializeSeed<'de> for FindField<'k> {
    type Value = Option<&'de RawValue>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, 'k> Visitor<'de> for FindField<'k> {
    type Value = Option<&'de RawValue>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        let mut found = None;
        while let Some(is_key) = map.next_key_seed(IsKey(self.0))? {
            let raw: &'de RawValue = map.next_value()?;
            if is_key {
                if found.is_some() {
                    return Err(serde::de::Error::custom(format_args!(
                        "field {:?} appears twice",
                        self.0
                    )));
                }
                found = Some(raw);
            }
        }
        Ok(found)
    }
}

/// Deserializes an object key and tells whether it is the wanted one (escapes decoded).
struct IsKey<'k>(&'k str);

impl<'de, 'k> DeserializeSeed<'de> for IsKey<'k> {
    type Value = bool;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<bool, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de, 'k> Visitor<'de> for IsKey<'k> {
    type Value = bool;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a string key")
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> std::result::Result<bool, E> {
        Ok(v == self.0)
    }
}

/// Cleans one record into `out`: the line with the text field's value replaced, every other
/// byte as it was. `Ok(None)` for a blank line (kept blank).
fn clean_record(
    builder: &PipelineBuilder,
    template: Option<&crate::Pipeline>,
    want_report: bool,
    body: &[u8],
    key: &str,
    out: &mut Vec<u8>,
) -> std::result::Result<Option<Report>, String> {
    if body.iter().all(|b| b.is_ascii_whitespace()) {
        out.extend_from_slice(body);
        return Ok(None);
    }
    // The parser checks UTF-8 inside strings, the only place JSON allows non-ASCII bytes.
    let mut de = serde_json::Deserializer::from_slice(body);
    let raw = FindField(key)
        .deserialize(&mut de)
        .and_then(|f| de.end().map(|()| f))
        .map_err(|e| format!("not a JSON object ({e})"))?
        .ok_or_else(|| format!("no field {key:?}"))?;
    let raw = raw.get();
    // A string without escapes is its own value between the quotes (the parser checked it).
    let value: Cow<str> = match raw.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
        Some(inner) if !inner.contains('\\') => Cow::Borrowed(inner),
        _ => Cow::Owned(
            serde_json::from_str::<String>(raw)
                .map_err(|_| format!("field {key:?} is not a string"))?,
        ),
    };
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
    // The raw value is a slice of `body`.
    let start = raw.as_ptr() as usize - body.as_ptr() as usize;
    out.extend_from_slice(&body[..start]);
    serde_json::to_writer(&mut *out, &*cleaned).expect("a string serializes");
    out.extend_from_slice(&body[start + raw.len()..]);
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
            "{\"id\": 1, \"text\": \"漢字\\n第二行\", \"meta\": {\"u\": \"\\u00e9\", \"n\": 1.50}}\n{\"text\":\"快遞業務\",\"z\":null}\n"
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

    #[test]
    fn keys_are_matched_after_unescaping_and_must_be_unique() {
        let opts = JsonlOptions::default();
        assert_eq!(
            run("{\"te\\u0078t\" :\"汉\" }\n", &opts).unwrap(),
            "{\"te\\u0078t\" :\"漢\" }\n"
        );
        let err = run("{\"text\":\"汉\",\"text\":\"汉\"}\n", &opts).unwrap_err();
        assert!(err.to_string().contains("appears twice"), "{err}");
        let err = run("{\"text\":\"汉\"} trailing\n", &opts).unwrap_err();
        assert!(err.to_string().contains("line 1"), "{err}");
        let mut bad = Vec::new();
        run_jsonl(
            &crate::Pipeline::builder(),
            "t",
            &b"{\"text\":\"\xff\"}\n"[..],
            &mut bad,
            &opts,
            |_| Ok(()),
        )
        .unwrap_err();
        let err = run("[\"text\"]\n", &opts).unwrap_err();
        assert!(err.to_string().contains("not a JSON object"), "{err}");
    }
}
