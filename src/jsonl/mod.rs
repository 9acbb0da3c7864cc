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

use std::io::{BufRead, Write};

use std::borrow::Cow;

use encoding_rs::Encoding;
use serde::de::{DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

use crate::error::{Error, ErrorKind, Result};
use crate::pipeline::{add_counts, Pipeline, PipelineBuilder};
use crate::report::Report;
use crate::text::swar::{has_byte, has_byte_below};

/// JSON Lines options.
#[derive(Clone, Debug)]
pub struct JsonlOptions {
    /// The field to clean (`text`; CCNet uses `raw_content`).
    pub text_key: String,
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

/// Cleans batches on `threads` threads (`cleaner` and one more per thread) while this thread
/// reads the input and emits the cleaned batches in input order. At most two batches per
/// thread are read ahead, so memory does not grow with the input.
fn run_parallel<R: BufRead>(
    builder: &PipelineBuilder,
    cleaner: Cleaner,
    threads: usize,
    input: &mut R,
    limits: (usize, usize),
    summary: &mut JsonlSummary,
    emit: &mut dyn FnMut(&mut Cleaned, &mut JsonlSummary) -> Result<()>,
) -> Result<()> {
    use std::collections::BTreeMap;
    use std::sync::{mpsc, Mutex};
    let (name, opts, want_reports) = (cleaner.name, cleaner.opts, cleaner.want_reports);
    let (work_tx, work_rx) = mpsc::channel::<(usize, Batch, Cleaned)>();
    let (done_tx, done_rx) = mpsc::channel::<(usize, Batch, Cleaned)>();
    let work_rx = Mutex::new(work_rx);
    std::thread::scope(|s| -> Result<()> {
        // Dropping `work_tx` (on any return) stops the threads.
        let work_tx = work_tx;
        let mut first = Some(cleaner);
        for _ in 0..threads {
            let mut cleaner = match first.take() {
                Some(c) => c,
                None => Cleaner::new(builder, name, opts, want_reports)?,
            };
            let (work_rx, done_tx) = (&work_rx, done_tx.clone());
            s.spawn(move || loop {
                // The lock is held only while waiting for the next batch.
                let next = work_rx.lock().map(|rx| rx.recv());
                let Ok(Ok((seq, batch, mut done))) = next else {
                    return;
                };
                // A panic (a bug) fails the run at this batch instead of leaving the reader
                // waiting for it.
                let clean = || cleaner.clean(&batch, &mut done);
                let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(clean));
                if panicked.is_err() {
                    done.clear();
                    let n = batch.first;
                    done.fatal = Some(format!("line {n}: internal error (a bug in zhtidy)"));
                }
                if done_tx.send((seq, batch, done)).is_err() || panicked.is_err() {
                    return;
                }
            });
        }
        drop(done_tx);
        let (mut sent, mut emitted, mut eof) = (0usize, 0usize, false);
        let mut spare: Vec<(Batch, Cleaned)> = Vec::new();
        let mut waiting = BTreeMap::new();
        loop {
            while !eof && sent - emitted < 2 * threads {
                let (mut batch, done) = spare.pop().unwrap_or_default();
                if batch.read(input, limits, summary)? == 0 {
                    eof = true;
                    break;
                }
                work_tx
                    .send((sent, batch, done))
                    .expect("the cleaning threads run until the sender is dropped");
                sent += 1;
            }
            if emitted == sent {
                return Ok(());
            }
            let (seq, batch, done) = done_rx
                .recv()
                .expect("a cleaning thread sends back every batch it takes");
            waiting.insert(seq, (batch, done));
            while let Some(mut next) = waiting.remove(&emitted) {
                emit(&mut next.1, summary)?;
                emitted += 1;
                spare.push(next);
            }
        }
    })
}

/// Input lines (endings included) read as one batch; `first` is the number of the first.
#[derive(Default)]
struct Batch {
    first: u64,
    lines: Vec<Vec<u8>>,
    count: usize,
}

impl Batch {
    /// Reads the next batch: up to `max_lines` lines, and no more once `max_bytes` are read.
    /// Returns the number of lines (0 at the end of the input).
    fn read<R: BufRead>(
        &mut self,
        input: &mut R,
        (max_lines, max_bytes): (usize, usize),
        summary: &mut JsonlSummary,
    ) -> Result<usize> {
        self.first = summary.lines + 1;
        if summary.lines == 0 {
            // A byte order mark is not JSON: skip it (counted as read).
            if input
                .fill_buf()
                .map_err(|e| Error::io("reading input", e))?
                .starts_with(b"\xEF\xBB\xBF")
            {
                input.consume(3);
                summary.bytes_in += 3;
            }
        }
        let (mut count, mut bytes) = (0, 0);
        while count < max_lines && (count == 0 || bytes < max_bytes) {
            if self.lines.len() == count {
                self.lines.push(Vec::new());
            }
            let line = &mut self.lines[count];
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
        self.count = count;
        summary.lines += count as u64;
        Ok(count)
    }

    fn lines(&self) -> &[Vec<u8>] {
        &self.lines[..self.count]
    }
}

/// A cleaned batch, to be emitted in input order.
#[derive(Default)]
struct Cleaned {
    /// The output lines, up to the first fatal one.
    out: Vec<u8>,
    /// The cleaned records' reports (when asked, `input` set) and the lines passed through
    /// unchanged (`skip_bad_lines`), in line order.
    events: Vec<JsonlEvent>,
    /// How many of `events` are bad lines.
    bad: u64,
    /// What stopped the run at a line (a malformed one without `skip_bad_lines`).
    fatal: Option<String>,
    records: u64,
    changes: Vec<(&'static str, u64)>,
}

impl Cleaned {
    fn clear(&mut self) {
        self.out.clear();
        self.events.clear();
        self.bad = 0;
        self.fatal = None;
        self.records = 0;
        self.changes.iter_mut().for_each(|c| c.1 = 0);
    }

    /// Writes the batch out and adds it to `summary`; the fatal line's error, after the lines
    /// before it.
    fn emit<W: Write>(
        &mut self,
        output: &mut W,
        opts: &JsonlOptions,
        on_event: &mut impl FnMut(JsonlEvent) -> Result<()>,
        summary: &mut JsonlSummary,
    ) -> Result<()> {
        summary.bad_lines += self.bad;
        summary.records += self.records;
        if !self.changes.is_empty() {
            add_counts(&mut summary.changes, self.changes.iter().copied());
        }
        output.write_all(&self.out).map_err(Error::write)?;
        summary.bytes_out += self.out.len() as u64;
        if opts.line_buffered {
            output.flush().map_err(Error::write)?;
        }
        for e in self.events.drain(..) {
            on_event(e)?;
        }
        if let Some(why) = &self.fatal {
            output.flush().map_err(Error::write)?;
            return Err(Error::new(ErrorKind::Usage, why.clone()));
        }
        Ok(())
    }
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

/// A thread's pipelines and buffers for cleaning batches of records.
struct Cleaner<'a> {
    builder: &'a PipelineBuilder,
    name: &'a str,
    opts: &'a JsonlOptions,
    want_reports: bool,
    /// Records are many small documents: when the stages need no detection, one pipeline is
    /// built and forked for each record (cheaper than building).
    template: Option<Pipeline>,
    /// Without reports, a batch is cleaned stage by stage across its records (see
    /// `Pipeline::run_batch`): each stage's tables stay in cache.
    batching: bool,
    pipes: Vec<Pipeline>,
    cleaned: Vec<String>,
    /// The input encoding when not UTF-8.
    legacy: Option<&'static Encoding>,
    /// How the input encoding was chosen, for the reports: `user` when the builder names one,
    /// else `default` (JSON text is UTF-8).
    source: &'static str,
}

impl<'a> Cleaner<'a> {
    fn new(
        builder: &'a PipelineBuilder,
        name: &'a str,
        opts: &'a JsonlOptions,
        want_reports: bool,
    ) -> Result<Cleaner<'a>> {
        check_encodings(builder)?;
        let legacy = builder
            .input_encoding()
            .filter(|&e| e != encoding_rs::UTF_8);
        let template = builder.build()?.fork();
        Ok(Cleaner {
            legacy,
            source: match builder.input_encoding() {
                Some(_) => "user",
                None => "default",
            },
            builder,
            name,
            opts,
            want_reports,
            batching: template.is_some() && !want_reports,
            template,
            pipes: Vec::new(),
            cleaned: Vec::new(),
        })
    }

    /// Cleans the records of `batch` into `done`.
    fn clean(&mut self, batch: &Batch, done: &mut Cleaned) {
        done.clear();
        let lines = batch.lines();
        let count = lines.len();
        // Each line's body as UTF-8 (decoded when the input is in another encoding).
        let bodies: Vec<std::result::Result<Cow<[u8]>, String>> = lines
            .iter()
            .map(|l| {
                let body = body_of(l);
                match self.legacy {
                    None => Ok(Cow::Borrowed(body)),
                    Some(e) => match e.decode_without_bom_handling_and_without_replacement(body) {
                        Some(Cow::Borrowed(s)) => Ok(Cow::Borrowed(s.as_bytes())),
                        Some(Cow::Owned(s)) => Ok(Cow::Owned(s.into_bytes())),
                        None => Err(format!("not {}", e.name())),
                    },
                }
            })
            .collect();
        let parsed: Vec<_> = bodies
            .iter()
            .map(|b| match b {
                Ok(body) => parse_record(body, &self.opts.text_key),
                Err(why) => Err(why.clone()),
            })
            .collect();
        // Records cleaned as a batch: their text in `cleaned[slot[i]]`, or why it failed. The
        // others (all of them without batching, and the large ones) are cleaned one by one
        // as they are written out.
        let mut failed: Vec<Option<String>> = vec![None; count];
        let mut slot: Vec<Option<usize>> = vec![None; count];
        if self.batching {
            let template = self.template.as_ref().expect("batching needs the template");
            let mut texts: Vec<&str> = Vec::new();
            for (i, p) in parsed.iter().enumerate() {
                if let Ok(Some(rec)) = p {
                    if rec.value.len() <= FEED {
                        slot[i] = Some(texts.len());
                        texts.push(&rec.value);
                    }
                }
            }
            while self.pipes.len() < texts.len() {
                self.pipes
                    .push(template.fork().expect("the template forks"));
                self.cleaned.push(String::new());
            }
            let (pipes, cleaned) = (&mut self.pipes, &mut self.cleaned);
            for (p, c) in pipes.iter_mut().zip(cleaned.iter_mut()).take(texts.len()) {
                p.refork(template);
                c.clear();
            }
            let errors = Pipeline::run_batch(&mut pipes[..texts.len()], &texts, cleaned);
            for (p, e) in pipes.iter().zip(&errors) {
                if e.is_none() {
                    p.add_changes(&mut done.changes);
                }
            }
            for (i, k) in slot.iter().enumerate() {
                if let Some(e) = k.and_then(|k| errors[k].as_ref()) {
                    failed[i] = Some(e.to_string());
                }
            }
        }
        for (i, line) in lines.iter().enumerate() {
            let n = batch.first + i as u64;
            let (raw, body) = (body_of(line), bodies[i].as_deref().unwrap_or_default());
            let why = match (&parsed[i], &failed[i]) {
                (Err(why), _) | (Ok(_), Some(why)) => Some(why.clone()),
                (Ok(None), None) => {
                    done.out.extend_from_slice(body);
                    None
                }
                (Ok(Some(rec)), None) => 'record: {
                    let report = match slot[i] {
                        Some(k) => {
                            let mut text: &str = &self.cleaned[k];
                            // HTML made text ends its last line; a field that did not end
                            // with a line break does not get one.
                            if !rec.value.ends_with('\n') {
                                text = text.trim_end_matches(['\n', '\r']);
                            }
                            write_record(body, rec, text, &mut done.out);
                            None
                        }
                        None => {
                            let mark = done.out.len();
                            // Room for the line as it came, and some: a large record's output
                            // grows in place instead of by doubling copies.
                            done.out.reserve(body.len() + body.len() / 16);
                            done.out.extend_from_slice(&body[..rec.start]);
                            let cleaned = clean_into(
                                self.builder,
                                self.template.as_ref(),
                                self.want_reports,
                                &rec.value,
                                &mut done.changes,
                                &mut done.out,
                            );
                            match cleaned {
                                Ok(report) => {
                                    done.out.extend_from_slice(&body[rec.end..]);
                                    report
                                }
                                Err(why) => {
                                    done.out.truncate(mark);
                                    break 'record Some(why);
                                }
                            }
                        }
                    };
                    if let Some(mut r) = report {
                        r.input = Some(format!("{}:{n}", self.name));
                        // The record's pipeline decoded nothing: the line's encoding.
                        let enc = &mut r.encoding;
                        enc.name = self.legacy.unwrap_or(encoding_rs::UTF_8).name().into();
                        enc.source = self.source.into();
                        enc.confidence = 1.0;
                        done.events.push(JsonlEvent::Record(r));
                    }
                    done.records += 1;
                    None
                }
            };
            if let Some(why) = why {
                if !self.opts.skip_bad_lines {
                    done.fatal = Some(format!(
                        "line {n}: {why} (use --skip-bad-lines to pass such lines through)"
                    ));
                    return;
                }
                done.bad += 1;
                done.events.push(JsonlEvent::BadLine { line: n, why });
                done.out.extend_from_slice(raw);
            }
            // The line's own ending (`\r\n` stays `\r\n`); a last line without one gets `\n`.
            done.out.extend_from_slice(match &line[raw.len()..] {
                b"" => b"\n",
                end => end,
            });
        }
    }
}

/// A record's text goes to its pipeline in pieces of at most this many bytes; a record longer
/// than this is cleaned on its own rather than in a batch.
const FEED: usize = 1 << 20;

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
/// the stages must detect something) and appends it to `out` as a JSON string; returns its
/// report when asked, and adds its changes to `totals`. The text goes to the pipeline in pieces
/// of at most [`FEED`] bytes and comes out escaped piece by piece, so a record of any size
/// needs memory for itself and its output line, not for copies of the text at every stage.
fn clean_into(
    builder: &PipelineBuilder,
    template: Option<&Pipeline>,
    want_report: bool,
    text: &str,
    totals: &mut Vec<(&'static str, u64)>,
    out: &mut Vec<u8>,
) -> std::result::Result<Option<Report>, String> {
    let mut p = match template.and_then(|t| t.fork()) {
        Some(p) => p,
        None => builder.build().map_err(|e| e.to_string())?,
    };
    let mut piece_out = String::with_capacity(text.len().min(FEED) + 64);
    let mut writer = StringWriter::start(out);
    let mut bytes_out = 0u64;
    let mut rest = text;
    loop {
        let cut = char_floor(rest, FEED);
        let (piece, tail) = rest.split_at(cut);
        p.push_text(piece, &mut piece_out, tail.is_empty())
            .map_err(|e| e.to_string())?;
        bytes_out += piece_out.len() as u64;
        writer.push(&piece_out, out);
        piece_out.clear();
        if tail.is_empty() {
            break;
        }
        rest = tail;
    }
    // HTML made text ends its last line; a field that did not end with a line break does not
    // get one.
    writer.finish(text.ends_with('\n'), out);
    p.add_changes(totals);
    Ok(want_report.then(|| {
        p.add_bytes_out(bytes_out);
        p.finish(text.len() as u64)
    }))
}

/// How many bytes of `text` to feed at once: at most `n`, ending on a character boundary (at
/// least one character, so that a feed always moves on).
fn char_floor(text: &str, n: usize) -> usize {
    // (`str::floor_char_boundary` is newer than the crate's minimum Rust version.)
    let mut i = n.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    match i {
        0 => text.chars().next().map_or(0, char::len_utf8),
        i => i,
    }
}

/// Writes a JSON string piece by piece, holding back line breaks at the end until it knows
/// whether more text follows them.
struct StringWriter {
    held: String,
}

impl StringWriter {
    fn start(out: &mut Vec<u8>) -> StringWriter {
        out.push(b'"');
        StringWriter {
            held: String::new(),
        }
    }

    fn push(&mut self, piece: &str, out: &mut Vec<u8>) {
        let body = piece.trim_end_matches(['\n', '\r']);
        if !body.is_empty() {
            escape_into(&self.held, out);
            self.held.clear();
            escape_into(body, out);
        }
        self.held.push_str(&piece[body.len()..]);
    }

    /// Closes the string; the line breaks held at the end are kept only when `keep_breaks`.
    fn finish(self, keep_breaks: bool, out: &mut Vec<u8>) {
        if keep_breaks {
            escape_into(&self.held, out);
        }
        out.push(b'"');
    }
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
    out.reserve(s.len() + 2);
    out.push(b'"');
    escape_into(s, out);
    out.push(b'"');
}

/// Appends `s` escaped as the inside of a JSON string.
fn escape_into(s: &str, out: &mut Vec<u8>) {
    // Bytes below 0x20, `"` and `\`.
    let needs_escape = |x: u64| has_byte_below(x, 0x20) || has_byte(x, b'"') || has_byte(x, b'\\');
    let b = s.as_bytes();
    out.reserve(b.len());
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

    /// Records of the samples' lines (cut into records of 1 to 9 lines), with blank, CRLF and
    /// (from line `bad_from` on) malformed lines among them: `lines` lines in all.
    fn mixed_records(lines: usize, bad_from: usize) -> String {
        let docs = [
            include_str!("../samples/clean/004-pdf-newspaper.txt"),
            include_str!("../samples/clean/002-cms-article.md"),
            include_str!("../samples/repair/001-garbled-traditional.txt"),
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
