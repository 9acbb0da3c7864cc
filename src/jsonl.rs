//! JSON Lines for corpus pipelines: clean one string field of every record, pass every other
//! field through byte for byte, one line out per line in, in order, each with the line ending it
//! came with (`\n` or `\r\n`; `\n` after a last line that had none).
//!
//! A malformed line (not a JSON object, or without the text field as a string) is an error that
//! names its line number; with `skip_bad_lines` it is written out unchanged instead (and
//! counted), never dropped.

use std::io::{BufRead, Write};

use std::borrow::Cow;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

use crate::error::{Error, ErrorKind, Result};
use crate::pipeline::{Pipeline, PipelineBuilder};
use crate::report::Report;
use crate::swar::{has_byte, has_byte_below};

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
    /// Each stage's changes over all cleaned records, by stage name in pipeline order (as
    /// [`crate::report::StageReport`] counts them).
    pub changes: Vec<(&'static str, u64)>,
}

/// Cleans every record of `input` into `output`; `on_report` receives each record's report
/// (with `input` set to `name:LINE`). A malformed line's error names its line number, not
/// `name` (the caller says which input it was).
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
    // Without reports or line buffering, records are read ahead in batches and cleaned stage by
    // stage across the batch (see `Pipeline::run_batch`): each stage's tables stay in cache.
    // A co-process feeding one record at a time asks for `line_buffered`, and gets one at a time.
    let batching = template.is_some() && on_report.is_none() && !opts.line_buffered;
    let (max_lines, max_bytes) = if batching {
        (BATCH_RECORDS, BATCH_BYTES)
    } else {
        (1, 0)
    };
    let mut summary = JsonlSummary::default();
    let mut lines: Vec<Vec<u8>> = Vec::new();
    let mut pipes: Vec<Pipeline> = Vec::new();
    let mut cleaned: Vec<String> = Vec::new();
    let mut out = Vec::new();
    let mut n = 0u64;
    loop {
        let (mut count, mut bytes) = (0, 0);
        while count < max_lines && (count == 0 || bytes < max_bytes) {
            if lines.len() == count {
                lines.push(Vec::new());
            }
            let line = &mut lines[count];
            line.clear();
            let read = input
                .read_until(b'\n', line)
                .map_err(|e| Error::io("reading input", e))?;
            if read == 0 {
                break;
            }
            summary.bytes_in += read as u64;
            bytes += read;
            count += 1;
        }
        if count == 0 {
            break;
        }
        let batch = &lines[..count];
        let parsed: Vec<_> = batch
            .iter()
            .map(|l| parse_record(body_of(l), &opts.text_key))
            .collect();
        // Each record's cleaning: its text in `cleaned[slot[i]]` when batching, else in
        // `single[i]` with its report; or why it failed.
        let mut failed: Vec<Option<String>> = vec![None; count];
        let mut slot = vec![0usize; count];
        let mut single: Vec<Option<(String, Option<Report>)>> = Vec::new();
        if batching {
            let template = template.as_ref().expect("batching needs the template");
            let mut texts: Vec<&str> = Vec::new();
            for (i, p) in parsed.iter().enumerate() {
                if let Ok(Some(rec)) = p {
                    slot[i] = texts.len();
                    texts.push(&rec.value);
                }
            }
            while pipes.len() < texts.len() {
                pipes.push(template.fork().expect("the template forks"));
                cleaned.push(String::new());
            }
            for (p, c) in pipes.iter_mut().zip(&mut cleaned).take(texts.len()) {
                p.refork(template);
                c.clear();
            }
            let errors = Pipeline::run_batch(&mut pipes[..texts.len()], &texts, &mut cleaned);
            for (p, e) in pipes.iter().zip(&errors) {
                if e.is_none() {
                    p.add_changes(&mut summary.changes);
                }
            }
            for (i, p) in parsed.iter().enumerate() {
                if let (Ok(Some(_)), Some(e)) = (p, &errors.get(slot[i]).and_then(|e| e.as_ref())) {
                    failed[i] = Some(e.to_string());
                }
            }
        } else {
            for (i, p) in parsed.iter().enumerate() {
                let done = match p {
                    Ok(Some(rec)) => clean_one(
                        builder,
                        template.as_ref(),
                        on_report.is_some(),
                        &rec.value,
                        &mut summary.changes,
                    )
                    .map_err(|e| failed[i] = Some(e))
                    .ok(),
                    _ => None,
                };
                single.push(done);
            }
        }
        for (i, line) in batch.iter().enumerate() {
            n += 1;
            let body = body_of(line);
            out.clear();
            let outcome = match (&parsed[i], &failed[i]) {
                (Err(why), _) | (Ok(_), Some(why)) => Err(why.clone()),
                (Ok(None), None) => {
                    out.extend_from_slice(body);
                    Ok(())
                }
                (Ok(Some(rec)), None) => {
                    let text = match &single.get(i) {
                        Some(Some((t, _))) => t,
                        _ => &cleaned[slot[i]],
                    };
                    write_record(body, rec, text, &mut out);
                    let report = single
                        .get_mut(i)
                        .and_then(|s| s.as_mut())
                        .and_then(|s| s.1.take());
                    if let (Some(f), Some(mut r)) = (on_report.as_mut(), report) {
                        r.input = Some(format!("{name}:{n}"));
                        f(r)?;
                    }
                    summary.records += 1;
                    Ok(())
                }
            };
            if let Err(why) = outcome {
                if !opts.skip_bad_lines {
                    output.flush().map_err(|e| Error::io("writing output", e))?;
                    return Err(Error::new(
                        ErrorKind::Usage,
                        format!(
                            "line {n}: {why} (use --skip-bad-lines to pass such lines through)"
                        ),
                    ));
                }
                eprintln!("zhtidy: {name}:{n}: {why}; line passed through unchanged");
                summary.bad_lines += 1;
                out.extend_from_slice(body);
            }
            // The line's own ending (`\r\n` stays `\r\n`); a last line without one gets `\n`.
            out.extend_from_slice(match &line[body.len()..] {
                b"" => b"\n",
                end => end,
            });
            output
                .write_all(&out)
                .map_err(|e| Error::io("writing output", e))?;
            summary.bytes_out += out.len() as u64;
            if opts.line_buffered {
                output.flush().map_err(|e| Error::io("writing output", e))?;
            }
        }
    }
    output.flush().map_err(|e| Error::io("writing output", e))?;
    Ok(summary)
}

/// At most this many records, or records past this many bytes, are cleaned as one batch.
const BATCH_RECORDS: usize = 256;
const BATCH_BYTES: usize = 256 * 1024;

/// A line without its line ending.
fn body_of(line: &[u8]) -> &[u8] {
    let body = line.strip_suffix(b"\n").unwrap_or(line);
    body.strip_suffix(b"\r").unwrap_or(body)
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

/// A record's text field: where its value (quotes included) lies in the line, and the value.
struct Record<'a> {
    start: usize,
    end: usize,
    value: Cow<'a, str>,
}

/// Finds the text field of a record. `Ok(None)` for a blank line (kept blank).
fn parse_record<'a>(body: &'a [u8], key: &str) -> std::result::Result<Option<Record<'a>>, String> {
    if body.iter().all(|b| b.is_ascii_whitespace()) {
        return Ok(None);
    }
    // JSON text is UTF-8: check the whole line at once (SIMD) and let the parser read a `str`
    // (it checks every string it meets again when it reads bytes).
    let body = simdutf8::basic::from_utf8(body).map_err(|_| "not UTF-8".to_string())?;
    let mut de = serde_json::Deserializer::from_str(body);
    let raw = FindField(key)
        .deserialize(&mut de)
        .and_then(|f| de.end().map(|()| f))
        .map_err(|e| format!("not a JSON object ({e})"))?
        .ok_or_else(|| format!("no field {key:?}"))?;
    let raw = raw.get();
    let value = raw
        .strip_prefix('"')
        .and_then(|r| r.strip_suffix('"'))
        .and_then(unescape)
        .ok_or_else(|| format!("field {key:?} is not a string"))?;
    // The raw value is a slice of `body`.
    let start = raw.as_ptr() as usize - body.as_ptr() as usize;
    Ok(Some(Record {
        start,
        end: start + raw.len(),
        value,
    }))
}

/// The line with the text field's value replaced by `cleaned`, every other byte as it was.
fn write_record(body: &[u8], rec: &Record, cleaned: &str, out: &mut Vec<u8>) {
    out.extend_from_slice(&body[..rec.start]);
    write_string(cleaned, out);
    out.extend_from_slice(&body[rec.end..]);
}

/// Cleans one record's text with a pipeline of its own (forked from the template, or built when
/// the stages must detect something), with its report when asked; adds its changes to `totals`.
fn clean_one(
    builder: &PipelineBuilder,
    template: Option<&Pipeline>,
    want_report: bool,
    text: &str,
    totals: &mut Vec<(&'static str, u64)>,
) -> std::result::Result<(String, Option<Report>), String> {
    let mut p = match template.and_then(|t| t.fork()) {
        Some(p) => p,
        None => builder.build().map_err(|e| e.to_string())?,
    };
    let mut out = String::with_capacity(text.len());
    p.push_text(text, &mut out, true)
        .map_err(|e| e.to_string())?;
    p.add_changes(totals);
    let report = want_report.then(|| {
        p.add_bytes_out(out.len() as u64);
        p.finish(text.len() as u64)
    });
    Ok((out, report))
}

/// The value of a JSON string's contents (between the quotes) that the parser has checked:
/// borrowed when it has no escape. `None` for a lone surrogate, which no string can hold.
fn unescape(inner: &str) -> Option<Cow<'_, str>> {
    let Some(first) = memchr::memchr(b'\\', inner.as_bytes()) else {
        return Some(Cow::Borrowed(inner));
    };
    let mut out = String::with_capacity(inner.len());
    out.push_str(&inner[..first]);
    let mut rest = &inner[first..];
    while let Some(esc) = rest.strip_prefix('\\') {
        let mut take = 1;
        let c = match esc.as_bytes().first()? {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let hex = |s: &str| u16::from_str_radix(s.get(1..5)?, 16).ok();
                let unit = hex(esc)?;
                take = 5;
                match unit {
                    0xD800..=0xDBFF => {
                        let low = esc
                            .get(5..)
                            .and_then(|s| s.strip_prefix('\\'))
                            .and_then(hex)?;
                        take = 11;
                        char::decode_utf16([unit, low]).next()?.ok()?
                    }
                    _ => char::from_u32(u32::from(unit))?,
                }
            }
            _ => return None,
        };
        out.push(c);
        rest = &esc[take..];
        let next = memchr::memchr(b'\\', rest.as_bytes()).unwrap_or(rest.len());
        out.push_str(&rest[..next]);
        rest = &rest[next..];
    }
    Some(Cow::Owned(out))
}

/// Writes `s` as a JSON string, escaped as serde_json escapes: `\"`, `\\`, the five short
/// control escapes and `\u00XX` for the other control characters; everything else as it is.
/// Runs of bytes that need nothing are found eight at a time.
fn write_string(s: &str, out: &mut Vec<u8>) {
    // Bytes below 0x20, `"` and `\`.
    let needs_escape = |x: u64| has_byte_below(x, 0x20) || has_byte(x, b'"') || has_byte(x, b'\\');
    let b = s.as_bytes();
    out.reserve(b.len() + 2);
    out.push(b'"');
    let (mut i, mut start) = (0, 0);
    while i < b.len() {
        if let Some(w) = b.get(i..i + 8) {
            if !needs_escape(u64::from_le_bytes(w.try_into().expect("eight bytes"))) {
                i += 8;
                continue;
            }
        }
        let c = b[i];
        let short = match c {
            b'"' => b'"',
            b'\\' => b'\\',
            b'\n' => b'n',
            b'\r' => b'r',
            b'\t' => b't',
            0x08 => b'b',
            0x0C => b'f',
            0x00..=0x1F => b'u',
            _ => {
                i += 1;
                continue;
            }
        };
        out.extend_from_slice(&b[start..i]);
        out.extend_from_slice(&[b'\\', short]);
        if short == b'u' {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.extend_from_slice(&[
                b'0',
                b'0',
                HEX[usize::from(c >> 4)],
                HEX[usize::from(c & 0xF)],
            ]);
        }
        i += 1;
        start = i;
    }
    out.extend_from_slice(&b[start..]);
    out.push(b'"');
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
    fn line_endings_are_kept() {
        let input = "{\"text\":\"汉\"}\r\n\r\n{\"text\":\"汉\"}\n{\"text\":\"汉\"}";
        assert_eq!(
            run(input, &JsonlOptions::default()).unwrap(),
            "{\"text\":\"漢\"}\r\n\r\n{\"text\":\"漢\"}\n{\"text\":\"漢\"}\n"
        );
        let opts = JsonlOptions {
            skip_bad_lines: true,
            ..Default::default()
        };
        assert_eq!(run("bad\r\n", &opts).unwrap(), "bad\r\n");
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

    #[test]
    fn a_bad_line_in_a_batch_stops_the_run_after_the_lines_before_it() {
        let b = crate::Pipeline::builder().target(Target::Config(Config::S2t));
        let input = "{\"text\":\"汉\"}\n\n{\"text\":\"发\"}\nnot json\n{\"text\":\"头\"}";
        let mut out = Vec::new();
        let err = run_jsonl_quiet(
            &b,
            "t",
            input.as_bytes(),
            &mut out,
            &JsonlOptions::default(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("line 4"), "{err}");
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "{\"text\":\"漢\"}\n\n{\"text\":\"發\"}\n"
        );
        let opts = JsonlOptions {
            skip_bad_lines: true,
            ..Default::default()
        };
        let mut out = Vec::new();
        let summary = run_jsonl_quiet(&b, "t", input.as_bytes(), &mut out, &opts).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "{\"text\":\"漢\"}\n\n{\"text\":\"發\"}\nnot json\n{\"text\":\"頭\"}\n"
        );
        assert_eq!((summary.records, summary.bad_lines), (3, 1));
    }

    #[test]
    fn a_reused_pipeline_cleans_each_record_as_a_fresh_one() {
        // Whole documents (html, repair, reflow, boilerplate, convert), cut into records of
        // different sizes, one after another: the quiet run reuses one pipeline, the reporting
        // run forks a fresh one per record.
        let docs = [
            include_str!("../samples/clean/004-pdf-newspaper.txt"),
            include_str!("../samples/clean/002-cms-article.md"),
            include_str!("../samples/repair/001-garbled-traditional.txt"),
        ];
        let mut input = String::new();
        for (k, doc) in docs.iter().enumerate() {
            let lines: Vec<&str> = doc.lines().collect();
            for chunk in lines.chunks(3 + 7 * k) {
                let record = serde_json::json!({ "k": k, "text": chunk.join("\n") });
                input.push_str(&record.to_string());
                input.push('\n');
            }
            input.push_str(&serde_json::json!({ "text": doc }).to_string());
            input.push('\n');
        }
        let b = crate::Pipeline::builder().target(Target::Config(Config::S2twp));
        let opts = JsonlOptions::default();
        let (mut quiet, mut fresh) = (Vec::new(), Vec::new());
        run_jsonl_quiet(&b, "t", input.as_bytes(), &mut quiet, &opts).unwrap();
        run_jsonl(&b, "t", input.as_bytes(), &mut fresh, &opts, |_| Ok(())).unwrap();
        assert_eq!(
            String::from_utf8(quiet).unwrap(),
            String::from_utf8(fresh).unwrap()
        );
        assert!(input.lines().count() > 50);
    }

    proptest::proptest! {
        #[test]
        fn strings_are_written_as_serde_json_writes_them(s in "(\\PC|[\\x00-\\x1f\"\\\\\\x7f]){0,40}") {
            let mut out = Vec::new();
            write_string(&s, &mut out);
            proptest::prop_assert_eq!(String::from_utf8(out).unwrap(), serde_json::to_string(&s).unwrap());
        }

        #[test]
        // Parts that always make a valid string or invalid escapes: `unescape` only ever sees
        // contents the parser has accepted, so a lone backslash before a quote is not made.
        fn escapes_are_read_as_serde_json_reads_them(
            parts in proptest::collection::vec(proptest::sample::select(vec![
                "a", "漢", "\\n", "\\\"", "\\\\", "\\/", "\\b", "\\f", "\\r", "\\t", "\\u00e9",
                "\\u6F22", "\\ud83d\\ude00", "\\ud83d", "\\ude00", "\\ud83dx", "\\u12", "\\x",
            ]), 0..12)
        ) {
            let inner: String = parts.concat();
            let expected = serde_json::from_str::<String>(&format!("\"{inner}\"")).ok();
            proptest::prop_assert_eq!(unescape(&inner).map(|c| c.into_owned()), expected);
        }
    }
}
