//! JSON Lines for corpus pipelines: clean one string field of every record, pass every other
//! field through byte for byte, one line out per line in, in order, each with the line ending it
//! came with (`\n` or `\r\n`; `\n` after a last line that had none).
//!
//! A malformed line (not a JSON object, or without the text field as a string) is an error that
//! names its line number; with `skip_bad_lines` it is written out unchanged instead (and
//! counted), never dropped.
//!
//! Input is UTF-8 (a byte order mark before the first line is skipped), or the encoding the
//! builder names if it is ASCII-compatible (GBK, GB18030, Big5, ...: a line feed byte is a line
//! feed in all of them), decoded line by line; a line that does not decode is malformed. Output
//! is UTF-8, as JSON text must be.

mod batch;
mod json_str;
mod record;

use std::io::{BufRead, Write};

use crate::error::{Error, ErrorKind, Result};
use crate::pipeline::PipelineBuilder;
use crate::report::Report;

use batch::{run_parallel, Batch, Cleaned, Cleaner};

/// JSON Lines options.
#[derive(Clone, Debug)]
pub struct JsonlOptions {
    /// The field to clean (`text`; CCNet uses `raw_content`).
    pub text_key: String,
    /// Add to each record a field of this name with its repair figures
    /// ([`crate::repair::Characters`]); a field of that name already there is replaced.
    pub damage_key: Option<String>,
    /// Write malformed lines out unchanged instead of failing.
    pub skip_bad_lines: bool,
    /// Flush after every output line (for a caller that feeds one record at a time); records
    /// are then cleaned one at a time on the calling thread.
    pub line_buffered: bool,
    /// Threads cleaning records (batches of them) in parallel; output, reports and messages
    /// are the same whatever the number. 1: the calling thread cleans them. 0 counts as 1.
    pub threads: usize,
}

impl Default for JsonlOptions {
    fn default() -> Self {
        JsonlOptions {
            text_key: "text".into(),
            damage_key: None,
            skip_bad_lines: false,
            line_buffered: false,
            threads: 1,
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
    /// Lines read.
    pub lines: u64,
    /// Bytes read.
    pub bytes_in: u64,
    /// Bytes written.
    pub bytes_out: u64,
    /// Each stage's changes over all cleaned records, by stage name in pipeline order (as
    /// [`crate::report::StageReport`] counts them).
    pub changes: Vec<(&'static str, u64)>,
}

/// What a JSON Lines run tells its caller as it goes, in input order.
#[derive(Clone, Debug)]
pub enum JsonlEvent {
    /// A cleaned record's report, with `input` set to `name:LINE` (only when reports were
    /// asked for).
    Record(Report),
    /// A malformed line passed through unchanged (`skip_bad_lines`): its number and why.
    BadLine {
        /// The line number, from 1.
        line: u64,
        /// What is wrong with it.
        why: String,
    },
}

impl std::fmt::Display for JsonlEvent {
    /// A bad line as a message for a person (`NAME:LINE: why; ...` is the caller's to add);
    /// a record as its report's JSON line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            JsonlEvent::Record(r) => f.write_str(&r.to_json_line()),
            JsonlEvent::BadLine { line, why } => {
                write!(f, "{line}: {why}; line passed through unchanged")
            }
        }
    }
}

/// Cleans every record of `input` into `output`; `on_report` receives each record's report
/// (with `input` set to `name:LINE`). A malformed line's error names its line number, not
/// `name` (the caller says which input it was). Lines passed through with `skip_bad_lines`
/// are counted in the summary; [`run_jsonl_events`] tells which they were.
pub fn run_jsonl<R: BufRead, W: Write>(
    builder: &PipelineBuilder,
    name: &str,
    input: R,
    output: W,
    opts: &JsonlOptions,
    mut on_report: impl FnMut(Report) -> Result<()>,
) -> Result<JsonlSummary> {
    run_jsonl_events(builder, name, input, output, opts, true, |e| match e {
        JsonlEvent::Record(r) => on_report(r),
        JsonlEvent::BadLine { .. } => Ok(()),
    })
}

/// Like [`run_jsonl`] without per-record reports (faster: nothing is counted or kept).
pub fn run_jsonl_quiet<R: BufRead, W: Write>(
    builder: &PipelineBuilder,
    name: &str,
    input: R,
    output: W,
    opts: &JsonlOptions,
) -> Result<JsonlSummary> {
    run_jsonl_events(builder, name, input, output, opts, false, |_| Ok(()))
}

/// Cleans every record of `input` into `output`, telling `on_event` of each record (its
/// report, when `reports`) and each line passed through unchanged, in input order whatever
/// the number of threads. The library prints nothing: a caller shows what it wants.
pub fn run_jsonl_events<R: BufRead, W: Write>(
    builder: &PipelineBuilder,
    name: &str,
    mut input: R,
    mut output: W,
    opts: &JsonlOptions,
    reports: bool,
    mut on_event: impl FnMut(JsonlEvent) -> Result<()>,
) -> Result<JsonlSummary> {
    let mut cleaner = Cleaner::new(builder, name, opts, reports)?;
    let mut summary = JsonlSummary::default();
    // A co-process feeding one record at a time asks for `line_buffered`, and gets one at a
    // time: no batch waits for a line that has not come, and no thread runs ahead.
    let threads = if opts.line_buffered {
        1
    } else {
        opts.threads.max(1)
    };
    let limits = if opts.line_buffered || (threads == 1 && !cleaner.batching) {
        (1, 0)
    } else {
        (BATCH_RECORDS, BATCH_BYTES)
    };
    let mut emit = |done: &mut Cleaned, summary: &mut JsonlSummary| {
        done.emit(&mut output, opts, &mut on_event, summary)
    };
    if threads == 1 {
        let (mut batch, mut done) = (Batch::default(), Cleaned::default());
        while batch.read(&mut input, limits, &mut summary)? > 0 {
            cleaner.clean(&batch, &mut done);
            emit(&mut done, &mut summary)?;
        }
    } else {
        run_parallel(
            builder,
            cleaner,
            threads,
            &mut input,
            limits,
            &mut summary,
            &mut emit,
        )?;
    }
    output.flush().map_err(Error::write)?;
    Ok(summary)
}

/// Whether JSON Lines can be read and written with `builder`'s encodings: the input UTF-8 or
/// ASCII-compatible (lines are cut at line feed bytes), the output UTF-8 (JSON text must be).
pub fn check_encodings(builder: &PipelineBuilder) -> Result<()> {
    if builder.written_encoding() != encoding_rs::UTF_8 {
        return Err(Error::new(
            ErrorKind::Usage,
            "JSON Lines is written as UTF-8 (JSON text must be): no output encoding applies",
        ));
    }
    match builder.input_encoding() {
        Some(e) if !e.is_ascii_compatible() => Err(Error::new(
            ErrorKind::Usage,
            format!(
                "JSON Lines cannot be read as {} (lines are cut at line feed bytes): \
                 convert it to UTF-8 first",
                e.name()
            ),
        )),
        _ => Ok(()),
    }
}

/// A record's text goes to its pipeline in pieces of at most this many bytes; a record longer
/// than this is cleaned on its own rather than in a batch.
const FEED: usize = 1 << 20;

/// At most this many records, or records past this many bytes, are cleaned as one batch.
const BATCH_RECORDS: usize = 256;
const BATCH_BYTES: usize = 256 * 1024;

#[cfg(test)]
mod tests {
    use super::json_str::{unescape, write_string};
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
    fn the_damage_field_gives_each_records_figures() {
        let input = "{\"text\":\"快遞業(yè)務\",\"d\":[1, 2],\"z\":0}\n{\"text\":\"乾淨\"}\n{\"text\":\"这是\\ufffd\\ufffd暂时的\"}\n{}\n";
        let opts = JsonlOptions {
            damage_key: Some("d".into()),
            ..Default::default()
        };
        let out = run(input, &opts);
        assert!(out.is_err(), "a record without text is still malformed");
        let input = input.replace("{}\n", "");
        let lines: Vec<serde_json::Value> = run(&input, &opts)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let d = |i: usize, k: &str| lines[i]["d"][k].as_u64().unwrap();
        assert_eq!(lines[0]["text"], "快遞業務");
        assert_eq!(
            (d(0, "repaired"), d(0, "unrepairable")),
            (4, 0),
            "replaced in place"
        );
        assert_eq!(lines[0]["d"]["repaired_by_fix"]["pinyin_annotation"], 4);
        assert_eq!(lines[0]["z"], 0);
        assert_eq!((d(1, "damaged"), d(1, "repaired")), (0, 0), "added");
        assert_eq!((d(2, "damaged"), d(2, "unrepairable")), (2, 2));
    }

    #[test]
    fn malformed_lines_are_errors_or_passed_through() {
        let input = "{\"text\":\"汉\"}\nnot json\n{\"other\":1}\n";
        let err = run(input, &JsonlOptions::default()).unwrap_err();
        assert!(err.to_string().contains("line 2"), "{err}");
        assert_eq!(*err.kind(), ErrorKind::Malformed);
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
    fn a_byte_order_mark_is_skipped_and_legacy_encodings_are_decoded() {
        let run_with = |b: PipelineBuilder, input: &[u8], skip: bool| {
            let opts = JsonlOptions {
                skip_bad_lines: skip,
                ..Default::default()
            };
            let mut out = Vec::new();
            let r = run_jsonl_quiet(&b, "t", input, &mut out, &opts).map_err(|e| e.to_string());
            (out, r)
        };
        let s2t = || crate::Pipeline::builder().target(Target::Config(Config::S2t));
        let bom = "\u{feff}{\"text\":\"汉\"}\n{\"text\":\"汉\"}\n";
        let (out, r) = run_with(s2t(), bom.as_bytes(), false);
        assert_eq!(out, "{\"text\":\"漢\"}\n{\"text\":\"漢\"}\n".as_bytes());
        assert_eq!(r.unwrap().bytes_in, bom.len() as u64);
        // GBK in, UTF-8 out; a line that is not GBK is passed through as it came.
        let (gbk, _, _) = encoding_rs::GBK.encode("{\"text\":\"软件\",\"k\":\"键\"}\n");
        let mut input = gbk.into_owned();
        input.extend_from_slice(b"{\"text\":\"\xff\xff\"}\n");
        let b = s2t().encoding("gbk").unwrap();
        let (out, r) = run_with(b.clone(), &input, true);
        let mut expected = "{\"text\":\"軟件\",\"k\":\"键\"}\n".as_bytes().to_vec();
        expected.extend_from_slice(b"{\"text\":\"\xff\xff\"}\n");
        assert_eq!(out, expected);
        assert_eq!(r.unwrap().bad_lines, 1);
        let (_, r) = run_with(b, &input, false);
        assert!(r.unwrap_err().starts_with("line 2: not GBK"));
        // Encodings that a line feed byte does not cut into lines, and output encodings.
        let (_, r) = run_with(s2t().encoding("utf-16le").unwrap(), b"", false);
        assert!(r.unwrap_err().contains("cannot be read as UTF-16LE"));
        let (_, r) = run_with(s2t().output_encoding("big5").unwrap(), b"", false);
        assert!(r.unwrap_err().contains("written as UTF-8"));
    }

    #[test]
    fn a_record_larger_than_a_feed_comes_out_as_its_text_cleaned_whole() {
        // Records over `FEED` bytes are fed in pieces and written escaped piece by piece; the
        // output is what cleaning the text in one piece gives, line breaks at the end included.
        let para = "国家邮政局召开会议。\"业(yè)务\"\t强调全系统\\全行业\n";
        let body = para.repeat(FEED / para.len() * 3 / 2);
        let b = crate::Pipeline::builder().target(Target::Config(Config::S2t));
        for text in [body.clone(), format!("{body}尾"), format!("{body}\n\n")] {
            assert!(text.len() > FEED);
            let mut line = Vec::new();
            line.extend_from_slice(b"{\"id\": 7, \"text\": ");
            write_string(&text, &mut line);
            line.extend_from_slice(b", \"z\": [1]}\n");
            let (cleaned, _) = b.build().unwrap().run_str(&text).unwrap();
            let cleaned = if text.ends_with('\n') {
                cleaned.as_str()
            } else {
                cleaned.trim_end_matches(['\n', '\r'])
            };
            let mut expected = Vec::new();
            expected.extend_from_slice(b"{\"id\": 7, \"text\": ");
            write_string(cleaned, &mut expected);
            expected.extend_from_slice(b", \"z\": [1]}\n");
            for reports in [false, true] {
                let mut out = Vec::new();
                let opts = JsonlOptions::default();
                let mut n = 0;
                run_jsonl_events(&b, "t", &line[..], &mut out, &opts, reports, |_| {
                    n += 1;
                    Ok(())
                })
                .unwrap();
                assert!(out == expected, "reports: {reports}");
                assert_eq!(n, usize::from(reports));
            }
        }
    }

    #[test]
    fn html_in_a_field_does_not_gain_a_line_break_at_its_end() {
        let b = crate::Pipeline::builder()
            .target(Target::Config(Config::S2t))
            .html(crate::pipeline::Html::Always);
        let mut out = Vec::new();
        let input = "{\"text\":\"<p>汉</p><p>字</p>\"}\n{\"text\":\"<p>汉</p>\\n\"}\n{\"text\":\"汉\\n\\n\"}\n";
        run_jsonl_quiet(
            &b,
            "t",
            input.as_bytes(),
            &mut out,
            &JsonlOptions::default(),
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            // (Line breaks in HTML are spaces: the last field's two make one.)
            "{\"text\":\"漢\\n\\n字\"}\n{\"text\":\"漢\\n\"}\n{\"text\":\"漢\\n\"}\n"
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
            include_str!("../../samples/clean/004-pdf-newspaper.txt"),
            include_str!("../../samples/clean/002-cms-article.md"),
            include_str!("../../samples/repair/001-garbled-traditional.txt"),
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

    /// Records of the samples' lines (cut into records of 1 to 9 lines), with blank, CRLF and
    /// (from line `bad_from` on) malformed lines among them: `lines` lines in all.
    fn mixed_records(lines: usize, bad_from: usize) -> String {
        let docs = [
            include_str!("../../samples/clean/004-pdf-newspaper.txt"),
            include_str!("../../samples/clean/002-cms-article.md"),
            include_str!("../../samples/repair/001-garbled-traditional.txt"),
        ];
        let all: Vec<&str> = docs.iter().flat_map(|d| d.lines()).collect();
        let (mut input, mut at) = (String::new(), 0);
        for n in 0..lines {
            let line = match n % 97 {
                13 if n >= bad_from => "not json".to_string(),
                40 => String::new(),
                71 if n >= bad_from => "{\"id\":1}".to_string(),
                _ => {
                    let size = 1 + n % 9;
                    let text = (0..size)
                        .map(|k| all[(at + k) % all.len()])
                        .collect::<Vec<_>>();
                    at += size;
                    serde_json::json!({ "n": n, "text": text.join("\n") }).to_string()
                }
            };
            input.push_str(&line);
            input.push_str(if n % 5 == 0 { "\r\n" } else { "\n" });
        }
        input
    }

    #[test]
    fn threads_change_nothing() {
        let b = crate::Pipeline::builder().target(Target::Config(Config::S2tw));
        let run = |threads: usize, skip: bool, reports: bool, line_buffered: bool| {
            // Without `skip`, the first malformed line is some batches in.
            let input = mixed_records(2500, if skip { 0 } else { 1000 });
            let opts = JsonlOptions {
                threads,
                skip_bad_lines: skip,
                line_buffered,
                ..Default::default()
            };
            let (mut out, mut lines) = (Vec::new(), Vec::new());
            let result = if reports {
                run_jsonl(&b, "t", input.as_bytes(), &mut out, &opts, |r| {
                    lines.push(r.to_json_line());
                    Ok(())
                })
            } else {
                run_jsonl_quiet(&b, "t", input.as_bytes(), &mut out, &opts)
            };
            let result = result.map_err(|e| e.to_string());
            (String::from_utf8(out).unwrap(), result, lines)
        };
        for (skip, reports) in [(true, false), (true, true), (false, false), (false, true)] {
            let serial = run(1, skip, reports, false);
            if skip {
                let summary = serial.1.as_ref().unwrap();
                assert_eq!(summary.lines, 2500);
                assert!(
                    summary.bad_lines > 40 && summary.records > 2000,
                    "{summary:?}"
                );
                assert_eq!(
                    serial.2.len() as u64,
                    if reports { summary.records } else { 0 }
                );
            } else {
                let err = serial.1.as_ref().unwrap_err();
                assert!(err.starts_with("line 1042: no field"), "{err}");
                assert_eq!(serial.0.lines().count(), 1041);
            }
            for threads in [2, 3] {
                assert!(
                    run(threads, skip, reports, false) == serial,
                    "{threads} threads"
                );
            }
        }
        assert!(run(3, true, false, true) == run(1, true, false, false));
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
