//! Reading records in batches, cleaning them on one thread or several, and emitting the
//! cleaned batches in input order.

use std::io::{BufRead, Write};

use std::borrow::Cow;

use encoding_rs::Encoding;

use crate::error::{Error, ErrorKind, Result};
use crate::ordered::InOrder;
use crate::pipeline::{add_counts, Pipeline, PipelineBuilder};
use crate::report::Report;
use crate::stage::StageName;

use super::json_str::escape_into;
use super::record::{body_of, parse_record, set_field, write_record};
use super::{check_encodings, JsonlEvent, JsonlOptions, JsonlSummary, FEED};

/// Cleans batches on `threads` threads (`cleaner` and one more per thread) while this thread
/// reads the input and emits the cleaned batches in input order. At most two batches per
/// thread are read ahead, so memory does not grow with the input.
pub(super) fn run_parallel<R: BufRead>(
    builder: &PipelineBuilder,
    cleaner: Cleaner,
    threads: usize,
    input: &mut R,
    limits: (usize, usize),
    summary: &mut JsonlSummary,
    emit: &mut dyn FnMut(&mut Cleaned, &mut JsonlSummary) -> Result<()>,
) -> Result<()> {
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
                    done.fatal = Some((
                        ErrorKind::Bug,
                        format!("line {n}: internal error (a bug in zhtidy)"),
                    ));
                }
                if done_tx.send((seq, batch, done)).is_err() || panicked.is_err() {
                    return;
                }
            });
        }
        drop(done_tx);
        let (mut sent, mut eof) = (0usize, false);
        let mut spare: Vec<(Batch, Cleaned)> = Vec::new();
        let mut order = InOrder::new();
        loop {
            while !eof && sent - order.emitted() < 2 * threads {
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
            if order.emitted() == sent {
                return Ok(());
            }
            let (seq, batch, done) = done_rx
                .recv()
                .expect("a cleaning thread sends back every batch it takes");
            order.arrive(seq, (batch, done), |_, mut next| {
                emit(&mut next.1, summary)?;
                spare.push(next);
                Ok(())
            })?;
        }
    })
}

/// Input lines (endings included) read as one batch; `first` is the number of the first.
#[derive(Default)]
pub(super) struct Batch {
    pub(super) first: u64,
    pub(super) lines: Vec<Vec<u8>>,
    pub(super) count: usize,
}

impl Batch {
    /// Reads the next batch: up to `max_lines` lines, and no more once `max_bytes` are read.
    /// Returns the number of lines (0 at the end of the input).
    pub(super) fn read<R: BufRead>(
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

    pub(super) fn lines(&self) -> &[Vec<u8>] {
        &self.lines[..self.count]
    }
}

/// A cleaned batch, to be emitted in input order.
#[derive(Default)]
pub(super) struct Cleaned {
    /// The output lines, up to the first fatal one.
    pub(super) out: Vec<u8>,
    /// The cleaned records' reports (when asked, `input` set) and the lines passed through
    /// unchanged (`skip_bad_lines`), in line order.
    pub(super) events: Vec<JsonlEvent>,
    /// How many of `events` are bad lines.
    pub(super) bad: u64,
    /// What stopped the run at a line (a malformed one without `skip_bad_lines`).
    pub(super) fatal: Option<(ErrorKind, String)>,
    pub(super) records: u64,
    pub(super) changes: Vec<(&'static str, u64)>,
}

impl Cleaned {
    pub(super) fn clear(&mut self) {
        self.out.clear();
        self.events.clear();
        self.bad = 0;
        self.fatal = None;
        self.records = 0;
        self.changes.iter_mut().for_each(|c| c.1 = 0);
    }

    /// Writes the batch out and adds it to `summary`; the fatal line's error, after the lines
    /// before it.
    pub(super) fn emit<W: Write>(
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
        if let Some((kind, why)) = &self.fatal {
            output.flush().map_err(Error::write)?;
            return Err(Error::new(kind.clone(), why.clone()));
        }
        Ok(())
    }
}

/// A thread's pipelines and buffers for cleaning batches of records.
pub(super) struct Cleaner<'a> {
    pub(super) builder: &'a PipelineBuilder,
    pub(super) name: &'a str,
    pub(super) opts: &'a JsonlOptions,
    pub(super) want_reports: bool,
    /// Records are many small documents: when the stages need no detection, one pipeline is
    /// built and forked for each record (cheaper than building).
    pub(super) template: Option<Pipeline>,
    /// Without reports, a batch is cleaned stage by stage across its records (see
    /// `Pipeline::run_batch`): each stage's tables stay in cache.
    pub(super) batching: bool,
    pub(super) pipes: Vec<Pipeline>,
    pub(super) cleaned: Vec<String>,
    /// The input encoding when not UTF-8.
    pub(super) legacy: Option<&'static Encoding>,
    /// How the input encoding was chosen, for the reports: `user` when the builder names one,
    /// else `default` (JSON text is UTF-8).
    pub(super) source: &'static str,
}

impl<'a> Cleaner<'a> {
    pub(super) fn new(
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
            // Batches give no report per record, which the damage field is read from.
            batching: template.is_some() && !want_reports && opts.damage_key.is_none(),
            template,
            pipes: Vec::new(),
            cleaned: Vec::new(),
        })
    }

    /// Cleans the records of `batch` into `done`.
    pub(super) fn clean(&mut self, batch: &Batch, done: &mut Cleaned) {
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
            let errors =
                Pipeline::run_batch_forked(template, &mut self.pipes, &mut self.cleaned, &texts);
            for (p, e) in self.pipes.iter().zip(&errors) {
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
                                self.want_reports || self.opts.damage_key.is_some(),
                                &rec.value,
                                &mut done.changes,
                                &mut done.out,
                            );
                            match cleaned {
                                Ok(report) => {
                                    done.out.extend_from_slice(&body[rec.end..]);
                                    if let Some(key) = &self.opts.damage_key {
                                        let value = damage_of(report.as_ref());
                                        set_field(&mut done.out, mark, key, &value);
                                    }
                                    report.filter(|_| self.want_reports)
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
                    done.fatal = Some((
                        ErrorKind::Malformed,
                        format!(
                            "line {n}: {why} (use --skip-bad-lines to pass such lines through)"
                        ),
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

/// The repair figures of a record's report as JSON (`null` without a repair stage).
fn damage_of(report: Option<&Report>) -> String {
    report
        .and_then(|r| {
            r.stages
                .iter()
                .find(|s| s.stage == StageName::Repair.as_str())
        })
        .and_then(|s| s.detail.get("characters"))
        .map_or_else(|| "null".into(), |c| c.to_string())
}

/// Cleans one record's text with a pipeline of its own (forked from the template, or built when
/// the stages must detect something) and appends it to `out` as a JSON string; returns its
/// report when asked, and adds its changes to `totals`. The text goes to the pipeline in pieces
/// of at most [`FEED`] bytes and comes out escaped piece by piece, so a record of any size
/// needs memory for itself and its output line, not for copies of the text at every stage.
pub(super) fn clean_into(
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
pub(super) fn char_floor(text: &str, n: usize) -> usize {
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
pub(super) struct StringWriter {
    pub(super) held: String,
}

impl StringWriter {
    pub(super) fn start(out: &mut Vec<u8>) -> StringWriter {
        out.push(b'"');
        StringWriter {
            held: String::new(),
        }
    }

    pub(super) fn push(&mut self, piece: &str, out: &mut Vec<u8>) {
        let body = piece.trim_end_matches(['\n', '\r']);
        if !body.is_empty() {
            escape_into(&self.held, out);
            self.held.clear();
            escape_into(body, out);
        }
        self.held.push_str(&piece[body.len()..]);
    }

    /// Closes the string; the line breaks held at the end are kept only when `keep_breaks`.
    pub(super) fn finish(self, keep_breaks: bool, out: &mut Vec<u8>) {
        if keep_breaks {
            escape_into(&self.held, out);
        }
        out.push(b'"');
    }
}
